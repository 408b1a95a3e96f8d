//! Which language version a launch opens, against mocks of the ports.

use chrono::{DateTime, TimeZone, Utc};
use curricula_domain::*;
use curricula_ports::*;
use curricula_service::{Caller, ContentError, ContentSigner, LaunchService, V2Error};
use std::sync::{Arc, Mutex};

struct FixedClock;
impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
    }
}

const CALLER: Caller = Caller {
    tenant: TenantId(1),
    key: ApiKeyId(1),
};

fn code(raw: &str) -> LanguageCode {
    LanguageCode::parse("language", raw).unwrap()
}

fn version(language: &str, folder: &str) -> LanguageVersion {
    LanguageVersion {
        id: LanguageVersionId(1),
        language: code(language),
        title: Name::parse("name", "x").unwrap(),
        scorm: Some(ScormContent {
            scorm_version: Some("1.2".into()),
            title: None,
            description: None,
            launch_href: format!("{language}/index.html?x=1"),
            mastery_score: None,
            completion_threshold: None,
            items: serde_json::Value::Null,
            file_count: 1,
            total_bytes: 1,
            package_sha256: String::new(),
            storage_prefix: format!("packages/1/{folder}"),
        }),
        revision: Some(1),
        created_at: FixedClock.now(),
    }
}

/// The caller's key as the directory has it (`None`: deleted; `Err`: the store is down).
type KeyState = Arc<Mutex<Result<Option<ApiKeyRecord>, ()>>>;

fn usable_key() -> KeyState {
    Arc::new(Mutex::new(Ok(Some(ApiKeyRecord {
        id: CALLER.key,
        tenant: CALLER.tenant,
        origin: None,
        created_at: FixedClock.now(),
        revoked_at: None,
        expires_at: None,
    }))))
}

/// Activity 7 has versions `languages` (in that order); 8 is a course; nothing else exists.
fn service(
    default_language: &str,
    languages: &'static [&'static str],
) -> LaunchService<MockTenantDirectory, MockActivityRepository> {
    service_keyed(default_language, languages, usable_key())
}

/// The same, with the caller's key in `key`.
fn service_keyed(
    default_language: &str,
    languages: &'static [&'static str],
    key: KeyState,
) -> LaunchService<MockTenantDirectory, MockActivityRepository> {
    let default_language = code(default_language);
    let mut directory = MockTenantDirectory::new();
    directory.expect_api_key_by_id().returning(move |id| {
        let state = key.lock().unwrap().clone();
        state
            .map(|k| k.filter(|k| k.id == id))
            .map_err(|()| StoreError::Unavailable("the database is down".into()))
    });
    directory.expect_tenant().returning(move |id| {
        Ok(Some(Tenant {
            id,
            name: "T".into(),
            default_language: default_language.clone(),
            languages: vec![],
        }))
    });
    let mut repo = MockActivityRepository::new();
    repo.expect_activity().returning(move |tenant, id| {
        let kind = match id.0 {
            7 => ActivityKind::Scorm,
            8 => ActivityKind::Course,
            _ => return Ok(None),
        };
        Ok(Some(Activity {
            id,
            tenant,
            kind,
            name: Name::parse("name", "x").unwrap(),
            owner: UserId(1),
            organisations: Organisations::All,
            parent: None,
            in_catalog: true,
            created_at: FixedClock.now(),
            updated_at: FixedClock.now(),
            versions: match kind {
                ActivityKind::Scorm => languages.iter().map(|l| version(l, &format!("f-{l}"))).collect(),
                ActivityKind::Course => vec![],
            },
        }))
    });
    LaunchService::new(
        Arc::new(directory),
        Arc::new(repo),
        ContentSigner::new(b"secret", 600),
        Arc::new(FixedClock),
    )
}

#[tokio::test]
async fn the_default_is_the_tenants_language_when_the_activity_has_it() {
    let launches = service("is-IS", &["en-GB", "is-IS"]);
    let launch = launches.launch(CALLER, ActivityId(7), None).await.unwrap();
    assert_eq!(launch.language, code("is-IS"));
    assert_eq!(launch.launch_href, "is-IS/index.html?x=1");
    assert_eq!(launch.expires_at, FixedClock.now() + chrono::Duration::seconds(600));
    assert_eq!(
        launches.verify(&launch.token).await.unwrap().as_str(),
        "packages/1/f-is-IS"
    );
}

#[tokio::test]
async fn otherwise_the_first_version() {
    let launches = service("de-DE", &["sv-SE", "en-GB"]);
    let launch = launches.launch(CALLER, ActivityId(7), Some("  ")).await.unwrap();
    assert_eq!(launch.language, code("sv-SE"));
    assert_eq!(
        launches.verify(&launch.token).await.unwrap().as_str(),
        "packages/1/f-sv-SE"
    );
}

#[tokio::test]
async fn a_requested_language_is_launched_or_refused() {
    let launches = service("en-GB", &["en-GB", "is-IS"]);
    let launch = launches.launch(CALLER, ActivityId(7), Some("is-IS")).await.unwrap();
    assert_eq!(
        launches.verify(&launch.token).await.unwrap().as_str(),
        "packages/1/f-is-IS"
    );
    match launches.launch(CALLER, ActivityId(7), Some("fr-FR")).await {
        Err(V2Error::Unprocessable(m)) => {
            assert_eq!(
                m,
                vec!["language fr-FR is not a language of activity 7 (it has en-GB, is-IS)"]
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        launches.launch(CALLER, ActivityId(7), Some("not a code")).await,
        Err(V2Error::Unprocessable(_))
    ));
}

#[tokio::test]
async fn courses_and_strangers_cannot_be_launched() {
    let launches = service("en-GB", &["en-GB"]);
    assert!(matches!(
        launches.launch(CALLER, ActivityId(8), None).await,
        Err(V2Error::Unprocessable(_))
    ));
    match launches.launch(CALLER, ActivityId(9), None).await {
        Err(V2Error::NotFound(m)) => assert_eq!(m, "activity 9 not found"),
        other => panic!("{other:?}"),
    }
}

fn change(key: &KeyState, f: impl FnOnce(&mut ApiKeyRecord)) {
    let mut state = key.lock().unwrap();
    f(state.as_mut().unwrap().as_mut().unwrap());
}

#[tokio::test]
async fn a_revoked_keys_launch_urls_stop_working_at_once() {
    let key = usable_key();
    let launches = service_keyed("en-GB", &["en-GB"], Arc::clone(&key));
    let launch = launches.launch(CALLER, ActivityId(7), None).await.unwrap();
    assert!(launches.verify(&launch.token).await.is_ok());
    change(&key, |k| k.revoked_at = Some(FixedClock.now()));
    assert!(matches!(
        launches.verify(&launch.token).await,
        Err(ContentError::KeyUnusable(k)) if k == CALLER.key
    ));
    assert!(matches!(
        launches.launch(CALLER, ActivityId(7), None).await,
        Err(V2Error::Unauthorized)
    ));
    *key.lock().unwrap() = Ok(None);
    assert!(
        matches!(launches.verify(&launch.token).await, Err(ContentError::KeyUnusable(_))),
        "a key that is gone grants nothing"
    );
}

#[tokio::test]
async fn a_rotated_keys_launch_urls_end_with_its_grace_period() {
    let key = usable_key();
    let launches = service_keyed("en-GB", &["en-GB"], Arc::clone(&key));
    let before = launches.launch(CALLER, ActivityId(7), None).await.unwrap();
    let grace_end = FixedClock.now() + chrono::Duration::seconds(300);
    change(&key, |k| k.expires_at = Some(grace_end));
    let during = launches.launch(CALLER, ActivityId(7), None).await.unwrap();
    assert_eq!(during.expires_at, grace_end, "a URL ends no later than its key");
    assert!(launches.verify(&before.token).await.is_ok(), "within the grace period");
    assert!(launches.verify(&during.token).await.is_ok());
    change(&key, |k| k.expires_at = Some(FixedClock.now()));
    for token in [&before.token, &during.token] {
        assert!(matches!(
            launches.verify(token).await,
            Err(ContentError::KeyUnusable(_))
        ));
    }
}

#[tokio::test]
async fn an_unreadable_directory_is_a_store_error_not_a_grant() {
    let key = usable_key();
    let launches = service_keyed("en-GB", &["en-GB"], Arc::clone(&key));
    let launch = launches.launch(CALLER, ActivityId(7), None).await.unwrap();
    *key.lock().unwrap() = Err(());
    assert!(matches!(
        launches.verify(&launch.token).await,
        Err(ContentError::Store(_))
    ));
}
