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
        json!({"status": "unavailable", "database": "ok", "blob_store": "unavailable"})
    );
    assert_eq!(
        get(&t, "/healthz").await.0,
        200,
        "liveness does not depend on the blob store"
    );
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
