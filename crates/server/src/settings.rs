//! Configuration: built-in defaults < `./curricula.toml` < `CURRICULA__SECTION__KEY` variables.

use anyhow::Context;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Everything the binary can be configured with.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// HTTP listener.
    pub server: ServerSettings,
    /// The relational store.
    pub database: DatabaseSettings,
    /// The blob store.
    pub storage: StorageSettings,
    /// Upload handling.
    pub upload: UploadSettings,
    /// SCORM package limits.
    pub scorm: curricula_scorm::Limits,
    /// Logging.
    pub log: LogSettings,
    /// Content delivery (launch URLs).
    pub content: ContentSettings,
    /// The blob sweep.
    pub gc: GcSettings,
    /// `Idempotency-Key` handling.
    #[serde(default)]
    pub idempotency: IdempotencySettings,
    /// Webhook delivery.
    #[serde(default)]
    pub webhooks: WebhookSettings,
}

/// Webhook delivery settings.
#[derive(Debug, Clone, Deserialize)]
pub struct WebhookSettings {
    /// Host names whose webhooks may use plain `http` (comma-separated in the environment:
    /// `CURRICULA__WEBHOOKS__ALLOW_HTTP_HOSTS=127.0.0.1,localhost`); empty by default.
    #[serde(default, deserialize_with = "list_or_commas")]
    pub allow_http_hosts: Vec<String>,
    /// The first wait after a failed try, in seconds (fractions allowed, at least 0.001),
    /// doubled per try.
    pub retry_initial_seconds: f64,
    /// Whether this instance delivers webhooks (every `serve` does by default).
    pub deliver: bool,
    /// Days a succeeded delivery stays in its webhook's deliveries log (0: for ever).
    pub keep_delivered_days: u32,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            allow_http_hosts: Vec::new(),
            retry_initial_seconds: 10.0,
            deliver: true,
            keep_delivered_days: 30,
        }
    }
}

impl WebhookSettings {
    /// The use cases' settings.
    pub fn settings(&self) -> curricula_service::webhooks::WebhookSettings {
        curricula_service::webhooks::WebhookSettings {
            allow_http_hosts: self
                .allow_http_hosts
                .iter()
                .map(|h| h.trim().to_owned())
                .filter(|h| !h.is_empty())
                .collect(),
            retry_initial: chrono::Duration::milliseconds(
                (self.retry_initial_seconds.clamp(0.001, 86_400.0) * 1000.0) as i64,
            ),
            keep_delivered: (self.keep_delivered_days > 0)
                .then(|| chrono::Duration::days(i64::from(self.keep_delivered_days))),
            ..curricula_service::webhooks::WebhookSettings::default()
        }
    }
}

/// `Idempotency-Key` settings.
#[derive(Debug, Clone, Deserialize)]
pub struct IdempotencySettings {
    /// How long a key and its stored response are kept, in hours (at least 1).
    pub retention_hours: u64,
}

impl Default for IdempotencySettings {
    fn default() -> Self {
        Self { retention_hours: 24 }
    }
}

impl IdempotencySettings {
    /// The retention window.
    pub fn retention(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.retention_hours.max(1).saturating_mul(3600))
    }
}

/// HTTP listener settings.
#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    /// Address to listen on.
    pub bind: String,
    /// Seconds in-flight requests get on shutdown.
    pub shutdown_grace_seconds: u64,
    /// Worker threads (0 = one per core).
    pub workers: usize,
    /// Peers (IP addresses or CIDR blocks) whose `Forwarded` / `X-Forwarded-*` headers are
    /// believed; empty (the default) = nobody's. A list, or in the environment a
    /// comma-separated string (`CURRICULA__SERVER__TRUSTED_PROXIES=10.0.0.0/8,127.0.0.1`).
    #[serde(default, deserialize_with = "list_or_commas")]
    pub trusted_proxies: Vec<String>,
}

impl ServerSettings {
    /// The parsed `trusted_proxies`.
    ///
    /// # Errors
    /// When an entry is not an IP address or CIDR block (the message names the setting).
    pub fn proxies(&self) -> anyhow::Result<crate::forwarded::TrustedProxies> {
        crate::forwarded::TrustedProxies::parse(&self.trusted_proxies)
    }
}

/// A list of strings, or one string of comma-separated items (how environment variables
/// carry lists).
fn list_or_commas<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ListOrString {
        List(Vec<String>),
        String(String),
    }
    Ok(match ListOrString::deserialize(deserializer)? {
        ListOrString::List(items) => items,
        ListOrString::String(s) => s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}

/// Database settings.
#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    /// `sqlite://path` (may hold a password for other backends: never logged).
    pub url: String,
    /// Connections in the pool.
    pub pool_size: usize,
}

/// Blob-store settings. The S3 fields apply to `s3://` URLs; an empty or absent one falls
/// back to the standard `AWS_*` environment variables.
#[derive(Clone, Deserialize)]
pub struct StorageSettings {
    /// `file:///abs/path`, `s3://bucket/prefix` or `memory://`; empty = `./var/blobs`.
    pub url: String,
    /// S3 endpoint (e.g. `http://127.0.0.1:9000` for an S3-compatible server).
    #[serde(default)]
    pub endpoint: String,
    /// S3 region.
    #[serde(default)]
    pub region: String,
    /// S3 access key id.
    #[serde(default)]
    pub access_key_id: String,
    /// S3 secret access key (never logged).
    #[serde(default)]
    pub secret_access_key: String,
    /// Path-style requests (`virtual_hosted_style_request = false`), which most S3-compatible
    /// servers need.
    #[serde(default)]
    pub path_style: Option<bool>,
    /// Allow a plain `http://` endpoint.
    #[serde(default)]
    pub allow_http: Option<bool>,
}

impl std::fmt::Debug for StorageSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StorageSettings")
            .field("url", &self.url)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("path_style", &self.path_style)
            .field("allow_http", &self.allow_http)
            .finish()
    }
}

impl StorageSettings {
    /// The S3 options these settings give (empty fields left to the environment).
    pub fn s3(&self) -> curricula_store_blob::S3Options {
        let some = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        curricula_store_blob::S3Options {
            endpoint: some(&self.endpoint),
            region: some(&self.region),
            access_key_id: some(&self.access_key_id),
            secret_access_key: some(&self.secret_access_key),
            session_token: None,
            path_style: self.path_style,
            allow_http: self.allow_http,
        }
    }
}

/// Content delivery: signed, expiring launch URLs.
#[derive(Clone, Deserialize)]
pub struct ContentSettings {
    /// The HMAC secret of content URLs; empty = a random one per start (URLs then do not
    /// survive a restart and do not work across instances). Never logged.
    pub secret: String,
    /// How long a launch URL works, in seconds (1 second to a year).
    pub url_lifetime_seconds: u64,
    /// Scheme and host launch URLs start with; `{tenant}` as the first label of the host
    /// gives every tenant's content a host of its own (`https://{tenant}.content.example.com`,
    /// see [`crate::http::origins`]); empty = the host the launch request was sent to.
    pub public_base_url: String,
}

impl std::fmt::Debug for ContentSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContentSettings")
            .field("secret", &"<redacted>")
            .field("url_lifetime_seconds", &self.url_lifetime_seconds)
            .field("public_base_url", &self.public_base_url)
            .finish()
    }
}

/// The blob sweep (`curricula gc`, and periodically in `serve`).
#[derive(Debug, Clone, Deserialize)]
pub struct GcSettings {
    /// Seconds between sweeps in `serve`; 0 = no periodic sweep.
    pub interval_seconds: u64,
    /// Folders written to more recently than this are never removed (an upload may be in
    /// flight).
    pub grace_seconds: u64,
}

/// Upload settings.
#[derive(Debug, Clone, Deserialize)]
pub struct UploadSettings {
    /// Largest accepted body in bytes.
    pub max_bytes: u64,
    /// Spool folder; empty = `./var/tmp`.
    pub tmp_dir: String,
    /// Extraction threads per upload (0 = min(cores, 4)).
    pub threads: usize,
    /// Package revisions kept per language version (at least 2), files included.
    #[serde(default = "default_keep_revisions")]
    pub keep_revisions: u32,
    /// Uploads running at once on this instance (0 = no bound).
    #[serde(default = "default_max_concurrent")]
    pub max_concurrent: usize,
    /// Uploads running at once for one tenant on this instance (0 = no bound).
    #[serde(default = "default_max_concurrent_per_tenant")]
    pub max_concurrent_per_tenant: usize,
    /// Seconds a body may send nothing before it is cut off (408).
    #[serde(default = "default_idle_timeout_seconds")]
    pub idle_timeout_seconds: u64,
    /// Slowest average body rate, in bytes per second, after the first 10 seconds (0 = none).
    #[serde(default = "default_min_bytes_per_second")]
    pub min_bytes_per_second: u64,
}

fn default_max_concurrent() -> usize {
    crate::api::upload::intake::IntakeSettings::default().max_concurrent
}

fn default_max_concurrent_per_tenant() -> usize {
    crate::api::upload::intake::IntakeSettings::default().max_concurrent_per_tenant
}

fn default_idle_timeout_seconds() -> u64 {
    crate::api::upload::intake::IntakeSettings::default()
        .idle_timeout
        .as_secs()
}

fn default_min_bytes_per_second() -> u64 {
    crate::api::upload::intake::IntakeSettings::default().min_bytes_per_second
}

impl UploadSettings {
    /// The intake bounds these settings give.
    pub fn intake(&self) -> crate::api::upload::intake::IntakeSettings {
        crate::api::upload::intake::IntakeSettings {
            max_concurrent: self.max_concurrent,
            max_concurrent_per_tenant: self.max_concurrent_per_tenant,
            idle_timeout: std::time::Duration::from_secs(self.idle_timeout_seconds.max(1)),
            min_bytes_per_second: self.min_bytes_per_second,
            ..Default::default()
        }
    }
}

fn default_keep_revisions() -> u32 {
    curricula_service::upload::DEFAULT_REVISIONS_KEPT
}

/// Log settings.
#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    /// `text` or `json`.
    pub format: String,
}

impl Settings {
    /// Loads the layered configuration; `file` replaces `./curricula.toml` when given.
    ///
    /// # Errors
    /// When a source is malformed or a value has the wrong type.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut builder = config::Config::builder().add_source(config::File::from_str(
            include_str!("../config/default.toml"),
            config::FileFormat::Toml,
        ));
        builder = match file {
            Some(path) => builder.add_source(config::File::from(path).required(true)),
            None => builder.add_source(config::File::with_name("curricula").required(false)),
        };
        let settings: Self = builder
            .add_source(
                config::Environment::with_prefix("CURRICULA")
                    .prefix_separator("__")
                    .separator("__"),
            )
            .build()
            .context("reading the configuration")?
            .try_deserialize()
            .context("reading the configuration")?;
        Ok(settings)
    }

    /// The blob-store URL, defaulting to `file://` + absolute `./var/blobs`.
    ///
    /// # Errors
    /// When the current directory cannot be read.
    pub fn storage_url(&self) -> anyhow::Result<String> {
        if !self.storage.url.trim().is_empty() {
            return Ok(self.storage.url.trim().to_owned());
        }
        let dir = std::env::current_dir()?.join("var").join("blobs");
        Ok(format!("file://{}", dir.display()))
    }

    /// The upload spool folder, created when missing.
    ///
    /// # Errors
    /// When it cannot be created.
    pub fn tmp_dir(&self) -> anyhow::Result<PathBuf> {
        let dir = if self.upload.tmp_dir.trim().is_empty() {
            PathBuf::from("var").join("tmp")
        } else {
            PathBuf::from(self.upload.tmp_dir.trim())
        };
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(dir)
    }

    /// Extraction settings for the service.
    pub fn ingest(&self) -> curricula_service::IngestSettings {
        let mut ingest = curricula_service::IngestSettings {
            limits: self.scorm.clone(),
            ..Default::default()
        };
        if self.upload.threads > 0 {
            ingest.threads = self.upload.threads;
        }
        ingest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(toml: &str) -> Result<ServerSettings, config::ConfigError> {
        config::Config::builder()
            .add_source(config::File::from_str(toml, config::FileFormat::Toml))
            .build()?
            .try_deserialize()
    }

    #[test]
    fn trusted_proxies_are_a_list_or_a_comma_separated_string() {
        let base = "bind = \"x\"\nshutdown_grace_seconds = 1\nworkers = 0\n";
        assert!(server(base).unwrap().trusted_proxies.is_empty(), "absent = nobody");
        let list = server(&format!("{base}trusted_proxies = [\"10.0.0.0/8\", \"::1\"]")).unwrap();
        assert_eq!(list.trusted_proxies, ["10.0.0.0/8", "::1"]);
        // How CURRICULA__SERVER__TRUSTED_PROXIES arrives.
        let string = server(&format!("{base}trusted_proxies = \"10.0.0.0/8, 127.0.0.1,\"")).unwrap();
        assert_eq!(string.trusted_proxies, ["10.0.0.0/8", "127.0.0.1"]);
        assert!(string.proxies().unwrap().trusts(Some("127.0.0.1:9".parse().unwrap())));
        let bad = server(&format!("{base}trusted_proxies = \"10.0.0.0/8,proxy.internal\"")).unwrap();
        let e = bad.proxies().unwrap_err().to_string();
        assert!(
            e.contains("server.trusted_proxies") && e.contains("proxy.internal"),
            "{e}"
        );
    }

    #[test]
    fn the_defaults_parse_with_nobody_trusted() {
        let settings: Settings = config::Config::builder()
            .add_source(config::File::from_str(
                include_str!("../config/default.toml"),
                config::FileFormat::Toml,
            ))
            .build()
            .unwrap()
            .try_deserialize()
            .unwrap();
        assert!(settings.server.proxies().unwrap().is_empty());
        assert_eq!(
            crate::http::origins::ContentOrigins::parse(&settings.content.public_base_url).unwrap(),
            crate::http::origins::ContentOrigins::Shared
        );
    }
}
