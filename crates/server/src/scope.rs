//! Company scope: which customer a request acts on.
//!
//! Accepted, as Keepnet's clients send them: the `X-KEEPNET-Company-Id` header (public docs),
//! the `X-IR-COMPANY-ID` header (Keepnet's own UI and agent) and the `?companyId=` query.

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use rollcall_store::{Company, Role};
use rollcall_types::ids::is_resource_id;

use crate::auth::caller::Caller;
use crate::error::ApiError;
use crate::request::RequestContext;
use crate::state::AppState;
use crate::time::{millis_to_time, now_millis};

/// Whether the request reads or writes; a reseller's write must name its company.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Without a scope, reads use the token's own company (Keepnet's behaviour).
    Read,
    /// Without a scope, a reseller's write is refused (Keepnet may land it in the wrong company).
    Write,
}

/// The [`Access`] of a [`Scoped`] handler, as a type.
pub trait AccessKind {
    /// Whether the handler reads or writes.
    const ACCESS: Access;
}

/// A handler that reads ([`Access::Read`]).
#[derive(Debug)]
pub enum Read {}

/// A handler that writes ([`Access::Write`]).
#[derive(Debug)]
pub enum Write {}

impl AccessKind for Read {
    const ACCESS: Access = Access::Read;
}

impl AccessKind for Write {
    const ACCESS: Access = Access::Write;
}

/// Whether a [`Scoped`] handler touches the company's own data, which the company's account
/// privacy guards from the resellers above it, or only the company tree a reseller manages.
pub trait DataKind {
    /// Whether [`check_privacy`] applies.
    const GUARDED: bool;
}

/// The customer's own data (target users, API clients, audit log; and every company-scoped
/// endpoint to come: groups, import, SCIM): closed to its reseller while the customer denies
/// access. The default, so that a new handler is guarded unless it says otherwise.
#[derive(Debug)]
pub enum CustomerData {}

/// The company tree a reseller manages (companies search, export and create): open whatever a
/// customer's privacy, as Keepnet's company list still shows a customer that denies access.
#[derive(Debug)]
pub enum CompanyTree {}

impl DataKind for CustomerData {
    const GUARDED: bool = true;
}

impl DataKind for CompanyTree {
    const GUARDED: bool = false;
}

/// The extractor of every company-scoped handler: the authenticated caller and the company the
/// request acts on. Errors in this order: the caller's (401, 403 `IP_RESTRICTED`, 429), two
/// different companies named (400), then [`ScopeRequest::resolve`]'s (400 malformed id, 404
/// unknown, 403 out of reach, 400 a Reseller's write without a company), then, for
/// [`CustomerData`], the company's account privacy (403 `PRIVACY_ERROR`, [`check_privacy`]).
#[derive(Debug)]
pub struct Scoped<A, D = CustomerData> {
    /// Who sent the request.
    pub caller: Caller,
    /// The company it acts on: the one named, or the caller's own.
    pub company: Company,
    access: PhantomData<(A, D)>,
}

impl<A: AccessKind, D: DataKind> FromRequestParts<AppState> for Scoped<A, D> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // The caller's client and company come in one query (with the inactive-chain check);
        // a named company takes one more.
        let caller = Caller::from_request_parts(parts, state).await?;
        let scope = ScopeRequest::from_request_parts(parts, state).await?;
        let company = scope.resolve(state, &caller, A::ACCESS).await?;
        if D::GUARDED {
            check_privacy(&caller, &company, now_millis())?;
        }
        Ok(Scoped {
            caller,
            company,
            access: PhantomData,
        })
    }
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
    async fn resolve(
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
            if access == Access::Read {
                return Ok(caller.company.clone());
            }
            // A write acts on the company as stored now, not on the caller's copy of the last
            // second (`auth::lookups`).
            return state
                .store
                .company_by_id(caller.company.id)
                .await?
                .ok_or_else(|| {
                    ApiError::unauthorized(
                        "the company of this token no longer exists; use a credential of an existing company",
                    )
                });
        };
        let company = match access {
            Access::Read => match state.lookups.company(id) {
                Some(kept) => reached(caller, kept, id)?,
                None => resolve_company(state, caller, id).await?,
            },
            Access::Write => resolve_company(state, caller, id).await?,
        };
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
    // Reads of the next second may use this copy (`auth::lookups`).
    state.lookups.keep_company(id, company.clone());
    reached(caller, company, id)
}

/// `company` when the caller reaches it, else 403.
fn reached(caller: &Caller, company: Company, id: &str) -> Result<Company, ApiError> {
    if !caller.reaches(&company) {
        return Err(ApiError::forbidden(format!(
            "company '{id}' is not managed by this client's company"
        )));
    }
    Ok(company)
}

/// Account privacy (issue #13; REFERENCE.md I "Account privacy"; CONTRACT.md 2026-12-05
/// rulings): a reseller acting in a company below it is refused while that company denies
/// access (`privacyDurationId` 0) or its access window has ended, unless the company's licence
/// has expired (Keepnet's UI lets the reseller in then: it disables switching only on
/// `privacyDurationId === 0 && !licenceExpired`). A client in its own company is never refused.
pub fn check_privacy(caller: &Caller, company: &Company, now: i64) -> Result<(), ApiError> {
    if company.id == caller.company.id
        || company.privacy.grants_access(now)
        || company.licence_expired(now)
    {
        return Ok(());
    }
    let why = match company.privacy.end_time.and_then(millis_to_time) {
        Some(end) if company.privacy.duration_id != rollcall_store::PRIVACY_DENY => format!(
            "the access window it granted ended at {}",
            end.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ),
        _ => "it denies its reseller access".to_owned(),
    };
    Err(ApiError::privacy(format!(
        "company '{}' ({}) has not granted its reseller access to its data: {why}. A Company Admin client of that company can grant access with PUT /api/companies/privacy (privacyDurationId 1 for continuous access, 2 to 5 for two hours, eight hours, one day or seven days)",
        company.fields.name, company.resource_id
    )))
}
