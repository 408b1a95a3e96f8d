//! [`AuditLog`] over both backends.

use crate::Database;
use crate::errors::TxError;
use crate::rows::AuditRow;
use crate::schema::audit_events as a;
use async_trait::async_trait;
use curricula_domain::TenantId;
use curricula_ports::{AuditEvent, AuditFilter, AuditLog, AuditPage, StoreError};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// Events inserted per statement by `record_all` (about 10 binds each).
const AUDIT_CHUNK: usize = 500;

#[async_trait]
impl AuditLog for Database {
    async fn record(&self, event: AuditEvent) -> Result<(), StoreError> {
        let row = AuditRow::from(&event);
        run!(self, |c, _sql| diesel::insert_into(a::table).values(row).execute(c).await.map(drop))
    }

    async fn record_all(&self, events: Vec<AuditEvent>) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        // Bounded binds per statement, whatever the count.
        let chunks: Vec<Vec<AuditRow>> =
            events.chunks(AUDIT_CHUNK).map(|chunk| chunk.iter().map(AuditRow::from).collect()).collect();
        transaction!(self, |c, sql| {
            for rows in chunks {
                sql::insert_all!(c, a::table, rows)?;
            }
            Ok::<_, TxError<StoreError>>(())
        })
    }

    async fn events(
        &self,
        tenant: TenantId,
        filter: &AuditFilter,
        offset: u64,
        limit: u64,
    ) -> Result<AuditPage, StoreError> {
        let filter = filter.clone();
        run!(self, |c, sql| {
            let total: i64 = sql::audit::matching(tenant, &filter).count().get_result(c).await?;
            let rows: Vec<AuditRow> = sql::audit::matching(tenant, &filter)
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
