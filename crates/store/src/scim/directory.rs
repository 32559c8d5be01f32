//! The users and groups SCIM reads and writes: target users and target groups with what the
//! side tables `scim_users` and `scim_groups` record about them. Their selects, decoders and
//! paging live here; the `SqlStore` methods in `mod.rs` use them directly.

use sea_query::{Alias, Expr, Query};
use sqlx::AnyConnection;

use super::filter::user_condition;
use super::{ScimCmp, ScimCond, ScimLink, ScimUserAttr};
use crate::audit::{Actor, Change, Entity};
use crate::rows::{count_select, get_i64, qualified, FromColumns, ReadColumns};
use crate::target_groups::{GroupCol, TargetGroup};
use crate::target_users::{TargetUser, TargetUserCol};
use crate::{MemberSelection, Result, SqlStore};

/// A target user with what SCIM recorded about it (nothing for a user made by other means).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimUserRow {
    pub user: TargetUser,
    pub external_id: Option<String>,
    /// The provider's userName when it is not the email.
    pub user_name: Option<String>,
    /// The integration that provisioned or claimed the user (internal id).
    pub setting_id: Option<i64>,
    /// The provider's `emails` and `phoneNumbers` lists, as [`crate::ScimLink::contacts`].
    pub contacts: Option<String>,
}

/// A target group with what SCIM recorded about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimGroupRow {
    pub group: TargetGroup,
    pub external_id: Option<String>,
    /// The integration that made the group.
    pub setting_id: Option<i64>,
    /// The group holds the users whose group-by attribute has this value (lowercase); `None`
    /// for a group the provider pushed, or one made by other means.
    pub group_by_value: Option<String>,
}

/// Members a statement adds or removes at most (bound parameters stay far below both
/// engines' limits), so that a PATCH of thousands of members is a few statements.
pub(super) const MEMBER_CHUNK: usize = 2000;

pub(super) fn user_row(r: &sqlx::any::AnyRow) -> Result<ScimUserRow> {
    let n = TargetUserCol::READ.len();
    Ok(ScimUserRow {
        user: TargetUser::from_columns(r)?,
        external_id: r.opt_text(n)?,
        user_name: r.opt_text(n + 1)?,
        setting_id: r.opt_int(n + 2)?,
        contacts: r.opt_text(n + 3)?,
    })
}

pub(super) fn group_row(r: &sqlx::any::AnyRow) -> Result<ScimGroupRow> {
    let n = GroupCol::READ.len();
    Ok(ScimGroupRow {
        group: TargetGroup::from_columns(r)?,
        external_id: r.opt_text(n)?,
        setting_id: r.opt_int(n + 1)?,
        group_by_value: r.opt_text(n + 2)?,
    })
}

pub(super) fn user_select() -> sea_query::SelectStatement {
    Query::select()
        .expr(Expr::cust(format!(
            "{}, s.external_id, s.user_name, s.setting_id, s.contacts",
            qualified::<TargetUserCol>("u")
        )))
        .from_as(Alias::new("target_users"), Alias::new("u"))
        .join_as(
            sea_query::JoinType::LeftJoin,
            Alias::new("scim_users"),
            Alias::new("s"),
            Expr::cust("s.target_user_id = u.id"),
        )
        .to_owned()
}

pub(super) fn group_select() -> sea_query::SelectStatement {
    Query::select()
        .expr(Expr::cust(format!(
            "{}, s.external_id, s.setting_id, s.group_by_value",
            qualified::<GroupCol>("g")
        )))
        .from_as(Alias::new("target_groups"), Alias::new("g"))
        .join_as(
            sea_query::JoinType::LeftJoin,
            Alias::new("scim_groups"),
            Alias::new("s"),
            Expr::cust("s.group_id = g.id"),
        )
        .to_owned()
}

/// How many rows of `table`, aliased `alias`, a condition selects.
pub(super) fn count_where(
    table: &str,
    alias: &str,
    where_: sea_query::Condition,
) -> sea_query::SelectStatement {
    count_select()
        .from_as(Alias::new(table), Alias::new(alias))
        .cond_where(where_)
        .to_owned()
}

/// The company's live users `cond` selects, on `target_users` aliased `u`.
pub(super) fn live_users(company_id: i64, cond: &ScimCond<ScimUserAttr>) -> sea_query::Condition {
    // A look-up by userName or externalId finds its few ids through its own indexes; left to
    // itself, SQLite (no statistics) would rather walk the company's index and test each user
    // against them. `company_id + 0` takes that index out of the choice, on both engines.
    let lookup = |c: &ScimCond<ScimUserAttr>| {
        matches!(
            c,
            ScimCond::Cmp(
                ScimUserAttr::UserName | ScimUserAttr::ExternalId,
                ScimCmp::Eq,
                _
            )
        )
    };
    let by_ids = match cond {
        ScimCond::All(items) => items.iter().any(lookup),
        other => lookup(other),
    };
    let company = Expr::col((Alias::new("u"), Alias::new("company_id")));
    let company = if by_ids {
        company.add(0).eq(company_id)
    } else {
        company.eq(company_id)
    };
    sea_query::Condition::all()
        .add(company)
        .add(Expr::col((Alias::new("u"), Alias::new("is_deleted"))).eq(false))
        .add(user_condition(cond, "u", company_id))
}

impl SqlStore {
    /// The total of `count` and the rows of `page` (ordered by `alias.id`) from `offset`, at
    /// most `limit`, decoded by `decode`.
    pub(super) async fn scim_page<T>(
        &self,
        count: sea_query::SelectStatement,
        mut page: sea_query::SelectStatement,
        alias: &str,
        (offset, limit): (i64, i64),
        decode: fn(&sqlx::any::AnyRow) -> Result<T>,
    ) -> Result<(i64, Vec<T>)> {
        if limit <= 0 {
            return Ok((self.count(&count).await?, Vec::new()));
        }
        page.order_by((Alias::new(alias), Alias::new("id")), sea_query::Order::Asc)
            .limit(u64::try_from(limit).unwrap_or(0))
            .offset(u64::try_from(offset).unwrap_or(0));
        let rows = self.fetch_rows(&page).await?;
        let rows = rows.iter().map(decode).collect::<Result<Vec<T>>>()?;
        // A short page that starts somewhere tells the total itself: a look-up by userName or
        // externalId (one page of one user) then costs one query, not two.
        let len = i64::try_from(rows.len()).unwrap_or(i64::MAX);
        let total = if len < limit && (len > 0 || offset == 0) {
            offset + len
        } else {
            self.count(&count).await?
        };
        Ok((total, rows))
    }

    /// The company's user where `condition` (on `u`, with the company as `$1` and one value
    /// as `$2`) holds: the live one first, else the most recently deleted.
    pub(super) async fn scim_user_where(
        &self,
        company_id: i64,
        condition: &str,
        value: &str,
    ) -> Result<Option<ScimUserRow>> {
        let (select, _) = self.render(&user_select());
        // `condition` is one of this module's constants, never input; values are bound.
        let sql = format!(
            "{select} WHERE u.company_id = $1 AND {condition} \
             ORDER BY u.is_deleted, u.delete_time DESC, u.id DESC LIMIT 1"
        );
        let row = sqlx::query(&sql)
            .bind(company_id)
            .bind(value)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_row).transpose()
    }

    /// Records `link` for user `user_id` in its write's transaction, and moves the user to the
    /// group its group-by value names.
    pub(crate) async fn set_scim_link_in(
        &self,
        conn: &mut AnyConnection,
        company_id: i64,
        user_id: i64,
        link: &ScimLink<'_>,
        actor: &Actor,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO scim_users \
             (target_user_id, company_id, setting_id, external_id, user_name, user_name_lower, \
             contacts) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (target_user_id) DO UPDATE \
             SET setting_id = excluded.setting_id, external_id = excluded.external_id, \
             user_name = excluded.user_name, user_name_lower = excluded.user_name_lower, \
             contacts = excluded.contacts",
        )
        .bind(user_id)
        .bind(company_id)
        .bind(link.setting_id)
        .bind(link.external_id)
        .bind(link.user_name)
        .bind(link.user_name.map(str::to_lowercase))
        .bind(link.contacts)
        .execute(&mut *conn)
        .await?;
        let Some(value) = link.group_by else {
            return Ok(());
        };
        let value = value.trim();
        let target = if value.is_empty() {
            None
        } else {
            self.group_by_group_in(conn, company_id, link.setting_id, value, actor)
                .await?
        };
        let rows = sqlx::query(
            "SELECT m.group_id FROM target_group_members m \
             JOIN scim_groups s ON s.group_id = m.group_id \
             WHERE m.target_user_id = $1 AND s.setting_id = $2 AND s.group_by_value IS NOT NULL",
        )
        .bind(user_id)
        .bind(link.setting_id)
        .fetch_all(&mut *conn)
        .await?;
        let mut member_of_target = false;
        for r in &rows {
            let group = get_i64(r, "group_id")?;
            if Some(group) == target {
                member_of_target = true;
            } else {
                self.remove_members_in(conn, group, &[user_id]).await?;
            }
        }
        if let (Some(group), false) = (target, member_of_target) {
            let only = MemberSelection::Ids(vec![user_id]);
            self.add_members_in(conn, company_id, group, &only).await?;
        }
        Ok(())
    }

    /// The group that holds the users whose group-by value is `value`: the integration's, or
    /// the company's group of that name (taken over as the value's group, so that users also
    /// leave it when their value changes), or a new one. `None` when that name is a group
    /// another integration owns or a provider pushed through /Groups: its members are theirs
    /// to set, so the user joins no group for the value (docs/scim.md).
    async fn group_by_group_in(
        &self,
        conn: &mut AnyConnection,
        company_id: i64,
        setting_id: i64,
        value: &str,
        actor: &Actor,
    ) -> Result<Option<i64>> {
        // Group names are at most 64 characters (target groups' own rule); the value is matched
        // as the name it gives.
        let name: String = value.chars().take(64).collect();
        let lower = name.to_lowercase();
        let found = sqlx::query(
            "SELECT group_id FROM scim_groups WHERE setting_id = $1 AND group_by_value = $2",
        )
        .bind(setting_id)
        .bind(lower.as_str())
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(r) = found {
            return Ok(Some(get_i64(&r, "group_id")?));
        }
        // Made unless the name exists; two first users of a value at once (PostgreSQL) both
        // end here, and the second finds the first's group instead of failing on the name.
        let now = crate::open::now_millis();
        let resource_id = crate::open::new_resource_id();
        let made = sqlx::query(
            "INSERT INTO target_groups \
             (company_id, resource_id, name, name_lower, priority, is_active, create_time, update_time) \
             VALUES ($1, $2, $3, $4, 3, $5, $6, $6) \
             ON CONFLICT (company_id, name_lower) DO NOTHING RETURNING id",
        )
        .bind(company_id)
        .bind(resource_id.as_str())
        .bind(name.as_str())
        .bind(lower.as_str())
        .bind(true)
        .bind(now)
        .fetch_optional(&mut *conn)
        .await?;
        let id = match made {
            Some(r) => {
                let id = get_i64(&r, "id")?;
                let change =
                    Change::within(&mut *conn, actor, company_id, Entity::TargetGroup).await?;
                let event = change.created(
                    &resource_id,
                    serde_json::json!({ "name": name, "groupByValue": true }),
                    &format!(
                        "Created target group '{name}' for the users whose grouping attribute is '{value}'"
                    ),
                );
                self.insert_audit(conn, &event).await?;
                id
            }
            None => {
                let r = sqlx::query(
                    "SELECT id FROM target_groups WHERE company_id = $1 AND name_lower = $2",
                )
                .bind(company_id)
                .bind(lower.as_str())
                .fetch_one(&mut *conn)
                .await?;
                get_i64(&r, "id")?
            }
        };
        let owner =
            sqlx::query("SELECT setting_id, group_by_value FROM scim_groups WHERE group_id = $1")
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?;
        if owner.is_some() {
            // Another integration's, or a pushed group (this integration's value groups were
            // found above).
            return Ok(None);
        }
        sqlx::query(
            "INSERT INTO scim_groups (group_id, company_id, setting_id, external_id, group_by_value) \
             VALUES ($1, $2, $3, NULL, $4)",
        )
        .bind(id)
        .bind(company_id)
        .bind(setting_id)
        .bind(lower.as_str())
        .execute(&mut *conn)
        .await?;
        Ok(Some(id))
    }

    pub(super) async fn scim_group_in<'c>(
        &self,
        db: impl sqlx::Executor<'c, Database = sqlx::Any>,
        company_id: i64,
        resource_id: &str,
    ) -> Result<Option<ScimGroupRow>> {
        let (select, _) = self.render(&group_select());
        let sql = format!("{select} WHERE g.company_id = $1 AND g.resource_id = $2");
        let row = sqlx::query(&sql)
            .bind(company_id)
            .bind(resource_id)
            .fetch_optional(db)
            .await?;
        row.as_ref().map(group_row).transpose()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::rows::sqlite_plan;
    use crate::ScimVal;

    /// The look-ups providers make before every create (`userName eq`, `externalId eq`) read
    /// indexes on SQLite, never the company's users one by one (issue #16).
    #[tokio::test]
    async fn sqlite_lookups_by_user_name_and_external_id_use_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqlStore::open("", dir.path()).await.unwrap();
        let conn = rusqlite::Connection::open(dir.path().join("rollcall.db")).unwrap();
        for (attr, index) in [
            (ScimUserAttr::UserName, "scim_users_user_name"),
            (ScimUserAttr::ExternalId, "scim_users_external_id"),
        ] {
            let cond = ScimCond::Cmp(attr, ScimCmp::Eq, ScimVal::Text("Ann@X.io".into()));
            let page = user_select()
                .cond_where(live_users(7, &cond))
                .order_by((Alias::new("u"), Alias::new("id")), sea_query::Order::Asc)
                .limit(100)
                .to_owned();
            let (sql, values) = store.render(&page);
            let mut plan = sqlite_plan(&conn, &sql, &values);
            let (sql, values) =
                store.render(&count_where("target_users", "u", live_users(7, &cond)));
            let count = sqlite_plan(&conn, &sql, &values);
            plan.extend(count);
            assert!(
                plan.iter().all(|l| !(l.contains("SCAN u")
                    || l.contains("SCAN target_users")
                    || (l.starts_with("SEARCH u ") && l.contains("(company_id=?)")))),
                "{attr:?}: no walk of the company's users: {plan:?}"
            );
            assert!(
                plan.iter()
                    .any(|l| l.contains("SEARCH u USING INTEGER PRIMARY KEY (rowid=?)")),
                "{attr:?}: users by id: {plan:?}"
            );
            assert!(
                plan.iter().any(|l| l.contains(index)),
                "{attr:?}: reads {index}: {plan:?}"
            );
            if attr == ScimUserAttr::UserName {
                assert!(
                    plan.iter().any(|l| l.contains("INDEX target_users_email")),
                    "userName also reads the live-email index: {plan:?}"
                );
            }
        }
    }
}
