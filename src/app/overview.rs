//! What editors see of a manual's work in progress: every chapter of the draft with its
//! state against the latest release and who last touched it, and the manual's activity
//! (its commits, newest first, with the chapters each touched).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::{AppError, Chapterhouse, Contents, ContentsEntry};
use crate::content::{ChapterId, ChapterKind, ManualId, ReleaseName};
use crate::store::{LogEntry, Revision, StoredFile};

/// How many of the manual's commits, back from the draft's head, are looked through for
/// the chapters' last edits; a chapter untouched for longer has no last edit to show.
const LAST_EDITS_LOOKED_BACK: usize = 2000;

/// A chapter of the draft against the manual's latest release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DraftState {
    /// The same file (blob) as in the latest release.
    Unchanged,
    /// In the latest release, with another file now.
    Edited,
    /// Not in the latest release (everything, before a manual's first release).
    New,
    /// In the latest release, gone from the draft.
    Deleted,
}

impl DraftState {
    /// The state as JSON and page filters write it.
    pub fn as_str(self) -> &'static str {
        match self {
            DraftState::Unchanged => "unchanged",
            DraftState::Edited => "edited",
            DraftState::New => "new",
            DraftState::Deleted => "deleted",
        }
    }

    /// The state as pages show it.
    pub fn label(self) -> &'static str {
        match self {
            DraftState::Unchanged => "Unchanged",
            DraftState::Edited => "Edited",
            DraftState::New => "New",
            DraftState::Deleted => "Deleted",
        }
    }
}

/// The newest commit that touched a chapter's file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LastEdit {
    pub author: String,
    pub email: String,
    pub at: DateTime<Utc>,
    pub revision: Revision,
}

/// One chapter of the draft, or one deleted since the latest release.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DraftChapter {
    pub id: ChapterId,
    /// As the draft has it (a deleted chapter: as the latest release had it).
    pub title: String,
    pub section: Option<String>,
    pub kind: ChapterKind,
    pub state: DraftState,
    /// `None` when none of the manual's last 2000 commits touched the chapter's file.
    pub last_edit: Option<LastEdit>,
}

/// A manual's draft chapter by chapter, against its latest release.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DraftOverview {
    pub manual: ManualId,
    /// The manual's title, as the draft has it.
    pub title: String,
    /// `None` before the manual's first release.
    pub latest_release: Option<ReleaseName>,
    /// The draft's head commit the overview was read at.
    pub head: Revision,
    /// In contents order (by section, then title), then the deleted chapters in the latest
    /// release's contents order.
    pub chapters: Vec<DraftChapter>,
    /// The distinct sections of `chapters`, in their order.
    pub sections: Vec<String>,
    /// How many chapters are not unchanged.
    pub changed: usize,
}

impl DraftOverview {
    /// The chapters of one section (`None`: the chapters without a section), in order.
    pub fn in_section(&self, section: Option<&str>) -> Vec<&DraftChapter> {
        self.chapters
            .iter()
            .filter(|c| c.section.as_deref() == section)
            .collect()
    }
}

/// One commit that changed a manual, as the activity list shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ActivityEntry {
    pub revision: Revision,
    pub author: String,
    pub email: String,
    pub at: DateTime<Utc>,
    /// The commit message's first line.
    pub message: String,
    /// The ids of the chapters whose files the commit added, changed or deleted, in the
    /// order of their paths (an id once, even when its file moved).
    pub chapters: Vec<String>,
    /// The other files it touched, by path in the manual's folder: `manual.toml`, files
    /// that are not `.md`, and chapter files that do not parse as they stand.
    pub other_files: Vec<String>,
}

/// The draft's entries and the deleted ones, each with its state: the pure comparison
/// behind [`Chapterhouse::draft_overview`]. Chapters are matched by id; a different blob
/// is an edit, whatever changed (a file that only moved, same blob, is unchanged).
fn compare<'c>(
    draft: &'c Contents,
    released: Option<&'c Contents>,
) -> Vec<(&'c ContentsEntry, DraftState)> {
    let mut compared: Vec<(&ContentsEntry, DraftState)> = draft
        .entries
        .iter()
        .map(|e| {
            let state = match released.and_then(|r| r.entry(e.id.as_str())) {
                None => DraftState::New,
                Some(before) if before.blob == e.blob => DraftState::Unchanged,
                Some(_) => DraftState::Edited,
            };
            (e, state)
        })
        .collect();
    let kept: HashSet<&ChapterId> = draft.entries.iter().map(|e| &e.id).collect();
    compared.extend(
        released
            .into_iter()
            .flat_map(|r| &r.entries)
            .filter(|e| !kept.contains(&e.id))
            .map(|e| (e, DraftState::Deleted)),
    );
    compared
}

impl Chapterhouse {
    /// Every chapter of the manual's draft, and every chapter deleted since the latest
    /// release, with its state and its last edit.
    pub fn draft_overview(&self, manual: &ManualId) -> Result<DraftOverview, AppError> {
        let head = self.draft_head(manual)?;
        let draft = self.contents_at_revision(manual, &head)?;
        let latest = match self.latest_release(manual) {
            Ok(release) => Some(release),
            Err(AppError::NoReleases(_)) => None,
            Err(e) => return Err(e),
        };
        let released = match &latest {
            Some(release) => Some(self.contents_at(manual, release)?),
            None => None,
        };
        let compared = compare(&draft, released.as_deref());
        let paths = compared.iter().map(|(e, _)| e.path.as_str()).collect();
        let mut edits = self.last_edits(manual, &head, paths, LAST_EDITS_LOOKED_BACK)?;
        let chapters: Vec<DraftChapter> = compared
            .iter()
            .map(|(e, state)| DraftChapter {
                id: e.id.clone(),
                title: e.title.clone(),
                section: e.section.clone(),
                kind: e.kind,
                state: *state,
                last_edit: edits.remove(e.path.as_str()),
            })
            .collect();
        let mut sections: Vec<String> = Vec::new();
        for section in chapters.iter().filter_map(|c| c.section.as_ref()) {
            if !sections.contains(section) {
                sections.push(section.clone());
            }
        }
        Ok(DraftOverview {
            manual: manual.clone(),
            title: draft.info.title.clone(),
            latest_release: latest.map(|r| r.name),
            head,
            changed: chapters
                .iter()
                .filter(|c| c.state != DraftState::Unchanged)
                .count(),
            chapters,
            sections,
        })
    }

    /// The newest commit, of the manual's last `limit` back from `head`, that touched each
    /// of `paths`; the walk ends as soon as every path is found.
    fn last_edits(
        &self,
        manual: &ManualId,
        head: &Revision,
        paths: HashSet<&str>,
        limit: usize,
    ) -> Result<HashMap<String, LastEdit>, AppError> {
        let mut wanted = paths;
        let mut found = HashMap::new();
        if wanted.is_empty() {
            return Ok(found);
        }
        self.store.walk_log(manual, head, limit, |entry| {
            for file in &entry.files {
                if wanted.remove(file.as_str()) {
                    let edit = LastEdit {
                        author: entry.author.clone(),
                        email: entry.email.clone(),
                        at: entry.at,
                        revision: entry.revision.clone(),
                    };
                    found.insert(file.clone(), edit);
                }
            }
            !wanted.is_empty()
        })?;
        Ok(found)
    }

    /// The manual's last `limit` commits, newest first, each with the chapters it touched.
    /// A file's chapter is read from the file as the commit left it, or, for a file the
    /// commit deleted, as it stood before; files the draft or the latest release has as
    /// they were are not read again.
    pub fn activity(
        &self,
        manual: &ManualId,
        limit: usize,
    ) -> Result<Vec<ActivityEntry>, AppError> {
        let head = self.draft_head(manual)?;
        let draft = self.contents_at_revision(manual, &head)?;
        // One entry more than shown: the manual's folder before a commit is the folder
        // as the next older entry left it, which is where deleted files are read.
        let log = self.store.log(manual, &head, limit.saturating_add(1))?;
        let mut known: HashMap<(String, String), ChapterId> = HashMap::new();
        let mut remember = |contents: &Contents| {
            for e in &contents.entries {
                known.insert((e.path.clone(), e.blob.clone()), e.id.clone());
            }
        };
        remember(&draft);
        // The release only spares reading files again; without one, nothing is spared.
        if let Ok(latest) = self.latest_release(manual) {
            remember(&*self.contents_at(manual, &latest)?);
        }
        let shown = &log[..log.len().min(limit)];
        let mut files: Vec<Vec<(String, Option<String>)>> = Vec::with_capacity(shown.len());
        for (i, entry) in shown.iter().enumerate() {
            files.push(self.touched_blobs(manual, entry, log.get(i + 1))?);
        }
        let mut unknown: Vec<StoredFile> = Vec::new();
        let mut asked: HashSet<(&String, &String)> = HashSet::new();
        for (path, blob) in files.iter().flatten() {
            if let Some(blob) = blob
                && !known.contains_key(&(path.clone(), blob.clone()))
                && asked.insert((path, blob))
            {
                unknown.push(StoredFile {
                    path: path.clone(),
                    blob: blob.clone(),
                });
            }
        }
        known.extend(self.chapter_ids(manual, unknown));
        Ok(shown
            .iter()
            .zip(files)
            .map(|(entry, files)| {
                let mut chapters: Vec<String> = Vec::new();
                let mut other_files = Vec::new();
                for (path, blob) in files {
                    let id = blob.and_then(|blob| known.get(&(path.clone(), blob)));
                    match id.map(ChapterId::to_string) {
                        Some(id) if !chapters.contains(&id) => chapters.push(id),
                        Some(_) => {}
                        None => other_files.push(path),
                    }
                }
                ActivityEntry {
                    revision: entry.revision.clone(),
                    author: entry.author.clone(),
                    email: entry.email.clone(),
                    at: entry.at,
                    message: entry.message.clone(),
                    chapters,
                    other_files,
                }
            })
            .collect())
    }

    /// Each file `entry` touched, with the blob its chapter is read from (`None`: not a
    /// chapter file): the file as the commit left it, or as it stood at `older` (the
    /// manual's previous commit) when the commit deleted it.
    fn touched_blobs(
        &self,
        manual: &ManualId,
        entry: &LogEntry,
        older: Option<&LogEntry>,
    ) -> Result<Vec<(String, Option<String>)>, AppError> {
        let mut touched = Vec::with_capacity(entry.files.len());
        for path in &entry.files {
            let blob = if path.ends_with(".md") {
                match self.store.blob_at(&entry.revision, manual, path)? {
                    Some(blob) => Some(blob),
                    None => match older {
                        Some(older) => self.store.blob_at(&older.revision, manual, path)?,
                        None => None,
                    },
                }
            } else {
                None
            };
            touched.push((path.clone(), blob));
        }
        Ok(touched)
    }

    /// The ids of chapter files, read from the store; a file that does not parse is left
    /// out (activity lists it by path).
    fn chapter_ids(
        &self,
        manual: &ManualId,
        files: Vec<StoredFile>,
    ) -> Vec<((String, String), ChapterId)> {
        let key = |f: &StoredFile| (f.path.clone(), f.blob.clone());
        let keys: Vec<(String, String)> = files.iter().map(key).collect();
        if let Ok(ids) = self.store.read_chapters_into(manual, files, |c, _| c.id) {
            return keys.into_iter().zip(ids).collect();
        }
        // Some file is broken (a commit made outside chapterhouse): read them one by one.
        keys.into_iter()
            .filter_map(|(path, blob)| {
                let file = StoredFile { path, blob };
                let chapter = self.store.read_chapters(manual, vec![file.clone()]).ok()?;
                Some((key(&file), chapter.into_iter().next()?.id))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
