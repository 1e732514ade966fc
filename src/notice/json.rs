//! The JSON notice: the release diff shape of SPEC §6, with notes and summaries.

use serde::Serialize;
use serde_json::Value;

use super::{Notice, ReleaseRef};
use crate::content::{ChapterId, ChapterKind};
use crate::diff::RenamedFrom;

/// A release diff: the chapters updated, new and removed between two releases.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Notice)]
pub struct Json<'a> {
    #[schema(value_type = String)]
    manual: &'a str,
    #[schema(value_type = String)]
    manual_title: &'a str,
    title: String,
    #[schema(value_type = Option<ReleaseRef>)]
    from: Option<&'a ReleaseRef>,
    #[schema(value_type = ReleaseRef)]
    to: &'a ReleaseRef,
    updated: Vec<Updated<'a>>,
    new: Vec<New<'a>>,
    removed: Vec<Removed<'a>>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = UpdatedChapter)]
pub struct Updated<'a> {
    #[schema(value_type = String)]
    id: &'a ChapterId,
    #[schema(value_type = String)]
    title: &'a str,
    kind: ChapterKind,
    summary: String,
    #[schema(value_type = Option<String>)]
    note: Option<&'a str>,
    reread: bool,
    #[schema(value_type = Vec<String>)]
    sections_added: &'a [String],
    #[schema(value_type = Vec<String>)]
    sections_removed: &'a [String],
    #[schema(value_type = Vec<String>)]
    sections_changed: &'a [String],
    link_changed: bool,
    #[schema(value_type = Option<RenamedFrom>)]
    renamed_from: Option<&'a RenamedFrom>,
    similarity: f64,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = NewChapter)]
pub struct New<'a> {
    #[schema(value_type = String)]
    id: &'a ChapterId,
    #[schema(value_type = String)]
    title: &'a str,
    kind: ChapterKind,
    #[schema(value_type = String)]
    summary: &'static str,
    #[schema(value_type = Option<String>)]
    note: Option<&'a str>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = RemovedChapter)]
pub struct Removed<'a> {
    #[schema(value_type = String)]
    id: &'a ChapterId,
    #[schema(value_type = String)]
    title: &'a str,
    kind: ChapterKind,
}

impl Notice {
    /// The notice as the JSON value of SPEC §6 (`diff --format json`, the release API).
    pub fn to_json(&self) -> Value {
        let json = Json {
            manual: self.manual.as_str(),
            manual_title: &self.manual_title,
            title: self.heading(),
            from: self.from.as_ref(),
            to: &self.to,
            updated: self
                .diff
                .updated
                .iter()
                .map(|c| Updated {
                    id: &c.id,
                    title: &c.title,
                    kind: c.kind,
                    summary: c.summary(),
                    note: self.note(&c.id),
                    reread: c.reread,
                    sections_added: &c.sections_added,
                    sections_removed: &c.sections_removed,
                    sections_changed: &c.sections_changed,
                    link_changed: c.link_changed,
                    renamed_from: c.renamed_from.as_ref(),
                    // Two decimals: enough to read, stable across platforms.
                    similarity: (f64::from(c.similarity) * 100.0).round() / 100.0,
                })
                .collect(),
            new: self
                .diff
                .added
                .iter()
                .map(|c| New {
                    id: &c.id,
                    title: &c.title,
                    kind: c.kind,
                    summary: Notice::new_summary(c.kind),
                    note: self.note(&c.id),
                })
                .collect(),
            removed: self
                .diff
                .removed
                .iter()
                .map(|c| Removed {
                    id: &c.id,
                    title: &c.title,
                    kind: c.kind,
                })
                .collect(),
        };
        serde_json::to_value(json).expect("notice serialises")
    }
}
