//! Queries of activities used by several operations.

use super::Conn;
use crate::idempotency::external::activities as ext;
use crate::rows::{self, ActivityRow, VersionRow};
use crate::schema::*;
use crate::{TxError, unique_or};
use curricula_domain::{Activity, ActivityId, TenantId};
use curricula_ports::CreateActivityError;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// The tenant's activity `id` with its language versions and organisations.
pub(crate) async fn activity(c: &mut Conn, tenant: TenantId, id: ActivityId) -> QueryResult<Option<Activity>> {
    let Some(row) = activities::table
        .filter(activities::id.eq(id.0).and(activities::tenant_id.eq(tenant.0)))
        .select(ActivityRow::as_select())
        .first(c)
        .await
        .optional()?
    else {
        return Ok(None);
    };
    let versions: Vec<VersionRow> = language_versions::table
        .filter(language_versions::activity_id.eq(id.0))
        .order(language_versions::id)
        .select(VersionRow::as_select())
        .load(c)
        .await?;
    let organisation_ids: Vec<i64> = activity_organisations::table
        .filter(activity_organisations::activity_id.eq(id.0))
        .order(activity_organisations::organisation_id)
        .select(activity_organisations::organisation_id)
        .load(c)
        .await?;
    rows::activity(row, versions, organisation_ids).map(Some)
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
        .map_err(unique_or(|| {
            CreateActivityError::ExternalIdTaken(external_id.to_owned())
        }))?;
    Ok(())
}
