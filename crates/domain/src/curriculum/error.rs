//! Why a curriculum operation was refused, and why stored records were not loaded.

use crate::ids::{ActivityId, RecordId};
use std::fmt;

/// One reason a curriculum operation was refused; its message names the attribute and the problem.
///
/// The v2 API answers 422 with every message of a [`CurriculumErrors`], except
/// [`CurriculumError::RecordNotFound`] (the id in the URL), which is a 404.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CurriculumError {
    /// The activity is already an entry of this path.
    #[error("course_id {0} is already in this path")]
    DuplicateActivity(ActivityId),
    /// A path cannot contain itself.
    #[error("course_id {0} is this path itself; an activity cannot contain itself")]
    ContainsItself(ActivityId),
    /// The path has no section to append to.
    #[error("path {0} has no section")]
    NoSection(ActivityId),
    /// v2 Create refuses a path (course activity) as an entry.
    #[error("course_id {0} can not be a path")]
    CourseIsPath(ActivityId),
    /// The referenced activity does not exist in the tenant.
    #[error("course_id {0} does not exist")]
    CourseNotFound(ActivityId),
    /// The record to change is not in this path (a 404 for the v2 API).
    #[error("curriculum activity {0} does not exist")]
    RecordNotFound(RecordId),
    /// The new record's id is already taken (an id-allocation bug in the caller).
    #[error("id {0} is already used by another record of this path")]
    IdInUse(RecordId),
    /// `parent_id` names no record of this path.
    #[error("parent_id {0} is not a section of this path")]
    ParentNotFound(RecordId),
    /// `parent_id` names an entry.
    #[error("parent_id {0} is an activity, not a section; activities can only be put in sections")]
    ParentNotSection(RecordId),
    /// A section was given a `parent_id`.
    #[error("parent_id must be empty for a section; give course_id as well to add an activity to a section")]
    ParentWithoutCourse,
    /// A required attribute is missing or blank.
    #[error("{attribute} can't be blank")]
    Blank {
        /// The attribute.
        attribute: &'static str,
    },
    /// A text is longer than allowed.
    #[error("{attribute} is too long (maximum is {max} characters)")]
    TooLong {
        /// The attribute.
        attribute: &'static str,
        /// Maximum length in characters.
        max: usize,
    },
    /// A value that cannot be read or is out of range.
    #[error("{attribute} {problem}")]
    Invalid {
        /// The attribute.
        attribute: &'static str,
        /// What is wrong, e.g. `must be greater than or equal to 0`.
        problem: String,
    },
    /// A non-null value for an attribute that does not apply to this kind of record.
    #[error("{attribute} does not apply to {target}; it is used only for {applies_to}")]
    NotApplicable {
        /// The attribute.
        attribute: &'static str,
        /// The record it was sent for, e.g. `a section`.
        target: String,
        /// Which records it applies to, e.g. `sections`.
        applies_to: &'static str,
    },
    /// An immutable attribute sent with a value other than its current one.
    #[error("{attribute} can not be changed{hint}")]
    Immutable {
        /// The attribute.
        attribute: &'static str,
        /// Extra advice, starting with `; ` when present.
        hint: &'static str,
    },
    /// An attribute the API never sets, given a non-null value on Create.
    #[error("{attribute} can not be set through the API")]
    ReadOnly {
        /// The attribute.
        attribute: &'static str,
    },
    /// An update tried to give a section a `course_id` or `parent_id`.
    #[error("a section can't be changed into an activity")]
    SectionToEntry,
    /// An update tried to clear an entry's `course_id` or `parent_id`.
    #[error("an activity can't be changed into a section")]
    EntryToSection,
    /// `completions_min` given for a section whose mode is not `choice`.
    #[error("completions_min can only be set when control_mode is choice")]
    CompletionsMinNeedsChoice,
    /// `completions_min` larger than the section's entry count.
    #[error("completions_min must be less than or equal to {count}, the number of activities in the section")]
    CompletionsMinAboveCount {
        /// Entries in the section.
        count: usize,
    },
    /// Destroying the section, or making it optional, would leave no non-optional section.
    #[error(
        "section {0} is the last non-optional section of this path; a path must have at least one non-optional section"
    )]
    LastNonOptionalSection(RecordId),
    /// A record moved relative to itself.
    #[error("target_id can not be the record being moved")]
    MoveOntoItself,
    /// `target_id` names no record of this path.
    #[error("target_id {0} is not a record of this path")]
    TargetNotFound(RecordId),
    /// A section moved above or below an entry.
    #[error("target_id {0} is an activity; a section can only be moved above or below another section")]
    SectionTargetNotSection(RecordId),
    /// A section moved inside another record.
    #[error("orientation inside can not be used to move a section; sections are not nested")]
    SectionInside,
    /// An entry moved above or below a section.
    #[error(
        "target_id {0} is a section; an activity can only be moved above or below another activity, or inside an empty section"
    )]
    EntryTargetNotEntry(RecordId),
    /// An entry moved inside an entry.
    #[error("target_id {0} is an activity; an activity can only be moved inside a section")]
    InsideEntry(RecordId),
    /// An entry moved inside a section that has entries.
    #[error(
        "target_id {target} is not an empty section (it holds {count} activities); move the activity above or below one of them"
    )]
    InsideNonEmpty {
        /// The section.
        target: RecordId,
        /// Its entry count.
        count: usize,
    },
    /// A body key that is not an attribute.
    #[error("{0} is not a curriculum_activity attribute")]
    UnknownAttribute(String),
    /// A problem of one record of a whole-path tree, at `at` (`sections[1].entries[0]`).
    #[error("{}", located(at, error))]
    At {
        /// Where in the tree.
        at: String,
        /// The problem there.
        error: Box<CurriculumError>,
    },
}

/// `sections[0].name can't be blank` when the message starts with the attribute, else
/// `sections[0]: …`.
fn located(at: &str, error: &CurriculumError) -> String {
    use CurriculumError as E;
    let leads_with_attribute = matches!(
        error,
        E::Blank { .. }
            | E::TooLong { .. }
            | E::Invalid { .. }
            | E::NotApplicable { .. }
            | E::Immutable { .. }
            | E::ReadOnly { .. }
            | E::UnknownAttribute(_)
            | E::CompletionsMinNeedsChoice
            | E::CompletionsMinAboveCount { .. }
            | E::ParentWithoutCourse
            | E::DuplicateActivity(_)
            | E::ContainsItself(_)
            | E::CourseIsPath(_)
            | E::CourseNotFound(_)
    );
    if leads_with_attribute {
        format!("{at}.{error}")
    } else {
        format!("{at}: {error}")
    }
}

impl CurriculumError {
    /// `Invalid` for `attribute`.
    pub fn invalid(attribute: &'static str, problem: impl Into<String>) -> Self {
        Self::Invalid {
            attribute,
            problem: problem.into(),
        }
    }
}

/// Every reason an operation was refused, in the order found (never empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurriculumErrors(pub Vec<CurriculumError>);

impl CurriculumErrors {
    /// The messages, as the v2 API returns them (a JSON array of strings).
    pub fn messages(&self) -> Vec<String> {
        self.0.iter().map(ToString::to_string).collect()
    }

    /// Whether the only problem is that the record to change does not exist (a 404).
    pub fn is_not_found(&self) -> bool {
        matches!(self.0.as_slice(), [CurriculumError::RecordNotFound(_)])
    }

    /// Whether `error` is among them.
    pub fn contains(&self, error: &CurriculumError) -> bool {
        self.0.contains(error)
    }
}

impl From<CurriculumError> for CurriculumErrors {
    fn from(error: CurriculumError) -> Self {
        Self(vec![error])
    }
}

impl fmt::Display for CurriculumErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.messages().join("; "))
    }
}

impl std::error::Error for CurriculumErrors {}

/// Stored records that do not form a valid curriculum.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("curriculum {curriculum} is corrupt: {problem}")]
pub struct CorruptCurriculum {
    /// The path.
    pub curriculum: ActivityId,
    /// What is wrong.
    pub problem: String,
}
