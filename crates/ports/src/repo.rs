//! Repository ports: the tenant directory (tenants, keys, users, organisations, languages) and
//! the activity repository (activities, language versions, their placement in curricula).

use crate::error::StoreError;
use crate::events::Journal;
use crate::query::{ActivityFilter, Listed, Slice};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use curricula_domain::{
    Activity, ActivityId, ActivityKind, ApiKeyId, LanguageCode, LanguageVersionId, Name, OrganisationId, Organisations,
    Origin, PackageRevision, Placement, ScormContent, Tenant, TenantId, UserId, curriculum::CurriculumRecord,
};
use std::fmt;

/// The hex SHA-256 of an API key: the only form a key is ever stored or looked up in.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct KeyHash(pub String);

impl fmt::Debug for KeyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyHash({}…)", &self.0[..self.0.len().min(8)])
    }
}

/// A stored API key (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    /// Its id.
    pub id: ApiKeyId,
    /// The tenant it authenticates.
    pub tenant: TenantId,
    /// The origin it is bound to; only bound keys work on the upload API.
    pub origin: Option<Origin>,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
    /// When it was revoked: from then on it authenticates nothing.
    pub revoked_at: Option<DateTime<Utc>>,
    /// When it stops working (set by a rotation: the end of the old key's grace period).
    pub expires_at: Option<DateTime<Utc>>,
}

impl ApiKeyRecord {
    /// Whether the key authenticates at `now`: not revoked and not past its expiry.
    pub fn usable_at(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|end| now < end)
    }

    /// When the key stops working once rotated at `now` with a grace period ending at
    /// `grace_end`: that end, or an earlier expiry it already has (a rotation never lengthens
    /// a grace period). `None` when the key no longer works at `now` (it cannot be rotated).
    pub fn expiry_after_rotation(&self, now: DateTime<Utc>, grace_end: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.usable_at(now)
            .then(|| self.expires_at.map_or(grace_end, |e| e.min(grace_end)))
    }
}

/// A user of a tenant; owner of uploads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Its id.
    pub id: UserId,
    /// The tenant.
    pub tenant: TenantId,
    /// User name, unique within the tenant.
    pub username: String,
}

/// An organisation (department) of a tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisation {
    /// The id partners use, unique within the tenant.
    pub id: OrganisationId,
    /// The tenant.
    pub tenant: TenantId,
    /// Display name.
    pub name: String,
}

/// Why an administrative write of the tenant directory failed.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// The tenant does not exist.
    #[error("tenant {0} was not found")]
    TenantNotFound(TenantId),
    /// A unique value is taken (user name, organisation id).
    #[error("{0} already exists")]
    Duplicate(String),
    /// The tenant has no API key with this id.
    #[error("the tenant has no key {0}")]
    KeyNotFound(ApiKeyId),
    /// The key is revoked or past its expiry, so it cannot be rotated.
    #[error("key {0} is revoked or has expired; issue a new key with `curricula admin key create`")]
    KeyUnusable(ApiKeyId),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Tenants and what belongs to them.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait TenantDirectory: Send + Sync {
    /// A cheap round trip to the backing store, for readiness probes. The default looks up
    /// tenant 0 (which never exists); adapters may do something cheaper.
    ///
    /// # Errors
    /// MUST return an error when the store cannot be reached.
    async fn ping(&self) -> Result<(), StoreError> {
        self.tenant(TenantId(0)).await.map(|_| ())
    }

    /// Creates a tenant whose enabled languages are `languages` plus `default_language`.
    ///
    /// # Errors
    /// MUST return `Store` only when the store fails.
    async fn create_tenant(
        &self,
        name: &str,
        default_language: &LanguageCode,
        languages: &[LanguageCode],
    ) -> Result<Tenant, DirectoryError>;

    /// The tenant with `id`, if any.
    ///
    /// # Errors
    /// MUST return `Err` only when the store fails.
    async fn tenant(&self, id: TenantId) -> Result<Option<Tenant>, StoreError>;

    /// Every tenant, by id.
    ///
    /// # Errors
    /// MUST return `Err` only when the store fails.
    async fn tenants(&self) -> Result<Vec<Tenant>, StoreError>;

    /// Enables `code` for the tenant; enabling an enabled language changes nothing.
    ///
    /// # Errors
    /// MUST return `TenantNotFound` for an unknown tenant.
    async fn enable_language(&self, tenant: TenantId, code: &LanguageCode) -> Result<(), DirectoryError>;

    /// Stores a key hash for the tenant, optionally bound to an origin.
    ///
    /// # Errors
    /// MUST return `TenantNotFound` for an unknown tenant, `Duplicate` for a hash already stored.
    async fn create_api_key(
        &self,
        tenant: TenantId,
        hash: &KeyHash,
        origin: Option<Origin>,
        now: DateTime<Utc>,
    ) -> Result<ApiKeyRecord, DirectoryError>;

    /// The key whose hash is `hash`, if any.
    ///
    /// # Errors
    /// MUST return `Err` only when the store fails.
    async fn api_key(&self, hash: &KeyHash) -> Result<Option<ApiKeyRecord>, StoreError>;

    /// The tenant's keys, by id (revoked and expired ones included).
    ///
    /// # Errors
    /// MUST return `Err` only when the store fails.
    async fn api_keys(&self, tenant: TenantId) -> Result<Vec<ApiKeyRecord>, StoreError>;

    /// The key with id `id`, if any, read from the store on every call (never cached), so
    /// that a revocation is seen at once by every instance. A primary-key lookup: content
    /// requests call it for every file.
    ///
    /// # Errors
    /// MUST return `Err` only when the store fails.
    async fn api_key_by_id(&self, id: ApiKeyId) -> Result<Option<ApiKeyRecord>, StoreError>;

    /// Revokes the tenant's key `id` at `now` and returns its record. Revoking a revoked key
    /// changes nothing (the first revocation time stays).
    ///
    /// # Errors
    /// MUST return `KeyNotFound` when the tenant has no key `id` (another tenant's key
    /// included), changing nothing.
    async fn revoke_api_key(
        &self,
        tenant: TenantId,
        id: ApiKeyId,
        now: DateTime<Utc>,
    ) -> Result<ApiKeyRecord, DirectoryError>;

    /// Rotates the tenant's key `id` in one transaction: stores `hash` as a new key of the
    /// tenant with the same origin, created at `now`, and makes the old key expire at
    /// `old_expires_at` (or keeps an earlier expiry it already has). Returns the old key's
    /// record as changed, then the new key's.
    ///
    /// # Errors
    /// MUST return `KeyNotFound` when the tenant has no key `id`, `KeyUnusable` when it is
    /// revoked or expired at `now`, `Duplicate` for a hash already stored; each changes nothing.
    async fn rotate_api_key(
        &self,
        tenant: TenantId,
        id: ApiKeyId,
        hash: &KeyHash,
        now: DateTime<Utc>,
        old_expires_at: DateTime<Utc>,
    ) -> Result<(ApiKeyRecord, ApiKeyRecord), DirectoryError>;

    /// Creates a user.
    ///
    /// # Errors
    /// MUST return `TenantNotFound` for an unknown tenant, `Duplicate` when the tenant already
    /// has that user name.
    async fn create_user(&self, tenant: TenantId, username: &str) -> Result<User, DirectoryError>;

    /// The tenant's user called `username` (exact match), if any.
    ///
    /// # Errors
    /// MUST return `Err` only when the store fails.
    async fn user(&self, tenant: TenantId, username: &str) -> Result<Option<User>, StoreError>;

    /// The tenant's users, by id.
    ///
    /// # Errors
    /// MUST return `Err` only when the store fails.
    async fn users(&self, tenant: TenantId) -> Result<Vec<User>, StoreError>;

    /// Creates an organisation with the given id, or the tenant's highest id plus one.
    ///
    /// # Errors
    /// MUST return `TenantNotFound` for an unknown tenant, `Duplicate` when the id is taken in
    /// that tenant.
    async fn create_organisation(
        &self,
        tenant: TenantId,
        name: &str,
        id: Option<OrganisationId>,
    ) -> Result<Organisation, DirectoryError>;

    /// The tenant's organisations, by id.
    ///
    /// # Errors
    /// MUST return `Err` only when the store fails.
    async fn organisations(&self, tenant: TenantId) -> Result<Vec<Organisation>, StoreError>;
}

/// A new activity with its first language version and where it goes.
#[derive(Debug, Clone, PartialEq)]
pub struct NewActivity {
    /// Owning tenant.
    pub tenant: TenantId,
    /// Scorm or course.
    pub kind: ActivityKind,
    /// Name, also the first version's title.
    pub name: Name,
    /// The uploading user.
    pub owner: UserId,
    /// Which organisations see it.
    pub organisations: Organisations,
    /// Top level, or appended to a course's last section.
    pub placement: Placement,
    /// The tenant's default language: the first version's language.
    pub language: LanguageCode,
    /// Package data, for SCORM.
    pub scorm: Option<ScormContent>,
    /// The partner's own id for it (`externalId`), unique per tenant.
    pub external_id: Option<String>,
    /// The key that uploaded it (recorded with the package's revision 1).
    pub api_key: Option<ApiKeyId>,
    /// Creation time.
    pub now: DateTime<Utc>,
}

/// Why creating an activity failed.
#[derive(Debug, thiserror::Error)]
pub enum CreateActivityError {
    /// `placement` names no activity of the tenant.
    #[error("parentActivityId {0} was not found")]
    ParentNotFound(ActivityId),
    /// `placement` names an activity that is not a course.
    #[error("parentActivityId {0} is not a course")]
    ParentNotACourse(ActivityId),
    /// Some organisations do not exist in the tenant.
    #[error("organisationIds {0:?} were not found")]
    UnknownOrganisations(Vec<OrganisationId>),
    /// Another activity of the tenant has this `externalId`.
    #[error("externalId {0:?} is taken")]
    ExternalIdTaken(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A language version to add to an existing activity.
#[derive(Debug, Clone, PartialEq)]
pub struct NewLanguageVersion {
    /// Owning tenant.
    pub tenant: TenantId,
    /// The activity.
    pub activity: ActivityId,
    /// Its language.
    pub language: LanguageCode,
    /// Its title.
    pub title: Name,
    /// Package data, for SCORM activities.
    pub scorm: Option<ScormContent>,
    /// The key that uploaded it (recorded with the package's revision 1).
    pub api_key: Option<ApiKeyId>,
    /// Creation time.
    pub now: DateTime<Utc>,
}

/// A new package for an existing SCORM language version.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRevision {
    /// Owning tenant.
    pub tenant: TenantId,
    /// The activity.
    pub activity: ActivityId,
    /// The language version's language.
    pub language: LanguageCode,
    /// The new package, already stored.
    pub content: ScormContent,
    /// The key that uploaded it.
    pub api_key: ApiKeyId,
    /// How many revisions the version keeps (see [`curricula_domain::revisions_to_drop`]).
    pub keep: u32,
    /// Revisions that stopped being current at or after this time are never dropped (now
    /// minus the launch-URL lifetime).
    pub protected_since: DateTime<Utc>,
    /// Upload time.
    pub now: DateTime<Utc>,
}

/// What a replacement or a rollback did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevisionOutcome {
    /// `revision` is now current; the revisions dropped to stay within the count left these
    /// storage prefixes unreferenced (the caller deletes their files).
    Changed {
        /// The current revision.
        revision: u32,
        /// The revision that was current before.
        previous: u32,
        /// Storage prefixes of dropped revisions.
        dropped: Vec<String>,
    },
    /// Nothing changed: `revision` already is current with the same package.
    Unchanged {
        /// The current revision.
        revision: u32,
    },
}

/// Why a replacement or rollback was refused.
#[derive(Debug, thiserror::Error)]
pub enum RevisionError {
    /// The activity does not exist in the tenant.
    #[error("activityId {0} was not found")]
    ActivityNotFound(ActivityId),
    /// The activity is a course, which has no package.
    #[error("activityId {0} is a course")]
    NotScorm(ActivityId),
    /// The activity has no version in that language.
    #[error("activityId {activity} has no {language} language version")]
    NoVersion {
        /// The activity.
        activity: ActivityId,
        /// The language.
        language: LanguageCode,
    },
    /// The version has no such revision (never had, or dropped); `kept` lists those it has.
    #[error("revision {revision} was not found")]
    RevisionNotFound {
        /// The revision asked for.
        revision: u32,
        /// The revisions kept, ascending.
        kept: Vec<u32>,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why adding a language version failed.
#[derive(Debug, thiserror::Error)]
pub enum AddLanguageError {
    /// The activity does not exist in the tenant.
    #[error("activityId {0} was not found")]
    ActivityNotFound(ActivityId),
    /// The activity already has a version in that language.
    #[error("activityId {activity} already has a {language} language version")]
    LanguageExists {
        /// The activity.
        activity: ActivityId,
        /// The language.
        language: LanguageCode,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Activities, their language versions and their placement in curricula.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait ActivityRepository: Send + Sync {
    /// Creates the activity, its first language version, for a course its curriculum (one
    /// default section) and, when placed under a course, its entry as the last of that
    /// course's last section — all or nothing.
    ///
    /// # Errors
    /// MUST return `ParentNotFound` when the parent is not an activity of the tenant,
    /// `ParentNotACourse` when it is not a course, `UnknownOrganisations` listing every id the
    /// tenant does not have, `ExternalIdTaken` when another activity of the tenant has its
    /// `external_id` (also when two requests race); in every error case nothing is stored.
    /// `journal` is appended in the same transaction.
    async fn create_activity(
        &self,
        new: NewActivity,
        journal: Journal<ActivityId>,
    ) -> Result<ActivityId, CreateActivityError>;

    /// Adds a language version to an activity.
    ///
    /// # Errors
    /// MUST return `ActivityNotFound` when the activity is not the tenant's, `LanguageExists`
    /// when it already has that language (also when two requests race); nothing is stored then.
    /// `journal` is appended in the same transaction.
    async fn add_language_version(
        &self,
        new: NewLanguageVersion,
        journal: Journal<LanguageVersionId>,
    ) -> Result<LanguageVersionId, AddLanguageError>;

    /// The tenant's activity `id` with its versions, or `None` (also for another tenant's).
    ///
    /// # Errors
    /// MUST return `Err` only when the store fails.
    async fn activity(&self, tenant: TenantId, id: ActivityId) -> Result<Option<Activity>, StoreError>;

    /// The slice `slice` of the tenant's activities that match `filter`, by id, with their
    /// versions, and how many match in all. Runs in the store: the cost follows the slice.
    ///
    /// # Errors
    /// MUST return `Err` only when the store fails.
    async fn list_activities(
        &self,
        tenant: TenantId,
        filter: &ActivityFilter,
        slice: Slice,
    ) -> Result<Listed<Activity>, StoreError>;

    /// The numbered records of the tenant's path `id` (a course), or `None` when `id` is not a
    /// course of the tenant.
    ///
    /// # Errors
    /// MUST return `Err` only when the store fails.
    async fn curriculum(&self, tenant: TenantId, id: ActivityId) -> Result<Option<Vec<CurriculumRecord>>, StoreError>;

    /// The tenant's activity whose `external_id` is `external_id`, if any.
    ///
    /// # Errors
    /// MUST return `Err` only when the store fails.
    async fn activity_by_external_id(
        &self,
        tenant: TenantId,
        external_id: &str,
    ) -> Result<Option<ActivityId>, StoreError>;

    /// Stores `new` as the next revision of the version's package and makes it current, then
    /// drops the revisions beyond `new.keep` — all or nothing. A package whose SHA-256 is the
    /// current revision's is `Unchanged` and stores nothing.
    ///
    /// # Errors
    /// MUST return `ActivityNotFound`, `NotScorm` or `NoVersion` as their names say; nothing is
    /// stored then. Concurrent replacements of one version MUST get distinct numbers.
    /// `journal` is appended in the same transaction.
    async fn add_revision(
        &self,
        new: NewRevision,
        journal: Journal<RevisionOutcome>,
    ) -> Result<RevisionOutcome, RevisionError>;

    /// Makes revision `revision` of the version current again (`Unchanged` when it is).
    ///
    /// # Errors
    /// As [`add_revision`](Self::add_revision), and `RevisionNotFound` when the version does
    /// not keep that revision.
    async fn rollback(
        &self,
        tenant: TenantId,
        activity: ActivityId,
        language: &LanguageCode,
        revision: u32,
        now: DateTime<Utc>,
        journal: Journal<RevisionOutcome>,
    ) -> Result<RevisionOutcome, RevisionError>;

    /// Every kept revision of the tenant's activity, by language version then number
    /// (empty for another tenant's activity or a course).
    ///
    /// # Errors
    /// MUST return `Err` only when the store fails.
    async fn revisions(&self, tenant: TenantId, activity: ActivityId) -> Result<Vec<PackageRevision>, StoreError>;

    /// Every storage prefix a language version or a kept revision references (for the blob
    /// sweep).
    ///
    /// # Errors
    /// MUST return `Err` only when the store fails.
    async fn storage_prefixes(&self) -> Result<Vec<String>, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 2, hour, 0, 0).unwrap()
    }

    fn key(revoked_at: Option<DateTime<Utc>>, expires_at: Option<DateTime<Utc>>) -> ApiKeyRecord {
        ApiKeyRecord {
            id: ApiKeyId(1),
            tenant: TenantId(1),
            origin: None,
            created_at: at(0),
            revoked_at,
            expires_at,
        }
    }

    #[test]
    fn a_rotation_never_lengthens_a_grace_period_nor_revives_a_key() {
        assert_eq!(key(None, None).expiry_after_rotation(at(1), at(5)), Some(at(5)));
        assert_eq!(key(None, Some(at(3))).expiry_after_rotation(at(1), at(5)), Some(at(3)));
        assert_eq!(key(None, Some(at(9))).expiry_after_rotation(at(1), at(5)), Some(at(5)));
        assert_eq!(key(None, Some(at(1))).expiry_after_rotation(at(1), at(5)), None);
        assert_eq!(key(Some(at(0)), None).expiry_after_rotation(at(1), at(5)), None);
    }
}
