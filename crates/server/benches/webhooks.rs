//! The webhook deliverer of one release `curricula serve` against a receiver on this machine:
//! events appended to the log at `RATE` per second (default 200) for `SECONDS` (default 20),
//! one webhook sent every event. Printed per backend: events appended and delivered, the
//! delivery rate, and the delivery lag (from an event's append to its arrival at the
//! receiver) at p50, p95 and max, against the target (p95 under 2 s at 200 events/s).
//!
//! `TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench -p curricula-server --bench webhooks`
//! (without `TEST_DATABASE_URL` only SQLite runs; `RATE=50 SECONDS=5` for a quick run).

mod common;
#[path = "common/learners.rs"]
#[allow(dead_code, reason = "the learners benches' helpers; this bench uses a few")]
mod shared;

use common::Server;
use curricula_ports::{Event, EventType};
use curricula_service::AdminService;
use curricula_store_sql::Database;
use curricula_store_sql::testing::TestDatabase;
use serde_json::{Value, json};
use shared::{KEY, ORIGIN, env_or, quantile};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The target the figures are reported against.
const TARGET_P95_S: f64 = 2.0;

/// A receiver that accepts every delivery (keeping the connection open) and notes when each
/// event arrived; its URL.
fn receiver(arrived: Arc<Mutex<HashMap<i64, Instant>>>) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let arrived = Arc::clone(&arrived);
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream);
                loop {
                    let mut headers = HashMap::new();
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if line == "\r\n" {
                            break;
                        }
                        if let Some((name, value)) = line.trim_end().split_once(':') {
                            headers.insert(name.to_ascii_lowercase(), value.trim().to_owned());
                        }
                    }
                    let length: usize = headers.get("content-length").and_then(|l| l.parse().ok()).unwrap_or(0);
                    let mut body = vec![0; length];
                    if reader.read_exact(&mut body).is_err() {
                        return;
                    }
                    if let Some(id) = headers.get("curricula-event-id").and_then(|v| v.parse().ok()) {
                        arrived.lock().unwrap().entry(id).or_insert_with(Instant::now);
                    }
                    if reader
                        .get_mut()
                        .write_all(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    url
}

struct Figures {
    backend: &'static str,
    appended: usize,
    delivered: usize,
    rate: f64,
    p50: f64,
    p95: f64,
    max: f64,
    rss: f64,
}

async fn measure(backend: &'static str, rate: usize, seconds: usize) -> Figures {
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
    let db = Database::connect(&url, 4).await.unwrap();
    db.migrate().await.unwrap();
    let admin = AdminService::new(Arc::new(db.clone()), Arc::new(curricula_server::app::SystemClock));
    let tenant = admin.create_tenant("Bench", "en-GB", &[]).await.unwrap().id;
    admin.create_key(tenant, Some(ORIGIN), Some(KEY)).await.unwrap();
    std::fs::create_dir_all(dir.path().join("tmp")).unwrap();
    let server = Server::start_env(
        &url,
        dir.path(),
        &[("CURRICULA__WEBHOOKS__ALLOW_HTTP_HOSTS", "127.0.0.1")],
    );
    let arrived: Arc<Mutex<HashMap<i64, Instant>>> = Arc::default();
    let hook_url = receiver(Arc::clone(&arrived));
    let client = reqwest::Client::new();
    let answer = client
        .post(format!("{}/api/v2/webhooks?api_key={KEY}", server.url))
        .header("content-type", "application/json")
        .body(json!({"webhook": {"url": hook_url, "events": ["*"]}}).to_string())
        .send()
        .await
        .unwrap();
    let created: Value = serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap_or(Value::Null);
    assert!(created["id"].is_i64(), "{created}");

    // Append at the rate, each event in its own transaction, as writes append them.
    let log = db.events();
    let mut appended_at: HashMap<i64, Instant> = HashMap::new();
    let started = Instant::now();
    let total = rate * seconds;
    for n in 0..total {
        let due = started + Duration::from_secs_f64(n as f64 / rate as f64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            tokio::time::sleep(wait).await;
        }
        let mut event = Event::new(EventType::UserUpdated, tenant, chrono::Utc::now());
        event.data = json!({"n": n});
        log.append(vec![event]).await.unwrap();
        appended_at.insert(n as i64, Instant::now());
    }
    // The events' ids, in order: the log's ids for this tenant.
    let page = log
        .feed(tenant, curricula_ports::FeedPosition::START, &Default::default(), 1)
        .await
        .unwrap();
    let first = page.events.first().map_or(1, |e| e.id);
    let deadline = Instant::now() + Duration::from_secs(60);
    while arrived.lock().unwrap().len() < total && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let arrived = arrived.lock().unwrap();
    let mut lags: Vec<f64> = (0..total)
        .filter_map(|n| {
            let at = arrived.get(&(first + n as i64))?;
            Some(at.duration_since(*appended_at.get(&(n as i64))?).as_secs_f64())
        })
        .collect();
    lags.sort_by(f64::total_cmp);
    let rss = server.peak_rss_mib();
    drop(server);
    Figures {
        backend,
        appended: total,
        delivered: lags.len(),
        rate: lags.len() as f64 / elapsed,
        p50: quantile(&lags, 0.5),
        p95: quantile(&lags, 0.95),
        max: lags.last().copied().unwrap_or(f64::NAN),
        rss,
    }
}

#[tokio::main]
async fn main() {
    let rate = env_or("RATE", 200).max(1);
    let seconds = env_or("SECONDS", 20).max(1);
    println!(
        "{rate} events/s (RATE) for {seconds} s (SECONDS), one webhook of every event, one release `curricula serve`"
    );
    let mut all = vec![measure("SQLite", rate, seconds).await];
    if std::env::var("TEST_DATABASE_URL").is_ok() {
        all.push(measure("Postgres", rate, seconds).await);
    }
    println!(
        "{:<9} {:>9} {:>9} {:>10} {:>8} {:>8} {:>8} {:>11}",
        "", "appended", "delivered", "events/s", "p50 s", "p95 s", "max s", "server RSS"
    );
    for f in &all {
        println!(
            "{:<9} {:>9} {:>9} {:>10.1} {:>8.3} {:>8.3} {:>8.3} {:>7.1} MiB{}",
            f.backend,
            f.appended,
            f.delivered,
            f.rate,
            f.p50,
            f.p95,
            f.max,
            f.rss,
            if f.delivered == f.appended && f.p95 < TARGET_P95_S {
                "  (target met)"
            } else {
                "  (target NOT met)"
            }
        );
    }
    println!("target: every event delivered, p95 lag under {TARGET_P95_S} s at 200 events/s");
}
