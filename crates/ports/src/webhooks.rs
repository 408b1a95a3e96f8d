//! Webhooks: where a tenant's events are POSTed, and the queue of their deliveries (the
//! database is the queue; every instance delivers).

use crate::error::StoreError;
use crate::events::{EventType, FeedPosition, LoggedEvent};
use crate::query::{Listed, Slice};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use curricula_domain::TenantId;

/// A webhook's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WebhookId(pub i64);

/// A delivery's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DeliveryId(pub i64);

/// Which events a webhook is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subscription {
    /// Every event (`"*"`).
    All,
    /// Events of these types.
    Only(Vec<EventType>),
}

impl Subscription {
    /// Whether an event of `kind` is sent.
    pub fn covers(&self, kind: EventType) -> bool {
        match self {
            Self::All => true,
            Self::Only(types) => types.contains(&kind),
        }
    }

    /// As stored: `*`, or the type names joined by commas.
    pub fn to_stored(&self) -> String {
        match self {
            Self::All => "*".to_owned(),
            Self::Only(types) => types.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(","),
        }
    }

    /// From [`Subscription::to_stored`]'s text (unknown names are dropped).
    pub fn from_stored(text: &str) -> Self {
        if text == "*" {
            return Self::All;
        }
        Self::Only(text.split(',').filter_map(EventType::parse).collect())
    }
}

/// A webhook, without its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// Its id.
    pub id: WebhookId,
    /// Its tenant.
    pub tenant: TenantId,
    /// Where deliveries are POSTed.
    pub url: String,
    /// Which events.
    pub events: Subscription,
    /// Whether it is delivered to (an inactive one queues nothing and sends nothing).
    pub active: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A webhook to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWebhook {
    /// Its tenant.
    pub tenant: TenantId,
    /// Where deliveries are POSTed.
    pub url: String,
    /// Which events.
    pub events: Subscription,
    /// The signing secret.
    pub secret: String,
    /// Now.
    pub now: DateTime<Utc>,
}

/// What a PATCH changes; `None` keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookPatch {
    /// A new URL.
    pub url: Option<String>,
    /// New event types.
    pub events: Option<Subscription>,
    /// Active or not.
    pub active: Option<bool>,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Not delivered yet: waiting for its turn or its next try.
    Pending,
    /// A 2xx answered it.
    Succeeded,
    /// Every try of 24 hours failed; `retry` queues it again.
    Failed,
}

impl DeliveryStatus {
    /// Its name on the wire and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }

    /// The status named `name` (pending otherwise).
    pub fn parse(name: &str) -> Self {
        match name {
            "succeeded" => Self::Succeeded,
            "failed" => Self::Failed,
            _ => Self::Pending,
        }
    }
}

/// One event's delivery to one webhook.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// Its id.
    pub id: DeliveryId,
    /// The webhook.
    pub webhook: WebhookId,
    /// The event delivered.
    pub event_id: i64,
    /// The event's type.
    pub event_type: Option<EventType>,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// How many tries were made.
    pub attempts: u32,
    /// When the next try is due (pending).
    pub next_attempt_at: DateTime<Utc>,
    /// When the last try was made.
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// The last try's HTTP status, when it got one.
    pub response_status: Option<u16>,
    /// Why the last try failed.
    pub error: Option<String>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// When a 2xx answered it.
    pub delivered_at: Option<DateTime<Utc>>,
}

/// A webhook an instance holds the lease of, with what it needs to deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leased {
    /// The webhook.
    pub id: WebhookId,
    /// Its tenant.
    pub tenant: TenantId,
    /// Where to POST.
    pub url: String,
    /// Its signing secret.
    pub secret: String,
    /// Which events.
    pub events: Subscription,
    /// Up to where deliveries were queued.
    pub cursor: FeedPosition,
}

/// A delivery due now, with its event.
#[derive(Debug, Clone, PartialEq)]
pub struct Due {
    /// The delivery.
    pub id: DeliveryId,
    /// Tries made so far.
    pub attempts: u32,
    /// When it was queued (tries stop 24 hours later).
    pub created_at: DateTime<Utc>,
    /// The event to deliver.
    pub event: LoggedEvent,
}

/// What a try of a delivery came to.
#[derive(Debug, Clone, PartialEq)]
pub struct Tried {
    /// The delivery.
    pub id: DeliveryId,
    /// When it was tried.
    pub at: DateTime<Utc>,
    /// The HTTP status, when one came.
    pub response_status: Option<u16>,
    /// Its new standing: `Succeeded`, `Pending` (retry at `retry_at`) or `Failed`.
    pub status: DeliveryStatus,
    /// When to try again (pending).
    pub retry_at: DateTime<Utc>,
    /// Why it failed.
    pub error: Option<String>,
}

/// The queue's figures over every webhook, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct QueueFigures {
    /// Deliveries waiting.
    pub pending: u64,
    /// Age in seconds of the oldest pending delivery (0 when none): the delivery lag.
    pub oldest_pending_seconds: f64,
    /// Active webhooks whose oldest pending delivery has been tried and failed.
    pub failing_webhooks: u64,
    /// Deliveries that failed for good.
    pub failed: u64,
}

/// Webhooks and their deliveries.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait WebhookRepository: Send + Sync {
    /// Creates a webhook that is sent the events appended after it.
    ///
    /// # Errors
    /// When the store fails.
    async fn create_webhook(&self, new: NewWebhook) -> Result<Webhook, StoreError>;

    /// The tenant's webhooks, by id.
    ///
    /// # Errors
    /// When the store fails.
    async fn webhooks(&self, tenant: TenantId) -> Result<Vec<Webhook>, StoreError>;

    /// One of the tenant's webhooks.
    ///
    /// # Errors
    /// When the store fails.
    async fn webhook(&self, tenant: TenantId, id: WebhookId) -> Result<Option<Webhook>, StoreError>;

    /// Changes one of the tenant's webhooks; `None` when there is no such webhook.
    ///
    /// # Errors
    /// When the store fails.
    async fn update_webhook(
        &self,
        tenant: TenantId,
        id: WebhookId,
        patch: WebhookPatch,
        now: DateTime<Utc>,
    ) -> Result<Option<Webhook>, StoreError>;

    /// Deletes one of the tenant's webhooks with its deliveries; `false` when there was none.
    ///
    /// # Errors
    /// When the store fails.
    async fn delete_webhook(&self, tenant: TenantId, id: WebhookId) -> Result<bool, StoreError>;

    /// A webhook's deliveries, newest first, sliced.
    ///
    /// # Errors
    /// When the store fails.
    async fn deliveries(&self, tenant: TenantId, id: WebhookId, slice: Slice) -> Result<Listed<Delivery>, StoreError>;

    /// Queues a delivery again, due now (a failed one, typically); `None` when the webhook
    /// has no such delivery.
    ///
    /// # Errors
    /// When the store fails.
    async fn retry_delivery(
        &self,
        tenant: TenantId,
        webhook: WebhookId,
        delivery: DeliveryId,
        now: DateTime<Utc>,
    ) -> Result<Option<Delivery>, StoreError>;

    /// Takes, for `owner` until `until`, the leases of at most `limit` active webhooks that
    /// have work now (their oldest pending delivery is due, or none is pending and events
    /// follow their cursor) and whose lease is free or expired. A webhook is leased to one
    /// owner at a time.
    ///
    /// # Errors
    /// When the store fails.
    async fn lease(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<Leased>, StoreError>;

    /// Queues, for a leased webhook without pending deliveries, a delivery of each of the
    /// next events after its cursor that it covers (at most `limit`), in feed order and only
    /// from what has committed before (as the feed), and moves its cursor past them.
    /// Answers how many were queued.
    ///
    /// # Errors
    /// When the store fails.
    async fn queue(&self, leased: &Leased, now: DateTime<Utc>, limit: u64) -> Result<u64, StoreError>;

    /// A leased webhook's pending deliveries in feed order, from the oldest, when the oldest is
    /// due at `now` (none otherwise: a webhook's deliveries go in order), at most `limit`.
    ///
    /// # Errors
    /// When the store fails.
    async fn due(&self, webhook: WebhookId, now: DateTime<Utc>, limit: u64) -> Result<Vec<Due>, StoreError>;

    /// Stores what the tries came to and, with `release`, frees `owner`'s lease.
    ///
    /// # Errors
    /// When the store fails.
    async fn settle(&self, webhook: WebhookId, owner: &str, tries: Vec<Tried>, release: bool)
    -> Result<(), StoreError>;

    /// Deletes at most `limit` of the succeeded deliveries queued before `before`, the oldest
    /// first, and answers how many went; pending and failed ones stay, whatever their age.
    ///
    /// # Errors
    /// When the store fails.
    async fn prune_deliveries(&self, before: DateTime<Utc>, limit: u64) -> Result<u64, StoreError>;

    /// The queue's figures now.
    ///
    /// # Errors
    /// When the store fails.
    async fn queue_figures(&self, now: DateTime<Utc>) -> Result<QueueFigures, StoreError>;
}
