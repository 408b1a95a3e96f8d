//! The repositories on PostgreSQL, for production: `AsyncPgConnection`s in a deadpool pool,
//! every write one transaction, a path's writers serialised by a row lock on its course
//! (`SELECT … FOR UPDATE`), so several instances on one database never interleave on a path.

use crate::cache::{LoadedPath, PathCache};
use crate::plan::WritePlan;
use crate::rows::{self, *};
use crate::schema::*;
use crate::{
    ConnectError, DEFAULT_PATH_CACHE_RECORDS, RunError, TxError, change_error, corrupt, flat, into_records, is_course,
    now_naive, store_only, unique_or,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use curricula_domain::curriculum::{Curriculum, CurriculumRecord};
use curricula_domain::*;
use curricula_ports::*;
use diesel::prelude::*;
use diesel::result::Error as DbError;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::{AsyncConnection, AsyncMigrationHarness, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use std::sync::Arc;

pub(crate) const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// The advisory lock `migrate` holds.
const MIGRATION_LOCK: i64 = 0x4375_7272_6963_756c; // "Curricul"

type Conn = AsyncPgConnection;

/// The repositories on Postgres. Cheap to clone (a pool handle).
#[derive(Clone)]
pub struct PgStore {
    pool: Pool<Conn>,
    paths: Arc<PathCache>,
}

impl PgStore {
    /// A connection of its own, out of the pool (for tests that set up a database by hand).
    #[cfg(test)]
    pub(crate) async fn raw_connection(&self) -> Conn {
        let pooled = self.pool.get().await.unwrap();
        diesel_async::pooled_connection::deadpool::Object::take(pooled)
    }

    /// Connects to the Postgres database named by `url` (`postgres://user:password@host/db`)
    /// with a pool of `pool_size` connections, and checks that a connection can be made.
    ///
    /// # Errors
    /// `Open` when the server cannot be reached or refuses; the message never holds the URL.
    pub async fn connect(url: &str, pool_size: usize) -> Result<Self, ConnectError> {
        // diesel-async sets `TimeZone` to UTC on every connection it makes: the naive UTC
        // values written and read through `schema.rs` are exact instants.
        let manager = AsyncDieselConnectionManager::<Conn>::new(url);
        let pool = Pool::builder(manager)
            .max_size(pool_size.max(1))
            .runtime(deadpool::Runtime::Tokio1)
            .wait_timeout(Some(crate::CONNECTION_TIMEOUT))
            .create_timeout(Some(crate::CONNECTION_TIMEOUT))
            .build()
            .map_err(|e| ConnectError::Open(e.to_string()))?;
        let store = Self {
            pool,
            paths: Arc::new(PathCache::new(DEFAULT_PATH_CACHE_RECORDS)),
        };
        store
            .ping()
            .await
            .map_err(|e| ConnectError::Open(without_url(&e, url)))?;
        Ok(store)
    }

    /// Applies pending migrations holding an advisory lock, so instances starting at once
    /// migrate one at a time (the others then find nothing pending).
    ///
    /// # Errors
    /// When the database is unavailable or a migration fails.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let pooled = self
            .pool
            .get()
            .await
            .map_err(|e| StoreError::Unavailable(Box::new(e)))?;
        // Out of the pool: the session (and its lock) ends when this connection is dropped.
        let mut conn = diesel_async::pooled_connection::deadpool::Object::take(pooled);
        conn.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
            .await
            .map_err(|e| StoreError::Unavailable(Box::new(e)))?;
        tokio::task::spawn_blocking(move || {
            AsyncMigrationHarness::new(conn)
                .run_pending_migrations(MIGRATIONS)
                .map(drop)
                .map_err(StoreError::Backend)
        })
        .await
        .map_err(|e| StoreError::Backend(Box::new(e)))?
    }

    /// Whether the migrations table exists in the current schema.
    pub(crate) async fn has_schema(&self) -> Result<bool, StoreError> {
        let mut conn = self
            .pool
            .get()
            .await
            .map_err(|e| StoreError::Unavailable(Box::new(e)))?;
        let found: crate::Count = diesel::sql_query(
            "SELECT COUNT(*) AS n FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = '__diesel_schema_migrations'",
        )
        .get_result(&mut conn)
        .await
        .map_err(|e| StoreError::Unavailable(Box::new(e)))?;
        Ok(found.n > 0)
    }

    /// The pool's figures.
    pub(crate) fn pool_status(&self) -> deadpool::Status {
        self.pool.status()
    }

    /// Whether a connection can be used right now.
    ///
    /// # Errors
    /// `Unavailable` when it cannot.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self
            .pool
            .get()
            .await
            .map_err(|e| StoreError::Unavailable(Box::new(e)))?;
        conn.batch_execute("SELECT 1")
            .await
            .map_err(|e| StoreError::Unavailable(Box::new(e)))
    }

    /// A pooled connection, or `Unavailable`.
    async fn conn<E>(&self) -> Result<diesel_async::pooled_connection::deadpool::Object<Conn>, RunError<E>> {
        self.pool
            .get()
            .await
            .map_err(|e| RunError::Store(StoreError::Unavailable(Box::new(e))))
    }
}

/// An error's text with the URL (which may hold a password) cut out, should a driver quote it.
fn without_url(e: &StoreError, url: &str) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text.replace(url, "[database url]")
}

/// Runs `$body` (an async block over `c: &mut AsyncPgConnection` returning
/// `Result<_, TxError<_>>`) in a transaction on a pooled connection.
macro_rules! transaction {
    ($store:expr, |$c:ident| $body:expr) => {
        async {
            let mut pooled = $store.conn().await?;
            let conn: &mut Conn = &mut pooled;
            conn.transaction(async move |$c: &mut Conn| $body)
                .await
                .map_err(RunError::from)
        }
        .await
    };
}

/// Runs `$body` (as for [`transaction!`]) on a pooled connection without a transaction.
macro_rules! read {
    ($store:expr, |$c:ident| $body:expr) => {{
        async {
            let mut conn = $store.conn().await?;
            let $c: &mut Conn = &mut conn;
            let result: Result<_, TxError<std::convert::Infallible>> = async { $body }.await;
            result.map_err(RunError::from)
        }
        .await
        .map_err(store_only)
    }};
}

async fn load_tenant(c: &mut Conn, id: i64) -> QueryResult<Option<Tenant>> {
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

async fn tenant_exists(c: &mut Conn, tenant: TenantId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(tenants::table.find(tenant.0)))
        .get_result(c)
        .await
}

/// Maps a unique violation to `refusal`, anything else to a database error.
/// Stores a new key of `tenant`; a hash already stored is `Duplicate`.
async fn insert_key(
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
        .returning(rows::KEY_COLUMNS)
        .get_result(c)
        .await
        .map_err(unique_or(|| DirectoryError::Duplicate("this key".into())))
}

#[async_trait]
impl TenantDirectory for PgStore {
    async fn ping(&self) -> Result<(), StoreError> {
        PgStore::ping(self).await
    }

    async fn create_tenant(
        &self,
        name: &str,
        default_language: &LanguageCode,
        languages: &[LanguageCode],
    ) -> Result<Tenant, DirectoryError> {
        let default = default_language.as_str().to_owned();
        let mut codes: Vec<String> = languages.iter().map(|l| l.as_str().to_owned()).collect();
        codes.push(default.clone());
        codes.sort();
        codes.dedup();
        transaction!(self, |c| {
            let id: i64 = diesel::insert_into(tenants::table)
                .values((
                    tenants::name.eq(name),
                    tenants::default_language.eq(&default),
                    tenants::created_at.eq(Utc::now().naive_utc()),
                ))
                .returning(tenants::id)
                .get_result(c)
                .await?;
            let rows: Vec<_> = codes
                .iter()
                .map(|code| (tenant_languages::tenant_id.eq(id), tenant_languages::code.eq(code)))
                .collect();
            diesel::insert_into(tenant_languages::table)
                .values(rows)
                .execute(c)
                .await?;
            let tenant = load_tenant(c, id).await?.ok_or(DbError::NotFound)?;
            Ok::<_, TxError<DirectoryError>>(tenant)
        })
        .map_err(flat)
    }

    async fn tenant(&self, id: TenantId) -> Result<Option<Tenant>, StoreError> {
        read!(self, |c| Ok(load_tenant(c, id.0).await?))
    }

    async fn tenants(&self) -> Result<Vec<Tenant>, StoreError> {
        read!(self, |c| {
            let ids: Vec<i64> = tenants::table.select(tenants::id).order(tenants::id).load(c).await?;
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                out.extend(load_tenant(c, id).await?);
            }
            Ok(out)
        })
    }

    async fn enable_language(&self, tenant: TenantId, code: &LanguageCode) -> Result<(), DirectoryError> {
        transaction!(self, |c| {
            if !tenant_exists(c, tenant).await? {
                return Err(TxError::Refused(DirectoryError::TenantNotFound(tenant)));
            }
            diesel::insert_into(tenant_languages::table)
                .values((
                    tenant_languages::tenant_id.eq(tenant.0),
                    tenant_languages::code.eq(code.as_str()),
                ))
                .on_conflict_do_nothing()
                .execute(c)
                .await?;
            Ok(())
        })
        .map_err(flat)
    }

    async fn create_api_key(
        &self,
        tenant: TenantId,
        hash: &KeyHash,
        origin: Option<Origin>,
        now: DateTime<Utc>,
    ) -> Result<ApiKeyRecord, DirectoryError> {
        let origin = origin.map(|o| o.as_str().to_owned());
        transaction!(self, |c| {
            if !tenant_exists(c, tenant).await? {
                return Err(TxError::Refused(DirectoryError::TenantNotFound(tenant)));
            }
            let row = insert_key(c, tenant, &hash.0, origin.as_deref(), now).await?;
            Ok(rows::key_record(row))
        })
        .map_err(flat)
    }

    async fn api_key(&self, hash: &KeyHash) -> Result<Option<ApiKeyRecord>, StoreError> {
        read!(self, |c| {
            Ok(api_keys::table
                .filter(api_keys::key_hash.eq(&hash.0))
                .select(rows::KEY_COLUMNS)
                .first(c)
                .await
                .optional()?
                .map(rows::key_record))
        })
    }

    async fn api_keys(&self, tenant: TenantId) -> Result<Vec<ApiKeyRecord>, StoreError> {
        read!(self, |c| {
            let rows = api_keys::table
                .filter(api_keys::tenant_id.eq(tenant.0))
                .order(api_keys::id)
                .select(rows::KEY_COLUMNS)
                .load(c)
                .await?;
            Ok(rows.into_iter().map(rows::key_record).collect())
        })
    }

    async fn api_key_by_id(&self, id: ApiKeyId) -> Result<Option<ApiKeyRecord>, StoreError> {
        read!(self, |c| {
            Ok(api_keys::table
                .find(id.0)
                .select(rows::KEY_COLUMNS)
                .first(c)
                .await
                .optional()?
                .map(rows::key_record))
        })
    }

    async fn revoke_api_key(
        &self,
        tenant: TenantId,
        id: ApiKeyId,
        now: DateTime<Utc>,
    ) -> Result<ApiKeyRecord, DirectoryError> {
        transaction!(self, |c| {
            let key = api_keys::table
                .filter(api_keys::id.eq(id.0))
                .filter(api_keys::tenant_id.eq(tenant.0));
            diesel::update(key.filter(api_keys::revoked_at.is_null()))
                .set(api_keys::revoked_at.eq(now_naive(now)))
                .execute(c)
                .await?;
            let row: Option<KeyRow> = key.select(rows::KEY_COLUMNS).first(c).await.optional()?;
            row.map(rows::key_record)
                .ok_or(TxError::Refused(DirectoryError::KeyNotFound(id)))
        })
        .map_err(flat)
    }

    async fn rotate_api_key(
        &self,
        tenant: TenantId,
        id: ApiKeyId,
        hash: &KeyHash,
        now: DateTime<Utc>,
        old_expires_at: DateTime<Utc>,
    ) -> Result<(ApiKeyRecord, ApiKeyRecord), DirectoryError> {
        transaction!(self, |c| {
            let key = api_keys::table
                .filter(api_keys::id.eq(id.0))
                .filter(api_keys::tenant_id.eq(tenant.0));
            // Locked: a concurrent revocation or rotation of the same key waits for this one.
            let row: KeyRow = key
                .select(rows::KEY_COLUMNS)
                .for_update()
                .first(c)
                .await
                .optional()?
                .ok_or(TxError::Refused(DirectoryError::KeyNotFound(id)))?;
            let origin = row.2.clone();
            let expires = rows::key_record(row)
                .expiry_after_rotation(now, old_expires_at)
                .ok_or(TxError::Refused(DirectoryError::KeyUnusable(id)))?;
            diesel::update(key)
                .set(api_keys::expires_at.eq(now_naive(expires)))
                .execute(c)
                .await?;
            let new = insert_key(c, tenant, &hash.0, origin.as_deref(), now).await?;
            let old: KeyRow = key.select(rows::KEY_COLUMNS).first(c).await?;
            Ok::<_, TxError<DirectoryError>>((rows::key_record(old), rows::key_record(new)))
        })
        .map_err(flat)
    }

    async fn create_user(&self, tenant: TenantId, username: &str) -> Result<User, DirectoryError> {
        transaction!(self, |c| {
            if !tenant_exists(c, tenant).await? {
                return Err(TxError::Refused(DirectoryError::TenantNotFound(tenant)));
            }
            let id: i64 = diesel::insert_into(users::table)
                .values((users::tenant_id.eq(tenant.0), users::username.eq(username)))
                .returning(users::id)
                .get_result(c)
                .await
                .map_err(unique_or(|| DirectoryError::Duplicate(format!("user {username}"))))?;
            Ok(User {
                id: UserId(id),
                tenant,
                username: username.to_owned(),
            })
        })
        .map_err(flat)
    }

    async fn user(&self, tenant: TenantId, username: &str) -> Result<Option<User>, StoreError> {
        read!(self, |c| {
            let id: Option<i64> = users::table
                .filter(users::tenant_id.eq(tenant.0).and(users::username.eq(username)))
                .select(users::id)
                .first(c)
                .await
                .optional()?;
            Ok(id.map(|id| User {
                id: UserId(id),
                tenant,
                username: username.to_owned(),
            }))
        })
    }

    async fn users(&self, tenant: TenantId) -> Result<Vec<User>, StoreError> {
        read!(self, |c| {
            let rows: Vec<(i64, String)> = users::table
                .filter(users::tenant_id.eq(tenant.0))
                .order(users::id)
                .select((users::id, users::username))
                .load(c)
                .await?;
            Ok(rows
                .into_iter()
                .map(|(id, username)| User {
                    id: UserId(id),
                    tenant,
                    username,
                })
                .collect())
        })
    }

    async fn create_organisation(
        &self,
        tenant: TenantId,
        name: &str,
        id: Option<OrganisationId>,
    ) -> Result<Organisation, DirectoryError> {
        transaction!(self, |c| {
            // Serialises organisation numbering within the tenant.
            let locked: Option<i64> = tenants::table
                .find(tenant.0)
                .select(tenants::id)
                .for_no_key_update()
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
                    organisations::name.eq(name),
                ))
                .execute(c)
                .await
                .map_err(unique_or(|| DirectoryError::Duplicate(format!("organisation {id}"))))?;
            Ok(Organisation {
                id: OrganisationId(id),
                tenant,
                name: name.to_owned(),
            })
        })
        .map_err(flat)
    }

    async fn organisations(&self, tenant: TenantId) -> Result<Vec<Organisation>, StoreError> {
        read!(self, |c| {
            let rows: Vec<(i64, String)> = organisations::table
                .filter(organisations::tenant_id.eq(tenant.0))
                .order(organisations::id)
                .select((organisations::id, organisations::name))
                .load(c)
                .await?;
            Ok(rows
                .into_iter()
                .map(|(id, name)| Organisation {
                    id: OrganisationId(id),
                    tenant,
                    name,
                })
                .collect())
        })
    }
}

/// Path `id`, loaded and checked (from the cache when its version is current), and version, or
/// `None` when `id` is not a course of the tenant. With `lock`, the course row is locked until
/// the transaction ends (`FOR NO KEY UPDATE`: the path's writers run one at a time, on every
/// instance, while foreign-key checks against the course — placing it in another path, adding
/// a language — do not wait and cannot deadlock with it).
async fn load_curriculum(
    c: &mut Conn,
    paths: &PathCache,
    tenant: TenantId,
    id: ActivityId,
    lock: bool,
) -> QueryResult<Option<(Arc<LoadedPath>, i64)>> {
    let query = activities::table
        .filter(activities::id.eq(id.0).and(activities::tenant_id.eq(tenant.0)))
        .select((activities::kind, activities::curriculum_version));
    let path: Option<(String, i64)> = if lock {
        query.for_no_key_update().first(c).await.optional()?
    } else {
        query.first(c).await.optional()?
    };
    let Some((_, version)) = path.filter(|(kind, _)| is_course(kind)) else {
        return Ok(None);
    };
    if let Some(loaded) = paths.get(id.0, version) {
        return Ok(Some((loaded, version)));
    }
    let rows = path_rows!(id.0).load(c).await?;
    let records = into_records(rows);
    let curriculum = Curriculum::from_records(id, tenant, records.clone()).map_err(corrupt)?;
    let loaded = Arc::new(LoadedPath { curriculum, records });
    paths.put(id.0, version, Arc::clone(&loaded));
    Ok(Some((loaded, version)))
}

/// Writes path `curriculum`'s change from `before` to `after` and bumps its version; returns
/// the new version.
async fn persist(
    c: &mut Conn,
    curriculum: ActivityId,
    before: &[CurriculumRecord],
    after: &[CurriculumRecord],
) -> QueryResult<i64> {
    let plan = WritePlan::new(curriculum, before, after);
    if !plan.deleted.is_empty() {
        diesel::delete(curriculum_bounds::table.filter(curriculum_bounds::id.eq_any(&plan.deleted)))
            .execute(c)
            .await?;
        diesel::delete(curriculum_activities::table.filter(curriculum_activities::id.eq_any(&plan.deleted)))
            .execute(c)
            .await?;
    }
    for statement in &plan.renumber {
        diesel::sql_query(statement).execute(c).await?;
    }
    if !plan.new_sections.is_empty() {
        diesel::insert_into(curriculum_activities::table)
            .values(&plan.new_sections)
            .execute(c)
            .await?;
    }
    for (row, bounds) in &plan.changed {
        let updated = diesel::update(curriculum_activities::table.find(row.id))
            .set(row)
            .execute(c)
            .await?
            + diesel::update(curriculum_bounds::table.find(bounds.id))
                .set((
                    curriculum_bounds::lft.eq(bounds.lft),
                    curriculum_bounds::rgt.eq(bounds.rgt),
                ))
                .execute(c)
                .await?;
        if updated != 2 {
            // The plan and the tables disagree: write nothing rather than something wrong.
            return Err(DbError::NotFound);
        }
    }
    if !plan.new_entries.is_empty() {
        diesel::insert_into(curriculum_activities::table)
            .values(&plan.new_entries)
            .execute(c)
            .await?;
    }
    if !plan.new_bounds.is_empty() {
        diesel::insert_into(curriculum_bounds::table)
            .values(&plan.new_bounds)
            .execute(c)
            .await?;
    }
    diesel::update(activities::table.find(curriculum.0))
        .set(activities::curriculum_version.eq(activities::curriculum_version + 1))
        .returning(activities::curriculum_version)
        .get_result(c)
        .await
}

/// A fresh record id from the table's identity sequence (never reused, whichever instance asks).
async fn next_record_id(c: &mut Conn) -> QueryResult<RecordId> {
    #[derive(QueryableByName)]
    struct Next {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
    }
    let next: Next = diesel::sql_query("SELECT nextval(pg_get_serial_sequence('curriculum_activities', 'id')) AS id")
        .get_result(c)
        .await?;
    Ok(RecordId(next.id))
}

async fn load_activity(c: &mut Conn, tenant: TenantId, id: ActivityId) -> QueryResult<Option<Activity>> {
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

#[async_trait]
impl ActivityRepository for PgStore {
    async fn create_activity(&self, new: NewActivity) -> Result<ActivityId, CreateActivityError> {
        let paths = Arc::clone(&self.paths);
        transaction!(self, |c| {
            let parent = match new.placement {
                Placement::TopLevel => None,
                Placement::Under(parent) => {
                    // Locked: the parent's path is about to change.
                    let kind: Option<String> = activities::table
                        .filter(activities::id.eq(parent.0).and(activities::tenant_id.eq(new.tenant.0)))
                        .select(activities::kind)
                        .for_no_key_update()
                        .first(c)
                        .await
                        .optional()?;
                    match kind.as_deref() {
                        None => return Err(TxError::Refused(CreateActivityError::ParentNotFound(parent))),
                        Some(kind) if is_course(kind) => Some(parent),
                        Some(_) => return Err(TxError::Refused(CreateActivityError::ParentNotACourse(parent))),
                    }
                }
            };
            if let Organisations::Only(_) = &new.organisations {
                let known: Vec<i64> = organisations::table
                    .filter(organisations::tenant_id.eq(new.tenant.0))
                    .select(organisations::id)
                    .load(c)
                    .await?;
                let missing = rows::known_organisations_missing(&new.organisations, &known);
                if !missing.is_empty() {
                    return Err(TxError::Refused(CreateActivityError::UnknownOrganisations(missing)));
                }
            }
            let now = now_naive(new.now);
            let id: i64 = diesel::insert_into(activities::table)
                .values(NewActivityRow {
                    tenant_id: new.tenant.0,
                    kind: new.kind.as_str(),
                    name: new.name.as_str(),
                    owner_id: new.owner.0,
                    all_organisations: new.organisations == Organisations::All,
                    parent_id: parent.map(|p| p.0),
                    in_catalog: true,
                    created_at: now,
                    updated_at: now,
                })
                .returning(activities::id)
                .get_result(c)
                .await?;
            let activity = ActivityId(id);
            if let Organisations::Only(ids) = &new.organisations {
                let rows: Vec<_> = ids
                    .iter()
                    .map(|org| {
                        (
                            activity_organisations::activity_id.eq(id),
                            activity_organisations::tenant_id.eq(new.tenant.0),
                            activity_organisations::organisation_id.eq(org.0),
                        )
                    })
                    .collect();
                diesel::insert_into(activity_organisations::table)
                    .values(rows)
                    .execute(c)
                    .await?;
            }
            let version: i64 = diesel::insert_into(language_versions::table)
                .values(VersionRow::new(
                    activity,
                    &new.language,
                    &new.name,
                    new.scorm.as_ref(),
                    now,
                ))
                .returning(language_versions::id)
                .get_result(c)
                .await?;
            revisions::first(c, version, new.scorm.as_ref().map(|s| (s, new.api_key)), new.now).await?;
            if new.kind == ActivityKind::Course {
                let section = next_record_id(c).await?;
                let curriculum = Curriculum::for_new_course(activity, new.tenant, section, new.now);
                persist(c, activity, &[], &curriculum.records()).await?;
            }
            if let Some(parent) = parent {
                let (loaded, _) = load_curriculum(c, &paths, new.tenant, parent, false)
                    .await?
                    .ok_or(diesel::result::Error::NotFound)?;
                let mut curriculum = loaded.curriculum.clone();
                let entry = next_record_id(c).await?;
                curriculum
                    .append_to_last_section(entry, activity, new.kind, new.name.as_str().to_owned(), new.now)
                    .map_err(corrupt)?;
                persist(c, parent, &loaded.records, &curriculum.records()).await?;
            }
            idempotency::set_external_id(c, new.tenant, activity, new.external_id.as_deref()).await?;
            Ok(activity)
        })
        .map_err(flat)
    }

    async fn add_language_version(&self, new: NewLanguageVersion) -> Result<LanguageVersionId, AddLanguageError> {
        transaction!(self, |c| {
            let exists: bool = diesel::select(diesel::dsl::exists(
                activities::table.filter(
                    activities::id
                        .eq(new.activity.0)
                        .and(activities::tenant_id.eq(new.tenant.0)),
                ),
            ))
            .get_result(c)
            .await?;
            if !exists {
                return Err(TxError::Refused(AddLanguageError::ActivityNotFound(new.activity)));
            }
            let now = now_naive(new.now);
            let id: i64 = diesel::insert_into(language_versions::table)
                .values(VersionRow::new(
                    new.activity,
                    &new.language,
                    &new.title,
                    new.scorm.as_ref(),
                    now,
                ))
                .returning(language_versions::id)
                .get_result(c)
                .await
                .map_err(unique_or(|| AddLanguageError::LanguageExists {
                    activity: new.activity,
                    language: new.language.clone(),
                }))?;
            revisions::first(c, id, new.scorm.as_ref().map(|s| (s, new.api_key)), new.now).await?;
            diesel::update(activities::table.find(new.activity.0))
                .set(activities::updated_at.eq(now))
                .execute(c)
                .await?;
            Ok(LanguageVersionId(id))
        })
        .map_err(flat)
    }

    async fn activity(&self, tenant: TenantId, id: ActivityId) -> Result<Option<Activity>, StoreError> {
        read!(self, |c| Ok(load_activity(c, tenant, id).await?))
    }

    async fn activities(&self, tenant: TenantId) -> Result<Vec<Activity>, StoreError> {
        read!(self, |c| {
            let rows: Vec<ActivityRow> = activities::table
                .filter(activities::tenant_id.eq(tenant.0))
                .order(activities::id)
                .select(ActivityRow::as_select())
                .load(c)
                .await?;
            let versions: Vec<VersionRow> = language_versions::table
                .inner_join(activities::table)
                .filter(activities::tenant_id.eq(tenant.0))
                .order((language_versions::activity_id, language_versions::id))
                .select(VersionRow::as_select())
                .load(c)
                .await?;
            let links: Vec<(i64, i64)> = activity_organisations::table
                .filter(activity_organisations::tenant_id.eq(tenant.0))
                .order((
                    activity_organisations::activity_id,
                    activity_organisations::organisation_id,
                ))
                .select((
                    activity_organisations::activity_id,
                    activity_organisations::organisation_id,
                ))
                .load(c)
                .await?;
            Ok(rows::assemble(rows, versions, links)?)
        })
    }

    async fn curriculum(&self, tenant: TenantId, id: ActivityId) -> Result<Option<Vec<CurriculumRecord>>, StoreError> {
        read!(self, |c| {
            Ok(load_curriculum(c, &self.paths, tenant, id, false)
                .await?
                .map(|(loaded, _)| loaded.records.clone()))
        })
    }

    async fn activity_by_external_id(
        &self,
        tenant: TenantId,
        external_id: &str,
    ) -> Result<Option<ActivityId>, StoreError> {
        idempotency::activity_by_external_id(self, tenant, external_id).await
    }

    async fn add_revision(&self, new: NewRevision) -> Result<RevisionOutcome, RevisionError> {
        transaction!(self, |c| revisions::add(c, &new).await).map_err(flat)
    }

    async fn rollback(
        &self,
        tenant: TenantId,
        activity: ActivityId,
        language: &LanguageCode,
        revision: u32,
        now: DateTime<Utc>,
    ) -> Result<RevisionOutcome, RevisionError> {
        let language = language.clone();
        transaction!(self, |c| revisions::rollback(
            c, tenant, activity, &language, revision, now
        )
        .await)
        .map_err(flat)
    }

    async fn revisions(&self, tenant: TenantId, activity: ActivityId) -> Result<Vec<PackageRevision>, StoreError> {
        read!(self, |c| Ok(revisions::list(c, tenant, activity).await?))
    }

    async fn storage_prefixes(&self) -> Result<Vec<String>, StoreError> {
        read!(self, |c| {
            let mut prefixes: Vec<String> = language_versions::table
                .select(language_versions::storage_prefix)
                .filter(language_versions::storage_prefix.is_not_null())
                .load::<Option<String>>(c)
                .await?
                .into_iter()
                .flatten()
                .collect();
            prefixes.extend(
                package_revisions::table
                    .select(package_revisions::storage_prefix)
                    .load::<String>(c)
                    .await?,
            );
            prefixes.sort_unstable();
            prefixes.dedup();
            Ok(prefixes)
        })
    }
}

#[async_trait]
impl CurriculumRepository for PgStore {
    async fn record(&self, tenant: TenantId, id: RecordId) -> Result<Option<CurriculumRecord>, StoreError> {
        read!(self, |c| {
            let row: Option<LoadedRow> = curriculum_activities::table
                .inner_join(curriculum_bounds::table)
                .left_join(activities::table.on(curriculum_activities::course_id.eq(activities::id.nullable())))
                .filter(
                    curriculum_activities::id
                        .eq(id.0)
                        .and(curriculum_activities::account_id.eq(tenant.0)),
                )
                .select((
                    RecordRow::as_select(),
                    BoundsRow::as_select(),
                    activities::kind.nullable(),
                ))
                .first(c)
                .await
                .optional()?;
            Ok(into_records(row.into_iter().collect()).pop())
        })
    }

    async fn records(
        &self,
        tenant: TenantId,
        curriculum: Option<ActivityId>,
    ) -> Result<Vec<CurriculumRecord>, StoreError> {
        read!(self, |c| {
            let mut query = curriculum_activities::table
                .inner_join(curriculum_bounds::table)
                .left_join(activities::table.on(curriculum_activities::course_id.eq(activities::id.nullable())))
                .filter(curriculum_activities::account_id.eq(tenant.0))
                .order((curriculum_activities::curriculum_id, curriculum_bounds::lft))
                .select((
                    RecordRow::as_select(),
                    BoundsRow::as_select(),
                    activities::kind.nullable(),
                ))
                .into_boxed();
            if let Some(id) = curriculum {
                query = query.filter(curriculum_activities::curriculum_id.eq(id.0));
            }
            Ok(into_records(query.load(c).await?))
        })
    }

    async fn change(
        &self,
        tenant: TenantId,
        curriculum: ActivityId,
        change: CurriculumChange,
    ) -> Result<Option<CurriculumRecord>, ChangeError> {
        let paths = Arc::clone(&self.paths);
        let (path, after, version, touched) = transaction!(self, |c| {
            let Some((loaded, _)) = load_curriculum(c, &paths, tenant, curriculum, true).await? else {
                return Err(TxError::Refused(ChangeError::PathNotFound(curriculum)));
            };
            let LoadedPath {
                curriculum: mut path,
                records: before,
            } = paths.take_for_change(curriculum.0, loaded);
            let new_id = next_record_id(c).await?;
            let touched = change(&mut path, new_id).map_err(|e| TxError::Refused(ChangeError::Refused(e)))?;
            let after = path.records();
            let version = persist(c, curriculum, &before, &after).await?;
            Ok((path, after, version, touched))
        })
        .map_err(change_error)?;
        let touched = touched.and_then(|id| after.iter().find(|r| r.id == id).cloned());
        let loaded = LoadedPath {
            curriculum: path,
            records: after,
        };
        self.paths.put(curriculum.0, version, Arc::new(loaded));
        Ok(touched)
    }
}

impl PgStore {
    /// The path SELECT alone (see `Database::raw_path_select`).
    #[cfg(feature = "testing")]
    pub(crate) async fn raw_path_select(&self, curriculum: i64) -> Result<usize, StoreError> {
        read!(self, |c| {
            let rows: Vec<LoadedRow> = path_rows!(curriculum).load(c).await?;
            Ok(rows.len())
        })
    }
}

mod audit;
mod idempotency;
mod revisions;
