//! A chapter's history: the releases that changed it, each with its note and the automatic
//! summary. A history up to one release is kept, so the next release only adds its own
//! step: after a publish, pages need one comparison per chapter at most, not one per
//! release.

use std::sync::{Arc, Mutex};

use super::contents::lock;
use super::{AppError, Chapterhouse};
use crate::content::{Chapter, ManualId};
use crate::diff::{self, UpdatedChapter};
use crate::store::{Release, StoredFile};

/// Chapter histories (one per chapter and release) kept in memory.
const HISTORIES_CACHED: usize = 32_768;
/// A chapter's history up to a release: the manual, the chapter id, the release's revision.
type HistoryKey = (ManualId, String, crate::store::Revision);

/// The kept histories.
pub(super) struct Histories(Mutex<lru::LruCache<HistoryKey, Arc<HistoryUpTo>>>);

impl Default for Histories {
    fn default() -> Histories {
        let size = std::num::NonZeroUsize::new(HISTORIES_CACHED).expect("not zero");
        Histories(Mutex::new(lru::LruCache::new(size)))
    }
}

/// One release that changed a chapter.
#[derive(Debug, Clone)]
pub struct HistoryEntry {
    pub release: Release,
    /// The release before, which the change is measured from; `None` when the chapter
    /// first appeared in `release`.
    pub previous: Option<Release>,
    pub note: Option<String>,
    pub summary: String,
}

/// A chapter's history up to one release, and where its text stood then. Histories up to
/// successive releases share their older entries: each release adds its own step only.
#[derive(Debug, Clone, Default)]
pub(super) struct HistoryUpTo {
    /// The newest entry, which leads to the ones before.
    entries: Option<Arc<Step>>,
    /// The release in which the chapter's text last changed, and that text's file;
    /// `None` while the chapter is absent.
    last: Option<(Release, StoredFile)>,
}

/// One entry of a history and the entries before it.
#[derive(Debug)]
struct Step {
    entry: HistoryEntry,
    before: Option<Arc<Step>>,
}

impl HistoryUpTo {
    fn push(&mut self, entry: HistoryEntry) {
        let before = self.entries.take();
        self.entries = Some(Arc::new(Step { entry, before }));
    }

    /// The entries, newest first.
    fn newest_first(&self) -> Vec<HistoryEntry> {
        let mut entries = Vec::new();
        let mut step = self.entries.as_deref();
        while let Some(s) = step {
            entries.push(s.entry.clone());
            step = s.before.as_deref();
        }
        entries
    }
}

impl Chapterhouse {
    /// The releases up to `until` that changed chapter `id`, newest first, each with its
    /// editor note and the automatic summary.
    pub fn history(
        &self,
        manual: &ManualId,
        id: &str,
        until: &Release,
    ) -> Result<Vec<HistoryEntry>, AppError> {
        let releases = self.releases_until(manual, until)?;
        let key = |r: &Release| (manual.clone(), id.to_owned(), r.revision.clone());
        // Start from the newest release whose history is kept.
        let mut state = HistoryUpTo::default();
        let mut start = 0;
        for (i, release) in releases.iter().enumerate().rev() {
            if let Some(kept) = lock(&self.histories.0).get(&key(release)) {
                state = HistoryUpTo::clone(kept);
                start = i + 1;
                break;
            }
        }
        for release in &releases[start..] {
            state = self.history_step(manual, id, state, release)?;
            lock(&self.histories.0).put(key(release), Arc::new(state.clone()));
        }
        Ok(state.newest_first())
    }

    /// The history up to `release`, from the history up to the release before it.
    fn history_step(
        &self,
        manual: &ManualId,
        id: &str,
        mut state: HistoryUpTo,
        release: &Release,
    ) -> Result<HistoryUpTo, AppError> {
        let previous = state.last.take();
        let Some((file, chapter)) = self.version_at(manual, release, id, previous.as_ref())? else {
            return Ok(state);
        };
        let Some((before, old_file)) = previous else {
            let chapter = match chapter {
                Some(chapter) => chapter,
                None => self.read_file(manual, &file)?,
            };
            state.push(HistoryEntry {
                release: release.clone(),
                previous: None,
                note: note(release, &chapter),
                summary: crate::notice::Notice::new_summary(chapter.kind).to_owned(),
            });
            state.last = Some((release.clone(), file));
            return Ok(state);
        };
        let Some(chapter) = chapter else {
            // Unchanged since `before`.
            state.last = Some((before, old_file));
            return Ok(state);
        };
        let old = self.read_file(manual, &old_file)?;
        if let Some(update) = diff::compare_chapter(&old, &chapter, None) {
            state.push(HistoryEntry {
                release: release.clone(),
                previous: Some(before),
                note: note(release, &chapter),
                summary: UpdatedChapter::summary(&update),
            });
        }
        state.last = Some((release.clone(), file));
        Ok(state)
    }

    /// Chapter `id` at a release: its file, and the chapter read from it unless it is the
    /// same file as `previous` (one tree lookup then); `None` when the release lacks it.
    fn version_at(
        &self,
        manual: &ManualId,
        release: &Release,
        id: &str,
        previous: Option<&(Release, StoredFile)>,
    ) -> Result<Option<(StoredFile, Option<Chapter>)>, AppError> {
        if let Some((_, old)) = previous
            && let Some(blob) = self.store.blob_at(&release.revision, manual, &old.path)?
        {
            let file = StoredFile {
                path: old.path.clone(),
                blob,
            };
            if file.blob == old.blob {
                return Ok(Some((file, None)));
            }
            // A file that no longer parses, or now holds another chapter, is looked up
            // the long way.
            if let Ok(chapter) = self.read_file(manual, &file)
                && chapter.id.as_str() == id
            {
                return Ok(Some((file, Some(chapter))));
            }
        }
        let contents = self.contents_at(manual, release)?;
        let Some(entry) = contents.entry(id) else {
            return Ok(None);
        };
        let file = StoredFile {
            path: entry.path.clone(),
            blob: entry.blob.clone(),
        };
        if previous.is_some_and(|(_, old)| old.blob == file.blob) {
            return Ok(Some((file, None)));
        }
        Ok(Some((file, Some(self.read_entry(manual, entry)?))))
    }

    fn read_file(&self, manual: &ManualId, file: &StoredFile) -> Result<Chapter, AppError> {
        Ok(self
            .store
            .read_chapters(manual, vec![file.clone()])?
            .pop()
            .expect("one file read gives one chapter"))
    }
}

fn note(release: &Release, chapter: &Chapter) -> Option<String> {
    release
        .notes
        .get(&chapter.id)
        .cloned()
        .filter(|n| !n.is_empty())
}
