//! The contract every [`AuditLog`] must pass, written once.

use crate::*;
use chrono::{Duration, TimeZone, Utc};
use curricula_domain::*;

fn event(tenant: TenantId, n: i64, action: &str) -> AuditEvent {
    AuditEvent {
        id: 0,
        tenant,
        api_key: Some(ApiKeyId(n % 2 + 1)),
        origin: Some("skoli.istak.is".into()),
        action: action.into(),
        activity: Some(ActivityId(100 + n % 3)),
        record: (n % 2 == 0).then_some(RecordId(n)),
        changes: serde_json::json!({ "before": { "name": "a" }, "after": { "name": format!("b{n}") } }),
        request_id: Some(format!("req-{n}")),
        at: Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap() + Duration::minutes(n),
    }
}

/// Events round-trip, are listed newest first per tenant, filter on every field, and page.
pub async fn audit_events<S: AuditLog + TenantDirectory + ?Sized>(store: &S) {
    let code = |c: &str| LanguageCode::parse("language", c).unwrap();
    let t = store.create_tenant("Audited", &code("en-GB"), &[]).await.unwrap().id;
    let other = store.create_tenant("Elsewhere", &code("en-GB"), &[]).await.unwrap().id;
    for n in 0..4 {
        store.record(event(t, n, "activity.create")).await.unwrap();
    }
    // The rest in one batch, stored in order.
    let batch = (4..7).map(|n| event(t, n, "curriculum_activity.update")).collect();
    store.record_all(batch).await.unwrap();
    store.record_all(Vec::new()).await.unwrap();
    store.record(event(other, 99, "activity.create")).await.unwrap();

    let all = store.events(t, &AuditFilter::default(), 0, 50).await.unwrap();
    assert_eq!(all.total, 7);
    let requests: Vec<_> = all.events.iter().filter_map(|e| e.request_id.clone()).collect();
    assert_eq!(
        requests,
        ["req-6", "req-5", "req-4", "req-3", "req-2", "req-1", "req-0"]
    );
    let mut stored = all.events[0].clone();
    assert!(stored.id > 0);
    stored.id = 0;
    assert_eq!(stored, event(t, 6, "curriculum_activity.update"), "round trip");

    let page = store.events(t, &AuditFilter::default(), 5, 5).await.unwrap();
    assert_eq!((page.total, page.events.len()), (7, 2), "the last page");

    let count = |filter: AuditFilter| async move { store.events(t, &filter, 0, 50).await.unwrap().total };
    let base = AuditFilter::default();
    assert_eq!(
        count(AuditFilter {
            action: Some("activity.create".into()),
            ..base.clone()
        })
        .await,
        4
    );
    assert_eq!(
        count(AuditFilter {
            activity: Some(ActivityId(101)),
            ..base.clone()
        })
        .await,
        2
    );
    assert_eq!(
        count(AuditFilter {
            record: Some(RecordId(4)),
            ..base.clone()
        })
        .await,
        1
    );
    assert_eq!(
        count(AuditFilter {
            api_key: Some(ApiKeyId(1)),
            ..base.clone()
        })
        .await,
        4
    );
    let at = |n: i64| event(t, n, "").at;
    assert_eq!(
        count(AuditFilter {
            since: Some(at(2)),
            until: Some(at(4)),
            ..base.clone()
        })
        .await,
        3,
        "time bounds are inclusive"
    );
    let elsewhere = store.events(other, &base, 0, 50).await.unwrap();
    assert_eq!(elsewhere.total, 1, "events are per tenant");
}
