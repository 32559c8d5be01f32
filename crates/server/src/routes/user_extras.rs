//! What a target user carries besides its own fields: its target groups and its custom field
//! values. Checked on the user's writes, read for its rows; the user, group and custom-field
//! routes all use these, so they sit below all three.

use std::collections::HashMap;
use std::sync::Arc;

use rollcall_store::fields::FieldSpec;
use rollcall_store::{CustomField, CustomFieldType, CustomValue, TargetGroup, TargetUser};
use rollcall_types::target_user::{CustomFieldValue, TargetGroupRef, TargetUserSearchView};
use rollcall_types::time::parse_date_or_time;
use serde_json::Value;

use crate::auth::lookups::CompanyContext;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::time::millis_to_time;
use crate::validate;

/// Most target groups one request names.
const MAX_GROUP_IDS: usize = 1000;

/// A group id that is not one of the company's groups.
pub fn group_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!(
        "target group '{id}' was not found in this company; GET /api/target-groups lists them"
    ))
}

/// The company's groups named by `ids`, in the order given; the first id that is not one of
/// them is a 404.
pub async fn resolve_groups(
    state: &AppState,
    company_id: i64,
    ids: &[String],
) -> ApiResult<Vec<TargetGroup>> {
    if ids.len() > MAX_GROUP_IDS {
        return Err(ApiError::bad_request(format!(
            "at most {MAX_GROUP_IDS} target groups per request; send the rest in another request"
        )));
    }
    let found = state
        .store
        .target_groups_by_resource_ids(company_id, ids)
        .await?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let g = found
            .iter()
            .find(|g| &g.resource_id == id)
            .ok_or_else(|| group_not_found(id))?;
        if !out.iter().any(|o: &TargetGroup| o.id == g.id) {
            out.push(g.clone());
        }
    }
    Ok(out)
}

/// The internal ids of the groups `targetGroupResourceIds` names: `None` when it was left out
/// or null (an update keeps the user's groups), else exactly those (an empty list: none). An
/// id that is not one of the company's groups is a 404.
pub async fn group_ids(
    state: &AppState,
    company_id: i64,
    ids: Option<Vec<String>>,
) -> ApiResult<Option<Vec<i64>>> {
    let Some(ids) = ids else {
        return Ok(None);
    };
    let groups = resolve_groups(state, company_id, &ids).await?;
    Ok(Some(groups.iter().map(|g| g.id).collect()))
}

/// Each user's groups (internal user id to its groups, by name), for rows.
pub async fn groups_of(
    state: &AppState,
    users: &[&TargetUser],
) -> ApiResult<HashMap<i64, Vec<TargetGroupRef>>> {
    let ids: Vec<i64> = users.iter().map(|u| u.id).collect();
    let mut out: HashMap<i64, Vec<TargetGroupRef>> = Default::default();
    for (user, g) in state.store.groups_of_users(&ids).await? {
        out.entry(user).or_default().push(TargetGroupRef {
            resource_id: g.resource_id,
            name: g.fields.name,
        });
    }
    Ok(out)
}

/// The context of company `company_id` for a search of its users, as kept for a second
/// (`auth::lookups`), or read now when none is kept or `again`; also says whether it was kept.
/// Only what the primary answered is kept: a replica may not have replayed another client's
/// write yet.
pub async fn company_context(
    state: &AppState,
    company_id: i64,
    again: bool,
) -> ApiResult<(Arc<CompanyContext>, bool)> {
    let (kept, era) = state.lookups.context(company_id);
    if let (Some(context), false) = (kept, again) {
        return Ok((context, true));
    }
    let context = Arc::new(CompanyContext {
        fields: state.store.custom_fields(company_id).await?,
        setup: state.store.company_setup(company_id).await?,
    });
    if !state.on_replica {
        state.lookups.keep_context(company_id, era, context.clone());
    }
    Ok((context, false))
}

/// The company's **active** custom fields as search fields, after the built-in ones: filtered
/// and sorted by their names (a name a built-in field answers to stays the built-in's).
pub fn custom_specs(defs: &[CustomField]) -> Vec<FieldSpec<'_>> {
    defs.iter()
        .filter(|f| f.fields.is_active)
        .map(|f| FieldSpec::custom(&f.fields.name, f.id, f.fields.data_type))
        .collect()
}

/// The custom values a target-user write sends in `customFields`, checked against the
/// company's definitions: an item names its field by `resourceId` or `name` (any case); an
/// unknown or inactive field, a value of the wrong type, and (on create) an active required
/// field without a value are 400s naming the field.
pub async fn user_values(
    state: &AppState,
    company_id: i64,
    items: Option<Vec<Value>>,
    creating: bool,
) -> ApiResult<Vec<CustomValue>> {
    let items = items.unwrap_or_default();
    if items.is_empty() && !creating {
        return Ok(vec![]);
    }
    let fields = state.store.custom_fields(company_id).await?;
    let mut problems = Vec::new();
    let mut out: Vec<CustomValue> = Vec::with_capacity(items.len());
    for item in &items {
        let by_id = item
            .get("resourceId")
            .and_then(Value::as_str)
            .map(str::trim);
        let by_name = item.get("name").and_then(Value::as_str).map(str::trim);
        let field = fields.iter().find(|f| {
            by_id.is_some_and(|id| !id.is_empty() && f.resource_id == id)
                || by_name.is_some_and(|n| !n.is_empty() && f.fields.name.eq_ignore_ascii_case(n))
        });
        let Some(field) = field else {
            problems.push(format!(
                "custom field '{}' is not defined in this company; GET /api/custom-fields/company lists them",
                by_id.filter(|i| !i.is_empty()).or(by_name).unwrap_or("(no resourceId or name)")
            ));
            continue;
        };
        if !field.fields.is_active {
            problems.push(format!(
                "custom field '{}' is inactive; activate it (PUT /api/custom-fields/{}) before giving it values",
                field.fields.name, field.resource_id
            ));
            continue;
        }
        match validate::typed_value(field, item.get("value"), item.get("timestampValue")) {
            Ok(v) if v.text.is_empty() && field.fields.is_required => problems.push(format!(
                "custom field '{}' is required; give it a value in customFields",
                field.fields.name
            )),
            Ok(v) => {
                out.retain(|o| o.field_id != v.field_id);
                out.push(v);
            }
            Err(e) => problems.push(e),
        }
    }
    if creating {
        for f in fields
            .iter()
            .filter(|f| f.fields.is_active && f.fields.is_required)
        {
            if !out.iter().any(|v| v.field_id == f.id) {
                problems.push(format!(
                    "custom field '{}' is required; give it a value in customFields",
                    f.fields.name
                ));
            }
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::validation(problems));
    }
    Ok(out)
}

/// Each user's values of the company's **active** fields among `fields` (the company's
/// definitions; deactivated ones stay stored and out of sight), as Keepnet's
/// `customFieldValues`, in the fields' order.
pub async fn values_of(
    state: &AppState,
    fields: &[CustomField],
    users: &[&TargetUser],
) -> ApiResult<HashMap<i64, Vec<CustomFieldValue>>> {
    let mut out: HashMap<i64, Vec<CustomFieldValue>> = HashMap::new();
    if users.is_empty() {
        return Ok(out);
    }
    if !fields.iter().any(|f| f.fields.is_active) {
        return Ok(out);
    }
    let ids: Vec<i64> = users.iter().map(|u| u.id).collect();
    let values = state.store.custom_values_of(&ids).await?;
    for f in fields.iter().filter(|f| f.fields.is_active) {
        for (user, _, text) in values.iter().filter(|(_, field, _)| *field == f.id) {
            let timestamp = match f.fields.data_type {
                CustomFieldType::Date | CustomFieldType::DateTime => {
                    parse_date_or_time(text).and_then(|t| millis_to_time(t.timestamp_millis()))
                }
                _ => None,
            };
            out.entry(*user).or_default().push(CustomFieldValue {
                resource_id: Some(f.resource_id.clone()),
                name: Some(f.fields.name.clone()),
                data_type: Some(f.fields.data_type.name().to_owned()),
                value: Some(text.clone()),
                timestamp_value: timestamp,
            });
        }
    }
    Ok(out)
}

/// Fills `customFieldValues` and `targetGroups` of search rows from their users (`rows[i]` is
/// `users[i]`'s).
pub async fn fill_rows(
    state: &AppState,
    context: &CompanyContext,
    users: &[TargetUser],
    rows: &mut [TargetUserSearchView],
) -> ApiResult<()> {
    let refs: Vec<&TargetUser> = users.iter().collect();
    let mut values = values_of(state, &context.fields, &refs).await?;
    // What the company has not set up cannot be on any row: those reads are skipped.
    let mut groups = match context.setup.target_groups {
        true => groups_of(state, &refs).await?,
        false => HashMap::new(),
    };
    let ids: Vec<i64> = users.iter().map(|u| u.id).collect();
    let mut scim: HashMap<i64, String> = match context.setup.scim_integrations {
        true => state
            .store
            .scim_setting_names_of(&ids, false)
            .await?
            .into_iter()
            .collect(),
        false => HashMap::new(),
    };
    for (u, row) in users.iter().zip(rows.iter_mut()) {
        row.custom_field_values = values.remove(&u.id).unwrap_or_default();
        row.target_groups = groups.remove(&u.id).unwrap_or_default();
        row.scim_setting_name = scim.remove(&u.id);
    }
    Ok(())
}
