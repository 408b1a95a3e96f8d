//! Launch URLs (R10, R11): `xml:base` joining, dot-segment folding, parameters.

/// Joins the `xml:base` values of manifest, resources and resource (each treated as a folder)
/// with the resource's `href`. Dot segments are folded unless the result would leave the
/// package (absolute, with a scheme, or `..` above the root); then the text is kept as joined
/// and the second value, "inside the package", is false.
pub(crate) fn join(bases: &[Option<&str>], href: &str) -> (String, bool) {
    let mut joined = String::new();
    for base in bases.iter().flatten().map(|b| b.trim()).filter(|b| !b.is_empty()) {
        if !joined.is_empty() && !joined.ends_with('/') {
            joined.push('/');
        }
        joined.push_str(base);
    }
    if !joined.is_empty() && !joined.ends_with('/') {
        joined.push('/');
    }
    joined.push_str(href.trim());
    match normalise(&joined) {
        Some(folded) => (folded, true),
        None => (joined, false),
    }
}

/// Folds `.` and `seg/..` in the path part; `None` when the URL leaves the package.
fn normalise(url: &str) -> Option<String> {
    let split = url.find(['?', '#']).unwrap_or(url.len());
    let (path, rest) = url.split_at(split);
    let has_scheme = path
        .split_once(':')
        .is_some_and(|(scheme, _)| !scheme.is_empty() && !scheme.contains('/'));
    if path.starts_with('/') || has_scheme {
        return None;
    }
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').collect();
    let last = segments.len() - 1;
    for (i, segment) in segments.into_iter().enumerate() {
        match segment {
            "." => {}
            ".." => {
                out.pop()?;
            }
            "" if i != last => {}
            s => out.push(s),
        }
    }
    Some(format!("{}{rest}", out.join("/")))
}

/// Appends item parameters the way the ADL Sample RTE does (R10).
pub(crate) fn with_parameters(url: String, parameters: Option<&str>) -> String {
    let Some(raw) = parameters else { return url };
    let params = raw.trim().trim_start_matches(['?', '&']);
    if params.is_empty() {
        return url;
    }
    if params.starts_with('#') {
        return if url.contains('#') { url } else { url + params };
    }
    let joiner = if url.contains('?') { '&' } else { '?' };
    format!("{url}{joiner}{params}")
}

/// The path part of a launch URL (before `?` or `#`).
pub(crate) fn path_part(url: &str) -> &str {
    &url[..url.find(['?', '#']).unwrap_or(url.len())]
}

/// Percent-decodes `text` (invalid escapes are kept as written).
pub(crate) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(b) = hex {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bases_are_folders() {
        assert_eq!(
            join(&[None, Some("content"), Some("sco1")], "index.html"),
            ("content/sco1/index.html".into(), true)
        );
        assert_eq!(join(&[Some("a/"), None, Some("")], "b.html"), ("a/b.html".into(), true));
        assert_eq!(join(&[None, None, None], " index.html "), ("index.html".into(), true));
    }

    #[test]
    fn dots_fold_inside_the_package_only() {
        assert_eq!(
            join(&[Some("a/./b")], "../c.html?x=../y"),
            ("a/c.html?x=../y".into(), true)
        );
        assert_eq!(join(&[None], "../outside.html"), ("../outside.html".into(), false));
        assert_eq!(join(&[None], "/abs.html"), ("/abs.html".into(), false));
        assert_eq!(
            join(&[None], "http://example.com/x.html"),
            ("http://example.com/x.html".into(), false)
        );
    }

    #[test]
    fn parameters_join_like_the_adl_rte() {
        let p = |url: &str, params: &str| with_parameters(url.to_owned(), Some(params));
        assert_eq!(p("a.htm", "?tc=API&act=1"), "a.htm?tc=API&act=1");
        assert_eq!(p("a.htm", "&x=1"), "a.htm?x=1");
        assert_eq!(p("a.htm?y=2", "x=1"), "a.htm?y=2&x=1");
        assert_eq!(p("a.htm?y=2", "?&x=1"), "a.htm?y=2&x=1");
        assert_eq!(p("a.htm", "#top"), "a.htm#top");
        assert_eq!(p("a.htm?y=1", "#top"), "a.htm?y=1#top");
        assert_eq!(p("a.htm#here", "#top"), "a.htm#here");
        assert_eq!(p("a.htm", "  "), "a.htm");
        assert_eq!(with_parameters("a.htm".into(), None), "a.htm");
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("my%20file.html"), "my file.html");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("%C3%B0.html"), "ð.html");
    }
}
