//! A test instance of the real application: SQLite in a temporary folder, blobs in a
//! temporary folder, one tenant with a user, two organisations and an upload key.

use actix_web::dev::{Service, ServiceResponse};
use actix_web::{test, web};
use curricula_domain::{ActivityId, TenantId};
use curricula_ports::{ActivityRepository, BlobStore, Clock};
use curricula_server::app::{Adapters, AppState, SystemClock};
use curricula_server::content::ContentState;
use curricula_server::settings::ContentSettings;
use curricula_service::{AdminService, IngestSettings};
use curricula_store_blob::ObjectBlobStore;
use curricula_store_sql::Database;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub const KEY: &str = "test-key-0123456789";
pub const ORIGIN: &str = "https://skoli.istak.is";
/// The content secret of test apps.
pub const CONTENT_SECRET: &str = "test-content-secret";

/// One part of a multipart body.
pub enum Part<'a> {
    Text(&'a str, &'a str),
    File(&'a str, &'a [u8]),
}

/// Content origins and trusted proxies of a test app (default: neither).
#[derive(Default)]
struct Hosts {
    public_base_url: String,
    proxies: curricula_server::forwarded::TrustedProxies,
}

/// The wall clock moved by an offset a test sets (to end a grace period without waiting).
#[derive(Default)]
pub struct TestClock {
    offset_seconds: std::sync::atomic::AtomicI64,
}

impl TestClock {
    /// Moves the clock `by` forward.
    pub fn advance(&self, by: chrono::Duration) {
        self.offset_seconds
            .fetch_add(by.num_seconds(), std::sync::atomic::Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        let offset = self.offset_seconds.load(std::sync::atomic::Ordering::SeqCst);
        SystemClock.now() + chrono::Duration::seconds(offset)
    }
}

pub struct TestApp {
    pub dir: tempfile::TempDir,
    /// The clock of every use case of the app.
    pub clock: Arc<TestClock>,
    /// The admin use cases on the app's clock.
    pub admin: AdminService<dyn curricula_ports::TenantDirectory>,
    /// The activity repository of the app's database.
    pub sql: Arc<dyn ActivityRepository>,
    /// The app's database.
    pub db: Database,
    pub state: web::Data<AppState>,
    pub tenant: TenantId,
    /// The Postgres database of [`TestApp::postgres`], dropped with the app.
    _pg: Option<curricula_store_sql::testing::TestDatabase>,
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with(500_000_000, None).await
    }

    /// With a body limit, and optionally another blob store (e.g. a failing one), on SQLite.
    pub async fn with(max_body_bytes: u64, blobs: Option<Arc<dyn BlobStore>>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        let db = Database::connect(&url, 4).await.unwrap();
        Self::on(dir, db, None, max_body_bytes, blobs, std::time::Duration::ZERO).await
    }

    /// On SQLite, with `content.public_base_url` = `public_base_url` and
    /// `server.trusted_proxies` = `proxies`.
    pub async fn with_hosts(public_base_url: &str, proxies: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        let db = Database::connect(&url, 4).await.unwrap();
        let hosts = Hosts {
            public_base_url: public_base_url.to_owned(),
            proxies: curricula_server::forwarded::TrustedProxies::parse(proxies).unwrap(),
        };
        Self::on_hosts(dir, db, None, 500_000_000, None, std::time::Duration::ZERO, hosts).await
    }

    /// On SQLite, keeping 2 package revisions but never one replaced within the last hour
    /// (as `serve` protects them for the launch-URL lifetime).
    pub async fn protecting_revisions() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        let db = Database::connect(&url, 4).await.unwrap();
        let hour = std::time::Duration::from_secs(3600);
        Self::on(dir, db, None, 500_000_000, None, hour).await
    }

    /// The same app on a fresh Postgres database; `None` (said loudly) without one.
    pub async fn postgres() -> Option<Self> {
        let pg = curricula_store_sql::testing::TestDatabase::create().await?;
        let db = Database::connect(pg.url(), 8).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        Some(Self::on(dir, db, Some(pg), 500_000_000, None, std::time::Duration::ZERO).await)
    }

    /// The application wired as `curricula serve` wires it (through [`Adapters`]), over `db`.
    async fn on(
        dir: tempfile::TempDir,
        db: Database,
        pg: Option<curricula_store_sql::testing::TestDatabase>,
        max_body_bytes: u64,
        blobs: Option<Arc<dyn BlobStore>>,
        protection: std::time::Duration,
    ) -> Self {
        Self::on_hosts(dir, db, pg, max_body_bytes, blobs, protection, Hosts::default()).await
    }

    /// [`TestApp::on`] with content origins and trusted proxies.
    async fn on_hosts(
        dir: tempfile::TempDir,
        db: Database,
        pg: Option<curricula_store_sql::testing::TestDatabase>,
        max_body_bytes: u64,
        blobs: Option<Arc<dyn BlobStore>>,
        protection: std::time::Duration,
        hosts: Hosts,
    ) -> Self {
        db.migrate().await.unwrap();
        let blobs = blobs.unwrap_or_else(|| {
            let url = format!("file://{}", dir.path().join("blobs").display());
            Arc::new(ObjectBlobStore::open(&url).unwrap())
        });
        let clock = Arc::new(TestClock::default());
        let adapters = Adapters::with_clock(db.clone(), Arc::clone(&blobs), Arc::clone(&clock) as Arc<dyn Clock>);
        let admin = adapters.admin();
        let tenant = admin
            .create_tenant("Istak", "en-GB", &["is-IS".into()])
            .await
            .unwrap()
            .id;
        admin.create_user(tenant, "jon.jonsson").await.unwrap();
        admin.create_organisation(tenant, "Reykjavík", Some(81)).await.unwrap();
        admin
            .create_organisation(tenant, "Akureyri", Some(27293))
            .await
            .unwrap();
        admin.create_key(tenant, Some(ORIGIN), Some(KEY)).await.unwrap();
        let tmp_dir = dir.path().join("tmp");
        std::fs::create_dir_all(&tmp_dir).unwrap();
        let state = web::Data::new(AppState {
            // Keeping 3 (2 when protecting), and no protection of recently replaced revisions
            // unless a test asks.
            uploads: adapters
                .uploads(IngestSettings::default())
                .with_revisions_kept(if protection.is_zero() { 3 } else { 2 })
                .with_revision_protection(protection),
            curricula: adapters.curricula(),
            activities: adapters.activity_queries(),
            learners: curricula_service::learners::LearnerService::new(
                Arc::clone(&adapters.learners),
                Arc::clone(&adapters.clock),
            ),
            events: curricula_service::EventReader::new(db.events()),
            deliveries: Arc::default(),
            imports: db.imports(),
            clock: Arc::clone(&adapters.clock),
            webhooks: curricula_service::webhooks::WebhookService::new(
                db.webhooks(),
                Arc::clone(&adapters.clock),
                webhook_settings(),
            ),
            max_body_bytes,
            tmp_dir,
            intake: curricula_server::upload_api::intake::Intake::new(Default::default()),
            content: ContentState::new(
                Arc::clone(&adapters.directory),
                Arc::clone(&adapters.activities),
                Arc::clone(&adapters.learners),
                Arc::clone(&blobs),
                Arc::clone(&adapters.clock),
                &ContentSettings {
                    secret: CONTENT_SECRET.to_owned(),
                    url_lifetime_seconds: 3600,
                    public_base_url: hosts.public_base_url,
                },
            )
            .unwrap(),
            database: db.clone(),
            proxies: hosts.proxies,
            idempotency: adapters.idempotency(std::time::Duration::from_secs(24 * 3600)),
        });
        Self {
            dir,
            clock,
            admin,
            sql: Arc::clone(&adapters.activities),
            db,
            state,
            tenant,
            _pg: pg,
        }
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("test.db")
    }

    pub fn blob_dir(&self) -> PathBuf {
        self.dir.path().join("blobs")
    }

    /// Every file under the blob folder (relative paths).
    pub fn stored_files(&self) -> Vec<String> {
        fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
            let Ok(entries) = std::fs::read_dir(dir) else { return };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(root, &path, out);
                } else {
                    out.push(path.strip_prefix(root).unwrap().display().to_string());
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.blob_dir(), &self.blob_dir(), &mut out);
        out.sort();
        out
    }

    /// Files left in the upload spool folder.
    pub fn spooled_files(&self) -> usize {
        std::fs::read_dir(&self.state.tmp_dir).map(|d| d.count()).unwrap_or(0)
    }

    pub async fn activity(&self, id: i64) -> Option<curricula_domain::Activity> {
        self.sql.activity(self.tenant, ActivityId(id)).await.unwrap()
    }

    /// How many activities the tenant has.
    pub async fn activity_count(&self) -> usize {
        let all = curricula_ports::ActivityFilter::default();
        let listed = self
            .sql
            .list_activities(self.tenant, &all, curricula_ports::Slice::ALL)
            .await
            .unwrap();
        assert_eq!(listed.total, listed.items.len() as u64);
        listed.items.len()
    }

    /// POSTs a multipart body to `path`; returns the status and the JSON body.
    pub async fn post(&self, path: &str, parts: &[Part<'_>]) -> (u16, Value) {
        let (content_type, body) = multipart(parts);
        self.post_raw(path, &content_type, body).await
    }

    /// Sends a v2 request with a body; returns the status and the JSON body (Null when empty).
    pub async fn v2(&self, method: &str, uri: &str, content_type: &str, body: &str) -> (u16, Value) {
        let app = test::init_service(curricula_server::app::app(self.state.clone())).await;
        let req = test::TestRequest::default()
            .method(method.parse().unwrap())
            .uri(uri)
            .insert_header(("content-type", content_type.to_owned()))
            .insert_header(("accept", "application/json"))
            .set_payload(body.to_owned())
            .to_request();
        let res: ServiceResponse<_> = app.call(req).await.unwrap();
        let status = res.status().as_u16();
        let bytes = test::read_body(res).await;
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    /// Sends a JSON request with extra `headers`; returns the status, the `ETag` header (empty
    /// when none) and the JSON body (Null when empty).
    pub async fn with_headers(
        &self,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, String, Value) {
        let app = test::init_service(curricula_server::app::app(self.state.clone())).await;
        let mut req = test::TestRequest::default()
            .method(method.parse().unwrap())
            .uri(uri)
            .insert_header(("content-type", "application/json"))
            .set_payload(body.to_owned());
        for (name, value) in headers {
            req = req.insert_header((name.to_string(), value.to_string()));
        }
        let res: ServiceResponse<_> = app.call(req.to_request()).await.unwrap();
        let status = res.status().as_u16();
        let etag = res
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let bytes = test::read_body(res).await;
        (status, etag, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    /// Sends a request; returns the status and the body as text (for HTML pages).
    pub async fn text(&self, method: &str, uri: &str) -> (u16, String) {
        let app = test::init_service(curricula_server::app::app(self.state.clone())).await;
        let req = test::TestRequest::default()
            .method(method.parse().unwrap())
            .uri(uri)
            .to_request();
        let res: ServiceResponse<_> = app.call(req).await.unwrap();
        let status = res.status().as_u16();
        let bytes = test::read_body(res).await;
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    pub async fn post_raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> (u16, Value) {
        let app = test::init_service(curricula_server::app::app(self.state.clone())).await;
        let req = test::TestRequest::post()
            .uri(path)
            .insert_header(("content-type", content_type.to_owned()))
            .set_payload(body)
            .to_request();
        let res: ServiceResponse<_> = app.call(req).await.unwrap();
        let status = res.status().as_u16();
        let bytes = test::read_body(res).await;
        let json =
            serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
        (status, json)
    }

    /// Uploads `package` as a top-level SCORM activity named `name`; returns its id.
    pub async fn scorm(&self, name: &str, package: &[u8]) -> i64 {
        let (status, body) = self
            .post(
                "/api/activityupload/new",
                &[
                    Part::Text("key", KEY),
                    Part::Text("origin", ORIGIN),
                    Part::Text("activityType", "scorm"),
                    Part::Text("name", name),
                    Part::Text("userName", "jon.jonsson"),
                    Part::File("file", package),
                ],
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["activityId"].as_i64().unwrap()
    }

    /// Creates a course named `name` at the top level; returns its id.
    pub async fn course(&self, name: &str) -> i64 {
        let (status, body) = self
            .post(
                "/api/activityupload/new",
                &[
                    Part::Text("key", KEY),
                    Part::Text("origin", ORIGIN),
                    Part::Text("activityType", "course"),
                    Part::Text("name", name),
                    Part::Text("userName", "jon.jonsson"),
                ],
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["activityId"].as_i64().unwrap()
    }
}

pub fn multipart(parts: &[Part<'_>]) -> (String, Vec<u8>) {
    let boundary = "------------------------curriculaTestBoundary";
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match part {
            Part::Text(name, value) => {
                body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes());
                body.extend_from_slice(value.as_bytes());
            }
            Part::File(name, bytes) => {
                body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"package.zip\"\r\nContent-Type: application/zip\r\n\r\n")
                        .as_bytes(),
                );
                body.extend_from_slice(bytes);
            }
        }
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// The sample package shipped in `examples/`.
pub fn sample_package(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A zip of `files`, deflated.
pub fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, body) in files {
        writer
            .start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        writer.write_all(body).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// Runs each `async fn name(app: &TestApp)` of the calling module as two tests,
/// `name::on_sqlite` and `name::on_postgres` (the latter skipped loudly without
/// `TEST_DATABASE_URL`, required in CI).
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[actix_web::test]
            async fn on_sqlite() {
                super::$name(&crate::helpers::TestApp::new().await).await;
            }

            #[actix_web::test]
            async fn on_postgres() {
                let Some(app) = crate::helpers::TestApp::postgres().await else { return };
                super::$name(&app).await;
            }
        }
    )*};
}
pub(crate) use on_both_databases;

/// A SCORM 1.2 package built here, so that no test needs files from outside the repository:
/// one SCO launched from `launch` (e.g. `index.html` or `shared/launchpage.html`) that links
/// `jquery.min.js` and `styles.css` beside it; `tag` makes packages differ byte for byte.
pub fn built_package(title: &str, launch: &str, tag: &str) -> Vec<u8> {
    let folder = launch
        .rsplit_once('/')
        .map_or(String::new(), |(dir, _)| format!("{dir}/"));
    let manifest = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="built-{tag}" version="1.0"
          xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
          xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="org">
    <organization identifier="org">
      <title>{title}</title>
      <item identifier="item-1" identifierref="res-1"><title>{title}</title></item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="res-1" type="webcontent" adlcp:scormtype="sco" href="{launch}">
      <file href="{launch}"/>
      <file href="{folder}jquery.min.js"/>
      <file href="{folder}styles.css"/>
    </resource>
  </resources>
</manifest>
"#
    );
    let page = format!(
        "<!DOCTYPE html>\n<html><head><title>{title}</title>\n<script src=\"jquery.min.js\"></script>\n\
         <link rel=\"stylesheet\" href=\"styles.css\"></head>\n<body><h1>{title}</h1><p>{tag}</p></body></html>\n"
    );
    let script = format!("/* {tag} */ window.jQuery = function () {{ return {{}}; }};\n");
    let styles = format!("/* {tag} */ body {{ font-family: sans-serif; }}\n");
    zip_of(&[
        ("imsmanifest.xml", manifest.as_bytes()),
        (launch, page.as_bytes()),
        (&format!("{folder}jquery.min.js"), script.as_bytes()),
        (&format!("{folder}styles.css"), styles.as_bytes()),
    ])
}

/// A package of the shared SCORM corpus (`../shared/corpus/scorm/packages`, beside the
/// clone), for the tests that run over real authoring tools' packages as an extra. Without
/// the corpus: `None`, said loudly on the process's standard error (the test harness captures
/// `eprintln!`); under `CI=true` a missing corpus fails the test instead.
pub fn corpus_package(test: &str, name: &str) -> Option<Vec<u8>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/scorm/packages")
        .join(name);
    match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(e) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{test}: the SCORM corpus is required under CI=true, but {}: {e} (clone ../shared beside the repository)",
                path.display()
            );
            let _ = std::io::Write::write_fmt(
                &mut std::io::stderr(),
                format_args!(
                    "\n*** SKIPPED {test}: the SCORM corpus is not at {} (an extra: clone ../shared beside the repository to run it) ***\n\n",
                    path.display()
                ),
            );
            None
        }
    }
}

/// How the tests' webhooks are delivered: plain http to this machine, a short first wait.
pub fn webhook_settings() -> curricula_service::webhooks::WebhookSettings {
    curricula_service::webhooks::WebhookSettings {
        allow_http_hosts: vec!["127.0.0.1".into()],
        retry_initial: chrono::Duration::seconds(1),
        ..Default::default()
    }
}
