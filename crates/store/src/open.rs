//! Opening the store: the pools of either engine, migrations, the lookup catalogue, and the
//! few things every aggregate's SQL shares (the write transaction, rendering for the engine).
//!
//! Both engines share every query: times are BIGINT milliseconds, booleans BOOLEAN, placeholders
//! `$1..$n` in order of appearance (which SQLite also numbers that way). Where the engines differ
//! (schema details, pool shape) the difference is spelled out here, keyed on [`Engine`].

use std::future::Future;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicI64};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::distributions::{Alphanumeric, DistString};
use sea_query::{
    Alias, Expr, InsertStatement, PostgresQueryBuilder, Query, QueryStatementWriter,
    SelectStatement, SqliteQueryBuilder, Value, Values,
};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::{AnyConnection, AnyPool, ConnectOptions, Executor, Row};

use crate::columns::Columns;
use crate::query::SearchSpec;
use crate::rows::{apply_order, bind_values, get_i64, get_str, FromColumns};
use crate::{catalog, PoolStats, Result, StoreError};

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
    /// The SQLite database file and the connections that read search pages from it, for the
    /// export cursor and the pages (`None` on PostgreSQL and for in-memory SQLite, which then
    /// read through the pool).
    pub(crate) sqlite_file: Option<Arc<crate::export::sqlite::Readers>>,
    /// On PostgreSQL, the native connections that read search pages and counters, and the
    /// options an export opens its own connection with.
    pub(crate) pg_readers: Option<Arc<crate::export::postgres::Readers>>,
    /// Most connections `pool` opens.
    pub(crate) pool_max: u32,
    /// Whether a database file was readable by other users when it was opened.
    pub(crate) files_were_exposed: bool,
    /// The streaming replica reads may use (`replica.rs`).
    pub(crate) replica: Option<Arc<Replica>>,
}

/// Connections of the read pool on SQLite (besides its single writer) when no size is given.
pub const DEFAULT_SQLITE_POOL_SIZE: u32 = 8;
/// Connections of the pool on PostgreSQL when no size is given.
pub const DEFAULT_POSTGRES_POOL_SIZE: u32 = 16;
/// The largest pool size [`SqlStore::open_with_pool_size`] accepts.
pub const MAX_POOL_SIZE: u32 = 1000;

/// How many statements [`SqlStore::execute_each`] sends to SQLite as one string.
const STATEMENTS_PER_CALL: usize = 100;

/// A connection idle at least this long is pinged before it is handed out again.
pub(crate) const PING_AFTER_IDLE: Duration = Duration::from_secs(1);

/// The options every PostgreSQL pool starts from. sqlx pings each connection before handing it
/// out, one more round trip per statement (its cost: docs/performance.md, "The allocator,
/// pings, and what the load generator parses"). A connection idle long enough for the server
/// to have gone away or restarted is still pinged, and dropped if the ping fails.
pub(crate) fn postgres_pool() -> AnyPoolOptions {
    AnyPoolOptions::new()
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for < PING_AFTER_IDLE {
                    return Ok(true);
                }
                Ok(sqlx::Connection::ping(conn).await.is_ok())
            })
        })
}

/// How long a PostgreSQL statement waits for a connection of the primary.
const POSTGRES_WAIT: Duration = Duration::from_secs(10);

/// How a PostgreSQL pool size `n` is shared: connections of sqlx's pool (writes, and reads
/// other than a search's and a count's), and kept [`Readers`](crate::export::postgres::Readers)
/// connections; at least one of each.
pub(crate) fn postgres_split(n: u32) -> (u32, u32) {
    let pooled = (n / 2).max(1);
    (pooled, n.saturating_sub(pooled).max(1))
}

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
        migrator_for(self.engine)
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
            // SQLite creates a missing file only when the URL asks (`mode=rwc`); say so rather
            // than pass on its "unable to open database file".
            if on_disk && !file.exists() && !url.contains("mode=rwc") {
                return Err(StoreError::Config(format!(
                    "no SQLite database at {}: to create one there, use --database-url 'sqlite://{}?mode=rwc', or leave --database-url empty to keep it in --data-dir",
                    file.display(),
                    file.display()
                )));
            }
            if on_disk {
                // Before SQLite opens it: a file it creates gets the process umask's mode.
                files_were_exposed |= crate::files::private_file(&file, in_data_dir)?;
            }
            let opts = AnyConnectOptions::from_str(&url)?.disable_statement_logging();
            let writer = AnyPoolOptions::new()
                .test_before_acquire(false)
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
            // A SQLite connection cannot go stale: no ping before each statement, which would be
            // one more hand-over to its thread.
            let pool = AnyPoolOptions::new()
                .test_before_acquire(false)
                .max_connections(pool_max)
                .after_connect(sqlite_pragmas)
                .connect_with(opts)
                .await?;
            Self {
                engine: Engine::Sqlite,
                pool,
                writer,
                sqlite_file: on_disk
                    .then(|| Arc::new(crate::export::sqlite::Readers::new(file, pool_max))),
                pg_readers: None,
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
            let (pooled, kept) = postgres_split(pool_max);
            let pool = postgres_pool()
                .max_connections(pooled)
                .acquire_timeout(POSTGRES_WAIT)
                .connect_with(opts)
                .await?;
            Self {
                engine: Engine::Postgres,
                writer: pool.clone(),
                pool,
                sqlite_file: None,
                pg_readers: Some(Arc::new(crate::export::postgres::Readers::new(
                    native,
                    kept,
                    POSTGRES_WAIT,
                )?)),
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
        writing();
        Ok(self.writer.begin_with(self.begin_write()).await?)
    }

    /// The statement that starts a write transaction on this engine ([`Self::write_tx`]).
    pub(crate) fn begin_write(&self) -> &'static str {
        match self.engine {
            Engine::Sqlite => "BEGIN IMMEDIATE",
            Engine::Postgres => "BEGIN",
        }
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

    /// Renders `stmt` and reads every row of it on the pool, for rows read by column name (look-ups,
    /// joins, counts by group) rather than decoded as an aggregate ([`Self::fetch_all_as`]).
    pub(crate) async fn fetch_rows<S: QueryStatementWriter>(
        &self,
        stmt: &S,
    ) -> Result<Vec<AnyRow>> {
        let (sql, values) = self.render(stmt);
        Ok(bind_values(sqlx::query(&sql), &values)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Runs `statements` on `conn` (a write transaction's), in order; rows affected in all. On
    /// SQLite a run of statements with the same text goes to sqlx's SQLite thread as one string of
    /// up to [`STATEMENTS_PER_CALL`] statements, so a thousand one-row updates by key cross
    /// threads ten times instead of a thousand (that hand-off, not SQLite, bounded the row checks
    /// and the import's updates). Their parameters must be `?` ([`param`](Self::param)), which
    /// sqlx binds in order across the string; on PostgreSQL each statement runs on its own.
    pub(crate) async fn execute_each<S: AsRef<str>>(
        &self,
        conn: &mut AnyConnection,
        statements: &[(S, Values)],
    ) -> sqlx::Result<u64> {
        let mut affected = 0;
        let mut rest = statements;
        while let Some((sql, _)) = rest.first() {
            let sql = sql.as_ref();
            let run = if self.engine == Engine::Sqlite {
                rest.iter()
                    .take(STATEMENTS_PER_CALL)
                    .take_while(|(s, _)| s.as_ref() == sql)
                    .count()
            } else {
                1
            };
            let (now, later) = rest.split_at(run);
            rest = later;
            let joined = vec![sql; run].join(";\n");
            let values = Values(now.iter().flat_map(|(_, v)| v.0.iter().cloned()).collect());
            // A shorter run's text is kept out of sqlx's statement cache, which would otherwise
            // keep the prepared statements of each length it has seen.
            let kept = run == 1 || run == STATEMENTS_PER_CALL;
            affected += bind_values(sqlx::query(&joined).persistent(kept), &values)
                .execute(&mut *conn)
                .await?
                .rows_affected();
        }
        Ok(affected)
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
        self.count_rendered(&sql, &values).await
    }

    /// The number a rendered `SELECT COUNT(*) ...` gives.
    pub(crate) async fn count_rendered(&self, sql: &str, values: &Values) -> Result<i64> {
        let [n] = self
            .fetch_all_as::<[i64; 1]>(sql, values)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| StoreError::Corrupt(format!("no row from a count: {sql}")))?;
        Ok(n)
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

    /// A write transaction and a company's row of `C`'s table by resource id, read and locked
    /// in it for a change (as [`company_row`](Self::company_row) reads it); `None` when the
    /// company has no such row.
    pub(crate) async fn begin_company_change<C: Columns, T: FromColumns>(
        &self,
        key: [C; 2],
        company_id: i64,
        resource_id: &str,
    ) -> Result<Option<(WriteTx, T)>> {
        let mut tx = self.write_tx().await?;
        let found = self
            .company_row(&mut *tx, key, (company_id, resource_id), true)
            .await?;
        Ok(found.map(|row| (tx, row)))
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

    /// A page of the rows of company `company_id` in `C`'s table (`company` names its company
    /// column) that a search selects, and how many it matches: the search of a company-scoped
    /// aggregate with no view of its own.
    pub(crate) async fn company_page<C: Columns, T: FromColumns>(
        &self,
        company: C,
        company_id: i64,
        spec: &SearchSpec,
    ) -> Result<(i64, Vec<T>)> {
        let filtered = Query::select()
            .from(Alias::new(C::TABLE))
            .and_where(Expr::col(company).eq(company_id))
            .cond_where(spec.cond.to_condition(self.engine))
            .to_owned();
        self.search_page(filtered, C::SELECT, spec).await
    }

    /// The rows of `N` integers `sql` selects (counters), its `$n` parameters bound to
    /// `params` in order: on a SQLite file through a kept reader, on the calling thread
    /// ([`Readers::fetch_small`](crate::export::sqlite::Readers::fetch_small)), so `sql` must
    /// read few rows by an index, as a company's counters are; else through the pool. SQLite
    /// numbers `$n` by first appearance, so `sql` must name `$1` before `$2`, as the module's
    /// rule says.
    pub(crate) async fn int_rows<const N: usize>(
        &self,
        sql: &str,
        params: &[i64],
    ) -> Result<Vec<[i64; N]>> {
        let values = Values(params.iter().map(|p| Value::BigInt(Some(*p))).collect());
        match &self.sqlite_file {
            Some(readers) => readers.fetch_small(sql.to_owned(), values).await,
            None => self.fetch_all_as(sql, &values).await,
        }
    }

    /// The one row of [`SqlStore::int_rows`] an aggregate (`SUM`) selects.
    pub(crate) async fn ints<const N: usize>(&self, sql: &str, params: &[i64]) -> Result<[i64; N]> {
        self.int_rows(sql, params)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| StoreError::Corrupt(format!("no row from an aggregate: {sql}")))
    }

    /// Every row of a rendered SELECT whose first columns are `T`'s read columns, decoded.
    pub(crate) async fn fetch_all_as<T: FromColumns>(
        &self,
        sql: &str,
        values: &Values,
    ) -> Result<Vec<T>> {
        if let Some(readers) = &self.pg_readers {
            return readers.fetch_all(sql, values).await;
        }
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

    /// Closes the pools and the kept readers (the replica's too).
    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
        if let Some(readers) = &self.pg_readers {
            readers.close();
        }
        if let Some(replica) = &self.replica {
            replica.store.pool.close().await;
            if let Some(readers) = &replica.store.pg_readers {
                readers.close();
            }
        }
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

/// The database itself: its engine, readiness, pool and settings (its read replica:
/// `replica.rs`).
impl SqlStore {
    /// Which engine this store runs on.
    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// Connections of the read pool.
    pub fn pool_stats(&self) -> PoolStats {
        let (open, idle) = self
            .pg_readers
            .as_ref()
            .map_or((0, 0), |r| r.open_and_idle());
        PoolStats {
            open: self.pool.size() + open,
            idle: u32::try_from(self.pool.num_idle())
                .unwrap_or(u32::MAX)
                .saturating_add(idle),
            max: self.pool_max,
        }
    }

    /// A trivial round trip, for readiness checks.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Returns the setting `key`, storing `init` first if it is absent. Safe when several
    /// replicas start at once: the first writer wins and everyone reads the same value.
    pub async fn setting_or_init(&self, key: &str, init: &str) -> Result<String> {
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
}

/// This rollcall's migrations for `engine` (crates/store/migrations/{sqlite,postgres}).
fn migrator_for(engine: Engine) -> sqlx::migrate::Migrator {
    match engine {
        Engine::Sqlite => sqlx::migrate!("./migrations/sqlite"),
        Engine::Postgres => sqlx::migrate!("./migrations/postgres"),
    }
}

fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// The SQLite file the settings name (empty URL: `rollcall.db` in `data_dir`; `sqlite://FILE`),
/// or `None` for PostgreSQL. Nothing is opened or created; another kind of URL is a
/// [`StoreError::Config`].
pub fn sqlite_database_file(database_url: &str, data_dir: &Path) -> Result<Option<PathBuf>> {
    let url = database_url.trim();
    if url.is_empty() {
        return Ok(Some(data_dir.join("rollcall.db")));
    }
    if url.starts_with("sqlite:") {
        let file = sqlx::sqlite::SqliteConnectOptions::from_str(url)?
            .get_filename()
            .to_path_buf();
        return Ok(Some(file));
    }
    if is_postgres_url(url) {
        return Ok(None);
    }
    Err(StoreError::Config(
        "unsupported database URL: use an empty value (SQLite in the data dir), sqlite://FILE or postgres://..."
            .to_owned(),
    ))
}

/// A PostgreSQL URL without its password, for messages and for commands to copy:
/// `postgres://USER@HOST:PORT/DATABASE` (other parameters left out).
pub fn postgres_url_without_password(database_url: &str) -> Result<String> {
    let opts = sqlx::postgres::PgConnectOptions::from_str(database_url.trim())?;
    let (user, host, port) = (opts.get_username(), opts.get_host(), opts.get_port());
    // As libpq: no database name means the user's.
    let db = opts.get_database().unwrap_or(user);
    Ok(if host.starts_with('/') {
        // A socket directory goes in the `host` parameter.
        format!("postgres://{user}@/{db}?host={host}&port={port}")
    } else if host.contains(':') {
        format!("postgres://{user}@[{host}]:{port}/{db}")
    } else {
        format!("postgres://{user}@{host}:{port}/{db}")
    })
}

/// A migration as this rollcall and a database know it ([`SqlStore::migration_status`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationInfo {
    /// Its version (the number its file name starts with).
    pub version: i64,
    /// Its description (the rest of the file name).
    pub description: String,
    /// Applied, pending, or a state that stops migrating.
    pub state: MigrationState,
}

/// Where a migration stands in a database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MigrationState {
    /// Applied on this date (UTC, `YYYY-MM-DD HH:MM:SS`).
    Applied { on: String },
    /// Known to this rollcall and not applied yet.
    Pending,
    /// Applied on this date with SQL other than this rollcall's: the database was migrated by
    /// a build from edited migrations.
    Modified { on: String },
    /// Started on this date and failed part-way.
    Failed { on: String },
    /// Applied on this date by a rollcall that has migrations this one lacks (a newer one).
    Unknown { on: String },
}

/// The migrations of a database: this rollcall's and the database's, by version.
#[derive(Debug, Clone)]
pub struct MigrationReport {
    /// The database's engine.
    pub engine: Engine,
    /// The SQLite file, or the PostgreSQL URL without its password.
    pub database: String,
    /// Whether the database exists (an SQLite file not created yet has every migration pending).
    pub exists: bool,
    /// Every migration, by version.
    pub migrations: Vec<MigrationInfo>,
}

impl MigrationReport {
    /// The migrations not applied yet.
    pub fn pending(&self) -> Vec<&MigrationInfo> {
        self.migrations
            .iter()
            .filter(|m| m.state == MigrationState::Pending)
            .collect()
    }

    /// What keeps this rollcall from serving or migrating the database, and what to do; `None`
    /// when it may (pending migrations are not a problem: `migrate` applies them).
    pub fn problem(&self) -> Option<String> {
        let list = |pick: fn(&MigrationState) -> bool| {
            self.migrations
                .iter()
                .filter(|m| pick(&m.state))
                .map(|m| format!("{} ({})", m.version, m.description))
                .collect::<Vec<_>>()
        };
        let unknown = list(|s| matches!(s, MigrationState::Unknown { .. }));
        if !unknown.is_empty() {
            return Some(format!(
                "the database has migration(s) {} that this rollcall ({}) does not know: a newer rollcall migrated it. Use the rollcall version that migrated it (or a newer one); this binary must not serve or migrate it",
                unknown.join(", "),
                env!("CARGO_PKG_VERSION")
            ));
        }
        let failed = list(|s| matches!(s, MigrationState::Failed { .. }));
        if !failed.is_empty() {
            return Some(format!(
                "migration(s) {} failed part-way: repair the schema by hand (the server's log of that time says what failed), delete their rows from _sqlx_migrations, then run rollcall migrate again",
                failed.join(", ")
            ));
        }
        let modified = list(|s| matches!(s, MigrationState::Modified { .. }));
        if !modified.is_empty() {
            return Some(format!(
                "migration(s) {} were applied with SQL other than this rollcall's: the database was migrated by a build from edited migrations; use that build, or restore a backup made before it",
                modified.join(", ")
            ));
        }
        None
    }
}

/// One row of `_sqlx_migrations`.
struct AppliedRow {
    version: i64,
    description: String,
    on: String,
    success: bool,
    checksum: Vec<u8>,
}

/// The rows of `_sqlx_migrations`, by version; empty when the table does not exist yet.
async fn applied_rows(conn: &mut AnyConnection, engine: Engine) -> Result<Vec<AppliedRow>> {
    // Fixed statements: nothing from input. The date is read as text: the Any driver has no
    // date type, and SQLite keeps CURRENT_TIMESTAMP (UTC) as text already.
    let (exists, list) = match engine {
        Engine::Sqlite => (
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
            "SELECT version, description, CAST(installed_on AS TEXT) AS installed_on, \
             CAST(CASE WHEN success THEN 1 ELSE 0 END AS BIGINT) AS ok, checksum \
             FROM _sqlx_migrations ORDER BY version",
        ),
        Engine::Postgres => (
            "SELECT CAST(CASE WHEN to_regclass('_sqlx_migrations') IS NULL THEN 0 ELSE 1 END AS BIGINT) AS n",
            "SELECT version, description, \
             to_char(installed_on AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS installed_on, \
             CAST(CASE WHEN success THEN 1 ELSE 0 END AS BIGINT) AS ok, checksum \
             FROM _sqlx_migrations ORDER BY version",
        ),
    };
    let row = sqlx::query(exists).fetch_one(&mut *conn).await?;
    if get_i64(&row, "n")? == 0 {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(list).fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|r| {
            Ok(AppliedRow {
                version: get_i64(r, "version")?,
                description: get_str(r, "description")?,
                on: get_str(r, "installed_on")?,
                success: get_i64(r, "ok")? != 0,
                checksum: r.try_get::<Vec<u8>, _>("checksum")?,
            })
        })
        .collect()
}

/// This rollcall's migrations set against the rows a database has applied.
fn migration_list(known: &sqlx::migrate::Migrator, applied: &[AppliedRow]) -> Vec<MigrationInfo> {
    let mut out: Vec<MigrationInfo> = known
        .iter()
        .filter(|m| !m.migration_type.is_down_migration())
        .map(|m| {
            let row = applied.iter().find(|a| a.version == m.version);
            let state = match row {
                None => MigrationState::Pending,
                Some(a) if !a.success => MigrationState::Failed { on: a.on.clone() },
                Some(a) if a.checksum != *m.checksum => {
                    MigrationState::Modified { on: a.on.clone() }
                }
                Some(a) => MigrationState::Applied { on: a.on.clone() },
            };
            MigrationInfo {
                version: m.version,
                description: m.description.to_string(),
                state,
            }
        })
        .collect();
    for a in applied {
        if !out.iter().any(|m| m.version == a.version) {
            out.push(MigrationInfo {
                version: a.version,
                description: a.description.clone(),
                state: if a.success {
                    MigrationState::Unknown { on: a.on.clone() }
                } else {
                    MigrationState::Failed { on: a.on.clone() }
                },
            });
        }
    }
    out.sort_by_key(|m| m.version);
    out
}

impl SqlStore {
    /// The migrations of the database the settings name, applied and pending, without changing
    /// it: SQLite is opened read-only, and a file that does not exist is not created (every
    /// migration is then pending).
    pub async fn migration_status(database_url: &str, data_dir: &Path) -> Result<MigrationReport> {
        sqlx::any::install_default_drivers();
        let (engine, database, opts) = match sqlite_database_file(database_url, data_dir)? {
            Some(file) => {
                let database = file.display().to_string();
                if !file.exists() {
                    return Ok(MigrationReport {
                        engine: Engine::Sqlite,
                        database,
                        exists: false,
                        migrations: migration_list(&migrator_for(Engine::Sqlite), &[]),
                    });
                }
                let opts = AnyConnectOptions::from_str(&format!("sqlite://{database}?mode=ro"))?;
                (Engine::Sqlite, database, opts)
            }
            None => (
                Engine::Postgres,
                postgres_url_without_password(database_url)?,
                AnyConnectOptions::from_str(database_url.trim())?,
            ),
        };
        let mut conn =
            <AnyConnection as sqlx::Connection>::connect_with(&opts.disable_statement_logging())
                .await?;
        let applied = applied_rows(&mut conn, engine).await;
        let _ = sqlx::Connection::close(conn).await;
        Ok(MigrationReport {
            engine,
            database,
            exists: true,
            migrations: migration_list(&migrator_for(engine), &applied?),
        })
    }

    /// Applies this rollcall's pending migrations to the database the settings name (an SQLite
    /// file that does not exist is created, as `rollcall serve` would): the report from before,
    /// and the migrations applied now. A database with a migration this rollcall does not know,
    /// or one that failed or was changed, is refused with [`StoreError::Config`] before
    /// anything is applied ([`MigrationReport::problem`]).
    pub async fn apply_migrations(
        database_url: &str,
        data_dir: &Path,
    ) -> Result<(MigrationReport, Vec<MigrationInfo>)> {
        let store = Self::connect(database_url, data_dir, Some(1), false).await?;
        let outcome = store.apply_pending(database_url).await;
        store.close().await;
        outcome
    }

    async fn apply_pending(
        &self,
        database_url: &str,
    ) -> Result<(MigrationReport, Vec<MigrationInfo>)> {
        let known = self.migrator();
        let applied = {
            let mut conn = self.writer.acquire().await?;
            applied_rows(&mut conn, self.engine).await?
        };
        let before = MigrationReport {
            engine: self.engine,
            database: match (&self.sqlite_file, self.engine) {
                (Some(readers), _) => readers.file().display().to_string(),
                (None, Engine::Postgres) => postgres_url_without_password(database_url)?,
                (None, Engine::Sqlite) => database_url.trim().to_owned(),
            },
            exists: true,
            migrations: migration_list(&known, &applied),
        };
        if let Some(problem) = before.problem() {
            return Err(StoreError::Config(problem));
        }
        known.run(&self.writer).await?;
        self.remember_exposure().await?;
        let after = {
            let mut conn = self.writer.acquire().await?;
            applied_rows(&mut conn, self.engine).await?
        };
        let now = migration_list(&known, &after)
            .into_iter()
            .filter(|m| {
                !matches!(m.state, MigrationState::Pending)
                    && before.pending().iter().any(|p| p.version == m.version)
            })
            .collect();
        Ok((before, now))
    }
}

/// What a copy of an SQLite database holds ([`check_sqlite_copy`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SqliteCopySummary {
    /// Target users not deleted.
    pub target_users: i64,
    /// Target users soft-deleted (kept for restore and audit).
    pub deleted_target_users: i64,
    /// Companies, the root reseller company included.
    pub companies: i64,
}

fn open_read_only(file: &Path) -> Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open_with_flags(
        file,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // A server writing at the same time holds the lock for a moment at a time: wait for it.
    conn.execute_batch("PRAGMA busy_timeout = 10000;")?;
    Ok(conn)
}

/// Bytes of the SQLite database at `file` that hold data (its pages less the free ones):
/// about the size of a copy, for a progress bar. Blocking.
pub fn sqlite_bytes_in_use(file: &Path) -> Result<u64> {
    let conn = open_read_only(file)?;
    let pragma = |name: &str| -> Result<i64> {
        // The pragma names are constants of this function, never input.
        Ok(conn.query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))?)
    };
    let pages = pragma("page_count")? - pragma("freelist_count")?;
    Ok(u64::try_from(pages.max(0) * pragma("page_size")?).unwrap_or(0))
}

/// Writes a consistent copy of the SQLite database at `file` to `into` with `VACUUM INTO`,
/// while servers keep reading and writing it: the copy is the database as of the copy's one
/// read transaction, compacted, in a single file (no WAL). `into` is created readable by its
/// owner only (the database holds the token signing keys) and must not exist. Blocking.
pub fn backup_sqlite(file: &Path, into: &Path) -> Result<()> {
    if !file.exists() {
        return Err(StoreError::Config(format!(
            "no database at {}: point --data-dir or --database-url at the server's database",
            file.display()
        )));
    }
    let target = into.to_str().ok_or_else(|| {
        StoreError::Config(format!(
            "{} is not valid UTF-8, which SQLite cannot take as a file name: choose another name",
            into.display()
        ))
    })?;
    // Not a URI (`file:...`), which SQLite would parse instead of taking it as a path.
    if !into.is_absolute() {
        return Err(StoreError::Config(format!(
            "the backup's path {} must be absolute",
            into.display()
        )));
    }
    // VACUUM INTO writes into an empty file as into a new one, and keeps its mode.
    let mut create = std::fs::OpenOptions::new();
    create.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut create, 0o600);
    create.open(into).map_err(|e| {
        StoreError::Filesystem(format!(
            "cannot create {}: {e}; choose a directory you can write",
            into.display()
        ))
    })?;
    let conn = open_read_only(file)?;
    // The file name is a bound parameter, never part of the statement's text.
    conn.execute("VACUUM INTO ?1", [target])?;
    drop(conn);
    std::fs::File::open(into)
        .and_then(|f| f.sync_all())
        .map_err(|e| {
            StoreError::Filesystem(format!("cannot flush {} to disk: {e}", into.display()))
        })?;
    Ok(())
}

/// Opens an SQLite copy read-only, checks it (`PRAGMA quick_check`) and counts what it holds.
/// Blocking.
pub fn check_sqlite_copy(file: &Path) -> Result<SqliteCopySummary> {
    let conn = open_read_only(file)?;
    let check: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
    if check != "ok" {
        return Err(StoreError::Corrupt(format!(
            "the copy {} fails SQLite's integrity check: {check}",
            file.display()
        )));
    }
    let count = |sql: &str| -> Result<i64> { Ok(conn.query_row(sql, [], |r| r.get(0))?) };
    Ok(SqliteCopySummary {
        target_users: count("SELECT COUNT(*) FROM target_users WHERE is_deleted = 0")?,
        deleted_target_users: count("SELECT COUNT(*) FROM target_users WHERE is_deleted <> 0")?,
        companies: count("SELECT COUNT(*) FROM companies")?,
    })
}

tokio::task_local! {
    static WROTE: Arc<AtomicBool>;
}

/// Runs `fut` (a request), setting `wrote` when it opens a write transaction on this store. The
/// flag outlives `fut`: a request dropped after its write (its client went away) still shows it.
pub async fn track_writes<F: Future>(wrote: Arc<AtomicBool>, fut: F) -> F::Output {
    WROTE.scope(wrote, fut).await
}

/// Notes, for [`track_writes`], that the running request writes. Outside a tracked request (a
/// background job, a tool) it does nothing.
pub(crate) fn writing() {
    let _ = WROTE.try_with(|w| w.store(true, std::sync::atomic::Ordering::Release));
}

/// The replica a [`SqlStore`] may read from, and what the last check found; `replica.rs`
/// connects and checks it.
pub(crate) struct Replica {
    /// A store that reads from the replica and writes (should it ever) to the primary.
    pub(crate) store: Arc<SqlStore>,
    pub(crate) up: AtomicBool,
    /// WAL bytes the replica had replayed when last asked.
    pub(crate) replayed: AtomicI64,
    pub(crate) lag: AtomicI64,
    pub(crate) problem: Mutex<Option<String>>,
    /// How long it may stand still while behind before it counts as unavailable.
    pub(crate) max_stall: std::time::Duration,
    /// The replay position it was first seen standing at while behind, and when.
    pub(crate) stall: Mutex<Option<(i64, std::time::Instant)>>,
}

#[cfg(test)]
mod operator_tests {
    use super::*;

    #[test]
    fn a_postgres_pool_size_is_shared_without_growing() {
        // Half each, the readers taking an odd one; never none of either.
        assert_eq!(postgres_split(16), (8, 8));
        assert_eq!(postgres_split(3), (1, 2));
        assert_eq!(postgres_split(2), (1, 1));
        assert_eq!(postgres_split(1), (1, 1));
        for n in 2..=MAX_POOL_SIZE {
            let (pooled, kept) = postgres_split(n);
            assert_eq!(pooled + kept, n, "pool size {n}");
        }
    }

    #[tokio::test]
    async fn the_bundled_sqlite_takes_no_global_lock_per_allocation() {
        // `.cargo/config.toml` builds SQLite without memory statistics and with a page cache
        // per connection: with either, every allocation or page fetch of every connection takes
        // one process-wide mutex (docs/performance.md, imports: the global allocation lock).
        let dir = tempfile::tempdir().expect("dir");
        let store = SqlStore::open("", dir.path()).await.expect("open");
        let options: Vec<String> = sqlx::query_scalar("PRAGMA compile_options")
            .fetch_all(&store.pool)
            .await
            .expect("compile options");
        assert!(
            options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"),
            "SQLite keeps memory statistics: {options:?}"
        );
        assert!(
            !options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"),
            "SQLite shares one page cache: {options:?}"
        );
    }

    #[tokio::test]
    async fn statements_sent_many_to_a_call_bind_their_own_values_in_order() {
        let dir = tempfile::tempdir().expect("dir");
        let store = SqlStore::open("", dir.path()).await.expect("open");
        let mut tx = store.write_tx().await.expect("tx");
        sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
            .execute(&mut *tx)
            .await
            .expect("table");
        let row = |sql: &'static str, values: Vec<Value>| (sql, Values(values));
        // 250 inserts: more than one call's worth, and not a multiple of it.
        let inserts: Vec<_> = (1..=250_i64)
            .map(|i| {
                row(
                    "INSERT INTO t (id, v) VALUES (?, ?)",
                    vec![i.into(), format!("v{i}").into()],
                )
            })
            .collect();
        assert_eq!(
            store.execute_each(&mut tx, &inserts).await.expect("insert"),
            250
        );
        // Updates by key with a statement of another text in the middle of the run.
        let mut updates: Vec<_> = (1..=230_i64)
            .map(|i| {
                row(
                    "UPDATE t SET v = ? WHERE id = ?",
                    vec![format!("w{i}").into(), i.into()],
                )
            })
            .collect();
        updates.insert(
            120,
            row(
                "DELETE FROM t WHERE id > ? AND id <= ?",
                vec![240_i64.into(), 250_i64.into()],
            ),
        );
        assert_eq!(
            store.execute_each(&mut tx, &updates).await.expect("update"),
            240
        );
        let rows: Vec<(i64, String)> = sqlx::query("SELECT id, v FROM t ORDER BY id")
            .fetch_all(&mut *tx)
            .await
            .expect("read")
            .iter()
            .map(|r| (r.get::<i64, _>(0), r.get::<String, _>(1)))
            .collect();
        let want: Vec<(i64, String)> = (1..=240_i64)
            .map(|i| {
                (
                    i,
                    if i <= 230 {
                        format!("w{i}")
                    } else {
                        format!("v{i}")
                    },
                )
            })
            .collect();
        assert_eq!(rows, want);
    }

    #[tokio::test]
    async fn status_reads_without_creating_and_migrate_applies_everything() {
        let dir = tempfile::tempdir().expect("dir");
        let data = dir.path().join("data");
        let before = SqlStore::migration_status("", &data).await.expect("status");
        assert!(!before.exists);
        assert!(!data.exists(), "status must not create the data directory");
        let known = migrator_for(Engine::Sqlite).iter().count();
        assert_eq!(before.pending().len(), known);
        assert!(before.problem().is_none());

        let (was, applied) = SqlStore::apply_migrations("", &data)
            .await
            .expect("migrate");
        assert_eq!(was.pending().len(), known);
        assert_eq!(applied.len(), known);
        let after = SqlStore::migration_status("", &data).await.expect("status");
        assert!(after.exists);
        assert!(after.pending().is_empty(), "{:?}", after.migrations);
        assert!(after
            .migrations
            .iter()
            .all(|m| matches!(&m.state, MigrationState::Applied { on } if on.len() == 19)));

        // Nothing left: a second run applies nothing.
        let (_, again) = SqlStore::apply_migrations("", &data)
            .await
            .expect("migrate");
        assert!(again.is_empty());
    }

    #[tokio::test]
    async fn a_migration_this_build_lacks_is_named_and_stops_migrate() {
        let dir = tempfile::tempdir().expect("dir");
        let store = SqlStore::open("", dir.path()).await.expect("open");
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (99990001, 'from the future', TRUE, x'00', 1)",
        )
        .execute(&store.writer)
        .await
        .expect("insert");
        store.close().await;
        let report = SqlStore::migration_status("", dir.path())
            .await
            .expect("status");
        let last = report.migrations.last().expect("migrations");
        assert_eq!(last.version, 99990001);
        assert!(matches!(last.state, MigrationState::Unknown { .. }));
        let problem = report.problem().expect("a problem");
        assert!(problem.contains("99990001 (from the future)"), "{problem}");
        let refused = SqlStore::apply_migrations("", dir.path()).await;
        assert!(
            matches!(&refused, Err(StoreError::Config(m)) if m.contains("newer rollcall")),
            "{refused:?}"
        );
    }

    #[tokio::test]
    async fn a_backup_is_a_checked_private_copy() {
        let dir = tempfile::tempdir().expect("dir");
        let store = SqlStore::open("", dir.path()).await.expect("open");
        store.close().await;
        let file = dir.path().join("rollcall.db");
        assert!(sqlite_bytes_in_use(&file).expect("size") > 0);
        let copy = dir.path().join("copy.db");
        backup_sqlite(&file, &copy).expect("backup");
        let summary = check_sqlite_copy(&copy).expect("check");
        assert_eq!(summary.target_users, 0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&copy).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // An existing file is never overwritten.
        assert!(backup_sqlite(&file, &copy).is_err());
    }

    #[test]
    fn postgres_urls_lose_their_password() {
        let url =
            postgres_url_without_password("postgres://rollcall:hunter2@db.internal:5433/prod")
                .expect("url");
        assert_eq!(url, "postgres://rollcall@db.internal:5433/prod");
        assert!(!url.contains("hunter2"));
    }
}
