//! Asynchronous imports: upload writes (`/new`, `/addlanguage`, `/replace`) accepted with
//! `Prefer: respond-async` and run later by a worker. The database is the queue: a job is
//! leased (until an expiry) by one instance at a time, and its final status is written with
//! its `import.finished` event in one transaction.

use crate::error::StoreError;
use crate::events::Journal;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use curricula_domain::{ActivityId, ApiKeyId, TenantId};
use std::fmt;

/// An import job's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ImportId(pub i64);

impl fmt::Display for ImportId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Which upload write a job makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImportKind {
    /// `POST /api/activityupload/new`.
    New,
    /// `POST /api/activityupload/addlanguage`.
    AddLanguage,
    /// `POST /api/activityupload/replace`.
    Replace,
}

impl ImportKind {
    /// Its stored name: `new`, `addlanguage`, `replace`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::AddLanguage => "addlanguage",
            Self::Replace => "replace",
        }
    }

    /// The kind stored as `name`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "new" => Some(Self::New),
            "addlanguage" => Some(Self::AddLanguage),
            "replace" => Some(Self::Replace),
            _ => None,
        }
    }
}

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImportStatus {
    /// Waiting for a worker.
    Queued,
    /// Leased by a worker.
    Running,
    /// Done; the write was made.
    Succeeded,
    /// Done; the write was refused or failed, and nothing was made.
    Failed,
}

impl ImportStatus {
    /// Its name on the wire and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }

    /// The status stored as `name` (`queued` for anything unknown).
    pub fn parse(name: &str) -> Self {
        match name {
            "running" => Self::Running,
            "succeeded" => Self::Succeeded,
            "failed" => Self::Failed,
            _ => Self::Queued,
        }
    }

    /// Succeeded or failed.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed)
    }
}

/// A job to queue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewImport {
    /// The tenant.
    pub tenant: TenantId,
    /// The key that submitted it (the write is made as this key).
    pub api_key: ApiKeyId,
    /// The key's origin, when it has one.
    pub origin: Option<String>,
    /// The submitting request's id.
    pub request_id: Option<String>,
    /// Which write.
    pub kind: ImportKind,
    /// The request's fields (without the credentials), as a JSON object of strings.
    pub fields: serde_json::Value,
    /// The blob key of the spooled package, when one was sent.
    pub blob_key: Option<String>,
    /// The package's SHA-256 (lowercase hex), when one was sent.
    pub sha256: Option<String>,
    /// The package's size in bytes (0 without one).
    pub size: u64,
    /// When it was submitted.
    pub now: DateTime<Utc>,
}

/// A job as `GET /api/v2/imports/{id}` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Import {
    /// Its id.
    pub id: ImportId,
    /// Its tenant.
    pub tenant: TenantId,
    /// Which write.
    pub kind: ImportKind,
    /// Where it is.
    pub status: ImportStatus,
    /// The activity written, once succeeded.
    pub activity: Option<ActivityId>,
    /// Why it failed (the message the synchronous call would answer).
    pub error: Option<String>,
    /// The package's inspection warnings, once succeeded.
    pub warnings: Vec<String>,
    /// When it was submitted.
    pub created_at: DateTime<Utc>,
    /// When it finished.
    pub finished_at: Option<DateTime<Utc>>,
}

/// A job leased to a worker: everything needed to run it.
#[derive(Debug, Clone, PartialEq)]
pub struct LeasedImport {
    /// Its id.
    pub id: ImportId,
    /// Its tenant.
    pub tenant: TenantId,
    /// The key that submitted it.
    pub api_key: ApiKeyId,
    /// The key's origin.
    pub origin: Option<String>,
    /// The submitting request's id.
    pub request_id: Option<String>,
    /// Which write.
    pub kind: ImportKind,
    /// The request's fields.
    pub fields: serde_json::Value,
    /// The spooled package's key.
    pub blob_key: Option<String>,
    /// The package's SHA-256.
    pub sha256: Option<String>,
    /// The package's size.
    pub size: u64,
    /// How many times it was leased, this time included (more than 1: an earlier worker
    /// stopped before finishing it).
    pub attempts: u32,
}

/// How a job ended.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportOutcome {
    /// `Succeeded` or `Failed`.
    pub status: ImportStatus,
    /// The activity written.
    pub activity: Option<ActivityId>,
    /// Why it failed.
    pub error: Option<String>,
    /// The package's warnings.
    pub warnings: Vec<String>,
    /// When it finished.
    pub now: DateTime<Utc>,
}

/// The jobs.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait ImportRepository: Send + Sync {
    /// Queues a job; answers it as stored (`queued`).
    ///
    /// # Errors
    /// MUST return `Err` only when the store fails.
    async fn create_import(&self, new: NewImport) -> Result<Import, StoreError>;

    /// The tenant's job `id`; `None` when it has none of that id.
    ///
    /// # Errors
    /// MUST return `Err` only when the store fails.
    async fn import(&self, tenant: TenantId, id: ImportId) -> Result<Option<Import>, StoreError>;

    /// Leases the oldest job that is queued, or running under a lease that expired before
    /// `now`, to `owner` until `until`: it becomes `running`, its attempts grow by one. Two
    /// callers never lease the same job at once.
    ///
    /// # Errors
    /// MUST return `Err` only when the store fails.
    async fn lease_import(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<LeasedImport>, StoreError>;

    /// Extends `owner`'s lease of job `id` to `until`; false when `owner` no longer holds it.
    ///
    /// # Errors
    /// MUST return `Err` only when the store fails.
    async fn renew_import(&self, id: ImportId, owner: &str, until: DateTime<Utc>) -> Result<bool, StoreError>;

    /// Writes the final status of job `id`, which `owner` holds, and appends what `journal`
    /// makes of the finished job, in one transaction; `None` (and nothing written) when
    /// `owner` no longer holds the lease or the job is finished already.
    ///
    /// # Errors
    /// MUST return `Err` only when the store fails.
    async fn finish_import(
        &self,
        id: ImportId,
        owner: &str,
        outcome: ImportOutcome,
        journal: Journal<Import>,
    ) -> Result<Option<Import>, StoreError>;

    /// The activity of the upload write (an `activity.created`, `language_version.added` or
    /// `package.replaced` event) the tenant's log holds with `request_id`: how a worker that
    /// takes over a job finds whether the one before it made its write already.
    ///
    /// # Errors
    /// MUST return `Err` only when the store fails.
    async fn written_by(&self, tenant: TenantId, request_id: &str) -> Result<Option<ActivityId>, StoreError>;
}
