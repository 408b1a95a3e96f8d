//! The served OpenAPI document: structurally valid OpenAPI 3.1, and no registered route missing
//! from it (nor any documented operation missing from the app).

use crate::helpers::TestApp;
use actix_web::{App, HttpRequest, test, web};
use serde_json::Value;
use std::collections::{BTreeSet, HashSet};

const METHODS: [&str; 6] = ["get", "head", "post", "put", "patch", "delete"];

/// The full path patterns of the leaves of actix's resource map, read from its `Debug` form
/// (actix offers no public listing): scopes are prefixes of the patterns nested in them.
fn leaf_patterns(debug: &str) -> Vec<String> {
    let lines: Vec<&str> = debug.lines().collect();
    let mut stack: Vec<(usize, String)> = Vec::new();
    let mut leaves = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.trim() != "patterns: Single(" {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let pattern = lines[i + 1].trim().trim_end_matches(',').trim_matches('"').to_owned();
        let is_prefix = lines[i + 3].trim() == "is_prefix: true,";
        while stack.last().is_some_and(|(d, _)| *d >= indent) {
            stack.pop();
        }
        let full: String = stack
            .iter()
            .map(|(_, p)| p.as_str())
            .chain([pattern.as_str()])
            .collect();
        if is_prefix {
            stack.push((indent, pattern));
        } else {
            leaves.push(full);
        }
    }
    leaves
}

fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                out.push(r.clone());
            }
            map.values().for_each(|v| refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[actix_web::test]
async fn the_document_is_valid_openapi_3_1() {
    let t = TestApp::new().await;
    let app = test::init_service(curricula_server::app::app(t.state.clone())).await;
    let res = test::call_service(&app, test::TestRequest::get().uri("/openapi.json").to_request()).await;
    assert_eq!(res.status(), 200);
    let doc: Value = test::read_body_json(res).await;
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1."),
        "{}",
        doc["openapi"]
    );
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
    assert_eq!(schemes["api_key"]["in"], "query");
    assert_eq!(schemes["api_key"]["name"], "api_key");
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    let mut operation_ids = HashSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        assert!(path.starts_with('/'), "{path}");
        for (method, op) in item.as_object().unwrap() {
            assert!(METHODS.contains(&method.as_str()), "{method} {path}");
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            assert!(operation_ids.insert(id.to_owned()), "operationId {id} is repeated");
            let responses = op["responses"].as_object().unwrap();
            assert!(!responses.is_empty(), "{method} {path} has no responses");
            for (status, response) in responses {
                let code: u16 = status
                    .parse()
                    .unwrap_or_else(|_| panic!("{method} {path}: status {status}"));
                assert!((100..600).contains(&code));
                assert!(
                    response["description"].is_string(),
                    "{method} {path} {status}: no description"
                );
            }
            // Every `{param}` of the path is declared as a required path parameter.
            for segment in path.split('/').filter(|s| s.starts_with('{')) {
                let name = segment.trim_matches(|c| c == '{' || c == '}');
                let declared = op["parameters"].as_array().is_some_and(|ps| {
                    ps.iter()
                        .any(|p| p["name"] == name && p["in"] == "path" && p["required"] == true)
                });
                assert!(declared, "{method} {path}: path parameter {name} not declared");
            }
        }
    }
    let mut all_refs = Vec::new();
    refs(&doc, &mut all_refs);
    assert!(!all_refs.is_empty());
    for r in all_refs {
        let pointer = r.strip_prefix('#').unwrap_or_else(|| panic!("external $ref {r}"));
        assert!(doc.pointer(pointer).is_some(), "$ref {r} does not resolve");
    }
    // Both error shapes are documented.
    let upload_400 = &doc["paths"]["/api/activityupload/new"]["post"]["responses"]["400"];
    assert!(upload_400.to_string().contains("UploadErrorBody"));
    let schemas = &doc["components"]["schemas"];
    assert_eq!(schemas["UploadErrorBody"]["required"][0], "errorMessage");
    assert_eq!(schemas["V2Errors"]["type"], "array");
    assert_eq!(
        doc["paths"]["/api/activityupload/new"]["post"]["requestBody"]["content"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["multipart/form-data"]
    );
    let create = &doc["paths"]["/api/v2/curriculum_activities"]["post"]["requestBody"]["content"];
    assert!(create["application/json"].is_object());
    assert!(
        create["application/x-www-form-urlencoded"]["schema"]["properties"]
            ["curriculum_activity[sequence_attributes][control_mode]"]
            .is_object()
    );
}

#[actix_web::test]
async fn every_registered_route_is_documented() {
    let t = TestApp::new().await;
    let doc = curricula_server::openapi::document();
    let app = test::init_service(
        App::new()
            .route(
                "/__routes",
                web::get().to(|req: HttpRequest| async move { format!("{:#?}", req.resource_map()) }),
            )
            .configure(curricula_server::app::configure(t.state.clone())),
    )
    .await;
    let debug = test::call_and_read_body(&app, test::TestRequest::get().uri("/__routes").to_request()).await;
    let patterns: BTreeSet<String> = leaf_patterns(std::str::from_utf8(&debug).unwrap())
        .into_iter()
        .filter(|p| p != "/__routes")
        .collect();
    assert!(
        patterns.contains("/api/v2/curriculum_activities/{id}/update_position"),
        "{patterns:?}"
    );
    // A method is registered on a pattern when the app does not answer 405 for it.
    let mut registered = BTreeSet::new();
    for pattern in &patterns {
        let uri = pattern.replace("{id}", "1");
        for method in METHODS {
            let req = test::TestRequest::default()
                .method(method.to_uppercase().parse().unwrap())
                .uri(&uri)
                .insert_header(("content-type", "application/json"))
                .set_payload("{}")
                .to_request();
            let res = test::call_service(&app, req).await;
            if res.status() != 405 {
                // `{path:.*}` (a segment matching a regex) is `{path}` in the document.
                let documented_as = pattern.replace(":.*}", "}");
                registered.insert(format!("{} {documented_as}", method.to_uppercase()));
            }
        }
    }
    let documented: BTreeSet<String> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |m| format!("{} {path}", m.to_uppercase()))
        })
        .collect();
    let missing: Vec<_> = registered.difference(&documented).collect();
    assert!(missing.is_empty(), "routes missing from /openapi.json: {missing:?}");
    let phantom: Vec<_> = documented.difference(&registered).collect();
    assert!(phantom.is_empty(), "documented but not served: {phantom:?}");
    assert!(registered.len() >= 14, "{registered:?}");
}

#[actix_web::test]
async fn the_docs_page_is_self_contained_html() {
    let t = TestApp::new().await;
    let app = test::init_service(curricula_server::app::app(t.state.clone())).await;
    let res = test::call_service(&app, test::TestRequest::get().uri("/docs").to_request()).await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = String::from_utf8(test::read_body(res).await.to_vec()).unwrap();
    assert!(html.contains("/api/v2/curriculum_activities/{id}/update_position"));
    assert!(html.contains("/api/activityupload/new"));
    for external in ["<script src", "<link", "http://", "https://"] {
        assert!(!html.contains(external), "the page refers to {external}");
    }
}

#[actix_web::test]
async fn another_method_on_a_known_path_is_405_with_allow() {
    let t = TestApp::new().await;
    let app = test::init_service(curricula_server::app::app(t.state.clone())).await;
    let req = test::TestRequest::default()
        .method(actix_web::http::Method::TRACE)
        .uri("/api/v2/curriculum_activities/3")
        .to_request();
    let res = test::call_service(&app, req).await;
    assert_eq!(res.status(), 405);
    assert_eq!(res.headers().get("allow").unwrap(), "DELETE, PATCH, PUT");
    let body: Value = test::read_body_json(res).await;
    assert!(body.is_array(), "v2 errors are arrays: {body}");
    let res = test::call_service(
        &app,
        test::TestRequest::get().uri("/api/activityupload/new").to_request(),
    )
    .await;
    assert_eq!(res.status(), 405);
    let body: Value = test::read_body_json(res).await;
    assert!(body["errorMessage"].is_string());
}

/// Found by schemathesis: a page number near `usize::MAX` overflowed the offset and panicked;
/// later, that one above the int64 the API describes was accepted. The largest page number is an
/// empty page, one more a 422.
#[actix_web::test]
async fn a_huge_page_number_is_an_empty_page() {
    let t = TestApp::new().await;
    for path in [
        "/api/v2/activities",
        "/api/v2/curriculum_activities",
        "/api/v2/users",
        "/api/v2/enrollments",
    ] {
        let uri = format!("{path}?api_key={}&page=9223372036854775807", crate::helpers::KEY);
        let (status, body) = t.v2("GET", &uri, "application/json", "").await;
        assert_eq!((status, body), (200, serde_json::json!([])), "{path}");
        let uri = format!("{path}?api_key={}&page=9223372036854775808", crate::helpers::KEY);
        let (status, body) = t.v2("GET", &uri, "application/json", "").await;
        assert_eq!(
            (status, body),
            (422, serde_json::json!(["page must be a positive integer"])),
            "{path}"
        );
    }
}

/// actix answers an oversized v2 body itself; the answer still has the v2 error shape.
#[actix_web::test]
async fn an_oversized_v2_body_is_413_with_an_array() {
    let t = TestApp::new().await;
    let body = format!(r#"{{"curriculum_activity": {{"name": "{}"}}}}"#, "a".repeat(300 * 1024));
    let uri = format!("/api/v2/curriculum_activities?api_key={}", crate::helpers::KEY);
    let (status, body) = t.v2("POST", &uri, "application/json", &body).await;
    assert_eq!(status, 413);
    assert_eq!(
        body,
        serde_json::json!(["the request body is larger than the limit of this endpoint"])
    );
}
