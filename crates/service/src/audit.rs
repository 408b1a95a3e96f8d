//! The audit trail: who changed what, through which key, for every successful write of both
//! APIs, and the `GET /api/v2/audit_events` query over it.
//!
//! An event is recorded right after its write committed, in a task of its own (a client that
//! goes away cannot cancel it). A failure to record is logged at error level and counted
//! (`curricula_audit_write_failures_total`), but does not turn the write, which has happened, into an
//! error (see docs/API.md, "Audit trail").

use crate::auth::Caller;
use curricula_domain::{ActivityId, RecordId};
use curricula_ports::{AuditEvent, AuditFilter, AuditLog, AuditPage, Clock, StoreError};
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

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

/// The actions the trail records.
pub mod action {
    /// `POST /api/activityupload/new`.
    pub const ACTIVITY_CREATE: &str = "activity.create";
    /// `POST /api/activityupload/addlanguage`.
    pub const LANGUAGE_ADD: &str = "language_version.create";
    /// `POST /api/activityupload/replace` that stored a new revision.
    pub const PACKAGE_REPLACE: &str = "package.replace";
    /// `POST /api/activityupload/rollback` that changed the current revision.
    pub const PACKAGE_ROLLBACK: &str = "package.rollback";
    /// v2 create.
    pub const RECORD_CREATE: &str = "curriculum_activity.create";
    /// v2 update.
    pub const RECORD_UPDATE: &str = "curriculum_activity.update";
    /// v2 update_position.
    pub const RECORD_MOVE: &str = "curriculum_activity.update_position";
    /// v2 destroy.
    pub const RECORD_DESTROY: &str = "curriculum_activity.destroy";
    /// v2 user create.
    pub const USER_CREATE: &str = "user.create";
    /// v2 user update (PUT or PATCH that changed something).
    pub const USER_UPDATE: &str = "user.update";
    /// v2 enrollment create.
    pub const ENROLLMENT_CREATE: &str = "enrollment.create";
    /// v2 enrollment destroy (unenroll).
    pub const ENROLLMENT_DESTROY: &str = "enrollment.destroy";
    /// Every action, for validating filters.
    pub const ALL: [&str; 12] = [
        ACTIVITY_CREATE,
        LANGUAGE_ADD,
        PACKAGE_REPLACE,
        PACKAGE_ROLLBACK,
        RECORD_CREATE,
        RECORD_UPDATE,
        RECORD_MOVE,
        RECORD_DESTROY,
        USER_CREATE,
        USER_UPDATE,
        ENROLLMENT_CREATE,
        ENROLLMENT_DESTROY,
    ];
}

/// What one write did, to be recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// One of [`action`].
    pub action: &'static str,
    /// The activity it concerns.
    pub activity: Option<ActivityId>,
    /// The curriculum record it concerns.
    pub record: Option<RecordId>,
    /// What changed (JSON object).
    pub changes: Value,
}

/// `entry` as done by `actor` at `at`.
fn event(actor: &Actor, entry: Entry, at: chrono::DateTime<chrono::Utc>) -> AuditEvent {
    AuditEvent {
        id: 0,
        tenant: actor.caller.tenant,
        api_key: Some(actor.caller.key),
        origin: actor.origin.clone(),
        action: entry.action.to_owned(),
        activity: entry.activity,
        record: entry.record,
        changes: entry.changes,
        request_id: actor.request_id.clone(),
        at,
    }
}

/// Records and lists audit events. Cheap to clone.
#[derive(Clone)]
pub struct AuditTrail {
    log: Option<Arc<dyn AuditLog>>,
    clock: Arc<dyn Clock>,
    failures: Arc<AtomicU64>,
}

impl AuditTrail {
    /// A trail kept in `log`.
    pub fn new(log: Arc<dyn AuditLog>, clock: Arc<dyn Clock>) -> Self {
        Self {
            log: Some(log),
            clock,
            failures: Arc::default(),
        }
    }

    /// A trail that keeps nothing (for use cases tested without one).
    pub fn disabled(clock: Arc<dyn Clock>) -> Self {
        Self {
            log: None,
            clock,
            failures: Arc::default(),
        }
    }

    /// How many events could not be recorded since start.
    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    /// Records `entry` as done by `actor` now. Never fails: a failure is logged and counted.
    pub async fn record(&self, actor: &Actor, entry: Entry) {
        let Some(log) = &self.log else { return };
        let action = entry.action;
        let event = event(actor, entry, self.clock.now());
        // In a task of its own: a client that goes away cannot cancel the record of a write
        // that happened.
        let (log, failures) = (Arc::clone(log), Arc::clone(&self.failures));
        let task = tokio::spawn(async move {
            if let Err(e) = log.record(event).await {
                failures.fetch_add(1, Ordering::Relaxed);
                tracing::error!(action, error = %e, "the audit event of a successful write could not be recorded");
            }
        });
        if task.await.is_err() {
            self.failures.fetch_add(1, Ordering::Relaxed);
            tracing::error!(action, "recording an audit event panicked");
        }
    }

    /// Records `entries`, in order, as done by `actor` now, together (all or none). Never
    /// fails: a failure is logged and counted once per entry.
    pub async fn record_all(&self, actor: &Actor, entries: Vec<Entry>) {
        let Some(log) = &self.log else { return };
        if entries.is_empty() {
            return;
        }
        let at = self.clock.now();
        let count = entries.len() as u64;
        let events: Vec<AuditEvent> = entries.into_iter().map(|entry| event(actor, entry, at)).collect();
        let (log, failures) = (Arc::clone(log), Arc::clone(&self.failures));
        let task = tokio::spawn(async move {
            if let Err(e) = log.record_all(events).await {
                failures.fetch_add(count, Ordering::Relaxed);
                tracing::error!(events = count, error = %e, "the audit events of a successful write could not be recorded");
            }
        });
        if task.await.is_err() {
            self.failures.fetch_add(count, Ordering::Relaxed);
            tracing::error!("recording audit events panicked");
        }
    }

    /// The caller's events matching `filter`, page `page` of 50, newest first (an empty page
    /// when the trail is disabled).
    ///
    /// # Errors
    /// When the store fails.
    pub async fn list(
        &self,
        caller: Caller,
        filter: &AuditFilter,
        page: usize,
    ) -> Result<(AuditPage, usize), StoreError> {
        let Some(log) = &self.log else {
            return Ok((AuditPage::default(), page));
        };
        let slice = crate::query::slice(page);
        let events = log.events(caller.tenant, filter, slice.offset, slice.limit).await?;
        Ok((events, page))
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
    use chrono::{DateTime, TimeZone, Utc};
    use curricula_domain::{ApiKeyId, TenantId};
    use curricula_ports::{MockAuditLog, StoreError};

    struct Fixed;
    impl Clock for Fixed {
        fn now(&self) -> DateTime<Utc> {
            Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap()
        }
    }

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

    fn entry() -> Entry {
        Entry {
            action: action::RECORD_UPDATE,
            activity: None,
            record: Some(RecordId(20)),
            changes: serde_json::json!({ "before": 1, "after": 2 }),
        }
    }

    #[tokio::test]
    async fn an_event_carries_who_what_and_when_but_no_key() {
        let mut log = MockAuditLog::new();
        log.expect_record()
            .withf(|e| {
                e.tenant == TenantId(3)
                    && e.api_key == Some(ApiKeyId(7))
                    && e.origin.as_deref() == Some("skoli.istak.is")
                    && e.action == "curriculum_activity.update"
                    && e.record == Some(RecordId(20))
                    && e.request_id.as_deref() == Some("abc")
                    && e.at == Fixed.now()
            })
            .times(1)
            .returning(|_| Ok(()));
        let trail = AuditTrail::new(Arc::new(log), Arc::new(Fixed));
        trail.record(&actor(), entry()).await;
        assert_eq!(trail.failures(), 0);
    }

    #[tokio::test]
    async fn a_failed_record_is_counted_not_returned() {
        let mut log = MockAuditLog::new();
        log.expect_record()
            .returning(|_| Err(StoreError::Unavailable("down".into())));
        let trail = AuditTrail::new(Arc::new(log), Arc::new(Fixed));
        trail.record(&actor(), entry()).await;
        assert_eq!(trail.failures(), 1);
    }

    #[tokio::test]
    async fn a_page_is_asked_of_the_log_with_its_filter() {
        let mut log = MockAuditLog::new();
        log.expect_events()
            .withf(|tenant, filter, offset, limit| {
                *tenant == TenantId(3)
                    && filter.action.as_deref() == Some("package.replace")
                    && (*offset, *limit) == (50, 50)
            })
            .returning(|_, _, _, _| Ok(AuditPage::default()));
        let trail = AuditTrail::new(Arc::new(log), Arc::new(Fixed));
        let filter = AuditFilter {
            action: Some("package.replace".into()),
            ..AuditFilter::default()
        };
        assert_eq!(trail.list(actor().caller, &filter, 2).await.unwrap().1, 2);
    }
}
