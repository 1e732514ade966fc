//! The chapter versions in force on a day, as one bitset per index segment, with each
//! document's manual. A query's words are then matched against the index alone, and each
//! match is kept or passed over by one bit: no date range is evaluated per document, and
//! the search for the best hits can skip what cannot make the top (block-max WAND).
//!
//! Segments never change once written, except that documents may be deleted from them;
//! what is worked out for a segment is kept, keyed by the segment and its deletions, so
//! it is read once per day searched, not once per query.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use tantivy::index::SegmentId;
use tantivy::schema::Facet;
use tantivy::{BitSet, DocId, SegmentReader};

/// Segments' manuals kept.
const MANUALS_KEPT: usize = 256;
/// Segments' in-force sets kept (a segment and a day each).
const DAYS_KEPT: usize = 1024;

/// What is kept of the segments, for every search of one index.
pub(super) struct Filters {
    manuals: Mutex<lru::LruCache<SegmentId, Arc<Manuals>>>,
    in_force: Mutex<lru::LruCache<(SegmentId, u32, i64), Arc<BitSet>>>,
}

impl Default for Filters {
    fn default() -> Filters {
        let size = |n| NonZeroUsize::new(n).expect("not zero");
        Filters {
            manuals: Mutex::new(lru::LruCache::new(size(MANUALS_KEPT))),
            in_force: Mutex::new(lru::LruCache::new(size(DAYS_KEPT))),
        }
    }
}

/// Each document's manual in one segment.
pub(super) struct Manuals {
    /// Manual ids, by their number in this segment.
    pub names: Vec<String>,
    /// Per document, the number of its manual in `names`.
    pub of_doc: Vec<u32>,
}

impl Manuals {
    /// The number of `manual` in this segment, when it has documents of it.
    pub fn number_of(&self, manual: &str) -> Option<u32> {
        self.names
            .iter()
            .position(|n| n == manual)
            .map(|n| n as u32)
    }
}

/// One segment as a search on one day sees it.
pub(super) struct SegmentView {
    /// Documents alive and in force on the day.
    pub in_force: Arc<BitSet>,
    pub manuals: Arc<Manuals>,
}

impl Filters {
    /// `reader`'s documents in force on `day` (days since the common era) and their manuals.
    pub fn view(&self, reader: &SegmentReader, day: i64) -> tantivy::Result<SegmentView> {
        let segment = reader.segment_id();
        let kept = lock(&self.manuals).get(&segment).cloned();
        let manuals = match kept {
            Some(kept) => kept,
            None => {
                let read = Arc::new(read_manuals(reader)?);
                lock(&self.manuals).put(segment, read.clone());
                read
            }
        };
        let key = (segment, reader.num_deleted_docs(), day);
        let kept = lock(&self.in_force).get(&key).cloned();
        let in_force = match kept {
            Some(kept) => kept,
            None => {
                let read = Arc::new(read_in_force(reader, day)?);
                lock(&self.in_force).put(key, read.clone());
                read
            }
        };
        Ok(SegmentView { in_force, manuals })
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The alive documents of `reader` whose `from` is on or before `day` and whose `to` is
/// after it.
fn read_in_force(reader: &SegmentReader, day: i64) -> tantivy::Result<BitSet> {
    let max_doc = reader.max_doc();
    let mut docs = BitSet::with_max_value(max_doc);
    let fast = reader.fast_fields();
    let (from, to) = (fast.i64("from")?, fast.i64("to")?);
    let alive = reader.alive_bitset();
    for doc in 0..max_doc {
        if alive.is_some_and(|a| !a.is_alive(doc)) {
            continue;
        }
        let starts = from.first(doc).unwrap_or(i64::MAX);
        let ends = to.first(doc).unwrap_or(i64::MIN);
        if starts <= day && day < ends {
            docs.insert(doc);
        }
    }
    Ok(docs)
}

/// Each document's manual, from the manual facet.
fn read_manuals(reader: &SegmentReader) -> tantivy::Result<Manuals> {
    let facets = reader.facet_reader("manual_facet")?;
    let mut names = Vec::with_capacity(facets.num_facets());
    let mut facet = Facet::root();
    for ord in 0..facets.num_facets() as u64 {
        facets.facet_from_ord(ord, &mut facet)?;
        names.push(facet.to_path().join("/"));
    }
    let of_doc = (0..reader.max_doc() as DocId)
        .map(|doc| facets.facet_ords(doc).next().map_or(u32::MAX, |o| o as u32))
        .collect();
    Ok(Manuals { names, of_doc })
}
