//! `GET /api/v2/imports/{id}`: where an asynchronous import is (docs/API.md, "Asynchronous
//! imports").

use super::bodies::timestamp;
use super::shared::only_parameters;
use crate::http::error::{ApiError, V2Failures, V2NotFound, V2Refused};
use crate::http::params::{path_id, read};
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use curricula_ports::{Import, ImportId};
use serde::Serialize;
use utoipa::ToSchema;

/// Registers the route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v2/imports/{id}", web::get().to(show_import));
}

/// An import job, as `GET /api/v2/imports/{id}` answers it and its `import.finished` event
/// holds it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportRecord {
    /// The job's id (the `importId` of the 202).
    pub id: i64,
    /// `queued`, `running`, `succeeded` or `failed`.
    pub status: &'static str,
    /// The activity written, once succeeded.
    #[serde(rename = "activityId")]
    pub activity_id: Option<i64>,
    /// Why it failed: the `errorMessage` the synchronous call would answer.
    #[serde(rename = "errorMessage")]
    pub error_message: Option<String>,
    /// The package's inspection warnings, once succeeded.
    pub warnings: Vec<String>,
    /// When it was submitted.
    pub created_at: String,
    /// When it finished.
    pub finished_at: Option<String>,
}

impl From<&Import> for ImportRecord {
    fn from(job: &Import) -> Self {
        Self {
            id: job.id.0,
            status: job.status.as_str(),
            activity_id: job.activity.map(|a| a.0),
            error_message: job.error.clone(),
            warnings: job.warnings.clone(),
            created_at: timestamp(&job.created_at),
            finished_at: job.finished_at.as_ref().map(timestamp),
        }
    }
}

/// Where an asynchronous import is, and how it ended.
#[utoipa::path(
    get, path = "/api/v2/imports/{id}", tag = "Activity Upload API", operation_id = "show_import",
    security(("api_key" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "The job id (`importId` of the 202)")),
    responses((status = 200, description = "The job", body = ImportRecord), V2Failures, V2NotFound, V2Refused)
)]
async fn show_import(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (params, caller) = read(&req, &body, &state).await?;
    only_parameters(&params, &[])?;
    let not_found = || ApiError::NotFound(format!("import {path} not found"));
    let id = path_id(&path).map(ImportId).ok_or_else(not_found)?;
    let job = state
        .imports
        .import(caller.tenant, id)
        .await
        .map_err(ApiError::Store)?
        .ok_or_else(not_found)?;
    Ok(HttpResponse::Ok().json(ImportRecord::from(&job)))
}

/// The OpenAPI description of this route.
#[derive(utoipa::OpenApi)]
#[openapi(paths(show_import), components(schemas(ImportRecord)))]
pub struct ApiDoc;
