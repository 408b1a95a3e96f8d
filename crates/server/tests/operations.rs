//! The started `curricula` binary: JSON logs of a tour hold no secret, `/metrics` shows the
//! tour, SIGTERM lets an in-flight upload finish, and the `upload` and `tree` client commands.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};
use support::{Server, curricula, example, sh};

const KEY: &str = "s3cret-upload-key-4711";
const ORIGIN: &str = "https://skoli.istak.is";

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run curricula")
}

fn admin(cwd: &Path, args: &[&str]) {
    support::migrate(curricula(cwd));
    support::admin(curricula(cwd), args);
}

/// A tenant with a user and an upload key, then the service, logging JSON to `serve.log`.
fn start(cwd: &Path, extra_env: &[(&str, &str)]) -> Server {
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
        &["key", "create", "--tenant", "1", "--origin", ORIGIN, "--key", KEY],
    );
    let mut cmd = curricula(cwd);
    cmd.env("CURRICULA__LOG__FORMAT", "json")
        .stderr(std::fs::File::create(cwd.join("serve.log")).unwrap());
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    support::serve(cmd)
}

#[test]
fn a_json_log_of_a_tour_holds_no_secret_and_metrics_show_the_tour() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    std::fs::copy(example("hse-presentation.zip"), cwd.join("p.zip")).unwrap();
    let server = start(cwd, &[]);
    let url = &server.url;
    // The key travels every way a partner may send it: form field, query string (both APIs),
    // Authorization header, form-encoded v2 body.
    let tour = format!(
        r#"
        curl -fs -X POST {url}/api/activityupload/new -F key={KEY} -F origin={ORIGIN} -F activityType=course -F name=Path -F userName=jon.jonsson
        curl -fs -X POST "{url}/api/activityupload/new?key={KEY}" -F key={KEY} -F origin={ORIGIN} -F activityType=scorm -F name=P -F userName=jon.jonsson -F parentActivityId=1 -F file=@p.zip
        curl -s -X POST {url}/api/activityupload/new -F key=wrong-{KEY} -F origin={ORIGIN} -F activityType=course -F name=X -F userName=jon.jonsson
        curl -fs "{url}/api/v2/curriculum_activities?api_key={KEY}&curriculum_activity%5Bcurriculum_id%5D=1"
        curl -fs -H "Authorization: Bearer {KEY}" {url}/api/v2/activities/1
        curl -fs -X PUT -d "api_key={KEY}&curriculum_activity[name]=Renamed" {url}/api/v2/curriculum_activities/1
        curl -s "{url}/api/v2/curriculum_activities/1?api_key={KEY}" -X PUT -H "Content-Type: application/json" -d '{{"curriculum_activity": {{"nope": 1}}}}'
        curl -s "{url}/nowhere?api_key={KEY}"
        "#
    );
    sh(cwd, &tour);
    let metrics = sh(cwd, &format!("curl -fs {url}/metrics"));
    for expected in [
        r#"curricula_http_requests_total{method="POST",route="/api/activityupload/new",status="201"} 2"#,
        r#"curricula_http_requests_total{method="POST",route="/api/activityupload/new",status="401"} 1"#,
        r#"curricula_http_requests_total{method="GET",route="/api/v2/activities/{id}",status="200"} 1"#,
        r#"curricula_http_requests_total{method="PUT",route="/api/v2/curriculum_activities/{id}",status="422"} 1"#,
        r#"curricula_http_requests_total{method="GET",route="unmatched",status="404"} 1"#,
        r#"curricula_ingest_duration_seconds_count{endpoint="new",outcome="ok"} 1"#,
    ] {
        assert!(metrics.contains(expected), "missing {expected}\n{metrics}");
    }
    drop(server);
    let log = std::fs::read_to_string(dir.path().join("serve.log")).unwrap();
    assert!(!log.is_empty());
    assert!(!log.contains(KEY), "a secret reached the log:\n{log}");
    assert!(!log.contains("s3cret"), "part of a secret reached the log");
    let mut access_lines = 0;
    for line in log.lines() {
        let entry: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
        if entry["http.route"].is_string() {
            access_lines += 1;
            assert!(entry["span"]["request_id"].is_string(), "no request id: {line}");
            assert!(
                entry["latency_ms"].is_number() && entry["http.status"].is_number(),
                "{line}"
            );
        }
    }
    assert!(access_lines >= 9, "one access line per request:\n{log}");
    assert!(log.contains("api_key=[redacted]"), "the query is logged, redacted");
}

#[test]
fn sigterm_lets_an_in_flight_upload_finish_and_then_exits() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[("CURRICULA__SERVER__SHUTDOWN_GRACE_SECONDS", "20")]);
    let boundary = "b0undary";
    let mut body = String::new();
    for (name, value) in [
        ("key", KEY),
        ("origin", ORIGIN),
        ("activityType", "course"),
        ("name", "Finished after SIGTERM"),
        ("userName", "jon.jonsson"),
    ] {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    let (first, rest) = body.split_at(body.len() / 2);
    let mut stream = TcpStream::connect(&server.addr).unwrap();
    write!(
        stream,
        "POST /api/activityupload/new HTTP/1.1\r\nHost: {}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{first}",
        server.addr,
        body.len()
    )
    .unwrap();
    stream.flush().unwrap();
    // The request is in flight (headers and half the body read) when the signal arrives.
    std::thread::sleep(Duration::from_millis(500));
    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    std::thread::sleep(Duration::from_millis(500));
    stream.write_all(rest.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    assert!(response.ends_with(r#"{"activityId":1}"#), "{response}");
    let mut server = server;
    let deadline = Instant::now() + Duration::from_secs(30);
    let exit = loop {
        if let Some(exit) = server.child.try_wait().unwrap() {
            break exit;
        }
        assert!(Instant::now() < deadline, "the server did not exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "{exit:?}");
    assert!(TcpStream::connect(&server.addr).is_err(), "no longer accepting");
    let log = std::fs::read_to_string(dir.path().join("serve.log")).unwrap();
    assert!(log.contains("201"), "{log}");
}

#[test]
fn the_upload_and_tree_commands_work_against_a_server() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let server = start(cwd, &[]);
    let upload = |args: &[&str], package: &Path| {
        run(curricula(cwd)
            .args(["upload", "--server", &server.url, "--origin", ORIGIN])
            .env("CURRICULA_API_KEY", KEY)
            .args(args)
            .arg(package))
    };
    // A new course with the package in it: prints the package's activity id only.
    let out = upload(
        &["--user", "jon.jonsson", "--course", "Safety"],
        &example("hse-presentation.zip"),
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "2\n");
    assert!(String::from_utf8_lossy(&out.stderr).contains("created course 1"));
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains('\u{1b}'),
        "no progress bar when stderr is not a terminal"
    );
    // A language version of it.
    let out = upload(
        &["--language", "is-IS", "--activity", "2"],
        &example("hse-presentation-is.zip"),
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "2\n");
    // A new revision of its en-GB package.
    let out = upload(
        &["--replace", "--language", "en-GB", "--activity", "2"],
        &example("hse-presentation-is.zip"),
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "2 revision 2\n");
    assert!(String::from_utf8_lossy(&out.stderr).contains("revision 2 is current"));
    // A course whose package would be refused is not created: the request is checked first.
    let out = upload(
        &["--user", "nobody", "--course", "Ghost"],
        &example("hse-presentation.zip"),
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("checking the request before creating the course") && stderr.contains("\"nobody\""),
        "{stderr}"
    );
    let out = run(curricula(cwd)
        .args(["tree", "--server", &server.url, "--curriculum", "3"])
        .env("CURRICULA_API_KEY", KEY));
    assert!(!out.status.success(), "no course 3 was created");
    // A refused package never reaches the server.
    let bad = cwd.join("bad.zip");
    std::fs::write(&bad, b"not a zip").unwrap();
    let out = upload(&["--user", "jon.jonsson"], &bad);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("package refused locally (not_a_zip)"));
    // The server's refusal is reported with its message.
    let out = upload(&["--user", "nobody"], &example("hse-presentation.zip"));
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("userName \"nobody\" was not found"),
        "{out:?}"
    );

    let out = run(curricula(cwd)
        .args(["tree", "--server", &server.url, "--curriculum", "1"])
        .env("CURRICULA_API_KEY", KEY));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let tree = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        tree,
        "path 1: Safety\n\
         └── Section 1 [section 1] initial_view=full control_mode=choice\n    \
         └── HSE Presentation - Fossvogsbru [entry 2, activity 2] required_for_specified_control_mode=false attempts_max=0\n"
    );
    let out = run(curricula(cwd).args([
        "tree",
        "--server",
        &server.url,
        "--curriculum",
        "1",
        "--api-key",
        "wrong",
    ]));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("401"));

    // Issue 20: one name for the key of both commands, --api-key / CURRICULA_API_KEY; the old
    // spellings --key / CURRICULA_KEY still work, and no key at all names every spelling.
    let tree = ["tree", "--server", &server.url, "--curriculum", "1"];
    let out = run(curricula(cwd).args(tree).args(["--key", KEY]));
    assert!(out.status.success(), "--key: {}", String::from_utf8_lossy(&out.stderr));
    let out = run(curricula(cwd).args(tree).env("CURRICULA_KEY", KEY));
    assert!(
        out.status.success(),
        "CURRICULA_KEY: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(curricula(cwd)
        .args([
            "upload",
            "--server",
            &server.url,
            "--origin",
            ORIGIN,
            "--user",
            "jon.jonsson",
        ])
        .args(["--key", KEY])
        .arg(example("hse-presentation.zip")));
    assert!(
        out.status.success(),
        "upload --key: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for command in [
        &tree[..],
        &[
            "upload",
            "--server",
            &server.url,
            "--origin",
            ORIGIN,
            "--user",
            "x",
            "p.zip",
        ][..],
    ] {
        let out = run(curricula(cwd).args(command));
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("CURRICULA_API_KEY") && stderr.contains("--api-key") && stderr.contains("CURRICULA_KEY"),
            "{command:?}: {stderr}"
        );
    }
}

#[test]
fn an_async_upload_is_answered_at_once_and_the_command_follows_its_job() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let server = start(cwd, &[]);
    let upload = |args: &[&str], package: &Path| {
        run(curricula(cwd)
            .args(["upload", "--async", "--server", &server.url, "--origin", ORIGIN])
            .env("CURRICULA_API_KEY", KEY)
            .args(args)
            .arg(package))
    };
    // The job runs in the server's worker; the command prints each status and the activity.
    let out = upload(&["--user", "jon.jonsson"], &example("hse-presentation.zip"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "1\n");
    assert!(stderr.contains("import 1: succeeded"), "{stderr}");
    // A request the job refuses (the package is checked locally first, the parent only by
    // the server): it fails with the synchronous message, and the command exits non-zero.
    let out = upload(
        &["--user", "jon.jonsson", "--parent", "999"],
        &example("hse-presentation.zip"),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(
        stderr.contains("import 2 failed: parentActivityId 999 was not found in your tenant"),
        "{stderr}"
    );
}
