//! Content origins (issue 13, finding 4) and forwarded headers (finding 8), through the real
//! application: per-tenant content hosts serve content only, and only their tenant's; API
//! responses carry a Content-Security-Policy; launch URLs are built from forwarded headers
//! only when a trusted proxy sent them, and only from `http`/`https` and valid host names.

use crate::helpers::*;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::test;
use curricula_server::app::Adapters;
use curricula_server::origins::API_POLICY;
use curricula_store_blob::ObjectBlobStore;
use serde_json::Value;
use std::sync::Arc;

const PER_TENANT: &str = "http://{tenant}.localhost:8080";
const KEY_B: &str = "tenant-b-key-0123456789";

/// A response: status, two headers of interest, JSON body (or Null).
struct Got {
    status: u16,
    csp: Option<String>,
    content_type: String,
    body: Vec<u8>,
}

impl Got {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// Sends `method uri` with `headers`, from `peer` (default `203.0.113.7:40000`, no proxy).
async fn send(app: &TestApp, method: &str, uri: &str, headers: &[(&str, &str)], peer: Option<&str>) -> Got {
    let service = test::init_service(curricula_server::app::app(app.state.clone())).await;
    let mut req = test::TestRequest::default()
        .method(method.parse().unwrap())
        .uri(uri)
        .peer_addr(peer.unwrap_or("203.0.113.7:40000").parse().unwrap());
    for (name, value) in headers {
        req = req.insert_header((*name, *value));
    }
    let res: ServiceResponse<_> = service.call(req.to_request()).await.unwrap();
    let header = |name: &str| res.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
    let csp = header("content-security-policy");
    let content_type = header("content-type").unwrap_or_default();
    let status = res.status().as_u16();
    let body = test::read_body(res).await.to_vec();
    Got {
        status,
        csp,
        content_type,
        body,
    }
}

async fn on_host(app: &TestApp, host: &str, uri: &str) -> Got {
    send(app, "GET", uri, &[("host", host)], None).await
}

/// A second tenant with its own key and user; returns its id.
async fn second_tenant(app: &TestApp) -> i64 {
    let blobs = Arc::new(ObjectBlobStore::open(&format!("file://{}", app.blob_dir().display())).unwrap());
    let admin = Adapters::new(app.db.clone(), blobs).admin();
    let tenant = admin.create_tenant("Other", "en-GB", &[]).await.unwrap().id;
    admin.create_user(tenant, "anna").await.unwrap();
    admin.create_key(tenant, Some(ORIGIN), Some(KEY_B)).await.unwrap();
    tenant.0
}

/// Uploads the sample package with `key` (as `user`); returns the activity id.
async fn upload(app: &TestApp, key: &str, user: &str) -> i64 {
    let package = sample_package("hse-presentation.zip");
    let (status, body) = app
        .post(
            "/api/activityupload/new",
            &[
                Part::Text("key", key),
                Part::Text("origin", ORIGIN),
                Part::Text("activityType", "scorm"),
                Part::Text("name", "Sample"),
                Part::Text("userName", user),
                Part::File("file", &package),
            ],
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["activityId"].as_i64().unwrap()
}

/// The launch URL of activity `id` with `key`, asked on the API host.
async fn launch_url(app: &TestApp, id: i64, key: &str) -> String {
    let got = on_host(
        app,
        "localhost:8080",
        &format!("/api/v2/activities/{id}/launch?api_key={key}"),
    )
    .await;
    assert_eq!(got.status, 200, "{:?}", got.json());
    got.json()["launch_url"].as_str().unwrap().to_owned()
}

/// `http://host:port/path` → (`host:port`, `/path`).
fn split(url: &str) -> (String, String) {
    let rest = url.strip_prefix("http://").unwrap();
    let at = rest.find('/').unwrap();
    (rest[..at].to_owned(), rest[at..].to_owned())
}

#[actix_web::test]
async fn every_tenant_gets_a_content_host_that_serves_content_only() {
    let app = TestApp::with_hosts(PER_TENANT, &[]).await;
    let a = app.tenant.0;
    let id = upload(&app, KEY, "jon.jonsson").await;
    let url = launch_url(&app, id, KEY).await;
    assert!(
        url.starts_with(&format!("http://t{a}.localhost:8080/content/")),
        "{url}"
    );
    let (host, path) = split(&url);

    let page = on_host(&app, &host, &path).await;
    assert_eq!(page.status, 200);
    assert!(page.content_type.starts_with("text/html"), "{}", page.content_type);
    assert_eq!(page.csp, None, "content runs its own scripts: no policy");
    let head = send(&app, "HEAD", &path, &[("host", &host)], None).await;
    assert_eq!(head.status, 200);

    // Nothing but content (and liveness) on a content host.
    for uri in [
        "/metrics",
        "/readyz",
        "/docs",
        "/openapi.json",
        "/",
        "/api/activityupload/new",
        &format!("/api/v2/activities?api_key={KEY}"),
        &format!("/api/v2/activities/{id}/launch?api_key={KEY}"),
    ] {
        let got = on_host(&app, &host, uri).await;
        assert_eq!(got.status, 404, "{uri} on {host}: {:?}", got.json());
    }
    let v2 = on_host(&app, &host, &format!("/api/v2/activities?api_key={KEY}")).await;
    assert_eq!(
        v2.json(),
        serde_json::json!(["no such endpoint"]),
        "in the v2 error shape"
    );
    let post = send(&app, "POST", "/api/activityupload/new", &[("host", &host)], None).await;
    assert_eq!(post.status, 404);
    assert_eq!(post.json()["errorMessage"], "no such endpoint");
    assert_eq!(on_host(&app, &host, "/healthz").await.status, 200);
    // The player is served on content hosts only (a malformed token is refused there).
    assert_eq!(on_host(&app, &host, "/play/x").await.status, 403);
    assert_eq!(on_host(&app, "localhost:8080", "/play/x").await.status, 404);

    // The host name decides, whatever its case, port or trailing dot.
    let upper = host.to_uppercase().replace(":8080", ".:9999");
    assert_eq!(on_host(&app, &upper, &path).await.status, 200, "{upper}");
    assert_eq!(on_host(&app, &upper, "/metrics").await.status, 404, "{upper}");

    // A host under the content domain that names no tenant serves nothing.
    for host in [
        "www.localhost:8080",
        "t0.localhost",
        "t01.localhost",
        &format!("x.t{a}.localhost"),
    ] {
        assert_eq!(on_host(&app, host, &path).await.status, 404, "{host}");
        assert_eq!(on_host(&app, host, "/healthz").await.status, 404, "{host}");
        assert_eq!(on_host(&app, host, "/metrics").await.status, 404, "{host}");
    }

    // The API host serves no content, so a package cannot be made to run on the API's origin.
    let api = on_host(&app, "localhost:8080", &path).await;
    assert_eq!(api.status, 404);
    let metrics = on_host(&app, "localhost:8080", "/metrics").await;
    assert_eq!(metrics.status, 200);
    assert_eq!(metrics.csp.as_deref(), Some(API_POLICY));
}

#[actix_web::test]
async fn a_tenants_host_refuses_another_tenants_content() {
    let app = TestApp::with_hosts(PER_TENANT, &[]).await;
    let a = app.tenant.0;
    let b = second_tenant(&app).await;
    let id_a = upload(&app, KEY, "jon.jonsson").await;
    let id_b = upload(&app, KEY_B, "anna").await;
    let (host_a, path_a) = split(&launch_url(&app, id_a, KEY).await);
    let (host_b, path_b) = split(&launch_url(&app, id_b, KEY_B).await);
    assert_eq!(host_a, format!("t{a}.localhost:8080"));
    assert_eq!(host_b, format!("t{b}.localhost:8080"));
    assert_eq!(on_host(&app, &host_a, &path_a).await.status, 200);
    assert_eq!(on_host(&app, &host_b, &path_b).await.status, 200);
    // B's token on A's host (so that B's scripts would run on A's origin), and back.
    let crossed = on_host(&app, &host_a, &path_b).await;
    assert_eq!(crossed.status, 404);
    assert_eq!(crossed.json()["errorMessage"], "no such content on this host");
    assert_eq!(on_host(&app, &host_b, &path_a).await.status, 404);
    let head = send(&app, "HEAD", &path_b, &[("host", &host_a)], None).await;
    assert_eq!(head.status, 404);
    // A tenant that does not exist has a host too, that serves nobody's content.
    assert_eq!(on_host(&app, "t999999.localhost", &path_a).await.status, 404);
}

#[actix_web::test]
async fn one_fixed_content_host_serves_every_tenants_content_only() {
    let app = TestApp::with_hosts("http://cdn.localhost:8080", &[]).await;
    let id = upload(&app, KEY, "jon.jonsson").await;
    let url = launch_url(&app, id, KEY).await;
    let (host, path) = split(&url);
    assert_eq!(host, "cdn.localhost:8080");
    assert_eq!(on_host(&app, &host, &path).await.status, 200);
    assert_eq!(on_host(&app, &host, "/metrics").await.status, 404);
    assert_eq!(on_host(&app, "localhost:8080", &path).await.status, 404);
}

#[actix_web::test]
async fn api_responses_carry_a_content_security_policy_and_content_none() {
    let app = TestApp::new().await;
    let id = app.scorm("Sample", &sample_package("hse-presentation.zip")).await;
    for uri in [
        "/healthz",
        "/metrics",
        "/openapi.json",
        "/api/v2/activities",
        &format!("/api/v2/activities?api_key={KEY}"),
        "/no/such/path",
    ] {
        let got = on_host(&app, "localhost:8080", uri).await;
        assert_eq!(got.csp.as_deref(), Some(API_POLICY), "{uri} ({})", got.status);
    }
    let post = send(&app, "POST", "/api/activityupload/new", &[("host", "localhost")], None).await;
    assert_eq!(post.csp.as_deref(), Some(API_POLICY), "{}", post.status);

    // The docs page styles itself inline: its policy allows exactly those styles, no script.
    let docs = on_host(&app, "localhost:8080", "/docs").await;
    assert_eq!(docs.status, 200);
    let policy = docs.csp.unwrap();
    assert!(policy.starts_with(API_POLICY), "{policy}");
    assert!(policy.contains("style-src 'sha256-"), "{policy}");
    assert!(
        !policy.contains("script-src") && !policy.contains("'unsafe-inline'"),
        "{policy}"
    );

    // Content: no policy (its scripts must run), on the shared origin.
    let url = launch_url(&app, id, KEY).await;
    let (_, path) = split(&url);
    let page = on_host(&app, "localhost:8080", &path).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.csp, None);
    // Refusals of content paths are not API responses either.
    let forged = on_host(&app, "localhost:8080", "/content/forged/index.html").await;
    assert_eq!(forged.status, 403);
    assert_eq!(forged.csp, None);
}

/// The launch URL answered for `headers` from `peer`.
async fn launched(app: &TestApp, id: i64, headers: &[(&str, &str)], peer: &str) -> (u16, Value) {
    let uri = format!("/api/v2/activities/{id}/launch?api_key={KEY}");
    let got = send(app, "GET", &uri, headers, Some(peer)).await;
    (got.status, got.json())
}

#[actix_web::test]
async fn forwarded_headers_count_only_from_trusted_proxies_and_only_when_valid() {
    const PROXY: &str = "10.0.0.5:51000";
    const CLIENT: &str = "203.0.113.7:40000";
    let app = TestApp::with_hosts("", &["10.0.0.0/8"]).await;
    let id = app.scorm("Sample", &sample_package("hse-presentation.zip")).await;
    let url = |headers: &[(&str, &str)], peer: &'static str| {
        let app = &app;
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect();
        async move {
            let headers: Vec<(&str, &str)> = headers.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
            let (status, body) = launched(app, id, &headers, peer).await;
            assert_eq!(status, 200, "{body}");
            body["launch_url"].as_str().unwrap().to_owned()
        }
    };
    let evil = [
        ("host", "api.example.com"),
        ("forwarded", "host=\"x%0Aalert(1)//\";proto=javascript"),
    ];
    // The finding, from a client and from a trusted proxy: the script scheme never comes out.
    for peer in [CLIENT, PROXY] {
        let got = url(&evil, peer).await;
        assert!(got.starts_with("http://api.example.com/content/"), "{peer}: {got}");
    }
    let good = [
        ("host", "internal:8080"),
        ("forwarded", "for=203.0.113.7;host=lms.example.com;proto=https"),
    ];
    assert!(url(&good, PROXY).await.starts_with("https://lms.example.com/content/"));
    assert!(
        url(&good, CLIENT).await.starts_with("http://internal:8080/content/"),
        "an untrusted peer's headers are ignored"
    );
    let x = [
        ("host", "internal:8080"),
        ("x-forwarded-host", "lms.example.com:8443"),
        ("x-forwarded-proto", "https"),
    ];
    assert!(
        url(&x, PROXY)
            .await
            .starts_with("https://lms.example.com:8443/content/")
    );
    assert!(url(&x, CLIENT).await.starts_with("http://internal:8080/content/"));
    let bad_x = [
        ("host", "internal:8080"),
        ("x-forwarded-host", "evil.example/x?"),
        ("x-forwarded-proto", "data"),
    ];
    assert!(url(&bad_x, PROXY).await.starts_with("http://internal:8080/content/"));

    // The Host header itself is checked.
    for bad in ["x/alert(1)//", "javascript:alert(1)", "a b"] {
        let (status, body) = launched(&app, id, &[("host", bad)], CLIENT).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(body[0].as_str().unwrap().contains("Host header"), "{body}");
    }
}

#[actix_web::test]
async fn public_base_url_wins_over_forwarded_headers() {
    let app = TestApp::with_hosts("https://{tenant}.content.example.com", &["0.0.0.0/0"]).await;
    let id = app.scorm("Sample", &sample_package("hse-presentation.zip")).await;
    let headers = [
        ("host", "api.example.com"),
        ("forwarded", "host=evil.example;proto=http"),
    ];
    let (status, body) = launched(&app, id, &headers, "10.0.0.1:1").await;
    assert_eq!(status, 200, "{body}");
    let url = body["launch_url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("https://t{}.content.example.com/content/", app.tenant.0)),
        "{url}"
    );
}

#[actix_web::test]
async fn a_trusted_proxys_forwarded_host_decides_the_site() {
    let app = TestApp::with_hosts(PER_TENANT, &["127.0.0.1"]).await;
    let content_host = format!("t{}.localhost", app.tenant.0);
    let proxied = [("host", "127.0.0.1:8080"), ("x-forwarded-host", content_host.as_str())];
    let metrics = send(&app, "GET", "/metrics", &proxied, Some("127.0.0.1:3000")).await;
    assert_eq!(metrics.status, 404, "through the proxy it is a content host");
    let direct = send(&app, "GET", "/metrics", &proxied, Some("192.0.2.1:3000")).await;
    assert_eq!(direct.status, 200, "a client's own X-Forwarded-Host is ignored");
    // And a client cannot reach the API through the content host by claiming the API host.
    let claimed = [("host", content_host.as_str()), ("x-forwarded-host", "localhost")];
    let refused = send(&app, "GET", "/metrics", &claimed, Some("192.0.2.1:3000")).await;
    assert_eq!(refused.status, 404);
}
