//! The curriculum of a path (every `course` activity): ordered sections holding ordered
//! activity entries, numbered as an awesome_nested_set (`lft`/`rgt`).
//!
//! This module is pure: the adapters load a [`Curriculum`] (locked), apply one of its
//! operations and persist [`diff`] of [`Curriculum::records`] before and after.
//! Every operation validates everything first and changes nothing when it refuses.
//! The rules and every decision the specs left open are in `docs/CURRICULUM.md`.

mod error;
mod input;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use error::{CorruptCurriculum, CurriculumError, CurriculumErrors};
pub use input::{MAX_CODE_CHARS, MAX_DESCRIPTION_CHARS, Orientation, Patch, RecordInput};

use crate::activity::{ActivityKind, MAX_NAME_CHARS};
use crate::ids::{ActivityId, RecordId, TenantId};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// How a section is completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ControlMode {
    /// Complete in order.
    Flow,
    /// Complete in any order (the default).
    Choice,
    /// Optional section.
    Optional,
}

/// Whether a section starts collapsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InitialView {
    /// Displayed collapsed.
    Collapsed,
    /// Displayed in full (the default).
    Full,
}

/// One row of a curriculum as the v2 API shows it: a section (`course_id` empty) or an entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurriculumRecord {
    /// Record id.
    pub id: RecordId,
    /// The path (course activity) the record belongs to.
    pub curriculum_id: ActivityId,
    /// The tenant.
    pub account_id: TenantId,
    /// For an entry, its section; `None` for a section.
    pub parent_id: Option<RecordId>,
    /// For an entry, the activity it references; `None` for a section.
    pub course_id: Option<ActivityId>,
    /// For an entry, the kind of the referenced activity (not stored on the row).
    pub course_kind: Option<ActivityKind>,
    /// Displayed name.
    pub name: String,
    /// Nested-set left bound.
    pub lft: i32,
    /// Nested-set right bound.
    pub rgt: i32,
    /// Admin user who last changed it through the UI; `None` for API writes.
    pub updated_by: Option<i64>,
    /// Last write.
    pub updated_on: DateTime<Utc>,
    /// Unused by the product, stored as given.
    pub due_days: Option<i32>,
    /// Entry of a SCORM activity: counts towards the path score (1) or not (null).
    pub weight: Option<i32>,
    /// Entry of a SCORM activity: passing it exempts from the rest of the path.
    pub exempt_if_mastered: Option<bool>,
    /// Section: description shown to students.
    pub description: Option<String>,
    /// Section: students may enroll only after this date.
    pub lock_until: Option<NaiveDate>,
    /// Internal code.
    pub code: Option<String>,
    /// Section: collapsed or full.
    pub initial_view: Option<InitialView>,
    /// Entry: required when its section's mode is specified.
    pub required_for_specified_control_mode: Option<bool>,
    /// Entry of a SCORM activity: launch directly into content.
    pub skip_interstitial_page: Option<bool>,
    /// Section: how it is completed.
    pub control_mode: Option<ControlMode>,
    /// Section in `choice` mode: how many entries must be completed.
    pub completions_min: Option<i32>,
    /// Entry of a SCORM activity: max attempts (0 = none).
    pub attempts_max: Option<i32>,
}

impl CurriculumRecord {
    /// Whether `self` and `other` are the same but for their nested-set bounds (a record a
    /// renumbering moved). Every field is named, so a new one cannot be forgotten here.
    pub fn eq_except_bounds(&self, other: &Self) -> bool {
        let Self {
            id,
            curriculum_id,
            account_id,
            parent_id,
            course_id,
            course_kind,
            name,
            lft: _,
            rgt: _,
            updated_by,
            updated_on,
            due_days,
            weight,
            exempt_if_mastered,
            description,
            lock_until,
            code,
            initial_view,
            required_for_specified_control_mode,
            skip_interstitial_page,
            control_mode,
            completions_min,
            attempts_max,
        } = self;
        *id == other.id
            && *curriculum_id == other.curriculum_id
            && *account_id == other.account_id
            && *parent_id == other.parent_id
            && *course_id == other.course_id
            && *course_kind == other.course_kind
            && *name == other.name
            && *updated_by == other.updated_by
            && *updated_on == other.updated_on
            && *due_days == other.due_days
            && *weight == other.weight
            && *exempt_if_mastered == other.exempt_if_mastered
            && *description == other.description
            && *lock_until == other.lock_until
            && *code == other.code
            && *initial_view == other.initial_view
            && *required_for_specified_control_mode == other.required_for_specified_control_mode
            && *skip_interstitial_page == other.skip_interstitial_page
            && *control_mode == other.control_mode
            && *completions_min == other.completions_min
            && *attempts_max == other.attempts_max
    }
}

/// Name of the section every new course starts with.
pub const DEFAULT_SECTION_NAME: &str = "Section 1";

/// The activity a new entry references, as the adapter found it in the tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourseRef {
    /// The activity (`course_id`).
    pub id: ActivityId,
    /// Whether it is a SCORM package or a path.
    pub kind: ActivityKind,
    /// Its name: the entry's name unless the request gives one.
    pub name: String,
}

/// A section with its entries, in order.
#[derive(Debug, Clone, PartialEq)]
struct Section {
    record: CurriculumRecord,
    entries: Vec<CurriculumRecord>,
}

/// Where a record is: section index, or section and entry index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Loc {
    Section(usize),
    Entry(usize, usize),
}

/// What a record is, for the attributes that apply to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Section,
    Entry(ActivityId, ActivityKind),
}

impl Kind {
    fn describe(self) -> String {
        match self {
            Self::Section => "a section".to_owned(),
            Self::Entry(_, ActivityKind::Scorm) => "an activity".to_owned(),
            Self::Entry(id, ActivityKind::Course) => format!("course_id {id}, which is a path"),
        }
    }
}

/// Whether a section counts as non-optional (a missing mode is the default, `choice`).
fn is_non_optional(section: &CurriculumRecord) -> bool {
    section.control_mode != Some(ControlMode::Optional)
}

/// A record with no attribute set.
fn blank_record(id: RecordId, curriculum_id: ActivityId, account_id: TenantId, now: DateTime<Utc>) -> CurriculumRecord {
    CurriculumRecord {
        id,
        curriculum_id,
        account_id,
        parent_id: None,
        course_id: None,
        course_kind: None,
        name: String::new(),
        lft: 0,
        rgt: 0,
        updated_by: None,
        updated_on: now,
        due_days: None,
        weight: None,
        exempt_if_mastered: None,
        description: None,
        lock_until: None,
        code: None,
        initial_view: None,
        required_for_specified_control_mode: None,
        skip_interstitial_page: None,
        control_mode: None,
        completions_min: None,
        attempts_max: None,
    }
}

/// A new section with the defaults: `choice`, shown in full.
fn section_record(
    id: RecordId,
    curriculum_id: ActivityId,
    account_id: TenantId,
    now: DateTime<Utc>,
) -> CurriculumRecord {
    CurriculumRecord {
        initial_view: Some(InitialView::Full),
        control_mode: Some(ControlMode::Choice),
        ..blank_record(id, curriculum_id, account_id, now)
    }
}

/// A new entry with the defaults: not required, and for SCORM no attempt limit (0).
fn entry_record(
    id: RecordId,
    section: RecordId,
    course: &CourseRef,
    curriculum_id: ActivityId,
    account_id: TenantId,
    now: DateTime<Utc>,
) -> CurriculumRecord {
    CurriculumRecord {
        parent_id: Some(section),
        course_id: Some(course.id),
        course_kind: Some(course.kind),
        name: course.name.clone(),
        required_for_specified_control_mode: Some(false),
        attempts_max: (course.kind == ActivityKind::Scorm).then_some(0),
        ..blank_record(id, curriculum_id, account_id, now)
    }
}

fn check_name(name: &str, errors: &mut Vec<CurriculumError>) {
    if name.trim().is_empty() {
        errors.push(CurriculumError::Blank { attribute: "name" });
    } else if name.chars().count() > MAX_NAME_CHARS {
        errors.push(CurriculumError::TooLong {
            attribute: "name",
            max: MAX_NAME_CHARS,
        });
    }
}

/// What to set for an attribute that applies only to some records: `None` to leave it,
/// `Some(None)` to clear it, `Some(Some(v))` to set it. A value where it does not apply is an
/// error; null there is accepted and ignored.
fn settable<'a, T>(
    patch: &'a Patch<T>,
    attribute: &'static str,
    applies: bool,
    applies_to: &'static str,
    kind: Kind,
    errors: &mut Vec<CurriculumError>,
) -> Option<Option<&'a T>> {
    match patch {
        Patch::Absent => None,
        Patch::Null => applies.then_some(None),
        Patch::Value(v) if applies => Some(Some(v)),
        Patch::Value(_) => {
            errors.push(CurriculumError::NotApplicable {
                attribute,
                target: kind.describe(),
                applies_to,
            });
            None
        }
    }
}

/// Applies the settable attributes of `input` to `record`, collecting every problem.
///
/// `entry_count` is the section's entry count (for `completions_min`); `name_fallback` is what
/// a null `name` means (an entry's activity name on Create), `None` when null is blank.
fn apply(
    record: &mut CurriculumRecord,
    input: &RecordInput,
    kind: Kind,
    entry_count: usize,
    name_fallback: Option<&str>,
    errors: &mut Vec<CurriculumError>,
) {
    let section = kind == Kind::Section;
    let scorm = matches!(kind, Kind::Entry(_, ActivityKind::Scorm));
    match &input.name {
        Patch::Absent => {}
        Patch::Null => match name_fallback {
            Some(fallback) => record.name = fallback.to_owned(),
            None => errors.push(CurriculumError::Blank { attribute: "name" }),
        },
        Patch::Value(name) => {
            check_name(name, errors);
            record.name.clone_from(name);
        }
    }
    if let Some(code) = input.code.sent() {
        record.code = code.cloned();
    }
    if let Some(due_days) = input.due_days.sent() {
        record.due_days = due_days.copied();
    }

    const SECTIONS: &str = "sections";
    if let Some(v) = settable(&input.description, "description", section, SECTIONS, kind, errors) {
        record.description = v.cloned();
    }
    if let Some(v) = settable(&input.lock_until, "lock_until", section, SECTIONS, kind, errors) {
        record.lock_until = v.copied();
    }
    if let Some(v) = settable(&input.initial_view, "initial_view", section, SECTIONS, kind, errors) {
        record.initial_view = Some(v.copied().unwrap_or(InitialView::Full));
    }
    if let Some(v) = settable(&input.control_mode, "control_mode", section, SECTIONS, kind, errors) {
        record.control_mode = Some(v.copied().unwrap_or(ControlMode::Choice));
    }
    let completions_applies = section;
    match settable(
        &input.completions_min,
        "completions_min",
        completions_applies,
        "sections",
        kind,
        errors,
    ) {
        Some(Some(&n)) if n < 1 => errors.push(CurriculumError::invalid(
            "completions_min",
            format!("must be greater than or equal to 1, not {n}"),
        )),
        Some(v) => record.completions_min = v.copied(),
        None => {}
    }

    if let Some(v) = settable(
        &input.required_for_specified_control_mode,
        "required_for_specified_control_mode",
        !section,
        "activities",
        kind,
        errors,
    ) {
        record.required_for_specified_control_mode = Some(v.copied().unwrap_or(false));
    }

    const SCORM: &str = "SCORM activities";
    match settable(&input.weight, "weight", scorm, SCORM, kind, errors) {
        Some(Some(&n)) if n != 1 => errors.push(CurriculumError::invalid(
            "weight",
            format!("must be 1 (count towards the path score) or null (do not count), not {n}"),
        )),
        Some(v) => record.weight = v.copied(),
        None => {}
    }
    if let Some(v) = settable(
        &input.exempt_if_mastered,
        "exempt_if_mastered",
        scorm,
        SCORM,
        kind,
        errors,
    ) {
        record.exempt_if_mastered = v.copied();
    }
    match settable(&input.attempts_max, "attempts_max", scorm, SCORM, kind, errors) {
        Some(Some(&n)) if n < 0 => errors.push(CurriculumError::invalid(
            "attempts_max",
            format!("must be greater than or equal to 0, not {n}"),
        )),
        Some(v) => record.attempts_max = Some(v.copied().unwrap_or(0)),
        None => {}
    }
    if let Some(v) = settable(
        &input.skip_interstitial_page,
        "skip_interstitial_page",
        scorm,
        SCORM,
        kind,
        errors,
    ) {
        record.skip_interstitial_page = v.copied();
    }

    if section {
        if record.control_mode.unwrap_or(ControlMode::Choice) != ControlMode::Choice {
            // Leaving `choice` drops the minimum; sending one with another mode is an error.
            if input.completions_min.value().is_some() {
                errors.push(CurriculumError::CompletionsMinNeedsChoice);
            }
            record.completions_min = None;
        } else if let Patch::Value(n) = input.completions_min
            && n >= 1
            && usize::try_from(n).unwrap_or(usize::MAX) > entry_count
        {
            errors.push(CurriculumError::CompletionsMinAboveCount { count: entry_count });
        }
    }
}

/// Whether a sent `updated_on` is the stored one, at the precision it was sent with (whole
/// seconds, else milliseconds: the v2 API renders milliseconds).
fn same_instant(sent: DateTime<Utc>, stored: DateTime<Utc>) -> bool {
    if sent.timestamp_subsec_nanos() == 0 {
        sent.timestamp() == stored.timestamp()
    } else {
        sent.timestamp_millis() == stored.timestamp_millis()
    }
}

/// Lowers a section's `completions_min` to its entry count (clears it when empty).
fn clamp_completions_min(section: &mut Section, now: DateTime<Utc>) {
    let count = section.entries.len();
    if let Some(n) = section.record.completions_min
        && usize::try_from(n).unwrap_or(0) > count
    {
        section.record.completions_min = if count == 0 { None } else { i32::try_from(count).ok() };
        section.record.updated_on = now;
        section.record.updated_by = None;
    }
}

/// The sections and entries of one path.
#[derive(Debug, Clone, PartialEq)]
pub struct Curriculum {
    curriculum_id: ActivityId,
    account_id: TenantId,
    sections: Vec<Section>,
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

    /// The path's id.
    pub fn curriculum_id(&self) -> ActivityId {
        self.curriculum_id
    }

    /// The tenant.
    pub fn account_id(&self) -> TenantId {
        self.account_id
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

    /// The section ids, in order.
    pub fn section_ids(&self) -> Vec<RecordId> {
        self.sections.iter().map(|s| s.record.id).collect()
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

    fn locate(&self, id: RecordId) -> Option<Loc> {
        self.sections.iter().enumerate().find_map(|(si, s)| {
            if s.record.id == id {
                Some(Loc::Section(si))
            } else {
                s.entries.iter().position(|e| e.id == id).map(|ei| Loc::Entry(si, ei))
            }
        })
    }

    fn non_optional_count(&self) -> usize {
        self.sections.iter().filter(|s| is_non_optional(&s.record)).count()
    }

    /// Ids with their section, in order: what a move changes.
    fn order(&self) -> Vec<(RecordId, Option<RecordId>)> {
        self.sections
            .iter()
            .flat_map(|s| {
                std::iter::once((s.record.id, None)).chain(s.entries.iter().map(|e| (e.id, Some(s.record.id))))
            })
            .collect()
    }

    fn numbered(&self, id: RecordId) -> Result<CurriculumRecord, CurriculumError> {
        self.record(id).ok_or(CurriculumError::RecordNotFound(id))
    }

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

    /// Immutable attributes may be sent back unchanged; a change is an error naming them.
    fn check_unchanged(current: &CurriculumRecord, input: &RecordInput, errors: &mut Vec<CurriculumError>) {
        let section = current.course_id.is_none();
        // A value for course_id/parent_id on a section, or null for them on an entry.
        let sent_kinds = [
            input.course_id.sent().map(|v| v.is_some()),
            input.parent_id.sent().map(|v| v.is_some()),
        ];
        if section && sent_kinds.contains(&Some(true)) {
            errors.push(CurriculumError::SectionToEntry);
        }
        if !section && sent_kinds.contains(&Some(false)) {
            errors.push(CurriculumError::EntryToSection);
        }
        let same_time = |sent: Option<&DateTime<Utc>>| sent.is_some_and(|t| same_instant(*t, current.updated_on));
        let checks = [
            (input.id.sent().map(|v| v != Some(&current.id)), "id", ""),
            (
                input.curriculum_id.sent().map(|v| v != Some(&current.curriculum_id)),
                "curriculum_id",
                "",
            ),
            (
                input
                    .course_id
                    .value()
                    .map(|v| !section && Some(*v) != current.course_id),
                "course_id",
                "; to reference another activity, create a record for it and destroy this one",
            ),
            (
                input
                    .parent_id
                    .value()
                    .map(|v| !section && Some(*v) != current.parent_id),
                "parent_id",
                "; use update_position to move an activity to another section",
            ),
            (
                input.lft.sent().map(|v| v != Some(&current.lft)),
                "lft",
                "; use update_position",
            ),
            (
                input.rgt.sent().map(|v| v != Some(&current.rgt)),
                "rgt",
                "; use update_position",
            ),
            (
                input.account_id.sent().map(|v| v != Some(&current.account_id)),
                "account_id",
                "",
            ),
            (
                input.updated_by.sent().map(|v| v.copied() != current.updated_by),
                "updated_by",
                "",
            ),
            (input.updated_on.sent().map(|v| !same_time(v)), "updated_on", ""),
        ];
        for (changed, attribute, hint) in checks {
            if changed == Some(true) {
                errors.push(CurriculumError::Immutable { attribute, hint });
            }
        }
    }

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
        Self::check_unchanged(&current, input, &mut errors);
        let (kind, count) = match loc {
            Loc::Section(si) => (Kind::Section, self.sections[si].entries.len()),
            Loc::Entry(..) => {
                let kind = Kind::Entry(
                    current.course_id.unwrap_or(ActivityId(0)),
                    current.course_kind.unwrap_or(ActivityKind::Scorm),
                );
                (kind, 0)
            }
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
                    clamp_completions_min(&mut self.sections[si], now);
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
                clamp_completions_min(&mut self.sections[si], now);
                Ok(vec![id])
            }
        }
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
