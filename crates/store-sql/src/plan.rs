//! What to write so that one path's stored records become the new ones: a pure plan, the same
//! for every backend, with the renumbering as set-based statements.

use crate::rows::{BoundsRow, RecordRow};
use curricula_domain::curriculum::CurriculumRecord;
use curricula_domain::{ActivityId, RecordId};
use std::fmt::Write as _;

/// Above this many shifted ranges the renumbering is written as absolute values instead.
const MAX_RANGES: usize = 32;
/// Rows per absolute-value statement.
const VALUES_CHUNK: usize = 500;
/// Rows outside the largest shifted block that are still written by id rather than in one
/// `CASE` over every range.
const SCATTERED_BY_ID: usize = 16;

/// The writes that turn `before` into `after`, in the order they must run: deletes, the
/// renumbering (against the old bounds), new sections, changed rows (which may now name a new
/// section), then new entries.
#[derive(Default)]
pub(crate) struct WritePlan {
    /// Ids of removed records.
    pub deleted: Vec<i64>,
    /// Renumbering statements; only integers are formatted into them.
    pub renumber: Vec<String>,
    /// New sections.
    pub new_sections: Vec<RecordRow>,
    /// Rows whose attributes changed (full new values), with their new bounds when those
    /// changed too; each must exist.
    pub changed: Vec<(RecordRow, Option<BoundsRow>)>,
    /// Rows that only moved and got a new `updated_on` (and `updated_by`), grouped by those
    /// two values: one set-based `UPDATE` per group, their bounds in `renumber` (a whole-tree
    /// reorder touches many rows this way).
    pub touched: Vec<(chrono::NaiveDateTime, Option<i64>, Vec<i64>)>,
    /// New entries.
    pub new_entries: Vec<RecordRow>,
    /// The bounds of the new sections and entries.
    pub new_bounds: Vec<BoundsRow>,
}

/// Consecutive rows (in old `lft` order) that move by the same amounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Range {
    from_lft: i32,
    to_lft: i32,
    d_lft: i32,
    d_rgt: i32,
    /// Rows in it.
    rows: usize,
}

impl WritePlan {
    /// The plan for path `curriculum`, from its stored records to `after`.
    pub(crate) fn new(curriculum: ActivityId, before: &[CurriculumRecord], after: &[CurriculumRecord]) -> Self {
        // What `curriculum::diff` computes, without copying the records that only moved, and
        // without hashing: the old records are found by binary search over their ids, and
        // the per-record facts live in vectors indexed like `before`.
        let mut by_id: Vec<(RecordId, usize)> = before.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
        by_id.sort_unstable_by_key(|(id, _)| *id);
        let old = |id: RecordId| by_id.binary_search_by_key(&id, |(id, _)| *id).ok().map(|at| by_id[at].1);
        let mut kept = vec![false; before.len()];
        let mut moved: Vec<Option<(i32, i32)>> = vec![None; before.len()];
        let (mut changed, mut new_sections, mut new_entries) = (Vec::new(), Vec::new(), Vec::new());
        let mut touched: Vec<(chrono::NaiveDateTime, Option<i64>, Vec<i64>)> = Vec::new();
        let mut new_bounds = Vec::new();
        for record in after {
            let Some(at) = old(record.id) else {
                new_bounds.push(BoundsRow::from(record));
                if record.parent_id.is_some() {
                    new_entries.push(RecordRow::from(record));
                } else {
                    new_sections.push(RecordRow::from(record));
                }
                continue;
            };
            kept[at] = true;
            let o = &before[at];
            let only_touched = !o.eq_except_bounds(record)
                && CurriculumRecord { updated_on: record.updated_on, updated_by: record.updated_by, ..o.clone() }
                    .eq_except_bounds(record);
            if only_touched {
                let row = RecordRow::from(record);
                match touched.iter_mut().find(|(on, by, _)| *on == row.updated_on && *by == row.updated_by) {
                    Some((_, _, ids)) => ids.push(row.id),
                    None => touched.push((row.updated_on, row.updated_by, vec![row.id])),
                }
            }
            if o.eq_except_bounds(record) || only_touched {
                if (o.lft, o.rgt) != (record.lft, record.rgt) {
                    moved[at] = Some((record.lft - o.lft, record.rgt - o.rgt));
                }
            } else {
                let bounds = ((o.lft, o.rgt) != (record.lft, record.rgt)).then(|| BoundsRow::from(record));
                changed.push((RecordRow::from(record), bounds));
            }
        }
        let deleted = before.iter().zip(&kept).filter(|(_, kept)| !**kept).map(|(r, _)| r.id.0).collect();
        // Old records in `lft` order (already so when they come from the cache or the table).
        let mut in_order: Vec<usize> = (0..before.len()).collect();
        if !before.is_sorted_by_key(|r| r.lft) {
            in_order.sort_unstable_by_key(|&i| before[i].lft);
        }
        let mut ranges: Vec<Range> = Vec::new();
        let mut extending = false;
        for i in in_order {
            let Some((d_lft, d_rgt)) = moved[i] else {
                extending = false;
                continue;
            };
            let lft = before[i].lft;
            match ranges.last_mut() {
                Some(range) if extending && range.d_lft == d_lft && range.d_rgt == d_rgt => {
                    range.to_lft = lft;
                    range.rows += 1;
                }
                _ => ranges.push(Range { from_lft: lft, to_lft: lft, d_lft, d_rgt, rows: 1 }),
            }
            extending = true;
        }
        let absolute = |skip: Option<&Range>| -> Vec<String> {
            let outside = |lft: i32| skip.is_none_or(|r| lft < r.from_lft || lft > r.to_lft);
            let rows: Vec<&CurriculumRecord> = after
                .iter()
                .filter(|r| old(r.id).is_some_and(|at| moved[at].is_some() && outside(before[at].lft)))
                .collect();
            rows.chunks(VALUES_CHUNK).map(values_statement).collect()
        };
        let largest = ranges.iter().max_by_key(|r| r.rows);
        let scattered = ranges.iter().map(|r| r.rows).sum::<usize>() - largest.map_or(0, |r| r.rows);
        let renumber = match largest {
            None => Vec::new(),
            // The common case (a block shifted, a few rows elsewhere): the block by its old
            // bounds first, then the few by id, which the shift cannot have touched. Cheaper
            // per row than one CASE over every range.
            Some(block) if scattered <= SCATTERED_BY_ID => {
                let mut statements = vec![shift_statement(curriculum, std::slice::from_ref(block))];
                statements.extend(absolute(Some(block)));
                statements
            }
            Some(_) if ranges.len() <= MAX_RANGES => vec![shift_statement(curriculum, &ranges)],
            Some(_) => absolute(None),
        };
        Self { deleted, renumber, new_sections, changed, touched, new_entries, new_bounds }
    }
}

/// One `UPDATE` shifting every range at once: each row's new bounds are computed from its old
/// `lft`, so ranges cannot catch rows another range has just moved. One range is a plain shift.
fn shift_statement(curriculum: ActivityId, ranges: &[Range]) -> String {
    if let [r] = ranges {
        return format!(
            "UPDATE curriculum_bounds SET lft = lft + {}, rgt = rgt + {} \
             WHERE curriculum_id = {} AND lft BETWEEN {} AND {}",
            r.d_lft, r.d_rgt, curriculum.0, r.from_lft, r.to_lft
        );
    }
    let case = |pick: fn(&Range) -> i32| {
        let mut sql = String::from("CASE");
        for r in ranges {
            let _ = write!(sql, " WHEN lft BETWEEN {} AND {} THEN {}", r.from_lft, r.to_lft, pick(r));
        }
        sql.push_str(" ELSE 0 END");
        sql
    };
    let within: Vec<String> = ranges.iter().map(|r| format!("lft BETWEEN {} AND {}", r.from_lft, r.to_lft)).collect();
    format!(
        "UPDATE curriculum_bounds SET lft = lft + {}, rgt = rgt + {} WHERE curriculum_id = {} AND ({})",
        case(|r| r.d_lft),
        case(|r| r.d_rgt),
        curriculum.0,
        within.join(" OR ")
    )
}

/// Absolute new bounds for many scattered rows (SQLite and Postgres both name a `VALUES`
/// list's columns `column1`, `column2`, …).
fn values_statement(records: &[&CurriculumRecord]) -> String {
    let values: Vec<String> = records.iter().map(|r| format!("({},{},{})", r.id.0, r.lft, r.rgt)).collect();
    format!(
        "UPDATE curriculum_bounds SET lft = v.column2, rgt = v.column3 \
         FROM (VALUES {}) AS v WHERE curriculum_bounds.id = v.column1",
        values.join(",")
    )
}
