//! [`IdempotencyStore`] on SQLite: every call one `IMMEDIATE` transaction, so reservations
//! of one key are serialised by the database lock.

use super::SqliteStore;
use crate::idempotency::{KeyRow, classify, idempotency_keys as k};
use crate::{TxError, now_naive, store_only};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use curricula_domain::TenantId;
use curricula_ports::{IdempotencyStore, Reservation, StoreError, StoredResponse};
use diesel::prelude::*;
use std::convert::Infallible;

#[async_trait]
impl IdempotencyStore for SqliteStore {
    async fn reserve(
        &self,
        tenant: TenantId,
        key: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<Reservation, StoreError> {
        let key = key.to_owned();
        let fingerprint = fingerprint.to_owned();
        self.write(move |c| {
            let mine = k::tenant_id.eq(tenant.0).and(k::idempotency_key.eq(&key));
            diesel::delete(k::table.filter(mine).filter(k::expires_at.le(now_naive(now)))).execute(c)?;
            let inserted = diesel::insert_into(k::table)
                .values((
                    k::tenant_id.eq(tenant.0),
                    k::idempotency_key.eq(&key),
                    k::fingerprint.eq(&fingerprint),
                    k::created_at.eq(now_naive(now)),
                    k::expires_at.eq(now_naive(expires_at)),
                ))
                .on_conflict_do_nothing()
                .execute(c)?;
            if inserted == 1 {
                return Ok::<_, TxError<Infallible>>(Reservation::Reserved);
            }
            let row: KeyRow = k::table
                .filter(mine)
                .select((k::fingerprint, k::status, k::body))
                .first(c)?;
            Ok(classify(row, &fingerprint))
        })
        .await
        .map_err(store_only)
    }

    async fn complete(&self, tenant: TenantId, key: &str, response: &StoredResponse) -> Result<(), StoreError> {
        let key = key.to_owned();
        let status = i32::from(response.status);
        let body = response.body.clone();
        self.write(move |c| {
            diesel::update(k::table.filter(k::tenant_id.eq(tenant.0).and(k::idempotency_key.eq(&key))))
                .set((k::status.eq(status), k::body.eq(&body)))
                .execute(c)?;
            Ok::<_, TxError<Infallible>>(())
        })
        .await
        .map_err(store_only)
    }

    async fn release(&self, tenant: TenantId, key: &str) -> Result<(), StoreError> {
        let key = key.to_owned();
        self.write(move |c| {
            diesel::delete(
                k::table
                    .filter(k::tenant_id.eq(tenant.0).and(k::idempotency_key.eq(&key)))
                    .filter(k::status.is_null()),
            )
            .execute(c)?;
            Ok::<_, TxError<Infallible>>(())
        })
        .await
        .map_err(store_only)
    }

    async fn purge_expired(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        self.write(move |c| {
            let n = diesel::delete(k::table.filter(k::expires_at.le(now_naive(now)))).execute(c)?;
            Ok::<_, TxError<Infallible>>(n as u64)
        })
        .await
        .map_err(store_only)
    }
}
