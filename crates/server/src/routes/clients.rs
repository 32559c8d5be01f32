//! REST API clients (`/api/companies/clients`) and roles (`/api/roles`).

use axum::extract::{Path, State};
use axum::Json;
use rollcall_store::{
    fields, ApiClient, ClientUpdate, NewClient, Role, CLIENT_INACTIVE, STATUS_ACTIVE,
};
use rollcall_types::company::{
    ClientCredentials, ClientDto, ClientInput, RoleDto, SearchClientDto,
};
use rollcall_types::{Envelope, IdResult, Paged, SearchRequest};

use crate::audit;
use crate::auth::caller::Caller;
use crate::auth::secret::{hash_secret, random_secret};
use crate::error::{ApiError, ApiResult};
use crate::export::{self, ExportOptions};
use crate::extract::KJson;
use crate::routes::files;
use crate::routes::files::{ExportKind, ExportRequest};
use crate::routes::{search_spec, written};
use crate::scope::{check_privacy, Read, Scoped, Write};
use crate::state::AppState;
use crate::time::{millis_to_time, now_millis};
use axum::response::Response;
use rollcall_store::Entity;

/// Stable ids of the two standard roles.
pub const ROLE_RESELLER_ID: &str = "RoleReseller";
/// See [`ROLE_RESELLER_ID`].
pub const ROLE_COMPANY_ADMIN_ID: &str = "RoleCompAdmn";

/// A role's stable resource id.
pub fn role_id(role: Role) -> &'static str {
    match role {
        Role::Reseller => ROLE_RESELLER_ID,
        Role::CompanyAdmin => ROLE_COMPANY_ADMIN_ID,
    }
}

/// The role with this resource id.
pub fn role_from_id(id: &str) -> Option<Role> {
    match id {
        ROLE_RESELLER_ID => Some(Role::Reseller),
        ROLE_COMPANY_ADMIN_ID => Some(Role::CompanyAdmin),
        _ => None,
    }
}

fn role_from_ids(ids: &[String]) -> Result<Role, String> {
    let mut roles = Vec::new();
    for id in ids {
        let Some(role) = role_from_id(id) else {
            return Err(format!(
                "role '{id}' is unknown; GET /api/roles lists the valid ids"
            ));
        };
        roles.push(role);
    }
    match roles.as_slice() {
        [] => Err("Role should be selected".to_owned()),
        [one] => Ok(*one),
        _ => Err("select exactly one role".to_owned()),
    }
}

/// `GET /api/roles`.
#[utoipa::path(
    get, path = "/api/roles", operation_id = "listRoles", tag = "SystemRole",
    summary = "List the client roles",
    description = "The roles a REST API client can have, for `roleResourceIdList`: `RoleReseller` (its own \
        company and every company below it) and `RoleCompAdmn` (Company Admin: its own company \
        only). Any client may list them.",
    responses((status = 200, description = "The roles a REST API client can have", body = Envelope<Vec<RoleDto>>), crate::openapi::ApiErrors)
)]
pub async fn roles(_caller: Caller) -> Json<Envelope<Vec<RoleDto>>> {
    Json(Envelope::success(
        [Role::Reseller, Role::CompanyAdmin]
            .into_iter()
            .map(|r| RoleDto {
                resource_id: role_id(r).to_owned(),
                name: r.name().to_owned(),
            })
            .collect(),
    ))
}

/// `GET /api/companies/clients/generate-client-credentials`: a fresh id and secret (not stored).
#[utoipa::path(
    get, path = "/api/companies/clients/generate-client-credentials", operation_id = "generateClientCredentials", tag = "Company",
    summary = "Generate client credentials",
    description = "A fresh client id and a random 32-character secret for a new REST API client. Nothing is \
        stored: `POST /api/companies/clients` creates the client with them. Any client may ask.",
    responses((status = 200, description = "A fresh client id and secret (not stored until a client is created with them)", body = Envelope<ClientCredentials>), crate::openapi::ApiErrors)
)]
pub async fn generate(_caller: Caller) -> Json<Envelope<ClientCredentials>> {
    let id =
        rollcall_store::new_resource_id().to_ascii_lowercase() + &rollcall_store::new_resource_id();
    Json(Envelope::success(ClientCredentials {
        client_id: id,
        client_secret: random_secret(32),
    }))
}

struct Checked {
    name: String,
    client_id: String,
    secret: Option<String>,
    role: Role,
    status_id: i64,
    has_ip_restriction: bool,
    allowed_ips: Vec<String>,
}

fn check(input: ClientInput, caller: &Caller, creating: bool) -> ApiResult<Checked> {
    let mut problems = Vec::new();
    let mut text = |field: &str, value: Option<String>, max: usize| -> String {
        let v = value.map(|v| v.trim().to_owned()).unwrap_or_default();
        if v.is_empty() {
            problems.push(format!("{field} is required"));
        } else if v.chars().count() > max {
            problems.push(format!("{field} must be at most {max} characters"));
        }
        v
    };
    let name = text("name", input.name, 64);
    let client_id = text("clientId", input.client_id, 32);
    // CONTRACT.md: a `clientSecret` made only of `*` is the masked value Keepnet's UI echoes
    // back from its form; on an update it keeps the stored secret, and it is never a secret.
    let masked = |s: &str| s.chars().all(|c| c == '*');
    let secret = match input.client_secret.filter(|s| !s.is_empty()) {
        Some(s) if masked(&s) && !creating => None,
        Some(s) if masked(&s) => {
            problems.push("clientSecret is a masked value (only '*'); send the real secret, or one from GET /api/companies/clients/generate-client-credentials".to_owned());
            None
        }
        Some(s) if s.chars().count() > 100 => {
            problems.push("clientSecret must be at most 100 characters".to_owned());
            None
        }
        Some(s) if s.chars().count() < 16 => {
            problems.push("clientSecret must be at least 16 characters; GET /api/companies/clients/generate-client-credentials makes one".to_owned());
            None
        }
        Some(s) => Some(s),
        None if creating => {
            problems.push("clientSecret is required".to_owned());
            None
        }
        None => None,
    };
    // CONTRACT.md (2026-12-05): 1 active, 0 inactive; 2, rollcall's old inactive, still reads
    // as inactive so that older callers keep working.
    let status_id = match input.status_id {
        Some(1) | None => STATUS_ACTIVE,
        Some(0 | 2) => CLIENT_INACTIVE,
        Some(other) => {
            problems.push(format!(
                "statusId must be 1 (active) or 0 (inactive), got {other}"
            ));
            STATUS_ACTIVE
        }
    };
    let role = match role_from_ids(&input.role_resource_id_list.unwrap_or_default()) {
        Ok(r) => r,
        Err(e) => {
            problems.push(e);
            Role::CompanyAdmin
        }
    };
    if role == Role::Reseller && caller.role() != Role::Reseller {
        problems.push("a Company Admin client cannot create or grant the Reseller role".to_owned());
    }
    let has_ip_restriction = input.has_ip_address_restriction.unwrap_or(false);
    let allowed_ips: Vec<String> = input
        .allowed_ip_addresses
        .unwrap_or_default()
        .into_iter()
        .map(|s| s.trim().to_owned())
        .collect();
    if has_ip_restriction {
        if allowed_ips.is_empty() {
            problems.push("allowedIpAddresses must list at least one address when hasIpAddressRestriction is true".to_owned());
        }
        for ip in &allowed_ips {
            if ip.parse::<std::net::IpAddr>().is_err() && ip.parse::<ipnet::IpNet>().is_err() {
                problems.push(format!("Invalid ip address: '{ip}' (use an address such as 203.0.113.7 or a range such as 203.0.113.0/24)"));
            }
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::validation(problems));
    }
    Ok(Checked {
        name,
        client_id,
        secret,
        role,
        status_id,
        has_ip_restriction,
        allowed_ips,
    })
}

/// `POST /api/companies/clients`: creates a client in the scoped company.
#[utoipa::path(
    post, path = "/api/companies/clients", operation_id = "createClient", tag = "Company", params(crate::openapi::Scope),
    summary = "Create a REST API client",
    description = "Creates a client, the credentials of `POST /connect/token`, in the company named in \
        `X-KEEPNET-Company-Id`. The secret is stored only as a hash and never shown again (`GET \
        /api/companies/clients/generate-client-credentials` makes one); `roleResourceIdList` \
        names exactly one role of `GET /api/roles`. A Reseller must name the company, its own or \
        one below it (without the header, a 400); a Company Admin creates clients in its own \
        company and cannot grant the Reseller role. A `clientId` already in use is a 409; \
        invalid fields (a secret shorter than 16 characters, an unknown role, a malformed IP \
        address) are a 400 listing each problem.",
    request_body = ClientInput,
    responses((status = 200, description = "The new client's resource id", body = Envelope<IdResult>), crate::openapi::ApiErrors)
)]
pub async fn create(
    State(state): State<AppState>,
    Scoped {
        caller, company, ..
    }: Scoped<Write>,
    KJson(input): KJson<ClientInput>,
) -> ApiResult<Json<Envelope<IdResult>>> {
    let c = check(input, &caller, true)?;
    let secret = c
        .secret
        .ok_or_else(|| ApiError::bad_request("clientSecret is required"))?;
    let client = state
        .store
        .insert_client(
            &NewClient {
                company_id: company.id,
                name: c.name,
                client_id: c.client_id,
                secret_hash: hash_secret(&state.hasher, secret).await?,
                role: c.role,
                status_id: c.status_id,
                has_ip_restriction: c.has_ip_restriction,
                allowed_ips: c.allowed_ips,
            },
            &audit::actor(&caller),
        )
        .await?;
    Ok(written(client.resource_id, "REST API client created."))
}

async fn reachable_client(state: &AppState, caller: &Caller, id: &str) -> ApiResult<ApiClient> {
    let client = state
        .store
        .client_by_resource_id(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("client '{id}' was not found")))?;
    let company = state
        .store
        .company_by_id(client.company_id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("client '{id}' was not found")))?;
    if !caller.reaches(&company) {
        return Err(ApiError::forbidden(format!(
            "client '{id}' belongs to a company this client does not manage"
        )));
    }
    // A customer's clients are its data: a reseller that could re-key one while the customer
    // denies access could sign in as it (docs/api.md, account privacy).
    check_privacy(caller, &company, now_millis())?;
    Ok(client)
}

/// A client the caller reaches and may change. A Company Admin may not edit, re-key,
/// deactivate or delete a client whose role is above its own (a Reseller client of its
/// company): that would hand it the Reseller's reach.
async fn changeable_client(state: &AppState, caller: &Caller, id: &str) -> ApiResult<ApiClient> {
    let client = reachable_client(state, caller, id).await?;
    if caller.role() == Role::CompanyAdmin && client.role == Role::Reseller {
        return Err(ApiError::forbidden(format!(
            "client '{}' has the Reseller role, above this client's Company Admin role; only a Reseller client can change or delete it",
            client.resource_id
        )));
    }
    Ok(client)
}

fn dto(c: &ApiClient) -> ClientDto {
    ClientDto {
        resource_id: c.resource_id.clone(),
        name: c.name.clone(),
        client_id: c.client_id.clone(),
        client_secret: None,
        status_id: i32::try_from(c.status_id).unwrap_or(0),
        status_name: status_name(c.status_id).to_owned(),
        has_ip_address_restriction: c.has_ip_restriction,
        allowed_ip_addresses: c.allowed_ips.clone(),
        role_resource_id_list: vec![role_id(c.role).to_owned()],
    }
}

fn status_name(s: i64) -> &'static str {
    if s == STATUS_ACTIVE {
        "Active"
    } else {
        "Inactive"
    }
}

/// `GET /api/companies/clients/{resourceId}`. The secret is never returned.
#[utoipa::path(
    get, path = "/api/companies/clients/{resourceId}", operation_id = "getClient", tag = "Company", params(crate::openapi::ResourceId),
    summary = "Get a REST API client",
    description = "A client with its role, status and IP allow-list, never its secret (`clientSecret` is \
        always null). Both roles: a Reseller for the clients of its own company or any below it, \
        a Company Admin for its own company's; a client of a company out of reach is a 403, and \
        a customer whose account privacy keeps its reseller out answers 403 `PRIVACY_ERROR`.",
    responses((status = 200, description = "The client (never its secret)", body = Envelope<ClientDto>), crate::openapi::ApiErrors)
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Envelope<ClientDto>>> {
    let client = reachable_client(&state, &caller, &id).await?;
    Ok(Json(Envelope::success(dto(&client))))
}

/// `PUT /api/companies/clients/{resourceId}`: replaces the client's fields; an empty, missing
/// or masked (only `*`) `clientSecret` keeps the current secret.
#[utoipa::path(
    put, path = "/api/companies/clients/{resourceId}", operation_id = "updateClient", tag = "Company", params(crate::openapi::ResourceId),
    summary = "Update a REST API client",
    description = "Replaces the client's name, client id, role, status and IP allow-list (send them all); a \
        `clientSecret` that is empty, left out or only `*` keeps the current secret. Making the \
        client inactive (`statusId` 0) stops its tokens at once, where a new secret only refuses \
        the old one at the next token request. A Company Admin cannot change a Reseller client \
        of its company nor grant the Reseller role (403). Both roles: a Reseller for the clients \
        of its own company or any below it, a Company Admin for its own company's; a client of a \
        company out of reach is a 403, and a customer whose account privacy keeps its reseller \
        out answers 403 `PRIVACY_ERROR`. Invalid fields are a 400 listing each problem.",
    request_body(content = ClientInput, example = json!({
        "name": "HR sync", "clientId": "acme-hr-sync", "clientSecret": "********", "statusId": 1,
        "hasIpAddressRestriction": true, "allowedIpAddresses": ["203.0.113.0/24"],
        "roleResourceIdList": ["RoleCompAdmn"]
    })),
    responses((status = 200, description = "The updated client's resource id", body = Envelope<IdResult>), crate::openapi::ApiErrors)
)]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    KJson(input): KJson<ClientInput>,
) -> ApiResult<Json<Envelope<IdResult>>> {
    let client = changeable_client(&state, &caller, &id).await?;
    let c = check(input, &caller, false)?;
    let secret_hash = match c.secret {
        Some(s) => Some(hash_secret(&state.hasher, s).await?),
        None => None,
    };
    state
        .store
        .update_client(
            client.id,
            &ClientUpdate {
                name: c.name,
                client_id: c.client_id,
                secret_hash,
                role: c.role,
                status_id: c.status_id,
                has_ip_restriction: c.has_ip_restriction,
                allowed_ips: c.allowed_ips,
            },
            &audit::actor(&caller),
        )
        .await?;
    state.lookups.forget();
    Ok(written(client.resource_id, "REST API client updated."))
}

/// `DELETE /api/companies/clients/{resourceId}`: its tokens stop working at once.
#[utoipa::path(
    delete, path = "/api/companies/clients/{resourceId}", operation_id = "deleteClient", tag = "Company", params(crate::openapi::ResourceId),
    summary = "Delete a REST API client",
    description = "Deletes the client; its tokens stop working at once. A Company Admin cannot delete a \
        Reseller client of its company (403). Both roles: a Reseller for the clients of its own \
        company or any below it, a Company Admin for its own company's; a client of a company \
        out of reach is a 403, and a customer whose account privacy keeps its reseller out \
        answers 403 `PRIVACY_ERROR`.",
    responses((status = 200, description = "The deleted client's resource id", body = Envelope<IdResult>), crate::openapi::ApiErrors)
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Envelope<IdResult>>> {
    let client = changeable_client(&state, &caller, &id).await?;
    state
        .store
        .delete_client(client.id, &audit::actor(&caller))
        .await?;
    state.lookups.forget();
    Ok(written(client.resource_id, "REST API client deleted."))
}

/// `POST /api/companies/clients/search`: the scoped company's clients.
#[utoipa::path(
    post, path = "/api/companies/clients/search", operation_id = "searchClients", tag = "Company", params(crate::openapi::Scope),
    summary = "Search REST API clients",
    description = "One page of the REST API clients of the company named in `X-KEEPNET-Company-Id` (by \
        default the caller's own), never with their secrets. Both roles: a Reseller for its own \
        company or any below it, a Company Admin for its own. A customer whose account privacy \
        keeps its reseller out answers 403 `PRIVACY_ERROR`; an unknown field or operator, or a \
        value of the wrong type, is a 400 naming the allowed ones.",
    request_body(content = SearchRequest, example = json!({
        "pageNumber": 1, "pageSize": 20, "orderBy": "ClientName", "ascending": true,
        "filter": {"condition": "AND", "searchInputTextValue": "", "filterGroups": [
            {"condition": "AND", "filterItems": [
                {"fieldName": "StatusId", "operator": "Include", "value": "1"}
            ]}
        ]}
    })),
    responses((status = 200, description = "One page of clients", body = Envelope<Paged<SearchClientDto>>), crate::openapi::ApiErrors)
)]
pub async fn search(
    State(state): State<AppState>,
    Scoped { company, .. }: Scoped<Read>,
    KJson(req): KJson<SearchRequest>,
) -> ApiResult<Json<Envelope<Paged<SearchClientDto>>>> {
    let (spec, paging) = search_spec(&state, &req, &fields::API_CLIENTS, &company)?;
    let (total, rows) = state.store.search_clients(company.id, &spec).await?;
    let results = rows
        .iter()
        .map(|c| SearchClientDto {
            resource_id: c.resource_id.clone(),
            client_name: c.name.clone(),
            client_id: c.client_id.clone(),
            create_time: millis_to_time(c.create_time).unwrap_or_default(),
            status_id: i32::try_from(c.status_id).unwrap_or(0),
            status_name: status_name(c.status_id).to_owned(),
        })
        .collect();
    Ok(paging.reply(total, results))
}

/// This module's export, as a kind: its file `REST API Clients.csv`, `.xlsx` or `.pdf`,
/// and its audit row.
pub struct ClientsFile;

impl ExportKind for ClientsFile {
    const TITLE: &'static str = "REST API Clients";
    const ENTITY: Entity = Entity::ApiClient;
    const NOUN: (&'static str, &'static str) = ("REST API client", "REST API clients");
}

/// `POST /api/companies/clients/search/export`: the clients a clients search selects, as CSV,
/// Excel or PDF (`REST API Clients.csv`, ...), like the other exports; audited.
#[utoipa::path(
    post, path = "/api/companies/clients/search/export", operation_id = "exportClients", tag = "Company", params(crate::openapi::Scope, ExportOptions),
    summary = "Export REST API clients",
    description = "The clients a clients search selects, as a file: `exportType` `CSV`, `Excel` or `PDF` \
        (required), the requested page or, with `reportAllPages: true`, every match. Columns: \
        Client Name, Client Id, Role, Status, IP Restricted, Allowed IP Addresses, Created, \
        Resource Id; never the secret. Both roles, for the company named in \
        `X-KEEPNET-Company-Id` as the search. Every export is recorded in the audit log.",
    request_body(content = SearchRequest, example = json!({
        "pageNumber": 1, "pageSize": 20, "orderBy": "ClientName", "ascending": true,
        "exportType": "CSV", "reportAllPages": true
    })),
    responses(crate::openapi::ExportFile<ClientsFile>)
)]
pub async fn export(
    State(state): State<AppState>,
    request: ExportRequest<ClientsFile>,
) -> ApiResult<Response> {
    let store = &state.store;
    // A company has a handful of clients: one query reads them all.
    let read =
        |company_id, spec| async move { Ok(store.search_clients(company_id, &spec).await?.1) };
    let list = (&fields::API_CLIENTS, export::CLIENT_COLUMNS);
    files::export_read(&state, request, list, read, export::client_cells).await
}
