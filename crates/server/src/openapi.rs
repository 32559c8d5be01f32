//! The OpenAPI 3 document's own parts: its header, security schemes, the types that only
//! document (headers, error replies, the token form, the upload form), and the filter-field
//! tables of the search endpoints ([`FilterFields`]).
//!
//! The operations come from the `#[utoipa::path]` annotation on each handler, gathered by
//! [`crate::router`], which registers every route through `utoipa_axum` so that a route and its
//! entry in the document come from the same declaration and cannot drift apart. The document is served at
//! `/swagger/v1/swagger.json` (Keepnet's path) and browsed at `/docs` with a Swagger UI whose
//! files are compiled into the binary (no internet access needed).

use std::collections::BTreeMap;
use std::marker::PhantomData;

use rollcall_store::{fields, CustomFieldType, FieldKind, FieldSpec, Fields};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::openapi::path::{Operation, PathItem};
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
            case-insensitively (`PageNumber` and `pageNumber` are the same key).\n\n\
            A Reseller listing a customer's target users: (1) **Authorize** with a Reseller \
            client's id and secret; (2) `POST /api/companies/search` and note the customer's \
            `resourceId`; (3) `POST /api/target-users/search` with that id in \
            `X-KEEPNET-Company-Id` (each search lists the fields its filter takes); \
            (4) `POST /api/target-users/search/export` for a CSV, Excel or PDF file; \
            (5) `GET /api/target-users/count-summary` for the totals.",
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

/// A search endpoint's field catalogue (`rollcall_store::fields`), as its handler picks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Catalogue {
    Companies,
    ApiClients,
    /// The fixed fields and the company's active custom fields (`routes::user_extras`).
    TargetUsers,
    ImportRows,
    TargetGroups,
    AuditLogs,
    AllowList,
    ScimSettings,
}

impl Catalogue {
    /// The catalogue's fixed fields.
    pub(crate) fn fields(self) -> Fields<'static> {
        match self {
            Catalogue::Companies => fields::COMPANIES,
            Catalogue::ApiClients => fields::API_CLIENTS,
            Catalogue::TargetUsers => fields::TARGET_USERS,
            Catalogue::ImportRows => fields::IMPORT_ROWS,
            Catalogue::TargetGroups => fields::TARGET_GROUPS,
            Catalogue::AuditLogs => fields::AUDIT_LOGS,
            Catalogue::AllowList => fields::ALLOW_LIST,
            Catalogue::ScimSettings => fields::SCIM_SETTINGS,
        }
    }

    /// Whether the company's custom fields, defined at run time, join the fixed ones.
    fn has_custom_fields(self) -> bool {
        self == Catalogue::TargetUsers
    }
}

/// What an operation reads against its catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reads {
    /// A search body: the filter and `orderBy`.
    Search,
    /// A search body naming a file (`exportType`).
    Export,
    /// A bulk delete's `filter` (with `selectAll: true`).
    BulkDelete,
    /// Only `orderBy`: the filter is the endpoint's own (`search-email`, `search-name`).
    Order,
}

/// Every operation that reads a filter or an `orderBy` against a catalogue, by operation id,
/// with the catalogue its handler passes to the parser (`paging::search_spec`,
/// `files::read_spec`, `routes::target_users::target_user_search`, ...). The API tests send
/// each one an unknown field and compare the names the refusal lists with the table.
///
/// Not here: `searchRoles`, which filters the two system roles in memory on names of its own
/// (`routes::roles`), and the audit log's list (`listAuditLogs`), which takes no filter.
pub(crate) const SEARCHES: &[(&str, Catalogue, Reads)] = &[
    ("searchCompanies", Catalogue::Companies, Reads::Search),
    ("exportCompanies", Catalogue::Companies, Reads::Export),
    (
        "bulkDeleteCompanies",
        Catalogue::Companies,
        Reads::BulkDelete,
    ),
    ("searchClients", Catalogue::ApiClients, Reads::Search),
    ("exportClients", Catalogue::ApiClients, Reads::Export),
    ("searchTargetUsers", Catalogue::TargetUsers, Reads::Search),
    ("exportTargetUsers", Catalogue::TargetUsers, Reads::Export),
    (
        "searchTargetUsersByEmail",
        Catalogue::TargetUsers,
        Reads::Order,
    ),
    (
        "bulkDeleteTargetUsers",
        Catalogue::TargetUsers,
        Reads::BulkDelete,
    ),
    (
        "searchUploadedTargetUsers",
        Catalogue::ImportRows,
        Reads::Search,
    ),
    (
        "exportUploadedTargetUsers",
        Catalogue::ImportRows,
        Reads::Export,
    ),
    ("searchTargetGroups", Catalogue::TargetGroups, Reads::Search),
    (
        "searchAllTargetGroups",
        Catalogue::TargetGroups,
        Reads::Search,
    ),
    (
        "searchCurrentCompanyTargetGroups",
        Catalogue::TargetGroups,
        Reads::Search,
    ),
    (
        "searchTargetGroupsByName",
        Catalogue::TargetGroups,
        Reads::Order,
    ),
    ("exportTargetGroups", Catalogue::TargetGroups, Reads::Export),
    (
        "searchTargetUserGroups",
        Catalogue::TargetGroups,
        Reads::Search,
    ),
    (
        "searchTargetGroupUsers",
        Catalogue::TargetUsers,
        Reads::Search,
    ),
    (
        "exportTargetGroupUsers",
        Catalogue::TargetUsers,
        Reads::Export,
    ),
    ("searchAuditLogs", Catalogue::AuditLogs, Reads::Search),
    ("exportAuditLogs", Catalogue::AuditLogs, Reads::Export),
    ("searchAllowedDomains", Catalogue::AllowList, Reads::Search),
    ("exportAllowedDomains", Catalogue::AllowList, Reads::Export),
    (
        "searchScimIntegrations",
        Catalogue::ScimSettings,
        Reads::Search,
    ),
    (
        "exportScimIntegrations",
        Catalogue::ScimSettings,
        Reads::Export,
    ),
];

/// The heading [`FilterFields`] starts its part of a description with.
pub const FILTER_FIELDS_HEADING: &str = "#### Filter fields";
/// The heading of the part of an [`Reads::Order`] operation.
pub const SORT_FIELDS_HEADING: &str = "#### Sort fields";

/// Every operator the filter parser knows (`rollcall_store::query`), in its spelling.
const OPERATORS: [&str; 8] = ["Contains", "Include", "=", "!=", ">", ">=", "<", "<="];

/// The operators the filter parser accepts on a field of `kind` (`rollcall_store::query`; a
/// test below checks every field of every catalogue against the parser).
pub(crate) fn operators(kind: FieldKind) -> &'static [&'static str] {
    use FieldKind::*;
    match kind {
        Text | Exact | Language | Int | Number | Priority | Month => &OPERATORS,
        Bool | Status | ClientStatus | Tags => &["Contains", "Include", "=", "!="],
        Time => &["Contains", "=", "!=", ">", ">=", "<", "<="],
        Expired => &["Contains", "=", "!="],
        MonthSelector => &["Contains", "="],
        NotKept => &["Contains"],
    }
}

/// What a filter value of `field` is, for the table.
fn value_text(field: &FieldSpec<'_>) -> &'static str {
    use FieldKind::*;
    if field.column == fields::TARGET_GROUP {
        return "target group resource ids (`Include` for several); `Contains` matches part of a group's name";
    }
    match field.kind {
        Text => "text, any case",
        Exact => "text, exactly (case-sensitive)",
        Language => "a language: resource id, ISO code or tag (`en`, `en-GB`); `Contains` also matches the language's name",
        Int => "whole number",
        Number => "number",
        Bool => "`true` or `false`",
        Time => "date or date-time: ISO 8601 (`2026-01-15`, `2026-01-15T09:30:00Z`) or the company's date format",
        Tags => "a tag, any case (`Contains`: part of a tag)",
        Status => "`1` or `Active`, `0` or `Inactive`",
        ClientStatus => "`1` or `Active`, `0` or `Inactive` (`2` reads as inactive)",
        Month => "the month the row was created, `YYYY-MM`",
        MonthSelector => "month, `YYYY-MM`, with `=`: the month the monthly counts report (default: this month, UTC); selects no rows, and `Contains` matches none",
        Expired => "`true` or `false`: whether the licence end date is past",
        Priority => "`VeryLow`, `Low`, `Medium`, `High`, `VeryHigh`, or 1 to 5",
        NotKept => "shown by Keepnet, not kept by rollcall: `Contains` matches no row",
    }
}

/// `ops` as the table shows them: *all* for every operator.
fn operators_text(ops: &[&str]) -> String {
    if ops == OPERATORS {
        "all".to_owned()
    } else {
        code_list(ops.iter().copied())
    }
}

/// `` `a`, `b` `` (a dash for none).
fn code_list<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let list: Vec<String> = names.into_iter().map(|n| format!("`{n}`")).collect();
    if list.is_empty() {
        "–".to_owned()
    } else {
        list.join(", ")
    }
}

/// The markdown [`FilterFields`] appends to the description of an operation that reads `what`
/// against `catalogue`: generated from the catalogue the server parses with, so the document
/// cannot list a field the server refuses or leave out one it takes.
pub(crate) fn fields_markdown(catalogue: Catalogue, what: Reads) -> String {
    let fields = catalogue.fields();
    let mut out = String::new();
    if what == Reads::Order {
        let sortable = fields.iter().filter(|f| f.sortable).map(|f| f.name);
        out.push_str(&format!(
            "{SORT_FIELDS_HEADING}\n\n`orderBy` takes one of these names, in any case: {}",
            code_list(sortable)
        ));
        if catalogue.has_custom_fields() {
            out.push_str(", or the name of one of the company's active custom fields");
        }
        out.push('.');
        return out;
    }
    let searched: Vec<&str> = fields
        .iter()
        .filter(|f| f.searched)
        .map(|f| f.name)
        .collect();
    out.push_str(&format!(
        "{FILTER_FIELDS_HEADING}\n\n\
        The `fieldName` of a filter item and `orderBy` take these names, in any case (or one of \
        the other names). Operators: `Contains` (on text, a part of it in any case; on other \
        fields, a part of the text they are shown as, as a search box sends it), `Include` (a \
        comma-separated list of values), `=` (also `Equal`, `Equals`), `!=` (also matches no \
        value), `>`, `>=`, `<`, `<=`; *all* means every one of them. An empty `Contains` or \
        `Include` value is no condition; a date alone is its whole day (UTC, or the company's \
        day in its own format). A field or operator not listed here is a 400 naming the \
        allowed ones. `searchInputTextValue` looks for its text in {}. Without `orderBy`, rows are \
        sorted by `{}`.\n\n\
        | Field | Other names | Value | Operators | Sorts |\n\
        |---|---|---|---|---|\n",
        code_list(searched),
        fields.default_order(),
    ));
    for f in fields.iter().filter(|f| f.filterable) {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            f.name,
            code_list(f.aliases.iter().copied()),
            value_text(f),
            operators_text(operators(f.kind)),
            if f.sortable { "yes" } else { "no" },
        ));
    }
    if catalogue.has_custom_fields() {
        out.push_str(
            "\n**Custom fields.** Each active custom field of the company \
            (`GET /api/custom-fields/company`) is a field too, named as it is: they are defined \
            per company at run time, so this list cannot name them. By type:",
        );
        // Types that read alike (String and Email, Date and DateTime) share a line.
        let mut lines: Vec<(FieldKind, Vec<&str>)> = Vec::new();
        for t in CustomFieldType::ALL {
            let kind = FieldSpec::custom("", 0, t).kind;
            match lines.iter_mut().find(|(k, _)| *k == kind) {
                Some((_, names)) => names.push(t.name()),
                None => lines.push((kind, vec![t.name()])),
            }
        }
        for (kind, names) in lines {
            let spec = FieldSpec::new("", "", kind);
            out.push_str(&format!(
                "\n- {}: {} ({})",
                code_list(names),
                value_text(&spec),
                operators_text(operators(kind)),
            ));
        }
        out.push_str(
            "\n\n`Contains` on a custom field matches a part of its value as shown; a user without \
            a value sorts last.",
        );
    }
    out
}

/// A search body the operation's catalogue accepts, for operations whose body is the shared
/// [`rollcall_types::SearchRequest`] and that give no example of their own: the shared
/// schema's example lacks `exportType` (exports need it) and names no field (fields differ
/// by endpoint). It filters on the default sort field with a condition nearly every row meets.
pub(crate) fn search_example(catalogue: Catalogue, what: Reads) -> Value {
    let fields = catalogue.fields();
    let order = fields.default_order();
    let (operator, value, ascending) = match fields.iter().find(|f| f.name == order).map(|f| f.kind)
    {
        Some(FieldKind::Time) => (">=", json!("2020-01-01"), false),
        Some(FieldKind::Int) => (">=", json!(1), true),
        _ => ("Contains", json!(""), true),
    };
    let mut body = json!({
        "pageNumber": 1,
        "pageSize": 20,
        "orderBy": order,
        "ascending": ascending,
        "filter": {
            "condition": "AND",
            "searchInputTextValue": "",
            "filterGroups": [{
                "condition": "AND",
                "filterItems": [{"fieldName": order, "operator": operator, "value": value}]
            }]
        }
    });
    if what == Reads::Export {
        body["exportType"] = json!("CSV");
        body["reportAllPages"] = json!(true);
    }
    body
}

/// Appends to each operation of [`SEARCHES`] the table of the fields it filters and sorts on
/// ([`fields_markdown`]), and gives a search body example ([`search_example`]) to those that
/// have none. Applied by `crate::router` once every route's operation is in the document, so
/// that this module needs no route module.
pub struct FilterFields;

impl Modify for FilterFields {
    fn modify(&self, openapi: &mut Document) {
        for item in openapi.paths.paths.values_mut() {
            for op in operations_mut(item) {
                let Some(&(_, catalogue, what)) = SEARCHES
                    .iter()
                    .find(|(id, _, _)| op.operation_id.as_deref() == Some(id))
                else {
                    continue;
                };
                let table = fields_markdown(catalogue, what);
                let description = op.description.get_or_insert_with(String::new);
                if !description.contains(&table) {
                    if !description.is_empty() {
                        description.push_str("\n\n");
                    }
                    description.push_str(&table);
                }
                if what != Reads::BulkDelete {
                    give_search_example(op, catalogue, what);
                }
            }
        }
    }
}

/// The operations of a path item.
fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
    ]
    .into_iter()
    .filter_map(Option::as_mut)
}

/// Sets [`search_example`] on the JSON body of `op` when the body is the shared search request
/// and carries no example of its own.
fn give_search_example(op: &mut Operation, catalogue: Catalogue, what: Reads) {
    let Some(RefOr::T(body)) = op.request_body.as_mut() else {
        return;
    };
    let Some(RefOr::T(json)) = body.content.get_mut("application/json") else {
        return;
    };
    let shared = matches!(&json.schema, Some(RefOr::Ref(r))
        if r.ref_location == format!("#/components/schemas/{}", rollcall_types::SearchRequest::name()));
    if shared && json.example.is_none() && json.examples.is_empty() {
        json.example = Some(search_example(catalogue, what));
    }
}

/// The form `POST /connect/token` reads (RFC 6749 §4.4). The credentials may instead come in
/// an HTTP Basic `Authorization` header.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({
    "grant_type": "client_credentials",
    "client_id": "your-client-id",
    "client_secret": "your-client-secret",
    "scope": "api1"
}))]
#[allow(dead_code)] // documents the form; the handler reads it field by field
pub struct TokenRequest {
    /// Always `client_credentials`.
    #[schema(example = "client_credentials")]
    grant_type: String,
    /// The REST API client's id.
    #[schema(example = "your-client-id")]
    client_id: Option<String>,
    /// The REST API client's secret.
    #[schema(example = "your-client-secret")]
    client_secret: Option<String>,
    /// `api1`, or left out.
    #[schema(example = "api1")]
    scope: Option<String>,
}

/// The multipart form of `POST /api/target-users/upload`: the file in the field `File`.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)] // documents the form; the handler streams the field to disk itself
pub struct UploadForm {
    /// The file: CSV (UTF-8, UTF-16 or Windows-1252; `,`, `;` or tab between cells), `.xlsx`
    /// or `.xls`.
    #[serde(rename = "File")]
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// The body of `PUT /api/companies/limited`, as Keepnet's form names it: the company to
/// change and the fields a company may change itself. Fields left out keep their value.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
#[schema(example = json!({
    "ResourceId": "xC5kfGz7w2Nz",
    "Name": "Acme Ltd",
    "Description": "Acme's UK offices",
    "IndustryResourceId": "IndTechnolgy",
    "CountryResourceId": "CtryUnitKngd",
    "Address": "1 High Street, London",
    "WebsiteUrl": "https://acme.example.com",
    "PreferredLanguageTypeResourceId": "en",
    "TimeZoneId": "GMT Standard Time"
}))]
#[allow(dead_code)] // documents the form; the handler reads it as `routes::companies::CompanyBody`
pub struct LimitedCompanyForm {
    /// The company's resource id.
    #[schema(example = "xC5kfGz7w2Nz")]
    resource_id: String,
    /// 1 to 64 characters.
    #[schema(example = "Acme Ltd")]
    name: Option<String>,
    /// At most 300 characters.
    #[schema(example = "Acme's UK offices")]
    description: Option<String>,
    /// A resource id of `GET /api/lookups/industry`.
    #[schema(example = "IndTechnolgy")]
    industry_resource_id: Option<String>,
    /// A resource id of `GET /api/lookups/country`.
    #[schema(example = "CtryUnitKngd")]
    country_resource_id: Option<String>,
    /// At most 200 characters.
    #[schema(example = "1 High Street, London")]
    address: Option<String>,
    #[schema(example = "https://acme.example.com")]
    website_url: Option<String>,
    /// A language of `GET /api/lookups/21` (resource id, ISO code or tag); empty clears it.
    #[schema(example = "en")]
    preferred_language_type_resource_id: Option<String>,
    /// A Windows time zone id or an IANA name.
    #[schema(example = "GMT Standard Time")]
    time_zone_id: Option<String>,
}

/// The company a request acts on. Without it, the caller's own company. A reseller may name
/// any company below it; a company admin only its own. `X-IR-COMPANY-ID` (Keepnet's UI
/// header) is read too; when several are given they must agree.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // documents headers that `ScopeRequest` reads
pub struct Scope {
    /// The company to act on: its `resourceId` (from `POST /api/companies/search`). Left out,
    /// the caller's own company (a Reseller's writes must name it).
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
    /// `NOT_FOUND`, `CONFLICT`, `PAYLOAD_TOO_LARGE`, `TOO_MANY_REQUESTS` or
    /// `INTERNAL_SERVER_ERROR`.
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

/// The body a search operation's example offers ("Try it out" sends it): `items` ANDed in one
/// group, sorted by `order_by`; with `export`, the CSV export of every page.
pub fn filter_example(
    items: serde_json::Value,
    order_by: &str,
    ascending: bool,
    export: bool,
) -> serde_json::Value {
    let mut body = serde_json::json!({
        "filter": {"condition": "AND", "filterGroups": [{"condition": "AND", "filterItems": items}]},
        "pageNumber": 1,
        "pageSize": 10,
        "orderBy": order_by,
        "ascending": ascending
    });
    if export {
        body["exportType"] = "CSV".into();
        body["reportAllPages"] = true.into();
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use rollcall_store::query::parse_filter;
    use rollcall_types::{Filter, FilterGroup, FilterItem};

    const CATALOGUES: [Catalogue; 8] = [
        Catalogue::Companies,
        Catalogue::ApiClients,
        Catalogue::TargetUsers,
        Catalogue::ImportRows,
        Catalogue::TargetGroups,
        Catalogue::AuditLogs,
        Catalogue::AllowList,
        Catalogue::ScimSettings,
    ];

    /// A value a field of `kind` takes with every operator [`operators`] lists for it.
    fn sample(kind: FieldKind) -> Value {
        use FieldKind::*;
        match kind {
            Text | Tags | NotKept => json!("sales"),
            Exact => json!("xC5kfGz7w2Nz"),
            Language => json!("en"),
            Int => json!(5),
            Number => json!(2.5),
            Bool | Expired => json!(true),
            Time => json!("2026-01-15"),
            Status | ClientStatus => json!("1"),
            Month | MonthSelector => json!("2026-01"),
            Priority => json!("High"),
        }
    }

    fn parses(fields: &Fields<'_>, name: &str, operator: &str, value: Value) -> bool {
        let filter = Filter {
            filter_groups: Some(vec![FilterGroup {
                filter_items: Some(vec![FilterItem::new(name, operator, value)]),
                ..Default::default()
            }]),
            ..Default::default()
        };
        parse_filter(Some(&filter), fields, 0).is_ok()
    }

    /// The operators the tables list are the ones the parser takes, on every field of every
    /// catalogue and on custom fields of every type.
    #[test]
    fn the_tables_list_the_operators_the_parser_takes() {
        let names: Vec<String> = CustomFieldType::ALL
            .iter()
            .map(|t| format!("Custom {}", t.name()))
            .collect();
        let custom: Vec<FieldSpec<'_>> = CustomFieldType::ALL
            .iter()
            .zip(&names)
            .zip(1..)
            .map(|((t, name), id)| FieldSpec::custom(name, id, *t))
            .collect();
        for catalogue in CATALOGUES {
            let fields = if catalogue.has_custom_fields() {
                catalogue.fields().with_extra(custom.clone())
            } else {
                catalogue.fields().with_extra(Vec::new())
            };
            for f in fields.iter().filter(|f| f.filterable) {
                for op in OPERATORS {
                    assert_eq!(
                        parses(&fields, f.name, op, sample(f.kind)),
                        operators(f.kind).contains(&op),
                        "{catalogue:?}: {} {op} {} ({:?})",
                        f.name,
                        sample(f.kind),
                        f.kind
                    );
                }
            }
        }
    }

    fn operations(doc: &Document) -> Vec<&Operation> {
        doc.paths
            .paths
            .values()
            .flat_map(|item| {
                [&item.get, &item.put, &item.post, &item.delete, &item.patch]
                    .into_iter()
                    .filter_map(Option::as_ref)
            })
            .collect()
    }

    /// Every operation of [`SEARCHES`] carries its table in the served document, and every
    /// operation whose body holds a filter is in [`SEARCHES`], but for the roles search, whose
    /// fields are its own.
    #[test]
    fn every_search_has_its_table() {
        let doc = crate::router::document();
        let ops = operations(&doc);
        for (id, catalogue, what) in SEARCHES {
            let op = ops
                .iter()
                .find(|op| op.operation_id.as_deref() == Some(id))
                .unwrap_or_else(|| panic!("{id} is not in the document"));
            let description = op.description.as_deref().unwrap_or_default();
            assert!(
                description.contains(&fields_markdown(*catalogue, *what)),
                "{id} lacks its field table: {description}"
            );
        }
        let filtered = [
            "SearchRequest",
            "TargetGroupSearchRequest",
            "BulkDeleteRequest",
            "SearchEmailRequest",
            "TargetGroupByNameRequest",
        ];
        for op in ops {
            let id = op.operation_id.as_deref().unwrap_or_default();
            let Some(RefOr::T(body)) = &op.request_body else {
                continue;
            };
            let reads_filter = body.content.values().any(|c| match c {
                RefOr::T(Content {
                    schema: Some(RefOr::Ref(r)),
                    ..
                }) => filtered
                    .iter()
                    .any(|name| r.ref_location == format!("#/components/schemas/{name}")),
                _ => false,
            });
            if reads_filter && id != "searchRoles" {
                assert!(
                    SEARCHES.iter().any(|(s, _, _)| *s == id),
                    "{id} reads a filter or an order: add it to SEARCHES"
                );
            }
        }
    }

    /// The generated search examples pass the parser of their catalogue.
    #[test]
    fn generated_examples_parse() {
        for (id, catalogue, what) in SEARCHES {
            let body: rollcall_types::SearchRequest =
                serde_json::from_value(search_example(*catalogue, *what))
                    .unwrap_or_else(|e| panic!("{id}: {e}"));
            let fields = catalogue.fields();
            assert!(
                parse_filter(body.filter.as_ref(), &fields, 0).is_ok(),
                "{id}"
            );
            assert!(
                rollcall_store::query::parse_order(body.order_by.as_deref(), false, &fields)
                    .is_ok(),
                "{id}"
            );
        }
    }
}
