//! `Idempotency-Key` on both APIs: replay, refused reuse, racing duplicates, tenant scope.

use crate::helpers::*;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::test;
use serde_json::Value;

const NEW: &str = "/api/activityupload/new";
const ADD: &str = "/api/activityupload/addlanguage";
const JSON: &str = "application/json";

/// A request with optional `Idempotency-Key`; returns status, JSON body and whether it was replayed.
async fn send(
    app: &TestApp,
    method: &str,
    uri: &str,
    content_type: &str,
    body: Vec<u8>,
    key: Option<&str>,
) -> (u16, Value, bool) {
    let service = test::init_service(curricula_server::app::app(app.state.clone())).await;
    let mut req = test::TestRequest::default()
        .method(method.parse().unwrap())
        .uri(uri)
        .insert_header(("content-type", content_type.to_owned()))
        .set_payload(body);
    if let Some(key) = key {
        req = req.insert_header(("Idempotency-Key", key.to_owned()));
    }
    let res: ServiceResponse<_> = service.call(req.to_request()).await.unwrap();
    let status = res.status().as_u16();
    let replayed = res.headers().get("Idempotent-Replayed").is_some();
    let bytes = test::read_body(res).await;
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null), replayed)
}

async fn upload(app: &TestApp, path: &str, parts: &[Part<'_>], key: Option<&str>) -> (u16, Value, bool) {
    let (content_type, body) = multipart(parts);
    send(app, "POST", path, &content_type, body, key).await
}

fn scorm_parts<'a>(name: &'a str, file: &'a [u8]) -> Vec<Part<'a>> {
    vec![
        Part::Text("key", KEY),
        Part::Text("origin", ORIGIN),
        Part::Text("activityType", "scorm"),
        Part::Text("name", name),
        Part::Text("userName", "jon.jonsson"),
        Part::Text("organisationIds", "81"),
        Part::File("file", file),
    ]
}

async fn a_retry_with_the_same_key_returns_the_same_activity_and_creates_nothing(app: &TestApp) {
    let package = sample_package("hse-presentation.zip");
    let parts = scorm_parts("HSE", &package);
    let (status, first, replayed) = upload(app, NEW, &parts, Some("retry-1")).await;
    assert_eq!(status, 201, "{first}");
    assert!(!replayed);
    let files = app.stored_files();
    let count = app.activity_count().await;

    let (status, again, replayed) = upload(app, NEW, &parts, Some("retry-1")).await;
    assert_eq!((status, &again), (201, &first), "same status, same body");
    assert!(replayed, "a replay says so");
    assert_eq!(app.activity_count().await, count, "no second activity");
    assert_eq!(app.stored_files(), files, "no second copy of the package");

    // Without a key, the seed behaviour: a second activity.
    let (status, other, _) = upload(app, NEW, &parts, None).await;
    assert_eq!(status, 201);
    assert_ne!(other["activityId"], first["activityId"]);

    // A refusal is kept too: the same bad request gets the same 400, nothing runs again.
    let bad = [
        Part::Text("key", KEY),
        Part::Text("origin", ORIGIN),
        Part::Text("activityType", "course"),
        Part::Text("name", "C"),
        Part::Text("userName", "nobody"),
    ];
    let (status, refused, _) = upload(app, NEW, &bad, Some("bad-1")).await;
    assert_eq!(status, 400, "{refused}");
    let (status, again, replayed) = upload(app, NEW, &bad, Some("bad-1")).await;
    assert_eq!((status, again, replayed), (400, refused, true));
}

async fn reusing_a_key_for_another_request_is_refused(app: &TestApp) {
    let package = sample_package("hse-presentation.zip");
    let (status, _, _) = upload(app, NEW, &scorm_parts("HSE", &package), Some("k")).await;
    assert_eq!(status, 201);
    let count = app.activity_count().await;

    // Another name.
    let (status, body, _) = upload(app, NEW, &scorm_parts("Other", &package), Some("k")).await;
    assert_eq!(status, 400, "{body}");
    let message = body["errorMessage"].as_str().unwrap();
    assert!(
        message.contains("Idempotency-Key") && message.contains("different request"),
        "{message}"
    );
    // Another file.
    let other = sample_package("hse-presentation-is.zip");
    let (status, _, _) = upload(app, NEW, &scorm_parts("HSE", &other), Some("k")).await;
    assert_eq!(status, 400);
    // Another endpoint.
    let add = [
        Part::Text("key", KEY),
        Part::Text("origin", ORIGIN),
        Part::Text("activityId", "1"),
        Part::Text("languageId", "is-IS"),
        Part::Text("name", "HSE"),
        Part::File("file", &package),
    ];
    let (status, _, _) = upload(app, ADD, &add, Some("k")).await;
    assert_eq!(status, 400);
    assert_eq!(app.activity_count().await, count, "nothing ran");

    // A malformed key names the header.
    let (status, body, _) = upload(app, NEW, &scorm_parts("HSE", &package), Some("has space")).await;
    assert_eq!(status, 400);
    assert!(
        body["errorMessage"].as_str().unwrap().contains("Idempotency-Key"),
        "{body}"
    );
}

async fn racing_duplicates_with_one_key_create_one_activity(app: &TestApp) {
    let package = sample_package("hse-presentation.zip");
    let parts = scorm_parts("HSE", &package);
    let before = app.activity_count().await;
    let requests: Vec<_> = (0..4).map(|_| upload(app, NEW, &parts, Some("race"))).collect();
    let answers = futures::future::join_all(requests).await;
    let created: Vec<&Value> = answers
        .iter()
        .filter(|(status, _, _)| *status == 201)
        .map(|(_, body, _)| body)
        .collect();
    assert!(!created.is_empty(), "{answers:?}");
    for (status, body, _) in &answers {
        assert!(matches!(status, 201 | 409), "{status} {body}");
        if *status == 409 {
            assert!(body["errorMessage"].as_str().unwrap().contains("in progress"), "{body}");
        }
    }
    assert!(created.iter().all(|b| *b == created[0]), "one activityId: {answers:?}");
    assert_eq!(app.activity_count().await, before + 1, "one activity");
    // Once the first finished, a retry gets its answer.
    let (status, body, replayed) = upload(app, NEW, &parts, Some("race")).await;
    assert_eq!((status, &body, replayed), (201, created[0], true));
}

async fn v2_writes_replay_and_refuse_reuse_with_422(app: &TestApp) {
    let path = app.course("Path").await;
    let uri = format!("/api/v2/curriculum_activities?api_key={KEY}");
    let body = format!(r#"{{ "curriculum_activity": {{ "curriculum_id": "{path}", "name": "S" }} }}"#);
    let (status, first, _) = send(app, "POST", &uri, JSON, body.clone().into_bytes(), Some("v2-1")).await;
    assert_eq!(status, 200, "{first}");
    let (status, again, replayed) = send(app, "POST", &uri, JSON, body.clone().into_bytes(), Some("v2-1")).await;
    assert_eq!((status, &again, replayed), (200, &first, true));
    // The same request with the key moved to `Authorization` is the same request.
    let service = test::init_service(curricula_server::app::app(app.state.clone())).await;
    let req = test::TestRequest::post()
        .uri("/api/v2/curriculum_activities")
        .insert_header(("content-type", JSON))
        .insert_header(("Authorization", format!("Bearer {KEY}")))
        .insert_header(("Idempotency-Key", "v2-1"))
        .set_payload(body.clone())
        .to_request();
    let res: ServiceResponse<_> = service.call(req).await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert!(res.headers().get("Idempotent-Replayed").is_some());
    let records = app
        .db
        .activities()
        .curriculum(app.tenant, curricula_domain::ActivityId(path))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(records.len(), 2, "the default section and one new one: {records:?}");

    let other = format!(r#"{{ "curriculum_activity": {{ "curriculum_id": "{path}", "name": "T" }} }}"#);
    let (status, refused, _) = send(app, "POST", &uri, JSON, other.into_bytes(), Some("v2-1")).await;
    assert_eq!(status, 422, "{refused}");
    assert!(refused[0].as_str().unwrap().contains("Idempotency-Key"), "{refused}");

    // DELETE: the retry gets the first 200, not a 404.
    let id = first["id"].as_i64().unwrap();
    let uri = format!("/api/v2/curriculum_activities/{id}?api_key={KEY}");
    let (status, _, _) = send(app, "DELETE", &uri, JSON, Vec::new(), Some("del-1")).await;
    assert_eq!(status, 200);
    let (status, _, replayed) = send(app, "DELETE", &uri, JSON, Vec::new(), Some("del-1")).await;
    assert_eq!((status, replayed), (200, true));
    let (status, _, _) = send(app, "DELETE", &uri, JSON, Vec::new(), Some("del-2")).await;
    assert_eq!(status, 404, "a new key runs again");
}

async fn keys_are_scoped_per_tenant(app: &TestApp) {
    let admin = curricula_service::AdminService::new(
        app.db.directory(),
        std::sync::Arc::new(curricula_server::app::SystemClock),
    );
    let other = admin.create_tenant("Other", "en-GB", &[]).await.unwrap().id;
    admin.create_user(other, "jon.jonsson").await.unwrap();
    let other_key = "other-tenant-key-0123";
    admin.create_key(other, Some(ORIGIN), Some(other_key)).await.unwrap();
    let course = |key: &'static str| {
        [
            Part::Text("key", key),
            Part::Text("origin", ORIGIN),
            Part::Text("activityType", "course"),
            Part::Text("name", "C"),
            Part::Text("userName", "jon.jonsson"),
        ]
    };
    let (status, mine, _) = upload(app, NEW, &course(KEY), Some("shared")).await;
    assert_eq!(status, 201);
    let (status, theirs, replayed) = upload(app, NEW, &course(other_key), Some("shared")).await;
    assert_eq!(status, 201, "{theirs}");
    assert!(!replayed, "another tenant's key of the same name is another key");
    assert_ne!(mine["activityId"], theirs["activityId"]);
}

async fn a_second_new_with_the_same_external_id_names_the_existing_activity(app: &TestApp) {
    let course = |external_id: &'static str| {
        [
            Part::Text("key", KEY),
            Part::Text("origin", ORIGIN),
            Part::Text("activityType", "course"),
            Part::Text("name", "C"),
            Part::Text("userName", "jon.jonsson"),
            Part::Text("externalId", external_id),
        ]
    };
    let (status, first, _) = upload(app, NEW, &course("crm-42"), None).await;
    assert_eq!(status, 201, "{first}");
    let id = first["activityId"].as_i64().unwrap();
    let count = app.activity_count().await;
    let (status, body, _) = upload(app, NEW, &course("crm-42"), None).await;
    assert_eq!(status, 400, "{body}");
    let message = body["errorMessage"].as_str().unwrap();
    assert!(
        message.contains("externalId") && message.contains(&format!("activityId {id}")),
        "{message}"
    );
    assert_eq!(app.activity_count().await, count, "nothing created");
    // A SCORM upload with a taken externalId stores no file.
    let package = sample_package("hse-presentation.zip");
    let mut parts = scorm_parts("HSE", &package);
    parts.push(Part::Text("externalId", "crm-42"));
    let files = app.stored_files();
    let (status, _, _) = upload(app, NEW, &parts, None).await;
    assert_eq!(status, 400);
    assert_eq!(app.stored_files(), files);
    // Another id is fine; an empty one names the field.
    assert_eq!(upload(app, NEW, &course("crm-43"), None).await.0, 201);
    let (status, body, _) = upload(app, NEW, &course("  "), None).await;
    assert_eq!(status, 400);
    assert!(
        body["errorMessage"].as_str().unwrap().starts_with("externalId"),
        "{body}"
    );
}

#[actix_web::test]
async fn on_postgres_racing_duplicates_create_one_activity_and_retries_replay() {
    let Some(app) = TestApp::postgres().await else {
        return;
    };
    let service = test::init_service(curricula_server::app::app(app.state.clone())).await;
    let package = sample_package("hse-presentation.zip");
    let parts = scorm_parts("HSE", &package);
    let (content_type, body) = multipart(&parts);
    let request = |key: &str, body: Vec<u8>| {
        test::TestRequest::post()
            .uri(NEW)
            .insert_header(("content-type", content_type.clone()))
            .insert_header(("Idempotency-Key", key.to_owned()))
            .set_payload(body)
            .to_request()
    };
    let calls: Vec<_> = (0..4).map(|_| service.call(request("pg-race", body.clone()))).collect();
    let mut answers = Vec::new();
    for res in futures::future::join_all(calls).await {
        let res = res.unwrap();
        let status = res.status().as_u16();
        answers.push((
            status,
            serde_json::from_slice::<Value>(&test::read_body(res).await).unwrap(),
        ));
    }
    let created: Vec<&Value> = answers.iter().filter(|(s, _)| *s == 201).map(|(_, b)| b).collect();
    assert!(!created.is_empty(), "{answers:?}");
    assert!(answers.iter().all(|(s, _)| matches!(s, 201 | 409)), "{answers:?}");
    assert!(created.iter().all(|b| *b == created[0]), "{answers:?}");
    assert_eq!(app.activity_count().await, 1, "one activity");

    let res = service.call(request("pg-race", body.clone())).await.unwrap();
    assert_eq!(res.status().as_u16(), 201);
    assert!(res.headers().get("Idempotent-Replayed").is_some());
    assert_eq!(
        &serde_json::from_slice::<Value>(&test::read_body(res).await).unwrap(),
        created[0]
    );

    // Another request under the key is refused.
    let (content_type, other) = multipart(&scorm_parts("Other", &package));
    let res = service
        .call(
            test::TestRequest::post()
                .uri(NEW)
                .insert_header(("content-type", content_type))
                .insert_header(("Idempotency-Key", "pg-race"))
                .set_payload(other)
                .to_request(),
        )
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    assert_eq!(app.activity_count().await, 1);
}

/// A server error is not kept: the key is freed, and the retry runs (and succeeds) once the
/// database is healthy again.
#[actix_web::test]
async fn after_a_server_error_the_retry_runs_again() {
    use diesel::connection::SimpleConnection;
    use diesel::{Connection, SqliteConnection};
    let app = TestApp::new().await;
    let mut sql = SqliteConnection::establish(app.db_path().to_str().unwrap()).unwrap();
    sql.batch_execute(
        "CREATE TRIGGER fail_versions BEFORE INSERT ON language_versions BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END;",
    )
    .unwrap();
    let package = sample_package("hse-presentation.zip");
    let parts = scorm_parts("HSE", &package);
    let (status, body, _) = upload(&app, NEW, &parts, Some("after-500")).await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(app.activity_count().await, 0);

    sql.batch_execute("DROP TRIGGER fail_versions;").unwrap();
    let (status, body, replayed) = upload(&app, NEW, &parts, Some("after-500")).await;
    assert_eq!(status, 201, "{body}");
    assert!(!replayed, "the 500 was not kept");
    assert_eq!(app.activity_count().await, 1);
}

#[actix_web::test]
async fn a_request_dropped_before_it_finishes_frees_its_key() {
    use curricula_server::idempotency::{Api, guard};
    let app = TestApp::new().await;
    let caller = curricula_service::Caller {
        tenant: app.tenant,
        key: curricula_domain::ApiKeyId(0),
    };
    let req = test::TestRequest::post()
        .insert_header(("Idempotency-Key", "dropped-request-1"))
        .to_http_request();
    // The client goes away: the handler's future is dropped while it runs.
    let never = std::future::pending::<actix_web::HttpResponse>();
    let dropped = tokio::time::timeout(
        std::time::Duration::from_millis(50),
        guard(&app.state, &req, Api::V2, caller, "f".into(), never),
    )
    .await;
    assert!(dropped.is_err(), "the request did not finish");
    // The key is released in the background; a retry then runs instead of getting 409.
    let mut status = 0;
    for _ in 0..50 {
        let ok = async { actix_web::HttpResponse::Created().finish() };
        status = guard(&app.state, &req, Api::V2, caller, "f".into(), ok)
            .await
            .status()
            .as_u16();
        if status != 409 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(status, 201);
}

on_both_databases!(
    a_retry_with_the_same_key_returns_the_same_activity_and_creates_nothing,
    reusing_a_key_for_another_request_is_refused,
    racing_duplicates_with_one_key_create_one_activity,
    v2_writes_replay_and_refuse_reuse_with_422,
    keys_are_scoped_per_tenant,
    a_second_new_with_the_same_external_id_names_the_existing_activity
);
