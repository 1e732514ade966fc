//! Properties of the content format: chapter files, Markdown, `manual.toml` and snapshots
//! are refused with a message naming the file and line, whatever they hold; never a panic.

use proptest::prelude::*;
use proptest::sample::Index;

use super::markdown::{plain_text, render, to_html};
use super::{Chapter, ChapterId, ChapterKind, ContentError};
use crate::props::{boundary, config, soup, toml_string, unicode};

/// An error names the file it was given and, when it names a line, a line of the file.
fn check_error(e: &ContentError, path: &str, text: &str) {
    assert_eq!(e.file, path, "{e}");
    if let Some(line) = e.line {
        let lines = text.lines().count().max(1);
        assert!(
            (1..=lines + 1).contains(&line),
            "line {line} of {lines}: {e}"
        );
    }
}

/// What any chapter that parses holds, whatever the file was.
fn check_chapter(c: &Chapter, path: &str, text: &str) {
    assert_eq!(c.path, path);
    assert!(c.id.as_str().parse::<ChapterId>().is_ok());
    assert!(
        !c.title.is_empty() && c.title == c.title.trim(),
        "{:?}",
        c.title
    );
    assert!(!c.title.chars().any(char::is_control), "{:?}", c.title);
    assert_eq!(c.kind == ChapterKind::Link, c.url.is_some());
    if let Some(url) = &c.url {
        assert!(
            url.starts_with("https://") || url.starts_with("http://"),
            "{url}"
        );
    }
    assert!(text.ends_with(&c.body));
}

fn check_parse(path: &str, text: &str) {
    match Chapter::parse(path, text) {
        Ok(c) => check_chapter(&c, path, text),
        Err(e) => check_error(&e, path, text),
    }
}

/// A front-matter value: well-formed or not, of the right type or not.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => unicode(40).prop_map(|s| toml_string(&s)),
        2 => soup(6).prop_map(|s| toml_string(&s)),
        1 => unicode(20),
        1 => soup(6),
        1 => Just("2025-09-30".to_owned()),
        1 => "[0-9]{1,5}-[0-9]{1,3}-[0-9]{1,3}([T ][0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-]01:00)?)?",
        1 => any::<i64>().prop_map(|n| n.to_string()),
        1 => Just("true".to_owned()),
        1 => prop::collection::vec(unicode(10), 0..4)
            .prop_map(|v| format!("[{}]", v.iter().map(|s| toml_string(s)).collect::<Vec<_>>().join(", "))),
        1 => Just("{ a = 1, b = [\"x\"] }".to_owned()),
        1 => unicode(10).prop_map(|s| format!("\"\"\"\n{s}\n+++\n{s}\"\"\"")),
        1 => Just("\"unterminated".to_owned()),
        1 => Just("\"https://www.gov.uk/guidance\"".to_owned()),
        1 => Just("\"link\"".to_owned()),
    ]
}

/// A front-matter line: a known key or another, a junk line, a table header.
fn line() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        6 => proptest::sample::select(&[
            "title", "id", "kind", "url", "section", "tags", "review_due", "owner", "sources",
        ][..]).prop_map(str::to_owned),
        1 => unicode(8),
        1 => "[a-z_]{1,8}",
        1 => Just("\"title\"".to_owned()),
    ];
    prop_oneof![
        8 => (key, value(), "[ \t]{0,2}").prop_map(|(k, v, pad)| format!("{k}{pad}={pad}{v}")),
        1 => soup(5),
        1 => Just("[table]".to_owned()),
        1 => Just(String::new()),
    ]
}

/// A chapter file built like one, then mangled: odd fences, stray `+++` lines anywhere,
/// random line ends, a byte-order mark; or a chapter written by the rules with a few of its
/// lines replaced, added, dropped or cut.
fn mangled_chapter() -> impl Strategy<Value = String> {
    prop_oneof![built_chapter(), edited_chapter()]
}

fn built_chapter() -> impl Strategy<Value = String> {
    let fence = prop_oneof![
        12 => Just("+++"), 1 => Just("+++ "), 1 => Just("+++\t"), 1 => Just(" +++"),
        1 => Just("++"), 1 => Just("++++"), 1 => Just(""),
    ];
    let end = prop_oneof![6 => Just("\n"), 3 => Just("\r\n"), 1 => Just("\r")];
    (
        any::<bool>(),
        fence.clone(),
        prop::collection::vec(line(), 0..8),
        end,
        fence,
        soup(40),
        prop::collection::vec(any::<Index>(), 0..2),
    )
        .prop_map(|(bom, open, lines, end, close, body, stray)| {
            let mut text = String::new();
            if bom {
                text.push('\u{feff}');
            }
            text.push_str(open);
            text.push_str(end);
            for l in lines {
                text.push_str(&l);
                text.push_str(end);
            }
            text.push_str(close);
            text.push_str(end);
            text.push_str(&body);
            for at in stray {
                let i = boundary(&text, at);
                text.insert_str(i, "\n+++\n");
            }
            text
        })
}

/// One change to a chapter file's lines.
#[derive(Debug, Clone)]
enum Edit {
    Replace(Index, String),
    Insert(Index, String),
    Drop(Index),
    Cut(Index),
}

fn edited_chapter() -> impl Strategy<Value = String> {
    let edit = prop_oneof![
        (any::<Index>(), line()).prop_map(|(i, l)| Edit::Replace(i, l)),
        (any::<Index>(), prop_oneof![line(), Just("+++".to_owned())])
            .prop_map(|(i, l)| Edit::Insert(i, l)),
        any::<Index>().prop_map(Edit::Drop),
        any::<Index>().prop_map(Edit::Cut),
    ];
    (written(), prop::collection::vec(edit, 1..4)).prop_map(|(w, edits)| {
        let mut text = w.text();
        for edit in edits {
            let mut lines: Vec<String> = text.split('\n').map(str::to_owned).collect();
            match edit {
                Edit::Replace(i, l) => *i.get_mut(&mut lines) = l,
                Edit::Insert(i, l) => lines.insert(i.index(lines.len() + 1), l),
                Edit::Drop(i) => drop(lines.remove(i.index(lines.len()))),
                Edit::Cut(i) => lines = vec![text[..boundary(&text, i)].to_owned()],
            }
            text = lines.join("\n");
        }
        text
    })
}

fn path() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "([a-z0-9-]{1,12}/){0,2}[a-z0-9-]{1,20}\\.md",
        1 => unicode(20).prop_map(|s| format!("{s}.md")),
        1 => unicode(20),
        1 => Just(".md".to_owned()),
        1 => Just("../../etc/passwd.md".to_owned()),
    ]
}

/// Front matter written by an editor who follows the rules, and what it should give.
#[derive(Debug, Clone)]
struct Written {
    id: String,
    title: String,
    link: Option<String>,
    section: Option<String>,
    tags: Vec<String>,
    review_due: Option<chrono::NaiveDate>,
    body: String,
    crlf: bool,
}

/// A title as the rules allow it: one line of up to 300 characters, not only spaces.
fn title() -> impl Strategy<Value = String> {
    unicode(60)
        .prop_map(|s| {
            s.chars()
                .filter(|c| !c.is_control())
                .take(300)
                .collect::<String>()
        })
        .prop_map(|s| s.trim().to_owned())
        .prop_filter("a title is not empty", |s| !s.is_empty())
}

fn written() -> impl Strategy<Value = Written> {
    let date = (1900i32..2200, 1u32..=12, 1u32..=28)
        .prop_map(|(y, m, d)| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap());
    (
        "[a-z0-9][a-z0-9-]{0,39}",
        title(),
        prop::option::of("https://[a-z]{1,10}\\.example(/[a-zA-Z0-9._~%-]{0,20}){0,3}"),
        prop::option::of(title()),
        prop::collection::vec(unicode(12), 0..4),
        prop::option::of(date),
        prop_oneof![soup(60), unicode(200)],
        any::<bool>(),
    )
        .prop_map(
            |(id, title, link, section, tags, review_due, body, crlf)| Written {
                id,
                title,
                link,
                section,
                tags,
                review_due,
                body,
                crlf,
            },
        )
}

impl Written {
    fn text(&self) -> String {
        let mut lines = vec![
            "+++".to_owned(),
            format!("title = {}", toml_string(&self.title)),
            format!("id = {}", toml_string(&self.id)),
        ];
        if let Some(url) = &self.link {
            lines.push("kind = \"link\"".into());
            lines.push(format!("url = {}", toml_string(url)));
        }
        if let Some(section) = &self.section {
            lines.push(format!("section = {}", toml_string(section)));
        }
        let tags: Vec<String> = self.tags.iter().map(|t| toml_string(t)).collect();
        lines.push(format!("tags = [{}]", tags.join(", ")));
        if let Some(date) = self.review_due {
            lines.push(format!("review_due = {date}"));
        }
        lines.push("+++".into());
        let end = if self.crlf { "\r\n" } else { "\n" };
        format!("{}{end}{}", lines.join(end), self.body)
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn any_text_parses_or_is_refused_by_file_and_line(path in path(), text in unicode(400)) {
        check_parse(&path, &text);
    }

    #[test]
    fn any_bytes_parse_or_are_refused(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        check_parse("x.md", &String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn mangled_chapter_files_parse_or_are_refused(path in path(), text in mangled_chapter()) {
        check_parse(&path, &text);
    }

    #[test]
    fn chapters_written_by_the_rules_parse_as_written(w in written()) {
        let text = w.text();
        let c = Chapter::parse("folder/file.md", &text).map_err(|e| e.to_string());
        let c = c.map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(c.id.as_str(), &w.id);
        prop_assert_eq!(&c.title, &w.title);
        prop_assert_eq!(c.kind == ChapterKind::Link, w.link.is_some());
        prop_assert_eq!(&c.url, &w.link);
        prop_assert_eq!(&c.section, &w.section);
        prop_assert_eq!(&c.tags, &w.tags);
        prop_assert_eq!(c.review_due, w.review_due);
        prop_assert_eq!(&c.body, &w.body);
    }

    #[test]
    fn markdown_renders_anything_without_scripts(body in prop_oneof![soup(80), unicode(300)]) {
        let r = render(&body);
        prop_assert_eq!(&to_html(&body), &r.html);
        let lower = r.html.to_lowercase();
        for tag in ["<script", "<iframe", "<style", "<object", "<embed", "<form", "<svg"] {
            prop_assert!(!lower.contains(tag), "{} in {}", tag, r.html);
        }
        let mut anchors = std::collections::HashSet::new();
        for (anchor, _) in &r.toc {
            prop_assert!(anchor.starts_with("s-"), "{}", anchor);
            prop_assert!(anchors.insert(anchor), "{} twice", anchor);
        }
        let plain = plain_text(&body);
        for heading in &plain.headings {
            prop_assert_eq!(heading.trim(), heading);
        }
    }
}

mod snapshots;
