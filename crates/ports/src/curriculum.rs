//! The curriculum repository: reading records, and changing one path atomically.

use crate::error::StoreError;
use crate::query::{Listed, RecordFilter, Slice};
use async_trait::async_trait;
use curricula_domain::curriculum::{Curriculum, CurriculumErrors, CurriculumRecord};
use curricula_domain::{ActivityId, RecordId, TenantId};

/// A change to one path: a pure function of the loaded curriculum and the id a record it
/// creates must take. It returns the id of the record it created or changed, if any.
pub type CurriculumChange =
    Box<dyn FnOnce(&mut Curriculum, RecordId) -> Result<Option<RecordId>, CurriculumErrors> + Send>;

/// Why a change was not applied.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// `curriculum_id` is not a path (course) of the tenant.
    #[error("curriculum_id {0} is not a path of your account")]
    PathNotFound(ActivityId),
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

    /// Loads path `curriculum` with its writers excluded, applies `change`, writes the
    /// difference, and returns the record whose id `change` returned, as numbered afterwards.
    ///
    /// # Errors
    /// MUST return `PathNotFound` when `curriculum` is not a course of the tenant and
    /// `Refused` when `change` refuses; in both cases nothing is written. Concurrent changes
    /// of one path MUST serialise.
    async fn change(
        &self,
        tenant: TenantId,
        curriculum: ActivityId,
        change: CurriculumChange,
    ) -> Result<Option<CurriculumRecord>, ChangeError>;
}
