//! [`CurriculumRepository`] over both backends.

use crate::cache::LoadedPath;
use crate::errors::TxError;
use crate::rows::{BoundsRow, LoadedRow, RecordRow, into_records, loaded_rows};
use crate::schema::*;
use crate::{Database, Listing};
use async_trait::async_trait;
use curricula_domain::curriculum::CurriculumRecord;
use curricula_domain::{ActivityId, RecordId, TenantId};
use curricula_ports::*;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use std::sync::Arc;

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

    async fn change(
        &self,
        tenant: TenantId,
        curriculum: ActivityId,
        change: CurriculumChange,
    ) -> Result<Option<CurriculumRecord>, ChangeError> {
        let paths = Arc::clone(&self.paths);
        let (path, after, version, touched) = transaction!(self, |c, sql| {
            let Some((loaded, _)) = sql::paths::load(c, &paths, tenant, curriculum, true).await? else {
                return Err(TxError::Refused(ChangeError::PathNotFound(curriculum)));
            };
            let LoadedPath { curriculum: mut path, records: before } = paths.take_for_change(curriculum.0, loaded);
            let new_id = sql::paths::next_record_id(c).await?;
            let touched = change(&mut path, new_id).map_err(|e| TxError::Refused(ChangeError::Refused(e)))?;
            let after = path.records();
            let version = sql::paths::persist(c, tenant, curriculum, &before, &after).await?;
            Ok((path, after, version, touched))
        })?;
        let touched = touched.and_then(|id| after.iter().find(|r| r.id == id).cloned());
        let loaded = LoadedPath { curriculum: path, records: after };
        self.paths.put(curriculum.0, version, Arc::new(loaded));
        Ok(touched)
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
