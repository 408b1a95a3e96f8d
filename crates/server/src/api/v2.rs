//! The Curriculum Activities API (v2): `/api/v2/curriculum_activities`, JSON records, errors as
//! arrays of messages (422, 404), `api_key` in the query string or `Authorization: Bearer`.

pub mod bodies;
pub mod events;
pub mod imports;
pub mod input;
pub mod learner_bodies;
pub mod learner_params;
pub mod learners;
pub mod list_params;
pub mod paths;
pub mod shared;

use shared::{actor, guarded, links};

use crate::http::error::{ApiError, V2Busy, V2Failures, V2NotFound, V2Refused, V2Stale, V2TooLarge};
use crate::http::etag::{etag, if_match};
use crate::http::params::{path_id, read};
use crate::state::AppState;
use actix_web::http::header::ETAG;
use actix_web::{HttpRequest, HttpResponse, web};
use bodies::{ActivityRecord, AuditEventRecord, CurriculumActivity};
use curricula_domain::{Activity, ActivityId, PackageRevision, RecordId};
use curricula_ports::AuditEvent;
use serde_json::Value;

/// Largest v2 body accepted.
const MAX_BODY: usize = 256 * 1024;

/// Registers the v2 routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::PayloadConfig::new(MAX_BODY))
        .route("/api/v2/activities", web::get().to(list_activities))
        .route("/api/v2/activities/{id}", web::get().to(show_activity))
        .route("/api/v2/audit_events", web::get().to(list_audit_events))
        .configure(learners::routes)
        .configure(events::routes)
        .configure(imports::routes)
        .configure(paths::routes)
        .service(
            web::scope("/api/v2/curriculum_activities")
                .route("", web::get().to(list))
                .route("", web::post().to(create))
                .route("/{id}", web::put().to(update))
                .route("/{id}", web::patch().to(update))
                .route("/{id}", web::delete().to(destroy))
                .route("/{id}/update_position", web::put().to(update_position))
                .route("/{id}/update_position", web::patch().to(update_position)),
        );
}

fn record_id(raw: &str) -> Result<RecordId, ApiError> {
    path_id(raw)
        .map(RecordId)
        .ok_or_else(|| ApiError::NotFound(format!("curriculum activity {raw} not found")))
}

/// List: the records of the tenant, 50 per page, or every record of one path.
///
/// Headers `X-Total-Count` and (when paginated) `Link` accompany the plain array. An unknown parameter or filter is a 422.
#[utoipa::path(
    get, path = "/api/v2/curriculum_activities", tag = "Curriculum Activities API", operation_id = "list_curriculum_activities",
    security(("api_key" = []), ("bearer" = [])),
    params(("page" = Option<i64>, Query, minimum = 1, description = "Page number (50 per page); ignored with `curriculum_activity[curriculum_id]`"), ("curriculum_activity[id]" = Option<String>, Query, description = "Exact match"), ("curriculum_activity[name]" = Option<String>, Query, description = "Exact match"), ("curriculum_activity[parent_id]" = Option<String>, Query, description = "Exact match"), ("curriculum_activity[lft]" = Option<String>, Query, description = "Exact match"), ("curriculum_activity[rgt]" = Option<String>, Query, description = "Exact match"), ("curriculum_activity[curriculum_id]" = Option<String>, Query, description = "Only the records of this path (no pagination)"), ("curriculum_activity[course_id]" = Option<String>, Query, description = "Exact match"), ("curriculum_activity[updated_by]" = Option<String>, Query, description = "Exact match"), ("curriculum_activity[updated_on]" = Option<String>, Query, description = "`YYYY-MM-DD` or `YYYY-MM-DD HH:MM:SS`, or a range `a,b`"), ("curriculum_activity[lock_until]" = Option<String>, Query, description = "`YYYY-MM-DD`, or a range `a,b`; empty = none"), ("curriculum_activity[initial_view]" = Option<String>, Query, description = "Exact match"), ("course[id]" = Option<String>, Query, description = "Filter on the path itself"), ("course[name]" = Option<String>, Query, description = "Filter on the path itself"), ("course[kind]" = Option<String>, Query, description = "Filter on the path itself"), ("course[in_catalog]" = Option<String>, Query, description = "Filter on the path itself"), ("course[parent_id]" = Option<String>, Query, description = "Filter on the path itself")),
    responses(
        (status = 200, description = "The records, ordered by path then `lft`", body = Vec<crate::api::v2::bodies::CurriculumActivity>,
            headers(("X-Total-Count" = i64, description = "Records matching over all pages"), ("Link" = String, description = "RFC 8288 page links"))),
        V2Failures, V2Refused,
    )
)]
async fn list(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let (params, caller) = read(&req, &body, &state).await?;
    let (filter, page) = list_params::records(&params).map_err(ApiError::Unprocessable)?;
    let page = state
        .curricula
        .list(caller, &filter, page)
        .await
        .map_err(ApiError::Store)?;
    let body: Vec<CurriculumActivity> = page.records.iter().map(CurriculumActivity::from).collect();
    let mut response = HttpResponse::Ok();
    response.insert_header(("X-Total-Count", page.total.to_string()));
    if page.paginated {
        response.insert_header(("Link", links(&req, page.page, page.last_page())));
    }
    Ok(response.json(body))
}

/// Create: a section (no `course_id`), appended as the path's last section, or an entry, appended to its section.
#[utoipa::path(
    post, path = "/api/v2/curriculum_activities", tag = "Curriculum Activities API", operation_id = "create_curriculum_activity",
    security(("api_key" = []), ("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes the request retry-safe: a repeat with the same key and the same request within the retention window gets the first response again (with `Idempotent-Replayed: true`); see docs/API.md"), ("If-Match" = Option<String>, Header, description = "The path's `ETag`: the write applies only to that version of the path (412 otherwise)")),
    request_body(description = "JSON, or form-encoded with Rails-style keys (`curriculum_activity[name]`); query parameters are merged in", content = crate::api::v2::bodies::CurriculumActivityBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The created record", body = crate::api::v2::bodies::CurriculumActivity,
            headers(("ETag" = String, description = "The path's new version"))),
        V2Failures, V2Busy, V2Refused, V2Stale, V2TooLarge,
    )
)]
async fn create(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let (params, caller) = read(&req, &body, &state).await?;
    let work = async {
        let input = input::record(&params)?;
        let (record, version) = state
            .curricula
            .create(&actor(&req, caller), input, if_match(&req))
            .await?;
        state
            .content
            .player
            .recompute_path_in_background(caller.tenant, record.curriculum_id);
        Ok(HttpResponse::Ok()
            .insert_header((ETAG, etag(record.curriculum_id, version)))
            .json(CurriculumActivity::from(&record)))
    };
    Ok(guarded(&state, &req, &params, caller, work).await)
}

/// Update: the attributes of a record (PUT and PATCH are the same).
///
/// `curriculum_id`, `course_id` and `parent_id` cannot change; a section stays a section.
#[utoipa::path(
    method(put, patch), path = "/api/v2/curriculum_activities/{id}", tag = "Curriculum Activities API", operation_id = "update_curriculum_activity",
    security(("api_key" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "The CurriculumActivity record id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes the request retry-safe: a repeat with the same key and the same request within the retention window gets the first response again (with `Idempotent-Replayed: true`); see docs/API.md"), ("If-Match" = Option<String>, Header, description = "The path's `ETag`: the write applies only to that version of the path (412 otherwise)")),
    request_body(description = "JSON, or form-encoded with Rails-style keys (`curriculum_activity[name]`); query parameters are merged in", content = crate::api::v2::bodies::CurriculumActivityBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The updated record", body = crate::api::v2::bodies::CurriculumActivity,
            headers(("ETag" = String, description = "The path's new version"))),
        V2Failures, V2NotFound, V2Busy, V2Refused, V2Stale, V2TooLarge,
    )
)]
async fn update(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (params, caller) = read(&req, &body, &state).await?;
    let work = async {
        let id = record_id(&path)?;
        let input = input::record(&params)?;
        let (record, version) = state
            .curricula
            .update(&actor(&req, caller), id, input, if_match(&req))
            .await?;
        state
            .content
            .player
            .recompute_path_in_background(caller.tenant, record.curriculum_id);
        Ok(HttpResponse::Ok()
            .insert_header((ETAG, etag(record.curriculum_id, version)))
            .json(CurriculumActivity::from(&record)))
    };
    Ok(guarded(&state, &req, &params, caller, work).await)
}

/// Update Position: moves a record above or below another of the same path, or an entry inside an empty section.
#[utoipa::path(
    method(put, patch), path = "/api/v2/curriculum_activities/{id}/update_position", tag = "Curriculum Activities API", operation_id = "update_curriculum_activity_position",
    security(("api_key" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "The CurriculumActivity record id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes the request retry-safe: a repeat with the same key and the same request within the retention window gets the first response again (with `Idempotent-Replayed: true`); see docs/API.md"), ("If-Match" = Option<String>, Header, description = "The path's `ETag`: the write applies only to that version of the path (412 otherwise)")),
    request_body(description = "JSON (bare keys accepted, as in the API text's example) or form-encoded", content = crate::api::v2::bodies::UpdatePositionBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Moved; empty body", headers(("ETag" = String, description = "The path's new version"))),
        V2Failures, V2NotFound, V2Busy, V2Refused, V2Stale, V2TooLarge,
    )
)]
async fn update_position(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (params, caller) = read(&req, &body, &state).await?;
    let work = async {
        let id = record_id(&path)?;
        let (target, orientation) = input::position(&params)?;
        let (path, version) = state
            .curricula
            .update_position(&actor(&req, caller), id, target, orientation, if_match(&req))
            .await?;
        state.content.player.recompute_path_in_background(caller.tenant, path);
        Ok(HttpResponse::Ok().insert_header((ETAG, etag(path, version))).finish())
    };
    Ok(guarded(&state, &req, &params, caller, work).await)
}

/// Destroy: a record, and with a section every entry in it.
#[utoipa::path(
    delete, path = "/api/v2/curriculum_activities/{id}", tag = "Curriculum Activities API", operation_id = "destroy_curriculum_activity",
    security(("api_key" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "The CurriculumActivity record id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes the request retry-safe: a repeat with the same key and the same request within the retention window gets the first response again (with `Idempotent-Replayed: true`); see docs/API.md"), ("If-Match" = Option<String>, Header, description = "The path's `ETag`: the write applies only to that version of the path (412 otherwise)")),
    responses(
        (status = 200, description = "Destroyed; empty body", headers(("ETag" = String, description = "The path's new version"))),
        V2Failures, V2NotFound, V2Busy, V2Refused, V2Stale,
    )
)]
async fn destroy(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (params, caller) = read(&req, &body, &state).await?;
    let work = async {
        let id = record_id(&path)?;
        let (path, version) = state
            .curricula
            .destroy(&actor(&req, caller), id, if_match(&req))
            .await?;
        state.content.player.recompute_path_in_background(caller.tenant, path);
        Ok(HttpResponse::Ok().insert_header((ETAG, etag(path, version))).finish())
    };
    Ok(guarded(&state, &req, &params, caller, work).await)
}

/// An activity as the v2 read API shows it (an [`ActivityRecord`]); with `revisions` (the
/// single-activity read), each language version lists the package revisions it keeps.
pub fn activity_json(a: &Activity, revisions: Option<&[PackageRevision]>) -> Value {
    crate::http::sorted(&ActivityRecord::new(a, revisions))
}

/// The tenant's activities with their language versions, 50 per page.
#[utoipa::path(
    get, path = "/api/v2/activities", tag = "Activities read API", operation_id = "list_activities",
    security(("api_key" = []), ("bearer" = [])),
    params(("page" = Option<i64>, Query, minimum = 1, description = "Page number (50 per page)"), ("activity[id]" = Option<String>, Query, description = "Exact match"), ("activity[name]" = Option<String>, Query, description = "Exact match"), ("activity[kind]" = Option<String>, Query, description = "Exact match"), ("activity[in_catalog]" = Option<String>, Query, description = "Exact match"), ("activity[parent_id]" = Option<String>, Query, description = "Exact match")),
    responses(
        (status = 200, description = "The activities", body = Vec<crate::api::v2::bodies::ActivityRecord>,
            headers(("X-Total-Count" = i64, description = "Activities matching over all pages"), ("Link" = String, description = "RFC 8288 page links"))),
        V2Failures, V2Refused,
    )
)]
async fn list_activities(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (params, caller) = read(&req, &body, &state).await?;
    let (filter, page) = list_params::activities(&params).map_err(ApiError::Unprocessable)?;
    let page = state
        .activities
        .list(caller, &filter, page)
        .await
        .map_err(ApiError::Store)?;
    let last = page.total.div_ceil(curricula_service::curriculum::PAGE_SIZE).max(1);
    let body: Vec<Value> = page.activities.iter().map(|a| activity_json(a, None)).collect();
    Ok(HttpResponse::Ok()
        .insert_header(("X-Total-Count", page.total.to_string()))
        .insert_header(("Link", links(&req, page.page, last)))
        .json(body))
}

/// One activity of the tenant with its language versions.
#[utoipa::path(
    get, path = "/api/v2/activities/{id}", tag = "Activities read API", operation_id = "show_activity",
    security(("api_key" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "The activity id")),
    responses(
        (status = 200, description = "The activity", body = crate::api::v2::bodies::ActivityRecord),
        (status = 422, description = "Refused: a malformed query or body", body = crate::http::error::V2Errors),
        V2Failures, V2NotFound,
    )
)]
async fn show_activity(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (_, caller) = read(&req, &body, &state).await?;
    let id = path_id(&path)
        .map(ActivityId)
        .ok_or_else(|| ApiError::NotFound(format!("activity {path} not found")))?;
    let activity = state.activities.get(caller, id).await?;
    let revisions = state.activities.revisions(caller, id).await?;
    Ok(HttpResponse::Ok().json(activity_json(&activity, Some(&revisions))))
}

/// An audit event as the v2 API shows it (an [`AuditEventRecord`]).
fn audit_json(e: &AuditEvent) -> Value {
    crate::http::sorted(&AuditEventRecord::from(e))
}

/// The audit trail of the tenant: one event per successful write of either API, newest first, 50 per page.
#[utoipa::path(
    get, path = "/api/v2/audit_events", tag = "Audit trail", operation_id = "list_audit_events",
    security(("api_key" = []), ("bearer" = [])),
    params(("page" = Option<i64>, Query, minimum = 1, description = "Page number (50 per page)"), ("audit_event[created_at]" = Option<String>, Query, description = "`YYYY-MM-DD` or `YYYY-MM-DD HH:MM:SS`, or a range `a,b` (inclusive)"), ("audit_event[action]" = Option<String>, Query, description = "One of `activity.create`, `language_version.create`, `package.replace`, `package.rollback`, `curriculum_activity.create`, `curriculum_activity.update`, `curriculum_activity.update_position`, `curriculum_activity.destroy`, `user.create`, `user.update`, `enrollment.create`, `enrollment.destroy`"), ("audit_event[activity_id]" = Option<String>, Query, description = "Events about this activity"), ("audit_event[curriculum_activity_id]" = Option<String>, Query, description = "Events about this curriculum record"), ("audit_event[api_key_id]" = Option<String>, Query, description = "Events made with this key")),
    responses(
        (status = 200, description = "The events, newest first", body = Vec<crate::api::v2::bodies::AuditEventRecord>,
            headers(("X-Total-Count" = i64, description = "Events matching over all pages"), ("Link" = String, description = "RFC 8288 page links"))),
        (status = 422, description = "Refused: each message names the parameter or filter", body = crate::http::error::V2Errors),
        V2Failures,
    )
)]
async fn list_audit_events(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (params, caller) = read(&req, &body, &state).await?;
    let (filter, page) = list_params::audit_events(&params).map_err(ApiError::Unprocessable)?;
    let (page, number) = state
        .events
        .audit(caller, &filter, page)
        .await
        .map_err(ApiError::Store)?;
    let total = usize::try_from(page.total).unwrap_or(usize::MAX);
    let last = total.div_ceil(curricula_service::curriculum::PAGE_SIZE).max(1);
    let body: Vec<Value> = page.events.iter().map(audit_json).collect();
    Ok(HttpResponse::Ok()
        .insert_header(("X-Total-Count", page.total.to_string()))
        .insert_header(("Link", links(&req, number, last)))
        .json(body))
}

/// The OpenAPI description of these routes.
#[derive(utoipa::OpenApi)]
#[openapi(
    components(schemas(crate::http::error::V2Errors)),
    paths(
        list,
        create,
        update,
        update_position,
        destroy,
        list_activities,
        show_activity,
        list_audit_events
    )
)]
pub struct ApiDoc;
