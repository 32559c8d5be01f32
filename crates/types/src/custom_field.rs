//! Custom fields (`/api/custom-fields`), named as Keepnet's spec names them (REFERENCE.md
//! section I and F).

use serde::{Deserialize, Serialize};

/// A definition, as `GET /api/custom-fields/company` lists it (Keepnet's
/// `TargetUserCustomFieldDto`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CustomFieldDto {
    pub resource_id: String,
    pub name: String,
    /// `TargetUser`, or `TargetGroup` for a field of one group.
    pub owner_type: String,
    /// `String`, `Number`, `Email`, `Boolean`, `Date` or `DateTime`.
    pub field_data_type: String,
    pub target_group_resource_id: Option<String>,
    pub is_active: bool,
    pub sort_order: i64,
    pub is_required: bool,
    /// Always true: every field is the company's own.
    pub is_editable: bool,
}

/// Body of `POST /api/custom-fields` and `PUT /api/custom-fields/{resourceId}`, and an item of
/// `POST /api/custom-fields/bulk-update` (Keepnet's `CreateTargetUserCustomFieldRequest`,
/// `UpdateTargetUserCustomFieldRequest`, `TargetUserCustomFieldRequest`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(example = json!({"name": "Employee ID", "fieldDataType": "String", "ownerType": "TargetUser", "isActive": true, "isRequired": false, "sortOrder": 1}))
)]
#[serde(rename_all = "camelCase")]
pub struct CustomFieldInput {
    /// Update and bulk update: the field changed (a bulk item without one is created).
    pub resource_id: Option<String>,
    /// 1 to 64 characters, unique in the company in any case.
    pub name: Option<String>,
    /// `TargetUser` (default) or `TargetGroup` (with `targetGroupResourceId`).
    pub owner_type: Option<String>,
    /// `String`, `Number`, `Email`, `Boolean`, `Date` or `DateTime`, any case.
    pub field_data_type: Option<String>,
    /// With `ownerType` `TargetGroup`: the group the field belongs to.
    pub target_group_resource_id: Option<String>,
    /// Default true on create.
    pub is_active: Option<bool>,
    /// Lists sort by it, then by name; default 0.
    pub sort_order: Option<i64>,
    /// Whether a new target user needs a value; default false.
    pub is_required: Option<bool>,
}

/// Body of `POST /api/custom-fields/bulk-update` (Keepnet's
/// `BulkUpdateTargetUserCustomFieldRequest`): the company's whole set of fields.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(example = json!({"targetUserCustomFields": [
        {"resourceId": "Cf5hJ9tBq1Ke", "name": "Employee ID", "fieldDataType": "String", "sortOrder": 1},
        {"name": "Start date", "fieldDataType": "Date", "sortOrder": 2}
    ]}))
)]
#[serde(rename_all = "camelCase")]
pub struct BulkCustomFieldRequest {
    /// The whole list: items with a `resourceId` update that field, items without one create a
    /// field, and the fields left out are deleted with their values.
    pub target_user_custom_fields: Option<Vec<CustomFieldInput>>,
}
