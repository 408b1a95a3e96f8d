//! Tests of the runtime rules. The `fixtures/*.json` commits are real scorm-again 3.4.3
//! outputs; `fixtures/README.md` says how they were made and how the seeds were checked.

use super::*;
use crate::learner::{EnrollmentStatus, Success};
use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use serde_json::{Value, json};

const V12: ScormVersion = ScormVersion::V12;
const V2004: ScormVersion = ScormVersion::V2004;

fn fixture(name: &str) -> Value {
    let text = match name {
        "scorm12-initial" => include_str!("fixtures/scorm12-initial.json"),
        "scorm12-commit" => include_str!("fixtures/scorm12-commit.json"),
        "scorm12-terminate" => include_str!("fixtures/scorm12-terminate.json"),
        "scorm2004-initial" => include_str!("fixtures/scorm2004-initial.json"),
        "scorm2004-commit" => include_str!("fixtures/scorm2004-commit.json"),
        "scorm2004-terminate" => include_str!("fixtures/scorm2004-terminate.json"),
        "scorm12-resumed-terminate" => include_str!("fixtures/scorm12-resumed-terminate.json"),
        "scorm2004-resumed-terminate" => {
            include_str!("fixtures/scorm2004-resumed-terminate.json")
        }
        "scorm12-full" => include_str!("fixtures/scorm12-full.json"),
        "scorm2004-full" => include_str!("fixtures/scorm2004-full.json"),
        "seed-12" => include_str!("fixtures/seed-12.json"),
        "seed-2004" => include_str!("fixtures/seed-2004.json"),
        other => panic!("no fixture {other}"),
    };
    serde_json::from_str(text).expect("fixture is JSON")
}

/// `fixture` with `value` put at the dotted `path` below the envelope's `cmi`.
fn with(name: &str, path: &str, value: Value) -> Value {
    let mut commit = fixture(name);
    let mut target = commit.get_mut("cmi").expect("envelope");
    let keys: Vec<&str> = path.split('.').collect();
    for key in &keys[..keys.len() - 1] {
        target = target
            .as_object_mut()
            .expect("object")
            .entry((*key).to_owned())
            .or_insert_with(|| json!({}));
    }
    target
        .as_object_mut()
        .expect("object")
        .insert(keys[keys.len() - 1].to_owned(), value);
    commit
}

fn refused(version: ScormVersion, commit: &Value) -> (String, u16) {
    let error = read_report(version, commit).expect_err("refused");
    (error.to_string(), error.code)
}

// ---- version --------------------------------------------------------------------------------

#[test]
fn version_from_manifest() {
    assert_eq!(ScormVersion::from_manifest(Some("1.2")), V12);
    assert_eq!(ScormVersion::from_manifest(None), V12);
    assert_eq!(ScormVersion::from_manifest(Some("CAM 1.3")), V12);
    assert_eq!(ScormVersion::from_manifest(Some("2004 3rd Edition")), V2004);
    assert_eq!(ScormVersion::from_manifest(Some("2004 4th Edition")), V2004);
    assert_eq!(V12.as_str(), "1.2");
    assert_eq!(V2004.as_str(), "2004");
    assert_eq!(serde_json::to_value(V2004).unwrap(), json!("2004"));
}

// ---- durations ------------------------------------------------------------------------------

#[test]
fn timespans_of_1_2() {
    assert_eq!(parse_duration(V12, "0001:02:03.5"), Ok(3723.5));
    assert_eq!(parse_duration(V12, "01:02:03.25"), Ok(3723.25));
    assert_eq!(parse_duration(V12, "00:00:00"), Ok(0.0));
    // scorm-again accepts one hour digit and more than four.
    assert_eq!(parse_duration(V12, "1:00:00"), Ok(3600.0));
    assert_eq!(parse_duration(V12, "17496:00:00"), Ok(17496.0 * 3600.0));
    for bad in [
        "",
        "x",
        "00:00",
        "00:0:00",
        "00:00:0",
        "00:00:00.",
        "00:00:00.123",
        "-1:00:00",
        "00:00:00:00",
        "PT1S",
        " 00:00:00",
    ] {
        assert!(parse_duration(V12, bad).is_err(), "{bad:?}");
    }
    assert_eq!(parse_duration(V12, "99999999999:00:00"), Err(DurationError::TooLong));
    assert!(parse_duration(V12, "9999999999999999999999:00:00").is_err());
}

#[test]
fn intervals_of_2004() {
    assert_eq!(parse_duration(V2004, "PT1H30M5.5S"), Ok(5405.5));
    assert_eq!(parse_duration(V2004, "PT0H0M0S"), Ok(0.0));
    assert_eq!(parse_duration(V2004, "P1D"), Ok(86_400.0));
    assert_eq!(parse_duration(V2004, "P1Y"), Ok(365.0 * 86_400.0));
    assert_eq!(parse_duration(V2004, "P1M"), Ok(30.0 * 86_400.0));
    assert_eq!(parse_duration(V2004, "P1W"), Ok(7.0 * 86_400.0));
    assert_eq!(parse_duration(V2004, "P1DT1M"), Ok(86_460.0));
    assert_eq!(parse_duration(V2004, "PT0.5H"), Ok(1800.0));
    assert_eq!(parse_duration(V2004, "PT1,5S"), Ok(1.5));
    assert_eq!(parse_duration(V2004, "PT"), Ok(0.0));
    assert_eq!(parse_duration(V2004, "P"), Ok(0.0));
    // scorm-again lets the T go.
    assert_eq!(parse_duration(V2004, "P1H"), Ok(3600.0));
    for bad in [
        "", "T1S", "PT1", "PT1X", "PTS", "PT1S1M", "PT1M1H", "P1D1Y", "PT-1S", "PT1..5S", "PT1.S", "P1Y1Y", "00:00:01",
        "pt1s",
    ] {
        assert!(parse_duration(V2004, bad).is_err(), "{bad:?}");
    }
    assert_eq!(parse_duration(V2004, "P101Y"), Err(DurationError::TooLong));
    assert_eq!(
        parse_duration(V2004, "PT1S").map(|s| s <= MAX_DURATION_SECONDS),
        Ok(true)
    );
}

#[test]
fn durations_are_written_in_each_format() {
    assert_eq!(format_duration(V12, 3723.5), "0001:02:03.50");
    assert_eq!(format_duration(V12, 0.0), "0000:00:00.00");
    assert_eq!(format_duration(V12, 36_000_000.0), "10000:00:00.00");
    assert_eq!(format_duration(V12, -5.0), "0000:00:00.00");
    assert_eq!(format_duration(V12, f64::NAN), "0000:00:00.00");
    assert_eq!(format_duration(V2004, 5405.5), "PT1H30M5.5S");
    assert_eq!(format_duration(V2004, 0.0), "PT0S");
    assert_eq!(format_duration(V2004, 60.0), "PT1M");
    assert_eq!(format_duration(V2004, 7200.07), "PT2H0.07S");
    assert_eq!(
        format_duration(V2004, f64::INFINITY),
        format_duration(V2004, MAX_DURATION_SECONDS)
    );
}

proptest! {
    #[test]
    fn durations_round_trip(centis in 0u64..(MAX_DURATION_SECONDS as u64 * 100)) {
        let seconds = centis as f64 / 100.0;
        for version in [V12, V2004] {
            let text = format_duration(version, seconds);
            let back = parse_duration(version, &text).expect("own format parses");
            prop_assert!((back - seconds).abs() < 0.006, "{} -> {} -> {}", seconds, text, back);
        }
    }

    #[test]
    fn durations_never_panic(raw in "\\PC{0,40}") {
        for version in [V12, V2004] {
            if let Ok(seconds) = parse_duration(version, &raw) {
                prop_assert!((0.0..=MAX_DURATION_SECONDS).contains(&seconds));
            }
        }
    }
}

// ---- reading commits ------------------------------------------------------------------------

#[test]
fn reads_the_initial_commits() {
    let report = read_report(V12, &fixture("scorm12-initial")).unwrap();
    assert_eq!(report.lesson_status, Some(LessonStatus::NotAttempted));
    assert_eq!(report.score.raw, None);
    assert_eq!(report.score.max, Some(100.0), "scorm-again's default max");
    assert_eq!(report.session_seconds, 0.0);
    assert_eq!(report.exit, Exit::None);
    assert_eq!(report.credit, Credit::Credit, "an unseeded empty credit");
    let report = read_report(V2004, &fixture("scorm2004-initial")).unwrap();
    assert_eq!(report.completion_status, Some(CompletionStatus::Unknown));
    assert_eq!(report.success_status, Some(Success::Unknown));
    assert_eq!(report.score, Score::default());
    assert_eq!(report.interactions, 0);
}

#[test]
fn reads_a_1_2_commit() {
    for name in ["scorm12-commit", "scorm12-terminate"] {
        let report = read_report(V12, &fixture(name)).unwrap();
        assert_eq!(report.location, "page-3");
        assert_eq!(report.suspend_data.len(), 5000, "over 1.2's 4,096, whole");
        assert_eq!(report.lesson_status, Some(LessonStatus::Passed));
        assert_eq!(
            report.score,
            Score {
                raw: Some(85.0),
                min: Some(0.0),
                max: Some(100.0),
                scaled: None
            }
        );
        assert_eq!(report.session_seconds, 3723.5);
        assert_eq!(report.exit, Exit::Suspend);
        assert_eq!(report.mode, Mode::Normal);
        assert_eq!((report.interactions, report.objectives), (1, 1));
    }
}

#[test]
fn reads_a_2004_commit() {
    for name in ["scorm2004-commit", "scorm2004-terminate"] {
        let report = read_report(V2004, &fixture(name)).unwrap();
        assert_eq!(report.location, "page-7");
        assert_eq!(report.suspend_data, "{\"p\":7}");
        assert_eq!(report.completion_status, Some(CompletionStatus::Completed));
        assert_eq!(report.success_status, Some(Success::Passed));
        assert_eq!(
            report.score,
            Score {
                raw: Some(42.0),
                min: Some(0.0),
                max: Some(50.0),
                scaled: Some(0.84)
            }
        );
        assert_eq!(report.progress_measure, Some(0.9));
        assert_eq!(report.session_seconds, 5405.5);
        assert_eq!(report.exit, Exit::Suspend);
        assert_eq!((report.interactions, report.objectives), (1, 1));
    }
}

#[test]
fn accepts_every_element_at_the_edge_of_scorm_again_s_checks() {
    let report = read_report(V12, &fixture("scorm12-full")).unwrap();
    assert_eq!(report.location, "é".repeat(255));
    assert_eq!(report.suspend_data.chars().count(), 4110);
    assert_eq!(report.lesson_status, Some(LessonStatus::Browsed));
    assert_eq!(
        (report.score.raw, report.score.min, report.score.max),
        (Some(100.0), Some(0.0), Some(0.5))
    );
    assert_eq!(report.session_seconds, 12345.0 * 3600.0 + 59.0 * 60.0 + 59.99);
    assert_eq!(report.exit, Exit::TimeOut);
    assert_eq!((report.interactions, report.objectives), (3, 3));
    let report = read_report(V2004, &fixture("scorm2004-full")).unwrap();
    assert_eq!(report.location, "é".repeat(1000));
    assert_eq!(report.completion_status, Some(CompletionStatus::NotAttempted));
    assert_eq!(report.success_status, Some(Success::Failed));
    assert_eq!(report.score.scaled, Some(-1.0));
    assert_eq!(report.score.raw, Some(-1_234_567_890.123_456_8));
    assert_eq!(report.progress_measure, Some(1.0));
    let days = 365.0 + 2.0 * 30.0 + 3.0 * 7.0 + 4.0;
    assert_eq!(
        report.session_seconds,
        days * 86_400.0 + 5.0 * 3600.0 + 6.0 * 60.0 + 7.89
    );
    assert_eq!(report.exit, Exit::Logout);
    assert_eq!((report.interactions, report.objectives), (10, 3));
}

#[test]
fn accepts_the_bare_cmi_and_2004_adl_beside_it() {
    let bare = fixture("scorm2004-commit")["cmi"].clone();
    assert_eq!(
        read_report(V2004, &bare).unwrap(),
        read_report(V2004, &fixture("scorm2004-commit")).unwrap()
    );
    let mut commit = fixture("scorm2004-commit");
    commit["adl"] = json!({"data": {"0": {"id": "", "store": ""}}});
    commit["sharedData"] = json!({"store-1": "x"});
    assert!(read_report(V2004, &commit).is_ok());
    let mut commit = fixture("scorm12-commit");
    commit["adl"] = json!({});
    assert_eq!(
        refused(V12, &commit),
        ("adl: not an element of the SCORM 1.2 data model".into(), 401)
    );
}

#[test]
fn limits_are_scorm_again_s() {
    let long = |n: usize| Value::String("x".repeat(n));
    assert!(read_report(V12, &with("scorm12-commit", "suspend_data", long(64_000))).is_ok());
    assert!(read_report(V2004, &with("scorm2004-commit", "suspend_data", long(64_000))).is_ok());
    assert_eq!(
        refused(V12, &with("scorm12-commit", "suspend_data", long(64_001))),
        ("cmi.suspend_data: is 64001 characters long, at most 64000".into(), 405)
    );
    assert_eq!(
        refused(V2004, &with("scorm2004-commit", "suspend_data", long(64_001))).1,
        406
    );
    assert!(read_report(V12, &with("scorm12-commit", "core.lesson_location", long(255))).is_ok());
    assert_eq!(
        refused(V12, &with("scorm12-commit", "core.lesson_location", long(256))).1,
        405
    );
    assert!(read_report(V2004, &with("scorm2004-commit", "location", long(1000))).is_ok());
    assert_eq!(
        refused(V2004, &with("scorm2004-commit", "location", long(1001))),
        ("cmi.location: is 1001 characters long, at most 1000".into(), 406)
    );
    // Lengths are JavaScript's: an emoji is two UTF-16 code units.
    let emoji = Value::String("😀".repeat(32_001));
    assert_eq!(
        refused(V2004, &with("scorm2004-commit", "suspend_data", emoji)).0,
        "cmi.suspend_data: is 64002 characters long, at most 64000"
    );
}

#[test]
fn refuses_what_is_not_in_the_data_model() {
    assert_eq!(
        refused(V12, &with("scorm12-commit", "foo", json!("1"))),
        ("cmi.foo: not an element of the SCORM 1.2 data model".into(), 401)
    );
    assert_eq!(
        refused(V2004, &with("scorm2004-commit", "core", json!({}))),
        ("cmi.core: not an element of the SCORM 2004 data model".into(), 401)
    );
    assert_eq!(
        refused(V12, &with("scorm12-commit", "core.score.scaled", json!("1"))).0,
        "cmi.core.score.scaled: not an element of the SCORM 1.2 data model"
    );
    assert_eq!(
        refused(V2004, &with("scorm2004-commit", "interactions.0.foo", json!("1"))).0,
        "cmi.interactions.0.foo: not an element of the SCORM 2004 data model"
    );
    assert_eq!(
        refused(V2004, &with("scorm2004-commit", "objectives.x", json!({}))).0,
        "cmi.objectives.x: not an element of the SCORM 2004 data model"
    );
}

#[test]
fn refuses_wrong_types_and_malformed_values() {
    let cases12 = [
        (
            "core.lesson_status",
            json!("bogus"),
            405,
            "cmi.core.lesson_status: \"bogus\" is not one of",
        ),
        (
            "core.score.raw",
            json!("abc"),
            405,
            "cmi.core.score.raw: \"abc\" is not a decimal number",
        ),
        (
            "core.score.raw",
            json!("101"),
            405,
            "cmi.core.score.raw: 101 is out of range (0 to 100)",
        ),
        ("core.score.raw", json!(85), 405, "cmi.core.score.raw: must be a string"),
        (
            "core.session_time",
            json!("x"),
            405,
            "cmi.core.session_time: is not a SCORM 1.2 timespan",
        ),
        (
            "core.exit",
            json!("normal"),
            405,
            "cmi.core.exit: \"normal\" is not one of",
        ),
        ("core", json!("x"), 405, "cmi.core: must be an object"),
        (
            "interactions",
            json!("x"),
            405,
            "cmi.interactions: must be an object of numbered entries",
        ),
    ];
    for (path, value, code, message) in cases12 {
        let (text, got) = refused(V12, &with("scorm12-commit", path, value));
        assert_eq!(got, code, "{path}");
        assert!(text.starts_with(message), "{text}");
    }
    let cases2004 = [
        ("completion_status", json!("done"), 406),
        ("success_status", json!("yes"), 406),
        ("score.raw", json!("abc"), 406),
        ("score.scaled", json!("1.5"), 407),
        ("progress_measure", json!("2"), 407),
        ("session_time", json!("01:00:00"), 406),
        ("exit", json!("bogus"), 406),
        ("score", json!([]), 406),
    ];
    for (path, value, code) in cases2004 {
        let (text, got) = refused(V2004, &with("scorm2004-commit", path, value));
        assert_eq!(got, code, "{path}: {text}");
        assert!(text.starts_with(&format!("cmi.{path}: ")), "{text}");
    }
    assert_eq!(refused(V12, &json!([])).0, "cmi: must be an object");
}

#[test]
fn empty_and_null_mean_not_set() {
    let report = read_report(V2004, &with("scorm2004-commit", "score.scaled", json!(""))).unwrap();
    assert_eq!(report.score.scaled, None);
    let report = read_report(V2004, &with("scorm2004-commit", "location", Value::Null)).unwrap();
    assert_eq!(report.location, "");
}

#[test]
fn lists_are_bounded() {
    let entries = |n: usize| {
        Value::Object(
            (0..n)
                .map(|i| (i.to_string(), json!({"id": format!("q{i}")})))
                .collect(),
        )
    };
    let report = read_report(
        V2004,
        &with("scorm2004-commit", "interactions", entries(MAX_INTERACTIONS)),
    )
    .unwrap();
    assert_eq!(report.interactions, MAX_INTERACTIONS);
    assert_eq!(
        refused(
            V2004,
            &with("scorm2004-commit", "interactions", entries(MAX_INTERACTIONS + 1))
        ),
        ("cmi.interactions: has 1001 entries, at most 1000".into(), 407)
    );
    assert_eq!(
        refused(V12, &with("scorm12-commit", "objectives", entries(MAX_OBJECTIVES + 1))).1,
        405
    );
    let array = json!([{"id": "a"}, {"id": "b"}]);
    let report = read_report(V12, &with("scorm12-commit", "objectives", array)).unwrap();
    assert_eq!(report.objectives, 2);
}

#[test]
fn deep_input_is_refused_without_descending() {
    // As deep as serde_json parses (its recursion limit is 128).
    let text = format!("{}\"x\"{}", "{\"a\":".repeat(120), "}".repeat(120));
    let deep: Value = serde_json::from_str(&text).expect("parses");
    assert_eq!(
        refused(V12, &with("scorm12-commit", "core.score", deep.clone())).0,
        "cmi.core.score.a: not an element of the SCORM 1.2 data model"
    );
    assert_eq!(
        refused(V12, &with("scorm12-commit", "suspend_data", deep)).0,
        "cmi.suspend_data: must be a string"
    );
}

proptest! {
    #[test]
    fn reading_never_panics(
        key in "[a-z_]{1,12}",
        value in prop_oneof![
            Just(json!(null)), any::<f64>().prop_map(|f| json!(f)), "\\PC{0,20}".prop_map(Value::String),
            Just(json!({})), Just(json!([])),
        ],
        version in prop_oneof![Just(V12), Just(V2004)],
    ) {
        let name = if version == V12 { "scorm12-commit" } else { "scorm2004-commit" };
        let _ = read_report(version, &with(name, &key, value.clone()));
        let _ = read_report(version, &with(name, &format!("core.{key}"), value.clone()));
        let _ = read_report(version, &with(name, &format!("score.{key}"), value));
    }
}

proptest! {
    #[test]
    fn accepted_text_is_kept_whole(text in "\\PC{0,300}") {
        let commit = with("scorm2004-commit", "suspend_data", Value::String(text.clone()));
        let report = read_report(V2004, &commit).expect("within the limit");
        prop_assert_eq!(report.suspend_data, text.clone());
        let commit = with("scorm12-commit", "core.lesson_location", Value::String(text.clone()));
        match read_report(V12, &commit) {
            Ok(report) => prop_assert_eq!(report.location, text),
            Err(error) => prop_assert!(text.encode_utf16().count() > MAX_LOCATION_CHARS_12, "{}", error),
        }
    }
}

// ---- state and attempts ---------------------------------------------------------------------

fn report(session_seconds: f64, exit: Exit) -> Report {
    Report {
        session_seconds,
        exit,
        ..Report::default()
    }
}

#[test]
fn session_times_add_up_across_sessions() {
    let state =
        ScoState::default()
            .apply(report(10.0, Exit::None), "s1", false)
            .apply(report(25.0, Exit::None), "s1", false);
    assert_eq!((state.base_seconds, state.session_seconds), (0.0, 25.0));
    // The latest session_time of a session counts, even a smaller one.
    let state = state.apply(report(20.0, Exit::Suspend), "s1", true);
    assert_eq!(state.total_seconds(), 20.0);
    let state = state.apply(report(5.0, Exit::None), "s2", false);
    assert_eq!((state.base_seconds, state.session_seconds), (20.0, 5.0));
    assert_eq!(state.session, "s2");
    assert_eq!(state.total_seconds(), 25.0);
    let back: ScoState = serde_json::from_str(&serde_json::to_string(&state).unwrap()).unwrap();
    assert_eq!(back, state);
    let read: ScoState = serde_json::from_str("{}").unwrap();
    assert_eq!(read, ScoState::default());
}

#[test]
fn attempts_end_at_terminate_without_suspend() {
    let base = ScoState::default();
    let suspended = base.apply(report(1.0, Exit::Suspend), "s", true);
    let finished = base.apply(report(1.0, Exit::Logout), "s", true);
    let normal = base.apply(report(1.0, Exit::Normal), "s", true);
    let blank = base.apply(report(1.0, Exit::None), "s", true);
    let open = base.apply(report(1.0, Exit::None), "s", false);
    let open_suspended = base.apply(report(1.0, Exit::Suspend), "s", false);
    assert!(!ends_attempt(&suspended));
    assert!(ends_attempt(&finished) && ends_attempt(&normal) && ends_attempt(&blank));
    assert!(!ends_attempt(&open));
    assert_eq!(Entry::next(None), Entry::AbInitio);
    assert_eq!(Entry::next(Some(&suspended)), Entry::Resume);
    assert_eq!(Entry::next(Some(&open_suspended)), Entry::Resume);
    assert_eq!(
        Entry::next(Some(&finished)),
        Entry::Continue,
        "the caller starts a new attempt"
    );
    assert_eq!(Entry::next(Some(&open)), Entry::Continue);
    assert_eq!(
        [Entry::AbInitio, Entry::Resume, Entry::Continue].map(Entry::as_str),
        ["ab-initio", "resume", ""]
    );
}

#[test]
fn a_package_attempt_ends_when_every_sco_has_ended() {
    let base = ScoState::default();
    let ended = base.apply(report(1.0, Exit::None), "s", true);
    let suspended = base.apply(report(1.0, Exit::Suspend), "s", true);
    let (sco, asset) = (SlotKind::Sco, SlotKind::Asset);
    assert!(package_attempt_ends(&[(sco, Some(&ended))]));
    assert!(!package_attempt_ends(&[(sco, Some(&suspended))]));
    assert!(!package_attempt_ends(&[(sco, None)]));
    assert!(package_attempt_ends(&[
        (sco, Some(&ended)),
        (asset, None),
        (sco, Some(&ended))
    ]));
    assert!(!package_attempt_ends(&[(sco, Some(&ended)), (sco, None)]));
    assert!(!package_attempt_ends(&[(sco, Some(&ended)), (sco, Some(&suspended))]));
    // Only assets: the first item counts.
    assert!(package_attempt_ends(&[(asset, Some(&ended)), (asset, None)]));
    assert!(!package_attempt_ends(&[]));
}

// ---- rollup ---------------------------------------------------------------------------------

fn state_of(report: Report) -> ScoState {
    ScoState::default().apply(report, "s", false)
}

fn thresholds(mastery_score: Option<f64>, completion_threshold: Option<f64>) -> Thresholds {
    Thresholds {
        mastery_score,
        completion_threshold,
    }
}

#[test]
fn rollup_of_1_2() {
    let with_status = |status, raw: Option<f64>, credit| {
        state_of(Report {
            lesson_status: Some(status),
            score: Score {
                raw,
                ..Score::default()
            },
            credit,
            ..Report::default()
        })
    };
    let none = thresholds(None, None);
    let mastery = thresholds(Some(80.0), None);
    let o = outcome(V12, &with_status(LessonStatus::Completed, None, Credit::Credit), &none);
    assert_eq!((o.completed, o.success, o.score), (true, Success::Unknown, None));
    let o = outcome(V12, &with_status(LessonStatus::Failed, None, Credit::Credit), &none);
    assert_eq!((o.completed, o.success), (true, Success::Failed));
    let o = outcome(V12, &with_status(LessonStatus::Incomplete, None, Credit::Credit), &none);
    assert_eq!((o.completed, o.success), (false, Success::Unknown));
    let o = outcome(V12, &with_status(LessonStatus::Browsed, None, Credit::Credit), &none);
    assert!(!o.completed);
    // The mastery score decides when a raw score was reported in credit mode.
    let o = outcome(
        V12,
        &with_status(LessonStatus::Failed, Some(80.0), Credit::Credit),
        &mastery,
    );
    assert_eq!((o.completed, o.success, o.score), (true, Success::Passed, Some(80.0)));
    let o = outcome(
        V12,
        &with_status(LessonStatus::Passed, Some(79.5), Credit::Credit),
        &mastery,
    );
    assert_eq!(o.success, Success::Failed);
    let o = outcome(
        V12,
        &with_status(LessonStatus::Incomplete, Some(90.0), Credit::Credit),
        &mastery,
    );
    assert_eq!(
        (o.completed, o.success),
        (false, Success::Passed),
        "a score never completes"
    );
    let o = outcome(
        V12,
        &with_status(LessonStatus::Passed, Some(10.0), Credit::NoCredit),
        &mastery,
    );
    assert_eq!(o.success, Success::Passed, "no-credit keeps the content's status");
    let o = outcome(V12, &with_status(LessonStatus::Passed, None, Credit::Credit), &mastery);
    assert_eq!(o.success, Success::Passed);
}

#[test]
fn rollup_of_2004() {
    let of = |completion, success, progress: Option<f64>, scaled: Option<f64>| {
        state_of(Report {
            completion_status: Some(completion),
            success_status: Some(success),
            progress_measure: progress,
            score: Score {
                scaled,
                ..Score::default()
            },
            ..Report::default()
        })
    };
    let none = thresholds(None, None);
    let both = thresholds(Some(0.8), Some(0.75));
    let o = outcome(
        V2004,
        &of(CompletionStatus::Completed, Success::Passed, None, None),
        &none,
    );
    assert_eq!((o.completed, o.success, o.score), (true, Success::Passed, None));
    let o = outcome(
        V2004,
        &of(CompletionStatus::Completed, Success::Passed, Some(0.5), Some(0.5)),
        &both,
    );
    assert_eq!((o.completed, o.success, o.score), (false, Success::Failed, Some(50.0)));
    let o = outcome(
        V2004,
        &of(CompletionStatus::Incomplete, Success::Unknown, Some(0.75), Some(0.8)),
        &both,
    );
    assert_eq!((o.completed, o.success), (true, Success::Passed));
    // A threshold without the content's measure falls back to the statuses.
    let o = outcome(
        V2004,
        &of(CompletionStatus::Incomplete, Success::Failed, None, None),
        &both,
    );
    assert_eq!((o.completed, o.success), (false, Success::Failed));
    let o = outcome(
        V2004,
        &of(CompletionStatus::Unknown, Success::Unknown, None, Some(-0.5)),
        &none,
    );
    assert_eq!(o.score, Some(0.0), "clamped");
}

#[test]
fn scores_as_percent() {
    let of = |raw, min, max, scaled| {
        let state = state_of(Report {
            score: Score { raw, min, max, scaled },
            ..Report::default()
        });
        outcome(V2004, &state, &Thresholds::default()).score
    };
    assert_eq!(of(Some(42.0), Some(0.0), Some(50.0), Some(0.5)), Some(50.0));
    assert_eq!(of(Some(42.0), Some(0.0), Some(50.0), None), Some(84.0));
    assert_eq!(of(Some(15.0), Some(10.0), Some(20.0), None), Some(50.0));
    assert_eq!(of(Some(42.0), Some(50.0), Some(50.0), None), Some(42.0));
    assert_eq!(of(Some(420.0), None, None, None), Some(100.0));
    assert_eq!(of(Some(-3.0), None, Some(10.0), None), Some(0.0));
    assert_eq!(of(None, Some(0.0), Some(10.0), None), None);
    assert_eq!(of(None, None, None, Some(2.0)), Some(100.0));
}

fn sco(completed: bool, success: Success, score: Option<f64>) -> ScoSlot {
    ScoSlot {
        kind: SlotKind::Sco,
        outcome: Some(ScoOutcome {
            completed,
            success,
            score,
        }),
    }
}

const ASSET: ScoSlot = ScoSlot {
    kind: SlotKind::Asset,
    outcome: None,
};

#[test]
fn multi_sco_rollup() {
    let o = activity_outcome(&[
        sco(true, Success::Passed, Some(80.0)),
        ASSET,
        sco(true, Success::Unknown, None),
        sco(true, Success::Unknown, Some(60.0)),
    ]);
    assert_eq!((o.completed, o.success, o.score), (true, Success::Passed, Some(70.0)));
    let o = activity_outcome(&[
        sco(true, Success::Passed, Some(80.0)),
        ScoSlot {
            kind: SlotKind::Sco,
            outcome: None,
        },
    ]);
    assert_eq!((o.completed, o.success, o.score), (false, Success::Unknown, Some(80.0)));
    let o = activity_outcome(&[sco(true, Success::Passed, None), sco(false, Success::Failed, None)]);
    assert_eq!((o.completed, o.success), (false, Success::Failed));
    // Only assets: the first item (the one the package opens) counts.
    let first = ScoSlot {
        kind: SlotKind::Asset,
        outcome: Some(ScoOutcome {
            completed: true,
            success: Success::Unknown,
            score: None,
        }),
    };
    assert!(activity_outcome(&[first, ASSET]).completed);
    assert!(!activity_outcome(&[ASSET, first]).completed);
    assert_eq!(activity_outcome(&[]), ActivityOutcome::default());
}

// ---- summary --------------------------------------------------------------------------------

fn at(minute: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 10, minute, 0).unwrap()
}

fn activity(completed: bool, success: Success, score: Option<f64>) -> ActivityOutcome {
    ActivityOutcome {
        completed,
        success,
        score,
    }
}

#[test]
fn summary_across_attempts() {
    let start = Summary::default();
    assert_eq!(start.status, EnrollmentStatus::NotStarted);
    let s1 = summarize(&start, &activity(false, Success::Failed, Some(40.0)), at(1));
    assert_eq!(
        (s1.status, s1.success, s1.score, s1.started_on, s1.completed_on),
        (
            EnrollmentStatus::InProgress,
            Success::Failed,
            Some(40.0),
            Some(at(1)),
            None
        )
    );
    let s2 = summarize(&s1, &activity(true, Success::Passed, Some(90.0)), at(2));
    assert_eq!(
        (s2.status, s2.success, s2.score, s2.completed_on),
        (EnrollmentStatus::Completed, Success::Passed, Some(90.0), Some(at(2)))
    );
    // A new, worse attempt lowers nothing.
    let s3 = summarize(&s2, &activity(false, Success::Failed, Some(10.0)), at(3));
    assert_eq!(
        (s3.status, s3.success, s3.score, s3.completed_on, s3.started_on),
        (
            EnrollmentStatus::Completed,
            Success::Passed,
            Some(90.0),
            Some(at(2)),
            Some(at(1))
        )
    );
    let wire: Vec<&str> = [
        EnrollmentStatus::NotStarted,
        EnrollmentStatus::InProgress,
        EnrollmentStatus::Completed,
    ]
    .iter()
    .map(|s| s.as_str())
    .collect();
    assert_eq!(wire, ["not-started", "in-progress", "completed"]);
    assert_eq!(serde_json::to_value(Success::Passed).unwrap(), json!("passed"));
    assert_eq!(
        serde_json::to_value(EnrollmentStatus::InProgress).unwrap(),
        json!("in-progress")
    );
}

fn any_success() -> impl Strategy<Value = Success> {
    prop_oneof![Just(Success::Unknown), Just(Success::Passed), Just(Success::Failed)]
}

fn any_activity() -> impl Strategy<Value = ActivityOutcome> {
    (any::<bool>(), any_success(), proptest::option::of(0.0..=100.0f64))
        .prop_map(|(completed, success, score)| activity(completed, success, score))
}

proptest! {
    #[test]
    fn summarize_is_monotone(outcomes in proptest::collection::vec(any_activity(), 1..12)) {
        let rank = |s: Success| match s { Success::Unknown => 0, Success::Failed => 1, Success::Passed => 2 };
        let mut summary = Summary::default();
        for (minute, current) in outcomes.iter().enumerate() {
            let next = summarize(&summary, current, at(minute as u32));
            prop_assert!(next.status >= summary.status.max(EnrollmentStatus::InProgress));
            prop_assert!(rank(next.success) >= rank(summary.success));
            prop_assert!(next.score >= summary.score);
            if summary.completed_on.is_some() {
                prop_assert_eq!(next.completed_on, summary.completed_on);
            }
            prop_assert_eq!(next.completed_on.is_some(), next.status == EnrollmentStatus::Completed);
            if current.completed { prop_assert_eq!(next.status, EnrollmentStatus::Completed); }
            if current.success == Success::Passed { prop_assert_eq!(next.success, Success::Passed); }
            summary = next;
        }
        let best = outcomes.iter().filter_map(|o| o.score).fold(None, |m: Option<f64>, s| Some(m.map_or(s, |m| m.max(s))));
        prop_assert_eq!(summary.score, best);
    }
}

// ---- seed -----------------------------------------------------------------------------------

fn resumed_state(version: ScormVersion) -> ScoState {
    let name = match version {
        V12 => "scorm12-commit",
        V2004 => "scorm2004-commit",
    };
    let mut report = read_report(version, &fixture(name)).unwrap();
    report.suspend_data = "abc".into();
    ScoState::default()
        .apply(report.clone(), "s1", false)
        .apply(report, "s2", true)
}

fn seed_input(version: ScormVersion) -> SeedInput<'static> {
    SeedInput {
        entry: Entry::Resume,
        learner: Learner {
            id: "jon.jonsson",
            name: "Jonsson, Jon",
        },
        thresholds: match version {
            V12 => thresholds(Some(80.0), None),
            V2004 => thresholds(Some(0.8), Some(0.9)),
        },
        launch_data: "x=1",
        credit: Credit::Credit,
        mode: Mode::Normal,
        objectives: &[],
    }
}

#[test]
fn a_2004_seed_carries_the_manifests_objective_ids_and_a_12_seed_none() {
    let ids = ["PRIMARYOBJ", "obj_etiquette", "", "bad\nid"].map(String::from);
    let mut input = seed_input(V2004);
    input.objectives = &ids;
    let seeded = seed(V2004, None, &input);
    assert_eq!(
        seeded["cmi"]["objectives"],
        json!([{"id": "PRIMARYOBJ"}, {"id": "obj_etiquette"}]),
        "{seeded}"
    );
    let mut input = seed_input(V12);
    input.objectives = &ids;
    assert_eq!(seed(V12, None, &input)["cmi"].get("objectives"), None);
}

#[test]
fn seeds_match_the_checked_fixtures() {
    for (version, name) in [(V12, "seed-12"), (V2004, "seed-2004")] {
        let state = resumed_state(version);
        let seeded = seed(version, Some(&state), &seed_input(version));
        assert_eq!(seeded, fixture(name), "{version}: {seeded}");
    }
}

#[test]
fn thresholds_out_of_range_are_dropped() {
    let wild = thresholds(Some(101.0), Some(1.5));
    assert_eq!(wild.usable(V12), Thresholds::default());
    assert_eq!(wild.usable(V2004), Thresholds::default());
    assert_eq!(
        thresholds(Some(-0.5), Some(0.0)).usable(V2004),
        thresholds(Some(-0.5), Some(0.0))
    );
    assert_eq!(
        thresholds(Some(80.0), Some(0.5)).usable(V12),
        thresholds(Some(80.0), None)
    );
    let mut input = seed_input(V2004);
    input.thresholds = thresholds(Some(2.0), Some(0.5));
    let seeded = seed(V2004, None, &input);
    assert_eq!(seeded["cmi"].get("scaled_passing_score"), None);
    assert_eq!(seeded["cmi"]["completion_threshold"], json!("0.5"));
    let passed = state_of(Report {
        success_status: Some(Success::Passed),
        score: Score {
            scaled: Some(0.9),
            ..Score::default()
        },
        ..Report::default()
    });
    assert_eq!(outcome(V2004, &passed, &input.thresholds).success, Success::Passed);
}

#[test]
fn a_new_attempt_seeds_only_the_launch() {
    let mut input = seed_input(V2004);
    input.entry = Entry::AbInitio;
    input.thresholds = Thresholds::default();
    input.launch_data = "";
    assert_eq!(
        seed(V2004, None, &input),
        json!({"cmi": {"learner_id": "jon.jonsson", "learner_name": "Jonsson, Jon",
            "credit": "credit", "entry": "ab-initio", "mode": "normal"}})
    );
    let mut input = seed_input(V12);
    input.entry = Entry::Continue;
    input.thresholds = Thresholds::default();
    input.credit = Credit::NoCredit;
    input.mode = Mode::Review;
    assert_eq!(
        seed(V12, None, &input),
        json!({"cmi": {"core": {"student_id": "jon.jonsson", "student_name": "Jonsson, Jon",
            "credit": "no-credit", "lesson_mode": "review"}, "launch_data": "x=1"}})
    );
}

#[test]
fn a_resumed_session_adds_its_time_and_ends_the_attempt() {
    for (version, name) in [
        (V12, "scorm12-resumed-terminate"),
        (V2004, "scorm2004-resumed-terminate"),
    ] {
        let before = resumed_state(version);
        let report = read_report(version, &fixture(name)).unwrap();
        assert_eq!(report.location, before.report.location, "{version}");
        assert_eq!(report.suspend_data, "abc");
        let after = before.apply(report, "s3", true);
        // The content's own total_time (seed + session) is ignored; the server's sum agrees.
        assert_eq!(after.total_seconds(), before.total_seconds() + 600.0);
        assert!(ends_attempt(&after));
        assert!(package_attempt_ends(&[(SlotKind::Sco, Some(&after))]));
    }
}
