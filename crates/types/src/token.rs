//! `POST /connect/token` reply and error bodies (OAuth 2.0, RFC 6749).

use serde::{Deserialize, Serialize};

/// Successful token reply.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenResponse {
    /// The signed JWT.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Lifetime in seconds (3600).
    pub expires_in: i64,
    /// Always `api1`.
    pub scope: String,
    /// Endpoints the credential may call, as `path-without-/api/|METHOD`.
    #[serde(default)]
    pub permissions: Vec<String>,
}

/// RFC 6749 §5.2 error body.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OAuthError {
    /// `invalid_request`, `invalid_client`, `unsupported_grant_type` or `invalid_scope`.
    pub error: String,
    /// What was wrong and how to fix it.
    pub error_description: String,
}

/// Claims carried by the access token, as Keepnet documents them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Claims {
    /// Issuer (the server's public base URL or `rollcall`).
    pub iss: String,
    /// Subject: the REST API client's resource id.
    pub sub: String,
    /// `Reseller` or `Company Admin`.
    pub role: String,
    /// True for resellers.
    pub reseller_access: bool,
    /// True for both standard roles.
    pub company_admin_access: bool,
    /// Never granted to API clients.
    pub root_access: bool,
    /// The token's own company (the value to send as a company id).
    pub user_company_resourceid: String,
    /// The token's own company name.
    pub user_company_name: String,
    /// Numeric company id. Do not use it as a company id; it is here because Keepnet sends it.
    pub user_company_id: i64,
    /// Parent company id, filled for resellers only.
    pub user_company_parentcompany_resourceid: String,
    /// Parent company name, filled for resellers only.
    pub user_company_parentcompany_name: String,
    /// The OAuth client id.
    pub client_id: String,
    /// Always `["api1"]`.
    pub scope: Vec<String>,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Issue time, seconds since the epoch.
    pub iat: i64,
    /// Unique token id.
    pub jti: String,
}
