//! What an operator does to the database: check it answers, copy it while it is in use,
//! count its rows, and look for inconsistencies (`/readyz`, `backup`, `check`).

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::Connection;

use super::{Db, DbError, MIGRATIONS};

/// Something wrong with the database, and what fixes it.
#[derive(Debug, Clone)]
pub struct Problem {
    pub problem: String,
    pub fix: String,
}

const RESTORE: &str = "restore the database from a backup (chapterhouse restore)";

impl Db {
    /// Reads the database through a connection of its own, opened for the purpose: an
    /// error when the file cannot be opened or read as a database (the pool's connections
    /// would go on reading a file replaced or removed under them).
    pub fn ping(&self) -> Result<(), DbError> {
        let conn = Connection::open_with_flags(
            &self.path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| self.err(e))?;
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })
        .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Copies the database to `dest` (a new file) with SQLite's online backup API: a
    /// consistent copy while others read and write, which never blocks readers.
    pub fn backup_to(&self, dest: &Path) -> Result<(), DbError> {
        let conn = self.conn()?;
        let mut out = Connection::open(dest).map_err(|e| self.err(e))?;
        let backup = rusqlite::backup::Backup::new(&conn, &mut out).map_err(|e| self.err(e))?;
        // Pages in steps, letting writers in between.
        backup
            .run_to_completion(256, std::time::Duration::from_millis(5), None)
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// The rows of every table, by table name (a backup's manifest, a restore's check).
    pub fn row_counts(&self) -> Result<BTreeMap<String, i64>, DbError> {
        let conn = self.conn()?;
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .map_err(|e| self.err(e))?;
        let mut counts = BTreeMap::new();
        for table in tables {
            // Names come from the schema itself; quoted all the same.
            let sql = format!("SELECT count(*) FROM \"{}\"", table.replace('"', "\"\""));
            let n: i64 = conn
                .query_row(&sql, [], |r| r.get(0))
                .map_err(|e| self.err(e))?;
            counts.insert(table, n);
        }
        Ok(counts)
    }

    /// What is wrong with the database, each with its fix: its schema version, SQLite's
    /// own integrity check, rows whose references are gone, and finished digest periods
    /// with deliveries left.
    pub fn problems(&self) -> Result<Vec<Problem>, DbError> {
        let conn = self.conn()?;
        let err = |e| self.err(e);
        let mut problems = Vec::new();
        let version: usize = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(err)?;
        if version != MIGRATIONS.len() {
            problems.push(Problem {
                problem: format!(
                    "the schema is at version {version}, this chapterhouse writes version {}",
                    MIGRATIONS.len()
                ),
                fix: "run the chapterhouse that wrote it, or a newer one".into(),
            });
        }
        let integrity: Vec<String> = conn
            .prepare("PRAGMA integrity_check")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .map_err(err)?;
        if integrity != ["ok"] {
            problems.extend(integrity.into_iter().map(|p| Problem {
                problem: format!("SQLite integrity: {p}"),
                fix: RESTORE.into(),
            }));
        }
        let orphans: Vec<(String, i64)> = conn
            .prepare("PRAGMA foreign_key_check")
            .and_then(|mut s| {
                s.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
                    .collect()
            })
            .map_err(err)?;
        for (table, row) in orphans {
            problems.push(Problem {
                problem: format!("{table} row {row} refers to a row that is gone"),
                fix: RESTORE.into(),
            });
        }
        let unfinished: Vec<(String, i64)> = conn
            .prepare(
                "SELECT p.period, count(*) FROM periods p JOIN deliveries d ON d.period = p.period
                 WHERE p.finished_at IS NOT NULL AND d.state IN ('pending', 'sending')
                 GROUP BY p.period ORDER BY p.period",
            )
            .and_then(|mut s| s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
            .map_err(err)?;
        for (period, n) in unfinished {
            problems.push(Problem {
                problem: format!(
                    "digest period {period} is marked finished but {n} deliveries are not done"
                ),
                fix: format!("chapterhouse digest --period {period}"),
            });
        }
        Ok(problems)
    }

    /// Deliveries by period and state, for the `recent` periods last written to (the
    /// monthly digests' `YYYY-MM`, and `release:<manual>/<release>` for the notices).
    pub fn deliveries_by_period(
        &self,
        recent: usize,
    ) -> Result<Vec<(String, String, i64)>, DbError> {
        let conn = self.conn()?;
        conn.prepare(
            "SELECT d.period, d.state, count(*) FROM deliveries d
             JOIN (SELECT period FROM deliveries GROUP BY period
                   ORDER BY max(updated_at) DESC LIMIT ?1) r ON r.period = d.period
             GROUP BY d.period, d.state ORDER BY d.period, d.state",
        )
        .and_then(|mut s| {
            s.query_map([recent as i64], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect()
        })
        .map_err(|e| self.err(e))
    }
}
