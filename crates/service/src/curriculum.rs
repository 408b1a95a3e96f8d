//! The Curriculum Activities API's use cases: list, create, update, move, destroy records of
//! the caller's paths.

use crate::audit::{Actor, AuditTrail, Entry, action, before_after};
use crate::auth::{self, AuthError, Caller};
use crate::query::{filters, integer, page, range};
use crate::v2_error::V2Error;
use chrono::{DateTime, NaiveDate, Utc};
use curricula_domain::curriculum::{
    CourseRef, CurriculumError, CurriculumErrors, CurriculumRecord, Orientation, Patch, RecordInput,
};
use curricula_domain::{ActivityId, RecordId};
use curricula_ports::{ActivityRepository, ChangeError, Clock, CurriculumRepository, StoreError, TenantDirectory};
use serde_json::{Map, Value};
use std::sync::Arc;

pub use crate::query::PAGE_SIZE;

/// Why a write of a record (create, update, update_position, destroy) was not applied;
/// nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// `curriculum_id` is not a path (course) of the caller's.
    #[error("curriculum_id {0} is not a path of your account")]
    PathNotFound(ActivityId),
    /// The rules refused, with every problem found; [`CurriculumErrors::is_not_found`] when
    /// the record is not the caller's.
    #[error(transparent)]
    Refused(#[from] CurriculumErrors),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<CurriculumError> for WriteError {
    fn from(e: CurriculumError) -> Self {
        Self::Refused(e.into())
    }
}

impl From<ChangeError> for WriteError {
    fn from(e: ChangeError) -> Self {
        match e {
            ChangeError::PathNotFound(path) => Self::PathNotFound(path),
            ChangeError::Refused(errors) => Self::Refused(errors),
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
    pub async fn authenticate(&self, key: Option<&str>) -> Result<Caller, AuthError> {
        let key = key.filter(|k| !k.trim().is_empty()).ok_or(AuthError::Unauthorized)?;
        auth::authenticate_api(&*self.directory, key, self.clock.now()).await
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
    /// `Refused` naming every problem (`curriculum_id` blank included); `PathNotFound`.
    pub async fn create(&self, actor: &Actor, input: RecordInput) -> Result<CurriculumRecord, WriteError> {
        let caller = actor.caller;
        let Patch::Value(curriculum) = input.curriculum_id else {
            return Err(CurriculumError::Blank {
                attribute: "curriculum_id",
            }
            .into());
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
    /// `Refused`: not found when `id` is not the caller's, else naming every problem.
    pub async fn update(
        &self,
        actor: &Actor,
        id: RecordId,
        input: RecordInput,
    ) -> Result<CurriculumRecord, WriteError> {
        let caller = actor.caller;
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
    /// `Refused`: not found when `id` is not the caller's, else why the move is not allowed.
    pub async fn update_position(
        &self,
        actor: &Actor,
        id: RecordId,
        target: RecordId,
        orientation: Orientation,
    ) -> Result<(), WriteError> {
        let caller = actor.caller;
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
    /// `Refused`: not found when `id` is not the caller's, or the path would lose its last
    /// non-optional section.
    pub async fn destroy(&self, actor: &Actor, id: RecordId) -> Result<(), WriteError> {
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

    async fn path_of(&self, caller: Caller, id: RecordId) -> Result<ActivityId, WriteError> {
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

fn found(record: Option<CurriculumRecord>) -> Result<CurriculumRecord, WriteError> {
    record.ok_or_else(|| {
        WriteError::Store(StoreError::Backend(
            "the changed record was not found after the change".into(),
        ))
    })
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
