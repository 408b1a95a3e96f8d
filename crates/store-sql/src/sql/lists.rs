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

/// Narrows `$query` to rows whose `$column` equals the filter's value, if it has one.
macro_rules! equal {
    ($query:ident, $column:expr, $value:expr) => {
        if let Some(value) = $value {
            $query = $query.filter($column.eq(value));
        }
    };
}

/// Narrows `$query` by a [`Nullable`] filter: the value, or null.
macro_rules! equal_or_null {
    ($query:ident, $column:expr, $value:expr) => {
        match $value {
            Some(Nullable::Is(value)) => $query = $query.filter($column.eq(value)),
            Some(Nullable::Null) => $query = $query.filter($column.is_null()),
            None => {}
        }
    };
}

/// The ids of the tenant's activities that match `filter`, as a boxed query.
fn matching_activities(
    tenant: TenantId,
    filter: &ActivityFilter,
) -> activities::BoxedQuery<'static, Db, diesel::sql_types::BigInt> {
    let mut query =
        activities::table.filter(activities::tenant_id.eq(tenant.0)).select(activities::id).into_boxed::<Db>();
    equal!(query, activities::id, filter.id.map(|id| id.0));
    equal!(query, activities::name, filter.name.clone());
    equal!(query, activities::kind, filter.kind.map(|kind| kind.as_str()));
    equal!(query, activities::in_catalog, filter.in_catalog);
    equal_or_null!(query, activities::parent_id, filter.parent_id.map(|p| p.map(|id| id.0)));
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
        equal!(query, ca::id, filter.id.map(|id| id.0));
        equal!(query, ca::name, filter.name.clone());
        equal!(query, cb::lft, filter.lft);
        equal!(query, cb::rgt, filter.rgt);
        equal!(query, ca::curriculum_id, filter.curriculum_id.map(|id| id.0));
        equal_or_null!(query, ca::parent_id, filter.parent_id.map(|p| p.map(|id| id.0)));
        equal_or_null!(query, ca::course_id, filter.course_id.map(|c| c.map(|id| id.0)));
        equal_or_null!(query, ca::updated_by, filter.updated_by);
        equal_or_null!(query, ca::initial_view, filter.initial_view.map(|v| v.map(|v| v.as_str())));
        if let Some(range) = filter.updated_on {
            query = query.filter(ca::updated_on.between(range.from.naive_utc(), range.to.naive_utc()));
        }
        match filter.lock_until {
            Some(Nullable::Is(range)) => query = query.filter(ca::lock_until.between(range.from, range.to)),
            Some(Nullable::Null) => query = query.filter(ca::lock_until.is_null()),
            None => {}
        }
        // The record's path is one of the tenant's paths matching `course[...]` (all of them
        // without it): a condition on the bounds' `(curriculum_id, lft)`, so that the order
        // of a List is the order of that index and a page stops after its rows.
        let mut paths = filter.course.clone();
        paths.kind = Some(paths.kind.unwrap_or(curricula_domain::ActivityKind::Course));
        if filter.curriculum_id.is_none() || !filter.course.is_empty() {
            query = query.filter(cb::curriculum_id.eq_any(matching_activities(tenant, &paths)));
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
    let (offset, limit) = offset_limit(slice);
    let page = || {
        matching_records!(tenant, filter)
            .select((RecordRow::as_select(), BoundsRow::as_select(), activities::kind.nullable()))
            .order((curriculum_bounds::curriculum_id, curriculum_bounds::lft))
            .offset(offset)
            .limit(limit)
    };
    if slice == Slice::ALL {
        // Everything that matches (one path, unpaged): the rows are their own count.
        let items = into_records(super::load!(c, page(), LoadedRow)?);
        return Ok(Listed { total: u64::try_from(items.len()).unwrap_or(u64::MAX), items });
    }
    let total: i64 = if *filter == RecordFilter::default() {
        tenants::table.find(tenant.0).select(tenants::curriculum_records).first(c).await.optional()?.unwrap_or(0)
    } else {
        matching_records!(tenant, filter).count().get_result(c).await?
    };
    let rows = if total == 0 { Vec::new() } else { super::load!(c, page(), LoadedRow)? };
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
    let items = if ids.is_empty() { Vec::new() } else { super::activities::load(c, tenant, &ids).await? };
    Ok(Listed { items, total: u64::try_from(total).unwrap_or(0) })
}
