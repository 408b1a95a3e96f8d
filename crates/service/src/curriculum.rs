//! The Curriculum Activities API's use cases: list, create, update, move, destroy records of
//! the caller's paths.

use crate::auth::{self, AuthError, Caller};
use crate::events::{Actor, before_after};
use curricula_domain::curriculum::{
    ChangeKind, CourseRef, Curriculum, CurriculumError, CurriculumErrors, CurriculumRecord, Orientation, Patch,
    RecordInput, TreeDiff, TreeInput,
};
use curricula_domain::{ActivityId, RecordId};
use curricula_ports::{
    ActivityRepository, ChangeError, Changed, Clock, CurriculumChange, CurriculumRepository, EventType, Journal,
    PathOf, PathTag, PathVersion, PathWrite, RecordFilter, Slice, StoreError, TenantDirectory,
};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

pub use crate::query::PAGE_SIZE;

/// Why a write of a record (create, update, update_position, destroy) was not applied;
/// nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// `curriculum_id` is not a path (course) of the caller's.
    #[error("curriculum_id {0} is not a path of your account")]
    PathNotFound(ActivityId),
    /// The path's version is not the one the write was conditioned on (`If-Match`).
    #[error("the path changed: its version is now {}", current.version.0)]
    VersionMismatch {
        /// The path and its current version.
        current: PathTag,
    },
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
            ChangeError::VersionMismatch { current } => Self::VersionMismatch { current },
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

/// What a whole-path PUT left: the path, its version, and what changed record by record.
#[derive(Debug, Clone)]
pub struct Synced {
    /// The path as it is now (or would be, for a dry run).
    pub curriculum: Curriculum,
    /// Its version (unchanged for a dry run or a tree that changes nothing).
    pub version: PathVersion,
    /// The changes, record by record.
    pub diff: TreeDiff,
}

/// The v2 use cases.
pub struct CurriculumService<D: ?Sized, A: ?Sized, C: ?Sized> {
    directory: Arc<D>,
    activities: Arc<A>,
    curricula: Arc<C>,
    clock: Arc<dyn Clock>,
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
            clock,
        }
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

    /// Creates a section or an entry in path `curriculum_id`, appended last, when the path's
    /// version is one of `if_match` (any when `None`); the record and the path's new version.
    ///
    /// # Errors
    /// `Refused` naming every problem (`curriculum_id` blank included); `PathNotFound`;
    /// `VersionMismatch`.
    pub async fn create(
        &self,
        actor: &Actor,
        input: RecordInput,
        if_match: Option<Vec<PathTag>>,
    ) -> Result<(CurriculumRecord, PathVersion), WriteError> {
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
        let change = one_id(move |path, new_id| path.create(new_id, &input, course.as_ref(), now).map(|r| Some(r.id)));
        let changed = self
            .curricula
            .change(
                caller.tenant,
                PathOf::Path(curriculum),
                PathWrite::new(1, change).if_match(if_match).journal(record_event(
                    actor,
                    EventType::RecordCreated,
                    now,
                    None,
                    None,
                )),
            )
            .await?;
        let record = found(changed.record)?;
        Ok((record, changed.version))
    }

    /// Updates record `id`'s attributes when its path's version is one of `if_match`; the
    /// record and the path's version.
    ///
    /// # Errors
    /// `Refused`: not found when `id` is not the caller's, else naming every problem;
    /// `VersionMismatch`.
    pub async fn update(
        &self,
        actor: &Actor,
        id: RecordId,
        input: RecordInput,
        if_match: Option<Vec<PathTag>>,
    ) -> Result<(CurriculumRecord, PathVersion), WriteError> {
        let now = self.clock.now();
        let (before, keep) = before_slot();
        let change: CurriculumChange = Box::new(move |path, _| {
            keep(path.record(id));
            path.update(id, &input, now).map(|r| Some(r.id))
        });
        let changed = self
            .change_holding(
                actor,
                id,
                change,
                if_match,
                record_event(actor, EventType::RecordUpdated, now, Some(before), None),
            )
            .await?;
        let record = found(changed.record)?;
        Ok((record, changed.version))
    }

    /// Moves record `id` above, below or inside `target_id` when its path's version is one of
    /// `if_match`; the path it is in and the path's version.
    ///
    /// # Errors
    /// `Refused`: not found when `id` is not the caller's, else why the move is not allowed;
    /// `VersionMismatch`.
    pub async fn update_position(
        &self,
        actor: &Actor,
        id: RecordId,
        target: RecordId,
        orientation: Orientation,
        if_match: Option<Vec<PathTag>>,
    ) -> Result<(ActivityId, PathVersion), WriteError> {
        let now = self.clock.now();
        let (before, keep) = before_slot();
        let change: CurriculumChange = Box::new(move |path, _| {
            keep(path.record(id));
            path.move_record(id, target, orientation, now).map(|()| Some(id))
        });
        let changed = self
            .change_holding(
                actor,
                id,
                change,
                if_match,
                record_event(
                    actor,
                    EventType::RecordMoved,
                    now,
                    Some(before),
                    Some(serde_json::json!({ "target_id": target.0, "orientation": orientation.as_str() })),
                ),
            )
            .await?;
        Ok((changed.path, changed.version))
    }

    /// Destroys record `id` (a section with its entries) when its path's version is one of
    /// `if_match`; the path it was in and the path's version.
    ///
    /// # Errors
    /// `Refused`: not found when `id` is not the caller's, or the path would lose its last
    /// non-optional section; `VersionMismatch`.
    pub async fn destroy(
        &self,
        actor: &Actor,
        id: RecordId,
        if_match: Option<Vec<PathTag>>,
    ) -> Result<(ActivityId, PathVersion), WriteError> {
        let now = self.clock.now();
        let (before, keep) = before_slot();
        let change: CurriculumChange = Box::new(move |path, _| {
            keep(path.record(id));
            path.destroy(id, now).map(|_| None)
        });
        let journal = destroyed_event(actor, id, now, before);
        let changed = self.change_holding(actor, id, change, if_match, journal).await?;
        Ok((changed.path, changed.version))
    }

    /// Path `path` of the caller's as a tree, with its version.
    ///
    /// # Errors
    /// `PathNotFound` when it is not a path of the caller's.
    pub async fn tree(&self, caller: Caller, path: ActivityId) -> Result<(Curriculum, PathVersion), WriteError> {
        self.curricula
            .path(caller.tenant, path)
            .await?
            .ok_or(WriteError::PathNotFound(path))
    }

    /// A whole-path PUT: makes path `path` the tree `tree` ([`Curriculum::sync`]) in one
    /// write under the path's lock, when its version is one of `if_match`; one audit event
    /// per changed record, none for a tree that changes nothing. With `dry_run`, checks
    /// everything and answers the changes it would make, writing nothing (new records then
    /// have negative placeholder ids).
    ///
    /// # Errors
    /// `PathNotFound`; `VersionMismatch`; `Refused` with every problem of the tree, each
    /// naming where it is.
    pub async fn sync(
        &self,
        actor: &Actor,
        path: ActivityId,
        tree: TreeInput,
        if_match: Option<Vec<PathTag>>,
        dry_run: bool,
    ) -> Result<Synced, WriteError> {
        let caller = actor.caller;
        let refs = self
            .curricula
            .course_refs(caller.tenant, &tree.courses_to_look_up())
            .await?;
        let courses: HashMap<ActivityId, CourseRef> = refs.into_iter().map(|c| (c.id, c)).collect();
        let now = self.clock.now();
        if dry_run {
            let (mut curriculum, version) = self.tree(caller, path).await?;
            let current = PathTag { path, version };
            if if_match.as_ref().is_some_and(|tags| !tags.contains(&current)) {
                return Err(WriteError::VersionMismatch { current });
            }
            let placeholders: Vec<RecordId> = (1..=tree.without_id())
                .map(|k| RecordId(-i64::try_from(k).unwrap_or(i64::MAX)))
                .collect();
            let diff = curriculum.sync(&tree, &courses, &placeholders, now)?;
            return Ok(Synced {
                curriculum,
                version,
                diff,
            });
        }
        let slot: Arc<std::sync::Mutex<Option<(TreeDiff, Curriculum)>>> = Arc::default();
        let out = Arc::clone(&slot);
        let wanted = tree.without_id();
        let change: CurriculumChange = Box::new(move |current, ids| {
            let diff = current.sync(&tree, &courses, ids, now)?;
            if let Ok(mut guard) = out.lock() {
                *guard = Some((diff, current.clone()));
            }
            Ok(None)
        });
        let (diffs, actor) = (Arc::clone(&slot), actor.clone());
        let journal = Journal::of(move |_: &Changed| {
            let Ok(guard) = diffs.lock() else { return Vec::new() };
            let Some((diff, _)) = guard.as_ref() else {
                return Vec::new();
            };
            diff.changes
                .iter()
                .map(|change| {
                    let kind = match change.kind() {
                        ChangeKind::Create => EventType::RecordCreated,
                        ChangeKind::Update => EventType::RecordUpdated,
                        ChangeKind::Move => EventType::RecordMoved,
                        ChangeKind::Destroy => EventType::RecordDestroyed,
                    };
                    let mut data = before_after(change.before.as_ref(), change.after.as_ref());
                    data["via"] = "curriculum.sync".into();
                    actor.event(kind, now, data).course(path).record(change.id)
                })
                .collect()
        });
        let changed = self
            .curricula
            .change(
                caller.tenant,
                PathOf::Path(path),
                PathWrite::new(wanted, change).if_match(if_match).journal(journal),
            )
            .await?;
        let (diff, curriculum) = slot
            .lock()
            .ok()
            .and_then(|mut guard| guard.take())
            .ok_or_else(|| WriteError::Store(StoreError::Backend("the synced path was not handed back".into())))?;
        Ok(Synced {
            curriculum,
            version: changed.version,
            diff,
        })
    }

    /// Applies `change` to the caller's path holding record `id` (found and locked by the
    /// store), when `if_match` allows, appending `journal`.
    async fn change_holding(
        &self,
        actor: &Actor,
        id: RecordId,
        change: CurriculumChange,
        if_match: Option<Vec<PathTag>>,
        journal: Journal<Changed>,
    ) -> Result<Changed, WriteError> {
        let write = PathWrite::new(0, change).if_match(if_match).journal(journal);
        Ok(self
            .curricula
            .change(actor.caller.tenant, PathOf::Holding(id), write)
            .await?)
    }
}

/// A change that creates at most one record, with the first fresh id.
fn one_id(
    change: impl FnOnce(&mut Curriculum, RecordId) -> Result<Option<RecordId>, CurriculumErrors> + Send + 'static,
) -> CurriculumChange {
    Box::new(move |path, ids| match ids.first() {
        Some(id) => change(path, *id),
        None => Err(CurriculumError::invalid("id", "could not be given to the new record").into()),
    })
}

/// The event of a write of one record that leaves it in the path (created, updated, moved):
/// its state before (from `before`, filled by the change) and after, and `extra` fields.
fn record_event(
    actor: &Actor,
    kind: EventType,
    at: chrono::DateTime<chrono::Utc>,
    before: Option<BeforeSlot>,
    extra: Option<Value>,
) -> Journal<Changed> {
    let actor = actor.clone();
    Journal::of(move |changed: &Changed| {
        let Some(after) = changed.record.as_ref() else {
            return Vec::new();
        };
        let before = before.as_ref().and_then(taken);
        let mut data = before_after(before.as_ref(), Some(after));
        if let (Some(Value::Object(extra)), Value::Object(data)) = (extra, &mut data) {
            data.extend(extra);
        }
        vec![actor.event(kind, at, data).course(after.curriculum_id).record(after.id)]
    })
}

/// The event of destroying record `id`, with its state before.
fn destroyed_event(
    actor: &Actor,
    id: RecordId,
    at: chrono::DateTime<chrono::Utc>,
    before: BeforeSlot,
) -> Journal<Changed> {
    let actor = actor.clone();
    Journal::of(move |changed: &Changed| {
        let data = before_after(taken(&before).as_ref(), None);
        vec![
            actor
                .event(EventType::RecordDestroyed, at, data)
                .course(changed.path)
                .record(id),
        ]
    })
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
