//! The JSON answers of `/api/v1` that are made here rather than by the library's own
//! types, each the type the handler serialises and the schema `/api/v1/openapi.json`
//! describes: one definition, so the two cannot drift apart.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::ContentsEntry;
use crate::content::{Chapter, ChapterId, ChapterKind, ManualId, ReleaseName};
use crate::notice::NoticeJson;
use crate::store::Revision;

/// Every error: a status that fits, and this body.
#[derive(Serialize, ToSchema)]
pub struct ErrorJson {
    /// What was wrong, in one sentence.
    pub error: String,
}

/// A manual's contents at a release.
#[derive(Serialize, ToSchema)]
pub struct ContentsJson {
    pub manual: ManualId,
    pub title: String,
    pub release: ReleaseName,
    pub date: NaiveDate,
    /// A window of the contents (`?cursor=`, `?limit=`, at most 1,000 entries).
    pub chapters: Vec<EntryJson>,
    /// Chapters in the whole contents.
    pub total: usize,
    /// The address of the next window, when there is one (also a `Link: rel="next"`
    /// header).
    pub next: Option<String>,
}

/// What every chapter answer says of a chapter: its front matter's reader-facing fields.
#[derive(Serialize, ToSchema)]
pub struct ChapterFields {
    pub id: String,
    pub title: String,
    pub kind: ChapterKind,
    /// Where a link chapter points.
    pub url: Option<String>,
    pub section: Option<String>,
    pub tags: Vec<String>,
}

impl ChapterFields {
    pub fn of_chapter(c: &Chapter) -> ChapterFields {
        ChapterFields::of(&c.id, &c.title, c.kind, &c.url, &c.section, &c.tags)
    }

    pub fn of_entry(e: &ContentsEntry) -> ChapterFields {
        ChapterFields::of(&e.id, &e.title, e.kind, &e.url, &e.section, &e.tags)
    }

    fn of(
        id: &ChapterId,
        title: &str,
        kind: ChapterKind,
        url: &Option<String>,
        section: &Option<String>,
        tags: &[String],
    ) -> ChapterFields {
        ChapterFields {
            id: id.to_string(),
            title: title.to_owned(),
            kind,
            url: url.clone(),
            section: section.clone(),
            tags: tags.to_vec(),
        }
    }
}

/// One chapter of the contents.
#[derive(Serialize, ToSchema)]
pub struct EntryJson {
    #[serde(flatten)]
    pub chapter: ChapterFields,
    /// The chapter file's revision (its git blob).
    pub revision: String,
}

/// A chapter as a release fixed it.
#[derive(Serialize, ToSchema)]
pub struct ChapterJson {
    pub manual: ManualId,
    #[serde(flatten)]
    pub chapter: ChapterFields,
    pub review_due: Option<NaiveDate>,
    /// The chapter's text, without its front matter.
    pub markdown: String,
    /// The text rendered, sanitised.
    pub html: String,
    pub release: ReleaseName,
    pub date: NaiveDate,
    /// The store revision the release fixes.
    pub revision: Revision,
    /// The chapter file's revision (its git blob).
    pub chapter_revision: String,
}

/// A release in a manual's list.
#[derive(Serialize, ToSchema)]
pub struct ReleaseJson {
    pub name: String,
    pub date: NaiveDate,
    /// Later than today: published, not yet in force.
    pub scheduled: bool,
    pub revision: String,
    /// Editor notes by chapter id.
    pub notes: BTreeMap<String, String>,
    /// Who proposed it, for releases reviewed in the workspace (evidence for audits).
    pub proposed_by: Option<String>,
    pub approved_by: Vec<String>,
    pub published_by: String,
}

/// A chapter of the draft (an editor's view).
#[derive(Serialize, ToSchema)]
pub struct DraftChapterJson {
    pub manual: ManualId,
    #[serde(flatten)]
    pub chapter: ChapterFields,
    pub markdown: String,
    /// The chapter file's revision: send it back as `If-Match` to change the chapter.
    pub revision: String,
    /// The draft's commit.
    pub commit: String,
}

/// A release just published, with its notice.
#[derive(Serialize, ToSchema)]
pub struct PublishedJson {
    pub manual: ManualId,
    pub name: ReleaseName,
    pub date: NaiveDate,
    pub scheduled: bool,
    pub revision: Revision,
    #[schema(value_type = NoticeJson)]
    pub notice: serde_json::Value,
}

/// A release to publish from the draft.
#[derive(serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    /// The release's name, usually `YYYY-MM`.
    pub name: String,
    /// When it comes into force, `YYYY-MM-DD` [default: today].
    pub date: Option<String>,
    /// Editor notes by chapter id.
    #[serde(default)]
    pub notes: BTreeMap<String, String>,
}

/// A subscription asked for.
#[derive(serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionRequest {
    pub email: String,
    /// Manual ids to follow; none: every manual, new ones included.
    #[serde(default)]
    pub manuals: Vec<String>,
    /// `monthly` (default) or `immediate`.
    #[serde(default)]
    pub frequency: Option<String>,
}

/// The answer to every subscription request, whether or not the address exists.
#[derive(Serialize, ToSchema)]
pub struct SubscribedJson {
    pub status: String,
}
