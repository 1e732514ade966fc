//! Notices (SPEC §5): a release diff written the way a partnership newsletter prints it, as
//! text, Markdown, HTML, JSON or Atom. Pure: a diff and its notes in, a document out.

mod atom;
mod html;
mod json;
pub use json::{
    Json as NoticeJson, New as NewJson, Removed as RemovedJson, Updated as UpdatedJson,
};
mod text;
mod window;
pub use window::{LISTED_AT_MOST, thousands};

pub use atom::atom_feed;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::content::{ChapterId, ChapterKind, ManualId, ReleaseName};
use crate::diff::ReleaseDiff;

/// A release named in a notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ReleaseRef {
    pub name: ReleaseName,
    pub date: NaiveDate,
}

/// One release diff of one manual, with the editors' notes, ready to render.
#[derive(Debug, Clone)]
pub struct Notice {
    pub manual: ManualId,
    pub manual_title: String,
    /// `None` for a manual's first release, where every chapter is new.
    pub from: Option<ReleaseRef>,
    pub to: ReleaseRef,
    pub diff: ReleaseDiff,
    pub notes: BTreeMap<ChapterId, String>,
}

/// The output formats of a notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Markdown,
    Html,
    Json,
    Atom,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        match s {
            "text" => Ok(Format::Text),
            "markdown" | "md" => Ok(Format::Markdown),
            "html" => Ok(Format::Html),
            "json" => Ok(Format::Json),
            "atom" => Ok(Format::Atom),
            other => Err(format!(
                "unknown format {other:?}: use text, markdown, html, json or atom"
            )),
        }
    }
}

/// Absolute links into the published site, from the configured public URL.
#[derive(Debug, Clone)]
pub struct Links {
    base: String,
}

impl Links {
    pub fn new(public_url: &str) -> Links {
        Links {
            base: public_url.trim_end_matches('/').to_owned(),
        }
    }

    pub fn chapter(&self, manual: &ManualId, id: &ChapterId) -> String {
        format!("{}/manuals/{manual}/chapters/{id}", self.base)
    }

    pub fn chapter_at(&self, manual: &ManualId, id: &ChapterId, release: &ReleaseName) -> String {
        format!(
            "{}/manuals/{manual}/chapters/{id}?release={release}",
            self.base
        )
    }

    pub fn chapter_diff(
        &self,
        manual: &ManualId,
        id: &ChapterId,
        from: &ReleaseName,
        to: &ReleaseName,
    ) -> String {
        format!(
            "{}/manuals/{manual}/chapters/{id}/diff?from={from}&to={to}",
            self.base
        )
    }

    pub fn release(&self, manual: &ManualId, release: &ReleaseName) -> String {
        format!("{}/manuals/{manual}/releases/{release}", self.base)
    }

    /// Any path of the site, absolute.
    pub fn page(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn manual_feed(&self, manual: &ManualId) -> String {
        format!("{}/manuals/{manual}/feed.atom", self.base)
    }
}

/// One line of a notice: a chapter, what the newsletter says of it, and where to read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: ChapterId,
    pub title: String,
    /// The editor's note, else the automatic summary (always empty for removed chapters).
    pub text: String,
    /// The chapter as it now reads (for removed chapters: its last version).
    pub href: String,
    /// The chapter's changes in this release, for updated chapters.
    pub diff_href: Option<String>,
}

impl Notice {
    /// "Safeguarding Children Procedures — updated in April 2024"
    pub fn heading(&self) -> String {
        format!(
            "{} — updated in {}",
            self.manual_title,
            self.to.date.format("%B %Y")
        )
    }

    /// The editor's note for a chapter, if any.
    pub fn note(&self, id: &ChapterId) -> Option<&str> {
        self.notes.get(id).map(String::as_str)
    }

    /// The automatic summary of a new chapter.
    pub fn new_summary(kind: ChapterKind) -> &'static str {
        match kind {
            ChapterKind::Chapter => "This new chapter has been added.",
            ChapterKind::Link => "This new link has been added.",
        }
    }

    /// The three groups of entries, in newsletter order.
    pub fn entries(&self, links: &Links) -> [(&'static str, Vec<Entry>); 3] {
        let note_or =
            |id: &ChapterId, summary: String| self.note(id).map_or(summary, str::to_owned);
        let updated =
            self.diff
                .updated
                .iter()
                .map(|c| Entry {
                    id: c.id.clone(),
                    title: c.title.clone(),
                    text: note_or(&c.id, c.summary()),
                    href: links.chapter_at(&self.manual, &c.id, &self.to.name),
                    diff_href: self.from.as_ref().map(|from| {
                        links.chapter_diff(&self.manual, &c.id, &from.name, &self.to.name)
                    }),
                })
                .collect();
        let added = self
            .diff
            .added
            .iter()
            .map(|c| Entry {
                id: c.id.clone(),
                title: c.title.clone(),
                text: note_or(&c.id, Notice::new_summary(c.kind).to_owned()),
                href: links.chapter_at(&self.manual, &c.id, &self.to.name),
                diff_href: None,
            })
            .collect();
        let removed = self
            .diff
            .removed
            .iter()
            .map(|c| Entry {
                id: c.id.clone(),
                title: c.title.clone(),
                text: String::new(),
                href: match &self.from {
                    Some(from) => links.chapter_at(&self.manual, &c.id, &from.name),
                    None => links.chapter(&self.manual, &c.id),
                },
                diff_href: None,
            })
            .collect();
        [
            ("Updated chapters", updated),
            ("New chapters", added),
            ("Removed chapters", removed),
        ]
    }

    /// Renders the notice in `format`.
    pub fn render(&self, format: Format, links: &Links) -> String {
        match format {
            Format::Text => self.to_text(links),
            Format::Markdown => self.to_markdown(links),
            Format::Html => self.to_html(links),
            Format::Json => {
                let mut s = serde_json::to_string_pretty(&self.to_json()).expect("notice JSON");
                s.push('\n');
                s
            }
            Format::Atom => atom_feed(
                &format!("{} — changes", self.manual_title),
                &links.manual_feed(&self.manual),
                std::slice::from_ref(self),
                links,
            ),
        }
    }
}

#[cfg(test)]
mod tests;
