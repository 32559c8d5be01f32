//! The `ServiceResult` envelope every JSON reply is wrapped in.

use serde::{Deserialize, Serialize};

/// Keepnet's `ResultStatus` strings, with the HTTP status each one travels with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultStatus {
    /// 200.
    Success,
    /// 400: the request is malformed or a field is invalid.
    InputError,
    /// 401: missing, invalid or expired token.
    Unauthorized,
    /// 403: role or company not allowed.
    Forbidden,
    /// 404: no such resource (in reach).
    NotFound,
    /// 409: the write conflicts with existing data.
    Conflict,
    /// 429: slow down.
    TooManyRequests,
    /// 413: the request body is larger than the server takes.
    PayloadTooLarge,
    /// 403: the caller's IP address is not on the client's allow-list.
    IpRestricted,
    /// 403: the customer's account privacy does not let its reseller into its data (Keepnet's
    /// UI answers this status by returning to the caller's own company; REFERENCE.md B).
    PrivacyError,
    /// 500.
    InternalServerError,
}

impl ResultStatus {
    /// The string sent in the envelope's `status`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "SUCCESS",
            Self::InputError => "INPUT_ERROR",
            Self::Unauthorized => "UNAUTHORIZED",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound => "NOT_FOUND",
            Self::Conflict => "CONFLICT",
            Self::TooManyRequests => "TOO_MANY_REQUESTS",
            Self::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Self::IpRestricted => "IP_RESTRICTED",
            Self::PrivacyError => "PRIVACY_ERROR",
            Self::InternalServerError => "INTERNAL_SERVER_ERROR",
        }
    }

    /// The HTTP status code this result travels with.
    pub fn http_status(self) -> u16 {
        match self {
            Self::Success => 200,
            Self::InputError => 400,
            Self::Unauthorized => 401,
            Self::Forbidden | Self::IpRestricted | Self::PrivacyError => 403,
            Self::NotFound => 404,
            Self::Conflict => 409,
            Self::TooManyRequests => 429,
            Self::PayloadTooLarge => 413,
            Self::InternalServerError => 500,
        }
    }
}

/// `{data, status, message, validationMessages, isSuccess}`.
///
/// `isSuccess` is what Keepnet's quickstart documents; the other four are what its spec, UI and
/// scripts read. Sending both keeps both kinds of client working.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Envelope<T> {
    /// The payload; `null` on errors.
    pub data: Option<T>,
    /// `SUCCESS`, `INPUT_ERROR`, ...
    pub status: String,
    /// Human message: what went wrong on errors, a short confirmation on writes.
    pub message: Option<String>,
    /// Per-field problems on errors.
    pub validation_messages: Option<Vec<String>>,
    /// `status == "SUCCESS"`.
    #[serde(default)]
    pub is_success: bool,
}

impl<T> Envelope<T> {
    /// A successful reply carrying `data`.
    pub fn success(data: T) -> Self {
        Self {
            data: Some(data),
            status: ResultStatus::Success.as_str().to_owned(),
            message: None,
            validation_messages: None,
            is_success: true,
        }
    }

    /// A successful write: `data` and a short confirmation in `message`. Keepnet's UI shows the
    /// message, and after a delete reloads its table only when it is non-empty (REFERENCE.md I,
    /// "Page frame"; CONTRACT.md rulings of 2026-12-05).
    pub fn done(data: T, message: impl Into<String>) -> Self {
        Self {
            message: Some(message.into()),
            ..Self::success(data)
        }
    }

    /// An error reply.
    pub fn error(status: ResultStatus, message: String, validation: Option<Vec<String>>) -> Self {
        Self {
            data: None,
            status: status.as_str().to_owned(),
            message: Some(message),
            validation_messages: validation,
            is_success: false,
        }
    }
}

/// Keepnet's `PagedResults<T>`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Paged<T> {
    /// 1-based page number.
    pub page_number: i64,
    /// Rows per page.
    pub page_size: i64,
    /// `ceil(totalNumberOfRecords / pageSize)`.
    pub total_number_of_pages: i64,
    /// Rows matching the filter, over all pages.
    pub total_number_of_records: i64,
    /// This page's rows.
    pub results: Vec<T>,
}

impl<T> Paged<T> {
    /// Builds a page, deriving the page count.
    pub fn new(page_number: i64, page_size: i64, total: i64, results: Vec<T>) -> Self {
        let pages = if page_size > 0 {
            (total + page_size - 1) / page_size
        } else {
            0
        };
        Self {
            page_number,
            page_size,
            total_number_of_pages: pages,
            total_number_of_records: total,
            results,
        }
    }
}

/// `data: {resourceId}` returned by writes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct IdResult {
    /// Id of the created, updated or deleted resource.
    pub resource_id: String,
}
