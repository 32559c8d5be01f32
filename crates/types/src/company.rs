//! Companies, licences and REST API clients.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A row of `POST /api/companies/search` (Keepnet's `SearchCompanyDto`).
///
/// Carries both `companyResourceId` (what Keepnet's API returns) and `resourceId` (what most of
/// Keepnet's docs tell users to read), with the same value.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SearchCompanyDto {
    pub company_name: String,
    pub company_resource_id: String,
    pub resource_id: String,
    pub reseller_name: Option<String>,
    pub industry_name: Option<String>,
    pub industry_resource_id: Option<String>,
    pub license_type_name: Option<String>,
    pub license_type_resource_id: Option<String>,
    pub is_number_of_users_limited: bool,
    /// A string in Keepnet's search DTO (an int in `CompanyDto`).
    pub number_of_users: Option<String>,
    /// Account privacy as it applies now: 0 deny (also once a window has ended), 1 access
    /// continuously, 2 to 5 a window (two hours, eight hours, one day, seven days).
    pub privacy_duration_id: i32,
    pub privacy_duration_start_time: Option<DateTime<Utc>>,
    pub privacy_duration_end_time: Option<DateTime<Utc>>,
    /// Keepnet's spelling.
    pub licence_expired: bool,
    pub license_end_date: Option<DateTime<Utc>>,
    pub create_time: Option<DateTime<Utc>>,
    /// Active, not deleted target users.
    pub target_user_count: i64,
    /// Null in the flat list; with `isClustered: true`, the company's own customers (each
    /// with theirs), `[]` for none.
    #[cfg_attr(feature = "openapi", schema(no_recursion))]
    pub children: Option<Vec<SearchCompanyDto>>,
    pub tags: Option<Vec<String>>,
    pub deleted_target_user_count: i64,
    pub inactive_target_user_count: i64,
    /// Users added in the selected calendar month (UTC), whatever their status now.
    pub monthly_active_user_count: i64,
    /// Enrolment figures Keepnet's newer UI reads (not in its spec): rollcall records no
    /// enrolment, so always 0, 0 and `[]`.
    #[serde(default)]
    pub monthly_enrolled: i64,
    #[serde(default)]
    pub monthly_consumption: i64,
    #[serde(default)]
    pub enrolled_vendor_names: Vec<String>,
}

/// `data` of `POST /api/companies/search`: a page plus `limitExceededCompanyCount`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CompanySearchPage {
    /// Companies in reach whose active users exceed a limited licence (whatever the filter).
    pub limit_exceeded_company_count: i64,
    pub page_number: i64,
    pub page_size: i64,
    pub total_number_of_pages: i64,
    pub total_number_of_records: i64,
    pub results: Vec<SearchCompanyDto>,
}

/// `GET /api/companies/{resourceId}`: every field of Keepnet's `CompanyDto`, plus
/// `parentResourceId`, `licenceExpired`, `createTime` and the privacy window. Features rollcall
/// does not have carry their empty value (`null`, `[]`, `false`, `0`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CompanyDto {
    pub resource_id: String,
    pub name: String,
    pub description: Option<String>,
    pub industry_resource_id: Option<String>,
    pub industry_name: Option<String>,
    pub country_resource_id: Option<String>,
    pub country_name: Option<String>,
    pub country_code: Option<String>,
    pub address: Option<String>,
    pub website_url: Option<String>,
    pub logo_url: Option<String>,
    pub license_type_resource_id: Option<String>,
    pub license_type_name: Option<String>,
    pub license_period_type_resource_id: Option<String>,
    pub license_period_type_name: Option<String>,
    pub license_start_date: Option<DateTime<Utc>>,
    pub license_end_date: Option<DateTime<Utc>>,
    pub is_number_of_users_limited: bool,
    pub number_of_users: Option<i64>,
    /// Content and delivery settings rollcall does not have: always null.
    pub notification_template_type_resource_id: Option<String>,
    pub notification_template_type_name: Option<String>,
    pub training_content_type_resource_id: Option<String>,
    pub training_content_type_name: Option<String>,
    pub smtp_configuration_type_resource_id: Option<String>,
    pub smtp_configuration_type_name: Option<String>,
    /// The company's language: a resource id of `GET /api/lookups/21` (null when unset), and
    /// its name. Keepnet's UI defaults a new user's `preferredLanguageId` to it.
    pub preferred_language_type_resource_id: Option<String>,
    pub preferred_language_type_name: Option<String>,
    /// Always false (no release notes).
    #[serde(default)]
    pub is_version_visible: bool,
    #[serde(default)]
    pub is_release_notes_visible: bool,
    pub release_notes_url: Option<String>,
    /// Always `[]` (no company groups).
    #[serde(default)]
    pub company_groups: Vec<CompanyGroupDto>,
    /// Keepnet's numeric parent id: always null, since rollcall does not publish its internal
    /// ids; `parentResourceId` names the parent.
    pub parent_id: Option<i64>,
    /// Always 0 (no cost figures).
    #[serde(default)]
    pub base_man_hour_cost: i32,
    #[serde(default)]
    pub base_man_hour: i32,
    /// Always `[]` and false (no licence modules, no agentic AI).
    #[serde(default)]
    pub license_modules: Vec<String>,
    /// Keepnet's spelling (not serde's camelCase `hasAgenticAiLicense`).
    #[serde(default, rename = "hasAgenticAILicense")]
    pub has_agentic_ai_license: bool,
    /// Always null (no callback numbers).
    pub call_back_number_booking_count: Option<i32>,
    pub licence_expired: bool,
    pub parent_resource_id: Option<String>,
    pub status_id: Option<i32>,
    pub status_name: Option<String>,
    pub target_user_count: i64,
    pub time_zone_id: Option<String>,
    pub date_format: Option<String>,
    pub time_format: Option<String>,
    pub tags: Vec<String>,
    pub create_time: DateTime<Utc>,
    /// Account privacy as on search rows.
    #[serde(default)]
    pub privacy_duration_id: i32,
    pub privacy_duration_start_time: Option<DateTime<Utc>>,
    pub privacy_duration_end_time: Option<DateTime<Utc>>,
}

/// An item of `CompanyDto.companyGroups` (Keepnet's `GetCompanyGroupDto`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CompanyGroupDto {
    pub resource_id: String,
    pub name: String,
}

/// `GET /api/companies/privacy` (Keepnet's `GetCompanyPrivacyDto`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CompanyPrivacyDto {
    /// As it applies now: a window that has ended reads 0.
    pub privacy_duration_id: i32,
    pub privacy_duration_start_time: Option<DateTime<Utc>>,
    pub privacy_duration_end_time: Option<DateTime<Utc>>,
}

/// Body of `PUT /api/companies/privacy` (Keepnet's `SetCompanyPrivacyRequest`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"privacyDurationId": 1})))]
#[serde(rename_all = "camelCase")]
pub struct SetCompanyPrivacyRequest {
    /// 0 deny, 1 access continuously, 2 two hours, 3 eight hours, 4 one day, 5 seven days.
    pub privacy_duration_id: Option<i64>,
}

/// Body of `POST /api/companies/licenseexpirydate` (Keepnet's
/// `GetCompanyLicenseExpiryDateRequest`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"licenseStartDate": "2026-01-01"})))]
#[serde(rename_all = "camelCase")]
pub struct LicenseExpiryDateRequest {
    /// A date (`YYYY-MM-DD`, midnight UTC) or an ISO 8601 date-time.
    #[serde(default, deserialize_with = "crate::time::date_or_time")]
    pub license_start_date: Option<DateTime<Utc>>,
}

/// `data` of `POST /api/companies/licenseexpirydate` (Keepnet's
/// `GetCompanyLicenseExpiryDateDto`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct LicenseExpiryDateDto {
    pub license_expiry_date: Option<DateTime<Utc>>,
}

/// An item of `GET /api/companies/my` (Keepnet's `GetMyCompaniesDto`), recursive.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct MyCompanyDto {
    pub name: String,
    pub resource_id: String,
    pub logo_url: Option<String>,
    pub privacy_duration_id: i32,
    pub licence_expired: bool,
    pub privacy_duration_start_time: Option<DateTime<Utc>>,
    pub privacy_duration_end_time: Option<DateTime<Utc>>,
    #[cfg_attr(feature = "openapi", schema(no_recursion))]
    pub children: Vec<MyCompanyDto>,
}

/// `GET /api/companies/{resourceId}/license-check`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct LicenseCheckDto {
    pub is_limited: bool,
    pub license_limit: Option<i64>,
    /// Active, not deleted users (what the licence counts).
    pub active_user_count: i64,
    /// Active plus inactive, not deleted.
    pub total_user_count: i64,
    pub is_license_exceeded: bool,
}

/// Body of `POST`/`PUT /api/companies` as JSON (the multipart form carries the same names in
/// PascalCase). Only `name` is required on create; without a licence type and period,
/// `Standard` and `Yearly` are used.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "name": "Acme Ltd",
    "description": "Acme's UK offices",
    "industryResourceId": "IndTechnolgy",
    "countryResourceId": "CtryUnitKngd",
    "address": "1 High Street, London",
    "websiteUrl": "https://acme.example.com",
    "licenseTypeResourceId": "LicStandard0",
    "licensePeriodTypeResourceId": "LpdYearly000",
    "numberOfUsers": 500,
    "isNumberOfUsersLimited": true,
    "licenseStartDate": "2026-01-01",
    "licenseEndDate": "2027-01-01",
    "timeZoneId": "GMT Standard Time",
    "dateFormat": "dd/MM/yyyy",
    "timeFormat": "HH:mm",
    "tags": ["emea"],
    "preferredLanguageTypeResourceId": "en"
})))]
#[serde(rename_all = "camelCase")]
pub struct CompanyInput {
    /// Required on create; 1 to 64 characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "Acme Ltd"))]
    pub name: Option<String>,
    /// At most 300 characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "Acme's UK offices"))]
    pub description: Option<String>,
    /// At most 200 characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "1 High Street, London"))]
    pub address: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "https://acme.example.com"))]
    pub website_url: Option<String>,
    /// Kept as given; an uploaded logo file is accepted and not stored.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(example = "https://acme.example.com/logo.png")
    )]
    pub logo_url: Option<String>,
    /// A resource id of `GET /api/lookups/country`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "CtryUnitKngd"))]
    pub country_resource_id: Option<String>,
    /// A resource id of `GET /api/lookups/industry`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "IndTechnolgy"))]
    pub industry_resource_id: Option<String>,
    /// A resource id of `GET /api/lookups/license_type` (default `Standard`).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "LicStandard0"))]
    pub license_type_resource_id: Option<String>,
    /// A resource id of `GET /api/lookups/license_period_type` (default `Yearly`).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "LpdYearly000"))]
    pub license_period_type_resource_id: Option<String>,
    /// The licence's limit of active users.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = 500))]
    pub number_of_users: Option<i64>,
    /// Default: true when `numberOfUsers` is given.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = true))]
    pub is_number_of_users_limited: Option<bool>,
    /// A date (`YYYY-MM-DD`, midnight UTC) or an ISO 8601 date-time.
    #[serde(default, deserialize_with = "crate::time::date_or_time")]
    #[cfg_attr(feature = "openapi", schema(example = "2026-01-01"))]
    pub license_start_date: Option<DateTime<Utc>>,
    /// A date (`YYYY-MM-DD`, midnight UTC) or an ISO 8601 date-time.
    #[serde(default, deserialize_with = "crate::time::date_or_time")]
    #[cfg_attr(feature = "openapi", schema(example = "2027-01-01"))]
    pub license_end_date: Option<DateTime<Utc>>,
    /// A Windows time zone id or an IANA name (`GET /api/timezone/timezones`).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "GMT Standard Time"))]
    pub time_zone_id: Option<String>,
    /// A .NET date pattern (`dd/MM/yyyy`); date filter values may be written in it.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "dd/MM/yyyy"))]
    pub date_format: Option<String>,
    /// A .NET time pattern (`HH:mm`).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "HH:mm"))]
    pub time_format: Option<String>,
    /// 1 active (the default), 2 inactive: the company's clients, and those of every company
    /// below it, can no longer sign in.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = 1))]
    pub status_id: Option<i32>,
    /// At most 50 tags of at most 64 characters, without `|`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = json!(["emea"])))]
    pub tags: Option<Vec<String>>,
    /// A language of `GET /api/lookups/21`: its resourceId, ISO 639-1 code or a tag (`en-GB`);
    /// stored as the resourceId. An empty string clears it.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "en"))]
    pub preferred_language_type_resource_id: Option<String>,
    /// `PUT /api/companies/limited` only: the company to change (the other writes take it
    /// from the path, or create a new one, and ignore it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(example = "xC5kfGz7w2Nz"))]
    pub resource_id: Option<String>,
}

/// An entry of a lookup catalogue (industries, countries, licence types, licence periods,
/// languages), with Keepnet's `LookupDto` fields.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct LookupDto {
    pub resource_id: String,
    pub name: String,
    /// ISO code for countries and languages; null elsewhere.
    pub code: Option<String>,
    /// Keepnet's numeric lookup type (1 country, 2 industry, 3 licence type, 4 licence
    /// period, 21 language); Keepnet's UI and agent file `POST /api/lookups` rows by it.
    #[serde(default)]
    pub generic_code_type_id: i32,
    /// The type's name (`Country`, `Industry`...).
    pub generic_code_type_name: Option<String>,
    /// Always null: rollcall's catalogues have no descriptions.
    pub description: Option<String>,
    /// Position in its catalogue, from 0.
    #[serde(default)]
    pub order_number: i32,
    /// The ISO code again (`code`), where Keepnet's UI reads it.
    pub iso_code: Option<String>,
    /// The entry's name where it has an ISO code.
    pub iso_friendly_name: Option<String>,
}

/// `GET /api/roles` item.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RoleDto {
    pub resource_id: String,
    pub name: String,
}

/// `GET /api/companies/clients/generate-client-credentials`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ClientCredentials {
    pub client_id: String,
    pub client_secret: String,
}

/// Body of `POST`/`PUT /api/companies/clients` (Keepnet's `CreateClientRequest`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "name": "HR sync",
    "clientId": "acme-hr-sync",
    "clientSecret": "Zq7RkP2vXc9LmT4wYb8NsD3f",
    "statusId": 1,
    "hasIpAddressRestriction": false,
    "allowedIpAddresses": [],
    "roleResourceIdList": ["RoleCompAdmn"]
})))]
#[serde(rename_all = "camelCase")]
pub struct ClientInput {
    /// Required; at most 64 characters.
    pub name: Option<String>,
    /// Required; at most 32 characters, unique on the server.
    pub client_id: Option<String>,
    /// 16 to 100 characters; required on create. On an update, empty, left out or only `*`
    /// keeps the current secret.
    pub client_secret: Option<String>,
    /// 1 = Active, 0 = Inactive (2 is also read as Inactive).
    pub status_id: Option<i32>,
    /// `true`: tokens are issued and accepted only from `allowedIpAddresses`.
    pub has_ip_address_restriction: Option<bool>,
    /// Addresses (`203.0.113.7`) and ranges (`203.0.113.0/24`).
    pub allowed_ip_addresses: Option<Vec<String>>,
    /// Exactly one role: `RoleReseller` or `RoleCompAdmn` (`GET /api/roles`).
    pub role_resource_id_list: Option<Vec<String>>,
}

/// `GET /api/companies/clients/{resourceId}` (Keepnet's `ClientDto`). The secret is never
/// returned: it is stored only as a hash, so `clientSecret` is always null.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ClientDto {
    pub resource_id: String,
    pub name: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    /// 1 = Active, 0 = Inactive (the UI reads `Boolean(statusId)`).
    pub status_id: i32,
    pub status_name: String,
    pub has_ip_address_restriction: bool,
    pub allowed_ip_addresses: Vec<String>,
    pub role_resource_id_list: Vec<String>,
}

/// A row of `POST /api/companies/clients/search` (Keepnet's `SearchClientDto`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SearchClientDto {
    pub resource_id: String,
    pub client_name: String,
    pub client_id: String,
    pub create_time: DateTime<Utc>,
    /// 1 = Active, 0 = Inactive.
    pub status_id: i32,
    pub status_name: String,
}
