//! One error type for every handler, rendered as Keepnet's envelope with the matching status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rollcall_store::{FilterError, StoreError};
use rollcall_types::{Envelope, ResultStatus};

/// An error reply: status, human message and optional per-field messages.
#[derive(Debug)]
pub struct ApiError {
    /// Envelope status (and so the HTTP status).
    pub status: ResultStatus,
    /// What was wrong and how to fix it.
    pub message: String,
    /// Per-field problems.
    pub validation: Option<Vec<String>>,
    /// Seconds for the `Retry-After` header (429 replies).
    pub retry_after_secs: Option<u64>,
}

impl ApiError {
    fn new(status: ResultStatus, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            validation: None,
            retry_after_secs: None,
        }
    }
    /// 400 `INPUT_ERROR`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ResultStatus::InputError, message)
    }
    /// 400 with per-field messages.
    pub fn validation(messages: Vec<String>) -> Self {
        let message = format!("The request is invalid: {}", messages.join("; "));
        Self {
            validation: Some(messages),
            ..Self::new(ResultStatus::InputError, message)
        }
    }
    /// 401 `UNAUTHORIZED`.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(ResultStatus::Unauthorized, message)
    }
    /// 403 `FORBIDDEN`.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ResultStatus::Forbidden, message)
    }
    /// 404 `NOT_FOUND`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ResultStatus::NotFound, message)
    }
    /// 409 `CONFLICT`.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ResultStatus::Conflict, message)
    }
    /// 403 `IP_RESTRICTED`.
    pub fn ip_restricted(message: impl Into<String>) -> Self {
        Self::new(ResultStatus::IpRestricted, message)
    }
    /// 429 `TOO_MANY_REQUESTS`, with a `Retry-After` of `retry_after_secs`.
    pub fn too_many_requests(message: impl Into<String>, retry_after_secs: u64) -> Self {
        Self {
            retry_after_secs: Some(retry_after_secs),
            ..Self::new(ResultStatus::TooManyRequests, message)
        }
    }
    /// 500, logging the cause but not sending it.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            ResultStatus::InternalServerError,
            "An internal error occurred; it has been logged. Try again later.",
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(msg) => ApiError::conflict(msg),
            StoreError::NotFound => ApiError::not_found("The resource was deleted while this request ran; look it up again before retrying."),
            other => ApiError::internal(other),
        }
    }
}

impl From<FilterError> for ApiError {
    fn from(e: FilterError) -> Self {
        ApiError::bad_request(e.0)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = StatusCode::from_u16(self.status.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body: Envelope<()> = Envelope::error(self.status, self.message, self.validation);
        let mut resp = (code, Json(body)).into_response();
        if let Some(secs) = self.retry_after_secs {
            resp.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        resp
    }
}

/// Handler result.
pub type ApiResult<T> = Result<T, ApiError>;
