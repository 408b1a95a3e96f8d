//! What a v2 request asks to set: every attribute absent, null, or a value. The server reads
//! the request's parameters into a [`RecordInput`]; this module knows nothing of the wire.

use super::error::CurriculumError;
use super::record::{ControlMode, InitialView};
use crate::ids::{ActivityId, RecordId, TenantId};
use chrono::{DateTime, NaiveDate, Utc};
use std::fmt;

/// One attribute of a request: not sent, sent as null, or sent with a value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Patch<T> {
    /// Not in the request: left as it is (or defaulted on Create).
    #[default]
    Absent,
    /// Sent as null (or, for non-text attributes, as an empty string).
    Null,
    /// Sent with this value.
    Value(T),
}

impl<T> Patch<T> {
    /// Whether the attribute was not sent.
    pub fn is_absent(&self) -> bool {
        matches!(self, Self::Absent)
    }

    /// The value, if one was sent.
    pub fn value(&self) -> Option<&T> {
        match self {
            Self::Value(v) => Some(v),
            _ => None,
        }
    }

    /// `None` when absent, else what was sent (`Some(None)` for null).
    pub fn sent(&self) -> Option<Option<&T>> {
        match self {
            Self::Absent => None,
            Self::Null => Some(None),
            Self::Value(v) => Some(Some(v)),
        }
    }

    /// Transforms the value.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Patch<U> {
        match self {
            Self::Absent => Patch::Absent,
            Self::Null => Patch::Null,
            Self::Value(v) => Patch::Value(f(v)),
        }
    }
}

impl<T> From<Option<T>> for Patch<T> {
    /// `None` is null, `Some` a value.
    fn from(value: Option<T>) -> Self {
        value.map_or(Self::Null, Self::Value)
    }
}

/// The attributes of a v2 Create or Update body (`curriculum_activity[...]`).
///
/// The read-only and immutable ones are here so that a record sent back unchanged is accepted
/// and a changed one is refused with a message naming it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordInput {
    /// `id` (immutable; may be echoed on Update).
    pub id: Patch<RecordId>,
    /// `curriculum_id` (chooses the path on Create; immutable).
    pub curriculum_id: Patch<ActivityId>,
    /// `course_id` (an entry's activity on Create; immutable).
    pub course_id: Patch<ActivityId>,
    /// `parent_id` (an entry's section on Create; immutable, see `move_record`).
    pub parent_id: Patch<RecordId>,
    /// `lft` (read-only).
    pub lft: Patch<i32>,
    /// `rgt` (read-only).
    pub rgt: Patch<i32>,
    /// `account_id` (read-only).
    pub account_id: Patch<TenantId>,
    /// `updated_by` (read-only).
    pub updated_by: Patch<i64>,
    /// `updated_on` (read-only).
    pub updated_on: Patch<DateTime<Utc>>,
    /// `name`.
    pub name: Patch<String>,
    /// `due_days`.
    pub due_days: Patch<i32>,
    /// `weight` (SCORM entries).
    pub weight: Patch<i32>,
    /// `exempt_if_mastered` (SCORM entries).
    pub exempt_if_mastered: Patch<bool>,
    /// `description` (sections).
    pub description: Patch<String>,
    /// `lock_until` (sections).
    pub lock_until: Patch<NaiveDate>,
    /// `code`.
    pub code: Patch<String>,
    /// `initial_view` (sections).
    pub initial_view: Patch<InitialView>,
    /// `required_for_specified_control_mode` (entries).
    pub required_for_specified_control_mode: Patch<bool>,
    /// `skip_interstitial_page` (SCORM entries).
    pub skip_interstitial_page: Patch<bool>,
    /// `sequence_attributes[control_mode]` (sections).
    pub control_mode: Patch<ControlMode>,
    /// `sequence_attributes[completions_min]` (sections in `choice` mode).
    pub completions_min: Patch<i32>,
    /// `sequence_attributes[attempts_max]` (SCORM entries).
    pub attempts_max: Patch<i32>,
}

/// Longest `code`, in characters.
pub const MAX_CODE_CHARS: usize = 255;
/// Longest `description`, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 10_000;

impl ControlMode {
    /// Parses `sequence_attributes[control_mode]`: `flow`, `choice` or `optional`.
    ///
    /// # Errors
    /// Any other text, with a message naming `control_mode`.
    pub fn parse(raw: &str) -> Result<Self, CurriculumError> {
        match raw.trim() {
            "flow" => Ok(Self::Flow),
            "choice" => Ok(Self::Choice),
            "optional" => Ok(Self::Optional),
            other => Err(CurriculumError::invalid(
                "control_mode",
                format!("must be flow, choice or optional, not {other:?}"),
            )),
        }
    }

    /// The spelling used by the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Flow => "flow",
            Self::Choice => "choice",
            Self::Optional => "optional",
        }
    }
}

impl fmt::Display for ControlMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl InitialView {
    /// Parses `initial_view`: `collapsed` or `full`.
    ///
    /// # Errors
    /// Any other text, with a message naming `initial_view`.
    pub fn parse(raw: &str) -> Result<Self, CurriculumError> {
        match raw.trim() {
            "collapsed" => Ok(Self::Collapsed),
            "full" => Ok(Self::Full),
            other => Err(CurriculumError::invalid(
                "initial_view",
                format!("must be collapsed or full, not {other:?}"),
            )),
        }
    }

    /// The spelling used by the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Collapsed => "collapsed",
            Self::Full => "full",
        }
    }
}

impl fmt::Display for InitialView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where `update_position` puts a record relative to its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Orientation {
    /// Just before the target (a section before a section, an entry before an entry).
    Above,
    /// Just after the target.
    Below,
    /// As the only entry of the target, an empty section.
    Inside,
}

impl Orientation {
    /// Parses `orientation`: `above`, `below` or `inside`.
    ///
    /// # Errors
    /// Any other text, with a message naming `orientation`.
    pub fn parse(raw: &str) -> Result<Self, CurriculumError> {
        match raw.trim() {
            "above" => Ok(Self::Above),
            "below" => Ok(Self::Below),
            "inside" => Ok(Self::Inside),
            other => Err(CurriculumError::invalid(
                "orientation",
                format!("must be above, below or inside, not {other:?}"),
            )),
        }
    }

    /// The spelling used by the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Above => "above",
            Self::Below => "below",
            Self::Inside => "inside",
        }
    }
}
