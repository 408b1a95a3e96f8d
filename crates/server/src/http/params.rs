//! The parameters of a v2 request (merged from the query string and the body, see
//! `curricula_params`) and its one credential.

use crate::http::error::ApiError;
use crate::state::AppState;
use actix_web::HttpRequest;
use actix_web::http::header::{AUTHORIZATION, CONTENT_TYPE};
use curricula_params as params;
use curricula_service::Caller;
use serde_json::{Map, Value};

/// The merged parameters of a request and its authenticated caller.
pub async fn read(req: &HttpRequest, body: &[u8], state: &AppState) -> Result<(Map<String, Value>, Caller), ApiError> {
    let content_type = req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let params = params::read(req.query_string(), content_type, body);
    // Authenticate before reporting anything about the request itself.
    let key = match &params {
        Ok(p) => api_key(req, p)?,
        // A malformed body must not hide the key in the query string.
        Err(_) => match params::read(req.query_string(), None, b"") {
            Ok(query) => api_key(req, &query)?,
            // The query itself is refused: its plain `api_key`, if any, still says who asks,
            // so that the refusal is a 422 for a caller and a 401 for anyone else.
            Err(_) => {
                let mut sent = params::plain_values(req.query_string(), "api_key");
                sent.extend(bearer(req));
                sent.sort();
                sent.dedup();
                match sent.as_slice() {
                    [] => None,
                    [key] => Some(key.clone()),
                    _ => return Err(ApiError::Unauthorized),
                }
            }
        },
    };
    let caller = state.curricula.authenticate(key.as_deref()).await?;
    crate::http::telemetry::record_tenant(req, caller.tenant);
    Ok((params?.values, caller))
}
fn bearer(req: &HttpRequest) -> Option<String> {
    let header = req.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = header.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned())
}

/// The one credential of a request: `api_key` from the parameters or a Bearer token.
///
/// An `api_key` sent as an array or a hash (`api_key[]=…`, `api_key[0]=…`), sent twice with
/// different values, or beside a different Bearer token is refused (401) rather than guessed at.
fn api_key(req: &HttpRequest, params: &params::Params) -> Result<Option<String>, ApiError> {
    let unauthorized = || ApiError::Unauthorized;
    if params.repeated.iter().any(|name| name == "api_key") {
        return Err(unauthorized());
    }
    let from_params = match params.values.get("api_key") {
        Some(Value::String(key)) => Some(key.clone()),
        Some(_) => return Err(unauthorized()),
        None => None,
    };
    match (from_params, bearer(req)) {
        (Some(a), Some(b)) if a != b => Err(unauthorized()),
        (Some(key), _) | (None, Some(key)) => Ok(Some(key)),
        (None, None) => Ok(None),
    }
}

/// A positive id written as plain digits (`+1`, ` 1` and `01x` name nothing).
pub fn path_id(raw: &str) -> Option<i64> {
    if raw.is_empty() || raw.len() > 18 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    raw.parse::<i64>().ok().filter(|id| *id > 0)
}
