//! The v2 edge: Rails-style parameters (see `curricula_params`) read into the typed inputs of
//! the use cases, with one message per problem naming the parameter.

use super::list_params::as_text;
use crate::http::error::ApiError;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use curricula_domain::curriculum::{
    ControlMode, CurriculumError, CurriculumErrors, InitialView, MAX_CODE_CHARS, MAX_DESCRIPTION_CHARS, Orientation,
    Patch, RecordInput,
};
use curricula_domain::{ActivityId, MAX_NAME_CHARS, RecordId, TenantId};
use serde_json::{Map, Value};

/// The attributes of a Create or Update: the `curriculum_activity` hash (other top-level
/// keys must be known), read into a [`RecordInput`].
///
/// # Errors
/// 422 naming every unknown parameter, else every unreadable attribute.
pub fn record(params: &Map<String, Value>) -> Result<RecordInput, ApiError> {
    Ok(record_input(&attributes(params)?)?)
}

/// The attributes of one record of a whole-path tree (`PUT /api/v2/curricula/{id}`), read
/// as a Create or Update body's `curriculum_activity` hash is.
///
/// # Errors
/// One error per unreadable value or unknown key.
pub fn record_attributes(attributes: &Map<String, Value>) -> Result<RecordInput, CurriculumErrors> {
    record_input(attributes)
}

/// Where Update Position moves the record: `target_id` and `orientation`, nothing else.
///
/// # Errors
/// 422 naming every unknown parameter, else the missing or unreadable ones.
pub fn position(params: &Map<String, Value>) -> Result<(RecordId, Orientation), ApiError> {
    let unknown: Vec<String> = params
        .keys()
        .filter(|k| !matches!(k.as_str(), "api_key" | "target_id" | "orientation" | "id" | "format"))
        .map(|k| format!("{k} is not a known parameter; update_position takes target_id and orientation"))
        .collect();
    if !unknown.is_empty() {
        return Err(ApiError::Unprocessable(unknown));
    }
    let target = parse_record_id("target_id", params.get("target_id"));
    let orientation = match params.get("orientation").and_then(as_text) {
        Some(raw) => Orientation::parse(&raw),
        None => Err(CurriculumError::invalid("orientation", "can't be blank")),
    };
    match (target, orientation) {
        (Ok(t), Ok(o)) => Ok((t, o)),
        (t, o) => Err(CurriculumErrors([t.err(), o.err()].into_iter().flatten().collect()).into()),
    }
}

/// The `curriculum_activity` hash; other top-level keys must be known.
fn attributes(params: &Map<String, Value>) -> Result<Map<String, Value>, ApiError> {
    let mut problems = Vec::new();
    for key in params.keys() {
        if !matches!(key.as_str(), "api_key" | "curriculum_activity" | "id" | "format") {
            problems.push(format!(
                "{key} is not a known parameter; attributes go in curriculum_activity"
            ));
        }
    }
    let attributes = match params.get("curriculum_activity") {
        Some(Value::Object(map)) => map.clone(),
        Some(_) => {
            problems.push("curriculum_activity must be a hash of attributes".into());
            Map::new()
        }
        None => {
            problems.push("curriculum_activity is required".into());
            Map::new()
        }
    };
    if problems.is_empty() {
        Ok(attributes)
    } else {
        Err(ApiError::Unprocessable(problems))
    }
}

const SEQUENCE_KEYS: [&str; 3] = ["control_mode", "completions_min", "attempts_max"];

/// Reads the `curriculum_activity` hash of a request. Numbers, ids and booleans may be
/// strings; an empty string is null except for text attributes; the sequence attributes
/// must be nested in `sequence_attributes`.
///
/// # Errors
/// One error per unreadable value or unknown key.
fn record_input(attributes: &Map<String, Value>) -> Result<RecordInput, CurriculumErrors> {
    let mut input = RecordInput::default();
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
            "initial_view" => read_parsed("initial_view", value, InitialView::parse).map(|p| input.initial_view = p),
            "required_for_specified_control_mode" => read_bool("required_for_specified_control_mode", value)
                .map(|p| input.required_for_specified_control_mode = p),
            "skip_interstitial_page" => {
                read_bool("skip_interstitial_page", value).map(|p| input.skip_interstitial_page = p)
            }
            "sequence_attributes" => {
                read_sequence(&mut input, value, &mut errors);
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

fn read_sequence(input: &mut RecordInput, value: &Value, errors: &mut Vec<CurriculumError>) {
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
            "control_mode" => read_parsed("control_mode", value, ControlMode::parse).map(|p| input.control_mode = p),
            "completions_min" => read_i32("completions_min", value).map(|p| input.completions_min = p),
            "attempts_max" => read_i32("attempts_max", value).map(|p| input.attempts_max = p),
            other => Err(CurriculumError::UnknownAttribute(format!(
                "sequence_attributes[{other}]"
            ))),
        };
        if let Err(e) = result {
            errors.push(e);
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
        if let Some(problem) = curricula_domain::text_problem(text, multiline) {
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

/// Reads an id parameter such as `target_id` (`"40"` or `40`).
///
/// # Errors
/// When it is missing, null, blank or not an integer; the message names `field`.
fn parse_record_id(field: &'static str, value: Option<&Value>) -> Result<RecordId, CurriculumError> {
    match read_int(field, value.unwrap_or(&Value::Null))? {
        Patch::Value(id) => Ok(RecordId(id)),
        _ => Err(CurriculumError::Blank { attribute: field }),
    }
}

#[cfg(test)]
mod parsing {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap()
    }

    fn parse(value: serde_json::Value) -> Result<RecordInput, Vec<String>> {
        record_input(value.as_object().unwrap()).map_err(|e| e.messages())
    }

    #[test]
    fn reads_rails_style_values() {
        let input = parse(json!({
            "curriculum_id": "55", "course_id": 10, "parent_id": "20", "name": "Quiz",
            "weight": "1", "exempt_if_mastered": "true", "skip_interstitial_page": 0,
            "required_for_specified_control_mode": false, "lock_until": "2027-01-31",
            "initial_view": "collapsed", "description": "", "code": null, "due_days": "",
            "updated_on": "2026-11-24T12:00:00.000Z",
            "sequence_attributes": { "control_mode": "optional", "completions_min": "2", "attempts_max": 3 }
        }))
        .unwrap();
        assert_eq!(input.curriculum_id, Patch::Value(ActivityId(55)));
        assert_eq!(input.course_id, Patch::Value(ActivityId(10)));
        assert_eq!(input.parent_id, Patch::Value(RecordId(20)));
        assert_eq!(input.weight, Patch::Value(1));
        assert_eq!(input.exempt_if_mastered, Patch::Value(true));
        assert_eq!(input.skip_interstitial_page, Patch::Value(false));
        assert_eq!(input.required_for_specified_control_mode, Patch::Value(false));
        assert_eq!(
            input.lock_until,
            Patch::Value(NaiveDate::from_ymd_opt(2027, 1, 31).unwrap())
        );
        assert_eq!(input.initial_view, Patch::Value(InitialView::Collapsed));
        assert_eq!(
            input.description,
            Patch::Value(String::new()),
            "text keeps an empty string"
        );
        assert_eq!(input.code, Patch::Null);
        assert_eq!(input.due_days, Patch::Null, "an empty number is null");
        assert_eq!(input.updated_on, Patch::Value(now()));
        assert_eq!(input.control_mode, Patch::Value(ControlMode::Optional));
        assert_eq!(input.completions_min, Patch::Value(2));
        assert_eq!(input.attempts_max, Patch::Value(3));
        assert!(input.lft.is_absent());
        let spaced = parse(json!({ "updated_on": "2026-11-24 12:00:00" })).unwrap();
        assert_eq!(spaced.updated_on, Patch::Value(now()));
    }

    #[test]
    fn refuses_what_it_can_not_read() {
        assert_eq!(
            parse(json!({
                "colour": "red", "control_mode": "flow", "weight": "heavy", "exempt_if_mastered": "maybe",
                "lock_until": "31/01/2027", "initial_view": "tiny", "due_days": 1e10, "name": ["a"],
                "sequence_attributes": { "control_mode": "fast", "speed": 1 }
            }))
            .unwrap_err(),
            [
                "colour is not a curriculum_activity attribute",
                "control_mode must be nested in sequence_attributes",
                "due_days must be an integer, not \"10000000000.0\"",
                "exempt_if_mastered must be true or false, not \"maybe\"",
                "initial_view must be collapsed or full, not \"tiny\"",
                "lock_until must be a date such as 2026-11-24, not \"31/01/2027\"",
                "name must be a single value",
                "control_mode must be flow, choice or optional, not \"fast\"",
                "sequence_attributes[speed] is not a curriculum_activity attribute",
                "weight must be an integer, not \"heavy\"",
            ]
        );
        assert_eq!(
            parse(json!({ "due_days": "9999999999", "sequence_attributes": "flow" })).unwrap_err(),
            [
                "due_days must be between -2147483648 and 2147483647, not 9999999999",
                "sequence_attributes must be a hash of control_mode, completions_min and attempts_max",
            ]
        );
    }

    #[test]
    fn parses_ids() {
        assert_eq!(parse_record_id("target_id", Some(&json!("40"))).unwrap(), RecordId(40));
        assert_eq!(parse_record_id("target_id", Some(&json!(40))).unwrap(), RecordId(40));
        assert_eq!(
            parse_record_id("target_id", None).unwrap_err().to_string(),
            "target_id can't be blank"
        );
        assert_eq!(
            parse_record_id("target_id", Some(&json!("x"))).unwrap_err().to_string(),
            "target_id must be an integer, not \"x\""
        );
    }

    #[test]
    fn reads_a_position_or_names_what_is_wrong() {
        let read = |v: serde_json::Value| position(v.as_object().unwrap());
        let ok = read(json!({ "target_id": "40", "orientation": "below", "api_key": "k" })).unwrap();
        assert_eq!(ok, (RecordId(40), Orientation::Below));
        let Err(ApiError::Unprocessable(messages)) = read(json!({ "orientation": ["x"] })) else {
            panic!("refused");
        };
        assert_eq!(messages, ["target_id can't be blank", "orientation can't be blank"]);
        let Err(ApiError::Unprocessable(messages)) = read(json!({ "target": 1 })) else {
            panic!("refused");
        };
        assert_eq!(
            messages,
            ["target is not a known parameter; update_position takes target_id and orientation"]
        );
    }
}
