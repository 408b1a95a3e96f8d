#![doc = include_str!("../README.md")]

pub mod audit;
#[cfg(feature = "contract-tests")]
pub mod audit_contract;
pub mod blob;
#[cfg(feature = "contract-tests")]
pub mod blob_contract;
#[cfg(feature = "contract-tests")]
pub mod contract;
pub mod curriculum;
pub mod error;
pub mod idempotency;
#[cfg(feature = "contract-tests")]
pub mod idempotency_contract;
#[cfg(feature = "contract-tests")]
pub mod key_contract;
#[cfg(feature = "contract-tests")]
pub mod learner_contract;
pub mod learners;
pub mod query;
pub mod repo;

pub use audit::*;
pub use blob::*;
pub use curriculum::*;
pub use error::*;
pub use idempotency::*;
pub use learners::*;
pub use query::*;
pub use repo::*;

/// The source of the current time, so that use cases are testable.
pub trait Clock: Send + Sync {
    /// Now, in UTC.
    fn now(&self) -> chrono::DateTime<chrono::Utc>;
}
