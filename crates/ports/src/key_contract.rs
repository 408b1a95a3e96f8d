//! The contract of API key revocation and rotation every [`TenantDirectory`] must pass
//! (issue 13, finding 7), on a fresh store.

use crate::*;
use chrono::{Duration, TimeZone, Utc};
use curricula_domain::*;

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 2, 12, 0, 0).unwrap()
}

fn hash(n: u8) -> KeyHash {
    KeyHash(format!("{n:02x}").repeat(32))
}

async fn tenant<S: TenantDirectory + ?Sized>(store: &S, name: &str) -> TenantId {
    let code = LanguageCode::parse("language", "en-GB").unwrap();
    store.create_tenant(name, &code, &[]).await.unwrap().id
}

/// Revocation: at once, per tenant, idempotent, visible through every lookup.
pub async fn keys_can_be_revoked<S: TenantDirectory + ?Sized>(store: &S) {
    let t = tenant(store, "Revoking").await;
    let other = tenant(store, "Other").await;
    let origin = Origin::parse("https://skoli.istak.is").unwrap();
    let key = store
        .create_api_key(t, &hash(0xa1), Some(origin.clone()), now())
        .await
        .unwrap();
    assert_eq!((key.revoked_at, key.expires_at), (None, None), "a new key never ends");
    assert!(key.usable_at(now()));
    assert_eq!(store.api_key_by_id(key.id).await.unwrap().as_ref(), Some(&key));
    assert_eq!(store.api_key(&hash(0xa1)).await.unwrap().as_ref(), Some(&key));
    assert!(store.api_key_by_id(ApiKeyId(987_654)).await.unwrap().is_none());

    for (tenant, id) in [(other, key.id), (t, ApiKeyId(987_654)), (TenantId(987_654), key.id)] {
        assert!(
            matches!(
                store.revoke_api_key(tenant, id, now()).await,
                Err(DirectoryError::KeyNotFound(k)) if k == id
            ),
            "tenant {tenant} key {id}"
        );
    }
    assert!(
        store.api_key_by_id(key.id).await.unwrap().unwrap().usable_at(now()),
        "a refused revocation changes nothing"
    );

    let at = now() + Duration::minutes(5);
    let revoked = store.revoke_api_key(t, key.id, at).await.unwrap();
    assert_eq!(revoked.revoked_at, Some(at));
    assert_eq!(
        (revoked.id, revoked.tenant, revoked.origin.clone()),
        (key.id, t, Some(origin))
    );
    assert!(!revoked.usable_at(at) && !revoked.usable_at(now()));
    assert_eq!(store.api_key_by_id(key.id).await.unwrap().as_ref(), Some(&revoked));
    assert_eq!(store.api_key(&hash(0xa1)).await.unwrap().as_ref(), Some(&revoked));
    assert_eq!(store.api_keys(t).await.unwrap(), vec![revoked.clone()]);
    let again = store.revoke_api_key(t, key.id, at + Duration::hours(1)).await.unwrap();
    assert_eq!(again.revoked_at, Some(at), "revoking twice keeps the first time");
}

/// Rotation: a new key with the same tenant and origin, the old one expiring at the end of
/// its grace period; all or nothing.
pub async fn keys_can_be_rotated<S: TenantDirectory + ?Sized>(store: &S) {
    let t = tenant(store, "Rotating").await;
    let other = tenant(store, "Elsewhere").await;
    let origin = Origin::parse("https://skoli.istak.is").unwrap();
    let old = store
        .create_api_key(t, &hash(0xb1), Some(origin.clone()), now())
        .await
        .unwrap();
    let grace_end = now() + Duration::hours(24);
    let at = now() + Duration::minutes(1);
    let (rotated, new) = store
        .rotate_api_key(t, old.id, &hash(0xb2), at, grace_end)
        .await
        .unwrap();
    assert_eq!(rotated.id, old.id);
    assert_eq!(rotated.expires_at, Some(grace_end));
    assert_eq!(rotated.revoked_at, None);
    assert_ne!(new.id, old.id);
    assert_eq!(
        (new.tenant, new.origin.clone(), new.created_at),
        (t, Some(origin.clone()), at)
    );
    assert_eq!((new.revoked_at, new.expires_at), (None, None));
    assert_eq!(store.api_key(&hash(0xb2)).await.unwrap().as_ref(), Some(&new));
    assert_eq!(store.api_key(&hash(0xb1)).await.unwrap().as_ref(), Some(&rotated));
    assert_eq!(store.api_key_by_id(old.id).await.unwrap().as_ref(), Some(&rotated));
    assert!(rotated.usable_at(grace_end - Duration::seconds(1)));
    assert!(!rotated.usable_at(grace_end), "the grace period ends at its end");
    assert_eq!(store.api_keys(t).await.unwrap(), vec![rotated.clone(), new.clone()]);

    // Rotating again within the grace period never lengthens it.
    let (again, _) = store
        .rotate_api_key(t, old.id, &hash(0xb3), at, grace_end + Duration::hours(24))
        .await
        .unwrap();
    assert_eq!(again.expires_at, Some(grace_end), "the earlier expiry stays");
    let (shorter, _) = store
        .rotate_api_key(t, old.id, &hash(0xb4), at, now() + Duration::hours(2))
        .await
        .unwrap();
    assert_eq!(
        shorter.expires_at,
        Some(now() + Duration::hours(2)),
        "a shorter grace wins"
    );

    // Refusals change nothing.
    let fresh = store.create_api_key(t, &hash(0xc1), None, now()).await.unwrap();
    assert!(matches!(
        store.rotate_api_key(t, fresh.id, &hash(0xb2), at, grace_end).await,
        Err(DirectoryError::Duplicate(_))
    ));
    assert_eq!(
        store.api_key_by_id(fresh.id).await.unwrap().unwrap().expires_at,
        None,
        "a refused rotation leaves the old key as it was"
    );
    for (tenant, id) in [(other, fresh.id), (t, ApiKeyId(987_654))] {
        assert!(matches!(
            store.rotate_api_key(tenant, id, &hash(0xc2), at, grace_end).await,
            Err(DirectoryError::KeyNotFound(k)) if k == id
        ));
    }
    assert!(store.api_key(&hash(0xc2)).await.unwrap().is_none(), "no key was stored");
    assert!(
        matches!(
            store
                .rotate_api_key(t, old.id, &hash(0xc3), now() + Duration::hours(3), grace_end)
                .await,
            Err(DirectoryError::KeyUnusable(_))
        ),
        "an expired key cannot be rotated"
    );
    store.revoke_api_key(t, fresh.id, at).await.unwrap();
    assert!(
        matches!(
            store.rotate_api_key(t, fresh.id, &hash(0xc4), at, grace_end).await,
            Err(DirectoryError::KeyUnusable(_))
        ),
        "a revoked key cannot be rotated"
    );
    assert!(store.api_key(&hash(0xc3)).await.unwrap().is_none());
    assert!(store.api_key(&hash(0xc4)).await.unwrap().is_none());

    // An unbound key rotates to an unbound key.
    let unbound = store.create_api_key(t, &hash(0xd1), None, now()).await.unwrap();
    let (_, new) = store
        .rotate_api_key(t, unbound.id, &hash(0xd2), at, grace_end)
        .await
        .unwrap();
    assert_eq!(new.origin, None);
}

/// A revocation through one handle is seen at once through another on the same database
/// (two instances of the service): nothing may cache a key.
pub async fn revocation_is_seen_by_other_instances<S: TenantDirectory + ?Sized>(a: &S, b: &S) {
    let t = tenant(a, "Instances").await;
    let key = a.create_api_key(t, &hash(0xe1), None, now()).await.unwrap();
    assert!(b.api_key(&hash(0xe1)).await.unwrap().unwrap().usable_at(now()));
    assert!(b.api_key_by_id(key.id).await.unwrap().unwrap().usable_at(now()));
    a.revoke_api_key(t, key.id, now()).await.unwrap();
    assert!(!b.api_key(&hash(0xe1)).await.unwrap().unwrap().usable_at(now()));
    assert!(!b.api_key_by_id(key.id).await.unwrap().unwrap().usable_at(now()));
    let other = a.create_api_key(t, &hash(0xe2), None, now()).await.unwrap();
    assert!(b.api_key_by_id(other.id).await.unwrap().unwrap().usable_at(now()));
    a.rotate_api_key(t, other.id, &hash(0xe3), now(), now()).await.unwrap();
    assert!(!b.api_key_by_id(other.id).await.unwrap().unwrap().usable_at(now()));
    assert!(b.api_key(&hash(0xe3)).await.unwrap().unwrap().usable_at(now()));
}
