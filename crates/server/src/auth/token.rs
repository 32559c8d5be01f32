//! `POST /connect/token`: OAuth2 client-credentials tokens (RFC 6749 §4.4), with RFC 6749 §5.2
//! error bodies.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, State};
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine as _;
use rollcall_store::{ApiClient, Company, Role, StoreError, STATUS_ACTIVE};
use rollcall_types::token::{Claims, OAuthError as OAuthBody, TokenResponse};

use crate::auth::address::ip_allowed;
use crate::auth::caller::switched_off;
use crate::error::ApiError;
use crate::state::AppState;

/// The only scope.
pub const SCOPE: &str = "api1";

/// The OAuth error code of a refused token request, in its response for the metrics.
#[derive(Debug, Clone, Copy)]
struct OAuthCode(&'static str);

/// A refused token request: an RFC 6749 §5.2 error body (CONTRACT.md: token errors are not the
/// envelope) with its status, `Cache-Control: no-store` and, for the limits that RFC leaves to
/// servers (429, 503), a `Retry-After`.
#[derive(Debug)]
pub(crate) struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
    retry_after_secs: Option<u64>,
}

impl OAuthError {
    /// 400 with the RFC 6749 code `error`.
    fn new(error: &'static str, description: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error,
            description: description.into(),
            retry_after_secs: None,
        }
    }

    /// 400 `invalid_request`: the form is malformed.
    pub(crate) fn invalid_request(description: impl Into<String>) -> Self {
        Self::new("invalid_request", description)
    }

    /// The same error with another status (408 for a form that arrived too slowly).
    pub(crate) fn with_status(self, status: StatusCode) -> Self {
        Self { status, ..self }
    }

    /// `status` (429, 503) with a `Retry-After` of `secs`.
    fn retry_later(
        status: StatusCode,
        error: &'static str,
        description: String,
        secs: u64,
    ) -> Self {
        Self {
            status,
            retry_after_secs: Some(secs),
            ..Self::new(error, description)
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let mut resp = (
            self.status,
            [("cache-control", "no-store")],
            Json(OAuthBody {
                error: self.error.to_owned(),
                error_description: self.description,
            }),
        )
            .into_response();
        if let Some(secs) = self.retry_after_secs {
            resp.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        resp.extensions_mut().insert(OAuthCode(self.error));
        resp
    }
}

/// Why a token request got no token: refused ([`OAuthError`]) or a fault of the server, which
/// answers the API's 500 envelope like every other endpoint.
#[derive(Debug)]
enum TokenFailure {
    Refused(OAuthError),
    Internal(ApiError),
}

impl From<OAuthError> for TokenFailure {
    fn from(e: OAuthError) -> Self {
        Self::Refused(e)
    }
}

impl From<ApiError> for TokenFailure {
    fn from(e: ApiError) -> Self {
        Self::Internal(e)
    }
}

impl From<StoreError> for TokenFailure {
    /// Every store error is a 500 here, a conflict or a vanished row included: the endpoint
    /// writes nothing that could conflict.
    fn from(e: StoreError) -> Self {
        Self::Internal(ApiError::internal(e))
    }
}

impl IntoResponse for TokenFailure {
    fn into_response(self) -> Response {
        match self {
            Self::Refused(e) => e.into_response(),
            Self::Internal(e) => e.into_response(),
        }
    }
}

/// Largest token request body: the four form fields need far less.
const MAX_TOKEN_FORM: usize = 4 * 1024;
/// Longest `client_id` a token request may name.
const MAX_CLIENT_ID_BYTES: usize = 256;
/// Longest `client_secret` a token request may send.
const MAX_CLIENT_SECRET_BYTES: usize = 512;

/// Endpoints a role may call, in Keepnet's `permissions` format.
pub fn permissions(role: Role) -> Vec<String> {
    let mut p: Vec<&str> = vec![
        "companies/my|GET",
        "companies/{resourceId}|GET",
        "companies/{resourceId}/license-check|GET",
        "companies/clients|POST",
        "companies/clients/{resourceId}|GET",
        "companies/clients/{resourceId}|PUT",
        "companies/clients/{resourceId}|DELETE",
        "companies/clients/search|POST",
        "companies/clients/generate-client-credentials|GET",
        "roles|GET",
        "lookups|GET",
        "audit-logs|POST",
        "audit-logs/search|POST",
        "audit-logs/search/export|POST",
    ];
    if role == Role::Reseller {
        p.extend([
            "companies|POST",
            "companies/search|POST",
            "companies/search/export|POST",
            "companies/{resourceId}|PUT",
            "companies/{resourceId}|DELETE",
        ]);
    }
    p.into_iter().map(str::to_owned).collect()
}

/// `POST /connect/token`: client credentials grant, form body only (RFC 6749 §4.4).
#[utoipa::path(
    post, path = "/connect/token", operation_id = "requestAccessToken", tag = "Auth", security(()),
    summary = "Get an access token",
    description = "OAuth2 client-credentials grant: send `grant_type=client_credentials`, your \
        `client_id` and `client_secret` as a form (not JSON) and use the `access_token` it \
        answers as `Authorization: Bearer TOKEN` on every other call until `expires_in` seconds \
        have passed, then ask again. Needs no token. The token carries the client's role \
        (Reseller or Company Admin) and company. A wrong id or secret, or a deactivated client, \
        is a 400 `invalid_client` (RFC 6749 section 5.2); repeated failures are answered 429 for \
        a while.",
    request_body(content = crate::openapi::TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "A bearer token", body = rollcall_types::token::TokenResponse),
        (status = 400, description = "RFC 6749 §5.2 error: invalid_request, invalid_client (unknown id, wrong secret, inactive client), unsupported_grant_type or invalid_scope", body = rollcall_types::token::OAuthError),
        (status = 408, description = "invalid_request: the form arrived more slowly than the server's minimum body rate (--body-min-rate); send the whole form at once. The connection is closed", body = rollcall_types::token::OAuthError),
        (status = 429, description = "too_many_requests: too many failed token requests from this address or for this client_id (--token-failure-limit, default 10/min), or more token requests than --rate-limit allows; wait the Retry-After seconds", body = rollcall_types::token::OAuthError,
            headers(("Retry-After" = u64, description = "Whole seconds to wait before the next token request"))),
        (status = 503, description = "temporarily_unavailable: the server is checking too many secrets at once; wait the Retry-After seconds", body = rollcall_types::token::OAuthError,
            headers(("Retry-After" = u64, description = "Whole seconds to wait before the next token request"))),
    )
)]
pub async fn token(State(state): State<AppState>, req: axum::extract::Request) -> Response {
    let resp = match token_response(&state, req).await {
        Ok(resp) => resp,
        Err(failure) => failure.into_response(),
    };
    if resp.status().is_success() {
        state.metrics.tokens_issued.inc();
    } else {
        let code = resp
            .extensions()
            .get::<OAuthCode>()
            .map_or("server_error", |c| c.0);
        state
            .metrics
            .token_failures
            .with_label_values(&[code])
            .inc();
    }
    resp
}

/// Most characters of a requested client id the request log line shows.
const MAX_LOGGED_CLIENT_ID: usize = 100;

/// What a well-formed token request carries.
struct TokenForm {
    client_id: String,
    client_secret: String,
    peer: Option<IpAddr>,
    user_agent: Option<String>,
}

impl TokenForm {
    /// Reads and checks the form and the Basic credentials (RFC 6749 §4.4, §2.3, §3.1).
    async fn read(req: axum::extract::Request) -> Result<Self, OAuthError> {
        let peer = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let headers = req.headers().clone();
        let body = axum::body::to_bytes(req.into_body(), MAX_TOKEN_FORM)
            .await
            .map_err(|_| OAuthError::invalid_request(format!("the token request body is larger than {MAX_TOKEN_FORM} bytes or could not be read; send only grant_type, client_id, client_secret and scope")))?;
        if crate::extract::media_type(&headers) != "application/x-www-form-urlencoded" {
            return Err(OAuthError::invalid_request(
                "send the token request as a form: Content-Type: application/x-www-form-urlencoded with grant_type=client_credentials, client_id, client_secret and scope=api1",
            ));
        }
        let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).map_err(|e| {
            OAuthError::invalid_request(format!("the form body could not be read: {e}"))
        })?;
        // The body is not needed again; a request waiting for a secret check keeps only its
        // fields.
        drop(body);
        // NUL and other control characters, before anything reads a field (crate::text).
        for (name, value) in &form {
            crate::text::check(name, value).map_err(OAuthError::invalid_request)?;
        }
        // A parameter given twice is an error (RFC 6749 §3.1).
        let field = |name: &str| -> Result<Option<String>, OAuthError> {
            let mut found = form
                .iter()
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v.clone());
            let first = found.next();
            if found.next().is_some() {
                return Err(OAuthError::invalid_request(format!(
                    "the parameter {name} is given more than once"
                )));
            }
            Ok(first.filter(|v| !v.is_empty()))
        };
        let grant = field("grant_type")?.ok_or_else(|| {
            OAuthError::invalid_request("grant_type is missing; send grant_type=client_credentials")
        })?;
        if grant != "client_credentials" {
            return Err(OAuthError::new(
                "unsupported_grant_type",
                format!("grant_type '{grant}' is not supported; use client_credentials"),
            ));
        }
        // Credentials in the form (client_secret_post) or in HTTP Basic (client_secret_basic).
        let (id, secret) = (field("client_id"), field("client_secret"));
        let (mut id, mut secret) = (id?, secret?);
        if let Some((bi, bs)) = basic_credentials(&headers) {
            for (name, value) in [
                ("the Basic client id", &bi),
                ("the Basic client secret", &bs),
            ] {
                crate::text::check(name, value).map_err(OAuthError::invalid_request)?;
            }
            // One authentication method per request (RFC 6749 §2.3).
            if secret.is_some() {
                return Err(OAuthError::invalid_request(
                    "the client authenticated twice (HTTP Basic and client_secret in the form); send the credentials one way only (RFC 6749 §2.3)",
                ));
            }
            if id.as_ref().is_some_and(|i| *i != bi) {
                return Err(OAuthError::invalid_request(
                    "client_id differs between the form and the Authorization header",
                ));
            }
            id = Some(bi);
            secret = Some(bs);
        }
        let (Some(client_id), Some(client_secret)) = (id, secret) else {
            return Err(OAuthError::invalid_request(
                "client_id and client_secret are required",
            ));
        };
        // No client has longer ones (client ids are at most 32 characters, secrets 100, the
        // bootstrap's what its operator chose): refused before any work, so that requests
        // waiting for a secret check stay small.
        for (name, value, max) in [
            ("client_id", &client_id, MAX_CLIENT_ID_BYTES),
            ("client_secret", &client_secret, MAX_CLIENT_SECRET_BYTES),
        ] {
            if value.len() > max {
                return Err(OAuthError::invalid_request(format!(
                    "{name} is longer than {max} bytes; check that the credentials are the right way round"
                )));
            }
        }
        match field("scope")? {
            None => {}
            Some(s) if s.split(' ').all(|part| part == SCOPE) => {}
            Some(s) => {
                return Err(OAuthError::new(
                    "invalid_scope",
                    format!("scope '{s}' is not valid; use scope=api1"),
                ))
            }
        }
        let user_agent = headers
            .get(axum::http::header::USER_AGENT)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        Ok(TokenForm {
            client_id,
            client_secret,
            peer,
            user_agent,
        })
    }
}

async fn token_response(
    state: &AppState,
    req: axum::extract::Request,
) -> Result<Response, TokenFailure> {
    let ctx = req
        .extensions()
        .get::<crate::request::RequestContext>()
        .cloned();
    let TokenForm {
        client_id,
        client_secret,
        peer,
        user_agent,
    } = TokenForm::read(req).await?;
    if let Some(ctx) = ctx {
        // The request line names the id asked for, cut so that a caller cannot fill the log.
        let shown: String = client_id.chars().take(MAX_LOGGED_CLIENT_ID).collect();
        ctx.set_client(&shown, "");
    }
    if let Some(limits) = &state.limits {
        limits.check_token(&client_id, peer).map_err(|r| {
            OAuthError::retry_later(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                format!(
                    "more than {} token requests from this address or for this client_id from it; wait {} s (Retry-After). A token lasts {} s: reuse it instead of requesting one per call",
                    limits.rate(),
                    r.retry_after_secs,
                    state.config.token_ttl_secs
                ),
                r.retry_after_secs,
            )
        })?;
    }
    // Failed authentications are limited per address and per client id (crate::token_guard):
    // one failure is reserved before the slow secret check and given back unless it was a guess.
    let mut reservation = state
        .token_guard
        .reserve(&client_id, peer, state.config.secret_check_wait)
        .await
        .map_err(|refusal| budget_refusal(state, refusal))?;
    // A refused request naming an id: audited (crate::audit). Whether it was a guess (an
    // unknown id or a wrong secret) is settled on the reservation before.
    let refuse = |client: Option<ApiClient>,
                  company: Option<Company>,
                  reason: &'static str,
                  description: String| {
        let (client_id, user_agent) = (client_id.clone(), user_agent.clone());
        async move {
            let company = match (company, &client) {
                (Some(c), _) => Some(c),
                (None, Some(cl)) => state
                    .store
                    .company_by_id(cl.company_id)
                    .await
                    .ok()
                    .flatten(),
                (None, None) => None,
            };
            crate::audit::record_token_failure(
                state,
                &client_id,
                client.as_ref(),
                company.as_ref(),
                peer,
                user_agent.as_deref(),
                reason,
            )
            .await;
            TokenFailure::from(OAuthError::new("invalid_client", description))
        }
    };
    let wrong =
        || "client authentication failed: unknown client_id or wrong client_secret".to_owned();
    let client = state.store.client_by_client_id(&client_id).await?;
    // An unknown id is checked against a dummy hash: the same time as a real check, so that
    // ids cannot be probed by timing.
    let hash = client
        .as_ref()
        .map_or_else(|| state.dummy_hash.to_string(), |c| c.secret_hash.clone());
    // A caller that authenticated from this address before skips the queue's lines, so that a
    // flood from many addresses does not delay the clients that are known to be genuine.
    let urgent = client.is_some() && state.token_guard.known_good(&client_id, peer);
    let line = crate::token_guard::caller_address(peer);
    reservation.checking();
    match state.hasher.verify(line, urgent, client_secret, hash).await {
        Ok(true) if client.is_some() => reservation.release(),
        Ok(_) => {
            let reason = if client.is_some() {
                "wrong client_secret"
            } else {
                "unknown client_id"
            };
            reservation.keep();
            return Err(refuse(client, None, reason, wrong()).await);
        }
        Err(busy) => {
            // Not checked, so not a guess: the reservation is given back.
            reservation.release();
            return Err(OAuthError::retry_later(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                format!(
                    "the server is checking too many secrets at once; wait {} s (Retry-After) and ask again",
                    busy.retry_after_secs
                ),
                busy.retry_after_secs,
            )
            .into());
        }
    }
    let Some(client) = client else {
        // Unreachable: an unknown id was refused with its (dummy) check above.
        return Err(refuse(None, None, "unknown client_id", wrong()).await);
    };
    if client.status_id != STATUS_ACTIVE {
        let msg = "this client is inactive; an administrator must activate it".to_owned();
        return Err(refuse(Some(client), None, "inactive client", msg).await);
    }
    if !ip_allowed(&client, peer) {
        let msg = "requests from this IP address are not allowed for this client".to_owned();
        let reason = "address not on the client's allow-list";
        return Err(refuse(Some(client), None, reason, msg).await);
    }
    let Some(company) = state.store.company_by_id(client.company_id).await? else {
        return Err(refuse(Some(client), None, "company deleted", wrong()).await);
    };
    if let Some(off) = state.store.inactive_in_chain(&company).await? {
        let msg = switched_off(&company, &off);
        return Err(refuse(Some(client), Some(company), "company inactive", msg).await);
    }
    let parent = match company.parent_id {
        Some(pid) => state.store.company_by_id(pid).await?,
        None => None,
    };
    let t = issue(state, &client, &company, parent.as_ref())?;
    state.token_guard.succeeded(&client_id, peer);
    crate::audit::record_token_issued(state, &client, &company, peer, user_agent.as_deref()).await;
    Ok((StatusCode::OK, [("cache-control", "no-store")], Json(t)).into_response())
}

/// The reply when the failure budgets refuse a request before its check.
fn budget_refusal(state: &AppState, refusal: crate::token_guard::Refusal) -> OAuthError {
    match refusal {
        crate::token_guard::Refusal::Busy => OAuthError::retry_later(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "other requests for this client_id or from this address are being checked; wait 1 s (Retry-After) and ask again".to_owned(),
            1,
        ),
        crate::token_guard::Refusal::Spent(r) => {
            let what = match r.spent {
                crate::token_guard::Spent::Address => "from this address",
                crate::token_guard::Spent::Client => "for this client_id",
                crate::token_guard::Spent::Pair => "for this client_id from this address",
            };
            let rate = state
                .token_guard
                .rate()
                .map_or_else(String::new, |r| r.to_string());
            OAuthError::retry_later(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                format!(
                    "too many failed token requests {what} (more than {rate}); wait {} s (Retry-After), and check the client_id and client_secret before trying again",
                    r.retry_after_secs
                ),
                r.retry_after_secs,
            )
        }
    }
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    let unescape = |s: &str| {
        serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("v={s}"))
            .ok()?
            .pop()
            .map(|(_, v)| v)
    };
    Some((unescape(id)?, unescape(secret)?))
}

fn issue(
    state: &AppState,
    client: &ApiClient,
    company: &Company,
    parent: Option<&Company>,
) -> Result<TokenResponse, ApiError> {
    let now = chrono::Utc::now().timestamp();
    let reseller = client.role == Role::Reseller;
    let claims = Claims {
        iss: state.keys.issuer().to_owned(),
        sub: client.resource_id.clone(),
        role: client.role.name().to_owned(),
        reseller_access: reseller,
        company_admin_access: true,
        root_access: false,
        user_company_resourceid: company.resource_id.clone(),
        user_company_name: company.fields.name.clone(),
        user_company_id: company.id,
        user_company_parentcompany_resourceid: if reseller {
            parent.map(|p| p.resource_id.clone()).unwrap_or_default()
        } else {
            String::new()
        },
        user_company_parentcompany_name: if reseller {
            parent.map(|p| p.fields.name.clone()).unwrap_or_default()
        } else {
            String::new()
        },
        client_id: client.client_id.clone(),
        scope: vec![SCOPE.to_owned()],
        exp: now + state.config.token_ttl_secs,
        iat: now,
        jti: rollcall_store::new_resource_id(),
    };
    let token = state.keys.sign(&claims).map_err(ApiError::internal)?;
    Ok(TokenResponse {
        access_token: token,
        token_type: "Bearer".into(),
        expires_in: state.config.token_ttl_secs,
        scope: SCOPE.into(),
        permissions: permissions(client.role),
    })
}
