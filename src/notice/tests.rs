//! Notice rendering: groups, notes before summaries, and escaping in every format.

use std::collections::BTreeMap;

use super::*;
use crate::diff::{NewChapter, RemovedChapter, UpdatedChapter};

fn notice(title: &str) -> Notice {
    let id = |s: &str| s.parse::<ChapterId>().unwrap();
    Notice {
        manual: "m".parse().unwrap(),
        manual_title: "Test Procedures".into(),
        from: Some(ReleaseRef {
            name: "2024-03".parse().unwrap(),
            date: "2024-03-04".parse().unwrap(),
        }),
        to: ReleaseRef {
            name: "2024-04".parse().unwrap(),
            date: "2024-04-02".parse().unwrap(),
        },
        diff: ReleaseDiff {
            updated: vec![UpdatedChapter {
                id: id("a"),
                title: title.into(),
                kind: ChapterKind::Chapter,
                reread: false,
                sections_added: vec!["2. New".into()],
                sections_removed: vec![],
                sections_changed: vec![],
                link_changed: false,
                renamed_from: None,
                similarity: 0.9,
            }],
            added: vec![NewChapter {
                id: id("b"),
                title: "B".into(),
                kind: ChapterKind::Link,
            }],
            removed: vec![RemovedChapter {
                id: id("c"),
                title: "C".into(),
                kind: ChapterKind::Chapter,
            }],
        },
        notes: BTreeMap::new(),
    }
}

fn links() -> Links {
    Links::new("https://example.org/")
}

#[test]
fn text_lists_each_group_with_summaries() {
    assert_eq!(
        notice("A").to_text(&links()),
        "Test Procedures — updated in April 2024\n\n\
         Updated chapters\n- A – A new section, '2. New', has been added.\n\n\
         New chapters\n- B – This new link has been added.\n\n\
         Removed chapters\n- C\n"
    );
}

#[test]
fn an_editor_note_replaces_the_summary() {
    let mut n = notice("A");
    n.notes
        .insert("a".parse().unwrap(), "Read section 2.".into());
    assert!(n.to_text(&links()).contains("- A – Read section 2.\n"));
    assert_eq!(n.to_json()["updated"][0]["note"], "Read section 2.");
    assert_eq!(
        n.to_json()["updated"][0]["summary"],
        "A new section, '2. New', has been added."
    );
}

#[test]
fn empty_groups_are_left_out() {
    let mut n = notice("A");
    n.diff.added.clear();
    n.diff.removed.clear();
    let text = n.to_text(&links());
    assert!(
        !text.contains("New chapters") && !text.contains("Removed chapters"),
        "{text}"
    );
}

#[test]
fn html_escapes_every_text() {
    let html = notice("<script>alert(1)</script>").to_html(&links());
    assert!(!html.contains("<script>"), "{html}");
    assert!(
        html.contains("&#60;script&#62;") || html.contains("&lt;script&gt;"),
        "{html}"
    );
    assert!(
        html.contains("href=\"https://example.org/manuals/m/chapters/a?release=2024-04\""),
        "{html}"
    );
}

#[test]
fn markdown_escapes_markup_in_titles() {
    let md = notice("Bold **claim** [link](javascript:x)").to_markdown(&links());
    assert!(
        md.contains("Bold \\*\\*claim\\*\\* \\[link\\](javascript:x)"),
        "{md}"
    );
}

#[test]
fn removed_chapters_link_to_their_last_version() {
    let [_, _, (_, removed)] = notice("A").entries(&links());
    assert_eq!(
        removed[0].href,
        "https://example.org/manuals/m/chapters/c?release=2024-03"
    );
}

#[test]
fn atom_escapes_the_html_content() {
    let xml = notice("<b>").render(Format::Atom, &links());
    assert!(
        xml.contains("<author><name>Test Procedures</name></author>"),
        "{xml}"
    );
    assert!(!xml.contains("<b>"), "{xml}");
}
