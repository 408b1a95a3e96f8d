//! What every API shares: error shapes, parameters and the credential, retry safety, the
//! access log, and the host and security-header middleware. Nothing here imports a handler.

pub mod error;
pub mod etag;
pub mod host_routing;
pub mod idempotency;
pub mod origins;
pub mod params;
pub mod telemetry;

/// `body` as JSON with its keys sorted, the order in which the API has always written them
/// (its bodies were built as `serde_json` maps): a body struct declares its fields in reading
/// order, the wire keeps its bytes.
pub fn sorted<T: serde::Serialize>(body: &T) -> serde_json::Value {
    serde_json::to_value(body).unwrap_or_default()
}
