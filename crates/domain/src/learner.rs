//! Learners: the profile of a user, and the vocabulary of an enrollment's progress.

use serde::{Deserialize, Serialize};

/// A refused field: which one, and what is wrong with it (`email "jon" is not an e-mail address`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} {problem}")]
pub struct FieldError {
    /// The field.
    pub field: &'static str,
    /// What is wrong.
    pub problem: String,
}

impl FieldError {
    /// A refusal of `field`.
    pub fn new(field: &'static str, problem: impl Into<String>) -> Self {
        Self {
            field,
            problem: problem.into(),
        }
    }
}

/// The longest username, name part, partner code or e-mail address kept (characters).
pub const MAX_PROFILE_TEXT: usize = 255;

/// How far an enrollment (or an attempt) has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EnrollmentStatus {
    /// Never launched, or launched without anything reported.
    NotStarted,
    /// Started, not completed.
    InProgress,
    /// Completed (it stays completed).
    Completed,
}

impl EnrollmentStatus {
    /// Every status, in the order of progress.
    pub const ALL: [Self; 3] = [Self::NotStarted, Self::InProgress, Self::Completed];

    /// The wire name: `not-started`, `in-progress`, `completed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotStarted => "not-started",
            Self::InProgress => "in-progress",
            Self::Completed => "completed",
        }
    }

    /// The status a wire name names.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// Whether the learner passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Success {
    /// Nothing said (yet).
    #[default]
    Unknown,
    /// Passed.
    Passed,
    /// Failed.
    Failed,
}

impl Success {
    /// Every value.
    pub const ALL: [Self; 3] = [Self::Unknown, Self::Passed, Self::Failed];

    /// The wire name: `unknown`, `passed`, `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Passed => "passed",
            Self::Failed => "failed",
        }
    }

    /// The value a wire name names.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// What a partner says about a user besides the username (all optional).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// Given name.
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// The partner's own id for the user, unique within the tenant when present.
    pub code: Option<String>,
}

impl Profile {
    /// The name a SCORM package shows (`cmi.core.student_name` / `cmi.learner_name`):
    /// "Last, First" as the standard writes it, or the username when no name is known.
    pub fn display_name(&self, username: &str) -> String {
        match (self.last_name.as_deref(), self.first_name.as_deref()) {
            (Some(last), Some(first)) => format!("{last}, {first}"),
            (Some(one), None) | (None, Some(one)) => one.to_owned(),
            (None, None) => username.to_owned(),
        }
    }
}

/// Checks a username: 1 to [`MAX_PROFILE_TEXT`] characters, no spaces at the ends, no control
/// characters.
///
/// # Errors
/// What is wrong, naming the field.
pub fn check_username(raw: &str) -> Result<(), FieldError> {
    check_text("username", raw)
}

/// Checks one profile field (`first_name`, `last_name`, `email`, `code`) as
/// [`check_username`] does; an e-mail address must also hold one `@` with text on both sides.
///
/// # Errors
/// What is wrong, naming the field.
pub fn check_profile_field(field: &'static str, raw: &str) -> Result<(), FieldError> {
    check_text(field, raw)?;
    if field == "email" {
        let ok = raw
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty() && !domain.contains('@'));
        if !ok || raw.contains(char::is_whitespace) {
            return Err(FieldError::new(field, format!("{raw:?} is not an e-mail address")));
        }
    }
    Ok(())
}

fn check_text(field: &'static str, raw: &str) -> Result<(), FieldError> {
    if raw.trim().is_empty() {
        return Err(FieldError::new(field, "must not be blank"));
    }
    if raw.trim() != raw {
        return Err(FieldError::new(field, "must not start or end with spaces"));
    }
    let length = raw.chars().count();
    if length > MAX_PROFILE_TEXT {
        return Err(FieldError::new(
            field,
            format!("is {length} characters long; at most {MAX_PROFILE_TEXT} are allowed"),
        ));
    }
    if raw.chars().any(char::is_control) {
        return Err(FieldError::new(field, "must not contain control characters"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip() {
        for s in EnrollmentStatus::ALL {
            assert_eq!(EnrollmentStatus::parse(s.as_str()), Some(s));
        }
        for s in Success::ALL {
            assert_eq!(Success::parse(s.as_str()), Some(s));
        }
        assert_eq!(EnrollmentStatus::parse("done"), None);
    }

    #[test]
    fn profile_fields_are_checked() {
        assert!(check_username("jon.jonsson").is_ok());
        assert!(check_username(" jon").is_err());
        assert!(check_username("").is_err());
        assert!(check_username(&"x".repeat(256)).is_err());
        assert!(check_profile_field("email", "jon@istak.is").is_ok());
        let e = check_profile_field("email", "jon").unwrap_err();
        assert!(e.to_string().contains("email"), "{e}");
        assert!(check_profile_field("code", "a\u{0}b").is_err());
    }

    #[test]
    fn display_name_follows_the_standard() {
        let mut p = Profile::default();
        assert_eq!(p.display_name("jon"), "jon");
        p.first_name = Some("Jón".into());
        p.last_name = Some("Jónsson".into());
        assert_eq!(p.display_name("jon"), "Jónsson, Jón");
    }
}
