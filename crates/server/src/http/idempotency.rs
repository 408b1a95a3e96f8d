//! `Idempotency-Key` on the write endpoints of both APIs: the HTTP side of
//! [`curricula_service::IdempotencyService`].
//!
//! A handler authenticates, builds the request's fingerprint, and hands the rest of its work
//! to [`guard`], which reserves the key, runs the work once, and keeps the response (status
//! and body) for replay. Server errors (5xx) are not kept: the key is freed so a retry runs
//! again.

use crate::state::AppState;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use curricula_ports::{StoreError, StoredResponse};
use curricula_service::{Begin, Caller, Fingerprint, IDEMPOTENCY_HEADER, IdempotencyKey};
use sha2::{Digest, Sha256};
use std::future::Future;

/// The response header set on a replayed response.
pub const REPLAYED_HEADER: &str = "Idempotent-Replayed";

/// Which API a request belongs to: decides the error shape and the status of a refused key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// The Activity Upload API: `{"errorMessage": …}`, 400 for a refused key.
    Upload,
    /// The v2 API: an array of messages, 422 for a refused key.
    V2,
}

impl Api {
    fn error(self, status: StatusCode, message: String) -> HttpResponse {
        match self {
            Self::Upload => HttpResponse::build(status).json(serde_json::json!({ "errorMessage": message })),
            Self::V2 => HttpResponse::build(status).json(vec![message]),
        }
    }

    fn refused(self) -> StatusCode {
        match self {
            Self::Upload => StatusCode::BAD_REQUEST,
            Self::V2 => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }

    fn store_error(self, e: StoreError) -> HttpResponse {
        let (status, message) = crate::http::error::store_failure(&e);
        self.error(status, message)
    }
}

/// The fingerprint of a v2 write: method, path, and the merged parameters (query string and
/// body, however encoded) without the credential `api_key`, in canonical JSON.
pub fn v2_fingerprint(req: &HttpRequest, params: &serde_json::Map<String, serde_json::Value>) -> String {
    let mut params = params.clone();
    params.remove("api_key");
    let canonical = serde_json::Value::Object(params).to_string();
    let digest: String = Sha256::digest(canonical.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let fingerprint = Fingerprint::new(req.method().as_str()).part(req.path()).part(&digest);
    // A write's condition is part of the request: the same key with another `If-Match` is
    // another request, not a retry.
    match req.headers().get(actix_web::http::header::IF_MATCH) {
        Some(condition) => fingerprint
            .part(&String::from_utf8_lossy(condition.as_bytes()))
            .finish(),
        None => fingerprint.finish(),
    }
}

/// Runs `work` under the request's `Idempotency-Key`, if it has one; without one, just runs it.
///
/// With a key (scoped to the caller's tenant): the first request runs and its response is kept;
/// the same request again (same `fingerprint`) within the retention window gets the kept
/// response (same status, same body, plus `Idempotent-Replayed: true`) and runs nothing; a
/// different request is refused (400 / 422); a repeat while the first still runs gets 409.
pub async fn guard<F>(
    state: &AppState,
    req: &HttpRequest,
    api: Api,
    caller: Caller,
    fingerprint: String,
    work: F,
) -> HttpResponse
where
    F: Future<Output = HttpResponse>,
{
    let Some(raw) = req.headers().get(IDEMPOTENCY_HEADER) else {
        return work.await;
    };
    let parsed = raw
        .to_str()
        .map_err(|_| format!("{IDEMPOTENCY_HEADER} may only contain visible ASCII characters"))
        .and_then(|raw| IdempotencyKey::parse(raw).map_err(|e| e.to_string()));
    let key = match parsed {
        Ok(key) => key,
        Err(message) => return api.error(api.refused(), message),
    };
    let begin = match state.idempotency.begin(caller, &key, &fingerprint).await {
        Ok(begin) => begin,
        Err(e) => return api.store_error(e),
    };
    match begin {
        Begin::Replay(stored) => replay(stored),
        Begin::InProgress => api.error(
            StatusCode::CONFLICT,
            format!("a request with this {IDEMPOTENCY_HEADER} is in progress; retry it shortly to get its response"),
        ),
        Begin::Mismatch => api.error(
            api.refused(),
            format!(
                "{IDEMPOTENCY_HEADER} was already used with a different request (other fields, file or target); \
                 use a new key for a new request"
            ),
        ),
        Begin::Run => {
            let reservation = Reservation {
                idempotency: Some(state.idempotency.clone()),
                caller,
                key: key.clone(),
            };
            let response = work.await;
            reservation.disarm();
            if response.status().is_server_error() {
                state.idempotency.finish(caller, &key, None).await;
                return response;
            }
            let status = response.status();
            let (head, body) = response.into_parts();
            match body.try_into_bytes() {
                Ok(bytes) => {
                    let stored = StoredResponse {
                        status: status.as_u16(),
                        body: String::from_utf8_lossy(&bytes).into_owned(),
                    };
                    state.idempotency.finish(caller, &key, Some(stored)).await;
                    head.set_body(BoxBody::new(bytes))
                }
                // Every body these handlers build is in memory; a streamed one is not kept.
                Err(body) => {
                    state.idempotency.finish(caller, &key, None).await;
                    head.set_body(body)
                }
            }
        }
    }
}

/// A reserved key whose request has not finished. If the request is dropped instead (the
/// client went away and actix dropped the handler, or it panicked), the key is released, so
/// that a retry runs rather than getting 409 until the key expires.
struct Reservation {
    idempotency: Option<crate::state::Idempotency>,
    caller: Caller,
    key: IdempotencyKey,
}

impl Reservation {
    /// The request finished: its outcome is recorded by the caller.
    fn disarm(mut self) {
        self.idempotency = None;
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        let Some(idempotency) = self.idempotency.take() else {
            return;
        };
        let (caller, key) = (self.caller, self.key.clone());
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { idempotency.finish(caller, &key, None).await });
        }
    }
}

/// The stored response again.
fn replay(stored: StoredResponse) -> HttpResponse {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut response = HttpResponse::build(status);
    response.insert_header((REPLAYED_HEADER, "true"));
    // Only the status and body are kept: the `Location` of an asynchronous import's 202 is
    // made again from its `importId`.
    if status == StatusCode::ACCEPTED
        && let Some(id) = serde_json::from_str::<serde_json::Value>(&stored.body)
            .ok()
            .and_then(|body| body["importId"].as_i64())
    {
        response.insert_header((actix_web::http::header::LOCATION, format!("/api/v2/imports/{id}")));
    }
    if stored.body.is_empty() {
        response.finish()
    } else {
        response.content_type("application/json").body(stored.body)
    }
}
