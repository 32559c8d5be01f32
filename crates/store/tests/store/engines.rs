//! Opens a throw-away store per test on each engine, and the `engines!` macro that runs a test
//! body on each.

use std::ops::Deref;

use rollcall_store::SqlStore;
use sqlx::Connection;

/// Where a test's store lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    /// A named shared-cache in-memory SQLite database: no file, gone when the store closes.
    Memory,
    /// A SQLite file in a temp dir: exports and large pages then use the store's own file
    /// readers instead of the pool, so the tests that reach them also run here.
    File,
    /// A fresh database on the server of `ROLLCALL_TEST_DATABASE_URL`.
    Postgres,
}

/// A store on a fresh database; [`TestDb::finish`] closes it and drops a PostgreSQL database.
pub struct TestDb {
    store: SqlStore,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl Deref for TestDb {
    type Target = SqlStore;
    fn deref(&self) -> &SqlStore {
        &self.store
    }
}

pub async fn open(db: Db) -> TestDb {
    let id = rollcall_store::new_resource_id().to_ascii_lowercase();
    let scratch = tempfile::tempdir().expect("temp dir");
    let (url, dir, pg) = match db {
        Db::Memory => (
            format!("sqlite:file:rollcall_store_{id}?mode=memory&cache=shared"),
            None,
            None,
        ),
        Db::File => (
            format!(
                "sqlite://{}?mode=rwc",
                scratch.path().join("t.db").display()
            ),
            Some(scratch),
            None,
        ),
        Db::Postgres => {
            let admin = match std::env::var("ROLLCALL_TEST_DATABASE_URL") {
                Ok(u) if !u.trim().is_empty() => u,
                // Only reached with --include-ignored: a run that asked for PostgreSQL must not pass without it.
                _ => panic!("set ROLLCALL_TEST_DATABASE_URL to a PostgreSQL server the tests may create databases on"),
            };
            let name = format!("rollcall_store_{id}");
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .expect("connect to the test PostgreSQL");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .expect("create a test database");
            conn.close().await.ok();
            let (base, _) = admin.rsplit_once('/').expect("admin URL names a database");
            (format!("{base}/{name}"), None, Some((admin, name)))
        }
    };
    let store = SqlStore::open(&url, std::path::Path::new("unused"))
        .await
        .expect("open the store");
    TestDb {
        store,
        _dir: dir,
        pg,
    }
}

impl TestDb {
    /// Closes the store and drops its PostgreSQL database. Not called when the test panics, so
    /// a failing test leaves its database to look at.
    pub async fn finish(self) {
        self.store.close().await;
        if let Some((admin, name)) = self.pg {
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .expect("connect to the test PostgreSQL");
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn)
                .await
                .expect("drop the test database");
            conn.close().await.ok();
        }
    }
}

/// Runs `async fn name(s: &SqlStore)` on in-memory SQLite and on PostgreSQL (`name::sqlite`,
/// `name::postgres`); `engines!(file: name)` also on a SQLite file (`name::sqlite_file`). The
/// PostgreSQL half is ignored when `ROLLCALL_TEST_DATABASE_URL` was unset at build time (the
/// `rollcall_no_pg` cfg of `build.rs`), so that it never reports a pass it did not run.
macro_rules! engines {
    (@one $name:ident, $fn:ident, $db:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $fn() {
            let db = $crate::engines::open($crate::engines::Db::$db).await;
            super::$name(&db).await;
            db.finish().await;
        }
    };
    (@pg $name:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        #[cfg_attr(
            rollcall_no_pg,
            ignore = "set ROLLCALL_TEST_DATABASE_URL to a PostgreSQL server the tests may create databases on"
        )]
        async fn postgres() {
            let db = $crate::engines::open($crate::engines::Db::Postgres).await;
            super::$name(&db).await;
            db.finish().await;
        }
    };
    (file: $($name:ident),* $(,)?) => {
        $(
            mod $name {
                engines!(@one $name, sqlite, Memory);
                engines!(@one $name, sqlite_file, File);
                engines!(@pg $name);
            }
        )*
    };
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                engines!(@one $name, sqlite, Memory);
                engines!(@pg $name);
            }
        )*
    };
}
