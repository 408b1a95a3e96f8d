//! Operational endpoints: health, readiness, metrics.

use crate::helpers::{KEY, ORIGIN, Part, TestApp};
use actix_web::test;
use async_trait::async_trait;
use bytes::Bytes;
use curricula_ports::{BlobError, BlobInfo, BlobKey, BlobMeta, BlobStore, BlobStream};
use serde_json::{Value, json};
use std::io::Read;
use std::sync::Arc;

/// A blob store that cannot be reached.
struct Unreachable;

#[async_trait]
impl BlobStore for Unreachable {
    fn put_blocking(&self, _: &BlobKey, _: &mut dyn Read, _: &str) -> Result<u64, BlobError> {
        Err(BlobError::Backend("connection refused".into()))
    }
    async fn put(&self, _: &BlobKey, _: Bytes, _: &str) -> Result<(), BlobError> {
        Err(BlobError::Backend("connection refused".into()))
    }
    async fn get(&self, _: &BlobKey) -> Result<Bytes, BlobError> {
        Err(BlobError::Backend("connection refused".into()))
    }
    async fn head(&self, _: &BlobKey) -> Result<BlobInfo, BlobError> {
        Err(BlobError::Backend("connection refused".into()))
    }
    async fn get_stream(&self, _: &BlobKey, _: Option<std::ops::Range<u64>>) -> Result<BlobStream, BlobError> {
        Err(BlobError::Backend("connection refused".into()))
    }
    async fn list(&self, _: &BlobKey) -> Result<Vec<BlobMeta>, BlobError> {
        Err(BlobError::Backend("connection refused".into()))
    }
    async fn delete_prefix(&self, _: &BlobKey) -> Result<usize, BlobError> {
        Err(BlobError::Backend("connection refused".into()))
    }
}

async fn get(t: &TestApp, uri: &str) -> (u16, String) {
    let app = test::init_service(curricula_server::app::app(t.state.clone())).await;
    let res = test::call_service(&app, test::TestRequest::get().uri(uri).to_request()).await;
    let status = res.status().as_u16();
    (status, String::from_utf8(test::read_body(res).await.to_vec()).unwrap())
}

#[actix_web::test]
async fn healthz_and_readyz_answer_when_everything_is_reachable() {
    let t = TestApp::new().await;
    let (status, body) = get(&t, "/healthz").await;
    assert_eq!(
        (status, serde_json::from_str::<Value>(&body).unwrap()),
        (200, json!({"status": "ok"}))
    );
    let (status, body) = get(&t, "/readyz").await;
    assert_eq!(
        (status, serde_json::from_str::<Value>(&body).unwrap()),
        (200, json!({"status": "ok", "database": "ok", "blob_store": "ok"}))
    );
}

#[actix_web::test]
async fn readyz_is_503_naming_the_unreachable_blob_store() {
    let t = TestApp::with(500_000_000, Some(Arc::new(Unreachable))).await;
    let (status, body) = get(&t, "/readyz").await;
    assert_eq!(status, 503);
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        body,
        json!({"status": "unavailable", "database": "ok", "blob_store": "unavailable",
            "blob_store_problem": "the blob store failed: connection refused"})
    );
    assert_eq!(
        get(&t, "/healthz").await.0,
        200,
        "liveness does not depend on the blob store"
    );
}

/// Issue 20: a blob folder that is gone is not ready, and `/readyz` names it (a write would
/// have recreated it silently, an empty one in place of the packages).
#[actix_web::test]
async fn readyz_is_503_naming_a_missing_blob_folder() {
    let t = TestApp::new().await;
    assert_eq!(get(&t, "/readyz").await.0, 200);
    std::fs::remove_dir_all(t.blob_dir()).unwrap();
    let (status, body) = get(&t, "/readyz").await;
    assert_eq!(status, 503, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["blob_store"], "unavailable");
    let problem = body["blob_store_problem"].as_str().unwrap();
    assert!(
        problem.contains(&format!("folder {} does not exist", t.blob_dir().display())),
        "{problem}"
    );
    assert!(!t.blob_dir().exists(), "the check did not recreate the folder");
}

/// Issue 20: the compose file once never created its bucket; `/readyz` said ok and every
/// upload was a 500 logged as "object not found". A missing bucket is now not ready, named,
/// and an upload's error says the bucket does not exist (over a real S3-protocol server).
#[actix_web::test]
async fn a_missing_bucket_is_not_ready_and_uploads_say_why() {
    use curricula_store_blob::{ObjectBlobStore, testing};
    let Some(endpoint) = testing::s3_endpoint("a_missing_bucket_is_not_ready_and_uploads_say_why") else {
        return;
    };
    let bucket = format!("never-created-{}", std::process::id());
    let store = ObjectBlobStore::open_with(&format!("s3://{bucket}/content"), &testing::options(&endpoint)).unwrap();
    let store: Arc<dyn BlobStore> = Arc::new(store);
    let t = TestApp::with(500_000_000, Some(Arc::clone(&store))).await;
    let (status, body) = get(&t, "/readyz").await;
    assert_eq!(status, 503, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    let problem = body["blob_store_problem"].as_str().unwrap();
    assert!(
        problem.starts_with(&format!(
            "the blob store failed: bucket \"{bucket}\" (prefix \"content\") at {endpoint} does not exist: create it"
        )),
        "{problem}"
    );
    assert!(
        !problem.contains("<?xml"),
        "the backend's XML stays out of the answer: {problem}"
    );
    let err = store
        .put(
            &BlobKey::new("packages/1/x/index.html").unwrap(),
            Bytes::from_static(b"x"),
            "text/html",
        )
        .await
        .unwrap_err();
    let mut chain = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        chain = format!("{chain}: {cause}");
        source = cause.source();
    }
    assert!(
        chain.contains(&format!("bucket \"{bucket}\"")) && chain.contains("does not exist"),
        "{chain}"
    );

    testing::create_bucket_named(&endpoint, &bucket);
    let (status, body) = get(&t, "/readyz").await;
    assert_eq!(status, 200, "ready once the bucket exists: {body}");
}

async fn scorm(t: &TestApp, parent: &str, file: &[u8]) -> (u16, Value) {
    let parts = [
        Part::Text("key", KEY),
        Part::Text("origin", ORIGIN),
        Part::Text("activityType", "scorm"),
        Part::Text("name", "Package"),
        Part::Text("userName", "jon.jonsson"),
        Part::Text("parentActivityId", parent),
        Part::File("file", file),
    ];
    t.post("/api/activityupload/new", &parts).await
}

/// The value of the sample with exactly these labels, 0 when absent.
fn sample(text: &str, name_and_labels: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name_and_labels)?.trim().parse().ok())
        .unwrap_or(0.0)
}

#[actix_web::test]
async fn metrics_count_requests_by_route_pattern_uploads_refusals_and_errors() {
    let t = TestApp::new().await;
    let (_, before) = get(&t, "/metrics").await;
    let course = t.course("Path").await;
    let package = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/hse-presentation.zip"
    ))
    .unwrap();
    assert_eq!(scorm(&t, &course.to_string(), &package).await.0, 201);
    let not_scorm = crate::helpers::zip_of(&[("index.html", b"<html></html>")]);
    let (status, body) = scorm(&t, "", &not_scorm).await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = t
        .v2(
            "PUT",
            &format!("/api/v2/curriculum_activities/999?api_key={KEY}"),
            "application/json",
            r#"{"curriculum_activity": {"name": "x"}}"#,
        )
        .await;
    assert_eq!(status, 404);
    let (status, text) = get(&t, "/metrics").await;
    assert_eq!(status, 200);
    // The test app's pool: 4 connections at most, at least one opened by now.
    assert_eq!(
        sample(&text, r#"curricula_db_pool_connections{state="max"}"#),
        4.0,
        "{text}"
    );
    assert!(sample(&text, r#"curricula_db_pool_connections{state="open"}"#) >= 1.0);
    let delta = |name: &str| sample(&text, name) - sample(&before, name);
    // The registry is the process's: tests running alongside may add to it, never subtract.
    assert!(
        delta(r#"curricula_http_requests_total{method="POST",route="/api/activityupload/new",status="201"}"#) >= 2.0,
        "the course and the package\n{text}"
    );
    assert!(
        delta(r#"curricula_http_requests_total{method="PUT",route="/api/v2/curriculum_activities/{id}",status="404"}"#)
            >= 1.0,
        "the route pattern, not the raw path"
    );
    assert!(
        !text.contains("curriculum_activities/999"),
        "raw paths never become labels"
    );
    assert!(
        delta(
            r#"curricula_http_request_duration_seconds_count{method="PUT",route="/api/v2/curriculum_activities/{id}"}"#
        ) >= 1.0
    );
    assert!(delta("curricula_upload_bytes_total") >= package.len() as f64);
    assert!(delta(r#"curricula_ingest_duration_seconds_count{endpoint="new",outcome="ok"}"#) >= 1.0);
    assert!(
        delta(r#"curricula_packages_refused_total{kind="no_manifest"}"#) >= 1.0,
        "{text}"
    );
}

#[actix_web::test]
async fn a_blob_store_failure_is_counted_by_source() {
    let t = TestApp::with(500_000_000, Some(Arc::new(Unreachable))).await;
    let (_, before) = get(&t, "/metrics").await;
    let package = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/hse-presentation.zip"
    ))
    .unwrap();
    let parts = [
        Part::Text("key", KEY),
        Part::Text("origin", ORIGIN),
        Part::Text("activityType", "scorm"),
        Part::Text("name", "Package"),
        Part::Text("userName", "jon.jonsson"),
        Part::File("file", &package),
    ];
    let (status, _) = t.post("/api/activityupload/new", &parts).await;
    assert_eq!(status, 500);
    let (_, after) = get(&t, "/metrics").await;
    let name = r#"curricula_server_errors_total{source="blob_store"}"#;
    assert!(sample(&after, name) - sample(&before, name) >= 1.0, "{after}");
}

/// Issue 20: `GET /` was a 404; it points to the API description: a browser is redirected to
/// `/docs`, other clients get where it is.
#[actix_web::test]
async fn the_root_points_to_the_docs() {
    let t = TestApp::new().await;
    let app = test::init_service(curricula_server::app::app(t.state.clone())).await;
    let browser = test::TestRequest::get()
        .uri("/")
        .insert_header(("accept", "text/html,application/xhtml+xml,*/*;q=0.8"))
        .to_request();
    let res = test::call_service(&app, browser).await;
    assert_eq!(res.status().as_u16(), 302);
    assert_eq!(res.headers().get("location").unwrap(), "/docs");
    let res = test::call_service(&app, test::TestRequest::get().uri("/").to_request()).await;
    assert_eq!(res.status().as_u16(), 200);
    let body: Value = serde_json::from_slice(&test::read_body(res).await).unwrap();
    assert_eq!(body, json!({"docs": "/docs", "openapi": "/openapi.json"}));
    assert_eq!(get(&t, "/docs").await.0, 200);
}
