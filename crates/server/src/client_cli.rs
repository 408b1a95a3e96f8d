//! The client commands of the `curricula` binary: `upload` (a package, checked locally first,
//! streamed with a progress bar), `tree` (a path's sections and entries) and `enrollment` (a
//! learner's progress).
//!
//! They talk to a running service over HTTP with a small blocking client (`ureq`, plain HTTP
//! or whatever TLS the proxy in front terminates); they need no configuration file.

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::Value;
use std::fmt::Write as _;
use std::io::{Cursor, IsTerminal, Read};
use std::path::{Path, PathBuf};

/// `curricula upload`: create a SCORM activity (optionally in a new or existing course), add a
/// language version to an activity, or replace a language version's package.
///
/// Every request carries an `Idempotency-Key`, so a timeout, a dropped connection, a 409 or a
/// 502/503/504 is retried (up to 3 times) without creating anything twice.
#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("placement").args(["course", "parent"])))]
pub struct UploadArgs {
    /// Base URL of the service, e.g. http://localhost:8080.
    #[arg(long, env = "CURRICULA_SERVER")]
    pub server: String,
    /// Upload key bound to `--origin` (prefer the environment variable `CURRICULA_API_KEY`: it
    /// stays out of `ps`). `--key` and `CURRICULA_KEY`, the old spellings, still work.
    #[arg(long = "api-key", alias = "key", env = "CURRICULA_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// The origin the key is bound to.
    #[arg(long)]
    pub origin: String,
    /// The owning user (required unless adding a language).
    #[arg(long, required_unless_present = "language")]
    pub user: Option<String>,
    /// Create a course with this name first and put the package in it.
    #[arg(long, conflicts_with = "language")]
    pub course: Option<String>,
    /// Put the package in this existing course.
    #[arg(long, conflicts_with = "language")]
    pub parent: Option<i64>,
    /// Add a language version (culture code, e.g. is-IS) to `--activity` instead of creating one.
    #[arg(long, requires = "activity")]
    pub language: Option<String>,
    /// The activity that gets the language version (or whose package `--replace` replaces).
    #[arg(long, requires = "language")]
    pub activity: Option<i64>,
    /// Replace the package of `--activity`'s `--language` version (a new revision) instead of
    /// adding a language.
    #[arg(long, requires = "language")]
    pub replace: bool,
    /// Name of the activity or language version (default: the package's title).
    #[arg(long)]
    pub name: Option<String>,
    /// Organisation ids, comma-separated (default: all).
    #[arg(long)]
    pub organisations: Option<String>,
    /// Submit as an asynchronous import (`Prefer: respond-async`): the server answers once
    /// it has the package, and the command follows the job until it ends.
    #[arg(long = "async")]
    pub asynchronous: bool,
    /// The SCORM package (.zip).
    pub package: PathBuf,
}

/// `curricula tree`: print a path's sections and entries with their settings.
#[derive(clap::Args, Debug)]
pub struct TreeArgs {
    /// Base URL of the service, e.g. http://localhost:8080.
    #[arg(long, env = "CURRICULA_SERVER")]
    pub server: String,
    /// Any API key of the tenant (sent as `Authorization: Bearer`, never in the URL); prefer
    /// `CURRICULA_API_KEY`. `--key` and `CURRICULA_KEY` still work.
    #[arg(long = "api-key", alias = "key", env = "CURRICULA_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// The path (a course activity id).
    #[arg(long)]
    pub curriculum: i64,
}

/// `curricula enrollment`: print an enrollment's status, score, time and attempts, and what
/// each SCO of its current attempt reported.
#[derive(clap::Args, Debug)]
pub struct EnrollmentArgs {
    /// Base URL of the service, e.g. http://localhost:8080.
    #[arg(long, env = "CURRICULA_SERVER")]
    pub server: String,
    /// Any API key of the tenant (sent as `Authorization: Bearer`); prefer `CURRICULA_API_KEY`.
    #[arg(long = "api-key", alias = "key", env = "CURRICULA_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// The enrollment id.
    pub id: i64,
}

/// `curricula progress`: print every enrolled learner's progress in a path as a table.
#[derive(clap::Args, Debug)]
pub struct ProgressArgs {
    /// Base URL of the service, e.g. http://localhost:8080.
    #[arg(long, env = "CURRICULA_SERVER")]
    pub server: String,
    /// Any API key of the tenant (sent as `Authorization: Bearer`); prefer `CURRICULA_API_KEY`.
    #[arg(long = "api-key", alias = "key", env = "CURRICULA_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// The path (a course activity id).
    #[arg(long)]
    pub curriculum: i64,
}

/// `curricula sync`: make a path the tree kept in a file (`PUT /api/v2/curricula/{id}`).
#[derive(clap::Args, Debug)]
pub struct SyncArgs {
    /// Base URL of the service, e.g. http://localhost:8080.
    #[arg(long, env = "CURRICULA_SERVER")]
    pub server: String,
    /// Any API key of the tenant (sent as `Authorization: Bearer`); prefer `CURRICULA_API_KEY`.
    #[arg(long = "api-key", alias = "key", env = "CURRICULA_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// The path (a course activity id).
    #[arg(long)]
    pub curriculum: i64,
    /// Print the changes the tree would make, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Apply only to this version of the path (its `ETag`, as `tree` or a previous sync printed it).
    #[arg(long)]
    pub if_match: Option<String>,
    /// The tree, as `GET /api/v2/curricula/{id}` answers it: `{"sections": [{…, "entries": [{…}]}]}`.
    pub file: PathBuf,
}

/// The key of a client command: `--api-key` (alias `--key`), else `CURRICULA_API_KEY`, else
/// the old `CURRICULA_KEY`.
///
/// # Errors
/// When none is given (the message names all three).
pub fn api_key(given: Option<&str>) -> anyhow::Result<String> {
    given
        .map(str::to_owned)
        .or_else(|| std::env::var("CURRICULA_KEY").ok())
        .map(|k| k.trim().to_owned())
        .filter(|k| !k.is_empty())
        .context("an API key is required: set CURRICULA_API_KEY (or pass --api-key; CURRICULA_KEY and --key also work)")
}

fn agent() -> ureq::Agent {
    ureq::Agent::new_with_config(ureq::config::Config::builder().http_status_as_error(false).build())
}

fn base(server: &str) -> String {
    server.trim_end_matches('/').to_owned()
}

/// Reads a response: its status and its body as JSON (a string value when not JSON).
fn read_response(mut response: ureq::http::Response<ureq::Body>) -> anyhow::Result<(u16, Value)> {
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().context("reading the response")?;
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Ok((status, body))
}

/// The message of an upload API error body.
fn upload_error(status: u16, body: &Value) -> anyhow::Error {
    let message = body["errorMessage"]
        .as_str()
        .map_or_else(|| body.to_string(), str::to_owned);
    anyhow::anyhow!("the server answered {status}: {message}")
}

/// The streamed multipart body: the text parts and the file part's header, the file, the end.
type FileBody<R> = std::io::Chain<std::io::Chain<Cursor<Vec<u8>>, R>, Cursor<Vec<u8>>>;

/// A multipart body: text fields, then at most one file part streamed from disk.
struct Multipart {
    boundary: String,
    head: Vec<u8>,
}

impl Multipart {
    fn new() -> Self {
        let mut random = [0u8; 12];
        let _ = getrandom::fill(&mut random);
        let boundary = format!(
            "curricula-{}",
            random.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
        Self {
            boundary,
            head: Vec::new(),
        }
    }

    fn text(&mut self, name: &str, value: &str) {
        self.head.extend_from_slice(
            format!(
                "--{}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n",
                self.boundary
            )
            .as_bytes(),
        );
    }

    fn content_type(&self) -> String {
        format!("multipart/form-data; boundary={}", self.boundary)
    }

    /// The body without a file.
    fn finish(mut self) -> (String, Vec<u8>) {
        self.head
            .extend_from_slice(format!("--{}--\r\n", self.boundary).as_bytes());
        (self.content_type(), self.head)
    }

    /// The body with `file` as the `file` part: the length, and a reader that streams it.
    fn with_file<R: Read>(mut self, file_name: &str, file: R, file_len: u64) -> (String, u64, FileBody<R>) {
        let file_name = file_name.replace(['"', '\r', '\n'], "_");
        self.head.extend_from_slice(
            format!(
                "--{}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/zip\r\n\r\n",
                self.boundary
            )
            .as_bytes(),
        );
        let tail = format!("\r\n--{}--\r\n", self.boundary).into_bytes();
        let len = self.head.len() as u64 + file_len + tail.len() as u64;
        let content_type = self.content_type();
        let reader = Cursor::new(self.head).chain(file).chain(Cursor::new(tail));
        (content_type, len, reader)
    }
}

/// Inspects `package` as the server will; returns its title.
///
/// # Errors
/// When the package is refused (the kind and the message, as the server would say).
pub fn check_package(package: &Path) -> anyhow::Result<String> {
    let limits = curricula_scorm::Limits::default();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).min(4);
    let inspection = curricula_scorm::inspect_and_verify(|| std::fs::File::open(package), &limits, threads)
        .map_err(|r| anyhow::anyhow!("package refused locally ({}): {}", r.kind.as_str(), r.message))?;
    inspection
        .ensure_launchable()
        .map_err(|r| anyhow::anyhow!("package refused locally ({}): {}", r.kind.as_str(), r.message))?;
    let title = serde_json::to_value(&inspection)
        .ok()
        .and_then(|v| v["title"].as_str().map(str::to_owned))
        .filter(|t| !t.trim().is_empty());
    Ok(title.unwrap_or_else(|| {
        package
            .file_stem()
            .map_or_else(|| "package".to_owned(), |s| s.to_string_lossy().into_owned())
    }))
}

fn progress_bar(len: u64) -> ProgressBar {
    let target = if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(len), target);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Waits before the retries of a request that failed in transport or with a 502/503/504.
const RETRY_WAITS: [std::time::Duration; 3] = [
    std::time::Duration::from_secs(1),
    std::time::Duration::from_secs(2),
    std::time::Duration::from_secs(4),
];
/// How long a request answered 409 (the same request still running under the key) is polled:
/// a large package may take minutes to unpack.
const IN_PROGRESS_LIMIT: std::time::Duration = std::time::Duration::from_secs(15 * 60);
/// The longest wait between two polls of a request still running.
const IN_PROGRESS_MAX_WAIT: std::time::Duration = std::time::Duration::from_secs(15);

/// A fresh `Idempotency-Key` for one logical request.
///
/// # Errors
/// When the system has no random source (a constant key would mix up requests).
fn idempotency_key() -> anyhow::Result<String> {
    let mut random = [0u8; 16];
    getrandom::fill(&mut random).map_err(|e| anyhow::anyhow!("no random source for an Idempotency-Key: {e}"))?;
    Ok(format!(
        "curricula-cli-{}",
        random.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ))
}

/// Whether an answer is worth the same request again under the same key (409 is handled
/// apart: the request is still running).
fn retryable(status: u16) -> bool {
    matches!(status, 502..=504)
}

/// POSTs the body `make` builds (again for each attempt) to `url` under one
/// `Idempotency-Key`, retrying transport failures and retryable answers; shows a progress bar
/// over the body's bytes when `progress`.
fn post_retrying<R: Read + Send + 'static>(
    agent: &ureq::Agent,
    url: &str,
    progress: bool,
    make: impl Fn() -> anyhow::Result<(String, u64, R)>,
) -> anyhow::Result<(u16, Value)> {
    post_preferring(agent, url, progress, None, make)
}

/// [`post_retrying`] with a `Prefer` header, when `prefer` is set.
fn post_preferring<R: Read + Send + 'static>(
    agent: &ureq::Agent,
    url: &str,
    progress: bool,
    prefer: Option<&str>,
    make: impl Fn() -> anyhow::Result<(String, u64, R)>,
) -> anyhow::Result<(u16, Value)> {
    let key = idempotency_key()?;
    let mut waits = RETRY_WAITS.iter();
    let started = std::time::Instant::now();
    let mut poll = std::time::Duration::from_secs(1);
    loop {
        let (content_type, len, reader) = make()?;
        let bar = if progress {
            progress_bar(len)
        } else {
            ProgressBar::hidden()
        };
        let mut request = agent
            .post(url)
            .header("content-type", &content_type)
            .header("content-length", &len.to_string())
            .header("idempotency-key", &key);
        if let Some(prefer) = prefer {
            request = request.header("prefer", prefer);
        }
        let sent = request.send(ureq::SendBody::from_owned_reader(bar.wrap_read(reader)));
        bar.finish_and_clear();
        let outcome = sent.map_err(anyhow::Error::from).and_then(read_response);
        let why = match &outcome {
            // The first attempt is still running on the server: ask again until it answers.
            Ok((409, _)) if started.elapsed() < IN_PROGRESS_LIMIT => {
                eprintln!(
                    "the server is still working on this upload; asking again in {} s",
                    poll.as_secs()
                );
                std::thread::sleep(poll);
                poll = (poll * 2).min(IN_PROGRESS_MAX_WAIT);
                continue;
            }
            Ok((status, _)) if !retryable(*status) => return outcome,
            Ok((status, _)) => format!("the server answered {status}"),
            Err(e) => format!("{e:#}"),
        };
        let Some(wait) = waits.next() else {
            return outcome.with_context(|| format!("sending to {url} (Idempotency-Key {key})"));
        };
        eprintln!("{why}; retrying in {} s with the same Idempotency-Key", wait.as_secs());
        std::thread::sleep(*wait);
    }
}

/// A text-only form as a body for [`post_retrying`].
fn text_body(fields: &[(&str, &str)]) -> anyhow::Result<(String, u64, Cursor<Vec<u8>>)> {
    let mut form = Multipart::new();
    for (field, value) in fields {
        form.text(field, value);
    }
    let (content_type, body) = form.finish();
    Ok((content_type, body.len() as u64, Cursor::new(body)))
}

/// Runs `curricula upload`; prints the activity id on stdout (and the revision, for
/// `--replace`).
///
/// # Errors
/// When the package is refused locally, the server cannot be reached, or it refuses the upload.
pub fn upload(args: &UploadArgs) -> anyhow::Result<()> {
    let key = api_key(args.api_key.as_deref())?;
    let title = check_package(&args.package)?;
    let name = args.name.clone().unwrap_or(title);
    let server = base(&args.server);
    let agent = agent();
    let user = args.user.as_deref().unwrap_or_default();
    let organisations = args.organisations.as_deref();
    let mut parent = args.parent;
    if let Some(course) = &args.course {
        // Everything the package's request will check but the file, before the course
        // exists: a refusal then leaves no empty course behind.
        let mut fields = vec![
            ("key", key.as_str()),
            ("origin", args.origin.as_str()),
            ("activityType", "course"),
            ("name", course.as_str()),
            ("userName", user),
        ];
        if let Some(organisations) = organisations {
            fields.push(("organisationIds", organisations));
        }
        let (status, body) = post_retrying(&agent, &format!("{server}/api/activityupload/validate"), false, || {
            text_body(&fields)
        })?;
        if status != 200 {
            return Err(upload_error(status, &body).context("checking the request before creating the course"));
        }
        fields.retain(|(field, _)| *field != "organisationIds");
        let (status, body) = post_retrying(&agent, &format!("{server}/api/activityupload/new"), false, || {
            text_body(&fields)
        })?;
        if status != 201 {
            return Err(upload_error(status, &body).context("creating the course"));
        }
        let id = body["activityId"]
            .as_i64()
            .context("the server did not return an activityId")?;
        eprintln!("created course {id} ({course})");
        parent = Some(id);
    }
    let mut fields: Vec<(&str, String)> = vec![("key", key.clone()), ("origin", args.origin.clone())];
    let (endpoint, created) = match (&args.language, args.activity) {
        (Some(language), Some(activity)) if args.replace => {
            fields.push(("activityId", activity.to_string()));
            fields.push(("languageId", language.clone()));
            ("replace", 200)
        }
        (Some(language), Some(activity)) => {
            fields.push(("name", name));
            fields.push(("activityId", activity.to_string()));
            fields.push(("languageId", language.clone()));
            ("addlanguage", 201)
        }
        _ => {
            fields.push(("name", name));
            fields.push(("activityType", "scorm".into()));
            fields.push(("userName", user.to_owned()));
            if let Some(parent) = parent {
                fields.push(("parentActivityId", parent.to_string()));
            }
            if let Some(organisations) = organisations {
                fields.push(("organisationIds", organisations.to_owned()));
            }
            ("new", 201)
        }
    };
    let file_name = args
        .package
        .file_name()
        .map_or_else(|| "package.zip".to_owned(), |n| n.to_string_lossy().into_owned());
    let (prefer, created) = if args.asynchronous {
        (Some("respond-async"), 202)
    } else {
        (None, created)
    };
    let url = format!("{server}/api/activityupload/{endpoint}");
    let result = post_preferring(&agent, &url, true, prefer, || {
        let file = std::fs::File::open(&args.package).with_context(|| format!("opening {}", args.package.display()))?;
        let file_len = file.metadata().map(|m| m.len()).unwrap_or_default();
        let mut form = Multipart::new();
        for (field, value) in &fields {
            form.text(field, value);
        }
        Ok(form.with_file(&file_name, file, file_len))
    });
    let outcome = result.and_then(|(status, body)| {
        if status == created {
            Ok(body)
        } else {
            Err(upload_error(status, &body))
        }
    });
    let body = match (outcome, &args.course, parent) {
        (Ok(body), _, _) => body,
        (Err(e), Some(_), Some(course)) => {
            return Err(e.context(format!(
                "course {course} was created; if the package is not in it \
                 (curricula tree --curriculum {course}), upload it with --parent {course}"
            )));
        }
        (Err(e), _, _) => return Err(e),
    };
    let body = if args.asynchronous {
        let job = body["importId"]
            .as_i64()
            .context("the server did not return an importId")?;
        follow_import(&agent, &server, &key, job)?
    } else {
        body
    };
    let id = body["activityId"]
        .as_i64()
        .context("the server did not return an activityId")?;
    if args.replace && !args.asynchronous {
        let message = body["message"].as_str().unwrap_or_default();
        eprintln!("{message}");
        println!("{id} revision {}", body["revision"]);
    } else {
        println!("{id}");
    }
    Ok(())
}

/// The wait between two polls of an import job.
const IMPORT_POLL: std::time::Duration = std::time::Duration::from_millis(500);
/// How many polls in a row may fail (transport, 5xx) before the command gives up.
const IMPORT_POLL_FAILURES: u32 = 10;

/// Polls `GET /api/v2/imports/{job}` until the job ends, printing each status it reaches
/// (with a spinner on a terminal) and the package's warnings; answers the finished job.
///
/// # Errors
/// When the job failed (with its `errorMessage`), or the server stops answering.
fn follow_import(agent: &ureq::Agent, server: &str, key: &str, job: i64) -> anyhow::Result<Value> {
    let spinner = if std::io::stderr().is_terminal() {
        ProgressBar::new_spinner()
    } else {
        ProgressBar::hidden()
    };
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    let url = format!("{server}/api/v2/imports/{job}");
    let mut last = String::new();
    let mut failures = 0;
    let record = loop {
        let answer = agent
            .get(&url)
            .header("authorization", &format!("Bearer {key}"))
            .header("accept", "application/json")
            .call()
            .map_err(anyhow::Error::from)
            .and_then(read_response);
        let record = match answer {
            Ok((200, record)) => {
                failures = 0;
                record
            }
            Ok((status, body)) if status < 500 => {
                spinner.finish_and_clear();
                anyhow::bail!("reading import {job}: the server answered {status}: {body}");
            }
            outcome => {
                failures += 1;
                if failures >= IMPORT_POLL_FAILURES {
                    spinner.finish_and_clear();
                    let why = match outcome {
                        Ok((status, _)) => format!("the server answered {status}"),
                        Err(e) => format!("{e:#}"),
                    };
                    anyhow::bail!("reading import {job}: {why}; see {url}");
                }
                std::thread::sleep(IMPORT_POLL);
                continue;
            }
        };
        let status = record["status"].as_str().unwrap_or("unknown").to_owned();
        if status != last {
            spinner.suspend(|| eprintln!("import {job}: {status}"));
            spinner.set_message(format!("import {job} {status}"));
            last = status.clone();
        }
        if matches!(status.as_str(), "succeeded" | "failed") {
            break record;
        }
        std::thread::sleep(IMPORT_POLL);
    };
    spinner.finish_and_clear();
    for warning in record["warnings"].as_array().into_iter().flatten() {
        eprintln!("warning: {}", warning.as_str().unwrap_or_default());
    }
    if record["status"] == "failed" {
        let message = record["errorMessage"].as_str().unwrap_or("no reason given");
        anyhow::bail!("import {job} failed: {message}");
    }
    Ok(record)
}

/// Attributes that place a record rather than configure it.
const STRUCTURAL: [&str; 10] = [
    "id",
    "name",
    "parent_id",
    "lft",
    "rgt",
    "curriculum_id",
    "course_id",
    "account_id",
    "updated_by",
    "updated_on",
];

/// `key=value` for every setting of `record` that is set.
fn settings(record: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let Some(map) = record.as_object() else { return out };
    for (key, value) in map {
        if STRUCTURAL.contains(&key.as_str()) || value.is_null() {
            continue;
        }
        if let Some(nested) = value.as_object() {
            for (k, v) in nested {
                if !v.is_null() {
                    out.push(format!("{k}={}", plain(v)));
                }
            }
        } else {
            out.push(format!("{key}={}", plain(value)));
        }
    }
    out
}

fn plain(value: &Value) -> String {
    value.as_str().map_or_else(|| value.to_string(), str::to_owned)
}

/// Renders the records of one path as a tree: sections in order, each with its entries.
pub fn render_tree(curriculum: i64, title: Option<&str>, records: &[Value]) -> String {
    let mut records: Vec<&Value> = records.iter().collect();
    records.sort_by_key(|r| r["lft"].as_i64().unwrap_or_default());
    let mut out = match title {
        Some(title) => format!("path {curriculum}: {title}\n"),
        None => format!("path {curriculum}\n"),
    };
    let sections: Vec<&Value> = records.iter().copied().filter(|r| r["course_id"].is_null()).collect();
    if sections.is_empty() {
        out.push_str("(no sections)\n");
    }
    for (i, section) in sections.iter().enumerate() {
        let last_section = i + 1 == sections.len();
        let (branch, indent) = if last_section {
            ("└── ", "    ")
        } else {
            ("├── ", "│   ")
        };
        let mut line = format!(
            "{branch}{} [section {}]",
            section["name"].as_str().unwrap_or("(unnamed)"),
            section["id"]
        );
        let s = settings(section);
        if !s.is_empty() {
            let _ = write!(line, " {}", s.join(" "));
        }
        out.push_str(&line);
        out.push('\n');
        let entries: Vec<&Value> = records
            .iter()
            .copied()
            .filter(|r| !r["course_id"].is_null() && r["parent_id"] == section["id"])
            .collect();
        for (j, entry) in entries.iter().enumerate() {
            let branch = if j + 1 == entries.len() {
                "└── "
            } else {
                "├── "
            };
            let mut line = format!(
                "{indent}{branch}{} [entry {}, activity {}]",
                entry["name"].as_str().unwrap_or("(unnamed)"),
                entry["id"],
                entry["course_id"]
            );
            let s = settings(entry);
            if !s.is_empty() {
                let _ = write!(line, " {}", s.join(" "));
            }
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

/// Runs `curricula tree`; prints the tree on stdout.
///
/// # Errors
/// When the server cannot be reached or refuses the request.
pub fn tree(args: &TreeArgs) -> anyhow::Result<()> {
    let server = base(&args.server);
    let agent = agent();
    let bearer = format!("Bearer {}", api_key(args.api_key.as_deref())?);
    let url = format!(
        "{server}/api/v2/curriculum_activities?curriculum_activity%5Bcurriculum_id%5D={}",
        args.curriculum
    );
    let response = agent
        .get(&url)
        .header("authorization", &bearer)
        .header("accept", "application/json")
        .call()
        .with_context(|| format!("reading path {} from {server}", args.curriculum))?;
    let (status, body) = read_response(response)?;
    if status != 200 {
        bail!("the server answered {status}: {body}");
    }
    let records = body.as_array().cloned().unwrap_or_default();
    let title = agent
        .get(&format!("{server}/api/v2/activities/{}", args.curriculum))
        .header("authorization", &bearer)
        .call()
        .ok()
        .and_then(|r| read_response(r).ok())
        .filter(|(status, _)| *status == 200)
        .and_then(|(_, a)| a["name"].as_str().map(str::to_owned));
    if records.is_empty() && title.is_none() {
        bail!("path {} was not found", args.curriculum);
    }
    print!("{}", render_tree(args.curriculum, title.as_deref(), &records));
    Ok(())
}

/// A duration in seconds as hours, minutes and seconds (`1 h 02 min 03 s`).
fn duration(seconds: f64) -> String {
    let total = seconds.max(0.0).round() as u64;
    let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
    if h > 0 {
        format!("{h} h {m:02} min {s:02} s")
    } else if m > 0 {
        format!("{m} min {s:02} s")
    } else {
        format!("{s} s")
    }
}

/// An enrollment as `curricula enrollment` prints it.
pub fn render_enrollment(e: &Value) -> String {
    let mut out = String::new();
    let score = e["score"].as_f64().map_or("-".to_owned(), |s| format!("{s}"));
    let _ = writeln!(
        out,
        "Enrollment {} of user {} in {} {}",
        plain(&e["id"]),
        plain(&e["user_id"]),
        plain(&e["kind"]),
        plain(&e["course_id"])
    );
    let _ = writeln!(out, "  status    {} ({})", plain(&e["status"]), plain(&e["success"]));
    let _ = writeln!(out, "  score     {score}");
    let _ = writeln!(
        out,
        "  time      {}",
        duration(e["total_time_seconds"].as_f64().unwrap_or(0.0))
    );
    let _ = writeln!(out, "  attempts  {}", plain(&e["attempts"]));
    for (label, key) in [("started", "started_on"), ("completed", "completed_on")] {
        if let Some(at) = e[key].as_str() {
            let _ = writeln!(out, "  {label:<9} {at}");
        }
    }
    let runtime = &e["runtime"];
    if runtime.is_object() {
        let state = if runtime["ended_on"].is_string() {
            "ended"
        } else {
            "running"
        };
        let _ = writeln!(
            out,
            "Attempt {} (revision {}, {state}): {} ({})",
            plain(&runtime["attempt"]),
            plain(&runtime["revision"]),
            plain(&runtime["status"]),
            plain(&runtime["success"])
        );
        for sco in runtime["scos"].as_array().into_iter().flatten() {
            let raw = sco["score_raw"].as_f64().map_or("-".to_owned(), |s| format!("{s}"));
            let _ = writeln!(
                out,
                "  {}: {} / {}, score {raw}, location {}, {} of suspend data, {}, exit {}",
                plain(&sco["sco"]),
                plain(&sco["completion_status"]),
                plain(&sco["success_status"]),
                sco["location"].as_str().unwrap_or("-"),
                plain(&sco["suspend_data_length"]),
                duration(sco["total_time_seconds"].as_f64().unwrap_or(0.0)),
                sco["exit"].as_str().unwrap_or("-")
            );
        }
    }
    out
}

/// Prints an enrollment's progress.
///
/// # Errors
/// When the server cannot be reached or refuses the request.
pub fn enrollment(args: &EnrollmentArgs) -> anyhow::Result<()> {
    let server = base(&args.server);
    let bearer = format!("Bearer {}", api_key(args.api_key.as_deref())?);
    let response = agent()
        .get(&format!("{server}/api/v2/enrollments/{}", args.id))
        .header("authorization", &bearer)
        .header("accept", "application/json")
        .call()
        .with_context(|| format!("reading enrollment {} from {server}", args.id))?;
    let (status, body) = read_response(response)?;
    if status != 200 {
        bail!("the server answered {status}: {body}");
    }
    print!("{}", render_enrollment(&body));
    Ok(())
}

/// A path's progress report (`GET /api/v2/curricula/{id}/progress` rows) as a table.
pub fn render_progress(curriculum: i64, rows: &[Value]) -> String {
    let header = ["user", "username", "status", "success", "score", "entries", "completed"];
    let mut table: Vec<[String; 7]> = vec![header.map(str::to_owned)];
    for r in rows {
        table.push([
            plain(&r["user_id"]),
            plain(&r["username"]),
            plain(&r["status"]),
            plain(&r["success"]),
            r["score"].as_f64().map_or("-".to_owned(), |s| format!("{s}")),
            format!("{}/{}", plain(&r["entries_completed"]), plain(&r["entries_total"])),
            r["completed_on"]
                .as_str()
                .map_or("-", |d| d.get(..10).unwrap_or(d))
                .to_owned(),
        ]);
    }
    let widths: Vec<usize> = (0..7)
        .map(|i| table.iter().map(|row| row[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    let _ = writeln!(out, "Path {curriculum}: {} learner(s)", rows.len());
    for row in &table {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
    }
    out
}

/// One line per change a sync made (or would make): `update_position entry 40 'Fire safety'`.
pub fn render_changes(changes: &[Value]) -> String {
    let mut out = String::new();
    for change in changes {
        let record = if change["after"].is_null() {
            &change["before"]
        } else {
            &change["after"]
        };
        let kind = if record["course_id"].is_null() {
            "section"
        } else {
            "entry"
        };
        let id = change["id"]
            .as_i64()
            .map_or_else(|| "(new)".to_owned(), |id| id.to_string());
        let mut line = format!(
            "{:<16} {kind:<7} {id:>6} '{}'",
            change["action"].as_str().unwrap_or("?"),
            plain(&record["name"])
        );
        if let Some(course) = record["course_id"].as_i64() {
            line.push_str(&format!(" (activity {course})"));
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// Most bytes of a tree file read (the service takes 4 MiB).
const MAX_TREE_FILE: u64 = 4 * 1024 * 1024;

/// Makes a path the tree of a file, or with `--dry-run` prints what that would change.
///
/// # Errors
/// When the file cannot be read, the server cannot be reached, or it refuses the tree (every
/// problem printed, each naming where it is).
pub fn sync(args: &SyncArgs) -> anyhow::Result<()> {
    let server = base(&args.server);
    let bearer = format!("Bearer {}", api_key(args.api_key.as_deref())?);
    let file = std::fs::File::open(&args.file).with_context(|| format!("opening {}", args.file.display()))?;
    let mut tree = String::new();
    file.take(MAX_TREE_FILE + 1)
        .read_to_string(&mut tree)
        .with_context(|| format!("reading {}", args.file.display()))?;
    if tree.len() as u64 > MAX_TREE_FILE {
        bail!(
            "{} is larger than 4 MiB, the most the service takes",
            args.file.display()
        );
    }
    serde_json::from_str::<Value>(&tree).with_context(|| format!("{} is not JSON", args.file.display()))?;
    let url = format!(
        "{server}/api/v2/curricula/{}{}",
        args.curriculum,
        if args.dry_run { "?dry_run=true" } else { "" }
    );
    let mut request = agent()
        .put(&url)
        .header("authorization", &bearer)
        .header("content-type", "application/json")
        .header("accept", "application/json");
    if let Some(tag) = &args.if_match {
        let tag = if tag.starts_with('"') {
            tag.clone()
        } else {
            format!("\"{tag}\"")
        };
        request = request.header("if-match", &tag);
    }
    let response = request
        .send(tree.as_bytes())
        .with_context(|| format!("sending the tree of path {} to {server}", args.curriculum))?;
    let etag = response
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let (status, body) = read_response(response)?;
    match status {
        200 => {}
        412 => bail!(
            "the path changed since {}: its ETag is now {etag}; read it again",
            args.if_match.as_deref().unwrap_or("?")
        ),
        422 => {
            let problems: Vec<String> = body
                .as_array()
                .map(|a| a.iter().map(plain).collect())
                .unwrap_or_else(|| vec![plain(&body)]);
            bail!("the tree was refused, nothing changed:\n  {}", problems.join("\n  "));
        }
        _ => bail!("the server answered {status}: {body}"),
    }
    let changes = body["changes"].as_array().cloned().unwrap_or_default();
    print!("{}", render_changes(&changes));
    let sent: Value = serde_json::from_str(&tree).unwrap_or_default();
    let unnamed = sent["sections"]
        .as_array()
        .map_or(0, |s| s.iter().filter(|s| s["id"].is_null()).count());
    if unnamed > 0 && !args.dry_run {
        eprintln!(
            "note: {unnamed} section(s) of {} have no id, so every sync creates them anew; \
             keep the ids the service gave them (GET /api/v2/curricula/{} answers the tree with them)",
            args.file.display(),
            args.curriculum
        );
    }
    match (args.dry_run, changes.len()) {
        (true, n) => println!(
            "dry run: {n} change(s) would be made to path {}; nothing written",
            args.curriculum
        ),
        (false, 0) => println!(
            "path {} is already this tree; nothing changed (ETag {etag})",
            args.curriculum
        ),
        (false, n) => println!("{n} change(s) made to path {} (ETag {etag})", args.curriculum),
    }
    Ok(())
}

/// Prints the progress of every learner enrolled in a path (every page).
///
/// # Errors
/// When the server cannot be reached or refuses the request.
pub fn progress(args: &ProgressArgs) -> anyhow::Result<()> {
    let server = base(&args.server);
    let bearer = format!("Bearer {}", api_key(args.api_key.as_deref())?);
    let mut rows = Vec::new();
    for page in 1.. {
        let response = agent()
            .get(&format!(
                "{server}/api/v2/curricula/{}/progress?page={page}",
                args.curriculum
            ))
            .header("authorization", &bearer)
            .header("accept", "application/json")
            .call()
            .with_context(|| format!("reading the progress of path {} from {server}", args.curriculum))?;
        let (status, body) = read_response(response)?;
        if status != 200 {
            bail!("the server answered {status}: {body}");
        }
        let items = body.as_array().cloned().unwrap_or_default();
        let last = items.len() < 50;
        rows.extend(items);
        if last {
            break;
        }
    }
    print!("{}", render_progress(args.curriculum, &rows));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_progress_report_is_a_table() {
        let rows = [
            json!({"user_id": 7, "username": "anna", "status": "completed", "success": "passed", "score": 88.0,
                   "entries_completed": 2, "entries_total": 2, "completed_on": "2026-12-03T11:02:03.000Z"}),
            json!({"user_id": 12, "username": "bjorn", "status": "not-started", "success": "unknown", "score": null,
                   "entries_completed": 0, "entries_total": 2, "completed_on": null}),
        ];
        let text = render_progress(4, &rows);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "Path 4: 2 learner(s)");
        assert_eq!(
            lines[1],
            "user  username  status       success  score  entries  completed"
        );
        assert_eq!(
            lines[2],
            "7     anna      completed    passed   88     2/2      2026-12-03"
        );
        assert_eq!(lines[3], "12    bjorn     not-started  unknown  -      0/2      -");
    }

    #[test]
    fn an_enrollment_prints_its_summary_and_each_sco() {
        let e = json!({"id": 3, "user_id": 7, "kind": "scorm", "course_id": 12, "status": "completed",
            "success": "passed", "score": 90.0, "total_time_seconds": 3723.0, "attempts": 1,
            "started_on": "2026-12-03T10:00:00.000Z", "completed_on": "2026-12-03T11:02:03.000Z",
            "runtime": {"attempt": 1, "revision": 1, "ended_on": "2026-12-03T11:02:03.000Z", "status": "completed",
                "success": "passed", "scos": [{"sco": "item-1", "completion_status": "completed",
                "success_status": "passed", "score_raw": 90.0, "location": "end", "suspend_data_length": 4,
                "total_time_seconds": 3723.0, "exit": null}]}});
        let text = render_enrollment(&e);
        assert!(text.contains("status    completed (passed)"), "{text}");
        assert!(text.contains("time      1 h 02 min 03 s"), "{text}");
        assert!(
            text.contains("Attempt 1 (revision 1, ended): completed (passed)"),
            "{text}"
        );
        assert!(
            text.contains("item-1: completed / passed, score 90, location end, 4 of suspend data"),
            "{text}"
        );
    }

    #[test]
    fn a_tree_lists_sections_in_order_with_their_entries_and_settings() {
        let records = [
            json!({"id": 3, "name": "Optional", "parent_id": null, "lft": 5, "rgt": 6, "course_id": null,
                   "sequence_attributes": {"control_mode": "optional", "completions_min": null, "attempts_max": null}}),
            json!({"id": 1, "name": "Section 1", "parent_id": null, "lft": 1, "rgt": 4, "course_id": null,
                   "lock_until": "2027-01-01", "sequence_attributes": {"control_mode": "choice"}}),
            json!({"id": 2, "name": "Fire drill", "parent_id": 1, "lft": 2, "rgt": 3, "course_id": 7, "weight": 1,
                   "sequence_attributes": {"control_mode": null, "attempts_max": 2}}),
        ];
        let tree = render_tree(1, Some("HSE"), &records);
        assert_eq!(
            tree,
            "path 1: HSE\n\
             ├── Section 1 [section 1] lock_until=2027-01-01 control_mode=choice\n\
             │   └── Fire drill [entry 2, activity 7] attempts_max=2 weight=1\n\
             └── Optional [section 3] control_mode=optional\n"
        );
    }

    #[test]
    fn a_multipart_body_declares_its_exact_length() {
        let mut form = Multipart::new();
        form.text("key", "k");
        let (_, len, mut reader) = form.with_file("a\".zip", Cursor::new(vec![1u8; 10]), 10);
        let mut body = Vec::new();
        reader.read_to_end(&mut body).unwrap();
        assert_eq!(body.len() as u64, len);
        let text = String::from_utf8_lossy(&body);
        assert!(text.contains("filename=\"a_.zip\""));
        assert!(text.ends_with("--\r\n"));
    }
}
