//! Path progress (issue 16) over HTTP against one release `curricula serve`, on SQLite (and
//! on Postgres when `TEST_DATABASE_URL` is set):
//! (b) a commit that completes an entry of a path (so it updates the learner's path
//! enrollment) against a commit that changes no status, median of `PAIRS` pairs (target:
//! within 2×); (c) `ENROLLED` path enrollments of one path, then an entry added to the path:
//! the time until the background recompute of all of them ends (the server's own log line),
//! and meanwhile the latency of v2 renames of a record of the path, one after another (target:
//! none above 50 ms).
//!
//! `cargo bench -p curricula-server --bench progress` (`PAIRS=50 ENROLLED=10000`).
#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]

mod common;
#[path = "common/learners.rs"]
mod shared;

use common::Server;
use curricula_service::AdminService;
use curricula_store_sql::Database;
use curricula_store_sql::testing::TestDatabase;
use serde_json::{Value, json};
use shared::{Http, KEY, ORIGIN, env_or, multipart, package, quantile};
use std::sync::Arc;
use std::time::{Duration, Instant};

const TARGET_RATIO: f64 = 2.0;
const TARGET_BLOCKED_MS: f64 = 50.0;

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    quantile(v, 0.5)
}

async fn create(http: &Http, path: &str, body: Value) -> i64 {
    http.api(reqwest::Method::POST, path, &body).await["id"]
        .as_i64()
        .unwrap()
}

async fn upload(http: &Http) -> i64 {
    let (content_type, body) = multipart(&package());
    let (status, uploaded) = http
        .send(reqwest::Method::POST, "/api/activityupload/new", &content_type, body)
        .await
        .unwrap();
    assert_eq!(status, 201, "{uploaded}");
    uploaded["activityId"].as_i64().unwrap()
}

/// A learner's launch of `entry` of the path enrollment `enrollment`: the commit URL and
/// the seed's `seq`, SCO and a session.
async fn launch(http: &Http, enrollment: i64, entry: i64) -> (String, u64, String) {
    let launch = http
        .api(
            reqwest::Method::GET,
            &format!("/api/v2/enrollments/{enrollment}/launch?entry_id={entry}"),
            &Value::Null,
        )
        .await;
    let token = launch["launch_url"]
        .as_str()
        .and_then(|u| u.rsplit_once("/play/"))
        .map(|(_, t)| t.to_owned())
        .unwrap_or_else(|| panic!("a launch URL: {launch}"));
    let (status, page) = http
        .send(reqwest::Method::GET, &format!("/play/{token}"), "text/html", Vec::new())
        .await
        .unwrap();
    let page = page.as_str().unwrap_or_default().to_owned();
    assert_eq!(status, 200, "{page}");
    let from = page.find("id=\"curricula-seed\">").expect("a seed in the page") + "id=\"curricula-seed\">".len();
    let to = from + page[from..].find("</script>").unwrap();
    let seed: Value = serde_json::from_str(&page[from..to]).unwrap();
    (
        format!("/play/{token}/commit"),
        seed["seq"].as_u64().unwrap(),
        seed["scos"][0]["id"].as_str().unwrap().to_owned(),
    )
}

/// One commit; its latency in ms.
async fn commit(http: &Http, url: &str, seq: u64, sco: &str, status: &str, terminate: bool) -> f64 {
    let body = json!({
        "seq": seq, "sco": sco, "session": "bench", "terminate": terminate,
        "cmi": {"cmi": {"suspend_data": "x", "core": {"lesson_status": status, "lesson_location": "1", "session_time": "00:00:10", "exit": ""}}},
    });
    let started = Instant::now();
    let (code, answer) = http
        .send(reqwest::Method::POST, url, "text/plain", body.to_string().into_bytes())
        .await
        .unwrap();
    let took = started.elapsed().as_secs_f64() * 1e3;
    assert_eq!(
        (code, &answer),
        (200, &json!({"result": true, "errorCode": 0})),
        "{url}"
    );
    took
}

/// The `elapsed_ms` of the server's log line for a recompute of `count` enrollments.
fn recompute_ms(log: &std::path::Path, count: usize) -> Option<f64> {
    let text = std::fs::read_to_string(log).ok()?;
    let needle = format!("enrollments={count}");
    text.lines()
        .filter(|l| l.contains("path enrollments recomputed") && l.contains(&needle))
        .find_map(|l| {
            let from = l.find("elapsed_ms=")? + "elapsed_ms=".len();
            l[from..]
                .split(|c: char| !(c.is_ascii_digit() || c == '.'))
                .next()?
                .parse()
                .ok()
        })
}

async fn measure(backend: &'static str, pairs: usize, enrolled: usize) {
    let dir = tempfile::tempdir().unwrap();
    let pg = if backend == "Postgres" {
        Some(TestDatabase::create().await.expect("TEST_DATABASE_URL is set"))
    } else {
        None
    };
    let url = pg.as_ref().map_or_else(
        || format!("sqlite://{}", dir.path().join("bench.db").display()),
        |db| db.url().to_owned(),
    );
    {
        let db = Database::connect(&url, 2).await.unwrap();
        db.migrate().await.unwrap();
        let admin = AdminService::new(Arc::new(db.clone()), Arc::new(curricula_server::app::SystemClock));
        let tenant = admin.create_tenant("Bench", "en-GB", &[]).await.unwrap().id;
        admin.create_user(tenant, "bench").await.unwrap();
        admin.create_key(tenant, Some(ORIGIN), Some(KEY)).await.unwrap();
    }
    std::fs::create_dir_all(dir.path().join("tmp")).unwrap();
    let log = dir.path().join("server.log");
    let server = Server::start_logged(&url, dir.path(), &log);
    let http = Http {
        client: reqwest::Client::builder()
            .pool_max_idle_per_host(usize::MAX)
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap(),
        base: server.url.clone(),
    };
    let (a, b, c) = (upload(&http).await, upload(&http).await, upload(&http).await);
    let boundary = "----curricula-bench";
    let mut form = String::new();
    for (field, value) in [
        ("key", KEY),
        ("origin", ORIGIN),
        ("activityType", "course"),
        ("name", "Path"),
        ("userName", "bench"),
    ] {
        form.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n{value}\r\n"
        ));
    }
    form.push_str(&format!("--{boundary}--\r\n"));
    let (status, course) = http
        .send(
            reqwest::Method::POST,
            "/api/activityupload/new",
            &format!("multipart/form-data; boundary={boundary}"),
            form.into_bytes(),
        )
        .await
        .unwrap();
    assert_eq!(status, 201, "{course}");
    let path = course["activityId"].as_i64().unwrap();
    let records = "/api/v2/curriculum_activities";
    let section = create(
        &http,
        records,
        json!({"curriculum_activity": {"curriculum_id": path, "name": "S"}}),
    )
    .await;
    let in_a = create(
        &http,
        records,
        json!({"curriculum_activity": {"curriculum_id": path, "parent_id": section, "course_id": a}}),
    )
    .await;
    create(
        &http,
        records,
        json!({"curriculum_activity": {"curriculum_id": path, "parent_id": section, "course_id": b}}),
    )
    .await;

    // (b) Pairs: per learner, a warm-up commit, a commit that changes no status, a commit
    // that completes entry A (the path enrollment's score and entries change).
    let (mut same, mut completing) = (Vec::new(), Vec::new());
    for n in 0..pairs {
        let user = create(
            &http,
            "/api/v2/users",
            json!({"user": {"username": format!("pair-{n}")}}),
        )
        .await;
        let enrollment = create(
            &http,
            "/api/v2/enrollments",
            json!({"enrollment": {"user_id": user, "course_id": path}}),
        )
        .await;
        let (url, seq, sco) = launch(&http, enrollment, in_a).await;
        commit(&http, &url, seq + 1, &sco, "incomplete", false).await;
        same.push(commit(&http, &url, seq + 2, &sco, "incomplete", false).await);
        completing.push(commit(&http, &url, seq + 3, &sco, "passed", true).await);
    }
    let (same_ms, completing_ms) = (median(&mut same), median(&mut completing));
    println!(
        "{backend} (b): commit changing no status median {same_ms:.2} ms, commit completing an entry {completing_ms:.2} ms: ratio {:.2} (target < {TARGET_RATIO})",
        completing_ms / same_ms
    );

    // (c) `enrolled` path enrollments, then an entry added.
    let started = Instant::now();
    for chunk in (0..enrolled).collect::<Vec<_>>().chunks(32) {
        let runs = chunk.iter().map(|&n| {
            let http = http.clone();
            async move {
                let user = create(
                    &http,
                    "/api/v2/users",
                    json!({"user": {"username": format!("many-{n}")}}),
                )
                .await;
                create(
                    &http,
                    "/api/v2/enrollments",
                    json!({"enrollment": {"user_id": user, "course_id": path}}),
                )
                .await
            }
        });
        futures::future::join_all(runs).await;
    }
    println!(
        "{backend} (c): {enrolled} path enrollments made in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let total = enrolled + pairs;
    let changed = Instant::now();
    create(
        &http,
        records,
        json!({"curriculum_activity": {"curriculum_id": path, "parent_id": section, "course_id": c}}),
    )
    .await;
    let mut writes = Vec::new();
    let mut k = 0;
    let done = loop {
        if let Some(ms) = recompute_ms(&log, total) {
            break ms;
        }
        assert!(changed.elapsed() < Duration::from_secs(600), "no recompute in the log");
        k += 1;
        let sent = Instant::now();
        http.api(
            reqwest::Method::PUT,
            &format!("{records}/{section}"),
            &json!({"curriculum_activity": {"name": format!("S {k}")}}),
        )
        .await;
        writes.push(sent.elapsed().as_secs_f64() * 1e3);
    };
    let wall = changed.elapsed().as_secs_f64();
    writes.sort_by(f64::total_cmp);
    let max = writes.last().copied().unwrap_or(f64::NAN);
    println!(
        "{backend} (c): {total} enrollments recomputed in {done:.0} ms (server log; first walk), {wall:.1} s until seen; {} renames meanwhile: median {:.2} ms, p99 {:.2} ms, max {max:.2} ms (target max < {TARGET_BLOCKED_MS} ms: {})",
        writes.len(),
        quantile(&writes, 0.5),
        quantile(&writes, 0.99),
        if max < TARGET_BLOCKED_MS { "met" } else { "missed" }
    );
    println!("{backend}: server peak RSS {:.0} MiB", server.peak_rss_mib());
    drop(server);
    drop(pg);
}

/// (a) `path_progress` of a 1,000-entry path (10 choice sections of 100) for one learner who
/// completed every other entry, in process: the median of `runs` runs, in ms.
fn in_process(runs: usize) -> f64 {
    use curricula_domain::curriculum::{CourseRef, Curriculum, Patch, RecordInput};
    use curricula_domain::learner::{EnrollmentStatus, Success};
    use curricula_domain::progress::{ActivityEnrollment, path_progress};
    use curricula_domain::{ActivityId, ActivityKind, RecordId, TenantId};
    let now = chrono::Utc::now();
    let mut path = Curriculum::from_records(ActivityId(1), TenantId(1), Vec::new()).unwrap();
    let mut learner = std::collections::HashMap::new();
    let mut id = 1;
    for s in 0..10 {
        id += 1;
        let section = RecordId(id);
        let input = RecordInput {
            name: Patch::Value(format!("Section {s}")),
            ..RecordInput::default()
        };
        path.create_section(section, &input, now).unwrap();
        for e in 0..100 {
            id += 1;
            let course = CourseRef {
                id: ActivityId(id),
                kind: ActivityKind::Scorm,
                name: format!("Entry {s}.{e}"),
            };
            let input = RecordInput {
                parent_id: Patch::Value(section),
                ..RecordInput::default()
            };
            path.create_entry(RecordId(id), &course, &input, now).unwrap();
            if e % 2 == 0 {
                learner.insert(
                    ActivityId(id),
                    ActivityEnrollment {
                        status: EnrollmentStatus::Completed,
                        success: Success::Passed,
                        score: Some(80.0),
                        attempts: 1,
                        attempt_running: false,
                    },
                );
            }
        }
    }
    let today = now.date_naive();
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        let progress = path_progress(&path, &learner, EnrollmentStatus::InProgress, today);
        times.push(started.elapsed().as_secs_f64() * 1e3);
        assert_eq!(progress.entries().count(), 1000);
    }
    median(&mut times)
}

#[tokio::main]
async fn main() {
    let ms = in_process(env_or("RUNS", 1000));
    println!("(a): path_progress of a 1,000-entry path, one learner: median {ms:.3} ms (target < 1 ms)");
    let pairs = env_or("PAIRS", 50);
    let enrolled = env_or("ENROLLED", 10_000);
    measure("SQLite", pairs, enrolled).await;
    if std::env::var("TEST_DATABASE_URL").is_ok() {
        measure("Postgres", pairs, enrolled).await;
    }
}
