//! [`AuditLog`] on Postgres.

use super::{Conn, PgStore};
use crate::rows::AuditRow;
use crate::schema::audit_events as a;
use crate::{RunError, TxError, store_only};
use async_trait::async_trait;
use curricula_domain::TenantId;
use curricula_ports::{AuditEvent, AuditFilter, AuditLog, AuditPage, StoreError};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// The tenant's events matching `filter`, as a query that can be counted or paged.
pub(crate) fn matching(tenant: TenantId, filter: &AuditFilter) -> a::BoxedQuery<'static, Pg> {
    audit_query!(Pg, tenant, filter)
}

#[async_trait]
impl AuditLog for PgStore {
    async fn record(&self, event: AuditEvent) -> Result<(), StoreError> {
        read!(self, |c| {
            diesel::insert_into(a::table)
                .values(AuditRow::from(&event))
                .execute(c)
                .await?;
            Ok(())
        })
    }

    async fn events(
        &self,
        tenant: TenantId,
        filter: &AuditFilter,
        offset: u64,
        limit: u64,
    ) -> Result<AuditPage, StoreError> {
        read!(self, |c| {
            let total: i64 = matching(tenant, filter).count().get_result(c).await?;
            let rows: Vec<AuditRow> = matching(tenant, filter)
                .order(a::id.desc())
                .offset(i64::try_from(offset).unwrap_or(i64::MAX))
                .limit(i64::try_from(limit).unwrap_or(i64::MAX))
                .select(AuditRow::as_select())
                .load(c)
                .await?;
            Ok(AuditPage {
                events: rows.into_iter().map(AuditRow::into_domain).collect(),
                total: u64::try_from(total).unwrap_or_default(),
            })
        })
    }
}
