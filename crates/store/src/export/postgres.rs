//! The PostgreSQL export cursor, on its own native connection.
//!
//! The pool speaks through sqlx's `Any` driver, which turns every PostgreSQL row into an
//! engine-neutral row first (one more copy of every text value; its cost is in
//! `docs/performance.md`). An export instead opens one native connection for its
//! duration, reads the rows by position inside one REPEATABLE READ, READ ONLY transaction (a
//! consistent snapshot, as before), and closes it. A client that goes away drops the
//! connection, which ends the query on the server. Each running export therefore holds one
//! connection besides the pool's.

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
