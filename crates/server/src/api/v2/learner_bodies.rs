//! The users' and enrollments' v2 bodies: what the handlers serialise is what the OpenAPI
//! document describes.

use super::bodies::timestamp;
use curricula_domain::ActivityKind;
use curricula_domain::learner::Success;
use curricula_domain::progress::PathProgress;
use curricula_domain::runtime::{CompletionStatus, LessonStatus, ScoState};
use curricula_ports::{Enrollment, Learner};
use curricula_service::player::AttemptProgress;
use curricula_service::player::paths::ProgressRow;
use serde::Serialize;
use utoipa::ToSchema;

/// A user of the tenant.
#[derive(Serialize, ToSchema)]
pub struct UserRecord {
    /// The user id.
    pub id: i64,
    /// The tenant.
    pub account_id: i64,
    /// Unique within the tenant; never changes.
    pub username: String,
    /// Given name.
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// The partner's own id for the user, unique within the tenant.
    pub code: Option<String>,
    /// When it was created.
    #[schema(example = "2026-12-03T12:00:00.000Z")]
    pub created_on: String,
    /// Last change.
    #[schema(example = "2026-12-03T12:00:00.000Z")]
    pub updated_on: String,
}

impl From<&Learner> for UserRecord {
    fn from(u: &Learner) -> Self {
        Self {
            id: u.id.0,
            account_id: u.tenant.0,
            username: u.username.clone(),
            first_name: u.profile.first_name.clone(),
            last_name: u.profile.last_name.clone(),
            email: u.profile.email.clone(),
            code: u.profile.code.clone(),
            created_on: timestamp(&u.created_at),
            updated_on: timestamp(&u.updated_at),
        }
    }
}

/// The body of a user write.
#[derive(Serialize, ToSchema)]
pub struct UserBody {
    /// The attributes; `username` is required on create and cannot change; null or an empty
    /// string clears a field.
    pub user: UserAttributes,
}

/// The attributes of a user write.
#[derive(Serialize, ToSchema)]
pub struct UserAttributes {
    /// Unique within the tenant, up to 255 characters.
    #[schema(example = "anna.jonsdottir")]
    pub username: Option<String>,
    /// Given name.
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// The partner's own id.
    pub code: Option<String>,
}

/// A user's enrollment in a SCORM activity or a path.
#[derive(Serialize, ToSchema)]
pub struct EnrollmentRecord {
    /// The enrollment id.
    pub id: i64,
    /// The learner.
    pub user_id: i64,
    /// The SCORM activity or path.
    pub course_id: i64,
    /// The tenant.
    pub account_id: i64,
    /// `scorm` or `course` (a path).
    #[schema(example = "scorm")]
    pub kind: String,
    /// `not-started`, `in-progress` or `completed` (it stays completed).
    #[schema(example = "in-progress")]
    pub status: String,
    /// `unknown`, `passed` (any attempt passed) or `failed`.
    #[schema(example = "unknown")]
    pub success: String,
    /// The highest score of the attempts, 0–100.
    pub score: Option<f64>,
    /// Attempts started.
    pub attempts: u32,
    /// The sum of the session times of every attempt.
    pub total_time_seconds: f64,
    /// SCORM: the language of the latest attempt.
    pub language: Option<String>,
    /// SCORM: the package revision of the latest attempt.
    pub revision: Option<u32>,
    /// When the user was enrolled.
    pub enrolled_on: String,
    /// The first launch.
    pub started_on: Option<String>,
    /// The first completion.
    pub completed_on: Option<String>,
    /// Last change.
    pub updated_on: String,
    /// SCORM, in the single read: the current attempt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<RuntimeRecord>,
    /// A path, in the single read: its sections and entries as the learner stands in them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sections: Option<Vec<SectionRecord>>,
}

/// A section of a path, for one learner.
#[derive(Serialize, ToSchema)]
pub struct SectionRecord {
    /// The section (curriculum record) id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Whether it has what it needs (an optional section: when every entry is done).
    pub complete: bool,
    /// How many entries it needs completed or exempt (0 for an optional section).
    pub required: usize,
    /// How many of its entries are completed or exempt.
    pub completed: usize,
    /// Its entries, in order.
    pub entries: Vec<EntryRecord>,
}

/// An entry of a path, for one learner.
#[derive(Serialize, ToSchema)]
pub struct EntryRecord {
    /// The entry (curriculum record) id: what a launch names (`entry_id`).
    pub id: i64,
    /// Its activity.
    pub course_id: i64,
    /// Its name.
    pub name: String,
    /// `locked`, `available`, `in-progress`, `completed` or `exempt`.
    #[schema(example = "available")]
    pub state: String,
    /// Why it cannot be launched now, in words; null when it can.
    pub reason: Option<String>,
    /// Its activity's success.
    pub success: String,
    /// Its activity's score, 0–100.
    pub score: Option<f64>,
    /// Attempts started.
    pub attempts: u32,
    /// The entry's attempt limit; 0 is none.
    pub attempts_max: u32,
}

impl SectionRecord {
    /// The sections of a learner's progress in a path.
    pub fn of(progress: &PathProgress) -> Vec<Self> {
        progress
            .sections
            .iter()
            .map(|s| Self {
                id: s.id.0,
                name: s.name.clone(),
                complete: s.complete,
                required: s.required,
                completed: s.completed,
                entries: s
                    .entries
                    .iter()
                    .map(|e| EntryRecord {
                        id: e.id.0,
                        course_id: e.course_id.0,
                        name: e.name.clone(),
                        state: e.state.as_str().to_owned(),
                        reason: e.reason.clone(),
                        success: e.success.as_str().to_owned(),
                        score: e.score,
                        attempts: e.attempts,
                        attempts_max: e.attempts_max,
                    })
                    .collect(),
            })
            .collect()
    }
}

/// One learner's progress in a path (`GET /api/v2/curricula/{id}/progress`).
#[derive(Serialize, ToSchema)]
pub struct ProgressRecord {
    /// The path enrollment.
    pub enrollment_id: i64,
    /// The learner.
    pub user_id: i64,
    /// The learner's username.
    pub username: String,
    /// `not-started`, `in-progress` or `completed`.
    pub status: String,
    /// `unknown`, `passed` or `failed`.
    pub success: String,
    /// The mean score of the weighted entries, 0–100.
    pub score: Option<f64>,
    /// Entries completed or exempt.
    pub entries_completed: usize,
    /// Entries of the path.
    pub entries_total: usize,
    /// The first completion of the path.
    pub completed_on: Option<String>,
}

impl From<&ProgressRow> for ProgressRecord {
    fn from(r: &ProgressRow) -> Self {
        Self {
            enrollment_id: r.enrollment.0,
            user_id: r.user.0,
            username: r.username.clone(),
            status: r.status.as_str().to_owned(),
            success: r.success.as_str().to_owned(),
            score: r.score,
            entries_completed: r.entries_completed,
            entries_total: r.entries_total,
            completed_on: r.completed_at.as_ref().map(timestamp),
        }
    }
}

impl From<&Enrollment> for EnrollmentRecord {
    fn from(e: &Enrollment) -> Self {
        Self {
            id: e.id.0,
            user_id: e.user.0,
            course_id: e.course.0,
            account_id: e.tenant.0,
            kind: match e.kind {
                ActivityKind::Scorm => "scorm",
                ActivityKind::Course => "course",
            }
            .to_owned(),
            status: e.status.as_str().to_owned(),
            success: e.success.as_str().to_owned(),
            score: e.score,
            attempts: e.attempts,
            total_time_seconds: e.total_time_seconds,
            language: e.language.as_ref().map(|l| l.as_str().to_owned()),
            revision: None,
            enrolled_on: timestamp(&e.enrolled_at),
            started_on: e.started_at.as_ref().map(timestamp),
            completed_on: e.completed_at.as_ref().map(timestamp),
            updated_on: timestamp(&e.updated_at),
            runtime: None,
            sections: None,
        }
    }
}

/// The current attempt of a SCORM enrollment, as the content reported it.
#[derive(Serialize, ToSchema)]
pub struct RuntimeRecord {
    /// The attempt's number (1 for the first).
    pub attempt: u32,
    /// The package revision it runs.
    pub revision: u32,
    /// When it started.
    pub started_on: String,
    /// When it ended; null while it runs.
    pub ended_on: Option<String>,
    /// The attempt's status over all its SCOs.
    pub status: String,
    /// The attempt's success.
    pub success: String,
    /// The attempt's score, 0–100.
    pub score: Option<f64>,
    /// The sum of the attempt's session times.
    pub total_time_seconds: f64,
    /// Each SCO's data, in the manifest's order of those that reported.
    pub scos: Vec<ScoRuntimeRecord>,
}

impl From<&AttemptProgress> for RuntimeRecord {
    fn from(p: &AttemptProgress) -> Self {
        Self {
            attempt: p.number,
            revision: p.revision,
            started_on: timestamp(&p.started_at),
            ended_on: p.ended_at.as_ref().map(timestamp),
            status: p.outcome.status.as_str().to_owned(),
            success: p.outcome.success.as_str().to_owned(),
            score: p.outcome.score,
            total_time_seconds: p.total_time_seconds,
            scos: p
                .scos
                .iter()
                .map(|(sco, state)| ScoRuntimeRecord::new(sco, state))
                .collect(),
        }
    }
}

impl ScoRuntimeRecord {
    fn new(sco: &str, state: &ScoState) -> Self {
        let r = &state.report;
        // 1.2 reports one lesson_status; its completion and success parts are shown apart.
        let (completion, success) = match r.lesson_status {
            Some(status) => {
                let completion = match status {
                    LessonStatus::Passed | LessonStatus::Failed | LessonStatus::Completed => "completed",
                    LessonStatus::Incomplete | LessonStatus::Browsed => "incomplete",
                    LessonStatus::NotAttempted => "not attempted",
                };
                let success = match status {
                    LessonStatus::Passed => "passed",
                    LessonStatus::Failed => "failed",
                    _ => "unknown",
                };
                (completion, success)
            }
            None => (
                r.completion_status.map_or("unknown", CompletionStatus::as_str),
                r.success_status.map_or("unknown", Success::as_str),
            ),
        };
        Self {
            sco: sco.to_owned(),
            location: Some(r.location.clone()).filter(|l| !l.is_empty()),
            lesson_status: r.lesson_status.map(|s| s.as_str().to_owned()),
            completion_status: completion.to_owned(),
            success_status: success.to_owned(),
            score_raw: r.score.raw,
            score_min: r.score.min,
            score_max: r.score.max,
            score_scaled: r.score.scaled,
            progress_measure: r.progress_measure,
            session_time_seconds: state.session_seconds,
            total_time_seconds: state.total_seconds(),
            exit: Some(r.exit.as_str().to_owned()).filter(|e| !e.is_empty()),
            suspend_data_length: r.suspend_data.encode_utf16().count(),
            interactions: r.interactions,
            objectives: r.objectives,
            terminated: state.terminated,
        }
    }
}

/// What one SCO reported in the current attempt.
#[derive(Serialize, ToSchema)]
pub struct ScoRuntimeRecord {
    /// The item identifier.
    pub sco: String,
    /// `cmi.location` / `cmi.core.lesson_location`.
    pub location: Option<String>,
    /// 1.2: `cmi.core.lesson_status` as reported.
    pub lesson_status: Option<String>,
    /// Completion status as reported (1.2: from `lesson_status`).
    pub completion_status: String,
    /// Success status as reported (1.2: from `lesson_status`).
    pub success_status: String,
    /// `score.raw`.
    pub score_raw: Option<f64>,
    /// `score.min`.
    pub score_min: Option<f64>,
    /// `score.max`.
    pub score_max: Option<f64>,
    /// `score.scaled` (2004).
    pub score_scaled: Option<f64>,
    /// `progress_measure` (2004).
    pub progress_measure: Option<f64>,
    /// The latest session's time.
    pub session_time_seconds: f64,
    /// The SCO's total time (the server's sum of its sessions).
    pub total_time_seconds: f64,
    /// The last `exit` value.
    pub exit: Option<String>,
    /// Length of `suspend_data` in characters (UTF-16 code units, as the content counts).
    pub suspend_data_length: usize,
    /// Interactions recorded.
    pub interactions: usize,
    /// Objectives recorded.
    pub objectives: usize,
    /// Whether the content terminated (Terminate / LMSFinish) at its latest commit.
    pub terminated: bool,
}

/// The body of an enrollment create.
#[derive(Serialize, ToSchema)]
pub struct EnrollmentBody {
    /// The user and the activity or path.
    pub enrollment: EnrollmentAttributes,
}

/// The attributes of an enrollment create.
#[derive(Serialize, ToSchema)]
pub struct EnrollmentAttributes {
    /// A user of your account.
    #[schema(example = 7)]
    pub user_id: i64,
    /// A SCORM activity or a path of your account.
    #[schema(example = 12)]
    pub course_id: i64,
}

/// A launch of an enrollment.
#[derive(Serialize, ToSchema)]
pub struct EnrollmentLaunch {
    /// The signed player URL, bound to this enrollment and attempt.
    pub launch_url: String,
    /// When it stops working (RFC 3339).
    pub expires_at: String,
    /// The attempt it opens (resumes a running one, else the next).
    pub attempt: u32,
}
