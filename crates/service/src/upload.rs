//! The Activity Upload API's use cases: create an activity, add a language version.

use crate::auth::{self, AuthError, Caller};
use crate::ingest::{self, IngestError, IngestSettings, Package};
use curricula_domain::{
    ActivityId, ActivityKind, InvalidField, LanguageCode, Name, OrganisationId, Organisations, Placement, ScormContent,
};
use curricula_ports::{
    ActivityRepository, AddLanguageError, BlobKey, BlobStore, Clock, CreateActivityError, NewActivity,
    NewLanguageVersion, StoreError, TenantDirectory,
};
use curricula_scorm::Refusal;
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
}

impl<D: ?Sized, A: ?Sized, B: ?Sized> Clone for UploadService<D, A, B> {
    fn clone(&self) -> Self {
        Self {
            directory: Arc::clone(&self.directory),
            activities: Arc::clone(&self.activities),
            blobs: Arc::clone(&self.blobs),
            clock: Arc::clone(&self.clock),
            ingest: self.ingest.clone(),
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
            blob_store: blob_store.map_err(|e| e.to_string()),
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
        }
    }

    /// Authenticates an upload call by `key` and `origin`.
    ///
    /// # Errors
    /// `Unauthorized`, or `Store` when the directory cannot be read.
    pub async fn authenticate(&self, key: &str, origin: &str) -> Result<Caller, UploadError> {
        Ok(auth::authenticate_upload(&*self.directory, key, origin).await?)
    }

    /// Creates an activity with its first language version (the tenant's default language),
    /// storing the package of a SCORM activity. All or nothing.
    ///
    /// # Errors
    /// See [`UploadError`]; every caller error is found before any file is stored.
    #[tracing::instrument(skip_all, fields(tenant = %caller.tenant, kind = %req.kind))]
    pub async fn create_activity(&self, caller: Caller, req: CreateActivity) -> Result<ActivityId, UploadError> {
        let tenant = self
            .directory
            .tenant(caller.tenant)
            .await?
            .ok_or(UploadError::Unauthorized)?;
        let owner = self
            .directory
            .user(caller.tenant, &req.user_name)
            .await?
            .ok_or_else(|| UploadError::UnknownUser(req.user_name.clone()))?;
        if let Organisations::Only(ids) = &req.organisations {
            let known = self.directory.organisations(caller.tenant).await?;
            let missing: Vec<_> = ids
                .iter()
                .filter(|id| !known.iter().any(|o| o.id == **id))
                .copied()
                .collect();
            if !missing.is_empty() {
                return Err(UploadError::UnknownOrganisations(missing));
            }
        }
        if let Placement::Under(parent) = req.placement {
            match self.activities.activity(caller.tenant, parent).await? {
                None => return Err(UploadError::ParentNotFound(parent)),
                Some(a) if a.kind != ActivityKind::Course => return Err(UploadError::ParentNotACourse(parent)),
                Some(_) => {}
            }
        }
        self.check_external_id(caller, req.external_id.as_deref()).await?;
        let scorm = match req.kind {
            ActivityKind::Scorm => {
                let package = req.package.as_ref().ok_or(UploadError::MissingFile)?;
                Some(ingest::ingest(&self.blobs, &self.ingest, caller.tenant, package).await?)
            }
            // The spec: the file is ignored for a course.
            ActivityKind::Course => None,
        };
        let new = NewActivity {
            tenant: caller.tenant,
            kind: req.kind,
            name: req.name,
            owner: owner.id,
            organisations: req.organisations,
            placement: req.placement,
            language: tenant.default_language,
            scorm: scorm.clone(),
            external_id: req.external_id.clone(),
            now: self.clock.now(),
        };
        match self.activities.create_activity(new).await {
            Ok(id) => {
                tracing::info!(activity.id = %id, "activity {id} created");
                Ok(id)
            }
            Err(e) => {
                self.discard(scorm.as_ref()).await;
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
    #[tracing::instrument(skip_all, fields(tenant = %caller.tenant, activity.id = %req.activity, language = %req.language))]
    pub async fn add_language(&self, caller: Caller, req: AddLanguage) -> Result<ActivityId, UploadError> {
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
        if !tenant.has_language(&req.language) {
            return Err(UploadError::LanguageNotEnabled(req.language));
        }
        if activity.version(&req.language).is_some() {
            return Err(UploadError::LanguageExists {
                activity: activity.id,
                language: req.language,
            });
        }
        let scorm = match activity.kind {
            ActivityKind::Scorm => {
                let package = req.package.as_ref().ok_or(UploadError::MissingFile)?;
                Some(ingest::ingest(&self.blobs, &self.ingest, caller.tenant, package).await?)
            }
            ActivityKind::Course => None,
        };
        let new = NewLanguageVersion {
            tenant: caller.tenant,
            activity: activity.id,
            language: req.language,
            title: req.name,
            scorm: scorm.clone(),
            now: self.clock.now(),
        };
        match self.activities.add_language_version(new).await {
            Ok(_) => Ok(activity.id),
            Err(e) => {
                self.discard(scorm.as_ref()).await;
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

    /// Removes the files of a version that was not recorded.
    async fn discard(&self, scorm: Option<&ScormContent>) {
        let Some(content) = scorm else { return };
        let Ok(prefix) = BlobKey::new(content.storage_prefix.clone()) else {
            return;
        };
        if let Err(e) = self.blobs.delete_prefix(&prefix).await {
            tracing::error!(prefix = %prefix, error = %e, "could not remove the files of a failed upload; the blob sweep will");
        }
    }
}
