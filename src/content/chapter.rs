//! A chapter file: TOML front matter between `+++` lines, then a Markdown body.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::fields::{
    FrontMatter, KNOWN_KEYS, check_owner, check_sources, check_url, find_key_line, toml_date,
};
use super::{ChapterId, ContentError, limits};

/// Whether a chapter carries its own text or points to guidance published elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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
    /// Who reviews the chapter: an email address.
    pub owner: Option<String>,
    /// The national guidance the chapter relies on: https addresses.
    pub sources: Vec<String>,
    /// The Markdown after the front matter.
    pub body: String,
    /// Where the chapter came from, relative to the manual's folder (for messages).
    pub path: String,
}

/// The largest chapter file accepted, in bytes.
pub const MAX_CHAPTER_BYTES: usize = 1024 * 1024;
const MAX_TITLE_CHARS: usize = 300;

/// Which rules a chapter file is read under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rules {
    /// A file being written: every rule.
    New,
    /// A file already in the store, written under these rules or looser, older ones.
    Stored,
}

impl Chapter {
    /// Parses a chapter file being written (imported, saved, previewed): every rule of
    /// SPEC §2, unknown front-matter keys refused, and the body within the markup limits
    /// (see [`super::MAX_NESTING`]). `path` is relative to the manual's folder and only
    /// names the file in error messages; its stem is the default id.
    pub fn parse(path: &str, text: &str) -> Result<Chapter, ContentError> {
        parse(path, text, Rules::New)
    }

    /// Reads a chapter file from the store. As [`Chapter::parse`], except that front-matter
    /// keys this version does not know are ignored with a warning and the markup limits
    /// are left to rendering, which bounds itself: what was accepted once stays readable,
    /// and reading does not check again what was checked when it was written.
    pub fn parse_stored(path: &str, text: &str) -> Result<Chapter, ContentError> {
        parse(path, text, Rules::Stored)
    }
}

fn parse(path: &str, text: &str, rules: Rules) -> Result<Chapter, ContentError> {
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
    let key_lines = find_key_line(front);
    let key_line = |key: &str| key_lines.get(key).map_or(1, |l| l + 1);

    let fm: FrontMatter = toml::from_str(front).map_err(|e| {
        let line = e.span().map_or(1, |s| line_of(s.start));
        err(line, format!("front matter: {}", e.message().trim()))
    })?;
    if let Some(key) = fm.other.keys().min_by_key(|k| key_line(k)) {
        if rules == Rules::New {
            return Err(err(
                key_line(key),
                format!(
                    "front matter: unknown key `{key}` (a chapter's keys are {})",
                    KNOWN_KEYS.join(", ")
                ),
            ));
        }
        for key in fm.other.keys() {
            tracing::warn!(file = path, key, "unknown front-matter key ignored");
        }
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
                format!("front matter: unknown kind {other:?} (expected \"chapter\" or \"link\")"),
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

    let owner = match fm.owner.map(|o| o.trim().to_owned()) {
        Some(owner) => {
            check_owner(&owner)
                .map_err(|rule| err(key_line("owner"), format!("front matter: {rule}")))?;
            Some(owner)
        }
        None => None,
    };
    check_sources(&fm.sources)
        .map_err(|rule| err(key_line("sources"), format!("front matter: {rule}")))?;

    if rules == Rules::New {
        let first_line = 1 + text[..text.len() - body.len()].matches('\n').count();
        limits::check(body).map_err(|e| err(first_line + e.line - 1, e.rule))?;
    }

    Ok(Chapter {
        id,
        title,
        kind,
        url,
        section,
        tags: fm.tags,
        review_due,
        owner,
        sources: fm.sources,
        body: body.to_owned(),
        path: path.to_owned(),
    })
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

fn default_id(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.strip_suffix(".md").unwrap_or(name).to_owned()
}

#[cfg(test)]
#[path = "chapter_tests.rs"]
mod tests;
