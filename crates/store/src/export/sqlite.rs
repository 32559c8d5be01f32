//! The SQLite export cursor, read through rusqlite on a blocking thread.
//!
//! sqlx's SQLite driver runs each statement on a worker thread, copies every column value into
//! the row it hands over a channel, and the `Any` driver converts each row once more: nothing
//! for a page of ten rows, most of the time of a large export or page (`docs/performance.md`).
//! So exports and search pages of 100 rows or more read here: one prepared statement on a
//! read-only connection of its own (outside the pool), inside one read transaction (a WAL
//! snapshot), with the same sea-query rendering and bound values as the sqlx path; only the
//! finished rows cross to the async side.

use std::path::Path;

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OpenFlags};
use sea_query::Values;
use tokio::sync::mpsc::Sender;

use super::send_all;
use crate::rows::{to_sql_value, FromColumns};
use crate::Result;

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

/// Every row `sql` selects (a search page). Blocking: call it from `spawn_blocking`.
pub(crate) fn fetch<T: FromColumns>(file: &Path, sql: &str, values: &Values) -> Result<Vec<T>> {
    read(file, sql, values, |rows| rows.collect())
}

/// Runs `sql` on its own read-only connection inside one read transaction and hands its rows,
/// decoded, to `consume`, which may stop reading early.
fn read<T: FromColumns, R>(
    file: &Path,
    sql: &str,
    values: &Values,
    consume: impl FnOnce(&mut dyn Iterator<Item = Result<T>>) -> Result<R>,
) -> Result<R> {
    let conn = Connection::open_with_flags(
        file,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // The same settings as the pool's connections, so the query means the same thing.
    conn.execute_batch("PRAGMA busy_timeout = 10000; PRAGMA case_sensitive_like = ON;")?;
    // One read transaction: the first read fixes the WAL snapshot every later row comes from.
    let tx = conn.unchecked_transaction()?;
    let result = {
        let mut stmt = tx.prepare(sql)?;
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
