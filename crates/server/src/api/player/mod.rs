//! The learner's player: `GET /play/{token}` (a small page that sets up scorm-again's API
//! object for the package's SCORM version, seeded from the server, and frames the content)
//! and `POST /play/{token}/commit` (the content's runtime data). Served on the content origin
//! only, like `/content/`: the content finds the API in its parent frame. See docs/PLAYER.md.

pub mod assets;

use crate::http::error::store_failure;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use curricula_service::TokenError;
use curricula_service::player::{CommitError, CommitInput, Committed, PlayerError};
use futures::StreamExt;
use percent_encoding::utf8_percent_encode;
use serde::Deserialize;
use serde_json::{Value, json};

/// Where player URLs start.
pub const PLAYER_PATH: &str = "/play/";

/// The largest commit body accepted (scorm-again's commits of a large course are a few
/// hundred KiB at most: 64,000 characters of suspend_data and the interactions).
pub const MAX_COMMIT_BYTES: usize = 1024 * 1024;

/// Registers the player's page and commit routes (the assets' scope is registered before
/// them, in `app`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/play/{token}", web::get().to(page))
        .route("/play/{token}/commit", web::post().to(commit));
}

/// The tenant whose content host a request came to, if it is one: only that tenant's
/// players are served there (as `/content/` serves only its folders).
fn host_tenant(state: &AppState, req: &HttpRequest) -> Option<curricula_domain::TenantId> {
    let origin = state.origin_of(req);
    match state.site_of(origin.as_ref()) {
        crate::http::origins::Site::Content(crate::http::origins::ContentScope::Tenant(host)) => Some(host),
        _ => None,
    }
}

/// The learner-facing page of a refusal, with its status.
fn refusal(status: StatusCode, title: &str, message: &str) -> HttpResponse {
    assets::page_response(status, assets::refusal_page(title, message))
}

/// The page a refused token shows.
fn refused_page(e: &PlayerError) -> HttpResponse {
    match e {
        PlayerError::Token(TokenError::Expired(_)) => refusal(
            StatusCode::FORBIDDEN,
            "This link has expired",
            "Open the course again from where you started it to get a new link.",
        ),
        PlayerError::Token(_) | PlayerError::KeyUnusable(_) => refusal(
            StatusCode::FORBIDDEN,
            "This link does not work",
            "The link is incomplete, altered, or no longer valid. Open the course again from where you started it.",
        ),
        PlayerError::Gone | PlayerError::RevisionGone => {
            refusal(StatusCode::GONE, "This attempt is no longer available", &e.to_string())
        }
        PlayerError::Store(s) => {
            let (status, message) = store_failure(s);
            refusal(status, "The course cannot be opened right now", &message)
        }
    }
}

/// The player page of a token.
#[utoipa::path(
    get, path = "/play/{token}", tag = "Learners", operation_id = "player",
    params(("token" = String, Path, description = "The signed token of a launch URL of an enrollment")),
    responses(
        (status = 200, description = "The player page (HTML)", content_type = "text/html"),
        (status = 403, description = "The token is malformed, altered or expired, or its key is revoked (a readable HTML page)", content_type = "text/html"),
        (status = 410, description = "The enrollment, the attempt or its package revision is gone (HTML)", content_type = "text/html"),
    )
)]
async fn page(state: web::Data<AppState>, req: HttpRequest, token: web::Path<String>) -> HttpResponse {
    let session = match state.content.player.session(&token).await {
        Ok(session) => session,
        Err(e) => return refused_page(&e),
    };
    if host_tenant(&state, &req).is_some_and(|host| host != session.tenant) {
        return refusal(
            StatusCode::NOT_FOUND,
            "Not found",
            "There is no course at this address.",
        );
    }
    let scos = session
        .scos
        .iter()
        .map(|sco| assets::SeedSco {
            id: sco.id.clone(),
            title: sco.title.clone(),
            url: format!(
                "{}{}/{}",
                crate::http::origins::CONTENT_PATH,
                session.content_token,
                utf8_percent_encode(&sco.href, crate::api::content::HREF)
            ),
            cmi: sco.cmi.clone(),
        })
        .collect();
    let seed = assets::Seed {
        version: session.version,
        commit_url: format!("{PLAYER_PATH}{}/commit", token.as_str()),
        seq: session.seq,
        attempt: session.attempt,
        learner: assets::Learner {
            id: session.learner_id.clone(),
            name: session.learner_name.clone(),
        },
        start: session.start.clone(),
        scos,
    };
    assets::page_response(StatusCode::OK, assets::player_page(&seed, &session.title))
}

/// A commit as the player's wrapper sends it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CommitBody {
    seq: u64,
    sco: String,
    session: String,
    #[serde(default)]
    terminate: bool,
    cmi: Value,
}

/// The answer scorm-again reads: `{"result": …, "errorCode": …}`.
fn answer(status: StatusCode, code: u16, message: Option<String>) -> HttpResponse {
    let mut body = json!({ "result": code == 0, "errorCode": code });
    if let Some(message) = message {
        body["errorMessage"] = Value::String(message);
    }
    HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body)
}

/// SCORM's "general commit failure" (391 in 2004, 101 "general exception" in 1.2 answers
/// the same to scorm-again, which reports its own code to the content).
const GENERAL_FAILURE: u16 = 101;

/// Reads a body of at most [`MAX_COMMIT_BYTES`].
async fn bounded_body(mut payload: web::Payload) -> Result<Vec<u8>, HttpResponse> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| {
            answer(
                StatusCode::BAD_REQUEST,
                GENERAL_FAILURE,
                Some("the body could not be read".into()),
            )
        })?;
        if body.len() + chunk.len() > MAX_COMMIT_BYTES {
            return Err(answer(
                StatusCode::PAYLOAD_TOO_LARGE,
                GENERAL_FAILURE,
                Some(format!("a commit is at most {MAX_COMMIT_BYTES} bytes")),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Stores the content's runtime data.
#[utoipa::path(
    post, path = "/play/{token}/commit", tag = "Learners", operation_id = "player_commit",
    params(("token" = String, Path, description = "The player token")),
    request_body(description = "`{\"seq\", \"sco\", \"session\", \"terminate\", \"cmi\"}` as the player sends it (JSON, or `text/plain` from `navigator.sendBeacon`); at most 1 MiB", content_type = "application/json"),
    responses(
        (status = 200, description = "Stored (or a stale or repeated `seq`, which changes nothing): `{\"result\": true, \"errorCode\": 0}`"),
        (status = 400, description = "Not JSON, or not the commit's shape"),
        (status = 403, description = "The token is not valid"),
        (status = 409, description = "The attempt has ended"),
        (status = 410, description = "The enrollment or attempt is gone"),
        (status = 413, description = "Over 1 MiB"),
        (status = 415, description = "Neither JSON nor text/plain"),
        (status = 422, description = "A value breaks the data model: `errorCode` is the SCORM error code, `errorMessage` names the element"),
        (status = 503, description = "The database is unreachable; scorm-again retries"),
    )
)]
async fn commit(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    payload: web::Payload,
) -> HttpResponse {
    let (outcome, response) = store_commit(&state, &req, &token, payload).await;
    crate::metrics::metrics().record_commit(outcome);
    response
}

/// Reads, checks and applies a commit: the outcome for the metrics and the answer.
async fn store_commit(
    state: &AppState,
    req: &HttpRequest,
    token: &str,
    payload: web::Payload,
) -> (&'static str, HttpResponse) {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase());
    if !matches!(content_type.as_deref(), None | Some("application/json" | "text/plain")) {
        let message = "a commit is application/json or text/plain";
        return (
            "bad_request",
            answer(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                GENERAL_FAILURE,
                Some(message.into()),
            ),
        );
    }
    let body = match bounded_body(payload).await {
        Ok(body) => body,
        Err(response) => return ("bad_request", response),
    };
    let parsed: CommitBody = match serde_json::from_slice(&body) {
        Ok(parsed) => parsed,
        Err(e) => {
            let message = format!("the commit body: {e}");
            return (
                "bad_request",
                answer(StatusCode::BAD_REQUEST, GENERAL_FAILURE, Some(message)),
            );
        }
    };
    let input = CommitInput {
        seq: parsed.seq,
        sco: parsed.sco,
        session: parsed.session,
        terminate: parsed.terminate,
        cmi: parsed.cmi,
    };
    match state.content.player.commit(token, host_tenant(state, req), input).await {
        Ok(Committed::Stored) => ("stored", answer(StatusCode::OK, 0, None)),
        Ok(Committed::Stale) => ("stale", answer(StatusCode::OK, 0, None)),
        Err(CommitError::Refused { code, message }) => {
            // The element and the problem, never the value or the token.
            tracing::info!(
                code,
                "commit refused: {}",
                message.split(':').next().unwrap_or_default()
            );
            ("refused", answer(StatusCode::UNPROCESSABLE_ENTITY, code, Some(message)))
        }
        Err(e @ CommitError::Ended(_)) => (
            "ended",
            answer(StatusCode::CONFLICT, GENERAL_FAILURE, Some(e.to_string())),
        ),
        Err(CommitError::Player(PlayerError::Store(s))) => {
            let (status, message) = store_failure(&s);
            ("error", answer(status, GENERAL_FAILURE, Some(message)))
        }
        Err(CommitError::Player(e @ (PlayerError::Gone | PlayerError::RevisionGone))) => (
            "bad_token",
            answer(StatusCode::GONE, GENERAL_FAILURE, Some(e.to_string())),
        ),
        Err(CommitError::Player(_)) => (
            "bad_token",
            answer(
                StatusCode::FORBIDDEN,
                GENERAL_FAILURE,
                Some("the player token is not valid".into()),
            ),
        ),
    }
}

/// The OpenAPI description of these routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(page, commit))]
pub struct ApiDoc;
