//! The webhook deliverer of this instance: an HTTP sender (no redirects, bounded time and
//! answer) and the loop that runs the deliverer's rounds (docs/API.md, "Webhooks").

use async_trait::async_trait;
use curricula_ports::WebhookRepository;
use curricula_service::webhooks::{Deliverer, WebhookSender};
use std::time::Duration;

/// How long a delivery may take in all.
const TIMEOUT: Duration = Duration::from_secs(10);
/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The most of an answer read (the rest is dropped with the connection).
const MAX_ANSWER_BYTES: usize = 64 * 1024;
/// The wait between two rounds that found nothing to do.
const IDLE: Duration = Duration::from_millis(200);
/// The wait after a round the store failed.
const AFTER_FAILURE: Duration = Duration::from_secs(2);
/// How often old succeeded deliveries are pruned (and once at start).
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// POSTs deliveries with reqwest.
pub struct HttpSender {
    client: reqwest::Client,
}

impl HttpSender {
    /// A sender that follows no redirect and gives up after 10 seconds.
    ///
    /// # Errors
    /// When the HTTP client cannot be built (no TLS backend).
    pub fn new() -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("curricula-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { client })
    }
}

#[async_trait]
impl WebhookSender for HttpSender {
    async fn post(&self, url: &str, headers: Vec<(&'static str, String)>, body: Vec<u8>) -> Result<u16, String> {
        let mut request = self.client.post(url).body(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        // The error names the failure, never the headers (the signature) or the body.
        let mut answer = request.send().await.map_err(|e| without_url(&e))?;
        let status = answer.status().as_u16();
        let mut read = 0;
        while let Ok(Some(chunk)) = answer.chunk().await {
            read += chunk.len();
            if read >= MAX_ANSWER_BYTES {
                break;
            }
        }
        Ok(status)
    }
}

/// A reqwest error's kind, without the URL (it may hold a token in its query).
fn without_url(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_redirect() {
        "redirected (redirects are not followed)"
    } else if e.is_request() {
        "the request failed"
    } else {
        "failed"
    };
    let mut text = kind.to_owned();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Runs `deliverer`'s rounds until the process ends: at once again while there is work, after
/// a short wait when there is none; prunes old succeeded deliveries every [`PRUNE_EVERY`].
pub fn spawn(deliverer: Deliverer<dyn WebhookRepository>) {
    tokio::spawn(async move {
        let mut pruned_at: Option<std::time::Instant> = None;
        loop {
            if pruned_at.is_none_or(|at| at.elapsed() >= PRUNE_EVERY) {
                pruned_at = Some(std::time::Instant::now());
                match deliverer.prune().await {
                    Ok(0) => {}
                    Ok(pruned) => tracing::info!(pruned, "old succeeded webhook deliveries pruned"),
                    Err(e) => tracing::warn!(error = %e, "old webhook deliveries not pruned; trying again in an hour"),
                }
            }
            match deliverer.round().await {
                Ok(0) => tokio::time::sleep(deliverer.idle_wait(IDLE)).await,
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "webhook delivery round failed; trying again shortly");
                    tokio::time::sleep(AFTER_FAILURE).await;
                }
            }
        }
    });
}
