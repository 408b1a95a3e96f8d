//! The List reads: filters, order, paging and totals run in the query, on the indexes the
//! migrations give them (`curriculum_activities (account_id, curriculum_id)` for the order,
//! `(account_id, updated_on)` for ranges, `activities (tenant_id, id)`), so that a page costs
//! what the page and its matches cost, not what the tenant holds.

use super::{Conn, Db};
use crate::rows::{BoundsRow, LoadedRow, RecordRow, into_records};
use crate::schema::*;
use curricula_domain::curriculum::CurriculumRecord;
use curricula_domain::{Activity, TenantId};
use curricula_ports::{ActivityFilter, Listed, Nullable, RecordFilter, Slice};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// The ids of the tenant's activities that match `filter`, as a boxed query.
fn matching_activities(
    tenant: TenantId,
    filter: &ActivityFilter,
) -> activities::BoxedQuery<'static, Db, diesel::sql_types::BigInt> {
    let mut query =
        activities::table.filter(activities::tenant_id.eq(tenant.0)).select(activities::id).into_boxed::<Db>();
    if let Some(id) = filter.id {
        query = query.filter(activities::id.eq(id.0));
    }
    if let Some(name) = &filter.name {
        query = query.filter(activities::name.eq(name.clone()));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(activities::kind.eq(kind.as_str()));
    }
    if let Some(in_catalog) = filter.in_catalog {
        query = query.filter(activities::in_catalog.eq(in_catalog));
    }
    match filter.parent_id {
        Some(Nullable::Is(parent)) => query = query.filter(activities::parent_id.eq(parent.0)),
        Some(Nullable::Null) => query = query.filter(activities::parent_id.is_null()),
        None => {}
    }
    query
}

/// The tenant's records that match `$filter`, joined to their bounds and their activity's
/// kind, as a boxed query (selecting nothing yet).
macro_rules! matching_records {
    ($tenant:expr, $filter:expr) => {{
        use curriculum_activities as ca;
        use curriculum_bounds as cb;
        let tenant: TenantId = $tenant;
        let filter: &RecordFilter = $filter;
        let mut query = ca::table
            .inner_join(cb::table)
            .left_join(activities::table.on(ca::course_id.eq(activities::id.nullable())))
            .filter(ca::account_id.eq(tenant.0))
            .into_boxed::<Db>();
        if let Some(id) = filter.id {
            query = query.filter(ca::id.eq(id.0));
        }
        if let Some(name) = &filter.name {
            query = query.filter(ca::name.eq(name.clone()));
        }
        match filter.parent_id {
            Some(Nullable::Is(parent)) => query = query.filter(ca::parent_id.eq(parent.0)),
            Some(Nullable::Null) => query = query.filter(ca::parent_id.is_null()),
            None => {}
        }
        if let Some(lft) = filter.lft {
            query = query.filter(cb::lft.eq(lft));
        }
        if let Some(rgt) = filter.rgt {
            query = query.filter(cb::rgt.eq(rgt));
        }
        if let Some(path) = filter.curriculum_id {
            query = query.filter(ca::curriculum_id.eq(path.0));
        }
        match filter.course_id {
            Some(Nullable::Is(course)) => query = query.filter(ca::course_id.eq(course.0)),
            Some(Nullable::Null) => query = query.filter(ca::course_id.is_null()),
            None => {}
        }
        match filter.updated_by {
            Some(Nullable::Is(user)) => query = query.filter(ca::updated_by.eq(user)),
            Some(Nullable::Null) => query = query.filter(ca::updated_by.is_null()),
            None => {}
        }
        if let Some(range) = filter.updated_on {
            query = query.filter(ca::updated_on.between(range.from.naive_utc(), range.to.naive_utc()));
        }
        match filter.lock_until {
            Some(Nullable::Is(range)) => query = query.filter(ca::lock_until.between(range.from, range.to)),
            Some(Nullable::Null) => query = query.filter(ca::lock_until.is_null()),
            None => {}
        }
        match filter.initial_view {
            Some(Nullable::Is(view)) => query = query.filter(ca::initial_view.eq(view.as_str())),
            Some(Nullable::Null) => query = query.filter(ca::initial_view.is_null()),
            None => {}
        }
        if !filter.course.is_empty() {
            // `course[...]`: the record's path is one of the matching activities.
            query = query.filter(ca::curriculum_id.eq_any(matching_activities(tenant, &filter.course)));
        }
        query
    }};
}

/// `slice` as SQL's OFFSET and LIMIT.
fn offset_limit(slice: Slice) -> (i64, i64) {
    let clamp = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    (clamp(slice.offset), clamp(slice.limit))
}

/// The slice of the tenant's records matching `filter`, by path then `lft`, and the total.
/// An unfiltered total is the count the tenant row keeps (one row read, see
/// `paths::persist`); a filtered one counts the matches.
pub(crate) async fn records(
    c: &mut Conn,
    tenant: TenantId,
    filter: &RecordFilter,
    slice: Slice,
) -> QueryResult<Listed<CurriculumRecord>> {
    let total: i64 = if *filter == RecordFilter::default() {
        tenants::table.find(tenant.0).select(tenants::curriculum_records).first(c).await.optional()?.unwrap_or(0)
    } else {
        matching_records!(tenant, filter).count().get_result(c).await?
    };
    let (offset, limit) = offset_limit(slice);
    let rows: Vec<LoadedRow> = if total == 0 {
        Vec::new()
    } else {
        let page = matching_records!(tenant, filter)
            .select((RecordRow::as_select(), BoundsRow::as_select(), activities::kind.nullable()))
            .order((curriculum_activities::curriculum_id, curriculum_bounds::lft))
            .offset(offset)
            .limit(limit);
        super::load!(c, page, LoadedRow)?
    };
    Ok(Listed { items: into_records(rows), total: u64::try_from(total).unwrap_or(0) })
}

/// The slice of the tenant's activities matching `filter`, by id, with their versions and
/// organisations, and the number that match.
pub(crate) async fn activities(
    c: &mut Conn,
    tenant: TenantId,
    filter: &ActivityFilter,
    slice: Slice,
) -> QueryResult<Listed<Activity>> {
    let total: i64 = matching_activities(tenant, filter).count().get_result(c).await?;
    let (offset, limit) = offset_limit(slice);
    let ids =
        super::load!(c, matching_activities(tenant, filter).order(activities::id).offset(offset).limit(limit), i64)?;
    let items = if ids.is_empty() { Vec::new() } else { super::activities::load(c, tenant, Some(&ids)).await? };
    Ok(Listed { items, total: u64::try_from(total).unwrap_or(0) })
}
