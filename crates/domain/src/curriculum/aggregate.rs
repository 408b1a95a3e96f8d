//! The aggregate: a path's sections, each holding its entries, and what every operation
//! looks up in it. The operations are in the sibling files, one per concern.

use super::record::{CurriculumRecord, DEFAULT_SECTION_NAME, section_record};
use super::rules::is_non_optional;
use crate::ids::{ActivityId, RecordId, TenantId};
use chrono::{DateTime, Utc};

/// A section with its entries, in order.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Section {
    pub(super) record: CurriculumRecord,
    pub(super) entries: Vec<CurriculumRecord>,
}

impl Section {
    /// Lowers a section's `completions_min` to its entry count (clears it when empty).
    pub(super) fn clamp_completions_min(&mut self, now: DateTime<Utc>) {
        let count = self.entries.len();
        if let Some(n) = self.record.completions_min
            && usize::try_from(n).unwrap_or(0) > count
        {
            self.record.completions_min = if count == 0 { None } else { i32::try_from(count).ok() };
            self.record.updated_on = now;
            self.record.updated_by = None;
        }
    }
}

/// Where a record is: section index, or section and entry index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Loc {
    Section(usize),
    Entry(usize, usize),
}

/// The sections and entries of one path.
#[derive(Debug, Clone, PartialEq)]
pub struct Curriculum {
    pub(super) curriculum_id: ActivityId,
    pub(super) account_id: TenantId,
    pub(super) sections: Vec<Section>,
}

impl Curriculum {
    /// The curriculum of a new course: one section named "Section 1", `choice` mode (so the
    /// path has a non-optional section from birth), shown in full.
    pub fn for_new_course(
        curriculum_id: ActivityId,
        account_id: TenantId,
        section_id: RecordId,
        now: DateTime<Utc>,
    ) -> Self {
        let record = CurriculumRecord {
            name: DEFAULT_SECTION_NAME.to_owned(),
            ..section_record(section_id, curriculum_id, account_id, now)
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

    /// The path's id.
    pub fn curriculum_id(&self) -> ActivityId {
        self.curriculum_id
    }

    /// The tenant.
    pub fn account_id(&self) -> TenantId {
        self.account_id
    }

    /// The section ids, in order.
    pub fn section_ids(&self) -> Vec<RecordId> {
        self.sections.iter().map(|s| s.record.id).collect()
    }

    /// The sections in order, each with its entries in order: what a reader of the path (its
    /// progress, `crate::progress`) walks. The entries' `lft`/`rgt` are as loaded, not renumbered.
    pub fn sections(&self) -> impl ExactSizeIterator<Item = (&CurriculumRecord, &[CurriculumRecord])> {
        self.sections.iter().map(|s| (&s.record, s.entries.as_slice()))
    }

    /// Whether `course_id` is an entry of this path.
    pub fn contains(&self, course_id: ActivityId) -> bool {
        self.sections
            .iter()
            .flat_map(|s| &s.entries)
            .any(|e| e.course_id == Some(course_id))
    }

    /// The activities this path's entries reference, in order.
    pub fn course_ids(&self) -> Vec<ActivityId> {
        self.sections
            .iter()
            .flat_map(|s| &s.entries)
            .filter_map(|e| e.course_id)
            .collect()
    }

    /// Where the record `id` is, if it is in this path.
    pub(super) fn locate(&self, id: RecordId) -> Option<Loc> {
        self.sections.iter().enumerate().find_map(|(si, s)| {
            if s.record.id == id {
                Some(Loc::Section(si))
            } else {
                s.entries.iter().position(|e| e.id == id).map(|ei| Loc::Entry(si, ei))
            }
        })
    }

    /// How many sections are not optional.
    pub(super) fn non_optional_count(&self) -> usize {
        self.sections.iter().filter(|s| is_non_optional(&s.record)).count()
    }

    /// Ids with their section, in order: what a move changes.
    pub(super) fn order(&self) -> Vec<(RecordId, Option<RecordId>)> {
        self.sections
            .iter()
            .flat_map(|s| {
                std::iter::once((s.record.id, None)).chain(s.entries.iter().map(|e| (e.id, Some(s.record.id))))
            })
            .collect()
    }
}
