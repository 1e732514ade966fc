//! The application: a set of services over one data folder, each owning its engine and its
//! own concurrency. Readers (the store's pool of repository handles, the search index's
//! searchers, the database's pool) never wait for a writer; the one [`publisher`] applies
//! imports, edits and releases in order. Nothing here locks the whole application: it is
//! shared as an `Arc<Chapterhouse>` by the web server, the scheduler and the command line.

mod contents;
#[cfg(test)]
mod crash_tests;
mod editing;
mod error;
mod health;
mod history;
mod overview;
mod publisher;
mod reading;
mod reads;
mod releases;
mod replication;
mod review;
#[cfg(test)]
mod review_tests;
mod reviews;

pub use contents::{Contents, ContentsEntry};
pub use editing::{BasedOn, ChapterEdit, EditError, Precondition, Written};
pub use error::AppError;
pub use health::{Check, Finding, Readiness};
pub use history::HistoryEntry;
pub use overview::{ActivityEntry, DraftChapter, DraftOverview, DraftState, LastEdit};
pub use publisher::{Import, read_notes};
pub use reading::{ChapterVersion, Missing};
pub use reads::{ChangeToRead, ChapterReads, NoticeReads, ReleaseReads};
pub use releases::ManualSummary;
pub use replication::ReplicationStatus;
pub use review::{ReleasePlan, Review, ReviewError};
pub use reviews::{ChapterReview, Imported, ReviewReport, ReviewState, SourceReview};

use std::sync::{Arc, OnceLock};

use chrono::NaiveDate;

use crate::clock::Clock;
use crate::config::{Config, GlossaryMode};
use crate::db::Db;
use crate::notice::Links;
use crate::search::{Glossary, SearchIndex, SearchRequest, SearchResults};
use crate::store::Store;

/// chapterhouse over one data folder.
pub struct Chapterhouse {
    config: Config,
    clock: Clock,
    store: Store,
    index: OnceLock<Arc<SearchIndex>>,
    /// The glossary the index is opened with, read (and checked) when the folder is.
    glossary: Glossary,
    cache: contents::ReadCache,
    histories: history::Histories,
    db: OnceLock<Db>,
    publisher: publisher::Publisher,
    replication: replication::Replication,
}

impl Chapterhouse {
    /// Opens the data folder, creating it and an empty store when missing, on the clock
    /// the configuration names.
    pub fn open(config: Config) -> Result<Chapterhouse, AppError> {
        let clock = Clock::from_config(&config).map_err(AppError::Config)?;
        Chapterhouse::open_with_clock(config, clock)
    }

    /// Opens the data folder with a clock of the caller's (tests set the date with it).
    pub fn open_with_clock(config: Config, clock: Clock) -> Result<Chapterhouse, AppError> {
        std::fs::create_dir_all(&config.data.dir).map_err(|e| {
            AppError::Config(format!(
                "cannot create the data folder {}: {e}",
                config.data.dir.display()
            ))
        })?;
        let search = &config.search;
        let glossary = match &search.glossary {
            Some(path) => Glossary::load(path, search.glossary_mode == GlossaryMode::Extend)
                .map_err(AppError::Config)?,
            None => Glossary::built_in(),
        };
        let store = Store::open_or_init(&config.store_dir())?;
        let replication =
            replication::Replication::new(&config.store.push_to, config.store.follow.as_deref());
        Ok(Chapterhouse {
            config,
            clock,
            store,
            index: OnceLock::new(),
            glossary,
            cache: contents::ReadCache::default(),
            histories: history::Histories::default(),
            db: OnceLock::new(),
            publisher: publisher::Publisher::default(),
            replication,
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The one clock: "now", "today" and the partnership's zone.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Today, as releases and "current" are reckoned.
    pub fn today(&self) -> NaiveDate {
        self.clock.today()
    }

    /// Runs blocking work (git, tantivy, SQLite) on the application off the async runtime,
    /// beside any other reader and the publisher.
    pub async fn blocking<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&Chapterhouse) -> T + Send + 'static,
    ) -> Result<T, tokio::task::JoinError> {
        let app = self.clone();
        tokio::task::spawn_blocking(move || work(&app)).await
    }

    /// The search index, opened on first use.
    pub fn index(&self) -> Result<&SearchIndex, AppError> {
        Ok(self.search_index_ref()?.as_ref())
    }

    /// A handle on the search index that can be used from any thread (searches need no
    /// store).
    pub fn search_index(&self) -> Result<Arc<SearchIndex>, AppError> {
        Ok(self.search_index_ref()?.clone())
    }

    fn search_index_ref(&self) -> Result<&Arc<SearchIndex>, AppError> {
        if let Some(index) = self.index.get() {
            return Ok(index);
        }
        let index = self.open_index()?;
        // On first use the index catches up with whatever happened to the store while it
        // was closed; afterwards the publisher keeps it in step.
        index.catch_up(&self.store)?;
        Ok(self.index.get_or_init(|| Arc::new(index)))
    }

    /// The search index as it is on disk, not caught up with the store.
    fn open_index(&self) -> Result<SearchIndex, AppError> {
        Ok(SearchIndex::open(
            &self.config.index_dir(),
            self.glossary.clone(),
            self.config.search.cached_results,
        )?)
    }

    /// The database (editors, subscribers), opened on first use.
    pub fn db(&self) -> Result<&Db, AppError> {
        if let Some(db) = self.db.get() {
            return Ok(db);
        }
        let db = Db::connect(&self.config.database_url(), self.clock.clone())?;
        Ok(self.db.get_or_init(|| db))
    }

    /// Brings the search index up to date with the store (after a crash, a restored
    /// backup, or releases made with plain git). Opening the index does this too.
    pub fn catch_up_index(&self) -> Result<bool, AppError> {
        Ok(self.index()?.catch_up(&self.store)?)
    }

    /// Catches the search index up with releases made by any other process (an import,
    /// one killed after writing its tag, plain git), in the publisher's turn: this
    /// process's own releases are never indexed twice over.
    pub fn follow_releases(&self) -> Result<bool, AppError> {
        let _turn = self.publisher.turn();
        self.catch_up_index()
    }

    /// Rebuilds the search index from the store alone.
    pub fn reindex(&self) -> Result<(), AppError> {
        Ok(self.index()?.rebuild(&self.store)?)
    }

    /// Searches the chapters in force on `request.at`, across manuals or in one.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResults, AppError> {
        if let Some(manual) = &request.manual {
            self.releases(manual)?;
        }
        let results = self.index()?.search(request)?;
        Ok(results)
    }

    /// Links built from the configured public URL.
    pub fn links(&self) -> Links {
        Links::new(&self.config.server.public_url)
    }
}

#[cfg(test)]
mod tests;
