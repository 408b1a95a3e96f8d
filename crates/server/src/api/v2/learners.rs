//! The v2 users and enrollments: `/api/v2/users`, `/api/v2/enrollments`, and the launch of an
//! enrollment (a signed player URL).

use super::learner_bodies::{EnrollmentLaunch, EnrollmentRecord, ProgressRecord, UserRecord};
use super::learner_params;
use super::shared::{actor, guarded, links, only_parameters};
use crate::http::error::{ApiError, V2Busy, V2Failures, V2NotFound, V2Refused, V2TooLarge};
use crate::http::params::{path_id, read};
use crate::http::sorted;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use curricula_domain::{ActivityId, EnrollmentId, UserId};
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
    )
    .route("/api/v2/curricula/{id}/progress", web::get().to(path_progress));
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
        let user = state.learners.create_user(&actor(&req, caller), &input).await?;
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
    only_parameters(&params, &[])?;
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
        let user = state.learners.update_user(&actor(&req, caller), id, &input).await?;
        Ok(HttpResponse::Ok().json(sorted(&UserRecord::from(&user))))
    };
    Ok(guarded(&state, &req, &params, caller, work).await)
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
        let enrollment = state.learners.enroll(&actor(&req, caller), user, course).await?;
        Ok(HttpResponse::Ok().json(sorted(&EnrollmentRecord::from(&enrollment))))
    };
    Ok(guarded(&state, &req, &params, caller, work).await)
}

/// One enrollment, with the current attempt (`runtime`) of a SCORM enrollment, or the
/// sections and entries (`sections`) of a path enrollment as the learner stands in them.
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
    only_parameters(&params, &[])?;
    let id = enrollment_id(&path)?;
    let enrollment = state.learners.enrollment(caller, id).await?;
    if let Some((progress, stored)) = state
        .content
        .player
        .path_progress(caller, &enrollment)
        .await
        .map_err(ApiError::Store)?
    {
        let mut record = EnrollmentRecord::from(&stored);
        record.sections = Some(super::learner_bodies::SectionRecord::of(&progress));
        return Ok(HttpResponse::Ok().json(sorted(&record)));
    }
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
        state.learners.unenroll(&actor(&req, caller), id).await?;
        Ok(HttpResponse::Ok().finish())
    };
    Ok(guarded(&state, &req, &params, caller, work).await)
}

/// Launch an enrollment: a signed player URL bound to it and to the attempt it opens (the
/// running one, else the next).
#[utoipa::path(
    get, path = "/api/v2/enrollments/{id}/launch", tag = "Learners", operation_id = "launch_enrollment",
    security(("api_key" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "The enrollment id"), ("language" = Option<String>, Query, description = "Culture code for a new attempt; default: the enrollment's last language, the tenant's default language when the activity has it, else its first version"), ("entry_id" = Option<i64>, Query, description = "A path enrollment: the entry (curriculum record id) to launch; a 422 says why when the path's rules forbid it")),
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
        if !matches!(key.as_str(), "api_key" | "language" | "entry_id" | "format") {
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
    let entry = learner_params::entry_id(&params).unwrap_or_else(|e| {
        problems.push(e);
        None
    });
    let id = enrollment_id(&path)?;
    if !problems.is_empty() {
        return Err(ApiError::Unprocessable(problems));
    }
    let Some(base) = crate::api::content::launch_base(&state, &req, caller.tenant) else {
        return Ok(crate::api::content::no_launch_host());
    };
    let launch = state
        .content
        .player
        .launch(caller, id, language.as_deref(), entry)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(sorted(&EnrollmentLaunch {
            launch_url: format!("{base}{}{}", crate::api::player::PLAYER_PATH, launch.token),
            expires_at: launch.expires_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            attempt: launch.attempt,
        })))
}

/// Every learner enrolled in path `id`: the path enrollment's status, success, score, entries
/// completed (or exempt) of the total, first completion. JSON (50 per page, by enrollment id) or
/// CSV (`format=csv`: every learner).
#[utoipa::path(
    get, path = "/api/v2/curricula/{id}/progress", tag = "Learners", operation_id = "path_progress",
    security(("api_key" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "The path (course) id"), ("page" = Option<i64>, Query, minimum = 1, description = "Page number (50 per page; JSON only)"), ("format" = Option<String>, Query, description = "`json` (default) or `csv`")),
    responses(
        (status = 200, description = "The learners' progress (CSV: `text/csv`, a header row, every learner)", body = Vec<ProgressRecord>,
            headers(("X-Total-Count" = i64, description = "Learners enrolled"), ("Link" = String, description = "RFC 8288 page links"))),
        V2Failures, V2NotFound, V2Refused,
    )
)]
async fn path_progress(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (params, caller) = read(&req, &body, &state).await?;
    let (page, csv) = learner_params::progress(&params).map_err(ApiError::Unprocessable)?;
    let not_found = || ApiError::NotFound(format!("curriculum {} not found", path.as_str()));
    let id = path_id(&path).map(ActivityId).ok_or_else(not_found)?;
    let player = &state.content.player;
    if !csv {
        let page = player
            .path_report(caller, id, page)
            .await
            .map_err(ApiError::Store)?
            .ok_or_else(not_found)?;
        return Ok(page_response(&req, &page, |r| ProgressRecord::from(r)));
    }
    let mut out = String::from(
        "enrollment_id,user_id,username,status,success,score,entries_completed,entries_total,completed_on\r\n",
    );
    let mut page = 1;
    loop {
        let rows = player
            .path_report(caller, id, page)
            .await
            .map_err(ApiError::Store)?
            .ok_or_else(not_found)?;
        for r in rows.items.iter().map(ProgressRecord::from) {
            let score = r.score.map(|s| s.to_string()).unwrap_or_default();
            out.push_str(&format!(
                "{},{},{},{},{},{},{},{},{}\r\n",
                r.enrollment_id,
                r.user_id,
                csv_field(&r.username),
                r.status,
                r.success,
                score,
                r.entries_completed,
                r.entries_total,
                r.completed_on.unwrap_or_default()
            ));
        }
        if page >= rows.last_page() {
            break;
        }
        page += 1;
    }
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(out))
}

/// A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break; a leading
/// `=`, `+`, `-` or `@` is prefixed with `'` so that a spreadsheet does not run it.
fn csv_field(raw: &str) -> String {
    let safe = if raw.starts_with(['=', '+', '-', '@']) {
        format!("'{raw}")
    } else {
        raw.to_owned()
    };
    if safe.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", safe.replace('"', "\"\""))
    } else {
        safe
    }
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
    launch_enrollment,
    path_progress
))]
pub struct ApiDoc;

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(csv_field("anna"), "anna");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=1+1"), "'=1+1");
        assert_eq!(csv_field("-x,y"), "\"'-x,y\"");
    }
}
