//! What a package is: the result of an inspection. A leaf: the manifest reader builds it, the
//! extraction reads its files.

use crate::entry::FileEntry;
use crate::href;
use crate::refusal::{Refusal, RefusalKind};
use serde::Serialize;

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
    /// Encoding the manifest was read in: the lower-cased name the WHATWG Encoding Standard
    /// (`encoding_rs`) gives the encoding actually used, e.g. `utf-8`, `utf-16le`, `utf-16be`,
    /// `windows-1251`, `shift_jis`, `iso-8859-7`, `gb18030`, `gbk`, `euc-kr`, `big5`. It is
    /// not the declared label: `ISO-8859-1`, `latin1` and `US-ASCII` are read as (and
    /// reported as) `windows-1252`, their superset in that standard; `SJIS` as `shift_jis`;
    /// an ASCII-compatible manifest declaring `UTF-16` is read as `utf-8`.
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

/// One item of the default organisation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    /// `identifier`.
    pub identifier: String,
    /// Its title.
    pub title: Option<String>,
    /// The resource it launches, if any.
    pub resource: Option<String>,
    /// The resolved launch URL of that resource, with the item's parameters.
    pub href: Option<String>,
    /// `sco` or `asset` (as the resource declares it, lower-cased).
    pub scorm_type: Option<String>,
    /// Whether it is shown (`isvisible`, default true).
    pub visible: bool,
    /// SCORM 2004: the `objectiveID`s of its `imsss:primaryObjective` and `imsss:objective`s
    /// (through a `sequencingCollection` by `IDRef` when its own sequencing has none), in
    /// document order, each once: the player initialises `cmi.objectives` with them. Left out
    /// of the JSON when empty (and absent in items stored before it existed).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub objectives: Vec<String>,
    /// Nested items.
    pub children: Vec<Item>,
}
