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
    audit_failures: IntCounter,
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
        let audit_failures = IntCounter::new(
            "audit_write_failures_total",
            "Successful writes whose audit event could not be recorded (each is logged at error level)",
        )
        .expect("valid metric options");
        let _ = registry.register(Box::new(audit_failures.clone()));
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
            audit_failures,
            commits,
        }
    }

    /// Counts a player commit by its outcome (see `player_commits_total`).
    pub fn record_commit(&self, outcome: &str) {
        self.commits.with_label_values(&[outcome]).inc();
    }

    /// Brings the counter of audit events that could not be recorded up to `failures`, the
    /// audit trail's count since start (read at every scrape). A counter, as its `_total` name
    /// says: it never goes down.
    pub fn set_audit_failures(&self, failures: u64) {
        let counted = self.audit_failures.get();
        if failures > counted {
            self.audit_failures.inc_by(failures - counted);
        }
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

    /// Issue 20: `curricula_audit_write_failures_total` is a counter, as its name says, and
    /// follows the audit trail's count without going down.
    #[test]
    fn audit_write_failures_are_a_counter() {
        let m = Metrics::new();
        m.set_audit_failures(2);
        m.set_audit_failures(2);
        let text = m.render();
        assert!(
            text.contains("# TYPE curricula_audit_write_failures_total counter"),
            "{text}"
        );
        assert!(text.contains("curricula_audit_write_failures_total 2"), "{text}");
        m.set_audit_failures(5);
        assert!(m.render().contains("curricula_audit_write_failures_total 5"));
    }
}
