//! A whole path in one request: `GET /api/v2/curricula/{id}` answers the path as a tree with
//! its `ETag`; `PUT` takes the tree wanted and makes the path that, in one transaction, or
//! answers every problem at once (docs/API.md, "A whole path in one request").

use super::bodies::CurriculumActivity;
use super::input::record_attributes;
use super::shared::{actor, guarded, only_parameters};
use crate::http::error::{ApiError, V2Busy, V2Failures, V2NotFound, V2Refused, V2Stale};
use crate::http::etag::{etag, if_match, none_match};
use crate::http::params::{path_id, read};
use crate::state::AppState;
use actix_web::http::header::ETAG;
use actix_web::{HttpRequest, HttpResponse, web};
use curricula_domain::ActivityId;
use curricula_domain::curriculum::{
    ChangeKind, Curriculum, CurriculumError, CurriculumRecord, SectionInput, TreeChange, TreeInput,
};
use curricula_ports::PathTag;
use curricula_service::WriteError;
use futures::StreamExt;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// Largest tree body accepted, in bytes.
pub const MAX_TREE_BODY: usize = 4 * 1024 * 1024;
/// Most records (sections and entries) one tree may hold.
pub const MAX_TREE_RECORDS: usize = 10_000;

/// Registers the routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v2/curricula/{id}", web::get().to(show))
        .route("/api/v2/curricula/{id}", web::put().to(replace));
}

/// A section of the tree: its record and its entries in order.
#[derive(Serialize, ToSchema)]
pub struct TreeSection {
    /// The section's record.
    #[serde(flatten)]
    pub record: CurriculumActivity,
    /// Its entries, in order.
    pub entries: Vec<CurriculumActivity>,
}

/// One record's change made (or, for a dry run, that would be made) by a PUT.
#[derive(Serialize, ToSchema)]
pub struct TreeChangeBody {
    /// `create`, `update`, `update_position` (only its place changed) or `destroy`.
    pub action: &'static str,
    /// The record's id (null for a record a dry run would create).
    pub id: Option<i64>,
    /// The record before (null when created).
    pub before: Option<CurriculumActivity>,
    /// The record after (null when destroyed).
    pub after: Option<CurriculumActivity>,
}

/// A path as a tree.
#[derive(Serialize, ToSchema)]
pub struct PathTree {
    /// The path (its activity id).
    pub id: i64,
    /// Its sections, in order.
    pub sections: Vec<TreeSection>,
    /// For a PUT: what changed (would change, with `dry_run`), record by record, in the new
    /// tree's order and then the records destroyed; empty when nothing did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes: Option<Vec<TreeChangeBody>>,
}

impl PathTree {
    fn new(path: &Curriculum, changes: Option<Vec<TreeChangeBody>>) -> Self {
        Self {
            id: path.curriculum_id().0,
            sections: path
                .tree()
                .into_iter()
                .map(|(section, entries)| TreeSection {
                    record: shown(&section),
                    entries: entries.iter().map(shown).collect(),
                })
                .collect(),
            changes,
        }
    }
}

fn change_body(change: &TreeChange) -> TreeChangeBody {
    let action = match change.kind() {
        ChangeKind::Create => "create",
        ChangeKind::Update => "update",
        ChangeKind::Move => "update_position",
        ChangeKind::Destroy => "destroy",
    };
    TreeChangeBody {
        action,
        id: Some(change.id.0).filter(|id| *id > 0),
        before: change.before.as_ref().map(shown),
        after: change.after.as_ref().map(shown),
    }
}

/// A record as the tree shows it: a record a dry run would create has no id yet (0, and its
/// entries' `parent_id` 0).
fn shown(record: &CurriculumRecord) -> CurriculumActivity {
    let mut body = CurriculumActivity::from(record);
    body.id = body.id.max(0);
    body.parent_id = body.parent_id.map(|p| p.max(0));
    body
}

fn path_of(raw: &str) -> Result<ActivityId, ApiError> {
    path_id(raw)
        .map(ActivityId)
        .ok_or_else(|| ApiError::NotFound(format!("path {raw} not found")))
}

/// A path that is not the caller's is a 404 here (the id is in the URL).
fn not_found(path: ActivityId) -> impl FnOnce(WriteError) -> ApiError {
    move |e| match e {
        WriteError::PathNotFound(_) => ApiError::NotFound(format!("path {path} not found")),
        other => other.into(),
    }
}

/// Show: the path as a tree — its sections in order, each with its entries in order — and
/// its `ETag`.
#[utoipa::path(
    get, path = "/api/v2/curricula/{id}", tag = "Curriculum Activities API", operation_id = "show_curriculum",
    security(("api_key" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "The path (a course activity) id"), ("If-None-Match" = Option<String>, Header, description = "An `ETag` read before: 304 when the path is still at that version")),
    responses(
        (status = 200, description = "The path as a tree", body = PathTree, headers(("ETag" = String, description = "The path's version"))),
        (status = 304, description = "Not modified since the `ETag` in `If-None-Match`"),
        V2Failures, V2NotFound, V2Refused,
    )
)]
async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (params, caller) = read(&req, &body, &state).await?;
    only_parameters(&params, &[])?;
    let id = path_of(&path)?;
    let (curriculum, version) = state.curricula.tree(caller, id).await.map_err(not_found(id))?;
    if none_match(&req, PathTag { path: id, version }) {
        return Ok(HttpResponse::NotModified()
            .insert_header((ETAG, etag(id, version)))
            .finish());
    }
    Ok(HttpResponse::Ok()
        .insert_header((ETAG, etag(id, version)))
        .json(PathTree::new(&curriculum, None)))
}

/// Replace: makes the path the tree sent — sections and entries in its order, each matched
/// to a record by `id` (an entry also by `course_id`), the records left out destroyed, new
/// ones created — checked whole and written in one transaction, or not at all.
///
/// `dry_run=true` checks everything and answers the changes it would make, writing nothing.
#[utoipa::path(
    put, path = "/api/v2/curricula/{id}", tag = "Curriculum Activities API", operation_id = "replace_curriculum",
    security(("api_key" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "The path (a course activity) id"), ("dry_run" = Option<bool>, Query, description = "Check and answer the changes without writing them"), ("If-Match" = Option<String>, Header, description = "The path's `ETag`: the PUT applies only to that version of the path (412 otherwise)"), ("Idempotency-Key" = Option<String>, Header, description = "Makes the request retry-safe (see docs/API.md)")),
    request_body(description = "The tree: `{\"sections\": [{…section attributes…, \"entries\": [{…entry attributes…}]}]}` (as GET answers it; read-only attributes are ignored)", content = Object, content_type = "application/json"),
    responses(
        (status = 200, description = "The path as it is now (or would be, with `dry_run`), with the changes", body = PathTree, headers(("ETag" = String, description = "The path's new version"))),
        (status = 413, description = "The body is larger than 4 MiB", body = crate::http::error::V2Errors),
        V2Failures, V2NotFound, V2Busy, V2Refused, V2Stale,
    )
)]
async fn replace(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    // The credential first (query or Bearer), before any of the body is read.
    let (query, caller) = read(&req, b"", &state).await?;
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::Unprocessable(vec![format!("the request body could not be read: {e}")]))?;
        if body.len() + chunk.len() > MAX_TREE_BODY {
            return Err(ApiError::TooLarge(format!(
                "the request body is larger than {} MiB",
                MAX_TREE_BODY / (1024 * 1024)
            )));
        }
        body.extend_from_slice(&chunk);
    }
    only_parameters(&query, &["dry_run"])?;
    let dry_run = match query.get("dry_run") {
        None => false,
        Some(Value::String(v)) if v == "true" || v == "1" => true,
        Some(Value::String(v)) if v == "false" || v == "0" || v.is_empty() => false,
        Some(_) => return Err(ApiError::Unprocessable(vec!["dry_run must be true or false".into()])),
    };
    let id = path_of(&path)?;
    let tree_json: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::Unprocessable(vec![format!("the request body is not valid JSON: {e}")]))?;
    // The body's digest stands for it in the Idempotency-Key fingerprint (no copy of the tree).
    let digest: String = Sha256::digest(&body).iter().map(|b| format!("{b:02x}")).collect();
    let mut fingerprint = query.clone();
    fingerprint.insert("tree_sha256".into(), Value::String(digest));
    drop(body);
    let work = async {
        let tree = tree_input(&tree_json, id)?;
        drop(tree_json);
        let actor = actor(&req, caller);
        let synced = state
            .curricula
            .sync(&actor, id, tree, if_match(&req), dry_run)
            .await
            .map_err(not_found(id))?;
        if !dry_run && !synced.diff.is_empty() {
            state.content.player.recompute_path_in_background(caller.tenant, id);
        }
        let changes = synced.diff.changes.iter().map(change_body).collect();
        Ok(HttpResponse::Ok()
            .insert_header((ETAG, etag(id, synced.version)))
            .json(PathTree::new(&synced.curriculum, Some(changes))))
    };
    Ok(guarded(&state, &req, &fingerprint, caller, work).await)
}

/// Reads the tree: `{"sections": [{…, "entries": [{…}]}]}` (an `id` beside it must be the
/// path's). Every problem at once, each naming where it is.
fn tree_input(body: &Value, path: ActivityId) -> Result<TreeInput, ApiError> {
    let mut problems: Vec<CurriculumError> = Vec::new();
    let at = |at: String, error: CurriculumError| CurriculumError::At {
        at,
        error: Box::new(error),
    };
    let Value::Object(top) = body else {
        return Err(ApiError::Unprocessable(vec![
            "the request body must be a JSON object: {\"sections\": [...]}".into(),
        ]));
    };
    for (key, value) in top {
        match key.as_str() {
            "sections" => {}
            "id" if value.as_i64() == Some(path.0) || value.as_str() == Some(&path.0.to_string()) => {}
            "id" => problems.push(CurriculumError::invalid(
                "id",
                format!("must be this path's id ({path})"),
            )),
            other => problems.push(CurriculumError::UnknownAttribute(other.to_owned())),
        }
    }
    let sections = match top.get("sections") {
        Some(Value::Array(sections)) => sections.as_slice(),
        _ => {
            problems.push(CurriculumError::invalid("sections", "must be an array of sections"));
            &[]
        }
    };
    let count: usize = sections
        .iter()
        .map(|s| 1 + s.get("entries").and_then(Value::as_array).map_or(0, Vec::len))
        .sum();
    if count > MAX_TREE_RECORDS {
        return Err(ApiError::Unprocessable(vec![format!(
            "the tree holds {count} records; at most {MAX_TREE_RECORDS} are accepted"
        )]));
    }
    let mut tree = TreeInput::default();
    for (si, section) in sections.iter().enumerate() {
        let here = format!("sections[{si}]");
        let Value::Object(fields) = section else {
            problems.push(at(here, CurriculumError::invalid("section", "must be an object")));
            continue;
        };
        let mut attributes = fields.clone();
        let entries = match attributes.remove("entries") {
            Some(Value::Array(entries)) => entries,
            Some(_) => {
                problems.push(at(
                    here.clone(),
                    CurriculumError::invalid("entries", "must be an array"),
                ));
                Vec::new()
            }
            None => {
                problems.push(at(
                    here.clone(),
                    CurriculumError::invalid("entries", "is required ([] for a section without entries)"),
                ));
                Vec::new()
            }
        };
        let mut input = SectionInput::default();
        match record_attributes(&attributes) {
            Ok(a) => input.attributes = a,
            Err(errors) => problems.extend(errors.0.into_iter().map(|e| at(here.clone(), e))),
        }
        for (ei, entry) in entries.iter().enumerate() {
            let here = format!("sections[{si}].entries[{ei}]");
            match entry {
                Value::Object(fields) => match record_attributes(fields) {
                    Ok(a) => input.entries.push(a),
                    Err(errors) => problems.extend(errors.0.into_iter().map(|e| at(here.clone(), e))),
                },
                _ => problems.push(at(here, CurriculumError::invalid("entry", "must be an object"))),
            }
        }
        tree.sections.push(input);
    }
    if problems.is_empty() {
        Ok(tree)
    } else {
        Err(ApiError::Unprocessable(
            problems.iter().map(ToString::to_string).collect(),
        ))
    }
}

/// The OpenAPI description of these routes.
#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(PathTree, TreeSection, TreeChangeBody)), paths(show, replace))]
pub struct ApiDoc;
