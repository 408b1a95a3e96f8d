//! Path enrollments through the v2 API (issue 16): the rules of a path (flow, choice,
//! optional, lock_until, attempts_max, weight, exempt_if_mastered) applied to a learner from
//! the commits of the content, the stored status kept current, and the progress report.

use crate::helpers::{KEY, TestApp, built_package};
use actix_web::dev::Service;
use serde_json::{Value, json};

const JSON: &str = "application/json";

fn uri(path: &str) -> String {
    format!("{path}{}api_key={KEY}", if path.contains('?') { '&' } else { '?' })
}

async fn post(app: &TestApp, path: &str, body: Value) -> Value {
    let (status, answer) = app.v2("POST", &uri(path), JSON, &body.to_string()).await;
    assert_eq!(status, 200, "{path} {body}: {answer}");
    answer
}

async fn user(app: &TestApp, name: &str) -> i64 {
    post(app, "/api/v2/users", json!({"user": {"username": name}})).await["id"]
        .as_i64()
        .unwrap()
}

async fn enroll(app: &TestApp, user: i64, course: i64) -> i64 {
    post(
        app,
        "/api/v2/enrollments",
        json!({"enrollment": {"user_id": user, "course_id": course}}),
    )
    .await["id"]
        .as_i64()
        .unwrap()
}

/// A SCORM activity named `name`.
async fn package(app: &TestApp, name: &str) -> i64 {
    app.scorm(name, &built_package(name, "index.html", name)).await
}

/// A section of `path`; `attributes` are the record's own (`sequence_attributes`, `lock_until`).
async fn section(app: &TestApp, path: i64, name: &str, attributes: Value) -> i64 {
    let mut record = json!({"curriculum_id": path, "name": name});
    record
        .as_object_mut()
        .unwrap()
        .extend(attributes.as_object().unwrap().clone());
    post(
        app,
        "/api/v2/curriculum_activities",
        json!({ "curriculum_activity": record }),
    )
    .await["id"]
        .as_i64()
        .unwrap()
}

/// An entry of `activity` in `section`; returns its record id.
async fn entry(app: &TestApp, path: i64, section: i64, activity: i64, attributes: Value) -> i64 {
    let mut record = json!({"curriculum_id": path, "parent_id": section, "course_id": activity});
    record
        .as_object_mut()
        .unwrap()
        .extend(attributes.as_object().unwrap().clone());
    post(
        app,
        "/api/v2/curriculum_activities",
        json!({ "curriculum_activity": record }),
    )
    .await["id"]
        .as_i64()
        .unwrap()
}

async fn read(app: &TestApp, enrollment: i64) -> Value {
    let (status, body) = app
        .v2("GET", &uri(&format!("/api/v2/enrollments/{enrollment}")), JSON, "")
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// The entry `id` of a path enrollment's read.
fn entry_of(read: &Value, id: i64) -> Value {
    read["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["entries"].as_array().unwrap())
        .find(|e| e["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("entry {id} in {read}"))
}

fn section_of(read: &Value, id: i64) -> Value {
    read["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("section {id} in {read}"))
}

async fn launch(app: &TestApp, enrollment: i64, entry: i64) -> (u16, Value) {
    app.v2(
        "GET",
        &uri(&format!("/api/v2/enrollments/{enrollment}/launch?entry_id={entry}")),
        JSON,
        "",
    )
    .await
}

/// Launches `entry` and commits one finished session with `lesson_status` and `score`.
async fn take(app: &TestApp, enrollment: i64, entry: i64, lesson_status: &str, score: Option<&str>) {
    let (status, body) = launch(app, enrollment, entry).await;
    assert_eq!(status, 200, "{body}");
    let token = body["launch_url"]
        .as_str()
        .unwrap()
        .rsplit_once("/play/")
        .unwrap()
        .1
        .to_owned();
    let (status, html) = app.text("GET", &format!("/play/{token}")).await;
    assert_eq!(status, 200, "{html}");
    let start = html.find("id=\"curricula-seed\">").unwrap() + "id=\"curricula-seed\">".len();
    let end = start + html[start..].find("</script>").unwrap();
    let seed: Value = serde_json::from_str(&html[start..end]).unwrap();
    let mut core = json!({"lesson_status": lesson_status, "session_time": "00:01:00", "exit": ""});
    if let Some(raw) = score {
        core["score"] = json!({"raw": raw, "min": "0", "max": "100"});
    }
    let commit = json!({"seq": seed["seq"].as_u64().unwrap() + 1, "sco": seed["scos"][0]["id"],
        "session": "s", "terminate": true, "cmi": {"cmi": {"core": core}}});
    let (status, answer) = app
        .v2(
            "POST",
            &format!("/play/{token}/commit"),
            "text/plain",
            &commit.to_string(),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
}

#[actix_web::test]
async fn a_flow_section_refuses_its_second_entry_until_the_first_is_completed() {
    let app = TestApp::new().await;
    let (fire, aid) = (package(&app, "Fire safety").await, package(&app, "First aid").await);
    let path = app.course("Onboarding").await;
    let basics = section(
        &app,
        path,
        "Basics",
        json!({"sequence_attributes": {"control_mode": "flow"}}),
    )
    .await;
    let first = entry(&app, path, basics, fire, json!({})).await;
    let second = entry(&app, path, basics, aid, json!({})).await;
    let anna = user(&app, "anna").await;
    let e = enroll(&app, anna, path).await;

    let before = read(&app, e).await;
    assert_eq!(before["kind"], "course");
    assert_eq!(before["status"], "not-started");
    assert_eq!(entry_of(&before, first)["state"], "available", "{before}");
    assert_eq!(entry_of(&before, first)["course_id"], fire);
    assert_eq!(entry_of(&before, first)["name"], "Fire safety");
    let locked = entry_of(&before, second);
    assert_eq!(locked["state"], "locked");
    let reason = "complete 'Fire safety' first: section 'Basics' is taken in order";
    assert_eq!(locked["reason"], reason);
    let (status, body) = launch(&app, e, second).await;
    assert_eq!((status, body[0].as_str()), (422, Some(reason)), "{body}");
    // Without an entry, or with one of another path: 422.
    let (status, _) = app
        .v2("GET", &uri(&format!("/api/v2/enrollments/{e}/launch")), JSON, "")
        .await;
    assert_eq!(status, 422);
    let (status, body) = launch(&app, e, 999_999).await;
    assert_eq!(status, 422, "{body}");

    take(&app, e, first, "completed", None).await;
    let after = read(&app, e).await;
    assert_eq!(entry_of(&after, first)["state"], "completed", "{after}");
    assert_eq!(entry_of(&after, second)["state"], "available");
    assert_eq!(after["status"], "in-progress", "stored by the commit: {after}");
    // The launch created the learner's own enrollment in the activity.
    let (_, own) = app
        .v2(
            "GET",
            &uri(&format!(
                "/api/v2/enrollments?enrollment[user_id]={anna}&enrollment[course_id]={fire}"
            )),
            JSON,
            "",
        )
        .await;
    assert_eq!(own.as_array().unwrap().len(), 1, "{own}");
    assert_eq!(own[0]["status"], "completed");
    take(&app, e, second, "completed", None).await;
    let done = read(&app, e).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert!(done["completed_on"].is_string(), "{done}");
    assert_eq!(section_of(&done, basics)["complete"], true);
}

#[actix_web::test]
async fn choice_optional_and_a_shared_activity() {
    let app = TestApp::new().await;
    let (a, b, c) = (
        package(&app, "A").await,
        package(&app, "B").await,
        package(&app, "C").await,
    );
    let path = app.course("Pick").await;
    let pick = section(
        &app,
        path,
        "Pick",
        json!({"sequence_attributes": {"control_mode": "choice"}}),
    )
    .await;
    let extra = section(
        &app,
        path,
        "Extra",
        json!({"sequence_attributes": {"control_mode": "optional"}}),
    )
    .await;
    let in_a = entry(&app, path, pick, a, json!({})).await;
    entry(&app, path, pick, b, json!({})).await;
    // completions_min can not exceed the section's entries: set once they are in.
    let (status, body) = app
        .v2(
            "PUT",
            &uri(&format!("/api/v2/curriculum_activities/{pick}")),
            JSON,
            &json!({"curriculum_activity": {"sequence_attributes": {"completions_min": 1}}}).to_string(),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let in_c = entry(&app, path, extra, c, json!({})).await;
    // Another path holds A too: its enrollment is shared.
    let other = app.course("Other").await;
    let other_section = section(
        &app,
        other,
        "Only",
        json!({"sequence_attributes": {"control_mode": "flow"}}),
    )
    .await;
    entry(&app, other, other_section, a, json!({})).await;
    let anna = user(&app, "anna").await;
    let e = enroll(&app, anna, path).await;
    let o = enroll(&app, anna, other).await;

    let before = read(&app, e).await;
    assert_eq!(section_of(&before, pick)["required"], 1, "{before}");
    assert_eq!(section_of(&before, extra)["required"], 0);
    take(&app, e, in_a, "passed", Some("90")).await;
    let after = read(&app, e).await;
    assert_eq!(section_of(&after, pick)["complete"], true, "one of two: {after}");
    assert_eq!(section_of(&after, pick)["completed"], 1);
    assert_eq!(section_of(&after, extra)["complete"], false, "never needed");
    assert_eq!(entry_of(&after, in_c)["state"], "available");
    assert_eq!(
        after["status"], "completed",
        "the optional section is not needed: {after}"
    );
    // The other path's enrollment was updated by the same commit.
    let (_, completed) = app
        .v2(
            "GET",
            &uri("/api/v2/enrollments?enrollment[status]=completed"),
            JSON,
            "",
        )
        .await;
    let ids: Vec<i64> = completed
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_i64().unwrap())
        .collect();
    assert!(ids.contains(&e) && ids.contains(&o), "{completed}");
    let (_, own) = app
        .v2(
            "GET",
            &uri(&format!("/api/v2/enrollments?enrollment[course_id]={a}")),
            JSON,
            "",
        )
        .await;
    assert_eq!(own.as_array().unwrap().len(), 1, "one shared enrollment in A: {own}");
}

#[actix_web::test]
async fn a_locked_section_says_its_date_and_opens_when_it_is_moved() {
    let app = TestApp::new().await;
    let a = package(&app, "A").await;
    let path = app.course("Later").await;
    let opens = (chrono::Utc::now() + chrono::Duration::days(40)).date_naive();
    let later = section(
        &app,
        path,
        "Later",
        json!({"lock_until": opens.to_string(), "sequence_attributes": {"control_mode": "flow"}}),
    )
    .await;
    let in_a = entry(&app, path, later, a, json!({})).await;
    let e = enroll(&app, user(&app, "anna").await, path).await;
    let reason = format!("section 'Later' opens on {opens}");
    assert_eq!(entry_of(&read(&app, e).await, in_a)["reason"], reason.as_str());
    let (status, body) = launch(&app, e, in_a).await;
    assert_eq!((status, body[0].as_str()), (422, Some(reason.as_str())), "{body}");
    let today = chrono::Utc::now().date_naive().to_string();
    let (status, body) = app
        .v2(
            "PUT",
            &uri(&format!("/api/v2/curriculum_activities/{later}")),
            JSON,
            &json!({"curriculum_activity": {"lock_until": today}}).to_string(),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(launch(&app, e, in_a).await.0, 200);
}

#[actix_web::test]
async fn attempts_max_one_refuses_a_second_attempt_but_resumes_the_running_one() {
    let app = TestApp::new().await;
    let exam = package(&app, "Final").await;
    let path = app.course("Exam").await;
    let s = section(&app, path, "Exam", json!({})).await;
    let final_entry = entry(&app, path, s, exam, json!({"sequence_attributes": {"attempts_max": 1}})).await;
    let e = enroll(&app, user(&app, "anna").await, path).await;
    let (status, first) = launch(&app, e, final_entry).await;
    assert_eq!((status, first["attempt"].as_i64()), (200, Some(1)), "{first}");
    let (status, again) = launch(&app, e, final_entry).await;
    assert_eq!(
        (status, again["attempt"].as_i64()),
        (200, Some(1)),
        "the running one: {again}"
    );
    // The attempt ends without completing.
    take(&app, e, final_entry, "incomplete", None).await;
    let (status, body) = launch(&app, e, final_entry).await;
    assert_eq!(
        (status, body[0].as_str()),
        (422, Some("no attempt left: 1 of 1 used")),
        "{body}"
    );
    let entry = entry_of(&read(&app, e).await, final_entry);
    assert_eq!(
        (
            entry["state"].clone(),
            entry["attempts"].clone(),
            entry["attempts_max"].clone()
        ),
        (json!("locked"), json!(1), json!(1))
    );
}

#[actix_web::test]
async fn the_score_is_the_mean_of_the_weighted_entries_and_mastery_exempts() {
    let app = TestApp::new().await;
    let (a, b, c, pre, drill) = (
        package(&app, "A").await,
        package(&app, "B").await,
        package(&app, "C").await,
        package(&app, "Pre-test").await,
        package(&app, "Drill").await,
    );
    let path = app.course("Scored").await;
    let s = section(&app, path, "All", json!({})).await;
    let in_a = entry(&app, path, s, a, json!({"weight": 1})).await;
    let in_b = entry(&app, path, s, b, json!({"weight": 1})).await;
    let in_c = entry(&app, path, s, c, json!({})).await;
    let e = enroll(&app, user(&app, "anna").await, path).await;
    take(&app, e, in_a, "passed", Some("80")).await;
    take(&app, e, in_b, "passed", Some("60")).await;
    take(&app, e, in_c, "failed", Some("0")).await;
    let scored = read(&app, e).await;
    assert_eq!(scored["score"], 70.0, "{scored}");
    assert_eq!(scored["status"], "completed");
    assert_eq!(scored["success"], "passed", "every weighted entry passed");

    // Passing an exempt_if_mastered entry exempts the rest and completes the path.
    let mastery = app.course("Mastery").await;
    let basics = section(
        &app,
        mastery,
        "Basics",
        json!({"sequence_attributes": {"control_mode": "flow"}}),
    )
    .await;
    let more = section(&app, mastery, "More", json!({})).await;
    let test = entry(&app, mastery, basics, pre, json!({"exempt_if_mastered": true})).await;
    let in_drill = entry(&app, mastery, basics, drill, json!({})).await;
    let deep = entry(&app, mastery, more, a, json!({})).await;
    let bjorn = user(&app, "bjorn").await;
    let m = enroll(&app, bjorn, mastery).await;
    take(&app, m, test, "passed", Some("95")).await;
    let exempted = read(&app, m).await;
    assert_eq!(exempted["status"], "completed", "{exempted}");
    assert_eq!(entry_of(&exempted, in_drill)["state"], "exempt");
    assert_eq!(entry_of(&exempted, deep)["state"], "exempt");
    assert_eq!(entry_of(&exempted, test)["state"], "completed");
}

/// A GET with its status, Content-Type, `X-Total-Count` and body.
async fn get_raw(app: &TestApp, path: &str) -> (u16, String, String, String) {
    let service = actix_web::test::init_service(curricula_server::app::app(app.state.clone())).await;
    let req = actix_web::test::TestRequest::get().uri(&uri(path)).to_request();
    let res = service.call(req).await.unwrap();
    let header = |name: &str| {
        res.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let (status, content_type, total) = (res.status().as_u16(), header("content-type"), header("x-total-count"));
    let body = actix_web::test::read_body(res).await;
    (status, content_type, total, String::from_utf8_lossy(&body).into_owned())
}

#[actix_web::test]
async fn the_stored_status_filters_follow_the_path_and_the_report_lists_every_learner() {
    let app = TestApp::new().await;
    let (a, b) = (package(&app, "A").await, package(&app, "B").await);
    let path = app.course("Both").await;
    let s = section(&app, path, "Both", json!({})).await;
    let in_a = entry(&app, path, s, a, json!({"weight": 1})).await;
    let in_b = entry(&app, path, s, b, json!({})).await;
    let (anna, bjorn) = (user(&app, "anna").await, user(&app, "bjorn").await);
    let ea = enroll(&app, anna, path).await;
    let eb = enroll(&app, bjorn, path).await;
    take(&app, ea, in_a, "passed", Some("88")).await;
    let completed_path = format!("/api/v2/enrollments?enrollment[status]=completed&enrollment[course_id]={path}");
    let (_, none) = app.v2("GET", &uri(&completed_path), JSON, "").await;
    assert_eq!(none, json!([]), "a choice section without completions_min needs both");
    let (_, going) = app
        .v2(
            "GET",
            &uri(&format!(
                "/api/v2/enrollments?enrollment[status]=in-progress&enrollment[course_id]={path}"
            )),
            JSON,
            "",
        )
        .await;
    assert_eq!(going.as_array().unwrap().len(), 1, "{going}");
    assert_eq!(going[0]["id"], ea);

    // The report before the path changes.
    let (status, report) = app
        .v2("GET", &uri(&format!("/api/v2/curricula/{path}/progress")), JSON, "")
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report.as_array().unwrap().len(), 2, "{report}");
    assert_eq!(report[0]["username"], "anna");
    assert_eq!(report[0]["status"], "in-progress");
    assert_eq!(report[0]["score"], 88.0);
    assert_eq!(
        (
            report[0]["entries_completed"].clone(),
            report[0]["entries_total"].clone()
        ),
        (json!(1), json!(2))
    );
    assert_eq!(report[1]["user_id"], bjorn);
    assert_eq!(report[1]["status"], "not-started");
    assert_eq!(report[1]["completed_on"], Value::Null);

    // B leaves the path: anna's path is complete now, which her next read stores.
    let (status, _) = app
        .v2(
            "DELETE",
            &uri(&format!("/api/v2/curriculum_activities/{in_b}")),
            JSON,
            "",
        )
        .await;
    assert_eq!(status, 200);
    let now = read(&app, ea).await;
    assert_eq!(now["status"], "completed", "{now}");
    let day = now["completed_on"].as_str().unwrap()[..10].to_owned();
    let (_, found) = app.v2("GET", &uri(&completed_path), JSON, "").await;
    assert_eq!(found.as_array().unwrap().len(), 1, "{found}");
    assert_eq!(found[0]["id"], ea);
    let (_, on_day) = app
        .v2(
            "GET",
            &uri(&format!(
                "/api/v2/enrollments?enrollment[completed_on]={day}&enrollment[course_id]={path}"
            )),
            JSON,
            "",
        )
        .await;
    assert_eq!(on_day.as_array().unwrap().len(), 1, "{on_day}");
    // A completed path stays completed when an entry is added.
    entry(&app, path, s, b, json!({})).await;
    assert_eq!(read(&app, ea).await["status"], "completed");

    let (status, content_type, total, body) = get_raw(&app, &format!("/api/v2/curricula/{path}/progress")).await;
    assert_eq!((status, total.as_str()), (200, "2"), "{body}");
    assert!(content_type.starts_with("application/json"), "{content_type}");
    let (status, content_type, _, csv) = get_raw(&app, &format!("/api/v2/curricula/{path}/progress?format=csv")).await;
    assert_eq!(status, 200, "{csv}");
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "enrollment_id,user_id,username,status,success,score,entries_completed,entries_total,completed_on"
    );
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(
        lines[1].starts_with(&format!("{ea},{anna},anna,completed,passed,88,1,2,{day}")),
        "{csv}"
    );
    assert_eq!(lines[2], format!("{eb},{bjorn},bjorn,not-started,unknown,,0,2,"));
    let (status, _) = app
        .v2("GET", &uri(&format!("/api/v2/curricula/{a}/progress")), JSON, "")
        .await;
    assert_eq!(status, 404, "a SCORM activity is not a path");
    let (status, _) = app
        .v2(
            "GET",
            &uri(&format!("/api/v2/curricula/{path}/progress?format=xml")),
            JSON,
            "",
        )
        .await;
    assert_eq!(status, 422);
}

#[actix_web::test]
async fn a_change_to_the_path_recomputes_its_enrollments_in_the_background() {
    let app = TestApp::new().await;
    let (a, b) = (package(&app, "A").await, package(&app, "B").await);
    let path = app.course("Both").await;
    let s = section(&app, path, "Both", json!({})).await;
    let in_a = entry(&app, path, s, a, json!({})).await;
    let in_b = entry(&app, path, s, b, json!({})).await;
    let anna = user(&app, "anna").await;
    let ea = enroll(&app, anna, path).await;
    take(&app, ea, in_a, "passed", Some("88")).await;
    let completed_path = format!("/api/v2/enrollments?enrollment[status]=completed&enrollment[course_id]={path}");
    let (_, none) = app.v2("GET", &uri(&completed_path), JSON, "").await;
    assert_eq!(none, json!([]));

    // B, the only incomplete entry, leaves the path: the List finds anna's path completed
    // without anna's enrollment being read first.
    let (status, _) = app
        .v2(
            "DELETE",
            &uri(&format!("/api/v2/curriculum_activities/{in_b}")),
            JSON,
            "",
        )
        .await;
    assert_eq!(status, 200);
    let mut found = json!([]);
    for _ in 0..100 {
        found = app.v2("GET", &uri(&completed_path), JSON, "").await.1;
        if found.as_array().is_some_and(|f| !f.is_empty()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(found.as_array().unwrap().len(), 1, "{found}");
    assert_eq!(found[0]["id"], ea);
    assert_eq!(found[0]["status"], "completed");
}
