//! What the progress rules read (a learner's standing in one activity) and what they give (the
//! path's progress, per section and entry): a leaf the other files of the module import.

use crate::ids::{ActivityId, RecordId};
use crate::learner::{EnrollmentStatus, Success};
use serde::{Deserialize, Serialize};

/// The learner's standing in one activity of the path: the summary of their enrollment in it
/// (shared by every path that holds the activity). No enrollment is [`Default`]: not started.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivityEnrollment {
    /// Not started, in progress or completed (completed stays completed).
    pub status: EnrollmentStatus,
    /// Passed, failed or unknown.
    pub success: Success,
    /// Its score, 0..100.
    pub score: Option<f64>,
    /// Attempts started, the running one included.
    pub attempts: u32,
    /// Whether an attempt is running (started, not ended): a launch resumes it.
    pub attempt_running: bool,
}

impl Default for ActivityEnrollment {
    /// Never launched.
    fn default() -> Self {
        Self {
            status: EnrollmentStatus::NotStarted,
            success: Success::Unknown,
            score: None,
            attempts: 0,
            attempt_running: false,
        }
    }
}

/// Where an entry of a path stands for the learner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryState {
    /// Can not be launched now; its `reason` says why.
    Locked,
    /// Can be launched, never started.
    Available,
    /// Started, not completed, and can be launched.
    InProgress,
    /// Its activity is completed.
    Completed,
    /// Not completed, and not needed: an `exempt_if_mastered` entry was passed.
    Exempt,
}

impl EntryState {
    /// Every state.
    pub const ALL: [Self; 5] = [
        Self::Locked,
        Self::Available,
        Self::InProgress,
        Self::Completed,
        Self::Exempt,
    ];

    /// The wire name: `locked`, `available`, `in-progress`, `completed`, `exempt`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Locked => "locked",
            Self::Available => "available",
            Self::InProgress => "in-progress",
            Self::Completed => "completed",
            Self::Exempt => "exempt",
        }
    }

    /// Whether the entry counts towards its section: completed or exempt.
    pub fn is_done(self) -> bool {
        matches!(self, Self::Completed | Self::Exempt)
    }
}

/// One entry of a path, for one learner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntryProgress {
    /// The entry (curriculum record) id: what a launch names (`entry_id`).
    pub id: RecordId,
    /// Its activity.
    pub course_id: ActivityId,
    /// Its displayed name.
    pub name: String,
    /// Where it stands.
    pub state: EntryState,
    /// Why it can not be launched now, in words; `None` when it can. A locked entry always has
    /// one; a completed or exempt entry has one when it can not be taken again (its section is
    /// not open yet, or no attempt is left).
    pub reason: Option<String>,
    /// Its activity's success.
    pub success: Success,
    /// Its activity's score, 0..100.
    pub score: Option<f64>,
    /// Attempts started.
    pub attempts: u32,
    /// The entry's attempt limit; 0 is none.
    pub attempts_max: u32,
}

/// One section of a path, for one learner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SectionProgress {
    /// The section (curriculum record) id.
    pub id: RecordId,
    /// Its displayed name.
    pub name: String,
    /// Whether it has what it needs (an optional section: when every entry is done).
    pub complete: bool,
    /// How many entries it needs completed or exempt (0 for an optional section).
    pub required: usize,
    /// How many of its entries are completed or exempt.
    pub completed: usize,
    /// Its entries, in order.
    pub entries: Vec<EntryProgress>,
}

/// A learner's progress in a path: the path enrollment's status and its sections.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathProgress {
    /// The path enrollment's status: completed when the rules complete the path now or when it
    /// was completed before; in progress once any entry's activity was started.
    pub status: EnrollmentStatus,
    /// Passed, failed or unknown.
    pub success: Success,
    /// The mean score of the weighted entries that have one; `None` when none has.
    pub score: Option<f64>,
    /// Whether the rules complete the path as it is now (`status` may be completed without it:
    /// a completed path stays completed).
    pub completed: bool,
    /// The sections, in order.
    pub sections: Vec<SectionProgress>,
}

impl PathProgress {
    /// The entry `id`, if it is in the path.
    pub fn entry(&self, id: RecordId) -> Option<&EntryProgress> {
        self.sections.iter().flat_map(|s| &s.entries).find(|e| e.id == id)
    }

    /// Every entry, in order.
    pub fn entries(&self) -> impl Iterator<Item = &EntryProgress> {
        self.sections.iter().flat_map(|s| &s.entries)
    }
}
