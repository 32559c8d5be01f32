//! SCIM 2.0 directory sync (issue #16, docs/scim.md): a company's integrations and what they
//! provisioned. Users and groups keep their rows in `target_users` and `target_groups` (so
//! every other endpoint sees them); `scim_users` and `scim_groups` hold what only SCIM knows
//! about them (migration 0020).

mod directory;
mod filter;

use sea_query::{Alias, Expr, Query, Value};
use serde_json::json;

use crate::audit::{Actor, Change, Entity, Operation};
use crate::columns::table_columns;
use crate::companies::CompanyCol;
use crate::model::Company;
use crate::model::Millis;
use crate::open::{new_resource_id, now_millis, WriteTx};
use crate::query::SearchSpec;
use crate::rows::{
    execute_keyed, get_i64, get_str, insert_rows, or_conflict, qualified, FromColumns, ReadColumns,
    Shifted,
};
use crate::target_groups::{membership_event, TargetGroupFields};
use crate::{MemberSelection, Result, SqlStore, StoreError};
use directory::{
    count_where, group_row, group_select, live_users, user_row, user_select, MEMBER_CHUNK,
};
use filter::group_condition;

pub use directory::{ScimGroupRow, ScimUserRow};
pub use filter::{ScimCmp, ScimCond, ScimGroupAttr, ScimUserAttr, ScimVal};

/// A SCIM attribute an integration writes into a custom field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimMapping {
    /// The custom field's internal id.
    pub custom_field_id: i64,
    /// The SCIM attribute's catalogue id (docs/scim.md, `GET /api/scim/fields`).
    pub scim_field: String,
}

/// The settings of an integration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimSettingFields {
    /// 1 to 30 characters, unique in the company in any case.
    pub name: String,
    /// Every provisioned user joins this group (internal id).
    pub group_id: Option<i64>,
    /// The SCIM attribute (catalogue id) whose value names a group each user joins; '' for
    /// none.
    pub group_by_field: String,
    /// Keepnet's `syncPlatformGroup`, kept and shown.
    pub sync_platform_group: bool,
    pub mappings: Vec<ScimMapping>,
}

/// An integration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimSetting {
    pub id: i64,
    pub company_id: i64,
    pub resource_id: String,
    pub fields: ScimSettingFields,
    pub create_time: Millis,
    pub update_time: Millis,
    /// The current token was issued by a client of a company above this one (a reseller), not
    /// by the company's own: the customer's account privacy then applies to it (migration 0022).
    pub issued_by_reseller: bool,
}

/// What a SCIM write records about the user it provisioned ([`crate::UserLinks::scim`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScimLink<'a> {
    /// The integration (internal id).
    pub setting_id: i64,
    pub external_id: Option<&'a str>,
    /// The provider's userName when it is not the user's email.
    pub user_name: Option<&'a str>,
    /// The provider's `emails` and `phoneNumbers` lists (JSON), kept around the one email and
    /// phone the user's row holds.
    pub contacts: Option<&'a str>,
    /// The value of the integration's group-by attribute: the user joins the group it names
    /// (made when missing) and leaves the integration's other group-by groups. `None` leaves
    /// them as they are; `Some("")` leaves them all.
    pub group_by: Option<&'a str>,
}

table_columns! {
    /// Columns of `scim_settings`.
    pub(crate) enum SettingCol in "scim_settings" {
        read {
            Id = "id",
            CompanyId = "company_id",
            ResourceId = "resource_id",
            Name = "name",
            GroupId = "group_id",
            GroupByField = "group_by_field",
            SyncPlatformGroup = "sync_platform_group",
            CreateTime = "create_time",
            UpdateTime = "update_time",
            IssuedByReseller = "issued_by_reseller",
        }
        stored {
            NameLower = "name_lower",
            TokenHash = "token_hash",
        }
    }
}

use SettingCol as S;

impl FromColumns for ScimSetting {
    fn from_columns<R: ReadColumns + ?Sized>(r: &R) -> Result<Self> {
        Ok(ScimSetting {
            id: r.int(S::Id.at())?,
            company_id: r.int(S::CompanyId.at())?,
            resource_id: r.text(S::ResourceId.at())?,
            fields: ScimSettingFields {
                name: r.text(S::Name.at())?,
                group_id: r.opt_int(S::GroupId.at())?,
                group_by_field: r.text(S::GroupByField.at())?,
                sync_platform_group: r.flag(S::SyncPlatformGroup.at())?,
                // Read by `with_mappings`.
                mappings: Vec::new(),
            },
            create_time: r.int(S::CreateTime.at())?,
            update_time: r.int(S::UpdateTime.at())?,
            issued_by_reseller: r.flag(S::IssuedByReseller.at())?,
        })
    }
}

fn audited(f: &ScimSettingFields) -> serde_json::Value {
    json!({
        "name": f.name,
        "groupBy": f.group_by_field,
        "syncPlatformGroup": f.sync_platform_group,
        "mappedFieldCount": f.mappings.len(),
    })
}

fn duplicate_name(name: &str) -> StoreError {
    StoreError::Conflict(format!(
        "a SCIM integration named '{name}' already exists in this company (names are compared in any case); choose another name"
    ))
}

/// What [`SqlStore::update_scim_group`] changes.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScimGroupChange<'a> {
    pub name: Option<&'a str>,
    /// `Some(None)` clears it.
    pub external_id: Option<Option<&'a str>>,
    /// The members become exactly these (internal ids).
    pub members: Option<&'a [i64]>,
    pub add: &'a [i64],
    pub remove: &'a [i64],
}

impl SqlStore {
    /// Reads the field mappings of `settings` into them.
    async fn with_mappings(&self, mut settings: Vec<ScimSetting>) -> Result<Vec<ScimSetting>> {
        if settings.is_empty() {
            return Ok(settings);
        }
        let stmt = Query::select()
            .columns([
                Alias::new("setting_id"),
                Alias::new("custom_field_id"),
                Alias::new("scim_field"),
            ])
            .from(Alias::new("scim_field_mappings"))
            .and_where(Expr::col(Alias::new("setting_id")).is_in(settings.iter().map(|s| s.id)))
            .order_by(Alias::new("custom_field_id"), sea_query::Order::Asc)
            .to_owned();
        let rows = self.fetch_rows(&stmt).await?;
        for r in &rows {
            let setting = get_i64(r, "setting_id")?;
            if let Some(s) = settings.iter_mut().find(|s| s.id == setting) {
                s.fields.mappings.push(ScimMapping {
                    custom_field_id: get_i64(r, "custom_field_id")?,
                    scim_field: get_str(r, "scim_field")?,
                });
            }
        }
        Ok(settings)
    }

    async fn one_with_mappings(&self, s: Option<ScimSetting>) -> Result<Option<ScimSetting>> {
        Ok(match s {
            Some(s) => self.with_mappings(vec![s]).await?.pop(),
            None => None,
        })
    }

    /// A write transaction and a company's integration, read and locked in it for a change.
    async fn setting_to_change(
        &self,
        company_id: i64,
        resource_id: &str,
    ) -> Result<Option<(WriteTx, ScimSetting)>> {
        self.begin_company_change([S::CompanyId, S::ResourceId], company_id, resource_id)
            .await
    }
}

/// A company's integrations and their tokens, and the directory they provision. Every method is
/// scoped to one company, except the token look-up that finds it.
impl SqlStore {
    /// Creates an integration whose bearer token hashes to `token_hash`, issued by a reseller
    /// above the company when `by_reseller`.
    pub async fn insert_scim_setting(
        &self,
        company_id: i64,
        f: &ScimSettingFields,
        token_hash: &str,
        by_reseller: bool,
        actor: &Actor,
    ) -> Result<ScimSetting> {
        let now = now_millis();
        let resource_id = new_resource_id();
        let mut tx = self.write_tx().await?;
        let row: [(SettingCol, Value); 11] = [
            (S::CompanyId, company_id.into()),
            (S::ResourceId, resource_id.clone().into()),
            (S::Name, f.name.clone().into()),
            (S::NameLower, f.name.to_lowercase().into()),
            (S::TokenHash, token_hash.to_owned().into()),
            (S::GroupId, f.group_id.into()),
            (S::GroupByField, f.group_by_field.clone().into()),
            (S::SyncPlatformGroup, f.sync_platform_group.into()),
            (S::CreateTime, now.into()),
            (S::UpdateTime, now.into()),
            (S::IssuedByReseller, by_reseller.into()),
        ];
        let insert = insert_rows(S::TABLE, [row])?;
        let id = or_conflict(
            self.insert_returning_id(&mut tx, insert, S::Id).await,
            || duplicate_name(&f.name),
        )?;
        for m in &f.mappings {
            sqlx::query(
                "INSERT INTO scim_field_mappings (setting_id, custom_field_id, scim_field) \
                 VALUES ($1, $2, $3)",
            )
            .bind(id)
            .bind(m.custom_field_id)
            .bind(m.scim_field.as_str())
            .execute(&mut *tx)
            .await?;
        }
        let change = Change::within(&mut tx, actor, company_id, Entity::ScimIntegration).await?;
        let event = change.created(
            &resource_id,
            audited(f),
            &format!("Created SCIM integration '{}'", f.name),
        );
        self.commit_audited(tx, [event]).await?;
        Ok(ScimSetting {
            id,
            company_id,
            resource_id,
            fields: f.clone(),
            create_time: now,
            update_time: now,
            issued_by_reseller: by_reseller,
        })
    }

    /// Renames an integration; `None` when the company has no such integration.
    pub async fn rename_scim_setting(
        &self,
        company_id: i64,
        resource_id: &str,
        name: &str,
        actor: &Actor,
    ) -> Result<Option<ScimSetting>> {
        let Some((mut tx, before)) = self.setting_to_change(company_id, resource_id).await? else {
            return Ok(None);
        };
        let now = now_millis();
        let res = sqlx::query(
            "UPDATE scim_settings SET name = $1, name_lower = $2, update_time = $3 WHERE id = $4",
        )
        .bind(name)
        .bind(name.to_lowercase())
        .bind(now)
        .bind(before.id)
        .execute(&mut *tx)
        .await;
        or_conflict(res, || duplicate_name(name))?;
        let change = Change::within(&mut tx, actor, company_id, Entity::ScimIntegration).await?;
        let event = change.update(
            resource_id,
            &json!({ "name": before.fields.name }),
            &json!({ "name": name }),
            &format!("Updated SCIM integration '{}'", before.fields.name),
        );
        self.commit_audited(tx, [event]).await?;
        let mut after = before;
        after.fields.name = name.to_owned();
        after.update_time = now;
        self.one_with_mappings(Some(after)).await
    }

    /// Replaces an integration's token: the old one stops working with the commit.
    pub async fn rotate_scim_token(
        &self,
        company_id: i64,
        resource_id: &str,
        token_hash: &str,
        by_reseller: bool,
        actor: &Actor,
    ) -> Result<Option<ScimSetting>> {
        let Some((mut tx, setting)) = self.setting_to_change(company_id, resource_id).await? else {
            return Ok(None);
        };
        let now = now_millis();
        sqlx::query(
            "UPDATE scim_settings SET token_hash = $1, issued_by_reseller = $2, update_time = $3 \
             WHERE id = $4",
        )
        .bind(token_hash)
        .bind(by_reseller)
        .bind(now)
        .bind(setting.id)
        .execute(&mut *tx)
        .await?;
        let change = Change::within(&mut tx, actor, company_id, Entity::ScimIntegration).await?;
        let event = change.with_new(
            Operation::Update,
            Some(resource_id),
            json!({ "token": "revoked; a new one was issued" }),
            &format!(
                "Revoked the token of SCIM integration '{}' and issued a new one",
                setting.fields.name
            ),
        );
        self.commit_audited(tx, [event]).await?;
        self.one_with_mappings(Some(ScimSetting {
            update_time: now,
            issued_by_reseller: by_reseller,
            ..setting
        }))
        .await
    }

    /// Deletes an integration and its token; the users and groups it provisioned stay, as
    /// ordinary ones.
    pub async fn delete_scim_setting(
        &self,
        company_id: i64,
        resource_id: &str,
        actor: &Actor,
    ) -> Result<Option<ScimSetting>> {
        let Some((mut tx, setting)) = self.setting_to_change(company_id, resource_id).await? else {
            return Ok(None);
        };
        let statements = [
            "DELETE FROM scim_field_mappings WHERE setting_id = $1",
            "DELETE FROM scim_users WHERE setting_id = $1",
            "DELETE FROM scim_groups WHERE setting_id = $1",
            "DELETE FROM scim_settings WHERE id = $1",
        ];
        execute_keyed(&mut tx, setting.id, statements).await?;
        let change = Change::within(&mut tx, actor, company_id, Entity::ScimIntegration).await?;
        let event = change.deleted(
            resource_id,
            audited(&setting.fields),
            &format!(
                "Deleted SCIM integration '{}' (its users and groups stay)",
                setting.fields.name
            ),
        );
        self.commit_audited(tx, [event]).await?;
        Ok(Some(setting))
    }

    /// One integration of a company.
    pub async fn scim_setting(
        &self,
        company_id: i64,
        resource_id: &str,
    ) -> Result<Option<ScimSetting>> {
        let found = self
            .company_row(
                &self.pool,
                [S::CompanyId, S::ResourceId],
                (company_id, resource_id),
                false,
            )
            .await?;
        self.one_with_mappings(found).await
    }

    /// The integration whose token hashes to `token_hash`, and its company, in one query (every
    /// SCIM request's authentication reads both; the mappings only when it has some).
    pub async fn scim_setting_by_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<(ScimSetting, Company)>> {
        // Names come from the column enums, never from input; the hash is bound.
        let sql = format!(
            "SELECT {}, {}, (SELECT COUNT(*) FROM scim_field_mappings m WHERE m.setting_id = s.id) \
             AS mapped FROM {} s JOIN {} co ON co.{} = s.{} WHERE s.{} = $1",
            qualified::<SettingCol>("s"),
            qualified::<CompanyCol>("co"),
            S::TABLE,
            CompanyCol::TABLE,
            CompanyCol::Id.name(),
            S::CompanyId.name(),
            S::TokenHash.name(),
        );
        let Some(row) = sqlx::query(&sql)
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let setting = ScimSetting::from_columns(&row)?;
        let company = Company::from_columns(&Shifted(&row, S::READ.len()))?;
        let setting = if get_i64(&row, "mapped")? > 0 {
            self.with_mappings(vec![setting])
                .await?
                .pop()
                .ok_or(StoreError::NotFound)?
        } else {
            setting
        };
        Ok(Some((setting, company)))
    }

    /// A page of a company's integrations and the number matching.
    pub async fn search_scim_settings(
        &self,
        company_id: i64,
        spec: &SearchSpec,
    ) -> Result<(i64, Vec<ScimSetting>)> {
        let (total, page) = self.company_page(S::CompanyId, company_id, spec).await?;
        Ok((total, self.with_mappings(page).await?))
    }

    /// Which of `ids` (internal ids of users, or of groups when `groups`) an integration
    /// provisioned, as (id, the integration's name): the REST rows' `scimSettingName` and
    /// `isScimGroup`.
    pub async fn scim_setting_names_of(
        &self,
        ids: &[i64],
        groups: bool,
    ) -> Result<Vec<(i64, String)>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let (table, key) = if groups {
            ("scim_groups", "group_id")
        } else {
            ("scim_users", "target_user_id")
        };
        let stmt = Query::select()
            .expr_as(
                Expr::col((Alias::new("x"), Alias::new(key))),
                Alias::new("id"),
            )
            .expr_as(Expr::col((Alias::new("st"), S::Name)), Alias::new("name"))
            .from_as(Alias::new(table), Alias::new("x"))
            .join_as(
                sea_query::JoinType::InnerJoin,
                Alias::new(S::TABLE),
                Alias::new("st"),
                Expr::cust("st.id = x.setting_id"),
            )
            .and_where(Expr::col((Alias::new("x"), Alias::new(key))).is_in(ids.iter().copied()))
            .to_owned();
        let rows = self.fetch_rows(&stmt).await?;
        rows.iter()
            .map(|r| Ok((get_i64(r, "id")?, get_str(r, "name")?)))
            .collect()
    }

    /// Live users of a company that `cond` selects, from `offset` (0-based), at most `limit`,
    /// in creation order; and how many match.
    pub async fn scim_users(
        &self,
        company_id: i64,
        cond: &ScimCond<ScimUserAttr>,
        offset: i64,
        limit: i64,
    ) -> Result<(i64, Vec<ScimUserRow>)> {
        let where_ = live_users(company_id, cond);
        let count = count_where("target_users", "u", where_.clone());
        let page = user_select().cond_where(where_).to_owned();
        self.scim_page(count, page, "u", (offset, limit), user_row)
            .await
    }

    /// One user of a company by resource id (deleted ones included).
    pub async fn scim_user(
        &self,
        company_id: i64,
        resource_id: &str,
    ) -> Result<Option<ScimUserRow>> {
        self.scim_user_where(company_id, "u.resource_id = $2", resource_id)
            .await
    }

    /// The company's user with this email (any case): the live one, else the most recently
    /// deleted one.
    pub async fn scim_user_by_email(
        &self,
        company_id: i64,
        email: &str,
    ) -> Result<Option<ScimUserRow>> {
        self.scim_user_where(company_id, "u.email_lower = $2", &email.to_lowercase())
            .await
    }

    /// Groups of a company that `cond` selects, from `offset`, at most `limit`, by creation;
    /// and how many match.
    pub async fn scim_groups(
        &self,
        company_id: i64,
        cond: &ScimCond<ScimGroupAttr>,
        offset: i64,
        limit: i64,
    ) -> Result<(i64, Vec<ScimGroupRow>)> {
        let where_ = sea_query::Condition::all()
            .add(Expr::col((Alias::new("g"), Alias::new("company_id"))).eq(company_id))
            .add(group_condition(cond, "g", company_id));
        let count = count_where("target_groups", "g", where_.clone());
        let page = group_select().cond_where(where_).to_owned();
        self.scim_page(count, page, "g", (offset, limit), group_row)
            .await
    }

    /// One group of a company by resource id.
    pub async fn scim_group(
        &self,
        company_id: i64,
        resource_id: &str,
    ) -> Result<Option<ScimGroupRow>> {
        self.scim_group_in(&self.pool, company_id, resource_id)
            .await
    }

    /// A group's members' resource ids, by email.
    pub async fn scim_group_members(&self, group_id: i64) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT u.resource_id FROM target_group_members m \
             JOIN target_users u ON u.id = m.target_user_id \
             WHERE m.group_id = $1 ORDER BY u.email_lower, u.id",
        )
        .bind(group_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| get_str(r, "resource_id")).collect()
    }

    /// Creates a SCIM group (a target group marked as the integration's) with `members`
    /// (internal ids of live users of the company).
    pub async fn insert_scim_group(
        &self,
        company_id: i64,
        setting_id: i64,
        name: &str,
        external_id: Option<&str>,
        members: &[i64],
        actor: &Actor,
    ) -> Result<ScimGroupRow> {
        let mut tx = self.write_tx().await?;
        let fields = TargetGroupFields {
            name: name.to_owned(),
            priority: 3,
            is_active: true,
        };
        let (group, event) = self
            .insert_group_in(&mut tx, company_id, &fields, actor)
            .await?;
        sqlx::query(
            "INSERT INTO scim_groups (group_id, company_id, setting_id, external_id, group_by_value) \
             VALUES ($1, $2, $3, $4, NULL)",
        )
        .bind(group.id)
        .bind(company_id)
        .bind(setting_id)
        .bind(external_id)
        .execute(&mut *tx)
        .await?;
        for chunk in members.chunks(MEMBER_CHUNK) {
            let ids = MemberSelection::Ids(chunk.to_vec());
            self.add_members_in(&mut tx, company_id, group.id, &ids)
                .await?;
        }
        let after = self
            .scim_group_in(&mut *tx, company_id, &group.resource_id)
            .await?
            .ok_or(crate::StoreError::NotFound)?;
        self.commit_audited(tx, [event]).await?;
        Ok(after)
    }

    /// Changes a group in one transaction: its name and externalId when given, its members
    /// replaced by `members` when given, then `add` joined and `remove` taken out.
    pub async fn update_scim_group(
        &self,
        company_id: i64,
        setting_id: i64,
        group: &ScimGroupRow,
        change: &ScimGroupChange<'_>,
        actor: &Actor,
    ) -> Result<ScimGroupRow> {
        let mut tx = self.write_tx().await?;
        let id = group.group.id;
        // Locks the group for the change on PostgreSQL; gone meanwhile is not found.
        let locked = sqlx::query(&format!(
            "SELECT id FROM target_groups WHERE id = $1{}",
            self.for_update()
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        if locked.is_none() {
            return Err(crate::StoreError::NotFound);
        }
        let mut events = Vec::new();
        if let Some(name) = change.name.filter(|n| *n != group.group.fields.name) {
            let fields = TargetGroupFields {
                name: name.to_owned(),
                ..group.group.fields.clone()
            };
            events.push(
                self.rename_group_in(&mut tx, company_id, &group.group, &fields, actor)
                    .await?,
            );
        }
        let external_id = match change.external_id {
            Some(e) => e.map(str::to_owned),
            None => group.external_id.clone(),
        };
        // The provider that pushes a group owns it from now on (a group made in rollcall and
        // matched by name is claimed).
        sqlx::query(
            "INSERT INTO scim_groups (group_id, company_id, setting_id, external_id, group_by_value) \
             VALUES ($1, $2, $3, $4, NULL) ON CONFLICT (group_id) DO UPDATE SET \
             setting_id = excluded.setting_id, external_id = excluded.external_id, \
             group_by_value = NULL",
        )
        .bind(id)
        .bind(company_id)
        .bind(setting_id)
        .bind(external_id)
        .execute(&mut *tx)
        .await?;
        let (mut replaced_in, mut replaced_out) = (0, 0);
        if let Some(members) = change.members {
            let current: Vec<i64> =
                sqlx::query("SELECT target_user_id FROM target_group_members WHERE group_id = $1")
                    .bind(id)
                    .fetch_all(&mut *tx)
                    .await?
                    .iter()
                    .map(|r| get_i64(r, "target_user_id"))
                    .collect::<Result<_>>()?;
            let wanted: std::collections::HashSet<i64> = members.iter().copied().collect();
            let leaving: Vec<i64> = current
                .iter()
                .copied()
                .filter(|u| !wanted.contains(u))
                .collect();
            for chunk in leaving.chunks(MEMBER_CHUNK) {
                replaced_out += self.remove_members_in(&mut tx, id, chunk).await?;
            }
            for chunk in members.chunks(MEMBER_CHUNK) {
                let ids = MemberSelection::Ids(chunk.to_vec());
                replaced_in += self.add_members_in(&mut tx, company_id, id, &ids).await?;
            }
        }
        let (mut added, mut removed) = (replaced_in, replaced_out);
        for chunk in change.add.chunks(MEMBER_CHUNK) {
            let ids = MemberSelection::Ids(chunk.to_vec());
            added += self.add_members_in(&mut tx, company_id, id, &ids).await?;
        }
        for chunk in change.remove.chunks(MEMBER_CHUNK) {
            removed += self.remove_members_in(&mut tx, id, chunk).await?;
        }
        let audit = Change::within(&mut tx, actor, company_id, Entity::TargetGroup).await?;
        for (n, joined) in [(added, true), (removed, false)] {
            if n > 0 {
                events.push(membership_event(&audit, &group.group, n, joined));
            }
        }
        sqlx::query("UPDATE target_groups SET update_time = $1 WHERE id = $2")
            .bind(crate::open::now_millis())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let after = self
            .scim_group_in(&mut *tx, company_id, &group.group.resource_id)
            .await?
            .ok_or(crate::StoreError::NotFound)?;
        self.commit_audited(tx, events).await?;
        Ok(after)
    }
}
