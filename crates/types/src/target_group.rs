//! Target groups (`/api/target-groups`), named as Keepnet's spec names them (REFERENCE.md C.11).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::filter::{Filter, SearchRequest};

/// One group, as `GET /api/target-groups` and `GET /api/target-groups/{resourceId}` return it
/// (Keepnet's `TargetGroupDto`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TargetGroupDto {
    pub resource_id: String,
    pub name: String,
    /// `VeryLow`, `Low`, `Medium`, `High`, `VeryHigh`.
    pub priority: String,
    pub create_date: Option<DateTime<Utc>>,
    /// Always true: every group rollcall holds was made by a client (no SCIM or LDAP groups).
    pub is_editable: bool,
    pub is_scim_group: bool,
    pub is_google_group: bool,
}

/// Body of `POST /api/target-groups` and `PUT /api/target-groups/{resourceId}` (Keepnet's
/// `CreateTargetGroupRequest` / `UpdateTargetGroupRequest`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(example = json!({"name": "Finance team", "priority": "High"}))
)]
#[serde(rename_all = "camelCase")]
pub struct TargetGroupInput {
    /// 1 to 64 characters, unique in the company in any case.
    pub name: Option<String>,
    /// A priority name or 1..=5; `Medium` when absent on create.
    pub priority: Option<String>,
    /// Update only; kept when absent.
    pub is_active: Option<bool>,
}

/// A row of `POST /api/target-groups/search` (Keepnet's `TargetGroupSearchView`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TargetGroupSearchView {
    pub resource_id: String,
    pub name: String,
    pub company_name: String,
    /// Members (live target users).
    pub user_count: i64,
    pub user_count_with_phone_number: i64,
    pub priority: String,
    pub create_time: DateTime<Utc>,
    pub update_time: Option<DateTime<Utc>>,
    pub is_editable: bool,
    /// Null: no SCIM integration made the group.
    pub scim_setting_name: Option<String>,
    /// Null: no LDAP sync made the group.
    pub ldap_config_name: Option<String>,
    /// Whether the user named in `selectTargetUserResourceIds` is a member.
    pub is_selected: bool,
    pub is_scim_group: bool,
    pub is_google_group: bool,
}

/// Body of `POST /api/target-groups/search` (Keepnet's `TargetGroupSearchRequest`): the base
/// search plus its two extras.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(example = json!({
        "filter": {"condition": "AND", "filterGroups": [{"condition": "AND", "filterItems": [
            {"fieldName": "Name", "operator": "Contains", "value": "team"}
        ]}]},
        "pageNumber": 1, "pageSize": 10, "orderBy": "Name", "ascending": true
    }))
)]
#[serde(rename_all = "camelCase")]
pub struct TargetGroupSearchRequest {
    #[serde(flatten)]
    pub search: SearchRequest,
    /// A target user's resource id: rows say in `isSelected` whether it is a member.
    pub select_target_user_resource_ids: Option<String>,
    /// Keepnet adds groups it builds from simulation results; rollcall has none to add, so
    /// this changes nothing.
    // Ruling in docs/api.md, "Target groups".
    pub system_generated_groups: Option<bool>,
}

/// Body of `POST /api/target-groups/search-name` (Keepnet's `GetTargetGroupByNameRequest`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(example = json!({"groupName": "team", "pageNumber": 1, "pageSize": 10, "orderBy": "Name", "ascending": true}))
)]
#[serde(rename_all = "camelCase")]
pub struct TargetGroupByNameRequest {
    /// Text the name contains, in any case; all groups when empty.
    pub group_name: Option<String>,
    pub page_number: Option<i64>,
    pub page_size: Option<i64>,
    pub order_by: Option<String>,
    pub ascending: Option<bool>,
}

/// Body of `PUT /api/target-groups/users` (Keepnet's `CreateTargetGroupUsersRequest`): users
/// by id, or every user a filter selects (`selectAll`) less `excludedResourceIdList`, added to
/// each group named.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(example = json!({"targetGroupResourceIds": ["Tg7KmQ2xWp4Z"], "targetUserResourceIds": ["Tu3nR8sLc2Vd"]}))
)]
#[serde(rename_all = "camelCase")]
pub struct AddGroupUsersRequest {
    /// The users to add, at most 1,000 (without `selectAll`).
    pub target_user_resource_ids: Option<Vec<String>>,
    /// The groups to add them to (`PUT /api/target-groups/users`).
    pub target_group_resource_ids: Option<Vec<String>>,
    /// Add every live user `filter` selects instead of `targetUserResourceIds`.
    pub select_all: Option<bool>,
    /// With `selectAll`: the target-user filter (as `/api/target-users/search` takes it).
    pub filter: Option<Filter>,
    /// With `selectAll`: users the filter selects that are not to be added.
    pub excluded_resource_id_list: Option<Vec<String>>,
}

/// Body of `DELETE /api/target-groups/{resourceId}/users` (Keepnet's
/// `DeleteTargetGroupUsersRequest`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(example = json!({"targetUserResourceIds": ["Tu3nR8sLc2Vd"]}))
)]
#[serde(rename_all = "camelCase")]
pub struct RemoveGroupUsersRequest {
    /// The users to take out of the group, at most 1,000.
    pub target_user_resource_ids: Option<Vec<String>>,
}

/// What a membership change did: one row per group, as Keepnet's `data: object[]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct GroupUsersChange {
    pub target_group_resource_id: String,
    /// Users that became members (those already in the group are not counted).
    pub added_user_count: i64,
    /// The group's members now.
    pub user_count: i64,
}

/// A count of the users a campaign to some groups would reach, with its breakdowns (Keepnet's
/// `TargetGroupUserCountDetailDto`): the top entries are per status, each breakdown a list of
/// entries whose `status` names the value counted.
// Ruling in docs/api.md, "Target groups".
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TargetGroupUserCountDetailDto {
    pub status: Option<String>,
    pub company_preferred_language: Option<String>,
    pub count: i64,
    /// `Verified` / `Unverified`: whether the user's email domain is a verified allowed domain.
    #[cfg_attr(feature = "openapi", schema(no_recursion))]
    pub domain_allow_list: Option<Vec<TargetGroupUserCountDetailDto>>,
    /// `True` / `False`.
    #[cfg_attr(feature = "openapi", schema(no_recursion))]
    pub has_phone_number: Option<Vec<TargetGroupUserCountDetailDto>>,
    /// `True` / `False`.
    #[cfg_attr(feature = "openapi", schema(no_recursion))]
    pub has_preferred_language: Option<Vec<TargetGroupUserCountDetailDto>>,
    /// `True` / `False`: the user's language is the company's.
    #[cfg_attr(feature = "openapi", schema(no_recursion))]
    pub has_company_preferred_language: Option<Vec<TargetGroupUserCountDetailDto>>,
    /// The groups counted, by name, comma-separated.
    pub target_group_name: Option<String>,
    /// Per time zone id (`""`: none set).
    #[cfg_attr(feature = "openapi", schema(no_recursion))]
    pub time_zone: Option<Vec<TargetGroupUserCountDetailDto>>,
    /// Always empty: rollcall sends no campaigns, so no user has a language drawn at random.
    #[cfg_attr(feature = "openapi", schema(no_recursion))]
    pub has_random_language: Option<Vec<TargetGroupUserCountDetailDto>>,
}

/// Body of `POST /api/target-groups/targetgroupusercountdetailext` (Keepnet's
/// `GetTargetGroupUserCountDetailRequest`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(example = json!({"targetGroupResourceIds": ["Tg7KmQ2xWp4Z"]}))
)]
#[serde(rename_all = "camelCase")]
pub struct TargetGroupUserCountDetailRequest {
    /// The groups whose members are counted.
    pub target_group_resource_ids: Option<Vec<String>>,
    /// Accepted and ignored: rollcall has no phishing scenarios.
    pub scenario_resource_ids: Option<Vec<String>>,
    /// Accepted and ignored, as `scenarioResourceIds`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub category_filter: Option<serde_json::Value>,
    /// Accepted and ignored, as `scenarioResourceIds`.
    pub send_user_preferred_language: Option<String>,
}
