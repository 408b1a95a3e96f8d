//! `/docs`: the OpenAPI document rendered server-side as one self-contained HTML page (inline
//! CSS, no script, no external resource), so it works offline and behind strict proxies.

use serde_json::Value;
use std::fmt::Write as _;

const STYLE: &str = r#"
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1f3a5f;color:#fff;padding:18px 32px}header h1{margin:0;font-size:24px}
header p{margin:4px 0 0;opacity:.85}main{display:flex;gap:24px;padding:24px 32px}
nav{flex:0 0 260px;position:sticky;top:12px;align-self:flex-start;font-size:13px}
nav a{display:block;color:#1f3a5f;text-decoration:none;padding:2px 0}nav h3{margin:14px 0 4px;font-size:13px;text-transform:uppercase;color:#667}
section.content{flex:1;min-width:0}h2.tag{border-bottom:2px solid #1f3a5f;padding-bottom:4px;margin-top:28px}
.op{background:#fff;border:1px solid #dde1e7;border-radius:6px;margin:14px 0;padding:12px 16px}
.op h3{margin:0;font-size:16px;font-family:ui-monospace,Menlo,monospace}
.m{display:inline-block;min-width:62px;text-align:center;color:#fff;border-radius:4px;padding:1px 6px;margin-right:8px;font-size:13px}
.get{background:#2f7d32}.post{background:#1565c0}.put{background:#b26a00}.patch{background:#6a1b9a}.delete{background:#c62828}
.summary{font-weight:600;margin:6px 0 2px}table{border-collapse:collapse;width:100%;margin:6px 0;font-size:13px}
th,td{border:1px solid #e3e6eb;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f0f2f5}
code{font-family:ui-monospace,Menlo,monospace;font-size:12.5px;background:#f0f2f5;padding:0 3px;border-radius:3px}
.s2{color:#2f7d32;font-weight:600}.s4{color:#b26a00;font-weight:600}.s5{color:#c62828;font-weight:600}
h4{margin:10px 0 2px;font-size:13px;text-transform:uppercase;color:#556}
"#;

/// HTML-escapes `text`.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escaped text with `` `code` `` spans rendered as `<code>`.
fn prose(text: &str) -> String {
    esc(text)
        .split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                format!("<code>{part}</code>")
            } else {
                part.to_owned()
            }
        })
        .collect()
}

fn str_at<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// A short type name for a schema: `CurriculumActivity`, `array of string`, `integer`.
fn type_name(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap_or(r);
        return format!("<a href=\"#schema-{0}\">{0}</a>", esc(name));
    }
    if let Some(variants) = schema.get("oneOf").and_then(Value::as_array) {
        let names: Vec<String> = variants.iter().map(type_name).collect();
        return names.join(" | ");
    }
    let base = match schema.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" | "),
        _ => "any".to_owned(),
    };
    let mut name = esc(&base);
    if base.starts_with("array")
        && let Some(items) = schema.get("items")
    {
        name = format!("array of {}", type_name(items));
    }
    if let Some(format) = schema.get("format").and_then(Value::as_str) {
        let _ = write!(name, " ({})", esc(format));
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let values: Vec<String> = values
            .iter()
            .map(|v| format!("<code>{}</code>", esc(&v.to_string())))
            .collect();
        let _ = write!(name, ": {}", values.join(", "));
    }
    name
}

/// A table of an object schema's properties.
fn properties_table(schema: &Value) -> String {
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return format!("<p>{}</p>", type_name(schema));
    };
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut out = String::from("<table><tr><th>field</th><th>type</th><th>description</th></tr>");
    for (name, prop) in props {
        let req = if required.contains(&name.as_str()) {
            " <b>required</b>"
        } else {
            ""
        };
        let _ = write!(
            out,
            "<tr><td><code>{}</code>{req}</td><td>{}</td><td>{}</td></tr>",
            esc(name),
            type_name(prop),
            prose(str_at(prop, "description"))
        );
    }
    out.push_str("</table>");
    out
}

fn operation(out: &mut String, method: &str, path: &str, op: &Value) {
    let id = str_at(op, "operationId");
    let _ = write!(
        out,
        "<div class=\"op\" id=\"op-{}\"><h3><span class=\"m {method}\">{}</span>{}</h3>",
        esc(id),
        method.to_uppercase(),
        esc(path)
    );
    let _ = write!(out, "<div class=\"summary\">{}</div>", prose(str_at(op, "summary")));
    let description = str_at(op, "description");
    if !description.is_empty() {
        let _ = write!(out, "<p>{}</p>", prose(description));
    }
    if op.get("security").is_some() {
        out.push_str(
            "<p>Authentication: <code>api_key</code> query parameter or <code>Authorization: Bearer</code>.</p>",
        );
    }
    if let Some(params) = op.get("parameters").and_then(Value::as_array) {
        out.push_str("<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>type</th><th>description</th></tr>");
        for p in params {
            let req = if p.get("required") == Some(&Value::Bool(true)) {
                " <b>required</b>"
            } else {
                ""
            };
            let _ = write!(
                out,
                "<tr><td><code>{}</code>{req}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(str_at(p, "name")),
                esc(str_at(p, "in")),
                p.get("schema").map(type_name).unwrap_or_default(),
                prose(str_at(p, "description"))
            );
        }
        out.push_str("</table>");
    }
    if let Some(body) = op.get("requestBody") {
        out.push_str("<h4>Request body</h4>");
        let description = str_at(body, "description");
        if !description.is_empty() {
            let _ = write!(out, "<p>{}</p>", prose(description));
        }
        if let Some(content) = body.get("content").and_then(Value::as_object) {
            for (media, c) in content {
                let schema = c.get("schema").cloned().unwrap_or_default();
                let _ = write!(out, "<p><code>{}</code>: {}</p>", esc(media), type_name(&schema));
                // An inline object (the form-encoded variants) is shown field by field.
                if schema.get("properties").is_some() {
                    out.push_str(&properties_table(&schema));
                }
            }
        }
    }
    if let Some(responses) = op.get("responses").and_then(Value::as_object) {
        out.push_str("<h4>Responses</h4><table><tr><th>status</th><th>body</th><th>when</th></tr>");
        for (status, r) in responses {
            let class = format!("s{}", status.chars().next().unwrap_or('2'));
            let body = r
                .get("content")
                .and_then(Value::as_object)
                .map(|c| {
                    c.iter()
                        .map(|(media, m)| {
                            format!(
                                "{} <code>{}</code>",
                                m.get("schema").map(type_name).unwrap_or_default(),
                                esc(media)
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("<br>")
                })
                .unwrap_or_else(|| "empty".to_owned());
            let _ = write!(
                out,
                "<tr><td class=\"{class}\">{}</td><td>{body}</td><td>{}</td></tr>",
                esc(status),
                prose(str_at(r, "description"))
            );
        }
        out.push_str("</table>");
    }
    out.push_str("</div>");
}

/// The operations in the order a partner uses them (create, check, add a language, replace,
/// roll back; list a path, add to it, change, move, remove); the others follow in the
/// document's order.
pub(crate) const PARTNER_ORDER: &[(&str, &str)] = &[
    ("post", "/api/activityupload/new"),
    ("post", "/api/activityupload/validate"),
    ("post", "/api/activityupload/addlanguage"),
    ("post", "/api/activityupload/replace"),
    ("post", "/api/activityupload/rollback"),
    ("get", "/api/v2/curriculum_activities"),
    ("post", "/api/v2/curriculum_activities"),
    ("put", "/api/v2/curriculum_activities/{id}"),
    ("patch", "/api/v2/curriculum_activities/{id}"),
    ("put", "/api/v2/curriculum_activities/{id}/update_position"),
    ("patch", "/api/v2/curriculum_activities/{id}/update_position"),
    ("delete", "/api/v2/curriculum_activities/{id}"),
    ("get", "/api/v2/activities"),
    ("get", "/api/v2/activities/{id}"),
    ("get", "/api/v2/activities/{id}/launch"),
];

/// Where an operation goes in the page: its place in [`PARTNER_ORDER`], else after them.
fn rank(method: &str, path: &str) -> usize {
    PARTNER_ORDER
        .iter()
        .position(|(m, p)| *m == method && *p == path)
        .unwrap_or(PARTNER_ORDER.len())
}

/// Renders `doc` (an OpenAPI 3.1 document) as a complete HTML page.
pub fn render(doc: &Value) -> String {
    let info = doc.get("info").cloned().unwrap_or_default();
    let title = str_at(&info, "title");
    let mut nav = String::new();
    let mut body = String::new();
    let tags: Vec<Value> = doc.get("tags").and_then(Value::as_array).cloned().unwrap_or_default();
    let paths = doc.get("paths").and_then(Value::as_object).cloned().unwrap_or_default();
    let mut tag_names: Vec<String> = tags.iter().map(|t| str_at(t, "name").to_owned()).collect();
    tag_names.push(String::new());
    for tag in &tag_names {
        let mut ops = Vec::new();
        for (path, item) in &paths {
            for method in ["get", "head", "post", "put", "patch", "delete"] {
                let Some(op) = item.get(method) else { continue };
                let op_tags: Vec<&str> = op
                    .get("tags")
                    .and_then(Value::as_array)
                    .map(|t| t.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let here = if tag.is_empty() {
                    !op_tags.iter().any(|t| tag_names.iter().any(|n| n == t))
                } else {
                    op_tags.contains(&tag.as_str())
                };
                if here {
                    ops.push((method, path.as_str(), op));
                }
            }
        }
        if ops.is_empty() {
            continue;
        }
        ops.sort_by_key(|(method, path, _)| rank(method, path));
        let heading = if tag.is_empty() { "Other" } else { tag.as_str() };
        let _ = write!(nav, "<h3>{}</h3>", esc(heading));
        let _ = write!(body, "<h2 class=\"tag\">{}</h2>", esc(heading));
        if let Some(t) = tags.iter().find(|t| str_at(t, "name") == tag) {
            let _ = write!(body, "<p>{}</p>", prose(str_at(t, "description")));
        }
        for (method, path, op) in ops {
            let _ = write!(
                nav,
                "<a href=\"#op-{}\"><b>{}</b> {}</a>",
                esc(str_at(op, "operationId")),
                method.to_uppercase(),
                esc(path)
            );
            operation(&mut body, method, path, op);
        }
    }
    if let Some(schemas) = doc.pointer("/components/schemas").and_then(Value::as_object) {
        nav.push_str("<h3>Schemas</h3>");
        body.push_str("<h2 class=\"tag\">Schemas</h2>");
        for (name, schema) in schemas {
            let _ = write!(nav, "<a href=\"#schema-{0}\">{0}</a>", esc(name));
            let _ = write!(
                body,
                "<div class=\"op\" id=\"schema-{0}\"><h3>{0}</h3><p>{1}</p>{2}</div>",
                esc(name),
                prose(str_at(schema, "description")),
                properties_table(schema)
            );
        }
    }
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
<title>{t} API</title><style>{STYLE}</style></head><body><header><h1>{t} API <small>{v}</small></h1><p>{d}</p>\
<p>Machine-readable: <a style=\"color:#fff\" href=\"/openapi.json\">/openapi.json</a> (OpenAPI {o})</p></header>\
<main><nav>{nav}</nav><section class=\"content\">{body}</section></main></body></html>",
        t = esc(title),
        v = esc(str_at(&info, "version")),
        d = prose(str_at(&info, "description")),
        o = esc(str_at(doc, "openapi")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_renders_every_operation() {
        let doc = serde_json::json!({
            "openapi": "3.1.0",
            "info": {"title": "T<x>", "version": "1"},
            "tags": [{"name": "A", "description": "tag `a`"}],
            "paths": {"/p/{id}": {"get": {"operationId": "get_p", "tags": ["A"], "summary": "S",
                "responses": {"200": {"description": "ok"}}}},
                "/q": {"post": {"operationId": "post_q", "responses": {"500": {"description": "bad"}}}}}
        });
        let html = render(&doc);
        assert!(html.contains("T&lt;x&gt;"));
        assert!(html.contains("id=\"op-get_p\""));
        assert!(html.contains("id=\"op-post_q\""), "untagged operations go under Other");
        assert!(html.contains("<code>a</code>"));
        assert!(!html.contains("<script"), "no script, no external resource");
        assert!(!html.contains("http://") && !html.contains("https://"));
    }
}
