//! Wire types of the catalogue endpoints: lookups by Keepnet's numeric type, time zones,
//! licences, system roles, the leaderboard, regions and the UI's page frame (white-labelling,
//! system information, the caller's display settings). Shapes follow
//! `keepnet-openapi-subset.json`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::company::LicenseCheckDto;
use crate::filter::Filter;

/// `POST /api/lookups`: the types to list. Keepnet's agent sends `{typeidlist: [9, 2]}`, its UI
/// `{typeidlist: [1, 2, 4, 5, 6, 7]}`; keys are read in any case.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(example = json!({"typeIdList": [1, 2, 21]}))
)]
#[serde(rename_all = "camelCase")]
pub struct LookupRequest {
    /// A type's name (`Industry`, `language`...), instead of or besides `typeIdList`.
    pub type_name: Option<String>,
    /// Keepnet's numeric type ids.
    pub type_id_list: Option<Vec<i32>>,
}

/// One time zone of `GET /api/timezone/timezones`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TimeZoneDto {
    /// Windows' display name, e.g. `(UTC+03:00) Istanbul`.
    pub display_name: String,
    /// The Windows id Keepnet stores, e.g. `Turkey Standard Time`.
    pub id: String,
}

/// `GET /api/timezone/timezones`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TimeZonesDto {
    pub time_zone_list: Vec<TimeZoneDto>,
    pub date_format_list: Vec<String>,
    pub time_format_list: Vec<String>,
}

/// One country of `GET /api/lookups/country-timezones`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CountryTimeZoneDto {
    /// ISO 3166 code, e.g. `TR`.
    pub country_code: Option<String>,
    /// Null: rollcall keeps no per-country display defaults.
    pub date_format: Option<String>,
    /// Null, as `dateFormat`.
    pub time_format: Option<String>,
    /// Null, as `dateFormat`.
    pub clock_format: Option<String>,
    /// Null, as `dateFormat`.
    pub phone_number_code: Option<String>,
    /// Null, as `dateFormat`.
    pub language_code: Option<String>,
    /// Null, as `dateFormat`.
    pub language_name: Option<String>,
    /// The Windows zone CLDR gives the country; null where the country spans several.
    pub timezone: Option<String>,
    /// Null, as `dateFormat`.
    pub language_resource_id: Option<String>,
}

/// A licence module (rollcall has none; the lists are empty).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct LicenseModuleDto {
    pub resource_id: String,
    pub name: String,
    pub is_available: bool,
}

/// A licence type with its modules.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct LicenseDto {
    pub resource_id: String,
    pub name: String,
    pub license_modules: Vec<LicenseModuleDto>,
}

/// `GET /api/lookups/licenses`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct LicensesDto {
    pub licenses: Vec<LicenseDto>,
    pub all_license_modules: Vec<LicenseModuleDto>,
}

/// A row of `POST /api/roles/search`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SystemRoleSearchDto {
    pub role_name: String,
    pub role_description: String,
    pub resource_id: String,
    /// Null: the system roles belong to no company.
    pub company_resource_id: Option<String>,
    /// Null, as `companyResourceId`.
    pub company_name: Option<String>,
    /// Null: the system roles were never created.
    pub create_time: Option<DateTime<Utc>>,
    /// 0: rollcall has no console users.
    pub user_count: i32,
    /// 0, as `userCount`.
    pub tenant_user_count: i32,
    /// `System`.
    pub type_name: String,
    /// False: a system role is nobody's to edit.
    pub is_owner: bool,
}

/// `GET /api/roles/{resourceId}`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SystemRoleDetailDto {
    pub resource_id: String,
    pub name: String,
    pub description: String,
    /// Empty: the system roles are available to every company.
    pub available_for_list: Vec<serde_json::Value>,
    /// What the role may do, as rollcall's permission ids (`companies:search`,
    /// `target-users:write`...).
    pub permission_resource_id_list: Vec<String>,
}

/// Keepnet's `PaginationRequest`, inside a leaderboard request.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PaginationRequest {
    pub page_number: Option<i64>,
    pub page_size: Option<i64>,
    pub order_by: Option<String>,
    pub ascending: Option<bool>,
}

/// `POST /api/leaderboard/get-all`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(example = json!({
        "filter": {"condition": "AND", "filterGroups": [{"condition": "AND", "filterItems": [
            {"fieldName": "Email", "operator": "Contains", "value": "@example.com"}
        ]}]},
        "pagination": {"pageNumber": 1, "pageSize": 10}
    }))
)]
#[serde(rename_all = "camelCase")]
pub struct LeaderboardRequest {
    /// Accepted and ignored: with no recorded activity every period ranks the same.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub date_period: Option<serde_json::Value>,
    /// Accepted and ignored, as `datePeriod`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub start_date: Option<serde_json::Value>,
    /// Accepted and ignored, as `datePeriod`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub end_date: Option<serde_json::Value>,
    /// The target-user filter, as on `/api/target-users/search`.
    pub filter: Option<Filter>,
    /// Paging as Keepnet's spec nests it.
    pub pagination: Option<PaginationRequest>,
    /// Paging at the top level, as the other searches take it; `pagination` wins.
    #[serde(flatten)]
    pub paging: PaginationRequest,
}

/// A leaderboard row (`GamificationViewResultDto`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct LeaderboardRowDto {
    /// Position in the result, from 1 (every user has 0 points, so it follows the sort).
    pub rank: i64,
    pub target_user_resource_id: String,
    pub first_name: Option<String>,
    pub email: String,
    pub last_name: Option<String>,
    pub department: Option<String>,
    /// The language's name, as in target-user search rows.
    pub preferred_language: Option<String>,
    pub phone_number: Option<String>,
    /// 0: rollcall records no simulations or training.
    pub points: i32,
    /// 0, as `points`.
    pub performance: f32,
    /// Rows matching the filter, over all pages.
    pub total_row_count: i64,
}

/// One region of `GET /api/regions` (not in Keepnet's published spec).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RegionDto {
    /// `default`.
    pub resource_id: String,
    /// The region's name.
    pub name: String,
    /// The base URL of its API, as the request reached it; null when the request named no host.
    pub url: Option<String>,
    /// True: the only region is this server.
    pub is_current: bool,
}

/// `POST /api/whitelabeling/by-url`: the brand shown before login.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WhiteLabelingByDomainDto {
    pub brand_name: Option<String>,
    pub main_logo_url: Option<String>,
    pub favicon_url: Option<String>,
}

/// `GET /api/whitelabeling/resolve-whitelabeling`: every value null or false, which Keepnet's UI
/// reads as "use the default brand".
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WhiteLabelingDto {
    pub resource_id: Option<String>,
    pub brand_name: Option<String>,
    pub main_domain_protocol: Option<String>,
    pub main_domain_url: Option<String>,
    pub domain_url: Option<String>,
    pub main_logo_url: Option<String>,
    pub minimized_menu_logo_url: Option<String>,
    pub favicon_url: Option<String>,
    pub email_template_logo_url: Option<String>,
    pub support_email_address: Option<String>,
    pub footer_privacy_policy_url: Option<String>,
    pub footer_terms_and_conditions_url: Option<String>,
    pub footer_eula_url: Option<String>,
    pub footer_cookie_policy_url: Option<String>,
    pub is_show_release_version_number: bool,
    pub is_show_release_notes: bool,
    pub release_notes_url: Option<String>,
    pub pointing_url: Option<String>,
    pub is_documentation_link_enabled: bool,
}

/// `versionInfo.data` of the system summary.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct VersionInfo {
    /// rollcall's version.
    pub version: String,
    /// The server's clock when it answered.
    pub server_time: DateTime<Utc>,
}

/// `company.data` of the system summary: the caller's company.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SummaryCompany {
    pub resource_id: String,
    pub name: String,
    /// The country's ISO code, where the company has a country.
    pub country_code: Option<String>,
}

/// Keepnet's `DataResponse`: one part of the system summary, in its own envelope.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DataResponse<T> {
    pub data: Option<T>,
    pub status: String,
    pub message: Option<String>,
    pub validation_messages: Option<Vec<String>>,
}

impl<T> DataResponse<T> {
    /// A successful part.
    pub fn success(data: T) -> Self {
        Self {
            data: Some(data),
            status: "SUCCESS".to_owned(),
            message: None,
            validation_messages: None,
        }
    }
}

/// `SystemInfoSummaryData`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SystemInfoSummary {
    pub version_info: DataResponse<VersionInfo>,
    pub company_license: DataResponse<LicenseCheckDto>,
    pub company: DataResponse<SummaryCompany>,
}

/// `GET /api/system-info/summary`'s body: Keepnet's spec wraps [`SystemInfoSummary`] in the
/// usual envelope (`data.versionInfo`), while Keepnet's UI reads `versionInfo` and
/// `companyLicense` at the top of the body; both are sent so that both readers work.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SystemInfoSummaryReply {
    pub data: SystemInfoSummary,
    pub status: String,
    pub message: Option<String>,
    pub validation_messages: Option<Vec<String>>,
    pub is_success: bool,
    /// `data.versionInfo` again, where Keepnet's UI reads it.
    pub version_info: DataResponse<VersionInfo>,
    /// `data.companyLicense` again.
    pub company_license: DataResponse<LicenseCheckDto>,
    /// `data.company` again.
    pub company: DataResponse<SummaryCompany>,
}

/// `GET /api/system-users/settings`: the caller's display settings, which are its company's.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SystemUserSettingsDto {
    pub time_zone_id: Option<String>,
    /// The zone's display name (`(UTC+03:00) Istanbul`, or the IANA name itself).
    pub time_zone_name: Option<String>,
    pub date_format: Option<String>,
    pub time_format: Option<String>,
}
