//! Keeping the index in step with the store. The index's commit payload records, per
//! manual, the releases it reflects; catching up replays only the releases since, or the
//! whole manual when its history changed under the index (a restored backup, plain git).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use tantivy::Term;

use super::{SearchError, SearchIndex, Writing};
use crate::content::ManualId;
use crate::store::{Release, Store};

/// Releases at once that count as a small step (a publish, an import): one indexing thread,
/// a small budget, and merges by size layers ([`super::publish_merges`]).
const SMALL_STEP: usize = 2;

/// Bumped when what the index holds changes meaning: an older index is rebuilt.
/// 2: American spellings made British, and word families the stemmer leaves apart put
/// together, as chapters are indexed (`words/`).
const STATE_VERSION: u32 = 2;

/// What the index reflects.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexedState {
    version: u32,
    manuals: BTreeMap<String, Vec<IndexedRelease>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct IndexedRelease {
    name: String,
    date: NaiveDate,
    revision: String,
}

impl IndexedState {
    /// True when the index holds releases of `manual`.
    pub fn knows_manual(&self, manual: &str) -> bool {
        self.manuals.get(manual).is_some_and(|r| !r.is_empty())
    }

    /// The name of the release of `manual` in force on `day`, as the index knows it.
    pub fn release_at(&self, manual: &str, day: NaiveDate) -> Option<&str> {
        self.manuals
            .get(manual)?
            .iter()
            .rev()
            .find(|r| r.date <= day)
            .map(|r| r.name.as_str())
    }
}

impl IndexedRelease {
    fn of(r: &Release) -> IndexedRelease {
        IndexedRelease {
            name: r.name.to_string(),
            date: r.date,
            revision: r.revision.as_str().to_owned(),
        }
    }
}

/// What a catch-up works from: what the index reflects, what it should, and the store's
/// releases behind the latter.
struct Plan {
    state: IndexedState,
    target: IndexedState,
    releases_of: BTreeMap<ManualId, Vec<Release>>,
}

impl SearchIndex {
    /// What the index reflects, from its last commit.
    pub fn state(&self) -> Result<IndexedState, SearchError> {
        let payload = self.index.load_metas()?.payload;
        Ok(payload
            .and_then(|p| serde_json::from_str::<IndexedState>(&p).ok())
            .filter(|s| s.version == STATE_VERSION)
            .unwrap_or_default())
    }

    /// How many of the store's releases the index does not reflect (and manuals it holds
    /// that the store no longer has): 0 when it is caught up.
    pub fn releases_behind(&self, store: &Store) -> Result<usize, SearchError> {
        let Plan { state, target, .. } = self.plan(store)?;
        let missing: usize = target
            .manuals
            .iter()
            .map(|(manual, releases)| {
                let indexed = state
                    .manuals
                    .get(manual)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                releases.iter().filter(|r| !indexed.contains(r)).count()
            })
            .sum();
        let gone = state
            .manuals
            .keys()
            .filter(|m| !target.manuals.contains_key(*m))
            .count();
        Ok(missing + gone)
    }

    /// What the index reflects beside what the store holds.
    fn plan(&self, store: &Store) -> Result<Plan, SearchError> {
        let state = self.state()?;
        let mut target = IndexedState {
            version: STATE_VERSION,
            manuals: BTreeMap::new(),
        };
        let mut releases_of = BTreeMap::new();
        for manual in store.released_manuals()? {
            let releases = store.releases(&manual)?;
            target.manuals.insert(
                manual.to_string(),
                releases.iter().map(IndexedRelease::of).collect(),
            );
            releases_of.insert(manual, releases);
        }
        Ok(Plan {
            state,
            target,
            releases_of,
        })
    }

    /// Brings the index up to date with the store's releases; returns whether anything
    /// changed. Cheap when nothing did. Any number of processes may do this at once (an
    /// import, and a server following the store): they take turns at the writer.
    pub fn catch_up(&self, store: &Store) -> Result<bool, SearchError> {
        let Plan { state, target, .. } = self.plan(store)?;
        if target == state {
            return Ok(false);
        }
        // A release or two of an indexed manual is a few documents; a manual indexed from
        // nothing is all of it.
        let small = target.manuals.iter().all(|(m, releases)| {
            let indexed = state.manuals.get(m).map_or(0, Vec::len);
            indexed > 0 && releases.len() <= indexed + SMALL_STEP
        });
        let writing = if small {
            Writing::Few
        } else if state.manuals.is_empty() {
            Writing::Many
        } else {
            Writing::Manual
        };
        let mut writer = self.writer(writing)?;
        // Whoever held the writer meanwhile may have indexed these releases already:
        // replaying them again from the state read before would index them twice.
        let Plan {
            state,
            target,
            releases_of,
        } = self.plan(store)?;
        if target == state {
            drop(writer);
            self.reader.reload()?;
            return Ok(false);
        }
        // What an intermediate commit claims: the state as it was (see [`DRAIN_EVERY`]).
        let before = serde_json::to_string(&state).expect("state serialises");
        for (manual, releases) in &releases_of {
            let indexed = state
                .manuals
                .get(manual.as_str())
                .map(Vec::as_slice)
                .unwrap_or_default();
            let target_list = &target.manuals[manual.as_str()];
            if target_list.starts_with(indexed) && !indexed.is_empty() {
                let prev = &releases[indexed.len() - 1];
                self.replay(
                    &mut writer,
                    store,
                    manual,
                    Some(prev),
                    &releases[indexed.len()..],
                    None,
                )?;
            } else {
                if !indexed.is_empty() {
                    tracing::info!(%manual, "release history changed under the index; reindexing the manual");
                }
                writer.delete_term(Term::from_field_text(self.fields.manual, manual.as_str()));
                // From nothing, after deleting the manual: a commit half way is safe (should
                // the writer die after it, the next catch-up starts the manual over).
                self.replay(&mut writer, store, manual, None, releases, Some(&before))?;
            }
        }
        for gone in state
            .manuals
            .keys()
            .filter(|m| !target.manuals.contains_key(*m))
        {
            writer.delete_term(Term::from_field_text(self.fields.manual, gone));
        }
        let mut commit = writer.prepare_commit()?;
        commit.set_payload(&serde_json::to_string(&target).expect("state serialises"));
        commit.commit()?;
        if let Writing::Many = writing {
            self.merge_small(&mut writer)?;
        }
        self.reader.reload()?;
        *self.indexed.lock().unwrap_or_else(|p| p.into_inner()) = target;
        if writing.tidies() {
            // Let the merges finish, rather than have the writer drop them half done for
            // the next publish to start over.
            writer.wait_merging_threads()?;
        }
        Ok(true)
    }

    /// Rebuilds the whole index from the store alone.
    pub fn rebuild(&self, store: &Store) -> Result<(), SearchError> {
        let mut writer = self.writer(Writing::Many)?;
        writer.delete_all_documents()?;
        let mut commit = writer.prepare_commit()?;
        commit.set_payload(
            &serde_json::to_string(&IndexedState::default()).expect("state serialises"),
        );
        commit.commit()?;
        drop(writer);
        self.reader.reload()?;
        self.catch_up(store)?;
        Ok(())
    }
}
