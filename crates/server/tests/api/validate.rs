//! `POST /api/activityupload/validate`: the dry run answers what `/new` and `/addlanguage`
//! would, and stores nothing.

use crate::helpers::*;
use serde_json::Value;

const NEW: &str = "/api/activityupload/new";
const ADD: &str = "/api/activityupload/addlanguage";
const VALIDATE: &str = "/api/activityupload/validate";

fn scorm<'a>(parent: &'a str, file: &'a [u8]) -> Vec<Part<'a>> {
    vec![
        Part::Text("key", KEY),
        Part::Text("origin", ORIGIN),
        Part::Text("activityType", "scorm"),
        Part::Text("name", "HSE Presentation - Fossvogsbru"),
        Part::Text("userName", "jon.jonsson"),
        Part::Text("organisationIds", "81,27293"),
        Part::Text("parentActivityId", parent),
        Part::File("file", file),
    ]
}

async fn nothing_stored(app: &TestApp, activities: usize) {
    assert_eq!(app.activity_count().await, activities, "no activity");
    assert!(app.stored_files().is_empty(), "no blob: {:?}", app.stored_files());
}

fn fields(checks: &Value) -> Vec<&str> {
    checks
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect()
}

async fn a_valid_scorm_upload_gets_the_full_report_and_nothing_is_stored(app: &TestApp) {
    let course = app.course("HSE Training 2026").await;
    let package = sample_package("hse-presentation.zip");
    let (status, body) = app.post(VALIDATE, &scorm(&course.to_string(), &package)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["valid"], true);
    assert_eq!(body["operation"], "new");
    assert_eq!(
        fields(&body["checks"]),
        ["userName", "organisationIds", "parentActivityId", "languageId", "file"]
    );
    let detail = body["checks"][2]["detail"].as_str().unwrap();
    assert!(detail.contains(&format!("course {course}")), "{detail}");
    let p = &body["package"];
    for key in [
        "scormVersion",
        "title",
        "launchUrl",
        "sha256",
        "items",
        "warnings",
        "fileCount",
    ] {
        assert!(p.get(key).is_some(), "{key} missing: {p}");
    }
    assert!(p["launchUrl"].as_str().is_some_and(|u| !u.is_empty()), "{p}");
    assert!(p["items"].as_array().is_some_and(|i| !i.is_empty()), "{p}");
    assert_eq!(p["size"].as_u64(), Some(package.len() as u64));
    nothing_stored(app, 1).await;
    assert_eq!(app.spooled_files(), 0, "the spooled file is gone");

    // The real request then succeeds with the same fields.
    let (status, _) = app.post(NEW, &scorm(&course.to_string(), &package)).await;
    assert_eq!(status, 201);
}

async fn a_dry_run_gives_the_very_400_of_the_real_request(app: &TestApp) {
    let package = sample_package("hse-presentation.zip");
    let course = app.course("Path").await;
    let scorm_id = {
        let (status, body) = app.post(NEW, &scorm(&course.to_string(), &package)).await;
        assert_eq!(status, 201, "{body}");
        body["activityId"].as_i64().unwrap().to_string()
    };
    let files = app.stored_files();
    let count = app.activity_count().await;
    let broken = zip_of(&[("readme.txt", b"no manifest")]);
    let missing_file = vec![
        Part::Text("key", KEY),
        Part::Text("origin", ORIGIN),
        Part::Text("activityType", "scorm"),
        Part::Text("name", "N"),
        Part::Text("userName", "jon.jonsson"),
    ];
    let bad_user = vec![
        Part::Text("key", KEY),
        Part::Text("origin", ORIGIN),
        Part::Text("activityType", "course"),
        Part::Text("name", "N"),
        Part::Text("userName", "nobody"),
    ];
    let cases: Vec<Vec<Part<'_>>> = vec![
        scorm(&scorm_id, &package), // the parent is not a course
        scorm("999", &package),     // no such parent
        scorm("", &broken),         // refused package
        missing_file,
        bad_user,
    ];
    for parts in &cases {
        let (real_status, real) = app.post(NEW, parts).await;
        let (status, dry) = app.post(VALIDATE, parts).await;
        assert_eq!(real_status, 400, "{real}");
        assert_eq!((status, &dry), (400, &real), "same answer as /new");
    }
    assert_eq!(app.activity_count().await, count);
    assert_eq!(app.stored_files(), files);
}

async fn add_language_is_checked_when_activity_and_language_are_sent(app: &TestApp) {
    let package = sample_package("hse-presentation.zip");
    let (status, body) = app.post(NEW, &scorm("", &package)).await;
    assert_eq!(status, 201, "{body}");
    let id = body["activityId"].as_i64().unwrap().to_string();
    let files = app.stored_files();
    let is = sample_package("hse-presentation-is.zip");
    let add = |language: &'static str| {
        vec![
            Part::Text("key", KEY),
            Part::Text("origin", ORIGIN),
            Part::Text("activityId", &id),
            Part::Text("languageId", language),
            Part::Text("name", "HSE kynning"),
            Part::File("file", &is),
        ]
    };
    let (status, body) = app.post(VALIDATE, &add("is-IS")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["operation"], "addlanguage");
    assert_eq!(fields(&body["checks"]), ["activityId", "languageId", "file"]);
    assert!(body["package"]["title"].is_string(), "{body}");
    assert_eq!(app.stored_files(), files, "nothing stored");
    let activity = app.activity(id.parse().unwrap()).await.unwrap();
    assert_eq!(activity.versions.len(), 1, "no version added");

    // The language of the first version exists already: the 400 of /addlanguage.
    let (real_status, real) = app.post(ADD, &add("en-GB")).await;
    let (status, dry) = app.post(VALIDATE, &add("en-GB")).await;
    assert_eq!((real_status, status), (400, 400));
    assert_eq!(dry, real);

    // A course: no package, the file is ignored.
    let (status, body) = app
        .post(
            VALIDATE,
            &[
                Part::Text("key", KEY),
                Part::Text("origin", ORIGIN),
                Part::Text("activityType", "course"),
                Part::Text("name", "C"),
                Part::Text("userName", "jon.jonsson"),
                Part::Text("externalId", "crm-1"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["package"], Value::Null);
    assert!(fields(&body["checks"]).contains(&"externalId"));

    // Unauthenticated: 401, as for the real request.
    let (status, _) = app
        .post(VALIDATE, &[Part::Text("key", "wrong"), Part::Text("origin", ORIGIN)])
        .await;
    assert_eq!(status, 401);
}

on_both_databases!(
    a_valid_scorm_upload_gets_the_full_report_and_nothing_is_stored,
    a_dry_run_gives_the_very_400_of_the_real_request,
    add_language_is_checked_when_activity_and_language_are_sent
);

/// Issue 20: `curricula inspect` prints a package as `/validate` reports it, the same
/// camelCase fields with the same values (it once printed snake_case).
#[actix_web::test]
async fn inspect_prints_what_validate_reports() {
    let app = TestApp::new().await;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/hse-presentation.zip");
    let package = std::fs::read(&path).unwrap();
    let (status, body) = app.post(VALIDATE, &scorm("", &package)).await;
    assert_eq!(status, 200, "{body}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_curricula"))
        .arg("inspect")
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let inspected: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(inspected, body["package"]);
}
