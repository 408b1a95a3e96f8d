//! The curriculum repository: reading records, and changing one path atomically.

use crate::error::StoreError;
use crate::events::Journal;
use crate::query::{Listed, RecordFilter, Slice};
use async_trait::async_trait;
use curricula_domain::curriculum::{CourseRef, Curriculum, CurriculumErrors, CurriculumRecord};
use curricula_domain::{ActivityId, RecordId, TenantId};

/// A change to one path: a pure function of the loaded curriculum and the fresh ids the
/// records it creates must take (as many as [`PathWrite::new_ids`] asks). It returns the id of
/// the record it created or changed, if any.
pub type CurriculumChange =
    Box<dyn FnOnce(&mut Curriculum, &[RecordId]) -> Result<Option<RecordId>, CurriculumErrors> + Send>;

/// A path's version: it grows with every write that changes the path's records (the v2
/// API's `ETag`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PathVersion(pub i64);

/// A version of one path: what an `ETag` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PathTag {
    /// The path.
    pub path: ActivityId,
    /// Its version.
    pub version: PathVersion,
}

/// The path a write changes: named by its id, or found through one of its records (a record
/// never leaves its path), in the write's transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathOf {
    /// The path (course) with this id.
    Path(ActivityId),
    /// The path holding this record.
    Holding(RecordId),
}

impl From<ActivityId> for PathOf {
    fn from(path: ActivityId) -> Self {
        Self::Path(path)
    }
}

/// One write of a path: the change, the fresh ids it may use, and the versions it may apply to.
pub struct PathWrite {
    /// Applied to the path as loaded under its lock.
    pub change: CurriculumChange,
    /// How many fresh record ids the change is handed (at most that many records are new).
    pub new_ids: usize,
    /// When set, the write applies only when one of these tags names the path at its current
    /// version (`If-Match`; tags of other paths never match); otherwise
    /// [`ChangeError::VersionMismatch`] and nothing is written.
    pub if_match: Option<Vec<PathTag>>,
    /// Appended in the write's transaction when the path changed (a write that changes
    /// nothing appends nothing).
    pub journal: Journal<Changed>,
}

impl PathWrite {
    /// `change`, handed `new_ids` fresh ids, whatever the path's version.
    pub fn new(new_ids: usize, change: CurriculumChange) -> Self {
        Self {
            change,
            new_ids,
            if_match: None,
            journal: Journal::none(),
        }
    }

    /// Appending `journal` when the path changes.
    #[must_use]
    pub fn journal(mut self, journal: Journal<Changed>) -> Self {
        self.journal = journal;
        self
    }

    /// Only when one of `tags` names the path at its version (`None`: any).
    #[must_use]
    pub fn if_match(mut self, tags: Option<Vec<PathTag>>) -> Self {
        self.if_match = tags;
        self
    }
}

/// What a write left: the path, the record the change named, as numbered afterwards, and the
/// path's version (unchanged when the change changed nothing).
#[derive(Debug, Clone, PartialEq)]
pub struct Changed {
    /// The path written.
    pub path: ActivityId,
    /// The record whose id the change returned.
    pub record: Option<CurriculumRecord>,
    /// The path's version after the write.
    pub version: PathVersion,
}

/// Why a change was not applied.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// `curriculum_id` is not a path (course) of the tenant.
    #[error("curriculum_id {0} is not a path of your account")]
    PathNotFound(ActivityId),
    /// The path's version is not one the write was conditioned on; nothing was written.
    #[error("the path changed: its version is now {}", current.version.0)]
    VersionMismatch {
        /// The path and its current version.
        current: PathTag,
    },
    /// The domain refused the change; nothing was written.
    #[error(transparent)]
    Refused(#[from] CurriculumErrors),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Curricula of paths, as records.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait CurriculumRepository: Send + Sync {
    /// The tenant's record `id`, numbered, or `None` (also for another tenant's).
    ///
    /// # Errors
    /// MUST return `Err` only when the store fails.
    async fn record(&self, tenant: TenantId, id: RecordId) -> Result<Option<CurriculumRecord>, StoreError>;

    /// The slice `slice` of the tenant's records that match `filter` (its `course` part on
    /// each record's path), ordered by path then `lft`, and how many match in all. Runs in
    /// the store: the cost follows the slice and the matches, not the tenant's records.
    ///
    /// # Errors
    /// MUST return `Err` only when the store fails.
    async fn list_records(
        &self,
        tenant: TenantId,
        filter: &RecordFilter,
        slice: Slice,
    ) -> Result<Listed<CurriculumRecord>, StoreError>;

    /// Loads the path `of` names with its writers excluded, checks `write.if_match`, applies
    /// `write.change` with `write.new_ids` ids never given before, writes the difference in
    /// one transaction (nothing, and the version unchanged, when there is none), and returns
    /// the path, the record whose id the change returned, as numbered afterwards, and the
    /// version.
    ///
    /// # Errors
    /// MUST return `PathNotFound` when a [`PathOf::Path`] is not a course of the tenant,
    /// `Refused` with `RecordNotFound` when a [`PathOf::Holding`] names no record of the
    /// tenant, `VersionMismatch` when no tag of `if_match` names the path at its version, and
    /// `Refused` when the change refuses; in every case nothing is written. Concurrent changes
    /// of one path MUST serialise.
    async fn change(&self, tenant: TenantId, of: PathOf, write: PathWrite) -> Result<Changed, ChangeError>;

    /// Path `curriculum` of the tenant as stored, with its version, or `None` when it is not a
    /// course of the tenant. The version is read before the records: a write in between
    /// gives an older version with newer records, so a write conditioned on it is refused
    /// (never one applied over records the caller did not see).
    ///
    /// # Errors
    /// MUST return `Err` only when the store fails.
    async fn path(
        &self,
        tenant: TenantId,
        curriculum: ActivityId,
    ) -> Result<Option<(Curriculum, PathVersion)>, StoreError>;

    /// The tenant's activities among `ids` as a path entry refers to them (id, kind, name);
    /// ids of other tenants or of nothing are left out.
    ///
    /// # Errors
    /// MUST return `Err` only when the store fails.
    async fn course_refs(&self, tenant: TenantId, ids: &[ActivityId]) -> Result<Vec<CourseRef>, StoreError>;
}
