//! The one place that speaks to a database engine: SQLite (one file in the data folder)
//! or PostgreSQL (shared by several instances), both through sqlx's `Any` driver and its
//! connection pool.
//!
//! The rest of the database module is synchronous code run on blocking threads, as the
//! callers are (git and tantivy work sits beside it). The pool is driven by a small runtime
//! of its own, so a call works alike from a request's blocking task, the command line or a
//! test, and the pool's connections never depend on the caller's runtime.

use std::cell::RefCell;
use std::sync::{Arc, Once};
use std::time::Duration;

use sqlx::Executor as _;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};

pub use sqlx::AssertSqlSafe;

mod conn;
pub use conn::{Conn, OptionalExtension, Row};

/// An engine's error, as the statements below report it.
pub type SqlError = sqlx::Error;
pub type SqlResult<T> = Result<T, SqlError>;

/// Which engine a database runs on: some statements are written for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    /// The engine a `database.url` names, or `None` for a scheme chapterhouse does not speak.
    pub fn of_url(url: &str) -> Option<Engine> {
        let scheme = url.split_once(':').map(|(s, _)| s.to_ascii_lowercase())?;
        match scheme.as_str() {
            "sqlite" => Some(Engine::Sqlite),
            "postgres" | "postgresql" => Some(Engine::Postgres),
            _ => None,
        }
    }
}

/// Parameters of a statement, in order: `args![a, b]` binds `$1` and `$2` (each value is
/// copied, so it stays the caller's).
macro_rules! args {
    ($($value:expr),* $(,)?) => {{
        #[allow(unused_mut)]
        let mut args = sqlx::any::AnyArguments::default();
        $( sqlx::Arguments::add(&mut args, &$value).expect("a parameter of a known type"); )*
        args
    }};
}
pub(crate) use args;

/// The runtime that drives the pool. It is shut down without waiting when the last handle
/// goes, so dropping a database is allowed anywhere, even on an async task.
struct Driver(Option<tokio::runtime::Runtime>);

impl Driver {
    fn runtime(&self) -> &tokio::runtime::Runtime {
        self.0.as_ref().expect("the driver runs until dropped")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

/// A pool of connections to one database.
#[derive(Clone)]
pub struct Pool {
    // Dropped before the driver that serves it.
    pool: sqlx::AnyPool,
    url: Arc<str>,
    driver: Arc<Driver>,
    engine: Engine,
}

/// How long a statement waits for another's write to finish, and a caller for a connection.
pub const BUSY_WAIT: Duration = Duration::from_secs(10);

/// A number that every write transaction on PostgreSQL locks for its length
/// (`pg_advisory_xact_lock`): writers take turns there as they do on SQLite, so the
/// read-then-write steps of the module mean the same on both engines.
const WRITERS_LOCK: i64 = 0x0063_6861_7074_6572; // "chapter"

impl Pool {
    /// Connects a pool of at most `size` connections to `url`.
    pub fn connect(url: &str, size: u32) -> SqlResult<Pool> {
        static DRIVERS: Once = Once::new();
        DRIVERS.call_once(sqlx::any::install_default_drivers);
        let engine = Engine::of_url(url).ok_or_else(|| {
            SqlError::Configuration("database.url must start sqlite:// or postgres://".into())
        })?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("chapterhouse-db")
            .enable_all()
            .build()
            .map_err(SqlError::Io)?;
        let driver = Arc::new(Driver(Some(runtime)));
        let options: AnyConnectOptions = url.parse()?;
        let pool = drive(
            driver.runtime(),
            AnyPoolOptions::new()
                .max_connections(size)
                .min_connections(1)
                .acquire_timeout(BUSY_WAIT)
                .after_connect(move |conn, _| {
                    Box::pin(async move {
                        if engine == Engine::Sqlite {
                            conn.execute("PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON")
                                .await?;
                        }
                        Ok(())
                    })
                })
                .connect_with(options),
        )?;
        Ok(Pool {
            pool,
            url: url.into(),
            driver,
            engine,
        })
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// A connection of the pool, for one piece of work.
    pub fn conn(&self) -> SqlResult<Conn<'_>> {
        let pool = self.pool.clone();
        let conn = self.block_on(async move { pool.acquire().await })?;
        Ok(Conn {
            conn: RefCell::new(Some(conn)),
            pool: self,
            in_transaction: std::cell::Cell::new(false),
        })
    }

    /// Runs `work` in one write transaction, committed when it returns `Ok`. Writers take
    /// turns: SQLite's write lock is taken at the start (`BEGIN IMMEDIATE`), PostgreSQL's
    /// transaction takes the writers' lock first.
    pub fn write<T, E: From<SqlError>>(
        &self,
        work: impl FnOnce(&Conn<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        self.transaction(
            |conn| match self.engine {
                Engine::Sqlite => conn.execute("BEGIN IMMEDIATE", args![]).map(drop),
                Engine::Postgres => {
                    conn.execute("BEGIN", args![])?;
                    conn.query_row(
                        "SELECT 1 FROM (SELECT pg_advisory_xact_lock($1)) AS l",
                        args![WRITERS_LOCK],
                        |_| Ok(()),
                    )
                }
            },
            work,
        )
    }

    /// Runs `work` in one write transaction that takes rows with locks of their own
    /// (`FOR UPDATE SKIP LOCKED`) instead of waiting for the writers' turn on PostgreSQL;
    /// on SQLite, as [`Pool::write`].
    pub fn write_claiming<T, E: From<SqlError>>(
        &self,
        work: impl FnOnce(&Conn<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        match self.engine {
            Engine::Sqlite => self.write(work),
            Engine::Postgres => {
                self.transaction(|conn| conn.execute("BEGIN", args![]).map(drop), work)
            }
        }
    }

    /// Runs `work` on one snapshot of the database: every read sees the records as they
    /// stood when it began, whatever is written meanwhile (a copy of the whole).
    pub fn snapshot<T, E: From<SqlError>>(
        &self,
        work: impl FnOnce(&Conn<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        self.transaction(
            |conn| match self.engine {
                // In WAL mode a read transaction keeps the snapshot of its first read.
                Engine::Sqlite => conn.execute_batch("BEGIN; SELECT count(*) FROM sqlite_master"),
                Engine::Postgres => conn
                    .execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", args![])
                    .map(drop),
            },
            work,
        )
    }

    fn transaction<T, E: From<SqlError>>(
        &self,
        begin: impl FnOnce(&Conn<'_>) -> SqlResult<()>,
        work: impl FnOnce(&Conn<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let conn = self.conn()?;
        conn.in_transaction.set(true);
        begin(&conn)?;
        match work(&conn) {
            Ok(out) => {
                conn.execute("COMMIT", args![])?;
                conn.in_transaction.set(false);
                Ok(out)
            }
            Err(e) => {
                if conn.execute("ROLLBACK", args![]).is_ok() {
                    conn.in_transaction.set(false);
                }
                Err(e)
            }
        }
    }

    /// Opens a connection of its own and reads through it: an error when the database
    /// cannot be reached or read, whatever the pool's connections still hold.
    pub fn ping(&self) -> SqlResult<()> {
        use sqlx::Connection as _;
        let url = self.url.clone();
        let engine = self.engine;
        self.block_on(async move {
            let options: AnyConnectOptions = url.parse()?;
            let mut conn = sqlx::AnyConnection::connect_with(&options).await?;
            let probe = match engine {
                Engine::Sqlite => "SELECT count(*) FROM sqlite_master",
                Engine::Postgres => "SELECT 1",
            };
            sqlx::query(probe).fetch_one(&mut conn).await?;
            conn.close().await
        })
    }

    fn block_on<F>(&self, future: F) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        drive(self.driver.runtime(), future)
    }

    /// The address the pool connects to.
    pub fn url(&self) -> &str {
        &self.url
    }
}

/// Runs `future` on `runtime` and waits for it. A caller on a runtime of its own (an
/// async test, a request's task) hands the work over and blocks, as a call to an embedded
/// database would; others drive it themselves.
fn drive<F>(runtime: &tokio::runtime::Runtime, future: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    if tokio::runtime::Handle::try_current().is_err() {
        return runtime.block_on(future);
    }
    let (done, answer) = std::sync::mpsc::sync_channel(1);
    runtime.spawn(async move {
        let _ = done.send(future.await);
    });
    answer
        .recv()
        .expect("the pool's runtime finishes the work it is given")
}
