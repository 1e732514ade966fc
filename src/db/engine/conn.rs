//! One connection of the pool, the statements run on it, and the rows they answer.

use std::cell::RefCell;

use futures_util::future::BoxFuture;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::pool::PoolConnection;
use sqlx::{Any, ColumnIndex, Decode, Row as _, SqlSafeStr, Type};

use super::{Engine, Pool, SqlError, SqlResult};

/// One connection taken from the pool, given back when dropped.
pub struct Conn<'p> {
    pub(super) conn: RefCell<Option<PoolConnection<Any>>>,
    pub(super) pool: &'p Pool,
    /// True inside [`Pool::write`]: a connection dropped then (a panic) is closed, never
    /// given back with its transaction open.
    pub(super) in_transaction: std::cell::Cell<bool>,
}

/// One row of an answer; `get(i)` reads column `i` (from 0).
pub struct Row<'r>(&'r AnyRow);

impl Row<'_> {
    pub fn get<'r, I, T>(&'r self, index: I) -> SqlResult<T>
    where
        I: ColumnIndex<AnyRow>,
        T: Decode<'r, Any> + Type<Any>,
    {
        self.0.try_get(index)
    }

    /// A yes-or-no column: an integer on SQLite, a boolean or an integer on PostgreSQL.
    pub fn flag<I: ColumnIndex<AnyRow> + Copy>(&self, index: I) -> SqlResult<bool> {
        match self.0.try_get::<i64, _>(index) {
            Ok(n) => Ok(n != 0),
            Err(_) => self.0.try_get::<bool, _>(index),
        }
    }
}

impl Conn<'_> {
    pub fn engine(&self) -> Engine {
        self.pool.engine
    }

    /// Runs `work` on this connection, on the pool's runtime.
    fn with<T: Send + 'static>(
        &self,
        work: impl for<'c> FnOnce(&'c mut sqlx::AnyConnection) -> BoxFuture<'c, T> + Send + 'static,
    ) -> T {
        let mut slot = self.conn.borrow_mut();
        let mut conn = slot.take().expect("a connection until dropped");
        let (conn, out) = self.pool.block_on(async move {
            let out = work(&mut conn).await;
            (conn, out)
        });
        *slot = Some(conn);
        out
    }

    /// Runs a statement; the number of rows it changed.
    pub fn execute(&self, sql: impl SqlSafeStr, args: AnyArguments) -> SqlResult<usize> {
        let sql = sql.into_sql_str();
        self.with(move |c| {
            Box::pin(async move {
                Ok(sqlx::query_with(sql, args)
                    .execute(c)
                    .await?
                    .rows_affected() as usize)
            })
        })
    }

    /// The first row of an answer, read by `read`; `RowNotFound` when there is none.
    pub fn query_row<T>(
        &self,
        sql: impl SqlSafeStr,
        args: AnyArguments,
        read: impl FnOnce(&Row<'_>) -> SqlResult<T>,
    ) -> SqlResult<T> {
        let sql = sql.into_sql_str();
        let row = self.with(move |c| {
            Box::pin(async move { sqlx::query_with(sql, args).fetch_optional(c).await })
        })?;
        match row {
            Some(row) => read(&Row(&row)),
            None => Err(SqlError::RowNotFound),
        }
    }

    /// Every row of an answer, each read by `read`.
    pub fn query_map<T>(
        &self,
        sql: impl SqlSafeStr,
        args: AnyArguments,
        mut read: impl FnMut(&Row<'_>) -> SqlResult<T>,
    ) -> SqlResult<Vec<T>> {
        let sql = sql.into_sql_str();
        let rows = self.with(move |c| {
            Box::pin(async move { sqlx::query_with(sql, args).fetch_all(c).await })
        })?;
        rows.iter().map(|row| read(&Row(row))).collect()
    }

    /// Runs statements with no parameters, one after another (a migration).
    pub fn execute_batch(&self, sql: impl SqlSafeStr) -> SqlResult<()> {
        let sql = sql.into_sql_str();
        self.with(move |c| {
            Box::pin(async move {
                sqlx::raw_sql(sql).execute(c).await?;
                Ok(())
            })
        })
    }
}

impl Drop for Conn<'_> {
    fn drop(&mut self) {
        // Giving a connection back may start work on the pool's runtime.
        let _runtime = self.pool.driver.runtime().enter();
        if let Some(conn) = self.conn.get_mut().take()
            && self.in_transaction.get()
        {
            // A transaction left open (its rollback failed) is closed with the connection.
            drop(conn.detach());
        }
    }
}

/// `None` for no row, as an optional answer.
pub trait OptionalExtension<T> {
    fn optional(self) -> SqlResult<Option<T>>;
}

impl<T> OptionalExtension<T> for SqlResult<T> {
    fn optional(self) -> SqlResult<Option<T>> {
        match self {
            Ok(value) => Ok(Some(value)),
            Err(SqlError::RowNotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
