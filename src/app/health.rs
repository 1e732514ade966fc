//! Whether each engine of an instance answers (`/readyz`), and what is wrong with what it
//! holds (`chapterhouse check`).

use serde::Serialize;

use super::{AppError, Chapterhouse};

/// One engine's answer.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub ok: bool,
    pub detail: String,
}

impl Check {
    pub fn ok(detail: impl Into<String>) -> Check {
        Check {
            ok: true,
            detail: detail.into(),
        }
    }

    pub fn failed(detail: impl std::fmt::Display) -> Check {
        Check {
            ok: false,
            detail: detail.to_string(),
        }
    }
}

/// The store, the search index and the database, each checked.
#[derive(Debug, Clone, Serialize)]
pub struct Readiness {
    pub store: Check,
    pub index: Check,
    pub database: Check,
}

impl Readiness {
    /// True when every engine answers and the index holds every release.
    pub fn ready(&self) -> bool {
        self.store.ok && self.index.ok && self.database.ok
    }
}

impl Chapterhouse {
    /// Reads a little of each engine: the store's releases, the index's lag behind them,
    /// and the database.
    pub fn readiness(&self) -> Readiness {
        let store = match self.store.released_manuals() {
            Ok(manuals) => Check::ok(format!("{} manuals with releases", manuals.len())),
            Err(e) => Check::failed(e),
        };
        let index = match self
            .index()
            .and_then(|i| Ok(i.releases_behind(&self.store)?))
        {
            Ok(0) => Check::ok("every release is searchable"),
            Ok(behind) => Check::failed(format!(
                "{behind} releases are not searchable yet (the index is catching up; if this lasts, run `chapterhouse reindex`)"
            )),
            Err(e) => Check::failed(e),
        };
        let database = match self
            .db()
            .and_then(|db| Ok((db.ping()?, db.label().to_owned())))
        {
            Ok(((), label)) => Check::ok(format!("{label} answers")),
            Err(e) => Check::failed(e),
        };
        Readiness {
            store,
            index,
            database,
        }
    }
}

/// One thing `chapterhouse check` found wrong, and what fixes it.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// `store`, `index` or `database`.
    pub area: &'static str,
    pub problem: String,
    pub fix: String,
}

impl Chapterhouse {
    /// Checks the store (tags, releases and their content), the index against the store,
    /// and the database; an empty list when all is well.
    pub fn check(&self) -> Result<Vec<Finding>, AppError> {
        let mut found = Vec::new();
        let store = self.config.store_dir();
        for problem in self.store.problems()? {
            found.push(Finding {
                area: "store",
                problem,
                fix: format!(
                    "delete or re-make the tag with git (git --git-dir {} tag -d NAME), or restore the store from a backup",
                    store.display()
                ),
            });
        }
        for manual in self.store.released_manuals()? {
            for release in self.store.releases(&manual)? {
                if let Err(e) = self.store.snapshot_at(&release.revision, &manual) {
                    found.push(Finding {
                        area: "store",
                        problem: format!("release {manual}/{} is not valid: {e}", release.name),
                        fix: "import a corrected release, or restore the store from a backup"
                            .into(),
                    });
                }
            }
        }
        // The index as it is on disk: opening it for searches would catch it up first.
        let behind = match self.index.get() {
            Some(index) => index.releases_behind(&self.store).map_err(AppError::from),
            None => self
                .open_index()
                .and_then(|i| Ok(i.releases_behind(&self.store)?)),
        };
        match behind {
            Ok(0) => {}
            Ok(behind) => found.push(Finding {
                area: "index",
                problem: format!("{behind} releases of the store are not in the search index"),
                fix: "chapterhouse reindex".into(),
            }),
            Err(e) => found.push(Finding {
                area: "index",
                problem: format!("the search index cannot be read: {e}"),
                fix: "chapterhouse reindex".into(),
            }),
        }
        for p in self.db()?.problems()? {
            found.push(Finding {
                area: "database",
                problem: p.problem,
                fix: p.fix,
            });
        }
        Ok(found)
    }
}
