//! Webhooks: their use cases (create, list, change, delete, deliveries, redeliver) and the
//! deliverer every `serve` instance runs, with the database as its queue.
//!
//! Each delivery is a POST of one event, signed: `Curricula-Signature: t=UNIX,v1=HEX` where
//! `HEX` is HMAC-SHA256 of `"{t}.{body}"` under the webhook's secret. A webhook's deliveries go
//! in feed order, one at a time; a failed try is retried after `retry_initial`, doubled per
//! try (at most an hour apart), until 24 hours after it was queued; then it is `failed` and
//! the next one goes.

use crate::auth::Caller;
use chrono::{DateTime, Duration, Utc};
use curricula_ports::{
    Clock, Delivery, DeliveryId, DeliveryStatus, Due, EventType, Leased, Listed, LoggedEvent, NewWebhook, QueueFigures,
    StoreError, Subscription, Tried, Webhook, WebhookId, WebhookPatch, WebhookRepository,
};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The most webhooks a tenant may have.
pub const MAX_WEBHOOKS: usize = 50;
/// The longest URL accepted.
pub const MAX_URL_BYTES: usize = 2_048;
/// Deliveries tried per webhook per round.
const BATCH: u64 = 100;
/// Webhooks one instance delivers to at once.
const LEASES: u64 = 8;
/// The longest wait between two tries of one delivery.
const MAX_BACKOFF_MS: i64 = 3_600_000;

/// How webhooks are delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSettings {
    /// Hosts whose webhooks may use plain `http` (tests, a receiver on the same host).
    pub allow_http_hosts: Vec<String>,
    /// The first wait after a failed try (doubled per try).
    pub retry_initial: Duration,
    /// How long a delivery is tried before it is `failed`.
    pub retry_for: Duration,
    /// How long an instance holds a webhook it delivers to (another takes it over after).
    pub lease: Duration,
    /// How long a succeeded delivery stays in its webhook's log (`None`: for ever); failed
    /// and pending ones stay until they are redelivered or their webhook is deleted.
    pub keep_delivered: Option<Duration>,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            allow_http_hosts: Vec::new(),
            retry_initial: Duration::seconds(10),
            retry_for: Duration::hours(24),
            lease: Duration::seconds(60),
            keep_delivered: Some(Duration::days(30)),
        }
    }
}

/// Why a webhook request was refused.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// A field is missing or malformed (422).
    #[error("{field} {problem}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// Too many webhooks (422).
    #[error("an account has at most {MAX_WEBHOOKS} webhooks")]
    TooMany,
    /// No such webhook of the caller's (404).
    #[error("webhook {0} not found")]
    NotFound(i64),
    /// No such delivery of the webhook (404).
    #[error("delivery {0} not found")]
    DeliveryNotFound(i64),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn invalid(field: &'static str, problem: impl Into<String>) -> WebhookError {
    WebhookError::Invalid {
        field,
        problem: problem.into(),
    }
}

/// A webhook just created, with its secret (shown this once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedWebhook {
    /// The webhook.
    pub webhook: Webhook,
    /// Its signing secret.
    pub secret: String,
}

/// What sends one delivery: a POST of `body` with `headers` to `url`, no redirects followed,
/// bounded in time and in the answer read. The answer's status, or why there was none.
#[async_trait::async_trait]
pub trait WebhookSender: Send + Sync {
    /// Sends it.
    async fn post(&self, url: &str, headers: Vec<(&'static str, String)>, body: Vec<u8>) -> Result<u16, String>;
}

/// An event's body as the feed and the deliveries send it (the edge owns the wire shape).
pub type RenderEvent = Arc<dyn Fn(&LoggedEvent) -> Vec<u8> + Send + Sync>;

/// `t=UNIX,v1=HEX(HMAC-SHA256(secret, "{t}.{body}"))`.
pub fn signature(secret: &str, t: i64, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("t={t},v1={hex}")
}

/// When a delivery that failed its `attempts`-th try (from 1) is tried again, or `None` when
/// it has been tried for `settings.retry_for` since `queued` and is failed for good.
pub fn next_try(
    settings: &WebhookSettings,
    attempts: u32,
    queued: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if now - queued >= settings.retry_for {
        return None;
    }
    let factor = 1i64.checked_shl(attempts.saturating_sub(1).min(30)).unwrap_or(i64::MAX);
    let wait = settings
        .retry_initial
        .num_milliseconds()
        .max(1)
        .saturating_mul(factor)
        .min(MAX_BACKOFF_MS);
    Some(now + Duration::milliseconds(wait))
}

/// The webhooks use cases.
pub struct WebhookService<W: ?Sized> {
    repo: Arc<W>,
    clock: Arc<dyn Clock>,
    settings: WebhookSettings,
}

impl<W: WebhookRepository + ?Sized> WebhookService<W> {
    /// Wires the use cases.
    pub fn new(repo: Arc<W>, clock: Arc<dyn Clock>, settings: WebhookSettings) -> Self {
        Self { repo, clock, settings }
    }

    /// The settings.
    pub fn settings(&self) -> &WebhookSettings {
        &self.settings
    }

    /// A URL a webhook may POST to: `https`, or `http` for an allowed host; no credentials.
    ///
    /// # Errors
    /// `Invalid` naming `url` and the problem.
    pub fn check_url(&self, raw: &str) -> Result<String, WebhookError> {
        if raw.len() > MAX_URL_BYTES {
            return Err(invalid("url", format!("is longer than {MAX_URL_BYTES} bytes")));
        }
        let url = url::Url::parse(raw.trim()).map_err(|e| invalid("url", format!("is not a URL ({e})")))?;
        let host = url.host_str().unwrap_or_default().to_owned();
        if host.is_empty() {
            return Err(invalid("url", "has no host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid(
                "url",
                "must not hold credentials (sign with the secret instead)",
            ));
        }
        match url.scheme() {
            "https" => {}
            "http"
                if self
                    .settings
                    .allow_http_hosts
                    .iter()
                    .any(|h| h.eq_ignore_ascii_case(&host)) => {}
            "http" => {
                return Err(invalid(
                    "url",
                    format!(
                        "must be https (plain http only for the hosts in webhooks.allow_http_hosts; {host} is not one)"
                    ),
                ));
            }
            other => return Err(invalid("url", format!("must be https, not {other}"))),
        }
        Ok(url.to_string())
    }

    /// `["*"]` or event type names.
    ///
    /// # Errors
    /// `Invalid` naming `events` and the unknown names.
    pub fn check_events(names: &[String]) -> Result<Subscription, WebhookError> {
        if names.is_empty() {
            return Err(invalid("events", "must name at least one event type, or \"*\""));
        }
        if names.iter().any(|n| n == "*") {
            return Ok(Subscription::All);
        }
        let unknown: Vec<&str> = names
            .iter()
            .map(String::as_str)
            .filter(|n| EventType::parse(n).is_none())
            .collect();
        if !unknown.is_empty() {
            let known: Vec<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
            return Err(invalid(
                "events",
                format!("holds unknown types {unknown:?} (known: \"*\", {})", known.join(", ")),
            ));
        }
        let mut types: Vec<EventType> = names.iter().filter_map(|n| EventType::parse(n)).collect();
        types.sort();
        types.dedup();
        Ok(Subscription::Only(types))
    }

    /// Creates a webhook sent the events appended from now on.
    ///
    /// # Errors
    /// `Invalid`, `TooMany`, or `Store`.
    pub async fn create(&self, caller: Caller, url: &str, events: &[String]) -> Result<CreatedWebhook, WebhookError> {
        let url = self.check_url(url)?;
        let events = Self::check_events(events)?;
        if self.repo.webhooks(caller.tenant).await?.len() >= MAX_WEBHOOKS {
            return Err(WebhookError::TooMany);
        }
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)
            .map_err(|e| StoreError::Backend(format!("no randomness for a secret: {e}").into()))?;
        let secret = format!("whsec_{}", crate::auth::hex(&bytes));
        let webhook = self
            .repo
            .create_webhook(NewWebhook {
                tenant: caller.tenant,
                url,
                events,
                secret: secret.clone(),
                now: self.clock.now(),
            })
            .await?;
        tracing::info!(webhook.id = webhook.id.0, "webhook {} created", webhook.id.0);
        Ok(CreatedWebhook { webhook, secret })
    }

    /// The caller's webhooks.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn list(&self, caller: Caller) -> Result<Vec<Webhook>, WebhookError> {
        Ok(self.repo.webhooks(caller.tenant).await?)
    }

    /// One of the caller's webhooks.
    ///
    /// # Errors
    /// `NotFound`, or `Store`.
    pub async fn get(&self, caller: Caller, id: i64) -> Result<Webhook, WebhookError> {
        self.repo
            .webhook(caller.tenant, WebhookId(id))
            .await?
            .ok_or(WebhookError::NotFound(id))
    }

    /// Changes what is sent: `url`, `events`, `active`.
    ///
    /// # Errors
    /// `Invalid`, `NotFound`, or `Store`.
    pub async fn update(
        &self,
        caller: Caller,
        id: i64,
        url: Option<&str>,
        events: Option<&[String]>,
        active: Option<bool>,
    ) -> Result<Webhook, WebhookError> {
        let patch = WebhookPatch {
            url: url.map(|u| self.check_url(u)).transpose()?,
            events: events.map(Self::check_events).transpose()?,
            active,
        };
        self.repo
            .update_webhook(caller.tenant, WebhookId(id), patch, self.clock.now())
            .await?
            .ok_or(WebhookError::NotFound(id))
    }

    /// Deletes one of the caller's webhooks and its deliveries.
    ///
    /// # Errors
    /// `NotFound`, or `Store`.
    pub async fn delete(&self, caller: Caller, id: i64) -> Result<(), WebhookError> {
        if self.repo.delete_webhook(caller.tenant, WebhookId(id)).await? {
            Ok(())
        } else {
            Err(WebhookError::NotFound(id))
        }
    }

    /// Page `page` (50 per page) of a webhook's deliveries, newest first.
    ///
    /// # Errors
    /// `NotFound`, or `Store`.
    pub async fn deliveries(&self, caller: Caller, id: i64, page: usize) -> Result<Listed<Delivery>, WebhookError> {
        self.get(caller, id).await?;
        Ok(self
            .repo
            .deliveries(caller.tenant, WebhookId(id), crate::query::slice(page))
            .await?)
    }

    /// Queues delivery `delivery` of webhook `id` again, due now.
    ///
    /// # Errors
    /// `NotFound`, `DeliveryNotFound`, or `Store`.
    pub async fn retry(&self, caller: Caller, id: i64, delivery: i64) -> Result<Delivery, WebhookError> {
        self.get(caller, id).await?;
        self.repo
            .retry_delivery(caller.tenant, WebhookId(id), DeliveryId(delivery), self.clock.now())
            .await?
            .ok_or(WebhookError::DeliveryNotFound(delivery))
    }

    /// The queue's figures now, for metrics.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn queue_figures(&self) -> Result<QueueFigures, StoreError> {
        self.repo.queue_figures(self.clock.now()).await
    }
}

/// What the deliverer did since start, for metrics.
#[derive(Debug, Default)]
pub struct DeliveryCounters {
    /// Tries answered with a 2xx.
    pub succeeded: AtomicU64,
    /// Tries that failed and will be retried.
    pub retried: AtomicU64,
    /// Deliveries failed for good.
    pub failed: AtomicU64,
    /// Milliseconds from the event to its delivery, for the latest delivery.
    pub last_lag_ms: AtomicU64,
}

/// Succeeded deliveries deleted per statement by [`Deliverer::prune`].
pub const PRUNE_BATCH: u64 = 1_000;

/// Delivers webhooks: one round at a time ([`Deliverer::round`]), run in a loop by the server.
pub struct Deliverer<W: ?Sized> {
    repo: Arc<W>,
    sender: Arc<dyn WebhookSender>,
    render: RenderEvent,
    clock: Arc<dyn Clock>,
    settings: WebhookSettings,
    owner: String,
    counters: Arc<DeliveryCounters>,
    /// The earliest retry the last rounds scheduled, so that the loop wakes for it.
    soonest_retry: std::sync::Mutex<Option<DateTime<Utc>>>,
}

impl<W: WebhookRepository + ?Sized + 'static> Deliverer<W> {
    /// A deliverer named `owner` (unique per instance: it names the leases it holds),
    /// counting what it does in `counters`.
    pub fn new(
        repo: Arc<W>,
        sender: Arc<dyn WebhookSender>,
        render: RenderEvent,
        clock: Arc<dyn Clock>,
        settings: WebhookSettings,
        owner: String,
        counters: Arc<DeliveryCounters>,
    ) -> Self {
        Self {
            repo,
            sender,
            render,
            clock,
            settings,
            owner,
            counters,
            soonest_retry: std::sync::Mutex::default(),
        }
    }

    /// Deletes the succeeded deliveries older than `keep_delivered`, [`PRUNE_BATCH`] per
    /// statement, and answers how many went (none when they are kept for ever).
    ///
    /// # Errors
    /// When the store fails (the batches before are gone).
    pub async fn prune(&self) -> Result<u64, StoreError> {
        let Some(keep) = self.settings.keep_delivered else {
            return Ok(0);
        };
        let before = self.clock.now() - keep;
        let mut pruned = 0;
        loop {
            let n = self.repo.prune_deliveries(before, PRUNE_BATCH).await?;
            pruned += n;
            if n < PRUNE_BATCH {
                return Ok(pruned);
            }
        }
    }

    /// How long the loop may wait after a round that tried nothing: `most`, or less when a
    /// retry this instance scheduled is due sooner.
    pub fn idle_wait(&self, most: std::time::Duration) -> std::time::Duration {
        let now = self.clock.now();
        let Ok(mut soonest) = self.soonest_retry.lock() else {
            return most;
        };
        match *soonest {
            Some(at) if at <= now => {
                *soonest = None;
                std::time::Duration::ZERO
            }
            Some(at) => (at - now).to_std().unwrap_or_default().min(most),
            None => most,
        }
    }

    /// Takes the webhooks that have work and delivers what is due of each, in order; answers
    /// how many tries were made (0: nothing to do, wait before the next round).
    ///
    /// # Errors
    /// When the store fails.
    pub async fn round(&self) -> Result<usize, StoreError> {
        let now = self.clock.now();
        let leased = self
            .repo
            .lease(&self.owner, now, now + self.settings.lease, LEASES)
            .await?;
        let rounds = leased.iter().map(|l| self.deliver(l));
        let mut tried = 0;
        for result in futures::future::join_all(rounds).await {
            tried += result?;
        }
        Ok(tried)
    }

    /// Delivers what is due of one leased webhook, then frees it.
    async fn deliver(&self, leased: &Leased) -> Result<usize, StoreError> {
        let started = std::time::Instant::now();
        let budget = self.settings.lease.to_std().unwrap_or_default() / 3;
        let mut due = self.repo.due(leased.id, self.clock.now(), BATCH).await?;
        if due.is_empty() {
            self.repo.queue(leased, self.clock.now(), BATCH).await?;
            due = self.repo.due(leased.id, self.clock.now(), BATCH).await?;
        }
        let mut tries = Vec::with_capacity(due.len());
        for d in due {
            let tried = self.try_one(leased, &d).await;
            let stop = tried.status != DeliveryStatus::Succeeded;
            tries.push(tried);
            // In order: a delivery that failed holds back the ones after it.
            if stop || started.elapsed() > budget {
                break;
            }
        }
        let count = tries.len();
        self.repo.settle(leased.id, &self.owner, tries, true).await?;
        Ok(count)
    }

    async fn try_one(&self, leased: &Leased, due: &Due) -> Tried {
        let body = (self.render)(&due.event);
        let now = self.clock.now();
        let headers = vec![
            ("content-type", "application/json".to_owned()),
            ("curricula-signature", signature(&leased.secret, now.timestamp(), &body)),
            ("curricula-event-id", due.event.id.to_string()),
        ];
        let answer = self.sender.post(&leased.url, headers, body).await;
        let at = self.clock.now();
        let (status, error) = match answer {
            Ok(code) if (200..300).contains(&code) => (Some(code), None),
            Ok(code) => (Some(code), Some(format!("answered {code}"))),
            Err(e) => (None, Some(e)),
        };
        if error.is_none() {
            self.counters.succeeded.fetch_add(1, Ordering::Relaxed);
            let lag = (at - due.event.event.at).num_milliseconds().max(0);
            self.counters
                .last_lag_ms
                .store(u64::try_from(lag).unwrap_or(0), Ordering::Relaxed);
            return Tried {
                id: due.id,
                at,
                response_status: status,
                status: DeliveryStatus::Succeeded,
                retry_at: at,
                error: None,
            };
        }
        let attempts = due.attempts + 1;
        match next_try(&self.settings, attempts, due.created_at, at) {
            Some(retry_at) => {
                self.counters.retried.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut soonest) = self.soonest_retry.lock() {
                    *soonest = Some(soonest.map_or(retry_at, |s| s.min(retry_at)));
                }
                tracing::warn!(webhook.id = leased.id.0, delivery.id = due.id.0, attempts, error = ?error, "webhook delivery failed; retrying at {retry_at}");
                Tried {
                    id: due.id,
                    at,
                    response_status: status,
                    status: DeliveryStatus::Pending,
                    retry_at,
                    error,
                }
            }
            None => {
                self.counters.failed.fetch_add(1, Ordering::Relaxed);
                tracing::error!(webhook.id = leased.id.0, delivery.id = due.id.0, attempts, error = ?error, "webhook delivery failed for good");
                Tried {
                    id: due.id,
                    at,
                    response_status: status,
                    status: DeliveryStatus::Failed,
                    retry_at: at,
                    error,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_signature_is_hmac_sha256_of_time_dot_body() {
        // The value Python's `hmac.new(b"whsec_test", b'1700000000.{"id":1}', hashlib.sha256)` gives.
        let s = signature("whsec_test", 1_700_000_000, br#"{"id":1}"#);
        assert_eq!(
            s,
            "t=1700000000,v1=2f441ba4b3b2d50d28a9ab9d9fd8880376ecd1eb5d0435401553f5d8d0a5dcf8"
        );
        assert_ne!(s, signature("whsec_other", 1_700_000_000, br#"{"id":1}"#));
        assert_ne!(s, signature("whsec_test", 1_700_000_001, br#"{"id":1}"#));
    }

    #[test]
    fn tries_back_off_exponentially_for_a_day_then_stop() {
        let settings = WebhookSettings::default();
        let queued = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
        let wait =
            |attempts, now: DateTime<Utc>| next_try(&settings, attempts, queued, now).map(|t| (t - now).num_seconds());
        assert_eq!(wait(1, queued), Some(10));
        assert_eq!(wait(2, queued), Some(20));
        assert_eq!(wait(3, queued), Some(40));
        assert_eq!(wait(40, queued), Some(3_600), "at most an hour apart");
        assert_eq!(wait(5, queued + Duration::hours(24)), None, "failed after 24 hours");
    }

    fn service(hosts: &[&str]) -> WebhookService<dyn WebhookRepository> {
        struct Now;
        impl Clock for Now {
            fn now(&self) -> DateTime<Utc> {
                Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap()
            }
        }
        let repo: Arc<dyn WebhookRepository> = Arc::new(curricula_ports::MockWebhookRepository::new());
        let settings = WebhookSettings {
            allow_http_hosts: hosts.iter().map(|h| (*h).to_owned()).collect(),
            ..WebhookSettings::default()
        };
        WebhookService::new(repo, Arc::new(Now), settings)
    }

    #[test]
    fn urls_are_https_unless_the_host_is_allowed() {
        let s = service(&["127.0.0.1"]);
        assert!(s.check_url("https://hooks.example.com/x").is_ok());
        assert!(s.check_url("http://127.0.0.1:9000/hook").is_ok());
        let refused = |url: &str| s.check_url(url).unwrap_err().to_string();
        assert!(refused("http://hooks.example.com/x").contains("must be https"));
        assert!(refused("ftp://hooks.example.com/x").contains("must be https, not ftp"));
        assert!(refused("not a url").starts_with("url is not a URL"));
        assert!(refused("https://user:pw@hooks.example.com/").contains("credentials"));
        assert!(refused(&format!("https://a.example/{}", "x".repeat(3000))).contains("longer"));
    }

    #[test]
    fn event_lists_are_star_or_known_types() {
        type S = WebhookService<dyn WebhookRepository>;
        assert_eq!(S::check_events(&["*".into()]).unwrap(), Subscription::All);
        assert_eq!(
            S::check_events(&["user.created".into(), "user.created".into()]).unwrap(),
            Subscription::Only(vec![EventType::UserCreated])
        );
        assert!(
            S::check_events(&[])
                .unwrap_err()
                .to_string()
                .starts_with("events must name")
        );
        assert!(
            S::check_events(&["user.made".into()])
                .unwrap_err()
                .to_string()
                .contains("\"user.made\"")
        );
    }
}
