//! A chapter file: TOML front matter between `+++` lines, then a Markdown body.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{ChapterId, ContentError};

/// Whether a chapter carries its own text or points to guidance published elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChapterKind {
    Chapter,
    Link,
}

impl ChapterKind {
    /// The kind as written in front matter and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ChapterKind::Chapter => "chapter",
            ChapterKind::Link => "link",
        }
    }
}

/// One chapter of a manual, as written by its editors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chapter {
    pub id: ChapterId,
    pub title: String,
    pub kind: ChapterKind,
    /// The address a `link` chapter points to; `None` for ordinary chapters.
    pub url: Option<String>,
    /// The table-of-contents group.
    pub section: Option<String>,
    pub tags: Vec<String>,
    pub review_due: Option<NaiveDate>,
    /// The Markdown after the front matter.
    pub body: String,
    /// Where the chapter came from, relative to the manual's folder (for messages).
    pub path: String,
}

/// The largest chapter file accepted, in bytes.
pub const MAX_CHAPTER_BYTES: usize = 1024 * 1024;
const MAX_TITLE_CHARS: usize = 300;
const MAX_URL_CHARS: usize = 2000;

#[derive(Deserialize)]
struct FrontMatter {
    title: Option<String>,
    id: Option<String>,
    kind: Option<String>,
    url: Option<String>,
    section: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    review_due: Option<toml::value::Datetime>,
    #[serde(flatten)]
    other: BTreeMap<String, toml::Value>,
}

impl Chapter {
    /// Parses a chapter file. `path` is relative to the manual's folder and only names the
    /// file in error messages; its stem is the default id.
    pub fn parse(path: &str, text: &str) -> Result<Chapter, ContentError> {
        let err = |line: usize, rule: String| ContentError::at(path, line, rule);
        if text.len() > MAX_CHAPTER_BYTES {
            return Err(ContentError::file(
                path,
                format!(
                    "the file is {} bytes; a chapter may be at most {MAX_CHAPTER_BYTES} bytes",
                    text.len()
                ),
            ));
        }
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let (front, body) = split_front_matter(text).map_err(|rule| err(1, rule.to_owned()))?;
        // Front matter starts on the file's second line.
        let line_of = |offset: usize| 2 + front[..offset.min(front.len())].matches('\n').count();
        let key_line = |key: &str| find_key_line(front).get(key).map_or(1, |l| l + 1);

        let fm: FrontMatter = toml::from_str(front).map_err(|e| {
            let line = e.span().map_or(1, |s| line_of(s.start));
            err(line, format!("front matter: {}", e.message().trim()))
        })?;
        for key in fm.other.keys() {
            tracing::warn!(file = path, key, "unknown front-matter key ignored");
        }

        let id_text = match &fm.id {
            Some(id) => id.clone(),
            None => default_id(path),
        };
        let id: ChapterId = id_text.parse().map_err(|e: super::InvalidId| {
            if fm.id.is_some() {
                err(key_line("id"), format!("front matter: {e}"))
            } else {
                err(
                    1,
                    format!("{e} (the id defaults to the file name; set `id` in the front matter)"),
                )
            }
        })?;

        let title = match fm.title.as_deref().map(str::trim) {
            None => return Err(err(1, "front matter: `title` is required".into())),
            Some("") => {
                return Err(err(
                    key_line("title"),
                    "front matter: `title` is empty".into(),
                ));
            }
            Some(t) => t.to_owned(),
        };
        if title.chars().count() > MAX_TITLE_CHARS {
            return Err(err(
                key_line("title"),
                format!("front matter: `title` is longer than {MAX_TITLE_CHARS} characters"),
            ));
        }
        if title.chars().any(char::is_control) {
            return Err(err(
                key_line("title"),
                "front matter: `title` may not contain control characters or line breaks".into(),
            ));
        }

        let kind = match fm.kind.as_deref() {
            None | Some("chapter") => ChapterKind::Chapter,
            Some("link") => ChapterKind::Link,
            Some(other) => {
                return Err(err(
                    key_line("kind"),
                    format!(
                        "front matter: unknown kind {other:?} (expected \"chapter\" or \"link\")"
                    ),
                ));
            }
        };
        let url = match (kind, fm.url) {
            (ChapterKind::Link, None) => {
                return Err(err(
                    key_line("kind"),
                    "front matter: a `link` chapter needs a `url`".into(),
                ));
            }
            (ChapterKind::Link, Some(url)) => {
                check_url(&url)
                    .map_err(|rule| err(key_line("url"), format!("front matter: {rule}")))?;
                Some(url)
            }
            (ChapterKind::Chapter, Some(_)) => {
                return Err(err(
                    key_line("url"),
                    "front matter: `url` is only allowed when kind = \"link\"".into(),
                ));
            }
            (ChapterKind::Chapter, None) => None,
        };

        let section = match fm.section.map(|s| s.trim().to_owned()) {
            Some(s) if s.is_empty() || s.chars().any(char::is_control) => {
                return Err(err(
                    key_line("section"),
                    "front matter: `section` must be a non-empty line of text".into(),
                ));
            }
            other => other,
        };
        let review_due = match fm.review_due {
            None => None,
            Some(dt) => Some(toml_date(&dt).ok_or_else(|| {
                err(
                    key_line("review_due"),
                    format!("front matter: `review_due` must be a date like 2025-09-30, not {dt}"),
                )
            })?),
        };

        Ok(Chapter {
            id,
            title,
            kind,
            url,
            section,
            tags: fm.tags,
            review_due,
            body: body.to_owned(),
            path: path.to_owned(),
        })
    }
}

/// Splits `+++` front matter from the body. Both `\n` and `\r\n` line ends are accepted.
/// The TOML between a chapter file's `+++` lines, when it has them.
pub fn front_matter(text: &str) -> Option<&str> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    split_front_matter(text).ok().map(|(front, _)| front)
}

fn split_front_matter(text: &str) -> Result<(&str, &str), &'static str> {
    let first_end = text.find('\n').unwrap_or(text.len());
    if text[..first_end].trim_end() != "+++" {
        return Err("a chapter must start with TOML front matter between `+++` lines");
    }
    let front_start = (first_end + 1).min(text.len());
    let mut pos = front_start;
    while pos < text.len() {
        let end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
        if text[pos..end].trim_end() == "+++" {
            let body_start = (end + 1).min(text.len());
            return Ok((&text[front_start..pos], &text[body_start..]));
        }
        pos = end + 1;
    }
    Err("the front matter opened by `+++` on line 1 is never closed by a `+++` line")
}

/// Maps each top-level key of the front matter to its 0-based line (for error messages).
fn find_key_line(front: &str) -> BTreeMap<&str, usize> {
    let mut keys = BTreeMap::new();
    for (n, line) in front.lines().enumerate() {
        if let Some((key, _)) = line.split_once('=') {
            keys.entry(key.trim().trim_matches('"')).or_insert(n + 1);
        }
    }
    keys
}

fn default_id(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.strip_suffix(".md").unwrap_or(name).to_owned()
}

fn check_url(url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| format!("`url` must start with https:// or http://, not {url:?}"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() {
        return Err(format!("`url` {url:?} has no host"));
    }
    if url.chars().count() > MAX_URL_CHARS {
        return Err(format!("`url` is longer than {MAX_URL_CHARS} characters"));
    }
    if url
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '<' | '>'))
    {
        return Err(
            "`url` may not contain spaces, quotes, angle brackets or control characters".into(),
        );
    }
    Ok(())
}

fn toml_date(dt: &toml::value::Datetime) -> Option<NaiveDate> {
    match (dt.date, dt.time, dt.offset) {
        (Some(d), None, None) => {
            NaiveDate::from_ymd_opt(d.year.into(), d.month.into(), d.day.into())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
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
}
