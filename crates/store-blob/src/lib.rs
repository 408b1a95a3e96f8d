#![doc = include_str!("../README.md")]

use async_trait::async_trait;
use bytes::Bytes;
use curricula_ports::{BlobError, BlobInfo, BlobKey, BlobMeta, BlobStore, BlobStream};
use futures::{StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{
    Attribute, Attributes, GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutOptions, PutPayload, WriteMultipart,
};
use std::io::Read;
use std::ops::Range;
use std::sync::Arc;
use tokio::runtime::Handle;

/// Size of the parts a large blob is uploaded in; also the most a single put holds in memory.
const CHUNK: usize = 8 * 1024 * 1024;
/// The key of the object a readiness check writes and deletes again.
const PROBE: &str = ".readyz-probe";
/// Parts of one blob in flight at once.
const PARTS_IN_FLIGHT: usize = 2;

/// Why a blob store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The URL is not one this build understands.
    #[error("storage url {0:?} is not supported (use file:///absolute/path, s3://bucket/prefix or memory://)")]
    Unsupported(String),
    /// The store could not be set up (e.g. the folder cannot be created).
    #[error("opening the blob store failed: {0}")]
    Setup(String),
}

/// What is wrong with the bucket or folder itself (missing, not writable), naming it.
/// Returned inside [`BlobError::Backend`] by [`BlobStore::check`] and by writes. Its message
/// is the whole story (`/readyz` shows it); the backend's own error, a page of S3 XML, is kept
/// in `backend` (shown by `Debug`) rather than as the error's source.
#[derive(Debug, thiserror::Error)]
#[error("{target} {problem}")]
pub struct StoreProblem {
    /// The store, e.g. `bucket "curricula" (prefix "content") at http://minio:9000`.
    pub target: String,
    /// What is wrong, with what to do.
    pub problem: String,
    /// The backend's error.
    pub backend: Option<object_store::Error>,
}

/// How to reach an S3-compatible server. Every field left empty (`None`) falls back to the
/// standard `AWS_*` environment (`AWS_ENDPOINT`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_ALLOW_HTTP`, ...), then to
/// `object_store`'s defaults (AWS itself, credentials from the instance or web identity).
#[derive(Clone, Default)]
pub struct S3Options {
    /// Endpoint of an S3-compatible server, e.g. `http://127.0.0.1:9000`; `None` = AWS.
    pub endpoint: Option<String>,
    /// Region, e.g. `eu-west-1`.
    pub region: Option<String>,
    /// Access key id.
    pub access_key_id: Option<String>,
    /// Secret access key (never logged or printed).
    pub secret_access_key: Option<String>,
    /// Session token of temporary credentials (never logged or printed).
    pub session_token: Option<String>,
    /// `true` = path-style requests (`endpoint/bucket/key`, what most S3-compatible servers
    /// need), `false` = virtual-hosted style (`bucket.endpoint/key`).
    pub path_style: Option<bool>,
    /// Allow a plain `http://` endpoint.
    pub allow_http: Option<bool>,
}

impl std::fmt::Debug for S3Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Options")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field(
                "secret_access_key",
                &self.secret_access_key.as_ref().map(|_| "<redacted>"),
            )
            .field("session_token", &self.session_token.as_ref().map(|_| "<redacted>"))
            .field("path_style", &self.path_style)
            .field("allow_http", &self.allow_http)
            .finish()
    }
}

/// The blob-store port over any `object_store` backend.
#[derive(Clone)]
pub struct ObjectBlobStore {
    store: Arc<dyn ObjectStore>,
    /// Whether the backend keeps attributes such as the content type (the local one does not).
    keeps_attributes: bool,
    /// The runtime `put_blocking` drives uploads on.
    handle: Handle,
    /// The bucket or folder, as errors name it.
    target: String,
    /// The folder of a local store, which must exist (writes would recreate it silently).
    root: Option<std::path::PathBuf>,
    /// The local store itself, which `put_blocking` writes into directly (see there).
    local: Option<Arc<LocalFileSystem>>,
}

impl std::fmt::Debug for ObjectBlobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ObjectBlobStore({})", self.store)
    }
}

impl ObjectBlobStore {
    /// Opens the store named by `url`: `file:///absolute/folder` (created when missing),
    /// `s3://bucket/optional/prefix` (configured from the `AWS_*` environment) or `memory://`.
    /// Must be called inside a Tokio runtime, which later uploads run on.
    ///
    /// # Errors
    /// `Unsupported` for another scheme, `Setup` when the folder cannot be created.
    pub fn open(url: &str) -> Result<Self, OpenError> {
        Self::open_with(url, &S3Options::default())
    }

    /// Like [`ObjectBlobStore::open`], with S3 settings that override the environment.
    ///
    /// # Errors
    /// `Unsupported` for another scheme, `Setup` when the folder cannot be created or the S3
    /// settings are incomplete (no bucket, a malformed endpoint).
    pub fn open_with(url: &str, s3: &S3Options) -> Result<Self, OpenError> {
        let parsed = url::Url::parse(url).map_err(|_| OpenError::Unsupported(url.to_owned()))?;
        match parsed.scheme() {
            "file" => {
                let dir = parsed
                    .to_file_path()
                    .map_err(|()| OpenError::Unsupported(url.to_owned()))?;
                std::fs::create_dir_all(&dir).map_err(|e| OpenError::Setup(format!("{}: {e}", dir.display())))?;
                let local = LocalFileSystem::new_with_prefix(&dir)
                    .map_err(|e| OpenError::Setup(e.to_string()))?
                    .with_automatic_cleanup(true);
                let local = Arc::new(local);
                let mut store = Self::new(Arc::clone(&local) as Arc<dyn ObjectStore>, false);
                store.target = format!("folder {}", dir.display());
                store.root = Some(dir);
                store.local = Some(local);
                Ok(store)
            }
            "memory" => Ok(Self::memory()),
            "s3" => {
                let bucket = parsed
                    .host_str()
                    .filter(|b| !b.is_empty())
                    .ok_or_else(|| OpenError::Setup(format!("storage url {url:?} names no bucket")))?;
                let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
                let set = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
                if let Some(endpoint) = set(&s3.endpoint) {
                    builder = builder.with_endpoint(endpoint);
                }
                if let Some(region) = set(&s3.region) {
                    builder = builder.with_region(region);
                }
                if let Some(id) = set(&s3.access_key_id) {
                    builder = builder.with_access_key_id(id);
                }
                if let Some(secret) = set(&s3.secret_access_key) {
                    builder = builder.with_secret_access_key(secret);
                }
                if let Some(token) = set(&s3.session_token) {
                    builder = builder.with_token(token);
                }
                if let Some(path_style) = s3.path_style {
                    builder = builder.with_virtual_hosted_style_request(!path_style);
                }
                if let Some(allow_http) = s3.allow_http {
                    builder = builder.with_allow_http(allow_http);
                }
                // The builder's errors name the missing or malformed setting, never a secret.
                let store = builder.build().map_err(|e| OpenError::Setup(e.to_string()))?;
                let prefix: Vec<&str> = parsed.path().split('/').filter(|s| !s.is_empty()).collect();
                let at = set(&s3.endpoint)
                    .or_else(|| std::env::var("AWS_ENDPOINT").ok().filter(|e| !e.trim().is_empty()))
                    .map_or_else(|| " on AWS S3".to_owned(), |e| format!(" at {e}"));
                let mut store = if prefix.is_empty() {
                    Self::new(Arc::new(store), true)
                } else {
                    Self::new(Arc::new(PrefixStore::new(store, Path::from_iter(prefix.clone()))), true)
                };
                store.target = if prefix.is_empty() {
                    format!("bucket {bucket:?}{at}")
                } else {
                    format!("bucket {bucket:?} (prefix {:?}){at}", prefix.join("/"))
                };
                Ok(store)
            }
            _ => Err(OpenError::Unsupported(url.to_owned())),
        }
    }

    /// A fresh in-memory store (tests). Must be called inside a Tokio runtime.
    pub fn memory() -> Self {
        Self::new(Arc::new(InMemory::new()), true)
    }

    /// Wraps any `object_store` backend. Must be called inside a Tokio runtime.
    pub fn new(store: Arc<dyn ObjectStore>, keeps_attributes: bool) -> Self {
        let target = format!("blob store {store}");
        Self {
            store,
            keeps_attributes,
            handle: Handle::current(),
            target,
            root: None,
            local: None,
        }
    }

    /// A write's error: "not found" while writing means the bucket (or folder) is missing,
    /// which the error then says, naming it.
    fn write_error(&self, e: object_store::Error) -> BlobError {
        match e {
            object_store::Error::NotFound { .. } => self.problem(
                "does not exist: create it (the compose file and OPERATIONS.md show how) or point storage.url at one that does",
                e,
            ),
            object_store::Error::PermissionDenied { .. } | object_store::Error::Unauthenticated { .. } => {
                self.problem("refuses to store objects for this service's credentials", e)
            }
            other => backend(other),
        }
    }

    fn problem(&self, problem: &str, source: object_store::Error) -> BlobError {
        BlobError::Backend(Box::new(StoreProblem {
            target: self.target.clone(),
            problem: problem.to_owned(),
            backend: Some(source),
        }))
    }

    fn options(&self, content_type: &str) -> (PutOptions, object_store::PutMultipartOptions) {
        let mut attributes = Attributes::new();
        if self.keeps_attributes {
            attributes.insert(Attribute::ContentType, content_type.to_owned().into());
        }
        let put = PutOptions {
            attributes: attributes.clone(),
            ..PutOptions::default()
        };
        let multipart = object_store::PutMultipartOptions {
            attributes,
            ..Default::default()
        };
        (put, multipart)
    }
}

fn path(key: &BlobKey) -> Path {
    Path::from_iter(key.as_str().split('/'))
}

fn backend(e: object_store::Error) -> BlobError {
    match e {
        object_store::Error::NotFound { path, .. } => BlobError::NotFound(path),
        other => BlobError::Backend(Box::new(other)),
    }
}

/// Buffer of a direct write into a local store.
const LOCAL_BUFFER: usize = 128 * 1024;

/// `put_blocking` into a local store: the bytes go straight into a staging file beside the
/// target, through one small buffer, which is then renamed over it (what `LocalFileSystem`
/// does, with the same `{name}#{digits}` staging names, which its listings skip). Going
/// through `put_opts`/`WriteMultipart` instead would hold up to three 8 MiB parts per worker
/// in memory (and a whole small file in a `Bytes`) only to write them to the same disk.
fn put_local(local: &LocalFileSystem, key: &BlobKey, contents: &mut dyn Read) -> Result<u64, BlobError> {
    use std::io::Write as _;
    let target = local.path_to_filesystem(&path(key)).map_err(backend)?;
    let fs_error = |e: std::io::Error| BlobError::Backend(Box::new(e));
    let (file, staging) = staging_file(&target).map_err(fs_error)?;
    let mut out = std::io::BufWriter::with_capacity(LOCAL_BUFFER, file);
    let mut buf = vec![0u8; LOCAL_BUFFER];
    let mut total = 0u64;
    let written = loop {
        let n = match contents.read(&mut buf) {
            Ok(0) => break out.flush().map_err(fs_error),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => break Err(BlobError::Source(e)),
        };
        total += n as u64;
        if let Err(e) = out.write_all(&buf[..n]) {
            break Err(fs_error(e));
        }
    };
    drop(out);
    let published = written.and_then(|()| std::fs::rename(&staging, &target).map_err(fs_error));
    if published.is_err() {
        let _ = std::fs::remove_file(&staging);
    }
    published.map(|()| total)
}

/// A new staging file `{target}#{n}` (creating the folders), as `LocalFileSystem` names them.
fn staging_file(target: &std::path::Path) -> std::io::Result<(std::fs::File, std::path::PathBuf)> {
    let mut n = 1u32;
    let mut created = false;
    loop {
        let mut name = target.as_os_str().to_owned();
        name.push(format!("#{n}"));
        let staging = std::path::PathBuf::from(name);
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&staging) {
            Ok(file) => return Ok((file, staging)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => n += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !created => {
                let parent = target.parent().ok_or(e)?;
                std::fs::create_dir_all(parent)?;
                created = true;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Reads until `buf` holds `CHUNK` bytes or the source ends.
fn fill(contents: &mut dyn Read, buf: &mut Vec<u8>) -> Result<(), BlobError> {
    buf.clear();
    let mut limited = contents.take(CHUNK as u64);
    limited.read_to_end(buf).map_err(BlobError::Source)?;
    Ok(())
}

#[async_trait]
impl BlobStore for ObjectBlobStore {
    fn put_blocking(&self, key: &BlobKey, contents: &mut dyn Read, content_type: &str) -> Result<u64, BlobError> {
        if let Some(local) = &self.local {
            return put_local(local, key, contents);
        }
        // Extraction workers are plain threads; multipart uploads spawn tasks on the runtime.
        let _runtime = self.handle.enter();
        let location = path(key);
        let (put_options, multipart_options) = self.options(content_type);
        let mut buf = Vec::with_capacity(64 * 1024);
        fill(contents, &mut buf)?;
        if buf.len() < CHUNK {
            let len = buf.len() as u64;
            let payload = PutPayload::from(Bytes::from(buf));
            self.handle
                .block_on(self.store.put_opts(&location, payload, put_options))
                .map_err(|e| self.write_error(e))?;
            return Ok(len);
        }
        let upload = self
            .handle
            .block_on(self.store.put_multipart_opts(&location, multipart_options))
            .map_err(|e| self.write_error(e))?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, CHUNK);
        let mut total = 0u64;
        loop {
            total += buf.len() as u64;
            writer.put(Bytes::from(std::mem::take(&mut buf)));
            if let Err(e) = self.handle.block_on(writer.wait_for_capacity(PARTS_IN_FLIGHT)) {
                let _ = self.handle.block_on(writer.abort());
                return Err(self.write_error(e));
            }
            let mut next = Vec::with_capacity(CHUNK);
            if let Err(e) = fill(contents, &mut next) {
                let _ = self.handle.block_on(writer.abort());
                return Err(e);
            }
            if next.is_empty() {
                break;
            }
            buf = next;
        }
        self.handle.block_on(writer.finish()).map_err(|e| self.write_error(e))?;
        Ok(total)
    }

    async fn put(&self, key: &BlobKey, bytes: Bytes, content_type: &str) -> Result<(), BlobError> {
        let (options, _) = self.options(content_type);
        self.store
            .put_opts(&path(key), PutPayload::from(bytes), options)
            .await
            .map_err(|e| self.write_error(e))?;
        Ok(())
    }

    /// Writes a small object and deletes it again: proves that the bucket (or folder) exists
    /// and takes writes, and names it when not. A local folder must exist beforehand (a write
    /// would silently recreate a deleted one).
    async fn check(&self) -> Result<(), BlobError> {
        if let Some(root) = &self.root
            && !root.is_dir()
        {
            return Err(BlobError::Backend(Box::new(StoreProblem {
                target: self.target.clone(),
                problem: "does not exist (was it removed or not mounted?): create it or point storage.url at the right folder"
                    .to_owned(),
                backend: None,
            })));
        }
        let probe = Path::from(PROBE);
        self.store
            .put(&probe, PutPayload::from_static(b"readiness probe"))
            .await
            .map_err(|e| self.write_error(e))?;
        match self.store.delete(&probe).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.problem(
                "takes writes but refuses deletes (the sweep and revisions need both)",
                e,
            )),
        }
    }

    async fn get(&self, key: &BlobKey) -> Result<Bytes, BlobError> {
        let result = self.store.get(&path(key)).await.map_err(backend)?;
        result.bytes().await.map_err(backend)
    }

    async fn head(&self, key: &BlobKey) -> Result<BlobInfo, BlobError> {
        let meta = self.store.head(&path(key)).await.map_err(backend)?;
        Ok(BlobInfo {
            size: meta.size,
            modified: meta.last_modified,
            version: meta.e_tag.or(meta.version),
        })
    }

    async fn get_stream(&self, key: &BlobKey, range: Option<Range<u64>>) -> Result<BlobStream, BlobError> {
        if let Some(r) = &range
            && r.start >= r.end
        {
            return Err(BlobError::Backend(
                format!("empty or reversed byte range {r:?} of {key}").into(),
            ));
        }
        let options = GetOptions {
            range: range.map(GetRange::Bounded),
            ..GetOptions::default()
        };
        let result = self.store.get_opts(&path(key), options).await.map_err(backend)?;
        Ok(result.into_stream().map_err(backend).boxed())
    }

    async fn list(&self, prefix: &BlobKey) -> Result<Vec<BlobMeta>, BlobError> {
        let mut out: Vec<BlobMeta> = self
            .store
            .list(Some(&path(prefix)))
            .map_err(backend)
            .and_then(|meta| async move {
                let key = BlobKey::new(meta.location.as_ref())?;
                Ok(BlobMeta {
                    key,
                    size: meta.size,
                    modified: meta.last_modified,
                })
            })
            .try_collect()
            .await?;
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    async fn delete_prefix(&self, prefix: &BlobKey) -> Result<usize, BlobError> {
        let locations = self.store.list(Some(&path(prefix))).map_ok(|m| m.location).boxed();
        let deleted: Vec<Path> = self
            .store
            .delete_stream(locations)
            .try_collect()
            .await
            .map_err(backend)?;
        Ok(deleted.len())
    }
}

/// Helpers for tests that need a real S3-protocol server, named by `TEST_S3_ENDPOINT`.
#[cfg(feature = "testing")]
pub mod testing {
    use super::S3Options;
    use std::io::{Read, Write};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// The S3 test endpoint. Without one, says loudly that `test` is skipped and returns
    /// `None`, unless `CURRICULA_REQUIRE_S3=1` (set by CI), which makes it panic instead.
    pub fn s3_endpoint(test: &str) -> Option<String> {
        match std::env::var("TEST_S3_ENDPOINT") {
            Ok(endpoint) if !endpoint.trim().is_empty() => Some(endpoint.trim().trim_end_matches('/').to_owned()),
            _ => {
                assert!(
                    std::env::var("CURRICULA_REQUIRE_S3").as_deref() != Ok("1"),
                    "{test}: TEST_S3_ENDPOINT is not set but CURRICULA_REQUIRE_S3=1 requires the S3 tests"
                );
                // Straight to the process's stderr: the test harness captures `eprintln!`.
                let _ = std::io::Write::write_fmt(
                    &mut std::io::stderr(),
                    format_args!(
                        "\n*** SKIPPED {test}: set TEST_S3_ENDPOINT (e.g. http://127.0.0.1:5055 from `moto_server -p 5055`) to run it ***\n\n"
                    ),
                );
                None
            }
        }
    }

    /// Creates a bucket with a fresh name on `endpoint` (an unsigned path-style PUT, which
    /// test servers such as moto accept) and returns its name.
    ///
    /// # Panics
    /// When the server cannot be reached or refuses.
    pub fn create_bucket(endpoint: &str) -> String {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let bucket = format!(
            "curricula-test-{}-{}-{}",
            std::process::id(),
            nanos % 1_000_000_000_000,
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        create_bucket_named(endpoint, &bucket);
        bucket
    }

    /// Creates the bucket `bucket` on `endpoint`, like [`create_bucket`].
    ///
    /// # Panics
    /// When the server cannot be reached or refuses.
    pub fn create_bucket_named(endpoint: &str, bucket: &str) {
        let url = url::Url::parse(endpoint).expect("TEST_S3_ENDPOINT is a URL");
        let host = url.host_str().expect("TEST_S3_ENDPOINT has a host");
        let port = url.port_or_known_default().unwrap_or(80);
        let mut conn = std::net::TcpStream::connect((host, port)).expect("connecting to TEST_S3_ENDPOINT");
        write!(
            conn,
            "PUT /{bucket} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .expect("sending the bucket request");
        let mut response = String::new();
        conn.read_to_string(&mut response).expect("reading the bucket response");
        assert!(
            response.starts_with("HTTP/1.1 200") || response.starts_with("HTTP/1.0 200"),
            "creating bucket {bucket} failed: {response}"
        );
    }

    /// Settings for a test server at `endpoint`: path-style, plain HTTP, dummy credentials.
    pub fn options(endpoint: &str) -> S3Options {
        S3Options {
            endpoint: Some(endpoint.to_owned()),
            region: Some("us-east-1".to_owned()),
            access_key_id: Some("testing".to_owned()),
            secret_access_key: Some("testing".to_owned()),
            session_token: None,
            path_style: Some(true),
            allow_http: Some(true),
        }
    }
}
