//! Search (tantivy): one document per chapter version with the dates it was in force, so
//! that a query finds the procedures as they stand today or as they stood on any past
//! date. The only module that uses tantivy.

mod glossary;
mod query;
mod schema;
mod sync;

pub use glossary::{Glossary, normalise as glossary_words};
pub use query::{MAX_QUERY_CHARS, UserQuery};
pub use sync::IndexedState;

use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::NaiveDate;
use serde::Serialize;
use tantivy::collector::{Count, FacetCollector, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::query::{BooleanQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use crate::content::ManualId;
use crate::store::StoreError;
use query::QueryBuilder;
use schema::Fields;

/// Fewer hits than this and typo tolerance is tried.
const FEW_HITS: usize = 3;
/// Longest snippet, in characters.
const SNIPPET_CHARS: usize = 220;
/// Most hits one query returns.
pub const MAX_LIMIT: usize = 100;

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
#[derive(Debug, Clone, Serialize)]
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
#[derive(Debug, Clone, Serialize)]
pub struct SearchResults {
    pub query: String,
    pub total: usize,
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
    /// Recent answers, keyed by the searcher generation they were found in (a commit
    /// makes them stale by itself). `None` when caching is off.
    results: Option<std::sync::Mutex<lru::LruCache<ResultKey, SearchResults>>>,
}

/// (searcher generation, query as cleaned, manual, date, limit)
type ResultKey = (u64, String, Option<String>, NaiveDate, usize);

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
                .map(|n| std::sync::Mutex::new(lru::LruCache::new(n))),
        };
        search_index.indexed = std::sync::Mutex::new(search_index.state()?);
        Ok(search_index)
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
    fn writer(&self) -> Result<IndexWriter, SearchError> {
        let mut waited = Duration::ZERO;
        loop {
            match self.index.writer_with_num_threads(2, 100_000_000) {
                Err(tantivy::TantivyError::LockFailure(..)) if waited < Duration::from_secs(30) => {
                    std::thread::sleep(Duration::from_millis(100));
                    waited += Duration::from_millis(100);
                }
                other => return Ok(other?),
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

    /// Searches the chapters in force on `request.at`.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResults, SearchError> {
        let user = UserQuery::parse(&request.query);
        if user.is_empty() {
            return Err(SearchError::EmptyQuery);
        }
        let limit = request.limit.clamp(1, MAX_LIMIT);
        let searcher = self.reader.searcher();
        self.follow(&searcher);
        // The same question of the same index has the same answer: practitioners ask the
        // same few things (LADO, MASH, s47 ...) all day.
        let key = (
            searcher.generation().generation_id(),
            user.text.clone(),
            request.manual.as_ref().map(ToString::to_string),
            request.at,
            limit,
        );
        if let Some(cache) = &self.results
            && let Some(hit) = cache.lock().unwrap_or_else(|p| p.into_inner()).get(&key)
        {
            return Ok(hit.clone());
        }
        let results = self.search_uncached(&searcher, user, request, limit)?;
        if let Some(cache) = &self.results {
            cache
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .put(key, results.clone());
        }
        Ok(results)
    }

    fn search_uncached(
        &self,
        searcher: &tantivy::Searcher,
        user: UserQuery,
        request: &SearchRequest,
        limit: usize,
    ) -> Result<SearchResults, SearchError> {
        let builder = QueryBuilder {
            index: &self.index,
            fields: &self.fields,
            glossary: &self.glossary,
            searcher,
        };
        let at = schema::day(request.at);
        let in_force: Vec<(Occur, Box<dyn Query>)> = vec![
            (
                Occur::Must,
                Box::new(RangeQuery::new(
                    Bound::Unbounded,
                    Bound::Included(Term::from_field_i64(self.fields.from, at)),
                )),
            ),
            (
                Occur::Must,
                Box::new(RangeQuery::new(
                    Bound::Excluded(Term::from_field_i64(self.fields.to, at)),
                    Bound::Unbounded,
                )),
            ),
        ];
        let filtered = |text: Box<dyn Query>, manual: Option<&ManualId>| -> BooleanQuery {
            let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text)];
            clauses.extend(in_force.iter().map(|(o, q)| (*o, q.box_clone())));
            if let Some(m) = manual {
                let term = Term::from_field_text(self.fields.manual, m.as_str());
                clauses.push((
                    Occur::Must,
                    Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
                ));
            }
            BooleanQuery::new(clauses)
        };

        // One pass gives the count, the top hits and, without a manual filter, the counts
        // per manual too. Typo tolerance reruns it only when the exact words found little.
        let run = |text: &dyn Query| -> Result<Pass, SearchError> {
            let facets_collector = || {
                let mut c = FacetCollector::for_field("manual_facet");
                c.add_facet("/");
                c
            };
            let top = TopDocs::with_limit(limit).order_by_score();
            let query = filtered(text.box_clone(), request.manual.as_ref());
            let (hits, total, facets) = if request.manual.is_none() {
                searcher.search(&query, &(top, Count, facets_collector()))?
            } else {
                let (hits, total) = searcher.search(&query, &(top, Count))?;
                let facets =
                    searcher.search(&filtered(text.box_clone(), None), &facets_collector())?;
                (hits, total, facets)
            };
            let facets = facets
                .get("/")
                .map(|(facet, count)| (facet.to_path().join("/"), count))
                .collect();
            Ok(Pass {
                hits,
                total,
                facets,
            })
        };
        let mut text = builder.text_query(&user, &[]);
        let mut pass = run(&*text)?;
        let mut fuzzy = false;
        if pass.total < FEW_HITS {
            let corrections = builder.corrections(&user)?;
            if !corrections.is_empty() {
                let tolerant = builder.text_query(&user, &corrections);
                let tolerant_pass = run(&*tolerant)?;
                if tolerant_pass.total > pass.total {
                    text = tolerant;
                    pass = tolerant_pass;
                    fuzzy = true;
                }
            }
        }

        let highlighted = builder.highlighted(&user, &*text);
        let mut snippets = SnippetGenerator::create(searcher, &*highlighted, self.fields.body)?;
        snippets.set_max_num_chars(SNIPPET_CHARS);
        let mut stems = Vec::new();
        highlighted.query_terms(&mut |term, _| {
            if term.field() == self.fields.body
                && let Some(t) = term.value().as_str()
            {
                stems.push(t.to_owned());
            }
        });
        let indexed = self
            .indexed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let mut hits = Vec::with_capacity(pass.hits.len());
        for (score, address) in pass.hits {
            let doc: TantivyDocument = searcher.doc(address)?;
            let field = |f| {
                doc.get_first(f)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
            };
            let body = field(self.fields.body);
            let passage = best_paragraphs(body, &stems);
            let mut snippet = snippets.snippet(&passage);
            snippet.set_snippet_prefix_postfix("<mark>", "</mark>");
            let html = if snippet.fragment().trim().is_empty() {
                opening_words(body)
            } else {
                snippet.to_html()
            };
            hits.push(Hit {
                manual: field(self.fields.manual).to_owned(),
                id: field(self.fields.id).to_owned(),
                title: field(self.fields.title).to_owned(),
                release: indexed
                    .release_at(field(self.fields.manual), request.at)
                    .map(str::to_owned),
                score,
                snippet: html.split_whitespace().collect::<Vec<_>>().join(" "),
            });
        }
        let (total, facets) = (pass.total, pass.facets);
        Ok(SearchResults {
            query: user.text,
            total,
            hits,
            facets,
            fuzzy,
            at: request.at,
        })
    }
}

/// One search's raw results.
struct Pass {
    hits: Vec<(f32, tantivy::DocAddress)>,
    total: usize,
    facets: BTreeMap<String, u64>,
}

/// The paragraphs of a body most likely to hold the best passage: those where the query's
/// stems occur most (as substrings of the lower-cased text), kept in their order. The
/// snippet generator, which stems every word it reads, then works on a few paragraphs
/// rather than on the whole chapter.
fn best_paragraphs(body: &str, stems: &[String]) -> String {
    const KEEP: usize = 3;
    if stems.is_empty() {
        return String::new();
    }
    let mut scored: Vec<(usize, usize)> = body
        .lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let lower = line.to_lowercase();
            let hits: usize = stems
                .iter()
                .map(|s| lower.matches(s.as_str()).count())
                .sum();
            (hits > 0).then_some((hits, i))
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut keep: Vec<usize> = scored.into_iter().take(KEEP).map(|(_, i)| i).collect();
    keep.sort_unstable();
    let lines: Vec<&str> = body.lines().collect();
    keep.into_iter()
        .map(|i| lines[i])
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first words of a text, HTML-escaped, for a hit matched only by its title.
fn opening_words(text: &str) -> String {
    let mut out = String::new();
    for word in text.split_whitespace() {
        if out.len() + word.len() > SNIPPET_CHARS {
            out.push_str(" …");
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        for c in word.chars() {
            match c {
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '&' => out.push_str("&amp;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&#39;"),
                c => out.push(c),
            }
        }
    }
    out
}
