//! Content delivery: `GET /api/v2/activities/{id}/launch` hands out a signed, expiring launch
//! URL, and `GET|HEAD /content/{token}/{path...}` serves the files of the language version the
//! token grants, streamed from the blob store (ETag, `If-None-Match`, `Range`).
//!
//! The token stands for the whole folder of a language version, so a package's relative
//! links (scripts, images, other pages) resolve under the same token (issue 7). Which version
//! a launch opens, and the token itself, are the service's business (`curricula_service::launch`).

use crate::http::error::ApiError;
use crate::http::sorted;
use crate::state::AppState;
use actix_web::body::{BodySize, MessageBody, SizedStream};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, web};
use bytes::Bytes;
use curricula_domain::ActivityId;
use curricula_ports::{BlobError, BlobInfo, BlobKey};
use curricula_service::ingest::prefix_tenant;
use curricula_service::{ContentError, V2Error};
use futures::TryStreamExt;
use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};
use serde_json::{Value, json};
use std::ops::Range;
use std::pin::Pin;
use std::task::{Context, Poll};

pub use crate::http::origins::CONTENT_PATH;
pub use crate::state::{ContentState, Launches};

/// Browsers may cache a file for this long (its ETag revalidates it afterwards).
const MAX_AGE_SECONDS: u64 = 3600;

/// Registers the launch and content routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v2/activities/{id}/launch", web::get().to(launch))
        .route("/content/{token}/{path:.*}", web::get().to(content))
        .route("/content/{token}/{path:.*}", web::head().to(content_head));
}

/// Characters escaped when a manifest's launch href is put in a URL: controls, space and
/// what may not appear in a URL, but not `%` (hrefs are URLs already), `/`, `?`, `&`, `=` or `#`.
pub const HREF: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'|')
    .add(b'\\')
    .add(b'^');

/// A launch URL, as `GET /api/v2/activities/{id}/launch` answers it.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct LaunchBody {
    /// The activity.
    pub activity_id: i64,
    /// The language version launched.
    pub language: String,
    /// Absolute, signed URL of the launch page; relative links inside the package work under it.
    pub launch_url: String,
    /// When the URL stops working (RFC 3339).
    pub expires_at: String,
}

/// The OpenAPI description of these routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(launch, content, content_head), components(schemas(LaunchBody)))]
pub struct ApiDoc;

#[utoipa::path(
    get, path = "/api/v2/activities/{id}/launch", tag = "Activities read API", operation_id = "launch_activity",
    security(("api_key" = []), ("bearer" = [])),
    params(
        ("id" = i64, Path, description = "The activity id"),
        ("language" = Option<String>, Query, description = "Culture code of the language version; default: the tenant's default language when the activity has it, else its first version"),
    ),
    responses(
        (status = 200, description = "The signed, expiring launch URL", body = LaunchBody),
        (status = 400, description = "content.public_base_url is not set and the request's Host is not a valid host name", body = crate::http::error::V2Errors),
        (status = 401, description = "Missing, unknown, revoked or expired key", body = crate::http::error::V2Errors),
        (status = 404, description = "Not an activity of your account", body = crate::http::error::V2Errors),
        (status = 422, description = "Unknown language for this activity, a course (nothing to launch), or an unknown parameter", body = crate::http::error::V2Errors),
        (status = 500, description = "Unexpected failure (timestamp to quote to support)", body = crate::http::error::V2Errors),
        (status = 503, description = "The database is unreachable; retry later", body = crate::http::error::V2Errors),
    )
)]
async fn launch(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (params, caller) = crate::http::params::read(&req, &body, &state).await?;
    let mut problems = Vec::new();
    for key in params.keys() {
        if !matches!(key.as_str(), "api_key" | "language" | "format") {
            problems.push(format!("{key} is not a known parameter"));
        }
    }
    let language = match params.get("language") {
        None | Some(Value::Null) => None,
        Some(Value::String(code)) => Some(code.as_str()),
        Some(_) => {
            problems.push("language must be a culture code such as en-GB".to_owned());
            None
        }
    };
    let id = crate::http::params::path_id(&path)
        .map(ActivityId)
        .ok_or_else(|| ApiError::from(V2Error::NotFound(format!("activity {path} not found"))))?;
    if !problems.is_empty() {
        return Err(ApiError::from(V2Error::Unprocessable(problems)));
    }
    let content = &state.content;
    let Some(base) = launch_base(&state, &req, caller.tenant) else {
        return Ok(no_launch_host());
    };
    let launch = content.launches.launch(caller, id, language).await?;
    let url = format!(
        "{base}{CONTENT_PATH}{}/{}",
        launch.token,
        utf8_percent_encode(&launch.launch_href, HREF)
    );
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(sorted(&LaunchBody {
            activity_id: launch.activity.0,
            language: launch.language.as_str().to_owned(),
            launch_url: url,
            expires_at: launch.expires_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        })))
}

/// Where a tenant's launch URLs point: its content origin, or the request's own origin when
/// content has no origin of its own; `None` when neither is known.
pub fn launch_base(state: &AppState, req: &HttpRequest, tenant: curricula_domain::TenantId) -> Option<String> {
    state
        .content
        .origins
        .base_for(tenant)
        .or_else(|| state.origin_of(req).map(|origin| origin.base_url()))
}

/// The 400 of a launch when no launch URL can be made.
pub fn no_launch_host() -> HttpResponse {
    HttpResponse::BadRequest().json(vec![
        "the Host header is missing or is not a valid host name, so no launch URL can be made (the operator may set content.public_base_url)",
    ])
}

/// A JSON error body, like the rest of the service's.
fn refuse(status: StatusCode, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(json!({ "errorMessage": message }))
}

/// The file path after the token, decoded and checked: no empty, `.` or `..` segment, no
/// backslash, NUL or encoded `/`, so it cannot leave the version's folder.
pub fn relative_path(raw: &str) -> Option<String> {
    let mut out = Vec::new();
    for segment in raw.split('/') {
        let decoded = percent_decode_str(segment).decode_utf8().ok()?;
        let bad = decoded.is_empty() || decoded == "." || decoded == ".." || decoded.contains(['/', '\\', '\0']);
        if bad {
            return None;
        }
        out.push(decoded.into_owned());
    }
    Some(out.join("/"))
}

/// The part of a request that names a file: the token and the raw (still encoded) path.
fn split_content_path(path: &str) -> Option<(&str, &str)> {
    path.strip_prefix(CONTENT_PATH)?.split_once('/')
}

#[utoipa::path(
    get, path = "/content/{token}/{path}", tag = "Content delivery", operation_id = "get_content",
    params(
        ("token" = String, Path, description = "The signed token of a launch URL: it grants one language version's folder until it expires"),
        ("path" = String, Path, description = "A file of the package, relative to its root (may contain `/`)"),
        ("Range" = Option<String>, Header, description = "`bytes=a-b`, `a-` or `-n`"),
        ("If-None-Match" = Option<String>, Header, description = "An ETag from an earlier answer"),
    ),
    responses(
        (status = 200, description = "The file, streamed, with its Content-Type (from its name), ETag and Last-Modified", content_type = "*/*"),
        (status = 206, description = "The requested byte range, with Content-Range", content_type = "*/*"),
        (status = 304, description = "Not modified (If-None-Match matched)"),
        (status = 400, description = "The path tries to leave the folder", body = crate::http::error::UploadErrorBody),
        (status = 403, description = "The token is invalid or has expired, or the key that launched it is revoked or past its grace period", body = crate::http::error::UploadErrorBody),
        (status = 404, description = "No such file in the package, or a token of another tenant than the content host's", body = crate::http::error::UploadErrorBody),
        (status = 416, description = "The range lies outside the file (Content-Range: bytes */size)"),
        (status = 500, description = "The database failed while the token's key was checked", body = crate::http::error::UploadErrorBody),
        (status = 503, description = "The blob store or the database is unreachable", body = crate::http::error::UploadErrorBody),
    )
)]
async fn content(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    deliver(state, req).await
}

#[utoipa::path(
    head, path = "/content/{token}/{path}", tag = "Content delivery", operation_id = "head_content",
    params(
        ("token" = String, Path, description = "The signed token of a launch URL"),
        ("path" = String, Path, description = "A file of the package, relative to its root"),
    ),
    responses(
        (status = 200, description = "The headers a GET would answer (Content-Type, Content-Length, ETag), without reading the file"),
        (status = 400, description = "The path tries to leave the folder"),
        (status = 403, description = "The token is invalid or has expired, or the key that launched it is revoked or past its grace period"),
        (status = 404, description = "No such file in the package"),
    )
)]
async fn content_head(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    deliver(state, req).await
}

/// GET and HEAD of a package file (the method decides whether a body is sent).
async fn deliver(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    // The raw path, not the router's decoded match: `%2F` and `%2e%2e` must be seen as sent.
    let Some((token, raw_file)) = split_content_path(req.uri().path()) else {
        return refuse(StatusCode::NOT_FOUND, "no such file");
    };
    let content = &state.content;
    let folder = match content.launches.verify(token).await {
        Ok(folder) => folder,
        Err(ContentError::Store(e)) => return directory_error(&e),
        Err(e) => {
            tracing::info!(reason = %e, "content request refused: {e}");
            return refuse(
                StatusCode::FORBIDDEN,
                "this content link is invalid or has expired; ask for a new launch URL",
            );
        }
    };
    // On a tenant's content host, only that tenant's folders (the routing rule let through
    // content paths only; see `crate::http::origins`).
    let origin = state.origin_of(&req);
    if let crate::http::origins::Site::Content(scope) = state.site_of(origin.as_ref()) {
        let allowed = match scope {
            crate::http::origins::ContentScope::AnyTenant => true,
            crate::http::origins::ContentScope::Tenant(tenant) => prefix_tenant(&folder) == Some(tenant),
            crate::http::origins::ContentScope::Nobody => false,
        };
        if !allowed {
            tracing::info!("content request refused: the token is for another tenant than the host's");
            return refuse(StatusCode::NOT_FOUND, "no such content on this host");
        }
    }
    let Some(file) = relative_path(raw_file) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "the file path is not a path inside the package",
        );
    };
    let Ok(key) = folder.join(&file) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "the file path is not a path inside the package",
        );
    };
    let info = match content.blobs.head(&key).await {
        Ok(info) => info,
        Err(BlobError::NotFound(_)) => return refuse(StatusCode::NOT_FOUND, "no such file in this package"),
        Err(e) => return server_error(&e),
    };
    serve(content, &req, &key, &file, &info).await
}

/// The key of a token could not be checked: 503 when the database is unreachable, else 500,
/// logged and counted like every database failure.
fn directory_error(e: &curricula_ports::StoreError) -> HttpResponse {
    use curricula_ports::StoreError;
    crate::http::error::log_server_error(e);
    let unavailable = matches!(e, StoreError::Unavailable(_));
    let (status, cause) = if unavailable {
        (StatusCode::SERVICE_UNAVAILABLE, "database_unavailable")
    } else {
        (StatusCode::INTERNAL_SERVER_ERROR, "database")
    };
    crate::metrics::metrics().record_server_error(cause);
    refuse(status, &crate::http::error::server_error_message(unavailable))
}

/// The blob store failed while serving a file: 503 (as documented), logged and counted.
fn server_error(e: &BlobError) -> HttpResponse {
    crate::http::error::log_server_error(e);
    crate::metrics::metrics().record_server_error("blob_store");
    refuse(
        StatusCode::SERVICE_UNAVAILABLE,
        &crate::http::error::server_error_message(true),
    )
}

/// A strong ETag from the store's version tag (or size and time when it has none).
pub fn etag(info: &BlobInfo) -> String {
    let tag: String = match &info.version {
        Some(v) => v
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .collect(),
        None => String::new(),
    };
    if tag.is_empty() {
        format!("\"{:x}-{:x}\"", info.size, info.modified.timestamp_millis())
    } else {
        format!("\"{tag}\"")
    }
}

/// Whether an `If-None-Match` value matches `etag` (weak comparison, `*` matches anything).
pub fn none_match(header: &str, etag: &str) -> bool {
    header
        .split(',')
        .map(str::trim)
        .any(|candidate| candidate == "*" || candidate.trim_start_matches("W/") == etag)
}

/// What a `Range` header asks of an object of `size` bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeRequest {
    /// No usable range (absent, malformed, or several ranges): the whole object.
    Whole,
    /// One satisfiable range.
    Part(Range<u64>),
    /// A well-formed range that lies outside the object (416).
    Unsatisfiable,
}

/// Parses a `Range` header (one `bytes=` range; anything else is served whole, as RFC 9110
/// allows a server to ignore ranges).
pub fn parse_range(header: &str, size: u64) -> RangeRequest {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return RangeRequest::Whole;
    };
    if spec.contains(',') {
        return RangeRequest::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeRequest::Whole;
    };
    let (first, last) = (first.trim(), last.trim());
    let number = |s: &str| {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u64>().ok())
            .flatten()
    };
    match (number(first), number(last)) {
        // bytes=-N: the last N bytes.
        (None, Some(n)) if first.is_empty() => {
            if n == 0 || size == 0 {
                RangeRequest::Unsatisfiable
            } else {
                RangeRequest::Part(size - n.min(size)..size)
            }
        }
        (Some(start), None) if last.is_empty() => {
            if start < size {
                RangeRequest::Part(start..size)
            } else {
                RangeRequest::Unsatisfiable
            }
        }
        (Some(start), Some(end)) if start <= end => {
            if start < size {
                RangeRequest::Part(start..end.saturating_add(1).min(size))
            } else {
                RangeRequest::Unsatisfiable
            }
        }
        _ => RangeRequest::Whole,
    }
}

/// The response headers every served file carries.
fn file_headers(response: &mut HttpResponseBuilder, file: &str, etag: &str, info: &BlobInfo) {
    let mime = mime_guess::from_path(file).first_or_octet_stream();
    response
        .insert_header((header::CONTENT_TYPE, mime.essence_str().to_owned()))
        .insert_header((header::ETAG, etag.to_owned()))
        .insert_header((
            header::LAST_MODIFIED,
            info.modified.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
        ))
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header((header::CACHE_CONTROL, format!("private, max-age={MAX_AGE_SECONDS}")))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        // The token is in the URL: do not hand it to other sites the content links to.
        .insert_header((header::REFERRER_POLICY, "same-origin"));
}

async fn serve(content: &ContentState, req: &HttpRequest, key: &BlobKey, file: &str, info: &BlobInfo) -> HttpResponse {
    let etag = etag(info);
    let header_str = |name| req.headers().get(name).and_then(|v: &HeaderValue| v.to_str().ok());
    if header_str(header::IF_NONE_MATCH).is_some_and(|h| none_match(h, &etag)) {
        let mut response = HttpResponse::NotModified();
        file_headers(&mut response, file, &etag, info);
        return response.finish();
    }
    // If-Range with another version: the whole (new) file, not a piece of it.
    let range_applies = header_str(header::IF_RANGE).is_none_or(|v| v.trim() == etag);
    let range = match header_str(header::RANGE) {
        Some(h) if range_applies => parse_range(h, info.size),
        _ => RangeRequest::Whole,
    };
    let (mut response, bytes) = match range {
        RangeRequest::Unsatisfiable => {
            let mut response = HttpResponse::RangeNotSatisfiable();
            response.insert_header((header::CONTENT_RANGE, format!("bytes */{}", info.size)));
            return response
                .json(json!({ "errorMessage": format!("the range is outside the file ({} bytes)", info.size) }));
        }
        RangeRequest::Whole => (HttpResponse::Ok(), None),
        RangeRequest::Part(r) => {
            let mut response = HttpResponse::PartialContent();
            response.insert_header((
                header::CONTENT_RANGE,
                format!("bytes {}-{}/{}", r.start, r.end - 1, info.size),
            ));
            (response, Some(r))
        }
    };
    file_headers(&mut response, file, &etag, info);
    let length = bytes.as_ref().map_or(info.size, |r| r.end - r.start);
    if req.method() == Method::HEAD {
        // The HTTP/1 encoder writes the length from the body size; the header serves other
        // transports (and tests through the service).
        response.insert_header((header::CONTENT_LENGTH, length));
        return response.body(HeadBody(length));
    }
    if length == 0 {
        return response.body(Bytes::new());
    }
    match content.blobs.get_stream(key, bytes).await {
        Ok(stream) => {
            let key = key.clone();
            let stream = stream.inspect_err(move |e| {
                tracing::error!(key = %key, error = %e, "reading {key} failed while it was being sent");
            });
            response.body(SizedStream::new(length, stream))
        }
        Err(BlobError::NotFound(_)) => refuse(StatusCode::NOT_FOUND, "no such file in this package"),
        Err(e) => server_error(&e),
    }
}

/// The body of a HEAD response: announces the length a GET would send, sends nothing (so the
/// object is never read).
struct HeadBody(u64);

impl MessageBody for HeadBody {
    type Error = std::convert::Infallible;

    fn size(&self) -> BodySize {
        BodySize::Sized(self.0)
    }

    fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Poll::Ready(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_the_folder() {
        assert_eq!(relative_path("index.html").as_deref(), Some("index.html"));
        assert_eq!(relative_path("a%20b/c%25.js").as_deref(), Some("a b/c%.js"));
        assert_eq!(relative_path("%C3%B0/x.png").as_deref(), Some("ð/x.png"));
        for bad in [
            "",
            "../x",
            "a/../../x",
            "%2e%2e/x",
            "%2E%2E/x",
            "./x",
            "a//b",
            "a/",
            "a%2Fb",
            "a%5Cb",
            "a\\b",
            "a%00b",
            "%ff",
        ] {
            assert_eq!(relative_path(bad), None, "{bad}");
        }
    }

    #[test]
    fn ranges_follow_rfc_9110() {
        use RangeRequest::*;
        assert_eq!(parse_range("bytes=0-9", 100), Part(0..10));
        assert_eq!(parse_range("bytes=90-", 100), Part(90..100));
        assert_eq!(parse_range("bytes=-10", 100), Part(90..100));
        assert_eq!(parse_range("bytes=-1000", 100), Part(0..100));
        assert_eq!(parse_range("bytes=50-1000", 100), Part(50..100));
        assert_eq!(parse_range("bytes=100-", 100), Unsatisfiable);
        assert_eq!(parse_range("bytes=100-200", 100), Unsatisfiable);
        assert_eq!(parse_range("bytes=-0", 100), Unsatisfiable);
        assert_eq!(parse_range("bytes=0-0", 0), Unsatisfiable);
        for ignored in [
            "items=0-1",
            "bytes=5-1",
            "bytes=a-b",
            "bytes=0-1,5-6",
            "bytes=",
            "bytes=-",
            "bytes=+1-2",
        ] {
            assert_eq!(parse_range(ignored, 100), Whole, "{ignored}");
        }
        assert_eq!(parse_range(&format!("bytes=0-{}", u64::MAX), 10), Part(0..10));
    }

    #[test]
    fn etags_match_weakly_and_by_star() {
        assert!(none_match("\"a\"", "\"a\""));
        assert!(none_match("W/\"a\", \"b\"", "\"a\""));
        assert!(none_match("*", "\"a\""));
        assert!(!none_match("\"b\"", "\"a\""));
    }
}
