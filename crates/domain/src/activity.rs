//! Activities (SCORM packages and course containers) and their language versions.

use crate::ids::{ActivityId, ApiKeyId, LanguageVersionId, TenantId, UserId};
use crate::tenant::{InvalidField, LanguageCode, Organisations};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What an activity is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActivityKind {
    /// A SCORM package: leaf content with a package per language.
    Scorm,
    /// A container with no file; every course is also a path (curriculum).
    Course,
}

impl ActivityKind {
    /// Parses the upload API's `activityType`.
    ///
    /// # Errors
    /// Anything but `scorm` or `course` (exact, lower case as the spec writes them).
    pub fn parse(raw: &str) -> Result<Self, InvalidField> {
        match raw.trim() {
            "scorm" => Ok(Self::Scorm),
            "course" => Ok(Self::Course),
            other => Err(InvalidField::new(
                "activityType",
                format!("must be \"scorm\" or \"course\", not {other:?}"),
            )),
        }
    }

    /// The spelling used by the APIs and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scorm => "scorm",
            Self::Course => "course",
        }
    }
}

impl fmt::Display for ActivityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Longest name or title accepted, in characters.
pub const MAX_NAME_CHARS: usize = 255;

/// What makes a text unfit to store or show: a control character (NUL included; tab and line
/// breaks are fine where the text may span lines) or a bidirectional override or isolate
/// (U+202A–U+202E, U+2066–U+2069), which can make a name read as something it is not.
///
/// Returns the problem in words, for the caller's message.
pub fn text_problem(text: &str, multiline: bool) -> Option<&'static str> {
    text.chars().find_map(|c| {
        if c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t')) {
            Some("must not contain control characters")
        } else if matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}') {
            Some("must not contain bidirectional override characters")
        } else {
            None
        }
    })
}

/// An activity or language-version title: trimmed, not empty, at most 255 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Name(String);

impl Name {
    /// Parses a name given in `field`.
    ///
    /// # Errors
    /// When it is empty after trimming, too long, or contains control characters.
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, InvalidField> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(InvalidField::new(field, "must not be empty"));
        }
        let chars = name.chars().count();
        if chars > MAX_NAME_CHARS {
            return Err(InvalidField::new(
                field,
                format!("is too long ({chars} characters, at most {MAX_NAME_CHARS})"),
            ));
        }
        if let Some(problem) = text_problem(name, false) {
            return Err(InvalidField::new(field, problem));
        }
        Ok(Self(name.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a new activity goes: top level, or appended to a course's curriculum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Placement {
    /// Not placed in any course.
    TopLevel,
    /// Appended as the last entry of this course's last section.
    Under(ActivityId),
}

impl Placement {
    /// Parses the upload API's `parentActivityId`: absent, empty, `0` or `-1` is top level.
    ///
    /// # Errors
    /// When it is not an integer, or a negative one other than `-1`.
    pub fn parse(raw: Option<&str>) -> Result<Self, InvalidField> {
        const FIELD: &str = "parentActivityId";
        let raw = raw.map(str::trim).unwrap_or_default();
        if raw.is_empty() {
            return Ok(Self::TopLevel);
        }
        match raw.parse::<i64>() {
            Ok(0 | -1) => Ok(Self::TopLevel),
            Ok(id) if id > 0 => Ok(Self::Under(ActivityId(id))),
            Ok(id) => Err(InvalidField::new(FIELD, format!("{id} is not a valid activity id"))),
            Err(_) => Err(InvalidField::new(FIELD, format!("{raw:?} is not an integer"))),
        }
    }
}

/// What a SCORM manifest said about one language version's package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScormContent {
    /// `"1.2"`, `"2004 3rd Edition"`, … or `None` when it could not be told.
    pub scorm_version: Option<String>,
    /// Title of the default organisation.
    pub title: Option<String>,
    /// Description from the manifest's metadata.
    pub description: Option<String>,
    /// Launch URL relative to the package root (with parameters).
    pub launch_href: String,
    /// 1.2 mastery score (0–100) or 2004 passing score (−1..1), as written.
    pub mastery_score: Option<f64>,
    /// 2004 completion threshold, as written.
    pub completion_threshold: Option<f64>,
    /// The organisation/item tree as inspected (JSON), kept for the read API.
    pub items: serde_json::Value,
    /// Number of files stored.
    pub file_count: u64,
    /// Sum of their sizes.
    pub total_bytes: u64,
    /// Lowercase hex SHA-256 of the uploaded zip.
    pub package_sha256: String,
    /// Where the files are stored: the blob-key prefix of this version's folder.
    pub storage_prefix: String,
}

/// One language version of an activity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LanguageVersion {
    /// Its id.
    pub id: LanguageVersionId,
    /// Culture code, unique within the activity.
    pub language: LanguageCode,
    /// Title shown for this language.
    pub title: Name,
    /// Package data for SCORM activities; `None` for courses.
    pub scorm: Option<ScormContent>,
    /// The number of the package revision `scorm` is (1 for the first upload); `None` for
    /// courses.
    pub revision: Option<u32>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// One stored package of a SCORM language version: the first upload is revision 1, every
/// replacement the next number; a rollback makes an earlier one current again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackageRevision {
    /// The language version's language.
    pub language: LanguageCode,
    /// Its number within the language version.
    pub number: u32,
    /// When it was uploaded.
    pub uploaded_at: DateTime<Utc>,
    /// The key that uploaded it (`None` for packages stored before revisions were kept).
    pub api_key: Option<ApiKeyId>,
    /// What the manifest gave, and where the files are.
    pub content: ScormContent,
}

/// A kept revision as the retention rule sees it: its number, and when it stopped being
/// current (`None` while it is current).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeptRevision {
    /// Its number.
    pub number: u32,
    /// When another revision replaced it as current.
    pub superseded_at: Option<DateTime<Utc>>,
}

/// Which revisions a language version drops when it keeps `keep` of them (fewer than 2 count
/// as 2): never the current one, nor one that stopped being current at or after
/// `protected_since` (learners may still be on it, with a launch URL signed before the
/// change), then the newest others until `keep` are kept. Returns the numbers to drop,
/// oldest first. While protected revisions exceed the count, the version keeps more; a later
/// replacement drops them once their protection has passed.
pub fn revisions_to_drop(revisions: &[KeptRevision], keep: u32, protected_since: DateTime<Utc>) -> Vec<u32> {
    let keep = usize::try_from(keep.max(2)).unwrap_or(usize::MAX);
    let protected = |r: &KeptRevision| r.superseded_at.is_none_or(|at| at >= protected_since);
    let kept = revisions.iter().filter(|r| protected(r)).count();
    let mut others: Vec<u32> = revisions.iter().filter(|r| !protected(r)).map(|r| r.number).collect();
    others.sort_unstable_by(|a, b| b.cmp(a));
    let mut dropped: Vec<u32> = others.into_iter().skip(keep.saturating_sub(kept)).collect();
    dropped.sort_unstable();
    dropped
}

/// An activity with its language versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    /// Its id (for a course, also its curriculum id).
    pub id: ActivityId,
    /// Owning tenant.
    pub tenant: TenantId,
    /// Scorm or course.
    pub kind: ActivityKind,
    /// The first language version's title.
    pub name: Name,
    /// The uploading user.
    pub owner: UserId,
    /// Which organisations it is available to.
    pub organisations: Organisations,
    /// The course it was placed under at creation, if any.
    pub parent: Option<ActivityId>,
    /// Shown in the catalog (true unless an admin hides it).
    pub in_catalog: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Language versions, the first (default language) first.
    pub versions: Vec<LanguageVersion>,
}

impl Activity {
    /// The version in `language`, if the activity has one.
    pub fn version(&self, language: &LanguageCode) -> Option<&LanguageVersion> {
        self.versions.iter().find(|v| &v.language == language)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_bounded_and_non_empty() {
        assert_eq!(Name::parse("name", "  HSE  ").unwrap().as_str(), "HSE");
        assert_eq!(
            Name::parse("name", "   ").unwrap_err().to_string(),
            "name must not be empty"
        );
        let long = "é".repeat(256);
        assert!(
            Name::parse("name", &long)
                .unwrap_err()
                .to_string()
                .starts_with("name is too long (256")
        );
        assert!(Name::parse("name", &"é".repeat(255)).is_ok());
        for bad in ["a\0b", "a\u{7}b", "a\nb", "evil\u{202E}txt.exe", "a\u{2066}b"] {
            assert!(Name::parse("name", bad).is_err(), "{bad:?}");
        }
        assert!(Name::parse("name", "a\u{0}b").is_err());
    }

    #[test]
    fn revisions_beyond_the_count_are_dropped_oldest_first() {
        use chrono::TimeZone;
        let t = |minute: u32| Some(Utc.with_ymd_and_hms(2026, 11, 25, 12, minute, 0).unwrap());
        let since = t(30).unwrap();
        let kept = |revisions: &[(u32, Option<DateTime<Utc>>)]| -> Vec<KeptRevision> {
            revisions
                .iter()
                .map(|&(number, superseded_at)| KeptRevision { number, superseded_at })
                .collect()
        };
        // Long superseded: the newest are kept.
        let old = kept(&[(1, t(1)), (2, t(2)), (3, t(3)), (4, t(4)), (5, t(5)), (6, None)]);
        assert_eq!(revisions_to_drop(&old, 3, since), vec![1, 2, 3]);
        assert_eq!(revisions_to_drop(&old, 10, since), Vec::<u32>::new());
        // Superseded within the protection: kept beyond the count, whatever their number
        // (a revision reached by a rollback, then replaced).
        let recent = kept(&[(1, t(40)), (2, t(3)), (3, t(4)), (4, t(45)), (5, None)]);
        assert_eq!(revisions_to_drop(&recent, 2, since), vec![2, 3]);
        assert_eq!(revisions_to_drop(&recent, 4, since), vec![2]);
        // The current one always stays; fewer than two is two.
        assert_eq!(
            revisions_to_drop(&kept(&[(1, t(1)), (2, t(2)), (3, None)]), 0, since),
            vec![1]
        );
    }

    #[test]
    fn activity_types() {
        assert_eq!(ActivityKind::parse("scorm").unwrap(), ActivityKind::Scorm);
        assert_eq!(ActivityKind::parse("course").unwrap(), ActivityKind::Course);
        let err = ActivityKind::parse("video").unwrap_err();
        assert_eq!(
            err.to_string(),
            "activityType must be \"scorm\" or \"course\", not \"video\""
        );
    }

    #[test]
    fn placements() {
        assert_eq!(Placement::parse(None).unwrap(), Placement::TopLevel);
        assert_eq!(Placement::parse(Some("0")).unwrap(), Placement::TopLevel);
        assert_eq!(Placement::parse(Some("-1")).unwrap(), Placement::TopLevel);
        assert_eq!(
            Placement::parse(Some("12345")).unwrap(),
            Placement::Under(ActivityId(12345))
        );
        assert!(Placement::parse(Some("-2")).is_err());
        assert_eq!(
            Placement::parse(Some("12x")).unwrap_err().to_string(),
            "parentActivityId \"12x\" is not an integer"
        );
    }
}
