//! Case-insensitive request property names.
//!
//! Keepnet reads request bodies case-insensitively and real clients rely on it: the web UI sends
//! `FilterGroups`, `FieldName`, `ImportType`, the spec says `filterGroups`, one UI path sends a
//! lowercase `value`. Our DTOs are plain camelCase serde structs; before deserialising, every
//! object key whose lowercase form names a known request field is rewritten to its camelCase
//! spelling. Unknown keys are left alone (and then ignored, as Keepnet ignores them).

use serde_json::{Map, Value};

/// Every camelCase property name of every request DTO. `tests::all_request_fields_known` checks
/// that the DTOs and this list agree.
pub const REQUEST_FIELDS: &[&str] = &[
    // search requests and filters
    "filter",
    "pageNumber",
    "pageSize",
    "orderBy",
    "ascending",
    "newVersion",
    "isClustered",
    "isTargetUserCountExceededLimit",
    "excludeGroupUsers",
    "reportAllPages",
    "exportType",
    "searchInputTextValue",
    "condition",
    "filterGroups",
    "filterItems",
    "fieldName",
    "operator",
    "value",
    "customFieldName",
    "dataType",
    // companies
    "name",
    "description",
    "address",
    "websiteUrl",
    "logoUrl",
    "countryResourceId",
    "industryResourceId",
    "licenseTypeResourceId",
    "licensePeriodTypeResourceId",
    "numberOfUsers",
    "isNumberOfUsersLimited",
    "licenseStartDate",
    "licenseEndDate",
    "timeZoneId",
    "dateFormat",
    "timeFormat",
    "statusId",
    "tags",
    "preferredLanguageTypeResourceId",
    "privacyDurationId",
    // REST API clients
    "clientId",
    "clientSecret",
    "hasIpAddressRestriction",
    "allowedIpAddresses",
    "roleResourceIdList",
    // target users
    "email",
    "firstName",
    "lastName",
    "department",
    "priority",
    "isActive",
    "customFields",
    "phoneNumber",
    "targetGroupResourceIds",
    // imports
    "transactionId",
    "fieldMappings",
    "excelColumnName",
    "importType",
    "selectedResourceIds",
    "preferredLanguageId",
    "managerFirstName",
    "managerLastName",
    "managerEmail",
    "items",
    "selectAll",
    "excludedItems",
    "targetUserResourceIds",
    "resourceId",
    "timestampValue",
    // lookups and the leaderboard
    "typeName",
    "typeIdList",
    "datePeriod",
    "startDate",
    "endDate",
    "pagination",
    // custom fields
    "ownerType",
    "fieldDataType",
    "targetGroupResourceId",
    "sortOrder",
    "isRequired",
    "targetUserCustomFields",
    // target groups
    "selectTargetUserResourceIds",
    "systemGeneratedGroups",
    "groupName",
    "excludedResourceIdList",
    "scenarioResourceIds",
    "categoryFilter",
    "sendUserPreferredLanguage",
    // allowed domains
    "domain",
    "domains",
    "txtRecord",
    "resourceIds",
    // SCIM integrations
    "groupResourceId",
    "groupBySCIMFieldResourceId",
    "customFieldResourceId",
    "scimFieldResourceId",
    "syncPlatformGroup",
];

fn canonical(key: &str) -> Option<&'static str> {
    REQUEST_FIELDS
        .iter()
        .copied()
        .find(|known| known.eq_ignore_ascii_case(key))
}

/// Rewrites object keys, recursively, to their canonical camelCase spelling.
pub fn canonicalize_keys(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = Map::with_capacity(map.len());
            for (key, inner) in map {
                let key = match canonical(&key) {
                    Some(name) => name.to_owned(),
                    None => key,
                };
                out.insert(key, canonicalize_keys(inner));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(canonicalize_keys).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keys(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, inner) in m {
                    out.push(k.clone());
                    keys(inner, out);
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|i| keys(i, out)),
            _ => {}
        }
    }

    /// Every property of every request DTO is in [`REQUEST_FIELDS`], so that a PascalCase or
    /// lowercase spelling of it is understood.
    #[test]
    fn all_request_fields_known() {
        use crate::allow_list::{AllowListInput, DeleteAllowListRequest};
        use crate::company::{
            ClientInput, CompanyInput, LicenseExpiryDateRequest, SetCompanyPrivacyRequest,
        };
        use crate::filter::{Filter, FilterGroup, FilterItem, SearchRequest};
        use crate::target_user::{
            BulkDeleteRequest, ByResourceIdsRequest, SearchEmailRequest, TargetUserInput,
        };
        let item = FilterItem {
            custom_field_name: Some("x".into()),
            ..FilterItem::new("f", "=", "v")
        };
        let group = FilterGroup {
            condition: Some("AND".into()),
            filter_items: Some(vec![item]),
            filter_groups: Some(vec![FilterGroup::default()]),
        };
        let filter = Filter {
            search_input_text_value: Some(String::new()),
            condition: Some("AND".into()),
            filter_groups: Some(vec![group]),
        };
        let search = SearchRequest {
            filter: Some(filter.clone()),
            page_number: Some(1),
            page_size: Some(1),
            order_by: Some(String::new()),
            ascending: Some(true),
            is_target_user_count_exceeded_limit: Some(true),
            is_clustered: Some(true),
            new_version: Some(true),
            exclude_group_users: Some(true),
            report_all_pages: Some(true),
            export_type: Some("CSV".into()),
        };
        let bulk = BulkDeleteRequest {
            filter: Some(filter),
            ..Default::default()
        };
        let values = [
            serde_json::to_value(search),
            serde_json::to_value(bulk),
            serde_json::to_value(CompanyInput::default()),
            serde_json::to_value(ClientInput::default()),
            serde_json::to_value(SetCompanyPrivacyRequest::default()),
            serde_json::to_value(LicenseExpiryDateRequest::default()),
            serde_json::to_value(TargetUserInput::default()),
            serde_json::to_value(SearchEmailRequest::default()),
            serde_json::to_value(ByResourceIdsRequest::default()),
            serde_json::to_value(crate::catalog::LookupRequest {
                type_name: Some(String::new()),
                type_id_list: Some(vec![]),
            }),
            serde_json::to_value(crate::catalog::LeaderboardRequest {
                date_period: Some(serde_json::Value::Null),
                start_date: Some(serde_json::Value::Null),
                end_date: Some(serde_json::Value::Null),
                pagination: Some(Default::default()),
                ..Default::default()
            }),
            serde_json::to_value(AllowListInput::default()),
            serde_json::to_value(DeleteAllowListRequest::default()),
            serde_json::to_value(crate::custom_field::CustomFieldInput::default()),
            serde_json::to_value(crate::custom_field::BulkCustomFieldRequest::default()),
            serde_json::to_value(crate::target_group::TargetGroupInput::default()),
            serde_json::to_value(crate::target_group::TargetGroupSearchRequest::default()),
            serde_json::to_value(crate::target_group::TargetGroupByNameRequest::default()),
            serde_json::to_value(crate::target_group::AddGroupUsersRequest::default()),
            serde_json::to_value(crate::target_group::RemoveGroupUsersRequest::default()),
            serde_json::to_value(crate::target_group::TargetGroupUserCountDetailRequest::default()),
            serde_json::to_value(crate::import::CreateMappingRequest {
                field_mappings: Some(vec![Default::default()]),
                ..Default::default()
            }),
            serde_json::to_value(crate::import::ImportRequest::default()),
            serde_json::to_value(crate::scim::ScimIntegrationInput {
                field_mappings: Some(vec![Default::default()]),
                ..Default::default()
            }),
        ];
        let mut all = Vec::new();
        for v in values {
            keys(&v.expect("serialise"), &mut all);
        }
        assert!(
            all.len() > 60,
            "the DTOs were not fully serialised: {all:?}"
        );
        for k in all {
            assert!(
                REQUEST_FIELDS.contains(&k.as_str()),
                "request field '{k}' is missing from REQUEST_FIELDS"
            );
        }
    }

    #[test]
    fn pascal_and_lower_keys_become_camel() {
        let v = canonicalize_keys(json!({
            "PageNumber": 2,
            "FILTER": {"Condition": "OR", "FilterGroups": [{"FilterItems": [{"FieldName": "x", "value": 1}]}]},
            "unknownThing": true
        }));
        assert_eq!(
            v,
            json!({
                "pageNumber": 2,
                "filter": {"condition": "OR", "filterGroups": [{"filterItems": [{"fieldName": "x", "value": 1}]}]},
                "unknownThing": true
            })
        );
    }
}
