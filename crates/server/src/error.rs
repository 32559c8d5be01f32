//! One error type for every handler, rendered as Keepnet's envelope with the matching status.
//!
//! A 500 keeps its cause out of the reply: the response carries it in an [`ErrorCause`]
//! extension and the request's log line ([`crate::middleware::observe`]) prints it next to the
//! request id that the reply's message names.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rollcall_store::{FilterError, StoreError};
use rollcall_types::{Envelope, ResultStatus};

use crate::request;

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
    /// What went wrong inside the server (500 replies): logged, never sent.
    pub cause: Option<String>,
}

/// The cause of a 500, in its response's extensions for the request log.
#[derive(Debug, Clone)]
pub struct ErrorCause(pub String);

impl ApiError {
    fn new(status: ResultStatus, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            validation: None,
            retry_after_secs: None,
            cause: None,
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
    /// 413: the body is larger than the server takes.
    pub fn payload_too_large(message: impl Into<String>) -> Self {
        Self::new(ResultStatus::PayloadTooLarge, message)
    }

    /// 404 `NOT_FOUND`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ResultStatus::NotFound, message)
    }
    /// 409 `CONFLICT`.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ResultStatus::Conflict, message)
    }
    /// 403 `PRIVACY_ERROR`: the customer has not granted its reseller access.
    pub fn privacy(message: impl Into<String>) -> Self {
        Self::new(ResultStatus::PrivacyError, message)
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
    /// 500, keeping the cause for the request's log line but not sending it. The message names
    /// the request id, as the OpenAPI document promises, so that a report can be matched to
    /// the log.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        let message = match request::current_id() {
            Some(id) => format!(
                "An internal error occurred; it has been logged with request id {id}. Try again \
                 later, and quote that id if you report the problem."
            ),
            None => "An internal error occurred; it has been logged. Try again later.".to_owned(),
        };
        Self {
            cause: Some(cause.to_string()),
            ..Self::new(ResultStatus::InternalServerError, message)
        }
    }
}

impl ApiError {
    /// 500 for a service outside rollcall that did not answer (DNS): unlike
    /// [`ApiError::internal`] the message is sent, since it says what to do; the cause is
    /// logged.
    pub fn upstream(message: impl Into<String>, cause: impl std::fmt::Display) -> Self {
        Self {
            cause: Some(cause.to_string()),
            ..Self::new(ResultStatus::InternalServerError, message)
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.cause {
            Some(cause) => write!(f, "{}: {cause}", self.message),
            None => f.write_str(&self.message),
        }
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
        if let Some(cause) = self.cause {
            resp.extensions_mut().insert(ErrorCause(cause));
        }
        resp
    }
}

/// Handler result.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    fn status_of(e: ApiError) -> (u16, ResultStatus) {
        let status = e.status;
        (e.into_response().status().as_u16(), status)
    }

    #[test]
    fn every_constructor_has_its_status() {
        let cases = [
            (ApiError::bad_request("x"), 400, ResultStatus::InputError),
            (
                ApiError::validation(vec!["a".into()]),
                400,
                ResultStatus::InputError,
            ),
            (ApiError::unauthorized("x"), 401, ResultStatus::Unauthorized),
            (ApiError::forbidden("x"), 403, ResultStatus::Forbidden),
            (
                ApiError::ip_restricted("x"),
                403,
                ResultStatus::IpRestricted,
            ),
            (ApiError::privacy("x"), 403, ResultStatus::PrivacyError),
            (ApiError::not_found("x"), 404, ResultStatus::NotFound),
            (ApiError::conflict("x"), 409, ResultStatus::Conflict),
            (
                ApiError::too_many_requests("x", 3),
                429,
                ResultStatus::TooManyRequests,
            ),
            (
                ApiError::internal("boom"),
                500,
                ResultStatus::InternalServerError,
            ),
            (
                StoreError::Conflict("taken".into()).into(),
                409,
                ResultStatus::Conflict,
            ),
            (StoreError::NotFound.into(), 404, ResultStatus::NotFound),
            (
                StoreError::Corrupt("bad".into()).into(),
                500,
                ResultStatus::InternalServerError,
            ),
            (
                FilterError("bad filter".into()).into(),
                400,
                ResultStatus::InputError,
            ),
        ];
        for (error, http, envelope) in cases {
            let what = format!("{error:?}");
            assert_eq!(status_of(error), (http, envelope), "{what}");
        }
    }

    #[test]
    fn a_500_keeps_its_cause_out_of_the_body() {
        let resp = ApiError::internal("disk on fire").into_response();
        assert_eq!(
            resp.extensions().get::<ErrorCause>().map(|c| c.0.as_str()),
            Some("disk on fire")
        );
        let retry = ApiError::too_many_requests("slow down", 7).into_response();
        assert_eq!(retry.headers()[axum::http::header::RETRY_AFTER], "7");
        assert!(retry.extensions().get::<ErrorCause>().is_none());
    }

    #[tokio::test]
    async fn a_500_names_the_request_id() {
        let inside = request::with_id("req-42".into(), async {
            ApiError::internal("boom").message
        })
        .await;
        assert!(inside.contains("request id req-42"), "{inside}");
        let outside = ApiError::internal("boom").message;
        assert!(!outside.contains("request id"), "{outside}");
    }
}
