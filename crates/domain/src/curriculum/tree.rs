//! A whole path in one request: the tree a `PUT /api/v2/curricula/{id}` sends, checked whole
//! and applied to the aggregate ([`Curriculum::sync`]), and the record-by-record difference of
//! two trees ([`tree_diff`], replayed by [`apply_diff`]).

use super::aggregate::{Curriculum, Section};
use super::error::{CurriculumError, CurriculumErrors};
use super::input::{Patch, RecordInput};
use super::record::{CourseRef, CurriculumRecord, entry_record, section_record};
use super::rules::{Kind, apply, check_name, is_non_optional};
use crate::activity::ActivityKind;
use crate::ids::{ActivityId, RecordId};
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};

/// One section of a whole-path PUT: its attributes and its entries, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SectionInput {
    /// The section's own attributes (`id` matches an existing section; none: a new one).
    pub attributes: RecordInput,
    /// Its entries in order (`id`, else `course_id`, matches an existing entry).
    pub entries: Vec<RecordInput>,
}

/// A whole path as a PUT sends it: the sections in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TreeInput {
    /// The sections, in the wanted order.
    pub sections: Vec<SectionInput>,
}

impl TreeInput {
    /// How many records the tree names, sections and entries.
    pub fn len(&self) -> usize {
        self.sections.iter().map(|s| 1 + s.entries.len()).sum()
    }

    /// Whether the tree names no record.
    pub fn is_empty(&self) -> bool {
        self.sections.is_empty()
    }

    /// How many records the tree sends without an `id`: at most that many are new.
    pub fn without_id(&self) -> usize {
        self.sections
            .iter()
            .flat_map(|s| std::iter::once(&s.attributes).chain(&s.entries))
            .filter(|r| r.id.value().is_none())
            .count()
    }

    /// The activities of the entries sent without an `id` (matched by `course_id`, or new),
    /// each once: what the caller looks up in the tenant before a [`Curriculum::sync`].
    pub fn courses_to_look_up(&self) -> Vec<ActivityId> {
        let mut seen = HashSet::new();
        self.sections
            .iter()
            .flat_map(|s| &s.entries)
            .filter(|e| e.id.value().is_none())
            .filter_map(|e| e.course_id.value().copied())
            .filter(|c| seen.insert(*c))
            .collect()
    }
}

/// Where a created or moved record goes: its section (`None` for a section) and the record
/// just before it there (`None`: first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    /// The section holding the entry; `None` for a section.
    pub parent: Option<RecordId>,
    /// The sibling just before it in the new tree; `None` when it comes first.
    pub after: Option<RecordId>,
}

/// What one record's change is, as an event names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// A new record.
    Create,
    /// Attributes changed (it may have moved too).
    Update,
    /// Only its place changed.
    Move,
    /// Removed (a section's entries each have their own).
    Destroy,
}

/// One record's change between two trees.
#[derive(Debug, Clone, PartialEq)]
pub struct TreeChange {
    /// The record.
    pub id: RecordId,
    /// As it was, numbered (`None` when created).
    pub before: Option<CurriculumRecord>,
    /// As it is, numbered (`None` when destroyed).
    pub after: Option<CurriculumRecord>,
    /// Where it goes, when created or moved.
    pub place: Option<Place>,
}

impl TreeChange {
    /// Create, update, move or destroy.
    pub fn kind(&self) -> ChangeKind {
        match (&self.before, &self.after) {
            (None, _) => ChangeKind::Create,
            (_, None) => ChangeKind::Destroy,
            (Some(before), Some(after)) => {
                // Only its section, its place and so its `updated_on` changed: a move.
                let only_placed = CurriculumRecord {
                    parent_id: after.parent_id,
                    updated_on: after.updated_on,
                    updated_by: after.updated_by,
                    ..before.clone()
                }
                .eq_except_bounds(after);
                if only_placed {
                    ChangeKind::Move
                } else {
                    ChangeKind::Update
                }
            }
        }
    }
}

/// The changes that turn one tree of a path into another, record by record: the records of
/// the new tree in order (created, changed or moved), then those destroyed, in the old order.
/// Moved records are the fewest that explain the new order: those outside a longest run of
/// records that kept their relative order in their section (or among the sections).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TreeDiff {
    /// One per changed record.
    pub changes: Vec<TreeChange>,
}

impl TreeDiff {
    /// Whether nothing changes.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

/// Indexes (into `seq`) of one longest strictly increasing subsequence (patience sorting).
fn longest_increasing(seq: &[usize]) -> HashSet<usize> {
    let mut tails: Vec<usize> = Vec::new(); // indexes into seq
    let mut prev: Vec<Option<usize>> = vec![None; seq.len()];
    for (i, &v) in seq.iter().enumerate() {
        let at = tails.partition_point(|&t| seq[t] < v);
        prev[i] = at.checked_sub(1).map(|p| tails[p]);
        if at == tails.len() {
            tails.push(i);
        } else {
            tails[at] = i;
        }
    }
    let mut out = HashSet::with_capacity(tails.len());
    let mut cursor = tails.last().copied();
    while let Some(i) = cursor {
        out.insert(i);
        cursor = prev[i];
    }
    out
}

/// The ids among `now` (in order) that moved: those of `existed` that were not in the same
/// group before (`before_index` is `None`), and those outside a longest run that kept its order.
fn moved_of(
    now: &[RecordId],
    before_index: impl Fn(RecordId) -> Option<usize>,
    existed: impl Fn(RecordId) -> bool,
    moved: &mut HashSet<RecordId>,
) {
    let mut kept: Vec<(RecordId, usize)> = Vec::with_capacity(now.len());
    for id in now {
        match before_index(*id) {
            Some(i) => kept.push((*id, i)),
            None if existed(*id) => {
                moved.insert(*id);
            }
            None => {}
        }
    }
    let order: Vec<usize> = kept.iter().map(|(_, i)| *i).collect();
    let stable = longest_increasing(&order);
    for (k, (id, _)) in kept.iter().enumerate() {
        if !stable.contains(&k) {
            moved.insert(*id);
        }
    }
}

/// The record-by-record changes from `before` to `after` (two states of one path).
pub fn tree_diff(before: &Curriculum, after: &Curriculum) -> TreeDiff {
    let old_records = before.records();
    let old: HashMap<RecordId, &CurriculumRecord> = old_records.iter().map(|r| (r.id, r)).collect();
    // Where each record was: its section's id (None for sections) and its index there.
    let mut old_place: HashMap<RecordId, (Option<RecordId>, usize)> = HashMap::new();
    for (si, s) in before.sections.iter().enumerate() {
        old_place.insert(s.record.id, (None, si));
        for (ei, e) in s.entries.iter().enumerate() {
            old_place.insert(e.id, (Some(s.record.id), ei));
        }
    }
    let mut moved = HashSet::new();
    let section_ids: Vec<RecordId> = after.sections.iter().map(|s| s.record.id).collect();
    let in_group = |group: Option<RecordId>| {
        let old_place = &old_place;
        move |id: RecordId| old_place.get(&id).filter(|(g, _)| *g == group).map(|(_, i)| *i)
    };
    let existed = |id: RecordId| old_place.contains_key(&id);
    moved_of(&section_ids, in_group(None), existed, &mut moved);
    for s in &after.sections {
        let ids: Vec<RecordId> = s.entries.iter().map(|e| e.id).collect();
        moved_of(&ids, in_group(Some(s.record.id)), existed, &mut moved);
    }

    let new_records = after.records();
    let mut changes = Vec::new();
    let mut previous_section = None;
    let mut previous_entry = None;
    for record in &new_records {
        let place = if record.course_id.is_none() {
            let place = Place {
                parent: None,
                after: previous_section,
            };
            previous_section = Some(record.id);
            previous_entry = None;
            place
        } else {
            let place = Place {
                parent: record.parent_id,
                after: previous_entry,
            };
            previous_entry = Some(record.id);
            place
        };
        match old.get(&record.id) {
            None => changes.push(TreeChange {
                id: record.id,
                before: None,
                after: Some(record.clone()),
                place: Some(place),
            }),
            Some(was) => {
                let is_moved = moved.contains(&record.id);
                if is_moved || !was.eq_except_bounds(record) {
                    changes.push(TreeChange {
                        id: record.id,
                        before: Some((*was).clone()),
                        after: Some(record.clone()),
                        place: is_moved.then_some(place),
                    });
                }
            }
        }
    }
    let kept: HashSet<RecordId> = new_records.iter().map(|r| r.id).collect();
    for record in old_records.iter().filter(|r| !kept.contains(&r.id)) {
        changes.push(TreeChange {
            id: record.id,
            before: Some(record.clone()),
            after: None,
            place: None,
        });
    }
    TreeDiff { changes }
}

/// `base` with `diff` applied: [`tree_diff`]`(a, b)` applied to `a` gives `b`.
pub fn apply_diff(base: &Curriculum, diff: &TreeDiff) -> Curriculum {
    let mut out = base.clone();
    let leaving: HashSet<RecordId> = diff
        .changes
        .iter()
        .filter(|c| c.after.is_none() || c.place.is_some())
        .map(|c| c.id)
        .collect();
    let values: HashMap<RecordId, &CurriculumRecord> = diff
        .changes
        .iter()
        .filter_map(|c| c.after.as_ref().map(|a| (c.id, a)))
        .collect();
    // Out: what is destroyed or moves (a section that moves keeps its entries for now).
    let mut parked: HashMap<RecordId, Section> = HashMap::new();
    let mut sections = Vec::with_capacity(out.sections.len());
    for mut section in std::mem::take(&mut out.sections) {
        section.entries.retain(|e| !leaving.contains(&e.id));
        if leaving.contains(&section.record.id) {
            parked.insert(section.record.id, section);
        } else {
            sections.push(section);
        }
    }
    out.sections = sections;
    // In: every created or moved record after its predecessor, in the new tree's order.
    for change in &diff.changes {
        let (Some(place), Some(value)) = (change.place, change.after.as_ref()) else {
            continue;
        };
        if value.course_id.is_none() {
            let entries = parked.remove(&change.id).map(|s| s.entries).unwrap_or_default();
            let at = place
                .after
                .and_then(|a| out.sections.iter().position(|s| s.record.id == a))
                .map_or(0, |i| i + 1);
            out.sections.insert(
                at,
                Section {
                    record: value.clone(),
                    entries,
                },
            );
        } else {
            let Some(section) = out.sections.iter_mut().find(|s| Some(s.record.id) == place.parent) else {
                continue;
            };
            let at = place
                .after
                .and_then(|a| section.entries.iter().position(|e| e.id == a))
                .map_or(0, |i| i + 1);
            section.entries.insert(at, value.clone());
        }
    }
    // The values of records that changed in place.
    for section in &mut out.sections {
        if let Some(v) = values.get(&section.record.id) {
            section.record = (*v).clone();
        }
        for entry in &mut section.entries {
            if let Some(v) = values.get(&entry.id) {
                *entry = (*v).clone();
            }
        }
    }
    out
}

/// A problem at `at` (`sections[1].entries[0]`).
fn at(at: String, error: CurriculumError) -> CurriculumError {
    CurriculumError::At {
        at,
        error: Box::new(error),
    }
}

impl Curriculum {
    /// A whole-path PUT: makes this path the tree `tree` — sections and entries in its order,
    /// each matched to an existing record by `id` (an entry also by `course_id`), the others
    /// created with the ids of `new_ids` (in order; at least [`TreeInput::without_id`] of
    /// them), the records left out destroyed, and every sent attribute set (an attribute not
    /// sent keeps its value; null clears it, as in a per-record update). `courses` holds the
    /// tenant's activities the tree names by `course_id` ([`TreeInput::courses_to_look_up`]).
    /// `updated_on` becomes `now` only on records that changed or moved. Returns the changes.
    ///
    /// # Errors
    /// Every problem of the whole tree at once, each naming where it is
    /// (`sections[1].entries[0].course_id 12 does not exist`); nothing is changed.
    pub fn sync(
        &mut self,
        tree: &TreeInput,
        courses: &HashMap<ActivityId, CourseRef>,
        new_ids: &[RecordId],
        now: DateTime<Utc>,
    ) -> Result<TreeDiff, CurriculumErrors> {
        let mut errors = Vec::new();
        let mut fresh = new_ids.iter().copied();
        let old_sections: HashMap<RecordId, &CurriculumRecord> =
            self.sections.iter().map(|s| (s.record.id, &s.record)).collect();
        let old_entries: HashMap<RecordId, &CurriculumRecord> = self
            .sections
            .iter()
            .flat_map(|s| &s.entries)
            .map(|e| (e.id, e))
            .collect();
        // Entries claimed by id first, so that matching by course_id takes only the others.
        let mut first_at: HashMap<RecordId, String> = HashMap::new();
        let mut claimed: HashSet<RecordId> = HashSet::new();
        for (si, s) in tree.sections.iter().enumerate() {
            let nodes = std::iter::once((format!("sections[{si}]"), &s.attributes)).chain(
                s.entries
                    .iter()
                    .enumerate()
                    .map(move |(ei, e)| (format!("sections[{si}].entries[{ei}]"), e)),
            );
            for (place, node) in nodes {
                if let Patch::Value(id) = node.id {
                    if let Some(first) = first_at.get(&id) {
                        errors.push(at(
                            place,
                            CurriculumError::invalid("id", format!("{id} is given twice (also at {first})")),
                        ));
                    } else {
                        first_at.insert(id, place);
                        claimed.insert(id);
                    }
                }
            }
        }
        let by_course: HashMap<ActivityId, RecordId> = self
            .sections
            .iter()
            .flat_map(|s| &s.entries)
            .filter(|e| !claimed.contains(&e.id))
            .filter_map(|e| e.course_id.map(|c| (c, e.id)))
            .collect();

        let mut courses_at: HashMap<ActivityId, String> = HashMap::new();
        let mut sections = Vec::with_capacity(tree.sections.len());
        for (si, s) in tree.sections.iter().enumerate() {
            let here = format!("sections[{si}]");
            let mut problems = Vec::new();
            let input = &s.attributes;
            let mut record = match input.id {
                Patch::Value(id) => {
                    let found = lookup(
                        id,
                        &old_sections,
                        &old_entries,
                        "an activity of this path, not a section",
                    );
                    found.map_err(|e| problems.push(e)).ok()
                }
                _ => {
                    if input.name.is_absent() {
                        problems.push(CurriculumError::Blank { attribute: "name" });
                    }
                    next_id(&mut fresh, &mut problems)
                        .map(|id| section_record(id, self.curriculum_id, self.account_id, now))
                }
            };
            check_tree_node(self, input, true, &mut problems);
            if let Some(record) = record.as_mut() {
                let original = record.clone();
                apply(record, input, Kind::Section, s.entries.len(), None, &mut problems);
                if input.completions_min.is_absent()
                    && let Some(n) = record.completions_min
                    && usize::try_from(n).unwrap_or(0) > s.entries.len()
                {
                    record.completions_min = i32::try_from(s.entries.len()).ok().filter(|n| *n > 0);
                }
                touch(record, &original, now);
            }
            errors.extend(problems.into_iter().map(|e| at(here.clone(), e)));

            let section_id = record.as_ref().map_or(RecordId(0), |r| r.id);
            let mut entries = Vec::with_capacity(s.entries.len());
            for (ei, e) in s.entries.iter().enumerate() {
                let here = format!("sections[{si}].entries[{ei}]");
                let mut problems = Vec::new();
                let existing = match e.id {
                    Patch::Value(id) => {
                        let found = lookup(
                            id,
                            &old_entries,
                            &old_sections,
                            "a section of this path, not an activity",
                        );
                        found.map_err(|e| problems.push(e)).ok()
                    }
                    _ => e
                        .course_id
                        .value()
                        .and_then(|c| by_course.get(c))
                        .and_then(|id| old_entries.get(id))
                        .map(|r| (*r).clone()),
                };
                let is_new = existing.is_none() && e.id.value().is_none();
                let mut record = match existing {
                    Some(record) => {
                        if let Some(sent) = e.course_id.value()
                            && Some(*sent) != record.course_id
                        {
                            problems.push(CurriculumError::Immutable {
                                attribute: "course_id",
                                hint: "; to reference another activity, give an entry without id for it",
                            });
                        }
                        Some(record)
                    }
                    None if is_new => match e.course_id.value() {
                        None => {
                            problems.push(CurriculumError::Blank { attribute: "course_id" });
                            None
                        }
                        Some(c) => match courses.get(c) {
                            None => {
                                problems.push(CurriculumError::CourseNotFound(*c));
                                None
                            }
                            Some(course) if course.id == self.curriculum_id => {
                                problems.push(CurriculumError::ContainsItself(*c));
                                None
                            }
                            Some(course) if course.kind == ActivityKind::Course => {
                                problems.push(CurriculumError::CourseIsPath(*c));
                                None
                            }
                            Some(course) => next_id(&mut fresh, &mut problems).map(|id| {
                                entry_record(id, section_id, course, self.curriculum_id, self.account_id, now)
                            }),
                        },
                    },
                    None => None,
                };
                check_tree_node(self, e, false, &mut problems);
                if let Some(record) = record.as_mut() {
                    if let Some(course) = record.course_id {
                        if let Some(first) = courses_at.get(&course) {
                            problems.push(CurriculumError::invalid(
                                "course_id",
                                format!("{course} is already in this path (at {first})"),
                            ));
                        } else {
                            courses_at.insert(course, here.clone());
                        }
                    }
                    let original = record.clone();
                    record.parent_id = Some(section_id);
                    let kind = Kind::Entry(
                        record.course_id.unwrap_or(ActivityId(0)),
                        record.course_kind.unwrap_or(ActivityKind::Scorm),
                    );
                    // As on Create: a new entry's null name is its activity's; an existing one's is blank.
                    let fallback = if is_new {
                        record.course_id.and_then(|c| courses.get(&c)).map(|c| c.name.clone())
                    } else {
                        None
                    };
                    if is_new && e.name.value().is_none() {
                        check_name(&record.name, &mut problems);
                    }
                    apply(record, e, kind, 0, fallback.as_deref(), &mut problems);
                    if !is_new {
                        touch(record, &original, now);
                    }
                }
                errors.extend(problems.into_iter().map(|p| at(here.clone(), p)));
                entries.extend(record);
            }
            if let Some(record) = record {
                sections.push(Section { record, entries });
            }
        }
        // Checked on the whole tree once every section could be read.
        if sections.len() == tree.sections.len() && !sections.iter().any(|s| is_non_optional(&s.record)) {
            errors.push(at(
                "sections".to_owned(),
                CurriculumError::invalid(
                    "control_mode",
                    "of every section is optional (or there is no section); a path must have at least one non-optional section",
                ),
            ));
        }
        if !errors.is_empty() {
            return Err(CurriculumErrors(errors));
        }
        let mut after = Curriculum {
            curriculum_id: self.curriculum_id,
            account_id: self.account_id,
            sections,
        };
        // A record that only moved gets `updated_on` too, as a single move would give it.
        let moved: HashSet<RecordId> = tree_diff(self, &after)
            .changes
            .iter()
            .filter(|c| c.before.is_some() && c.place.is_some())
            .map(|c| c.id)
            .collect();
        for section in &mut after.sections {
            for record in std::iter::once(&mut section.record).chain(section.entries.iter_mut()) {
                if moved.contains(&record.id) {
                    record.updated_on = now;
                    record.updated_by = None;
                }
            }
        }
        let diff = tree_diff(self, &after);
        *self = after;
        Ok(diff)
    }
}

/// The record `id` among `wanted` (the sections, or the entries), or why not: it is one of
/// `other` (`what_else` says so), or no record of the path.
fn lookup(
    id: RecordId,
    wanted: &HashMap<RecordId, &CurriculumRecord>,
    other: &HashMap<RecordId, &CurriculumRecord>,
    what_else: &str,
) -> Result<CurriculumRecord, CurriculumError> {
    match (wanted.get(&id), other.contains_key(&id)) {
        (Some(record), _) => Ok((*record).clone()),
        (None, true) => Err(CurriculumError::invalid("id", format!("{id} is {what_else}"))),
        (None, false) => Err(CurriculumError::invalid(
            "id",
            format!("{id} is not a record of this path"),
        )),
    }
}

/// The next fresh id; the caller handed out too few when there is none.
fn next_id(fresh: &mut impl Iterator<Item = RecordId>, problems: &mut Vec<CurriculumError>) -> Option<RecordId> {
    let id = fresh.next();
    if id.is_none() {
        problems.push(CurriculumError::invalid(
            "id",
            "could not be given to a new record (too few fresh ids)",
        ));
    }
    id
}

/// `updated_on = now` when `record` differs from `original` (its place aside).
fn touch(record: &mut CurriculumRecord, original: &CurriculumRecord, now: DateTime<Utc>) {
    let same = CurriculumRecord {
        parent_id: original.parent_id,
        ..record.clone()
    }
    .eq_except_bounds(original);
    if !same {
        record.updated_on = now;
        record.updated_by = None;
    }
}

/// What a tree node may not send: another path's `curriculum_id`; for a section a `course_id`
/// or `parent_id` value. The read-only attributes (`lft`, `rgt`, `account_id`, `updated_on`,
/// `updated_by`) and an entry's `parent_id` are what the tree decides, and are ignored, so
/// that a tree read with GET can be sent back as it is.
fn check_tree_node(path: &Curriculum, input: &RecordInput, section: bool, problems: &mut Vec<CurriculumError>) {
    if let Patch::Value(other) = input.curriculum_id
        && other != path.curriculum_id
    {
        problems.push(CurriculumError::invalid(
            "curriculum_id",
            format!("{other} is not the path being changed ({})", path.curriculum_id),
        ));
    }
    if section {
        if input.course_id.value().is_some() {
            problems.push(CurriculumError::invalid(
                "course_id",
                "must be empty for a section; entries go in the section's entries",
            ));
        }
        if input.parent_id.value().is_some() {
            problems.push(CurriculumError::invalid("parent_id", "must be empty for a section"));
        }
    }
}
