//! A path's rows: loading (through the cache), writing a change, fresh record ids.

use super::Conn;
use crate::cache::{LoadedPath, PathCache};
use crate::errors::corrupt;
use crate::plan::WritePlan;
use crate::rows::{BoundsRow, Count, EventRow, LoadedRow, RecordRow, into_records, is_course, loaded_rows};
use crate::schema::*;
use curricula_domain::curriculum::{Curriculum, CurriculumRecord};
use curricula_domain::{ActivityId, RecordId, TenantId};
use curricula_ports::{Event, PathOf};
use diesel::prelude::*;
use diesel::result::Error as DbError;
use diesel_async::RunQueryDsl;
use std::sync::Arc;

/// The rows of path `$curriculum`, in `lft` order: the SELECT behind a path's List.
macro_rules! path_rows {
    ($curriculum:expr) => {
        loaded_rows!().filter(curriculum_activities::curriculum_id.eq($curriculum)).order(curriculum_bounds::lft)
    };
}

/// The path `of` names, loaded and checked (from the cache when its version is current), with
/// its id and version, or `None` when it names no course of the tenant. With `lock`, the
/// course row is locked until the transaction ends (on SQLite the transaction holds the
/// database; on Postgres `FOR NO KEY UPDATE`: the path's writers run one at a time, on every
/// instance, while foreign-key checks against the course — placing it in another path,
/// adding a language — do not wait and cannot deadlock with it). A record is found and its
/// path locked in one statement.
pub(crate) async fn load(
    c: &mut Conn,
    paths: &PathCache,
    tenant: TenantId,
    of: PathOf,
    lock: bool,
) -> QueryResult<Option<(ActivityId, Arc<LoadedPath>, i64)>> {
    /// The course row `$which` picks among the tenant's activities: id, kind, version.
    macro_rules! course {
        ($which:expr) => {{
            let query = activities::table.filter(activities::tenant_id.eq(tenant.0).and($which)).select((
                activities::id,
                activities::kind,
                activities::curriculum_version,
            ));
            #[allow(
                clippy::if_same_then_else,
                reason = "on SQLite `lock!` adds nothing: the transaction holds the database"
            )]
            if lock {
                lock!(query, for_no_key_update).first(c).await.optional()?
            } else {
                query.first(c).await.optional()?
            }
        }};
    }
    let path: Option<(i64, String, i64)> = match of {
        PathOf::Path(id) => course!(activities::id.eq(id.0)),
        PathOf::Holding(record) => course!(
            activities::id.eq_any(
                curriculum_activities::table
                    .filter(curriculum_activities::id.eq(record.0))
                    .filter(curriculum_activities::account_id.eq(tenant.0))
                    .select(curriculum_activities::curriculum_id)
            )
        ),
    };
    let Some((id, _, version)) = path.filter(|(_, kind, _)| is_course(kind)) else {
        return Ok(None);
    };
    if let Some(loaded) = paths.get(id, version) {
        return Ok(Some((ActivityId(id), loaded, version)));
    }
    let rows = super::load!(c, path_rows!(id), LoadedRow)?;
    let records = into_records(rows);
    let curriculum = Curriculum::from_records(ActivityId(id), tenant, records.clone()).map_err(corrupt)?;
    let loaded = Arc::new(LoadedPath { curriculum, records });
    paths.put(id, version, Arc::clone(&loaded));
    Ok(Some((ActivityId(id), loaded, version)))
}

/// Ids per statement of the rows a change only touched (their `updated_on`).
const TOUCHED_CHUNK: usize = 1_000;
/// Record rows (up to 22 values each) per `INSERT`.
const ROWS_CHUNK: usize = 1_000;
/// Ids, or bounds rows (4 values each), per statement.
const IDS_CHUNK: usize = 5_000;

/// Writes path `curriculum`'s change from `before` to `after`, bumps its version and appends
/// `events`, in the caller's transaction. The statements that nothing after them depends on
/// (changed rows, `updated_on` touches, bounds of new rows, the counts, the version, the
/// events) are sent together: on Postgres one round trip for all of them (see `shared!`).
pub(crate) async fn persist(
    c: &mut Conn,
    tenant: TenantId,
    curriculum: ActivityId,
    before: &[CurriculumRecord],
    after: &[CurriculumRecord],
    events: &[Event],
) -> QueryResult<()> {
    let plan = WritePlan::new(curriculum, before, after);
    let added = plan.new_sections.len() + plan.new_entries.len();
    let delta = i64::try_from(added).unwrap_or(i64::MAX) - i64::try_from(plan.deleted.len()).unwrap_or(i64::MAX);
    // Every multi-row statement is chunked: a whole-tree write may hold 10,000 records, and
    // SQLite binds at most 32,766 values per statement, Postgres 65,535.
    for chunk in plan.new_sections.chunks(ROWS_CHUNK) {
        super::insert_all!(c, curriculum_activities::table, chunk.to_vec())?;
    }
    if !plan.deleted.is_empty() {
        // An entry that leaves a destroyed section (a whole-tree write) goes to its new
        // section first: the cascade of the section's delete must not take it along.
        let old_parent: std::collections::HashMap<i64, Option<i64>> =
            before.iter().map(|r| (r.id.0, r.parent_id.map(|p| p.0))).collect();
        for (row, _) in &plan.changed {
            if row.parent_id.is_some() && old_parent.get(&row.id).is_some_and(|p| *p != row.parent_id) {
                diesel::update(curriculum_activities::table.find(row.id))
                    .set(curriculum_activities::parent_id.eq(row.parent_id))
                    .execute(c)
                    .await?;
            }
        }
        for chunk in plan.deleted.chunks(IDS_CHUNK) {
            diesel::delete(curriculum_bounds::table.filter(curriculum_bounds::id.eq_any(chunk))).execute(c).await?;
            diesel::delete(curriculum_activities::table.filter(curriculum_activities::id.eq_any(chunk)))
                .execute(c)
                .await?;
        }
    }
    for statement in &plan.renumber {
        diesel::sql_query(statement).execute(c).await?;
    }
    // Changed rows may name a new section (inserted above) and must be written before new
    // entries (an entry may take over a course another one gave up); the rest only needs the
    // rows it names to exist.
    let chunk = super::events::EVENTS_CHUNK;
    let (first, last) = events.split_at(events.len().saturating_sub(1) / chunk * chunk);
    super::events::append(c, first).await?;
    let mut together = Vec::new();
    let mut expected = Vec::new();
    for (row, bounds) in &plan.changed {
        together.push(diesel::update(curriculum_activities::table.find(row.id)).set(row).execute(super::shared!(c)));
        expected.push(Some(1));
        if let Some(bounds) = bounds {
            let columns = (curriculum_bounds::lft.eq(bounds.lft), curriculum_bounds::rgt.eq(bounds.rgt));
            together
                .push(diesel::update(curriculum_bounds::table.find(bounds.id)).set(columns).execute(super::shared!(c)));
            expected.push(Some(1));
        }
    }
    let (mut together, mut expected) = if plan.new_entries.is_empty() {
        (together, expected)
    } else {
        check(&futures::future::try_join_all(together).await?, &expected)?;
        for chunk in plan.new_entries.chunks(ROWS_CHUNK) {
            super::insert_all!(c, curriculum_activities::table, chunk.to_vec())?;
        }
        (Vec::new(), Vec::new())
    };
    for (updated_on, updated_by, ids) in &plan.touched {
        for chunk in ids.chunks(TOUCHED_CHUNK.min(IDS_CHUNK)) {
            let columns =
                (curriculum_activities::updated_on.eq(*updated_on), curriculum_activities::updated_by.eq(*updated_by));
            let rows = curriculum_activities::table.filter(curriculum_activities::id.eq_any(chunk.to_vec()));
            together.push(diesel::update(rows).set(columns).execute(super::shared!(c)));
        }
    }
    for chunk in plan.new_bounds.chunks(IDS_CHUNK) {
        together.push(super::inserting!(c, curriculum_bounds::table, chunk.to_vec()));
    }
    if delta != 0 {
        // The tenant's count, read by an unfiltered List (see `lists::records`).
        let count = tenants::curriculum_records.eq(tenants::curriculum_records + delta);
        together.push(diesel::update(tenants::table.find(tenant.0)).set(count).execute(super::shared!(c)));
    }
    expected.resize(together.len(), None);
    let version = activities::curriculum_version.eq(activities::curriculum_version + 1);
    together.push(diesel::update(activities::table.find(curriculum.0)).set(version).execute(super::shared!(c)));
    expected.push(Some(1));
    if !last.is_empty() {
        let rows: Vec<EventRow> = last.iter().map(EventRow::from).collect();
        together.push(super::inserting!(c, events::table, rows));
        expected.push(None);
    }
    check(&futures::future::try_join_all(together).await?, &expected)
}

/// Fails when a statement sent together touched another number of rows than `expected` (the
/// plan and the tables disagree: write nothing rather than something wrong).
fn check(counts: &[usize], expected: &[Option<usize>]) -> QueryResult<()> {
    let agree = counts.iter().zip(expected).all(|(n, want)| want.is_none_or(|want| *n == want));
    if agree { Ok(()) } else { Err(DbError::NotFound) }
}

/// `n` fresh record ids, never given before (see each backend's `NEXT_RECORD_IDS`); no query
/// when `n` is 0.
pub(crate) async fn next_record_ids(c: &mut Conn, n: usize) -> QueryResult<Vec<RecordId>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let count = i64::try_from(n).unwrap_or(i64::MAX);
    let first: Vec<Count> =
        diesel::sql_query(super::NEXT_RECORD_IDS).bind::<diesel::sql_types::BigInt, _>(count).load(c).await?;
    Ok(super::fresh_ids(first.into_iter().map(|row| row.n), n))
}

/// One fresh record id (see [`next_record_ids`]).
pub(crate) async fn next_record_id(c: &mut Conn) -> QueryResult<RecordId> {
    next_record_ids(c, 1).await?.pop().ok_or(DbError::NotFound)
}

/// The number of rows the path SELECT alone returns (see `Database::raw_path_select`).
#[cfg(feature = "testing")]
pub(crate) async fn raw_path_select(c: &mut Conn, curriculum: i64) -> QueryResult<usize> {
    let rows = super::load!(c, path_rows!(curriculum), LoadedRow)?;
    Ok(rows.len())
}
