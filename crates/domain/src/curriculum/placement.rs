//! The upload API's placement of an activity in a path (`parentActivityId`), and the cycle
//! check for placing a course in a course.

use super::aggregate::Curriculum;
use super::error::CurriculumError;
use super::record::{CourseRef, CurriculumRecord, entry_record};
use crate::activity::ActivityKind;
use crate::ids::{ActivityId, RecordId};
use chrono::{DateTime, Utc};
use std::collections::HashSet;

impl Curriculum {
    /// Appends `course_id` as the last entry of the last section (the upload API's
    /// `parentActivityId`). A course may be placed in a course, but never in itself, and an
    /// activity appears at most once in a path. Only the new entry gets `updated_on = now`.
    ///
    /// # Errors
    /// `ContainsItself`, `DuplicateActivity`, `IdInUse`, or `NoSection` for a path without
    /// sections.
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
        if self.locate(entry_id).is_some() {
            return Err(CurriculumError::IdInUse(entry_id));
        }
        let (curriculum_id, account_id) = (self.curriculum_id, self.account_id);
        let section = self
            .sections
            .last_mut()
            .ok_or(CurriculumError::NoSection(curriculum_id))?;
        let course = CourseRef {
            id: course_id,
            kind: course_kind,
            name,
        };
        let entry = entry_record(entry_id, section.record.id, &course, curriculum_id, account_id, now);
        section.entries.push(entry);
        self.numbered(entry_id)
    }
}

/// Whether placing `child` in the path `parent` would close a cycle, given which courses each
/// path contains (`contains(path)` lists the course entries of `path`): true when `parent` is
/// `child` or is reachable from `child`. A brand-new activity contains nothing, so placing it
/// can never close a cycle.
pub fn would_create_cycle(
    parent: ActivityId,
    child: ActivityId,
    contains: impl Fn(ActivityId) -> Vec<ActivityId>,
) -> bool {
    let mut stack = vec![child];
    let mut seen = HashSet::new();
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
