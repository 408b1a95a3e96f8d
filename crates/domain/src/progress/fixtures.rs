//! Small paths and learners for the tests: a path is written as its sections and entries in
//! order, and numbered (ids, `lft`/`rgt`, activity ids) by a [`Numbering`].

use super::model::ActivityEnrollment;
use crate::activity::ActivityKind;
use crate::curriculum::{ControlMode, Curriculum, CurriculumRecord};
use crate::ids::{ActivityId, RecordId, TenantId};
use crate::learner::{EnrollmentStatus, Success};
use chrono::{NaiveDate, TimeZone, Utc};
use std::collections::HashMap;

pub(super) const PATH: ActivityId = ActivityId(1);
const ACCOUNT: TenantId = TenantId(9);

/// A section as written in a test.
#[derive(Debug, Clone)]
pub(super) struct SectionSpec {
    pub(super) name: String,
    pub(super) mode: Option<ControlMode>,
    pub(super) completions_min: Option<i32>,
    pub(super) lock_until: Option<NaiveDate>,
    pub(super) entries: Vec<EntrySpec>,
}

/// An entry as written in a test; `course` is the activity's number before numbering.
#[derive(Debug, Clone)]
pub(super) struct EntrySpec {
    pub(super) name: String,
    pub(super) course: i64,
    pub(super) weight: Option<i32>,
    pub(super) exempt_if_mastered: Option<bool>,
    pub(super) required: Option<bool>,
    pub(super) attempts_max: Option<i32>,
}

/// A section of `mode`.
pub(super) fn section(name: &str, mode: ControlMode, entries: Vec<EntrySpec>) -> SectionSpec {
    SectionSpec {
        name: name.to_owned(),
        mode: Some(mode),
        completions_min: None,
        lock_until: None,
        entries,
    }
}

/// An entry of the activity `course`, with the defaults of a new SCORM entry.
pub(super) fn entry(name: &str, course: i64) -> EntrySpec {
    EntrySpec {
        name: name.to_owned(),
        course,
        weight: None,
        exempt_if_mastered: None,
        required: Some(false),
        attempts_max: Some(0),
    }
}

impl SectionSpec {
    pub(super) fn min(mut self, n: i32) -> Self {
        self.completions_min = Some(n);
        self
    }

    pub(super) fn locked_until(mut self, date: NaiveDate) -> Self {
        self.lock_until = Some(date);
        self
    }
}

impl EntrySpec {
    pub(super) fn weighted(mut self) -> Self {
        self.weight = Some(1);
        self
    }

    pub(super) fn exempting(mut self) -> Self {
        self.exempt_if_mastered = Some(true);
        self
    }

    pub(super) fn required(mut self) -> Self {
        self.required = Some(true);
        self
    }

    pub(super) fn max(mut self, n: i32) -> Self {
        self.attempts_max = Some(n);
        self
    }
}

/// How a path is numbered: record ids, activity ids and `lft` as functions of position.
#[derive(Debug, Clone, Copy)]
pub(super) struct Numbering {
    /// Record id of the n-th record (sections and entries, in order).
    pub(super) id_base: i64,
    pub(super) id_step: i64,
    /// `lft` of the n-th bound: `lft_base + n * lft_step`.
    pub(super) lft_base: i32,
    pub(super) lft_step: i32,
    /// Activity id of the spec's activity c: `course_base + c * course_step`.
    pub(super) course_base: i64,
    pub(super) course_step: i64,
}

impl Numbering {
    /// Ids 100, 101, …, bounds 1, 2, …, activity c is c + 1000.
    pub(super) const PLAIN: Self = Self {
        id_base: 100,
        id_step: 1,
        lft_base: 1,
        lft_step: 1,
        course_base: 1000,
        course_step: 1,
    };

    pub(super) fn course(&self, c: i64) -> ActivityId {
        ActivityId(self.course_base + c * self.course_step)
    }

    pub(super) fn id(&self, n: i64) -> RecordId {
        RecordId(self.id_base + n * self.id_step)
    }
}

fn record(id: RecordId, name: &str) -> CurriculumRecord {
    CurriculumRecord {
        id,
        curriculum_id: PATH,
        account_id: ACCOUNT,
        parent_id: None,
        course_id: None,
        course_kind: None,
        name: name.to_owned(),
        lft: 0,
        rgt: 0,
        updated_by: None,
        updated_on: Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap(),
        due_days: None,
        weight: None,
        exempt_if_mastered: None,
        description: None,
        lock_until: None,
        code: None,
        initial_view: None,
        required_for_specified_control_mode: None,
        skip_interstitial_page: None,
        control_mode: None,
        completions_min: None,
        attempts_max: None,
    }
}

/// The stored rows of `spec` numbered by `numbering`, in reverse order (loading sorts them).
pub(super) fn records(spec: &[SectionSpec], numbering: Numbering) -> Vec<CurriculumRecord> {
    let mut out = Vec::new();
    let mut n = 0;
    let mut bound = 0;
    let mut next_bound = || {
        let b = numbering.lft_base + bound * numbering.lft_step;
        bound += 1;
        b
    };
    for s in spec {
        let section_id = numbering.id(n);
        n += 1;
        let mut row = record(section_id, &s.name);
        row.control_mode = s.mode;
        row.completions_min = s.completions_min;
        row.lock_until = s.lock_until;
        row.lft = next_bound();
        let at = out.len();
        out.push(row);
        for e in &s.entries {
            let mut row = record(numbering.id(n), &e.name);
            n += 1;
            row.parent_id = Some(section_id);
            row.course_id = Some(numbering.course(e.course));
            row.course_kind = Some(ActivityKind::Scorm);
            row.weight = e.weight;
            row.exempt_if_mastered = e.exempt_if_mastered;
            row.required_for_specified_control_mode = e.required;
            row.attempts_max = e.attempts_max;
            row.lft = next_bound();
            row.rgt = next_bound();
            out.push(row);
        }
        out[at].rgt = next_bound();
    }
    out.reverse();
    out
}

/// `spec` loaded as a curriculum.
pub(super) fn path_numbered(spec: &[SectionSpec], numbering: Numbering) -> Curriculum {
    Curriculum::from_records(PATH, ACCOUNT, records(spec, numbering)).expect("a consistent test path")
}

/// `spec` numbered plainly.
pub(super) fn path(spec: &[SectionSpec]) -> Curriculum {
    path_numbered(spec, Numbering::PLAIN)
}

/// The learner's enrollments, by spec activity number, under `numbering`.
pub(super) fn learner_numbered(
    outcomes: &[(i64, ActivityEnrollment)],
    numbering: Numbering,
) -> HashMap<ActivityId, ActivityEnrollment> {
    outcomes
        .iter()
        .map(|(c, a)| (numbering.course(*c), a.clone()))
        .collect()
}

/// The learner's enrollments, numbered plainly.
pub(super) fn learner(outcomes: &[(i64, ActivityEnrollment)]) -> HashMap<ActivityId, ActivityEnrollment> {
    learner_numbered(outcomes, Numbering::PLAIN)
}

/// A completed attempt, success unknown.
pub(super) fn completed() -> ActivityEnrollment {
    ActivityEnrollment {
        status: EnrollmentStatus::Completed,
        attempts: 1,
        ..ActivityEnrollment::default()
    }
}

/// A completed, passed attempt with `score`.
pub(super) fn passed(score: f64) -> ActivityEnrollment {
    ActivityEnrollment {
        success: Success::Passed,
        score: Some(score),
        ..completed()
    }
}

/// `attempts` ended attempts, completed and failed, with `score`.
pub(super) fn failed(score: f64, attempts: u32) -> ActivityEnrollment {
    ActivityEnrollment {
        success: Success::Failed,
        score: Some(score),
        attempts,
        ..completed()
    }
}

/// An attempt running, nothing completed.
pub(super) fn running() -> ActivityEnrollment {
    ActivityEnrollment {
        status: EnrollmentStatus::InProgress,
        attempts: 1,
        attempt_running: true,
        ..ActivityEnrollment::default()
    }
}

/// `attempts` ended attempts, not completed.
pub(super) fn tried(attempts: u32) -> ActivityEnrollment {
    ActivityEnrollment {
        status: EnrollmentStatus::InProgress,
        attempts,
        ..ActivityEnrollment::default()
    }
}

/// 2026-12-03, the day the tests run on.
pub(super) fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 3).unwrap()
}
