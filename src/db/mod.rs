//! chapterhouse's own records (editors, subscribers, the delivery ledger) in one SQLite
//! file in the data folder. Its schema moves forward by numbered migrations, recorded in
//! SQLite's `user_version`; each runs in a transaction, so a failed one leaves the file
//! as it was.

mod editors;
mod proposals;
mod sessions;
mod subscribers;
mod upkeep;
pub use upkeep::Problem;
#[cfg(test)]
mod workspace_tests;

pub use editors::{Editor, EditorError, NewEditor, Role};
pub use proposals::{
    NewProposal, Proposal, ProposalError, ReleaseEvent, ReleaseEventKind, ReleaseRecord,
};
pub use sessions::{
    SESSION_IDLE, SIGNIN_EMAIL_INTERVAL, SIGNIN_LINK_LIFETIME, Session, SigninRefused,
    SigninRequest,
};
pub use subscribers::{
    CONFIRMATION_LIFETIME, Delivery, DeliveryState, Frequency, LetterError, NewSubscriber,
    Subscribed, Subscriber, SubscriberError, TokenKey, normalise_address, subscription_letter,
};

use std::path::Path;

use r2d2_sqlite::SqliteConnectionManager;

use crate::clock::Clock;
use rusqlite::{Connection, OptionalExtension};

/// The schema, one step per migration, oldest first. Never edit a published step: add one.
const MIGRATIONS: &[&str] = &[
    // 1: editors and their token hashes.
    "CREATE TABLE editors (
        id          INTEGER PRIMARY KEY,
        name        TEXT NOT NULL,
        email       TEXT NOT NULL,
        role        TEXT NOT NULL CHECK (role IN ('editor', 'publisher')),
        token_hash  BLOB NOT NULL,
        created_at  TEXT NOT NULL,
        revoked_at  TEXT
    );",
    // 2: subscribers, the manuals they follow, confirmations, and the delivery ledger.
    "CREATE TABLE subscribers (
        id            INTEGER PRIMARY KEY,
        email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
        frequency     TEXT NOT NULL CHECK (frequency IN ('monthly', 'immediate')),
        all_manuals   INTEGER NOT NULL DEFAULT 0,
        confirmed_at  TEXT,
        created_at    TEXT NOT NULL,
        failures      INTEGER NOT NULL DEFAULT 0,
        flagged_at    TEXT
    );
    CREATE TABLE subscriber_manuals (
        subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
        manual        TEXT NOT NULL,
        PRIMARY KEY (subscriber_id, manual)
    ) WITHOUT ROWID;
    CREATE TABLE confirmations (
        token_hash    BLOB PRIMARY KEY,
        subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
        expires_at    TEXT NOT NULL
    );
    CREATE TABLE deliveries (
        id            INTEGER PRIMARY KEY,
        subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
        period        TEXT NOT NULL,
        state         TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
        attempts      INTEGER NOT NULL DEFAULT 0,
        last_error    TEXT,
        updated_at    TEXT NOT NULL,
        UNIQUE (subscriber_id, period)
    );
    CREATE INDEX deliveries_by_period ON deliveries (period, state);
    CREATE TABLE periods (
        period        TEXT PRIMARY KEY,
        finished_at   TEXT
    );
    CREATE TABLE secrets (
        name          TEXT PRIMARY KEY,
        value         BLOB NOT NULL
    );",
    // 3: the editors' workspace: sign-in links, browser sessions, and the review of
    // releases (proposals and their events: proposed, approved, withdrawn, published).
    "CREATE TABLE signin_links (
        token_hash    BLOB PRIMARY KEY,
        editor_id     INTEGER NOT NULL REFERENCES editors(id) ON DELETE CASCADE,
        created_at    TEXT NOT NULL,
        expires_at    TEXT NOT NULL,
        used_at       TEXT
    );
    CREATE TABLE signin_requests (
        email         TEXT PRIMARY KEY,
        last_sent_at  TEXT NOT NULL
    );
    CREATE TABLE sessions (
        token_hash    BLOB PRIMARY KEY,
        editor_id     INTEGER NOT NULL REFERENCES editors(id) ON DELETE CASCADE,
        csrf          TEXT NOT NULL,
        created_at    TEXT NOT NULL,
        last_seen_at  TEXT NOT NULL,
        ended_at      TEXT
    );
    CREATE TABLE proposals (
        id            INTEGER PRIMARY KEY,
        manual        TEXT NOT NULL,
        name          TEXT NOT NULL,
        date          TEXT,
        notes         TEXT NOT NULL,
        base          TEXT NOT NULL,
        proposed_by   INTEGER NOT NULL REFERENCES editors(id),
        proposed_at   TEXT NOT NULL,
        state         TEXT NOT NULL CHECK (state IN ('open', 'withdrawn', 'published'))
    );
    CREATE UNIQUE INDEX one_open_proposal ON proposals (manual) WHERE state = 'open';
    CREATE TABLE release_events (
        id            INTEGER PRIMARY KEY,
        manual        TEXT NOT NULL,
        release       TEXT NOT NULL,
        proposal_id   INTEGER REFERENCES proposals(id),
        kind          TEXT NOT NULL CHECK (kind IN ('proposed', 'approved', 'withdrawn', 'published')),
        editor_id     INTEGER REFERENCES editors(id),
        editor_name   TEXT NOT NULL,
        at            TEXT NOT NULL,
        reason        TEXT
    );
    CREATE INDEX release_events_by_manual ON release_events (manual, release);
    CREATE UNIQUE INDEX one_approval_each ON release_events (proposal_id, editor_id) WHERE kind = 'approved';",
    // 4: when each kind of email last went to an address (at most one per address in a
    // while), the version of a subscriber's manage/unsubscribe links (rotated on request;
    // version 0 is the links made before), and the unsubscribe links already used (so a
    // second click is answered as the first, and a made-up link is not).
    "CREATE TABLE mail_sent (
        kind          TEXT NOT NULL,
        email         TEXT NOT NULL,
        last_sent_at  TEXT NOT NULL,
        PRIMARY KEY (kind, email)
    ) WITHOUT ROWID;
    ALTER TABLE subscribers ADD COLUMN token_version INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE ended_links (
        token_hash    BLOB PRIMARY KEY,
        ended_at      TEXT NOT NULL
    );",
];

/// What can go wrong with the database.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database {path}: {source}")]
    Sqlite {
        path: String,
        source: rusqlite::Error,
    },
    #[error("database {path}: no connection: {reason}")]
    Pool { path: String, reason: String },
    #[error(
        "database {path} is at schema version {found}, newer than this chapterhouse knows ({known}); upgrade chapterhouse"
    )]
    TooNew {
        path: String,
        found: usize,
        known: usize,
    },
}

/// A connection taken from the pool.
type Conn = r2d2::PooledConnection<SqliteConnectionManager>;

/// The database file, through a pool of connections. SQLite runs in WAL mode, so readers
/// never wait for the writer; writers take turns (each waits up to `BUSY_WAIT`).
#[derive(Clone)]
pub struct Db {
    pool: r2d2::Pool<SqliteConnectionManager>,
    path: String,
    /// What "now" is for records' times and tokens' expiry.
    clock: Clock,
}

/// How long a connection waits for another's write to finish.
const BUSY_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Connections kept open at most.
const POOL_SIZE: u32 = 8;

impl Db {
    /// Opens (creating when missing) the database and brings its schema up to date.
    pub fn open(path: &Path, clock: Clock) -> Result<Db, DbError> {
        let label = path.display().to_string();
        let err = |source| DbError::Sqlite {
            path: label.clone(),
            source,
        };
        let mut conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(BUSY_WAIT).map_err(err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(err)?;
        let version: usize = conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(err)?;
        if version > MIGRATIONS.len() {
            return Err(DbError::TooNew {
                path: label,
                found: version,
                known: MIGRATIONS.len(),
            });
        }
        for (i, step) in MIGRATIONS.iter().enumerate().skip(version) {
            let tx = conn.transaction().map_err(err)?;
            tx.execute_batch(step).map_err(err)?;
            tx.pragma_update(None, "user_version", i + 1).map_err(err)?;
            tx.commit().map_err(err)?;
        }
        drop(conn);
        let manager = SqliteConnectionManager::file(path).with_init(|c| {
            c.busy_timeout(BUSY_WAIT)?;
            c.pragma_update(None, "foreign_keys", "ON")
        });
        let pool = r2d2::Pool::builder()
            .max_size(POOL_SIZE)
            .min_idle(Some(1))
            .connection_timeout(BUSY_WAIT)
            .build(manager)
            .map_err(|e| DbError::Pool {
                path: label.clone(),
                reason: e.to_string(),
            })?;
        Ok(Db {
            pool,
            path: label,
            clock,
        })
    }

    /// The time now, as records store it.
    fn now(&self) -> String {
        self.clock.now().to_rfc3339()
    }

    /// A connection of the pool, for one piece of work.
    fn conn(&self) -> Result<Conn, DbError> {
        self.pool.get().map_err(|e| DbError::Pool {
            path: self.path.clone(),
            reason: e.to_string(),
        })
    }

    fn err(&self, source: rusqlite::Error) -> DbError {
        DbError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Runs `work` in one write transaction, committed when it returns `Ok`. The write
    /// lock is taken at the start (IMMEDIATE), so a writer waits its turn instead of
    /// failing when another wrote first.
    fn write<T>(
        &self,
        work: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<T>,
    ) -> Result<T, DbError> {
        let mut conn = self.conn()?;
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| self.err(e))?;
        let out = work(&tx).map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))?;
        Ok(out)
    }
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
                    "SELECT last_sent_at FROM mail_sent WHERE kind = ?1 AND email = ?2",
                    rusqlite::params![kind, email],
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
                "INSERT INTO mail_sent (kind, email, last_sent_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (kind, email) DO UPDATE SET last_sent_at = excluded.last_sent_at",
                rusqlite::params![kind, email, now.to_rfc3339()],
            )?;
            Ok(true)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock() -> Clock {
        Clock::system(chrono_tz::Europe::London)
    }

    #[test]
    fn migrations_run_once_and_a_newer_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        Db::open(&path, clock()).unwrap();
        Db::open(&path, clock()).unwrap();
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", MIGRATIONS.len() + 1)
            .unwrap();
        drop(conn);
        assert!(matches!(
            Db::open(&path, clock()),
            Err(DbError::TooNew { .. })
        ));
    }
}
