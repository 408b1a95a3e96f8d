//! The Activity Upload API: `POST /api/activityupload/new` and `/addlanguage` (multipart).
//!
//! The body is read as a stream: text fields are kept (bounded), the `file` part is spooled to
//! a temporary file while its SHA-256 is computed, and the whole body is cut off with 413 as
//! soon as it crosses the configured limit.

use crate::http::idempotency::{Api, guard};
use crate::state::AppState;
use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_LENGTH;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use curricula_domain::{InvalidField, LanguageCode};
use curricula_service::{Actor, Fingerprint, Package, RevisionChange, Rollback};
use futures::{Stream, StreamExt, TryStreamExt};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

mod form;
pub mod intake;
pub mod jobs;
pub mod schema;
mod validate;

pub use form::UploadApiError;
pub use validate::package_json;

use form::{SpooledFile, UploadForm, add_command, create_command, parse_id, replace_command, timed_ingest};

use intake::{Paced, Slot};

/// Longest text field accepted.
const MAX_FIELD_BYTES: usize = 64 * 1024;
/// Most parts accepted in one request.
const MAX_PARTS: usize = 64;
/// Most bytes of text fields together in one request.
const MAX_TEXT_BYTES: usize = 256 * 1024;

/// Registers the upload routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/activityupload")
            .route("/new", web::post().to(new_activity))
            .route("/addlanguage", web::post().to(add_language))
            .route("/validate", web::post().to(validate))
            .route("/replace", web::post().to(replace_package))
            .route("/rollback", web::post().to(rollback)),
    );
}

/// Chunks of a file part on their way to the spool writer.
const SPOOL_QUEUE: usize = 16;

/// Counts body bytes and fails the stream once `limit` is crossed.
struct Limited<S> {
    inner: S,
    seen: u64,
    limit: u64,
    crossed: Arc<AtomicBool>,
}

impl<S, E> Stream for Limited<S>
where
    S: Stream<Item = Result<web::Bytes, E>> + Unpin,
    E: Into<actix_web::error::PayloadError>,
{
    type Item = Result<web::Bytes, actix_web::error::PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                self.seen += chunk.len() as u64;
                if self.seen > self.limit {
                    self.crossed.store(true, Ordering::Relaxed);
                    return Poll::Ready(Some(Err(actix_web::error::PayloadError::Overflow)));
                }
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e.into()))),
            other => other.map(|o| o.map(|r| r.map_err(Into::into))),
        }
    }
}

/// An upload request let in: its form, who sends it, and its place among the uploads in
/// flight (held until the response).
struct Admitted {
    form: UploadForm,
    actor: Actor,
    _slot: Slot,
}

/// Reads and authenticates an upload request.
///
/// In order: a place on this instance (429 when none), the declared length (413), then the
/// parts as they arrive. The credentials are checked as soon as the `file` part begins (or
/// at the end when there is none), before a byte of it is stored: a `file` before `key` and
/// `origin` is refused, and so is a tenant with too many uploads in flight. A body that stalls
/// or crawls is cut off (408).
async fn admit(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    extract_early: bool,
) -> Result<Admitted, UploadApiError> {
    let retry_after = state.intake.settings.retry_after.as_secs().max(1);
    let slot = state
        .intake
        .enter()
        .map_err(|busy| UploadApiError::Busy(busy, retry_after))?;
    let limit = state.max_body_bytes;
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit) {
        return Err(UploadApiError::TooLarge(limit));
    }
    let crossed = Arc::new(AtomicBool::new(false));
    let stalled = Arc::new(std::sync::Mutex::new(None));
    let limited = Limited {
        inner: payload,
        seen: 0,
        limit,
        crossed: Arc::clone(&crossed),
    };
    let paced = Paced::new(limited, &state.intake.settings, Arc::clone(&stalled));
    let multipart = Multipart::new(req.headers(), paced);
    let mut reading = Reading {
        slot,
        actor: None,
        retry_after,
        extract_early,
    };
    let mut form = UploadForm {
        fields: HashMap::new(),
        file: None,
    };
    let read = read_parts(multipart, state, req, &mut reading, &mut form).await;
    if read.is_err() {
        discard_early(&form).await;
    }
    read.map_err(|e| {
        if crossed.load(Ordering::Relaxed) {
            return UploadApiError::TooLarge(limit);
        }
        match *stalled.lock().unwrap_or_else(std::sync::PoisonError::into_inner) {
            Some(why) => UploadApiError::Stalled(why),
            None => e,
        }
    })?;
    let actor = match reading.actor.take() {
        Some(actor) => actor,
        None => reading.authenticate(state, req, &form).await?,
    };
    Ok(Admitted {
        form,
        actor,
        _slot: reading.slot,
    })
}

/// The state of a request while its parts are read.
struct Reading {
    slot: Slot,
    actor: Option<Actor>,
    retry_after: u64,
    /// Whether the file's entries are stored while it arrives (writes, not a dry run).
    extract_early: bool,
}

impl Reading {
    /// Authenticates the fields read so far and counts the upload against its tenant.
    async fn authenticate(
        &mut self,
        state: &AppState,
        req: &HttpRequest,
        form: &UploadForm,
    ) -> Result<Actor, UploadApiError> {
        let actor = authenticate(state, req, form).await?;
        self.slot
            .for_tenant(actor.caller.tenant)
            .map_err(|busy| UploadApiError::Busy(busy, self.retry_after))?;
        Ok(actor)
    }
}

/// Undoes what was extracted from the form's file while it arrived, unless an ingest kept it;
/// returns when the files are removed.
async fn discard_early(form: &UploadForm) {
    if let Some(early) = form.file.as_ref().and_then(|f| f.source.early()) {
        early.discard().await;
    }
}

async fn read_parts(
    mut multipart: Multipart,
    state: &AppState,
    req: &HttpRequest,
    reading: &mut Reading,
    form: &mut UploadForm,
) -> Result<(), UploadApiError> {
    let malformed = |e: actix_multipart::MultipartError| UploadApiError::Malformed(e.to_string());
    let mut parts = 0;
    let mut text_bytes = 0;
    while let Some(mut field) = multipart.try_next().await.map_err(malformed)? {
        parts += 1;
        if parts > MAX_PARTS {
            return Err(UploadApiError::Malformed(format!("more than {MAX_PARTS} parts")));
        }
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            if form.file.is_some() {
                return Err(InvalidField::new("file", "was sent more than once").into());
            }
            if !(form.fields.contains_key("key") && form.fields.contains_key("origin")) {
                return Err(UploadApiError::FileBeforeCredentials);
            }
            if reading.actor.is_none() {
                reading.actor = Some(reading.authenticate(state, req, form).await?);
            }
            let early = reading
                .actor
                .as_ref()
                .filter(|_| reading.extract_early)
                .map(|actor| actor.caller.tenant);
            form.file = Some(spool(&mut field, state, early).await?);
            continue;
        }
        let mut value = Vec::new();
        while let Some(chunk) = field.try_next().await.map_err(malformed)? {
            // Unknown fields are ignored, but still read (bounded) to reach the next part.
            if value.len() + chunk.len() > MAX_FIELD_BYTES {
                return Err(UploadApiError::Part(format!(
                    "{name} is longer than {MAX_FIELD_BYTES} bytes"
                )));
            }
            text_bytes += chunk.len();
            if text_bytes > MAX_TEXT_BYTES {
                return Err(UploadApiError::Part(format!(
                    "the text fields are longer than {MAX_TEXT_BYTES} bytes together"
                )));
            }
            value.extend_from_slice(&chunk);
        }
        let value =
            String::from_utf8(value).map_err(|_| UploadApiError::Part(format!("{name} is not valid UTF-8 text")))?;
        if form.fields.contains_key(&name) {
            return Err(UploadApiError::Part(format!("{name} was sent more than once")));
        }
        form.fields.insert(name, value);
    }
    Ok(())
}

/// Streams a file part to a temporary file, hashing it on the way. The chunks are written by
/// a blocking task of their own (a bounded queue in between), which says how far the file
/// is written; with `early` (the tenant of a write request) the package's entries are
/// extracted from the growing file meanwhile ([`UploadService::extract_early`]).
///
/// [`UploadService::extract_early`]: curricula_service::UploadService::extract_early
async fn spool(
    field: &mut actix_multipart::Field,
    state: &AppState,
    early: Option<curricula_domain::TenantId>,
) -> Result<Package, UploadApiError> {
    let temp = tempfile::NamedTempFile::new_in(&state.tmp_dir).map_err(UploadApiError::Spool)?;
    let (mut file, path) = temp.into_parts();
    let arrival = Arc::new(curricula_scorm::Arrival::new());
    // Discarded below when the body fails (and, as a fallback, when dropped unused).
    let early = early.map(|tenant| {
        state
            .uploads
            .extract_early(tenant, path.to_path_buf(), Arc::clone(&arrival))
    });
    let (chunks, mut queue) = tokio::sync::mpsc::channel::<web::Bytes>(SPOOL_QUEUE);
    let written = Arc::clone(&arrival);
    let writer = tokio::task::spawn_blocking(move || {
        use std::io::Write as _;
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        while let Some(chunk) = queue.blocking_recv() {
            file.write_all(&chunk)?;
            hasher.update(&chunk);
            size += chunk.len() as u64;
            written.advance(size);
        }
        Ok::<_, io::Error>((hasher.finalize(), size))
    });
    let mut failed = None;
    while let Some(chunk) = field.next().await {
        match chunk {
            Ok(chunk) => {
                if chunks.send(chunk).await.is_err() {
                    // The writer failed; its error is below.
                    break;
                }
            }
            Err(e) => {
                failed = Some(UploadApiError::Malformed(e.to_string()));
                break;
            }
        }
    }
    drop(chunks);
    let spooled = match writer.await {
        Ok(Ok(spooled)) => Ok(spooled),
        Ok(Err(e)) => Err(UploadApiError::Spool(e)),
        Err(e) => Err(UploadApiError::Spool(io::Error::other(e))),
    };
    let (digest, size) = match (failed, spooled) {
        (None, Ok(spooled)) => spooled,
        (Some(e), _) | (None, Err(e)) => {
            if let Some(early) = &early {
                early.discard().await;
            }
            return Err(e);
        }
    };
    arrival.complete();
    Ok(Package {
        source: Arc::new(SpooledFile { early, path }),
        sha256: digest.iter().map(|b| format!("{b:02x}")).collect(),
        size,
    })
}

/// The fingerprint of an upload request for `Idempotency-Key`: the endpoint, every field but
/// the credentials (`key`, `origin`), by name, and the file's SHA-256.
fn form_fingerprint(operation: &str, form: &UploadForm) -> String {
    let mut fields: Vec<(&String, &String)> = form
        .fields
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "key" | "origin"))
        .collect();
    fields.sort();
    let mut fingerprint = Fingerprint::new(operation);
    for (name, value) in fields {
        fingerprint = fingerprint.part(name).part(value);
    }
    let file = form.file.as_ref().map_or("no file", |f| f.sha256.as_str());
    fingerprint.part("file").part(file).finish()
}

/// Authenticates an upload request by its `key` and `origin`, records its tenant for the
/// access log, and says who makes it (for the audit trail: the caller, the origin its key is
/// bound to, the request's id).
async fn authenticate(state: &AppState, req: &HttpRequest, form: &UploadForm) -> Result<Actor, UploadApiError> {
    let key = form.required("key")?;
    let origin = form.required("origin")?;
    let caller = state.uploads.authenticate(key, origin).await?;
    crate::http::telemetry::record_tenant(req, caller.tenant);
    Ok(Actor {
        caller,
        origin: curricula_domain::Origin::parse(origin).ok().map(|o| o.to_string()),
        request_id: crate::http::telemetry::request_id_of(req),
    })
}

/// The writes of the upload API.
#[derive(Debug, Clone, Copy)]
enum Write {
    New,
    AddLanguage,
    Replace,
    Rollback,
}

impl Write {
    /// The import job it can be run as (`Prefer: respond-async`); none for a rollback.
    fn kind(self) -> Option<curricula_ports::ImportKind> {
        match self {
            Self::New => Some(curricula_ports::ImportKind::New),
            Self::AddLanguage => Some(curricula_ports::ImportKind::AddLanguage),
            Self::Replace => Some(curricula_ports::ImportKind::Replace),
            Self::Rollback => None,
        }
    }

    /// What its `Idempotency-Key` fingerprint names it.
    fn operation(self) -> &'static str {
        match self {
            Self::New => "POST /api/activityupload/new",
            Self::AddLanguage => "POST /api/activityupload/addlanguage",
            Self::Replace => "POST /api/activityupload/replace",
            Self::Rollback => "POST /api/activityupload/rollback",
        }
    }
}

/// Every write: the form, authentication, then the work under the request's
/// `Idempotency-Key`, if any.
async fn write(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
    write: Write,
) -> Result<HttpResponse, UploadApiError> {
    let asynchronous = jobs::prefers_async(&req) && write.kind().is_some();
    // An asynchronous import keeps the spooled zip for its job: nothing is extracted early.
    let Admitted { form, actor, _slot } = admit(&req, payload, &state, !asynchronous).await?;
    if let Some(kind) = write.kind().filter(|_| asynchronous) {
        let operation = format!("{} (respond-async)", write.operation());
        let fingerprint = form_fingerprint(&operation, &form);
        let work = async {
            jobs::submit(&state, &actor, &form, kind)
                .await
                .unwrap_or_else(|e| e.error_response())
        };
        return Ok(guard(&state, &req, Api::Upload, actor.caller, fingerprint, work).await);
    }
    let fingerprint = form_fingerprint(write.operation(), &form);
    let work = async {
        let response = match write {
            Write::New => create(&state, &actor, &form).await,
            Write::AddLanguage => add(&state, &actor, &form).await,
            Write::Replace => replace(&state, &actor, &form).await,
            Write::Rollback => roll_back(&state, &actor, &form).await,
        };
        response.unwrap_or_else(|e| e.error_response())
    };
    let response = guard(&state, &req, Api::Upload, actor.caller, fingerprint, work).await;
    // A refused form, an unchanged package, a replay: what was extracted early goes.
    discard_early(&form).await;
    Ok(response)
}

/// Creates a SCORM activity or a course (the API text's `/new`).
///
/// Fields are checked in this order: `key` and `origin`, authentication, then the others.
/// With `parentActivityId` the new activity becomes the last entry of that course's last section.
#[utoipa::path(
    post, path = "/api/activityupload/new", tag = "Activity Upload API",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes the request retry-safe: a repeat with the same key and the same request within the retention window gets the first response again (with `Idempotent-Replayed: true`); see docs/API.md"), ("Prefer" = Option<String>, Header, description = "`respond-async`: answer 202 once the body is received and checked as a zip, and run the write as an import job (see docs/API.md, \"Asynchronous imports\")")),
    request_body(content = crate::api::upload::schema::NewActivityForm, content_type = "multipart/form-data"),
    responses(
        (status = 202, description = "Queued as an asynchronous import (with `Prefer: respond-async`); `Location` is the job", body = crate::api::upload::schema::ImportAccepted, headers(("Location" = String, description = "`/api/v2/imports/{importId}`"))),
        (status = 201, description = "Created", body = crate::api::upload::schema::ActivityCreated),
        (status = 400, description = "A field is missing, repeated or malformed, refers to nothing of the tenant, or the package is refused (the message names the field or the refusal kind)", body = crate::http::error::UploadErrorBody),
        crate::http::error::UploadFailures, crate::http::error::UploadBusy,
    )
)]
async fn new_activity(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, UploadApiError> {
    write(state, req, payload, Write::New).await
}

async fn create(state: &AppState, actor: &Actor, form: &UploadForm) -> Result<HttpResponse, UploadApiError> {
    let command = create_command(form)?;
    let id = timed_ingest(
        "new",
        command.package.as_ref().map(|p| p.size),
        state.uploads.create_activity(actor, command),
    )
    .await?;
    Ok(HttpResponse::Created().json(serde_json::json!({ "activityId": id.0 })))
}

/// Adds a language version to an activity (the API text's `/addlanguage`).
#[utoipa::path(
    post, path = "/api/activityupload/addlanguage", tag = "Activity Upload API",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes the request retry-safe: a repeat with the same key and the same request within the retention window gets the first response again (with `Idempotent-Replayed: true`); see docs/API.md"), ("Prefer" = Option<String>, Header, description = "`respond-async`: answer 202 once the body is received and checked as a zip, and run the write as an import job (see docs/API.md, \"Asynchronous imports\")")),
    request_body(content = crate::api::upload::schema::AddLanguageForm, content_type = "multipart/form-data"),
    responses(
        (status = 202, description = "Queued as an asynchronous import (with `Prefer: respond-async`); `Location` is the job", body = crate::api::upload::schema::ImportAccepted, headers(("Location" = String, description = "`/api/v2/imports/{importId}`"))),
        (status = 201, description = "The language version was added", body = crate::api::upload::schema::ActivityCreated),
        (status = 400, description = "A field is missing, repeated or malformed, refers to nothing of the tenant, or the package is refused (the message names the field or the refusal kind)", body = crate::http::error::UploadErrorBody),
        crate::http::error::UploadFailures, crate::http::error::UploadBusy,
    )
)]
async fn add_language(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, UploadApiError> {
    write(state, req, payload, Write::AddLanguage).await
}

async fn add(state: &AppState, actor: &Actor, form: &UploadForm) -> Result<HttpResponse, UploadApiError> {
    let command = add_command(form)?;
    let id = timed_ingest(
        "addlanguage",
        command.package.as_ref().map(|p| p.size),
        state.uploads.add_language(actor, command),
    )
    .await?;
    Ok(HttpResponse::Created().json(serde_json::json!({ "activityId": id.0 })))
}

/// Stores a new revision of a language version's package (`/replace`).
///
/// The activity id, its curricula and its other languages are untouched; launches serve the
/// new revision from now on, while launch URLs signed before keep serving the revision they
/// were signed for until they expire. A package byte-identical to the current one changes
/// nothing and says so (`"unchanged": true`).
#[utoipa::path(
    post, path = "/api/activityupload/replace", tag = "Activity Upload API",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes the request retry-safe; see docs/API.md"), ("Prefer" = Option<String>, Header, description = "`respond-async`: answer 202 once the body is received and checked as a zip, and run the write as an import job (see docs/API.md, \"Asynchronous imports\")")),
    request_body(content = crate::api::upload::schema::ReplaceForm, content_type = "multipart/form-data"),
    responses(
        (status = 202, description = "Queued as an asynchronous import (with `Prefer: respond-async`); `Location` is the job", body = crate::api::upload::schema::ImportAccepted, headers(("Location" = String, description = "`/api/v2/imports/{importId}`"))),
        (status = 200, description = "The revision now current, and whether anything changed", body = crate::api::upload::schema::RevisionResult),
        (status = 400, description = "A field is missing or malformed, names no SCORM language version of the tenant, or the package is refused", body = crate::http::error::UploadErrorBody),
        crate::http::error::UploadFailures, crate::http::error::UploadBusy,
    )
)]
async fn replace_package(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, UploadApiError> {
    write(state, req, payload, Write::Replace).await
}

async fn replace(state: &AppState, actor: &Actor, form: &UploadForm) -> Result<HttpResponse, UploadApiError> {
    let command = replace_command(form)?;
    let size = command.package.size;
    let change = timed_ingest("replace", Some(size), state.uploads.replace_package(actor, command)).await?;
    Ok(revision_response(&change))
}

fn revision_response(change: &RevisionChange) -> HttpResponse {
    let message = if change.unchanged {
        format!(
            "nothing changed: revision {} is current with this package",
            change.revision
        )
    } else {
        format!("revision {} is current", change.revision)
    };
    HttpResponse::Ok().json(serde_json::json!({
        "activityId": change.activity.0,
        "languageId": change.language.as_str(),
        "revision": change.revision,
        "unchanged": change.unchanged,
        "message": message,
    }))
}

/// Makes an earlier revision of a language version's package current again (`/rollback`).
#[utoipa::path(
    post, path = "/api/activityupload/rollback", tag = "Activity Upload API",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes the request retry-safe; see docs/API.md")),
    request_body(content = crate::api::upload::schema::RollbackForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "The revision now current, and whether anything changed", body = crate::api::upload::schema::RevisionResult),
        (status = 400, description = "A field is missing or malformed, or names no SCORM language version or kept revision of the tenant", body = crate::http::error::UploadErrorBody),
        crate::http::error::UploadFailures, crate::http::error::UploadBusy,
    )
)]
async fn rollback(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, UploadApiError> {
    write(state, req, payload, Write::Rollback).await
}

async fn roll_back(state: &AppState, actor: &Actor, form: &UploadForm) -> Result<HttpResponse, UploadApiError> {
    let activity = parse_id(form, "activityId")?;
    let language = LanguageCode::parse("languageId", form.required("languageId")?)?;
    let raw = form.required("revision")?.trim();
    let revision = raw
        .parse::<u32>()
        .ok()
        .filter(|r| *r >= 1)
        .ok_or_else(|| InvalidField::new("revision", format!("{raw:?} is not a positive integer")))?;
    let command = Rollback {
        activity,
        language,
        revision,
    };
    Ok(revision_response(&state.uploads.rollback(actor, command).await?))
}

/// A dry-run failure: answered exactly as the real request would be, but not counted.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct DryRunError(#[from] UploadApiError);

impl ResponseError for DryRunError {
    fn status_code(&self) -> StatusCode {
        self.0.status_code()
    }

    fn error_response(&self) -> HttpResponse {
        self.0.respond(false)
    }
}

/// Dry run: checks a `/new` (or, with `activityId` and `languageId`, an `/addlanguage`) request
/// without storing anything.
///
/// Answers 200 with the outcome of every check the real request makes, in its order, and the
/// full inspection report of the package; or the very 400 the real request would get.
#[utoipa::path(
    post, path = "/api/activityupload/validate", tag = "Activity Upload API",
    request_body(content = crate::api::upload::schema::ValidateForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "Every check passed; nothing was stored", body = crate::api::upload::schema::ValidationReport),
        (status = 400, description = "The error the real request would get: a field is missing, repeated or malformed, refers to nothing of the tenant, or the package is refused", body = crate::http::error::UploadErrorBody),
        crate::http::error::UploadFailures,
    )
)]
async fn validate(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, DryRunError> {
    let Admitted { form, actor, _slot } = admit(&req, payload, &state, false).await?;
    let caller = actor.caller;
    // Either field says which check is meant; a missing other one is then named as missing.
    let is_add = form.optional("activityId").is_some() || form.optional("languageId").is_some();
    let validation = if is_add {
        let command = add_command(&form)?;
        state.uploads.validate_add_language(caller, &command).await
    } else {
        let command = create_command(&form)?;
        state.uploads.validate_create(caller, &command).await
    }
    .map_err(UploadApiError::from)?;
    Ok(HttpResponse::Ok().json(validate::report(&validation)))
}

/// The OpenAPI description of these routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(new_activity, add_language, validate, replace_package, rollback))]
pub struct ApiDoc;
