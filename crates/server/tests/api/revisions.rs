//! Package revisions end to end (issue 9): `/replace` and `/rollback`, the revisions in the
//! read API, launch URLs before and after, the kept count with its files, on SQLite and on
//! Postgres (required in CI).

use crate::helpers::*;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::test;
use serde_json::Value;

const REPLACE: &str = "/api/activityupload/replace";
const ROLLBACK: &str = "/api/activityupload/rollback";

/// A third and a fourth package, built here (they differ from the samples and each other).
fn third() -> Vec<u8> {
    built_package("API test", "index.html", "third")
}

fn fourth() -> Vec<u8> {
    built_package("Content objects", "content/start.html", "fourth")
}

async fn get(app: &TestApp, uri: &str) -> (u16, Vec<u8>) {
    let service = test::init_service(curricula_server::app::app(app.state.clone())).await;
    let res: ServiceResponse<_> = service
        .call(test::TestRequest::get().uri(uri).to_request())
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, test::read_body(res).await.to_vec())
}

async fn get_json(app: &TestApp, uri: &str) -> Value {
    let (status, body) = get(app, uri).await;
    assert_eq!(status, 200, "{uri}: {}", String::from_utf8_lossy(&body));
    serde_json::from_slice(&body).unwrap()
}

async fn replace(app: &TestApp, id: i64, language: &str, package: &[u8]) -> (u16, Value) {
    let id = id.to_string();
    app.post(
        REPLACE,
        &[
            Part::Text("key", KEY),
            Part::Text("origin", ORIGIN),
            Part::Text("activityId", &id),
            Part::Text("languageId", language),
            Part::File("file", package),
        ],
    )
    .await
}

async fn rollback(app: &TestApp, id: i64, revision: &str) -> (u16, Value) {
    let id = id.to_string();
    app.post(
        ROLLBACK,
        &[
            Part::Text("key", KEY),
            Part::Text("origin", ORIGIN),
            Part::Text("activityId", &id),
            Part::Text("languageId", "en-GB"),
            Part::Text("revision", revision),
        ],
    )
    .await
}

/// The launch URL's path and the launch page's bytes.
async fn launch(app: &TestApp, id: i64) -> (String, Vec<u8>) {
    let body = get_json(app, &format!("/api/v2/activities/{id}/launch?api_key={KEY}")).await;
    let url = body["launch_url"].as_str().unwrap();
    let path = url[url.find("/content/").unwrap()..].to_owned();
    let (status, page) = get(app, &path).await;
    assert_eq!(status, 200, "{path}");
    (path, page)
}

/// The story of one package's revisions.
async fn replace_and_roll_back(app: &TestApp) {
    let first = sample_package("hse-presentation.zip");
    let second = sample_package("hse-presentation-is.zip");
    let course = app.course("Onboarding").await;
    let (status, body) = app
        .post(
            "/api/activityupload/new",
            &[
                Part::Text("key", KEY),
                Part::Text("origin", ORIGIN),
                Part::Text("activityType", "scorm"),
                Part::Text("name", "HSE"),
                Part::Text("userName", "jon.jonsson"),
                Part::Text("parentActivityId", &course.to_string()),
                Part::File("file", &first),
            ],
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["activityId"].as_i64().unwrap();
    let path_before = get_json(
        app,
        &format!("/api/v2/curriculum_activities?api_key={KEY}&curriculum_activity[curriculum_id]={course}"),
    )
    .await;
    let (old_url, old_page) = launch(app, id).await;

    let (status, body) = replace(app, id, "en-GB", &second).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["revision"], 2);
    assert_eq!(body["unchanged"], false);
    assert_eq!(body["activityId"], id, "the activity id is untouched");

    // The read API lists both revisions; the version shows the current one.
    let activity = get_json(app, &format!("/api/v2/activities/{id}?api_key={KEY}")).await;
    let version = &activity["language_versions"][0];
    assert_eq!(version["revision"], 2);
    let revisions = version["revisions"].as_array().unwrap();
    let numbers: Vec<_> = revisions.iter().map(|r| r["revision"].as_i64().unwrap()).collect();
    assert_eq!(numbers, [1, 2]);
    assert_eq!(revisions[1]["current"], true);
    assert_eq!(revisions[0]["current"], false);
    assert!(revisions[1]["api_key_id"].as_i64().unwrap() > 0);
    assert_eq!(
        revisions[1]["package_sha256"], version["scorm"]["package_sha256"],
        "{version}"
    );
    assert!(revisions[1]["uploaded_at"].as_str().unwrap().ends_with('Z'));

    // New launches serve revision 2; the URL signed before still serves revision 1.
    let (new_url, new_page) = launch(app, id).await;
    assert_ne!(new_url, old_url);
    assert_ne!(new_page, old_page, "the two packages' launch pages differ");
    let (status, still) = get(app, &old_url).await;
    assert_eq!(
        (status, still == old_page),
        (200, true),
        "an old launch URL keeps working"
    );

    // The curriculum is untouched.
    let path_after = get_json(
        app,
        &format!("/api/v2/curriculum_activities?api_key={KEY}&curriculum_activity[curriculum_id]={course}"),
    )
    .await;
    assert_eq!(path_before, path_after);

    // The same bytes again: a no-op that says so, storing nothing.
    let files = app.stored_files();
    let (status, body) = replace(app, id, "en-GB", &second).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["revision"].as_i64(), body["unchanged"].as_bool()),
        (Some(2), Some(true))
    );
    assert!(body["message"].as_str().unwrap().contains("nothing changed"), "{body}");
    assert_eq!(app.stored_files(), files);

    // Roll back to 1: launches serve it again; rolling back to it twice changes nothing.
    let (status, body) = rollback(app, id, "1").await;
    assert_eq!(
        (status, body["revision"].as_i64(), body["unchanged"].as_bool()),
        (200, Some(1), Some(false)),
        "{body}"
    );
    let (_, page) = launch(app, id).await;
    assert!(page == old_page, "revision 1 is served again");
    let (status, body) = rollback(app, id, "1").await;
    assert_eq!((status, body["unchanged"].as_bool()), (200, Some(true)), "{body}");

    // Refusals name the field and store nothing.
    let files = app.stored_files();
    let (status, body) = rollback(app, id, "7").await;
    assert_eq!(status, 400);
    assert_eq!(
        body["errorMessage"],
        format!("revision 7 of activityId {id} (en-GB) was not found; the revisions kept are 1, 2")
    );
    let (status, body) = rollback(app, id, "zero").await;
    assert_eq!(
        (status, body["errorMessage"].as_str()),
        (400, Some("revision \"zero\" is not a positive integer"))
    );
    let (status, body) = replace(app, id, "is-IS", &second).await;
    assert_eq!(
        (status, body["errorMessage"].clone()),
        (400, format!("activityId {id} has no is-IS language version").into())
    );
    let (status, body) = replace(app, course, "en-GB", &second).await;
    assert_eq!(status, 400);
    assert!(body["errorMessage"].as_str().unwrap().contains("is a course"), "{body}");
    let (status, body) = replace(app, 999_999, "en-GB", &second).await;
    assert_eq!(
        (status, body["errorMessage"].as_str()),
        (400, Some("activityId 999999 was not found in your tenant"))
    );
    let broken = zip_of(&[("index.html", b"<p>no manifest</p>")]);
    let (status, body) = replace(app, id, "en-GB", &broken).await;
    assert_eq!(status, 400);
    assert!(
        body["errorMessage"]
            .as_str()
            .unwrap()
            .starts_with("SCORM package refused"),
        "{body}"
    );
    let (status, body) = app
        .post(
            REPLACE,
            &[
                Part::Text("key", KEY),
                Part::Text("origin", ORIGIN),
                Part::Text("activityId", &id.to_string()),
                Part::Text("languageId", "en-GB"),
            ],
        )
        .await;
    assert_eq!((status, body["errorMessage"].as_str()), (400, Some("file is required")));
    assert_eq!(app.stored_files(), files, "refusals leave no file behind");

    // Keeping 3 (the test apps' setting): revision 3 keeps 1, 2 and 3; revision 4 keeps itself,
    // the one it replaced and the newest other, and revision 1 goes with its files.
    let (_, body) = replace(app, id, "en-GB", &third()).await;
    assert_eq!(body["revision"], 3, "{body}");
    let revisions_of = |activity: &Value| -> Vec<(i64, u64)> {
        activity["language_versions"][0]["revisions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["revision"].as_i64().unwrap(), r["file_count"].as_u64().unwrap()))
            .collect()
    };
    let kept = revisions_of(&get_json(app, &format!("/api/v2/activities/{id}?api_key={KEY}")).await);
    assert_eq!(kept.iter().map(|r| r.0).collect::<Vec<_>>(), [1, 2, 3]);
    let files = app.stored_files().len() as u64;
    let (_, body) = replace(app, id, "en-GB", &fourth()).await;
    assert_eq!(body["revision"], 4, "{body}");
    let now_kept = revisions_of(&get_json(app, &format!("/api/v2/activities/{id}?api_key={KEY}")).await);
    assert_eq!(now_kept.iter().map(|r| r.0).collect::<Vec<_>>(), [2, 3, 4]);
    // The dropped revision's folder is removed in a task of its own, after the answer.
    let expected = files + now_kept[2].1 - kept[0].1;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while app.stored_files().len() as u64 != expected && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        app.stored_files().len() as u64,
        expected,
        "revision 4's files came, revision 1's went"
    );
    let (status, body) = rollback(app, id, "1").await;
    assert_eq!(status, 400, "revision 1 was dropped: {body}");
}

on_both_databases!(replace_and_roll_back);

/// The revision files stay referenced for the blob sweep: a sweep far in the future removes
/// nothing a kept revision uses.
#[actix_web::test]
async fn kept_revisions_survive_the_blob_sweep() {
    let app = TestApp::new().await;
    let id = app.scorm("HSE", &sample_package("hse-presentation.zip")).await;
    let (status, _) = replace(&app, id, "en-GB", &sample_package("hse-presentation-is.zip")).await;
    assert_eq!(status, 200);
    let before = app.stored_files();
    let sweeper = curricula_service::BlobSweeper::new(
        std::sync::Arc::clone(&app.sql),
        std::sync::Arc::new(
            curricula_store_blob::ObjectBlobStore::open(&format!("file://{}", app.blob_dir().display())).unwrap(),
        ),
        std::sync::Arc::new(curricula_server::app::SystemClock),
        0,
    );
    let report = sweeper.sweep(false).await.unwrap();
    assert_eq!(report.referenced, 2, "{report:?}");
    assert!(report.orphans.is_empty(), "{report:?}");
    assert_eq!(app.stored_files(), before);
}

/// Keeping 2, quick replacements and a rollback followed by a replacement never remove a
/// revision that learners may still be on: every launch URL signed on the way keeps working.
#[actix_web::test]
async fn revisions_replaced_within_the_url_lifetime_keep_their_files() {
    let app = TestApp::protecting_revisions().await;
    let id = app.scorm("HSE", &sample_package("hse-presentation.zip")).await;
    let mut urls = vec![launch(&app, id).await];
    for bytes in [sample_package("hse-presentation-is.zip"), third()] {
        let (status, body) = replace(&app, id, "en-GB", &bytes).await;
        assert_eq!(status, 200, "{body}");
        urls.push(launch(&app, id).await);
    }
    let (status, body) = rollback(&app, id, "1").await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = replace(&app, id, "en-GB", &fourth()).await;
    assert_eq!((status, body["revision"].as_i64()), (200, Some(4)), "{body}");
    urls.push(launch(&app, id).await);
    for (url, page) in &urls {
        let (status, body) = get(&app, url).await;
        assert_eq!((status, &body), (200, page), "{url} still serves its revision");
    }
    let activity = get_json(&app, &format!("/api/v2/activities/{id}?api_key={KEY}")).await;
    let kept: Vec<_> = activity["language_versions"][0]["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["revision"].as_i64().unwrap())
        .collect();
    assert_eq!(kept, [1, 2, 3, 4], "all protected, beyond the count of 2");
}

/// A `/replace` under an `Idempotency-Key`: status, body, whether it was a replay.
async fn replace_with_key(app: &TestApp, id: i64, package: &[u8], key: &str) -> (u16, Value, bool) {
    let id = id.to_string();
    let (content_type, body) = multipart(&[
        Part::Text("key", KEY),
        Part::Text("origin", ORIGIN),
        Part::Text("activityId", &id),
        Part::Text("languageId", "en-GB"),
        Part::File("file", package),
    ]);
    let service = test::init_service(curricula_server::app::app(app.state.clone())).await;
    let req = test::TestRequest::post()
        .uri(REPLACE)
        .insert_header(("content-type", content_type))
        .insert_header(("Idempotency-Key", key.to_owned()))
        .set_payload(body)
        .to_request();
    let res: ServiceResponse<_> = service.call(req).await.unwrap();
    let status = res.status().as_u16();
    let replayed = res.headers().get("Idempotent-Replayed").is_some();
    let body = serde_json::from_slice(&test::read_body(res).await).unwrap_or(Value::Null);
    (status, body, replayed)
}

async fn revision_numbers(app: &TestApp, id: i64) -> Vec<i64> {
    let activity = get_json(app, &format!("/api/v2/activities/{id}?api_key={KEY}")).await;
    activity["language_versions"][0]["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["revision"].as_i64().unwrap())
        .collect()
}

/// `/replace` under an `Idempotency-Key`: a retry replays and stores nothing, another file
/// under the key is refused, and identical requests racing with one key store one revision.
async fn replacements_are_retry_safe(app: &TestApp) {
    let id = app.scorm("HSE", &sample_package("hse-presentation.zip")).await;
    let second = sample_package("hse-presentation-is.zip");
    let (status, first, replayed) = replace_with_key(app, id, &second, "quarterly-1").await;
    assert_eq!((status, replayed), (200, false), "{first}");
    let files = app.stored_files();
    let (status, again, replayed) = replace_with_key(app, id, &second, "quarterly-1").await;
    assert_eq!((status, &again, replayed), (200, &first, true));
    assert_eq!(app.stored_files(), files, "a replay stores nothing");
    let (status, refused, _) = replace_with_key(app, id, &third(), "quarterly-1").await;
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused["errorMessage"].as_str().unwrap().contains("Idempotency-Key"),
        "{refused}"
    );
    assert_eq!(revision_numbers(app, id).await, [1, 2]);

    let third = fourth();
    let answers = futures::future::join_all([
        replace_with_key(app, id, &third, "quarterly-2"),
        replace_with_key(app, id, &third, "quarterly-2"),
    ])
    .await;
    assert!(answers.iter().all(|(s, _, _)| matches!(s, 200 | 409)), "{answers:?}");
    assert!(answers.iter().any(|(s, _, _)| *s == 200), "{answers:?}");
    assert_eq!(revision_numbers(app, id).await, [1, 2, 3], "one revision: {answers:?}");
}

on_both_databases!(replacements_are_retry_safe);
