//! Property tests over random small paths and learners: completing an entry never makes a path
//! less complete; an exempt entry never blocks; a completed path stays completed whatever later
//! changes to the path; numbering and ids never matter, only order.

use super::fixtures::{EntrySpec, Numbering, SectionSpec, learner, learner_numbered, path, path_numbered, today};
use super::model::{ActivityEnrollment, EntryState, PathProgress};
use super::rules::path_progress;
use crate::curriculum::ControlMode;
use crate::learner::{EnrollmentStatus, Success};
use chrono::{Days, NaiveDate};
use proptest::prelude::*;

fn mode() -> impl Strategy<Value = Option<ControlMode>> {
    prop_oneof![
        Just(Some(ControlMode::Flow)),
        Just(Some(ControlMode::Choice)),
        Just(Some(ControlMode::Optional)),
        Just(None),
    ]
}

fn lock() -> impl Strategy<Value = Option<NaiveDate>> {
    prop_oneof![
        3 => Just(None),
        1 => (-3_i64..4).prop_map(|d| today().checked_add_signed(chrono::Duration::days(d))),
    ]
}

/// An entry without its activity number (given by position).
fn entry() -> impl Strategy<Value = EntrySpec> {
    (
        prop::option::of(Just(1)),
        prop::sample::select(vec![None, Some(false), Some(true)]),
        prop::sample::select(vec![None, Some(false), Some(true)]),
        prop::option::of(0_i32..3),
        0_u8..4,
    )
        .prop_map(|(weight, exempt, required, attempts_max, n)| EntrySpec {
            name: format!("Entry {n}"),
            course: 0,
            weight,
            // Rarely, so that most paths are not exempted at once.
            exempt_if_mastered: exempt.filter(|x| !*x || n == 0),
            required,
            attempts_max,
        })
}

fn section() -> impl Strategy<Value = SectionSpec> {
    (
        mode(),
        prop::option::of(1_i32..4),
        lock(),
        prop::collection::vec(entry(), 0..4),
        0_u8..3,
    )
        .prop_map(|(mode, min, lock_until, entries, n)| {
            let count = i32::try_from(entries.len()).unwrap_or(0);
            SectionSpec {
                name: format!("Section {n}"),
                mode,
                completions_min: min.filter(|n| *n <= count && mode.is_none_or(|m| m == ControlMode::Choice)),
                lock_until,
                entries,
            }
        })
}

/// Sections with their entries' activities numbered 0, 1, … in order.
fn spec() -> impl Strategy<Value = Vec<SectionSpec>> {
    prop::collection::vec(section(), 1..4).prop_map(|mut sections| {
        for (c, e) in (0..).zip(sections.iter_mut().flat_map(|s| &mut s.entries)) {
            e.course = c;
        }
        sections
    })
}

fn enrollment() -> impl Strategy<Value = ActivityEnrollment> {
    (
        prop::sample::select(EnrollmentStatus::ALL.to_vec()),
        prop::sample::select(Success::ALL.to_vec()),
        prop::option::of(0.0_f64..=100.0),
        0_u32..4,
        any::<bool>(),
    )
        .prop_map(
            |(status, success, score, attempts, attempt_running)| ActivityEnrollment {
                status,
                success,
                score,
                attempts,
                attempt_running: attempt_running && attempts > 0,
            },
        )
}

/// Enrollments for activities 0..12 (some absent: never launched).
fn outcomes() -> impl Strategy<Value = Vec<(i64, ActivityEnrollment)>> {
    prop::collection::vec(prop::option::of(enrollment()), 12).prop_map(|v| {
        v.into_iter()
            .enumerate()
            .filter_map(|(c, a)| Some((i64::try_from(c).ok()?, a?)))
            .collect()
    })
}

fn previous() -> impl Strategy<Value = EnrollmentStatus> {
    prop::sample::select(EnrollmentStatus::ALL.to_vec())
}

fn entry_count(spec: &[SectionSpec]) -> usize {
    spec.iter().map(|s| s.entries.len()).sum()
}

fn run(spec: &[SectionSpec], outcomes: &[(i64, ActivityEnrollment)], previous: EnrollmentStatus) -> PathProgress {
    path_progress(&path(spec), &learner(outcomes), previous, today())
}

/// `outcomes` with activity `c` completed (its other values kept).
fn complete(outcomes: &[(i64, ActivityEnrollment)], c: i64) -> Vec<(i64, ActivityEnrollment)> {
    let mut out: Vec<_> = outcomes.iter().filter(|(k, _)| *k != c).cloned().collect();
    let before = outcomes
        .iter()
        .find(|(k, _)| *k == c)
        .map(|(_, a)| a.clone())
        .unwrap_or_default();
    out.push((
        c,
        ActivityEnrollment {
            status: EnrollmentStatus::Completed,
            attempts: before.attempts.max(1),
            ..before
        },
    ));
    out
}

/// A change an admin may make to a path after a learner completed it.
#[derive(Debug, Clone)]
enum Change {
    AddEntry(usize, bool),
    AddSection(Option<ControlMode>),
    SetMode(usize, Option<ControlMode>),
    Lock(usize, u64),
    SetMin(usize, i32),
    ClearExemptions,
    Require(usize),
    RemoveEntry(usize),
    Reverse(usize),
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        (any::<usize>(), any::<bool>()).prop_map(|(s, w)| Change::AddEntry(s, w)),
        mode().prop_map(Change::AddSection),
        (any::<usize>(), mode()).prop_map(|(s, m)| Change::SetMode(s, m)),
        (any::<usize>(), 1_u64..400).prop_map(|(s, d)| Change::Lock(s, d)),
        (any::<usize>(), 1_i32..4).prop_map(|(s, n)| Change::SetMin(s, n)),
        Just(Change::ClearExemptions),
        any::<usize>().prop_map(Change::Require),
        any::<usize>().prop_map(Change::RemoveEntry),
        any::<usize>().prop_map(Change::Reverse),
    ]
}

fn apply(spec: &mut Vec<SectionSpec>, change: &Change, next_course: &mut i64) {
    let n = spec.len();
    match change {
        Change::AddEntry(s, weighted) => {
            let e = EntrySpec {
                name: format!("New {next_course}"),
                course: *next_course,
                weight: weighted.then_some(1),
                exempt_if_mastered: None,
                required: Some(true),
                attempts_max: Some(1),
            };
            *next_course += 1;
            spec[s % n].entries.push(e);
        }
        Change::AddSection(mode) => spec.push(SectionSpec {
            name: "Added".to_owned(),
            mode: *mode,
            completions_min: None,
            lock_until: None,
            entries: Vec::new(),
        }),
        Change::SetMode(s, mode) => {
            let s = &mut spec[s % n];
            s.mode = *mode;
            s.completions_min = None;
        }
        Change::Lock(s, days) => spec[s % n].lock_until = today().checked_add_days(Days::new(*days)),
        Change::SetMin(s, min) => {
            let s = &mut spec[s % n];
            let count = i32::try_from(s.entries.len()).unwrap_or(0);
            s.mode = Some(ControlMode::Choice);
            s.completions_min = (count > 0).then(|| (*min).min(count));
        }
        Change::ClearExemptions => {
            for e in spec.iter_mut().flat_map(|s| &mut s.entries) {
                e.exempt_if_mastered = None;
            }
        }
        Change::Require(k) => {
            let count = entry_count(spec);
            if let Some(e) = spec.iter_mut().flat_map(|s| &mut s.entries).nth(k % count.max(1)) {
                e.required = Some(true);
            }
        }
        Change::RemoveEntry(k) => {
            let s = &mut spec[k % n];
            if !s.entries.is_empty() {
                let at = k % s.entries.len();
                s.entries.remove(at);
                s.completions_min = s
                    .completions_min
                    .filter(|m| usize::try_from(*m).is_ok_and(|m| m <= s.entries.len()));
            }
        }
        Change::Reverse(s) => spec[s % n].entries.reverse(),
    }
}

/// The progress with every id left out: what must not depend on numbering.
fn by_position(p: &PathProgress) -> String {
    let mut p = p.clone();
    for s in &mut p.sections {
        s.id = crate::ids::RecordId(0);
        for e in &mut s.entries {
            e.id = crate::ids::RecordId(0);
            e.course_id = crate::ids::ActivityId(0);
        }
    }
    format!("{p:?}")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn completing_an_entry_never_makes_a_path_less_complete(
        spec in spec(), outcomes in outcomes(), previous in previous(), pick in any::<usize>()
    ) {
        let count = entry_count(&spec);
        prop_assume!(count > 0);
        let c = i64::try_from(pick % count).unwrap();
        let before = run(&spec, &outcomes, previous);
        let after = run(&spec, &complete(&outcomes, c), previous);
        prop_assert!(after.status >= before.status);
        prop_assert!(after.completed || !before.completed);
        for (b, a) in before.sections.iter().zip(&after.sections) {
            prop_assert!(a.complete || !b.complete, "section {} became incomplete", b.name);
            prop_assert!(a.completed >= b.completed);
            prop_assert_eq!(a.required, b.required);
        }
        for (k, (eb, ea)) in before.entries().zip(after.entries()).enumerate() {
            prop_assert!(ea.state.is_done() || !eb.state.is_done(), "{} is no longer done", ea.name);
            if k != pick % count && eb.state != EntryState::Locked {
                prop_assert!(ea.state != EntryState::Locked, "completing another entry locked {}: {:?}", ea.name, ea.reason);
            }
        }
    }

    #[test]
    fn an_exempt_entry_never_blocks(
        spec in spec(), outcomes in outcomes(), previous in previous()
    ) {
        let p = run(&spec, &outcomes, previous);
        let exempt: Vec<i64> = p
            .entries()
            .zip(spec.iter().flat_map(|s| &s.entries))
            .filter(|(e, _)| e.state == EntryState::Exempt)
            .map(|(_, s)| s.course)
            .collect();
        if !exempt.is_empty() {
            prop_assert!(p.completed, "exempt entries complete the path");
        }
        if !exempt.is_empty() {
            for e in p.entries() {
                prop_assert!(
                    !e.reason.as_deref().is_some_and(|r| r.starts_with("complete '")),
                    "{} waits for an entry above it while the path is exempted", e.name
                );
            }
        }
        // An exempt entry counts exactly as a completed one.
        let mut all_done = outcomes.clone();
        for c in &exempt {
            all_done = complete(&all_done, *c);
        }
        let q = run(&spec, &all_done, previous);
        prop_assert_eq!(q.completed, p.completed);
        for (a, b) in p.sections.iter().zip(&q.sections) {
            prop_assert_eq!((a.complete, a.completed, a.required), (b.complete, b.completed, b.required));
            for (x, y) in a.entries.iter().zip(&b.entries) {
                if x.state != EntryState::Exempt {
                    prop_assert_eq!(x.state, y.state);
                }
            }
        }
    }

    #[test]
    fn a_completed_path_stays_completed_whatever_later_changes(
        spec in spec(), outcomes in outcomes(), previous in previous(),
        changes in prop::collection::vec(change(), 1..6)
    ) {
        let p = run(&spec, &outcomes, previous);
        prop_assume!(p.status == EnrollmentStatus::Completed);
        let mut stored = p.status;
        let mut spec = spec;
        let mut next_course = 100;
        for change in &changes {
            apply(&mut spec, change, &mut next_course);
            let q = run(&spec, &outcomes, stored);
            prop_assert_eq!(q.status, EnrollmentStatus::Completed, "after {:?}", change);
            stored = q.status;
        }
    }

    #[test]
    fn numbering_and_ids_never_matter_only_order(
        spec in spec(), outcomes in outcomes(), previous in previous(),
        id_base in -50_i64..5000, id_step in 1_i64..40, lft_base in -100_i32..100, lft_step in 1_i32..7,
        course_base in 2_i64..9000, course_step in 1_i64..13, descending in any::<bool>()
    ) {
        let numbering = Numbering {
            id_base: if descending { id_base + 1000 } else { id_base },
            id_step: if descending { -id_step } else { id_step },
            lft_base,
            lft_step,
            course_base,
            course_step,
        };
        let plain = run(&spec, &outcomes, previous);
        let renumbered = path_progress(
            &path_numbered(&spec, numbering),
            &learner_numbered(&outcomes, numbering),
            previous,
            today(),
        );
        prop_assert_eq!(by_position(&plain), by_position(&renumbered));
        for (e, spec_entry) in renumbered.entries().zip(spec.iter().flat_map(|s| &s.entries)) {
            prop_assert_eq!(e.course_id, numbering.course(spec_entry.course));
        }
    }
}
