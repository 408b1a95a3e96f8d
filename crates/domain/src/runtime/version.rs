//! The SCORM version of a package.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The SCORM version of a package, which picks the API object and the data model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ScormVersion {
    /// SCORM 1.2 (`window.API`, `cmi.core.*`).
    #[serde(rename = "1.2")]
    V12,
    /// SCORM 2004, any edition (`window.API_1484_11`).
    #[serde(rename = "2004")]
    V2004,
}

impl ScormVersion {
    /// The version of a stored `scorm_version` (`"1.2"`, `"2004 3rd Edition"`, `"2004 4th
    /// Edition"`, …): anything starting with `2004` is 2004, anything else (or nothing) is 1.2.
    pub fn from_manifest(raw: Option<&str>) -> Self {
        match raw {
            Some(text) if text.trim_start().starts_with("2004") => Self::V2004,
            _ => Self::V12,
        }
    }

    /// `1.2` or `2004`, as the player's seed and the messages write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V12 => "1.2",
            Self::V2004 => "2004",
        }
    }
}

impl fmt::Display for ScormVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
