//! What the upload handlers and the import jobs share: the request's fields, the spooled
//! file, the commands the fields make, the error answer, and the metrics of an ingest.

use super::intake::{Busy, Stalled};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use curricula_domain::{ActivityId, ActivityKind, InvalidField, LanguageCode, Name, Organisations, Placement};
use curricula_ports::StoreError;
use curricula_service::{
    AddLanguage, CreateActivity, EarlyExtraction, Package, PackageSource, ReadSeek, ReplacePackage, UploadError,
};
use std::collections::HashMap;
use std::io;
use std::sync::Arc;

/// An Upload API failure, answered as `{"errorMessage": "..."}`.
#[derive(Debug, thiserror::Error)]
pub enum UploadApiError {
    /// The body crossed the limit.
    #[error("the request body is larger than the {0} byte limit")]
    TooLarge(u64),
    /// The body is not usable multipart/form-data.
    #[error("the request body is not valid multipart/form-data: {0}")]
    Malformed(String),
    /// A field is missing or malformed.
    #[error(transparent)]
    Field(#[from] InvalidField),
    /// A part is repeated, too long or not text; the message names it.
    #[error("{0}")]
    Part(String),
    /// The use case refused or failed.
    #[error(transparent)]
    Upload(#[from] UploadError),
    /// Spooling the file failed.
    #[error("storing the uploaded file failed")]
    Spool(#[source] io::Error),
    /// The `file` part came before the credentials.
    #[error("key and origin must be sent before file: put every text field before the file part")]
    FileBeforeCredentials,
    /// Too many uploads at once.
    #[error("{0}")]
    Busy(Busy, u64),
    /// The body stopped arriving or arrives too slowly.
    #[error("{0}")]
    Stalled(Stalled),
}

impl ResponseError for UploadApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Malformed(_) | Self::Field(_) | Self::Part(_) | Self::FileBeforeCredentials => {
                StatusCode::BAD_REQUEST
            }
            Self::Busy(..) => StatusCode::TOO_MANY_REQUESTS,
            Self::Stalled(_) => StatusCode::REQUEST_TIMEOUT,
            Self::Spool(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Upload(e) => match e {
                UploadError::Unauthorized => StatusCode::UNAUTHORIZED,
                UploadError::Store(StoreError::Unavailable(_)) => StatusCode::SERVICE_UNAVAILABLE,
                UploadError::Store(_) | UploadError::Storage(_) => StatusCode::INTERNAL_SERVER_ERROR,
                _ => StatusCode::BAD_REQUEST,
            },
        }
    }

    fn error_response(&self) -> HttpResponse {
        self.respond(true)
    }
}

impl UploadApiError {
    /// The error response; `count_refusal` = false for a dry run, which counts nothing.
    pub(crate) fn respond(&self, count_refusal: bool) -> HttpResponse {
        let status = self.status_code();
        let metrics = crate::metrics::metrics();
        if let Self::Upload(UploadError::Package(refusal)) = self
            && count_refusal
        {
            metrics.record_refusal(refusal.kind.as_str());
        }
        if status.is_server_error() {
            metrics.record_server_error(match self {
                Self::Upload(UploadError::Store(StoreError::Unavailable(_))) => "database_unavailable",
                Self::Upload(UploadError::Store(_)) => "database",
                Self::Upload(UploadError::Storage(_)) => "blob_store",
                Self::Spool(_) => "spool",
                _ => "other",
            });
        }
        let message = if status.is_server_error() {
            crate::http::error::log_server_error(self);
            crate::http::error::server_error_message(status == StatusCode::SERVICE_UNAVAILABLE)
        } else {
            self.to_string()
        };
        let mut response = HttpResponse::build(status);
        if let Self::Busy(_, retry_after) = self {
            response.insert_header((actix_web::http::header::RETRY_AFTER, retry_after.to_string()));
            metrics.record_turned_away(match self {
                Self::Busy(Busy::Instance(_), _) => "busy_instance",
                _ => "busy_tenant",
            });
        }
        if let Self::Stalled(_) = self {
            metrics.record_turned_away("stalled_body");
            // The caller stopped sending: say so, and do not wait for the rest.
            response.insert_header((actix_web::http::header::CONNECTION, "close"));
        }
        response.json(serde_json::json!({ "errorMessage": message }))
    }
}

/// A spooled upload, with what was extracted while it arrived; the file is deleted when the
/// last handle goes (and an extraction no ingest claimed is undone).
pub(crate) struct SpooledFile {
    pub(crate) early: Option<Arc<EarlyExtraction>>,
    pub(crate) path: tempfile::TempPath,
}

impl PackageSource for SpooledFile {
    fn open(&self) -> io::Result<Box<dyn ReadSeek>> {
        Ok(Box::new(std::fs::File::open(&self.path)?))
    }

    fn early(&self) -> Option<Arc<EarlyExtraction>> {
        self.early.clone()
    }
}

/// The fields of one upload request.
pub(crate) struct UploadForm {
    pub(crate) fields: HashMap<String, String>,
    pub(crate) file: Option<Package>,
}

impl UploadForm {
    pub(crate) fn required(&self, field: &'static str) -> Result<&str, InvalidField> {
        self.fields
            .get(field)
            .map(String::as_str)
            .ok_or_else(|| InvalidField::new(field, "is required"))
    }

    pub(crate) fn optional(&self, field: &str) -> Option<&str> {
        self.fields.get(field).map(String::as_str)
    }
}

/// Runs an upload use case; when it carries a package, counts its bytes and times the ingest.
pub(crate) async fn timed_ingest<T>(
    endpoint: &str,
    package_bytes: Option<u64>,
    use_case: impl std::future::Future<Output = Result<T, UploadError>>,
) -> Result<T, UploadError> {
    let Some(bytes) = package_bytes else {
        return use_case.await;
    };
    let metrics = crate::metrics::metrics();
    metrics.record_upload_bytes(bytes);
    let started = std::time::Instant::now();
    let result = use_case.await;
    let outcome = match &result {
        Ok(_) => "ok",
        Err(UploadError::Package(_)) => "refused",
        Err(_) => "error",
    };
    metrics.observe_ingest(endpoint, outcome, started.elapsed().as_secs_f64());
    result
}

/// `externalId`: optional; when sent, the same rules as a name (1 to 255 characters, no
/// control characters).
pub(crate) fn external_id(form: &UploadForm) -> Result<Option<String>, InvalidField> {
    form.optional("externalId")
        .map(|raw| Name::parse("externalId", raw).map(Name::into_string))
        .transpose()
}

pub(crate) fn parse_id(form: &UploadForm, field: &'static str) -> Result<ActivityId, InvalidField> {
    let raw = form.required(field)?.trim();
    match raw.parse::<i64>() {
        Ok(id) if id > 0 => Ok(ActivityId(id)),
        _ => Err(InvalidField::new(field, format!("{raw:?} is not a positive integer"))),
    }
}

/// The fields of `/new` (also checked by `/validate`).
pub(crate) fn create_command(form: &UploadForm) -> Result<CreateActivity, UploadApiError> {
    // A user name follows the rules of a name: trimmed, 1 to 255 characters, no control or
    // bidirectional override characters.
    let user_name = Name::parse("userName", form.required("userName")?)?.into_string();
    Ok(CreateActivity {
        kind: ActivityKind::parse(form.required("activityType")?)?,
        name: Name::parse("name", form.required("name")?)?,
        user_name,
        organisations: Organisations::parse(form.optional("organisationIds"))?,
        placement: Placement::parse(form.optional("parentActivityId"))?,
        package: form.file.clone(),
        external_id: external_id(form)?,
    })
}

/// The fields of `/addlanguage` (also checked by `/validate`).
pub(crate) fn add_command(form: &UploadForm) -> Result<AddLanguage, UploadApiError> {
    Ok(AddLanguage {
        activity: parse_id(form, "activityId")?,
        language: LanguageCode::parse("languageId", form.required("languageId")?)?,
        name: Name::parse("name", form.required("name")?)?,
        package: form.file.clone(),
    })
}

/// The fields of `/replace`.
pub(crate) fn replace_command(form: &UploadForm) -> Result<ReplacePackage, UploadApiError> {
    Ok(ReplacePackage {
        activity: parse_id(form, "activityId")?,
        language: LanguageCode::parse("languageId", form.required("languageId")?)?,
        package: form
            .file
            .clone()
            .ok_or_else(|| InvalidField::new("file", "is required"))?,
    })
}
