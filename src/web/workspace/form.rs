//! The chapter form of the workspace (SPEC §7a): its fields as the browser sends them, and
//! the chapter file they make. Front matter the form does not show (kind and any other
//! key) is kept as the file had it, and so are `owner` and `sources` when a form is sent
//! without those fields (SPEC §7a's clients do not know them).

use std::collections::BTreeMap;

use crate::content::{ChapterId, ChapterKind, MAX_CHAPTER_BYTES, front_matter};

/// A form body (`application/x-www-form-urlencoded`) as its fields, in order.
#[derive(Debug, Default)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    pub fn parse(body: &[u8]) -> Fields {
        Fields(form_urlencoded::parse(body).into_owned().collect())
    }

    /// The first value of a field, or "" when absent.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// True when the form has the field at all (perhaps empty).
    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    /// Every field whose name starts with `prefix`, without it.
    pub fn prefixed<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> {
        self.0
            .iter()
            .filter_map(move |(k, v)| Some((k.strip_prefix(prefix)?, v.as_str())))
    }
}

/// Browsers send a textarea's lines ending in CRLF; files keep LF.
fn lines(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// A one-line field: trimmed, with no line breaks.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What the chapter form holds.
#[derive(Debug, Clone, Default)]
pub struct ChapterForm {
    pub id: String,
    pub title: String,
    pub section: String,
    pub tags: String,
    pub review_due: String,
    pub url: String,
    pub body: String,
    pub base: String,
    pub kind: Option<ChapterKind>,
    /// The owner's address; `None` when the form did not carry the field (kept as is).
    pub owner: Option<String>,
    /// The sources, one address per line; `None` when the form did not carry the field.
    pub sources: Option<String>,
}

/// Reasons next to the fields they concern ("" for the form as a whole).
pub type FieldErrors = BTreeMap<&'static str, String>;

impl ChapterForm {
    /// The form as sent.
    pub fn from_fields(fields: &Fields) -> ChapterForm {
        ChapterForm {
            id: fields.get("id").trim().to_owned(),
            title: one_line(fields.get("title")),
            section: one_line(fields.get("section")),
            tags: one_line(fields.get("tags")),
            review_due: fields.get("review_due").trim().to_owned(),
            url: fields.get("url").trim().to_owned(),
            body: lines(fields.get("body")),
            base: fields.get("base").trim().to_owned(),
            kind: match fields.get("kind") {
                "link" => Some(ChapterKind::Link),
                "chapter" => Some(ChapterKind::Chapter),
                _ => None,
            },
            owner: fields
                .has("owner")
                .then(|| fields.get("owner").trim().to_owned()),
            sources: fields.has("sources").then(|| lines(fields.get("sources"))),
        }
    }

    /// The form filled from a chapter's file and its revision.
    pub fn from_chapter(chapter: &crate::content::Chapter, base: &str) -> ChapterForm {
        ChapterForm {
            id: chapter.id.to_string(),
            title: chapter.title.clone(),
            section: chapter.section.clone().unwrap_or_default(),
            tags: chapter.tags.join(", "),
            review_due: chapter
                .review_due
                .map(|d| d.to_string())
                .unwrap_or_default(),
            url: chapter.url.clone().unwrap_or_default(),
            body: chapter.body.clone(),
            base: base.to_owned(),
            kind: Some(chapter.kind),
            owner: Some(chapter.owner.clone().unwrap_or_default()),
            sources: Some(chapter.sources.join("\n")),
        }
    }

    pub fn is_link(&self) -> bool {
        self.kind == Some(ChapterKind::Link) || (self.kind.is_none() && !self.url.is_empty())
    }

    /// The tags, one per comma-separated item.
    fn tag_list(&self) -> Vec<String> {
        self.tags
            .split(',')
            .map(one_line)
            .filter(|t| !t.is_empty())
            .collect()
    }

    /// The sources, one per line (or separated by spaces).
    fn source_list(&self) -> Option<Vec<String>> {
        self.sources.as_ref().map(|text| {
            text.split_whitespace()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
    }

    /// The chapter file the form makes, over the file it edits (`None` for a new chapter).
    /// What can be told from the fields alone is checked here; the file is then checked
    /// by the content rules when it is written.
    pub fn file_text(&self, original: Option<&str>, new: bool) -> Result<String, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut front: toml::Table = original
            .and_then(front_matter)
            .and_then(|f| f.parse().ok())
            .unwrap_or_default();
        if new {
            match self.id.parse::<ChapterId>() {
                Ok(id) => {
                    front.insert("id".into(), id.to_string().into());
                }
                Err(e) => {
                    errors.insert("id", e.to_string());
                }
            }
        }
        if self.title.is_empty() {
            errors.insert("title", "Give the chapter a title.".into());
        }
        front.insert("title".into(), self.title.clone().into());
        let mut set = |key: &str, value: Option<toml::Value>| match value {
            Some(v) => {
                front.insert(key.into(), v);
            }
            None => {
                front.remove(key);
            }
        };
        let is_link = self.is_link();
        if new || original.is_some_and(|_| is_link) {
            set("kind", is_link.then(|| "link".into()));
        }
        if is_link && self.url.is_empty() {
            errors.insert(
                "url",
                "A link chapter needs the address it points to.".into(),
            );
        }
        set("url", is_link.then(|| self.url.clone().into()));
        set(
            "section",
            (!self.section.is_empty()).then(|| self.section.clone().into()),
        );
        let tags = self.tag_list();
        set(
            "tags",
            (!tags.is_empty())
                .then(|| toml::Value::Array(tags.into_iter().map(Into::into).collect())),
        );
        let due = if self.review_due.is_empty() {
            None
        } else {
            match crate::content::parse_date(&self.review_due) {
                Ok(day) => Some(
                    day.to_string()
                        .parse::<toml::value::Datetime>()
                        .map(toml::Value::Datetime)
                        .ok(),
                )
                .flatten(),
                Err(_) => {
                    errors.insert(
                        "review_due",
                        "Write the date as YYYY-MM-DD, e.g. 2025-09-30, or leave it empty.".into(),
                    );
                    None
                }
            }
        };
        set("review_due", due);
        if let Some(owner) = &self.owner {
            set("owner", (!owner.is_empty()).then(|| owner.clone().into()));
        }
        if let Some(sources) = self.source_list() {
            set(
                "sources",
                (!sources.is_empty())
                    .then(|| toml::Value::Array(sources.into_iter().map(Into::into).collect())),
            );
        }
        let front = toml::to_string(&front).unwrap_or_default();
        let mut text = format!("+++\n{front}+++\n{}", self.body);
        if !text.ends_with('\n') {
            text.push('\n');
        }
        if text.len() > MAX_CHAPTER_BYTES {
            errors.insert(
                "body",
                format!(
                    "The chapter is {} bytes; a chapter may be at most {MAX_CHAPTER_BYTES} bytes (1 MiB).",
                    text.len()
                ),
            );
        }
        if errors.is_empty() {
            Ok(text)
        } else {
            Err(errors)
        }
    }
}

/// The field a content rule's message is about, by the key it names.
pub fn field_of(message: &str) -> &'static str {
    for key in [
        "title",
        "url",
        "section",
        "tags",
        "review_due",
        "owner",
        "sources",
        "id",
        "kind",
    ] {
        if message.contains(&format!("`{key}`")) {
            return key;
        }
    }
    ""
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::Chapter;

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        Fields::parse(body.as_bytes())
    }

    #[test]
    fn an_edit_keeps_the_front_matter_the_form_does_not_show() {
        let original = "+++\ntitle = \"Old\"\nowner = \"lead@example.org\"\nsources = [\"https://www.gov.uk/x\"]\ntags = [\"a\"]\n+++\nOld body.\n";
        let form = ChapterForm::from_fields(&fields(&[
            ("title", " New\r\ntitle "),
            ("section", "Child protection"),
            ("tags", "s47, , strategy discussion"),
            ("review_due", "2025-09-30"),
            ("body", "## 1. About\r\n\r\nNew body."),
        ]));
        let text = form.file_text(Some(original), false).unwrap();
        let chapter = Chapter::parse("x.md", &text).unwrap();
        assert_eq!(chapter.title, "New title");
        assert_eq!(chapter.section.as_deref(), Some("Child protection"));
        assert_eq!(chapter.tags, ["s47", "strategy discussion"]);
        assert_eq!(chapter.review_due.unwrap().to_string(), "2025-09-30");
        assert_eq!(chapter.body.trim_end(), "## 1. About\n\nNew body.");
        assert!(text.contains("owner = \"lead@example.org\"") && text.contains("gov.uk/x"));
        assert!(
            text.find("title").unwrap() < text.find("owner").unwrap(),
            "{text}"
        );
    }

    #[test]
    fn owner_and_sources_change_only_when_the_form_carries_them() {
        let original = "+++\ntitle = \"Old\"\nowner = \"lead@example.org\"\nsources = [\"https://www.gov.uk/x\"]\n+++\nBody.\n";
        let sent = ChapterForm::from_fields(&fields(&[
            ("title", "Old"),
            ("owner", " new@example.org "),
            (
                "sources",
                "https://www.gov.uk/a\r\n\r\n  https://www.legislation.gov.uk/ukpga/1989/41 \r\n",
            ),
            ("body", "Body."),
        ]));
        let chapter =
            Chapter::parse("x.md", &sent.file_text(Some(original), false).unwrap()).unwrap();
        assert_eq!(chapter.owner.as_deref(), Some("new@example.org"));
        assert_eq!(
            chapter.sources,
            [
                "https://www.gov.uk/a",
                "https://www.legislation.gov.uk/ukpga/1989/41"
            ]
        );
        let cleared = ChapterForm::from_fields(&fields(&[
            ("title", "Old"),
            ("owner", ""),
            ("sources", " "),
            ("body", "Body."),
        ]));
        let text = cleared.file_text(Some(original), false).unwrap();
        assert!(
            !text.contains("owner") && !text.contains("sources"),
            "{text}"
        );
        assert_eq!(
            field_of("front matter: `owner` must be an email address"),
            "owner"
        );
        assert_eq!(
            field_of("front matter: each of `sources` must be"),
            "sources"
        );
    }

    #[test]
    fn fields_that_cannot_be_used_are_named() {
        let form = ChapterForm::from_fields(&fields(&[
            ("id", "../x"),
            ("title", "  "),
            ("review_due", "30/09/2025"),
            ("kind", "link"),
        ]));
        let errors = form.file_text(None, true).unwrap_err();
        let named: Vec<_> = errors.keys().copied().collect();
        assert_eq!(named, ["id", "review_due", "title", "url"]);
        let huge = ChapterForm::from_fields(&fields(&[
            ("title", "Big"),
            ("body", &"x".repeat(MAX_CHAPTER_BYTES)),
        ]));
        assert!(
            huge.file_text(None, false)
                .unwrap_err()
                .contains_key("body")
        );
    }

    #[test]
    fn a_new_link_chapter_is_a_link() {
        let form = ChapterForm::from_fields(&fields(&[
            ("id", "fgm-guidance"),
            ("title", "FGM guidance"),
            ("url", "https://www.gov.uk/fgm"),
            ("body", ""),
        ]));
        let chapter = Chapter::parse("x.md", &form.file_text(None, true).unwrap()).unwrap();
        assert_eq!(
            (chapter.id.as_str(), chapter.kind),
            ("fgm-guidance", ChapterKind::Link)
        );
        assert_eq!(
            field_of("front matter: `url` must start with https://"),
            "url"
        );
    }
}
