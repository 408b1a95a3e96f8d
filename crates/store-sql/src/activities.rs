//! [`ActivityRepository`] over both backends.

use crate::errors::{TxError, corrupt, now_naive, unique_or};
use crate::idempotency::external::activities as ext;
use crate::rows::*;
use crate::schema::*;
use crate::{Database, Listing};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use curricula_domain::curriculum::{Curriculum, CurriculumRecord};
use curricula_domain::*;
use curricula_ports::*;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use std::sync::Arc;

#[async_trait]
impl ActivityRepository for Database {
    async fn create_activity(
        &self,
        new: NewActivity,
        journal: Journal<ActivityId>,
    ) -> Result<ActivityId, CreateActivityError> {
        let paths = Arc::clone(&self.paths);
        transaction!(self, |c, sql| {
            let parent = match new.placement {
                Placement::TopLevel => None,
                Placement::Under(parent) => {
                    // Locked: the parent's path is about to change.
                    let parent_row = activities::table
                        .filter(activities::id.eq(parent.0).and(activities::tenant_id.eq(new.tenant.0)))
                        .select(activities::kind);
                    let kind: Option<String> = sql::lock!(parent_row, for_no_key_update).first(c).await.optional()?;
                    match kind.as_deref() {
                        None => return Err(TxError::Refused(CreateActivityError::ParentNotFound(parent))),
                        Some(kind) if is_course(kind) => Some(parent),
                        Some(_) => return Err(TxError::Refused(CreateActivityError::ParentNotACourse(parent))),
                    }
                }
            };
            if let Organisations::Only(ids) = &new.organisations {
                let known: Vec<i64> = organisations::table
                    .filter(organisations::tenant_id.eq(new.tenant.0))
                    .select(organisations::id)
                    .load(c)
                    .await?;
                let missing: Vec<OrganisationId> = ids.iter().filter(|id| !known.contains(&id.0)).copied().collect();
                if !missing.is_empty() {
                    return Err(TxError::Refused(CreateActivityError::UnknownOrganisations(missing)));
                }
            }
            let now = now_naive(new.now);
            let id: i64 = diesel::insert_into(activities::table)
                .values(ActivityRow {
                    id: 0,
                    tenant_id: new.tenant.0,
                    kind: new.kind.as_str().to_owned(),
                    name: new.name.as_str().to_owned(),
                    owner_id: new.owner.0,
                    all_organisations: new.organisations == Organisations::All,
                    parent_id: parent.map(|p| p.0),
                    in_catalog: true,
                    created_at: now,
                    updated_at: now,
                })
                .returning(activities::id)
                .get_result(c)
                .await?;
            let activity = ActivityId(id);
            if let Organisations::Only(ids) = &new.organisations {
                let rows: Vec<_> = ids
                    .iter()
                    .map(|org| {
                        (
                            activity_organisations::activity_id.eq(id),
                            activity_organisations::tenant_id.eq(new.tenant.0),
                            activity_organisations::organisation_id.eq(org.0),
                        )
                    })
                    .collect();
                sql::insert_all!(c, activity_organisations::table, rows)?;
            }
            let scorm = new.scorm.as_ref();
            sql::activities::insert_version(c, activity, &new.language, &new.name, scorm, new.api_key, new.now).await?;
            if new.kind == ActivityKind::Course {
                let section = sql::paths::next_record_id(c).await?;
                let curriculum = Curriculum::for_new_course(activity, new.tenant, section, new.now);
                sql::paths::persist(c, new.tenant, activity, &[], &curriculum.records(), &[]).await?;
            }
            if let Some(parent) = parent {
                let (_, loaded, _) = sql::paths::load(c, &paths, new.tenant, parent.into(), false)
                    .await?
                    .ok_or(diesel::result::Error::NotFound)?;
                let mut curriculum = loaded.curriculum.clone();
                let entry = sql::paths::next_record_id(c).await?;
                curriculum
                    .append_to_last_section(entry, activity, new.kind, new.name.as_str().to_owned(), new.now)
                    .map_err(corrupt)?;
                sql::paths::persist(c, new.tenant, parent, &loaded.records, &curriculum.records(), &[]).await?;
            }
            sql::activities::set_external_id(c, new.tenant, activity, new.external_id.as_deref()).await?;
            sql::events::append(c, &journal.events(&activity)).await?;
            Ok::<_, TxError<CreateActivityError>>(activity)
        })
    }

    async fn add_language_version(
        &self,
        new: NewLanguageVersion,
        journal: Journal<LanguageVersionId>,
    ) -> Result<LanguageVersionId, AddLanguageError> {
        transaction!(self, |c, sql| {
            let exists: bool = diesel::select(diesel::dsl::exists(
                activities::table.filter(activities::id.eq(new.activity.0).and(activities::tenant_id.eq(new.tenant.0))),
            ))
            .get_result(c)
            .await?;
            if !exists {
                return Err(TxError::Refused(AddLanguageError::ActivityNotFound(new.activity)));
            }
            let (language, scorm) = (&new.language, new.scorm.as_ref());
            let id =
                sql::activities::insert_version(c, new.activity, language, &new.title, scorm, new.api_key, new.now)
                    .await
                    .map_err(unique_or(|| AddLanguageError::LanguageExists {
                        activity: new.activity,
                        language: new.language.clone(),
                    }))?;
            diesel::update(activities::table.find(new.activity.0))
                .set(activities::updated_at.eq(now_naive(new.now)))
                .execute(c)
                .await?;
            let id = LanguageVersionId(id);
            sql::events::append(c, &journal.events(&id)).await?;
            Ok::<_, TxError<AddLanguageError>>(id)
        })
    }

    async fn activity(&self, tenant: TenantId, id: ActivityId) -> Result<Option<Activity>, StoreError> {
        run!(self, |c, sql| Ok(sql::activities::load(c, tenant, &[id.0]).await?.pop()))
    }

    async fn list_activities(&self, tenant: TenantId, filter: &ActivityFilter, slice: Slice) -> Listing<Activity> {
        let filter = filter.clone(); // owned: the body may run on another thread
        run!(self, |c, sql| sql::lists::activities(c, tenant, &filter, slice).await)
    }

    async fn curriculum(&self, tenant: TenantId, id: ActivityId) -> Result<Option<Vec<CurriculumRecord>>, StoreError> {
        let paths = Arc::clone(&self.paths);
        run!(self, |c, sql| {
            Ok(sql::paths::load(c, &paths, tenant, id.into(), false)
                .await?
                .map(|(_, loaded, _)| loaded.records.clone()))
        })
    }

    async fn activity_by_external_id(
        &self,
        tenant: TenantId,
        external_id: &str,
    ) -> Result<Option<ActivityId>, StoreError> {
        let mine = ext::tenant_id.eq(tenant.0).and(ext::external_id.eq(external_id.to_owned()));
        let id = run!(self, |c, _sql| ext::table.filter(mine).select(ext::id).first(c).await.optional())?;
        Ok(id.map(ActivityId))
    }

    async fn add_revision(
        &self,
        new: NewRevision,
        journal: Journal<RevisionOutcome>,
    ) -> Result<RevisionOutcome, RevisionError> {
        transaction!(self, |c, sql| {
            let outcome = sql::revisions::add(c, &new).await?;
            sql::events::append(c, &journal.events(&outcome)).await?;
            Ok(outcome)
        })
    }

    async fn rollback(
        &self,
        tenant: TenantId,
        activity: ActivityId,
        language: &LanguageCode,
        revision: u32,
        now: DateTime<Utc>,
        journal: Journal<RevisionOutcome>,
    ) -> Result<RevisionOutcome, RevisionError> {
        let language = language.clone();
        transaction!(self, |c, sql| {
            let outcome = sql::revisions::rollback(c, tenant, activity, &language, revision, now).await?;
            sql::events::append(c, &journal.events(&outcome)).await?;
            Ok(outcome)
        })
    }

    async fn revisions(&self, tenant: TenantId, activity: ActivityId) -> Result<Vec<PackageRevision>, StoreError> {
        run!(self, |c, sql| sql::revisions::list(c, tenant, activity).await)
    }

    async fn storage_prefixes(&self) -> Result<Vec<String>, StoreError> {
        run!(self, |c, sql| {
            let mut prefixes: Vec<String> = language_versions::table
                .select(language_versions::storage_prefix)
                .filter(language_versions::storage_prefix.is_not_null())
                .load::<Option<String>>(c)
                .await?
                .into_iter()
                .flatten()
                .collect();
            prefixes
                .extend(package_revisions::table.select(package_revisions::storage_prefix).load::<String>(c).await?);
            prefixes.sort_unstable();
            prefixes.dedup();
            Ok(prefixes)
        })
    }
}
