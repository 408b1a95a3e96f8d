//! [`CurriculumRepository`] over both backends.

use crate::cache::LoadedPath;
use crate::errors::TxError;
use crate::rows::{BoundsRow, LoadedRow, RecordRow, into_records, loaded_rows};
use crate::schema::*;
use crate::{Database, Listing};
use async_trait::async_trait;
use curricula_domain::curriculum::{CourseRef, Curriculum, CurriculumError, CurriculumRecord};
use curricula_domain::{ActivityId, RecordId, TenantId};
use curricula_ports::*;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use std::sync::Arc;

/// Ids bound per statement by `course_refs` (SQLite allows 32,766 binds, Postgres 65,535).
const COURSE_REFS_CHUNK: usize = 5_000;

#[async_trait]
impl CurriculumRepository for Database {
    async fn record(&self, tenant: TenantId, id: RecordId) -> Result<Option<CurriculumRecord>, StoreError> {
        run!(self, |c, _sql| {
            let mine = curriculum_activities::id.eq(id.0).and(curriculum_activities::account_id.eq(tenant.0));
            let row: Option<LoadedRow> = loaded_rows!().filter(mine).first(c).await.optional()?;
            Ok(into_records(row.into_iter().collect()).pop())
        })
    }

    async fn list_records(&self, tenant: TenantId, filter: &RecordFilter, slice: Slice) -> Listing<CurriculumRecord> {
        let filter = filter.clone(); // owned: the body may run on another thread
        run!(self, |c, sql| sql::lists::records(c, tenant, &filter, slice).await)
    }

    async fn change(&self, tenant: TenantId, of: PathOf, write: PathWrite) -> Result<Changed, ChangeError> {
        let paths = Arc::clone(&self.paths);
        let PathWrite { change, new_ids, if_match, journal } = write;
        let (changed, path, after) = transaction!(self, |c, sql| {
            let Some((id, loaded, version)) = sql::paths::load(c, &paths, tenant, of, true).await? else {
                return Err(TxError::Refused(match of {
                    PathOf::Path(path) => ChangeError::PathNotFound(path),
                    PathOf::Holding(record) => ChangeError::Refused(CurriculumError::RecordNotFound(record).into()),
                }));
            };
            let current = PathTag { path: id, version: PathVersion(version) };
            if if_match.as_ref().is_some_and(|tags| !tags.contains(&current)) {
                return Err(TxError::Refused(ChangeError::VersionMismatch { current }));
            }
            let LoadedPath { curriculum: mut path, records: before } = paths.take_for_change(id.0, loaded);
            let ids = sql::paths::next_record_ids(c, new_ids).await?;
            let touched = change(&mut path, &ids).map_err(|e| TxError::Refused(ChangeError::Refused(e)))?;
            let after = path.records();
            let record = touched.and_then(|touched| after.iter().find(|r| r.id == touched).cloned());
            if after == before {
                return Ok((Changed { path: id, record, version: current.version }, path, after));
            }
            // The path is locked: the version the write bumps it to is known before it is sent.
            let changed = Changed { path: id, record, version: PathVersion(version + 1) };
            sql::paths::persist(c, tenant, id, &before, &after, &journal.events(&changed)).await?;
            Ok((changed, path, after))
        })?;
        let loaded = LoadedPath { curriculum: path, records: after };
        self.paths.put(changed.path.0, changed.version.0, Arc::new(loaded));
        Ok(changed)
    }

    async fn path(
        &self,
        tenant: TenantId,
        curriculum: ActivityId,
    ) -> Result<Option<(Curriculum, PathVersion)>, StoreError> {
        let paths = Arc::clone(&self.paths);
        let loaded = run!(self, |c, sql| sql::paths::load(c, &paths, tenant, curriculum.into(), false).await)?;
        Ok(loaded.map(|(_, loaded, version)| (loaded.curriculum.clone(), PathVersion(version))))
    }

    async fn course_refs(&self, tenant: TenantId, ids: &[ActivityId]) -> Result<Vec<CourseRef>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
        let rows: Vec<(i64, String, String)> = run!(self, |c, _sql| {
            let mut rows = Vec::with_capacity(ids.len());
            // Bounded binds per statement, whatever the tree's size.
            for chunk in ids.chunks(COURSE_REFS_CHUNK) {
                let found: Vec<(i64, String, String)> = activities::table
                    .filter(activities::tenant_id.eq(tenant.0).and(activities::id.eq_any(chunk)))
                    .select((activities::id, activities::kind, activities::name))
                    .load(c)
                    .await?;
                rows.extend(found);
            }
            Ok::<_, diesel::result::Error>(rows)
        })?;
        Ok(rows
            .into_iter()
            .map(|(id, kind, name)| CourseRef { id: ActivityId(id), kind: crate::rows::kind(&kind), name })
            .collect())
    }
}

impl Database {
    /// Runs one SQL statement as it is and returns what the driver counts: for benchmarks,
    /// which seed with it and time the raw SQL a List is measured against (a SELECT's rows are
    /// computed and dropped).
    ///
    /// # Errors
    /// When the database fails.
    #[cfg(feature = "testing")]
    pub async fn raw_execute(&self, statement: &str) -> Result<usize, StoreError> {
        let statement = statement.to_owned();
        run!(self, |c, _sql| diesel::sql_query(statement).execute(c).await)
    }

    /// Runs the SELECT that loads path `curriculum` (the rows of a List filtered on it) and
    /// nothing else — no tenant check, no cache, no mapping to domain values — and returns the
    /// row count: the floor the List endpoint is measured against in the benchmarks.
    ///
    /// # Errors
    /// When the database fails.
    #[cfg(feature = "testing")]
    pub async fn raw_path_select(&self, curriculum: i64) -> Result<usize, StoreError> {
        run!(self, |c, sql| sql::paths::raw_path_select(c, curriculum).await)
    }
}
