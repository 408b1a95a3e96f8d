//! The repositories on SQLite, the embedded default: a deadpool pool of synchronous diesel
//! connections run on blocking threads, every write an `IMMEDIATE` transaction (writers queue
//! on the database lock instead of failing).

use crate::cache::{LoadedPath, PathCache};
use crate::plan::WritePlan;
use crate::rows::{self, *};
use crate::schema::*;
use crate::{
    ConnectError, DEFAULT_PATH_CACHE_RECORDS, RunError, TxError, change_error, corrupt, flat, into_records, is_course,
    now_naive, store_error, store_only, unique_or,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use curricula_domain::curriculum::{Curriculum, CurriculumRecord};
use curricula_domain::*;
use curricula_ports::*;
use diesel::prelude::*;
use diesel::result::Error as DbError;
use diesel::sqlite::SqliteConnection;
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncConnection, SimpleAsyncConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use std::sync::Arc;

pub(crate) const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

/// Set on every connection: integrity, concurrency (WAL, wait instead of failing when busy).
const PRAGMAS: &str =
    "PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;";

type Conn = SyncConnectionWrapper<SqliteConnection>;

/// The repositories on SQLite. Cheap to clone (a pool handle).
#[derive(Clone)]
pub struct SqliteStore {
    pool: Pool<Conn>,
    paths: Arc<PathCache>,
}

impl SqliteStore {
    /// Opens (creating when missing) the SQLite database named by `url`
    /// (`sqlite://path/to/file.db`) with a pool of `pool_size` connections, and checks that a
    /// connection can be made.
    ///
    /// # Errors
    /// `Unsupported` for another scheme, `Open` when the file cannot be opened or created.
    pub async fn connect(url: &str, pool_size: usize) -> Result<Self, ConnectError> {
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .ok_or(ConnectError::Unsupported)?
            .to_owned();
        if let Some(parent) = std::path::Path::new(&path)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent)
                .map_err(|e| ConnectError::Open(format!("creating {}: {e}", parent.display())))?;
        }
        let mut config = ManagerConfig::default();
        config.custom_setup = Box::new(|url| {
            let url = url.to_owned();
            Box::pin(async move {
                let mut conn = Conn::establish(&url).await?;
                conn.batch_execute(PRAGMAS)
                    .await
                    .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(conn)
            })
        });
        // A file connection is not lost like a network one: no test query on every checkout.
        config.recycling_method = RecyclingMethod::Fast;
        let manager = AsyncDieselConnectionManager::<Conn>::new_with_config(path, config);
        let pool = Pool::builder(manager)
            .max_size(pool_size.max(1))
            .runtime(deadpool::Runtime::Tokio1)
            .wait_timeout(Some(crate::CONNECTION_TIMEOUT))
            .build()
            .map_err(|e| ConnectError::Open(e.to_string()))?;
        let store = Self {
            pool,
            paths: Arc::new(PathCache::new(DEFAULT_PATH_CACHE_RECORDS)),
        };
        store
            .run(|c| Ok::<_, TxError<()>>(diesel::sql_query("SELECT 1").execute(c)?))
            .await
            .map_err(|e| ConnectError::Open(e.to_string()))?;
        Ok(store)
    }

    /// Applies pending migrations.
    ///
    /// # Errors
    /// When a migration fails.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        self.run(|c| {
            c.run_pending_migrations(MIGRATIONS)
                .map(drop)
                .map_err(|e| TxError::Refused(StoreError::Backend(e)))
        })
        .await
        .map_err(|e| match e {
            RunError::Store(s) | RunError::Refused(s) => s,
        })
    }

    /// Whether the migrations table exists.
    pub(crate) async fn has_schema(&self) -> Result<bool, StoreError> {
        self.run(|c| {
            let found: crate::Count = diesel::sql_query(
                "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = '__diesel_schema_migrations'",
            )
            .get_result(c)?;
            Ok::<_, TxError<std::convert::Infallible>>(found.n > 0)
        })
        .await
        .map_err(store_only)
    }

    /// Runs `f` on a pooled connection on a blocking thread.
    pub(crate) async fn run<R, E, F>(&self, f: F) -> Result<R, RunError<E>>
    where
        F: FnOnce(&mut SqliteConnection) -> Result<R, TxError<E>> + Send + 'static,
        R: Send + 'static,
        E: Send + 'static,
    {
        let mut conn = self
            .pool
            .get()
            .await
            .map_err(|e| RunError::Store(StoreError::Unavailable(Box::new(e))))?;
        let outcome = conn
            .spawn_blocking(move |c| Ok(f(c)))
            .await
            .map_err(|e| RunError::Store(store_error(e)))?;
        outcome.map_err(RunError::from)
    }

    /// The path SELECT alone (see `Database::raw_path_select`).
    #[cfg(feature = "testing")]
    pub(crate) async fn raw_path_select(&self, curriculum: i64) -> Result<usize, StoreError> {
        self.run(move |c| {
            let rows: Vec<LoadedRow> = path_rows!(curriculum).load(c)?;
            Ok::<_, TxError<std::convert::Infallible>>(rows.len())
        })
        .await
        .map_err(store_only)
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
        self.run(|c| Ok::<_, TxError<std::convert::Infallible>>(diesel::sql_query("SELECT 1").execute(c)?))
            .await
            .map(drop)
            .map_err(store_only)
    }

    /// Runs `f` in an `IMMEDIATE` transaction (writers queue instead of failing).
    async fn write<R, E, F>(&self, f: F) -> Result<R, RunError<E>>
    where
        F: FnOnce(&mut SqliteConnection) -> Result<R, TxError<E>> + Send + 'static,
        R: Send + 'static,
        E: Send + 'static,
    {
        self.run(move |c| c.immediate_transaction(f)).await
    }
}

fn load_tenant(c: &mut SqliteConnection, id: i64) -> QueryResult<Option<Tenant>> {
    let Some(row) = tenants::table
        .find(id)
        .select((tenants::id, tenants::name, tenants::default_language))
        .first::<(i64, String, String)>(c)
        .optional()?
    else {
        return Ok(None);
    };
    let codes: Vec<String> = tenant_languages::table
        .filter(tenant_languages::tenant_id.eq(id))
        .select(tenant_languages::code)
        .load(c)?;
    rows::tenant(row, codes).map(Some)
}

/// Stores a new key of `tenant`; a hash already stored is `Duplicate`.
fn insert_key(
    c: &mut SqliteConnection,
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
        .map_err(unique_or(|| DirectoryError::Duplicate("this key".into())))
}

fn tenant_exists(c: &mut SqliteConnection, tenant: TenantId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(tenants::table.find(tenant.0))).get_result(c)
}

#[async_trait]
impl TenantDirectory for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        SqliteStore::ping(self).await
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
        if !codes.contains(&default) {
            codes.push(default.clone());
        }
        codes.sort();
        codes.dedup();
        self.write(move |c| {
            let id: i64 = diesel::insert_into(tenants::table)
                .values((
                    tenants::name.eq(&name),
                    tenants::default_language.eq(&default),
                    tenants::created_at.eq(Utc::now().naive_utc()),
                ))
                .returning(tenants::id)
                .get_result(c)?;
            for code in &codes {
                diesel::insert_into(tenant_languages::table)
                    .values((tenant_languages::tenant_id.eq(id), tenant_languages::code.eq(code)))
                    .execute(c)?;
            }
            Ok::<_, TxError<DirectoryError>>(load_tenant(c, id)?.expect("just inserted"))
        })
        .await
        .map_err(flat)
    }

    async fn tenant(&self, id: TenantId) -> Result<Option<Tenant>, StoreError> {
        self.run(move |c| Ok(load_tenant(c, id.0)?)).await.map_err(store_only)
    }

    async fn tenants(&self) -> Result<Vec<Tenant>, StoreError> {
        self.run(|c| {
            let ids: Vec<i64> = tenants::table.select(tenants::id).order(tenants::id).load(c)?;
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                out.extend(load_tenant(c, id)?);
            }
            Ok(out)
        })
        .await
        .map_err(store_only)
    }

    async fn enable_language(&self, tenant: TenantId, code: &LanguageCode) -> Result<(), DirectoryError> {
        let code = code.as_str().to_owned();
        self.write(move |c| {
            if !tenant_exists(c, tenant)? {
                return Err(TxError::Refused(DirectoryError::TenantNotFound(tenant)));
            }
            diesel::insert_or_ignore_into(tenant_languages::table)
                .values((
                    tenant_languages::tenant_id.eq(tenant.0),
                    tenant_languages::code.eq(&code),
                ))
                .execute(c)?;
            Ok(())
        })
        .await
        .map_err(flat)
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
        self.write(move |c| {
            if !tenant_exists(c, tenant)? {
                return Err(TxError::Refused(DirectoryError::TenantNotFound(tenant)));
            }
            let row = insert_key(c, tenant, &hash, origin.as_deref(), now)?;
            Ok(rows::key_record(row))
        })
        .await
        .map_err(flat)
    }

    async fn api_key(&self, hash: &KeyHash) -> Result<Option<ApiKeyRecord>, StoreError> {
        let hash = hash.0.clone();
        self.run(move |c| {
            Ok(api_keys::table
                .filter(api_keys::key_hash.eq(&hash))
                .select(rows::KEY_COLUMNS)
                .first(c)
                .optional()?
                .map(rows::key_record))
        })
        .await
        .map_err(store_only)
    }

    async fn api_keys(&self, tenant: TenantId) -> Result<Vec<ApiKeyRecord>, StoreError> {
        self.run(move |c| {
            let rows = api_keys::table
                .filter(api_keys::tenant_id.eq(tenant.0))
                .order(api_keys::id)
                .select(rows::KEY_COLUMNS)
                .load(c)?;
            Ok(rows.into_iter().map(rows::key_record).collect())
        })
        .await
        .map_err(store_only)
    }

    async fn api_key_by_id(&self, id: ApiKeyId) -> Result<Option<ApiKeyRecord>, StoreError> {
        self.run(move |c| {
            Ok(api_keys::table
                .find(id.0)
                .select(rows::KEY_COLUMNS)
                .first(c)
                .optional()?
                .map(rows::key_record))
        })
        .await
        .map_err(store_only)
    }

    async fn revoke_api_key(
        &self,
        tenant: TenantId,
        id: ApiKeyId,
        now: DateTime<Utc>,
    ) -> Result<ApiKeyRecord, DirectoryError> {
        self.write(move |c| {
            let key = api_keys::table
                .filter(api_keys::id.eq(id.0))
                .filter(api_keys::tenant_id.eq(tenant.0));
            diesel::update(key.filter(api_keys::revoked_at.is_null()))
                .set(api_keys::revoked_at.eq(now_naive(now)))
                .execute(c)?;
            let row: Option<KeyRow> = key.select(rows::KEY_COLUMNS).first(c).optional()?;
            row.map(rows::key_record)
                .ok_or(TxError::Refused(DirectoryError::KeyNotFound(id)))
        })
        .await
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
        let hash = hash.0.clone();
        self.write(move |c| {
            let key = api_keys::table
                .filter(api_keys::id.eq(id.0))
                .filter(api_keys::tenant_id.eq(tenant.0));
            let row: KeyRow = key
                .select(rows::KEY_COLUMNS)
                .first(c)
                .optional()?
                .ok_or(TxError::Refused(DirectoryError::KeyNotFound(id)))?;
            let origin = row.2.clone();
            let expires = rows::key_record(row)
                .expiry_after_rotation(now, old_expires_at)
                .ok_or(TxError::Refused(DirectoryError::KeyUnusable(id)))?;
            diesel::update(key)
                .set(api_keys::expires_at.eq(now_naive(expires)))
                .execute(c)?;
            let new = insert_key(c, tenant, &hash, origin.as_deref(), now)?;
            let old: KeyRow = key.select(rows::KEY_COLUMNS).first(c)?;
            Ok((rows::key_record(old), rows::key_record(new)))
        })
        .await
        .map_err(flat)
    }

    async fn create_user(&self, tenant: TenantId, username: &str) -> Result<User, DirectoryError> {
        let username = username.to_owned();
        self.write(move |c| {
            if !tenant_exists(c, tenant)? {
                return Err(TxError::Refused(DirectoryError::TenantNotFound(tenant)));
            }
            let id: i64 = diesel::insert_into(users::table)
                .values((users::tenant_id.eq(tenant.0), users::username.eq(&username)))
                .returning(users::id)
                .get_result(c)
                .map_err(unique_or(|| DirectoryError::Duplicate(format!("user {username}"))))?;
            Ok(User {
                id: UserId(id),
                tenant,
                username,
            })
        })
        .await
        .map_err(flat)
    }

    async fn user(&self, tenant: TenantId, username: &str) -> Result<Option<User>, StoreError> {
        let username = username.to_owned();
        self.run(move |c| {
            let id: Option<i64> = users::table
                .filter(users::tenant_id.eq(tenant.0).and(users::username.eq(&username)))
                .select(users::id)
                .first(c)
                .optional()?;
            Ok(id.map(|id| User {
                id: UserId(id),
                tenant,
                username,
            }))
        })
        .await
        .map_err(store_only)
    }

    async fn users(&self, tenant: TenantId) -> Result<Vec<User>, StoreError> {
        self.run(move |c| {
            let rows: Vec<(i64, String)> = users::table
                .filter(users::tenant_id.eq(tenant.0))
                .order(users::id)
                .select((users::id, users::username))
                .load(c)?;
            Ok(rows
                .into_iter()
                .map(|(id, username)| User {
                    id: UserId(id),
                    tenant,
                    username,
                })
                .collect())
        })
        .await
        .map_err(store_only)
    }

    async fn create_organisation(
        &self,
        tenant: TenantId,
        name: &str,
        id: Option<OrganisationId>,
    ) -> Result<Organisation, DirectoryError> {
        let name = name.to_owned();
        self.write(move |c| {
            if !tenant_exists(c, tenant)? {
                return Err(TxError::Refused(DirectoryError::TenantNotFound(tenant)));
            }
            let id = match id {
                Some(id) => id.0,
                None => {
                    let max: Option<i64> = organisations::table
                        .filter(organisations::tenant_id.eq(tenant.0))
                        .select(diesel::dsl::max(organisations::id))
                        .first(c)?;
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
                .map_err(unique_or(|| DirectoryError::Duplicate(format!("organisation {id}"))))?;
            Ok(Organisation {
                id: OrganisationId(id),
                tenant,
                name,
            })
        })
        .await
        .map_err(flat)
    }

    async fn organisations(&self, tenant: TenantId) -> Result<Vec<Organisation>, StoreError> {
        self.run(move |c| {
            let rows: Vec<(i64, String)> = organisations::table
                .filter(organisations::tenant_id.eq(tenant.0))
                .order(organisations::id)
                .select((organisations::id, organisations::name))
                .load(c)?;
            Ok(rows
                .into_iter()
                .map(|(id, name)| Organisation {
                    id: OrganisationId(id),
                    tenant,
                    name,
                })
                .collect())
        })
        .await
        .map_err(store_only)
    }
}

/// Path `id`, loaded and checked (from the cache when its version is current), and its version,
/// or `None` when `id` is not a course of the tenant.
fn load_curriculum(
    c: &mut SqliteConnection,
    paths: &PathCache,
    tenant: TenantId,
    id: ActivityId,
) -> QueryResult<Option<(Arc<LoadedPath>, i64)>> {
    let path: Option<(String, i64)> = activities::table
        .filter(activities::id.eq(id.0).and(activities::tenant_id.eq(tenant.0)))
        .select((activities::kind, activities::curriculum_version))
        .first(c)
        .optional()?;
    let Some((_, version)) = path.filter(|(kind, _)| is_course(kind)) else {
        return Ok(None);
    };
    if let Some(loaded) = paths.get(id.0, version) {
        return Ok(Some((loaded, version)));
    }
    let rows = path_rows!(id.0).load(c)?;
    let records = into_records(rows);
    let curriculum = Curriculum::from_records(id, tenant, records.clone()).map_err(corrupt)?;
    let loaded = Arc::new(LoadedPath { curriculum, records });
    paths.put(id.0, version, Arc::clone(&loaded));
    Ok(Some((loaded, version)))
}

/// Writes path `curriculum`'s change from `before` to `after` and bumps its version; returns
/// the new version.
fn persist(
    c: &mut SqliteConnection,
    curriculum: ActivityId,
    before: &[CurriculumRecord],
    after: &[CurriculumRecord],
) -> QueryResult<i64> {
    let plan = WritePlan::new(curriculum, before, after);
    if !plan.deleted.is_empty() {
        diesel::delete(curriculum_bounds::table.filter(curriculum_bounds::id.eq_any(&plan.deleted))).execute(c)?;
        diesel::delete(curriculum_activities::table.filter(curriculum_activities::id.eq_any(&plan.deleted)))
            .execute(c)?;
    }
    for statement in &plan.renumber {
        diesel::sql_query(statement).execute(c)?;
    }
    if !plan.new_sections.is_empty() {
        diesel::insert_into(curriculum_activities::table)
            .values(&plan.new_sections)
            .execute(c)?;
    }
    for (row, bounds) in &plan.changed {
        let updated = diesel::update(curriculum_activities::table.find(row.id))
            .set(row)
            .execute(c)?
            + diesel::update(curriculum_bounds::table.find(bounds.id))
                .set((
                    curriculum_bounds::lft.eq(bounds.lft),
                    curriculum_bounds::rgt.eq(bounds.rgt),
                ))
                .execute(c)?;
        if updated != 2 {
            // The plan and the tables disagree: write nothing rather than something wrong.
            return Err(DbError::NotFound);
        }
    }
    if !plan.new_entries.is_empty() {
        diesel::insert_into(curriculum_activities::table)
            .values(&plan.new_entries)
            .execute(c)?;
    }
    if !plan.new_bounds.is_empty() {
        diesel::insert_into(curriculum_bounds::table)
            .values(&plan.new_bounds)
            .execute(c)?;
    }
    diesel::update(activities::table.find(curriculum.0))
        .set(activities::curriculum_version.eq(activities::curriculum_version + 1))
        .returning(activities::curriculum_version)
        .get_result(c)
}

/// The id the next new record takes: above every id the table ever held (`AUTOINCREMENT`
/// keeps the highest in `sqlite_sequence`), so a destroyed record's id is never given again.
fn next_record_id(c: &mut SqliteConnection) -> QueryResult<RecordId> {
    #[derive(QueryableByName)]
    struct Highest {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
    }
    let highest: Highest = diesel::sql_query(
        "SELECT max(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'curriculum_activities'), 0), \
         COALESCE((SELECT max(id) FROM curriculum_activities), 0)) AS id",
    )
    .get_result(c)?;
    Ok(RecordId(highest.id + 1))
}

fn load_activity(c: &mut SqliteConnection, tenant: TenantId, id: ActivityId) -> QueryResult<Option<Activity>> {
    let Some(row) = activities::table
        .filter(activities::id.eq(id.0).and(activities::tenant_id.eq(tenant.0)))
        .select(ActivityRow::as_select())
        .first(c)
        .optional()?
    else {
        return Ok(None);
    };
    let versions: Vec<VersionRow> = language_versions::table
        .filter(language_versions::activity_id.eq(id.0))
        .order(language_versions::id)
        .select(VersionRow::as_select())
        .load(c)?;
    let organisation_ids: Vec<i64> = activity_organisations::table
        .filter(activity_organisations::activity_id.eq(id.0))
        .order(activity_organisations::organisation_id)
        .select(activity_organisations::organisation_id)
        .load(c)?;
    rows::activity(row, versions, organisation_ids).map(Some)
}

#[async_trait]
impl ActivityRepository for SqliteStore {
    async fn create_activity(&self, new: NewActivity) -> Result<ActivityId, CreateActivityError> {
        let paths = Arc::clone(&self.paths);
        self.write(move |c| {
            let parent = match new.placement {
                Placement::TopLevel => None,
                Placement::Under(parent) => {
                    let kind: Option<String> = activities::table
                        .filter(activities::id.eq(parent.0).and(activities::tenant_id.eq(new.tenant.0)))
                        .select(activities::kind)
                        .first(c)
                        .optional()?;
                    match kind.as_deref() {
                        None => return Err(TxError::Refused(CreateActivityError::ParentNotFound(parent))),
                        Some("course") => Some(parent),
                        Some(_) => return Err(TxError::Refused(CreateActivityError::ParentNotACourse(parent))),
                    }
                }
            };
            if let Organisations::Only(_) = &new.organisations {
                let known: Vec<i64> = organisations::table
                    .filter(organisations::tenant_id.eq(new.tenant.0))
                    .select(organisations::id)
                    .load(c)?;
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
                .get_result(c)?;
            let activity = ActivityId(id);
            if let Organisations::Only(ids) = &new.organisations {
                for org in ids {
                    diesel::insert_into(activity_organisations::table)
                        .values((
                            activity_organisations::activity_id.eq(id),
                            activity_organisations::tenant_id.eq(new.tenant.0),
                            activity_organisations::organisation_id.eq(org.0),
                        ))
                        .execute(c)?;
                }
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
                .get_result(c)?;
            revisions::first(c, version, new.scorm.as_ref().map(|s| (s, new.api_key)), new.now)?;
            if new.kind == ActivityKind::Course {
                let section = next_record_id(c)?;
                let curriculum = Curriculum::for_new_course(activity, new.tenant, section, new.now);
                persist(c, activity, &[], &curriculum.records())?;
            }
            if let Some(parent) = parent {
                let (loaded, _) =
                    load_curriculum(c, &paths, new.tenant, parent)?.ok_or(diesel::result::Error::NotFound)?;
                let mut curriculum = loaded.curriculum.clone();
                let entry = next_record_id(c)?;
                curriculum
                    .append_to_last_section(entry, activity, new.kind, new.name.as_str().to_owned(), new.now)
                    .map_err(corrupt)?;
                persist(c, parent, &loaded.records, &curriculum.records())?;
            }
            idempotency::set_external_id(c, new.tenant, activity, new.external_id.as_deref())?;
            Ok(activity)
        })
        .await
        .map_err(flat)
    }

    async fn add_language_version(&self, new: NewLanguageVersion) -> Result<LanguageVersionId, AddLanguageError> {
        self.write(move |c| {
            let exists: bool = diesel::select(diesel::dsl::exists(
                activities::table.filter(
                    activities::id
                        .eq(new.activity.0)
                        .and(activities::tenant_id.eq(new.tenant.0)),
                ),
            ))
            .get_result(c)?;
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
                .map_err(unique_or(|| AddLanguageError::LanguageExists {
                    activity: new.activity,
                    language: new.language.clone(),
                }))?;
            revisions::first(c, id, new.scorm.as_ref().map(|s| (s, new.api_key)), new.now)?;
            diesel::update(activities::table.find(new.activity.0))
                .set(activities::updated_at.eq(now))
                .execute(c)?;
            Ok(LanguageVersionId(id))
        })
        .await
        .map_err(flat)
    }

    async fn activity(&self, tenant: TenantId, id: ActivityId) -> Result<Option<Activity>, StoreError> {
        self.run(move |c| Ok(load_activity(c, tenant, id)?))
            .await
            .map_err(store_only)
    }

    async fn activities(&self, tenant: TenantId) -> Result<Vec<Activity>, StoreError> {
        self.run(move |c| {
            let rows: Vec<ActivityRow> = activities::table
                .filter(activities::tenant_id.eq(tenant.0))
                .order(activities::id)
                .select(ActivityRow::as_select())
                .load(c)?;
            let versions: Vec<VersionRow> = language_versions::table
                .inner_join(activities::table)
                .filter(activities::tenant_id.eq(tenant.0))
                .order((language_versions::activity_id, language_versions::id))
                .select(VersionRow::as_select())
                .load(c)?;
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
                .load(c)?;
            Ok(rows::assemble(rows, versions, links)?)
        })
        .await
        .map_err(store_only)
    }

    async fn curriculum(&self, tenant: TenantId, id: ActivityId) -> Result<Option<Vec<CurriculumRecord>>, StoreError> {
        let paths = Arc::clone(&self.paths);
        self.run(move |c| Ok(load_curriculum(c, &paths, tenant, id)?.map(|(loaded, _)| loaded.records.clone())))
            .await
            .map_err(store_only)
    }

    async fn activity_by_external_id(
        &self,
        tenant: TenantId,
        external_id: &str,
    ) -> Result<Option<ActivityId>, StoreError> {
        idempotency::activity_by_external_id(self, tenant, external_id).await
    }

    async fn add_revision(&self, new: NewRevision) -> Result<RevisionOutcome, RevisionError> {
        self.write(move |c| revisions::add(c, &new)).await.map_err(flat)
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
        self.write(move |c| revisions::rollback(c, tenant, activity, &language, revision, now))
            .await
            .map_err(flat)
    }

    async fn revisions(&self, tenant: TenantId, activity: ActivityId) -> Result<Vec<PackageRevision>, StoreError> {
        self.run(move |c| Ok(revisions::list(c, tenant, activity)?))
            .await
            .map_err(store_only)
    }

    async fn storage_prefixes(&self) -> Result<Vec<String>, StoreError> {
        self.run(|c| {
            let mut prefixes: Vec<String> = language_versions::table
                .select(language_versions::storage_prefix)
                .filter(language_versions::storage_prefix.is_not_null())
                .load::<Option<String>>(c)?
                .into_iter()
                .flatten()
                .collect();
            prefixes.extend(
                package_revisions::table
                    .select(package_revisions::storage_prefix)
                    .load::<String>(c)?,
            );
            prefixes.sort_unstable();
            prefixes.dedup();
            Ok(prefixes)
        })
        .await
        .map_err(store_only)
    }
}

fn load_records(
    c: &mut SqliteConnection,
    tenant: TenantId,
    curriculum: Option<ActivityId>,
) -> QueryResult<Vec<CurriculumRecord>> {
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
    Ok(into_records(query.load(c)?))
}

#[async_trait]
impl CurriculumRepository for SqliteStore {
    async fn record(&self, tenant: TenantId, id: RecordId) -> Result<Option<CurriculumRecord>, StoreError> {
        self.run(move |c| {
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
                .optional()?;
            Ok(row.map(|(row, bounds, kind)| row.into_domain(bounds, kind.as_deref().map(rows::kind))))
        })
        .await
        .map_err(store_only)
    }

    async fn records(
        &self,
        tenant: TenantId,
        curriculum: Option<ActivityId>,
    ) -> Result<Vec<CurriculumRecord>, StoreError> {
        self.run(move |c| Ok(load_records(c, tenant, curriculum)?))
            .await
            .map_err(store_only)
    }

    async fn change(
        &self,
        tenant: TenantId,
        curriculum: ActivityId,
        change: CurriculumChange,
    ) -> Result<Option<CurriculumRecord>, ChangeError> {
        let paths = Arc::clone(&self.paths);
        let (path, after, version, touched) = self
            .write(move |c| {
                let Some((loaded, _)) = load_curriculum(c, &paths, tenant, curriculum)? else {
                    return Err(TxError::Refused(ChangeError::PathNotFound(curriculum)));
                };
                let LoadedPath {
                    curriculum: mut path,
                    records: before,
                } = paths.take_for_change(curriculum.0, loaded);
                let new_id = next_record_id(c)?;
                let touched = change(&mut path, new_id).map_err(|e| TxError::Refused(ChangeError::Refused(e)))?;
                let after = path.records();
                let version = persist(c, curriculum, &before, &after)?;
                Ok((path, after, version, touched))
            })
            .await
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

mod audit;
mod idempotency;
mod revisions;
