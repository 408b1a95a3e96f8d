//! Prometheus metrics, served as text at `/metrics`.
//!
//! One registry for the process. Labels have bounded values: the route *pattern* (never the
//! raw path), the status code, the refusal kind, the error source.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
    exponential_buckets,
};
use std::sync::OnceLock;

/// Every metric of the service.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    upload_bytes: IntCounter,
    ingest: HistogramVec,
    refused: IntCounterVec,
    errors: IntCounterVec,
    turned_away: IntCounterVec,
    pool: IntGaugeVec,
    events_last_id: prometheus::IntGauge,
    deliveries: IntCounterVec,
    webhook_queue: prometheus::GaugeVec,
    commits: IntCounterVec,
}

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}

impl Metrics {
    fn new() -> Self {
        let registry = Registry::new_custom(Some("curricula".into()), None).expect("valid registry prefix");
        let requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by method, route pattern and status",
            ),
            &["method", "route", "status"],
        );
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "HTTP request latency by method and route pattern",
            )
            .buckets(exponential_buckets(0.001, 2.5, 12).expect("valid buckets")),
            &["method", "route"],
        );
        let upload_bytes = IntCounter::new("upload_bytes_total", "Bytes of SCORM packages received (file parts)");
        let ingest = HistogramVec::new(
            HistogramOpts::new(
                "ingest_duration_seconds",
                "Time to inspect, extract and record an uploaded package, by endpoint and outcome",
            )
            .buckets(exponential_buckets(0.01, 2.0, 14).expect("valid buckets")),
            &["endpoint", "outcome"],
        );
        let refused = IntCounterVec::new(
            Opts::new("packages_refused_total", "SCORM packages refused, by refusal kind"),
            &["kind"],
        );
        let errors = IntCounterVec::new(
            Opts::new(
                "server_errors_total",
                "5xx answers by cause: database, database_unavailable (connection or pool), blob_store, spool, other",
            ),
            &["source"],
        );
        let turned_away = IntCounterVec::new(
            Opts::new(
                "requests_turned_away_total",
                "Requests refused before their work began, by reason: busy_instance, busy_tenant (429), stalled_body (408), malformed_http (400 from the HTTP parser, not logged)",
            ),
            &["reason"],
        );
        // The names, help texts, labels and buckets above are constants: these cannot fail.
        let requests = requests.expect("valid metric options");
        let latency = latency.expect("valid metric options");
        let upload_bytes = upload_bytes.expect("valid metric options");
        let ingest = ingest.expect("valid metric options");
        let refused = refused.expect("valid metric options");
        let errors = errors.expect("valid metric options");
        let turned_away = turned_away.expect("valid metric options");
        let _ = registry.register(Box::new(turned_away.clone()));
        let _ = registry.register(Box::new(requests.clone()));
        let _ = registry.register(Box::new(latency.clone()));
        let _ = registry.register(Box::new(upload_bytes.clone()));
        let _ = registry.register(Box::new(ingest.clone()));
        let _ = registry.register(Box::new(refused.clone()));
        let _ = registry.register(Box::new(errors.clone()));
        let pool = IntGaugeVec::new(
            Opts::new(
                "db_pool_connections",
                "Database pool connections by state: max, open, idle, waiting (requests waiting for one)",
            ),
            &["state"],
        )
        .expect("valid metric options");
        let _ = registry.register(Box::new(pool.clone()));
        let events_last_id = prometheus::IntGauge::new(
            "event_log_last_id",
            "Id of the latest event appended to the log, over every instance (its rate is about the events appended per second)",
        )
        .expect("valid metric options");
        let _ = registry.register(Box::new(events_last_id.clone()));
        let deliveries = IntCounterVec::new(
            Opts::new(
                "webhook_deliveries_total",
                "Webhook delivery tries of this instance by outcome: succeeded (2xx), retried (failed, tried again later), failed (given up after 24 hours)",
            ),
            &["outcome"],
        )
        .expect("valid metric options");
        let _ = registry.register(Box::new(deliveries.clone()));
        let webhook_queue = prometheus::GaugeVec::new(
            Opts::new(
                "webhook_queue",
                "The delivery queue over every instance: pending (deliveries waiting), failed (given up), failing_webhooks (active webhooks whose next delivery has failed at least once), oldest_pending_seconds (the delivery lag: age of the oldest waiting delivery), last_delivery_lag_seconds (this instance's latest delivery, from its event)",
            ),
            &["figure"],
        )
        .expect("valid metric options");
        let _ = registry.register(Box::new(webhook_queue.clone()));
        let commits = IntCounterVec::new(
            Opts::new(
                "player_commits_total",
                "Commits of the learners' players by outcome: stored, stale (a repeated or old sequence number, nothing changed), refused (422: the data model), ended (409), bad_request (400, 413, 415), bad_token (403, 410), error (5xx)",
            ),
            &["outcome"],
        )
        .expect("valid metric options");
        let _ = registry.register(Box::new(commits.clone()));
        Self {
            registry,
            requests,
            latency,
            upload_bytes,
            ingest,
            refused,
            errors,
            turned_away,
            pool,
            events_last_id,
            deliveries,
            webhook_queue,
            commits,
        }
    }

    /// Counts a player commit by its outcome (see `player_commits_total`).
    pub fn record_commit(&self, outcome: &str) {
        self.commits.with_label_values(&[outcome]).inc();
    }

    /// The event log's and the webhook queue's figures, read at a scrape (`None`: the store
    /// could not tell; the figure keeps its last value).
    pub fn set_event_figures(&self, last_id: Option<i64>, queue: Option<curricula_ports::QueueFigures>) {
        if let Some(id) = last_id {
            self.events_last_id.set(id);
        }
        if let Some(q) = queue {
            let set = |figure: &str, value: f64| self.webhook_queue.with_label_values(&[figure]).set(value);
            set("pending", q.pending as f64);
            set("failed", q.failed as f64);
            set("failing_webhooks", q.failing_webhooks as f64);
            set("oldest_pending_seconds", q.oldest_pending_seconds);
        }
    }

    /// Brings the delivery counters up to the deliverer's `counters` (read at a scrape).
    pub fn set_deliveries(&self, counters: &curricula_service::webhooks::DeliveryCounters) {
        use std::sync::atomic::Ordering::Relaxed;
        for (outcome, count) in [
            ("succeeded", counters.succeeded.load(Relaxed)),
            ("retried", counters.retried.load(Relaxed)),
            ("failed", counters.failed.load(Relaxed)),
        ] {
            let counter = self.deliveries.with_label_values(&[outcome]);
            if count > counter.get() {
                counter.inc_by(count - counter.get());
            }
        }
        let lag = counters.last_lag_ms.load(Relaxed) as f64 / 1000.0;
        self.webhook_queue
            .with_label_values(&["last_delivery_lag_seconds"])
            .set(lag);
    }

    /// Sets the database pool gauges (read at every scrape).
    pub fn set_pool(&self, status: curricula_store_sql::PoolStatus) {
        for (state, value) in [
            ("max", status.max),
            ("open", status.open),
            ("idle", status.idle),
            ("waiting", status.waiting),
        ] {
            self.pool
                .with_label_values(&[state])
                .set(i64::try_from(value).unwrap_or(i64::MAX));
        }
    }

    /// Counts a finished request; `route` is its pattern (`/api/v2/curriculum_activities/{id}`).
    pub fn observe_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let method = match method {
            "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS" => method,
            _ => "other",
        };
        self.requests
            .with_label_values(&[method, route, &status.to_string()])
            .inc();
        self.latency.with_label_values(&[method, route]).observe(seconds);
    }

    /// Counts the bytes of a received package.
    pub fn record_upload_bytes(&self, bytes: u64) {
        self.upload_bytes.inc_by(bytes);
    }

    /// Records how long an upload with a package took in the use case (`outcome`: `ok`,
    /// `refused`, `error`).
    pub fn observe_ingest(&self, endpoint: &str, outcome: &str, seconds: f64) {
        self.ingest.with_label_values(&[endpoint, outcome]).observe(seconds);
    }

    /// Counts a refused package by its refusal kind (`manifest_not_at_root`, ...).
    pub fn record_refusal(&self, kind: &str) {
        self.refused.with_label_values(&[kind]).inc();
    }

    /// Counts a request turned away before its work began (`busy_instance`, `busy_tenant`,
    /// `stalled_body`, `malformed_http`).
    pub fn record_turned_away(&self, reason: &str) {
        self.turned_away.with_label_values(&[reason]).inc();
    }

    /// Counts a 5xx answer by its cause.
    pub fn record_server_error(&self, source: &str) {
        self.errors.with_label_values(&[source]).inc();
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        // Encoding into a Vec only fails on metric families that cannot occur here.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text_with_labels() {
        let m = Metrics::new();
        m.observe_request("GET", "/api/v2/activities/{id}", 404, 0.002);
        m.observe_request("BREW", "unmatched", 405, 0.001);
        m.record_upload_bytes(1234);
        m.observe_ingest("new", "ok", 0.5);
        m.record_refusal("manifest_not_at_root");
        m.record_server_error("blob_store");
        let text = m.render();
        assert!(text.contains(
            "curricula_http_requests_total{method=\"GET\",route=\"/api/v2/activities/{id}\",status=\"404\"} 1"
        ));
        assert!(text.contains("method=\"other\""), "unknown methods are folded");
        assert!(text.contains("curricula_http_request_duration_seconds_bucket{method=\"GET\""));
        assert!(text.contains("curricula_upload_bytes_total 1234"));
        assert!(text.contains("curricula_ingest_duration_seconds_count{endpoint=\"new\",outcome=\"ok\"} 1"));
        assert!(text.contains("curricula_packages_refused_total{kind=\"manifest_not_at_root\"} 1"));
        assert!(text.contains("curricula_server_errors_total{source=\"blob_store\"} 1"));
        assert!(text.contains("# TYPE curricula_http_request_duration_seconds histogram"));
    }

    /// Issue 17: a webhook failing for an hour shows in the queue figures.
    #[test]
    fn webhook_figures_are_exported() {
        let m = Metrics::new();
        m.set_event_figures(
            Some(42),
            Some(curricula_ports::QueueFigures {
                pending: 3,
                oldest_pending_seconds: 3_600.0,
                failing_webhooks: 1,
                failed: 0,
            }),
        );
        let counters = curricula_service::webhooks::DeliveryCounters::default();
        counters.retried.store(4, std::sync::atomic::Ordering::Relaxed);
        m.set_deliveries(&counters);
        m.set_deliveries(&counters);
        let text = m.render();
        for line in [
            "curricula_event_log_last_id 42",
            "curricula_webhook_queue{figure=\"failing_webhooks\"} 1",
            "curricula_webhook_queue{figure=\"oldest_pending_seconds\"} 3600",
            "curricula_webhook_deliveries_total{outcome=\"retried\"} 4",
        ] {
            assert!(text.contains(line), "{line} in {text}");
        }
    }
}
