//! [`EventLog`] over both backends: appends and the two readers (feed, audit trail).

use crate::Database;
use crate::errors::TxError;
use crate::rows::EventRow;
use crate::schema::events as ev;
use async_trait::async_trait;
use curricula_domain::TenantId;
use curricula_ports::{
    AuditEvent, AuditFilter, AuditPage, Event, EventLog, FeedFilter, FeedPage, FeedPosition, Slice, StoreError,
};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// The most events one feed read answers, whatever is asked.
const MAX_FEED_LIMIT: u64 = 1_000;

#[async_trait]
impl EventLog for Database {
    async fn append(&self, events: Vec<Event>) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        transaction!(self, |c, sql| {
            sql::events::append(c, &events).await?;
            Ok::<_, TxError<StoreError>>(())
        })
    }

    async fn feed(
        &self,
        tenant: TenantId,
        after: FeedPosition,
        filter: &FeedFilter,
        limit: u64,
    ) -> Result<FeedPage, StoreError> {
        let filter = filter.clone();
        let limit = i64::try_from(limit.clamp(1, MAX_FEED_LIMIT)).unwrap_or(1);
        let rows = run!(self, |c, sql| sql::events::feed(c, tenant, after, &filter, limit).await)?;
        let next = rows.last().map_or(after, |r| FeedPosition { tx: r.tx, id: r.id });
        Ok(FeedPage { events: rows.into_iter().filter_map(EventRow::into_port).collect(), next })
    }

    async fn audit(&self, tenant: TenantId, filter: &AuditFilter, slice: Slice) -> Result<AuditPage, StoreError> {
        let filter = filter.clone();
        let (total, rows) = run!(self, |c, sql| {
            let total: i64 = sql::events::audited(tenant, &filter).count().get_result(c).await?;
            let rows: Vec<EventRow> = sql::events::audited(tenant, &filter)
                .order(ev::id.desc())
                .offset(i64::try_from(slice.offset).unwrap_or(i64::MAX))
                .limit(i64::try_from(slice.limit).unwrap_or(i64::MAX))
                .select(EventRow::as_select())
                .load(c)
                .await?;
            Ok::<_, diesel::result::Error>((total, rows))
        })?;
        Ok(AuditPage {
            events: rows.into_iter().filter_map(EventRow::into_port).filter_map(AuditEvent::of).collect(),
            total: u64::try_from(total).unwrap_or_default(),
        })
    }

    async fn last_event_id(&self) -> Result<i64, StoreError> {
        let last: Option<i64> = run!(self, |c, _sql| ev::table.select(diesel::dsl::max(ev::id)).first(c).await)?;
        Ok(last.unwrap_or(0))
    }
}
