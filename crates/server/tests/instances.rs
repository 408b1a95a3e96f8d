//! Production shape on Postgres: two `curricula serve` processes on one database, driven at
//! once by eight clients; the database lost in the middle of a request; the database down at
//! start. Needs `TEST_DATABASE_URL` (skipped loudly without it, failing under
//! `CURRICULA_REQUIRE_POSTGRES=1`).

mod support;

use curricula_store_sql::testing::TestDatabase;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const KEY: &str = "instances-key-0123456789";
const ORIGIN: &str = "https://skoli.istak.is";

fn curricula(cwd: &Path, database: &str) -> Command {
    let mut cmd = support::curricula(cwd);
    cmd.env("CURRICULA__DATABASE__URL", database).env(
        "CURRICULA__STORAGE__URL",
        format!("file://{}", cwd.join("blobs").display()),
    );
    cmd
}

fn admin(cwd: &Path, database: &str, args: &[&str]) {
    support::migrate(curricula(cwd, database));
    support::admin(curricula(cwd, database), args);
}

fn start(cwd: &Path, database: &str) -> (support::Server, String) {
    let mut cmd = curricula(cwd, database);
    cmd.env("CURRICULA__SERVER__WORKERS", "2").stderr(Stdio::null());
    let server = support::serve(cmd);
    let url = server.url.clone();
    (server, url)
}

/// `curl` with `args`; the status and the body as JSON (`Null` when empty).
fn curl(args: &[&str]) -> (u16, Value) {
    let out = Command::new("curl")
        .args(["-s", "-w", "\n%{http_code}", "--max-time", "60"])
        .args(args)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (
        status.trim().parse().unwrap_or(0),
        serde_json::from_str(body).unwrap_or(Value::Null),
    )
}

fn upload(base: &str, package: &Path, parent: i64, name: &str) -> (u16, Value) {
    curl(&[
        "-X",
        "POST",
        &format!("{base}/api/activityupload/new"),
        "-F",
        &format!("key={KEY}"),
        "-F",
        &format!("origin={ORIGIN}"),
        "-F",
        "activityType=scorm",
        "-F",
        &format!("name={name}"),
        "-F",
        "userName=jon.jonsson",
        "-F",
        &format!("parentActivityId={parent}"),
        "-F",
        &format!("file=@{}", package.display()),
    ])
}

fn course(base: &str, name: &str) -> i64 {
    let (status, body) = curl(&[
        "-X",
        "POST",
        &format!("{base}/api/activityupload/new"),
        "-F",
        &format!("key={KEY}"),
        "-F",
        &format!("origin={ORIGIN}"),
        "-F",
        "activityType=course",
        "-F",
        &format!("name={name}"),
        "-F",
        "userName=jon.jonsson",
    ]);
    assert_eq!(status, 201, "{body}");
    body["activityId"].as_i64().unwrap()
}

fn v2(base: &str, method: &str, path: &str, body: &Value) -> (u16, Value) {
    let url = format!("{base}{path}");
    let auth = format!("Authorization: Bearer {KEY}");
    let json = body.to_string();
    let mut args = vec!["-X", method, &url, "-H", &auth];
    if !body.is_null() {
        args.extend(["-H", "Content-Type: application/json", "--data", &json]);
    }
    curl(&args)
}

fn list(base: &str, path: i64) -> Vec<Value> {
    let (status, body) = curl(&[&format!(
        "{base}/api/v2/curriculum_activities?api_key={KEY}&curriculum_activity%5Bcurriculum_id%5D={path}"
    )]);
    assert_eq!(status, 200, "{body}");
    body.as_array().unwrap().clone()
}

/// Gap-free numbering from 1, every entry inside its section, sections in order.
fn assert_consistent(path: i64, records: &[Value]) {
    let n = |r: &Value, k: &str| r[k].as_i64().unwrap();
    let mut bounds: Vec<i64> = records.iter().flat_map(|r| [n(r, "lft"), n(r, "rgt")]).collect();
    bounds.sort_unstable();
    assert_eq!(
        bounds,
        (1..=bounds.len() as i64).collect::<Vec<_>>(),
        "path {path}: {records:?}"
    );
    for entry in records.iter().filter(|r| !r["parent_id"].is_null()) {
        let section = records
            .iter()
            .find(|s| s["id"] == entry["parent_id"])
            .unwrap_or_else(|| panic!("path {path}: the section of {entry}"));
        assert!(n(section, "lft") < n(entry, "lft") && n(entry, "rgt") < n(section, "rgt"));
    }
}

/// A small deterministic generator (xorshift), one per client.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// What the clients were told succeeded.
#[derive(Default)]
struct Ledger {
    /// (path, activity) placed by uploads that answered 201.
    placed: BTreeSet<(i64, i64)>,
    /// Sections created with 201.
    sections: BTreeSet<i64>,
    /// Activities whose entry was destroyed with 2xx, per path.
    removed_activities: BTreeSet<(i64, i64)>,
    /// Requests answered, by status.
    statuses: BTreeMap<u16, usize>,
}

fn setup(database: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path().to_path_buf();
    admin(
        &cwd,
        database,
        &["tenant", "create", "--name", "Istak", "--default-language", "en-GB"],
    );
    admin(
        &cwd,
        database,
        &["user", "create", "--tenant", "1", "--username", "jon.jonsson"],
    );
    admin(
        &cwd,
        database,
        &["key", "create", "--tenant", "1", "--origin", ORIGIN, "--key", KEY],
    );
    let package = cwd.join("package.zip");
    std::fs::copy(support::example("hse-presentation.zip"), &package).unwrap();
    (dir, package)
}

#[test]
fn two_instances_on_one_database_never_corrupt_a_path() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Some(db) = runtime.block_on(TestDatabase::create()) else {
        return;
    };
    let (dir, package) = setup(db.url());
    let cwd = dir.path();
    let (_a, base_a) = start(cwd, db.url());
    let (_b, base_b) = start(cwd, db.url());
    let bases = [base_a.as_str(), base_b.as_str()];
    let paths = [course(bases[0], "Path A"), course(bases[1], "Path B")];
    let ledger = Mutex::new(Ledger::default());
    let deadline = Instant::now() + Duration::from_secs(90);
    std::thread::scope(|scope| {
        for client in 0..8u64 {
            let (ledger, package) = (&ledger, &package);
            scope.spawn(move || {
                let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ ((client + 1) * 0x1234_5678));
                for step in 0..40 {
                    if Instant::now() > deadline {
                        break;
                    }
                    let base = bases[rng.below(2)];
                    let path = paths[rng.below(2)];
                    let records = list(base, path);
                    let entries: Vec<&Value> = records.iter().filter(|r| !r["parent_id"].is_null()).collect();
                    let (status, body) = match rng.below(10) {
                        0..=2 => {
                            let (status, body) = upload(base, package, path, &format!("C{client} S{step}"));
                            if status == 201 {
                                let id = body["activityId"].as_i64().unwrap();
                                ledger.lock().unwrap().placed.insert((path, id));
                            }
                            (status, body)
                        }
                        3 => {
                            let attributes = serde_json::json!({ "curriculum_activity": {
                                "curriculum_id": path, "name": format!("Section {client}.{step}"),
                                "sequence_attributes": { "control_mode": "choice" } } });
                            let (status, body) = v2(base, "POST", "/api/v2/curriculum_activities", &attributes);
                            if status == 201 {
                                ledger.lock().unwrap().sections.insert(body["id"].as_i64().unwrap());
                            }
                            (status, body)
                        }
                        4..=7 if entries.len() >= 2 => {
                            let moved = entries[rng.below(entries.len())];
                            let target = entries[rng.below(entries.len())];
                            let orientation = if rng.below(2) == 0 { "above" } else { "below" };
                            let body = serde_json::json!({ "target_id": target["id"], "orientation": orientation });
                            let url = format!("/api/v2/curriculum_activities/{}/update_position", moved["id"]);
                            v2(base, "PUT", &url, &body)
                        }
                        _ if !entries.is_empty() => {
                            let entry = entries[rng.below(entries.len())];
                            let url = format!("/api/v2/curriculum_activities/{}", entry["id"]);
                            let (status, body) = v2(base, "DELETE", &url, &Value::Null);
                            if (200..300).contains(&status) {
                                ledger
                                    .lock()
                                    .unwrap()
                                    .removed_activities
                                    .insert((path, entry["course_id"].as_i64().unwrap()));
                            }
                            (status, body)
                        }
                        _ => continue,
                    };
                    assert!(
                        status < 500 && status != 0,
                        "client {client} step {step}: {status} {body}"
                    );
                    *ledger.lock().unwrap().statuses.entry(status).or_default() += 1;
                }
            });
        }
    });
    let ledger = ledger.into_inner().unwrap();
    let answered: usize = ledger.statuses.values().sum();
    eprintln!("answers by status: {:?}", ledger.statuses);
    assert!(answered >= 100, "a few hundred operations ran: {answered}");
    for path in paths {
        // Both instances see the same, consistent path.
        let records = list(bases[0], path);
        assert_eq!(records, list(bases[1], path));
        assert_consistent(path, &records);
        let present: BTreeSet<i64> = records.iter().filter_map(|r| r["course_id"].as_i64()).collect();
        for (p, activity) in ledger.placed.iter().filter(|(p, _)| *p == path) {
            if !ledger.removed_activities.contains(&(*p, *activity)) {
                assert!(
                    present.contains(activity),
                    "upload {activity} into path {path} was lost"
                );
            }
        }
        for (_, activity) in ledger.removed_activities.iter().filter(|(p, _)| *p == path) {
            assert!(
                !present.contains(activity),
                "destroyed entry of {activity} is back in path {path}"
            );
        }
    }
    let ids: BTreeSet<i64> = paths
        .iter()
        .flat_map(|p| list(bases[0], *p))
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    for section in &ledger.sections {
        assert!(ids.contains(section), "section {section} was lost");
    }
}

fn psql(database: &str, sql: &str) -> Command {
    let mut cmd = Command::new("psql");
    cmd.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", database, "-c", sql])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

#[test]
fn the_database_lost_mid_request_is_a_503_and_the_service_recovers() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Some(db) = runtime.block_on(TestDatabase::create()) else {
        return;
    };
    let (dir, package) = setup(db.url());
    let cwd = dir.path();
    let (_server, base) = start(cwd, db.url());
    let path = course(&base, "Path");
    for i in 0..3 {
        assert_eq!(upload(&base, &package, path, &format!("A{i}")).0, 201);
    }
    let before = list(&base, path);
    let (first, last) = (before[1]["id"].clone(), before[3]["id"].clone());
    // Another session holds the path while the server's request waits for it…
    let mut holder = psql(
        db.url(),
        &format!("BEGIN; SELECT 1 FROM activities WHERE id = {path} FOR UPDATE; SELECT pg_sleep(3); COMMIT;"),
    )
    .spawn()
    .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let moved = std::thread::scope(|scope| {
        let request = scope.spawn(|| {
            v2(
                &base,
                "PUT",
                &format!("/api/v2/curriculum_activities/{first}/update_position"),
                &serde_json::json!({ "target_id": last, "orientation": "below" }),
            )
        });
        std::thread::sleep(Duration::from_millis(700));
        // …and the server's connections are cut (as when the database restarts).
        let out = psql(
            db.url(),
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND application_name <> 'psql' AND pid <> pg_backend_pid()",
        )
        .output()
        .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        request.join().unwrap()
    });
    assert!(holder.wait().unwrap().success());
    assert_eq!(moved.0, 503, "{}", moved.1);
    assert!(moved.1.is_array(), "the v2 error shape: {}", moved.1);
    // Nothing was half-written, and the next requests work on fresh connections.
    assert_eq!(list(&base, path), before);
    let (status, body) = v2(
        &base,
        "PUT",
        &format!("/api/v2/curriculum_activities/{first}/update_position"),
        &serde_json::json!({ "target_id": last, "orientation": "below" }),
    );
    assert_eq!(status, 200, "{body}");
    let after = list(&base, path);
    assert_eq!(after[3]["id"], first);
    assert_consistent(path, &after);
}

#[test]
fn a_database_down_at_start_is_a_clear_error_and_a_failing_exit() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens on port 9; the password must not be printed.
    let out = curricula(dir.path(), "postgres://curricula:s3cret-pw@127.0.0.1:9/curricula")
        .arg("serve")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("opening the database"), "{stderr}");
    assert!(!stderr.contains("s3cret-pw"), "{stderr}");
}

/// `GET base+path` with `Authorization: Bearer key`.
fn get_with(base: &str, path: &str, key: &str) -> (u16, Value) {
    curl(&[&format!("{base}{path}"), "-H", &format!("Authorization: Bearer {key}")])
}

/// Key rotation and revocation through `curricula admin`, while two instances serve one
/// database: each instance sees the change on its next request, on both APIs and on content.
fn keys_end_on_every_instance(database: &str) {
    let (dir, package) = setup(database);
    let cwd = dir.path();
    let start_shared = || {
        let mut cmd = curricula(cwd, database);
        cmd.env("CURRICULA__SERVER__WORKERS", "2")
            .env("CURRICULA__CONTENT__SECRET", "instances-content-secret")
            .stderr(Stdio::null());
        support::serve(cmd)
    };
    let (a, b) = (start_shared(), start_shared());
    let (base_a, base_b) = (a.url.as_str(), b.url.as_str());
    let path = course(base_a, "Keys");
    let (status, body) = upload(base_a, &package, path, "Launched");
    assert_eq!(status, 201, "{body}");
    let id = body["activityId"].as_i64().unwrap();
    let (status, body) = get_with(base_a, &format!("/api/v2/activities/{id}/launch"), KEY);
    assert_eq!(status, 200, "{body}");
    let url = body["launch_url"].as_str().unwrap();
    let content = &url[url.find("/content/").unwrap()..];
    for base in [base_a, base_b] {
        assert_eq!(curl(&[&format!("{base}{content}")]).0, 200, "{base}");
    }

    // Rotation: a new key, printed once; the old one works through its grace period.
    let rotated: Value = serde_json::from_str(&support::admin(
        curricula(cwd, database),
        &[
            "--json",
            "key",
            "rotate",
            "--tenant",
            "1",
            "--id",
            "1",
            "--grace-hours",
            "1",
        ],
    ))
    .unwrap();
    let new = rotated["key"].as_str().unwrap().to_owned();
    assert_eq!(rotated["old_id"], 1);
    for base in [base_a, base_b] {
        for key in [KEY, new.as_str()] {
            let (status, body) = get_with(base, "/api/v2/curriculum_activities", key);
            assert_eq!(status, 200, "{base} {body}");
        }
        assert_eq!(curl(&[&format!("{base}{content}")]).0, 200, "{base}");
    }

    // Revocation: refused at once on both instances, its URLs too; the new key works on.
    let out = support::admin(
        curricula(cwd, database),
        &["key", "revoke", "--tenant", "1", "--id", "1"],
    );
    assert!(out.starts_with("key 1 of tenant 1 revoked at "), "{out}");
    for base in [base_b, base_a] {
        let (status, body) = get_with(base, "/api/v2/curriculum_activities", KEY);
        assert_eq!((status, body), (401, serde_json::json!(["invalid api_key"])), "{base}");
        assert_eq!(curl(&[&format!("{base}{content}")]).0, 403, "{base}");
        let (status, body) = upload(base, &package, path, "After revocation");
        assert_eq!(status, 401, "{base} {body}");
        let (status, body) = get_with(base, "/api/v2/curriculum_activities", &new);
        assert_eq!(status, 200, "{base} {body}");
    }
    let list: Value = serde_json::from_str(&support::admin(
        curricula(cwd, database),
        &["--json", "key", "list", "--tenant", "1"],
    ))
    .unwrap();
    assert_eq!(list[0]["usable"], false, "{list}");
    assert!(list[0]["revoked_at"].is_string(), "{list}");
    assert!(list[0]["expires_at"].is_string(), "{list}");
    assert_eq!(list[1]["usable"], true, "{list}");
    assert!(
        list[1]["revoked_at"].is_null() && list[1]["expires_at"].is_null(),
        "{list}"
    );
    let text = support::admin(curricula(cwd, database), &["key", "list", "--tenant", "1"]);
    assert!(
        !text.contains(KEY) && !text.contains(&new),
        "keys are never listed: {text}"
    );
    assert!(text.lines().next().unwrap().contains("\trevoked "), "{text}");
    assert!(text.lines().nth(1).unwrap().ends_with("\tactive"), "{text}");
}

#[test]
fn a_revoked_key_is_refused_at_once_by_every_instance_on_postgres() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Some(db) = runtime.block_on(TestDatabase::create()) else {
        return;
    };
    keys_end_on_every_instance(db.url());
}

#[test]
fn a_revoked_key_is_refused_at_once_by_every_instance_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    keys_end_on_every_instance(&format!("sqlite://{}", dir.path().join("keys.db").display()));
}
