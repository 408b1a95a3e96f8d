//! The errors every port shares: a leaf, so that the ports import it and `lib.rs` re-exports it
//! without either importing the other back.

/// A boxed error from an adapter, kept as the `source` of a port error.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A storage failure that is not the caller's fault.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached right now (connection refused, pool timeout); retrying
    /// later may succeed.
    #[error("the database is unavailable")]
    Unavailable(#[source] BoxError),
    /// Any other failure of the database or of the data in it.
    #[error("the database failed")]
    Backend(#[source] BoxError),
}
