//! How pages are served beside what they say: caching, scripts in chapters sanitised,
//! the search page, the Atom feeds, and releases imported by another process.

use super::*;

#[test]
fn immutable_views_cache_forever_and_current_ones_revalidate() {
    let s = sample_server();
    let fixed = s.fetch(
        "/manuals/children/chapters/section-47-enquiries?release=2024-03",
        &[],
    );
    assert_eq!(fixed.status, 200);
    assert!(fixed.header("cache-control").contains("immutable"));
    let etag = fixed.header("etag").to_owned();
    assert!(etag.starts_with('"') && etag.len() > 10, "{etag}");
    let again = s.fetch(
        "/manuals/children/chapters/section-47-enquiries?release=2024-03",
        &[("if-none-match", &etag)],
    );
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());

    let current = s.fetch("/manuals/children/chapters/section-47-enquiries", &[]);
    assert_eq!(current.header("cache-control"), "no-cache");
    let etag = current.header("etag").to_owned();
    let revalidated = s.fetch(
        "/manuals/children/chapters/section-47-enquiries",
        &[("if-none-match", &etag)],
    );
    assert_eq!(revalidated.status, 304);
    let stale = s.fetch(
        "/manuals/children/chapters/section-47-enquiries",
        &[("if-none-match", "\"something-else\"")],
    );
    assert_eq!(stale.status, 200);
}

#[test]
fn scripts_in_chapters_never_reach_the_page() {
    let ws = Workspace::new();
    let hostile = chapter(
        "Hostile <script>alert(1)</script> title",
        "Text <script>alert('x')</script> and <img src=x onerror=alert(1)> and \
         [click](javascript:alert(1)) and <a href=\"javascript:alert(2)\">link</a> \
         <iframe src=\"https://evil.example\"></iframe> <style>body{display:none}</style>\n\n\
         ## <span onmouseover=alert(3)>1. Section</span>\n\nMore.\n",
    );
    let snapshot = ws.snapshot("r1", &[("hostile.md", &hostile)]);
    ws.import(&snapshot, "2024-01", "2024-01-10").ok();
    let s = Server::start(ws);
    for path in [
        "/manuals/m/chapters/hostile",
        "/manuals/m",
        "/manuals/m/releases/2024-01",
        "/search?q=hostile",
        "/",
    ] {
        let page = s.fetch(path, &[]);
        assert_eq!(page.status, 200, "{path}");
        let lower = page.body.to_lowercase();
        for bad in [
            "<script",
            "onerror",
            "javascript:",
            "<iframe",
            "onmouseover",
            "<style",
        ] {
            assert!(!lower.contains(bad), "{path} carries {bad}: {}", page.body);
        }
        assert!(
            page.header("content-security-policy")
                .contains("default-src 'none'")
        );
        assert_eq!(page.header("x-content-type-options"), "nosniff");
    }
    let page = s.fetch("/manuals/m/chapters/hostile", &[]).body;
    assert!(
        page.contains("Hostile &lt;script&gt;alert(1)&lt;/script&gt; title")
            || page.contains("Hostile &#60;script&#62;"),
        "{page}"
    );
}

#[test]
fn search_page_filters_counts_and_helps() {
    let s = sample_server();
    let page = html_page(&s, "/search?q=LADO").body;
    assert!(page.contains("chapters found"));
    assert!(page.contains("<mark>"));
    assert!(
        page.contains("Safeguarding Children Procedures (3)")
            || page.contains("Safeguarding Children Procedures ("),
        "{page}"
    );
    let filtered = html_page(&s, "/search?q=LADO&manual=adults").body;
    assert!(filtered.contains("<option value=\"adults\" selected>"));
    assert!(!filtered.contains("href=\"/manuals/children/chapters/"));
    // Point in time: a chapter removed since is found at its date, at its release.
    let past = html_page(&s, "/search?q=e-safety+digital+media&at=2024-03-10").body;
    assert!(
        past.contains("/manuals/children/chapters/e-safety?release=2024-03"),
        "{past}"
    );
    assert!(past.contains("as the procedures stood on 10 March 2024"));
    // Nothing found: help, not an error.
    let none = html_page(&s, "/search?q=zzzzqqqq").body;
    assert!(none.contains("No chapters found"));
    assert!(none.contains("Check the spelling"));
    // Hostile or odd input is searched as words, or explained.
    for q in [
        "%22unbalanced",
        "title:(",
        "%00%01",
        "<script>alert(1)</script>",
        "",
        "+++---",
    ] {
        let answer = s.fetch(&format!("/search?q={q}"), &[]);
        assert_eq!(answer.status, 200, "{q}");
        assert!(!answer.body.contains("<script>alert"), "{q}");
    }
    let bad_date = html_page(&s, "/search?q=LADO&at=yesterday").body;
    assert!(bad_date.contains("is not a date"));
    let bad_manual = html_page(&s, "/search?q=LADO&manual=..%2Fetc").body;
    assert!(bad_manual.contains("There is no manual called"));
}

#[test]
fn atom_feeds_of_releases() {
    let s = sample_server();
    for path in ["/feed.atom", "/manuals/children/feed.atom"] {
        let feed = s.fetch(path, &[]);
        assert_eq!(feed.status, 200, "{path}");
        assert!(
            feed.header("content-type")
                .starts_with("application/atom+xml")
        );
        assert!(
            feed.body
                .contains("<feed xmlns=\"http://www.w3.org/2005/Atom\""),
            "{}",
            feed.body
        );
        assert!(
            feed.body
                .contains("https://procedures.example.org/manuals/children/releases/2024-04")
        );
    }
    let all = s.fetch("/feed.atom", &[]).body;
    assert!(all.contains("/manuals/adults/releases/"));
    assert_eq!(s.fetch("/manuals/nope/feed.atom", &[]).status, 404);
}

#[test]
fn a_release_imported_by_another_process_appears_in_the_running_server() {
    let ws = Workspace::new();
    let first = ws.snapshot(
        "r1",
        &[("strategy.md", &chapter("Strategy Discussions", &body("")))],
    );
    ws.import(&first, "2024-01", "2024-01-10").ok();
    let s = Server::start(ws);
    assert_eq!(s.fetch("/manuals/m/chapters/strategy", &[]).status, 200);
    // Answers kept by the page and search caches must not outlive the import.
    assert_eq!(s.get("/api/v1/search?q=quokkafish").1["total"], 0);
    let second = s.ws.snapshot(
        "r2",
        &[
            ("strategy.md", &chapter("Strategy Discussions", &body(""))),
            (
                "fgm.md",
                &chapter("Female Genital Mutilation", "Report quokkafish concerns.\n"),
            ),
        ],
    );
    s.ws.import(&second, "2024-02", "2024-02-10").ok();
    let started = std::time::Instant::now();
    loop {
        let page = s.fetch("/manuals/m/chapters/fgm", &[]).status;
        let (_, found) = s.get("/api/v1/search?q=quokkafish");
        if page == 200 && found["total"] == 1 {
            assert_eq!(found["hits"][0]["release"], "2024-02");
            break;
        }
        assert!(
            started.elapsed().as_secs() < 10,
            "page {page}, search {found}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}
