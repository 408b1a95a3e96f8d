//! Request parameters read the way a Rails application reads them: the query string and the
//! body (JSON, form-encoded, or none) merged into one JSON object, with `a[b][c]=v` keys nested.
//!
//! Everything here comes from outside, before authentication, so every step is bounded and
//! iterative: at most [`MAX_DEPTH`] levels of nesting and [`MAX_PARAMS`] parameters, and no
//! recursion whose depth the caller controls.
//!
//! The v2 API text's own `update_position` example sends `{ "target_id": "40", orientation:
//! "below" }`: an object key without quotes. [`relaxed_json`] quotes such bare keys before
//! parsing, and nothing else is relaxed.

use serde_json::{Map, Value};

/// Deepest nesting accepted: `a[b][c]` is 3 levels, `{"a": {"b": 1}}` is 2.
pub const MAX_DEPTH: usize = 32;
/// Most parameters accepted in one request (query and body together; for JSON, every value
/// counts, containers included).
pub const MAX_PARAMS: usize = 1_000;

/// Why the parameters could not be read; the message is shown to the caller.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParamsError {
    /// The JSON body does not parse.
    #[error("the request body is not valid JSON: {0}")]
    Json(String),
    /// The body is JSON but not an object.
    #[error("the request body must be a JSON object")]
    NotAnObject,
    /// A form body or the query string does not decode.
    #[error("the parameters are not valid form encoding: {0}")]
    Form(String),
    /// `a[b]` and `a` given as both a value and a hash, or similar.
    #[error("parameter {0} is given both as a value and as a hash")]
    Conflict(String),
    /// A parameter nests deeper than [`MAX_DEPTH`].
    #[error("parameter {0} nests deeper than {MAX_DEPTH} levels")]
    TooDeep(String),
    /// More than [`MAX_PARAMS`] parameters.
    #[error("the request has more than {MAX_PARAMS} parameters")]
    TooMany,
}

/// The parameters of a request, merged.
#[derive(Debug, Default, PartialEq)]
pub struct Params {
    /// Query and body merged into one object; body values win over query values.
    pub values: Map<String, Value>,
    /// Top-level names that were sent more than once with different plain values (the last
    /// one is in `values`, as Rails keeps it); a credential sent twice must be refused.
    pub repeated: Vec<String>,
}

/// Merges the query string and the body into one object; body values win over query values.
///
/// # Errors
/// When the body or the query cannot be decoded, or either exceeds a bound.
pub fn merged(query: &str, content_type: Option<&str>, body: &[u8]) -> Result<Map<String, Value>, ParamsError> {
    read(query, content_type, body).map(|p| p.values)
}

/// Reads the query string and the body into [`Params`].
///
/// `a[b]=1` nests, `a[]=1&a[]=2` is the array `["1", "2"]`, numbers and booleans stay strings.
///
/// # Errors
/// When the body or the query cannot be decoded, or either exceeds a bound.
pub fn read(query: &str, content_type: Option<&str>, body: &[u8]) -> Result<Params, ParamsError> {
    let mut params = Params::default();
    let mut budget = MAX_PARAMS;
    insert_pairs(&mut params, query, &mut budget)?;
    let body_text = std::str::from_utf8(body).map_err(|_| ParamsError::Form("the body is not UTF-8".into()))?;
    let trimmed = body_text.trim_start();
    if trimmed.is_empty() {
        return Ok(params);
    }
    let is_form = content_type.is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    let looks_json = trimmed.starts_with('{') || trimmed.starts_with('[');
    if is_form && !looks_json {
        insert_pairs(&mut params, body_text, &mut budget)?;
        return Ok(params);
    }
    // serde_json refuses more than 128 levels itself (without recursing further), so the
    // bounded walk below never sees a deeper value.
    let value: Value = serde_json::from_str(body_text)
        .or_else(|_| serde_json::from_str(&relaxed_json(body_text)))
        .map_err(|e| ParamsError::Json(e.to_string()))?;
    let Value::Object(object) = value else {
        return Err(ParamsError::NotAnObject);
    };
    check_json_bounds(&object, &mut budget)?;
    for (key, value) in &object {
        if let Some(existing) = params.values.get(key)
            && !existing.is_object()
            && existing != value
        {
            params.repeated.push(key.clone());
        }
    }
    deep_merge(&mut params.values, object);
    Ok(params)
}

/// The values of the plain top-level parameter `name` in form-encoded `encoded`, without
/// reading the rest: for finding a credential in a query that is otherwise refused. Looks at
/// the first [`MAX_PARAMS`] pairs only; undecodable pairs are skipped.
pub fn plain_values(encoded: &str, name: &str) -> Vec<String> {
    encoded
        .split('&')
        .take(MAX_PARAMS)
        .filter_map(|pair| serde_urlencoded::from_str::<Vec<(String, String)>>(pair).ok())
        .flatten()
        .filter(|(key, _)| key == name)
        .map(|(_, value)| value)
        .collect()
}

/// Counts every value of `object` against `budget` and checks its depth, without recursion.
fn check_json_bounds(object: &Map<String, Value>, budget: &mut usize) -> Result<(), ParamsError> {
    let mut stack: Vec<(&str, &Value, usize)> = object.iter().map(|(k, v)| (k.as_str(), v, 1)).collect();
    while let Some((key, value, depth)) = stack.pop() {
        *budget = budget.checked_sub(1).ok_or(ParamsError::TooMany)?;
        if depth > MAX_DEPTH {
            return Err(ParamsError::TooDeep(key.to_owned()));
        }
        match value {
            Value::Object(map) => stack.extend(map.iter().map(|(k, v)| (k.as_str(), v, depth + 1))),
            Value::Array(items) => stack.extend(items.iter().map(|v| (key, v, depth + 1))),
            _ => {}
        }
    }
    Ok(())
}

/// Merges `from` into `into`, hashes into hashes; iterative (both sides are bounded in depth,
/// but nothing here relies on it).
fn deep_merge(into: &mut Map<String, Value>, from: Map<String, Value>) {
    type Pending<'a> = (&'a mut Map<String, Value>, Map<String, Value>);
    let mut work: Vec<Pending<'_>> = vec![(into, from)];
    while let Some((target, source)) = work.pop() {
        // Keys that are hashes on both sides are merged after the plain ones are placed.
        let mut nested = Vec::new();
        for (key, value) in source {
            match (target.get(&key), value) {
                (Some(Value::Object(_)), Value::Object(incoming)) => nested.push((key, incoming)),
                (_, value) => {
                    target.insert(key, value);
                }
            }
        }
        let mut nested: std::collections::HashMap<String, Map<String, Value>> = nested.into_iter().collect();
        for (key, existing) in target.iter_mut() {
            if let (Some(incoming), Value::Object(existing)) = (nested.remove(key), existing) {
                work.push((existing, incoming));
            }
        }
    }
}

/// Decodes `a=1&b[c]=2` pairs into `params`, nesting bracketed keys.
fn insert_pairs(params: &mut Params, encoded: &str, budget: &mut usize) -> Result<(), ParamsError> {
    // Count before decoding, so that a flood of pairs is refused without allocating them all.
    let pairs_sent = encoded.split('&').filter(|p| !p.is_empty()).count();
    if pairs_sent > *budget {
        return Err(ParamsError::TooMany);
    }
    *budget -= pairs_sent;
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(encoded).map_err(|e| ParamsError::Form(e.to_string()))?;
    for (key, value) in pairs {
        let path = key_path(&key)?;
        if let ([name], Some(Value::String(existing))) = (path.segments.as_slice(), params.values.get(path.segments[0]))
            && !path.array
            && *existing != value
        {
            params.repeated.push((*name).to_owned());
        }
        insert_path(&mut params.values, &path, Value::String(value), &key)?;
    }
    Ok(())
}

/// The decoded name a parameter is shown by in messages: at most 64 characters of it.
fn shown(key: &str) -> String {
    match key.char_indices().nth(64) {
        Some((cut, _)) => format!("{}…", &key[..cut]),
        None => key.to_owned(),
    }
}

/// Where a form parameter goes: `a[b][c]` is `["a", "b", "c"]`, `a[b][]` the array at `a[b]`.
#[derive(Debug, PartialEq, Eq)]
pub struct KeyPath<'a> {
    /// The names of the hashes on the way, then the name of the value; never empty.
    pub segments: Vec<&'a str>,
    /// The name ended in `[]`: the value is appended to an array.
    pub array: bool,
}

/// Splits a parameter name into its [`KeyPath`]; text after an unclosed `[` is ignored.
///
/// # Errors
/// [`ParamsError::TooDeep`] past [`MAX_DEPTH`] segments; [`ParamsError::Form`] for `[]`
/// anywhere but at the end.
pub fn key_path(key: &str) -> Result<KeyPath<'_>, ParamsError> {
    let Some(open) = key.find('[') else {
        return Ok(KeyPath {
            segments: vec![key],
            array: false,
        });
    };
    let mut path = KeyPath {
        segments: vec![&key[..open]],
        array: false,
    };
    let mut rest = &key[open..];
    while let Some(stripped) = rest.strip_prefix('[') {
        let Some(close) = stripped.find(']') else { break };
        let segment = &stripped[..close];
        if path.array {
            return Err(ParamsError::Form(format!(
                "{}: [] may only end a parameter name",
                shown(key)
            )));
        }
        if segment.is_empty() {
            path.array = true;
        } else {
            if path.segments.len() == MAX_DEPTH {
                return Err(ParamsError::TooDeep(shown(key)));
            }
            path.segments.push(segment);
        }
        rest = &stripped[close + 1..];
    }
    Ok(path)
}

/// Places `value` at `path`, creating hashes on the way; a value in the way is a conflict.
fn insert_path(map: &mut Map<String, Value>, path: &KeyPath<'_>, value: Value, key: &str) -> Result<(), ParamsError> {
    let Some((last, parents)) = path.segments.split_last() else {
        return Ok(());
    };
    let mut current = map;
    for segment in parents {
        let entry = current
            .entry((*segment).to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        match entry {
            Value::Object(inner) => current = inner,
            _ => return Err(ParamsError::Conflict(shown(key))),
        }
    }
    match (current.get_mut(*last), path.array) {
        (Some(Value::Array(items)), true) => items.push(value),
        (None, true) => {
            current.insert((*last).to_owned(), Value::Array(vec![value]));
        }
        (Some(Value::Object(_) | Value::Array(_)), false) | (Some(_), true) => {
            return Err(ParamsError::Conflict(shown(key)));
        }
        (_, false) => {
            current.insert((*last).to_owned(), value);
        }
    }
    Ok(())
}

/// Quotes bare object keys (`{ orientation: "below" }` → `{ "orientation": "below" }`);
/// everything inside strings, and every other token, is left as it is.
pub fn relaxed_json(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 8);
    let mut i = 0;
    let mut in_string = false;
    while i < chars.len() {
        let c = chars[i];
        if in_string {
            out.push(c);
            if c == '\\' && i + 1 < chars.len() {
                out.push(chars[i + 1]);
                i += 2;
                continue;
            }
            if c == '"' {
                in_string = false;
            }
            i += 1;
            continue;
        }
        if c == '"' {
            in_string = true;
            out.push(c);
            i += 1;
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let mut j = i;
            while j < chars.len() && chars[j].is_whitespace() {
                j += 1;
            }
            if j < chars.len() && chars[j] == ':' {
                out.push('"');
                out.push_str(&word);
                out.push('"');
            } else {
                out.push_str(&word);
            }
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_spec_update_position_body_parses() {
        let params = merged(
            "api_key=k",
            Some("application/json"),
            br#"{ "target_id": "40", orientation: "below" }"#,
        )
        .unwrap();
        assert_eq!(
            Value::Object(params),
            json!({"api_key": "k", "target_id": "40", "orientation": "below"})
        );
    }

    #[test]
    fn strings_and_literals_are_not_touched() {
        assert_eq!(
            relaxed_json(r#"{a: "x: y", "b": true, c : null, d_1: "he said \"k: v\""}"#),
            r#"{"a": "x: y", "b": true, "c" : null, "d_1": "he said \"k: v\""}"#
        );
    }

    #[test]
    fn query_brackets_nest() {
        let params = merged(
            "api_key=k&curriculum_activity%5Bupdated_on%5D=2017-01-12,%202017-01-13&curriculum_activity[curriculum_id]=11&course[in_catalog]=true",
            None,
            b"",
        )
        .unwrap();
        assert_eq!(
            Value::Object(params),
            json!({
                "api_key": "k",
                "curriculum_activity": {"updated_on": "2017-01-12, 2017-01-13", "curriculum_id": "11"},
                "course": {"in_catalog": "true"}
            })
        );
    }

    #[test]
    fn form_bodies_nest_and_win_over_the_query() {
        let params = merged(
            "api_key=k&curriculum_activity[name]=old",
            Some("application/x-www-form-urlencoded"),
            b"curriculum_activity[name]=New+name&curriculum_activity[sequence_attributes][control_mode]=flow",
        )
        .unwrap();
        assert_eq!(
            Value::Object(params),
            json!({"api_key": "k", "curriculum_activity": {"name": "New name", "sequence_attributes": {"control_mode": "flow"}}})
        );
    }

    #[test]
    fn json_bodies_merge_into_query_hashes() {
        let params = merged(
            "api_key=k&curriculum_activity[name]=old&curriculum_activity[code]=c",
            Some("application/json"),
            br#"{"curriculum_activity": {"name": "new", "sequence_attributes": {"control_mode": "flow"}}}"#,
        )
        .unwrap();
        assert_eq!(
            Value::Object(params),
            json!({"api_key": "k", "curriculum_activity": {"name": "new", "code": "c", "sequence_attributes": {"control_mode": "flow"}}})
        );
    }

    #[test]
    fn bad_bodies_are_errors() {
        assert!(matches!(
            merged("", Some("application/json"), b"{oops"),
            Err(ParamsError::Json(_))
        ));
        assert!(matches!(
            merged("", Some("application/json"), b"[1]"),
            Err(ParamsError::NotAnObject)
        ));
        assert!(matches!(merged("a=1&a[b]=2", None, b""), Err(ParamsError::Conflict(_))));
        assert!(matches!(merged("a[b]=2&a=1", None, b""), Err(ParamsError::Conflict(_))));
    }

    #[test]
    fn nesting_at_the_cap_is_read_and_past_it_refused() {
        let at_cap = format!("a{}=1", "[x]".repeat(MAX_DEPTH - 1));
        assert!(merged(&at_cap, None, b"").is_ok());
        let past = format!("a{}=1", "[x]".repeat(MAX_DEPTH));
        assert!(matches!(merged(&past, None, b""), Err(ParamsError::TooDeep(_))));
    }

    #[test]
    fn the_reported_attack_is_refused_without_overflowing_the_stack() {
        // 8,000 levels in the query and 20,000 in a form body used to overflow a worker's
        // stack and abort the process.
        let query = format!("a{}=1", "[x]".repeat(8_000));
        assert!(matches!(merged(&query, None, b""), Err(ParamsError::TooDeep(_))));
        let body = format!("curriculum_activity{}=1", "[x]".repeat(20_000));
        let error = merged("", Some("application/x-www-form-urlencoded"), body.as_bytes()).unwrap_err();
        assert!(matches!(error, ParamsError::TooDeep(_)));
        // The message names the parameter, shortened.
        assert!(error.to_string().len() < 200, "{error}");
    }

    #[test]
    fn deep_json_is_refused() {
        let past = format!("{}1{}", "{\"a\":".repeat(MAX_DEPTH + 1), "}".repeat(MAX_DEPTH + 1));
        assert!(matches!(
            merged("", Some("application/json"), past.as_bytes()),
            Err(ParamsError::TooDeep(_))
        ));
        let arrays = format!("{{\"a\":{}1{}}}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(matches!(
            merged("", Some("application/json"), arrays.as_bytes()),
            Err(ParamsError::TooDeep(_))
        ));
        // Past serde_json's own limit: a JSON error, not a crash.
        let huge = format!("{}1{}", "{\"a\":".repeat(50_000), "}".repeat(50_000));
        assert!(merged("", Some("application/json"), huge.as_bytes()).is_err());
    }

    #[test]
    fn too_many_parameters_are_refused() {
        let query: Vec<String> = (0..=MAX_PARAMS).map(|i| format!("p{i}=1")).collect();
        assert_eq!(merged(&query.join("&"), None, b""), Err(ParamsError::TooMany));
        let half: Vec<String> = (0..MAX_PARAMS / 2 + 1).map(|i| format!("p{i}=1")).collect();
        let half = half.join("&");
        assert_eq!(
            merged(&half, Some("application/x-www-form-urlencoded"), half.as_bytes()),
            Err(ParamsError::TooMany)
        );
        let items: Vec<String> = (0..=MAX_PARAMS).map(|i| i.to_string()).collect();
        let body = format!("{{\"a\": [{}]}}", items.join(","));
        assert_eq!(
            merged("", Some("application/json"), body.as_bytes()),
            Err(ParamsError::TooMany)
        );
    }

    #[test]
    fn plain_values_are_found_in_a_refused_query() {
        let query = format!("api_key=k&a{}=1&api%5Fkey=j&api_key[]=x", "[x]".repeat(100));
        assert!(read(&query, None, b"").is_err());
        assert_eq!(plain_values(&query, "api_key"), vec!["k".to_owned(), "j".to_owned()]);
    }

    #[test]
    fn empty_brackets_make_arrays() {
        let params = merged("a[]=1&a[]=2&b[c][]=x", None, b"").unwrap();
        assert_eq!(Value::Object(params), json!({"a": ["1", "2"], "b": {"c": ["x"]}}));
        assert!(matches!(merged("a[][b]=1", None, b""), Err(ParamsError::Form(_))));
        assert!(matches!(merged("a=1&a[]=2", None, b""), Err(ParamsError::Conflict(_))));
    }

    #[test]
    fn repeated_plain_values_are_reported() {
        let params = read("api_key=a&api_key=b&same=1&same=1", None, b"").unwrap();
        assert_eq!(params.repeated, vec!["api_key".to_owned()]);
        assert_eq!(params.values["api_key"], "b");
        let across = read("api_key=a", Some("application/json"), br#"{"api_key": "b"}"#).unwrap();
        assert_eq!(across.repeated, vec!["api_key".to_owned()]);
        let form = read("api_key=a", Some("application/x-www-form-urlencoded"), b"api_key=b").unwrap();
        assert_eq!(form.repeated, vec!["api_key".to_owned()]);
        assert!(
            read("api_key=a", Some("application/json"), br#"{"api_key": "a"}"#)
                .unwrap()
                .repeated
                .is_empty()
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics(query in "[a-z\\[\\]=&%0-9]{0,200}", body in "[a-z\\[\\]=&%{}\":,0-9 ]{0,200}") {
            let _ = merged(&query, Some("application/x-www-form-urlencoded"), body.as_bytes());
            let _ = merged(&query, Some("application/json"), body.as_bytes());
        }
    }
}
