//! The SQLite export cursor, read through rusqlite on a blocking thread.
//!
//! sqlx's SQLite driver runs each statement on a worker thread, copies every column value into
//! the row it hands over a channel, and the `Any` driver converts each row once more: most of
//! the time of a large export or page, and a thread hand-over per row of any page
//! (`docs/performance.md`). So exports and search pages read here: one prepared statement on a
//! read-only connection outside the pool (kept open between pages, [`Readers`]; an export's
//! own), inside one read transaction (a WAL snapshot), with the same sea-query rendering and
//! bound values as the sqlx path; only the finished rows cross to the async side.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OpenFlags};
use sea_query::Values;
use tokio::sync::mpsc::Sender;
use tokio::sync::Semaphore;

use super::send_all;
use crate::rows::{to_sql_value, FromColumns};
use crate::{Result, StoreError};

/// Read-only connections to one database file for search pages, kept open between pages
/// (opening one reads the schema again), at most `max` reading at once, as the sqlx read pool.
pub(crate) struct Readers {
    file: PathBuf,
    idle: Mutex<Vec<Connection>>,
    permits: Arc<Semaphore>,
    keep: usize,
}

impl Readers {
    pub(crate) fn new(file: PathBuf, max: u32) -> Self {
        let max = usize::try_from(max.max(1)).unwrap_or(1);
        Readers {
            file,
            idle: Mutex::new(Vec::with_capacity(max)),
            permits: Arc::new(Semaphore::new(max)),
            keep: max,
        }
    }

    /// The database file.
    pub(crate) fn file(&self) -> &Path {
        &self.file
    }

    /// Every row `sql` selects (a search page), read on a blocking thread through a kept
    /// connection: one hand-over for the page instead of one per statement and row.
    pub(crate) async fn fetch<T: FromColumns + Send + 'static>(
        self: &Arc<Self>,
        sql: String,
        values: Values,
    ) -> Result<Vec<T>> {
        let permit =
            self.permits.clone().acquire_owned().await.map_err(|e| {
                StoreError::TaskStopped(format!("the search page readers closed: {e}"))
            })?;
        let readers = self.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let conn = match readers.idle.lock().ok().and_then(|mut idle| idle.pop()) {
                Some(conn) => conn,
                None => open(&readers.file)?,
            };
            let rows = read_on(&conn, &sql, &values, |rows| rows.collect());
            // A connection that failed a read is dropped rather than kept.
            if rows.is_ok() {
                if let Ok(mut idle) = readers.idle.lock() {
                    if idle.len() < readers.keep {
                        idle.push(conn);
                    }
                }
            }
            rows
        })
        .await
        .map_err(|e| StoreError::TaskStopped(format!("the search page reader stopped: {e}")))?
    }

    /// Every row of a read that is small by its shape (a company's counter rows, one per month,
    /// found through an index led by the company), read on the calling thread when a kept
    /// connection is free: handing a read of a few rows to a blocking thread cost more than the
    /// read (`docs/performance.md`, "Counter reads on the calling thread"). The read does not
    /// wait for a lock here; a busy database sends it to [`fetch`](Self::fetch), as does a
    /// moment when every kept connection is in use.
    pub(crate) async fn fetch_small<T: FromColumns + Send + 'static>(
        self: &Arc<Self>,
        sql: String,
        values: Values,
    ) -> Result<Vec<T>> {
        if let Ok(permit) = self.permits.clone().try_acquire_owned() {
            let conn = self.idle.lock().ok().and_then(|mut idle| idle.pop());
            if let Some(conn) = conn {
                let rows = conn
                    .busy_timeout(Duration::ZERO)
                    .map_err(StoreError::from)
                    .and_then(|()| read_on(&conn, &sql, &values, |rows| rows.collect()));
                let restored = conn.busy_timeout(BUSY_TIMEOUT).is_ok();
                let busy = matches!(rows, Err(StoreError::Reader { busy: true, .. }));
                if restored && (rows.is_ok() || busy) {
                    if let Ok(mut idle) = self.idle.lock() {
                        if idle.len() < self.keep {
                            idle.push(conn);
                        }
                    }
                }
                if !busy {
                    return rows;
                }
            }
            drop(permit);
        }
        self.fetch(sql, values).await
    }
}

/// Runs `sql` (columns in `T`'s SELECT order) against the database file and sends each row,
/// decoded, to `out`, stopping early when the receiver is gone. Blocking: call it from
/// `spawn_blocking`.
pub(crate) fn export<T: FromColumns>(
    file: &Path,
    sql: &str,
    values: &Values,
    out: &Sender<Result<Vec<T>>>,
) -> Result<()> {
    read(file, sql, values, |rows| {
        // The shared loop, driven on this blocking thread as `blocking_send` would be.
        futures::executor::block_on(send_all(futures::stream::iter(rows), out)).map(drop)
    })
}

/// Runs `sql` on its own read-only connection inside one read transaction and hands its rows,
/// decoded, to `consume`, which may stop reading early.
fn read<T: FromColumns, R>(
    file: &Path,
    sql: &str,
    values: &Values,
    consume: impl FnOnce(&mut dyn Iterator<Item = Result<T>>) -> Result<R>,
) -> Result<R> {
    read_on(&open(file)?, sql, values, consume)
}

/// How long a read on a blocking thread waits for a lock, as the pool's connections do.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// A read-only connection to `file`.
fn open(file: &Path) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        file,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // The same settings as the pool's connections, so the query means the same thing.
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.execute_batch("PRAGMA case_sensitive_like = ON;")?;
    Ok(conn)
}

/// [`read`] on the connection `conn`.
fn read_on<T: FromColumns, R>(
    conn: &Connection,
    sql: &str,
    values: &Values,
    consume: impl FnOnce(&mut dyn Iterator<Item = Result<T>>) -> Result<R>,
) -> Result<R> {
    // One read transaction: the first read fixes the WAL snapshot every later row comes from.
    let tx = conn.unchecked_transaction()?;
    let result = {
        // Kept connections keep their statements: a page asked again is not planned again.
        let mut stmt = tx.prepare_cached(sql)?;
        let params: Vec<SqlValue> = values.0.iter().map(to_sql_value).collect();
        let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
        let mut decoded = std::iter::from_fn(|| match rows.next() {
            Ok(Some(row)) => Some(T::from_columns(row)),
            Ok(None) => None,
            Err(e) => Some(Err(e.into())),
        });
        consume(&mut decoded)?
    };
    tx.rollback()?;
    Ok(result)
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use sea_query::Value;

    use super::*;

    /// A file in rollback-journal mode, where a writer's `BEGIN EXCLUSIVE` shuts readers out
    /// (in WAL mode, which the store uses, readers are almost never refused).
    fn numbers(dir: &Path) -> PathBuf {
        let file = dir.join("n.db");
        let conn = Connection::open(&file).expect("create the file");
        conn.execute_batch(
            "CREATE TABLE n (company INTEGER, x INTEGER); \
             INSERT INTO n VALUES (1, 10), (1, 20), (2, 30);",
        )
        .expect("fill the file");
        file
    }

    const SQL: &str = "SELECT x FROM n WHERE company = ? ORDER BY x";

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_small_read_waits_out_a_lock_instead_of_failing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = numbers(dir.path());
        let readers = Arc::new(Readers::new(file.clone(), 2));
        let company = |id: i64| Values(vec![Value::BigInt(Some(id))]);
        // The first read opens a connection on a blocking thread and keeps it; the second
        // reads through it on this thread.
        let rows: Vec<[i64; 1]> = readers
            .fetch_small(SQL.into(), company(1))
            .await
            .expect("read");
        assert_eq!(rows, vec![[10], [20]]);
        let rows: Vec<[i64; 1]> = readers
            .fetch_small(SQL.into(), company(2))
            .await
            .expect("read");
        assert_eq!(rows, vec![[30]]);
        assert_eq!(readers.idle.lock().expect("idle").len(), 1);

        let locker = Connection::open(&file).expect("open the locker");
        locker
            .execute_batch("BEGIN EXCLUSIVE; INSERT INTO n VALUES (1, 15);")
            .expect("lock the file");
        let release = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            locker.execute_batch("COMMIT").expect("commit");
        });
        let started = Instant::now();
        let rows: Vec<[i64; 1]> = readers
            .fetch_small(SQL.into(), company(1))
            .await
            .expect("the read waits for the lock rather than failing");
        assert!(started.elapsed() >= Duration::from_millis(250));
        assert_eq!(
            rows,
            vec![[10], [15], [20]],
            "the read sees the committed row"
        );
        release.join().expect("locker");
        // The connection refused on this thread is kept, with its usual busy timeout.
        assert_eq!(readers.idle.lock().expect("idle").len(), 1);
        let rows: Vec<[i64; 1]> = readers
            .fetch_small(SQL.into(), company(2))
            .await
            .expect("read");
        assert_eq!(rows, vec![[30]]);
    }
}
