//! The v2 bodies: what the handlers serialise is what the OpenAPI document describes.

use crate::api::upload::schema::ActivityType;
use curricula_domain::curriculum::{self, CurriculumRecord};
use curricula_domain::{Activity, ActivityKind, Organisations, PackageRevision, ScormContent};
use curricula_ports::AuditEvent;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

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

/// The sequence settings of a record as the API returns them (fields in the wire's order, as
/// [`CurriculumActivity`]'s).
#[derive(Serialize, ToSchema)]
pub struct SequenceAttributes {
    /// SCORM entries: maximum attempts, 0 = no limit.
    pub attempts_max: Option<i64>,
    /// Sections in `choice` mode: how many entries must be completed.
    pub completions_min: Option<i64>,
    /// Sections: how the section is completed; entries: null.
    pub control_mode: Option<ControlMode>,
}

/// A section (`course_id` null) or an entry (`course_id` = the activity) of a path.
///
/// Its fields stand in the wire's order, alphabetical (the API has always written its keys
/// sorted), so that a List of 50 is serialised straight rather than through a
/// `serde_json::Value` per record (see the test `curriculum_activities_are_written_sorted`).
#[derive(Serialize, ToSchema)]
pub struct CurriculumActivity {
    /// The tenant.
    pub account_id: i64,
    /// Internal code.
    pub code: Option<String>,
    /// Entries: the activity; sections: null.
    pub course_id: Option<i64>,
    /// The path (course activity id).
    pub curriculum_id: i64,
    /// Sections: shown to students.
    pub description: Option<String>,
    /// Unused (kept for compatibility).
    pub due_days: Option<i64>,
    /// SCORM entries: passing it exempts from the rest of the path.
    pub exempt_if_mastered: Option<bool>,
    /// The record id.
    pub id: i64,
    /// Sections: `full` or `collapsed`.
    pub initial_view: Option<String>,
    /// Nested-set left bound within the path.
    pub lft: i64,
    /// Sections: enrolment opens on this date (`YYYY-MM-DD`).
    #[schema(format = Date)]
    pub lock_until: Option<String>,
    /// Displayed name (an entry defaults to its activity's name).
    pub name: Option<String>,
    /// Entries: the section holding it; sections: null.
    pub parent_id: Option<i64>,
    /// Entries of a `flow`/specified section: required.
    pub required_for_specified_control_mode: Option<bool>,
    /// Nested-set right bound within the path.
    pub rgt: i64,
    /// Sequence settings.
    pub sequence_attributes: SequenceAttributes,
    /// Entries: launch directly into the content.
    pub skip_interstitial_page: Option<bool>,
    /// The admin user who last changed it through a UI; null for API writes.
    pub updated_by: Option<i64>,
    /// Last change, UTC with milliseconds.
    #[schema(example = "2026-11-24T12:00:00.000Z")]
    pub updated_on: String,
    /// SCORM entries: 1 = counts towards the path's score.
    pub weight: Option<i64>,
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

/// The SCORM details of a language version.
#[derive(Serialize, ToSchema)]
pub struct ScormDetails {
    /// `1.2`, `2004 3rd Edition`, ... (null when the manifest does not say).
    pub scorm_version: Option<String>,
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
    pub items: Value,
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
    #[serde(skip_serializing_if = "Option::is_none")]
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

/// A UTC time as the v2 API writes it: `2026-11-24T12:00:00.000Z`.
pub fn timestamp(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

impl From<curriculum::ControlMode> for ControlMode {
    fn from(mode: curriculum::ControlMode) -> Self {
        match mode {
            curriculum::ControlMode::Flow => Self::Flow,
            curriculum::ControlMode::Choice => Self::Choice,
            curriculum::ControlMode::Optional => Self::Optional,
        }
    }
}

impl From<&CurriculumRecord> for CurriculumActivity {
    fn from(r: &CurriculumRecord) -> Self {
        Self {
            id: r.id.0,
            name: Some(r.name.clone()),
            parent_id: r.parent_id.map(|p| p.0),
            lft: r.lft.into(),
            rgt: r.rgt.into(),
            curriculum_id: r.curriculum_id.0,
            course_id: r.course_id.map(|c| c.0),
            account_id: r.account_id.0,
            updated_by: r.updated_by,
            updated_on: timestamp(&r.updated_on),
            due_days: r.due_days.map(i64::from),
            weight: r.weight.map(i64::from),
            exempt_if_mastered: r.exempt_if_mastered,
            description: r.description.clone(),
            lock_until: r.lock_until.map(|d| d.format("%Y-%m-%d").to_string()),
            code: r.code.clone(),
            initial_view: r.initial_view.map(|v| v.as_str().to_owned()),
            required_for_specified_control_mode: r.required_for_specified_control_mode,
            skip_interstitial_page: r.skip_interstitial_page,
            sequence_attributes: SequenceAttributes {
                control_mode: r.control_mode.map(ControlMode::from),
                completions_min: r.completions_min.map(i64::from),
                attempts_max: r.attempts_max.map(i64::from),
            },
        }
    }
}

/// A count as the schema's integer (no count comes near `i64::MAX`).
fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl From<&ScormContent> for ScormDetails {
    fn from(s: &ScormContent) -> Self {
        Self {
            scorm_version: s.scorm_version.clone(),
            title: s.title.clone(),
            description: s.description.clone(),
            launch_href: s.launch_href.clone(),
            mastery_score: s.mastery_score,
            completion_threshold: s.completion_threshold,
            file_count: count(s.file_count),
            total_bytes: count(s.total_bytes),
            package_sha256: s.package_sha256.clone(),
            items: s.items.clone(),
        }
    }
}

impl PackageRevisionRecord {
    /// Revision `r`, `current` when it is the one launches serve.
    pub fn new(r: &PackageRevision, current: Option<u32>) -> Self {
        Self {
            revision: r.number.into(),
            current: current == Some(r.number),
            uploaded_at: timestamp(&r.uploaded_at),
            api_key_id: r.api_key.map(|k| k.0),
            package_sha256: r.content.package_sha256.clone(),
            scorm_version: r.content.scorm_version.clone(),
            title: r.content.title.clone(),
            launch_href: r.content.launch_href.clone(),
            file_count: count(r.content.file_count),
            total_bytes: count(r.content.total_bytes),
        }
    }
}

impl ActivityRecord {
    /// Activity `a`; with `revisions` (the single-activity read), each SCORM language version
    /// lists the package revisions it keeps.
    pub fn new(a: &Activity, revisions: Option<&[PackageRevision]>) -> Self {
        let language_versions = a
            .versions
            .iter()
            .map(|v| LanguageVersion {
                id: v.id.0,
                language: v.language.as_str().to_owned(),
                title: v.title.as_str().to_owned(),
                created_at: timestamp(&v.created_at),
                revision: v.revision.map(i64::from),
                scorm: v.scorm.as_ref().map(ScormDetails::from),
                revisions: revisions.filter(|_| v.scorm.is_some()).map(|revisions| {
                    revisions
                        .iter()
                        .filter(|r| r.language == v.language)
                        .map(|r| PackageRevisionRecord::new(r, v.revision))
                        .collect()
                }),
            })
            .collect();
        Self {
            id: a.id.0,
            kind: match a.kind {
                ActivityKind::Scorm => ActivityType::Scorm,
                ActivityKind::Course => ActivityType::Course,
            },
            name: a.name.as_str().to_owned(),
            owner_id: a.owner.0,
            organisation_ids: match &a.organisations {
                Organisations::All => None,
                Organisations::Only(ids) => Some(ids.iter().map(|o| o.0).collect()),
            },
            parent_id: a.parent.map(|p| p.0),
            in_catalog: a.in_catalog,
            created_at: timestamp(&a.created_at),
            updated_at: timestamp(&a.updated_at),
            language_versions,
        }
    }
}

impl From<&AuditEvent> for AuditEventRecord {
    fn from(e: &AuditEvent) -> Self {
        Self {
            id: e.id,
            created_at: timestamp(&e.at),
            action: e.action.clone(),
            api_key_id: e.api_key.map(|k| k.0),
            origin: e.origin.clone(),
            activity_id: e.activity.map(|a| a.0),
            curriculum_activity_id: e.record.map(|r| r.0),
            changes: e.changes.clone(),
            request_id: e.request_id.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use curricula_domain::curriculum::{Curriculum, RecordInput};
    use curricula_domain::{ActivityId, ActivityKind, RecordId, TenantId};

    /// A section and an entry, every attribute set, written straight are what the API has
    /// always written: the keys of a `serde_json` map, sorted, at every level.
    #[test]
    fn curriculum_activities_are_written_sorted() {
        let now = chrono::DateTime::UNIX_EPOCH;
        let mut path = Curriculum::for_new_course(ActivityId(1), TenantId(2), RecordId(3), now);
        let input = RecordInput {
            name: curriculum::Patch::Value("Section".into()),
            description: curriculum::Patch::Value("About".into()),
            code: curriculum::Patch::Value("C-1".into()),
            lock_until: curriculum::Patch::Value(chrono::NaiveDate::from_ymd_opt(2026, 1, 2).unwrap()),
            initial_view: curriculum::Patch::Value(curriculum::InitialView::Full),
            control_mode: curriculum::Patch::Value(curriculum::ControlMode::Flow),
            ..RecordInput::default()
        };
        path.create_section(RecordId(4), &input, now).unwrap();
        path.append_to_last_section(RecordId(5), ActivityId(6), ActivityKind::Scorm, "Entry".into(), now)
            .unwrap();
        for record in path.records() {
            let body = CurriculumActivity::from(&record);
            let straight = serde_json::to_string(&body).unwrap();
            assert_eq!(straight, serde_json::to_string(&crate::http::sorted(&body)).unwrap());
        }
    }
}
