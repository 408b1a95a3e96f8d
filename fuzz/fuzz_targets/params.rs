//! Arbitrary bytes as a request's parameters: the first byte picks the content type, then the
//! query string and the body are split at the first NUL (the query is read as lossy UTF-8, the
//! body is passed as bytes). Read, then check the bounds the reader promises.
#![no_main]

use curricula_params::{MAX_DEPTH, read};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let content_type = match selector % 4 {
        0 => None,
        1 => Some("application/x-www-form-urlencoded"),
        2 => Some("application/json"),
        _ => Some("text/plain"),
    };
    let (query, body) = match rest.iter().position(|&b| b == 0) {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, &[][..]),
    };
    let query = String::from_utf8_lossy(query);
    let Ok(params) = read(&query, content_type, body) else { return };
    // A leaf of `a[b]…[]` sits one level below the deepest hash: nothing may go deeper.
    let mut stack: Vec<(&Value, usize)> = params.values.values().map(|v| (v, 1)).collect();
    while let Some((value, depth)) = stack.pop() {
        assert!(depth <= MAX_DEPTH + 1, "a value {depth} levels deep was accepted");
        match value {
            Value::Object(map) => stack.extend(map.values().map(|v| (v, depth + 1))),
            Value::Array(items) => stack.extend(items.iter().map(|v| (v, depth + 1))),
            _ => {}
        }
    }
    for name in &params.repeated {
        assert!(params.values.contains_key(name), "repeated {name:?} is not a parameter");
    }
});
