//! What the player loads into scorm-again before the content starts.

use super::duration::format_duration;
use super::report::{CompletionStatus, Credit, LessonStatus, Mode, Score};
use super::rollup::Thresholds;
use super::state::{Entry, ScoState};
use super::version::ScormVersion;
use crate::learner::Success;
use serde_json::{Map, Value, json};

/// The learner, as the content sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Learner<'a> {
    /// `cmi.core.student_id` / `cmi.learner_id` (the username). scorm-again loads it
    /// unchecked (the standard's 1.2 identifier is 255 characters of ASCII).
    pub id: &'a str,
    /// `cmi.core.student_name` / `cmi.learner_name`, "Last, First"; loaded unchecked too.
    pub name: &'a str,
}

/// Everything of a launch besides the SCO's stored state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeedInput<'a> {
    /// Entry of this launch (see [`Entry::next`]).
    pub entry: Entry,
    /// The learner.
    pub learner: Learner<'a>,
    /// The item's thresholds from the manifest.
    pub thresholds: Thresholds,
    /// The item's `adlcp:datafromlms` (1.2) / `adlcp:dataFromLMS` (2004); empty if none.
    pub launch_data: &'a str,
    /// Whether the attempt counts.
    pub credit: Credit,
    /// How the SCO is opened.
    pub mode: Mode,
    /// SCORM 2004: the item's objective ids from the manifest (`imsss:primaryObjective` and
    /// `imsss:objective` `objectiveID`s), which the LMS initialises `cmi.objectives` with
    /// (as the SCORM 2004 RTE asks); ignored for 1.2.
    pub objectives: &'a [String],
}

/// Whether scorm-again takes `id` as a `cmi.objectives.n.id` (its `CMILongIdentifier`: 1 to
/// 4,000 characters, no line terminator); others are left out of the seed, since
/// `loadFromJSON` stops at the first value it refuses.
fn usable_objective_id(id: &str) -> bool {
    let length = id.encode_utf16().count();
    (1..=4000).contains(&length) && !id.chars().any(|c| matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}'))
}

/// A number as the data model writes it (`85`, `0.84`): Rust's shortest round-trip form, never
/// with an exponent.
fn number(value: f64) -> Value {
    Value::String(format!("{value}"))
}

/// Inserts `value` unless it is empty: scorm-again's `loadFromJSON` skips empty values anyway,
/// and every element starts empty.
fn put(map: &mut Map<String, Value>, key: &str, value: Value) {
    if value.as_str().is_some_and(|s| !s.is_empty()) || value.is_object() {
        map.insert(key.to_owned(), value);
    }
}

fn score_object(score: &Score, version: ScormVersion) -> Value {
    let mut map = Map::new();
    if version == ScormVersion::V2004
        && let Some(scaled) = score.scaled
    {
        put(&mut map, "scaled", number(scaled));
    }
    for (key, part) in [("raw", score.raw), ("min", score.min), ("max", score.max)] {
        if let Some(value) = part {
            put(&mut map, key, number(value));
        }
    }
    Value::Object(map)
}

/// The object the player passes to scorm-again's `loadFromJSON` (before `Initialize`) so that
/// the content reads back `entry`, location, suspend_data, launch_data, the statuses, score,
/// `total_time` (the server's sum), learner id and name, the thresholds (1.2
/// `student_data.mastery_score`; 2004 `scaled_passing_score`, `completion_threshold`), credit
/// and mode, and for 2004 the manifest's objective ids (`"objectives": [{"id": …}, …]`, which
/// `loadFromJSON` loads as `cmi.objectives.0.id`, …; what the content stored for them is not
/// kept, so a resume starts them again from their ids). scorm-again lets `loadFromJSON` set read-only elements before `Initialize`.
///
/// `state` is the SCO's state in the current attempt (`None` for a new attempt). Shape:
/// `{"cmi": {…}}`, values as strings; empty values and the statuses scorm-again starts with
/// (1.2 `not attempted`, 2004 `unknown`) are left out. `loadFromJSON` checks most values as
/// `SetValue` would and throws at the first bad one, leaving the rest unloaded: every value
/// here is one a commit was accepted with, and a threshold out of its range is left out (see
/// [`Thresholds::usable`]).
pub fn seed(version: ScormVersion, state: Option<&ScoState>, input: &SeedInput<'_>) -> Value {
    let text = |s: &str| Value::String(s.to_owned());
    let mut cmi = Map::new();
    let report = state.map(|s| &s.report);
    let total = state.map(|s| format_duration(version, s.total_seconds()));
    let thresholds = input.thresholds.usable(version);
    match version {
        ScormVersion::V12 => {
            let mut core = Map::new();
            put(&mut core, "student_id", text(input.learner.id));
            put(&mut core, "student_name", text(input.learner.name));
            put(&mut core, "credit", text(input.credit.as_str()));
            put(&mut core, "entry", text(input.entry.as_str()));
            put(&mut core, "lesson_mode", text(input.mode.as_str()));
            if let Some(report) = report {
                put(&mut core, "lesson_location", text(&report.location));
                if let Some(status) = report.lesson_status.filter(|s| *s != LessonStatus::NotAttempted) {
                    put(&mut core, "lesson_status", text(status.as_str()));
                }
                let score = score_object(&report.score, version);
                if score.as_object().is_some_and(|m| !m.is_empty()) {
                    core.insert("score".to_owned(), score);
                }
                put(&mut cmi, "suspend_data", text(&report.suspend_data));
            }
            if let Some(total) = total {
                put(&mut core, "total_time", Value::String(total));
            }
            cmi.insert("core".to_owned(), Value::Object(core));
            put(&mut cmi, "launch_data", text(input.launch_data));
            if let Some(mastery) = thresholds.mastery_score {
                cmi.insert("student_data".to_owned(), json!({"mastery_score": number(mastery)}));
            }
        }
        ScormVersion::V2004 => {
            put(&mut cmi, "learner_id", text(input.learner.id));
            put(&mut cmi, "learner_name", text(input.learner.name));
            put(&mut cmi, "credit", text(input.credit.as_str()));
            put(&mut cmi, "entry", text(input.entry.as_str()));
            put(&mut cmi, "mode", text(input.mode.as_str()));
            put(&mut cmi, "launch_data", text(input.launch_data));
            if let Some(report) = report {
                put(&mut cmi, "location", text(&report.location));
                put(&mut cmi, "suspend_data", text(&report.suspend_data));
                if let Some(status) = report.completion_status.filter(|s| *s != CompletionStatus::Unknown) {
                    put(&mut cmi, "completion_status", text(status.as_str()));
                }
                if let Some(status) = report.success_status.filter(|s| *s != Success::Unknown) {
                    put(&mut cmi, "success_status", text(status.as_str()));
                }
                if let Some(progress) = report.progress_measure {
                    put(&mut cmi, "progress_measure", number(progress));
                }
                let score = score_object(&report.score, version);
                if score.as_object().is_some_and(|m| !m.is_empty()) {
                    cmi.insert("score".to_owned(), score);
                }
            }
            if let Some(total) = total {
                put(&mut cmi, "total_time", Value::String(total));
            }
            if let Some(passing) = thresholds.mastery_score {
                put(&mut cmi, "scaled_passing_score", number(passing));
            }
            if let Some(threshold) = thresholds.completion_threshold {
                put(&mut cmi, "completion_threshold", number(threshold));
            }
            let objectives: Vec<Value> = input
                .objectives
                .iter()
                .filter(|id| usable_objective_id(id))
                .take(super::report::MAX_OBJECTIVES)
                .map(|id| json!({ "id": id }))
                .collect();
            if !objectives.is_empty() {
                cmi.insert("objectives".to_owned(), Value::Array(objectives));
            }
        }
    }
    json!({ "cmi": Value::Object(cmi) })
}
