//! HTTP integration tests through the real actix application on SQLite and a blob folder.

mod audit;
mod curriculum;
mod helpers;
mod idempotency;
mod keys;
mod launch;
mod openapi;
mod ops;
mod revisions;
mod upload;
mod validate;
