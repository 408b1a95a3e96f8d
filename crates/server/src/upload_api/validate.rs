//! `POST /api/activityupload/validate`: a dry run of `/new` or `/addlanguage`.
//!
//! The same form, authentication and checks (the service's `check_create`/`check_add`, the
//! code path of the real requests), the package verified exactly as it would be unpacked;
//! nothing is stored and no upload metric is counted.

use super::{Admitted, UploadApiError, add_command, admit, create_command};
use crate::app::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use curricula_service::{PackageReport, Validation};
use serde_json::{Value, json};

/// A dry-run failure: answered exactly as the real request would be, but not counted.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct DryRunError(#[from] UploadApiError);

impl ResponseError for DryRunError {
    fn status_code(&self) -> StatusCode {
        self.0.status_code()
    }

    fn error_response(&self) -> HttpResponse {
        self.0.respond(false)
    }
}

/// Dry run: checks a `/new` (or, with `activityId` and `languageId`, an `/addlanguage`) request
/// without storing anything.
///
/// Answers 200 with the outcome of every check the real request makes, in its order, and the
/// full inspection report of the package; or the very 400 the real request would get.
#[utoipa::path(
    post, path = "/api/activityupload/validate", tag = "Activity Upload API",
    request_body(content = crate::openapi::ValidateForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "Every check passed; nothing was stored", body = crate::openapi::ValidationReport),
        (status = 400, description = "The error the real request would get: a field is missing, repeated or malformed, refers to nothing of the tenant, or the package is refused", body = crate::openapi::UploadErrorBody),
        (status = 401, description = "The key is unknown, not bound to an origin, or bound to another origin", body = crate::openapi::UploadErrorBody),
        (status = 413, description = "The body is larger than `upload.max_bytes`", body = crate::openapi::UploadErrorBody),
        (status = 500, description = "Unexpected failure; the message carries a timestamp to quote to support", body = crate::openapi::UploadErrorBody),
        (status = 503, description = "The database is unreachable; retry later", body = crate::openapi::UploadErrorBody),
    )
)]
pub(super) async fn validate(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, DryRunError> {
    let Admitted { form, actor, _slot } = admit(&req, payload, &state).await?;
    let caller = actor.caller;
    // Either field says which check is meant; a missing other one is then named as missing.
    let is_add = form.optional("activityId").is_some() || form.optional("languageId").is_some();
    let validation = if is_add {
        let command = add_command(&form)?;
        state.uploads.validate_add_language(caller, &command).await
    } else {
        let command = create_command(&form)?;
        state.uploads.validate_create(caller, &command).await
    }
    .map_err(UploadApiError::from)?;
    Ok(HttpResponse::Ok().json(report(&validation)))
}

/// The 200 body.
fn report(v: &Validation) -> Value {
    json!({
        "valid": true,
        "operation": v.operation,
        "checks": v.checks,
        "package": v.package.as_ref().map(package),
    })
}

fn package(p: &PackageReport) -> Value {
    package_json(Some(&p.sha256), Some(p.size), &p.inspection)
}

/// A package as `/validate` reports it (camelCase); `curricula inspect` prints the same.
pub fn package_json(sha256: Option<&str>, size: Option<u64>, i: &curricula_scorm::Inspection) -> Value {
    json!({
        "sha256": sha256,
        "size": size,
        "scormVersion": i.scorm_version,
        "title": i.title,
        "description": i.description,
        "launchUrl": i.launch_href,
        "masteryScore": i.mastery_score,
        "completionThreshold": i.completion_threshold,
        "scoCount": i.sco_count,
        "itemCount": i.item_count,
        "fileCount": i.file_count,
        "totalBytes": i.total_uncompressed_bytes,
        "items": i.items,
        "warnings": i.warnings,
    })
}
