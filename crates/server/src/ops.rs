//! Operational endpoints: `/healthz` (the process answers).

use actix_web::{HttpResponse, web};

/// Registers the operational routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz));
}

/// Liveness: the process answers; checks nothing else.
#[utoipa::path(
    get, path = "/healthz", tag = "Operations",
    responses((status = 200, description = "Alive", body = crate::openapi::Alive))
)]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// The OpenAPI description of these routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(healthz))]
pub struct ApiDoc;
