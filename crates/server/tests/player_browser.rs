//! The player in a real browser (issue 15): Debian's chromium driven by
//! `tests/browser/harness.mjs` (see `support::browser`; skipped, loudly, where chromium or the
//! harness's `node_modules` are missing, unless `CURRICULA_REQUIRE_BROWSER=1`).
//!
//! Each test starts `curricula serve` on a fresh SQLite database set up with `admin` (a tenant
//! and a key), creates a user, an enrollment and a launch through HTTP, opens the launch URL in
//! chromium, lets the content do what a learner's session does, and then reads the enrollment
//! back through `GET /api/v2/enrollments/{id}`. A failing scenario prints the harness's whole
//! output (steps, console, page errors, dialogs, commits).
//!
//! The last two (issue 16) play paths by their rules over HTTP, every entry's content taken in
//! chromium: a flow section whose second entry is refused until the first is completed, an
//! optional section never needed, the path's score as the mean of its weighted entries, the
//! status filter and the progress report; then a choice section complete after one of two, a
//! section locked until a date (refused with the date, opened when the date moves), a second
//! attempt refused by `attempts_max` 1, and a passed `exempt_if_mastered` entry that exempts
//! the rest and completes its path.

mod support;

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use support::browser::Browser;

#[test]
fn the_harness_drives_chromium() {
    let Some(browser) = Browser::find("the_harness_drives_chromium") else {
        return;
    };
    let result = browser.run(&json!({
        "url": "data:text/html,<title>t</title><p id=x>hello</p>",
        "timeout_ms": 30000,
        "steps": [
            {"action": "eval", "expression": "document.getElementById('x').textContent"},
            {"action": "text", "selector": "#x"},
            {"action": "wait_for", "expression": "document.readyState === 'complete'"},
        ],
    }));
    assert_eq!(result["ok"], true, "{result}");
    assert_eq!(result["steps"][0]["value"], "hello", "{result}");
    assert_eq!(result["steps"][1]["value"], "hello", "{result}");
    assert!(result["chromium"].as_str().is_some_and(|v| !v.is_empty()), "{result}");
}

// ---------------------------------------------------------------------------------------------
// A started service and its HTTP API (through curl, as an integrator would call it).

const ORIGIN: &str = "https://skoli.istak.is";
const KEY: &str = "browser-test-key-0123456789";

/// `curricula serve` on a fresh SQLite database in a temporary folder, with a tenant, a key
/// and the uploading user `jon.jonsson`, all made with `admin`.
struct Lms {
    server: support::Server,
    dir: tempfile::TempDir,
}

impl Lms {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let cwd = dir.path();
        support::migrate(support::curricula(cwd));
        support::admin(
            support::curricula(cwd),
            &["tenant", "create", "--name", "Istak", "--default-language", "en-GB"],
        );
        support::admin(
            support::curricula(cwd),
            &["user", "create", "--tenant", "1", "--username", "jon.jonsson"],
        );
        let key = support::admin(
            support::curricula(cwd),
            &[
                "key", "create", "--tenant", "1", "--origin", ORIGIN, "--key", KEY, "--json",
            ],
        );
        assert!(key.contains(KEY), "{key}");
        let mut cmd = support::curricula(cwd);
        cmd.stderr(std::process::Stdio::null());
        let server = support::serve(cmd);
        Self { server, dir }
    }

    /// `curl` with `args` (`-g`: brackets in a query are not globs); the status and the body
    /// (JSON, else Null).
    fn curl(&self, args: &[&str]) -> (u16, Value) {
        let out = Command::new("curl")
            .args(["-s", "-g", "--max-time", "30", "-w", "\n%{http_code}"])
            .args(args)
            .output()
            .expect("run curl");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, status) = text.rsplit_once('\n').unwrap_or(("", "0"));
        (
            status.trim().parse().unwrap_or(0),
            serde_json::from_str(body).unwrap_or(Value::Null),
        )
    }

    fn api(&self, path: &str) -> String {
        let sep = if path.contains('?') { '&' } else { '?' };
        format!("{}{path}{sep}api_key={KEY}", self.server.url)
    }

    fn get(&self, path: &str) -> Value {
        let (status, body) = self.curl(&[&self.api(path)]);
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    fn post(&self, path: &str, body: &Value) -> Value {
        self.send("POST", path, body)
    }

    fn put(&self, path: &str, body: &Value) -> Value {
        self.send("PUT", path, body)
    }

    /// A JSON `method` request that must answer 200; its body.
    fn send(&self, method: &str, path: &str, body: &Value) -> Value {
        let text = body.to_string();
        let (status, answer) = self.curl(&[
            "-X",
            method,
            "-H",
            "content-type: application/json",
            "--data-binary",
            &text,
            &self.api(path),
        ]);
        assert_eq!(status, 200, "{method} {path} {body}: {answer}");
        answer
    }

    /// Uploads `package` as a SCORM activity through the upload API; its id.
    fn upload(&self, name: &str, package: &[u8]) -> i64 {
        let file = self.dir.path().join(format!("{}.zip", name.replace(' ', "-")));
        std::fs::write(&file, package).unwrap();
        let (status, body) = self.curl(&[
            "-X",
            "POST",
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
            &format!("file=@{}", file.display()),
            &format!("{}/api/activityupload/new", self.server.url),
        ]);
        assert_eq!(status, 201, "upload {name}: {body}");
        body["activityId"].as_i64().unwrap()
    }

    /// A new user enrolled in `course`; the enrollment's id.
    fn enroll(&self, username: &str, course: i64) -> i64 {
        let user = self.post(
            "/api/v2/users",
            &json!({"user": {"username": username, "first_name": "Anna", "last_name": "Jónsdóttir"}}),
        );
        let enrollment = self.post(
            "/api/v2/enrollments",
            &json!({"enrollment": {"user_id": user["id"], "course_id": course}}),
        );
        assert_eq!(enrollment["status"], "not-started", "{enrollment}");
        enrollment["id"].as_i64().unwrap()
    }

    /// `GET /api/v2/enrollments/{id}/launch`: the launch URL and the attempt.
    fn launch(&self, enrollment: i64) -> (String, i64) {
        let body = self.get(&format!("/api/v2/enrollments/{enrollment}/launch"));
        let url = body["launch_url"].as_str().expect("a launch_url").to_owned();
        assert!(url.starts_with(&self.server.url) && url.contains("/play/"), "{url}");
        (url, body["attempt"].as_i64().unwrap())
    }

    fn enrollment(&self, id: i64) -> Value {
        self.get(&format!("/api/v2/enrollments/{id}"))
    }

    /// The enrollment once `ready` holds (commits sent as beacons arrive a moment after the
    /// page is gone), or a failure after 10 s showing the last record.
    fn enrollment_when(&self, id: i64, what: &str, ready: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let record = self.enrollment(id);
            if ready(&record) {
                return record;
            }
            assert!(
                Instant::now() < deadline,
                "the enrollment never showed {what}: {record:#}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Runs `scenario` and fails, showing the harness's whole output, unless every step passed.
fn run(browser: &Browser, scenario: Value) -> Value {
    let result = browser.run(&scenario);
    assert_eq!(
        result["ok"], true,
        "the browser scenario failed: {}\n{result:#}",
        result["error"]
    );
    result
}

/// The value of the step named `name`.
fn step<'a>(result: &'a Value, name: &str) -> &'a Value {
    result["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .map_or(&Value::Null, |s| &s["value"])
}

/// Where screenshots go: `CURRICULA_SCREENSHOTS` when set (to look at them), else the test's
/// temporary folder.
fn screenshot(dir: &Path, name: &str) -> String {
    let folder = std::env::var_os("CURRICULA_SCREENSHOTS").map_or_else(|| dir.to_path_buf(), PathBuf::from);
    std::fs::create_dir_all(&folder).unwrap();
    folder.join(format!("{name}.png")).display().to_string()
}

// ---------------------------------------------------------------------------------------------
// (a) Packages built here, whose page calls the API like real content.

/// The test SCO's script: finds `API_1484_11` or `API` in its parents as real content does,
/// initialises on load, reads back entry, location and suspend_data, and offers the rest to
/// the scenario as `window.sco` (each call logged, with the error code, in `sco.log`).
const CONTENT_JS: &str = r#"(function () {
  "use strict";
  function find(name) {
    var win = window;
    for (var i = 0; i < 10 && win; i++) {
      if (win[name]) return win[name];
      if (win.parent === win) break;
      win = win.parent;
    }
    return null;
  }
  var api = find("API_1484_11");
  var v2004 = !!api;
  if (!api) api = find("API");
  var sco = (window.sco = { version: v2004 ? "2004" : "1.2", found: !!api, log: [] });
  var state = document.getElementById("state");
  if (!api) {
    state.textContent = "no API found";
    return;
  }
  function call(fn) {
    var args = Array.prototype.slice.call(arguments, 1);
    var value = String(api[fn].apply(api, args));
    var error = String(api[v2004 ? "GetLastError" : "LMSGetLastError"]());
    sco.log.push([fn, args.map(function (a) { return String(a).slice(0, 40); }), value, error]);
    return value;
  }
  var el = v2004
    ? { location: "cmi.location", suspend: "cmi.suspend_data", entry: "cmi.entry", exit: "cmi.exit", time: "cmi.session_time" }
    : { location: "cmi.core.lesson_location", suspend: "cmi.suspend_data", entry: "cmi.core.entry", exit: "cmi.core.exit", time: "cmi.core.session_time" };
  sco.get = function (k) { return call(v2004 ? "GetValue" : "LMSGetValue", k); };
  sco.set = function (k, v) { return call(v2004 ? "SetValue" : "LMSSetValue", k, String(v)); };
  sco.commit = function () { return call(v2004 ? "Commit" : "LMSCommit", ""); };
  sco.finish = function () { return call(v2004 ? "Terminate" : "LMSFinish", ""); };
  // A lesson's report: location, suspend_data, score, status, session time and exit; "ok" when
  // every SetValue returned "true", else the log of the calls.
  sco.lesson = function (r) {
    var from = sco.log.length;
    sco.set(el.location, r.location);
    sco.set(el.suspend, r.suspend_data);
    if (v2004) {
      sco.set("cmi.score.raw", r.score);
      sco.set("cmi.score.min", 0);
      sco.set("cmi.score.max", 100);
      sco.set("cmi.score.scaled", r.score / 100);
      sco.set("cmi.completion_status", r.done ? "completed" : "incomplete");
      if (r.done) sco.set("cmi.success_status", r.score >= 80 ? "passed" : "failed");
      sco.set(el.time, r.seconds === 90 ? "PT1M30S" : "PT" + r.seconds + "S");
    } else {
      sco.set("cmi.core.score.raw", r.score);
      sco.set("cmi.core.score.min", 0);
      sco.set("cmi.core.score.max", 100);
      sco.set("cmi.core.lesson_status", r.done ? (r.score >= 80 ? "passed" : "failed") : "incomplete");
      var m = Math.floor(r.seconds / 60), s = r.seconds % 60;
      sco.set(el.time, "00:" + (m < 10 ? "0" : "") + m + ":" + (s < 10 ? "0" : "") + s);
    }
    sco.set(el.exit, r.exit);
    var calls = sco.log.slice(from);
    return calls.every(function (c) { return c[2] === "true"; }) ? "ok" : JSON.stringify(calls);
  };
  sco.initialized = call(v2004 ? "Initialize" : "LMSInitialize", "");
  sco.start = { entry: sco.get(el.entry), location: sco.get(el.location), suspend_data: sco.get(el.suspend) };
  state.textContent = "started: " + JSON.stringify({ entry: sco.start.entry, location: sco.start.location });
  sco.ready = true;
})();
"#;

const CONTENT_HTML: &str = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Lesson</title></head>\n\
<body><h1>Lesson</h1><p id=\"state\">starting</p><script src=\"content.js\"></script></body></html>\n";

/// A one-SCO package of `version` ("1.2" or "2004") launching `lesson.html`.
fn test_package(version: &str) -> Vec<u8> {
    let manifest = if version == "1.2" {
        r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="browser-12" version="1.0"
          xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
          xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="org">
    <organization identifier="org">
      <title>Browser lesson 1.2</title>
      <item identifier="lesson" identifierref="res"><title>Lesson</title></item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="res" type="webcontent" adlcp:scormtype="sco" href="lesson.html">
      <file href="lesson.html"/><file href="content.js"/>
    </resource>
  </resources>
</manifest>
"#
    } else {
        r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="browser-2004" version="1"
          xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
          xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 3rd Edition</schemaversion></metadata>
  <organizations default="org">
    <organization identifier="org">
      <title>Browser lesson 2004</title>
      <item identifier="lesson" identifierref="res"><title>Lesson</title></item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="res" type="webcontent" adlcp:scormType="sco" href="lesson.html">
      <file href="lesson.html"/><file href="content.js"/>
    </resource>
  </resources>
</manifest>
"#
    };
    zip_of(&[
        ("imsmanifest.xml", manifest.as_bytes()),
        ("lesson.html", CONTENT_HTML.as_bytes()),
        ("content.js", CONTENT_JS.as_bytes()),
    ])
}

/// A zip of `files`, deflated (as `tests/api/helpers.rs` builds them).
fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, body) in files {
        writer
            .start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        writer.write_all(body).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// The steps that open `url` and wait for the test SCO to have initialised.
fn open_lesson(url: &str) -> Vec<Value> {
    vec![
        json!({"action": "goto", "url": url}),
        json!({"action": "wait_frame", "url_contains": "lesson.html"}),
        json!({"action": "wait_for", "frame": true, "expression": "window.sco && window.sco.ready === true"}),
        json!({"name": "start", "action": "eval", "frame": true, "expression": "({found: sco.found, version: sco.version, initialized: sco.initialized, start: sco.start})"}),
    ]
}

/// A suspend_data of `length` characters that is not one character repeated.
fn suspend_data(tag: &str, length: usize) -> String {
    let mut text = format!("{{\"v\":\"{tag}\",\"pages\":[");
    let mut i = 0;
    while text.len() < length {
        text.push_str(&format!("{i},"));
        i += 1;
    }
    text.truncate(length);
    text
}

/// One version's whole story: a suspended session that commits and finishes, a resumed one
/// whose values reach the server only by the pagehide beacon, and a last one that finishes.
fn a_learner_suspends_resumes_and_leaves_without_a_commit(version: &str, test: &str) {
    let Some(browser) = Browser::find(test) else {
        return;
    };
    let lms = Lms::start();
    let course = lms.upload(&format!("Browser lesson {version}"), &test_package(version));
    let id = lms.enroll("anna", course);
    let first_data = suspend_data("first", 5000); // more than 1.2's 4,096: kept whole
    let second_data = suspend_data("second", 6000);

    // Session 1: the content reports, commits (acknowledged by the server), and finishes with
    // exit = suspend.
    let (url, attempt) = lms.launch(id);
    assert_eq!(attempt, 1);
    let mut steps = open_lesson(&url);
    let lesson = json!({"location": "page-3", "suspend_data": first_data, "score": 40, "done": false, "seconds": 90, "exit": "suspend"});
    steps.extend([
        json!({"name": "lesson", "action": "eval", "frame": true, "expression": format!("sco.lesson({lesson})")}),
        json!({"name": "commit", "action": "eval", "frame": true, "expression": "sco.commit()"}),
        json!({"name": "finish", "action": "eval", "frame": true, "expression": "sco.finish()"}),
        json!({"action": "screenshot", "path": screenshot(lms.dir.path(), &format!("lesson-{version}-session-1"))}),
        json!({"action": "wait_commits", "count": 2}),
        json!({"action": "close"}),
    ]);
    let result = run(&browser, json!({"timeout_ms": 45000, "steps": steps}));
    let start = step(&result, "start");
    assert_eq!(start["found"], true, "the content found the API: {result:#}");
    assert_eq!(start["version"], version, "{result:#}");
    assert_eq!(start["initialized"], "true", "{result:#}");
    assert_eq!(start["start"]["entry"], "ab-initio", "{result:#}");
    assert_eq!(step(&result, "lesson"), "ok", "{result:#}");
    assert_eq!(step(&result, "commit"), "true", "{result:#}");
    assert_eq!(step(&result, "finish"), "true", "{result:#}");
    let commits = result["commits"].as_array().unwrap();
    assert!(
        commits
            .iter()
            .any(|c| c["status"] == 200 && c["body"]["terminate"] == false),
        "the content's commit was acknowledged: {result:#}"
    );
    assert!(result["page_errors"].as_array().unwrap().is_empty(), "{result:#}");

    let after = lms.enrollment_when(id, "the finished session", |e| {
        e["runtime"]["scos"][0]["terminated"] == true
    });
    let sco = &after["runtime"]["scos"][0];
    assert_eq!(after["status"], "in-progress", "{after:#}");
    assert_eq!(after["attempts"], 1, "{after:#}");
    assert_eq!(sco["location"], "page-3", "{after:#}");
    assert_eq!(sco["suspend_data_length"], 5000, "{after:#}");
    assert_eq!(sco["completion_status"], "incomplete", "{after:#}");
    assert_eq!(sco["score_raw"], 40.0, "{after:#}");
    assert_eq!(sco["exit"], "suspend", "{after:#}");
    assert_eq!(after["total_time_seconds"], 90.0, "{after:#}");
    assert!(
        after["runtime"]["ended_on"].is_null(),
        "a suspend keeps the attempt: {after:#}"
    );

    // Session 2: the next launch resumes; the content reads back entry, location and
    // suspend_data, reports more, and the tab is closed before any commit.
    let (url, attempt) = lms.launch(id);
    assert_eq!(attempt, 1, "a launch after a suspend resumes the attempt");
    let mut steps = open_lesson(&url);
    let lesson = json!({"location": "page-7", "suspend_data": second_data, "score": 85, "done": true, "seconds": 120, "exit": ""});
    steps.extend([
        json!({"name": "resumed_data", "action": "eval", "frame": true, "expression": format!("sco.start.suspend_data === {}", json!(first_data))}),
        json!({"name": "lesson", "action": "eval", "frame": true, "expression": format!("sco.lesson({lesson})")}),
        json!({"action": "screenshot", "path": screenshot(lms.dir.path(), &format!("lesson-{version}-session-2"))}),
        json!({"action": "close"}),
    ]);
    let result = run(&browser, json!({"timeout_ms": 45000, "steps": steps}));
    let start = &step(&result, "start")["start"];
    assert_eq!(start["entry"], "resume", "{result:#}");
    assert_eq!(start["location"], "page-3", "{result:#}");
    assert_eq!(
        step(&result, "resumed_data"),
        true,
        "suspend_data came back whole: {result:#}"
    );
    assert_eq!(step(&result, "lesson"), "ok", "{result:#}");
    assert!(
        result["commits"].as_array().unwrap().iter().all(|c| c["type"] != "xhr"),
        "the content did not commit; only the page's beacon: {result:#}"
    );
    let left = lms.enrollment_when(id, "the values of the closed tab", |e| {
        e["runtime"]["scos"][0]["location"] == "page-7"
    });
    let sco = &left["runtime"]["scos"][0];
    assert_eq!(sco["suspend_data_length"], 6000, "{left:#}");
    assert_eq!(sco["score_raw"], 85.0, "{left:#}");
    assert_eq!(sco["completion_status"], "completed", "{left:#}");
    assert_eq!(sco["success_status"], "passed", "{left:#}");
    assert_eq!(sco["terminated"], false, "{left:#}");
    assert_eq!(left["status"], "completed", "{left:#}");
    assert_eq!(left["success"], "passed", "{left:#}");
    assert_eq!(left["score"], 85.0, "{left:#}");
    assert_eq!(
        left["total_time_seconds"], 210.0,
        "the server's sum of 90 s and 120 s: {left:#}"
    );
    assert!(left["runtime"]["ended_on"].is_null(), "no terminate, no end: {left:#}");

    // Session 3: the same attempt again (the last exit was not a suspend, so entry is empty),
    // with what the beacon carried; a Terminate now ends the attempt.
    let (url, attempt) = lms.launch(id);
    assert_eq!(attempt, 1);
    let mut steps = open_lesson(&url);
    steps.extend([
        json!({"name": "beaconed_data", "action": "eval", "frame": true, "expression": format!("sco.start.suspend_data === {}", json!(second_data))}),
        json!({"name": "finish", "action": "eval", "frame": true, "expression": "sco.finish()"}),
        json!({"action": "wait_commits", "count": 1}),
        json!({"action": "close"}),
    ]);
    let result = run(&browser, json!({"timeout_ms": 45000, "steps": steps}));
    let start = &step(&result, "start")["start"];
    assert_eq!(start["entry"], "", "{result:#}");
    assert_eq!(start["location"], "page-7", "{result:#}");
    assert_eq!(step(&result, "beaconed_data"), true, "{result:#}");
    assert_eq!(step(&result, "finish"), "true", "{result:#}");
    let ended = lms.enrollment_when(id, "the ended attempt", |e| e["runtime"]["ended_on"].is_string());
    assert_eq!(ended["status"], "completed", "{ended:#}");
    assert_eq!(ended["attempts"], 1, "{ended:#}");
    let (_, attempt) = lms.launch(id);
    assert_eq!(
        attempt, 2,
        "after a terminate without suspend the next launch is a new attempt"
    );
}

#[test]
fn scorm12_content_suspends_resumes_and_is_saved_when_the_tab_closes() {
    a_learner_suspends_resumes_and_leaves_without_a_commit(
        "1.2",
        "scorm12_content_suspends_resumes_and_is_saved_when_the_tab_closes",
    );
}

#[test]
fn scorm2004_content_suspends_resumes_and_is_saved_when_the_tab_closes() {
    a_learner_suspends_resumes_and_leaves_without_a_commit(
        "2004",
        "scorm2004_content_suspends_resumes_and_is_saved_when_the_tab_closes",
    );
}

// ---------------------------------------------------------------------------------------------
// (b) The corpus's golf packages, taken as a learner takes them.

/// A package of the shared SCORM corpus (`../shared/corpus/scorm/packages`, beside the
/// clone); `None`, said loudly, without it; under `CI=true` a missing corpus fails.
fn corpus_package(test: &str, name: &str) -> Option<Vec<u8>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/scorm/packages")
        .join(name);
    match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(e) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{test}: the SCORM corpus is required under CI=true, but {}: {e} (clone ../shared beside the repository)",
                path.display()
            );
            let _ = std::io::Write::write_fmt(
                &mut std::io::stderr(),
                format_args!(
                    "\n*** SKIPPED {test}: the SCORM corpus is not at {} (an extra: clone ../shared beside the repository to run it) ***\n\n",
                    path.display()
                ),
            );
            None
        }
    }
}

/// The golf samples' error alerts ("ERROR - …", "Error - …"): none may appear.
fn no_error_dialogs(result: &Value) {
    let errors: Vec<&Value> = result["dialogs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| {
            d["message"]
                .as_str()
                .is_some_and(|m| m.to_ascii_lowercase().contains("error"))
        })
        .collect();
    assert!(errors.is_empty(), "the content alerted errors {errors:?}: {result:#}");
    assert!(result["page_errors"].as_array().unwrap().is_empty(), "{result:#}");
}

/// Steps clicking the golf SCO's "Next" button `times` times, waiting for each page.
fn golf_next(times: usize) -> Vec<Value> {
    let mut steps = Vec::new();
    for _ in 0..times {
        steps.push(json!({"action": "click", "frame": true, "selector": "#butNext"}));
        steps.push(json!({"action": "wait_for", "frame": true, "expression": "document.getElementById('contentFrame').contentDocument.readyState === 'complete'"}));
    }
    steps
}

/// Steps answering the golf knowledge check as a learner who knows all but `wrong` of the
/// answers (the sample marks the right answers with the class `correctAnswer`; the numeric
/// ones are printed beside their box), and submitting it.
fn golf_quiz(wrong: usize) -> Vec<Value> {
    let answer = format!(
        r#"(() => {{
      const d = document.getElementById('contentFrame').contentDocument;
      const questions = Array.from(d.querySelectorAll('div.question'));
      questions.forEach((q, i) => {{
        const right = q.querySelector('.correctAnswer input');
        if (i < {wrong}) {{
          const other = q.querySelector('.answer input');
          if (other) other.click();
          return;
        }}
        if (right.type === 'radio') right.click();
        else right.value = right.parentElement.textContent.replace(/[^0-9]/g, '');
      }});
      return questions.length;
    }})()"#
    );
    vec![
        json!({"action": "wait_for", "frame": true, "expression": "(() => { const d = document.getElementById('contentFrame').contentDocument; return d.readyState === 'complete' && d.querySelectorAll('div.question').length > 0; })()"}),
        json!({"name": "questions", "action": "eval", "frame": true, "expression": answer}),
        json!({"action": "eval", "frame": true, "expression": "document.getElementById('contentFrame').contentDocument.querySelector('input[type=button][value=\"Submit Answers\"]').click()"}),
        json!({"name": "score", "action": "wait_for", "frame": true, "expression": "/Score: \\d+/.test(document.getElementById('contentFrame').contentDocument.body.innerText)"}),
        json!({"name": "score_text", "action": "eval", "frame": true, "expression": "document.getElementById('contentFrame').contentDocument.body.innerText.match(/Score: (\\d+)/)[1]"}),
    ]
}

#[test]
fn the_golf_2004_runtime_advanced_sample_is_taken_and_reported() {
    let test = "the_golf_2004_runtime_advanced_sample_is_taken_and_reported";
    let Some(browser) = Browser::find(test) else { return };
    let Some(package) = corpus_package(test, "golf-scorm2004-3rd-runtimeadvanced.zip") else {
        return;
    };
    let lms = Lms::start();
    let course = lms.upload("Golf Explained - Run-time Advanced Calls", &package);
    let id = lms.enroll("anna", course);
    let (url, _) = lms.launch(id);
    let shot = |name: &str| json!({"action": "screenshot", "path": screenshot(lms.dir.path(), name)});
    let mut steps = vec![
        json!({"action": "goto", "url": url}),
        json!({"action": "wait_frame", "url_contains": "launchpage.html"}),
        json!({"action": "wait_for", "frame": true, "expression": "document.getElementById('contentFrame').contentDocument.readyState === 'complete' && !!document.getElementById('contentFrame').contentDocument.querySelector('h1')"}),
        shot("golf-advanced-1-first-page"),
        json!({"name": "objectives", "action": "eval", "frame": true, "expression": "[0,1,2,3,4].map(i => window.parent.API_1484_11.GetValue('cmi.objectives.' + i + '.id'))"}),
    ];
    // Fourteen pages, then the knowledge check (the fifteenth), answered with one mistake.
    steps.extend(golf_next(14));
    steps.extend(golf_quiz(1));
    steps.push(shot("golf-advanced-2-quiz-result"));
    steps.extend([
        json!({"action": "click", "frame": true, "selector": "#butExit"}),
        json!({"action": "wait_for", "expression": "document.getElementById('curricula-frame').hidden === true"}),
        json!({"name": "left", "action": "text", "selector": "#curricula-status"}),
        shot("golf-advanced-3-exit"),
        json!({"action": "wait_commits", "count": 1}),
        json!({"action": "close"}),
    ]);
    let result = run(&browser, json!({"timeout_ms": 120000, "steps": steps}));
    no_error_dialogs(&result);
    assert_eq!(
        step(&result, "objectives"),
        &json!([
            "PRIMARYOBJ",
            "obj_etiquette",
            "obj_handicapping",
            "obj_havingfun",
            "obj_playing"
        ]),
        "the manifest's objectives, initialised for the content: {result:#}"
    );
    let questions = step(&result, "questions").as_u64().unwrap();
    let score: f64 = step(&result, "score_text").as_str().unwrap().parse().unwrap();
    assert_eq!(
        score,
        ((questions - 1) as f64 * 100.0 / questions as f64).round(),
        "{result:#}"
    );
    assert!(
        step(&result, "left")
            .as_str()
            .unwrap()
            .contains("You have left the course"),
        "{result:#}"
    );

    let done = lms.enrollment_when(id, "the finished golf course", |e| e["runtime"]["ended_on"].is_string());
    let sco = &done["runtime"]["scos"][0];
    assert_eq!(done["status"], "completed", "{done:#}");
    assert_eq!(done["success"], "passed", "{score} ≥ the manifest's 0.8: {done:#}");
    assert_eq!(done["score"], score, "{done:#}");
    assert_eq!(sco["score_raw"], score, "{done:#}");
    assert_eq!(sco["score_scaled"], score / 100.0, "{done:#}");
    assert_eq!(sco["progress_measure"], 1.0, "{done:#}");
    assert_eq!(sco["location"], "14", "{done:#}");
    assert_eq!(sco["interactions"], questions, "{done:#}");
    assert_eq!(sco["objectives"], 5, "{done:#}");
    assert_eq!(sco["terminated"], true, "{done:#}");
    assert!(done["total_time_seconds"].as_f64().unwrap() > 0.0, "{done:#}");
    assert_eq!(done["attempts"], 1, "{done:#}");
}

#[test]
fn the_golf_2004_basic_calls_sample_is_suspended_resumed_and_passed() {
    let test = "the_golf_2004_basic_calls_sample_is_suspended_resumed_and_passed";
    let Some(browser) = Browser::find(test) else { return };
    let Some(package) = corpus_package(test, "moodle-runtimebasiccalls-scorm2004-3rd.zip") else {
        return;
    };
    let lms = Lms::start();
    let course = lms.upload("Golf Explained - Run-time Basic Calls", &package);
    let id = lms.enroll("anna", course);
    let shot = |name: &str| json!({"action": "screenshot", "path": screenshot(lms.dir.path(), name)});
    let opened = |url: &str| {
        vec![
            json!({"action": "goto", "url": url}),
            json!({"action": "wait_frame", "url_contains": "launchpage.html"}),
            json!({"action": "wait_for", "frame": true, "expression": "document.getElementById('contentFrame').contentDocument.readyState === 'complete' && !!document.getElementById('contentFrame').contentDocument.querySelector('h1')"}),
        ]
    };

    // First session: six pages on, then Exit, answering yes to "save your progress to resume
    // later?" (a suspendAll).
    let (url, _) = lms.launch(id);
    let mut steps = opened(&url);
    steps.extend(golf_next(6));
    steps.extend([
        json!({"action": "dialogs", "answer": "accept"}),
        json!({"action": "click", "frame": true, "selector": "#butExit"}),
        json!({"action": "wait_for", "expression": "document.getElementById('curricula-frame').hidden === true"}),
        json!({"name": "left", "action": "text", "selector": "#curricula-status"}),
        shot("golf-basic-1-suspended"),
        json!({"action": "wait_commits", "count": 1}),
        json!({"action": "close"}),
    ]);
    let result = run(&browser, json!({"timeout_ms": 90000, "steps": steps}));
    no_error_dialogs(&result);
    assert!(
        step(&result, "left")
            .as_str()
            .unwrap()
            .contains("resumes where you stopped"),
        "{result:#}"
    );
    let suspended = lms.enrollment_when(id, "the suspended session", |e| {
        e["runtime"]["scos"][0]["terminated"] == true
    });
    let sco = &suspended["runtime"]["scos"][0];
    assert_eq!(suspended["status"], "in-progress", "{suspended:#}");
    assert_eq!(sco["location"], "6", "{suspended:#}");
    assert_eq!(sco["exit"], "suspend", "{suspended:#}");
    assert_eq!(sco["completion_status"], "incomplete", "{suspended:#}");
    let first_time = suspended["total_time_seconds"].as_f64().unwrap();
    assert!(first_time > 0.0, "{suspended:#}");

    // Second session: "resume from where you left off?" yes; on to the end, the quiz, Exit.
    let (url, attempt) = lms.launch(id);
    assert_eq!(attempt, 1);
    let mut steps = vec![json!({"action": "dialogs", "answer": "accept"})];
    steps.extend(opened(&url));
    steps.extend([
        json!({"name": "page", "action": "eval", "frame": true, "expression": "currentPage"}),
        json!({"name": "entry", "action": "eval", "frame": true, "expression": "window.parent.API_1484_11.GetValue('cmi.entry')"}),
        shot("golf-basic-2-resumed"),
    ]);
    steps.extend(golf_next(8));
    steps.extend(golf_quiz(0));
    steps.extend([
        shot("golf-basic-3-quiz-result"),
        json!({"action": "click", "frame": true, "selector": "#butExit"}),
        json!({"action": "wait_for", "expression": "document.getElementById('curricula-frame').hidden === true"}),
        json!({"action": "wait_commits", "count": 1}),
        json!({"action": "close"}),
    ]);
    let result = run(&browser, json!({"timeout_ms": 120000, "steps": steps}));
    no_error_dialogs(&result);
    assert_eq!(
        step(&result, "page"),
        6,
        "the content resumed at its bookmark: {result:#}"
    );
    assert_eq!(step(&result, "entry"), "resume", "{result:#}");
    assert!(
        result["dialogs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["message"].as_str().unwrap().contains("resume")),
        "{result:#}"
    );
    assert_eq!(step(&result, "score_text"), "100", "{result:#}");
    let done = lms.enrollment_when(id, "the passed golf course", |e| e["runtime"]["ended_on"].is_string());
    let sco = &done["runtime"]["scos"][0];
    assert_eq!(done["status"], "completed", "{done:#}");
    assert_eq!(done["success"], "passed", "{done:#}");
    assert_eq!(done["score"], 100.0, "{done:#}");
    assert_eq!(sco["location"], "14", "{done:#}");
    assert_eq!(done["attempts"], 1, "{done:#}");
    assert!(
        done["total_time_seconds"].as_f64().unwrap() > first_time,
        "both sessions count: {done:#}"
    );
}

#[test]
fn the_golf_12_minimum_calls_sample_completes_when_every_sco_was_visited() {
    let test = "the_golf_12_minimum_calls_sample_completes_when_every_sco_was_visited";
    let Some(browser) = Browser::find(test) else { return };
    let Some(package) = corpus_package(test, "moodle-runtimeminimumcalls-scorm12-multisco.zip") else {
        return;
    };
    let lms = Lms::start();
    let course = lms.upload("Golf Explained - Minimum Run-time Calls", &package);
    let id = lms.enroll("anna", course);
    let (url, _) = lms.launch(id);
    let shot = |name: &str| json!({"action": "screenshot", "path": screenshot(lms.dir.path(), name)});
    let first = vec![
        json!({"action": "goto", "url": url}),
        json!({"action": "wait_frame", "url_contains": "Playing.html"}),
        json!({"name": "titles", "action": "eval", "expression": "Array.from(document.querySelectorAll('#curricula-nav button')).map(b => b.textContent)"}),
        shot("golf-minimum-1-first-sco"),
        json!({"action": "close"}),
    ];
    // Learn the navigation list first, then visit every SCO through it.
    let result = run(&browser, json!({"timeout_ms": 30000, "steps": first}));
    let titles: Vec<String> = step(&result, "titles")
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(titles.len(), 18, "a list of the SCOs: {titles:?}");
    assert_eq!(titles[0], "How to Play", "{titles:?}");
    // That first visit ended when the page closed: a SCO that only initialised and finished.
    let visited = lms.enrollment_when(id, "the first SCO's finish", |e| {
        e["runtime"]["scos"][0]["terminated"] == true
    });
    let sco = &visited["runtime"]["scos"][0];
    assert_eq!(sco["sco"], "playing_playing_item", "{visited:#}");
    assert_eq!(
        sco["lesson_status"], "completed",
        "an untouched lesson_status is completed at LMSFinish (SCORM 1.2 RTE): {visited:#}"
    );
    assert_eq!(visited["status"], "in-progress", "{visited:#}");

    let (url, attempt) = lms.launch(id);
    assert_eq!(attempt, 1, "one SCO of many done keeps the attempt");
    let mut steps = vec![json!({"action": "goto", "url": url}), json!({"action": "wait_frame"})];
    for title in &titles[1..] {
        steps.push(json!({"action": "click_nav", "title": title}));
        steps.push(json!({"action": "wait_for", "expression": format!("document.querySelector('#curricula-nav button[aria-current=page]')?.textContent === {}", json!(title))}));
        steps.push(json!({"action": "wait_frame"}));
        if title.contains("Quiz") {
            steps.push(shot(&format!("golf-minimum-2-{}", title.replace(' ', "-"))));
        }
    }
    steps.push(shot("golf-minimum-3-last-sco"));
    steps.push(json!({"action": "close"}));
    let result = run(&browser, json!({"timeout_ms": 120000, "steps": steps}));
    no_error_dialogs(&result);
    let done = lms.enrollment_when(id, "every SCO completed", |e| e["status"] == "completed");
    let scos = done["runtime"]["scos"].as_array().unwrap();
    assert_eq!(scos.len(), titles.len(), "{done:#}");
    assert!(
        scos.iter()
            .all(|s| s["lesson_status"] == "completed" && s["terminated"] == true),
        "{done:#}"
    );
    assert!(done["runtime"]["ended_on"].is_string(), "{done:#}");
    assert_eq!(done["attempts"], 1, "{done:#}");
}

// ---------------------------------------------------------------------------------------------
// (c) A path (issue 16): the DESIGN.md rules played over HTTP, its content taken in chromium.

/// A 1.2 package whose page takes itself when opened: the test SCO, then a script that reports
/// `score` (80 or more: `lesson_status` passed), a session time, and finishes (`sco.taken` is what
/// `LMSFinish` returned; `sco.report` "ok" when every `LMSSetValue` was accepted).
fn self_completing_package(title: &str, score: u32) -> Vec<u8> {
    assert!(score >= 80, "the test SCO passes from 80");
    let manifest = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="path-{score}" version="1.0"
          xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
          xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="org">
    <organization identifier="org">
      <title>{title}</title>
      <item identifier="lesson" identifierref="res"><title>{title}</title></item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="res" type="webcontent" adlcp:scormtype="sco" href="lesson.html">
      <file href="lesson.html"/><file href="content.js"/><file href="take.js"/>
    </resource>
  </resources>
</manifest>
"#
    );
    let html = CONTENT_HTML.replace(
        "<script src=\"content.js\"></script>",
        "<script src=\"content.js\"></script><script src=\"take.js\"></script>",
    );
    let take = format!(
        "(function () {{\n  if (!window.sco || !sco.ready) return;\n  \
         sco.report = sco.lesson({{location: 'end', suspend_data: '', score: {score}, done: true, seconds: 60, exit: ''}});\n  \
         sco.taken = sco.finish();\n  \
         document.getElementById('state').textContent = 'taken: ' + sco.report + ', finish ' + sco.taken;\n}})();\n"
    );
    zip_of(&[
        ("imsmanifest.xml", manifest.as_bytes()),
        ("lesson.html", html.as_bytes()),
        ("content.js", CONTENT_JS.as_bytes()),
        ("take.js", take.as_bytes()),
    ])
}

impl Lms {
    /// A path (a `course` activity) made through the upload API; its id.
    fn path(&self, name: &str) -> i64 {
        let (status, body) = self.curl(&[
            "-X",
            "POST",
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
            &format!("{}/api/activityupload/new", self.server.url),
        ]);
        assert_eq!(status, 201, "path {name}: {body}");
        body["activityId"].as_i64().unwrap()
    }

    /// `POST /api/v2/curriculum_activities` with `record`; its id.
    fn curriculum_activity(&self, record: Value) -> i64 {
        self.post(
            "/api/v2/curriculum_activities",
            &json!({ "curriculum_activity": record }),
        )["id"]
            .as_i64()
            .unwrap()
    }

    /// `GET /api/v2/enrollments/{id}/launch?entry_id={entry}`: the status and the body.
    fn launch_entry(&self, enrollment: i64, entry: i64) -> (u16, Value) {
        self.curl(&[&self.api(&format!("/api/v2/enrollments/{enrollment}/launch?entry_id={entry}"))])
    }
}

/// The entry `id` of a path enrollment's read.
fn entry_of(read: &Value, id: i64) -> &Value {
    read["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["entries"].as_array().unwrap())
        .find(|e| e["id"] == id)
        .unwrap_or_else(|| panic!("entry {id} in {read:#}"))
}

/// The section `id` of a path enrollment's read.
fn section_of(read: &Value, id: i64) -> &Value {
    read["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("section {id} in {read:#}"))
}

/// Opens `url` in chromium, waits for the self-completing SCO to have taken itself and its
/// `LMSFinish` to reach the server; the harness's result.
fn take_in_browser(browser: &Browser, lms: &Lms, url: &str, shot: &str) -> Value {
    let mut steps = open_lesson(url);
    steps.extend([
        json!({"name": "taken", "action": "wait_for", "frame": true, "expression": "sco.taken === 'true'"}),
        json!({"name": "report", "action": "eval", "frame": true, "expression": "sco.report"}),
        // LMSFinish: the player's terminating commit, sent as a beacon.
        json!({"action": "wait_commits", "count": 1}),
        json!({"name": "status", "action": "text", "selector": "#curricula-status"}),
        json!({"action": "screenshot", "path": screenshot(lms.dir.path(), shot)}),
        json!({"action": "close"}),
    ]);
    let result = run(browser, json!({"timeout_ms": 45000, "steps": steps}));
    assert_eq!(step(&result, "start")["version"], "1.2", "{result:#}");
    assert_eq!(step(&result, "start")["initialized"], "true", "{result:#}");
    assert_eq!(step(&result, "report"), "ok", "every LMSSetValue accepted: {result:#}");
    assert!(result["page_errors"].as_array().unwrap().is_empty(), "{result:#}");
    assert!(
        result["commits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["type"] == "ping" && c["status"] == 200),
        "the LMSFinish beacon reached the server: {result:#}"
    );
    result
}

#[test]
fn a_path_is_played_by_its_rules_with_its_content_taken_in_chromium() {
    let test = "a_path_is_played_by_its_rules_with_its_content_taken_in_chromium";
    let Some(browser) = Browser::find(test) else { return };
    let lms = Lms::start();
    let fire = lms.upload("Fire safety", &self_completing_package("Fire safety", 90));
    let aid = lms.upload("First aid", &self_completing_package("First aid", 80));
    let extra = lms.upload("Evacuation drill", &test_package("1.2"));

    // The path: a flow section of the two lessons (both weighted) and an optional one.
    let path = lms.path("Onboarding");
    let basics = lms.curriculum_activity(json!({"curriculum_id": path, "name": "Basics",
        "sequence_attributes": {"control_mode": "flow"}}));
    let more = lms.curriculum_activity(json!({"curriculum_id": path, "name": "More",
        "sequence_attributes": {"control_mode": "optional"}}));
    let first =
        lms.curriculum_activity(json!({"curriculum_id": path, "parent_id": basics, "course_id": fire, "weight": 1}));
    let second =
        lms.curriculum_activity(json!({"curriculum_id": path, "parent_id": basics, "course_id": aid, "weight": 1}));
    let drill = lms.curriculum_activity(json!({"curriculum_id": path, "parent_id": more, "course_id": extra}));

    let user = lms.post(
        "/api/v2/users",
        &json!({"user": {"username": "anna", "first_name": "Anna", "last_name": "Jónsdóttir"}}),
    );
    let e = lms.post(
        "/api/v2/enrollments",
        &json!({"enrollment": {"user_id": user["id"], "course_id": path}}),
    )["id"]
        .as_i64()
        .unwrap();

    // Before anything: entry 1 available, entry 2 locked behind it, the optional one open.
    let before = lms.enrollment(e);
    assert_eq!(before["status"], "not-started", "{before:#}");
    assert_eq!(entry_of(&before, first)["state"], "available", "{before:#}");
    assert_eq!(entry_of(&before, drill)["state"], "available", "{before:#}");
    let reason = "complete 'Fire safety' first: section 'Basics' is taken in order";
    assert_eq!(entry_of(&before, second)["state"], "locked", "{before:#}");
    assert_eq!(entry_of(&before, second)["reason"], reason, "{before:#}");
    let (status, body) = lms.launch_entry(e, second);
    assert_eq!((status, body[0].as_str()), (422, Some(reason)), "{body}");

    // Entry 1, taken in chromium.
    let (status, body) = lms.launch_entry(e, first);
    assert_eq!(status, 200, "{body}");
    let url = body["launch_url"].as_str().unwrap().to_owned();
    assert!(url.starts_with(&lms.server.url) && url.contains("/play/"), "{url}");
    take_in_browser(&browser, &lms, &url, "path-1-fire-safety");
    let after = lms.enrollment_when(e, "entry 1 completed", |r| entry_of(r, first)["state"] == "completed");
    assert_eq!(entry_of(&after, second)["state"], "available", "{after:#}");
    assert_eq!(after["status"], "in-progress", "{after:#}");

    // Entry 2, taken in chromium: the path is complete, scored the mean of 90 and 80.
    let (status, body) = lms.launch_entry(e, second);
    assert_eq!(status, 200, "{body}");
    let url = body["launch_url"].as_str().unwrap().to_owned();
    take_in_browser(&browser, &lms, &url, "path-2-first-aid");
    let done = lms.enrollment_when(e, "the path completed", |r| r["status"] == "completed");
    assert_eq!(entry_of(&done, second)["state"], "completed", "{done:#}");
    assert_eq!(
        entry_of(&done, drill)["state"],
        "available",
        "the optional section was not needed: {done:#}"
    );
    assert_eq!(done["score"], 85.0, "the mean of the weighted entries: {done:#}");
    assert_eq!(done["success"], "passed", "{done:#}");
    assert!(done["completed_on"].is_string(), "{done:#}");

    let completed = lms.get("/api/v2/enrollments?enrollment[status]=completed");
    assert!(
        completed.as_array().unwrap().iter().any(|x| x["id"] == e),
        "the path enrollment is listed as completed: {completed:#}"
    );
    let report = lms.get(&format!("/api/v2/curricula/{path}/progress"));
    assert_eq!(report.as_array().unwrap().len(), 1, "{report:#}");
    let row = &report[0];
    assert_eq!(row["username"], "anna", "{report:#}");
    assert_eq!(row["status"], "completed", "{report:#}");
    assert_eq!(row["score"], 85.0, "{report:#}");
    assert_eq!(row["success"], "passed", "{report:#}");
    assert_eq!(
        (row["entries_completed"].clone(), row["entries_total"].clone()),
        (json!(2), json!(3)),
        "the optional entry counts in the total, not against the status: {report:#}"
    );
    assert!(row["completed_on"].is_string(), "{report:#}");
    // The launches made the learner's own enrollments in the two lessons, taken with their scores.
    for (course, score) in [(fire, 90.0), (aid, 80.0)] {
        let own = lms.get(&format!("/api/v2/enrollments?enrollment[course_id]={course}"));
        assert_eq!(own.as_array().unwrap().len(), 1, "{own:#}");
        assert_eq!(own[0]["status"], "completed", "{own:#}");
        assert_eq!(own[0]["score"], score, "{own:#}");
    }
}

#[test]
fn choice_lock_until_attempts_max_and_exempt_if_mastered_are_played_with_content_taken_in_chromium() {
    let test = "choice_lock_until_attempts_max_and_exempt_if_mastered_are_played_with_content_taken_in_chromium";
    let Some(browser) = Browser::find(test) else { return };
    let lms = Lms::start();
    let ethics = lms.upload("Ethics", &self_completing_package("Ethics", 90));
    let privacy = lms.upload("Privacy", &self_completing_package("Privacy", 85));
    let exam = lms.upload("Exam", &self_completing_package("Exam", 88));

    // "Pick one": a choice of two, one needed. "Later": opens in 40 days, one attempt at its exam.
    let path = lms.path("Compliance");
    let pick = lms.curriculum_activity(json!({"curriculum_id": path, "name": "Pick one",
        "sequence_attributes": {"control_mode": "choice"}}));
    let opens = (chrono::Utc::now() + chrono::Duration::days(40)).date_naive();
    let later = lms.curriculum_activity(json!({"curriculum_id": path, "name": "Later",
        "lock_until": opens.to_string(), "sequence_attributes": {"control_mode": "flow"}}));
    let in_ethics =
        lms.curriculum_activity(json!({"curriculum_id": path, "parent_id": pick, "course_id": ethics, "weight": 1}));
    let in_privacy = lms.curriculum_activity(json!({"curriculum_id": path, "parent_id": pick, "course_id": privacy}));
    let in_exam = lms.curriculum_activity(json!({"curriculum_id": path, "parent_id": later, "course_id": exam,
        "weight": 1, "sequence_attributes": {"attempts_max": 1}}));
    // completions_min can not exceed the section's entries: set once they are in.
    lms.put(
        &format!("/api/v2/curriculum_activities/{pick}"),
        &json!({"curriculum_activity": {"sequence_attributes": {"completions_min": 1}}}),
    );

    let user = lms.post("/api/v2/users", &json!({"user": {"username": "sigga"}}));
    let e = lms.post(
        "/api/v2/enrollments",
        &json!({"enrollment": {"user_id": user["id"], "course_id": path}}),
    )["id"]
        .as_i64()
        .unwrap();

    // The locked section says its date, and its entry can not be launched.
    let before = lms.enrollment(e);
    let reason = format!("section 'Later' opens on {opens}");
    assert_eq!(entry_of(&before, in_exam)["state"], "locked", "{before:#}");
    assert_eq!(entry_of(&before, in_exam)["reason"], reason.as_str(), "{before:#}");
    let (status, body) = lms.launch_entry(e, in_exam);
    assert_eq!((status, body[0].as_str()), (422, Some(reason.as_str())), "{body}");

    // One of the two choices, taken in chromium, completes "Pick one".
    let (status, body) = lms.launch_entry(e, in_ethics);
    assert_eq!(status, 200, "{body}");
    take_in_browser(&browser, &lms, body["launch_url"].as_str().unwrap(), "choice-ethics");
    let after = lms.enrollment_when(e, "'Pick one' complete", |r| section_of(r, pick)["complete"] == true);
    let section = section_of(&after, pick);
    assert_eq!(
        (section["completed"].clone(), section["required"].clone()),
        (json!(1), json!(1)),
        "{after:#}"
    );
    assert_eq!(
        entry_of(&after, in_privacy)["state"],
        "available",
        "not needed, still open: {after:#}"
    );
    assert_eq!(after["status"], "in-progress", "'Later' is not complete yet: {after:#}");

    // The date moved to today: the exam opens, is taken in chromium, and completes the path.
    let today = chrono::Utc::now().date_naive().to_string();
    lms.put(
        &format!("/api/v2/curriculum_activities/{later}"),
        &json!({"curriculum_activity": {"lock_until": today}}),
    );
    assert_eq!(entry_of(&lms.enrollment(e), in_exam)["state"], "available");
    let (status, body) = lms.launch_entry(e, in_exam);
    assert_eq!(status, 200, "{body}");
    take_in_browser(&browser, &lms, body["launch_url"].as_str().unwrap(), "lock-until-exam");
    let done = lms.enrollment_when(e, "the path completed", |r| r["status"] == "completed");
    assert_eq!(
        done["score"], 89.0,
        "the mean of 90 and 88, the weighted entries: {done:#}"
    );
    assert_eq!(done["success"], "passed", "{done:#}");

    // attempts_max 1: a second attempt at the exam is refused, with the count.
    let used = "no attempt left: 1 of 1 used";
    assert_eq!(entry_of(&done, in_exam)["attempts"], 1, "{done:#}");
    assert_eq!(entry_of(&done, in_exam)["reason"], used, "{done:#}");
    let (status, body) = lms.launch_entry(e, in_exam);
    assert_eq!((status, body[0].as_str()), (422, Some(used)), "{body}");

    // "Fast track": passing its placement test (exempt_if_mastered) exempts the two lessons.
    let placement = lms.upload("Placement test", &self_completing_package("Placement test", 95));
    let lesson_one = lms.upload("Lesson one", &test_package("1.2"));
    let lesson_two = lms.upload("Lesson two", &test_package("1.2"));
    let fast = lms.path("Fast track");
    let course = lms.curriculum_activity(json!({"curriculum_id": fast, "name": "Course",
        "sequence_attributes": {"control_mode": "flow"}}));
    let in_placement = lms.curriculum_activity(
        json!({"curriculum_id": fast, "parent_id": course, "course_id": placement, "exempt_if_mastered": true}),
    );
    let in_one = lms.curriculum_activity(json!({"curriculum_id": fast, "parent_id": course, "course_id": lesson_one}));
    let in_two = lms.curriculum_activity(json!({"curriculum_id": fast, "parent_id": course, "course_id": lesson_two}));
    let f = lms.post(
        "/api/v2/enrollments",
        &json!({"enrollment": {"user_id": user["id"], "course_id": fast}}),
    )["id"]
        .as_i64()
        .unwrap();
    assert_eq!(entry_of(&lms.enrollment(f), in_one)["state"], "locked");
    let (status, body) = lms.launch_entry(f, in_placement);
    assert_eq!(status, 200, "{body}");
    take_in_browser(&browser, &lms, body["launch_url"].as_str().unwrap(), "exempt-placement");
    let exempted = lms.enrollment_when(f, "the fast track completed", |r| r["status"] == "completed");
    assert_eq!(entry_of(&exempted, in_placement)["state"], "completed", "{exempted:#}");
    assert_eq!(entry_of(&exempted, in_one)["state"], "exempt", "{exempted:#}");
    assert_eq!(entry_of(&exempted, in_two)["state"], "exempt", "{exempted:#}");
    assert!(exempted["completed_on"].is_string(), "{exempted:#}");
}
