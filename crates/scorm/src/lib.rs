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
mod xml;

pub use archive::{Limits, MAX_XML_BYTES};
pub use entry::FileEntry;
pub use extract::{DirSink, EntrySink, ExtractError, ExtractStats, NullSink, extract};
pub use inspection::{Inspection, Item};
pub use manifest::MAX_ITEM_DEPTH;
pub use refusal::{Refusal, RefusalKind};
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
