//! The OpenAPI 3 document's own parts: its header, security schemes and the types that only
//! document (headers, error replies, the token form).
//!
//! The operations come from the `#[utoipa::path]` annotation on each handler, gathered by
//! [`crate::router`], which registers every route through `utoipa_axum` so that a route and its
//! entry in the document come from the same declaration and cannot drift apart. The document is served at
//! `/swagger/v1/swagger.json` (Keepnet's path) and browsed at `/docs` with a Swagger UI whose
//! files are compiled into the binary (no internet access needed).

use std::collections::BTreeMap;
use std::marker::PhantomData;

use serde::Deserialize;
use utoipa::openapi::security::{
    ClientCredentials, Flow, HttpAuthScheme, HttpBuilder, OAuth2, Scopes, SecurityScheme,
};
use utoipa::openapi::{Content, OpenApi as Document, RefOr, Response, ResponseBuilder};
use utoipa::{IntoParams, IntoResponses, Modify, OpenApi, PartialSchema, ToSchema};
use utoipa_swagger_ui::SwaggerUi;

use crate::routes::files::ExportKind;

/// Where the document is served.
pub const DOCUMENT_PATH: &str = "/swagger/v1/swagger.json";
/// Where the Swagger UI is served.
pub const UI_PATH: &str = "/docs";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "rollcall",
        description = "A Keepnet-compatible API for resellers: companies, REST API clients and \
            target users, scoped by the `X-KEEPNET-Company-Id` header. Get a token from \
            `POST /connect/token` (OAuth 2.0 client credentials, `scope=api1`) and send it as \
            `Authorization: Bearer <token>`. Every JSON reply is the envelope \
            `{data, status, message, validationMessages, isSuccess}`. Request keys are read \
            case-insensitively (`PageNumber` and `pageNumber` are the same key).",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    modifiers(&BearerAuth),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])),
    tags(
        (name = "Auth", description = "OAuth 2.0 client-credentials tokens"),
        (name = "Company", description = "The companies a reseller manages, with licence data, and their REST API clients"),
        (name = "SystemRole", description = "The roles a REST API client can have"),
        (name = "TargetUser", description = "The employees of one company who receive simulations and training, their exports and count summary"),
        (name = "Lookup", description = "Fixed catalogues: industries, countries, licence types"),
        (name = "Job", description = "Background jobs: imports of target users, their progress and outcome"),
        (name = "AuditLog", description = "Who did what, from where: company, client and target-user changes, token requests and exports, kept for the server's retention period"),
        (name = "Operations", description = "Health checks and metrics, without a token"),
    )
)]
pub struct ApiDoc;

/// Adds the security schemes the document's `security` refers to, named as in Keepnet's
/// spec: `oauth2` (client credentials, so that the Swagger UI can fetch a token itself) and
/// `bearerAuth` (a token pasted in).
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "oauth2",
            SecurityScheme::OAuth2(OAuth2::with_description(
                [Flow::ClientCredentials(ClientCredentials::new(
                    "/connect/token",
                    Scopes::from_iter([("api1", "The API")]),
                ))],
                "A REST API client's id and secret",
            )),
        );
        components.add_security_scheme(
            "bearerAuth",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "The access_token from POST /connect/token, valid for an hour",
                    ))
                    .build(),
            ),
        );
    }
}

/// The form `POST /connect/token` reads (RFC 6749 §4.4). The credentials may instead come in
/// an HTTP Basic `Authorization` header.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)] // documents the form; the handler reads it field by field
pub struct TokenRequest {
    /// Always `client_credentials`.
    #[schema(example = "client_credentials")]
    grant_type: String,
    /// The REST API client's id.
    client_id: Option<String>,
    /// The REST API client's secret.
    client_secret: Option<String>,
    /// `api1`, or left out.
    #[schema(example = "api1")]
    scope: Option<String>,
}

/// The company a request acts on. Without it, the caller's own company. A reseller may name
/// any company below it; a company admin only its own. `X-IR-COMPANY-ID` (Keepnet's UI
/// header) is read too; when several are given they must agree.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // documents headers that `ScopeRequest` reads
pub struct Scope {
    /// The company's resource id.
    #[serde(rename = "X-KEEPNET-Company-Id")]
    company_id: Option<String>,
}

/// A resource id in the path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // documents the `Path` extractor
pub struct ResourceId {
    /// The resource id (as returned in `resourceId`).
    #[serde(rename = "resourceId")]
    resource_id: String,
}

/// The `{transactionId}` path segment of the import endpoints.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // documents the `Path` extractor
pub struct TransactionId {
    /// An upload's transaction id (as `POST /api/target-users/upload` returned it).
    #[serde(rename = "transactionId")]
    transaction_id: String,
}

/// The envelope of every error reply: `data` is `null`, `status` names the kind of error and
/// `message` says what to fix.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)] // the schema of `Envelope<()>` as `ApiError` sends it
pub struct ErrorEnvelope {
    /// Always `null`.
    #[schema(value_type = Option<Object>)]
    data: Option<serde_json::Value>,
    /// `INPUT_ERROR`, `UNAUTHORIZED`, `FORBIDDEN`, `IP_RESTRICTED`, `PRIVACY_ERROR`,
    /// `NOT_FOUND`, `CONFLICT`, `TOO_MANY_REQUESTS` or `INTERNAL_SERVER_ERROR`.
    status: String,
    /// What went wrong and how to fix it.
    message: Option<String>,
    /// One line per invalid field.
    validation_messages: Option<Vec<String>>,
    /// Always `false`.
    is_success: bool,
}

/// The error replies an `/api` endpoint can send.
#[derive(IntoResponses)]
#[allow(dead_code)] // documentation only; `ApiError` builds the replies
pub enum ApiErrors {
    /// The body, a filter or a field is invalid (`INPUT_ERROR`).
    #[response(status = 400)]
    InputError(ErrorEnvelope),
    /// No token, or a token that is invalid, expired or of a deactivated client.
    #[response(status = 401)]
    Unauthorized(ErrorEnvelope),
    /// The role may not do this, the company is out of reach, the IP address is not on the
    /// client's allow-list, or the customer's account privacy keeps its reseller out
    /// (`PRIVACY_ERROR`).
    #[response(status = 403)]
    Forbidden(ErrorEnvelope),
    /// No such resource within reach.
    #[response(status = 404)]
    NotFound(ErrorEnvelope),
    /// The request body arrived more slowly than the server's minimum rate (`--body-min-rate`,
    /// 240 bytes/s after a 5 s grace); the connection is closed. Send the body at once.
    #[response(status = 408)]
    RequestTimeout(ErrorEnvelope),
    /// The write conflicts with existing data (a duplicate email or name).
    #[response(status = 409)]
    Conflict(ErrorEnvelope),
    /// The client sent more requests than the server's rate limit allows, or the server is
    /// busy checking secrets (`TOO_MANY_REQUESTS`); wait `Retry-After` seconds.
    #[response(status = 429, headers(("Retry-After" = u64, description = "Whole seconds to wait before the next request")))]
    TooManyRequests(ErrorEnvelope),
    /// An unexpected server error; the message carries the request id.
    #[response(status = 500)]
    Internal(ErrorEnvelope),
}

/// The replies of a `.../search/export` endpoint: the file `T` names, as CSV, Excel or PDF, or
/// one of [`ApiErrors`]. Used as `responses(crate::openapi::ExportFile<TargetUsersFile>)`.
pub struct ExportFile<T>(PhantomData<T>);

impl<T: ExportKind> IntoResponses for ExportFile<T> {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let file = ResponseBuilder::new()
            .description(format!(
                "The file, named in Content-Disposition (`{}.csv`, `.xlsx`, `.pdf`)",
                T::TITLE
            ))
            .content("text/csv", Content::new(Some(String::schema())))
            .content(
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                Content::new(Some(Vec::<u8>::schema())),
            )
            .content("application/pdf", Content::new(Some(Vec::<u8>::schema())))
            .build();
        let mut responses = ApiErrors::responses();
        responses.insert("200".into(), file.into());
        responses
    }
}

/// The Swagger UI at [`UI_PATH`] and the document at [`DOCUMENT_PATH`].
pub fn swagger_ui(doc: Document) -> SwaggerUi {
    SwaggerUi::new(UI_PATH).url(DOCUMENT_PATH, doc)
}
