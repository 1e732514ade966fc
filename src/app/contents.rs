//! A manual's contents at a revision: every chapter's front matter and where its text
//! lives, without the text. Read once per revision and kept; a revision close to one
//! already read (the next edit, the next release) is worked out from it by the files that
//! changed, so its cost follows the change, not the size of the manual.

use std::collections::{HashMap, HashSet};
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use super::{AppError, Chapterhouse};
use crate::content::markdown::Rendered;
use crate::content::{Chapter, ChapterId, ChapterKind, ManualId, ManualInfo};
use crate::notice::Notice;
use crate::store::{Release, Revision, StoredFile};
use crate::weighed::{Weigh, WeighedLru};

/// Contents of this many manual revisions are kept in memory.
const CONTENTS_CACHED: usize = 32;
/// Rendered chapter versions kept in memory, at most.
const RENDERED_CACHED: usize = 2048;
/// Bytes of rendered chapters kept in memory, about.
const RENDERED_BYTES: usize = 128 * 1024 * 1024;
/// Release notices kept in memory.
const NOTICES_CACHED: usize = 256;
/// Kept contents of a manual tried as the starting point for another revision's.
const NEAREST_TRIED: usize = 4;
/// Past this many changed files, contents are read afresh rather than worked out.
const MOST_CHANGES_APPLIED: usize = 2000;

/// One entry of a manual's contents: a chapter's front matter and where its text lives.
#[derive(Debug, Clone)]
pub struct ContentsEntry {
    pub id: ChapterId,
    pub title: String,
    pub kind: ChapterKind,
    pub url: Option<String>,
    pub section: Option<String>,
    pub tags: Vec<String>,
    /// When the chapter must next be reviewed, by whom, and the national guidance it
    /// restates: what review tracking reads (never reported in notices).
    pub review_due: Option<chrono::NaiveDate>,
    pub owner: Option<String>,
    pub sources: Vec<String>,
    pub path: String,
    pub blob: String,
}

/// A manual as one release fixed it, without the chapters' text.
#[derive(Debug)]
pub struct Contents {
    pub info: ManualInfo,
    /// Sorted by section, then title (chapters without a section last).
    pub entries: Vec<ContentsEntry>,
    /// Each entry's place in `entries`, by id: a chapter of 60,000 is found at once.
    places: HashMap<ChapterId, usize>,
}

impl Contents {
    fn new(info: ManualInfo, entries: Vec<ContentsEntry>) -> Contents {
        let places = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id.clone(), i))
            .collect();
        Contents {
            info,
            entries,
            places,
        }
    }

    pub fn entry(&self, id: &str) -> Option<&ContentsEntry> {
        let id: ChapterId = id.parse().ok()?;
        self.places.get(&id).map(|&i| &self.entries[i])
    }

    /// The entries grouped by section, in contents order.
    pub fn sections(&self) -> Vec<(Option<&str>, Vec<&ContentsEntry>)> {
        let mut groups: Vec<(Option<&str>, Vec<&ContentsEntry>)> = Vec::new();
        for entry in &self.entries {
            match groups.last_mut() {
                Some((section, list)) if *section == entry.section.as_deref() => list.push(entry),
                _ => groups.push((entry.section.as_deref(), vec![entry])),
            }
        }
        groups
    }
}

/// In-memory caches of things read at releases.
pub struct ReadCache {
    pub(super) contents: Mutex<lru::LruCache<(Revision, ManualId), Arc<Contents>>>,
    pub(super) rendered: Mutex<WeighedLru<String, Arc<Rendered>>>,
    pub(super) notices: Mutex<lru::LruCache<(ManualId, Revision, Revision), Arc<Notice>>>,
}

impl Default for ReadCache {
    fn default() -> ReadCache {
        let size = |n| NonZeroUsize::new(n).expect("cache sizes are not zero");
        ReadCache {
            contents: Mutex::new(lru::LruCache::new(size(CONTENTS_CACHED))),
            rendered: Mutex::new(WeighedLru::new(RENDERED_CACHED, RENDERED_BYTES)),
            notices: Mutex::new(lru::LruCache::new(size(NOTICES_CACHED))),
        }
    }
}

impl Weigh for Rendered {
    fn weight(&self) -> usize {
        self.html.len()
            + self
                .toc
                .iter()
                .map(|(a, t)| a.len() + t.len() + 48)
                .sum::<usize>()
    }
}

pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl ContentsEntry {
    fn of(chapter: Chapter, blob: String) -> ContentsEntry {
        ContentsEntry {
            id: chapter.id,
            title: chapter.title,
            kind: chapter.kind,
            url: chapter.url,
            section: chapter.section,
            tags: chapter.tags,
            review_due: chapter.review_due,
            owner: chapter.owner,
            sources: chapter.sources,
            path: chapter.path,
            blob,
        }
    }
}

/// A file's path and its blob at the later revision (`None`: deleted).
type ChangedFile = (String, Option<String>);

/// Kept contents to start from, and the files changed since.
type Nearest = (Arc<Contents>, Vec<ChangedFile>);

/// Contents order: by section (chapters without one last), then title.
fn sort_entries(entries: &mut [ContentsEntry]) {
    entries.sort_by_cached_key(|e| {
        (
            e.section.is_none(),
            e.section.clone(),
            e.title.to_lowercase(),
        )
    });
}

impl Chapterhouse {
    /// A manual's contents at a release (read once per release, then kept).
    pub fn contents_at(
        &self,
        manual: &ManualId,
        release: &Release,
    ) -> Result<Arc<Contents>, AppError> {
        self.contents_at_revision(manual, &release.revision)
    }

    /// A manual's contents at any revision (a release's, or the draft's head).
    pub(crate) fn contents_at_revision(
        &self,
        manual: &ManualId,
        revision: &Revision,
    ) -> Result<Arc<Contents>, AppError> {
        let key = (revision.clone(), manual.clone());
        if let Some(hit) = lock(&self.cache.contents).get(&key) {
            return Ok(hit.clone());
        }
        let mut entries = match self.nearest_contents(manual, revision)? {
            Some((base, changed)) => self.entries_from(manual, &base, &changed)?,
            None => None,
        };
        let mut entries = match entries.take() {
            Some(entries) => entries,
            None => self.read_entries(manual, revision)?,
        };
        sort_entries(&mut entries);
        let contents = Arc::new(Contents::new(
            self.store.manual_info_at(revision, manual)?,
            entries,
        ));
        lock(&self.cache.contents).put(key, contents.clone());
        Ok(contents)
    }

    /// Of the manual's contents kept in memory (the most recently used few), the one at
    /// the revision with the fewest files changed since, to work `revision` out from.
    fn nearest_contents(
        &self,
        manual: &ManualId,
        revision: &Revision,
    ) -> Result<Option<Nearest>, AppError> {
        let candidates: Vec<(Revision, Arc<Contents>)> = lock(&self.cache.contents)
            .iter()
            .filter(|((_, m), _)| m == manual)
            .take(NEAREST_TRIED)
            .map(|((r, _), c)| (r.clone(), c.clone()))
            .collect();
        let mut best: Option<Nearest> = None;
        for (from, contents) in candidates {
            let changed = self.store.changed_files(manual, &from, revision)?;
            if best
                .as_ref()
                .is_none_or(|(_, fewest)| changed.len() < fewest.len())
            {
                best = Some((contents, changed));
            }
        }
        Ok(best)
    }

    /// Every chapter's entry, read from the store.
    fn read_entries(
        &self,
        manual: &ManualId,
        revision: &Revision,
    ) -> Result<Vec<ContentsEntry>, AppError> {
        let files: Vec<StoredFile> = self
            .store
            .files_at(revision, manual)?
            .into_iter()
            .filter(|f| f.path.ends_with(".md"))
            .collect();
        Ok(self
            .store
            .read_chapters_into(manual, files, ContentsEntry::of)?)
    }

    /// The entries of a revision, worked out from `base` by the files that changed since;
    /// `None` when too much changed to be worth it.
    fn entries_from(
        &self,
        manual: &ManualId,
        base: &Contents,
        changed: &[ChangedFile],
    ) -> Result<Option<Vec<ContentsEntry>>, AppError> {
        if changed.len() > MOST_CHANGES_APPLIED {
            return Ok(None);
        }
        let paths: HashSet<&str> = changed.iter().map(|(p, _)| p.as_str()).collect();
        let mut entries: Vec<ContentsEntry> = base
            .entries
            .iter()
            .filter(|e| !paths.contains(e.path.as_str()))
            .cloned()
            .collect();
        let files: Vec<StoredFile> = changed
            .iter()
            .filter(|(path, _)| path.ends_with(".md"))
            .filter_map(|(path, blob)| {
                blob.as_ref().map(|blob| StoredFile {
                    path: path.clone(),
                    blob: blob.clone(),
                })
            })
            .collect();
        entries.extend(
            self.store
                .read_chapters_into(manual, files, ContentsEntry::of)?,
        );
        // A revision made outside chapterhouse may break the rules; read it whole then,
        // which reports the problem as reading always has.
        let mut ids: HashSet<&ChapterId> = HashSet::new();
        if !entries.iter().all(|e| ids.insert(&e.id)) {
            return Ok(None);
        }
        Ok(Some(entries))
    }
}
