//! The Activity Upload API's use cases: create an activity, add a language version.

use crate::auth::{self, AuthError, Caller};
use crate::events::Actor;
use crate::ingest::{self, IngestError, IngestSettings, Package};
use chrono::{DateTime, Utc};
use curricula_domain::{
    Activity, ActivityId, ActivityKind, InvalidField, LanguageCode, Name, OrganisationId, Organisations, Placement,
    ScormContent, UserId,
};
use curricula_ports::{
    ActivityRepository, AddLanguageError, BlobKey, BlobStore, Clock, CreateActivityError, Event, EventType, Journal,
    NewActivity, NewLanguageVersion, NewRevision, RevisionError, RevisionOutcome, StoreError, TenantDirectory,
};
use curricula_scorm::Refusal;
use serde_json::Value;
use std::sync::Arc;

/// `POST /api/activityupload/new`, parsed.
#[derive(Debug, Clone)]
pub struct CreateActivity {
    /// `activityType`.
    pub kind: ActivityKind,
    /// `name`.
    pub name: Name,
    /// `userName`, as sent.
    pub user_name: String,
    /// `organisationIds`.
    pub organisations: Organisations,
    /// `parentActivityId`.
    pub placement: Placement,
    /// `file`, when sent.
    pub package: Option<Package>,
    /// `externalId`: the partner's own id, unique per tenant.
    pub external_id: Option<String>,
}

/// `POST /api/activityupload/addlanguage`, parsed.
#[derive(Debug, Clone)]
pub struct AddLanguage {
    /// `activityId`.
    pub activity: ActivityId,
    /// `languageId`.
    pub language: LanguageCode,
    /// `name`.
    pub name: Name,
    /// `file`, when sent.
    pub package: Option<Package>,
}

/// `POST /api/activityupload/replace`, parsed.
#[derive(Debug, Clone)]
pub struct ReplacePackage {
    /// `activityId`.
    pub activity: ActivityId,
    /// `languageId`.
    pub language: LanguageCode,
    /// `file`.
    pub package: Package,
}

/// `POST /api/activityupload/rollback`, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rollback {
    /// `activityId`.
    pub activity: ActivityId,
    /// `languageId`.
    pub language: LanguageCode,
    /// `revision`.
    pub revision: u32,
}

/// What a replacement or rollback left current.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisionChange {
    /// The activity.
    pub activity: ActivityId,
    /// The language version.
    pub language: LanguageCode,
    /// The current revision now.
    pub revision: u32,
    /// True when nothing changed (the same package, or the revision already current).
    pub unchanged: bool,
}

/// How many package revisions a language version keeps unless configured.
pub const DEFAULT_REVISIONS_KEPT: u32 = 10;
/// How long a superseded revision is protected unless configured: the default launch-URL
/// lifetime.
pub const DEFAULT_PROTECTION_HOURS: i64 = 4;

/// Why an upload call failed. Everything but `Unauthorized`, `Storage`, `Store` and
/// `Internal` is the caller's fault (400).
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// A field is malformed.
    #[error(transparent)]
    Invalid(#[from] InvalidField),
    /// Authentication failed.
    #[error("key or origin not recognised")]
    Unauthorized,
    /// `userName` names no user of the tenant.
    #[error("userName {0:?} was not found in your tenant")]
    UnknownUser(String),
    /// Some `organisationIds` are not the tenant's.
    #[error("organisationIds {} not found in your tenant", join_ids(.0))]
    UnknownOrganisations(Vec<OrganisationId>),
    /// `parentActivityId` names no activity of the tenant.
    #[error("parentActivityId {0} was not found in your tenant")]
    ParentNotFound(ActivityId),
    /// `parentActivityId` names a SCORM activity.
    #[error("parentActivityId {0} is not a course; a SCORM activity cannot contain other activities")]
    ParentNotACourse(ActivityId),
    /// `externalId` is another activity's.
    #[error("externalId {external_id:?} is already used by activityId {activity} in your tenant")]
    ExternalIdTaken {
        /// The id sent.
        external_id: String,
        /// The activity that has it.
        activity: ActivityId,
    },
    /// `activityId` names no activity of the tenant.
    #[error("activityId {0} was not found in your tenant")]
    ActivityNotFound(ActivityId),
    /// `languageId` is not enabled for the tenant.
    #[error("languageId {0} is not enabled for your tenant")]
    LanguageNotEnabled(LanguageCode),
    /// The activity already has that language.
    #[error("activityId {activity} already has a {language} language version")]
    LanguageExists {
        /// The activity.
        activity: ActivityId,
        /// The language.
        language: LanguageCode,
    },
    /// A SCORM activity needs a package.
    #[error("file is required for a SCORM activity")]
    MissingFile,
    /// A replacement or rollback named a course.
    #[error("activityId {0} is a course; only a SCORM activity has a package to replace or roll back")]
    NotScorm(ActivityId),
    /// A replacement or rollback named a language the activity does not have.
    #[error("activityId {activity} has no {language} language version")]
    NoVersion {
        /// The activity.
        activity: ActivityId,
        /// The language.
        language: LanguageCode,
    },
    /// A rollback named a revision the version does not keep.
    #[error("revision {revision} of activityId {activity} ({language}) was not found; the revisions kept are {}", join_numbers(.kept))]
    RevisionNotFound {
        /// The activity.
        activity: ActivityId,
        /// The language.
        language: LanguageCode,
        /// The revision asked for.
        revision: u32,
        /// Those kept.
        kept: Vec<u32>,
    },
    /// The package was refused.
    #[error("SCORM package refused ({}): {}", .0.kind.as_str(), .0.message)]
    Package(Refusal),
    /// Storing the files failed.
    #[error("storing the package failed")]
    Storage(#[source] IngestError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One check a dry run passed: the field it concerns and what was found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Check {
    /// The form field (`userName`, `organisationIds`, `parentActivityId`, `externalId`,
    /// `activityId`, `languageId`, `file`).
    pub field: &'static str,
    /// What was found, for people.
    pub detail: String,
}

impl Check {
    fn new(field: &'static str, detail: impl Into<String>) -> Self {
        Self {
            field,
            detail: detail.into(),
        }
    }
}

/// The package of a dry run: its digest and everything inspection found.
#[derive(Debug, Clone, PartialEq)]
pub struct PackageReport {
    /// Lowercase hex SHA-256 of the file.
    pub sha256: String,
    /// Its size in bytes.
    pub size: u64,
    /// The manifest data, item tree, files and warnings.
    pub inspection: curricula_scorm::Inspection,
}

/// What a dry run (`/validate`) found: every check passed, and the package report.
#[derive(Debug, Clone, PartialEq)]
pub struct Validation {
    /// `new` or `addlanguage`: which request was checked.
    pub operation: &'static str,
    /// The checks, in the order the real request makes them.
    pub checks: Vec<Check>,
    /// The package, when one is checked (SCORM).
    pub package: Option<PackageReport>,
}

/// What the checks of `/new` found.
struct CreateChecked<'r> {
    owner: UserId,
    language: LanguageCode,
    package: Option<&'r Package>,
    checks: Vec<Check>,
}

/// What the checks of `/addlanguage` found.
struct AddChecked<'r> {
    activity: Activity,
    package: Option<&'r Package>,
    checks: Vec<Check>,
}

fn join_numbers(numbers: &[u32]) -> String {
    numbers.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

fn join_ids(ids: &[OrganisationId]) -> String {
    ids.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")
}

impl From<AuthError> for UploadError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Unauthorized => Self::Unauthorized,
            AuthError::Store(e) => Self::Store(e),
        }
    }
}

impl From<IngestError> for UploadError {
    fn from(e: IngestError) -> Self {
        match e {
            IngestError::Refused(r) => Self::Package(r),
            other => Self::Storage(other),
        }
    }
}

/// What a readiness probe found: `Err` holds the failure's message (its top level only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readiness {
    /// The database (the tenant directory's store).
    pub database: Result<(), String>,
    /// The blob store.
    pub blob_store: Result<(), String>,
}

impl Readiness {
    /// Both answered.
    pub fn is_ready(&self) -> bool {
        self.database.is_ok() && self.blob_store.is_ok()
    }
}

/// The upload use cases over a tenant directory `D`, an activity repository `A` and a blob
/// store `B`.
pub struct UploadService<D: ?Sized, A: ?Sized, B: ?Sized> {
    directory: Arc<D>,
    activities: Arc<A>,
    blobs: Arc<B>,
    clock: Arc<dyn Clock>,
    ingest: IngestSettings,
    revisions_kept: u32,
    revision_protection: chrono::Duration,
}

impl<D: ?Sized, A: ?Sized, B: ?Sized> Clone for UploadService<D, A, B> {
    fn clone(&self) -> Self {
        Self {
            directory: Arc::clone(&self.directory),
            activities: Arc::clone(&self.activities),
            blobs: Arc::clone(&self.blobs),
            clock: Arc::clone(&self.clock),
            ingest: self.ingest.clone(),
            revisions_kept: self.revisions_kept,
            revision_protection: self.revision_protection,
        }
    }
}

impl<D, A, B> UploadService<D, A, B>
where
    D: TenantDirectory + ?Sized,
    A: ActivityRepository + ?Sized,
    B: BlobStore + ?Sized + 'static,
{
    /// Whether the database and the blob store answer, each checked with one cheap request.
    pub async fn readiness(&self) -> Readiness {
        let database = self.directory.ping().await;
        let blob_store = self.blobs.check().await;
        Readiness {
            database: database.map_err(|e| e.to_string()),
            // The whole chain: the adapter's cause names the bucket or folder and its problem.
            blob_store: blob_store.map_err(|e| crate::error_chain::error_chain(&e)),
        }
    }

    /// Wires the use cases.
    pub fn new(
        directory: Arc<D>,
        activities: Arc<A>,
        blobs: Arc<B>,
        clock: Arc<dyn Clock>,
        ingest: IngestSettings,
    ) -> Self {
        Self {
            directory,
            activities,
            blobs,
            clock,
            ingest,
            revisions_kept: DEFAULT_REVISIONS_KEPT,
            revision_protection: chrono::Duration::hours(DEFAULT_PROTECTION_HOURS),
        }
    }

    /// Keeps `count` package revisions per language version (at least 2).
    #[must_use]
    pub fn with_revisions_kept(mut self, count: u32) -> Self {
        self.revisions_kept = count.max(2);
        self
    }

    /// Never drops a revision that stopped being current less than `protection` ago: learners
    /// may still be on it with a launch URL signed before (set it to the URL lifetime).
    #[must_use]
    pub fn with_revision_protection(mut self, protection: std::time::Duration) -> Self {
        self.revision_protection = chrono::Duration::from_std(protection).unwrap_or(chrono::Duration::MAX);
        self
    }

    /// Starts storing the files of a package of `tenant` while it is still being written to
    /// `spool` (`arrival` says how far): the ingest of a write request that carries it (see
    /// [`PackageSource::early`](crate::ingest::PackageSource::early)) then only verifies them and
    /// extracts what could not be streamed. Dropped unused, it removes what it stored.
    pub fn extract_early(
        &self,
        tenant: curricula_domain::TenantId,
        spool: std::path::PathBuf,
        arrival: Arc<curricula_scorm::Arrival>,
    ) -> Arc<crate::ingest::EarlyExtraction> {
        crate::ingest::EarlyExtraction::start(&self.blobs, &self.ingest, tenant, spool, arrival)
    }

    /// Checks that `package` is a zip the ingest would open: the first refusals of the
    /// ingest (not a zip, no entries, unsafe paths, the declared limits), from its central
    /// directory alone. What an asynchronous import checks before it answers 202.
    ///
    /// # Errors
    /// `Package` with the refusal the ingest would give; `Storage` when the file cannot be
    /// read back.
    pub async fn check_zip(&self, package: &Package) -> Result<(), UploadError> {
        let source = Arc::clone(&package.source);
        let limits = self.ingest.limits.clone();
        let checked = tokio::task::spawn_blocking(move || {
            let reader = source.open().map_err(IngestError::Io)?;
            curricula_scorm::check_zip(reader, &limits).map_err(IngestError::Refused)
        })
        .await
        .map_err(|e| UploadError::Storage(IngestError::Task(e)))?;
        Ok(checked?)
    }

    /// The inspection warnings of `package` (central directory and manifest read again; none
    /// when it cannot be inspected): what an asynchronous import reports once it succeeded.
    pub async fn warnings(&self, package: &Package) -> Vec<String> {
        let source = Arc::clone(&package.source);
        let limits = self.ingest.limits.clone();
        let inspected = tokio::task::spawn_blocking(move || {
            let reader = source.open().ok()?;
            curricula_scorm::inspect(reader, &limits).ok()
        })
        .await;
        inspected.ok().flatten().map(|i| i.warnings).unwrap_or_default()
    }

    /// Authenticates an upload call by `key` and `origin`.
    ///
    /// # Errors
    /// `Unauthorized`, or `Store` when the directory cannot be read.
    pub async fn authenticate(&self, key: &str, origin: &str) -> Result<Caller, UploadError> {
        Ok(auth::authenticate_upload(&*self.directory, key, origin, self.clock.now()).await?)
    }

    /// Creates an activity with its first language version (the tenant's default language),
    /// storing the package of a SCORM activity. All or nothing.
    ///
    /// # Errors
    /// See [`UploadError`]; every caller error is found before any file is stored.
    #[tracing::instrument(skip_all, fields(tenant = %actor.caller.tenant, kind = %req.kind))]
    pub async fn create_activity(&self, actor: &Actor, req: CreateActivity) -> Result<ActivityId, UploadError> {
        let caller = actor.caller;
        let CreateChecked {
            owner,
            language,
            package,
            ..
        } = self.check_create(caller, &req).await?;
        let scorm = match package {
            Some(package) => Some(ingest::ingest(&self.blobs, &self.ingest, caller.tenant, package).await?),
            None => None,
        };
        let changes = serde_json::json!({
            "activityType": req.kind,
            "name": req.name,
            "userName": req.user_name,
            "organisationIds": match &req.organisations {
                Organisations::All => serde_json::Value::Null,
                Organisations::Only(ids) => ids.iter().map(|o| o.0).collect(),
            },
            "parentActivityId": match req.placement {
                Placement::TopLevel => None,
                Placement::Under(parent) => Some(parent.0),
            },
            "externalId": req.external_id,
            "languageId": language,
            "package": package.map(|p| serde_json::json!({ "sha256": p.sha256, "size": p.size })),
        });
        let new = NewActivity {
            tenant: caller.tenant,
            kind: req.kind,
            name: req.name,
            owner,
            organisations: req.organisations,
            placement: req.placement,
            language,
            scorm: scorm.clone(),
            external_id: req.external_id.clone(),
            api_key: Some(caller.key),
            now: self.clock.now(),
        };
        let event = actor.event(EventType::ActivityCreated, new.now, changes);
        let journal = Journal::of(move |id: &ActivityId| vec![event.course(*id)]);
        match self.activities.create_activity(new, journal).await {
            Ok(id) => {
                tracing::info!(activity.id = %id, "activity {id} created");
                Ok(id)
            }
            Err(e) => {
                self.discard(
                    scorm.as_ref(),
                    matches!(e, CreateActivityError::Store(StoreError::Unavailable(_))),
                )
                .await;
                Err(match e {
                    CreateActivityError::ParentNotFound(id) => UploadError::ParentNotFound(id),
                    CreateActivityError::ParentNotACourse(id) => UploadError::ParentNotACourse(id),
                    CreateActivityError::UnknownOrganisations(ids) => UploadError::UnknownOrganisations(ids),
                    // Another request took it since the check: name the winner.
                    CreateActivityError::ExternalIdTaken(external_id) => {
                        match self.check_external_id(caller, Some(&external_id)).await {
                            Err(e) => e,
                            Ok(()) => UploadError::Store(StoreError::Backend(
                                format!("externalId {external_id:?} was taken, then freed").into(),
                            )),
                        }
                    }
                    CreateActivityError::Store(e) => UploadError::Store(e),
                })
            }
        }
    }

    /// Adds a language version to an existing activity of the caller's tenant.
    ///
    /// # Errors
    /// See [`UploadError`]; every caller error is found before any file is stored.
    #[tracing::instrument(skip_all, fields(tenant = %actor.caller.tenant, activity.id = %req.activity, language = %req.language))]
    pub async fn add_language(&self, actor: &Actor, req: AddLanguage) -> Result<ActivityId, UploadError> {
        let caller = actor.caller;
        let checked = self.check_add(caller, &req).await?;
        let changes = serde_json::json!({
            "languageId": req.language,
            "name": req.name,
            "package": checked.package.map(|p| serde_json::json!({ "sha256": p.sha256, "size": p.size })),
        });
        let scorm = match checked.package {
            Some(package) => Some(ingest::ingest(&self.blobs, &self.ingest, caller.tenant, package).await?),
            None => None,
        };
        let activity = checked.activity;
        let new = NewLanguageVersion {
            tenant: caller.tenant,
            activity: activity.id,
            language: req.language,
            title: req.name,
            scorm: scorm.clone(),
            api_key: Some(caller.key),
            now: self.clock.now(),
        };
        let event = actor
            .event(EventType::LanguageVersionAdded, new.now, changes)
            .course(activity.id);
        match self
            .activities
            .add_language_version(new, Journal::of(move |_| vec![event]))
            .await
        {
            Ok(_) => Ok(activity.id),
            Err(e) => {
                self.discard(
                    scorm.as_ref(),
                    matches!(e, AddLanguageError::Store(StoreError::Unavailable(_))),
                )
                .await;
                Err(match e {
                    AddLanguageError::ActivityNotFound(id) => UploadError::ActivityNotFound(id),
                    AddLanguageError::LanguageExists { activity, language } => {
                        UploadError::LanguageExists { activity, language }
                    }
                    AddLanguageError::Store(e) => UploadError::Store(e),
                })
            }
        }
    }

    /// Stores `req.package` as the next revision of the language version and makes it current;
    /// a package byte-identical to the current one changes nothing. Revisions beyond the kept
    /// count are removed with their files.
    ///
    /// # Errors
    /// See [`UploadError`]; every caller error is found before any file is stored.
    #[tracing::instrument(skip_all, fields(tenant = %actor.caller.tenant, activity.id = %req.activity, language = %req.language))]
    pub async fn replace_package(&self, actor: &Actor, req: ReplacePackage) -> Result<RevisionChange, UploadError> {
        let caller = actor.caller;
        let activity = self
            .activities
            .activity(caller.tenant, req.activity)
            .await?
            .ok_or(UploadError::ActivityNotFound(req.activity))?;
        if activity.kind != ActivityKind::Scorm {
            return Err(UploadError::NotScorm(activity.id));
        }
        let version = activity.version(&req.language).ok_or_else(|| UploadError::NoVersion {
            activity: activity.id,
            language: req.language.clone(),
        })?;
        let current = version.scorm.as_ref();
        let unchanged = |revision| RevisionChange {
            activity: activity.id,
            language: req.language.clone(),
            revision,
            unchanged: true,
        };
        if current.is_some_and(|c| c.package_sha256 == req.package.sha256) {
            return Ok(unchanged(version.revision.unwrap_or(1)));
        }
        let content = ingest::ingest(&self.blobs, &self.ingest, caller.tenant, &req.package).await?;
        let now = self.clock.now();
        let new = NewRevision {
            tenant: caller.tenant,
            activity: activity.id,
            language: req.language.clone(),
            content: content.clone(),
            api_key: caller.key,
            keep: self.revisions_kept,
            protected_since: now
                .checked_sub_signed(self.revision_protection)
                .unwrap_or(DateTime::<Utc>::MIN_UTC),
            now,
        };
        let (event, language, package) = (
            actor
                .event(EventType::PackageReplaced, now, Value::Null)
                .course(activity.id),
            req.language.clone(),
            (req.package.sha256.clone(), req.package.size),
        );
        let journal = Journal::of(move |outcome: &RevisionOutcome| match outcome {
            RevisionOutcome::Changed {
                revision,
                previous,
                dropped,
            } => vec![Event {
                data: serde_json::json!({
                    "languageId": language,
                    "before": { "revision": previous },
                    "after": { "revision": revision, "sha256": package.0, "size": package.1 },
                    "revisionsDropped": dropped.len(),
                }),
                ..event
            }],
            RevisionOutcome::Unchanged { .. } => Vec::new(),
        });
        match self.activities.add_revision(new, journal).await {
            Ok(RevisionOutcome::Changed { revision, dropped, .. }) => {
                self.discard_prefixes(dropped.clone());
                tracing::info!(
                    revision,
                    dropped = dropped.len(),
                    "package of activity {} ({}) replaced",
                    activity.id,
                    req.language
                );
                Ok(RevisionChange {
                    activity: activity.id,
                    language: req.language,
                    revision,
                    unchanged: false,
                })
            }
            // The same package was stored by a concurrent request since the check.
            Ok(RevisionOutcome::Unchanged { revision }) => {
                self.discard(Some(&content), false).await;
                Ok(unchanged(revision))
            }
            Err(e) => {
                self.discard(
                    Some(&content),
                    matches!(e, RevisionError::Store(StoreError::Unavailable(_))),
                )
                .await;
                Err(Self::revision_error(e, activity.id, &req.language))
            }
        }
    }

    /// Makes an earlier revision of the language version current again.
    ///
    /// # Errors
    /// See [`UploadError`].
    #[tracing::instrument(skip_all, fields(tenant = %actor.caller.tenant, activity.id = %req.activity, language = %req.language))]
    pub async fn rollback(&self, actor: &Actor, req: Rollback) -> Result<RevisionChange, UploadError> {
        let caller = actor.caller;
        let now = self.clock.now();
        let (event, language) = (
            actor
                .event(EventType::PackageRolledBack, now, Value::Null)
                .course(req.activity),
            req.language.clone(),
        );
        let journal = Journal::of(move |outcome: &RevisionOutcome| match outcome {
            RevisionOutcome::Changed { revision, previous, .. } => vec![Event {
                data: serde_json::json!({
                    "languageId": language,
                    "before": { "revision": previous },
                    "after": { "revision": revision },
                }),
                ..event
            }],
            RevisionOutcome::Unchanged { .. } => Vec::new(),
        });
        let outcome = self
            .activities
            .rollback(caller.tenant, req.activity, &req.language, req.revision, now, journal)
            .await
            .map_err(|e| Self::revision_error(e, req.activity, &req.language))?;
        let (revision, unchanged) = match outcome {
            RevisionOutcome::Changed { revision, .. } => (revision, false),
            RevisionOutcome::Unchanged { revision } => (revision, true),
        };
        Ok(RevisionChange {
            activity: req.activity,
            language: req.language,
            revision,
            unchanged,
        })
    }

    fn revision_error(e: RevisionError, activity: ActivityId, language: &LanguageCode) -> UploadError {
        match e {
            RevisionError::ActivityNotFound(id) => UploadError::ActivityNotFound(id),
            RevisionError::NotScorm(id) => UploadError::NotScorm(id),
            RevisionError::NoVersion { activity, language } => UploadError::NoVersion { activity, language },
            RevisionError::RevisionNotFound { revision, kept } => UploadError::RevisionNotFound {
                activity,
                language: language.clone(),
                revision,
                kept,
            },
            RevisionError::Store(e) => UploadError::Store(e),
        }
    }

    /// Every check `/new` makes before it stores anything, in its order; the first failure is
    /// the error `/new` answers with. Shared by [`create_activity`](Self::create_activity) and
    /// [`validate_create`](Self::validate_create).
    async fn check_create<'r>(
        &self,
        caller: Caller,
        req: &'r CreateActivity,
    ) -> Result<CreateChecked<'r>, UploadError> {
        let tenant = self
            .directory
            .tenant(caller.tenant)
            .await?
            .ok_or(UploadError::Unauthorized)?;
        let mut checks = Vec::new();
        let owner = self
            .directory
            .user(caller.tenant, &req.user_name)
            .await?
            .ok_or_else(|| UploadError::UnknownUser(req.user_name.clone()))?;
        checks.push(Check::new(
            "userName",
            format!("user {} (id {}) of your tenant", owner.username, owner.id),
        ));
        match &req.organisations {
            Organisations::Only(ids) => {
                let known = self.directory.organisations(caller.tenant).await?;
                let missing: Vec<_> = ids
                    .iter()
                    .filter(|id| !known.iter().any(|o| o.id == **id))
                    .copied()
                    .collect();
                if !missing.is_empty() {
                    return Err(UploadError::UnknownOrganisations(missing));
                }
                checks.push(Check::new(
                    "organisationIds",
                    format!("organisations {} of your tenant", join_ids(ids)),
                ));
            }
            Organisations::All => checks.push(Check::new("organisationIds", "all organisations")),
        }
        match req.placement {
            Placement::Under(parent) => {
                match self.activities.activity(caller.tenant, parent).await? {
                    None => return Err(UploadError::ParentNotFound(parent)),
                    Some(a) if a.kind != ActivityKind::Course => return Err(UploadError::ParentNotACourse(parent)),
                    Some(_) => {}
                }
                checks.push(Check::new(
                    "parentActivityId",
                    format!("course {parent}: the activity would become the last entry of its last section"),
                ));
            }
            Placement::TopLevel => checks.push(Check::new("parentActivityId", "top level")),
        }
        self.check_external_id(caller, req.external_id.as_deref()).await?;
        if let Some(external_id) = &req.external_id {
            checks.push(Check::new(
                "externalId",
                format!("{external_id:?} is free in your tenant"),
            ));
        }
        checks.push(Check::new(
            "languageId",
            format!(
                "the first language version is in your tenant's default language, {}",
                tenant.default_language
            ),
        ));
        let package = match req.kind {
            ActivityKind::Scorm => Some(req.package.as_ref().ok_or(UploadError::MissingFile)?),
            // The spec: the file is ignored for a course.
            ActivityKind::Course => {
                checks.push(Check::new("file", "ignored for a course (not stored)"));
                None
            }
        };
        Ok(CreateChecked {
            owner: owner.id,
            language: tenant.default_language,
            package,
            checks,
        })
    }

    /// Every check `/addlanguage` makes before it stores anything (see
    /// [`check_create`](Self::check_create)).
    async fn check_add<'r>(&self, caller: Caller, req: &'r AddLanguage) -> Result<AddChecked<'r>, UploadError> {
        let tenant = self
            .directory
            .tenant(caller.tenant)
            .await?
            .ok_or(UploadError::Unauthorized)?;
        let activity = self
            .activities
            .activity(caller.tenant, req.activity)
            .await?
            .ok_or(UploadError::ActivityNotFound(req.activity))?;
        let mut checks = vec![Check::new(
            "activityId",
            format!("{} {} of your tenant", activity.kind, activity.id),
        )];
        if !tenant.has_language(&req.language) {
            return Err(UploadError::LanguageNotEnabled(req.language.clone()));
        }
        if activity.version(&req.language).is_some() {
            return Err(UploadError::LanguageExists {
                activity: activity.id,
                language: req.language.clone(),
            });
        }
        checks.push(Check::new(
            "languageId",
            format!(
                "{} is enabled for your tenant and not yet on the activity",
                req.language
            ),
        ));
        let package = match activity.kind {
            ActivityKind::Scorm => Some(req.package.as_ref().ok_or(UploadError::MissingFile)?),
            ActivityKind::Course => {
                checks.push(Check::new("file", "ignored for a course (not stored)"));
                None
            }
        };
        Ok(AddChecked {
            activity,
            package,
            checks,
        })
    }

    /// A dry run of `/new`: every check it makes, the package verified as it would be
    /// unpacked; nothing is stored.
    ///
    /// # Errors
    /// The error `/new` would answer with.
    #[tracing::instrument(skip_all, fields(tenant = %caller.tenant, kind = %req.kind))]
    pub async fn validate_create(&self, caller: Caller, req: &CreateActivity) -> Result<Validation, UploadError> {
        let checked = self.check_create(caller, req).await?;
        self.validated("new", checked.checks, checked.package).await
    }

    /// A dry run of `/addlanguage` (see [`validate_create`](Self::validate_create)).
    ///
    /// # Errors
    /// The error `/addlanguage` would answer with.
    #[tracing::instrument(skip_all, fields(tenant = %caller.tenant, activity.id = %req.activity))]
    pub async fn validate_add_language(&self, caller: Caller, req: &AddLanguage) -> Result<Validation, UploadError> {
        let checked = self.check_add(caller, req).await?;
        self.validated("addlanguage", checked.checks, checked.package).await
    }

    async fn validated(
        &self,
        operation: &'static str,
        mut checks: Vec<Check>,
        package: Option<&Package>,
    ) -> Result<Validation, UploadError> {
        let package = match package {
            Some(package) => {
                let inspection = ingest::verify(&self.ingest, package).await?;
                checks.push(Check::new(
                    "file",
                    "the SCORM package is accepted: inspected, launchable, every file verified",
                ));
                Some(PackageReport {
                    sha256: package.sha256.clone(),
                    size: package.size,
                    inspection,
                })
            }
            None => None,
        };
        Ok(Validation {
            operation,
            checks,
            package,
        })
    }

    /// Refuses an `externalId` another activity of the tenant has, naming that activity.
    async fn check_external_id(&self, caller: Caller, external_id: Option<&str>) -> Result<(), UploadError> {
        let Some(external_id) = external_id else { return Ok(()) };
        match self
            .activities
            .activity_by_external_id(caller.tenant, external_id)
            .await?
        {
            Some(activity) => Err(UploadError::ExternalIdTaken {
                external_id: external_id.to_owned(),
                activity,
            }),
            None => Ok(()),
        }
    }

    /// Removes the files of a version that was not recorded — unless the connection to the
    /// database was lost (`outcome_unknown`): its commit may have gone through, so the files are left
    /// to the blob sweep, which removes them only if nothing references them. (Any other
    /// database error happened inside the transaction, which was rolled back.)
    async fn discard(&self, scorm: Option<&ScormContent>, outcome_unknown: bool) {
        let Some(content) = scorm else { return };
        if outcome_unknown {
            tracing::warn!(prefix = %content.storage_prefix, "the database connection was lost while recording an upload; its files are left to the blob sweep");
            return;
        }
        let Ok(prefix) = BlobKey::new(content.storage_prefix.clone()) else {
            return;
        };
        if let Err(e) = self.blobs.delete_prefix(&prefix).await {
            tracing::error!(prefix = %prefix, error = %e, "could not remove the files of a failed upload; the blob sweep will");
        }
    }

    /// Removes the folders of dropped revisions in a task of its own, so that a client that
    /// goes away cannot interrupt it; what it cannot remove, the blob sweep will.
    fn discard_prefixes(&self, prefixes: Vec<String>) {
        if prefixes.is_empty() {
            return;
        }
        let blobs = Arc::clone(&self.blobs);
        tokio::spawn(async move {
            for prefix in prefixes {
                let Ok(prefix) = BlobKey::new(prefix) else { continue };
                if let Err(e) = blobs.delete_prefix(&prefix).await {
                    tracing::error!(prefix = %prefix, error = %e, "could not remove a dropped revision's files; the blob sweep will");
                }
            }
        });
    }
}
