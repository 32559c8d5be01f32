//! `/api/target-groups`: a company's target groups and their members (REFERENCE.md C.11).
//! Rulings in docs/api.md, "Target groups".

use std::collections::{HashMap, HashSet};

use axum::extract::{Path, State};
use axum::response::Response;
use axum::Json;
use rollcall_store::query::{CmpOp, Cond, Val};
use rollcall_store::{
    fields, parse_priority, priority_name, Company, Entity, MemberSelection, MemberTraits,
    TargetGroup, TargetGroupFields, DEFAULT_PRIORITY,
};
use rollcall_types::target_group::{
    AddGroupUsersRequest, GroupUsersChange, RemoveGroupUsersRequest, TargetGroupByNameRequest,
    TargetGroupDto, TargetGroupInput, TargetGroupSearchRequest, TargetGroupSearchView,
    TargetGroupUserCountDetailDto, TargetGroupUserCountDetailRequest,
};
use rollcall_types::target_user::TargetUserSearchView;
use rollcall_types::{Envelope, Filter, FilterItem, IdResult, Paged, SearchRequest};

use crate::audit;
use crate::error::{ApiError, ApiResult};
use crate::export::{Cell, ExportOptions};
use crate::extract::KJson;
use crate::routes::files::{self, ExportKind, ExportRequest};
use crate::routes::target_users::{search_view, target_user_filter_now, target_user_search};
use crate::routes::user_extras::{self, group_not_found};
use crate::routes::{merge_name, search_spec, written};
use crate::scope::{Read, Scoped, Write};
use crate::state::AppState;
use crate::time::millis_to_time;

/// Longest group name (Keepnet's `CreateTargetGroupRequest`).
const MAX_NAME: usize = 64;
/// Most users or groups one membership change names by id.
const MAX_IDS: usize = 1000;

fn not_found(id: &str) -> ApiError {
    group_not_found(id)
}

/// The company's group `id`, or its 404: the first step of every handler on one group.
async fn group_of(state: &AppState, company_id: i64, id: &str) -> ApiResult<TargetGroup> {
    state
        .store
        .target_group(company_id, id)
        .await?
        .ok_or_else(|| not_found(id))
}

/// The names of the SCIM integrations that made some of `groups` (docs/scim.md), by group id.
async fn scim_names(state: &AppState, groups: &[TargetGroup]) -> ApiResult<HashMap<i64, String>> {
    let ids: Vec<i64> = groups.iter().map(|g| g.id).collect();
    Ok(state
        .store
        .scim_setting_names_of(&ids, true)
        .await?
        .into_iter()
        .collect())
}

fn dto(g: &TargetGroup, scim: Option<&String>) -> TargetGroupDto {
    TargetGroupDto {
        resource_id: g.resource_id.clone(),
        name: g.fields.name.clone(),
        priority: priority_name(g.fields.priority).to_owned(),
        create_date: millis_to_time(g.create_time),
        is_editable: true,
        is_scim_group: scim.is_some(),
        is_google_group: false,
    }
}

fn search_row(
    g: &TargetGroup,
    company: &Company,
    selected: bool,
    scim: Option<&String>,
) -> TargetGroupSearchView {
    TargetGroupSearchView {
        resource_id: g.resource_id.clone(),
        name: g.fields.name.clone(),
        company_name: company.fields.name.clone(),
        user_count: g.user_count,
        user_count_with_phone_number: g.user_count_with_phone,
        priority: priority_name(g.fields.priority).to_owned(),
        create_time: millis_to_time(g.create_time).unwrap_or_default(),
        update_time: millis_to_time(g.update_time),
        is_editable: true,
        scim_setting_name: scim.cloned(),
        ldap_config_name: None,
        is_selected: selected,
        is_scim_group: scim.is_some(),
        is_google_group: false,
    }
}

/// Merges `input` over `base` (create: defaults) and validates it.
fn group_fields(
    input: TargetGroupInput,
    base: Option<&TargetGroupFields>,
) -> ApiResult<TargetGroupFields> {
    let mut problems = Vec::new();
    let mut f = base.cloned().unwrap_or(TargetGroupFields {
        name: String::new(),
        priority: DEFAULT_PRIORITY,
        is_active: true,
    });
    merge_name(
        input.name.as_deref(),
        &mut f.name,
        base.is_none(),
        MAX_NAME,
        "",
        &mut problems,
    );
    if let Some(p) = input.priority.filter(|p| !p.trim().is_empty()) {
        match parse_priority(&p) {
            Some(n) => f.priority = n,
            None => problems.push(format!(
                "priority '{p}' is not valid; use VeryLow, Low, Medium, High or VeryHigh"
            )),
        }
    }
    if let Some(a) = input.is_active {
        f.is_active = a;
    }
    if !problems.is_empty() {
        return Err(ApiError::validation(problems));
    }
    Ok(f)
}

/// The company's users named by `ids` (deleted ones included), in the order given: more than
/// [`MAX_IDS`] is a 400, an id that is not one of them a 404.
async fn named_users(
    state: &AppState,
    company_id: i64,
    ids: &[String],
) -> ApiResult<Vec<rollcall_store::TargetUser>> {
    if ids.len() > MAX_IDS {
        return Err(ApiError::bad_request(format!(
            "at most {MAX_IDS} target users per request by id; send the rest in another request, or add by filter with selectAll"
        )));
    }
    let users = state
        .store
        .target_users_by_resource_ids(company_id, ids, true)
        .await?;
    if let Some(missing) = ids
        .iter()
        .find(|id| !users.iter().any(|u| &u.resource_id == *id))
    {
        return Err(ApiError::not_found(format!(
            "target user '{missing}' was not found in this company; POST /api/target-users/search lists them"
        )));
    }
    Ok(users)
}

/// The internal ids of the company's live users named by `ids`: a deleted one is a 409
/// (Keepnet: deleted users cannot be added to groups).
async fn live_user_ids(state: &AppState, company_id: i64, ids: &[String]) -> ApiResult<Vec<i64>> {
    let users = named_users(state, company_id, ids).await?;
    if let Some(gone) = users.iter().find(|u| u.is_deleted) {
        return Err(ApiError::conflict(format!(
            "target user '{}' is deleted and cannot be a member of a group; leave it out",
            gone.resource_id
        )));
    }
    Ok(users.iter().map(|u| u.id).collect())
}

/// The search body the document offers for the group searches and export ("Try it out" sends
/// it): fields of [`fields::TARGET_GROUPS`].
fn group_search_example(export: bool) -> serde_json::Value {
    crate::openapi::filter_example(
        serde_json::json!([
            {"fieldName": "Name", "operator": "Contains", "value": "team"},
            {"fieldName": "Priority", "operator": "Include", "value": "Medium,High,VeryHigh"}
        ]),
        "Name",
        true,
        export,
    )
}

/// The member search body the document offers for a group's members and their export: fields
/// of the target-user search.
fn member_search_example(export: bool) -> serde_json::Value {
    let mut body = crate::openapi::filter_example(
        serde_json::json!([
            {"fieldName": "Department", "operator": "Contains", "value": "Finance"},
            {"fieldName": "Status", "operator": "Include", "value": "1"}
        ]),
        "Email",
        true,
        export,
    );
    body["excludeGroupUsers"] = false.into();
    body
}

// `GET /api/target-groups` (rulings in docs/api.md, "Target groups").
/// List target groups
///
/// Every target group of the company, by name, not paged. Reseller or Company Admin, in the company
/// named by `X-KEEPNET-Company-Id` (a Reseller: its own or any below it; a Company Admin: its own)
/// or, without it, the caller's own.
#[utoipa::path(
    get, path = "/api/target-groups", operation_id = "listTargetGroups", tag = "TargetGroup", params(crate::openapi::Scope),
    responses((status = 200, description = "The company's groups", body = Envelope<Vec<TargetGroupDto>>), crate::openapi::ApiErrors)
)]
pub async fn list(
    State(state): State<AppState>,
    Scoped { company, .. }: Scoped<Read>,
) -> ApiResult<Json<Envelope<Vec<TargetGroupDto>>>> {
    let mut spec = search_spec(
        &state,
        &SearchRequest::default(),
        &fields::TARGET_GROUPS,
        &company,
    )?
    .0;
    spec.every_page();
    spec.order = rollcall_store::query::parse_order(Some("Name"), true, &fields::TARGET_GROUPS)?;
    let (_, groups) = state
        .store
        .search_target_groups(company.id, &spec, None)
        .await?;
    let scim = scim_names(&state, &groups).await?;
    Ok(Json(Envelope::success(
        groups.iter().map(|g| dto(g, scim.get(&g.id))).collect(),
    )))
}

// `POST /api/target-groups`.
/// Create a target group
///
/// Creates a group in the company. `name` is required (1 to 64 characters, unique in the company in
/// any case: 409 otherwise); `priority` takes `VeryLow`, `Low`, `Medium` (the default), `High`,
/// `VeryHigh` or 1 to 5. Invalid values are 400, one line per field in `validationMessages`.
/// Reseller or Company Admin: a Reseller must name the company in `X-KEEPNET-Company-Id` (400
/// without it), a Company Admin acts on its own. Answers the new group's resource id.
#[utoipa::path(
    post, path = "/api/target-groups", operation_id = "createTargetGroup", tag = "TargetGroup", params(crate::openapi::Scope),
    request_body = TargetGroupInput,
    responses((status = 200, description = "The new group's resource id", body = Envelope<IdResult>), crate::openapi::ApiErrors)
)]
pub async fn create(
    State(state): State<AppState>,
    Scoped {
        caller, company, ..
    }: Scoped<Write>,
    KJson(input): KJson<TargetGroupInput>,
) -> ApiResult<Json<Envelope<IdResult>>> {
    let fields = group_fields(input, None)?;
    let group = state
        .store
        .insert_target_group(company.id, &fields, &audit::actor(&caller))
        .await?;
    Ok(written(group.resource_id, "Target group created."))
}

// `GET /api/target-groups/{resourceId}`.
/// Get a target group
///
/// One target group of the company; a group of another company is 404. Reseller or Company Admin,
/// in the company named by `X-KEEPNET-Company-Id` (a Reseller: its own or any below it; a Company
/// Admin: its own) or, without it, the caller's own.
#[utoipa::path(
    get, path = "/api/target-groups/{resourceId}", operation_id = "getTargetGroup", tag = "TargetGroup", params(crate::openapi::ResourceId, crate::openapi::Scope),
    responses((status = 200, description = "The group", body = Envelope<TargetGroupDto>), crate::openapi::ApiErrors)
)]
pub async fn get(
    State(state): State<AppState>,
    Scoped { company, .. }: Scoped<Read>,
    Path(id): Path<String>,
) -> ApiResult<Json<Envelope<TargetGroupDto>>> {
    let group = group_of(&state, company.id, &id).await?;
    let scim = scim_names(&state, std::slice::from_ref(&group)).await?;
    Ok(Json(Envelope::success(dto(&group, scim.get(&group.id)))))
}

// `PUT /api/target-groups/{resourceId}`.
/// Update a target group
///
/// Renames or re-prioritises a group; what the body leaves out is kept. A name another group of the
/// company has is 409; a group of another company is 404. Reseller or Company Admin: a Reseller
/// must name the company in `X-KEEPNET-Company-Id` (400 without it), a Company Admin acts on its
/// own.
#[utoipa::path(
    put, path = "/api/target-groups/{resourceId}", operation_id = "updateTargetGroup", tag = "TargetGroup", params(crate::openapi::ResourceId, crate::openapi::Scope),
    request_body = TargetGroupInput,
    responses((status = 200, description = "The group's resource id", body = Envelope<IdResult>), crate::openapi::ApiErrors)
)]
pub async fn update(
    State(state): State<AppState>,
    Scoped {
        caller, company, ..
    }: Scoped<Write>,
    Path(id): Path<String>,
    KJson(input): KJson<TargetGroupInput>,
) -> ApiResult<Json<Envelope<IdResult>>> {
    let current = group_of(&state, company.id, &id).await?;
    let fields = group_fields(input, Some(&current.fields))?;
    let group = state
        .store
        .update_target_group(company.id, &id, &fields, &audit::actor(&caller))
        .await?
        .ok_or_else(|| not_found(&id))?;
    Ok(written(group.resource_id, "Target group updated."))
}

// `DELETE /api/target-groups/{resourceId}`.
/// Delete a target group
///
/// Deletes a group; its users stay in the company. A group of another company is 404. Reseller or
/// Company Admin: a Reseller must name the company in `X-KEEPNET-Company-Id` (400 without it), a
/// Company Admin acts on its own.
#[utoipa::path(
    delete, path = "/api/target-groups/{resourceId}", operation_id = "deleteTargetGroup", tag = "TargetGroup", params(crate::openapi::ResourceId, crate::openapi::Scope),
    responses((status = 200, description = "The deleted group's resource id", body = Envelope<IdResult>), crate::openapi::ApiErrors)
)]
pub async fn delete(
    State(state): State<AppState>,
    Scoped {
        caller, company, ..
    }: Scoped<Write>,
    Path(id): Path<String>,
) -> ApiResult<Json<Envelope<IdResult>>> {
    let group = state
        .store
        .delete_target_group(company.id, &id, &audit::actor(&caller))
        .await?
        .ok_or_else(|| not_found(&id))?;
    Ok(written(group.resource_id, "Target group deleted."))
}

/// A page of groups as search rows, each saying whether the user `selected` (a resource id)
/// is a member.
async fn group_page(
    state: &AppState,
    company: &Company,
    req: &SearchRequest,
    selected: Option<&str>,
    member: Option<i64>,
) -> ApiResult<Paged<TargetGroupSearchView>> {
    let (spec, paging) = search_spec(state, req, &fields::TARGET_GROUPS, company)?;
    let (total, groups) = state
        .store
        .search_target_groups(company.id, &spec, member)
        .await?;
    let mut chosen = HashSet::new();
    if let Some(user) = selected.filter(|s| !s.trim().is_empty()) {
        let users = state
            .store
            .target_users_by_resource_ids(company.id, &[user.trim().to_owned()], true)
            .await?;
        let ids: Vec<i64> = users.iter().map(|u| u.id).collect();
        for (_, g) in state.store.groups_of_users(&ids).await? {
            chosen.insert(g.id);
        }
    }
    let scim = scim_names(state, &groups).await?;
    Ok(Paged::new(
        paging.number,
        paging.size,
        total,
        groups
            .iter()
            .map(|g| search_row(g, company, chosen.contains(&g.id), scim.get(&g.id)))
            .collect(),
    ))
}

// `POST /api/target-groups/search`.
/// Search target groups
///
/// One page of the company's target groups with their member counts, filtered and sorted on the
/// fields listed below, newest first by default; `searchInputTextValue` searches the name. With
/// `selectTargetUserResourceIds` (one target user's id), each row says in `isSelected` whether that
/// user is a member. `systemGeneratedGroups` is accepted: Keepnet adds groups it builds from
/// simulation results there, and rollcall, which runs no simulations, adds none. An unknown field
/// or operator is 400 naming the valid ones. Reseller or Company Admin, in the company named by
/// `X-KEEPNET-Company-Id` (a Reseller: its own or any below it; a Company Admin: its own) or,
/// without it, the caller's own.
#[utoipa::path(
    post, path = "/api/target-groups/search", operation_id = "searchTargetGroups", tag = "TargetGroup", params(crate::openapi::Scope),
    request_body(content = TargetGroupSearchRequest, example = json!(group_search_example(false))),
    responses((status = 200, description = "One page of groups", body = Envelope<Paged<TargetGroupSearchView>>), crate::openapi::ApiErrors)
)]
pub async fn search(
    State(state): State<AppState>,
    Scoped { company, .. }: Scoped<Read>,
    KJson(req): KJson<TargetGroupSearchRequest>,
) -> ApiResult<Json<Envelope<Paged<TargetGroupSearchView>>>> {
    let page = group_page(
        &state,
        &company,
        &req.search,
        req.select_target_user_resource_ids.as_deref(),
        None,
    )
    .await?;
    Ok(Json(Envelope::success(page)))
}

// `POST /api/target-groups/search/all`: as `search` (rollcall has no system-made groups to
// leave out of the other).
/// Search all target groups
///
/// The same page as `POST /api/target-groups/search`: Keepnet leaves the groups it builds itself
/// out of one of the two, and rollcall, which builds none, answers both alike. Filtered and sorted
/// on the fields listed below, newest first by default. Reseller or Company Admin, in the company
/// named by `X-KEEPNET-Company-Id` (a Reseller: its own or any below it; a Company Admin: its own)
/// or, without it, the caller's own.
#[utoipa::path(
    post, path = "/api/target-groups/search/all", operation_id = "searchAllTargetGroups", tag = "TargetGroup", params(crate::openapi::Scope),
    request_body(content = TargetGroupSearchRequest, example = json!(group_search_example(false))),
    responses((status = 200, description = "One page of groups", body = Envelope<Paged<TargetGroupSearchView>>), crate::openapi::ApiErrors)
)]
pub async fn search_all(
    state: State<AppState>,
    scoped: Scoped<Read>,
    req: KJson<TargetGroupSearchRequest>,
) -> ApiResult<Json<Envelope<Paged<TargetGroupSearchView>>>> {
    search(state, scoped, req).await
}

// `POST /api/target-groups/search/current-company`: Keepnet's reseller view lists its
// customers' groups here; rollcall scopes every call to one company.
/// Search the company's target groups
///
/// The same page as `POST /api/target-groups/search`: the groups of the one company the request is
/// scoped to (rollcall does not list the groups of several companies at once). Filtered and sorted
/// on the fields listed below, newest first by default. Reseller or Company Admin, in the company
/// named by `X-KEEPNET-Company-Id` (a Reseller: its own or any below it; a Company Admin: its own)
/// or, without it, the caller's own.
#[utoipa::path(
    post, path = "/api/target-groups/search/current-company", operation_id = "searchCurrentCompanyTargetGroups", tag = "TargetGroup", params(crate::openapi::Scope),
    request_body(content = TargetGroupSearchRequest, example = json!(group_search_example(false))),
    responses((status = 200, description = "One page of groups", body = Envelope<Paged<TargetGroupSearchView>>), crate::openapi::ApiErrors)
)]
pub async fn search_current_company(
    state: State<AppState>,
    scoped: Scoped<Read>,
    req: KJson<TargetGroupSearchRequest>,
) -> ApiResult<Json<Envelope<Paged<TargetGroupSearchView>>>> {
    search(state, scoped, req).await
}

// `POST /api/target-groups/search-name`.
/// Search target groups by name
///
/// One page of the company's target groups whose name contains `groupName`, in any case (every
/// group when it is empty), sorted by `orderBy` (one of the fields listed below; newest first by
/// default). Reseller or Company Admin, in the company named by `X-KEEPNET-Company-Id` (a Reseller:
/// its own or any below it; a Company Admin: its own) or, without it, the caller's own.
#[utoipa::path(
    post, path = "/api/target-groups/search-name", operation_id = "searchTargetGroupsByName", tag = "TargetGroup", params(crate::openapi::Scope),
    request_body = TargetGroupByNameRequest,
    responses((status = 200, description = "One page of groups", body = Envelope<Paged<TargetGroupSearchView>>), crate::openapi::ApiErrors)
)]
pub async fn search_name(
    State(state): State<AppState>,
    Scoped { company, .. }: Scoped<Read>,
    KJson(req): KJson<TargetGroupByNameRequest>,
) -> ApiResult<Json<Envelope<Paged<TargetGroupSearchView>>>> {
    let name = req.group_name.unwrap_or_default();
    let search = SearchRequest {
        filter: (!name.trim().is_empty()).then(|| {
            Filter::and_or(
                vec![FilterItem::new("Name", "Contains", name.trim())],
                vec![],
            )
        }),
        page_number: req.page_number,
        page_size: req.page_size,
        order_by: req.order_by,
        ascending: req.ascending,
        ..Default::default()
    };
    let page = group_page(&state, &company, &search, None, None).await?;
    Ok(Json(Envelope::success(page)))
}

// `POST /api/target-groups/{resourceId}/users`.
/// Search a group's members
///
/// A target-user search over the group's members: the same rows, filter fields (listed below),
/// sorting and paging as `POST /api/target-users/search`. With `excludeGroupUsers: true`, it
/// searches the company's live target users who are not members instead, to pick users to add. A
/// group of another company is 404; an unknown field or operator is 400 naming the valid ones.
/// Reseller or Company Admin, in the company named by `X-KEEPNET-Company-Id` (a Reseller: its own
/// or any below it; a Company Admin: its own) or, without it, the caller's own.
#[utoipa::path(
    post, path = "/api/target-groups/{resourceId}/users", operation_id = "searchTargetGroupUsers", tag = "TargetGroup", params(crate::openapi::ResourceId, crate::openapi::Scope),
    request_body(content = SearchRequest, example = json!(member_search_example(false))),
    responses((status = 200, description = "One page of target users", body = Envelope<Paged<TargetUserSearchView>>), crate::openapi::ApiErrors)
)]
pub async fn users(
    State(state): State<AppState>,
    Scoped { company, .. }: Scoped<Read>,
    Path(id): Path<String>,
    KJson(req): KJson<SearchRequest>,
) -> ApiResult<Json<Envelope<Paged<TargetUserSearchView>>>> {
    let group = group_of(&state, company.id, &id).await?;
    let (mut spec, paging, context) = target_user_search(&state, &req, &company).await?;
    let within = members_of(&group, req.exclude_group_users.unwrap_or(false));
    spec.cond = Cond::All(vec![within, spec.cond]);
    let (total, users) = state.store.search_target_users(company.id, &spec).await?;
    let mut rows: Vec<TargetUserSearchView> = users.iter().map(search_view).collect();
    crate::routes::allow_list::mark_search_rows(&state, &context, company.id, &mut rows).await?;
    user_extras::fill_rows(&state, &context, &users, &mut rows).await?;
    Ok(paging.reply(total, rows))
}

/// The group's members, or with `outside` the company's live users who are not members.
fn members_of(group: &TargetGroup, outside: bool) -> Cond {
    let member = Cond::Cmp {
        column: fields::GROUP_MEMBER,
        op: if outside { CmpOp::Ne } else { CmpOp::Eq },
        value: Val::Int(group.id),
    };
    if !outside {
        return member;
    }
    // Members are live users; so are the users outside a group.
    Cond::All(vec![
        member,
        Cond::Cmp {
            column: "is_deleted",
            op: CmpOp::Eq,
            value: Val::Bool(false),
        },
    ])
}

/// The member export, as a kind: its file `Target Group Users.csv`, `.xlsx` or `.pdf`.
pub struct TargetGroupUsersFile;

impl ExportKind for TargetGroupUsersFile {
    const TITLE: &'static str = "Target Group Users";
    const ENTITY: Entity = Entity::TargetUser;
    const NOUN: (&'static str, &'static str) = ("target user", "target users");
}

// `POST /api/target-groups/{resourceId}/users/export`.
/// Export a group's members
///
/// The members a search selects (or, with `excludeGroupUsers: true`, the company's live users
/// outside the group) as a file with the columns of the target-user export: `exportType` `CSV`,
/// `Excel` or `PDF` (any case; required), the requested page or, with `reportAllPages: true`, every
/// match, in the search's order. The file is `Target Group Users.csv` (`.xlsx`, `.pdf`), and the
/// export is recorded in the audit log. Errors come before the file starts, as the JSON envelope: a
/// missing or unknown `exportType` or a bad filter is 400, a group of another company 404. Reseller
/// or Company Admin, scoped as the member search.
#[utoipa::path(
    post, path = "/api/target-groups/{resourceId}/users/export", operation_id = "exportTargetGroupUsers", tag = "TargetGroup", params(crate::openapi::ResourceId, crate::openapi::Scope, ExportOptions),
    request_body(content = SearchRequest, example = json!(member_search_example(true))),
    responses(crate::openapi::ExportFile<TargetGroupUsersFile>)
)]
pub async fn users_export(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ExportRequest {
        record,
        search,
        options,
        ..
    }: ExportRequest<TargetGroupUsersFile>,
) -> ApiResult<Response> {
    let group = group_of(&state, record.company.id, &id).await?;
    let within = members_of(&group, search.exclude_group_users.unwrap_or(false));
    crate::routes::target_users::export_users(
        &state,
        record,
        &search,
        &options,
        Some(within),
        TargetGroupUsersFile::TITLE,
    )
    .await
}

/// Columns of the group export, in order.
pub const EXPORT_COLUMNS: &[&str] = &[
    "Name",
    "Priority",
    "Users",
    "Users With Phone Number",
    "Created",
    "Updated",
    "Resource Id",
];

fn cells(g: &TargetGroup) -> Vec<Cell> {
    vec![
        Cell::Text(g.fields.name.clone()),
        Cell::Text(priority_name(g.fields.priority).to_owned()),
        Cell::Int(Some(g.user_count)),
        Cell::Int(Some(g.user_count_with_phone)),
        Cell::Time(Some(g.create_time)),
        Cell::Time(Some(g.update_time)),
        Cell::Text(g.resource_id.clone()),
    ]
}

/// The group export, as a kind: its file `Target Groups.csv`, `.xlsx` or `.pdf`.
pub struct TargetGroupsFile;

impl ExportKind for TargetGroupsFile {
    const TITLE: &'static str = "Target Groups";
    const ENTITY: Entity = Entity::TargetGroup;
    const NOUN: (&'static str, &'static str) = ("target group", "target groups");
}

// `POST /api/target-groups/search/export`.
/// Export target groups
///
/// The groups a search selects, as a file: `exportType` `CSV`, `Excel` or `PDF` (any case;
/// required), the requested page or, with `reportAllPages: true`, every match, in the search's
/// order. The columns are Name, Priority, Users, Users With Phone Number, Created, Updated and
/// Resource Id; the file is `Target Groups.csv` (`.xlsx`, `.pdf`), and the export is recorded in
/// the audit log. Errors come before the file starts, as the JSON envelope: a missing or unknown
/// `exportType`, a bad filter, or a PDF of more than 5,000 rows is 400. Reseller or Company Admin,
/// scoped as the search.
#[utoipa::path(
    post, path = "/api/target-groups/search/export", operation_id = "exportTargetGroups", tag = "TargetGroup", params(crate::openapi::Scope, ExportOptions),
    request_body(content = SearchRequest, example = json!(group_search_example(true))),
    responses(crate::openapi::ExportFile<TargetGroupsFile>)
)]
pub async fn export(
    State(state): State<AppState>,
    request: ExportRequest<TargetGroupsFile>,
) -> ApiResult<Response> {
    let store = &state.store;
    // Groups are counted in the hundreds, not the millions: one query reads them.
    let read = |company_id, spec| async move {
        Ok(store.search_target_groups(company_id, &spec, None).await?.1)
    };
    let list = (&fields::TARGET_GROUPS, EXPORT_COLUMNS);
    files::export_read(&state, request, list, read, cells).await
}

/// Adds users to groups: by id, or with `selectAll` every live user the filter selects less
/// `excludedResourceIdList`.
async fn add_users(
    state: &AppState,
    scoped: &Scoped<Write>,
    groups: &[TargetGroup],
    req: AddGroupUsersRequest,
) -> ApiResult<Json<Envelope<Vec<GroupUsersChange>>>> {
    let company = &scoped.company;
    let users = if req.select_all.unwrap_or(false) {
        let search = SearchRequest {
            filter: req.filter,
            ..Default::default()
        };
        let spec = target_user_filter_now(state, &search, company).await?;
        MemberSelection::AllExcept {
            cond: spec.cond,
            excluded: req.excluded_resource_id_list.unwrap_or_default(),
        }
    } else {
        let ids = req.target_user_resource_ids.unwrap_or_default();
        if ids.is_empty() {
            return Err(ApiError::bad_request(
                "name the users to add in targetUserResourceIds, or send selectAll: true with a filter",
            ));
        }
        MemberSelection::Ids(live_user_ids(state, company.id, &ids).await?)
    };
    let before: Vec<i64> = groups.iter().map(|g| g.user_count).collect();
    let added = state
        .store
        .add_target_group_members(company.id, groups, &users, &audit::actor(&scoped.caller))
        .await?;
    let ids: Vec<String> = groups.iter().map(|g| g.resource_id.clone()).collect();
    let after = state
        .store
        .target_groups_by_resource_ids(company.id, &ids)
        .await?;
    let rows: Vec<GroupUsersChange> = groups
        .iter()
        .zip(before)
        .map(|(g, was)| {
            let now = after
                .iter()
                .find(|a| a.id == g.id)
                .map_or(was, |a| a.user_count);
            GroupUsersChange {
                target_group_resource_id: g.resource_id.clone(),
                added_user_count: now - was,
                user_count: now,
            }
        })
        .collect();
    let message = format!(
        "{} added to {}.",
        rollcall_store::audit::count_of(added, "membership", "memberships"),
        rollcall_store::audit::count_of(
            u64::try_from(groups.len()).unwrap_or(0),
            "group",
            "groups"
        )
    );
    Ok(Json(Envelope::done(rows, message)))
}

// `PUT /api/target-groups/users` (Keepnet's `CreateTargetGroupUsersRequest`).
/// Add users to groups
///
/// Adds target users to every group in `targetGroupResourceIds`: the users in
/// `targetUserResourceIds` (at most 1,000), or, with `selectAll: true`, every live user the
/// target-user `filter` selects less `excludedResourceIdList`. Users already in a group are
/// skipped; a deleted user is 409, and a user or group of another company 404. All groups or none.
/// Answers, per group, the users added and its members now. Reseller or Company Admin: a Reseller
/// must name the company in `X-KEEPNET-Company-Id` (400 without it), a Company Admin acts on its
/// own.
#[utoipa::path(
    put, path = "/api/target-groups/users", operation_id = "addTargetGroupUsers", tag = "TargetGroup", params(crate::openapi::Scope),
    request_body = AddGroupUsersRequest,
    responses((status = 200, description = "Per group, the users added and its members now", body = Envelope<Vec<GroupUsersChange>>), crate::openapi::ApiErrors)
)]
pub async fn add_to_groups(
    State(state): State<AppState>,
    scoped: Scoped<Write>,
    KJson(mut req): KJson<AddGroupUsersRequest>,
) -> ApiResult<Json<Envelope<Vec<GroupUsersChange>>>> {
    let ids = req.target_group_resource_ids.take().unwrap_or_default();
    if ids.is_empty() {
        return Err(ApiError::bad_request(
            "name the groups to add users to in targetGroupResourceIds",
        ));
    }
    let groups = user_extras::resolve_groups(&state, scoped.company.id, &ids).await?;
    add_users(&state, &scoped, &groups, req).await
}

// `PUT /api/target-groups/{resourceId}/users`: Keepnet's UI calls it; not in the published
// spec.
/// Add users to a group
///
/// Adds target users to the group in the path, with the body of `PUT /api/target-groups/users`
/// (groups named in it are ignored): the users in `targetUserResourceIds` (at most 1,000), or, with
/// `selectAll: true`, every live user the target-user `filter` selects less
/// `excludedResourceIdList`. Users already in the group are skipped; a deleted user is 409, and a
/// user or group of another company 404. Answers the users added and the group's members now.
/// Reseller or Company Admin: a Reseller must name the company in `X-KEEPNET-Company-Id` (400
/// without it), a Company Admin acts on its own.
#[utoipa::path(
    put, path = "/api/target-groups/{resourceId}/users", operation_id = "addUsersToTargetGroup", tag = "TargetGroup", params(crate::openapi::ResourceId, crate::openapi::Scope),
    request_body(content = AddGroupUsersRequest, example = json!({
        "selectAll": true,
        "filter": {"condition": "AND", "filterGroups": [{"condition": "AND", "filterItems": [
            {"fieldName": "Department", "operator": "Contains", "value": "Finance"}
        ]}]},
        "excludedResourceIdList": ["Tu3nR8sLc2Vd"]
    })),
    responses((status = 200, description = "The users added and the group's members now", body = Envelope<Vec<GroupUsersChange>>), crate::openapi::ApiErrors)
)]
pub async fn add_to_group(
    State(state): State<AppState>,
    scoped: Scoped<Write>,
    Path(id): Path<String>,
    KJson(req): KJson<AddGroupUsersRequest>,
) -> ApiResult<Json<Envelope<Vec<GroupUsersChange>>>> {
    let groups = user_extras::resolve_groups(&state, scoped.company.id, &[id]).await?;
    add_users(&state, &scoped, &groups, req).await
}

// `DELETE /api/target-groups/{resourceId}/users`.
/// Remove users from a group
///
/// Takes the users in `targetUserResourceIds` (at most 1,000) out of the group; they stay in the
/// company, and users that were not members count nothing (`message` says how many left). A user or
/// group of another company is 404. Reseller or Company Admin: a Reseller must name the company in
/// `X-KEEPNET-Company-Id` (400 without it), a Company Admin acts on its own.
#[utoipa::path(
    delete, path = "/api/target-groups/{resourceId}/users", operation_id = "removeTargetGroupUsers", tag = "TargetGroup", params(crate::openapi::ResourceId, crate::openapi::Scope),
    request_body = RemoveGroupUsersRequest,
    responses((status = 200, description = "The group's resource id", body = Envelope<IdResult>), crate::openapi::ApiErrors)
)]
pub async fn remove_users(
    State(state): State<AppState>,
    Scoped {
        caller, company, ..
    }: Scoped<Write>,
    Path(id): Path<String>,
    KJson(req): KJson<RemoveGroupUsersRequest>,
) -> ApiResult<Json<Envelope<IdResult>>> {
    let group = group_of(&state, company.id, &id).await?;
    let ids = req.target_user_resource_ids.unwrap_or_default();
    if ids.is_empty() {
        return Err(ApiError::bad_request(
            "name the users to remove in targetUserResourceIds",
        ));
    }
    let user_ids: Vec<i64> = named_users(&state, company.id, &ids)
        .await?
        .iter()
        .map(|u| u.id)
        .collect();
    let n = state
        .store
        .remove_target_group_members(company.id, &group, &user_ids, &audit::actor(&caller))
        .await?;
    Ok(written(
        group.resource_id,
        format!(
            "{} removed from the group.",
            rollcall_store::audit::count_of(n, "target user", "target users")
        ),
    ))
}

// `POST /api/target-users/{resourceId}/groups`: Keepnet's spec types the rows as target users,
// which is taken for a spec error (REFERENCE.md C.9).
/// Search a target user's groups
///
/// One page of the target groups the user belongs to, as group search rows (each with
/// `isSelected: true`), filtered and sorted on the fields listed below, newest first by default. A
/// user of another company is 404. Reseller or Company Admin, in the company named by
/// `X-KEEPNET-Company-Id` (a Reseller: its own or any below it; a Company Admin: its own) or,
/// without it, the caller's own.
#[utoipa::path(
    post, path = "/api/target-users/{resourceId}/groups", operation_id = "searchTargetUserGroups", tag = "TargetUser", params(crate::openapi::ResourceId, crate::openapi::Scope),
    request_body(content = SearchRequest, example = json!(group_search_example(false))),
    responses((status = 200, description = "One page of the user's groups", body = Envelope<Paged<TargetGroupSearchView>>), crate::openapi::ApiErrors)
)]
pub async fn of_user(
    State(state): State<AppState>,
    Scoped { company, .. }: Scoped<Read>,
    Path(id): Path<String>,
    KJson(req): KJson<SearchRequest>,
) -> ApiResult<Json<Envelope<Paged<TargetGroupSearchView>>>> {
    let user = state
        .store
        .target_user(company.id, &id)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(format!("target user '{id}' was not found in this company"))
        })?;
    let mut page = group_page(&state, &company, &req, None, Some(user.id)).await?;
    for row in &mut page.results {
        row.is_selected = true;
    }
    Ok(Json(Envelope::success(page)))
}

/// Entries counting `count` of `traits` per value `key` gives, as `status`, in order.
fn breakdown<K: Ord + Into<String>>(
    traits: &[MemberTraits],
    key: impl Fn(&MemberTraits) -> K,
) -> Vec<TargetGroupUserCountDetailDto> {
    let mut counts = std::collections::BTreeMap::new();
    for t in traits {
        *counts.entry(key(t)).or_insert(0) += t.count;
    }
    counts
        .into_iter()
        .map(|(k, count)| TargetGroupUserCountDetailDto {
            status: Some(k.into()),
            count,
            ..Default::default()
        })
        .collect()
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

/// The count detail of the distinct live members of `ids`' groups: one entry per status.
async fn count_detail(
    state: &AppState,
    company: &Company,
    ids: &[String],
) -> ApiResult<Vec<TargetGroupUserCountDetailDto>> {
    if ids.is_empty() {
        return Err(ApiError::bad_request(
            "name the groups to count in the body (their resource ids)",
        ));
    }
    let groups = user_extras::resolve_groups(state, company.id, ids).await?;
    let group_ids: Vec<i64> = groups.iter().map(|g| g.id).collect();
    let traits = state.store.member_breakdown(company.id, &group_ids).await?;
    let company_language = company
        .fields
        .preferred_language_id
        .clone()
        .unwrap_or_default();
    let names = groups
        .iter()
        .map(|g| g.fields.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let mut out = Vec::new();
    for (status, active) in [("Active", true), ("Inactive", false)] {
        let of: Vec<MemberTraits> = traits
            .iter()
            .filter(|t| t.is_active == active)
            .cloned()
            .collect();
        out.push(TargetGroupUserCountDetailDto {
            status: Some(status.to_owned()),
            company_preferred_language: (!company_language.is_empty())
                .then(|| rollcall_store::catalog::language_display(&company_language).to_owned()),
            count: of.iter().map(|t| t.count).sum(),
            domain_allow_list: Some(breakdown(&of, |t| {
                if t.domain_verified {
                    "Verified"
                } else {
                    "Unverified"
                }
            })),
            has_phone_number: Some(breakdown(&of, |t| yes_no(t.has_phone))),
            has_preferred_language: Some(breakdown(&of, |t| {
                yes_no(!t.preferred_language_id.is_empty())
            })),
            has_company_preferred_language: Some(breakdown(&of, |t| {
                yes_no(!company_language.is_empty() && t.preferred_language_id == company_language)
            })),
            target_group_name: Some(names.clone()),
            time_zone: Some(breakdown(&of, |t| t.time_zone_id.clone())),
            has_random_language: Some(vec![]),
        });
    }
    Ok(out)
}

// `POST /api/target-groups/targetgroupusercountdetail`.
/// Count who groups would reach
///
/// Counts who a campaign to the groups listed in the body (a JSON list of group resource ids) would
/// reach: the distinct live members, a user in several of the groups once. Answers two entries,
/// `Active` and `Inactive`, each with its `count`, the groups' names, the company's language, and
/// breakdowns whose entries name the value counted in `status`: `hasPhoneNumber`,
/// `hasPreferredLanguage` and `hasCompanyPreferredLanguage` (`True` / `False`), `domainAllowList`
/// (`Verified` / `Unverified`: the email's domain on the company's allowed domains) and `timeZone`
/// (per zone id, `""` for none); `hasRandomLanguage` is always empty. An empty list is 400; a group
/// of another company is 404. Reseller or Company Admin, in the company named by
/// `X-KEEPNET-Company-Id` (a Reseller: its own or any below it; a Company Admin: its own) or,
/// without it, the caller's own.
#[utoipa::path(
    post, path = "/api/target-groups/targetgroupusercountdetail", operation_id = "getTargetGroupUserCountDetail", tag = "TargetGroup", params(crate::openapi::Scope),
    request_body(content = Vec<String>, example = json!(["Tg7KmQ2xWp4Z"])),
    responses((status = 200, description = "Per status, the members and their breakdowns", body = Envelope<Vec<TargetGroupUserCountDetailDto>>), crate::openapi::ApiErrors)
)]
pub async fn count_detail_by_ids(
    State(state): State<AppState>,
    Scoped { company, .. }: Scoped<Read>,
    KJson(ids): KJson<Vec<String>>,
) -> ApiResult<Json<Envelope<Vec<TargetGroupUserCountDetailDto>>>> {
    Ok(Json(Envelope::success(
        count_detail(&state, &company, &ids).await?,
    )))
}

// `POST /api/target-groups/targetgroupusercountdetailext`.
/// Count who groups would reach (campaign form)
///
/// As `POST /api/target-groups/targetgroupusercountdetail`, with the groups in
/// `targetGroupResourceIds`. The scenario, category and language fields of Keepnet's campaign form
/// are accepted and ignored, as rollcall sends no campaigns. An empty list is 400; a group of
/// another company is 404. Reseller or Company Admin, in the company named by
/// `X-KEEPNET-Company-Id` (a Reseller: its own or any below it; a Company Admin: its own) or,
/// without it, the caller's own.
#[utoipa::path(
    post, path = "/api/target-groups/targetgroupusercountdetailext", operation_id = "getTargetGroupUserCountDetailExt", tag = "TargetGroup", params(crate::openapi::Scope),
    request_body = TargetGroupUserCountDetailRequest,
    responses((status = 200, description = "Per status, the members and their breakdowns", body = Envelope<Vec<TargetGroupUserCountDetailDto>>), crate::openapi::ApiErrors)
)]
pub async fn count_detail_ext(
    State(state): State<AppState>,
    Scoped { company, .. }: Scoped<Read>,
    KJson(req): KJson<TargetGroupUserCountDetailRequest>,
) -> ApiResult<Json<Envelope<Vec<TargetGroupUserCountDetailDto>>>> {
    let ids = req.target_group_resource_ids.unwrap_or_default();
    Ok(Json(Envelope::success(
        count_detail(&state, &company, &ids).await?,
    )))
}
