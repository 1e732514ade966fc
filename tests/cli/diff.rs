//! `diff`: the release diff rules of SPEC §4 through the command line.

use crate::support::{Workspace, body, chapter};

fn json(ws: &Workspace, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["diff", "--manual", "m", "--format", "json"];
    all.extend_from_slice(args);
    serde_json::from_str(&ws.run(&all).ok().stdout).unwrap()
}

/// Three releases: r1, r2 (one section changed), r3 (a chapter renamed by id, one new).
fn three_releases() -> Workspace {
    let ws = Workspace::new();
    let s1 = ws.snapshot(
        "s1",
        &[
            ("one.md", &chapter("One", &body(""))),
            ("old-id.md", &chapter("Moving", &body(" Renamed soon."))),
        ],
    );
    ws.import(&s1, "r1", "2024-01-01").ok();
    let s2 = ws.snapshot(
        "s2",
        &[
            ("one.md", &chapter("One", &body(" Added."))),
            ("old-id.md", &chapter("Moving", &body(" Renamed soon."))),
        ],
    );
    ws.import(&s2, "r2", "2024-02-01").ok();
    let s3 = ws.snapshot(
        "s3",
        &[
            ("one.md", &chapter("One", &body(" Added."))),
            ("sub/new-id.md", &chapter("Moved", &body(" Renamed now."))),
            ("fresh.md", &chapter("Fresh", "New chapter.\n")),
        ],
    );
    ws.import(&s3, "r3", "2024-03-01").ok();
    ws
}

#[test]
fn the_default_diff_is_the_latest_release_against_the_one_before() {
    let ws = three_releases();
    let d = json(&ws, &[]);
    assert_eq!(d["from"]["name"], "r2");
    assert_eq!(d["to"]["name"], "r3");
    assert_eq!(d["updated"][0]["id"], "new-id");
    assert_eq!(
        d["updated"][0]["renamed_from"],
        serde_json::json!({"id": "old-id", "title": "Moving"})
    );
    assert_eq!(d["new"][0]["id"], "fresh");
    assert_eq!(d["removed"], serde_json::json!([]));
}

#[test]
fn any_two_releases_can_be_compared() {
    let ws = three_releases();
    let d = json(&ws, &["--from", "r1", "--to", "r3"]);
    let ids: Vec<&str> = d["updated"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["new-id", "one"], "ordered by title: Moved, One");
    let d = json(&ws, &["--to", "r2"]);
    assert_eq!(d["from"]["name"], "r1");
    assert_eq!(
        d["updated"][0]["sections_changed"],
        serde_json::json!(["2. Strategy discussion"])
    );
}

#[test]
fn a_moved_or_rewrapped_chapter_is_not_reported() {
    let ws = Workspace::new();
    let s1 = ws.snapshot(
        "s1",
        &[
            ("a/one.md", &chapter("One", &body(""))),
            ("two.md", &chapter("Two", &body(""))),
        ],
    );
    ws.import(&s1, "r1", "2024-01-01").ok();
    let rewrapped = body("")
        .replace("must act without", "must act\nwithout")
        .replace(". ", ".  ");
    let s2 = ws.snapshot(
        "s2",
        &[
            ("b/one.md", &chapter("One", &body(""))),
            ("two.md", &chapter("Two", &rewrapped)),
            ("three.md", &chapter("Three", "x\n")),
        ],
    );
    ws.import(&s2, "r2", "2024-02-01").ok();
    let d = json(&ws, &[]);
    assert_eq!(d["updated"], serde_json::json!([]));
    assert_eq!(d["new"][0]["id"], "three");
}

#[test]
fn every_format_renders_and_an_unknown_one_is_refused() {
    let ws = three_releases();
    for (format, marker) in [
        ("text", "Test Procedures — updated in March 2024"),
        ("markdown", "# Test Procedures — updated in March 2024"),
        (
            "html",
            "<h2 id=\"notice-m-r3\">Test Procedures — updated in March 2024</h2>",
        ),
        ("json", "\"manual\": \"m\""),
        ("atom", "<feed xmlns=\"http://www.w3.org/2005/Atom\""),
    ] {
        let out = ws
            .run(&["diff", "--manual", "m", "--format", format])
            .ok()
            .stdout;
        assert!(out.contains(marker), "{format}: {out}");
    }
    ws.run(&["diff", "--manual", "m", "--format", "pdf"])
        .refused("unknown format \"pdf\"");
}
