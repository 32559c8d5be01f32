//! SCIM integrations (`/api/scim`), named as Keepnet's spec names them (REFERENCE.md section I).
//! The SCIM protocol itself (`/scim/v2`) speaks RFC 7643's own JSON, not these types.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One SCIM attribute an integration writes into a custom field.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ScimFieldMappingInput {
    /// The custom field that receives the value.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "Cf5hJ9tBq1Ke"))]
    pub custom_field_resource_id: Option<String>,
    /// The SCIM attribute's `resourceId` from `GET /api/scim/fields`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "2f1063492482"))]
    pub scim_field_resource_id: Option<String>,
}

/// Body of `POST /api/scim` (and `PUT /api/scim/{resourceId}`, which reads only `name`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(example = json!({
        "name": "Entra ID SCIM",
        "groupResourceId": "Tg7KmQ2xWp4Z",
        "groupBySCIMFieldResourceId": "9fd0afec416c",
        "fieldMappings": [{"customFieldResourceId": "Cf5hJ9tBq1Ke", "scimFieldResourceId": "2f1063492482"}],
        "syncPlatformGroup": false
    }))
)]
#[serde(rename_all = "camelCase")]
pub struct ScimIntegrationInput {
    /// 1 to 30 characters, unique in the company.
    pub name: Option<String>,
    /// Every provisioned user joins this target group.
    pub group_resource_id: Option<String>,
    /// A SCIM attribute (`GET /api/scim/fields`) whose value names a target group each user
    /// joins, made when missing (for example Department).
    #[serde(default, rename = "groupBySCIMFieldResourceId")]
    pub group_by_scim_field_resource_id: Option<String>,
    /// SCIM attributes written into custom fields, each field mapped once.
    pub field_mappings: Option<Vec<ScimFieldMappingInput>>,
    /// Kept and shown; default false.
    pub sync_platform_group: Option<bool>,
}

/// `data` of `POST /api/scim` and of the rows of `POST /api/scim/{resourceId}/revoke`
/// (Keepnet's `SCIMIntegrationTokenDto`, with rollcall's additions).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ScimIntegrationTokenDto {
    /// The bearer token, shown once: rollcall keeps only its hash.
    pub token: String,
    /// The integration's id (rollcall's addition).
    pub resource_id: String,
    /// The SCIM base URL to enter as the identity provider's Tenant URL (rollcall's
    /// addition; from `--public-url`, else the request's own host).
    pub base_url: String,
}

/// A row of `POST /api/scim/search` (Keepnet's `SCIMSettingSearchView`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ScimSettingSearchView {
    pub resource_id: String,
    pub name: String,
    /// The target group every provisioned user joins.
    pub group_name: Option<String>,
    /// The attribute users are grouped by: `Department`, or the custom field it is mapped to.
    pub group_by_custom_field_name: Option<String>,
    pub create_time: DateTime<Utc>,
}

/// One mapping of `GET /api/scim/{resourceId}` (Keepnet's `SCIMMappingDetailDTO`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ScimMappingDetailDto {
    /// The SCIM attribute's path (`title`, `urn:...:enterprise:2.0:User:employeeNumber`).
    pub scim_path: String,
    pub custom_field_name: String,
}

/// `GET /api/scim/{resourceId}` (Keepnet's `SCIMDetailDto`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ScimDetailDto {
    pub resource_id: String,
    pub name: String,
    pub group_name: Option<String>,
    pub group_by_custom_field_name: Option<String>,
    pub mapping_details: Vec<ScimMappingDetailDto>,
    pub sync_platform_group: bool,
}

/// One attribute of `GET /api/scim/fields` (Keepnet's `SCIMFieldDto`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ScimFieldDto {
    pub resource_id: String,
    /// The attribute's SCIM path.
    pub name: String,
}

/// `data` of `GET /api/scim/fields` (Keepnet's `SCIMFieldListDto`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ScimFieldListDto {
    pub fields: Vec<ScimFieldDto>,
}
