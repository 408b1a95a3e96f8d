//! [`LearnerRepository`] over both backends: users with profiles, enrollments, attempts and
//! the runtime state of each SCO.

use crate::Database;
use crate::errors::{TxError, unique_or};
use crate::rows::{kind, utc};
use crate::schema::{
    activities, attempts as at, curriculum_activities as ca, enrollments as e, sco_runtimes as sr, tenants, users as u,
};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use curricula_domain::learner::{EnrollmentStatus, Profile, Success};
use curricula_domain::{ActivityId, AttemptId, EnrollmentId, LanguageCode, TenantId, UserId};
use curricula_ports::{
    Attempt, CommitWrite, CommitWriteError, EnrollError, Enrollment, EnrollmentFilter, Journal, Learner,
    LearnerRepository, Listed, NewAttempt, OpenAttemptError, Outcome, ScoRecord, Slice, Standing, StatusChange,
    StoreError, UserFilter, UserWriteError,
};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DbError};
use diesel_async::RunQueryDsl;

#[derive(Queryable, Selectable)]
#[diesel(table_name = u)]
struct LearnerRow {
    id: i64,
    tenant_id: i64,
    username: String,
    first_name: Option<String>,
    last_name: Option<String>,
    email: Option<String>,
    code: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl LearnerRow {
    fn into_port(self) -> Learner {
        Learner {
            id: UserId(self.id),
            tenant: TenantId(self.tenant_id),
            username: self.username,
            profile: Profile {
                first_name: self.first_name,
                last_name: self.last_name,
                email: self.email,
                code: self.code,
            },
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
        }
    }
}

#[derive(Queryable, Selectable, Clone)]
#[diesel(table_name = e)]
struct EnrollmentRow {
    id: i64,
    tenant_id: i64,
    user_id: i64,
    course_id: i64,
    kind: String,
    status: String,
    success: String,
    score: Option<f64>,
    attempts: i32,
    total_time_seconds: f64,
    language: Option<String>,
    enrolled_at: NaiveDateTime,
    started_at: Option<NaiveDateTime>,
    completed_at: Option<NaiveDateTime>,
    updated_at: NaiveDateTime,
}

impl EnrollmentRow {
    fn into_port(self) -> Enrollment {
        Enrollment {
            id: EnrollmentId(self.id),
            tenant: TenantId(self.tenant_id),
            user: UserId(self.user_id),
            course: ActivityId(self.course_id),
            kind: kind(&self.kind),
            status: EnrollmentStatus::parse(&self.status).unwrap_or(EnrollmentStatus::NotStarted),
            success: Success::parse(&self.success).unwrap_or_default(),
            score: self.score,
            attempts: u32::try_from(self.attempts).unwrap_or_default(),
            total_time_seconds: self.total_time_seconds,
            language: self.language.and_then(|l| LanguageCode::parse("language", &l).ok()),
            enrolled_at: utc(self.enrolled_at),
            started_at: self.started_at.map(utc),
            completed_at: self.completed_at.map(utc),
            updated_at: utc(self.updated_at),
        }
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = at)]
struct AttemptRow {
    id: i64,
    enrollment_id: i64,
    number: i32,
    language: String,
    revision: i32,
    storage_prefix: String,
    seq: i64,
    status: String,
    success: String,
    score: Option<f64>,
    total_time_seconds: f64,
    started_at: NaiveDateTime,
    ended_at: Option<NaiveDateTime>,
}

impl AttemptRow {
    fn into_port(self, scos: Vec<(String, String)>) -> Result<Attempt, StoreError> {
        let language = LanguageCode::parse("language", &self.language)
            .map_err(|e| StoreError::Backend(format!("attempt {}: {e}", self.id).into()))?;
        Ok(Attempt {
            id: AttemptId(self.id),
            enrollment: EnrollmentId(self.enrollment_id),
            number: u32::try_from(self.number).unwrap_or_default(),
            language,
            revision: u32::try_from(self.revision).unwrap_or_default(),
            storage_prefix: self.storage_prefix,
            seq: u64::try_from(self.seq).unwrap_or_default(),
            status: EnrollmentStatus::parse(&self.status).unwrap_or(EnrollmentStatus::NotStarted),
            success: Success::parse(&self.success).unwrap_or_default(),
            score: self.score,
            total_time_seconds: self.total_time_seconds,
            started_at: utc(self.started_at),
            ended_at: self.ended_at.map(utc),
            scos: scos.into_iter().map(|(sco, state)| ScoRecord { sco, state }).collect(),
        })
    }
}

/// The slice `$slice` of `$query` (a boxed query, built twice: counted, then paged) in
/// `$order`, as `$row`s mapped to the port's values, with the total.
macro_rules! listed {
    ($c:ident, $query:expr, $order:expr, $row:ty, $slice:expr) => {{
        let total: i64 = $query.count().get_result($c).await?;
        let rows: Vec<$row> = $query
            .order($order)
            .offset(sql_int($slice.offset))
            .limit(sql_int($slice.limit))
            .select(<$row>::as_select())
            .load($c)
            .await?;
        Ok(Listed {
            items: rows.into_iter().map(<$row>::into_port).collect(),
            total: u64::try_from(total).unwrap_or_default(),
        })
    }};
}

/// The one row of `$query` as a `$row` mapped to the port's value, if any.
macro_rules! one {
    ($c:ident, $query:expr, $row:ty) => {{
        let row: Option<$row> = $query.select(<$row>::as_select()).first($c).await.optional()?;
        Ok(row.map(<$row>::into_port))
    }};
}

/// A row count or position as SQL takes it.
fn sql_int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Whether a unique violation is the partner code's (else it is the username's).
fn code_violation(e: &DbError) -> bool {
    match e {
        DbError::DatabaseError(_, info) => {
            info.constraint_name().is_some_and(|c| c.contains("code")) || info.message().contains("code")
        }
        _ => false,
    }
}

/// A profile as the users table stores it.
type ProfileColumns = (
    diesel::dsl::Eq<u::first_name, Option<String>>,
    diesel::dsl::Eq<u::last_name, Option<String>>,
    diesel::dsl::Eq<u::email, Option<String>>,
    diesel::dsl::Eq<u::code, Option<String>>,
);

fn profile_columns(p: &Profile) -> ProfileColumns {
    (
        u::first_name.eq(p.first_name.clone()),
        u::last_name.eq(p.last_name.clone()),
        u::email.eq(p.email.clone()),
        u::code.eq(p.code.clone()),
    )
}

fn taken(profile: &Profile, username: &str) -> impl FnOnce(DbError) -> TxError<UserWriteError> {
    let code = profile.code.clone().unwrap_or_default();
    let username = username.to_owned();
    move |e| {
        if !matches!(e, DbError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) {
            TxError::Db(e)
        } else if code_violation(&e) {
            TxError::Refused(UserWriteError::CodeTaken(code))
        } else {
            TxError::Refused(UserWriteError::UsernameTaken(username))
        }
    }
}

#[async_trait]
impl LearnerRepository for Database {
    async fn create_learner(
        &self,
        tenant: TenantId,
        username: &str,
        profile: &Profile,
        now: DateTime<Utc>,
        journal: Journal<Learner>,
    ) -> Result<Learner, UserWriteError> {
        let (username, profile) = (username.to_owned(), profile.clone());
        let now = now.naive_utc();
        transaction!(self, |c, sql| {
            let exists: Option<i64> = tenants::table.find(tenant.0).select(tenants::id).first(c).await.optional()?;
            if exists.is_none() {
                return Err(TxError::Refused(UserWriteError::TenantNotFound(tenant)));
            }
            let row: LearnerRow = diesel::insert_into(u::table)
                .values((
                    u::tenant_id.eq(tenant.0),
                    u::username.eq(&username),
                    profile_columns(&profile),
                    u::created_at.eq(now),
                    u::updated_at.eq(now),
                ))
                .returning(LearnerRow::as_returning())
                .get_result(c)
                .await
                .map_err(taken(&profile, &username))?;
            let learner = row.into_port();
            sql::events::append(c, &journal.events(&learner)).await?;
            Ok::<_, TxError<UserWriteError>>(learner)
        })
    }

    async fn update_learner(
        &self,
        tenant: TenantId,
        id: UserId,
        profile: &Profile,
        now: DateTime<Utc>,
        journal: Journal<Learner>,
    ) -> Result<Learner, UserWriteError> {
        let profile = profile.clone();
        let now = now.naive_utc();
        transaction!(self, |c, sql| {
            let row: Option<LearnerRow> =
                diesel::update(u::table.filter(u::id.eq(id.0).and(u::tenant_id.eq(tenant.0))))
                    .set((profile_columns(&profile), u::updated_at.eq(now)))
                    .returning(LearnerRow::as_returning())
                    .get_result(c)
                    .await
                    .optional()
                    .map_err(taken(&profile, ""))?;
            let learner = row.map(LearnerRow::into_port).ok_or(TxError::Refused(UserWriteError::NotFound(id)))?;
            sql::events::append(c, &journal.events(&learner)).await?;
            Ok(learner)
        })
    }

    async fn learner(&self, tenant: TenantId, id: UserId) -> Result<Option<Learner>, StoreError> {
        let mine = u::id.eq(id.0).and(u::tenant_id.eq(tenant.0));
        run!(self, |c, _sql| one!(c, u::table.filter(mine), LearnerRow))
    }

    async fn list_learners(
        &self,
        tenant: TenantId,
        filter: &UserFilter,
        slice: Slice,
    ) -> Result<Listed<Learner>, StoreError> {
        let filter = filter.clone();
        run!(self, |c, sql| listed!(c, sql::learners::users(tenant, &filter), u::id, LearnerRow, slice))
    }

    async fn enroll(
        &self,
        tenant: TenantId,
        user: UserId,
        course: ActivityId,
        now: DateTime<Utc>,
        journal: Journal<Enrollment>,
    ) -> Result<Enrollment, EnrollError> {
        let now = now.naive_utc();
        transaction!(self, |c, sql| {
            let user_found: Option<i64> = u::table
                .filter(u::id.eq(user.0).and(u::tenant_id.eq(tenant.0)))
                .select(u::id)
                .first(c)
                .await
                .optional()?;
            if user_found.is_none() {
                return Err(TxError::Refused(EnrollError::UnknownUser(user)));
            }
            let course_kind: Option<String> = activities::table
                .filter(activities::id.eq(course.0).and(activities::tenant_id.eq(tenant.0)))
                .select(activities::kind)
                .first(c)
                .await
                .optional()?;
            let Some(course_kind) = course_kind else {
                return Err(TxError::Refused(EnrollError::UnknownCourse(course)));
            };
            let row: EnrollmentRow = diesel::insert_into(e::table)
                .values((
                    e::tenant_id.eq(tenant.0),
                    e::user_id.eq(user.0),
                    e::course_id.eq(course.0),
                    e::kind.eq(course_kind),
                    e::status.eq(EnrollmentStatus::NotStarted.as_str()),
                    e::success.eq(Success::Unknown.as_str()),
                    e::enrolled_at.eq(now),
                    e::updated_at.eq(now),
                ))
                .returning(EnrollmentRow::as_returning())
                .get_result(c)
                .await
                .map_err(unique_or(|| EnrollError::Duplicate(user, course)))?;
            let enrollment = row.into_port();
            sql::events::append(c, &journal.events(&enrollment)).await?;
            Ok::<_, TxError<EnrollError>>(enrollment)
        })
    }

    async fn enrollment(&self, tenant: TenantId, id: EnrollmentId) -> Result<Option<Enrollment>, StoreError> {
        let mine = e::id.eq(id.0).and(e::tenant_id.eq(tenant.0));
        run!(self, |c, _sql| one!(c, e::table.filter(mine), EnrollmentRow))
    }

    async fn list_enrollments(
        &self,
        tenant: TenantId,
        filter: &EnrollmentFilter,
        slice: Slice,
    ) -> Result<Listed<Enrollment>, StoreError> {
        let filter = filter.clone();
        run!(self, |c, sql| listed!(c, sql::learners::enrollments(tenant, &filter), e::id, EnrollmentRow, slice))
    }

    async fn enrollments_of(
        &self,
        tenant: TenantId,
        users: &[UserId],
        courses: &[ActivityId],
    ) -> Result<Vec<Standing>, StoreError> {
        if users.is_empty() || courses.is_empty() {
            return Ok(Vec::new());
        }
        let users: Vec<i64> = users.iter().map(|u| u.0).collect();
        let courses: Vec<i64> = courses.iter().map(|c| c.0).collect();
        let (rows, running): (Vec<EnrollmentRow>, Vec<i64>) = run!(self, |c, _sql| {
            let rows: Vec<EnrollmentRow> = e::table
                .filter(
                    e::tenant_id
                        .eq(tenant.0)
                        .and(e::user_id.eq_any(users.clone()))
                        .and(e::course_id.eq_any(courses.clone())),
                )
                .order(e::id)
                .select(EnrollmentRow::as_select())
                .load(c)
                .await?;
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            let running: Vec<i64> = if ids.is_empty() {
                Vec::new()
            } else {
                at::table
                    .filter(at::enrollment_id.eq_any(ids).and(at::ended_at.is_null()))
                    .select(at::enrollment_id)
                    .load(c)
                    .await?
            };
            Ok((rows, running))
        })?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let attempt_running = running.contains(&row.id);
                Standing { enrollment: row.into_port(), attempt_running }
            })
            .collect())
    }

    async fn enrollments_in_after(
        &self,
        tenant: TenantId,
        course: ActivityId,
        after: Option<EnrollmentId>,
        limit: u64,
    ) -> Result<Vec<Enrollment>, StoreError> {
        let after = after.map_or(i64::MIN, |a| a.0);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows: Vec<EnrollmentRow> = run!(self, |c, _sql| {
            e::table
                .filter(e::tenant_id.eq(tenant.0).and(e::course_id.eq(course.0)).and(e::id.gt(after)))
                .order(e::id)
                .limit(limit)
                .select(EnrollmentRow::as_select())
                .load(c)
                .await
        })?;
        Ok(rows.into_iter().map(EnrollmentRow::into_port).collect())
    }

    async fn path_enrollments_with(
        &self,
        tenant: TenantId,
        user: UserId,
        activity: ActivityId,
    ) -> Result<Vec<Enrollment>, StoreError> {
        let rows: Vec<EnrollmentRow> = run!(self, |c, _sql| {
            let paths: Vec<i64> = ca::table
                .filter(ca::account_id.eq(tenant.0).and(ca::course_id.eq(activity.0)))
                .select(ca::curriculum_id)
                .load(c)
                .await?;
            if paths.is_empty() {
                return Ok(Vec::new());
            }
            e::table
                .filter(e::tenant_id.eq(tenant.0).and(e::user_id.eq(user.0)).and(e::course_id.eq_any(paths)))
                .order(e::id)
                .select(EnrollmentRow::as_select())
                .load(c)
                .await
        })?;
        Ok(rows.into_iter().map(EnrollmentRow::into_port).collect())
    }

    async fn set_path_outcome(
        &self,
        tenant: TenantId,
        id: EnrollmentId,
        outcome: Outcome,
        now: DateTime<Utc>,
        journal: Journal<StatusChange>,
    ) -> Result<Option<Enrollment>, StoreError> {
        let now = now.naive_utc();
        let row: Option<EnrollmentRow> = transaction!(self, |c, sql| {
            let mine = e::id.eq(id.0).and(e::tenant_id.eq(tenant.0));
            let before: Option<EnrollmentRow> =
                e::table.filter(mine).select(EnrollmentRow::as_select()).first(c).await.optional()?;
            let Some(before) = before.map(EnrollmentRow::into_port) else {
                return Ok::<_, TxError<StoreError>>(None);
            };
            let changed = diesel::update(e::table.filter(e::id.eq(id.0).and(e::tenant_id.eq(tenant.0))))
                .set((e::success.eq(outcome.success.as_str()), e::score.eq(outcome.score), e::updated_at.eq(now)))
                .execute(c)
                .await?;
            if changed == 0 {
                return Ok::<_, TxError<StoreError>>(None);
            }
            // A completed enrollment stays completed, whatever a write computed from an older
            // read says (one statement: two writers cannot interleave inside it).
            let completed = EnrollmentStatus::Completed.as_str();
            diesel::update(e::table.filter(e::id.eq(id.0).and(e::status.ne(completed))))
                .set(e::status.eq(outcome.status.as_str()))
                .execute(c)
                .await?;
            if outcome.status != EnrollmentStatus::NotStarted {
                diesel::update(e::table.filter(e::id.eq(id.0).and(e::started_at.is_null())))
                    .set(e::started_at.eq(now))
                    .execute(c)
                    .await?;
            }
            if outcome.status == EnrollmentStatus::Completed {
                diesel::update(e::table.filter(e::id.eq(id.0).and(e::completed_at.is_null())))
                    .set(e::completed_at.eq(now))
                    .execute(c)
                    .await?;
            }
            let row: EnrollmentRow = e::table.find(id.0).select(EnrollmentRow::as_select()).first(c).await?;
            let change = StatusChange { before, after: row.clone().into_port() };
            sql::events::append(c, &journal.events(&change)).await?;
            Ok(Some(row))
        })?;
        Ok(row.map(EnrollmentRow::into_port))
    }

    async fn learners_in(&self, tenant: TenantId, ids: &[UserId]) -> Result<Vec<Learner>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = ids.iter().map(|u| u.0).collect();
        let rows: Vec<LearnerRow> = run!(self, |c, _sql| {
            u::table
                .filter(u::tenant_id.eq(tenant.0).and(u::id.eq_any(ids.clone())))
                .order(u::id)
                .select(LearnerRow::as_select())
                .load(c)
                .await
        })?;
        Ok(rows.into_iter().map(LearnerRow::into_port).collect())
    }

    async fn unenroll(
        &self,
        tenant: TenantId,
        id: EnrollmentId,
        journal: Journal<Enrollment>,
    ) -> Result<bool, StoreError> {
        transaction!(self, |c, sql| {
            let deleted: Option<EnrollmentRow> =
                diesel::delete(e::table.filter(e::id.eq(id.0).and(e::tenant_id.eq(tenant.0))))
                    .returning(EnrollmentRow::as_returning())
                    .get_result(c)
                    .await
                    .optional()?;
            let Some(deleted) = deleted else { return Ok::<_, TxError<StoreError>>(false) };
            sql::events::append(c, &journal.events(&deleted.into_port())).await?;
            Ok(true)
        })
    }

    async fn latest_attempt(&self, tenant: TenantId, enrollment: EnrollmentId) -> Result<Option<Attempt>, StoreError> {
        let found: Option<(Vec<(String, String)>, AttemptRow)> = run!(self, |c, sql| {
            let row: Option<AttemptRow> = at::table
                .inner_join(e::table)
                .filter(at::enrollment_id.eq(enrollment.0).and(e::tenant_id.eq(tenant.0)))
                .order(at::number.desc())
                .select(AttemptRow::as_select())
                .first(c)
                .await
                .optional()?;
            match row {
                None => Ok(None),
                Some(row) => Ok(Some((sql::learners::scos(c, row.id).await?, row))),
            }
        })?;
        found.map(|(scos, row)| row.into_port(scos)).transpose()
    }

    async fn attempt(&self, tenant: TenantId, id: AttemptId) -> Result<Option<Attempt>, StoreError> {
        let found: Option<(Vec<(String, String)>, AttemptRow)> = run!(self, |c, sql| {
            let row: Option<AttemptRow> = at::table
                .inner_join(e::table)
                .filter(at::id.eq(id.0).and(e::tenant_id.eq(tenant.0)))
                .select(AttemptRow::as_select())
                .first(c)
                .await
                .optional()?;
            match row {
                None => Ok(None),
                Some(row) => Ok(Some((sql::learners::scos(c, row.id).await?, row))),
            }
        })?;
        found.map(|(scos, row)| row.into_port(scos)).transpose()
    }

    async fn open_attempt(&self, new: NewAttempt) -> Result<Attempt, OpenAttemptError> {
        let now = new.now.naive_utc();
        let row: AttemptRow = transaction!(self, |c, _sql| {
            let started: Option<Option<NaiveDateTime>> = e::table
                .filter(e::id.eq(new.enrollment.0).and(e::tenant_id.eq(new.tenant.0)))
                .select(e::started_at)
                .first(c)
                .await
                .optional()?;
            let Some(started) = started else {
                return Err(TxError::Refused(OpenAttemptError::NotFound(new.enrollment)));
            };
            let number = i32::try_from(new.number).unwrap_or(i32::MAX);
            let row: AttemptRow = diesel::insert_into(at::table)
                .values((
                    at::enrollment_id.eq(new.enrollment.0),
                    at::number.eq(number),
                    at::language.eq(new.language.as_str()),
                    at::revision.eq(i32::try_from(new.revision).unwrap_or(i32::MAX)),
                    at::storage_prefix.eq(&new.storage_prefix),
                    at::status.eq(EnrollmentStatus::NotStarted.as_str()),
                    at::success.eq(Success::Unknown.as_str()),
                    at::started_at.eq(now),
                    at::updated_at.eq(now),
                ))
                .returning(AttemptRow::as_returning())
                .get_result(c)
                .await
                .map_err(unique_or(|| OpenAttemptError::Taken(new.number)))?;
            diesel::update(e::table.find(new.enrollment.0))
                .set((
                    e::attempts.eq(number),
                    e::language.eq(new.language.as_str()),
                    e::started_at.eq(started.unwrap_or(now)),
                    e::updated_at.eq(now),
                ))
                .execute(c)
                .await?;
            Ok::<_, TxError<OpenAttemptError>>(row)
        })?;
        Ok(row.into_port(Vec::new())?)
    }

    async fn write_commit(&self, write: CommitWrite, journal: Journal<StatusChange>) -> Result<(), CommitWriteError> {
        transaction!(self, |c, sql| {
            let now = write.now.naive_utc();
            let moved = diesel::update(at::table.filter(
                at::id.eq(write.attempt.0).and(at::seq.eq(sql_int(write.expected_seq))).and(at::ended_at.is_null()),
            ))
            .set((
                at::seq.eq(sql_int(write.seq)),
                at::status.eq(write.attempt_outcome.status.as_str()),
                at::success.eq(write.attempt_outcome.success.as_str()),
                at::score.eq(write.attempt_outcome.score),
                at::total_time_seconds.eq(write.attempt_seconds),
                at::ended_at.eq(write.ends_attempt.then_some(now)),
                at::updated_at.eq(now),
            ))
            .execute(c)
            .await?;
            if moved == 0 {
                return Err(TxError::Refused(CommitWriteError::Moved));
            }
            let enrollment: i64 = at::table.find(write.attempt.0).select(at::enrollment_id).first(c).await?;
            let before: EnrollmentRow = e::table.find(enrollment).select(EnrollmentRow::as_select()).first(c).await?;
            // Upsert of the SCO's state: both backends know `ON CONFLICT … DO UPDATE`.
            diesel::insert_into(sr::table)
                .values((
                    sr::attempt_id.eq(write.attempt.0),
                    sr::sco.eq(&write.sco.sco),
                    sr::state.eq(&write.sco.state),
                    sr::updated_at.eq(now),
                ))
                .on_conflict((sr::attempt_id, sr::sco))
                .do_update()
                .set((sr::state.eq(&write.sco.state), sr::updated_at.eq(now)))
                .execute(c)
                .await?;
            // The enrollment's total is the sum of its attempts' totals.
            let others: Option<f64> = at::table
                .filter(at::enrollment_id.eq(enrollment).and(at::id.ne(write.attempt.0)))
                .select(diesel::dsl::sum(at::total_time_seconds))
                .first(c)
                .await?;
            diesel::update(e::table.filter(e::id.eq(enrollment).and(e::tenant_id.eq(write.tenant.0))))
                .set((
                    e::status.eq(write.enrollment.status.as_str()),
                    e::success.eq(write.enrollment.success.as_str()),
                    e::score.eq(write.enrollment.score),
                    e::total_time_seconds.eq(others.unwrap_or(0.0) + write.attempt_seconds),
                    e::updated_at.eq(now),
                ))
                .execute(c)
                .await?;
            if let Some(completed) = write.completed_at {
                diesel::update(e::table.filter(e::id.eq(enrollment).and(e::completed_at.is_null())))
                    .set(e::completed_at.eq(completed.naive_utc()))
                    .execute(c)
                    .await?;
            }
            let after: EnrollmentRow = e::table.find(enrollment).select(EnrollmentRow::as_select()).first(c).await?;
            let change = StatusChange { before: before.into_port(), after: after.into_port() };
            sql::events::append(c, &journal.events(&change)).await?;
            Ok::<_, TxError<CommitWriteError>>(())
        })
    }
}
