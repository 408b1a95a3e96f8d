//! A throw-away Postgres database for tests (feature `testing`).
//!
//! Tests that need Postgres call [`TestDatabase::create`]: it reads `TEST_DATABASE_URL`
//! (e.g. `postgres://postgres@127.0.0.1:5432/postgres`), creates a fresh database named
//! `curricula_test_…` on that server and drops it when the value is dropped. Without the
//! variable, or without a reachable server, it says so loudly on stderr and returns `None`, so
//! the test is skipped — unless `CURRICULA_REQUIRE_POSTGRES=1` (set by CI), where it panics.

use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use std::io::Write as _;

/// A database created for one test run, dropped (with its connections) on drop.
pub struct TestDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl TestDatabase {
    /// Creates a fresh database, or returns `None` when Postgres is not configured or reachable
    /// and not required.
    ///
    /// # Panics
    /// When `CURRICULA_REQUIRE_POSTGRES=1` and no database can be created.
    pub async fn create() -> Option<Self> {
        let required = std::env::var("CURRICULA_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
        let skip = |why: String| {
            assert!(!required, "CURRICULA_REQUIRE_POSTGRES=1 but {why}");
            // Straight to the process's stderr: the test harness captures `eprintln!`, and a
            // skip must show in a plain `cargo test`.
            let _ = writeln!(
                std::io::stderr(),
                "\n*** SKIPPED: Postgres-backed test: {why} (set TEST_DATABASE_URL to run it) ***\n"
            );
            None
        };
        let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") else {
            return skip("TEST_DATABASE_URL is not set".into());
        };
        let name = format!(
            "curricula_test_{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() % 1_000_000_000_000)
        );
        let mut admin = match AsyncPgConnection::establish(&admin_url).await {
            Ok(c) => c,
            Err(e) => return skip(format!("the server at TEST_DATABASE_URL cannot be reached ({e})")),
        };
        if let Err(e) = admin.batch_execute(&format!("CREATE DATABASE {name}")).await {
            return skip(format!("CREATE DATABASE failed ({e})"));
        }
        let url = with_database(&admin_url, &name);
        Some(Self { admin_url, name, url })
    }

    /// The URL of the fresh database.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Its own thread and runtime: drop may run inside (or outside) any runtime.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let mut admin = AsyncPgConnection::establish(&admin_url).await.ok()?;
                admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(()))) {
            eprintln!("could not drop test database {}", self.name);
        }
    }
}

/// `url` with its database name replaced by `name` (query parameters kept).
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_database_name_is_replaced() {
        use super::with_database;
        assert_eq!(with_database("postgres://u@h:5432/postgres", "t"), "postgres://u@h:5432/t");
        assert_eq!(with_database("postgres://u:p@h/db?sslmode=disable", "t"), "postgres://u:p@h/t?sslmode=disable");
        assert_eq!(with_database("postgres://h", "t"), "postgres://h/t");
    }
}
