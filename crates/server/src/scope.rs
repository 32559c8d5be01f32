//! Company scope: which customer a request acts on.
//!
//! Accepted, as Keepnet's clients send them: the `X-KEEPNET-Company-Id` header (public docs),
//! the `X-IR-COMPANY-ID` header (Keepnet's own UI and agent) and the `?companyId=` query.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use rollcall_store::{Company, Role};
use rollcall_types::ids::is_resource_id;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::middleware::RequestContext;
use crate::AppState;

/// Whether the request reads or writes; a reseller's write must name its company.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Without a scope, reads use the token's own company (Keepnet's behaviour).
    Read,
    /// Without a scope, a reseller's write is refused (Keepnet may land it in the wrong company).
    Write,
}

/// The company id the request names, if any (validated for agreement, not yet resolved).
#[derive(Debug, Clone, Default)]
pub struct ScopeRequest {
    /// The named company id.
    pub id: Option<String>,
    ctx: Option<RequestContext>,
}

impl FromRequestParts<AppState> for ScopeRequest {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let mut named: Vec<(String, &'static str)> = Vec::new();
        for header in ["x-keepnet-company-id", "x-ir-company-id"] {
            for v in parts.headers.get_all(header) {
                let v = v.to_str().map_err(|_| {
                    ApiError::bad_request(format!("the {header} header is not valid text"))
                })?;
                if !v.trim().is_empty() {
                    named.push((
                        v.trim().to_owned(),
                        if header == "x-keepnet-company-id" {
                            "X-KEEPNET-Company-Id"
                        } else {
                            "X-IR-COMPANY-ID"
                        },
                    ));
                }
            }
        }
        if let Some(q) = parts.uri.query() {
            let pairs: Vec<(String, String)> = serde_urlencoded::from_str(q).unwrap_or_default();
            for (k, v) in pairs {
                if k.eq_ignore_ascii_case("companyId") && !v.trim().is_empty() {
                    named.push((v.trim().to_owned(), "companyId"));
                }
            }
        }
        let ctx = parts.extensions.get::<RequestContext>().cloned();
        let Some((first, _)) = named.first().cloned() else {
            return Ok(ScopeRequest { id: None, ctx });
        };
        if let Some((other, source)) = named.iter().find(|(v, _)| *v != first) {
            return Err(ApiError::bad_request(format!(
                "the request names two different companies ('{first}' and '{other}' in {source}); send one company id"
            )));
        }
        Ok(ScopeRequest {
            id: Some(first),
            ctx,
        })
    }
}

impl ScopeRequest {
    /// Resolves the scope for `caller`: 400 malformed, 404 unknown, 403 not managed, and the
    /// no-scope rules of [`Access`].
    pub async fn resolve(
        &self,
        state: &AppState,
        caller: &Caller,
        access: Access,
    ) -> Result<Company, ApiError> {
        let Some(id) = &self.id else {
            if access == Access::Write && caller.role() == Role::Reseller {
                return Err(ApiError::bad_request(
                    "a Reseller must name the company this write is for: send the X-KEEPNET-Company-Id header with the company's resourceId (from POST /api/companies/search)",
                ));
            }
            return Ok(caller.company.clone());
        };
        let company = resolve_company(state, caller, id).await?;
        if let Some(ctx) = &self.ctx {
            ctx.set_company(&company.resource_id);
        }
        Ok(company)
    }
}

/// Looks up a company id named by the caller (header, query or path) and checks reach.
pub async fn resolve_company(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<Company, ApiError> {
    if !is_resource_id(id) {
        return Err(ApiError::bad_request(format!(
            "'{id}' is not a company id: a company id is the 12-character resourceId from POST /api/companies/search"
        )));
    }
    let company = state
        .store
        .company_by_resource_id(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("company '{id}' was not found")))?;
    if !caller.reaches(&company) {
        return Err(ApiError::forbidden(format!(
            "company '{id}' is not managed by this client's company"
        )));
    }
    Ok(company)
}
