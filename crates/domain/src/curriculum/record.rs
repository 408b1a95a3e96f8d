//! The flat record (one row of a curriculum, as stored and as the v2 API shows it), the
//! section settings' value types, and the only constructors of new records: a leaf every other
//! file of the aggregate imports.

use crate::activity::ActivityKind;
use crate::ids::{ActivityId, RecordId, TenantId};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// How a section is completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ControlMode {
    /// Complete in order.
    Flow,
    /// Complete in any order (the default).
    Choice,
    /// Optional section.
    Optional,
}

/// Whether a section starts collapsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InitialView {
    /// Displayed collapsed.
    Collapsed,
    /// Displayed in full (the default).
    Full,
}

/// One row of a curriculum as the v2 API shows it: a section (`course_id` empty) or an entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurriculumRecord {
    /// Record id.
    pub id: RecordId,
    /// The path (course activity) the record belongs to.
    pub curriculum_id: ActivityId,
    /// The tenant.
    pub account_id: TenantId,
    /// For an entry, its section; `None` for a section.
    pub parent_id: Option<RecordId>,
    /// For an entry, the activity it references; `None` for a section.
    pub course_id: Option<ActivityId>,
    /// For an entry, the kind of the referenced activity (not stored on the row).
    pub course_kind: Option<ActivityKind>,
    /// Displayed name.
    pub name: String,
    /// Nested-set left bound.
    pub lft: i32,
    /// Nested-set right bound.
    pub rgt: i32,
    /// Admin user who last changed it through the UI; `None` for API writes.
    pub updated_by: Option<i64>,
    /// Last write.
    pub updated_on: DateTime<Utc>,
    /// Unused by the product, stored as given.
    pub due_days: Option<i32>,
    /// Entry of a SCORM activity: counts towards the path score (1) or not (null).
    pub weight: Option<i32>,
    /// Entry of a SCORM activity: passing it exempts from the rest of the path.
    pub exempt_if_mastered: Option<bool>,
    /// Section: description shown to students.
    pub description: Option<String>,
    /// Section: students may enroll only after this date.
    pub lock_until: Option<NaiveDate>,
    /// Internal code.
    pub code: Option<String>,
    /// Section: collapsed or full.
    pub initial_view: Option<InitialView>,
    /// Entry: required when its section's mode is specified.
    pub required_for_specified_control_mode: Option<bool>,
    /// Entry of a SCORM activity: launch directly into content.
    pub skip_interstitial_page: Option<bool>,
    /// Section: how it is completed.
    pub control_mode: Option<ControlMode>,
    /// Section in `choice` mode: how many entries must be completed.
    pub completions_min: Option<i32>,
    /// Entry of a SCORM activity: max attempts (0 = none).
    pub attempts_max: Option<i32>,
}

impl CurriculumRecord {
    /// Whether `self` and `other` are the same but for their nested-set bounds (a record a
    /// renumbering moved). Every field is named, so a new one cannot be forgotten here.
    pub fn eq_except_bounds(&self, other: &Self) -> bool {
        let Self {
            id,
            curriculum_id,
            account_id,
            parent_id,
            course_id,
            course_kind,
            name,
            lft: _,
            rgt: _,
            updated_by,
            updated_on,
            due_days,
            weight,
            exempt_if_mastered,
            description,
            lock_until,
            code,
            initial_view,
            required_for_specified_control_mode,
            skip_interstitial_page,
            control_mode,
            completions_min,
            attempts_max,
        } = self;
        *id == other.id
            && *curriculum_id == other.curriculum_id
            && *account_id == other.account_id
            && *parent_id == other.parent_id
            && *course_id == other.course_id
            && *course_kind == other.course_kind
            && *name == other.name
            && *updated_by == other.updated_by
            && *updated_on == other.updated_on
            && *due_days == other.due_days
            && *weight == other.weight
            && *exempt_if_mastered == other.exempt_if_mastered
            && *description == other.description
            && *lock_until == other.lock_until
            && *code == other.code
            && *initial_view == other.initial_view
            && *required_for_specified_control_mode == other.required_for_specified_control_mode
            && *skip_interstitial_page == other.skip_interstitial_page
            && *control_mode == other.control_mode
            && *completions_min == other.completions_min
            && *attempts_max == other.attempts_max
    }
}

/// Name of the section every new course starts with.
pub const DEFAULT_SECTION_NAME: &str = "Section 1";

/// The activity a new entry references, as the adapter found it in the tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourseRef {
    /// The activity (`course_id`).
    pub id: ActivityId,
    /// Whether it is a SCORM package or a path.
    pub kind: ActivityKind,
    /// Its name: the entry's name unless the request gives one.
    pub name: String,
}

/// A record with no attribute set.
pub(super) fn blank_record(
    id: RecordId,
    curriculum_id: ActivityId,
    account_id: TenantId,
    now: DateTime<Utc>,
) -> CurriculumRecord {
    CurriculumRecord {
        id,
        curriculum_id,
        account_id,
        parent_id: None,
        course_id: None,
        course_kind: None,
        name: String::new(),
        lft: 0,
        rgt: 0,
        updated_by: None,
        updated_on: now,
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

/// A new section with the defaults: `choice`, shown in full.
pub(super) fn section_record(
    id: RecordId,
    curriculum_id: ActivityId,
    account_id: TenantId,
    now: DateTime<Utc>,
) -> CurriculumRecord {
    CurriculumRecord {
        initial_view: Some(InitialView::Full),
        control_mode: Some(ControlMode::Choice),
        ..blank_record(id, curriculum_id, account_id, now)
    }
}

/// A new entry with the defaults: not required, and for SCORM no attempt limit (0).
pub(super) fn entry_record(
    id: RecordId,
    section: RecordId,
    course: &CourseRef,
    curriculum_id: ActivityId,
    account_id: TenantId,
    now: DateTime<Utc>,
) -> CurriculumRecord {
    CurriculumRecord {
        parent_id: Some(section),
        course_id: Some(course.id),
        course_kind: Some(course.kind),
        name: course.name.clone(),
        required_for_specified_control_mode: Some(false),
        attempts_max: (course.kind == ActivityKind::Scorm).then_some(0),
        ..blank_record(id, curriculum_id, account_id, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn entry() -> CurriculumRecord {
        let now = Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap();
        let course = CourseRef {
            id: ActivityId(2),
            kind: ActivityKind::Scorm,
            name: "Activity 2".to_owned(),
        };
        CurriculumRecord {
            lft: 2,
            rgt: 3,
            ..entry_record(RecordId(11), RecordId(10), &course, ActivityId(1), TenantId(9), now)
        }
    }

    #[test]
    fn new_records_get_their_kinds_defaults() {
        let now = Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap();
        let section = section_record(RecordId(10), ActivityId(1), TenantId(9), now);
        assert_eq!((section.parent_id, section.course_id), (None, None));
        assert_eq!(section.control_mode, Some(ControlMode::Choice));
        assert_eq!(section.initial_view, Some(InitialView::Full));
        assert_eq!(section.attempts_max, None);
        let entry = entry();
        assert_eq!(
            (entry.parent_id, entry.course_id),
            (Some(RecordId(10)), Some(ActivityId(2)))
        );
        assert_eq!(
            (entry.name.as_str(), entry.course_kind),
            ("Activity 2", Some(ActivityKind::Scorm))
        );
        assert_eq!(entry.required_for_specified_control_mode, Some(false));
        assert_eq!(entry.attempts_max, Some(0));
        assert_eq!((entry.control_mode, entry.initial_view), (None, None));
        let path = CourseRef {
            id: ActivityId(3),
            kind: ActivityKind::Course,
            name: "Path 3".to_owned(),
        };
        let path_entry = entry_record(RecordId(12), RecordId(10), &path, ActivityId(1), TenantId(9), now);
        assert_eq!(path_entry.attempts_max, None, "no attempt limit on a path entry");
    }

    #[test]
    fn only_the_bounds_may_differ_for_eq_except_bounds() {
        let record = entry();
        let renumbered = CurriculumRecord {
            lft: 40,
            rgt: 41,
            ..record.clone()
        };
        assert!(record.eq_except_bounds(&renumbered));
        let edits: [fn(&mut CurriculumRecord); 8] = [
            |r| r.name.push('!'),
            |r| r.parent_id = Some(RecordId(20)),
            |r| r.updated_on += chrono::Duration::milliseconds(1),
            |r| r.updated_by = Some(7),
            |r| r.weight = Some(1),
            |r| r.code = Some("X".to_owned()),
            |r| r.attempts_max = Some(3),
            |r| r.course_kind = Some(ActivityKind::Course),
        ];
        for (i, edit) in edits.into_iter().enumerate() {
            let mut changed = renumbered.clone();
            edit(&mut changed);
            assert!(!record.eq_except_bounds(&changed), "edit {i} went unnoticed");
        }
    }
}
