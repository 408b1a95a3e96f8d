//! The contract every implementation of [`LearnerRepository`] must pass, written once: users
//! and their uniqueness per tenant, enrollments and their filters, attempts numbered once, and
//! commits written only over the state they were computed from.

use crate::contract::{code, fixture, new_activity, now};
use crate::*;
use curricula_domain::learner::{EnrollmentStatus, Profile, Success};
use curricula_domain::*;

fn profile(code: Option<&str>) -> Profile {
    Profile {
        first_name: Some("Anna".into()),
        last_name: Some("Jónsdóttir".into()),
        email: Some("anna@istak.is".into()),
        code: code.map(str::to_owned),
    }
}

/// Users, enrollments, attempts and commits as the player's use cases rely on them.
pub async fn learners<S>(store: &S)
where
    S: TenantDirectory + ActivityRepository + LearnerRepository + ?Sized,
{
    let f = fixture(store, "Learners").await;
    let other = fixture(store, "Other").await;
    let t = f.tenant;

    // Users: unique username and code per tenant; the same in another tenant is fine.
    let anna = store
        .create_learner(t, "anna", &profile(Some("E-1")), now(), Journal::none())
        .await
        .unwrap();
    assert_eq!(anna.profile, profile(Some("E-1")));
    assert_eq!(store.learner(t, anna.id).await.unwrap().as_ref(), Some(&anna));
    assert!(matches!(
        store
            .create_learner(t, "anna", &Profile::default(), now(), Journal::none())
            .await,
        Err(UserWriteError::UsernameTaken(_))
    ));
    assert!(matches!(
        store
            .create_learner(t, "bjorn", &profile(Some("E-1")), now(), Journal::none())
            .await,
        Err(UserWriteError::CodeTaken(_))
    ));
    store
        .create_learner(other.tenant, "anna", &profile(Some("E-1")), now(), Journal::none())
        .await
        .unwrap();
    let bjorn = store
        .create_learner(t, "bjorn", &Profile::default(), now(), Journal::none())
        .await
        .unwrap();
    assert!(
        store.learner(other.tenant, bjorn.id).await.unwrap().is_none(),
        "another tenant's user"
    );
    let later = now() + chrono::Duration::hours(1);
    let changed = store
        .update_learner(t, bjorn.id, &profile(Some("E-2")), later, Journal::none())
        .await
        .unwrap();
    assert_eq!(
        (changed.profile.code.as_deref(), changed.updated_at),
        (Some("E-2"), later)
    );
    assert!(matches!(
        store
            .update_learner(t, bjorn.id, &profile(Some("E-1")), later, Journal::none())
            .await,
        Err(UserWriteError::CodeTaken(_))
    ));
    assert!(matches!(
        store
            .update_learner(other.tenant, bjorn.id, &Profile::default(), later, Journal::none())
            .await,
        Err(UserWriteError::NotFound(_))
    ));
    let all = store
        .list_learners(t, &UserFilter::default(), Slice::ALL)
        .await
        .unwrap();
    // The fixture's owner, anna, bjorn.
    assert_eq!(all.total, 3);
    let ids: Vec<UserId> = all.items.iter().map(|u| u.id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "by id");
    for filter in [
        UserFilter {
            username: Some("anna".into()),
            ..UserFilter::default()
        },
        UserFilter {
            code: Some("E-2".into()),
            ..UserFilter::default()
        },
        UserFilter {
            updated_on: Some(TimeRange { from: later, to: later }),
            ..UserFilter::default()
        },
    ] {
        let listed = store.list_learners(t, &filter, Slice::ALL).await.unwrap();
        let expected: Vec<&Learner> = all.items.iter().filter(|u| filter.matches(u)).collect();
        assert_eq!(listed.items.iter().collect::<Vec<_>>(), expected, "{filter:?}");
        assert_eq!(listed.total, expected.len() as u64);
    }
    let page = store
        .list_learners(t, &UserFilter::default(), Slice { offset: 1, limit: 1 })
        .await
        .unwrap();
    assert_eq!((page.items.len(), page.total), (1, 3));

    // Enrollments: once per user and course, only the tenant's users and activities.
    let scorm = store
        .create_activity(
            new_activity(&f, ActivityKind::Scorm, "golf", Placement::TopLevel),
            Journal::none(),
        )
        .await
        .unwrap();
    let path = store
        .create_activity(
            new_activity(&f, ActivityKind::Course, "path", Placement::TopLevel),
            Journal::none(),
        )
        .await
        .unwrap();
    let foreign = store
        .create_activity(
            new_activity(&other, ActivityKind::Scorm, "theirs", Placement::TopLevel),
            Journal::none(),
        )
        .await
        .unwrap();
    let e = store.enroll(t, anna.id, scorm, now(), Journal::none()).await.unwrap();
    assert_eq!(
        (e.kind, e.status, e.success, e.attempts),
        (ActivityKind::Scorm, EnrollmentStatus::NotStarted, Success::Unknown, 0)
    );
    assert!(matches!(
        store.enroll(t, anna.id, scorm, now(), Journal::none()).await,
        Err(EnrollError::Duplicate(..))
    ));
    assert!(matches!(
        store.enroll(t, anna.id, foreign, now(), Journal::none()).await,
        Err(EnrollError::UnknownCourse(_))
    ));
    assert!(matches!(
        store.enroll(t, UserId(999_999), scorm, now(), Journal::none()).await,
        Err(EnrollError::UnknownUser(_))
    ));
    let in_path = store.enroll(t, anna.id, path, now(), Journal::none()).await.unwrap();
    assert_eq!(in_path.kind, ActivityKind::Course);
    store.enroll(t, bjorn.id, scorm, now(), Journal::none()).await.unwrap();
    assert!(
        store.enrollment(other.tenant, e.id).await.unwrap().is_none(),
        "another tenant's enrollment"
    );

    // Attempts: numbered once; the enrollment counts them and is started.
    let new = |number| NewAttempt {
        tenant: t,
        enrollment: e.id,
        number,
        language: code("en-GB"),
        revision: 1,
        storage_prefix: "packages/x/1".into(),
        now: now(),
    };
    let first = store.open_attempt(new(1)).await.unwrap();
    assert_eq!((first.number, first.seq, first.ended_at), (1, 0, None));
    assert!(matches!(
        store.open_attempt(new(1)).await,
        Err(OpenAttemptError::Taken(1))
    ));
    let mut foreign_attempt = new(2);
    foreign_attempt.tenant = other.tenant;
    assert!(matches!(
        store.open_attempt(foreign_attempt).await,
        Err(OpenAttemptError::NotFound(_))
    ));
    let read = store.enrollment(t, e.id).await.unwrap().unwrap();
    assert_eq!(
        (
            read.attempts,
            read.started_at,
            read.language.as_ref().map(LanguageCode::as_str)
        ),
        (1, Some(now()), Some("en-GB"))
    );

    // Commits: written over the sequence number they were computed from, else refused.
    let write = |expected_seq, seq, ends_attempt, status| CommitWrite {
        tenant: t,
        attempt: first.id,
        expected_seq,
        seq,
        sco: ScoRecord {
            sco: "item-1".into(),
            state: format!("{{\"seq\":{seq}}}"),
        },
        attempt_outcome: Outcome {
            status,
            success: Success::Passed,
            score: Some(80.0),
        },
        attempt_seconds: 60.0 * seq as f64,
        ends_attempt,
        enrollment: Outcome {
            status,
            success: Success::Passed,
            score: Some(80.0),
        },
        completed_at: (status == EnrollmentStatus::Completed).then(now),
        now: later,
    };
    store
        .write_commit(write(0, 1, false, EnrollmentStatus::InProgress), Journal::none())
        .await
        .unwrap();
    assert!(matches!(
        store
            .write_commit(write(0, 2, false, EnrollmentStatus::InProgress), Journal::none())
            .await,
        Err(CommitWriteError::Moved)
    ));
    store
        .write_commit(write(1, 2, true, EnrollmentStatus::Completed), Journal::none())
        .await
        .unwrap();
    let attempt = store.latest_attempt(t, e.id).await.unwrap().unwrap();
    assert_eq!(attempt.seq, 2);
    assert_eq!(attempt.ended_at, Some(later));
    assert_eq!(
        attempt.scos,
        vec![ScoRecord {
            sco: "item-1".into(),
            state: "{\"seq\":2}".into()
        }]
    );
    assert_eq!(attempt.total_time_seconds, 120.0);
    // An ended attempt takes no more commits.
    assert!(matches!(
        store
            .write_commit(write(2, 3, false, EnrollmentStatus::Completed), Journal::none())
            .await,
        Err(CommitWriteError::Moved)
    ));
    let summary = store.enrollment(t, e.id).await.unwrap().unwrap();
    assert_eq!(
        (summary.status, summary.success, summary.score, summary.completed_at),
        (EnrollmentStatus::Completed, Success::Passed, Some(80.0), Some(now()))
    );
    assert_eq!(summary.total_time_seconds, 120.0);
    assert_eq!(store.attempt(t, first.id).await.unwrap().as_ref(), Some(&attempt));
    assert!(store.attempt(other.tenant, first.id).await.unwrap().is_none());

    // The second attempt's time adds to the first's.
    let second = store.open_attempt(new(2)).await.unwrap();
    let mut w = write(0, 1, false, EnrollmentStatus::Completed);
    w.attempt = second.id;
    w.attempt_seconds = 30.0;
    w.completed_at = None;
    store.write_commit(w, Journal::none()).await.unwrap();
    let summary = store.enrollment(t, e.id).await.unwrap().unwrap();
    assert_eq!(
        (summary.attempts, summary.total_time_seconds, summary.completed_at),
        (2, 150.0, Some(now()))
    );

    // Lists filter in the store as the reference says.
    let all = store
        .list_enrollments(t, &EnrollmentFilter::default(), Slice::ALL)
        .await
        .unwrap();
    assert_eq!(all.total, 3);
    for filter in [
        EnrollmentFilter {
            user: Some(anna.id),
            ..EnrollmentFilter::default()
        },
        EnrollmentFilter {
            course: Some(scorm),
            ..EnrollmentFilter::default()
        },
        EnrollmentFilter {
            status: Some(EnrollmentStatus::Completed),
            ..EnrollmentFilter::default()
        },
        EnrollmentFilter {
            status: Some(EnrollmentStatus::NotStarted),
            ..EnrollmentFilter::default()
        },
        EnrollmentFilter {
            completed_on: Some(TimeRange { from: now(), to: now() }),
            ..EnrollmentFilter::default()
        },
        EnrollmentFilter {
            updated_on: Some(TimeRange { from: later, to: later }),
            ..EnrollmentFilter::default()
        },
    ] {
        let listed = store.list_enrollments(t, &filter, Slice::ALL).await.unwrap();
        let expected: Vec<&Enrollment> = all.items.iter().filter(|e| filter.matches(e)).collect();
        assert_eq!(listed.items.iter().collect::<Vec<_>>(), expected, "{filter:?}");
    }

    // Path progress reads: a learner's enrollments in a path's activities (with whether an
    // attempt runs), the learner's path enrollments that hold an activity, the stored outcome.
    let inner = store
        .create_activity(
            new_activity(&f, ActivityKind::Scorm, "inner", Placement::Under(path)),
            Journal::none(),
        )
        .await
        .unwrap();
    assert_eq!(
        store.path_enrollments_with(t, anna.id, inner).await.unwrap(),
        vec![store.enrollment(t, in_path.id).await.unwrap().unwrap()]
    );
    assert!(store.path_enrollments_with(t, anna.id, scorm).await.unwrap().is_empty());
    assert!(
        store
            .path_enrollments_with(t, bjorn.id, inner)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .path_enrollments_with(other.tenant, anna.id, inner)
            .await
            .unwrap()
            .is_empty()
    );
    let anna_inner = store.enroll(t, anna.id, inner, now(), Journal::none()).await.unwrap();
    let standings = store
        .enrollments_of(t, &[anna.id, bjorn.id], &[inner, scorm])
        .await
        .unwrap();
    let seen: Vec<(EnrollmentId, UserId, ActivityId, bool)> = standings
        .iter()
        .map(|s| {
            (
                s.enrollment.id,
                s.enrollment.user,
                s.enrollment.course,
                s.attempt_running,
            )
        })
        .collect();
    let bjorn_scorm = all.items.iter().find(|x| x.user == bjorn.id).unwrap().id;
    assert_eq!(
        seen,
        vec![
            (e.id, anna.id, scorm, true),
            (bjorn_scorm, bjorn.id, scorm, false),
            (anna_inner.id, anna.id, inner, false)
        ],
        "by id; anna's second attempt in golf runs"
    );
    assert_eq!(
        standings[0].enrollment,
        store.enrollment(t, e.id).await.unwrap().unwrap()
    );
    assert!(store.enrollments_of(t, &[anna.id], &[path]).await.unwrap().len() == 1);
    assert!(store.enrollments_of(t, &[], &[inner]).await.unwrap().is_empty());
    assert!(
        store
            .enrollments_of(other.tenant, &[anna.id], &[inner])
            .await
            .unwrap()
            .is_empty()
    );
    // The walk over a path's enrollments: by id, after a given id, at most `limit`.
    let bjorn_path = store.enroll(t, bjorn.id, path, now(), Journal::none()).await.unwrap();
    let walk = |after, limit| store.enrollments_in_after(t, path, after, limit);
    let ids = |list: Vec<Enrollment>| list.into_iter().map(|e| e.id).collect::<Vec<_>>();
    assert_eq!(ids(walk(None, 500).await.unwrap()), vec![in_path.id, bjorn_path.id]);
    assert_eq!(ids(walk(None, 1).await.unwrap()), vec![in_path.id]);
    assert_eq!(ids(walk(Some(in_path.id), 500).await.unwrap()), vec![bjorn_path.id]);
    assert!(walk(Some(bjorn_path.id), 500).await.unwrap().is_empty());
    assert!(
        store
            .enrollments_in_after(other.tenant, path, None, 500)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.unenroll(t, bjorn_path.id, Journal::none()).await.unwrap());
    let outcome = |status| Outcome {
        status,
        success: Success::Passed,
        score: Some(75.0),
    };
    let started = store
        .set_path_outcome(
            t,
            in_path.id,
            outcome(EnrollmentStatus::InProgress),
            now(),
            Journal::none(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (started.status, started.started_at, started.completed_at, started.score),
        (EnrollmentStatus::InProgress, Some(now()), None, Some(75.0))
    );
    let done = store
        .set_path_outcome(
            t,
            in_path.id,
            outcome(EnrollmentStatus::Completed),
            later,
            Journal::none(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            done.status,
            done.success,
            done.started_at,
            done.completed_at,
            done.updated_at
        ),
        (
            EnrollmentStatus::Completed,
            Success::Passed,
            Some(now()),
            Some(later),
            later
        )
    );
    let again = store
        .set_path_outcome(
            t,
            in_path.id,
            outcome(EnrollmentStatus::Completed),
            later + chrono::Duration::hours(1),
            Journal::none(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.completed_at, Some(later), "the first completion stays");
    let again = store
        .set_path_outcome(
            t,
            in_path.id,
            outcome(EnrollmentStatus::InProgress),
            later,
            Journal::none(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        again.status,
        EnrollmentStatus::Completed,
        "a completed path stays completed"
    );
    assert_eq!(store.enrollment(t, in_path.id).await.unwrap(), Some(again));
    assert!(
        store
            .set_path_outcome(
                other.tenant,
                in_path.id,
                outcome(EnrollmentStatus::Completed),
                later,
                Journal::none()
            )
            .await
            .unwrap()
            .is_none()
    );
    let completed = store
        .list_enrollments(
            t,
            &EnrollmentFilter {
                status: Some(EnrollmentStatus::Completed),
                course: Some(path),
                ..EnrollmentFilter::default()
            },
            Slice::ALL,
        )
        .await
        .unwrap();
    assert_eq!(completed.total, 1, "the stored status filters in the store");
    // Users by id.
    let found: Vec<UserId> = store
        .learners_in(t, &[bjorn.id, anna.id, UserId(999_999)])
        .await
        .unwrap()
        .iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(found, vec![anna.id, bjorn.id]);
    assert!(store.learners_in(other.tenant, &[anna.id]).await.unwrap().is_empty());

    // Unenrolling removes the attempts with it.
    assert!(store.unenroll(t, e.id, Journal::none()).await.unwrap());
    assert!(!store.unenroll(t, e.id, Journal::none()).await.unwrap());
    assert!(store.attempt(t, first.id).await.unwrap().is_none());
    assert!(store.latest_attempt(t, e.id).await.unwrap().is_none());
}
