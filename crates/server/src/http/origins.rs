//! Content origins: where package content is served, apart from the API.
//!
//! `content.public_base_url` may carry `{tenant}` as the first label of its host
//! (`https://{tenant}.content.example.com`). Launch URLs then put `t` and the tenant's id
//! there (`https://t42.content.example.com/content/…`), so every tenant's packages run on an
//! origin of their own: a script of one tenant's package cannot read another's storage, nor
//! call the API or `/metrics` as same-origin. The routing rule ([`crate::http::host_routing`]): a request
//! whose host is a content host is served content only (`/content/…`, `/play/…`) and
//! `/healthz`; every other path there is a 404, and so is a content token of another tenant
//! than the host's. Any other host is the API's, where content paths are a 404.
//!
//! API responses carry a restrictive `Content-Security-Policy` ([`security_headers`]);
//! content responses carry none (packages run their own scripts).

use crate::forwarded::{RequestOrigin, valid_host};
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use base64::Engine;
use curricula_domain::TenantId;
use sha2::{Digest, Sha256};

/// The placeholder of `content.public_base_url` that becomes a tenant's label.
pub const TENANT_PLACEHOLDER: &str = "{tenant}";

/// The policy of every API response: nothing may be loaded, nothing may frame it.
pub const API_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

/// Where a launch URL's files are served: `/content/{token}/{path}`.
pub const CONTENT_PATH: &str = "/content/";

/// The paths served on content hosts (and only there when content has hosts of its own).
/// `/play/` is reserved for the player.
pub const CONTENT_PREFIXES: [&str; 2] = ["/content/", "/play/"];

/// Paths answered on content hosts besides content: liveness, for load balancers that check
/// a host name.
const CONTENT_HOST_EXTRAS: [&str; 1] = ["/healthz"];

/// A tenant's label in content host names: `t` and its id (`t42`).
pub fn tenant_label(tenant: TenantId) -> String {
    format!("t{}", tenant.0)
}

/// The tenant a label names: `t` and a positive decimal id without leading zeros.
pub fn parse_tenant_label(label: &str) -> Option<TenantId> {
    let digits = label.strip_prefix('t')?;
    let ok = !digits.is_empty() && !digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| digits.parse::<i64>().ok()).flatten().map(TenantId)
}

/// Where content is served, from `content.public_base_url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContentOrigins {
    /// Unset: content is served on the host the launch request was sent to (the API's).
    Shared,
    /// One host for every tenant's content (no `{tenant}`).
    Fixed {
        /// `scheme://host[:port][/path]`, without a trailing slash.
        base: String,
        /// Its host name (lower case, no port, no trailing dot).
        hostname: String,
    },
    /// A host per tenant: `{tenant}` is the first label of the host.
    PerTenant {
        /// What comes before `{tenant}` (`https://`).
        before: String,
        /// What comes after it (`.content.example.com:8443/path`), without a trailing slash.
        after: String,
        /// The host name after the tenant's label, with its leading dot (`.content.example.com`).
        suffix: String,
    },
}

/// Which part of the service a request's host reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Site {
    /// Content has no host of its own: everything is served here.
    Shared,
    /// An API host: everything but content.
    Api,
    /// A content host: content only.
    Content(ContentScope),
}

/// Whose content a content host serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentScope {
    /// Every tenant's (the one fixed content host).
    AnyTenant,
    /// One tenant's.
    Tenant(TenantId),
    /// Nobody's: a host under the content domain whose label names no tenant.
    Nobody,
}

impl ContentOrigins {
    /// Parses `content.public_base_url`: empty, or `http(s)://host[:port][/path]` whose host
    /// may start with the label `{tenant}`.
    ///
    /// # Errors
    /// Another scheme, an invalid host or port, `{tenant}` anywhere but as the whole first
    /// label of the host, or more than once; the message names the setting.
    pub fn parse(raw: &str) -> anyhow::Result<Self> {
        let raw = raw.trim().trim_end_matches('/');
        if raw.is_empty() {
            return Ok(Self::Shared);
        }
        let fail = |why: &str| anyhow::anyhow!("content.public_base_url {raw:?}: {why}");
        let (scheme, rest) = raw
            .split_once("://")
            .ok_or_else(|| fail("must start with http:// or https://"))?;
        if !matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https") {
            return Err(fail("must start with http:// or https://"));
        }
        let (authority, path) = rest.find(['/', '?', '#']).map_or((rest, ""), |at| rest.split_at(at));
        if path.contains(['?', '#']) {
            return Err(fail("may have a path but no query or fragment"));
        }
        if path.contains(TENANT_PLACEHOLDER) || path.contains(['{', '}']) {
            return Err(fail("{tenant} may only be the first label of the host"));
        }
        let scheme = scheme.to_ascii_lowercase();
        match authority.matches(TENANT_PLACEHOLDER).count() {
            0 => {
                let host = valid_host(authority)
                    .ok_or_else(|| fail("the host is not a valid host name (with an optional port)"))?;
                let hostname = RequestOrigin {
                    scheme: "http",
                    host: host.clone(),
                }
                .hostname()
                .to_owned();
                Ok(Self::Fixed {
                    base: format!("{scheme}://{host}{path}"),
                    hostname,
                })
            }
            1 => {
                let after_label = authority
                    .strip_prefix(TENANT_PLACEHOLDER)
                    .filter(|a| a.starts_with('.'))
                    .ok_or_else(|| {
                        fail("{tenant} must be the whole first label of the host ({tenant}.content.example.com)")
                    })?;
                // Checked with a real label in its place.
                let host = valid_host(&format!("t1{after_label}"))
                    .ok_or_else(|| fail("the host is not a valid host name (with an optional port)"))?;
                let after = &host[2..];
                let hostname = RequestOrigin {
                    scheme: "http",
                    host: host.clone(),
                }
                .hostname()
                .to_owned();
                if hostname.starts_with('[') || hostname.matches('.').count() < 1 {
                    return Err(fail("{tenant} must be followed by a domain"));
                }
                Ok(Self::PerTenant {
                    before: format!("{scheme}://"),
                    after: format!("{after}{path}"),
                    suffix: hostname[2..].to_owned(),
                })
            }
            _ => Err(fail("{tenant} may appear only once")),
        }
    }

    /// The scheme and host (and path) launch URLs of `tenant` start with; `None` = the
    /// request's own.
    pub fn base_for(&self, tenant: TenantId) -> Option<String> {
        match self {
            Self::Shared => None,
            Self::Fixed { base, .. } => Some(base.clone()),
            Self::PerTenant { before, after, .. } => Some(format!("{before}{}{after}", tenant_label(tenant))),
        }
    }

    /// Which site a request to `hostname` (lower case, no port) reaches; `None` = the
    /// request named no valid host.
    pub fn site(&self, hostname: Option<&str>) -> Site {
        let hostname = hostname.map(|h| h.strip_suffix('.').unwrap_or(h));
        match self {
            Self::Shared => Site::Shared,
            Self::Fixed { hostname: content, .. } => {
                if hostname == Some(content.as_str()) {
                    Site::Content(ContentScope::AnyTenant)
                } else {
                    Site::Api
                }
            }
            Self::PerTenant { suffix, .. } => match hostname.and_then(|h| h.strip_suffix(suffix.as_str())) {
                Some(label) if !label.is_empty() => {
                    Site::Content(parse_tenant_label(label).map_or(ContentScope::Nobody, ContentScope::Tenant))
                }
                _ => Site::Api,
            },
        }
    }

    /// What `serve` warns about at start-up: content sharing the API's origin, or every
    /// tenant's content sharing one.
    pub fn warning(&self) -> Option<&'static str> {
        match self {
            Self::Shared => Some(
                "content.public_base_url is not set: package content is served on the API's origin, so a package's scripts can read the API's same-origin responses and other tenants' packages' storage; set it to a host with {tenant}, e.g. https://{tenant}.content.example.com (see OPERATIONS.md, Content origins)",
            ),
            Self::Fixed { .. } => Some(
                "content.public_base_url has no {tenant}: every tenant's packages share one origin and can read each other's storage; put {tenant} in its host, e.g. https://{tenant}.content.example.com (see OPERATIONS.md, Content origins)",
            ),
            Self::PerTenant { .. } => None,
        }
    }
}

/// Whether `path` is a content path (`/content/…`, `/play/…`).
pub fn is_content_path(path: &str) -> bool {
    CONTENT_PREFIXES.iter().any(|p| path.starts_with(p))
}

/// Whether `site` serves `path`.
pub fn serves(site: Site, path: &str) -> bool {
    match site {
        Site::Shared => true,
        Site::Api => !is_content_path(path),
        Site::Content(ContentScope::Nobody) => false,
        Site::Content(_) => is_content_path(path) || CONTENT_HOST_EXTRAS.contains(&path),
    }
}

/// Gives every response but content the API's `Content-Security-Policy`, unless its handler
/// set its own (the `/docs` page).
///
/// # Errors
/// Those of the rest of the chain.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let content = is_content_path(req.path());
    let mut res = next.call(req).await?;
    if !content && !res.headers().contains_key(header::CONTENT_SECURITY_POLICY) {
        res.headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(API_POLICY));
    }
    Ok(res)
}

/// The policy of an HTML page of the service's own (`/docs`): the API's, plus exactly its
/// inline styles (`<style>` elements and `style` attributes, by their SHA-256). It has no
/// script.
pub fn page_policy(html: &str) -> String {
    let hash = |text: &str| {
        format!(
            "'sha256-{}'",
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes()))
        )
    };
    let mut elements = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<style>") {
        let body = &rest[start + "<style>".len()..];
        let Some(end) = body.find("</style>") else { break };
        elements.push(hash(&body[..end]));
        rest = &body[end..];
    }
    let mut attributes = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find(" style=\"") {
        let body = &rest[start + " style=\"".len()..];
        let Some(end) = body.find('"') else { break };
        let h = hash(&body[..end]);
        if !attributes.contains(&h) {
            attributes.push(h);
        }
        rest = &body[end..];
    }
    let mut style = elements;
    if !attributes.is_empty() {
        style.push("'unsafe-hashes'".to_owned());
        style.extend(attributes);
    }
    if style.is_empty() {
        return API_POLICY.to_owned();
    }
    format!(
        "{API_POLICY}; style-src {}; base-uri 'none'; form-action 'none'",
        style.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenant_label_is_t_and_its_id() {
        assert_eq!(tenant_label(TenantId(42)), "t42");
        assert_eq!(parse_tenant_label("t42"), Some(TenantId(42)));
        for bad in ["42", "t", "t0", "t042", "t-1", "t4x", "T42", "t99999999999999999999"] {
            assert_eq!(parse_tenant_label(bad), None, "{bad}");
        }
    }

    #[test]
    fn per_tenant_bases_and_hosts() {
        let origins = ContentOrigins::parse("https://{tenant}.Content.Example.com/").unwrap();
        assert_eq!(
            origins.base_for(TenantId(7)).as_deref(),
            Some("https://t7.content.example.com")
        );
        assert_eq!(origins.warning(), None);
        assert_eq!(
            origins.site(Some("t7.content.example.com")),
            Site::Content(ContentScope::Tenant(TenantId(7)))
        );
        assert_eq!(
            origins.site(Some("t7.content.example.com.")),
            Site::Content(ContentScope::Tenant(TenantId(7)))
        );
        assert_eq!(
            origins.site(Some("www.content.example.com")),
            Site::Content(ContentScope::Nobody)
        );
        assert_eq!(
            origins.site(Some("a.t7.content.example.com")),
            Site::Content(ContentScope::Nobody)
        );
        assert_eq!(origins.site(Some("content.example.com")), Site::Api);
        assert_eq!(origins.site(Some("api.example.com")), Site::Api);
        assert_eq!(origins.site(Some("evilcontent.example.com")), Site::Api);
        assert_eq!(origins.site(None), Site::Api);

        let local = ContentOrigins::parse("http://{tenant}.localhost:8080").unwrap();
        assert_eq!(local.base_for(TenantId(1)).as_deref(), Some("http://t1.localhost:8080"));
        assert_eq!(
            local.site(Some("t1.localhost")),
            Site::Content(ContentScope::Tenant(TenantId(1)))
        );
        assert_eq!(local.site(Some("localhost")), Site::Api);
        assert_eq!(local.site(Some("127.0.0.1")), Site::Api);
    }

    #[test]
    fn fixed_and_shared_origins_are_warned_about() {
        let fixed = ContentOrigins::parse("https://cdn.example.com:8443/lms").unwrap();
        assert_eq!(
            fixed.base_for(TenantId(3)).as_deref(),
            Some("https://cdn.example.com:8443/lms")
        );
        assert_eq!(
            fixed.site(Some("cdn.example.com")),
            Site::Content(ContentScope::AnyTenant)
        );
        assert_eq!(fixed.site(Some("api.example.com")), Site::Api);
        assert!(fixed.warning().unwrap().contains("{tenant}"));
        let shared = ContentOrigins::parse(" ").unwrap();
        assert_eq!(shared, ContentOrigins::Shared);
        assert_eq!(shared.base_for(TenantId(3)), None);
        assert_eq!(shared.site(Some("anything")), Site::Shared);
        assert!(shared.warning().unwrap().contains("API's origin"));
    }

    #[test]
    fn a_malformed_base_url_is_refused_naming_the_setting() {
        for bad in [
            "javascript://{tenant}.example.com",
            "content.example.com",
            "https://{tenant}",
            "https://x{tenant}.example.com",
            "https://{tenant}x.example.com",
            "https://cdn.{tenant}.example.com",
            "https://{tenant}.{tenant}.example.com",
            "https://{tenant}.example.com/{tenant}",
            "https://example.com/a?b",
            "https://exa mple.com",
            "https://example.com:99999",
            "https://{tenant}.example.com:0",
            "https://[::1]",
        ] {
            let error = ContentOrigins::parse(bad);
            if bad == "https://[::1]" {
                assert!(error.is_ok(), "an IPv6 literal is a valid fixed host");
                continue;
            }
            let e = error.unwrap_err().to_string();
            assert!(e.starts_with("content.public_base_url "), "{bad}: {e}");
        }
    }

    #[test]
    fn content_hosts_serve_content_only() {
        let tenant = Site::Content(ContentScope::Tenant(TenantId(1)));
        for path in ["/content/t/index.html", "/play/t", "/play/t/commit", "/healthz"] {
            assert!(serves(tenant, path), "{path}");
            assert!(serves(Site::Shared, path), "{path}");
        }
        for path in [
            "/metrics",
            "/readyz",
            "/docs",
            "/openapi.json",
            "/api/v2/activities",
            "/new",
            "/",
            "/contentx",
        ] {
            assert!(!serves(tenant, path), "{path}");
        }
        for path in ["/content/t/index.html", "/play/t", "/healthz", "/metrics"] {
            assert!(!serves(Site::Content(ContentScope::Nobody), path), "{path}");
        }
        assert!(!serves(Site::Api, "/content/t/index.html"));
        assert!(!serves(Site::Api, "/play/t"));
        assert!(serves(Site::Api, "/metrics"));
        assert!(serves(Site::Api, "/api/v2/activities"));
    }

    #[test]
    fn a_page_policy_allows_exactly_its_inline_styles() {
        let html = "<html><style>body{color:red}</style><a style=\"color:#fff\" href=\"/x\">x</a><b style=\"color:#fff\">y</b></html>";
        let policy = page_policy(html);
        let hash = |t: &str| base64::engine::general_purpose::STANDARD.encode(Sha256::digest(t.as_bytes()));
        assert!(policy.starts_with(API_POLICY), "{policy}");
        assert!(
            policy.contains(&format!(
                "style-src 'sha256-{}' 'unsafe-hashes' 'sha256-{}';",
                hash("body{color:red}"),
                hash("color:#fff")
            )),
            "{policy}"
        );
        assert!(
            !policy.contains("script-src") && !policy.contains("unsafe-inline"),
            "{policy}"
        );
        assert_eq!(page_policy("<p>plain</p>"), API_POLICY);
    }
}
