//! `/api/allow-list`: a company's allowed domains (Keepnet's allow-list, REFERENCE.md section
//! I). A company proves it owns an email domain by publishing a TXT record there (`verify`), or
//! its Reseller vouches for it (`mark-as-verified`). Rulings in docs/api.md, "Allowed domains".

use std::collections::HashSet;

use axum::extract::{Path, State};
use axum::response::Response;
use axum::Json;
use rand::distributions::{Alphanumeric, DistString};
use rollcall_store::{
    domain_status_name, email_domain, fields, AllowedDomain, Company, DomainCheck, Entity,
    VerifyType,
};
use rollcall_types::allow_list::{
    AllowListDto, AllowListInput, DeleteAllowListRequest, SearchAllowListDto,
};
use rollcall_types::target_user::TargetUserSearchView;
use rollcall_types::{Envelope, IdResult, Paged, SearchRequest};
use sha2::{Digest, Sha256};

use crate::audit;
use crate::auth::lookups::CompanyContext;
use crate::dns::{self, DnsError, TxtAnswer};
use crate::error::{ApiError, ApiResult};
use crate::export::{Cell, ExportOptions};
use crate::extract::{FormOrJson, KJson};
use crate::routes::files;
use crate::routes::files::{ExportKind, ExportRequest};
use crate::routes::{search_spec, written};
use crate::scope::{Read, Scoped, Write};
use crate::state::AppState;
use crate::time::millis_to_time;

/// Most domains one `POST /api/allow-list` adds.
pub const MAX_DOMAINS_PER_REQUEST: usize = 100;
/// Most resource ids one `DELETE /api/allow-list` names.
const MAX_DELETE_IDS: usize = 1000;
/// What every TXT value rollcall issues starts with.
pub const TXT_PREFIX: &str = "rollcall-domain-verification=";
/// Hex digits of the company's tag in a TXT value.
const TAG_LEN: usize = 16;
/// Random characters after the tag.
const NONCE_LEN: usize = 16;

/// `domain`, lowercase and without a trailing dot, or what is wrong with it. Host names only
/// (RFC 1123 labels, at least two, a TLD that is not a number); an internationalised name is
/// asked for in its ASCII (`xn--`) form.
pub fn normalise_domain(raw: &str) -> Result<String, String> {
    let d = raw.trim().trim_end_matches('.').to_ascii_lowercase();
    let bad = |why: &str| Err(format!("'{}' is not a domain: {why}", raw.trim()));
    if d.is_empty() {
        return bad("it is empty");
    }
    if !d.is_ascii() {
        return bad("write an internationalised domain in its ASCII form (xn--...)");
    }
    if d.contains('@') {
        return bad("give the part after the '@' (example.com), not an email address");
    }
    if d.contains("://") || d.contains('/') {
        return bad("give the domain alone (example.com), not a URL");
    }
    if d.len() > 253 {
        return bad("a domain has at most 253 characters");
    }
    let labels: Vec<&str> = d.split('.').collect();
    if labels.len() < 2 {
        return bad("it needs a dot and a top-level domain (example.com)");
    }
    for label in &labels {
        if label.is_empty() || label.len() > 63 {
            return bad("each part between dots has 1 to 63 characters");
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return bad("use only letters, digits, hyphens and dots");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return bad("a part between dots cannot start or end with a hyphen");
        }
    }
    if labels
        .last()
        .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
    {
        return bad("the top-level domain cannot be a number (IP addresses are not domains)");
    }
    Ok(d)
}

/// The company's part of its TXT values: a hash of its resource id. A value names the company
/// it was issued to, so a company cannot claim a domain with another company's published value
/// (TXT records are public), and any replica can check it without storing issued values.
fn company_tag(company: &Company) -> String {
    let digest = Sha256::digest(format!("rollcall allow-list {}", company.resource_id));
    digest
        .iter()
        .take(TAG_LEN / 2)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A new TXT value for `company`.
fn new_txt_record(company: &Company) -> String {
    let nonce = Alphanumeric
        .sample_string(&mut rand::thread_rng(), NONCE_LEN)
        .to_ascii_lowercase();
    format!("{TXT_PREFIX}{}{nonce}", company_tag(company))
}

/// Whether `value` is a TXT value issued to `company` by [`new_txt_record`].
fn check_txt_record(company: &Company, value: &str) -> Result<(), String> {
    let issued = value.strip_prefix(TXT_PREFIX).is_some_and(|rest| {
        rest.len() == TAG_LEN + NONCE_LEN
            && rest.starts_with(&company_tag(company))
            && rest[TAG_LEN..]
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    });
    if issued {
        Ok(())
    } else {
        Err(format!(
            "TxtRecord '{value}' was not issued for this company; send the value POST /api/allow-list/txt-record gave for it (with the same company scope), or leave TxtRecord out for a new one"
        ))
    }
}

fn verify_type_of(d: &AllowedDomain) -> Option<i32> {
    d.verify_type.map(|t| i32::try_from(t.id()).unwrap_or(0))
}

fn dto(d: &AllowedDomain) -> AllowListDto {
    AllowListDto {
        resource_id: d.resource_id.clone(),
        domain: d.domain.clone(),
        txt_record: d.txt_record.clone(),
        company_id: d.company_id,
        status: i32::from(d.is_verified),
        last_check_time: d.last_check_time.and_then(millis_to_time),
        verify_time: d.verify_time.and_then(millis_to_time),
        verify_type: verify_type_of(d),
    }
}

fn search_row(d: &AllowedDomain) -> SearchAllowListDto {
    SearchAllowListDto {
        allow_list_resource_id: d.resource_id.clone(),
        domain: d.domain.clone(),
        txt_record: d.txt_record.clone(),
        status: domain_status_name(d.is_verified).to_owned(),
        last_check_time: d.last_check_time.and_then(millis_to_time),
        verify_time: d.verify_time.and_then(millis_to_time),
        create_time: millis_to_time(d.create_time).unwrap_or_default(),
        verify_type: verify_type_of(d).unwrap_or(0),
    }
}

/// The domains a body names: every `Domain` form field or JSON `domain` / `domains`, each
/// possibly a list separated by commas, semicolons or white space; normalised, in order,
/// repeats dropped.
fn requested_domains(raw: &[String]) -> ApiResult<Vec<String>> {
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    let mut domains = Vec::new();
    for item in raw
        .iter()
        .flat_map(|r| r.split(|c: char| c == ',' || c == ';' || c.is_whitespace()))
        .filter(|s| !s.is_empty())
    {
        match normalise_domain(item) {
            Ok(d) if seen.insert(d.clone()) => domains.push(d),
            Ok(_) => {}
            Err(e) => problems.push(e),
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::validation(problems));
    }
    if domains.is_empty() {
        return Err(ApiError::bad_request(
            "Domain is required: send the domain to allow (example.com), as the form field Domain or the JSON property domain",
        ));
    }
    if domains.len() > MAX_DOMAINS_PER_REQUEST {
        return Err(ApiError::bad_request(format!(
            "at most {MAX_DOMAINS_PER_REQUEST} domains can be added at once, not {}",
            domains.len()
        )));
    }
    Ok(domains)
}

// `POST /api/allow-list`: Keepnet's multipart form, an urlencoded form or JSON (rulings in
// docs/api.md, "Allowed domains").
/// Add allowed domains
///
/// Adds one or more email domains to the company's allow-list, unverified, all with the same TXT
/// value to publish: `txtRecord` when given (it must be a value that
/// `POST /api/allow-list/txt-record` issued to this company, 400 otherwise), else a new one. Takes
/// Keepnet's form (`Domain`, which may repeat, and `TxtRecord`) or JSON (`domain`, `domains`,
/// `txtRecord`); a value may list several domains separated by commas, semicolons or spaces, at
/// most 100 per request, added all or none. A domain is lowercased and must be a host name: an
/// email address, a URL, an IP address or a non-ASCII name (send its `xn--` form) is 400, and a
/// domain already on the list is 409. Reseller or Company Admin: a Reseller must name the company
/// in `X-KEEPNET-Company-Id` (400 without it), a Company Admin acts on its own. Answers the first
/// added domain's resource id.
#[utoipa::path(
    post, path = "/api/allow-list", operation_id = "addAllowedDomains", tag = "AllowList", params(crate::openapi::Scope),
    request_body(content(
        (AllowListInput = "multipart/form-data"),
        (AllowListInput = "application/x-www-form-urlencoded"),
        (AllowListInput = "application/json"),
    ), description = "Keepnet's form (`Domain`, `TxtRecord`) or JSON (`domain`, `domains`, `txtRecord`)"),
    responses((status = 200, description = "The (first) added domain's resource id", body = Envelope<IdResult>), crate::openapi::ApiErrors)
)]
pub async fn add(
    State(state): State<AppState>,
    Scoped {
        caller, company, ..
    }: Scoped<Write>,
    body: FormOrJson<AllowListInput>,
) -> ApiResult<Json<Envelope<IdResult>>> {
    let (raw, txt_record) = match body {
        FormOrJson::Form(form) => {
            let named = |names: &[&str]| -> Vec<String> {
                form.iter()
                    .filter(|(k, _)| names.iter().any(|n| k.eq_ignore_ascii_case(n)))
                    .map(|(_, v)| v.clone())
                    .collect()
            };
            (named(&["Domain", "Domains"]), named(&["TxtRecord"]).pop())
        }
        FormOrJson::Json(input) => (
            input
                .domain
                .into_iter()
                .chain(input.domains.unwrap_or_default())
                .collect(),
            input.txt_record,
        ),
    };
    let domains = requested_domains(&raw)?;
    let txt_record = match txt_record.map(|t| t.trim().to_owned()) {
        Some(t) if !t.is_empty() => {
            check_txt_record(&company, &t).map_err(ApiError::bad_request)?;
            t
        }
        _ => new_txt_record(&company),
    };
    let added = state
        .store
        .insert_allowed_domains(company.id, &domains, &txt_record, &audit::actor(&caller))
        .await?;
    let first = added
        .first()
        .map(|d| d.resource_id.clone())
        .unwrap_or_default();
    let message = match added.len() {
        1 => "Domain added.".to_owned(),
        n => format!("{n} domains added."),
    };
    Ok(written(first, message))
}

// `DELETE /api/allow-list`.
/// Delete allowed domains
///
/// Deletes the domains listed in `resourceIds` (their `allowListResourceId` from the search, at
/// most 1,000) from the company's allow-list, all or none: an id that is not one of the company's
/// domains is 404 naming it, and nothing is deleted. Target users on those domains stay and read as
/// unverified. Reseller or Company Admin: a Reseller must name the company in
/// `X-KEEPNET-Company-Id` (400 without it), a Company Admin acts on its own. Answers the first
/// deleted domain's resource id.
#[utoipa::path(
    delete, path = "/api/allow-list", operation_id = "deleteAllowedDomains", tag = "AllowList", params(crate::openapi::Scope),
    request_body = DeleteAllowListRequest,
    responses((status = 200, description = "The (first) deleted domain's resource id", body = Envelope<IdResult>), crate::openapi::ApiErrors)
)]
pub async fn delete(
    State(state): State<AppState>,
    Scoped {
        caller, company, ..
    }: Scoped<Write>,
    KJson(req): KJson<DeleteAllowListRequest>,
) -> ApiResult<Json<Envelope<IdResult>>> {
    let mut ids: Vec<String> = Vec::new();
    for id in req.resource_ids.unwrap_or_default() {
        let id = id.trim().to_owned();
        if !id.is_empty() && !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.is_empty() {
        return Err(ApiError::bad_request(
            "resourceIds must list at least one allowed domain (its allowListResourceId from POST /api/allow-list/search)",
        ));
    }
    if ids.len() > MAX_DELETE_IDS {
        return Err(ApiError::bad_request(format!(
            "resourceIds may list at most {MAX_DELETE_IDS} domains, not {}",
            ids.len()
        )));
    }
    let outcome = state
        .store
        .delete_allowed_domains(company.id, &ids, &audit::actor(&caller))
        .await?;
    if !outcome.missing.is_empty() {
        return Err(ApiError::not_found(format!(
            "no allowed domain {} in this company; nothing was deleted",
            outcome
                .missing
                .iter()
                .map(|id| format!("'{id}'"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let message = match outcome.deleted.len() {
        1 => "Domain deleted.".to_owned(),
        n => format!("{n} domains deleted."),
    };
    Ok(written(ids[0].clone(), message))
}

/// The search body the document offers for the allowed-domain search and export ("Try it
/// out" sends it): fields of [`fields::ALLOW_LIST`].
fn search_example(export: bool) -> serde_json::Value {
    crate::openapi::filter_example(
        serde_json::json!([
            {"fieldName": "Domain", "operator": "Contains", "value": "example"},
            {"fieldName": "Status", "operator": "Include", "value": "Verified,Unverified"}
        ]),
        "Domain",
        true,
        export,
    )
}

// `POST /api/allow-list/search`.
/// Search allowed domains
///
/// One page of the company's allowed domains with their TXT value and verification state (`status`
/// `Verified` or `Unverified`; `verifyType` 1 found in DNS, 2 marked by a Reseller, 0 while
/// unverified), filtered and sorted on the fields listed below, newest first by default;
/// `searchInputTextValue` searches the domain. An unknown field or operator, or a value of the
/// wrong type, is 400 naming the valid ones. Reseller or Company Admin, in the company named by
/// `X-KEEPNET-Company-Id` (a Reseller: its own or any below it; a Company Admin: its own) or,
/// without it, the caller's own.
#[utoipa::path(
    post, path = "/api/allow-list/search", operation_id = "searchAllowedDomains", tag = "AllowList", params(crate::openapi::Scope),
    request_body(content = SearchRequest, example = json!(search_example(false))),
    responses((status = 200, description = "One page of allowed domains", body = Envelope<Paged<SearchAllowListDto>>), crate::openapi::ApiErrors)
)]
pub async fn search(
    State(state): State<AppState>,
    Scoped { company, .. }: Scoped<Read>,
    KJson(req): KJson<SearchRequest>,
) -> ApiResult<Json<Envelope<Paged<SearchAllowListDto>>>> {
    let (spec, paging) = search_spec(&state, &req, &fields::ALLOW_LIST, &company)?;
    let (total, rows) = state
        .store
        .search_allowed_domains(company.id, &spec)
        .await?;
    Ok(paging.reply(total, rows.iter().map(search_row).collect()))
}

/// Columns of the allowed-domain export, in order.
pub const EXPORT_COLUMNS: &[&str] = &[
    "Domain",
    "Status",
    "TXT Record",
    "Verified By",
    "Verified",
    "Last Check",
    "Created",
    "Resource Id",
];

fn cells(d: &AllowedDomain) -> Vec<Cell> {
    let how = match d.verify_type {
        Some(VerifyType::Dns) => "DNS TXT record",
        Some(VerifyType::Marked) => "Marked by a Reseller",
        None => "",
    };
    vec![
        Cell::Text(d.domain.clone()),
        Cell::Text(domain_status_name(d.is_verified).to_owned()),
        Cell::Text(d.txt_record.clone()),
        Cell::Text(how.to_owned()),
        Cell::Time(d.verify_time),
        Cell::Time(d.last_check_time),
        Cell::Time(Some(d.create_time)),
        Cell::Text(d.resource_id.clone()),
    ]
}

/// This module's export, as a kind: its file `Allowed Domains.csv`, `.xlsx` or `.pdf`,
/// and its audit row.
pub struct AllowedDomainsFile;

impl ExportKind for AllowedDomainsFile {
    const TITLE: &'static str = "Allowed Domains";
    const ENTITY: Entity = Entity::AllowedDomain;
    const NOUN: (&'static str, &'static str) = ("allowed domain", "allowed domains");
}

// `POST /api/allow-list/search/export`.
/// Export allowed domains
///
/// The domains a search selects, as a file: `exportType` `CSV`, `Excel` or `PDF` (any case;
/// required), the requested page or, with `reportAllPages: true`, every match, in the search's
/// order. The columns are Domain, Status, TXT Record, Verified By, Verified, Last Check, Created
/// and Resource Id; the file is `Allowed Domains.csv` (`.xlsx`, `.pdf`), and the export is recorded
/// in the audit log. Errors come before the file starts, as the JSON envelope: a missing or unknown
/// `exportType`, a bad filter, or a PDF of more than 5,000 rows is 400. Reseller or Company Admin,
/// scoped as the search.
#[utoipa::path(
    post, path = "/api/allow-list/search/export", operation_id = "exportAllowedDomains", tag = "AllowList", params(crate::openapi::Scope, ExportOptions),
    request_body(content = SearchRequest, example = json!(search_example(true))),
    responses(crate::openapi::ExportFile<AllowedDomainsFile>)
)]
pub async fn export(
    State(state): State<AppState>,
    request: ExportRequest<AllowedDomainsFile>,
) -> ApiResult<Response> {
    let store = &state.store;
    // A company lists a handful of domains: one query reads them all.
    let read = |company_id, spec| async move {
        Ok(store.search_allowed_domains(company_id, &spec).await?.1)
    };
    let list = (&fields::ALLOW_LIST, EXPORT_COLUMNS);
    files::export_read(&state, request, list, read, cells).await
}

// `GET /api/allow-list/search/verified`.
/// List verified domains
///
/// The names of the company's verified domains, sorted. Reseller or Company Admin, in the company
/// named by `X-KEEPNET-Company-Id` (a Reseller: its own or any below it; a Company Admin: its own)
/// or, without it, the caller's own.
#[utoipa::path(
    get, path = "/api/allow-list/search/verified", operation_id = "verifiedDomains", tag = "AllowList", params(crate::openapi::Scope),
    responses((status = 200, description = "The verified domains, sorted", body = Envelope<Vec<String>>), crate::openapi::ApiErrors)
)]
pub async fn verified(
    State(state): State<AppState>,
    Scoped { company, .. }: Scoped<Read>,
) -> ApiResult<Json<Envelope<Vec<String>>>> {
    Ok(Json(Envelope::success(
        state.store.verified_domains(company.id).await?,
    )))
}

// `GET /api/allow-list/search/unverified`: Keepnet's UI calls it after each table load
// (REFERENCE.md, "Page frame").
/// List unverified domains
///
/// The domains the company should still verify, sorted: the email domains of its live (not deleted)
/// target users together with the domains on its allow-list, less the verified ones. Keepnet's UI
/// calls it after every table load to warn about users on unverified domains. Reseller or Company
/// Admin, in the company named by `X-KEEPNET-Company-Id` (a Reseller: its own or any below it; a
/// Company Admin: its own) or, without it, the caller's own.
#[utoipa::path(
    get, path = "/api/allow-list/search/unverified", operation_id = "unverifiedDomains", tag = "AllowList", params(crate::openapi::Scope),
    responses((status = 200, description = "The unverified domains, sorted", body = Envelope<Vec<String>>), crate::openapi::ApiErrors)
)]
pub async fn unverified(
    State(state): State<AppState>,
    Scoped { company, .. }: Scoped<Read>,
) -> ApiResult<Json<Envelope<Vec<String>>>> {
    Ok(Json(Envelope::success(
        state.store.unverified_domains(company.id).await?,
    )))
}

// `POST /api/allow-list/txt-record`.
/// Get a new TXT value
///
/// A new value to publish in a TXT record at a domain the company wants to prove it owns:
/// `rollcall-domain-verification=` followed by 16 hex digits naming the company and 16 random
/// characters. Nothing is stored until a domain is added with it (`txtRecord`), and one value may
/// prove several domains. The value names the company it was issued to, so a Reseller names the
/// company in `X-KEEPNET-Company-Id` here as it will when adding the domain; without the header,
/// the value is the caller's own company's. Reseller or Company Admin (a Company Admin for its own
/// company). No request body.
#[utoipa::path(
    post, path = "/api/allow-list/txt-record", operation_id = "newTxtRecord", tag = "AllowList", params(crate::openapi::Scope),
    responses((status = 200, description = "The TXT value to publish at the domain", body = Envelope<String>), crate::openapi::ApiErrors)
)]
pub async fn txt_record(Scoped { company, .. }: Scoped<Read>) -> Json<Envelope<String>> {
    Json(Envelope::success(new_txt_record(&company)))
}

/// The company's domain `id`, or 404 (another company's id included).
async fn domain_of(state: &AppState, company: &Company, id: &str) -> ApiResult<AllowedDomain> {
    state
        .store
        .allowed_domain(company.id, id)
        .await?
        .ok_or_else(|| not_found(id))
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!(
        "allowed domain '{id}' was not found in this company; POST /api/allow-list/search lists its domains"
    ))
}

/// Up to three TXT values, quoted and cut, for a message.
fn some_values(values: &[String]) -> String {
    let mut shown: Vec<String> = values
        .iter()
        .take(3)
        .map(|v| format!("'{}'", rollcall_store::audit::clip(v, 80)))
        .collect();
    if values.len() > 3 {
        shown.push(format!("and {} more", values.len() - 3));
    }
    shown.join(", ")
}

// `POST /api/allow-list/verify/{resourceId}`.
/// Verify a domain by DNS
///
/// Looks up the TXT records at the domain and verifies it when one of them holds the domain's TXT
/// value; answers the domain with `status` 1 and `verifyType` 1. When the value is not there, the
/// answer is 400 saying what DNS holds (no such name, no TXT record, or other values) and what to
/// publish where; a domain verified earlier stays verified. Either way the check's time is kept as
/// `lastCheckTime`. When DNS does not answer in time or fails, the answer is 500 saying so, and
/// nothing is recorded. Reseller or Company Admin: a Reseller must name the company in
/// `X-KEEPNET-Company-Id` (400 without it), a Company Admin acts on its own; a domain of another
/// company is 404. No request body.
#[utoipa::path(
    post, path = "/api/allow-list/verify/{resourceId}", operation_id = "verifyAllowedDomain", tag = "AllowList", params(crate::openapi::Scope, crate::openapi::ResourceId),
    responses((status = 200, description = "The domain, verified", body = Envelope<AllowListDto>), crate::openapi::ApiErrors)
)]
pub async fn verify(
    State(state): State<AppState>,
    Scoped {
        caller, company, ..
    }: Scoped<Write>,
    Path(id): Path<String>,
) -> ApiResult<Json<Envelope<AllowListDto>>> {
    let d = domain_of(&state, &company, &id).await?;
    let publish = format!(
        "publish a TXT record at {} with the value {} and try again (DNS changes can take a while to be seen)",
        d.domain, d.txt_record
    );
    let answer = dns::txt_records(state.config.dns_resolver, state.config.dns_timeout, &d.domain)
        .await
        .map_err(|e| {
            let what = match &e {
                DnsError::Timeout(t) => {
                    format!("did not answer within {} s", t.as_secs_f64())
                }
                DnsError::Failed(_) => "failed".to_owned(),
            };
            ApiError::upstream(
                format!(
                    "The DNS look-up of the TXT records at {} {what}; nothing was changed. Try again later; if it keeps failing, the server's DNS resolver setting (--dns-resolver) may be wrong.",
                    d.domain
                ),
                format!("TXT look-up of {}: {e}", d.domain),
            )
        })?;
    let (check, refusal) = match answer {
        TxtAnswer::Records(values) if values.iter().any(|v| v.trim() == d.txt_record) => {
            (DomainCheck::Found, None)
        }
        TxtAnswer::Records(values) => (
            DomainCheck::NotFound(format!("its TXT records are {}", some_values(&values))),
            Some(format!(
                "{} has TXT records ({}) but none with this domain's value: {publish}",
                d.domain,
                some_values(&values)
            )),
        ),
        TxtAnswer::NoRecords => (
            DomainCheck::NotFound("it has no TXT record".into()),
            Some(format!("{} has no TXT record: {publish}", d.domain)),
        ),
        TxtAnswer::NoSuchName => (
            DomainCheck::NotFound("it does not exist in DNS".into()),
            Some(format!(
                "{} does not exist in DNS (check its spelling): {publish}",
                d.domain
            )),
        ),
    };
    let after = state
        .store
        .record_domain_check(company.id, &id, &check, &audit::actor(&caller))
        .await?
        .ok_or_else(|| not_found(&id))?;
    if let Some(refusal) = refusal {
        let kept = if after.is_verified {
            " The domain stays verified from its earlier proof."
        } else {
            ""
        };
        return Err(ApiError::bad_request(format!("{refusal}.{kept}")));
    }
    Ok(Json(Envelope::done(dto(&after), "Domain verified.")))
}

// `PUT /api/allow-list/mark-as-verified/{resourceId}`.
/// Mark a domain as verified
///
/// Verifies one of the company's domains on the Reseller's word, without a DNS look-up
/// (`verifyType` 2). Reseller only: a Company Admin gets 403. The Reseller names the company in
/// `X-KEEPNET-Company-Id` (400 without it); a domain of another company is 404. No request body.
#[utoipa::path(
    put, path = "/api/allow-list/mark-as-verified/{resourceId}", operation_id = "markAllowedDomainVerified", tag = "AllowList", params(crate::openapi::Scope, crate::openapi::ResourceId),
    responses((status = 200, description = "The domain's resource id", body = Envelope<IdResult>), crate::openapi::ApiErrors)
)]
pub async fn mark_as_verified(
    State(state): State<AppState>,
    Scoped {
        caller, company, ..
    }: Scoped<Write>,
    Path(id): Path<String>,
) -> ApiResult<Json<Envelope<IdResult>>> {
    caller.require_reseller()?;
    let d = state
        .store
        .mark_domain_verified(company.id, &id, &audit::actor(&caller))
        .await?
        .ok_or_else(|| not_found(&id))?;
    Ok(written(d.resource_id, "Domain marked as verified."))
}

/// Sets `isDomainVerified` on target-user search rows of `company_id`: one query for the
/// page's distinct domains.
pub async fn mark_search_rows(
    state: &AppState,
    context: &CompanyContext,
    company_id: i64,
    rows: &mut [TargetUserSearchView],
) -> ApiResult<()> {
    if !context.setup.verified_domains {
        // `isDomainVerified` stays false on every row.
        return Ok(());
    }
    let domain = |email: &str| email_domain(&email.to_lowercase()).to_owned();
    let mut domains: Vec<String> = rows.iter().map(|r| domain(&r.email)).collect();
    domains.sort_unstable();
    domains.dedup();
    let verified: HashSet<String> = state
        .store
        .verified_among(company_id, &domains)
        .await?
        .into_iter()
        .collect();
    for row in rows {
        row.is_domain_verified = verified.contains(&domain(&row.email));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_normalised_or_refused_saying_why() {
        assert_eq!(
            normalise_domain(" Example.COM. ").as_deref(),
            Ok("example.com")
        );
        assert_eq!(
            normalise_domain("mail.xn--bcher-kva.example").as_deref(),
            Ok("mail.xn--bcher-kva.example")
        );
        for (bad, why) in [
            ("", "empty"),
            ("localhost", "needs a dot"),
            ("ann@example.com", "after the '@'"),
            ("https://example.com", "not a URL"),
            ("ex ample.com", "only letters"),
            ("-x.com", "hyphen"),
            ("a..com", "1 to 63"),
            ("10.0.0.1", "cannot be a number"),
            ("bücher.de", "xn--"),
        ] {
            let e = normalise_domain(bad).expect_err(bad);
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn txt_values_name_the_company_they_were_issued_to() {
        let company = |rid: &str| Company {
            id: 1,
            resource_id: rid.into(),
            parent_id: None,
            path: "/1/".into(),
            fields: Default::default(),
            privacy: Default::default(),
            create_time: 0,
            update_time: None,
        };
        let (a, b) = (company("AAAAAAAAAAAA"), company("BBBBBBBBBBBB"));
        let value = new_txt_record(&a);
        assert!(value.starts_with(TXT_PREFIX));
        assert_eq!(check_txt_record(&a, &value), Ok(()));
        assert!(check_txt_record(&b, &value).is_err());
        assert!(check_txt_record(&a, "v=spf1 -all").is_err());
        assert_ne!(new_txt_record(&a), value);
    }
}
