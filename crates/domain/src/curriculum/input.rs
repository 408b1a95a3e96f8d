//! What a v2 request asks to set: every attribute absent, null, or a value, read the way a
//! Rails application reads parameters (numbers and booleans may arrive as strings).

use super::error::{CurriculumError, CurriculumErrors};
use super::record::{ControlMode, InitialView};
use crate::activity::MAX_NAME_CHARS;
use crate::ids::{ActivityId, RecordId, TenantId};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_json::{Map, Value};
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

const SEQUENCE_KEYS: [&str; 3] = ["control_mode", "completions_min", "attempts_max"];

impl RecordInput {
    /// Reads the `curriculum_activity` hash of a request. Numbers, ids and booleans may be
    /// strings; an empty string is null except for text attributes; the sequence attributes
    /// must be nested in `sequence_attributes`.
    ///
    /// # Errors
    /// One error per unreadable value or unknown key.
    pub fn from_json(attributes: &Map<String, Value>) -> Result<Self, CurriculumErrors> {
        let mut input = Self::default();
        let mut errors = Vec::new();
        // Sorted, so that the messages come in the same order whatever the map preserves.
        let mut keys: Vec<(&String, &Value)> = attributes.iter().collect();
        keys.sort_by_key(|(key, _)| *key);
        for (key, value) in keys {
            let result = match key.as_str() {
                "id" => read_int("id", value).map(|p| input.id = p.map(RecordId)),
                "curriculum_id" => read_int("curriculum_id", value).map(|p| input.curriculum_id = p.map(ActivityId)),
                "course_id" => read_int("course_id", value).map(|p| input.course_id = p.map(ActivityId)),
                "parent_id" => read_int("parent_id", value).map(|p| input.parent_id = p.map(RecordId)),
                "lft" => read_i32("lft", value).map(|p| input.lft = p),
                "rgt" => read_i32("rgt", value).map(|p| input.rgt = p),
                "account_id" => read_int("account_id", value).map(|p| input.account_id = p.map(TenantId)),
                "updated_by" => read_int("updated_by", value).map(|p| input.updated_by = p),
                "updated_on" => read_datetime("updated_on", value).map(|p| input.updated_on = p),
                "name" => read_text("name", value, MAX_NAME_CHARS, false).map(|p| input.name = p),
                "due_days" => read_i32("due_days", value).map(|p| input.due_days = p),
                "weight" => read_i32("weight", value).map(|p| input.weight = p),
                "exempt_if_mastered" => read_bool("exempt_if_mastered", value).map(|p| input.exempt_if_mastered = p),
                "description" => {
                    read_text("description", value, MAX_DESCRIPTION_CHARS, true).map(|p| input.description = p)
                }
                "lock_until" => read_date("lock_until", value).map(|p| input.lock_until = p),
                "code" => read_text("code", value, MAX_CODE_CHARS, false).map(|p| input.code = p),
                "initial_view" => {
                    read_parsed("initial_view", value, InitialView::parse).map(|p| input.initial_view = p)
                }
                "required_for_specified_control_mode" => read_bool("required_for_specified_control_mode", value)
                    .map(|p| input.required_for_specified_control_mode = p),
                "skip_interstitial_page" => {
                    read_bool("skip_interstitial_page", value).map(|p| input.skip_interstitial_page = p)
                }
                "sequence_attributes" => {
                    input.read_sequence(value, &mut errors);
                    Ok(())
                }
                other if SEQUENCE_KEYS.contains(&other) => Err(CurriculumError::invalid(
                    SEQUENCE_KEYS
                        .into_iter()
                        .find(|k| *k == other)
                        .unwrap_or("sequence_attributes"),
                    "must be nested in sequence_attributes",
                )),
                other => Err(CurriculumError::UnknownAttribute(other.to_owned())),
            };
            if let Err(e) = result {
                errors.push(e);
            }
        }
        if errors.is_empty() {
            Ok(input)
        } else {
            Err(CurriculumErrors(errors))
        }
    }

    fn read_sequence(&mut self, value: &Value, errors: &mut Vec<CurriculumError>) {
        let map = match value {
            Value::Null => return,
            Value::Object(map) => map,
            _ => {
                errors.push(CurriculumError::invalid(
                    "sequence_attributes",
                    "must be a hash of control_mode, completions_min and attempts_max",
                ));
                return;
            }
        };
        let mut keys: Vec<(&String, &Value)> = map.iter().collect();
        keys.sort_by_key(|(key, _)| *key);
        for (key, value) in keys {
            let result = match key.as_str() {
                "control_mode" => read_parsed("control_mode", value, ControlMode::parse).map(|p| self.control_mode = p),
                "completions_min" => read_i32("completions_min", value).map(|p| self.completions_min = p),
                "attempts_max" => read_i32("attempts_max", value).map(|p| self.attempts_max = p),
                other => Err(CurriculumError::UnknownAttribute(format!(
                    "sequence_attributes[{other}]"
                ))),
            };
            if let Err(e) = result {
                errors.push(e);
            }
        }
    }
}

/// A scalar as text (`"55"`, `55`, `true`), `None` for null; an error for arrays and hashes.
fn scalar_text(attribute: &'static str, value: &Value) -> Result<Option<String>, CurriculumError> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        Value::Array(_) | Value::Object(_) => Err(CurriculumError::invalid(attribute, "must be a single value")),
    }
}

/// Longest `code`, in characters.
pub const MAX_CODE_CHARS: usize = 255;
/// Longest `description`, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 10_000;

/// Text attributes keep an empty string as given; at most `max` characters, and no control or
/// bidirectional override characters (line breaks and tabs are fine when `multiline`).
fn read_text(
    attribute: &'static str,
    value: &Value,
    max: usize,
    multiline: bool,
) -> Result<Patch<String>, CurriculumError> {
    let text = scalar_text(attribute, value)?;
    if let Some(text) = &text {
        if text.chars().count() > max {
            return Err(CurriculumError::TooLong { attribute, max });
        }
        if let Some(problem) = crate::activity::text_problem(text, multiline) {
            return Err(CurriculumError::invalid(attribute, problem));
        }
    }
    Ok(text.into())
}

/// Non-text attributes: null or an empty (blank) string is null.
fn read_parsed<T>(
    attribute: &'static str,
    value: &Value,
    parse: impl FnOnce(&str) -> Result<T, CurriculumError>,
) -> Result<Patch<T>, CurriculumError> {
    match scalar_text(attribute, value)? {
        None => Ok(Patch::Null),
        Some(text) if text.trim().is_empty() => Ok(Patch::Null),
        Some(text) => parse(text.trim()).map(Patch::Value),
    }
}

fn read_int(attribute: &'static str, value: &Value) -> Result<Patch<i64>, CurriculumError> {
    read_parsed(attribute, value, |raw| {
        raw.parse::<i64>()
            .map_err(|_| CurriculumError::invalid(attribute, format!("must be an integer, not {raw:?}")))
    })
}

fn read_i32(attribute: &'static str, value: &Value) -> Result<Patch<i32>, CurriculumError> {
    read_parsed(attribute, value, |raw| {
        let n = raw
            .parse::<i64>()
            .map_err(|_| CurriculumError::invalid(attribute, format!("must be an integer, not {raw:?}")))?;
        i32::try_from(n).map_err(|_| {
            CurriculumError::invalid(
                attribute,
                format!("must be between {} and {}, not {n}", i32::MIN, i32::MAX),
            )
        })
    })
}

/// Booleans as Rails casts them, minus its "anything else is true".
fn read_bool(attribute: &'static str, value: &Value) -> Result<Patch<bool>, CurriculumError> {
    read_parsed(attribute, value, |raw| match raw.to_ascii_lowercase().as_str() {
        "true" | "t" | "1" | "on" | "yes" => Ok(true),
        "false" | "f" | "0" | "off" | "no" => Ok(false),
        _ => Err(CurriculumError::invalid(
            attribute,
            format!("must be true or false, not {raw:?}"),
        )),
    })
}

fn read_date(attribute: &'static str, value: &Value) -> Result<Patch<NaiveDate>, CurriculumError> {
    read_parsed(attribute, value, |raw| {
        NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .map_err(|_| CurriculumError::invalid(attribute, format!("must be a date such as 2026-11-24, not {raw:?}")))
    })
}

fn read_datetime(attribute: &'static str, value: &Value) -> Result<Patch<DateTime<Utc>>, CurriculumError> {
    read_parsed(attribute, value, |raw| {
        DateTime::parse_from_rfc3339(raw)
            .map(|d| d.with_timezone(&Utc))
            .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%d %H:%M:%S%.f").map(|d| d.and_utc()))
            .map_err(|_| {
                CurriculumError::invalid(
                    attribute,
                    format!("must be a datetime such as 2026-11-24T12:00:00Z or 2026-11-24 12:00:00, not {raw:?}"),
                )
            })
    })
}

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

/// Reads an id parameter such as `target_id` (`"40"` or `40`).
///
/// # Errors
/// When it is missing, null, blank or not an integer; the message names `field`.
pub fn parse_record_id(field: &'static str, value: Option<&Value>) -> Result<RecordId, CurriculumError> {
    match read_int(field, value.unwrap_or(&Value::Null))? {
        Patch::Value(id) => Ok(RecordId(id)),
        _ => Err(CurriculumError::Blank { attribute: field }),
    }
}
