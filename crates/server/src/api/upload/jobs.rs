//! Asynchronous imports: `/new`, `/addlanguage` and `/replace` with `Prefer: respond-async`
//! answer 202 once the body is received and checked as a zip; the spooled zip goes to the
//! blob store (under `imports/`, which the blob sweep never looks at) and the job to the
//! database. [`Importer`] runs the jobs through the very use cases of the synchronous calls,
//! so every check and message is theirs (docs/API.md, "Asynchronous imports").

use super::form::{
    SpooledFile, UploadApiError, UploadForm, add_command, create_command, replace_command, timed_ingest,
};
use crate::api::v2::imports::ImportRecord;
use crate::state::AppState;
use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use curricula_domain::{ActivityId, ActivityKind, TenantId};
use curricula_ports::{
    BlobError, BlobKey, Event, EventType, Import, ImportId, ImportKind, ImportOutcome, ImportStatus, Journal,
    LeasedImport, NewImport, StoreError,
};
use curricula_service::ingest::IngestError;
use curricula_service::{Actor, Caller, Package, UploadError};
use futures::StreamExt;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// The blob-store folder of spooled packages waiting for their job.
pub const IMPORTS: &str = "imports";
/// The spooled package's name in its folder.
const PACKAGE_FILE: &str = "package.zip";
/// How long a worker holds a job before another may take it over (renewed while it runs).
pub const LEASE: Duration = Duration::from_secs(300);
/// How many times a job is run when it fails on the server's side (database, blob store)
/// before it is failed.
pub const MAX_ATTEMPTS: u32 = 3;
/// The wait between two rounds that found nothing to do.
const IDLE: Duration = Duration::from_millis(500);
/// The wait after a round the store failed.
const AFTER_FAILURE: Duration = Duration::from_secs(2);

/// Whether the request asks to be answered before the work is done (`Prefer: respond-async`,
/// RFC 7240; among other preferences too).
pub fn prefers_async(req: &HttpRequest) -> bool {
    req.headers()
        .get_all("prefer")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| {
            p.split(';')
                .next()
                .is_some_and(|token| token.trim().eq_ignore_ascii_case("respond-async"))
        })
}

/// The request id an import's write is made with: how a worker that takes a job over finds
/// whether the write was made already.
fn write_marker(id: ImportId) -> String {
    format!("import-{id}")
}

/// A fresh, unguessable folder for one spooled package of `tenant`.
fn spool_folder(tenant: TenantId) -> BlobKey {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        bytes = nanos.to_le_bytes();
    }
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    BlobKey::new(format!("{IMPORTS}/{tenant}/{hex}")).expect("hex is a valid key")
}

fn storage_error(e: BlobError) -> UploadApiError {
    UploadApiError::Upload(UploadError::Storage(IngestError::Storage(e)))
}

/// Queues the write: the fields are checked as the synchronous call checks them, the file as
/// a zip (its central directory); then the zip is stored and the job recorded. Answers 202
/// with the job's id and `Location`.
pub(super) async fn submit(
    state: &AppState,
    actor: &Actor,
    form: &UploadForm,
    kind: ImportKind,
) -> Result<HttpResponse, UploadApiError> {
    let package = match kind {
        // The file of a course is ignored, as the synchronous call ignores it.
        ImportKind::New => {
            let command = create_command(form)?;
            command.package.filter(|_| command.kind == ActivityKind::Scorm)
        }
        ImportKind::AddLanguage => add_command(form)?.package,
        ImportKind::Replace => Some(replace_command(form)?.package),
    };
    let folder = match &package {
        Some(package) => {
            state.uploads.check_zip(package).await?;
            let folder = spool_folder(actor.caller.tenant);
            store_package(state, package, &folder).await?;
            Some(folder)
        }
        None => None,
    };
    let fields: serde_json::Map<String, serde_json::Value> = form
        .fields
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "key" | "origin"))
        .map(|(name, value)| (name.clone(), serde_json::Value::String(value.clone())))
        .collect();
    let new = NewImport {
        tenant: actor.caller.tenant,
        api_key: actor.caller.key,
        origin: actor.origin.clone(),
        request_id: actor.request_id.clone(),
        kind,
        fields: serde_json::Value::Object(fields),
        blob_key: folder.as_ref().map(|f| f.as_str().to_owned()),
        sha256: package.as_ref().map(|p| p.sha256.clone()),
        size: package.as_ref().map_or(0, |p| p.size),
        now: state.clock.now(),
    };
    let job = match state.imports.create_import(new).await {
        Ok(job) => job,
        Err(e) => {
            if let Some(folder) = &folder {
                remove_folder(state, folder).await;
            }
            return Err(UploadError::Store(e).into());
        }
    };
    tracing::info!(import.id = %job.id, kind = kind.as_str(), "import {} queued", job.id);
    Ok(HttpResponse::Accepted()
        .insert_header((LOCATION, format!("/api/v2/imports/{}", job.id)))
        .json(serde_json::json!({ "importId": job.id.0, "status": "queued" })))
}

/// Copies the spooled package to `folder` of the blob store.
async fn store_package(state: &AppState, package: &Package, folder: &BlobKey) -> Result<(), UploadApiError> {
    let key = folder.join(PACKAGE_FILE).map_err(storage_error)?;
    let source = Arc::clone(&package.source);
    let blobs = Arc::clone(&state.content.blobs);
    let stored = tokio::task::spawn_blocking(move || {
        let mut reader = source.open().map_err(BlobError::Source)?;
        blobs.put_blocking(&key, &mut reader, "application/zip")
    })
    .await
    .map_err(|e| storage_error(BlobError::Backend(Box::new(e))))?;
    match stored {
        Ok(_) => Ok(()),
        Err(e) => {
            remove_folder(state, folder).await;
            Err(storage_error(e))
        }
    }
}

async fn remove_folder(state: &AppState, folder: &BlobKey) {
    if let Err(e) = state.content.blobs.delete_prefix(folder).await {
        tracing::error!(prefix = %folder, error = %e, "could not remove a spooled import package");
    }
}

/// How running a job went.
enum Ran {
    /// It ended: write its outcome.
    Finished(ImportOutcome),
    /// The server failed (database, blob store): tried again when the lease expires.
    Retry(String),
}

/// Runs import jobs on this instance: leases one at a time (renewing the lease while it
/// runs), runs it through the upload use cases, and writes its outcome with its
/// `import.finished` event.
pub struct Importer {
    state: web::Data<AppState>,
    owner: String,
    lease: Duration,
}

impl Importer {
    /// A worker named `owner` (unique per process) over `state`.
    pub fn new(state: web::Data<AppState>, owner: impl Into<String>) -> Self {
        Self {
            state,
            owner: owner.into(),
            lease: LEASE,
        }
    }

    /// Holds each job for `lease` (renewed every third of it while it runs).
    #[must_use]
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_secs(1));
        self
    }

    fn lease_until(&self) -> chrono::DateTime<chrono::Utc> {
        let now = self.state.clock.now();
        now + chrono::Duration::from_std(self.lease).unwrap_or(chrono::Duration::MAX)
    }

    /// Runs the oldest job that is queued (or whose worker's lease expired), if there is one;
    /// says whether there was.
    ///
    /// # Errors
    /// When the database fails to lease or finish the job.
    pub async fn round(&self) -> Result<bool, StoreError> {
        let now = self.state.clock.now();
        let Some(job) = self
            .state
            .imports
            .lease_import(&self.owner, now, self.lease_until())
            .await?
        else {
            return Ok(false);
        };
        let heartbeat = self.heartbeat(job.id);
        let ran = self.run(&job).await;
        heartbeat.abort();
        let outcome = match ran {
            Ran::Finished(outcome) => outcome,
            Ran::Retry(why) if job.attempts < MAX_ATTEMPTS => {
                tracing::warn!(import.id = %job.id, attempts = job.attempts, error = %why, "import {} failed on the server's side; it is tried again when its lease expires", job.id);
                return Ok(true);
            }
            Ran::Retry(why) => {
                tracing::error!(import.id = %job.id, attempts = job.attempts, error = %why, "import {} failed on the server's side {} times; it is failed", job.id, job.attempts);
                ImportOutcome {
                    status: ImportStatus::Failed,
                    activity: None,
                    error: Some(crate::http::error::server_error_message(false)),
                    warnings: Vec::new(),
                    now: self.state.clock.now(),
                }
            }
        };
        self.finish(&job, outcome).await?;
        Ok(true)
    }

    /// Keeps the lease of job `id` while it runs.
    fn heartbeat(&self, id: ImportId) -> tokio::task::JoinHandle<()> {
        let imports = Arc::clone(&self.state.imports);
        let clock = Arc::clone(&self.state.clock);
        let (owner, lease) = (self.owner.clone(), self.lease);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(lease / 3).await;
                let until = clock.now() + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX);
                match imports.renew_import(id, &owner, until).await {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(e) => tracing::warn!(import.id = %id, error = %e, "could not renew the lease of import {id}"),
                }
            }
        })
    }

    /// Writes the outcome and the event in one transaction, then removes the spooled package.
    async fn finish(&self, job: &LeasedImport, outcome: ImportOutcome) -> Result<(), StoreError> {
        let mut event = Event::new(EventType::ImportFinished, job.tenant, outcome.now);
        event.api_key = Some(job.api_key);
        event.origin.clone_from(&job.origin);
        event.request_id.clone_from(&job.request_id);
        let journal = Journal::of(move |done: &Import| {
            let mut data = serde_json::to_value(ImportRecord::from(done)).unwrap_or_default();
            if let Some(object) = data.as_object_mut() {
                object.insert("kind".into(), done.kind.as_str().into());
            }
            vec![Event {
                course: done.activity,
                data,
                ..event
            }]
        });
        let status = outcome.status;
        match self
            .state
            .imports
            .finish_import(job.id, &self.owner, outcome, journal)
            .await?
        {
            Some(done) => {
                tracing::info!(import.id = %job.id, status = status.as_str(), activity.id = ?done.activity.map(|a| a.0), "import {} {}", job.id, status.as_str());
                if let Some(folder) = job.blob_key.as_deref().and_then(|k| BlobKey::new(k).ok()) {
                    remove_folder(&self.state, &folder).await;
                }
            }
            // Its lease expired and another worker has it now: the package stays for it.
            None => {
                tracing::warn!(import.id = %job.id, "import {} was taken over by another worker before it finished here", job.id)
            }
        }
        Ok(())
    }

    /// Runs the job's write; when an earlier worker stopped after making it, finds it instead.
    async fn run(&self, job: &LeasedImport) -> Ran {
        let marker = write_marker(job.id);
        if job.attempts > 1 {
            match self.state.imports.written_by(job.tenant, &marker).await {
                Ok(Some(activity)) => {
                    tracing::info!(import.id = %job.id, "import {} was written by the worker before", job.id);
                    return Ran::Finished(self.succeeded(activity, None).await);
                }
                Ok(None) => {}
                Err(e) => return Ran::Retry(e.to_string()),
            }
        }
        let package = match self.fetch(job).await {
            Ok(package) => package,
            Err(e) => return Ran::Retry(curricula_service::error_chain(&e)),
        };
        let form = UploadForm {
            fields: match &job.fields {
                serde_json::Value::Object(fields) => fields
                    .iter()
                    .filter_map(|(name, value)| Some((name.clone(), value.as_str()?.to_owned())))
                    .collect(),
                _ => HashMap::new(),
            },
            file: package,
        };
        let actor = Actor {
            caller: Caller {
                tenant: job.tenant,
                key: job.api_key,
            },
            origin: job.origin.clone(),
            request_id: Some(marker),
        };
        let written = self.write(job.kind, &actor, &form).await;
        match written {
            Ok(activity) => Ran::Finished(self.succeeded(activity, form.file.as_ref()).await),
            Err(e) if e.status_code().is_server_error() => Ran::Retry(curricula_service::error_chain(&e)),
            Err(e) => {
                if let UploadApiError::Upload(UploadError::Package(refusal)) = &e {
                    crate::metrics::metrics().record_refusal(refusal.kind.as_str());
                }
                Ran::Finished(ImportOutcome {
                    status: ImportStatus::Failed,
                    activity: None,
                    error: Some(e.to_string()),
                    warnings: Vec::new(),
                    now: self.state.clock.now(),
                })
            }
        }
    }

    async fn succeeded(&self, activity: ActivityId, package: Option<&Package>) -> ImportOutcome {
        let warnings = match package {
            Some(package) => self.state.uploads.warnings(package).await,
            None => Vec::new(),
        };
        ImportOutcome {
            status: ImportStatus::Succeeded,
            activity: Some(activity),
            error: None,
            warnings,
            now: self.state.clock.now(),
        }
    }

    /// The use case of the synchronous call, on the stored fields.
    async fn write(&self, kind: ImportKind, actor: &Actor, form: &UploadForm) -> Result<ActivityId, UploadApiError> {
        let uploads = &self.state.uploads;
        Ok(match kind {
            ImportKind::New => {
                let command = create_command(form)?;
                let size = command.package.as_ref().map(|p| p.size);
                timed_ingest("new", size, uploads.create_activity(actor, command)).await?
            }
            ImportKind::AddLanguage => {
                let command = add_command(form)?;
                let size = command.package.as_ref().map(|p| p.size);
                timed_ingest("addlanguage", size, uploads.add_language(actor, command)).await?
            }
            ImportKind::Replace => {
                let command = replace_command(form)?;
                let size = Some(command.package.size);
                timed_ingest("replace", size, uploads.replace_package(actor, command))
                    .await?
                    .activity
            }
        })
    }

    /// The job's package, copied from the blob store to a spool file of this instance.
    async fn fetch(&self, job: &LeasedImport) -> Result<Option<Package>, UploadApiError> {
        let Some(folder) = job.blob_key.as_deref() else {
            return Ok(None);
        };
        let key = BlobKey::new(folder)
            .and_then(|f| f.join(PACKAGE_FILE))
            .map_err(storage_error)?;
        let mut stream = self
            .state
            .content
            .blobs
            .get_stream(&key, None)
            .await
            .map_err(storage_error)?;
        let temp = tempfile::NamedTempFile::new_in(&self.state.tmp_dir).map_err(UploadApiError::Spool)?;
        let (file, path) = temp.into_parts();
        let mut file = tokio::fs::File::from_std(file);
        let (mut hasher, mut size) = (Sha256::new(), 0u64);
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(storage_error)?;
            hasher.update(&chunk);
            size += chunk.len() as u64;
            file.write_all(&chunk).await.map_err(UploadApiError::Spool)?;
        }
        file.flush().await.map_err(UploadApiError::Spool)?;
        let sha256: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
        // The zip the job was accepted with, or none: a changed object is the store's failure.
        if job.sha256.as_deref() != Some(sha256.as_str()) || size != job.size {
            return Err(storage_error(BlobError::Backend(
                format!("the spooled package {key} is not the one uploaded (SHA-256 or size differs)").into(),
            )));
        }
        Ok(Some(Package {
            source: Arc::new(SpooledFile { early: None, path }),
            sha256,
            size,
        }))
    }
}

/// Runs `importer`'s rounds until the process ends: at once again while there is work, after
/// a short wait when there is none.
pub fn spawn(importer: Importer) {
    tokio::spawn(async move {
        loop {
            match importer.round().await {
                Ok(true) => {}
                Ok(false) => tokio::time::sleep(IDLE).await,
                Err(e) => {
                    tracing::warn!(error = %e, "import round failed; trying again shortly");
                    tokio::time::sleep(AFTER_FAILURE).await;
                }
            }
        }
    });
}
