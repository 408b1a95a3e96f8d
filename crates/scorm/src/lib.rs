#![doc = include_str!("../README.md")]
//!
//! ```no_run
//! let limits = curricula_scorm::Limits::default();
//! let file = std::fs::File::open("package.zip")?;
//! let inspection = curricula_scorm::inspect(file, &limits)?;
//! inspection.ensure_launchable()?;
//! println!("{} launches {}", inspection.title.as_deref().unwrap_or("?"), inspection.launch_href);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod archive;
mod entry;
mod extract;
mod href;
mod inspection;
mod manifest;
mod refusal;
mod stream;
mod xml;

pub use archive::{Limits, MAX_XML_BYTES};
pub use entry::FileEntry;
pub use extract::{DirSink, EntrySink, ExtractError, ExtractStats, NullSink, extract};
pub use inspection::{Inspection, Item};
pub use manifest::MAX_ITEM_DEPTH;
pub use refusal::{Refusal, RefusalKind};
pub use stream::{Arrival, Streamed, stream_extract};
pub use xml::{MAX_NAMESPACE_DECLARATIONS, MAX_NAMESPACE_PREFIXES, MAX_XML_NODES};

use std::io::{Read, Seek};

/// Inspects a package: the zip's directory (paths, limits, declared ratios) and the manifest.
/// Entries are not all decompressed; [`extract`] verifies their real bytes.
///
/// # Errors
/// A [`Refusal`] in the precedence order: zip, paths, limits, manifest location, XML, item depth,
/// launchable item. A missing launch file is not an error here: see
/// [`Inspection::ensure_launchable`].
pub fn inspect<R: Read + Seek>(reader: R, limits: &Limits) -> Result<Inspection, Refusal> {
    let mut archive = archive::Archive::open(reader, limits)?;
    manifest::read(&mut archive)
}

/// The first checks of [`inspect`] alone: a readable zip with entries, safe paths, the
/// declared limits (entry count, total size, compression ratio). Reads the central directory
/// only.
///
/// # Errors
/// The [`Refusal`] [`inspect`] would answer for those checks.
pub fn check_zip<R: Read + Seek>(reader: R, limits: &Limits) -> Result<(), Refusal> {
    archive::Archive::open(reader, limits).map(drop)
}

/// What remains to be extracted after [`stream_extract`], once the central directory is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Remaining {
    /// Every streamed entry is exactly a file of the directory (same offset, name, method,
    /// sizes and CRC); these files were not streamed and are to be extracted from the package.
    Files(Vec<FileEntry>),
    /// A streamed entry is not in the directory, or not as the directory says: what was
    /// stored must be discarded and the whole package extracted from the spooled copy.
    Disagrees(String),
}

/// [`inspect`], then holds what [`stream_extract`] stored to the central directory.
///
/// # Errors
/// The refusals of [`inspect`], in its order.
pub fn inspect_streamed<R: Read + Seek>(
    reader: R,
    limits: &Limits,
    streamed: &Streamed,
) -> Result<(Inspection, Remaining), Refusal> {
    let mut archive = archive::Archive::open(reader, limits)?;
    let locations = archive.locations();
    let inspection = manifest::read(&mut archive)?;
    let mut by_offset: std::collections::HashMap<u64, &stream::StreamedEntry> =
        streamed.entries.iter().map(|e| (e.offset, e)).collect();
    let mut rest = Vec::new();
    for (file, (offset, method)) in archive.files.iter().zip(locations) {
        match by_offset.remove(&offset) {
            Some(s)
                if s.name == file.path
                    && s.method == method
                    && s.size == file.size
                    && s.compressed == file.compressed_size
                    && s.crc32 == file.crc32 => {}
            Some(s) => {
                return Ok((
                    inspection,
                    Remaining::Disagrees(format!(
                        "the local header at offset {offset} ({:?}) differs from the central directory's entry {:?}",
                        s.name, file.path
                    )),
                ));
            }
            None => rest.push(file.clone()),
        }
    }
    if let Some(extra) = by_offset.values().min_by_key(|e| e.offset) {
        return Ok((
            inspection,
            Remaining::Disagrees(format!(
                "the local header at offset {} ({:?}) is not in the central directory",
                extra.offset, extra.name
            )),
        ));
    }
    Ok((inspection, Remaining::Files(rest)))
}

/// Extracts `files` (some of a package's, as [`Remaining::Files`] lists them) like [`extract`].
///
/// # Errors
/// As [`extract`].
pub fn extract_some<R, F>(
    open: F,
    files: &[FileEntry],
    threads: usize,
    sink: &dyn EntrySink,
) -> Result<ExtractStats, ExtractError>
where
    F: Fn() -> std::io::Result<R> + Sync,
    R: Read + Seek,
{
    extract::extract_files(&open, files, threads, sink)
}

/// Inspects a package and verifies every entry's real bytes (what `curricula inspect` does).
/// A missing launch file stays a warning in the result.
///
/// # Errors
/// A [`Refusal`], including `zip_bomb` for an entry whose bytes differ from its header.
pub fn inspect_and_verify<R, F>(open: F, limits: &Limits, threads: usize) -> Result<Inspection, Refusal>
where
    F: Fn() -> std::io::Result<R> + Sync,
    R: Read + Seek,
{
    let reader = open().map_err(|e| Refusal::new(RefusalKind::NotAZip, format!("cannot read the package: {e}")))?;
    let mut archive = archive::Archive::open(reader, limits)?;
    let files = archive.files.clone();
    match extract::extract_files(&open, &files, threads, &NullSink) {
        Ok(_) => {}
        Err(ExtractError::Refused(r)) => return Err(r),
        Err(ExtractError::Io(e) | ExtractError::Sink(e)) => {
            return Err(Refusal::new(
                RefusalKind::NotAZip,
                format!("cannot read the package: {e}"),
            ));
        }
    }
    let mut inspection = manifest::read(&mut archive)?;
    if !inspection.launch_file_present {
        let missing = inspection.ensure_launchable().unwrap_err();
        inspection.warnings.push(missing.message);
    }
    Ok(inspection)
}
