//! The error of the v2 reads (lists, one activity, a launch): the server renders it as an
//! array of messages.

use crate::auth::AuthError;
use curricula_ports::StoreError;

/// Why a v2 read failed.
#[derive(Debug, thiserror::Error)]
pub enum V2Error {
    /// No key, or an unknown one.
    #[error("invalid api_key")]
    Unauthorized,
    /// The record in the URL is not the caller's (404).
    #[error("{0}")]
    NotFound(String),
    /// Refused; one message per problem (422).
    #[error("{}", .0.join("; "))]
    Unprocessable(Vec<String>),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<AuthError> for V2Error {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Unauthorized => Self::Unauthorized,
            AuthError::Store(s) => Self::Store(s),
        }
    }
}
