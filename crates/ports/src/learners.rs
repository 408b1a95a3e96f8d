//! The learners' port: users with their profiles, enrollments, and the attempts of the SCORM
//! runtime with what the content reported per SCO.

use crate::error::StoreError;
use crate::events::Journal;
use crate::query::{Listed, Slice, TimeRange};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use curricula_domain::learner::{EnrollmentStatus, Profile, Success};
use curricula_domain::{ActivityId, ActivityKind, AttemptId, EnrollmentId, LanguageCode, TenantId, UserId};

/// A user of a tenant with its profile (the v2 users API's record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Learner {
    /// Its id.
    pub id: UserId,
    /// The tenant.
    pub tenant: TenantId,
    /// Unique within the tenant; never changes.
    pub username: String,
    /// Names, e-mail, the partner's code.
    pub profile: Profile,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// Why a user write was refused; nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum UserWriteError {
    /// The tenant does not exist.
    #[error("tenant {0} not found")]
    TenantNotFound(TenantId),
    /// No such user of the tenant.
    #[error("user {0} not found")]
    NotFound(UserId),
    /// Another user of the tenant has this username.
    #[error("username {0:?} is taken")]
    UsernameTaken(String),
    /// Another user of the tenant has this code.
    #[error("code {0:?} is taken")]
    CodeTaken(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Which users a list holds (`user[...]` filters); `None` is no condition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserFilter {
    /// Exactly this username.
    pub username: Option<String>,
    /// Exactly this code.
    pub code: Option<String>,
    /// Changed within this range.
    pub updated_on: Option<TimeRange>,
}

impl UserFilter {
    /// The reference meaning of the filter (the contract suite holds the store to it).
    pub fn matches(&self, u: &Learner) -> bool {
        self.username.as_ref().is_none_or(|n| *n == u.username)
            && self.code.as_ref().is_none_or(|c| u.profile.code.as_ref() == Some(c))
            && self.updated_on.as_ref().is_none_or(|r| r.contains(u.updated_at))
    }
}

/// A user's enrollment in a SCORM activity or a path, with its summary over all attempts.
#[derive(Debug, Clone, PartialEq)]
pub struct Enrollment {
    /// Its id.
    pub id: EnrollmentId,
    /// The tenant.
    pub tenant: TenantId,
    /// The learner.
    pub user: UserId,
    /// The SCORM activity or path.
    pub course: ActivityId,
    /// Which of the two `course` is.
    pub kind: ActivityKind,
    /// How far the learner has come.
    pub status: EnrollmentStatus,
    /// Passed when any attempt passed.
    pub success: Success,
    /// The highest score (0–100) of the attempts, if any reported one.
    pub score: Option<f64>,
    /// Attempts started.
    pub attempts: u32,
    /// The sum of the session times of every attempt.
    pub total_time_seconds: f64,
    /// The language of the latest attempt (SCORM activities).
    pub language: Option<LanguageCode>,
    /// When the user was enrolled.
    pub enrolled_at: DateTime<Utc>,
    /// The first launch.
    pub started_at: Option<DateTime<Utc>>,
    /// The first completion.
    pub completed_at: Option<DateTime<Utc>>,
    /// The last change.
    pub updated_at: DateTime<Utc>,
}

/// A learner's enrollment in one activity and whether an attempt of it runs (its latest
/// attempt has not ended): what the path progress rules read per entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Standing {
    /// The enrollment.
    pub enrollment: Enrollment,
    /// Whether an attempt runs: a launch resumes it.
    pub attempt_running: bool,
}

/// Why an enrollment was not created; nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum EnrollError {
    /// No such user of the tenant.
    #[error("user_id {0} is not a user of your account")]
    UnknownUser(UserId),
    /// No such activity of the tenant.
    #[error("course_id {0} is not an activity of your account")]
    UnknownCourse(ActivityId),
    /// The user is enrolled in it already.
    #[error("user {0} is already enrolled in course {1}")]
    Duplicate(UserId, ActivityId),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Which enrollments a list holds (`enrollment[...]` filters); `None` is no condition.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EnrollmentFilter {
    /// This learner's.
    pub user: Option<UserId>,
    /// In this activity or path.
    pub course: Option<ActivityId>,
    /// With this status.
    pub status: Option<EnrollmentStatus>,
    /// Changed within this range.
    pub updated_on: Option<TimeRange>,
    /// First completed within this range.
    pub completed_on: Option<TimeRange>,
}

impl EnrollmentFilter {
    /// The reference meaning of the filter.
    pub fn matches(&self, e: &Enrollment) -> bool {
        self.user.is_none_or(|u| u == e.user)
            && self.course.is_none_or(|c| c == e.course)
            && self.status.is_none_or(|s| s == e.status)
            && self.updated_on.as_ref().is_none_or(|r| r.contains(e.updated_at))
            && self
                .completed_on
                .as_ref()
                .is_none_or(|r| e.completed_at.is_some_and(|at| r.contains(at)))
    }
}

/// What one SCO of an attempt holds: the runtime state the service keeps for it (the
/// domain's `ScoState`, as the service serialised it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoRecord {
    /// The item identifier of the SCO in the manifest.
    pub sco: String,
    /// Its state, serialised by the service (JSON).
    pub state: String,
}

/// One attempt of a SCORM enrollment.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    /// Its id.
    pub id: AttemptId,
    /// The enrollment.
    pub enrollment: EnrollmentId,
    /// 1 for the first attempt.
    pub number: u32,
    /// The language version it runs.
    pub language: LanguageCode,
    /// The package revision it started on (it keeps it to its end).
    pub revision: u32,
    /// That revision's folder.
    pub storage_prefix: String,
    /// The last commit sequence number applied.
    pub seq: u64,
    /// The attempt's own status.
    pub status: EnrollmentStatus,
    /// The attempt's own success.
    pub success: Success,
    /// The attempt's score (0–100).
    pub score: Option<f64>,
    /// The sum of its session times.
    pub total_time_seconds: f64,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it ended (Terminate with an exit other than suspend); `None` while it runs.
    pub ended_at: Option<DateTime<Utc>>,
    /// What each SCO reported.
    pub scos: Vec<ScoRecord>,
}

/// A new attempt of an enrollment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttempt {
    /// The tenant.
    pub tenant: TenantId,
    /// The enrollment.
    pub enrollment: EnrollmentId,
    /// Its number: the latest attempt's and one (two launches at once agree on one of them).
    pub number: u32,
    /// The language version.
    pub language: LanguageCode,
    /// The current package revision of that version.
    pub revision: u32,
    /// That revision's folder.
    pub storage_prefix: String,
    /// Now.
    pub now: DateTime<Utc>,
}

/// Why an attempt was not opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenAttemptError {
    /// An attempt with that number exists already (another launch opened it first).
    #[error("attempt {0} exists already")]
    Taken(u32),
    /// The enrollment is gone.
    #[error("enrollment {0} not found")]
    NotFound(EnrollmentId),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The outcome of an attempt or an enrollment as a commit leaves it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    /// Status.
    pub status: EnrollmentStatus,
    /// Success.
    pub success: Success,
    /// Score, 0–100.
    pub score: Option<f64>,
}

/// What an applied commit writes, in one transaction: the SCO's new state, the attempt's
/// sequence number and outcome, and the enrollment's summary.
#[derive(Debug, Clone, PartialEq)]
pub struct CommitWrite {
    /// The tenant.
    pub tenant: TenantId,
    /// The attempt.
    pub attempt: AttemptId,
    /// The sequence number the attempt holds now (the write is refused when it moved on).
    pub expected_seq: u64,
    /// The commit's sequence number (greater than `expected_seq`).
    pub seq: u64,
    /// The SCO and its new state.
    pub sco: ScoRecord,
    /// The attempt's outcome over all its SCOs.
    pub attempt_outcome: Outcome,
    /// The attempt's total time now.
    pub attempt_seconds: f64,
    /// Whether this commit ends the attempt.
    pub ends_attempt: bool,
    /// The enrollment's summary now.
    pub enrollment: Outcome,
    /// The enrollment's first completion, if this commit completes it first.
    pub completed_at: Option<DateTime<Utc>>,
    /// Now.
    pub now: DateTime<Utc>,
}

/// An enrollment before and after a write of its progress (the same when nothing changed).
#[derive(Debug, Clone, PartialEq)]
pub struct StatusChange {
    /// As it was.
    pub before: Enrollment,
    /// As it is now.
    pub after: Enrollment,
}

/// Why a commit was not written.
#[derive(Debug, thiserror::Error)]
pub enum CommitWriteError {
    /// The attempt's sequence number moved on, or the attempt ended, since it was read.
    #[error("the attempt changed since it was read")]
    Moved,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Users, enrollments and attempts.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait LearnerRepository: Send + Sync {
    /// Creates a user.
    ///
    /// # Errors
    /// `TenantNotFound`, `UsernameTaken`, `CodeTaken`, or `Store`.
    async fn create_learner(
        &self,
        tenant: TenantId,
        username: &str,
        profile: &Profile,
        now: DateTime<Utc>,
        journal: Journal<Learner>,
    ) -> Result<Learner, UserWriteError>;

    /// Replaces a user's profile.
    ///
    /// # Errors
    /// `NotFound`, `CodeTaken`, or `Store`.
    async fn update_learner(
        &self,
        tenant: TenantId,
        id: UserId,
        profile: &Profile,
        now: DateTime<Utc>,
        journal: Journal<Learner>,
    ) -> Result<Learner, UserWriteError>;

    /// One user of the tenant.
    ///
    /// # Errors
    /// When the store fails.
    async fn learner(&self, tenant: TenantId, id: UserId) -> Result<Option<Learner>, StoreError>;

    /// The users matching `filter`, by id, sliced in the query.
    ///
    /// # Errors
    /// When the store fails.
    async fn list_learners(
        &self,
        tenant: TenantId,
        filter: &UserFilter,
        slice: Slice,
    ) -> Result<Listed<Learner>, StoreError>;

    /// Enrolls a user of the tenant in one of its activities.
    ///
    /// # Errors
    /// `UnknownUser`, `UnknownCourse`, `Duplicate`, or `Store`.
    async fn enroll(
        &self,
        tenant: TenantId,
        user: UserId,
        course: ActivityId,
        now: DateTime<Utc>,
        journal: Journal<Enrollment>,
    ) -> Result<Enrollment, EnrollError>;

    /// One enrollment of the tenant.
    ///
    /// # Errors
    /// When the store fails.
    async fn enrollment(&self, tenant: TenantId, id: EnrollmentId) -> Result<Option<Enrollment>, StoreError>;

    /// The enrollments matching `filter`, by id, sliced in the query.
    ///
    /// # Errors
    /// When the store fails.
    async fn list_enrollments(
        &self,
        tenant: TenantId,
        filter: &EnrollmentFilter,
        slice: Slice,
    ) -> Result<Listed<Enrollment>, StoreError>;

    /// The enrollments of the tenant's `users` in `courses` (one query whatever their number),
    /// each with whether an attempt runs, by id.
    ///
    /// # Errors
    /// When the store fails.
    async fn enrollments_of(
        &self,
        tenant: TenantId,
        users: &[UserId],
        courses: &[ActivityId],
    ) -> Result<Vec<Standing>, StoreError>;

    /// The tenant's enrollments in path (or activity) `course` with an id above `after`, by id,
    /// at most `limit`: a page of a walk over a path's enrollments (each page its own read).
    ///
    /// # Errors
    /// When the store fails.
    async fn enrollments_in_after(
        &self,
        tenant: TenantId,
        course: ActivityId,
        after: Option<EnrollmentId>,
        limit: u64,
    ) -> Result<Vec<Enrollment>, StoreError>;

    /// The enrollments of `user` in the tenant's paths that hold `activity` as an entry, by id.
    ///
    /// # Errors
    /// When the store fails.
    async fn path_enrollments_with(
        &self,
        tenant: TenantId,
        user: UserId,
        activity: ActivityId,
    ) -> Result<Vec<Enrollment>, StoreError>;

    /// Stores a path enrollment's status, success and score as its progress gives them; sets
    /// `completed_at` (to `now`) when it first becomes completed and `started_at` when it first
    /// leaves not-started. A completed enrollment stays completed (a write computed from an
    /// older read cannot lower it). `None` when there is no such enrollment.
    ///
    /// # Errors
    /// When the store fails.
    async fn set_path_outcome(
        &self,
        tenant: TenantId,
        id: EnrollmentId,
        outcome: Outcome,
        now: DateTime<Utc>,
        journal: Journal<StatusChange>,
    ) -> Result<Option<Enrollment>, StoreError>;

    /// The tenant's users among `ids`, by id (the unknown ones left out).
    ///
    /// # Errors
    /// When the store fails.
    async fn learners_in(&self, tenant: TenantId, ids: &[UserId]) -> Result<Vec<Learner>, StoreError>;

    /// Removes an enrollment with its attempts; `false` when there was none.
    ///
    /// # Errors
    /// When the store fails.
    async fn unenroll(
        &self,
        tenant: TenantId,
        id: EnrollmentId,
        journal: Journal<Enrollment>,
    ) -> Result<bool, StoreError>;

    /// The enrollment's latest attempt, with its SCOs.
    ///
    /// # Errors
    /// When the store fails.
    async fn latest_attempt(&self, tenant: TenantId, enrollment: EnrollmentId) -> Result<Option<Attempt>, StoreError>;

    /// One attempt of the tenant, with its SCOs.
    ///
    /// # Errors
    /// When the store fails.
    async fn attempt(&self, tenant: TenantId, id: AttemptId) -> Result<Option<Attempt>, StoreError>;

    /// Opens an attempt; the enrollment counts it and takes its language, and is started.
    ///
    /// # Errors
    /// `Taken` when that number exists, `NotFound`, or `Store`.
    async fn open_attempt(&self, new: NewAttempt) -> Result<Attempt, OpenAttemptError>;

    /// Writes an applied commit, in one transaction, if the attempt still holds
    /// `expected_seq` and has not ended.
    ///
    /// # Errors
    /// `Moved` when it does not, or `Store`.
    async fn write_commit(&self, write: CommitWrite, journal: Journal<StatusChange>) -> Result<(), CommitWriteError>;
}
