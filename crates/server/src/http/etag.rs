//! A path's `ETag` (the path and its version, as a strong entity tag: `"12.7"`) and the
//! `If-Match` / `If-None-Match` headers read against it (RFC 9110 §13.1). The path is in the
//! tag so that a tag read from one path never lets a write through to a record of another.

use actix_web::HttpRequest;
use actix_web::http::header::{HeaderName, IF_MATCH, IF_NONE_MATCH};
use curricula_domain::ActivityId;
use curricula_ports::{PathTag, PathVersion};

/// Most entity tags read from one request's header: the rest are ignored.
const MAX_TAGS: usize = 64;

/// The `ETag` of path `path` at `version`: `"12.7"`.
pub fn etag(path: ActivityId, version: PathVersion) -> String {
    format!("\"{}.{}\"", path.0, version.0)
}

/// The path versions an `If-Match` accepts: `None` when there is no header or it is `*` (the
/// path exists, which every write checks anyway); otherwise the strong tags that are ours. A
/// header of only weak or foreign tags gives an empty list, which no version matches.
pub fn if_match(req: &HttpRequest) -> Option<Vec<PathTag>> {
    let tags = tags(req, IF_MATCH)?;
    if tags.iter().any(|t| t == "*") {
        return None;
    }
    Some(tags.iter().filter_map(|t| version(t)).collect())
}

/// Whether `If-None-Match` names `current` (weak comparison) or is `*`: a GET may answer 304.
pub fn none_match(req: &HttpRequest, current: PathTag) -> bool {
    tags(req, IF_NONE_MATCH).is_some_and(|tags| {
        tags.iter()
            .any(|t| t == "*" || version(t.strip_prefix("W/").unwrap_or(t)) == Some(current))
    })
}

/// The comma-separated tags of every `name` header, trimmed; `None` when none was sent (or
/// only empty ones).
fn tags(req: &HttpRequest, name: HeaderName) -> Option<Vec<String>> {
    let tags: Vec<String> = req
        .headers()
        .get_all(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .flat_map(|v| v.split(',').map(|t| t.trim().to_owned()).collect::<Vec<_>>())
        .filter(|t| !t.is_empty())
        .take(MAX_TAGS)
        .collect();
    // An empty header names no tag: no condition.
    (!tags.is_empty()).then_some(tags)
}

/// The path and version in a strong tag of ours, `"12.7"`.
fn version(tag: &str) -> Option<PathTag> {
    let inner = tag.strip_prefix('"')?.strip_suffix('"')?;
    let (path, version) = inner.split_once('.')?;
    let number = |n: &str| {
        (!n.is_empty() && n.len() <= 18 && n.bytes().all(|b| b.is_ascii_digit()))
            .then(|| n.parse::<i64>().ok())
            .flatten()
    };
    Some(PathTag {
        path: ActivityId(number(path)?),
        version: PathVersion(number(version)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn tag(path: i64, version: i64) -> PathTag {
        PathTag {
            path: ActivityId(path),
            version: PathVersion(version),
        }
    }

    #[test]
    fn if_match_reads_strong_tags_of_ours_and_star() {
        let req = |v: &str| TestRequest::default().insert_header((IF_MATCH, v)).to_http_request();
        assert_eq!(if_match(&TestRequest::default().to_http_request()), None);
        assert_eq!(if_match(&req("")), None, "an empty header is no condition");
        assert_eq!(if_match(&req(" , ")), None);
        assert_eq!(if_match(&req("*")), None);
        assert_eq!(if_match(&req("\"1.7\"")), Some(vec![tag(1, 7)]));
        assert_eq!(if_match(&req("\"1.7\", \"2.9\"")), Some(vec![tag(1, 7), tag(2, 9)]));
        assert_eq!(if_match(&req("W/\"1.7\"")), Some(vec![]), "a weak tag never matches");
        assert_eq!(if_match(&req("1.7")), Some(vec![]), "unquoted");
        assert_eq!(if_match(&req("\"7\"")), Some(vec![]), "no path");
        assert_eq!(if_match(&req("\"1.-1\"")), Some(vec![]));
        assert_eq!(if_match(&req("\"1.99999999999999999999\"")), Some(vec![]));
        assert_eq!(etag(ActivityId(1), PathVersion(7)), "\"1.7\"");
    }

    #[test]
    fn if_none_match_compares_weakly() {
        let req = |v: &str| {
            TestRequest::default()
                .insert_header((IF_NONE_MATCH, v))
                .to_http_request()
        };
        let current = tag(1, 7);
        assert!(none_match(&req("W/\"1.7\""), current));
        assert!(none_match(&req("\"1.3\", \"1.7\""), current));
        assert!(none_match(&req("*"), current));
        assert!(!none_match(&req("\"1.8\""), current));
        assert!(!none_match(&req("\"2.7\""), current), "another path's");
        assert!(!none_match(&TestRequest::default().to_http_request(), current));
    }
}
