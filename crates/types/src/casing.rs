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
