//! What only SQLite does: a pool of synchronous connections whose every operation runs, whole,
//! on one blocking thread (the shared async queries complete there without a hop per
//! statement), writes in `IMMEDIATE` transactions (writers queue on the database lock instead
//! of failing), `AUTOINCREMENT` ids. The queries shared with Postgres are in `sql/`, compiled
//! here over [`Conn`] (see the crate's README).

use crate::errors::{ConnectError, TxError, store_error};
use curricula_ports::StoreError;
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, QueryResult};
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod};
use diesel_async::sync_connection_wrapper::{SpawnBlocking, SyncConnectionWrapper};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

pub(crate) const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

/// Set on every connection: integrity, concurrency (WAL, wait instead of failing when busy),
/// durability (`FULL`: a commit is on disk before it is acknowledged, also across a power loss).
const PRAGMAS: &str =
    "PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA synchronous = FULL;";

/// The connection the shared queries run on: a synchronous connection whose statements run
/// in place (it is only used on a blocking thread, see [`run`]).
pub(crate) type Conn = SyncConnectionWrapper<SqliteConnection, InPlace>;
/// The backend boxed queries are built for.
pub(crate) type Db = diesel::sqlite::Sqlite;

/// Whether the migrations table exists (a `COUNT(*) AS n` query).
pub(crate) const HAS_SCHEMA: &str =
    "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = '__diesel_schema_migrations'";

/// The first id new records take: above every id the table ever held (`AUTOINCREMENT`
/// keeps the highest in `sqlite_sequence`), so a destroyed record's id is never given again.
/// The count asked for (`?`) is not needed: the transaction holds the database, so the ids
/// from that one up are free until it ends ([`fresh_ids`]).
pub(crate) const NEXT_RECORD_IDS: &str = "SELECT 1 + max(\
     COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'curriculum_activities'), 0), \
     COALESCE((SELECT max(id) FROM curriculum_activities), 0)) + 0 * ? AS n";

/// No horizon: one writer commits at a time, so ids are handed out in commit order and every
/// event below a visible one has committed.
pub(crate) const FEED_HORIZON: Option<&str> = None;

/// `n` ids from the first one [`NEXT_RECORD_IDS`] gave.
pub(crate) fn fresh_ids(mut rows: impl Iterator<Item = i64>, n: usize) -> Vec<curricula_domain::RecordId> {
    let first = rows.next().unwrap_or(1);
    (0..i64::try_from(n).unwrap_or(0)).map(|k| curricula_domain::RecordId(first + k)).collect()
}

/// `$query` as it is: every write is an `IMMEDIATE` transaction, which already holds the
/// database's one write lock.
macro_rules! lock {
    ($query:expr, $mode:ident) => {
        $query
    };
}

/// `$query` as it is (see [`lock!`]).
macro_rules! skip_locked {
    ($query:expr) => {
        $query
    };
}

/// Inserts `$rows` (a `Vec` of owned rows) into `$table` in one statement (through diesel's
/// synchronous connection: only it turns a batch into one multi-row `INSERT` on SQLite).
macro_rules! insert_all {
    ($c:expr, $table:expr, $rows:expr) => {{
        let rows = $rows;
        $c.spawn_blocking(move |c| diesel::RunQueryDsl::execute(diesel::insert_into($table).values(rows), c)).await
    }};
}

/// Loads the rows of `$query` (a `'static` query) as `$row`s, through diesel's synchronous
/// connection: it reads rows straight into `$row`, where the asynchronous wrapper copies each
/// row first (this serves the reads of many rows).
macro_rules! load {
    ($c:expr, $query:expr, $row:ty) => {{
        let query = $query;
        $c.spawn_blocking(move |c| diesel::RunQueryDsl::load::<$row>(query, c)).await
    }};
}

/// `$c` for statements sent together: as it is, for each runs in place, whole, when polled
/// (there is nothing to pipeline in process).
macro_rules! shared {
    ($c:expr) => {
        &mut *$c
    };
}

/// The future of inserting `$rows` into `$table` (as [`insert_all!`] does), to be sent
/// together with others (see [`shared!`]).
macro_rules! inserting {
    ($c:expr, $table:expr, $rows:expr) => {{
        let rows = $rows;
        $c.spawn_blocking(move |c| diesel::RunQueryDsl::execute(diesel::insert_into($table).values(rows), c))
    }};
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

/// Runs a statement where it is asked for: [`Conn`] is only used on a blocking thread.
pub(crate) struct InPlace;

impl SpawnBlocking for InPlace {
    fn spawn_blocking<'a, R>(
        &mut self,
        task: impl FnOnce() -> R + Send + 'static,
    ) -> Pin<Box<dyn Future<Output = Result<R, Box<dyn std::error::Error + Send + Sync>>> + Send + 'a>>
    where
        R: Send + 'static,
    {
        Box::pin(std::future::ready(Ok(task())))
    }

    fn get_runtime() -> Self {
        Self
    }
}

/// A pool of `pool_size` connections to the SQLite file named by `url` (created when missing).
pub(crate) fn pool(url: &str, pool_size: usize) -> Result<Pool<Conn>, ConnectError> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or(ConnectError::Unsupported)?
        .to_owned();
    if let Some(parent) = std::path::Path::new(&path).parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| ConnectError::Open(format!("creating {}: {e}", parent.display())))?;
    }
    let mut config = ManagerConfig::default();
    config.custom_setup = Box::new(|url| {
        let url = url.to_owned();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let mut conn = SqliteConnection::establish(&url)?;
                conn.batch_execute(PRAGMAS).map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(Conn::with_runtime(conn, InPlace))
            })
            .await
            .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?
        })
    });
    // A file connection is not lost like a network one: no test query on every checkout.
    config.recycling_method = RecyclingMethod::Fast;
    Pool::builder(AsyncDieselConnectionManager::<Conn>::new_with_config(path, config))
        .max_size(pool_size.max(1))
        .runtime(deadpool::Runtime::Tokio1)
        .wait_timeout(Some(crate::errors::CONNECTION_TIMEOUT))
        .build()
        .map_err(|e| ConnectError::Open(e.to_string()))
}

/// A pooled connection, or `Unavailable`.
async fn get(pool: &Pool<Conn>) -> Result<Object<Conn>, StoreError> {
    pool.get().await.map_err(|e| StoreError::Unavailable(Box::new(e)))
}

/// Runs `f` on a pooled connection, on a blocking thread, outside a transaction.
pub(crate) async fn run<R, F>(pool: &Pool<Conn>, f: F) -> Result<R, StoreError>
where
    F: AsyncFnOnce(&mut Conn) -> QueryResult<R> + Send + 'static,
    R: Send + 'static,
{
    let mut conn = get(pool).await?;
    tokio::task::spawn_blocking(move || block_on(f(&mut conn)))
        .await
        .map_err(|e| StoreError::Backend(Box::new(e)))?
        .map_err(store_error)
}

/// Runs `f` in an `IMMEDIATE` transaction on a pooled connection, on a blocking thread.
pub(crate) async fn transaction<R, E, F>(pool: &Pool<Conn>, f: F) -> Result<R, E>
where
    F: AsyncFnOnce(&mut Conn) -> Result<R, TxError<E>> + Send + 'static,
    R: Send + 'static,
    E: From<StoreError> + Send + 'static,
{
    let mut conn = get(pool).await?;
    tokio::task::spawn_blocking(move || block_on(immediate(&mut conn, f)))
        .await
        .map_err(|e| StoreError::Backend(Box::new(e)))?
        .map_err(TxError::into_port)
}

/// Runs `f` on the synchronous connection, on a blocking thread (migrations).
pub(crate) async fn run_sync<R, F>(pool: &Pool<Conn>, f: F) -> Result<R, StoreError>
where
    F: FnOnce(&mut SqliteConnection) -> QueryResult<R> + Send + 'static,
    R: Send + 'static,
{
    run(pool, async move |c: &mut Conn| c.spawn_blocking(f).await).await
}

/// Applies pending migrations (SQLite's write lock serialises instances starting at once).
pub(crate) async fn migrate(pool: &Pool<Conn>) -> Result<(), StoreError> {
    // One write transaction: instances starting at once migrate one after the other.
    run_sync(pool, |c| {
        c.immediate_transaction(|c| {
            c.run_pending_migrations(MIGRATIONS).map(drop).map_err(diesel::result::Error::QueryBuilderError)
        })
    })
    .await
    .map_err(|(StoreError::Unavailable(e) | StoreError::Backend(e))| StoreError::Backend(e))
}

/// `f` between `BEGIN IMMEDIATE` and `COMMIT` (or `ROLLBACK` when it fails).
async fn immediate<R, E, F>(c: &mut Conn, f: F) -> Result<R, TxError<E>>
where
    F: AsyncFnOnce(&mut Conn) -> Result<R, TxError<E>>,
{
    c.spawn_blocking(|c| AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")).await?;
    match f(c).await {
        Ok(value) => {
            c.spawn_blocking(AnsiTransactionManager::commit_transaction).await?;
            Ok(value)
        }
        Err(e) => {
            // A failed rollback marks the connection broken: the pool drops it.
            let _ = c.spawn_blocking(AnsiTransactionManager::rollback_transaction).await;
            Err(e)
        }
    }
}

/// Drives `future` to its end on this thread (the statements of [`Conn`] complete in place).
fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        std::thread::park();
    }
}
