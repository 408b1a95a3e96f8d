//! The v2 users and enrollments use cases: create, read, list and change the tenant's users,
//! enroll them in SCORM activities and paths, read and remove enrollments.

use crate::auth::Caller;
use crate::events::Actor;
use curricula_domain::learner::{FieldError, Profile, check_profile_field, check_username};
use curricula_domain::{ActivityId, EnrollmentId, UserId};
use curricula_ports::{
    Clock, EnrollError, Enrollment, EnrollmentFilter, Event, EventType, Journal, Learner, LearnerRepository, Listed,
    StoreError, UserFilter, UserWriteError,
};
use serde_json::{Value, json};
use std::sync::Arc;

/// Why a users or enrollments operation was refused; nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum LearnerError {
    /// The user in the URL is not the caller's (404).
    #[error("user {0} not found")]
    UserNotFound(UserId),
    /// The enrollment in the URL is not the caller's (404).
    #[error("enrollment {0} not found")]
    EnrollmentNotFound(EnrollmentId),
    /// Fields that are malformed, one refusal each (422).
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    /// A refusal of the request as a whole (422): a duplicate, an unknown reference.
    #[error("{0}")]
    Refused(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl LearnerError {
    /// The messages of a refusal, one per problem.
    pub fn messages(&self) -> Vec<String> {
        match self {
            Self::Invalid(fields) => fields.iter().map(ToString::to_string).collect(),
            other => vec![other.to_string()],
        }
    }
}

impl From<UserWriteError> for LearnerError {
    fn from(e: UserWriteError) -> Self {
        match e {
            UserWriteError::NotFound(id) => Self::UserNotFound(id),
            UserWriteError::Store(s) => Self::Store(s),
            UserWriteError::UsernameTaken(name) => {
                Self::Invalid(vec![FieldError::new("username", format!("{name:?} is taken"))])
            }
            UserWriteError::CodeTaken(code) => Self::Invalid(vec![FieldError::new(
                "code",
                format!("{code:?} is taken by another user"),
            )]),
            other @ UserWriteError::TenantNotFound(_) => Self::Refused(other.to_string()),
        }
    }
}

impl From<EnrollError> for LearnerError {
    fn from(e: EnrollError) -> Self {
        match e {
            EnrollError::UnknownUser(id) => Self::Invalid(vec![FieldError::new(
                "user_id",
                format!("{id} is not a user of your account"),
            )]),
            EnrollError::UnknownCourse(id) => Self::Invalid(vec![FieldError::new(
                "course_id",
                format!("{id} is not an activity or path of your account"),
            )]),
            EnrollError::Duplicate(user, course) => {
                Self::Refused(format!("user {user} is already enrolled in course {course}"))
            }
            EnrollError::Store(s) => Self::Store(s),
        }
    }
}

/// One profile field of a write: left as it is, cleared, or set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Change {
    /// Not sent: kept (empty on create).
    #[default]
    Keep,
    /// Sent as null or an empty string.
    Clear,
    /// Sent with a value.
    Set(String),
}

/// A user as a create or an update sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserInput {
    /// Required on create; on update, when sent, it must be the user's own.
    pub username: Option<String>,
    /// Given name.
    pub first_name: Change,
    /// Family name.
    pub last_name: Change,
    /// E-mail address.
    pub email: Change,
    /// The partner's own id.
    pub code: Change,
}

impl UserInput {
    /// `profile` with this input's changes, every field checked.
    fn apply(&self, mut profile: Profile, problems: &mut Vec<FieldError>) -> Profile {
        let fields: [(&'static str, &Change, &mut Option<String>); 4] = [
            ("first_name", &self.first_name, &mut profile.first_name),
            ("last_name", &self.last_name, &mut profile.last_name),
            ("email", &self.email, &mut profile.email),
            ("code", &self.code, &mut profile.code),
        ];
        for (field, change, slot) in fields {
            match change {
                Change::Keep => {}
                Change::Clear => *slot = None,
                Change::Set(value) => match check_profile_field(field, value) {
                    Ok(()) => *slot = Some(value.clone()),
                    Err(e) => problems.push(e),
                },
            }
        }
        profile
    }
}

/// Page `page` of a list and how many match.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// How many match over all pages.
    pub total: usize,
    /// The page number.
    pub page: usize,
}

impl<T> Page<T> {
    fn new(listed: Listed<T>, page: usize) -> Self {
        Self {
            items: listed.items,
            total: usize::try_from(listed.total).unwrap_or(usize::MAX),
            page,
        }
    }

    /// The last page number (at least 1).
    pub fn last_page(&self) -> usize {
        self.total.div_ceil(crate::query::PAGE_SIZE).max(1)
    }
}

/// The users and enrollments use cases over a learners' repository `L`.
pub struct LearnerService<L: ?Sized> {
    learners: Arc<L>,
    clock: Arc<dyn Clock>,
}

impl<L: LearnerRepository + ?Sized> LearnerService<L> {
    /// Wires the use cases.
    pub fn new(learners: Arc<L>, clock: Arc<dyn Clock>) -> Self {
        Self { learners, clock }
    }

    /// Creates a user of the caller's tenant.
    ///
    /// # Errors
    /// `Invalid` naming every malformed field (a missing username, a taken username or code).
    pub async fn create_user(&self, actor: &Actor, input: &UserInput) -> Result<Learner, LearnerError> {
        let caller = actor.caller;
        let mut problems = Vec::new();
        let username = match input.username.as_deref() {
            None => {
                problems.push(FieldError::new("username", "is required"));
                String::new()
            }
            Some(name) => {
                if let Err(e) = check_username(name) {
                    problems.push(e);
                }
                name.to_owned()
            }
        };
        let profile = input.apply(Profile::default(), &mut problems);
        if !problems.is_empty() {
            return Err(LearnerError::Invalid(problems));
        }
        let now = self.clock.now();
        // Which user, never a profile's values.
        let event = actor.event(EventType::UserCreated, now, Value::Null);
        let journal = Journal::of(move |user: &Learner| {
            vec![Event {
                data: json!({"user_id": user.id, "username": user.username}),
                ..event.user(user.id)
            }]
        });
        Ok(self
            .learners
            .create_learner(caller.tenant, &username, &profile, now, journal)
            .await?)
    }

    /// Changes the profile of the caller's user `id` (PUT and PATCH alike: what is sent
    /// changes, the rest stays). The username never changes.
    ///
    /// # Errors
    /// `UserNotFound`; `Invalid` naming every malformed field or a different username.
    pub async fn update_user(&self, actor: &Actor, id: UserId, input: &UserInput) -> Result<Learner, LearnerError> {
        let caller = actor.caller;
        let current = self.user(caller, id).await?;
        let mut problems = Vec::new();
        if let Some(name) = input.username.as_deref()
            && name != current.username
        {
            problems.push(FieldError::new(
                "username",
                format!("cannot change (it is {:?})", current.username),
            ));
        }
        let profile = input.apply(current.profile.clone(), &mut problems);
        if !problems.is_empty() {
            return Err(LearnerError::Invalid(problems));
        }
        if profile == current.profile {
            return Ok(current);
        }
        let now = self.clock.now();
        let old = &current.profile;
        let fields: Vec<&str> = [
            ("first_name", old.first_name != profile.first_name),
            ("last_name", old.last_name != profile.last_name),
            ("email", old.email != profile.email),
            ("code", old.code != profile.code),
        ]
        .into_iter()
        .filter_map(|(name, changed)| changed.then_some(name))
        .collect();
        let event = actor
            .event(EventType::UserUpdated, now, json!({"user_id": id, "changed": fields}))
            .user(id);
        let journal = Journal::of(move |_: &Learner| vec![event]);
        Ok(self
            .learners
            .update_learner(caller.tenant, id, &profile, now, journal)
            .await?)
    }

    /// The caller's user `id`.
    ///
    /// # Errors
    /// `UserNotFound`, or `Store`.
    pub async fn user(&self, caller: Caller, id: UserId) -> Result<Learner, LearnerError> {
        self.learners
            .learner(caller.tenant, id)
            .await?
            .ok_or(LearnerError::UserNotFound(id))
    }

    /// Page `page` (50 per page) of the caller's users matching `filter`, by id.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn users(&self, caller: Caller, filter: &UserFilter, page: usize) -> Result<Page<Learner>, StoreError> {
        let listed = self
            .learners
            .list_learners(caller.tenant, filter, crate::query::slice(page))
            .await?;
        Ok(Page::new(listed, page))
    }

    /// Enrolls the caller's user `user` in the caller's activity or path `course`.
    ///
    /// # Errors
    /// `Invalid` for an unknown user or course, `Refused` for a second enrollment.
    pub async fn enroll(&self, actor: &Actor, user: UserId, course: ActivityId) -> Result<Enrollment, LearnerError> {
        let now = self.clock.now();
        let event = actor.event(EventType::EnrollmentCreated, now, Value::Null);
        let journal = Journal::of(move |e: &Enrollment| {
            vec![Event {
                data: json!({"enrollment_id": e.id, "user_id": e.user, "course_id": e.course}),
                ..event.course(e.course).user(e.user).enrollment(e.id)
            }]
        });
        Ok(self
            .learners
            .enroll(actor.caller.tenant, user, course, now, journal)
            .await?)
    }

    /// The caller's enrollment `id`.
    ///
    /// # Errors
    /// `EnrollmentNotFound`, or `Store`.
    pub async fn enrollment(&self, caller: Caller, id: EnrollmentId) -> Result<Enrollment, LearnerError> {
        self.learners
            .enrollment(caller.tenant, id)
            .await?
            .ok_or(LearnerError::EnrollmentNotFound(id))
    }

    /// Page `page` (50 per page) of the caller's enrollments matching `filter`, by id.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn enrollments(
        &self,
        caller: Caller,
        filter: &EnrollmentFilter,
        page: usize,
    ) -> Result<Page<Enrollment>, StoreError> {
        let listed = self
            .learners
            .list_enrollments(caller.tenant, filter, crate::query::slice(page))
            .await?;
        Ok(Page::new(listed, page))
    }

    /// Removes the caller's enrollment `id` with its attempts.
    ///
    /// # Errors
    /// `EnrollmentNotFound`, or `Store`.
    pub async fn unenroll(&self, actor: &Actor, id: EnrollmentId) -> Result<(), LearnerError> {
        let event = actor.event(EventType::EnrollmentDeleted, self.clock.now(), Value::Null);
        // What it held stays readable in the log after the enrollment is gone.
        let journal = Journal::of(move |e: &Enrollment| {
            vec![Event {
                data: json!({
                    "enrollment_id": e.id, "user_id": e.user, "course_id": e.course,
                    "status": e.status.as_str(), "success": e.success.as_str(),
                    "score": e.score, "attempts": e.attempts,
                    "total_time_seconds": e.total_time_seconds,
                }),
                ..event.course(e.course).user(e.user).enrollment(e.id)
            }]
        });
        if !self.learners.unenroll(actor.caller.tenant, id, journal).await? {
            return Err(LearnerError::EnrollmentNotFound(id));
        }
        Ok(())
    }

    /// The repository, for the player.
    pub fn repository(&self) -> &Arc<L> {
        &self.learners
    }
}
