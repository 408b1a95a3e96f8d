//! List reads on the embedded default (SQLite file): page 1, a middle page and an
//! `updated_on` range page of the curriculum list through the store port the service calls
//! (`CurriculumRepository::list_records`: count + page), beside the raw SQL of the same page
//! in the same run, with 400, 20,000 and 200,000 records (seeded by direct SQL). Medians of
//! 31 runs; the process' own peak RSS (VmHWM) at the end. In process, on SQLite only: the
//! HTTP and Postgres legs the issue asks for are not written yet.
//!
//! `cargo bench -p curricula-server --bench lists`

use chrono::{NaiveDate, TimeZone, Utc};
use curricula_domain::{ActivityKind, LanguageCode, Name, Organisations, Placement};
use curricula_ports::{
    ActivityRepository, CurriculumRepository, NewActivity, RecordFilter, Slice, TenantDirectory, TimeRange,
};
use curricula_store_sql::SqliteStore;
use diesel::{Connection, RunQueryDsl, SqliteConnection};
use std::time::Instant;

const RUNS: usize = 31;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut results = Vec::new();
    for n in [400_i64, 20_000, 200_000] {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bench.db");
        let store = SqliteStore::connect(&format!("sqlite://{}", file.display()), 4)
            .await
            .unwrap();
        store.migrate().await.unwrap();
        let code = LanguageCode::parse("l", "en-GB").unwrap();
        let tenant = store.create_tenant("Bench", &code, &[]).await.unwrap().id;
        let owner = store.create_user(tenant, "bench").await.unwrap().id;
        let path = store
            .create_activity(NewActivity {
                api_key: None,
                external_id: None,
                tenant,
                kind: ActivityKind::Course,
                name: Name::parse("name", "Path").unwrap(),
                owner,
                organisations: Organisations::All,
                placement: Placement::TopLevel,
                language: code.clone(),
                scorm: None,
                now: Utc::now(),
            })
            .await
            .unwrap();
        let mut raw = SqliteConnection::establish(&file.display().to_string()).unwrap();
        diesel::sql_query(format!(
            "INSERT INTO curriculum_activities (id, curriculum_id, account_id, name, updated_on) \
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n}) \
             SELECT 10000000 + i, {p}, {t}, 'S' || i, datetime('2026-01-01', '+' || (i / 10) || ' minutes') FROM n",
            p = path.0,
            t = tenant.0
        ))
        .execute(&mut raw)
        .unwrap();
        diesel::sql_query(
            "INSERT INTO curriculum_bounds (id, curriculum_id, lft, rgt) SELECT id, curriculum_id, \
             2 * (id - 10000000) - 1, 2 * (id - 10000000) FROM curriculum_activities WHERE id > 10000000",
        )
        .execute(&mut raw)
        .unwrap();
        // The tenant's kept count, as every path change keeps it (see `sql::paths::persist`).
        diesel::sql_query(format!(
            "UPDATE tenants SET curriculum_records = curriculum_records + {n} WHERE id = {}",
            tenant.0
        ))
        .execute(&mut raw)
        .unwrap();
        diesel::sql_query("ANALYZE").execute(&mut raw).unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let from = Utc.from_utc_datetime(&day.and_hms_opt(0, 10, 0).unwrap());
        let range = RecordFilter {
            updated_on: Some(TimeRange {
                from,
                to: from + chrono::Duration::minutes(9),
            }),
            ..RecordFilter::default()
        };
        let middle = (n / 50 / 2).max(1) as u64;
        let cases = [
            ("page 1", RecordFilter::default(), 1_u64, String::new()),
            ("middle page", RecordFilter::default(), middle, String::new()),
            (
                "updated_on range",
                range,
                1,
                format!(
                    " AND a.updated_on BETWEEN '{}' AND '{}'",
                    from.naive_utc(),
                    (from + chrono::Duration::minutes(9)).naive_utc()
                ),
            ),
        ];
        for (label, filter, page, extra) in cases {
            let slice = Slice::page(page, 50);
            let mut port = Vec::new();
            let mut sql = Vec::new();
            for _ in 0..RUNS {
                let t = Instant::now();
                let listed = store.list_records(tenant, &filter, slice).await.unwrap();
                port.push(t.elapsed().as_secs_f64() * 1e3);
                assert!(!listed.items.is_empty());
                let t = Instant::now();
                diesel::sql_query(format!(
                    "SELECT a.*, b.lft, b.rgt FROM curriculum_activities a JOIN curriculum_bounds b ON b.id = a.id \
                     WHERE a.account_id = {}{extra} ORDER BY a.curriculum_id, b.lft LIMIT 50 OFFSET {}",
                    tenant.0, slice.offset
                ))
                .execute(&mut raw)
                .unwrap();
                sql.push(t.elapsed().as_secs_f64() * 1e3);
            }
            let (port, sql) = (median(port), median(sql));
            println!(
                "{n:>7} records  {label:<17} list_records {port:8.3} ms   raw SQL page {sql:8.3} ms   ratio {:5.1}",
                port / sql
            );
            results.push((n, label, port));
        }
    }
    for label in ["page 1", "middle page", "updated_on range"] {
        let at = |n| {
            results
                .iter()
                .find(|r| r.0 == n && r.1 == label)
                .map_or(f64::NAN, |r| r.2)
        };
        println!("growth 400 -> 200,000 {label:<17} x{:.1}", at(200_000) / at(400));
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let hwm = status.lines().find(|l| l.starts_with("VmHWM")).unwrap_or("VmHWM: ?");
    println!("bench process peak RSS {hwm}");
}
