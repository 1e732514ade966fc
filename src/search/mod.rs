//! Search (tantivy): one document per chapter version with the dates it was in force, so
//! that a query finds the procedures as they stand today or as they stood on any past
//! date. The only module that uses tantivy.

mod answer;
mod answers;
mod collect;
#[cfg(test)]
mod collect_tests;
#[cfg(test)]
mod crash_tests;
mod filter;
mod glossary;
#[cfg(test)]
mod props;
mod query;
mod replay;
mod schema;
mod sweep;
mod sync;
mod words;

pub use glossary::{Glossary, normalise as glossary_words};
pub use query::{MAX_QUERY_CHARS, UserQuery};
pub use sync::IndexedState;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::NaiveDate;
use serde::Serialize;
use tantivy::directory::MmapDirectory;
use tantivy::query::Query;
use tantivy::schema::Value;
use tantivy::snippet::SnippetGenerator;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument};

use crate::content::ManualId;
use crate::store::StoreError;
use query::{QueryBuilder, TextQuery};
use schema::Fields;

/// Most hits one query returns.
pub const MAX_LIMIT: usize = 100;
/// Matches are counted up to this many: nobody needs to know there are 4,000 rather than
/// "more than 1,000", and an exact count would read every match.
pub const COUNTED_MATCHES: usize = 1000;

/// How much a writer is about to index, which decides how it merges.
#[derive(Debug, Clone, Copy)]
enum Writing {
    /// A publish or an import: the changed chapters of a release or two.
    Few,
    /// A manual from nothing beside others already indexed (a new partnership's first
    /// import on a host of hundreds): many documents, merged by the same layers as a
    /// publish, and waited for, so that the host's index stays in a few segments.
    Manual,
    /// The whole index from nothing (a rebuild).
    Many,
}

impl Writing {
    /// True when the writer merges by size layers and waits for its merges.
    fn tidies(self) -> bool {
        matches!(self, Writing::Few | Writing::Manual)
    }
}

/// How a publish's writer merges: by size layers from 64 documents up (tantivy's default
/// counts every segment under 10,000 documents as one size, so each publish of a handful
/// of documents would merge a large manual's whole index again), as soon as four
/// segments of a layer are there. Every import adds a segment or a few; left unmerged,
/// twelve imports of a 10,000-chapter manual left 98 segments, and every search read 98
/// term dictionaries (five times slower than the same index in three segments). The
/// writer waits for its merges before it is dropped, so none is left half done.
fn publish_merges() -> tantivy::merge_policy::LogMergePolicy {
    let mut policy = tantivy::merge_policy::LogMergePolicy::default();
    policy.set_min_layer_size(64);
    policy.set_min_num_segments(4);
    policy
}

/// Reads a hit limit as a user typed it: a whole number from 1 to [`MAX_LIMIT`].
pub fn parse_limit(text: &str) -> Result<usize, String> {
    text.trim()
        .parse::<usize>()
        .ok()
        .filter(|n| (1..=MAX_LIMIT).contains(n))
        .ok_or_else(|| format!("limit {text:?} must be a number from 1 to {MAX_LIMIT}"))
}

/// What can go wrong searching or indexing.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "the query is empty: type a few words, such as \"strategy discussion\", or an acronym such as \"LADO\" or \"s47\""
    )]
    EmptyQuery,
    #[error("search index {0}: {1}")]
    Open(PathBuf, String),
}

impl From<tantivy::directory::error::OpenDirectoryError> for SearchError {
    fn from(e: tantivy::directory::error::OpenDirectoryError) -> Self {
        SearchError::Index(e.into())
    }
}

/// A search: words, an optional manual, the date the procedures are read at, how many hits.
#[derive(Debug, Clone)]
pub struct SearchRequest {
    pub query: String,
    pub manual: Option<ManualId>,
    pub at: NaiveDate,
    pub limit: usize,
}

/// One chapter found.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Hit {
    pub manual: String,
    pub id: String,
    pub title: String,
    /// The release in force at the searched date.
    pub release: Option<String>,
    pub score: f32,
    /// HTML: the best-matching passage, escaped, matches in `<mark>`.
    pub snippet: String,
}

/// The answer to a search.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SearchResults {
    pub query: String,
    /// How many chapters match, counted up to [`COUNTED_MATCHES`].
    pub total: usize,
    /// True when more than `total` match: counting stopped there.
    pub more: bool,
    pub hits: Vec<Hit>,
    /// Matches per manual, whatever the manual filter.
    pub facets: BTreeMap<String, u64>,
    /// True when typo tolerance found what the exact words did not.
    pub fuzzy: bool,
    /// The date the procedures were searched as they stood.
    pub at: NaiveDate,
}

/// The index on disk.
pub struct SearchIndex {
    /// What the index reflects, kept in memory for naming the release of each hit.
    indexed: std::sync::Mutex<IndexedState>,
    /// The searcher generation `indexed` was read for.
    indexed_generation: std::sync::atomic::AtomicU64,
    index: Index,
    reader: IndexReader,
    fields: Fields,
    glossary: Glossary,
    path: PathBuf,
    /// Recent answers of the newest searcher generation. `None` when caching is off.
    results: Option<std::sync::Mutex<answers::Answers>>,
    /// What searches keep of the segments: the documents in force on a day, their manuals.
    filters: filter::Filters,
}

/// (query as cleaned, manual, date, limit)
type ResultKey = (String, Option<String>, NaiveDate, usize);

impl SearchIndex {
    /// Opens the index at `dir`, creating it when missing. An index of another schema
    /// (from another version of chapterhouse) is discarded: it is rebuilt from the store.
    pub fn open(
        dir: &Path,
        glossary: Glossary,
        cached_results: usize,
    ) -> Result<SearchIndex, SearchError> {
        let fields = Fields::new();
        std::fs::create_dir_all(dir)
            .map_err(|e| SearchError::Open(dir.to_owned(), e.to_string()))?;
        let index = match Index::open_or_create(MmapDirectory::open(dir)?, fields.schema.clone()) {
            Ok(index) => index,
            Err(tantivy::TantivyError::SchemaError(reason)) => {
                tracing::warn!(dir = %dir.display(), reason, "index schema changed; rebuilding the index");
                std::fs::remove_dir_all(dir)
                    .map_err(|e| SearchError::Open(dir.to_owned(), e.to_string()))?;
                std::fs::create_dir_all(dir)
                    .map_err(|e| SearchError::Open(dir.to_owned(), e.to_string()))?;
                Index::create_in_dir(dir, fields.schema.clone())?
            }
            Err(e) => return Err(e.into()),
        };
        schema::register_analyzers(&index);
        let reader = index
            .reader_builder()
            // Releases indexed by another process (an import while the server runs) are
            // picked up when the index's meta file changes.
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()?;
        let mut search_index = SearchIndex {
            indexed: std::sync::Mutex::new(IndexedState::default()),
            indexed_generation: std::sync::atomic::AtomicU64::new(u64::MAX),
            index,
            reader,
            fields,
            glossary,
            path: dir.to_owned(),
            results: std::num::NonZeroUsize::new(cached_results)
                .map(|n| std::sync::Mutex::new(answers::Answers::new(n))),
            filters: filter::Filters::default(),
        };
        search_index.indexed = std::sync::Mutex::new(search_index.state()?);
        Ok(search_index)
    }

    /// The searcher generation in use and the documents (chapter versions) it holds.
    pub fn stats(&self) -> (u64, u64) {
        let searcher = self.reader.searcher();
        (searcher.generation().generation_id(), searcher.num_docs())
    }

    /// Where the index lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True when the index holds releases of `manual` (a search filter's check that needs
    /// no store).
    pub fn knows_manual(&self, manual: &str) -> bool {
        self.follow(&self.reader.searcher());
        self.indexed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .knows_manual(manual)
    }

    /// The glossary applied to queries.
    pub fn glossary(&self) -> &Glossary {
        &self.glossary
    }

    /// The index writer, waiting a while if another process holds it.
    fn writer(&self, writing: Writing) -> Result<IndexWriter, SearchError> {
        let mut waited = Duration::ZERO;
        loop {
            // A publish indexes a few chapters: one thread and a small budget, so that each
            // publish does not leave a full writer's worth of freed memory behind.
            let (threads, budget) = match writing {
                Writing::Few => (1, 20_000_000),
                _ => (2, 100_000_000),
            };
            match self.index.writer_with_num_threads(threads, budget) {
                Err(tantivy::TantivyError::LockFailure(..)) if waited < Duration::from_secs(30) => {
                    std::thread::sleep(Duration::from_millis(100));
                    waited += Duration::from_millis(100);
                }
                other => {
                    let writer: IndexWriter = other?;
                    // A writer killed before its commit leaves files the index never took
                    // in, among them deletes named by segment and operation number: this
                    // writer's commit would write the same names, and fail on them for
                    // good. Tantivy clears such files after a commit; clear them before.
                    writer.garbage_collect_files().wait()?;
                    sweep::sweep(&self.index, &self.path)?;
                    if writing.tidies() {
                        writer.set_merge_policy(Box::new(publish_merges()));
                    }
                    return Ok(writer);
                }
            }
        }
    }

    /// Rereads what the index reflects when the searcher is of a newer commit than the one
    /// last read (another process may have indexed releases).
    fn follow(&self, searcher: &tantivy::Searcher) {
        use std::sync::atomic::Ordering;
        let generation = searcher.generation().generation_id();
        if self.indexed_generation.swap(generation, Ordering::SeqCst) != generation
            && let Ok(state) = self.state()
        {
            *self.indexed.lock().unwrap_or_else(|p| p.into_inner()) = state;
        }
    }
}
