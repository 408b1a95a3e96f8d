#![doc = include_str!("../README.md")]

use async_trait::async_trait;
use bytes::Bytes;
use curricula_ports::{BlobError, BlobKey, BlobMeta, BlobStore};
use futures::{StreamExt, TryStreamExt};
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{Attribute, Attributes, ObjectStore, ObjectStoreExt, PutOptions, PutPayload, WriteMultipart};
use std::io::Read;
use std::sync::Arc;
use tokio::runtime::Handle;

/// Size of the parts a large blob is uploaded in; also the most a single put holds in memory.
const CHUNK: usize = 8 * 1024 * 1024;
/// Parts of one blob in flight at once.
const PARTS_IN_FLIGHT: usize = 2;

/// Why a blob store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The URL is not one this build understands.
    #[error("storage url {0:?} is not supported (use file:///absolute/path or memory://)")]
    Unsupported(String),
    /// The store could not be set up (e.g. the folder cannot be created).
    #[error("opening the blob store failed: {0}")]
    Setup(String),
}

/// The blob-store port over any `object_store` backend.
#[derive(Clone)]
pub struct ObjectBlobStore {
    store: Arc<dyn ObjectStore>,
    /// Whether the backend keeps attributes such as the content type (the local one does not).
    keeps_attributes: bool,
    /// The runtime `put_blocking` drives uploads on.
    handle: Handle,
}

impl std::fmt::Debug for ObjectBlobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ObjectBlobStore({})", self.store)
    }
}

impl ObjectBlobStore {
    /// Opens the store named by `url`: `file:///absolute/folder` (created when missing) or
    /// `memory://`. Must be called inside a Tokio runtime, which later uploads run on.
    ///
    /// # Errors
    /// `Unsupported` for another scheme, `Setup` when the folder cannot be created.
    pub fn open(url: &str) -> Result<Self, OpenError> {
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
                Ok(Self::new(Arc::new(local), false))
            }
            "memory" => Ok(Self::memory()),
            _ => Err(OpenError::Unsupported(url.to_owned())),
        }
    }

    /// A fresh in-memory store (tests). Must be called inside a Tokio runtime.
    pub fn memory() -> Self {
        Self::new(Arc::new(InMemory::new()), true)
    }

    /// Wraps any `object_store` backend. Must be called inside a Tokio runtime.
    pub fn new(store: Arc<dyn ObjectStore>, keeps_attributes: bool) -> Self {
        Self {
            store,
            keeps_attributes,
            handle: Handle::current(),
        }
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
                .map_err(backend)?;
            return Ok(len);
        }
        let upload = self
            .handle
            .block_on(self.store.put_multipart_opts(&location, multipart_options))
            .map_err(backend)?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, CHUNK);
        let mut total = 0u64;
        loop {
            total += buf.len() as u64;
            writer.put(Bytes::from(std::mem::take(&mut buf)));
            if let Err(e) = self.handle.block_on(writer.wait_for_capacity(PARTS_IN_FLIGHT)) {
                let _ = self.handle.block_on(writer.abort());
                return Err(backend(e));
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
        self.handle.block_on(writer.finish()).map_err(backend)?;
        Ok(total)
    }

    async fn put(&self, key: &BlobKey, bytes: Bytes, content_type: &str) -> Result<(), BlobError> {
        let (options, _) = self.options(content_type);
        self.store
            .put_opts(&path(key), PutPayload::from(bytes), options)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn check(&self) -> Result<(), BlobError> {
        // One HEAD request; "not found" proves the store answered.
        match self.store.head(&object_store::path::Path::from(".readyz")).await {
            Ok(_) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(backend(e)),
        }
    }

    async fn get(&self, key: &BlobKey) -> Result<Bytes, BlobError> {
        let result = self.store.get(&path(key)).await.map_err(backend)?;
        result.bytes().await.map_err(backend)
    }

    async fn list(&self, prefix: &BlobKey) -> Result<Vec<BlobMeta>, BlobError> {
        let mut out: Vec<BlobMeta> = self
            .store
            .list(Some(&path(prefix)))
            .map_err(backend)
            .and_then(|meta| async move {
                let key = BlobKey::new(meta.location.as_ref())?;
                Ok(BlobMeta { key, size: meta.size })
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
