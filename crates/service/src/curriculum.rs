//! The Curriculum Activities API's use cases: list, create, update, move, destroy records of
//! the caller's paths.

use crate::audit::{Actor, AuditTrail, Entry, action, before_after};
use crate::auth::{self, AuthError, Caller};
use curricula_domain::curriculum::{
    CourseRef, CurriculumError, CurriculumErrors, CurriculumRecord, Orientation, Patch, RecordInput,
};
use curricula_domain::{ActivityId, RecordId};
use curricula_ports::{
    ActivityRepository, ChangeError, Clock, CurriculumRepository, RecordFilter, Slice, StoreError, TenantDirectory,
};
use serde_json::Value;
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

    /// Lists the caller's records matching `filter` (its `course` part on each record's path),
    /// page `page` of 50, or every one when filtered on one path (`curriculum_id`). The store
    /// runs the filter, the order and the page.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn list(&self, caller: Caller, filter: &RecordFilter, page: usize) -> Result<ListPage, StoreError> {
        let paginated = filter.curriculum_id.is_none();
        let slice = if paginated {
            crate::query::slice(page)
        } else {
            Slice::ALL
        };
        let listed = self.curricula.list_records(caller.tenant, filter, slice).await?;
        Ok(ListPage {
            records: listed.items,
            total: usize::try_from(listed.total).unwrap_or(usize::MAX),
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

    /// Moves record `id` above, below or inside `target_id`; the path it is in.
    ///
    /// # Errors
    /// `Refused`: not found when `id` is not the caller's, else why the move is not allowed.
    pub async fn update_position(
        &self,
        actor: &Actor,
        id: RecordId,
        target: RecordId,
        orientation: Orientation,
    ) -> Result<ActivityId, WriteError> {
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
        Ok(curriculum)
    }

    /// Destroys record `id` (a section with its entries); the path it was in.
    ///
    /// # Errors
    /// `Refused`: not found when `id` is not the caller's, or the path would lose its last
    /// non-optional section.
    pub async fn destroy(&self, actor: &Actor, id: RecordId) -> Result<ActivityId, WriteError> {
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
        Ok(curriculum)
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
