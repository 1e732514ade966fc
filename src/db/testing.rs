//! Test support: a fresh database on each engine, SQLite in a temporary folder and
//! PostgreSQL on the test server (`tests/support/postgres.rs`), and `on_each_engine!`,
//! which makes one test per engine of each function `fn name(engine: Engine)`.

use super::{Db, Engine};
use crate::clock::Clock;

#[path = "../../tests/support/postgres.rs"]
mod postgres;

/// What keeps a scratch database alive: the SQLite file's folder.
pub struct Scratch {
    _dir: tempfile::TempDir,
}

/// A new, empty database on `engine`.
pub fn scratch(engine: Engine, clock: Clock) -> (Scratch, Db) {
    let dir = tempfile::tempdir().unwrap();
    let db = match engine {
        Engine::Sqlite => Db::open(&dir.path().join("db.sqlite"), clock),
        Engine::Postgres => Db::connect(&postgres::database_url(), clock),
    }
    .unwrap();
    (Scratch { _dir: dir }, db)
}

/// The address of a new, empty PostgreSQL database.
pub fn postgres_url() -> String {
    postgres::database_url()
}

/// One test per engine for each named function `fn name(engine: Engine)`: `sqlite::name`
/// and `postgres::name`; names after `async;` are async functions, run on a runtime.
macro_rules! on_each_engine {
    ($($name:ident),* $(,)? $(; async $($async_name:ident),* $(,)?)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$name($crate::db::Engine::Sqlite) } )*
            $($( #[tokio::test] async fn $async_name() {
                super::$async_name($crate::db::Engine::Sqlite).await
            } )*)?
        }
        mod postgres {
            $( #[test] fn $name() { super::$name($crate::db::Engine::Postgres) } )*
            $($( #[tokio::test] async fn $async_name() {
                super::$async_name($crate::db::Engine::Postgres).await
            } )*)?
        }
    };
}
pub(crate) use on_each_engine;
