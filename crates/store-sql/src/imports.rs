//! [`ImportRepository`] over both backends: the queue of asynchronous imports (leases with
//! an expiry, so that a job an instance stopped running goes to another).

use crate::Database;
use crate::errors::TxError;
use crate::rows::utc;
use crate::schema::{events as ev, imports as im};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use curricula_domain::{ActivityId, ApiKeyId, TenantId};
use curricula_ports::{
    EventType, Import, ImportId, ImportKind, ImportOutcome, ImportRepository, ImportStatus, Journal, LeasedImport,
    NewImport, StoreError,
};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

#[derive(Queryable, Selectable)]
#[diesel(table_name = im)]
struct ImportRow {
    id: i64,
    tenant_id: i64,
    api_key_id: i64,
    origin: Option<String>,
    request_id: Option<String>,
    kind: String,
    fields: String,
    blob_key: Option<String>,
    sha256: Option<String>,
    size: i64,
    status: String,
    attempts: i32,
    activity_id: Option<i64>,
    error_message: Option<String>,
    warnings: String,
    created_at: NaiveDateTime,
    finished_at: Option<NaiveDateTime>,
}

impl ImportRow {
    fn kind(&self) -> ImportKind {
        // Only this module writes the column.
        ImportKind::parse(&self.kind).unwrap_or(ImportKind::New)
    }

    fn into_port(self) -> Import {
        self.to_port()
    }

    fn into_leased(self) -> LeasedImport {
        LeasedImport {
            id: ImportId(self.id),
            tenant: TenantId(self.tenant_id),
            api_key: ApiKeyId(self.api_key_id),
            kind: self.kind(),
            origin: self.origin,
            request_id: self.request_id,
            fields: serde_json::from_str(&self.fields).unwrap_or_default(),
            blob_key: self.blob_key,
            sha256: self.sha256,
            size: u64::try_from(self.size).unwrap_or_default(),
            attempts: u32::try_from(self.attempts).unwrap_or_default(),
        }
    }
}

const QUEUED: &str = "queued";
const RUNNING: &str = "running";

/// The event types of the writes an import makes.
const WRITES: [EventType; 3] =
    [EventType::ActivityCreated, EventType::LanguageVersionAdded, EventType::PackageReplaced];

#[async_trait]
impl ImportRepository for Database {
    async fn create_import(&self, new: NewImport) -> Result<Import, StoreError> {
        let row: ImportRow = run!(self, |c, _sql| {
            diesel::insert_into(im::table)
                .values((
                    im::tenant_id.eq(new.tenant.0),
                    im::api_key_id.eq(new.api_key.0),
                    im::origin.eq(&new.origin),
                    im::request_id.eq(&new.request_id),
                    im::kind.eq(new.kind.as_str()),
                    im::fields.eq(new.fields.to_string()),
                    im::blob_key.eq(&new.blob_key),
                    im::sha256.eq(&new.sha256),
                    im::size.eq(i64::try_from(new.size).unwrap_or(i64::MAX)),
                    im::status.eq(QUEUED),
                    im::attempts.eq(0),
                    im::warnings.eq("[]"),
                    im::created_at.eq(new.now.naive_utc()),
                ))
                .returning(ImportRow::as_returning())
                .get_result(c)
                .await
        })?;
        Ok(row.into_port())
    }

    async fn import(&self, tenant: TenantId, id: ImportId) -> Result<Option<Import>, StoreError> {
        let row: Option<ImportRow> = run!(self, |c, _sql| {
            im::table
                .filter(im::id.eq(id.0).and(im::tenant_id.eq(tenant.0)))
                .select(ImportRow::as_select())
                .first(c)
                .await
                .optional()
        })?;
        Ok(row.map(ImportRow::into_port))
    }

    async fn lease_import(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<LeasedImport>, StoreError> {
        let (owner, now, until) = (owner.to_owned(), now.naive_utc(), until.naive_utc());
        let row: Option<ImportRow> = transaction!(self, |c, sql| {
            let expired = im::status.eq(RUNNING).and(im::lease_until.lt(now));
            let candidate = im::table.filter(im::status.eq(QUEUED).or(expired)).order(im::id).limit(1).select(im::id);
            let Some(id) = sql::skip_locked!(candidate).first::<i64>(c).await.optional()? else {
                return Ok::<_, TxError<StoreError>>(None);
            };
            let row = diesel::update(im::table.find(id))
                .set((
                    im::status.eq(RUNNING),
                    im::attempts.eq(im::attempts + 1),
                    im::lease_owner.eq(&owner),
                    im::lease_until.eq(until),
                ))
                .returning(ImportRow::as_returning())
                .get_result(c)
                .await?;
            Ok(Some(row))
        })?;
        Ok(row.map(ImportRow::into_leased))
    }

    async fn renew_import(&self, id: ImportId, owner: &str, until: DateTime<Utc>) -> Result<bool, StoreError> {
        let (owner, until) = (owner.to_owned(), until.naive_utc());
        let renewed = run!(self, |c, _sql| {
            diesel::update(
                im::table.filter(im::id.eq(id.0).and(im::status.eq(RUNNING)).and(im::lease_owner.eq(&owner))),
            )
            .set(im::lease_until.eq(until))
            .execute(c)
            .await
        })?;
        Ok(renewed > 0)
    }

    async fn finish_import(
        &self,
        id: ImportId,
        owner: &str,
        outcome: ImportOutcome,
        journal: Journal<Import>,
    ) -> Result<Option<Import>, StoreError> {
        let owner = owner.to_owned();
        let warnings = serde_json::Value::from(outcome.warnings.clone()).to_string();
        let row: Option<ImportRow> = transaction!(self, |c, sql| {
            let held = im::id.eq(id.0).and(im::status.eq(RUNNING)).and(im::lease_owner.eq(&owner));
            let row: Option<ImportRow> = diesel::update(im::table.filter(held))
                .set((
                    im::status.eq(outcome.status.as_str()),
                    im::activity_id.eq(outcome.activity.map(|a| a.0)),
                    im::error_message.eq(&outcome.error),
                    im::warnings.eq(&warnings),
                    im::finished_at.eq(outcome.now.naive_utc()),
                    im::lease_owner.eq(None::<String>),
                    im::lease_until.eq(None::<NaiveDateTime>),
                ))
                .returning(ImportRow::as_returning())
                .get_result(c)
                .await
                .optional()?;
            let Some(row) = row else {
                return Ok::<_, TxError<StoreError>>(None);
            };
            let events = journal.events(&row.to_port());
            sql::events::append(c, &events).await?;
            Ok(Some(row))
        })?;
        Ok(row.map(ImportRow::into_port))
    }

    async fn written_by(&self, tenant: TenantId, request_id: &str) -> Result<Option<ActivityId>, StoreError> {
        let request_id = request_id.to_owned();
        let kinds: Vec<&'static str> = WRITES.iter().map(|k| k.as_str()).collect();
        let course: Option<Option<i64>> = run!(self, |c, _sql| {
            ev::table
                .filter(ev::tenant_id.eq(tenant.0))
                .filter(ev::request_id.eq(&request_id))
                .filter(ev::kind.eq_any(&kinds))
                .order(ev::id)
                .select(ev::course_id)
                .first(c)
                .await
                .optional()
        })?;
        Ok(course.flatten().map(ActivityId))
    }
}

impl ImportRow {
    /// The job the row holds.
    fn to_port(&self) -> Import {
        Import {
            id: ImportId(self.id),
            tenant: TenantId(self.tenant_id),
            kind: self.kind(),
            status: ImportStatus::parse(&self.status),
            activity: self.activity_id.map(ActivityId),
            error: self.error_message.clone(),
            warnings: serde_json::from_str(&self.warnings).unwrap_or_default(),
            created_at: utc(self.created_at),
            finished_at: self.finished_at.map(utc),
        }
    }
}
