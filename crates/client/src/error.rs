//! [`ClientError`]: everything a call can end in, with enough detail to say what happened.

use std::time::Duration;

use serde_json::Value;

/// Shorthand result of every client call.
pub type Result<T, E = ClientError> = std::result::Result<T, E>;

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The API answered with an error envelope (or some other non-success reply).
    ///
    /// `status`, `message` and `validation_messages` come from the body: Keepnet's envelope in
    /// camelCase or PascalCase (`Status`, `Message`, `ValidationMessages`), an OAuth error, an
    /// ASP.NET `ProblemDetails`, or, failing all of those, the start of the body as text.
    #[error("{}", api_text(*http_status, status.as_deref(), message, validation_messages))]
    Api {
        /// HTTP status code.
        http_status: u16,
        /// The envelope's `status` (`INPUT_ERROR`, `NOT_FOUND`, ...) when there was one.
        status: Option<String>,
        /// The human message.
        message: String,
        /// Per-field problems (may be empty).
        validation_messages: Vec<String>,
    },
    /// `POST /connect/token` refused the credentials (RFC 6749 §5.2 error).
    #[error(
        "the token endpoint refused the credentials (HTTP {http_status}, {error}): {description}"
    )]
    Auth {
        /// HTTP status code (400 on Keepnet and rollcall, 401 in Keepnet's spec).
        http_status: u16,
        /// `invalid_client`, `invalid_request`, ...
        error: String,
        /// `error_description`, or the message of a non-OAuth body.
        description: String,
    },
    /// The request never got an HTTP answer: DNS, connection refused, TLS, timeout, reset.
    #[error("cannot reach {url}: {message}")]
    Transport {
        /// The URL that was being called.
        url: String,
        /// The error and its causes, joined.
        message: String,
        /// Whether it was a timeout.
        timeout: bool,
    },
    /// Every attempt the retry budget allows ended in a retryable failure.
    #[error("gave up after {attempts} attempts over {:.1} s; last error: {last}", elapsed.as_secs_f64())]
    RetriesExhausted {
        /// Attempts made (the first try included).
        attempts: u32,
        /// Time from the first attempt to giving up.
        elapsed: Duration,
        /// The last failure.
        last: Box<ClientError>,
    },
    /// The server asked (with `Retry-After`) for a longer pause than the client is allowed to
    /// wait.
    #[error("the server asked to retry after {} s, longer than the {} s this client waits; last error: {last}", retry_after.as_secs(), limit.as_secs())]
    RetryAfterTooLong {
        /// What the server asked for.
        retry_after: Duration,
        /// [`crate::RetryPolicy::max_retry_after`].
        limit: Duration,
        /// The reply that carried the header.
        last: Box<ClientError>,
    },
    /// A success reply whose body is not what the endpoint documents.
    #[error("unexpected reply from {url}: {message}")]
    Decode {
        /// The URL that was called.
        url: String,
        /// What did not fit.
        message: String,
    },
    /// Writing an export to its destination failed, or the download broke off part-way.
    #[error("export failed after {written} bytes: {message}")]
    Export {
        /// Bytes written before the failure.
        written: u64,
        /// What went wrong.
        message: String,
    },
    /// The client was built with unusable settings.
    #[error("invalid client settings: {0}")]
    Config(String),
}

fn api_text(http: u16, status: Option<&str>, message: &str, validation: &[String]) -> String {
    let mut s = format!("HTTP {http}");
    if let Some(st) = status.filter(|s| !s.is_empty()) {
        s.push(' ');
        s.push_str(st);
    }
    s.push_str(": ");
    s.push_str(message);
    // Keepnet often puts the useful text only in validationMessages, and often repeats the
    // message there: each text is printed once.
    let mut extra: Vec<&str> = Vec::new();
    for v in validation.iter().map(|v| v.trim()) {
        if !v.is_empty() && !message.contains(v) && !extra.contains(&v) {
            extra.push(v);
        }
    }
    if !extra.is_empty() {
        s.push_str(" (");
        s.push_str(&extra.join("; "));
        s.push(')');
    }
    s
}

impl ClientError {
    /// The HTTP status of the final answer, looking through retry wrappers; `None` when no HTTP
    /// answer came back.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            ClientError::Api { http_status, .. } | ClientError::Auth { http_status, .. } => {
                Some(*http_status)
            }
            ClientError::RetriesExhausted { last, .. }
            | ClientError::RetryAfterTooLong { last, .. } => last.http_status(),
            _ => None,
        }
    }

    /// The innermost error (through retry wrappers).
    pub fn root(&self) -> &ClientError {
        match self {
            ClientError::RetriesExhausted { last, .. }
            | ClientError::RetryAfterTooLong { last, .. } => last.root(),
            other => other,
        }
    }

    /// Whether the call failed without any HTTP answer (network trouble).
    pub fn is_network(&self) -> bool {
        matches!(self.root(), ClientError::Transport { .. })
    }

    pub(crate) fn transport(url: &str, e: &reqwest::Error) -> ClientError {
        ClientError::Transport {
            url: url.to_owned(),
            message: error_chain(e),
            timeout: e.is_timeout(),
        }
    }
}

/// An error and its causes, `: `-joined, without repeating a cause already contained in the
/// text before it (reqwest and hyper nest the same message).
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}

/// Looks up a key of a JSON object case-insensitively (Keepnet sends `message` and `Message`).
pub(crate) fn get_ci<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    let obj = v.as_object()?;
    obj.get(key).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

fn text_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        _ => None,
    }
}

/// What an error body says, whatever its dialect.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct ErrorBody {
    pub status: Option<String>,
    pub message: Option<String>,
    pub validation_messages: Vec<String>,
    pub oauth_error: Option<String>,
}

/// Reads an error body: Keepnet's envelope (any key casing), an OAuth error, ProblemDetails
/// (`title`, `detail`, `errors`), or plain text.
pub(crate) fn parse_error_body(body: &str) -> ErrorBody {
    let Ok(v) = serde_json::from_str::<Value>(body) else {
        let text: String = body.trim().chars().take(300).collect();
        return ErrorBody {
            message: (!text.is_empty()).then_some(text),
            ..ErrorBody::default()
        };
    };
    let mut validation: Vec<String> = match get_ci(&v, "validationMessages") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| match i {
                Value::String(s) => Some(s.clone()),
                Value::Null => None,
                other => Some(other.to_string()),
            })
            .collect(),
        _ => Vec::new(),
    };
    // ProblemDetails: errors: {field: [messages]}.
    if let Some(Value::Object(errors)) = get_ci(&v, "errors") {
        for (field, msgs) in errors {
            if let Value::Array(msgs) = msgs {
                for m in msgs.iter().filter_map(Value::as_str) {
                    validation.push(format!("{field}: {m}"));
                }
            }
        }
    }
    let oauth_error = text_of(get_ci(&v, "error"));
    let message = text_of(get_ci(&v, "message"))
        .or_else(|| text_of(get_ci(&v, "error_description")))
        .or_else(|| text_of(get_ci(&v, "detail")))
        .or_else(|| text_of(get_ci(&v, "title")))
        .or_else(|| validation.first().cloned());
    ErrorBody {
        status: text_of(get_ci(&v, "status")),
        message,
        validation_messages: validation,
        oauth_error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_and_pascal_envelopes() {
        let camel = parse_error_body(
            r#"{"data":null,"status":"INPUT_ERROR","message":"bad","validationMessages":["x is wrong"],"isSuccess":false}"#,
        );
        assert_eq!(camel.status.as_deref(), Some("INPUT_ERROR"));
        assert_eq!(camel.message.as_deref(), Some("bad"));
        assert_eq!(camel.validation_messages, vec!["x is wrong"]);
        let pascal = parse_error_body(
            r#"{"Data":null,"Status":"INPUT_ERROR","Message":null,"ValidationMessages":["Role should be selected"]}"#,
        );
        assert_eq!(pascal.status.as_deref(), Some("INPUT_ERROR"));
        assert_eq!(pascal.message.as_deref(), Some("Role should be selected"));
        assert_eq!(pascal.validation_messages, vec!["Role should be selected"]);
    }

    #[test]
    fn oauth_problem_details_and_text() {
        let o = parse_error_body(r#"{"error":"invalid_client","error_description":"no"}"#);
        assert_eq!(o.oauth_error.as_deref(), Some("invalid_client"));
        assert_eq!(o.message.as_deref(), Some("no"));
        let p = parse_error_body(
            r#"{"title":"One or more validation errors occurred.","status":400,"errors":{"Name":["required"]}}"#,
        );
        assert_eq!(
            p.message.as_deref(),
            Some("One or more validation errors occurred.")
        );
        assert_eq!(p.validation_messages, vec!["Name: required"]);
        assert_eq!(p.status, None, "a numeric status is not a ResultStatus");
        let t = parse_error_body("<html>Bad gateway</html>");
        assert_eq!(t.message.as_deref(), Some("<html>Bad gateway</html>"));
    }

    #[test]
    fn display_says_what_happened() {
        let e = ClientError::Api {
            http_status: 400,
            status: Some("INPUT_ERROR".into()),
            message: "the request is invalid".into(),
            validation_messages: vec!["Name is required".into()],
        };
        assert_eq!(
            e.to_string(),
            "HTTP 400 INPUT_ERROR: the request is invalid (Name is required)"
        );
        let r = ClientError::RetriesExhausted {
            attempts: 5,
            elapsed: Duration::from_millis(1500),
            last: Box::new(ClientError::Api {
                http_status: 503,
                status: None,
                message: "down".into(),
                validation_messages: vec![],
            }),
        };
        assert_eq!(
            r.to_string(),
            "gave up after 5 attempts over 1.5 s; last error: HTTP 503: down"
        );
        assert_eq!(r.http_status(), Some(503));
    }

    #[test]
    fn a_validation_message_the_message_repeats_is_printed_once() {
        let e = ClientError::Api {
            http_status: 400,
            status: Some("INPUT_ERROR".into()),
            message: "The request is invalid: email 'x@' is not valid".into(),
            validation_messages: vec![
                "email 'x@' is not valid".into(),
                "Name is required".into(),
                "Name is required".into(),
            ],
        };
        assert_eq!(
            e.to_string(),
            "HTTP 400 INPUT_ERROR: The request is invalid: email 'x@' is not valid (Name is required)"
        );
        let only = ClientError::Api {
            http_status: 400,
            status: None,
            message: "email 'x@' is not valid".into(),
            validation_messages: vec!["email 'x@' is not valid".into()],
        };
        assert_eq!(only.to_string(), "HTTP 400: email 'x@' is not valid");
    }
}
