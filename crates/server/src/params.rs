//! Request parameters read the way a Rails application reads them: the query string and the
//! body (JSON, form-encoded, or none) merged into one JSON object, with `a[b][c]=v` keys nested.
//!
//! The v2 API text's own `update_position` example sends `{ "target_id": "40", orientation:
//! "below" }`: an object key without quotes. [`relaxed_json`] quotes such bare keys before
//! parsing, and nothing else is relaxed.

use serde_json::{Map, Value};

/// Why the parameters could not be read; the message is shown to the caller.
#[derive(Debug, thiserror::Error)]
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
}

/// Merges the query string and the body into one object; body values win over query values.
///
/// # Errors
/// When the body or the query cannot be decoded.
pub fn merged(query: &str, content_type: Option<&str>, body: &[u8]) -> Result<Map<String, Value>, ParamsError> {
    let mut params = Map::new();
    insert_pairs(&mut params, query)?;
    let body_text = std::str::from_utf8(body).map_err(|_| ParamsError::Form("the body is not UTF-8".into()))?;
    if body_text.trim().is_empty() {
        return Ok(params);
    }
    let is_form = content_type.is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    let looks_json = body_text.trim_start().starts_with('{') || body_text.trim_start().starts_with('[');
    if is_form && !looks_json {
        insert_pairs(&mut params, body_text)?;
        return Ok(params);
    }
    let value: Value = serde_json::from_str(body_text)
        .or_else(|_| serde_json::from_str(&relaxed_json(body_text)))
        .map_err(|e| ParamsError::Json(e.to_string()))?;
    let Value::Object(object) = value else {
        return Err(ParamsError::NotAnObject);
    };
    deep_merge(&mut params, object);
    Ok(params)
}

fn deep_merge(into: &mut Map<String, Value>, from: Map<String, Value>) {
    for (key, value) in from {
        match (into.get_mut(&key), value) {
            (Some(Value::Object(existing)), Value::Object(incoming)) => deep_merge(existing, incoming),
            (_, value) => {
                into.insert(key, value);
            }
        }
    }
}

/// Decodes `a=1&b[c]=2` pairs into `params`, nesting bracketed keys.
fn insert_pairs(params: &mut Map<String, Value>, encoded: &str) -> Result<(), ParamsError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(encoded).map_err(|e| ParamsError::Form(e.to_string()))?;
    for (key, value) in pairs {
        let path = key_path(&key);
        insert_path(params, &path, Value::String(value), &key)?;
    }
    Ok(())
}

/// `a[b][c]` → `["a", "b", "c"]`; a key without brackets is one segment; `a[]` keeps `a`.
fn key_path(key: &str) -> Vec<String> {
    let Some(open) = key.find('[') else {
        return vec![key.to_owned()];
    };
    let mut path = vec![key[..open].to_owned()];
    let mut rest = &key[open..];
    while let Some(stripped) = rest.strip_prefix('[') {
        let Some(close) = stripped.find(']') else { break };
        let segment = &stripped[..close];
        if !segment.is_empty() {
            path.push(segment.to_owned());
        }
        rest = &stripped[close + 1..];
    }
    path
}

fn insert_path(map: &mut Map<String, Value>, path: &[String], value: Value, key: &str) -> Result<(), ParamsError> {
    let (first, rest) = path.split_first().expect("key paths are never empty");
    if rest.is_empty() {
        map.insert(first.clone(), value);
        return Ok(());
    }
    let entry = map.entry(first.clone()).or_insert_with(|| Value::Object(Map::new()));
    match entry {
        Value::Object(inner) => insert_path(inner, rest, value, key),
        _ => Err(ParamsError::Conflict(key.to_owned())),
    }
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
    }
}
