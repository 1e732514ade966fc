//! One writer of the store at a time, across processes (a server and an import), under a
//! lock the kernel lets go of when its holder dies. git's own locks are `<file>.lock` files
//! that stay behind when a writer is killed holding them, and refuse every later write of
//! that ref for good. Every chapterhouse writer holds the writers' lock while it holds
//! git's locks, so a git lock found while holding it was left by a writer that died: it is
//! cleared, after a short wait in case a git command of the operator's holds it.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fs4::fs_std::FileExt;

use super::StoreError;

/// The writers' lock, in the repository's folder (git leaves files it does not know alone).
const WRITERS_LOCK: &str = "chapterhouse-writers";

/// How long a git lock may stay before it counts as left behind: git holds one for
/// milliseconds.
const PATIENCE: Duration = Duration::from_secs(1);

/// The store held for one write, until dropped.
pub(super) struct Writing {
    _lock: File,
    git_dir: PathBuf,
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Git(git2::Error::from_str(&format!(
        "{what} {}: {e}",
        path.display()
    )))
}

impl Writing {
    /// Waits for any other writer of the store at `git_dir`, then holds it.
    pub(super) fn begin(git_dir: &Path) -> Result<Writing, StoreError> {
        let path = git_dir.join(WRITERS_LOCK);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| io_error("cannot open the writers' lock", &path, e))?;
        lock.lock_exclusive()
            .map_err(|e| io_error("cannot take the writers' lock", &path, e))?;
        Ok(Writing {
            _lock: lock,
            git_dir: git_dir.to_owned(),
        })
    }

    /// Clears git's lock of each of `files` (`refs/heads/main`, `HEAD`, ...) that a writer
    /// killed mid-write left behind.
    pub(super) fn clear_left_locks(&self, files: &[&str]) -> Result<(), StoreError> {
        let locks: Vec<PathBuf> = files
            .iter()
            .map(|f| self.git_dir.join(format!("{f}.lock")))
            .collect();
        let since = Instant::now();
        while locks.iter().any(|l| l.exists()) && since.elapsed() < PATIENCE {
            std::thread::sleep(Duration::from_millis(20));
        }
        for lock in locks {
            match std::fs::remove_file(&lock) {
                Ok(()) => tracing::warn!(
                    lock = %lock.display(),
                    "cleared a git lock left by a writer that stopped mid-write"
                ),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_error("cannot clear the git lock", &lock, e)),
            }
        }
        Ok(())
    }
}
