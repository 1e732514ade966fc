//! The store between instances: the writer pushes to its remotes (`store.push_to`) after
//! every write and again until each has it; a read replica fetches from the remote it
//! follows (`store.follow`). What each remote last did is kept for `/readyz` and the
//! metrics: a failed push or fetch is retried, reported, and never silently dropped.

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{AppError, Chapterhouse};
use crate::db::Engine;

/// One remote and what happened when it was last pushed to or fetched from.
struct Remote {
    url: String,
    state: Mutex<RemoteState>,
}

#[derive(Default)]
struct RemoteState {
    /// The branches and tags the remote was last given (pushes only).
    pushed: Option<Vec<(String, String)>>,
    last_ok: Option<DateTime<Utc>>,
    /// Since when, and the last error, while it fails.
    failing: Option<(DateTime<Utc>, String)>,
}

/// The instance's place among others, and its remotes.
pub(super) struct Replication {
    push: Vec<Remote>,
    follow: Option<Remote>,
}

/// How replication stands, for `/readyz`. `ok` is false while a remote fails; the
/// instance goes on serving what it has all the same.
#[derive(Debug, Clone, Serialize)]
pub struct ReplicationStatus {
    /// `single`, `writer` (pushes to remotes) or `replica` (follows one).
    pub role: &'static str,
    pub ok: bool,
    pub detail: String,
}

impl Replication {
    pub(super) fn new(push_to: &[String], follow: Option<&str>) -> Replication {
        let remote = |url: &str| Remote {
            url: url.to_owned(),
            state: Mutex::new(RemoteState::default()),
        };
        Replication {
            // A replica only follows; what it has came from its remote.
            push: match follow {
                Some(_) => Vec::new(),
                None => push_to.iter().map(|u| remote(u)).collect(),
            },
            follow: follow.map(remote),
        }
    }
}

impl Remote {
    fn label(&self) -> String {
        crate::db::url_label(&self.url)
    }

    fn record(&self, outcome: &Result<(), String>, at: DateTime<Utc>) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        match outcome {
            Ok(()) => {
                state.last_ok = Some(at);
                state.failing = None;
            }
            Err(e) => {
                let since = state.failing.as_ref().map_or(at, |(since, _)| *since);
                state.failing = Some((since, e.clone()));
            }
        }
    }

    fn report(&self, verb: &str) -> (bool, String) {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let remote = self.label();
        match (&state.failing, state.last_ok) {
            (Some((since, error)), _) => (
                false,
                format!(
                    "{verb} {remote} failing since {}: {error} (retrying)",
                    since.to_rfc3339()
                ),
            ),
            (None, Some(at)) => (true, format!("{verb} {remote} at {}", at.to_rfc3339())),
            (None, None) => (true, format!("{verb} {remote}: not yet")),
        }
    }
}

/// The publisher's attention for a write to the store: when it ends, the store is pushed
/// to the writer's remotes (`store.push_to`) before the next write goes on.
pub(super) struct WriteTurn<'a> {
    app: &'a Chapterhouse,
    _turn: super::publisher::Turn<'a>,
}

impl Drop for WriteTurn<'_> {
    fn drop(&mut self) {
        self.app.push_replicas();
    }
}

impl Chapterhouse {
    /// Waits for the writes queued before this one, then holds the store for this one.
    /// Refused on a read replica, whose store is its remote's.
    pub(super) fn write_turn(&self) -> Result<WriteTurn<'_>, AppError> {
        if self.is_replica() {
            return Err(AppError::Replica);
        }
        Ok(WriteTurn {
            app: self,
            _turn: self.publisher.turn(),
        })
    }

    /// True when this instance is a read replica (`store.follow` is set).
    pub fn is_replica(&self) -> bool {
        self.replication.follow.is_some()
    }

    /// Pushes the store to every remote that lacks its branches and tags as they are now
    /// (a write since the last push, or a push that failed). True when every remote is up
    /// to date. With PostgreSQL, the replicas are told at once.
    pub fn push_replicas(&self) -> bool {
        if self.replication.push.is_empty() {
            return true;
        }
        let refs = match self.store.branches_and_tags() {
            Ok(refs) => refs,
            Err(e) => {
                tracing::error!(error = %e, "reading the store's refs to push");
                return false;
            }
        };
        let mut all_ok = true;
        let mut moved = false;
        for remote in &self.replication.push {
            let current = {
                let state = remote.state.lock().unwrap_or_else(|p| p.into_inner());
                state.pushed.as_ref() == Some(&refs) && state.failing.is_none()
            };
            if current {
                continue;
            }
            let outcome = self.store.push_to(&remote.url).map_err(|e| e.to_string());
            remote.record(&outcome, self.clock.now());
            let result = if outcome.is_ok() { "ok" } else { "failed" };
            metrics::counter!("chapterhouse_store_pushes_total", "result" => result).increment(1);
            match outcome {
                Ok(()) => {
                    remote
                        .state
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .pushed = Some(refs.clone());
                    moved = true;
                }
                Err(e) => {
                    tracing::warn!(remote = %remote.label(), error = %e, "push failed; retrying");
                    all_ok = false;
                }
            }
        }
        let failing = self
            .replication
            .push
            .iter()
            .filter(|r| {
                r.state
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .failing
                    .is_some()
            })
            .count();
        metrics::gauge!("chapterhouse_store_remotes_failing").set(failing as f64);
        if moved {
            self.tell_replicas();
        }
        all_ok
    }

    /// Tells replicas listening on the shared PostgreSQL database that the store moved.
    fn tell_replicas(&self) {
        let Ok(db) = self.db() else { return };
        if db.engine() == Engine::Postgres
            && let Err(e) = db.notify_store_moved()
        {
            tracing::warn!(error = %e, "telling the replicas; they fetch on their interval");
        }
    }

    /// Fetches the store from the remote this replica follows: true when a ref moved.
    /// Refs move only after the objects they name are in.
    pub fn fetch_followed(&self) -> Result<bool, AppError> {
        let Some(remote) = &self.replication.follow else {
            return Ok(false);
        };
        let fetched = self.store.fetch_from(&remote.url);
        remote.record(
            &fetched.as_ref().map(drop).map_err(|e| e.to_string()),
            self.clock.now(),
        );
        let result = if fetched.is_ok() { "ok" } else { "failed" };
        metrics::counter!("chapterhouse_store_fetches_total", "result" => result).increment(1);
        metrics::gauge!("chapterhouse_store_follow_failing").set(if fetched.is_ok() {
            0.0
        } else {
            1.0
        });
        Ok(fetched?)
    }

    /// How replication stands: the role and each remote's last push or fetch.
    pub fn replication_status(&self) -> ReplicationStatus {
        if let Some(remote) = &self.replication.follow {
            let (ok, detail) = remote.report("following");
            return ReplicationStatus {
                role: "replica",
                ok,
                detail,
            };
        }
        if self.replication.push.is_empty() {
            return ReplicationStatus {
                role: "single",
                ok: true,
                detail: "no remotes (store.push_to is empty)".into(),
            };
        }
        let reports: Vec<(bool, String)> = self
            .replication
            .push
            .iter()
            .map(|r| r.report("pushed to"))
            .collect();
        ReplicationStatus {
            role: "writer",
            ok: reports.iter().all(|(ok, _)| *ok),
            detail: reports
                .into_iter()
                .map(|(_, d)| d)
                .collect::<Vec<_>>()
                .join("; "),
        }
    }
}
