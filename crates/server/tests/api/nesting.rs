//! Deeply nested manifest items (issue 13, finding 2): thousands of levels are refused without
//! crashing the server, and everything accepted reads back through the read API.

use crate::helpers::*;
use serde_json::Value;

const NEW: &str = "/api/activityupload/new";
const VALIDATE: &str = "/api/activityupload/validate";

/// A SCORM 1.2 package whose organisation is one chain of `depth` nested items, the innermost
/// launching `index.html`.
fn nested_package(depth: usize) -> Vec<u8> {
    let mut items = String::with_capacity(depth * 40);
    for level in 1..=depth {
        let reference = if level == depth { r#" identifierref="r""# } else { "" };
        items.push_str(&format!(
            r#"<item identifier="i{level}"{reference}><title>Level {level}</title>"#
        ));
    }
    items.push_str(&"</item>".repeat(depth));
    let manifest = format!(
        r#"<?xml version="1.0"?>
<manifest identifier="m" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="o"><organization identifier="o"><title>Deep</title>{items}</organization></organizations>
  <resources><resource identifier="r" type="webcontent" adlcp:scormtype="sco" href="index.html"/></resources>
</manifest>"#
    );
    zip_of(&[("imsmanifest.xml", manifest.as_bytes()), ("index.html", b"<p>deep</p>")])
}

fn upload(file: &[u8]) -> Vec<Part<'_>> {
    vec![
        Part::Text("key", KEY),
        Part::Text("origin", ORIGIN),
        Part::Text("activityType", "scorm"),
        Part::Text("name", "Deep"),
        Part::Text("userName", "jon.jonsson"),
        Part::File("file", file),
    ]
}

async fn nested_items_past_the_limit_are_a_400_and_leave_nothing_behind(app: &TestApp) {
    let limit = curricula_scorm::MAX_ITEM_DEPTH;
    // 3,000 levels crashed the process; 70 was accepted and then unreadable; one past the limit.
    for depth in [3_000, 70, limit + 1] {
        let package = nested_package(depth);
        for path in [NEW, VALIDATE] {
            let (status, body) = app.post(path, &upload(&package)).await;
            assert_eq!(status, 400, "{depth} levels to {path}: {body}");
            let message = body["errorMessage"].as_str().unwrap_or_default();
            assert_eq!(
                message,
                format!(
                    "SCORM package refused (items_too_deep): imsmanifest.xml: item \"i{}\" is nested {} levels deep in organization \"o\", more than the limit of {limit}",
                    limit + 1,
                    limit + 1
                ),
                "{depth} levels to {path}: {body}"
            );
        }
    }
    assert_eq!(app.activity_count().await, 0, "no activity");
    assert!(app.stored_files().is_empty(), "no blob: {:?}", app.stored_files());
    assert_eq!(app.spooled_files(), 0, "no spooled upload");
    // The server is still there.
    let (status, body) = app.post(NEW, &upload(&nested_package(3))).await;
    assert_eq!(status, 201, "{body}");
}

async fn nested_items_at_the_limit_are_accepted_and_read_back(app: &TestApp) {
    let limit = curricula_scorm::MAX_ITEM_DEPTH;
    let (status, body) = app.post(NEW, &upload(&nested_package(limit))).await;
    assert_eq!(status, 201, "{body}");
    let id = body["activityId"].as_i64().unwrap();
    for _ in 0..2 {
        let (status, activity) = app
            .v2(
                "GET",
                &format!("/api/v2/activities/{id}?api_key={KEY}"),
                "application/json",
                "",
            )
            .await;
        assert_eq!(status, 200, "{activity}");
        let mut level = &activity["language_versions"][0]["scorm"]["items"];
        for depth in 1..=limit {
            let items = level.as_array().unwrap_or_else(|| panic!("depth {depth}: {level}"));
            assert_eq!(items.len(), 1, "depth {depth}");
            assert_eq!(items[0]["identifier"], format!("i{depth}"));
            assert_eq!(items[0]["title"], format!("Level {depth}"));
            level = &items[0]["children"];
        }
        assert_eq!(level, &Value::Array(Vec::new()));
    }
    // The stored revision (its content is the whole tree as JSON) reads back too.
    let activity = app.activity(id).await.expect("the activity reads back");
    assert_eq!(activity.versions.len(), 1);
    let scorm = activity.versions[0].scorm.as_ref().expect("a package");
    assert!(scorm.items.is_array(), "{}", scorm.items);
}

on_both_databases!(
    nested_items_past_the_limit_are_a_400_and_leave_nothing_behind,
    nested_items_at_the_limit_are_accepted_and_read_back
);

#[actix_web::test]
async fn a_too_deep_package_is_counted_by_its_refusal_kind() {
    let app = TestApp::new().await;
    let metrics = |app: &TestApp| {
        let state = app.state.clone();
        async move {
            use actix_web::dev::Service;
            let service = actix_web::test::init_service(curricula_server::app::app(state)).await;
            let req = actix_web::test::TestRequest::get().uri("/metrics").to_request();
            let res = service.call(req).await.unwrap();
            String::from_utf8(actix_web::test::read_body(res).await.to_vec()).unwrap()
        }
    };
    let name = r#"curricula_packages_refused_total{kind="items_too_deep"}"#;
    let count = |text: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
            .unwrap_or(0.0)
    };
    let before = count(&metrics(&app).await);
    let (status, _) = app.post(NEW, &upload(&nested_package(3_000))).await;
    assert_eq!(status, 400);
    let after = metrics(&app).await;
    assert!(count(&after) - before >= 1.0, "{after}");
}
