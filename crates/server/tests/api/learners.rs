//! Users and enrollments through the v2 API (issue 15): creation, profiles, filters, the
//! refusals that must name their field, and that nothing is left behind by a refusal.

use crate::helpers::{KEY, TestApp, built_package};
use serde_json::{Value, json};

const JSON: &str = "application/json";

fn uri(path: &str) -> String {
    format!("{path}{}api_key={KEY}", if path.contains('?') { '&' } else { '?' })
}

async fn create_user(app: &TestApp, user: Value) -> (u16, Value) {
    app.v2(
        "POST",
        &uri("/api/v2/users"),
        JSON,
        &json!({ "user": user }).to_string(),
    )
    .await
}

#[actix_web::test]
async fn users_are_created_read_changed_and_listed() {
    let app = TestApp::new().await;
    let (status, anna) = create_user(
        &app,
        json!({"username": "anna", "first_name": "Anna", "last_name": "Jónsdóttir", "email": "anna@istak.is", "code": "E-17"}),
    )
    .await;
    assert_eq!(status, 200, "{anna}");
    assert_eq!(anna["username"], "anna");
    assert_eq!(anna["code"], "E-17");
    let id = anna["id"].as_i64().unwrap();

    let (status, read) = app.v2("GET", &uri(&format!("/api/v2/users/{id}")), JSON, "").await;
    assert_eq!(status, 200);
    assert_eq!(read, anna);

    // PATCH changes what is sent; an empty string clears; the username may be repeated.
    let (status, changed) = app
        .v2(
            "PATCH",
            &uri(&format!("/api/v2/users/{id}")),
            JSON,
            &json!({"user": {"username": "anna", "email": "", "first_name": "Anna María"}}).to_string(),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["first_name"], "Anna María");
    assert_eq!(changed["email"], Value::Null);
    assert_eq!(changed["last_name"], "Jónsdóttir");

    // Form-encoded, Rails-style keys.
    let (status, bjorn) = app
        .v2(
            "POST",
            &uri("/api/v2/users"),
            "application/x-www-form-urlencoded",
            "user[username]=bjorn&user[code]=E-18",
        )
        .await;
    assert_eq!(status, 200, "{bjorn}");

    let (status, list) = app.v2("GET", &uri("/api/v2/users"), JSON, "").await;
    assert_eq!(status, 200);
    // The fixture's own user (the upload API's userName) is one of the tenant's users.
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["jon.jonsson", "anna", "bjorn"]);
    let (_, by_code) = app.v2("GET", &uri("/api/v2/users?user[code]=E-18"), JSON, "").await;
    assert_eq!(by_code.as_array().unwrap().len(), 1);
    assert_eq!(by_code[0]["username"], "bjorn");
}

#[actix_web::test]
async fn bad_users_are_refused_naming_the_field() {
    let app = TestApp::new().await;
    let (status, body) = create_user(&app, json!({"first_name": "X", "email": "not-an-address"})).await;
    assert_eq!(status, 422);
    let messages: Vec<&str> = body.as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
    assert!(
        messages.iter().any(|m| m.starts_with("username is required")),
        "{messages:?}"
    );
    assert!(messages.iter().any(|m| m.starts_with("email ")), "{messages:?}");

    let (status, _) = create_user(&app, json!({"username": "anna", "code": "E-1"})).await;
    assert_eq!(status, 200);
    let (status, body) = create_user(&app, json!({"username": "anna"})).await;
    assert_eq!((status, body[0].as_str().unwrap()), (422, "username \"anna\" is taken"));
    let (status, body) = create_user(&app, json!({"username": "other", "code": "E-1"})).await;
    assert_eq!(status, 422);
    assert!(body[0].as_str().unwrap().starts_with("code "), "{body}");
    let (status, body) = create_user(&app, json!({"username": "x", "nickname": "y"})).await;
    assert_eq!(status, 422);
    assert!(
        body[0]
            .as_str()
            .unwrap()
            .starts_with("user[nickname] is not an attribute"),
        "{body}"
    );

    // The username never changes.
    let (_, list) = app.v2("GET", &uri("/api/v2/users?user[username]=anna"), JSON, "").await;
    let id = list[0]["id"].as_i64().unwrap();
    let (status, body) = app
        .v2(
            "PUT",
            &uri(&format!("/api/v2/users/{id}")),
            JSON,
            &json!({"user": {"username": "anna2"}}).to_string(),
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        body[0].as_str().unwrap().starts_with("username cannot change"),
        "{body}"
    );
    // Nothing of the refusals was stored.
    let (_, list) = app.v2("GET", &uri("/api/v2/users"), JSON, "").await;
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
    let (status, _) = app.v2("GET", &uri("/api/v2/users/999999"), JSON, "").await;
    assert_eq!(status, 404);
}

#[actix_web::test]
async fn enrollments_are_created_once_filtered_and_removed() {
    let app = TestApp::new().await;
    let package = app
        .scorm("Fire safety", &built_package("Fire safety", "index.html", "a"))
        .await;
    let path = app.course("Onboarding").await;
    let (_, anna) = create_user(&app, json!({"username": "anna"})).await;
    let user = anna["id"].as_i64().unwrap();

    let enroll = |course: i64, user: i64| json!({"enrollment": {"user_id": user, "course_id": course}}).to_string();
    let (status, first) = app
        .v2("POST", &uri("/api/v2/enrollments"), JSON, &enroll(package, user))
        .await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["status"], "not-started");
    assert_eq!(first["success"], "unknown");
    assert_eq!(first["attempts"], 0);
    assert_eq!(first["kind"], "scorm");
    let (status, second) = app
        .v2("POST", &uri("/api/v2/enrollments"), JSON, &enroll(path, user))
        .await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["kind"], "course");

    // A second enrollment in the same course, an unknown user or course: 422, nothing stored.
    let (status, body) = app
        .v2("POST", &uri("/api/v2/enrollments"), JSON, &enroll(package, user))
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(body[0].as_str().unwrap().contains("already enrolled"), "{body}");
    let (status, body) = app
        .v2("POST", &uri("/api/v2/enrollments"), JSON, &enroll(package, 999_999))
        .await;
    assert_eq!(
        (status, body[0].as_str().unwrap()),
        (422, "user_id 999999 is not a user of your account")
    );
    let (status, body) = app
        .v2("POST", &uri("/api/v2/enrollments"), JSON, &enroll(999_999, user))
        .await;
    assert_eq!(status, 422);
    assert!(body[0].as_str().unwrap().starts_with("course_id 999999"), "{body}");
    let (status, body) = app
        .v2(
            "POST",
            &uri("/api/v2/enrollments"),
            JSON,
            &json!({"enrollment": {"user_id": "x"}}).to_string(),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(body.as_array().unwrap().len(), 2, "{body}");

    let (_, all) = app.v2("GET", &uri("/api/v2/enrollments"), JSON, "").await;
    assert_eq!(all.as_array().unwrap().len(), 2);
    let (_, scorm_only) = app
        .v2(
            "GET",
            &uri(&format!("/api/v2/enrollments?enrollment[course_id]={package}")),
            JSON,
            "",
        )
        .await;
    assert_eq!(scorm_only.as_array().unwrap().len(), 1);
    let (_, none_completed) = app
        .v2(
            "GET",
            &uri("/api/v2/enrollments?enrollment[status]=completed"),
            JSON,
            "",
        )
        .await;
    assert_eq!(none_completed, json!([]));
    let (status, body) = app
        .v2("GET", &uri("/api/v2/enrollments?enrollment[status]=done"), JSON, "")
        .await;
    assert_eq!(status, 422, "{body}");

    let id = first["id"].as_i64().unwrap();
    let (status, _) = app
        .v2("DELETE", &uri(&format!("/api/v2/enrollments/{id}")), JSON, "")
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .v2("GET", &uri(&format!("/api/v2/enrollments/{id}")), JSON, "")
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .v2("DELETE", &uri(&format!("/api/v2/enrollments/{id}")), JSON, "")
        .await;
    assert_eq!(status, 404);
}

#[actix_web::test]
async fn a_launch_answers_a_player_url_and_a_path_needs_an_entry() {
    let app = TestApp::new().await;
    let package = app
        .scorm("Fire safety", &built_package("Fire safety", "index.html", "a"))
        .await;
    let path = app.course("Onboarding").await;
    let (_, anna) = create_user(&app, json!({"username": "anna"})).await;
    let user = anna["id"].as_i64().unwrap();
    let enroll = |course: i64| json!({"enrollment": {"user_id": user, "course_id": course}}).to_string();
    let (_, e) = app
        .v2("POST", &uri("/api/v2/enrollments"), JSON, &enroll(package))
        .await;
    let (_, p) = app.v2("POST", &uri("/api/v2/enrollments"), JSON, &enroll(path)).await;

    let launch = format!("/api/v2/enrollments/{}/launch", e["id"]);
    let (status, body) = app.v2("GET", &uri(&launch), JSON, "").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["attempt"], 1);
    let url = body["launch_url"].as_str().unwrap();
    assert!(url.contains("/play/"), "{url}");
    // The running attempt is resumed, not a new one opened.
    let (_, again) = app.v2("GET", &uri(&launch), JSON, "").await;
    assert_eq!(again["attempt"], 1);
    let (_, read) = app
        .v2("GET", &uri(&format!("/api/v2/enrollments/{}", e["id"])), JSON, "")
        .await;
    assert_eq!(read["attempts"], 1, "{read}");
    assert!(read["started_on"].is_string(), "{read}");
    assert_eq!(read["runtime"]["attempt"], 1, "{read}");

    let (status, body) = app
        .v2(
            "GET",
            &uri(&format!("/api/v2/enrollments/{}/launch", p["id"])),
            JSON,
            "",
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = app.v2("GET", &uri(&format!("{launch}?language=xx-XX")), JSON, "").await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = app.v2("GET", "/api/v2/enrollments/1/launch", JSON, "").await;
    assert_eq!(status, 401);
}

/// The player token of a launch URL.
fn token_of(launch_url: &str) -> String {
    launch_url.rsplit_once("/play/").unwrap().1.to_owned()
}

/// The seed of a player page.
async fn seed_of(app: &TestApp, token: &str) -> Value {
    let (status, html) = app.text("GET", &format!("/play/{token}")).await;
    assert_eq!(status, 200, "{html}");
    let start = html.find("id=\"curricula-seed\">").expect("a seed in the page") + "id=\"curricula-seed\">".len();
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end]).unwrap()
}

async fn commit(app: &TestApp, token: &str, body: &Value) -> (u16, Value) {
    app.v2(
        "POST",
        &format!("/play/{token}/commit"),
        "text/plain",
        &body.to_string(),
    )
    .await
}

async fn launch(app: &TestApp, enrollment: i64) -> (String, i64) {
    let (status, body) = app
        .v2(
            "GET",
            &uri(&format!("/api/v2/enrollments/{enrollment}/launch")),
            JSON,
            "",
        )
        .await;
    assert_eq!(status, 200, "{body}");
    (
        token_of(body["launch_url"].as_str().unwrap()),
        body["attempt"].as_i64().unwrap(),
    )
}

#[actix_web::test]
async fn commits_are_kept_resumed_summed_and_never_repeated() {
    let app = TestApp::new().await;
    let package = app
        .scorm("Fire safety", &built_package("Fire safety", "index.html", "a"))
        .await;
    let (_, anna) = create_user(
        &app,
        json!({"username": "anna", "first_name": "Anna", "last_name": "Jónsdóttir"}),
    )
    .await;
    let (_, e) = app
        .v2(
            "POST",
            &uri("/api/v2/enrollments"),
            JSON,
            &json!({"enrollment": {"user_id": anna["id"], "course_id": package}}).to_string(),
        )
        .await;
    let id = e["id"].as_i64().unwrap();
    let read = || async {
        app.v2("GET", &uri(&format!("/api/v2/enrollments/{id}")), JSON, "")
            .await
            .1
    };

    let (token, attempt) = launch(&app, id).await;
    assert_eq!(attempt, 1);
    let seed = seed_of(&app, &token).await;
    assert_eq!(seed["version"], "1.2");
    assert_eq!(seed["seq"], 0);
    let sco = seed["scos"][0].clone();
    assert_eq!(sco["cmi"]["cmi"]["core"]["entry"], "ab-initio", "{sco}");
    assert_eq!(sco["cmi"]["cmi"]["core"]["student_name"], "Jónsdóttir, Anna", "{sco}");
    assert!(sco["url"].as_str().unwrap().starts_with("/content/"), "{sco}");
    let item = sco["id"].as_str().unwrap().to_owned();

    // First session: a suspend.
    let first = json!({"seq": 1, "sco": item, "session": "s1", "terminate": true, "cmi": {"cmi": {
        "suspend_data": "abc", "core": {"lesson_location": "page-3", "lesson_status": "incomplete",
        "session_time": "00:01:00", "exit": "suspend"}}}});
    assert_eq!(
        commit(&app, &token, &first).await,
        (200, json!({"result": true, "errorCode": 0}))
    );
    // A repeated or stale sequence number changes nothing.
    let mut stale = first.clone();
    stale["cmi"]["cmi"]["core"]["lesson_location"] = json!("elsewhere");
    assert_eq!(commit(&app, &token, &stale).await.0, 200);
    let after = read().await;
    assert_eq!(after["status"], "in-progress", "{after}");
    assert_eq!(after["runtime"]["scos"][0]["location"], "page-3", "{after}");
    assert_eq!(after["runtime"]["scos"][0]["suspend_data_length"], 3);
    assert_eq!(after["total_time_seconds"], 60.0);

    // The next launch resumes the suspended attempt.
    let (token, attempt) = launch(&app, id).await;
    assert_eq!(attempt, 1);
    let seed = seed_of(&app, &token).await;
    assert_eq!(seed["seq"], 1);
    let cmi = &seed["scos"][0]["cmi"]["cmi"];
    assert_eq!(cmi["core"]["entry"], "resume", "{cmi}");
    assert_eq!(cmi["core"]["lesson_location"], "page-3");
    assert_eq!(cmi["suspend_data"], "abc");

    // Second session: passed and finished.
    let second = json!({"seq": 2, "sco": item, "session": "s2", "terminate": true, "cmi": {"cmi": {
        "suspend_data": "abcd", "core": {"lesson_location": "end", "lesson_status": "passed",
        "score": {"raw": "90", "min": "0", "max": "100"}, "session_time": "00:02:00", "exit": ""}}}});
    assert_eq!(commit(&app, &token, &second).await.0, 200);
    let done = read().await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["success"], "passed");
    assert_eq!(done["score"], 90.0);
    assert_eq!(done["total_time_seconds"], 180.0);
    assert!(done["completed_on"].is_string());
    assert!(done["runtime"]["ended_on"].is_string(), "{done}");
    let (_, completed) = app
        .v2(
            "GET",
            &uri("/api/v2/enrollments?enrollment[status]=completed"),
            JSON,
            "",
        )
        .await;
    assert_eq!(completed.as_array().unwrap().len(), 1);

    // The attempt ended: its token commits no more; the next launch is attempt 2.
    let mut late = second.clone();
    late["seq"] = json!(3);
    assert_eq!(commit(&app, &token, &late).await.0, 409);
    let (token2, attempt) = launch(&app, id).await;
    assert_eq!(attempt, 2);
    let seed = seed_of(&app, &token2).await;
    assert_eq!(seed["scos"][0]["cmi"]["cmi"]["core"]["entry"], "ab-initio");
    // A worse second attempt lowers nothing.
    let worse = json!({"seq": 1, "sco": item, "session": "t1", "terminate": true, "cmi": {"cmi": {
        "core": {"lesson_status": "failed", "score": {"raw": "10"}, "session_time": "00:00:30", "exit": ""}}}});
    assert_eq!(commit(&app, &token2, &worse).await.0, 200);
    let kept = read().await;
    assert_eq!(
        (kept["status"].clone(), kept["success"].clone(), kept["score"].clone()),
        (json!("completed"), json!("passed"), json!(90.0))
    );
    assert_eq!(kept["attempts"], 2);
    assert_eq!(kept["total_time_seconds"], 210.0);
}

#[actix_web::test]
async fn bad_commits_and_tokens_are_refused_and_store_nothing() {
    let app = TestApp::new().await;
    let package = app
        .scorm("Fire safety", &built_package("Fire safety", "index.html", "a"))
        .await;
    let (_, anna) = create_user(&app, json!({"username": "anna"})).await;
    let (_, e) = app
        .v2(
            "POST",
            &uri("/api/v2/enrollments"),
            JSON,
            &json!({"enrollment": {"user_id": anna["id"], "course_id": package}}).to_string(),
        )
        .await;
    let id = e["id"].as_i64().unwrap();
    let (token, _) = launch(&app, id).await;
    let item = seed_of(&app, &token).await["scos"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = |cmi: Value| json!({"seq": 1, "sco": item, "session": "s", "terminate": false, "cmi": {"cmi": cmi}});

    let (status, answer) = app
        .v2("POST", &format!("/play/{token}/commit"), JSON, "{not json")
        .await;
    assert_eq!((status, answer["result"].clone()), (400, json!(false)), "{answer}");
    let (status, answer) = commit(&app, &token, &json!({"seq": "x"})).await;
    assert_eq!(status, 400, "{answer}");
    let (status, answer) = commit(&app, &token, &body(json!({"favourite_colour": "blue"}))).await;
    assert_eq!((status, answer["errorCode"].clone()), (422, json!(401)), "{answer}");
    assert!(
        answer["errorMessage"]
            .as_str()
            .unwrap()
            .contains("cmi.favourite_colour"),
        "{answer}"
    );
    let (status, answer) = commit(&app, &token, &body(json!({"suspend_data": "x".repeat(64_001)}))).await;
    assert_eq!((status, answer["errorCode"].clone()), (422, json!(405)), "{answer}");
    let (status, answer) = commit(&app, &token, &body(json!({"core": {"score": {"raw": "lots"}}}))).await;
    assert_eq!(status, 422, "{answer}");
    let (status, _) = commit(
        &app,
        &token,
        &json!({"seq": 1, "sco": "nope", "session": "s", "cmi": {"cmi": {}}}),
    )
    .await;
    assert_eq!(status, 422);
    let (status, _) = app
        .v2(
            "POST",
            &format!("/play/{token}/commit"),
            "text/plain",
            &"x".repeat(1024 * 1024 + 1),
        )
        .await;
    assert_eq!(status, 413);
    let (status, _) = app
        .v2("POST", &format!("/play/{token}/commit"), "image/png", "{}")
        .await;
    assert_eq!(status, 415);
    // 64,000 characters of suspend_data are kept whole.
    let (status, _) = commit(&app, &token, &body(json!({"suspend_data": "y".repeat(64_000)}))).await;
    assert_eq!(status, 200);
    let (_, read) = app
        .v2("GET", &uri(&format!("/api/v2/enrollments/{id}")), JSON, "")
        .await;
    assert_eq!(read["runtime"]["scos"][0]["suspend_data_length"], 64_000, "{read}");
    assert_eq!(read["runtime"]["scos"].as_array().unwrap().len(), 1);

    // A tampered token: a page the learner can read, and a refused commit.
    let mut tampered = token.clone().into_bytes();
    tampered[3] = if tampered[3] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let (status, page) = app.text("GET", &format!("/play/{tampered}")).await;
    assert_eq!(status, 403);
    assert!(page.contains("does not work"), "a page the learner can read: {page}");
    let (status, _) = commit(&app, &tampered, &body(json!({}))).await;
    assert_eq!(status, 403);
    // Unenrolled: the token opens nothing any more.
    app.v2("DELETE", &uri(&format!("/api/v2/enrollments/{id}")), JSON, "")
        .await;
    let (status, _) = app.text("GET", &format!("/play/{token}")).await;
    assert_eq!(status, 410);
}

/// A SCORM 1.2 package of two SCOs and an asset, built here.
fn multi_sco_package() -> Vec<u8> {
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="multi" version="1.0"
          xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
          xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="org">
    <organization identifier="org">
      <title>Two lessons</title>
      <item identifier="lesson-1" identifierref="r1"><title>Lesson 1</title></item>
      <item identifier="lesson-2" identifierref="r2"><title>Lesson 2</title></item>
      <item identifier="glossary" identifierref="r3"><title>Glossary</title></item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="r1" type="webcontent" adlcp:scormtype="sco" href="one.html"><file href="one.html"/></resource>
    <resource identifier="r2" type="webcontent" adlcp:scormtype="sco" href="two.html"><file href="two.html"/></resource>
    <resource identifier="r3" type="webcontent" adlcp:scormtype="asset" href="glossary.html"><file href="glossary.html"/></resource>
  </resources>
</manifest>
"#;
    crate::helpers::zip_of(&[
        ("imsmanifest.xml", manifest.as_bytes()),
        ("one.html", b"<html><body>one</body></html>"),
        ("two.html", b"<html><body>two</body></html>"),
        ("glossary.html", b"<html><body>glossary</body></html>"),
    ])
}

#[actix_web::test]
async fn a_package_of_several_scos_completes_when_every_sco_does() {
    let app = TestApp::new().await;
    let package = app.scorm("Two lessons", &multi_sco_package()).await;
    let (_, anna) = create_user(&app, json!({"username": "anna"})).await;
    let (_, e) = app
        .v2(
            "POST",
            &uri("/api/v2/enrollments"),
            JSON,
            &json!({"enrollment": {"user_id": anna["id"], "course_id": package}}).to_string(),
        )
        .await;
    let id = e["id"].as_i64().unwrap();
    let (token, _) = launch(&app, id).await;
    let seed = seed_of(&app, &token).await;
    let ids: Vec<&str> = seed["scos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["lesson-1", "lesson-2", "glossary"]);
    assert_eq!(seed["start"], "lesson-1");
    let done = |seq: u64, sco: &str, raw: &str| {
        json!({"seq": seq, "sco": sco, "session": sco, "terminate": true, "cmi": {"cmi": {"core": {
            "lesson_status": "passed", "score": {"raw": raw}, "session_time": "00:01:00", "exit": ""}}}})
    };
    assert_eq!(commit(&app, &token, &done(1, "lesson-1", "80")).await.0, 200);
    let (_, half) = app
        .v2("GET", &uri(&format!("/api/v2/enrollments/{id}")), JSON, "")
        .await;
    assert_eq!(half["status"], "in-progress", "one SCO of two: {half}");
    assert!(
        half["runtime"]["ended_on"].is_null(),
        "finishing one SCO keeps the attempt: {half}"
    );
    // The player opens the first SCO not completed.
    assert_eq!(seed_of(&app, &token).await["start"], "lesson-2");
    assert_eq!(commit(&app, &token, &done(2, "lesson-2", "100")).await.0, 200);
    let (_, whole) = app
        .v2("GET", &uri(&format!("/api/v2/enrollments/{id}")), JSON, "")
        .await;
    assert_eq!(whole["status"], "completed", "{whole}");
    assert_eq!(whole["success"], "passed");
    assert_eq!(whole["score"], 90.0, "the mean of the SCOs' scores");
    assert_eq!(whole["total_time_seconds"], 120.0);
    assert_eq!(whole["runtime"]["scos"].as_array().unwrap().len(), 2);
    assert!(whole["runtime"]["ended_on"].is_string());
}

#[actix_web::test]
async fn a_replaced_package_does_not_disturb_a_running_attempt() {
    let app = TestApp::new().await;
    let first = built_package("Fire safety", "index.html", "first");
    let package = app.scorm("Fire safety", &first).await;
    let (_, anna) = create_user(&app, json!({"username": "anna"})).await;
    let (_, e) = app
        .v2(
            "POST",
            &uri("/api/v2/enrollments"),
            JSON,
            &json!({"enrollment": {"user_id": anna["id"], "course_id": package}}).to_string(),
        )
        .await;
    let id = e["id"].as_i64().unwrap();
    let (token, _) = launch(&app, id).await;
    let before = seed_of(&app, &token).await;
    let item = before["scos"][0]["id"].as_str().unwrap().to_owned();

    let (status, body) = app
        .post(
            "/api/activityupload/replace",
            &[
                crate::helpers::Part::Text("key", KEY),
                crate::helpers::Part::Text("origin", crate::helpers::ORIGIN),
                crate::helpers::Part::Text("activityId", &package.to_string()),
                crate::helpers::Part::Text("languageId", "en-GB"),
                crate::helpers::Part::File("file", &built_package("Fire safety", "index.html", "second")),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // The running attempt keeps revision 1: same content folder, and commits go on.
    let during = seed_of(&app, &token).await;
    assert_eq!(during["scos"][0]["url"], before["scos"][0]["url"]);
    let (status, page) = app.text("GET", during["scos"][0]["url"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert!(page.contains("first"), "{page}");
    let finish = json!({"seq": 1, "sco": item, "session": "s", "terminate": true, "cmi": {"cmi": {"core": {
        "lesson_status": "completed", "session_time": "00:00:10", "exit": ""}}}});
    assert_eq!(commit(&app, &token, &finish).await.0, 200);
    let (_, read) = app
        .v2("GET", &uri(&format!("/api/v2/enrollments/{id}")), JSON, "")
        .await;
    assert_eq!(read["runtime"]["revision"], 1, "{read}");
    // The next attempt runs the current revision.
    let (token, attempt) = launch(&app, id).await;
    assert_eq!(attempt, 2);
    let next = seed_of(&app, &token).await;
    let (_, page) = app.text("GET", next["scos"][0]["url"].as_str().unwrap()).await;
    assert!(page.contains("second"), "{page}");
    let (_, read) = app
        .v2("GET", &uri(&format!("/api/v2/enrollments/{id}")), JSON, "")
        .await;
    assert_eq!(read["runtime"]["revision"], 2, "{read}");
}
