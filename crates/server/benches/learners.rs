//! Learners committing SCORM runtime data over HTTP against one running `curricula serve` (the
//! release binary), on SQLite and on Postgres: `LEARNERS` learners (default 200), each its own
//! user enrolled in one SCORM 1.2 package built here, each launching once (launch, then the
//! player page, whose seed gives the sequence number and the SCO), then committing every 2 s
//! for `SECONDS` (default 60): `seq` increasing, a growing `suspend_data` (128 characters more
//! each commit, to SCORM 1.2's 4,096), `lesson_location`, `session_time`, status `incomplete`;
//! the last commit terminates with status `passed`. The learners' schedules are spread evenly
//! over the 2 s period, and each learner waits for a commit's answer before the next.
//!
//! Printed per backend: commits sent and answered, errors (any non-200 or failed request),
//! the latency percentiles of the commits, a zero-lost check (every enrollment read back
//! through the API holds its last acknowledged commit's location, `suspend_data` length and
//! time, and is completed and passed), the server's CPU time per commit and its peak RSS
//! (`VmHWM` of its process).
//!
//! `TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench -p curricula-server --bench learners`
//! (without `TEST_DATABASE_URL` only SQLite runs; `LEARNERS=20 SECONDS=10` for a quick run).

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

/// How often a learner commits.
const PERIOD: Duration = Duration::from_secs(2);
/// What `suspend_data` grows by per commit, and SCORM 1.2's limit of it.
const GROWTH: usize = 128;
const SUSPEND_LIMIT: usize = 4096;
/// The target the figures are reported against.
const TARGET_P99_MS: f64 = 50.0;

/// What one learner did.
#[derive(Default)]
struct Learner {
    enrollment: i64,
    launch_ms: f64,
    sent: usize,
    answered: usize,
    errors: Vec<String>,
    latencies: Vec<f64>,
    /// The last acknowledged commit: its number (1-based).
    acknowledged: Option<usize>,
}

fn suspend_data(k: usize) -> String {
    "abcdefghijklmnopqrstuvwxyz012345"
        .repeat(GROWTH / 32 * k)
        .chars()
        .take(SUSPEND_LIMIT)
        .collect()
}

fn location(k: usize) -> String {
    format!("slide-{k}")
}

fn session_seconds(k: usize) -> u64 {
    PERIOD.as_secs() * k as u64
}

/// The `k`-th commit (1-based) of `commits`, after sequence number `first_seq`.
fn commit_body(k: usize, commits: usize, first_seq: u64, sco: &str, session: &str) -> Value {
    let secs = session_seconds(k);
    let last = k == commits;
    let mut core = json!({
        "lesson_location": location(k),
        "lesson_status": if last { "passed" } else { "incomplete" },
        "session_time": format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60),
        "exit": "",
    });
    if last {
        core["score"] = json!({"raw": "85", "min": "0", "max": "100"});
    }
    json!({
        "seq": first_seq + k as u64,
        "sco": sco,
        "session": session,
        "terminate": last,
        "cmi": {"cmi": {"suspend_data": suspend_data(k), "core": core}},
    })
}

/// One learner: launch at `start`, the player page, then `commits` commits a `PERIOD` apart.
async fn learn(http: Http, enrollment: i64, n: usize, start: Instant, commits: usize) -> Learner {
    let mut me = Learner {
        enrollment,
        ..Learner::default()
    };
    tokio::time::sleep_until(start.into()).await;
    let started = Instant::now();
    let launch = http
        .api(
            reqwest::Method::GET,
            &format!("/api/v2/enrollments/{enrollment}/launch"),
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
    me.launch_ms = started.elapsed().as_secs_f64() * 1e3;
    let page = page.as_str().unwrap_or_default().to_owned();
    assert_eq!(status, 200, "{page}");
    let from = page.find("id=\"curricula-seed\">").expect("a seed in the page") + "id=\"curricula-seed\">".len();
    let to = from + page[from..].find("</script>").unwrap();
    let seed: Value = serde_json::from_str(&page[from..to]).unwrap();
    let first_seq = seed["seq"].as_u64().unwrap();
    let sco = seed["scos"][0]["id"].as_str().unwrap().to_owned();
    let session = format!("bench-{n}");
    let path = format!("/play/{token}/commit");
    for k in 1..=commits {
        tokio::time::sleep_until((start + PERIOD * k as u32).into()).await;
        let body = commit_body(k, commits, first_seq, &sco, &session)
            .to_string()
            .into_bytes();
        me.sent += 1;
        let sent = Instant::now();
        let answer = http.send(reqwest::Method::POST, &path, "text/plain", body).await;
        let took = sent.elapsed().as_secs_f64() * 1e3;
        match answer {
            Ok((200, body)) if body == json!({"result": true, "errorCode": 0}) => {
                me.answered += 1;
                me.latencies.push(took);
                me.acknowledged = Some(k);
            }
            Ok((status, body)) => {
                me.answered += 1;
                me.latencies.push(took);
                me.errors.push(format!("{status}: {body}"));
            }
            Err(e) => me.errors.push(e),
        }
    }
    me
}

/// User and system CPU seconds of process `pid` so far.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
    // After the name: state is field 3, utime 14 and stime 15 (1-based, of the whole line).
    let ticks = |i: usize| {
        fields
            .get(i - 3)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    (ticks(14) + ticks(15)) / 100.0
}

struct Figures {
    backend: &'static str,
    sent: usize,
    answered: usize,
    errors: usize,
    first_errors: Vec<String>,
    p50: f64,
    p95: f64,
    p99: f64,
    max: f64,
    mean: f64,
    launch_p50: f64,
    launch_max: f64,
    rate: f64,
    lost: usize,
    lost_examples: Vec<String>,
    cpu_ms_per_commit: f64,
    rss: f64,
}

async fn measure(backend: &'static str, learners: usize, commits: usize) -> Figures {
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
    let server = Server::start(&url, dir.path());
    let http = Http {
        client: reqwest::Client::builder()
            .pool_max_idle_per_host(usize::MAX)
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
        base: server.url.clone(),
    };

    let (content_type, body) = multipart(&package());
    let (status, uploaded) = http
        .send(reqwest::Method::POST, "/api/activityupload/new", &content_type, body)
        .await
        .unwrap();
    assert_eq!(status, 201, "{uploaded}");
    let course = uploaded["activityId"].as_i64().unwrap();
    let mut enrollments = Vec::with_capacity(learners);
    for n in 0..learners {
        let user = http
            .api(
                reqwest::Method::POST,
                "/api/v2/users",
                &json!({"user": {"username": format!("learner-{n}"), "first_name": "Learner", "last_name": format!("{n}")}}),
            )
            .await;
        let enrollment = http
            .api(
                reqwest::Method::POST,
                "/api/v2/enrollments",
                &json!({"enrollment": {"user_id": user["id"], "course_id": course}}),
            )
            .await;
        enrollments.push(enrollment["id"].as_i64().unwrap());
    }

    let cpu_before = cpu_seconds(server.pid());
    let t0 = Instant::now() + Duration::from_millis(200);
    let runs = enrollments.iter().enumerate().map(|(n, &e)| {
        let offset = PERIOD.mul_f64(n as f64 / learners as f64);
        learn(http.clone(), e, n, t0 + offset, commits)
    });
    let done = futures::future::join_all(runs).await;
    let wall = t0.elapsed().as_secs_f64();
    let cpu = cpu_seconds(server.pid()) - cpu_before;

    // Read every enrollment back.
    let mut lost_examples = Vec::new();
    for me in &done {
        let read = http
            .api(
                reqwest::Method::GET,
                &format!("/api/v2/enrollments/{}", me.enrollment),
                &Value::Null,
            )
            .await;
        let sco = &read["runtime"]["scos"][0];
        let Some(k) = me.acknowledged else {
            lost_examples.push(format!("enrollment {}: no commit acknowledged", me.enrollment));
            continue;
        };
        let expected = (
            json!(location(k)),
            json!(suspend_data(k).len()),
            json!(session_seconds(k) as f64),
            json!("completed"),
            json!("passed"),
        );
        let stored = (
            sco["location"].clone(),
            sco["suspend_data_length"].clone(),
            read["total_time_seconds"].clone(),
            read["status"].clone(),
            read["success"].clone(),
        );
        if stored != expected {
            lost_examples.push(format!(
                "enrollment {}: expected {expected:?}, stored {stored:?}",
                me.enrollment
            ));
        }
    }
    let rss = server.peak_rss_mib();
    drop(server);

    let mut latencies: Vec<f64> = done.iter().flat_map(|l| l.latencies.iter().copied()).collect();
    latencies.sort_by(f64::total_cmp);
    let mut launches: Vec<f64> = done.iter().map(|l| l.launch_ms).collect();
    launches.sort_by(f64::total_cmp);
    let sent = done.iter().map(|l| l.sent).sum();
    let answered = done.iter().map(|l| l.answered).sum();
    let errors: Vec<String> = done.iter().flat_map(|l| l.errors.iter().cloned()).collect();
    Figures {
        backend,
        sent,
        answered,
        errors: errors.len(),
        first_errors: errors.into_iter().take(5).collect(),
        p50: quantile(&latencies, 0.50),
        p95: quantile(&latencies, 0.95),
        p99: quantile(&latencies, 0.99),
        max: latencies.last().copied().unwrap_or(f64::NAN),
        mean: latencies.iter().sum::<f64>() / latencies.len() as f64,
        launch_p50: quantile(&launches, 0.50),
        launch_max: launches.last().copied().unwrap_or(f64::NAN),
        rate: answered as f64 / wall,
        lost: lost_examples.len(),
        lost_examples: lost_examples.into_iter().take(5).collect(),
        cpu_ms_per_commit: cpu * 1e3 / sent as f64,
        rss,
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let learners = env_or("LEARNERS", 200).max(1);
    let seconds = env_or("SECONDS", 60);
    let commits = (seconds / PERIOD.as_secs() as usize).max(1);
    println!(
        "{learners} learners (LEARNERS), {seconds} s (SECONDS): one launch each, then a commit every {} s, {commits} each \
         ({:.0} commits/s in all), against one release `curricula serve`",
        PERIOD.as_secs(),
        learners as f64 / PERIOD.as_secs_f64()
    );
    let mut all = vec![measure("SQLite", learners, commits).await];
    if std::env::var("TEST_DATABASE_URL").is_ok() {
        all.push(measure("Postgres", learners, commits).await);
    }
    println!(
        "{:<9} {:>7} {:>8} {:>6} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>6} {:>11} {:>10}",
        "",
        "sent",
        "answered",
        "errors",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "mean ms",
        "commit/s",
        "lost",
        "CPU/commit",
        "server RSS"
    );
    for f in &all {
        println!(
            "{:<9} {:>7} {:>8} {:>6} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8.1} {:>6} {:>8.2} ms {:>6.1} MiB",
            f.backend,
            f.sent,
            f.answered,
            f.errors,
            f.p50,
            f.p95,
            f.p99,
            f.max,
            f.mean,
            f.rate,
            f.lost,
            f.cpu_ms_per_commit,
            f.rss
        );
    }
    for f in &all {
        println!(
            "{:<9} launch + player page: p50 {:.1} ms, max {:.1} ms",
            f.backend, f.launch_p50, f.launch_max
        );
        for e in &f.first_errors {
            println!("{:<9} error: {e}", f.backend);
        }
        for l in &f.lost_examples {
            println!("{:<9} lost: {l}", f.backend);
        }
        let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
        println!(
            "{:<9} target p99 < {TARGET_P99_MS} ms: {}; zero errors: {}; zero lost: {}",
            f.backend,
            verdict(f.p99 < TARGET_P99_MS),
            verdict(f.errors == 0),
            verdict(f.lost == 0)
        );
    }
}
