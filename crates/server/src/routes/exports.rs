//! `POST /api/target-users/search/export`, `POST /api/companies/search/export` and
//! `POST /api/target-users/example-file`.

use axum::extract::{Query, State};
use axum::response::Response;
use rollcall_store::{CompanySearch, Entity, SearchSpec, StoreError, TargetUser};
use rollcall_types::SearchRequest;
use serde::Deserialize;
use tokio::sync::mpsc;

use crate::audit::{self, ExportOutcome, ExportRecord};
use crate::auth::Caller;
use crate::conn::Streaming;
use crate::error::{ApiError, ApiResult};
use crate::export::{self, Cell, ExportOptions, Format, Report, CHANNEL_BATCHES, PDF_MAX_ROWS};
use crate::extract::KJson;
use crate::routes::companies::company_search;
use crate::routes::target_users::target_user_search;
use crate::scope::{Read, Scoped};
use crate::AppState;

/// The 400 of a PDF export over [`PDF_MAX_ROWS`].
pub(crate) fn pdf_too_big(rows: i64) -> ApiError {
    ApiError::bad_request(format!(
        "a PDF export holds at most {PDF_MAX_ROWS} rows and this one has {rows}; use exportType CSV or Excel for large exports, or narrow the filter"
    ))
}

/// Exports the target users a search selects: the requested page, or every match with
/// `reportAllPages: true`, in the search's order.
#[utoipa::path(
    post, path = "/api/target-users/search/export", operation_id = "exportTargetUsers", tag = "TargetUser", params(crate::openapi::Scope, ExportOptions),
    request_body = SearchRequest,
    responses(
        (status = 200, description = "The file, named in Content-Disposition (`Target Users.csv`, `.xlsx`, `.pdf`)",
            content((String = "text/csv"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (Vec<u8> = "application/pdf"))),
        crate::openapi::ApiErrors)
)]
pub async fn target_users(
    State(state): State<AppState>,
    Scoped {
        caller, company, ..
    }: Scoped<Read>,
    Query(options): Query<ExportOptions>,
    KJson(req): KJson<SearchRequest>,
) -> ApiResult<Response> {
    let format = Format::parse(req.export_type.as_deref())?;
    let (spec, _) = target_user_search(&req, state.config.max_page_size)?;
    let all = req.report_all_pages.unwrap_or(false);
    if format == Format::Pdf && all {
        let (total, _) = state
            .store
            .search_target_users(
                company.id,
                &SearchSpec {
                    limit: 0,
                    ..spec.clone()
                },
            )
            .await?;
        if total > PDF_MAX_ROWS {
            return Err(pdf_too_big(total));
        }
    }
    let filter = export::filter_summary(
        req.filter.as_ref(),
        req.order_by.as_deref(),
        req.ascending.unwrap_or(false),
    );
    let (tx, rx) = mpsc::channel::<Result<Vec<TargetUser>, StoreError>>(CHANNEL_BATCHES);
    let store = state.store.clone();
    let company_id = company.id;
    let cursor_spec = spec.clone();
    // The cursor's rows are counted on their way to the file; the audit row is written when
    // it ends.
    let record = ExportRecord {
        actor: audit::actor(&caller),
        company: company.clone(),
        entity: Entity::TargetUser,
        noun: ("target user", "target users"),
        format,
        all_pages: all,
        filter: filter.clone(),
    };
    audit::spawn_counted_export(state.store.clone(), record, tx, move |sink| async move {
        store
            .export_target_users(company_id, &cursor_spec, all, sink)
            .await
    });
    let report = Report {
        title: "Target Users".into(),
        company: company.fields.name.clone(),
        filter_summary: filter,
    };
    export::respond(
        format,
        "Target Users",
        export::TARGET_USER_COLUMNS,
        rx,
        export::target_user_cells,
        report,
        &options,
        &state,
    )
    .await
    // A file: exempt from the response minimum rate, however slowly it is read (issue #11).
    .map(Streaming::mark)
}

/// Exports the companies a companies search selects (Reseller only).
#[utoipa::path(
    post, path = "/api/companies/search/export", operation_id = "exportCompanies", tag = "Company", params(crate::openapi::Scope, ExportOptions),
    request_body = SearchRequest,
    responses(
        (status = 200, description = "The file, named in Content-Disposition (`Companies.csv`, `.xlsx`, `.pdf`)",
            content((String = "text/csv"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (Vec<u8> = "application/pdf"))),
        crate::openapi::ApiErrors)
)]
pub async fn companies(
    State(state): State<AppState>,
    Scoped {
        caller,
        company: under,
        ..
    }: Scoped<Read>,
    Query(options): Query<ExportOptions>,
    KJson(req): KJson<SearchRequest>,
) -> ApiResult<Response> {
    caller.require_reseller()?;
    let format = Format::parse(req.export_type.as_deref())?;
    let (mut search, _) = company_search(&req, state.config.max_page_size)?;
    if req.report_all_pages.unwrap_or(false) {
        search.spec.offset = 0;
        search.spec.limit = i64::MAX;
    }
    // Companies are few (thousands at most), so one query reads them all.
    let page = state.store.search_companies(&under, &search).await?;
    if format == Format::Pdf && page.rows.len() as i64 > PDF_MAX_ROWS {
        return Err(pdf_too_big(page.rows.len() as i64));
    }
    let filter = export::filter_summary(
        req.filter.as_ref(),
        req.order_by.as_deref(),
        req.ascending.unwrap_or(false),
    );
    // Every row is read already: the export's audit row is written now.
    ExportRecord {
        actor: audit::actor(&caller),
        company: under.clone(),
        entity: Entity::Company,
        noun: ("company", "companies"),
        format,
        all_pages: req.report_all_pages.unwrap_or(false),
        filter: filter.clone(),
    }
    .write(
        &*state.store,
        page.rows.len() as u64,
        ExportOutcome::Completed,
    )
    .await;
    let (tx, rx) = mpsc::channel(1);
    // One batch of every row; the channel has room for it, so this never waits.
    let _ = tx.send(Ok(page.rows)).await;
    drop(tx);
    let CompanySearch { now, .. } = search;
    let report = Report {
        title: "Companies".into(),
        company: under.fields.name.clone(),
        filter_summary: filter,
    };
    export::respond(
        format,
        "Companies",
        export::COMPANY_COLUMNS,
        rx,
        move |c| export::company_cells(c, now),
        report,
        &options,
        &state,
    )
    .await
    // A file: exempt from the response minimum rate, however slowly it is read (issue #11).
    .map(Streaming::mark)
}

/// Columns of the import template, as the importer reads them (`Email Address` is required).
pub const TEMPLATE_COLUMNS: &[&str] = &[
    "First Name",
    "Last Name",
    "Email Address",
    "Phone Number",
    "Department",
    "Time Zone",
    "Priority",
    "Manager First Name",
    "Manager Last Name",
    "Manager Email",
];

/// Body of `example-file`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExampleFileRequest {
    /// `Excel` (default) or `CSV`.
    #[serde(default)]
    pub export_type: Option<String>,
}

/// The import template with one example row, in Excel or CSV.
#[utoipa::path(
    post, path = "/api/target-users/example-file", operation_id = "getTargetUserExampleFile", tag = "TargetUser", params(ExportOptions),
    request_body = ExampleFileRequest,
    responses(
        (status = 200, description = "The import template with one example row",
            content((String = "text/csv"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        crate::openapi::ApiErrors)
)]
pub async fn example_file(
    State(state): State<AppState>,
    _caller: Caller,
    Query(options): Query<ExportOptions>,
    KJson(req): KJson<ExampleFileRequest>,
) -> ApiResult<Response> {
    let format = Format::parse(req.export_type.as_deref().or(Some("Excel")))?;
    if format == Format::Pdf {
        return Err(ApiError::bad_request(
            "the import template is available as Excel or CSV, not PDF",
        ));
    }
    let example = [
        "Jane",
        "Doe",
        "jane.doe@example.com",
        "+442071234567",
        "Finance",
        "Europe/London",
        "Medium",
        "John",
        "Smith",
        "john.smith@example.com",
    ];
    let (tx, rx) = mpsc::channel(1);
    let _ = tx.send(Ok(vec![example])).await;
    drop(tx);
    let report = Report {
        title: "Import template".into(),
        company: String::new(),
        filter_summary: String::new(),
    };
    let to_cells = |row: &[&str; 10]| row.iter().map(|s| Cell::Text((*s).to_owned())).collect();
    export::respond(
        format,
        "target_user_sample_file",
        TEMPLATE_COLUMNS,
        rx,
        to_cells,
        report,
        &options,
        &state,
    )
    .await
    // A file: exempt from the response minimum rate, however slowly it is read (issue #11).
    .map(Streaming::mark)
}
