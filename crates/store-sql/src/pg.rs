//! What only Postgres does: its pool, migrations under an advisory lock, row locks, identity
//! sequences. The queries shared with SQLite are in `sql/`, compiled here over
//! `AsyncPgConnection` (see the crate's README).

use crate::errors::ConnectError;
use curricula_ports::StoreError;
use deadpool::managed::{Metrics, RecycleResult};
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, PoolError, PoolableConnection};
use diesel_async::{AsyncMigrationHarness, AsyncPgConnection, SimpleAsyncConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub(crate) const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// The advisory lock `migrate` holds.
const MIGRATION_LOCK: i64 = 0x4375_7272_6963_756c; // "Curricul"

/// The connection the shared queries run on.
pub(crate) type Conn = AsyncPgConnection;
/// The backend boxed queries are built for.
pub(crate) type Db = diesel::pg::Pg;

/// Whether the migrations table exists in the current schema (a `COUNT(*) AS n` query).
pub(crate) const HAS_SCHEMA: &str = "SELECT COUNT(*) AS n FROM information_schema.tables \
     WHERE table_schema = current_schema() AND table_name = '__diesel_schema_migrations'";

/// `$1` fresh record ids from the table's identity sequence (never reused, whichever instance
/// asks), one row each.
pub(crate) const NEXT_RECORD_IDS: &str =
    "SELECT nextval(pg_get_serial_sequence('curriculum_activities', 'id')) AS n FROM generate_series(1, $1)";

/// The feed reads only events appended by transactions older than every one still running:
/// ids are handed out before commit, so a transaction still running may commit an event
/// below the newest one visible; below the oldest running transaction's id, every
/// transaction has ended and no event can appear any more (docs/API.md, "Change feed").
pub(crate) const FEED_HORIZON: Option<&str> = Some("pg_snapshot_xmin(pg_current_snapshot())::text::bigint");

/// The ids [`NEXT_RECORD_IDS`] gave: one per row.
pub(crate) fn fresh_ids(rows: impl Iterator<Item = i64>, _n: usize) -> Vec<curricula_domain::RecordId> {
    rows.map(curricula_domain::RecordId).collect()
}

/// `$query` with the rows it reads locked until the transaction ends (`$mode`: `for_update`,
/// or `for_no_key_update`, which foreign-key checks against the row do not wait for).
macro_rules! lock {
    ($query:expr, $mode:ident) => {
        $query.$mode()
    };
}

/// `$query` with the rows it reads locked until the transaction ends, skipping rows another
/// transaction holds (`FOR UPDATE SKIP LOCKED`): how the webhook deliverers of several
/// instances take work without waiting for each other.
macro_rules! skip_locked {
    ($query:expr) => {
        $query.for_update().skip_locked()
    };
}

/// Inserts `$rows` (a `Vec` of owned rows) into `$table` in one statement.
macro_rules! insert_all {
    ($c:expr, $table:expr, $rows:expr) => {
        diesel_async::RunQueryDsl::execute(diesel::insert_into($table).values($rows), $c).await
    };
}

/// Loads the rows of `$query` (a `'static` query) as `$row`s.
macro_rules! load {
    ($c:expr, $query:expr, $row:ty) => {
        diesel_async::RunQueryDsl::load::<$row>($query, $c).await
    };
}

/// `$c` as a connection several statements can be sent on at once: a shared reference, whose
/// futures do not hold the connection, so that statements polled together are pipelined
/// (sent back to back, answered in one round trip; the server runs them in the order sent).
macro_rules! shared {
    ($c:expr) => {
        &mut &*$c
    };
}

/// The future of inserting `$rows` into `$table`, to be sent together with others (see
/// [`shared!`]).
macro_rules! inserting {
    ($c:expr, $table:expr, $rows:expr) => {
        diesel_async::RunQueryDsl::execute(diesel::insert_into($table).values($rows), shared!($c))
    };
}

pub(crate) use insert_all;
pub(crate) use inserting;
pub(crate) use load;
pub(crate) use lock;
pub(crate) use shared;
pub(crate) use skip_locked;

#[allow(clippy::duplicate_mod, reason = "the shared queries, compiled once per backend")]
#[path = "sql/mod.rs"]
pub(crate) mod sql;

/// A connection used this recently is handed out again as it is; one idle for longer is first
/// tested with a query, so that one a database restart left dead is replaced instead of
/// failing a request.
const TRUSTED_FOR: std::time::Duration = std::time::Duration::from_secs(2);

/// The pool of Postgres connections.
pub(crate) type Pool = deadpool::managed::Pool<Manager>;
/// A connection taken from [`Pool`].
type Object = deadpool::managed::Object<Manager>;

/// diesel-async's pool manager, without its test query (`SELECT 1`, a round trip on every
/// checkout) for connections used within [`TRUSTED_FOR`]: a broken one (an error seen on it)
/// is always replaced.
pub(crate) struct Manager(AsyncDieselConnectionManager<Conn>);

impl deadpool::managed::Manager for Manager {
    type Type = Conn;
    type Error = PoolError;

    async fn create(&self) -> Result<Conn, PoolError> {
        self.0.create().await
    }

    async fn recycle(&self, conn: &mut Conn, metrics: &Metrics) -> RecycleResult<PoolError> {
        if metrics.last_used() < TRUSTED_FOR && !conn.is_broken() {
            return Ok(());
        }
        self.0.recycle(conn, metrics).await
    }
}

/// A pool of `pool_size` connections to the Postgres database named by `url`.
pub(crate) fn pool(url: &str, pool_size: usize) -> Result<Pool, ConnectError> {
    // diesel-async sets `TimeZone` to UTC on every connection it makes: the naive UTC values
    // written and read through `schema.rs` are exact instants.
    Pool::builder(Manager(AsyncDieselConnectionManager::<Conn>::new(url)))
        .max_size(pool_size.max(1))
        .runtime(deadpool::Runtime::Tokio1)
        .wait_timeout(Some(crate::errors::CONNECTION_TIMEOUT))
        .create_timeout(Some(crate::errors::CONNECTION_TIMEOUT))
        .build()
        .map_err(|e| ConnectError::Open(e.to_string()))
}

/// A pooled connection, or `Unavailable`.
pub(crate) async fn get(pool: &Pool) -> Result<Object, StoreError> {
    pool.get().await.map_err(|e| StoreError::Unavailable(Box::new(e)))
}

/// Applies pending migrations holding an advisory lock, so instances starting at once migrate
/// one at a time (the others then find nothing pending).
pub(crate) async fn migrate(pool: &Pool) -> Result<(), StoreError> {
    // Out of the pool: the session (and its lock) ends when this connection is dropped.
    let mut conn = Object::take(get(pool).await?);
    conn.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
        .await
        .map_err(|e| StoreError::Unavailable(Box::new(e)))?;
    tokio::task::spawn_blocking(move || {
        AsyncMigrationHarness::new(conn).run_pending_migrations(MIGRATIONS).map(drop).map_err(StoreError::Backend)
    })
    .await
    .map_err(|e| StoreError::Backend(Box::new(e)))?
}
