//! v2 Update Position: a section among sections, an entry among entries or into an empty
//! section.

use super::aggregate::{Curriculum, Loc};
use super::error::{CurriculumError, CurriculumErrors};
use super::input::Orientation;
use crate::ids::RecordId;
use chrono::{DateTime, Utc};

impl Curriculum {
    /// v2 Update Position: a section above or below another section; an entry above or below
    /// another entry (of any section of this path) or inside an empty section. The moved
    /// record gets `updated_on = now` when its place changed; a section an entry leaves has a
    /// larger `completions_min` lowered to its new count.
    ///
    /// # Errors
    /// `RecordNotFound` when `id` is not in this path (a 404); `MoveOntoItself`,
    /// `TargetNotFound`, `SectionInside`, `SectionTargetNotSection`, `EntryTargetNotEntry`,
    /// `InsideEntry`, `InsideNonEmpty`.
    pub fn move_record(
        &mut self,
        id: RecordId,
        target: RecordId,
        orientation: Orientation,
        now: DateTime<Utc>,
    ) -> Result<(), CurriculumErrors> {
        let from = self.locate(id).ok_or(CurriculumError::RecordNotFound(id))?;
        if target == id {
            return Err(CurriculumError::MoveOntoItself.into());
        }
        let to = self.locate(target).ok_or(CurriculumError::TargetNotFound(target))?;
        let before = self.order();
        match (from, to, orientation) {
            (Loc::Section(_), _, Orientation::Inside) => return Err(CurriculumError::SectionInside.into()),
            (Loc::Section(_), Loc::Entry(..), _) => {
                return Err(CurriculumError::SectionTargetNotSection(target).into());
            }
            (Loc::Entry(..), Loc::Section(_), Orientation::Above | Orientation::Below) => {
                return Err(CurriculumError::EntryTargetNotEntry(target).into());
            }
            (Loc::Entry(..), Loc::Entry(..), Orientation::Inside) => {
                return Err(CurriculumError::InsideEntry(target).into());
            }
            (Loc::Entry(..), Loc::Section(ti), Orientation::Inside) if !self.sections[ti].entries.is_empty() => {
                return Err(CurriculumError::InsideNonEmpty {
                    target,
                    count: self.sections[ti].entries.len(),
                }
                .into());
            }
            (Loc::Section(si), Loc::Section(_), _) => {
                let section = self.sections.remove(si);
                let Some(Loc::Section(ti)) = self.locate(target) else {
                    unreachable!("the target section is still there")
                };
                let at = if orientation == Orientation::Above { ti } else { ti + 1 };
                self.sections.insert(at, section);
            }
            (Loc::Entry(si, ei), _, _) => {
                let mut entry = self.sections[si].entries.remove(ei);
                let (ti, at) = match self.locate(target) {
                    Some(Loc::Section(ti)) => (ti, 0),
                    Some(Loc::Entry(ti, te)) if orientation == Orientation::Above => (ti, te),
                    Some(Loc::Entry(ti, te)) => (ti, te + 1),
                    None => unreachable!("the target is still there"),
                };
                entry.parent_id = Some(self.sections[ti].record.id);
                self.sections[ti].entries.insert(at, entry);
                if ti != si {
                    self.sections[si].clamp_completions_min(now);
                }
            }
        }
        if self.order() != before {
            let record = match self.locate(id) {
                Some(Loc::Section(si)) => &mut self.sections[si].record,
                Some(Loc::Entry(si, ei)) => &mut self.sections[si].entries[ei],
                None => unreachable!("the moved record is still there"),
            };
            record.updated_on = now;
            record.updated_by = None;
        }
        Ok(())
    }
}
