//! The audit log: who did what, to which resource, from where (`/api/audit-logs`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A row of `POST /api/audit-logs/search` (Keepnet's `AuditLogSearchView`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AuditLogSearchView {
    /// The audit row's own id.
    pub resource_id: Option<String>,
    /// The OAuth client id that acted (`system` for the server's own writes).
    pub user_name: Option<String>,
    /// The resource acted on (a company, client or target user id), when there is one.
    pub entity_resource_id: Option<String>,
    /// `Company`, `ApiClient`, `TargetUser`, `Token` or `AuditLog`.
    pub entity_name: Option<String>,
    /// The changed fields before the change, as a JSON object.
    pub old_value: Option<String>,
    /// The changed fields after the change, or the event's details, as a JSON object.
    pub new_value: Option<String>,
    /// `Create`, `Update`, `Delete`, `BulkCreate`, `BulkDelete`, `Export`, `TokenIssued` or
    /// `TokenFailed`.
    pub operation: Option<String>,
    /// The address the request came from (the TCP peer).
    pub ip: Option<String>,
    /// The request's `User-Agent`.
    pub user_agent: Option<String>,
    /// What happened, in one sentence.
    pub audit_description: Option<String>,
    /// When it happened (UTC).
    pub log_date: DateTime<Utc>,
}

/// `POST /api/audit-logs` body (Keepnet's `GetAuditLogRequest`): paging and order only.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(example = json!({"pageNumber": 1, "pageSize": 20, "orderBy": "LogDate", "ascending": false}))
)]
#[serde(rename_all = "camelCase")]
pub struct GetAuditLogRequest {
    /// Default 1.
    pub page_number: Option<i64>,
    /// Default 10.
    pub page_size: Option<i64>,
    /// `null` or `""` means `LogDate`.
    pub order_by: Option<String>,
    /// Default false (newest first).
    pub ascending: Option<bool>,
}

/// A row of `POST /api/audit-logs` (Keepnet's `AuditLogDto`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AuditLogDto {
    /// The audit row's id (`resourceId` in the search).
    pub log_id: Option<String>,
    /// Keepnet's numeric user id; rollcall's actors are API clients, so always 0 (the client
    /// id is in the search's `userName`).
    pub user_id: i32,
    /// When it happened (UTC).
    pub log_date: Option<DateTime<Utc>>,
    /// The resource acted on.
    pub entity_resource_id: Option<String>,
    /// Its kind.
    pub entity_name: Option<String>,
    /// The company's internal id (0 when the row belongs to no company).
    pub company_id: i64,
    /// What happened.
    pub operation: String,
    /// Changed fields before, as a JSON object.
    pub old_value: Option<String>,
    /// Changed fields after, or the event's details, as a JSON object.
    pub new_value: Option<String>,
}
