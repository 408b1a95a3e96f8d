//! What the v2 handlers share: retry safety of writes, the audit actor, page links.

use crate::http::error::ApiError;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use curricula_service::{Actor, Caller};
use serde_json::{Map, Value};

/// Runs a write under the request's `Idempotency-Key`, if any (see [`crate::http::idempotency`]).
pub(crate) async fn guarded(
    state: &AppState,
    req: &HttpRequest,
    params: &Map<String, Value>,
    caller: Caller,
    work: impl std::future::Future<Output = Result<HttpResponse, ApiError>>,
) -> HttpResponse {
    let fingerprint = crate::http::idempotency::v2_fingerprint(req, params);
    let work = async { work.await.unwrap_or_else(|e| e.error_response()) };
    crate::http::idempotency::guard(state, req, crate::http::idempotency::Api::V2, caller, fingerprint, work).await
}

/// Refuses every parameter but `api_key`, `format` and `allowed`, naming each.
pub(crate) fn only_parameters(params: &Map<String, Value>, allowed: &[&str]) -> Result<(), ApiError> {
    let unknown: Vec<String> = params
        .keys()
        .filter(|k| !matches!(k.as_str(), "api_key" | "format") && !allowed.contains(&k.as_str()))
        .map(|k| format!("{k} is not a known parameter"))
        .collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Unprocessable(unknown))
    }
}

/// Who makes a v2 write, for the audit trail (v2 keys need not have an origin).
pub(crate) fn actor(req: &HttpRequest, caller: Caller) -> Actor {
    Actor {
        caller,
        origin: None,
        request_id: crate::http::telemetry::request_id_of(req),
    }
}

/// RFC 8288 links to the first, previous, next and last pages, keeping the other parameters
/// (the `api_key` is left out: a link must not carry a secret).
pub(crate) fn links(req: &HttpRequest, page: usize, last: usize) -> String {
    let others: Vec<&str> = req
        .query_string()
        .split('&')
        .filter(|p| {
            let name = p.split('=').next().unwrap_or_default();
            !p.is_empty() && name != "page" && !crate::http::telemetry::is_secret_name(name)
        })
        .collect();
    let url = |n: usize| {
        let mut query = others.clone();
        let page = format!("page={n}");
        query.push(&page);
        format!("<{}?{}>", req.path(), query.join("&"))
    };
    let mut out = vec![format!("{}; rel=\"first\"", url(1))];
    if page > 1 {
        out.push(format!("{}; rel=\"prev\"", url(page - 1)));
    }
    if page < last {
        out.push(format!("{}; rel=\"next\"", url(page + 1)));
    }
    out.push(format!("{}; rel=\"last\"", url(last)));
    out.join(", ")
}
