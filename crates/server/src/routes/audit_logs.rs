//! `/api/audit-logs`: the audit trail, searched, exported and listed (REFERENCE.md section I;
//! shapes from Keepnet's `AuditLogSearchView`, `ExportRequest` and `AuditLogDto`).
//!
//! Who may read which rows is [`audit::read_scope`]: a Reseller its scoped company and every
//! company below it, a Company Admin its own company.

use axum::extract::State;
use axum::response::Response;
use axum::Json;
use rollcall_store::{fields, AuditRow, AuditScope, Company, Entity, SearchSpec};
use rollcall_types::audit::{AuditLogDto, AuditLogSearchView, GetAuditLogRequest};
use rollcall_types::{Envelope, Paged, SearchRequest};

use crate::audit;
use crate::error::ApiResult;
use crate::export::{self, Cell, ExportOptions};
use crate::extract::KJson;
use crate::paging::Paging;
use crate::routes::files::{self, FileKind};
use crate::routes::files::{ExportKind, ExportRequest};
use crate::scope::{Read, Scoped};
use crate::state::AppState;
use crate::time::millis_to_time;

/// Parses an audit search body for a request scoped to `company`; the default order is
/// `LogDate`, newest first.
pub fn audit_search(
    req: &SearchRequest,
    max_page_size: i64,
    company: &Company,
) -> ApiResult<(SearchSpec, Paging)> {
    crate::paging::search_spec(req, max_page_size, &fields::AUDIT_LOGS, company)
}

/// A stored row as Keepnet's search row.
pub fn search_view(r: &AuditRow) -> AuditLogSearchView {
    AuditLogSearchView {
        resource_id: Some(r.resource_id.clone()),
        user_name: Some(r.actor_client_id.clone()),
        entity_resource_id: r.entity_resource_id.clone(),
        entity_name: Some(r.entity_name.clone()),
        old_value: r.old_value.clone(),
        new_value: r.new_value.clone(),
        operation: Some(r.operation.clone()),
        ip: r.ip.clone(),
        user_agent: r.user_agent.clone(),
        audit_description: Some(r.description.clone()),
        log_date: millis_to_time(r.log_date).unwrap_or_default(),
    }
}

/// The search body the document offers for the audit search and export ("Try it out" sends
/// it): fields of [`fields::AUDIT_LOGS`].
fn search_example(export: bool) -> serde_json::Value {
    let mut body = crate::openapi::filter_example(
        serde_json::json!([
            {"fieldName": "Operation", "operator": "Include", "value": "Create,Update,Delete"},
            {"fieldName": "EntityName", "operator": "=", "value": "TargetUser"}
        ]),
        "LogDate",
        false,
        export,
    );
    body["pageSize"] = 20.into();
    body
}

// `POST /api/audit-logs/search` (rulings in docs/api.md, "Audit logs").
/// Search the audit log
///
/// One page of audit rows: who (the API client's id, `userName`) did what (`operation`) to which
/// resource (`entityName`, `entityResourceId`), from where (`ip`, `userAgent`), with the changed
/// fields before and after as JSON text (never a secret or token). Filtered and sorted on the
/// fields listed below, newest first by default (`LogDate`, which `CreateTime` also names); an
/// unknown field or operator is 400 naming the valid ones. A Reseller reads the company named by
/// `X-KEEPNET-Company-Id` (default: its own) and every company below it; a Company Admin reads its
/// own company. In rows written by a client of a company above the reader's own, `ip` and
/// `userAgent` are null.
#[utoipa::path(
    post, path = "/api/audit-logs/search", operation_id = "searchAuditLogs", tag = "AuditLog", params(crate::openapi::Scope),
    request_body(content = SearchRequest, example = json!(search_example(false))),
    responses((status = 200, description = "One page of audit rows (a Reseller: the scoped company and every company below it; a Company Admin: its own company)", body = Envelope<Paged<AuditLogSearchView>>), crate::openapi::ApiErrors)
)]
pub async fn search(
    State(state): State<AppState>,
    Scoped {
        caller, company, ..
    }: Scoped<Read>,
    KJson(req): KJson<SearchRequest>,
) -> ApiResult<Json<Envelope<Paged<AuditLogSearchView>>>> {
    let (spec, paging) = audit_search(&req, state.config.max_page_size, &company)?;
    let (total, rows) = state
        .store
        .search_audit(&audit::read_scope(&state, &caller, &company).await?, &spec)
        .await?;
    Ok(paging.reply(total, rows.iter().map(search_view).collect()))
}

/// Columns of the audit export, in order.
pub const AUDIT_LOG_COLUMNS: &[&str] = &[
    "Date",
    "User",
    "Operation",
    "Entity",
    "Entity Id",
    "Description",
    "IP Address",
    "User Agent",
    "Old Value",
    "New Value",
    "Resource Id",
];

/// An audit row as export cells, in [`AUDIT_LOG_COLUMNS`] order.
pub fn audit_log_cells(r: &AuditRow) -> Vec<Cell> {
    let text = |s: &Option<String>| Cell::Text(s.clone().unwrap_or_default());
    vec![
        Cell::Time(Some(r.log_date)),
        Cell::Text(r.actor_client_id.clone()),
        Cell::Text(r.operation.clone()),
        Cell::Text(r.entity_name.clone()),
        text(&r.entity_resource_id),
        Cell::Text(r.description.clone()),
        text(&r.ip),
        text(&r.user_agent),
        text(&r.old_value),
        text(&r.new_value),
        Cell::Text(r.resource_id.clone()),
    ]
}

/// This module's export, as a kind: its file `Audit Logs.csv`, `.xlsx` or `.pdf`,
/// and its audit row.
pub struct AuditLogsFile;

impl ExportKind for AuditLogsFile {
    const TITLE: &'static str = "Audit Logs";
    const ENTITY: Entity = Entity::AuditLog;
    const NOUN: (&'static str, &'static str) = ("audit row", "audit rows");
}

// `POST /api/audit-logs/search/export`.
/// Export the audit log
///
/// The rows a search selects, as a file: `exportType` `CSV`, `Excel` or `PDF` (any case; required),
/// the requested page or, with `reportAllPages: true`, every match, in the search's order. The
/// columns are Date, User, Operation, Entity, Entity Id, Description, IP Address, User Agent, Old
/// Value, New Value and Resource Id; the file is `Audit Logs.csv` (`.xlsx`, `.pdf`). The export is
/// itself recorded in the audit log. Errors come before the file starts, as the JSON envelope: a
/// missing or unknown `exportType`, a bad filter, or a PDF of more than 5,000 rows is 400. Who
/// reads which rows: as the search.
#[utoipa::path(
    post, path = "/api/audit-logs/search/export", operation_id = "exportAuditLogs", tag = "AuditLog", params(crate::openapi::Scope, ExportOptions),
    request_body(content = SearchRequest, example = json!(search_example(true))),
    responses(crate::openapi::ExportFile<AuditLogsFile>)
)]
pub async fn export(
    State(state): State<AppState>,
    ExportRequest {
        caller,
        mut record,
        search: req,
        options,
        ..
    }: ExportRequest<AuditLogsFile>,
) -> ApiResult<Response> {
    let (spec, _) = audit_search(&req, state.config.max_page_size, &record.company)?;
    let read = audit::read_scope(&state, &caller, &record.company).await?;
    let (store, reader) = (&state.store, &read);
    files::refuse_big_pdf(&record, &spec, |count| async move {
        store.search_audit(reader, &count).await
    })
    .await?;
    let all = record.all_pages;
    // The audit log's default order is named, as its rows are read newest first.
    record.filter = export::filter_summary(
        req.filter.as_ref(),
        Some(
            req.order_by
                .as_deref()
                .filter(|o| !o.trim().is_empty())
                .unwrap_or("LogDate"),
        ),
        req.ascending.unwrap_or(false),
    );
    let kind = FileKind::fixed(AuditLogsFile::TITLE, AUDIT_LOG_COLUMNS, audit_log_cells);
    let store = state.store.clone();
    files::stream(&state, record, kind, &options, move |sink| async move {
        store.export_audit(&read, &spec, all, sink).await
    })
    .await
}

// `POST /api/audit-logs` (Keepnet's `GetAuditLogRequest` and `AuditLogDto`).
/// List the company's audit log
///
/// One page of the audit rows of the company itself, without the companies below it and without a
/// filter, in Keepnet's `AuditLogDto` shape (`userId` is always 0: rollcall's actors are API
/// clients, named in the search's `userName`), sorted by `orderBy` (default `LogDate`, newest
/// first). A bad page number or size, or an unknown `orderBy`, is 400. Reseller or Company Admin,
/// in the company named by `X-KEEPNET-Company-Id` (a Reseller: its own or any below it; a Company
/// Admin: its own) or, without it, the caller's own.
#[utoipa::path(
    post, path = "/api/audit-logs", operation_id = "listAuditLogs", tag = "AuditLog", params(crate::openapi::Scope),
    request_body = GetAuditLogRequest,
    responses((status = 200, description = "One page of the scoped company's own audit rows", body = Envelope<Paged<AuditLogDto>>), crate::openapi::ApiErrors)
)]
pub async fn list(
    State(state): State<AppState>,
    Scoped {
        caller, company, ..
    }: Scoped<Read>,
    KJson(req): KJson<GetAuditLogRequest>,
) -> ApiResult<Json<Envelope<Paged<AuditLogDto>>>> {
    let search = SearchRequest {
        page_number: req.page_number,
        page_size: req.page_size,
        order_by: req.order_by,
        ascending: req.ascending,
        ..SearchRequest::default()
    };
    let (spec, paging) = audit_search(&search, state.config.max_page_size, &company)?;
    let (total, rows) = state
        .store
        .search_audit(
            &AuditScope::company(&company.path, audit::reader(&caller)),
            &spec,
        )
        .await?;
    let results = rows
        .iter()
        .map(|r| AuditLogDto {
            log_id: Some(r.resource_id.clone()),
            user_id: 0,
            log_date: millis_to_time(r.log_date),
            entity_resource_id: r.entity_resource_id.clone(),
            entity_name: Some(r.entity_name.clone()),
            company_id: r.company_id.unwrap_or(0),
            operation: r.operation.clone(),
            old_value: r.old_value.clone(),
            new_value: r.new_value.clone(),
        })
        .collect();
    Ok(paging.reply(total, results))
}
