//! `/api/scim`: a company's SCIM integrations (REFERENCE.md section I; issue #16). Creating one
//! answers its bearer token, shown once, and the base URL an identity provider is given;
//! the SCIM service itself is [`crate::scim`]. Rulings in docs/scim.md.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Json;
use rollcall_store::{fields, CustomField, Entity, ScimMapping, ScimSetting, ScimSettingFields};
use rollcall_types::scim::{
    ScimDetailDto, ScimFieldDto, ScimFieldListDto, ScimIntegrationInput, ScimIntegrationTokenDto,
    ScimMappingDetailDto, ScimSettingSearchView,
};
use rollcall_types::{Envelope, IdResult, Paged, SearchRequest};

use crate::audit;
use crate::error::{ApiError, ApiResult};
use crate::export::{Cell, ExportOptions};
use crate::extract::KJson;
use crate::routes::files::{self, ExportKind, ExportRequest};
use crate::routes::{search_spec, user_extras, written};
use crate::scim::{self, attributes};
use crate::scope::{Read, Scoped, Write};
use crate::state::AppState;
use crate::time::millis_to_time;

/// Longest integration name (Keepnet's spec: `maxLength: 30`).
const MAX_NAME: usize = 30;

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!(
        "SCIM integration '{id}' was not found in this company; POST /api/scim/search lists them"
    ))
}

fn name_of(raw: Option<&str>) -> ApiResult<String> {
    let name = raw.map(str::trim).unwrap_or("");
    if name.is_empty() {
        return Err(ApiError::bad_request(
            "name is required: a label for the integration, such as 'Entra ID SCIM' (at most 30 characters)",
        ));
    }
    if name.chars().count() > MAX_NAME {
        return Err(ApiError::bad_request(format!(
            "name must be at most {MAX_NAME} characters, not {}",
            name.chars().count()
        )));
    }
    Ok(name.to_owned())
}

/// What the UI shows for the attribute users are grouped by: `Department`, or the name of the
/// custom field that attribute is mapped to, or its SCIM path.
fn group_by_name(s: &ScimSetting, defs: &[CustomField]) -> Option<String> {
    let field = s.fields.group_by_field.as_str();
    if field.is_empty() {
        return None;
    }
    if field.eq_ignore_ascii_case(attributes::DEPARTMENT_ID) {
        return Some("Department".to_owned());
    }
    let mapped = s
        .fields
        .mappings
        .iter()
        .find(|m| m.scim_field.eq_ignore_ascii_case(field))
        .and_then(|m| defs.iter().find(|d| d.id == m.custom_field_id))
        .map(|d| d.fields.name.clone());
    mapped.or_else(|| attributes::by_id(field).map(|a| a.path.to_owned()))
}

/// The names of the groups settings send users to, by internal id.
async fn group_names(state: &AppState, company_id: i64) -> ApiResult<HashMap<i64, String>> {
    Ok(state
        .store
        .target_group_names(company_id)
        .await?
        .into_iter()
        .collect())
}

fn search_view(
    s: &ScimSetting,
    groups: &HashMap<i64, String>,
    defs: &[CustomField],
) -> ScimSettingSearchView {
    ScimSettingSearchView {
        resource_id: s.resource_id.clone(),
        name: s.fields.name.clone(),
        group_name: s.fields.group_id.and_then(|g| groups.get(&g).cloned()),
        group_by_custom_field_name: group_by_name(s, defs),
        create_time: millis_to_time(s.create_time).unwrap_or_default(),
    }
}

/// The token reply of a create or a revoke.
fn token_dto(
    state: &AppState,
    headers: &HeaderMap,
    s: &ScimSetting,
    token: String,
) -> ScimIntegrationTokenDto {
    ScimIntegrationTokenDto {
        token,
        resource_id: s.resource_id.clone(),
        base_url: scim::base_url(state, headers),
    }
}

/// Checks the body of a create into the integration's settings.
async fn setting_fields(
    state: &AppState,
    company_id: i64,
    input: &ScimIntegrationInput,
) -> ApiResult<ScimSettingFields> {
    let name = name_of(input.name.as_deref())?;
    let mut problems = Vec::new();
    let group_id = match input
        .group_resource_id
        .as_deref()
        .map(str::trim)
        .filter(|g| !g.is_empty())
    {
        Some(g) => user_extras::resolve_groups(state, company_id, &[g.to_owned()])
            .await?
            .first()
            .map(|g| g.id),
        None => None,
    };
    let defs = state.store.custom_fields(company_id).await?;
    let mut mappings: Vec<ScimMapping> = Vec::new();
    for (i, m) in input.field_mappings.iter().flatten().enumerate() {
        let at = format!("fieldMappings[{i}]");
        let field = m
            .custom_field_resource_id
            .as_deref()
            .map(str::trim)
            .unwrap_or("");
        let scim_field = m
            .scim_field_resource_id
            .as_deref()
            .map(str::trim)
            .unwrap_or("");
        let Some(def) = defs.iter().find(|d| d.resource_id == field) else {
            problems.push(format!(
                "{at}.customFieldResourceId '{field}' is not a custom field of this company; GET /api/custom-fields/company lists them"
            ));
            continue;
        };
        let Some(attr) = attributes::by_id(scim_field) else {
            problems.push(format!(
                "{at}.scimFieldResourceId '{scim_field}' is not a SCIM attribute; GET /api/scim/fields lists them"
            ));
            continue;
        };
        if mappings.iter().any(|x| x.custom_field_id == def.id) {
            problems.push(format!(
                "{at}: custom field '{}' is mapped twice; map each field once",
                def.fields.name
            ));
            continue;
        }
        mappings.push(ScimMapping {
            custom_field_id: def.id,
            scim_field: attr.resource_id.to_owned(),
        });
    }
    let group_by_field = match input
        .group_by_scim_field_resource_id
        .as_deref()
        .map(str::trim)
        .filter(|g| !g.is_empty())
    {
        None => String::new(),
        Some(g) => match attributes::by_id(g) {
            Some(a) => a.resource_id.to_owned(),
            None => {
                problems.push(format!(
                    "groupBySCIMFieldResourceId '{g}' is not a SCIM attribute; GET /api/scim/fields lists them ({} is Department)",
                    attributes::DEPARTMENT_ID
                ));
                String::new()
            }
        },
    };
    if !problems.is_empty() {
        return Err(ApiError::validation(problems));
    }
    Ok(ScimSettingFields {
        name,
        group_id,
        group_by_field,
        sync_platform_group: input.sync_platform_group.unwrap_or(false),
        mappings,
    })
}

// `POST /api/scim` (rulings in docs/scim.md).
/// Create a SCIM integration
///
/// Creates an integration through which an identity provider (Entra ID, Okta...) provisions the
/// company's target users over SCIM 2.0, and answers its bearer token, shown this once (only its
/// hash is kept), with the SCIM base URL to give the provider as its tenant URL. `name` is required
/// (1 to 30 characters, unique in the company: 409 otherwise); `groupResourceId` names a target
/// group every provisioned user joins; `groupBySCIMFieldResourceId` a SCIM attribute (from
/// `GET /api/scim/fields`; `9fd0afec416c` is Department) whose value names a group each user joins,
/// made when missing; `fieldMappings` write SCIM attributes into the company's custom fields, each
/// field once. An unknown group is 404; an unknown custom field or attribute is 400 naming it.
/// Reseller or Company Admin: a Reseller must name the company in `X-KEEPNET-Company-Id` (400
/// without it), a Company Admin acts on its own.
#[utoipa::path(
    post, path = "/api/scim", operation_id = "createScimIntegration", tag = "SCIM", params(crate::openapi::Scope),
    request_body = ScimIntegrationInput,
    responses((status = 200, description = "The integration's token and base URL", body = Envelope<ScimIntegrationTokenDto>), crate::openapi::ApiErrors)
)]
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    Scoped {
        caller, company, ..
    }: Scoped<Write>,
    KJson(input): KJson<ScimIntegrationInput>,
) -> ApiResult<Json<Envelope<ScimIntegrationTokenDto>>> {
    let fields = setting_fields(&state, company.id, &input).await?;
    let token = scim::new_token();
    let setting = state
        .store
        .insert_scim_setting(
            company.id,
            &fields,
            &scim::token_hash(&token),
            caller.company.id != company.id,
            &audit::actor(&caller),
        )
        .await?;
    Ok(Json(Envelope::done(
        token_dto(&state, &headers, &setting, token),
        "SCIM integration created. Copy the token now: it is not shown again.",
    )))
}

/// The search body the document offers for the integration search and export ("Try it out"
/// sends it): fields of [`fields::SCIM_SETTINGS`].
fn search_example(export: bool) -> serde_json::Value {
    crate::openapi::filter_example(
        serde_json::json!([
            {"fieldName": "Name", "operator": "Contains", "value": "Entra"}
        ]),
        "Name",
        true,
        export,
    )
}

// `POST /api/scim/search`.
/// Search SCIM integrations
///
/// One page of the company's SCIM integrations, each with the group its users join and the
/// attribute they are grouped by, filtered and sorted on the fields listed below, newest first by
/// default; `searchInputTextValue` searches the name. An unknown field or operator is 400 naming
/// the valid ones. Reseller or Company Admin, in the company named by `X-KEEPNET-Company-Id` (a
/// Reseller: its own or any below it; a Company Admin: its own) or, without it, the caller's own.
#[utoipa::path(
    post, path = "/api/scim/search", operation_id = "searchScimIntegrations", tag = "SCIM", params(crate::openapi::Scope),
    request_body(content = SearchRequest, example = json!(search_example(false))),
    responses((status = 200, description = "One page of integrations", body = Envelope<Paged<ScimSettingSearchView>>), crate::openapi::ApiErrors)
)]
pub async fn search(
    State(state): State<AppState>,
    Scoped { company, .. }: Scoped<Read>,
    KJson(req): KJson<SearchRequest>,
) -> ApiResult<Json<Envelope<Paged<ScimSettingSearchView>>>> {
    let (spec, paging) = search_spec(&state, &req, &fields::SCIM_SETTINGS, &company)?;
    let (total, rows) = state.store.search_scim_settings(company.id, &spec).await?;
    let groups = group_names(&state, company.id).await?;
    let defs = state.store.custom_fields(company.id).await?;
    Ok(paging.reply(
        total,
        rows.iter()
            .map(|s| search_view(s, &groups, &defs))
            .collect(),
    ))
}

/// Columns of the integration export, in order.
pub const EXPORT_COLUMNS: &[&str] = &["Name", "Group", "Grouped By", "Created", "Resource Id"];

/// This module's export, as a kind: its file `SCIM Integrations.csv`, `.xlsx` or `.pdf`, and
/// its audit row.
pub struct ScimIntegrationsFile;

impl ExportKind for ScimIntegrationsFile {
    const TITLE: &'static str = "SCIM Integrations";
    const ENTITY: Entity = Entity::ScimIntegration;
    const NOUN: (&'static str, &'static str) = ("SCIM integration", "SCIM integrations");
}

// `POST /api/scim/search/export`.
/// Export SCIM integrations
///
/// The integrations a search selects, as a file: `exportType` `CSV`, `Excel` or `PDF` (any case;
/// required), the requested page or, with `reportAllPages: true`, every match, in the search's
/// order. The columns are Name, Group, Grouped By, Created and Resource Id; the file is
/// `SCIM Integrations.csv` (`.xlsx`, `.pdf`), and the export is recorded in the audit log. Errors
/// come before the file starts, as the JSON envelope: a missing or unknown `exportType` or a bad
/// filter is 400. Reseller or Company Admin, scoped as the search.
#[utoipa::path(
    post, path = "/api/scim/search/export", operation_id = "exportScimIntegrations", tag = "SCIM", params(crate::openapi::Scope, ExportOptions),
    request_body(content = SearchRequest, example = json!(search_example(true))),
    responses(crate::openapi::ExportFile<ScimIntegrationsFile>)
)]
pub async fn export(
    State(state): State<AppState>,
    request: ExportRequest<ScimIntegrationsFile>,
) -> ApiResult<Response> {
    let state = &state;
    // A company has a handful of integrations: one query reads them all.
    let read = |company_id, spec| async move {
        let (_, rows) = state.store.search_scim_settings(company_id, &spec).await?;
        let groups = group_names(state, company_id).await?;
        let defs = state.store.custom_fields(company_id).await?;
        Ok(rows
            .iter()
            .map(|s| search_view(s, &groups, &defs))
            .collect())
    };
    let list = (&fields::SCIM_SETTINGS, EXPORT_COLUMNS);
    files::export_read(state, request, list, read, export_cells).await
}

/// An integration's cells, in [`EXPORT_COLUMNS`] order.
fn export_cells(v: &ScimSettingSearchView) -> Vec<Cell> {
    vec![
        Cell::Text(v.name.clone()),
        Cell::Text(v.group_name.clone().unwrap_or_default()),
        Cell::Text(v.group_by_custom_field_name.clone().unwrap_or_default()),
        Cell::Time(Some(v.create_time.timestamp_millis())),
        Cell::Text(v.resource_id.clone()),
    ]
}

// `GET /api/scim/fields`.
/// List SCIM attributes
///
/// The SCIM attributes an integration may write into a custom field (`fieldMappings`) or group its
/// users by (`groupBySCIMFieldResourceId`), each with the `resourceId` to send and its SCIM path as
/// `name`. Any valid token.
#[utoipa::path(
    get, path = "/api/scim/fields", operation_id = "scimFields", tag = "SCIM",
    responses((status = 200, description = "The attributes", body = Envelope<ScimFieldListDto>), crate::openapi::ApiErrors)
)]
pub async fn fields(
    _caller: crate::auth::caller::Caller,
) -> ApiResult<Json<Envelope<ScimFieldListDto>>> {
    let fields = attributes::ATTRIBUTES
        .iter()
        .map(|a| ScimFieldDto {
            resource_id: a.resource_id.to_owned(),
            name: a.path.to_owned(),
        })
        .collect();
    Ok(Json(Envelope::success(ScimFieldListDto { fields })))
}

// `GET /api/scim/{resourceId}`.
/// Get a SCIM integration
///
/// One integration with its group, the attribute its users are grouped by and its mappings, never
/// its token. An integration of another company is 404. Reseller or Company Admin, in the company
/// named by `X-KEEPNET-Company-Id` (a Reseller: its own or any below it; a Company Admin: its own)
/// or, without it, the caller's own.
#[utoipa::path(
    get, path = "/api/scim/{resourceId}", operation_id = "getScimIntegration", tag = "SCIM", params(crate::openapi::ResourceId, crate::openapi::Scope),
    responses((status = 200, description = "The integration", body = Envelope<ScimDetailDto>), crate::openapi::ApiErrors)
)]
pub async fn get(
    State(state): State<AppState>,
    Scoped { company, .. }: Scoped<Read>,
    Path(id): Path<String>,
) -> ApiResult<Json<Envelope<ScimDetailDto>>> {
    let s = state
        .store
        .scim_setting(company.id, &id)
        .await?
        .ok_or_else(|| not_found(&id))?;
    let groups = group_names(&state, company.id).await?;
    let defs = state.store.custom_fields(company.id).await?;
    let mapping_details = s
        .fields
        .mappings
        .iter()
        .map(|m| ScimMappingDetailDto {
            scim_path: attributes::by_id(&m.scim_field)
                .map(|a| a.path.to_owned())
                .unwrap_or_else(|| m.scim_field.clone()),
            custom_field_name: defs
                .iter()
                .find(|d| d.id == m.custom_field_id)
                .map(|d| d.fields.name.clone())
                .unwrap_or_default(),
        })
        .collect();
    Ok(Json(Envelope::success(ScimDetailDto {
        resource_id: s.resource_id.clone(),
        name: s.fields.name.clone(),
        group_name: s.fields.group_id.and_then(|g| groups.get(&g).cloned()),
        group_by_custom_field_name: group_by_name(&s, &defs),
        mapping_details,
        sync_platform_group: s.fields.sync_platform_group,
    })))
}

// `PUT /api/scim/{resourceId}`: Keepnet's edit form sends only `name`.
/// Rename a SCIM integration
///
/// Renames an integration: only `name` is read (1 to 30 characters, unique in the company: 409
/// otherwise), as Keepnet's edit form sends only it; the rest of the body is ignored. An
/// integration of another company is 404. Reseller or Company Admin: a Reseller must name the
/// company in `X-KEEPNET-Company-Id` (400 without it), a Company Admin acts on its own.
#[utoipa::path(
    put, path = "/api/scim/{resourceId}", operation_id = "updateScimIntegration", tag = "SCIM", params(crate::openapi::ResourceId, crate::openapi::Scope),
    request_body(content = ScimIntegrationInput, example = json!({"name": "Entra ID (production)"})),
    responses((status = 200, description = "The integration's resource id", body = Envelope<IdResult>), crate::openapi::ApiErrors)
)]
pub async fn update(
    State(state): State<AppState>,
    Scoped {
        caller, company, ..
    }: Scoped<Write>,
    Path(id): Path<String>,
    KJson(input): KJson<ScimIntegrationInput>,
) -> ApiResult<Json<Envelope<IdResult>>> {
    let name = name_of(input.name.as_deref())?;
    state
        .store
        .rename_scim_setting(company.id, &id, &name, &audit::actor(&caller))
        .await?
        .ok_or_else(|| not_found(&id))?;
    Ok(written(id, "SCIM integration updated."))
}

// `DELETE /api/scim/{resourceId}`.
/// Delete a SCIM integration
///
/// Deletes an integration: its token stops working at once, and the target users and groups it
/// provisioned stay. An integration of another company is 404. Reseller or Company Admin: a
/// Reseller must name the company in `X-KEEPNET-Company-Id` (400 without it), a Company Admin acts
/// on its own.
#[utoipa::path(
    delete, path = "/api/scim/{resourceId}", operation_id = "deleteScimIntegration", tag = "SCIM", params(crate::openapi::ResourceId, crate::openapi::Scope),
    responses((status = 200, description = "The deleted integration's resource id", body = Envelope<IdResult>), crate::openapi::ApiErrors)
)]
pub async fn delete(
    State(state): State<AppState>,
    Scoped {
        caller, company, ..
    }: Scoped<Write>,
    Path(id): Path<String>,
) -> ApiResult<Json<Envelope<IdResult>>> {
    state
        .store
        .delete_scim_setting(company.id, &id, &audit::actor(&caller))
        .await?
        .ok_or_else(|| not_found(&id))?;
    Ok(written(id, "SCIM integration deleted."))
}

// `POST /api/scim/{resourceId}/revoke`: a one-row page, the shape Keepnet's spec gives this
// reply.
/// Replace a SCIM token
///
/// The integration's current token stops working at once, and a new one is answered (shown this
/// once) with the SCIM base URL, as a one-row page; give the new token to the identity provider. An
/// integration of another company is 404. Reseller or Company Admin: a Reseller must name the
/// company in `X-KEEPNET-Company-Id` (400 without it), a Company Admin acts on its own. No request
/// body.
#[utoipa::path(
    post, path = "/api/scim/{resourceId}/revoke", operation_id = "revokeScimToken", tag = "SCIM", params(crate::openapi::ResourceId, crate::openapi::Scope),
    responses((status = 200, description = "The new token", body = Envelope<Paged<ScimIntegrationTokenDto>>), crate::openapi::ApiErrors)
)]
pub async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    Scoped {
        caller, company, ..
    }: Scoped<Write>,
    Path(id): Path<String>,
) -> ApiResult<Json<Envelope<Paged<ScimIntegrationTokenDto>>>> {
    let token = scim::new_token();
    let setting = state
        .store
        .rotate_scim_token(
            company.id,
            &id,
            &scim::token_hash(&token),
            caller.company.id != company.id,
            &audit::actor(&caller),
        )
        .await?
        .ok_or_else(|| not_found(&id))?;
    let dto = token_dto(&state, &headers, &setting, token);
    Ok(Json(Envelope::done(
        Paged::new(1, 1, 1, vec![dto]),
        "The old token no longer works. Copy the new one now: it is not shown again.",
    )))
}
