//! Which attributes apply to which records, and what values they take: how a v2 body
//! (`RecordInput`) is applied to a record, every problem collected.

use super::error::CurriculumError;
use super::input::{Patch, RecordInput};
use super::record::{ControlMode, CurriculumRecord, InitialView};
use crate::activity::{ActivityKind, MAX_NAME_CHARS};
use crate::ids::ActivityId;
use chrono::{DateTime, Utc};

/// What a record is, for the attributes that apply to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Section,
    Entry(ActivityId, ActivityKind),
}

impl Kind {
    /// The kind of a stored record: a section has no `course_id`.
    pub(super) fn of(record: &CurriculumRecord) -> Self {
        match record.course_id {
            None => Self::Section,
            Some(id) => Self::Entry(id, record.course_kind.unwrap_or(ActivityKind::Scorm)),
        }
    }

    fn describe(self) -> String {
        match self {
            Self::Section => "a section".to_owned(),
            Self::Entry(_, ActivityKind::Scorm) => "an activity".to_owned(),
            Self::Entry(id, ActivityKind::Course) => format!("course_id {id}, which is a path"),
        }
    }
}

/// The records an attribute that does not apply everywhere applies to: the one place where
/// applicability is decided (`docs/CURRICULUM.md`, "Which attributes apply where").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scope {
    /// Sections only.
    Sections,
    /// Every entry, whatever its activity.
    Entries,
    /// Entries of SCORM activities only.
    ScormEntries,
}

impl Scope {
    /// Whether the attribute applies to a record of `kind`.
    pub(super) fn covers(self, kind: Kind) -> bool {
        match (self, kind) {
            (Self::Sections, Kind::Section) => true,
            (Self::Entries, Kind::Entry(..)) => true,
            (Self::ScormEntries, Kind::Entry(_, ActivityKind::Scorm)) => true,
            (Self::Sections | Self::Entries | Self::ScormEntries, _) => false,
        }
    }

    /// What the attribute is used for, in a message.
    fn describe(self) -> &'static str {
        match self {
            Self::Sections => "sections",
            Self::Entries => "activities",
            Self::ScormEntries => "SCORM activities",
        }
    }
}

/// Whether a section counts as non-optional (a missing mode is the default, `choice`).
pub(super) fn is_non_optional(section: &CurriculumRecord) -> bool {
    section.control_mode != Some(ControlMode::Optional)
}

/// `name` is not blank and at most [`MAX_NAME_CHARS`] characters.
pub(super) fn check_name(name: &str, errors: &mut Vec<CurriculumError>) {
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
    scope: Scope,
    kind: Kind,
    errors: &mut Vec<CurriculumError>,
) -> Option<Option<&'a T>> {
    let applies = scope.covers(kind);
    match patch {
        Patch::Absent => None,
        Patch::Null => applies.then_some(None),
        Patch::Value(v) if applies => Some(Some(v)),
        Patch::Value(_) => {
            errors.push(CurriculumError::NotApplicable {
                attribute,
                target: kind.describe(),
                applies_to: scope.describe(),
            });
            None
        }
    }
}

/// Applies the settable attributes of `input` to `record`, collecting every problem.
///
/// `entry_count` is the section's entry count (for `completions_min`); `name_fallback` is what
/// a null `name` means (an entry's activity name on Create), `None` when null is blank.
pub(super) fn apply(
    record: &mut CurriculumRecord,
    input: &RecordInput,
    kind: Kind,
    entry_count: usize,
    name_fallback: Option<&str>,
    errors: &mut Vec<CurriculumError>,
) {
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

    if let Some(v) = settable(&input.description, "description", Scope::Sections, kind, errors) {
        record.description = v.cloned();
    }
    if let Some(v) = settable(&input.lock_until, "lock_until", Scope::Sections, kind, errors) {
        record.lock_until = v.copied();
    }
    if let Some(v) = settable(&input.initial_view, "initial_view", Scope::Sections, kind, errors) {
        record.initial_view = Some(v.copied().unwrap_or(InitialView::Full));
    }
    if let Some(v) = settable(&input.control_mode, "control_mode", Scope::Sections, kind, errors) {
        record.control_mode = Some(v.copied().unwrap_or(ControlMode::Choice));
    }
    match settable(&input.completions_min, "completions_min", Scope::Sections, kind, errors) {
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
        Scope::Entries,
        kind,
        errors,
    ) {
        record.required_for_specified_control_mode = Some(v.copied().unwrap_or(false));
    }

    match settable(&input.weight, "weight", Scope::ScormEntries, kind, errors) {
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
        Scope::ScormEntries,
        kind,
        errors,
    ) {
        record.exempt_if_mastered = v.copied();
    }
    match settable(&input.attempts_max, "attempts_max", Scope::ScormEntries, kind, errors) {
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
        Scope::ScormEntries,
        kind,
        errors,
    ) {
        record.skip_interstitial_page = v.copied();
    }

    if kind == Kind::Section {
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

/// Immutable attributes may be sent back unchanged; a change is an error naming them.
pub(super) fn check_unchanged(current: &CurriculumRecord, input: &RecordInput, errors: &mut Vec<CurriculumError>) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curriculum::record::blank_record;
    use crate::ids::{RecordId, TenantId};
    use chrono::TimeZone;

    const SCORM: Kind = Kind::Entry(ActivityId(2), ActivityKind::Scorm);
    const PATH_ENTRY: Kind = Kind::Entry(ActivityId(3), ActivityKind::Course);

    #[test]
    fn each_scope_covers_exactly_its_records() {
        let table = [
            (Scope::Sections, [true, false, false]),
            (Scope::Entries, [false, true, true]),
            (Scope::ScormEntries, [false, true, false]),
        ];
        for (scope, covers) in table {
            let actual = [Kind::Section, SCORM, PATH_ENTRY].map(|kind| scope.covers(kind));
            assert_eq!(actual, covers, "{scope:?}");
        }
    }

    #[test]
    fn a_record_without_course_id_is_a_section() {
        let now = Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap();
        let mut record = blank_record(RecordId(1), ActivityId(1), TenantId(9), now);
        assert_eq!(Kind::of(&record), Kind::Section);
        record.course_id = Some(ActivityId(3));
        record.course_kind = Some(ActivityKind::Course);
        assert_eq!(Kind::of(&record), PATH_ENTRY);
        record.course_id = Some(ActivityId(2));
        record.course_kind = Some(ActivityKind::Scorm);
        assert_eq!(Kind::of(&record), SCORM);
    }

    #[test]
    fn null_is_ignored_where_an_attribute_does_not_apply_and_a_value_refused() {
        let mut errors = Vec::new();
        let null: Patch<i32> = Patch::Null;
        assert_eq!(
            settable(&null, "weight", Scope::ScormEntries, Kind::Section, &mut errors),
            None
        );
        assert_eq!(
            settable(&null, "weight", Scope::ScormEntries, SCORM, &mut errors),
            Some(None)
        );
        assert!(errors.is_empty());
        let one = Patch::Value(1);
        assert_eq!(
            settable(&one, "weight", Scope::ScormEntries, SCORM, &mut errors),
            Some(Some(&1))
        );
        assert_eq!(
            settable(&one, "weight", Scope::ScormEntries, PATH_ENTRY, &mut errors),
            None
        );
        assert_eq!(
            errors.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["weight does not apply to course_id 3, which is a path; it is used only for SCORM activities"]
        );
    }
}
