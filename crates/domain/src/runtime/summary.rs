//! An enrollment's summary across its attempts (its vocabulary is [`crate::learner`]'s).

use super::rollup::ActivityOutcome;
use crate::learner::{EnrollmentStatus, Success};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Order in which a summary's success may move: unknown, then failed, then passed.
fn rank(success: Success) -> u8 {
    match success {
        Success::Unknown => 0,
        Success::Failed => 1,
        Success::Passed => 2,
    }
}

/// An enrollment's standing across all its attempts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

impl Default for Summary {
    /// Not started: nothing reported yet.
    fn default() -> Self {
        Self {
            status: EnrollmentStatus::NotStarted,
            success: Success::Unknown,
            score: None,
            started_on: None,
            completed_on: None,
        }
    }
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
    let success = if rank(current.success) > rank(prev.success) {
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
