//! Launch URLs and content delivery, end to end: a package goes in through the upload API, its
//! launch URL comes out of the v2 API, and the browser-facing `/content/` serves the launch
//! page and the files it references, over the local folder and over S3. The packages are built
//! here; the same story over real authoring tools' packages of the shared corpus is an extra
//! (skipped loudly without `../shared`, required under `CI=true`).

use crate::helpers::*;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::test;
use curricula_ports::{BlobKey, BlobStore};
use curricula_service::{BlobSweeper, ContentSigner};
use curricula_store_blob::{ObjectBlobStore, testing};
use serde_json::Value;
use std::collections::HashMap;
use std::io::Read;
use std::sync::Arc;

/// A package launched from `index.html`, linking `jquery.min.js` and `styles.css`.
fn complex() -> Vec<u8> {
    built_package("Complex SCORM", "index.html", "complex")
}

/// A package launched from a page in a folder, `shared/launchpage.html`.
fn single_sco() -> Vec<u8> {
    built_package("Single SCO", "shared/launchpage.html", "single")
}

/// One file of a zip, as stored in it.
fn entry(zip: &[u8], name: &str) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let mut file = archive.by_name(name).unwrap();
    let mut out = Vec::new();
    file.read_to_end(&mut out).unwrap();
    out
}

/// A response: status, headers (lower-case names), body.
struct Got {
    status: u16,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

impl Got {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", String::as_str)
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

async fn request(app: &TestApp, method: &str, uri: &str, headers: &[(&str, &str)]) -> Got {
    let service = test::init_service(curricula_server::app::app(app.state.clone())).await;
    let mut req = test::TestRequest::default().method(method.parse().unwrap()).uri(uri);
    for (name, value) in headers {
        req = req.insert_header((*name, *value));
    }
    let res: ServiceResponse<_> = service.call(req.to_request()).await.unwrap();
    let status = res.status().as_u16();
    let headers = res
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
        .collect();
    let body = test::read_body(res).await.to_vec();
    Got { status, headers, body }
}

async fn get(app: &TestApp, uri: &str) -> Got {
    request(app, "GET", uri, &[]).await
}

/// The path (and query) of an absolute launch URL, and the folder part `/content/{token}/`.
fn split_url(url: &str) -> (String, String) {
    let at = url.find("/content/").expect("a content URL");
    let path = url[at..].to_owned();
    let token_end = path["/content/".len()..].find('/').unwrap() + "/content/".len() + 1;
    let folder = path[..token_end].to_owned();
    (path, folder)
}

/// The whole story over one blob store: `package` launches from `index.html` and links
/// `jquery.min.js` and `styles.css`; `other` launches from `shared/launchpage.html`.
async fn launch_and_fetch(app: &TestApp, package: &[u8], other: &[u8]) {
    let id = app.scorm("Complex SCORM", package).await;

    let launched = get(app, &format!("/api/v2/activities/{id}/launch?api_key={KEY}")).await;
    assert_eq!(launched.status, 200, "{}", launched.json());
    let body = launched.json();
    assert_eq!(body["activity_id"], id);
    assert_eq!(body["language"], "en-GB");
    let url = body["launch_url"].as_str().unwrap();
    assert!(url.starts_with("http://localhost:8080/content/"), "{url}");
    assert!(url.ends_with("/index.html"), "{url}");
    assert_eq!(launched.header("cache-control"), "no-store");
    let (path, folder) = split_url(url);

    // The launch page, byte for byte, as HTML.
    let page = get(app, &path).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.header("content-type"), "text/html");
    assert!(page.body == entry(package, "index.html"), "the launch page differs");
    let etag = page.header("etag").to_owned();
    assert!(etag.starts_with('"') && etag.len() > 2, "{etag}");
    assert_eq!(page.header("accept-ranges"), "bytes");

    // Files the page references by relative links resolve under the same token.
    let html = String::from_utf8_lossy(&page.body).into_owned();
    for (link, kind) in [("jquery.min.js", "javascript"), ("styles.css", "text/css")] {
        assert!(html.contains(&format!("\"{link}\"")), "the page links {link}");
        let file = get(app, &format!("{folder}{link}")).await;
        assert_eq!(file.status, 200, "{link}");
        assert!(
            file.header("content-type").contains(kind),
            "{link}: {}",
            file.header("content-type")
        );
        assert!(file.body == entry(package, link), "{link} differs");
    }

    // Revalidation, ranges, HEAD.
    let size = page.body.len();
    let same = request(app, "GET", &path, &[("if-none-match", &etag)]).await;
    assert_eq!(same.status, 304);
    assert!(same.body.is_empty());
    assert_eq!(same.header("etag"), etag);
    let part = request(app, "GET", &path, &[("range", "bytes=10-19")]).await;
    assert_eq!(part.status, 206);
    assert_eq!(part.header("content-range"), format!("bytes 10-19/{size}"));
    assert!(part.body == page.body[10..20]);
    let tail = request(app, "GET", &path, &[("range", "bytes=-7")]).await;
    assert_eq!(tail.status, 206);
    assert!(tail.body == page.body[size - 7..]);
    let stale = request(app, "GET", &path, &[("range", "bytes=0-9"), ("if-range", "\"old\"")]).await;
    assert_eq!(stale.status, 200, "If-Range with another version gets the whole file");
    assert_eq!(stale.body.len(), size);
    let outside = request(app, "GET", &path, &[("range", &format!("bytes={size}-"))]).await;
    assert_eq!(outside.status, 416);
    assert_eq!(outside.header("content-range"), format!("bytes */{size}"));
    let head = request(app, "HEAD", &path, &[]).await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), size.to_string());
    assert_eq!(head.header("etag"), etag);
    assert!(head.body.is_empty());

    // Nothing outside the version's folder, however the path is spelled.
    let other = app.scorm("Single SCO", other).await;
    let other_url = get(app, &format!("/api/v2/activities/{other}/launch?api_key={KEY}"))
        .await
        .json()["launch_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let (other_path, other_folder) = split_url(&other_url);
    assert_ne!(folder, other_folder);
    assert_eq!(get(app, &other_path).await.status, 200);
    let activity = app.activity(other).await.unwrap();
    let other_prefix = activity.versions[0].scorm.as_ref().unwrap().storage_prefix.clone();
    let other_id = other_prefix.rsplit('/').next().unwrap();
    for escape in [
        format!("../{other_id}/shared/launchpage.html"),
        format!("%2e%2e/{other_id}/shared/launchpage.html"),
        format!("%2E%2E%2F{other_id}%2Fshared/launchpage.html"),
        format!("..%5C{other_id}%5Cshared%5Claunchpage.html"),
        "../../../../etc/passwd".to_owned(),
        "./index.html".to_owned(),
        "a//index.html".to_owned(),
        String::new(),
    ] {
        let got = get(app, &format!("{folder}{escape}")).await;
        assert!(matches!(got.status, 400 | 404), "{escape}: {}", got.status);
    }
    assert_eq!(get(app, &format!("{folder}no-such-file.js")).await.status, 404);

    // Bad and expired tokens are 403, and say nothing about the folder.
    let token = &folder["/content/".len()..folder.len() - 1];
    let mut forged = token.to_owned().into_bytes();
    forged[5] = if forged[5] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    for bad in [forged.as_str(), "not-a-token", "x"] {
        let got = get(app, &format!("/content/{bad}/index.html")).await;
        assert_eq!(got.status, 403, "{bad}");
    }
    let prefix = BlobKey::new(
        app.activity(id).await.unwrap().versions[0]
            .scorm
            .as_ref()
            .unwrap()
            .storage_prefix
            .clone(),
    )
    .unwrap();
    let key = app.admin.keys(app.tenant).await.unwrap()[0].id;
    let signer = ContentSigner::new(CONTENT_SECRET.as_bytes(), 60);
    let (expired, _) = signer.sign(key, &prefix, chrono::Utc::now() - chrono::Duration::hours(1), None);
    assert_eq!(get(app, &format!("/content/{expired}/index.html")).await.status, 403);
    let (fresh, _) = signer.sign(key, &prefix, chrono::Utc::now(), None);
    assert_eq!(get(app, &format!("/content/{fresh}/index.html")).await.status, 200);
    // Correctly signed, but for a key that does not exist.
    let (keyless, _) = signer.sign(curricula_domain::ApiKeyId(987_654), &prefix, chrono::Utc::now(), None);
    assert_eq!(get(app, &format!("/content/{keyless}/index.html")).await.status, 403);
}

#[actix_web::test]
async fn a_package_launches_from_the_local_folder() {
    launch_and_fetch(&TestApp::new().await, &complex(), &single_sco()).await;
}

#[actix_web::test]
async fn a_package_launches_from_s3() {
    let Some(endpoint) = testing::s3_endpoint("a_package_launches_from_s3") else {
        return;
    };
    let bucket = testing::create_bucket(&endpoint);
    let store = ObjectBlobStore::open_with(&format!("s3://{bucket}/curricula"), &testing::options(&endpoint)).unwrap();
    launch_and_fetch(
        &TestApp::with(500_000_000, Some(Arc::new(store))).await,
        &complex(),
        &single_sco(),
    )
    .await;
}

/// The extra: the same story over two real packages of the shared corpus (Moodle's).
#[actix_web::test]
async fn corpus_packages_launch_from_the_local_folder() {
    let test = "corpus_packages_launch_from_the_local_folder";
    let (Some(package), Some(other)) = (
        corpus_package(test, "moodle-complexscorm.zip"),
        corpus_package(test, "moodle-singlesco-scorm12.zip"),
    ) else {
        return;
    };
    launch_and_fetch(&TestApp::new().await, &package, &other).await;
}

#[actix_web::test]
async fn launch_picks_the_language_version_and_refuses_what_cannot_launch() {
    let app = TestApp::new().await;
    let id = app.scorm("Complex SCORM", &complex()).await;
    let launch = |query: String| {
        let app = &app;
        async move { get(app, &format!("/api/v2/activities/{query}")).await }
    };

    // Authentication like the rest of v2: the query key, or a Bearer token.
    assert_eq!(launch(format!("{id}/launch")).await.status, 401);
    let bearer = request(
        &app,
        "GET",
        &format!("/api/v2/activities/{id}/launch"),
        &[("authorization", &format!("Bearer {KEY}"))],
    )
    .await;
    assert_eq!(bearer.status, 200);

    // Another tenant's key does not even learn that the activity exists.
    let admin = curricula_service::AdminService::new(app.db.directory(), Arc::new(curricula_server::app::SystemClock));
    let other = admin.create_tenant("Other", "en-GB", &[]).await.unwrap().id;
    admin.create_key(other, None, Some("other-tenant-key")).await.unwrap();
    let stranger = launch(format!("{id}/launch?api_key=other-tenant-key")).await;
    assert_eq!(stranger.status, 404);
    assert_eq!(stranger.json(), serde_json::json!([format!("activity {id} not found")]));

    let missing = launch(format!("999/launch?api_key={KEY}")).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json(), serde_json::json!(["activity 999 not found"]));
    assert_eq!(launch(format!("abc/launch?api_key={KEY}")).await.status, 404);

    let no_version = launch(format!("{id}/launch?api_key={KEY}&language=is-IS")).await;
    assert_eq!(no_version.status, 422);
    assert_eq!(
        no_version.json(),
        serde_json::json!([format!(
            "language is-IS is not a language of activity {id} (it has en-GB)"
        )])
    );
    let malformed = launch(format!("{id}/launch?api_key={KEY}&language=x")).await;
    assert_eq!(malformed.status, 422);
    assert!(
        malformed.json()[0].as_str().unwrap().starts_with("language"),
        "{}",
        malformed.json()
    );
    let unknown = launch(format!("{id}/launch?api_key={KEY}&lang=is-IS")).await;
    assert_eq!(unknown.status, 422);
    assert_eq!(unknown.json(), serde_json::json!(["lang is not a known parameter"]));

    let course = app.course("A path").await;
    let refused = launch(format!("{course}/launch?api_key={KEY}")).await;
    assert_eq!(refused.status, 422);
    assert_eq!(
        refused.json(),
        serde_json::json!([format!(
            "activity {course} is a course; only SCORM activities have content to launch"
        )])
    );

    // An Icelandic version gets its own folder; the default stays the tenant's language.
    let (status, body) = app
        .post(
            "/api/activityupload/addlanguage",
            &[
                Part::Text("key", KEY),
                Part::Text("origin", ORIGIN),
                Part::Text("activityId", &id.to_string()),
                Part::Text("languageId", "is-IS"),
                Part::Text("name", "Flókið"),
                Part::File("file", &single_sco()),
            ],
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let icelandic = launch(format!("{id}/launch?api_key={KEY}&language=is-IS")).await.json();
    assert_eq!(icelandic["language"], "is-IS");
    assert!(
        icelandic["launch_url"]
            .as_str()
            .unwrap()
            .ends_with("/shared/launchpage.html")
    );
    let default = launch(format!("{id}/launch?api_key={KEY}")).await.json();
    assert_eq!(default["language"], "en-GB");
    assert!(default["launch_url"].as_str().unwrap().ends_with("/index.html"));
    let page = get(&app, &split_url(icelandic["launch_url"].as_str().unwrap()).0).await;
    assert_eq!(page.status, 200);
    assert!(page.body == entry(&single_sco(), "shared/launchpage.html"));
}

/// The wall clock, `self.0` seconds ahead.
struct Later(i64);

impl curricula_ports::Clock for Later {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now() + chrono::Duration::seconds(self.0)
    }
}

/// The sweep removes an unreferenced folder once it is older than the grace period, and never
/// a referenced one.
#[actix_web::test]
async fn the_sweep_removes_only_old_unreferenced_folders() {
    let app = TestApp::new().await;
    let id = app.scorm("Complex SCORM", &complex()).await;
    let blobs = Arc::clone(&app.state.content.blobs);
    let orphan = BlobKey::new("packages/1/0123456789abcdef0123456789abcdef").unwrap();
    blobs
        .put(
            &orphan.join("index.html").unwrap(),
            "left by a crash".into(),
            "text/html",
        )
        .await
        .unwrap();
    // A sweep at `now + ahead` seconds.
    let sweeper = |ahead: i64| {
        BlobSweeper::new(
            Arc::clone(&app.sql),
            Arc::clone(&blobs) as Arc<dyn BlobStore>,
            Arc::new(Later(ahead)),
            3600,
        )
    };

    let report = sweeper(0).sweep(false).await.unwrap();
    assert_eq!((report.folders, report.referenced, report.recent), (2, 1, 1));
    assert!(
        report.orphans.is_empty(),
        "a folder written just now may be an upload in flight"
    );

    let dry = sweeper(7200).sweep(true).await.unwrap();
    assert_eq!(dry.orphans, vec![orphan.to_string()]);
    assert_eq!(blobs.list(&orphan).await.unwrap().len(), 1, "a dry run deletes nothing");

    let swept = sweeper(7200).sweep(false).await.unwrap();
    assert_eq!(swept.referenced, 1);
    assert_eq!(swept.orphans, vec![orphan.to_string()]);
    assert_eq!(swept.objects_deleted, 1);
    assert!(blobs.list(&orphan).await.unwrap().is_empty());
    let launched = get(&app, &format!("/api/v2/activities/{id}/launch?api_key={KEY}")).await;
    let page = get(&app, &split_url(launched.json()["launch_url"].as_str().unwrap()).0).await;
    assert_eq!(page.status, 200, "the referenced package is untouched");
}
