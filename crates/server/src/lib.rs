#![doc = include_str!("../README.md")]

pub mod admin_cli;
pub mod app;
pub mod client_cli;
pub mod content;
pub mod docs_page;
pub mod existing;
pub mod idempotency;
pub mod metrics;
pub mod openapi;
pub mod ops;
pub mod settings;
pub mod sweep;
pub mod telemetry;
pub mod upload_api;
pub mod v2;
