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
mod extract;
mod href;
mod manifest;
mod xml;

pub use extract::{DirSink, EntrySink, ExtractError, ExtractStats, NullSink, extract};
pub use manifest::{Item, MAX_ITEM_DEPTH};
pub use xml::{MAX_NAMESPACE_DECLARATIONS, MAX_NAMESPACE_PREFIXES, MAX_XML_NODES};

use serde::{Deserialize, Serialize};
use std::fmt;
use std::io::{Read, Seek};

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

/// Why a package is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalKind {
    /// No zip end-of-central-directory record, or an unreadable directory.
    NotAZip,
    /// A zip without entries.
    EmptyZip,
    /// No `imsmanifest.xml` anywhere.
    NoManifest,
    /// `imsmanifest.xml` only in a sub-folder.
    ManifestNotAtRoot,
    /// The manifest is not well-formed XML (or not a `<manifest>`).
    MalformedXml,
    /// The manifest has a DOCTYPE (no DTD or entity is ever processed), or more namespace
    /// declarations or prefixes than [`MAX_NAMESPACE_DECLARATIONS`] and [`MAX_NAMESPACE_PREFIXES`].
    UnsafeXml,
    /// No item of the default organisation launches a resource with an href.
    NoLaunchableItem,
    /// Items of the default organisation nested deeper than [`MAX_ITEM_DEPTH`].
    ItemsTooDeep,
    /// An entry path escapes the package root, or is a symlink.
    UnsafePath,
    /// More entries than the limit.
    TooManyEntries,
    /// Declared total size over the limit, or a manifest too large to read (over
    /// [`MAX_XML_BYTES`] or [`MAX_XML_NODES`]).
    TooLarge,
    /// Absurd compression ratio, or real bytes that differ from the header (size, CRC, data).
    ZipBomb,
    /// The launch file is not in the package.
    LaunchFileMissing,
    /// Encryption or a compression method this reader does not support.
    UnsupportedZip,
}

impl RefusalKind {
    /// The kind's stable name, e.g. `not_a_zip`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotAZip => "not_a_zip",
            Self::EmptyZip => "empty_zip",
            Self::NoManifest => "no_manifest",
            Self::ManifestNotAtRoot => "manifest_not_at_root",
            Self::MalformedXml => "malformed_xml",
            Self::UnsafeXml => "unsafe_xml",
            Self::NoLaunchableItem => "no_launchable_item",
            Self::ItemsTooDeep => "items_too_deep",
            Self::UnsafePath => "unsafe_path",
            Self::TooManyEntries => "too_many_entries",
            Self::TooLarge => "too_large",
            Self::ZipBomb => "zip_bomb",
            Self::LaunchFileMissing => "launch_file_missing",
            Self::UnsupportedZip => "unsupported_zip",
        }
    }
}

impl fmt::Display for RefusalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refused package: the kind, and a message for humans naming the detail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct Refusal {
    /// What is wrong.
    pub kind: RefusalKind,
    /// Where and why, e.g. `imsmanifest.xml found at course/imsmanifest.xml, not at the root`.
    pub message: String,
}

impl Refusal {
    pub(crate) fn new(kind: RefusalKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}

/// One file of the package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileEntry {
    /// Index of the entry in the zip.
    pub index: usize,
    /// Path inside the package (`/`-separated, checked safe).
    pub path: String,
    /// Declared uncompressed size.
    pub size: u64,
    /// Declared compressed size.
    pub compressed_size: u64,
    /// Declared CRC-32.
    pub crc32: u32,
    /// Content type guessed from the extension.
    pub content_type: &'static str,
}

/// What a package is: every manifest field, the files, and warnings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Inspection {
    /// `"1.2"`, `"2004 2nd Edition"`, `"2004 3rd Edition"`, `"2004 4th Edition"`, `"2004"`, or null.
    pub scorm_version: Option<String>,
    /// The `<schemaversion>` text as written (trimmed).
    pub schemaversion_raw: Option<String>,
    /// Title of the default organisation.
    pub title: Option<String>,
    /// Description from LOM metadata (inline or an `adlcp:location` file).
    pub description: Option<String>,
    /// Launch URL relative to the package root, with parameters.
    pub launch_href: String,
    /// Identifier of the launch item.
    pub launch_item_identifier: String,
    /// Identifier of the launch resource.
    pub launch_resource_identifier: String,
    /// Whether the launch file is in the zip.
    pub launch_file_present: bool,
    /// Identifier of the default organisation.
    pub organization_identifier: Option<String>,
    /// Encoding the manifest was read in (`utf-8`, `utf-16le`, `utf-16be`, `iso-8859-1`, `windows-1252`).
    pub manifest_encoding: String,
    /// 1.2 mastery score (0–100) or 2004 passing score (−1..1), as written.
    pub mastery_score: Option<f64>,
    /// 2004 completion threshold, as written.
    pub completion_threshold: Option<f64>,
    /// Items of the default organisation that launch a SCO.
    pub sco_count: usize,
    /// All items of the default organisation.
    pub item_count: usize,
    /// Files in the zip (folders excluded, junk included).
    pub file_count: usize,
    /// Sum of their declared sizes.
    pub total_uncompressed_bytes: u64,
    /// The default organisation's item tree.
    pub items: Vec<Item>,
    /// The files.
    pub files: Vec<FileEntry>,
    /// Things a careful reader should know (missing files, unknown version, …).
    pub warnings: Vec<String>,
}

impl Inspection {
    /// Refuses the package when its launch file is not in the zip.
    ///
    /// # Errors
    /// `launch_file_missing`, naming the missing path.
    pub fn ensure_launchable(&self) -> Result<(), Refusal> {
        if self.launch_file_present {
            return Ok(());
        }
        Err(Refusal::new(
            RefusalKind::LaunchFileMissing,
            format!(
                "the launch file {} is not in the package",
                href::path_part(&self.launch_href)
            ),
        ))
    }
}

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
