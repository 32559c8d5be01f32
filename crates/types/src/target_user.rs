//! Target users: the employees who receive simulations and training.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::filter::Filter;

/// A custom field value on a user (rollcall keeps none yet; always an empty list).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CustomFieldValue {
    pub resource_id: Option<String>,
    pub name: Option<String>,
    pub data_type: Option<String>,
    pub value: Option<String>,
    pub timestamp_value: Option<DateTime<Utc>>,
}

/// A row of `POST /api/target-users/search` (Keepnet's `TargetUserSearchView` plus the fields
/// Keepnet's UI reads: `isDeleted`, `managerFullName`, `managerEmail`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TargetUserSearchView {
    pub resource_id: String,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub department: Option<String>,
    /// `VeryLow`, `Low`, `Medium`, `High`, `VeryHigh`.
    pub priority: String,
    /// `Active` or `Inactive` (deleted users keep their last status; see `isDeleted`).
    pub status: String,
    pub custom_field_values: Vec<CustomFieldValue>,
    pub create_time: DateTime<Utc>,
    pub update_time: Option<DateTime<Utc>>,
    pub is_editable: bool,
    pub scim_setting_name: Option<String>,
    pub ldap_config_name: Option<String>,
    pub phone_number: Option<String>,
    pub time_zone: Option<String>,
    pub preferred_language: Option<String>,
    pub is_deleted: bool,
    pub manager_full_name: Option<String>,
    pub manager_email: Option<String>,
    /// Whether the email's domain is a verified allowed domain of the company (rollcall's
    /// field: Keepnet's rows have none).
    // docs/api.md, "Allowed domains".
    #[serde(default)]
    pub is_domain_verified: bool,
    /// The user's target groups, by name (rollcall's field: Keepnet's rows have none).
    // docs/api.md, "Target groups".
    #[serde(default)]
    pub target_groups: Vec<TargetGroupRef>,
}

/// `GET /api/target-users/{resourceId}` (Keepnet's `TargetUserDto`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TargetUserDto {
    pub resource_id: String,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub department: Option<String>,
    pub priority: String,
    pub is_active: bool,
    pub is_deleted: bool,
    pub custom_field_values: Vec<CustomFieldValue>,
    pub phone_number: Option<String>,
    pub time_zone_id: Option<String>,
    pub preferred_language_id: Option<String>,
    pub manager_first_name: Option<String>,
    pub manager_last_name: Option<String>,
    pub manager_email: Option<String>,
    pub manager_full_name: Option<String>,
    pub create_time: DateTime<Utc>,
    pub update_time: Option<DateTime<Utc>>,
    /// The user's target groups, by name (rollcall's field, as on search rows).
    #[serde(default)]
    pub target_groups: Vec<TargetGroupRef>,
}

/// A target group a user belongs to, as its rows name it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TargetGroupRef {
    pub resource_id: String,
    pub name: String,
}

/// Body of `POST /api/target-users` and `PUT /api/target-users/{resourceId}`. On an update,
/// fields left out (or null) keep their value and an empty string clears an optional one.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "email": "jane.doe@example.com",
    "firstName": "Jane",
    "lastName": "Doe",
    "department": "Sales",
    "phoneNumber": "+442071234567",
    "priority": "Medium",
    "isActive": true,
    "timeZoneId": "GMT Standard Time",
    "preferredLanguageId": "en-GB",
    "managerFirstName": "John",
    "managerLastName": "Smith",
    "managerEmail": "john.smith@example.com"
})))]
#[serde(rename_all = "camelCase")]
pub struct TargetUserInput {
    /// Required on create; unique among the company's live users, in any case.
    pub email: Option<String>,
    /// At most 256 characters, as are `lastName` and `department`.
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub department: Option<String>,
    /// `VeryLow`, `Low`, `Medium` (the default), `High` or `VeryHigh` in any case, or 1 to 5.
    pub priority: Option<String>,
    /// Default true.
    pub is_active: Option<bool>,
    /// Values of the company's custom fields: `[{resourceId or name, value, timestampValue}]`.
    pub custom_fields: Option<Vec<serde_json::Value>>,
    /// Spaces are removed.
    pub phone_number: Option<String>,
    /// The user's target groups: exactly these (`[]` for none); left out, an update keeps
    /// them.
    pub target_group_resource_ids: Option<Vec<String>>,
    /// A Windows time zone id (`GMT Standard Time`) or an IANA name (`Europe/London`), as
    /// `GET /api/timezone/timezones` lists them.
    pub time_zone_id: Option<String>,
    /// A language of `GET /api/lookups/21`: its resource id, ISO code or a tag (`en-GB`).
    pub preferred_language_id: Option<String>,
    pub manager_first_name: Option<String>,
    pub manager_last_name: Option<String>,
    pub manager_email: Option<String>,
}

/// Body of `DELETE /api/target-users/bulk-delete` and `DELETE /api/companies/bulk-delete`:
/// the rows named in `items`, or with `selectAll: true` every row `filter` selects except
/// `excludedItems`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "items": ["Qm3nT8vLp2Xa", "Rb7wK4sNc9Ye"],
    "selectAll": false
})))]
#[serde(rename_all = "camelCase")]
pub struct BulkDeleteRequest {
    /// The resource ids to delete (without `selectAll`).
    pub items: Option<Vec<String>>,
    /// `true`: delete every row `filter` selects instead of `items`.
    pub select_all: Option<bool>,
    /// With `selectAll`: resource ids to keep.
    pub excluded_items: Option<Vec<String>>,
    /// With `selectAll`: the list's filter, on the fields of the matching search.
    pub filter: Option<Filter>,
}

/// `data` of a bulk delete: Keepnet's IdResult shape plus the number of users deleted.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct BulkDeleteResult {
    pub resource_id: Option<String>,
    pub deleted_count: i64,
}

/// Body of `POST /api/target-users/search-email`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "email": "@example.com",
    "pageNumber": 1,
    "pageSize": 20
})))]
#[serde(rename_all = "camelCase")]
pub struct SearchEmailRequest {
    /// Text the email contains, in any case.
    pub email: Option<String>,
    /// Default 1.
    pub page_number: Option<i64>,
    /// Default 10.
    pub page_size: Option<i64>,
    /// Default `Email`.
    pub order_by: Option<String>,
    /// Default true.
    pub ascending: Option<bool>,
}

/// Body of `POST /api/target-users/by-resource-ids` and
/// `POST /api/target-users/include-deleted/by-resource-ids`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "targetUserResourceIds": ["Qm3nT8vLp2Xa", "Rb7wK4sNc9Ye"]
})))]
#[serde(rename_all = "camelCase")]
pub struct ByResourceIdsRequest {
    /// At most 10,000 ids; ids of no user of the company are left out of the reply.
    pub target_user_resource_ids: Option<Vec<String>>,
}

/// An item of `by-resource-ids` (Keepnet's `TargetUserEmailDTO`): `status` is an integer here,
/// 1 for active and 0 for inactive.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TargetUserEmailDto {
    pub id: i64,
    pub resource_id: String,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone_number: Option<String>,
    pub is_deleted: bool,
    pub status: i32,
}

/// One month of the count summary.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct MonthlyCount {
    /// `YYYY-MM`.
    pub period: String,
    /// Midnight of the month's first day in UTC, written without a zone designator
    /// (`2026-12-01T00:00:00`), so that a client parsing it in local time gets the right
    /// month.
    // No `Z`: Keepnet's UI parses it in local time, and a `Z` would move the month back west of
    // UTC (CONTRACT.md, rulings of 2026-12-05). Kept as text because Keepnet itself sends other
    // layouts (`2026/02/01 …`, REFERENCE.md C.8).
    pub period_start: String,
    /// Users added that month, whatever their status now.
    pub count: i64,
}

/// `GET /api/target-users/count-summary` (note Keepnet's capital I in `InActive`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CountSummaryDto {
    pub total_number_of_active_users: i64,
    #[serde(rename = "totalNumberOfInActiveUsers")]
    pub total_number_of_in_active_users: i64,
    pub total_number_of_deleted_users: i64,
    /// The last 12 calendar months, oldest first.
    pub monthly_active_users: Vec<MonthlyCount>,
}
