//! Extraction while the package is still arriving: the zip's local headers are read from the
//! spool file as it grows, and each entry is decompressed into the sink as soon as its bytes
//! are there. Nothing here decides whether the package is accepted: [`crate::inspect_streamed`]
//! later holds what was streamed to the central directory, and every entry that was not
//! streamed, or not exactly as the directory says, is extracted from the spooled copy.

use crate::archive::Limits;
use crate::entry::{FileEntry, content_type, unsafe_path_reason};
use crate::extract::EntrySink;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::mpsc;
use std::sync::{Condvar, Mutex, PoisonError};

/// How far a file being received has been written: the spooler advances it, readers wait on it.
#[derive(Debug, Default)]
pub struct Arrival {
    state: Mutex<ArrivalState>,
    changed: Condvar,
}

#[derive(Debug, Default, Clone, Copy)]
struct ArrivalState {
    written: u64,
    ending: Ending,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Ending {
    #[default]
    Open,
    Complete,
    Aborted,
}

impl Arrival {
    /// A file of which nothing is written yet.
    pub fn new() -> Self {
        Self::default()
    }

    fn update(&self, f: impl FnOnce(&mut ArrivalState)) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut state);
        drop(state);
        self.changed.notify_all();
    }

    /// `written` bytes of the file are written (and readable through the file system).
    pub fn advance(&self, written: u64) {
        self.update(|s| s.written = s.written.max(written));
    }

    /// The file is complete.
    pub fn complete(&self) {
        self.update(|s| {
            if s.ending == Ending::Open {
                s.ending = Ending::Complete;
            }
        });
    }

    /// The file will never be complete (the body failed): readers stop.
    pub fn abort(&self) {
        self.update(|s| s.ending = Ending::Aborted);
    }

    /// Whether [`Arrival::abort`] was called.
    pub fn is_aborted(&self) -> bool {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).ending == Ending::Aborted
    }

    /// Waits until `want` bytes are written or the file is complete; the bytes written then
    /// (fewer than `want` only when the file is complete and shorter).
    fn wait(&self, want: u64) -> io::Result<u64> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            match state.ending {
                Ending::Aborted => return Err(io::Error::other("the upload was abandoned")),
                _ if state.written >= want => return Ok(state.written),
                Ending::Complete => return Ok(state.written),
                Ending::Open => state = self.changed.wait(state).unwrap_or_else(PoisonError::into_inner),
            }
        }
    }
}

/// A range of the growing file, read as it arrives.
struct Arriving<'a> {
    file: &'a mut File,
    pos: u64,
    end: u64,
    arrival: &'a Arrival,
}

impl Read for Arriving<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.end || buf.is_empty() {
            return Ok(0);
        }
        let written = self.arrival.wait(self.pos + 1)?;
        if written <= self.pos {
            return Ok(0);
        }
        let n = (buf.len() as u64).min(written - self.pos).min(self.end - self.pos) as usize;
        let n = self.file.read(&mut buf[..n])?;
        self.pos += n as u64;
        Ok(n)
    }
}

/// One entry stored while the package arrived, exactly as its local header declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StreamedEntry {
    /// Offset of its local header.
    pub offset: u64,
    pub name: String,
    pub method: u16,
    pub compressed: u64,
    pub size: u64,
    pub crc32: u32,
}

/// What [`stream_extract`] stored.
#[derive(Debug, Default)]
pub struct Streamed {
    pub(crate) entries: Vec<StreamedEntry>,
    /// Why the local headers stopped being followed before the central directory, if they
    /// did (a data descriptor, a limit, bytes that are no local header): the entries after
    /// that point are extracted from the spooled copy.
    pub stopped: Option<String>,
}

impl Streamed {
    /// Files stored.
    pub fn files(&self) -> usize {
        self.entries.len()
    }

    /// Their bytes.
    pub fn bytes(&self) -> u64 {
        self.entries.iter().map(|e| e.size).sum()
    }
}

const LOCAL_HEADER: u32 = 0x0403_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const END_OF_DIRECTORY: u32 = 0x0605_4b50;
const ZIP64_END: u32 = 0x0606_4b50;
const FLAG_ENCRYPTED: u16 = 1;
const FLAG_DATA_DESCRIPTOR: u16 = 1 << 3;
const STORED: u16 = 0;
/// Compressed bytes read at once by a worker's inflater.
const INFLATE_INPUT: usize = 64 * 1024;
const DEFLATED: u16 = 8;

/// A local header, read.
struct Local {
    flags: u16,
    method: u16,
    crc32: u32,
    compressed: u64,
    size: u64,
    name: String,
    data_start: u64,
}

/// What the next bytes are.
enum Next {
    Entry(Local),
    /// The central directory (or the end): every entry was seen.
    End,
    Stop(String),
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(bytes)
}

/// Reads `len` bytes at `pos` once they have arrived; `None` when the file ends before.
fn read_at(file: &mut File, arrival: &Arrival, pos: u64, len: usize) -> io::Result<Option<Vec<u8>>> {
    let want = pos + len as u64;
    if arrival.wait(want)? < want {
        return Ok(None);
    }
    file.seek(SeekFrom::Start(pos))?;
    let mut buf = vec![0u8; len];
    file.read_exact(&mut buf)?;
    Ok(Some(buf))
}

fn next_header(file: &mut File, arrival: &Arrival, pos: u64) -> io::Result<Next> {
    let Some(fixed) = read_at(file, arrival, pos, 30)? else {
        // Too short for a header: whatever it is, the central directory decides.
        return Ok(Next::End);
    };
    match u32_at(&fixed, 0) {
        LOCAL_HEADER => {}
        CENTRAL_HEADER | END_OF_DIRECTORY | ZIP64_END => return Ok(Next::End),
        _ => return Ok(Next::Stop(format!("the bytes at offset {pos} are no local header"))),
    }
    let flags = u16_at(&fixed, 6);
    let method = u16_at(&fixed, 8);
    let crc32 = u32_at(&fixed, 14);
    let mut compressed = u64::from(u32_at(&fixed, 18));
    let mut size = u64::from(u32_at(&fixed, 22));
    let name_len = usize::from(u16_at(&fixed, 26));
    let extra_len = usize::from(u16_at(&fixed, 28));
    let Some(rest) = read_at(file, arrival, pos + 30, name_len + extra_len)? else {
        return Ok(Next::End);
    };
    let name = String::from_utf8_lossy(&rest[..name_len]).into_owned();
    if size == u64::from(u32::MAX) || compressed == u64::from(u32::MAX) {
        // Zip64: the real sizes are in the extra field 0x0001, those that overflowed, in order.
        let mut extra = &rest[name_len..];
        let mut found = false;
        while extra.len() >= 4 {
            let (id, len) = (u16_at(extra, 0), usize::from(u16_at(extra, 2)));
            let Some(body) = extra.get(4..4 + len) else { break };
            if id == 1 {
                let mut at = 0;
                let mut take = |field: &mut u64| {
                    if *field == u64::from(u32::MAX) {
                        if let Some(bytes) = body.get(at..at + 8) {
                            *field = u64_at(bytes, 0);
                            at += 8;
                            return true;
                        }
                        return false;
                    }
                    true
                };
                found = take(&mut size) && take(&mut compressed);
                break;
            }
            extra = &extra[4 + len..];
        }
        if !found {
            return Ok(Next::Stop(format!(
                "entry {name:?} at offset {pos} has no readable zip64 sizes"
            )));
        }
    }
    Ok(Next::Entry(Local {
        flags,
        method,
        crc32,
        compressed,
        size,
        name,
        data_start: pos + 30 + (name_len + extra_len) as u64,
    }))
}

/// A job for a worker: one entry to store.
struct Job {
    offset: u64,
    local: Local,
}

/// Follows the local headers of the zip being written to `path` (as `arrival` says) and
/// stores every file entry that can be read from them into `sink`, with `threads` workers,
/// until the central directory. Within `limits`: no more entries and declared bytes than
/// they allow; entries the directory checks would refuse (unsafe paths, absurd ratios,
/// encryption, unknown methods) are not stored. An entry whose bytes are not what its header
/// says (size, CRC, data) or that the sink refuses is left out of the result: extracted
/// again from the spool, it is refused (or fails) there with the usual message.
///
/// Memory: one header and the workers' buffers (64 KiB of inflater input each).
///
/// # Errors
/// When the spool file cannot be opened; nothing is stored then.
pub fn stream_extract(
    path: &Path,
    arrival: &Arrival,
    limits: &Limits,
    threads: usize,
    sink: &dyn EntrySink,
) -> io::Result<Streamed> {
    let mut file = File::open(path)?;
    let workers = threads.clamp(1, 16);
    let (jobs, queue) = mpsc::sync_channel::<Job>(workers * 2);
    let queue = Mutex::new(queue);
    let stored: Mutex<Vec<StreamedEntry>> = Mutex::new(Vec::new());

    let worker = || {
        let Ok(mut file) = File::open(path) else { return };
        loop {
            let job = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
            let Ok(job) = job else { return };
            if arrival.is_aborted() {
                continue;
            }
            if let Some(entry) = store_one(&mut file, arrival, &job, sink) {
                stored.lock().unwrap_or_else(PoisonError::into_inner).push(entry);
            }
        }
    };

    let stopped = std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(worker);
        }
        let stopped = follow(&mut file, arrival, limits, &jobs);
        drop(jobs);
        stopped
    });
    let mut entries = stored.into_inner().unwrap_or_else(PoisonError::into_inner);
    entries.sort_by_key(|e| e.offset);
    Ok(Streamed { entries, stopped })
}

/// The header walk: sends a job per storable entry; says why it stopped early, if it did.
fn follow(file: &mut File, arrival: &Arrival, limits: &Limits, jobs: &mpsc::SyncSender<Job>) -> Option<String> {
    let mut pos = 0u64;
    let mut count = 0usize;
    let mut declared = 0u64;
    loop {
        let local = match next_header(file, arrival, pos) {
            Ok(Next::Entry(local)) => local,
            Ok(Next::End) => return None,
            Ok(Next::Stop(why)) => return Some(why),
            Err(e) => return Some(format!("reading the upload failed ({e})")),
        };
        if local.flags & FLAG_DATA_DESCRIPTOR != 0 {
            return Some(format!(
                "entry {:?} at offset {pos} has a data descriptor (its sizes follow its data)",
                local.name
            ));
        }
        count += 1;
        if count > limits.max_entries {
            return Some(format!("more than {} entries", limits.max_entries));
        }
        let dir = local.name.ends_with('/');
        if !dir {
            declared = declared.saturating_add(local.size);
            if declared > limits.max_total_uncompressed_bytes {
                return Some(format!(
                    "more than {} bytes declared",
                    limits.max_total_uncompressed_bytes
                ));
            }
        }
        let next = local.data_start.saturating_add(local.compressed);
        let absurd = local.size > limits.bomb_min_entry_bytes
            && (local.compressed == 0 || local.size / local.compressed > limits.bomb_max_ratio);
        let storable = !dir
            && unsafe_path_reason(&local.name).is_none()
            && local.flags & FLAG_ENCRYPTED == 0
            && (local.method == DEFLATED || (local.method == STORED && local.compressed == local.size))
            && !absurd;
        if storable && jobs.send(Job { offset: pos, local }).is_err() {
            return Some("the extraction workers stopped".to_owned());
        }
        pos = next;
    }
}

/// Stores one entry, holding its bytes to its local header; `Some` when it was stored whole.
fn store_one(file: &mut File, arrival: &Arrival, job: &Job, sink: &dyn EntrySink) -> Option<StreamedEntry> {
    let local = &job.local;
    file.seek(SeekFrom::Start(local.data_start)).ok()?;
    let raw = Arriving {
        file,
        pos: local.data_start,
        end: local.data_start + local.compressed,
        arrival,
    };
    let entry = FileEntry {
        index: usize::MAX,
        content_type: content_type(&local.name),
        path: local.name.clone(),
        size: local.size,
        compressed_size: local.compressed,
        crc32: local.crc32,
    };
    let ok = if local.method == DEFLATED {
        let inflater = flate2::bufread::DeflateDecoder::new(io::BufReader::with_capacity(INFLATE_INPUT, raw));
        check_and_store(inflater, &entry, sink)
    } else {
        check_and_store(raw, &entry, sink)
    };
    ok.then(|| StreamedEntry {
        offset: job.offset,
        name: local.name.clone(),
        method: local.method,
        compressed: local.compressed,
        size: local.size,
        crc32: local.crc32,
    })
}

fn check_and_store(inner: impl Read, entry: &FileEntry, sink: &dyn EntrySink) -> bool {
    let mut checked = Checked {
        inner,
        size: entry.size,
        crc32: entry.crc32,
        produced: 0,
        hasher: crc32fast::Hasher::new(),
        failed: false,
        done: false,
    };
    let stored = sink.store(entry, &mut checked);
    stored.is_ok() && checked.done && !checked.failed
}

/// Yields an entry's bytes up to its declared size and fails (instead of ending) when the
/// size or the CRC differs: the sink then keeps nothing of it.
struct Checked<R> {
    inner: R,
    size: u64,
    crc32: u32,
    produced: u64,
    hasher: crc32fast::Hasher,
    failed: bool,
    done: bool,
}

impl<R: Read> Checked<R> {
    fn fail(&mut self, why: &str) -> io::Error {
        self.failed = true;
        io::Error::new(io::ErrorKind::InvalidData, why.to_owned())
    }
}

impl<R: Read> Read for Checked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.failed {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "entry does not match its header",
            ));
        }
        if buf.is_empty() {
            return Ok(0);
        }
        // Never more than one byte past the declared size is asked for.
        let room = (self.size - self.produced).saturating_add(1);
        let len = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        match self.inner.read(&mut buf[..len]) {
            Ok(0) => {
                if self.produced != self.size {
                    return Err(self.fail("entry ends before its declared size"));
                }
                if self.hasher.clone().finalize() != self.crc32 {
                    return Err(self.fail("entry has a bad CRC"));
                }
                self.done = true;
                Ok(0)
            }
            Ok(n) => {
                self.produced += n as u64;
                if self.produced > self.size {
                    return Err(self.fail("entry produces more than its declared size"));
                }
                self.hasher.update(&buf[..n]);
                Ok(n)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Err(e),
            Err(e) => {
                self.failed = true;
                Err(e)
            }
        }
    }
}
