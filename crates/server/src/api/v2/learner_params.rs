//! The users' and enrollments' parameters: the `user` and `enrollment` hashes of a write, and
//! the `user[...]` and `enrollment[...]` filters of a List, read into the use cases' typed
//! inputs with one message per problem naming the parameter.

use super::list_params::{as_text, filters, id, known_parameters, page, range};
use curricula_domain::learner::EnrollmentStatus;
use curricula_domain::{ActivityId, RecordId, UserId};
use curricula_ports::{EnrollmentFilter, TimeRange, UserFilter};
use curricula_service::learners::{Change, UserInput};
use serde_json::{Map, Value};

/// Attributes of a user.
const USER_ATTRIBUTES: [&str; 5] = ["username", "first_name", "last_name", "email", "code"];
/// Filterable user attributes.
const USER_FILTERS: [&str; 3] = ["username", "code", "updated_on"];
/// Filterable enrollment attributes.
const ENROLLMENT_FILTERS: [&str; 5] = ["user_id", "course_id", "status", "updated_on", "completed_on"];

/// The `group` hash of a write; other top-level keys must be known.
pub(crate) fn hash<'a>(
    params: &'a Map<String, Value>,
    group: &str,
    problems: &mut Vec<String>,
) -> Option<&'a Map<String, Value>> {
    for key in params.keys() {
        if !matches!(key.as_str(), "api_key" | "format" | "id") && key != group {
            problems.push(format!("{key} is not a known parameter; attributes go in {group}"));
        }
    }
    match params.get(group) {
        Some(Value::Object(map)) => Some(map),
        Some(_) => {
            problems.push(format!("{group} must be a hash of attributes"));
            None
        }
        None => {
            problems.push(format!("{group} is required"));
            None
        }
    }
}

/// `POST /api/v2/users`, `PUT|PATCH /api/v2/users/{id}`: the `user` hash.
///
/// # Errors
/// Every problem, one message each.
pub fn user(params: &Map<String, Value>) -> Result<UserInput, Vec<String>> {
    let mut problems = Vec::new();
    let mut input = UserInput::default();
    if let Some(map) = hash(params, "user", &mut problems) {
        for (key, value) in map {
            if !USER_ATTRIBUTES.contains(&key.as_str()) {
                problems.push(format!(
                    "user[{key}] is not an attribute; attributes are {}",
                    USER_ATTRIBUTES.join(", ")
                ));
                continue;
            }
            let change = match value {
                Value::Null => Change::Clear,
                Value::String(s) if s.is_empty() => Change::Clear,
                other => match as_text(other) {
                    Some(text) => Change::Set(text),
                    None => {
                        problems.push(format!("user[{key}] must be a single value"));
                        continue;
                    }
                },
            };
            match key.as_str() {
                "username" => match change {
                    Change::Set(name) => input.username = Some(name),
                    _ => problems.push("user[username] must not be blank".to_owned()),
                },
                "first_name" => input.first_name = change,
                "last_name" => input.last_name = change,
                "email" => input.email = change,
                _ => input.code = change,
            }
        }
    }
    if problems.is_empty() { Ok(input) } else { Err(problems) }
}

/// `POST /api/v2/enrollments`: the `enrollment` hash's user and course.
///
/// # Errors
/// Every problem, one message each.
pub fn enrollment(params: &Map<String, Value>) -> Result<(UserId, ActivityId), Vec<String>> {
    let mut problems = Vec::new();
    let mut user = None;
    let mut course = None;
    if let Some(map) = hash(params, "enrollment", &mut problems) {
        for key in map.keys() {
            if !matches!(key.as_str(), "user_id" | "course_id") {
                problems.push(format!(
                    "enrollment[{key}] is not an attribute; attributes are user_id, course_id"
                ));
            }
        }
        let mut read = |field: &str| match map.get(field) {
            None | Some(Value::Null) => {
                problems.push(format!("enrollment[{field}] is required"));
                None
            }
            Some(value) => match as_text(value).map(|t| id(&t)) {
                Some(Ok(n)) if n > 0 => Some(n),
                _ => {
                    problems.push(format!("enrollment[{field}] must be a positive integer"));
                    None
                }
            },
        };
        user = read("user_id");
        course = read("course_id");
    }
    match (user, course) {
        (Some(u), Some(c)) if problems.is_empty() => Ok((UserId(u), ActivityId(c))),
        _ => Err(problems),
    }
}

/// `GET /api/v2/users`: the filter and the page number.
///
/// # Errors
/// Every problem, one message each.
pub fn users(params: &Map<String, Value>) -> Result<(UserFilter, usize), Vec<String>> {
    let mut problems = Vec::new();
    known_parameters(params, &["user"], &mut problems);
    let mut filter = UserFilter::default();
    for (key, value) in filters(params, "user", &USER_FILTERS, &mut problems) {
        match key.as_str() {
            "username" => filter.username = Some(value),
            "code" => filter.code = Some(value),
            _ => match range(&value) {
                Ok((from, to)) => filter.updated_on = Some(TimeRange { from, to }),
                Err(e) => problems.push(format!("user[updated_on] {e}")),
            },
        }
    }
    let page = page(params, &mut problems);
    if problems.is_empty() {
        Ok((filter, page))
    } else {
        Err(problems)
    }
}

/// `GET /api/v2/enrollments`: the filter and the page number.
///
/// # Errors
/// Every problem, one message each.
pub fn enrollments(params: &Map<String, Value>) -> Result<(EnrollmentFilter, usize), Vec<String>> {
    let mut problems = Vec::new();
    known_parameters(params, &["enrollment"], &mut problems);
    let mut filter = EnrollmentFilter::default();
    for (key, value) in filters(params, "enrollment", &ENROLLMENT_FILTERS, &mut problems) {
        let result = match key.as_str() {
            "user_id" => id(&value).map(|n| filter.user = Some(UserId(n))),
            "course_id" => id(&value).map(|n| filter.course = Some(ActivityId(n))),
            "status" => match EnrollmentStatus::parse(value.trim()) {
                Some(status) => {
                    filter.status = Some(status);
                    Ok(())
                }
                None => Err(format!("{value:?} is not not-started, in-progress or completed")),
            },
            "updated_on" => range(&value).map(|(from, to)| filter.updated_on = Some(TimeRange { from, to })),
            _ => range(&value).map(|(from, to)| filter.completed_on = Some(TimeRange { from, to })),
        };
        if let Err(e) = result {
            problems.push(format!("enrollment[{key}] {e}"));
        }
    }
    let page = page(params, &mut problems);
    if problems.is_empty() {
        Ok((filter, page))
    } else {
        Err(problems)
    }
}

/// `GET /api/v2/curricula/{id}/progress`: the page number and whether CSV is asked for
/// (`format=csv`; else JSON).
///
/// # Errors
/// Every problem, one message each.
pub fn progress(params: &Map<String, Value>) -> Result<(usize, bool), Vec<String>> {
    let mut problems = Vec::new();
    known_parameters(params, &[], &mut problems);
    let csv = match params.get("format").and_then(as_text).as_deref().map(str::trim) {
        None | Some("" | "json") => false,
        Some("csv") => true,
        Some(other) => {
            problems.push(format!("format {other:?} is not json or csv"));
            false
        }
    };
    let page = page(params, &mut problems);
    if problems.is_empty() {
        Ok((page, csv))
    } else {
        Err(problems)
    }
}

/// `entry_id` of a launch, when sent.
///
/// # Errors
/// When it is not an integer.
pub fn entry_id(params: &Map<String, Value>) -> Result<Option<RecordId>, String> {
    match params.get("entry_id") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => as_text(v)
            .ok_or_else(|| "entry_id must be an integer".to_owned())
            .and_then(|t| id(&t).map_err(|e| format!("entry_id {e}")))
            .map(|n| Some(RecordId(n))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn a_user_hash_is_read_with_clears_and_sets() {
        let input = user(&map(json!({"user": {"username": "jon", "email": "", "code": 7}}))).unwrap();
        assert_eq!(input.username.as_deref(), Some("jon"));
        assert_eq!(input.email, Change::Clear);
        assert_eq!(input.code, Change::Set("7".into()));
        assert_eq!(input.first_name, Change::Keep);
    }

    #[test]
    fn unknown_attributes_and_parameters_are_named() {
        let e = user(&map(json!({"user": {"name": "x"}, "other": 1}))).unwrap_err();
        assert!(
            e.iter().any(|m| m.starts_with("other is not a known parameter")),
            "{e:?}"
        );
        assert!(
            e.iter().any(|m| m.starts_with("user[name] is not an attribute")),
            "{e:?}"
        );
        let e = enrollment(&map(json!({"enrollment": {"user_id": "x"}}))).unwrap_err();
        assert_eq!(
            e,
            [
                "enrollment[user_id] must be a positive integer",
                "enrollment[course_id] is required"
            ]
        );
    }

    #[test]
    fn enrollment_filters_are_typed() {
        let (f, page) = enrollments(&map(
            json!({"enrollment": {"status": "completed", "user_id": "7"}, "page": "2"}),
        ))
        .unwrap();
        assert_eq!(f.status, Some(EnrollmentStatus::Completed));
        assert_eq!(f.user, Some(UserId(7)));
        assert_eq!(page, 2);
        let e = enrollments(&map(json!({"enrollment": {"status": "done", "score": "1"}}))).unwrap_err();
        assert_eq!(e.len(), 2, "{e:?}");
    }
}
