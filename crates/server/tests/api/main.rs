//! HTTP integration tests through the real actix application on SQLite and a blob folder.

mod audit;
mod curriculum;
mod events;
mod hardening;
mod helpers;
mod idempotency;
mod imports;
mod keys;
mod launch;
mod learners;
mod nesting;
mod openapi;
mod ops;
mod origins;
mod path_progress;
mod paths;
#[path = "../support/receiver.rs"]
mod receiver;
mod revisions;
mod streaming;
mod upload;
mod validate;
