//! The contract every [`ImportRepository`] must pass, written once.

use crate::*;
use chrono::{Duration, TimeZone, Utc};
use curricula_domain::*;

/// Jobs are queued and read per tenant; a job is leased by one worker at a time, taken over
/// once its lease expired, finished only by the worker that holds it (with the journal's
/// event in the same transaction), and never leased again; `written_by` finds the write
/// event of a request id.
pub async fn import_queue<S>(store: &S, other_instance: &S)
where
    S: ImportRepository + EventLog + TenantDirectory + ?Sized,
{
    let code = |c: &str| LanguageCode::parse("language", c).unwrap();
    let t = store.create_tenant("Importing", &code("en-GB"), &[]).await.unwrap().id;
    let other = store.create_tenant("Elsewhere", &code("en-GB"), &[]).await.unwrap().id;
    let now = Utc.with_ymd_and_hms(2026, 12, 6, 9, 0, 0).unwrap();
    let new = |tenant, kind| NewImport {
        tenant,
        api_key: ApiKeyId(7),
        origin: Some("https://skoli.istak.is".into()),
        request_id: Some("req-1".into()),
        kind,
        fields: serde_json::json!({ "name": "Fire safety", "activityType": "scorm" }),
        blob_key: Some("imports/1/aa".into()),
        sha256: Some("ab".repeat(32)),
        size: 1234,
        now,
    };
    assert_eq!(store.lease_import("a", now, now).await.unwrap(), None, "an empty queue");
    let first = store.create_import(new(t, ImportKind::New)).await.unwrap();
    assert_eq!(first.status, ImportStatus::Queued);
    assert_eq!(
        (first.activity, first.error.clone(), first.finished_at),
        (None, None, None)
    );
    assert!(first.warnings.is_empty());
    assert_eq!(first.created_at, now);
    let second = store.create_import(new(other, ImportKind::Replace)).await.unwrap();
    assert!(second.id > first.id);
    assert_eq!(store.import(t, first.id).await.unwrap(), Some(first.clone()));
    assert_eq!(store.import(other, first.id).await.unwrap(), None, "per tenant");

    // The oldest first, with everything needed to run it.
    let lease = now + Duration::minutes(5);
    let leased = store.lease_import("a", now, lease).await.unwrap().expect("a job");
    assert_eq!(leased.id, first.id);
    assert_eq!(leased.attempts, 1);
    assert_eq!(leased.kind, ImportKind::New);
    assert_eq!(leased.api_key, ApiKeyId(7));
    assert_eq!(leased.fields["name"], "Fire safety");
    assert_eq!(leased.blob_key.as_deref(), Some("imports/1/aa"));
    assert_eq!((leased.size, leased.request_id.as_deref()), (1234, Some("req-1")));
    assert_eq!(
        store.import(t, first.id).await.unwrap().unwrap().status,
        ImportStatus::Running
    );
    // Another instance gets the next one, never the one leased.
    let next = other_instance
        .lease_import("b", now, lease)
        .await
        .unwrap()
        .expect("the next");
    assert_eq!(next.id, second.id);
    assert_eq!(other_instance.lease_import("b", now, lease).await.unwrap(), None);

    // Renewed by its holder only; taken over once the lease expired.
    assert!(store.renew_import(first.id, "a", lease).await.unwrap());
    assert!(!store.renew_import(first.id, "b", lease).await.unwrap());
    let later = lease + Duration::seconds(1);
    let taken = other_instance
        .lease_import("b", later, later + Duration::minutes(5))
        .await
        .unwrap()
        .expect("an expired lease");
    assert_eq!((taken.id, taken.attempts), (first.id, 2));

    // The worker that lost it cannot finish it.
    let outcome = |status, at| ImportOutcome {
        status,
        activity: Some(ActivityId(42)),
        error: None,
        warnings: vec!["no organization".into()],
        now: at,
    };
    let event = Event::new(EventType::ImportFinished, t, later);
    let journal = |event: Event| {
        Journal::of(move |job: &Import| {
            vec![Event {
                course: job.activity,
                ..event
            }]
        })
    };
    assert_eq!(
        store
            .finish_import(
                first.id,
                "a",
                outcome(ImportStatus::Succeeded, later),
                journal(event.clone())
            )
            .await
            .unwrap(),
        None
    );
    let finished = other_instance
        .finish_import(
            first.id,
            "b",
            outcome(ImportStatus::Succeeded, later),
            journal(event.clone()),
        )
        .await
        .unwrap()
        .expect("its holder finishes it");
    assert_eq!(finished.status, ImportStatus::Succeeded);
    assert_eq!(finished.activity, Some(ActivityId(42)));
    assert_eq!(finished.warnings, ["no organization"]);
    assert_eq!(finished.finished_at, Some(later));
    assert_eq!(store.import(t, first.id).await.unwrap(), Some(finished));
    let feed = store
        .feed(t, FeedPosition::START, &FeedFilter::default(), 10)
        .await
        .unwrap();
    let kinds: Vec<_> = feed.events.iter().map(|e| (e.event.kind, e.event.course)).collect();
    assert_eq!(
        kinds,
        [(EventType::ImportFinished, Some(ActivityId(42)))],
        "appended once"
    );
    // Finished: never leased or finished again.
    let much_later = later + Duration::hours(1);
    assert!(!store.renew_import(first.id, "b", much_later).await.unwrap());
    let failed = ImportOutcome {
        status: ImportStatus::Failed,
        activity: None,
        error: Some("SCORM package refused (not_a_zip): …".into()),
        warnings: Vec::new(),
        now: much_later,
    };
    let done = other_instance
        .finish_import(second.id, "b", failed, Journal::none())
        .await
        .unwrap()
        .expect("the second");
    assert_eq!(done.status, ImportStatus::Failed);
    assert_eq!(done.error.as_deref(), Some("SCORM package refused (not_a_zip): …"));
    assert_eq!(
        store
            .lease_import("c", much_later, much_later + Duration::minutes(5))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .finish_import(
                first.id,
                "b",
                outcome(ImportStatus::Failed, much_later),
                Journal::none()
            )
            .await
            .unwrap(),
        None,
        "a finished job stays as it ended"
    );

    // The write of a request id, in its tenant only, and only an upload write.
    assert_eq!(store.written_by(t, "import-9").await.unwrap(), None);
    let write = |kind, tenant| Event {
        request_id: Some("import-9".into()),
        ..Event::new(kind, tenant, now).course(ActivityId(5))
    };
    store
        .append(vec![
            write(EventType::UserCreated, t),
            write(EventType::ActivityCreated, other),
        ])
        .await
        .unwrap();
    assert_eq!(store.written_by(t, "import-9").await.unwrap(), None);
    store.append(vec![write(EventType::PackageReplaced, t)]).await.unwrap();
    assert_eq!(store.written_by(t, "import-9").await.unwrap(), Some(ActivityId(5)));
}
