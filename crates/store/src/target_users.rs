//! Target users in SQL, with the per-company counters kept in the same transaction as every
//! write, so that totals and the count summary cost a lookup, not a scan.

use std::collections::HashMap;

use futures::TryStreamExt;
use sea_query::{Alias, Condition, Expr, Query, SimpleExpr, Values};
use sqlx::any::AnyRow;
use sqlx::AnyConnection;

use crate::audit::{self, Actor, Change, Entity, Operation};
use crate::model::*;
use crate::query::{month_of, Cond, SearchSpec};
use crate::sql::{
    apply_order, bind_values, get_bool, get_i64, get_str, is_unique_violation, new_resource_id,
    Engine, SqlStore,
};
use crate::{ExportBatch, ExportSink, Result, StoreError};

/// Columns read into a [`TargetUser`].
pub(crate) const TU_COLUMNS: &str = "id, company_id, resource_id, email, first_name, last_name, department, phone_number, \
    priority, is_active, is_deleted, time_zone_id, preferred_language_id, manager_first_name, manager_last_name, \
    manager_email, create_time, update_time";

pub(crate) fn target_user_from_row(row: &AnyRow) -> Result<TargetUser> {
    Ok(TargetUser {
        id: get_i64(row, "id")?,
        company_id: get_i64(row, "company_id")?,
        resource_id: get_str(row, "resource_id")?,
        fields: TargetUserFields {
            email: get_str(row, "email")?,
            first_name: get_str(row, "first_name")?,
            last_name: get_str(row, "last_name")?,
            department: get_str(row, "department")?,
            phone_number: get_str(row, "phone_number")?,
            priority: get_i64(row, "priority")?,
            is_active: get_bool(row, "is_active")?,
            time_zone_id: get_str(row, "time_zone_id")?,
            preferred_language_id: get_str(row, "preferred_language_id")?,
            manager_first_name: get_str(row, "manager_first_name")?,
            manager_last_name: get_str(row, "manager_last_name")?,
            manager_email: get_str(row, "manager_email")?,
        },
        is_deleted: get_bool(row, "is_deleted")?,
        create_time: get_i64(row, "create_time")?,
        update_time: get_i64(row, "update_time")?,
    })
}

/// Search pages of at least this many rows are read through rusqlite on a file database: from
/// about here, opening its own connection costs less than sqlx's per-row hand-over saves.
const RUSQLITE_PAGE_ROWS: i64 = 100;

/// Search pages from this offset on are a deferred join (see `tu_page_sql`).
const DEFERRED_JOIN_OFFSET: i64 = 1000;

/// Columns of the SQLite trigram index `target_users_fts` (migration 0003).
const FTS_COLUMNS: &[&str] = crate::fields::TARGET_USER_SEARCHED_COLUMNS;

/// On SQLite, answers a `Contains` on an indexed column from the trigram index instead of a
/// scan. The index needs at least three characters; GLOB (case-sensitive, like our LIKE) is the
/// operator it indexes, so needles with GLOB wildcards keep the plain LIKE.
fn sqlite_contains_from_index(c: &Cond) -> Option<SimpleExpr> {
    let Cond::Contains {
        column,
        needle,
        negated: false,
    } = c
    else {
        return None;
    };
    if !FTS_COLUMNS.contains(column)
        || needle.chars().count() < 3
        || needle.contains(['*', '?', '[', ']'])
    {
        return None;
    }
    // `column` comes from the allow-list above, never from input; the needle is bound.
    Some(Expr::cust_with_values(
        format!("id IN (SELECT rowid FROM target_users_fts WHERE {column} GLOB ?)"),
        [format!("*{needle}*")],
    ))
}

fn duplicate_email(email: &str) -> StoreError {
    StoreError::Conflict(format!(
        "a target user with the email '{email}' already exists in this company; update that user instead"
    ))
}

/// Adds deltas to one (company, month) counter row.
async fn bump(
    conn: &mut AnyConnection,
    company_id: i64,
    month: i64,
    active: i64,
    inactive: i64,
    deleted: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO target_user_counters (company_id, month, active, inactive, deleted) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (company_id, month) DO UPDATE SET active = target_user_counters.active + excluded.active, \
         inactive = target_user_counters.inactive + excluded.inactive, deleted = target_user_counters.deleted + excluded.deleted",
    )
    .bind(company_id)
    .bind(month)
    .bind(active)
    .bind(inactive)
    .bind(deleted)
    .execute(conn)
    .await?;
    Ok(())
}

/// Most deleted users a bulk delete's audit row names by id; the rest are only counted, so that
/// a delete of 100,000 users writes a row of kilobytes, not megabytes.
const BULK_AUDIT_IDS: usize = 1000;

/// Counter deltas of soft-deleting a user that was active or not.
fn delete_delta(was_active: bool) -> (i64, i64, i64) {
    if was_active {
        (-1, 0, 1)
    } else {
        (0, -1, 1)
    }
}

impl SqlStore {
    /// A target-user filter rendered for this engine.
    fn tu_condition(&self, cond: &Cond) -> Condition {
        match self.engine {
            Engine::Sqlite => cond.to_condition_with(&sqlite_contains_from_index),
            Engine::Postgres => cond.to_condition(),
        }
    }

    pub(crate) async fn tu_insert(
        &self,
        company_id: i64,
        f: &TargetUserFields,
        create_time: Millis,
        actor: &Actor,
    ) -> Result<TargetUser> {
        let resource_id = new_resource_id();
        let month = month_of(create_time);
        let mut tx = self.write_tx().await?;
        let res = sqlx::query(
            "INSERT INTO target_users (company_id, resource_id, email, email_lower, first_name, first_name_lower, last_name, \
             last_name_lower, department, department_lower, phone_number, phone_lower, priority, is_active, is_deleted, \
             time_zone_id, preferred_language_id, manager_first_name, manager_last_name, manager_email, manager_full_name_lower, \
             manager_email_lower, create_time, create_month, update_time) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25) \
             RETURNING id",
        )
        .bind(company_id)
        .bind(&resource_id)
        .bind(&f.email)
        .bind(f.email.to_lowercase())
        .bind(&f.first_name)
        .bind(f.first_name.to_lowercase())
        .bind(&f.last_name)
        .bind(f.last_name.to_lowercase())
        .bind(&f.department)
        .bind(f.department.to_lowercase())
        .bind(&f.phone_number)
        .bind(f.phone_number.to_lowercase())
        .bind(f.priority)
        .bind(f.is_active)
        .bind(false)
        .bind(&f.time_zone_id)
        .bind(&f.preferred_language_id)
        .bind(&f.manager_first_name)
        .bind(&f.manager_last_name)
        .bind(&f.manager_email)
        .bind(f.manager_full_name().to_lowercase())
        .bind(f.manager_email.to_lowercase())
        .bind(create_time)
        .bind(month)
        .bind(create_time)
        .fetch_one(&mut *tx)
        .await;
        let row = match res {
            Ok(r) => r,
            Err(e) if is_unique_violation(&e) => return Err(duplicate_email(&f.email)),
            Err(e) => return Err(e.into()),
        };
        let id = get_i64(&row, "id")?;
        let (a, i) = if f.is_active { (1, 0) } else { (0, 1) };
        bump(&mut tx, company_id, month, a, i, 0).await?;
        let change = Change::within(&mut tx, actor, company_id, Entity::TargetUser).await?;
        let event = change.event(
            Operation::Create,
            Some(&resource_id),
            None,
            Some(audit::user_value(f)),
            format!(
                "Created target user '{}' {}",
                f.email,
                change.company.suffix()
            ),
        );
        audit::insert(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(TargetUser {
            id,
            company_id,
            resource_id,
            fields: f.clone(),
            is_deleted: false,
            create_time,
            update_time: create_time,
        })
    }

    /// Inserts many users in one transaction with multi-row INSERTs and one counter update per
    /// month. Any duplicate email refuses the whole batch.
    pub(crate) async fn tu_insert_many(
        &self,
        company_id: i64,
        users: &[(TargetUserFields, Millis)],
        actor: &Actor,
    ) -> Result<u64> {
        // 25 values a row; 800 rows stay under SQLite's 32,766 bound parameters.
        const ROWS_PER_STATEMENT: usize = 800;
        let mut tx = self.write_tx().await?;
        let mut months: HashMap<i64, (i64, i64)> = HashMap::new();
        for chunk in users.chunks(ROWS_PER_STATEMENT) {
            let mut stmt = Query::insert()
                .into_table(Alias::new("target_users"))
                .columns(
                    [
                        "company_id",
                        "resource_id",
                        "email",
                        "email_lower",
                        "first_name",
                        "first_name_lower",
                        "last_name",
                        "last_name_lower",
                        "department",
                        "department_lower",
                        "phone_number",
                        "phone_lower",
                        "priority",
                        "is_active",
                        "is_deleted",
                        "time_zone_id",
                        "preferred_language_id",
                        "manager_first_name",
                        "manager_last_name",
                        "manager_email",
                        "manager_full_name_lower",
                        "manager_email_lower",
                        "create_time",
                        "create_month",
                        "update_time",
                    ]
                    .map(Alias::new),
                )
                .to_owned();
            for (f, created) in chunk {
                let month = month_of(*created);
                let e = months.entry(month).or_default();
                if f.is_active {
                    e.0 += 1;
                } else {
                    e.1 += 1;
                }
                stmt.values([
                    company_id.into(),
                    new_resource_id().into(),
                    f.email.clone().into(),
                    f.email.to_lowercase().into(),
                    f.first_name.clone().into(),
                    f.first_name.to_lowercase().into(),
                    f.last_name.clone().into(),
                    f.last_name.to_lowercase().into(),
                    f.department.clone().into(),
                    f.department.to_lowercase().into(),
                    f.phone_number.clone().into(),
                    f.phone_number.to_lowercase().into(),
                    f.priority.into(),
                    f.is_active.into(),
                    false.into(),
                    f.time_zone_id.clone().into(),
                    f.preferred_language_id.clone().into(),
                    f.manager_first_name.clone().into(),
                    f.manager_last_name.clone().into(),
                    f.manager_email.clone().into(),
                    f.manager_full_name().to_lowercase().into(),
                    f.manager_email.to_lowercase().into(),
                    (*created).into(),
                    month.into(),
                    (*created).into(),
                ])
                .map_err(|e| StoreError::Statement(format!("the insert: {e}")))?;
            }
            let (sql, values) = self.render(&stmt);
            match bind_values(sqlx::query(&sql), &values).execute(&mut *tx).await {
                Ok(_) => {}
                Err(e) if is_unique_violation(&e) => {
                    return Err(StoreError::Conflict(
                        "an email in this batch already belongs to a live user of this company (or repeats in the batch)".into(),
                    ))
                }
                Err(e) => return Err(e.into()),
            }
        }
        for (month, (a, i)) in months {
            bump(&mut tx, company_id, month, a, i, 0).await?;
        }
        // One row for the batch: its size, not every user (an import can be 100,000 users).
        let n = users.len() as u64;
        let change = Change::within(&mut tx, actor, company_id, Entity::TargetUser).await?;
        let event = change.event(
            Operation::BulkCreate,
            None,
            None,
            Some(serde_json::json!({ "createdCount": n })),
            format!(
                "Created {} {}",
                audit::count_of(n, "target user", "target users"),
                change.company.suffix()
            ),
        );
        audit::insert(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(users.len() as u64)
    }

    pub(crate) async fn tu_update(
        &self,
        company_id: i64,
        resource_id: &str,
        f: &TargetUserFields,
        actor: &Actor,
    ) -> Result<WriteOutcome> {
        let mut tx = self.write_tx().await?;
        let sql = format!(
            "SELECT {TU_COLUMNS}, create_month FROM target_users WHERE company_id = $1 AND resource_id = $2{}",
            self.for_update()
        );
        let Some(row) = sqlx::query(&sql)
            .bind(company_id)
            .bind(resource_id)
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Ok(WriteOutcome::NotFound);
        };
        let before = target_user_from_row(&row)?;
        if before.is_deleted {
            return Ok(WriteOutcome::Deleted);
        }
        let month = get_i64(&row, "create_month")?;
        let now = chrono::Utc::now().timestamp_millis();
        let res = sqlx::query(
            "UPDATE target_users SET email = $1, email_lower = $2, first_name = $3, first_name_lower = $4, last_name = $5, \
             last_name_lower = $6, department = $7, department_lower = $8, phone_number = $9, phone_lower = $10, priority = $11, \
             is_active = $12, time_zone_id = $13, preferred_language_id = $14, manager_first_name = $15, manager_last_name = $16, \
             manager_email = $17, manager_full_name_lower = $18, manager_email_lower = $19, update_time = $20 WHERE id = $21",
        )
        .bind(&f.email)
        .bind(f.email.to_lowercase())
        .bind(&f.first_name)
        .bind(f.first_name.to_lowercase())
        .bind(&f.last_name)
        .bind(f.last_name.to_lowercase())
        .bind(&f.department)
        .bind(f.department.to_lowercase())
        .bind(&f.phone_number)
        .bind(f.phone_number.to_lowercase())
        .bind(f.priority)
        .bind(f.is_active)
        .bind(&f.time_zone_id)
        .bind(&f.preferred_language_id)
        .bind(&f.manager_first_name)
        .bind(&f.manager_last_name)
        .bind(&f.manager_email)
        .bind(f.manager_full_name().to_lowercase())
        .bind(f.manager_email.to_lowercase())
        .bind(now)
        .bind(before.id)
        .execute(&mut *tx)
        .await;
        match res {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => return Err(duplicate_email(&f.email)),
            Err(e) => return Err(e.into()),
        }
        if before.fields.is_active != f.is_active {
            let d = if f.is_active { 1 } else { -1 };
            bump(&mut tx, company_id, month, d, -d, 0).await?;
        }
        let change = Change::within(&mut tx, actor, company_id, Entity::TargetUser).await?;
        let event = change.update(
            resource_id,
            &audit::user_value(&before.fields),
            &audit::user_value(f),
            &format!("Updated target user '{}'", before.fields.email),
        );
        audit::insert(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(WriteOutcome::Done(Box::new(TargetUser {
            fields: f.clone(),
            update_time: now,
            ..before
        })))
    }

    pub(crate) async fn tu_delete(
        &self,
        company_id: i64,
        resource_id: &str,
        actor: &Actor,
    ) -> Result<WriteOutcome> {
        let mut tx = self.write_tx().await?;
        let now = chrono::Utc::now().timestamp_millis();
        let sql = format!(
            "UPDATE target_users SET is_deleted = $1, delete_time = $2, update_time = $2 \
             WHERE company_id = $3 AND resource_id = $4 AND is_deleted = $5 RETURNING {TU_COLUMNS}, create_month"
        );
        let row = sqlx::query(&sql)
            .bind(true)
            .bind(now)
            .bind(company_id)
            .bind(resource_id)
            .bind(false)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else {
            drop(tx);
            return Ok(match self.tu_get(company_id, resource_id).await? {
                Some(_) => WriteOutcome::Deleted,
                None => WriteOutcome::NotFound,
            });
        };
        let user = target_user_from_row(&row)?;
        let (a, i, d) = delete_delta(user.fields.is_active);
        bump(&mut tx, company_id, get_i64(&row, "create_month")?, a, i, d).await?;
        let change = Change::within(&mut tx, actor, company_id, Entity::TargetUser).await?;
        let event = change.event(
            Operation::Delete,
            Some(resource_id),
            Some(audit::user_value(&user.fields)),
            None,
            format!(
                "Deleted target user '{}' {}",
                user.fields.email,
                change.company.suffix()
            ),
        );
        audit::insert(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(WriteOutcome::Done(Box::new(user)))
    }

    pub(crate) async fn tu_get(
        &self,
        company_id: i64,
        resource_id: &str,
    ) -> Result<Option<TargetUser>> {
        let sql = format!(
            "SELECT {TU_COLUMNS} FROM target_users WHERE company_id = $1 AND resource_id = $2"
        );
        let row = sqlx::query(&sql)
            .bind(company_id)
            .bind(resource_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(target_user_from_row).transpose()
    }

    pub(crate) async fn tu_by_ids(
        &self,
        company_id: i64,
        ids: &[String],
        include_deleted: bool,
    ) -> Result<Vec<TargetUser>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let mut stmt = Query::select()
            .expr(Expr::cust(TU_COLUMNS))
            .from(Alias::new("target_users"))
            .and_where(Expr::col(Alias::new("company_id")).eq(company_id))
            .and_where(Expr::col(Alias::new("resource_id")).is_in(ids.iter().cloned()))
            .to_owned();
        if !include_deleted {
            stmt.and_where(Expr::col(Alias::new("is_deleted")).eq(false));
        }
        let (sql, values) = self.render(&stmt);
        let rows = bind_values(sqlx::query(&sql), &values)
            .fetch_all(&self.pool)
            .await?;
        let mut found: HashMap<String, TargetUser> = HashMap::new();
        for r in &rows {
            let u = target_user_from_row(r)?;
            found.insert(u.resource_id.clone(), u);
        }
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }

    pub(crate) async fn tu_search(
        &self,
        company_id: i64,
        spec: &SearchSpec,
    ) -> Result<(i64, Vec<TargetUser>)> {
        let cond = self.tu_condition(&spec.cond);
        // An unfiltered total is the sum of the counters: a lookup, not a scan.
        let total = if spec.cond == Cond::All(vec![]) {
            let c = crate::Store::user_counts(self, company_id, 0).await?;
            c.active + c.inactive + c.deleted
        } else {
            let count = Query::select()
                .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
                .from(Alias::new("target_users"))
                .and_where(Expr::col(Alias::new("company_id")).eq(company_id))
                .cond_where(cond.clone())
                .to_owned();
            let (sql, values) = self.render(&count);
            get_i64(
                &bind_values(sqlx::query(&sql), &values)
                    .fetch_one(&self.pool)
                    .await?,
                "n",
            )?
        };
        let (sql, values) = self.tu_page_sql(company_id, cond, spec);
        if let (Some(file), true) = (self.sqlite_file.clone(), spec.limit >= RUSQLITE_PAGE_ROWS) {
            // Large pages read in place, as exports do (see `sqlite_export`).
            let users = tokio::task::spawn_blocking(move || {
                crate::sqlite_export::fetch(&file, &sql, &values)
            })
            .await
            .map_err(|e| {
                StoreError::TaskStopped(format!("the search page reader stopped: {e}"))
            })??;
            return Ok((total, users));
        }
        let rows = bind_values(sqlx::query(&sql), &values)
            .fetch_all(&self.pool)
            .await?;
        Ok((
            total,
            rows.iter()
                .map(target_user_from_row)
                .collect::<Result<Vec<_>>>()?,
        ))
    }

    /// A search page's query. Shallow pages (`offset` under [`DEFERRED_JOIN_OFFSET`]) are a
    /// plain `ORDER BY ... LIMIT ... OFFSET`. Deeper ones are a deferred join: the page's ids
    /// first, skipping `offset` entries of the sort order's index without reading the rows
    /// (when the sort key is indexed and the filter needs no other column), then those rows by
    /// id. A plain OFFSET reads every row it skips (`docs/performance.md` has the figures).
    /// The outer query names no `company_id`: with it SQLite,
    /// lacking statistics, walks the company's whole index instead of looking the ids up.
    fn tu_page_sql(&self, company_id: i64, cond: Condition, spec: &SearchSpec) -> (String, Values) {
        let mut inner = Query::select()
            .from(Alias::new("target_users"))
            .and_where(Expr::col(Alias::new("company_id")).eq(company_id))
            .cond_where(cond)
            .to_owned();
        if spec.offset < DEFERRED_JOIN_OFFSET {
            inner.expr(Expr::cust(TU_COLUMNS));
            apply_order(&mut inner, spec);
            return self.render(&inner);
        }
        inner.column(Alias::new("id"));
        apply_order(&mut inner, spec);
        let mut page = Query::select()
            .expr(Expr::cust(TU_COLUMNS))
            .from(Alias::new("target_users"))
            .and_where(Expr::col(Alias::new("id")).in_subquery(inner))
            .to_owned();
        apply_order(&mut page, spec);
        page.reset_limit().reset_offset();
        self.render(&page)
    }

    /// The export cursor's query: the search's condition and order, every match when `all`.
    fn tu_export_sql(&self, company_id: i64, spec: &SearchSpec, all: bool) -> (String, Values) {
        let mut page = Query::select()
            .expr(Expr::cust(TU_COLUMNS))
            .from(Alias::new("target_users"))
            .and_where(Expr::col(Alias::new("company_id")).eq(company_id))
            .cond_where(self.tu_condition(&spec.cond))
            .to_owned();
        apply_order(&mut page, spec);
        if all {
            page.reset_limit().reset_offset();
        }
        self.render(&page)
    }

    /// Streams the users a search selects (every match when `all`, else the spec's page) into
    /// `out`, from one cursor inside one read transaction, so that the export is a consistent
    /// snapshot. Stops early, dropping the cursor, when the receiver goes away.
    pub(crate) async fn tu_export(
        &self,
        company_id: i64,
        spec: &SearchSpec,
        all: bool,
        out: ExportSink,
    ) -> Result<()> {
        let (sql, values) = self.tu_export_sql(company_id, spec, all);
        if let Some(file) = self.sqlite_file.clone() {
            return tokio::task::spawn_blocking(move || {
                crate::sqlite_export::export(&file, &sql, &values, &out)
            })
            .await
            .map_err(|e| StoreError::TaskStopped(format!("the export cursor stopped: {e}")))?;
        }
        if let Some(options) = &self.pg_export {
            return crate::pg_export::export(options, &sql, &values, &out).await;
        }
        // In-memory SQLite (tests, `sqlite::memory:`): the pool's own transaction.
        let mut tx = self.pool.begin().await?;
        {
            let mut rows = bind_values(sqlx::query(&sql), &values).fetch(&mut *tx);
            let mut batch = ExportBatch::new();
            let mut gone = false;
            while let Some(row) = rows.try_next().await? {
                if let Some(full) = batch.push(target_user_from_row(&row)?) {
                    if out.send(Ok(full)).await.is_err() {
                        // The client went away: stop reading.
                        gone = true;
                        break;
                    }
                }
            }
            if let (false, Some(rest)) = (gone, batch.rest()) {
                let _ = out.send(Ok(rest)).await;
            }
        }
        tx.rollback().await?;
        Ok(())
    }

    pub(crate) async fn tu_bulk_delete(
        &self,
        company_id: i64,
        selection: &BulkSelection,
        actor: &Actor,
    ) -> Result<i64> {
        let now = chrono::Utc::now().timestamp_millis();
        let mut stmt = Query::update()
            .table(Alias::new("target_users"))
            .values([
                (Alias::new("is_deleted"), true.into()),
                (Alias::new("delete_time"), now.into()),
                (Alias::new("update_time"), now.into()),
            ])
            .and_where(Expr::col(Alias::new("company_id")).eq(company_id))
            .and_where(Expr::col(Alias::new("is_deleted")).eq(false))
            .returning(Query::returning().columns([
                Alias::new("is_active"),
                Alias::new("create_month"),
                Alias::new("resource_id"),
            ]))
            .to_owned();
        match selection {
            BulkSelection::Items(ids) => {
                if ids.is_empty() {
                    return Ok(0);
                }
                stmt.and_where(Expr::col(Alias::new("resource_id")).is_in(ids.iter().cloned()));
            }
            BulkSelection::AllExcept { cond, excluded } => {
                stmt.cond_where(self.tu_condition(cond));
                if !excluded.is_empty() {
                    stmt.and_where(
                        Expr::col(Alias::new("resource_id")).is_not_in(excluded.iter().cloned()),
                    );
                }
            }
        }
        let (sql, values) = self.render(&stmt);
        let mut tx = self.write_tx().await?;
        // (month) -> (active removed, inactive removed, deleted added)
        let mut deltas: HashMap<i64, (i64, i64, i64)> = HashMap::new();
        let mut n = 0;
        // The ids deleted, for the audit row: up to BULK_AUDIT_IDS of them.
        let mut ids = Vec::new();
        {
            let mut rows = bind_values(sqlx::query(&sql), &values).fetch(&mut *tx);
            while let Some(row) = rows.try_next().await? {
                let (a, i, d) = delete_delta(get_bool(&row, "is_active")?);
                let e = deltas.entry(get_i64(&row, "create_month")?).or_default();
                e.0 += a;
                e.1 += i;
                e.2 += d;
                n += 1;
                if ids.len() < BULK_AUDIT_IDS {
                    ids.push(get_str(&row, "resource_id")?);
                }
            }
        }
        for (month, (a, i, d)) in deltas {
            bump(&mut tx, company_id, month, a, i, d).await?;
        }
        let change = Change::within(&mut tx, actor, company_id, Entity::TargetUser).await?;
        let mut detail = serde_json::json!({ "deletedCount": n, "resourceIds": ids });
        if n > BULK_AUDIT_IDS as i64 {
            detail["moreResourceIds"] = (n - BULK_AUDIT_IDS as i64).into();
        }
        let event = change.event(
            Operation::BulkDelete,
            None,
            None,
            Some(detail),
            format!(
                "Deleted {} {}",
                audit::count_of(u64::try_from(n).unwrap_or(0), "target user", "target users"),
                change.company.suffix()
            ),
        );
        audit::insert(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// One read of the company's counter rows (one per creation month) gives both the totals
    /// and the months.
    pub(crate) async fn tu_count_summary(
        &self,
        company_id: i64,
        months: &[i64],
    ) -> Result<CountSummary> {
        let rows = sqlx::query("SELECT month, active, inactive, deleted FROM target_user_counters WHERE company_id = $1")
            .bind(company_id)
            .fetch_all(&self.pool)
            .await?;
        let mut totals = UserCounts::default();
        let mut by_month: HashMap<i64, i64> = HashMap::new();
        for r in &rows {
            let (a, i, d) = (
                get_i64(r, "active")?,
                get_i64(r, "inactive")?,
                get_i64(r, "deleted")?,
            );
            totals.active += a;
            totals.inactive += i;
            totals.deleted += d;
            by_month.insert(get_i64(r, "month")?, a + i + d);
        }
        Ok(CountSummary {
            totals,
            months: months
                .iter()
                .map(|m| (*m, by_month.get(m).copied().unwrap_or(0)))
                .collect(),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::query::{CmpOp, Cond, Order, SearchSpec, Val};
    use crate::SqlStore;

    fn plan(store: &SqlStore, conn: &rusqlite::Connection, order: Vec<Order>) -> Vec<String> {
        let spec = SearchSpec {
            cond: Cond::Cmp {
                column: "is_deleted",
                op: CmpOp::Eq,
                value: Val::Bool(false),
            },
            order,
            offset: 0,
            limit: 10,
        };
        let (sql, values) = store.tu_export_sql(1, &spec, true);
        let params: Vec<_> = values
            .0
            .iter()
            .map(crate::sqlite_export::to_sql_value)
            .collect();
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let rows = stmt
            .query_map(rusqlite::params_from_iter(params), |r| {
                r.get::<_, String>(3)
            })
            .unwrap();
        rows.collect::<Result<_, _>>().unwrap()
    }

    /// A deep search page on SQLite, with no planner statistics (rollcall never gathers any):
    /// the ids come from the sort order's index alone and the rows are then looked up by id,
    /// instead of walking the company's whole index.
    #[tokio::test]
    async fn sqlite_deep_pages_look_rows_up_by_id() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqlStore::open("", dir.path()).await.unwrap();
        let conn = rusqlite::Connection::open(dir.path().join("rollcall.db")).unwrap();
        let key = |column, ascending| Order {
            column,
            ascending,
            nullable: false,
        };
        for (column, offset) in [("create_time", 5000), ("email_lower", 200_000)] {
            let spec = SearchSpec {
                cond: Cond::All(vec![]),
                order: vec![key(column, false), key("id", false)],
                offset,
                limit: 1000,
            };
            let (sql, values) = store.tu_page_sql(7, store.tu_condition(&spec.cond), &spec);
            let params: Vec<_> = values
                .0
                .iter()
                .map(crate::sqlite_export::to_sql_value)
                .collect();
            let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            let plan: Vec<String> = stmt
                .query_map(rusqlite::params_from_iter(params), |r| {
                    r.get::<_, String>(3)
                })
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert!(
                plan.iter()
                    .any(|l| l.contains("SEARCH target_users USING INTEGER PRIMARY KEY (rowid=?)")),
                "{column}: rows by id: {plan:?}"
            );
            assert!(
                plan.iter()
                    .any(|l| l.contains("USING COVERING INDEX target_users_")),
                "{column}: ids from the index alone: {plan:?}"
            );
        }
        // Shallow pages keep the plain query.
        let spec = SearchSpec {
            cond: Cond::All(vec![]),
            order: vec![key("create_time", false), key("id", false)],
            offset: 0,
            limit: 10,
        };
        let (sql, _) = store.tu_page_sql(7, store.tu_condition(&spec.cond), &spec);
        assert!(!sql.contains(" IN (SELECT"), "{sql}");
    }

    /// On SQLite an export reads the users in the order of an index, with no sort of every row
    /// (a temporary b-tree), for the default order and each indexed sort, both directions.
    #[tokio::test]
    async fn sqlite_exports_walk_an_index_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqlStore::open("", dir.path()).await.unwrap();
        let conn = rusqlite::Connection::open(dir.path().join("rollcall.db")).unwrap();
        let key = |column, ascending, nullable| Order {
            column,
            ascending,
            nullable,
        };
        for column in [
            "create_time",
            "email_lower",
            "first_name_lower",
            "last_name_lower",
            "department_lower",
        ] {
            for ascending in [false, true] {
                let p = plan(
                    &store,
                    &conn,
                    vec![key(column, ascending, false), key("id", ascending, false)],
                );
                assert!(
                    p.iter().all(|l| !l.contains("TEMP B-TREE")),
                    "{column} ascending={ascending}: {p:?}"
                );
                assert!(
                    p.iter().any(|l| l.contains("USING INDEX target_users_")),
                    "{column} ascending={ascending}: {p:?}"
                );
            }
        }
        // Keys that may hold NULL keep their NULLS clause, which SQLite can only honour by
        // sorting (the order every export had before): the check above would see it.
        let p = plan(
            &store,
            &conn,
            vec![key("create_time", false, true), key("id", false, true)],
        );
        assert!(p.iter().any(|l| l.contains("TEMP B-TREE")), "{p:?}");
    }
}
