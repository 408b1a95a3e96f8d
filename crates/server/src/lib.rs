#![doc = include_str!("../README.md")]

pub mod admin_cli;
pub mod api;
pub mod app;
pub mod client_cli;
pub mod docs_page;
pub mod existing;
pub mod forwarded;
pub mod http;
pub mod metrics;
pub mod openapi;
pub mod settings;
pub mod state;
pub mod sweep;
pub mod webhooks;

// The paths the binaries and the tests have always used.
pub use api::{content, upload as upload_api};
pub use http::{idempotency, origins, telemetry};
