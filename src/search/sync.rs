//! Keeping the index in step with the store. The index's commit payload records, per
//! manual, the releases it reflects; catching up replays only the releases since, or the
//! whole manual when its history changed under the index (a restored backup, plain git).

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use tantivy::collector::TopDocs;
use tantivy::query::TermQuery;
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{IndexWriter, TantivyDocument, Term};

use super::schema::{OPEN_END, chapter_key, day, document};
use super::{SearchError, SearchIndex, Writing};
use crate::content::ManualId;
use crate::store::{Release, Store, StoredFile};

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

/// A chapter version in force, not yet written as a closed document: where to read it.
struct Open {
    file: StoredFile,
    from: i64,
    /// True when the index already holds it as an open document (to delete on closing).
    in_index: bool,
}

/// A chapter version to write: its file, and the days it was in force.
struct Version {
    file: StoredFile,
    from: i64,
    to: i64,
}

/// Chapter versions written at once: read and analysed on every core, held a batch at a
/// time.
const WRITE_BATCH: usize = 256;

/// Segments of fewer documents than this are merged into one after a bulk write.
const SMALL_SEGMENT: u32 = 10_000;

/// Documents written between commits when very many are written at once. The writer
/// queues up to 10,000 documents ahead of its indexing threads, each holding a chapter's
/// text three times over (body, word pairs, plain words): a commit waits for the queue to
/// empty, so at most this many are held. (Small in tests, so that the indexes they build
/// from nothing are committed half way, as big manuals are.)
const DRAIN_EVERY: usize = if cfg!(test) { 64 } else { 4096 };

/// Each chapter file by its chapter's id (the files read for their front matter only).
fn chapter_ids(
    store: &Store,
    manual: &ManualId,
    files: Vec<StoredFile>,
) -> Result<HashMap<String, StoredFile>, SearchError> {
    let ids = store.read_chapters_into(manual, files, |chapter, blob| {
        let file = StoredFile {
            path: chapter.path,
            blob,
        };
        (chapter.id.to_string(), file)
    })?;
    Ok(ids.into_iter().collect())
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

    /// Applies `releases` of a manual in order, after `prev` (the last release already
    /// indexed, or `None` when starting from nothing). Only ids and blobs are held between
    /// releases: chapters are read again when their document is written, a batch at a
    /// time, so a manual of any size is indexed in bounded memory.
    fn replay(
        &self,
        writer: &mut IndexWriter,
        store: &Store,
        manual: &ManualId,
        prev: Option<&Release>,
        releases: &[Release],
        before: Option<&str>,
    ) -> Result<(), SearchError> {
        let mut open: HashMap<String, Open> = HashMap::new();
        let mut prev_revision = prev.map(|r| r.revision.clone());
        for (i, release) in releases.iter().enumerate() {
            let (earlier, later) =
                store.differing_files(manual, prev_revision.as_ref(), &release.revision)?;
            let today = day(release.date);
            let earlier = chapter_ids(store, manual, earlier)?;
            let later = chapter_ids(store, manual, later)?;
            let mut closed = Vec::new();
            for (id, file) in &earlier {
                if later.get(id).map(|f| &f.blob) != Some(&file.blob) {
                    closed.extend(self.close(writer, manual, &mut open, id, today)?);
                }
            }
            self.write(writer, store, manual, closed, before)?;
            let opened = later
                .into_iter()
                .filter(|(id, file)| earlier.get(id).map(|f| &f.blob) != Some(&file.blob));
            if i + 1 == releases.len() {
                // Nothing closes these in this replay: written as they are read.
                let versions = opened.map(|(_, file)| Version {
                    file,
                    from: today,
                    to: OPEN_END,
                });
                self.write(writer, store, manual, versions.collect(), before)?;
            } else {
                for (id, file) in opened {
                    let version = Open {
                        file,
                        from: today,
                        in_index: false,
                    };
                    open.insert(id, version);
                }
            }
            prev_revision = Some(release.revision.clone());
        }
        let still_open = open.into_values().filter(|o| !o.in_index).map(|o| Version {
            file: o.file,
            from: o.from,
            to: OPEN_END,
        });
        self.write(writer, store, manual, still_open.collect(), before)
    }

    /// Ends the version of `id` in force, on `day`: the closed version to write, if it was
    /// ever in force.
    fn close(
        &self,
        writer: &mut IndexWriter,
        manual: &ManualId,
        open: &mut HashMap<String, Open>,
        id: &str,
        day: i64,
    ) -> Result<Option<Version>, SearchError> {
        let version = match open.remove(id) {
            Some(v) => v,
            None => match self.open_in_index(manual, id)? {
                Some(v) => v,
                None => {
                    tracing::warn!(%manual, id, "no version in force to close; the index will be rebuilt on reindex");
                    return Ok(None);
                }
            },
        };
        if version.in_index {
            let key = chapter_key(manual, id);
            writer.delete_term(Term::from_field_text(self.fields.open_key, &key));
        }
        // Two releases on one day: the earlier one's version was never in force.
        Ok((version.from < day).then_some(Version {
            file: version.file,
            from: version.from,
            to: day,
        }))
    }

    /// Merges the segments under [`SMALL_SEGMENT`] documents into one, when there are
    /// several, and waits for it: a bulk write leaves one segment or two per indexing
    /// thread and half-way commit, and every search reads each segment's dictionaries.
    fn merge_small(&self, writer: &mut IndexWriter) -> Result<(), SearchError> {
        let small: Vec<_> = self
            .index
            .searchable_segment_metas()?
            .into_iter()
            .filter(|m| m.num_docs() < SMALL_SEGMENT)
            .map(|m| m.id())
            .collect();
        if small.len() > 1 {
            writer.merge(&small).wait()?;
        }
        Ok(())
    }

    /// Reads and writes chapter versions as documents, a batch at a time. Many at once
    /// (a big manual's first release) are committed every [`DRAIN_EVERY`] when `before`
    /// (the state as it was, to claim meanwhile) is given: the release shows in searches
    /// as it is indexed.
    fn write(
        &self,
        writer: &mut IndexWriter,
        store: &Store,
        manual: &ManualId,
        versions: Vec<Version>,
        before: Option<&str>,
    ) -> Result<(), SearchError> {
        let drains = before.filter(|_| versions.len() > DRAIN_EVERY);
        let mut since = 0;
        let mut versions = versions;
        while !versions.is_empty() {
            if let Some(before) = drains
                && since >= DRAIN_EVERY
            {
                let mut commit = writer.prepare_commit()?;
                commit.set_payload(before);
                commit.commit()?;
                since = 0;
            }
            since += versions.len().min(WRITE_BATCH);
            let rest = versions.split_off(versions.len().min(WRITE_BATCH));
            let files = versions
                .into_iter()
                .map(|v| (v.file, (v.from, v.to)))
                .collect();
            let fields = &self.fields;
            let documents =
                store.read_chapters_with(manual, files, |chapter, blob, (from, to)| {
                    document(fields, manual, &chapter, &blob, from, to)
                })?;
            for doc in documents {
                writer.add_document(doc)?;
            }
            versions = rest;
        }
        Ok(())
    }

    /// The open version of a chapter as the index holds it.
    fn open_in_index(
        &self,
        manual: &ManualId,
        id: &str,
    ) -> Result<Option<Open>, SearchError> {
        let searcher = self.reader.searcher();
        let term = Term::from_field_text(self.fields.open_key, &chapter_key(manual, id));
        let hits = searcher.search(
            &TermQuery::new(term, IndexRecordOption::Basic),
            &TopDocs::with_limit(1).order_by_score(),
        )?;
        let Some((_, address)) = hits.first() else {
            return Ok(None);
        };
        let doc: TantivyDocument = searcher.doc(*address)?;
        let text = |f| {
            doc.get_first(f)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        let file = StoredFile {
            path: text(self.fields.path),
            blob: text(self.fields.blob),
        };
        let from = doc
            .get_first(self.fields.from)
            .and_then(|v| v.as_i64())
            .unwrap_or_default();
        Ok(Some(Open {
            file,
            from,
            in_index: true,
        }))
    }
}
