//! The OpenAPI 3.1 description of the service, generated with `utoipa` from the handlers'
//! `#[utoipa::path]` attributes and the schema types below, served at `/openapi.json`, and
//! rendered as an offline HTML page at `/docs`.
//!
//! The schema types here only describe the wire format (the handlers build their bodies with
//! `serde_json`); `tests/api/openapi.rs` checks that every registered route is described.

use actix_web::{HttpResponse, web};
use serde_json::{Map, Value, json};
use std::sync::OnceLock;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// Registers `/openapi.json` and `/docs`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/openapi.json", web::get().to(openapi_json))
        .route("/docs", web::get().to(docs_page));
}

// ---------------------------------------------------------------- the document

/// The `api_key` and Bearer security schemes of the v2 API.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::with_description(
                "api_key",
                "Any API key of the tenant (the upload API takes its key in the form instead).",
            ))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("`Authorization: Bearer KEY`, the same keys as `api_key`."))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Curricula",
        description = "E-learning content service: the Activity Upload API (multipart), the Curriculum Activities API and the Activities read API (v2), and the operational endpoints.",
        license(name = "MIT OR Apache-2.0", identifier = "MIT OR Apache-2.0"),
    ),
    paths(openapi_json, docs_page),
    modifiers(&SecuritySchemes),
    tags(
        (name = "Activity Upload API", description = "Multipart uploads of SCORM packages and courses. Errors are `{\"errorMessage\": \"...\"}`."),
        (name = "Curriculum Activities API", description = "The sections and entries of a path (v2). Errors are arrays of messages."),
        (name = "Activities read API", description = "What the tenant uploaded (v2)."),
        (name = "Audit trail", description = "Who changed what, through which key (v2)."),
        (name = "Events", description = "The change feed and the signed webhooks: every change's event, appended in the change's transaction (v2)."),
        (name = "Content delivery", description = "The files of a launched language version, under its signed launch URL (no key: the token is the grant)."),
        (name = "Learners", description = "Users, enrollments, and the SCORM player that records what learners do (v2; the player's pages and commits are on the content origin, under the player token)."),
        (name = "Operations", description = "Health, metrics and this description."),
    )
)]
struct BaseDoc;

/// The whole OpenAPI document (built once).
pub fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = BaseDoc::openapi();
        doc.merge(crate::api::upload::ApiDoc::openapi());
        doc.merge(crate::api::v2::ApiDoc::openapi());
        doc.merge(crate::api::ops::ApiDoc::openapi());
        doc.merge(crate::api::content::ApiDoc::openapi());
        doc.merge(crate::api::v2::learners::ApiDoc::openapi());
        doc.merge(crate::api::v2::paths::ApiDoc::openapi());
        doc.merge(crate::api::v2::events::ApiDoc::openapi());
        doc.merge(crate::api::v2::imports::ApiDoc::openapi());
        doc.merge(crate::api::player::ApiDoc::openapi());
        doc.merge(crate::api::player::assets::ApiDoc::openapi());
        let mut value = serde_json::to_value(&doc).unwrap_or_else(|_| json!({}));
        finish(&mut value);
        value
    })
}

/// Post-processing the derive cannot express: unique operation ids for operations that serve
/// several methods, and a form-encoded variant of every JSON v2 body (Rails-style bracketed keys).
fn finish(doc: &mut Value) {
    let schemas = doc.pointer("/components/schemas").cloned().unwrap_or_else(|| json!({}));
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else { continue };
        let shared: Vec<String> = item.keys().cloned().collect();
        for (method, operation) in item.iter_mut() {
            let id = operation.get("operationId").and_then(Value::as_str).map(str::to_owned);
            if let Some(id) = id
                && shared.len() > 1
                && method == "patch"
            {
                operation["operationId"] = json!(format!("{id}_patch"));
            }
            let json_schema = operation
                .pointer("/requestBody/content/application~1json/schema")
                .cloned();
            if let Some(schema) = json_schema {
                let mut properties = Map::new();
                flatten(&resolve(&schema, &schemas), "", &schemas, &mut properties);
                if let Some(content) = operation
                    .pointer_mut("/requestBody/content")
                    .and_then(Value::as_object_mut)
                {
                    content.insert(
                        "application/x-www-form-urlencoded".into(),
                        json!({ "schema": { "type": "object", "properties": properties } }),
                    );
                }
            }
        }
    }
}

/// `schema` with a top-level `$ref` to a component replaced by the component.
fn resolve(schema: &Value, schemas: &Value) -> Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .strip_prefix("#/components/schemas/")
            .and_then(|name| schemas.get(name))
            .map_or_else(|| schema.clone(), |s| resolve(s, schemas)),
        None => match schema.get("oneOf").and_then(Value::as_array) {
            // `Option<Component>` is `oneOf: [null, $ref]`.
            Some(variants) => variants
                .iter()
                .find(|v| v.get("$ref").is_some())
                .map_or_else(|| schema.clone(), |v| resolve(v, schemas)),
            None => schema.clone(),
        },
    }
}

/// Object properties as form keys: `a[b][c]` → scalar schema.
fn flatten(schema: &Value, prefix: &str, schemas: &Value, out: &mut Map<String, Value>) {
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return;
    };
    for (name, property) in properties {
        let key = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}[{name}]")
        };
        let resolved = resolve(property, schemas);
        if resolved.get("properties").is_some() {
            flatten(&resolved, &key, schemas, out);
        } else {
            // Form values are text; numbers and booleans are read from their text.
            let mut scalar = Map::new();
            scalar.insert("type".into(), json!("string"));
            if let Some(description) = resolved.get("description") {
                scalar.insert("description".into(), description.clone());
            }
            if let Some(values) = resolved.get("enum") {
                scalar.insert("enum".into(), values.clone());
            }
            out.insert(key, Value::Object(scalar));
        }
    }
}

/// This OpenAPI 3.1 document.
#[utoipa::path(
    get, path = "/openapi.json", tag = "Operations",
    responses((status = 200, description = "The OpenAPI 3.1 document of the service", content_type = "application/json", body = Object))
)]
async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(document())
}

/// A human-readable page of this description (self-contained, works offline).
#[utoipa::path(
    get, path = "/docs", tag = "Operations",
    responses((status = 200, description = "An HTML page", content_type = "text/html", body = String))
)]
async fn docs_page() -> HttpResponse {
    static PAGE: OnceLock<String> = OnceLock::new();
    static POLICY: OnceLock<String> = OnceLock::new();
    let page = PAGE.get_or_init(|| crate::docs_page::render(document()));
    let policy = POLICY.get_or_init(|| crate::http::origins::page_policy(page));
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((actix_web::http::header::CONTENT_SECURITY_POLICY, policy.as_str()))
        .body(page.clone())
}

#[cfg(test)]
mod tests {
    use super::document;

    /// Issue 20: the page lists the service's operations in the order a partner uses them
    /// (it listed `/addlanguage` before `/new`, alphabetically).
    #[test]
    fn the_service_page_follows_the_partner_order() {
        let html = crate::docs_page::render(document());
        let at = |method: &str, path: &str| {
            html.find(&format!("<b>{method}</b> {path}</a>"))
                .unwrap_or_else(|| panic!("{method} {path} is not in the page"))
        };
        let order: Vec<usize> = crate::docs_page::PARTNER_ORDER
            .iter()
            .map(|(method, path)| at(&method.to_uppercase(), path))
            .collect();
        let upload = &order[..5];
        assert!(upload.windows(2).all(|w| w[0] < w[1]), "upload API order: {upload:?}");
        let v2 = &order[5..12];
        assert!(v2.windows(2).all(|w| w[0] < w[1]), "v2 order: {v2:?}");
        let read = &order[12..];
        assert!(read.windows(2).all(|w| w[0] < w[1]), "read API order: {read:?}");
    }
}
