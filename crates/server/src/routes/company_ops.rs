//! Company operations beyond CRUD: account privacy (`/api/companies/privacy`), the report mask
//! rollcall does not support (`/privacymask`), bulk delete, the limited update and the licence
//! expiry date (REFERENCE.md I; shapes from Keepnet's spec).

use axum::extract::State;
use axum::Json;
use chrono::Months;
use rollcall_store::audit::count_of;
#[cfg(test)]
use rollcall_store::catalog::DEFAULT_LICENSE_PERIOD;
use rollcall_store::query::{month_of, parse_filter};
use rollcall_store::{
    fields, BulkCompanyDelete, CompanyFields, CompanySearch, Privacy, SearchSpec,
};
use rollcall_types::company::{
    CompanyInput, CompanyPrivacyDto, LicenseExpiryDateDto, LicenseExpiryDateRequest,
    SetCompanyPrivacyRequest,
};
use rollcall_types::target_user::{BulkDeleteRequest, BulkDeleteResult};
use rollcall_types::{Envelope, IdResult};

use crate::audit;
use crate::auth::caller::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::KJson;
use crate::routes::companies::{company_fields, save_company, CompanyBody};
use crate::routes::written;
use crate::scope::{resolve_company, CompanyTree, Read, Scoped};
use crate::state::AppState;
use crate::time::{millis_to_time, now_millis};

/// Most companies one bulk delete names.
const MAX_BULK_COMPANIES: usize = 1000;

/// `GET /api/companies/privacy`: the scoped company's account privacy (default: the caller's
/// own). A Reseller may read a customer's setting, which tells it whether it may act there.
#[utoipa::path(
    get, path = "/api/companies/privacy", operation_id = "getCompanyPrivacy", tag = "Company", params(crate::openapi::Scope),
    summary = "Get a company's account privacy",
    description = "Whether the company lets the resellers above it into its data: `privacyDurationId` 0 \
        denies access, 1 grants it continuously, 2 to 5 for two hours, eight hours, one day or \
        seven days (the window's start and end times are given; a window that has ended reads \
        0). Both roles, for the company named in `X-KEEPNET-Company-Id` (by default the caller's \
        own): a Reseller may read a customer's setting, which tells it whether it may act there.",
    responses((status = 200, description = "Whether the company lets its reseller into its data, and the window", body = Envelope<CompanyPrivacyDto>), crate::openapi::ApiErrors)
)]
pub async fn get_privacy(
    Scoped { company, .. }: Scoped<Read, CompanyTree>,
) -> Json<Envelope<CompanyPrivacyDto>> {
    let p = company.privacy;
    Json(Envelope::success(CompanyPrivacyDto {
        privacy_duration_id: i32::try_from(p.effective_id(now_millis())).unwrap_or(0),
        privacy_duration_start_time: p.start_time.and_then(millis_to_time),
        privacy_duration_end_time: p.end_time.and_then(millis_to_time),
    }))
}

/// `PUT /api/companies/privacy`: a company chooses whether the resellers above it may read and
/// change its data. Only for the caller's own company: a customer's choice is the customer's,
/// so a Reseller naming a company below it is refused (docs/api.md).
#[utoipa::path(
    put, path = "/api/companies/privacy", operation_id = "setCompanyPrivacy", tag = "Company", params(crate::openapi::Scope),
    summary = "Set the caller's account privacy",
    description = "Chooses whether the resellers above the caller's own company may read and change its \
        data: `privacyDurationId` 0 denies access, 1 grants it continuously, 2 to 5 for two \
        hours, eight hours, one day or seven days, from now. Only for the caller's own company: \
        a customer's Company Admin chooses for the customer, and a Reseller naming a company \
        below it gets 403. While access is denied, or once a window has ended, a reseller's \
        requests for the company's data get 403 `PRIVACY_ERROR` (unless the company's licence \
        has expired). Other values are a 400 listing the valid ones. The change is audited.",
    request_body = SetCompanyPrivacyRequest,
    responses((status = 200, description = "The company's resource id", body = Envelope<IdResult>), crate::openapi::ApiErrors)
)]
pub async fn set_privacy(
    State(state): State<AppState>,
    Scoped {
        caller, company, ..
    }: Scoped<Read, CompanyTree>,
    KJson(req): KJson<SetCompanyPrivacyRequest>,
) -> ApiResult<Json<Envelope<IdResult>>> {
    if company.id != caller.company.id {
        return Err(ApiError::forbidden(format!(
            "the account privacy of company '{}' is chosen by that company: a Company Admin client of it sets it with PUT /api/companies/privacy; a reseller sets only its own company's",
            company.resource_id
        )));
    }
    let id = req.privacy_duration_id.ok_or_else(|| {
        ApiError::validation(vec![format!(
            "privacyDurationId is required: {PRIVACY_IDS}"
        )])
    })?;
    let privacy = Privacy::chosen(id, now_millis()).ok_or_else(|| {
        ApiError::validation(vec![format!(
            "privacyDurationId {id} is unknown: {PRIVACY_IDS}"
        )])
    })?;
    state
        .store
        .set_company_privacy(company.id, &privacy, &audit::actor(&caller))
        .await?;
    state.lookups.forget();
    Ok(written(company.resource_id, "Account privacy updated."))
}

/// The values of `privacyDurationId`, for error messages.
const PRIVACY_IDS: &str = "0 denies the reseller access, 1 grants it continuously, 2 for two hours, 3 for eight hours, 4 for one day, 5 for seven days";

/// What `/api/companies/privacymask` answers, whatever the method.
const NO_PRIVACY_MASK: &str = "rollcall does not mask personal data in reports (Keepnet's pentester mask), so GET and PUT /api/companies/privacymask are not supported; the reports rollcall makes (exports) always show the data the caller may read";

/// `GET /api/companies/privacymask`: always 400, the report mask is not supported (docs/api.md).
#[utoipa::path(
    get,
    path = "/api/companies/privacymask",
    operation_id = "getCompanyPrivacyMask",
    tag = "Company",
    summary = "Get the report mask (not supported)",
    description = "Keepnet's masking of personal data in reports. rollcall does not mask reports, so this \
        always answers 400 saying so; its exports show the data the caller may read.",
    responses(crate::openapi::ApiErrors)
)]
pub async fn get_privacy_mask(_caller: Caller) -> ApiError {
    ApiError::bad_request(NO_PRIVACY_MASK)
}

/// `PUT /api/companies/privacymask`: always 400, the report mask is not supported (docs/api.md).
#[utoipa::path(
    put,
    path = "/api/companies/privacymask",
    operation_id = "setCompanyPrivacyMask",
    tag = "Company",
    summary = "Set the report mask (not supported)",
    description = "Keepnet's masking of personal data in reports. rollcall does not mask reports, so this \
        always answers 400 saying so; its exports show the data the caller may read.",
    responses(crate::openapi::ApiErrors)
)]
pub async fn set_privacy_mask(_caller: Caller) -> ApiError {
    ApiError::bad_request(NO_PRIVACY_MASK)
}

/// `DELETE /api/companies/bulk-delete` (Reseller): deletes the companies named in `items`, or
/// with `selectAll: true` every company the filter selects below the scoped company except
/// `excludedItems`, in one transaction, as `DELETE /api/companies/{resourceId}` would each.
#[utoipa::path(
    delete, path = "/api/companies/bulk-delete", operation_id = "bulkDeleteCompanies", tag = "Company", params(crate::openapi::Scope),
    summary = "Delete companies in bulk",
    description = "Deletes the companies named in `items` (resource ids, at most 1,000), or with \
        `selectAll: true` every company below the company named in `X-KEEPNET-Company-Id` (by \
        default the caller's own) that `filter` selects (the fields below) except \
        `excludedItems`, each with all its data, in one transaction, and answers how many in \
        `deletedCount`. Reseller only. The caller's own company is refused (403); a company \
        whose child companies are not all in the selection is a 409, and then nothing is \
        deleted.",
    request_body(content = BulkDeleteRequest, example = json!({"items": ["xC5kfGz7w2Nz"], "selectAll": false})),
    responses((status = 200, description = "How many companies were deleted", body = Envelope<BulkDeleteResult>), crate::openapi::ApiErrors)
)]
pub async fn bulk_delete(
    State(state): State<AppState>,
    Scoped {
        caller,
        company: under,
        ..
    }: Scoped<Read, CompanyTree>,
    KJson(req): KJson<BulkDeleteRequest>,
) -> ApiResult<Json<Envelope<BulkDeleteResult>>> {
    caller.require_reseller()?;
    let mut companies = Vec::new();
    if req.select_all.unwrap_or(false) {
        let now = now_millis();
        let parsed = parse_filter(req.filter.as_ref(), &fields::COMPANIES, now)?;
        let excluded = req.excluded_items.unwrap_or_default();
        let search = CompanySearch {
            spec: SearchSpec {
                cond: parsed.cond,
                order: Default::default(),
                offset: 0,
                limit: i64::MAX,
            },
            month: parsed.month.unwrap_or_else(|| month_of(now)),
            only_limit_exceeded: false,
            now,
        };
        let page = state.store.search_companies(&under, &search).await?;
        for row in page.rows {
            if !excluded.contains(&row.resource_id) {
                companies.push((row.id, row.resource_id));
            }
        }
    } else {
        let items = req.items.unwrap_or_default();
        if items.is_empty() {
            return Err(ApiError::bad_request(
                "send the companies to delete in items (their resourceIds), or selectAll: true with a filter",
            ));
        }
        if items.len() > MAX_BULK_COMPANIES {
            return Err(ApiError::bad_request(format!(
                "items names more than {MAX_BULK_COMPANIES} companies; delete them in several requests"
            )));
        }
        for id in &items {
            let c = resolve_company(&state, &caller, id).await?;
            if c.id == caller.company.id {
                return Err(ApiError::forbidden(
                    "a client cannot delete its own company; leave it out of items",
                ));
            }
            companies.push((c.id, c.resource_id));
        }
    }
    let ids: Vec<i64> = companies.iter().map(|(id, _)| *id).collect();
    let outcome = state
        .store
        .delete_companies(&ids, &audit::actor(&caller))
        .await?;
    state.lookups.forget();
    match outcome {
        BulkCompanyDelete::Deleted(n) => {
            let message = format!("{} deleted.", count_of(n, "company", "companies"));
            Ok(Json(Envelope::done(
                BulkDeleteResult {
                    resource_id: None,
                    deleted_count: i64::try_from(n).unwrap_or(i64::MAX),
                },
                message,
            )))
        }
        BulkCompanyDelete::Refused { company, outcome } => {
            Err(crate::routes::companies::delete_refused(&company, outcome))
        }
    }
}

/// The fields `PUT /api/companies/limited` changes (Keepnet's form); the others need the full
/// update by a reseller above the company.
fn limited_input(input: CompanyInput) -> ApiResult<(String, CompanyInput)> {
    let id = input.resource_id.clone().ok_or_else(|| {
        ApiError::validation(vec![
            "ResourceId is required: the resourceId of the company to change".to_owned(),
        ])
    })?;
    let others: Vec<&str> = [
        ("LogoUrl", input.logo_url.is_some()),
        (
            "LicenseTypeResourceId",
            input.license_type_resource_id.is_some(),
        ),
        (
            "LicensePeriodTypeResourceId",
            input.license_period_type_resource_id.is_some(),
        ),
        ("NumberOfUsers", input.number_of_users.is_some()),
        (
            "IsNumberOfUsersLimited",
            input.is_number_of_users_limited.is_some(),
        ),
        ("LicenseStartDate", input.license_start_date.is_some()),
        ("LicenseEndDate", input.license_end_date.is_some()),
        ("DateFormat", input.date_format.is_some()),
        ("TimeFormat", input.time_format.is_some()),
        ("StatusId", input.status_id.is_some()),
        ("Tags", input.tags.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, sent)| sent.then_some(name))
    .collect();
    if !others.is_empty() {
        return Err(ApiError::validation(vec![format!(
            "PUT /api/companies/limited changes only Name, Description, IndustryResourceId, CountryResourceId, Address, WebsiteUrl, PreferredLanguageTypeResourceId and TimeZoneId; send {} with PUT /api/companies/{{resourceId}} instead",
            others.join(", ")
        )]));
    }
    Ok((id, input))
}

/// `PUT /api/companies/limited`: the update a company may make to itself (name, description,
/// industry, country, address, website, preferred language, time zone), or a reseller to a company below it; the
/// company is named by the form's `ResourceId`. Fields left out keep their value.
#[utoipa::path(
    put, path = "/api/companies/limited", operation_id = "updateCompanyLimited", tag = "Company",
    summary = "Update a company's details",
    description = "The update a company may make to itself: `Name`, `Description`, `IndustryResourceId`, \
        `CountryResourceId`, `Address`, `WebsiteUrl`, `PreferredLanguageTypeResourceId` and \
        `TimeZoneId` of the company named by `ResourceId` in the body (Keepnet's form, or JSON); \
        fields left out keep their value. Both roles: a Company Admin for its own company, a \
        Reseller for its own or one below it. Licence, status, format and tag fields are a 400 \
        naming them: `PUT /api/companies/{resourceId}` changes those.",
    request_body(content(
        (crate::openapi::LimitedCompanyForm = "multipart/form-data"),
        (crate::openapi::LimitedCompanyForm = "application/json"),
    ), description = "Keepnet's form, or JSON with the same names in any case"),
    responses((status = 200, description = "The updated company's resource id", body = Envelope<IdResult>), crate::openapi::ApiErrors)
)]
pub async fn update_limited(
    State(state): State<AppState>,
    caller: Caller,
    CompanyBody(input): CompanyBody,
) -> ApiResult<Json<Envelope<IdResult>>> {
    let (id, input) = limited_input(input)?;
    let company = resolve_company(&state, &caller, &id).await?;
    let fields: CompanyFields = company_fields(input, Some(&company.fields))?;
    save_company(&state, &caller, company, &fields).await
}

/// `POST /api/companies/licenseexpirydate`: the licence end date a licence starting at
/// `licenseStartDate` gets by default: one period of rollcall's default licence period
/// (Yearly, as a company created without one gets), so one year later.
#[utoipa::path(
    post, path = "/api/companies/licenseexpirydate", operation_id = "getCompanyLicenseExpiryDate", tag = "Company",
    summary = "Get the default licence end date",
    description = "The end date a licence starting at `licenseStartDate` gets by default: one year later (a \
        29 February start ends on 28 February), the period of a company created without one. Any \
        client may ask; it names no company. A missing or unreadable date is a 400.",
    request_body = LicenseExpiryDateRequest,
    responses((status = 200, description = "The default licence end date for that start", body = Envelope<LicenseExpiryDateDto>), crate::openapi::ApiErrors)
)]
pub async fn license_expiry_date(
    _caller: Caller,
    KJson(req): KJson<LicenseExpiryDateRequest>,
) -> ApiResult<Json<Envelope<LicenseExpiryDateDto>>> {
    let start = req.license_start_date.ok_or_else(|| {
        ApiError::validation(vec![
            "licenseStartDate is required: a date (YYYY-MM-DD) or an ISO 8601 date-time".to_owned(),
        ])
    })?;
    let months = DEFAULT_PERIOD_MONTHS;
    let end = start.checked_add_months(Months::new(months)).ok_or_else(|| {
        ApiError::validation(vec![format!(
            "licenseStartDate {start} is too late: a licence of {months} months would end past the year 9999"
        )])
    })?;
    Ok(Json(Envelope::success(LicenseExpiryDateDto {
        license_expiry_date: Some(end),
    })))
}

/// Months of rollcall's default licence period ([`DEFAULT_LICENSE_PERIOD`], Yearly).
const DEFAULT_PERIOD_MONTHS: u32 = 12;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_period_is_a_year() {
        // `DEFAULT_PERIOD_MONTHS` follows the catalogue's default period.
        assert_eq!(DEFAULT_LICENSE_PERIOD, "LpdYearly000");
        assert_eq!(DEFAULT_PERIOD_MONTHS, 12);
    }
}
