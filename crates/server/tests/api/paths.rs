//! A whole path in one request (issue 19), on both databases: the tree with its `ETag`, a PUT
//! that reorders, moves, creates and destroys in one write, every problem in one 422,
//! `If-Match` on the PUT and on every per-record write, two concurrent PUTs, a dry run.

use crate::helpers::{KEY, TestApp, built_package, on_both_databases};
use serde_json::{Value, json};

fn uri(path: &str) -> String {
    format!("{path}{}api_key={KEY}", if path.contains('?') { '&' } else { '?' })
}

async fn post(app: &TestApp, body: Value) -> i64 {
    let (status, answer) = app
        .v2(
            "POST",
            &uri("/api/v2/curriculum_activities"),
            "application/json",
            &body.to_string(),
        )
        .await;
    assert_eq!(status, 200, "{body}: {answer}");
    answer["id"].as_i64().unwrap()
}

/// A path "Safety" with sections A [x, y, z] and B [w]; the ids.
struct Fixture {
    path: i64,
    a: i64,
    b: i64,
    /// The entries x, y, z, w.
    entries: [i64; 4],
    /// Their activities, and a fifth not in the path.
    activities: [i64; 5],
}

async fn fixture(app: &TestApp) -> Fixture {
    let mut activities = [0; 5];
    for (i, name) in ["X", "Y", "Z", "W", "V"].iter().enumerate() {
        activities[i] = app.scorm(name, &built_package(name, "index.html", name)).await;
    }
    let path = app.course("Safety").await;
    let (_, etag, tree) = get_tree(app, path).await;
    assert!(!etag.is_empty());
    // The section the course was born with goes: A and B replace it.
    let born = tree["sections"][0]["id"].as_i64().unwrap();
    let a = post(
        app,
        json!({"curriculum_activity": {"curriculum_id": path, "name": "A"}}),
    )
    .await;
    let b = post(
        app,
        json!({"curriculum_activity": {"curriculum_id": path, "name": "B"}}),
    )
    .await;
    let (status, _) = app
        .v2(
            "DELETE",
            &uri(&format!("/api/v2/curriculum_activities/{born}")),
            "application/json",
            "",
        )
        .await;
    assert_eq!(status, 200);
    let mut entries = [0; 4];
    for (i, (section, activity)) in [(a, 0), (a, 1), (a, 2), (b, 3)].into_iter().enumerate() {
        entries[i] = post(
            app,
            json!({"curriculum_activity": {"curriculum_id": path, "parent_id": section, "course_id": activities[activity]}}),
        )
        .await;
    }
    Fixture {
        path,
        a,
        b,
        entries,
        activities,
    }
}

async fn get_tree(app: &TestApp, path: i64) -> (u16, String, Value) {
    app.with_headers("GET", &uri(&format!("/api/v2/curricula/{path}")), &[], "")
        .await
}

async fn put_tree(app: &TestApp, path: i64, if_match: Option<&str>, tree: &Value) -> (u16, String, Value) {
    let headers: Vec<(&str, &str)> = if_match.map(|m| ("if-match", m)).into_iter().collect();
    app.with_headers(
        "PUT",
        &uri(&format!("/api/v2/curricula/{path}")),
        &headers,
        &tree.to_string(),
    )
    .await
}

/// The tree's shape: each section's name with its entries' activity ids.
fn shape(tree: &Value) -> Vec<(String, Vec<i64>)> {
    tree["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let entries = s["entries"].as_array().unwrap();
            (
                s["name"].as_str().unwrap().to_owned(),
                entries.iter().map(|e| e["course_id"].as_i64().unwrap()).collect(),
            )
        })
        .collect()
}

/// The path's records through the per-record List.
async fn listed(app: &TestApp, path: i64) -> Vec<Value> {
    let filter = format!("/api/v2/curriculum_activities?curriculum_activity[curriculum_id]={path}");
    let (status, body) = app.v2("GET", &uri(&filter), "application/json", "").await;
    assert_eq!(status, 200, "{body}");
    body.as_array().unwrap().clone()
}

async fn audit_count(app: &TestApp) -> i64 {
    let (_, body) = app
        .v2("GET", &uri("/api/v2/audit_events"), "application/json", "")
        .await;
    body.as_array().unwrap().len() as i64
}

async fn the_tree_reads_with_an_etag_and_sent_back_changes_nothing(app: &TestApp) {
    let f = fixture(app).await;
    let (status, etag, tree) = get_tree(app, f.path).await;
    assert_eq!(status, 200, "{tree}");
    assert_eq!(tree["id"], f.path);
    let [x, y, z, w, _] = f.activities;
    assert_eq!(shape(&tree), vec![("A".into(), vec![x, y, z]), ("B".into(), vec![w])]);
    assert_eq!(tree["sections"][0]["lft"], 1, "numbered as the records are: {tree}");
    assert!(tree.get("changes").is_none());
    // Not modified since.
    let (status, again, _) = app
        .with_headers(
            "GET",
            &uri(&format!("/api/v2/curricula/{}", f.path)),
            &[("if-none-match", &etag)],
            "",
        )
        .await;
    assert_eq!((status, again.as_str()), (304, etag.as_str()));

    // The tree as read, sent back: 200, no change, the same ETag, no audit event.
    let events = audit_count(app).await;
    let (status, after, body) = put_tree(app, f.path, Some(&etag), &tree).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(after, etag, "nothing changed: the same version");
    assert_eq!(body["changes"], json!([]), "{body}");
    assert_eq!(audit_count(app).await, events, "no event for a no-op");
    let (_, _, reread) = get_tree(app, f.path).await;
    assert_eq!(reread, tree, "updated_on untouched");
}

async fn a_put_reorders_moves_creates_and_destroys_in_one_write(app: &TestApp) {
    let f = fixture(app).await;
    let (_, etag, before) = get_tree(app, f.path).await;
    let [x, y, _z, w, v] = f.activities;
    let [ex, ey, _ez, ew] = f.entries;
    let events = audit_count(app).await;
    // B first, renamed, with y moved into it and then w; A keeps x; z is left out (destroyed);
    // a new section C holds v, a new entry named by course_id only.
    let tree = json!({"sections": [
        {"id": f.b, "name": "B renamed", "entries": [{"id": ey}, {"id": ew}]},
        {"id": f.a, "entries": [{"course_id": x, "weight": 1}]},
        {"name": "C", "sequence_attributes": {"control_mode": "flow"}, "entries": [{"course_id": v}]},
    ]});
    let (status, etag2, body) = put_tree(app, f.path, Some(&etag), &tree).await;
    assert_eq!(status, 200, "{body}");
    assert_ne!(etag2, etag);
    assert_eq!(
        shape(&body),
        vec![
            ("B renamed".into(), vec![y, w]),
            ("A".into(), vec![x]),
            ("C".into(), vec![v]),
        ]
    );
    let a_entry = &body["sections"][1]["entries"][0];
    assert_eq!(
        (a_entry["id"].as_i64(), a_entry["weight"].as_i64()),
        (Some(ex), Some(1)),
        "x matched by course_id"
    );
    assert_eq!(
        body["sections"][2]["sequence_attributes"]["control_mode"], "flow",
        "{body}"
    );
    let actions: Vec<(String, Option<i64>)> = body["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["action"].as_str().unwrap().to_owned(), c["id"].as_i64()))
        .collect();
    let new_section = body["sections"][2]["id"].as_i64().unwrap();
    let new_entry = body["sections"][2]["entries"][0]["id"].as_i64().unwrap();
    assert_eq!(
        actions,
        vec![
            ("update".into(), Some(f.b)),
            ("update_position".into(), Some(ey)),
            ("update".into(), Some(ex)),
            ("create".into(), Some(new_section)),
            ("create".into(), Some(new_entry)),
            ("destroy".into(), Some(f.entries[2])),
        ],
        "{body}"
    );
    // One audit event per changed record; w (only renumbered) and A (unchanged) have none.
    assert_eq!(audit_count(app).await, events + 6);
    let unchanged = |tree: &Value, section: usize, entry: Option<usize>| {
        let s = &tree["sections"][section];
        entry.map_or(s["updated_on"].clone(), |e| s["entries"][e]["updated_on"].clone())
    };
    assert_eq!(
        unchanged(&body, 0, Some(1)),
        unchanged(&before, 1, Some(0)),
        "w kept its updated_on"
    );
    assert_eq!(
        unchanged(&body, 1, None),
        unchanged(&before, 0, None),
        "A kept its updated_on"
    );
    let (_, etag3, reread) = get_tree(app, f.path).await;
    assert_eq!(etag3, etag2);
    assert_eq!(reread["sections"], body["sections"], "the answer is the tree as stored");
    // The per-record List agrees, numbered gap-free.
    let listed = listed(app, f.path).await;
    let bounds: Vec<(i64, i64)> = listed
        .iter()
        .map(|r| (r["lft"].as_i64().unwrap(), r["rgt"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        bounds,
        vec![(1, 6), (2, 3), (4, 5), (7, 10), (8, 9), (11, 14), (12, 13)]
    );
}

async fn every_problem_of_a_tree_is_one_422_and_nothing_changes(app: &TestApp) {
    let f = fixture(app).await;
    let (_, etag, before) = get_tree(app, f.path).await;
    let [x, ..] = f.activities;
    let tree = json!({"sections": [
        {"id": f.a, "name": "", "entries": [{"id": 999_999}, {"course_id": x}, {"course_id": x}]},
        {"name": "N", "sequence_attributes": {"control_mode": "sideways"}, "entries": [{"course_id": 987_654}]},
        {"entries": [{"course_id": f.path}, {"weight": 2, "course_id": f.activities[4]}]},
        {"name": "No entries key"},
    ]});
    let (status, after, body) = put_tree(app, f.path, None, &tree).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(after, "", "a refusal has no ETag");
    let messages: Vec<&str> = body.as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
    for expected in ["sections[3].entries is required", "sections[1].control_mode"] {
        assert!(
            messages.iter().any(|m| m.starts_with(expected)),
            "{expected}: {messages:#?}"
        );
    }
    // Parse problems come first and alone; with them fixed, the rules speak.
    let tree = json!({"sections": [
        {"id": f.a, "name": "", "entries": [{"id": 999_999}, {"course_id": x}, {"course_id": x}]},
        {"name": "N", "entries": [{"course_id": 987_654}]},
        {"entries": [{"course_id": f.path}]},
    ]});
    let (status, _, body) = put_tree(app, f.path, None, &tree).await;
    assert_eq!(status, 422, "{body}");
    let messages: Vec<&str> = body.as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
    assert_eq!(
        messages,
        vec![
            "sections[0].name can't be blank",
            "sections[0].entries[0].id 999999 is not a record of this path",
            format!("sections[0].entries[2].course_id {x} is already in this path (at sections[0].entries[1])")
                .as_str(),
            "sections[1].entries[0].course_id 987654 does not exist",
            "sections[2].name can't be blank",
            format!(
                "sections[2].entries[0].course_id {} is this path itself; an activity cannot contain itself",
                f.path
            )
            .as_str(),
        ]
    );
    let (_, etag2, reread) = get_tree(app, f.path).await;
    assert_eq!((etag2, reread), (etag, before), "nothing changed");
    // Another tenant's path or none: 404; no key: 401.
    let (status, _, _) = put_tree(app, 999_999, None, &json!({"sections": []})).await;
    assert_eq!(status, 404);
    let (status, _, _) = app
        .with_headers(
            "PUT",
            &format!("/api/v2/curricula/{}", f.path),
            &[],
            "{\"sections\": []}",
        )
        .await;
    assert_eq!(status, 401);
    let (status, _, _) = put_tree(app, f.path, None, &json!({"sections": []})).await;
    assert_eq!(status, 422, "a path keeps a non-optional section");
}

async fn if_match_guards_the_put_and_every_per_record_write(app: &TestApp) {
    let f = fixture(app).await;
    let (_, etag, tree) = get_tree(app, f.path).await;
    let stale = format!("\"{}.1\"", f.path);
    let stale = stale.as_str();
    let (status, current, body) = put_tree(app, f.path, Some(stale), &tree).await;
    assert_eq!((status, current.as_str()), (412, etag.as_str()), "{body}");
    let record = |id: i64| uri(&format!("/api/v2/curriculum_activities/{id}"));
    let rename = json!({"curriculum_activity": {"name": "Renamed"}}).to_string();
    // A stale If-Match on each per-record write: 412 with the current ETag, nothing written.
    let stale_writes = [
        ("PUT", record(f.a), rename.clone()),
        (
            "PATCH",
            record(f.a),
            json!({"curriculum_activity": {"name": "Renamed again"}}).to_string(),
        ),
        (
            "PUT",
            uri(&format!(
                "/api/v2/curriculum_activities/{}/update_position",
                f.entries[0]
            )),
            json!({"target_id": f.entries[2], "orientation": "below"}).to_string(),
        ),
        ("DELETE", record(f.entries[3]), String::new()),
        (
            "POST",
            uri("/api/v2/curriculum_activities"),
            json!({"curriculum_activity": {"curriculum_id": f.path, "name": "New"}}).to_string(),
        ),
    ];
    for (method, target, body) in &stale_writes {
        let (status, current, answer) = app.with_headers(method, target, &[("if-match", stale)], body).await;
        assert_eq!(
            (status, current.as_str()),
            (412, etag.as_str()),
            "{method} {target}: {answer}"
        );
    }
    assert_eq!(get_tree(app, f.path).await.2, tree, "nothing written");
    // With the current ETag each applies and answers the next one, which the next write uses.
    let mut tag = etag;
    for (method, target, body) in &stale_writes {
        let (status, next, answer) = app.with_headers(method, target, &[("if-match", &tag)], body).await;
        assert_eq!(status, 200, "{method} {target}: {answer}");
        assert!(!next.is_empty() && next != tag, "{method}: {next} after {tag}");
        tag = next;
    }
    assert_eq!(get_tree(app, f.path).await.1, tag);
    // A tag of another path, at whatever version, never lets a write through to this one.
    let other = app.course("Other path").await;
    let (_, foreign, _) = get_tree(app, other).await;
    let (status, current, _) = app
        .with_headers("PUT", &record(f.a), &[("if-match", &foreign)], &rename)
        .await;
    assert_eq!((status, current.as_str()), (412, tag.as_str()), "{foreign}");
    // `*` matches any version; a weak tag matches none.
    let (status, _, _) = app
        .with_headers("PUT", &record(f.a), &[("if-match", "*")], &rename)
        .await;
    assert_eq!(status, 200);
    let weak = format!("W/{tag}");
    let (status, _, _) = app
        .with_headers("PUT", &record(f.a), &[("if-match", &weak)], &rename)
        .await;
    assert_eq!(status, 412);
}

async fn two_concurrent_puts_with_the_same_if_match_one_wins(app: &TestApp) {
    let f = fixture(app).await;
    let (_, etag, _) = get_tree(app, f.path).await;
    let [ex, ey, ez, ew] = f.entries;
    let first = json!({"sections": [{"id": f.a, "entries": [{"id": ez}, {"id": ey}, {"id": ex}]}, {"id": f.b, "entries": [{"id": ew}]}]});
    let second = json!({"sections": [{"id": f.b, "name": "Only B", "entries": [{"id": ew}, {"id": ex}]}]});
    let (one, two) = tokio::join!(
        put_tree(app, f.path, Some(&etag), &first),
        put_tree(app, f.path, Some(&etag), &second)
    );
    let mut statuses = [one.0, two.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 412], "{one:?} {two:?}");
    let (winner, loser) = if one.0 == 200 { (one, two) } else { (two, one) };
    assert_eq!(loser.1, winner.1, "the 412 names the winner's ETag");
    assert_eq!(get_tree(app, f.path).await.2["sections"], winner.2["sections"]);
}

async fn a_dry_run_answers_the_changes_and_writes_nothing(app: &TestApp) {
    let f = fixture(app).await;
    let (_, etag, before) = get_tree(app, f.path).await;
    let [.., v] = f.activities;
    let tree = json!({"sections": [{"id": f.a, "entries": [{"id": f.entries[0]}, {"course_id": v}]}]});
    let (status, tag, body) = app
        .with_headers(
            "PUT",
            &uri(&format!("/api/v2/curricula/{}?dry_run=true", f.path)),
            &[("if-match", &etag)],
            &tree.to_string(),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(tag, etag, "a dry run keeps the version");
    let actions: Vec<(&str, Option<i64>)> = body["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["action"].as_str().unwrap(), c["id"].as_i64()))
        .collect();
    assert_eq!(
        actions,
        vec![
            ("create", None),
            ("destroy", Some(f.entries[1])),
            ("destroy", Some(f.entries[2])),
            ("destroy", Some(f.b)),
            ("destroy", Some(f.entries[3])),
        ],
        "{body}"
    );
    assert_eq!(get_tree(app, f.path).await.2, before, "nothing written");
}

async fn an_entry_taken_out_of_a_destroyed_section_is_kept(app: &TestApp) {
    let f = fixture(app).await;
    let [ex, ey, ez, ew] = f.entries;
    // A goes, with y and z; x moves into B, behind w.
    let tree = json!({"sections": [{"id": f.b, "entries": [{"id": ew}, {"id": ex}]}]});
    let (status, _, body) = put_tree(app, f.path, None, &tree).await;
    assert_eq!(status, 200, "{body}");
    let ids: Vec<i64> = body["sections"][0]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![ew, ex]);
    let (_, _, reread) = get_tree(app, f.path).await;
    assert_eq!(reread["sections"], body["sections"]);
    let listed = listed(app, f.path).await;
    let ids: Vec<i64> = listed.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![f.b, ew, ex], "A, y and z are gone: {listed:?}");
    assert!(![f.a, ey, ez].iter().any(|gone| ids.contains(gone)));
}

on_both_databases!(
    an_entry_taken_out_of_a_destroyed_section_is_kept,
    the_tree_reads_with_an_etag_and_sent_back_changes_nothing,
    a_put_reorders_moves_creates_and_destroys_in_one_write,
    every_problem_of_a_tree_is_one_422_and_nothing_changes,
    if_match_guards_the_put_and_every_per_record_write,
    two_concurrent_puts_with_the_same_if_match_one_wins,
    a_dry_run_answers_the_changes_and_writes_nothing,
);
