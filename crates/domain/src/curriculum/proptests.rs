//! Property tests: random sequences of valid and invalid operations keep every invariant, a
//! refused operation changes nothing, the diff replays, and loading round-trips.

use super::*;
use crate::activity::ActivityKind;
use crate::ids::{ActivityId, RecordId, TenantId};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use std::collections::BTreeSet;

const PATH: ActivityId = ActivityId(1);
const ACCOUNT: TenantId = TenantId(9);

/// How an operation names a record: resolved against the state it runs on, so that most
/// operations hit real records and some hit none.
#[derive(Debug, Clone, Copy)]
enum Pick {
    /// The k-th record (any kind), modulo the count.
    Any(usize),
    /// The k-th section.
    Section(usize),
    /// The k-th entry (the k-th section when there is none).
    Entry(usize),
    /// An id no record has (for a new record: a fresh one).
    Missing,
}

/// How an operation names an activity.
#[derive(Debug, Clone, Copy)]
enum CoursePick {
    /// One not in the path yet.
    Fresh,
    /// The k-th activity already in the path (a duplicate).
    Existing(usize),
    /// The path itself.
    Itself,
}

#[derive(Debug, Clone)]
enum Op {
    /// `create` with `course_id` resolved from the pick (or a section when `None`); `found`
    /// false simulates an activity missing from the tenant.
    Create {
        id: Pick,
        course: Option<(CoursePick, ActivityKind, bool)>,
        parent: Pick,
        input: RecordInput,
    },
    CreateSection {
        id: Pick,
        input: RecordInput,
    },
    CreateEntry {
        id: Pick,
        course: CoursePick,
        kind: ActivityKind,
        parent: Pick,
        input: RecordInput,
    },
    Append {
        id: Pick,
        course: CoursePick,
        kind: ActivityKind,
    },
    Update {
        id: Pick,
        input: RecordInput,
    },
    Move {
        id: Pick,
        target: Pick,
        orientation: Orientation,
    },
    Destroy {
        id: Pick,
    },
}

const MISSING: RecordId = RecordId(999);

fn resolve(c: &Curriculum, pick: Pick) -> RecordId {
    let records = c.records();
    let sections: Vec<RecordId> = records.iter().filter(|r| r.course_id.is_none()).map(|r| r.id).collect();
    let entries: Vec<RecordId> = records.iter().filter(|r| r.course_id.is_some()).map(|r| r.id).collect();
    let nth = |ids: &[RecordId], k: usize| if ids.is_empty() { MISSING } else { ids[k % ids.len()] };
    match pick {
        Pick::Any(k) => nth(&records.iter().map(|r| r.id).collect::<Vec<_>>(), k),
        Pick::Section(k) => nth(&sections, k),
        Pick::Entry(k) if entries.is_empty() => nth(&sections, k),
        Pick::Entry(k) => nth(&entries, k),
        Pick::Missing => MISSING,
    }
}

/// Like `resolve`, but the next record of the same kind when it would be `avoid` (a record
/// moved onto itself is tested through `Pick::Any` colliding only sometimes).
fn resolve_other(c: &Curriculum, pick: Pick, avoid: RecordId) -> RecordId {
    let first = resolve(c, pick);
    if first != avoid {
        return first;
    }
    match pick {
        Pick::Section(k) => resolve(c, Pick::Section(k + 1)),
        Pick::Entry(k) => resolve(c, Pick::Entry(k + 1)),
        other => first.max(resolve(c, other)),
    }
}

/// A new record's id: a fresh one for `Missing`, else an id in use (refused).
fn new_id(c: &Curriculum, pick: Pick) -> RecordId {
    match pick {
        Pick::Missing => RecordId(c.records().iter().map(|r| r.id.0).max().unwrap_or(0) + 1),
        other => resolve(c, other),
    }
}

fn resolve_course(c: &Curriculum, pick: CoursePick) -> ActivityId {
    let existing = c.course_ids();
    match pick {
        CoursePick::Existing(k) if !existing.is_empty() => existing[k % existing.len()],
        CoursePick::Itself => PATH,
        _ => ActivityId(existing.iter().map(|a| a.0).max().unwrap_or(100) + 1),
    }
}

fn patch<T: std::fmt::Debug + Clone + 'static>(
    absent: u32,
    value: impl Strategy<Value = T> + 'static,
) -> BoxedStrategy<Patch<T>> {
    prop_oneof![absent => Just(Patch::Absent), 1 => Just(Patch::Null), 3 => value.prop_map(Patch::Value)].boxed()
}

fn pick() -> impl Strategy<Value = Pick> + Clone {
    let k = 0usize..8;
    prop_oneof![
        3 => k.clone().prop_map(Pick::Any),
        3 => k.clone().prop_map(Pick::Section),
        6 => k.prop_map(Pick::Entry),
        1 => Just(Pick::Missing),
    ]
}

fn new_pick() -> impl Strategy<Value = Pick> {
    prop_oneof![25 => Just(Pick::Missing), 1 => (0usize..8).prop_map(Pick::Any)]
}

fn course_pick() -> impl Strategy<Value = CoursePick> {
    prop_oneof![20 => Just(CoursePick::Fresh), 2 => (0usize..8).prop_map(CoursePick::Existing), 1 => Just(CoursePick::Itself)]
}

fn kind() -> impl Strategy<Value = ActivityKind> {
    prop_oneof![8 => Just(ActivityKind::Scorm), 1 => Just(ActivityKind::Course)]
}

fn input() -> impl Strategy<Value = RecordInput> {
    let names = prop_oneof![8 => Just("Name".to_owned()), 1 => Just(" ".to_owned()), 1 => Just("n".repeat(256))];
    let modes = prop_oneof![
        Just(ControlMode::Flow),
        Just(ControlMode::Choice),
        Just(ControlMode::Optional)
    ];
    let views = prop_oneof![Just(InitialView::Collapsed), Just(InitialView::Full)];
    let first = (
        patch(1, names),
        patch(4, modes),
        patch(4, prop_oneof![4 => 1i32..4, 1 => -1i32..1]),
        patch(8, prop_oneof![4 => Just(1i32), 1 => Just(0i32)]),
        patch(8, -1i32..3),
        patch(8, views),
        patch(8, any::<bool>()),
        patch(8, any::<bool>()),
    );
    let second = (
        patch(8, Just("text".to_owned())),
        patch(30, (0usize..8).prop_map(Pick::Any)),
        patch(30, 1i32..12),
        patch(8, Just(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap())),
        patch(8, any::<bool>()),
        patch(4, -1i32..3),
        patch(30, Just(Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap())),
    );
    (first, second).prop_map(
        |(
            (name, control_mode, completions_min, weight, attempts_max, initial_view, required, exempt),
            (description, parent_id, lft, lock_until, skip, due_days, updated_on),
        )| RecordInput {
            name,
            control_mode,
            completions_min,
            weight,
            attempts_max,
            initial_view,
            required_for_specified_control_mode: required,
            exempt_if_mastered: exempt,
            description,
            // Resolved when run (a current id, often the record's own).
            parent_id: parent_id.map(|p| {
                RecordId(match p {
                    Pick::Any(k) => i64::try_from(k).unwrap(),
                    _ => 0,
                })
            }),
            lft,
            lock_until,
            skip_interstitial_page: skip,
            updated_on,
            due_days,
            ..RecordInput::default()
        },
    )
}

fn orientation() -> impl Strategy<Value = Orientation> {
    prop_oneof![
        Just(Orientation::Above),
        Just(Orientation::Below),
        Just(Orientation::Inside)
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => (new_pick(), proptest::option::of((course_pick(), kind(), proptest::bool::weighted(0.9))), pick(), input())
            .prop_map(|(id, course, parent, input)| Op::Create { id, course, parent, input }),
        3 => (new_pick(), input()).prop_map(|(id, input)| Op::CreateSection { id, input }),
        8 => (new_pick(), course_pick(), kind(), pick(), input())
            .prop_map(|(id, course, kind, parent, input)| {
                // Mostly a section, as a careful caller would send.
                let parent = if let Pick::Entry(k) = parent { Pick::Section(k) } else { parent };
                Op::CreateEntry { id, course, kind, parent, input }
            }),
        1 => (new_pick(), course_pick(), kind()).prop_map(|(id, course, kind)| Op::Append { id, course, kind }),
        4 => (pick(), input()).prop_map(|(id, input)| Op::Update { id, input }),
        6 => (pick(), pick(), orientation()).prop_map(|(id, target, orientation)| {
            // Inside is about sections; above and below mostly about entries.
            let target = match (orientation, target) {
                (Orientation::Inside, Pick::Entry(k)) => Pick::Section(k),
                (_, other) => other,
            };
            Op::Move { id, target, orientation }
        }),
        2 => pick().prop_map(|id| Op::Destroy { id }),
    ]
}

/// Most of the time, makes `input` valid for a record of `kind` (`None` for a section): drops
/// what does not apply or can not be set and repairs out-of-range values. Inputs whose
/// `due_days` is -1 or 0 keep their mistakes.
fn tidy(input: &mut RecordInput, kind: Option<ActivityKind>, keep_parent: bool) {
    if matches!(input.due_days, Patch::Value(-1 | 0)) {
        return;
    }
    if kind.is_some() {
        input.description = Patch::Absent;
        input.lock_until = Patch::Absent;
        input.initial_view = Patch::Absent;
        input.control_mode = Patch::Absent;
        input.completions_min = Patch::Absent;
    } else {
        input.required_for_specified_control_mode = Patch::Absent;
    }
    if kind != Some(ActivityKind::Scorm) {
        input.weight = Patch::Absent;
        input.exempt_if_mastered = Patch::Absent;
        input.attempts_max = Patch::Absent;
        input.skip_interstitial_page = Patch::Absent;
    }
    if !keep_parent {
        input.parent_id = Patch::Absent;
    }
    input.lft = Patch::Absent;
    input.updated_on = Patch::Absent;
    if matches!(&input.name, Patch::Null) || input.name.value().is_some_and(|n| n.trim().is_empty() || n.len() > 255) {
        input.name = Patch::Value("Name".to_owned());
    }
    if let Patch::Value(w) = &mut input.weight {
        *w = 1;
    }
    if let Patch::Value(a) = &mut input.attempts_max {
        *a = a.abs();
    }
    if input.completions_min.value().is_some_and(|n| *n < 1) {
        input.completions_min = Patch::Absent;
    }
}

/// The input with its `parent_id` pick resolved against `c`.
fn resolved(c: &Curriculum, input: &RecordInput, parent: Option<Pick>) -> RecordInput {
    let mut input = input.clone();
    input.parent_id = match (parent, &input.parent_id) {
        (Some(p), _) => Patch::Value(resolve(c, p)),
        (None, Patch::Value(k)) => Patch::Value(resolve(c, Pick::Any(usize::try_from(k.0).unwrap()))),
        (None, other) => other.clone(),
    };
    input
}

fn course(id: ActivityId, kind: ActivityKind) -> CourseRef {
    CourseRef {
        id,
        kind,
        name: format!("Activity {id}"),
    }
}

/// Applies `op`; `Ok` when it was accepted.
fn run(c: &mut Curriculum, op: &Op, now: DateTime<Utc>) -> Result<(), String> {
    let result = match op {
        Op::Create {
            id,
            course: picked,
            parent,
            input,
        } => {
            let id = new_id(c, *id);
            let mut input = resolved(c, input, picked.map(|_| *parent));
            tidy(&mut input, picked.map(|(_, kind, _)| kind), true);
            let found = picked.and_then(|(p, kind, found)| {
                let cid = resolve_course(c, p);
                input.course_id = Patch::Value(cid);
                found.then(|| course(cid, kind))
            });
            c.create(id, &input, found.as_ref(), now).map(drop)
        }
        Op::CreateSection { id, input } => {
            let mut input = resolved(c, input, None);
            tidy(&mut input, None, false);
            c.create_section(new_id(c, *id), &input, now).map(drop)
        }
        Op::CreateEntry {
            id,
            course: p,
            kind,
            parent,
            input,
        } => {
            let mut input = resolved(c, input, Some(*parent));
            tidy(&mut input, Some(*kind), true);
            let found = course(resolve_course(c, *p), *kind);
            c.create_entry(new_id(c, *id), &found, &input, now).map(drop)
        }
        Op::Append { id, course: p, kind } => {
            let cid = resolve_course(c, *p);
            c.append_to_last_section(new_id(c, *id), cid, *kind, format!("Activity {cid}"), now)
                .map(drop)
                .map_err(CurriculumErrors::from)
        }
        Op::Update { id, input } => {
            let id = resolve(c, *id);
            let mut input = resolved(c, input, None);
            tidy(&mut input, c.record(id).and_then(|r| r.course_kind), false);
            c.update(id, &input, now).map(drop)
        }
        Op::Move {
            id,
            target,
            orientation,
        } => {
            let id = resolve(c, *id);
            c.move_record(id, resolve_other(c, *target, id), *orientation, now)
        }
        Op::Destroy { id } => c.destroy(resolve(c, *id), now).map(drop),
    };
    result.map_err(|e| {
        assert!(!e.0.is_empty(), "a refusal says why");
        e.to_string()
    })
}

fn check_invariants(c: &Curriculum) -> Result<(), TestCaseError> {
    let records = c.records();
    let n = i32::try_from(records.len()).unwrap();
    // Gap-free numbering 1..2n, in output order.
    let mut bounds: Vec<i32> = records.iter().flat_map(|r| [r.lft, r.rgt]).collect();
    bounds.sort_unstable();
    prop_assert_eq!(bounds, (1..=2 * n).collect::<Vec<_>>());
    prop_assert!(records.windows(2).all(|w| w[0].lft < w[1].lft));
    let sections: Vec<&CurriculumRecord> = records.iter().filter(|r| r.course_id.is_none()).collect();
    let mut ids = BTreeSet::new();
    let mut courses = BTreeSet::new();
    for r in &records {
        prop_assert!(ids.insert(r.id), "record id {} twice", r.id);
        prop_assert_eq!(r.curriculum_id, PATH);
        prop_assert_eq!(r.account_id, ACCOUNT);
        prop_assert_eq!(r.updated_by, None);
        match r.course_id {
            None => {
                prop_assert_eq!(r.parent_id, None);
                let inside: Vec<&CurriculumRecord> =
                    records.iter().filter(|e| e.lft > r.lft && e.rgt < r.rgt).collect();
                prop_assert_eq!(usize::try_from(r.rgt - r.lft - 1).unwrap(), inside.len() * 2);
                prop_assert!(inside.iter().all(|e| e.parent_id == Some(r.id) && e.rgt == e.lft + 1));
                let count = inside.len();
                if let Some(min) = r.completions_min {
                    prop_assert_eq!(r.control_mode.unwrap_or(ControlMode::Choice), ControlMode::Choice);
                    prop_assert!(
                        min >= 1 && usize::try_from(min).unwrap() <= count,
                        "completions_min {} of {}",
                        min,
                        count
                    );
                }
            }
            Some(course_id) => {
                prop_assert!(courses.insert(course_id), "course_id {} twice", course_id);
                prop_assert_ne!(course_id, PATH);
                let parent = r.parent_id.and_then(|p| sections.iter().find(|s| s.id == p));
                prop_assert!(
                    parent.is_some_and(|s| s.lft < r.lft && r.rgt < s.rgt),
                    "entry {} outside its section",
                    r.id
                );
                prop_assert!(r.control_mode.is_none() && r.completions_min.is_none() && r.initial_view.is_none());
                if r.course_kind == Some(ActivityKind::Course) {
                    prop_assert!(r.weight.is_none() && r.attempts_max.is_none() && r.exempt_if_mastered.is_none());
                }
            }
        }
    }
    prop_assert!(
        sections.iter().any(|s| s.control_mode != Some(ControlMode::Optional)),
        "no non-optional section"
    );
    for r in &records {
        let one = c.record(r.id);
        prop_assert_eq!(one.as_ref(), Some(r), "record({}) agrees with records()", r.id);
    }
    prop_assert_eq!(c.record(RecordId(i64::MAX)), None);
    let loaded = Curriculum::from_records(PATH, ACCOUNT, records.clone());
    prop_assert!(loaded.is_ok(), "{:?}", loaded.err());
    prop_assert_eq!(loaded.unwrap().records(), records);
    Ok(())
}

/// Replays a diff onto the old rows, as an adapter would.
fn replay(before: &[CurriculumRecord], d: &CurriculumDiff) -> Vec<CurriculumRecord> {
    let mut rows: Vec<CurriculumRecord> = before
        .iter()
        .filter(|r| !d.deleted.contains(&r.id))
        .map(|r| d.updated.iter().find(|u| u.id == r.id).unwrap_or(r).clone())
        .chain(d.inserted.iter().cloned())
        .collect();
    rows.sort_by_key(|r| r.lft);
    rows
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn operations_keep_every_invariant(ops in proptest::collection::vec(op(), 1..100)) {
        let start = Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap();
        let mut c = Curriculum::for_new_course(PATH, ACCOUNT, RecordId(1), start);
        check_invariants(&c)?;
        for (step, op) in ops.iter().enumerate() {
            let now = start + chrono::Duration::seconds(i64::try_from(step).unwrap() + 1);
            let before = c.records();
            match run(&mut c, op, now) {
                Ok(()) => {
                    let after = c.records();
                    let d = diff(&before, &after);
                    prop_assert_eq!(replay(&before, &d), after.clone());
                    // Whatever changed other than its numbering was stamped now.
                    for r in &d.updated {
                        let old = before.iter().find(|b| b.id == r.id).unwrap();
                        let renumbered = CurriculumRecord { lft: old.lft, rgt: old.rgt, ..r.clone() };
                        prop_assert!(renumbered == *old || r.updated_on == now, "record {} changed unstamped", r.id);
                    }
                    prop_assert!(d.inserted.iter().all(|r| r.updated_on == now));
                }
                Err(_) => prop_assert_eq!(c.records(), before, "a refused {:?} changed the path", op),
            }
            check_invariants(&c)?;
        }
    }

    #[test]
    fn loading_any_consistent_numbering_round_trips(
        ops in proptest::collection::vec(op(), 1..30),
        gaps in proptest::collection::vec(0i32..3, 64),
    ) {
        let start = Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap();
        let mut c = Curriculum::for_new_course(PATH, ACCOUNT, RecordId(1), start);
        for op in &ops {
            let _ = run(&mut c, op, start);
        }
        // Stretch the numbering with gaps (keeping the order of bounds), then shuffle.
        let records = c.records();
        let mut shift = vec![0; records.len() * 2 + 2];
        for b in 1..shift.len() {
            shift[b] = shift[b - 1] + gaps[b % gaps.len()];
        }
        let mut stretched: Vec<CurriculumRecord> = records
            .iter()
            .map(|r| {
                let (l, g) = (usize::try_from(r.lft).unwrap(), usize::try_from(r.rgt).unwrap());
                CurriculumRecord { lft: r.lft + shift[l], rgt: r.rgt + shift[g], ..r.clone() }
            })
            .collect();
        stretched.reverse();
        let loaded = Curriculum::from_records(PATH, ACCOUNT, stretched).unwrap();
        prop_assert_eq!(loaded.records(), records);
    }
}
