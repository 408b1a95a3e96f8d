//! The contract every implementation of [`TenantDirectory`] and [`ActivityRepository`] must
//! pass, written once. Each adapter has one test calling [`run_all`] on a fresh, empty store.

use crate::*;
use chrono::{TimeZone, Utc};
use curricula_domain::curriculum::{self, Curriculum, CurriculumError, CurriculumErrors, CurriculumRecord};
use curricula_domain::*;

pub(crate) fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap()
}

pub(crate) fn code(raw: &str) -> LanguageCode {
    LanguageCode::parse("language", raw).unwrap()
}

fn name(raw: &str) -> Name {
    Name::parse("name", raw).unwrap()
}

fn scorm(prefix: &str) -> ScormContent {
    ScormContent {
        scorm_version: Some("1.2".into()),
        title: Some("Title".into()),
        description: Some("About".into()),
        launch_href: "index.html?x=1".into(),
        mastery_score: Some(80.0),
        completion_threshold: None,
        items: contract_items(),
        file_count: 3,
        total_bytes: 1234,
        package_sha256: "ab".repeat(32),
        storage_prefix: prefix.into(),
    }
}

fn contract_items() -> serde_json::Value {
    serde_json::json!([{ "identifier": "i", "children": [] }])
}

/// A tenant with a user and organisation 81, ready for activities.
pub struct Fixture {
    /// The tenant.
    pub tenant: TenantId,
    /// Its user.
    pub owner: UserId,
}

pub(crate) async fn fixture<S: TenantDirectory + ?Sized>(store: &S, tenant_name: &str) -> Fixture {
    let tenant = store
        .create_tenant(tenant_name, &code("en-GB"), &[code("is-IS")])
        .await
        .unwrap();
    let owner = store.create_user(tenant.id, "jon.jonsson").await.unwrap();
    store
        .create_organisation(tenant.id, "Reykjavík", Some(OrganisationId(81)))
        .await
        .unwrap();
    Fixture {
        tenant: tenant.id,
        owner: owner.id,
    }
}

pub(crate) fn new_activity(f: &Fixture, kind: ActivityKind, label: &str, placement: Placement) -> NewActivity {
    NewActivity {
        external_id: None,
        tenant: f.tenant,
        kind,
        name: name(label),
        owner: f.owner,
        organisations: Organisations::All,
        placement,
        language: code("en-GB"),
        scorm: (kind == ActivityKind::Scorm).then(|| scorm(&format!("packages/{}/{label}", f.tenant))),
        api_key: Some(ApiKeyId(5)),
        now: now(),
    }
}

/// Every activity of the tenant, by id: its unfiltered List as one slice, whose total is what
/// it holds.
pub async fn all_activities<S: ActivityRepository + ?Sized>(store: &S, tenant: TenantId) -> Vec<Activity> {
    let listed = store
        .list_activities(tenant, &ActivityFilter::default(), Slice::ALL)
        .await
        .unwrap();
    assert_eq!(listed.total, listed.items.len() as u64, "the total of every activity");
    listed.items
}

/// The records of the tenant's path `path` as the tables hold them, in `lft` order: its List
/// (which reads no cache, unlike [`ActivityRepository::curriculum`]), whose total is what it holds.
pub async fn stored_path<S: CurriculumRepository + ?Sized>(
    store: &S,
    tenant: TenantId,
    path: ActivityId,
) -> Vec<CurriculumRecord> {
    let filter = RecordFilter {
        curriculum_id: Some(path),
        ..Default::default()
    };
    let listed = store.list_records(tenant, &filter, Slice::ALL).await.unwrap();
    assert_eq!(listed.total, listed.items.len() as u64, "the total of path {path}");
    listed.items
}

/// Tenants, languages, keys, users and organisations round-trip; uniqueness is per tenant.
pub async fn directory_round_trips<S: TenantDirectory + ?Sized>(store: &S) {
    let t = store
        .create_tenant("Istak", &code("en-GB"), &[code("is-IS"), code("en-GB")])
        .await
        .unwrap();
    assert_eq!(t.default_language, code("en-GB"));
    assert_eq!(t.languages.len(), 2, "{:?}", t.languages);
    assert_eq!(store.tenant(t.id).await.unwrap().as_ref(), Some(&t));
    store.enable_language(t.id, &code("da-DK")).await.unwrap();
    store.enable_language(t.id, &code("da-DK")).await.unwrap();
    assert_eq!(
        store.tenant(t.id).await.unwrap().unwrap().languages.len(),
        3,
        "enabling twice is idempotent"
    );
    assert!(store.tenants().await.unwrap().iter().any(|x| x.id == t.id));
    let missing = TenantId(987_654);
    assert!(store.tenant(missing).await.unwrap().is_none());
    assert!(matches!(
        store.enable_language(missing, &code("da-DK")).await,
        Err(DirectoryError::TenantNotFound(_))
    ));
    assert!(matches!(
        store.create_user(missing, "x").await,
        Err(DirectoryError::TenantNotFound(_))
    ));

    let origin = Origin::parse("https://skoli.istak.is/").unwrap();
    let hash = KeyHash("11".repeat(32));
    let key = store
        .create_api_key(t.id, &hash, Some(origin.clone()), now())
        .await
        .unwrap();
    let found = store.api_key(&hash).await.unwrap().unwrap();
    assert_eq!((found.id, found.tenant, found.origin), (key.id, t.id, Some(origin)));
    assert!(store.api_key(&KeyHash("22".repeat(32))).await.unwrap().is_none());
    assert!(matches!(
        store.create_api_key(t.id, &hash, None, now()).await,
        Err(DirectoryError::Duplicate(_))
    ));
    assert_eq!(store.api_keys(t.id).await.unwrap().len(), 1);

    let other = store.create_tenant("Other", &code("da-DK"), &[]).await.unwrap();
    store.create_user(t.id, "anna").await.unwrap();
    assert!(matches!(
        store.create_user(t.id, "anna").await,
        Err(DirectoryError::Duplicate(_))
    ));
    store.create_user(other.id, "anna").await.unwrap();
    assert_eq!(store.user(t.id, "anna").await.unwrap().unwrap().tenant, t.id);
    assert!(
        store.user(t.id, "ANNA").await.unwrap().is_none(),
        "user names match exactly"
    );

    store
        .create_organisation(t.id, "A", Some(OrganisationId(81)))
        .await
        .unwrap();
    assert!(matches!(
        store.create_organisation(t.id, "B", Some(OrganisationId(81))).await,
        Err(DirectoryError::Duplicate(_))
    ));
    store
        .create_organisation(other.id, "A elsewhere", Some(OrganisationId(81)))
        .await
        .unwrap();
    let next = store.create_organisation(t.id, "C", None).await.unwrap();
    assert_eq!(next.id, OrganisationId(82), "automatic ids follow the highest");
    assert_eq!(store.organisations(t.id).await.unwrap().len(), 2);
}

/// A course gets a curriculum with one section; a SCORM activity placed under it becomes the
/// last entry of its last section, numbered as a nested set.
pub async fn courses_get_curricula_and_placements<S: TenantDirectory + ActivityRepository + ?Sized>(store: &S) {
    let f = fixture(store, "Placements").await;
    let course = store
        .create_activity(
            new_activity(&f, ActivityKind::Course, "Course", Placement::TopLevel),
            Journal::none(),
        )
        .await
        .unwrap();
    let records = store
        .curriculum(f.tenant, course)
        .await
        .unwrap()
        .expect("a course is a path");
    assert_eq!(records.len(), 1);
    assert_eq!((records[0].lft, records[0].rgt, records[0].course_id), (1, 2, None));

    let a = store
        .create_activity(
            new_activity(&f, ActivityKind::Scorm, "a", Placement::Under(course)),
            Journal::none(),
        )
        .await
        .unwrap();
    let b = store
        .create_activity(
            new_activity(&f, ActivityKind::Course, "b", Placement::Under(course)),
            Journal::none(),
        )
        .await
        .unwrap();
    let records = store.curriculum(f.tenant, course).await.unwrap().unwrap();
    let shape: Vec<_> = records.iter().map(|r| (r.course_id, r.lft, r.rgt)).collect();
    assert_eq!(shape, vec![(None, 1, 6), (Some(a), 2, 3), (Some(b), 4, 5)]);
    assert_eq!(records[1].parent_id, Some(records[0].id));
    assert_eq!(records[1].course_kind, Some(ActivityKind::Scorm));
    assert_eq!(records[2].course_kind, Some(ActivityKind::Course));
    assert!(
        store.curriculum(f.tenant, a).await.unwrap().is_none(),
        "a SCORM activity is not a path"
    );

    let stored = store.activity(f.tenant, a).await.unwrap().unwrap();
    assert_eq!(
        (stored.kind, stored.parent, stored.name.as_str()),
        (ActivityKind::Scorm, Some(course), "a")
    );
    assert_eq!(stored.versions.len(), 1);
    assert_eq!(
        stored.versions[0].scorm.as_ref(),
        Some(&scorm(&format!("packages/{}/a", f.tenant)))
    );
}

/// Every refused creation stores nothing.
pub async fn refused_creations_store_nothing<S: TenantDirectory + ActivityRepository + ?Sized>(store: &S) {
    let f = fixture(store, "Refusals").await;
    let other = fixture(store, "Someone else").await;
    let scorm_id = store
        .create_activity(
            new_activity(&f, ActivityKind::Scorm, "leaf", Placement::TopLevel),
            Journal::none(),
        )
        .await
        .unwrap();
    let foreign = store
        .create_activity(
            new_activity(&other, ActivityKind::Course, "theirs", Placement::TopLevel),
            Journal::none(),
        )
        .await
        .unwrap();
    let prefixes_before = store.storage_prefixes().await.unwrap();

    let err = store
        .create_activity(
            new_activity(&f, ActivityKind::Scorm, "x1", Placement::Under(ActivityId(999_999))),
            Journal::none(),
        )
        .await;
    assert!(
        matches!(err, Err(CreateActivityError::ParentNotFound(ActivityId(999_999)))),
        "{err:?}"
    );
    let err = store
        .create_activity(
            new_activity(&f, ActivityKind::Scorm, "x2", Placement::Under(foreign)),
            Journal::none(),
        )
        .await;
    assert!(
        matches!(err, Err(CreateActivityError::ParentNotFound(_))),
        "another tenant's course: {err:?}"
    );
    let err = store
        .create_activity(
            new_activity(&f, ActivityKind::Scorm, "x3", Placement::Under(scorm_id)),
            Journal::none(),
        )
        .await;
    assert!(matches!(err, Err(CreateActivityError::ParentNotACourse(_))), "{err:?}");
    let mut with_orgs = new_activity(&f, ActivityKind::Scorm, "x4", Placement::TopLevel);
    with_orgs.organisations = Organisations::Only(vec![OrganisationId(81), OrganisationId(5), OrganisationId(6)]);
    let err = store.create_activity(with_orgs, Journal::none()).await;
    assert!(
        matches!(&err, Err(CreateActivityError::UnknownOrganisations(ids)) if ids == &[OrganisationId(5), OrganisationId(6)]),
        "{err:?}"
    );
    assert_eq!(
        store.storage_prefixes().await.unwrap(),
        prefixes_before,
        "no version was stored"
    );
    assert!(
        store
            .activity(f.tenant, ActivityId(scorm_id.0 + 2))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store.activity(f.tenant, foreign).await.unwrap().is_none(),
        "tenants never see each other's activities"
    );

    let mut ok = new_activity(&f, ActivityKind::Scorm, "x5", Placement::TopLevel);
    ok.organisations = Organisations::Only(vec![OrganisationId(81)]);
    let id = store.create_activity(ok, Journal::none()).await.unwrap();
    assert_eq!(
        store.activity(f.tenant, id).await.unwrap().unwrap().organisations,
        Organisations::Only(vec![OrganisationId(81)])
    );
}

/// Language versions: added, visible, unique per activity even under a race.
pub async fn language_versions_are_unique<S: TenantDirectory + ActivityRepository + ?Sized>(store: &S) {
    let f = fixture(store, "Languages").await;
    let id = store
        .create_activity(
            new_activity(&f, ActivityKind::Scorm, "multi", Placement::TopLevel),
            Journal::none(),
        )
        .await
        .unwrap();
    let version = |language: &str| NewLanguageVersion {
        tenant: f.tenant,
        activity: id,
        language: code(language),
        title: name("Kynning"),
        scorm: Some(scorm(&format!("packages/{}/{language}", f.tenant))),
        api_key: None,
        now: now(),
    };
    store
        .add_language_version(version("is-IS"), Journal::none())
        .await
        .unwrap();
    let activity = store.activity(f.tenant, id).await.unwrap().unwrap();
    let languages: Vec<_> = activity
        .versions
        .iter()
        .map(|v| v.language.as_str().to_owned())
        .collect();
    assert_eq!(languages, vec!["en-GB", "is-IS"]);
    assert!(matches!(
        store.add_language_version(version("is-IS"), Journal::none()).await,
        Err(AddLanguageError::LanguageExists { .. })
    ));
    let (a, b) = tokio::join!(
        store.add_language_version(version("da-DK"), Journal::none()),
        store.add_language_version(version("da-DK"), Journal::none())
    );
    assert_eq!(
        [a.is_ok(), b.is_ok()].iter().filter(|ok| **ok).count(),
        1,
        "exactly one racing add wins"
    );
    let mut missing = version("fr-FR");
    missing.activity = ActivityId(999_999);
    assert!(matches!(
        store.add_language_version(missing, Journal::none()).await,
        Err(AddLanguageError::ActivityNotFound(_))
    ));
    let mut foreign = version("fr-FR");
    foreign.tenant = fixture(store, "Not yours").await.tenant;
    assert!(matches!(
        store.add_language_version(foreign, Journal::none()).await,
        Err(AddLanguageError::ActivityNotFound(_))
    ));
    let prefixes = store.storage_prefixes().await.unwrap();
    assert!(
        prefixes.contains(&format!("packages/{}/is-IS", f.tenant)),
        "{prefixes:?}"
    );
}

/// `count` new SCORM activities of the fixture's tenant, named `{label}{i}`.
async fn members<S: ActivityRepository + ?Sized>(store: &S, f: &Fixture, label: &str, count: usize) -> Vec<ActivityId> {
    let mut members = Vec::with_capacity(count);
    for i in 0..count {
        let name = format!("{label}{i}");
        members.push(
            store
                .create_activity(
                    new_activity(f, ActivityKind::Scorm, &name, Placement::TopLevel),
                    Journal::none(),
                )
                .await
                .unwrap(),
        );
    }
    members
}

/// A whole-tree write of `tree` (its activities among `courses`), handed the fresh ids it needs.
fn sync_write(
    tree: curriculum::TreeInput,
    courses: std::collections::HashMap<ActivityId, curriculum::CourseRef>,
) -> PathWrite {
    PathWrite::new(
        tree.without_id(),
        Box::new(move |c, ids| c.sync(&tree, &courses, ids, now()).map(|_| None)),
    )
}

/// A write handed one fresh id, as the single-record operations are.
fn one(
    change: impl FnOnce(&mut Curriculum, RecordId) -> Result<Option<RecordId>, CurriculumErrors> + Send + 'static,
) -> PathWrite {
    PathWrite::new(
        1,
        Box::new(move |path, ids| change(path, ids.first().copied().unwrap_or(RecordId(0)))),
    )
}

/// A change that appends `activity` to the path's last section.
fn append(activity: ActivityId, label: &str) -> PathWrite {
    let label = label.to_owned();
    one(move |path, id| {
        let entry = path
            .append_to_last_section(id, activity, ActivityKind::Scorm, label, now())
            .map_err(CurriculumErrors::from)?;
        Ok(Some(entry.id))
    })
}

/// Whether `records` are numbered gap-free from 1 with every entry inside its section.
fn assert_consistent(records: &[CurriculumRecord]) {
    let mut bounds: Vec<i32> = records.iter().flat_map(|r| [r.lft, r.rgt]).collect();
    bounds.sort_unstable();
    let expected: Vec<i32> = (1..=i32::try_from(bounds.len()).unwrap()).collect();
    assert_eq!(bounds, expected, "gap-free numbering: {records:?}");
    for entry in records.iter().filter(|r| r.parent_id.is_some()) {
        let section = records
            .iter()
            .find(|s| Some(s.id) == entry.parent_id)
            .expect("its section");
        assert!(
            section.lft < entry.lft && entry.rgt < section.rgt,
            "{entry:?} inside {section:?}"
        );
    }
}

/// Paths change atomically: writes renumber gap-free, a refusal writes nothing, a
/// section's entries go with it, another tenant's path and records are invisible, and
/// concurrent changes of one path serialise.
pub async fn curricula_change_atomically<S>(store: &S)
where
    S: TenantDirectory + ActivityRepository + CurriculumRepository + ?Sized,
{
    let f = fixture(store, "Paths").await;
    let path = store
        .create_activity(
            new_activity(&f, ActivityKind::Course, "Path", Placement::TopLevel),
            Journal::none(),
        )
        .await
        .unwrap();
    let members = members(store, &f, "Member ", 12).await;
    let first = store
        .change(f.tenant, PathOf::from(path), append(members[0], "First"))
        .await
        .unwrap()
        .record
        .unwrap();
    let records = stored_path(store, f.tenant, path).await;
    assert_consistent(&records);
    assert_eq!(records.last(), Some(&first));
    let first = first.id;

    // Eight writers at once on one path: all land, numbering stays consistent.
    let writers = members[1..9]
        .iter()
        .enumerate()
        .map(|(i, m)| store.change(f.tenant, PathOf::from(path), append(*m, &format!("Concurrent {i}"))));
    for result in futures::future::join_all(writers).await {
        result.unwrap();
    }
    let records = stored_path(store, f.tenant, path).await;
    assert_eq!(records.len(), 1 + 9, "one section and nine entries: {records:?}");
    assert_consistent(&records);

    // A refused change writes nothing, even after it changed the loaded path.
    let ghost = members[9];
    let refused = one(move |path, id| {
        path.append_to_last_section(id, ghost, ActivityKind::Scorm, "Ghost".into(), now())
            .map_err(CurriculumErrors::from)?;
        Err(CurriculumErrors(vec![CurriculumError::invalid(
            "name",
            "is refused by the test",
        )]))
    });
    assert!(matches!(
        store.change(f.tenant, PathOf::from(path), refused).await,
        Err(ChangeError::Refused(_))
    ));
    assert_eq!(stored_path(store, f.tenant, path).await, records);
    // The same activity twice in one path is refused.
    assert!(matches!(
        store
            .change(f.tenant, PathOf::from(path), append(members[0], "Again"))
            .await,
        Err(ChangeError::Refused(_))
    ));

    // Moving the first entry last renumbers every row.
    let last = records.last().unwrap().id;
    let moved = one(move |path, _| {
        path.move_record(first, last, curriculum::Orientation::Below, now())?;
        Ok(Some(first))
    });
    let moved = store.change(f.tenant, PathOf::from(path), moved).await.unwrap();
    let after = stored_path(store, f.tenant, path).await;
    assert_consistent(&after);
    assert_eq!(after.last(), moved.record.as_ref());
    assert_eq!(after.last().unwrap().id, first);
    assert_eq!(stored_path(store, f.tenant, path).await, after);
    assert_eq!(store.record(f.tenant, first).await.unwrap().as_ref(), after.last());

    // A second section; destroying the first takes its entries with it.
    let input = curriculum::RecordInput {
        curriculum_id: curriculum::Patch::Value(path),
        name: curriculum::Patch::Value("Second".to_owned()),
        control_mode: curriculum::Patch::Value(curriculum::ControlMode::Flow),
        ..curriculum::RecordInput::default()
    };
    let section = one(move |path, id| Ok(Some(path.create_section(id, &input, now())?.id)));
    let second = store
        .change(f.tenant, PathOf::from(path), section)
        .await
        .unwrap()
        .record
        .map(|r| r.id);
    store
        .change(f.tenant, PathOf::from(path), append(members[10], "In second"))
        .await
        .unwrap();
    let first_section = after[0].id;
    let destroy = one(move |path, _| {
        path.destroy(first_section, now())?;
        Ok(None)
    });
    assert_eq!(
        store
            .change(f.tenant, PathOf::from(path), destroy)
            .await
            .unwrap()
            .record,
        None
    );
    let left = stored_path(store, f.tenant, path).await;
    assert_consistent(&left);
    assert_eq!(left.len(), 2, "{left:?}");
    assert_eq!(left[0].id, second.unwrap());
    assert!(
        store.record(f.tenant, first).await.unwrap().is_none(),
        "entries go with their section"
    );
    assert_eq!(stored_path(store, f.tenant, path).await, left);

    // Another tenant sees nothing of it and cannot change it.
    let other = fixture(store, "Other paths").await;
    assert!(store.record(other.tenant, first_section).await.unwrap().is_none());
    assert!(store.record(other.tenant, left[0].id).await.unwrap().is_none());
    assert!(stored_path(store, other.tenant, path).await.is_empty());
    let everything = store
        .list_records(other.tenant, &RecordFilter::default(), Slice::ALL)
        .await
        .unwrap();
    assert!(everything.items.is_empty() && everything.total == 0, "{everything:?}");
    assert!(store.curriculum(other.tenant, path).await.unwrap().is_none());
    assert!(matches!(
        store
            .change(other.tenant, PathOf::from(path), append(members[11], "Intruder"))
            .await,
        Err(ChangeError::PathNotFound(_))
    ));
    // Two paths placed in each other at once (as the upload API may): neither waits on the
    // other's lock for its foreign-key checks, so both land.
    let a = store
        .create_activity(
            new_activity(&f, ActivityKind::Course, "Path A", Placement::TopLevel),
            Journal::none(),
        )
        .await
        .unwrap();
    let b = store
        .create_activity(
            new_activity(&f, ActivityKind::Course, "Path B", Placement::TopLevel),
            Journal::none(),
        )
        .await
        .unwrap();
    let nest = |inner: ActivityId| -> PathWrite {
        one(move |path, id| {
            let entry = path
                .append_to_last_section(id, inner, ActivityKind::Course, "Nested".into(), now())
                .map_err(CurriculumErrors::from)?;
            Ok(Some(entry.id))
        })
    };
    for _ in 0..5 {
        let (x, y) = tokio::join!(
            store.change(f.tenant, PathOf::from(a), nest(b)),
            store.change(f.tenant, PathOf::from(b), nest(a))
        );
        assert!(x.is_ok() || matches!(x, Err(ChangeError::Refused(_))), "{x:?}");
        assert!(y.is_ok() || matches!(y, Err(ChangeError::Refused(_))), "{y:?}");
    }
    assert!(
        stored_path(store, f.tenant, a)
            .await
            .iter()
            .any(|r| r.course_id == Some(b))
    );
    assert!(
        stored_path(store, f.tenant, b)
            .await
            .iter()
            .any(|r| r.course_id == Some(a))
    );

    // A SCORM activity is not a path.
    assert!(matches!(
        store
            .change(f.tenant, PathOf::from(members[11]), append(members[10], "Not a path"))
            .await,
        Err(ChangeError::PathNotFound(_))
    ));
    assert_eq!(stored_path(store, f.tenant, path).await, left);
}

/// Two handles on one database (two instances of the service) never act on a stale copy of
/// a path, whatever either keeps in memory.
pub async fn instances_share_paths<S>(a: &S, b: &S)
where
    S: TenantDirectory + ActivityRepository + CurriculumRepository + ?Sized,
{
    let f = fixture(a, "Two instances").await;
    let path = a
        .create_activity(
            new_activity(&f, ActivityKind::Course, "Shared", Placement::TopLevel),
            Journal::none(),
        )
        .await
        .unwrap();
    let members = members(a, &f, "Shared member ", 6).await;
    for (i, member) in members.iter().enumerate() {
        let (writer, reader) = if i % 2 == 0 { (a, b) } else { (b, a) };
        writer
            .change(f.tenant, PathOf::from(path), append(*member, &format!("E{i}")))
            .await
            .unwrap();
        // The writer's own cached copy is current too.
        let written = writer.curriculum(f.tenant, path).await.unwrap().unwrap();
        assert_consistent(&written);
        assert_eq!(written.len(), i + 2);
        assert_eq!(reader.curriculum(f.tenant, path).await.unwrap().unwrap(), written);
    }
    // An upload placed under the path by one instance is seen by the other's next change.
    let placed = b
        .create_activity(
            new_activity(&f, ActivityKind::Scorm, "Placed", Placement::Under(path)),
            Journal::none(),
        )
        .await
        .unwrap();
    a.change(f.tenant, PathOf::from(path), one(|_, _| Ok(None)))
        .await
        .unwrap();
    let records = stored_path(a, f.tenant, path).await;
    assert!(records.iter().any(|r| r.course_id == Some(placed)), "{records:?}");
    assert_consistent(&records);
}

/// Every check of the suite, on one store.
pub async fn run_all<S>(store: &S)
where
    S: TenantDirectory + ActivityRepository + CurriculumRepository + ?Sized,
{
    TenantDirectory::ping(store)
        .await
        .expect("ping answers on a healthy store");
    directory_round_trips(store).await;
    courses_get_curricula_and_placements(store).await;
    refused_creations_store_nothing(store).await;
    language_versions_are_unique(store).await;
    package_revisions(store).await;
    curricula_change_atomically(store).await;
    random_moves_are_stored_exactly(store).await;
    every_list_matches_each_read(store).await;
    lists_filter_order_and_page_in_the_store(store).await;
    paths_have_versions_and_whole_tree_writes(store).await;
}

/// A path's version: read with the path, unchanged by a write that changes nothing, grown by
/// one that changes something; a write conditioned on another version writes nothing; a write
/// handed many fresh ids gets distinct ones never given before; `course_refs` finds the
/// tenant's activities only.
pub async fn paths_have_versions_and_whole_tree_writes<S>(store: &S)
where
    S: TenantDirectory + ActivityRepository + CurriculumRepository + ?Sized,
{
    use curriculum::{Patch, RecordInput, SectionInput, TreeInput};
    let f = fixture(store, "Versions").await;
    let path = store
        .create_activity(
            new_activity(&f, ActivityKind::Course, "Versioned", Placement::TopLevel),
            Journal::none(),
        )
        .await
        .unwrap();
    let members = members(store, &f, "Versioned member ", 30).await;
    let (loaded, v1) = store.path(f.tenant, path).await.unwrap().expect("the path reads");
    assert_eq!(loaded.records(), stored_path(store, f.tenant, path).await);
    assert!(store.path(f.tenant, members[0]).await.unwrap().is_none(), "not a path");
    let other = fixture(store, "Versions, other").await;
    assert!(
        store.path(other.tenant, path).await.unwrap().is_none(),
        "another tenant's"
    );

    let noop = store
        .change(f.tenant, PathOf::from(path), one(|_, _| Ok(None)))
        .await
        .unwrap();
    assert_eq!(noop.version, v1, "a write that changes nothing keeps the version");
    let stale = store
        .change(
            f.tenant,
            PathOf::from(path),
            append(members[0], "Stale").if_match(Some(vec![
                PathTag {
                    path,
                    version: PathVersion(v1.0 + 7),
                },
                PathTag {
                    path: members[0],
                    version: v1,
                },
            ])),
        )
        .await;
    assert!(
        matches!(stale, Err(ChangeError::VersionMismatch { current }) if current == PathTag { path, version: v1 }),
        "{stale:?}"
    );
    assert_eq!(
        stored_path(store, f.tenant, path).await,
        loaded.records(),
        "nothing written"
    );
    let written = store
        .change(
            f.tenant,
            PathOf::from(path),
            append(members[0], "Fresh").if_match(Some(vec![PathTag { path, version: v1 }])),
        )
        .await
        .unwrap();
    assert!(written.version > v1, "{written:?}");
    assert_eq!(written.path, path);
    assert_eq!(store.path(f.tenant, path).await.unwrap().unwrap().1, written.version);

    // A write through one of the path's records finds the path (and locks it) itself.
    let fresh = written.record.clone().expect("the appended entry");
    let rename = |name: &'static str| {
        PathWrite::new(
            0,
            Box::new(move |p: &mut Curriculum, _: &[RecordId]| {
                let input = RecordInput {
                    name: Patch::Value(name.into()),
                    ..RecordInput::default()
                };
                p.update(fresh.id, &input, Utc::now()).map(|r| Some(r.id))
            }),
        )
    };
    let renamed = store
        .change(f.tenant, PathOf::Holding(fresh.id), rename("Renamed"))
        .await
        .unwrap();
    assert_eq!(
        (renamed.path, renamed.version),
        (path, PathVersion(written.version.0 + 1))
    );
    assert_eq!(renamed.record.as_ref().map(|r| r.name.as_str()), Some("Renamed"));
    for (tenant, record) in [(other.tenant, fresh.id), (f.tenant, RecordId(i64::MAX - 1))] {
        let refused = store.change(tenant, PathOf::Holding(record), rename("Intruder")).await;
        assert!(
            matches!(&refused, Err(ChangeError::Refused(e)) if e.is_not_found()),
            "another tenant's record, or none: {refused:?}"
        );
    }
    let written = renamed;

    // A whole tree with 30 new entries and a new section: distinct fresh ids, one version step.
    let refs = store.course_refs(f.tenant, &members).await.unwrap();
    assert_eq!(refs.len(), members.len());
    assert!(store.course_refs(other.tenant, &members).await.unwrap().is_empty());
    let courses: std::collections::HashMap<ActivityId, curriculum::CourseRef> =
        refs.into_iter().map(|c| (c.id, c)).collect();
    let entry = |c: &ActivityId| RecordInput {
        course_id: Patch::Value(*c),
        ..RecordInput::default()
    };
    let tree = TreeInput {
        sections: vec![
            SectionInput {
                attributes: RecordInput {
                    name: Patch::Value("Second half".into()),
                    ..RecordInput::default()
                },
                entries: members[15..].iter().map(entry).collect(),
            },
            SectionInput {
                attributes: RecordInput {
                    name: Patch::Value("First half".into()),
                    ..RecordInput::default()
                },
                entries: members[..15].iter().map(entry).collect(),
            },
        ],
    };
    let before_ids: Vec<RecordId> = stored_path(store, f.tenant, path).await.iter().map(|r| r.id).collect();
    let synced = store
        .change(
            f.tenant,
            PathOf::from(path),
            sync_write(tree, courses).if_match(Some(vec![PathTag {
                path,
                version: written.version,
            }])),
        )
        .await
        .unwrap();
    assert!(synced.version > written.version);
    let after = stored_path(store, f.tenant, path).await;
    assert_consistent(&after);
    assert_eq!(after.len(), 32, "{after:?}");
    assert_eq!(after[0].name, "Second half");
    let kept = after.iter().find(|r| r.course_id == Some(members[0])).unwrap();
    let was_entry = before_ids.contains(&kept.id);
    assert!(
        was_entry,
        "the entry of members[0] is matched by course_id, not created again"
    );
    let mut ids: Vec<RecordId> = after.iter().map(|r| r.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 32, "distinct ids");
    assert!(
        after
            .iter()
            .filter(|r| !before_ids.contains(&r.id))
            .all(|r| r.id > *before_ids.iter().max().unwrap()),
        "fresh ids are above every id given before"
    );

    // 9,500 new sections in one write (more values than one statement may bind on either
    // database), then all of them but one destroyed in one write.
    let big = TreeInput {
        sections: (0..9_500)
            .map(|i| SectionInput {
                attributes: RecordInput {
                    name: Patch::Value(format!("Section {i}")),
                    ..RecordInput::default()
                },
                entries: Vec::new(),
            })
            .collect(),
    };
    store
        .change(f.tenant, PathOf::from(path), sync_write(big, Default::default()))
        .await
        .unwrap();
    let many = stored_path(store, f.tenant, path).await;
    assert_eq!(many.len(), 9_500);
    assert_consistent(&many);
    let small = TreeInput {
        sections: vec![SectionInput {
            attributes: RecordInput {
                id: Patch::Value(many[0].id),
                ..RecordInput::default()
            },
            entries: Vec::new(),
        }],
    };
    store
        .change(f.tenant, PathOf::from(path), sync_write(small, Default::default()))
        .await
        .unwrap();
    assert_eq!(stored_path(store, f.tenant, path).await.len(), 1);
}

/// Random moves, renames, new sections, new entries and destroys in a path that starts with
/// 4 sections and 40 entries: after each, the stored records are exactly the domain's
/// numbering of the same operations (every shape of write the adapters make: one shifted
/// block, a block and a few rows, many ranges, changed rows that also moved, deletes and
/// inserts beside a shift). Every id comes from the store.
pub async fn random_moves_are_stored_exactly<S>(store: &S)
where
    S: TenantDirectory + ActivityRepository + CurriculumRepository + ?Sized,
{
    use curriculum::{Curriculum, Orientation, RecordInput};
    let f = fixture(store, "Random moves").await;
    let path = store
        .create_activity(
            new_activity(&f, ActivityKind::Course, "Moves", Placement::TopLevel),
            Journal::none(),
        )
        .await
        .unwrap();
    let mut members = members(store, &f, "Moved ", 60).await;
    let section = |name: String| RecordInput {
        name: curriculum::Patch::Value(name),
        ..RecordInput::default()
    };
    // Each write takes its time a second after the last, so changed records are stamped.
    let mut clock = 0;
    let mut tick = move || {
        clock += 1;
        now() + chrono::Duration::seconds(clock)
    };
    for (i, member) in members.iter().take(40).enumerate() {
        if i % 10 == 0 && i > 0 {
            let input = section(format!("Section {}", i / 10 + 1));
            let at = tick();
            let created = one(move |path, id| Ok(Some(path.create_section(id, &input, at)?.id)));
            store.change(f.tenant, PathOf::from(path), created).await.unwrap();
        }
        store
            .change(f.tenant, PathOf::from(path), append(*member, &format!("Entry {i}")))
            .await
            .unwrap();
    }
    let stored = stored_path(store, f.tenant, path).await;
    assert_eq!(stored.len(), 44, "{stored:?}");
    let mut mirror = Curriculum::from_records(path, f.tenant, stored).unwrap();
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        usize::try_from(seed % n as u64).unwrap()
    };
    let mut spare = members.split_off(40);
    let mut applied = 0;
    for step in 0..200 {
        let ids: Vec<RecordId> = mirror.records().iter().map(|r| r.id).collect();
        let (id, target) = (ids[next(ids.len())], ids[next(ids.len())]);
        let at = tick();
        let what = match next(10) {
            // A new section or entry: the store gives the id, the mirror takes the same.
            0 => {
                let input = section(format!("New {step}"));
                let created = one(move |path, id| Ok(Some(path.create_section(id, &input, at)?.id)));
                let record = store
                    .change(f.tenant, PathOf::from(path), created)
                    .await
                    .unwrap()
                    .record
                    .unwrap();
                mirror
                    .create_section(record.id, &section(format!("New {step}")), at)
                    .unwrap();
                "create section"
            }
            1 if !spare.is_empty() => {
                let member = spare.pop().unwrap();
                let record = store
                    .change(f.tenant, PathOf::from(path), append(member, &format!("Late {step}")))
                    .await
                    .unwrap()
                    .record
                    .unwrap();
                mirror
                    .append_to_last_section(record.id, member, ActivityKind::Scorm, format!("Late {step}"), now())
                    .unwrap();
                "append"
            }
            2 => {
                if mirror.destroy(id, at).is_err() {
                    continue;
                }
                let destroy = one(move |path, _| path.destroy(id, at).map(|_| None));
                store.change(f.tenant, PathOf::from(path), destroy).await.unwrap();
                "destroy"
            }
            3 => {
                let input = section(format!("Renamed {step}"));
                if mirror.update(id, &input, at).is_err() {
                    continue;
                }
                let update = one(move |path, _| path.update(id, &input, at).map(|r| Some(r.id)));
                store.change(f.tenant, PathOf::from(path), update).await.unwrap();
                "rename"
            }
            _ => {
                let orientation = [Orientation::Above, Orientation::Below][next(2)];
                if mirror.move_record(id, target, orientation, at).is_err() {
                    continue;
                }
                let change = one(move |path, _| path.move_record(id, target, orientation, at).map(|()| None));
                store.change(f.tenant, PathOf::from(path), change).await.unwrap();
                "move"
            }
        };
        applied += 1;
        let stored = stored_path(store, f.tenant, path).await;
        assert_eq!(stored, mirror.records(), "after step {step} ({what} {id})");
    }
    assert!(applied > 100, "{applied} operations applied");
}

/// A tenant's unfiltered list of activities is exactly its activities read one by one, in id
/// order (versions, organisations and all), for every tenant the suite created: each listed
/// one reads the same, and every id up to the highest listed reads as an activity of the
/// tenant exactly when the tenant's list holds it.
pub async fn every_list_matches_each_read<S: TenantDirectory + ActivityRepository + ?Sized>(store: &S) {
    let mut lists = Vec::new();
    for tenant in store.tenants().await.unwrap() {
        lists.push((tenant.id, all_activities(store, tenant.id).await));
    }
    let highest = lists
        .iter()
        .flat_map(|(_, all)| all.iter().map(|a| a.id.0))
        .max()
        .unwrap_or(0);
    let mut seen = 0;
    for (tenant, all) in &lists {
        let ids: Vec<ActivityId> = all.iter().map(|a| a.id).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        assert_eq!(ids, sorted);
        for activity in all {
            let one = store.activity(*tenant, activity.id).await.unwrap();
            assert_eq!(one.as_ref(), Some(activity));
            seen += activity.versions.len();
        }
        for id in (1..=highest + 1).map(ActivityId) {
            let read = store.activity(*tenant, id).await.unwrap().is_some();
            assert_eq!(read, ids.contains(&id), "activity {id} of tenant {tenant}");
        }
    }
    assert!(seen > 5, "the suite's activities were listed ({seen} versions)");
}

/// Package revisions: numbered from 1, the current one in the version, earlier ones rolled
/// back to, identical packages ignored, the oldest dropped beyond the count, every kept
/// prefix referenced, concurrent replacements numbered apart, refusals store nothing.
pub async fn package_revisions<S: TenantDirectory + ActivityRepository + ?Sized>(store: &S) {
    let f = fixture(store, "Revisions").await;
    let id = store
        .create_activity(
            new_activity(&f, ActivityKind::Scorm, "rev", Placement::TopLevel),
            Journal::none(),
        )
        .await
        .unwrap();
    let en = code("en-GB");
    let first = store.revisions(f.tenant, id).await.unwrap();
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!((first[0].number, first[0].api_key), (1, Some(ApiKeyId(5))));
    let package = |n: u32| {
        let mut content = scorm(&format!("packages/{}/rev-{n}", f.tenant));
        content.package_sha256 = format!("{n:064x}");
        content.launch_href = format!("page{n}.html");
        content
    };
    // Every change below happens at `now()`; `protected_since` decides whether the revisions
    // superseded then are still protected.
    let later = now() + chrono::Duration::seconds(1);
    let replace = |n: u32, keep: u32, protected_since| NewRevision {
        tenant: f.tenant,
        activity: id,
        language: en.clone(),
        content: package(n),
        api_key: ApiKeyId(6),
        keep,
        protected_since,
        now: now(),
    };
    assert_eq!(
        store
            .add_revision(replace(2, 10, now()), Journal::none())
            .await
            .unwrap(),
        RevisionOutcome::Changed {
            revision: 2,
            previous: 1,
            dropped: vec![]
        }
    );
    let version = |a: Activity| a.versions.into_iter().next().unwrap();
    let current = version(store.activity(f.tenant, id).await.unwrap().unwrap());
    assert_eq!(current.revision, Some(2));
    assert_eq!(current.scorm.as_ref().unwrap().launch_href, "page2.html");
    // The same bytes again: nothing stored.
    assert_eq!(
        store
            .add_revision(replace(2, 10, now()), Journal::none())
            .await
            .unwrap(),
        RevisionOutcome::Unchanged { revision: 2 }
    );
    // Back to 1, then to 1 again (unchanged).
    assert_eq!(
        store
            .rollback(f.tenant, id, &en, 1, now(), Journal::none())
            .await
            .unwrap(),
        RevisionOutcome::Changed {
            revision: 1,
            previous: 2,
            dropped: vec![]
        }
    );
    let current = version(store.activity(f.tenant, id).await.unwrap().unwrap());
    assert_eq!(current.revision, Some(1));
    assert_eq!(current.scorm.unwrap(), scorm(&format!("packages/{}/rev", f.tenant)));
    assert_eq!(
        store
            .rollback(f.tenant, id, &en, 1, now(), Journal::none())
            .await
            .unwrap(),
        RevisionOutcome::Unchanged { revision: 1 }
    );
    let numbers = || async {
        store
            .revisions(f.tenant, id)
            .await
            .unwrap()
            .iter()
            .map(|r| r.number)
            .collect::<Vec<u32>>()
    };
    // Keeping 2, but 1 and 2 were superseded within the protection: nothing is dropped.
    assert_eq!(
        store.add_revision(replace(3, 2, now()), Journal::none()).await.unwrap(),
        RevisionOutcome::Changed {
            revision: 3,
            previous: 1,
            dropped: vec![]
        }
    );
    assert_eq!(numbers().await, vec![1, 2, 3]);
    // Once their protection has passed, the oldest go with their folders.
    assert_eq!(
        store.add_revision(replace(4, 2, later), Journal::none()).await.unwrap(),
        RevisionOutcome::Changed {
            revision: 4,
            previous: 3,
            dropped: vec![
                format!("packages/{}/rev", f.tenant),
                format!("packages/{}/rev-2", f.tenant)
            ]
        }
    );
    assert_eq!(numbers().await, vec![3, 4]);
    let prefixes = store.storage_prefixes().await.unwrap();
    for (kept, prefix) in [(false, "rev"), (false, "rev-2"), (true, "rev-3"), (true, "rev-4")] {
        let prefix = format!("packages/{}/{prefix}", f.tenant);
        assert_eq!(prefixes.contains(&prefix), kept, "{prefix} in {prefixes:?}");
    }
    match store.rollback(f.tenant, id, &en, 2, now(), Journal::none()).await {
        Err(RevisionError::RevisionNotFound { revision: 2, kept }) => assert_eq!(kept, vec![3, 4]),
        other => panic!("{other:?}"),
    }
    // Two replacements at once get distinct numbers.
    let (a, b) = tokio::join!(
        store.add_revision(replace(5, 10, now()), Journal::none()),
        store.add_revision(replace(6, 10, now()), Journal::none())
    );
    let mut got: Vec<u32> = [a.unwrap(), b.unwrap()]
        .into_iter()
        .map(|o| match o {
            RevisionOutcome::Changed { revision, .. } => revision,
            RevisionOutcome::Unchanged { revision } => panic!("unchanged {revision}"),
        })
        .collect();
    got.sort_unstable();
    assert_eq!(got, vec![5, 6]);
    // Refusals: another tenant's activity, a course, a missing language, a missing revision.
    let other = fixture(store, "Revisions elsewhere").await;
    let mut foreign = replace(7, 10, now());
    foreign.tenant = other.tenant;
    assert!(matches!(
        store.add_revision(foreign, Journal::none()).await,
        Err(RevisionError::ActivityNotFound(_))
    ));
    let course = store
        .create_activity(
            new_activity(&f, ActivityKind::Course, "rev course", Placement::TopLevel),
            Journal::none(),
        )
        .await
        .unwrap();
    let mut on_course = replace(7, 10, now());
    on_course.activity = course;
    assert!(matches!(
        store.add_revision(on_course, Journal::none()).await,
        Err(RevisionError::NotScorm(_))
    ));
    let mut danish = replace(7, 10, now());
    danish.language = code("da-DK");
    assert!(matches!(
        store.add_revision(danish, Journal::none()).await,
        Err(RevisionError::NoVersion { .. })
    ));
    assert!(store.revisions(other.tenant, id).await.unwrap().is_empty());
    assert!(store.revisions(f.tenant, course).await.unwrap().is_empty());
    let after: Vec<u32> = store
        .revisions(f.tenant, id)
        .await
        .unwrap()
        .iter()
        .map(|r| r.number)
        .collect();
    assert_eq!(after, vec![3, 4, 5, 6], "refusals stored nothing");
}

/// The slices of every List a set of filters asks for (`list_records`, `list_activities`) are
/// exactly the reference meaning of the filter (`matches`) applied to everything the tenant
/// has, in the List's order, with the total of all matches — for every tenant the suite
/// created, after all its writes (so the tenant's kept count follows creations and destroys).
pub async fn lists_filter_order_and_page_in_the_store<S>(store: &S)
where
    S: TenantDirectory + ActivityRepository + CurriculumRepository + ?Sized,
{
    let slices = [Slice::ALL, Slice::page(1, 3), Slice::page(2, 3), Slice::page(1_000, 3)];
    let mut checked = 0;
    for tenant in store.tenants().await.unwrap() {
        // What the tenant has, read apart from the Lists under test: its activities (held to
        // their one-by-one reads by `every_list_matches_each_read`) and its paths' records.
        let activities = all_activities(store, tenant.id).await;
        let mut records = Vec::new();
        for path in activities.iter().filter(|a| a.kind == ActivityKind::Course) {
            records.extend(store.curriculum(tenant.id, path.id).await.unwrap().unwrap());
        }
        let path_of = |r: &CurriculumRecord| activities.iter().find(|a| a.id == r.curriculum_id);

        let mut record_filters = vec![RecordFilter::default()];
        let some = |i: usize| records.get(i % records.len().max(1));
        for i in [0, 1, records.len() / 2, records.len().saturating_sub(1)] {
            let Some(r) = some(i) else { continue };
            record_filters.extend([
                RecordFilter {
                    id: Some(r.id),
                    ..Default::default()
                },
                RecordFilter {
                    name: Some(r.name.clone()),
                    ..Default::default()
                },
                RecordFilter {
                    curriculum_id: Some(r.curriculum_id),
                    ..Default::default()
                },
                RecordFilter {
                    lft: Some(r.lft),
                    rgt: Some(r.rgt),
                    ..Default::default()
                },
                RecordFilter {
                    parent_id: Some(r.parent_id.map_or(Nullable::Null, Nullable::Is)),
                    ..Default::default()
                },
                RecordFilter {
                    course_id: Some(r.course_id.map_or(Nullable::Null, Nullable::Is)),
                    ..Default::default()
                },
                RecordFilter {
                    updated_by: Some(r.updated_by.map_or(Nullable::Null, Nullable::Is)),
                    initial_view: Some(r.initial_view.map_or(Nullable::Null, Nullable::Is)),
                    ..Default::default()
                },
                RecordFilter {
                    updated_on: Some(TimeRange {
                        from: r.updated_on,
                        to: r.updated_on,
                    }),
                    ..Default::default()
                },
                RecordFilter {
                    lock_until: Some(Nullable::Null),
                    updated_on: Some(TimeRange {
                        from: r.updated_on - chrono::Duration::days(1),
                        to: r.updated_on + chrono::Duration::days(400),
                    }),
                    ..Default::default()
                },
                RecordFilter {
                    course: ActivityFilter {
                        id: Some(r.curriculum_id),
                        ..Default::default()
                    },
                    ..Default::default()
                },
            ]);
        }
        for a in activities.iter().take(3) {
            record_filters.push(RecordFilter {
                course: ActivityFilter {
                    name: Some(a.name.as_str().to_owned()),
                    kind: Some(ActivityKind::Course),
                    in_catalog: Some(a.in_catalog),
                    parent_id: Some(Nullable::Null),
                    ..Default::default()
                },
                ..Default::default()
            });
        }
        for filter in &record_filters {
            let matching: Vec<CurriculumRecord> = records
                .iter()
                .filter(|r| filter.matches(r))
                .filter(|r| filter.course.is_empty() || path_of(r).is_some_and(|p| filter.course.matches(p)))
                .cloned()
                .collect();
            for slice in slices {
                let listed = store.list_records(tenant.id, filter, slice).await.unwrap();
                assert_eq!(listed.total, matching.len() as u64, "total of {filter:?}");
                assert_eq!(listed.items, slice.of(matching.clone()), "{filter:?} {slice:?}");
                checked += 1;
            }
        }

        let mut activity_filters = vec![ActivityFilter::default()];
        for a in activities.iter().take(4) {
            activity_filters.extend([
                ActivityFilter {
                    id: Some(a.id),
                    ..Default::default()
                },
                ActivityFilter {
                    name: Some(a.name.as_str().to_owned()),
                    ..Default::default()
                },
                ActivityFilter {
                    kind: Some(a.kind),
                    in_catalog: Some(a.in_catalog),
                    ..Default::default()
                },
                ActivityFilter {
                    parent_id: Some(a.parent.map_or(Nullable::Null, Nullable::Is)),
                    ..Default::default()
                },
            ]);
        }
        for filter in &activity_filters {
            let matching: Vec<Activity> = activities.iter().filter(|a| filter.matches(a)).cloned().collect();
            for slice in slices {
                let listed = store.list_activities(tenant.id, filter, slice).await.unwrap();
                assert_eq!(listed.total, matching.len() as u64, "total of {filter:?}");
                assert_eq!(listed.items, slice.of(matching.clone()), "{filter:?} {slice:?}");
                checked += 1;
            }
        }
    }
    assert!(checked > 100, "{checked} slices checked");
}
