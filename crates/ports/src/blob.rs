//! The blob-store port: where package files live (local folder, S3, memory).

use crate::error::BoxError;
use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use std::fmt;
use std::io::Read;
use std::ops::Range;

/// A `/`-separated object key with no empty, `.` or `..` segment, no backslash and no NUL.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobKey(String);

impl BlobKey {
    /// Checks `raw` and wraps it.
    ///
    /// # Errors
    /// `InvalidKey` when a segment is empty, `.` or `..`, or the key holds `\` or NUL.
    pub fn new(raw: impl Into<String>) -> Result<Self, BlobError> {
        let raw = raw.into();
        let bad = raw.is_empty()
            || raw.contains(['\\', '\0'])
            || raw.split('/').any(|s| s.is_empty() || s == "." || s == "..");
        if bad {
            return Err(BlobError::InvalidKey(raw));
        }
        Ok(Self(raw))
    }

    /// `self/rel`, checked like [`BlobKey::new`].
    ///
    /// # Errors
    /// `InvalidKey` when `rel` is not a valid relative key.
    pub fn join(&self, rel: &str) -> Result<Self, BlobError> {
        Self::new(format!("{}/{rel}", self.0))
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BlobKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for BlobKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlobKey({:?})", self.0)
    }
}

/// One stored object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobMeta {
    /// Its key.
    pub key: BlobKey,
    /// Its size in bytes.
    pub size: u64,
    /// When it was last written.
    pub modified: DateTime<Utc>,
}

/// What [`BlobStore::head`] tells about one object without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobInfo {
    /// Its size in bytes.
    pub size: u64,
    /// When it was last written.
    pub modified: DateTime<Utc>,
    /// An opaque version tag from the store (changes when the object is replaced), if the
    /// store has one.
    pub version: Option<String>,
}

/// The contents of an object (or a byte range of it), as it is read from the store.
pub type BlobStream = BoxStream<'static, Result<Bytes, BlobError>>;

/// Why a blob-store call failed.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// No object has that key.
    #[error("blob {0} was not found")]
    NotFound(String),
    /// The key is not a valid relative key.
    #[error("invalid blob key {0:?}")]
    InvalidKey(String),
    /// Reading the contents to store failed (the source, not the store).
    #[error("reading the contents to store failed")]
    Source(#[source] std::io::Error),
    /// The store failed.
    #[error("the blob store failed")]
    Backend(#[source] BoxError),
}

/// Object storage for package files.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait BlobStore: Send + Sync {
    /// A cheap request to the store, for readiness probes. The default lists an empty folder;
    /// adapters may do something cheaper.
    ///
    /// # Errors
    /// MUST return `Backend` when the store cannot be reached.
    async fn check(&self) -> Result<(), BlobError> {
        self.list(&BlobKey::new(".readyz")?).await.map(|_| ())
    }

    /// Stores everything `contents` yields under `key`, streamed in bounded memory, replacing
    /// any object there; returns the bytes written. Runs on a blocking thread (package
    /// extraction calls it from its worker threads), never inside an async task.
    ///
    /// # Errors
    /// MUST return `Source` when `contents` fails, and then leave no object at `key`.
    fn put_blocking(&self, key: &BlobKey, contents: &mut dyn Read, content_type: &str) -> Result<u64, BlobError>;

    /// Stores `bytes` under `key`, replacing any object there.
    ///
    /// # Errors
    /// MUST return `Backend` when the store fails.
    async fn put(&self, key: &BlobKey, bytes: Bytes, content_type: &str) -> Result<(), BlobError>;

    /// The whole object at `key`.
    ///
    /// # Errors
    /// MUST return `NotFound` when there is none.
    async fn get(&self, key: &BlobKey) -> Result<Bytes, BlobError>;

    /// Size, modification time and version tag of the object at `key`.
    ///
    /// # Errors
    /// MUST return `NotFound` when there is none.
    async fn head(&self, key: &BlobKey) -> Result<BlobInfo, BlobError>;

    /// The object at `key` (or the bytes `range` of it) as a stream of chunks, so that a large
    /// object is never held in memory whole.
    ///
    /// # Errors
    /// MUST return `NotFound` when there is none, and an error (never a panic) when `range`
    /// does not lie within the object; callers check ranges against [`BlobStore::head`].
    async fn get_stream(&self, key: &BlobKey, range: Option<Range<u64>>) -> Result<BlobStream, BlobError>;

    /// Every object whose key starts with `prefix/`, in key order.
    ///
    /// # Errors
    /// MUST return `Backend` only when the store fails; an empty prefix lists nothing.
    async fn list(&self, prefix: &BlobKey) -> Result<Vec<BlobMeta>, BlobError>;

    /// Deletes every object under `prefix/`; returns how many were deleted.
    ///
    /// # Errors
    /// MUST return `Backend` only when the store fails; deleting nothing is not an error.
    async fn delete_prefix(&self, prefix: &BlobKey) -> Result<usize, BlobError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cannot_escape() {
        for bad in ["", "/a", "a/", "a//b", "a/../b", "./a", "a\\b", "a\0b", ".."] {
            assert!(BlobKey::new(bad).is_err(), "{bad:?}");
        }
        let k = BlobKey::new("packages/1/ab").unwrap();
        assert_eq!(k.join("index.html").unwrap().as_str(), "packages/1/ab/index.html");
        assert!(k.join("../x").is_err());
    }
}
