//! Handles on the repository for any number of threads at once. A `git2::Repository` may
//! move between threads but not be shared, so each reader takes a handle of its own from
//! the pool and gives it back when done: readers never take turns on one handle. Objects
//! are immutable and refs are read from disk, so every handle sees the latest refs.

use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Idle handles kept for reuse; more are opened when more threads read at once.
const KEPT_IDLE: usize = 16;

/// A pool of repository handles on one bare repository.
pub(super) struct Pool {
    path: PathBuf,
    idle: Mutex<Vec<git2::Repository>>,
}

/// A handle taken from the pool, returned to it on drop.
pub(super) struct Handle<'p> {
    pool: &'p Pool,
    repo: Option<git2::Repository>,
}

impl Pool {
    /// A pool on the repository at `path`, starting with the handle already opened.
    pub(super) fn new(path: &Path, first: git2::Repository) -> Pool {
        Pool {
            path: path.to_owned(),
            idle: Mutex::new(vec![first]),
        }
    }

    /// An idle handle, or a new one when every handle is in use.
    pub(super) fn get(&self) -> Result<Handle<'_>, git2::Error> {
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let repo = match idle {
            Some(repo) => repo,
            None => git2::Repository::open_bare(&self.path)?,
        };
        Ok(Handle {
            pool: self,
            repo: Some(repo),
        })
    }
}

impl Deref for Handle<'_> {
    type Target = git2::Repository;

    fn deref(&self) -> &git2::Repository {
        self.repo
            .as_ref()
            .expect("a handle holds its repository until dropped")
    }
}

impl Drop for Handle<'_> {
    fn drop(&mut self) {
        if let Some(repo) = self.repo.take() {
            let mut idle = self.pool.idle.lock().unwrap_or_else(|p| p.into_inner());
            if idle.len() < KEPT_IDLE {
                idle.push(repo);
            }
        }
    }
}
