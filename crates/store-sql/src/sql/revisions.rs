//! Package revisions: each replacement or rollback is one transaction that locks the language
//! version's row first (on SQLite, the database), so concurrent replacements of a version are
//! serialised and numbered in turn.

use crate::errors::{TxError, corrupt, now_naive};
use crate::rows::{PackageColumns, RevisionRow};
use crate::schema::*;
use chrono::{DateTime, Utc};
use curricula_domain::{ActivityId, KeptRevision, LanguageCode, PackageRevision, TenantId, revisions_to_drop};
use curricula_ports::{NewRevision, RevisionError, RevisionOutcome};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::Conn;

type Tx<T> = Result<T, TxError<RevisionError>>;

/// The language version a replacement or rollback is about: its id and current revision.
struct Version {
    id: i64,
    revision: u32,
    sha256: Option<String>,
}

async fn version(c: &mut Conn, tenant: TenantId, activity: ActivityId, language: &LanguageCode) -> Tx<Version> {
    let kind: Option<String> = activities::table
        .filter(activities::id.eq(activity.0).and(activities::tenant_id.eq(tenant.0)))
        .select(activities::kind)
        .first(c)
        .await
        .optional()?;
    match kind.as_deref() {
        None => return Err(TxError::Refused(RevisionError::ActivityNotFound(activity))),
        Some(kind) if crate::rows::is_course(kind) => return Err(TxError::Refused(RevisionError::NotScorm(activity))),
        Some(_) => {}
    }
    let version = language_versions::table
        .filter(language_versions::activity_id.eq(activity.0).and(language_versions::language.eq(language.as_str())))
        .select((language_versions::id, language_versions::revision, language_versions::package_sha256));
    let (id, revision, sha256): (i64, Option<i32>, Option<String>) = lock!(version, for_update)
        .first(c)
        .await
        .optional()?
        .ok_or_else(|| TxError::Refused(RevisionError::NoVersion { activity, language: language.clone() }))?;
    Ok(Version { id, revision: revision.and_then(|r| u32::try_from(r).ok()).unwrap_or(1), sha256 })
}

/// The revisions kept of language version `version`, by number.
async fn kept(c: &mut Conn, version: i64) -> QueryResult<Vec<KeptRevision>> {
    let rows: Vec<(i32, Option<chrono::NaiveDateTime>)> = package_revisions::table
        .filter(package_revisions::language_version_id.eq(version))
        .select((package_revisions::revision, package_revisions::superseded_at))
        .order(package_revisions::revision)
        .load(c)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(n, at)| {
            Some(KeptRevision { number: u32::try_from(n).ok()?, superseded_at: at.map(crate::rows::utc) })
        })
        .collect())
}

/// Revision `revision` of language version `version`.
fn revision_of(version: i64, revision: u32) -> RevisionOf {
    package_revisions::language_version_id
        .eq(version)
        .and(package_revisions::revision.eq(i32::try_from(revision).unwrap_or(-1)))
}

type RevisionOf = diesel::dsl::And<
    diesel::dsl::Eq<package_revisions::language_version_id, i64>,
    diesel::dsl::Eq<package_revisions::revision, i32>,
>;

/// Marks revision `revision` of `version` current (`None`) or superseded at a time.
async fn mark(c: &mut Conn, version: i64, revision: u32, superseded_at: Option<DateTime<Utc>>) -> QueryResult<()> {
    diesel::update(package_revisions::table.filter(revision_of(version, revision)))
        .set(package_revisions::superseded_at.eq(superseded_at.map(now_naive)))
        .execute(c)
        .await
        .map(drop)
}

async fn touch(c: &mut Conn, activity: ActivityId, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(activities::table.find(activity.0))
        .set(activities::updated_at.eq(now_naive(now)))
        .execute(c)
        .await
        .map(drop)
}

/// See [`curricula_ports::ActivityRepository::add_revision`].
pub(crate) async fn add(c: &mut Conn, new: &NewRevision) -> Tx<RevisionOutcome> {
    let version = version(c, new.tenant, new.activity, &new.language).await?;
    if version.sha256.as_deref() == Some(new.content.package_sha256.as_str()) {
        return Ok(RevisionOutcome::Unchanged { revision: version.revision });
    }
    let next = kept(c, version.id).await?.iter().map(|k| k.number).max().unwrap_or(0).max(version.revision) + 1;
    let now = now_naive(new.now);
    mark(c, version.id, version.revision, Some(new.now)).await?;
    diesel::insert_into(package_revisions::table)
        .values(RevisionRow::new(version.id, next, Some(new.api_key), &new.content, now))
        .execute(c)
        .await?;
    diesel::update(language_versions::table.find(version.id))
        .set(PackageColumns::new(Some(&new.content), next))
        .execute(c)
        .await?;
    touch(c, new.activity, new.now).await?;
    let drop = revisions_to_drop(&kept(c, version.id).await?, new.keep, new.protected_since);
    let dropped: Vec<String> = if drop.is_empty() {
        Vec::new()
    } else {
        let numbers: Vec<i32> = drop.iter().filter_map(|n| i32::try_from(*n).ok()).collect();
        let mine = || {
            package_revisions::language_version_id
                .eq(version.id)
                .and(package_revisions::revision.eq_any(numbers.clone()))
        };
        let prefixes = package_revisions::table
            .filter(mine())
            .order(package_revisions::revision)
            .select(package_revisions::storage_prefix)
            .load(c)
            .await?;
        diesel::delete(package_revisions::table.filter(mine())).execute(c).await?;
        prefixes
    };
    Ok(RevisionOutcome::Changed { revision: next, previous: version.revision, dropped })
}

/// See [`curricula_ports::ActivityRepository::rollback`].
pub(crate) async fn rollback(
    c: &mut Conn,
    tenant: TenantId,
    activity: ActivityId,
    language: &LanguageCode,
    revision: u32,
    now: DateTime<Utc>,
) -> Tx<RevisionOutcome> {
    let version = version(c, tenant, activity, language).await?;
    let row: Option<RevisionRow> = package_revisions::table
        .filter(revision_of(version.id, revision))
        .select(RevisionRow::as_select())
        .first(c)
        .await
        .optional()?;
    let Some(row) = row else {
        return Err(TxError::Refused(RevisionError::RevisionNotFound {
            revision,
            kept: kept(c, version.id).await?.iter().map(|k| k.number).collect(),
        }));
    };
    if revision == version.revision {
        return Ok(RevisionOutcome::Unchanged { revision });
    }
    let content = row.content().map_err(corrupt)?;
    diesel::update(language_versions::table.find(version.id))
        .set(PackageColumns::new(Some(&content), revision))
        .execute(c)
        .await?;
    mark(c, version.id, version.revision, Some(now)).await?;
    mark(c, version.id, revision, None).await?;
    touch(c, activity, now).await?;
    Ok(RevisionOutcome::Changed { revision, previous: version.revision, dropped: Vec::new() })
}

/// See [`curricula_ports::ActivityRepository::revisions`].
pub(crate) async fn list(c: &mut Conn, tenant: TenantId, activity: ActivityId) -> QueryResult<Vec<PackageRevision>> {
    let rows: Vec<(RevisionRow, String)> = package_revisions::table
        .inner_join(language_versions::table.inner_join(activities::table))
        .filter(activities::id.eq(activity.0).and(activities::tenant_id.eq(tenant.0)))
        .order((language_versions::id, package_revisions::revision))
        .select((RevisionRow::as_select(), language_versions::language))
        .load(c)
        .await?;
    let invalid = |e: String| corrupt(std::io::Error::other(e));
    rows.into_iter().map(|(row, language)| row.into_domain(&language).map_err(invalid)).collect()
}
