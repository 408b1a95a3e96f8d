//! The Curriculum Activities API (v2) through the real application.

use crate::helpers::*;
use serde_json::{Value, json};

const JSON: &str = "application/json";

async fn scorm_in(app: &TestApp, parent: Option<i64>, name: &str) -> i64 {
    let parent = parent.map(|p| p.to_string()).unwrap_or_default();
    let (status, body) = app
        .post(
            "/api/activityupload/new",
            &[
                Part::Text("key", KEY),
                Part::Text("origin", ORIGIN),
                Part::Text("activityType", "scorm"),
                Part::Text("name", name),
                Part::Text("userName", "jon.jonsson"),
                Part::Text("parentActivityId", &parent),
                Part::File("file", &sample_package("hse-presentation.zip")),
            ],
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["activityId"].as_i64().unwrap()
}

fn shape(records: &Value) -> Vec<(i64, Option<i64>, i64, i64)> {
    records
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_i64().unwrap(),
                r["course_id"].as_i64(),
                r["lft"].as_i64().unwrap(),
                r["rgt"].as_i64().unwrap(),
            )
        })
        .collect()
}

#[actix_web::test]
async fn the_spec_examples_work() {
    let app = TestApp::new().await;
    let path = app.course("Path").await;
    let in_path = scorm_in(&app, Some(path), "First").await;
    let loose = scorm_in(&app, None, "Loose").await;

    let list = format!("/api/v2/curriculum_activities?api_key={KEY}&curriculum_activity%5Bcurriculum_id%5D={path}");
    let (status, records) = app.v2("GET", &list, JSON, "").await;
    assert_eq!(status, 200, "{records}");
    let section = records[0]["id"].as_i64().unwrap();
    assert_eq!(
        shape(&records),
        vec![(section, None, 1, 4), (section + 1, Some(in_path), 2, 3)]
    );
    assert_eq!(records[0]["sequence_attributes"]["control_mode"], "choice");
    assert_eq!(records[0]["account_id"], app.tenant.0);
    assert_eq!(records[1]["updated_by"], Value::Null);

    // Add an optional section.
    let body = format!(
        r#"{{ "curriculum_activity": {{"curriculum_id": "{path}", "name": "My Section", "sequence_attributes": {{ "control_mode": "optional" }} }} }}"#
    );
    let (status, created) = app
        .v2(
            "POST",
            &format!("/api/v2/curriculum_activities?api_key={KEY}"),
            JSON,
            &body,
        )
        .await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(
        (
            created["name"].as_str(),
            created["lft"].as_i64(),
            created["rgt"].as_i64()
        ),
        (Some("My Section"), Some(5), Some(6))
    );
    assert_eq!(created["sequence_attributes"]["control_mode"], "optional");
    let optional = created["id"].as_i64().unwrap();

    // Insert an existing course record into that section.
    let body = format!(
        r#"{{ "curriculum_activity": {{"curriculum_id": "{path}", "course_id": "{loose}", "parent_id": {optional} }} }}"#
    );
    let (status, entry) = app
        .v2(
            "POST",
            &format!("/api/v2/curriculum_activities?api_key={KEY}"),
            JSON,
            &body,
        )
        .await;
    assert_eq!(status, 200, "{entry}");
    assert_eq!(
        (entry["name"].as_str(), entry["parent_id"].as_i64()),
        (Some("Loose"), Some(optional))
    );
    let loose_entry = entry["id"].as_i64().unwrap();

    // Rename the first section.
    let body = r#"{ "curriculum_activity": { "name": "My New Name" } }"#;
    let (status, renamed) = app
        .v2(
            "PUT",
            &format!("/api/v2/curriculum_activities/{section}?api_key={KEY}"),
            JSON,
            body,
        )
        .await;
    assert_eq!((status, renamed["name"].as_str()), (200, Some("My New Name")));

    // Move the optional section above the first one (the spec's body has an unquoted key).
    let body = format!(r#"{{ "target_id": "{section}", orientation: "above" }}"#);
    let uri = format!("/api/v2/curriculum_activities/{optional}/update_position?api_key={KEY}");
    let (status, empty) = app.v2("PUT", &uri, JSON, &body).await;
    assert_eq!((status, empty), (200, Value::Null));
    // Move the loose entry below the first one, into the other section.
    let body = format!(r#"{{ "target_id": "{}", orientation: "below" }}"#, section + 1);
    let uri = format!("/api/v2/curriculum_activities/{loose_entry}/update_position?api_key={KEY}");
    assert_eq!(app.v2("PATCH", &uri, JSON, &body).await.0, 200);
    let (_, records) = app.v2("GET", &list, JSON, "").await;
    assert_eq!(
        shape(&records),
        vec![
            (optional, None, 1, 2),
            (section, None, 3, 8),
            (section + 1, Some(in_path), 4, 5),
            (loose_entry, Some(loose), 6, 7)
        ]
    );

    // Destroy the first section and its entries.
    let uri = format!("/api/v2/curriculum_activities/{section}?api_key={KEY}");
    let (status, body) = app.v2("DELETE", &uri, JSON, "").await;
    assert_eq!(status, 422, "the last non-optional section cannot go: {body}");
    let (status, _) = app
        .v2(
            "PUT",
            &format!("/api/v2/curriculum_activities/{optional}?api_key={KEY}"),
            JSON,
            r#"{"curriculum_activity": {"sequence_attributes": {"control_mode": "flow"}}}"#,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(app.v2("DELETE", &uri, JSON, "").await.0, 200);
    let (_, records) = app.v2("GET", &list, JSON, "").await;
    assert_eq!(shape(&records), vec![(optional, None, 1, 2)]);
}

#[actix_web::test]
async fn errors_are_arrays_with_the_right_status() {
    let app = TestApp::new().await;
    let path = app.course("Path").await;
    let inner = app.course("Inner").await;
    let base = "/api/v2/curriculum_activities";

    let (status, body) = app.v2("GET", &format!("{base}?api_key=wrong"), JSON, "").await;
    assert_eq!((status, body), (401, json!(["invalid api_key"])));
    assert_eq!(app.v2("GET", base, JSON, "").await.0, 401);

    let (status, body) = app
        .v2(
            "GET",
            &format!("{base}?api_key={KEY}&curriculum_activity[colour]=red"),
            JSON,
            "",
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body[0]
            .as_str()
            .unwrap()
            .starts_with("curriculum_activity[colour] is not a filter"),
        "{body}"
    );

    let (status, body) = app
        .v2(
            "PUT",
            &format!("{base}/999999?api_key={KEY}"),
            JSON,
            r#"{"curriculum_activity": {"name": "x"}}"#,
        )
        .await;
    assert_eq!(status, 404, "{body}");
    assert!(body.is_array());

    let create = |attrs: String| format!(r#"{{"curriculum_activity": {attrs}}}"#);
    let cases = [
        (
            // Record 1 is the default section of `path`, the first course created.
            create(format!(
                r#"{{"curriculum_id": {path}, "course_id": {inner}, "parent_id": 1}}"#
            )),
            "can not be a path",
        ),
        (create(r#"{"name": "no path"}"#.into()), "curriculum_id"),
        (
            create(r#"{"curriculum_id": 999999, "name": "x"}"#.into()),
            "curriculum_id 999999",
        ),
        (
            create(format!(r#"{{"curriculum_id": {path}, "name": "x", "colour": "red"}}"#)),
            "colour",
        ),
        (
            create(format!(r#"{{"curriculum_id": {path}, "name": "{}"}}"#, "x".repeat(256))),
            "name",
        ),
    ];
    for (body, needle) in cases {
        let (status, answer) = app.v2("POST", &format!("{base}?api_key={KEY}"), JSON, &body).await;
        assert_eq!(status, 422, "{body} -> {answer}");
        let text = answer.to_string();
        assert!(text.contains(needle), "{text} should mention {needle}");
    }
}

#[actix_web::test]
async fn form_bodies_and_bearer_keys_work() {
    let app = TestApp::new().await;
    let path = app.course("Path").await;
    let (status, record) = app
        .v2(
            "POST",
            "/api/v2/curriculum_activities",
            "application/x-www-form-urlencoded",
            &format!("api_key={KEY}&curriculum_activity[curriculum_id]={path}&curriculum_activity[name]=Form+made&curriculum_activity[sequence_attributes][control_mode]=flow"),
        )
        .await;
    assert_eq!(status, 200, "{record}");
    assert_eq!(
        (
            record["name"].as_str(),
            record["sequence_attributes"]["control_mode"].as_str()
        ),
        (Some("Form made"), Some("flow"))
    );

    let app_state = app.state.clone();
    let service = actix_web::test::init_service(curricula_server::app::app(app_state)).await;
    let req = actix_web::test::TestRequest::get()
        .uri(&format!(
            "/api/v2/curriculum_activities?curriculum_activity[curriculum_id]={path}"
        ))
        .insert_header(("authorization", format!("Bearer {KEY}")))
        .to_request();
    let records: Value = actix_web::test::call_and_read_body_json(&service, req).await;
    assert_eq!(records.as_array().unwrap().len(), 2);
}

#[actix_web::test]
async fn lists_paginate_by_fifty_with_count_and_links() {
    let app = TestApp::new().await;
    for i in 0..60 {
        app.course(&format!("Path {i}")).await;
    }
    let service = actix_web::test::init_service(curricula_server::app::app(app.state.clone())).await;
    let get = |uri: String| actix_web::test::TestRequest::get().uri(&uri).to_request();
    let res = actix_web::test::call_service(
        &service,
        get(format!("/api/v2/curriculum_activities?api_key={KEY}&page=2")),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers().get("x-total-count").unwrap(), "60");
    let link = res.headers().get("link").unwrap().to_str().unwrap().to_owned();
    assert!(link.contains("page=1>; rel=\"prev\""), "{link}");
    assert!(link.contains("page=2>; rel=\"last\""), "{link}");
    assert!(!link.contains(KEY), "links never carry the key: {link}");
    let body: Value = actix_web::test::read_body_json(res).await;
    assert_eq!(body.as_array().unwrap().len(), 10);
    let first: Value =
        actix_web::test::call_and_read_body_json(&service, get(format!("/api/v2/curriculum_activities?api_key={KEY}")))
            .await;
    assert_eq!(first.as_array().unwrap().len(), 50);
    let ids: Vec<i64> = first
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["curriculum_id"].as_i64().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] <= w[1]), "ordered by path");
    let (status, body) = app
        .v2(
            "GET",
            &format!("/api/v2/curriculum_activities?api_key={KEY}&page=0"),
            JSON,
            "",
        )
        .await;
    assert_eq!((status, body), (422, json!(["page must be a positive integer"])));
}

#[actix_web::test]
async fn the_activities_read_api_shows_uploads_and_their_versions() {
    let app = TestApp::new().await;
    let path = app.course("Path").await;
    let scorm = scorm_in(&app, Some(path), "First").await;
    let (status, list) = app
        .v2(
            "GET",
            &format!("/api/v2/activities?api_key={KEY}&activity[kind]=scorm"),
            JSON,
            "",
        )
        .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["id"], scorm);
    let (status, one) = app
        .v2("GET", &format!("/api/v2/activities/{scorm}?api_key={KEY}"), JSON, "")
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (one["kind"].as_str(), one["parent_id"].as_i64()),
        (Some("scorm"), Some(path))
    );
    let version = &one["language_versions"][0];
    assert_eq!(version["language"], "en-GB");
    assert_eq!(version["scorm"]["launch_href"], "index.html");
    assert_eq!(version["scorm"]["scorm_version"], "1.2");
    assert_eq!(version["scorm"]["mastery_score"], 80.0);
    assert!(version["scorm"]["items"].is_array());
    assert_eq!(
        app.v2("GET", &format!("/api/v2/activities/999999?api_key={KEY}"), JSON, "")
            .await
            .0,
        404
    );
    let (status, body) = app
        .v2(
            "GET",
            &format!("/api/v2/activities?api_key={KEY}&activity[colour]=red"),
            JSON,
            "",
        )
        .await;
    assert_eq!(status, 422, "{body}");
    // course[...] filters of the curriculum list take the same attributes.
    let uri = format!("/api/v2/curriculum_activities?api_key={KEY}&course[kind]=course&course[id]={path}");
    let (status, records) = app.v2("GET", &uri, JSON, "").await;
    assert_eq!((status, records.as_array().map(Vec::len)), (200, Some(2)));
}

/// A small deterministic generator (xorshift), so a failing sequence can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The tree a List returns is a consistent nested set: gap-free 1..2n, sections in order
/// enclosing exactly their entries, no activity twice, a non-optional section.
fn assert_consistent(records: &[Value]) {
    let mut bounds: Vec<i64> = records
        .iter()
        .flat_map(|r| [r["lft"].as_i64().unwrap(), r["rgt"].as_i64().unwrap()])
        .collect();
    bounds.sort_unstable();
    assert_eq!(
        bounds,
        (1..=bounds.len() as i64).collect::<Vec<_>>(),
        "gap-free numbering"
    );
    let mut expected = 1;
    let mut current: Option<&Value> = None;
    let mut courses = std::collections::HashSet::new();
    for r in records {
        let (lft, rgt) = (r["lft"].as_i64().unwrap(), r["rgt"].as_i64().unwrap());
        if r["course_id"].is_null() {
            if let Some(section) = current {
                assert_eq!(
                    section["rgt"].as_i64().unwrap(),
                    expected,
                    "section closes after its entries"
                );
                expected += 1;
            }
            assert_eq!(lft, expected);
            expected += 1;
            current = Some(r);
        } else {
            let section = current.expect("an entry follows a section");
            assert_eq!(
                r["parent_id"], section["id"],
                "entries sit in the section enclosing them"
            );
            assert_eq!((lft, rgt), (expected, expected + 1));
            expected += 2;
            assert!(
                courses.insert(r["course_id"].as_i64().unwrap()),
                "an activity appears once"
            );
        }
    }
    if let Some(section) = current {
        assert_eq!(section["rgt"].as_i64().unwrap(), expected);
    }
    assert!(
        records
            .iter()
            .any(|r| r["course_id"].is_null() && r["sequence_attributes"]["control_mode"] != "optional"),
        "a path keeps a non-optional section"
    );
}

#[actix_web::test]
async fn a_long_random_sequence_keeps_the_tree_consistent() {
    let app = TestApp::new().await;
    let path = app.course("Random path").await;
    let mut activities = Vec::new();
    for i in 0..6 {
        activities.push(scorm_in(&app, None, &format!("Package {i}")).await);
    }
    activities.push(app.course("A path, refused as course_id").await);
    let list = format!("/api/v2/curriculum_activities?api_key={KEY}&curriculum_activity[curriculum_id]={path}");
    let base = "/api/v2/curriculum_activities";
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let (mut accepted, mut refused) = (0, 0);
    let (_, mut before) = app.v2("GET", &list, JSON, "").await;
    for step in 0..250 {
        let records = before.as_array().unwrap().clone();
        let mut ids: Vec<i64> = records.iter().map(|r| r["id"].as_i64().unwrap()).collect();
        ids.push(999_999);
        let id = *rng.pick(&ids);
        let modes = ["flow", "choice", "optional"];
        let (method, uri, body) = match rng.below(6) {
            0 => (
                "POST",
                format!("{base}?api_key={KEY}"),
                format!(
                    r#"{{"curriculum_activity": {{"curriculum_id": {path}, "name": "S{step}", "sequence_attributes": {{"control_mode": "{}"}}}}}}"#,
                    rng.pick(&modes)
                ),
            ),
            1 => (
                "POST",
                format!("{base}?api_key={KEY}"),
                format!(
                    r#"{{"curriculum_activity": {{"curriculum_id": {path}, "course_id": {}, "parent_id": {id}}}}}"#,
                    rng.pick(&activities)
                ),
            ),
            2 => (
                "PATCH",
                format!("{base}/{id}?api_key={KEY}"),
                format!(
                    r#"{{"curriculum_activity": {{"sequence_attributes": {{"control_mode": "{}", "completions_min": {}}}}}}}"#,
                    rng.pick(&modes),
                    rng.below(3)
                ),
            ),
            3 | 4 => (
                "PUT",
                format!("{base}/{id}/update_position?api_key={KEY}"),
                format!(
                    r#"{{"target_id": {}, "orientation": "{}"}}"#,
                    rng.pick(&ids),
                    rng.pick(&["above", "below", "inside"])
                ),
            ),
            _ => ("DELETE", format!("{base}/{id}?api_key={KEY}"), String::new()),
        };
        let (status, answer) = app.v2(method, &uri, JSON, &body).await;
        assert!(
            matches!(status, 200 | 404 | 422),
            "step {step}: {method} {uri} {body} -> {status} {answer}"
        );
        let (_, after) = app.v2("GET", &list, JSON, "").await;
        assert_consistent(after.as_array().unwrap());
        if status == 200 {
            accepted += 1;
        } else {
            refused += 1;
            assert!(answer.is_array(), "errors are arrays");
            assert_eq!(
                after, before,
                "step {step}: a refused {method} {uri} {body} changed the path ({answer})"
            );
        }
        before = after;
    }
    assert!(
        accepted > 40 && refused > 40,
        "the sequence exercises both: {accepted} accepted, {refused} refused"
    );
}

#[actix_web::test]
async fn a_malformed_body_is_a_422_for_an_authenticated_caller() {
    let app = TestApp::new().await;
    let uri = format!("/api/v2/curriculum_activities?api_key={KEY}");
    let (status, body) = app.v2("POST", &uri, JSON, "{oops").await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body[0]
            .as_str()
            .unwrap()
            .starts_with("the request body is not valid JSON"),
        "{body}"
    );
    let (status, _) = app
        .v2("POST", "/api/v2/curriculum_activities?api_key=wrong", JSON, "{oops")
        .await;
    assert_eq!(status, 401, "an unknown key learns nothing about its body");
}
