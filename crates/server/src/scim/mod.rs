//! The SCIM 2.0 service (RFC 7643, RFC 7644; issue #16, docs/scim.md) that identity providers
//! (Entra ID, Okta, ...) call to provision a company's target users and groups. Served at
//! `/scim/v2` and `/scim` on the API's listener, outside the OpenAPI document (SCIM describes
//! itself: `/ServiceProviderConfig`, `/ResourceTypes`, `/Schemas`).
//!
//! A request authenticates with the bearer token of one integration (`/api/scim`), which names
//! the company: everything it reads or writes stays inside that company.

pub mod attributes;
mod discovery;
mod filter;
mod groups;
mod patch;
mod resource;
mod users;

use axum::body::Bytes;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use rollcall_store::{Actor, Company, ScimSetting, StoreError};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::error::ErrorCause;
use crate::state::AppState;

/// `application/scim+json` (RFC 7644 §3.1).
pub const CONTENT_TYPE: &str = "application/scim+json";
/// The error message schema (RFC 7644 §3.12).
const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
/// The list response schema (RFC 7644 §3.4.2).
const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// Most resources one list page returns (`ServiceProviderConfig.filter.maxResults`).
pub const MAX_RESULTS: i64 = 1000;
/// Where the service is mounted, for `meta.location` and the base URL an integration gets.
pub const BASE_PATH: &str = "/scim/v2";

/// A SCIM error reply (RFC 7644 §3.12).
#[derive(Debug)]
pub struct ScimError {
    status: StatusCode,
    scim_type: Option<&'static str>,
    detail: String,
    /// What went wrong inside the server (500s): logged, never sent.
    cause: Option<String>,
}

impl ScimError {
    pub fn new(
        status: StatusCode,
        scim_type: Option<&'static str>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            status,
            scim_type,
            detail: detail.into(),
            cause: None,
        }
    }
    /// 400 with a `scimType` (`invalidValue`, `invalidFilter`, `invalidSyntax`, ...).
    pub fn bad(scim_type: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Some(scim_type), detail)
    }
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, None, detail)
    }
    pub fn uniqueness(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, Some("uniqueness"), detail)
    }
    fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, None, detail)
    }
}

impl From<StoreError> for ScimError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(msg) => ScimError::uniqueness(msg),
            StoreError::NotFound => ScimError::not_found(
                "the resource was deleted while this request ran; look it up again",
            ),
            other => {
                let api = crate::error::ApiError::internal(&other);
                ScimError {
                    cause: Some(other.to_string()),
                    ..ScimError::new(StatusCode::INTERNAL_SERVER_ERROR, None, api.message)
                }
            }
        }
    }
}

impl From<crate::error::ApiError> for ScimError {
    fn from(e: crate::error::ApiError) -> Self {
        let status = StatusCode::from_u16(e.status.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let scim_type = (status == StatusCode::BAD_REQUEST).then_some("invalidValue");
        let detail = match e.validation {
            Some(list) if !list.is_empty() => list.join("; "),
            _ => e.message,
        };
        ScimError {
            cause: e.cause,
            ..ScimError::new(status, scim_type, detail)
        }
    }
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let (Some(t), Some(o)) = (self.scim_type, body.as_object_mut()) {
            o.insert("scimType".into(), t.into());
        }
        let mut resp = scim_json(self.status, &body);
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"rollcall SCIM\""),
            );
        }
        if let Some(cause) = self.cause {
            resp.extensions_mut().insert(ErrorCause(cause));
        }
        resp
    }
}

pub type ScimResult<T> = Result<T, ScimError>;

/// A SCIM JSON reply.
pub fn scim_json(status: StatusCode, body: &Value) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE))],
        bytes,
    )
        .into_response()
}

/// A list response (RFC 7644 §3.4.2).
pub fn list_response(total: i64, start_index: i64, resources: Vec<Value>) -> Response {
    let body = json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    });
    scim_json(StatusCode::OK, &body)
}

/// A JSON body (`application/scim+json` or `application/json`) with its attribute names in
/// RFC 7643's spelling (names are case-insensitive, §2.1).
pub fn body_json(body: &Bytes) -> ScimResult<Value> {
    let mut value: Value = serde_json::from_slice(body).map_err(|e| {
        ScimError::bad(
            "invalidSyntax",
            format!(
                "the body is not valid JSON ({e}); send a SCIM resource as application/scim+json"
            ),
        )
    })?;
    if !value.is_object() {
        return Err(ScimError::bad(
            "invalidSyntax",
            "the body must be a JSON object (a SCIM resource or a PatchOp message)",
        ));
    }
    scim_v2::case_insensitive::canonicalize_keys(&mut value)
        .map_err(|e| ScimError::bad("invalidSyntax", e.to_string()))?;
    Ok(value)
}

/// The hex SHA-256 under which a bearer token is stored: tokens are random and long, so a
/// fast hash is enough, and it lets every request find its integration by an index.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A new bearer token: 40 random letters and digits after a `scim_` prefix (which secret
/// scanners can match).
pub fn new_token() -> String {
    use rand::distributions::{Alphanumeric, DistString};
    format!(
        "scim_{}",
        Alphanumeric.sample_string(&mut rand::thread_rng(), 40)
    )
}

/// The integration a request's bearer token names, and its company.
pub struct ScimCaller {
    pub setting: ScimSetting,
    pub company: Company,
}

impl ScimCaller {
    /// The audit trail's actor: the integration, from the request's address.
    pub fn actor(&self) -> Actor {
        let origin = crate::audit::origin();
        Actor {
            client_id: format!("SCIM: {}", self.setting.fields.name),
            client_resource_id: Some(self.setting.resource_id.clone()),
            ip: origin.ip.map(|ip| ip.to_string()),
            user_agent: origin.user_agent,
            company_path: Some(self.company.path.clone()),
        }
    }
}

impl FromRequestParts<AppState> for ScimCaller {
    type Rejection = ScimError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ScimResult<Self> {
        let token = bearer(&parts.headers).ok_or_else(|| {
            ScimError::unauthorized(
                "send the integration's token as 'Authorization: Bearer TOKEN' (POST /api/scim issues one; POST /api/scim/{resourceId}/revoke replaces it)",
            )
        })?;
        let refused = || {
            ScimError::unauthorized(
                "this token is not a SCIM integration's current token: it was revoked, its integration was deleted, or it was mistyped; ask the company's Company Admin or its Reseller for the current one (POST /api/scim/{resourceId}/revoke issues a new one)",
            )
        };
        let (setting, company) = state
            .store
            .scim_setting_by_token(&token_hash(token))
            .await?
            .ok_or_else(refused)?;
        // A token a reseller issued is the reseller's access to its customer's data: the
        // customer's account privacy applies to it as to the reseller's own calls
        // (scope::check_privacy). One the customer's Company Admin issued is the customer's.
        let now = crate::time::now_millis();
        if setting.issued_by_reseller
            && !(company.privacy.grants_access(now) || company.licence_expired(now))
        {
            return Err(ScimError::new(
                StatusCode::FORBIDDEN,
                None,
                format!(
                    "company '{}' keeps its reseller out of its data (account privacy), and this token was issued by its reseller; a Company Admin client of the company can issue its own token with POST /api/scim/{}/revoke, or grant access with PUT /api/companies/privacy",
                    company.fields.name, setting.resource_id
                ),
            ));
        }
        if let Some(off) = state.store.inactive_in_chain(&company).await? {
            return Err(ScimError::new(
                StatusCode::FORBIDDEN,
                None,
                format!(
                    "company '{}' is inactive, so its directory cannot be changed; its Reseller can activate it again",
                    off.fields.name
                ),
            ));
        }
        Ok(ScimCaller { setting, company })
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The `meta.location` of a resource.
pub fn location(state: &AppState, headers: &HeaderMap, kind: &str, id: &str) -> String {
    format!("{}/{kind}/{id}", base_url(state, headers))
}

/// The service's base URL: `--public-url` plus [`BASE_PATH`], else `http://` and the request's
/// `Host`.
pub fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    match &state.config.public_url {
        Some(url) => format!("{url}{BASE_PATH}"),
        None => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .filter(|h| !h.is_empty())
                .unwrap_or("localhost");
            format!("http://{host}{BASE_PATH}")
        }
    }
}

/// RFC 3339 text of UTC milliseconds.
pub fn time_text(ms: i64) -> String {
    crate::time::millis_to_time(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

async fn not_found_route() -> ScimError {
    ScimError::not_found(
        "no such SCIM endpoint; the service has /Users, /Groups, /ServiceProviderConfig, /ResourceTypes and /Schemas",
    )
}

/// `POST /.search` at the root searches every resource type at once (RFC 7644 §3.4.3), which
/// this service does not do: each type has its own `/.search`.
async fn root_search() -> ScimError {
    ScimError::new(
        StatusCode::NOT_IMPLEMENTED,
        None,
        "searching all resource types at once is not supported; POST /Users/.search or /Groups/.search",
    )
}

async fn method_not_allowed() -> ScimError {
    ScimError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        None,
        "this SCIM endpoint does not take that method; see /ServiceProviderConfig for what is supported (no bulk, no /Me)",
    )
}

/// The service's routes, to be nested at `/scim/v2` and `/scim`.
fn service() -> Router<AppState> {
    Router::new()
        .route(
            "/ServiceProviderConfig",
            get(discovery::service_provider_config),
        )
        .route("/.search", post(root_search))
        .route("/ResourceTypes", get(discovery::resource_types))
        .route("/ResourceTypes/{name}", get(discovery::resource_type))
        .route("/Schemas", get(discovery::schemas))
        .route("/Schemas/{id}", get(discovery::schema))
        .route(
            "/Users",
            get(resource::list::<users::Users>).post(users::create),
        )
        .route("/Users/.search", post(resource::search::<users::Users>))
        .route(
            "/Users/{id}",
            get(resource::get::<users::Users>)
                .put(users::replace)
                .patch(users::patch)
                .delete(users::delete),
        )
        .route(
            "/Groups",
            get(resource::list::<groups::Groups>).post(groups::create),
        )
        .route("/Groups/.search", post(resource::search::<groups::Groups>))
        .route(
            "/Groups/{id}",
            get(resource::get::<groups::Groups>)
                .put(groups::replace)
                .patch(groups::patch)
                .delete(groups::delete),
        )
        .fallback(not_found_route)
        .method_not_allowed_fallback(method_not_allowed)
}

/// `/scim/v2/...` and `/scim/...`, the same service: Keepnet's tenant URL ends in `/scim`
/// (REFERENCE.md section I), RFC 7644's examples in `/v2`.
pub fn router() -> Router<AppState> {
    Router::new()
        .nest(BASE_PATH, service())
        .nest("/scim", service())
}

/// The literal paths of the service, for the router's case-insensitive path matching
/// ([`crate::paths::Canonical`]): `/users` reaches `/Users`.
pub fn templates() -> Vec<String> {
    let mut out = Vec::new();
    for base in [BASE_PATH, "/scim"] {
        for p in [
            "/ServiceProviderConfig",
            "/.search",
            "/ResourceTypes",
            "/ResourceTypes/{name}",
            "/Schemas",
            "/Schemas/{id}",
            "/Users",
            "/Users/.search",
            "/Users/{id}",
            "/Groups",
            "/Groups/.search",
            "/Groups/{id}",
        ] {
            out.push(format!("{base}{p}"));
        }
    }
    out
}

/// Query parameters of a list (RFC 7644 §3.4.2).
#[derive(Debug, Default)]
pub struct ListParams {
    pub filter: Option<String>,
    pub start_index: Option<String>,
    pub count: Option<String>,
    pub attributes: Option<String>,
    pub excluded_attributes: Option<String>,
}

impl ListParams {
    /// Parameter names are case-insensitive (Entra ID sends `startIndex`, others `startindex`).
    pub fn from_query(query: Option<&str>) -> ScimResult<Self> {
        let mut p = ListParams::default();
        for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            let v = Some(v.into_owned());
            match k.to_ascii_lowercase().as_str() {
                "filter" => p.filter = v,
                "startindex" => p.start_index = v,
                "count" => p.count = v,
                "attributes" => p.attributes = v,
                "excludedattributes" => p.excluded_attributes = v,
                _ => {}
            }
        }
        Ok(p)
    }

    /// The query of a `POST .search` body (RFC 7644 §3.4.3): `attributes` and
    /// `excludedAttributes` are lists there.
    pub fn from_search(body: &Value) -> ScimResult<Self> {
        let get = |name: &str| {
            body.as_object().and_then(|o| {
                o.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v)
            })
        };
        let text = |name: &str| -> Option<String> {
            match get(name)? {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                Value::Array(items) => Some(
                    items
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(","),
                ),
                _ => None,
            }
        };
        Ok(ListParams {
            filter: text("filter"),
            start_index: text("startIndex"),
            count: text("count"),
            attributes: text("attributes"),
            excluded_attributes: text("excludedAttributes"),
        })
    }

    /// `startIndex` (1-based; below 1 reads as 1) and `count` (0 to [`MAX_RESULTS`]; absent:
    /// 100), as RFC 7644 §3.4.2.4 says.
    pub fn window(&self) -> ScimResult<(i64, i64)> {
        let int = |name: &str, v: &Option<String>, default: i64| -> ScimResult<i64> {
            match v.as_deref().map(str::trim) {
                None | Some("") => Ok(default),
                Some(s) => s.parse::<i64>().map_err(|_| {
                    ScimError::bad(
                        "invalidValue",
                        format!("{name} must be a whole number, not '{s}'"),
                    )
                }),
            }
        };
        let start = int("startIndex", &self.start_index, 1)?.max(1);
        let count = int("count", &self.count, 100)?.clamp(0, MAX_RESULTS);
        Ok((start, count))
    }

    pub fn projection(&self) -> Projection {
        Projection::new(
            self.attributes.as_deref(),
            self.excluded_attributes.as_deref(),
        )
    }
}

/// `attributes` / `excludedAttributes` (RFC 7644 §3.9), applied to a rendered resource.
#[derive(Debug, Clone, Default)]
pub struct Projection {
    only: Vec<String>,
    excluded: Vec<String>,
}

impl Projection {
    pub fn new(attributes: Option<&str>, excluded: Option<&str>) -> Self {
        let names = |s: Option<&str>| -> Vec<String> {
            s.unwrap_or("")
                .split(',')
                .map(|n| n.trim().to_ascii_lowercase())
                .filter(|n| !n.is_empty())
                .collect()
        };
        Projection {
            only: names(attributes),
            excluded: names(excluded),
        }
    }

    /// Whether the rendered resource needs `attr` (lowercase top-level name): lets a handler
    /// skip reading a group's members when they are excluded.
    pub fn wants(&self, attr: &str) -> bool {
        if self.excluded.iter().any(|e| e == attr) {
            return false;
        }
        self.only.is_empty()
            || self
                .only
                .iter()
                .any(|o| o == attr || o.starts_with(&format!("{attr}.")))
    }

    /// Applies the selection; `id` and `schemas` are always returned (RFC 7643 §7 "always").
    pub fn apply(&self, mut resource: Value) -> Value {
        let Some(obj) = resource.as_object_mut() else {
            return resource;
        };
        let split = |name: &str| -> (String, Option<String>) {
            // `urn:...:User:department` names an extension's attribute.
            if let Some((urn, attr)) = name.rsplit_once(':') {
                if urn.starts_with("urn:") && !attr.is_empty() {
                    return (urn.to_owned(), Some(attr.to_owned()));
                }
            }
            match name.split_once('.') {
                Some((a, sub)) => (a.to_owned(), Some(sub.to_owned())),
                None => (name.to_owned(), None),
            }
        };
        let keep = |key: &str| key == "id" || key == "schemas";
        if !self.only.is_empty() {
            let wanted: Vec<(String, Option<String>)> =
                self.only.iter().map(|n| split(n)).collect();
            obj.retain(|k, v| {
                let lower = k.to_ascii_lowercase();
                if keep(&lower) {
                    return true;
                }
                let subs: Vec<&Option<String>> = wanted
                    .iter()
                    .filter(|(a, _)| *a == lower)
                    .map(|(_, s)| s)
                    .collect();
                if subs.is_empty() {
                    return false;
                }
                if subs.iter().any(|s| s.is_none()) {
                    return true;
                }
                if let Some(inner) = v.as_object_mut() {
                    inner.retain(|ik, _| {
                        subs.iter()
                            .any(|s| s.as_deref() == Some(ik.to_ascii_lowercase().as_str()))
                    });
                }
                true
            });
        }
        for name in &self.excluded {
            let (a, sub) = split(name);
            if keep(&a) {
                continue;
            }
            let key = obj.keys().find(|k| k.to_ascii_lowercase() == a).cloned();
            let Some(key) = key else { continue };
            match sub {
                None => {
                    obj.remove(&key);
                }
                Some(sub) => {
                    if let Some(inner) = obj.get_mut(&key).and_then(Value::as_object_mut) {
                        inner.retain(|ik, _| ik.to_ascii_lowercase() != sub);
                    }
                }
            }
        }
        resource
    }
}

/// The `State` extractor under a shorter name for the handlers.
pub type St = State<AppState>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projection_keeps_what_is_asked_and_always_the_id() {
        let user = json!({
            "schemas": ["s"], "id": "1", "userName": "a@b.c",
            "name": {"givenName": "A", "familyName": "B"},
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "D", "manager": {}},
            "meta": {}
        });
        let only = Projection::new(Some("userName,name.givenName"), None).apply(user.clone());
        assert_eq!(
            only,
            json!({"schemas": ["s"], "id": "1", "userName": "a@b.c", "name": {"givenName": "A"}})
        );
        let ext = Projection::new(
            Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"),
            None,
        )
        .apply(user.clone());
        assert_eq!(
            ext["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
            json!({"department": "D"})
        );
        let without = Projection::new(None, Some("name,meta,id")).apply(user);
        assert!(without.get("name").is_none() && without.get("meta").is_none());
        assert_eq!(without["id"], "1");
    }

    #[test]
    fn window_follows_rfc_7644() {
        let p = |q: &str| {
            ListParams::from_query(Some(q))
                .and_then(|p| p.window())
                .ok()
        };
        assert_eq!(p("startIndex=0&count=-4"), Some((1, 0)));
        assert_eq!(p("STARTINDEX=3&Count=5000"), Some((3, MAX_RESULTS)));
        assert_eq!(p(""), Some((1, 100)));
        assert_eq!(p("count=x"), None);
    }

    #[test]
    fn bearer_needs_the_scheme() {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer abc"),
        );
        assert_eq!(bearer(&h), Some("abc"));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer(&h), None);
    }
}
