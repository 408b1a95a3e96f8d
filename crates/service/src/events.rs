//! The event log as the use cases see it: who made a change ([`Actor`]), the events a write
//! appends in its own transaction (built here, appended by the store through a
//! [`Journal`](curricula_ports::Journal)), and the two readers a caller queries: the audit
//! trail (`GET /api/v2/audit_events`) and the change feed (`GET /api/v2/events`).

use crate::auth::Caller;
use chrono::{DateTime, Utc};
use curricula_domain::ActivityKind;
use curricula_domain::learner::{EnrollmentStatus, Success};
use curricula_ports::{
    AuditFilter, AuditPage, Event, EventLog, EventType, FeedFilter, FeedPage, FeedPosition, StatusChange, StoreError,
};
use serde_json::Value;
use std::sync::Arc;

/// Who made a write: the authenticated caller, the origin its key is bound to, and the
/// request's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// Tenant and key.
    pub caller: Caller,
    /// The key's origin (the upload API's `origin`), when it has one.
    pub origin: Option<String>,
    /// The request's id, as in the logs and the `x-request-id` header.
    pub request_id: Option<String>,
}

impl From<Caller> for Actor {
    fn from(caller: Caller) -> Self {
        Self {
            caller,
            origin: None,
            request_id: None,
        }
    }
}

impl Actor {
    /// An event of `kind` made by this actor at `at`, carrying `data`.
    pub fn event(&self, kind: EventType, at: DateTime<Utc>, data: Value) -> Event {
        Event {
            api_key: Some(self.caller.key),
            origin: self.origin.clone(),
            request_id: self.request_id.clone(),
            data,
            ..Event::new(kind, self.caller.tenant, at)
        }
    }
}

/// The events of a learner's progress: `enrollment.started`, `.completed`, `.passed`,
/// `.failed` as the enrollment first reaches each, and `path.completed` when a path
/// enrollment completes. Made by the learner (no key).
pub fn progress_events(change: &StatusChange, at: DateTime<Utc>) -> Vec<Event> {
    let (before, after) = (&change.before, &change.after);
    let mut kinds = Vec::new();
    if before.status == EnrollmentStatus::NotStarted && after.status != EnrollmentStatus::NotStarted {
        kinds.push(EventType::EnrollmentStarted);
    }
    if before.status != EnrollmentStatus::Completed && after.status == EnrollmentStatus::Completed {
        kinds.push(EventType::EnrollmentCompleted);
        if after.kind == ActivityKind::Course {
            kinds.push(EventType::PathCompleted);
        }
    }
    if before.success != after.success {
        match after.success {
            Success::Passed => kinds.push(EventType::EnrollmentPassed),
            Success::Failed => kinds.push(EventType::EnrollmentFailed),
            Success::Unknown => {}
        }
    }
    let data = serde_json::json!({
        "enrollment_id": after.id, "user_id": after.user, "course_id": after.course,
        "status": after.status.as_str(), "success": after.success.as_str(), "score": after.score,
        "before": { "status": before.status.as_str(), "success": before.success.as_str(), "score": before.score },
    });
    kinds
        .into_iter()
        .map(|kind| Event {
            data: data.clone(),
            ..Event::new(kind, after.tenant, at)
                .course(after.course)
                .user(after.user)
                .enrollment(after.id)
        })
        .collect()
}

/// The most events one feed read answers.
pub const FEED_MAX_LIMIT: u64 = 1_000;

/// The readers of the event log. Cheap to clone.
#[derive(Clone)]
pub struct EventReader {
    log: Arc<dyn EventLog>,
}

impl EventReader {
    /// Reads `log`.
    pub fn new(log: Arc<dyn EventLog>) -> Self {
        Self { log }
    }

    /// The caller's audited events matching `filter`, page `page` of 50, newest first.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn audit(
        &self,
        caller: Caller,
        filter: &AuditFilter,
        page: usize,
    ) -> Result<(AuditPage, usize), StoreError> {
        let events = self.log.audit(caller.tenant, filter, crate::query::slice(page)).await?;
        Ok((events, page))
    }

    /// The caller's events after `after` matching `filter`, oldest first, at most `limit`
    /// (1 to [`FEED_MAX_LIMIT`]), and the cursor of the next read.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn feed(
        &self,
        caller: Caller,
        after: FeedPosition,
        filter: &FeedFilter,
        limit: u64,
    ) -> Result<FeedPage, StoreError> {
        self.log
            .feed(caller.tenant, after, filter, limit.clamp(1, FEED_MAX_LIMIT))
            .await
    }

    /// The id of the latest event over all tenants, for metrics.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn last_event_id(&self) -> Result<i64, StoreError> {
        self.log.last_event_id().await
    }
}

/// `{"before": …, "after": …}` of two serialisable states.
pub fn before_after<T: serde::Serialize>(before: Option<&T>, after: Option<&T>) -> Value {
    let json = |v: Option<&T>| v.map_or(Value::Null, |v| serde_json::to_value(v).unwrap_or(Value::Null));
    serde_json::json!({ "before": json(before), "after": json(after) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use curricula_domain::{ApiKeyId, TenantId};
    use curricula_ports::MockEventLog;

    fn actor() -> Actor {
        Actor {
            caller: Caller {
                tenant: TenantId(3),
                key: ApiKeyId(7),
            },
            origin: Some("skoli.istak.is".into()),
            request_id: Some("abc".into()),
        }
    }

    #[test]
    fn an_event_carries_who_what_and_when_but_no_key() {
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap();
        let e = actor().event(EventType::RecordUpdated, at, serde_json::json!({"after": 2}));
        assert_eq!(
            (e.tenant, e.api_key, e.origin.as_deref(), e.request_id.as_deref(), e.at),
            (TenantId(3), Some(ApiKeyId(7)), Some("skoli.istak.is"), Some("abc"), at)
        );
        assert_eq!(e.kind.audit_action(), Some("curriculum_activity.update"));
        assert!(!e.data.to_string().contains("key"));
    }

    fn enrollment(kind: ActivityKind, status: EnrollmentStatus, success: Success) -> curricula_ports::Enrollment {
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap();
        curricula_ports::Enrollment {
            id: curricula_domain::EnrollmentId(5),
            tenant: TenantId(3),
            user: curricula_domain::UserId(8),
            course: curricula_domain::ActivityId(13),
            kind,
            status,
            success,
            score: None,
            attempts: 1,
            total_time_seconds: 0.0,
            language: None,
            enrolled_at: at,
            started_at: None,
            completed_at: None,
            updated_at: at,
        }
    }

    #[test]
    fn progress_events_name_each_first_reach_once() {
        use EnrollmentStatus::*;
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap();
        let kinds = |kind, from: (EnrollmentStatus, Success), to: (EnrollmentStatus, Success)| {
            let change = StatusChange {
                before: enrollment(kind, from.0, from.1),
                after: enrollment(kind, to.0, to.1),
            };
            progress_events(&change, at)
                .into_iter()
                .map(|e| e.kind)
                .collect::<Vec<_>>()
        };
        let scorm = ActivityKind::Scorm;
        assert_eq!(
            kinds(scorm, (NotStarted, Success::Unknown), (NotStarted, Success::Unknown)),
            []
        );
        assert_eq!(
            kinds(scorm, (NotStarted, Success::Unknown), (InProgress, Success::Unknown)),
            [EventType::EnrollmentStarted]
        );
        assert_eq!(
            kinds(scorm, (InProgress, Success::Unknown), (Completed, Success::Passed)),
            [EventType::EnrollmentCompleted, EventType::EnrollmentPassed]
        );
        assert_eq!(
            kinds(scorm, (Completed, Success::Failed), (Completed, Success::Failed)),
            [],
            "nothing new"
        );
        assert_eq!(
            kinds(
                ActivityKind::Course,
                (NotStarted, Success::Unknown),
                (Completed, Success::Unknown)
            ),
            [
                EventType::EnrollmentStarted,
                EventType::EnrollmentCompleted,
                EventType::PathCompleted
            ]
        );
        let change = StatusChange {
            before: enrollment(scorm, InProgress, Success::Unknown),
            after: enrollment(scorm, InProgress, Success::Failed),
        };
        let events = progress_events(&change, at);
        assert_eq!(
            (
                events[0].kind,
                events[0].api_key,
                events[0].user,
                events[0].data["before"]["success"].as_str()
            ),
            (
                EventType::EnrollmentFailed,
                None,
                Some(curricula_domain::UserId(8)),
                Some("unknown")
            )
        );
    }

    #[tokio::test]
    async fn a_page_is_asked_of_the_log_with_its_filter() {
        let mut log = MockEventLog::new();
        log.expect_audit()
            .withf(|tenant, filter, slice| {
                *tenant == TenantId(3)
                    && filter.kind == Some(EventType::PackageReplaced)
                    && (slice.offset, slice.limit) == (50, 50)
            })
            .returning(|_, _, _| Ok(AuditPage::default()));
        let reader = EventReader::new(Arc::new(log));
        let filter = AuditFilter {
            kind: EventType::from_audit_action("package.replace"),
            ..AuditFilter::default()
        };
        assert_eq!(reader.audit(actor().caller, &filter, 2).await.unwrap().1, 2);
    }

    #[tokio::test]
    async fn a_feed_read_is_bounded() {
        let mut log = MockEventLog::new();
        log.expect_feed()
            .withf(|_, after, _, limit| *after == FeedPosition { tx: 5, id: 9 } && *limit == FEED_MAX_LIMIT)
            .returning(|_, after, _, _| {
                Ok(FeedPage {
                    events: Vec::new(),
                    next: after,
                })
            });
        let reader = EventReader::new(Arc::new(log));
        let page = reader
            .feed(
                actor().caller,
                FeedPosition { tx: 5, id: 9 },
                &FeedFilter::default(),
                1_000_000,
            )
            .await
            .unwrap();
        assert_eq!(page.next, FeedPosition { tx: 5, id: 9 });
    }
}
