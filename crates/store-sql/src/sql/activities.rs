//! Queries of activities used by several operations.

use super::Conn;
use crate::errors::{TxError, now_naive, unique_or};
use crate::idempotency::external::activities as ext;
use crate::rows::{self, ActivityRow, RevisionRow, VersionRow};
use crate::schema::*;
use chrono::{DateTime, Utc};
use curricula_domain::{Activity, ActivityId, ApiKeyId, LanguageCode, Name, ScormContent, TenantId};
use curricula_ports::CreateActivityError;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// The tenant's activities of the ids `ids`, by id, with their language versions and
/// organisations.
pub(crate) async fn load(c: &mut Conn, tenant: TenantId, ids: &[i64]) -> QueryResult<Vec<Activity>> {
    use activity_organisations as links;
    // Owned: on SQLite the queries run on a blocking thread.
    let rows = activities::table
        .filter(activities::tenant_id.eq(tenant.0).and(activities::id.eq_any(ids.to_vec())))
        .order(activities::id)
        .select(ActivityRow::as_select());
    let versions = language_versions::table
        .inner_join(activities::table)
        .filter(activities::tenant_id.eq(tenant.0).and(language_versions::activity_id.eq_any(ids.to_vec())))
        .order((language_versions::activity_id, language_versions::id))
        .select(VersionRow::as_select());
    let organisations = links::table
        .filter(links::tenant_id.eq(tenant.0).and(links::activity_id.eq_any(ids.to_vec())))
        .order((links::activity_id, links::organisation_id))
        .select((links::activity_id, links::organisation_id));
    let rows = super::load!(c, rows, ActivityRow)?;
    let versions = super::load!(c, versions, VersionRow)?;
    rows::assemble(rows, versions, super::load!(c, organisations, (i64, i64))?)
}

/// Stores a new language version of `activity`, and its package as revision 1; returns its id.
pub(crate) async fn insert_version(
    c: &mut Conn,
    activity: ActivityId,
    language: &LanguageCode,
    title: &Name,
    scorm: Option<&ScormContent>,
    api_key: Option<ApiKeyId>,
    now: DateTime<Utc>,
) -> QueryResult<i64> {
    let id = diesel::insert_into(language_versions::table)
        .values(VersionRow::new(activity, language, title, scorm, now_naive(now)))
        .returning(language_versions::id)
        .get_result(c)
        .await?;
    if let Some(content) = scorm {
        diesel::insert_into(package_revisions::table)
            .values(RevisionRow::new(id, 1, api_key, content, now_naive(now)))
            .execute(c)
            .await?;
    }
    Ok(id)
}

/// Sets the `external_id` of a just-created activity; a taken one refuses the creation.
pub(crate) async fn set_external_id(
    c: &mut Conn,
    tenant: TenantId,
    activity: ActivityId,
    external_id: Option<&str>,
) -> Result<(), TxError<CreateActivityError>> {
    let Some(external_id) = external_id else { return Ok(()) };
    diesel::update(ext::table.filter(ext::id.eq(activity.0).and(ext::tenant_id.eq(tenant.0))))
        .set(ext::external_id.eq(external_id))
        .execute(c)
        .await
        .map_err(unique_or(|| CreateActivityError::ExternalIdTaken(external_id.to_owned())))?;
    Ok(())
}
