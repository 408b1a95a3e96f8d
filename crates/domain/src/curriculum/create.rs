//! v2 Create: a section appended to the path, or an entry appended to its section.

use super::aggregate::{Curriculum, Loc, Section};
use super::error::{CurriculumError, CurriculumErrors};
use super::input::{Patch, RecordInput};
use super::record::{CourseRef, CurriculumRecord, entry_record, section_record};
use super::rules::{Kind, apply, check_name};
use crate::activity::ActivityKind;
use crate::ids::RecordId;
use chrono::{DateTime, Utc};

impl Curriculum {
    /// v2 Create: an entry when `input.course_id` has a value (then `course` is that activity
    /// as found in the tenant, `None` when it is not there), else a section.
    ///
    /// # Errors
    /// `CourseNotFound` when `course` is `None` for a `course_id`; otherwise as
    /// [`Self::create_entry`] and [`Self::create_section`].
    pub fn create(
        &mut self,
        id: RecordId,
        input: &RecordInput,
        course: Option<&CourseRef>,
        now: DateTime<Utc>,
    ) -> Result<CurriculumRecord, CurriculumErrors> {
        match (&input.course_id, course) {
            (Patch::Value(course_id), Some(course)) if *course_id == course.id => {
                self.create_entry(id, course, input, now)
            }
            (Patch::Value(course_id), _) => Err(CurriculumError::CourseNotFound(*course_id).into()),
            _ => self.create_section(id, input, now),
        }
    }

    /// The checks every v2 Create makes on ids and read-only attributes.
    fn check_create_ids(&self, id: RecordId, input: &RecordInput, errors: &mut Vec<CurriculumError>) {
        if self.locate(id).is_some() {
            errors.push(CurriculumError::IdInUse(id));
        }
        if let Patch::Value(path) = input.curriculum_id
            && path != self.curriculum_id
        {
            errors.push(CurriculumError::invalid(
                "curriculum_id",
                format!("{path} is not the path being changed ({})", self.curriculum_id),
            ));
        }
        let read_only = [
            ("id", input.id.value().is_some()),
            ("lft", input.lft.value().is_some()),
            ("rgt", input.rgt.value().is_some()),
            ("account_id", input.account_id.value().is_some()),
            ("updated_by", input.updated_by.value().is_some()),
            ("updated_on", input.updated_on.value().is_some()),
        ];
        for (attribute, sent) in read_only {
            if sent {
                errors.push(CurriculumError::ReadOnly { attribute });
            }
        }
    }

    /// v2 Create of a section, appended as the path's last section. `name` is required;
    /// `control_mode` defaults to `choice`, `initial_view` to `full`.
    ///
    /// # Errors
    /// Every problem found: a `parent_id` or `course_id` value, a read-only attribute, an
    /// attribute that does not apply to sections, an invalid value, `IdInUse`.
    pub fn create_section(
        &mut self,
        id: RecordId,
        input: &RecordInput,
        now: DateTime<Utc>,
    ) -> Result<CurriculumRecord, CurriculumErrors> {
        let mut errors = Vec::new();
        self.check_create_ids(id, input, &mut errors);
        if input.parent_id.value().is_some() {
            errors.push(CurriculumError::ParentWithoutCourse);
        }
        if input.course_id.value().is_some() {
            errors.push(CurriculumError::invalid("course_id", "must be empty for a section"));
        }
        if input.name.is_absent() {
            errors.push(CurriculumError::Blank { attribute: "name" });
        }
        let mut record = section_record(id, self.curriculum_id, self.account_id, now);
        apply(&mut record, input, Kind::Section, 0, None, &mut errors);
        if !errors.is_empty() {
            return Err(CurriculumErrors(errors));
        }
        self.sections.push(Section {
            record,
            entries: Vec::new(),
        });
        Ok(self.numbered(id)?)
    }

    /// v2 Create of an entry for `course`, appended as the last entry of the section
    /// `input.parent_id`. `name` defaults to the activity's name.
    ///
    /// # Errors
    /// Every problem found: `parent_id` blank or not a section of this path, `ContainsItself`,
    /// `CourseIsPath`, `DuplicateActivity`, a read-only attribute, an attribute that does not apply to this
    /// entry, an invalid value, `IdInUse`.
    pub fn create_entry(
        &mut self,
        id: RecordId,
        course: &CourseRef,
        input: &RecordInput,
        now: DateTime<Utc>,
    ) -> Result<CurriculumRecord, CurriculumErrors> {
        let mut errors = Vec::new();
        self.check_create_ids(id, input, &mut errors);
        if let Patch::Value(sent) = input.course_id
            && sent != course.id
        {
            errors.push(CurriculumError::invalid(
                "course_id",
                format!("{sent} is not the activity being added ({})", course.id),
            ));
        }
        if course.id == self.curriculum_id {
            errors.push(CurriculumError::ContainsItself(course.id));
        } else if course.kind == ActivityKind::Course {
            errors.push(CurriculumError::CourseIsPath(course.id));
        } else if self.contains(course.id) {
            errors.push(CurriculumError::DuplicateActivity(course.id));
        }
        let section = match input.parent_id {
            Patch::Value(parent) => match self.locate(parent) {
                Some(Loc::Section(si)) => Some(si),
                Some(Loc::Entry(..)) => {
                    errors.push(CurriculumError::ParentNotSection(parent));
                    None
                }
                None => {
                    errors.push(CurriculumError::ParentNotFound(parent));
                    None
                }
            },
            _ => {
                errors.push(CurriculumError::Blank { attribute: "parent_id" });
                None
            }
        };
        let parent = section.map_or(RecordId(0), |si| self.sections[si].record.id);
        let mut record = entry_record(id, parent, course, self.curriculum_id, self.account_id, now);
        if input.name.value().is_none() {
            check_name(&course.name, &mut errors);
        }
        let kind = Kind::Entry(course.id, course.kind);
        apply(&mut record, input, kind, 0, Some(&course.name), &mut errors);
        match section {
            Some(si) if errors.is_empty() => {
                self.sections[si].entries.push(record);
                Ok(self.numbered(id)?)
            }
            _ => Err(CurriculumErrors(errors)),
        }
    }
}
