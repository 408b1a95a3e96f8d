//! What every request handler can reach: the use cases over trait objects, and the
//! content-delivery state. A leaf: it imports no handler (start-up builds it, in `app`).

use crate::api::upload::intake::Intake;
use crate::forwarded::{RequestOrigin, TrustedProxies};
use crate::http::origins::{ContentOrigins, Site};
use curricula_ports::{
    ActivityRepository, BlobStore, Clock, CurriculumRepository, IdempotencyStore, LearnerRepository, TenantDirectory,
};
use curricula_service::learners::LearnerService;
use curricula_service::player::PlayerService;
use curricula_service::{
    ActivityQueries, ContentSigner, CurriculumService, IdempotencyService, LaunchService, UploadService,
};
use curricula_store_sql::Database;
use std::path::PathBuf;
use std::sync::Arc;

/// The use cases as the HTTP layer sees them: over trait objects, so tests can swap adapters.
pub type Uploads = UploadService<dyn TenantDirectory, dyn ActivityRepository, dyn BlobStore>;

/// The v2 use cases, over trait objects.
pub type Curricula = CurriculumService<dyn TenantDirectory, dyn ActivityRepository, dyn CurriculumRepository>;

/// The users and enrollments use cases, over a trait object.
pub type Learners = LearnerService<dyn LearnerRepository>;

/// The player's use cases, over trait objects.
pub type Player = PlayerService<dyn TenantDirectory, dyn ActivityRepository, dyn LearnerRepository>;

/// The `Idempotency-Key` use case, over a trait object.
pub type Idempotency = IdempotencyService<dyn IdempotencyStore>;

/// The wall clock.
pub struct SystemClock;

impl Clock for SystemClock {
    /// Now, to the microsecond: what both databases store, so a value kept in memory and the
    /// same value read back are equal.
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 6)
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
    /// Users and enrollments.
    pub learners: Learners,
    /// The event log's readers: the audit trail and the change feed.
    pub events: curricula_service::EventReader,
    /// What this instance's webhook deliverer did, for `/metrics`.
    pub deliveries: std::sync::Arc<curricula_service::webhooks::DeliveryCounters>,
    /// The queue of asynchronous imports (`Prefer: respond-async`).
    pub imports: Arc<dyn curricula_ports::ImportRepository>,
    /// The clock of the use cases (the worker of imports reads it).
    pub clock: Arc<dyn Clock>,
    /// Webhooks.
    pub webhooks: curricula_service::webhooks::WebhookService<dyn curricula_ports::WebhookRepository>,
    /// Largest accepted upload body.
    pub max_body_bytes: u64,
    /// Where uploads are spooled.
    pub tmp_dir: PathBuf,
    /// Uploads in flight and the bounds on them.
    pub intake: Arc<Intake>,
    /// Retry safety (`Idempotency-Key`).
    pub idempotency: Idempotency,
    /// Launch URLs and content delivery.
    pub content: ContentState,
    /// The database, for its pool figures in `/metrics`.
    pub database: Database,
    /// Peers whose forwarded headers are believed (`server.trusted_proxies`).
    pub proxies: TrustedProxies,
}

impl AppState {
    /// The site (API or content host) a request with `origin` is for.
    pub fn site_of(&self, origin: Option<&RequestOrigin>) -> Site {
        self.content.origins.site(origin.map(RequestOrigin::hostname))
    }

    /// The request's origin as [`crate::forwarded::request_origin`] tells it; `None` when its
    /// host is malformed.
    pub fn origin_of(&self, req: &actix_web::HttpRequest) -> Option<RequestOrigin> {
        crate::forwarded::request_origin(
            req.head(),
            req.peer_addr(),
            req.app_config().secure(),
            req.app_config().host(),
            &self.proxies,
        )
        .ok()
    }
}

/// The launch use case as the HTTP layer holds it.
pub type Launches = LaunchService<dyn TenantDirectory, dyn ActivityRepository>;

/// What the content handlers need.
pub struct ContentState {
    /// The launch use case (also checks tokens).
    pub launches: Launches,
    /// The player: launches of enrollments, the player page, commits.
    pub player: Player,
    /// Where the files are.
    pub blobs: Arc<dyn BlobStore>,
    /// Where content is served (`content.public_base_url`): the host of launch URLs, and
    /// which hosts are content hosts.
    pub origins: ContentOrigins,
}

impl ContentState {
    /// Wires content delivery and the player over `directory`, `activities`, `learners` and
    /// `blobs`. An empty `secret`
    /// gets a random one and a warning: URLs then die with the process and do not work on
    /// other instances.
    ///
    /// # Errors
    /// When a random secret is needed and the OS has no random source, or
    /// `content.public_base_url` is malformed.
    pub fn new(
        directory: Arc<dyn TenantDirectory>,
        activities: Arc<dyn ActivityRepository>,
        learners: Arc<dyn LearnerRepository>,
        blobs: Arc<dyn BlobStore>,
        clock: Arc<dyn Clock>,
        settings: &crate::settings::ContentSettings,
    ) -> anyhow::Result<Self> {
        let signer = if settings.secret.is_empty() {
            tracing::warn!(
                "content.secret is empty: launch URLs are signed with a random secret; they stop working when this process restarts and are refused by other instances (set CURRICULA__CONTENT__SECRET)"
            );
            ContentSigner::random(settings.url_lifetime_seconds)
                .map_err(|e| anyhow::anyhow!("generating a content secret: {e}"))?
        } else {
            ContentSigner::new(settings.secret.as_bytes(), settings.url_lifetime_seconds)
        };
        Ok(Self {
            origins: ContentOrigins::parse(&settings.public_base_url)?,
            player: PlayerService::new(
                Arc::clone(&directory),
                Arc::clone(&activities),
                learners,
                signer.clone(),
                Arc::clone(&clock),
            ),
            launches: LaunchService::new(directory, activities, signer, clock),
            blobs,
        })
    }
}
