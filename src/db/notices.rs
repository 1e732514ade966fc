//! Telling other instances that the store moved (PostgreSQL's `LISTEN`/`NOTIFY`): the
//! writer notifies after a push, replicas listening fetch at once instead of waiting for
//! their interval.

use super::engine::{Engine, args};
use super::{Db, DbError};

/// The channel the writer notifies on.
const STORE_MOVED: &str = "chapterhouse_store";

/// Notices that the store moved, as they arrive.
pub struct StoreNotices(sqlx::postgres::PgListener);

impl StoreNotices {
    /// Waits for the next notice. After a lost connection it reconnects and answers at
    /// once (a notice may have been missed meanwhile).
    pub async fn next(&mut self) -> Result<(), DbError> {
        self.0
            .recv()
            .await
            .map(drop)
            .map_err(|source| DbError::Engine {
                path: "notices".into(),
                source,
            })
    }
}

impl Db {
    /// Tells every listening instance that the store moved (PostgreSQL only).
    pub fn notify_store_moved(&self) -> Result<(), DbError> {
        if self.engine() != Engine::Postgres {
            return Ok(());
        }
        self.conn()?
            .query_row(
                "SELECT 1 FROM (SELECT pg_notify($1, '')) AS n",
                args![STORE_MOVED],
                |_| Ok(()),
            )
            .map_err(|e| self.err(e))
    }

    /// Listens for the writer's notices, on the caller's runtime; `None` on SQLite, where
    /// no other instance shares the database.
    pub async fn store_notices(&self) -> Result<Option<StoreNotices>, DbError> {
        if self.engine() != Engine::Postgres {
            return Ok(None);
        }
        let err = |source| DbError::Engine {
            path: self.path.clone(),
            source,
        };
        let mut listener = sqlx::postgres::PgListener::connect(self.pool.url())
            .await
            .map_err(err)?;
        listener.listen(STORE_MOVED).await.map_err(err)?;
        Ok(Some(StoreNotices(listener)))
    }
}
