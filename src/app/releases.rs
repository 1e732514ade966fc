//! A manual's releases as readers ask for them: which is in force, which a reader named,
//! and the notice of what changed between two.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::{AppError, Chapterhouse};
use crate::content::{Chapter, ChapterId, ManualId};
use crate::diff;
use crate::notice::{Notice, ReleaseRef};
use crate::store::{Release, Revision, StoreError};

/// A manual as the list of manuals shows it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ManualSummary {
    pub id: ManualId,
    pub title: String,
    pub description: Option<String>,
    /// In force today; `None` when every release is scheduled.
    pub current: Option<Release>,
    /// The newest release, scheduled ones included.
    pub latest: Release,
}

impl Chapterhouse {
    /// A manual's releases, oldest first; an unknown manual is an error.
    pub fn releases(&self, manual: &ManualId) -> Result<Vec<Release>, AppError> {
        let releases = self.store.releases(manual)?;
        if releases.is_empty() {
            return Err(if self.store.manuals()?.contains(manual) {
                AppError::NoReleases(manual.clone())
            } else {
                AppError::UnknownManual(manual.to_string())
            });
        }
        Ok(releases)
    }

    /// The release in force on `day`: the latest one dated that day or earlier. `None`
    /// before the manual's first release.
    pub fn release_at(
        &self,
        manual: &ManualId,
        day: NaiveDate,
    ) -> Result<Option<Release>, AppError> {
        Ok(Release::in_force(&self.releases(manual)?, day).cloned())
    }

    /// The manuals a subscription names, each of which must have been published.
    pub fn known_manuals(&self, names: &[String]) -> Result<Vec<ManualId>, AppError> {
        let known = self.store.released_manuals()?;
        names
            .iter()
            .filter(|n| !n.is_empty())
            .map(|name| {
                name.parse::<ManualId>()
                    .ok()
                    .filter(|m| known.contains(m))
                    .ok_or_else(|| AppError::UnknownManual(name.chars().take(80).collect()))
            })
            .collect()
    }

    /// The manual's newest release, scheduled ones included.
    pub fn latest_release(&self, manual: &ManualId) -> Result<Release, AppError> {
        let mut releases = self.releases(manual)?;
        Ok(releases
            .pop()
            .expect("releases() never returns an empty list"))
    }

    /// The manual's current release: in force today. A release dated in the future is
    /// scheduled and becomes current on its date, with nothing to restart.
    pub fn current_release(&self, manual: &ManualId) -> Result<Option<Release>, AppError> {
        self.release_at(manual, self.today())
    }

    /// Every manual with at least one release: its title and its current and latest
    /// releases.
    pub fn manual_summaries(&self) -> Result<Vec<ManualSummary>, AppError> {
        let today = self.today();
        let mut out = Vec::new();
        for manual in self.store.released_manuals()? {
            let releases = self.store.releases(&manual)?;
            let Some(latest) = releases.last().cloned() else {
                continue;
            };
            let current = Release::in_force(&releases, today).cloned();
            let info = self
                .store
                .manual_info_at(&current.as_ref().unwrap_or(&latest).revision, &manual)?;
            out.push(ManualSummary {
                id: manual,
                title: info.title,
                description: info.description,
                current,
                latest,
            });
        }
        Ok(out)
    }

    /// The release a reader asked for: by name, in force on a date, or current.
    pub fn resolve_release(
        &self,
        manual: &ManualId,
        at: Option<NaiveDate>,
        release: Option<&str>,
    ) -> Result<Release, AppError> {
        let releases = self.releases(manual)?;
        if let Some(name) = release {
            return releases
                .into_iter()
                .find(|r| r.name.as_str() == name)
                .ok_or_else(|| unknown_release(manual, name).into());
        }
        let day = at.unwrap_or_else(|| self.today());
        Release::in_force(&releases, day)
            .cloned()
            .ok_or(AppError::NothingInForce {
                manual: manual.clone(),
                day,
            })
    }

    /// The notice for `to` (default: the latest release) against `from` (default: the
    /// release before `to`; none for a manual's first release, where all is new).
    pub fn notice(
        &self,
        manual: &ManualId,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Notice, AppError> {
        let releases = self.releases(manual)?;
        let find = |name: &str| {
            releases
                .iter()
                .position(|r| r.name.as_str() == name)
                .ok_or_else(|| unknown_release(manual, name))
        };
        let to_index = match to {
            Some(name) => find(name)?,
            None => releases.len() - 1,
        };
        let from_index = match from {
            Some(name) => Some(find(name)?),
            None => to_index.checked_sub(1),
        };
        let to = &releases[to_index];
        let from = from_index.map(|i| &releases[i]);

        // A diff across several releases carries every note published in between.
        let mut notes: BTreeMap<ChapterId, String> = BTreeMap::new();
        let first_note = from_index.map_or(0, |i| i + 1);
        for release in releases.iter().take(to_index + 1).skip(first_note) {
            for (id, note) in release.notes.iter() {
                notes
                    .entry(id.clone())
                    .and_modify(|n| {
                        n.push(' ');
                        n.push_str(note);
                    })
                    .or_insert_with(|| note.clone());
            }
        }
        if first_note > to_index {
            notes = BTreeMap::clone(&to.notes);
        }
        self.assemble_notice(
            manual,
            from.map(|r| (release_ref(r), &r.revision)),
            (release_ref(to), &to.revision),
            notes,
        )
    }

    /// The notice of the changes from `from` (none: everything is new) to `to`: the one
    /// place a notice is put together, for releases and for the draft alike.
    pub(super) fn assemble_notice(
        &self,
        manual: &ManualId,
        from: Option<(ReleaseRef, &Revision)>,
        to: (ReleaseRef, &Revision),
        notes: BTreeMap<ChapterId, String>,
    ) -> Result<Notice, AppError> {
        let (earlier, later) =
            self.store
                .differing_files(manual, from.as_ref().map(|f| f.1), to.1)?;
        let earlier = self.store.read_chapters(manual, earlier)?;
        // With nothing on the earlier side every chapter is new, and a new chapter is
        // reported by its front matter alone: a big first release is not held whole.
        let later = if earlier.is_empty() {
            self.store
                .read_chapters_into(manual, later, |chapter, _| Chapter {
                    body: String::new(),
                    ..chapter
                })?
        } else {
            self.store.read_chapters(manual, later)?
        };
        let info = self.store.manual_info_at(to.1, manual)?;
        Ok(Notice {
            manual: manual.clone(),
            manual_title: info.title,
            from: from.map(|f| f.0),
            to: to.0,
            diff: diff::compare(&earlier, &later),
            notes,
        })
    }
}

pub(super) fn release_ref(r: &Release) -> ReleaseRef {
    ReleaseRef {
        name: r.name.clone(),
        date: r.date,
    }
}

fn unknown_release(manual: &ManualId, name: &str) -> StoreError {
    StoreError::UnknownRelease {
        manual: manual.clone(),
        name: name.chars().take(80).collect(),
    }
}
