//! Long lists (a national host's big manuals): contents and notices answered a page or a
//! window at a time, and a big first release summarised where many notices are shown
//! together (the home page, digests, feeds).

use std::collections::HashSet;

use serde_json::Value;

use crate::support::{Server, Workspace};

/// Chapters of the big manual: more than two pages of 500 and a window of 1,000.
const CHAPTERS: usize = 1205;

/// A workspace with manual `big` (one release of [`CHAPTERS`] chapters in three sections)
/// and manual `m` (a first release and a small second one).
fn national() -> Workspace {
    let ws = Workspace::new();
    let files: Vec<(String, String)> = (0..CHAPTERS)
        .map(|i| {
            let text = format!(
                "+++\ntitle = \"Procedure {i:04}\"\nsection = \"Part {}\"\n+++\nThe steps of procedure {i:04}.\n",
                i % 3
            );
            (format!("p/c{i:04}.md"), text)
        })
        .collect();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(f, t)| (f.as_str(), t.as_str()))
        .collect();
    let snapshot = ws.snapshot("big", &refs);
    ws.run(&[
        "import",
        &snapshot,
        "--manual",
        "big",
        "--release",
        "2024-05",
        "--date",
        "2024-05-02",
    ])
    .ok();
    let small = |body: &str| format!("+++\ntitle = \"Neglect\"\n+++\n{body}\n");
    let first = ws.snapshot("m1", &[("neglect.md", &small("Neglect is persistent."))]);
    ws.import(&first, "2024-03", "2024-03-01").ok();
    let second = ws.snapshot(
        "m2",
        &[("neglect.md", &small("Neglect is persistent failure."))],
    );
    ws.import(&second, "2024-04", "2024-04-01").ok();
    ws
}

/// Follows `next` from `first`: every window's entries under `key`, and how many windows.
fn follow(s: &Server, first: &str, key: &str) -> (Vec<String>, usize) {
    let (mut ids, mut windows, mut address) = (Vec::new(), 0, Some(first.to_owned()));
    while let Some(path) = address {
        let answer = s.fetch(&path, &[]);
        assert_eq!(answer.status, 200, "{path}: {}", answer.body);
        let json = answer.json();
        assert_eq!(json["total"], CHAPTERS, "{path}");
        let next = json["next"].as_str().map(str::to_owned);
        assert_eq!(
            answer.header("link"),
            next.as_ref()
                .map_or(String::new(), |n| format!("<{n}>; rel=\"next\"")),
            "{path}"
        );
        for entry in json[key].as_array().unwrap() {
            ids.push(entry["id"].as_str().unwrap().to_owned());
        }
        windows += 1;
        address = next;
    }
    (ids, windows)
}

#[test]
fn api_lists_come_a_window_at_a_time_and_every_entry_once() {
    let s = Server::start(national());
    for (first, key, size) in [
        ("/api/v1/manuals/big/chapters", "chapters", 1000),
        ("/api/v1/manuals/big/releases/2024-05", "new", 1000),
        ("/api/v1/manuals/big/diff?to=2024-05", "new", 1000),
        ("/api/v1/manuals/big/chapters?limit=500", "chapters", 500),
        ("/api/v1/manuals/big/releases/2024-05?limit=400", "new", 400),
    ] {
        let (ids, windows) = follow(&s, first, key);
        assert_eq!(ids.len(), CHAPTERS, "{first}");
        assert_eq!(
            ids.iter().collect::<HashSet<_>>().len(),
            CHAPTERS,
            "{first}"
        );
        assert_eq!(windows, CHAPTERS.div_ceil(size), "{first}");
    }
    // A window of the current contents names its release: the next window reads the same one.
    let (_, first) = s.get("/api/v1/manuals/big/chapters");
    assert!(
        first["next"].as_str().unwrap().contains("release=2024-05"),
        "{first}"
    );
    // A short list is whole, with no next window.
    let (status, small) = s.get("/api/v1/manuals/m/releases/2024-04");
    assert_eq!(
        (status, &small["total"], &small["next"]),
        (200, &Value::from(1), &Value::Null)
    );
    assert_eq!(small["updated"].as_array().unwrap().len(), 1);
}

#[test]
fn cursors_and_limits_the_api_did_not_give_are_refused() {
    let s = Server::start(national());
    for bad in [
        "cursor=abc",
        "cursor=0",
        "cursor=99999",
        "cursor=-5",
        "limit=0",
        "limit=1001",
        "limit=x",
    ] {
        for path in [
            "/api/v1/manuals/big/chapters",
            "/api/v1/manuals/big/releases/2024-05",
        ] {
            let (status, body) = s.get(&format!("{path}?{bad}"));
            assert_eq!(status, 400, "{path}?{bad}: {body}");
            assert!(!body["error"].as_str().unwrap().is_empty(), "{body}");
        }
    }
}

#[test]
fn long_pages_are_paged_and_each_page_is_its_own() {
    let s = Server::start(national());
    let links = |html: &str| html.matches("<li><a href=\"/manuals/big/chapters/").count();
    let page = s.fetch("/manuals/big", &[]);
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Chapters 1 to 500 of 1,205"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("href=\"/manuals/big?page=2\""),
        "{}",
        page.body
    );
    assert_eq!(links(&page.body), 500);
    let second = s.fetch("/manuals/big?page=2", &[]);
    assert!(second.body.contains("Chapters 501 to 1,000 of 1,205"));
    assert!(
        second.body.contains("(continued)"),
        "a section running on says so"
    );
    let last = s.fetch("/manuals/big?page=3", &[]);
    assert!(last.body.contains("Page 3 of 3"));
    assert_eq!(links(&last.body), 205);
    assert!(!last.body.contains("rel=\"next\""));
    let seen: HashSet<&str> = [&page.body, &second.body, &last.body]
        .iter()
        .flat_map(|b| b.split("<li><a href=\"/manuals/big/chapters/").skip(1))
        .map(|rest| rest.split('"').next().unwrap())
        .collect();
    assert_eq!(seen.len(), CHAPTERS, "every chapter on exactly one page");

    let notice = s.fetch("/manuals/big/releases/2024-05?page=3", &[]);
    assert_eq!(notice.status, 200);
    assert!(
        notice.body.contains("1,205 chapters published."),
        "{}",
        notice.body
    );
    assert!(notice.body.contains("Chapters 1,001 to 1,205 of 1,205"));
    assert_eq!(notice.body.matches("/manuals/big/chapters/").count(), 205);

    assert_eq!(s.fetch("/manuals/big?page=4", &[]).status, 404);
    for bad in ["0", "abc", "-1", "1.5"] {
        let answer = s.fetch(&format!("/manuals/big/releases/2024-05?page={bad}"), &[]);
        assert_eq!(answer.status, 400, "page={bad}");
    }
    // A short manual's pages are whole, with no pager.
    let small = s.fetch("/manuals/m", &[]);
    assert!(!small.body.contains("class=\"pager\""));
}

#[test]
fn a_big_first_release_is_summarised_where_notices_are_shown_together() {
    let s = Server::start(national());
    let home = s.fetch("/", &[]);
    assert_eq!(home.status, 200);
    assert!(
        home.body.contains("1,205 chapters published."),
        "{}",
        home.body
    );
    assert!(home.body.contains("href=\"/manuals/big/releases/2024-05\""));
    assert!(
        !home.body.contains("/manuals/big/chapters/"),
        "no chapter of it listed"
    );
    // The small release is listed as ever.
    assert!(
        home.body
            .contains("/manuals/m/chapters/neglect?release=2024-04")
    );

    let feed = s.fetch("/manuals/big/feed.atom", &[]);
    assert_eq!(feed.status, 200);
    assert!(feed.body.contains("1,205 chapters published."));
    assert!(feed.body.len() < 20_000, "{} bytes", feed.body.len());

    let ws = &s.ws;
    ws.run(&["subscribers", "add", "reader@example.org", "--confirmed"])
        .ok();
    ws.run(&["digest", "--period", "2024-05"]).ok();
    let outbox = ws.data.join("outbox");
    let letters: Vec<String> = std::fs::read_dir(&outbox)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert_eq!(letters.len(), 1);
    let letter = crate::support::decoded(&letters[0]);
    assert!(letter.contains("1,205 chapters published."), "{letter}");
    assert!(letter.contains("/manuals/big/releases/2024-05"));
    assert!(
        !letter.contains("/manuals/big/chapters/"),
        "no chapter of it listed"
    );
}
