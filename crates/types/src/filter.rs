//! Keepnet's search request and filter tree, as sent on the wire.
//!
//! These are the *untyped* wire shapes; the server parses them into a typed tree against the
//! field list of each endpoint and rejects what it does not know.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `{searchInputTextValue, condition, filterGroups}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "condition": "AND",
    "searchInputTextValue": "",
    "filterGroups": [{"condition": "AND", "filterItems": [
        {"fieldName": "Department", "operator": "Contains", "value": "sales"}
    ]}]
})))]
#[serde(rename_all = "camelCase")]
pub struct Filter {
    /// Free text matched case-insensitively against the endpoint's text columns (each search
    /// operation names them), ANDed with the groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search_input_text_value: Option<String>,
    /// `AND` or `OR` (any case) combining the groups; default `AND`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// Nested groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter_groups: Option<Vec<FilterGroup>>,
}

impl Filter {
    /// The shape Keepnet's web UI sends (REFERENCE.md, `getDefaultAxiosPayload` of
    /// People.vue): an `AND` group of `and` items and an `OR` group of `or` items, combined
    /// with `AND`, and an empty search text. An empty group matches everything.
    pub fn and_or(and: Vec<FilterItem>, or: Vec<FilterItem>) -> Self {
        let group = |condition: &str, items| FilterGroup {
            condition: Some(condition.into()),
            filter_items: Some(items),
            filter_groups: Some(vec![]),
        };
        Filter {
            search_input_text_value: Some(String::new()),
            condition: Some("AND".into()),
            filter_groups: Some(vec![group("AND", and), group("OR", or)]),
        }
    }
}

/// `{condition, filterItems, filterGroups}`; an empty group matches everything.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "condition": "OR",
    "filterItems": [
        {"fieldName": "Department", "operator": "Contains", "value": "sales"},
        {"fieldName": "Department", "operator": "Contains", "value": "marketing"}
    ]
})))]
#[serde(rename_all = "camelCase")]
pub struct FilterGroup {
    /// `AND` or `OR` (any case); default `AND`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// Leaf conditions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter_items: Option<Vec<FilterItem>>,
    /// Nested groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(no_recursion))]
    pub filter_groups: Option<Vec<FilterGroup>>,
}

/// `{fieldName, operator, value}`; `value` may be a string, bool or number.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!(
    {"fieldName": "Department", "operator": "Contains", "value": "sales"}
)))]
#[serde(rename_all = "camelCase")]
pub struct FilterItem {
    /// Field name, matched case-insensitively against the endpoint's list (each search
    /// operation lists its fields).
    pub field_name: Option<String>,
    /// `Contains`, `Include`, `=`, `!=`, `>`, `>=`, `<`, `<=`, `Equal`, `Equals`.
    pub operator: Option<String>,
    /// The operand: a string, number or boolean; `Include` takes a comma-separated list in a
    /// string.
    pub value: Option<Value>,
    /// Accepted and ignored: a custom field is named in `fieldName`.
    // In Keepnet's schema; no client is seen sending it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_field_name: Option<String>,
}

impl FilterItem {
    /// Convenience constructor.
    pub fn new(field: &str, operator: &str, value: impl Into<Value>) -> Self {
        Self {
            field_name: Some(field.to_owned()),
            operator: Some(operator.to_owned()),
            value: Some(value.into()),
            custom_field_name: None,
        }
    }
}

/// The base search body shared by every `*/search` endpoint, plus the optional extras of the
/// companies and export endpoints. Every field is optional.
///
/// The schema's example names no field, since each endpoint has its own (see each search
/// operation's filter fields), and no `exportType`, which only exports take.
// Every field optional: CONTRACT.md, "Search and filters".
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "pageNumber": 1,
    "pageSize": 20,
    "filter": {"condition": "AND", "searchInputTextValue": "", "filterGroups": []}
})))]
#[serde(rename_all = "camelCase")]
pub struct SearchRequest {
    /// `null` or missing means no filter.
    pub filter: Option<Filter>,
    /// Default 1.
    pub page_number: Option<i64>,
    /// Default 10; at most the server's maximum page size (1000 unless configured).
    pub page_size: Option<i64>,
    /// The field to sort on; `null` or `""` sorts on the endpoint's default field (each search
    /// operation names it).
    pub order_by: Option<String>,
    /// Default false (descending); an upload's preview of checked rows defaults to true
    /// (the file's order).
    pub ascending: Option<bool>,
    /// Companies only: keep companies whose active users exceed a limited licence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_target_user_count_exceeded_limit: Option<bool>,
    /// Companies only: `true` answers a tree, each matching company with its matching
    /// customers in `children`; paging then counts the top-level rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_clustered: Option<bool>,
    /// Target users only: accepted and ignored (Keepnet's UI sends it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_version: Option<bool>,
    /// Target-group member searches and exports only: the company's live users who are
    /// **not** members instead of the members.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclude_group_users: Option<bool>,
    /// Exports only: every matching row instead of the requested page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_all_pages: Option<bool>,
    /// Exports only: `Excel`, `CSV` or `PDF`, any case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export_type: Option<String>,
}
