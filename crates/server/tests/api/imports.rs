//! Asynchronous imports (issue 18, part 2) on both databases: `Prefer: respond-async` answers
//! 202 and a job; the worker runs it through the synchronous use cases; a refused package
//! fails with the synchronous message and leaves nothing; jobs are per tenant; a job whose
//! worker stopped is taken over without writing twice.

use crate::helpers::{KEY, ORIGIN, Part, TestApp, built_package, multipart, on_both_databases, zip_of};
use actix_web::dev::{Service, ServiceResponse};
use actix_web::test;
use curricula_ports::{Clock, ImportId};
use curricula_server::upload_api::jobs::Importer;
use serde_json::Value;

const NEW: &str = "/api/activityupload/new";
const ADD: &str = "/api/activityupload/addlanguage";
const REPLACE: &str = "/api/activityupload/replace";
const ASYNC: (&str, &str) = ("Prefer", "respond-async");

/// The answer to a multipart POST with `headers`: status, JSON body, `Location`, and whether
/// it was an idempotent replay.
struct Answer {
    status: u16,
    body: Value,
    location: Option<String>,
    replayed: bool,
}

async fn post(app: &TestApp, path: &str, parts: &[Part<'_>], headers: &[(&str, &str)]) -> Answer {
    let service = test::init_service(curricula_server::app::app(app.state.clone())).await;
    let (content_type, body) = multipart(parts);
    let mut req = test::TestRequest::post()
        .uri(path)
        .insert_header(("content-type", content_type))
        .set_payload(body);
    for (name, value) in headers {
        req = req.insert_header((name.to_string(), value.to_string()));
    }
    let res: ServiceResponse<_> = service.call(req.to_request()).await.unwrap();
    let header = |name: &str| res.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (location, replayed) = (header("location"), header("idempotent-replayed").is_some());
    let status = res.status().as_u16();
    let bytes = test::read_body(res).await;
    Answer {
        status,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        location,
        replayed,
    }
}

fn scorm_form<'a>(name: &'a str, file: &'a [u8]) -> Vec<Part<'a>> {
    vec![
        Part::Text("key", KEY),
        Part::Text("origin", ORIGIN),
        Part::Text("activityType", "scorm"),
        Part::Text("name", name),
        Part::Text("userName", "jon.jonsson"),
        Part::File("file", file),
    ]
}

fn importer(app: &TestApp) -> Importer {
    Importer::new(app.state.clone(), "test-worker")
}

async fn job(app: &TestApp, id: i64, key: &str) -> (u16, Value) {
    app.v2(
        "GET",
        &format!("/api/v2/imports/{id}?api_key={key}"),
        "application/json",
        "",
    )
    .await
}

/// The spooled packages waiting in the blob store.
fn spooled(app: &TestApp) -> Vec<String> {
    app.stored_files()
        .into_iter()
        .filter(|f| f.starts_with("imports/"))
        .collect()
}

/// The tenant's `import.finished` events, once `n` are visible.
async fn finished_events(app: &TestApp, n: usize) -> Vec<Value> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let uri = format!("/api/v2/events?event[type]=import.finished&api_key={KEY}");
        let (status, page) = app.v2("GET", &uri, "application/json", "").await;
        assert_eq!(status, 200, "{page}");
        let events = page["events"].as_array().unwrap().clone();
        if events.len() >= n || std::time::Instant::now() > deadline {
            return events;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn an_async_upload_answers_202_and_its_job_creates_the_activity(app: &TestApp) {
    let package = built_package("Fire safety", "index.html", "a");
    let started = std::time::Instant::now();
    let answer = post(app, NEW, &scorm_form("Fire safety", &package), &[ASYNC]).await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(answer.status, 202, "{}", answer.body);
    let id = answer.body["importId"].as_i64().expect("an importId");
    assert_eq!(answer.body["status"], "queued");
    assert_eq!(
        answer.location.as_deref(),
        Some(format!("/api/v2/imports/{id}").as_str())
    );
    let (status, queued) = job(app, id, KEY).await;
    assert_eq!(status, 200, "{queued}");
    assert_eq!(queued["status"], "queued");
    assert_eq!(queued["activityId"], Value::Null);
    assert_eq!(queued["finished_at"], Value::Null);
    assert_eq!(app.activity_count().await, 0, "nothing is written before the job runs");
    assert_eq!(spooled(app).len(), 1, "the zip waits in the blob store");
    assert!(
        app.stored_files().iter().all(|f| !f.starts_with("packages/")),
        "nothing extracted yet"
    );

    assert!(importer(app).round().await.unwrap());
    assert!(!importer(app).round().await.unwrap(), "one job, run once");
    let (status, done) = job(app, id, KEY).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["errorMessage"], Value::Null);
    assert!(done["warnings"].is_array());
    assert!(done["finished_at"].is_string());
    assert_eq!(done["created_at"], queued["created_at"]);
    let activity = done["activityId"].as_i64().expect("the activity");
    let stored = app.activity(activity).await.expect("created");
    assert_eq!(stored.name.as_str(), "Fire safety");
    assert!(spooled(app).is_empty(), "the spooled zip is removed");
    assert!(app.stored_files().iter().any(|f| f.starts_with("packages/")));

    let events = finished_events(app, 1).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["course_id"], activity);
    assert_eq!(events[0]["data"]["status"], "succeeded");
    assert_eq!(events[0]["data"]["id"], id);
    assert_eq!(events[0]["data"]["kind"], "new");
    // The write's own event says it was the import's.
    let uri = format!("/api/v2/events?event[type]=activity.created&api_key={KEY}");
    let (_, created) = app.v2("GET", &uri, "application/json", "").await;
    assert_eq!(created["events"][0]["request_id"], format!("import-{id}"));
}

async fn addlanguage_and_replace_run_as_jobs_too(app: &TestApp) {
    let activity = app
        .scorm("Fire safety", &built_package("Fire safety", "index.html", "a"))
        .await;
    let other = built_package("Brunavarnir", "index.html", "b");
    let id = activity.to_string();
    let add = post(
        app,
        ADD,
        &[
            Part::Text("key", KEY),
            Part::Text("origin", ORIGIN),
            Part::Text("activityId", &id),
            Part::Text("languageId", "is-IS"),
            Part::Text("name", "Brunavarnir"),
            Part::File("file", &other),
        ],
        &[ASYNC],
    )
    .await;
    assert_eq!(add.status, 202, "{}", add.body);
    let newer = built_package("Fire safety", "index.html", "c");
    let replace = post(
        app,
        REPLACE,
        &[
            Part::Text("key", KEY),
            Part::Text("origin", ORIGIN),
            Part::Text("activityId", &id),
            Part::Text("languageId", "en-GB"),
            Part::File("file", &newer),
        ],
        &[("Prefer", "wait=10, respond-async")],
    )
    .await;
    assert_eq!(replace.status, 202, "{}", replace.body);
    while importer(app).round().await.unwrap() {}
    for answer in [&add, &replace] {
        let (_, done) = job(app, answer.body["importId"].as_i64().unwrap(), KEY).await;
        assert_eq!(done["status"], "succeeded", "{done}");
        assert_eq!(done["activityId"], activity);
    }
    let stored = app.activity(activity).await.unwrap();
    assert_eq!(stored.versions.len(), 2);
    let english = stored.versions.iter().find(|v| v.language.as_str() == "en-GB").unwrap();
    assert_eq!(english.revision, Some(2), "replaced");
    assert!(spooled(app).is_empty());
}

async fn a_refused_package_fails_with_the_synchronous_message_and_leaves_nothing(app: &TestApp) {
    let unlaunchable = zip_of(&[("index.html", b"<html></html>")]);
    let sync = post(app, NEW, &scorm_form("No manifest", &unlaunchable), &[]).await;
    assert_eq!(sync.status, 400, "{}", sync.body);
    let answer = post(app, NEW, &scorm_form("No manifest", &unlaunchable), &[ASYNC]).await;
    assert_eq!(answer.status, 202, "a zip: queued; {}", answer.body);
    let id = answer.body["importId"].as_i64().unwrap();
    assert!(importer(app).round().await.unwrap());
    let (_, failed) = job(app, id, KEY).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    assert_eq!(
        failed["errorMessage"], sync.body["errorMessage"],
        "the synchronous message"
    );
    assert_eq!(failed["activityId"], Value::Null);
    assert!(failed["finished_at"].is_string());
    assert_eq!(app.activity_count().await, 0);
    assert_eq!(app.stored_files(), Vec::<String>::new(), "no files, no spooled zip");
    let events = finished_events(app, 1).await;
    assert_eq!(events[0]["data"]["status"], "failed");
    assert_eq!(events[0]["data"]["errorMessage"], sync.body["errorMessage"]);

    // A caller error the database finds is the job's failure too, with its message.
    let package = built_package("Fire safety", "index.html", "a");
    let mut form = scorm_form("Orphan", &package);
    form.push(Part::Text("parentActivityId", "999"));
    let sync = post(app, NEW, &form, &[]).await;
    assert_eq!(sync.status, 400, "{}", sync.body);
    let answer = post(app, NEW, &form, &[ASYNC]).await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    assert!(importer(app).round().await.unwrap());
    let (_, failed) = job(app, answer.body["importId"].as_i64().unwrap(), KEY).await;
    assert_eq!(failed["errorMessage"], sync.body["errorMessage"], "{failed}");
    assert_eq!(app.activity_count().await, 0);
    assert_eq!(app.stored_files(), Vec::<String>::new());
}

async fn what_is_not_a_zip_or_a_bad_field_is_answered_at_once(app: &TestApp) {
    let sync = post(app, NEW, &scorm_form("Not a zip", b"hello"), &[]).await;
    assert_eq!(sync.status, 400);
    let answer = post(app, NEW, &scorm_form("Not a zip", b"hello"), &[ASYNC]).await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert_eq!(answer.body, sync.body, "the synchronous answer");
    let package = built_package("Fire safety", "index.html", "a");
    let mut form = scorm_form("Bad kind", &package);
    form[2] = Part::Text("activityType", "video");
    let sync = post(app, NEW, &form, &[]).await;
    let answer = post(app, NEW, &form, &[ASYNC]).await;
    assert_eq!((answer.status, &answer.body), (sync.status, &sync.body));
    assert_eq!(answer.status, 400);
    assert!(!importer(app).round().await.unwrap(), "no job");
    assert_eq!(app.stored_files(), Vec::<String>::new());
}

async fn a_job_is_its_tenants_only(app: &TestApp) {
    let admin = curricula_service::AdminService::new(
        app.db.directory(),
        std::sync::Arc::new(curricula_server::app::SystemClock),
    );
    let other = admin.create_tenant("Other", "en-GB", &[]).await.unwrap().id;
    let other_key = "other-tenant-key-0123";
    admin.create_key(other, Some(ORIGIN), Some(other_key)).await.unwrap();
    let package = built_package("Fire safety", "index.html", "a");
    let answer = post(app, NEW, &scorm_form("Fire safety", &package), &[ASYNC]).await;
    let id = answer.body["importId"].as_i64().unwrap();
    assert_eq!(job(app, id, KEY).await.0, 200);
    let (status, body) = job(app, id, other_key).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(job(app, id + 1000, KEY).await.0, 404);
    assert_eq!(job(app, id, "no-such-key-0123456").await.0, 401);
}

async fn an_idempotency_key_replays_the_202(app: &TestApp) {
    let package = built_package("Fire safety", "index.html", "a");
    let form = scorm_form("Fire safety", &package);
    let first = post(app, NEW, &form, &[ASYNC, ("Idempotency-Key", "import-1")]).await;
    assert_eq!(first.status, 202, "{}", first.body);
    let again = post(app, NEW, &form, &[ASYNC, ("Idempotency-Key", "import-1")]).await;
    assert_eq!(again.status, 202);
    assert!(again.replayed);
    assert_eq!(again.body, first.body);
    assert_eq!(again.location, first.location);
    assert_eq!(spooled(app).len(), 1, "one job, one spooled zip");
    // The same key on the synchronous call is another request.
    let sync = post(app, NEW, &form, &[("Idempotency-Key", "import-1")]).await;
    assert_eq!(sync.status, 400, "{}", sync.body);
    assert!(
        sync.body["errorMessage"]
            .as_str()
            .unwrap()
            .contains("different request")
    );
}

async fn a_job_whose_worker_stopped_is_taken_over(app: &TestApp) {
    let package = built_package("Fire safety", "index.html", "a");
    let answer = post(app, NEW, &scorm_form("Fire safety", &package), &[ASYNC]).await;
    let id = answer.body["importId"].as_i64().unwrap();
    // A worker leases it and dies.
    let now = app.clock.now();
    let dead = app
        .db
        .imports()
        .lease_import("dead", now, now + chrono::Duration::minutes(5))
        .await
        .unwrap()
        .expect("leased");
    assert_eq!(dead.id, ImportId(id));
    assert_eq!(job(app, id, KEY).await.1["status"], "running");
    assert!(!importer(app).round().await.unwrap(), "its lease holds");
    app.clock.advance(chrono::Duration::minutes(6));
    assert!(importer(app).round().await.unwrap());
    let (_, done) = job(app, id, KEY).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(app.activity_count().await, 1);
    assert!(spooled(app).is_empty());
}

async fn a_write_made_before_the_worker_stopped_is_not_made_twice(app: &TestApp) {
    let answer = post(
        app,
        NEW,
        &[
            Part::Text("key", KEY),
            Part::Text("origin", ORIGIN),
            Part::Text("activityType", "course"),
            Part::Text("name", "Onboarding"),
            Part::Text("userName", "jon.jonsson"),
        ],
        &[ASYNC],
    )
    .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    let id = answer.body["importId"].as_i64().unwrap();
    let now = app.clock.now();
    let dead = app
        .db
        .imports()
        .lease_import("dead", now, now + chrono::Duration::minutes(5))
        .await
        .unwrap()
        .expect("leased");
    // It made the write (as the worker makes it), then died before finishing the job.
    let actor = curricula_service::Actor {
        caller: curricula_service::Caller {
            tenant: dead.tenant,
            key: dead.api_key,
        },
        origin: dead.origin.clone(),
        request_id: Some(format!("import-{id}")),
    };
    let command = curricula_service::CreateActivity {
        kind: curricula_domain::ActivityKind::Course,
        name: curricula_domain::Name::parse("name", "Onboarding").unwrap(),
        user_name: "jon.jonsson".into(),
        organisations: curricula_domain::Organisations::All,
        placement: curricula_domain::Placement::TopLevel,
        package: None,
        external_id: None,
    };
    let written = app.state.uploads.create_activity(&actor, command).await.unwrap();
    app.clock.advance(chrono::Duration::minutes(6));
    assert!(importer(app).round().await.unwrap());
    let (_, done) = job(app, id, KEY).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["activityId"], written.0);
    assert_eq!(app.activity_count().await, 1, "not written twice");
}

async fn a_job_the_server_cannot_run_is_tried_again_then_failed(app: &TestApp) {
    let package = built_package("Fire safety", "index.html", "a");
    let answer = post(app, NEW, &scorm_form("Fire safety", &package), &[ASYNC]).await;
    let id = answer.body["importId"].as_i64().unwrap();
    // The spooled zip is lost (a blob store that failed): the server's failure, not the caller's.
    std::fs::remove_dir_all(app.blob_dir().join("imports")).unwrap();
    for attempt in 1..=3 {
        assert!(importer(app).round().await.unwrap(), "attempt {attempt}");
        let (_, seen) = job(app, id, KEY).await;
        let expected = if attempt < 3 { "running" } else { "failed" };
        assert_eq!(seen["status"], expected, "after attempt {attempt}: {seen}");
        assert!(!importer(app).round().await.unwrap(), "its lease holds");
        app.clock.advance(chrono::Duration::minutes(6));
    }
    let (_, failed) = job(app, id, KEY).await;
    let message = failed["errorMessage"].as_str().unwrap();
    assert!(message.starts_with("unexpected server error at "), "{message}");
    assert_eq!(app.activity_count().await, 0);
    assert!(!importer(app).round().await.unwrap(), "failed for good");
}

async fn workers_of_several_instances_run_each_job_once(app: &TestApp) {
    let packages: Vec<Vec<u8>> = (0..4)
        .map(|n| built_package("Fire safety", "index.html", &n.to_string()))
        .collect();
    let mut ids = Vec::new();
    for (n, package) in packages.iter().enumerate() {
        let name = format!("Package {n}");
        let answer = post(app, NEW, &scorm_form(&name, package), &[ASYNC]).await;
        assert_eq!(answer.status, 202, "{}", answer.body);
        ids.push(answer.body["importId"].as_i64().unwrap());
    }
    let work = |owner: &'static str| async move {
        let importer = Importer::new(app.state.clone(), owner);
        let mut ran = 0;
        while importer.round().await.unwrap() {
            ran += 1;
        }
        ran
    };
    let (a, b) = tokio::join!(work("instance-a"), work("instance-b"));
    assert_eq!(a + b, 4, "{a} + {b}");
    for id in ids {
        assert_eq!(job(app, id, KEY).await.1["status"], "succeeded");
    }
    assert_eq!(app.activity_count().await, 4);
    assert_eq!(finished_events(app, 4).await.len(), 4);
    assert!(spooled(app).is_empty());
}

on_both_databases!(
    an_async_upload_answers_202_and_its_job_creates_the_activity,
    addlanguage_and_replace_run_as_jobs_too,
    a_refused_package_fails_with_the_synchronous_message_and_leaves_nothing,
    what_is_not_a_zip_or_a_bad_field_is_answered_at_once,
    a_job_is_its_tenants_only,
    an_idempotency_key_replays_the_202,
    a_job_whose_worker_stopped_is_taken_over,
    a_write_made_before_the_worker_stopped_is_not_made_twice,
    a_job_the_server_cannot_run_is_tried_again_then_failed,
    workers_of_several_instances_run_each_job_once,
);
