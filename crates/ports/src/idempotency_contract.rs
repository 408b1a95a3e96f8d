//! The contract every [`IdempotencyStore`] must pass, written once; each adapter's contract
//! test calls [`idempotency_keys`] on a fresh store.

use crate::*;
use chrono::{Duration, TimeZone, Utc};
use curricula_domain::{ActivityKind, LanguageCode, Name, Organisations, Placement, TenantId, UserId};
use std::sync::Arc;

fn code(raw: &str) -> LanguageCode {
    LanguageCode::parse("language", raw).unwrap()
}

/// Reserve, replay, mismatch, in progress, release, per-tenant scope, expiry, racing.
pub async fn idempotency_keys<S>(store: Arc<S>)
where
    S: TenantDirectory + IdempotencyStore + ?Sized + 'static,
{
    let t0 = Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap();
    let day = Duration::hours(24);
    let a = store.create_tenant("Idem A", &code("en-GB"), &[]).await.unwrap().id;
    let b = store.create_tenant("Idem B", &code("en-GB"), &[]).await.unwrap().id;

    assert_eq!(
        store.reserve(a, "k1", "f1", t0, t0 + day).await.unwrap(),
        Reservation::Reserved
    );
    // Running: the same request waits, another request is refused.
    assert_eq!(
        store.reserve(a, "k1", "f1", t0, t0 + day).await.unwrap(),
        Reservation::InProgress
    );
    assert_eq!(
        store.reserve(a, "k1", "f2", t0, t0 + day).await.unwrap(),
        Reservation::Mismatch
    );
    // Another tenant's key of the same name is another key.
    assert_eq!(
        store.reserve(b, "k1", "f2", t0, t0 + day).await.unwrap(),
        Reservation::Reserved
    );

    let response = StoredResponse {
        status: 201,
        body: r#"{"activityId":7}"#.into(),
    };
    store.complete(a, "k1", &response).await.unwrap();
    assert_eq!(
        store.reserve(a, "k1", "f1", t0, t0 + day).await.unwrap(),
        Reservation::Replay(response.clone())
    );
    assert_eq!(
        store.reserve(a, "k1", "f2", t0, t0 + day).await.unwrap(),
        Reservation::Mismatch
    );
    // Releasing a completed key changes nothing.
    store.release(a, "k1").await.unwrap();
    assert_eq!(
        store.reserve(a, "k1", "f1", t0, t0 + day).await.unwrap(),
        Reservation::Replay(response.clone())
    );
    // Releasing a running key frees it.
    store.release(b, "k1").await.unwrap();
    assert_eq!(
        store.reserve(b, "k1", "f3", t0, t0 + day).await.unwrap(),
        Reservation::Reserved
    );

    // Past its retention a key is forgotten: reserved anew, even for another request.
    let later = t0 + day;
    assert_eq!(
        store.reserve(a, "k1", "f9", later, later + day).await.unwrap(),
        Reservation::Reserved
    );

    // Purging removes exactly the expired keys.
    store.reserve(a, "old", "f", t0, t0 + Duration::hours(1)).await.unwrap();
    let purged = store.purge_expired(t0 + Duration::hours(2)).await.unwrap();
    assert_eq!(purged, 1, "only the key that expired");
    assert_eq!(
        store.reserve(a, "k1", "f9", later, later + day).await.unwrap(),
        Reservation::InProgress
    );

    // Racing reservations of one key: exactly one wins.
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            store.reserve(a, "race", "f", t0, t0 + day).await.unwrap()
        }));
    }
    let mut reserved = 0;
    for task in tasks {
        match task.await.unwrap() {
            Reservation::Reserved => reserved += 1,
            Reservation::InProgress => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(reserved, 1, "one racer reserves the key");
}

/// `external_id` is unique per tenant, refused with `ExternalIdTaken` (nothing stored), and
/// found again by `activity_by_external_id`.
pub async fn external_ids_are_unique_per_tenant<S>(store: &S)
where
    S: TenantDirectory + ActivityRepository + ?Sized,
{
    let now = Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap();
    let mut tenants = Vec::new();
    for name in ["Ext A", "Ext B"] {
        let tenant = store.create_tenant(name, &code("en-GB"), &[]).await.unwrap().id;
        let owner = store.create_user(tenant, "owner").await.unwrap().id;
        tenants.push((tenant, owner));
    }
    let new = |(tenant, owner): (TenantId, UserId), external_id: Option<&str>| NewActivity {
        api_key: None,
        tenant,
        kind: ActivityKind::Course,
        name: Name::parse("name", "Course").unwrap(),
        owner,
        organisations: Organisations::All,
        placement: Placement::TopLevel,
        language: code("en-GB"),
        scorm: None,
        external_id: external_id.map(str::to_owned),
        now,
    };
    let (a, b) = (tenants[0], tenants[1]);
    let first = store
        .create_activity(new(a, Some("crm-1")), Journal::none())
        .await
        .unwrap();
    assert_eq!(store.activity_by_external_id(a.0, "crm-1").await.unwrap(), Some(first));
    assert_eq!(store.activity_by_external_id(a.0, "crm-2").await.unwrap(), None);
    assert_eq!(store.activity_by_external_id(b.0, "crm-1").await.unwrap(), None);
    let before = crate::contract::all_activities(store, a.0).await.len();
    match store.create_activity(new(a, Some("crm-1")), Journal::none()).await {
        Err(CreateActivityError::ExternalIdTaken(id)) => assert_eq!(id, "crm-1"),
        other => panic!("expected ExternalIdTaken, got {other:?}"),
    }
    assert_eq!(
        crate::contract::all_activities(store, a.0).await.len(),
        before,
        "nothing stored"
    );
    // Per tenant, and absent ids never clash.
    let other = store
        .create_activity(new(b, Some("crm-1")), Journal::none())
        .await
        .unwrap();
    assert_eq!(store.activity_by_external_id(b.0, "crm-1").await.unwrap(), Some(other));
    store.create_activity(new(a, None), Journal::none()).await.unwrap();
    store.create_activity(new(a, None), Journal::none()).await.unwrap();
}
