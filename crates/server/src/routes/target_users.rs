//! `/api/target-users`: create, read, update, delete, search, bulk delete and the count summary.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::Json;
use rollcall_store::audit::count_of;
use rollcall_store::query::{month_of, parse_filter_in, Cond};
use rollcall_store::{
    fields, priority_name, BulkSelection, Company, CustomField, CustomFieldType, ExportExtras,
    ExportedUser, SearchSpec, TargetUser, TargetUserFields, UserLinks, WriteOutcome,
};
use rollcall_types::target_user::{
    BulkDeleteRequest, BulkDeleteResult, ByResourceIdsRequest, CountSummaryDto, MonthlyCount,
    SearchEmailRequest, TargetUserDto, TargetUserEmailDto, TargetUserInput, TargetUserSearchView,
};
use rollcall_types::{Envelope, IdResult, Paged, SearchRequest};

use crate::audit::{self, ExportRecord};
use crate::auth::caller::Caller;
use crate::auth::lookups::CompanyContext;
use crate::error::{ApiError, ApiResult};
use crate::export::{self, Cell, ExportOptions, Format, Report};
use crate::extract::KJson;
use crate::paging::Paging;
use crate::replica::reading;
use crate::routes::files::{self, FileKind};
use crate::routes::files::{ExportKind, ExportRequest};
use crate::routes::user_extras;
use crate::routes::written;
use crate::scope::{Read, Scoped, Write};
use crate::state::AppState;
use crate::time::{millis_to_time, now_millis};
use crate::validate;
use axum::response::Response;
use rollcall_store::Entity;
use serde::Deserialize;

/// Parses a target-user search body, for a request scoped to `company`, into the store's
/// query: the built-in fields and the company's active custom fields. Shared with export.
/// Also returns the company's context (its custom field definitions and what else its rows
/// can show), read once for the rows too.
pub async fn target_user_search(
    state: &AppState,
    req: &SearchRequest,
    company: &Company,
) -> ApiResult<(SearchSpec, Paging, Arc<CompanyContext>)> {
    parse_user_search(state, req, company, false).await
}

/// [`target_user_search`] for a write that selects users by a filter: the company's fields as
/// stored now, never a kept copy (docs/api.md: writes act on the company as stored now).
pub async fn target_user_filter_now(
    state: &AppState,
    req: &SearchRequest,
    company: &Company,
) -> ApiResult<SearchSpec> {
    Ok(parse_user_search(state, req, company, true).await?.0)
}

async fn parse_user_search(
    state: &AppState,
    req: &SearchRequest,
    company: &Company,
    now: bool,
) -> ApiResult<(SearchSpec, Paging, Arc<CompanyContext>)> {
    let parse = |context: &CompanyContext| {
        let fields = fields::TARGET_USERS.with_extra(user_extras::custom_specs(&context.fields));
        crate::routes::search_spec(state, req, &fields, company)
    };
    let (context, kept) = user_extras::company_context(state, company.id, now).await?;
    match parse(&context) {
        Ok((spec, paging)) => Ok((spec, paging, context)),
        // A field made through another replica in the last second is not in a kept copy yet.
        Err(_) if kept => {
            let (context, _) = user_extras::company_context(state, company.id, true).await?;
            let (spec, paging) = parse(&context)?;
            Ok((spec, paging, context))
        }
        Err(e) => Err(e),
    }
}

fn opt(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

fn manager_full_name(f: &TargetUserFields) -> Option<String> {
    opt(&f.manager_full_name())
}

/// A user as a search row; `isDomainVerified` is left false for
/// [`crate::routes::allow_list::mark_search_rows`] to set from the company's allow-list.
pub fn search_view(u: &TargetUser) -> TargetUserSearchView {
    let f = &u.fields;
    TargetUserSearchView {
        resource_id: u.resource_id.clone(),
        email: f.email.clone(),
        first_name: opt(&f.first_name),
        last_name: opt(&f.last_name),
        department: opt(&f.department),
        priority: priority_name(f.priority).to_owned(),
        status: if f.is_active { "Active" } else { "Inactive" }.to_owned(),
        custom_field_values: vec![],
        create_time: millis_to_time(u.create_time).unwrap_or_default(),
        update_time: millis_to_time(u.update_time),
        is_editable: !u.is_deleted,
        scim_setting_name: None,
        ldap_config_name: None,
        phone_number: opt(&f.phone_number),
        time_zone: opt(&f.time_zone_id),
        preferred_language: opt(rollcall_store::catalog::language_display(
            &f.preferred_language_id,
        )),
        is_deleted: u.is_deleted,
        manager_full_name: manager_full_name(f),
        manager_email: opt(&f.manager_email),
        is_domain_verified: false,
        target_groups: vec![],
    }
}

fn dto(u: &TargetUser) -> TargetUserDto {
    let f = &u.fields;
    TargetUserDto {
        resource_id: u.resource_id.clone(),
        email: f.email.clone(),
        first_name: opt(&f.first_name),
        last_name: opt(&f.last_name),
        department: opt(&f.department),
        priority: priority_name(f.priority).to_owned(),
        is_active: f.is_active,
        is_deleted: u.is_deleted,
        custom_field_values: vec![],
        phone_number: opt(&f.phone_number),
        time_zone_id: opt(&f.time_zone_id),
        preferred_language_id: opt(&f.preferred_language_id),
        manager_first_name: opt(&f.manager_first_name),
        manager_last_name: opt(&f.manager_last_name),
        manager_email: opt(&f.manager_email),
        manager_full_name: manager_full_name(f),
        create_time: millis_to_time(u.create_time).unwrap_or_default(),
        update_time: millis_to_time(u.update_time),
        target_groups: vec![],
    }
}

/// Merges `input` over `base` (create: defaults; update: the stored user) and validates it.
/// Fields left out (or null) keep their value; an empty string clears an optional field.
fn user_fields(
    input: TargetUserInput,
    base: Option<&TargetUserFields>,
) -> ApiResult<TargetUserFields> {
    validate::check_user_fields(input, base)
        .map_err(|list| ApiError::validation(list.into_iter().map(|p| p.message).collect()))
}

/// `POST /api/target-users`: creates a user in the scoped company.
#[utoipa::path(
    post, path = "/api/target-users", operation_id = "createTargetUser", tag = "TargetUser", params(crate::openapi::Scope),
    summary = "Create a target user",
    description = "Adds an employee to a company, to receive simulations and training. Only `email` is \
        required; `priority` defaults to `Medium` and `isActive` to true, \
        `targetGroupResourceIds` puts the user in those groups and `customFields` sets the \
        company's custom field values. A Reseller must name the company, its own or one below \
        it, in `X-KEEPNET-Company-Id` (without it the write is a 400); a Company Admin acts on \
        its own company. The email must be unique among the company's live users, in any case: a \
        duplicate is a 409 that names the existing user's resource id. A group that is not the \
        company's is a 404; invalid fields (email, lengths, time zone, language, priority, a \
        custom value of the wrong type) are a 400 listing each problem in `validationMessages`.",
    request_body = TargetUserInput,
    responses((status = 200, description = "The new user's resource id", body = Envelope<IdResult>), crate::openapi::ApiErrors)
)]
pub async fn create(
    State(state): State<AppState>,
    Scoped {
        caller, company, ..
    }: Scoped<Write>,
    KJson(input): KJson<TargetUserInput>,
) -> ApiResult<Json<Envelope<IdResult>>> {
    let (fields, links) = checked_body(&state, company.id, input, None).await?;
    let user = state
        .store
        .insert_target_user(
            company.id,
            &fields,
            now_millis(),
            &links.links(),
            &audit::actor(&caller),
        )
        .await?;
    Ok(written(user.resource_id, "Target user created."))
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("target user '{id}' was not found in this company"))
}

/// The groups and custom values a create or update body names, as the company knows them.
struct BodyLinks {
    groups: Option<Vec<i64>>,
    custom: Vec<rollcall_store::CustomValue>,
}

impl BodyLinks {
    fn links(&self) -> UserLinks<'_> {
        UserLinks {
            groups: self.groups.as_deref(),
            custom_values: &self.custom,
            ..UserLinks::default()
        }
    }
}

/// A create (`base` none) or update body checked against the company: the user's fields
/// first, so that their problems are reported before an unknown custom field or group.
async fn checked_body(
    state: &AppState,
    company_id: i64,
    mut input: TargetUserInput,
    base: Option<&TargetUserFields>,
) -> ApiResult<(TargetUserFields, BodyLinks)> {
    let groups = input.target_group_resource_ids.take();
    let custom = input.custom_fields.take();
    let fields = user_fields(input, base)?;
    let creating = base.is_none();
    let custom = user_extras::user_values(state, company_id, custom, creating).await?;
    let groups = user_extras::group_ids(state, company_id, groups).await?;
    Ok((fields, BodyLinks { groups, custom }))
}

/// `GET /api/target-users/{resourceId}`.
#[utoipa::path(
    get, path = "/api/target-users/{resourceId}", operation_id = "getTargetUser", tag = "TargetUser", params(crate::openapi::ResourceId, crate::openapi::Scope),
    summary = "Get a target user",
    description = "One user of the company, deleted ones included (`isDeleted`), with its custom field \
        values and target groups. A Reseller may name its own company or any below it in \
        `X-KEEPNET-Company-Id`; a Company Admin reads its own company, which is also the \
        default. A user of another company is a 404.",
    responses((status = 200, description = "The target user", body = Envelope<TargetUserDto>), crate::openapi::ApiErrors)
)]
pub async fn get(
    State(state): State<AppState>,
    Scoped {
        caller, company, ..
    }: Scoped<Read>,
    Path(id): Path<String>,
) -> ApiResult<Json<Envelope<TargetUserDto>>> {
    let (company, id) = (&company, &id);
    reading(&state, &caller, |state| async move {
        let user = state
            .store
            .target_user(company.id, id)
            .await?
            .ok_or_else(|| not_found(id))?;
        Ok(Json(Envelope::success(
            full_dto(&state, company.id, &user).await?,
        )))
    })
    .await
}

/// A user as `GET /api/target-users/{id}` shows it: with its custom field values and groups.
async fn full_dto(
    state: &AppState,
    company_id: i64,
    user: &TargetUser,
) -> ApiResult<TargetUserDto> {
    let mut one = dto(user);
    let defs = state.store.custom_fields(company_id).await?;
    let mut values = user_extras::values_of(state, &defs, &[user]).await?;
    one.custom_field_values = values.remove(&user.id).unwrap_or_default();
    one.target_groups = user_extras::groups_of(state, &[user])
        .await?
        .remove(&user.id)
        .unwrap_or_default();
    Ok(one)
}

/// `PUT /api/target-users/{resourceId}`.
#[utoipa::path(
    put, path = "/api/target-users/{resourceId}", operation_id = "updateTargetUser", tag = "TargetUser", params(crate::openapi::ResourceId, crate::openapi::Scope),
    summary = "Update a target user",
    description = "Changes the fields sent: fields left out or null keep their value, and an empty string \
        clears an optional field. `targetGroupResourceIds` makes the user's groups exactly those \
        (`[]` takes it out of every group); left out, they stay. A Reseller must name the \
        company, its own or one below it, in `X-KEEPNET-Company-Id` (without it the write is a \
        400); a Company Admin acts on its own company. A deleted user cannot be edited (409), \
        and the email cannot become another live user's (409 naming that user); invalid fields \
        are a 400 listing each problem.",
    request_body(content = TargetUserInput, example = json!({"department": "Sales EMEA", "priority": "High"})),
    responses((status = 200, description = "The updated user's resource id", body = Envelope<IdResult>), crate::openapi::ApiErrors)
)]
pub async fn update(
    State(state): State<AppState>,
    Scoped {
        caller, company, ..
    }: Scoped<Write>,
    Path(id): Path<String>,
    KJson(input): KJson<TargetUserInput>,
) -> ApiResult<Json<Envelope<IdResult>>> {
    let current = state
        .store
        .target_user(company.id, &id)
        .await?
        .ok_or_else(|| not_found(&id))?;
    if current.is_deleted {
        return Err(ApiError::conflict(format!(
            "target user '{id}' is deleted and cannot be edited"
        )));
    }
    let (fields, links) = checked_body(&state, company.id, input, Some(&current.fields)).await?;
    let outcome = state
        .store
        .update_target_user(
            company.id,
            &id,
            &fields,
            &links.links(),
            &audit::actor(&caller),
        )
        .await?;
    reply(
        outcome,
        &id,
        "Target user updated.",
        "is deleted and cannot be edited",
    )
}

/// `DELETE /api/target-users/{resourceId}`: soft delete.
#[utoipa::path(
    delete, path = "/api/target-users/{resourceId}", operation_id = "deleteTargetUser", tag = "TargetUser", params(crate::openapi::ResourceId, crate::openapi::Scope),
    summary = "Delete a target user",
    description = "A soft delete: the user keeps its row with `isDeleted: true`, is still listed by \
        searches (filter on `IsDeleted` to leave it out) and no longer counts toward the \
        licence; its email may be used again. A Reseller must name the company, its own or one \
        below it, in `X-KEEPNET-Company-Id` (without it the write is a 400); a Company Admin \
        acts on its own company. A user already deleted is a 409, an unknown one a 404.",
    responses((status = 200, description = "The deleted user's resource id", body = Envelope<IdResult>), crate::openapi::ApiErrors)
)]
pub async fn delete(
    State(state): State<AppState>,
    Scoped {
        caller, company, ..
    }: Scoped<Write>,
    Path(id): Path<String>,
) -> ApiResult<Json<Envelope<IdResult>>> {
    let outcome = state
        .store
        .delete_target_user(company.id, &id, &audit::actor(&caller))
        .await?;
    reply(outcome, &id, "Target user deleted.", "is already deleted")
}

/// The reply to a write of user `id`: its resource id and `done`; 404 for a user the company
/// does not have, 409 (`target user 'ID' ` and `deleted`) for a deleted one.
fn reply(
    outcome: WriteOutcome,
    id: &str,
    done: &str,
    deleted: &str,
) -> ApiResult<Json<Envelope<IdResult>>> {
    match outcome {
        WriteOutcome::Done(u) => Ok(written(u.resource_id, done)),
        WriteOutcome::NotFound => Err(not_found(id)),
        WriteOutcome::Deleted => Err(ApiError::conflict(format!("target user '{id}' {deleted}"))),
    }
}

/// `POST /api/target-users/{resourceId}/restore`: rollcall's own; Keepnet documents no way back
/// from a soft delete (docs/api.md, "Restoring deleted users").
#[utoipa::path(
    post, path = "/api/target-users/{resourceId}/restore", operation_id = "restoreTargetUser", tag = "TargetUser", params(crate::openapi::ResourceId, crate::openapi::Scope),
    summary = "Restore a deleted target user (rollcall only)",
    description = "Brings a soft-deleted user back with the fields and status it had, so it counts \
        toward the licence again; it is in no target group (deleting took it out of them) and \
        keeps its resource id. Restoring a user that is not deleted changes nothing and answers \
        the user. A Reseller must name the company, its own or one below it, in \
        `X-KEEPNET-Company-Id`; a Company Admin acts on its own company. When another live user \
        of the company has the email now, the answer is a 409 naming that user: change or \
        delete it first. This endpoint is rollcall's own; Keepnet's API has none like it.",
    responses((status = 200, description = "The restored user", body = Envelope<TargetUserDto>), crate::openapi::ApiErrors)
)]
pub async fn restore(
    State(state): State<AppState>,
    Scoped {
        caller, company, ..
    }: Scoped<Write>,
    Path(id): Path<String>,
) -> ApiResult<Json<Envelope<TargetUserDto>>> {
    match state
        .store
        .restore_target_user(company.id, &id, &audit::actor(&caller))
        .await?
    {
        WriteOutcome::Done(u) => Ok(Json(Envelope::success(
            full_dto(&state, company.id, &u).await?,
        ))),
        WriteOutcome::NotFound | WriteOutcome::Deleted => Err(not_found(&id)),
    }
}

/// Most ids accepted by the by-id and bulk endpoints.
const MAX_IDS: usize = 10_000;

/// `DELETE /api/target-users/bulk-delete`: `items`, or `selectAll` with `excludedItems` and
/// `filter` (the list's current filter).
#[utoipa::path(
    delete, path = "/api/target-users/bulk-delete", operation_id = "bulkDeleteTargetUsers", tag = "TargetUser", params(crate::openapi::Scope),
    summary = "Delete target users in bulk",
    description = "Soft-deletes the users named in `items` (at most 10,000), or with `selectAll: true` \
        every live user `filter` selects (the fields below) except `excludedItems`, in one \
        transaction, and answers how many it deleted in `deletedCount`. A Reseller must name the \
        company, its own or one below it, in `X-KEEPNET-Company-Id` (without it the write is a \
        400); a Company Admin acts on its own company. A body with neither `items` nor `selectAll` is a 400. \
        A filter whose items all have empty values selects every live user, as the list it came \
        from showed them.",
    request_body = BulkDeleteRequest,
    responses((status = 200, description = "How many users were deleted", body = Envelope<BulkDeleteResult>), crate::openapi::ApiErrors)
)]
pub async fn bulk_delete(
    State(state): State<AppState>,
    Scoped {
        caller, company, ..
    }: Scoped<Write>,
    KJson(req): KJson<BulkDeleteRequest>,
) -> ApiResult<Json<Envelope<BulkDeleteResult>>> {
    let selection = if req.select_all.unwrap_or(false) {
        let display = crate::paging::display_format(&company);
        let ctx = crate::paging::filter_context(now_millis(), display.as_ref());
        let defs = state.store.custom_fields(company.id).await?;
        let fields = fields::TARGET_USERS.with_extra(user_extras::custom_specs(&defs));
        let parsed = parse_filter_in(req.filter.as_ref(), &fields, &ctx)?;
        let excluded = req.excluded_items.unwrap_or_default();
        if excluded.len() > MAX_IDS {
            return Err(ApiError::bad_request(format!(
                "excludedItems has more than {MAX_IDS} ids"
            )));
        }
        BulkSelection::AllExcept {
            cond: parsed.cond,
            excluded,
        }
    } else {
        let items = req.items.unwrap_or_default();
        if items.is_empty() {
            return Err(ApiError::bad_request(
                "send the users to delete in items, or selectAll: true with a filter",
            ));
        }
        if items.len() > MAX_IDS {
            return Err(ApiError::bad_request(format!(
                "items has more than {MAX_IDS} ids; use selectAll with a filter"
            )));
        }
        BulkSelection::Items(items)
    };
    let n = state
        .store
        .bulk_delete_target_users(company.id, &selection, &audit::actor(&caller))
        .await?;
    let message = format!(
        "{} deleted.",
        count_of(n.unsigned_abs(), "target user", "target users")
    );
    Ok(Json(Envelope::done(
        BulkDeleteResult {
            resource_id: None,
            deleted_count: n,
        },
        message,
    )))
}

/// `POST /api/target-users/search`.
#[utoipa::path(
    post, path = "/api/target-users/search", operation_id = "searchTargetUsers", tag = "TargetUser", params(crate::openapi::Scope),
    summary = "Search target users",
    description = "One page of a company's target users, deleted ones included unless a filter leaves them \
        out, each with its groups, custom field values and whether its email domain is a \
        verified allowed domain. To list a customer's users, a Reseller sends the customer's \
        `resourceId` (from `POST /api/companies/search`) in `X-KEEPNET-Company-Id`; a Company \
        Admin lists its own company, also the default. Every body field is optional (by default page 1 \
        of 10 rows, newest first; `pageSize` at most 1000). A customer whose account privacy keeps its \
        reseller out answers 403 `PRIVACY_ERROR`; an unknown field or operator, or a value of \
        the wrong type, is a 400 naming the allowed ones.",
    request_body(content = SearchRequest, examples(
        ("By department" = (summary = "Users whose department contains \"sales\", newest first", value = json!({
            "pageNumber": 1, "pageSize": 20, "orderBy": "CreateTime", "ascending": false,
            "filter": {"condition": "AND", "searchInputTextValue": "", "filterGroups": [
                {"condition": "AND", "filterItems": [
                    {"fieldName": "Department", "operator": "Contains", "value": "sales"}
                ]}
            ]}
        }))),
        ("First page" = (summary = "The first 20 users, newest first", value = json!({"pageNumber": 1, "pageSize": 20}))),
        ("Only active users" = (summary = "Active users that are not deleted, by email", value = json!({
            "pageNumber": 1, "pageSize": 20, "orderBy": "Email", "ascending": true,
            "filter": {"condition": "AND", "filterGroups": [
                {"condition": "AND", "filterItems": [
                    {"fieldName": "Status", "operator": "Include", "value": "1"},
                    {"fieldName": "IsDeleted", "operator": "=", "value": false}
                ]}
            ]}
        }))),
    )),
    responses((status = 200, description = "One page of target users", body = Envelope<Paged<TargetUserSearchView>>), crate::openapi::ApiErrors)
)]
pub async fn search(
    State(state): State<AppState>,
    Scoped {
        caller, company, ..
    }: Scoped<Read>,
    KJson(req): KJson<SearchRequest>,
) -> ApiResult<Json<Envelope<Paged<TargetUserSearchView>>>> {
    let (company, req) = (&company, &req);
    reading(&state, &caller, |state| async move {
        let (spec, paging, context) = target_user_search(&state, req, company).await?;
        let (total, users) = state.store.search_target_users(company.id, &spec).await?;
        let mut rows: Vec<TargetUserSearchView> = users.iter().map(search_view).collect();
        crate::routes::allow_list::mark_search_rows(&state, &context, company.id, &mut rows)
            .await?;
        user_extras::fill_rows(&state, &context, &users, &mut rows).await?;
        Ok(paging.reply(total, rows))
    })
    .await
}

/// `POST /api/target-users/search-email`: users whose email contains the text (any case).
#[utoipa::path(
    post, path = "/api/target-users/search-email", operation_id = "searchTargetUsersByEmail", tag = "TargetUser", params(crate::openapi::Scope),
    summary = "Find target users by email",
    description = "One page of a company's users whose email contains the text, in any case, deleted ones \
        included, sorted by email unless `orderBy` says otherwise. A Reseller may name its own \
        company or any below it in `X-KEEPNET-Company-Id`; a Company Admin reads its own \
        company, which is also the default.",
    request_body = SearchEmailRequest,
    responses((status = 200, description = "One page of users whose email contains the text", body = Envelope<Paged<TargetUserDto>>), crate::openapi::ApiErrors)
)]
pub async fn search_email(
    State(state): State<AppState>,
    Scoped {
        caller, company, ..
    }: Scoped<Read>,
    KJson(req): KJson<SearchEmailRequest>,
) -> ApiResult<Json<Envelope<Paged<TargetUserDto>>>> {
    let email = req.email.clone().unwrap_or_default();
    let search = SearchRequest {
        filter: Some(rollcall_types::Filter {
            filter_groups: Some(vec![rollcall_types::FilterGroup {
                filter_items: Some(vec![rollcall_types::FilterItem::new(
                    "Email", "Contains", email,
                )]),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        page_number: req.page_number,
        page_size: req.page_size,
        order_by: req.order_by.clone().or_else(|| Some("Email".into())),
        ascending: req.ascending.or(Some(true)),
        ..Default::default()
    };
    let (company, search) = (&company, &search);
    reading(&state, &caller, |state| async move {
        let (spec, paging, _) = target_user_search(&state, search, company).await?;
        let (total, users) = state.store.search_target_users(company.id, &spec).await?;
        Ok(paging.reply(total, users.iter().map(dto).collect()))
    })
    .await
}

async fn by_ids(
    state: &AppState,
    Scoped {
        caller, company, ..
    }: Scoped<Read>,
    req: ByResourceIdsRequest,
    include_deleted: bool,
) -> ApiResult<Json<Envelope<Vec<TargetUserEmailDto>>>> {
    let ids = req.target_user_resource_ids.unwrap_or_default();
    if ids.len() > MAX_IDS {
        return Err(ApiError::bad_request(format!(
            "targetUserResourceIds has more than {MAX_IDS} ids"
        )));
    }
    let (company, ids) = (&company, &ids);
    let users = reading(state, &caller, |state| async move {
        Ok(state
            .store
            .target_users_by_resource_ids(company.id, ids, include_deleted)
            .await?)
    })
    .await?;
    Ok(Json(Envelope::success(
        users
            .iter()
            .map(|u| TargetUserEmailDto {
                id: u.id,
                resource_id: u.resource_id.clone(),
                email: u.fields.email.clone(),
                first_name: opt(&u.fields.first_name),
                last_name: opt(&u.fields.last_name),
                phone_number: opt(&u.fields.phone_number),
                is_deleted: u.is_deleted,
                status: i32::from(u.fields.is_active),
            })
            .collect(),
    )))
}

/// `POST /api/target-users/by-resource-ids`: live users only.
#[utoipa::path(
    post, path = "/api/target-users/by-resource-ids", operation_id = "getTargetUsersByResourceIds", tag = "TargetUser", params(crate::openapi::Scope),
    summary = "Get target users by id",
    description = "The company's live users among the resource ids sent (at most 10,000), in a short form \
        whose `status` is 1 (active) or 0 (inactive); ids of deleted users, or of no user of the \
        company, are left out. A Reseller may name its own company or any below it in \
        `X-KEEPNET-Company-Id`; a Company Admin reads its own company, which is also the \
        default.",
    request_body = ByResourceIdsRequest,
    responses((status = 200, description = "The users with those ids (deleted users left out)", body = Envelope<Vec<TargetUserEmailDto>>), crate::openapi::ApiErrors)
)]
pub async fn by_resource_ids(
    State(state): State<AppState>,
    scoped: Scoped<Read>,
    KJson(req): KJson<ByResourceIdsRequest>,
) -> ApiResult<Json<Envelope<Vec<TargetUserEmailDto>>>> {
    by_ids(&state, scoped, req, false).await
}

/// `POST /api/target-users/include-deleted/by-resource-ids`.
#[utoipa::path(
    post, path = "/api/target-users/include-deleted/by-resource-ids", operation_id = "getTargetUsersByResourceIdsIncludingDeleted", tag = "TargetUser", params(crate::openapi::Scope),
    summary = "Get target users by id, deleted ones included",
    description = "As `POST /api/target-users/by-resource-ids`, with deleted users too (`isDeleted: true`). \
        A Reseller may name its own company or any below it in `X-KEEPNET-Company-Id`; a Company \
        Admin reads its own company, which is also the default.",
    request_body = ByResourceIdsRequest,
    responses((status = 200, description = "The users with those ids, deleted ones included", body = Envelope<Vec<TargetUserEmailDto>>), crate::openapi::ApiErrors)
)]
pub async fn by_resource_ids_with_deleted(
    State(state): State<AppState>,
    scoped: Scoped<Read>,
    KJson(req): KJson<ByResourceIdsRequest>,
) -> ApiResult<Json<Envelope<Vec<TargetUserEmailDto>>>> {
    by_ids(&state, scoped, req, true).await
}

/// The last `n` calendar months (UTC) as YYYYMM, oldest first, ending with the current one.
pub fn last_months(now_ms: i64, n: usize) -> Vec<i64> {
    let mut m = month_of(now_ms);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(m);
        m = if m % 100 == 1 {
            (m / 100 - 1) * 100 + 12
        } else {
            m - 1
        };
    }
    out.reverse();
    out
}

/// `GET /api/target-users/count-summary`: totals by status and the users added in each of the
/// last 12 months, from the counters.
#[utoipa::path(
    get, path = "/api/target-users/count-summary", operation_id = "getTargetUserCountSummary", tag = "TargetUser", params(crate::openapi::Scope),
    summary = "Count target users",
    description = "A company's active, inactive and deleted users, and the users added in each of the last \
        12 calendar months (UTC, oldest first), whatever their status now. A Reseller reads a \
        customer's summary by naming it in `X-KEEPNET-Company-Id`; a Company Admin reads its own \
        company, also the default. `periodStart` is midnight UTC written without a zone \
        designator, so that a client reading it in local time gets the right month.",
    responses((status = 200, description = "Active, inactive and deleted users, and monthly counts", body = Envelope<CountSummaryDto>), crate::openapi::ApiErrors)
)]
pub async fn count_summary(
    State(state): State<AppState>,
    Scoped {
        caller, company, ..
    }: Scoped<Read>,
) -> ApiResult<Json<Envelope<CountSummaryDto>>> {
    let months = &last_months(now_millis(), 12);
    let company_id = company.id;
    let s = reading(&state, &caller, |state| async move {
        Ok(state.store.count_summary(company_id, months).await?)
    })
    .await?;
    let monthly = s
        .months
        .iter()
        .map(|(m, count)| {
            // A month is YYYYMM; its start is the 1st at midnight (chrono's strftime parser
            // was a visible share of this call's CPU for a fixed shape).
            let period = format!("{:04}-{:02}", m / 100, m % 100);
            MonthlyCount {
                period_start: format!("{period}-01T00:00:00"),
                period,
                count: *count,
            }
        })
        .collect();
    Ok(Json(Envelope::success(CountSummaryDto {
        total_number_of_active_users: s.totals.active,
        total_number_of_in_active_users: s.totals.inactive,
        total_number_of_deleted_users: s.totals.deleted,
        monthly_active_users: monthly,
    })))
}

/// This module's export, as a kind: its file `Target Users.csv`, `.xlsx` or `.pdf`,
/// and its audit row.
pub struct TargetUsersFile;

impl ExportKind for TargetUsersFile {
    const TITLE: &'static str = "Target Users";
    const ENTITY: Entity = Entity::TargetUser;
    const NOUN: (&'static str, &'static str) = ("target user", "target users");
}

/// Exports the target users a search selects: the requested page, or every match with
/// `reportAllPages: true`, in the search's order.
#[utoipa::path(
    post, path = "/api/target-users/search/export", operation_id = "exportTargetUsers", tag = "TargetUser", params(crate::openapi::Scope, ExportOptions),
    summary = "Export target users",
    description = "The users a target-user search selects, as a file: `exportType` `CSV`, `Excel` or `PDF` \
        (required), the requested page or, with `reportAllPages: true`, every match, in the \
        search's order. Columns: Email, First Name, Last Name, Department, Phone Number, \
        Priority, Status, Deleted, Time Zone, Preferred Language, Manager Name, Manager Email, \
        Created, Updated, Resource Id, Target Groups, then one per active custom field. A \
        Reseller may name its own company or any below it in `X-KEEPNET-Company-Id`; a Company \
        Admin reads its own company, which is also the default. CSV starts with a byte-order \
        mark unless `?bom=false`; a PDF holds at most 5,000 rows (more is a 400: export CSV or \
        Excel). Every export is recorded in the audit log.",
    request_body(content = SearchRequest, example = json!({
        "pageNumber": 1, "pageSize": 20, "orderBy": "CreateTime", "ascending": false,
        "filter": {"condition": "AND", "searchInputTextValue": "", "filterGroups": [
            {"condition": "AND", "filterItems": [
                {"fieldName": "Department", "operator": "Contains", "value": "sales"}
            ]}
        ]},
        "exportType": "CSV", "reportAllPages": true
    })),
    responses(crate::openapi::ExportFile<TargetUsersFile>)
)]
pub async fn export(
    State(state): State<AppState>,
    ExportRequest {
        caller,
        record,
        search,
        options,
        ..
    }: ExportRequest<TargetUsersFile>,
) -> ApiResult<Response> {
    let (record, search, options) = (&record, &search, &options);
    reading(&state, &caller, |state| async move {
        export_users(
            &state,
            record.clone(),
            search,
            options,
            None,
            TargetUsersFile::TITLE,
        )
        .await
    })
    .await
}

/// Streams the users a search selects, further narrowed by `within` (a group's members),
/// into a file titled `title`; shared by the user and group-member exports.
pub async fn export_users(
    state: &AppState,
    record: ExportRecord,
    search: &SearchRequest,
    options: &ExportOptions,
    within: Option<Cond>,
    title: &'static str,
) -> ApiResult<Response> {
    let (mut spec, _, context) = target_user_search(state, search, &record.company).await?;
    let defs = &context.fields;
    if let Some(within) = within {
        spec.cond = Cond::All(vec![within, spec.cond]);
    }
    let store = &state.store;
    let company_id = record.company.id;
    files::refuse_big_pdf(&record, &spec, |count| async move {
        store.search_target_users(company_id, &count).await
    })
    .await?;
    let all = record.all_pages;
    let groups: HashMap<i64, String> = state
        .store
        .target_group_names(company_id)
        .await?
        .into_iter()
        .collect();
    let extras = ExportExtras {
        groups: !groups.is_empty(),
        custom_values: defs.iter().any(|f| f.fields.is_active),
    };
    let store = state.store.clone();
    let kind = user_file(title, defs, groups);
    files::stream(state, record, kind, options, move |sink| async move {
        store
            .export_target_users(company_id, &spec, all, extras, sink)
            .await
    })
    .await
}

/// Most custom fields a target-user PDF shows: its landscape page has room for two more
/// columns beside the standard ones.
const PDF_CUSTOM_FIELDS: usize = 2;

/// The target-user file of a company whose custom fields are `defs`: the built-in columns,
/// Target Groups (named from `groups`, the company's), then one column per **active** custom field in the fields' order, in typed cells
/// (docs/api.md, "Exports").
fn user_file(
    title: &'static str,
    defs: &[CustomField],
    groups: HashMap<i64, String>,
) -> FileKind<ExportedUser> {
    let active: Vec<(i64, String, CustomFieldType)> = defs
        .iter()
        .filter(|f| f.fields.is_active)
        .map(|f| (f.id, f.fields.name.clone(), f.fields.data_type))
        .collect();
    let mut columns = files::owned(export::TARGET_USER_COLUMNS);
    columns.extend(active.iter().map(|(_, name, _)| name.clone()));
    let pdf_columns: Vec<String> = active
        .iter()
        .take(PDF_CUSTOM_FIELDS)
        .map(|(_, name, _)| name.clone())
        .collect();
    let rest: Vec<&str> = active
        .iter()
        .skip(PDF_CUSTOM_FIELDS)
        .map(|(_, name, _)| name.as_str())
        .collect();
    let left_out = (!rest.is_empty()).then(|| {
        format!(
            "Custom fields left out for width (export CSV or Excel for them): {}.",
            rest.join(", ")
        )
    });
    let cells = move |row: &ExportedUser| {
        // Names in any case's order, as rows list them.
        let mut names: Vec<&str> = row
            .group_ids
            .iter()
            .filter_map(|id| groups.get(id).map(String::as_str))
            .collect();
        names.sort_by_cached_key(|n| n.to_lowercase());
        let mut cells = export::target_user_cells(&row.user, &names.join(", "));
        for (id, _, data_type) in &active {
            cells.push(
                row.custom_values
                    .iter()
                    .find(|(field, _)| field == id)
                    .map_or(Cell::Text(String::new()), |(_, text)| {
                        export::custom_cell(*data_type, text)
                    }),
            );
        }
        cells
    };
    FileKind {
        title,
        columns,
        cells: Box::new(cells),
        pdf_columns,
        left_out,
    }
}

/// Columns of the import template, as the importer reads them (`Email Address` is required).
pub const TEMPLATE_COLUMNS: &[&str] = &[
    "First Name",
    "Last Name",
    "Email Address",
    "Phone Number",
    "Department",
    "Time Zone",
    "Priority",
    "Manager First Name",
    "Manager Last Name",
    "Manager Email",
];

/// Body of `example-file`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"exportType": "CSV"}))]
#[serde(rename_all = "camelCase")]
pub struct ExampleFileRequest {
    /// `Excel` (default) or `CSV`.
    #[serde(default)]
    pub export_type: Option<String>,
}

/// The import template with one example row, in Excel or CSV.
#[utoipa::path(
    post, path = "/api/target-users/example-file", operation_id = "getTargetUserExampleFile", tag = "TargetUser", params(ExportOptions),
    summary = "Download the import template",
    description = "A file as `POST /api/target-users/upload` reads it: the headers First Name, Last Name, \
        Email Address, Phone Number, Department, Time Zone, Priority, Manager First Name, \
        Manager Last Name and Manager Email, and one example row, as Excel (the default) or CSV; \
        PDF is a 400. Any client may download it; it names no company.",
    request_body = ExampleFileRequest,
    responses(
        (status = 200, description = "The import template with one example row",
            content((String = "text/csv"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        crate::openapi::ApiErrors)
)]
pub async fn example_file(
    State(state): State<AppState>,
    _caller: Caller,
    Query(options): Query<ExportOptions>,
    KJson(req): KJson<ExampleFileRequest>,
) -> ApiResult<Response> {
    let format = Format::parse(req.export_type.as_deref().or(Some("Excel")))?;
    if format == Format::Pdf {
        return Err(ApiError::bad_request(
            "the import template is available as Excel or CSV, not PDF",
        ));
    }
    let example = [
        "Jane",
        "Doe",
        "jane.doe@example.com",
        "+442071234567",
        "Finance",
        "Europe/London",
        "Medium",
        "John",
        "Smith",
        "john.smith@example.com",
    ];
    let rows = export::one_batch(vec![example]);
    let report = Report {
        title: "Import template".into(),
        company: String::new(),
        filter_summary: String::new(),
        pdf_columns: vec![],
        left_out: None,
        noun: ("row", "rows"),
    };
    let to_cells = |row: &[&str; 10]| row.iter().map(|s| Cell::Text((*s).to_owned())).collect();
    export::respond(
        format,
        "target_user_sample_file",
        files::owned(TEMPLATE_COLUMNS),
        rows,
        to_cells,
        report,
        &options,
        &state,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The search-row mapping makes the same cells as the stored-user mapping, through the
    /// server's own store-to-search conversion (so also through JSON, as the client sees it).
    #[test]
    fn search_rows_export_as_stored_users_do() {
        use rollcall_store::TargetUserFields;
        let full = TargetUser {
            id: 7,
            company_id: 2,
            resource_id: "tuAAAAAAAAAA".into(),
            fields: TargetUserFields {
                email: "zoë@example.test".into(),
                first_name: "=Zoë".into(),
                last_name: "Line\nBreak".into(),
                department: "Sales, EU".into(),
                phone_number: "+44 20 7946 0000".into(),
                priority: 5,
                is_active: false,
                time_zone_id: "Europe/London".into(),
                preferred_language_id: "en-GB".into(),
                manager_first_name: " Ann ".into(),
                manager_last_name: "Lee".into(),
                manager_email: "ann@example.test".into(),
            },
            is_deleted: true,
            create_time: 1_767_225_600_123,
            update_time: 1_767_312_000_999,
        };
        let bare = TargetUser {
            fields: TargetUserFields {
                email: "a@example.test".into(),
                priority: 3,
                is_active: true,
                ..TargetUserFields::default()
            },
            is_deleted: false,
            ..full.clone()
        };
        let group = |name: &str| rollcall_types::target_user::TargetGroupRef {
            resource_id: format!("tg{name}"),
            name: name.to_owned(),
        };
        for (u, groups) in [
            (full, vec![group("Alpha"), group("beta, 2")]),
            (bare, vec![]),
        ] {
            let mut view = search_view(&u);
            view.target_groups = groups;
            let joined = if view.target_groups.is_empty() {
                ""
            } else {
                "Alpha, beta, 2"
            };
            let wire: rollcall_types::target_user::TargetUserSearchView =
                serde_json::from_value(serde_json::to_value(&view).unwrap_or_default())
                    .unwrap_or_else(|e| panic!("{e}"));
            let cells = export::search_view_cells(&wire);
            assert_eq!(cells, export::target_user_cells(&u, joined));
            assert_eq!(cells.len(), export::TARGET_USER_COLUMNS.len());
        }
    }

    #[test]
    fn last_months_cross_the_year() {
        let jan_2026 = 1_768_000_000_000; // 2026-01-09
        let m = last_months(jan_2026, 3);
        assert_eq!(m, vec![202_511, 202_512, 202_601]);
        assert_eq!(last_months(jan_2026, 12).len(), 12);
        assert_eq!(last_months(jan_2026, 12)[0], 202_502);
    }
}
