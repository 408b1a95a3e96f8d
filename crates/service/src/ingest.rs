//! Turning an uploaded zip into stored files and the manifest data of a language version.
//!
//! The package is inspected (central directory and manifest only), then every file is
//! decompressed by worker threads straight into the blob store under a fresh folder. Any
//! failure deletes that folder, so a refused or failed upload leaves no file behind.

use curricula_domain::{ScormContent, TenantId};
use curricula_ports::{BlobError, BlobKey, BlobStore};
use curricula_scorm::{Arrival, EntrySink, ExtractError, FileEntry, Inspection, Limits, Refusal, Remaining, Streamed};
use std::io::{self, Read, Seek};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// A readable, seekable package file.
pub trait ReadSeek: Read + Seek + Send {}
impl<T: Read + Seek + Send> ReadSeek for T {}

/// Where an uploaded package can be (re)opened from; each extraction worker opens its own.
pub trait PackageSource: Send + Sync {
    /// A fresh reader positioned at the start.
    ///
    /// # Errors
    /// When the package can no longer be read.
    fn open(&self) -> io::Result<Box<dyn ReadSeek>>;

    /// The extraction that was started while the package arrived, if one was
    /// ([`crate::UploadService::extract_early`]).
    fn early(&self) -> Option<Arc<EarlyExtraction>> {
        None
    }
}

/// Files stored while the package was still arriving, under the folder the version will
/// have: the local headers of the zip are followed as the spool file grows
/// ([`curricula_scorm::stream_extract`]). The upload's ingest then holds them to the central
/// directory and extracts only what was not streamed. When no ingest claims it (a refused
/// form, an unchanged package, a failed body), dropping it stops the work and removes the
/// folder.
pub struct EarlyExtraction {
    tenant: TenantId,
    prefix: BlobKey,
    arrival: Arc<Arrival>,
    job: Mutex<Option<std::thread::JoinHandle<io::Result<Streamed>>>>,
    claimed: AtomicBool,
    discard: Mutex<Option<Discard>>,
}

/// Removes a folder of the blob store.
type Discard = Box<dyn FnOnce(BlobKey) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> + Send>;

impl std::fmt::Debug for EarlyExtraction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EarlyExtraction")
            .field("tenant", &self.tenant)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl EarlyExtraction {
    /// Starts following the spool file at `spool`, which `arrival` says how far is written,
    /// storing files under a new folder of `tenant` in `store`.
    pub(crate) fn start<B: BlobStore + ?Sized + 'static>(
        store: &Arc<B>,
        settings: &IngestSettings,
        tenant: TenantId,
        spool: PathBuf,
        arrival: Arc<Arrival>,
    ) -> Arc<Self> {
        let prefix = new_prefix(tenant);
        let sink = BlobSink {
            store: Arc::clone(store),
            prefix: prefix.clone(),
        };
        let limits = settings.limits.clone();
        let threads = settings.threads;
        let following = Arc::clone(&arrival);
        let job = std::thread::Builder::new()
            .name("early-extract".to_owned())
            .spawn(move || curricula_scorm::stream_extract(&spool, &following, &limits, threads, &sink));
        let job = match job {
            Ok(job) => Some(job),
            Err(e) => {
                tracing::warn!(error = %e, "could not start extracting while the upload arrives");
                None
            }
        };
        let remover = Arc::clone(store);
        let discard: Discard = Box::new(move |prefix: BlobKey| {
            Box::pin(async move {
                if let Err(e) = remover.delete_prefix(&prefix).await {
                    tracing::error!(prefix = %prefix, error = %e, "could not remove the files of an upload not kept; the blob sweep will");
                }
            })
        });
        Arc::new(Self {
            tenant,
            prefix,
            arrival,
            job: Mutex::new(job),
            claimed: AtomicBool::new(false),
            discard: Mutex::new(Some(discard)),
        })
    }

    /// The folder the files go to.
    pub fn prefix(&self) -> &BlobKey {
        &self.prefix
    }

    /// Stops the work unless an ingest took it over, and removes what it stored; returns when
    /// it is done (what dropping it does too, but in the background).
    pub async fn discard(&self) {
        if self.claimed.swap(true, Ordering::SeqCst) {
            return;
        }
        self.arrival.abort();
        self.cleanup().await;
    }

    /// Waits for the job (on a blocking thread), then removes the folder.
    fn cleanup(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let job = self.job.lock().unwrap_or_else(PoisonError::into_inner).take();
        let discard = self.discard.lock().unwrap_or_else(PoisonError::into_inner).take();
        let prefix = self.prefix.clone();
        async move {
            if let Some(job) = job
                && let Err(e) = tokio::task::spawn_blocking(move || job.join()).await
            {
                tracing::error!(error = %e, "could not wait for an extraction not kept; the blob sweep will remove its files");
                return;
            }
            if let Some(discard) = discard {
                discard(prefix).await;
            }
        }
    }

    /// Takes the work over for one ingest; `None` when another took it before.
    fn claim(&self) -> Option<std::thread::JoinHandle<io::Result<Streamed>>> {
        if self.claimed.swap(true, Ordering::SeqCst) {
            return None;
        }
        self.job.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

impl Drop for EarlyExtraction {
    fn drop(&mut self) {
        // Whatever was not read yet will not be.
        self.arrival.abort();
        if self.claimed.load(Ordering::SeqCst) {
            return;
        }
        // Normally discarded before (`discard`); this is the fallback, in the background.
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => drop(runtime.spawn(self.cleanup())),
            Err(_) => {
                tracing::warn!(prefix = %self.prefix, "an extraction not kept was dropped outside the runtime; the blob sweep will remove its files")
            }
        }
    }
}

/// An uploaded package file.
#[derive(Clone)]
pub struct Package {
    /// Where to read it.
    pub source: Arc<dyn PackageSource>,
    /// Lowercase hex SHA-256 of its bytes, computed while it was received.
    pub sha256: String,
    /// Its size in bytes.
    pub size: u64,
}

impl std::fmt::Debug for Package {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Package")
            .field("sha256", &self.sha256)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

/// How packages are checked and unpacked.
#[derive(Debug, Clone)]
pub struct IngestSettings {
    /// Zip safety limits.
    pub limits: Limits,
    /// Extraction worker threads per upload.
    pub threads: usize,
}

impl Default for IngestSettings {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()).min(4),
        }
    }
}

/// Why a package could not be ingested.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The package is refused; the caller's fault.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The blob store failed.
    #[error("storing the package failed")]
    Storage(#[source] BlobError),
    /// The uploaded file could not be read back.
    #[error("reading the uploaded package failed")]
    Io(#[source] io::Error),
    /// The extraction task panicked or was cancelled.
    #[error("the extraction task failed")]
    Task(#[source] tokio::task::JoinError),
}

/// Writes each extracted file to the blob store under `prefix`.
struct BlobSink<B: ?Sized> {
    store: Arc<B>,
    prefix: BlobKey,
}

impl<B: BlobStore + ?Sized> EntrySink for BlobSink<B> {
    fn store(&self, file: &FileEntry, contents: &mut dyn Read) -> io::Result<()> {
        let key = self.prefix.join(&file.path).map_err(io::Error::other)?;
        match self.store.put_blocking(&key, contents, file.content_type) {
            Ok(_) => Ok(()),
            // Keep the reader's own error (a zip bomb shows up here) so extract reports it.
            Err(BlobError::Source(e)) => Err(e),
            Err(e) => Err(io::Error::other(e)),
        }
    }
}

/// A fresh, unguessable folder for one language version's files.
pub(crate) fn new_prefix(tenant: TenantId) -> BlobKey {
    let mut bytes = [0u8; 16];
    // Without an OS random source nothing else works either; fall back to time so the
    // folder is still unique.
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        bytes = nanos.to_le_bytes();
    }
    BlobKey::new(format!("packages/{tenant}/{}", crate::auth::hex(&bytes))).expect("hex is a valid key")
}

/// The tenant whose folder `prefix` is (`packages/{tenant}/{folder}`, as [`new_prefix`] makes
/// them); `None` for any other shape.
pub fn prefix_tenant(prefix: &BlobKey) -> Option<TenantId> {
    let mut segments = prefix.as_str().split('/');
    match (segments.next(), segments.next(), segments.next(), segments.next()) {
        (Some(crate::gc::PACKAGES), Some(tenant), Some(folder), None) if !folder.is_empty() => {
            let ok = !tenant.starts_with('0') && tenant.bytes().all(|b| b.is_ascii_digit());
            ok.then(|| tenant.parse::<i64>().ok()).flatten().map(TenantId)
        }
        _ => None,
    }
}

/// Inspects `package`, refuses it when it is not launchable, and stores its files under a new
/// folder. On any error the folder is removed before returning.
pub(crate) async fn ingest<B: BlobStore + ?Sized + 'static>(
    store: &Arc<B>,
    settings: &IngestSettings,
    tenant: TenantId,
    package: &Package,
) -> Result<ScormContent, IngestError> {
    if let Some(early) = package.source.early()
        && early.tenant == tenant
        && let Some(job) = early.claim()
    {
        return ingest_early(store, settings, tenant, package, &early, job).await;
    }
    ingest_fresh(store, settings, tenant, package).await
}

/// [`ingest`] of a package nothing was extracted from yet.
async fn ingest_fresh<B: BlobStore + ?Sized + 'static>(
    store: &Arc<B>,
    settings: &IngestSettings,
    tenant: TenantId,
    package: &Package,
) -> Result<ScormContent, IngestError> {
    let prefix = new_prefix(tenant);
    let job = {
        let source = Arc::clone(&package.source);
        let sink = BlobSink {
            store: Arc::clone(store),
            prefix: prefix.clone(),
        };
        let settings = settings.clone();
        tokio::task::spawn_blocking(move || unpack(&*source, &settings, &sink))
    };
    let outcome = match job.await {
        Ok(result) => result,
        Err(e) => Err(IngestError::Task(e)),
    };
    match outcome {
        Ok(inspection) => Ok(content_of(inspection, package, &prefix)),
        Err(e) => {
            if let Err(cleanup) = store.delete_prefix(&prefix).await {
                tracing::error!(prefix = %prefix, error = %cleanup, "could not remove the files of a failed upload; the blob sweep will");
            }
            Err(e)
        }
    }
}

/// [`ingest`] of a package whose files were streamed while it arrived: waits for that work,
/// inspects the spooled copy, holds what was stored to the central directory and extracts
/// the rest into the same folder. When the streamed entries disagree with the directory, the
/// folder is removed and the package extracted afresh from the spool; on any error it is
/// removed and nothing remains.
async fn ingest_early<B: BlobStore + ?Sized + 'static>(
    store: &Arc<B>,
    settings: &IngestSettings,
    tenant: TenantId,
    package: &Package,
    early: &EarlyExtraction,
    job: std::thread::JoinHandle<io::Result<Streamed>>,
) -> Result<ScormContent, IngestError> {
    let prefix = early.prefix.clone();
    let work = {
        let source = Arc::clone(&package.source);
        let sink = BlobSink {
            store: Arc::clone(store),
            prefix: prefix.clone(),
        };
        let settings = settings.clone();
        tokio::task::spawn_blocking(move || {
            let streamed = job.join().ok().and_then(Result::ok);
            unpack_streamed(&*source, &settings, &sink, streamed)
        })
    };
    let outcome = match work.await {
        Ok(result) => result,
        Err(e) => Err(IngestError::Task(e)),
    };
    match outcome {
        Ok(Some(inspection)) => Ok(content_of(inspection, package, &prefix)),
        outcome => {
            if let Err(cleanup) = store.delete_prefix(&prefix).await {
                tracing::error!(prefix = %prefix, error = %cleanup, "could not remove the files of a failed upload; the blob sweep will");
            }
            match outcome {
                Ok(_) => ingest_fresh(store, settings, tenant, package).await,
                Err(e) => Err(e),
            }
        }
    }
}

/// Inspects, refuses an unlaunchable package, and extracts into `sink` what `streamed` did
/// not store. `Ok(None)` when what was streamed must be discarded (it disagrees with the
/// central directory, or the streaming failed) and the package extracted afresh.
fn unpack_streamed(
    source: &dyn PackageSource,
    settings: &IngestSettings,
    sink: &dyn EntrySink,
    streamed: Option<Streamed>,
) -> Result<Option<Inspection>, IngestError> {
    let Some(streamed) = streamed else {
        tracing::warn!("the extraction while the upload arrived failed; extracting from the spooled file");
        return Ok(None);
    };
    let reader = source.open().map_err(IngestError::Io)?;
    let (inspection, remaining) = curricula_scorm::inspect_streamed(reader, &settings.limits, &streamed)?;
    inspection.ensure_launchable()?;
    match remaining {
        Remaining::Disagrees(why) => {
            tracing::warn!(%why, "the zip's local headers disagree with its central directory; extracting from the spooled file");
            Ok(None)
        }
        Remaining::Files(rest) => {
            if let Some(why) = &streamed.stopped {
                tracing::info!(%why, streamed = streamed.files(), rest = rest.len(), "the rest of the package is extracted from the spooled file");
            }
            curricula_scorm::extract_some(|| source.open(), &rest, settings.threads, sink).map_err(extract_error)?;
            Ok(Some(inspection))
        }
    }
}

fn extract_error(e: ExtractError) -> IngestError {
    match e {
        ExtractError::Refused(r) => IngestError::Refused(r),
        ExtractError::Sink(e) => match e.downcast::<BlobError>() {
            Ok(blob) => IngestError::Storage(blob),
            Err(e) => IngestError::Storage(BlobError::Backend(Box::new(e))),
        },
        ExtractError::Io(e) => IngestError::Io(e),
    }
}

/// Reads every file's bytes and keeps none: what [`verify`] extracts into.
struct DiscardSink;

impl EntrySink for DiscardSink {
    fn store(&self, _file: &FileEntry, contents: &mut dyn Read) -> io::Result<()> {
        io::copy(contents, &mut io::sink()).map(drop)
    }
}

/// Makes every check [`ingest`] makes, in the same order and with the same refusals, and
/// stores nothing: the package is inspected, refused when not launchable, and every file is
/// decompressed (zip bombs and corrupt entries are found) into nothing.
///
/// # Errors
/// `Refused` as [`ingest`] would; `Io`/`Task` when the spooled file cannot be read.
pub(crate) async fn verify(settings: &IngestSettings, package: &Package) -> Result<Inspection, IngestError> {
    let source = Arc::clone(&package.source);
    let settings = settings.clone();
    match tokio::task::spawn_blocking(move || unpack(&*source, &settings, &DiscardSink)).await {
        Ok(result) => result,
        Err(e) => Err(IngestError::Task(e)),
    }
}

/// Inspects, refuses an unlaunchable package, and extracts every file into `sink`.
fn unpack(
    source: &dyn PackageSource,
    settings: &IngestSettings,
    sink: &dyn EntrySink,
) -> Result<Inspection, IngestError> {
    let inspection = curricula_scorm::inspect(source.open().map_err(IngestError::Io)?, &settings.limits)?;
    inspection.ensure_launchable()?;
    curricula_scorm::extract(|| source.open(), &inspection, settings.threads, sink).map_err(extract_error)?;
    Ok(inspection)
}

fn content_of(inspection: Inspection, package: &Package, prefix: &BlobKey) -> ScormContent {
    ScormContent {
        items: serde_json::to_value(&inspection.items).unwrap_or_default(),
        scorm_version: inspection.scorm_version,
        title: inspection.title,
        description: inspection.description,
        launch_href: inspection.launch_href,
        mastery_score: inspection.mastery_score,
        completion_threshold: inspection.completion_threshold,
        file_count: inspection.file_count as u64,
        total_bytes: inspection.total_uncompressed_bytes,
        package_sha256: package.sha256.clone(),
        storage_prefix: prefix.as_str().to_owned(),
    }
}

#[cfg(test)]
mod prefix_tests {
    use super::*;

    #[test]
    fn a_folder_names_its_tenant() {
        let prefix = new_prefix(TenantId(42));
        assert_eq!(prefix_tenant(&prefix), Some(TenantId(42)));
        for other in [
            "packages/1",
            "packages/x/aa",
            "packages/01/aa",
            "packages/1/aa/b",
            "blobs/1/aa",
            "packages/-1/aa",
        ] {
            assert_eq!(prefix_tenant(&BlobKey::new(other).unwrap()), None, "{other}");
        }
    }
}
