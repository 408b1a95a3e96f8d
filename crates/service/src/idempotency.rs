//! Retry-safe writes: the `Idempotency-Key` use case over an [`IdempotencyStore`].
//!
//! A request with a key first reserves it (per tenant) together with a fingerprint of the
//! request; the first one runs and its response is stored; a repeat of the same request within
//! the retention window gets that response again; a different request with the key is refused;
//! a repeat while the first still runs is told so (the HTTP layer answers 409).

use crate::auth::Caller;
use chrono::{DateTime, Duration, Utc};
use curricula_domain::InvalidField;
use curricula_ports::{Clock, IdempotencyStore, Reservation, StoreError, StoredResponse};
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};

/// The header, as clients spell it; also the field named in errors.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

/// Longest key accepted.
pub const MAX_KEY_LEN: usize = 255;

/// Expired keys are purged at most this often (on the next keyed request).
const PURGE_EVERY_MINUTES: i64 = 10;

/// A checked `Idempotency-Key`: 1 to 255 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Checks a header value.
    ///
    /// # Errors
    /// When it is empty, too long, or holds anything but visible ASCII.
    pub fn parse(raw: &str) -> Result<Self, InvalidField> {
        let key = raw.trim();
        if key.is_empty() {
            return Err(InvalidField::new(IDEMPOTENCY_HEADER, "must not be empty"));
        }
        if key.len() > MAX_KEY_LEN {
            return Err(InvalidField::new(
                IDEMPOTENCY_HEADER,
                format!("is longer than {MAX_KEY_LEN} characters"),
            ));
        }
        if !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(InvalidField::new(
                IDEMPOTENCY_HEADER,
                "may only contain visible ASCII characters",
            ));
        }
        Ok(Self(key.to_owned()))
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Builds the digest that tells whether two requests are "the same request": the operation
/// and every part that matters, in a fixed order, each length-prefixed (no ambiguity).
#[derive(Clone)]
pub struct Fingerprint(Sha256);

impl Fingerprint {
    /// Starts a fingerprint of `operation` (e.g. `POST /api/activityupload/new`).
    pub fn new(operation: &str) -> Self {
        Self(Sha256::new()).part(operation)
    }

    /// Adds one part.
    #[must_use]
    pub fn part(mut self, value: &str) -> Self {
        self.0.update((value.len() as u64).to_be_bytes());
        self.0.update(value.as_bytes());
        self
    }

    /// The hex digest.
    pub fn finish(self) -> String {
        self.0.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// What to do with a keyed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begin {
    /// Run it, then [`IdempotencyService::finish`].
    Run,
    /// Answer with the stored response; run nothing.
    Replay(StoredResponse),
    /// The same request is running under this key: try again shortly.
    InProgress,
    /// The key was used with a different request: refuse.
    Mismatch,
}

/// The retry-safety use case over an idempotency store `S`.
pub struct IdempotencyService<S: ?Sized> {
    store: Arc<S>,
    clock: Arc<dyn Clock>,
    retention: Duration,
    last_purge: Arc<Mutex<Option<DateTime<Utc>>>>,
}

impl<S: ?Sized> Clone for IdempotencyService<S> {
    fn clone(&self) -> Self {
        Self {
            store: Arc::clone(&self.store),
            clock: Arc::clone(&self.clock),
            retention: self.retention,
            last_purge: Arc::clone(&self.last_purge),
        }
    }
}

impl<S: IdempotencyStore + ?Sized> IdempotencyService<S> {
    /// Keys are kept for `retention` (at least one second).
    pub fn new(store: Arc<S>, clock: Arc<dyn Clock>, retention: std::time::Duration) -> Self {
        let retention = Duration::from_std(retention)
            .unwrap_or(Duration::hours(24))
            .max(Duration::seconds(1));
        Self {
            store,
            clock,
            retention,
            last_purge: Arc::new(Mutex::new(None)),
        }
    }

    /// Reserves `key` of the caller's tenant for the request `fingerprint`.
    ///
    /// # Errors
    /// When the store fails (nothing has run then).
    pub async fn begin(&self, caller: Caller, key: &IdempotencyKey, fingerprint: &str) -> Result<Begin, StoreError> {
        let now = self.clock.now();
        self.purge_now_and_then(now).await;
        let reservation = self
            .store
            .reserve(caller.tenant, key.as_str(), fingerprint, now, now + self.retention)
            .await?;
        Ok(match reservation {
            Reservation::Reserved => Begin::Run,
            Reservation::Replay(response) => {
                tracing::info!(
                    status = response.status,
                    "replaying the response stored for an Idempotency-Key"
                );
                Begin::Replay(response)
            }
            Reservation::InProgress => Begin::InProgress,
            Reservation::Mismatch => Begin::Mismatch,
        })
    }

    /// Ends a request that [`begin`](Self::begin) let run: stores its response for replay, or
    /// (`None`: a server-side failure worth retrying) frees the key. A store failure is only
    /// logged: the response has been decided; the key then frees itself when it expires.
    pub async fn finish(&self, caller: Caller, key: &IdempotencyKey, response: Option<StoredResponse>) {
        let result = match &response {
            Some(response) => self.store.complete(caller.tenant, key.as_str(), response).await,
            None => self.store.release(caller.tenant, key.as_str()).await,
        };
        if let Err(e) = result {
            tracing::error!(error = %e, "could not record the outcome of an Idempotency-Key request");
            if response.is_some() {
                // Better a key that can be retried than one stuck "in progress".
                let _ = self.store.release(caller.tenant, key.as_str()).await;
            }
        }
    }

    /// Removes expired keys, at most every few minutes; a failure is only logged.
    async fn purge_now_and_then(&self, now: DateTime<Utc>) {
        {
            let Ok(mut last) = self.last_purge.lock() else { return };
            if last.is_some_and(|at| now - at < Duration::minutes(PURGE_EVERY_MINUTES)) {
                return;
            }
            *last = Some(now);
        }
        match self.store.purge_expired(now).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(purged = n, "expired Idempotency-Keys removed"),
            Err(e) => tracing::warn!(error = %e, "could not purge expired Idempotency-Keys"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked_and_name_the_header() {
        assert_eq!(IdempotencyKey::parse(" abc-123 ").unwrap().as_str(), "abc-123");
        for bad in ["", "   ", "a b", "ключ", &"x".repeat(256)] {
            let err = IdempotencyKey::parse(bad).unwrap_err();
            assert_eq!(err.field, IDEMPOTENCY_HEADER, "{bad:?}");
        }
    }

    #[test]
    fn fingerprints_separate_parts() {
        let a = Fingerprint::new("op").part("ab").part("c").finish();
        let b = Fingerprint::new("op").part("a").part("bc").finish();
        assert_ne!(a, b);
        assert_eq!(a, Fingerprint::new("op").part("ab").part("c").finish());
        assert_eq!(a.len(), 64);
    }
}

#[cfg(test)]
mod service_tests {
    use super::*;
    use async_trait::async_trait;
    use curricula_domain::{ApiKeyId, TenantId};

    /// Records calls; every reservation succeeds.
    #[derive(Default)]
    struct Recording {
        calls: Mutex<Vec<String>>,
    }

    #[async_trait]
    impl IdempotencyStore for Recording {
        async fn reserve(
            &self,
            _: TenantId,
            key: &str,
            _: &str,
            now: DateTime<Utc>,
            expires_at: DateTime<Utc>,
        ) -> Result<Reservation, StoreError> {
            let hours = (expires_at - now).num_hours();
            self.calls.lock().unwrap().push(format!("reserve {key} {hours}h"));
            Ok(Reservation::Reserved)
        }
        async fn complete(&self, _: TenantId, key: &str, r: &StoredResponse) -> Result<(), StoreError> {
            self.calls.lock().unwrap().push(format!("complete {key} {}", r.status));
            Ok(())
        }
        async fn release(&self, _: TenantId, key: &str) -> Result<(), StoreError> {
            self.calls.lock().unwrap().push(format!("release {key}"));
            Ok(())
        }
        async fn purge_expired(&self, _: DateTime<Utc>) -> Result<u64, StoreError> {
            self.calls.lock().unwrap().push("purge".into());
            Ok(0)
        }
    }

    struct SetClock(Mutex<DateTime<Utc>>);

    impl Clock for SetClock {
        fn now(&self) -> DateTime<Utc> {
            *self.0.lock().unwrap()
        }
    }

    #[tokio::test]
    async fn reserves_for_the_retention_purges_now_and_then_and_finishes() {
        use chrono::TimeZone;
        let store = Arc::new(Recording::default());
        let start = Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap();
        let clock = Arc::new(SetClock(Mutex::new(start)));
        let service = IdempotencyService::new(
            Arc::clone(&store),
            Arc::clone(&clock) as Arc<dyn Clock>,
            std::time::Duration::from_secs(48 * 3600),
        );
        let caller = Caller {
            tenant: TenantId(1),
            key: ApiKeyId(1),
        };
        let key = IdempotencyKey::parse("k").unwrap();
        assert_eq!(service.begin(caller, &key, "f").await.unwrap(), Begin::Run);
        assert_eq!(service.begin(caller, &key, "f").await.unwrap(), Begin::Run);
        *clock.0.lock().unwrap() = start + Duration::minutes(PURGE_EVERY_MINUTES);
        service.begin(caller, &key, "f").await.unwrap();
        service
            .finish(
                caller,
                &key,
                Some(StoredResponse {
                    status: 201,
                    body: "{}".into(),
                }),
            )
            .await;
        service.finish(caller, &key, None).await;
        assert_eq!(
            *store.calls.lock().unwrap(),
            [
                "purge",
                "reserve k 48h",
                "reserve k 48h",
                "purge",
                "reserve k 48h",
                "complete k 201",
                "release k"
            ]
        );
    }
}
