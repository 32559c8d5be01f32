//! Opening the store: the pools of either engine, migrations, the lookup catalogue, and the
//! few things every aggregate's SQL shares (the write transaction, rendering for the engine).
//!
//! Both engines share every query: times are BIGINT milliseconds, booleans BOOLEAN, placeholders
//! `$1..$n` in order of appearance (which SQLite also numbers that way). Where the engines differ
//! (schema details, pool shape) the difference is spelled out here, keyed on [`Engine`].

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use rand::distributions::{Alphanumeric, DistString};
use sea_query::{
    Alias, Expr, InsertStatement, PostgresQueryBuilder, QueryStatementWriter, SelectStatement,
    SqliteQueryBuilder, Value, Values,
};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, ConnectOptions, Executor, Row};

use crate::columns::Columns;
use crate::query::SearchSpec;
use crate::rows::{apply_order, bind_values, get_i64, get_str, FromColumns};
use crate::{catalog, DatabaseStore, PoolStats, ReplicaStatus, Result, StoreError};

/// Which database engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// Embedded SQLite file (the default).
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// A write transaction of the store ([`SqlStore::write_tx`]).
pub(crate) type WriteTx = sqlx::Transaction<'static, sqlx::Any>;

/// The store. Cheap to clone.
#[derive(Clone)]
pub struct SqlStore {
    pub(crate) engine: Engine,
    /// Reads (and, on PostgreSQL, writes).
    pub(crate) pool: AnyPool,
    /// Writes. On SQLite a single connection, so that writers queue in-process instead of
    /// failing with SQLITE_BUSY when two transactions try to upgrade to a write lock.
    pub(crate) writer: AnyPool,
    /// The SQLite database file, for the export cursor (`None` on PostgreSQL and for in-memory
    /// SQLite, which then export through the pool).
    pub(crate) sqlite_file: Option<std::path::PathBuf>,
    /// Native PostgreSQL options, for the export cursor's own connection.
    pub(crate) pg_export: Option<sqlx::postgres::PgConnectOptions>,
    /// Most connections `pool` opens.
    pub(crate) pool_max: u32,
    /// Whether a database file was readable by other users when it was opened.
    pub(crate) files_were_exposed: bool,
    /// The streaming replica reads may use (`replica.rs`).
    pub(crate) replica: Option<std::sync::Arc<crate::replica::Replica>>,
}

/// Connections of the read pool on SQLite (besides its single writer) when no size is given.
pub const DEFAULT_SQLITE_POOL_SIZE: u32 = 8;
/// Connections of the pool on PostgreSQL when no size is given.
pub const DEFAULT_POSTGRES_POOL_SIZE: u32 = 16;
/// The largest pool size [`SqlStore::open_with_pool_size`] accepts.
pub const MAX_POOL_SIZE: u32 = 1000;

/// Whether `n` is an accepted pool size; the `Err` says what is (`must be ..., not n`).
pub fn check_pool_size(n: u32) -> std::result::Result<(), String> {
    if n == 0 || n > MAX_POOL_SIZE {
        return Err(format!(
            "must be a whole number from 1 to {MAX_POOL_SIZE}, not {n}"
        ));
    }
    Ok(())
}

/// A new random 12-character base62 resource id.
pub fn new_resource_id() -> String {
    Alphanumeric.sample_string(
        &mut rand::thread_rng(),
        rollcall_types::ids::RESOURCE_ID_LEN,
    )
}

pub(crate) fn now_millis() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl SqlStore {
    /// Opens the database named by `database_url` (empty: `rollcall.db` in `data_dir`), applies
    /// the engine's migrations and seeds the lookup catalogues. The pool has its default size
    /// ([`DEFAULT_SQLITE_POOL_SIZE`], [`DEFAULT_POSTGRES_POOL_SIZE`]).
    pub async fn open(database_url: &str, data_dir: &Path) -> Result<Self> {
        Self::open_with_pool_size(database_url, data_dir, None).await
    }

    /// [`SqlStore::open`] with the pool's size: the most connections it opens (on SQLite the
    /// readers, besides the one writer); `None` for the engine's default. A size of 0 or above
    /// [`MAX_POOL_SIZE`] is refused with [`StoreError::Config`].
    pub async fn open_with_pool_size(
        database_url: &str,
        data_dir: &Path,
        pool_size: Option<u32>,
    ) -> Result<Self> {
        let store = Self::connect(database_url, data_dir, pool_size, false).await?;
        store.migrate().await?;
        store.seed_catalog().await?;
        store.remember_exposure().await?;
        Ok(store)
    }

    /// Notes in the database that its files were readable by others, so that the next server
    /// start replaces the signing key whichever process found them open.
    async fn remember_exposure(&self) -> Result<()> {
        if self.files_were_exposed {
            sqlx::query(
                "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            )
            .bind(crate::keys::EXPOSED_SETTING)
            .bind(now_millis().to_string())
            .execute(&self.writer)
            .await?;
        }
        Ok(())
    }

    /// Opens a database that a server of this version has already migrated, without changing
    /// its schema: for tools (`rollcall keys`) that must not migrate a production database
    /// ahead of its servers. A schema older or newer than this version is refused, saying so.
    pub async fn open_existing(database_url: &str, data_dir: &Path) -> Result<Self> {
        let store = Self::connect(database_url, data_dir, Some(1), true).await?;
        let wanted = store
            .migrator()
            .iter()
            .map(|m| m.version)
            .max()
            .unwrap_or(0);
        let applied: i64 = match sqlx::query(
            "SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) AS v FROM _sqlx_migrations WHERE success",
        )
        .fetch_one(&store.pool)
        .await
        {
            Ok(row) => get_i64(&row, "v")?,
            Err(e) => {
                store.close().await;
                return Err(StoreError::Config(format!(
                    "cannot read the database's schema version ({e}); is it a rollcall database that a server has started on?"
                )));
            }
        };
        if applied != wanted {
            store.close().await;
            return Err(StoreError::Config(if applied < wanted {
                format!("the database's schema (version {applied}) is older than this rollcall's ({wanted}); start the servers of this version first (rollcall serve migrates it), then run this again")
            } else {
                format!("the database's schema (version {applied}) is newer than this rollcall's ({wanted}); use the rollcall version the servers run")
            }));
        }
        store.remember_exposure().await?;
        Ok(store)
    }

    fn migrator(&self) -> sqlx::migrate::Migrator {
        match self.engine {
            Engine::Sqlite => sqlx::migrate!("./migrations/sqlite"),
            Engine::Postgres => sqlx::migrate!("./migrations/postgres"),
        }
    }

    /// The pools and file checks of [`SqlStore::open_with_pool_size`], without migrating.
    /// `must_exist`: an SQLite file that is missing is an error instead of a new database.
    async fn connect(
        database_url: &str,
        data_dir: &Path,
        pool_size: Option<u32>,
        must_exist: bool,
    ) -> Result<Self> {
        if let Some(n) = pool_size {
            check_pool_size(n)
                .map_err(|e| StoreError::Config(format!("the database pool size {e}")))?;
        }
        sqlx::any::install_default_drivers();
        let url = database_url.trim();
        let store = if url.is_empty() || url.starts_with("sqlite:") {
            let in_data_dir = url.is_empty();
            let url = if url.is_empty() {
                if must_exist && !data_dir.join("rollcall.db").exists() {
                    return Err(StoreError::Config(format!(
                        "no rollcall database in {}: point --data-dir at the server's data directory, or --database-url at its database",
                        data_dir.display()
                    )));
                }
                crate::files::private_dir(data_dir)?;
                format!(
                    "sqlite://{}?mode=rwc",
                    data_dir.join("rollcall.db").display()
                )
            } else {
                url.to_owned()
            };
            let file = sqlx::sqlite::SqliteConnectOptions::from_str(&url)?
                .get_filename()
                .to_path_buf();
            let on_disk = !file.as_os_str().is_empty()
                && !file.starts_with(":memory:")
                && !file.to_string_lossy().starts_with("file:");
            let mut files_were_exposed = false;
            if must_exist && on_disk && !file.exists() {
                return Err(StoreError::Config(format!(
                    "no database at {}: point --data-dir or --database-url at the server's database",
                    file.display()
                )));
            }
            if on_disk {
                // Before SQLite opens it: a file it creates gets the process umask's mode.
                files_were_exposed |= crate::files::private_file(&file, in_data_dir)?;
            }
            let opts = AnyConnectOptions::from_str(&url)?.disable_statement_logging();
            let writer = AnyPoolOptions::new()
                .max_connections(1)
                .after_connect(sqlite_writer_pragmas)
                .connect_with(opts.clone())
                .await?;
            // WAL lets readers run beside the writer and see a consistent snapshot.
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&writer)
                .await?;
            if on_disk {
                // WAL and SHM files left by an older version may be wider than the database.
                for f in crate::files::database_files(&file) {
                    files_were_exposed |= crate::files::private_file(&f, false)?;
                }
            }
            let pool_max = pool_size.unwrap_or(DEFAULT_SQLITE_POOL_SIZE);
            let pool = AnyPoolOptions::new()
                .max_connections(pool_max)
                .after_connect(sqlite_pragmas)
                .connect_with(opts)
                .await?;
            Self {
                engine: Engine::Sqlite,
                pool,
                writer,
                sqlite_file: on_disk.then_some(file),
                pg_export: None,
                pool_max,
                files_were_exposed,
                replica: None,
            }
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = AnyConnectOptions::from_str(url)?.disable_statement_logging();
            let native = sqlx::postgres::PgConnectOptions::from_str(url)?
                .application_name("rollcall export")
                .disable_statement_logging();
            let pool_max = pool_size.unwrap_or(DEFAULT_POSTGRES_POOL_SIZE);
            let pool = AnyPoolOptions::new()
                .max_connections(pool_max)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            Self {
                engine: Engine::Postgres,
                writer: pool.clone(),
                pool,
                sqlite_file: None,
                pg_export: Some(native),
                pool_max,
                files_were_exposed: false,
                replica: None,
            }
        } else {
            return Err(StoreError::Config(format!(
                "unsupported database URL '{url}': use an empty value (SQLite in the data dir), sqlite://FILE or postgres://..."
            )));
        };
        Ok(store)
    }

    async fn migrate(&self) -> Result<()> {
        // PostgreSQL's migrator holds an advisory lock, so replicas starting together apply each
        // migration once; SQLite serialises through its file lock.
        self.migrator().run(&self.writer).await?;
        Ok(())
    }

    async fn seed_catalog(&self) -> Result<()> {
        let mut tx = self.write_tx().await?;
        for (i, (kind, id, name, code)) in catalog::ENTRIES.iter().enumerate() {
            sqlx::query(
                "INSERT INTO lookups (kind, resource_id, name, name_lower, code, sort_order) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (kind, resource_id) DO UPDATE SET name = excluded.name, name_lower = excluded.name_lower, code = excluded.code, sort_order = excluded.sort_order",
            )
            .bind(kind.as_str())
            .bind(*id)
            .bind(*name)
            .bind(name.to_lowercase())
            .bind(code.map(str::to_owned))
            .bind(i as i64)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// ` FOR UPDATE` on PostgreSQL: a row read before it is changed stays as read until the
    /// transaction ends. SQLite has a single writer connection, so the row cannot change under
    /// us there.
    pub(crate) fn for_update(&self) -> &'static str {
        match self.engine {
            Engine::Postgres => " FOR UPDATE",
            Engine::Sqlite => "",
        }
    }

    /// ` FOR SHARE` on PostgreSQL: a row read stays until the transaction ends (a delete
    /// waits), while others may still refer to it (foreign keys) or read it. Nothing on SQLite,
    /// as [`for_update`](Self::for_update).
    pub(crate) fn for_share(&self) -> &'static str {
        match self.engine {
            Engine::Postgres => " FOR SHARE",
            Engine::Sqlite => "",
        }
    }

    /// A write transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`): a
    /// deferred one that reads first and writes after another process has written (`rollcall
    /// keys rotate`, a second server on the same file) fails with SQLITE_BUSY at once instead
    /// of waiting on the busy timeout.
    pub(crate) async fn write_tx(&self) -> Result<WriteTx> {
        crate::replica::writing();
        Ok(match self.engine {
            Engine::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await?,
            Engine::Postgres => self.writer.begin().await?,
        })
    }

    /// Renders `stmt` and runs it on `conn` (a write transaction's); rows affected. The error
    /// stays sqlx's, so that a caller can tell a unique violation ([`crate::rows::or_conflict`]).
    pub(crate) async fn execute<S: QueryStatementWriter>(
        &self,
        conn: &mut AnyConnection,
        stmt: &S,
    ) -> sqlx::Result<u64> {
        let (sql, values) = self.render(stmt);
        let done = bind_values(sqlx::query(&sql), &values)
            .execute(conn)
            .await?;
        Ok(done.rows_affected())
    }

    /// Runs `insert` (one row) on `conn` and reads the new row's `id` column back. The error
    /// stays sqlx's, as [`execute`](Self::execute)'s.
    pub(crate) async fn insert_returning_id<C: Columns>(
        &self,
        conn: &mut AnyConnection,
        mut insert: InsertStatement,
        id: C,
    ) -> sqlx::Result<i64> {
        let (sql, values) = self.render(insert.returning_col(id));
        let row = bind_values(sqlx::query(&sql), &values)
            .fetch_one(conn)
            .await?;
        row.try_get(0)
    }

    /// Runs a count (a statement from [`crate::rows::count_select`]) on the read pool.
    pub(crate) async fn count(&self, stmt: &SelectStatement) -> Result<i64> {
        let (sql, values) = self.render(stmt);
        let row = bind_values(sqlx::query(&sql), &values)
            .fetch_one(&self.pool)
            .await?;
        get_i64(&row, "n")
    }

    /// The row of `C`'s table whose `column` equals `value`, decoded; when `lock`, read
    /// [`for_update`](Self::for_update) inside the caller's transaction.
    pub(crate) async fn row_where<'c, C: Columns, T: FromColumns>(
        &self,
        db: impl sqlx::Executor<'c, Database = sqlx::Any>,
        column: C,
        value: impl Into<Value>,
        lock: bool,
    ) -> Result<Option<T>> {
        self.row_matching(db, [(column, value.into())], lock).await
    }

    /// The row of `C`'s table whose columns equal the values given (a unique key: the first
    /// row found is returned), as [`row_where`](Self::row_where) reads it.
    pub(crate) async fn row_matching<'c, C: Columns, T: FromColumns>(
        &self,
        db: impl sqlx::Executor<'c, Database = sqlx::Any>,
        key: impl IntoIterator<Item = (C, Value)>,
        lock: bool,
    ) -> Result<Option<T>> {
        let (columns, values): (Vec<C>, Vec<Value>) = key.into_iter().unzip();
        // Column names come from the enum, never from input; the values are bound.
        let condition = columns
            .iter()
            .enumerate()
            .map(|(n, column)| format!("{} = ${}", column.name(), n + 1))
            .collect::<Vec<_>>()
            .join(" AND ");
        let sql = format!(
            "SELECT {} FROM {} WHERE {condition}{}",
            C::SELECT,
            C::TABLE,
            if lock { self.for_update() } else { "" }
        );
        let row = bind_values(sqlx::query(&sql), &Values(values))
            .fetch_optional(db)
            .await?;
        row.as_ref().map(T::from_columns).transpose()
    }

    /// A company's row of `C`'s table by resource id (`key` names the table's company and
    /// resource id columns), as [`row_matching`](Self::row_matching) reads it: the look-up of
    /// every company-scoped aggregate, so that another company's id is simply not found.
    pub(crate) async fn company_row<'c, C: Columns, T: FromColumns>(
        &self,
        db: impl sqlx::Executor<'c, Database = sqlx::Any>,
        [company, resource]: [C; 2],
        (company_id, resource_id): (i64, &str),
        lock: bool,
    ) -> Result<Option<T>> {
        let key = [(company, company_id.into()), (resource, resource_id.into())];
        self.row_matching(db, key, lock).await
    }

    /// The row of `C`'s table to change, read and locked in the change's transaction `tx`;
    /// [`StoreError::NotFound`] when there is none.
    pub(crate) async fn row_to_change<C: Columns, T: FromColumns>(
        &self,
        tx: &mut WriteTx,
        column: C,
        value: impl Into<Value>,
    ) -> Result<T> {
        self.row_where(&mut **tx, column, value, true)
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// One page of a search and the number of rows it matches. `filtered` is the search's FROM
    /// and WHERE without a column (the count and the page add theirs); `columns` starts with
    /// `T`'s read columns.
    pub(crate) async fn search_page<T: FromColumns>(
        &self,
        filtered: SelectStatement,
        columns: &str,
        spec: &SearchSpec,
    ) -> Result<(i64, Vec<T>)> {
        let mut count = filtered.clone();
        count.expr_as(Expr::cust("COUNT(*)"), Alias::new("n"));
        let total = self.count(&count).await?;
        let mut page = filtered;
        page.expr(Expr::cust(columns));
        apply_order(&mut page, spec);
        let (sql, values) = self.render(&page);
        Ok((total, self.fetch_all_as(&sql, &values).await?))
    }

    /// Every row of a rendered SELECT whose first columns are `T`'s read columns, decoded.
    pub(crate) async fn fetch_all_as<T: FromColumns>(
        &self,
        sql: &str,
        values: &Values,
    ) -> Result<Vec<T>> {
        let rows = bind_values(sqlx::query(sql), values)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(T::from_columns).collect()
    }

    /// The `n`th (from 1) bound parameter of a statement written by hand: `$n` on PostgreSQL,
    /// `?` on SQLite, where sqlx finds a numbered parameter's place by a search that costs a
    /// scan of the statement's parameters each (a statement of thousands of values spent more
    /// time there than in SQLite).
    pub(crate) fn param(&self, n: usize) -> String {
        match self.engine {
            Engine::Sqlite => "?".to_owned(),
            Engine::Postgres => format!("${n}"),
        }
    }

    /// `(...), (...)`: `rows` rows of a hand-written VALUES list, each `row` with every `{}`
    /// standing for the next bound parameter ([`param`](Self::param)), the first `first`.
    pub(crate) fn value_rows(&self, rows: usize, row: &str, first: usize) -> String {
        let mut n = first;
        let mut out = String::new();
        for i in 0..rows {
            out.push_str(if i == 0 { "(" } else { ", (" });
            let mut parts = row.split("{}");
            out.push_str(parts.next().unwrap_or_default());
            for part in parts {
                out.push_str(&self.param(n));
                n += 1;
                out.push_str(part);
            }
            out.push(')');
        }
        out
    }

    /// Renders a sea-query statement for this engine.
    pub(crate) fn render<S: QueryStatementWriter>(&self, stmt: &S) -> (String, Values) {
        match self.engine {
            Engine::Sqlite => stmt.build(SqliteQueryBuilder),
            Engine::Postgres => stmt.build(PostgresQueryBuilder),
        }
    }

    /// Whether the SQLite database file (or its WAL or SHM file) was readable by other users
    /// when this store opened it: the modes are tightened now, but what it held (the token
    /// signing key) may have been read.
    pub fn files_were_exposed(&self) -> bool {
        self.files_were_exposed
    }

    /// The read pool (for the export cursor and tests).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Closes both pools cleanly.
    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }
}

fn sqlite_pragmas(
    conn: &mut sqlx::AnyConnection,
    _meta: sqlx::pool::PoolConnectionMetadata,
) -> futures::future::BoxFuture<'_, std::result::Result<(), sqlx::Error>> {
    Box::pin(async move {
        // case_sensitive_like: `Contains` compares lowercase copies for text fields and must
        // compare resource ids exactly, as LIKE does on PostgreSQL.
        conn.execute(
            "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL; \
             PRAGMA case_sensitive_like = ON;",
        )
        .await?;
        Ok(())
    })
}

/// The writer's pragmas: the readers' and a page cache of 64 MiB instead of SQLite's 2 MiB, so
/// that a bulk write (an import of a million users) keeps the indexes it changes in memory
/// instead of spilling them to the WAL and reading them back.
fn sqlite_writer_pragmas(
    conn: &mut sqlx::AnyConnection,
    meta: sqlx::pool::PoolConnectionMetadata,
) -> futures::future::BoxFuture<'_, std::result::Result<(), sqlx::Error>> {
    Box::pin(async move {
        sqlite_pragmas(conn, meta).await?;
        conn.execute("PRAGMA cache_size = -65536").await?;
        Ok(())
    })
}

#[async_trait]
impl DatabaseStore for SqlStore {
    fn engine(&self) -> Engine {
        self.engine
    }

    fn pool_stats(&self) -> PoolStats {
        PoolStats {
            open: self.pool.size(),
            idle: u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX),
            max: self.pool_max,
        }
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn setting_or_init(&self, key: &str, init: &str) -> Result<String> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(init)
        .execute(&self.writer)
        .await?;
        let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_one(&self.writer)
            .await?;
        get_str(&row, "value")
    }

    fn has_read_replica(&self) -> bool {
        SqlStore::has_read_replica(self)
    }

    fn read_replica_status(&self) -> Option<ReplicaStatus> {
        SqlStore::read_replica_status(self)
    }

    async fn check_read_replica(&self) -> Option<ReplicaStatus> {
        SqlStore::check_read_replica(self).await
    }

    async fn reads_for(&self, client: &str) -> Option<std::sync::Arc<dyn crate::Store>> {
        SqlStore::reads_for(self, client).await
    }

    async fn note_write(&self, client: &str) -> Result<()> {
        SqlStore::note_write(self, client).await
    }
}
