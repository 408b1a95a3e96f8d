//! The audit port: one event per successful write of either API, listed per tenant.

use crate::error::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use curricula_domain::{ActivityId, ApiKeyId, RecordId, TenantId};

/// One write, as the audit trail keeps it. Never holds a key, only its id.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    /// Its id (0 until stored); ids grow with time.
    pub id: i64,
    /// The tenant written to.
    pub tenant: TenantId,
    /// The API key that made the write.
    pub api_key: Option<ApiKeyId>,
    /// The origin the key is bound to, when it is.
    pub origin: Option<String>,
    /// What was done, e.g. `activity.create` (see the service's `audit` module for the list).
    pub action: String,
    /// The activity written to or created, if any.
    pub activity: Option<ActivityId>,
    /// The curriculum record written to, if any.
    pub record: Option<RecordId>,
    /// What changed: JSON, with `before`/`after` for updates and moves.
    pub changes: serde_json::Value,
    /// The request's id (`x-request-id`), to find its log lines.
    pub request_id: Option<String>,
    /// When the write happened.
    pub at: DateTime<Utc>,
}

/// Which events to list; every field that is set must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// At or after this time.
    pub since: Option<DateTime<Utc>>,
    /// At or before this time.
    pub until: Option<DateTime<Utc>>,
    /// This action.
    pub action: Option<String>,
    /// About this activity.
    pub activity: Option<ActivityId>,
    /// About this curriculum record.
    pub record: Option<RecordId>,
    /// Made with this key.
    pub api_key: Option<ApiKeyId>,
}

/// One page of events and how many match in all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditPage {
    /// The events, newest first.
    pub events: Vec<AuditEvent>,
    /// How many events match the filter.
    pub total: u64,
}

/// The audit trail.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait AuditLog: Send + Sync {
    /// Stores `event` (its `id` is ignored).
    ///
    /// # Errors
    /// MUST return `Err` only when the store fails.
    async fn record(&self, event: AuditEvent) -> Result<(), StoreError>;

    /// Stores `events` together, in order (their `id`s are ignored): all or none.
    ///
    /// # Errors
    /// MUST return `Err` only when the store fails.
    async fn record_all(&self, events: Vec<AuditEvent>) -> Result<(), StoreError>;

    /// The tenant's events matching `filter`, newest first, skipping `offset` and returning
    /// at most `limit`.
    ///
    /// # Errors
    /// MUST return `Err` only when the store fails.
    async fn events(
        &self,
        tenant: TenantId,
        filter: &AuditFilter,
        offset: u64,
        limit: u64,
    ) -> Result<AuditPage, StoreError>;
}
