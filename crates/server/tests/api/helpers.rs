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
            max_body_bytes,
            tmp_dir,
            content: ContentState::new(
                Arc::clone(&adapters.directory),
                Arc::clone(&adapters.activities),
                Arc::clone(&blobs),
                Arc::clone(&adapters.clock),
                &ContentSettings {
                    secret: CONTENT_SECRET.to_owned(),
                    url_lifetime_seconds: 3600,
                    public_base_url: String::new(),
                },
            )
            .unwrap(),
            database: db.clone(),
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
