//! The stores of an existing installation, for the commands other than `serve` and `migrate`
//! (which set a database up): they refuse to create a database, naming where they looked and
//! how to point them elsewhere. And which database a blob store belongs to, so that the sweep
//! never judges one installation's packages by another's database.

use crate::app::Adapters;
use crate::settings::Settings;
use anyhow::{Context, bail};
use curricula_ports::{BlobError, BlobKey, BlobStore};
use curricula_store_sql::Database;
use std::path::PathBuf;

/// How to point a command at the service's database.
const POINT_ELSEWHERE: &str = "run it from the folder `curricula serve` runs in, or point it at the service's database \
     with CURRICULA__DATABASE__URL (or database.url in ./curricula.toml or the --config file)";

/// The file of a `sqlite://` URL, absolute (relative URLs are relative to the current folder).
fn sqlite_file(url: &str) -> Option<PathBuf> {
    let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = PathBuf::from(path);
    Some(std::path::absolute(&path).unwrap_or(path))
}

/// The database a URL names, without user or password: `sqlite:/abs/file.db` or
/// `postgres://host:port/db`. What a blob store's claim records, and what messages name.
pub fn database_identity(url: &str) -> String {
    let url = url.trim();
    if let Some(file) = sqlite_file(url) {
        let file = std::fs::canonicalize(&file).unwrap_or(file);
        return format!("sqlite:{}", file.display());
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return "an unrecognised database URL".to_owned();
    };
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let database = path.split(['?', '#']).next().unwrap_or_default();
    format!("{scheme}://{host}/{database}")
}

/// Opens the configured stores of an installation that `serve` or `migrate` has set up.
///
/// # Errors
/// When the SQLite file does not exist, or the database has no Curricula tables (the message
/// names the database and how to point the command elsewhere), or a store cannot be opened.
pub async fn open_existing(settings: &Settings) -> anyhow::Result<Adapters> {
    let url = settings.database.url.trim();
    if let Some(file) = sqlite_file(url) {
        if !file.is_file() {
            let cwd = std::env::current_dir().map_or_else(|_| "?".to_owned(), |d| d.display().to_string());
            bail!(
                "no database at {} (database.url {url:?}, relative to the current folder {cwd}); this command does not \
                 create one: {POINT_ELSEWHERE}; `curricula serve` or `curricula migrate` creates a new one",
                file.display()
            );
        }
    } else {
        let db = Database::connect(url, 1).await.context("opening the database")?;
        let has_schema = db.has_schema().await.context("opening the database")?;
        if !has_schema {
            bail!(
                "the database {} has no Curricula tables; this command does not set one up: {POINT_ELSEWHERE}; \
                 `curricula migrate` sets up a new one",
                database_identity(url)
            );
        }
    }
    Adapters::open(settings).await
}

/// The object in a blob store that records the database it belongs to.
pub const CLAIM: &str = "curricula-database";

/// Whose a blob store is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// No claim yet (a new store, or one written by a version before claims).
    Unclaimed,
    /// It belongs to the database named (as [`database_identity`] writes it).
    Database(String),
}

/// Reads the claim of `blobs`.
///
/// # Errors
/// When the store fails.
pub async fn owner(blobs: &dyn BlobStore) -> Result<Owner, BlobError> {
    match blobs.get(&claim_key()).await {
        Ok(bytes) => Ok(Owner::Database(String::from_utf8_lossy(&bytes).trim().to_owned())),
        Err(BlobError::NotFound(_)) => Ok(Owner::Unclaimed),
        Err(e) => Err(e),
    }
}

fn claim_key() -> BlobKey {
    BlobKey::new(CLAIM).expect("a valid key")
}

/// Claims an unclaimed store for `database` (done by `serve` and `migrate`); returns the
/// owner found. A store claimed by another database is left as it is.
///
/// # Errors
/// When the store fails.
pub async fn claim(blobs: &dyn BlobStore, database: &str) -> Result<Owner, BlobError> {
    let found = owner(blobs).await?;
    if found == Owner::Unclaimed {
        blobs
            .put(&claim_key(), format!("{database}\n").into(), "text/plain")
            .await?;
    }
    Ok(found)
}

/// Whether the sweep may judge `blobs` by `database`: only when the store is claimed by it.
///
/// # Errors
/// Names the database the store belongs to (or that it is unclaimed) and what to do.
pub async fn ensure_sweepable(blobs: &dyn BlobStore, database: &str) -> anyhow::Result<()> {
    match owner(blobs).await.context("reading the blob store's claim")? {
        Owner::Database(owner) if owner == database => Ok(()),
        Owner::Database(owner) => bail!(
            "the blob store belongs to the database {owner} (its {CLAIM} object says so), not to {database}: \
             sweeping it by this database would remove the other's packages. Point storage.url at this installation's \
             own folder or bucket; if the store really moved to this database, replace the content of {CLAIM} with \"{database}\""
        ),
        Owner::Unclaimed => bail!(
            "the blob store records no database yet ({CLAIM} is missing): start `curricula serve` or run `curricula migrate` \
             with these settings once (they claim it for {database}), then sweep"
        ),
    }
}
