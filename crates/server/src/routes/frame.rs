//! What Keepnet's web UI loads around every page (REFERENCE.md I, "Page frame"):
//! white-labelling, the system summary and version, the caller's display settings, and the
//! regions the New Company form offers. rollcall has no white-labelling and one region, so these
//! answer "nothing configured" (nulls and `false`) and facts about this server; never invented
//! values (CONTRACT.md, rulings of 2026-12-05).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use rollcall_store::catalog;
use rollcall_store::LookupKind;
use rollcall_types::catalog::{
    DataResponse, RegionDto, SummaryCompany, SystemInfoSummary, SystemInfoSummaryReply,
    SystemUserSettingsDto, VersionInfo, WhiteLabelingByDomainDto, WhiteLabelingDto,
};
use rollcall_types::Envelope;

use crate::auth::caller::Caller;
use crate::error::ApiResult;
use crate::routes::{companies, lookups};
use crate::state::AppState;

/// rollcall's version, as the summary and `/api/system-info/version` report it.
const VERSION: &str = env!("CARGO_PKG_VERSION");

// `POST /api/whitelabeling/by-url`: Keepnet's UI asks before anyone logs in, so no token is
// needed; the body (`{url}`) is read by nobody, as there is no brand to find.
/// Get the brand for an address
///
/// The white-labelling brand for the address Keepnet's UI was opened at. rollcall has no
/// white-labelling, so every value is null and the UI shows its default brand. Needs no token, as
/// the UI asks before anyone logs in; a body (`{url}`) is accepted and ignored.
#[utoipa::path(
    post, path = "/api/whitelabeling/by-url", operation_id = "getWhiteLabelingByUrl", tag = "WhiteLabeling", security(()),
    responses((status = 200, description = "No brand: every value null", body = Envelope<WhiteLabelingByDomainDto>))
)]
pub async fn by_url() -> Json<Envelope<WhiteLabelingByDomainDto>> {
    Json(Envelope::success(WhiteLabelingByDomainDto::default()))
}

// `GET /api/whitelabeling/resolve-whitelabeling`.
/// Get the caller's brand settings
///
/// The white-labelling settings of the caller's company. rollcall has none: every value is null or
/// false, which Keepnet's UI reads as "use the default brand". Any valid token.
#[utoipa::path(
    get, path = "/api/whitelabeling/resolve-whitelabeling", operation_id = "resolveWhiteLabeling", tag = "WhiteLabeling",
    responses((status = 200, description = "No white-labelling: every value null or false", body = Envelope<WhiteLabelingDto>), crate::openapi::ApiErrors)
)]
pub async fn resolve(_caller: Caller) -> Json<Envelope<WhiteLabelingDto>> {
    Json(Envelope::success(WhiteLabelingDto::default()))
}

fn version_info() -> VersionInfo {
    VersionInfo {
        version: VERSION.to_owned(),
        server_time: chrono::Utc::now(),
    }
}

// `GET /api/system-info/version`.
/// Get the server version
///
/// rollcall's version (`version`) and the server's clock (`serverTime`). Any valid token.
#[utoipa::path(
    get, path = "/api/system-info/version", operation_id = "getSystemVersion", tag = "SystemInfo",
    responses((status = 200, description = "rollcall's version and the server's time", body = Envelope<VersionInfo>), crate::openapi::ApiErrors)
)]
pub async fn version(_caller: Caller) -> Json<Envelope<VersionInfo>> {
    Json(Envelope::success(version_info()))
}

// `GET /api/system-info/summary`.
/// Get the system summary
///
/// What Keepnet's UI loads on every page: rollcall's version and the server's time (`versionInfo`),
/// the caller's company's licence state (`companyLicense`, as its licence check gives it) and the
/// caller's company (`company`: id, name, country code), each in its own
/// `{data, status, message, validationMessages}` envelope. They are sent under `data`, as Keepnet's
/// spec has them, and again at the top of the body, where Keepnet's UI reads them. Any valid token;
/// always the caller's own company.
#[utoipa::path(
    get, path = "/api/system-info/summary", operation_id = "getSystemInfoSummary", tag = "SystemInfo",
    responses((status = 200, description = "Version, company and licence state, in the envelope and (as Keepnet's UI reads them) at the top", body = SystemInfoSummaryReply), crate::openapi::ApiErrors)
)]
pub async fn summary(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<SystemInfoSummaryReply>> {
    let company = &caller.company;
    let country_code = company
        .fields
        .country_id
        .as_deref()
        .and_then(|id| catalog::entry(LookupKind::Country, id))
        .and_then(|(.., code)| code.map(str::to_owned));
    let parts = SystemInfoSummary {
        version_info: DataResponse::success(version_info()),
        company_license: DataResponse::success(companies::license_state(&state, company).await?),
        company: DataResponse::success(SummaryCompany {
            resource_id: company.resource_id.clone(),
            name: company.fields.name.clone(),
            country_code,
        }),
    };
    Ok(Json(SystemInfoSummaryReply {
        version_info: parts.version_info.clone(),
        company_license: parts.company_license.clone(),
        company: parts.company.clone(),
        data: parts,
        status: "SUCCESS".to_owned(),
        message: None,
        validation_messages: None,
        is_success: true,
    }))
}

// `GET /api/system-users/settings`.
/// Get the caller's display settings
///
/// rollcall has API clients, not console users, so a caller's display settings are its company's:
/// `timeZoneId` with its display name, `dateFormat` and `timeFormat`, null where the company set
/// none. Any valid token.
#[utoipa::path(
    get, path = "/api/system-users/settings", operation_id = "getSystemUserSettings", tag = "SystemUser",
    responses((status = 200, description = "The caller's company's time zone and formats (null where unset)", body = Envelope<SystemUserSettingsDto>), crate::openapi::ApiErrors)
)]
pub async fn settings(caller: Caller) -> Json<Envelope<SystemUserSettingsDto>> {
    let f = &caller.company.fields;
    let zone = f.time_zone_id.clone().filter(|z| !z.is_empty());
    Json(Envelope::success(SystemUserSettingsDto {
        time_zone_name: zone.as_deref().and_then(lookups::time_zone_name),
        time_zone_id: zone,
        date_format: f.date_format.clone(),
        time_format: f.time_format.clone(),
    }))
}

/// The base URL a request reached, from its `Host` header (and `X-Forwarded-Proto` behind a
/// proxy); `None` without a usable host.
fn base_url(headers: &HeaderMap) -> Option<String> {
    let host = headers.get(axum::http::header::HOST)?.to_str().ok()?;
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .filter(|p| *p == "https" || *p == "http")
        .unwrap_or("http");
    Some(format!("{scheme}://{host}"))
}

// `GET /api/regions`: not in Keepnet's published spec; its New Company form asks for it.
/// List regions
///
/// The regions a new company can be placed in. There is one, this server: `resourceId` `default`,
/// `name` `This server`, `isCurrent` true, and `url` the scheme and host the request reached (null
/// without a `Host` header). Keepnet's New Company form calls it. Any valid token.
#[utoipa::path(
    get, path = "/api/regions", operation_id = "listRegions", tag = "Region",
    responses((status = 200, description = "This server, the only region", body = Envelope<Vec<RegionDto>>), crate::openapi::ApiErrors)
)]
pub async fn regions(_caller: Caller, headers: HeaderMap) -> Json<Envelope<Vec<RegionDto>>> {
    Json(Envelope::success(vec![RegionDto {
        resource_id: "default".to_owned(),
        name: "This server".to_owned(),
        url: base_url(&headers),
        is_current: true,
    }]))
}
