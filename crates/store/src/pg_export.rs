//! The PostgreSQL export cursor, on its own native connection.
//!
//! The pool speaks through sqlx's `Any` driver, which turns every PostgreSQL row into an
//! engine-neutral row first (one more copy of every text value; its cost is in
//! `docs/performance.md`). An export instead opens one native connection for its
//! duration, reads the rows by position inside one REPEATABLE READ, READ ONLY transaction (a
//! consistent snapshot, as before), and closes it. A client that goes away drops the
//! connection, which ends the query on the server. Each running export therefore holds one
//! connection besides the pool's.

use futures::TryStreamExt;
use sea_query::Values;
use sqlx::postgres::{PgConnectOptions, PgRow};
use sqlx::{Connection, PgConnection, Row};

use crate::sql::bind_values;
use crate::{ExportBatch, ExportSink, Result, TargetUser, TargetUserFields};

/// Runs `sql` (columns in `TU_COLUMNS` order) and sends each user to `out`.
pub(crate) async fn export(
    options: &PgConnectOptions,
    sql: &str,
    values: &Values,
    out: &ExportSink,
) -> Result<()> {
    let mut conn = PgConnection::connect_with(options).await?;
    let mut tx = conn.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    {
        let mut rows = bind_values(sqlx::query(sql), values).fetch(&mut *tx);
        let mut batch = ExportBatch::new();
        while let Some(row) = rows.try_next().await? {
            if let Some(full) = batch.push(user(&row)?) {
                if out.send(Ok(full)).await.is_err() {
                    // The client went away: dropping the connection ends the query.
                    return Ok(());
                }
            }
        }
        if let Some(rest) = batch.rest() {
            let _ = out.send(Ok(rest)).await;
        }
    }
    tx.rollback().await?;
    conn.close().await?;
    Ok(())
}

fn user(row: &PgRow) -> Result<TargetUser> {
    Ok(TargetUser {
        id: row.try_get(0)?,
        company_id: row.try_get(1)?,
        resource_id: row.try_get(2)?,
        fields: TargetUserFields {
            email: row.try_get(3)?,
            first_name: row.try_get(4)?,
            last_name: row.try_get(5)?,
            department: row.try_get(6)?,
            phone_number: row.try_get(7)?,
            priority: row.try_get(8)?,
            is_active: row.try_get(9)?,
            time_zone_id: row.try_get(11)?,
            preferred_language_id: row.try_get(12)?,
            manager_first_name: row.try_get(13)?,
            manager_last_name: row.try_get(14)?,
            manager_email: row.try_get(15)?,
        },
        is_deleted: row.try_get(10)?,
        create_time: row.try_get(16)?,
        update_time: row.try_get(17)?,
    })
}
