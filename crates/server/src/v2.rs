//! Shared plumbing of the v2 JSON APIs: the `api_key` (query string or `Authorization:
//! Bearer`), the error shapes (422 and 404 as arrays of messages, 401), and record rendering.

use actix_web::http::StatusCode;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use curricula_domain::curriculum::CurriculumRecord;
use curricula_ports::StoreError;
use serde_json::{Value, json};

/// A v2 failure.
#[derive(Debug, thiserror::Error)]
pub enum V2Error {
    /// No key, or an unknown one.
    #[error("invalid api_key")]
    Unauthorized,
    /// The id in the path is not the caller's.
    #[error("{0}")]
    NotFound(String),
    /// The request is refused; one message per problem.
    #[error("{}", .0.join("; "))]
    Unprocessable(Vec<String>),
    /// The database is unreachable.
    #[error("the database is unavailable")]
    Unavailable(#[source] StoreError),
    /// Anything else that is not the caller's fault.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl From<StoreError> for V2Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(_) => Self::Unavailable(e),
            other => Self::Internal(Box::new(other)),
        }
    }
}

impl V2Error {
    /// A 422 with one message.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::Unprocessable(vec![message.into()])
    }
}

impl ResponseError for V2Error {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let messages = match self {
            Self::Unauthorized => vec!["invalid api_key".to_owned()],
            Self::NotFound(m) => vec![m.clone()],
            Self::Unprocessable(m) => m.clone(),
            Self::Unavailable(_) => {
                crate::app::log_server_error(self);
                vec!["the service is temporarily unavailable; retry later".to_owned()]
            }
            Self::Internal(_) => {
                crate::app::log_server_error(self);
                vec![format!(
                    "unexpected server error at {}; contact support with this timestamp",
                    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ")
                )]
            }
        };
        HttpResponse::build(self.status_code()).json(messages)
    }
}

/// The API key of a v2 request: `api_key` in the merged parameters, else a Bearer token.
pub fn api_key(req: &HttpRequest, params: &serde_json::Map<String, Value>) -> Option<String> {
    if let Some(Value::String(key)) = params.get("api_key") {
        return Some(key.clone());
    }
    let header = req.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = header.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned())
}

/// A curriculum record as the v2 API shows it.
pub fn record_json(r: &CurriculumRecord) -> Value {
    json!({
        "id": r.id,
        "name": r.name,
        "parent_id": r.parent_id,
        "lft": r.lft,
        "rgt": r.rgt,
        "curriculum_id": r.curriculum_id,
        "course_id": r.course_id,
        "account_id": r.account_id,
        "updated_by": r.updated_by,
        "updated_on": r.updated_on.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        "due_days": r.due_days,
        "weight": r.weight,
        "exempt_if_mastered": r.exempt_if_mastered,
        "description": r.description,
        "lock_until": r.lock_until.map(|d| d.format("%Y-%m-%d").to_string()),
        "code": r.code,
        "initial_view": r.initial_view,
        "required_for_specified_control_mode": r.required_for_specified_control_mode,
        "skip_interstitial_page": r.skip_interstitial_page,
        "sequence_attributes": {
            "control_mode": r.control_mode,
            "completions_min": r.completions_min,
            "attempts_max": r.attempts_max,
        },
    })
}
