//! Replaying releases into the index: each chapter version as a document with the days it
//! was in force, closed when a later release changes or removes it. Only ids and blobs
//! are held between releases; chapters are read again, a batch at a time, when their
//! documents are written.

use std::collections::HashMap;

use tantivy::collector::TopDocs;
use tantivy::query::TermQuery;
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{IndexWriter, TantivyDocument, Term};

use super::schema::{OPEN_END, chapter_key, day, document};
use super::{SearchError, SearchIndex};
use crate::content::ManualId;
use crate::store::{Release, Store, StoredFile};

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
    /// Applies `releases` of a manual in order, after `prev` (the last release already
    /// indexed, or `None` when starting from nothing). Only ids and blobs are held between
    /// releases: chapters are read again when their document is written, a batch at a
    /// time, so a manual of any size is indexed in bounded memory.
    ///
    /// From nothing, the versions in force at the end are written first and the versions
    /// of the past after them. A search passes over what is not in force on its day only
    /// after scoring it, and raises its bar only with what it keeps: with the past first,
    /// a search of today would score thousands of old versions before its bar rose (a
    /// quarter slower at the tail than the index imports build, where today's versions
    /// are spread through).
    pub(super) fn replay(
        &self,
        writer: &mut IndexWriter,
        store: &Store,
        manual: &ManualId,
        prev: Option<&Release>,
        releases: &[Release],
        before: Option<&str>,
    ) -> Result<(), SearchError> {
        let mut open: HashMap<String, Open> = HashMap::new();
        let mut past: Vec<Version> = Vec::new();
        let from_nothing = prev.is_none();
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
            if from_nothing {
                past.extend(closed);
            } else {
                self.write(writer, store, manual, closed, before)?;
            }
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
        self.write(writer, store, manual, still_open.collect(), before)?;
        self.write(writer, store, manual, past, before)
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
    pub(super) fn merge_small(&self, writer: &mut IndexWriter) -> Result<(), SearchError> {
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
    fn open_in_index(&self, manual: &ManualId, id: &str) -> Result<Option<Open>, SearchError> {
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
