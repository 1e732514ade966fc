//! Editors' changes: writing and deleting chapters on the draft (main's head), previewing
//! the next release, and publishing it. Every change is validated as `import` validates a
//! snapshot, and lands as one commit authored by the editor, or not at all.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::{AppError, Chapterhouse, check_notes};
use crate::content::{Chapter, ChapterId, ManualId, ReleaseName, Snapshot, SourceFile};
use crate::diff;
use crate::notice::{Notice, ReleaseRef};
use crate::store::{Author, Release, Revision, StoreError};

/// Why an edit was refused, beyond the application's usual reasons.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error(
        "chapter {id} was changed since revision {given}; its current revision is {current}. Reload it, reapply your edit and send it again"
    )]
    Stale {
        id: String,
        given: String,
        current: String,
    },
    #[error("chapter {id} has no current revision to match (it does not exist)")]
    NoSuchRevision { id: String },
    #[error(
        "chapter {id} exists: send If-Match with the revision your edit is based on, so that no colleague's edit is overwritten"
    )]
    PreconditionRequired { id: String },
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

/// A chapter to write (`text: Some`) or delete (`None`) in a manual's draft.
#[derive(Debug, Clone)]
pub struct ChapterEdit {
    pub manual: ManualId,
    pub id: String,
    pub text: Option<String>,
    /// The revision the edit was based on (`If-Match`): the chapter's revision (blob), or
    /// a commit at which the chapter read as it does now.
    pub if_match: Option<String>,
    pub author: Author,
}

/// What an edit wrote.
#[derive(Debug, Clone, serde::Serialize)]
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

/// The draft of a manual: its files at main's head.
struct Draft {
    head: Revision,
    files: Vec<SourceFile>,
    snapshot: Snapshot,
}

impl Chapterhouse {
    fn draft(&self, manual: &ManualId) -> Result<Draft, AppError> {
        let head = self
            .store
            .head()?
            .ok_or_else(|| AppError::UnknownManual(manual.to_string()))?;
        let stored = self.store.files_at(&head, manual)?;
        let mut files = Vec::with_capacity(stored.len());
        for f in stored {
            files.push(SourceFile {
                bytes: self.store.read_file(&f)?,
                path: f.path,
            });
        }
        let snapshot = Snapshot::parse(manual.as_str(), &files)?;
        Ok(Draft {
            head,
            files,
            snapshot,
        })
    }

    /// A chapter as the draft has it, with its revision (blob) and the draft's commit.
    pub fn draft_chapter(
        &self,
        manual: &ManualId,
        id: &str,
    ) -> Result<Option<(Chapter, String, Revision)>, AppError> {
        let head = self
            .store
            .head()?
            .ok_or_else(|| AppError::UnknownManual(manual.to_string()))?;
        let contents = self.contents_at_revision(manual, &head)?;
        let Some(entry) = contents.entry(id) else {
            return Ok(None);
        };
        let chapter = self
            .store
            .read_chapters(
                manual,
                vec![crate::store::StoredFile {
                    path: entry.path.clone(),
                    blob: entry.blob.clone(),
                }],
            )?
            .remove(0);
        Ok(Some((chapter, entry.blob.clone(), head)))
    }

    /// True when `given` names the chapter as it is now: its blob, a commit at which it
    /// read the same, or an ETag carrying either (`"blob.commit"`).
    fn is_fresh(&self, manual: &ManualId, path: &str, current_blob: &str, given: &str) -> bool {
        let given = given.trim().trim_start_matches("W/").trim_matches('"');
        given.split('.').filter(|p| !p.is_empty()).any(|part| {
            if part == current_blob {
                return true;
            }
            let Ok(revision) = Revision::parse(part) else {
                return false;
            };
            matches!(self.store.blob_at(&revision, manual, path), Ok(Some(b)) if b == current_blob)
        })
    }

    /// Writes or deletes one chapter of the draft as one commit by the editor.
    pub fn edit_chapter(&self, edit: &ChapterEdit) -> Result<Written, EditError> {
        let manual = &edit.manual;
        let id: ChapterId = edit
            .id
            .parse()
            .map_err(|e: crate::content::InvalidId| EditError::Invalid(e.to_string()))?;
        let mut draft = self.draft(manual)?;
        let existing = draft
            .snapshot
            .chapters
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.path.clone());
        let current_blob = match &existing {
            Some(path) => self.store.blob_at(&draft.head, manual, path)?,
            None => None,
        };
        match (&existing, &current_blob, &edit.if_match) {
            (Some(path), Some(blob), Some(given)) if !self.is_fresh(manual, path, blob, given) => {
                return Err(EditError::Stale {
                    id: id.to_string(),
                    given: given.chars().take(80).collect(),
                    current: blob.clone(),
                });
            }
            (Some(_), _, None) => {
                return Err(EditError::PreconditionRequired { id: id.to_string() });
            }
            (None, _, Some(given)) if given.trim() != "*" || edit.text.is_none() => {
                return Err(EditError::NoSuchRevision { id: id.to_string() });
            }
            (None, _, _) if edit.text.is_none() => {
                return Err(EditError::UnknownChapter(id.to_string()));
            }
            _ => {}
        }
        let path = existing.clone().unwrap_or_else(|| format!("{id}.md"));
        draft.files.retain(|f| f.path != path);
        let created = existing.is_none();
        if let Some(text) = &edit.text {
            draft.files.push(SourceFile {
                path: path.clone(),
                bytes: text.as_bytes().to_vec(),
            });
        }
        // The same rules as import: the whole manual must stay valid.
        let snapshot = Snapshot::parse(manual.as_str(), &draft.files).map_err(AppError::from)?;
        if edit.text.is_some() {
            let written = snapshot
                .chapters
                .iter()
                .find(|c| c.path == path)
                .expect("the written file is in the snapshot");
            if written.id != id {
                return Err(EditError::Invalid(format!(
                    "{manual}/{path}: the front matter gives id {:?}, but the chapter is written at {:?}; they must be the same",
                    written.id.as_str(),
                    id.as_str()
                )));
            }
        }
        let verb = match (&edit.text, created) {
            (None, _) => "Delete",
            (Some(_), true) => "Add",
            (Some(_), false) => "Edit",
        };
        let message = format!("{verb} {manual}/{id}");
        let pending = self
            .store
            .prepare_revision(manual, &draft.files, &edit.author, &message)?;
        self.store.advance(&pending)?;
        let revision = match &edit.text {
            Some(_) => self.store.blob_at(&pending.revision, manual, &path)?,
            None => None,
        };
        tracing::info!(%manual, %id, editor = %edit.author, commit = pending.revision.as_str(), "{}", message);
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
        let head = self
            .store
            .head()?
            .ok_or_else(|| AppError::UnknownManual(manual.to_string()))?;
        let changed = self
            .store
            .changed_chapters(manual, Some(&latest.revision), &head)?;
        let info = self.store.manual_info_at(&head, manual)?;
        Ok(Notice {
            manual: manual.clone(),
            manual_title: info.title,
            from: Some(ReleaseRef {
                name: latest.name.clone(),
                date: latest.date,
            }),
            to: ReleaseRef {
                name: "draft".parse().expect("\"draft\" is a release name"),
                date: self.today(),
            },
            diff: diff::compare(&changed.earlier, &changed.later),
            notes: BTreeMap::new(),
        })
    }

    /// Publishes the draft as release `name`, dated `date` (default today; a future date
    /// schedules it). Refused when the name exists, the date is before the latest release,
    /// a note names no chapter, or nothing reportable changed.
    pub fn publish_draft(
        &self,
        manual: &ManualId,
        name: &ReleaseName,
        date: Option<NaiveDate>,
        notes: BTreeMap<ChapterId, String>,
        publisher: &Author,
    ) -> Result<Release, AppError> {
        let pending = self
            .store
            .head_revision()?
            .ok_or_else(|| AppError::UnknownManual(manual.to_string()))?;
        let contents = self.contents_at_revision(manual, &pending.revision)?;
        let snapshot_ids: Vec<ChapterId> = contents.entries.iter().map(|e| e.id.clone()).collect();
        check_notes("notes", &snapshot_ids, &notes)?;
        self.release_revision(manual, &pending, name, date, notes, publisher)
    }
}
