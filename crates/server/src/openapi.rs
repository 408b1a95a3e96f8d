//! The OpenAPI 3.1 description of the service, generated with `utoipa` from the handlers'
//! `#[utoipa::path]` attributes and the schema types below, served at `/openapi.json`, and
//! rendered as an offline HTML page at `/docs`.
//!
//! The schema types here only describe the wire format (the handlers build their bodies with
//! `serde_json`); `tests/api/openapi.rs` checks that every registered route is described.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::sync::OnceLock;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

/// Registers `/openapi.json` and `/docs`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/openapi.json", web::get().to(openapi_json))
        .route("/docs", web::get().to(docs_page));
}

// ---------------------------------------------------------------- Activity Upload API

/// `activityType` of `/new`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ActivityType {
    /// A SCORM package (leaf); `file` is required.
    Scorm,
    /// A course container (a learning path); no file.
    Course,
}

/// The multipart form of `POST /api/activityupload/new`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewActivityForm {
    /// An upload key of the tenant, bound to `origin`.
    pub key: String,
    /// The partner's origin the key is bound to (scheme, path, trailing slash and case ignored).
    pub origin: String,
    /// `scorm` or `course`.
    pub activity_type: ActivityType,
    /// The activity's name (1–255 characters, trimmed), title of its first language version.
    #[schema(min_length = 1, max_length = 255)]
    pub name: String,
    /// An existing user of the tenant, owner of the activity.
    #[schema(min_length = 1)]
    pub user_name: String,
    /// Comma-separated organisation ids of the tenant; absent, empty or `-1` = all.
    #[schema(example = "81,27293")]
    pub organisation_ids: Option<String>,
    /// A course of the tenant to append the activity to; absent, empty, `0` or `-1` = top level.
    #[schema(example = "1")]
    pub parent_activity_id: Option<String>,
    /// The partner's own id for the activity (1–255 characters, trimmed), unique per tenant; a
    /// taken one is a 400 naming the activity that has it.
    #[schema(example = "crm-4711", min_length = 1, max_length = 255)]
    pub external_id: Option<String>,
    /// The SCORM package (`.zip`); required for `scorm`, ignored for `course`.
    #[schema(value_type = Option<String>, format = Binary, content_media_type = "application/zip")]
    pub file: Option<Vec<u8>>,
}

/// The multipart form of `POST /api/activityupload/addlanguage`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AddLanguageForm {
    /// An upload key of the tenant, bound to `origin`.
    pub key: String,
    /// The partner's origin the key is bound to.
    pub origin: String,
    /// The activity to add a language version to (a positive integer).
    #[schema(example = "2")]
    pub activity_id: String,
    /// A culture code enabled for the tenant and not yet on the activity (`is-IS`).
    #[schema(example = "is-IS")]
    pub language_id: String,
    /// The title of the new language version (1–255 characters).
    #[schema(min_length = 1, max_length = 255)]
    pub name: String,
    /// The SCORM package of this language; required for a SCORM activity.
    #[schema(value_type = Option<String>, format = Binary, content_media_type = "application/zip")]
    pub file: Option<Vec<u8>>,
}

/// The multipart form of `POST /api/activityupload/validate`: the fields of `/new`, or with
/// `activityId` and `languageId` those of `/addlanguage`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ValidateForm {
    /// An upload key of the tenant, bound to `origin`.
    pub key: String,
    /// The partner's origin the key is bound to.
    pub origin: String,
    /// `/new`: `scorm` or `course`.
    pub activity_type: Option<ActivityType>,
    /// The activity's or language version's name (1–255 characters).
    #[schema(min_length = 1, max_length = 255)]
    pub name: String,
    /// `/new`: an existing user of the tenant.
    pub user_name: Option<String>,
    /// `/new`: comma-separated organisation ids; absent, empty or `-1` = all.
    #[schema(example = "81,27293")]
    pub organisation_ids: Option<String>,
    /// `/new`: a course of the tenant; absent, empty, `0` or `-1` = top level.
    pub parent_activity_id: Option<String>,
    /// `/new`: the partner's own id, unique per tenant.
    pub external_id: Option<String>,
    /// `/addlanguage` (with `languageId`): the activity.
    #[schema(example = "2")]
    pub activity_id: Option<String>,
    /// `/addlanguage` (with `activityId`): a culture code enabled for the tenant.
    #[schema(example = "is-IS")]
    pub language_id: Option<String>,
    /// The SCORM package (`.zip`), when the real request needs one.
    #[schema(value_type = Option<String>, format = Binary, content_media_type = "application/zip")]
    pub file: Option<Vec<u8>>,
}

/// One check a dry run passed.
#[derive(Serialize, ToSchema)]
pub struct ValidationCheck {
    /// The field concerned: `userName`, `organisationIds`, `parentActivityId`, `externalId`,
    /// `activityId`, `languageId`, `file`.
    pub field: String,
    /// What was found.
    pub detail: String,
}

/// The package of a dry run: everything inspection found.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ValidatedPackage {
    /// SHA-256 of the zip.
    pub sha256: String,
    /// Its size in bytes.
    pub size: i64,
    /// `1.2`, `2004 3rd Edition`, ... or null when not declared.
    pub scorm_version: Option<String>,
    /// The default organisation's title.
    pub title: Option<String>,
    /// The LOM description.
    pub description: Option<String>,
    /// The launch URL relative to the package root, with parameters.
    pub launch_url: String,
    /// Mastery (1.2) or passing (2004) score, as written.
    pub mastery_score: Option<f64>,
    /// SCORM 2004 completion threshold.
    pub completion_threshold: Option<f64>,
    /// Items that launch a SCO.
    pub sco_count: i64,
    /// All items of the default organisation.
    pub item_count: i64,
    /// Files in the zip.
    pub file_count: i64,
    /// Their uncompressed size.
    pub total_bytes: i64,
    /// The default organisation's item tree.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<Value>,
    /// Things worth knowing that do not refuse the package.
    pub warnings: Vec<String>,
}

/// The 200 answer of a dry run.
#[derive(Serialize, ToSchema)]
pub struct ValidationReport {
    /// Always true (a failed check is the 400 of the real request).
    pub valid: bool,
    /// `new` or `addlanguage`: which request was checked.
    pub operation: String,
    /// Every check of the real request, in its order.
    pub checks: Vec<ValidationCheck>,
    /// The package, when one was checked; null for a course.
    pub package: Option<ValidatedPackage>,
}

/// The multipart form of `POST /api/activityupload/replace`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReplaceForm {
    /// An upload key of the tenant, bound to `origin`.
    pub key: String,
    /// The partner's origin the key is bound to.
    pub origin: String,
    /// A SCORM activity of the tenant (a positive integer).
    #[schema(example = "2")]
    pub activity_id: String,
    /// The language version whose package is replaced (`is-IS`).
    #[schema(example = "is-IS")]
    pub language_id: String,
    /// The new SCORM package (`.zip`).
    #[schema(value_type = String, format = Binary, content_media_type = "application/zip")]
    pub file: Vec<u8>,
}

/// The multipart form of `POST /api/activityupload/rollback`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RollbackForm {
    /// An upload key of the tenant, bound to `origin`.
    pub key: String,
    /// The partner's origin the key is bound to.
    pub origin: String,
    /// A SCORM activity of the tenant (a positive integer).
    #[schema(example = "2")]
    pub activity_id: String,
    /// The language version (`is-IS`).
    #[schema(example = "is-IS")]
    pub language_id: String,
    /// A revision the language version keeps (see `GET /api/v2/activities/{id}`).
    #[schema(example = "1")]
    pub revision: String,
}

/// What a replacement or rollback left current.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RevisionResult {
    /// The activity.
    pub activity_id: i64,
    /// The language version.
    pub language_id: String,
    /// The revision launches serve now.
    pub revision: i64,
    /// True when nothing changed: the package is byte-identical to the current one, or the
    /// revision already was current.
    pub unchanged: bool,
    /// The same, for people.
    pub message: String,
}

/// A successful upload.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActivityCreated {
    /// The activity created, or the one a language was added to.
    pub activity_id: i64,
}

/// Every Activity Upload API failure.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UploadErrorBody {
    /// What is wrong, naming the field (`"parentActivityId 99 is not a course"`).
    pub error_message: String,
}

// ---------------------------------------------------------------- Curriculum Activities API

/// `sequence_attributes["control_mode"]` of a section.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ControlMode {
    /// Complete in order.
    Flow,
    /// Complete in any order (the default).
    Choice,
    /// Optional.
    Optional,
}

/// The sequence settings of a record as the API returns them.
#[derive(Serialize, ToSchema)]
pub struct SequenceAttributes {
    /// Sections: how the section is completed; entries: null.
    pub control_mode: Option<ControlMode>,
    /// Sections in `choice` mode: how many entries must be completed.
    pub completions_min: Option<i64>,
    /// SCORM entries: maximum attempts, 0 = no limit.
    pub attempts_max: Option<i64>,
}

/// A section (`course_id` null) or an entry (`course_id` = the activity) of a path.
#[derive(Serialize, ToSchema)]
pub struct CurriculumActivity {
    /// The record id.
    pub id: i64,
    /// Displayed name (an entry defaults to its activity's name).
    pub name: Option<String>,
    /// Entries: the section holding it; sections: null.
    pub parent_id: Option<i64>,
    /// Nested-set left bound within the path.
    pub lft: i64,
    /// Nested-set right bound within the path.
    pub rgt: i64,
    /// The path (course activity id).
    pub curriculum_id: i64,
    /// Entries: the activity; sections: null.
    pub course_id: Option<i64>,
    /// The tenant.
    pub account_id: i64,
    /// The admin user who last changed it through a UI; null for API writes.
    pub updated_by: Option<i64>,
    /// Last change, UTC with milliseconds.
    #[schema(example = "2026-11-24T12:00:00.000Z")]
    pub updated_on: String,
    /// Unused (kept for compatibility).
    pub due_days: Option<i64>,
    /// SCORM entries: 1 = counts towards the path's score.
    pub weight: Option<i64>,
    /// SCORM entries: passing it exempts from the rest of the path.
    pub exempt_if_mastered: Option<bool>,
    /// Sections: shown to students.
    pub description: Option<String>,
    /// Sections: enrolment opens on this date (`YYYY-MM-DD`).
    #[schema(format = Date)]
    pub lock_until: Option<String>,
    /// Internal code.
    pub code: Option<String>,
    /// Sections: `full` or `collapsed`.
    pub initial_view: Option<String>,
    /// Entries of a `flow`/specified section: required.
    pub required_for_specified_control_mode: Option<bool>,
    /// Entries: launch directly into the content.
    pub skip_interstitial_page: Option<bool>,
    /// Sequence settings.
    pub sequence_attributes: SequenceAttributes,
}

/// Sequence settings in a Create or Update body.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SequenceAttributesInput {
    /// Sections only.
    pub control_mode: Option<ControlMode>,
    /// Sections in `choice` mode only; at most the section's entry count.
    #[schema(minimum = 0)]
    pub completions_min: Option<i64>,
    /// SCORM entries only; 0 = no limit.
    #[schema(minimum = 0)]
    pub attempts_max: Option<i64>,
}

/// The attributes a Create or Update sets (numbers and booleans may also be sent as strings).
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CurriculumActivityInput {
    /// Create: the path (a course activity of the tenant). Update: cannot change.
    pub curriculum_id: Option<i64>,
    /// Create an entry: the section to append it to. Update: cannot change.
    pub parent_id: Option<i64>,
    /// Create an entry: the activity (not a path). Update: cannot change.
    pub course_id: Option<i64>,
    /// Displayed name, at most 255 characters.
    #[schema(max_length = 255)]
    pub name: Option<String>,
    /// Unused.
    pub due_days: Option<i64>,
    /// SCORM entries: `1` (counts) or null.
    pub weight: Option<i64>,
    /// SCORM entries.
    pub exempt_if_mastered: Option<bool>,
    /// Sections.
    pub description: Option<String>,
    /// Sections: `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub lock_until: Option<String>,
    /// Internal code.
    pub code: Option<String>,
    /// Sections: `full` or `collapsed`.
    pub initial_view: Option<String>,
    /// Entries.
    pub required_for_specified_control_mode: Option<bool>,
    /// Entries.
    pub skip_interstitial_page: Option<bool>,
    /// Sequence settings.
    pub sequence_attributes: Option<SequenceAttributesInput>,
}

/// The body of Create and Update: the attributes nested in `curriculum_activity`.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CurriculumActivityBody {
    /// The attributes.
    pub curriculum_activity: CurriculumActivityInput,
}

/// Where Update Position puts the record relative to the target.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Orientation {
    /// Just before the target.
    Above,
    /// Just after the target.
    Below,
    /// Into the target, an empty section (entries only).
    Inside,
}

/// The body of Update Position.
#[derive(Serialize, ToSchema)]
pub struct UpdatePositionBody {
    /// A record of the same path: a section for a section; an entry, or an empty section with `inside`, for an entry.
    pub target_id: i64,
    /// Where to put the record.
    pub orientation: Orientation,
}

/// v2 failures: an array of messages, each naming the field or parameter.
#[derive(Serialize, ToSchema)]
#[schema(example = json!(["curriculum_id 99 does not exist"]))]
pub struct V2Errors(pub Vec<String>);

// ---------------------------------------------------------------- Activities read API

/// The SCORM details of a language version.
#[derive(Serialize, ToSchema)]
pub struct ScormDetails {
    /// `1.2`, `2004 3rd Edition`, ...
    pub scorm_version: String,
    /// The manifest's title.
    pub title: Option<String>,
    /// The manifest's description.
    pub description: Option<String>,
    /// The launch file, relative to the package root.
    pub launch_href: String,
    /// Mastery or passing score.
    pub mastery_score: Option<f64>,
    /// SCORM 2004 completion threshold.
    pub completion_threshold: Option<f64>,
    /// Files in the package.
    pub file_count: i64,
    /// Uncompressed size.
    pub total_bytes: i64,
    /// SHA-256 of the uploaded zip.
    pub package_sha256: String,
    /// The default organisation's item tree.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<Value>,
}

/// One language version of an activity.
#[derive(Serialize, ToSchema)]
pub struct LanguageVersion {
    /// The version id.
    pub id: i64,
    /// Culture code.
    pub language: String,
    /// Its title.
    pub title: String,
    /// Creation time, UTC.
    pub created_at: String,
    /// SCORM activities: the package revision current now (1 = the first upload).
    pub revision: Option<i64>,
    /// SCORM activities: what the package declared.
    pub scorm: Option<ScormDetails>,
    /// `GET /api/v2/activities/{id}` only, SCORM activities: every revision kept, oldest first.
    pub revisions: Option<Vec<PackageRevisionRecord>>,
}

/// A package revision a language version keeps.
#[derive(Serialize, ToSchema)]
pub struct PackageRevisionRecord {
    /// Its number (1 = the first upload).
    pub revision: i64,
    /// Whether launches serve it now.
    pub current: bool,
    /// Upload time, UTC.
    pub uploaded_at: String,
    /// The key that uploaded it (null for packages stored before revisions were kept).
    pub api_key_id: Option<i64>,
    /// SHA-256 of the uploaded zip.
    pub package_sha256: String,
    /// `1.2`, `2004 3rd Edition`, ...
    pub scorm_version: Option<String>,
    /// The manifest's title.
    pub title: Option<String>,
    /// The launch file.
    pub launch_href: String,
    /// Files in the package.
    pub file_count: i64,
    /// Uncompressed size.
    pub total_bytes: i64,
}

// ---------------------------------------------------------------- Audit trail

/// One successful write of either API.
#[derive(Serialize, ToSchema)]
pub struct AuditEventRecord {
    /// The event id (grows with time).
    pub id: i64,
    /// When the write happened, UTC.
    pub created_at: String,
    /// What was done: `activity.create`, `language_version.create`, `package.replace`, `package.rollback`, `curriculum_activity.create`, `curriculum_activity.update`, `curriculum_activity.update_position` or `curriculum_activity.destroy`.
    pub action: String,
    /// The key that made it (its id; never the key).
    pub api_key_id: Option<i64>,
    /// The origin of an upload API call.
    pub origin: Option<String>,
    /// The activity concerned.
    pub activity_id: Option<i64>,
    /// The curriculum record concerned.
    pub curriculum_activity_id: Option<i64>,
    /// What changed: the request's fields for uploads, `before`/`after` for v2 writes and package changes.
    #[schema(value_type = Object)]
    pub changes: Value,
    /// The request's id (`x-request-id`), as in the logs.
    pub request_id: Option<String>,
}

/// An activity as the read API shows it.
#[derive(Serialize, ToSchema)]
pub struct ActivityRecord {
    /// The activity id (a course's id is its `curriculum_id`).
    pub id: i64,
    /// `scorm` or `course`.
    pub kind: ActivityType,
    /// Name (the first version's title).
    pub name: String,
    /// The owning user's id.
    pub owner_id: i64,
    /// Organisations; null = all.
    pub organisation_ids: Option<Vec<i64>>,
    /// The course it was placed under by the upload API.
    pub parent_id: Option<i64>,
    /// Shown in the catalog.
    pub in_catalog: bool,
    /// Creation time, UTC.
    pub created_at: String,
    /// Last change, UTC.
    pub updated_at: String,
    /// Its language versions.
    pub language_versions: Vec<LanguageVersion>,
}

// ---------------------------------------------------------------- operations

/// `/`: where the API description is.
#[derive(Serialize, ToSchema)]
pub struct Root {
    /// The HTML description, `/docs`.
    pub docs: String,
    /// The OpenAPI document, `/openapi.json`.
    pub openapi: String,
}

/// `/healthz`: the process answers.
#[derive(Serialize, ToSchema)]
pub struct Alive {
    /// Always `ok`.
    #[schema(example = "ok")]
    pub status: String,
}

/// `/readyz`: whether each dependency answered.
#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// `ok` or `unavailable`.
    pub status: String,
    /// `ok` or what failed (no detail: the log has it).
    pub database: String,
    /// `ok` or what failed.
    pub blob_store: String,
    /// When the blob store is not ready: which bucket or folder, and what is wrong with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blob_store_problem: Option<String>,
}

// ---------------------------------------------------------------- the document

/// The `api_key` and Bearer security schemes of the v2 API.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::with_description(
                "api_key",
                "Any API key of the tenant (the upload API takes its key in the form instead).",
            ))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("`Authorization: Bearer KEY`, the same keys as `api_key`."))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Curricula",
        description = "E-learning content service: the Activity Upload API (multipart), the Curriculum Activities API and the Activities read API (v2), and the operational endpoints.",
        license(name = "MIT OR Apache-2.0", identifier = "MIT OR Apache-2.0"),
    ),
    paths(openapi_json, docs_page),
    modifiers(&SecuritySchemes),
    tags(
        (name = "Activity Upload API", description = "Multipart uploads of SCORM packages and courses. Errors are `{\"errorMessage\": \"...\"}`."),
        (name = "Curriculum Activities API", description = "The sections and entries of a path (v2). Errors are arrays of messages."),
        (name = "Activities read API", description = "What the tenant uploaded (v2)."),
        (name = "Audit trail", description = "Who changed what, through which key (v2)."),
        (name = "Content delivery", description = "The files of a launched language version, under its signed launch URL (no key: the token is the grant)."),
        (name = "Operations", description = "Health, metrics and this description."),
    )
)]
struct BaseDoc;

/// The whole OpenAPI document (built once).
pub fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = BaseDoc::openapi();
        doc.merge(crate::upload_api::ApiDoc::openapi());
        doc.merge(crate::v2::ApiDoc::openapi());
        doc.merge(crate::ops::ApiDoc::openapi());
        doc.merge(crate::content::ApiDoc::openapi());
        let mut value = serde_json::to_value(&doc).unwrap_or_else(|_| json!({}));
        finish(&mut value);
        value
    })
}

/// Post-processing the derive cannot express: unique operation ids for operations that serve
/// several methods, and a form-encoded variant of every JSON v2 body (Rails-style bracketed keys).
fn finish(doc: &mut Value) {
    let schemas = doc.pointer("/components/schemas").cloned().unwrap_or_else(|| json!({}));
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else { continue };
        let shared: Vec<String> = item.keys().cloned().collect();
        for (method, operation) in item.iter_mut() {
            let id = operation.get("operationId").and_then(Value::as_str).map(str::to_owned);
            if let Some(id) = id
                && shared.len() > 1
                && method == "patch"
            {
                operation["operationId"] = json!(format!("{id}_patch"));
            }
            let json_schema = operation
                .pointer("/requestBody/content/application~1json/schema")
                .cloned();
            if let Some(schema) = json_schema {
                let mut properties = Map::new();
                flatten(&resolve(&schema, &schemas), "", &schemas, &mut properties);
                if let Some(content) = operation
                    .pointer_mut("/requestBody/content")
                    .and_then(Value::as_object_mut)
                {
                    content.insert(
                        "application/x-www-form-urlencoded".into(),
                        json!({ "schema": { "type": "object", "properties": properties } }),
                    );
                }
            }
        }
    }
}

/// `schema` with a top-level `$ref` to a component replaced by the component.
fn resolve(schema: &Value, schemas: &Value) -> Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .strip_prefix("#/components/schemas/")
            .and_then(|name| schemas.get(name))
            .map_or_else(|| schema.clone(), |s| resolve(s, schemas)),
        None => match schema.get("oneOf").and_then(Value::as_array) {
            // `Option<Component>` is `oneOf: [null, $ref]`.
            Some(variants) => variants
                .iter()
                .find(|v| v.get("$ref").is_some())
                .map_or_else(|| schema.clone(), |v| resolve(v, schemas)),
            None => schema.clone(),
        },
    }
}

/// Object properties as form keys: `a[b][c]` → scalar schema.
fn flatten(schema: &Value, prefix: &str, schemas: &Value, out: &mut Map<String, Value>) {
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return;
    };
    for (name, property) in properties {
        let key = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}[{name}]")
        };
        let resolved = resolve(property, schemas);
        if resolved.get("properties").is_some() {
            flatten(&resolved, &key, schemas, out);
        } else {
            // Form values are text; numbers and booleans are read from their text.
            let mut scalar = Map::new();
            scalar.insert("type".into(), json!("string"));
            if let Some(description) = resolved.get("description") {
                scalar.insert("description".into(), description.clone());
            }
            if let Some(values) = resolved.get("enum") {
                scalar.insert("enum".into(), values.clone());
            }
            out.insert(key, Value::Object(scalar));
        }
    }
}

/// This OpenAPI 3.1 document.
#[utoipa::path(
    get, path = "/openapi.json", tag = "Operations",
    responses((status = 200, description = "The OpenAPI 3.1 document of the service", content_type = "application/json", body = Object))
)]
async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(document())
}

/// A human-readable page of this description (self-contained, works offline).
#[utoipa::path(
    get, path = "/docs", tag = "Operations",
    responses((status = 200, description = "An HTML page", content_type = "text/html", body = String))
)]
async fn docs_page() -> HttpResponse {
    static PAGE: OnceLock<String> = OnceLock::new();
    static POLICY: OnceLock<String> = OnceLock::new();
    let page = PAGE.get_or_init(|| crate::docs_page::render(document()));
    let policy = POLICY.get_or_init(|| crate::origins::page_policy(page));
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((actix_web::http::header::CONTENT_SECURITY_POLICY, policy.as_str()))
        .body(page.clone())
}
