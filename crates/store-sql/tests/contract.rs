//! The repository contract suite on every backend: a fresh SQLite file, and a fresh Postgres
//! database when `TEST_DATABASE_URL` is set (required in CI); failures that must be errors.

use curricula_store_sql::testing::TestDatabase;
use curricula_store_sql::{ConnectError, Database};

/// Two instances (handles) on one fresh, migrated database of `backend`; `None` when Postgres
/// is not configured (see [`TestDatabase::create`]). The guard drops the database.
async fn instances(backend: &str) -> Option<(Database, Database, Box<dyn std::any::Any>)> {
    let (url, guard): (String, Box<dyn std::any::Any>) = if backend == "sqlite" {
        let dir = tempfile::tempdir().unwrap();
        (format!("sqlite://{}", dir.path().join("contract.db").display()), Box::new(dir))
    } else {
        let db = TestDatabase::create().await?;
        (db.url().to_owned(), Box::new(db))
    };
    let store = Database::connect(&url, 8).await.unwrap();
    let other = Database::connect(&url, 8).await.unwrap();
    // Instances starting at once migrate one at a time; a second run finds nothing to do.
    let (a, b) = tokio::join!(store.migrate(), other.migrate());
    a.unwrap();
    b.unwrap();
    store.migrate().await.unwrap();
    Some((store, other, guard))
}

async fn repository_contract(backend: &str) {
    let Some((store, other, _guard)) = instances(backend).await else {
        return;
    };
    curricula_ports::contract::run_all(&store).await;
    // A second handle on the same database is a second instance of the service.
    curricula_ports::contract::instances_share_paths(&store, &other).await;
}

async fn idempotency_and_audit_contracts(backend: &str) {
    let Some((store, _, _guard)) = instances(backend).await else {
        return;
    };
    curricula_ports::idempotency_contract::external_ids_are_unique_per_tenant(&store).await;
    curricula_ports::events_contract::event_log(&store).await;
    curricula_ports::events_contract::journals_commit_with_their_write(&store).await;
    curricula_ports::events_contract::webhook_queue(&store).await;
    curricula_ports::idempotency_contract::idempotency_keys(std::sync::Arc::new(store)).await;
}

async fn learner_contract(backend: &str) {
    let Some((store, _, _guard)) = instances(backend).await else {
        return;
    };
    curricula_ports::learner_contract::learners(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_passes_learner_contract() {
    learner_contract("sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_passes_learner_contract() {
    learner_contract("postgres").await;
}

async fn key_contract(backend: &str) {
    let Some((store, other, _guard)) = instances(backend).await else {
        return;
    };
    curricula_ports::key_contract::keys_can_be_revoked(&store).await;
    curricula_ports::key_contract::keys_can_be_rotated(&store).await;
    curricula_ports::key_contract::revocation_is_seen_by_other_instances(&store, &other).await;
}

async fn import_contract(backend: &str) {
    let Some((store, other, _guard)) = instances(backend).await else {
        return;
    };
    curricula_ports::imports_contract::import_queue(&store, &other).await;
}

/// A test on each backend of every suite: `suite => (its SQLite test, its Postgres test)`.
macro_rules! on_both_backends {
    ($($suite:ident => ($sqlite:ident, $postgres:ident)),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $sqlite() {
            $suite("sqlite").await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $postgres() {
            $suite("postgres").await;
        }
    )*};
}

on_both_backends! {
    repository_contract => (sqlite_passes_contract, postgres_passes_contract),
    idempotency_and_audit_contracts => (sqlite_passes_idempotency_contract, postgres_passes_idempotency_contract),
    key_contract => (sqlite_passes_key_contract, postgres_passes_key_contract),
    import_contract => (sqlite_passes_import_contract, postgres_passes_import_contract),
}

#[tokio::test]
async fn unusable_databases_are_errors_not_panics() {
    assert!(matches!(Database::connect("mysql://u:secret@h/db", 2).await, Err(ConnectError::Unsupported)));
    // Nothing listens there: a clear error, without the password.
    let err = Database::connect("postgres://u:secret@127.0.0.1:9/db", 2).await.err().expect("an error");
    assert!(matches!(err, ConnectError::Open(_)), "{err}");
    assert!(!err.to_string().contains("secret"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    // A folder where a file is: the database cannot be created.
    let err = Database::connect(&format!("sqlite://{}/db.sqlite", file.display()), 2).await.err().expect("an error");
    assert!(matches!(err, ConnectError::Open(_)), "{err}");
    // Not a database at all.
    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, vec![0xAB; 4096]).unwrap();
    let result = match Database::connect(&format!("sqlite://{}", garbage.display()), 2).await {
        Ok(store) => store.migrate().await.map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    assert!(result.is_err(), "a corrupt file is an error");
}

/// Connections a database restart killed (every one of the pool, ended by another session):
/// one used within the last seconds fails the call that takes it and is then replaced; after a
/// pause, each is tested before it is handed out and the first call succeeds.
#[tokio::test(flavor = "multi_thread")]
async fn connections_a_restart_killed_are_replaced() {
    let Some(db) = TestDatabase::create().await else {
        return;
    };
    let store = Database::connect(db.url(), 4).await.unwrap();
    let killer = Database::connect(db.url(), 1).await.unwrap();
    let kill_all = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                    WHERE datname = current_database() AND pid <> pg_backend_pid()";
    let warm = futures::future::join_all((0..4).map(|_| store.raw_execute("SELECT pg_sleep(0.05)"))).await;
    assert!(warm.iter().all(Result::is_ok), "{warm:?}");

    killer.raw_execute(kill_all).await.unwrap();
    let mut failed = 0;
    while store.ping().await.is_err() {
        failed += 1;
        assert!(failed <= 4, "each dead connection fails one call at most");
    }

    let warm = futures::future::join_all((0..4).map(|_| store.raw_execute("SELECT pg_sleep(0.05)"))).await;
    assert!(warm.iter().all(Result::is_ok), "{warm:?}");
    killer.raw_execute(kill_all).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    for _ in 0..4 {
        store.ping().await.expect("idle connections are tested before they are handed out");
    }
}
