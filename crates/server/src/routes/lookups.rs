//! `GET /api/lookups[/{kind}]`: the seeded catalogues whose ids companies reference.

use std::collections::BTreeMap;

use axum::extract::Path;
use axum::Json;
use rollcall_store::catalog::ENTRIES;
use rollcall_store::LookupKind;
use rollcall_types::company::LookupDto;
use rollcall_types::Envelope;

use crate::auth::caller::Caller;
use crate::error::{ApiError, ApiResult};

fn entries(kind: LookupKind) -> Vec<LookupDto> {
    ENTRIES
        .iter()
        .filter(|(k, _, _, _)| *k == kind)
        .map(|(_, id, name, code)| LookupDto {
            resource_id: (*id).to_owned(),
            name: (*name).to_owned(),
            code: code.map(str::to_owned),
        })
        .collect()
}

/// Every catalogue, keyed by kind (`industry`, `country`, `license_type`, `license_period_type`).
#[utoipa::path(
    get, path = "/api/lookups", operation_id = "listLookups", tag = "Lookup",
    responses((status = 200, description = "Every lookup catalogue by name", body = Envelope<std::collections::BTreeMap<String, Vec<LookupDto>>>), crate::openapi::ApiErrors)
)]
pub async fn all(_caller: Caller) -> Json<Envelope<BTreeMap<&'static str, Vec<LookupDto>>>> {
    Json(Envelope::success(
        LookupKind::ALL
            .into_iter()
            .map(|k| (k.as_str(), entries(k)))
            .collect(),
    ))
}

/// One catalogue.
#[utoipa::path(
    get, path = "/api/lookups/{kind}", operation_id = "getLookup", tag = "Lookup",
    params(("kind" = String, Path, description = "`industry`, `country`, `license_type` or `license_period_type` (any case; `-` or `_` optional)")),
    responses((status = 200, description = "One lookup catalogue", body = Envelope<Vec<LookupDto>>), crate::openapi::ApiErrors)
)]
pub async fn one(
    _caller: Caller,
    Path(kind): Path<String>,
) -> ApiResult<Json<Envelope<Vec<LookupDto>>>> {
    let k = LookupKind::parse(&kind).ok_or_else(|| {
        let names: Vec<&str> = LookupKind::ALL.iter().map(|k| k.as_str()).collect();
        ApiError::not_found(format!(
            "no lookup catalogue '{kind}'; use one of: {}",
            names.join(", ")
        ))
    })?;
    Ok(Json(Envelope::success(entries(k))))
}
