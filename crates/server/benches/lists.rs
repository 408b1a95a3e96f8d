//! List reads over HTTP against a running `curricula serve` (the release binary), on SQLite and
//! on Postgres: page 1, a middle page and an `updated_on` range page of
//! `GET /api/v2/curriculum_activities` with 400, 20,000 and 200,000 records, each beside the raw
//! SQL of the same page run in the same loop (the page's SELECT and, for the paginated ones,
//! its `COUNT(*)`, straight through the store's pool). Medians of 31 requests on one kept-alive
//! connection; the server's peak RSS (`VmHWM` of its process) once all its pages are served.
//! The records are seeded by SQL (10 paths, one range of ten minutes holding 100 records).
//!
//! `TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench -p curricula-server --bench lists`
//! (without `TEST_DATABASE_URL` only SQLite runs).

mod common;

use common::Server;
use curricula_domain::{ActivityKind, LanguageCode, Name, Organisations, Placement, TenantId};
use curricula_ports::Journal;
use curricula_ports::{ActivityRepository, NewActivity, TenantDirectory};
use curricula_service::AdminService;
use curricula_store_sql::Database;
use curricula_store_sql::testing::TestDatabase;
use std::sync::Arc;
use std::time::Instant;

const RUNS: usize = 31;
const KEY: &str = "bench-key-0123456789";
const PATHS: i64 = 10;
const SIZES: [i64; 3] = [400, 20_000, 200_000];
const CASES: [&str; 3] = ["page 1", "middle page", "updated_on range"];

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The SQL a backend seeds `n` records of tenant `t` with, over paths `first..first+PATHS`:
/// record `i` in path `i % PATHS`, at minute `i / 10` of 2026-01-01 (so minutes 10–19 hold
/// 100 records whatever `n`).
fn seed(postgres: bool, n: i64, t: i64, first: i64) -> [String; 3] {
    let at = if postgres {
        "timestamp '2026-01-01' + (i / 10) * interval '1 minute'"
    } else {
        "datetime('2026-01-01', '+' || (i / 10) || ' minutes')"
    };
    [
        format!(
            "INSERT INTO curriculum_activities (id, curriculum_id, account_id, name, updated_on) \
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n}) \
             SELECT 10000000 + i, {first} + i % {PATHS}, {t}, 'S' || i, {at} FROM n"
        ),
        "INSERT INTO curriculum_bounds (id, curriculum_id, lft, rgt) \
         SELECT id, curriculum_id, 2 * (id - 10000000) + 1, 2 * (id - 10000000) + 2 \
         FROM curriculum_activities WHERE id > 10000000"
            .to_owned(),
        format!("UPDATE tenants SET curriculum_records = curriculum_records + {n} WHERE id = {t}"),
    ]
}

struct Row {
    backend: &'static str,
    n: i64,
    case: &'static str,
    http: f64,
    sql: f64,
    rss: f64,
}

async fn measure(backend: &'static str, url: &str, rows: &mut Vec<Row>) {
    let postgres = backend == "Postgres";
    for n in SIZES {
        let dir = tempfile::tempdir().unwrap();
        let url = if postgres {
            url.to_owned()
        } else {
            format!("sqlite://{}", dir.path().join("bench.db").display())
        };
        let pg = if postgres { TestDatabase::create().await } else { None };
        let url = pg.as_ref().map_or(url, |db| db.url().to_owned());
        let db = Database::connect(&url, 4).await.unwrap();
        db.migrate().await.unwrap();
        let admin = AdminService::new(Arc::new(db.clone()), Arc::new(curricula_server::app::SystemClock));
        let tenant: TenantId = admin.create_tenant("Bench", "en-GB", &[]).await.unwrap().id;
        let owner = db.create_user(tenant, "bench").await.unwrap().id;
        admin.create_key(tenant, None, Some(KEY)).await.unwrap();
        let mut first = 0;
        for p in 0..PATHS {
            let id = db
                .create_activity(
                    NewActivity {
                        api_key: None,
                        external_id: None,
                        tenant,
                        kind: ActivityKind::Course,
                        name: Name::parse("name", &format!("Path {p}")).unwrap(),
                        owner,
                        organisations: Organisations::All,
                        placement: Placement::TopLevel,
                        language: LanguageCode::parse("l", "en-GB").unwrap(),
                        scorm: None,
                        now: chrono::Utc::now(),
                    },
                    Journal::none(),
                )
                .await
                .unwrap();
            if p == 0 {
                first = id.0;
            }
        }
        for statement in seed(postgres, n, tenant.0, first) {
            db.raw_execute(&statement).await.unwrap();
        }
        db.raw_execute("ANALYZE").await.unwrap();
        std::fs::create_dir_all(dir.path().join("tmp")).unwrap();
        let server = Server::start(&url, dir.path());
        let agent: ureq::Agent = ureq::Agent::config_builder().build().into();

        let total = n + PATHS; // and each path's default section
        let middle = (total / 50 / 2).max(1);
        let order = "ORDER BY b.curriculum_id, b.lft LIMIT 50 OFFSET";
        let select = format!(
            "SELECT a.*, b.lft, b.rgt, c.kind FROM curriculum_activities a JOIN curriculum_bounds b ON b.id = a.id \
             LEFT JOIN activities c ON c.id = a.course_id WHERE a.account_id = {t} \
             AND b.curriculum_id IN (SELECT id FROM activities WHERE tenant_id = {t} AND kind = 'course')",
            t = tenant.0
        );
        let range = "a.updated_on BETWEEN '2026-01-01 00:10:00' AND '2026-01-01 00:19:59.999999'";
        let cases = [
            (
                "page=1".to_owned(),
                vec![
                    format!("{select} {order} 0"),
                    format!("SELECT id, curriculum_records FROM tenants WHERE id = {}", tenant.0),
                ],
            ),
            (
                format!("page={middle}"),
                vec![
                    format!("{select} {order} {}", (middle - 1) * 50),
                    format!("SELECT id, curriculum_records FROM tenants WHERE id = {}", tenant.0),
                ],
            ),
            (
                "curriculum_activity%5Bupdated_on%5D=2026-01-01%2000:10:00,2026-01-01%2000:19:59".to_owned(),
                vec![
                    format!("{select} AND {range} {order} 0"),
                    format!(
                        "SELECT count(*) FROM curriculum_activities a WHERE a.account_id = {} AND {range}",
                        tenant.0
                    ),
                ],
            ),
        ];
        for (case, (query, raw)) in CASES.into_iter().zip(cases) {
            let uri = format!("{}/api/v2/curriculum_activities?api_key={KEY}&{query}", server.url);
            let (mut http, mut sql) = (Vec::with_capacity(RUNS), Vec::with_capacity(RUNS));
            for run in 0..=RUNS {
                let started = Instant::now();
                let mut res = agent.get(&uri).call().unwrap();
                let body = res.body_mut().read_to_string().unwrap();
                let took = started.elapsed().as_secs_f64() * 1e3;
                assert!(body.len() > 1_000, "{case}: {body}");
                let started = Instant::now();
                for statement in &raw {
                    db.raw_execute(statement).await.unwrap();
                }
                if run > 0 {
                    // The first of each is a warm-up.
                    http.push(took);
                    sql.push(started.elapsed().as_secs_f64() * 1e3);
                }
            }
            rows.push(Row {
                backend,
                n,
                case,
                http: median(http),
                sql: median(sql),
                rss: server.peak_rss_mib(),
            });
        }
        drop(server);
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut rows = Vec::new();
    measure("SQLite", "", &mut rows).await;
    if std::env::var("TEST_DATABASE_URL").is_ok() {
        measure("Postgres", "", &mut rows).await;
    }
    println!(
        "medians of {RUNS} requests over HTTP (release `curricula serve`) beside the raw SQL of the same page (ms)"
    );
    println!(
        "{:<9} {:>8}  {:<17} {:>9} {:>9} {:>6} {:>11}",
        "", "records", "", "HTTP", "raw SQL", "ratio", "server RSS"
    );
    for r in &rows {
        println!(
            "{:<9} {:>8}  {:<17} {:>9.3} {:>9.3} {:>6.2} {:>7.1} MiB",
            r.backend,
            r.n,
            r.case,
            r.http,
            r.sql,
            r.http / r.sql,
            r.rss
        );
    }
    for backend in ["SQLite", "Postgres"] {
        for case in CASES {
            let at = |n| {
                rows.iter()
                    .find(|r| r.backend == backend && r.n == n && r.case == case)
                    .map(|r| r.http)
            };
            if let (Some(small), Some(large)) = (at(400), at(200_000)) {
                println!(
                    "{backend:<9} {case:<17} HTTP growth 400 -> 200,000 records: x{:.2}",
                    large / small
                );
            }
        }
    }
    let peak = rows.iter().map(|r| r.rss).fold(0.0, f64::max);
    println!("server peak RSS over every run: {peak:.1} MiB");
}
