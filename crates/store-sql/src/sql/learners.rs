//! The learners' list queries.

use super::{Conn, Db};
use crate::schema::{enrollments as e, sco_runtimes as sr, users as u};
use curricula_domain::TenantId;
use curricula_ports::{EnrollmentFilter, UserFilter};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// The tenant's users matching `filter`, as a query that can be counted or paged.
pub(crate) fn users(tenant: TenantId, filter: &UserFilter) -> u::BoxedQuery<'static, Db> {
    let mut query = u::table.filter(u::tenant_id.eq(tenant.0)).into_boxed();
    if let Some(username) = &filter.username {
        query = query.filter(u::username.eq(username.clone()));
    }
    if let Some(code) = &filter.code {
        query = query.filter(u::code.eq(code.clone()));
    }
    if let Some(range) = &filter.updated_on {
        query = query.filter(u::updated_at.between(range.from.naive_utc(), range.to.naive_utc()));
    }
    query
}

/// The tenant's enrollments matching `filter`, as a query that can be counted or paged.
pub(crate) fn enrollments(tenant: TenantId, filter: &EnrollmentFilter) -> e::BoxedQuery<'static, Db> {
    let mut query = e::table.filter(e::tenant_id.eq(tenant.0)).into_boxed();
    if let Some(user) = filter.user {
        query = query.filter(e::user_id.eq(user.0));
    }
    if let Some(course) = filter.course {
        query = query.filter(e::course_id.eq(course.0));
    }
    if let Some(status) = filter.status {
        query = query.filter(e::status.eq(status.as_str()));
    }
    if let Some(range) = &filter.updated_on {
        query = query.filter(e::updated_at.between(range.from.naive_utc(), range.to.naive_utc()));
    }
    if let Some(range) = &filter.completed_on {
        query = query.filter(e::completed_at.between(range.from.naive_utc(), range.to.naive_utc()));
    }
    query
}

/// The SCOs of an attempt with their states, by identifier.
pub(crate) async fn scos(c: &mut Conn, attempt: i64) -> QueryResult<Vec<(String, String)>> {
    sr::table.filter(sr::attempt_id.eq(attempt)).order(sr::sco).select((sr::sco, sr::state)).load(c).await
}
