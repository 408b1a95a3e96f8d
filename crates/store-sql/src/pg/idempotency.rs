//! [`IdempotencyStore`] on Postgres: the primary key `(tenant_id, idempotency_key)` decides
//! which of two racing requests reserves a key (`INSERT … ON CONFLICT DO NOTHING` waits for
//! the other's transaction, then reads what it stored).

use super::{Conn, PgStore};
use crate::idempotency::{KeyRow, classify, external::activities as ext, idempotency_keys as k};
use crate::{RunError, TxError, is_unique_violation, now_naive, store_only};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use curricula_domain::{ActivityId, TenantId};
use curricula_ports::{CreateActivityError, IdempotencyStore, Reservation, StoreError, StoredResponse};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use std::convert::Infallible;

#[async_trait]
impl IdempotencyStore for PgStore {
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
        let result: Result<Reservation, RunError<Infallible>> = transaction!(self, |c| {
            let mine = k::tenant_id.eq(tenant.0).and(k::idempotency_key.eq(&key));
            diesel::delete(k::table.filter(mine).filter(k::expires_at.le(now_naive(now))))
                .execute(c)
                .await?;
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
                return Ok::<_, TxError<Infallible>>(Reservation::Reserved);
            }
            let row: Option<KeyRow> = k::table
                .filter(mine)
                .select((k::fingerprint, k::status, k::body))
                .first(c)
                .await
                .optional()?;
            // Gone between the two statements (released or purged by another request): it is
            // being settled right now; the client's retry will find it free or completed.
            Ok(row.map_or(Reservation::InProgress, |row| classify(row, &fingerprint)))
        });
        result.map_err(store_only)
    }

    async fn complete(&self, tenant: TenantId, key: &str, response: &StoredResponse) -> Result<(), StoreError> {
        let status = i32::from(response.status);
        read!(self, |c| {
            diesel::update(k::table.filter(k::tenant_id.eq(tenant.0).and(k::idempotency_key.eq(key))))
                .set((k::status.eq(status), k::body.eq(&response.body)))
                .execute(c)
                .await?;
            Ok(())
        })
    }

    async fn release(&self, tenant: TenantId, key: &str) -> Result<(), StoreError> {
        read!(self, |c| {
            diesel::delete(
                k::table
                    .filter(k::tenant_id.eq(tenant.0).and(k::idempotency_key.eq(key)))
                    .filter(k::status.is_null()),
            )
            .execute(c)
            .await?;
            Ok(())
        })
    }

    async fn purge_expired(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        read!(self, |c| {
            let n = diesel::delete(k::table.filter(k::expires_at.le(now_naive(now))))
                .execute(c)
                .await?;
            Ok(n as u64)
        })
    }
}

/// Sets the `external_id` of a just-created activity; a taken one refuses the creation.
pub(super) async fn set_external_id(
    c: &mut Conn,
    tenant: TenantId,
    activity: ActivityId,
    external_id: Option<&str>,
) -> Result<(), TxError<CreateActivityError>> {
    let Some(external_id) = external_id else { return Ok(()) };
    diesel::update(ext::table.filter(ext::id.eq(activity.0).and(ext::tenant_id.eq(tenant.0))))
        .set(ext::external_id.eq(external_id))
        .execute(c)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                TxError::Refused(CreateActivityError::ExternalIdTaken(external_id.to_owned()))
            } else {
                TxError::Db(e)
            }
        })?;
    Ok(())
}

/// The tenant's activity with `external_id`.
pub(super) async fn activity_by_external_id(
    store: &PgStore,
    tenant: TenantId,
    external_id: &str,
) -> Result<Option<ActivityId>, StoreError> {
    read!(store, |c| {
        let id: Option<i64> = ext::table
            .filter(ext::tenant_id.eq(tenant.0).and(ext::external_id.eq(external_id)))
            .select(ext::id)
            .first(c)
            .await
            .optional()?;
        Ok(id.map(ActivityId))
    })
}
