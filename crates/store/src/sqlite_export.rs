//! The SQLite export cursor, read through rusqlite on a blocking thread.
//!
//! sqlx's SQLite driver runs each statement on a worker thread, copies every column value into
//! the row it hands over a channel, and the `Any` driver converts each row once more: nothing
//! for a page of ten rows, most of the time of a large export or page (`docs/performance.md`).
//! So exports and search pages of 100 rows or more read here: one prepared statement on a
//! read-only connection of its own (outside the pool), inside one read transaction (a WAL
//! snapshot), with the same sea-query rendering and bound values as the sqlx path; only the
//! finished [`TargetUser`] crosses to the async side.

use std::path::Path;

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OpenFlags, Row};
use sea_query::Values;

use crate::{ExportBatch, ExportSink, Result, StoreError, TargetUser, TargetUserFields};

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        let busy = matches!(
            e.sqlite_error_code(),
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        );
        StoreError::Reader {
            busy,
            message: e.to_string(),
        }
    }
}

/// Runs `sql` (columns in [`crate::target_users::TU_COLUMNS`] order) against the database file
/// and sends each user to `out`, stopping early when the receiver is gone. Blocking: call it
/// from `spawn_blocking`.
pub(crate) fn export(file: &Path, sql: &str, values: &Values, out: &ExportSink) -> Result<()> {
    let mut batch = ExportBatch::new();
    let mut gone = false;
    read(file, sql, values, |u| {
        if let Some(full) = batch.push(u) {
            if out.blocking_send(Ok(full)).is_err() {
                // The client went away: stop reading.
                gone = true;
                return false;
            }
        }
        true
    })?;
    if let (false, Some(rest)) = (gone, batch.rest()) {
        let _ = out.blocking_send(Ok(rest));
    }
    Ok(())
}

/// Every user `sql` selects (a search page). Blocking: call it from `spawn_blocking`.
pub(crate) fn fetch(file: &Path, sql: &str, values: &Values) -> Result<Vec<TargetUser>> {
    let mut users = Vec::new();
    read(file, sql, values, |u| {
        users.push(u);
        true
    })?;
    Ok(users)
}

/// Runs `sql` on its own read-only connection inside one read transaction and hands each user
/// to `each` until it returns `false`.
fn read(
    file: &Path,
    sql: &str,
    values: &Values,
    mut each: impl FnMut(TargetUser) -> bool,
) -> Result<()> {
    let conn = Connection::open_with_flags(
        file,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // The same settings as the pool's connections, so the query means the same thing.
    conn.execute_batch("PRAGMA busy_timeout = 10000; PRAGMA case_sensitive_like = ON;")?;
    // One read transaction: the first read fixes the WAL snapshot every later row comes from.
    let tx = conn.unchecked_transaction()?;
    {
        let mut stmt = tx.prepare(sql)?;
        let params: Vec<SqlValue> = values.0.iter().map(to_sql_value).collect();
        let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
        while let Some(row) = rows.next()? {
            if !each(user(row)?) {
                break;
            }
        }
    }
    tx.rollback()?;
    Ok(())
}

fn user(row: &Row<'_>) -> Result<TargetUser> {
    Ok(TargetUser {
        id: row.get(0)?,
        company_id: row.get(1)?,
        resource_id: row.get(2)?,
        fields: TargetUserFields {
            email: row.get(3)?,
            first_name: row.get(4)?,
            last_name: row.get(5)?,
            department: row.get(6)?,
            phone_number: row.get(7)?,
            priority: row.get(8)?,
            is_active: row.get::<_, i64>(9)? != 0,
            time_zone_id: row.get(11)?,
            preferred_language_id: row.get(12)?,
            manager_first_name: row.get(13)?,
            manager_last_name: row.get(14)?,
            manager_email: row.get(15)?,
        },
        is_deleted: row.get::<_, i64>(10)? != 0,
        create_time: row.get(16)?,
        update_time: row.get(17)?,
    })
}

/// A sea-query value as rusqlite binds it; the same mapping as `sql::bind_values`.
pub(crate) fn to_sql_value(v: &sea_query::Value) -> SqlValue {
    use sea_query::Value as V;
    let int = |i: Option<i64>| i.map_or(SqlValue::Null, SqlValue::Integer);
    match v {
        V::Bool(b) => int(b.map(i64::from)),
        V::TinyInt(i) => int(i.map(i64::from)),
        V::SmallInt(i) => int(i.map(i64::from)),
        V::Int(i) => int(i.map(i64::from)),
        V::BigInt(i) => int(*i),
        V::TinyUnsigned(i) => int(i.map(i64::from)),
        V::SmallUnsigned(i) => int(i.map(i64::from)),
        V::Unsigned(i) => int(i.map(i64::from)),
        V::BigUnsigned(i) => int(i.map(|u| i64::try_from(u).unwrap_or(i64::MAX))),
        V::String(s) => s
            .as_deref()
            .map_or(SqlValue::Null, |s| SqlValue::Text(s.clone())),
        V::Char(c) => c.map_or(SqlValue::Null, |c| SqlValue::Text(c.to_string())),
        V::Float(f) => f.map_or(SqlValue::Null, |f| SqlValue::Real(f64::from(f))),
        V::Double(f) => f.map_or(SqlValue::Null, SqlValue::Real),
        _ => SqlValue::Null,
    }
}
