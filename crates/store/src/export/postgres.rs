//! The PostgreSQL export cursor, on its own native connection, and the kept native
//! connections that read a request's search pages and counters ([`Readers`]).
//!
//! The pool speaks through sqlx's `Any` driver, which turns every PostgreSQL row into an
//! engine-neutral row first (one more copy of every text value; its cost is in
//! `docs/performance.md`). An export instead opens one native connection for its
//! duration, reads the rows by position inside one REPEATABLE READ, READ ONLY transaction (a
//! consistent snapshot, as before), and closes it. A client that goes away drops the
//! connection, which ends the query on the server. Each running export therefore holds one
//! connection besides the pool's.

use std::time::Duration;

use deadpool::managed::{Metrics, Object, Pool, PoolError, RecycleError, RecycleResult};
use futures::{future, TryStreamExt};
use sea_query::Values;
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};
use tokio::sync::mpsc::Sender;

use super::{send_all, Sent};
use crate::rows::{bind_values, FromColumns};
use crate::{Result, StoreError};

/// Runs `sql` (columns in `T`'s SELECT order) and sends each row, decoded, to `out`.
pub(crate) async fn export<T: FromColumns>(
    options: &PgConnectOptions,
    sql: &str,
    values: &Values,
    out: &Sender<Result<Vec<T>>>,
) -> Result<()> {
    let mut conn = PgConnection::connect_with(options).await?;
    let mut tx = conn.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    let rows = bind_values(sqlx::query(sql), values)
        .fetch(&mut *tx)
        .map_err(StoreError::from)
        .and_then(|row| future::ready(T::from_columns(&row)));
    if send_all(rows, out).await? == Sent::ReceiverGone {
        // Dropping the connection ends the query; a rollback would first read every row left.
        return Ok(());
    }
    tx.rollback().await?;
    conn.close().await?;
    Ok(())
}

/// Native connections kept for the statements of a read request: a search's total and page,
/// a company's counters. sqlx's pool pings every connection it takes back, one more round trip
/// to PostgreSQL per statement (docs/performance.md, "PostgreSQL: reads on kept connections");
/// these are pinged only after [`PING_AFTER_IDLE`](crate::open::PING_AFTER_IDLE) unused, as the
/// pool's are before it hands one out. Rows also skip the `Any` driver's conversion.
pub(crate) struct Readers {
    options: PgConnectOptions,
    pool: Pool<Opener>,
}

/// Opens and vets [`Readers`]' connections.
struct Opener {
    options: PgConnectOptions,
}

/// One kept connection. `whole` is false while a statement runs on it: a request dropped then
/// (its client went away) leaves the connection mid-protocol, so it is closed, not reused.
struct Reader {
    conn: PgConnection,
    whole: bool,
}

/// A connection older than this is closed and replaced, as sqlx's pool does by default, so that
/// a backend's caches do not grow for ever.
const MAX_LIFETIME: Duration = Duration::from_secs(30 * 60);

impl deadpool::managed::Manager for Opener {
    type Type = Reader;
    type Error = sqlx::Error;

    async fn create(&self) -> std::result::Result<Reader, sqlx::Error> {
        Ok(Reader {
            conn: PgConnection::connect_with(&self.options).await?,
            whole: true,
        })
    }

    async fn recycle(&self, r: &mut Reader, m: &Metrics) -> RecycleResult<sqlx::Error> {
        if !r.whole {
            return Err(RecycleError::message("a statement on it was cut off"));
        }
        if m.created.elapsed() >= MAX_LIFETIME {
            return Err(RecycleError::message("open for its whole lifetime"));
        }
        if m.last_used() >= crate::open::PING_AFTER_IDLE {
            r.conn.ping().await?;
        }
        Ok(())
    }
}

impl Readers {
    /// At most `max` connections to the database `options` names; a read waits at most `wait`
    /// for one (to be free, opened or vetted).
    pub(crate) fn new(options: PgConnectOptions, max: u32, wait: Duration) -> Result<Self> {
        let pool = Pool::builder(Opener {
            options: options.clone().application_name("rollcall"),
        })
        .max_size(usize::try_from(max).unwrap_or(usize::MAX))
        .runtime(deadpool::Runtime::Tokio1)
        .wait_timeout(Some(wait))
        .create_timeout(Some(wait))
        .recycle_timeout(Some(wait))
        .build()
        .map_err(|e| StoreError::Config(format!("the PostgreSQL readers: {e}")))?;
        Ok(Self { options, pool })
    }

    /// Closes the idle connections now and each busy one when its read ends; a read after
    /// this fails.
    pub(crate) fn close(&self) {
        self.pool.close();
    }

    /// The database's options, for an export's own connection.
    pub(crate) fn options(&self) -> &PgConnectOptions {
        &self.options
    }

    /// Connections open now, and those of them not in use.
    pub(crate) fn open_and_idle(&self) -> (u32, u32) {
        let s = self.pool.status();
        let n = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        (n(s.size), n(s.available))
    }

    /// Every row of `sql` (columns in `T`'s SELECT order), bound to `values`, decoded.
    pub(crate) async fn fetch_all<T: FromColumns>(
        &self,
        sql: &str,
        values: &Values,
    ) -> Result<Vec<T>> {
        let mut reader = self.pool.get().await.map_err(|e| match e {
            PoolError::Backend(e) => StoreError::Db(e),
            PoolError::Timeout(_) => StoreError::Db(sqlx::Error::PoolTimedOut),
            other => StoreError::Db(sqlx::Error::Protocol(format!(
                "no PostgreSQL reader: {other}"
            ))),
        })?;
        reader.whole = false;
        let rows = bind_values(sqlx::query(sql), values)
            .fetch_all(&mut reader.conn)
            .await;
        // PostgreSQL's own errors (a bad statement, a cancelled query) leave the connection
        // ready for the next statement; a broken socket or protocol does not.
        if matches!(rows, Ok(_) | Err(sqlx::Error::Database(_))) {
            reader.whole = true;
        } else {
            drop(Object::take(reader));
        }
        rows?.iter().map(T::from_columns).collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::str::FromStr;
    use std::time::Instant;

    use super::*;

    const PID: &str = "SELECT pg_backend_pid()::bigint";

    /// Readers of at most one connection to the test server (its own database: nothing here
    /// touches a table).
    fn one_reader() -> Readers {
        let url = std::env::var("ROLLCALL_TEST_DATABASE_URL").unwrap();
        let options = PgConnectOptions::from_str(url.trim()).unwrap();
        Readers::new(options, 1, Duration::from_secs(10)).unwrap()
    }

    async fn pid(r: &Readers) -> i64 {
        let [[pid]] = r.fetch_all::<[i64; 1]>(PID, &Values(vec![])).await.unwrap()[..] else {
            panic!("one row");
        };
        pid
    }

    #[tokio::test]
    #[cfg_attr(
        rollcall_no_pg,
        ignore = "set ROLLCALL_TEST_DATABASE_URL to a PostgreSQL server"
    )]
    async fn a_statement_cut_off_closes_its_connection() {
        let r = one_reader();
        let first = pid(&r).await;
        // The caller goes away while PostgreSQL is still sleeping.
        let cut = tokio::time::timeout(
            Duration::from_millis(200),
            r.fetch_all::<[i64; 1]>("SELECT 1::bigint FROM pg_sleep(5)", &Values(vec![])),
        )
        .await;
        assert!(cut.is_err(), "the sleep was cut off");
        let started = Instant::now();
        let next = pid(&r).await;
        assert_ne!(next, first, "a new connection, not the one cut off");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "the next read did not wait for the cut-off statement: {:?}",
            started.elapsed()
        );
    }

    #[tokio::test]
    #[cfg_attr(
        rollcall_no_pg,
        ignore = "set ROLLCALL_TEST_DATABASE_URL to a PostgreSQL server"
    )]
    async fn an_error_of_postgresql_keeps_the_connection() {
        let r = one_reader();
        let first = pid(&r).await;
        let err = r
            .fetch_all::<[i64; 1]>("SELECT (1 / 0)::bigint", &Values(vec![]))
            .await;
        assert!(matches!(err, Err(StoreError::Db(sqlx::Error::Database(_)))));
        assert_eq!(pid(&r).await, first, "the same connection, still usable");
    }

    #[tokio::test]
    #[cfg_attr(
        rollcall_no_pg,
        ignore = "set ROLLCALL_TEST_DATABASE_URL to a PostgreSQL server"
    )]
    async fn a_connection_gone_while_idle_is_replaced() {
        let r = one_reader();
        let first = pid(&r).await;
        // Another session ends the kept connection's backend, as a PostgreSQL restart would.
        let url = std::env::var("ROLLCALL_TEST_DATABASE_URL").unwrap();
        let mut other = PgConnection::connect(url.trim()).await.unwrap();
        sqlx::query("SELECT pg_terminate_backend($1::int)")
            .bind(first)
            .execute(&mut other)
            .await
            .unwrap();
        tokio::time::sleep(crate::open::PING_AFTER_IDLE + Duration::from_millis(200)).await;
        let next = pid(&r).await;
        assert_ne!(next, first);
    }
}
