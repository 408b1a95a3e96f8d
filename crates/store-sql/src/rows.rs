//! Row structs and their mapping to domain values; nothing here leaves the crate.

use crate::schema::*;
use chrono::{NaiveDateTime, TimeZone, Utc};
use curricula_domain::curriculum::{ControlMode, CurriculumRecord, InitialView};
use curricula_domain::*;
use curricula_ports::ApiKeyRecord;
use diesel::prelude::*;

pub(crate) fn utc(t: NaiveDateTime) -> chrono::DateTime<Utc> {
    Utc.from_utc_datetime(&t)
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = activities)]
pub(crate) struct ActivityRow {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub tenant_id: i64,
    pub kind: String,
    pub name: String,
    pub owner_id: i64,
    pub all_organisations: bool,
    pub parent_id: Option<i64>,
    pub in_catalog: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = language_versions)]
pub(crate) struct VersionRow {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub activity_id: i64,
    pub language: String,
    pub title: String,
    pub created_at: NaiveDateTime,
    #[diesel(embed)]
    pub package: PackageColumns,
}

/// The package columns of a language version: what a replacement or rollback rewrites.
#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = language_versions, treat_none_as_null = true)]
pub(crate) struct PackageColumns {
    pub scorm_version: Option<String>,
    pub scorm_title: Option<String>,
    pub description: Option<String>,
    pub launch_href: Option<String>,
    pub mastery_score: Option<f64>,
    pub completion_threshold: Option<f64>,
    pub items: Option<String>,
    pub file_count: Option<i64>,
    pub total_bytes: Option<i64>,
    pub package_sha256: Option<String>,
    pub storage_prefix: Option<String>,
    pub revision: Option<i32>,
}

impl PackageColumns {
    /// The columns of `scorm` as revision `revision` (all null for a course).
    pub(crate) fn new(scorm: Option<&ScormContent>, revision: u32) -> Self {
        Self {
            scorm_version: scorm.and_then(|s| s.scorm_version.clone()),
            scorm_title: scorm.and_then(|s| s.title.clone()),
            description: scorm.and_then(|s| s.description.clone()),
            launch_href: scorm.map(|s| s.launch_href.clone()),
            mastery_score: scorm.and_then(|s| s.mastery_score),
            completion_threshold: scorm.and_then(|s| s.completion_threshold),
            items: scorm.map(|s| s.items.to_string()),
            file_count: scorm.map(|s| i64::try_from(s.file_count).unwrap_or(i64::MAX)),
            total_bytes: scorm.map(|s| i64::try_from(s.total_bytes).unwrap_or(i64::MAX)),
            package_sha256: scorm.map(|s| s.package_sha256.clone()),
            storage_prefix: scorm.map(|s| s.storage_prefix.clone()),
            revision: scorm.map(|_| i32::try_from(revision).unwrap_or(i32::MAX)),
        }
    }
}

/// A stored package revision; `content` is its [`ScormContent`] as JSON.
#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = package_revisions)]
pub(crate) struct RevisionRow {
    pub language_version_id: i64,
    pub revision: i32,
    pub api_key_id: Option<i64>,
    pub uploaded_at: NaiveDateTime,
    pub superseded_at: Option<NaiveDateTime>,
    pub package_sha256: String,
    pub storage_prefix: String,
    pub content: String,
}

impl RevisionRow {
    pub(crate) fn new(
        version: i64,
        revision: u32,
        api_key: Option<ApiKeyId>,
        content: &ScormContent,
        now: NaiveDateTime,
    ) -> Self {
        Self {
            language_version_id: version,
            revision: i32::try_from(revision).unwrap_or(i32::MAX),
            api_key_id: api_key.map(|k| k.0),
            uploaded_at: now,
            superseded_at: None,
            package_sha256: content.package_sha256.clone(),
            storage_prefix: content.storage_prefix.clone(),
            content: serde_json::to_string(content).unwrap_or_default(),
        }
    }

    pub(crate) fn content(&self) -> Result<ScormContent, serde_json::Error> {
        serde_json::from_str(&self.content)
    }

    pub(crate) fn into_domain(self, language: &str) -> Result<PackageRevision, String> {
        Ok(PackageRevision {
            language: LanguageCode::parse("language", language).map_err(|e| e.to_string())?,
            number: u32::try_from(self.revision).map_err(|e| e.to_string())?,
            uploaded_at: utc(self.uploaded_at),
            api_key: self.api_key_id.map(ApiKeyId),
            content: self.content().map_err(|e| e.to_string())?,
        })
    }
}

/// An event as appended and read.
#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = events)]
pub(crate) struct EventRow {
    #[diesel(skip_insertion)]
    pub id: i64,
    #[diesel(skip_insertion)]
    pub tx: i64,
    pub tenant_id: i64,
    pub kind: String,
    pub occurred_at: NaiveDateTime,
    pub course_id: Option<i64>,
    pub record_id: Option<i64>,
    pub user_id: Option<i64>,
    pub enrollment_id: Option<i64>,
    pub api_key_id: Option<i64>,
    pub origin: Option<String>,
    pub request_id: Option<String>,
    pub data: String,
}

impl From<&curricula_ports::Event> for EventRow {
    fn from(e: &curricula_ports::Event) -> Self {
        Self {
            id: 0,
            tx: 0,
            tenant_id: e.tenant.0,
            kind: e.kind.as_str().to_owned(),
            occurred_at: e.at.naive_utc(),
            course_id: e.course.map(|a| a.0),
            record_id: e.record.map(|r| r.0),
            user_id: e.user.map(|u| u.0),
            enrollment_id: e.enrollment.map(|x| x.0),
            api_key_id: e.api_key.map(|k| k.0),
            origin: e.origin.clone(),
            request_id: e.request_id.clone(),
            data: e.data.to_string(),
        }
    }
}

impl EventRow {
    /// The logged event; `None` for a type this version does not know (written by a newer one).
    pub(crate) fn into_port(self) -> Option<curricula_ports::LoggedEvent> {
        Some(curricula_ports::LoggedEvent {
            id: self.id,
            position: curricula_ports::FeedPosition { tx: self.tx, id: self.id },
            event: curricula_ports::Event {
                kind: curricula_ports::EventType::parse(&self.kind)?,
                tenant: TenantId(self.tenant_id),
                at: utc(self.occurred_at),
                course: self.course_id.map(ActivityId),
                record: self.record_id.map(RecordId),
                user: self.user_id.map(UserId),
                enrollment: self.enrollment_id.map(EnrollmentId),
                api_key: self.api_key_id.map(ApiKeyId),
                origin: self.origin,
                request_id: self.request_id,
                data: serde_json::from_str(&self.data).unwrap_or(serde_json::Value::Null),
            },
        })
    }
}

impl VersionRow {
    pub(crate) fn new(
        activity: ActivityId,
        language: &LanguageCode,
        title: &Name,
        scorm: Option<&ScormContent>,
        now: NaiveDateTime,
    ) -> Self {
        Self {
            id: 0,
            activity_id: activity.0,
            language: language.as_str().to_owned(),
            title: title.as_str().to_owned(),
            created_at: now,
            package: PackageColumns::new(scorm, 1),
        }
    }

    pub(crate) fn into_domain(self) -> Result<LanguageVersion, String> {
        let p = self.package;
        let scorm = match (p.launch_href, p.storage_prefix) {
            (Some(launch_href), Some(storage_prefix)) => Some(ScormContent {
                scorm_version: p.scorm_version,
                title: p.scorm_title,
                description: p.description,
                launch_href,
                mastery_score: p.mastery_score,
                completion_threshold: p.completion_threshold,
                items: p.items.as_deref().and_then(|i| serde_json::from_str(i).ok()).unwrap_or_default(),
                file_count: p.file_count.unwrap_or_default() as u64,
                total_bytes: p.total_bytes.unwrap_or_default() as u64,
                package_sha256: p.package_sha256.unwrap_or_default(),
                storage_prefix,
            }),
            _ => None,
        };
        Ok(LanguageVersion {
            id: LanguageVersionId(self.id),
            language: LanguageCode::parse("language", &self.language).map_err(|e| e.to_string())?,
            title: Name::parse("title", &self.title).map_err(|e| e.to_string())?,
            scorm,
            revision: p.revision.and_then(|r| u32::try_from(r).ok()),
            created_at: utc(self.created_at),
        })
    }
}

#[derive(Queryable, Selectable, Insertable, AsChangeset, Clone)]
#[diesel(table_name = curriculum_activities, treat_none_as_null = true)]
pub(crate) struct RecordRow {
    pub id: i64,
    pub curriculum_id: i64,
    pub account_id: i64,
    pub parent_id: Option<i64>,
    pub course_id: Option<i64>,
    pub name: String,
    pub updated_by: Option<i64>,
    pub updated_on: NaiveDateTime,
    pub due_days: Option<i32>,
    pub weight: Option<i32>,
    pub exempt_if_mastered: Option<bool>,
    pub description: Option<String>,
    pub lock_until: Option<chrono::NaiveDate>,
    pub code: Option<String>,
    pub initial_view: Option<String>,
    pub required_for_specified_control_mode: Option<bool>,
    pub skip_interstitial_page: Option<bool>,
    pub control_mode: Option<String>,
    pub completions_min: Option<i32>,
    pub attempts_max: Option<i32>,
}

impl From<&CurriculumRecord> for RecordRow {
    fn from(r: &CurriculumRecord) -> Self {
        Self {
            id: r.id.0,
            curriculum_id: r.curriculum_id.0,
            account_id: r.account_id.0,
            parent_id: r.parent_id.map(|p| p.0),
            course_id: r.course_id.map(|c| c.0),
            name: r.name.clone(),
            updated_by: r.updated_by,
            updated_on: r.updated_on.naive_utc(),
            due_days: r.due_days,
            weight: r.weight,
            exempt_if_mastered: r.exempt_if_mastered,
            description: r.description.clone(),
            lock_until: r.lock_until,
            code: r.code.clone(),
            initial_view: r.initial_view.map(|v| v.as_str().to_owned()),
            required_for_specified_control_mode: r.required_for_specified_control_mode,
            skip_interstitial_page: r.skip_interstitial_page,
            control_mode: r.control_mode.map(|m| m.as_str().to_owned()),
            completions_min: r.completions_min,
            attempts_max: r.attempts_max,
        }
    }
}

/// The nested-set bounds of a record, stored apart (`curriculum_bounds`).
#[derive(Queryable, Selectable, Insertable, Clone, Copy)]
#[diesel(table_name = curriculum_bounds)]
pub(crate) struct BoundsRow {
    pub id: i64,
    pub curriculum_id: i64,
    pub lft: i32,
    pub rgt: i32,
}

impl From<&CurriculumRecord> for BoundsRow {
    fn from(r: &CurriculumRecord) -> Self {
        Self { id: r.id.0, curriculum_id: r.curriculum_id.0, lft: r.lft, rgt: r.rgt }
    }
}

/// A stored record as loaded: its attributes, its bounds, and its entry's activity kind.
pub(crate) type LoadedRow = (RecordRow, BoundsRow, Option<String>);

impl RecordRow {
    pub(crate) fn into_domain(self, bounds: BoundsRow, course_kind: Option<ActivityKind>) -> CurriculumRecord {
        CurriculumRecord {
            id: RecordId(self.id),
            curriculum_id: ActivityId(self.curriculum_id),
            account_id: TenantId(self.account_id),
            parent_id: self.parent_id.map(RecordId),
            course_id: self.course_id.map(ActivityId),
            course_kind,
            name: self.name,
            lft: bounds.lft,
            rgt: bounds.rgt,
            updated_by: self.updated_by,
            updated_on: utc(self.updated_on),
            due_days: self.due_days,
            weight: self.weight,
            exempt_if_mastered: self.exempt_if_mastered,
            description: self.description,
            lock_until: self.lock_until,
            code: self.code,
            initial_view: self.initial_view.and_then(|v| InitialView::parse(&v).ok()),
            required_for_specified_control_mode: self.required_for_specified_control_mode,
            skip_interstitial_page: self.skip_interstitial_page,
            control_mode: self.control_mode.and_then(|m| ControlMode::parse(&m).ok()),
            completions_min: self.completions_min,
            attempts_max: self.attempts_max,
        }
    }
}

pub(crate) fn kind(raw: &str) -> ActivityKind {
    if raw == "course" { ActivityKind::Course } else { ActivityKind::Scorm }
}

/// An API key row (without its hash).
#[derive(Queryable, Selectable)]
#[diesel(table_name = api_keys)]
pub(crate) struct KeyRow {
    pub id: i64,
    pub tenant_id: i64,
    pub origin: Option<String>,
    pub created_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
    pub expires_at: Option<NaiveDateTime>,
}

/// An API key row as the port's record.
pub(crate) fn key_record(row: KeyRow) -> ApiKeyRecord {
    ApiKeyRecord {
        id: ApiKeyId(row.id),
        tenant: TenantId(row.tenant_id),
        origin: row.origin.as_deref().and_then(|o| Origin::parse(o).ok()),
        created_at: utc(row.created_at),
        revoked_at: row.revoked_at.map(utc),
        expires_at: row.expires_at.map(utc),
    }
}

/// A tenant from its row and enabled language codes (the default first, then by code).
pub(crate) fn tenant(
    (id, name, default_language): (i64, String, String),
    mut codes: Vec<String>,
) -> QueryResult<Tenant> {
    codes.sort_by_key(|code| (code != &default_language, code.clone()));
    let parse = |code: &str| LanguageCode::parse("language", code).map_err(crate::errors::corrupt);
    Ok(Tenant {
        id: TenantId(id),
        name,
        default_language: parse(&default_language)?,
        languages: codes.iter().map(|c| parse(c)).collect::<QueryResult<_>>()?,
    })
}

/// Activities with their versions and organisation links, each list in activity-id order
/// (versions then by id, links then by organisation): three queries for a whole tenant.
pub(crate) fn assemble(
    rows: Vec<ActivityRow>,
    versions: Vec<VersionRow>,
    links: Vec<(i64, i64)>,
) -> QueryResult<Vec<Activity>> {
    let (mut versions, mut links) = (versions.into_iter().peekable(), links.into_iter().peekable());
    rows.into_iter()
        .map(|row| {
            let mut own_versions = Vec::new();
            while let Some(v) = versions.next_if(|v| v.activity_id <= row.id) {
                if v.activity_id == row.id {
                    own_versions.push(v);
                }
            }
            let mut own_links = Vec::new();
            while let Some((activity, organisation)) = links.next_if(|(a, _)| *a <= row.id) {
                if activity == row.id {
                    own_links.push(organisation);
                }
            }
            activity(row, own_versions, own_links)
        })
        .collect()
}

pub(crate) fn activity(
    row: ActivityRow,
    versions: Vec<VersionRow>,
    organisation_ids: Vec<i64>,
) -> QueryResult<Activity> {
    let corrupt = |e: String| diesel::result::Error::DeserializationError(e.into());
    Ok(Activity {
        id: ActivityId(row.id),
        tenant: TenantId(row.tenant_id),
        kind: kind(&row.kind),
        name: Name::parse("name", &row.name).map_err(|e| corrupt(e.to_string()))?,
        owner: UserId(row.owner_id),
        organisations: if row.all_organisations {
            Organisations::All
        } else {
            Organisations::Only(organisation_ids.into_iter().map(OrganisationId).collect())
        },
        parent: row.parent_id.map(ActivityId),
        in_catalog: row.in_catalog,
        created_at: utc(row.created_at),
        updated_at: utc(row.updated_at),
        versions: versions.into_iter().map(VersionRow::into_domain).collect::<Result<_, _>>().map_err(corrupt)?,
    })
}

/// Rows of `curriculum_activities` with their bounds and their entry's activity kind, as
/// [`LoadedRow`]s; filter and order to taste.
macro_rules! loaded_rows {
    () => {
        curriculum_activities::table
            .inner_join(curriculum_bounds::table)
            .left_join(activities::table.on(curriculum_activities::course_id.eq(activities::id.nullable())))
            .select((RecordRow::as_select(), BoundsRow::as_select(), activities::kind.nullable()))
    };
}
pub(crate) use loaded_rows;

/// One `COUNT(*) AS n` row of a raw query.
#[derive(diesel::QueryableByName)]
pub(crate) struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub(crate) n: i64,
}

/// Rows of `curriculum_activities` joined with their entry's activity kind, as domain records.
pub(crate) fn into_records(rows: Vec<LoadedRow>) -> Vec<CurriculumRecord> {
    rows.into_iter().map(|(row, bounds, raw)| row.into_domain(bounds, raw.as_deref().map(kind))).collect()
}

/// The kind of a stored activity row.
pub(crate) fn is_course(raw: &str) -> bool {
    kind(raw) == ActivityKind::Course
}
