//! The audit trail: who changed what, through which key, for every successful write of both
//! APIs, and the `GET /api/v2/audit_events` query over it.
//!
//! An event is recorded right after its write committed, in a task of its own (a client that
//! goes away cannot cancel it). A failure to record is logged at error level and counted
//! (`curricula_audit_write_failures_total`), but does not turn the write, which has happened, into an
//! error (see docs/API.md, "Audit trail").

use crate::auth::Caller;
use crate::query::{PAGE_SIZE, filters, page, range};
use crate::v2_error::V2Error;
use curricula_domain::{ActivityId, ApiKeyId, RecordId};
use curricula_ports::{AuditEvent, AuditFilter, AuditLog, AuditPage, Clock};
use serde_json::{Map, Value};
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
    /// Every action, for validating filters.
    pub const ALL: [&str; 8] = [
        ACTIVITY_CREATE,
        LANGUAGE_ADD,
        PACKAGE_REPLACE,
        PACKAGE_ROLLBACK,
        RECORD_CREATE,
        RECORD_UPDATE,
        RECORD_MOVE,
        RECORD_DESTROY,
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

/// Filterable attributes (`audit_event[...]`).
const FILTERS: [&str; 5] = [
    "created_at",
    "action",
    "activity_id",
    "curriculum_activity_id",
    "api_key_id",
];

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
        let event = AuditEvent {
            id: 0,
            tenant: actor.caller.tenant,
            api_key: Some(actor.caller.key),
            origin: actor.origin.clone(),
            action: entry.action.to_owned(),
            activity: entry.activity,
            record: entry.record,
            changes: entry.changes,
            request_id: actor.request_id.clone(),
            at: self.clock.now(),
        };
        // In a task of its own: a client that goes away cannot cancel the record of a write
        // that happened.
        let (log, failures, action) = (Arc::clone(log), Arc::clone(&self.failures), entry.action);
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

    /// The caller's events, filtered by `audit_event[...]`, 50 per `page`, newest first.
    ///
    /// # Errors
    /// 422 for an unknown parameter or a malformed filter.
    pub async fn list(&self, caller: Caller, params: &Map<String, Value>) -> Result<(AuditPage, usize), V2Error> {
        let mut problems = Vec::new();
        for key in params.keys() {
            if !matches!(key.as_str(), "api_key" | "page" | "audit_event" | "format") {
                problems.push(format!("{key} is not a known parameter"));
            }
        }
        let mut filter = AuditFilter::default();
        for (key, value) in filters(params, "audit_event", &FILTERS, &mut problems) {
            let value = value.trim();
            let id = |problems: &mut Vec<String>| match value.parse::<i64>() {
                Ok(id) if id > 0 => Some(id),
                _ => {
                    problems.push(format!("audit_event[{key}] {value:?} is not a positive integer"));
                    None
                }
            };
            match key.as_str() {
                "created_at" => match range(value) {
                    Ok((since, until)) => {
                        filter.since = Some(since);
                        filter.until = Some(until);
                    }
                    Err(e) => problems.push(format!("audit_event[created_at] {e}")),
                },
                "action" if action::ALL.contains(&value) => filter.action = Some(value.to_owned()),
                "action" => problems.push(format!(
                    "audit_event[action] {value:?} is not an action; actions are {}",
                    action::ALL.join(", ")
                )),
                "activity_id" => filter.activity = id(&mut problems).map(ActivityId),
                "curriculum_activity_id" => filter.record = id(&mut problems).map(RecordId),
                _ => filter.api_key = id(&mut problems).map(ApiKeyId),
            }
        }
        let page = page(params, &mut problems);
        if !problems.is_empty() {
            return Err(V2Error::Unprocessable(problems));
        }
        let Some(log) = &self.log else {
            return Ok((AuditPage::default(), page));
        };
        let offset = (page as u64 - 1).saturating_mul(PAGE_SIZE as u64);
        let events = log.events(caller.tenant, &filter, offset, PAGE_SIZE as u64).await?;
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
    use curricula_domain::TenantId;
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
    async fn filters_are_parsed_and_bad_ones_named() {
        let mut log = MockAuditLog::new();
        log.expect_events()
            .withf(|tenant, filter, offset, limit| {
                *tenant == TenantId(3)
                    && filter.action.as_deref() == Some("package.replace")
                    && filter.activity == Some(ActivityId(5))
                    && filter.since.is_some()
                    && filter.until.is_some()
                    && (*offset, *limit) == (50, 50)
            })
            .returning(|_, _, _, _| Ok(AuditPage::default()));
        let trail = AuditTrail::new(Arc::new(log), Arc::new(Fixed));
        let params = |v: serde_json::Value| v.as_object().unwrap().clone();
        let ok = params(serde_json::json!({
            "page": "2",
            "audit_event": { "action": "package.replace", "activity_id": "5", "created_at": "2026-11-01,2026-11-30" }
        }));
        assert_eq!(trail.list(actor().caller, &ok).await.unwrap().1, 2);
        let bad = params(serde_json::json!({
            "audit_event": { "action": "nope", "activity_id": "x", "created_at": "soon" },
            "sort": "id"
        }));
        let Err(V2Error::Unprocessable(problems)) = trail.list(actor().caller, &bad).await else {
            panic!("a 422")
        };
        assert_eq!(problems.len(), 4, "{problems:?}");
    }
}
