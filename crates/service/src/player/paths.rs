//! Path enrollments: a learner's progress in a path (the domain's rules, `curricula_domain::
//! progress`, over the learner's own enrollments in the path's activities), the launch of an
//! entry, the stored status kept current, and the progress report of a path.
//!
//! The stored status, success, score and `completed_on` of a path enrollment are what the rules
//! gave at the last commit that changed one of its activities' enrollments, or at its last read
//! (a read that finds them different, after a change to the path, writes them back): so the
//! `enrollment[status]` and `completed_on` filters run in SQL. See docs/LEARNERS.md.

use super::{LaunchError, PlayerService};
use crate::auth::Caller;
use crate::events::progress_events;
use crate::learners::Page;
use chrono::{DateTime, Utc};
use curricula_domain::curriculum::Curriculum;
use curricula_domain::learner::{EnrollmentStatus, Success};
use curricula_domain::progress::{ActivityEnrollment, PathProgress, can_launch, path_progress};
use curricula_domain::{ActivityId, ActivityKind, EnrollmentId, RecordId, TenantId, UserId};
use curricula_ports::{
    ActivityRepository, EnrollError, Enrollment, EnrollmentFilter, Event, EventType, Journal, LearnerRepository,
    Outcome, Standing, StoreError, TenantDirectory,
};
use std::collections::HashMap;

/// One learner's row of a path's progress report.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressRow {
    /// The path enrollment.
    pub enrollment: EnrollmentId,
    /// The learner.
    pub user: UserId,
    /// The learner's username.
    pub username: String,
    /// The path enrollment's status (as stored, now current).
    pub status: EnrollmentStatus,
    /// Its success.
    pub success: Success,
    /// Its score (the mean of the weighted entries).
    pub score: Option<f64>,
    /// Entries completed or exempt.
    pub entries_completed: usize,
    /// Entries of the path.
    pub entries_total: usize,
    /// The first completion of the path.
    pub completed_at: Option<DateTime<Utc>>,
}

/// A learner's standing in one activity, as the rules read it.
fn standing(s: &Standing) -> ActivityEnrollment {
    ActivityEnrollment {
        status: s.enrollment.status,
        success: s.enrollment.success,
        score: s.enrollment.score,
        attempts: s.enrollment.attempts,
        attempt_running: s.attempt_running,
    }
}

/// The outcome a path enrollment stores for `progress`.
fn outcome_of(progress: &PathProgress) -> Outcome {
    Outcome {
        status: progress.status,
        success: progress.success,
        score: progress.score,
    }
}

fn stored(e: &Enrollment) -> Outcome {
    Outcome {
        status: e.status,
        success: e.success,
        score: e.score,
    }
}

impl<D, A, L> PlayerService<D, A, L>
where
    D: TenantDirectory + ?Sized,
    A: ActivityRepository + ?Sized,
    L: LearnerRepository + ?Sized,
{
    /// The tenant's path `id`, or `None` when it is not one.
    async fn load_path(&self, tenant: TenantId, id: ActivityId) -> Result<Option<Curriculum>, StoreError> {
        let Some(records) = self.activities.curriculum(tenant, id).await? else {
            return Ok(None);
        };
        Curriculum::from_records(id, tenant, records)
            .map(Some)
            .map_err(|e| StoreError::Backend(e.to_string().into()))
    }

    /// The standings of `users` in the path's activities, per user.
    async fn standings(
        &self,
        tenant: TenantId,
        users: &[UserId],
        path: &Curriculum,
    ) -> Result<HashMap<UserId, HashMap<ActivityId, ActivityEnrollment>>, StoreError> {
        let mut out: HashMap<UserId, HashMap<ActivityId, ActivityEnrollment>> = HashMap::new();
        for s in self.learners.enrollments_of(tenant, users, &path.course_ids()).await? {
            out.entry(s.enrollment.user)
                .or_default()
                .insert(s.enrollment.course, standing(&s));
        }
        Ok(out)
    }

    /// The progress of `enrollment` in `path` from `standings`, with the enrollment as stored
    /// after it: written back when the stored outcome differs.
    async fn settle(
        &self,
        enrollment: &Enrollment,
        path: &Curriculum,
        standings: &HashMap<ActivityId, ActivityEnrollment>,
        now: DateTime<Utc>,
    ) -> Result<(PathProgress, Enrollment), StoreError> {
        let progress = path_progress(path, standings, enrollment.status, now.date_naive());
        let wanted = outcome_of(&progress);
        if wanted == stored(enrollment) {
            return Ok((progress, enrollment.clone()));
        }
        let written = self
            .learners
            .set_path_outcome(
                enrollment.tenant,
                enrollment.id,
                wanted,
                now,
                Journal::of(move |c| progress_events(c, now)),
            )
            .await?
            .unwrap_or_else(|| enrollment.clone());
        Ok((progress, written))
    }

    /// The learner's progress in the path of the path enrollment `enrollment`, and the
    /// enrollment as stored after it (its status, success and score written back when they
    /// differ: after a change to the path). `None` for a SCORM enrollment, or a path gone.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn path_progress(
        &self,
        caller: Caller,
        enrollment: &Enrollment,
    ) -> Result<Option<(PathProgress, Enrollment)>, StoreError> {
        if enrollment.kind != ActivityKind::Course {
            return Ok(None);
        }
        let Some(path) = self.load_path(caller.tenant, enrollment.course).await? else {
            return Ok(None);
        };
        let mut standings = self.standings(caller.tenant, &[enrollment.user], &path).await?;
        let mine = standings.remove(&enrollment.user).unwrap_or_default();
        Ok(Some(self.settle(enrollment, &path, &mine, self.clock.now()).await?))
    }

    /// The learner's own enrollment in the activity of entry `entry` of the path enrollment
    /// `path_enrollment`, created on the first launch, when the rules allow a launch now.
    pub(super) async fn entry_enrollment(
        &self,
        caller: Caller,
        path_enrollment: &Enrollment,
        entry: RecordId,
        now: DateTime<Utc>,
    ) -> Result<Enrollment, LaunchError> {
        let tenant = caller.tenant;
        let path = self
            .load_path(tenant, path_enrollment.course)
            .await?
            .ok_or(LaunchError::NotFound(path_enrollment.id))?;
        let user = path_enrollment.user;
        let mut standings = self.standings(tenant, &[user], &path).await?;
        let mine = standings.remove(&user).unwrap_or_default();
        let (progress, _) = self.settle(path_enrollment, &path, &mine, now).await?;
        can_launch(&progress, entry).map_err(LaunchError::Refused)?;
        let course = progress
            .entry(entry)
            .map(|e| e.course_id)
            .ok_or_else(|| LaunchError::Refused(format!("entry_id {entry} is not an entry of this path")))?;
        let own = |list: Vec<Standing>| list.into_iter().map(|s| s.enrollment).find(|e| e.course == course);
        let existing = own(self.learners.enrollments_of(tenant, &[user], &[course]).await?);
        let enrollment = match existing {
            Some(e) => e,
            None => match self
                .learners
                .enroll(tenant, user, course, now, entry_enrolled(now))
                .await
            {
                Ok(e) => e,
                // Another launch created it first.
                Err(EnrollError::Duplicate(..)) => {
                    own(self.learners.enrollments_of(tenant, &[user], &[course]).await?)
                        .ok_or(LaunchError::NotFound(path_enrollment.id))?
                }
                Err(EnrollError::Store(e)) => return Err(e.into()),
                Err(other) => return Err(LaunchError::Refused(other.to_string())),
            },
        };
        if enrollment.kind == ActivityKind::Course {
            return Err(LaunchError::Refused(format!(
                "entry_id {entry} is a path ({course}); enroll in it and launch its entries"
            )));
        }
        Ok(enrollment)
    }

    /// After a commit changed the learner's enrollment `changed` in an activity: the stored
    /// progress of the learner's path enrollments whose path holds the activity. The commit is
    /// durable already; a failure here is logged, and the next read of the path enrollment
    /// writes its status back.
    pub(super) async fn refresh_paths_with(&self, tenant: TenantId, changed: &Enrollment, now: DateTime<Utc>) {
        if let Err(e) = self.try_refresh_paths_with(tenant, changed, now).await {
            tracing::warn!(enrollment = changed.id.0, error = %e, "the path enrollments of a commit were not updated");
        }
    }

    async fn try_refresh_paths_with(
        &self,
        tenant: TenantId,
        changed: &Enrollment,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        for path_enrollment in self
            .learners
            .path_enrollments_with(tenant, changed.user, changed.course)
            .await?
        {
            let Some(path) = self.load_path(tenant, path_enrollment.course).await? else {
                continue;
            };
            let mut standings = self.standings(tenant, &[changed.user], &path).await?;
            let mine = standings.remove(&changed.user).unwrap_or_default();
            self.settle(&path_enrollment, &path, &mine, now).await?;
        }
        Ok(())
    }

    /// Page `page` (50 per page) of the progress of every learner enrolled in the caller's
    /// path `path`, by enrollment id; `None` when `path` is not a path of the caller's. Each
    /// page costs a fixed number of queries (the path, the page, its users, their enrollments
    /// in the path's activities), plus a write per enrollment whose stored status was behind.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn path_report(
        &self,
        caller: Caller,
        path: ActivityId,
        page: usize,
    ) -> Result<Option<Page<ProgressRow>>, StoreError> {
        let tenant = caller.tenant;
        let Some(curriculum) = self.load_path(tenant, path).await? else {
            return Ok(None);
        };
        let filter = EnrollmentFilter {
            course: Some(path),
            ..EnrollmentFilter::default()
        };
        let listed = self
            .learners
            .list_enrollments(tenant, &filter, crate::query::slice(page))
            .await?;
        let users: Vec<UserId> = listed.items.iter().map(|e| e.user).collect();
        let names: HashMap<UserId, String> = self
            .learners
            .learners_in(tenant, &users)
            .await?
            .into_iter()
            .map(|u| (u.id, u.username))
            .collect();
        let mut standings = self.standings(tenant, &users, &curriculum).await?;
        let now = self.clock.now();
        let mut rows = Vec::with_capacity(listed.items.len());
        for enrollment in &listed.items {
            let mine = standings.remove(&enrollment.user).unwrap_or_default();
            let (progress, stored) = self.settle(enrollment, &curriculum, &mine, now).await?;
            rows.push(ProgressRow {
                enrollment: stored.id,
                user: stored.user,
                username: names.get(&stored.user).cloned().unwrap_or_default(),
                status: stored.status,
                success: stored.success,
                score: stored.score,
                entries_completed: progress.entries().filter(|e| e.state.is_done()).count(),
                entries_total: progress.entries().count(),
                completed_at: stored.completed_at,
            });
        }
        Ok(Some(Page {
            items: rows,
            total: usize::try_from(listed.total).unwrap_or(usize::MAX),
            page,
        }))
    }
}

/// Path enrollments read per page by [`PlayerService::recompute_path`].
pub const RECOMPUTE_PAGE: u64 = 500;

impl<D, A, L> PlayerService<D, A, L>
where
    D: TenantDirectory + ?Sized + Send + Sync + 'static,
    A: ActivityRepository + ?Sized + Send + Sync + 'static,
    L: LearnerRepository + ?Sized + Send + Sync + 'static,
{
    /// After a change to path `path`: recomputes and stores the status of every enrollment in
    /// it, in a task of its own (the write that changed the path has answered already). A
    /// failure is logged; the next read of each enrollment left behind writes it back.
    pub fn recompute_path_in_background(&self, tenant: TenantId, path: ActivityId) {
        let key = (tenant, path);
        {
            let Ok(mut running) = self.recomputing.lock() else {
                return;
            };
            if let Some(again) = running.get_mut(&key) {
                // The running walk goes once more when it ends.
                *again = true;
                return;
            }
            running.insert(key, false);
        }
        let this = self.clone();
        tokio::spawn(async move {
            loop {
                let started = std::time::Instant::now();
                match this.recompute_path(tenant, path).await {
                    Ok((seen, written)) => tracing::info!(
                        path = path.0,
                        enrollments = seen,
                        written,
                        elapsed_ms = started.elapsed().as_secs_f64() * 1e3,
                        "path enrollments recomputed after a change to the path"
                    ),
                    Err(e) => tracing::warn!(
                        path = path.0,
                        error = %e,
                        "path enrollments not recomputed after a change to the path; their next reads will"
                    ),
                }
                let Ok(mut running) = this.recomputing.lock() else {
                    return;
                };
                match running.get_mut(&key) {
                    Some(again) if *again => *again = false,
                    _ => {
                        running.remove(&key);
                        return;
                    }
                }
            }
        });
    }
}

impl<D, A, L> PlayerService<D, A, L>
where
    D: TenantDirectory + ?Sized,
    A: ActivityRepository + ?Sized,
    L: LearnerRepository + ?Sized,
{
    /// Recomputes and stores the status of every enrollment in path `path`, [`RECOMPUTE_PAGE`]
    /// at a time by id: each page its own reads (the page, its learners' standings) and one
    /// write per enrollment whose stored outcome is behind, so the path's lock is never held
    /// and no transaction spans pages. A completed path enrollment stays completed. The
    /// enrollments seen and those written; `(0, 0)` when `path` is not a path.
    ///
    /// # Errors
    /// When the store fails (the pages before stay written).
    pub async fn recompute_path(&self, tenant: TenantId, path: ActivityId) -> Result<(usize, usize), StoreError> {
        let (mut seen, mut written) = (0, 0);
        let mut page = self
            .learners
            .enrollments_in_after(tenant, path, None, RECOMPUTE_PAGE)
            .await?;
        if page.is_empty() {
            // Nobody is enrolled (a path being authored): the path is not even read.
            return Ok((seen, written));
        }
        let Some(curriculum) = self.load_path(tenant, path).await? else {
            return Ok((seen, written));
        };
        loop {
            let users: Vec<UserId> = page.iter().map(|e| e.user).collect();
            let mut standings = self.standings(tenant, &users, &curriculum).await?;
            let now = self.clock.now();
            for enrollment in &page {
                let mine = standings.remove(&enrollment.user).unwrap_or_default();
                let (_, stored) = self.settle(enrollment, &curriculum, &mine, now).await?;
                seen += 1;
                written += usize::from(stored.updated_at != enrollment.updated_at);
            }
            let last = page.last().map(|e| e.id);
            if (page.len() as u64) < RECOMPUTE_PAGE {
                break;
            }
            page = self
                .learners
                .enrollments_in_after(tenant, path, last, RECOMPUTE_PAGE)
                .await?;
            if page.is_empty() {
                break;
            }
        }
        Ok((seen, written))
    }
}

/// The event of an enrollment made on a learner's first launch of an entry of a path (by the
/// learner: no key).
fn entry_enrolled(at: DateTime<Utc>) -> Journal<Enrollment> {
    Journal::of(move |e: &Enrollment| {
        vec![Event {
            data: serde_json::json!({"enrollment_id": e.id, "user_id": e.user, "course_id": e.course, "via": "path launch"}),
            ..Event::new(EventType::EnrollmentCreated, e.tenant, at)
                .course(e.course)
                .user(e.user)
                .enrollment(e.id)
        }]
    })
}
