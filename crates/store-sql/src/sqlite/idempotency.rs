//! [`IdempotencyStore`] on SQLite: every call one `IMMEDIATE` transaction, so reservations
//! of one key are serialised by the database lock.

use super::SqliteStore;
use crate::idempotency::{KeyRow, classify, external::activities as ext, idempotency_keys as k};
use crate::{TxError, is_unique_violation, now_naive, store_only};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use curricula_domain::{ActivityId, TenantId};
use curricula_ports::{CreateActivityError, IdempotencyStore, Reservation, StoreError, StoredResponse};
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
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

/// Sets the `external_id` of a just-created activity; a taken one refuses the creation.
pub(super) fn set_external_id(
    c: &mut SqliteConnection,
    tenant: TenantId,
    activity: ActivityId,
    external_id: Option<&str>,
) -> Result<(), TxError<CreateActivityError>> {
    let Some(external_id) = external_id else { return Ok(()) };
    diesel::update(ext::table.filter(ext::id.eq(activity.0).and(ext::tenant_id.eq(tenant.0))))
        .set(ext::external_id.eq(external_id))
        .execute(c)
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
    store: &SqliteStore,
    tenant: TenantId,
    external_id: &str,
) -> Result<Option<ActivityId>, StoreError> {
    let external_id = external_id.to_owned();
    store
        .run(move |c| {
            let id: Option<i64> = ext::table
                .filter(ext::tenant_id.eq(tenant.0).and(ext::external_id.eq(&external_id)))
                .select(ext::id)
                .first(c)
                .optional()?;
            Ok::<_, TxError<Infallible>>(id.map(ActivityId))
        })
        .await
        .map_err(store_only)
}
