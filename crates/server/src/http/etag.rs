//! A path's `ETag` (its version, as a strong entity tag) and the `If-Match` / `If-None-Match`
//! headers read against it (RFC 9110 §13.1).

use actix_web::HttpRequest;
use actix_web::http::header::{HeaderName, IF_MATCH, IF_NONE_MATCH};
use curricula_ports::PathVersion;

/// Most entity tags read from one request's header: the rest are ignored.
const MAX_TAGS: usize = 64;

/// The `ETag` of a path at `version`: `"7"`.
pub fn etag(version: PathVersion) -> String {
    format!("\"{}\"", version.0)
}

/// The versions an `If-Match` accepts: `None` when there is no header or it is `*` (the path
/// exists, which every write checks anyway); otherwise the strong tags that are versions of
/// ours. A header of only weak or foreign tags gives an empty list, which no version matches.
pub fn if_match(req: &HttpRequest) -> Option<Vec<PathVersion>> {
    let tags = tags(req, IF_MATCH)?;
    if tags.iter().any(|t| t == "*") {
        return None;
    }
    Some(tags.iter().filter_map(|t| version(t)).collect())
}

/// Whether `If-None-Match` names `version` (weak comparison) or is `*`: a GET may answer 304.
pub fn none_match(req: &HttpRequest, current: PathVersion) -> bool {
    tags(req, IF_NONE_MATCH).is_some_and(|tags| {
        tags.iter()
            .any(|t| t == "*" || version(t.strip_prefix("W/").unwrap_or(t)) == Some(current))
    })
}

/// The comma-separated tags of every `name` header, trimmed; `None` when none was sent.
fn tags(req: &HttpRequest, name: HeaderName) -> Option<Vec<String>> {
    let mut values = req.headers().get_all(name).peekable();
    values.peek()?;
    Some(
        values
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .take(MAX_TAGS)
            .collect(),
    )
}

/// The version in a strong tag of ours, `"7"`.
fn version(tag: &str) -> Option<PathVersion> {
    let inner = tag.strip_prefix('"')?.strip_suffix('"')?;
    if inner.is_empty() || inner.len() > 18 || !inner.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    inner.parse().ok().map(PathVersion)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn if_match_reads_strong_tags_of_ours_and_star() {
        let req = |v: &str| TestRequest::default().insert_header((IF_MATCH, v)).to_http_request();
        assert_eq!(if_match(&TestRequest::default().to_http_request()), None);
        assert_eq!(if_match(&req("*")), None);
        assert_eq!(if_match(&req("\"7\"")), Some(vec![PathVersion(7)]));
        assert_eq!(
            if_match(&req("\"7\", \"9\"")),
            Some(vec![PathVersion(7), PathVersion(9)])
        );
        assert_eq!(if_match(&req("W/\"7\"")), Some(vec![]), "a weak tag never matches");
        assert_eq!(if_match(&req("7")), Some(vec![]), "unquoted");
        assert_eq!(if_match(&req("\"-1\"")), Some(vec![]));
        assert_eq!(if_match(&req("\"99999999999999999999\"")), Some(vec![]));
        assert_eq!(etag(PathVersion(7)), "\"7\"");
    }

    #[test]
    fn if_none_match_compares_weakly() {
        let req = |v: &str| {
            TestRequest::default()
                .insert_header((IF_NONE_MATCH, v))
                .to_http_request()
        };
        assert!(none_match(&req("W/\"7\""), PathVersion(7)));
        assert!(none_match(&req("\"3\", \"7\""), PathVersion(7)));
        assert!(none_match(&req("*"), PathVersion(7)));
        assert!(!none_match(&req("\"8\""), PathVersion(7)));
        assert!(!none_match(&TestRequest::default().to_http_request(), PathVersion(7)));
    }
}
