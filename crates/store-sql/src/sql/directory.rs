//! Queries of the tenant directory used by several of its operations.

use super::Conn;
use crate::errors::{TxError, now_naive, unique_or};
use crate::rows::{self, KeyRow};
use crate::schema::*;
use chrono::{DateTime, Utc};
use curricula_domain::{Tenant, TenantId};
use curricula_ports::DirectoryError;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// Tenant `id` with its languages.
pub(crate) async fn tenant(c: &mut Conn, id: i64) -> QueryResult<Option<Tenant>> {
    let Some(row) = tenants::table
        .find(id)
        .select((tenants::id, tenants::name, tenants::default_language))
        .first::<(i64, String, String)>(c)
        .await
        .optional()?
    else {
        return Ok(None);
    };
    let codes: Vec<String> = tenant_languages::table
        .filter(tenant_languages::tenant_id.eq(id))
        .select(tenant_languages::code)
        .load(c)
        .await?;
    rows::tenant(row, codes).map(Some)
}

/// `Ok` when the tenant exists, `TenantNotFound` otherwise.
pub(crate) async fn tenant_exists(c: &mut Conn, tenant: TenantId) -> Result<(), TxError<DirectoryError>> {
    let exists: bool = diesel::select(diesel::dsl::exists(tenants::table.find(tenant.0))).get_result(c).await?;
    if exists { Ok(()) } else { Err(TxError::Refused(DirectoryError::TenantNotFound(tenant))) }
}

/// Stores a new key of `tenant`; a hash already stored is `Duplicate`.
pub(crate) async fn insert_key(
    c: &mut Conn,
    tenant: TenantId,
    hash: &str,
    origin: Option<&str>,
    now: DateTime<Utc>,
) -> Result<KeyRow, TxError<DirectoryError>> {
    diesel::insert_into(api_keys::table)
        .values((
            api_keys::tenant_id.eq(tenant.0),
            api_keys::key_hash.eq(hash),
            api_keys::origin.eq(origin),
            api_keys::created_at.eq(now_naive(now)),
        ))
        .returning(KeyRow::as_select())
        .get_result(c)
        .await
        .map_err(unique_or(|| DirectoryError::Duplicate("this key".into())))
}
