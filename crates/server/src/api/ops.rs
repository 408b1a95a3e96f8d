//! Operational endpoints: `/healthz` (the process answers), `/readyz` (the database and the
//! blob store answer) and `/metrics` (Prometheus text).

use crate::state::AppState;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

/// Registers the operational routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(root))
        .route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz))
        .route("/metrics", web::get().to(metrics));
}

/// The root points to the API description: a browser (`Accept: text/html`) is redirected to
/// `/docs`; other clients get a small JSON body naming `/docs` and `/openapi.json`.
#[utoipa::path(
    get, path = "/", tag = "Operations",
    responses(
        (status = 200, description = "Where the API description is", body = Root,
            example = json!({"docs": "/docs", "openapi": "/openapi.json"})),
        (status = 302, description = "A browser (Accept: text/html) is sent to /docs",
            headers(("Location" = String, description = "/docs"))),
    )
)]
async fn root(req: actix_web::HttpRequest) -> HttpResponse {
    let body = json!({ "docs": "/docs", "openapi": "/openapi.json" });
    let browser = req
        .headers()
        .get(actix_web::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if browser {
        HttpResponse::Found()
            .insert_header((actix_web::http::header::LOCATION, "/docs"))
            .json(body)
    } else {
        HttpResponse::Ok().json(body)
    }
}

/// Liveness: the process answers; checks nothing else.
#[utoipa::path(
    get, path = "/healthz", tag = "Operations",
    responses((status = 200, description = "Alive", body = Alive))
)]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// Readiness: one cheap request to the database, and a small write and delete in the blob
/// store (so a missing bucket or folder, or one that refuses writes, is not ready).
///
/// 503 names the dependency that did not answer; the blob store's problem (which bucket or
/// folder, what is wrong) is returned in `blob_store_problem`, the database's cause is logged.
#[utoipa::path(
    get, path = "/readyz", tag = "Operations",
    responses(
        (status = 200, description = "Both dependencies answered", body = Readiness,
            example = json!({"status": "ok", "database": "ok", "blob_store": "ok"})),
        (status = 503, description = "At least one dependency did not answer", body = Readiness,
            example = json!({"status": "unavailable", "database": "ok", "blob_store": "unavailable",
                "blob_store_problem": "the blob store failed: bucket \"curricula\" (prefix \"content\") at http://minio:9000 does not exist: create it …"})),
    )
)]
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let readiness = state.uploads.readiness().await;
    let word = |name: &str, r: &Result<(), String>| match r {
        Ok(()) => "ok",
        Err(e) => {
            tracing::warn!(dependency = name, error = %e, "readiness check failed: {name}: {e}");
            "unavailable"
        }
    };
    let mut body = json!({
        "status": if readiness.is_ready() { "ok" } else { "unavailable" },
        "database": word("database", &readiness.database),
        "blob_store": word("blob_store", &readiness.blob_store),
    });
    // The blob store's problem names the bucket or folder and what is wrong with it (it holds
    // no secret); the database's cause stays in the log.
    if let Err(problem) = &readiness.blob_store {
        body["blob_store_problem"] = problem.as_str().into();
    }
    if readiness.is_ready() {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(
    get, path = "/metrics", tag = "Operations",
    responses((status = 200, description = "Prometheus text format 0.0.4", content_type = "text/plain", body = String))
)]
async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let metrics = crate::metrics::metrics();
    metrics.set_pool(state.database.pool_status());
    metrics.set_deliveries(&state.deliveries);
    metrics.set_event_figures(
        state.events.last_event_id().await.ok(),
        state.webhooks.queue_figures().await.ok(),
    );
    HttpResponse::Ok()
        .content_type(prometheus::TEXT_FORMAT)
        .body(metrics.render())
}

/// The OpenAPI description of these routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(root, healthz, readyz, metrics))]
pub struct ApiDoc;

// ---------------------------------------------------------------- bodies

/// `/`: where the API description is.
#[derive(Serialize, ToSchema)]
pub struct Root {
    /// The HTML description, `/docs`.
    pub docs: String,
    /// The OpenAPI document, `/openapi.json`.
    pub openapi: String,
}

/// `/healthz`: the process answers.
#[derive(Serialize, ToSchema)]
pub struct Alive {
    /// Always `ok`.
    #[schema(example = "ok")]
    pub status: String,
}

/// `/readyz`: whether each dependency answered.
#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// `ok` or `unavailable`.
    pub status: String,
    /// `ok` or what failed (no detail: the log has it).
    pub database: String,
    /// `ok` or what failed.
    pub blob_store: String,
    /// When the blob store is not ready: which bucket or folder, and what is wrong with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blob_store_problem: Option<String>,
}
