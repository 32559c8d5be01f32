//! Importing target users from a file (REFERENCE.md C.10): the upload, its mapping, the
//! preview of checked rows, the import request and the job log.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::envelope::Paged;

/// `data` of `POST /api/target-users/upload` (Keepnet's `UploadFileDto`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct UploadFileDto {
    pub transaction_id: String,
    /// Rows after the header.
    pub row_count: i64,
    pub column_count: i64,
    /// Rows whose email an earlier row of the file has (by the column headed like an email).
    pub duplicate_count: i64,
}

/// `data` of `GET /api/target-users/upload/{transactionId}` (`TargetUserUploadedFileDto`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct UploadedFileDto {
    /// `Csv`, `Xlsx` or `Xls`.
    pub file_type: String,
    pub sheet_names: Vec<String>,
    /// The first rows, each an object of header to cell text.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub data: Vec<serde_json::Map<String, serde_json::Value>>,
    /// The header row.
    pub file_field_names: Vec<String>,
}

/// One column of a mapping.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!(
    {"excelColumnName": "Email Address", "fieldName": "Email"}
)))]
#[serde(rename_all = "camelCase")]
pub struct FieldMapping {
    /// A header of the file.
    pub excel_column_name: Option<String>,
    /// A target-user field (`Email`, `FirstName`, `LastName`, `Department`, `PhoneNumber`,
    /// `TimeZone`, `PreferredLanguage`, `Priority`, `ManagerFirstName`, `ManagerLastName`,
    /// `ManagerEmail`, in any case) or an active custom field's name; empty leaves the column
    /// out.
    pub field_name: Option<String>,
}

/// Body of `POST /api/target-users/create-mapping`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "transactionId": "Tx9kP2mV7bQe",
    "targetGroupResourceIds": [],
    "fieldMappings": [
        {"excelColumnName": "Email Address", "fieldName": "Email"},
        {"excelColumnName": "First Name", "fieldName": "FirstName"},
        {"excelColumnName": "Last Name", "fieldName": "LastName"},
        {"excelColumnName": "Department", "fieldName": "Department"}
    ]
})))]
#[serde(rename_all = "camelCase")]
pub struct CreateMappingRequest {
    /// The upload's transaction id (`POST /api/target-users/upload`).
    pub transaction_id: Option<String>,
    /// Groups every imported user joins.
    pub target_group_resource_ids: Option<Vec<String>>,
    /// The file's columns and the fields they fill; left out, guessed from the headers.
    pub field_mappings: Option<Vec<FieldMapping>>,
}

/// `data` of `create-mapping` and of `GET /api/target-users/mapping-job/{resourceId}`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct MappingJobDto {
    /// The mapping job.
    pub resource_id: String,
    pub transaction_id: String,
    /// `InProgress` while rows are checked, then `Finished` (no row has a problem) or
    /// `FinishedWithError`.
    pub status: String,
    pub new_user_count: i64,
    pub existing_user_count: i64,
    pub invalid_user_count: i64,
    pub total_row_count: i64,
    /// The columns as mapped, given or guessed from the headers (rollcall's field).
    #[serde(default)]
    pub field_mappings: Vec<FieldMapping>,
}

/// A problem with one field of a row.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ValidationDetail {
    pub field_name: String,
    pub message: String,
}

/// A custom value of a checked row.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TmpCustomField {
    pub resource_id: String,
    pub name: String,
    pub data_type: String,
    pub value: String,
}

/// A checked row (`TmpTargetUserSearchView`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TmpTargetUserSearchView {
    /// The row's id, for `selectedResourceIds`.
    pub resource_id: String,
    /// The row's number in the file, 1 for the first row after the header (rollcall's field).
    pub row_number: i64,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub department: Option<String>,
    pub priority: Option<String>,
    pub phone_number: Option<String>,
    pub time_zone: Option<String>,
    pub preferred_language: Option<String>,
    pub transaction_id: String,
    /// `New`, `Exists` or `Error`.
    pub status: String,
    pub validation_detail: Vec<ValidationDetail>,
    pub custom_fields: Vec<TmpCustomField>,
    pub create_time: DateTime<Utc>,
    pub update_time: Option<DateTime<Utc>>,
}

/// `data` of `POST /api/target-users/{transactionId}/search` (Keepnet's
/// `SearchTmpTargetUserServiceResult`, inside the usual envelope as the UI reads it).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TmpSearchResult {
    /// The mapping's status.
    pub status: String,
    pub items: Paged<TmpTargetUserSearchView>,
    pub new_user_count: i64,
    pub existing_user_count: i64,
    pub invalid_user_count: i64,
}

/// Body of `POST /api/target-users/{transactionId}/import`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"importType": "ImportAll"})))]
#[serde(rename_all = "camelCase")]
pub struct ImportRequest {
    /// `ImportAll` (or `All`), `ImportSelected` (or `Selected`), `OnlyNew`, `OnlyUpdateExisting`.
    pub import_type: Option<String>,
    /// The rows to import with `ImportSelected` (row resource ids from the preview).
    pub selected_resource_ids: Option<Vec<String>>,
}

/// `data` of `PUT /api/target-users/{transactionId}/update` (`TransactionIdDto`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TransactionIdDto {
    pub transaction_id: String,
    pub old_transaction_id: String,
}

/// A job of the job log (Keepnet's `JobResult`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct JobResult {
    pub job_id: i64,
    pub company_id: i64,
    pub name: String,
    /// Percent done, 0 to 100.
    pub progress: f64,
    /// 0 queued, 1 running, 2 finished, 3 finished with rows skipped, 4 failed (nothing
    /// applied).
    pub status: i32,
    /// The status by name (rollcall's field).
    pub status_name: String,
    pub resource_id: String,
    pub create_time: DateTime<Utc>,
    pub end_time: Option<DateTime<Utc>>,
    pub error_message: Option<String>,
    /// Seconds left, estimated from the rate so far (0 when unknown or finished).
    pub estimated_time: f64,
    pub is_finished: bool,
    /// The job's parts (Keepnet's `JobDetailResult`): only in `GET /api/jobs/{resourceId}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process_results: Option<Vec<ProcessResult>>,
}

/// One part of a job (`ProcessResult`): created, updated or skipped rows.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ProcessResult {
    /// `Created`, `Updated` or `Skipped`.
    pub name: String,
    /// 0 created, 1 updated, 2 skipped.
    #[serde(rename = "type")]
    pub kind: i32,
    pub current_count: i64,
    pub target_count: i64,
    /// Why rows were skipped: `row N (email): reason`, at most 1,000.
    pub process_errors: Vec<String>,
    pub exists_error: bool,
    pub create_time: DateTime<Utc>,
    pub end_time: Option<DateTime<Utc>>,
    pub estimated_time: f64,
    pub is_finished: bool,
    pub progress: f64,
}
