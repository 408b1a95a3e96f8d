//! The routing rule of content hosts (see [`crate::http::origins`]): a content host serves
//! content only, the API's host no content.

use crate::http::origins::serves;
use crate::state::AppState;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};

/// The routing rule by host: a path that the request's site does not serve is a 404 in the
/// shape of the API the path belongs to, before any handler runs.
///
/// # Errors
/// Those of the rest of the chain.
pub async fn host_routing(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let refused = match req.app_data::<web::Data<AppState>>() {
        Some(state) => {
            let origin = state.origin_of(req.request());
            !serves(state.site_of(origin.as_ref()), req.path())
        }
        None => false,
    };
    if refused {
        let message = "no such endpoint";
        let response = if req.path().starts_with("/api/v2/") {
            HttpResponse::NotFound().json(vec![message])
        } else {
            HttpResponse::NotFound().json(serde_json::json!({ "errorMessage": message }))
        };
        return Ok(req.into_response(response).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}
