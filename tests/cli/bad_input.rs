//! Bad input (SPEC §9): each refused with a one-line reason and a non-zero exit, and the
//! store left exactly as it was (every ref and HEAD compared before and after).

use crate::support::{Workspace, body, chapter};

/// A workspace with one release `r1` of manual `m`.
fn published() -> Workspace {
    let ws = Workspace::new();
    let s1 = ws.snapshot("s1", &[("one.md", &chapter("One", &body("")))]);
    ws.import(&s1, "r1", "2024-01-01").ok();
    ws
}

/// Imports `files` as release r2 and asserts it is refused with `reason`, changing nothing.
#[track_caller]
fn import_refused(ws: &Workspace, files: &[(&str, &str)], reason: &str) {
    static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let before = ws.refs();
    let name = format!(
        "bad-{}",
        COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let snap = ws.snapshot(&name, files);
    ws.import(&snap, "r2", "2024-02-01").refused(reason);
    assert_eq!(ws.refs(), before, "the store changed");
}

#[test]
fn malformed_front_matter_names_the_file_and_line() {
    let ws = published();
    import_refused(
        &ws,
        &[(
            "sub/one.md",
            "+++\ntitle = \"One\"\ntags = [\"a\",\n+++\nBody\n",
        )],
        "sub/one.md:3: front matter:",
    );
}

#[test]
fn missing_front_matter_is_refused() {
    let ws = published();
    import_refused(
        &ws,
        &[("one.md", "# Just markdown\n")],
        "one.md:1: a chapter must start with TOML front matter",
    );
    import_refused(
        &ws,
        &[("one.md", "+++\ntitle = \"One\"\n")],
        "one.md:1: the front matter opened by `+++` on line 1 is never closed",
    );
}

#[test]
fn an_unknown_kind_is_refused() {
    let ws = published();
    import_refused(
        &ws,
        &[("one.md", "+++\ntitle = \"One\"\nkind = \"page\"\n+++\n")],
        "one.md:3: front matter: unknown kind \"page\"",
    );
}

#[test]
fn a_link_without_a_url_is_refused() {
    let ws = published();
    import_refused(
        &ws,
        &[("one.md", "+++\ntitle = \"One\"\nkind = \"link\"\n+++\n")],
        "one.md:3: front matter: a `link` chapter needs a `url`",
    );
}

#[test]
fn duplicate_ids_in_a_snapshot_are_refused() {
    let ws = published();
    import_refused(
        &ws,
        &[
            ("a/one.md", &chapter("One", "x\n")),
            ("b/one.md", &chapter("Again", "y\n")),
        ],
        "duplicate chapter id \"one\"",
    );
}

#[test]
fn ids_with_path_tricks_are_refused() {
    let ws = published();
    import_refused(
        &ws,
        &[(
            "one.md",
            "+++\ntitle = \"One\"\nid = \"../../hooks/post-update\"\n+++\n",
        )],
        "one.md:3: front matter: chapter id",
    );
    import_refused(
        &ws,
        &[("One Two.md", &chapter("One", "x\n"))],
        "set `id` in the front matter",
    );
}

#[test]
fn a_release_that_exists_already_is_refused() {
    let ws = published();
    let before = ws.refs();
    let snap = ws.snapshot("s2", &[("one.md", &chapter("One", &body(" Changed.")))]);
    ws.import(&snap, "r1", "2024-02-01")
        .refused("release m/r1 exists already");
    assert_eq!(ws.refs(), before);
}

#[test]
fn a_malformed_release_name_is_refused() {
    let ws = published();
    let before = ws.refs();
    let snap = ws.snapshot("s2", &[("one.md", &chapter("One", &body(" Changed.")))]);
    for bad in ["../r2", "r 2", ".r2", "r2.lock", "a..b", ""] {
        ws.import(&snap, bad, "2024-02-01").refused("release name");
    }
    assert_eq!(ws.refs(), before);
}

#[test]
fn a_release_with_nothing_to_report_is_refused() {
    let ws = published();
    import_refused(
        &ws,
        &[("one.md", &chapter("One", &body("")))],
        "nothing to report",
    );
    let rewrapped = body("").replace("must act without", "must act\n   without");
    import_refused(
        &ws,
        &[("moved/one.md", &chapter("One", &rewrapped))],
        "nothing to report: release r2 of m would change no chapter since release r1",
    );
}

#[test]
fn a_release_dated_before_the_latest_is_refused() {
    let ws = published();
    let before = ws.refs();
    let snap = ws.snapshot("s2", &[("one.md", &chapter("One", &body(" Changed.")))]);
    ws.import(&snap, "r0", "2023-12-31")
        .refused("before the latest release r1 (2024-01-01)");
    ws.import(&snap, "r2", "2024-13-01")
        .refused("\"2024-13-01\" is not a date");
    assert_eq!(ws.refs(), before);
}

#[test]
fn unknown_manuals_and_releases_in_diff_are_refused() {
    let ws = published();
    ws.run(&["diff", "--manual", "nope"])
        .refused("unknown manual \"nope\"");
    ws.run(&["diff", "--manual", "../m"])
        .refused("manual id \"../m\" is not valid");
    ws.run(&["diff", "--manual", "m", "--to", "r9"])
        .refused("manual m has no release \"r9\"");
    ws.run(&["diff", "--manual", "m", "--from", "2023-01"])
        .refused("manual m has no release \"2023-01\"");
}

#[test]
fn an_empty_or_missing_snapshot_folder_is_refused() {
    let ws = published();
    let before = ws.refs();
    std::fs::create_dir_all(ws.dir.path().join("empty")).unwrap();
    ws.import(&ws.path("empty"), "r2", "2024-02-01")
        .refused("manual.toml: missing");
    ws.write("only-manual/manual.toml", "title = \"T\"\n");
    ws.import(&ws.path("only-manual"), "r2", "2024-02-01")
        .refused("no chapters");
    ws.import(&ws.path("does-not-exist"), "r2", "2024-02-01")
        .refused("cannot read the snapshot folder");
    assert_eq!(ws.refs(), before);
}

#[test]
fn notes_for_chapters_not_in_the_snapshot_are_refused() {
    let ws = published();
    let before = ws.refs();
    let snap = ws.snapshot("s2", &[("one.md", &chapter("One", &body(" Changed.")))]);
    let notes = ws.write("notes.toml", "[notes]\ntypo-id = \"A note.\"\n");
    ws.run(&[
        "import",
        &snap,
        "--manual",
        "m",
        "--release",
        "r2",
        "--date",
        "2024-02-01",
        "--notes",
        notes.to_str().unwrap(),
    ])
    .refused("a note names chapter \"typo-id\", which is not in the snapshot");
    let notes = ws.write("bad-notes.toml", "notes = 3\n");
    ws.run(&[
        "import",
        &snap,
        "--manual",
        "m",
        "--release",
        "r2",
        "--notes",
        notes.to_str().unwrap(),
    ])
    .refused("bad-notes.toml: line 1:");
    assert_eq!(ws.refs(), before);
}

#[test]
fn symbolic_links_in_a_snapshot_are_refused() {
    let ws = published();
    let before = ws.refs();
    let snap = ws.snapshot("s2", &[("one.md", &chapter("One", &body(" Changed.")))]);
    std::os::unix::fs::symlink("/etc/passwd", ws.dir.path().join("s2/passwd.md")).unwrap();
    ws.import(&snap, "r2", "2024-02-01")
        .refused("symbolic links are not allowed");
    assert_eq!(ws.refs(), before);
}

#[test]
fn usage_errors_are_one_line_too() {
    let ws = published();
    ws.run(&["diff"]).refused("--manual");
    ws.run(&["import", "x", "--manual", "m", "--release", "r", "--bogus"])
        .refused("--bogus");
}

#[test]
fn markup_nested_past_the_limits_is_refused_naming_the_line() {
    let ws = published();
    let quotes = chapter("One", &format!("Intro.\n\n{}x\n", "> ".repeat(100_000)));
    import_refused(
        &ws,
        &[("one.md", &quotes)],
        "one.md:6: the line opens 100000 levels of block quotes and lists",
    );
    let divs = chapter("One", &format!("{}x\n", "<div>".repeat(90_000)));
    import_refused(
        &ws,
        &[("one.md", &divs)],
        "one.md:4: markup nested 49 levels deep here",
    );
}

#[test]
fn unknown_front_matter_keys_are_refused() {
    let ws = published();
    import_refused(
        &ws,
        &[(
            "one.md",
            "+++\ntitle = \"One\"\nreviewer = \"lead@example.org\"\n+++\nBody.\n",
        )],
        "one.md:3: front matter: unknown key `reviewer`",
    );
    import_refused(
        &ws,
        &[(
            "one.md",
            "+++\ntitle = \"One\"\nowner = \"not an address\"\n+++\nBody.\n",
        )],
        "one.md:3: front matter: `owner` must be an email address",
    );
}

#[test]
fn ids_and_names_starting_with_a_hyphen_are_refused() {
    let ws = published();
    import_refused(
        &ws,
        &[("one.md", "+++\ntitle = \"One\"\nid = \"-x\"\n+++\nBody.\n")],
        "one.md:3: front matter: chapter id \"-x\" is not valid: it must start with a letter",
    );
    import_refused(
        &ws,
        &[("-.md", &chapter("One", "Body.\n"))],
        "chapter id \"-\" is not valid",
    );
    let before = ws.refs();
    let snap = ws.snapshot(
        "s-hyphen",
        &[("one.md", &chapter("One", &body(" Changed.")))],
    );
    ws.run(&["import", &snap, "--manual", "m", "--release=-r2"])
        .refused("release name \"-r2\" is not valid");
    ws.run(&["import", &snap, "--manual=-m", "--release", "r2"])
        .refused("manual id \"-m\" is not valid");
    assert_eq!(ws.refs(), before);
}
