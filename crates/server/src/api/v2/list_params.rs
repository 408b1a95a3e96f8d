//! The List endpoints' parameters (`page`, `curriculum_activity[...]`, `course[...]`,
//! `activity[...]`, `audit_event[...]`) read into the typed queries of the use cases, with one
//! message per problem naming the parameter, in the order the API has always given them.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use curricula_domain::curriculum::InitialView;
use curricula_domain::{ActivityId, ActivityKind, ApiKeyId, RecordId};
use curricula_ports::{ActivityFilter, AuditFilter, DateRange, EventType, Nullable, RecordFilter, TimeRange};
use serde_json::{Map, Value};

/// Attributes `GET /api/v2/activities` filters on (`activity[...]`); `course[...]` filters of
/// the curriculum list accept the same.
const ACTIVITY_FILTERS: [&str; 5] = ["id", "name", "kind", "in_catalog", "parent_id"];

/// Filterable record attributes (`curriculum_activity[...]`).
const RECORD_FILTERS: [&str; 11] = [
    "id",
    "name",
    "parent_id",
    "lft",
    "rgt",
    "curriculum_id",
    "course_id",
    "updated_by",
    "updated_on",
    "lock_until",
    "initial_view",
];

/// Filterable audit event attributes (`audit_event[...]`).
const AUDIT_FILTERS: [&str; 5] = [
    "created_at",
    "action",
    "activity_id",
    "curriculum_activity_id",
    "api_key_id",
];

/// Refuses every parameter but `api_key`, `page`, `format` and the list's filter groups.
pub(crate) fn known_parameters(params: &Map<String, Value>, groups: &[&str], problems: &mut Vec<String>) {
    for key in params.keys() {
        if !matches!(key.as_str(), "api_key" | "page" | "format") && !groups.contains(&key.as_str()) {
            problems.push(format!("{key} is not a known parameter"));
        }
    }
}

/// `GET /api/v2/curriculum_activities`: the filter and the page number.
///
/// # Errors
/// Every problem, one message each.
pub fn records(params: &Map<String, Value>) -> Result<(RecordFilter, usize), Vec<String>> {
    let mut problems = Vec::new();
    known_parameters(params, &["curriculum_activity", "course"], &mut problems);
    let record_filters = filters(params, "curriculum_activity", &RECORD_FILTERS, &mut problems);
    let course_filters = filters(params, "course", &ACTIVITY_FILTERS, &mut problems);
    let course = activity_filter("course", &course_filters, &mut problems);
    let page = page(params, &mut problems);
    let mut filter = RecordFilter {
        course,
        ..RecordFilter::default()
    };
    if let Some((_, v)) = record_filters.iter().find(|(k, _)| k == "curriculum_id")
        && v.trim().parse::<i64>().is_err()
    {
        problems.push(format!("curriculum_activity[curriculum_id] {v:?} is not an integer"));
    }
    for (key, value) in &record_filters {
        if let Err(e) = record_filter(&mut filter, key, value) {
            problems.push(format!("curriculum_activity[{key}] {e}"));
        }
    }
    if problems.is_empty() {
        Ok((filter, page))
    } else {
        Err(problems)
    }
}

/// Sets one `curriculum_activity[key]` filter.
fn record_filter(filter: &mut RecordFilter, key: &str, raw: &str) -> Result<(), String> {
    let value = raw.trim();
    match key {
        "updated_on" => {
            let (from, to) = range(raw)?;
            filter.updated_on = Some(TimeRange { from, to });
        }
        "lock_until" if value.is_empty() => filter.lock_until = Some(Nullable::Null),
        "lock_until" => {
            let (from, to) = range(raw)?;
            filter.lock_until = Some(Nullable::Is(DateRange {
                from: from.date_naive(),
                to: to.date_naive(),
            }));
        }
        "id" => filter.id = Some(RecordId(id(raw)?)),
        "curriculum_id" => filter.curriculum_id = Some(ActivityId(id(raw)?)),
        "lft" => filter.lft = Some(bound(raw)?),
        "rgt" => filter.rgt = Some(bound(raw)?),
        "parent_id" => filter.parent_id = Some(nullable_id(raw)?.map(RecordId)),
        "course_id" => filter.course_id = Some(nullable_id(raw)?.map(ActivityId)),
        "updated_by" => filter.updated_by = Some(nullable_id(raw)?),
        "initial_view" if value.is_empty() => filter.initial_view = Some(Nullable::Null),
        "initial_view" => {
            let view = InitialView::parse(value).map_err(|_| format!("{raw:?} is not collapsed or full"))?;
            filter.initial_view = Some(Nullable::Is(view));
        }
        _ => filter.name = Some(value.to_owned()),
    }
    Ok(())
}

/// An integer filter value.
pub(crate) fn id(raw: &str) -> Result<i64, String> {
    integer(raw, false)?;
    raw.trim().parse().map_err(|_| format!("{raw:?} is not an integer"))
}

/// A nested-set bound (`lft`, `rgt`).
fn bound(raw: &str) -> Result<i32, String> {
    integer(raw, false)?;
    raw.trim().parse().map_err(|_| format!("{raw:?} is not an integer"))
}

/// An integer filter value, or empty for null.
fn nullable_id(raw: &str) -> Result<Nullable<i64>, String> {
    integer(raw, true)?;
    if raw.trim().is_empty() {
        Ok(Nullable::Null)
    } else {
        id(raw).map(Nullable::Is)
    }
}

/// The `activity[...]` or `course[...]` filters; a value that is not of the attribute's type
/// (`kind=x`, `in_catalog=maybe`, `id=abc`) is a problem, not an empty page.
fn activity_filter(group: &str, filters: &[(String, String)], problems: &mut Vec<String>) -> ActivityFilter {
    let mut filter = ActivityFilter::default();
    for (key, raw) in filters {
        let value = raw.trim();
        let problem = match key.as_str() {
            "kind" => match ActivityKind::parse(value) {
                Ok(kind) => {
                    filter.kind = Some(kind);
                    None
                }
                Err(_) => Some("must be scorm or course".to_owned()),
            },
            "in_catalog" => match parse_bool(value) {
                Some(b) => {
                    filter.in_catalog = Some(b);
                    None
                }
                None => Some("must be true or false".to_owned()),
            },
            "id" => id(raw).map(|id| filter.id = Some(ActivityId(id))).err(),
            "parent_id" => nullable_id(raw)
                .map(|p| filter.parent_id = Some(p.map(ActivityId)))
                .err(),
            _ => {
                filter.name = Some(value.to_owned());
                None
            }
        };
        if let Some(problem) = problem {
            problems.push(format!("{group}[{key}] {problem}"));
        }
    }
    filter
}

/// `GET /api/v2/activities`: the filter and the page number.
///
/// # Errors
/// Every problem, one message each.
pub fn activities(params: &Map<String, Value>) -> Result<(ActivityFilter, usize), Vec<String>> {
    let mut problems = Vec::new();
    known_parameters(params, &["activity"], &mut problems);
    let filters = filters(params, "activity", &ACTIVITY_FILTERS, &mut problems);
    let filter = activity_filter("activity", &filters, &mut problems);
    let page = page(params, &mut problems);
    if problems.is_empty() {
        Ok((filter, page))
    } else {
        Err(problems)
    }
}

/// The audit trail's actions, in the docs' order.
pub fn audit_actions() -> Vec<&'static str> {
    EventType::ALL.iter().filter_map(|t| t.audit_action()).collect()
}

/// `GET /api/v2/audit_events`: the filter and the page number.
///
/// # Errors
/// Every problem, one message each.
pub fn audit_events(params: &Map<String, Value>) -> Result<(AuditFilter, usize), Vec<String>> {
    let mut problems = Vec::new();
    known_parameters(params, &["audit_event"], &mut problems);
    let mut filter = AuditFilter::default();
    for (key, value) in filters(params, "audit_event", &AUDIT_FILTERS, &mut problems) {
        let value = value.trim();
        let id = |problems: &mut Vec<String>| match value.parse::<i64>() {
            Ok(id) if id > 0 => Some(id),
            _ => {
                problems.push(format!("audit_event[{key}] {value:?} is not a positive integer"));
                None
            }
        };
        match key.as_str() {
            "created_at" => match range(value) {
                Ok((since, until)) => {
                    filter.since = Some(since);
                    filter.until = Some(until);
                }
                Err(e) => problems.push(format!("audit_event[created_at] {e}")),
            },
            "action" => match EventType::from_audit_action(value) {
                Some(kind) => filter.kind = Some(kind),
                None => problems.push(format!(
                    "audit_event[action] {value:?} is not an action; actions are {}",
                    audit_actions().join(", ")
                )),
            },
            "activity_id" => filter.activity = id(&mut problems).map(ActivityId),
            "curriculum_activity_id" => filter.record = id(&mut problems).map(RecordId),
            _ => filter.api_key = id(&mut problems).map(ApiKeyId),
        }
    }
    let page = page(params, &mut problems);
    if problems.is_empty() {
        Ok((filter, page))
    } else {
        Err(problems)
    }
}

/// A scalar parameter as text (numbers and booleans as written); `None` for a hash or a list.
pub(crate) fn as_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Reads a boolean the way Rails does (`true`/`1`/`t`/`yes`, `false`/`0`/`f`/`no`).
fn parse_bool(raw: &str) -> Option<bool> {
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
        // A page number is a positive 64-bit signed integer, as the API describes it.
        Some(v) => match as_text(v).and_then(|t| t.trim().parse::<i64>().ok()) {
            Some(p) if p >= 1 => usize::try_from(p).unwrap_or(usize::MAX),
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
fn integer(raw: &str, empty_ok: bool) -> Result<(), String> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn params(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn audit_filters_are_read_and_bad_ones_named() {
        let (filter, page) = audit_events(&params(serde_json::json!({
            "page": "2",
            "audit_event": { "action": "package.replace", "activity_id": "5", "created_at": "2026-11-01,2026-11-30" }
        })))
        .unwrap();
        assert_eq!(page, 2);
        assert_eq!(filter.kind, Some(EventType::PackageReplaced));
        assert_eq!(filter.activity, Some(ActivityId(5)));
        assert_eq!(filter.since, Some(Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap()));
        assert_eq!(
            filter.until.map(|t| t.date_naive()),
            NaiveDate::from_ymd_opt(2026, 11, 30)
        );
        let problems = audit_events(&params(serde_json::json!({
            "audit_event": { "action": "nope", "activity_id": "x", "created_at": "soon" },
            "sort": "id"
        })))
        .unwrap_err();
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert_eq!(problems[0], "sort is not a known parameter");
    }

    #[test]
    fn record_filters_are_typed() {
        let (filter, page) = records(&params(serde_json::json!({
            "curriculum_activity": {
                "id": "7", "name": " Quiz ", "parent_id": "", "course_id": "12", "lft": "2",
                "updated_on": "2026-11-24", "lock_until": "", "initial_view": "collapsed", "updated_by": "3"
            },
            "course": { "kind": "course", "in_catalog": "true", "parent_id": "" }
        })))
        .unwrap();
        assert_eq!(page, 1);
        assert_eq!(filter.id, Some(RecordId(7)));
        assert_eq!(filter.name.as_deref(), Some("Quiz"));
        assert_eq!(filter.parent_id, Some(Nullable::Null));
        assert_eq!(filter.course_id, Some(Nullable::Is(ActivityId(12))));
        assert_eq!(filter.lft, Some(2));
        assert_eq!(filter.updated_by, Some(Nullable::Is(3)));
        assert_eq!(filter.lock_until, Some(Nullable::Null));
        assert_eq!(filter.initial_view, Some(Nullable::Is(InitialView::Collapsed)));
        let day = filter.updated_on.unwrap();
        assert_eq!(day.from, Utc.with_ymd_and_hms(2026, 11, 24, 0, 0, 0).unwrap());
        assert_eq!(
            day.to.date_naive(),
            day.from.date_naive(),
            "a date-only bound covers the day"
        );
        assert_eq!(filter.course.kind, Some(ActivityKind::Course));
        assert_eq!(filter.course.in_catalog, Some(true));
        assert_eq!(filter.course.parent_id, Some(Nullable::Null));
    }

    #[test]
    fn bad_record_filters_are_named_in_order() {
        let problems = records(&params(serde_json::json!({
            "sort": "x",
            "page": "0",
            "curriculum_activity": { "colour": "red", "curriculum_id": "abc", "updated_on": "soon", "initial_view": "wide" },
            "course": { "kind": "book" }
        })))
        .unwrap_err();
        assert_eq!(problems[0], "sort is not a known parameter");
        assert!(
            problems[1].starts_with("curriculum_activity[colour] is not a filter"),
            "{problems:?}"
        );
        assert_eq!(problems[2], "course[kind] must be scorm or course");
        assert_eq!(problems[3], "page must be a positive integer");
        assert_eq!(
            problems[4],
            "curriculum_activity[curriculum_id] \"abc\" is not an integer"
        );
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with("curriculum_activity[updated_on] \"soon\"")),
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .any(|p| p == "curriculum_activity[initial_view] \"wide\" is not collapsed or full")
        );
    }
}
