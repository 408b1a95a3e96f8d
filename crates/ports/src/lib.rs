#![doc = include_str!("../README.md")]

pub mod blob;
#[cfg(feature = "contract-tests")]
pub mod blob_contract;
#[cfg(feature = "contract-tests")]
pub mod contract;
pub mod curriculum;
pub mod error;
pub mod events;
#[cfg(feature = "contract-tests")]
pub mod events_contract;
pub mod idempotency;
#[cfg(feature = "contract-tests")]
pub mod idempotency_contract;
pub mod imports;
#[cfg(feature = "contract-tests")]
pub mod imports_contract;
#[cfg(feature = "contract-tests")]
pub mod key_contract;
#[cfg(feature = "contract-tests")]
pub mod learner_contract;
pub mod learners;
pub mod query;
pub mod repo;
pub mod webhooks;

pub use blob::*;
pub use curriculum::*;
pub use error::*;
pub use events::*;
pub use idempotency::*;
pub use imports::*;
pub use learners::*;
pub use query::*;
pub use repo::*;
pub use webhooks::*;

/// The source of the current time, so that use cases are testable.
pub trait Clock: Send + Sync {
    /// Now, in UTC.
    fn now(&self) -> chrono::DateTime<chrono::Utc>;
}
