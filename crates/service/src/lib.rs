#![doc = include_str!("../README.md")]

pub mod activities;
pub mod admin;
pub mod auth;
pub mod curriculum;
pub mod error_chain;
pub mod events;
pub mod gc;
pub mod idempotency;
pub mod ingest;
pub mod launch;
pub mod learners;
pub mod player;
pub mod query;
pub mod upload;
pub mod v2_error;
pub mod webhooks;

pub use activities::{ActivityPage, ActivityQueries};
pub use admin::{AdminError, AdminService, IssuedKey, RotatedKey};
pub use auth::{AuthError, Caller, hash_key};
pub use curriculum::{CurriculumService, ListPage, WriteError};
pub use error_chain::error_chain;
pub use events::{Actor, EventReader};
pub use gc::{BlobSweeper, SweepError, SweepReport};
pub use idempotency::{Begin, Fingerprint, IDEMPOTENCY_HEADER, IdempotencyKey, IdempotencyService};
pub use ingest::{EarlyExtraction, IngestSettings, Package, PackageSource, ReadSeek};
pub use launch::{ContentError, ContentGrant, ContentSigner, Launch, LaunchService, TokenError};
pub use upload::{
    AddLanguage, Check, CreateActivity, PackageReport, Readiness, ReplacePackage, RevisionChange, Rollback,
    UploadError, UploadService, Validation,
};
pub use v2_error::V2Error;
