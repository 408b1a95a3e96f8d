//! v2 `update_position` and create in a path of 1,000 entries against a path of 10 entries,
//! through the real use cases on the embedded default (SQLite file), medians of 101 runs each,
//! the two paths' runs alternated.
//!
//! `cargo bench -p curricula-server --bench curriculum`
//!
//! With `PROFILE_MOVES=N` it only builds the 1,000-entry path and makes N worst-case moves,
//! for an instruction profile: run it with N = 0 and N = 200 under
//! `valgrind --tool=callgrind` and divide the difference by 200.

use curricula_domain::curriculum::{CurriculumRecord, Orientation, Patch, RecordInput, SectionInput, TreeInput};
use curricula_domain::{ActivityId, ActivityKind, LanguageCode, Name, Organisations, Placement, TenantId};
use curricula_ports::Journal;
use curricula_ports::{ActivityRepository, CurriculumRepository, NewActivity, TenantDirectory};
use curricula_server::app::{Curricula, SystemClock};
use curricula_service::{Caller, CurriculumService};
use curricula_store_sql::Database;
use std::sync::Arc;
use std::time::Instant;

const RUNS: usize = 101;

struct Path {
    service: Curricula,
    caller: Caller,
    path: ActivityId,
    spare: Vec<ActivityId>,
    _dir: tempfile::TempDir,
}

async fn path_with(entries: usize) -> Path {
    let dir = tempfile::tempdir().unwrap();
    let store = Database::connect(&format!("sqlite://{}", dir.path().join("bench.db").display()), 4)
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let code = LanguageCode::parse("l", "en-GB").unwrap();
    let tenant = store.create_tenant("Bench", &code, &[]).await.unwrap().id;
    let owner = store.create_user(tenant, "bench").await.unwrap().id;
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
    let path = store
        .create_activity(new(ActivityKind::Course, "Path".into()), Journal::none())
        .await
        .unwrap();
    let mut members = Vec::new();
    for i in 0..entries + RUNS {
        members.push(
            store
                .create_activity(new(ActivityKind::Scorm, format!("Activity {i}")), Journal::none())
                .await
                .unwrap(),
        );
    }
    let spare = members.split_off(entries);
    // Fill the path in one command.
    let count = members.len();
    store
        .change(
            tenant,
            path.into(),
            curricula_ports::PathWrite::new(
                count,
                Box::new(move |c, ids| {
                    for (i, (activity, id)) in members.iter().zip(ids).enumerate() {
                        let id = *id;
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
            ),
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

/// A path ready for the measured commands: its section and entry ids.
struct Ready {
    p: Path,
    section: i64,
    entries: Vec<i64>,
}

async fn ready(entries: usize) -> Ready {
    let p = path_with(entries).await;
    let filter = curricula_ports::RecordFilter {
        curriculum_id: Some(p.path),
        ..Default::default()
    };
    let records: Vec<CurriculumRecord> = p.service.list(p.caller, &filter, 1).await.unwrap().records;
    let entries = records
        .iter()
        .filter(|r| r.course_id.is_some())
        .map(|r| r.id.0)
        .collect();
    Ready {
        section: records[0].id.0,
        entries,
        p,
    }
}

/// Run `i` of the worst move: the first entry to the end and back, so every row is
/// renumbered each time. Milliseconds.
async fn move_once(r: &Ready, i: usize) -> f64 {
    let (first, last) = (r.entries[0], *r.entries.last().unwrap());
    let (target, orientation) = if i.is_multiple_of(2) {
        (last, Orientation::Below)
    } else {
        (r.entries[1], Orientation::Above)
    };
    let started = Instant::now();
    r.p.service
        .update_position(
            &r.p.caller.into(),
            curricula_domain::RecordId(first),
            curricula_domain::RecordId(target),
            orientation,
            None,
        )
        .await
        .unwrap();
    started.elapsed().as_secs_f64() * 1000.0
}

/// Run `i` of a short move: the middle entry one place down and back (two rows renumbered).
async fn swap_once(r: &Ready, i: usize) -> f64 {
    let mid = r.entries.len() / 2;
    let (id, target) = (r.entries[mid], r.entries[mid + 1]);
    let orientation = if i.is_multiple_of(2) {
        Orientation::Below
    } else {
        Orientation::Above
    };
    let started = Instant::now();
    r.p.service
        .update_position(
            &r.p.caller.into(),
            curricula_domain::RecordId(id),
            curricula_domain::RecordId(target),
            orientation,
            None,
        )
        .await
        .unwrap();
    started.elapsed().as_secs_f64() * 1000.0
}

/// Run `i` of a v2 Create appending an entry. Milliseconds.
async fn create_once(r: &Ready, i: usize) -> f64 {
    let input = RecordInput {
        curriculum_id: Patch::Value(r.p.path),
        course_id: Patch::Value(r.p.spare[i]),
        parent_id: Patch::Value(curricula_domain::RecordId(r.section)),
        ..RecordInput::default()
    };
    let started = Instant::now();
    r.p.service.create(&r.p.caller.into(), input, None).await.unwrap();
    started.elapsed().as_secs_f64() * 1000.0
}

/// The path's tree (ids only) with its entries in `order` (indexes into `r.entries`).
fn tree_of(r: &Ready, order: &[usize]) -> TreeInput {
    TreeInput {
        sections: vec![SectionInput {
            attributes: RecordInput {
                id: Patch::Value(curricula_domain::RecordId(r.section)),
                ..RecordInput::default()
            },
            entries: order
                .iter()
                .map(|&k| RecordInput {
                    id: Patch::Value(curricula_domain::RecordId(r.entries[k])),
                    ..RecordInput::default()
                })
                .collect(),
        }],
    }
}

/// A whole-path PUT (`CurriculumService::sync`) of `tree`. Milliseconds.
async fn sync_once(r: &Ready, tree: &TreeInput) -> f64 {
    let tree = tree.clone();
    let started = Instant::now();
    let synced =
        r.p.service
            .sync(&r.p.caller.into(), r.p.path, tree, None, false)
            .await
            .unwrap();
    assert!(!synced.diff.is_empty());
    started.elapsed().as_secs_f64() * 1000.0
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        if let Some(n) = std::env::var("PROFILE_MOVES")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
        {
            // Profile mode (see the top of this file).
            let large = ready(1000).await;
            for i in 0..n {
                move_once(&large, i).await;
            }
            return;
        }
        let small = ready(10).await;
        let large = ready(1000).await;
        // Alternated, so that whatever else the machine does weighs on both alike.
        let (mut move_10, mut move_1000, mut create_10, mut create_1000) = (vec![], vec![], vec![], vec![]);
        for i in 0..RUNS {
            move_10.push(move_once(&small, i).await);
            move_1000.push(move_once(&large, i).await);
        }
        let (mut swap_10, mut swap_1000) = (vec![], vec![]);
        for i in 0..RUNS {
            swap_10.push(swap_once(&small, i).await);
            swap_1000.push(swap_once(&large, i).await);
        }
        for i in 0..RUNS {
            create_10.push(create_once(&small, i).await);
            create_1000.push(create_once(&large, i).await);
        }
        let (move_10, move_1000) = (median(move_10), median(move_1000));
        let (create_10, create_1000) = (median(create_10), median(create_1000));
        let (swap_10, swap_1000) = (median(swap_10), median(swap_1000));
        println!("median of {RUNS} runs each, alternated, SQLite file, through CurriculumService:");
        println!(
            "update_position:   10 entries {move_10:6.2} ms   1,000 entries {move_1000:6.2} ms   ratio {:.2}",
            move_1000 / move_10
        );
        println!(
            "  (worst case: the first entry to the end and back, every row renumbered)\n\
             update_position:   10 entries {swap_10:6.2} ms   1,000 entries {swap_1000:6.2} ms   ratio {:.2}\n  \
             (short move: the middle entry one place down and back)",
            swap_1000 / swap_10
        );
        println!(
            "create entry:      10 entries {create_10:6.2} ms   1,000 entries {create_1000:6.2} ms   ratio {:.2}",
            create_1000 / create_10
        );
        println!("targets: under 5 ms at 1,000 entries, at most 3x the 10-entry time");

        // Whole-path PUTs of the 1,000-entry path against one worst-case move, alternated.
        let n = large.entries.len();
        let identity: Vec<usize> = (0..n).collect();
        let first_last: Vec<usize> = (1..n).chain([0]).collect();
        let reversed: Vec<usize> = (0..n).rev().collect();
        let (as_is, one_move, all_moves) =
            (tree_of(&large, &identity), tree_of(&large, &first_last), tree_of(&large, &reversed));
        let (mut moves, mut puts_one, mut puts_all) = (vec![], vec![], vec![]);
        for _ in 0..RUNS {
            // Each there and back, so that every run starts from the same path.
            moves.push(move_once(&large, 0).await);
            move_once(&large, 1).await;
            puts_one.push(sync_once(&large, &one_move).await);
            sync_once(&large, &as_is).await;
            puts_all.push(sync_once(&large, &all_moves).await);
            sync_once(&large, &as_is).await;
        }
        let (moves, puts_one, puts_all) = (median(moves), median(puts_one), median(puts_all));
        println!(
            "whole-path PUT, 1,000 entries: the first entry last (= one move) {puts_one:6.2} ms, ratio {:.2} to one move ({moves:.2} ms)",
            puts_one / moves
        );
        println!(
            "whole-path PUT, 1,000 entries: every entry reversed (= 999 moves) {puts_all:6.2} ms, ratio {:.2} to one move",
            puts_all / moves
        );
        println!("target: one PUT at most 3x one move");
    });
}
