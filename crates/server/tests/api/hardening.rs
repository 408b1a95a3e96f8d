//! Requests from outside that once crashed the process, filled its disk or confused it
//! (issue 13): each answered with a clear error, and nothing left behind.

use crate::helpers::*;
use actix_web::dev::Service;
use actix_web::test;
use serde_json::Value;

const NEW: &str = "/api/activityupload/new";

#[actix_web::test]
async fn deeply_nested_parameters_are_refused_without_a_key_and_with_one() {
    let app = TestApp::new().await;
    let deep = format!("a{}=1", "[x]".repeat(8_000));
    // No key: 401, and the process is still here to say it.
    let (status, body) = app
        .v2("GET", &format!("/api/v2/activities?{deep}"), "application/json", "")
        .await;
    assert_eq!(status, 401, "{body}");
    let (status, body) = app
        .v2(
            "GET",
            &format!("/api/v2/activities?api_key={KEY}&{deep}"),
            "application/json",
            "",
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body[0].as_str().unwrap().contains("nests deeper than 32 levels"),
        "{body}"
    );

    let form = format!("curriculum_activity{}=1", "[x]".repeat(20_000));
    let (status, body) = app
        .v2(
            "POST",
            &format!("/api/v2/curriculum_activities?api_key={KEY}"),
            "application/x-www-form-urlencoded",
            &form,
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = app
        .v2(
            "POST",
            "/api/v2/curriculum_activities",
            "application/x-www-form-urlencoded",
            &form,
        )
        .await;
    assert_eq!(status, 401);

    let many: Vec<String> = (0..1_001).map(|i| format!("p{i}=1")).collect();
    let (status, body) = app
        .v2(
            "GET",
            &format!("/api/v2/activities?api_key={KEY}&{}", many.join("&")),
            "application/json",
            "",
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body[0].as_str().unwrap().contains("more than 1000 parameters"),
        "{body}"
    );
}

#[actix_web::test]
async fn an_api_key_is_one_plain_value_from_one_place() {
    let app = TestApp::new().await;
    let list = "/api/v2/activities";
    for query in [
        format!("api_key[]={KEY}"),
        format!("api_key%5B%5D={KEY}"),
        format!("api_key[0]={KEY}"),
        format!("api_key={KEY}&api_key=other"),
        format!("api_key=other&api_key={KEY}"),
    ] {
        let (status, body) = app.v2("GET", &format!("{list}?{query}"), "application/json", "").await;
        assert_eq!(status, 401, "{query}: {body}");
    }
    // The same key twice is still one credential.
    let (status, _) = app
        .v2(
            "GET",
            &format!("{list}?api_key={KEY}&api_key={KEY}"),
            "application/json",
            "",
        )
        .await;
    assert_eq!(status, 200);
    // A key in the body and another in the query.
    let (status, _) = app
        .v2(
            "GET",
            &format!("{list}?api_key=other"),
            "application/json",
            &format!(r#"{{"api_key": "{KEY}"}}"#),
        )
        .await;
    assert_eq!(status, 401);

    // Query and Authorization disagreeing.
    let service = test::init_service(curricula_server::app::app(app.state.clone())).await;
    let call = |uri: String, bearer: &str| {
        test::TestRequest::get()
            .uri(&uri)
            .insert_header(("authorization", format!("Bearer {bearer}")))
            .to_request()
    };
    let res = service.call(call(format!("{list}?api_key=other"), KEY)).await.unwrap();
    assert_eq!(res.status(), 401);
    let res = service
        .call(call(format!("{list}?api_key={KEY}"), "other"))
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let res = service.call(call(format!("{list}?api_key={KEY}"), KEY)).await.unwrap();
    assert_eq!(res.status(), 200);
}

#[actix_web::test]
async fn the_link_header_never_carries_a_key_whatever_its_spelling() {
    let app = TestApp::new().await;
    for i in 0..51 {
        app.course(&format!("Course {i}")).await;
    }
    let service = test::init_service(curricula_server::app::app(app.state.clone())).await;
    let req = test::TestRequest::get()
        .uri("/api/v2/curriculum_activities?api%5Fkey=test-key-0123456789")
        .to_request();
    let res = service.call(req).await.unwrap();
    assert_eq!(res.status(), 200);
    let link = res.headers().get("link").unwrap().to_str().unwrap().to_owned();
    assert!(link.contains("page=2"), "{link}");
    assert!(!link.contains(KEY), "{link}");
}

#[actix_web::test]
async fn a_file_before_the_credentials_is_refused_before_it_is_stored() {
    let app = TestApp::new().await;
    let package = sample_package("hse-presentation.zip");
    let (status, body) = app
        .post(
            NEW,
            &[
                Part::File("file", &package),
                Part::Text("key", KEY),
                Part::Text("origin", ORIGIN),
                Part::Text("activityType", "scorm"),
                Part::Text("name", "Late key"),
                Part::Text("userName", "jon.jonsson"),
            ],
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["errorMessage"],
        "key and origin must be sent before file: put every text field before the file part"
    );
    assert_eq!(app.spooled_files(), 0);
    assert!(app.stored_files().is_empty());
}

#[actix_web::test]
async fn a_wrong_key_is_refused_before_the_file_is_read() {
    let app = TestApp::new().await;
    // The file part is cut off half-way: were it read, the request would fail as malformed;
    // it is refused as unauthenticated before.
    let (content_type, mut body) = multipart(&[
        Part::Text("key", "wrong-key"),
        Part::Text("origin", ORIGIN),
        Part::Text("activityType", "scorm"),
        Part::Text("name", "x"),
        Part::Text("userName", "jon.jonsson"),
        Part::File("file", &[0u8; 4096]),
    ]);
    body.truncate(body.len() - 2_000);
    let (status, body) = app.post_raw(NEW, &content_type, body).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(app.spooled_files(), 0);
}

#[actix_web::test]
async fn uploads_past_the_instance_bound_get_429_with_retry_after() {
    let app = TestApp::new().await;
    let held: Vec<_> = (0..app.state.intake.settings.max_concurrent)
        .map(|_| app.state.intake.enter().unwrap())
        .collect();
    let service = test::init_service(curricula_server::app::app(app.state.clone())).await;
    let (content_type, body) = multipart(&[Part::Text("key", KEY), Part::Text("origin", ORIGIN)]);
    let req = test::TestRequest::post()
        .uri(NEW)
        .insert_header(("content-type", content_type.clone()))
        .set_payload(body.clone())
        .to_request();
    let res = service.call(req).await.unwrap();
    assert_eq!(res.status(), 429);
    assert_eq!(res.headers().get("retry-after").unwrap(), "5");
    drop(held);
    assert_eq!(app.state.intake.in_flight(), 0);
    // With the places back, the request gets as far as its own fields.
    let req = test::TestRequest::post()
        .uri(NEW)
        .insert_header(("content-type", content_type))
        .set_payload(body)
        .to_request();
    let res = service.call(req).await.unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(
        app.state.intake.in_flight(),
        0,
        "a finished request gives its place back"
    );
}

#[actix_web::test]
async fn a_tenant_past_its_bound_gets_429_while_the_instance_has_room() {
    let app = TestApp::new().await;
    let per_tenant = app.state.intake.settings.max_concurrent_per_tenant;
    let mut held = Vec::new();
    for _ in 0..per_tenant {
        let mut slot = app.state.intake.enter().unwrap();
        slot.for_tenant(app.tenant).unwrap();
        held.push(slot);
    }
    let (status, body) = app
        .post(
            NEW,
            &[
                Part::Text("key", KEY),
                Part::Text("origin", ORIGIN),
                Part::Text("activityType", "course"),
                Part::Text("name", "One too many"),
                Part::Text("userName", "jon.jonsson"),
            ],
        )
        .await;
    assert_eq!(status, 429, "{body}");
    assert!(
        body["errorMessage"].as_str().unwrap().contains("your account has"),
        "{body}"
    );
    drop(held);
    let (status, _) = app
        .post(
            NEW,
            &[
                Part::Text("key", KEY),
                Part::Text("origin", ORIGIN),
                Part::Text("activityType", "course"),
                Part::Text("name", "Now there is room"),
                Part::Text("userName", "jon.jonsson"),
            ],
        )
        .await;
    assert_eq!(status, 201);
}

#[actix_web::test]
async fn control_and_override_characters_are_refused_in_every_text_field() {
    let app = TestApp::new().await;
    for (field, value) in [
        ("name", "a\u{0}b"),
        ("userName", "jon\u{0}"),
        ("name", "gnp.\u{202E}exe"),
    ] {
        let mut parts = vec![
            Part::Text("key", KEY),
            Part::Text("origin", ORIGIN),
            Part::Text("activityType", "course"),
        ];
        parts.push(Part::Text("name", if field == "name" { value } else { "Fine" }));
        parts.push(Part::Text(
            "userName",
            if field == "userName" { value } else { "jon.jonsson" },
        ));
        let (status, body) = app.post(NEW, &parts).await;
        assert_eq!(status, 400, "{field}: {body}");
        assert!(body["errorMessage"].as_str().unwrap().starts_with(field), "{body}");
    }
    let course = app.course("Path").await;
    let create = format!("/api/v2/curriculum_activities?api_key={KEY}");
    for (attribute, value, expected) in [
        ("name", "a\u{0}b", "name must not contain control characters"),
        (
            "description",
            "x\u{0}",
            "description must not contain control characters",
        ),
        ("code", "c\u{1b}[31m", "code must not contain control characters"),
        (
            "name",
            "\u{202E}abc",
            "name must not contain bidirectional override characters",
        ),
    ] {
        let body = serde_json::json!({"curriculum_activity": {"curriculum_id": course, "name": "S", attribute: value}});
        let (status, answer) = app.v2("POST", &create, "application/json", &body.to_string()).await;
        assert_eq!(status, 422, "{attribute}: {answer}");
        assert!(answer.as_array().unwrap().iter().any(|m| m == expected), "{answer}");
    }
    let long_code = "c".repeat(256);
    let body = serde_json::json!({"curriculum_activity": {"curriculum_id": course, "name": "S", "code": long_code}});
    let (status, answer) = app.v2("POST", &create, "application/json", &body.to_string()).await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer[0], "code is too long (maximum is 255 characters)");
    // A description may span lines.
    let body = serde_json::json!({"curriculum_activity": {"curriculum_id": course, "name": "S", "description": "one\ntwo\tthree"}});
    let (status, answer) = app.v2("POST", &create, "application/json", &body.to_string()).await;
    assert_eq!(status, 200, "{answer}");
}

#[actix_web::test]
async fn validation_gaps_are_closed() {
    let app = TestApp::new().await;
    let course = app.course("Path").await;
    let (status, body) = app
        .v2(
            "GET",
            &format!("/api/v2/activities?api_key={KEY}&activity[kind]=x"),
            "application/json",
            "",
        )
        .await;
    assert_eq!(
        (status, body[0].as_str()),
        (422, Some("activity[kind] must be scorm or course"))
    );
    let (status, body) = app
        .v2(
            "GET",
            &format!("/api/v2/curriculum_activities?api_key={KEY}&course[in_catalog]=maybe"),
            "application/json",
            "",
        )
        .await;
    assert_eq!(
        (status, body[0].as_str()),
        (422, Some("course[in_catalog] must be true or false"))
    );
    let (status, body) = app
        .v2(
            "GET",
            &format!("/api/v2/curriculum_activities?api_key={KEY}&curriculum_activity[id]=abc"),
            "application/json",
            "",
        )
        .await;
    assert_eq!(status, 422, "{body}");

    // `+1` is not the id 1.
    let (status, body) = app
        .v2(
            "GET",
            &format!("/api/v2/curriculum_activities?api_key={KEY}&curriculum_activity[curriculum_id]={course}"),
            "application/json",
            "",
        )
        .await;
    assert_eq!(status, 200);
    let id = body[0]["id"].as_i64().unwrap();
    let (status, _) = app
        .v2(
            "PATCH",
            &format!("/api/v2/curriculum_activities/+{id}?api_key={KEY}"),
            "application/json",
            r#"{"curriculum_activity": {"name": "x"}}"#,
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .v2(
            "GET",
            &format!("/api/v2/activities/+{course}?api_key={KEY}"),
            "application/json",
            "",
        )
        .await;
    assert_eq!(status, 404);

    // update_position refuses what it does not know.
    let (status, body) = app
        .v2(
            "PUT",
            &format!("/api/v2/curriculum_activities/{id}/update_position?api_key={KEY}"),
            "application/json",
            &format!(r#"{{"target_id": "{id}", "orientation": "below", "sneaky": 1}}"#),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body[0].as_str().unwrap().starts_with("sneaky is not a known parameter"),
        "{body}"
    );
}

#[actix_web::test]
async fn a_multipart_body_without_its_closing_delimiter_says_so() {
    let app = TestApp::new().await;
    let (content_type, mut body) = multipart(&[
        Part::Text("key", KEY),
        Part::Text("origin", ORIGIN),
        Part::Text("activityType", "course"),
        Part::Text("name", "Unfinished"),
        Part::Text("userName", "jon.jonsson"),
    ]);
    let closing = b"------------------------curriculaTestBoundary--\r\n".len();
    body.truncate(body.len() - closing);
    let (status, body) = app.post_raw(NEW, &content_type, body).await;
    assert_eq!(status, 400, "{body}");
    let message = body["errorMessage"].as_str().unwrap();
    assert!(!message.contains("more than once"), "{message}");
    assert!(message.contains("multipart"), "{message}");
    assert!(app.activity(1).await.is_none());
}

#[actix_web::test]
async fn unknown_json_shapes_are_client_errors() {
    let app = TestApp::new().await;
    let (status, body) = app
        .v2(
            "POST",
            &format!("/api/v2/curriculum_activities?api_key={KEY}"),
            "application/json",
            &format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000)),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(matches!(body, Value::Array(_)));
}
