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
    pub privacy_duration_id: i32,
    /// Keepnet's spelling.
    pub licence_expired: bool,
    pub license_end_date: Option<DateTime<Utc>>,
    pub create_time: Option<DateTime<Utc>>,
    /// Active, not deleted target users.
    pub target_user_count: i64,
    /// Always null: the list is flat.
    #[cfg_attr(feature = "openapi", schema(no_recursion))]
    pub children: Option<Vec<SearchCompanyDto>>,
    pub tags: Option<Vec<String>>,
    pub deleted_target_user_count: i64,
    pub inactive_target_user_count: i64,
    /// Users added in the selected calendar month (UTC), whatever their status now.
    pub monthly_active_user_count: i64,
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

/// `GET /api/companies/{resourceId}` (Keepnet's `CompanyDto`, the fields rollcall keeps).
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
/// PascalCase). Only `name` is required; see the README for the defaults.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CompanyInput {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub website_url: Option<String>,
    #[serde(default)]
    pub logo_url: Option<String>,
    #[serde(default)]
    pub country_resource_id: Option<String>,
    #[serde(default)]
    pub industry_resource_id: Option<String>,
    #[serde(default)]
    pub license_type_resource_id: Option<String>,
    #[serde(default)]
    pub license_period_type_resource_id: Option<String>,
    #[serde(default)]
    pub number_of_users: Option<i64>,
    #[serde(default)]
    pub is_number_of_users_limited: Option<bool>,
    /// A date (`YYYY-MM-DD`, midnight UTC) or an ISO 8601 date-time.
    #[serde(default, deserialize_with = "crate::time::date_or_time")]
    pub license_start_date: Option<DateTime<Utc>>,
    /// A date (`YYYY-MM-DD`, midnight UTC) or an ISO 8601 date-time.
    #[serde(default, deserialize_with = "crate::time::date_or_time")]
    pub license_end_date: Option<DateTime<Utc>>,
    #[serde(default)]
    pub time_zone_id: Option<String>,
    #[serde(default)]
    pub date_format: Option<String>,
    #[serde(default)]
    pub time_format: Option<String>,
    #[serde(default)]
    pub status_id: Option<i32>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
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
    #[serde(default)]
    pub generic_code_type_name: Option<String>,
    /// Always null: rollcall's catalogues have no descriptions.
    #[serde(default)]
    pub description: Option<String>,
    /// Position in its catalogue, from 0.
    #[serde(default)]
    pub order_number: i32,
    /// The ISO code again (`code`), where Keepnet's UI reads it.
    #[serde(default)]
    pub iso_code: Option<String>,
    /// The entry's name where it has an ISO code.
    #[serde(default)]
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
#[serde(rename_all = "camelCase")]
pub struct ClientInput {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub client_secret: Option<String>,
    /// 1 = Active, 2 = Inactive.
    #[serde(default)]
    pub status_id: Option<i32>,
    #[serde(default)]
    pub has_ip_address_restriction: Option<bool>,
    #[serde(default)]
    pub allowed_ip_addresses: Option<Vec<String>>,
    #[serde(default)]
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
    pub status_id: i32,
    pub status_name: String,
}
