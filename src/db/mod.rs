//! chapterhouse's own records (editors, sessions, subscribers, the delivery ledger,
//! proposals and approvals): by default one SQLite file in the data folder, or a
//! PostgreSQL database that several instances share (`database.url`). The schema moves
//! forward by numbered migrations, one list per engine; each step runs in a transaction,
//! so a failed one leaves the database as it was. No SQL lives outside this module.

mod copy;
mod editors;
mod engine;
mod migrations;
mod notices;
mod proposals;
mod reminders;
mod sessions;
mod sources;
mod subscribers;
mod upkeep;
pub use upkeep::Problem;
#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod workspace_tests;

pub use editors::{Editor, EditorError, NewEditor, Role};
pub use notices::StoreNotices;
pub use proposals::{
    NewProposal, Proposal, ProposalError, ReleaseEvent, ReleaseEventKind, ReleaseRecord,
};
pub use sessions::{
    SESSION_IDLE, SIGNIN_EMAIL_INTERVAL, SIGNIN_LINK_LIFETIME, Session, SigninRefused,
    SigninRequest,
};
pub use sources::{SourceAnswer, SourceCheck};
pub use subscribers::{
    CONFIRMATION_LIFETIME, Change, Claim, Delivery, DeliveryState, Frequency, LetterError,
    NewSubscriber, ReadCounts, ReadEvidence, Reading, SentRelease, Subscribed, Subscriber,
    SubscriberError, TokenKey, normalise_address, subscription_letter,
};

use std::path::Path;

use crate::clock::Clock;
pub use engine::Engine;
use engine::{AssertSqlSafe, Conn, OptionalExtension, Pool, SqlError, SqlResult, args};

/// What can go wrong with the database.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database {path}: {source}")]
    Engine { path: String, source: SqlError },
    #[error(
        "database {path} is at schema version {found}, newer than this chapterhouse knows ({known}); upgrade chapterhouse"
    )]
    TooNew {
        path: String,
        found: usize,
        known: usize,
    },
    #[error("database {0}")]
    Refused(String),
}

/// chapterhouse's records, through a pool of connections. SQLite runs in WAL mode, so
/// readers never wait for the writer; on either engine writers take turns (each waits up
/// to `BUSY_WAIT`).
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    /// The database as messages name it: the file, or the server without credentials.
    path: String,
    /// What "now" is for records' times and tokens' expiry.
    clock: Clock,
}

/// Connections kept open at most.
const POOL_SIZE: u32 = 8;

pub use crate::config::{sqlite_url, url_label};

impl Db {
    /// Opens the database file (creating it when missing) and brings its schema up to date.
    pub fn open(path: &Path, clock: Clock) -> Result<Db, DbError> {
        Db::connect(&sqlite_url(path), clock)
    }

    /// Opens the database at `url` (`sqlite://PATH` or `postgres://…`) and brings its
    /// schema up to date, each step in a transaction of its own.
    pub fn connect(url: &str, clock: Clock) -> Result<Db, DbError> {
        let path = url_label(url);
        if Engine::of_url(url).is_none() {
            return Err(DbError::Refused(format!(
                "{path}: database.url must start sqlite:// or postgres://"
            )));
        }
        let err = |source| DbError::Engine {
            path: path.clone(),
            source,
        };
        let pool = Pool::connect(url, POOL_SIZE).map_err(err)?;
        let db = Db { pool, path, clock };
        db.migrate()?;
        Ok(db)
    }

    /// Which engine the records are on.
    pub fn engine(&self) -> Engine {
        self.pool.engine()
    }

    /// What "now" is for the records.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The database as messages name it.
    pub fn label(&self) -> &str {
        &self.path
    }

    /// Takes the schema from the version it is at to the newest, one step at a time.
    fn migrate(&self) -> Result<(), DbError> {
        let steps = match self.engine() {
            Engine::Sqlite => {
                let conn = self.conn()?;
                conn.execute("PRAGMA journal_mode = WAL", args![])
                    .map_err(|e| self.err(e))?;
                migrations::SQLITE
            }
            Engine::Postgres => {
                self.write(|tx| {
                    tx.execute(
                        "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)",
                        args![],
                    )?;
                    tx.execute(
                        "INSERT INTO schema_version (version) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM schema_version)",
                        args![],
                    )
                })?;
                migrations::POSTGRES
            }
        };
        let version = self.schema_version()?;
        if version > steps.len() {
            return Err(DbError::TooNew {
                path: self.path.clone(),
                found: version,
                known: steps.len(),
            });
        }
        for (i, step) in steps.iter().enumerate().skip(version) {
            let engine = self.engine();
            self.write(|tx| {
                // Another instance may have taken the step while this one waited its turn.
                if schema_version(tx)? > i {
                    return Ok(());
                }
                tx.execute_batch(*step)?;
                match engine {
                    Engine::Sqlite => {
                        tx.execute_batch(AssertSqlSafe(format!("PRAGMA user_version = {}", i + 1)))?
                    }
                    Engine::Postgres => {
                        tx.execute(
                            "UPDATE schema_version SET version = $1",
                            args![i as i64 + 1],
                        )?;
                    }
                }
                Ok(())
            })?;
        }
        Ok(())
    }

    /// The number of migration steps the schema has taken.
    pub fn schema_version(&self) -> Result<usize, DbError> {
        let conn = self.conn()?;
        schema_version(&conn).map_err(|e| self.err(e))
    }

    /// The number of migration steps this chapterhouse knows.
    pub fn schema_steps(&self) -> usize {
        match self.engine() {
            Engine::Sqlite => migrations::SQLITE.len(),
            Engine::Postgres => migrations::POSTGRES.len(),
        }
    }

    /// The time now, as records store it.
    fn now(&self) -> String {
        self.clock.now().to_rfc3339()
    }

    /// A connection of the pool, for one piece of work.
    fn conn(&self) -> Result<Conn<'_>, DbError> {
        self.pool.conn().map_err(|e| self.err(e))
    }

    fn err(&self, source: SqlError) -> DbError {
        DbError::Engine {
            path: self.path.clone(),
            source,
        }
    }

    /// Runs `work` in one write transaction, committed when it returns `Ok`; writers take
    /// turns, so a writer waits instead of failing when another wrote first.
    fn write<T>(&self, work: impl FnOnce(&Conn<'_>) -> SqlResult<T>) -> Result<T, DbError> {
        self.pool.write(work).map_err(|e| self.err(e))
    }
}

fn schema_version(conn: &Conn<'_>) -> SqlResult<usize> {
    let version: i64 = match conn.engine() {
        Engine::Sqlite => conn.query_row("PRAGMA user_version", args![], |r| r.get(0))?,
        Engine::Postgres => {
            conn.query_row("SELECT version FROM schema_version", args![], |r| r.get(0))?
        }
    };
    Ok(usize::try_from(version).unwrap_or(0))
}

impl Db {
    /// True, and noted, when no email of `kind` went to `email` in the last `every`:
    /// strangers can post anyone's address, but they cannot make us flood it.
    pub fn may_mail(
        &self,
        kind: &str,
        email: &str,
        every: chrono::Duration,
    ) -> Result<bool, DbError> {
        let email = email.trim().to_lowercase();
        let now = self.clock.now();
        self.write(|tx| {
            let last: Option<String> = tx
                .query_row(
                    "SELECT last_sent_at FROM mail_sent WHERE kind = $1 AND email = $2",
                    args![kind, &email],
                    |row| row.get(0),
                )
                .optional()?;
            let recent = last
                .and_then(|l| chrono::DateTime::parse_from_rfc3339(&l).ok())
                .is_some_and(|l| {
                    let l = l.with_timezone(&chrono::Utc);
                    l <= now && now - l < every
                });
            if recent {
                return Ok(false);
            }
            tx.execute(
                "INSERT INTO mail_sent (kind, email, last_sent_at) VALUES ($1, $2, $3)
                 ON CONFLICT (kind, email) DO UPDATE SET last_sent_at = excluded.last_sent_at",
                args![kind, &email, now.to_rfc3339()],
            )?;
            Ok(true)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{self, on_each_engine, postgres_url};
    use super::*;

    on_each_engine!(
        migrations_run_once_and_a_newer_database_is_refused,
        a_new_database_has_every_table_and_nothing_wrong,
    );

    fn a_new_database_has_every_table_and_nothing_wrong(engine: Engine) {
        let (_dir, db) = testing::scratch(engine, clock());
        db.ping().unwrap();
        let counts = db.row_counts().unwrap();
        let tables: Vec<&str> = counts.keys().map(String::as_str).collect();
        let mut known = migrations::TABLES.to_vec();
        known.sort();
        assert_eq!(tables, known);
        assert!(counts.values().all(|n| *n == 0));
        assert!(db.problems().unwrap().is_empty());
        assert!(db.deliveries_by_period(3).unwrap().is_empty());
    }

    fn clock() -> Clock {
        Clock::system(chrono_tz::Europe::London)
    }

    fn migrations_run_once_and_a_newer_database_is_refused(engine: Engine) {
        let dir = tempfile::tempdir().unwrap();
        let url = match engine {
            Engine::Sqlite => sqlite_url(&dir.path().join("db.sqlite")),
            Engine::Postgres => postgres_url(),
        };
        let db = Db::connect(&url, clock()).unwrap();
        assert_eq!(db.schema_version().unwrap(), db.schema_steps());
        let again = Db::connect(&url, clock()).unwrap();
        assert_eq!(again.schema_version().unwrap(), db.schema_steps());
        let newer = (db.schema_steps() + 1) as i64;
        db.write(|tx| match engine {
            Engine::Sqlite => {
                tx.execute_batch(AssertSqlSafe(format!("PRAGMA user_version = {newer}")))
            }
            Engine::Postgres => tx
                .execute("UPDATE schema_version SET version = $1", args![newer])
                .map(drop),
        })
        .unwrap();
        assert!(matches!(
            Db::connect(&url, clock()),
            Err(DbError::TooNew { .. })
        ));
    }
}
