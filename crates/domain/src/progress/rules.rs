//! The rules of the Curriculum Activities text applied to one learner: `control_mode`,
//! `completions_min`, `required_for_specified_control_mode`, `lock_until`, `exempt_if_mastered`,
//! `weight` and `attempts_max` (`docs/CURRICULUM.md`, "Path progress").

use super::model::{ActivityEnrollment, EntryProgress, EntryState, PathProgress, SectionProgress};
use crate::curriculum::{ControlMode, Curriculum, CurriculumRecord};
use crate::ids::{ActivityId, RecordId};
use crate::learner::{EnrollmentStatus, Success};
use chrono::NaiveDate;
use std::collections::HashMap;

/// A learner's progress in `path`, from their enrollments in its activities (`enrollments`;
/// an activity missing from it was never launched), the path enrollment's stored status
/// (`previous`: a completed path stays completed) and the day it is (`today`, for `lock_until`).
///
/// - `flow`: an entry is available only when every entry above it in its section is completed
///   or exempt; the section needs all of them.
/// - `choice`: any order; the section needs `completions_min` of its entries (all when null),
///   and every entry with `required_for_specified_control_mode` among them.
/// - `optional`: any order, never needed; complete when all its entries are.
/// - `lock_until` after `today`: the section's entries can not be launched before that date.
/// - Sections do not gate each other; the path is completed when every non-optional section is
///   complete (an empty one is).
/// - `exempt_if_mastered`: once that entry's activity is passed, every entry not completed is
///   exempt, and the path is completed.
/// - `weight`: the path's score is the mean of the weighted entries' scores; its success is
///   passed when it is completed and every weighted entry (exempt ones aside) passed, failed when
///   one failed with no attempt left, else unknown.
/// - `attempts_max` (0: none): no launch once that many attempts were started and none runs.
pub fn path_progress(
    path: &Curriculum,
    enrollments: &HashMap<ActivityId, ActivityEnrollment>,
    previous: EnrollmentStatus,
    today: NaiveDate,
) -> PathProgress {
    let never = ActivityEnrollment::default();
    let of = |entry: &CurriculumRecord| {
        entry
            .course_id
            .and_then(|course| enrollments.get(&course))
            .unwrap_or(&never)
    };
    let exempting = path
        .sections()
        .flat_map(|(_, entries)| entries)
        .any(|e| e.exempt_if_mastered == Some(true) && of(e).success == Success::Passed);

    let mut started = false;
    let mut every_required_section_complete = true;
    let mut scores = (0.0, 0_u32);
    let mut every_weighted_passed = true;
    let mut weighted_failed_for_good = false;
    let mut sections = Vec::with_capacity(path.sections().len());
    for (section, entries) in path.sections() {
        let mode = section.control_mode.unwrap_or(ControlMode::Choice);
        let lock = section
            .lock_until
            .filter(|opens| *opens > today)
            .map(|opens| format!("section '{}' opens on {}", section.name, opens.format("%Y-%m-%d")));
        // Once an entry of a flow section is neither completed nor exempt, why those below wait.
        let mut blocked: Option<String> = None;
        let (mut done, mut flagged, mut flagged_done) = (0, 0, true);
        let mut out = Vec::with_capacity(entries.len());
        for entry in entries {
            let a = of(entry);
            let attempts_max = entry.attempts_max.and_then(|n| u32::try_from(n).ok()).unwrap_or(0);
            let used_up = attempts_max > 0 && a.attempts >= attempts_max && !a.attempt_running;
            let no_attempt = used_up.then(|| format!("no attempt left: {} of {attempts_max} used", a.attempts));
            let begun = a.status != EnrollmentStatus::NotStarted || a.attempts > 0 || a.attempt_running;
            started |= begun;
            let (state, reason) = if a.status == EnrollmentStatus::Completed {
                (EntryState::Completed, lock.clone().or(no_attempt))
            } else if exempting {
                (EntryState::Exempt, lock.clone().or(no_attempt))
            } else if let Some(lock) = &lock {
                (EntryState::Locked, Some(lock.clone()))
            } else if let Some(why) = &blocked {
                (EntryState::Locked, Some(why.clone()))
            } else if no_attempt.is_some() {
                (EntryState::Locked, no_attempt)
            } else if begun {
                (EntryState::InProgress, None)
            } else {
                (EntryState::Available, None)
            };
            if state.is_done() {
                done += 1;
            } else if blocked.is_none() && mode == ControlMode::Flow {
                blocked = Some(format!(
                    "complete '{}' first: section '{}' is taken in order",
                    entry.name, section.name
                ));
            }
            if entry.required_for_specified_control_mode == Some(true) {
                flagged += 1;
                flagged_done &= state.is_done();
            }
            if entry.weight.is_some_and(|w| w >= 1) {
                if let Some(score) = a.score.filter(|s| s.is_finite()) {
                    scores = (scores.0 + score, scores.1 + 1);
                }
                if state != EntryState::Exempt {
                    every_weighted_passed &= a.success == Success::Passed;
                    weighted_failed_for_good |= a.success == Success::Failed && used_up;
                }
            }
            out.push(EntryProgress {
                id: entry.id,
                course_id: entry.course_id.unwrap_or(ActivityId(0)),
                name: entry.name.clone(),
                state,
                reason,
                success: a.success,
                score: a.score,
                attempts: a.attempts,
                attempts_max,
            });
        }
        let count = out.len();
        let (required, complete) = match mode {
            ControlMode::Flow => (count, done == count),
            ControlMode::Optional => (0, done == count),
            ControlMode::Choice => {
                let min = section
                    .completions_min
                    .and_then(|n| usize::try_from(n).ok())
                    .filter(|n| *n > 0)
                    .map_or(count, |n| n.min(count));
                (min.max(flagged), done >= min && flagged_done)
            }
        };
        if mode != ControlMode::Optional {
            every_required_section_complete &= complete;
        }
        sections.push(SectionProgress {
            id: section.id,
            name: section.name.clone(),
            complete,
            required,
            completed: done,
            entries: out,
        });
    }

    let completed = exempting || every_required_section_complete;
    let now = if completed {
        EnrollmentStatus::Completed
    } else if started {
        EnrollmentStatus::InProgress
    } else {
        EnrollmentStatus::NotStarted
    };
    let status = now.max(previous);
    let success = if status == EnrollmentStatus::Completed && every_weighted_passed {
        Success::Passed
    } else if weighted_failed_for_good {
        Success::Failed
    } else {
        Success::Unknown
    };
    PathProgress {
        status,
        success,
        score: (scores.1 > 0).then(|| scores.0 / f64::from(scores.1)),
        completed,
        sections,
    }
}

/// Whether the learner may launch the entry `entry` now.
///
/// # Errors
/// Why not, in words: the entry's `reason` (its section is not open yet, an entry above it in a
/// flow section is not completed, no attempt is left), or that it is not an entry of the path.
pub fn can_launch(progress: &PathProgress, entry: RecordId) -> Result<(), String> {
    let found = progress
        .entry(entry)
        .ok_or_else(|| format!("entry_id {entry} is not an entry of this path"))?;
    match &found.reason {
        Some(reason) => Err(reason.clone()),
        None => Ok(()),
    }
}
