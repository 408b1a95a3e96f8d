//! The Curriculum Activities API's use cases: list, create, update, move, destroy records of
//! the caller's paths.

use crate::audit::{Actor, AuditTrail, Entry, action, before_after};
use crate::auth::{self, AuthError, Caller};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use curricula_domain::curriculum::{
    CourseRef, CurriculumError, CurriculumErrors, CurriculumRecord, Orientation, Patch, RecordInput, parse_record_id,
};
use curricula_domain::{ActivityId, RecordId};
use curricula_ports::{ActivityRepository, ChangeError, Clock, CurriculumRepository, StoreError, TenantDirectory};
use serde_json::{Map, Value};
use std::sync::Arc;

/// Records per page of an unfiltered list.
pub const PAGE_SIZE: usize = 50;

/// Why a v2 call failed.
#[derive(Debug, thiserror::Error)]
pub enum V2Error {
    /// No key, or an unknown one.
    #[error("invalid api_key")]
    Unauthorized,
    /// The record in the URL is not the caller's (404).
    #[error("{0}")]
    NotFound(String),
    /// Refused; one message per problem (422).
    #[error("{}", .0.join("; "))]
    Unprocessable(Vec<String>),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl V2Error {
    fn one(message: impl Into<String>) -> Self {
        Self::Unprocessable(vec![message.into()])
    }
}

impl From<AuthError> for V2Error {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Unauthorized => Self::Unauthorized,
            AuthError::Store(s) => Self::Store(s),
        }
    }
}

impl From<CurriculumErrors> for V2Error {
    fn from(e: CurriculumErrors) -> Self {
        if e.is_not_found() {
            Self::NotFound(e.messages().join("; "))
        } else {
            Self::Unprocessable(e.messages())
        }
    }
}

impl From<CurriculumError> for V2Error {
    fn from(e: CurriculumError) -> Self {
        CurriculumErrors::from(e).into()
    }
}

impl From<ChangeError> for V2Error {
    fn from(e: ChangeError) -> Self {
        match e {
            ChangeError::PathNotFound(_) => Self::one(e.to_string()),
            ChangeError::Refused(errors) => errors.into(),
            ChangeError::Store(s) => Self::Store(s),
        }
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct ListPage {
    /// The records of the page.
    pub records: Vec<CurriculumRecord>,
    /// How many records match, over all pages.
    pub total: usize,
    /// The page number (1 when not paginated).
    pub page: usize,
    /// Whether the list is paginated (it is not when filtered on one path).
    pub paginated: bool,
}

impl ListPage {
    /// The last page number (at least 1).
    pub fn last_page(&self) -> usize {
        if self.paginated {
            self.total.div_ceil(PAGE_SIZE).max(1)
        } else {
            1
        }
    }
}

/// The v2 use cases.
pub struct CurriculumService<D: ?Sized, A: ?Sized, C: ?Sized> {
    directory: Arc<D>,
    activities: Arc<A>,
    curricula: Arc<C>,
    clock: Arc<dyn Clock>,
    audit: AuditTrail,
}

/// Filterable record attributes (`curriculum_activity[...]`).
const RECORD_FILTERS: [&str; 11] = [
    "id",
    "name",
    "parent_id",
    "lft",
    "rgt",
    "curriculum_id",
    "course_id",
    "updated_by",
    "updated_on",
    "lock_until",
    "initial_view",
];
/// Filterable attributes of the path (`course[...]`).
const COURSE_FILTERS: [&str; 5] = crate::activities::ACTIVITY_FILTERS;

impl<D, A, C> CurriculumService<D, A, C>
where
    D: TenantDirectory + ?Sized,
    A: ActivityRepository + ?Sized,
    C: CurriculumRepository + ?Sized,
{
    /// Wires the use cases.
    pub fn new(directory: Arc<D>, activities: Arc<A>, curricula: Arc<C>, clock: Arc<dyn Clock>) -> Self {
        Self {
            directory,
            activities,
            curricula,
            audit: AuditTrail::disabled(Arc::clone(&clock)),
            clock,
        }
    }

    /// Records every write in `audit`.
    #[must_use]
    pub fn with_audit(mut self, audit: AuditTrail) -> Self {
        self.audit = audit;
        self
    }

    /// The audit trail the writes are recorded in.
    pub fn audit(&self) -> &AuditTrail {
        &self.audit
    }

    async fn record(&self, actor: &Actor, action: &'static str, record: RecordId, changes: Value) {
        let entry = Entry {
            action,
            activity: None,
            record: Some(record),
            changes,
        };
        self.audit.record(actor, entry).await;
    }

    /// Authenticates a v2 call by its `api_key`.
    ///
    /// # Errors
    /// `Unauthorized` when absent or unknown.
    pub async fn authenticate(&self, key: Option<&str>) -> Result<Caller, V2Error> {
        let key = key.filter(|k| !k.trim().is_empty()).ok_or(V2Error::Unauthorized)?;
        Ok(auth::authenticate_api(&*self.directory, key, self.clock.now()).await?)
    }

    /// Lists the caller's records: filtered by `curriculum_activity[...]` and `course[...]`,
    /// 50 per `page` unless filtered on `curriculum_activity[curriculum_id]`.
    ///
    /// # Errors
    /// 422 for an unknown filter or a malformed value.
    pub async fn list(&self, caller: Caller, params: &Map<String, Value>) -> Result<ListPage, V2Error> {
        let mut problems = Vec::new();
        for key in params.keys() {
            if !matches!(
                key.as_str(),
                "api_key" | "page" | "curriculum_activity" | "course" | "format"
            ) {
                problems.push(format!("{key} is not a known parameter"));
            }
        }
        let record_filters = filters(params, "curriculum_activity", &RECORD_FILTERS, &mut problems);
        let course_filters = filters(params, "course", &COURSE_FILTERS, &mut problems);
        crate::activities::check_filters("course", &course_filters, &mut problems);
        let page = page(params, &mut problems);
        let path_filter = match record_filters.iter().find(|(k, _)| k == "curriculum_id") {
            Some((_, v)) => match v.trim().parse::<i64>() {
                Ok(id) => Some(ActivityId(id)),
                Err(_) => {
                    problems.push(format!("curriculum_activity[curriculum_id] {v:?} is not an integer"));
                    None
                }
            },
            None => None,
        };
        let mut predicates = Vec::new();
        for (key, value) in &record_filters {
            match Predicate::parse(key, value) {
                Ok(p) => predicates.push(p),
                Err(e) => problems.push(format!("curriculum_activity[{key}] {e}")),
            }
        }
        if !problems.is_empty() {
            return Err(V2Error::Unprocessable(problems));
        }
        let mut records = self.curricula.records(caller.tenant, path_filter).await?;
        records.retain(|r| predicates.iter().all(|p| p.matches(r)));
        if !course_filters.is_empty() {
            let mut keep = std::collections::HashMap::new();
            let mut kept = Vec::with_capacity(records.len());
            for record in records {
                let ok = match keep.get(&record.curriculum_id) {
                    Some(ok) => *ok,
                    None => {
                        let path = self.activities.activity(caller.tenant, record.curriculum_id).await?;
                        let ok = path
                            .is_some_and(|p| course_filters.iter().all(|(k, v)| crate::activities::matches(&p, k, v)));
                        keep.insert(record.curriculum_id, ok);
                        ok
                    }
                };
                if ok {
                    kept.push(record);
                }
            }
            records = kept;
        }
        let total = records.len();
        let paginated = path_filter.is_none();
        if paginated {
            records = records
                .into_iter()
                .skip((page - 1).saturating_mul(PAGE_SIZE))
                .take(PAGE_SIZE)
                .collect();
        }
        Ok(ListPage {
            records,
            total,
            page: if paginated { page } else { 1 },
            paginated,
        })
    }

    /// Creates a section or an entry in path `curriculum_id`, appended last.
    ///
    /// # Errors
    /// 422 naming every problem.
    pub async fn create(&self, actor: &Actor, attributes: &Map<String, Value>) -> Result<CurriculumRecord, V2Error> {
        let caller = actor.caller;
        let input = RecordInput::from_json(attributes)?;
        let Patch::Value(curriculum) = input.curriculum_id else {
            return Err(V2Error::one("curriculum_id can't be blank"));
        };
        let course = match input.course_id.value() {
            Some(id) => self.activities.activity(caller.tenant, *id).await?.map(|a| CourseRef {
                id: a.id,
                kind: a.kind,
                name: a.name.into_string(),
            }),
            None => None,
        };
        let now = self.clock.now();
        let record = self
            .curricula
            .change(
                caller.tenant,
                curriculum,
                Box::new(move |path, new_id| path.create(new_id, &input, course.as_ref(), now).map(|r| Some(r.id))),
            )
            .await?;
        let record = found(record)?;
        let changes = before_after(None, Some(&record));
        self.record(actor, action::RECORD_CREATE, record.id, changes).await;
        Ok(record)
    }

    /// Updates record `id`'s attributes.
    ///
    /// # Errors
    /// 404 when `id` is not the caller's; 422 naming every problem.
    pub async fn update(
        &self,
        actor: &Actor,
        id: RecordId,
        attributes: &Map<String, Value>,
    ) -> Result<CurriculumRecord, V2Error> {
        let caller = actor.caller;
        let input = RecordInput::from_json(attributes)?;
        let curriculum = self.path_of(caller, id).await?;
        let now = self.clock.now();
        let (before, keep) = before_slot();
        let record = self
            .curricula
            .change(
                caller.tenant,
                curriculum,
                Box::new(move |path, _| {
                    keep(path.record(id));
                    path.update(id, &input, now).map(|r| Some(r.id))
                }),
            )
            .await?;
        let record = found(record)?;
        let changes = before_after(taken(&before).as_ref(), Some(&record));
        self.record(actor, action::RECORD_UPDATE, id, changes).await;
        Ok(record)
    }

    /// Moves record `id` above, below or inside `target_id`.
    ///
    /// # Errors
    /// 404 when `id` is not the caller's; 422 when the move is not allowed.
    pub async fn update_position(
        &self,
        actor: &Actor,
        id: RecordId,
        params: &Map<String, Value>,
    ) -> Result<(), V2Error> {
        let caller = actor.caller;
        let unknown: Vec<String> = params
            .keys()
            .filter(|k| !matches!(k.as_str(), "api_key" | "target_id" | "orientation" | "id" | "format"))
            .map(|k| format!("{k} is not a known parameter; update_position takes target_id and orientation"))
            .collect();
        if !unknown.is_empty() {
            return Err(V2Error::Unprocessable(unknown));
        }
        let target = parse_record_id("target_id", params.get("target_id"));
        let orientation = match params.get("orientation").and_then(as_text) {
            Some(raw) => Orientation::parse(&raw),
            None => Err(CurriculumError::invalid("orientation", "can't be blank")),
        };
        let (target, orientation) = match (target, orientation) {
            (Ok(t), Ok(o)) => (t, o),
            (t, o) => {
                let errors = [t.err(), o.err()].into_iter().flatten().collect();
                return Err(CurriculumErrors(errors).into());
            }
        };
        let curriculum = self.path_of(caller, id).await?;
        let now = self.clock.now();
        let (before, keep) = before_slot();
        let after = self
            .curricula
            .change(
                caller.tenant,
                curriculum,
                Box::new(move |path, _| {
                    keep(path.record(id));
                    path.move_record(id, target, orientation, now).map(|()| Some(id))
                }),
            )
            .await?;
        let mut changes = before_after(taken(&before).as_ref(), after.as_ref());
        changes["target_id"] = target.0.into();
        changes["orientation"] = orientation.as_str().into();
        self.record(actor, action::RECORD_MOVE, id, changes).await;
        Ok(())
    }

    /// Destroys record `id` (a section with its entries).
    ///
    /// # Errors
    /// 404 when `id` is not the caller's; 422 when the path would lose its last
    /// non-optional section.
    pub async fn destroy(&self, actor: &Actor, id: RecordId) -> Result<(), V2Error> {
        let caller = actor.caller;
        let curriculum = self.path_of(caller, id).await?;
        let now = self.clock.now();
        let (before, keep) = before_slot();
        self.curricula
            .change(
                caller.tenant,
                curriculum,
                Box::new(move |path, _| {
                    keep(path.record(id));
                    path.destroy(id, now).map(|_| None)
                }),
            )
            .await?;
        let changes = before_after(taken(&before).as_ref(), None);
        self.record(actor, action::RECORD_DESTROY, id, changes).await;
        Ok(())
    }

    async fn path_of(&self, caller: Caller, id: RecordId) -> Result<ActivityId, V2Error> {
        match self.curricula.record(caller.tenant, id).await? {
            Some(record) => Ok(record.curriculum_id),
            None => Err(CurriculumError::RecordNotFound(id).into()),
        }
    }
}

/// A record as it was inside a change, handed out of the change's closure.
type BeforeSlot = Arc<std::sync::Mutex<Option<CurriculumRecord>>>;

/// A slot for a record's state before a change, and the function the change calls to fill it.
fn before_slot() -> (BeforeSlot, impl FnOnce(Option<CurriculumRecord>) + Send + 'static) {
    let slot = BeforeSlot::default();
    let writer = Arc::clone(&slot);
    (slot, move |record| {
        if let Ok(mut guard) = writer.lock() {
            *guard = record;
        }
    })
}

fn taken(slot: &BeforeSlot) -> Option<CurriculumRecord> {
    slot.lock().ok().and_then(|mut guard| guard.take())
}

fn found(record: Option<CurriculumRecord>) -> Result<CurriculumRecord, V2Error> {
    record.ok_or_else(|| {
        V2Error::Store(StoreError::Backend(
            "the changed record was not found after the change".into(),
        ))
    })
}

fn as_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Reads a boolean the way Rails does (`true`/`1`/`t`/`yes`, `false`/`0`/`f`/`no`).
pub(crate) fn parse_bool(raw: &str) -> Option<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "t" | "yes" => Some(true),
        "false" | "0" | "f" | "no" => Some(false),
        _ => None,
    }
}

/// `page`, from 1.
pub(crate) fn page(params: &Map<String, Value>, problems: &mut Vec<String>) -> usize {
    match params.get("page") {
        None => 1,
        Some(v) => match as_text(v).and_then(|t| t.trim().parse::<usize>().ok()) {
            Some(p) if p >= 1 => p,
            _ => {
                problems.push("page must be a positive integer".into());
                1
            }
        },
    }
}

/// The `(attribute, value)` filters under `params[group]`, checking names against `known`.
pub(crate) fn filters(
    params: &Map<String, Value>,
    group: &str,
    known: &[&str],
    problems: &mut Vec<String>,
) -> Vec<(String, String)> {
    let Some(value) = params.get(group) else {
        return Vec::new();
    };
    let Value::Object(map) = value else {
        problems.push(format!("{group} must be a hash of filters"));
        return Vec::new();
    };
    let mut out = Vec::new();
    for (key, value) in map {
        if !known.contains(&key.as_str()) {
            problems.push(format!(
                "{group}[{key}] is not a filter; filters are {}",
                known.join(", ")
            ));
            continue;
        }
        match as_text(value) {
            Some(text) => out.push((key.clone(), text)),
            None => problems.push(format!("{group}[{key}] must be a single value")),
        }
    }
    out
}

/// One `curriculum_activity[...]` filter.
enum Predicate {
    Equals(String, String),
    Time(DateTime<Utc>, DateTime<Utc>),
    Date(Option<NaiveDate>, Option<NaiveDate>, bool),
}

impl Predicate {
    fn parse(key: &str, value: &str) -> Result<Self, String> {
        match key {
            "updated_on" => {
                let (lo, hi) = range(value)?;
                Ok(Self::Time(lo, hi))
            }
            "lock_until" => {
                if value.trim().is_empty() {
                    return Ok(Self::Date(None, None, true));
                }
                let (lo, hi) = range(value)?;
                Ok(Self::Date(Some(lo.date_naive()), Some(hi.date_naive()), false))
            }
            "id" | "lft" | "rgt" | "curriculum_id" => {
                integer(value, false)?;
                Ok(Self::Equals(key.to_owned(), value.trim().to_owned()))
            }
            "parent_id" | "course_id" | "updated_by" => {
                integer(value, true)?;
                Ok(Self::Equals(key.to_owned(), value.trim().to_owned()))
            }
            _ => Ok(Self::Equals(key.to_owned(), value.trim().to_owned())),
        }
    }

    fn matches(&self, r: &CurriculumRecord) -> bool {
        match self {
            Self::Time(lo, hi) => r.updated_on >= *lo && r.updated_on <= *hi,
            Self::Date(_, _, true) => r.lock_until.is_none(),
            Self::Date(lo, hi, false) => r.lock_until.is_some_and(|d| Some(d) >= *lo && Some(d) <= *hi),
            Self::Equals(key, value) => {
                let opt = |v: Option<String>| v.unwrap_or_default() == *value;
                match key.as_str() {
                    "id" => r.id.to_string() == *value,
                    "name" => r.name == *value,
                    "parent_id" => opt(r.parent_id.map(|p| p.to_string())),
                    "lft" => r.lft.to_string() == *value,
                    "rgt" => r.rgt.to_string() == *value,
                    "curriculum_id" => r.curriculum_id.to_string() == *value,
                    "course_id" => opt(r.course_id.map(|c| c.to_string())),
                    "updated_by" => opt(r.updated_by.map(|u| u.to_string())),
                    "initial_view" => opt(r.initial_view.map(|v| v.as_str().to_owned())),
                    _ => false,
                }
            }
        }
    }
}

/// Checks that a filter value is an integer (ASCII digits, optionally `-`), or empty when
/// `empty_ok` (the filter then matches null).
pub(crate) fn integer(raw: &str, empty_ok: bool) -> Result<(), String> {
    let text = raw.trim();
    let digits = text.strip_prefix('-').unwrap_or(text);
    if (text.is_empty() && empty_ok)
        || (!digits.is_empty() && digits.len() <= 18 && digits.bytes().all(|b| b.is_ascii_digit()))
    {
        Ok(())
    } else {
        Err(format!("{raw:?} is not an integer"))
    }
}

/// `a` or `a,b` as an inclusive UTC range; a date-only upper bound includes that whole day.
pub(crate) fn range(raw: &str) -> Result<(DateTime<Utc>, DateTime<Utc>), String> {
    let mut parts = raw.split(',').map(str::trim);
    let first = parts.next().unwrap_or_default();
    let second = parts.next();
    if parts.next().is_some() {
        return Err(format!("{raw:?} is not a date, datetime or range a,b"));
    }
    let lo = instant(first, false)?;
    let hi = match second {
        Some(s) => instant(s, true)?,
        None if first.len() == 10 => instant(first, true)?,
        None => lo,
    };
    if hi < lo {
        return Err(format!("{raw:?} ends before it starts"));
    }
    Ok((lo, hi))
}

fn instant(raw: &str, end_of_day: bool) -> Result<DateTime<Utc>, String> {
    let bad = || format!("{raw:?} is not a date (YYYY-MM-DD) or datetime (YYYY-MM-DD HH:MM:SS)");
    if let Ok(date) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        let time = if end_of_day {
            NaiveTime::from_hms_micro_opt(23, 59, 59, 999_999)
        } else {
            NaiveTime::from_hms_opt(0, 0, 0)
        };
        return Ok(date.and_time(time.ok_or_else(bad)?).and_utc());
    }
    for format in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(raw, format) {
            return Ok(t.and_utc());
        }
    }
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| bad())
}
