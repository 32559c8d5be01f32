//! The lookup catalogues: `GET /api/lookups[/{typeId}]` and `POST /api/lookups` (Keepnet's
//! numeric lookup types, REFERENCE.md I), `GET /api/lookups/licenses`,
//! `GET /api/lookups/country-timezones` and `GET /api/timezone/timezones`.

use std::collections::BTreeMap;

use axum::extract::Path;
use axum::Json;
use rollcall_store::catalog::{ENTRIES, UNHELD_TYPES};
use rollcall_store::{time_zones, LookupKind};
use rollcall_types::catalog::{
    CountryTimeZoneDto, LicenseDto, LicensesDto, LookupRequest, TimeZoneDto, TimeZonesDto,
};
use rollcall_types::company::LookupDto;
use rollcall_types::Envelope;

use crate::auth::caller::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::KJson;

/// Date formats a company may display, as Keepnet's UI offers them per country
/// (`dd/MM/yyyy`, `MM/dd/yyyy`, `yyyy/dd/MM`), plus ISO's order.
pub const DATE_FORMATS: &[&str] = &["dd/MM/yyyy", "MM/dd/yyyy", "yyyy/MM/dd", "yyyy/dd/MM"];
/// Time formats a company may display: 24-hour and 12-hour clocks.
pub const TIME_FORMATS: &[&str] = &["HH:mm", "hh:mm tt"];

/// The entries of one catalogue in Keepnet's `LookupDto` shape.
pub fn entries(kind: LookupKind) -> Vec<LookupDto> {
    ENTRIES
        .iter()
        .filter(|(k, _, _, _)| *k == kind)
        .enumerate()
        .map(|(i, (_, id, name, code))| LookupDto {
            resource_id: (*id).to_owned(),
            name: (*name).to_owned(),
            code: code.map(str::to_owned),
            generic_code_type_id: kind.type_id(),
            generic_code_type_name: Some(kind.type_name().to_owned()),
            description: None,
            order_number: i32::try_from(i).unwrap_or(i32::MAX),
            iso_code: code.map(str::to_owned),
            iso_friendly_name: code.map(|_| (*name).to_owned()),
        })
        .collect()
}

/// What a type id or name names: a catalogue rollcall keeps, or a Keepnet type it keeps no
/// entries of.
enum LookupType {
    Kept(LookupKind),
    Unheld,
}

fn lookup_type(key: &str) -> Option<LookupType> {
    let key = key.trim();
    if let Ok(id) = key.parse::<i32>() {
        return LookupKind::from_type_id(id)
            .map(LookupType::Kept)
            .or_else(|| {
                UNHELD_TYPES
                    .iter()
                    .any(|(t, _)| *t == id)
                    .then_some(LookupType::Unheld)
            });
    }
    LookupKind::parse(key).map(LookupType::Kept).or_else(|| {
        UNHELD_TYPES
            .iter()
            .any(|(_, n)| n.eq_ignore_ascii_case(key))
            .then_some(LookupType::Unheld)
    })
}

/// The type ids and names a 404 or a warning lists.
fn valid_types() -> String {
    let mut types: Vec<(i32, String)> = LookupKind::ALL
        .iter()
        .map(|k| (k.type_id(), k.as_str().to_owned()))
        .chain(UNHELD_TYPES.iter().map(|(id, n)| (*id, (*n).to_owned())))
        .collect();
    types.sort();
    types
        .iter()
        .map(|(id, n)| format!("{id} ({n})"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn type_entries(t: &LookupType) -> Vec<LookupDto> {
    match t {
        LookupType::Kept(k) => entries(*k),
        LookupType::Unheld => Vec::new(),
    }
}

// Not Keepnet's: its clients `POST` instead.
/// List every lookup catalogue
///
/// Every catalogue at once, keyed by name: `industry`, `country`, `license_type`,
/// `license_period_type` and `language`. Keepnet has no such call; its clients use
/// `POST /api/lookups`. Any valid token.
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

// Keepnet's agent sends `{typeidlist: [9, 2]}`, its UI `{typeidlist: [1, 2, 4, 5, 6, 7]}`
// (rulings in docs/api.md, "Lookups and time zones").
/// List lookups by type
///
/// The entries of several catalogues in one list, by Keepnet's numeric type ids (`typeIdList`, in
/// any casing: Keepnet's agent sends `typeidlist`) and/or a type name (`typeName`); each row names
/// its `genericCodeTypeId`, by which Keepnet's clients sort them. The types are 1 country, 2
/// industry, 3 licence type, 4 licence period and 21 language; 5, 6 and 7 are features rollcall
/// lacks and have no entries. A type rollcall does not know adds no rows and is named in `message`,
/// so the other types still arrive; sending neither key is 400. Any valid token.
#[utoipa::path(
    post, path = "/api/lookups", operation_id = "listLookupsByType", tag = "Lookup",
    request_body = LookupRequest,
    responses((status = 200, description = "The entries of every listed type", body = Envelope<Vec<LookupDto>>), crate::openapi::ApiErrors)
)]
pub async fn by_types(
    _caller: Caller,
    KJson(req): KJson<LookupRequest>,
) -> ApiResult<Json<Envelope<Vec<LookupDto>>>> {
    let mut keys: Vec<String> = req
        .type_id_list
        .unwrap_or_default()
        .iter()
        .map(i32::to_string)
        .collect();
    keys.extend(req.type_name.filter(|n| !n.trim().is_empty()));
    if keys.is_empty() {
        return Err(ApiError::bad_request(format!(
            "send typeIdList (for example {{\"typeIdList\": [1, 2]}}) or typeName; the types are {}",
            valid_types()
        )));
    }
    let mut rows = Vec::new();
    let mut unknown = Vec::new();
    for key in &keys {
        match lookup_type(key) {
            Some(t) => rows.extend(type_entries(&t)),
            None => unknown.push(key.as_str()),
        }
    }
    let mut reply = Envelope::success(rows);
    if !unknown.is_empty() {
        reply.message = Some(format!(
            "no lookup type {}; the types are {}",
            unknown.join(", "),
            valid_types()
        ));
    }
    Ok(Json(reply))
}

// Keepnet's agent calls `/api/lookups/21`.
/// Get one lookup catalogue
///
/// One catalogue, by Keepnet's numeric type id (`21`, the languages) or by name (`industry`,
/// `country`, `license-type`...). Types 5, 6 and 7 answer an empty list; any other type is 404
/// listing the valid ones. Any valid token.
#[utoipa::path(
    get, path = "/api/lookups/{typeId}", operation_id = "getLookup", tag = "Lookup",
    params(("typeId" = String, Path, description = "Keepnet's numeric type (1 country, 2 industry, 3 licence type, 4 licence period, 5-7 kept empty, 21 language) or a name: `industry`, `country`, `license_type`, `license_period_type`, `language` (any case; `-` or `_` optional)")),
    responses((status = 200, description = "One lookup catalogue", body = Envelope<Vec<LookupDto>>), crate::openapi::ApiErrors)
)]
pub async fn one(
    _caller: Caller,
    Path(type_id): Path<String>,
) -> ApiResult<Json<Envelope<Vec<LookupDto>>>> {
    let t = lookup_type(&type_id).ok_or_else(|| {
        let names: Vec<&str> = LookupKind::ALL.iter().map(|k| k.as_str()).collect();
        ApiError::not_found(format!(
            "no lookup type '{type_id}'; use a type id: {} (or a name: {})",
            valid_types(),
            names.join(", ")
        ))
    })?;
    Ok(Json(Envelope::success(type_entries(&t))))
}

// CONTRACT.md: features rollcall lacks answer their empty values.
/// List licence types
///
/// The licence types with their modules. rollcall sells no modules, so every `licenseModules` list
/// and `allLicenseModules` are empty. Any valid token.
#[utoipa::path(
    get, path = "/api/lookups/licenses", operation_id = "getLicenses", tag = "Lookup",
    responses((status = 200, description = "Licence types and their (empty) module lists", body = Envelope<LicensesDto>), crate::openapi::ApiErrors)
)]
pub async fn licenses(_caller: Caller) -> Json<Envelope<LicensesDto>> {
    Json(Envelope::success(LicensesDto {
        licenses: entries(LookupKind::LicenseType)
            .into_iter()
            .map(|l| LicenseDto {
                resource_id: l.resource_id,
                name: l.name,
                license_modules: Vec::new(),
            })
            .collect(),
        all_license_modules: Vec::new(),
    }))
}

/// List countries with their time zone
///
/// Each catalogue country with the Windows time zone CLDR gives it; a country that spans several
/// zones (United States, Brazil...) has `timezone` null. rollcall keeps no per-country date
/// formats, phone codes or languages, so those fields are null. Any valid token.
#[utoipa::path(
    get, path = "/api/lookups/country-timezones", operation_id = "getCountryTimeZones", tag = "Lookup",
    responses((status = 200, description = "The countries with their time zone", body = Envelope<Vec<CountryTimeZoneDto>>), crate::openapi::ApiErrors)
)]
pub async fn country_timezones(_caller: Caller) -> Json<Envelope<Vec<CountryTimeZoneDto>>> {
    Json(Envelope::success(
        ENTRIES
            .iter()
            .filter(|(k, ..)| *k == LookupKind::Country)
            .map(|(.., code)| CountryTimeZoneDto {
                country_code: code.map(str::to_owned),
                date_format: None,
                time_format: None,
                clock_format: None,
                phone_number_code: None,
                language_code: None,
                language_name: None,
                timezone: code
                    .and_then(time_zones::territory_zone)
                    .map(|z| z.id.to_owned()),
                language_resource_id: None,
            })
            .collect(),
    ))
}

/// List time zones and display formats
///
/// Windows' time zones, as Keepnet lists them for company and target-user settings (the ids a
/// `timeZoneId` takes, such as `Turkey Standard Time`, with Windows' display names), and the date
/// and time formats a company may choose. Any valid token.
#[utoipa::path(
    get, path = "/api/timezone/timezones", operation_id = "getTimeZones", tag = "TimeZone",
    responses((status = 200, description = "Time zones (Windows ids) and display formats", body = Envelope<TimeZonesDto>), crate::openapi::ApiErrors)
)]
pub async fn timezones(_caller: Caller) -> Json<Envelope<TimeZonesDto>> {
    Json(Envelope::success(TimeZonesDto {
        time_zone_list: time_zones::windows_zones()
            .map(|z| TimeZoneDto {
                display_name: z.display_name.to_owned(),
                id: z.id.to_owned(),
            })
            .collect(),
        date_format_list: DATE_FORMATS.iter().map(|s| (*s).to_owned()).collect(),
        time_format_list: TIME_FORMATS.iter().map(|s| (*s).to_owned()).collect(),
    }))
}

/// The display name of a stored time-zone id: Windows' name for a Windows id, the IANA name
/// itself otherwise; `None` for an empty or unknown id.
pub fn time_zone_name(id: &str) -> Option<String> {
    time_zones::windows_zone(id)
        .map(|z| z.display_name.to_owned())
        .or_else(|| time_zones::resolve(id).map(|(_, tz)| tz.name().to_owned()))
}
