//! `/api/custom-fields`: a company's custom field definitions, and the values target users
//! carry in `customFields` / `customFieldValues` (REFERENCE.md section I and F). Rulings in
//! docs/api.md, "Custom fields".

use axum::extract::{Path, State};
use axum::Json;
use rollcall_store::{CustomField, CustomFieldFields, CustomFieldType};
use rollcall_types::custom_field::{BulkCustomFieldRequest, CustomFieldDto, CustomFieldInput};
use rollcall_types::{Envelope, IdResult};

use crate::audit;
use crate::error::{ApiError, ApiResult};
use crate::extract::KJson;
use crate::routes::{merge_name, user_extras, written};
use crate::scope::{Read, Scoped, Write};
use crate::state::AppState;

/// Longest field name (Keepnet's `CreateTargetUserCustomFieldRequest`).
const MAX_NAME: usize = 64;

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!(
        "custom field '{id}' was not found in this company; GET /api/custom-fields/company lists them"
    ))
}

/// The company's custom field `id`, or its 404.
async fn field_of(state: &AppState, company_id: i64, id: &str) -> ApiResult<CustomField> {
    state
        .store
        .custom_field(company_id, id)
        .await?
        .ok_or_else(|| not_found(id))
}

fn dto(f: &CustomField) -> CustomFieldDto {
    CustomFieldDto {
        resource_id: f.resource_id.clone(),
        name: f.fields.name.clone(),
        owner_type: f.fields.owner_type.clone(),
        field_data_type: f.fields.data_type.name().to_owned(),
        target_group_resource_id: f.target_group_resource_id.clone(),
        is_active: f.fields.is_active,
        sort_order: f.fields.sort_order,
        is_required: f.fields.is_required,
        is_editable: true,
    }
}

/// Merges `input` over `base` (create: defaults) and validates it; `problems` collects what
/// to fix, each prefixed with `at` (an item of a bulk update).
async fn field_fields(
    state: &AppState,
    company_id: i64,
    input: &CustomFieldInput,
    base: Option<&CustomFieldFields>,
    at: &str,
    problems: &mut Vec<String>,
) -> ApiResult<CustomFieldFields> {
    let mut f = base
        .cloned()
        .unwrap_or_else(|| CustomFieldFields::new("", CustomFieldType::String));
    merge_name(
        input.name.as_deref(),
        &mut f.name,
        base.is_none(),
        MAX_NAME,
        at,
        problems,
    );
    match input.field_data_type.as_deref() {
        Some(t) => match CustomFieldType::parse(t) {
            Some(t) => f.data_type = t,
            None => problems.push(format!(
                "{at}fieldDataType '{t}' is not valid; use String, Number, Email, Boolean, Date or DateTime"
            )),
        },
        None if base.is_none() => problems.push(format!(
            "{at}fieldDataType is required (String, Number, Email, Boolean, Date or DateTime)"
        )),
        None => {}
    }
    if let Some(owner) = input.owner_type.as_deref().filter(|o| !o.trim().is_empty()) {
        match ["TargetUser", "TargetGroup"]
            .into_iter()
            .find(|o| o.eq_ignore_ascii_case(owner.trim()))
        {
            Some(o) => f.owner_type = o.to_owned(),
            None => problems.push(format!(
                "{at}ownerType '{owner}' is not valid; use TargetUser or TargetGroup"
            )),
        }
    }
    if let Some(group) = input.target_group_resource_id.as_deref() {
        f.target_group_id = if group.trim().is_empty() {
            None
        } else {
            let groups =
                user_extras::resolve_groups(state, company_id, &[group.trim().to_owned()]).await?;
            groups.first().map(|g| g.id)
        };
    }
    if f.owner_type == "TargetGroup" && f.target_group_id.is_none() {
        problems.push(format!(
            "{at}a TargetGroup field needs targetGroupResourceId, the group it belongs to"
        ));
    }
    if let Some(a) = input.is_active {
        f.is_active = a;
    }
    if let Some(r) = input.is_required {
        f.is_required = r;
    }
    if let Some(o) = input.sort_order {
        f.sort_order = o;
    }
    Ok(f)
}

// `GET /api/custom-fields/company` (rulings in docs/api.md, "Custom fields").
/// List custom fields
///
/// Every custom field the company defines, active or not, by `sortOrder`, then name. Reseller or
/// Company Admin, in the company named by `X-KEEPNET-Company-Id` (a Reseller: its own or any below
/// it; a Company Admin: its own) or, without it, the caller's own.
#[utoipa::path(
    get, path = "/api/custom-fields/company", operation_id = "listCustomFields", tag = "CustomField", params(crate::openapi::Scope),
    responses((status = 200, description = "The company's custom fields", body = Envelope<Vec<CustomFieldDto>>), crate::openapi::ApiErrors)
)]
pub async fn list(
    State(state): State<AppState>,
    Scoped { company, .. }: Scoped<Read>,
) -> ApiResult<Json<Envelope<Vec<CustomFieldDto>>>> {
    let fields = state.store.custom_fields(company.id).await?;
    Ok(Json(Envelope::success(fields.iter().map(dto).collect())))
}

// `GET /api/custom-fields/groups/{resourceId}`.
/// List a group's custom fields
///
/// The custom fields that belong to one target group of the company (`ownerType` `TargetGroup`); a
/// group of another company is 404. Reseller or Company Admin, in the company named by
/// `X-KEEPNET-Company-Id` (a Reseller: its own or any below it; a Company Admin: its own) or,
/// without it, the caller's own.
#[utoipa::path(
    get, path = "/api/custom-fields/groups/{resourceId}", operation_id = "listGroupCustomFields", tag = "CustomField", params(crate::openapi::ResourceId, crate::openapi::Scope),
    responses((status = 200, description = "The group's custom fields", body = Envelope<Vec<CustomFieldDto>>), crate::openapi::ApiErrors)
)]
pub async fn of_group(
    State(state): State<AppState>,
    Scoped { company, .. }: Scoped<Read>,
    Path(id): Path<String>,
) -> ApiResult<Json<Envelope<Vec<CustomFieldDto>>>> {
    let group = user_extras::resolve_groups(&state, company.id, &[id]).await?;
    let group_id = group.first().map(|g| g.id);
    let fields = state.store.custom_fields(company.id).await?;
    Ok(Json(Envelope::success(
        fields
            .iter()
            .filter(|f| f.fields.target_group_id == group_id)
            .map(dto)
            .collect(),
    )))
}

// `POST /api/custom-fields`.
/// Create a custom field
///
/// Defines a field the company's target users can hold a value of (`customFields` on target-user
/// create and update), which target-user searches can filter and sort on while it is active. `name`
/// (1 to 64 characters, unique in the company in any case: 409 otherwise) and `fieldDataType`
/// (`String`, `Number`, `Email`, `Boolean`, `Date` or `DateTime`) are required; `ownerType`
/// `TargetGroup` needs `targetGroupResourceId`. A company defines at most 50 fields (409 beyond).
/// Invalid values are 400, one line per field in `validationMessages`. Reseller or Company Admin: a
/// Reseller must name the company in `X-KEEPNET-Company-Id` (400 without it), a Company Admin acts
/// on its own. Answers the new field's resource id.
#[utoipa::path(
    post, path = "/api/custom-fields", operation_id = "createCustomField", tag = "CustomField", params(crate::openapi::Scope),
    request_body = CustomFieldInput,
    responses((status = 200, description = "The new field's resource id", body = Envelope<IdResult>), crate::openapi::ApiErrors)
)]
pub async fn create(
    State(state): State<AppState>,
    Scoped {
        caller, company, ..
    }: Scoped<Write>,
    KJson(input): KJson<CustomFieldInput>,
) -> ApiResult<Json<Envelope<IdResult>>> {
    let mut problems = Vec::new();
    let fields = field_fields(&state, company.id, &input, None, "", &mut problems).await?;
    if !problems.is_empty() {
        return Err(ApiError::validation(problems));
    }
    let field = state
        .store
        .insert_custom_field(company.id, &fields, &audit::actor(&caller))
        .await?;
    Ok(written(field.resource_id, "Custom field created."))
}

// `GET /api/custom-fields/{resourceId}`.
/// Get a custom field
///
/// One custom field of the company; a field of another company is 404. Reseller or Company Admin,
/// in the company named by `X-KEEPNET-Company-Id` (a Reseller: its own or any below it; a Company
/// Admin: its own) or, without it, the caller's own.
#[utoipa::path(
    get, path = "/api/custom-fields/{resourceId}", operation_id = "getCustomField", tag = "CustomField", params(crate::openapi::ResourceId, crate::openapi::Scope),
    responses((status = 200, description = "The field", body = Envelope<CustomFieldDto>), crate::openapi::ApiErrors)
)]
pub async fn get(
    State(state): State<AppState>,
    Scoped { company, .. }: Scoped<Read>,
    Path(id): Path<String>,
) -> ApiResult<Json<Envelope<CustomFieldDto>>> {
    let field = field_of(&state, company.id, &id).await?;
    Ok(Json(Envelope::success(dto(&field))))
}

// `PUT /api/custom-fields/{resourceId}`.
/// Update a custom field
///
/// Changes what the body sends and keeps the rest: renames the field (unique in the company, 409
/// otherwise), retypes it (only while no target user holds a value of it: 409 otherwise; create a
/// new field instead), activates or deactivates it (an inactive field keeps its values out of sight
/// and is no search field), or moves it in `sortOrder`. A field of another company is 404. Reseller
/// or Company Admin: a Reseller must name the company in `X-KEEPNET-Company-Id` (400 without it), a
/// Company Admin acts on its own.
#[utoipa::path(
    put, path = "/api/custom-fields/{resourceId}", operation_id = "updateCustomField", tag = "CustomField", params(crate::openapi::ResourceId, crate::openapi::Scope),
    request_body(content = CustomFieldInput, example = json!({"name": "Badge number", "isActive": true, "sortOrder": 2})),
    responses((status = 200, description = "The field's resource id", body = Envelope<IdResult>), crate::openapi::ApiErrors)
)]
pub async fn update(
    State(state): State<AppState>,
    Scoped {
        caller, company, ..
    }: Scoped<Write>,
    Path(id): Path<String>,
    KJson(input): KJson<CustomFieldInput>,
) -> ApiResult<Json<Envelope<IdResult>>> {
    let current = field_of(&state, company.id, &id).await?;
    let mut problems = Vec::new();
    let fields = field_fields(
        &state,
        company.id,
        &input,
        Some(&current.fields),
        "",
        &mut problems,
    )
    .await?;
    if !problems.is_empty() {
        return Err(ApiError::validation(problems));
    }
    state
        .store
        .update_custom_field(company.id, &id, &fields, &audit::actor(&caller))
        .await?
        .ok_or_else(|| not_found(&id))?;
    Ok(written(id, "Custom field updated."))
}

// `POST /api/custom-fields/bulk-update` (Keepnet: "creates deletes updates").
/// Replace the custom field list
///
/// Makes the company's fields exactly the list in `targetUserCustomFields`: items with a
/// `resourceId` update that field, items without one create a field, and the fields left out are
/// deleted with their values (an empty list deletes them all; leaving the key out is 400). All or
/// nothing: an unknown `resourceId` is 404 and a bad item 400 naming its index, and nothing
/// changes. Answers the company's fields as they are after it. Reseller or Company Admin: a
/// Reseller must name the company in `X-KEEPNET-Company-Id` (400 without it), a Company Admin acts
/// on its own.
#[utoipa::path(
    post, path = "/api/custom-fields/bulk-update", operation_id = "bulkUpdateCustomFields", tag = "CustomField", params(crate::openapi::Scope),
    request_body = BulkCustomFieldRequest,
    responses((status = 200, description = "The company's fields as they are now", body = Envelope<Vec<CustomFieldDto>>), crate::openapi::ApiErrors)
)]
pub async fn bulk_update(
    State(state): State<AppState>,
    Scoped {
        caller, company, ..
    }: Scoped<Write>,
    KJson(req): KJson<BulkCustomFieldRequest>,
) -> ApiResult<Json<Envelope<Vec<CustomFieldDto>>>> {
    let Some(items) = req.target_user_custom_fields else {
        return Err(ApiError::bad_request(
            "send targetUserCustomFields: the company's whole list of custom fields (an empty list deletes them all)",
        ));
    };
    let current = state.store.custom_fields(company.id).await?;
    let mut problems = Vec::new();
    let mut wanted = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let rid = item
            .resource_id
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty());
        let base = match rid {
            Some(r) => Some(
                current
                    .iter()
                    .find(|c| c.resource_id == r)
                    .ok_or_else(|| not_found(r))?,
            ),
            None => None,
        };
        let at = format!("targetUserCustomFields[{i}]: ");
        let fields = field_fields(
            &state,
            company.id,
            item,
            base.map(|b| &b.fields),
            &at,
            &mut problems,
        )
        .await?;
        wanted.push((rid.map(str::to_owned), fields));
    }
    if !problems.is_empty() {
        return Err(ApiError::validation(problems));
    }
    if let Err(unknown) = state
        .store
        .replace_custom_fields(company.id, &wanted, &audit::actor(&caller))
        .await?
    {
        return Err(not_found(&unknown));
    }
    let now = state.store.custom_fields(company.id).await?;
    Ok(Json(Envelope::done(
        now.iter().map(dto).collect(),
        "Custom fields updated.",
    )))
}
