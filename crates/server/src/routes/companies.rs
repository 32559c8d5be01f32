//! `/api/companies`: search, my companies, CRUD and the licence check.

use std::collections::HashMap;

use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::Json;
use chrono::{DateTime, Utc};
use rollcall_store::catalog::{self, DEFAULT_LICENSE_PERIOD, DEFAULT_LICENSE_TYPE};
use rollcall_store::query::{month_of, parse_filter_in, parse_order};
use rollcall_store::{
    fields, Company, CompanyFields, CompanyRow, CompanySearch, DeleteOutcome, LookupKind, Privacy,
    SearchSpec, STATUS_ACTIVE,
};
use rollcall_types::company::{
    CompanyDto, CompanyInput, CompanySearchPage, LicenseCheckDto, MyCompanyDto, SearchCompanyDto,
};
use rollcall_types::{Envelope, IdResult, SearchRequest};

use crate::audit;
use crate::auth::caller::Caller;
use crate::error::{ApiError, ApiResult};
use crate::export::{self, ExportOptions};
use crate::extract::{parse_json_body, KJson};
use crate::paging::Paging;
use crate::replica::reading;
use crate::routes::files;
use crate::routes::files::{ExportKind, ExportRequest};
use crate::routes::written;
use crate::scope::{resolve_company, CompanyTree, Read, Scoped};
use crate::state::AppState;
use crate::time::{millis_to_time, now_millis};
use axum::response::Response;
use rollcall_store::Entity;

/// Parses a companies search body into the store's query. Shared with the export endpoint.
pub fn company_search(
    req: &SearchRequest,
    max_page_size: i64,
    under: &Company,
) -> ApiResult<(CompanySearch, Paging)> {
    let now = now_millis();
    let paging = Paging::from_request(req, max_page_size)?;
    let display = crate::paging::display_format(under);
    let ctx = crate::paging::filter_context(now, display.as_ref());
    let parsed = parse_filter_in(req.filter.as_ref(), &fields::COMPANIES, &ctx)?;
    let order = parse_order(
        req.order_by.as_deref(),
        req.ascending.unwrap_or(false),
        &fields::COMPANIES,
    )?;
    Ok((
        CompanySearch {
            spec: SearchSpec {
                cond: parsed.cond,
                order,
                offset: paging.offset(),
                limit: paging.size,
            },
            month: parsed.month.unwrap_or_else(|| month_of(now)),
            only_limit_exceeded: req.is_target_user_count_exceeded_limit.unwrap_or(false),
            now,
        },
        paging,
    ))
}

/// Turns a store row into Keepnet's DTO.
pub fn search_dto(row: CompanyRow, now: i64) -> SearchCompanyDto {
    SearchCompanyDto {
        company_name: row.name,
        company_resource_id: row.resource_id.clone(),
        resource_id: row.resource_id,
        reseller_name: row.reseller_name,
        industry_name: row.industry_name,
        industry_resource_id: row.industry_id,
        license_type_name: row.license_type_name,
        license_type_resource_id: row.license_type_id,
        is_number_of_users_limited: row.is_number_of_users_limited,
        number_of_users: row.number_of_users.map(|n| n.to_string()),
        privacy_duration_id: privacy_id(&row.privacy, now),
        privacy_duration_start_time: row.privacy.start_time.and_then(millis_to_time),
        privacy_duration_end_time: row.privacy.end_time.and_then(millis_to_time),
        licence_expired: row.license_end_date.is_some_and(|end| end < now),
        license_end_date: row.license_end_date.and_then(millis_to_time),
        create_time: millis_to_time(row.create_time),
        target_user_count: row.target_user_count,
        children: None,
        tags: Some(row.tags),
        deleted_target_user_count: row.deleted_target_user_count,
        inactive_target_user_count: row.inactive_target_user_count,
        monthly_active_user_count: row.monthly_active_user_count,
        // rollcall records no enrolment (CONTRACT.md: empty values, never invented ones).
        monthly_enrolled: 0,
        monthly_consumption: 0,
        enrolled_vendor_names: Vec::new(),
    }
}

/// `privacyDurationId` as clients read it: what applies at `now` (an ended window reads 0).
fn privacy_id(p: &Privacy, now: i64) -> i32 {
    i32::try_from(p.effective_id(now)).unwrap_or(0)
}

/// The clustered view (`isClustered: true`, REFERENCE.md C.1): each matching company whose
/// parent did not match is a top-level row, carrying its matching customers in `children`
/// (recursively, `[]` for none), in the requested order at every level. Paging counts
/// top-level rows.
fn cluster(rows: Vec<CompanyRow>, now: i64) -> Vec<SearchCompanyDto> {
    let ids: std::collections::HashSet<i64> = rows.iter().map(|r| r.id).collect();
    let mut below: HashMap<i64, Vec<CompanyRow>> = HashMap::new();
    let mut tops = Vec::new();
    for r in rows {
        match r.parent_id.filter(|p| ids.contains(p)) {
            Some(p) => below.entry(p).or_default().push(r),
            None => tops.push(r),
        }
    }
    fn node(
        r: CompanyRow,
        below: &mut HashMap<i64, Vec<CompanyRow>>,
        now: i64,
    ) -> SearchCompanyDto {
        let kids = below.remove(&r.id).unwrap_or_default();
        let children = kids.into_iter().map(|k| node(k, below, now)).collect();
        SearchCompanyDto {
            children: Some(children),
            ..search_dto(r, now)
        }
    }
    tops.into_iter().map(|r| node(r, &mut below, now)).collect()
}

/// `POST /api/companies/search` (Reseller): the companies below the scoped company (by default
/// the caller's own), with licence data and target-user counts.
#[utoipa::path(
    post, path = "/api/companies/search", operation_id = "searchCompanies", tag = "Company", params(crate::openapi::Scope),
    summary = "Search companies",
    description = "One page of the companies below the scoped company (by default the caller's own, which \
        `GET /api/companies/my` returns), each with its licence data and target-user counts. \
        Each row's `resourceId` (also in `companyResourceId`) is the company id to send in \
        `X-KEEPNET-Company-Id` to act in that company. Reseller only: a Company Admin gets 403. \
        `isTargetUserCountExceededLimit: true` keeps the companies whose active users exceed a \
        limited licence, and `isClustered: true` answers a tree. Companies stay listed whatever \
        their account privacy. An unknown field or operator, or a value of the wrong type, is a \
        400 naming the allowed ones.",
    request_body(content = SearchRequest, examples(
        ("All companies" = (summary = "The first 20 companies, newest first", value = json!({
            "pageNumber": 1, "pageSize": 20, "orderBy": "CreateTime", "ascending": false
        }))),
        ("By name" = (summary = "Companies whose name contains \"acme\", by name", value = json!({
            "pageNumber": 1, "pageSize": 20, "orderBy": "CompanyName", "ascending": true,
            "filter": {"condition": "AND", "searchInputTextValue": "", "filterGroups": [
                {"condition": "AND", "filterItems": [
                    {"fieldName": "CompanyName", "operator": "Contains", "value": "acme"}
                ]}
            ]}
        }))),
        ("Over the licence" = (summary = "Companies whose active users exceed a limited licence", value = json!({
            "pageNumber": 1, "pageSize": 20, "isTargetUserCountExceededLimit": true
        }))),
    )),
    responses((status = 200, description = "One page of the companies in reach", body = Envelope<CompanySearchPage>), crate::openapi::ApiErrors)
)]
pub async fn search(
    State(state): State<AppState>,
    Scoped {
        caller,
        company: under,
        ..
    }: Scoped<Read, CompanyTree>,
    KJson(req): KJson<SearchRequest>,
) -> ApiResult<Json<Envelope<CompanySearchPage>>> {
    caller.require_reseller()?;
    let (mut search, paging) = company_search(&req, state.config.max_page_size, &under)?;
    let clustered = req.is_clustered.unwrap_or(false);
    if clustered {
        // The tree needs every match before it is paged; companies are few (thousands at
        // most), as the export also assumes.
        search.spec.every_page();
    }
    let (under, search) = (&under, &search);
    let page = reading(&state, &caller, |state| async move {
        Ok(state.store.search_companies(under, search).await?)
    })
    .await?;
    let (total, results) = if clustered {
        let tops = cluster(page.rows, search.now);
        let total = tops.len() as i64;
        let start = usize::try_from(paging.offset()).unwrap_or(usize::MAX);
        let size = usize::try_from(paging.size).unwrap_or(usize::MAX);
        (total, tops.into_iter().skip(start).take(size).collect())
    } else {
        let rows = page.rows.into_iter();
        (
            page.total,
            rows.map(|r| search_dto(r, search.now)).collect(),
        )
    };
    let p = rollcall_types::Paged::new(paging.number, paging.size, total, results);
    Ok(Json(Envelope::success(CompanySearchPage {
        limit_exceeded_company_count: page.limit_exceeded,
        page_number: p.page_number,
        page_size: p.page_size,
        total_number_of_pages: p.total_number_of_pages,
        total_number_of_records: p.total_number_of_records,
        results: p.results,
    })))
}

/// `GET /api/companies/my`: the caller's company with, for a reseller, every company below it
/// as `children`.
#[utoipa::path(
    get, path = "/api/companies/my", operation_id = "getMyCompanies", tag = "Company",
    summary = "Get the caller's companies",
    description = "The caller's own company with, for a Reseller, every company below it nested in \
        `children` (at any depth), each with its account privacy and whether its licence has \
        expired. Both roles; a Company Admin gets its own company alone. It takes no company \
        scope.",
    responses((status = 200, description = "The caller's company and, for a reseller, every company below it", body = Envelope<Vec<MyCompanyDto>>), crate::openapi::ApiErrors)
)]
pub async fn my(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Envelope<Vec<MyCompanyDto>>>> {
    let now = now_millis();
    let companies = match caller.role() {
        rollcall_store::Role::Reseller => state.store.company_subtree(&caller.company).await?,
        rollcall_store::Role::CompanyAdmin => vec![caller.company.clone()],
    };
    let mut children: HashMap<i64, Vec<&Company>> = HashMap::new();
    for c in &companies {
        if let Some(p) = c.parent_id {
            children.entry(p).or_default().push(c);
        }
    }
    fn build(c: &Company, children: &HashMap<i64, Vec<&Company>>, now: i64) -> MyCompanyDto {
        MyCompanyDto {
            name: c.fields.name.clone(),
            resource_id: c.resource_id.clone(),
            logo_url: c.fields.logo_url.clone(),
            privacy_duration_id: privacy_id(&c.privacy, now),
            licence_expired: c.licence_expired(now),
            privacy_duration_start_time: c.privacy.start_time.and_then(millis_to_time),
            privacy_duration_end_time: c.privacy.end_time.and_then(millis_to_time),
            children: children
                .get(&c.id)
                .map(|v| v.iter().map(|k| build(k, children, now)).collect())
                .unwrap_or_default(),
        }
    }
    Ok(Json(Envelope::success(vec![build(
        &caller.company,
        &children,
        now,
    )])))
}

/// The company create/update body: Keepnet's multipart form (PascalCase fields), an urlencoded
/// form with the same names, or JSON.
pub struct CompanyBody(pub CompanyInput);

impl FromRequest<AppState> for CompanyBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let ct = crate::extract::media_type(req.headers());
        if ct == "multipart/form-data" {
            let mut mp = Multipart::from_request(req, state).await.map_err(|e| {
                ApiError::bad_request(format!("the multipart body could not be read: {e}"))
            })?;
            let mut form: Vec<(String, String)> = Vec::new();
            while let Some(field) = mp.next_field().await.map_err(|e| {
                ApiError::bad_request(format!("the multipart body could not be read: {e}"))
            })? {
                let name = field.name().unwrap_or("").to_owned();
                if field.file_name().is_some() {
                    // A logo upload: accepted and not stored (rollcall keeps `LogoUrl` only).
                    let _ = field.bytes().await;
                    continue;
                }
                let text = field
                    .text()
                    .await
                    .map_err(|e| ApiError::bad_request(format!("form field {name}: {e}")))?;
                form.push((name, text));
            }
            return form_input(&form).map(CompanyBody);
        }
        if ct == "application/x-www-form-urlencoded" {
            let bytes = axum::body::Bytes::from_request(req, state)
                .await
                .map_err(|e| {
                    ApiError::bad_request(format!("could not read the request body: {e}"))
                })?;
            let form: Vec<(String, String)> =
                serde_urlencoded::from_bytes(&bytes).map_err(|e| {
                    ApiError::bad_request(format!("the form body could not be read: {e}"))
                })?;
            return form_input(&form).map(CompanyBody);
        }
        let json = crate::extract::is_json_content_type(req.headers());
        let has_type = req.headers().contains_key(CONTENT_TYPE);
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::bad_request(format!("could not read the request body: {e}")))?;
        if has_type && !json {
            return Err(ApiError::bad_request(
                "send the company as multipart/form-data (Keepnet's form fields) or as JSON",
            ));
        }
        parse_json_body(&bytes, true, has_type).map(CompanyBody)
    }
}

fn parse_time(name: &str, v: &str) -> Result<DateTime<Utc>, String> {
    rollcall_types::time::parse_date_or_time(v).ok_or_else(|| {
        format!("{name} must be a date (YYYY-MM-DD) or an ISO 8601 date-time, got '{v}'")
    })
}

/// Reads Keepnet's PascalCase form fields (names matched case-insensitively).
fn form_input(form: &[(String, String)]) -> ApiResult<CompanyInput> {
    for (name, value) in form {
        crate::text::check(name, value).map_err(ApiError::bad_request)?;
    }
    let mut problems = Vec::new();
    let get = |name: &str| {
        form.iter()
            .rev()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_owned())
    };
    let text = |name: &str| get(name).filter(|v| !v.is_empty());
    let mut int = |name: &str| -> Option<i64> {
        let v = text(name)?;
        v.parse()
            .map_err(|_| problems.push(format!("{name} must be a whole number, got '{v}'")))
            .ok()
    };
    let number_of_users = int("NumberOfUsers");
    let status_id = int("StatusId").and_then(|s| i32::try_from(s).ok());
    let mut boolean = |name: &str| -> Option<bool> {
        let v = text(name)?;
        match v.to_ascii_lowercase().as_str() {
            "true" | "1" | "on" => Some(true),
            "false" | "0" | "off" => Some(false),
            _ => {
                problems.push(format!("{name} must be true or false, got '{v}'"));
                None
            }
        }
    };
    let is_limited = boolean("IsNumberOfUsersLimited");
    let mut time = |name: &str| -> Option<DateTime<Utc>> {
        let v = text(name)?;
        parse_time(name, &v).map_err(|e| problems.push(e)).ok()
    };
    let start = time("LicenseStartDate");
    let end = time("LicenseEndDate");
    let tags: Vec<String> = form
        .iter()
        .filter(|(k, _)| {
            let k = k.to_ascii_lowercase();
            k == "tags" || k == "tags[]" || (k.starts_with("tags[") && k.ends_with(']'))
        })
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect();
    let input = CompanyInput {
        name: get("Name"),
        description: text("Description"),
        address: text("Address"),
        website_url: text("WebsiteUrl"),
        logo_url: text("LogoUrl"),
        country_resource_id: text("CountryResourceId"),
        industry_resource_id: text("IndustryResourceId"),
        license_type_resource_id: text("LicenseTypeResourceId"),
        license_period_type_resource_id: text("LicensePeriodTypeResourceId"),
        number_of_users,
        is_number_of_users_limited: is_limited,
        license_start_date: start,
        license_end_date: end,
        time_zone_id: text("TimeZoneId"),
        date_format: text("DateFormat"),
        time_format: text("TimeFormat"),
        status_id,
        tags: if tags.is_empty() { None } else { Some(tags) },
        // `get`, not `text`: an empty field clears the language, as in JSON.
        preferred_language_type_resource_id: get("PreferredLanguageTypeResourceId"),
        resource_id: text("ResourceId"),
    };
    if !problems.is_empty() {
        return Err(ApiError::validation(problems));
    }
    Ok(input)
}

/// Merges `input` over `base` (create: defaults; update: the stored company) and validates.
pub fn company_fields(
    input: CompanyInput,
    base: Option<&CompanyFields>,
) -> ApiResult<CompanyFields> {
    let mut problems = Vec::new();
    let mut f = base.cloned().unwrap_or_else(|| CompanyFields {
        license_type_id: Some(DEFAULT_LICENSE_TYPE.to_owned()),
        license_period_type_id: Some(DEFAULT_LICENSE_PERIOD.to_owned()),
        status_id: STATUS_ACTIVE,
        ..CompanyFields::default()
    });
    match input.name.map(|n| n.trim().to_owned()) {
        Some(n) if !n.is_empty() => f.name = n,
        Some(_) => problems.push("Name must not be empty".to_owned()),
        None if base.is_none() => problems.push("Name is required".to_owned()),
        None => {}
    }
    let mut limit = |field: &str, value: &Option<String>, max: usize| {
        if value.as_ref().is_some_and(|v| v.chars().count() > max) {
            problems.push(format!("{field} must be at most {max} characters"));
        }
    };
    limit("Name", &Some(f.name.clone()), 64);
    limit("Description", &input.description, 300);
    limit("Address", &input.address, 200);
    limit("WebsiteUrl", &input.website_url, 2000);
    limit("LogoUrl", &input.logo_url, 2000);
    // TimeZoneId is a Windows id or an IANA name (docs/api.md, time zones and languages).
    let time_zone_id = match input.time_zone_id {
        Some(tz) => match crate::validate::check_time_zone("TimeZoneId", &tz) {
            Ok(v) => Some(v),
            Err(e) => {
                problems.push(e);
                None
            }
        },
        None => None,
    };
    // A language of the catalogue, stored as its resource id; empty clears it (docs/api.md,
    // "Lookups and time zones"; REFERENCE.md C.4).
    if let Some(v) = input.preferred_language_type_resource_id {
        match crate::validate::check_language("PreferredLanguageTypeResourceId", &v) {
            Ok(id) => f.preferred_language_id = Some(id).filter(|id| !id.is_empty()),
            Err(e) => problems.push(e),
        }
    }
    macro_rules! set {
        ($($field:ident = $value:expr),* $(,)?) => { $( if let Some(v) = $value { f.$field = Some(v); } )* };
    }
    set!(
        description = input.description,
        address = input.address,
        website_url = input.website_url,
        logo_url = input.logo_url,
        time_zone_id = time_zone_id,
        date_format = input.date_format,
        time_format = input.time_format,
    );
    let lookups = [
        (
            "CountryResourceId",
            LookupKind::Country,
            input.country_resource_id,
            &mut f.country_id,
        ),
        (
            "IndustryResourceId",
            LookupKind::Industry,
            input.industry_resource_id,
            &mut f.industry_id,
        ),
        (
            "LicenseTypeResourceId",
            LookupKind::LicenseType,
            input.license_type_resource_id,
            &mut f.license_type_id,
        ),
        (
            "LicensePeriodTypeResourceId",
            LookupKind::LicensePeriodType,
            input.license_period_type_resource_id,
            &mut f.license_period_type_id,
        ),
    ];
    for (name, kind, value, slot) in lookups {
        if let Some(id) = value {
            if catalog::entry(kind, &id).is_some() {
                *slot = Some(id);
            } else {
                problems.push(format!(
                    "{name} '{id}' is unknown; GET /api/lookups/{} lists the valid ids",
                    kind.as_str()
                ));
            }
        }
    }
    if let Some(n) = input.number_of_users {
        if n < 0 {
            problems.push("NumberOfUsers must not be negative".to_owned());
        }
        f.number_of_users = Some(n);
    }
    match input.is_number_of_users_limited {
        Some(l) => f.is_number_of_users_limited = l,
        // Keepnet requires NumberOfUsers; a company created with one has a limited licence
        // unless IsNumberOfUsersLimited says otherwise.
        None if base.is_none() => f.is_number_of_users_limited = f.number_of_users.is_some(),
        None => {}
    }
    if f.is_number_of_users_limited && f.number_of_users.is_none() {
        problems.push("NumberOfUsers is required when IsNumberOfUsersLimited is true".to_owned());
    }
    if let Some(t) = input.license_start_date {
        f.license_start_date = Some(t.timestamp_millis());
    }
    if let Some(t) = input.license_end_date {
        f.license_end_date = Some(t.timestamp_millis());
    }
    if let (Some(s), Some(e)) = (f.license_start_date, f.license_end_date) {
        if e < s {
            problems.push("LicenseEndDate must not be before LicenseStartDate".to_owned());
        }
    }
    if let Some(s) = input.status_id {
        if ![1, 2].contains(&s) {
            problems.push(format!(
                "StatusId must be 1 (active) or 2 (inactive), got {s}"
            ));
        }
        f.status_id = i64::from(s);
    }
    if let Some(tags) = input.tags {
        let mut clean: Vec<String> = Vec::new();
        for t in tags
            .into_iter()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
        {
            if t.contains('|') || t.chars().count() > 64 {
                problems.push(format!(
                    "tag '{t}' must be at most 64 characters and must not contain '|'"
                ));
            } else if !clean.iter().any(|c| c.eq_ignore_ascii_case(&t)) {
                clean.push(t);
            }
        }
        if clean.len() > 50 {
            problems.push("a company has at most 50 tags".to_owned());
        }
        f.tags = clean;
    }
    if !problems.is_empty() {
        return Err(ApiError::validation(problems));
    }
    Ok(f)
}

/// `POST /api/companies` (Reseller): creates a company below the scoped company (default: the
/// caller's own).
#[utoipa::path(
    post, path = "/api/companies", operation_id = "createCompany", tag = "Company", params(crate::openapi::Scope),
    summary = "Create a company",
    description = "Creates a customer company below the company named in `X-KEEPNET-Company-Id` (by default \
        the caller's own), as JSON or as Keepnet's form. Only `name` is required; lookup ids \
        come from `GET /api/lookups/{kind}` (unknown ones are a 400), and without a licence type \
        and period `Standard` and `Yearly` are used. A company created with `numberOfUsers` has \
        a limited licence unless `isNumberOfUsersLimited` is false. Reseller only: a Company \
        Admin gets 403. Invalid fields are a 400 listing each problem in `validationMessages`.",
    request_body(content(
        (CompanyInput = "application/json"),
        (CompanyInput = "multipart/form-data"),
        (CompanyInput = "application/x-www-form-urlencoded"),
    ), description = "JSON (camelCase) or Keepnet's form (the same names in PascalCase)"),
    responses((status = 200, description = "The new company's resource id", body = Envelope<IdResult>), crate::openapi::ApiErrors)
)]
pub async fn create(
    State(state): State<AppState>,
    Scoped {
        caller,
        company: parent,
        ..
    }: Scoped<Read, CompanyTree>,
    CompanyBody(input): CompanyBody,
) -> ApiResult<Json<Envelope<IdResult>>> {
    caller.require_reseller()?;
    let fields = company_fields(input, None)?;
    let company = state
        .store
        .insert_company(Some(&parent), &fields, &audit::actor(&caller))
        .await?;
    Ok(written(company.resource_id, "Company created."))
}

async fn to_dto(state: &AppState, c: &Company) -> ApiResult<CompanyDto> {
    let now = now_millis();
    let counts = state.store.user_counts(c.id, month_of(now)).await?;
    let parent = match c.parent_id {
        Some(p) => state.store.company_by_id(p).await?.map(|p| p.resource_id),
        None => None,
    };
    let f = &c.fields;
    let country = f
        .country_id
        .as_deref()
        .and_then(|id| catalog::entry(LookupKind::Country, id));
    Ok(CompanyDto {
        resource_id: c.resource_id.clone(),
        name: f.name.clone(),
        description: f.description.clone(),
        industry_resource_id: f.industry_id.clone(),
        industry_name: catalog::name(LookupKind::Industry, f.industry_id.as_deref()),
        country_resource_id: f.country_id.clone(),
        country_name: country.map(|(_, _, n, _)| (*n).to_owned()),
        country_code: country.and_then(|(_, _, _, code)| code.map(str::to_owned)),
        address: f.address.clone(),
        website_url: f.website_url.clone(),
        logo_url: f.logo_url.clone(),
        license_type_resource_id: f.license_type_id.clone(),
        license_type_name: catalog::name(LookupKind::LicenseType, f.license_type_id.as_deref()),
        license_period_type_resource_id: f.license_period_type_id.clone(),
        license_period_type_name: catalog::name(
            LookupKind::LicensePeriodType,
            f.license_period_type_id.as_deref(),
        ),
        license_start_date: f.license_start_date.and_then(millis_to_time),
        license_end_date: f.license_end_date.and_then(millis_to_time),
        is_number_of_users_limited: f.is_number_of_users_limited,
        number_of_users: f.number_of_users,
        // Keepnet features rollcall does not have: their empty values (CONTRACT.md 2026-12-05).
        notification_template_type_resource_id: None,
        notification_template_type_name: None,
        training_content_type_resource_id: None,
        training_content_type_name: None,
        smtp_configuration_type_resource_id: None,
        smtp_configuration_type_name: None,
        preferred_language_type_resource_id: f.preferred_language_id.clone(),
        preferred_language_type_name: f
            .preferred_language_id
            .as_deref()
            .and_then(catalog::language)
            .map(|(_, _, name, _)| (*name).to_owned()),
        is_version_visible: false,
        is_release_notes_visible: false,
        release_notes_url: None,
        company_groups: Vec::new(),
        parent_id: None,
        base_man_hour_cost: 0,
        base_man_hour: 0,
        license_modules: Vec::new(),
        has_agentic_ai_license: false,
        call_back_number_booking_count: None,
        licence_expired: c.licence_expired(now),
        parent_resource_id: parent,
        status_id: i32::try_from(f.status_id).ok(),
        status_name: Some(
            if f.status_id == STATUS_ACTIVE {
                "Active"
            } else {
                "Inactive"
            }
            .to_owned(),
        ),
        target_user_count: counts.active,
        time_zone_id: f.time_zone_id.clone(),
        date_format: f.date_format.clone(),
        time_format: f.time_format.clone(),
        tags: f.tags.clone(),
        create_time: millis_to_time(c.create_time).unwrap_or_default(),
        privacy_duration_id: privacy_id(&c.privacy, now),
        privacy_duration_start_time: c.privacy.start_time.and_then(millis_to_time),
        privacy_duration_end_time: c.privacy.end_time.and_then(millis_to_time),
    })
}

/// `GET /api/companies/{resourceId}`.
#[utoipa::path(
    get, path = "/api/companies/{resourceId}", operation_id = "getCompany", tag = "Company", params(crate::openapi::ResourceId),
    summary = "Get a company",
    description = "A company with its licence, settings, parent and active-user count. Both roles: a \
        Reseller may read its own company or any below it, a Company Admin only its own; another \
        company is a 403, an unknown id a 404. Keepnet features rollcall does not have read as \
        empty values.",
    responses((status = 200, description = "The company with licence data and user counts", body = Envelope<CompanyDto>), crate::openapi::ApiErrors)
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Envelope<CompanyDto>>> {
    let company = resolve_company(&state, &caller, &id).await?;
    Ok(Json(Envelope::success(to_dto(&state, &company).await?)))
}

/// `PUT /api/companies/{resourceId}` (Reseller): fields sent replace the stored ones; fields
/// left out keep their value.
#[utoipa::path(
    put, path = "/api/companies/{resourceId}", operation_id = "updateCompany", tag = "Company", params(crate::openapi::ResourceId),
    summary = "Update a company",
    description = "Changes the fields sent (JSON or Keepnet's form); fields left out keep their value. \
        Reseller only. A company's licence and status (`numberOfUsers`, \
        `isNumberOfUsersLimited`, licence type and period, licence dates, `statusId`) are set by \
        a Reseller above it: changing them on the caller's own company is a 403 naming them \
        (sending their current values is fine). `statusId` 2 switches the company off: its \
        clients, and those of every company below it, can no longer sign in. Invalid fields are \
        a 400 listing each problem.",
    request_body(content(
        (CompanyInput = "application/json", example = json!({"name": "Acme Ltd", "numberOfUsers": 750, "licenseEndDate": "2028-01-01"})),
        (CompanyInput = "multipart/form-data"),
        (CompanyInput = "application/x-www-form-urlencoded"),
    ), description = "JSON (camelCase) or Keepnet's form (the same names in PascalCase)"),
    responses((status = 200, description = "The updated company's resource id", body = Envelope<IdResult>), crate::openapi::ApiErrors)
)]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    CompanyBody(input): CompanyBody,
) -> ApiResult<Json<Envelope<IdResult>>> {
    caller.require_reseller()?;
    let company = resolve_company(&state, &caller, &id).await?;
    let fields = company_fields(input, Some(&company.fields))?;
    if company.id == caller.company.id {
        refuse_own_licence_change(&company.fields, &fields)?;
    }
    save_company(&state, &caller, company, &fields).await
}

/// Stores `company`'s new `fields` and forgets the kept copies of companies, which may show
/// the old ones: the end of both company updates (the full and the limited one).
pub async fn save_company(
    state: &AppState,
    caller: &Caller,
    company: Company,
    fields: &CompanyFields,
) -> ApiResult<Json<Envelope<IdResult>>> {
    state
        .store
        .update_company(company.id, &company.fields, fields, &audit::actor(caller))
        .await?;
    state.lookups.forget();
    Ok(written(company.resource_id, "Company updated."))
}

/// A company's licence and status are set by the reseller above it: a client may not change
/// them on its own company (a sub-reseller raised its own limit and moved its expiry to 2099).
fn refuse_own_licence_change(old: &CompanyFields, new: &CompanyFields) -> ApiResult<()> {
    let changed: Vec<&str> = [
        ("numberOfUsers", old.number_of_users != new.number_of_users),
        (
            "isNumberOfUsersLimited",
            old.is_number_of_users_limited != new.is_number_of_users_limited,
        ),
        (
            "licenseTypeResourceId",
            old.license_type_id != new.license_type_id,
        ),
        (
            "licensePeriodTypeResourceId",
            old.license_period_type_id != new.license_period_type_id,
        ),
        (
            "licenseStartDate",
            old.license_start_date != new.license_start_date,
        ),
        (
            "licenseEndDate",
            old.license_end_date != new.license_end_date,
        ),
        ("statusId", old.status_id != new.status_id),
    ]
    .into_iter()
    .filter_map(|(name, differs)| differs.then_some(name))
    .collect();
    if changed.is_empty() {
        return Ok(());
    }
    Err(ApiError::forbidden(format!(
        "a company's licence and status ({}) can be changed only by a Reseller of the company above it, not by the company's own clients; leave them out or send their current values",
        changed.join(", ")
    )))
}

/// `DELETE /api/companies/{resourceId}` (Reseller): removes the company and all its data.
#[utoipa::path(
    delete, path = "/api/companies/{resourceId}", operation_id = "deleteCompany", tag = "Company", params(crate::openapi::ResourceId),
    summary = "Delete a company",
    description = "Removes a company below the caller's and all its data (users, clients, groups) in one \
        transaction. Reseller only; a client cannot delete its own company (403). A \
        company that still has child companies is a 409: delete or move them first.",
    responses((status = 200, description = "The deleted company's resource id", body = Envelope<IdResult>), crate::openapi::ApiErrors)
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Envelope<IdResult>>> {
    caller.require_reseller()?;
    let company = resolve_company(&state, &caller, &id).await?;
    if company.id == caller.company.id {
        return Err(ApiError::forbidden(
            "a client cannot delete its own company; use a credential of the company above it",
        ));
    }
    let outcome = state
        .store
        .delete_company(company.id, &audit::actor(&caller))
        .await?;
    state.lookups.forget();
    match outcome {
        DeleteOutcome::Deleted => Ok(written(company.resource_id, "Company deleted.")),
        refused => Err(delete_refused(&company.resource_id, refused)),
    }
}

/// The error of a company delete the store refused.
pub fn delete_refused(id: &str, outcome: DeleteOutcome) -> ApiError {
    match outcome {
        DeleteOutcome::HasChildren(n) => ApiError::conflict(format!(
            "company '{id}' still manages {n} child compan{}; delete or move them first",
            if n == 1 { "y" } else { "ies" }
        )),
        _ => ApiError::not_found(format!("company '{id}' was not found")),
    }
}

/// `GET /api/companies/{resourceId}/license-check`.
#[utoipa::path(
    get, path = "/api/companies/{resourceId}/license-check", operation_id = "checkCompanyLicense", tag = "Company", params(crate::openapi::ResourceId),
    summary = "Check a company's licence",
    description = "Whether the company's licence limits its active users, the limit, and its active and \
        total (active and inactive) users against it. Both roles: a Reseller for its own company \
        or any below it, a Company Admin for its own.",
    responses((status = 200, description = "Licence state and user counts against the limit", body = Envelope<LicenseCheckDto>), crate::openapi::ApiErrors)
)]
pub async fn license_check(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Envelope<LicenseCheckDto>>> {
    let company = resolve_company(&state, &caller, &id).await?;
    Ok(Json(Envelope::success(
        license_state(&state, &company).await?,
    )))
}

/// A company's licence limit against its active users (also the page frame's
/// `companyLicense`, `routes::frame`).
pub async fn license_state(state: &AppState, company: &Company) -> ApiResult<LicenseCheckDto> {
    let counts = state
        .store
        .user_counts(company.id, month_of(now_millis()))
        .await?;
    let limited = company.fields.is_number_of_users_limited;
    let limit = company.fields.number_of_users;
    Ok(LicenseCheckDto {
        is_limited: limited,
        license_limit: if limited { limit } else { None },
        active_user_count: counts.active,
        total_user_count: counts.active + counts.inactive,
        is_license_exceeded: limited && limit.is_some_and(|l| counts.active > l),
    })
}

/// This module's export, as a kind: its file `Companies.csv`, `.xlsx` or `.pdf`,
/// and its audit row.
pub struct CompaniesFile;

impl ExportKind for CompaniesFile {
    const TITLE: &'static str = "Companies";
    const ENTITY: Entity = Entity::Company;
    const NOUN: (&'static str, &'static str) = ("company", "companies");

    // Only a reseller has companies below it.
    fn may_export(caller: &Caller) -> ApiResult<()> {
        caller.require_reseller()
    }
}

/// Exports the companies a companies search selects (Reseller only).
#[utoipa::path(
    post, path = "/api/companies/search/export", operation_id = "exportCompanies", tag = "Company", params(crate::openapi::Scope, ExportOptions),
    summary = "Export companies",
    description = "The companies a companies search selects, as a file: `exportType` `CSV`, `Excel` or \
        `PDF` (required), the requested page or, with `reportAllPages: true`, every match, in \
        the search's order. Columns: Company Name, Resource Id, Reseller, Industry, Licence \
        Type, Users Limited, Licence Limit, Licence Expired, Licence End Date, Created, Active \
        Users, Inactive Users, Deleted Users, Monthly Users, Tags. Reseller only: a Company \
        Admin gets 403. CSV starts with a byte-order mark unless `?bom=false`. Every export is \
        recorded in the audit log.",
    request_body(content = SearchRequest, example = json!({
        "pageNumber": 1, "pageSize": 20, "orderBy": "CompanyName", "ascending": true,
        "filter": {"condition": "AND", "searchInputTextValue": "", "filterGroups": [
            {"condition": "AND", "filterItems": [
                {"fieldName": "LicenceExpired", "operator": "=", "value": false}
            ]}
        ]},
        "exportType": "CSV", "reportAllPages": true
    })),
    responses(crate::openapi::ExportFile<CompaniesFile>)
)]
pub async fn export(
    State(state): State<AppState>,
    ExportRequest {
        caller,
        record,
        search: req,
        options,
        ..
    }: ExportRequest<CompaniesFile, CompanyTree>,
) -> ApiResult<Response> {
    let under = &record.company;
    let (mut search, _) = company_search(&req, state.config.max_page_size, under)?;
    if record.all_pages {
        search.spec.every_page();
    }
    // Companies are few (thousands at most), so one query reads them all.
    let search = &search;
    let page = reading(&state, &caller, |state| async move {
        Ok(state.store.search_companies(under, search).await?)
    })
    .await?;
    let now = search.now;
    files::send_read(
        &state,
        record,
        (CompaniesFile::TITLE, export::COMPANY_COLUMNS),
        page.rows,
        move |c| export::company_cells(c, now),
        &options,
    )
    .await
}
