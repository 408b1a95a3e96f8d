//! The contract every [`EventLog`] and [`WebhookRepository`] must pass, written once.

use crate::*;
use chrono::{Duration, TimeZone, Utc};
use curricula_domain::*;

fn event(tenant: TenantId, n: i64, kind: EventType) -> Event {
    Event {
        api_key: Some(ApiKeyId(n % 2 + 1)),
        origin: Some("skoli.istak.is".into()),
        course: Some(ActivityId(100 + n % 3)),
        record: (n % 2 == 0).then_some(RecordId(n)),
        user: (n % 3 == 0).then_some(UserId(n)),
        request_id: Some(format!("req-{n}")),
        data: serde_json::json!({ "before": { "name": "a" }, "after": { "name": format!("b{n}") } }),
        ..Event::new(
            kind,
            tenant,
            Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap() + Duration::minutes(n),
        )
    }
}

/// Waits until the tenant's feed holds `n` events (at most 20 s): on Postgres the feed shows
/// only what committed below the oldest transaction still running on the server, and other
/// tests' transactions run beside this one.
async fn settled<S: EventLog + ?Sized>(store: &S, tenant: TenantId, n: usize) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let page = store
            .feed(tenant, FeedPosition::START, &FeedFilter::default(), 1_000)
            .await
            .unwrap();
        if page.events.len() >= n || std::time::Instant::now() > deadline {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

async fn tenants<S: TenantDirectory + ?Sized>(store: &S) -> (TenantId, TenantId) {
    let code = |c: &str| LanguageCode::parse("language", c).unwrap();
    let t = store.create_tenant("Logged", &code("en-GB"), &[]).await.unwrap().id;
    let other = store.create_tenant("Elsewhere", &code("en-GB"), &[]).await.unwrap().id;
    (t, other)
}

/// Events round-trip; the feed answers them in order after a cursor, filtered and bounded;
/// the audit trail lists the audited ones newest first, filtered and paged.
pub async fn event_log<S: EventLog + TenantDirectory + ?Sized>(store: &S) {
    let (t, other) = tenants(store).await;
    store.append(Vec::new()).await.unwrap();
    for n in 0..4 {
        store
            .append(vec![event(t, n, EventType::ActivityCreated)])
            .await
            .unwrap();
    }
    let batch = (4..7).map(|n| event(t, n, EventType::RecordUpdated)).collect();
    store.append(batch).await.unwrap();
    store
        .append(vec![event(t, 7, EventType::EnrollmentStarted)])
        .await
        .unwrap();
    store
        .append(vec![event(other, 99, EventType::ActivityCreated)])
        .await
        .unwrap();

    settled(store, t, 8).await;
    settled(store, other, 1).await;
    // The feed: every event once, in order, page by page.
    let mut seen = Vec::new();
    let mut cursor = FeedPosition::START;
    loop {
        let page = store.feed(t, cursor, &FeedFilter::default(), 3).await.unwrap();
        assert!(page.events.len() <= 3);
        if page.events.is_empty() {
            assert_eq!(page.next, cursor, "an empty page keeps the cursor");
            break;
        }
        assert!(page.next > cursor);
        cursor = page.next;
        seen.extend(page.events);
    }
    let requests: Vec<_> = seen.iter().filter_map(|e| e.event.request_id.clone()).collect();
    assert_eq!(requests, (0..8).map(|n| format!("req-{n}")).collect::<Vec<_>>());
    assert!(seen.windows(2).all(|w| w[0].position < w[1].position));
    assert_eq!(seen[5].event, event(t, 5, EventType::RecordUpdated), "round trip");
    let filtered = |filter: FeedFilter| async move {
        store
            .feed(t, FeedPosition::START, &filter, 100)
            .await
            .unwrap()
            .events
            .len()
    };
    assert_eq!(
        filtered(FeedFilter {
            types: vec![EventType::RecordUpdated],
            ..FeedFilter::default()
        })
        .await,
        3
    );
    assert_eq!(
        filtered(FeedFilter {
            course: Some(ActivityId(101)),
            ..FeedFilter::default()
        })
        .await,
        3
    );
    assert_eq!(
        filtered(FeedFilter {
            user: Some(UserId(3)),
            ..FeedFilter::default()
        })
        .await,
        1
    );
    assert_eq!(
        store
            .feed(other, FeedPosition::START, &FeedFilter::default(), 100)
            .await
            .unwrap()
            .events
            .len(),
        1
    );
    assert!(store.last_event_id().await.unwrap() >= seen[7].id);

    // The audit trail: the audited types only, newest first.
    let all = store
        .audit(t, &AuditFilter::default(), Slice::page(1, 50))
        .await
        .unwrap();
    assert_eq!(all.total, 7, "enrollment.started is not audited");
    let requests: Vec<_> = all.events.iter().filter_map(|e| e.request_id.clone()).collect();
    assert_eq!(
        requests,
        ["req-6", "req-5", "req-4", "req-3", "req-2", "req-1", "req-0"]
    );
    assert_eq!(all.events[0].action, "curriculum_activity.update");
    assert_eq!(all.events[0].changes["after"]["name"], "b6");
    let page = store
        .audit(t, &AuditFilter::default(), Slice { offset: 5, limit: 5 })
        .await
        .unwrap();
    assert_eq!((page.total, page.events.len()), (7, 2), "the last page");
    let count = |filter: AuditFilter| async move { store.audit(t, &filter, Slice::page(1, 50)).await.unwrap().total };
    let base = AuditFilter::default();
    assert_eq!(
        count(AuditFilter {
            kind: Some(EventType::ActivityCreated),
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
    let at = |n: i64| event(t, n, EventType::ActivityCreated).at;
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
    assert_eq!(
        store.audit(other, &base, Slice::page(1, 50)).await.unwrap().total,
        1,
        "per tenant"
    );
}

/// A write's journal is appended with it, and not at all when the write is refused.
pub async fn journals_commit_with_their_write<S>(store: &S)
where
    S: EventLog + TenantDirectory + LearnerRepository + ?Sized,
{
    let (t, _) = tenants(store).await;
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
    let journal = |kind| Journal::of(move |l: &Learner| vec![Event::new(kind, l.tenant, now).user(l.id)]);
    let profile = curricula_domain::learner::Profile::default();
    let user = store
        .create_learner(t, "ada", &profile, now, journal(EventType::UserCreated))
        .await
        .unwrap();
    let refused = store
        .create_learner(t, "ada", &profile, now, journal(EventType::UserCreated))
        .await;
    assert!(refused.is_err(), "a taken username");
    let missing = store
        .update_learner(
            t,
            UserId(user.id.0 + 1000),
            &profile,
            now,
            journal(EventType::UserUpdated),
        )
        .await;
    assert!(missing.is_err());
    settled(store, t, 1).await;
    let events = store
        .feed(t, FeedPosition::START, &FeedFilter::default(), 100)
        .await
        .unwrap()
        .events;
    let kinds: Vec<_> = events.iter().map(|e| (e.event.kind, e.event.user)).collect();
    assert_eq!(
        kinds,
        [(EventType::UserCreated, Some(user.id))],
        "only the write that happened"
    );
}

/// Webhooks are kept per tenant; their queue hands a webhook to one owner at a time, queues
/// the events it covers in feed order from after its creation, holds later deliveries back
/// behind a failing one, and settles what was tried.
pub async fn webhook_queue<S>(store: &S)
where
    S: EventLog + TenantDirectory + WebhookRepository + ?Sized,
{
    let (t, other) = tenants(store).await;
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
    store
        .append(vec![event(t, 0, EventType::ActivityCreated)])
        .await
        .unwrap();
    let new = |events| NewWebhook {
        tenant: t,
        url: "https://h.example/x".into(),
        events,
        secret: "s".into(),
        now,
    };
    let all = store.create_webhook(new(Subscription::All)).await.unwrap();
    let users = store
        .create_webhook(new(Subscription::Only(vec![EventType::UserCreated])))
        .await
        .unwrap();
    assert_eq!(store.webhooks(t).await.unwrap().len(), 2);
    assert!(store.webhooks(other).await.unwrap().is_empty());
    assert_eq!(store.webhook(other, all.id).await.unwrap(), None, "per tenant");
    let patched = store
        .update_webhook(
            t,
            users.id,
            WebhookPatch {
                active: Some(false),
                ..WebhookPatch::default()
            },
            now,
        )
        .await
        .unwrap()
        .unwrap();
    assert!(!patched.active);
    assert_eq!(
        store
            .update_webhook(other, users.id, WebhookPatch::default(), now)
            .await
            .unwrap(),
        None
    );

    // Nothing to do: the event before its creation is not sent.
    assert!(
        store
            .lease("a", now, now + Duration::seconds(60), 10)
            .await
            .unwrap()
            .is_empty()
    );
    for n in 1..=3 {
        store
            .append(vec![event(t, n, EventType::ActivityCreated)])
            .await
            .unwrap();
    }
    settled(store, t, 4).await;
    let leased = store.lease("a", now, now + Duration::seconds(60), 10).await.unwrap();
    assert_eq!(
        leased.iter().map(|l| l.id).collect::<Vec<_>>(),
        [all.id],
        "the inactive one is not leased"
    );
    assert_eq!(leased[0].secret, "s");
    assert!(
        store
            .lease("b", now, now + Duration::seconds(60), 10)
            .await
            .unwrap()
            .is_empty(),
        "one owner at a time"
    );
    assert_eq!(store.queue(&leased[0], now, 2).await.unwrap(), 2);
    let due = store.due(all.id, now, 10).await.unwrap();
    let requests: Vec<_> = due.iter().filter_map(|d| d.event.event.request_id.clone()).collect();
    assert_eq!(requests, ["req-1", "req-2"]);
    // The first fails: it and the one after wait for its next try.
    let retry_at = now + Duration::seconds(10);
    let failed = Tried {
        id: due[0].id,
        at: now,
        response_status: Some(500),
        status: DeliveryStatus::Pending,
        retry_at,
        error: Some("answered 500".into()),
    };
    store.settle(all.id, "a", vec![failed], true).await.unwrap();
    assert!(
        store.due(all.id, now, 10).await.unwrap().is_empty(),
        "held back behind the failing one"
    );
    assert!(
        store
            .lease("b", now, now + Duration::seconds(60), 10)
            .await
            .unwrap()
            .is_empty(),
        "nothing due yet"
    );
    let figures = store.queue_figures(now + Duration::seconds(5)).await.unwrap();
    assert_eq!((figures.pending, figures.failing_webhooks), (2, 1));
    let later = retry_at + Duration::seconds(1);
    let leased = store
        .lease("b", later, later + Duration::seconds(60), 10)
        .await
        .unwrap();
    assert_eq!(leased.len(), 1, "due again");
    let due = store.due(all.id, later, 10).await.unwrap();
    assert_eq!((due.len(), due[0].attempts), (2, 1));
    let ok = |d: &Due| Tried {
        id: d.id,
        at: later,
        response_status: Some(204),
        status: DeliveryStatus::Succeeded,
        retry_at: later,
        error: None,
    };
    store
        .settle(all.id, "b", due.iter().map(ok).collect(), true)
        .await
        .unwrap();
    // The third event is queued next.
    let leased = store
        .lease("b", later, later + Duration::seconds(60), 10)
        .await
        .unwrap();
    assert_eq!(store.queue(&leased[0], later, 10).await.unwrap(), 1);
    let third = store.due(all.id, later, 10).await.unwrap();
    assert_eq!(third[0].event.event.request_id.as_deref(), Some("req-3"));
    store.settle(all.id, "b", vec![ok(&third[0])], true).await.unwrap();
    let log = store.deliveries(t, all.id, Slice::page(1, 50)).await.unwrap();
    assert_eq!(log.total, 3);
    assert!(log.items.iter().all(|d| d.status == DeliveryStatus::Succeeded));
    assert_eq!(
        (log.items[2].attempts, log.items[2].response_status),
        (2, Some(204)),
        "oldest last"
    );
    assert_eq!(
        store.deliveries(other, all.id, Slice::page(1, 50)).await.unwrap().total,
        0
    );
    // Redelivery queues it again, due now.
    let again = store
        .retry_delivery(t, all.id, log.items[2].id, later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((again.status, again.attempts), (DeliveryStatus::Pending, 0));
    assert_eq!(
        store
            .retry_delivery(other, all.id, log.items[2].id, later)
            .await
            .unwrap(),
        None
    );
    // Succeeded deliveries queued before the cut are pruned, oldest first, `limit` at a time;
    // a pending one (the redelivered) stays whatever its age.
    let cut = later + Duration::days(1);
    assert_eq!(store.prune_deliveries(now, 10).await.unwrap(), 0, "none queued before");
    assert_eq!(store.prune_deliveries(cut, 1).await.unwrap(), 1);
    assert_eq!(store.prune_deliveries(cut, 10).await.unwrap(), 1);
    assert_eq!(store.prune_deliveries(cut, 10).await.unwrap(), 0);
    let kept = store.deliveries(t, all.id, Slice::page(1, 50)).await.unwrap();
    assert_eq!(
        kept.items.iter().map(|d| (d.id, d.status)).collect::<Vec<_>>(),
        [(again.id, DeliveryStatus::Pending)]
    );
    assert!(store.delete_webhook(t, all.id).await.unwrap());
    assert!(!store.delete_webhook(t, all.id).await.unwrap());
    assert_eq!(
        store.queue_figures(later).await.unwrap().pending,
        0,
        "its deliveries went with it"
    );
}
