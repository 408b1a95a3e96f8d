//! The store's errors and the mapping of diesel's to the ports' (a leaf: every other file may
//! use it).

use chrono::{DateTime, Utc};
use curricula_ports::StoreError;
use diesel::result::{DatabaseErrorKind, Error as DbError};

/// How long a request waits for a pooled connection (or for one to be made) before the
/// database counts as unavailable (503).
pub(crate) const CONNECTION_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Why the database could not be opened. Messages never contain the URL.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The URL's scheme is not one this build supports.
    #[error("database url scheme not supported (use sqlite://path/to/file.db or postgres://user@host/db)")]
    Unsupported,
    /// The database cannot be reached or created.
    #[error("cannot open the database: {0}")]
    Open(String),
}

/// A failure inside a transaction: the database's, or the operation's own refusal.
pub(crate) enum TxError<E> {
    Db(DbError),
    Refused(E),
}

impl<E> From<DbError> for TxError<E> {
    fn from(e: DbError) -> Self {
        Self::Db(e)
    }
}

impl<E: From<StoreError>> TxError<E> {
    /// The port's error: the refusal, or the database's error mapped by [`store_error`].
    pub(crate) fn into_port(self) -> E {
        match self {
            Self::Db(e) => store_error(e).into(),
            Self::Refused(e) => e,
        }
    }
}

/// Maps a database error to the port's: a lost connection or a busy database is
/// `Unavailable` (503, retry later), anything else `Backend`.
pub(crate) fn store_error(e: DbError) -> StoreError {
    if is_unavailable(&e) { StoreError::Unavailable(Box::new(e)) } else { StoreError::Backend(Box::new(e)) }
}

/// Whether `e` says the database cannot be used right now (rather than that it refused).
pub(crate) fn is_unavailable(e: &DbError) -> bool {
    match e {
        DbError::DatabaseError(DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand, _)
        | DbError::BrokenTransactionManager => true,
        DbError::DatabaseError(DatabaseErrorKind::Unknown, info) => {
            let message = info.message();
            // SQLite's busy database; Postgres's "terminating connection due to administrator
            // command" and other lost sessions.
            message.contains("locked") || message.contains("connection") || message.contains("shutting down")
        }
        DbError::RollbackErrorOnCommit { commit_error, .. } => is_unavailable(commit_error),
        _ => false,
    }
}

/// Maps a unique violation to the refusal `refusal` gives, any other error to a database error.
pub(crate) fn unique_or<E>(refusal: impl FnOnce() -> E) -> impl FnOnce(DbError) -> TxError<E> {
    move |e| match e {
        DbError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => TxError::Refused(refusal()),
        e => TxError::Db(e),
    }
}

pub(crate) fn now_naive(now: DateTime<Utc>) -> chrono::NaiveDateTime {
    now.naive_utc()
}

/// Stored data that does not make sense (a corrupt path): a backend failure, never a panic.
pub(crate) fn corrupt(e: impl std::error::Error + Send + Sync + 'static) -> DbError {
    DbError::DeserializationError(Box::new(e))
}
