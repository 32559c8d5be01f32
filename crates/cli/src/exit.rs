//! Exit codes, and the CLI's own errors.

use rollcall_client::ClientError;

/// Success.
pub const OK: u8 = 0;
/// Usage error, bad input, local I/O, anything else.
pub const USAGE: u8 = 1;
/// Authentication or permission: no credentials, rejected credentials, 401, 403.
pub const AUTH: u8 = 2;
/// Not found, or a company name that matches several companies: 404, unknown name.
pub const NOT_FOUND: u8 = 3;
/// The API refused or failed the request (400, 409, 429, 5xx, unexpected replies).
pub const API: u8 = 4;
/// Network: the server could not be reached, or the connection broke.
pub const NETWORK: u8 = 5;
/// An import left rows out because they have problems (the rest was imported).
pub const ROWS_FAILED: u8 = 6;

/// Text for `rollcall --help`.
pub const HELP: &str = "\
The credentials and output flags (--profile, --config, --output, --retries, --no-token-cache,
--wide, --columns) may come before the command or after it: `rollcall --profile prod users list`.

Exit codes:
  0  success
  1  usage error or other failure (bad arguments, local files)
  2  authentication or permission (no or rejected credentials, HTTP 401/403)
  3  not found (HTTP 404, no such company) or an ambiguous company name
  4  the API refused or failed the request (HTTP 400/409/429/5xx after retries)
  5  network (server unreachable, connection lost)
  6  an import left rows with problems out (the others were imported)";

/// Errors the CLI raises itself.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad arguments that clap cannot catch.
    #[error("{0}")]
    Usage(String),
    /// Missing or unusable credentials.
    #[error("{0}")]
    Credentials(String),
    /// Nothing matches.
    #[error("{0}")]
    NotFound(String),
    /// Several things match.
    #[error("{0}")]
    Ambiguous(String),
    /// An import left rows out.
    #[error("{0}")]
    RowsFailed(String),
}

/// The exit code for an HTTP status.
fn for_status(status: u16) -> u8 {
    match status {
        401 | 403 => AUTH,
        404 => NOT_FOUND,
        _ => API,
    }
}

/// The exit code for a client error.
pub fn for_client(e: &ClientError) -> u8 {
    match e.root() {
        ClientError::Api { http_status, .. } => for_status(*http_status),
        ClientError::Auth { .. } => AUTH,
        ClientError::Transport { .. } | ClientError::Export { .. } => NETWORK,
        ClientError::Decode { .. } => API,
        ClientError::Config(_) => USAGE,
        // `root()` looks through the retry wrappers.
        ClientError::RetriesExhausted { .. } | ClientError::RetryAfterTooLong { .. } => API,
    }
}

/// The exit code for any error that reaches `main`.
pub fn code(e: &anyhow::Error) -> u8 {
    for cause in e.chain() {
        if let Some(c) = cause.downcast_ref::<ClientError>() {
            return for_client(c);
        }
        if let Some(c) = cause.downcast_ref::<CliError>() {
            return match c {
                CliError::Usage(_) => USAGE,
                CliError::Credentials(_) => AUTH,
                CliError::NotFound(_) | CliError::Ambiguous(_) => NOT_FOUND,
                CliError::RowsFailed(_) => ROWS_FAILED,
            };
        }
    }
    USAGE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        let api = |s| ClientError::Api {
            http_status: s,
            status: None,
            message: String::new(),
            validation_messages: vec![],
        };
        assert_eq!(for_client(&api(401)), AUTH);
        assert_eq!(for_client(&api(403)), AUTH);
        assert_eq!(for_client(&api(404)), NOT_FOUND);
        assert_eq!(for_client(&api(400)), API);
        let exhausted = ClientError::RetriesExhausted {
            attempts: 5,
            elapsed: std::time::Duration::ZERO,
            last: Box::new(ClientError::Transport {
                url: "u".into(),
                message: "refused".into(),
                timeout: false,
            }),
        };
        assert_eq!(for_client(&exhausted), NETWORK);
        let e = anyhow::Error::new(api(404)).context("while resolving");
        assert_eq!(code(&e), NOT_FOUND);
        let e = anyhow::Error::new(CliError::Ambiguous("x".into()));
        assert_eq!(code(&e), NOT_FOUND);
        assert_eq!(code(&anyhow::anyhow!("other")), USAGE);
    }
}
