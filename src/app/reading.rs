//! Reading the procedures: a manual's contents at a release, one chapter, its history, and
//! what became of a chapter that is no longer there. Contents and rendered chapters are
//! cached: a release never changes, so neither does anything read at one.

use std::collections::HashMap;
use std::sync::Arc;

use super::contents::{ContentsEntry, lock};
use super::{AppError, Chapterhouse};
use crate::content::markdown::{self, Rendered};
use crate::content::{Chapter, ChapterId, ManualId, ReleaseName};
use crate::notice::Notice;
use crate::store::{Release, StoredFile};

/// A chapter version as a reader sees it.
#[derive(Debug, Clone)]
pub struct ChapterVersion {
    pub chapter: Chapter,
    pub blob: String,
    /// The release it was read at.
    pub release: Release,
    /// The body as sanitised HTML, with its table of contents.
    pub rendered: Arc<Rendered>,
}

/// What became of a chapter id that a release does not have.
#[derive(Debug, Clone)]
pub enum Missing {
    /// Renamed: the chapter lives on under another id.
    Renamed { to: ChapterId },
    /// Removed in `removed_in`; `last` is the last release that had it.
    Removed {
        title: String,
        removed_in: Box<Release>,
        last: Box<Release>,
    },
    /// Not yet published (it appears in a later, scheduled release) or never existed.
    Unknown,
}

impl Chapterhouse {
    /// A chapter as it stood at a release, with its body rendered (once per version).
    /// `Ok(None)` when the release has no such chapter.
    pub fn chapter_at(
        &self,
        manual: &ManualId,
        release: &Release,
        id: &str,
    ) -> Result<Option<ChapterVersion>, AppError> {
        let contents = self.contents_at(manual, release)?;
        let Some(entry) = contents.entry(id) else {
            return Ok(None);
        };
        let chapter = self.read_entry(manual, entry)?;
        let rendered = self.rendered(&entry.blob, &chapter.body);
        Ok(Some(ChapterVersion {
            chapter,
            blob: entry.blob.clone(),
            release: release.clone(),
            rendered,
        }))
    }

    pub(super) fn read_entry(
        &self,
        manual: &ManualId,
        entry: &ContentsEntry,
    ) -> Result<Chapter, AppError> {
        let mut chapters = self.store.read_chapters(
            manual,
            vec![StoredFile {
                path: entry.path.clone(),
                blob: entry.blob.clone(),
            }],
        )?;
        Ok(chapters.remove(0))
    }

    /// A chapter body as sanitised HTML, rendered once per version.
    pub fn rendered(&self, blob: &str, body: &str) -> Arc<Rendered> {
        if let Some(hit) = lock(&self.cache.rendered).get(blob) {
            return hit.clone();
        }
        let html = Arc::new(markdown::render(body));
        lock(&self.cache.rendered).put(blob.to_owned(), html.clone());
        html
    }

    /// A manual's releases up to and including `until`, oldest first.
    pub(super) fn releases_until(
        &self,
        manual: &ManualId,
        until: &Release,
    ) -> Result<Vec<Release>, AppError> {
        let mut releases = self.releases(manual)?;
        if let Some(i) = releases.iter().position(|r| r.name == until.name) {
            releases.truncate(i + 1);
        }
        Ok(releases)
    }

    /// The notice of a release against the one before it (kept once computed: releases
    /// never change).
    pub fn release_notice(
        &self,
        manual: &ManualId,
        release: &Release,
    ) -> Result<Arc<Notice>, AppError> {
        let releases = self.releases_until(manual, release)?;
        let previous = releases
            .len()
            .checked_sub(2)
            .map(|i| releases[i].revision.clone());
        let key = (
            manual.clone(),
            previous.unwrap_or_else(|| release.revision.clone()),
            release.revision.clone(),
        );
        if let Some(hit) = lock(&self.cache.notices).get(&key) {
            return Ok(hit.clone());
        }
        let notice = Arc::new(self.notice(manual, None, Some(release.name.as_str()))?);
        lock(&self.cache.notices).put(key, notice.clone());
        Ok(notice)
    }

    /// For each chapter of the manual at `until`, the latest release (up to `until`) whose
    /// notice reports it new or updated.
    pub fn last_changed(
        &self,
        manual: &ManualId,
        until: &Release,
    ) -> Result<HashMap<ChapterId, ReleaseName>, AppError> {
        let mut out = HashMap::new();
        for release in self.releases_until(manual, until)? {
            let notice = self.release_notice(manual, &release)?;
            let ids = notice
                .diff
                .updated
                .iter()
                .map(|u| &u.id)
                .chain(notice.diff.added.iter().map(|a| &a.id));
            for id in ids {
                out.insert(id.clone(), release.name.clone());
            }
        }
        Ok(out)
    }

    /// What became of chapter `id`, which `release` does not have: renamed in a later
    /// release, removed, or never published.
    pub fn missing_chapter(
        &self,
        manual: &ManualId,
        release: &Release,
        id: &str,
    ) -> Result<Missing, AppError> {
        let releases = self.releases_until(manual, release)?;
        // The last release (up to `release`) that had the chapter.
        let mut last_with = None;
        for (i, r) in releases.iter().enumerate().rev() {
            if self.contents_at(manual, r)?.entry(id).is_some() {
                last_with = Some(i);
                break;
            }
        }
        let Some(i) = last_with else {
            return Ok(Missing::Unknown);
        };
        let Some(next) = releases.get(i + 1) else {
            return Ok(Missing::Unknown);
        };
        let last = &releases[i];
        let notice = self.notice(manual, Some(last.name.as_str()), Some(next.name.as_str()))?;
        if let Some(renamed) = notice
            .diff
            .updated
            .iter()
            .find(|u| u.renamed_from.as_ref().is_some_and(|r| r.id.as_str() == id))
        {
            return Ok(Missing::Renamed {
                to: renamed.id.clone(),
            });
        }
        let title = self
            .contents_at(manual, last)?
            .entry(id)
            .map(|e| e.title.clone())
            .unwrap_or_else(|| id.to_owned());
        Ok(Missing::Removed {
            title,
            removed_in: Box::new(next.clone()),
            last: Box::new(last.clone()),
        })
    }
}
