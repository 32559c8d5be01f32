//! Target users in SQL, with the per-company counters kept in the same transaction as every
//! write, so that totals and the count summary cost a lookup, not a scan.

mod exported;
mod plan;
pub(crate) mod record;
mod search;

use std::collections::HashMap;

use futures::{future, TryStreamExt};
use sea_query::{Alias, Condition, Expr, Query, SimpleExpr, Values};
use sqlx::AnyConnection;

use crate::audit::{self, Actor, Change, Entity, Operation};
use crate::export::{self, send_all, ExportSink};
use crate::model::*;
use crate::open::{new_resource_id, Engine};
use crate::query::{month_bounds, month_of, CmpOp, Cond, SearchSpec, Val};
use crate::rows::{
    bind_values, count_select, get_bool, get_i64, get_str, insert_rows, or_conflict, FromColumns,
    ReadColumns,
};
use crate::{Result, SqlStore, StoreError, UserLinks};
pub use exported::{ExportExtras, ExportedUser};
use record::update_row;
pub use record::{email_domain, TargetUser, TargetUserFields};
pub(crate) use record::{field_values, new_row, TargetUserCol};
use record::{TargetUserCol as C, CREATE_MONTH_AFTER_READ};

fn duplicate_email(email: &str) -> StoreError {
    StoreError::Conflict(format!(
        "a target user with the email '{email}' already exists in this company; update that user instead"
    ))
}

impl SqlStore {
    /// [`duplicate_email`] naming the live user that holds `email`, read after the refused
    /// write's transaction has ended (on PostgreSQL a failed transaction answers nothing more).
    async fn duplicate_of(&self, company_id: i64, email: &str) -> StoreError {
        let holder = sqlx::query(
            "SELECT resource_id FROM target_users WHERE company_id = $1 AND email_lower = $2 AND NOT is_deleted",
        )
        .bind(company_id)
        .bind(email.to_lowercase())
        .fetch_optional(&self.writer)
        .await;
        match holder.ok().flatten().and_then(|row| get_str(&row, "resource_id").ok()) {
            Some(id) => StoreError::Conflict(format!(
                "a target user with the email '{email}' already exists in this company (resourceId {id}); update that user instead (PUT /api/target-users/{id})"
            )),
            None => duplicate_email(email),
        }
    }
}

impl SqlStore {
    /// Why a deleted user cannot come back: a live user of the company has its email now.
    async fn restore_conflict(&self, company_id: i64, resource_id: &str) -> StoreError {
        let email = match self.target_user(company_id, resource_id).await {
            Ok(Some(user)) => user.fields.email,
            _ => return duplicate_email(resource_id),
        };
        match self.duplicate_of(company_id, &email).await {
            StoreError::Conflict(holder) => StoreError::Conflict(format!(
                "cannot restore target user {resource_id}: {holder}, or delete that user first"
            )),
            other => other,
        }
    }
}

impl SqlStore {
    /// The company's users counted from its counter rows: live active, live inactive, deleted
    /// active and deleted inactive, the cells of [`search::STATUS_CELLS`] in their order.
    async fn status_counts(&self, company_id: i64) -> Result<[i64; 4]> {
        self.ints(&search::CELL_SUMS_SQL, &[company_id]).await
    }

    /// Writes what `links` sets for user `user_id`, in its write's transaction.
    async fn set_links_in(
        &self,
        conn: &mut AnyConnection,
        company_id: i64,
        user_id: i64,
        links: &UserLinks<'_>,
        actor: &Actor,
    ) -> Result<()> {
        if let Some(groups) = links.groups {
            self.set_user_groups_in(conn, company_id, user_id, groups)
                .await?;
        }
        let only = crate::MemberSelection::Ids(vec![user_id]);
        for group in links.join_groups {
            self.add_members_in(conn, company_id, *group, &only).await?;
        }
        if let Some(scim) = &links.scim {
            self.set_scim_link_in(conn, company_id, user_id, scim, actor)
                .await?;
        }
        self.set_custom_values_in(conn, user_id, links.custom_values)
            .await
    }

    /// SQLite: stops the trigram triggers for the rest of the caller's write transaction
    /// (migration 0019), for a bulk write that keeps the index itself; returns the largest user
    /// id now, for [`resume_fts_in`](Self::resume_fts_in). Nothing on PostgreSQL.
    pub(crate) async fn pause_fts_in(&self, conn: &mut AnyConnection) -> Result<Option<i64>> {
        if self.engine != crate::Engine::Sqlite {
            return Ok(None);
        }
        sqlx::query("INSERT INTO fts_paused (id) VALUES (1)")
            .execute(&mut *conn)
            .await?;
        let r = sqlx::query("SELECT COALESCE(MAX(id), 0) AS n FROM target_users")
            .fetch_one(&mut *conn)
            .await?;
        Ok(Some(get_i64(&r, "n")?))
    }

    /// Ends [`pause_fts_in`](Self::pause_fts_in): indexes every user created since, with one
    /// statement (the users are the ids above `paused`: one writer), and starts the triggers
    /// again. Must run in the same transaction, before it commits.
    pub(crate) async fn resume_fts_in(
        &self,
        conn: &mut AnyConnection,
        paused: Option<i64>,
    ) -> Result<()> {
        let Some(up_to) = paused else {
            return Ok(());
        };
        sqlx::query(
            "INSERT INTO target_users_fts \
             (rowid, email_lower, first_name_lower, last_name_lower, department_lower) \
             SELECT id, email_lower, first_name_lower, last_name_lower, department_lower \
             FROM target_users WHERE id > $1",
        )
        .bind(up_to)
        .execute(&mut *conn)
        .await?;
        sqlx::query("DELETE FROM fts_paused")
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// Writes new fields of many users (id, fields before, fields after) in the caller's
    /// transaction. The caller has locked them and keeps their counters; emails keep their
    /// lowercase form (no unique-email check).
    ///
    /// PostgreSQL: one `UPDATE ... FROM (VALUES ...)` per 400 users (a statement per user was a
    /// round trip each). SQLite plans that join by scanning the whole table (3.46, without
    /// statistics), so there it is a statement per user, and the caller has paused the trigram
    /// triggers ([`SqlStore::pause_fts_in`]): the users' trigrams are rewritten here, 400 a
    /// statement, instead of a flush of the trigram index per user.
    pub(crate) async fn update_many_in(
        &self,
        conn: &mut AnyConnection,
        users: &[(i64, &TargetUserFields, TargetUserFields)],
        now: Millis,
    ) -> Result<()> {
        // 21 values a row.
        const ROWS: usize = 400;
        if self.engine == crate::Engine::Sqlite {
            let statements: Vec<(String, Values)> = users
                .iter()
                .map(|(id, _, f)| self.render(&update_row(*id, f, now)))
                .collect();
            self.execute_each(&mut *conn, &statements).await?;
            let searched = |f: &TargetUserFields| {
                [
                    f.email.to_lowercase(),
                    f.first_name.to_lowercase(),
                    f.last_name.to_lowercase(),
                    f.department.to_lowercase(),
                ]
            };
            let moved: Vec<(i64, [String; 4], [String; 4])> = users
                .iter()
                .map(|(id, before, after)| (*id, searched(before), searched(after)))
                .filter(|(_, before, after)| before != after)
                .collect();
            for chunk in moved.chunks(ROWS) {
                for delete in [true, false] {
                    let row = if delete {
                        "'delete', {}, {}, {}, {}, {}"
                    } else {
                        "{}, {}, {}, {}, {}"
                    };
                    let sql = format!(
                        "INSERT INTO target_users_fts ({}rowid, email_lower, first_name_lower, \
                         last_name_lower, department_lower) VALUES {}",
                        if delete { "target_users_fts, " } else { "" },
                        self.value_rows(chunk.len(), row, 1)
                    );
                    let mut q = sqlx::query(&sql);
                    for (id, before, after) in chunk {
                        q = q.bind(*id);
                        for v in if delete { before } else { after } {
                            q = q.bind(v.as_str());
                        }
                    }
                    q.execute(&mut *conn).await?;
                }
            }
            return Ok(());
        }
        for chunk in users.chunks(ROWS) {
            let mut sets = String::new();
            let mut rows = String::new();
            // The update time is the first parameter.
            let mut values = Vec::with_capacity(chunk.len() * 21 + 1);
            values.push(now.into());
            let mut n = 1;
            for (i, (id, _, f)) in chunk.iter().enumerate() {
                rows.push_str(if i == 0 { "(" } else { ", (" });
                let row =
                    std::iter::once((C::Id, sea_query::Value::from(*id))).chain(field_values(f));
                for (k, (col, v)) in row.enumerate() {
                    n += 1;
                    // VALUES takes its types from its first row on PostgreSQL: say them.
                    let p = self.param(n);
                    let typed = match v {
                        sea_query::Value::BigInt(_) => format!("CAST({p} AS BIGINT)"),
                        sea_query::Value::Bool(_) => format!("CAST({p} AS BOOLEAN)"),
                        _ => p,
                    };
                    if k > 0 {
                        rows.push_str(", ");
                        if i == 0 {
                            if k > 1 {
                                sets.push_str(", ");
                            }
                            sets.push_str(&format!("{} = v.column{}", col.name(), k + 1));
                        }
                    }
                    rows.push_str(&typed);
                    values.push(v);
                }
                rows.push(')');
            }
            let sql = format!(
                "UPDATE {table} SET {sets}, {updated} = {p} FROM (VALUES {rows}) AS v \
                 WHERE {table}.{id} = v.column1",
                table = C::TABLE,
                updated = C::UpdateTime.name(),
                p = self.param(1),
                id = C::Id.name(),
            );
            bind_values(sqlx::query(&sql), &sea_query::Values(values))
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }
}

/// The group whose members alone `cond` selects (a group's member search with no filter of
/// its own), if that is all it does.
fn members_only(cond: &Cond) -> Option<i64> {
    let Cond::All(items) = cond else {
        return None;
    };
    let mut rest = items.iter().filter(|c| **c != Cond::All(vec![]));
    match (rest.next(), rest.next()) {
        (
            Some(Cond::Cmp {
                column,
                op: CmpOp::Eq,
                value: Val::Int(group),
            }),
            None,
        ) if *column == crate::fields::GROUP_MEMBER => Some(*group),
        _ => None,
    }
}

/// How a write moves one (company, month) counter row: live users by status, deleted users,
/// and the deleted ones that were active (migration 0021).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Delta {
    pub active: i64,
    pub inactive: i64,
    pub deleted: i64,
    pub deleted_active: i64,
}

impl Delta {
    /// `active` and `inactive` new live users.
    pub(crate) fn created(active: i64, inactive: i64) -> Self {
        Delta {
            active,
            inactive,
            ..Delta::default()
        }
    }

    /// A live user that was active or not is soft-deleted.
    fn deleted(was_active: bool) -> Self {
        let a = i64::from(was_active);
        Delta {
            active: -a,
            inactive: a - 1,
            deleted: 1,
            deleted_active: a,
        }
    }

    /// A live user's status became `active`.
    fn status(active: bool) -> Self {
        let d = if active { 1 } else { -1 };
        Delta::created(d, -d)
    }

    fn undo(self) -> Self {
        Delta {
            active: -self.active,
            inactive: -self.inactive,
            deleted: -self.deleted,
            deleted_active: -self.deleted_active,
        }
    }
}

impl std::ops::AddAssign for Delta {
    fn add_assign(&mut self, o: Delta) {
        self.active += o.active;
        self.inactive += o.inactive;
        self.deleted += o.deleted;
        self.deleted_active += o.deleted_active;
    }
}

/// Adds `d` to one (company, month) counter row.
pub(crate) async fn bump(
    conn: &mut AnyConnection,
    company_id: i64,
    month: i64,
    d: Delta,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO target_user_counters (company_id, month, active, inactive, deleted, deleted_active) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (company_id, month) DO UPDATE SET \
         active = target_user_counters.active + excluded.active, \
         inactive = target_user_counters.inactive + excluded.inactive, \
         deleted = target_user_counters.deleted + excluded.deleted, \
         deleted_active = target_user_counters.deleted_active + excluded.deleted_active",
    )
    .bind(company_id)
    .bind(month)
    .bind(d.active)
    .bind(d.inactive)
    .bind(d.deleted)
    .bind(d.deleted_active)
    .execute(conn)
    .await?;
    Ok(())
}

/// Soft-deletes (`deleted`) or restores one user that is not already so, stamping the time;
/// the user's row and its creation month, or `None` when no user was changed.
async fn set_deleted_in(
    conn: &mut AnyConnection,
    company_id: i64,
    resource_id: &str,
    deleted: bool,
) -> std::result::Result<Option<sqlx::any::AnyRow>, sqlx::Error> {
    let now = chrono::Utc::now().timestamp_millis();
    let sql = format!(
        "UPDATE target_users SET is_deleted = $1, delete_time = $2, update_time = $3 \
         WHERE company_id = $4 AND resource_id = $5 AND is_deleted = $6 RETURNING {}, {}",
        C::SELECT,
        C::CreateMonth.name()
    );
    sqlx::query(&sql)
        .bind(deleted)
        .bind(deleted.then_some(now))
        .bind(now)
        .bind(company_id)
        .bind(resource_id)
        .bind(!deleted)
        .fetch_optional(conn)
        .await
}

/// Most deleted users a bulk delete's audit row names by id; the rest are only counted, so that
/// a delete of 100,000 users writes a row of kilobytes, not megabytes.
const BULK_AUDIT_IDS: usize = 1000;

/// A company's target users and their counters.
impl SqlStore {
    /// Creates a target user created at `create_time`, counting it in the same transaction.
    /// A live user with the same email (any case) in the company is a [`StoreError::Conflict`].
    /// With `links`, the user joins groups and holds custom field values.
    pub async fn insert_target_user(
        &self,
        company_id: i64,
        f: &TargetUserFields,
        create_time: Millis,
        links: &UserLinks<'_>,
        actor: &Actor,
    ) -> Result<TargetUser> {
        let resource_id = new_resource_id();
        let mut tx = self.write_tx().await?;
        let row = new_row(company_id, resource_id.clone(), f, create_time);
        let insert = insert_rows(C::TABLE, [row])?;
        let res = self.insert_returning_id(&mut tx, insert, C::Id).await;
        let id = match or_conflict(res, || duplicate_email(&f.email)) {
            Err(StoreError::Conflict(_)) => {
                drop(tx);
                return Err(self.duplicate_of(company_id, &f.email).await);
            }
            other => other?,
        };
        let d = Delta::created(i64::from(f.is_active), i64::from(!f.is_active));
        bump(&mut tx, company_id, month_of(create_time), d).await?;
        self.set_links_in(&mut tx, company_id, id, links, actor)
            .await?;
        let change = Change::within(&mut tx, actor, company_id, Entity::TargetUser).await?;
        let event = change.created(
            &resource_id,
            audit::user_value(f),
            &format!("Created target user '{}'", f.email),
        );
        self.commit_audited(tx, [event]).await?;
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

    /// Creates many users (each with its creation time) in one transaction, with multi-row
    /// INSERTs and one counter update per month; a duplicate email refuses the whole batch with
    /// [`StoreError::Conflict`]. For imports and bulk loads.
    pub async fn insert_target_users(
        &self,
        company_id: i64,
        users: &[(TargetUserFields, Millis)],
        actor: &Actor,
    ) -> Result<u64> {
        // 26 values a row; 800 rows stay under SQLite's 32,766 bound parameters.
        const ROWS_PER_STATEMENT: usize = 800;
        let mut tx = self.write_tx().await?;
        let mut months: HashMap<i64, (i64, i64)> = HashMap::new();
        for chunk in users.chunks(ROWS_PER_STATEMENT) {
            for (f, created) in chunk {
                let e = months.entry(month_of(*created)).or_default();
                if f.is_active {
                    e.0 += 1;
                } else {
                    e.1 += 1;
                }
            }
            let stmt = insert_rows(
                C::TABLE,
                chunk
                    .iter()
                    .map(|(f, created)| new_row(company_id, new_resource_id(), f, *created)),
            )?;
            or_conflict(self.execute(&mut tx, &stmt).await, || {
                StoreError::Conflict(
                    "an email in this batch already belongs to a live user of this company (or repeats in the batch)".into(),
                )
            })?;
        }
        for (month, (a, i)) in months {
            bump(&mut tx, company_id, month, Delta::created(a, i)).await?;
        }
        // One row for the batch: its size, not every user (an import can be 100,000 users).
        let n = users.len() as u64;
        let change = Change::within(&mut tx, actor, company_id, Entity::TargetUser).await?;
        let event = change.with_new(
            Operation::BulkCreate,
            None,
            serde_json::json!({ "createdCount": n }),
            &format!(
                "Created {}",
                audit::count_of(n, "target user", "target users")
            ),
        );
        self.commit_audited(tx, [event]).await?;
        Ok(users.len() as u64)
    }

    /// Replaces a live user's fields, and its groups and custom values as `links` says.
    pub async fn update_target_user(
        &self,
        company_id: i64,
        resource_id: &str,
        f: &TargetUserFields,
        links: &UserLinks<'_>,
        actor: &Actor,
    ) -> Result<WriteOutcome> {
        let mut tx = self.write_tx().await?;
        let sql = format!(
            "SELECT {}, {} FROM target_users WHERE company_id = $1 AND resource_id = $2{}",
            C::SELECT,
            C::CreateMonth.name(),
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
        let mut before = TargetUser::from_columns(&row)?;
        let month = row.int(CREATE_MONTH_AFTER_READ)?;
        let revived = before.is_deleted;
        if revived {
            if !links.revive {
                return Ok(WriteOutcome::Deleted);
            }
            // Live again as it was deleted; the update below then moves it as any update.
            let res = sqlx::query(
                "UPDATE target_users SET is_deleted = $1, delete_time = NULL WHERE id = $2",
            )
            .bind(false)
            .bind(before.id)
            .execute(&mut *tx)
            .await;
            or_conflict(res, || duplicate_email(&before.fields.email))?;
            let undo = Delta::deleted(before.fields.is_active).undo();
            bump(&mut tx, company_id, month, undo).await?;
            before.is_deleted = false;
        }
        let now = chrono::Utc::now().timestamp_millis();
        let res = self.execute(&mut tx, &update_row(before.id, f, now)).await;
        match or_conflict(res, || duplicate_email(&f.email)) {
            Err(StoreError::Conflict(_)) => {
                drop(tx);
                return Err(self.duplicate_of(company_id, &f.email).await);
            }
            other => {
                other?;
            }
        }
        if before.fields.is_active != f.is_active {
            bump(&mut tx, company_id, month, Delta::status(f.is_active)).await?;
        }
        let has_phone = !f.phone_number.is_empty();
        if before.fields.phone_number.is_empty() == has_phone {
            self.phone_changed_in(&mut tx, before.id, has_phone).await?;
        }
        self.set_links_in(&mut tx, company_id, before.id, links, actor)
            .await?;
        let change = Change::within(&mut tx, actor, company_id, Entity::TargetUser).await?;
        let what = if revived {
            format!("Restored deleted target user '{}'", before.fields.email)
        } else {
            format!("Updated target user '{}'", before.fields.email)
        };
        let event = change.update(
            resource_id,
            &audit::user_value(&before.fields),
            &audit::user_value(f),
            &what,
        );
        self.commit_audited(tx, [event]).await?;
        Ok(WriteOutcome::Done(Box::new(TargetUser {
            fields: f.clone(),
            update_time: now,
            ..before
        })))
    }

    /// Soft-deletes a user.
    pub async fn delete_target_user(
        &self,
        company_id: i64,
        resource_id: &str,
        actor: &Actor,
    ) -> Result<WriteOutcome> {
        let mut tx = self.write_tx().await?;
        let row = set_deleted_in(&mut tx, company_id, resource_id, true).await?;
        let Some(row) = row else {
            drop(tx);
            return Ok(match self.target_user(company_id, resource_id).await? {
                Some(_) => WriteOutcome::Deleted,
                None => WriteOutcome::NotFound,
            });
        };
        let user = TargetUser::from_columns(&row)?;
        self.user_deleted_in(&mut tx, user.id, !user.fields.phone_number.is_empty())
            .await?;
        let month = row.int(CREATE_MONTH_AFTER_READ)?;
        bump(
            &mut tx,
            company_id,
            month,
            Delta::deleted(user.fields.is_active),
        )
        .await?;
        let change = Change::within(&mut tx, actor, company_id, Entity::TargetUser).await?;
        let event = change.deleted(
            resource_id,
            audit::user_value(&user.fields),
            &format!("Deleted target user '{}'", user.fields.email),
        );
        self.commit_audited(tx, [event]).await?;
        Ok(WriteOutcome::Done(Box::new(user)))
    }

    /// Brings a soft-deleted user back, in no target group (deleting left them). `Done` with
    /// the live user, also when it was not deleted; a conflict when another live user of the
    /// company now has its email.
    pub async fn restore_target_user(
        &self,
        company_id: i64,
        resource_id: &str,
        actor: &Actor,
    ) -> Result<WriteOutcome> {
        let mut tx = self.write_tx().await?;
        let row = match set_deleted_in(&mut tx, company_id, resource_id, false).await {
            Err(e) if crate::rows::is_unique_violation(&e) => {
                drop(tx);
                return Err(self.restore_conflict(company_id, resource_id).await);
            }
            other => other?,
        };
        let Some(row) = row else {
            drop(tx);
            // Not deleted (already restored, or never deleted): nothing to do.
            return Ok(match self.target_user(company_id, resource_id).await? {
                Some(user) => WriteOutcome::Done(Box::new(user)),
                None => WriteOutcome::NotFound,
            });
        };
        let user = TargetUser::from_columns(&row)?;
        let month = row.int(CREATE_MONTH_AFTER_READ)?;
        bump(
            &mut tx,
            company_id,
            month,
            Delta::deleted(user.fields.is_active).undo(),
        )
        .await?;
        let change = Change::within(&mut tx, actor, company_id, Entity::TargetUser).await?;
        let event = change.with_new(
            Operation::Restore,
            Some(resource_id),
            audit::user_value(&user.fields),
            &format!("Restored target user '{}'", user.fields.email),
        );
        self.commit_audited(tx, [event]).await?;
        Ok(WriteOutcome::Done(Box::new(user)))
    }

    /// One user of a company (deleted ones included).
    pub async fn target_user(
        &self,
        company_id: i64,
        resource_id: &str,
    ) -> Result<Option<TargetUser>> {
        let key = [C::CompanyId, C::ResourceId];
        self.company_row(&self.pool, key, (company_id, resource_id), false)
            .await
    }

    /// Users of a company by resource id, in the order asked.
    pub async fn target_users_by_resource_ids(
        &self,
        company_id: i64,
        ids: &[String],
        include_deleted: bool,
    ) -> Result<Vec<TargetUser>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let mut stmt = Query::select()
            .expr(Expr::cust(C::SELECT))
            .from(Alias::new(C::TABLE))
            .and_where(Expr::col(C::CompanyId).eq(company_id))
            .and_where(Expr::col(C::ResourceId).is_in(ids.iter().cloned()))
            .to_owned();
        if !include_deleted {
            stmt.and_where(Expr::col(C::IsDeleted).eq(false));
        }
        let rows = self.fetch_rows(&stmt).await?;
        let mut found: HashMap<String, TargetUser> = HashMap::new();
        for r in &rows {
            let u = TargetUser::from_columns(r)?;
            found.insert(u.resource_id.clone(), u);
        }
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }

    /// A page of a company's users and the number matching.
    pub async fn search_target_users(
        &self,
        company_id: i64,
        spec: &SearchSpec,
    ) -> Result<(i64, Vec<TargetUser>)> {
        let resolved = self.resolve_text(company_id, &spec.cond).await?;
        if self.engine == Engine::Postgres && spec.offset == 0 {
            if let Some(cells) = search::status_cells(&spec.cond) {
                let (scoped, _) = plan::driven(company_id, &resolved, plan::Drive::Plain);
                let (sql, values) = self.counted_first_page_sql(
                    company_id,
                    self.rendered(&scoped, false),
                    spec,
                    cells,
                );
                let rows: Vec<search::CountedRow> = self.fetch_all_as(&sql, &values).await?;
                // An empty page carries no total: it is read below, as for other pages.
                if let Some(total) = rows.first().map(|r| r.total) {
                    return Ok((total, rows.into_iter().map(|r| r.user).collect()));
                }
            }
        }
        // SQLite is told how to reach the rows (see `plan`); PostgreSQL's planner has
        // statistics.
        let drive = match self.engine {
            Engine::Sqlite => plan::drive(&resolved),
            Engine::Postgres => plan::Drive::Plain,
        };
        // An unfiltered total, or one filtered on Status and IsDeleted alone, is a sum of the
        // counters; an unfiltered member search's is the
        // group's own count, and a lone custom-field filter's the count of the field's values
        // that meet it (index on field and value): lookups, not scans of the users.
        let total = if spec.cond == Cond::All(vec![]) {
            let c = self.user_counts(company_id, 0).await?;
            c.active + c.inactive + c.deleted
        } else if let Some(group_id) = members_only(&spec.cond) {
            let row = sqlx::query(
                "SELECT user_count FROM target_groups WHERE id = $1 AND company_id = $2",
            )
            .bind(group_id)
            .bind(company_id)
            .fetch_optional(&self.pool)
            .await?;
            row.map(|r| get_i64(&r, "user_count"))
                .transpose()?
                .unwrap_or(0)
        } else if let Some(cells) = search::status_cells(&spec.cond) {
            let counts = self.status_counts(company_id).await?;
            cells
                .iter()
                .zip(counts)
                .filter(|(selected, _)| **selected)
                .map(|(_, n)| n)
                .sum()
        } else if let Some((field, leaf)) = search::lone_custom_leaf(&spec.cond) {
            self.count(
                count_select()
                    .from(Alias::new("custom_field_values"))
                    .and_where(Expr::col(Alias::new("field_id")).eq(field))
                    .cond_where(leaf.to_condition(self.engine)),
            )
            .await?
        } else {
            let (scoped, hint) = plan::driven(company_id, &resolved, drive);
            let (sql, values) = self.render(
                count_select()
                    .from(Alias::new(C::TABLE))
                    .cond_where(self.rendered(&scoped, false)),
            );
            self.count_rendered(&plan::with_hint(sql, hint.as_deref()), &values)
                .await?
        };
        // Few matches (fewer than the rows a walk of the sort order's index would read before
        // it filled the page): read them through the filter's own access path and sort them.
        let sparse = drive != plan::Drive::Plain && {
            let rows: i64 = self.status_counts(company_id).await?.iter().sum();
            total.saturating_mul(total) < (spec.offset + spec.limit).max(1).saturating_mul(rows)
        };
        let (scoped, hint) = plan::driven(
            company_id,
            &resolved,
            if sparse { drive } else { plan::Drive::Plain },
        );
        // Many matches: a page probes each user's custom values along the sort order instead
        // of gathering every match first.
        let mut cond = self.rendered(&scoped, total >= search::PROBE_CUSTOM_FROM);
        let skipped;
        let (spec, reversed) = match self.month_skip(company_id, spec).await? {
            Some(skip) => {
                cond = Condition::all().add(cond).add(skip.bound);
                let mut order = spec.order.clone();
                if skip.reversed {
                    order.iter_mut().for_each(|o| o.ascending = !o.ascending);
                }
                skipped = SearchSpec {
                    order,
                    offset: skip.offset,
                    ..spec.clone()
                };
                (&skipped, skip.reversed)
            }
            None => (spec, false),
        };
        let one_plan = search::status_cells(&spec.cond).is_some();
        let (sql, values) = self.user_page_sql(cond, spec, sparse, one_plan);
        let sql = plan::with_hint(sql, hint.as_deref());
        let mut page: Vec<TargetUser> = match &self.sqlite_file {
            // Pages read in place, as exports do (see `export::sqlite`).
            Some(readers) => readers.fetch(sql, values).await?,
            None => self.fetch_all_as(&sql, &values).await?,
        };
        if reversed {
            page.reverse();
        }
        Ok((total, page))
    }

    /// Streams the users a search selects into `out` from one cursor in one read transaction
    /// (a consistent snapshot); every match when `all`, else the spec's page; with the group
    /// names and custom values `extras` asks for. Stops early, dropping the cursor, when the
    /// receiver goes away.
    pub async fn export_target_users(
        &self,
        company_id: i64,
        spec: &SearchSpec,
        all: bool,
        extras: ExportExtras,
        out: ExportSink,
    ) -> Result<()> {
        let (sql, values) = self.user_export_sql(company_id, spec, all, extras);
        if let Some(file) = self.sqlite_file.as_ref().map(|r| r.file().to_owned()) {
            return tokio::task::spawn_blocking(move || {
                export::sqlite::export(&file, &sql, &values, &out)
            })
            .await
            .map_err(|e| StoreError::TaskStopped(format!("the export cursor stopped: {e}")))?;
        }
        if let Some(options) = self.pg_readers.as_ref().map(|r| r.options()) {
            return export::postgres::export(options, &sql, &values, &out).await;
        }
        // In-memory SQLite (tests, `sqlite::memory:`): the pool's own transaction.
        let mut tx = self.pool.begin().await?;
        let rows = bind_values(sqlx::query(&sql), &values)
            .fetch(&mut *tx)
            .map_err(StoreError::from)
            .and_then(|row| future::ready(ExportedUser::from_columns(&row)));
        send_all(rows, &out).await?;
        tx.rollback().await?;
        Ok(())
    }

    /// Soft-deletes a selection of live users; returns how many.
    pub async fn bulk_delete_target_users(
        &self,
        company_id: i64,
        selection: &BulkSelection,
        actor: &Actor,
    ) -> Result<i64> {
        let now = chrono::Utc::now().timestamp_millis();
        let mut stmt = Query::update()
            .table(Alias::new(C::TABLE))
            .values([
                (C::IsDeleted, true.into()),
                (C::DeleteTime, now.into()),
                (C::UpdateTime, now.into()),
            ])
            .and_where(Expr::col(C::CompanyId).eq(company_id))
            .and_where(Expr::col(C::IsDeleted).eq(false))
            .returning(Query::returning().columns([
                C::Id,
                C::IsActive,
                C::CreateMonth,
                C::ResourceId,
            ]))
            .to_owned();
        match selection {
            BulkSelection::Items(ids) => {
                if ids.is_empty() {
                    return Ok(0);
                }
                stmt.and_where(Expr::col(C::ResourceId).is_in(ids.iter().cloned()));
            }
            BulkSelection::AllExcept { cond, excluded } => {
                stmt.cond_where(self.user_condition(cond));
                if !excluded.is_empty() {
                    stmt.and_where(Expr::col(C::ResourceId).is_not_in(excluded.iter().cloned()));
                }
            }
        }
        let (sql, values) = self.render(&stmt);
        let mut tx = self.write_tx().await?;
        let mut deltas: HashMap<i64, Delta> = HashMap::new();
        let mut n = 0;
        // The ids deleted, for the audit row: up to BULK_AUDIT_IDS of them.
        let mut ids = Vec::new();
        // Every internal id deleted, for their groups.
        let mut deleted = Vec::new();
        {
            let mut rows = bind_values(sqlx::query(&sql), &values).fetch(&mut *tx);
            while let Some(row) = rows.try_next().await? {
                *deltas
                    .entry(get_i64(&row, C::CreateMonth.name())?)
                    .or_default() += Delta::deleted(get_bool(&row, C::IsActive.name())?);
                n += 1;
                deleted.push(get_i64(&row, C::Id.name())?);
                if ids.len() < BULK_AUDIT_IDS {
                    ids.push(get_str(&row, C::ResourceId.name())?);
                }
            }
        }
        for (month, d) in deltas {
            bump(&mut tx, company_id, month, d).await?;
        }
        self.users_deleted_in(&mut tx, &deleted).await?;
        let change = Change::within(&mut tx, actor, company_id, Entity::TargetUser).await?;
        let mut detail = serde_json::json!({ "deletedCount": n, "resourceIds": ids });
        if n > BULK_AUDIT_IDS as i64 {
            detail["moreResourceIds"] = (n - BULK_AUDIT_IDS as i64).into();
        }
        let deleted = u64::try_from(n).unwrap_or(0);
        let event = change.with_new(
            Operation::BulkDelete,
            None,
            detail,
            &format!(
                "Deleted {}",
                audit::count_of(deleted, "target user", "target users")
            ),
        );
        self.commit_audited(tx, [event]).await?;
        Ok(n)
    }

    /// Counts by status and by creation month (`months` as YYYYMM), from the counters: one
    /// read of the company's counter rows (one per creation month) gives both.
    pub async fn count_summary(&self, company_id: i64, months: &[i64]) -> Result<CountSummary> {
        let rows: Vec<[i64; 4]> = self
            .int_rows(
                "SELECT month, active, inactive, deleted FROM target_user_counters WHERE company_id = $1",
                &[company_id],
            )
            .await?;
        let mut totals = UserCounts::default();
        let mut by_month: HashMap<i64, i64> = HashMap::new();
        for [month, a, i, d] in rows {
            totals.active += a;
            totals.inactive += i;
            totals.deleted += d;
            *by_month.entry(month).or_default() += a + i + d;
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

impl SqlStore {
    /// Where a deep page in creation order can start instead of the company's first row: a
    /// bound on `create_time` at the start of the month its offset falls in, and the offset
    /// left within that month (or, for a page nearer the month's far end, the month read
    /// backwards from there). The counters hold how many users each month has in each status
    /// cell, so this applies when they answer the filter too (none, or Status and IsDeleted
    /// alone): skipping an offset otherwise reads every index entry it skips
    /// (docs/performance.md, "A deep page starts at its month").
    async fn month_skip(&self, company_id: i64, spec: &SearchSpec) -> Result<Option<MonthSkip>> {
        let [first, tie] = spec.order.as_slice() else {
            return Ok(None);
        };
        let creation_order = first.column == C::CreateTime.name()
            && first.custom.is_none()
            && tie.column == C::Id.name()
            && tie.ascending == first.ascending;
        if spec.offset < MONTH_SKIP_FROM || !creation_order {
            return Ok(None);
        }
        let Some(cells) = search::status_cells(&spec.cond) else {
            return Ok(None);
        };
        let rows: Vec<[i64; 5]> = self
            .int_rows(&search::MONTH_CELLS_SQL, &[company_id])
            .await?;
        let mut months: Vec<(i64, i64)> = rows
            .iter()
            .map(|[month, counts @ ..]| {
                let n = counts
                    .iter()
                    .zip(cells)
                    .filter(|(_, on)| *on)
                    .map(|(n, _)| n);
                (*month, n.sum())
            })
            .collect();
        months.sort_unstable();
        if !first.ascending {
            months.reverse();
        }
        let mut before = 0;
        for (i, (month, n)) in months.into_iter().enumerate() {
            if before + n <= spec.offset {
                before += n;
                continue;
            }
            let Some((start, end)) = month_bounds(month) else {
                return Ok(None);
            };
            let left = spec.offset - before;
            // A page inside the month nearer its far end is read from that end, in the
            // opposite order, and turned round: at most half a month is walked.
            let from_end = n - left - spec.limit;
            if from_end >= 0 && from_end < left {
                return Ok(Some(MonthSkip {
                    bound: Expr::col(C::CreateTime)
                        .gte(start)
                        .and(Expr::col(C::CreateTime).lt(end)),
                    offset: from_end,
                    reversed: true,
                }));
            }
            if i == 0 {
                return Ok(None);
            }
            let bound = if first.ascending {
                Expr::col(C::CreateTime).gte(start)
            } else {
                Expr::col(C::CreateTime).lt(end)
            };
            return Ok(Some(MonthSkip {
                bound,
                offset: left,
                reversed: false,
            }));
        }
        // The offset is past the last match: the page is empty however it is read.
        Ok(None)
    }
}

/// Where a deep page in creation order starts ([`SqlStore::month_skip`]).
struct MonthSkip {
    /// The rows' `create_time` range, added to the search's condition.
    bound: SimpleExpr,
    /// The offset left inside that range.
    offset: i64,
    /// The range is read in the opposite order and the page turned round.
    reversed: bool,
}

/// The smallest offset worth a read of the month counters: below it the walk is short.
const MONTH_SKIP_FROM: i64 = 10_000;

/// What a single-user write found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOutcome {
    /// Done; the user as it is now.
    Done(Box<TargetUser>),
    /// No such user in the company.
    NotFound,
    /// The user is deleted and cannot be changed.
    Deleted,
}
