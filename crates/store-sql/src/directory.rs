//! [`TenantDirectory`] over both backends.

use crate::Database;
use crate::errors::{TxError, now_naive, unique_or};
use crate::rows::{self, KeyRow};
use crate::schema::*;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use curricula_domain::*;
use curricula_ports::*;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// The `(id, $name)` of the tenant's rows of `$table`, by id.
macro_rules! id_and_name {
    ($c:ident, $table:ident, $name:ident, $tenant:expr) => {
        $table::table
            .filter($table::tenant_id.eq($tenant.0))
            .order($table::id)
            .select(($table::id, $table::$name))
            .load::<(i64, String)>($c)
            .await
    };
}

#[async_trait]
impl TenantDirectory for Database {
    async fn ping(&self) -> Result<(), StoreError> {
        Database::ping(self).await
    }

    async fn create_tenant(
        &self,
        name: &str,
        default_language: &LanguageCode,
        languages: &[LanguageCode],
    ) -> Result<Tenant, DirectoryError> {
        let name = name.to_owned();
        let default = default_language.as_str().to_owned();
        let mut codes: Vec<String> = languages.iter().map(|l| l.as_str().to_owned()).collect();
        codes.push(default.clone());
        codes.sort();
        codes.dedup();
        transaction!(self, |c, sql| {
            let id: i64 = diesel::insert_into(tenants::table)
                .values((
                    tenants::name.eq(&name),
                    tenants::default_language.eq(&default),
                    tenants::created_at.eq(Utc::now().naive_utc()),
                ))
                .returning(tenants::id)
                .get_result(c)
                .await?;
            let rows: Vec<_> = codes
                .into_iter()
                .map(|code| (tenant_languages::tenant_id.eq(id), tenant_languages::code.eq(code)))
                .collect();
            sql::insert_all!(c, tenant_languages::table, rows)?;
            let tenant = sql::directory::tenant(c, id).await?;
            tenant.ok_or(TxError::Db(diesel::result::Error::NotFound))
        })
    }

    async fn tenant(&self, id: TenantId) -> Result<Option<Tenant>, StoreError> {
        run!(self, |c, sql| sql::directory::tenant(c, id.0).await)
    }

    async fn tenants(&self) -> Result<Vec<Tenant>, StoreError> {
        run!(self, |c, sql| {
            let ids: Vec<i64> = tenants::table.select(tenants::id).order(tenants::id).load(c).await?;
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                out.extend(sql::directory::tenant(c, id).await?);
            }
            Ok(out)
        })
    }

    async fn enable_language(&self, tenant: TenantId, code: &LanguageCode) -> Result<(), DirectoryError> {
        let code = code.as_str().to_owned();
        transaction!(self, |c, sql| {
            sql::directory::tenant_exists(c, tenant).await?;
            diesel::insert_into(tenant_languages::table)
                .values((tenant_languages::tenant_id.eq(tenant.0), tenant_languages::code.eq(&code)))
                .on_conflict_do_nothing()
                .execute(c)
                .await?;
            Ok::<_, TxError<DirectoryError>>(())
        })
    }

    async fn create_api_key(
        &self,
        tenant: TenantId,
        hash: &KeyHash,
        origin: Option<Origin>,
        now: DateTime<Utc>,
    ) -> Result<ApiKeyRecord, DirectoryError> {
        let hash = hash.0.clone();
        let origin = origin.map(|o| o.as_str().to_owned());
        transaction!(self, |c, sql| {
            sql::directory::tenant_exists(c, tenant).await?;
            let row = sql::directory::insert_key(c, tenant, &hash, origin.as_deref(), now).await?;
            Ok::<_, TxError<DirectoryError>>(rows::key_record(row))
        })
    }

    async fn api_key(&self, hash: &KeyHash) -> Result<Option<ApiKeyRecord>, StoreError> {
        // Read on every authenticated request: `load!`, SQLite's quickest read.
        let key = api_keys::table.filter(api_keys::key_hash.eq(hash.0.clone())).limit(1);
        Ok(run!(self, |c, sql| sql::load!(c, key.select(KeyRow::as_select()), KeyRow))?.pop().map(rows::key_record))
    }

    async fn api_keys(&self, tenant: TenantId) -> Result<Vec<ApiKeyRecord>, StoreError> {
        run!(self, |c, _sql| {
            let rows = api_keys::table
                .filter(api_keys::tenant_id.eq(tenant.0))
                .order(api_keys::id)
                .select(KeyRow::as_select())
                .load(c)
                .await?;
            Ok(rows.into_iter().map(rows::key_record).collect())
        })
    }

    async fn api_key_by_id(&self, id: ApiKeyId) -> Result<Option<ApiKeyRecord>, StoreError> {
        // Read on every content request (the token's key): `load!`, SQLite's quickest read.
        let key = api_keys::table.find(id.0).limit(1);
        Ok(run!(self, |c, sql| sql::load!(c, key.select(KeyRow::as_select()), KeyRow))?.pop().map(rows::key_record))
    }

    async fn revoke_api_key(
        &self,
        tenant: TenantId,
        id: ApiKeyId,
        now: DateTime<Utc>,
    ) -> Result<ApiKeyRecord, DirectoryError> {
        transaction!(self, |c, _sql| {
            let key = api_keys::table.filter(api_keys::id.eq(id.0)).filter(api_keys::tenant_id.eq(tenant.0));
            diesel::update(key.filter(api_keys::revoked_at.is_null()))
                .set(api_keys::revoked_at.eq(now_naive(now)))
                .execute(c)
                .await?;
            let row: Option<KeyRow> = key.select(KeyRow::as_select()).first(c).await.optional()?;
            row.map(rows::key_record).ok_or(TxError::Refused(DirectoryError::KeyNotFound(id)))
        })
    }

    async fn rotate_api_key(
        &self,
        tenant: TenantId,
        id: ApiKeyId,
        hash: &KeyHash,
        now: DateTime<Utc>,
        old_expires_at: DateTime<Utc>,
    ) -> Result<(ApiKeyRecord, ApiKeyRecord), DirectoryError> {
        let hash = hash.0.clone();
        transaction!(self, |c, sql| {
            let key = api_keys::table.filter(api_keys::id.eq(id.0)).filter(api_keys::tenant_id.eq(tenant.0));
            // Locked: a concurrent revocation or rotation of the same key waits for this one.
            let row: KeyRow = sql::lock!(key.select(KeyRow::as_select()), for_update)
                .first(c)
                .await
                .optional()?
                .ok_or(TxError::Refused(DirectoryError::KeyNotFound(id)))?;
            let origin = row.origin.clone();
            let expires = rows::key_record(row)
                .expiry_after_rotation(now, old_expires_at)
                .ok_or(TxError::Refused(DirectoryError::KeyUnusable(id)))?;
            diesel::update(key).set(api_keys::expires_at.eq(now_naive(expires))).execute(c).await?;
            let new = sql::directory::insert_key(c, tenant, &hash, origin.as_deref(), now).await?;
            let old: KeyRow = key.select(KeyRow::as_select()).first(c).await?;
            Ok::<_, TxError<DirectoryError>>((rows::key_record(old), rows::key_record(new)))
        })
    }

    async fn create_user(&self, tenant: TenantId, username: &str) -> Result<User, DirectoryError> {
        let username = username.to_owned();
        let now = chrono::Utc::now().naive_utc();
        transaction!(self, |c, sql| {
            sql::directory::tenant_exists(c, tenant).await?;
            let id: i64 = diesel::insert_into(users::table)
                .values((
                    users::tenant_id.eq(tenant.0),
                    users::username.eq(&username),
                    users::created_at.eq(now),
                    users::updated_at.eq(now),
                ))
                .returning(users::id)
                .get_result(c)
                .await
                .map_err(unique_or(|| DirectoryError::Duplicate(format!("user {username}"))))?;
            Ok::<_, TxError<DirectoryError>>(User { id: UserId(id), tenant, username })
        })
    }

    async fn user(&self, tenant: TenantId, username: &str) -> Result<Option<User>, StoreError> {
        let name = username.to_owned();
        let mine = users::tenant_id.eq(tenant.0).and(users::username.eq(name));
        let id = run!(self, |c, _sql| users::table.filter(mine).select(users::id).first(c).await.optional())?;
        Ok(id.map(|id| User { id: UserId(id), tenant, username: username.to_owned() }))
    }

    async fn users(&self, tenant: TenantId) -> Result<Vec<User>, StoreError> {
        let rows = run!(self, |c, _sql| id_and_name!(c, users, username, tenant))?;
        Ok(rows.into_iter().map(|(id, username)| User { id: UserId(id), tenant, username }).collect())
    }

    async fn create_organisation(
        &self,
        tenant: TenantId,
        name: &str,
        id: Option<OrganisationId>,
    ) -> Result<Organisation, DirectoryError> {
        let name = name.to_owned();
        transaction!(self, |c, sql| {
            // Serialises organisation numbering within the tenant.
            let locked: Option<i64> = sql::lock!(tenants::table.find(tenant.0).select(tenants::id), for_no_key_update)
                .first(c)
                .await
                .optional()?;
            if locked.is_none() {
                return Err(TxError::Refused(DirectoryError::TenantNotFound(tenant)));
            }
            let id = match id {
                Some(id) => id.0,
                None => {
                    let max: Option<i64> = organisations::table
                        .filter(organisations::tenant_id.eq(tenant.0))
                        .select(diesel::dsl::max(organisations::id))
                        .first(c)
                        .await?;
                    max.unwrap_or(0) + 1
                }
            };
            diesel::insert_into(organisations::table)
                .values((
                    organisations::tenant_id.eq(tenant.0),
                    organisations::id.eq(id),
                    organisations::name.eq(&name),
                ))
                .execute(c)
                .await
                .map_err(unique_or(|| DirectoryError::Duplicate(format!("organisation {id}"))))?;
            Ok::<_, TxError<DirectoryError>>(Organisation { id: OrganisationId(id), tenant, name })
        })
    }

    async fn organisations(&self, tenant: TenantId) -> Result<Vec<Organisation>, StoreError> {
        let rows = run!(self, |c, _sql| id_and_name!(c, organisations, name, tenant))?;
        Ok(rows.into_iter().map(|(id, name)| Organisation { id: OrganisationId(id), tenant, name }).collect())
    }
}
