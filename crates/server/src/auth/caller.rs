//! The `Caller` extractor that authenticates every `/api` request.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use rollcall_store::{ApiClient, Company, Role, STATUS_ACTIVE};

use crate::auth::address::ip_allowed;
use crate::auth::lookups::CallerRow;
use crate::error::ApiError;
use crate::request::RequestContext;
use crate::state::AppState;

/// Why a client of `company` is switched off: `off` (the company itself or one above it) is
/// inactive. Only a reseller above `off` can reactivate it.
pub fn switched_off(company: &Company, off: &Company) -> String {
    if off.id == company.id {
        format!(
            "the company '{}' ({}) is inactive, so its clients are switched off; a reseller of the company above it can reactivate it",
            off.fields.name, off.resource_id
        )
    } else {
        format!(
            "the company '{}' ({}) above this client's company is inactive, so every company below it is switched off; a reseller above it can reactivate it",
            off.fields.name, off.resource_id
        )
    }
}
/// The authenticated caller of an `/api` request: its client, role and own company.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The REST API client, as stored now (not as when the token was issued).
    pub client: ApiClient,
    /// The client's company.
    pub company: Company,
}

impl Caller {
    /// The caller's role.
    pub fn role(&self) -> Role {
        self.client.role
    }

    /// Refuses non-resellers with 403.
    pub fn require_reseller(&self) -> Result<(), ApiError> {
        if self.client.role == Role::Reseller {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "this endpoint needs a Reseller credential; this client's role is Company Admin",
            ))
        }
    }

    /// Whether the caller may act on `company`: a reseller on its own company and everything
    /// below it, a company admin on its own company only.
    pub fn reaches(&self, company: &Company) -> bool {
        match self.client.role {
            Role::Reseller => self.company.reaches(company),
            Role::CompanyAdmin => self.company.id == company.id,
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or_else(|| ApiError::unauthorized("missing Authorization header; send Authorization: Bearer <access_token> from POST /connect/token"))?;
        let value = header
            .to_str()
            .map_err(|_| ApiError::unauthorized("the Authorization header is not valid text"))?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::unauthorized("the Authorization header must be 'Bearer <access_token>'")
            })?;
        let claims = state
            .keys
            .verify(state.store.as_ref(), token)
            .await
            .map_err(|e| match e {
                crate::keys::Rejected::Expired => ApiError::unauthorized(
                    "the access token has expired; request a new one from POST /connect/token",
                ),
                crate::keys::Rejected::Invalid(why) => ApiError::unauthorized(format!(
                    "the access token is invalid: {why}; request a new one from POST /connect/token"
                )),
            })?;
        // The request log names the client even when the limiter refuses it (the company
        // follows once the client is loaded).
        if let Some(ctx) = parts.extensions.get::<RequestContext>() {
            ctx.set_client(&claims.client_id, "");
        }
        if let Some(limits) = &state.limits {
            limits.check_api(&claims.client_id).map_err(|r| {
                ApiError::too_many_requests(
                    format!(
                        "client {} sent more than {} requests; wait {} s (Retry-After) and send requests more slowly",
                        claims.client_id,
                        limits.rate(),
                        r.retry_after_secs
                    ),
                    r.retry_after_secs,
                )
            })?;
        }
        // The client with its company (one query) and the inactive company that switches it
        // off, read at most once a second per replica (`auth::lookups`): a client made
        // inactive or deleted stops within that second everywhere, and on the replica that
        // changed it from its next request.
        let row = match state.lookups.caller(&claims.sub) {
            Some(row) => row,
            None => {
                let (client, company) = state
                    .store
                    .client_with_company(&claims.sub)
                    .await?
                    .ok_or_else(|| {
                        ApiError::unauthorized("the client of this token no longer exists")
                    })?;
                let off = match &company {
                    Some(c) => state.store.inactive_in_chain(c).await?,
                    None => None,
                };
                let row = CallerRow {
                    client,
                    company,
                    off,
                };
                state.lookups.keep_caller(&claims.sub, row.clone());
                row
            }
        };
        let CallerRow {
            client,
            company,
            off,
        } = row;
        if client.client_id != claims.client_id {
            return Err(ApiError::unauthorized(
                "the client of this token no longer exists",
            ));
        }
        if client.status_id != STATUS_ACTIVE {
            return Err(ApiError::unauthorized(
                "the client of this token is inactive",
            ));
        }
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        if !ip_allowed(&client, peer) {
            return Err(ApiError::ip_restricted(format!(
                "requests from {} are not allowed for this client; add the address to its IP allow-list",
                peer.map_or_else(|| "this address".to_owned(), |ip| ip.to_string())
            )));
        }
        let company = company
            .ok_or_else(|| ApiError::unauthorized("the company of this token no longer exists"))?;
        if let Some(ctx) = parts.extensions.get::<RequestContext>() {
            ctx.set_client(&client.client_id, &company.resource_id);
        }
        // An inactive company switches off its own clients and those of every company below
        // it (issue #11, part 3).
        if let Some(off) = off {
            return Err(ApiError::unauthorized(switched_off(&company, &off)));
        }
        Ok(Caller { client, company })
    }
}
