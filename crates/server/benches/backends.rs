//! The embedded default (SQLite) and Postgres side by side, through the real actix application
//! in process: upload of a small package, List of a 200-entry path, `update_position` in a
//! 1,000-entry path, a rename of one of its entries beside a one-row `UPDATE` committed alone
//! (the floor of any acknowledged write: each write is one commit with its event), a content
//! file through its launch URL — medians, and the Postgres/SQLite ratio. The List is also set against its raw SQL floor (the same SELECT, timed alone), a
//! content request against the lookup of its token's key (what revocation adds to it).
//!
//! `TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench -p curricula-server --bench backends`
//! (without `TEST_DATABASE_URL` only SQLite runs).

use actix_web::dev::Service;
use actix_web::{test, web};
use curricula_domain::curriculum::CurriculumErrors;
use curricula_domain::{ActivityId, ActivityKind, LanguageCode, Name, Organisations, Placement, TenantId, UserId};
use curricula_ports::Journal;
use curricula_ports::NewActivity;
use curricula_server::app::{Adapters, AppState};
use curricula_server::settings::Settings;
use curricula_service::AdminService;
use curricula_store_blob::ObjectBlobStore;
use curricula_store_sql::Database;
use curricula_store_sql::testing::TestDatabase;
use std::sync::Arc;
use std::time::Instant;

const RUNS: usize = 31;
/// Renames, each beside a one-row commit: more than [`RUNS`], for the floor is an fsync, whose
/// time moves from one to the next.
const RENAMES: usize = 101;
const KEY: &str = "bench-key-0123456789";
const ORIGIN: &str = "https://skoli.istak.is";

struct Figures {
    upload: f64,
    list: f64,
    list_floor: f64,
    update_position: f64,
    rename: f64,
    bare_update: f64,
    content: f64,
    key_check: f64,
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn multipart(package: &[u8], name: &str) -> (String, Vec<u8>) {
    let boundary = "----curricula-bench";
    let mut body = Vec::new();
    for (field, value) in [
        ("key", KEY),
        ("origin", ORIGIN),
        ("activityType", "scorm"),
        ("name", name),
        ("userName", "bench"),
    ] {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n{value}\r\n").bytes(),
        );
    }
    body.extend(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.zip\"\r\nContent-Type: application/zip\r\n\r\n")
            .bytes(),
    );
    body.extend_from_slice(package);
    body.extend(format!("\r\n--{boundary}--\r\n").bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A path of `entries` activities in one section.
async fn path_with(adapters: &Adapters, tenant: TenantId, owner: UserId, entries: usize) -> (ActivityId, Vec<i64>) {
    let code = LanguageCode::parse("l", "en-GB").unwrap();
    let new = |kind, name: String| NewActivity {
        api_key: None,
        external_id: None,
        tenant,
        kind,
        name: Name::parse("name", &name).unwrap(),
        owner,
        organisations: Organisations::All,
        placement: Placement::TopLevel,
        language: code.clone(),
        scorm: None,
        now: chrono::Utc::now(),
    };
    let path = adapters
        .activities
        .create_activity(new(ActivityKind::Course, format!("Path of {entries}")), Journal::none())
        .await
        .unwrap();
    let mut members = Vec::with_capacity(entries);
    for i in 0..entries {
        let activity = new(ActivityKind::Scorm, format!("Activity {entries}.{i}"));
        members.push(
            adapters
                .activities
                .create_activity(activity, Journal::none())
                .await
                .unwrap(),
        );
    }
    // One command per entry: each takes the single fresh id its command is given.
    for (i, activity) in members.into_iter().enumerate() {
        let append: curricula_ports::CurriculumChange = Box::new(move |c, ids| {
            c.append_to_last_section(
                ids[0],
                activity,
                ActivityKind::Scorm,
                format!("Entry {i}"),
                chrono::Utc::now(),
            )
            .map_err(CurriculumErrors::from)?;
            Ok(None)
        });
        adapters
            .curricula
            .change(tenant, path.into(), curricula_ports::PathWrite::new(1, append))
            .await
            .unwrap();
    }
    let one_path = curricula_ports::RecordFilter {
        curriculum_id: Some(path),
        ..Default::default()
    };
    let records = adapters
        .curricula
        .list_records(tenant, &one_path, curricula_ports::Slice::ALL)
        .await
        .unwrap()
        .items;
    let entry_ids = records
        .iter()
        .filter(|r| r.course_id.is_some())
        .map(|r| r.id.0)
        .collect();
    (path, entry_ids)
}

async fn measure(db: Database) -> Figures {
    let dir = tempfile::tempdir().unwrap();
    db.migrate().await.unwrap();
    let blobs = ObjectBlobStore::open(&format!("file://{}", dir.path().join("blobs").display())).unwrap();
    let adapters = Adapters::new(db.clone(), Arc::new(blobs));
    let admin = AdminService::new(
        Arc::clone(&adapters.directory),
        Arc::new(curricula_server::app::SystemClock),
    );
    let tenant = admin.create_tenant("Bench", "en-GB", &[]).await.unwrap().id;
    let owner = admin.create_user(tenant, "bench").await.unwrap().id;
    admin.create_key(tenant, Some(ORIGIN), Some(KEY)).await.unwrap();
    let mut settings = Settings::load(None).unwrap();
    settings.upload.tmp_dir = dir.path().join("tmp").display().to_string();
    settings.content.secret = "bench-content-secret".into();
    let tmp_dir = dir.path().join("tmp");
    std::fs::create_dir_all(&tmp_dir).unwrap();
    let state = web::Data::new(AppState::new(&adapters, &settings, tmp_dir).unwrap());
    let app = test::init_service(curricula_server::app::app(state)).await;

    let package = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/hse-presentation.zip"
    ))
    .unwrap();
    let mut uploads = Vec::with_capacity(RUNS);
    let mut uploaded = 0;
    for i in 0..RUNS {
        let (content_type, body) = multipart(&package, &format!("Upload {i}"));
        let req = test::TestRequest::post()
            .uri("/api/activityupload/new")
            .insert_header(("content-type", content_type))
            .set_payload(body)
            .to_request();
        let started = Instant::now();
        let res = app.call(req).await.unwrap();
        assert_eq!(res.status(), 201);
        uploads.push(started.elapsed().as_secs_f64() * 1000.0);
        let body: serde_json::Value = serde_json::from_slice(&test::read_body(res).await).unwrap();
        uploaded = body["activityId"].as_i64().unwrap();
    }

    // A content file through its launch URL; the key lookup every content request makes.
    let res = app
        .call(
            test::TestRequest::get()
                .uri(&format!("/api/v2/activities/{uploaded}/launch?api_key={KEY}"))
                .to_request(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let launch: serde_json::Value = serde_json::from_slice(&test::read_body(res).await).unwrap();
    let url = launch["launch_url"].as_str().unwrap();
    let page = url[url.find("/content/").unwrap()..].to_owned();
    let key = admin.keys(tenant).await.unwrap()[0].id;
    let (mut contents, mut key_checks) = (Vec::with_capacity(RUNS), Vec::with_capacity(RUNS));
    for _ in 0..RUNS {
        let started = Instant::now();
        let res = app
            .call(test::TestRequest::get().uri(&page).to_request())
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let body = test::read_body(res).await;
        contents.push(started.elapsed().as_secs_f64() * 1000.0);
        assert!(!body.is_empty());
        let started = Instant::now();
        assert!(adapters.directory.api_key_by_id(key).await.unwrap().is_some());
        key_checks.push(started.elapsed().as_secs_f64() * 1000.0);
    }

    let (listed, _) = path_with(&adapters, tenant, owner, 200).await;
    let uri = format!(
        "/api/v2/curriculum_activities?api_key={KEY}&curriculum_activity%5Bcurriculum_id%5D={}",
        listed.0
    );
    let (mut lists, mut floors) = (Vec::with_capacity(RUNS), Vec::with_capacity(RUNS));
    for _ in 0..RUNS {
        let started = Instant::now();
        let res = app.call(test::TestRequest::get().uri(&uri).to_request()).await.unwrap();
        assert_eq!(res.status(), 200);
        let body = test::read_body(res).await;
        lists.push(started.elapsed().as_secs_f64() * 1000.0);
        assert!(body.len() > 200 * 100);
        let started = Instant::now();
        assert_eq!(db.raw_path_select(listed.0).await.unwrap(), 201);
        floors.push(started.elapsed().as_secs_f64() * 1000.0);
    }

    let (_, entries) = path_with(&adapters, tenant, owner, 1000).await;
    let (first, last) = (entries[0], *entries.last().unwrap());
    let mut moves = Vec::with_capacity(RUNS);
    for i in 0..RUNS {
        // The first entry to the end and back: every row is renumbered each time.
        let body = if i % 2 == 0 {
            format!(r#"{{"target_id":{last},"orientation":"below"}}"#)
        } else {
            format!(r#"{{"target_id":{},"orientation":"above"}}"#, entries[1])
        };
        let req = test::TestRequest::put()
            .uri(&format!(
                "/api/v2/curriculum_activities/{first}/update_position?api_key={KEY}"
            ))
            .insert_header(("content-type", "application/json"))
            .set_payload(body)
            .to_request();
        let started = Instant::now();
        let res = app.call(req).await.unwrap();
        assert_eq!(res.status(), 200);
        moves.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    // A v2 rename (one record's name: the record, the path's version and its event in one
    // commit), beside the floor of any write: a one-row UPDATE committed on its own.
    let renamed = entries[500];
    let (mut renames, mut bare) = (Vec::with_capacity(RENAMES), Vec::with_capacity(RENAMES));
    for i in 0..RENAMES {
        let req = test::TestRequest::put()
            .uri(&format!("/api/v2/curriculum_activities/{renamed}?api_key={KEY}"))
            .insert_header(("content-type", "application/json"))
            .set_payload(format!(r#"{{"curriculum_activity":{{"name":"Renamed {i}"}}}}"#))
            .to_request();
        let started = Instant::now();
        let res = app.call(req).await.unwrap();
        assert_eq!(res.status(), 200);
        renames.push(started.elapsed().as_secs_f64() * 1000.0);
        let started = Instant::now();
        let statement = format!("UPDATE tenants SET name = 'Bench {i}' WHERE id = {}", tenant.0);
        assert_eq!(db.raw_execute(&statement).await.unwrap(), 1);
        bare.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    Figures {
        rename: median(renames),
        bare_update: median(bare),
        upload: median(uploads),
        list: median(lists),
        list_floor: median(floors),
        update_position: median(moves),
        content: median(contents),
        key_check: median(key_checks),
    }
}

#[actix_web::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite_url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let sqlite = measure(Database::connect(&sqlite_url, 8).await.unwrap()).await;
    let postgres = match TestDatabase::create().await {
        Some(db) => Some((measure(Database::connect(db.url(), 8).await.unwrap()).await, db)),
        None => None,
    };
    println!(
        "medians of {RUNS} runs ({RENAMES} for the rename and its floor), in process through the actix application (ms)"
    );
    println!("{:<36} {:>9} {:>9} {:>7}", "", "SQLite", "Postgres", "PG/SQL");
    let row = |label: &str, pick: fn(&Figures) -> f64| match &postgres {
        Some((pg, _)) => println!(
            "{label:<36} {:>9.3} {:>9.3} {:>7.2}",
            pick(&sqlite),
            pick(pg),
            pick(pg) / pick(&sqlite)
        ),
        None => println!("{label:<36} {:>9.3} {:>9} {:>7}", pick(&sqlite), "-", "-"),
    };
    row("upload (small package, 1 language)", |f| f.upload);
    row("List of a 200-entry path (HTTP)", |f| f.list);
    row("  the same SELECT alone (floor)", |f| f.list_floor);
    row("update_position, 1,000-entry path", |f| f.update_position);
    row("rename of one entry (v2 PUT)", |f| f.rename);
    row("  a one-row UPDATE commit (floor)", |f| f.bare_update);
    row("content file (launch page, HTTP)", |f| f.content);
    row("  its token's key lookup alone", |f| f.key_check);
    let commits = |f: &Figures| (f.rename / f.bare_update, f.update_position / f.bare_update);
    let (rename, moved) = commits(postgres.as_ref().map_or(&sqlite, |(pg, _)| pg));
    println!(
        "{} writes over a one-row UPDATE commit: rename {rename:.2}x (target 1.6x), 1,000-entry move {moved:.2}x (target 2.5x)",
        if postgres.is_some() { "Postgres" } else { "SQLite" }
    );
    let floor = |f: &Figures| f.list / f.list_floor;
    match &postgres {
        Some((pg, _)) => println!(
            "List over its SQL floor: SQLite {:.1}x, Postgres {:.1}x",
            floor(&sqlite),
            floor(pg)
        ),
        None => println!(
            "List over its SQL floor: SQLite {:.1}x (set TEST_DATABASE_URL for Postgres)",
            floor(&sqlite)
        ),
    }
}
