//! Logs: one subscriber for the process, a request id on every line of a request, one access
//! log line per request, and no secret ever written (query strings are redacted).

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use curricula_domain::TenantId;
use std::time::Instant;
use tracing::Instrument;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber: `RUST_LOG` filter (default `info`), text or JSON lines.
///
/// actix-http reports a request it cannot parse (a client's fault) at ERROR level; such lines
/// are counted in `curricula_requests_turned_away_total{reason="malformed_http"}` instead of
/// being logged, unless `RUST_LOG` asks for `actix_http` at debug level or finer.
pub fn init(format: &str) {
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let show_http_parse_errors = std::env::var("RUST_LOG").is_ok_and(|v| {
        v.split(',')
            .any(|d| d.starts_with("actix_http") && (d.ends_with("=debug") || d.ends_with("=trace")))
    });
    let keep = tracing_subscriber::filter::filter_fn(move |meta| show_http_parse_errors || !is_http_parse_error(meta));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let text = (!format.eq_ignore_ascii_case("json")).then(|| {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(ansi)
            .with_filter(keep.clone())
    });
    let json = format.eq_ignore_ascii_case("json").then(|| {
        tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_writer(std::io::stderr)
            .with_filter(keep)
    });
    // A second init (tests) keeps the first subscriber.
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(text)
        .with(json)
        .with(CountHttpParseErrors)
        .try_init();
}

/// Whether an event is actix-http's report of a request it could not parse.
fn is_http_parse_error(meta: &tracing::Metadata<'_>) -> bool {
    meta.is_event() && *meta.level() == tracing::Level::ERROR && meta.target().starts_with("actix_http::h1")
}

/// Counts actix-http's parse-error events (see [`init`]).
struct CountHttpParseErrors;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for CountHttpParseErrors {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: tracing_subscriber::layer::Context<'_, S>) {
        if is_http_parse_error(event.metadata()) {
            crate::metrics::metrics().record_turned_away("malformed_http");
        }
    }
}

/// Query parameters whose values are never logged.
const SECRET_PARAMS: [&str; 6] = ["api_key", "key", "apikey", "token", "secret", "password"];

/// Whether a raw (still percent-encoded) parameter name names a secret, whatever its
/// spelling: compared decoded (`+` as a space), trimmed and lower-cased, on its base name and
/// on every bracketed part (`api_key[]`, `api_key%20`, `curriculum_activity[api_key]`).
pub fn is_secret_name(raw: &str) -> bool {
    let spaced = raw.replace('+', " ");
    let decoded = percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .to_ascii_lowercase();
    decoded
        .split(['[', ']'])
        .map(str::trim)
        .any(|part| SECRET_PARAMS.contains(&part))
}

/// `query` with the value of every secret parameter replaced by `[redacted]`.
pub fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| {
            let name = pair.split('=').next().unwrap_or_default();
            if is_secret_name(name) {
                format!("{name}=[redacted]")
            } else {
                pair.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Longest query string written to a log line, in bytes; the rest is summarised.
const MAX_LOGGED_QUERY: usize = 512;

/// `query`, cut at [`MAX_LOGGED_QUERY`] bytes (on a character boundary) with its full length
/// said, so that one request cannot write a huge log line.
fn shorten(query: String) -> String {
    if query.len() <= MAX_LOGGED_QUERY {
        return query;
    }
    let mut cut = MAX_LOGGED_QUERY;
    while !query.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}…[{} bytes]", &query[..cut], query.len())
}

/// `path` with the token of a content or player URL (`/content/{token}/...`,
/// `/play/{token}[/commit]`) replaced by `[token]`: a token grants a package folder or a
/// learner's attempt until it expires, so it is a secret too. The player's assets
/// (`/play/assets/...`) carry none.
pub fn redact_path(path: &str) -> String {
    for prefix in crate::http::origins::CONTENT_PREFIXES {
        if let Some(rest) = path.strip_prefix(prefix) {
            if rest.starts_with("assets/") {
                return path.to_owned();
            }
            return match rest.split_once('/') {
                Some((_, file)) => format!("{prefix}[token]/{file}"),
                None => format!("{prefix}[token]"),
            };
        }
    }
    path.to_owned()
}

/// The tenant a request acted for, when it authenticated.
#[derive(Clone, Copy)]
struct RequestTenant(TenantId);

/// Records the authenticated tenant for the access log line.
pub fn record_tenant(req: &actix_web::HttpRequest, tenant: TenantId) {
    req.extensions_mut().insert(RequestTenant(tenant));
}

/// The id of a request, as logged and sent back in `x-request-id`.
#[derive(Clone)]
struct RequestId(String);

/// The id the access-log middleware gave `req`, if it ran.
pub fn request_id_of(req: &actix_web::HttpRequest) -> Option<String> {
    req.extensions().get::<RequestId>().map(|id| id.0.clone())
}

fn request_id() -> String {
    let mut bytes = [0u8; 8];
    // Without an OS random source the id is only less unique; requests still work.
    let _ = getrandom::fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Middleware: request span with an id, `x-request-id` response header, access log line.
pub async fn access_log(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(request_id, str::to_owned);
    let method = req.method().to_string();
    let path = redact_path(req.path());
    let query = shorten(redact_query(req.query_string()));
    let span = tracing::info_span!("request", request_id = %id);
    req.extensions_mut().insert(RequestId(id.clone()));
    let started = Instant::now();
    let result = next.call(req).instrument(span.clone()).await;
    let _entered = span.enter();
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    match result {
        Ok(mut res) => {
            let status = res.status().as_u16();
            let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".to_owned());
            let tenant = res.request().extensions().get::<RequestTenant>().map(|t| t.0.0);
            let bytes = match res.response().body().size() {
                actix_web::body::BodySize::Sized(n) => Some(n),
                _ => None,
            };
            crate::metrics::metrics().observe_request(&method, &route, status, latency_ms / 1000.0);
            tracing::info!(
                http.method = %method, http.path = %path, http.query = %query, http.route = %route,
                http.status = status, latency_ms, bytes, tenant,
                "{method} {path} -> {status} in {latency_ms:.1} ms"
            );
            if let Ok(value) = HeaderValue::from_str(&id) {
                res.headers_mut().insert(HeaderName::from_static("x-request-id"), value);
            }
            Ok(res)
        }
        Err(e) => {
            tracing::warn!(http.method = %method, http.path = %path, http.query = %query, latency_ms, error = %e, "{method} {path} failed");
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{redact_path, redact_query};

    #[test]
    fn content_tokens_are_redacted() {
        assert_eq!(
            redact_path("/content/abc_-123/media/a.mp4"),
            "/content/[token]/media/a.mp4"
        );
        assert_eq!(redact_path("/content/abc"), "/content/[token]");
        assert_eq!(redact_path("/play/abc_-1"), "/play/[token]");
        assert_eq!(redact_path("/play/abc_-1/commit"), "/play/[token]/commit");
        assert_eq!(redact_path("/play/assets/player.js"), "/play/assets/player.js");
        assert_eq!(redact_path("/api/v2/activities"), "/api/v2/activities");
    }

    #[test]
    fn secrets_in_queries_are_redacted() {
        assert_eq!(
            redact_query("api_key=s3cret&page=2&KEY=x"),
            "api_key=[redacted]&page=2&KEY=[redacted]"
        );
        assert_eq!(redact_query(""), "");
        assert_eq!(
            redact_query("api%5Fkey=s3cret&%6Bey=x"),
            "api%5Fkey=[redacted]&%6Bey=[redacted]"
        );
        assert_eq!(redact_query("page=%zz"), "page=%zz");
        assert_eq!(
            redact_query("curriculum_activity%5Bcurriculum_id%5D=11"),
            "curriculum_activity%5Bcurriculum_id%5D=11"
        );
    }

    #[test]
    fn long_queries_are_shortened() {
        let long = format!("a{}=1", "[x]".repeat(8_000));
        let logged = super::shorten(long.clone());
        assert!(logged.len() < 600, "{}", logged.len());
        assert!(logged.ends_with(&format!("…[{} bytes]", long.len())));
        assert_eq!(super::shorten("page=2".into()), "page=2");
    }

    #[test]
    fn every_spelling_of_a_secret_is_redacted() {
        for name in [
            "api_key[]",
            "api_key%5B%5D",
            "api_key%20",
            "api_key+",
            "api_key[0]",
            "curriculum_activity[api_key]",
            "curriculum_activity%5Bapi_key%5D",
            "API_KEY",
            "%20api_key",
        ] {
            assert_eq!(
                redact_query(&format!("{name}=s3cret&page=2")),
                format!("{name}=[redacted]&page=2"),
                "{name}"
            );
        }
        assert_eq!(redact_query("keyboard=1&monkey=2"), "keyboard=1&monkey=2");
    }
}
