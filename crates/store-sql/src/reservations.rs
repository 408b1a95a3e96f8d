//! [`IdempotencyStore`] over both backends: the primary key `(tenant_id, idempotency_key)`
//! decides which of two racing requests reserves a key (`INSERT … ON CONFLICT DO NOTHING`; on
//! Postgres it waits for the other's transaction, then reads what it stored; on SQLite the
//! `IMMEDIATE` transactions are serialised by the database lock). The table itself:
//! `idempotency.rs`.

use crate::Database;
use crate::errors::{TxError, now_naive};
use crate::idempotency::{KeyRow, classify, idempotency_keys as k};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use curricula_domain::TenantId;
use curricula_ports::{IdempotencyStore, Reservation, StoreError, StoredResponse};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

#[async_trait]
impl IdempotencyStore for Database {
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
        transaction!(self, |c, _sql| {
            let mine = k::tenant_id.eq(tenant.0).and(k::idempotency_key.eq(&key));
            diesel::delete(k::table.filter(mine).filter(k::expires_at.le(now_naive(now)))).execute(c).await?;
            let inserted = diesel::insert_into(k::table)
                .values((
                    k::tenant_id.eq(tenant.0),
                    k::idempotency_key.eq(&key),
                    k::fingerprint.eq(&fingerprint),
                    k::created_at.eq(now_naive(now)),
                    k::expires_at.eq(now_naive(expires_at)),
                ))
                .on_conflict_do_nothing()
                .execute(c)
                .await?;
            if inserted == 1 {
                return Ok(Reservation::Reserved);
            }
            let row: Option<KeyRow> =
                k::table.filter(mine).select((k::fingerprint, k::status, k::body)).first(c).await.optional()?;
            // Gone between the two statements (released or purged by another request): it is
            // being settled right now; the client's retry will find it free or completed.
            Ok::<_, TxError<StoreError>>(row.map_or(Reservation::InProgress, |row| classify(row, &fingerprint)))
        })
    }

    async fn complete(&self, tenant: TenantId, key: &str, response: &StoredResponse) -> Result<(), StoreError> {
        let status = i32::from(response.status);
        let key = key.to_owned();
        let body = response.body.clone();
        run!(self, |c, _sql| {
            diesel::update(k::table.filter(k::tenant_id.eq(tenant.0).and(k::idempotency_key.eq(&key))))
                .set((k::status.eq(status), k::body.eq(&body)))
                .execute(c)
                .await
                .map(drop)
        })
    }

    async fn release(&self, tenant: TenantId, key: &str) -> Result<(), StoreError> {
        let key = key.to_owned(); // owned: the body may run on another thread
        let unsettled = k::tenant_id.eq(tenant.0).and(k::idempotency_key.eq(key)).and(k::status.is_null());
        run!(self, |c, _sql| diesel::delete(k::table.filter(unsettled)).execute(c).await.map(drop))
    }

    async fn purge_expired(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let expired = k::expires_at.le(now_naive(now));
        run!(self, |c, _sql| diesel::delete(k::table.filter(expired)).execute(c).await.map(|n| n as u64))
    }
}
