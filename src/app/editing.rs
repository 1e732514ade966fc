//! Editors' changes: writing and deleting chapters on the draft (main's head) and
//! previewing the next release. Every change is validated by import's rules and lands,
//! through the publisher, as one commit authored by the editor, or not at all.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::releases::release_ref;
use super::{AppError, Chapterhouse};
use crate::content::{Chapter, ChapterId, ManualId};
use crate::notice::{Notice, ReleaseRef};
use crate::store::{Author, Revision, StoreError};

/// Why an edit was refused, beyond the application's usual reasons.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error(
        "chapter {id} was changed since the revision your edit is based on; its current revision is {current}. Reload it, reapply your edit and send it again"
    )]
    Stale { id: String, current: String },
    #[error("chapter {id} has no current revision to match (it does not exist)")]
    NoSuchRevision { id: String },
    #[error(
        "chapter {id} exists: send If-Match with the revision your edit is based on, so that no colleague's edit is overwritten"
    )]
    PreconditionRequired { id: String },
    #[error("chapter {id} exists already, and the edit asked to create it (If-None-Match: *)")]
    Exists { id: String },
    #[error("chapter {0} does not exist in the draft")]
    UnknownChapter(String),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<StoreError> for EditError {
    fn from(e: StoreError) -> EditError {
        EditError::App(e.into())
    }
}

/// The versions an edit was based on, as a test of a candidate tag: the chapter's
/// revision (its blob), a commit at which it read as it does now, or `blob.commit`.
#[derive(Clone)]
pub struct BasedOn(Arc<dyn Fn(&str) -> bool + Send + Sync>);

impl BasedOn {
    pub fn new(matches: impl Fn(&str) -> bool + Send + Sync + 'static) -> BasedOn {
        BasedOn(Arc::new(matches))
    }

    fn matches(&self, tag: &str) -> bool {
        (self.0)(tag)
    }
}

impl std::fmt::Debug for BasedOn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BasedOn(..)")
    }
}

/// Commits looked back through for one at which the chapter read as it does now.
const MOST_COMMITS_LOOKED_BACK: usize = 1000;

/// What an edit requires of the chapter as it is now (`If-Match`, `If-None-Match`).
#[derive(Debug, Clone)]
pub enum Precondition {
    /// Nothing said: allowed only for a chapter that does not exist yet.
    Unstated,
    /// The version the edit was based on.
    Matches(BasedOn),
    /// `If-Match: *`: the chapter must exist.
    Exists,
    /// `If-None-Match: *`: create only; the chapter must not exist.
    Absent,
}

/// A chapter to write (`text: Some`) or delete (`None`) in a manual's draft.
#[derive(Debug, Clone)]
pub struct ChapterEdit {
    pub manual: ManualId,
    pub id: String,
    pub text: Option<String>,
    pub precondition: Precondition,
    pub author: Author,
}

/// What an edit wrote.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Written {
    pub manual: ManualId,
    pub id: String,
    /// The chapter's new revision (`None` once deleted).
    pub revision: Option<String>,
    /// The draft's commit after the edit.
    pub commit: Revision,
    /// False when the chapter already read exactly so: nothing was committed.
    pub changed: bool,
    pub created: bool,
}

impl Chapterhouse {
    /// A chapter as the draft has it, with its revision (blob) and the draft's commit.
    pub fn draft_chapter(
        &self,
        manual: &ManualId,
        id: &str,
    ) -> Result<Option<(Chapter, String, Revision)>, AppError> {
        let head = self.draft_head(manual)?;
        let contents = self.contents_at_revision(manual, &head)?;
        let Some(entry) = contents.entry(id) else {
            return Ok(None);
        };
        let chapter = self.read_entry(manual, entry)?;
        Ok(Some((chapter, entry.blob.clone(), head)))
    }

    /// A chapter of the draft as its file reads (front matter and all), parsed, with its
    /// revision (blob).
    pub fn draft_file(
        &self,
        manual: &ManualId,
        id: &str,
    ) -> Result<Option<(Chapter, String, String)>, AppError> {
        let head = self.draft_head(manual)?;
        let contents = self.contents_at_revision(manual, &head)?;
        let Some(entry) = contents.entry(id) else {
            return Ok(None);
        };
        let bytes = self.store.read_file(&crate::store::StoredFile {
            path: entry.path.clone(),
            blob: entry.blob.clone(),
        })?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let chapter = self.read_entry(manual, entry)?;
        Ok(Some((chapter, text, entry.blob.clone())))
    }

    pub(super) fn draft_head(&self, manual: &ManualId) -> Result<Revision, AppError> {
        self.store
            .head()?
            .ok_or_else(|| AppError::UnknownManual(manual.to_string()))
    }

    /// True when `based_on` names the chapter as it is now: its blob, a commit at which it
    /// read the same (looked for back from the head, as far as it is unchanged), or both
    /// (`blob.commit`, as chapter reads tag themselves).
    fn is_fresh(
        &self,
        manual: &ManualId,
        head: &Revision,
        path: &str,
        blob: &str,
        based_on: &BasedOn,
    ) -> Result<bool, AppError> {
        if based_on.matches(blob) {
            return Ok(true);
        }
        let commits =
            self.store
                .unchanged_since(manual, head, path, blob, MOST_COMMITS_LOOKED_BACK)?;
        Ok(commits.iter().any(|commit| {
            based_on.matches(commit.as_str())
                || based_on.matches(&format!("{blob}.{}", commit.as_str()))
        }))
    }

    /// Writes or deletes one chapter of the draft as one commit by the editor. The change
    /// is checked against the draft's parsed contents (kept between edits), not by
    /// re-reading the manual: the chapter file itself, its id against the address and the
    /// other chapters' ids, and the manual keeping at least one chapter.
    pub fn edit_chapter(&self, edit: &ChapterEdit) -> Result<Written, EditError> {
        let manual = &edit.manual;
        let id: ChapterId = edit
            .id
            .parse()
            .map_err(|e: crate::content::InvalidId| EditError::Invalid(e.to_string()))?;
        let _turn = self.write_turn()?;
        let head = self.draft_head(manual)?;
        let draft = self.contents_at_revision(manual, &head)?;
        let existing = draft.entry(id.as_str());
        let id_text = || id.to_string();
        match (existing, &edit.precondition) {
            (Some(entry), Precondition::Matches(based_on))
                if !self.is_fresh(manual, &head, &entry.path, &entry.blob, based_on)? =>
            {
                return Err(EditError::Stale {
                    id: id_text(),
                    current: entry.blob.clone(),
                });
            }
            (Some(_), Precondition::Unstated) => {
                return Err(EditError::PreconditionRequired { id: id_text() });
            }
            (Some(_), Precondition::Absent) => return Err(EditError::Exists { id: id_text() }),
            (None, Precondition::Matches(_) | Precondition::Exists) => {
                return Err(EditError::NoSuchRevision { id: id_text() });
            }
            (None, _) if edit.text.is_none() => {
                return Err(EditError::UnknownChapter(id_text()));
            }
            _ => {}
        }
        let path = existing.map_or_else(|| format!("{id}.md"), |e| e.path.clone());
        let label = format!("{manual}/{path}");
        match &edit.text {
            Some(text) => {
                // The same rules as import, for the one file that changes.
                let written = Chapter::parse(&label, text).map_err(AppError::from)?;
                if written.id != id {
                    return Err(EditError::Invalid(format!(
                        "{label}: the front matter gives id {:?}, but the chapter is written at {:?}; they must be the same",
                        written.id.as_str(),
                        id.as_str()
                    )));
                }
            }
            None if draft.entries.len() == 1 => {
                return Err(EditError::Invalid(format!(
                    "{manual}: {id} is the manual's only chapter; a manual needs at least one"
                )));
            }
            None => {}
        }
        let created = existing.is_none();
        let verb = match (&edit.text, created) {
            (None, _) => "Delete",
            (Some(_), true) => "Add",
            (Some(_), false) => "Edit",
        };
        let message = format!("{verb} {manual}/{id}");
        let pending = self.store.prepare_file_change(
            manual,
            &path,
            edit.text.as_deref().map(str::as_bytes),
            &edit.author,
            &message,
            self.clock.now(),
        )?;
        self.store.advance(&pending)?;
        if pending.changed() {
            self.withdraw_after_change(manual, &format!("{message} by {}", edit.author.name));
        }
        let revision = match &edit.text {
            Some(_) => self.store.blob_at(&pending.revision, manual, &path)?,
            None => None,
        };
        tracing::info!(%manual, %id, editor = %edit.author.name, commit = pending.revision.as_str(), "{}", message);
        Ok(Written {
            manual: manual.clone(),
            id: id.to_string(),
            revision,
            commit: pending.revision.clone(),
            changed: pending.changed(),
            created,
        })
    }

    /// What the next release would contain: the draft against the latest release.
    pub fn draft_notice(&self, manual: &ManualId) -> Result<Notice, AppError> {
        let latest = self.latest_release(manual)?;
        let head = self.draft_head(manual)?;
        let draft = ReleaseRef {
            name: "draft".parse().expect("\"draft\" is a release name"),
            date: self.today(),
        };
        self.assemble_notice(
            manual,
            Some((release_ref(&latest), &latest.revision)),
            (draft, &head),
            BTreeMap::new(),
        )
    }
}
