//! What the content reported for one SCO in one commit, read from scorm-again's JSON.

use super::duration::{DurationError, parse_duration};
use super::version::ScormVersion;
use crate::learner::Success;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;

/// Longest `cmi.suspend_data` in every version, in characters (UTF-16 code units, as
/// JavaScript and scorm-again count). SCORM 1.2 itself says 4,096; scorm-again 3.4.3 allows
/// 64,000 there too, as Moodle and SCORM Cloud do.
pub const MAX_SUSPEND_DATA_CHARS: usize = 64_000;
/// Longest 1.2 `cmi.core.lesson_location` (`CMIString255`).
pub const MAX_LOCATION_CHARS_12: usize = 255;
/// Longest 2004 `cmi.location` (`characterstring (SPM: 1000)`).
pub const MAX_LOCATION_CHARS_2004: usize = 1000;
/// Most `cmi.interactions` entries in one commit. scorm-again sets no bound; this is four times
/// the 2004 standard's smallest permitted maximum (250), and far more than a 1 MiB body holds of
/// real interactions.
pub const MAX_INTERACTIONS: usize = 1000;
/// Most `cmi.objectives` entries in one commit (ten times the 2004 standard's 100).
pub const MAX_OBJECTIVES: usize = 1000;
/// Most entries of a list inside an interaction (`objectives`, `correct_responses`) or of
/// comments, `adl.data`.
const MAX_NESTED: usize = 250;
/// Longest 1.2 `cmi.comments` (`CMIString4096`).
const MAX_COMMENTS_12: usize = 4096;
/// No bound beyond the body's own size (read-only or free-text elements).
const ANY: usize = usize::MAX;

/// 1.2 `cmi.core.lesson_status` (`CMIStatus` with `not attempted`, which scorm-again renders
/// before the content sets a status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LessonStatus {
    /// `passed`.
    Passed,
    /// `completed`.
    Completed,
    /// `failed`.
    Failed,
    /// `incomplete`.
    Incomplete,
    /// `browsed`.
    Browsed,
    /// `not attempted`.
    #[serde(rename = "not attempted")]
    NotAttempted,
}

impl LessonStatus {
    fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "passed" => Self::Passed,
            "completed" => Self::Completed,
            "failed" => Self::Failed,
            "incomplete" => Self::Incomplete,
            "browsed" => Self::Browsed,
            "not attempted" => Self::NotAttempted,
            _ => return None,
        })
    }

    /// The data model's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Passed => "passed",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Incomplete => "incomplete",
            Self::Browsed => "browsed",
            Self::NotAttempted => "not attempted",
        }
    }
}

/// 2004 `cmi.completion_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CompletionStatus {
    /// `completed`.
    Completed,
    /// `incomplete`.
    Incomplete,
    /// `not attempted`.
    #[serde(rename = "not attempted")]
    NotAttempted,
    /// `unknown`.
    Unknown,
}

impl CompletionStatus {
    fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "completed" => Self::Completed,
            "incomplete" => Self::Incomplete,
            "not attempted" => Self::NotAttempted,
            "unknown" => Self::Unknown,
            _ => return None,
        })
    }

    /// The data model's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::Incomplete => "incomplete",
            Self::NotAttempted => "not attempted",
            Self::Unknown => "unknown",
        }
    }
}

/// How the content left the SCO (`cmi.core.exit` / `cmi.exit`); empty when it did not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Exit {
    /// The empty value.
    #[default]
    #[serde(rename = "")]
    None,
    /// `time-out`.
    TimeOut,
    /// `suspend`: the learner means to come back to this attempt.
    Suspend,
    /// `logout`.
    Logout,
    /// `normal` (2004 only; scorm-again writes 1.2's `normal` as empty).
    Normal,
}

impl Exit {
    fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "" => Self::None,
            "time-out" => Self::TimeOut,
            "suspend" => Self::Suspend,
            "logout" => Self::Logout,
            "normal" => Self::Normal,
            _ => return None,
        })
    }

    /// The data model's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "",
            Self::TimeOut => "time-out",
            Self::Suspend => "suspend",
            Self::Logout => "logout",
            Self::Normal => "normal",
        }
    }
}

/// Whether the attempt counts (`cmi.core.credit` / `cmi.credit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Credit {
    /// `credit` (also what an unseeded empty value means).
    #[default]
    Credit,
    /// `no-credit`.
    NoCredit,
}

impl Credit {
    /// The data model's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Credit => "credit",
            Self::NoCredit => "no-credit",
        }
    }
}

/// How the SCO was opened (`cmi.core.lesson_mode` / `cmi.mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// `normal` (also what an empty value means).
    #[default]
    Normal,
    /// `browse`.
    Browse,
    /// `review`.
    Review,
}

impl Mode {
    /// The data model's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Normal => "normal",
            Self::Browse => "browse",
            Self::Review => "review",
        }
    }
}

/// A reported score; each part is absent until the content sets it.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Score {
    /// `score.raw`.
    pub raw: Option<f64>,
    /// `score.min`.
    pub min: Option<f64>,
    /// `score.max`.
    pub max: Option<f64>,
    /// `score.scaled` (2004 only, −1..1).
    pub scaled: Option<f64>,
}

/// What one commit reported for one SCO: the whole state scorm-again holds (the player commits
/// with `sendFullCommit`, scorm-again's default), never a difference.
///
/// Text values are kept whole; an element that is empty or absent is "not set".
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Report {
    /// `cmi.core.lesson_location` / `cmi.location`.
    pub location: String,
    /// `cmi.suspend_data`.
    pub suspend_data: String,
    /// 1.2 `cmi.core.lesson_status`.
    pub lesson_status: Option<LessonStatus>,
    /// 2004 `cmi.completion_status`.
    pub completion_status: Option<CompletionStatus>,
    /// 2004 `cmi.success_status`.
    pub success_status: Option<Success>,
    /// `cmi.core.score` / `cmi.score`.
    pub score: Score,
    /// 2004 `cmi.progress_measure` (0..1).
    pub progress_measure: Option<f64>,
    /// `session_time`, in seconds.
    pub session_seconds: f64,
    /// `exit`.
    pub exit: Exit,
    /// `credit`, as seeded and echoed back.
    pub credit: Credit,
    /// `lesson_mode` / `mode`, as seeded and echoed back.
    pub mode: Mode,
    /// How many `cmi.interactions` entries.
    pub interactions: usize,
    /// How many `cmi.objectives` entries.
    pub objectives: usize,
}

/// What is wrong with one element of a commit.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CmiProblem {
    /// The name is not in the version's data model.
    #[error("not an element of the SCORM {0} data model")]
    NotAnElement(ScormVersion),
    /// A JSON value of the wrong kind.
    #[error("must be {0}")]
    WrongType(&'static str),
    /// Text longer than the element allows.
    #[error("is {length} characters long, at most {max}")]
    TooLong {
        /// Its length (UTF-16 code units).
        length: usize,
        /// The bound.
        max: usize,
    },
    /// A value outside the element's vocabulary.
    #[error("{value:?} is not one of {vocabulary}")]
    NotInVocabulary {
        /// The value, cut to 40 characters.
        value: String,
        /// The vocabulary, in words.
        vocabulary: String,
    },
    /// Not a decimal number (at most 10 digits before the point).
    #[error("{0:?} is not a decimal number")]
    NotANumber(String),
    /// A number outside the element's range.
    #[error("{value} is out of range ({min} to {max})")]
    OutOfRange {
        /// The value.
        value: f64,
        /// Lowest allowed.
        min: f64,
        /// Highest allowed.
        max: f64,
    },
    /// A bad `session_time`.
    #[error("{0}")]
    Duration(DurationError),
    /// A list with more entries than accepted.
    #[error("has {count} entries, at most {max}")]
    TooMany {
        /// How many were sent.
        count: usize,
        /// The bound.
        max: usize,
    },
}

/// Why a commit's `cmi` was refused: the element (`cmi.core.score.raw`), the problem, and the
/// SCORM error code the content gets back.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{element}: {problem}")]
pub struct CmiError {
    /// The element's dotted name.
    pub element: String,
    /// What is wrong.
    pub problem: CmiProblem,
    /// The error code, as scorm-again 3.4.3 uses them: 401 for an element not in the data
    /// model; 1.2: 405 for every bad value (1.2 has no out-of-range code); 2004: 406 type
    /// mismatch (wrong type, malformed, too long), 407 out of range.
    pub code: u16,
}

impl CmiError {
    fn new(version: ScormVersion, element: impl Into<String>, problem: CmiProblem) -> Self {
        let code = match (&problem, version) {
            (CmiProblem::NotAnElement(_), _) => 401,
            (_, ScormVersion::V12) => 405,
            (CmiProblem::OutOfRange { .. } | CmiProblem::TooMany { .. }, _) => 407,
            (_, ScormVersion::V2004) => 406,
        };
        Self {
            element: element.into(),
            problem,
            code,
        }
    }
}

/// How a leaf element is checked. Every check is at most as strict as scorm-again's own, so a
/// value it accepted is never refused here; read-only and free-text elements are only strings.
#[derive(Clone, Copy)]
enum Leaf {
    /// Any text of at most this many UTF-16 code units.
    Text(usize),
    /// One of these words (the empty value is always allowed).
    Vocab(&'static [&'static str]),
    /// A decimal number, optionally within a range.
    Decimal(Option<(f64, f64)>),
    /// A duration of the version.
    Timespan,
}

/// The named children of a group or of a list's entries.
type Fields = &'static [(&'static str, Node)];

/// One element of the data model: a value, a group of named children, or a list of entries.
#[derive(Clone, Copy)]
enum Node {
    Leaf(Leaf),
    Group(Fields),
    List(usize, Fields),
}

const fn text(max: usize) -> Node {
    Node::Leaf(Leaf::Text(max))
}
const fn vocab(words: &'static [&'static str]) -> Node {
    Node::Leaf(Leaf::Vocab(words))
}
const fn decimal(min: f64, max: f64) -> Node {
    Node::Leaf(Leaf::Decimal(Some((min, max))))
}
const DECIMAL: Node = Node::Leaf(Leaf::Decimal(None));
const TIMESPAN: Node = Node::Leaf(Leaf::Timespan);

const STATUS_12: &[&str] = &[
    "passed",
    "completed",
    "failed",
    "incomplete",
    "browsed",
    "not attempted",
];
const SCORE_12: &[(&str, Node)] = &[
    ("raw", decimal(0.0, 100.0)),
    ("min", decimal(0.0, 100.0)),
    ("max", decimal(0.0, 100.0)),
];
const INTERACTION_TYPES_12: &[&str] = &[
    "true-false",
    "choice",
    "fill-in",
    "matching",
    "performance",
    "sequencing",
    "likert",
    "numeric",
];
const IDS: &[(&str, Node)] = &[("id", text(ANY))];
const PATTERNS: &[(&str, Node)] = &[("pattern", text(ANY))];

/// The SCORM 1.2 `cmi` object as scorm-again 3.4.3 renders it.
const CMI_12: &[(&str, Node)] = &[
    ("suspend_data", text(MAX_SUSPEND_DATA_CHARS)),
    ("launch_data", text(ANY)),
    ("comments", text(MAX_COMMENTS_12)),
    ("comments_from_lms", text(ANY)),
    (
        "core",
        Node::Group(&[
            ("student_id", text(ANY)),
            ("student_name", text(ANY)),
            ("lesson_location", text(MAX_LOCATION_CHARS_12)),
            ("credit", text(ANY)),
            ("lesson_status", vocab(STATUS_12)),
            ("entry", text(ANY)),
            ("lesson_mode", text(ANY)),
            ("exit", vocab(&["time-out", "suspend", "logout"])),
            ("session_time", TIMESPAN),
            ("score", Node::Group(SCORE_12)),
            ("total_time", text(ANY)),
        ]),
    ),
    (
        "objectives",
        Node::List(
            MAX_OBJECTIVES,
            &[
                ("id", text(255)),
                ("status", vocab(STATUS_12)),
                ("score", Node::Group(SCORE_12)),
            ],
        ),
    ),
    (
        "student_data",
        Node::Group(&[
            ("mastery_score", text(ANY)),
            ("max_time_allowed", text(ANY)),
            ("time_limit_action", text(ANY)),
        ]),
    ),
    (
        "student_preference",
        Node::Group(&[
            ("audio", decimal(-1.0, 100.0)),
            ("language", text(255)),
            ("speed", decimal(-100.0, 100.0)),
            ("text", decimal(-1.0, 1.0)),
        ]),
    ),
    (
        "interactions",
        Node::List(
            MAX_INTERACTIONS,
            &[
                ("id", text(255)),
                ("time", text(ANY)),
                ("type", vocab(INTERACTION_TYPES_12)),
                ("weighting", text(ANY)),
                ("student_response", text(ANY)),
                ("result", text(ANY)),
                ("latency", text(ANY)),
                ("objectives", Node::List(MAX_NESTED, IDS)),
                ("correct_responses", Node::List(MAX_NESTED, PATTERNS)),
            ],
        ),
    ),
];

const COMPLETION_2004: &[&str] = &["completed", "incomplete", "not attempted", "unknown"];
const SUCCESS_2004: &[&str] = &["passed", "failed", "unknown"];
const SCORE_2004: &[(&str, Node)] = &[
    ("scaled", decimal(-1.0, 1.0)),
    ("raw", DECIMAL),
    ("min", DECIMAL),
    ("max", DECIMAL),
];
const COMMENTS_2004: &[(&str, Node)] = &[
    ("comment", text(ANY)),
    ("location", text(ANY)),
    ("timestamp", text(ANY)),
];
const INTERACTION_TYPES_2004: &[&str] = &[
    "true-false",
    "choice",
    "fill-in",
    "long-fill-in",
    "matching",
    "performance",
    "sequencing",
    "likert",
    "numeric",
    "other",
];

/// The SCORM 2004 `cmi` object as scorm-again 3.4.3 renders it.
const CMI_2004: &[(&str, Node)] = &[
    ("comments_from_learner", Node::List(MAX_NESTED, COMMENTS_2004)),
    ("comments_from_lms", Node::List(MAX_NESTED, COMMENTS_2004)),
    ("completion_status", vocab(COMPLETION_2004)),
    ("completion_threshold", text(ANY)),
    ("credit", text(ANY)),
    ("entry", text(ANY)),
    ("exit", vocab(&["time-out", "suspend", "logout", "normal"])),
    (
        "interactions",
        Node::List(
            MAX_INTERACTIONS,
            &[
                ("id", text(ANY)),
                ("type", vocab(INTERACTION_TYPES_2004)),
                ("objectives", Node::List(MAX_NESTED, IDS)),
                ("timestamp", text(ANY)),
                ("weighting", text(ANY)),
                ("learner_response", text(ANY)),
                ("result", text(ANY)),
                ("latency", text(ANY)),
                ("description", text(ANY)),
                ("correct_responses", Node::List(MAX_NESTED, PATTERNS)),
            ],
        ),
    ),
    ("launch_data", text(ANY)),
    ("learner_id", text(ANY)),
    ("learner_name", text(ANY)),
    (
        "learner_preference",
        Node::Group(&[
            ("audio_level", text(ANY)),
            ("language", text(ANY)),
            ("delivery_speed", text(ANY)),
            ("audio_captioning", text(ANY)),
        ]),
    ),
    ("location", text(MAX_LOCATION_CHARS_2004)),
    ("max_time_allowed", text(ANY)),
    ("mode", text(ANY)),
    (
        "objectives",
        Node::List(
            MAX_OBJECTIVES,
            &[
                ("id", text(ANY)),
                ("success_status", vocab(SUCCESS_2004)),
                ("completion_status", vocab(COMPLETION_2004)),
                ("progress_measure", decimal(0.0, 1.0)),
                ("description", text(ANY)),
                ("score", Node::Group(SCORE_2004)),
            ],
        ),
    ),
    ("progress_measure", decimal(0.0, 1.0)),
    ("scaled_passing_score", text(ANY)),
    ("score", Node::Group(SCORE_2004)),
    ("session_time", TIMESPAN),
    ("success_status", vocab(SUCCESS_2004)),
    ("suspend_data", text(MAX_SUSPEND_DATA_CHARS)),
    ("time_limit_action", text(ANY)),
    ("total_time", text(ANY)),
];

/// What scorm-again 2004 puts next to `cmi` in a commit: `adl.data` (shared data stores, when
/// the manifest declares them) and `adl.nav.request`.
const ADL_2004: &[(&str, Node)] = &[
    (
        "data",
        Node::List(MAX_NESTED, &[("id", text(ANY)), ("store", text(ANY))]),
    ),
    ("nav", Node::Group(&[("request", text(ANY))])),
];

/// Number of UTF-16 code units, the length JavaScript (and so scorm-again) gives a string.
fn js_length(text: &str) -> usize {
    text.chars().map(char::len_utf16).sum()
}

fn cut(text: &str) -> String {
    text.chars().take(40).collect()
}

/// A decimal as scorm-again's `CMIDecimal` accepts it: `-?`, at most 10 digits, an optional
/// fraction; at least one digit.
fn parse_decimal(raw: &str) -> Option<f64> {
    let unsigned = raw.strip_prefix('-').unwrap_or(raw);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if whole.len() > 10 || !all_digits(whole) || !all_digits(fraction) {
        return None;
    }
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    raw.parse::<f64>().ok().filter(|v| v.is_finite())
}

fn check_leaf(version: ScormVersion, leaf: Leaf, raw: &str) -> Result<(), CmiProblem> {
    if raw.is_empty() {
        return Ok(());
    }
    match leaf {
        Leaf::Text(max) => {
            let length = js_length(raw);
            if length > max {
                return Err(CmiProblem::TooLong { length, max });
            }
        }
        Leaf::Vocab(words) => {
            if !words.contains(&raw) {
                return Err(CmiProblem::NotInVocabulary {
                    value: cut(raw),
                    vocabulary: vocabulary_words(words),
                });
            }
        }
        Leaf::Decimal(range) => {
            let value = parse_decimal(raw).ok_or_else(|| CmiProblem::NotANumber(cut(raw)))?;
            if let Some((min, max)) = range
                && !(min..=max).contains(&value)
            {
                return Err(CmiProblem::OutOfRange { value, min, max });
            }
        }
        Leaf::Timespan => {
            parse_duration(version, raw).map_err(CmiProblem::Duration)?;
        }
    }
    Ok(())
}

/// The vocabulary in words, for messages.
fn vocabulary_words(words: &[&str]) -> String {
    let mut text: String = words.iter().map(|w| format!("{w:?}")).collect::<Vec<_>>().join(", ");
    text.push_str(" or empty");
    text
}

/// Checks `object` against the schema `fields`, walking the tree with an explicit stack (never
/// deeper than the data model, whatever the input).
fn check_tree(version: ScormVersion, root: &str, object: &Value, fields: Fields) -> Result<(), CmiError> {
    let mut stack: Vec<(String, &Value, Fields)> = vec![(root.to_owned(), object, fields)];
    while let Some((path, value, fields)) = stack.pop() {
        let Value::Object(map) = value else {
            return Err(CmiError::new(version, path, CmiProblem::WrongType("an object")));
        };
        for (key, child) in map {
            let element = format!("{path}.{key}");
            let Some((_, node)) = fields.iter().find(|(name, _)| name == key) else {
                return Err(CmiError::new(version, element, CmiProblem::NotAnElement(version)));
            };
            match (*node, child) {
                (_, Value::Null) => {}
                (Node::Leaf(leaf), Value::String(raw)) => {
                    check_leaf(version, leaf, raw).map_err(|problem| CmiError::new(version, element, problem))?;
                }
                (Node::Leaf(_), _) => {
                    return Err(CmiError::new(version, element, CmiProblem::WrongType("a string")));
                }
                (Node::Group(children), _) => stack.push((element, child, children)),
                (Node::List(max, children), _) => {
                    for (index, entry) in list_entries(version, &element, child, max)? {
                        stack.push((format!("{element}.{index}"), entry, children));
                    }
                }
            }
        }
    }
    Ok(())
}

/// The entries of a list element: an object keyed `0`, `1`, … as scorm-again renders it (or a
/// JSON array), at most `max` of them.
fn list_entries<'v>(
    version: ScormVersion,
    element: &str,
    value: &'v Value,
    max: usize,
) -> Result<Vec<(usize, &'v Value)>, CmiError> {
    let count = match value {
        Value::Object(map) => map.len(),
        Value::Array(items) => items.len(),
        _ => {
            return Err(CmiError::new(
                version,
                element,
                CmiProblem::WrongType("an object of numbered entries"),
            ));
        }
    };
    if count > max {
        return Err(CmiError::new(version, element, CmiProblem::TooMany { count, max }));
    }
    match value {
        Value::Object(map) => map
            .iter()
            .map(|(key, entry)| match key.parse::<usize>() {
                Ok(index) if index.to_string() == *key => Ok((index, entry)),
                _ => Err(CmiError::new(
                    version,
                    format!("{element}.{key}"),
                    CmiProblem::NotAnElement(version),
                )),
            })
            .collect(),
        Value::Array(items) => Ok(items.iter().enumerate().collect()),
        _ => Ok(Vec::new()),
    }
}

/// The text at `path` below `cmi` (empty when absent or null; checked to be a string already).
fn text_at<'v>(cmi: &'v Map<String, Value>, path: &[&str]) -> &'v str {
    let mut value = None;
    let mut map = Some(cmi);
    for key in path {
        value = map.and_then(|m| m.get(*key));
        map = value.and_then(Value::as_object);
    }
    value.and_then(Value::as_str).unwrap_or("")
}

fn number_at(cmi: &Map<String, Value>, path: &[&str]) -> Option<f64> {
    parse_decimal(text_at(cmi, path))
}

fn count_at(cmi: &Map<String, Value>, key: &str) -> usize {
    match cmi.get(key) {
        Some(Value::Object(map)) => map.len(),
        Some(Value::Array(items)) => items.len(),
        _ => 0,
    }
}

/// Reads what a commit reported: `commit` is the commit body's `cmi` member, which is what
/// scorm-again's `renderCommitCMI` returns with `dataCommitFormat: "json"`: `{"cmi": {…}}`
/// (2004 may add `adl` and `sharedData` beside it). The bare data-model object (the inner
/// `cmi`) is accepted as well.
///
/// Every element scorm-again renders for `version` is accepted (read-only ones are only
/// checked to be strings and are otherwise ignored); `total_time` is ignored, since the server
/// sums session times itself.
///
/// # Errors
/// The first element that is not in the data model, is not of the right JSON type, or holds a
/// value scorm-again itself would refuse (status outside its vocabulary, a score that is not a
/// number or out of range, a bad `session_time`, `location` or `suspend_data` over its limit),
/// or a list over its bound. Nothing is truncated.
pub fn read_report(version: ScormVersion, commit: &Value) -> Result<Report, CmiError> {
    let Value::Object(outer) = commit else {
        return Err(CmiError::new(version, "cmi", CmiProblem::WrongType("an object")));
    };
    let cmi_value = match outer.get("cmi") {
        Some(inner @ Value::Object(_)) => {
            for (key, value) in outer {
                match (key.as_str(), version) {
                    ("cmi", _) => {}
                    ("adl", ScormVersion::V2004) => check_tree(version, "adl", value, ADL_2004)?,
                    ("sharedData", ScormVersion::V2004) => check_shared_data(value)?,
                    _ => {
                        return Err(CmiError::new(version, key.clone(), CmiProblem::NotAnElement(version)));
                    }
                }
            }
            inner
        }
        _ => commit,
    };
    let fields = match version {
        ScormVersion::V12 => CMI_12,
        ScormVersion::V2004 => CMI_2004,
    };
    check_tree(version, "cmi", cmi_value, fields)?;
    let Value::Object(cmi) = cmi_value else {
        return Err(CmiError::new(version, "cmi", CmiProblem::WrongType("an object")));
    };
    Ok(extract(version, cmi))
}

/// `sharedData`: scorm-again's snapshot of writable shared data stores, id to text.
fn check_shared_data(value: &Value) -> Result<(), CmiError> {
    let version = ScormVersion::V2004;
    let Value::Object(map) = value else {
        return Err(CmiError::new(version, "sharedData", CmiProblem::WrongType("an object")));
    };
    if map.len() > MAX_NESTED {
        return Err(CmiError::new(
            version,
            "sharedData",
            CmiProblem::TooMany {
                count: map.len(),
                max: MAX_NESTED,
            },
        ));
    }
    match map.iter().find(|(_, v)| !v.is_string()) {
        Some((key, _)) => Err(CmiError::new(
            version,
            format!("sharedData.{key}"),
            CmiProblem::WrongType("a string"),
        )),
        None => Ok(()),
    }
}

/// Builds the report from a checked `cmi` object.
fn extract(version: ScormVersion, cmi: &Map<String, Value>) -> Report {
    let credit = |raw: &str| match raw {
        "no-credit" => Credit::NoCredit,
        _ => Credit::Credit,
    };
    let mode = |raw: &str| match raw {
        "browse" => Mode::Browse,
        "review" => Mode::Review,
        _ => Mode::Normal,
    };
    let session = |raw: &str| parse_duration(version, raw).unwrap_or(0.0);
    match version {
        ScormVersion::V12 => Report {
            location: text_at(cmi, &["core", "lesson_location"]).to_owned(),
            suspend_data: text_at(cmi, &["suspend_data"]).to_owned(),
            lesson_status: LessonStatus::parse(text_at(cmi, &["core", "lesson_status"])),
            completion_status: None,
            success_status: None,
            score: Score {
                raw: number_at(cmi, &["core", "score", "raw"]),
                min: number_at(cmi, &["core", "score", "min"]),
                max: number_at(cmi, &["core", "score", "max"]),
                scaled: None,
            },
            progress_measure: None,
            session_seconds: session(text_at(cmi, &["core", "session_time"])),
            exit: Exit::parse(text_at(cmi, &["core", "exit"])).unwrap_or_default(),
            credit: credit(text_at(cmi, &["core", "credit"])),
            mode: mode(text_at(cmi, &["core", "lesson_mode"])),
            interactions: count_at(cmi, "interactions"),
            objectives: count_at(cmi, "objectives"),
        },
        ScormVersion::V2004 => Report {
            location: text_at(cmi, &["location"]).to_owned(),
            suspend_data: text_at(cmi, &["suspend_data"]).to_owned(),
            lesson_status: None,
            completion_status: CompletionStatus::parse(text_at(cmi, &["completion_status"])),
            success_status: Success::parse(text_at(cmi, &["success_status"])),
            score: Score {
                raw: number_at(cmi, &["score", "raw"]),
                min: number_at(cmi, &["score", "min"]),
                max: number_at(cmi, &["score", "max"]),
                scaled: number_at(cmi, &["score", "scaled"]),
            },
            progress_measure: number_at(cmi, &["progress_measure"]),
            session_seconds: session(text_at(cmi, &["session_time"])),
            exit: Exit::parse(text_at(cmi, &["exit"])).unwrap_or_default(),
            credit: credit(text_at(cmi, &["credit"])),
            mode: mode(text_at(cmi, &["mode"])),
            interactions: count_at(cmi, "interactions"),
            objectives: count_at(cmi, "objectives"),
        },
    }
}

impl fmt::Display for Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
