//! The Upload API's multipart forms and JSON bodies, as the OpenAPI document describes them.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

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

/// An upload accepted as an asynchronous import (`Prefer: respond-async`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportAccepted {
    /// The job: `GET /api/v2/imports/{importId}` (the `Location` header) tells how it goes.
    pub import_id: i64,
    /// Always `queued`.
    pub status: String,
}

/// A successful upload.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActivityCreated {
    /// The activity created, or the one a language was added to.
    pub activity_id: i64,
}
