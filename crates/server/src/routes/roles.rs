//! The two system roles (REFERENCE.md A.3): `GET /api/roleswithavailable`,
//! `POST /api/roles/search`, `GET /api/roles/{resourceId}`, and the custom-role writes
//! (`POST /api/roles`, `PUT`/`DELETE /api/roles/{resourceId}`), which rollcall refuses: it has
//! Reseller and Company Admin and nothing else (issue #13).

use axum::extract::{Path, State};
use axum::Json;
use rollcall_store::Role;
use rollcall_types::catalog::{SystemRoleDetailDto, SystemRoleSearchDto};
use rollcall_types::company::RoleDto;
use rollcall_types::filter::{FilterGroup, FilterItem};
use rollcall_types::{Envelope, Paged, SearchRequest};
use serde_json::Value;

use crate::auth::caller::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::KJson;
use crate::paging::Paging;
use crate::routes::clients::{role_from_id, role_id};
use crate::state::AppState;

const ROLES: [Role; 2] = [Role::Reseller, Role::CompanyAdmin];

/// What each role may do, named by rollcall's permission ids: the checks the handlers make
/// (`require_reseller`, the client-role rules of `routes::clients`, company scope).
fn permissions(role: Role) -> &'static [&'static str] {
    match role {
        Role::Reseller => &[
            "companies:search",
            "companies:export",
            "companies:read",
            "companies:create",
            "companies:update",
            "companies:delete",
            "clients:manage",
            "clients:grant-reseller",
            "target-users:read",
            "target-users:write",
            "target-users:export",
            "audit-logs:read",
        ],
        Role::CompanyAdmin => &[
            "companies:read-own",
            "clients:manage",
            "target-users:read",
            "target-users:write",
            "target-users:export",
            "audit-logs:read",
        ],
    }
}

fn description(role: Role) -> &'static str {
    match role {
        Role::Reseller => "Cross-company: lists companies, onboards customers and acts in every company below its own.",
        Role::CompanyAdmin => "Full access to its own company; needs no company id.",
    }
}

fn search_row(role: Role) -> SystemRoleSearchDto {
    SystemRoleSearchDto {
        role_name: role.name().to_owned(),
        role_description: description(role).to_owned(),
        resource_id: role_id(role).to_owned(),
        company_resource_id: None,
        company_name: None,
        create_time: None,
        user_count: 0,
        tenant_user_count: 0,
        type_name: "System".to_owned(),
        is_owner: false,
    }
}

// `GET /api/roleswithavailable`: Keepnet's REST-client form cannot open without it.
/// List the roles a client can be given
///
/// The roles the caller may give a REST API client: Reseller and Company Admin for a Reseller,
/// Company Admin alone for a Company Admin, which cannot grant Reseller. Any valid token.
#[utoipa::path(
    get, path = "/api/roleswithavailable", operation_id = "listAvailableRoles", tag = "SystemRole",
    responses((status = 200, description = "The roles the caller may give a client", body = Envelope<Vec<RoleDto>>), crate::openapi::ApiErrors)
)]
pub async fn available(caller: Caller) -> Json<Envelope<Vec<RoleDto>>> {
    Json(Envelope::success(
        ROLES
            .into_iter()
            .filter(|r| *r != Role::Reseller || caller.role() == Role::Reseller)
            .map(|r| RoleDto {
                resource_id: role_id(r).to_owned(),
                name: r.name().to_owned(),
            })
            .collect(),
    ))
}

/// The text of a role's field as a filter item names it; `None` for a field roles lack.
fn field(row: &SystemRoleSearchDto, name: &str) -> Option<String> {
    match name.to_ascii_lowercase().as_str() {
        "rolename" | "name" => Some(row.role_name.clone()),
        "roledescription" | "description" => Some(row.role_description.clone()),
        "typename" => Some(row.type_name.clone()),
        "resourceid" => Some(row.resource_id.clone()),
        "usercount" => Some(row.user_count.to_string()),
        _ => None,
    }
}

fn item_matches(row: &SystemRoleSearchDto, item: &FilterItem) -> Result<bool, String> {
    let name = item.field_name.as_deref().unwrap_or_default();
    let have = field(row, name).ok_or_else(|| {
        format!("roles cannot be filtered on '{name}'; use RoleName, RoleDescription, TypeName, ResourceId or UserCount")
    })?;
    let want = match &item.value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
    .to_lowercase();
    let have = have.to_lowercase();
    match item.operator.as_deref().unwrap_or("Contains").to_ascii_lowercase().as_str() {
        "contains" => Ok(have.contains(&want)),
        "=" | "equal" | "equals" => Ok(have == want),
        "!=" | "notequal" | "notequals" => Ok(have != want),
        "startswith" => Ok(have.starts_with(&want)),
        "include" => Ok(want.is_empty() || want.split(',').any(|w| w.trim() == have)),
        other => Err(format!(
            "operator '{other}' does not apply to roles; use Contains, Equals, NotEquals, StartsWith or Include"
        )),
    }
}

fn group_matches(row: &SystemRoleSearchDto, group: &FilterGroup) -> Result<bool, String> {
    let or = group
        .condition
        .as_deref()
        .is_some_and(|c| c.eq_ignore_ascii_case("OR"));
    let mut results = Vec::new();
    for item in group.filter_items.iter().flatten() {
        results.push(item_matches(row, item)?);
    }
    for inner in group.filter_groups.iter().flatten() {
        results.push(group_matches(row, inner)?);
    }
    Ok(if results.is_empty() {
        true
    } else if or {
        results.into_iter().any(|r| r)
    } else {
        results.into_iter().all(|r| r)
    })
}

// `POST /api/roles/search`: the system roles, filtered in memory (there are two). The filter
// fields are this module's own (`field`), so the description names them: the document's
// generated field tables cover the store's catalogues only.
/// Search the system roles
///
/// One page of rollcall's two system roles, Reseller and Company Admin, sorted by name
/// (`ascending: false` reverses). `searchInputTextValue` searches the name and description; filter
/// items may name `RoleName`, `RoleDescription`, `TypeName`, `ResourceId` or `UserCount`, with
/// `Contains`, `Equals`, `NotEquals`, `StartsWith` or `Include`. Another field or operator is 400
/// naming these. Any valid token.
#[utoipa::path(
    post, path = "/api/roles/search", operation_id = "searchRoles", tag = "SystemRole",
    request_body(content = SearchRequest, example = json!({
        "filter": {"searchInputTextValue": "admin", "condition": "AND", "filterGroups": [{"condition": "AND", "filterItems": [
            {"fieldName": "TypeName", "operator": "Equals", "value": "System"}
        ]}]},
        "pageNumber": 1, "pageSize": 10, "ascending": true
    })),
    responses((status = 200, description = "One page of the system roles", body = Envelope<Paged<SystemRoleSearchDto>>), crate::openapi::ApiErrors)
)]
pub async fn search(
    State(state): State<AppState>,
    _caller: Caller,
    KJson(req): KJson<SearchRequest>,
) -> ApiResult<Json<Envelope<Paged<SystemRoleSearchDto>>>> {
    let paging = Paging::from_request(&req, state.config.max_page_size)?;
    let text = req
        .filter
        .as_ref()
        .and_then(|f| f.search_input_text_value.as_deref())
        .unwrap_or_default()
        .to_lowercase();
    let top = FilterGroup {
        condition: req.filter.as_ref().and_then(|f| f.condition.clone()),
        filter_items: None,
        filter_groups: req.filter.as_ref().and_then(|f| f.filter_groups.clone()),
    };
    let mut rows = Vec::new();
    for row in ROLES.into_iter().map(search_row) {
        let searched = text.is_empty()
            || row.role_name.to_lowercase().contains(&text)
            || row.role_description.to_lowercase().contains(&text);
        if searched && group_matches(&row, &top).map_err(ApiError::bad_request)? {
            rows.push(row);
        }
    }
    rows.sort_by(|a, b| a.role_name.cmp(&b.role_name));
    if !req.ascending.unwrap_or(true) {
        rows.reverse();
    }
    let total = rows.len() as i64;
    let page = rows
        .into_iter()
        .skip(usize::try_from(paging.offset()).unwrap_or(usize::MAX))
        .take(usize::try_from(paging.size).unwrap_or(usize::MAX))
        .collect();
    Ok(paging.reply(total, page))
}

fn system_role(id: &str) -> ApiResult<Role> {
    role_from_id(id).ok_or_else(|| {
        ApiError::not_found(format!(
            "no role '{id}'; the roles are {} (Reseller) and {} (Company Admin)",
            role_id(Role::Reseller),
            role_id(Role::CompanyAdmin)
        ))
    })
}

// `GET /api/roles/{resourceId}`.
/// Get a system role
///
/// A system role (`RoleReseller` or `RoleCompAdmn`) with what it may do, as rollcall's permission
/// ids in `permissionResourceIdList`; `availableForList` is empty, as the roles serve every
/// company. Another id is 404 naming the two. Any valid token.
#[utoipa::path(
    get, path = "/api/roles/{resourceId}", operation_id = "getRole", tag = "SystemRole", params(crate::openapi::ResourceId),
    responses((status = 200, description = "The role and what it may do", body = Envelope<SystemRoleDetailDto>), crate::openapi::ApiErrors)
)]
pub async fn get(
    _caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Envelope<SystemRoleDetailDto>>> {
    let role = system_role(&id)?;
    Ok(Json(Envelope::success(SystemRoleDetailDto {
        resource_id: role_id(role).to_owned(),
        name: role.name().to_owned(),
        description: description(role).to_owned(),
        available_for_list: Vec::new(),
        permission_resource_id_list: permissions(role).iter().map(|p| (*p).to_owned()).collect(),
    })))
}

fn custom_roles_refused() -> ApiError {
    ApiError::bad_request(format!(
        "custom roles are not supported: rollcall has the two system roles, Reseller ({}) and Company Admin ({}), which cannot be changed; GET /api/roles lists them",
        role_id(Role::Reseller),
        role_id(Role::CompanyAdmin)
    ))
}

/// One refused custom-role write per method: each OpenAPI operation needs its own handler and
/// id, and they differ in nothing else.
macro_rules! refused {
    ($(#[$doc:meta])* $name:ident, $method:ident, $path:literal, $op:literal $(, $params:path)?) => {
        $(#[$doc])*
        #[utoipa::path(
            $method, path = $path, operation_id = $op, tag = "SystemRole",
            $(params($params),)? responses(crate::openapi::ApiErrors)
        )]
        pub async fn $name(_caller: Caller) -> ApiError {
            custom_roles_refused()
        }
    };
}

// `POST /api/roles`, `PUT` and `DELETE /api/roles/{resourceId}`: refused, custom roles are out
// of scope (issue #13).
refused!(
    /// Create a role (not supported)
    ///
    /// Always 400: custom roles are not supported. rollcall has two system roles, Reseller
    /// (`RoleReseller`) and Company Admin (`RoleCompAdmn`), which cannot be changed.
    create, post, "/api/roles", "createRole"
);
refused!(
    /// Update a role (not supported)
    ///
    /// Always 400: custom roles are not supported, and the two system roles, Reseller and
    /// Company Admin, cannot be changed.
    update, put, "/api/roles/{resourceId}", "updateRole", crate::openapi::ResourceId
);
refused!(
    /// Delete a role (not supported)
    ///
    /// Always 400: custom roles are not supported, and the two system roles, Reseller and
    /// Company Admin, cannot be deleted.
    delete, delete, "/api/roles/{resourceId}", "deleteRole", crate::openapi::ResourceId
);
