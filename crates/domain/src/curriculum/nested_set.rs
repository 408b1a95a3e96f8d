//! The awesome_nested_set numbering, both ways: loading stored records (any consistent
//! numbering, gaps included) and numbering the records gap-free.

use super::aggregate::{Curriculum, Section};
use super::error::{CorruptCurriculum, CurriculumError};
use super::record::CurriculumRecord;
use crate::ids::{ActivityId, RecordId, TenantId};
use std::collections::HashSet;

impl Curriculum {
    /// Rebuilds a curriculum from its stored records, in `lft` order. Gaps in the numbering
    /// are accepted ([`Self::records`] renumbers gap-free); the nesting must agree with
    /// `parent_id`.
    ///
    /// # Errors
    /// When a record belongs to another path or account, is neither a section nor an entry,
    /// repeats an id or a bound, has `lft >= rgt`, when a section is not a root, an entry is not
    /// directly inside its own section or encloses another record, an entry lacks its
    /// `course_kind`, references the path itself, or repeats another entry's `course_id`.
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
        let mut ids = HashSet::new();
        let mut bounds = HashSet::new();
        let mut courses = HashSet::new();
        for r in &records {
            if r.curriculum_id != curriculum_id {
                return Err(corrupt(format!("record {} belongs to path {}", r.id, r.curriculum_id)));
            }
            if r.account_id != account_id {
                return Err(corrupt(format!("record {} belongs to account {}", r.id, r.account_id)));
            }
            if !ids.insert(r.id) {
                return Err(corrupt(format!("record id {} appears twice", r.id)));
            }
            if r.lft >= r.rgt {
                return Err(corrupt(format!(
                    "record {} has lft {} not below rgt {}",
                    r.id, r.lft, r.rgt
                )));
            }
            for bound in [r.lft, r.rgt] {
                if !bounds.insert(bound) {
                    return Err(corrupt(format!("bound {bound} is used twice (record {})", r.id)));
                }
            }
        }
        let mut sections: Vec<Section> = Vec::new();
        // The open section's rgt, and the rgt of the last entry seen inside it.
        let mut open: Option<(i32, i32)> = None;
        for mut record in records {
            let id = record.id;
            let inside = open.filter(|(rgt, _)| *rgt > record.lft);
            match (record.parent_id, record.course_id) {
                (None, None) => {
                    if let Some(section) = inside.and(sections.last()) {
                        return Err(corrupt(format!(
                            "section {id} lies inside section {}",
                            section.record.id
                        )));
                    }
                    record.course_kind = None;
                    open = Some((record.rgt, record.lft));
                    sections.push(Section {
                        record,
                        entries: Vec::new(),
                    });
                }
                (Some(parent), Some(course)) => {
                    let (Some((section_rgt, last_rgt)), Some(section)) = (inside, sections.last_mut()) else {
                        return Err(corrupt(format!("entry {id} lies outside every section")));
                    };
                    if section.record.id != parent {
                        return Err(corrupt(format!(
                            "entry {id} lies inside section {} but names section {parent}",
                            section.record.id
                        )));
                    }
                    if last_rgt > record.lft {
                        return Err(corrupt(format!("entry {id} lies inside another entry")));
                    }
                    if record.rgt > section_rgt {
                        return Err(corrupt(format!("entry {id} overlaps the end of section {parent}")));
                    }
                    if record.course_kind.is_none() {
                        return Err(corrupt(format!("entry {id} has no course_kind")));
                    }
                    if course == curriculum_id {
                        return Err(corrupt(format!("entry {id} references the path itself")));
                    }
                    if !courses.insert(course) {
                        return Err(corrupt(format!("course_id {course} appears twice")));
                    }
                    open = Some((section_rgt, record.rgt));
                    section.entries.push(record);
                }
                _ => return Err(corrupt(format!("record {id} is neither a section nor an entry"))),
            }
        }
        Ok(Self {
            curriculum_id,
            account_id,
            sections,
        })
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

    /// The sections in order, numbered, each with its entries in order: the path as a tree.
    pub fn tree(&self) -> Vec<(CurriculumRecord, Vec<CurriculumRecord>)> {
        let mut out: Vec<(CurriculumRecord, Vec<CurriculumRecord>)> = Vec::with_capacity(self.sections.len());
        for record in self.records() {
            match out.last_mut() {
                Some((_, entries)) if record.course_id.is_some() => entries.push(record),
                _ => out.push((record, Vec::new())),
            }
        }
        out
    }

    /// The record `id`, numbered, if it is in this path. Only that record is copied.
    pub fn record(&self, id: RecordId) -> Option<CurriculumRecord> {
        let mut next = 1;
        for section in &self.sections {
            let lft = next;
            let rgt = lft + 1 + 2 * i32::try_from(section.entries.len()).unwrap_or(i32::MAX / 4);
            if section.record.id == id {
                return Some(CurriculumRecord {
                    lft,
                    rgt,
                    ..section.record.clone()
                });
            }
            if let Some(at) = section.entries.iter().position(|e| e.id == id) {
                let entry_lft = lft + 1 + 2 * i32::try_from(at).unwrap_or(i32::MAX / 4);
                return Some(CurriculumRecord {
                    parent_id: Some(section.record.id),
                    lft: entry_lft,
                    rgt: entry_lft + 1,
                    ..section.entries[at].clone()
                });
            }
            next = rgt + 1;
        }
        None
    }

    /// The record `id`, numbered, or `RecordNotFound`.
    pub(super) fn numbered(&self, id: RecordId) -> Result<CurriculumRecord, CurriculumError> {
        self.record(id).ok_or(CurriculumError::RecordNotFound(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activity::ActivityKind;
    use chrono::{TimeZone, Utc};

    #[test]
    fn one_record_is_numbered_as_in_the_whole_list() {
        let now = Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap();
        let mut c = Curriculum::for_new_course(ActivityId(1), TenantId(9), RecordId(10), now);
        for (id, course) in [(11, 2), (12, 3)] {
            c.append_to_last_section(RecordId(id), ActivityId(course), ActivityKind::Scorm, "a".into(), now)
                .unwrap();
        }
        let records = c.records();
        let reloaded = Curriculum::from_records(ActivityId(1), TenantId(9), records.clone()).unwrap();
        assert_eq!(reloaded.records(), records, "loading what was numbered gives it back");
        for record in &records {
            assert_eq!(c.record(record.id).as_ref(), Some(record));
        }
        assert_eq!(c.record(RecordId(99)), None);
        assert_eq!(
            c.numbered(RecordId(99)),
            Err(CurriculumError::RecordNotFound(RecordId(99)))
        );
    }

    #[test]
    fn loading_keeps_stored_values_where_they_do_not_apply() {
        let now = Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap();
        let c = Curriculum::for_new_course(ActivityId(1), TenantId(9), RecordId(10), now);
        let mut records = c.records();
        records[0].weight = Some(1);
        records[0].required_for_specified_control_mode = Some(true);
        let loaded = Curriculum::from_records(ActivityId(1), TenantId(9), records.clone()).unwrap();
        assert_eq!(loaded.records(), records, "the next diff must not rewrite the row");
    }
}
