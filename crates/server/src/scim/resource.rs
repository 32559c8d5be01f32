//! The handlers that `/Users` and `/Groups` share (RFC 7644 §3.4): listing, searching and
//! reading one resource, and the `201 Created` reply, written once over [`Resource`].

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::Value;

use super::{body_json, location, scim_json, ListParams, Projection, ScimCaller, ScimResult, St};
use crate::state::AppState;

/// A SCIM resource type as the shared handlers see it.
pub(super) trait Resource {
    /// The endpoint's name (`Users`), as in `meta.location`.
    const ENDPOINT: &'static str;

    /// A list's page for its query (from the URL or a `.search` body).
    async fn page(
        state: &AppState,
        headers: &HeaderMap,
        caller: &ScimCaller,
        params: ListParams,
    ) -> ScimResult<Response>;

    /// One resource of the caller's company, rendered with `projection`; 404 when there is none.
    async fn one(
        state: &AppState,
        headers: &HeaderMap,
        caller: &ScimCaller,
        id: &str,
        projection: &Projection,
    ) -> ScimResult<Value>;
}

/// `GET /Users`, `GET /Groups`: a page, filtered (RFC 7644 §3.4.2).
pub(super) async fn list<R: Resource>(
    State(state): St,
    headers: HeaderMap,
    caller: ScimCaller,
    RawQuery(query): RawQuery,
) -> ScimResult<Response> {
    let params = ListParams::from_query(query.as_deref())?;
    R::page(&state, &headers, &caller, params).await
}

/// `POST /Users/.search`, `POST /Groups/.search` (RFC 7644 §3.4.3): a list whose query is in
/// the body.
pub(super) async fn search<R: Resource>(
    State(state): St,
    headers: HeaderMap,
    caller: ScimCaller,
    body: Bytes,
) -> ScimResult<Response> {
    let params = ListParams::from_search(&body_json(&body)?)?;
    R::page(&state, &headers, &caller, params).await
}

/// `GET /Users/{id}`, `GET /Groups/{id}`.
pub(super) async fn get<R: Resource>(
    State(state): St,
    headers: HeaderMap,
    caller: ScimCaller,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> ScimResult<Response> {
    let params = ListParams::from_query(query.as_deref())?;
    let found = R::one(&state, &headers, &caller, &id, &params.projection()).await?;
    Ok(scim_json(StatusCode::OK, &found))
}

/// The reply to a create: 201 with the resource and its `Location`.
pub(super) fn created<R: Resource>(
    state: &AppState,
    headers: &HeaderMap,
    id: &str,
    body: &Value,
) -> Response {
    let mut resp = scim_json(StatusCode::CREATED, body);
    if let Ok(v) = HeaderValue::from_str(&location(state, headers, R::ENDPOINT, id)) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}
