//! The curriculum of a path (every `course` activity): ordered sections holding ordered
//! activity entries, numbered as an awesome_nested_set (`lft`/`rgt`).
//!
//! This module is pure: the adapters load a [`Curriculum`] (locked), apply one of its
//! operations and persist the difference between [`Curriculum::records`] before and after.

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

/// Name of the section every new course starts with.
pub const DEFAULT_SECTION_NAME: &str = "Section 1";

/// Why a curriculum operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CurriculumError {
    /// The activity is already an entry of this path.
    #[error("course_id {0} is already in this path")]
    DuplicateActivity(ActivityId),
    /// A path cannot contain itself.
    #[error("course_id {0} is this path itself; an activity cannot contain itself")]
    ContainsItself(ActivityId),
    /// The path has no section to append to.
    #[error("path {0} has no section")]
    NoSection(ActivityId),
}

/// Stored records that do not form a valid curriculum.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("curriculum {curriculum} is corrupt: {problem}")]
pub struct CorruptCurriculum {
    /// The path.
    pub curriculum: ActivityId,
    /// What is wrong.
    pub problem: String,
}

/// A section with its entries, in order.
#[derive(Debug, Clone, PartialEq)]
struct Section {
    record: CurriculumRecord,
    entries: Vec<CurriculumRecord>,
}

/// The sections and entries of one path.
#[derive(Debug, Clone, PartialEq)]
pub struct Curriculum {
    curriculum_id: ActivityId,
    account_id: TenantId,
    sections: Vec<Section>,
}

impl Curriculum {
    /// The curriculum of a new course: one section, `choice` mode (so the path has a
    /// non-optional section from birth), shown in full.
    pub fn for_new_course(curriculum_id: ActivityId, account_id: TenantId, section_id: RecordId, now: DateTime<Utc>) -> Self {
        let record = CurriculumRecord {
            id: section_id,
            curriculum_id,
            account_id,
            parent_id: None,
            course_id: None,
            course_kind: None,
            name: DEFAULT_SECTION_NAME.to_owned(),
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
            initial_view: Some(InitialView::Full),
            required_for_specified_control_mode: None,
            skip_interstitial_page: None,
            control_mode: Some(ControlMode::Choice),
            completions_min: None,
            attempts_max: None,
        };
        Self {
            curriculum_id,
            account_id,
            sections: vec![Section {
                record,
                entries: Vec::new(),
            }],
        }
    }

    /// Rebuilds a curriculum from its stored records, in `lft` order.
    ///
    /// # Errors
    /// When a record belongs to another path, an entry's section is missing, or a record is
    /// neither a section nor an entry.
    pub fn from_records(
        curriculum_id: ActivityId,
        account_id: TenantId,
        mut records: Vec<CurriculumRecord>,
    ) -> Result<Self, CorruptCurriculum> {
        let corrupt = |problem: String| CorruptCurriculum {
            curriculum: curriculum_id,
            problem,
        };
        records.sort_by_key(|r| (r.lft, r.id));
        let mut sections: Vec<Section> = Vec::new();
        let mut entries = Vec::new();
        for record in records {
            if record.curriculum_id != curriculum_id {
                return Err(corrupt(format!("record {} belongs to path {}", record.id, record.curriculum_id)));
            }
            match (record.parent_id, record.course_id) {
                (None, None) => sections.push(Section {
                    record,
                    entries: Vec::new(),
                }),
                (Some(_), Some(_)) => entries.push(record),
                _ => return Err(corrupt(format!("record {} is neither a section nor an entry", record.id))),
            }
        }
        for entry in entries {
            let parent = entry.parent_id.unwrap_or(entry.id);
            let section = sections
                .iter_mut()
                .find(|s| s.record.id == parent)
                .ok_or_else(|| corrupt(format!("entry {} names missing section {parent}", entry.id)))?;
            section.entries.push(entry);
        }
        Ok(Self {
            curriculum_id,
            account_id,
            sections,
        })
    }

    /// The path's id.
    pub fn curriculum_id(&self) -> ActivityId {
        self.curriculum_id
    }

    /// Every record, sections in order each followed by its entries, numbered like
    /// awesome_nested_set: `S1 1..6 {a 2..3, b 4..5}, S2 7..8`.
    pub fn records(&self) -> Vec<CurriculumRecord> {
        let mut out = Vec::new();
        let mut next = 1;
        for section in &self.sections {
            let mut record = section.record.clone();
            record.lft = next;
            next += 1;
            let at = out.len();
            out.push(record);
            for entry in &section.entries {
                let mut entry = entry.clone();
                entry.parent_id = Some(section.record.id);
                entry.lft = next;
                entry.rgt = next + 1;
                next += 2;
                out.push(entry);
            }
            out[at].rgt = next;
            next += 1;
        }
        out
    }

    /// Whether `course_id` is an entry of this path.
    pub fn contains(&self, course_id: ActivityId) -> bool {
        self.sections.iter().flat_map(|s| &s.entries).any(|e| e.course_id == Some(course_id))
    }

    /// Appends `course_id` as the last entry of the last section (the upload API's
    /// `parentActivityId`). A course may be placed in a course, but never itself, and an
    /// activity appears at most once in a path.
    ///
    /// # Errors
    /// `ContainsItself`, `DuplicateActivity`, or `NoSection` for a path without sections.
    pub fn append_to_last_section(
        &mut self,
        entry_id: RecordId,
        course_id: ActivityId,
        course_kind: ActivityKind,
        name: String,
        now: DateTime<Utc>,
    ) -> Result<CurriculumRecord, CurriculumError> {
        if course_id == self.curriculum_id {
            return Err(CurriculumError::ContainsItself(course_id));
        }
        if self.contains(course_id) {
            return Err(CurriculumError::DuplicateActivity(course_id));
        }
        let (curriculum_id, account_id) = (self.curriculum_id, self.account_id);
        let section = self.sections.last_mut().ok_or(CurriculumError::NoSection(curriculum_id))?;
        section.entries.push(CurriculumRecord {
            id: entry_id,
            curriculum_id,
            account_id,
            parent_id: Some(section.record.id),
            course_id: Some(course_id),
            course_kind: Some(course_kind),
            name,
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
            required_for_specified_control_mode: Some(false),
            skip_interstitial_page: None,
            control_mode: None,
            completions_min: None,
            attempts_max: None,
        });
        let records = self.records();
        Ok(records.into_iter().find(|r| r.id == entry_id).expect("the entry was just added"))
    }
}

/// Whether placing `child` in the path `parent` would close a cycle, given which courses each
/// path contains (`contains(path)` lists the course entries of `path`).
pub fn would_create_cycle(parent: ActivityId, child: ActivityId, contains: impl Fn(ActivityId) -> Vec<ActivityId>) -> bool {
    let mut stack = vec![child];
    let mut seen = std::collections::HashSet::new();
    while let Some(path) = stack.pop() {
        if path == parent {
            return true;
        }
        if seen.insert(path) {
            stack.extend(contains(path));
        }
    }
    false
}

/// Rows to write so that stored records `before` become `after`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CurriculumDiff {
    /// New records.
    pub inserted: Vec<CurriculumRecord>,
    /// Changed records (full new values).
    pub updated: Vec<CurriculumRecord>,
    /// Removed record ids.
    pub deleted: Vec<RecordId>,
}

/// The difference between two numbered record lists of one path.
pub fn diff(before: &[CurriculumRecord], after: &[CurriculumRecord]) -> CurriculumDiff {
    let mut out = CurriculumDiff::default();
    for record in after {
        match before.iter().find(|b| b.id == record.id) {
            None => out.inserted.push(record.clone()),
            Some(old) if old != record => out.updated.push(record.clone()),
            Some(_) => {}
        }
    }
    out.deleted = before.iter().filter(|b| !after.iter().any(|a| a.id == b.id)).map(|b| b.id).collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap()
    }

    #[test]
    fn a_new_course_has_one_choice_section() {
        let c = Curriculum::for_new_course(ActivityId(1), TenantId(9), RecordId(10), now());
        let records = c.records();
        assert_eq!(records.len(), 1);
        assert_eq!((records[0].lft, records[0].rgt), (1, 2));
        assert_eq!(records[0].control_mode, Some(ControlMode::Choice));
        assert_eq!(records[0].name, DEFAULT_SECTION_NAME);
    }

    #[test]
    fn numbering_is_awesome_nested_set() {
        let mut c = Curriculum::for_new_course(ActivityId(1), TenantId(9), RecordId(10), now());
        c.append_to_last_section(RecordId(11), ActivityId(2), ActivityKind::Scorm, "a".into(), now()).unwrap();
        c.append_to_last_section(RecordId(12), ActivityId(3), ActivityKind::Course, "b".into(), now()).unwrap();
        let mut second = Curriculum::for_new_course(ActivityId(1), TenantId(9), RecordId(20), now()).sections.remove(0);
        second.record.name = "S2".into();
        c.sections.push(second);
        let bounds: Vec<_> = c.records().iter().map(|r| (r.id.0, r.lft, r.rgt)).collect();
        assert_eq!(bounds, vec![(10, 1, 6), (11, 2, 3), (12, 4, 5), (20, 7, 8)]);
        // Appending goes to the last section.
        let e = c.append_to_last_section(RecordId(13), ActivityId(4), ActivityKind::Scorm, "c".into(), now()).unwrap();
        assert_eq!((e.parent_id, e.lft, e.rgt), (Some(RecordId(20)), 8, 9));
        let round = Curriculum::from_records(ActivityId(1), TenantId(9), c.records()).unwrap();
        assert_eq!(round.records(), c.records());
    }

    #[test]
    fn an_activity_appears_once_and_never_inside_itself() {
        let mut c = Curriculum::for_new_course(ActivityId(1), TenantId(9), RecordId(10), now());
        c.append_to_last_section(RecordId(11), ActivityId(2), ActivityKind::Scorm, "a".into(), now()).unwrap();
        let before = c.records();
        assert_eq!(
            c.append_to_last_section(RecordId(12), ActivityId(2), ActivityKind::Scorm, "a".into(), now()),
            Err(CurriculumError::DuplicateActivity(ActivityId(2)))
        );
        assert_eq!(
            c.append_to_last_section(RecordId(12), ActivityId(1), ActivityKind::Course, "self".into(), now()),
            Err(CurriculumError::ContainsItself(ActivityId(1)))
        );
        assert_eq!(c.records(), before, "a refused operation changes nothing");
    }

    #[test]
    fn cycles_are_detected() {
        // 1 contains 2, 2 contains 3.
        let contains = |p: ActivityId| match p.0 {
            1 => vec![ActivityId(2)],
            2 => vec![ActivityId(3)],
            _ => vec![],
        };
        assert!(would_create_cycle(ActivityId(3), ActivityId(1), contains));
        assert!(would_create_cycle(ActivityId(1), ActivityId(1), contains));
        assert!(!would_create_cycle(ActivityId(1), ActivityId(4), contains));
        assert!(!would_create_cycle(ActivityId(3), ActivityId(4), contains));
    }

    #[test]
    fn diffs_name_what_changed() {
        let mut c = Curriculum::for_new_course(ActivityId(1), TenantId(9), RecordId(10), now());
        let before = c.records();
        c.append_to_last_section(RecordId(11), ActivityId(2), ActivityKind::Scorm, "a".into(), now()).unwrap();
        let d = diff(&before, &c.records());
        assert_eq!(d.inserted.len(), 1);
        assert_eq!(d.updated.len(), 1, "the section's rgt grew");
        assert!(d.deleted.is_empty());
    }
}
