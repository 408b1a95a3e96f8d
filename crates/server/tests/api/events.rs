//! The event log's readers over HTTP (issue 17), on both databases: the change feed, and
//! webhooks delivered to a receiver on this machine that refuses the first tries.

use crate::helpers::{KEY, TestApp, built_package, on_both_databases, webhook_settings};
use crate::receiver::{Received, receiver};
use curricula_ports::WebhookRepository;
use curricula_service::webhooks::{Deliverer, DeliveryCounters};
use serde_json::{Value, json};
use std::sync::Arc;

const JSON: &str = "application/json";

fn uri(path: &str) -> String {
    format!("{path}{}api_key={KEY}", if path.contains('?') { '&' } else { '?' })
}

fn deliverer(app: &TestApp) -> Deliverer<dyn WebhookRepository> {
    Deliverer::new(
        app.db.webhooks(),
        Arc::new(curricula_server::webhooks::HttpSender::new().unwrap()),
        Arc::new(curricula_server::api::v2::events::render_event),
        Arc::clone(&app.clock) as Arc<dyn curricula_ports::Clock>,
        webhook_settings(),
        "test-instance".into(),
        Arc::new(DeliveryCounters::default()),
    )
}

/// Rounds of the deliverer until the receiver accepted `n` events, moving the clock past each
/// back-off (and waiting a little when there is nothing to do yet: see [`settled`]).
async fn deliver_all(app: &TestApp, deliverer: &Deliverer<dyn WebhookRepository>, received: &Received, n: usize) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while received.lock().unwrap().len() < n {
        assert!(std::time::Instant::now() < deadline, "the deliveries never settled");
        if deliverer.round().await.unwrap() == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        app.clock.advance(chrono::Duration::seconds(5));
    }
}

async fn write_some(app: &TestApp) -> i64 {
    let activity = app
        .scorm("Fire safety", &built_package("Fire safety", "index.html", "f"))
        .await;
    for name in ["ada", "bob"] {
        let (status, body) = app
            .v2(
                "POST",
                &uri("/api/v2/users"),
                JSON,
                &json!({"user": {"username": name}}).to_string(),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, users) = app.v2("GET", &uri("/api/v2/users"), JSON, "").await;
    assert_eq!(status, 200);
    let ada = users[0]["id"].as_i64().unwrap();
    let body = json!({"enrollment": {"user_id": ada, "course_id": activity}}).to_string();
    let (status, answer) = app.v2("POST", &uri("/api/v2/enrollments"), JSON, &body).await;
    assert_eq!(status, 200, "{answer}");
    activity
}

async fn feed(app: &TestApp, query: &str) -> (u16, Value) {
    app.v2("GET", &uri(&format!("/api/v2/events{query}")), JSON, "").await
}

/// The feed's events for `query` once it holds `n` of them: on Postgres the feed shows only
/// what committed below the oldest transaction still running on the server, so a reader may
/// wait for a transaction of someone else (another test's) to end.
async fn settled(app: &TestApp, query: &str, n: usize) -> Vec<Value> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (status, page) = feed(app, query).await;
        assert_eq!(status, 200, "{page}");
        let events = page["events"].as_array().unwrap().clone();
        if events.len() >= n || std::time::Instant::now() > deadline {
            return events;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn the_feed_answers_every_event_once_in_order(app: &TestApp) {
    let activity = write_some(app).await;
    settled(app, "", 4).await;
    let mut cursor = String::new();
    let mut events = Vec::new();
    for _ in 0..10 {
        let (status, page) = feed(app, &format!("?limit=2&after={cursor}")).await;
        assert_eq!(status, 200, "{page}");
        let batch = page["events"].as_array().unwrap().clone();
        assert!(batch.len() <= 2);
        cursor = page["next"].as_str().unwrap().to_owned();
        if batch.is_empty() {
            break;
        }
        events.extend(batch);
    }
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        ["activity.created", "user.created", "user.created", "enrollment.created"]
    );
    let ids: Vec<i64> = events.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    let enrolled = &events[3];
    assert_eq!(enrolled["course_id"], activity);
    assert!(enrolled["enrollment_id"].is_i64() && enrolled["user_id"].is_i64() && enrolled["api_key_id"].is_i64());
    for field in [
        "occurred_at",
        "account_id",
        "curriculum_activity_id",
        "request_id",
        "data",
    ] {
        assert!(enrolled.get(field).is_some(), "{field} in {enrolled}");
    }
    // The cursor of the last read answers nothing new; the next write follows it.
    let (_, page) = feed(app, &format!("?after={cursor}")).await;
    assert_eq!(
        (page["events"].as_array().unwrap().len(), page["next"].as_str()),
        (0, Some(cursor.as_str()))
    );
    app.v2(
        "POST",
        &uri("/api/v2/users"),
        JSON,
        &json!({"user": {"username": "cy"}}).to_string(),
    )
    .await;
    let next = settled(app, &format!("?after={cursor}"), 1).await;
    assert_eq!((next.len(), next[0]["type"].as_str()), (1, Some("user.created")));
    // Filters.
    assert_eq!(settled(app, "?event[type]=user.created", 3).await.len(), 3);
    assert_eq!(
        settled(app, &format!("?event[course_id]={activity}"), 2).await.len(),
        2,
        "created and enrolled"
    );
    // Refusals name the parameter; no key, no feed.
    let (status, problems) = feed(app, "?after=yesterday&limit=5000&event[type]=user.born").await;
    assert_eq!(status, 422);
    let text = problems.to_string();
    assert!(
        text.contains("after") && text.contains("limit") && text.contains("user.born"),
        "{text}"
    );
    let (status, _) = app.v2("GET", "/api/v2/events", JSON, "").await;
    assert_eq!(status, 401);
}

async fn webhooks_are_signed_retried_and_in_feed_order(app: &TestApp) {
    let (url, received) = receiver(2);
    let body = json!({"webhook": {"url": url, "events": ["*"]}}).to_string();
    let (status, hook) = app.v2("POST", &uri("/api/v2/webhooks"), JSON, &body).await;
    assert_eq!(status, 200, "{hook}");
    let secret = hook["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    let id = hook["id"].as_i64().unwrap();
    let (_, shown) = app.v2("GET", &uri(&format!("/api/v2/webhooks/{id}")), JSON, "").await;
    assert_eq!(
        (shown["url"].as_str(), shown.get("secret")),
        (Some(url.as_str()), None),
        "the secret is shown once"
    );
    let (_, listed) = app.v2("GET", &uri("/api/v2/webhooks"), JSON, "").await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    // Plain http elsewhere, and unknown types, are refused with their field named.
    let body = json!({"webhook": {"url": "http://hooks.example.com/x", "events": ["user.born"]}}).to_string();
    let (status, problems) = app.v2("POST", &uri("/api/v2/webhooks"), JSON, &body).await;
    assert_eq!(status, 422);
    assert!(
        problems[0].as_str().unwrap().starts_with("url must be https"),
        "{problems}"
    );

    write_some(app).await;
    let deliverer = deliverer(app);
    deliver_all(app, &deliverer, &received, 4).await;

    let events = settled(app, "?limit=100", 4).await;
    let feed_ids: Vec<i64> = events.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert_eq!(feed_ids.len(), 4);
    let got = received.lock().unwrap().clone();
    let got_ids: Vec<i64> = got.iter().map(|(id, ..)| *id).collect();
    assert_eq!(got_ids, feed_ids, "every event, once accepted, in the feed's order");
    for (event, signature, body) in &got {
        let t: i64 = signature
            .strip_prefix("t=")
            .and_then(|s| s.split(',').next())
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(
            signature,
            &curricula_service::webhooks::signature(&secret, t, body),
            "event {event}"
        );
        let sent: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(sent["id"], *event);
    }
    let (status, log) = app
        .v2("GET", &uri(&format!("/api/v2/webhooks/{id}/deliveries")), JSON, "")
        .await;
    assert_eq!(status, 200);
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 4);
    assert!(
        log.iter()
            .all(|d| d["status"] == "succeeded" && d["attempts"] == 3 && d["response_status"] == 204),
        "{log:?}"
    );

    // Inactive: nothing more is queued.
    let body = json!({"webhook": {"active": false}}).to_string();
    let (status, patched) = app
        .v2("PATCH", &uri(&format!("/api/v2/webhooks/{id}")), JSON, &body)
        .await;
    assert_eq!((status, patched["active"].as_bool()), (200, Some(false)));
    app.v2(
        "POST",
        &uri("/api/v2/users"),
        JSON,
        &json!({"user": {"username": "dee"}}).to_string(),
    )
    .await;
    settled(app, "?event[type]=user.created", 3).await;
    for _ in 0..5 {
        assert_eq!(
            deliverer.round().await.unwrap(),
            0,
            "an inactive webhook is sent nothing"
        );
    }
    assert_eq!(received.lock().unwrap().len(), 4);
    let (status, _) = app
        .v2("DELETE", &uri(&format!("/api/v2/webhooks/{id}")), JSON, "")
        .await;
    assert_eq!(status, 200);
    let (status, _) = app.v2("GET", &uri(&format!("/api/v2/webhooks/{id}")), JSON, "").await;
    assert_eq!(status, 404);
}

async fn a_delivery_failing_for_a_day_is_failed_and_can_be_redelivered(app: &TestApp) {
    let (url, received) = receiver(usize::MAX);
    let body = json!({"webhook": {"url": url, "events": ["user.created"]}}).to_string();
    let (_, hook) = app.v2("POST", &uri("/api/v2/webhooks"), JSON, &body).await;
    let id = hook["id"].as_i64().unwrap();
    app.v2(
        "POST",
        &uri("/api/v2/users"),
        JSON,
        &json!({"user": {"username": "eve"}}).to_string(),
    )
    .await;
    settled(app, "?event[type]=user.created", 1).await;
    let deliverer = deliverer(app);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while deliverer.round().await.unwrap() == 0 {
        assert!(std::time::Instant::now() < deadline, "never tried");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let figures = app.state.webhooks.queue_figures().await.unwrap();
    assert_eq!(
        (figures.pending, figures.failing_webhooks),
        (1, 1),
        "visible while it fails"
    );
    for _ in 0..40 {
        app.clock.advance(chrono::Duration::hours(1));
        deliverer.round().await.unwrap();
    }
    let (_, log) = app
        .v2("GET", &uri(&format!("/api/v2/webhooks/{id}/deliveries")), JSON, "")
        .await;
    let delivery = &log[0];
    assert_eq!(delivery["status"], "failed", "{delivery}");
    assert!(delivery["attempts"].as_i64().unwrap() > 5);
    assert_eq!(delivery["response_status"], 500);
    assert!(received.lock().unwrap().is_empty());
    assert_eq!(app.state.webhooks.queue_figures().await.unwrap().failed, 1);
    let retry = format!("/api/v2/webhooks/{id}/deliveries/{}/retry", delivery["id"]);
    let (status, again) = app.v2("POST", &uri(&retry), JSON, "").await;
    assert_eq!(
        (status, again["status"].as_str(), again["attempts"].as_i64()),
        (200, Some("pending"), Some(0))
    );
    let (status, _) = app
        .v2(
            "POST",
            &uri(&format!("/api/v2/webhooks/{id}/deliveries/999999/retry")),
            JSON,
            "",
        )
        .await;
    assert_eq!(status, 404);
}

on_both_databases!(
    the_feed_answers_every_event_once_in_order,
    webhooks_are_signed_retried_and_in_feed_order,
    a_delivery_failing_for_a_day_is_failed_and_can_be_redelivered,
);
