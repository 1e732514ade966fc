//! What an operator does to the database: check it answers, copy it while it is in use,
//! count its rows, and look for inconsistencies (`/readyz`, `backup`, `check`).

use std::collections::BTreeMap;
use std::path::Path;

use super::engine::{AssertSqlSafe, Engine, args};
use super::{Db, DbError};

/// Something wrong with the database, and what fixes it.
#[derive(Debug, Clone)]
pub struct Problem {
    pub problem: String,
    pub fix: String,
}

const RESTORE: &str = "restore the database from a backup (chapterhouse restore)";

impl Db {
    /// Reads the database through a connection of its own, opened for the purpose: an
    /// error when the file (or server) cannot be opened or read as a database, whatever
    /// the pool's connections still hold.
    pub fn ping(&self) -> Result<(), DbError> {
        if self.engine() == Engine::Sqlite {
            // Pages still in the write-ahead log would hide a file that is no longer a
            // database from a query; its header says so at once.
            self.check_sqlite_header()?;
        }
        self.pool.ping().map_err(|e| self.err(e))
    }

    fn check_sqlite_header(&self) -> Result<(), DbError> {
        use std::io::Read;
        const HEADER: &[u8; 16] = b"SQLite format 3\0";
        let mut head = Vec::with_capacity(16);
        std::fs::File::open(&self.path)
            .and_then(|file| file.take(16).read_to_end(&mut head))
            .map_err(|e| self.err(e.into()))?;
        if !head.is_empty() && head != HEADER {
            return Err(DbError::Refused(format!(
                "{}: the file is not a SQLite database",
                self.path
            )));
        }
        Ok(())
    }

    /// A consistent copy of the records in a new SQLite file, taken while the database is
    /// in use: SQLite's `VACUUM INTO` reads one snapshot; a PostgreSQL database is copied
    /// table by table from one snapshot of its own.
    pub fn backup_to(&self, dest: &Path) -> Result<(), DbError> {
        if self.engine() == Engine::Postgres {
            let copy = Db::open(dest, self.clock.clone())?;
            return self.copy_into(&copy).map(drop);
        }
        let dest = dest.to_string_lossy().replace('\'', "''");
        self.conn()?
            .execute_batch(AssertSqlSafe(format!("VACUUM INTO '{dest}'")))
            .map_err(|e| self.err(e))
    }

    /// The number of rows in each of chapterhouse's tables.
    pub fn row_counts(&self) -> Result<BTreeMap<String, i64>, DbError> {
        let conn = self.conn()?;
        let tables: Vec<String> = match self.engine() {
            Engine::Sqlite => conn.query_map(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
                args![],
                |r| r.get(0),
            ),
            Engine::Postgres => conn.query_map(
                "SELECT table_name::text FROM information_schema.tables
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
                   AND table_name <> 'schema_version' ORDER BY table_name",
                args![],
                |r| r.get(0),
            ),
        }
        .map_err(|e| self.err(e))?;
        let mut counts = BTreeMap::new();
        for table in tables {
            let sql = format!("SELECT count(*) FROM \"{}\"", table.replace('"', "\"\""));
            let n: i64 = conn
                .query_row(AssertSqlSafe(sql), args![], |r| r.get(0))
                .map_err(|e| self.err(e))?;
            counts.insert(table, n);
        }
        Ok(counts)
    }

    /// What is wrong with the database: a schema this chapterhouse does not write, SQLite's
    /// own integrity and foreign-key checks (PostgreSQL enforces both as it writes), and
    /// digest periods marked finished with deliveries still open.
    pub fn problems(&self) -> Result<Vec<Problem>, DbError> {
        let conn = self.conn()?;
        let err = |e| self.err(e);
        let mut problems = Vec::new();
        let version = self.schema_version()?;
        if version != self.schema_steps() {
            problems.push(Problem {
                problem: format!(
                    "the schema is at version {version}, this chapterhouse writes version {}",
                    self.schema_steps()
                ),
                fix: "run the chapterhouse that wrote it, or a newer one".into(),
            });
        }
        if self.engine() == Engine::Sqlite {
            let integrity: Vec<String> = conn
                .query_map("PRAGMA integrity_check", args![], |r| r.get(0))
                .map_err(err)?;
            if integrity != ["ok"] {
                problems.extend(integrity.into_iter().map(|p| Problem {
                    problem: format!("SQLite integrity: {p}"),
                    fix: RESTORE.into(),
                }));
            }
            let orphans: Vec<(String, i64)> = conn
                .query_map("PRAGMA foreign_key_check", args![], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
                })
                .map_err(err)?;
            for (table, row) in orphans {
                problems.push(Problem {
                    problem: format!("{table} row {row} refers to a row that is gone"),
                    fix: RESTORE.into(),
                });
            }
        }
        let unfinished: Vec<(String, i64)> = conn
            .query_map(
                "SELECT p.period, count(*) FROM periods p JOIN deliveries d ON d.period = p.period
                 WHERE p.finished_at IS NOT NULL AND d.state IN ('pending', 'sending')
                 GROUP BY p.period ORDER BY p.period",
                args![],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
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
        self.conn()?
            .query_map(
                "SELECT d.period, d.state, count(*) FROM deliveries d
                 JOIN (SELECT period FROM deliveries GROUP BY period
                       ORDER BY max(updated_at) DESC LIMIT $1) r ON r.period = d.period
                 GROUP BY d.period, d.state ORDER BY d.period, d.state",
                args![recent as i64],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .map_err(|e| self.err(e))
    }
}
