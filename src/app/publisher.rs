//! The publisher: the one writer of the store. Imports, edits and releases queue here and
//! are applied one at a time, in the order they arrived, while readers go on reading the
//! last release (git objects are immutable; only a ref moves, at the very end).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};

use chrono::NaiveDate;
use serde::Deserialize;

use super::reviews::Imported;
use super::{AppError, Chapterhouse};
use crate::content::{ChapterId, ManualId, ReleaseName, Snapshot, source};
use crate::diff;
use crate::store::{self, Author, NewRelease, PendingRevision, Release, StoreError, StoredFile};

/// Times an import is built again on a main that another process moved meanwhile.
const IMPORT_TRIES: usize = 20;

/// Longest editor note accepted, in characters.
const MAX_NOTE_CHARS: usize = 2000;

/// A release to import from a snapshot folder.
#[derive(Debug, Clone)]
pub struct Import {
    pub snapshot_dir: PathBuf,
    pub manual: ManualId,
    pub release: ReleaseName,
    /// Defaults to today.
    pub date: Option<NaiveDate>,
    pub notes: BTreeMap<ChapterId, String>,
    pub author: Author,
}

/// The queue of writes: each takes a ticket and is applied when its number comes up, so
/// writes never interleave and none overtakes another.
#[derive(Default)]
pub(super) struct Publisher {
    queue: Mutex<Tickets>,
    turn: Condvar,
}

#[derive(Default)]
struct Tickets {
    issued: u64,
    serving: u64,
}

/// The publisher's attention, for one write; the next write goes on when this is dropped.
pub(super) struct Turn<'p>(&'p Publisher);

impl Publisher {
    /// Waits for every write queued before this one, then holds the store for this one.
    pub(super) fn turn(&self) -> Turn<'_> {
        let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        let ticket = queue.issued;
        queue.issued += 1;
        while queue.serving != ticket {
            queue = self.turn.wait(queue).unwrap_or_else(|p| p.into_inner());
        }
        Turn(self)
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.0
            .queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .serving += 1;
        self.0.turn.notify_all();
    }
}

impl Chapterhouse {
    /// Makes the manual's content equal to a snapshot folder, commits it and publishes the
    /// release. When nothing reportable changed but chapters' reviews did (`review_due`,
    /// `owner`, `sources`), the commit is saved to the draft with no release. Refused,
    /// with nothing written, when the snapshot is invalid, the release exists or is out of
    /// date order, or nothing changed at all that a notice or a review records.
    pub fn import(&self, import: &Import) -> Result<Imported, AppError> {
        // Checked and hashed file by file, then written file by file: a snapshot of any
        // size is imported in the memory of a few files, never held whole.
        let dir = &import.snapshot_dir;
        let label = dir.display().to_string();
        let checked = Snapshot::check(
            &label,
            source::snapshot_paths(dir)?,
            |path| path.as_str(),
            |path| source::read_snapshot_file(dir, path),
            |_, file| store::blob_id(&file.bytes),
        )?;
        check_notes(&label, &checked.ids, &import.notes)?;
        let files: Vec<StoredFile> = checked
            .files
            .into_iter()
            .map(|(path, blob)| StoredFile { path, blob })
            .collect();

        let message = format!(
            "Import {} release {} from {}",
            import.manual,
            import.release,
            snapshot_name(dir)
        );
        let _turn = self.write_turn()?;
        // Another process (an import of another partnership's manual) may move main
        // between this commit and its release: build on the new main and try again.
        let mut tries = 0;
        let release = loop {
            tries += 1;
            self.check_new_release(&import.manual, &import.release, import.date)?;
            let pending = self.store.prepare_revision_of(
                &import.manual,
                &files,
                |path| Ok(source::read_snapshot_file(dir, path)?),
                &import.author,
                &message,
                self.clock.now(),
            )?;
            let outcome = match self.release_revision(
                &import.manual,
                &pending,
                &import.release,
                import.date,
                import.notes.clone(),
                &import.author,
            ) {
                Ok(release) => Ok(Imported::Released(release)),
                // Nothing for a notice, but a review recorded: saved, with no release.
                Err(AppError::NothingToReport { .. })
                    if let Some(chapters) = self.reviews_recorded(&import.manual, &pending)? =>
                {
                    self.store
                        .advance(&pending)
                        .map(|()| Imported::Reviewed {
                            revision: pending.revision.clone(),
                            chapters,
                        })
                        .map_err(AppError::from)
                }
                Err(e) => Err(e),
            };
            match outcome {
                Err(AppError::Store(StoreError::Conflict)) if tries < IMPORT_TRIES => {
                    tracing::info!(manual = %import.manual, tries, "main moved under the import; building on it again");
                }
                other => break other?,
            }
        };
        let what = match &release {
            Imported::Released(_) => format!("release {} was imported", import.release),
            Imported::Reviewed { .. } => "reviews were recorded by an import".to_owned(),
        };
        self.withdraw_after_change(&import.manual, &what);
        Ok(release)
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
        let _turn = self.write_turn()?;
        self.publish_head(manual, name, date, notes, publisher, None)
    }

    /// Publishes the draft, in a turn the caller holds; with `expect`, only when the
    /// draft's head is still that commit (what reviewers saw).
    pub(super) fn publish_head(
        &self,
        manual: &ManualId,
        name: &ReleaseName,
        date: Option<NaiveDate>,
        notes: BTreeMap<ChapterId, String>,
        publisher: &Author,
        expect: Option<&crate::store::Revision>,
    ) -> Result<Release, AppError> {
        let pending = self
            .store
            .head_revision()?
            .ok_or_else(|| AppError::UnknownManual(manual.to_string()))?;
        if let Some(expected) = expect
            && self.manual_changed(manual, expected, &pending.revision)?
        {
            return Err(AppError::DraftMoved {
                manual: manual.clone(),
            });
        }
        self.check_release_plan(manual, &pending.revision, name, date, &notes)?;
        self.release_revision(manual, &pending, name, date, notes, publisher)
    }

    /// True when the manual's files differ between two commits (other manuals' changes
    /// move the shared head, not this manual).
    pub(super) fn manual_changed(
        &self,
        manual: &ManualId,
        earlier: &crate::store::Revision,
        later: &crate::store::Revision,
    ) -> Result<bool, AppError> {
        Ok(earlier != later && !self.store.changed_files(manual, earlier, later)?.is_empty())
    }

    /// Refuses a release of `revision` whose name exists, whose date is before the latest
    /// release's, whose notes name no chapter, or that reports no change.
    pub(super) fn check_release_plan(
        &self,
        manual: &ManualId,
        revision: &crate::store::Revision,
        name: &ReleaseName,
        date: Option<NaiveDate>,
        notes: &BTreeMap<ChapterId, String>,
    ) -> Result<(), AppError> {
        let contents = self.contents_at_revision(manual, revision)?;
        let ids: Vec<ChapterId> = contents.entries.iter().map(|e| e.id.clone()).collect();
        check_notes("notes", &ids, notes)?;
        self.check_new_release(manual, name, date)?;
        self.check_reportable(manual, revision, name)
    }

    /// Refuses a release of `revision` with nothing reportable since the latest release.
    fn check_reportable(
        &self,
        manual: &ManualId,
        revision: &crate::store::Revision,
        name: &ReleaseName,
    ) -> Result<(), AppError> {
        if let Some(latest) = self.store.releases(manual)?.last() {
            let changed = self
                .store
                .changed_chapters(manual, Some(&latest.revision), revision)?;
            if diff::compare(&changed.earlier, &changed.later).is_empty() {
                return Err(AppError::NothingToReport {
                    manual: manual.clone(),
                    name: name.clone(),
                    since: latest.name.clone(),
                });
            }
        }
        Ok(())
    }

    /// Refuses a release name that exists, or a date before the latest release's.
    fn check_new_release(
        &self,
        manual: &ManualId,
        name: &ReleaseName,
        date: Option<NaiveDate>,
    ) -> Result<(), AppError> {
        let releases = self.store.releases(manual)?;
        if releases.iter().any(|r| &r.name == name) {
            return Err(StoreError::ReleaseExists {
                manual: manual.clone(),
                name: name.clone(),
            }
            .into());
        }
        let date = date.unwrap_or_else(|| self.today());
        if let Some(latest) = releases.last()
            && date < latest.date
        {
            return Err(AppError::DateBeforeLatest {
                name: name.clone(),
                date,
                latest: latest.name.clone(),
                latest_date: latest.date,
            });
        }
        Ok(())
    }

    /// Publishes `pending` as release `name` of `manual` (its name and date checked by
    /// the caller, in the same turn): refused when nothing reportable changed since the
    /// latest release. The release is searchable when this returns; the index is brought
    /// up to date for the chapters that changed only.
    fn release_revision(
        &self,
        manual: &ManualId,
        pending: &PendingRevision,
        name: &ReleaseName,
        date: Option<NaiveDate>,
        notes: BTreeMap<ChapterId, String>,
        publisher: &Author,
    ) -> Result<Release, AppError> {
        self.check_reportable(manual, &pending.revision, name)?;
        let release = NewRelease {
            name: name.clone(),
            date: date.unwrap_or_else(|| self.today()),
            notes,
        };
        let published =
            self.store
                .publish(manual, Some(pending), &release, publisher, self.clock.now())?;
        // Should indexing fail, the release stands (it is in git) and the index catches
        // up on its next use.
        if let Err(e) = self.catch_up_index() {
            tracing::error!(error = %e, "release published; the search index will catch up later");
        }
        Ok(published)
    }
}

fn snapshot_name(dir: &Path) -> String {
    dir.file_name().map_or_else(
        || dir.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Every note must name a chapter of the snapshot: a misspelt id is a lost note.
pub(super) fn check_notes(
    label: &str,
    ids: &[ChapterId],
    notes: &BTreeMap<ChapterId, String>,
) -> Result<(), AppError> {
    for (id, note) in notes {
        if !ids.contains(id) {
            return Err(AppError::Notes {
                file: label.to_owned(),
                reason: format!(
                    "a note names chapter {:?}, which is not in the snapshot",
                    id.as_str()
                ),
            });
        }
        if note.trim().is_empty() || note.chars().count() > MAX_NOTE_CHARS {
            return Err(AppError::Notes {
                file: label.to_owned(),
                reason: format!("the note for {id} must be 1 to {MAX_NOTE_CHARS} characters"),
            });
        }
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NotesFile {
    notes: BTreeMap<String, String>,
}

/// Reads a notes file: a TOML table `[notes]` mapping chapter id to note. Notes are one
/// line each: line breaks and runs of spaces fold to single spaces.
pub fn read_notes(path: &Path) -> Result<BTreeMap<ChapterId, String>, AppError> {
    let file = path.display().to_string();
    let err = |reason: String| AppError::Notes {
        file: file.clone(),
        reason,
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| err(format!("cannot read the notes file: {e}")))?;
    let parsed: NotesFile = toml::from_str(&text).map_err(|e| {
        let line = e.span().map_or(1, |s| {
            1 + text[..s.start.min(text.len())].matches('\n').count()
        });
        err(format!("line {line}: {}", e.message().trim()))
    })?;
    let mut notes = BTreeMap::new();
    for (id, note) in parsed.notes {
        let id: ChapterId = id
            .parse()
            .map_err(|e: crate::content::InvalidId| err(e.to_string()))?;
        let folded = note
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .filter(|c| !c.is_control())
            .collect();
        notes.insert(id, folded);
    }
    Ok(notes)
}
