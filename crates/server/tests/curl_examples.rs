//! The Activity Upload API text's three curl examples, run verbatim (host and ids changed) as
//! shell commands against the started `curricula` binary on the embedded default.

mod support;

use std::path::Path;
use support::{curricula, sh};

fn admin(cwd: &Path, args: &[&str]) -> String {
    support::migrate(curricula(cwd));
    support::admin(curricula(cwd), args)
}

fn start(cwd: &Path, max_bytes: &str) -> (support::Server, String) {
    let mut cmd = curricula(cwd);
    cmd.env("CURRICULA__UPLOAD__MAX_BYTES", max_bytes)
        .stderr(std::process::Stdio::null());
    let server = support::serve(cmd);
    let url = server.url.clone();
    (server, url)
}

#[test]
fn the_three_examples_work_verbatim() {
    let dir = tempfile::tempdir().unwrap();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    for name in ["hse-presentation.zip", "hse-presentation-is.zip"] {
        std::fs::copy(examples.join(name), dir.path().join(name)).unwrap();
    }
    let cwd = dir.path();
    admin(
        cwd,
        &[
            "tenant",
            "create",
            "--name",
            "Istak",
            "--default-language",
            "en-GB",
            "--languages",
            "is-IS",
        ],
    );
    admin(cwd, &["user", "create", "--tenant", "1", "--username", "jon.jonsson"]);
    admin(
        cwd,
        &["org", "create", "--tenant", "1", "--name", "Reykjavík", "--id", "81"],
    );
    admin(
        cwd,
        &["org", "create", "--tenant", "1", "--name", "Akureyri", "--id", "27293"],
    );
    let key = admin(
        cwd,
        &[
            "key",
            "create",
            "--tenant",
            "1",
            "--origin",
            "https://skoli.istak.is",
            "--key",
            "YOUR-API-KEY",
            "--json",
        ],
    );
    assert!(key.contains("\"key\":\"YOUR-API-KEY\""), "{key}");
    let (_server, base) = start(cwd, "500000000");

    let course = sh(
        cwd,
        &format!(
            r#"curl -s -w ' %{{http_code}}' -X POST {base}/api/activityupload/new \
-F "key=YOUR-API-KEY" \
-F "origin=https://skoli.istak.is" \
-F "activityType=course" \
-F "name=HSE Training 2026" \
-F "userName=jon.jonsson""#
        ),
    );
    assert_eq!(course, r#"{"activityId":1} 201"#);

    let scorm = sh(
        cwd,
        &format!(
            r#"curl -s -w ' %{{http_code}}' -X POST {base}/api/activityupload/new \
-F "key=YOUR-API-KEY" \
-F "origin=https://skoli.istak.is" \
-F "activityType=scorm" \
-F "name=HSE Presentation - Fossvogsbru" \
-F "userName=jon.jonsson" \
-F "organisationIds=81,27293" \
-F "parentActivityId=1" \
-F "file=@hse-presentation.zip""#
        ),
    );
    assert_eq!(scorm, r#"{"activityId":2} 201"#);

    let language = sh(
        cwd,
        &format!(
            r#"curl -s -w ' %{{http_code}}' -X POST {base}/api/activityupload/addlanguage \
-F "key=YOUR-API-KEY" \
-F "origin=https://skoli.istak.is" \
-F "activityId=2" \
-F "languageId=is-IS" \
-F "name=HSE kynning - Fossvogsbru" \
-F "file=@hse-presentation-is.zip""#
        ),
    );
    assert_eq!(language, r#"{"activityId":2} 201"#);

    let wrong_key = sh(
        cwd,
        &format!(
            r#"curl -s -w ' %{{http_code}}' -X POST {base}/api/activityupload/new -F "key=NOPE-NOPE" -F "origin=https://skoli.istak.is" -F "activityType=course" -F "name=x" -F "userName=jon.jonsson""#
        ),
    );
    assert_eq!(wrong_key, r#"{"errorMessage":"key or origin not recognised"} 401"#);
}

/// A body streamed without Content-Length is cut off with 413 once it crosses the limit.
#[test]
fn a_streamed_body_over_the_limit_is_413() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    admin(cwd, &["tenant", "create", "--name", "T", "--default-language", "en-GB"]);
    // The file is read only once the key and origin are known to be good.
    admin(
        cwd,
        &[
            "key",
            "create",
            "--tenant",
            "1",
            "--origin",
            "https://o.example",
            "--key",
            "big-upload-key",
        ],
    );
    let (_server, base) = start(cwd, "1000000");
    std::fs::write(cwd.join("big.zip"), vec![0u8; 8_000_000]).unwrap();
    let out = sh(
        cwd,
        &format!(
            r#"curl -s -w ' %{{http_code}}' -H "Transfer-Encoding: chunked" -X POST {base}/api/activityupload/new -F "key=big-upload-key" -F "origin=https://o.example" -F "file=@big.zip" || true"#
        ),
    );
    assert!(out.ends_with(" 413"), "{out}");
    // Only this server's spool folder and its lock remain.
    let mut spooled = Vec::new();
    for folder in std::fs::read_dir(cwd.join("var/tmp")).unwrap().flatten() {
        for file in std::fs::read_dir(folder.path()).unwrap().flatten() {
            spooled.push(file.file_name().to_string_lossy().into_owned());
        }
    }
    assert_eq!(spooled, ["lock"], "the partial upload was removed");
}
