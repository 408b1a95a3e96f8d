//! Tenants, their languages, users, organisations and the origins API keys are bound to.

use crate::ids::{OrganisationId, TenantId};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a value given by a caller was refused; the message names the field and the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} {problem}")]
pub struct InvalidField {
    /// The field, as the caller spelled it (`name`, `languageId`).
    pub field: &'static str,
    /// What is wrong with it, e.g. `must not be empty`.
    pub problem: String,
}

impl InvalidField {
    /// Builds the error for `field`.
    pub fn new(field: &'static str, problem: impl Into<String>) -> Self {
        Self {
            field,
            problem: problem.into(),
        }
    }
}

/// A culture code such as `is-IS` or `en`: a language subtag, optionally followed by
/// region/script subtags, ASCII letters and digits only. Stored as given, compared exactly.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LanguageCode(String);

impl LanguageCode {
    /// Parses `raw` (surrounding whitespace ignored).
    ///
    /// # Errors
    /// When it is empty, longer than 35 characters, or not `letters(-alnum)*`.
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, InvalidField> {
        let code = raw.trim();
        if code.is_empty() {
            return Err(InvalidField::new(field, "must not be empty"));
        }
        let mut parts = code.split('-');
        let lang = parts.next().unwrap_or_default();
        let lang_ok = (2..=8).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_alphabetic());
        let rest_ok = parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()));
        if code.len() > 35 || !lang_ok || !rest_ok {
            return Err(InvalidField::new(
                field,
                format!("{code:?} is not a language culture code such as is-IS or en-GB"),
            ));
        }
        Ok(Self(code.to_owned()))
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LanguageCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The origin an upload key is bound to, normalised so that scheme, path, port-less trailing
/// slash and letter case do not matter: `https://Skoli.istak.is/` and `skoli.istak.is` are equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Origin(String);

impl Origin {
    /// Normalises `raw`: drops the scheme, user info, path, query and fragment, keeps host and
    /// port, lower-cases.
    ///
    /// # Errors
    /// When no host remains.
    pub fn parse(raw: &str) -> Result<Self, InvalidField> {
        let mut rest = raw.trim();
        if let Some(i) = rest.find("://") {
            rest = &rest[i + 3..];
        }
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let mut authority = &rest[..end];
        if let Some(i) = authority.rfind('@') {
            authority = &authority[i + 1..];
        }
        let host = authority.trim_end_matches('.').to_ascii_lowercase();
        let valid = !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']' | b'_'));
        if !valid {
            return Err(InvalidField::new(
                "origin",
                format!("{raw:?} is not a host name or URL"),
            ));
        }
        Ok(Self(host))
    }

    /// The normalised form (`skoli.istak.is`).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A tenant: the partner's account, its languages and default language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    /// Its id.
    pub id: TenantId,
    /// Display name.
    pub name: String,
    /// The language of every activity's first version.
    pub default_language: LanguageCode,
    /// Languages versions may be added in; always contains the default.
    pub languages: Vec<LanguageCode>,
}

impl Tenant {
    /// Whether `code` is enabled for this tenant.
    pub fn has_language(&self, code: &LanguageCode) -> bool {
        self.languages.contains(code)
    }
}

/// Which organisations an activity is available to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "ids")]
pub enum Organisations {
    /// Every organisation of the tenant (`-1` or empty in the upload API).
    All,
    /// Exactly these (deduplicated, in the order first given).
    Only(Vec<OrganisationId>),
}

impl Organisations {
    /// Parses the upload API's `organisationIds`: absent, empty or `-1` means all; otherwise a
    /// comma-separated list of integers (spaces around items allowed).
    ///
    /// # Errors
    /// When an item is not an integer, is zero or negative, or `-1` is mixed with ids.
    pub fn parse(raw: Option<&str>) -> Result<Self, InvalidField> {
        const FIELD: &str = "organisationIds";
        let raw = raw.map(str::trim).unwrap_or_default();
        if raw.is_empty() || raw == "-1" {
            return Ok(Self::All);
        }
        let mut ids = Vec::new();
        for item in raw.split(',').map(str::trim) {
            let id: i64 = item
                .parse()
                .map_err(|_| InvalidField::new(FIELD, format!("{item:?} is not an integer organisation id")))?;
            if id == -1 {
                return Err(InvalidField::new(
                    FIELD,
                    "-1 (all organisations) cannot be combined with ids",
                ));
            }
            if id <= 0 {
                return Err(InvalidField::new(FIELD, format!("{id} is not a valid organisation id")));
            }
            if !ids.contains(&OrganisationId(id)) {
                ids.push(OrganisationId(id));
            }
        }
        Ok(Self::Only(ids))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_ignore_scheme_path_slash_and_case() {
        let a = Origin::parse("https://Skoli.istak.is/").unwrap();
        let b = Origin::parse("skoli.istak.is").unwrap();
        let c = Origin::parse("http://skoli.ISTAK.is/some/path?x=1").unwrap();
        assert_eq!(a, b);
        assert_eq!(b, c);
        assert_eq!(a.as_str(), "skoli.istak.is");
        assert_ne!(a, Origin::parse("other.istak.is").unwrap());
        assert_eq!(Origin::parse("https://h.is:8443/").unwrap().as_str(), "h.is:8443");
    }

    #[test]
    fn origin_without_host_is_refused() {
        for raw in ["", "  ", "https://", "https:///path", "bad host"] {
            let err = Origin::parse(raw).unwrap_err();
            assert_eq!(err.field, "origin", "{raw:?}");
        }
    }

    #[test]
    fn language_codes() {
        assert_eq!(LanguageCode::parse("languageId", " is-IS ").unwrap().as_str(), "is-IS");
        assert!(LanguageCode::parse("languageId", "en").is_ok());
        assert!(LanguageCode::parse("languageId", "zh-Hant-TW").is_ok());
        for bad in ["", "e", "is_IS", "is-", "-IS", "is IS", "123"] {
            let err = LanguageCode::parse("languageId", bad).unwrap_err();
            assert_eq!(err.field, "languageId", "{bad:?}");
        }
    }

    #[test]
    fn organisation_lists() {
        assert_eq!(Organisations::parse(None).unwrap(), Organisations::All);
        assert_eq!(Organisations::parse(Some("")).unwrap(), Organisations::All);
        assert_eq!(Organisations::parse(Some(" -1 ")).unwrap(), Organisations::All);
        assert_eq!(
            Organisations::parse(Some("81, 27293,81")).unwrap(),
            Organisations::Only(vec![OrganisationId(81), OrganisationId(27293)])
        );
        for bad in ["81,x", "0", "-5", "81,-1", "81,,2"] {
            let err = Organisations::parse(Some(bad)).unwrap_err();
            assert_eq!(err.field, "organisationIds", "{bad:?}");
        }
    }
}
