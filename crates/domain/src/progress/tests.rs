//! One test per rule, on small paths (`docs/CURRICULUM.md`, "Path progress").

use super::fixtures::{
    Numbering, SectionSpec, completed, entry, failed, learner, passed, path, running, section, today, tried,
};
use super::model::{ActivityEnrollment, EntryState, PathProgress};
use super::rules::{can_launch, path_progress};
use crate::curriculum::ControlMode::{Choice, Flow, Optional};
use crate::learner::{EnrollmentStatus, Success};
use chrono::NaiveDate;

fn progress(spec: &[SectionSpec], outcomes: &[(i64, ActivityEnrollment)]) -> PathProgress {
    path_progress(&path(spec), &learner(outcomes), EnrollmentStatus::NotStarted, today())
}

/// The states of every entry, section by section.
fn states(p: &PathProgress) -> Vec<Vec<EntryState>> {
    p.sections
        .iter()
        .map(|s| s.entries.iter().map(|e| e.state).collect())
        .collect()
}

fn reason(p: &PathProgress, section: usize, entry: usize) -> Option<&str> {
    p.sections[section].entries[entry].reason.as_deref()
}

fn basics() -> Vec<SectionSpec> {
    vec![section(
        "Basics",
        Flow,
        vec![entry("Fire safety", 1), entry("First aid", 2), entry("Evacuation", 3)],
    )]
}

#[test]
fn a_flow_section_is_taken_in_order() {
    use EntryState::{Available, Completed, Locked};
    let p = progress(&basics(), &[]);
    assert_eq!(states(&p), [[Available, Locked, Locked]]);
    let why = "complete 'Fire safety' first: section 'Basics' is taken in order";
    assert_eq!(reason(&p, 0, 1), Some(why));
    assert_eq!(reason(&p, 0, 2), Some(why), "the first entry not done is named");
    let second = p.sections[0].entries[1].id;
    assert_eq!(can_launch(&p, second), Err(why.to_owned()));
    assert_eq!(can_launch(&p, p.sections[0].entries[0].id), Ok(()));

    let p = progress(&basics(), &[(1, completed())]);
    assert_eq!(states(&p), [[Completed, Available, Locked]]);
    assert_eq!(
        reason(&p, 0, 2),
        Some("complete 'First aid' first: section 'Basics' is taken in order")
    );
    assert_eq!((p.sections[0].required, p.sections[0].completed), (3, 1));
    assert!(!p.sections[0].complete);

    let p = progress(&basics(), &[(1, completed()), (2, completed()), (3, completed())]);
    assert!(p.sections[0].complete && p.completed);
}

#[test]
fn a_flow_entry_completed_out_of_order_stays_completed() {
    // Activity 3 was completed in another path that shares it.
    let p = progress(&basics(), &[(3, completed())]);
    assert_eq!(
        states(&p),
        [[EntryState::Available, EntryState::Locked, EntryState::Completed]]
    );
    assert_eq!(reason(&p, 0, 2), None, "a completed entry may be taken again");
    assert_eq!(p.sections[0].completed, 1);
}

#[test]
fn a_choice_section_needs_completions_min_of_its_entries() {
    let spec = |min: Option<i32>| {
        let s = section("Pick", Choice, vec![entry("A", 1), entry("B", 2)]);
        vec![match min {
            Some(n) => s.min(n),
            None => s,
        }]
    };
    let p = progress(&spec(Some(1)), &[]);
    assert_eq!(states(&p), [[EntryState::Available, EntryState::Available]]);
    assert_eq!(p.sections[0].required, 1);
    let p = progress(&spec(Some(1)), &[(2, completed())]);
    assert!(p.sections[0].complete && p.completed, "one of two is enough");
    assert_eq!(p.sections[0].entries[0].state, EntryState::Available);

    let p = progress(&spec(None), &[(2, completed())]);
    assert_eq!(p.sections[0].required, 2, "null is all of them");
    assert!(!p.sections[0].complete);
    let p = progress(&spec(None), &[(1, completed()), (2, completed())]);
    assert!(p.sections[0].complete);
}

#[test]
fn a_required_entry_of_a_choice_section_must_be_among_the_completed() {
    let spec = vec![
        section(
            "Pick",
            Choice,
            vec![entry("A", 1), entry("B", 2).required(), entry("C", 3)],
        )
        .min(1),
    ];
    let p = progress(&spec, &[(1, completed())]);
    assert!(!p.sections[0].complete, "B is required");
    assert_eq!(p.sections[0].required, 1);
    let p = progress(&spec, &[(2, completed())]);
    assert!(p.sections[0].complete);

    let two = vec![
        section(
            "Pick",
            Choice,
            vec![entry("A", 1).required(), entry("B", 2).required(), entry("C", 3)],
        )
        .min(1),
    ];
    let p = progress(&two, &[(1, completed())]);
    assert_eq!(
        p.sections[0].required, 2,
        "two required entries are needed whatever the minimum"
    );
    assert!(!p.sections[0].complete);
}

#[test]
fn the_flag_means_nothing_outside_choice() {
    let spec = vec![
        section("Flow", Flow, vec![entry("A", 1)]),
        section("Extra", Optional, vec![entry("B", 2).required()]),
    ];
    let p = progress(&spec, &[(1, completed())]);
    assert!(p.completed, "a required entry of an optional section is not needed");
}

#[test]
fn a_section_without_a_mode_is_choice() {
    let mut spec = vec![section("Pick", Choice, vec![entry("A", 1), entry("B", 2)]).min(1)];
    spec[0].mode = None;
    let p = progress(&spec, &[(2, completed())]);
    assert_eq!(states(&p), [[EntryState::Available, EntryState::Completed]]);
    assert!(p.completed);
}

#[test]
fn an_optional_section_is_never_needed() {
    let spec = vec![
        section("Core", Choice, vec![entry("A", 1)]),
        section("Extra", Optional, vec![entry("B", 2), entry("C", 3)]),
    ];
    let p = progress(&spec, &[(1, completed())]);
    assert!(p.completed);
    assert_eq!(p.status, EnrollmentStatus::Completed);
    let extra = &p.sections[1];
    assert_eq!((extra.required, extra.completed, extra.complete), (0, 0, false));
    assert_eq!(states(&p)[1], [EntryState::Available, EntryState::Available]);
    let p = progress(&spec, &[(1, completed()), (2, completed()), (3, completed())]);
    assert!(p.sections[1].complete, "complete once all its entries are");
}

#[test]
fn a_section_before_its_lock_until_date_is_locked() {
    let later = NaiveDate::from_ymd_opt(2027, 1, 15).unwrap();
    let spec = |date: NaiveDate| {
        vec![
            section("Now", Choice, vec![entry("A", 1)]),
            section("Later", Flow, vec![entry("B", 2), entry("C", 3)]).locked_until(date),
        ]
    };
    let p = progress(&spec(later), &[]);
    assert_eq!(
        states(&p),
        [
            vec![EntryState::Available],
            vec![EntryState::Locked, EntryState::Locked]
        ]
    );
    let why = "section 'Later' opens on 2027-01-15";
    assert_eq!(reason(&p, 1, 0), Some(why));
    assert_eq!(reason(&p, 1, 1), Some(why), "the date comes before the order");
    assert_eq!(can_launch(&p, p.sections[1].entries[0].id), Err(why.to_owned()));

    let on_the_day = path_progress(&path(&spec(later)), &learner(&[]), EnrollmentStatus::NotStarted, later);
    assert_eq!(
        on_the_day.sections[1].entries[0].state,
        EntryState::Available,
        "open on the date"
    );
    let moved = progress(&spec(today()), &[]);
    assert_eq!(moved.sections[1].entries[0].state, EntryState::Available);
    let past = progress(&spec(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()), &[]);
    assert_eq!(reason(&past, 1, 0), None);
}

#[test]
fn a_completed_entry_of_a_locked_section_stays_completed_but_is_not_launched() {
    let later = NaiveDate::from_ymd_opt(2027, 1, 15).unwrap();
    let spec = vec![section("Later", Choice, vec![entry("A", 1)]).locked_until(later)];
    let p = progress(&spec, &[(1, completed())]);
    assert_eq!(p.sections[0].entries[0].state, EntryState::Completed);
    assert!(p.completed, "what is completed counts");
    assert_eq!(
        can_launch(&p, p.sections[0].entries[0].id),
        Err("section 'Later' opens on 2027-01-15".to_owned())
    );
}

#[test]
fn sections_do_not_gate_each_other() {
    let spec = vec![
        section("First", Flow, vec![entry("A", 1)]),
        section("Second", Flow, vec![entry("B", 2)]),
    ];
    let p = progress(&spec, &[]);
    assert_eq!(states(&p), [[EntryState::Available], [EntryState::Available]]);
    let p = progress(&spec, &[(2, completed())]);
    assert!(p.sections[1].complete && !p.completed);
}

#[test]
fn the_path_is_completed_when_every_non_optional_section_is() {
    let spec = vec![
        section("One", Choice, vec![entry("A", 1)]),
        section("Empty", Flow, vec![]),
        section("Two", Flow, vec![entry("B", 2)]),
    ];
    let p = progress(&spec, &[(1, completed())]);
    assert!(p.sections[1].complete, "an empty section is complete");
    assert_eq!((p.completed, p.status), (false, EnrollmentStatus::InProgress));
    let p = progress(&spec, &[(1, completed()), (2, completed())]);
    assert_eq!((p.completed, p.status), (true, EnrollmentStatus::Completed));

    let empty = progress(&[section("Section 1", Choice, vec![])], &[]);
    assert!(empty.completed, "a path with nothing to do is completed");
}

#[test]
fn passing_an_exempt_if_mastered_entry_exempts_the_rest_and_completes_the_path() {
    let spec = vec![
        section(
            "Basics",
            Flow,
            vec![entry("Intro", 1), entry("Pre-test", 2).exempting(), entry("Drill", 3)],
        ),
        section("More", Choice, vec![entry("Deep dive", 4)]),
    ];
    use EntryState::{Available, Completed, Exempt, Locked};
    let p = progress(&spec, &[]);
    assert_eq!(states(&p), [vec![Available, Locked, Locked], vec![Available]]);

    // Passed in another path that shares the pre-test: the flow order does not matter then.
    let p = progress(&spec, &[(1, completed()), (2, passed(90.0))]);
    assert_eq!(states(&p), [vec![Completed, Completed, Exempt], vec![Exempt]]);
    assert!(p.completed);
    assert_eq!((p.sections[0].completed, p.sections[1].completed), (3, 1));
    assert_eq!(reason(&p, 0, 2), None, "an exempt entry may still be taken");

    let failing = progress(&spec, &[(2, failed(20.0, 1))]);
    assert!(!failing.completed, "only a pass exempts");
    let unknown = progress(&spec, &[(2, completed())]);
    assert!(!unknown.completed, "completion alone does not exempt");

    let incomplete_pass = ActivityEnrollment {
        status: EnrollmentStatus::InProgress,
        success: Success::Passed,
        attempts: 1,
        ..ActivityEnrollment::default()
    };
    let p = progress(&spec, &[(2, incomplete_pass)]);
    assert_eq!(
        p.sections[0].entries[1].state, Exempt,
        "passed but not completed: exempt itself"
    );
    assert!(p.completed);
}

#[test]
fn the_score_is_the_mean_of_the_weighted_entries_that_have_one() {
    let spec = vec![section(
        "Quiz",
        Choice,
        vec![
            entry("A", 1).weighted(),
            entry("B", 2).weighted(),
            entry("C", 3),
            entry("D", 4).weighted(),
        ],
    )];
    let p = progress(&spec, &[(1, passed(80.0)), (2, passed(60.0)), (3, passed(0.0))]);
    assert_eq!(p.score, Some(70.0), "C is not weighted, D has no score");
    let none = progress(&spec, &[(3, passed(50.0))]);
    assert_eq!(none.score, None);
    assert_eq!(
        none.sections[0].entries[2].score,
        Some(50.0),
        "each entry shows its own score"
    );
}

#[test]
fn the_path_passes_when_completed_and_every_weighted_entry_passed() {
    let spec = vec![section(
        "Quiz",
        Choice,
        vec![entry("A", 1).weighted(), entry("B", 2).weighted().max(2), entry("C", 3)],
    )];
    let p = progress(&spec, &[(1, passed(90.0)), (2, passed(70.0)), (3, completed())]);
    assert_eq!((p.status, p.success), (EnrollmentStatus::Completed, Success::Passed));

    let not_yet = progress(&spec, &[(1, passed(90.0)), (2, passed(70.0))]);
    assert_eq!(not_yet.success, Success::Unknown, "passed needs the path completed");

    let retry = progress(&spec, &[(1, passed(90.0)), (2, failed(40.0, 1)), (3, completed())]);
    assert_eq!(retry.success, Success::Unknown, "one attempt of two left");
    let over = progress(&spec, &[(1, passed(90.0)), (2, failed(40.0, 2)), (3, completed())]);
    assert_eq!(over.success, Success::Failed);
    let unweighted = vec![section("Quiz", Choice, vec![entry("A", 1).max(1)])];
    let p = progress(&unweighted, &[(1, failed(10.0, 1))]);
    assert_eq!(
        p.success,
        Success::Passed,
        "no weighted entry: completing the path passes it"
    );

    let unlimited = vec![section("Quiz", Choice, vec![entry("A", 1).weighted()])];
    let p = progress(&unlimited, &[(1, failed(10.0, 9))]);
    assert_eq!(p.success, Success::Unknown, "attempts_max 0: another attempt may pass");
}

#[test]
fn an_exempt_weighted_entry_does_not_keep_the_path_from_passing() {
    let spec = vec![section(
        "Quiz",
        Choice,
        vec![entry("Pre-test", 1).exempting(), entry("Exam", 2).weighted().max(1)],
    )];
    let p = progress(&spec, &[(1, passed(95.0))]);
    assert_eq!(p.sections[0].entries[1].state, EntryState::Exempt);
    assert_eq!(p.success, Success::Passed);
}

#[test]
fn attempts_max_bounds_the_launches() {
    let spec = vec![section(
        "Exam",
        Choice,
        vec![entry("Final", 1).max(1), entry("Free", 2)],
    )];
    let p = progress(&spec, &[(1, tried(1)), (2, tried(7))]);
    let final_exam = &p.sections[0].entries[0];
    assert_eq!(final_exam.state, EntryState::Locked);
    assert_eq!(final_exam.reason.as_deref(), Some("no attempt left: 1 of 1 used"));
    assert_eq!((final_exam.attempts, final_exam.attempts_max), (1, 1));
    assert_eq!(
        can_launch(&p, final_exam.id),
        Err("no attempt left: 1 of 1 used".to_owned())
    );
    assert_eq!(p.sections[0].entries[1].state, EntryState::InProgress, "0 is no limit");

    let resume = progress(&spec, &[(1, running())]);
    assert_eq!(resume.sections[0].entries[0].state, EntryState::InProgress);
    assert_eq!(
        can_launch(&resume, resume.sections[0].entries[0].id),
        Ok(()),
        "the running attempt resumes"
    );

    let done = progress(&spec, &[(1, failed(30.0, 1))]);
    let e = &done.sections[0].entries[0];
    assert_eq!(e.state, EntryState::Completed);
    assert_eq!(
        e.reason.as_deref(),
        Some("no attempt left: 1 of 1 used"),
        "no retake either"
    );
}

#[test]
fn an_entry_is_in_progress_once_started() {
    let spec = vec![section("S", Choice, vec![entry("A", 1), entry("B", 2), entry("C", 3)])];
    let launched_silently = ActivityEnrollment {
        attempts: 1,
        ..ActivityEnrollment::default()
    };
    let p = progress(&spec, &[(1, running()), (2, launched_silently)]);
    assert_eq!(
        states(&p),
        [[EntryState::InProgress, EntryState::InProgress, EntryState::Available]]
    );
    assert_eq!(p.status, EnrollmentStatus::InProgress);
    assert_eq!(progress(&spec, &[]).status, EnrollmentStatus::NotStarted);
}

#[test]
fn a_completed_path_stays_completed() {
    let spec = vec![section("S", Choice, vec![entry("A", 1), entry("B added later", 2)])];
    let p = path_progress(
        &path(&spec),
        &learner(&[(1, passed(80.0))]),
        EnrollmentStatus::Completed,
        today(),
    );
    assert_eq!(p.status, EnrollmentStatus::Completed);
    assert!(!p.completed, "the rules alone no longer complete it");
    assert_eq!(p.sections[0].entries[1].state, EntryState::Available);

    let p = path_progress(&path(&spec), &learner(&[]), EnrollmentStatus::InProgress, today());
    assert_eq!(p.status, EnrollmentStatus::InProgress, "the status never goes back");
}

#[test]
fn an_unknown_entry_can_not_be_launched() {
    let p = progress(&basics(), &[]);
    let missing = Numbering::PLAIN.id(99);
    assert_eq!(
        can_launch(&p, missing),
        Err(format!("entry_id {missing} is not an entry of this path"))
    );
}

#[test]
fn states_have_kebab_case_wire_names() {
    for state in EntryState::ALL {
        assert_eq!(
            serde_json::to_value(state).unwrap(),
            serde_json::Value::from(state.as_str())
        );
    }
    let p = progress(&basics(), &[(1, running())]);
    let json = serde_json::to_value(&p).unwrap();
    assert_eq!(json["status"], "in-progress");
    assert_eq!(json["sections"][0]["entries"][0]["state"], "in-progress");
    assert_eq!(json["sections"][0]["entries"][1]["state"], "locked");
    assert_eq!(json["sections"][0]["entries"][0]["course_id"], 1001);
}
