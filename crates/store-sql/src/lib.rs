#![doc = include_str!("../README.md")]

/// Runs `$body` (an expression over `$c`, a connection, returning a `QueryResult`) on a pooled
/// connection of the store's backend, outside a transaction: reads, and writes of one
/// statement. `$sql` names that backend's `sql` module. The body is compiled once per backend;
/// on SQLite it runs on a blocking thread, so it owns what it uses (`'static`).
macro_rules! run {
    ($($args:tt)*) => {
        on_backend!(run, $($args)*)
    };
}

/// Runs `$body` (as for [`run!`], returning `Result<_, TxError<_>>`) in one transaction:
/// `BEGIN` on Postgres, `BEGIN IMMEDIATE` on SQLite. Yields `Result<_, E>`, the operation's
/// refusal or the store's error (`E: From<StoreError>`).
macro_rules! transaction {
    ($($args:tt)*) => {
        on_backend!(transaction, $($args)*)
    };
}

/// [`run!`] or [`transaction!`] (`$mode`) on the store's backend.
macro_rules! on_backend {
    ($mode:ident, $store:expr, |$c:ident, $sql:ident| $body:expr) => {
        match &$store.pool {
            $crate::Pools::Postgres(pool) => {
                #[allow(unused_imports)]
                use $crate::pg::sql as $sql;
                async {
                    let mut conn = $crate::pg::get(pool).await?;
                    let conn: &mut $crate::pg::Conn = &mut conn;
                    on_postgres!($mode, conn, |$c| $body)
                }
                .await
            }
            $crate::Pools::Sqlite(pool) => {
                #[allow(unused_imports)]
                use $crate::sqlite::sql as $sql;
                $crate::sqlite::$mode(pool, async move |$c: &mut $crate::sqlite::Conn| $body).await
            }
        }
    };
}

/// The Postgres side of [`on_backend!`]: diesel-async's connection is asynchronous already.
macro_rules! on_postgres {
    (run, $conn:ident, |$c:ident| $body:expr) => {{
        let $c = $conn;
        let result: diesel::QueryResult<_> = async { $body }.await;
        result.map_err($crate::errors::store_error)
    }};
    (transaction, $conn:ident, |$c:ident| $body:expr) => {
        diesel_async::AsyncConnection::transaction($conn, async move |$c: &mut $crate::pg::Conn| $body)
            .await
            .map_err($crate::errors::TxError::into_port)
    };
}

mod activities;
mod cache;
mod curriculum;
mod directory;
mod errors;
mod events;
mod idempotency;
mod imports;
mod learners;
mod pg;
mod plan;
mod reservations;
mod rows;
mod schema;
#[cfg(test)]
mod schema_tests;
mod sqlite;
#[cfg(feature = "testing")]
pub mod testing;
#[cfg(test)]
mod upgrade_tests;
mod webhooks;

use cache::PathCache;
use curricula_ports::{ActivityRepository, CurriculumRepository, StoreError, TenantDirectory};
use diesel_async::pooled_connection::deadpool::Pool;
pub use errors::ConnectError;
use std::sync::Arc;

/// Records of recently used paths kept in memory by default, over all paths.
pub const DEFAULT_PATH_CACHE_RECORDS: usize = 20_000;

/// The connection pool of one backend.
#[derive(Clone)]
enum Pools {
    Sqlite(Pool<sqlite::Conn>),
    Postgres(pg::Pool),
}

/// The relational store named by a URL: SQLite (`sqlite://…`, the embedded default) or
/// Postgres (`postgres://…`, production). It implements every repository port once, over
/// either backend. Cheap to clone (a pool handle).
#[derive(Clone)]
pub struct Database {
    pool: Pools,
    paths: Arc<PathCache>,
}

/// What a List of the store answers: a slice and the number of matches (see `sql/lists.rs`).
type Listing<T> = Result<curricula_ports::Listed<T>, StoreError>;

impl Database {
    /// Opens the database named by `url` with a pool of `pool_size` connections and checks
    /// that a connection can be made.
    ///
    /// # Errors
    /// `Unsupported` for another scheme, `Open` when it cannot be reached or created; the
    /// message never holds the URL.
    pub async fn connect(url: &str, pool_size: usize) -> Result<Self, ConnectError> {
        let pool = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Pools::Postgres(pg::pool(url, pool_size)?)
        } else {
            Pools::Sqlite(sqlite::pool(url, pool_size)?)
        };
        let store = Self { pool, paths: Arc::new(PathCache::new(DEFAULT_PATH_CACHE_RECORDS)) };
        store.ping().await.map_err(|e| ConnectError::Open(without_url(&e, url)))?;
        Ok(store)
    }

    /// Applies pending migrations (safe when several instances start at once).
    ///
    /// # Errors
    /// When the database is unavailable or a migration fails.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.pool {
            Pools::Sqlite(pool) => sqlite::migrate(pool).await,
            Pools::Postgres(pool) => pg::migrate(pool).await,
        }
    }

    /// Whether a connection can be used right now.
    ///
    /// # Errors
    /// `Unavailable` when it cannot.
    pub async fn ping(&self) -> Result<(), StoreError> {
        run!(self, |c, _sql| diesel_async::RunQueryDsl::execute(diesel::sql_query("SELECT 1"), c).await)
            .map(drop)
            .map_err(|e| match e {
                StoreError::Backend(e) => StoreError::Unavailable(e),
                other => other,
            })
    }

    /// The connection pool's figures right now, for metrics.
    pub fn pool_status(&self) -> PoolStatus {
        let status = match &self.pool {
            Pools::Sqlite(pool) => pool.status(),
            Pools::Postgres(pool) => pool.status(),
        };
        PoolStatus { max: status.max_size, open: status.size, idle: status.available, waiting: status.waiting }
    }

    /// Whether migrations were ever applied to this database (commands other than `serve` and
    /// `migrate` refuse to set up a database that has none).
    ///
    /// # Errors
    /// When the database cannot be asked.
    pub async fn has_schema(&self) -> Result<bool, StoreError> {
        run!(self, |c, sql| {
            let found: rows::Count =
                diesel_async::RunQueryDsl::get_result(diesel::sql_query(sql::HAS_SCHEMA), c).await?;
            Ok(found.n > 0)
        })
    }

    /// The backend's name, for logs (`sqlite` or `postgres`).
    pub fn backend(&self) -> &'static str {
        match self.pool {
            Pools::Sqlite(_) => "sqlite",
            Pools::Postgres(_) => "postgres",
        }
    }

    /// The tenant directory over this database.
    pub fn directory(&self) -> Arc<dyn TenantDirectory> {
        Arc::new(self.clone())
    }

    /// The activity repository over this database.
    pub fn activities(&self) -> Arc<dyn ActivityRepository> {
        Arc::new(self.clone())
    }

    /// The idempotency-key store over this database.
    pub fn idempotency(&self) -> Arc<dyn curricula_ports::IdempotencyStore> {
        Arc::new(self.clone())
    }

    /// The event log (audit trail, change feed) over this database.
    pub fn events(&self) -> Arc<dyn curricula_ports::EventLog> {
        Arc::new(self.clone())
    }

    /// The queue of asynchronous imports over this database.
    pub fn imports(&self) -> Arc<dyn curricula_ports::ImportRepository> {
        Arc::new(self.clone())
    }

    /// The webhooks and their delivery queue over this database.
    pub fn webhooks(&self) -> Arc<dyn curricula_ports::WebhookRepository> {
        Arc::new(self.clone())
    }

    /// The learners' repository (users, enrollments, attempts) over this database.
    pub fn learners(&self) -> Arc<dyn curricula_ports::LearnerRepository> {
        Arc::new(self.clone())
    }

    /// The curriculum repository over this database.
    pub fn curricula(&self) -> Arc<dyn CurriculumRepository> {
        Arc::new(self.clone())
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

/// A connection pool's figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStatus {
    /// Most connections it opens.
    pub max: usize,
    /// Connections open now.
    pub open: usize,
    /// Open connections not in use.
    pub idle: usize,
    /// Requests waiting for a connection.
    pub waiting: usize,
}
