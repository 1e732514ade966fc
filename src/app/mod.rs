//! The application: the store plus the rules that tie content, releases and notices
//! together. The command line (and later the web server) are thin layers over it.

mod editing;
mod reading;

pub use editing::{ChapterEdit, EditError, Written};
pub use reading::{ChapterVersion, Contents, ContentsEntry, HistoryEntry, Missing};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;
use serde::Deserialize;

use crate::config::Config;
use crate::content::{ChapterId, ContentError, ManualId, ReleaseName, Snapshot, source};
use crate::db::{Db, DbError};
use crate::diff;
use crate::notice::{Links, Notice, ReleaseRef};
use crate::search::{Glossary, SearchError, SearchIndex, SearchRequest, SearchResults};
use crate::store::{Author, NewRelease, PendingRevision, Release, Store, StoreError};

/// Longest editor note accepted, in characters.
const MAX_NOTE_CHARS: usize = 2000;

/// Why a request was refused. Nothing is written when one of these is returned.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Content(#[from] ContentError),
    #[error("unknown manual {0:?}")]
    UnknownManual(String),
    #[error("manual {0} has no releases yet")]
    NoReleases(ManualId),
    #[error(
        "nothing to report: release {name} of {manual} would change no chapter since release {since}"
    )]
    NothingToReport {
        manual: ManualId,
        name: ReleaseName,
        since: ReleaseName,
    },
    #[error(
        "release {name} is dated {date}, before the latest release {latest} ({latest_date}); releases are published in date order"
    )]
    DateBeforeLatest {
        name: ReleaseName,
        date: NaiveDate,
        latest: ReleaseName,
        latest_date: NaiveDate,
    },
    #[error("{file}: {reason}")]
    Notes { file: String, reason: String },
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("no release of {manual} was in force on {day}")]
    NothingInForce { manual: ManualId, day: NaiveDate },
    #[error("manual {manual} has no chapter {id:?} in release {release}")]
    UnknownChapter {
        manual: ManualId,
        id: String,
        release: ReleaseName,
    },
}

/// A manual as the list of manuals shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ManualSummary {
    pub id: ManualId,
    pub title: String,
    pub description: Option<String>,
    /// In force today; `None` when every release is scheduled.
    pub current: Option<Release>,
    /// The newest release, scheduled ones included.
    pub latest: Release,
}

/// A release to import from a snapshot folder.
#[derive(Debug, Clone)]
pub struct Import {
    pub snapshot_dir: PathBuf,
    pub manual: ManualId,
    pub release: ReleaseName,
    /// Defaults to today.
    pub date: Option<NaiveDate>,
    pub notes: BTreeMap<ChapterId, String>,
    pub author: Author,
}

/// chapterhouse over one data folder.
pub struct Chapterhouse {
    config: Config,
    store: Store,
    index: std::sync::OnceLock<Arc<SearchIndex>>,
    cache: reading::ReadCache,
    db: std::sync::OnceLock<Db>,
}

impl Chapterhouse {
    /// Opens the data folder, creating it and an empty store when missing.
    pub fn open(config: Config) -> anyhow::Result<Chapterhouse> {
        std::fs::create_dir_all(&config.data.dir).map_err(|e| {
            anyhow::anyhow!(
                "cannot create the data folder {}: {e}",
                config.data.dir.display()
            )
        })?;
        let store = Store::open_or_init(&config.store_dir())?;
        Ok(Chapterhouse {
            config,
            store,
            index: std::sync::OnceLock::new(),
            cache: reading::ReadCache::default(),
            db: std::sync::OnceLock::new(),
        })
    }

    /// Imports the bundled sample when `data.seed_sample` is on and the store is empty.
    /// Readers call this on first use; `import` does not, so an operator's first import
    /// into a new data folder never brings the sample along.
    pub fn seed_sample_if_empty(&self) -> anyhow::Result<()> {
        if self.config.data.seed_sample && self.store.head()?.is_none() {
            crate::sample::seed(self)?;
        }
        Ok(())
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The search index, opened on first use.
    pub fn index(&self) -> Result<&SearchIndex, AppError> {
        if let Some(index) = self.index.get() {
            return Ok(index.as_ref());
        }
        let configured = &self.config.search.glossary;
        // A relative path that does not exist falls back to the glossary that ships with
        // the source, as the sample does.
        let path = if configured.exists() || configured.is_absolute() {
            configured.clone()
        } else {
            Path::new(env!("CARGO_MANIFEST_DIR")).join(configured)
        };
        let glossary = if path.exists() {
            Glossary::load(&path).map_err(AppError::Config)?
        } else {
            tracing::warn!(glossary = %configured.display(), "no glossary; acronyms are searched as written");
            Glossary::default()
        };
        let index = SearchIndex::open(
            &self.config.index_dir(),
            glossary,
            self.config.search.cached_results,
        )?;
        // On first use the index catches up with whatever happened to the store while it
        // was closed; afterwards every import keeps it in step.
        index.catch_up(&self.store)?;
        Ok(self.index.get_or_init(|| Arc::new(index)).as_ref())
    }

    /// A handle on the search index that can be used from any thread without the
    /// application (searches need no store).
    pub fn search_index(&self) -> Result<Arc<SearchIndex>, AppError> {
        self.index()?;
        Ok(self.index.get().expect("opened just now").clone())
    }

    /// The database (editors, subscribers), opened on first use.
    pub fn db(&self) -> Result<&Db, AppError> {
        if let Some(db) = self.db.get() {
            return Ok(db);
        }
        let db = Db::open(&self.config.db_path())?;
        Ok(self.db.get_or_init(|| db))
    }

    /// Brings the search index up to date with the store (after a crash, a restored
    /// backup, or releases made with plain git). Opening the index does this too.
    pub fn catch_up_index(&self) -> Result<bool, AppError> {
        Ok(self.index()?.catch_up(&self.store)?)
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

    /// Today, as releases and "current" are reckoned.
    pub fn today(&self) -> NaiveDate {
        chrono::Local::now().date_naive()
    }

    /// Makes the manual's content equal to a snapshot folder, commits it and publishes the
    /// release. Refused, with nothing written, when the snapshot is invalid, the release
    /// exists or is out of date order, or nothing reportable changed.
    pub fn import(&self, import: &Import) -> Result<Release, AppError> {
        let files = source::read_snapshot_dir(&import.snapshot_dir)?;
        let label = import.snapshot_dir.display().to_string();
        let snapshot = Snapshot::parse(&label, &files)?;
        let ids: Vec<ChapterId> = snapshot.chapters.iter().map(|c| c.id.clone()).collect();
        check_notes(&label, &ids, &import.notes)?;

        let message = format!(
            "Import {} release {} from {}",
            import.manual,
            import.release,
            snapshot_name(&import.snapshot_dir)
        );
        self.check_new_release(&import.manual, &import.release, import.date)?;
        let pending =
            self.store
                .prepare_revision(&import.manual, &files, &import.author, &message)?;
        self.release_revision(
            &import.manual,
            &pending,
            &import.release,
            import.date,
            import.notes.clone(),
            &import.author,
        )
    }

    /// Refuses a release name that exists, or a date before the latest release's.
    fn check_new_release(
        &self,
        manual: &ManualId,
        name: &ReleaseName,
        date: Option<NaiveDate>,
    ) -> Result<(), AppError> {
        let releases = self.store.releases(manual)?;
        if releases.iter().any(|r| &r.name == name) {
            return Err(StoreError::ReleaseExists {
                manual: manual.clone(),
                name: name.clone(),
            }
            .into());
        }
        let date = date.unwrap_or_else(|| self.today());
        if let Some(latest) = releases.last()
            && date < latest.date
        {
            return Err(AppError::DateBeforeLatest {
                name: name.clone(),
                date,
                latest: latest.name.clone(),
                latest_date: latest.date,
            });
        }
        Ok(())
    }

    /// Publishes `pending` as release `name` of `manual`: refused when the name exists,
    /// the date is out of order, or nothing reportable changed since the latest release.
    /// The release is searchable when this returns.
    fn release_revision(
        &self,
        manual: &ManualId,
        pending: &PendingRevision,
        name: &ReleaseName,
        date: Option<NaiveDate>,
        notes: BTreeMap<ChapterId, String>,
        publisher: &Author,
    ) -> Result<Release, AppError> {
        self.check_new_release(manual, name, date)?;
        if let Some(latest) = self.store.releases(manual)?.last() {
            let changed =
                self.store
                    .changed_chapters(manual, Some(&latest.revision), &pending.revision)?;
            if diff::compare(&changed.earlier, &changed.later).is_empty() {
                return Err(AppError::NothingToReport {
                    manual: manual.clone(),
                    name: name.clone(),
                    since: latest.name.clone(),
                });
            }
        }
        let release = NewRelease {
            name: name.clone(),
            date: date.unwrap_or_else(|| self.today()),
            notes,
        };
        let published = self
            .store
            .publish(manual, Some(pending), &release, publisher)?;
        // The release is searchable before this returns. Should indexing fail, the
        // release stands (it is in git) and the index catches up on its next use.
        if let Err(e) = self.catch_up_index() {
            tracing::error!(error = %e, "release published; the search index will catch up later");
        }
        Ok(published)
    }

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
        Ok(self
            .releases(manual)?
            .into_iter()
            .rev()
            .find(|r| r.in_force_on(day)))
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
            let current = releases
                .iter()
                .rev()
                .find(|r| r.in_force_on(today))
                .cloned();
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
            return Ok(self.store.release(manual, name)?);
        }
        let day = at.unwrap_or_else(|| self.today());
        releases
            .into_iter()
            .rev()
            .find(|r| r.in_force_on(day))
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
                .ok_or_else(|| StoreError::UnknownRelease {
                    manual: manual.clone(),
                    name: name.chars().take(80).collect(),
                })
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
        let changed =
            self.store
                .changed_chapters(manual, from.map(|r| &r.revision), &to.revision)?;
        let info = self.store.manual_info_at(&to.revision, manual)?;

        // A diff across several releases carries every note published in between.
        let mut notes: BTreeMap<ChapterId, String> = BTreeMap::new();
        let first_note = from_index.map_or(0, |i| i + 1);
        for release in releases.iter().take(to_index + 1).skip(first_note) {
            for (id, note) in &release.notes {
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
            notes = to.notes.clone();
        }

        Ok(Notice {
            manual: manual.clone(),
            manual_title: info.title,
            from: from.map(release_ref),
            to: release_ref(to),
            diff: diff::compare(&changed.earlier, &changed.later),
            notes,
        })
    }
}

fn release_ref(r: &Release) -> ReleaseRef {
    ReleaseRef {
        name: r.name.clone(),
        date: r.date,
    }
}

fn snapshot_name(dir: &Path) -> String {
    dir.file_name().map_or_else(
        || dir.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Every note must name a chapter of the snapshot: a misspelt id is a lost note.
fn check_notes(
    label: &str,
    ids: &[ChapterId],
    notes: &BTreeMap<ChapterId, String>,
) -> Result<(), AppError> {
    for (id, note) in notes {
        if !ids.contains(id) {
            return Err(AppError::Notes {
                file: label.to_owned(),
                reason: format!(
                    "a note names chapter {:?}, which is not in the snapshot",
                    id.as_str()
                ),
            });
        }
        if note.trim().is_empty() || note.chars().count() > MAX_NOTE_CHARS {
            return Err(AppError::Notes {
                file: label.to_owned(),
                reason: format!("the note for {id} must be 1 to {MAX_NOTE_CHARS} characters"),
            });
        }
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NotesFile {
    notes: BTreeMap<String, String>,
}

/// Reads a notes file: a TOML table `[notes]` mapping chapter id to note. Notes are one
/// line each: line breaks and runs of spaces fold to single spaces.
pub fn read_notes(path: &Path) -> Result<BTreeMap<ChapterId, String>, AppError> {
    let file = path.display().to_string();
    let err = |reason: String| AppError::Notes {
        file: file.clone(),
        reason,
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| err(format!("cannot read the notes file: {e}")))?;
    let parsed: NotesFile = toml::from_str(&text).map_err(|e| {
        let line = e.span().map_or(1, |s| {
            1 + text[..s.start.min(text.len())].matches('\n').count()
        });
        err(format!("line {line}: {}", e.message().trim()))
    })?;
    let mut notes = BTreeMap::new();
    for (id, note) in parsed.notes {
        let id: ChapterId = id
            .parse()
            .map_err(|e: crate::content::InvalidId| err(e.to_string()))?;
        let folded = note
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .filter(|c| !c.is_control())
            .collect();
        notes.insert(id, folded);
    }
    Ok(notes)
}
