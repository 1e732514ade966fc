//! Read acknowledgements end to end: the "I have read this change" links of a real digest
//! (the outbox's `.eml` files), their page and button, and the editors' counts and CSV.

use std::collections::BTreeMap;

use crate::support::{Server, Workspace, decoded};
use crate::workspace::{Desk, add_editor, outbox};

/// The read links of a message, as (chapter, path and query).
pub fn read_links(raw: &str) -> Vec<(String, String)> {
    decoded(raw)
        .lines()
        .filter_map(|l| l.trim().strip_prefix("I have read this change: "))
        .map(|url| {
            let path = &url[url.find("/acknowledge?").unwrap()..];
            let query = path.split_once('?').unwrap().1;
            let pairs: BTreeMap<String, String> = form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect();
            (pairs["chapter"].clone(), path.to_owned())
        })
        .collect()
}

/// The same link with one of its parts replaced.
fn with(path: &str, key: &str, value: &str) -> String {
    let query = path.split_once('?').unwrap().1;
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .map(|(k, v)| {
            if k == key {
                (k, value.to_owned())
            } else {
                (k, v)
            }
        })
        .collect();
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    format!("/acknowledge?{query}")
}

/// The action of the page's one form, unescaped.
fn button_action(html: &str) -> String {
    let at = html
        .find("<form method=\"post\" action=\"")
        .expect("a button")
        + 28;
    let end = html[at..].find('"').unwrap();
    html[at..at + end]
        .replace("&amp;", "&")
        .replace("&#38;", "&")
}

/// The CSV's rows as maps of its header.
fn rows(csv: &str) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    reader
        .records()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(str::to_owned))
                .collect()
        })
        .collect()
}

#[test]
fn a_reader_confirms_a_change_once_by_the_button_and_editors_see_it_counted() {
    let ws = Workspace::with_sample();
    for (email, manual) in [("kids@example.org", "children"), ("all@example.org", "")] {
        let mut args = vec!["subscribers", "add", email, "--confirmed"];
        if !manual.is_empty() {
            args.extend(["--manual", manual]);
        }
        ws.run(&args).ok();
    }
    ws.run(&["digest", "--period", "2024-04"]).ok();
    let letters = outbox(&ws, 2);
    let letter = |to: &str| {
        letters
            .iter()
            .find(|l| l.contains(&format!("To: {to}")))
            .unwrap_or_else(|| panic!("no letter to {to}"))
            .clone()
    };
    let kids = read_links(&letter("kids@example.org"));
    let all = read_links(&letter("all@example.org"));
    assert!(!kids.is_empty(), "every chapter has a read link");
    assert!(all.len() >= kids.len());
    let (chapter, link) = kids[0].clone();
    let (_, all_link) = all.iter().find(|(c, _)| *c == chapter).unwrap().clone();
    assert_ne!(link, all_link, "each subscriber's link is their own");

    let (_, signin) = add_editor(&ws, "Sam", "editor");
    let server = Server::start(ws);
    let sam = Desk::sign_in(&server, &signin);
    let release_page = "/edit/manuals/children/reads/2024-04";
    let confirmed = |chapter: &str| -> String {
        let page = sam.get(release_page).body;
        let at = page
            .find(&format!("<tr id=\"chapter-{chapter}\">"))
            .unwrap_or_else(|| panic!("no row for {chapter}: {page}"));
        let row = page[at..].split("</tr>").next().unwrap().to_owned();
        row.split("<td>")
            .last()
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .to_owned()
    };

    // Opening the link, as a mail scanner does, shows one button and records nothing.
    for _ in 0..2 {
        let page = server.fetch(&link, &[]);
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("Confirm that you have read this change"));
        assert!(page.body.contains(">I have read this change</button>"));
        assert_eq!(page.header("cache-control"), "private, no-store");
    }
    let list = sam.get("/edit/manuals/children/reads").body;
    assert!(
        list.contains("/edit/manuals/children/reads/2024-04"),
        "{list}"
    );
    assert!(
        list.contains("<td>2</td>\n      <td>0</td>"),
        "sent to two, read by none: {list}"
    );
    assert_eq!(confirmed(&chapter), "0");

    // The button records it once; a second press says it is recorded already.
    let action = button_action(&server.fetch(&link, &[]).body);
    let pressed = server.send("POST", &action, &[], "");
    assert_eq!(pressed.status, 200, "{}", pressed.body);
    assert!(
        pressed.body.contains("your reading is recorded"),
        "{}",
        pressed.body
    );
    let again = server.send("POST", &action, &[], "");
    assert!(again.body.contains("recorded already"), "{}", again.body);
    let opened = server.fetch(&link, &[]).body;
    assert!(
        opened.contains("recorded already")
            && !opened.contains(">I have read this change</button>")
    );
    assert_eq!(confirmed(&chapter), "1");
    let metrics = server.fetch("/metrics", &[]).body;
    assert!(
        metrics.contains("chapterhouse_reads_confirmed_total 1"),
        "counted once: {metrics}"
    );

    // A link changed in any part records nothing and says it does not work.
    let other = kids
        .iter()
        .find(|(c, _)| *c != chapter)
        .map(|(c, _)| c.clone());
    let mut forged = vec![
        with(&link, "token", "1.00000000000000000000000000000000"),
        with(&link, "release", "2024-03"),
        with(&link, "manual", "adults"),
        with(&link, "token", ""),
        "/acknowledge".to_owned(),
    ];
    if let Some(other) = &other {
        forged.push(with(&link, "chapter", other));
    }
    for path in &forged {
        let answer = server.send("POST", path, &[], "");
        assert_eq!(answer.status, 404, "{path}: {}", answer.body);
        assert!(answer.body.contains("This link no longer works"), "{path}");
    }
    if let Some(other) = &other {
        assert_eq!(confirmed(other), "0");
    }

    // The evidence: a row per subscriber sent it and chapter, with the reading's time.
    let csv = sam.get(&format!("{release_page}/download"));
    assert_eq!(csv.status, 200);
    assert_eq!(csv.header("content-type"), "text/csv; charset=utf-8");
    assert!(
        csv.header("content-disposition")
            .contains("children-2024-04-reads.csv")
    );
    let table = rows(&csv.body);
    assert_eq!(table.len(), 2 * kids.len(), "{}", csv.body);
    let read: Vec<(&str, &str)> = table
        .iter()
        .filter(|r| !r["read_at"].is_empty())
        .map(|r| (r["email"].as_str(), r["chapter"].as_str()))
        .collect();
    assert_eq!(read, [("kids@example.org", chapter.as_str())]);
    assert!(table.iter().all(|r| !r["sent_at"].is_empty()));

    // Without a session, none of it is shown.
    for path in ["/edit/manuals/children/reads", release_page] {
        let answer = server.fetch(path, &[]);
        assert_eq!(answer.status, 303, "{path}");
    }
    let csv = server.fetch(&format!("{release_page}/download"), &[]);
    assert_eq!(csv.status, 303);
    assert!(!csv.body.contains("kids@example.org"));

    // A removed subscriber takes their sending and reading with them.
    server
        .ws
        .run(&["subscribers", "remove", "kids@example.org"])
        .ok();
    assert_eq!(confirmed(&chapter), "0");
    let table = rows(&sam.get(&format!("{release_page}/download")).body);
    assert!(table.iter().all(|r| r["email"] == "all@example.org"));
    assert_eq!(table.len(), kids.len());
    assert_eq!(server.fetch(&link, &[]).status, 404);
}
