//! The store travelling between instances over git itself: the writer pushes every branch
//! and release tag to its remotes (`store.push_to`), a read replica fetches them from its
//! remote (`store.follow`). A fetch moves refs only once the objects they name are in, so
//! a replica never serves a half-fetched release.
//!
//! Remotes are paths, `file://` or `git://` addresses (what libgit2 speaks without a TLS
//! or SSH library).

use super::{Store, StoreError};

/// Every branch and tag, both ways. Forced: the writer is the store's one authority, and
/// its branch only moves forward and its tags never change.
const REFSPECS: &[&str] = &["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"];

/// How long a remote may take to answer a connection or a read.
const NETWORK_TIMEOUT_MS: i32 = 10_000;

fn remote_error(remote: &str, e: impl std::fmt::Display) -> StoreError {
    // libgit2 calls a missing local repository an unknown protocol.
    let local = !remote.contains("://") || remote.starts_with("file://");
    let path = remote.strip_prefix("file://").unwrap_or(remote);
    let message = match local && !std::path::Path::new(path).exists() {
        true => "no repository there (create it with git init --bare)".to_owned(),
        false => e.to_string(),
    };
    StoreError::Remote {
        remote: remote.to_owned(),
        message,
    }
}

/// Sets libgit2's network timeouts once per process.
fn network_timeouts() {
    static SET: std::sync::Once = std::sync::Once::new();
    SET.call_once(|| {
        // SAFETY: called once, before any remote operation of this process starts.
        unsafe {
            let _ = git2::opts::set_server_connect_timeout_in_milliseconds(NETWORK_TIMEOUT_MS);
            let _ = git2::opts::set_server_timeout_in_milliseconds(NETWORK_TIMEOUT_MS);
        }
    });
}

impl Store {
    /// Every branch and tag of the store, by name, and where it points.
    pub fn branches_and_tags(&self) -> Result<Vec<(String, String)>, StoreError> {
        Ok(self
            .refs()?
            .into_iter()
            .filter(|(name, _)| name.starts_with("refs/heads/") || name.starts_with("refs/tags/"))
            .collect())
    }

    /// Pushes every branch and tag to `remote` (a bare repository). An error names the
    /// remote and what it said, including a ref it refused.
    pub fn push_to(&self, remote: &str) -> Result<(), StoreError> {
        network_timeouts();
        let repo = self.repo()?;
        let refs = self.branches_and_tags()?;
        if refs.is_empty() {
            return Ok(());
        }
        let specs: Vec<String> = refs
            .iter()
            .map(|(name, _)| format!("+{name}:{name}"))
            .collect();
        let mut target = repo
            .remote_anonymous(remote)
            .map_err(|e| remote_error(remote, e.message()))?;
        let refused = std::cell::RefCell::new(Vec::new());
        let mut callbacks = git2::RemoteCallbacks::new();
        callbacks.push_update_reference(|name, status| {
            if let Some(status) = status {
                refused.borrow_mut().push(format!("{name}: {status}"));
            }
            Ok(())
        });
        let mut options = git2::PushOptions::new();
        options.remote_callbacks(callbacks);
        target
            .push(&specs, Some(&mut options))
            .map_err(|e| remote_error(remote, e.message()))?;
        drop(options);
        let refused = refused.into_inner();
        if !refused.is_empty() {
            return Err(remote_error(
                remote,
                format!("refused {}", refused.join(", ")),
            ));
        }
        Ok(())
    }

    /// Fetches every branch and tag from `remote`. True when a ref of the store moved.
    pub fn fetch_from(&self, remote: &str) -> Result<bool, StoreError> {
        network_timeouts();
        let before = self.branches_and_tags()?;
        let repo = self.repo()?;
        let mut source = repo
            .remote_anonymous(remote)
            .map_err(|e| remote_error(remote, e.message()))?;
        let mut options = git2::FetchOptions::new();
        options
            .prune(git2::FetchPrune::Off)
            .download_tags(git2::AutotagOption::None)
            .update_fetchhead(false);
        source
            .fetch(REFSPECS, Some(&mut options), Some("chapterhouse: follow"))
            .map_err(|e| remote_error(remote, e.message()))?;
        Ok(self.branches_and_tags()? != before)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_pushed_is_fetched_whole_and_a_missing_remote_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let writer = Store::open_or_init(&dir.path().join("writer.git")).unwrap();
        let remote = dir.path().join("remote.git");
        git2::Repository::init_bare(&remote).unwrap();
        let remote = remote.to_str().unwrap();
        // Nothing to push yet: no error, nothing fetched.
        writer.push_to(remote).unwrap();
        let replica = Store::open_or_init(&dir.path().join("replica.git")).unwrap();
        assert!(!replica.fetch_from(remote).unwrap());

        let manual: crate::content::ManualId = "children".parse().unwrap();
        let author: crate::store::Author = "Ann <ann@example.org>".parse().unwrap();
        let files = [crate::content::SourceFile {
            path: "manual.toml".into(),
            bytes: b"title = \"Children\"\n".to_vec(),
        }];
        let when = chrono::Utc::now();
        let pending = writer
            .prepare_revision(&manual, &files, &author, "Import", when)
            .unwrap();
        let release = crate::store::NewRelease {
            name: "2024-01".parse().unwrap(),
            date: "2024-01-01".parse().unwrap(),
            notes: Default::default(),
        };
        writer
            .publish(&manual, Some(&pending), &release, &author, when)
            .unwrap();
        writer.push_to(remote).unwrap();
        assert!(replica.fetch_from(remote).unwrap());
        assert_eq!(
            replica.branches_and_tags().unwrap(),
            writer.branches_and_tags().unwrap()
        );
        assert!(!replica.fetch_from(remote).unwrap(), "nothing new");

        let gone = dir.path().join("nowhere.git");
        let err = writer
            .push_to(gone.to_str().unwrap())
            .unwrap_err()
            .to_string();
        assert!(err.contains("nowhere.git"), "{err}");
        let err = replica
            .fetch_from(gone.to_str().unwrap())
            .unwrap_err()
            .to_string();
        assert!(err.contains("nowhere.git"), "{err}");
    }
}
