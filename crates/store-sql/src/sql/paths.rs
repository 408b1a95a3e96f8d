//! A path's rows: loading (through the cache), writing a change, fresh record ids.

use super::Conn;
use crate::cache::{LoadedPath, PathCache};
use crate::errors::corrupt;
use crate::plan::WritePlan;
use crate::rows::{BoundsRow, Count, LoadedRow, RecordRow, into_records, is_course, loaded_rows};
use crate::schema::*;
use curricula_domain::curriculum::{Curriculum, CurriculumRecord};
use curricula_domain::{ActivityId, RecordId, TenantId};
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

/// Path `id`, loaded and checked (from the cache when its version is current), and version, or
/// `None` when `id` is not a course of the tenant. With `lock`, the course row is locked until
/// the transaction ends (on SQLite the transaction holds the database; on Postgres
/// `FOR NO KEY UPDATE`: the path's writers run one at a time, on every
/// instance, while foreign-key checks against the course — placing it in another path, adding
/// a language — do not wait and cannot deadlock with it).
pub(crate) async fn load(
    c: &mut Conn,
    paths: &PathCache,
    tenant: TenantId,
    id: ActivityId,
    lock: bool,
) -> QueryResult<Option<(Arc<LoadedPath>, i64)>> {
    let query = activities::table
        .filter(activities::id.eq(id.0).and(activities::tenant_id.eq(tenant.0)))
        .select((activities::kind, activities::curriculum_version));
    #[allow(clippy::if_same_then_else, reason = "on SQLite `lock!` adds nothing: the transaction holds the database")]
    let path: Option<(String, i64)> = if lock {
        lock!(query, for_no_key_update).first(c).await.optional()?
    } else {
        query.first(c).await.optional()?
    };
    let Some((_, version)) = path.filter(|(kind, _)| is_course(kind)) else {
        return Ok(None);
    };
    if let Some(loaded) = paths.get(id.0, version) {
        return Ok(Some((loaded, version)));
    }
    let rows = super::load!(c, path_rows!(id.0), LoadedRow)?;
    let records = into_records(rows);
    let curriculum = Curriculum::from_records(id, tenant, records.clone()).map_err(corrupt)?;
    let loaded = Arc::new(LoadedPath { curriculum, records });
    paths.put(id.0, version, Arc::clone(&loaded));
    Ok(Some((loaded, version)))
}

/// Ids per statement of the rows a change only touched (their `updated_on`).
const TOUCHED_CHUNK: usize = 1_000;
/// Record rows (up to 22 values each) per `INSERT`.
const ROWS_CHUNK: usize = 1_000;
/// Ids, or bounds rows (4 values each), per statement.
const IDS_CHUNK: usize = 5_000;

/// Writes path `curriculum`'s change from `before` to `after` and bumps its version; returns
/// the new version.
pub(crate) async fn persist(
    c: &mut Conn,
    tenant: TenantId,
    curriculum: ActivityId,
    before: &[CurriculumRecord],
    after: &[CurriculumRecord],
) -> QueryResult<i64> {
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
    for (row, bounds) in &plan.changed {
        let mut updated = diesel::update(curriculum_activities::table.find(row.id)).set(row).execute(c).await?;
        if let Some(bounds) = bounds {
            updated += diesel::update(curriculum_bounds::table.find(bounds.id))
                .set((curriculum_bounds::lft.eq(bounds.lft), curriculum_bounds::rgt.eq(bounds.rgt)))
                .execute(c)
                .await?;
        }
        if updated != 1 + usize::from(bounds.is_some()) {
            // The plan and the tables disagree: write nothing rather than something wrong.
            return Err(DbError::NotFound);
        }
    }
    for (updated_on, updated_by, ids) in &plan.touched {
        for chunk in ids.chunks(TOUCHED_CHUNK.min(IDS_CHUNK)) {
            diesel::update(curriculum_activities::table.filter(curriculum_activities::id.eq_any(chunk)))
                .set((
                    curriculum_activities::updated_on.eq(*updated_on),
                    curriculum_activities::updated_by.eq(*updated_by),
                ))
                .execute(c)
                .await?;
        }
    }
    for chunk in plan.new_entries.chunks(ROWS_CHUNK) {
        super::insert_all!(c, curriculum_activities::table, chunk.to_vec())?;
    }
    for chunk in plan.new_bounds.chunks(IDS_CHUNK) {
        super::insert_all!(c, curriculum_bounds::table, chunk.to_vec())?;
    }
    if delta != 0 {
        // The tenant's count, read by an unfiltered List (see `lists::records`).
        diesel::update(tenants::table.find(tenant.0))
            .set(tenants::curriculum_records.eq(tenants::curriculum_records + delta))
            .execute(c)
            .await?;
    }
    diesel::update(activities::table.find(curriculum.0))
        .set(activities::curriculum_version.eq(activities::curriculum_version + 1))
        .returning(activities::curriculum_version)
        .get_result(c)
        .await
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
