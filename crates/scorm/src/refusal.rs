//! Why a package is refused: a leaf every rule imports.

use serde::Serialize;
use std::fmt;

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
    /// declarations or prefixes than [`MAX_NAMESPACE_DECLARATIONS`](crate::MAX_NAMESPACE_DECLARATIONS) and
    /// [`MAX_NAMESPACE_PREFIXES`](crate::MAX_NAMESPACE_PREFIXES).
    UnsafeXml,
    /// No item of the default organisation launches a resource with an href.
    NoLaunchableItem,
    /// Items of the default organisation nested deeper than [`MAX_ITEM_DEPTH`](crate::MAX_ITEM_DEPTH).
    ItemsTooDeep,
    /// An entry path escapes the package root, or is a symlink.
    UnsafePath,
    /// More entries than the limit.
    TooManyEntries,
    /// Declared total size over the limit, or a manifest too large to read (over
    /// [`MAX_XML_BYTES`](crate::MAX_XML_BYTES) or [`MAX_XML_NODES`](crate::MAX_XML_NODES)).
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
