//! The event log: every change appends its event in the change's own transaction. Three
//! readers: the audit trail, the change feed and the webhooks.

use crate::error::StoreError;
use crate::query::Slice;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use curricula_domain::{ActivityId, ApiKeyId, EnrollmentId, RecordId, TenantId, UserId};
use std::fmt;

macro_rules! event_types {
    ($($(#[$doc:meta])* $variant:ident = $name:literal $(audited as $action:literal)?,)*) => {
        /// What an event says happened.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum EventType {
            $($(#[$doc])* $variant,)*
        }

        impl EventType {
            /// Every type, in the order of the docs.
            pub const ALL: &'static [EventType] = &[$(EventType::$variant,)*];

            /// Its name on the wire, e.g. `curriculum_activity.moved`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(EventType::$variant => $name,)*
                }
            }

            /// The type named `name`, if there is one.
            pub fn parse(name: &str) -> Option<Self> {
                match name {
                    $($name => Some(EventType::$variant),)*
                    _ => None,
                }
            }

            /// The audit trail's name of the action, for the types the trail shows (the
            /// writes made through an API key).
            pub fn audit_action(self) -> Option<&'static str> {
                match self {
                    $($(EventType::$variant => Some($action),)?)*
                    #[allow(unreachable_patterns)]
                    _ => None,
                }
            }

            /// The type the audit trail names `action`, if any.
            pub fn from_audit_action(action: &str) -> Option<Self> {
                match action {
                    $($($action => Some(EventType::$variant),)?)*
                    _ => None,
                }
            }
        }
    };
}

event_types! {
    /// `POST /api/activityupload/new`.
    ActivityCreated = "activity.created" audited as "activity.create",
    /// `POST /api/activityupload/addlanguage`.
    LanguageVersionAdded = "language_version.added" audited as "language_version.create",
    /// `POST /api/activityupload/replace` that stored a new revision.
    PackageReplaced = "package.replaced" audited as "package.replace",
    /// `POST /api/activityupload/rollback` that changed the current revision.
    PackageRolledBack = "package.rolled_back" audited as "package.rollback",
    /// A section or entry created (v2 create, or a whole-path PUT).
    RecordCreated = "curriculum_activity.created" audited as "curriculum_activity.create",
    /// A section's or entry's settings changed.
    RecordUpdated = "curriculum_activity.updated" audited as "curriculum_activity.update",
    /// A section or entry moved.
    RecordMoved = "curriculum_activity.moved" audited as "curriculum_activity.update_position",
    /// A section (with its entries) or entry destroyed.
    RecordDestroyed = "curriculum_activity.destroyed" audited as "curriculum_activity.destroy",
    /// A user created.
    UserCreated = "user.created" audited as "user.create",
    /// A user's profile changed.
    UserUpdated = "user.updated" audited as "user.update",
    /// A user enrolled.
    EnrollmentCreated = "enrollment.created" audited as "enrollment.create",
    /// An enrollment left `not attempted`.
    EnrollmentStarted = "enrollment.started",
    /// An enrollment became `completed`.
    EnrollmentCompleted = "enrollment.completed",
    /// An enrollment's success became `passed`.
    EnrollmentPassed = "enrollment.passed",
    /// An enrollment's success became `failed`.
    EnrollmentFailed = "enrollment.failed",
    /// An enrollment removed (unenroll).
    EnrollmentDeleted = "enrollment.deleted" audited as "enrollment.destroy",
    /// A path enrollment completed by its rules.
    PathCompleted = "path.completed",
    /// An asynchronous import finished (succeeded or failed).
    ImportFinished = "import.finished",
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An event as appended: what happened, to what, by whom, when.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// What happened.
    pub kind: EventType,
    /// The tenant it happened in.
    pub tenant: TenantId,
    /// When.
    pub at: DateTime<Utc>,
    /// The activity or path concerned, if any.
    pub course: Option<ActivityId>,
    /// The curriculum record concerned, if any.
    pub record: Option<RecordId>,
    /// The user concerned, if any.
    pub user: Option<UserId>,
    /// The enrollment concerned, if any.
    pub enrollment: Option<EnrollmentId>,
    /// The API key that made the change (none for a learner's own progress).
    pub api_key: Option<ApiKeyId>,
    /// The origin the key is bound to, when it is.
    pub origin: Option<String>,
    /// The request's id (`x-request-id`), to find its log lines.
    pub request_id: Option<String>,
    /// The record after the change (and `before` for an update), as the audit trail shows it.
    pub data: serde_json::Value,
}

impl Event {
    /// An event of `kind` in `tenant` at `at`, about nothing yet and by nobody.
    pub fn new(kind: EventType, tenant: TenantId, at: DateTime<Utc>) -> Self {
        Self {
            kind,
            tenant,
            at,
            course: None,
            record: None,
            user: None,
            enrollment: None,
            api_key: None,
            origin: None,
            request_id: None,
            data: serde_json::Value::Null,
        }
    }

    /// About activity or path `id`.
    #[must_use]
    pub fn course(mut self, id: ActivityId) -> Self {
        self.course = Some(id);
        self
    }

    /// About curriculum record `id`.
    #[must_use]
    pub fn record(mut self, id: RecordId) -> Self {
        self.record = Some(id);
        self
    }

    /// About user `id`.
    #[must_use]
    pub fn user(mut self, id: UserId) -> Self {
        self.user = Some(id);
        self
    }

    /// About enrollment `id`.
    #[must_use]
    pub fn enrollment(mut self, id: EnrollmentId) -> Self {
        self.enrollment = Some(id);
        self
    }
}

/// A place in the change feed: events are read in `(tx, id)` order. On SQLite `tx` is always
/// 0; on Postgres it is the id of the transaction that appended the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FeedPosition {
    /// The appending transaction's id (0 on SQLite).
    pub tx: i64,
    /// The event's id.
    pub id: i64,
}

impl FeedPosition {
    /// The start of the feed, before every event.
    pub const START: Self = Self { tx: 0, id: 0 };
}

impl fmt::Display for FeedPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.tx, self.id)
    }
}

impl std::str::FromStr for FeedPosition {
    type Err = ();

    /// `TX.ID` as [`fmt::Display`] writes it, both non-negative.
    fn from_str(s: &str) -> Result<Self, ()> {
        let (tx, id) = s.split_once('.').ok_or(())?;
        let number = |s: &str| {
            if s.is_empty() || s.len() > 19 || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(());
            }
            s.parse::<i64>().map_err(drop)
        };
        Ok(Self {
            tx: number(tx)?,
            id: number(id)?,
        })
    }
}

/// An event as the log keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedEvent {
    /// Its id: unique, growing with time (on Postgres, not always in commit order).
    pub id: i64,
    /// Its place in the feed.
    pub position: FeedPosition,
    /// The event.
    pub event: Event,
}

/// Which events the feed answers; every field that is set must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedFilter {
    /// Of these types (any when empty).
    pub types: Vec<EventType>,
    /// About this activity or path.
    pub course: Option<ActivityId>,
    /// About this user.
    pub user: Option<UserId>,
}

/// A page of the feed and where the next one starts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedPage {
    /// The events, in feed order.
    pub events: Vec<LoggedEvent>,
    /// Where the next read starts: the last event's position, or the one asked for when
    /// there is none.
    pub next: FeedPosition,
}

/// What a write appends in its own transaction: a pure function of what the write did (a
/// created record's id, say), called inside that transaction. Empty by default.
pub struct Journal<T: ?Sized>(Option<EventsOf<T>>);

/// What makes a write's events of its outcome.
type EventsOf<T> = Box<dyn FnOnce(&T) -> Vec<Event> + Send>;

impl<T: ?Sized> Journal<T> {
    /// Appends nothing.
    pub fn none() -> Self {
        Self(None)
    }

    /// Appends what `events` makes of the write's outcome.
    pub fn of(events: impl FnOnce(&T) -> Vec<Event> + Send + 'static) -> Self {
        Self(Some(Box::new(events)))
    }

    /// The events to append for `outcome`.
    pub fn events(self, outcome: &T) -> Vec<Event> {
        self.0.map(|f| f(outcome)).unwrap_or_default()
    }
}

impl<T: ?Sized> Default for Journal<T> {
    fn default() -> Self {
        Self::none()
    }
}

impl<T: ?Sized> fmt::Debug for Journal<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "Journal(..)"
        } else {
            "Journal(none)"
        })
    }
}

/// One audited write, as the audit trail lists it (an event of a type with an
/// [`EventType::audit_action`]).
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    /// The event's id.
    pub id: i64,
    /// The tenant written to.
    pub tenant: TenantId,
    /// The API key that made the write.
    pub api_key: Option<ApiKeyId>,
    /// The origin the key is bound to, when it is.
    pub origin: Option<String>,
    /// What was done, e.g. `activity.create`.
    pub action: String,
    /// The activity written to or created, if any.
    pub activity: Option<ActivityId>,
    /// The curriculum record written to, if any.
    pub record: Option<RecordId>,
    /// What changed: JSON, with `before`/`after` for updates and moves.
    pub changes: serde_json::Value,
    /// The request's id (`x-request-id`), to find its log lines.
    pub request_id: Option<String>,
    /// When the write happened.
    pub at: DateTime<Utc>,
}

impl AuditEvent {
    /// The audit trail's view of `logged`; `None` for a type the trail does not show.
    pub fn of(logged: LoggedEvent) -> Option<Self> {
        let e = logged.event;
        Some(Self {
            id: logged.id,
            tenant: e.tenant,
            api_key: e.api_key,
            origin: e.origin,
            action: e.kind.audit_action()?.to_owned(),
            activity: e.course,
            record: e.record,
            changes: e.data,
            request_id: e.request_id,
            at: e.at,
        })
    }
}

/// Which audited events to list; every field that is set must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// At or after this time.
    pub since: Option<DateTime<Utc>>,
    /// At or before this time.
    pub until: Option<DateTime<Utc>>,
    /// Of this type (one with an audit action).
    pub kind: Option<EventType>,
    /// About this activity.
    pub activity: Option<ActivityId>,
    /// About this curriculum record.
    pub record: Option<RecordId>,
    /// Made with this key.
    pub api_key: Option<ApiKeyId>,
}

/// One page of audited events and how many match in all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditPage {
    /// The events, newest first.
    pub events: Vec<AuditEvent>,
    /// How many events match the filter.
    pub total: u64,
}

/// The event log.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait EventLog: Send + Sync {
    /// Appends `events`, in order, in one transaction of their own (for what has no other
    /// write, such as a finished import).
    ///
    /// # Errors
    /// MUST return `Err` only when the store fails.
    async fn append(&self, events: Vec<Event>) -> Result<(), StoreError>;

    /// The tenant's events after `after` matching `filter`, in feed order, at most `limit`.
    /// MUST never answer an event when one before it in feed order may still commit: a reader
    /// that polls with `next` sees every event once.
    ///
    /// # Errors
    /// MUST return `Err` only when the store fails.
    async fn feed(
        &self,
        tenant: TenantId,
        after: FeedPosition,
        filter: &FeedFilter,
        limit: u64,
    ) -> Result<FeedPage, StoreError>;

    /// The tenant's audited events matching `filter`, newest first, sliced.
    ///
    /// # Errors
    /// MUST return `Err` only when the store fails.
    async fn audit(&self, tenant: TenantId, filter: &AuditFilter, slice: Slice) -> Result<AuditPage, StoreError>;

    /// The id of the latest event appended, over all tenants (0 when none): a figure for
    /// metrics.
    ///
    /// # Errors
    /// MUST return `Err` only when the store fails.
    async fn last_event_id(&self) -> Result<i64, StoreError>;
}
