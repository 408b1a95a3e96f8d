//! v2 Update: the attributes a body sends, applied to one record.

use super::aggregate::{Curriculum, Loc};
use super::error::{CurriculumError, CurriculumErrors};
use super::input::RecordInput;
use super::record::CurriculumRecord;
use super::rules::{Kind, apply, check_unchanged, is_non_optional};
use crate::ids::RecordId;
use chrono::{DateTime, Utc};

impl Curriculum {
    /// v2 Update of the record `id`. Immutable attributes may be sent with their current
    /// value; `updated_on` becomes `now` only when something changed.
    ///
    /// # Errors
    /// `RecordNotFound` when `id` is not in this path (a 404); otherwise every problem found:
    /// a changed immutable attribute, a kind change, an attribute that does not apply, an
    /// invalid value, `LastNonOptionalSection` when the last non-optional section would become
    /// optional.
    pub fn update(
        &mut self,
        id: RecordId,
        input: &RecordInput,
        now: DateTime<Utc>,
    ) -> Result<CurriculumRecord, CurriculumErrors> {
        let loc = self.locate(id).ok_or(CurriculumError::RecordNotFound(id))?;
        let current = self.numbered(id)?;
        let mut errors = Vec::new();
        check_unchanged(&current, input, &mut errors);
        let kind = Kind::of(&current);
        let count = match loc {
            Loc::Section(si) => self.sections[si].entries.len(),
            Loc::Entry(..) => 0,
        };
        let mut record = current.clone();
        apply(&mut record, input, kind, count, None, &mut errors);
        if kind == Kind::Section
            && is_non_optional(&current)
            && !is_non_optional(&record)
            && self.non_optional_count() == 1
        {
            errors.push(CurriculumError::LastNonOptionalSection(id));
        }
        if !errors.is_empty() {
            return Err(CurriculumErrors(errors));
        }
        if record != current {
            record.updated_on = now;
            record.updated_by = None;
            match loc {
                Loc::Section(si) => self.sections[si].record = record,
                Loc::Entry(si, ei) => self.sections[si].entries[ei] = record,
            }
        }
        Ok(self.numbered(id)?)
    }
}
