//! `import`: a snapshot folder becomes the manual's content, a commit and a release.

use std::process::Command;

use crate::support::{Workspace, body, chapter};

#[test]
fn an_import_creates_the_store_and_a_release() {
    let ws = Workspace::new();
    let snap = ws.snapshot(
        "s1",
        &[
            ("a/one.md", &chapter("One", &body(""))),
            ("two.md", &chapter("Two", "Text.\n")),
        ],
    );
    let out = ws.import(&snap, "2024-01", "2024-01-15").ok();
    assert!(
        out.stdout
            .starts_with("published m/2024-01 (2024-01-15) at revision "),
        "{}",
        out.stdout
    );
    let json = ws
        .run(&["diff", "--manual", "m", "--format", "json"])
        .ok()
        .stdout;
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["from"], serde_json::Value::Null);
    assert_eq!(
        json["new"].as_array().unwrap().len(),
        2,
        "a first release lists every chapter as new"
    );
}

#[test]
fn an_import_adds_changes_and_deletes_to_match_the_snapshot() {
    let ws = Workspace::new();
    let s1 = ws.snapshot(
        "s1",
        &[
            ("one.md", &chapter("One", &body(""))),
            ("gone.md", &chapter("Gone", "Old.\n")),
        ],
    );
    ws.import(&s1, "r1", "2024-01-01").ok();
    let s2 = ws.snapshot(
        "s2",
        &[
            (
                "one.md",
                &chapter("One", &body(" It is chaired by a manager.")),
            ),
            ("new.md", &chapter("New", "Fresh.\n")),
        ],
    );
    ws.import(&s2, "r2", "2024-02-01").ok();
    let text = ws.run(&["diff", "--manual", "m"]).ok().stdout;
    assert_eq!(
        text,
        "Test Procedures — updated in February 2024\n\n\
         Updated chapters\n- One – Section '2. Strategy discussion' has been updated.\n\n\
         New chapters\n- New – This new chapter has been added.\n\n\
         Removed chapters\n- Gone\n"
    );
}

#[test]
fn the_store_is_an_ordinary_git_repository_with_authors_and_annotated_tags() {
    let ws = Workspace::new();
    let s1 = ws.snapshot("s1", &[("one.md", &chapter("One", &body("")))]);
    ws.run(&[
        "import",
        &s1,
        "--manual",
        "m",
        "--release",
        "2024-01",
        "--date",
        "2024-01-15",
        "--author",
        "Pat Editor <pat@partnership.example>",
    ])
    .ok();
    let clone = ws.dir.path().join("clone");
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(args)
            .output()
            .expect("git is installed");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    git(&[
        "clone",
        "-q",
        ws.data.join("store.git").to_str().unwrap(),
        clone.to_str().unwrap(),
    ]);
    let c = clone.to_str().unwrap();
    assert_eq!(
        git(&["-C", c, "log", "--format=%an <%ae>"]).trim(),
        "Pat Editor <pat@partnership.example>"
    );
    assert_eq!(git(&["-C", c, "cat-file", "-t", "m/2024-01"]).trim(), "tag");
    let tag = git(&["-C", c, "tag", "-n20", "m/2024-01"]);
    assert!(tag.contains("date = 2024-01-15"), "{tag}");
    assert!(std::path::Path::new(c).join("m/one.md").is_file());
}

#[test]
fn editor_notes_come_first_and_the_summary_stays_available() {
    let ws = Workspace::new();
    let s1 = ws.snapshot("s1", &[("one.md", &chapter("One", &body("")))]);
    ws.import(&s1, "r1", "2024-01-01").ok();
    let s2 = ws.snapshot(
        "s2",
        &[("one.md", &chapter("One", &body(" Police attend.")))],
    );
    let notes = ws.write(
        "notes.toml",
        "[notes]\none = \"Section 2 now says\\nwho attends.\"\n",
    );
    ws.run(&[
        "import",
        &s2,
        "--manual",
        "m",
        "--release",
        "r2",
        "--date",
        "2024-02-01",
        "--notes",
        notes.to_str().unwrap(),
    ])
    .ok();
    let text = ws.run(&["diff", "--manual", "m"]).ok().stdout;
    assert!(
        text.contains("- One – Section 2 now says who attends.\n"),
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_str(
        &ws.run(&["diff", "--manual", "m", "--format", "json"])
            .ok()
            .stdout,
    )
    .unwrap();
    assert_eq!(
        json["updated"][0]["note"],
        "Section 2 now says who attends."
    );
    assert_eq!(
        json["updated"][0]["summary"],
        "Section '2. Strategy discussion' has been updated."
    );
}

#[test]
fn imports_of_several_manuals_at_once_all_land() {
    // Partnerships import on their own schedules: imports in separate processes move the
    // same main, and each builds on whatever the others left.
    let ws = Workspace::new();
    let snapshots: Vec<(String, String)> = (0..4)
        .map(|i| {
            let files: Vec<(String, String)> = (0..40)
                .map(|c| {
                    (
                        format!("c{c}.md"),
                        chapter(&format!("Chapter {c} of {i}"), "Text."),
                    )
                })
                .collect();
            let refs: Vec<(&str, &str)> = files
                .iter()
                .map(|(f, t)| (f.as_str(), t.as_str()))
                .collect();
            (format!("m{i}"), ws.snapshot(&format!("snap{i}"), &refs))
        })
        .collect();
    // The store exists before the imports race (creating it is not what is tested).
    let first = ws.snapshot("first", &[("a.md", &chapter("A", "First."))]);
    ws.import(&first, "2024-01", "2024-01-01").ok();
    let children: Vec<_> = snapshots
        .iter()
        .map(|(manual, snapshot)| {
            Command::new(env!("CARGO_BIN_EXE_chapterhouse"))
                .arg("--config")
                .arg(&ws.config)
                .arg("--data")
                .arg(&ws.data)
                .args(["import", snapshot, "--manual", manual])
                .args(["--release", "2024-02", "--date", "2024-02-01"])
                .env_remove("CHAPTERHOUSE_LOG")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for (manual, _) in &snapshots {
        let out = ws
            .run(&["diff", "--manual", manual, "--format", "json"])
            .ok();
        let notice: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(notice["new"].as_array().unwrap().len(), 40, "{manual}");
    }
    ws.run(&["check"]).ok();
}
