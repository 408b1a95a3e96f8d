//! What is kept per SCO per attempt, and when an attempt ends.

use super::report::{Exit, Report};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The runtime data of one SCO in one attempt, stored as JSON text.
///
/// Total time is the server's: the sum of the session times of the attempt's sessions, where a
/// session is one page load of the player for this SCO (the commit's `session` id) and the
/// latest `session_time` of a session counts. A `total_time` the content reports is ignored.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ScoState {
    /// The latest report (its `exit` is the attempt's last exit).
    pub report: Report,
    /// Id of the current session (empty before the first commit).
    pub session: String,
    /// Latest `session_time` of the current session, in seconds.
    pub session_seconds: f64,
    /// Total of the attempt's earlier sessions, in seconds.
    pub base_seconds: f64,
    /// Whether the latest commit was the one of Terminate / LMSFinish.
    pub terminated: bool,
}

impl ScoState {
    /// The state after a commit of `report` from `session`: the report replaces the previous
    /// one; within the same session the latest `session_time` counts; a new session id folds
    /// the previous session into `base_seconds`.
    pub fn apply(&self, report: Report, session: &str, terminate: bool) -> ScoState {
        let (base_seconds, session_seconds) = if session == self.session {
            (self.base_seconds, report.session_seconds)
        } else {
            (self.base_seconds + self.session_seconds, report.session_seconds)
        };
        ScoState {
            report,
            session: session.to_owned(),
            session_seconds,
            base_seconds,
            terminated: terminate,
        }
    }

    /// The attempt's total time so far, in seconds.
    pub fn total_seconds(&self) -> f64 {
        self.base_seconds + self.session_seconds
    }

    /// How the content last left the SCO.
    pub fn exit(&self) -> Exit {
        self.report.exit
    }
}

/// Whether this SCO is done with the attempt: the content terminated (Terminate / LMSFinish)
/// with an exit other than `suspend`. For a package with one SCO the attempt is then over and
/// the next launch starts a new one; for several, see
/// [`package_attempt_ends`](super::rollup::package_attempt_ends).
pub fn ends_attempt(state: &ScoState) -> bool {
    state.terminated && state.report.exit != Exit::Suspend
}

/// `cmi.core.entry` (1.2) / `cmi.entry` (2004) for the next launch of a SCO; both versions have
/// the same vocabulary and rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Entry {
    /// `ab-initio`: the first launch of the SCO in this attempt.
    AbInitio,
    /// `resume`: the attempt's last exit was `suspend`.
    Resume,
    /// The empty value: any other continuation of the attempt.
    #[serde(rename = "")]
    Continue,
}

impl Entry {
    /// The entry for the next launch of a SCO, given its state in the **current** attempt:
    /// `None` (a new attempt, or a SCO of this attempt not opened yet) is `ab-initio`; a last
    /// exit of `suspend` is `resume`; anything else is empty. The caller decides first whether
    /// the launch starts a new attempt (see [`package_attempt_ends`](super::rollup::package_attempt_ends));
    /// a SCO of a package with several that ended while the package's attempt goes on is opened
    /// again with its data and the empty entry.
    pub fn next(state: Option<&ScoState>) -> Entry {
        match state {
            None => Entry::AbInitio,
            Some(state) if state.report.exit == Exit::Suspend => Entry::Resume,
            Some(_) => Entry::Continue,
        }
    }

    /// `ab-initio`, `resume` or the empty text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AbInitio => "ab-initio",
            Self::Resume => "resume",
            Self::Continue => "",
        }
    }
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
