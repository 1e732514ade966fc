//! Review tracking (SPEC §6 `reviews`): chapters by review date with their owners and
//! sources, on a configured "today"; reviews recorded by an import with no release.

mod desk;

use crate::support::{Workspace, body};

/// A workspace whose clock starts on 2 March 2026.
pub(super) fn on_second_of_march() -> Workspace {
    let ws = Workspace::new();
    let mut config = std::fs::read_to_string(&ws.config).unwrap();
    config.push_str("\n[clock]\nnow = \"2026-03-02\"\n");
    std::fs::write(&ws.config, config).unwrap();
    ws
}

fn chapter_with(title: &str, extra: &str, text: &str) -> String {
    format!("+++\ntitle = \"{title}\"\n{extra}+++\n{}", body(text))
}

pub(super) const GUIDANCE: &str =
    "https://www.gov.uk/government/publications/working-together-to-safeguard-children--2";

pub(super) fn chapters(due_a: &str, owner_a: &str) -> Vec<(String, String)> {
    vec![
        (
            "a.md".into(),
            chapter_with(
                "Alpha",
                &format!(
                    "review_due = {due_a}\nowner = \"{owner_a}\"\nsources = [\"{GUIDANCE}\"]\n"
                ),
                "",
            ),
        ),
        (
            "b.md".into(),
            chapter_with("Beta", "review_due = 2026-03-20\n", ""),
        ),
        (
            "c.md".into(),
            chapter_with(
                "Gamma",
                "review_due = 2027-01-01\nowner = \"c@example.org\"\n",
                "",
            ),
        ),
        ("d.md".into(), chapter_with("Delta", "", "")),
    ]
}

pub(super) fn snapshot(ws: &Workspace, name: &str, files: &[(String, String)]) -> String {
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(f, t)| (f.as_str(), t.as_str()))
        .collect();
    ws.snapshot(name, &files)
}

#[test]
fn reviews_lists_the_drafts_chapters_by_state_with_owners_and_sources() {
    let ws = on_second_of_march();
    let s1 = snapshot(&ws, "s1", &chapters("2026-02-01", "lead@example.org"));
    ws.import(&s1, "r1", "2026-01-10").ok();

    let out = ws
        .run(&["reviews", "--manual", "m", "--format", "json"])
        .ok();
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report["manual"], "m");
    assert_eq!(report["today"], "2026-03-02");
    let rows: Vec<(String, String)> = report["chapters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_owned(),
                c["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("a", "overdue"),
        ("b", "due"),
        ("c", "later"),
        ("d", "none"),
    ];
    assert_eq!(
        rows,
        expected.map(|(a, b)| (a.to_owned(), b.to_owned())),
        "{report}"
    );
    let alpha = &report["chapters"][0];
    assert_eq!(alpha["owner"], "lead@example.org");
    assert_eq!(alpha["review_due"], "2026-02-01");
    assert_eq!(alpha["title"], "Alpha");
    assert_eq!(alpha["sources"][0]["url"], GUIDANCE);
    assert_eq!(alpha["sources"][0]["state"], "unchecked");
    assert_eq!(report["chapters"][3]["owner"], serde_json::Value::Null);

    let text = ws.run(&["reviews", "--manual", "m"]).ok().stdout;
    assert!(
        text.contains("overdue (1):\n  2026-02-01  a  Alpha  (lead@example.org)"),
        "{text}"
    );
    assert!(
        text.contains("due within 30 days (1):\n  2026-03-20  b  Beta  (no owner)"),
        "{text}"
    );
    assert!(
        text.contains("no review date (1):\n  no date  d  Delta"),
        "{text}"
    );

    ws.run(&["reviews", "--manual", "nope"]).refused("nope");
    ws.run(&["reviews", "--manual", "m", "--format", "xml"])
        .refused("unknown format");
}

#[test]
fn an_import_that_only_records_reviews_is_saved_without_a_release() {
    let ws = on_second_of_march();
    let s1 = snapshot(&ws, "s1", &chapters("2026-02-01", "lead@example.org"));
    ws.import(&s1, "r1", "2026-01-10").ok();
    let tags_before: Vec<String> = ws
        .refs()
        .into_iter()
        .map(|(r, _)| r)
        .filter(|r| r.starts_with("refs/tags/"))
        .collect();

    // Alpha reviewed: a new date and owner, the text as it was.
    let s2 = snapshot(&ws, "s2", &chapters("2027-02-01", "new-lead@example.org"));
    let saved = ws.import(&s2, "r2", "2026-03-02").ok();
    assert!(
        saved
            .stdout
            .starts_with("saved the reviews of 1 chapters (a)"),
        "{}",
        saved.stdout
    );
    let tags: Vec<String> = ws
        .refs()
        .into_iter()
        .map(|(r, _)| r)
        .filter(|r| r.starts_with("refs/tags/"))
        .collect();
    assert_eq!(tags, tags_before, "no release was made");
    let report: serde_json::Value = serde_json::from_str(
        &ws.run(&["reviews", "--manual", "m", "--format", "json"])
            .ok()
            .stdout,
    )
    .unwrap();
    let alpha = report["chapters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "a")
        .unwrap()
        .clone();
    assert_eq!(
        (&alpha["state"], &alpha["owner"]),
        (&"later".into(), &"new-lead@example.org".into())
    );

    // The same again records nothing and is refused; a bad owner is refused with its line.
    ws.import(&s2, "r2", "2026-03-02")
        .refused("nothing to report");
    let mut bad = chapters("2027-02-01", "not an address");
    bad.truncate(1);
    let s3 = snapshot(&ws, "s3", &bad);
    ws.import(&s3, "r2", "2026-03-02").refused("a.md:4");

    // A change of text is released as ever, with the review that was saved.
    let mut next = chapters("2027-02-01", "new-lead@example.org");
    next[1].1 = chapter_with("Beta", "review_due = 2026-03-20\n", " Now with a new step.");
    let s4 = snapshot(&ws, "s4", &next);
    let released = ws.import(&s4, "r2", "2026-03-02").ok();
    assert!(
        released.stdout.starts_with("published m/r2"),
        "{}",
        released.stdout
    );
    let notice = ws
        .run(&["diff", "--manual", "m", "--format", "json"])
        .ok()
        .stdout;
    assert!(notice.contains("\"b\""), "{notice}");
    assert!(
        !notice.contains("\"id\":\"a\""),
        "a review is not in the notice: {notice}"
    );
}

#[test]
fn the_dashboard_shows_each_group_with_owners_and_links_to_the_forms() {
    use crate::support::Server;
    use crate::workspace::{Desk, add_editor};
    let ws = on_second_of_march();
    let s1 = snapshot(&ws, "s1", &chapters("2026-02-01", "lead@example.org"));
    ws.import(&s1, "r1", "2026-01-10").ok();
    let (_, link) = add_editor(&ws, "Sam", "editor");
    let server = Server::start(ws);
    assert_eq!(
        server.fetch("/edit/manuals/m/reviews", &[]).status,
        303,
        "signed out: to the sign-in page"
    );
    let desk = Desk::sign_in(&server, &link);
    let page = desk.get("/edit/manuals/m/reviews");
    assert_eq!(page.status, 200, "{}", page.body);
    let body = &page.body;
    let at = |needle: &str| {
        body.find(needle)
            .unwrap_or_else(|| panic!("{needle:?} in {body}"))
    };
    assert!(at("Overdue (1)") < at("Alpha") && at("Alpha") < at("Due within 30 days (1)"));
    assert!(at("Due within 30 days (1)") < at("Beta") && at("Beta") < at("Later (1)"));
    assert!(at("Without a review date (1)") < at("Delta"));
    assert!(body.contains("href=\"/edit/manuals/m/chapters/a\""));
    assert!(body.contains("lead@example.org") && body.contains("1 February 2026"));
    assert!(
        body.contains(&format!("{GUIDANCE}</a>\n          (not checked yet)")),
        "{body}"
    );
    assert!(
        desk.get("/edit/manuals/m")
            .body
            .contains("/edit/manuals/m/reviews")
    );
    assert_eq!(desk.get("/edit/manuals/nope/reviews").status, 404);
}

/// Starts `serve` on `ws` with its clock at `now`, waits `settle` after the reminders it
/// owes went out (or the wait for `expect` messages in all ran out), and stops it.
fn serve_at(ws: &Workspace, now: &str, sink: &crate::support::Sink, expect: usize) {
    let config = std::fs::read_to_string(&ws.config).unwrap();
    let config = match config.find("\n[clock]") {
        Some(at) => config[..at].to_owned(),
        None => config,
    };
    std::fs::write(&ws.config, format!("{config}\n[clock]\nnow = \"{now}\"\n")).unwrap();
    let (mut child, _, _) = crate::support::spawn_server(ws, "warn");
    let started = std::time::Instant::now();
    while sink.messages().len() < expect && started.elapsed() < std::time::Duration::from_secs(30) {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // Time for anything beyond what was expected to show.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn owners_hear_weekly_of_what_is_due_and_editors_of_what_has_no_owner() {
    use crate::support::{Faults, Sink};
    let sink = Sink::start(Faults::NONE);
    let ws = Workspace::new();
    ws.enable_reminders();
    let mut config = std::fs::read_to_string(&ws.config).unwrap();
    config.push_str(&sink.config());
    std::fs::write(&ws.config, config).unwrap();
    crate::workspace::add_editor(&ws, "Sam", "editor");
    let s1 = snapshot(&ws, "s1", &chapters("2026-02-01", "lead@example.org"));
    ws.import(&s1, "r1", "2026-01-10").ok();

    // Monday 2 March 2026, after the 08:00 run: what is owed goes out at start.
    serve_at(&ws, "2026-03-02T09:00:00Z", &sink, 2);
    let counts = sink.counts();
    assert_eq!(
        counts.keys().map(String::as_str).collect::<Vec<_>>(),
        ["lead@example.org", "sam@example.org"],
        "the owner of the overdue chapter and the editors for the unowned one; c@ only has a later one"
    );
    let messages = sink.messages();
    let to = |who: &str| messages.iter().find(|(r, _)| r == who).unwrap().1.clone();
    let lead = to("lead@example.org");
    assert!(
        lead.contains("Subject: Procedure chapters to review (1 this week)"),
        "{lead}"
    );
    assert!(
        lead.contains("Alpha (Test Procedures): overdue since 1 February 2026"),
        "{lead}"
    );
    assert!(!lead.contains("Beta"), "{lead}");
    let sam = to("sam@example.org");
    assert!(
        sam.contains("Beta (Test Procedures): due by 20 March 2026"),
        "{sam}"
    );

    // Restarted the same week: nothing again.
    serve_at(&ws, "2026-03-04T12:00:00Z", &sink, 2);
    assert_eq!(sink.messages().len(), 2, "{:?}", sink.counts());

    // The next week, still due: once more each.
    serve_at(&ws, "2026-03-09T09:00:00Z", &sink, 4);
    assert_eq!(sink.counts().values().copied().collect::<Vec<_>>(), [2, 2]);

    // Reviewed: Alpha's next date is next year, Beta has an owner whose date is later.
    let mut reviewed = chapters("2027-02-01", "lead@example.org");
    reviewed[1].1 = chapter_with(
        "Beta",
        "review_due = 2027-03-20\nowner = \"b@example.org\"\n",
        "",
    );
    let s2 = snapshot(&ws, "s2", &reviewed);
    ws.import(&s2, "r2", "2026-03-10").ok();
    serve_at(&ws, "2026-03-16T09:00:00Z", &sink, 4);
    assert_eq!(
        sink.messages().len(),
        4,
        "nothing due, nothing sent: {:?}",
        sink.counts()
    );
}
