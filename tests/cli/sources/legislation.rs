//! legislation.gov.uk sources: an item's `data.xml` metadata, read from a stand-in, and no
//! further than the metadata.

use super::{set_clock, states};
use crate::support::Workspace;
use crate::support::content_api::Api;

/// The opening of a legislation.gov.uk item's `data.xml`, then `tail` bytes of its text.
fn item(modified: &str, title: &str, tail: usize) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Legislation xmlns="http://www.legislation.gov.uk/namespaces/legislation">
<ukm:Metadata xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:ukm="http://www.legislation.gov.uk/namespaces/metadata">
<dc:title>{title}</dc:title>
<dc:modified>{modified}</dc:modified>
</ukm:Metadata>
<Primary><Body><P>{}</P></Body></Primary>
</Legislation>"#,
        "x".repeat(tail)
    )
}

#[test]
fn a_legislation_source_is_checked_by_its_metadata_alone() {
    let api = Api::start();
    let ws = Workspace::new();
    let mut config = std::fs::read_to_string(&ws.config).unwrap();
    config.push_str(&format!(
        "\n[sources]\nlegislation_api = \"http://127.0.0.1:{}/leg/\"\nenabled = false\n",
        api.port
    ));
    std::fs::write(&ws.config, config).unwrap();
    set_clock(&ws, "2026-01-10T09:00:00Z");
    let s47 = "https://www.legislation.gov.uk/ukpga/1989/41/section/47";
    let mca = "https://www.legislation.gov.uk/ukpga/2005/9";
    let text = format!("+++\ntitle = \"Lambda\"\nsources = [\"{s47}\", \"{mca}\"]\n+++\nText.\n");
    let s1 = ws.snapshot("s1", &[("l.md", &text)]);
    ws.import(&s1, "r1", "2026-01-10").ok();
    // A whole Act runs to megabytes: only its opening metadata is read.
    api.answer_at(
        "/leg/ukpga/1989/41/section/47/data.xml",
        200,
        &[("Last-Modified", "Fri, 20 Feb 2026 00:00:00 GMT")],
        &item("2026-02-20", "Children Act 1989", 3 * 1024 * 1024),
    );
    api.answer_at(
        "/leg/ukpga/2005/9/data.xml",
        200,
        &[],
        "<html>Page not found</html>",
    );
    set_clock(&ws, "2026-03-02T09:00:00Z");
    let checked = ws.run(&["sources", "check"]).ok().stdout;
    assert!(
        checked.contains(&format!("last updated 2026-02-20T00:00:00+00:00: {s47}")),
        "{checked}"
    );
    assert!(
        checked.contains(&format!(
            "unreachable (no ukm:Metadata in the answer): {mca}"
        )),
        "{checked}"
    );
    let seen: Vec<(String, String)> = api
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|(path, _, agent)| (path.clone(), agent.clone()))
        .collect();
    let mut paths: Vec<&str> = seen.iter().map(|(p, _)| p.as_str()).collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            "/leg/ukpga/1989/41/section/47/data.xml",
            "/leg/ukpga/2005/9/data.xml"
        ]
    );
    assert!(
        seen.iter()
            .all(|(_, agent)| agent.starts_with("chapterhouse/"))
    );

    let now = states(&ws);
    let key = |url: &str| ("l".to_owned(), url.to_owned());
    assert_eq!(now[&key(s47)]["state"], "changed");
    assert_eq!(
        now[&key(s47)]["notes"][0],
        "2026-02-20: the revised text of Children Act 1989 was updated on legislation.gov.uk."
    );
    assert_eq!(now[&key(mca)]["state"], "unreachable");

    // Asked again, with the Last-Modified it gave.
    ws.run(&["sources", "check"]).ok();
    let since = api.seen.lock().unwrap()[2..]
        .iter()
        .find(|(p, ..)| p.contains("section/47"))
        .map(|(_, s, _)| s.clone());
    assert_eq!(
        since,
        Some(Some("Fri, 20 Feb 2026 00:00:00 GMT".to_owned()))
    );
}
