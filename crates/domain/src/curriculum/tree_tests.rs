//! The whole-path tree: `sync` on examples, and the property that a tree diff replays.

use super::aggregate::Section;
use super::record::{entry_record, section_record};
use super::*;
use crate::activity::ActivityKind;
use crate::ids::{ActivityId, RecordId, TenantId};
use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use std::collections::HashMap;

const PATH: ActivityId = ActivityId(1);
const ACCOUNT: TenantId = TenantId(9);

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap()
}

fn later() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 3, 9, 0, 0).unwrap()
}

fn course(k: i64) -> CourseRef {
    CourseRef {
        id: ActivityId(1000 + k),
        kind: ActivityKind::Scorm,
        name: format!("Activity {k}"),
    }
}

fn courses() -> HashMap<ActivityId, CourseRef> {
    let mut out: HashMap<ActivityId, CourseRef> = (0..40).map(|k| (course(k).id, course(k))).collect();
    out.insert(
        ActivityId(2000),
        CourseRef {
            id: ActivityId(2000),
            kind: ActivityKind::Course,
            name: "Another path".into(),
        },
    );
    out
}

/// A path of sections `(section id, [entry k])`; entry k is record 200+k for activity 1000+k.
fn path(shape: &[(i64, &[i64])]) -> Curriculum {
    let sections = shape
        .iter()
        .map(|(id, entries)| {
            let mut record = section_record(RecordId(*id), PATH, ACCOUNT, t0());
            record.name = format!("Section {id}");
            Section {
                entries: entries
                    .iter()
                    .map(|k| entry_record(RecordId(200 + k), RecordId(*id), &course(*k), PATH, ACCOUNT, t0()))
                    .collect(),
                record,
            }
        })
        .collect();
    Curriculum {
        curriculum_id: PATH,
        account_id: ACCOUNT,
        sections,
    }
}

/// The tree of `c` as a PUT would send it back: ids only.
fn ids_of(c: &Curriculum) -> TreeInput {
    TreeInput {
        sections: c
            .sections
            .iter()
            .map(|s| SectionInput {
                attributes: RecordInput {
                    id: Patch::Value(s.record.id),
                    ..RecordInput::default()
                },
                entries: s
                    .entries
                    .iter()
                    .map(|e| RecordInput {
                        id: Patch::Value(e.id),
                        ..RecordInput::default()
                    })
                    .collect(),
            })
            .collect(),
    }
}

fn shape(c: &Curriculum) -> Vec<(i64, Vec<i64>)> {
    c.sections
        .iter()
        .map(|s| (s.record.id.0, s.entries.iter().map(|e| e.id.0).collect()))
        .collect()
}

#[test]
fn the_tree_as_it_is_changes_nothing() {
    let mut c = path(&[(10, &[1, 2, 3]), (11, &[4])]);
    let before = c.records();
    let diff = c.sync(&ids_of(&c.clone()), &courses(), &[], later()).unwrap();
    assert!(diff.is_empty(), "{diff:?}");
    assert_eq!(c.records(), before);
}

#[test]
fn a_reorder_moves_the_fewest_records_and_touches_only_them() {
    let mut c = path(&[(10, &[1, 2, 3, 4])]);
    let mut tree = ids_of(&c);
    tree.sections[0].entries.rotate_right(1); // 4, 1, 2, 3: only 4 moved
    let diff = c.sync(&tree, &courses(), &[], later()).unwrap();
    assert_eq!(shape(&c), vec![(10, vec![204, 201, 202, 203])]);
    let changed: Vec<(RecordId, ChangeKind)> = diff.changes.iter().map(|x| (x.id, x.kind())).collect();
    assert_eq!(changed, vec![(RecordId(204), ChangeKind::Move)]);
    for r in c.records() {
        let expected = if r.id == RecordId(204) { later() } else { t0() };
        assert_eq!(r.updated_on, expected, "{r:?}");
    }
}

#[test]
fn entries_match_by_course_id_new_ones_are_created_and_left_out_ones_destroyed() {
    let mut c = path(&[(10, &[1, 2]), (11, &[3])]);
    let tree = TreeInput {
        sections: vec![SectionInput {
            attributes: RecordInput {
                id: Patch::Value(RecordId(11)),
                name: Patch::Value("Renamed".into()),
                ..RecordInput::default()
            },
            entries: vec![
                RecordInput {
                    course_id: Patch::Value(ActivityId(1002)),
                    ..RecordInput::default()
                },
                RecordInput {
                    course_id: Patch::Value(ActivityId(1009)),
                    weight: Patch::Value(1),
                    ..RecordInput::default()
                },
                RecordInput {
                    id: Patch::Value(RecordId(203)),
                    ..RecordInput::default()
                },
            ],
        }],
    };
    let diff = c.sync(&tree, &courses(), &[RecordId(500)], later()).unwrap();
    assert_eq!(shape(&c), vec![(11, vec![202, 500, 203])]);
    let kinds: Vec<(i64, ChangeKind)> = diff.changes.iter().map(|x| (x.id.0, x.kind())).collect();
    assert_eq!(
        kinds,
        vec![
            (11, ChangeKind::Update),
            (202, ChangeKind::Move),
            (500, ChangeKind::Create),
            (10, ChangeKind::Destroy),
            (201, ChangeKind::Destroy),
        ]
    );
    let created = c.record(RecordId(500)).unwrap();
    assert_eq!((created.name.as_str(), created.weight), ("Activity 9", Some(1)));
    assert_eq!(
        c.record(RecordId(203)).unwrap().updated_on,
        t0(),
        "203 kept its place after 202"
    );
}

#[test]
fn every_problem_of_the_tree_is_named_where_it_is() {
    let mut c = path(&[(10, &[1, 2])]);
    let before = c.clone();
    let entry = |f: fn(&mut RecordInput)| {
        let mut e = RecordInput::default();
        f(&mut e);
        e
    };
    let tree = TreeInput {
        sections: vec![
            SectionInput {
                attributes: RecordInput {
                    id: Patch::Value(RecordId(10)),
                    control_mode: Patch::Value(ControlMode::Optional),
                    ..RecordInput::default()
                },
                entries: vec![
                    entry(|e| e.id = Patch::Value(RecordId(999))),
                    entry(|e| e.course_id = Patch::Value(ActivityId(1001))),
                    entry(|e| e.course_id = Patch::Value(ActivityId(1001))),
                ],
            },
            SectionInput {
                attributes: RecordInput {
                    control_mode: Patch::Value(ControlMode::Optional),
                    ..RecordInput::default()
                },
                entries: vec![
                    entry(|e| e.course_id = Patch::Value(ActivityId(77))),
                    entry(|e| e.course_id = Patch::Value(ActivityId(2000))),
                    entry(|e| {
                        e.id = Patch::Value(RecordId(10));
                    }),
                    entry(|e| e.weight = Patch::Value(3)),
                ],
            },
        ],
    };
    let errors = c
        .sync(&tree, &courses(), &[RecordId(600), RecordId(601)], later())
        .unwrap_err();
    assert_eq!(
        errors.messages(),
        vec![
            "sections[1].entries[2].id 10 is given twice (also at sections[0])",
            "sections[0].entries[0].id 999 is not a record of this path",
            "sections[0].entries[2].course_id 1001 is already in this path (at sections[0].entries[1])",
            "sections[1].name can't be blank",
            "sections[1].entries[0].course_id 77 does not exist",
            "sections[1].entries[1].course_id 2000 can not be a path",
            "sections[1].entries[2].id 10 is a section of this path, not an activity",
            "sections[1].entries[3].course_id can't be blank",
            "sections.control_mode of every section is optional (or there is no section); a path must have at least one non-optional section",
        ]
    );
    assert_eq!(c, before, "a refused tree changes nothing");
}

#[test]
fn an_entry_moves_to_another_section_and_a_destroyed_sections_entry_can_be_kept() {
    let mut c = path(&[(10, &[1, 2]), (11, &[3])]);
    let mut tree = ids_of(&c);
    let kept = tree.sections[0].entries.remove(1); // 202 into section 11, section 10 destroyed
    tree.sections[1].entries.insert(0, kept);
    tree.sections.remove(0);
    let diff = c.sync(&tree, &courses(), &[], later()).unwrap();
    assert_eq!(shape(&c), vec![(11, vec![202, 203])]);
    let moved = diff.changes.iter().find(|x| x.id == RecordId(202)).unwrap();
    assert_eq!(moved.kind(), ChangeKind::Move);
    assert_eq!(moved.after.as_ref().unwrap().parent_id, Some(RecordId(11)));
    let destroyed: Vec<i64> = diff
        .changes
        .iter()
        .filter(|x| x.kind() == ChangeKind::Destroy)
        .map(|x| x.id.0)
        .collect();
    assert_eq!(destroyed, vec![10, 201]);
}

/// A random path over a shared universe: sections 10..16, entries 200+k for activity 1000+k.
fn arb_path() -> impl Strategy<Value = Curriculum> {
    (
        proptest::sample::subsequence((10_i64..16).collect::<Vec<_>>(), 1..=6).prop_shuffle(),
        Just((0_i64..14).collect::<Vec<_>>()).prop_shuffle(),
        proptest::collection::vec(proptest::option::of(0_usize..6), 14),
        proptest::collection::vec(0_u8..3, 30),
    )
        .prop_map(|(section_ids, order, slots, names)| {
            let mut c = path(&section_ids.iter().map(|id| (*id, &[][..])).collect::<Vec<_>>());
            let n = c.sections.len();
            for k in order {
                if let Some(slot) = slots[usize::try_from(k).unwrap()] {
                    let section = &mut c.sections[slot % n];
                    section.entries.push(entry_record(
                        RecordId(200 + k),
                        section.record.id,
                        &course(k),
                        PATH,
                        ACCOUNT,
                        t0(),
                    ));
                }
            }
            for section in &mut c.sections {
                let variant = names[usize::try_from(section.record.id.0 - 10).unwrap()];
                section.record.name = format!("Section {} v{variant}", section.record.id.0);
                for entry in &mut section.entries {
                    entry.name = format!(
                        "Entry {} v{}",
                        entry.id.0,
                        names[usize::try_from(entry.id.0 - 184).unwrap()]
                    );
                }
            }
            c
        })
}

proptest! {
    #[test]
    fn the_diff_of_two_trees_replays_and_a_tree_has_no_diff_with_itself(a in arb_path(), b in arb_path()) {
        prop_assert!(tree_diff(&a, &a).is_empty());
        let d = tree_diff(&a, &b);
        prop_assert_eq!(apply_diff(&a, &d).records(), b.records());
        // Moved records are the fewest: none of those kept in the same section is moved when
        // the order of the section's survivors is unchanged.
        prop_assert!(d.changes.iter().all(|c| c.before.is_some() || c.place.is_some()));
    }

    #[test]
    fn syncing_a_tree_of_ids_gives_that_tree(a in arb_path(), b in arb_path()) {
        // b's ids, sent to a: sections and entries unknown to a are refused, so send b's shape
        // restricted to what a has, with the others as new entries by course_id.
        let mut c = a.clone();
        let a_ids: std::collections::HashSet<RecordId> = a.records().iter().map(|r| r.id).collect();
        let tree = TreeInput {
            sections: b.sections.iter().map(|s| SectionInput {
                attributes: RecordInput {
                    id: if a_ids.contains(&s.record.id) { Patch::Value(s.record.id) } else { Patch::Absent },
                    name: Patch::Value(s.record.name.clone()),
                    ..RecordInput::default()
                },
                entries: s.entries.iter().map(|e| RecordInput {
                    course_id: Patch::Value(e.course_id.unwrap()),
                    ..RecordInput::default()
                }).collect(),
            }).collect(),
        };
        let fresh: Vec<RecordId> = (0..tree.without_id()).map(|i| RecordId(900 + i64::try_from(i).unwrap())).collect();
        let diff = c.sync(&tree, &courses(), &fresh, later()).unwrap();
        let got: Vec<(String, Vec<Option<ActivityId>>)> = c.sections.iter()
            .map(|s| (s.record.name.clone(), s.entries.iter().map(|e| e.course_id).collect())).collect();
        let want: Vec<(String, Vec<Option<ActivityId>>)> = b.sections.iter()
            .map(|s| (s.record.name.clone(), s.entries.iter().map(|e| e.course_id).collect())).collect();
        prop_assert_eq!(got, want);
        prop_assert_eq!(apply_diff(&a, &diff).records(), c.records());
        // Sent again, the same tree changes nothing.
        let again = c.sync(&ids_of(&c.clone()), &courses(), &[], later()).unwrap();
        prop_assert!(again.is_empty());
    }
}
