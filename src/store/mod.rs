//! The git store (SPEC §3): one bare repository holding every manual as a top-level folder,
//! revisions as commits authored by editors, releases as annotated tags. The only module
//! that uses git2.

mod check;
mod log;
mod pool;
mod read;
mod release;
mod remotes;
mod tree;
mod write;
mod writers;

pub use log::LogEntry;
pub use read::{ChangedChapters, StoredFile};
pub use release::Release;
pub use tree::blob_id;
pub use write::{Author, NewRelease, PendingRevision};

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::content::{ContentError, ManualId, ReleaseName};

/// The branch every revision is committed to.
const MAIN: &str = "refs/heads/main";

/// What can go wrong reading or writing the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("git store: {0}")]
    Git(#[from] git2::Error),
    #[error("unknown manual {0:?}")]
    UnknownManual(String),
    #[error("manual {manual} has no release {name:?}")]
    UnknownRelease { manual: ManualId, name: String },
    #[error("release {manual}/{name} exists already; a published release never changes")]
    ReleaseExists { manual: ManualId, name: ReleaseName },
    #[error(
        "the store changed while this change was being prepared; nothing was written, try again"
    )]
    Conflict,
    #[error(transparent)]
    Content(#[from] ContentError),
    #[error("git remote {remote}: {message}")]
    Remote { remote: String, message: String },
}

/// A commit id in the store, as hex.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, utoipa::ToSchema)]
#[serde(transparent)]
#[schema(value_type = String)]
pub struct Revision(String);

impl Revision {
    /// The commit id as hex.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A commit id given by a client: 40 hex digits.
    pub fn parse(text: &str) -> Result<Revision, String> {
        if text.len() == 40 && text.chars().all(|c| c.is_ascii_hexdigit()) {
            Ok(Revision(text.to_ascii_lowercase()))
        } else {
            Err(format!("{text:?} is not a revision"))
        }
    }

    fn oid(&self) -> Result<git2::Oid, StoreError> {
        Ok(git2::Oid::from_str(&self.0)?)
    }
}

/// The git repository behind chapterhouse, readable from any number of threads at once
/// (each read takes a repository handle of its own from a pool).
pub struct Store {
    pool: pool::Pool,
    path: PathBuf,
    /// Each manual's releases as last read, with what its tags looked like on disk then.
    releases: Mutex<HashMap<ManualId, (TagsSeen, Vec<Release>)>>,
}

/// What all manuals' tags look like on disk (see [`Store::releases_stamp`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleasesStamp(
    Vec<(std::ffi::OsString, Option<(std::time::SystemTime, usize)>)>,
    Option<(std::time::SystemTime, u64)>,
);

impl ReleasesStamp {
    /// The manuals whose tags moved since `earlier`; `None` when that cannot be told
    /// (packed refs moved: any manual's tags may have).
    pub fn changed_manuals(&self, earlier: &ReleasesStamp) -> Option<Vec<String>> {
        if self.1 != earlier.1 {
            return None;
        }
        let names = |stamp: &ReleasesStamp| -> std::collections::HashMap<_, _> {
            stamp
                .0
                .iter()
                .map(|(name, seen)| (name.clone(), *seen))
                .collect()
        };
        let (now, before) = (names(self), names(earlier));
        let mut changed: Vec<String> = now
            .keys()
            .chain(before.keys())
            .filter(|name| now.get(*name) != before.get(*name))
            .map(|name| name.to_string_lossy().into_owned())
            .collect();
        changed.sort();
        changed.dedup();
        Some(changed)
    }
}

/// What a manual's tags look like on disk, cheaply: the loose tag folder's modification
/// time and entry count, and the packed refs' modification time and size. A release made
/// by any process changes one of them.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TagsSeen {
    folder: Option<(std::time::SystemTime, usize)>,
    packed: Option<(std::time::SystemTime, u64)>,
}

/// A folder's modification time and entry count.
fn folder_seen(folder: &Path) -> Option<(std::time::SystemTime, usize)> {
    let modified = std::fs::metadata(folder).and_then(|m| m.modified()).ok()?;
    Some((modified, std::fs::read_dir(folder).map_or(0, |d| d.count())))
}

/// The packed refs' modification time and size.
fn packed_seen(store: &Path) -> Option<(std::time::SystemTime, u64)> {
    let meta = std::fs::metadata(store.join("packed-refs")).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

impl TagsSeen {
    fn of(store: &Path, manual: &ManualId) -> TagsSeen {
        TagsSeen {
            folder: folder_seen(&store.join("refs/tags").join(manual.as_str())),
            packed: packed_seen(store),
        }
    }
}

impl Store {
    /// Opens the store at `path`, creating an empty bare repository when there is none.
    pub fn open_or_init(path: &Path) -> Result<Store, StoreError> {
        // Tree entries are always blobs just written or taken from an existing tree, so
        // libgit2's per-entry existence check (one filesystem lookup each) only costs time.
        git2::opts::strict_object_creation(false);
        // Like git itself, trust the object database on read rather than re-hashing
        // every object read (`git fsck` remains the integrity check).
        git2::opts::strict_hash_verification(false);
        let repo = match git2::Repository::open_bare(path) {
            Ok(repo) => repo,
            Err(e) if e.code() == git2::ErrorCode::NotFound => Store::init(path)?,
            Err(e) => return Err(e.into()),
        };
        Ok(Store {
            pool: pool::Pool::new(path, repo),
            path: path.to_owned(),
            releases: Mutex::default(),
        })
    }

    /// Creates the bare repository, or finishes one a process killed while creating it
    /// left half made; one process at a time.
    fn init(path: &Path) -> Result<git2::Repository, StoreError> {
        std::fs::create_dir_all(path).map_err(|e| {
            StoreError::Git(git2::Error::from_str(&format!(
                "cannot create {}: {e}",
                path.display()
            )))
        })?;
        let writing = writers::Writing::begin(path)?;
        writing.clear_left_locks(&["config", "HEAD"])?;
        // Another process may have made it while this one waited.
        match git2::Repository::open_bare(path) {
            Err(e) if e.code() == git2::ErrorCode::NotFound => {
                let mut opts = git2::RepositoryInitOptions::new();
                opts.bare(true).initial_head("main").mkpath(true);
                opts.description("chapterhouse procedure store");
                Ok(git2::Repository::init_opts(path, &opts)?)
            }
            opened => Ok(opened?),
        }
    }

    /// A repository handle for this thread's read or write.
    fn repo(&self) -> Result<pool::Handle<'_>, StoreError> {
        Ok(self.pool.get()?)
    }

    /// Where the repository lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The latest revision on the main branch, if anything was ever committed.
    pub fn head(&self) -> Result<Option<Revision>, StoreError> {
        let repo = self.repo()?;
        match repo.refname_to_id(MAIN) {
            Ok(oid) => Ok(Some(Revision(oid.to_string()))),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Every ref (HEAD included) and where it points, for checking that a refused change
    /// wrote nothing.
    pub fn refs(&self) -> Result<Vec<(String, String)>, StoreError> {
        let repo = self.repo()?;
        let head = repo.find_reference("HEAD")?;
        let head_target = head
            .symbolic_target()
            .ok()
            .flatten()
            .map(str::to_owned)
            .or_else(|| head.target().map(|o| o.to_string()))
            .unwrap_or_default();
        let mut out = vec![("HEAD".to_owned(), head_target)];
        for r in repo.references()? {
            let r = r?;
            let name = String::from_utf8_lossy(r.name_bytes()).into_owned();
            let target = r
                .target()
                .map(|o| o.to_string())
                .or_else(|| r.symbolic_target().ok().flatten().map(str::to_owned))
                .unwrap_or_default();
            out.push((name, target));
        }
        out.sort();
        Ok(out)
    }

    /// The manuals whose folder exists at the head of the main branch.
    pub fn manuals(&self) -> Result<Vec<ManualId>, StoreError> {
        let repo = self.repo()?;
        let Some(head) = self.head()? else {
            return Ok(Vec::new());
        };
        let tree = repo.find_commit(head.oid()?)?.tree()?;
        Ok(tree
            .iter()
            .filter(|e| e.kind() == Some(git2::ObjectType::Tree))
            .filter_map(|e| e.name().ok().and_then(|n| n.parse().ok()))
            .collect())
    }

    /// What every manual's tags look like on disk: changes whenever any process publishes
    /// a release, at the cost of a few file-system lookups.
    pub fn releases_stamp(&self) -> ReleasesStamp {
        let mut folders: Vec<_> = std::fs::read_dir(self.path.join("refs/tags"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| (entry.file_name(), folder_seen(&entry.path())))
            .collect();
        folders.sort_by(|a, b| a.0.cmp(&b.0));
        ReleasesStamp(folders, packed_seen(&self.path))
    }

    /// A manual's releases, oldest first (by date, then by publication). Read from the
    /// tags again only when they changed on disk since they were last read.
    pub fn releases(&self, manual: &ManualId) -> Result<Vec<Release>, StoreError> {
        let seen = TagsSeen::of(&self.path, manual);
        let kept = self.releases.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((at, releases)) = kept.get(manual)
            && *at == seen
        {
            return Ok(releases.clone());
        }
        drop(kept);
        let releases = self.read_releases(manual)?;
        self.releases
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(manual.clone(), (seen, releases.clone()));
        Ok(releases)
    }

    fn read_releases(&self, manual: &ManualId) -> Result<Vec<Release>, StoreError> {
        let repo = self.repo()?;
        let mut releases = Vec::new();
        for reference in repo.references_glob(&format!("refs/tags/{manual}/*"))? {
            let reference = reference?;
            let Ok(full) = reference.name() else { continue };
            let Some(name) = full
                .strip_prefix(&format!("refs/tags/{manual}/"))
                .and_then(|n| n.parse::<ReleaseName>().ok())
            else {
                continue;
            };
            let Ok(tag) = reference.peel_to_tag() else {
                tracing::warn!(tag = full, "not an annotated tag; not a release");
                continue;
            };
            let message = tag.message().ok().flatten().unwrap_or("");
            let (date, notes) = match release::parse_tag_message(message) {
                Ok(parsed) => parsed,
                Err(reason) => {
                    tracing::warn!(tag = full, reason, "tag without a release date; ignored");
                    continue;
                }
            };
            let tagger = tag.tagger();
            releases.push(Release {
                manual: manual.clone(),
                name,
                date,
                revision: Revision(tag.target_id().to_string()),
                notes: std::sync::Arc::new(notes),
                publisher: tagger.as_ref().map(|t| t.to_string()).unwrap_or_default(),
                published_at: tagger.map_or(0, |t| t.when().seconds()),
            });
        }
        releases.sort_by(|a, b| {
            (a.date, a.published_at, a.name.as_str()).cmp(&(
                b.date,
                b.published_at,
                b.name.as_str(),
            ))
        });
        Ok(releases)
    }

    /// The manuals that have at least one release.
    pub fn released_manuals(&self) -> Result<Vec<ManualId>, StoreError> {
        let repo = self.repo()?;
        let mut manuals = Vec::new();
        for reference in repo.references_glob("refs/tags/*")? {
            let reference = reference?;
            let Ok(name) = reference.name() else { continue };
            if let Some((manual, _)) = name.trim_start_matches("refs/tags/").split_once('/')
                && let Ok(manual) = manual.parse::<ManualId>()
                && !manuals.contains(&manual)
            {
                manuals.push(manual);
            }
        }
        manuals.sort();
        Ok(manuals)
    }

    /// One release of a manual, by name.
    pub fn release(&self, manual: &ManualId, name: &str) -> Result<Release, StoreError> {
        self.releases(manual)?
            .into_iter()
            .find(|r| r.name.as_str() == name)
            .ok_or_else(|| StoreError::UnknownRelease {
                manual: manual.clone(),
                name: name.chars().take(80).collect(),
            })
    }
}
