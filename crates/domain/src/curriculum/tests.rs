//! Unit tests of the curriculum rules.

use super::*;
use crate::activity::ActivityKind;
use crate::ids::{ActivityId, RecordId, TenantId};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};

const PATH: ActivityId = ActivityId(1);
const ACCOUNT: TenantId = TenantId(9);

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap()
}

fn later() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 8, 30, 0).unwrap()
}

fn new_path() -> Curriculum {
    Curriculum::for_new_course(PATH, ACCOUNT, RecordId(10), now())
}

fn scorm(id: i64) -> CourseRef {
    CourseRef {
        id: ActivityId(id),
        kind: ActivityKind::Scorm,
        name: format!("Activity {id}"),
    }
}

fn named(name: &str) -> RecordInput {
    RecordInput {
        name: Patch::Value(name.to_owned()),
        ..RecordInput::default()
    }
}

fn in_section(parent: i64) -> RecordInput {
    RecordInput {
        parent_id: Patch::Value(RecordId(parent)),
        ..RecordInput::default()
    }
}

fn messages(result: Result<impl std::fmt::Debug, CurriculumErrors>) -> Vec<String> {
    result.expect_err("the operation is refused").messages()
}

/// S1(10) {a(11) course 2, b(12) course 3}, S2(20) {c(21) course 4}, S3(30) empty.
fn sample() -> Curriculum {
    let mut c = new_path();
    c.create_entry(RecordId(11), &scorm(2), &in_section(10), now()).unwrap();
    c.create_entry(RecordId(12), &scorm(3), &in_section(10), now()).unwrap();
    c.create_section(RecordId(20), &named("S2"), now()).unwrap();
    c.create_entry(RecordId(21), &scorm(4), &in_section(20), now()).unwrap();
    c.create_section(RecordId(30), &named("S3"), now()).unwrap();
    c
}

fn layout(c: &Curriculum) -> Vec<(i64, i32, i32)> {
    c.records().iter().map(|r| (r.id.0, r.lft, r.rgt)).collect()
}

fn order(c: &Curriculum) -> Vec<i64> {
    c.records().iter().map(|r| r.id.0).collect()
}

/// The record as a body that sends every attribute back unchanged.
fn echo(r: &CurriculumRecord) -> RecordInput {
    RecordInput {
        id: Patch::Value(r.id),
        curriculum_id: Patch::Value(r.curriculum_id),
        course_id: r.course_id.into(),
        parent_id: r.parent_id.into(),
        lft: Patch::Value(r.lft),
        rgt: Patch::Value(r.rgt),
        account_id: Patch::Value(r.account_id),
        updated_by: r.updated_by.into(),
        updated_on: Patch::Value(r.updated_on),
        name: Patch::Value(r.name.clone()),
        due_days: r.due_days.into(),
        weight: r.weight.into(),
        exempt_if_mastered: r.exempt_if_mastered.into(),
        description: r.description.clone().into(),
        lock_until: r.lock_until.into(),
        code: r.code.clone().into(),
        initial_view: r.initial_view.into(),
        required_for_specified_control_mode: r.required_for_specified_control_mode.into(),
        skip_interstitial_page: r.skip_interstitial_page.into(),
        control_mode: r.control_mode.into(),
        completions_min: r.completions_min.into(),
        attempts_max: r.attempts_max.into(),
    }
}

mod numbering_and_loading {
    use super::*;

    #[test]
    fn a_new_course_has_one_choice_section() {
        let records = new_path().records();
        assert_eq!(records.len(), 1);
        let s = &records[0];
        assert_eq!((s.lft, s.rgt), (1, 2));
        assert_eq!(s.control_mode, Some(ControlMode::Choice));
        assert_eq!(s.initial_view, Some(InitialView::Full));
        assert_eq!(s.name, DEFAULT_SECTION_NAME);
        assert_eq!(
            (s.parent_id, s.course_id, s.updated_by, s.updated_on),
            (None, None, None, now())
        );
    }

    #[test]
    fn numbering_is_awesome_nested_set() {
        let mut c = new_path();
        c.append_to_last_section(RecordId(11), ActivityId(2), ActivityKind::Scorm, "a".into(), now())
            .unwrap();
        c.append_to_last_section(RecordId(12), ActivityId(3), ActivityKind::Course, "b".into(), now())
            .unwrap();
        c.create_section(RecordId(20), &named("S2"), now()).unwrap();
        // The DESIGN.md example: S1 1..6 {a 2..3, b 4..5}, S2 7..8.
        assert_eq!(layout(&c), vec![(10, 1, 6), (11, 2, 3), (12, 4, 5), (20, 7, 8)]);
        // Appending goes to the last section.
        let e = c
            .append_to_last_section(RecordId(13), ActivityId(4), ActivityKind::Scorm, "c".into(), now())
            .unwrap();
        assert_eq!((e.parent_id, e.lft, e.rgt), (Some(RecordId(20)), 8, 9));
        assert_eq!(c.record(RecordId(20)).map(|r| (r.lft, r.rgt)), Some((7, 10)));
        let round = Curriculum::from_records(PATH, ACCOUNT, c.records()).unwrap();
        assert_eq!(round.records(), c.records());
        assert_eq!(c.section_ids(), vec![RecordId(10), RecordId(20)]);
        assert_eq!(c.course_ids(), vec![ActivityId(2), ActivityId(3), ActivityId(4)]);
    }

    #[test]
    fn loading_accepts_any_order_and_gaps_and_renumbers() {
        let c = sample();
        let mut records = c.records();
        for r in &mut records {
            r.lft *= 10;
            r.rgt *= 10;
        }
        records.reverse();
        let loaded = Curriculum::from_records(PATH, ACCOUNT, records).unwrap();
        assert_eq!(loaded.records(), c.records());
        assert_eq!(
            layout(&loaded),
            vec![
                (10, 1, 6),
                (11, 2, 3),
                (12, 4, 5),
                (20, 7, 10),
                (21, 8, 9),
                (30, 11, 12)
            ]
        );
    }

    #[test]
    fn an_empty_path_loads() {
        let c = Curriculum::from_records(PATH, ACCOUNT, Vec::new()).unwrap();
        assert!(c.records().is_empty());
        let mut c = c;
        assert_eq!(
            c.append_to_last_section(RecordId(1), ActivityId(2), ActivityKind::Scorm, "a".into(), now()),
            Err(CurriculumError::NoSection(PATH))
        );
    }

    fn corrupt(edit: impl FnOnce(&mut Vec<CurriculumRecord>)) -> String {
        let mut records = sample().records();
        edit(&mut records);
        Curriculum::from_records(PATH, ACCOUNT, records).unwrap_err().problem
    }

    #[test]
    fn structurally_impossible_data_is_refused() {
        assert_eq!(
            corrupt(|r| r[1].curriculum_id = ActivityId(5)),
            "record 11 belongs to path 5"
        );
        assert_eq!(
            corrupt(|r| r[1].account_id = TenantId(5)),
            "record 11 belongs to account 5"
        );
        assert_eq!(
            corrupt(|r| r[1].course_id = None),
            "record 11 is neither a section nor an entry"
        );
        assert_eq!(
            corrupt(|r| r[1].parent_id = Some(RecordId(20))),
            "entry 11 lies inside section 10 but names section 20"
        );
        assert_eq!(corrupt(|r| r[2].id = RecordId(11)), "record id 11 appears twice");
        assert_eq!(
            corrupt(|r| r[2].course_id = Some(ActivityId(2))),
            "course_id 2 appears twice"
        );
        assert_eq!(corrupt(|r| r[1].course_kind = None), "entry 11 has no course_kind");
        assert_eq!(
            corrupt(|r| r[1].course_id = Some(PATH)),
            "entry 11 references the path itself"
        );
        assert_eq!(corrupt(|r| r[1].rgt = 1), "record 11 has lft 2 not below rgt 1");
        assert_eq!(corrupt(|r| r[2].lft = 3), "bound 3 is used twice (record 12)");
        // S2 (7..10) stretched over S3 (11..12).
        assert_eq!(corrupt(|r| r[3].rgt = 13), "section 30 lies inside section 20");
        // Entry c (8..9) moved after S2's end.
        assert_eq!(
            corrupt(|r| {
                r[4].lft = 13;
                r[4].rgt = 14;
            }),
            "entry 21 lies outside every section"
        );
        // Entry a (2..3) stretched over b (4..5).
        assert_eq!(
            corrupt(|r| {
                r.iter_mut().for_each(|r| (r.lft, r.rgt) = (r.lft * 10, r.rgt * 10));
                r[1].rgt = 45;
            }),
            "entry 12 lies inside another entry"
        );
        // Entry b stretched past its section's end (6).
        assert_eq!(corrupt(|r| r[2].rgt = 55), "entry 12 overlaps the end of section 10");
        let full = Curriculum::from_records(PATH, ACCOUNT, {
            let mut r = sample().records();
            r[1].curriculum_id = ActivityId(5);
            r
        })
        .unwrap_err();
        assert_eq!(full.to_string(), "curriculum 1 is corrupt: record 11 belongs to path 5");
    }
}

mod upload_placement {
    use super::*;

    #[test]
    fn an_activity_appears_once_and_never_inside_itself() {
        let mut c = new_path();
        let e = c
            .append_to_last_section(RecordId(11), ActivityId(2), ActivityKind::Scorm, "a".into(), now())
            .unwrap();
        assert_eq!(e.required_for_specified_control_mode, Some(false));
        assert_eq!(e.attempts_max, Some(0));
        let before = c.records();
        assert_eq!(
            c.append_to_last_section(RecordId(12), ActivityId(2), ActivityKind::Scorm, "a".into(), now()),
            Err(CurriculumError::DuplicateActivity(ActivityId(2)))
        );
        assert_eq!(
            c.append_to_last_section(RecordId(12), PATH, ActivityKind::Course, "self".into(), now()),
            Err(CurriculumError::ContainsItself(PATH))
        );
        assert_eq!(
            c.append_to_last_section(RecordId(11), ActivityId(3), ActivityKind::Scorm, "b".into(), now()),
            Err(CurriculumError::IdInUse(RecordId(11)))
        );
        assert_eq!(c.records(), before, "a refused operation changes nothing");
        let path_entry = c
            .append_to_last_section(RecordId(12), ActivityId(3), ActivityKind::Course, "b".into(), now())
            .unwrap();
        assert_eq!(
            path_entry.attempts_max, None,
            "attempts_max applies to SCORM entries only"
        );
        assert_eq!(
            CurriculumError::DuplicateActivity(ActivityId(10)).to_string(),
            "course_id 10 is already in this path"
        );
    }

    #[test]
    fn cycles_are_detected() {
        // 1 contains 2, 2 contains 3; 5 and 6 contain each other (legacy data) and must not loop.
        let contains = |p: ActivityId| match p.0 {
            1 => vec![ActivityId(2)],
            2 => vec![ActivityId(3)],
            5 => vec![ActivityId(6)],
            6 => vec![ActivityId(5)],
            _ => vec![],
        };
        assert!(would_create_cycle(ActivityId(3), ActivityId(1), contains));
        assert!(would_create_cycle(ActivityId(2), ActivityId(1), contains));
        assert!(would_create_cycle(ActivityId(1), ActivityId(1), contains));
        assert!(!would_create_cycle(ActivityId(1), ActivityId(4), contains));
        assert!(
            !would_create_cycle(ActivityId(1), ActivityId(3), contains),
            "3 is already below 1: no cycle"
        );
        assert!(!would_create_cycle(ActivityId(1), ActivityId(5), contains));
        // A brand-new activity contains nothing, so it never closes a cycle.
        assert!(!would_create_cycle(ActivityId(3), ActivityId(99), contains));
    }
}

mod create {
    use super::*;

    #[test]
    fn a_section_is_appended_with_defaults() {
        let mut c = sample();
        let s = c.create_section(RecordId(40), &named("My Section"), later()).unwrap();
        assert_eq!((s.lft, s.rgt, s.name.as_str()), (13, 14, "My Section"));
        assert_eq!(
            (s.control_mode, s.initial_view),
            (Some(ControlMode::Choice), Some(InitialView::Full))
        );
        assert_eq!((s.updated_on, s.updated_by), (later(), None));
        let optional = RecordInput {
            control_mode: Patch::Value(ControlMode::Optional),
            initial_view: Patch::Null,
            description: Patch::Value("Read me".into()),
            lock_until: Patch::Value(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()),
            code: Patch::Value("S-5".into()),
            due_days: Patch::Value(3),
            weight: Patch::Null,
            attempts_max: Patch::Null,
            curriculum_id: Patch::Value(PATH),
            lft: Patch::Null,
            ..named("Optional")
        };
        let s = c.create_section(RecordId(50), &optional, later()).unwrap();
        assert_eq!(s.control_mode, Some(ControlMode::Optional));
        assert_eq!(s.initial_view, Some(InitialView::Full), "null means the default");
        assert_eq!(
            (s.description.as_deref(), s.code.as_deref(), s.due_days),
            (Some("Read me"), Some("S-5"), Some(3))
        );
        assert_eq!(
            (s.weight, s.attempts_max),
            (None, None),
            "null is accepted where it does not apply"
        );
    }

    #[test]
    fn a_section_needs_a_valid_name() {
        let mut c = new_path();
        let before = c.records();
        assert_eq!(
            messages(c.create_section(RecordId(20), &RecordInput::default(), now())),
            ["name can't be blank"]
        );
        assert_eq!(
            messages(c.create_section(RecordId(20), &named("  "), now())),
            ["name can't be blank"]
        );
        let null = RecordInput {
            name: Patch::Null,
            ..RecordInput::default()
        };
        assert_eq!(
            messages(c.create_section(RecordId(20), &null, now())),
            ["name can't be blank"]
        );
        assert_eq!(
            messages(c.create_section(RecordId(20), &named(&"é".repeat(256)), now())),
            ["name is too long (maximum is 255 characters)"]
        );
        assert_eq!(c.records(), before);
        assert!(c.create_section(RecordId(20), &named(&"é".repeat(255)), now()).is_ok());
    }

    #[test]
    fn a_section_refuses_what_does_not_apply_and_reports_everything() {
        let mut c = new_path();
        let before = c.records();
        let input = RecordInput {
            name: Patch::Value(String::new()),
            weight: Patch::Value(1),
            exempt_if_mastered: Patch::Value(true),
            attempts_max: Patch::Value(2),
            skip_interstitial_page: Patch::Value(false),
            required_for_specified_control_mode: Patch::Value(true),
            parent_id: Patch::Value(RecordId(10)),
            lft: Patch::Value(3),
            account_id: Patch::Value(ACCOUNT),
            updated_on: Patch::Value(now()),
            curriculum_id: Patch::Value(ActivityId(77)),
            ..RecordInput::default()
        };
        assert_eq!(
            messages(c.create_section(RecordId(10), &input, now())),
            [
                "id 10 is already used by another record of this path",
                "curriculum_id 77 is not the path being changed (1)",
                "lft can not be set through the API",
                "account_id can not be set through the API",
                "updated_on can not be set through the API",
                "parent_id must be empty for a section; give course_id as well to add an activity to a section",
                "name can't be blank",
                "required_for_specified_control_mode does not apply to a section; it is used only for activities",
                "weight does not apply to a section; it is used only for SCORM activities",
                "exempt_if_mastered does not apply to a section; it is used only for SCORM activities",
                "attempts_max does not apply to a section; it is used only for SCORM activities",
                "skip_interstitial_page does not apply to a section; it is used only for SCORM activities",
            ]
        );
        assert_eq!(c.records(), before);
    }

    #[test]
    fn completions_min_needs_choice_and_enough_entries() {
        let mut c = new_path();
        let flow = RecordInput {
            control_mode: Patch::Value(ControlMode::Flow),
            completions_min: Patch::Value(1),
            ..named("S")
        };
        assert_eq!(
            messages(c.create_section(RecordId(20), &flow, now())),
            ["completions_min can only be set when control_mode is choice"]
        );
        let too_many = RecordInput {
            completions_min: Patch::Value(1),
            ..named("S")
        };
        assert_eq!(
            messages(c.create_section(RecordId(20), &too_many, now())),
            ["completions_min must be less than or equal to 0, the number of activities in the section"]
        );
        let zero = RecordInput {
            completions_min: Patch::Value(0),
            ..named("S")
        };
        assert_eq!(
            messages(c.create_section(RecordId(20), &zero, now())),
            ["completions_min must be greater than or equal to 1, not 0"]
        );
        let null = RecordInput {
            control_mode: Patch::Value(ControlMode::Flow),
            completions_min: Patch::Null,
            ..named("S")
        };
        assert!(c.create_section(RecordId(20), &null, now()).is_ok());
    }

    #[test]
    fn an_entry_is_appended_to_its_section() {
        let mut c = sample();
        let e = c
            .create_entry(RecordId(13), &scorm(5), &in_section(10), later())
            .unwrap();
        assert_eq!((e.parent_id, e.lft, e.rgt), (Some(RecordId(10)), 6, 7));
        assert_eq!(e.name, "Activity 5", "the name defaults to the activity's");
        assert_eq!(
            (e.required_for_specified_control_mode, e.attempts_max),
            (Some(false), Some(0))
        );
        assert_eq!(
            (e.control_mode, e.initial_view, e.course_kind),
            (None, None, Some(ActivityKind::Scorm))
        );
        assert_eq!((e.updated_on, e.updated_by), (later(), None));
        assert_eq!(order(&c), [10, 11, 12, 13, 20, 21, 30]);
        let input = RecordInput {
            weight: Patch::Value(1),
            exempt_if_mastered: Patch::Value(true),
            attempts_max: Patch::Value(3),
            skip_interstitial_page: Patch::Value(true),
            required_for_specified_control_mode: Patch::Value(true),
            description: Patch::Null,
            control_mode: Patch::Null,
            course_id: Patch::Value(ActivityId(6)),
            name: Patch::Value("Quiz".into()),
            ..in_section(30)
        };
        let e = c.create_entry(RecordId(31), &scorm(6), &input, later()).unwrap();
        assert_eq!(
            (e.name.as_str(), e.weight, e.exempt_if_mastered, e.attempts_max),
            ("Quiz", Some(1), Some(true), Some(3))
        );
        assert_eq!(
            (e.skip_interstitial_page, e.required_for_specified_control_mode),
            (Some(true), Some(true))
        );
        assert_eq!((e.control_mode, e.description), (None, None));
        let null_name = RecordInput {
            name: Patch::Null,
            ..in_section(30)
        };
        assert_eq!(
            c.create_entry(RecordId(32), &scorm(7), &null_name, later())
                .unwrap()
                .name,
            "Activity 7"
        );
    }

    #[test]
    fn an_entry_needs_a_section_of_this_path_and_a_new_scorm_activity() {
        let mut c = sample();
        let before = c.records();
        let path = CourseRef {
            id: ActivityId(8),
            kind: ActivityKind::Course,
            name: "Path".into(),
        };
        assert_eq!(
            messages(c.create_entry(RecordId(40), &path, &in_section(10), now())),
            ["course_id 8 can not be a path"]
        );
        assert_eq!(
            messages(c.create_entry(RecordId(40), &scorm(2), &in_section(20), now())),
            ["course_id 2 is already in this path"]
        );
        assert_eq!(
            messages(c.create_entry(RecordId(40), &scorm(9), &in_section(99), now())),
            ["parent_id 99 is not a section of this path"]
        );
        assert_eq!(
            messages(c.create_entry(RecordId(40), &scorm(9), &in_section(11), now())),
            ["parent_id 11 is an activity, not a section; activities can only be put in sections"]
        );
        assert_eq!(
            messages(c.create_entry(RecordId(40), &scorm(9), &RecordInput::default(), now())),
            ["parent_id can't be blank"]
        );
        let wrong = RecordInput {
            description: Patch::Value("x".into()),
            lock_until: Patch::Value(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()),
            initial_view: Patch::Value(InitialView::Collapsed),
            control_mode: Patch::Value(ControlMode::Flow),
            completions_min: Patch::Value(1),
            weight: Patch::Value(0),
            attempts_max: Patch::Value(-1),
            name: Patch::Value("x".repeat(256)),
            ..in_section(10)
        };
        assert_eq!(
            messages(c.create_entry(RecordId(40), &scorm(9), &wrong, now())),
            [
                "name is too long (maximum is 255 characters)",
                "description does not apply to an activity; it is used only for sections",
                "lock_until does not apply to an activity; it is used only for sections",
                "initial_view does not apply to an activity; it is used only for sections",
                "control_mode does not apply to an activity; it is used only for sections",
                "completions_min does not apply to an activity; it is used only for sections",
                "weight must be 1 (count towards the path score) or null (do not count), not 0",
                "attempts_max must be greater than or equal to 0, not -1",
            ]
        );
        assert_eq!(c.records(), before);
    }

    #[test]
    fn create_dispatches_on_course_id() {
        let mut c = new_path();
        let entry = RecordInput {
            course_id: Patch::Value(ActivityId(5)),
            ..in_section(10)
        };
        assert_eq!(
            messages(c.create(RecordId(20), &entry, None, now())),
            ["course_id 5 does not exist"]
        );
        assert_eq!(
            messages(c.create(RecordId(20), &entry, Some(&scorm(6)), now())),
            ["course_id 5 does not exist"]
        );
        assert_eq!(
            c.create(RecordId(20), &entry, Some(&scorm(5)), now())
                .unwrap()
                .course_id,
            Some(ActivityId(5))
        );
        let section = RecordInput {
            course_id: Patch::Null,
            ..named("S2")
        };
        assert_eq!(c.create(RecordId(30), &section, None, now()).unwrap().course_id, None);
        assert_eq!(
            messages(c.create_section(
                RecordId(40),
                &RecordInput {
                    course_id: Patch::Value(ActivityId(5)),
                    ..named("x")
                },
                now()
            )),
            ["course_id must be empty for a section"]
        );
    }
}

mod update {
    use super::*;

    #[test]
    fn renames_and_stamps_only_what_changed() {
        let mut c = sample();
        let s = c.update(RecordId(20), &named("My New Name"), later()).unwrap();
        assert_eq!(
            (s.name.as_str(), s.updated_on, s.lft, s.rgt),
            ("My New Name", later(), 7, 10)
        );
        assert_eq!(
            c.record(RecordId(21)).unwrap().updated_on,
            now(),
            "other records are untouched"
        );
        let again = c.update(RecordId(21), &named("Activity 4"), later()).unwrap();
        assert_eq!(again.updated_on, now(), "an update that changes nothing is not a write");
    }

    #[test]
    fn the_whole_record_may_be_sent_back() {
        let mut c = sample();
        for record in c.records() {
            let mut input = echo(&record);
            input.code = Patch::Value("C".into());
            let updated = c.update(record.id, &input, later()).unwrap();
            assert_eq!(updated.code.as_deref(), Some("C"));
        }
        // As the API renders it, to the millisecond.
        let mut c = sample();
        c.update(
            RecordId(11),
            &named("x"),
            now() + chrono::Duration::microseconds(1_234_567),
        )
        .unwrap();
        let record = c.record(RecordId(11)).unwrap();
        let input = RecordInput {
            updated_on: Patch::Value(
                Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 1).unwrap() + chrono::Duration::milliseconds(234),
            ),
            ..echo(&record)
        };
        assert!(c.update(RecordId(11), &input, later()).is_ok());
    }

    #[test]
    fn immutable_attributes_can_not_change() {
        let mut c = sample();
        let before = c.records();
        let entry = c.record(RecordId(11)).unwrap();
        let input = RecordInput {
            id: Patch::Value(RecordId(99)),
            curriculum_id: Patch::Value(ActivityId(2)),
            course_id: Patch::Value(ActivityId(7)),
            parent_id: Patch::Value(RecordId(20)),
            lft: Patch::Value(1),
            rgt: Patch::Null,
            account_id: Patch::Value(TenantId(3)),
            updated_by: Patch::Value(5),
            updated_on: Patch::Value(later()),
            ..echo(&entry)
        };
        assert_eq!(
            messages(c.update(RecordId(11), &input, later())),
            [
                "id can not be changed",
                "curriculum_id can not be changed",
                "course_id can not be changed; to reference another activity, create a record for it and destroy this one",
                "parent_id can not be changed; use update_position to move an activity to another section",
                "lft can not be changed; use update_position",
                "rgt can not be changed; use update_position",
                "account_id can not be changed",
                "updated_by can not be changed",
                "updated_on can not be changed",
            ]
        );
        assert_eq!(c.records(), before);
    }

    #[test]
    fn sections_and_entries_keep_their_kind() {
        let mut c = sample();
        let to_entry = RecordInput {
            course_id: Patch::Value(ActivityId(5)),
            parent_id: Patch::Value(RecordId(10)),
            ..RecordInput::default()
        };
        assert_eq!(
            messages(c.update(RecordId(20), &to_entry, later())),
            ["a section can't be changed into an activity"]
        );
        let to_section = RecordInput {
            course_id: Patch::Null,
            parent_id: Patch::Null,
            ..RecordInput::default()
        };
        assert_eq!(
            messages(c.update(RecordId(21), &to_section, later())),
            ["an activity can't be changed into a section"]
        );
        let unchanged = RecordInput {
            course_id: Patch::Null,
            parent_id: Patch::Null,
            ..named("S")
        };
        assert!(c.update(RecordId(20), &unchanged, later()).is_ok());
    }

    #[test]
    fn the_last_non_optional_section_stays() {
        let mut c = new_path();
        let optional = RecordInput {
            control_mode: Patch::Value(ControlMode::Optional),
            ..RecordInput::default()
        };
        assert_eq!(
            messages(c.update(RecordId(10), &optional, later())),
            [
                "section 10 is the last non-optional section of this path; a path must have at least one non-optional section"
            ]
        );
        c.create_section(RecordId(20), &named("S2"), now()).unwrap();
        assert!(c.update(RecordId(10), &optional, later()).is_ok());
        assert!(c.update(RecordId(20), &optional, later()).is_err());
        let flow = RecordInput {
            control_mode: Patch::Value(ControlMode::Flow),
            ..RecordInput::default()
        };
        assert!(c.update(RecordId(20), &flow, later()).is_ok());
        assert!(c.update(RecordId(10), &flow, later()).is_ok());
        assert!(c.update(RecordId(20), &optional, later()).is_ok());
        let null = RecordInput {
            control_mode: Patch::Null,
            ..RecordInput::default()
        };
        assert_eq!(
            c.update(RecordId(20), &null, later()).unwrap().control_mode,
            Some(ControlMode::Choice)
        );
    }

    #[test]
    fn completions_min_follows_the_mode_and_the_count() {
        let mut c = sample();
        let two = RecordInput {
            completions_min: Patch::Value(2),
            ..RecordInput::default()
        };
        assert_eq!(c.update(RecordId(10), &two, later()).unwrap().completions_min, Some(2));
        assert_eq!(
            messages(c.update(RecordId(20), &two, later())),
            ["completions_min must be less than or equal to 1, the number of activities in the section"]
        );
        let flow = RecordInput {
            control_mode: Patch::Value(ControlMode::Flow),
            ..RecordInput::default()
        };
        let s = c.update(RecordId(10), &flow, later()).unwrap();
        assert_eq!(
            (s.control_mode, s.completions_min),
            (Some(ControlMode::Flow), None),
            "leaving choice drops it"
        );
        assert_eq!(
            messages(c.update(RecordId(10), &two, later())),
            ["completions_min can only be set when control_mode is choice"]
        );
        let back = RecordInput {
            control_mode: Patch::Value(ControlMode::Choice),
            completions_min: Patch::Value(1),
            ..RecordInput::default()
        };
        assert_eq!(c.update(RecordId(10), &back, later()).unwrap().completions_min, Some(1));
        let clear = RecordInput {
            completions_min: Patch::Null,
            ..RecordInput::default()
        };
        assert_eq!(c.update(RecordId(10), &clear, later()).unwrap().completions_min, None);
    }

    #[test]
    fn scorm_only_settings_are_refused_on_a_path_entry() {
        let mut c = new_path();
        c.append_to_last_section(
            RecordId(11),
            ActivityId(3),
            ActivityKind::Course,
            "Sub-path".into(),
            now(),
        )
        .unwrap();
        let weight = RecordInput {
            weight: Patch::Value(1),
            attempts_max: Patch::Value(1),
            ..RecordInput::default()
        };
        assert_eq!(
            messages(c.update(RecordId(11), &weight, later())),
            [
                "weight does not apply to course_id 3, which is a path; it is used only for SCORM activities",
                "attempts_max does not apply to course_id 3, which is a path; it is used only for SCORM activities",
            ]
        );
        let nulls = RecordInput {
            weight: Patch::Null,
            attempts_max: Patch::Null,
            required_for_specified_control_mode: Patch::Value(true),
            ..named("Renamed")
        };
        let e = c.update(RecordId(11), &nulls, later()).unwrap();
        assert_eq!(
            (e.weight, e.attempts_max, e.required_for_specified_control_mode),
            (None, None, Some(true))
        );
    }

    #[test]
    fn defaults_come_back_on_null() {
        let mut c = sample();
        let set = RecordInput {
            attempts_max: Patch::Value(4),
            required_for_specified_control_mode: Patch::Value(true),
            ..RecordInput::default()
        };
        c.update(RecordId(11), &set, later()).unwrap();
        let null = RecordInput {
            attempts_max: Patch::Null,
            required_for_specified_control_mode: Patch::Null,
            exempt_if_mastered: Patch::Null,
            ..RecordInput::default()
        };
        let e = c.update(RecordId(11), &null, later()).unwrap();
        assert_eq!(
            (
                e.attempts_max,
                e.required_for_specified_control_mode,
                e.exempt_if_mastered
            ),
            (Some(0), Some(false), None)
        );
        assert_eq!(
            messages(c.update(
                RecordId(11),
                &RecordInput {
                    name: Patch::Null,
                    ..RecordInput::default()
                },
                later()
            )),
            ["name can't be blank"]
        );
    }

    #[test]
    fn an_unknown_record_is_not_found() {
        let mut c = sample();
        let err = c.update(RecordId(99), &named("x"), later()).unwrap_err();
        assert!(err.is_not_found());
        assert_eq!(err.messages(), ["curriculum activity 99 does not exist"]);
        assert!(c.destroy(RecordId(99), later()).unwrap_err().is_not_found());
        assert!(
            c.move_record(RecordId(99), RecordId(10), Orientation::Below, later())
                .unwrap_err()
                .is_not_found()
        );
    }
}

mod move_record {
    use super::*;

    fn moved(c: &mut Curriculum, id: i64, target: i64, orientation: Orientation) -> Vec<i64> {
        c.move_record(RecordId(id), RecordId(target), orientation, later())
            .unwrap();
        order(c)
    }

    #[test]
    fn sections_move_above_and_below_sections_with_their_entries() {
        let mut c = sample();
        assert_eq!(moved(&mut c, 30, 10, Orientation::Above), [30, 10, 11, 12, 20, 21]);
        assert_eq!(moved(&mut c, 10, 20, Orientation::Below), [30, 20, 21, 10, 11, 12]);
        assert_eq!(moved(&mut c, 20, 30, Orientation::Above), [20, 21, 30, 10, 11, 12]);
        assert_eq!(
            layout(&c),
            vec![
                (20, 1, 4),
                (21, 2, 3),
                (30, 5, 6),
                (10, 7, 12),
                (11, 8, 9),
                (12, 10, 11)
            ]
        );
        let s = c.record(RecordId(20)).unwrap();
        assert_eq!(s.updated_on, later());
        assert_eq!(
            c.record(RecordId(21)).unwrap().updated_on,
            now(),
            "renumbering alone is not a write"
        );
    }

    #[test]
    fn entries_move_among_entries_of_any_section_and_into_empty_sections() {
        let mut c = sample();
        assert_eq!(moved(&mut c, 12, 11, Orientation::Above), [10, 12, 11, 20, 21, 30]);
        assert_eq!(moved(&mut c, 12, 21, Orientation::Below), [10, 11, 20, 21, 12, 30]);
        let e = c.record(RecordId(12)).unwrap();
        assert_eq!((e.parent_id, e.updated_on), (Some(RecordId(20)), later()));
        assert_eq!(moved(&mut c, 21, 30, Orientation::Inside), [10, 11, 20, 12, 30, 21]);
        assert_eq!(moved(&mut c, 11, 12, Orientation::Above), [10, 20, 11, 12, 30, 21]);
        assert_eq!(moved(&mut c, 21, 10, Orientation::Inside), [10, 21, 20, 11, 12, 30]);
        assert_eq!(c.record(RecordId(21)).unwrap().parent_id, Some(RecordId(10)));
    }

    #[test]
    fn a_move_that_changes_nothing_is_not_a_write() {
        let mut c = sample();
        c.move_record(RecordId(11), RecordId(12), Orientation::Above, later())
            .unwrap();
        c.move_record(RecordId(20), RecordId(10), Orientation::Below, later())
            .unwrap();
        assert_eq!(c.records(), sample().records());
    }

    #[test]
    fn impossible_moves_say_why() {
        let mut c = sample();
        let before = c.records();
        let refused = |c: &mut Curriculum, id: i64, target: i64, o: Orientation| {
            messages(c.move_record(RecordId(id), RecordId(target), o, later()))
        };
        assert_eq!(
            refused(&mut c, 20, 20, Orientation::Above),
            ["target_id can not be the record being moved"]
        );
        assert_eq!(
            refused(&mut c, 20, 99, Orientation::Above),
            ["target_id 99 is not a record of this path"]
        );
        assert_eq!(
            refused(&mut c, 20, 30, Orientation::Inside),
            ["orientation inside can not be used to move a section; sections are not nested"]
        );
        assert_eq!(
            refused(&mut c, 20, 11, Orientation::Below),
            ["target_id 11 is an activity; a section can only be moved above or below another section"]
        );
        assert_eq!(
            refused(&mut c, 11, 20, Orientation::Above),
            [
                "target_id 20 is a section; an activity can only be moved above or below another activity, or inside an empty section"
            ]
        );
        assert_eq!(
            refused(&mut c, 11, 21, Orientation::Inside),
            ["target_id 21 is an activity; an activity can only be moved inside a section"]
        );
        assert_eq!(
            refused(&mut c, 11, 20, Orientation::Inside),
            [
                "target_id 20 is not an empty section (it holds 1 activities); move the activity above or below one of them"
            ]
        );
        assert_eq!(c.records(), before);
    }

    #[test]
    fn leaving_a_section_lowers_its_completions_min() {
        let mut c = sample();
        let two = RecordInput {
            completions_min: Patch::Value(2),
            ..RecordInput::default()
        };
        c.update(RecordId(10), &two, now()).unwrap();
        c.move_record(RecordId(11), RecordId(12), Orientation::Below, later())
            .unwrap();
        assert_eq!(
            c.record(RecordId(10)).unwrap().updated_on,
            now(),
            "moving within keeps it"
        );
        c.move_record(RecordId(11), RecordId(21), Orientation::Below, later())
            .unwrap();
        let s = c.record(RecordId(10)).unwrap();
        assert_eq!((s.completions_min, s.updated_on), (Some(1), later()));
        c.move_record(RecordId(12), RecordId(30), Orientation::Inside, later())
            .unwrap();
        assert_eq!(
            c.record(RecordId(10)).unwrap().completions_min,
            None,
            "an empty section has no minimum"
        );
    }
}

mod destroy {
    use super::*;

    #[test]
    fn an_entry_goes_alone_and_a_section_with_its_entries() {
        let mut c = sample();
        assert_eq!(c.destroy(RecordId(11), later()).unwrap(), [RecordId(11)]);
        assert_eq!(
            layout(&c),
            vec![(10, 1, 4), (12, 2, 3), (20, 5, 8), (21, 6, 7), (30, 9, 10)]
        );
        assert_eq!(c.destroy(RecordId(20), later()).unwrap(), [RecordId(20), RecordId(21)]);
        assert_eq!(order(&c), [10, 12, 30]);
        assert!(!c.contains(ActivityId(4)));
        // The activity may be added again once its entry is gone.
        c.create_entry(RecordId(40), &scorm(4), &in_section(30), later())
            .unwrap();
    }

    #[test]
    fn the_last_non_optional_section_can_not_be_destroyed() {
        let mut c = sample();
        let optional = RecordInput {
            control_mode: Patch::Value(ControlMode::Optional),
            ..RecordInput::default()
        };
        c.update(RecordId(20), &optional, now()).unwrap();
        c.update(RecordId(30), &optional, now()).unwrap();
        let before = c.records();
        assert_eq!(
            messages(c.destroy(RecordId(10), later())),
            [
                "section 10 is the last non-optional section of this path; a path must have at least one non-optional section"
            ]
        );
        assert_eq!(c.records(), before);
        assert!(c.destroy(RecordId(30), later()).is_ok(), "an optional section may go");
    }

    #[test]
    fn destroying_an_entry_lowers_completions_min() {
        let mut c = sample();
        let two = RecordInput {
            completions_min: Patch::Value(2),
            ..RecordInput::default()
        };
        c.update(RecordId(10), &two, now()).unwrap();
        c.destroy(RecordId(12), later()).unwrap();
        let s = c.record(RecordId(10)).unwrap();
        assert_eq!((s.completions_min, s.updated_on), (Some(1), later()));
    }
}

mod persistence {
    use super::*;

    #[test]
    fn diffs_name_what_changed() {
        let mut c = new_path();
        let before = c.records();
        c.append_to_last_section(RecordId(11), ActivityId(2), ActivityKind::Scorm, "a".into(), now())
            .unwrap();
        let d = diff(&before, &c.records());
        assert_eq!(d.inserted.len(), 1);
        assert_eq!(d.updated.len(), 1, "the section's rgt grew");
        assert!(d.deleted.is_empty());
        let mut c = sample();
        let before = c.records();
        c.destroy(RecordId(20), later()).unwrap();
        let d = diff(&before, &c.records());
        assert_eq!(d.deleted, [RecordId(20), RecordId(21)]);
        assert_eq!(
            d.updated.iter().map(|r| r.id.0).collect::<Vec<_>>(),
            [30],
            "S3 was renumbered"
        );
        assert!(diff(&c.records(), &c.records()).is_empty());
    }
}

mod parsing {
    use super::*;

    // Reading requests into a RecordInput is the server's (crates/server/src/api/v2/input.rs).
    #[test]
    fn parses_modes_views_and_orientations() {
        assert_eq!(ControlMode::parse("choice").unwrap(), ControlMode::Choice);
        assert_eq!(ControlMode::Flow.to_string(), "flow");
        assert_eq!(InitialView::parse(" full ").unwrap(), InitialView::Full);
        assert_eq!(InitialView::Collapsed.as_str(), "collapsed");
        assert_eq!(Orientation::parse("inside").unwrap(), Orientation::Inside);
        assert_eq!(Orientation::Below.as_str(), "below");
        assert_eq!(
            Orientation::parse("beside").unwrap_err().to_string(),
            "orientation must be above, below or inside, not \"beside\""
        );
    }
}
