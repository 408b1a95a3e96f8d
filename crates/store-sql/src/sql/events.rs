//! The event log's queries: appending in a write's transaction, the feed, the audit trail.

use super::{Conn, Db, FEED_HORIZON};
use crate::rows::EventRow;
use crate::schema::events as ev;
use curricula_domain::TenantId;
use curricula_ports::{AuditFilter, Event, EventType, FeedFilter, FeedPosition};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel_async::RunQueryDsl;

/// Events inserted per statement (14 binds each).
pub(crate) const EVENTS_CHUNK: usize = 500;

/// Appends `events` in order, on `c` (inside the write's transaction).
pub(crate) async fn append(c: &mut Conn, events: &[Event]) -> QueryResult<()> {
    for chunk in events.chunks(EVENTS_CHUNK) {
        let rows: Vec<EventRow> = chunk.iter().map(EventRow::from).collect();
        super::insert_all!(c, ev::table, rows)?;
    }
    Ok(())
}

/// The tenant's events after `after`, in feed order, from what has committed below the
/// backend's horizon (see `FEED_HORIZON`).
pub(crate) fn after(tenant: TenantId, after: FeedPosition) -> ev::BoxedQuery<'static, Db> {
    let later = ev::tx.gt(after.tx).or(ev::tx.eq(after.tx).and(ev::id.gt(after.id)));
    let mut query = ev::table.filter(ev::tenant_id.eq(tenant.0).and(later)).into_boxed();
    if let Some(horizon) = FEED_HORIZON {
        query = query.filter(ev::tx.lt(diesel::dsl::sql::<BigInt>(horizon)));
    }
    query.order((ev::tx.asc(), ev::id.asc()))
}

/// A page of the feed.
pub(crate) async fn feed(
    c: &mut Conn,
    tenant: TenantId,
    from: FeedPosition,
    filter: &FeedFilter,
    limit: i64,
) -> QueryResult<Vec<EventRow>> {
    let mut query = after(tenant, from);
    if !filter.types.is_empty() {
        query = query.filter(ev::kind.eq_any(names(&filter.types)));
    }
    if let Some(course) = filter.course {
        query = query.filter(ev::course_id.eq(course.0));
    }
    if let Some(user) = filter.user {
        query = query.filter(ev::user_id.eq(user.0));
    }
    query.limit(limit).select(EventRow::as_select()).load(c).await
}

/// The names of `types`.
pub(crate) fn names(types: &[EventType]) -> Vec<&'static str> {
    types.iter().map(|t| t.as_str()).collect()
}

/// The tenant's audited events matching `filter`, as a query that can be counted or paged.
pub(crate) fn audited(tenant: TenantId, filter: &AuditFilter) -> ev::BoxedQuery<'static, Db> {
    let audited: Vec<EventType> = match filter.kind {
        Some(kind) => vec![kind],
        None => EventType::ALL.iter().copied().filter(|t| t.audit_action().is_some()).collect(),
    };
    let mut query = ev::table.filter(ev::tenant_id.eq(tenant.0).and(ev::kind.eq_any(names(&audited)))).into_boxed();
    if let Some(since) = filter.since {
        query = query.filter(ev::occurred_at.ge(since.naive_utc()));
    }
    if let Some(until) = filter.until {
        query = query.filter(ev::occurred_at.le(until.naive_utc()));
    }
    if let Some(activity) = filter.activity {
        query = query.filter(ev::course_id.eq(activity.0));
    }
    if let Some(record) = filter.record {
        query = query.filter(ev::record_id.eq(record.0));
    }
    if let Some(key) = filter.api_key {
        query = query.filter(ev::api_key_id.eq(key.0));
    }
    query
}
