//! Issue 20: commands other than `serve` and `migrate` never create a database (they name the
//! file they looked for and how to point them elsewhere), and the blob sweep never judges one
//! installation's packages by another installation's database.

mod support;

use std::path::Path;
use std::process::{Command, Output};
use support::curricula;

/// The binary in `cwd` on the database `db` (a file name there) and the blob folder `blobs`.
fn on(cwd: &Path, db: &str, blobs: &Path) -> Command {
    let mut cmd = curricula(cwd);
    cmd.env("CURRICULA__DATABASE__URL", format!("sqlite://{db}"))
        .env("CURRICULA__STORAGE__URL", format!("file://{}", blobs.display()))
        .env("CURRICULA__UPLOAD__TMP_DIR", cwd.join("tmp"));
    cmd
}

fn run(mut cmd: Command, args: &[&str]) -> Output {
    cmd.args(args).output().expect("run curricula")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn admin_and_gc_refuse_to_create_a_database_and_name_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = dir.path().join("blobs");
    let expected = std::fs::canonicalize(dir.path()).unwrap().join("var/curricula.db");
    for args in [&["admin", "tenant", "list"][..], &["gc", "--dry-run"][..]] {
        let out = run(on(dir.path(), "var/curricula.db", &blobs), args);
        assert!(!out.status.success(), "{args:?} succeeded on no database");
        let message = stderr(&out);
        assert!(
            message.contains(&format!("no database at {}", expected.display())),
            "{args:?}: {message}"
        );
        assert!(message.contains("CURRICULA__DATABASE__URL"), "{args:?}: {message}");
        assert!(!expected.exists(), "{args:?} created the database");
        assert!(!dir.path().join("var").exists(), "{args:?} created ./var");
    }
    // `migrate` sets it up; then admin works.
    assert!(
        run(on(dir.path(), "var/curricula.db", &blobs), &["migrate"])
            .status
            .success()
    );
    let out = run(on(dir.path(), "var/curricula.db", &blobs), &["admin", "tenant", "list"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn the_sweep_refuses_a_blob_store_that_belongs_to_another_database() {
    let dir = tempfile::tempdir().unwrap();
    let shared = dir.path().join("shared-blobs");
    // Installation A sets up first and claims the blob folder.
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    assert!(run(on(&a, "a.db", &shared), &["migrate"]).status.success());
    let claim = std::fs::read_to_string(shared.join("curricula-database")).unwrap();
    let a_db = std::fs::canonicalize(a.join("a.db")).unwrap();
    assert_eq!(claim.trim(), format!("sqlite:{}", a_db.display()));

    // Installation B, on another database, shares the folder by mistake: its sweep refuses.
    let out = run(on(&b, "b.db", &shared), &["migrate"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(on(&b, "b.db", &shared), &["gc", "--dry-run"]);
    assert!(!out.status.success(), "B swept A's packages");
    let message = stderr(&out);
    assert!(
        message.contains(&format!("belongs to the database sqlite:{}", a_db.display())),
        "{message}"
    );
    assert_eq!(
        std::fs::read_to_string(shared.join("curricula-database")).unwrap(),
        claim,
        "B did not take the claim over"
    );

    // A's own sweep runs.
    let out = run(on(&a, "a.db", &shared), &["gc", "--dry-run"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("0 package folders"), "{}", stderr(&out));
}
