//! The v2 users and enrollments: `/api/v2/users`, `/api/v2/enrollments`, and the launch of an
//! enrollment (a signed player URL).

use super::learner_bodies::{EnrollmentLaunch, EnrollmentRecord, UserRecord};
use super::learner_params;
use super::shared::{guarded, links};
use crate::http::error::{ApiError, V2Busy, V2Failures, V2NotFound, V2Refused, V2TooLarge};
use crate::http::params::{path_id, read};
use crate::http::sorted;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use curricula_domain::{EnrollmentId, UserId};
use curricula_service::learners::Page;
use serde::Serialize;
use serde_json::Value;

/// Registers the routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v2/users")
            .route("", web::get().to(list_users))
            .route("", web::post().to(create_user))
            .route("/{id}", web::get().to(show_user))
            .route("/{id}", web::put().to(update_user))
            .route("/{id}", web::patch().to(update_user)),
    )
    .service(
        web::scope("/api/v2/enrollments")
            .route("", web::get().to(list_enrollments))
            .route("", web::post().to(create_enrollment))
            .route("/{id}", web::get().to(show_enrollment))
            .route("/{id}", web::delete().to(destroy_enrollment))
            .route("/{id}/launch", web::get().to(launch_enrollment)),
    );
}

fn user_id(raw: &str) -> Result<UserId, ApiError> {
    path_id(raw)
        .map(UserId)
        .ok_or_else(|| ApiError::NotFound(format!("user {raw} not found")))
}

fn enrollment_id(raw: &str) -> Result<EnrollmentId, ApiError> {
    path_id(raw)
        .map(EnrollmentId)
        .ok_or_else(|| ApiError::NotFound(format!("enrollment {raw} not found")))
}

/// A page of a list: the plain array with `X-Total-Count` and `Link`.
fn page_response<T, B: Serialize>(req: &HttpRequest, page: &Page<T>, body: impl Fn(&T) -> B) -> HttpResponse {
    let items: Vec<Value> = page.items.iter().map(|item| sorted(&body(item))).collect();
    HttpResponse::Ok()
        .insert_header(("X-Total-Count", page.total.to_string()))
        .insert_header(("Link", links(req, page.page, page.last_page())))
        .json(items)
}

/// The tenant's users, by id, 50 per page.
#[utoipa::path(
    get, path = "/api/v2/users", tag = "Learners", operation_id = "list_users",
    security(("api_key" = []), ("bearer" = [])),
    params(("page" = Option<i64>, Query, minimum = 1, description = "Page number (50 per page)"), ("user[username]" = Option<String>, Query, description = "Exact match"), ("user[code]" = Option<String>, Query, description = "Exact match"), ("user[updated_on]" = Option<String>, Query, description = "`YYYY-MM-DD` or `YYYY-MM-DD HH:MM:SS`, or a range `a,b`")),
    responses(
        (status = 200, description = "The users", body = Vec<UserRecord>,
            headers(("X-Total-Count" = i64, description = "Users matching over all pages"), ("Link" = String, description = "RFC 8288 page links"))),
        V2Failures, V2Refused,
    )
)]
async fn list_users(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let (params, caller) = read(&req, &body, &state).await?;
    let (filter, page) = learner_params::users(&params).map_err(ApiError::Unprocessable)?;
    let page = state
        .learners
        .users(caller, &filter, page)
        .await
        .map_err(ApiError::Store)?;
    Ok(page_response(&req, &page, |u| UserRecord::from(u)))
}

/// Create a user.
#[utoipa::path(
    post, path = "/api/v2/users", tag = "Learners", operation_id = "create_user",
    security(("api_key" = []), ("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes the request retry-safe; see docs/API.md")),
    request_body(description = "JSON, or form-encoded with Rails-style keys (`user[username]`)", content = super::learner_bodies::UserBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The created user", body = UserRecord),
        V2Failures, V2Busy, V2Refused, V2TooLarge,
    )
)]
async fn create_user(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let (params, caller) = read(&req, &body, &state).await?;
    let work = async {
        let input = learner_params::user(&params).map_err(ApiError::Unprocessable)?;
        let user = state.learners.create_user(caller, &input).await?;
        Ok(HttpResponse::Ok().json(sorted(&UserRecord::from(&user))))
    };
    Ok(guarded(&state, &req, &params, caller, work).await)
}

/// One user.
#[utoipa::path(
    get, path = "/api/v2/users/{id}", tag = "Learners", operation_id = "show_user",
    security(("api_key" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "The user id")),
    responses((status = 200, description = "The user", body = UserRecord), V2Failures, V2NotFound, V2Refused)
)]
async fn show_user(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (params, caller) = read(&req, &body, &state).await?;
    no_parameters(&params)?;
    let user = state.learners.user(caller, user_id(&path)?).await?;
    Ok(HttpResponse::Ok().json(sorted(&UserRecord::from(&user))))
}

/// Update a user's profile (PUT and PATCH are the same: what is sent changes).
#[utoipa::path(
    method(put, patch), path = "/api/v2/users/{id}", tag = "Learners", operation_id = "update_user",
    security(("api_key" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "The user id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes the request retry-safe; see docs/API.md")),
    request_body(description = "JSON, or form-encoded with Rails-style keys; `username`, when sent, must be the user's own", content = super::learner_bodies::UserBody, content_type = "application/json"),
    responses((status = 200, description = "The updated user", body = UserRecord), V2Failures, V2NotFound, V2Busy, V2Refused, V2TooLarge)
)]
async fn update_user(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (params, caller) = read(&req, &body, &state).await?;
    let work = async {
        let id = user_id(&path)?;
        let input = learner_params::user(&params).map_err(ApiError::Unprocessable)?;
        let user = state.learners.update_user(caller, id, &input).await?;
        Ok(HttpResponse::Ok().json(sorted(&UserRecord::from(&user))))
    };
    Ok(guarded(&state, &req, &params, caller, work).await)
}

/// Refuses every parameter but `api_key` and `format` (a single read takes none).
fn no_parameters(params: &serde_json::Map<String, Value>) -> Result<(), ApiError> {
    let unknown: Vec<String> = params
        .keys()
        .filter(|k| !matches!(k.as_str(), "api_key" | "format"))
        .map(|k| format!("{k} is not a known parameter"))
        .collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Unprocessable(unknown))
    }
}

/// The tenant's enrollments, by id, 50 per page.
#[utoipa::path(
    get, path = "/api/v2/enrollments", tag = "Learners", operation_id = "list_enrollments",
    security(("api_key" = []), ("bearer" = [])),
    params(("page" = Option<i64>, Query, minimum = 1, description = "Page number (50 per page)"), ("enrollment[user_id]" = Option<String>, Query, description = "Exact match"), ("enrollment[course_id]" = Option<String>, Query, description = "Exact match"), ("enrollment[status]" = Option<String>, Query, description = "`not-started`, `in-progress` or `completed`"), ("enrollment[updated_on]" = Option<String>, Query, description = "`YYYY-MM-DD` or `YYYY-MM-DD HH:MM:SS`, or a range `a,b`"), ("enrollment[completed_on]" = Option<String>, Query, description = "The first completion: `YYYY-MM-DD` or `YYYY-MM-DD HH:MM:SS`, or a range `a,b`")),
    responses(
        (status = 200, description = "The enrollments (without `runtime`: the single read has it)", body = Vec<EnrollmentRecord>,
            headers(("X-Total-Count" = i64, description = "Enrollments matching over all pages"), ("Link" = String, description = "RFC 8288 page links"))),
        V2Failures, V2Refused,
    )
)]
async fn list_enrollments(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (params, caller) = read(&req, &body, &state).await?;
    let (filter, page) = learner_params::enrollments(&params).map_err(ApiError::Unprocessable)?;
    let page = state
        .learners
        .enrollments(caller, &filter, page)
        .await
        .map_err(ApiError::Store)?;
    Ok(page_response(&req, &page, |e| EnrollmentRecord::from(e)))
}

/// Enroll a user in a SCORM activity or a path (one enrollment per user and course).
#[utoipa::path(
    post, path = "/api/v2/enrollments", tag = "Learners", operation_id = "create_enrollment",
    security(("api_key" = []), ("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes the request retry-safe; see docs/API.md")),
    request_body(description = "JSON, or form-encoded with Rails-style keys (`enrollment[user_id]`)", content = super::learner_bodies::EnrollmentBody, content_type = "application/json"),
    responses((status = 200, description = "The enrollment", body = EnrollmentRecord), V2Failures, V2Busy, V2Refused, V2TooLarge)
)]
async fn create_enrollment(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (params, caller) = read(&req, &body, &state).await?;
    let work = async {
        let (user, course) = learner_params::enrollment(&params).map_err(ApiError::Unprocessable)?;
        let enrollment = state.learners.enroll(caller, user, course).await?;
        Ok(HttpResponse::Ok().json(sorted(&EnrollmentRecord::from(&enrollment))))
    };
    Ok(guarded(&state, &req, &params, caller, work).await)
}

/// One enrollment, with the current attempt (`runtime`) of a SCORM enrollment.
#[utoipa::path(
    get, path = "/api/v2/enrollments/{id}", tag = "Learners", operation_id = "show_enrollment",
    security(("api_key" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "The enrollment id")),
    responses((status = 200, description = "The enrollment", body = EnrollmentRecord), V2Failures, V2NotFound, V2Refused)
)]
async fn show_enrollment(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (params, caller) = read(&req, &body, &state).await?;
    no_parameters(&params)?;
    let id = enrollment_id(&path)?;
    let enrollment = state.learners.enrollment(caller, id).await?;
    let mut record = EnrollmentRecord::from(&enrollment);
    if let Some(progress) = state
        .content
        .player
        .progress(caller, &enrollment)
        .await
        .map_err(ApiError::Store)?
    {
        record.revision = Some(progress.revision);
        record.runtime = Some(super::learner_bodies::RuntimeRecord::from(&progress));
    }
    Ok(HttpResponse::Ok().json(sorted(&record)))
}

/// Unenroll: the enrollment and its attempts are removed.
#[utoipa::path(
    delete, path = "/api/v2/enrollments/{id}", tag = "Learners", operation_id = "destroy_enrollment",
    security(("api_key" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "The enrollment id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes the request retry-safe; see docs/API.md")),
    responses((status = 200, description = "Removed; empty body"), V2Failures, V2NotFound, V2Busy, V2Refused)
)]
async fn destroy_enrollment(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (params, caller) = read(&req, &body, &state).await?;
    let work = async {
        let id = enrollment_id(&path)?;
        state.learners.unenroll(caller, id).await?;
        Ok(HttpResponse::Ok().finish())
    };
    Ok(guarded(&state, &req, &params, caller, work).await)
}

/// Launch an enrollment: a signed player URL bound to it and to the attempt it opens (the
/// running one, else the next).
#[utoipa::path(
    get, path = "/api/v2/enrollments/{id}/launch", tag = "Learners", operation_id = "launch_enrollment",
    security(("api_key" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "The enrollment id"), ("language" = Option<String>, Query, description = "Culture code for a new attempt; default: the enrollment's last language, the tenant's default language when the activity has it, else its first version")),
    responses(
        (status = 200, description = "The signed, expiring player URL", body = EnrollmentLaunch),
        (status = 400, description = "content.public_base_url is not set and the request's Host is not a valid host name", body = crate::http::error::V2Errors),
        V2Failures, V2NotFound, V2Refused,
    )
)]
async fn launch_enrollment(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (params, caller) = read(&req, &body, &state).await?;
    let mut problems = Vec::new();
    for key in params.keys() {
        if !matches!(key.as_str(), "api_key" | "language" | "format") {
            problems.push(format!("{key} is not a known parameter"));
        }
    }
    let language = match params.get("language") {
        None | Some(Value::Null) => None,
        Some(Value::String(code)) => Some(code.clone()),
        Some(_) => {
            problems.push("language must be a culture code such as en-GB".to_owned());
            None
        }
    };
    let id = enrollment_id(&path)?;
    if !problems.is_empty() {
        return Err(ApiError::Unprocessable(problems));
    }
    let Some(base) = crate::api::content::launch_base(&state, &req, caller.tenant) else {
        return Ok(crate::api::content::no_launch_host());
    };
    let launch = state.content.player.launch(caller, id, language.as_deref()).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(sorted(&EnrollmentLaunch {
            launch_url: format!("{base}{}{}", crate::api::player::PLAYER_PATH, launch.token),
            expires_at: launch.expires_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            attempt: launch.attempt,
        })))
}

/// The OpenAPI description of these routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    list_users,
    create_user,
    show_user,
    update_user,
    list_enrollments,
    create_enrollment,
    show_enrollment,
    destroy_enrollment,
    launch_enrollment
))]
pub struct ApiDoc;
