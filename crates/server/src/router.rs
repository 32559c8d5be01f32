//! The route table: every route with its handler, the layers around them, and the OpenAPI
//! document gathered from the handlers' annotations (its own parts are in [`crate::openapi`]).

use axum::http::{Method, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use std::sync::Arc;
use tower::ServiceExt;
use utoipa::openapi::OpenApi as Document;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::routes::{
    allow_list, audit_logs, clients, companies, company_ops, custom_fields as fields, frame,
    imports, leaderboard, lookups, operations, roles, scim_settings, target_groups as groups,
    target_users as users,
};
use crate::state::AppState;
use crate::{headers, middleware, openapi, paths, text};

/// The router. Every `/api` handler authenticates through the [`crate::auth::caller::Caller`] extractor.
///
/// The layer stack, innermost first (a layer reaches only the routes present when it is
/// added, and `method_not_allowed_fallback` only routes not layered yet, hence the order):
/// 1. API routes (every `/api/*` including exports, `/connect/token`, health, `/metrics`) and
///    the fallback: [`text::refuse_in_uri`] (control characters in the path or query), then
///    [`middleware::body_min_rate`] when set, then `Cache-Control: no-store`
///    ([`headers::no_store`]);
/// 2. the Swagger UI and its document: their own CSP ([`headers::DOCS_CSP`]), cacheable;
/// 3. every reply: [`headers::browser`] (nosniff, no referrer, no framing);
/// 4. [`middleware::observe`], so the log and metrics see the final status (a 408 of a slow
///    body included);
/// 5. before routing, [`paths::Canonical`] spells literal path segments as the routes do
///    (routes match them case-insensitively, as ASP.NET's do).
pub fn app(state: AppState) -> Router {
    let (api, doc) = routes();
    let scim = crate::scim::templates();
    let canonical = Arc::new(paths::Canonical::new(
        doc.paths
            .paths
            .keys()
            .map(String::as_str)
            .chain(scim.iter().map(String::as_str))
            .chain(["/metrics"]),
    ));
    let api = if state.config.metrics_listen.is_none() {
        api.route("/metrics", get(operations::metrics))
    } else {
        api
    };
    // A browser pointed at the server lands on its API documentation.
    let api = api.route("/", get(|| async { axum::response::Redirect::to("/docs") }));
    let mut api = api
        .fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(text::refuse_in_uri));
    if let Some(rate) = state.config.request_body_min_rate() {
        api = api.layer(axum::middleware::from_fn_with_state(
            rate,
            middleware::body_min_rate,
        ));
    }
    let api = headers::no_store(api);
    let docs: Router<AppState> = openapi::swagger_ui(doc).into();
    let docs = headers::docs(docs.method_not_allowed_fallback(method_not_allowed));
    let app = headers::browser(api.merge(docs))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::observe,
        ))
        .with_state(state);
    // A layer on a router runs after its routing, so the rewrite wraps the whole router.
    Router::new().fallback_service(app.map_request(move |r| canonical.apply(r)))
}

/// Every route of the service with its document entry. Routes that are not part of the
/// document (`/metrics`, the Swagger UI) are added by [`app`].
pub fn routes() -> (Router<AppState>, Document) {
    let (router, doc) = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(crate::auth::token::token))
        .routes(routes!(companies::create))
        .routes(routes!(companies::search))
        .routes(routes!(companies::export))
        .routes(routes!(companies::my))
        .routes(routes!(
            companies::get,
            companies::update,
            companies::delete
        ))
        .routes(routes!(companies::license_check))
        // Literal segments beside `/{resourceId}`: the router prefers them to the parameter.
        .routes(routes!(company_ops::get_privacy, company_ops::set_privacy))
        .routes(routes!(
            company_ops::get_privacy_mask,
            company_ops::set_privacy_mask
        ))
        .routes(routes!(company_ops::bulk_delete))
        .routes(routes!(company_ops::update_limited))
        .routes(routes!(company_ops::license_expiry_date))
        .routes(routes!(clients::create))
        .routes(routes!(clients::search))
        .routes(routes!(clients::export))
        .routes(routes!(clients::generate))
        .routes(routes!(clients::get, clients::update, clients::delete))
        .routes(routes!(users::create))
        .routes(routes!(users::search))
        .routes(routes!(users::export))
        .routes(routes!(users::example_file))
        .routes(routes!(users::search_email))
        .routes(routes!(users::count_summary))
        .routes(routes!(users::bulk_delete))
        .routes(routes!(users::by_resource_ids))
        .routes(routes!(users::by_resource_ids_with_deleted))
        .routes(routes!(users::get, users::update, users::delete))
        .routes(routes!(users::restore))
        .routes(routes!(groups::of_user))
        .routes(routes!(imports::uploaded))
        .routes(routes!(imports::renew))
        .routes(routes!(imports::create_mapping))
        .routes(routes!(imports::mapping_job))
        .routes(routes!(imports::search))
        .routes(routes!(imports::search_export))
        .routes(routes!(imports::start_import))
        .routes(routes!(imports::jobs))
        .routes(routes!(imports::job))
        .routes(routes!(fields::list))
        .routes(routes!(fields::of_group))
        .routes(routes!(fields::create))
        .routes(routes!(fields::bulk_update))
        .routes(routes!(fields::get, fields::update))
        .routes(routes!(groups::list, groups::create))
        .routes(routes!(groups::search))
        .routes(routes!(groups::export))
        .routes(routes!(groups::users_export))
        .routes(routes!(groups::search_all))
        .routes(routes!(groups::search_current_company))
        .routes(routes!(groups::search_name))
        .routes(routes!(groups::add_to_groups))
        .routes(routes!(groups::count_detail_by_ids))
        .routes(routes!(groups::count_detail_ext))
        .routes(routes!(groups::get, groups::update, groups::delete))
        .routes(routes!(
            groups::users,
            groups::add_to_group,
            groups::remove_users
        ))
        .routes(routes!(clients::roles, roles::create))
        .routes(routes!(roles::available))
        .routes(routes!(leaderboard::get_all))
        .routes(routes!(roles::search))
        .routes(routes!(roles::get, roles::update, roles::delete))
        .routes(routes!(lookups::all, lookups::by_types))
        .routes(routes!(lookups::licenses))
        .routes(routes!(lookups::country_timezones))
        .routes(routes!(lookups::one))
        .routes(routes!(lookups::timezones))
        .routes(routes!(frame::by_url))
        .routes(routes!(frame::resolve))
        .routes(routes!(frame::version))
        .routes(routes!(frame::summary))
        .routes(routes!(frame::settings))
        .routes(routes!(frame::regions))
        .routes(routes!(allow_list::add, allow_list::delete))
        .routes(routes!(allow_list::search))
        .routes(routes!(allow_list::export))
        .routes(routes!(allow_list::verified))
        .routes(routes!(allow_list::unverified))
        .routes(routes!(allow_list::txt_record))
        .routes(routes!(allow_list::verify))
        .routes(routes!(allow_list::mark_as_verified))
        .routes(routes!(audit_logs::search))
        .routes(routes!(audit_logs::export))
        .routes(routes!(audit_logs::list))
        .routes(routes!(operations::health_live))
        .routes(routes!(operations::health_ready))
        // The upload streams its file to disk and stops it at `import_max_bytes` itself (413);
        // axum's 2 MB default limit of extracted bodies does not apply to it.
        .merge(
            OpenApiRouter::new()
                .routes(routes!(imports::upload))
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .routes(routes!(scim_settings::create))
        .routes(routes!(scim_settings::search))
        .routes(routes!(scim_settings::export))
        .routes(routes!(scim_settings::fields))
        .routes(routes!(
            scim_settings::get,
            scim_settings::update,
            scim_settings::delete
        ))
        .routes(routes!(scim_settings::revoke))
        .split_for_parts();
    let mut doc = doc;
    // The searches' field tables go in once their operations are (openapi::FilterFields).
    utoipa::Modify::modify(&openapi::FilterFields, &mut doc);
    // The SCIM service describes itself (RFC 7644 §4), so it is not in the document.
    let router = router.merge(crate::scim::router());
    // Every route's handler can name where its request came from (see `audit::actor`).
    (
        router.layer(axum::middleware::from_fn(crate::audit::remember_origin)),
        doc,
    )
}

/// The OpenAPI document as served.
pub fn document() -> Document {
    routes().1
}

async fn fallback(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError::not_found(format!("no endpoint {method} {}", uri.path()))
}

async fn method_not_allowed(method: Method, uri: axum::http::Uri) -> impl IntoResponse {
    let mut e =
        ApiError::bad_request(format!("{method} is not allowed on {}", uri.path())).into_response();
    *e.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    e
}
