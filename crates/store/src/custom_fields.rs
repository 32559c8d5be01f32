//! Custom fields (REFERENCE.md section I, F): a company's definitions of extra target-user
//! fields (migration 0017) and each user's values, written in the same transaction as the user.

use sea_query::{Alias, Expr, Query, Value};
use serde_json::json;
use sqlx::AnyConnection;

use crate::audit::{Actor, AuditEvent, Change, Entity};
use crate::columns::table_columns;
use crate::model::Millis;
use crate::open::{new_resource_id, now_millis, WriteTx};
use crate::rows::{
    bind_values, execute_keyed, get_i64, get_str, insert_rows, or_conflict, update_row_by,
    FromColumns, ReadColumns,
};
use crate::{Result, SqlStore, StoreError};

/// Most custom fields a company defines (docs/api.md, "Custom fields").
pub const MAX_CUSTOM_FIELDS: i64 = 50;

pub use crate::fields::CustomFieldType;

/// The editable fields of a custom field's definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomFieldFields {
    /// 1 to 64 characters, unique in the company in any case.
    pub name: String,
    pub data_type: CustomFieldType,
    /// `TargetUser`, or `TargetGroup` for a field of one group.
    pub owner_type: String,
    /// The group a `TargetGroup` field belongs to (internal id).
    pub target_group_id: Option<i64>,
    pub is_active: bool,
    pub is_required: bool,
    pub sort_order: i64,
}

impl CustomFieldFields {
    /// A field of every user of the company (`TargetUser`), active, optional, sorted first:
    /// Keepnet's defaults for what a request leaves out.
    pub fn new(name: impl Into<String>, data_type: CustomFieldType) -> Self {
        CustomFieldFields {
            name: name.into(),
            data_type,
            owner_type: "TargetUser".into(),
            target_group_id: None,
            is_active: true,
            is_required: false,
            sort_order: 0,
        }
    }
}

/// A custom field's definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomField {
    pub id: i64,
    pub company_id: i64,
    pub resource_id: String,
    pub fields: CustomFieldFields,
    /// The resource id of `fields.target_group_id`'s group.
    pub target_group_resource_id: Option<String>,
    pub create_time: Millis,
    pub update_time: Millis,
}

/// One stored value: the text as shown, and the typed copy its type compares by.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CustomValue {
    pub field_id: i64,
    /// As sent (trimmed), or the canonical form of a boolean or a time; empty clears the value.
    pub text: String,
    /// Numbers (and booleans as 1/0).
    pub number: Option<f64>,
    /// Dates and date-times, UTC milliseconds.
    pub time: Option<Millis>,
}

table_columns! {
    /// Columns of `custom_fields`.
    pub(crate) enum FieldCol in "custom_fields" {
        read {
            Id = "id",
            CompanyId = "company_id",
            ResourceId = "resource_id",
            Name = "name",
            DataType = "data_type",
            OwnerType = "owner_type",
            TargetGroupId = "target_group_id",
            IsActive = "is_active",
            IsRequired = "is_required",
            SortOrder = "sort_order",
            CreateTime = "create_time",
            UpdateTime = "update_time",
        }
        stored {
            NameLower = "name_lower",
        }
    }
}

use FieldCol as F;

/// The SELECT list of a definition: its columns, then its group's resource id.
fn select_list() -> String {
    format!(
        "{}, (SELECT g.resource_id FROM target_groups g WHERE g.id = custom_fields.target_group_id) AS group_resource_id",
        F::SELECT
    )
}

impl FromColumns for CustomField {
    fn from_columns<R: ReadColumns + ?Sized>(r: &R) -> Result<Self> {
        let data_type = r.text(F::DataType.at())?;
        Ok(CustomField {
            id: r.int(F::Id.at())?,
            company_id: r.int(F::CompanyId.at())?,
            resource_id: r.text(F::ResourceId.at())?,
            fields: CustomFieldFields {
                name: r.text(F::Name.at())?,
                data_type: CustomFieldType::parse(&data_type)
                    .ok_or_else(|| StoreError::Corrupt(format!("custom field type {data_type}")))?,
                owner_type: r.text(F::OwnerType.at())?,
                target_group_id: r.opt_int(F::TargetGroupId.at())?,
                is_active: r.flag(F::IsActive.at())?,
                is_required: r.flag(F::IsRequired.at())?,
                sort_order: r.int(F::SortOrder.at())?,
            },
            target_group_resource_id: r.opt_text(F::READ.len())?,
            create_time: r.int(F::CreateTime.at())?,
            update_time: r.int(F::UpdateTime.at())?,
        })
    }
}

/// The stored values of a definition's editable fields; insert and update write exactly these.
fn field_values(f: &CustomFieldFields) -> [(FieldCol, Value); 8] {
    [
        (F::Name, f.name.clone().into()),
        (F::NameLower, f.name.to_lowercase().into()),
        (F::DataType, f.data_type.name().into()),
        (F::OwnerType, f.owner_type.clone().into()),
        (F::TargetGroupId, f.target_group_id.into()),
        (F::IsActive, f.is_active.into()),
        (F::IsRequired, f.is_required.into()),
        (F::SortOrder, f.sort_order.into()),
    ]
}

fn audited(f: &CustomFieldFields) -> serde_json::Value {
    json!({
        "name": f.name,
        "fieldDataType": f.data_type.name(),
        "ownerType": f.owner_type,
        "isActive": f.is_active,
        "isRequired": f.is_required,
        "sortOrder": f.sort_order,
    })
}

fn duplicate_name(name: &str) -> StoreError {
    StoreError::Conflict(format!(
        "a custom field named '{name}' already exists in this company (names are compared in any case); choose another name or update that field"
    ))
}

impl SqlStore {
    async fn fields_where(
        &self,
        company_id: i64,
        resource_id: Option<&str>,
    ) -> Result<Vec<CustomField>> {
        let mut stmt = Query::select()
            .expr(Expr::cust(select_list()))
            .from(Alias::new(F::TABLE))
            .and_where(Expr::col(F::CompanyId).eq(company_id))
            .order_by(F::SortOrder, sea_query::Order::Asc)
            .order_by(F::NameLower, sea_query::Order::Asc)
            .to_owned();
        if let Some(rid) = resource_id {
            stmt.and_where(Expr::col(F::ResourceId).eq(rid));
        }
        let (sql, values) = self.render(&stmt);
        self.fetch_all_as(&sql, &values).await
    }

    /// Inserts a definition in `tx` after checking the company's limit; its audit event.
    async fn insert_field_in(
        &self,
        tx: &mut AnyConnection,
        company_id: i64,
        f: &CustomFieldFields,
        change: &Change<'_>,
    ) -> Result<(CustomField, AuditEvent)> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM custom_fields WHERE company_id = $1")
            .bind(company_id)
            .fetch_one(&mut *tx)
            .await?;
        if get_i64(&row, "n")? >= MAX_CUSTOM_FIELDS {
            return Err(StoreError::Conflict(format!(
                "this company has {MAX_CUSTOM_FIELDS} custom fields, the most a company may define; delete one (POST /api/custom-fields/bulk-update) or reuse it"
            )));
        }
        let now = now_millis();
        let resource_id = new_resource_id();
        let row = [
            (F::CompanyId, Value::from(company_id)),
            (F::ResourceId, resource_id.clone().into()),
            (F::CreateTime, now.into()),
            (F::UpdateTime, now.into()),
        ]
        .into_iter()
        .chain(field_values(f));
        let insert = insert_rows(F::TABLE, [row])?;
        let id = or_conflict(self.insert_returning_id(tx, insert, F::Id).await, || {
            duplicate_name(&f.name)
        })?;
        let event = change.created(
            &resource_id,
            audited(f),
            &format!("Created custom field '{}' ({})", f.name, f.data_type.name()),
        );
        let field = CustomField {
            id,
            company_id,
            resource_id,
            fields: f.clone(),
            target_group_resource_id: None,
            create_time: now,
            update_time: now,
        };
        Ok((field, event))
    }

    /// Writes `f` over the definition `before` in `tx`. A type changes only while no user has
    /// a value: stored values would not read as the new type.
    async fn update_field_in(
        &self,
        tx: &mut AnyConnection,
        before: &CustomField,
        f: &CustomFieldFields,
        change: &Change<'_>,
    ) -> Result<AuditEvent> {
        if before.fields.data_type != f.data_type {
            let row =
                sqlx::query("SELECT COUNT(*) AS n FROM custom_field_values WHERE field_id = $1")
                    .bind(before.id)
                    .fetch_one(&mut *tx)
                    .await?;
            let n = get_i64(&row, "n")?;
            if n > 0 {
                return Err(StoreError::Conflict(format!(
                    "custom field '{}' holds {n} values of type {}; its type can change only while it holds none (create a new field instead)",
                    before.fields.name,
                    before.fields.data_type.name()
                )));
            }
        }
        let values = field_values(f)
            .into_iter()
            .chain([(F::UpdateTime, Value::from(now_millis()))]);
        let stmt = update_row_by(F::Id, before.id, values);
        or_conflict(self.execute(tx, &stmt).await, || duplicate_name(&f.name))?;
        Ok(change.update(
            &before.resource_id,
            &audited(&before.fields),
            &audited(f),
            &format!("Updated custom field '{}'", f.name),
        ))
    }

    /// Deletes a definition and every value of it in `tx`.
    async fn delete_field_in(
        &self,
        tx: &mut AnyConnection,
        field: &CustomField,
        change: &Change<'_>,
    ) -> Result<AuditEvent> {
        let statements = [
            // An integration's mapping to the field goes with it (docs/scim.md).
            "DELETE FROM scim_field_mappings WHERE custom_field_id = $1",
            "DELETE FROM custom_field_values WHERE field_id = $1",
            "DELETE FROM custom_fields WHERE id = $1",
        ];
        let [_, values, _] = execute_keyed(tx, field.id, statements).await?;
        Ok(change.deleted(
            &field.resource_id,
            audited(&field.fields),
            &format!(
                "Deleted custom field '{}' and its {}",
                field.fields.name,
                crate::audit::count_of(values, "value", "values")
            ),
        ))
    }

    /// Sets one user's values in the caller's transaction: each value replaces the user's
    /// value of its field; an empty text removes it.
    pub(crate) async fn set_custom_values_in(
        &self,
        conn: &mut AnyConnection,
        user_id: i64,
        values: &[CustomValue],
    ) -> Result<()> {
        self.set_many_custom_values_in(conn, &[(user_id, values)], true)
            .await
    }

    /// Sets many users' values in the caller's transaction, a few statements for all of them
    /// (an import writes thousands at a time). `replace`: the users may have values already,
    /// and each value replaces the user's value of its field; without it they are new users.
    /// An empty text only removes.
    pub(crate) async fn set_many_custom_values_in(
        &self,
        conn: &mut AnyConnection,
        users: &[(i64, &[CustomValue])],
        replace: bool,
    ) -> Result<()> {
        // 6 values a row inserted; a list of ids per delete.
        const ROWS: usize = 1000;
        if replace {
            let mut by_field: std::collections::BTreeMap<i64, Vec<i64>> = Default::default();
            for (user, values) in users {
                for v in *values {
                    by_field.entry(v.field_id).or_default().push(*user);
                }
            }
            for (field, ids) in by_field {
                for chunk in ids.chunks(ROWS) {
                    let stmt = Query::delete()
                        .from_table(Alias::new("custom_field_values"))
                        .and_where(Expr::col(Alias::new("field_id")).eq(field))
                        .and_where(Expr::col(Alias::new("target_user_id")).is_in(chunk.to_vec()))
                        .to_owned();
                    let (sql, values) = self.render(&stmt);
                    // Unprepared, as every list look-up of an import (imports.rs, IMPORT_BATCH).
                    bind_values(sqlx::query(&sql).persistent(false), &values)
                        .execute(&mut *conn)
                        .await?;
                }
            }
        }
        let rows: Vec<(i64, &CustomValue)> = users
            .iter()
            .flat_map(|(user, values)| values.iter().map(move |v| (*user, v)))
            .filter(|(_, v)| !v.text.is_empty())
            .collect();
        for chunk in rows.chunks(ROWS) {
            let sql = format!(
                "INSERT INTO custom_field_values \
                 (field_id, target_user_id, value_text, value_lower, value_number, value_time) \
                 VALUES {}",
                self.value_rows(
                    chunk.len(),
                    "{}, {}, {}, {}, CAST(CAST({} AS TEXT) AS DOUBLE PRECISION), {}",
                    1
                )
            );
            let mut q = sqlx::query(&sql);
            for (user, v) in chunk {
                q = q
                    .bind(v.field_id)
                    .bind(*user)
                    .bind(v.text.clone())
                    .bind(v.text.to_lowercase())
                    // As text: sqlx's Any driver sends a NULL f64 to PostgreSQL in a form it
                    // refuses.
                    .bind(v.number.map(|n| n.to_string()))
                    .bind(v.time);
            }
            q.execute(&mut *conn).await?;
        }
        Ok(())
    }

    /// A write transaction and the definition `resource_id` of a company, locked in it.
    async fn field_to_change(
        &self,
        company_id: i64,
        resource_id: &str,
    ) -> Result<Option<(WriteTx, CustomField)>> {
        let mut tx = self.write_tx().await?;
        let sql = format!(
            "SELECT {} FROM custom_fields WHERE company_id = $1 AND resource_id = $2{}",
            select_list(),
            self.for_update()
        );
        let row = sqlx::query(&sql)
            .bind(company_id)
            .bind(resource_id)
            .fetch_optional(&mut *tx)
            .await?;
        let found = row.as_ref().map(CustomField::from_columns).transpose()?;
        Ok(found.map(|field| (tx, field)))
    }
}

/// A company's custom field definitions and its users' values.
impl SqlStore {
    /// Every definition of a company, by sort order then name.
    pub async fn custom_fields(&self, company_id: i64) -> Result<Vec<CustomField>> {
        self.fields_where(company_id, None).await
    }

    /// One definition of a company.
    pub async fn custom_field(
        &self,
        company_id: i64,
        resource_id: &str,
    ) -> Result<Option<CustomField>> {
        Ok(self
            .fields_where(company_id, Some(resource_id))
            .await?
            .into_iter()
            .next())
    }

    /// Creates a definition; a name the company has (any case), or a company at
    /// [`MAX_CUSTOM_FIELDS`], is a [`StoreError::Conflict`].
    pub async fn insert_custom_field(
        &self,
        company_id: i64,
        f: &CustomFieldFields,
        actor: &Actor,
    ) -> Result<CustomField> {
        let mut tx = self.write_tx().await?;
        let change = Change::within(&mut tx, actor, company_id, Entity::CustomField).await?;
        let (field, event) = self
            .insert_field_in(&mut tx, company_id, f, &change)
            .await?;
        self.commit_audited(tx, [event]).await?;
        Ok(field)
    }

    /// Replaces a definition's fields; `None` when there is no such definition. Its type
    /// changes only while it holds no value ([`StoreError::Conflict`] otherwise).
    pub async fn update_custom_field(
        &self,
        company_id: i64,
        resource_id: &str,
        f: &CustomFieldFields,
        actor: &Actor,
    ) -> Result<Option<CustomField>> {
        let Some((mut tx, before)) = self.field_to_change(company_id, resource_id).await? else {
            return Ok(None);
        };
        let change = Change::within(&mut tx, actor, company_id, Entity::CustomField).await?;
        let event = self.update_field_in(&mut tx, &before, f, &change).await?;
        self.commit_audited(tx, [event]).await?;
        Ok(Some(CustomField {
            fields: f.clone(),
            ..before
        }))
    }

    /// Makes the company's definitions exactly `wanted` in one transaction: entries with a
    /// resource id update that definition, entries without one are created, definitions left
    /// out are deleted with their values. `Ok(Err(id))` names a resource id that is not one of
    /// the company's definitions (then nothing changed).
    pub async fn replace_custom_fields(
        &self,
        company_id: i64,
        wanted: &[(Option<String>, CustomFieldFields)],
        actor: &Actor,
    ) -> Result<std::result::Result<(), String>> {
        let mut tx = self.write_tx().await?;
        let change = Change::within(&mut tx, actor, company_id, Entity::CustomField).await?;
        let current = {
            let sql = format!(
                "SELECT {} FROM custom_fields WHERE company_id = $1{}",
                select_list(),
                self.for_update()
            );
            let rows = sqlx::query(&sql)
                .bind(company_id)
                .fetch_all(&mut *tx)
                .await?;
            rows.iter()
                .map(CustomField::from_columns)
                .collect::<Result<Vec<_>>>()?
        };
        if let Some(unknown) = wanted
            .iter()
            .filter_map(|(rid, _)| rid.as_deref())
            .find(|rid| !current.iter().any(|c| c.resource_id == *rid))
        {
            return Ok(Err(unknown.to_owned()));
        }
        let mut events = Vec::new();
        // Deletes first, so that a name freed by a deleted field may be taken in the same call.
        for gone in current.iter().filter(|c| {
            !wanted
                .iter()
                .any(|(rid, _)| rid.as_deref() == Some(c.resource_id.as_str()))
        }) {
            events.push(self.delete_field_in(&mut tx, gone, &change).await?);
        }
        for (rid, f) in wanted {
            match rid
                .as_deref()
                .and_then(|r| current.iter().find(|c| c.resource_id == r))
            {
                Some(before) => {
                    events.push(self.update_field_in(&mut tx, before, f, &change).await?)
                }
                None => events.push(
                    self.insert_field_in(&mut tx, company_id, f, &change)
                        .await?
                        .1,
                ),
            }
        }
        self.commit_audited(tx, events).await?;
        Ok(Ok(()))
    }

    /// The stored values of `user_ids` (internal ids), as (user id, field id, text).
    pub async fn custom_values_of(&self, user_ids: &[i64]) -> Result<Vec<(i64, i64, String)>> {
        if user_ids.is_empty() {
            return Ok(vec![]);
        }
        let stmt = Query::select()
            .columns([
                Alias::new("target_user_id"),
                Alias::new("field_id"),
                Alias::new("value_text"),
            ])
            .from(Alias::new("custom_field_values"))
            .and_where(Expr::col(Alias::new("target_user_id")).is_in(user_ids.iter().copied()))
            .to_owned();
        let rows = self.fetch_rows(&stmt).await?;
        rows.iter()
            .map(|r| {
                Ok((
                    get_i64(r, "target_user_id")?,
                    get_i64(r, "field_id")?,
                    get_str(r, "value_text")?,
                ))
            })
            .collect()
    }
}
