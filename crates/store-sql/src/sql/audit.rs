//! The audit trail's queries.

use super::Db;
use crate::schema::audit_events as a;
use curricula_domain::TenantId;
use curricula_ports::AuditFilter;
use diesel::prelude::*;

/// The tenant's events matching `filter`, as a query that can be counted or paged.
pub(crate) fn matching(tenant: TenantId, filter: &AuditFilter) -> a::BoxedQuery<'static, Db> {
    let mut query = a::table.filter(a::tenant_id.eq(tenant.0)).into_boxed();
    if let Some(since) = filter.since {
        query = query.filter(a::created_at.ge(since.naive_utc()));
    }
    if let Some(until) = filter.until {
        query = query.filter(a::created_at.le(until.naive_utc()));
    }
    if let Some(action) = &filter.action {
        query = query.filter(a::action.eq(action.clone()));
    }
    if let Some(activity) = filter.activity {
        query = query.filter(a::activity_id.eq(activity.0));
    }
    if let Some(record) = filter.record {
        query = query.filter(a::record_id.eq(record.0));
    }
    if let Some(key) = filter.api_key {
        query = query.filter(a::api_key_id.eq(key.0));
    }
    query
}
