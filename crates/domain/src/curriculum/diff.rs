//! What to write: the rows that turn one numbered record list of a path into another.

use super::record::CurriculumRecord;
use crate::ids::RecordId;
use std::collections::{HashMap, HashSet};

/// Rows to write so that stored records `before` become `after`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CurriculumDiff {
    /// New records, in `lft` order (sections before their entries).
    pub inserted: Vec<CurriculumRecord>,
    /// Changed records (full new values), in `lft` order.
    pub updated: Vec<CurriculumRecord>,
    /// Removed record ids (a destroyed section's entries included).
    pub deleted: Vec<RecordId>,
}

impl CurriculumDiff {
    /// Whether nothing is to be written.
    pub fn is_empty(&self) -> bool {
        self.inserted.is_empty() && self.updated.is_empty() && self.deleted.is_empty()
    }
}

/// The difference between two numbered record lists of one path.
pub fn diff(before: &[CurriculumRecord], after: &[CurriculumRecord]) -> CurriculumDiff {
    let old: HashMap<RecordId, &CurriculumRecord> = before.iter().map(|r| (r.id, r)).collect();
    let new: HashSet<RecordId> = after.iter().map(|r| r.id).collect();
    let mut out = CurriculumDiff::default();
    for record in after {
        match old.get(&record.id) {
            None => out.inserted.push(record.clone()),
            Some(previous) if *previous != record => out.updated.push(record.clone()),
            Some(_) => {}
        }
    }
    out.deleted = before.iter().filter(|b| !new.contains(&b.id)).map(|b| b.id).collect();
    out
}
