//! HTTP integration tests through the real actix application on SQLite and a blob folder.

mod audit;
mod curriculum;
mod hardening;
mod helpers;
mod idempotency;
mod keys;
mod launch;
mod learners;
mod nesting;
mod openapi;
mod ops;
mod origins;
mod path_progress;
mod paths;
mod revisions;
mod streaming;
mod upload;
mod validate;
