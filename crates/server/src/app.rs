//! Start-up: adapters chosen from the settings, the use cases over them (the [`AppState`]),
//! the actix application with every API's routes.

use crate::settings::Settings;
pub use crate::state::{AppState, ContentState, Curricula, Idempotency, Launches, SystemClock, Uploads};
use actix_web::{App, HttpResponse, web};
use anyhow::Context;
use curricula_ports::{ActivityRepository, BlobStore, Clock, CurriculumRepository, TenantDirectory};
use curricula_service::{
    ActivityQueries, AdminService, CurriculumService, EventReader, IdempotencyService, IngestSettings, UploadService,
};
use curricula_store_blob::ObjectBlobStore;
use curricula_store_sql::Database;
use std::path::PathBuf;
use std::sync::Arc;

impl AppState {
    /// The state of a service over `adapters`, configured by `settings`, spooling uploads
    /// into `tmp_dir` (see [`crate::api::upload::intake::SpoolDir`]).
    ///
    /// # Errors
    /// When the spool folder cannot be created, or the content settings or
    /// `server.trusted_proxies` are invalid.
    pub fn new(adapters: &Adapters, settings: &Settings, tmp_dir: PathBuf) -> anyhow::Result<Self> {
        Ok(Self {
            uploads: adapters
                .uploads(settings.ingest())
                .with_revisions_kept(settings.upload.keep_revisions)
                .with_revision_protection(std::time::Duration::from_secs(settings.content.url_lifetime_seconds)),
            curricula: adapters.curricula(),
            activities: adapters.activity_queries(),
            learners: curricula_service::learners::LearnerService::new(
                Arc::clone(&adapters.learners),
                Arc::clone(&adapters.clock),
            ),
            events: EventReader::new(adapters.db.events()),
            deliveries: Arc::default(),
            imports: adapters.db.imports(),
            clock: Arc::clone(&adapters.clock),
            webhooks: curricula_service::webhooks::WebhookService::new(
                adapters.db.webhooks(),
                Arc::clone(&adapters.clock),
                settings.webhooks.settings(),
            ),
            max_body_bytes: settings.upload.max_bytes,
            tmp_dir,
            intake: crate::api::upload::intake::Intake::new(settings.upload.intake()),
            idempotency: adapters.idempotency(settings.idempotency.retention()),
            content: crate::api::content::ContentState::new(
                Arc::clone(&adapters.directory),
                Arc::clone(&adapters.activities),
                Arc::clone(&adapters.learners),
                Arc::clone(&adapters.blobs),
                Arc::clone(&adapters.clock),
                &settings.content,
            )?,
            database: adapters.db.clone(),
            proxies: settings.server.proxies()?,
        })
    }
}

/// The adapters behind a running service.
#[derive(Clone)]
pub struct Adapters {
    /// The relational store (SQLite or Postgres).
    pub db: Database,
    /// The tenant directory over it.
    pub directory: Arc<dyn TenantDirectory>,
    /// The activity repository over it.
    pub activities: Arc<dyn ActivityRepository>,
    /// The curriculum repository over it.
    pub curricula: Arc<dyn CurriculumRepository>,
    /// The learners' repository over it.
    pub learners: Arc<dyn curricula_ports::LearnerRepository>,
    /// The blob store.
    pub blobs: Arc<dyn BlobStore>,
    /// The clock every use case reads (the wall clock; tests move their own).
    pub clock: Arc<dyn Clock>,
}

impl Adapters {
    /// Opens the database (applying migrations) and the blob store named by the settings.
    ///
    /// # Errors
    /// When either cannot be opened; the message never contains the database URL.
    pub async fn open(settings: &Settings) -> anyhow::Result<Self> {
        let db = Database::connect(&settings.database.url, settings.database.pool_size)
            .await
            .context("opening the database")?;
        db.migrate().await.context("applying database migrations")?;
        let blobs = ObjectBlobStore::open_with(&settings.storage_url()?, &settings.storage.s3())
            .context("opening the blob store")?;
        Ok(Self::new(db, Arc::new(blobs)))
    }

    /// The adapters over an open database and blob store, on the wall clock.
    pub fn new(db: Database, blobs: Arc<dyn BlobStore>) -> Self {
        Self::with_clock(db, blobs, Arc::new(SystemClock))
    }

    /// The adapters over an open database and blob store, with use cases reading `clock`.
    pub fn with_clock(db: Database, blobs: Arc<dyn BlobStore>, clock: Arc<dyn Clock>) -> Self {
        Self {
            directory: db.directory(),
            activities: db.activities(),
            curricula: db.curricula(),
            learners: db.learners(),
            db,
            blobs,
            clock,
        }
    }

    /// The upload use cases over these adapters.
    pub fn uploads(&self, ingest: IngestSettings) -> Uploads {
        UploadService::new(
            Arc::clone(&self.directory),
            Arc::clone(&self.activities),
            Arc::clone(&self.blobs),
            Arc::clone(&self.clock),
            ingest,
        )
    }

    /// The v2 use cases over these adapters.
    pub fn curricula(&self) -> Curricula {
        CurriculumService::new(
            Arc::clone(&self.directory),
            Arc::clone(&self.activities),
            Arc::clone(&self.curricula),
            Arc::clone(&self.clock),
        )
    }

    /// The activities read API over these adapters.
    pub fn activity_queries(&self) -> ActivityQueries<dyn ActivityRepository> {
        ActivityQueries::new(Arc::clone(&self.activities))
    }

    /// The `Idempotency-Key` use case over these adapters, keeping keys for `retention`.
    pub fn idempotency(&self, retention: std::time::Duration) -> Idempotency {
        IdempotencyService::new(self.db.idempotency(), Arc::clone(&self.clock), retention)
    }

    /// The admin use cases over these adapters.
    pub fn admin(&self) -> AdminService<dyn TenantDirectory> {
        AdminService::new(Arc::clone(&self.directory), Arc::clone(&self.clock))
    }
}

/// Registers every route of the service on an actix application.
pub fn configure(state: web::Data<AppState>) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(state)
            // Upload bodies are streamed by the handlers, which enforce their own limit.
            .app_data(web::PayloadConfig::new(usize::MAX))
            .configure(crate::api::upload::routes)
            .configure(crate::api::v2::routes)
            .configure(crate::api::ops::routes)
            .configure(crate::openapi::routes)
            .configure(crate::api::player::assets::routes)
            .configure(crate::api::content::routes)
            .configure(crate::api::player::routes)
            .default_service(web::to(not_found));
    }
}

/// 404 for an unknown path, 405 for a known path with another method (v2 paths answer with an
/// array of messages, the others with `{"errorMessage"}`).
async fn not_found(req: actix_web::HttpRequest) -> HttpResponse {
    let known = req.resource_map().has_resource(req.path());
    let (mut response, message) = if known {
        (
            HttpResponse::MethodNotAllowed(),
            format!("{} is not allowed on {}", req.method(), req.path()),
        )
    } else {
        (HttpResponse::NotFound(), "no such endpoint".to_owned())
    };
    if known
        && let Some(pattern) = req.resource_map().match_pattern(req.path())
        && let Some(item) = crate::openapi::document()["paths"][documented_path(&pattern).as_str()].as_object()
    {
        let methods: Vec<String> = item.keys().map(|m| m.to_uppercase()).collect();
        response.insert_header((actix_web::http::header::ALLOW, methods.join(", ")));
    }
    if req.path().starts_with("/api/v2/") {
        response.json(vec![message])
    } else {
        response.json(serde_json::json!({ "errorMessage": message }))
    }
}

/// A route pattern as the OpenAPI document writes it: `{path:.*}` is `{path}`.
fn documented_path(pattern: &str) -> String {
    pattern
        .split('/')
        .map(
            |segment| match segment.strip_prefix('{').and_then(|s| s.split_once(':')) {
                Some((name, _regex)) => format!("{{{name}}}"),
                None => segment.to_owned(),
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

/// Gives an error that actix answered itself (a v2 body over its limit) the error shape of the
/// API the path belongs to, instead of actix's plain text.
fn json_error_body<B>(
    res: actix_web::dev::ServiceResponse<B>,
) -> actix_web::Result<actix_web::middleware::ErrorHandlerResponse<B>> {
    let is_json = res
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return Ok(actix_web::middleware::ErrorHandlerResponse::Response(
            res.map_into_left_body(),
        ));
    }
    let status = res.status();
    let message = "the request body is larger than the limit of this endpoint".to_owned();
    let (req, _) = res.into_parts();
    let response = if req.path().starts_with("/api/v2/") {
        HttpResponse::build(status).json(vec![message])
    } else {
        HttpResponse::build(status).json(serde_json::json!({ "errorMessage": message }))
    };
    Ok(actix_web::middleware::ErrorHandlerResponse::Response(
        actix_web::dev::ServiceResponse::new(req, response).map_into_right_body(),
    ))
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
        .wrap(actix_web::middleware::from_fn(crate::http::host_routing::host_routing))
        .wrap(
            actix_web::middleware::ErrorHandlers::new()
                .handler(actix_web::http::StatusCode::PAYLOAD_TOO_LARGE, json_error_body),
        )
        .wrap(actix_web::middleware::from_fn(crate::http::origins::security_headers))
        .wrap(actix_web::middleware::from_fn(crate::http::telemetry::access_log))
        .configure(configure(state))
}

#[cfg(test)]
mod tests {
    #[test]
    fn regex_segments_are_written_as_plain_parameters() {
        use super::documented_path;
        assert_eq!(documented_path("/content/{token}/{path:.*}"), "/content/{token}/{path}");
        assert_eq!(documented_path("/api/v2/activities/{id}"), "/api/v2/activities/{id}");
        assert_eq!(documented_path("/a:b/{x:[0-9]+}/c"), "/a:b/{x}/c");
    }
}
