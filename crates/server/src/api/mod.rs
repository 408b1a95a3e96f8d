//! The handlers, one module per API: each registers its routes and describes them for the
//! OpenAPI document (assembled on top, in `crate::openapi`).

pub mod content;
pub mod ops;
pub mod player;
pub mod upload;
pub mod v2;
