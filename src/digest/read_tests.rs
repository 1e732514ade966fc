//! The "I have read this change" links of composed letters: one per chapter, signed for
//! the letter's own subscriber.

use std::collections::BTreeMap;

use super::tests::{april, send, subscribers};

/// The "I have read this change" links of a message's text part, as (manual, release,
/// chapter, token).
pub(super) fn read_links(text: &str) -> Vec<[String; 4]> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("I have read this change: "))
        .map(|url| {
            let query = url.split_once('?').unwrap().1;
            let pairs: BTreeMap<String, String> = form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect();
            ["manual", "release", "chapter", "token"].map(|k| pairs[k].clone())
        })
        .collect()
}

#[tokio::test]
async fn every_chapter_of_a_message_has_its_own_read_link_for_its_subscriber() {
    let (_dir, db, subscribers) = subscribers();
    let plan = april(&db, subscribers);
    let kids = send(&plan, "kids@example.org").await.decoded();
    let everything = send(&plan, "everything@example.org").await.decoded();
    let (kids_text, kids_html) = kids.split_at(kids.find("<!doctype html>").unwrap());
    let links = read_links(kids_text);
    let chapters: Vec<[&str; 3]> = links
        .iter()
        .map(|[m, r, c, _]| [m.as_str(), r.as_str(), c.as_str()])
        .collect();
    assert_eq!(
        chapters,
        [
            ["children", "2024-04", "section-47-enquiries"],
            ["children", "2024-04", "lado"],
        ],
        "{kids_text}"
    );
    assert_eq!(kids_html.matches("I have read this change</a>").count(), 2);
    let theirs = read_links(&everything);
    assert_eq!(theirs.len(), 4, "both manuals' chapters: {everything}");
    for [manual, release, chapter, token] in &links {
        let change = crate::db::Change {
            manual,
            release,
            chapter,
        };
        assert!(
            kids_html.contains(&token.to_string()),
            "the HTML part has the same link"
        );
        assert!(matches!(
            db.reading(token, &change).unwrap(),
            crate::db::Reading::Open(s) if s.email == "kids@example.org"
        ));
        // Another subscriber's link to the same chapter is theirs, not this one.
        let other = theirs.iter().find(|l| l[2] == **chapter).unwrap();
        assert_ne!(&other[3], token);
    }
}
