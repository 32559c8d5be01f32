//! The SQL implementation of [`Store`], for SQLite and PostgreSQL through sqlx's `Any` driver.
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
    Alias, Expr, JoinType, NullOrdering, Order as SqOrder, PostgresQueryBuilder, Query,
    SelectStatement, SqliteQueryBuilder, Values,
};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, ConnectOptions, Executor, Row};

use crate::audit::{self, Actor, Change, Entity, Operation};
use crate::model::*;
use crate::query::SearchSpec;
use crate::{
    catalog, AuditEvent, AuditRow, AuditScope, AuditSink, PoolStats, Result, Store, StoreError,
};

/// Which database engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// Embedded SQLite file (the default).
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// Tables that hold a company's data, deleted with the company (children before parents).
const TENANT_TABLES: &[&str] = &["target_users", "target_user_counters", "api_clients"];

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

fn now_millis() -> i64 {
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
                .after_connect(sqlite_pragmas)
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

    /// A write transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`): a
    /// deferred one that reads first and writes after another process has written (`rollcall
    /// keys rotate`, a second server on the same file) fails with SQLITE_BUSY at once instead
    /// of waiting on the busy timeout.
    pub(crate) async fn write_tx(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match self.engine {
            Engine::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await?,
            Engine::Postgres => self.writer.begin().await?,
        })
    }

    /// Renders a sea-query statement for this engine.
    pub(crate) fn render<S: sea_query::QueryStatementWriter>(&self, stmt: &S) -> (String, Values) {
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

/// Binds rendered sea-query values to a query (the `Any` pool's, or the PostgreSQL export's).
pub(crate) fn bind_values<'q, DB>(
    mut q: sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>,
    values: &Values,
) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>
where
    DB: sqlx::Database,
    Option<bool>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<i64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<f64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    use sea_query::Value as V;
    for v in &values.0 {
        q = match v {
            V::Bool(b) => q.bind(*b),
            V::TinyInt(i) => q.bind(i.map(i64::from)),
            V::SmallInt(i) => q.bind(i.map(i64::from)),
            V::Int(i) => q.bind(i.map(i64::from)),
            V::BigInt(i) => q.bind(*i),
            V::TinyUnsigned(i) => q.bind(i.map(i64::from)),
            V::SmallUnsigned(i) => q.bind(i.map(i64::from)),
            V::Unsigned(i) => q.bind(i.map(i64::from)),
            V::BigUnsigned(i) => q.bind(i.map(|u| i64::try_from(u).unwrap_or(i64::MAX))),
            V::String(s) => q.bind(s.as_deref().cloned()),
            V::Char(c) => q.bind(c.map(|c| c.to_string())),
            V::Float(f) => q.bind(f.map(f64::from)),
            V::Double(f) => q.bind(*f),
            _ => q.bind(Option::<String>::None),
        };
    }
    q
}

// Row readers that tolerate the engines' type differences (SQLite reports computed booleans as
// integers; PostgreSQL reports them as BOOLEAN).
pub(crate) fn get_i64(row: &AnyRow, col: &str) -> Result<i64> {
    Ok(row.try_get::<i64, _>(col)?)
}
pub(crate) fn get_opt_i64(row: &AnyRow, col: &str) -> Result<Option<i64>> {
    Ok(row.try_get::<Option<i64>, _>(col)?)
}
pub(crate) fn get_str(row: &AnyRow, col: &str) -> Result<String> {
    Ok(row.try_get::<String, _>(col)?)
}
pub(crate) fn get_opt_str(row: &AnyRow, col: &str) -> Result<Option<String>> {
    Ok(row.try_get::<Option<String>, _>(col)?)
}
pub(crate) fn get_bool(row: &AnyRow, col: &str) -> Result<bool> {
    match row.try_get::<bool, _>(col) {
        Ok(b) => Ok(b),
        Err(_) => Ok(row.try_get::<i64, _>(col)? != 0),
    }
}
fn get_json_list(row: &AnyRow, col: &str) -> Result<Vec<String>> {
    let text = get_str(row, col)?;
    serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
}

fn json_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".to_owned())
}

fn tags_lower(tags: &[String]) -> String {
    if tags.is_empty() {
        return String::new();
    }
    let mut s = String::from("|");
    for t in tags {
        s.push_str(&t.to_lowercase());
        s.push('|');
    }
    s
}

const COMPANY_COLUMNS: &str = "id, resource_id, parent_id, path, name, description, address, website_url, logo_url, \
    country_id, industry_id, license_type_id, license_period_type_id, is_number_of_users_limited, number_of_users, \
    license_start_date, license_end_date, time_zone_id, date_format, time_format, status_id, tags, create_time, update_time";

fn company_from_row(row: &AnyRow) -> Result<Company> {
    Ok(Company {
        id: get_i64(row, "id")?,
        resource_id: get_str(row, "resource_id")?,
        parent_id: get_opt_i64(row, "parent_id")?,
        path: get_str(row, "path")?,
        fields: CompanyFields {
            name: get_str(row, "name")?,
            description: get_opt_str(row, "description")?,
            address: get_opt_str(row, "address")?,
            website_url: get_opt_str(row, "website_url")?,
            logo_url: get_opt_str(row, "logo_url")?,
            country_id: get_opt_str(row, "country_id")?,
            industry_id: get_opt_str(row, "industry_id")?,
            license_type_id: get_opt_str(row, "license_type_id")?,
            license_period_type_id: get_opt_str(row, "license_period_type_id")?,
            is_number_of_users_limited: get_bool(row, "is_number_of_users_limited")?,
            number_of_users: get_opt_i64(row, "number_of_users")?,
            license_start_date: get_opt_i64(row, "license_start_date")?,
            license_end_date: get_opt_i64(row, "license_end_date")?,
            time_zone_id: get_opt_str(row, "time_zone_id")?,
            date_format: get_opt_str(row, "date_format")?,
            time_format: get_opt_str(row, "time_format")?,
            status_id: get_i64(row, "status_id")?,
            tags: get_json_list(row, "tags")?,
        },
        create_time: get_i64(row, "create_time")?,
        update_time: get_opt_i64(row, "update_time")?,
    })
}

const CLIENT_COLUMNS: &str =
    "id, company_id, resource_id, name, client_id, secret_hash, role, status_id, \
    has_ip_restriction, allowed_ips, create_time";

fn client_from_row(row: &AnyRow) -> Result<ApiClient> {
    let role = get_str(row, "role")?;
    Ok(ApiClient {
        id: get_i64(row, "id")?,
        company_id: get_i64(row, "company_id")?,
        resource_id: get_str(row, "resource_id")?,
        name: get_str(row, "name")?,
        client_id: get_str(row, "client_id")?,
        secret_hash: get_str(row, "secret_hash")?,
        role: Role::parse(&role)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown role '{role}'")))?,
        status_id: get_i64(row, "status_id")?,
        has_ip_restriction: get_bool(row, "has_ip_restriction")?,
        allowed_ips: get_json_list(row, "allowed_ips")?,
        create_time: get_i64(row, "create_time")?,
    })
}

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => {
            db.is_unique_violation()
                || db
                    .code()
                    .is_some_and(|c| c == "23505" || c == "2067" || c == "1555")
        }
        _ => false,
    }
}

fn company_search_base(under: &Company, month: i64) -> SelectStatement {
    let c = Alias::new("c");
    let m = Alias::new("m");
    Query::select()
        .column((c.clone(), sea_query::Asterisk))
        .expr_as(
            Expr::cust("COALESCE(m.active + m.inactive + m.deleted, 0)"),
            Alias::new("monthly_active_user_count"),
        )
        .from_as(Alias::new("company_v"), c.clone())
        .join_as(
            JoinType::LeftJoin,
            Alias::new("target_user_counters"),
            m.clone(),
            Expr::col((m.clone(), Alias::new("company_id")))
                .equals((c.clone(), Alias::new("id")))
                .and(Expr::col((m, Alias::new("month"))).eq(month)),
        )
        .and_where(Expr::col((c.clone(), Alias::new("path"))).like(format!("{}%", under.path)))
        .and_where(Expr::col((c, Alias::new("id"))).ne(under.id))
        .to_owned()
}

fn company_row(row: &AnyRow) -> Result<CompanyRow> {
    Ok(CompanyRow {
        resource_id: get_str(row, "resource_id")?,
        name: get_str(row, "name")?,
        reseller_name: get_opt_str(row, "reseller_name")?,
        industry_name: get_opt_str(row, "industry_name")?,
        industry_id: get_opt_str(row, "industry_id")?,
        license_type_name: get_opt_str(row, "license_type_name")?,
        license_type_id: get_opt_str(row, "license_type_id")?,
        is_number_of_users_limited: get_bool(row, "is_number_of_users_limited")?,
        number_of_users: get_opt_i64(row, "number_of_users")?,
        license_end_date: get_opt_i64(row, "license_end_date")?,
        create_time: get_i64(row, "create_time")?,
        tags: get_json_list(row, "tags")?,
        target_user_count: get_i64(row, "target_user_count")?,
        inactive_target_user_count: get_i64(row, "inactive_target_user_count")?,
        deleted_target_user_count: get_i64(row, "deleted_target_user_count")?,
        monthly_active_user_count: get_i64(row, "monthly_active_user_count")?,
    })
}

pub(crate) fn apply_order(stmt: &mut SelectStatement, spec: &SearchSpec) {
    // NULL sorts as the largest value on both engines (PostgreSQL's default; SQLite's is the
    // opposite), so that both give the same order. A NOT NULL column gets no NULLS clause:
    // with one, SQLite sorts the whole result in a temporary b-tree instead of reading the
    // index in order.
    for o in &spec.order {
        let (dir, nulls) = if o.ascending {
            (SqOrder::Asc, NullOrdering::Last)
        } else {
            (SqOrder::Desc, NullOrdering::First)
        };
        if o.nullable {
            stmt.order_by_with_nulls(Alias::new(o.column), dir, nulls);
        } else {
            stmt.order_by(Alias::new(o.column), dir);
        }
    }
    stmt.limit(u64::try_from(spec.limit).unwrap_or(0))
        .offset(u64::try_from(spec.offset).unwrap_or(0));
}

#[async_trait]
impl Store for SqlStore {
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

    async fn company_count(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM companies")
            .fetch_one(&self.writer)
            .await?;
        get_i64(&row, "n")
    }

    async fn insert_company(
        &self,
        parent: Option<&Company>,
        f: &CompanyFields,
        actor: &Actor,
    ) -> Result<Company> {
        let resource_id = new_resource_id();
        let now = now_millis();
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(
            "INSERT INTO companies (resource_id, parent_id, path, name, name_lower, description, address, website_url, logo_url, \
             country_id, industry_id, license_type_id, license_period_type_id, is_number_of_users_limited, number_of_users, \
             license_start_date, license_end_date, time_zone_id, date_format, time_format, status_id, tags, tags_lower, create_time) \
             VALUES ($1, $2, '', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23) RETURNING id",
        )
        .bind(&resource_id)
        .bind(parent.map(|p| p.id))
        .bind(&f.name)
        .bind(f.name.to_lowercase())
        .bind(f.description.clone())
        .bind(f.address.clone())
        .bind(f.website_url.clone())
        .bind(f.logo_url.clone())
        .bind(f.country_id.clone())
        .bind(f.industry_id.clone())
        .bind(f.license_type_id.clone())
        .bind(f.license_period_type_id.clone())
        .bind(f.is_number_of_users_limited)
        .bind(f.number_of_users)
        .bind(f.license_start_date)
        .bind(f.license_end_date)
        .bind(f.time_zone_id.clone())
        .bind(f.date_format.clone())
        .bind(f.time_format.clone())
        .bind(f.status_id)
        .bind(json_list(&f.tags))
        .bind(tags_lower(&f.tags))
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let id = get_i64(&row, "id")?;
        let path = format!("{}{id}/", parent.map_or("/", |p| p.path.as_str()));
        sqlx::query("UPDATE companies SET path = $1 WHERE id = $2")
            .bind(&path)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let company = Company {
            id,
            resource_id,
            parent_id: parent.map(|p| p.id),
            path,
            fields: f.clone(),
            create_time: now,
            update_time: None,
        };
        let description = match parent {
            Some(p) => format!("Created company '{}' below '{}'", f.name, p.fields.name),
            None => format!("Created root company '{}'", f.name),
        };
        let event = Change::of_company(actor, &company).event(
            Operation::Create,
            Some(&company.resource_id),
            None,
            Some(audit::company_value(f)),
            description,
        );
        audit::insert(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(company)
    }

    async fn update_company(
        &self,
        id: i64,
        base: &CompanyFields,
        f: &CompanyFields,
        actor: &Actor,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let sql = format!(
            "SELECT {COMPANY_COLUMNS} FROM companies WHERE id = $1{}",
            self.for_update()
        );
        let Some(row) = sqlx::query(&sql).bind(id).fetch_optional(&mut *tx).await? else {
            return Err(StoreError::NotFound);
        };
        let before = company_from_row(&row)?;
        // Only what this update changed from what the caller read: a change made meanwhile
        // (a parent deactivating the company) is not undone.
        let f = &f.rebase(base, &before.fields);
        sqlx::query(
            "UPDATE companies SET name = $1, name_lower = $2, description = $3, address = $4, website_url = $5, logo_url = $6, \
             country_id = $7, industry_id = $8, license_type_id = $9, license_period_type_id = $10, is_number_of_users_limited = $11, \
             number_of_users = $12, license_start_date = $13, license_end_date = $14, time_zone_id = $15, date_format = $16, \
             time_format = $17, status_id = $18, tags = $19, tags_lower = $20, update_time = $21 WHERE id = $22",
        )
        .bind(&f.name)
        .bind(f.name.to_lowercase())
        .bind(f.description.clone())
        .bind(f.address.clone())
        .bind(f.website_url.clone())
        .bind(f.logo_url.clone())
        .bind(f.country_id.clone())
        .bind(f.industry_id.clone())
        .bind(f.license_type_id.clone())
        .bind(f.license_period_type_id.clone())
        .bind(f.is_number_of_users_limited)
        .bind(f.number_of_users)
        .bind(f.license_start_date)
        .bind(f.license_end_date)
        .bind(f.time_zone_id.clone())
        .bind(f.date_format.clone())
        .bind(f.time_format.clone())
        .bind(f.status_id)
        .bind(json_list(&f.tags))
        .bind(tags_lower(&f.tags))
        .bind(now_millis())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let event = Change::of_company(actor, &before).update(
            &before.resource_id,
            &audit::company_value(&before.fields),
            &audit::company_value(f),
            &format!("Updated company '{}'", before.fields.name),
        );
        audit::insert(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn company_by_resource_id(&self, resource_id: &str) -> Result<Option<Company>> {
        let sql = format!("SELECT {COMPANY_COLUMNS} FROM companies WHERE resource_id = $1");
        let row = sqlx::query(&sql)
            .bind(resource_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(company_from_row).transpose()
    }

    async fn company_by_id(&self, id: i64) -> Result<Option<Company>> {
        let sql = format!("SELECT {COMPANY_COLUMNS} FROM companies WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(company_from_row).transpose()
    }

    async fn company_subtree(&self, company: &Company) -> Result<Vec<Company>> {
        let sql =
            format!("SELECT {COMPANY_COLUMNS} FROM companies WHERE path LIKE $1 ORDER BY path");
        let rows = sqlx::query(&sql)
            .bind(format!("{}%", company.path))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(company_from_row).collect()
    }

    async fn inactive_in_chain(&self, company: &Company) -> Result<Option<Company>> {
        // The path lists the company's ancestors and itself: '/1/5/9/'.
        let ids: Vec<i64> = company
            .path
            .split('/')
            .filter_map(|part| part.parse().ok())
            .collect();
        let stmt = Query::select()
            .expr(Expr::cust(COMPANY_COLUMNS))
            .from(Alias::new("companies"))
            .and_where(Expr::col(Alias::new("id")).is_in(ids))
            .and_where(Expr::col(Alias::new("status_id")).ne(crate::STATUS_ACTIVE))
            .order_by_expr(Expr::cust("LENGTH(path)"), SqOrder::Asc)
            .limit(1)
            .to_owned();
        let (sql, values) = self.render(&stmt);
        let row = bind_values(sqlx::query(&sql), &values)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(company_from_row).transpose()
    }

    async fn delete_company(&self, id: i64, actor: &Actor) -> Result<DeleteOutcome> {
        let mut tx = self.write_tx().await?;
        let sql = format!(
            "SELECT {COMPANY_COLUMNS} FROM companies WHERE id = $1{}",
            self.for_update()
        );
        let Some(row) = sqlx::query(&sql).bind(id).fetch_optional(&mut *tx).await? else {
            return Ok(DeleteOutcome::NotFound);
        };
        let company = company_from_row(&row)?;
        let row = sqlx::query("SELECT COUNT(*) AS n FROM companies WHERE parent_id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let children = get_i64(&row, "n")?;
        if children > 0 {
            return Ok(DeleteOutcome::HasChildren(children));
        }
        let mut removed = std::collections::HashMap::new();
        for table in TENANT_TABLES {
            // Table names come from the constant list above, never from input.
            let done = sqlx::query(&format!("DELETE FROM {table} WHERE company_id = $1"))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            removed.insert(*table, done.rows_affected());
        }
        let count = |table: &str| removed.get(table).copied().unwrap_or(0);
        let event = Change::of_company(actor, &company).event(
            Operation::Delete,
            Some(&company.resource_id),
            Some(audit::company_value(&company.fields)),
            None,
            format!(
                "Deleted company '{}' with its data: {} (deleted ones included) and {}",
                company.fields.name,
                audit::count_of(count("target_users"), "target user", "target users"),
                audit::count_of(count("api_clients"), "API client", "API clients"),
            ),
        );
        audit::insert(&mut tx, &event).await?;
        sqlx::query("DELETE FROM companies WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(DeleteOutcome::Deleted)
    }

    async fn search_companies(
        &self,
        under: &Company,
        search: &CompanySearch,
    ) -> Result<CompanyPage> {
        let v = Alias::new("v");
        let base = company_search_base(under, search.month);
        let mut cond = search.spec.cond.to_condition();
        let exceeded = Expr::col(Alias::new("is_number_of_users_limited"))
            .eq(true)
            .and(
                Expr::col(Alias::new("target_user_count"))
                    .gt(Expr::col(Alias::new("number_of_users"))),
            );
        if search.only_limit_exceeded {
            cond = cond.add(exceeded.clone());
        }

        let count_stmt = Query::select()
            .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
            .from_subquery(base.clone(), v.clone())
            .cond_where(cond.clone())
            .to_owned();
        let (sql, values) = self.render(&count_stmt);
        let total = get_i64(
            &bind_values(sqlx::query(&sql), &values)
                .fetch_one(&self.pool)
                .await?,
            "n",
        )?;

        let exceeded_stmt = Query::select()
            .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
            .from_subquery(base.clone(), v.clone())
            .and_where(exceeded)
            .to_owned();
        let (sql, values) = self.render(&exceeded_stmt);
        let limit_exceeded = get_i64(
            &bind_values(sqlx::query(&sql), &values)
                .fetch_one(&self.pool)
                .await?,
            "n",
        )?;

        let mut page_stmt = Query::select()
            .column(sea_query::Asterisk)
            .from_subquery(base, v)
            .cond_where(cond)
            .to_owned();
        apply_order(&mut page_stmt, &search.spec);
        let (sql, values) = self.render(&page_stmt);
        let rows = bind_values(sqlx::query(&sql), &values)
            .fetch_all(&self.pool)
            .await?;
        let rows = rows.iter().map(company_row).collect::<Result<Vec<_>>>()?;
        Ok(CompanyPage {
            total,
            limit_exceeded,
            rows,
        })
    }

    async fn user_counts(&self, company_id: i64, month: i64) -> Result<UserCounts> {
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(active), 0) AS BIGINT) AS a, CAST(COALESCE(SUM(inactive), 0) AS BIGINT) AS i, \
             CAST(COALESCE(SUM(deleted), 0) AS BIGINT) AS d, \
             CAST(COALESCE(SUM(CASE WHEN month = $1 THEN active + inactive + deleted ELSE 0 END), 0) AS BIGINT) AS m \
             FROM target_user_counters WHERE company_id = $2",
        )
        .bind(month)
        .bind(company_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(UserCounts {
            active: get_i64(&row, "a")?,
            inactive: get_i64(&row, "i")?,
            deleted: get_i64(&row, "d")?,
            added_in_month: get_i64(&row, "m")?,
        })
    }

    async fn insert_target_user(
        &self,
        company_id: i64,
        fields: &TargetUserFields,
        create_time: Millis,
        actor: &Actor,
    ) -> Result<TargetUser> {
        self.tu_insert(company_id, fields, create_time, actor).await
    }

    async fn insert_target_users(
        &self,
        company_id: i64,
        users: &[(TargetUserFields, Millis)],
        actor: &Actor,
    ) -> Result<u64> {
        self.tu_insert_many(company_id, users, actor).await
    }

    async fn update_target_user(
        &self,
        company_id: i64,
        resource_id: &str,
        fields: &TargetUserFields,
        actor: &Actor,
    ) -> Result<WriteOutcome> {
        self.tu_update(company_id, resource_id, fields, actor).await
    }

    async fn delete_target_user(
        &self,
        company_id: i64,
        resource_id: &str,
        actor: &Actor,
    ) -> Result<WriteOutcome> {
        self.tu_delete(company_id, resource_id, actor).await
    }

    async fn target_user(&self, company_id: i64, resource_id: &str) -> Result<Option<TargetUser>> {
        self.tu_get(company_id, resource_id).await
    }

    async fn target_users_by_resource_ids(
        &self,
        company_id: i64,
        ids: &[String],
        include_deleted: bool,
    ) -> Result<Vec<TargetUser>> {
        self.tu_by_ids(company_id, ids, include_deleted).await
    }

    async fn search_target_users(
        &self,
        company_id: i64,
        spec: &SearchSpec,
    ) -> Result<(i64, Vec<TargetUser>)> {
        self.tu_search(company_id, spec).await
    }

    async fn export_target_users(
        &self,
        company_id: i64,
        spec: &SearchSpec,
        all: bool,
        out: crate::ExportSink,
    ) -> Result<()> {
        self.tu_export(company_id, spec, all, out).await
    }

    async fn bulk_delete_target_users(
        &self,
        company_id: i64,
        selection: &BulkSelection,
        actor: &Actor,
    ) -> Result<i64> {
        self.tu_bulk_delete(company_id, selection, actor).await
    }

    async fn count_summary(&self, company_id: i64, months: &[i64]) -> Result<CountSummary> {
        self.tu_count_summary(company_id, months).await
    }

    async fn insert_client(&self, c: &NewClient, actor: &Actor) -> Result<ApiClient> {
        let resource_id = new_resource_id();
        let now = now_millis();
        let mut tx = self.write_tx().await?;
        let res = sqlx::query(
            "INSERT INTO api_clients (company_id, resource_id, name, client_id, secret_hash, role, status_id, has_ip_restriction, allowed_ips, create_time) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(c.company_id)
        .bind(&resource_id)
        .bind(&c.name)
        .bind(&c.client_id)
        .bind(&c.secret_hash)
        .bind(c.role.name())
        .bind(c.status_id)
        .bind(c.has_ip_restriction)
        .bind(json_list(&c.allowed_ips))
        .bind(now)
        .fetch_one(&mut *tx)
        .await;
        let row = match res {
            Ok(row) => row,
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::Conflict(format!(
                    "clientId '{}' is already in use; choose another",
                    c.client_id
                )))
            }
            Err(e) => return Err(e.into()),
        };
        let change = Change::within(&mut tx, actor, c.company_id, Entity::ApiClient).await?;
        let event = change.event(
            Operation::Create,
            Some(&resource_id),
            None,
            Some(audit::client_value(
                &c.name,
                &c.client_id,
                c.role,
                c.status_id,
                c.has_ip_restriction,
                &c.allowed_ips,
            )),
            format!(
                "Created API client '{}' with the role {} {}",
                c.client_id,
                c.role.name(),
                change.company.suffix()
            ),
        );
        audit::insert(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(ApiClient {
            id: get_i64(&row, "id")?,
            company_id: c.company_id,
            resource_id,
            name: c.name.clone(),
            client_id: c.client_id.clone(),
            secret_hash: c.secret_hash.clone(),
            role: c.role,
            status_id: c.status_id,
            has_ip_restriction: c.has_ip_restriction,
            allowed_ips: c.allowed_ips.clone(),
            create_time: now,
        })
    }

    async fn update_client(&self, id: i64, u: &ClientUpdate, actor: &Actor) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let sql = format!(
            "SELECT {CLIENT_COLUMNS} FROM api_clients WHERE id = $1{}",
            self.for_update()
        );
        let Some(row) = sqlx::query(&sql).bind(id).fetch_optional(&mut *tx).await? else {
            return Err(StoreError::NotFound);
        };
        let before = client_from_row(&row)?;
        let res = sqlx::query(
            "UPDATE api_clients SET name = $1, client_id = $2, secret_hash = COALESCE($3, secret_hash), role = $4, status_id = $5, \
             has_ip_restriction = $6, allowed_ips = $7, update_time = $8 WHERE id = $9",
        )
        .bind(&u.name)
        .bind(&u.client_id)
        .bind(u.secret_hash.clone())
        .bind(u.role.name())
        .bind(u.status_id)
        .bind(u.has_ip_restriction)
        .bind(json_list(&u.allowed_ips))
        .bind(now_millis())
        .bind(id)
        .execute(&mut *tx)
        .await;
        match res {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::Conflict(format!(
                    "clientId '{}' is already in use; choose another",
                    u.client_id
                )))
            }
            Err(e) => return Err(e.into()),
        }
        let change = Change::within(&mut tx, actor, before.company_id, Entity::ApiClient).await?;
        let after = audit::client_value(
            &u.name,
            &u.client_id,
            u.role,
            u.status_id,
            u.has_ip_restriction,
            &u.allowed_ips,
        );
        let event = audit::client_update_event(&change, &before, &after, u.secret_hash.is_some());
        audit::insert(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete_client(&self, id: i64, actor: &Actor) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let sql = format!(
            "SELECT {CLIENT_COLUMNS} FROM api_clients WHERE id = $1{}",
            self.for_update()
        );
        let Some(row) = sqlx::query(&sql).bind(id).fetch_optional(&mut *tx).await? else {
            return Err(StoreError::NotFound);
        };
        let before = client_from_row(&row)?;
        sqlx::query("DELETE FROM api_clients WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let change = Change::within(&mut tx, actor, before.company_id, Entity::ApiClient).await?;
        let event = change.event(
            Operation::Delete,
            Some(&before.resource_id),
            Some(audit::stored_client_value(&before)),
            None,
            format!(
                "Deleted API client '{}' {}",
                before.client_id,
                change.company.suffix()
            ),
        );
        audit::insert(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn client_by_client_id(&self, client_id: &str) -> Result<Option<ApiClient>> {
        let sql = format!("SELECT {CLIENT_COLUMNS} FROM api_clients WHERE client_id = $1");
        let row = sqlx::query(&sql)
            .bind(client_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(client_from_row).transpose()
    }

    async fn client_by_resource_id(&self, resource_id: &str) -> Result<Option<ApiClient>> {
        let sql = format!("SELECT {CLIENT_COLUMNS} FROM api_clients WHERE resource_id = $1");
        let row = sqlx::query(&sql)
            .bind(resource_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(client_from_row).transpose()
    }

    async fn search_clients(
        &self,
        company_id: i64,
        spec: &SearchSpec,
    ) -> Result<(i64, Vec<ApiClient>)> {
        let base = Query::select()
            .expr(Expr::cust(CLIENT_COLUMNS))
            .expr_as(Expr::cust("LOWER(name)"), Alias::new("name_lower"))
            .expr_as(
                Expr::cust("LOWER(client_id)"),
                Alias::new("client_id_lower"),
            )
            .from(Alias::new("api_clients"))
            .and_where(Expr::col(Alias::new("company_id")).eq(company_id))
            .to_owned();
        let v = Alias::new("v");
        let cond = spec.cond.to_condition();
        let count = Query::select()
            .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
            .from_subquery(base.clone(), v.clone())
            .cond_where(cond.clone())
            .to_owned();
        let (sql, values) = self.render(&count);
        let total = get_i64(
            &bind_values(sqlx::query(&sql), &values)
                .fetch_one(&self.pool)
                .await?,
            "n",
        )?;
        let mut page = Query::select()
            .column(sea_query::Asterisk)
            .from_subquery(base, v)
            .cond_where(cond)
            .to_owned();
        apply_order(&mut page, spec);
        let (sql, values) = self.render(&page);
        let rows = bind_values(sqlx::query(&sql), &values)
            .fetch_all(&self.pool)
            .await?;
        Ok((
            total,
            rows.iter()
                .map(client_from_row)
                .collect::<Result<Vec<_>>>()?,
        ))
    }

    async fn record_audit(&self, event: &AuditEvent) -> Result<()> {
        self.audit_record(event).await
    }

    async fn search_audit(
        &self,
        scope: &AuditScope,
        spec: &SearchSpec,
    ) -> Result<(i64, Vec<AuditRow>)> {
        self.audit_search(scope, spec).await
    }

    async fn export_audit(
        &self,
        scope: &AuditScope,
        spec: &SearchSpec,
        all: bool,
        out: AuditSink,
    ) -> Result<()> {
        self.audit_export(scope, spec, all, out).await
    }

    async fn purge_audit(&self, before: Millis, batch: i64) -> Result<u64> {
        self.audit_purge(before, batch).await
    }
}
