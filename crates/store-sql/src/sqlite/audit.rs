//! [`AuditLog`] on SQLite.

use super::SqliteStore;
use crate::rows::AuditRow;
use crate::schema::audit_events as a;
use crate::{TxError, store_only};
use async_trait::async_trait;
use curricula_domain::TenantId;
use curricula_ports::{AuditEvent, AuditFilter, AuditLog, AuditPage, StoreError};
use diesel::prelude::*;
use diesel::sqlite::Sqlite;
use std::convert::Infallible;

/// The tenant's events matching `filter`, as a query that can be counted or paged.
pub(crate) fn matching(tenant: TenantId, filter: &AuditFilter) -> a::BoxedQuery<'static, Sqlite> {
    audit_query!(Sqlite, tenant, filter)
}

#[async_trait]
impl AuditLog for SqliteStore {
    async fn record(&self, event: AuditEvent) -> Result<(), StoreError> {
        self.run(move |c| {
            diesel::insert_into(a::table)
                .values(AuditRow::from(&event))
                .execute(c)?;
            Ok::<_, TxError<Infallible>>(())
        })
        .await
        .map_err(store_only)
    }

    async fn events(
        &self,
        tenant: TenantId,
        filter: &AuditFilter,
        offset: u64,
        limit: u64,
    ) -> Result<AuditPage, StoreError> {
        let filter = filter.clone();
        self.run(move |c| {
            let total: i64 = matching(tenant, &filter).count().get_result(c)?;
            let rows: Vec<AuditRow> = matching(tenant, &filter)
                .order(a::id.desc())
                .offset(i64::try_from(offset).unwrap_or(i64::MAX))
                .limit(i64::try_from(limit).unwrap_or(i64::MAX))
                .select(AuditRow::as_select())
                .load(c)?;
            Ok::<_, TxError<Infallible>>(AuditPage {
                events: rows.into_iter().map(AuditRow::into_domain).collect(),
                total: u64::try_from(total).unwrap_or_default(),
            })
        })
        .await
        .map_err(store_only)
    }
}
