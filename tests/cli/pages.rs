//! The pages practitioners read (SPEC §7): the real server on port 0, its HTML checked for
//! content, the 410/301/404 rules, caching, sanitising and the basics of accessibility.

mod serving;

use crate::support::{Answer, Server, Workspace, body, chapter};

fn sample_server() -> Server {
    Server::start(Workspace::with_sample())
}

/// What every page must have: a language, a skip link to the main landmark, one h1, a
/// label for every form control, and no script.
#[track_caller]
fn assert_accessible(html: &str) {
    assert!(html.starts_with("<!doctype html>"), "{html}");
    assert!(html.contains("<html lang=\"en-GB\">"));
    assert!(html.contains("<a class=\"skip\" href=\"#main\">"));
    assert!(html.contains("<main id=\"main\""));
    assert!(html.contains("<header") && html.contains("<footer"));
    assert_eq!(html.matches("<h1").count(), 1, "one h1: {html}");
    assert!(!html.contains("<script"), "{html}");
    for control in ["<input", "<select"] {
        for piece in html.split(control).skip(1) {
            let tag = &piece[..piece.find('>').unwrap()];
            if tag.contains("type=\"hidden\"") {
                continue;
            }
            let id = tag
                .split("id=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap_or_else(|| panic!("a form control without an id: {control}{tag}"));
            assert!(
                html.contains(&format!("<label for=\"{id}\"")),
                "no label for #{id}"
            );
        }
    }
}

#[track_caller]
fn html_page(s: &Server, path: &str) -> Answer {
    let answer = s.fetch(path, &[]);
    assert_eq!(answer.status, 200, "{path}: {}", answer.body);
    assert!(answer.header("content-type").starts_with("text/html"));
    assert_accessible(&answer.body);
    answer
}

#[test]
fn every_page_answers_accessibly() {
    let s = sample_server();
    for path in [
        "/",
        "/manuals/children",
        "/manuals/children?release=2024-03",
        "/manuals/children/chapters/section-47-enquiries",
        "/manuals/children/chapters/section-47-enquiries?at=2024-03-10",
        "/manuals/children/chapters/section-47-enquiries/history",
        "/manuals/children/chapters/section-47-enquiries/diff?from=2024-03&to=2024-04",
        "/manuals/children/releases",
        "/manuals/children/releases/2024-04",
        "/search",
        "/search?q=LADO",
        "/search?q=zzzzqqqq",
        "/accessibility",
    ] {
        html_page(&s, path);
    }
    let css = s.fetch("/static/style.css", &[]);
    assert_eq!(css.status, 200);
    assert!(css.header("content-type").starts_with("text/css"));
    assert!(css.body.contains("@media print"));
    assert!(css.body.contains(":focus-visible"));
}

#[test]
fn home_lists_manuals_search_and_latest_notices() {
    let s = sample_server();
    let home = html_page(&s, "/").body;
    assert!(home.contains("href=\"/manuals/children\">Safeguarding Children Procedures</a>"));
    assert!(home.contains("href=\"/manuals/adults\">Safeguarding Adults Procedures</a>"));
    assert!(home.contains("action=\"/search\""));
    assert!(home.contains("Updated chapters"));
    assert!(home.contains("/manuals/children/releases/2024-04"));
}

#[test]
fn contents_are_grouped_by_section_with_last_changes() {
    let s = sample_server();
    let page = html_page(&s, "/manuals/children").body;
    assert!(page.contains("<h2 id=\"s1\">"), "{page}");
    assert!(page.contains(
        "href=\"/manuals/children/chapters/section-47-enquiries\">Child Protection Enquiries - Section 47 Children Act 1989</a>"
    ));
    assert!(
        page.contains("last changed in <a href=\"/manuals/children/releases/2024-04\">2024-04</a>")
    );
    // A chapter the April release removed is in March's contents only.
    assert!(!page.contains("/chapters/e-safety"));
    let march = html_page(&s, "/manuals/children?release=2024-03").body;
    assert!(march.contains("/chapters/e-safety?release=2024-03"));
    assert!(march.contains("class=\"past-banner\""));
}

#[test]
fn a_chapter_with_contents_release_and_history() {
    let s = sample_server();
    let page = html_page(&s, "/manuals/children/chapters/section-47-enquiries").body;
    assert!(page.contains("<h1>Child Protection Enquiries - Section 47 Children Act 1989</h1>"));
    assert!(page.contains("Current as of release <a href=\"/manuals/children/releases/2024-04\">2024-04</a> (2 April 2024)"));
    assert!(page.contains("<nav class=\"toc\""));
    assert!(page.contains("<a href=\"#s-3-strategy-discussion\">3. Strategy Discussion</a>"));
    assert!(page.contains("<h2 id=\"s-3-strategy-discussion\">"));
    assert!(page.contains("Changes to this chapter"));
    assert!(page.contains(
        "href=\"/manuals/children/chapters/section-47-enquiries/diff?from=2024-03&amp;to=2024-04\""
    ) || page.contains("diff?from=2024-03&#38;to=2024-04"), "{page}");
    assert!(!page.contains("past-banner"));
}

#[test]
fn past_versions_carry_an_unmissable_banner() {
    let s = sample_server();
    let page = html_page(
        &s,
        "/manuals/children/chapters/section-47-enquiries?at=2024-03-10",
    )
    .body;
    assert!(page.contains("class=\"past-banner\""));
    assert!(page.contains("This is the version in force on 10 March 2024 (release 2024-03"));
    assert!(page.contains(
        "<a href=\"/manuals/children/chapters/section-47-enquiries\">Read the current version</a>"
    ));
    // Before the first release nothing was in force.
    let before = s.fetch(
        "/manuals/children/chapters/section-47-enquiries?at=2020-01-01",
        &[],
    );
    assert_eq!(before.status, 404);
    assert!(
        before
            .body
            .contains("no release of children was in force on 2020-01-01")
    );
    let bad = s.fetch(
        "/manuals/children/chapters/section-47-enquiries?at=March",
        &[],
    );
    assert_eq!(bad.status, 400);
    let unknown = s.fetch(
        "/manuals/children/chapters/section-47-enquiries?release=1999-01",
        &[],
    );
    assert_eq!(unknown.status, 404);
}

#[test]
fn a_chapter_diff_marks_words_and_folds_unchanged_sections() {
    let s = sample_server();
    let page = html_page(
        &s,
        "/manuals/children/chapters/section-47-enquiries/diff?from=2024-03&to=2024-04",
    )
    .body;
    assert!(page.contains("<ins>") || page.contains("<del>"), "{page}");
    assert!(page.contains("<details class=\"diff-section unchanged\">"));
    assert!(page.contains("class=\"diff-section changed\""));
    let removed = s.fetch(
        "/manuals/children/chapters/nope/diff?from=2024-03&to=2024-04",
        &[],
    );
    assert_eq!(removed.status, 404);
}

#[test]
fn a_release_page_is_the_notice() {
    let s = sample_server();
    let page = html_page(&s, "/manuals/children/releases/2024-04").body;
    for heading in ["Updated chapters", "New chapters", "Removed chapters"] {
        assert!(page.contains(heading), "{heading}");
    }
    assert!(
        page.contains("href=\"/manuals/children/chapters/section-47-enquiries?release=2024-04\"")
    );
    assert!(page.contains("(see changes)"));
    assert_eq!(
        s.fetch("/manuals/children/releases/2099-01", &[]).status,
        404
    );
}

#[test]
fn the_accessibility_statement_says_where_to_report_a_problem() {
    let s = sample_server();
    let home = html_page(&s, "/").body;
    assert!(home.contains("<a href=\"/accessibility\">Accessibility statement</a>"));
    let statement = html_page(&s, "/accessibility").body;
    assert!(statement.contains("Accessibility statement for Safeguarding procedures"));
    assert!(statement.contains("mailto:procedures@localhost.localdomain"));
    assert!(statement.contains("Equality Advisory and Support Service"));
    assert!(statement.contains("axe-core"));

    let configured = Server::start(Workspace::with_sample_and(
        "\n[mail]\nfrom = \"Procedures <noreply@example.org>\"\nreply_to = \"Procedures team <team@example.org>\"\n",
    ));
    let statement = html_page(&configured, "/accessibility").body;
    assert!(statement.contains("<a href=\"mailto:team@example.org\">team@example.org</a>"));
    assert!(!statement.contains("noreply@example.org"));
}

#[test]
fn removed_chapters_are_gone_and_unknown_pages_help() {
    let s = sample_server();
    let gone = s.fetch("/manuals/children/chapters/e-safety", &[]);
    assert_eq!(gone.status, 410);
    assert_accessible(&gone.body);
    assert!(
        gone.body
            .contains("was removed from the manual in release 2024-04 (2 April 2024)")
    );
    assert!(
        gone.body
            .contains("href=\"/manuals/children/chapters/e-safety?release=2024-03\"")
    );
    assert!(
        gone.body
            .contains("href=\"/manuals/children/releases/2024-04\"")
    );
    // Its last version is still there to read.
    let last = html_page(&s, "/manuals/children/chapters/e-safety?release=2024-03").body;
    assert!(last.contains("past-banner"));

    for path in [
        "/nowhere",
        "/manuals/nope",
        "/manuals/children/chapters/no-such-chapter",
        "/manuals/..%2F..%2Fetc",
    ] {
        let answer = s.fetch(path, &[]);
        assert_eq!(answer.status, 404, "{path}");
        assert!(
            answer.header("content-type").starts_with("text/html"),
            "{path}"
        );
        assert_accessible(&answer.body);
        assert!(answer.body.contains("action=\"/search\""));
    }
    let api = s.fetch("/api/v1/nowhere", &[]);
    assert_eq!(api.status, 404);
    assert!(api.json()["error"].is_string());
}

#[test]
fn a_renamed_chapter_redirects_permanently() {
    let ws = Workspace::new();
    let first = ws.snapshot(
        "r1",
        &[("old-name.md", &chapter("Strategy Discussions", &body("")))],
    );
    ws.import(&first, "2024-01", "2024-01-10").ok();
    let second = ws.snapshot(
        "r2",
        &[(
            "new-name.md",
            &chapter("Strategy Discussions", &body(" Minutes are kept.")),
        )],
    );
    ws.import(&second, "2024-02", "2024-02-10").ok();
    let s = Server::start(ws);
    let moved = s.fetch("/manuals/m/chapters/old-name", &[]);
    assert_eq!(moved.status, 301);
    assert_eq!(moved.header("location"), "/manuals/m/chapters/new-name");
    // The old id still reads at the release that had it.
    let old = s.fetch("/manuals/m/chapters/old-name?release=2024-01", &[]);
    assert_eq!(old.status, 200);
}
