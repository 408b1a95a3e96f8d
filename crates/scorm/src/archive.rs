//! The zip itself: its limits, rules R1–R3 on the central directory, and bounded reads of single
//! entries.

use crate::entry::{FileEntry, Verified, content_type, open_error, read_refusal, unsafe_path_reason};
use crate::refusal::{Refusal, RefusalKind};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::io::{Read, Seek};
use zip::ZipArchive;

/// Safety limits for one package; the defaults are the service's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Limits {
    /// Most entries (files and folders) a zip may hold.
    pub max_entries: usize,
    /// Largest declared total of uncompressed file sizes.
    pub max_total_uncompressed_bytes: u64,
    /// Entries at least this large are checked for an absurd compression ratio.
    pub bomb_min_entry_bytes: u64,
    /// Largest uncompressed/compressed ratio for such entries.
    pub bomb_max_ratio: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_entries: 10_000,
            max_total_uncompressed_bytes: 2 * 1024 * 1024 * 1024,
            bomb_min_entry_bytes: 1024 * 1024,
            bomb_max_ratio: 200,
        }
    }
}

/// Largest manifest or metadata file read into memory.
pub const MAX_XML_BYTES: u64 = 16 * 1024 * 1024;

/// An opened package whose directory passed the path and limit checks.
pub(crate) struct Archive<R> {
    zip: ZipArchive<R>,
    /// Every file entry (not folders), in zip order.
    pub files: Vec<FileEntry>,
    /// Their paths, for lookups.
    pub paths: HashSet<String>,
}

const S_IFMT: u32 = 0o170_000;
const S_IFLNK: u32 = 0o120_000;

impl<R: Read + Seek> Archive<R> {
    /// Opens the zip and applies R1 (a zip with entries), R2 (safe paths) and R3's declared
    /// checks (entry count, total size, compression ratio), in that order.
    pub fn open(reader: R, limits: &Limits) -> Result<Self, Refusal> {
        let zip = ZipArchive::new(reader).map_err(|e| {
            Refusal::new(
                RefusalKind::NotAZip,
                format!("the file is not a readable zip archive ({e})"),
            )
        })?;
        if zip.is_empty() {
            return Err(Refusal::new(RefusalKind::EmptyZip, "the zip archive has no entries"));
        }
        struct Raw {
            name: String,
            dir: bool,
            size: u64,
            compressed: u64,
            crc32: u32,
        }
        let mut raws = Vec::with_capacity(zip.len().min(limits.max_entries + 1));
        for index in 0..zip.len() {
            let entry = zip
                .by_index_data(index)
                .map_err(|e| Refusal::new(RefusalKind::NotAZip, format!("zip entry {index} cannot be read ({e})")))?;
            let name = String::from_utf8_lossy(entry.name_raw()).into_owned();
            if let Some(reason) = unsafe_path_reason(&name) {
                return Err(Refusal::new(
                    RefusalKind::UnsafePath,
                    format!("entry {name:?} {reason}"),
                ));
            }
            if entry.unix_mode().is_some_and(|mode| mode & S_IFMT == S_IFLNK) {
                return Err(Refusal::new(
                    RefusalKind::UnsafePath,
                    format!("entry {name:?} is a symbolic link"),
                ));
            }
            raws.push(Raw {
                dir: name.ends_with('/'),
                name,
                size: entry.size(),
                compressed: entry.compressed_size(),
                crc32: entry.crc32(),
            });
        }
        if raws.len() > limits.max_entries {
            return Err(Refusal::new(
                RefusalKind::TooManyEntries,
                format!(
                    "the zip has {} entries, more than the limit of {}",
                    raws.len(),
                    limits.max_entries
                ),
            ));
        }
        let total: u64 = raws
            .iter()
            .filter(|r| !r.dir)
            .map(|r| r.size)
            .fold(0, u64::saturating_add);
        if total > limits.max_total_uncompressed_bytes {
            return Err(Refusal::new(
                RefusalKind::TooLarge,
                format!(
                    "the files add up to {total} bytes uncompressed, more than the limit of {}",
                    limits.max_total_uncompressed_bytes
                ),
            ));
        }
        for raw in raws.iter().filter(|r| !r.dir && r.size > limits.bomb_min_entry_bytes) {
            let absurd = raw.compressed == 0 || raw.size / raw.compressed > limits.bomb_max_ratio;
            if absurd {
                return Err(Refusal::new(
                    RefusalKind::ZipBomb,
                    format!(
                        "entry {:?} declares {} bytes from {} compressed, a ratio over {}",
                        raw.name, raw.size, raw.compressed, limits.bomb_max_ratio
                    ),
                ));
            }
        }
        let files: Vec<FileEntry> = raws
            .into_iter()
            .enumerate()
            .filter(|(_, r)| !r.dir)
            .map(|(index, r)| FileEntry {
                index,
                content_type: content_type(&r.name),
                path: r.name,
                size: r.size,
                compressed_size: r.compressed,
                crc32: r.crc32,
            })
            .collect();
        let paths = files.iter().map(|f| f.path.clone()).collect();
        Ok(Self { zip, files, paths })
    }

    /// Where each of [`Archive::files`] starts (its local header's offset) and its compression
    /// method (0 stored, 8 deflated, `u16::MAX` any other), as the central directory says.
    pub fn locations(&self) -> Vec<(u64, u16)> {
        self.files
            .iter()
            .map(|file| match self.zip.by_index_data(file.index) {
                Ok(entry) => {
                    let method = match entry.compression() {
                        zip::CompressionMethod::Stored => 0,
                        zip::CompressionMethod::Deflated => 8,
                        _ => u16::MAX,
                    };
                    (entry.header_start(), method)
                }
                Err(_) => (u64::MAX, u16::MAX),
            })
            .collect()
    }

    /// The whole content of one file, verified against its header (size and CRC), refused
    /// when it is declared larger than [`MAX_XML_BYTES`].
    pub fn read_small(&mut self, file: &FileEntry) -> Result<Vec<u8>, Refusal> {
        if file.size > MAX_XML_BYTES {
            return Err(Refusal::new(
                RefusalKind::TooLarge,
                format!(
                    "{} is {} bytes, more than the {MAX_XML_BYTES} bytes read for metadata",
                    file.path, file.size
                ),
            ));
        }
        let entry = self.zip.by_index(file.index).map_err(|e| open_error(&file.path, e))?;
        let mut out = Vec::with_capacity(file.size as usize);
        let mut verified = Verified::new(entry, file);
        match verified.read_to_end(&mut out) {
            Ok(_) => Ok(out),
            Err(e) => Err(verified.refusal().unwrap_or_else(|| read_refusal(&file.path, &e))),
        }
    }
}
