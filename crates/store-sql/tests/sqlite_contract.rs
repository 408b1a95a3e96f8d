//! The repository contract suite on a fresh SQLite file, and failures that must be errors.

use curricula_store_sql::{ConnectError, SqlStore};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_passes_contract() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqlStore::connect(&format!("sqlite://{}", dir.path().join("contract.db").display()), 4)
        .await
        .unwrap();
    store.migrate().await.unwrap();
    store.migrate().await.unwrap();
    curricula_ports::contract::run_all(&store).await;
}

#[tokio::test]
async fn unusable_databases_are_errors_not_panics() {
    assert!(matches!(
        SqlStore::connect("postgres://u:secret@h/db", 2).await,
        Err(ConnectError::Unsupported)
    ));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    // A folder where a file is: the database cannot be created.
    let err = SqlStore::connect(&format!("sqlite://{}/db.sqlite", file.display()), 2)
        .await
        .err()
        .expect("an error");
    assert!(!err.to_string().contains("secret"));
    // Not a database at all.
    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, vec![0xAB; 4096]).unwrap();
    let result = match SqlStore::connect(&format!("sqlite://{}", garbage.display()), 2).await {
        Ok(store) => store.migrate().await.map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    assert!(result.is_err(), "a corrupt file is an error");
}
