//! Wiring: adapters chosen from the settings, use cases over them, the actix application.

use crate::settings::Settings;
use actix_web::{App, HttpResponse, web};
use anyhow::Context;
use curricula_ports::{ActivityRepository, BlobStore, Clock, CurriculumRepository, TenantDirectory};
use curricula_service::{ActivityQueries, AdminService, CurriculumService, IngestSettings, UploadService};
use curricula_store_blob::ObjectBlobStore;
use curricula_store_sql::SqlStore;
use std::path::PathBuf;
use std::sync::Arc;

/// The use cases as the HTTP layer sees them: over trait objects, so tests can swap adapters.
pub type Uploads = UploadService<dyn TenantDirectory, dyn ActivityRepository, dyn BlobStore>;

/// The v2 use cases, over trait objects.
pub type Curricula = CurriculumService<dyn TenantDirectory, dyn ActivityRepository, dyn CurriculumRepository>;

/// The wall clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now()
    }
}

/// What every request handler can reach.
pub struct AppState {
    /// Upload use cases.
    pub uploads: Uploads,
    /// Curriculum Activities API use cases.
    pub curricula: Curricula,
    /// Activities read API.
    pub activities: ActivityQueries<dyn ActivityRepository>,
    /// Largest accepted upload body.
    pub max_body_bytes: u64,
    /// Where uploads are spooled.
    pub tmp_dir: PathBuf,
    /// Launch URLs and content delivery.
    pub content: crate::content::ContentState,
}

/// The adapters behind a running service.
#[derive(Clone)]
pub struct Adapters {
    /// The relational store (directory and activities).
    pub sql: SqlStore,
    /// The blob store.
    pub blobs: Arc<dyn BlobStore>,
}

impl Adapters {
    /// Opens the database (applying migrations) and the blob store named by the settings.
    ///
    /// # Errors
    /// When either cannot be opened; the message never contains the database URL.
    pub async fn open(settings: &Settings) -> anyhow::Result<Self> {
        let sql = SqlStore::connect(&settings.database.url, settings.database.pool_size)
            .await
            .context("opening the database")?;
        sql.migrate().await.context("applying database migrations")?;
        let blobs = ObjectBlobStore::open_with(&settings.storage_url()?, &settings.storage.s3())
            .context("opening the blob store")?;
        Ok(Self {
            sql,
            blobs: Arc::new(blobs),
        })
    }

    /// The upload use cases over these adapters.
    pub fn uploads(&self, ingest: IngestSettings) -> Uploads {
        let sql = Arc::new(self.sql.clone());
        UploadService::new(
            sql.clone() as Arc<dyn TenantDirectory>,
            sql as Arc<dyn ActivityRepository>,
            Arc::clone(&self.blobs),
            Arc::new(SystemClock),
            ingest,
        )
    }

    /// The v2 use cases over these adapters.
    pub fn curricula(&self) -> Curricula {
        let sql = Arc::new(self.sql.clone());
        CurriculumService::new(
            sql.clone() as Arc<dyn TenantDirectory>,
            sql.clone() as Arc<dyn ActivityRepository>,
            sql as Arc<dyn CurriculumRepository>,
            Arc::new(SystemClock),
        )
    }

    /// The admin use cases over these adapters.
    pub fn admin(&self) -> AdminService<dyn TenantDirectory> {
        AdminService::new(
            Arc::new(self.sql.clone()) as Arc<dyn TenantDirectory>,
            Arc::new(SystemClock),
        )
    }
}

/// Registers every route of the service on an actix application.
pub fn configure(state: web::Data<AppState>) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(state)
            // Upload bodies are streamed by the handlers, which enforce their own limit.
            .app_data(web::PayloadConfig::new(usize::MAX))
            .configure(crate::upload_api::routes)
            .configure(crate::v2::routes)
            .configure(crate::content::routes)
            .route(
                "/healthz",
                web::get().to(|| async { HttpResponse::Ok().json(serde_json::json!({"status": "ok"})) }),
            )
            .default_service(web::to(not_found));
    }
}

async fn not_found() -> HttpResponse {
    HttpResponse::NotFound().json(serde_json::json!({ "errorMessage": "no such endpoint" }))
}

/// Builds the application for `state`.
pub fn app(
    state: web::Data<AppState>,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .wrap(actix_web::middleware::from_fn(crate::telemetry::access_log))
        .configure(configure(state))
}

/// Logs a 5xx once, with its whole `source()` chain.
pub fn log_server_error(error: &(dyn std::error::Error + 'static)) {
    let mut chain = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    tracing::error!(error = %chain, "request failed: {chain}");
}

/// The message a 5xx answers with: no internal detail, a timestamp to quote to support (the
/// cause is in the log, written by [`log_server_error`]).
pub fn server_error_message(unavailable: bool) -> String {
    if unavailable {
        "the service is temporarily unavailable; retry later".to_owned()
    } else {
        format!(
            "unexpected server error at {}; contact support with this timestamp",
            chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ")
        )
    }
}
