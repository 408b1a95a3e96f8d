//! The audit trail end to end (issue 9): every successful write of both APIs is one event,
//! `GET /api/v2/audit_events` filters and pages them, refused writes leave none, and no key
//! ever appears — on SQLite and on Postgres (required in CI).

use crate::helpers::*;
use serde_json::Value;

const JSON: &str = "application/json";

async fn events(app: &TestApp, query: &str) -> (u16, Value) {
    app.v2("GET", &format!("/api/v2/audit_events?api_key={KEY}{query}"), JSON, "")
        .await
}

fn actions(body: &Value) -> Vec<String> {
    body.as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

async fn every_write_is_recorded(app: &TestApp) {
    let package = sample_package("hse-presentation.zip");
    let course = app.course("Path").await;
    let (status, body) = app
        .post(
            "/api/activityupload/new",
            &[
                Part::Text("key", KEY),
                Part::Text("origin", ORIGIN),
                Part::Text("activityType", "scorm"),
                Part::Text("name", "HSE"),
                Part::Text("userName", "jon.jonsson"),
                Part::Text("externalId", "crm-1"),
                Part::File("file", &package),
            ],
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let scorm = body["activityId"].as_i64().unwrap();
    let is = sample_package("hse-presentation-is.zip");
    let (status, _) = app
        .post(
            "/api/activityupload/addlanguage",
            &[
                Part::Text("key", KEY),
                Part::Text("origin", ORIGIN),
                Part::Text("activityId", &scorm.to_string()),
                Part::Text("languageId", "is-IS"),
                Part::Text("name", "Kynning"),
                Part::File("file", &is),
            ],
        )
        .await;
    assert_eq!(status, 201);
    let (status, _) = app
        .post(
            "/api/activityupload/replace",
            &[
                Part::Text("key", KEY),
                Part::Text("origin", ORIGIN),
                Part::Text("activityId", &scorm.to_string()),
                Part::Text("languageId", "en-GB"),
                Part::File("file", &is),
            ],
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .post(
            "/api/activityupload/rollback",
            &[
                Part::Text("key", KEY),
                Part::Text("origin", ORIGIN),
                Part::Text("activityId", &scorm.to_string()),
                Part::Text("languageId", "en-GB"),
                Part::Text("revision", "1"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    let uri = format!("/api/v2/curriculum_activities?api_key={KEY}");
    let (status, section) = app
        .v2(
            "POST",
            &uri,
            JSON,
            &format!(r#"{{"curriculum_activity": {{"curriculum_id": {course}, "name": "Week 2"}}}}"#),
        )
        .await;
    assert_eq!(status, 200, "{section}");
    let section = section["id"].as_i64().unwrap();
    let (status, entry) = app
        .v2(
            "POST",
            &uri,
            JSON,
            &format!(r#"{{"curriculum_activity": {{"curriculum_id": {course}, "parent_id": {section}, "course_id": {scorm}}}}}"#),
        )
        .await;
    assert_eq!(status, 200, "{entry}");
    let entry = entry["id"].as_i64().unwrap();
    let record_uri = |id: i64| format!("/api/v2/curriculum_activities/{id}?api_key={KEY}");
    let (status, _) = app
        .v2(
            "PUT",
            &record_uri(entry),
            JSON,
            r#"{"curriculum_activity": {"name": "Renamed"}}"#,
        )
        .await;
    assert_eq!(status, 200);
    let first_section = section - 1;
    let (status, body) = app
        .v2(
            "PUT",
            &format!("/api/v2/curriculum_activities/{section}/update_position?api_key={KEY}"),
            JSON,
            &format!(r#"{{"target_id": {first_section}, "orientation": "above"}}"#),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = app.v2("DELETE", &record_uri(section), JSON, "").await;
    assert_eq!(status, 200);

    // Refused writes record nothing.
    let (status, _) = app
        .v2(
            "PUT",
            &record_uri(entry),
            JSON,
            r#"{"curriculum_activity": {"initial_view": "huge"}}"#,
        )
        .await;
    assert_eq!(status, 422);
    let (status, _) = app
        .post(
            "/api/activityupload/rollback",
            &[
                Part::Text("key", KEY),
                Part::Text("origin", ORIGIN),
                Part::Text("activityId", &scorm.to_string()),
                Part::Text("languageId", "en-GB"),
                Part::Text("revision", "9"),
            ],
        )
        .await;
    assert_eq!(status, 400);

    let (status, all) = events(app, "").await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(
        actions(&all),
        [
            "curriculum_activity.destroy",
            "curriculum_activity.update_position",
            "curriculum_activity.update",
            "curriculum_activity.create",
            "curriculum_activity.create",
            "package.rollback",
            "package.replace",
            "language_version.create",
            "activity.create",
            "activity.create",
        ],
        "newest first, one per successful write"
    );
    let text = all.to_string();
    assert!(!text.contains(KEY), "the key never appears");
    let newest = &all[0];
    assert!(newest["api_key_id"].as_i64().unwrap() > 0);
    assert_eq!(newest["request_id"].as_str().map(str::len), Some(16), "{newest}");
    assert_eq!(newest["curriculum_activity_id"], section);
    assert_eq!(newest["changes"]["after"], Value::Null);
    assert_eq!(newest["changes"]["before"]["name"], "Week 2");
    let moved = &all[1];
    assert_eq!(moved["changes"]["orientation"], "above");
    assert!(
        moved["changes"]["before"]["lft"].as_i64() > moved["changes"]["after"]["lft"].as_i64(),
        "{moved}"
    );
    let renamed = &all[2];
    assert_eq!(renamed["changes"]["after"]["name"], "Renamed");
    assert_ne!(renamed["changes"]["before"]["name"], "Renamed");
    let created = &all[8];
    assert_eq!(created["activity_id"], scorm);
    assert_eq!(created["origin"], "skoli.istak.is");
    assert_eq!(created["changes"]["externalId"], "crm-1");
    assert_eq!(created["changes"]["package"]["size"], package.len());
    let rolled = &all[5];
    assert_eq!(
        (
            rolled["changes"]["before"]["revision"].as_i64(),
            rolled["changes"]["after"]["revision"].as_i64()
        ),
        (Some(2), Some(1))
    );

    // Filters: action, activity, record, key, time range; paging.
    let (_, only) = events(app, "&audit_event[action]=package.replace").await;
    assert_eq!(actions(&only), ["package.replace"]);
    let (_, about) = events(app, &format!("&audit_event[activity_id]={scorm}")).await;
    assert_eq!(about.as_array().unwrap().len(), 4, "{about}");
    let (_, record) = events(app, &format!("&audit_event[curriculum_activity_id]={entry}")).await;
    assert_eq!(
        actions(&record),
        ["curriculum_activity.update", "curriculum_activity.create"]
    );
    let key_id = newest["api_key_id"].as_i64().unwrap();
    let (_, by_key) = events(app, &format!("&audit_event[api_key_id]={key_id}")).await;
    assert_eq!(by_key.as_array().unwrap().len(), 10);
    let (_, by_other) = events(app, &format!("&audit_event[api_key_id]={}", key_id + 100)).await;
    assert_eq!(by_other, serde_json::json!([]));
    let (_, today) = events(app, "&audit_event[created_at]=2000-01-01,2999-12-31").await;
    assert_eq!(today.as_array().unwrap().len(), 10);
    let (_, past) = events(app, "&audit_event[created_at]=2000-01-01").await;
    assert_eq!(past, serde_json::json!([]));
    let (_, page_two) = events(app, "&page=2").await;
    assert_eq!(page_two, serde_json::json!([]));

    // Malformed queries are 422s that name the problem; no key is 401.
    let (status, body) = events(app, "&audit_event[colour]=red").await;
    assert_eq!(status, 422);
    assert!(
        body[0]
            .as_str()
            .unwrap()
            .starts_with("audit_event[colour] is not a filter"),
        "{body}"
    );
    let (status, body) = events(app, "&audit_event[action]=activity.delete").await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = events(app, "&audit_event[created_at]=yesterday").await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = app.v2("GET", "/api/v2/audit_events", JSON, "").await;
    assert_eq!(status, 401);
}

on_both_databases!(every_write_is_recorded);
