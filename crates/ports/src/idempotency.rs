//! The idempotency port: remembers, per tenant and `Idempotency-Key`, which request a key was
//! first used with and the response it got, so that a retry is answered without running again.

use crate::error::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use curricula_domain::TenantId;

/// A response kept for replay: its status and its body, exactly as first sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    /// The HTTP status.
    pub status: u16,
    /// The body (JSON text, or empty).
    pub body: String,
}

/// What reserving a key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reservation {
    /// The key was free (or its previous use had expired): the caller runs the request and
    /// then calls `complete` or `release`.
    Reserved,
    /// The same request already ran with this key: answer with this response.
    Replay(StoredResponse),
    /// The same request is running with this key right now.
    InProgress,
    /// The key was used with a different request.
    Mismatch,
}

/// Idempotency keys and the responses they got, scoped per tenant.
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Reserves `key` of `tenant` for the request whose digest is `fingerprint`, until
    /// `expires_at`. A use of the key that expired at or before `now` is forgotten first.
    ///
    /// # Errors
    /// MUST return `Err` only when the store fails. Two callers racing for one key MUST NOT
    /// both get `Reserved`.
    async fn reserve(
        &self,
        tenant: TenantId,
        key: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<Reservation, StoreError>;

    /// Stores the response of the request that reserved `key`; later reservations replay it.
    ///
    /// # Errors
    /// MUST return `Err` only when the store fails.
    async fn complete(&self, tenant: TenantId, key: &str, response: &StoredResponse) -> Result<(), StoreError>;

    /// Forgets a reservation that has no response yet (the request failed in a way worth
    /// retrying), so the key can be used again. A completed key is left alone.
    ///
    /// # Errors
    /// MUST return `Err` only when the store fails.
    async fn release(&self, tenant: TenantId, key: &str) -> Result<(), StoreError>;

    /// Removes every key that expired at or before `now`; returns how many.
    ///
    /// # Errors
    /// MUST return `Err` only when the store fails.
    async fn purge_expired(&self, now: DateTime<Utc>) -> Result<u64, StoreError>;
}
