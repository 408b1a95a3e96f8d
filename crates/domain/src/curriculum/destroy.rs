//! v2 Destroy: an entry, or a section with its entries.

use super::aggregate::{Curriculum, Loc};
use super::error::{CurriculumError, CurriculumErrors};
use super::rules::is_non_optional;
use crate::ids::RecordId;
use chrono::{DateTime, Utc};

impl Curriculum {
    /// v2 Destroy: removes the record `id`; a section goes with its entries. Returns the ids
    /// removed. A section an entry leaves has a larger `completions_min` lowered.
    ///
    /// # Errors
    /// `RecordNotFound` when `id` is not in this path (a 404); `LastNonOptionalSection` for the
    /// path's last non-optional section.
    pub fn destroy(&mut self, id: RecordId, now: DateTime<Utc>) -> Result<Vec<RecordId>, CurriculumErrors> {
        match self.locate(id).ok_or(CurriculumError::RecordNotFound(id))? {
            Loc::Section(si) => {
                if is_non_optional(&self.sections[si].record) && self.non_optional_count() == 1 {
                    return Err(CurriculumError::LastNonOptionalSection(id).into());
                }
                let section = self.sections.remove(si);
                Ok(std::iter::once(id)
                    .chain(section.entries.iter().map(|e| e.id))
                    .collect())
            }
            Loc::Entry(si, ei) => {
                self.sections[si].entries.remove(ei);
                self.sections[si].clamp_completions_min(now);
                Ok(vec![id])
            }
        }
    }
}
