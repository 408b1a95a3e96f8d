#![doc = include_str!("../README.md")]

pub mod activities;
pub mod admin;
pub mod audit;
pub mod auth;
pub mod curriculum;
pub mod gc;
pub mod idempotency;
pub mod ingest;
pub mod launch;
pub mod upload;

pub use activities::{ActivityPage, ActivityQueries};
pub use admin::{AdminError, AdminService, IssuedKey, RotatedKey};
pub use audit::{Actor, AuditTrail};
pub use auth::{AuthError, Caller, hash_key};
pub use curriculum::{CurriculumService, ListPage, V2Error};
pub use gc::{BlobSweeper, SweepError, SweepReport};
pub use idempotency::{Begin, Fingerprint, IDEMPOTENCY_HEADER, IdempotencyKey, IdempotencyService};
pub use ingest::{IngestSettings, Package, PackageSource, ReadSeek};
pub use launch::{ContentError, ContentGrant, ContentSigner, Launch, LaunchService, TokenError};
pub use upload::{
    AddLanguage, Check, CreateActivity, PackageReport, Readiness, ReplacePackage, RevisionChange, Rollback,
    UploadError, UploadService, Validation,
};

/// An error and its whole `source()` chain in one line (`outer: cause: root cause`).
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut chain = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    chain
}
