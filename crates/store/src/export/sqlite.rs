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

/// A read-only connection to `file`.
fn open(file: &Path) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        file,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // The same settings as the pool's connections, so the query means the same thing.
    conn.execute_batch("PRAGMA busy_timeout = 10000; PRAGMA case_sensitive_like = ON;")?;
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
