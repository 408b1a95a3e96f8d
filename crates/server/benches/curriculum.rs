//! v2 `update_position` and create in a path of 1,000 entries against a path of 10 entries,
//! through the real use cases on the embedded default (SQLite file), medians of 41 runs.
//!
//! `cargo bench -p curricula-server --bench curriculum`

use curricula_domain::curriculum::CurriculumRecord;
use curricula_domain::{ActivityId, ActivityKind, LanguageCode, Name, Organisations, Placement, TenantId};
use curricula_ports::{ActivityRepository, CurriculumRepository, NewActivity, TenantDirectory};
use curricula_server::app::{Curricula, SystemClock};
use curricula_service::{Caller, CurriculumService};
use curricula_store_sql::SqliteStore;
use serde_json::json;
use std::sync::Arc;
use std::time::Instant;

const RUNS: usize = 41;

struct Path {
    service: Curricula,
    caller: Caller,
    path: ActivityId,
    spare: Vec<ActivityId>,
    _dir: tempfile::TempDir,
}

async fn path_with(entries: usize) -> Path {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::connect(&format!("sqlite://{}", dir.path().join("bench.db").display()), 4)
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let code = LanguageCode::parse("l", "en-GB").unwrap();
    let tenant = store.create_tenant("Bench", &code, &[]).await.unwrap().id;
    let owner = store.create_user(tenant, "bench").await.unwrap().id;
    let new = |kind, name: String| NewActivity {
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
    let path = store
        .create_activity(new(ActivityKind::Course, "Path".into()))
        .await
        .unwrap();
    let mut members = Vec::new();
    for i in 0..entries + RUNS {
        members.push(
            store
                .create_activity(new(ActivityKind::Scorm, format!("Activity {i}")))
                .await
                .unwrap(),
        );
    }
    let spare = members.split_off(entries);
    // Fill the path in one command.
    store
        .change(
            tenant,
            path,
            Box::new(move |c, first| {
                for (i, activity) in members.iter().enumerate() {
                    let id = curricula_domain::RecordId(first.0 + i as i64);
                    c.append_to_last_section(
                        id,
                        *activity,
                        ActivityKind::Scorm,
                        format!("Entry {i}"),
                        chrono::Utc::now(),
                    )
                    .map_err(curricula_domain::curriculum::CurriculumErrors::from)?;
                }
                Ok(None)
            }),
        )
        .await
        .unwrap();
    let store = Arc::new(store);
    let service = CurriculumService::new(
        store.clone() as Arc<dyn TenantDirectory>,
        store.clone() as Arc<dyn ActivityRepository>,
        store as Arc<dyn CurriculumRepository>,
        Arc::new(SystemClock),
    );
    Path {
        service,
        caller: Caller {
            tenant: TenantId(tenant.0),
            key: curricula_domain::ApiKeyId(0),
        },
        path,
        spare,
        _dir: dir,
    }
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

async fn measure(entries: usize) -> (f64, f64) {
    let p = path_with(entries).await;
    let filter = json!({ "curriculum_activity": { "curriculum_id": p.path.0 } });
    let records: Vec<CurriculumRecord> = p
        .service
        .list(p.caller, filter.as_object().unwrap())
        .await
        .unwrap()
        .records;
    let entries_ids: Vec<i64> = records
        .iter()
        .filter(|r| r.course_id.is_some())
        .map(|r| r.id.0)
        .collect();
    let (first, last) = (entries_ids[0], *entries_ids.last().unwrap());
    let mut moves = Vec::with_capacity(RUNS);
    for i in 0..RUNS {
        // The first entry to the end and back: every row is renumbered each time.
        let (id, target, orientation) = if i % 2 == 0 {
            (first, last, "below")
        } else {
            (first, entries_ids[1], "above")
        };
        let params = json!({ "target_id": target, "orientation": orientation });
        let started = Instant::now();
        p.service
            .update_position(p.caller, curricula_domain::RecordId(id), params.as_object().unwrap())
            .await
            .unwrap();
        moves.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let section = records[0].id.0;
    let mut creates = Vec::with_capacity(RUNS);
    for activity in &p.spare {
        let attributes = json!({ "curriculum_id": p.path.0, "course_id": activity.0, "parent_id": section });
        let started = Instant::now();
        p.service
            .create(p.caller, attributes.as_object().unwrap())
            .await
            .unwrap();
        creates.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    (median(moves), median(creates))
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (move_10, create_10) = measure(10).await;
        let (move_1000, create_1000) = measure(1000).await;
        println!("median of {RUNS} runs, SQLite file, through CurriculumService:");
        println!(
            "update_position:   10 entries {move_10:6.2} ms   1,000 entries {move_1000:6.2} ms   ratio {:.2}",
            move_1000 / move_10
        );
        println!(
            "create entry:      10 entries {create_10:6.2} ms   1,000 entries {create_1000:6.2} ms   ratio {:.2}",
            create_1000 / create_10
        );
        println!("targets: under 5 ms at 1,000 entries, at most 3x the 10-entry time");
    });
}
