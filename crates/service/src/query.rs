//! What the lists share: paging, `group[attribute]` filters, integer and date-range values.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde_json::{Map, Value};

/// Records per page of an unfiltered list.
pub const PAGE_SIZE: usize = 50;

fn as_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Reads a boolean the way Rails does (`true`/`1`/`t`/`yes`, `false`/`0`/`f`/`no`).
pub(crate) fn parse_bool(raw: &str) -> Option<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "t" | "yes" => Some(true),
        "false" | "0" | "f" | "no" => Some(false),
        _ => None,
    }
}

/// `page`, from 1.
pub(crate) fn page(params: &Map<String, Value>, problems: &mut Vec<String>) -> usize {
    match params.get("page") {
        None => 1,
        Some(v) => match as_text(v).and_then(|t| t.trim().parse::<usize>().ok()) {
            Some(p) if p >= 1 => p,
            _ => {
                problems.push("page must be a positive integer".into());
                1
            }
        },
    }
}

/// The `(attribute, value)` filters under `params[group]`, checking names against `known`.
pub(crate) fn filters(
    params: &Map<String, Value>,
    group: &str,
    known: &[&str],
    problems: &mut Vec<String>,
) -> Vec<(String, String)> {
    let Some(value) = params.get(group) else {
        return Vec::new();
    };
    let Value::Object(map) = value else {
        problems.push(format!("{group} must be a hash of filters"));
        return Vec::new();
    };
    let mut out = Vec::new();
    for (key, value) in map {
        if !known.contains(&key.as_str()) {
            problems.push(format!(
                "{group}[{key}] is not a filter; filters are {}",
                known.join(", ")
            ));
            continue;
        }
        match as_text(value) {
            Some(text) => out.push((key.clone(), text)),
            None => problems.push(format!("{group}[{key}] must be a single value")),
        }
    }
    out
}

/// Checks that a filter value is an integer (ASCII digits, optionally `-`), or empty when
/// `empty_ok` (the filter then matches null).
pub(crate) fn integer(raw: &str, empty_ok: bool) -> Result<(), String> {
    let text = raw.trim();
    let digits = text.strip_prefix('-').unwrap_or(text);
    if (text.is_empty() && empty_ok)
        || (!digits.is_empty() && digits.len() <= 18 && digits.bytes().all(|b| b.is_ascii_digit()))
    {
        Ok(())
    } else {
        Err(format!("{raw:?} is not an integer"))
    }
}

/// `a` or `a,b` as an inclusive UTC range; a date-only upper bound includes that whole day.
pub(crate) fn range(raw: &str) -> Result<(DateTime<Utc>, DateTime<Utc>), String> {
    let mut parts = raw.split(',').map(str::trim);
    let first = parts.next().unwrap_or_default();
    let second = parts.next();
    if parts.next().is_some() {
        return Err(format!("{raw:?} is not a date, datetime or range a,b"));
    }
    let lo = instant(first, false)?;
    let hi = match second {
        Some(s) => instant(s, true)?,
        None if first.len() == 10 => instant(first, true)?,
        None => lo,
    };
    if hi < lo {
        return Err(format!("{raw:?} ends before it starts"));
    }
    Ok((lo, hi))
}

fn instant(raw: &str, end_of_day: bool) -> Result<DateTime<Utc>, String> {
    let bad = || format!("{raw:?} is not a date (YYYY-MM-DD) or datetime (YYYY-MM-DD HH:MM:SS)");
    if let Ok(date) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        let time = if end_of_day {
            NaiveTime::from_hms_micro_opt(23, 59, 59, 999_999)
        } else {
            NaiveTime::from_hms_opt(0, 0, 0)
        };
        return Ok(date.and_time(time.ok_or_else(bad)?).and_utc());
    }
    for format in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(raw, format) {
            return Ok(t.and_utc());
        }
    }
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| bad())
}
