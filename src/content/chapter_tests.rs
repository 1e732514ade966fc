//! Chapter file rules: front matter, ids, links, dates, sizes and the markup limits.

use super::*;

fn parse(text: &str) -> Result<Chapter, String> {
    Chapter::parse("folder/some-chapter.md", text).map_err(|e| e.to_string())
}

#[test]
fn a_minimal_chapter_takes_its_id_from_the_file_name() {
    let c = parse("+++\ntitle = \"Neglect\"\n+++\nBody.\n").unwrap();
    assert_eq!(c.id.as_str(), "some-chapter");
    assert_eq!(c.kind, ChapterKind::Chapter);
    assert_eq!(c.body, "Body.\n");
}

#[test]
fn all_fields_are_read() {
    let c = parse(
        "+++\r\ntitle = \"Guidance\"\r\nid = \"guidance\"\r\nkind = \"link\"\r\n\
         url = \"https://www.gov.uk/x\"\r\nsection = \"National\"\r\ntags = [\"a\"]\r\n\
         review_due = 2025-09-30\r\n+++\r\nSee it.\r\n",
    )
    .unwrap();
    assert_eq!(c.id.as_str(), "guidance");
    assert_eq!(c.kind, ChapterKind::Link);
    assert_eq!(c.url.as_deref(), Some("https://www.gov.uk/x"));
    assert_eq!(c.section.as_deref(), Some("National"));
    assert_eq!(c.review_due, NaiveDate::from_ymd_opt(2025, 9, 30));
}

#[test]
fn errors_name_the_file_the_line_and_the_rule() {
    let e = parse("+++\ntitle = \"x\"\nkind = \"page\"\n+++\n").unwrap_err();
    assert_eq!(
        e,
        "folder/some-chapter.md:3: front matter: unknown kind \"page\" (expected \"chapter\" or \"link\")"
    );
    let e = parse("+++\ntitle = \"x\"\ntags = [\n+++\n").unwrap_err();
    assert!(
        e.starts_with("folder/some-chapter.md:3: front matter:"),
        "{e}"
    );
    let e = parse("no front matter\n").unwrap_err();
    assert!(
        e.starts_with("folder/some-chapter.md:1: a chapter must start"),
        "{e}"
    );
    let e = parse("+++\ntitle = \"x\"\n").unwrap_err();
    assert!(e.contains("never closed"), "{e}");
    let e = parse("+++\nid = \"x\"\n+++\n").unwrap_err();
    assert!(e.contains("`title` is required"), "{e}");
}

#[test]
fn link_rules_are_enforced() {
    let e = parse("+++\ntitle = \"x\"\nkind = \"link\"\n+++\n").unwrap_err();
    assert!(
        e.contains(":3: front matter: a `link` chapter needs a `url`"),
        "{e}"
    );
    let e = parse("+++\ntitle = \"x\"\nurl = \"https://a.b\"\n+++\n").unwrap_err();
    assert!(e.contains(":3: front matter: `url` is only allowed"), "{e}");
    let e = parse("+++\ntitle = \"x\"\nkind = \"link\"\nurl = \"javascript:alert(1)\"\n+++\n")
        .unwrap_err();
    assert!(
        e.contains(":4: front matter: `url` must start with https://"),
        "{e}"
    );
}

#[test]
fn hostile_ids_and_titles_are_refused() {
    let e = parse("+++\ntitle = \"x\"\nid = \"../../etc/passwd\"\n+++\n").unwrap_err();
    assert!(e.contains(":3: front matter: chapter id"), "{e}");
    let e = parse("+++\ntitle = \"a\\r\\nBcc: x@y\"\n+++\n").unwrap_err();
    assert!(e.contains("control characters"), "{e}");
    let e = Chapter::parse("Bad Name.md", "+++\ntitle = \"x\"\n+++\n").unwrap_err();
    assert!(
        e.to_string().contains("set `id` in the front matter"),
        "{e}"
    );
}

#[test]
fn review_due_must_be_a_date() {
    let e = parse("+++\ntitle = \"x\"\nreview_due = 2025-01-01T10:00:00\n+++\n").unwrap_err();
    assert!(
        e.contains(":3: front matter: `review_due` must be a date"),
        "{e}"
    );
}

#[test]
fn oversized_files_are_refused() {
    let text = format!("+++\ntitle = \"x\"\n+++\n{}", "a".repeat(MAX_CHAPTER_BYTES));
    assert!(parse(&text).unwrap_err().contains("at most"));
}

#[test]
fn unknown_keys_are_refused_on_their_line() {
    let e = parse("+++\ntitle = \"x\"\nreviewer = \"a\"\n+++\n").unwrap_err();
    assert!(
        e.starts_with("folder/some-chapter.md:3: front matter: unknown key `reviewer`"),
        "{e}"
    );
    assert!(e.contains("title, id, kind, url, section, tags, review_due, owner, sources"));
    let e = parse("+++\ntitle = \"x\"\n\n[extra]\na = 1\n+++\n").unwrap_err();
    assert!(e.contains(":4: front matter: unknown key `extra`"), "{e}");
    // A file already in the store is still read, the key ignored.
    let stored = Chapter::parse_stored("x.md", "+++\ntitle = \"x\"\nreviewer = \"a\"\n+++\n");
    assert_eq!(stored.unwrap().title, "x");
}

#[test]
fn owner_and_sources_are_read_and_checked() {
    let c = parse(
        "+++\ntitle = \"x\"\nowner = \" lead@example.org \"\n\
         sources = [\"https://www.gov.uk/a\", \"https://www.gov.uk/b\"]\n+++\n",
    )
    .unwrap();
    assert_eq!(c.owner.as_deref(), Some("lead@example.org"));
    assert_eq!(c.sources, ["https://www.gov.uk/a", "https://www.gov.uk/b"]);
    for owner in [
        "lead",
        "lead@",
        "@example.org",
        "a@b@c.org",
        "a b@c.org",
        "a@localhost",
        "",
    ] {
        let e = parse(&format!("+++\ntitle = \"x\"\nowner = \"{owner}\"\n+++\n")).unwrap_err();
        assert!(
            e.contains(":3: front matter: `owner` must be an email address"),
            "{e}"
        );
    }
    let e = parse("+++\ntitle = \"x\"\nowner = [\"a@b.org\"]\n+++\n").unwrap_err();
    assert!(e.contains(":3: front matter:"), "{e}");
    for source in [
        "http://www.gov.uk/a",
        "www.gov.uk",
        "https://",
        "https://a.b/<x>",
    ] {
        let text = format!("+++\ntitle = \"x\"\n\nsources = [\"{source}\"]\n+++\n");
        let e = parse(&text).unwrap_err();
        assert!(
            e.contains(":4: front matter: `sources`")
                || e.contains(":4: front matter: each of `sources`"),
            "{e}"
        );
    }
    let many: Vec<String> = (0..=MAX_SOURCES_FOR_TEST)
        .map(|k| format!("\"https://a.b/{k}\""))
        .collect();
    let e = parse(&format!(
        "+++\ntitle = \"x\"\nsources = [{}]\n+++\n",
        many.join(", ")
    ))
    .unwrap_err();
    assert!(e.contains("at most 50"), "{e}");
}

const MAX_SOURCES_FOR_TEST: usize = crate::content::MAX_SOURCES;

#[test]
fn markup_beyond_the_limits_is_refused_naming_the_file_line() {
    let text = format!(
        "+++\ntitle = \"x\"\n+++\nIntro.\n\n{}x\n",
        "> ".repeat(100_000)
    );
    let e = parse(&text).unwrap_err();
    assert!(
        e.starts_with("folder/some-chapter.md:6: the line opens 100000 levels of block quotes"),
        "{e}"
    );
    let text = format!(
        "+++\r\ntitle = \"x\"\r\n+++\r\n{}x\r\n",
        "<div>".repeat(90_000)
    );
    let e = parse(&text).unwrap_err();
    assert!(
        e.starts_with("folder/some-chapter.md:4: markup nested 49 levels deep"),
        "{e}"
    );
    // Stored chapters are read as they are; rendering bounds itself.
    assert!(Chapter::parse_stored("x.md", &text).is_ok());
}

#[test]
fn the_sample_chapters_pass() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("procedures");
    let mut seen = 0;
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                let text = std::fs::read_to_string(&path).unwrap();
                let chapter = Chapter::parse(&path.display().to_string(), &text);
                assert!(chapter.is_ok(), "{:?}", chapter.unwrap_err());
                seen += 1;
            }
        }
    }
    assert!(seen > 100, "{seen} sample chapters");
}
