//! Upload use cases against mocks and fakes of the ports: every rule of the Activity Upload API
//! text, and that a failure at any step leaves no file and no record behind.

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, TimeZone, Utc};
use curricula_domain::*;
use curricula_ports::*;
use curricula_service::{
    Actor, AddLanguage, Caller, CreateActivity, IngestSettings, Package, PackageSource, ReadSeek, UploadError,
    UploadService,
};
use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

struct FixedClock;
impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap()
    }
}

/// A blob store in a map, that can be told to fail the n-th put.
#[derive(Default)]
struct MapBlobs {
    objects: Mutex<BTreeMap<String, Vec<u8>>>,
    fail_put_number: Option<usize>,
    puts: AtomicUsize,
}

#[async_trait]
impl BlobStore for MapBlobs {
    fn put_blocking(&self, key: &BlobKey, contents: &mut dyn Read, _: &str) -> Result<u64, BlobError> {
        let n = self.puts.fetch_add(1, Ordering::SeqCst) + 1;
        let mut data = Vec::new();
        contents.read_to_end(&mut data).map_err(BlobError::Source)?;
        if Some(n) == self.fail_put_number {
            return Err(BlobError::Backend("disk full".into()));
        }
        let len = data.len() as u64;
        self.objects.lock().unwrap().insert(key.to_string(), data);
        Ok(len)
    }
    async fn put(&self, key: &BlobKey, bytes: Bytes, _: &str) -> Result<(), BlobError> {
        self.objects.lock().unwrap().insert(key.to_string(), bytes.to_vec());
        Ok(())
    }
    async fn get(&self, key: &BlobKey) -> Result<Bytes, BlobError> {
        let objects = self.objects.lock().unwrap();
        objects
            .get(key.as_str())
            .map(|v| Bytes::from(v.clone()))
            .ok_or_else(|| BlobError::NotFound(key.to_string()))
    }
    async fn head(&self, key: &BlobKey) -> Result<BlobInfo, BlobError> {
        let objects = self.objects.lock().unwrap();
        let v = objects
            .get(key.as_str())
            .ok_or_else(|| BlobError::NotFound(key.to_string()))?;
        Ok(BlobInfo {
            size: v.len() as u64,
            modified: Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap(),
            version: None,
        })
    }
    async fn get_stream(&self, key: &BlobKey, range: Option<Range<u64>>) -> Result<BlobStream, BlobError> {
        let all = self.get(key).await?;
        let part = match range {
            Some(r) => all.slice(r.start as usize..r.end as usize),
            None => all,
        };
        Ok(Box::pin(futures::stream::once(async move { Ok(part) })))
    }
    async fn list(&self, prefix: &BlobKey) -> Result<Vec<BlobMeta>, BlobError> {
        let start = format!("{prefix}/");
        let objects = self.objects.lock().unwrap();
        Ok(objects
            .iter()
            .filter(|(k, _)| k.starts_with(&start))
            .map(|(k, v)| BlobMeta {
                key: BlobKey::new(k.clone()).unwrap(),
                size: v.len() as u64,
                modified: Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap(),
            })
            .collect())
    }
    async fn delete_prefix(&self, prefix: &BlobKey) -> Result<usize, BlobError> {
        let start = format!("{prefix}/");
        let mut objects = self.objects.lock().unwrap();
        let before = objects.len();
        objects.retain(|k, _| !k.starts_with(&start));
        Ok(before - objects.len())
    }
}

struct InMemoryPackage(Vec<u8>);
impl PackageSource for InMemoryPackage {
    fn open(&self) -> std::io::Result<Box<dyn ReadSeek>> {
        Ok(Box::new(Cursor::new(self.0.clone())))
    }
}

fn zip_of(files: &[(&str, &str)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, body) in files {
        writer
            .start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        writer.write_all(body.as_bytes()).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

const MANIFEST: &str = r#"<?xml version="1.0"?>
<manifest identifier="m" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="o"><organization identifier="o"><title>Safety first</title>
    <item identifier="i" identifierref="r"><title>One</title><adlcp:masteryscore>80</adlcp:masteryscore></item>
  </organization></organizations>
  <resources><resource identifier="r" type="webcontent" adlcp:scormtype="sco" href="index.html"><file href="index.html"/></resource></resources>
</manifest>"#;

fn package(bytes: Vec<u8>) -> Package {
    Package {
        size: bytes.len() as u64,
        sha256: "00".repeat(32),
        source: Arc::new(InMemoryPackage(bytes)),
    }
}

fn good_package() -> Package {
    package(zip_of(&[
        ("imsmanifest.xml", MANIFEST),
        ("index.html", "<h1>hi</h1>"),
        ("a.js", "1"),
    ]))
}

fn tenant() -> Tenant {
    Tenant {
        id: TenantId(1),
        name: "Istak".into(),
        default_language: LanguageCode::parse("l", "en-GB").unwrap(),
        languages: vec![
            LanguageCode::parse("l", "en-GB").unwrap(),
            LanguageCode::parse("l", "is-IS").unwrap(),
        ],
    }
}

const CALLER: Caller = Caller {
    tenant: TenantId(1),
    key: ApiKeyId(1),
};

fn directory() -> MockTenantDirectory {
    let mut dir = MockTenantDirectory::new();
    dir.expect_tenant().returning(|_| Ok(Some(tenant())));
    dir.expect_user().returning(|t, name| {
        Ok((name == "jon.jonsson").then(|| User {
            id: UserId(5),
            tenant: t,
            username: name.into(),
        }))
    });
    dir.expect_organisations().returning(|t| {
        Ok(vec![Organisation {
            id: OrganisationId(81),
            tenant: t,
            name: "A".into(),
        }])
    });
    dir
}

fn activity(id: i64, kind: ActivityKind) -> Activity {
    let now = FixedClock.now();
    Activity {
        id: ActivityId(id),
        tenant: TenantId(1),
        kind,
        name: Name::parse("name", "x").unwrap(),
        owner: UserId(5),
        organisations: Organisations::All,
        parent: None,
        in_catalog: true,
        created_at: now,
        updated_at: now,
        versions: vec![LanguageVersion {
            id: LanguageVersionId(1),
            language: LanguageCode::parse("l", "en-GB").unwrap(),
            title: Name::parse("name", "x").unwrap(),
            scorm: None,
            revision: None,
            created_at: now,
        }],
    }
}

/// Activity 10 is a course, 11 a SCORM package; nothing else exists.
fn activities() -> MockActivityRepository {
    let mut repo = MockActivityRepository::new();
    repo.expect_activity().returning(|_, id| {
        Ok(match id.0 {
            10 => Some(activity(10, ActivityKind::Course)),
            11 => Some(activity(11, ActivityKind::Scorm)),
            _ => None,
        })
    });
    repo
}

fn service(
    repo: MockActivityRepository,
    blobs: Arc<MapBlobs>,
) -> UploadService<MockTenantDirectory, MockActivityRepository, MapBlobs> {
    UploadService::new(
        Arc::new(directory()),
        Arc::new(repo),
        blobs,
        Arc::new(FixedClock),
        IngestSettings::default(),
    )
}

fn create(kind: ActivityKind, package: Option<Package>) -> CreateActivity {
    CreateActivity {
        external_id: None,
        kind,
        name: Name::parse("name", "HSE").unwrap(),
        user_name: "jon.jonsson".into(),
        organisations: Organisations::All,
        placement: Placement::TopLevel,
        package,
    }
}

#[tokio::test]
async fn scorm_upload_stores_files_and_manifest_data() {
    let mut repo = activities();
    repo.expect_create_activity().times(1).returning(|new, _| {
        let scorm = new.scorm.as_ref().expect("scorm content");
        assert_eq!(scorm.launch_href, "index.html");
        assert_eq!(scorm.scorm_version.as_deref(), Some("1.2"));
        assert_eq!(scorm.title.as_deref(), Some("Safety first"));
        assert_eq!(scorm.mastery_score, Some(80.0));
        assert_eq!(scorm.file_count, 3);
        assert_eq!(
            new.language.as_str(),
            "en-GB",
            "first version in the tenant's default language"
        );
        assert_eq!(new.owner, UserId(5));
        Ok(ActivityId(12))
    });
    let blobs = Arc::new(MapBlobs::default());
    let id = service(repo, blobs.clone())
        .create_activity(&Actor::from(CALLER), create(ActivityKind::Scorm, Some(good_package())))
        .await
        .unwrap();
    assert_eq!(id, ActivityId(12));
    let objects = blobs.objects.lock().unwrap();
    assert_eq!(objects.len(), 3);
    let index = objects.iter().find(|(k, _)| k.ends_with("/index.html")).unwrap();
    assert!(index.0.starts_with("packages/1/"));
    assert_eq!(index.1, b"<h1>hi</h1>");
}

#[tokio::test]
async fn course_ignores_a_file() {
    let mut repo = activities();
    repo.expect_create_activity().times(1).returning(|new, _| {
        assert!(new.scorm.is_none());
        Ok(ActivityId(13))
    });
    let blobs = Arc::new(MapBlobs::default());
    let id = service(repo, blobs.clone())
        .create_activity(&Actor::from(CALLER), create(ActivityKind::Course, Some(good_package())))
        .await
        .unwrap();
    assert_eq!(id, ActivityId(13));
    assert!(blobs.objects.lock().unwrap().is_empty());
}

/// Caller errors found before anything is stored: the repository's create is never called
/// (the mock has no expectation for it) and no file is written.
#[tokio::test]
async fn caller_errors_store_nothing() {
    let cases: Vec<(CreateActivity, &str)> = vec![
        (
            CreateActivity {
                external_id: None,
                user_name: "nobody".into(),
                ..create(ActivityKind::Scorm, Some(good_package()))
            },
            "userName \"nobody\" was not found in your tenant",
        ),
        (
            CreateActivity {
                external_id: None,
                organisations: Organisations::Only(vec![OrganisationId(81), OrganisationId(7), OrganisationId(9)]),
                ..create(ActivityKind::Scorm, Some(good_package()))
            },
            "organisationIds 7,9 not found in your tenant",
        ),
        (
            CreateActivity {
                external_id: None,
                placement: Placement::Under(ActivityId(99)),
                ..create(ActivityKind::Scorm, Some(good_package()))
            },
            "parentActivityId 99 was not found in your tenant",
        ),
        (
            CreateActivity {
                external_id: None,
                placement: Placement::Under(ActivityId(11)),
                ..create(ActivityKind::Course, None)
            },
            "parentActivityId 11 is not a course; a SCORM activity cannot contain other activities",
        ),
        (
            create(ActivityKind::Scorm, None),
            "file is required for a SCORM activity",
        ),
        (
            create(ActivityKind::Scorm, Some(package(b"not a zip at all".to_vec()))),
            "SCORM package refused (not_a_zip)",
        ),
        (
            create(ActivityKind::Scorm, Some(package(zip_of(&[("index.html", "x")])))),
            "SCORM package refused (no_manifest)",
        ),
        (
            create(
                ActivityKind::Scorm,
                Some(package(zip_of(&[("imsmanifest.xml", MANIFEST)]))),
            ),
            "SCORM package refused (launch_file_missing)",
        ),
    ];
    for (request, expected) in cases {
        let blobs = Arc::new(MapBlobs::default());
        let err = service(activities(), blobs.clone())
            .create_activity(&Actor::from(CALLER), request)
            .await
            .unwrap_err();
        assert!(
            err.to_string().starts_with(expected),
            "{err} should start with {expected}"
        );
        assert!(
            blobs.objects.lock().unwrap().is_empty(),
            "{expected}: files left behind"
        );
    }
}

#[tokio::test]
async fn a_failing_blob_store_leaves_no_file_and_no_record() {
    let blobs = Arc::new(MapBlobs {
        fail_put_number: Some(2),
        ..MapBlobs::default()
    });
    let err = service(activities(), blobs.clone())
        .create_activity(&Actor::from(CALLER), create(ActivityKind::Scorm, Some(good_package())))
        .await
        .unwrap_err();
    assert!(matches!(err, UploadError::Storage(_)), "{err:?}");
    assert!(blobs.objects.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_failing_repository_removes_the_stored_files() {
    let mut repo = activities();
    repo.expect_create_activity()
        .times(1)
        .returning(|_, _| Err(CreateActivityError::Store(StoreError::Backend("disk I/O error".into()))));
    let blobs = Arc::new(MapBlobs::default());
    let err = service(repo, blobs.clone())
        .create_activity(&Actor::from(CALLER), create(ActivityKind::Scorm, Some(good_package())))
        .await
        .unwrap_err();
    assert!(matches!(err, UploadError::Store(_)), "{err:?}");
    assert_eq!(blobs.puts.load(Ordering::SeqCst), 3, "the files were stored first");
    assert!(
        blobs.objects.lock().unwrap().is_empty(),
        "and removed after the failure"
    );
}

#[tokio::test]
async fn a_parent_that_changed_meanwhile_is_reported_and_cleaned_up() {
    let mut repo = activities();
    repo.expect_create_activity()
        .times(1)
        .returning(|_, _| Err(CreateActivityError::ParentNotACourse(ActivityId(10))));
    let blobs = Arc::new(MapBlobs::default());
    let request = CreateActivity {
        external_id: None,
        placement: Placement::Under(ActivityId(10)),
        ..create(ActivityKind::Scorm, Some(good_package()))
    };
    let err = service(repo, blobs.clone())
        .create_activity(&Actor::from(CALLER), request)
        .await
        .unwrap_err();
    assert!(matches!(err, UploadError::ParentNotACourse(ActivityId(10))));
    assert!(blobs.objects.lock().unwrap().is_empty());
}

fn add(activity: i64, language: &str, package: Option<Package>) -> AddLanguage {
    AddLanguage {
        activity: ActivityId(activity),
        language: LanguageCode::parse("languageId", language).unwrap(),
        name: Name::parse("name", "HSE kynning").unwrap(),
        package,
    }
}

#[tokio::test]
async fn add_language_rules() {
    let cases = [
        (
            add(99, "is-IS", Some(good_package())),
            "activityId 99 was not found in your tenant",
        ),
        (
            add(11, "da-DK", Some(good_package())),
            "languageId da-DK is not enabled for your tenant",
        ),
        (
            add(11, "en-GB", Some(good_package())),
            "activityId 11 already has a en-GB language version",
        ),
        (add(11, "is-IS", None), "file is required for a SCORM activity"),
    ];
    for (request, expected) in cases {
        let blobs = Arc::new(MapBlobs::default());
        let err = service(activities(), blobs.clone())
            .add_language(&Actor::from(CALLER), request)
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), expected);
        assert!(blobs.objects.lock().unwrap().is_empty());
    }
}

#[tokio::test]
async fn add_language_to_scorm_and_course() {
    let mut repo = activities();
    repo.expect_add_language_version().times(2).returning(|new, _| {
        assert_eq!(new.language.as_str(), "is-IS");
        assert_eq!(new.title.as_str(), "HSE kynning");
        assert_eq!(new.scorm.is_some(), new.activity == ActivityId(11));
        Ok(LanguageVersionId(2))
    });
    let blobs = Arc::new(MapBlobs::default());
    let svc = service(repo, blobs.clone());
    assert_eq!(
        svc.add_language(&Actor::from(CALLER), add(11, "is-IS", Some(good_package())))
            .await
            .unwrap(),
        ActivityId(11)
    );
    assert_eq!(blobs.objects.lock().unwrap().len(), 3);
    // A course needs no file; one sent is ignored.
    assert_eq!(
        svc.add_language(&Actor::from(CALLER), add(10, "is-IS", Some(good_package())))
            .await
            .unwrap(),
        ActivityId(10)
    );
    assert_eq!(blobs.objects.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn a_language_added_by_a_racing_request_is_reported_and_cleaned_up() {
    let mut repo = activities();
    repo.expect_add_language_version().times(1).returning(|new, _| {
        Err(AddLanguageError::LanguageExists {
            activity: new.activity,
            language: new.language,
        })
    });
    let blobs = Arc::new(MapBlobs::default());
    let err = service(repo, blobs.clone())
        .add_language(&Actor::from(CALLER), add(11, "is-IS", Some(good_package())))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "activityId 11 already has a is-IS language version");
    assert!(blobs.objects.lock().unwrap().is_empty());
}

/// Rewrites the declared uncompressed size of `name` in the local header and the central
/// directory, so the header lies about what the data inflates to.
fn lie_about_size(mut bytes: Vec<u8>, name: &str, size: u32) -> Vec<u8> {
    for (sig, size_at, name_len_at, name_at) in [(b"PK\x03\x04", 22, 26, 30), (b"PK\x01\x02", 24, 28, 46)] {
        let mut i = 0;
        while i + name_at < bytes.len() {
            if &bytes[i..i + 4] == sig {
                let len = u16::from_le_bytes([bytes[i + name_len_at], bytes[i + name_len_at + 1]]) as usize;
                if bytes.get(i + name_at..i + name_at + len) == Some(name.as_bytes()) {
                    bytes[i + size_at..i + size_at + 4].copy_from_slice(&size.to_le_bytes());
                }
            }
            i += 1;
        }
    }
    bytes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lying_header_is_refused_and_leaves_no_file() {
    let big = "A".repeat(200_000);
    let honest = zip_of(&[
        ("imsmanifest.xml", MANIFEST),
        ("index.html", "<h1>hi</h1>"),
        ("media.js", &big),
    ]);
    let lying = lie_about_size(honest, "media.js", 1_000);
    let blobs = Arc::new(MapBlobs::default());
    let err = service(activities(), blobs.clone())
        .create_activity(&Actor::from(CALLER), create(ActivityKind::Scorm, Some(package(lying))))
        .await
        .unwrap_err();
    assert!(err.to_string().starts_with("SCORM package refused (zip_bomb)"), "{err}");
    assert!(
        blobs.objects.lock().unwrap().is_empty(),
        "files of the refused package were removed"
    );
}

#[tokio::test]
async fn readiness_names_the_dependency_that_does_not_answer() {
    let mut dir = MockTenantDirectory::new();
    dir.expect_ping()
        .returning(|| Err(StoreError::Unavailable("connection refused".into())));
    let uploads = UploadService::new(
        Arc::new(dir),
        Arc::new(MockActivityRepository::new()),
        Arc::new(MapBlobs::default()),
        Arc::new(FixedClock),
        IngestSettings::default(),
    );
    let readiness = uploads.readiness().await;
    assert!(!readiness.is_ready());
    assert_eq!(readiness.database, Err("the database is unavailable".to_owned()));
    assert_eq!(readiness.blob_store, Ok(()), "the default check lists an empty folder");

    let mut dir = MockTenantDirectory::new();
    dir.expect_ping().returning(|| Ok(()));
    let uploads = UploadService::new(
        Arc::new(dir),
        Arc::new(MockActivityRepository::new()),
        Arc::new(MapBlobs::default()),
        Arc::new(FixedClock),
        IngestSettings::default(),
    );
    assert!(uploads.readiness().await.is_ready());
}
