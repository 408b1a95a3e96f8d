//! An enrollment's summary across its attempts.

use super::rollup::ActivityOutcome;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Whether the learner passed: a SCO's, a package's or an enrollment's success (also 2004
/// `cmi.success_status`, which has the same vocabulary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Success {
    /// Nothing says (wire `unknown`).
    #[default]
    Unknown,
    /// `passed`.
    Passed,
    /// `failed`.
    Failed,
}

impl Success {
    /// Parses the wire and data-model spelling.
    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "unknown" => Self::Unknown,
            "passed" => Self::Passed,
            "failed" => Self::Failed,
            _ => return None,
        })
    }

    /// `unknown`, `passed` or `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Passed => "passed",
            Self::Failed => "failed",
        }
    }

    /// Order in which a summary may move: unknown, then failed, then passed.
    fn rank(self) -> u8 {
        match self {
            Self::Unknown => 0,
            Self::Failed => 1,
            Self::Passed => 2,
        }
    }
}

impl fmt::Display for Success {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An enrollment's status, ordered as it moves: not started, in progress, completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EnrollmentStatus {
    /// No commit yet (wire `not-started`).
    #[default]
    NotStarted,
    /// Some commit, not completed (wire `in-progress`).
    InProgress,
    /// Completed in some attempt (wire `completed`).
    Completed,
}

impl EnrollmentStatus {
    /// Parses the wire spelling.
    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "not-started" => Self::NotStarted,
            "in-progress" => Self::InProgress,
            "completed" => Self::Completed,
            _ => return None,
        })
    }

    /// `not-started`, `in-progress` or `completed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotStarted => "not-started",
            Self::InProgress => "in-progress",
            Self::Completed => "completed",
        }
    }
}

impl fmt::Display for EnrollmentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An enrollment's standing across all its attempts.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Summary {
    /// Not started, in progress or completed.
    pub status: EnrollmentStatus,
    /// Passed, failed or unknown.
    pub success: Success,
    /// The highest score of its attempts, 0..100.
    pub score: Option<f64>,
    /// When it was first started (its first commit).
    pub started_on: Option<DateTime<Utc>>,
    /// When it was first completed.
    pub completed_on: Option<DateTime<Utc>>,
}

/// The summary after a commit whose attempt now stands at `current`, at `now`.
///
/// - once completed it stays completed, and `completed_on` is the first completion;
/// - `success` is `passed` when any attempt passed; otherwise `failed` when the latest attempt
///   that said anything failed; else `unknown` (a new attempt that has not said yet keeps the
///   previous `failed`);
/// - `score` is the highest of its attempts (Moodle's default "highest attempt");
/// - a new attempt never lowers any of them: the summary only moves forward.
pub fn summarize(prev: &Summary, current: &ActivityOutcome, now: DateTime<Utc>) -> Summary {
    let completed = prev.status == EnrollmentStatus::Completed || current.completed;
    let success = if current.success.rank() > prev.success.rank() {
        current.success
    } else {
        prev.success
    };
    let score = match (prev.score, current.score) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    Summary {
        status: if completed {
            EnrollmentStatus::Completed
        } else {
            EnrollmentStatus::InProgress
        },
        success,
        score,
        started_on: prev.started_on.or(Some(now)),
        completed_on: prev.completed_on.or_else(|| completed.then_some(now)),
    }
}
