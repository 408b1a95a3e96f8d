//! Status rollup: a SCO's outcome from what it reported and the manifest's thresholds, and a
//! package's outcome from its SCOs'.

use super::report::{CompletionStatus, Credit, LessonStatus, Score};
use super::state::{ScoState, ends_attempt};
use super::version::ScormVersion;
use crate::learner::Success;
use serde::{Deserialize, Serialize};

/// The manifest's thresholds for one item.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Thresholds {
    /// 1.2: `adlcp:masteryscore` (0..100). 2004: the scaled passing score (−1..1, from
    /// `imsss:minNormalizedMeasure` with `satisfiedByMeasure`).
    pub mastery_score: Option<f64>,
    /// 2004: `adlcp:completionThreshold` (0..1). Unused for 1.2.
    pub completion_threshold: Option<f64>,
}

impl Thresholds {
    /// The thresholds that are in their ranges for `version` (1.2 mastery score 0..100; 2004
    /// scaled passing score −1..1, completion threshold 0..1); any other value is dropped, as
    /// if the manifest had none. scorm-again refuses to be seeded with one out of range, so
    /// neither the seed nor the rollup uses it.
    pub fn usable(self, version: ScormVersion) -> Thresholds {
        let within = |value: Option<f64>, min: f64, max: f64| value.filter(|v| (min..=max).contains(v));
        match version {
            ScormVersion::V12 => Thresholds {
                mastery_score: within(self.mastery_score, 0.0, 100.0),
                completion_threshold: None,
            },
            ScormVersion::V2004 => Thresholds {
                mastery_score: within(self.mastery_score, -1.0, 1.0),
                completion_threshold: within(self.completion_threshold, 0.0, 1.0),
            },
        }
    }
}

/// A SCO's outcome in one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct ScoOutcome {
    /// Whether the SCO counts as completed.
    pub completed: bool,
    /// Whether it was passed.
    pub success: Success,
    /// Its score, 0..100, when it reported one.
    pub score: Option<f64>,
}

/// A SCO's outcome, following the standard:
///
/// - **1.2**: `lesson_status` `passed`, `failed` or `completed` count as completed. When the
///   manifest has a mastery score and the content reported `score.raw` in credit mode, it is
///   passed if raw ≥ mastery score and failed otherwise; else `passed`/`failed` come from
///   `lesson_status`. A score alone never completes a SCO.
/// - **2004**: completed from `progress_measure` ≥ `completion_threshold` when both exist,
///   else `completion_status` = `completed`; success from `score.scaled` ≥ the scaled passing
///   score when both exist, else `success_status`.
/// - **Score** (0..100): `score.scaled` × 100 when reported (clamped), else `raw` normalised
///   by `min`/`max` when both exist and max > min, else `raw` clamped to 0..100; none if
///   nothing was reported.
///
/// Only the [usable](Thresholds::usable) thresholds count.
pub fn outcome(version: ScormVersion, state: &ScoState, thresholds: &Thresholds) -> ScoOutcome {
    let report = &state.report;
    let thresholds = thresholds.usable(version);
    let (completed, success) = match version {
        ScormVersion::V12 => {
            let status = report.lesson_status;
            let completed = matches!(
                status,
                Some(LessonStatus::Passed | LessonStatus::Failed | LessonStatus::Completed)
            );
            let success = match (thresholds.mastery_score, report.score.raw, report.credit) {
                (Some(mastery), Some(raw), Credit::Credit) => passed_if(raw >= mastery),
                _ => match status {
                    Some(LessonStatus::Passed) => Success::Passed,
                    Some(LessonStatus::Failed) => Success::Failed,
                    _ => Success::Unknown,
                },
            };
            (completed, success)
        }
        ScormVersion::V2004 => {
            let completed = match (thresholds.completion_threshold, report.progress_measure) {
                (Some(threshold), Some(progress)) => progress >= threshold,
                _ => report.completion_status == Some(CompletionStatus::Completed),
            };
            let success = match (thresholds.mastery_score, report.score.scaled) {
                (Some(passing), Some(scaled)) => passed_if(scaled >= passing),
                _ => report.success_status.unwrap_or_default(),
            };
            (completed, success)
        }
    };
    ScoOutcome {
        completed,
        success,
        score: percent(&report.score),
    }
}

fn passed_if(passed: bool) -> Success {
    if passed { Success::Passed } else { Success::Failed }
}

/// A score as 0..100 (see [`outcome`]).
fn percent(score: &Score) -> Option<f64> {
    let clamp = |v: f64| v.clamp(0.0, 100.0);
    if let Some(scaled) = score.scaled {
        return Some(clamp(scaled * 100.0));
    }
    let raw = score.raw?;
    Some(match (score.min, score.max) {
        (Some(min), Some(max)) if max > min => clamp((raw - min) / (max - min) * 100.0),
        _ => clamp(raw),
    })
}

/// What a launchable item of a package is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SlotKind {
    /// `adlcp:scormtype="sco"` (1.2) / `adlcp:scormType="sco"` (2004): talks to the API.
    Sco,
    /// An asset: never talks to the API.
    Asset,
}

/// One launchable item of a package, in document order, with its outcome in the current
/// attempt (`None` before it reported anything).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScoSlot {
    /// SCO or asset.
    pub kind: SlotKind,
    /// Its outcome so far.
    pub outcome: Option<ScoOutcome>,
}

/// A package's outcome in one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct ActivityOutcome {
    /// Every SCO is completed.
    pub completed: bool,
    /// Passed, failed or unknown.
    pub success: Success,
    /// Mean of the SCOs' scores that have one, 0..100.
    pub score: Option<f64>,
}

/// The outcome of a package with several launchable items:
///
/// - the items that count are its SCOs; assets never block. A package whose items are all
///   assets (no item declares itself a SCO) counts its first launchable item, the one it opens;
///   a package with no launchable item is never completed;
/// - **completed** when every item that counts is completed;
/// - **score** the mean of those items' scores that have one (an item without a score is left
///   out, not counted as 0);
/// - **success** `failed` if any item failed; `passed` if completed, at least one passed and
///   none failed; else `unknown`.
pub fn activity_outcome(slots: &[ScoSlot]) -> ActivityOutcome {
    let counted: Vec<&ScoSlot> = counted(slots, |s| s.kind).collect();
    if counted.is_empty() {
        return ActivityOutcome::default();
    }
    let outcomes: Vec<ScoOutcome> = counted.iter().map(|s| s.outcome.unwrap_or_default()).collect();
    let completed = outcomes.iter().all(|o| o.completed);
    let scores: Vec<f64> = outcomes.iter().filter_map(|o| o.score).collect();
    let score = (!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64);
    let any = |s: Success| outcomes.iter().any(|o| o.success == s);
    let success = if any(Success::Failed) {
        Success::Failed
    } else if completed && any(Success::Passed) {
        Success::Passed
    } else {
        Success::Unknown
    };
    ActivityOutcome {
        completed,
        success,
        score,
    }
}

/// The items that count in a package: its SCOs, or its first item when none is a SCO (see
/// [`activity_outcome`]).
fn counted<T>(items: &[T], kind: impl Fn(&T) -> SlotKind) -> impl Iterator<Item = &T> {
    let any_sco = items.iter().any(|item| kind(item) == SlotKind::Sco);
    items.iter().enumerate().filter_map(move |(index, item)| {
        let counts = if any_sco {
            kind(item) == SlotKind::Sco
        } else {
            index == 0
        };
        counts.then_some(item)
    })
}

/// Whether a package's current attempt is over, given each launchable item's kind and state in
/// it (`None` for an item not opened yet), in document order: every item that counts (as in
/// [`activity_outcome`]: the SCOs) has [ended](ends_attempt), i.e. terminated without
/// `suspend`. With one SCO this is that SCO's own rule; with several, finishing one SCO and
/// moving to the next keeps the attempt going. A package with no launchable item never ends one.
pub fn package_attempt_ends(items: &[(SlotKind, Option<&ScoState>)]) -> bool {
    let mut counted = counted(items, |(kind, _)| *kind).peekable();
    counted.peek().is_some() && counted.all(|(_, state)| state.is_some_and(ends_attempt))
}
