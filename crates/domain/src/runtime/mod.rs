//! The SCORM runtime's pure rules: what a commit from scorm-again reports, what is kept per SCO
//! and attempt, how a SCO's and a package's outcome roll up, how an enrollment's summary follows
//! its attempts, and what the player seeds scorm-again with. `docs/RUNTIME.md` gives the
//! decisions in words.
//!
//! The shapes follow scorm-again 3.4.3 (`dataCommitFormat: "json"`); the fixtures next to this
//! module are real outputs of it (see `fixtures/README.md`).

mod duration;
mod report;
mod rollup;
mod seed;
mod state;
mod summary;
mod version;

#[cfg(test)]
mod tests;

pub use duration::{DurationError, MAX_DURATION_SECONDS, format_duration, parse_duration};
pub use report::{
    CmiError, CmiProblem, CompletionStatus, Credit, Exit, LessonStatus, MAX_INTERACTIONS, MAX_LOCATION_CHARS_12,
    MAX_LOCATION_CHARS_2004, MAX_OBJECTIVES, MAX_SUSPEND_DATA_CHARS, Mode, Report, Score, read_report,
};
pub use rollup::{
    ActivityOutcome, ScoOutcome, ScoSlot, SlotKind, Thresholds, activity_outcome, outcome, package_attempt_ends,
};
pub use seed::{Learner, SeedInput, seed};
pub use state::{Entry, ScoState, ends_attempt};
pub use summary::{Summary, summarize};
pub use version::ScormVersion;
