//! Parallel, bounded extraction: every file is decompressed by one of several workers and
//! handed to an [`EntrySink`] through a reader that stops at the declared size.

use crate::entry::{FileEntry, Verified, open_error, read_refusal, unsafe_path_reason};
use crate::inspection::Inspection;
use crate::refusal::Refusal;
use std::io::{self, Read, Seek};
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Receives the verified contents of each file; called from several threads at once.
pub trait EntrySink: Sync {
    /// Stores `file`, reading `contents` to its end. An error from `contents` means the
    /// entry is hostile or broken: the sink must propagate it and keep nothing of that file.
    ///
    /// # Errors
    /// When storing fails, or `contents` fails.
    fn store(&self, file: &FileEntry, contents: &mut dyn Read) -> io::Result<()>;
}

/// Discards everything (verification only).
pub struct NullSink;

impl EntrySink for NullSink {
    fn store(&self, _: &FileEntry, contents: &mut dyn Read) -> io::Result<()> {
        io::copy(contents, &mut io::sink()).map(drop)
    }
}

/// Writes files under a folder, creating sub-folders.
pub struct DirSink {
    root: PathBuf,
}

impl DirSink {
    /// A sink writing under `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }
}

impl EntrySink for DirSink {
    fn store(&self, file: &FileEntry, contents: &mut dyn Read) -> io::Result<()> {
        // Paths were checked by `inspect`; check again so the sink is safe on its own.
        if unsafe_path_reason(&file.path).is_some() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("unsafe path {:?}", file.path),
            ));
        }
        let target = self.root.join(&file.path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut out = io::BufWriter::with_capacity(256 * 1024, std::fs::File::create(&target)?);
        let copied = io::copy(contents, &mut out).and_then(|_| io::Write::flush(&mut out));
        if copied.is_err() {
            drop(out);
            let _ = std::fs::remove_file(&target);
        }
        copied
    }
}

/// Why extraction stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// An entry's real bytes differ from its header (or it cannot be decompressed).
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The sink failed.
    #[error("storing a file failed")]
    Sink(#[source] io::Error),
    /// The package could not be read.
    #[error("reading the package failed")]
    Io(#[source] io::Error),
}

/// What was extracted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExtractStats {
    /// Files stored.
    pub files: usize,
    /// Bytes stored.
    pub bytes: u64,
}

/// Decompresses every file of `inspection` with `threads` workers (each opening its own
/// reader with `open`) into `sink`. Memory is bounded by the workers' buffers whatever the
/// package size; the first failure stops the other workers. The package's limits were
/// applied by [`crate::inspect`]; here every entry is held to its declared size and CRC.
///
/// # Errors
/// `Refused(zip_bomb)` when an entry's bytes differ from its header, `Sink` when the sink
/// fails, `Io` when the package cannot be read.
pub fn extract<R, F>(
    open: F,
    inspection: &Inspection,
    threads: usize,
    sink: &dyn EntrySink,
) -> Result<ExtractStats, ExtractError>
where
    F: Fn() -> io::Result<R> + Sync,
    R: Read + Seek,
{
    extract_files(&open, &inspection.files, threads, sink)
}

pub(crate) fn extract_files<R, F>(
    open: &F,
    files: &[FileEntry],
    threads: usize,
    sink: &dyn EntrySink,
) -> Result<ExtractStats, ExtractError>
where
    F: Fn() -> io::Result<R> + Sync,
    R: Read + Seek,
{
    // Largest first, so a big media file does not start last and finish alone.
    let mut order: Vec<&FileEntry> = files.iter().collect();
    order.sort_by_key(|f| std::cmp::Reverse(f.size));
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let first_error: Mutex<Option<ExtractError>> = Mutex::new(None);
    let stats = Mutex::new(ExtractStats::default());
    let workers = threads.clamp(1, 16).min(order.len().max(1));

    let worker = || {
        let fail = |e: ExtractError| {
            stop.store(true, Ordering::SeqCst);
            let mut slot = first_error.lock().unwrap_or_else(|p| p.into_inner());
            slot.get_or_insert(e);
        };
        let reader = match open() {
            Ok(r) => r,
            Err(e) => return fail(ExtractError::Io(e)),
        };
        let mut zip = match zip::ZipArchive::new(reader) {
            Ok(z) => z,
            Err(e) => return fail(ExtractError::Io(io::Error::other(e))),
        };
        let mut mine = ExtractStats::default();
        while !stop.load(Ordering::SeqCst) {
            let i = next.fetch_add(1, Ordering::SeqCst);
            let Some(file) = order.get(i) else { break };
            let entry = match zip.by_index(file.index) {
                Ok(entry) => entry,
                Err(e) => return fail(ExtractError::Refused(open_error(&file.path, e))),
            };
            let mut verified = Verified::new(entry, file);
            let stored = sink.store(file, &mut verified);
            // Finish verification even if the sink stopped early.
            let drained = stored.as_ref().ok().map(|()| io::copy(&mut verified, &mut io::sink()));
            if let Some(refusal) = verified.refusal() {
                return fail(ExtractError::Refused(refusal));
            }
            if let Err(e) = stored {
                return fail(ExtractError::Sink(e));
            }
            if let Some(Err(e)) = drained {
                return fail(ExtractError::Refused(read_refusal(&file.path, &e)));
            }
            mine.files += 1;
            mine.bytes += file.size;
        }
        let mut total = stats.lock().unwrap_or_else(|p| p.into_inner());
        total.files += mine.files;
        total.bytes += mine.bytes;
    };

    std::thread::scope(|scope| {
        for _ in 1..workers {
            scope.spawn(worker);
        }
        worker();
    });
    if let Some(e) = first_error.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    Ok(stats.into_inner().unwrap_or_else(|p| p.into_inner()))
}
