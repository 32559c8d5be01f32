//! Allowed domains (`/api/allow-list`), named as Keepnet's spec names them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `POST /api/allow-list/verify/{resourceId}` (Keepnet's `AllowListDto`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AllowListDto {
    pub resource_id: String,
    /// Lowercase, without a trailing dot.
    pub domain: String,
    /// The value to publish in a TXT record at the domain.
    pub txt_record: String,
    /// The company's numeric id.
    pub company_id: i64,
    /// `1` verified, `0` not yet.
    pub status: i32,
    /// The last DNS check, whatever it found.
    pub last_check_time: Option<DateTime<Utc>>,
    pub verify_time: Option<DateTime<Utc>>,
    /// `1` the TXT record was found in DNS, `2` marked as verified by a Reseller; `null` while
    /// unverified.
    pub verify_type: Option<i32>,
}

/// A row of `POST /api/allow-list/search` (Keepnet's `SearchAllowListDto`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SearchAllowListDto {
    pub allow_list_resource_id: String,
    pub domain: String,
    pub txt_record: String,
    /// `Verified` or `Unverified`.
    pub status: String,
    pub last_check_time: Option<DateTime<Utc>>,
    pub verify_time: Option<DateTime<Utc>>,
    pub create_time: DateTime<Utc>,
    /// `1` DNS, `2` marked by a Reseller, `0` while unverified.
    pub verify_type: i32,
}

/// Body of `POST /api/allow-list` as JSON; Keepnet's own form sends `Domain` and `TxtRecord`
/// as multipart fields.
// The property examples are what the Swagger UI fills a form with (a property without one
// would be sent as "string"); `txtRecord` is left empty, as a value not issued to the company
// is refused.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(example = json!({"domains": ["example.com", "example.org"]}))
)]
#[serde(rename_all = "camelCase")]
pub struct AllowListInput {
    /// One domain, or several separated by commas, semicolons or white space.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "example.com"))]
    pub domain: Option<String>,
    /// More domains.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = json!(["example.org"])))]
    pub domains: Option<Vec<String>>,
    /// The value from `POST /api/allow-list/txt-record`; a new one when absent or empty.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = ""))]
    pub txt_record: Option<String>,
}

/// Body of `DELETE /api/allow-list` (Keepnet's `DeleteAllowListRequest`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(example = json!({"resourceIds": ["Ad2xM7pWn4Ry"]}))
)]
#[serde(rename_all = "camelCase")]
pub struct DeleteAllowListRequest {
    /// The domains to delete: their `allowListResourceId` from the search, at most 1,000.
    pub resource_ids: Option<Vec<String>>,
}
