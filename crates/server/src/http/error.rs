//! The error shapes of the APIs: a v2 failure is an array of messages, a 5xx carries no
//! internal detail (the cause is logged). A leaf: handlers and guards import it.

use actix_web::http::StatusCode;
use actix_web::http::header::ETAG;
use actix_web::{HttpResponse, ResponseError};
use curricula_domain::curriculum::CurriculumErrors;
use curricula_params::ParamsError;
use curricula_ports::{PathTag, StoreError};
use curricula_service::learners::LearnerError;
use curricula_service::player::LaunchError;
use curricula_service::{AuthError, V2Error, WriteError};
use serde::Serialize;
use utoipa::ToSchema;

/// Logs a 5xx once, with its whole `source()` chain.
pub fn log_server_error(error: &(dyn std::error::Error + 'static)) {
    let chain = curricula_service::error_chain(error);
    tracing::error!(error = %chain, "request failed: {chain}");
}

/// The message a 5xx answers with: no internal detail, a timestamp to quote to support (the
/// cause is in the log, written by [`log_server_error`]).
pub fn server_error_message(unavailable: bool) -> String {
    if unavailable {
        "the service is temporarily unavailable; retry later".to_owned()
    } else {
        format!(
            "unexpected server error at {}; contact support with this timestamp",
            chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ")
        )
    }
}

/// The status and message of a store failure, logged and counted once.
pub fn store_failure(error: &StoreError) -> (StatusCode, String) {
    log_server_error(error);
    let unavailable = matches!(error, StoreError::Unavailable(_));
    crate::metrics::metrics().record_server_error(if unavailable {
        "database_unavailable"
    } else {
        "database"
    });
    let status = if unavailable {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    (status, server_error_message(unavailable))
}

/// v2 failures: an array of messages, each naming the field or parameter.
#[derive(Serialize, ToSchema)]
#[schema(example = json!(["curriculum_id 99 does not exist"]))]
pub struct V2Errors(pub Vec<String>);

/// Every Activity Upload API failure.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UploadErrorBody {
    /// What is wrong, naming the field (`"parentActivityId 99 is not a course"`).
    pub error_message: String,
}

/// A v2 failure as an HTTP response: its status and [`V2Errors`].
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No key, an unknown one, or an ambiguous credential (401).
    #[error("invalid api_key")]
    Unauthorized,
    /// The record or activity in the URL is not the caller's (404).
    #[error("{0}")]
    NotFound(String),
    /// Refused; one message per problem (422).
    #[error("{}", .0.join("; "))]
    Unprocessable(Vec<String>),
    /// `If-Match` names another version of the path than its current one (412, with the
    /// current `ETag`).
    #[error("the path changed since the ETag given in If-Match; its current ETag is {}", crate::http::etag::etag(.0.path, .0.version))]
    PreconditionFailed(PathTag),
    /// The body is larger than the operation takes (413).
    #[error("{0}")]
    TooLarge(String),
    /// The store failed (503 when unreachable, else 500).
    #[error(transparent)]
    Store(StoreError),
}

impl From<V2Error> for ApiError {
    fn from(e: V2Error) -> Self {
        match e {
            V2Error::Unauthorized => Self::Unauthorized,
            V2Error::NotFound(m) => Self::NotFound(m),
            V2Error::Unprocessable(m) => Self::Unprocessable(m),
            V2Error::Store(s) => Self::Store(s),
        }
    }
}

impl From<LearnerError> for ApiError {
    fn from(e: LearnerError) -> Self {
        match e {
            LearnerError::UserNotFound(_) | LearnerError::EnrollmentNotFound(_) => Self::NotFound(e.to_string()),
            LearnerError::Store(s) => Self::Store(s),
            other => Self::Unprocessable(other.messages()),
        }
    }
}

impl From<LaunchError> for ApiError {
    fn from(e: LaunchError) -> Self {
        match e {
            LaunchError::Unauthorized => Self::Unauthorized,
            LaunchError::NotFound(_) => Self::NotFound(e.to_string()),
            LaunchError::Refused(m) => Self::Unprocessable(vec![m]),
            LaunchError::Store(s) => Self::Store(s),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Unauthorized => Self::Unauthorized,
            AuthError::Store(s) => Self::Store(s),
        }
    }
}

impl From<ParamsError> for ApiError {
    fn from(e: ParamsError) -> Self {
        Self::Unprocessable(vec![e.to_string()])
    }
}

impl From<CurriculumErrors> for ApiError {
    /// 404 when the record is not the caller's, else 422 with every message.
    fn from(e: CurriculumErrors) -> Self {
        if e.is_not_found() {
            Self::NotFound(e.messages().join("; "))
        } else {
            Self::Unprocessable(e.messages())
        }
    }
}

impl From<WriteError> for ApiError {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::PathNotFound(_) => Self::Unprocessable(vec![e.to_string()]),
            WriteError::VersionMismatch { current } => Self::PreconditionFailed(current),
            WriteError::Refused(errors) => errors.into(),
            WriteError::Store(s) => Self::Store(s),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Store(StoreError::Unavailable(_)) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let messages = match self {
            Self::Unauthorized => vec!["invalid api_key".to_owned()],
            Self::NotFound(m) => vec![m.clone()],
            Self::Unprocessable(m) => m.clone(),
            Self::TooLarge(m) => vec![m.clone()],
            Self::PreconditionFailed(current) => {
                return HttpResponse::build(self.status_code())
                    .insert_header((ETAG, crate::http::etag::etag(current.path, current.version)))
                    .json(V2Errors(vec![self.to_string()]));
            }
            Self::Store(e) => vec![store_failure(e).1],
        };
        HttpResponse::build(self.status_code()).json(V2Errors(messages))
    }
}

// The response sets the v2 operations share in the OpenAPI document.

/// What any v2 call may answer besides its own responses: 401, 500, 503.
#[derive(utoipa::IntoResponses)]
pub enum V2Failures {
    /// No key, an unknown one, or an ambiguous credential.
    #[response(status = 401, description = "Missing or unknown key: `[\"invalid api_key\"]`")]
    Unauthorized(V2Errors),
    /// A 5xx.
    #[response(status = 500, description = "Unexpected failure (timestamp to quote to support)")]
    Unexpected(V2Errors),
    /// The database is unreachable.
    #[response(status = 503, description = "The database is unreachable; retry later")]
    Unavailable(V2Errors),
}

/// What any upload API call may answer besides its own responses: 401, 413, 500, 503.
#[derive(utoipa::IntoResponses)]
pub enum UploadFailures {
    /// The key is unusable for this origin.
    #[response(
        status = 401,
        description = "The key is unknown, not bound to an origin, or bound to another origin"
    )]
    Unauthorized(UploadErrorBody),
    /// The body is too large.
    #[response(status = 413, description = "The body is larger than `upload.max_bytes`")]
    TooLarge(UploadErrorBody),
    /// A 5xx.
    #[response(
        status = 500,
        description = "Unexpected failure; the message carries a timestamp to quote to support"
    )]
    Unexpected(UploadErrorBody),
    /// The database is unreachable.
    #[response(status = 503, description = "The database is unreachable; retry later")]
    Unavailable(UploadErrorBody),
}

/// What an upload API write may answer besides its own responses: 409 (its `Idempotency-Key`
/// is busy).
#[derive(utoipa::IntoResponses)]
#[response(
    status = 409,
    description = "A request with the same `Idempotency-Key` is still running; retry shortly"
)]
pub struct UploadBusy(pub UploadErrorBody);

/// 422 for a call whose parameters or attributes are refused.
#[derive(utoipa::IntoResponses)]
#[response(status = 422, description = "Refused: each message names the parameter or attribute")]
pub struct V2Refused(pub V2Errors);

/// 404 for a call on a record (or activity) of another tenant, or of none.
#[derive(utoipa::IntoResponses)]
#[response(status = 404, description = "The id in the path is not a record of the tenant")]
pub struct V2NotFound(pub V2Errors);

/// What a v2 write may answer besides its own responses: 409 (its `Idempotency-Key` is busy).
#[derive(utoipa::IntoResponses)]
#[response(
    status = 409,
    description = "A request with the same `Idempotency-Key` is still running; retry shortly"
)]
pub struct V2Busy(pub V2Errors);

/// 412 for a write whose `If-Match` is not the path's current `ETag`.
#[derive(utoipa::IntoResponses)]
#[response(
    status = 412,
    description = "`If-Match` names another version of the path: nothing was written; the `ETag` header is the current one",
    headers(("ETag" = String, description = "The path's current version"))
)]
pub struct V2Stale(pub V2Errors);

/// 413 for a v2 body over 256 KiB.
#[derive(utoipa::IntoResponses)]
#[response(status = 413, description = "The body is larger than 256 KiB")]
pub struct V2TooLarge(pub V2Errors);

#[cfg(test)]
mod tests {
    use super::*;
    use curricula_domain::curriculum::CurriculumError;
    use curricula_domain::{ActivityId, RecordId};

    #[test]
    fn write_errors_are_rendered_with_their_status_and_message() {
        let blank = ApiError::from(WriteError::from(CurriculumError::Blank {
            attribute: "curriculum_id",
        }));
        assert_eq!(blank.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(blank.to_string(), "curriculum_id can't be blank");
        let path = ApiError::from(WriteError::PathNotFound(ActivityId(9)));
        assert_eq!(path.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(path.to_string(), "curriculum_id 9 is not a path of your account");
        let missing = ApiError::from(WriteError::from(CurriculumError::RecordNotFound(RecordId(7))));
        assert_eq!(missing.status_code(), StatusCode::NOT_FOUND);
    }
}
