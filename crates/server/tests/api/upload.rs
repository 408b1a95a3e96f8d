//! The Activity Upload API: the spec's examples, its error table, and atomicity.

use crate::helpers::*;
use async_trait::async_trait;
use bytes::Bytes;
use curricula_ports::{BlobError, BlobInfo, BlobKey, BlobMeta, BlobStore, BlobStream};
use std::io::Read;
use std::sync::Arc;

const NEW: &str = "/api/activityupload/new";
const ADD: &str = "/api/activityupload/addlanguage";

fn auth() -> [Part<'static>; 2] {
    [Part::Text("key", KEY), Part::Text("origin", ORIGIN)]
}

async fn scorm(app: &TestApp, parent: &str, file: &[u8]) -> (u16, serde_json::Value) {
    app.post(
        NEW,
        &[
            Part::Text("key", KEY),
            Part::Text("origin", ORIGIN),
            Part::Text("activityType", "scorm"),
            Part::Text("name", "HSE Presentation - Fossvogsbru"),
            Part::Text("userName", "jon.jonsson"),
            Part::Text("organisationIds", "81,27293"),
            Part::Text("parentActivityId", parent),
            Part::File("file", file),
        ],
    )
    .await
}

#[actix_web::test]
async fn the_spec_examples_create_a_course_a_scorm_inside_it_and_a_language() {
    let app = TestApp::new().await;
    let course = app.course("HSE Training 2026").await;
    let (status, body) = scorm(&app, &course.to_string(), &sample_package("hse-presentation.zip")).await;
    assert_eq!(status, 201, "{body}");
    let id = body["activityId"].as_i64().unwrap();
    assert_eq!(id, course + 1);

    // The SCORM activity is the last entry of the course's last section.
    let records = app
        .sql
        .curriculum(app.tenant, curricula_domain::ActivityId(course))
        .await
        .unwrap()
        .expect("a course has a curriculum");
    assert_eq!(records.len(), 2, "{records:?}");
    let (section, entry) = (&records[0], &records[1]);
    assert_eq!((section.lft, section.rgt), (1, 4));
    assert_eq!(entry.course_id, Some(curricula_domain::ActivityId(id)));
    assert_eq!(entry.parent_id, Some(section.id));
    assert_eq!((entry.lft, entry.rgt), (2, 3));

    let (status, body) = app
        .post(
            ADD,
            &[
                Part::Text("key", KEY),
                Part::Text("origin", ORIGIN),
                Part::Text("activityId", &id.to_string()),
                Part::Text("languageId", "is-IS"),
                Part::Text("name", "HSE kynning - Fossvogsbru"),
                Part::File("file", &sample_package("hse-presentation-is.zip")),
            ],
        )
        .await;
    assert_eq!((status, body), (201, serde_json::json!({ "activityId": id })));

    let activity = app.activity(id).await.unwrap();
    assert_eq!(activity.name.as_str(), "HSE Presentation - Fossvogsbru");
    assert_eq!(activity.versions.len(), 2);
    let en = &activity.versions[0];
    let is = &activity.versions[1];
    assert_eq!(en.language.as_str(), "en-GB");
    assert_eq!(is.language.as_str(), "is-IS");
    assert_eq!(is.title.as_str(), "HSE kynning - Fossvogsbru");
    let is_scorm = is.scorm.as_ref().unwrap();
    assert_eq!(is_scorm.title.as_deref(), Some("HSE kynning - Fossvogsbru"));
    assert_eq!(
        is_scorm.description.as_deref(),
        Some("Kynning á öryggis-, heilbrigðis- og umhverfismálum við Fossvogsbrú.")
    );
    assert_eq!(is_scorm.launch_href, "index.html");
    assert_eq!(is_scorm.mastery_score, Some(80.0));
    assert_ne!(is_scorm.storage_prefix, en.scorm.as_ref().unwrap().storage_prefix);
    assert_eq!(app.stored_files().len(), 6, "three files per version");
    assert_eq!(app.spooled_files(), 0, "the spooled uploads are gone");
}

#[actix_web::test]
async fn the_error_table() {
    let app = TestApp::new().await;
    let course = app.course("Course").await.to_string();
    let package = sample_package("hse-presentation.zip");
    let (_, body) = scorm(&app, &course, &package).await;
    let scorm_id = body["activityId"].as_i64().unwrap().to_string();
    let files_before = app.stored_files();

    let no_manifest = zip_of(&[("index.html", b"<p>hi</p>")]);
    let nested = zip_of(&[("course/imsmanifest.xml", b"<manifest/>"), ("course/index.html", b"x")]);
    let cases: Vec<(Vec<Part>, u16, &str)> = vec![
        (
            vec![
                Part::Text("activityType", "video"),
                Part::Text("name", "x"),
                Part::Text("userName", "jon.jonsson"),
            ],
            400,
            "activityType must be \"scorm\" or \"course\", not \"video\"",
        ),
        (
            vec![
                Part::Text("activityType", "scorm"),
                Part::Text("name", "x"),
                Part::Text("userName", "jon.jonsson"),
            ],
            400,
            "file is required for a SCORM activity",
        ),
        (
            vec![
                Part::Text("activityType", "scorm"),
                Part::Text("name", "x"),
                Part::Text("userName", "jon.jonsson"),
                Part::File("file", &no_manifest),
            ],
            400,
            "SCORM package refused (no_manifest)",
        ),
        (
            vec![
                Part::Text("activityType", "scorm"),
                Part::Text("name", "x"),
                Part::Text("userName", "jon.jonsson"),
                Part::File("file", &nested),
            ],
            400,
            "SCORM package refused (manifest_not_at_root): imsmanifest.xml found at course/imsmanifest.xml",
        ),
        (
            vec![
                Part::Text("activityType", "scorm"),
                Part::Text("name", "x"),
                Part::Text("userName", "jon.jonsson"),
                Part::Text("parentActivityId", &scorm_id),
                Part::File("file", &package),
            ],
            400,
            "is not a course; a SCORM activity cannot contain other activities",
        ),
        (
            vec![
                Part::Text("activityType", "course"),
                Part::Text("name", "x"),
                Part::Text("userName", "jon.jonsson"),
                Part::Text("parentActivityId", "99999"),
            ],
            400,
            "parentActivityId 99999 was not found in your tenant",
        ),
        (
            vec![
                Part::Text("activityType", "course"),
                Part::Text("name", "x"),
                Part::Text("userName", "nobody"),
            ],
            400,
            "userName \"nobody\" was not found in your tenant",
        ),
        (
            vec![
                Part::Text("activityType", "course"),
                Part::Text("name", "x"),
                Part::Text("userName", "jon.jonsson"),
                Part::Text("organisationIds", "81,5"),
            ],
            400,
            "organisationIds 5 not found in your tenant",
        ),
        (
            vec![
                Part::Text("activityType", "course"),
                Part::Text("name", "  "),
                Part::Text("userName", "jon.jonsson"),
            ],
            400,
            "name must not be empty",
        ),
        (
            vec![
                Part::Text("activityType", "course"),
                Part::Text("userName", "jon.jonsson"),
            ],
            400,
            "name is required",
        ),
        (
            vec![
                Part::Text("activityType", "course"),
                Part::Text("name", "a"),
                Part::Text("name", "b"),
                Part::Text("userName", "jon.jonsson"),
            ],
            400,
            "name was sent more than once",
        ),
        (
            vec![
                Part::Text("activityType", "course"),
                Part::Text("name", "x"),
                Part::Text("userName", "jon.jonsson"),
                Part::Text("parentActivityId", "12abc"),
            ],
            400,
            "parentActivityId \"12abc\" is not an integer",
        ),
    ];
    for (fields, status, message) in cases {
        let mut parts: Vec<Part> = auth().into_iter().collect();
        parts.extend(fields);
        let (got, body) = app.post(NEW, &parts).await;
        let text = body["errorMessage"].as_str().unwrap_or_default();
        assert_eq!(got, status, "{message}: {body}");
        assert!(text.contains(message), "{text:?} should contain {message:?}");
    }
    let long = "x".repeat(256);
    let (status, body) = app
        .post(
            NEW,
            &[
                Part::Text("key", KEY),
                Part::Text("origin", ORIGIN),
                Part::Text("activityType", "course"),
                Part::Text("name", &long),
                Part::Text("userName", "jon.jonsson"),
            ],
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["errorMessage"], "name is too long (256 characters, at most 255)");

    // addlanguage
    let add_cases: Vec<(Vec<Part>, &str)> = vec![
        (
            vec![
                Part::Text("activityId", "99999"),
                Part::Text("languageId", "is-IS"),
                Part::Text("name", "x"),
            ],
            "activityId 99999 was not found in your tenant",
        ),
        (
            vec![
                Part::Text("activityId", "abc"),
                Part::Text("languageId", "is-IS"),
                Part::Text("name", "x"),
            ],
            "activityId \"abc\" is not a positive integer",
        ),
        (
            vec![
                Part::Text("activityId", &scorm_id),
                Part::Text("languageId", "da-DK"),
                Part::Text("name", "x"),
                Part::File("file", &package),
            ],
            "languageId da-DK is not enabled for your tenant",
        ),
        (
            vec![
                Part::Text("activityId", &scorm_id),
                Part::Text("languageId", "en-GB"),
                Part::Text("name", "x"),
                Part::File("file", &package),
            ],
            "already has a en-GB language version",
        ),
        (
            vec![
                Part::Text("activityId", &scorm_id),
                Part::Text("languageId", "is-IS"),
                Part::Text("name", "x"),
            ],
            "file is required for a SCORM activity",
        ),
        (
            vec![Part::Text("activityId", &scorm_id), Part::Text("name", "x")],
            "languageId is required",
        ),
    ];
    for (fields, message) in add_cases {
        let mut parts: Vec<Part> = auth().into_iter().collect();
        parts.extend(fields);
        let (got, body) = app.post(ADD, &parts).await;
        assert_eq!(got, 400, "{message}: {body}");
        let text = body["errorMessage"].as_str().unwrap_or_default();
        assert!(text.contains(message), "{text:?} should contain {message:?}");
    }

    // Nothing was created by any refused request.
    assert_eq!(app.stored_files(), files_before, "refused requests left files");
    assert!(
        app.activity(scorm_id.parse::<i64>().unwrap() + 1).await.is_none(),
        "a refused request created an activity"
    );
    assert_eq!(app.spooled_files(), 0);
}

#[actix_web::test]
async fn authentication_failures_are_401_and_say_nothing_more() {
    let app = TestApp::new().await;
    for (key, origin) in [
        ("wrong-key-123456", ORIGIN),
        (KEY, "https://elsewhere.example"),
        (KEY, ""),
    ] {
        let (status, body) = app
            .post(
                NEW,
                &[
                    Part::Text("key", key),
                    Part::Text("origin", origin),
                    Part::Text("activityType", "course"),
                    Part::Text("name", "x"),
                    Part::Text("userName", "jon.jonsson"),
                ],
            )
            .await;
        assert_eq!(status, 401, "{key} {origin}");
        assert_eq!(body["errorMessage"], "key or origin not recognised");
    }
    // The origin matches after normalisation.
    let (status, _) = app
        .post(
            NEW,
            &[
                Part::Text("key", KEY),
                Part::Text("origin", "SKOLI.istak.is/"),
                Part::Text("activityType", "course"),
                Part::Text("name", "x"),
                Part::Text("userName", "jon.jonsson"),
            ],
        )
        .await;
    assert_eq!(status, 201);
    let (status, body) = app.post(NEW, &[Part::Text("origin", ORIGIN)]).await;
    assert_eq!((status, body["errorMessage"].as_str()), (400, Some("key is required")));
}

#[actix_web::test]
async fn unknown_fields_are_ignored_and_course_files_are_not_stored() {
    let app = TestApp::new().await;
    let (status, body) = app
        .post(
            NEW,
            &[
                Part::Text("key", KEY),
                Part::Text("origin", ORIGIN),
                Part::Text("activityType", "course"),
                Part::Text("name", "Container"),
                Part::Text("userName", "jon.jonsson"),
                Part::Text("colour", "blue"),
                Part::File("file", &sample_package("hse-presentation.zip")),
            ],
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert!(app.stored_files().is_empty());
}

#[actix_web::test]
async fn a_body_over_the_limit_is_413() {
    let app = TestApp::with(16 * 1024, None).await;
    let big = vec![7u8; 64 * 1024];
    let (status, body) = app
        .post(
            NEW,
            &[
                Part::Text("key", KEY),
                Part::Text("origin", ORIGIN),
                Part::Text("activityType", "scorm"),
                Part::Text("name", "x"),
                Part::Text("userName", "jon.jonsson"),
                Part::File("file", &big),
            ],
        )
        .await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(
        body["errorMessage"],
        "the request body is larger than the 16384 byte limit"
    );
    assert!(app.stored_files().is_empty());
    assert_eq!(app.spooled_files(), 0);
}

#[actix_web::test]
async fn a_zip_slip_package_is_refused_and_leaves_nothing() {
    let app = TestApp::new().await;
    let evil = zip_of(&[("imsmanifest.xml", b"<manifest/>"), ("../../etc/evil.html", b"x")]);
    let (status, body) = scorm(&app, "", &evil).await;
    assert_eq!(status, 400);
    assert!(
        body["errorMessage"]
            .as_str()
            .unwrap()
            .starts_with("SCORM package refused (unsafe_path)"),
        "{body}"
    );
    assert!(app.stored_files().is_empty());
}

/// A blob store whose every write fails after reading its input.
struct BrokenBlobs;

#[async_trait]
impl BlobStore for BrokenBlobs {
    fn put_blocking(&self, _: &BlobKey, contents: &mut dyn Read, _: &str) -> Result<u64, BlobError> {
        std::io::copy(contents, &mut std::io::sink()).map_err(BlobError::Source)?;
        Err(BlobError::Backend("no space left on device".into()))
    }
    async fn put(&self, _: &BlobKey, _: Bytes, _: &str) -> Result<(), BlobError> {
        Err(BlobError::Backend("no space left on device".into()))
    }
    async fn get(&self, key: &BlobKey) -> Result<Bytes, BlobError> {
        Err(BlobError::NotFound(key.to_string()))
    }
    async fn head(&self, key: &BlobKey) -> Result<BlobInfo, BlobError> {
        Err(BlobError::NotFound(key.to_string()))
    }
    async fn get_stream(&self, key: &BlobKey, _: Option<std::ops::Range<u64>>) -> Result<BlobStream, BlobError> {
        Err(BlobError::NotFound(key.to_string()))
    }
    async fn list(&self, _: &BlobKey) -> Result<Vec<BlobMeta>, BlobError> {
        Ok(Vec::new())
    }
    async fn delete_prefix(&self, _: &BlobKey) -> Result<usize, BlobError> {
        Ok(0)
    }
}

#[actix_web::test]
async fn a_storage_failure_is_500_and_creates_nothing() {
    let app = TestApp::with(500_000_000, Some(Arc::new(BrokenBlobs))).await;
    let (status, body) = scorm(&app, "", &sample_package("hse-presentation.zip")).await;
    assert_eq!(status, 500, "{body}");
    let message = body["errorMessage"].as_str().unwrap();
    assert!(message.starts_with("unexpected server error at "), "{message}");
    assert!(!message.contains("no space"), "internal causes stay in the log");
    assert!(app.activity(1).await.is_none());
}

/// The database fails in the middle of the transaction (after the activity row, at the
/// language version): 500, and neither a row nor a file remains.
#[actix_web::test]
async fn a_database_failure_mid_transaction_leaves_nothing() {
    use diesel::connection::SimpleConnection;
    use diesel::{Connection, SqliteConnection};
    let app = TestApp::new().await;
    let mut sql = SqliteConnection::establish(app.db_path().to_str().unwrap()).unwrap();
    sql.batch_execute(
        "CREATE TRIGGER fail_versions BEFORE INSERT ON language_versions BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END;",
    )
    .unwrap();
    let (status, body) = scorm(&app, "", &sample_package("hse-presentation.zip")).await;
    assert_eq!(status, 500, "{body}");
    assert!(app.activity(1).await.is_none(), "the activity row was rolled back");
    assert!(
        app.stored_files().is_empty(),
        "the stored files were removed: {:?}",
        app.stored_files()
    );
    assert_eq!(app.spooled_files(), 0);

    sql.batch_execute("DROP TRIGGER fail_versions;").unwrap();
    let (status, body) = scorm(&app, "", &sample_package("hse-presentation.zip")).await;
    assert_eq!(status, 201, "the service recovers: {body}");
}
