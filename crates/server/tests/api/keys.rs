//! Key revocation and rotation over HTTP (issue 13, finding 7): a revoked key is refused at
//! once on both APIs and its launch and content URLs stop working; a rotated key works through
//! its grace period and not after (the app's clock is moved, nothing waits).

use crate::helpers::*;
use curricula_domain::ApiKeyId;
use serde_json::Value;

/// GET `uri`: the status and the JSON body (`Null` when it is not JSON).
async fn get(app: &TestApp, uri: &str) -> (u16, Value) {
    app.v2("GET", uri, "application/json", "").await
}

/// The path of an absolute launch URL (`/content/{token}/…`).
fn content_path(url: &str) -> String {
    url[url.find("/content/").expect("a content URL")..].to_owned()
}

/// Launches activity `id` with `key`: the content path and the whole answer.
async fn launch(app: &TestApp, id: i64, key: &str) -> (String, Value) {
    let (status, body) = get(app, &format!("/api/v2/activities/{id}/launch?api_key={key}")).await;
    assert_eq!(status, 200, "{body}");
    (content_path(body["launch_url"].as_str().unwrap()), body)
}

/// The upload API's answer to a course creation with `key`.
async fn upload_with(app: &TestApp, key: &str) -> (u16, Value) {
    app.post(
        "/api/activityupload/new",
        &[
            Part::Text("key", key),
            Part::Text("origin", ORIGIN),
            Part::Text("activityType", "course"),
            Part::Text("name", "A course"),
            Part::Text("userName", "jon.jonsson"),
        ],
    )
    .await
}

/// The v2 API's answer to a list with `key`.
async fn list_with(app: &TestApp, key: &str) -> (u16, Value) {
    get(app, &format!("/api/v2/curriculum_activities?api_key={key}")).await
}

async fn key_id(app: &TestApp) -> ApiKeyId {
    app.admin.keys(app.tenant).await.unwrap()[0].id
}

async fn revocation(app: &TestApp) {
    let id = app.scorm("Revoked", &sample_package("hse-presentation.zip")).await;
    let (path, _) = launch(app, id, KEY).await;
    assert_eq!(get(app, &path).await.0, 200);
    assert_eq!(list_with(app, KEY).await.0, 200);
    let unknown_v2 = list_with(app, "never-issued-key-0123").await;
    let unknown_upload = upload_with(app, "never-issued-key-0123").await;
    assert_eq!(unknown_v2.0, 401);
    assert_eq!(unknown_upload.0, 401);

    let revoked = app.admin.revoke_key(app.tenant, key_id(app).await).await.unwrap();
    assert!(revoked.revoked_at.is_some());

    assert_eq!(
        list_with(app, KEY).await,
        unknown_v2,
        "v2: the same 401 as an unknown key"
    );
    assert_eq!(
        upload_with(app, KEY).await,
        unknown_upload,
        "upload: the same 401 as an unknown key"
    );
    let (status, body) = get(app, &format!("/api/v2/activities/{id}/launch?api_key={KEY}")).await;
    assert_eq!((status, body), unknown_v2, "no new launch URL");
    let (status, body) = get(app, &path).await;
    assert_eq!(status, 403, "the launch URL stops working at once: {body}");
    assert_eq!(
        body["errorMessage"],
        "this content link is invalid or has expired; ask for a new launch URL"
    );
    assert_eq!(
        app.activity(id).await.map(|a| a.id.0),
        Some(id),
        "revocation deletes nothing"
    );
}

#[actix_web::test]
async fn a_revoked_key_and_its_urls_are_refused_at_once() {
    revocation(&TestApp::new().await).await;
}

#[actix_web::test]
async fn a_revoked_key_and_its_urls_are_refused_at_once_on_postgres() {
    let Some(app) = TestApp::postgres().await else { return };
    revocation(&app).await;
}

async fn rotation(app: &TestApp) {
    let id = app.scorm("Rotated", &sample_package("hse-presentation.zip")).await;
    let (before, _) = launch(app, id, KEY).await;
    let rotated = app
        .admin
        .rotate_key(app.tenant, key_id(app).await, Some(1))
        .await
        .unwrap();
    let new = rotated.new.key.clone();
    let grace_end = rotated.old.expires_at.unwrap();
    assert_eq!(rotated.new.record.origin, rotated.old.origin, "the same origin");

    // Within the grace period both keys work, on both APIs, and the old URLs too.
    for key in [KEY, new.as_str()] {
        assert_eq!(list_with(app, key).await.0, 200, "{key}");
        assert_eq!(upload_with(app, key).await.0, 201, "{key}");
    }
    assert_eq!(get(app, &before).await.0, 200);
    let (during, body) = launch(app, id, KEY).await;
    assert_eq!(
        body["expires_at"],
        grace_end.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "a URL of the old key ends with its grace period"
    );

    app.clock.advance(chrono::Duration::minutes(59));
    assert_eq!(list_with(app, KEY).await.0, 200, "a minute before the end");
    assert_eq!(upload_with(app, KEY).await.0, 201);
    assert_eq!(get(app, &during).await.0, 200);

    app.clock.advance(chrono::Duration::minutes(1));
    let unknown_v2 = list_with(app, "never-issued-key-0123").await;
    assert_eq!(list_with(app, KEY).await, unknown_v2, "the grace period is over");
    assert_eq!(
        upload_with(app, KEY).await,
        upload_with(app, "never-issued-key-0123").await
    );
    assert_eq!(get(app, &during).await.0, 403);
    assert_eq!(list_with(app, &new).await.0, 200, "the new key works on");
    let (fresh, _) = launch(app, id, &new).await;
    assert_eq!(get(app, &fresh).await.0, 200, "and so do its URLs");
    // The key check alone refuses a URL whose own expiry has not come: rotate the new key
    // with no grace.
    let again = app
        .admin
        .rotate_key(app.tenant, rotated.new.record.id, Some(0))
        .await
        .unwrap();
    assert_eq!(get(app, &fresh).await.0, 403, "refused before its own expiry");
    assert_eq!(list_with(app, &again.new.key).await.0, 200);
}

#[actix_web::test]
async fn a_rotated_key_works_through_its_grace_period_then_not() {
    rotation(&TestApp::new().await).await;
}

#[actix_web::test]
async fn a_rotated_key_works_through_its_grace_period_then_not_on_postgres() {
    let Some(app) = TestApp::postgres().await else { return };
    rotation(&app).await;
}

/// A token's key that cannot be read is a server error, never a grant (nor a 403 that would
/// tell the learner the link is dead).
#[actix_web::test]
async fn an_unreadable_key_table_is_a_server_error_not_a_grant() {
    use diesel::connection::SimpleConnection;
    use diesel::{Connection, SqliteConnection};
    let app = TestApp::new().await;
    let id = app.scorm("Unreadable", &sample_package("hse-presentation.zip")).await;
    let (path, _) = launch(&app, id, KEY).await;
    let mut sql = SqliteConnection::establish(app.db_path().to_str().unwrap()).unwrap();
    sql.batch_execute("ALTER TABLE api_keys RENAME TO api_keys_away;")
        .unwrap();
    let (status, body) = get(&app, &path).await;
    assert_eq!(status, 500, "{body}");
    assert!(body["errorMessage"].is_string(), "{body}");
    sql.batch_execute("ALTER TABLE api_keys_away RENAME TO api_keys;")
        .unwrap();
    assert_eq!(get(&app, &path).await.0, 200, "served again once the table is back");
}
