//! Upgrading a database that holds data from before package revisions and the narrow bounds
//! table: every stored package becomes revision 1, a path's bounds move to their table, and the
//! adapters read both like data written since.

use curricula_domain::curriculum::RecordInput;
use curricula_domain::{ActivityId, TenantId};
use curricula_ports::{ActivityRepository, CurriculumRepository, RecordFilter, Slice};
use diesel_migrations::MigrationHarness;

/// Rows as the schema before `2026-11-28-000000_revisions_and_audit` held them.
const OLD_ROWS: &str = "
INSERT INTO tenants (id, name, default_language, created_at) VALUES (1, 'T', 'en-GB', '2026-11-01 00:00:00');
INSERT INTO users (id, tenant_id, username) VALUES (1, 1, 'u');
INSERT INTO activities (id, tenant_id, kind, name, owner_id, all_organisations, parent_id, in_catalog, created_at, updated_at)
    VALUES (1, 1, 'scorm', 'A', 1, true, NULL, true, '2026-11-01 00:00:00', '2026-11-01 00:00:00'),
           (2, 1, 'course', 'C', 1, true, NULL, true, '2026-11-01 00:00:00', '2026-11-01 00:00:00');
INSERT INTO language_versions (id, activity_id, language, title, scorm_version, scorm_title, description, launch_href,
    mastery_score, completion_threshold, items, file_count, total_bytes, package_sha256, storage_prefix, created_at)
    VALUES (1, 1, 'en-GB', 'A', '1.2', 'Title', NULL, 'index.html?x=1', 80, NULL, '[{\"identifier\":\"i\",\"children\":[]}]',
            3, 1234, 'abab', 'packages/1/old', '2026-11-01 00:00:00'),
           (2, 2, 'en-GB', 'C', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2026-11-01 00:00:00');
INSERT INTO curriculum_activities (id, curriculum_id, account_id, parent_id, course_id, name, lft, rgt, updated_by, updated_on)
    VALUES (1, 2, 1, NULL, NULL, 'Section 1', 1, 4, NULL, '2026-11-01 00:00:00'),
           (2, 2, 1, 1, 1, 'A', 2, 3, NULL, '2026-11-01 00:00:00');
";

async fn check<S: ActivityRepository + CurriculumRepository>(store: &S) {
    let revisions = store.revisions(TenantId(1), ActivityId(1)).await.unwrap();
    assert_eq!(revisions.len(), 1, "{revisions:?}");
    let revision = &revisions[0];
    assert_eq!((revision.number, revision.api_key), (1, None));
    assert_eq!(revision.content.launch_href, "index.html?x=1");
    assert_eq!(revision.content.mastery_score, Some(80.0));
    assert_eq!(revision.content.file_count, 3);
    assert_eq!(revision.content.items[0]["identifier"], "i");
    let activity = store.activity(TenantId(1), ActivityId(1)).await.unwrap().unwrap();
    assert_eq!(activity.versions[0].revision, Some(1));
    assert_eq!(activity.versions[0].scorm.as_ref(), Some(&revision.content));
    let course = store.activity(TenantId(1), ActivityId(2)).await.unwrap().unwrap();
    assert_eq!(course.versions[0].revision, None);
    assert!(store.revisions(TenantId(1), ActivityId(2)).await.unwrap().is_empty());
    assert_eq!(store.storage_prefixes().await.unwrap(), ["packages/1/old"]);
    // The path's bounds moved to their own table.
    let path = store.curriculum(TenantId(1), ActivityId(2)).await.unwrap().unwrap();
    let bounds: Vec<(i64, i32, i32)> = path.iter().map(|r| (r.id.0, r.lft, r.rgt)).collect();
    assert_eq!(bounds, [(1, 1, 4), (2, 2, 3)]);
    // And the upgraded path takes writes: a new section after the old one.
    let now = chrono::Utc::now();
    let created = store
        .change(
            TenantId(1),
            ActivityId(2).into(),
            curricula_ports::PathWrite::new(
                1,
                Box::new(move |path, ids| {
                    let input = RecordInput {
                        name: curricula_domain::curriculum::Patch::Value("Added".into()),
                        ..RecordInput::default()
                    };
                    Ok(Some(path.create_section(ids[0], &input, now)?.id))
                }),
            ),
        )
        .await
        .unwrap()
        .record
        .unwrap();
    let filter = RecordFilter { curriculum_id: Some(ActivityId(2)), ..RecordFilter::default() };
    let path = store.list_records(TenantId(1), &filter, Slice::ALL).await.unwrap().items;
    let bounds: Vec<(i64, i32, i32)> = path.iter().map(|r| (r.id.0, r.lft, r.rgt)).collect();
    assert_eq!(bounds, [(1, 1, 4), (2, 2, 3), (created.id.0, 5, 6)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_data_from_before_revisions_gets_revision_1() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("old.db").display());
    let store = crate::Database::connect(&url, 2).await.unwrap();
    store.old_schema_with(4, OLD_ROWS).await;
    store.migrate().await.unwrap();
    check(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_data_from_before_revisions_gets_revision_1() {
    let Some(db) = crate::testing::TestDatabase::create().await else {
        return;
    };
    let store = crate::Database::connect(db.url(), 2).await.unwrap();
    store.old_schema_with(2, OLD_ROWS).await;
    store.migrate().await.unwrap();
    check(&store).await;
}

impl crate::Database {
    /// Applies the first `migrations`, then runs `sql`.
    async fn old_schema_with(&self, migrations: usize, sql: &'static str) {
        match &self.pool {
            crate::Pools::Sqlite(pool) => crate::sqlite::run_sync(pool, move |c| {
                for _ in 0..migrations {
                    c.run_next_migration(crate::sqlite::MIGRATIONS)
                        .map_err(diesel::result::Error::QueryBuilderError)?;
                }
                diesel::connection::SimpleConnection::batch_execute(c, sql)
            })
            .await
            .unwrap(),
            crate::Pools::Postgres(pool) => {
                use diesel_async::SimpleAsyncConnection;
                let conn = deadpool::managed::Object::take(pool.get().await.unwrap());
                let mut conn = tokio::task::spawn_blocking(move || {
                    let mut harness = diesel_async::AsyncMigrationHarness::new(conn);
                    for _ in 0..migrations {
                        harness.run_next_migration(crate::pg::MIGRATIONS).unwrap();
                    }
                    harness.into_inner()
                })
                .await
                .unwrap();
                conn.batch_execute(sql).await.unwrap();
                // Rows inserted with explicit ids leave the identity sequences behind; real data
                // came through them.
                let tables = ["tenants", "users", "activities", "language_versions", "curriculum_activities"];
                let setval = tables
                    .map(|t| format!("SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT max(id) FROM {t}));"));
                conn.batch_execute(&setval.concat()).await.unwrap();
            }
        }
    }
}
