//! Target groups (REFERENCE.md C.11): named sets of a company's live target users, with their
//! member counts kept in the group's row by every write that changes them (migration 0016), so
//! that a search page reads counts instead of counting members per group.

use sea_query::{Alias, Expr, Query, SimpleExpr, Value};
use serde_json::json;
use sqlx::AnyConnection;

use crate::audit::{count_of, Actor, AuditEvent, Change, Entity, Operation};
use crate::columns::table_columns;
use crate::model::Millis;
use crate::open::{new_resource_id, now_millis, WriteTx};
use crate::priority::priority_name;
use crate::query::{Cond, SearchSpec};
use crate::rows::{
    bind_values, execute_keyed, get_bool, get_i64, get_str, insert_rows, or_conflict,
    update_row_by, FromColumns, ReadColumns,
};
use crate::{Result, SqlStore, StoreError};

/// The editable fields of a target group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetGroupFields {
    /// 1 to 64 characters, unique in the company in any case.
    pub name: String,
    /// 1..=5, see [`crate::PRIORITIES`].
    pub priority: i64,
    pub is_active: bool,
}

/// A target group row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetGroup {
    pub id: i64,
    pub company_id: i64,
    pub resource_id: String,
    pub fields: TargetGroupFields,
    /// Members (live target users).
    pub user_count: i64,
    /// Members with a phone number.
    pub user_count_with_phone: i64,
    pub create_time: Millis,
    pub update_time: Millis,
}

/// Live members of some groups sharing the same traits, and how many: a row of
/// [`SqlStore::member_breakdown`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberTraits {
    pub is_active: bool,
    pub has_phone: bool,
    /// '' when not set.
    pub preferred_language_id: String,
    /// '' when not set.
    pub time_zone_id: String,
    /// The email's domain is a verified allowed domain of the company.
    pub domain_verified: bool,
    pub count: i64,
}

/// Which users a membership change takes.
#[derive(Debug, Clone, PartialEq)]
pub enum MemberSelection {
    /// These users (internal ids, already checked to be the company's live users).
    Ids(Vec<i64>),
    /// Every live user of the company matching the condition (a target-user filter), except
    /// these resource ids.
    AllExcept { cond: Cond, excluded: Vec<String> },
}

table_columns! {
    /// Columns of `target_groups`.
    pub(crate) enum GroupCol in "target_groups" {
        read {
            Id = "id",
            CompanyId = "company_id",
            ResourceId = "resource_id",
            Name = "name",
            Priority = "priority",
            IsActive = "is_active",
            UserCount = "user_count",
            UserCountWithPhone = "user_count_with_phone",
            CreateTime = "create_time",
            UpdateTime = "update_time",
        }
        stored {
            NameLower = "name_lower",
        }
    }
}

use GroupCol as G;

/// The membership table (migration 0016).
const MEMBERS: &str = "target_group_members";

/// Deleted users whose memberships one statement removes (bound parameters stay well under
/// both engines' limits).
const DELETED_CHUNK: usize = 500;

impl FromColumns for TargetGroup {
    fn from_columns<R: ReadColumns + ?Sized>(r: &R) -> Result<Self> {
        Ok(TargetGroup {
            id: r.int(G::Id.at())?,
            company_id: r.int(G::CompanyId.at())?,
            resource_id: r.text(G::ResourceId.at())?,
            fields: TargetGroupFields {
                name: r.text(G::Name.at())?,
                priority: r.int(G::Priority.at())?,
                is_active: r.flag(G::IsActive.at())?,
            },
            user_count: r.int(G::UserCount.at())?,
            user_count_with_phone: r.int(G::UserCountWithPhone.at())?,
            create_time: r.int(G::CreateTime.at())?,
            update_time: r.int(G::UpdateTime.at())?,
        })
    }
}

/// The stored values of a group's editable fields; insert and update write exactly these.
fn field_values(f: &TargetGroupFields) -> [(GroupCol, Value); 4] {
    [
        (G::Name, f.name.clone().into()),
        (G::NameLower, f.name.to_lowercase().into()),
        (G::Priority, f.priority.into()),
        (G::IsActive, f.is_active.into()),
    ]
}

fn audited(f: &TargetGroupFields) -> serde_json::Value {
    json!({
        "name": f.name,
        "priority": priority_name(f.priority),
        "isActive": f.is_active,
    })
}

fn duplicate_name(name: &str) -> StoreError {
    StoreError::Conflict(format!(
        "a target group named '{name}' already exists in this company (names are compared in any case); choose another name or update that group"
    ))
}

/// The users a membership change selects, as a condition on `target_users` (live users of
/// the company only).
fn selected_users(
    store: &SqlStore,
    company_id: i64,
    users: &MemberSelection,
) -> sea_query::Condition {
    let mut cond = sea_query::Condition::all()
        .add(Expr::col(Alias::new("company_id")).eq(company_id))
        .add(Expr::col(Alias::new("is_deleted")).eq(false));
    match users {
        MemberSelection::Ids(ids) => {
            cond = cond.add(Expr::col(Alias::new("id")).is_in(ids.iter().copied()));
        }
        MemberSelection::AllExcept { cond: c, excluded } => {
            cond = cond.add(store.user_condition(c));
            if !excluded.is_empty() {
                cond = cond
                    .add(Expr::col(Alias::new("resource_id")).is_not_in(excluded.iter().cloned()));
            }
        }
    }
    cond
}

/// The audit row of `n` users joining (`joined`) or leaving a group: an update of the group.
pub(crate) fn membership_event(
    change: &Change<'_>,
    group: &TargetGroup,
    n: u64,
    joined: bool,
) -> AuditEvent {
    let (key, verb, to) = if joined {
        ("addedUserCount", "Added", "to")
    } else {
        ("removedUserCount", "Removed", "from")
    };
    change.with_new(
        Operation::Update,
        Some(&group.resource_id),
        json!({ key: n }),
        &format!(
            "{verb} {} {to} target group '{}'",
            count_of(n, "target user", "target users"),
            group.fields.name
        ),
    )
}

/// `phone_number <> ''` or `= ''`: members are added and removed in these two halves, so that
/// the rows each statement touched are the change of both counts.
fn with_phone(has: bool) -> SimpleExpr {
    let col = Expr::col(Alias::new("phone_number"));
    if has {
        col.ne("")
    } else {
        col.eq("")
    }
}

impl SqlStore {
    /// Creates a group in the caller's transaction; returns it and its audit row.
    pub(crate) async fn insert_group_in(
        &self,
        conn: &mut AnyConnection,
        company_id: i64,
        f: &TargetGroupFields,
        actor: &Actor,
    ) -> Result<(TargetGroup, AuditEvent)> {
        let now = now_millis();
        let resource_id = new_resource_id();
        let row = [
            (G::CompanyId, Value::from(company_id)),
            (G::ResourceId, resource_id.clone().into()),
            (G::CreateTime, now.into()),
            (G::UpdateTime, now.into()),
        ]
        .into_iter()
        .chain(field_values(f));
        let insert = insert_rows(G::TABLE, [row])?;
        let id = or_conflict(
            self.insert_returning_id(&mut *conn, insert, G::Id).await,
            || duplicate_name(&f.name),
        )?;
        let change = Change::within(&mut *conn, actor, company_id, Entity::TargetGroup).await?;
        let event = change.created(
            &resource_id,
            audited(f),
            &format!("Created target group '{}'", f.name),
        );
        let group = TargetGroup {
            id,
            company_id,
            resource_id,
            fields: f.clone(),
            user_count: 0,
            user_count_with_phone: 0,
            create_time: now,
            update_time: now,
        };
        Ok((group, event))
    }

    /// Writes a group's new fields in the caller's transaction; returns the audit row.
    pub(crate) async fn rename_group_in(
        &self,
        conn: &mut AnyConnection,
        company_id: i64,
        before: &TargetGroup,
        f: &TargetGroupFields,
        actor: &Actor,
    ) -> Result<AuditEvent> {
        let values = field_values(f)
            .into_iter()
            .chain([(G::UpdateTime, Value::from(now_millis()))]);
        let stmt = update_row_by(G::Id, before.id, values);
        or_conflict(self.execute(&mut *conn, &stmt).await, || {
            duplicate_name(&f.name)
        })?;
        let change = Change::within(&mut *conn, actor, company_id, Entity::TargetGroup).await?;
        Ok(change.update(
            &before.resource_id,
            &audited(&before.fields),
            &audited(f),
            &format!("Updated target group '{}'", f.name),
        ))
    }

    /// Adds the selected users to `group_id`, skipping members already in it, and moves the
    /// group's counts by what was added. Returns how many were added.
    pub(crate) async fn add_members_in(
        &self,
        conn: &mut AnyConnection,
        company_id: i64,
        group_id: i64,
        users: &MemberSelection,
    ) -> Result<u64> {
        let mut added = [0_u64; 2];
        for (i, phone) in [true, false].into_iter().enumerate() {
            let select = Query::select()
                .expr(Expr::val(group_id))
                .column(Alias::new("id"))
                .from(Alias::new("target_users"))
                .cond_where(selected_users(self, company_id, users))
                .and_where(with_phone(phone))
                .and_where(
                    Expr::exists(
                        Query::select()
                            .expr(Expr::val(1))
                            .from_as(Alias::new(MEMBERS), Alias::new("m"))
                            .and_where(
                                Expr::col((Alias::new("m"), Alias::new("group_id"))).eq(group_id),
                            )
                            .and_where(
                                Expr::col((Alias::new("m"), Alias::new("target_user_id")))
                                    .equals((Alias::new("target_users"), Alias::new("id"))),
                            )
                            .to_owned(),
                    )
                    .not(),
                )
                // PostgreSQL: a user being deleted meanwhile is waited for and then left out,
                // so that no deleted user joins (SQLite has one writer; it renders nothing).
                .lock_shared()
                .to_owned();
            // Another transaction adding the same member first is skipped, not an error.
            let stmt = Query::insert()
                .into_table(Alias::new(MEMBERS))
                .columns([Alias::new("group_id"), Alias::new("target_user_id")])
                .select_from(select)
                .map_err(|e| StoreError::Statement(format!("adding group members: {e}")))?
                .on_conflict(
                    sea_query::OnConflict::columns([
                        Alias::new("group_id"),
                        Alias::new("target_user_id"),
                    ])
                    .do_nothing()
                    .to_owned(),
                )
                .to_owned();
            added[i] = self.execute(conn, &stmt).await?;
        }
        let [phone, no_phone] = added.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
        self.move_counts(conn, &[group_id], phone + no_phone, phone)
            .await?;
        Ok(added[0] + added[1])
    }

    /// Removes the users `user_ids` from `group_id` and moves its counts. Returns how many
    /// were members.
    pub(crate) async fn remove_members_in(
        &self,
        conn: &mut AnyConnection,
        group_id: i64,
        user_ids: &[i64],
    ) -> Result<u64> {
        let mut removed = [0_u64; 2];
        for (i, phone) in [true, false].into_iter().enumerate() {
            let users = Query::select()
                .column(Alias::new("id"))
                .from(Alias::new("target_users"))
                .and_where(Expr::col(Alias::new("id")).is_in(user_ids.iter().copied()))
                .and_where(with_phone(phone))
                .to_owned();
            let stmt = Query::delete()
                .from_table(Alias::new(MEMBERS))
                .and_where(Expr::col(Alias::new("group_id")).eq(group_id))
                .and_where(Expr::col(Alias::new("target_user_id")).in_subquery(users))
                .to_owned();
            removed[i] = self.execute(conn, &stmt).await?;
        }
        let [phone, no_phone] = removed.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
        self.move_counts(conn, &[group_id], -(phone + no_phone), -phone)
            .await?;
        Ok(removed[0] + removed[1])
    }

    /// Adds `members` and `with_phone` to the counts of the groups `group_ids`.
    async fn move_counts(
        &self,
        conn: &mut AnyConnection,
        group_ids: &[i64],
        members: i64,
        with_phone: i64,
    ) -> Result<()> {
        if group_ids.is_empty() || (members == 0 && with_phone == 0) {
            return Ok(());
        }
        let stmt = Query::update()
            .table(Alias::new(G::TABLE))
            .value(
                G::UserCount,
                Expr::col(G::UserCount).add(Expr::val(members)),
            )
            .value(
                G::UserCountWithPhone,
                Expr::col(G::UserCountWithPhone).add(Expr::val(with_phone)),
            )
            .and_where(Expr::col(G::Id).is_in(group_ids.iter().copied()))
            .to_owned();
        self.execute(conn, &stmt).await?;
        Ok(())
    }

    /// Makes one user a member of exactly `group_ids` (its company's groups): for a user's
    /// create and update with `targetGroupResourceIds`. The caller writes the audit row.
    pub(crate) async fn set_user_groups_in(
        &self,
        conn: &mut AnyConnection,
        company_id: i64,
        user_id: i64,
        group_ids: &[i64],
    ) -> Result<()> {
        let current: Vec<i64> =
            sqlx::query("SELECT group_id FROM target_group_members WHERE target_user_id = $1")
                .bind(user_id)
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(|r| get_i64(r, "group_id"))
                .collect::<Result<_>>()?;
        for g in current.iter().filter(|g| !group_ids.contains(g)) {
            self.remove_members_in(conn, *g, &[user_id]).await?;
        }
        let only = MemberSelection::Ids(vec![user_id]);
        for g in group_ids.iter().filter(|g| !current.contains(g)) {
            self.add_members_in(conn, company_id, *g, &only).await?;
        }
        Ok(())
    }

    /// A user's phone number became set (`true`) or empty: its groups' with-phone counts move.
    pub(crate) async fn phone_changed_in(
        &self,
        conn: &mut AnyConnection,
        user_id: i64,
        has_phone: bool,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE target_groups SET user_count_with_phone = user_count_with_phone + $1 \
             WHERE id IN (SELECT group_id FROM target_group_members WHERE target_user_id = $2)",
        )
        .bind(if has_phone { 1_i64 } else { -1 })
        .bind(user_id)
        .execute(conn)
        .await?;
        Ok(())
    }

    /// A user was deleted: it leaves its groups and their counts.
    pub(crate) async fn user_deleted_in(
        &self,
        conn: &mut AnyConnection,
        user_id: i64,
        had_phone: bool,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE target_groups SET user_count = user_count - 1, \
             user_count_with_phone = user_count_with_phone - $1 \
             WHERE id IN (SELECT group_id FROM target_group_members WHERE target_user_id = $2)",
        )
        .bind(i64::from(had_phone))
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
        sqlx::query("DELETE FROM target_group_members WHERE target_user_id = $1")
            .bind(user_id)
            .execute(conn)
            .await?;
        Ok(())
    }

    /// Users were deleted in bulk in this transaction: they leave their groups, a chunk of
    /// ids at a time, so the work follows the users deleted, not the company's memberships.
    pub(crate) async fn users_deleted_in(
        &self,
        conn: &mut AnyConnection,
        user_ids: &[i64],
    ) -> Result<()> {
        for chunk in user_ids.chunks(DELETED_CHUNK) {
            // Per group, the chunk's members and those of them with a phone.
            let per_group = Query::select()
                .column((Alias::new("m"), Alias::new("group_id")))
                .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
                .expr_as(
                    Expr::cust("SUM(CASE WHEN u.phone_number <> '' THEN 1 ELSE 0 END)"),
                    Alias::new("p"),
                )
                .from_as(Alias::new(MEMBERS), Alias::new("m"))
                .join_as(
                    sea_query::JoinType::InnerJoin,
                    Alias::new("target_users"),
                    Alias::new("u"),
                    Expr::cust("u.id = m.target_user_id"),
                )
                .and_where(
                    Expr::col((Alias::new("m"), Alias::new("target_user_id")))
                        .is_in(chunk.iter().copied()),
                )
                .group_by_col((Alias::new("m"), Alias::new("group_id")))
                .to_owned();
            let (sql, values) = self.render(&per_group);
            let rows = bind_values(sqlx::query(&sql), &values)
                .fetch_all(&mut *conn)
                .await?;
            for r in &rows {
                let (group, n, p) = (get_i64(r, "group_id")?, get_i64(r, "n")?, get_i64(r, "p")?);
                self.move_counts(conn, &[group], -n, -p).await?;
            }
            let gone = Query::delete()
                .from_table(Alias::new(MEMBERS))
                .and_where(Expr::col(Alias::new("target_user_id")).is_in(chunk.iter().copied()))
                .to_owned();
            self.execute(conn, &gone).await?;
        }
        Ok(())
    }

    /// A write transaction and a company's group, read and locked in it for a change.
    async fn group_to_change(
        &self,
        company_id: i64,
        resource_id: &str,
    ) -> Result<Option<(WriteTx, TargetGroup)>> {
        self.begin_company_change([G::CompanyId, G::ResourceId], company_id, resource_id)
            .await
    }
}

/// A company's target groups and their memberships. Every method is scoped to one company: a
/// group or user of another company is not found.
impl SqlStore {
    /// Creates a group; a name the company already has (any case) is a
    /// [`StoreError::Conflict`].
    pub async fn insert_target_group(
        &self,
        company_id: i64,
        f: &TargetGroupFields,
        actor: &Actor,
    ) -> Result<TargetGroup> {
        let mut tx = self.write_tx().await?;
        let (group, event) = self.insert_group_in(&mut tx, company_id, f, actor).await?;
        self.commit_audited(tx, [event]).await?;
        Ok(group)
    }

    /// Replaces a group's fields; `None` when the company has no such group.
    pub async fn update_target_group(
        &self,
        company_id: i64,
        resource_id: &str,
        f: &TargetGroupFields,
        actor: &Actor,
    ) -> Result<Option<TargetGroup>> {
        let Some((mut tx, before)) = self.group_to_change(company_id, resource_id).await? else {
            return Ok(None);
        };
        let event = self
            .rename_group_in(&mut tx, company_id, &before, f, actor)
            .await?;
        self.commit_audited(tx, [event]).await?;
        Ok(Some(TargetGroup {
            fields: f.clone(),
            update_time: now_millis(),
            ..before
        }))
    }

    /// Deletes a group and its memberships (its users stay); `None` when there is no such
    /// group.
    pub async fn delete_target_group(
        &self,
        company_id: i64,
        resource_id: &str,
        actor: &Actor,
    ) -> Result<Option<TargetGroup>> {
        let Some((mut tx, group)) = self.group_to_change(company_id, resource_id).await? else {
            return Ok(None);
        };
        let statements = [
            // A custom field of the group becomes a field of the whole company, values kept,
            // rather than going with it.
            "UPDATE custom_fields SET target_group_id = NULL, owner_type = 'TargetUser' \
             WHERE target_group_id = $1",
            // A SCIM integration that put its users in the group stops doing so; a SCIM group
            // deleted here is made again by the provider's next push (docs/scim.md).
            "UPDATE scim_settings SET group_id = NULL WHERE group_id = $1",
            "DELETE FROM scim_groups WHERE group_id = $1",
            // The users stay; only their memberships go (REFERENCE.md C.11).
            "DELETE FROM target_group_members WHERE group_id = $1",
            "DELETE FROM target_groups WHERE id = $1",
        ];
        execute_keyed(&mut tx, group.id, statements).await?;
        let change = Change::within(&mut tx, actor, company_id, Entity::TargetGroup).await?;
        let members = u64::try_from(group.user_count).unwrap_or(0);
        let event = change.deleted(
            resource_id,
            audited(&group.fields),
            &format!(
                "Deleted target group '{}' ({}; the users stay)",
                group.fields.name,
                count_of(members, "member", "members")
            ),
        );
        self.commit_audited(tx, [event]).await?;
        Ok(Some(group))
    }

    /// One group of a company.
    pub async fn target_group(
        &self,
        company_id: i64,
        resource_id: &str,
    ) -> Result<Option<TargetGroup>> {
        self.company_row(
            &self.pool,
            [G::CompanyId, G::ResourceId],
            (company_id, resource_id),
            false,
        )
        .await
    }

    /// The company's groups among `resource_ids` (those not found are left out).
    pub async fn target_groups_by_resource_ids(
        &self,
        company_id: i64,
        resource_ids: &[String],
    ) -> Result<Vec<TargetGroup>> {
        if resource_ids.is_empty() {
            return Ok(vec![]);
        }
        let stmt = Query::select()
            .expr(Expr::cust(G::SELECT))
            .from(Alias::new(G::TABLE))
            .and_where(Expr::col(G::CompanyId).eq(company_id))
            .and_where(Expr::col(G::ResourceId).is_in(resource_ids.iter().cloned()))
            .to_owned();
        let (sql, values) = self.render(&stmt);
        self.fetch_all_as(&sql, &values).await
    }

    /// A page of a company's groups (those the user `member` belongs to, when given) and the
    /// number matching.
    pub async fn search_target_groups(
        &self,
        company_id: i64,
        spec: &SearchSpec,
        member: Option<i64>,
    ) -> Result<(i64, Vec<TargetGroup>)> {
        let mut cond = sea_query::Condition::all()
            .add(Expr::col(G::CompanyId).eq(company_id))
            .add(spec.cond.to_condition(self.engine));
        if let Some(user_id) = member {
            cond = cond.add(
                Expr::col(G::Id).in_subquery(
                    Query::select()
                        .column(Alias::new("group_id"))
                        .from(Alias::new(MEMBERS))
                        .and_where(Expr::col(Alias::new("target_user_id")).eq(user_id))
                        .to_owned(),
                ),
            );
        }
        let filtered = Query::select()
            .from(Alias::new(G::TABLE))
            .cond_where(cond)
            .to_owned();
        self.search_page(filtered, G::SELECT, spec).await
    }

    /// Adds the selected live users to each of `groups` in one transaction (members already
    /// in a group are skipped); returns how many memberships were added.
    pub async fn add_target_group_members(
        &self,
        company_id: i64,
        groups: &[TargetGroup],
        users: &MemberSelection,
        actor: &Actor,
    ) -> Result<u64> {
        let mut tx = self.write_tx().await?;
        let mut added = Vec::with_capacity(groups.len());
        for group in groups {
            let n = self
                .add_members_in(&mut tx, company_id, group.id, users)
                .await?;
            added.push((group, n));
        }
        let change = Change::within(&mut tx, actor, company_id, Entity::TargetGroup).await?;
        let events: Vec<_> = added
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(group, n)| membership_event(&change, group, *n, true))
            .collect();
        self.commit_audited(tx, events).await?;
        Ok(added.iter().map(|(_, n)| n).sum())
    }

    /// Removes users (internal ids) from a group; returns how many were members.
    pub async fn remove_target_group_members(
        &self,
        company_id: i64,
        group: &TargetGroup,
        user_ids: &[i64],
        actor: &Actor,
    ) -> Result<u64> {
        if user_ids.is_empty() {
            return Ok(0);
        }
        let mut tx = self.write_tx().await?;
        let n = self.remove_members_in(&mut tx, group.id, user_ids).await?;
        let change = Change::within(&mut tx, actor, company_id, Entity::TargetGroup).await?;
        let events = (n > 0).then(|| membership_event(&change, group, n, false));
        self.commit_audited(tx, events).await?;
        Ok(n)
    }

    /// The distinct live members of the groups `group_ids` (internal ids), counted by their
    /// traits (status, phone, language, time zone, verified domain).
    pub async fn member_breakdown(
        &self,
        company_id: i64,
        group_ids: &[i64],
    ) -> Result<Vec<MemberTraits>> {
        if group_ids.is_empty() {
            return Ok(vec![]);
        }
        let members = Query::select()
            .column(Alias::new("target_user_id"))
            .from(Alias::new(MEMBERS))
            .and_where(Expr::col(Alias::new("group_id")).is_in(group_ids.iter().copied()))
            .to_owned();
        // Expressions are constants; the company, the groups and the flags are bound.
        let traits = [
            ("is_active", "u.is_active"),
            (
                "has_phone",
                "CASE WHEN u.phone_number <> '' THEN 1 ELSE 0 END",
            ),
            ("language", "u.preferred_language_id"),
            ("zone", "u.time_zone_id"),
            (
                "verified",
                "CASE WHEN EXISTS (SELECT 1 FROM allow_list a WHERE a.company_id = u.company_id \
                 AND a.domain = u.email_domain AND a.is_verified) THEN 1 ELSE 0 END",
            ),
        ];
        let mut stmt = Query::select();
        for (name, expr) in traits {
            stmt.expr_as(Expr::cust(expr), Alias::new(name));
        }
        stmt.expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
            .from_as(Alias::new("target_users"), Alias::new("u"))
            .and_where(Expr::col((Alias::new("u"), Alias::new("company_id"))).eq(company_id))
            .and_where(Expr::col((Alias::new("u"), Alias::new("is_deleted"))).eq(false))
            .and_where(Expr::col((Alias::new("u"), Alias::new("id"))).in_subquery(members))
            .add_group_by(traits.iter().map(|(_, expr)| Expr::cust(*expr)));
        let rows = self.fetch_rows(&stmt).await?;
        rows.iter()
            .map(|r| {
                Ok(MemberTraits {
                    is_active: get_bool(r, "is_active")?,
                    has_phone: get_i64(r, "has_phone")? != 0,
                    preferred_language_id: get_str(r, "language")?,
                    time_zone_id: get_str(r, "zone")?,
                    domain_verified: get_i64(r, "verified")? != 0,
                    count: get_i64(r, "n")?,
                })
            })
            .collect()
    }

    /// Whether the company has any target group.
    pub async fn has_target_groups(&self, company_id: i64) -> Result<bool> {
        let row = sqlx::query("SELECT id FROM target_groups WHERE company_id = $1 LIMIT 1")
            .bind(company_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    /// Every group of the company: internal id and name.
    pub async fn target_group_names(&self, company_id: i64) -> Result<Vec<(i64, String)>> {
        let rows = sqlx::query("SELECT id, name FROM target_groups WHERE company_id = $1")
            .bind(company_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((get_i64(r, "id")?, get_str(r, "name")?)))
            .collect()
    }

    /// The groups of each of `user_ids` (internal ids), as (user id, group) pairs by group
    /// name.
    pub async fn groups_of_users(&self, user_ids: &[i64]) -> Result<Vec<(i64, TargetGroup)>> {
        if user_ids.is_empty() {
            return Ok(vec![]);
        }
        let stmt = Query::select()
            .expr(Expr::cust(crate::rows::qualified::<GroupCol>("g")))
            .column((Alias::new("m"), Alias::new("target_user_id")))
            .from_as(Alias::new(MEMBERS), Alias::new("m"))
            .join_as(
                sea_query::JoinType::InnerJoin,
                Alias::new(G::TABLE),
                Alias::new("g"),
                Expr::cust("g.id = m.group_id"),
            )
            .and_where(
                Expr::col((Alias::new("m"), Alias::new("target_user_id")))
                    .is_in(user_ids.iter().copied()),
            )
            .order_by((Alias::new("g"), G::NameLower), sea_query::Order::Asc)
            .to_owned();
        let rows = self.fetch_rows(&stmt).await?;
        rows.iter()
            .map(|r| Ok((get_i64(r, "target_user_id")?, TargetGroup::from_columns(r)?)))
            .collect()
    }
}
