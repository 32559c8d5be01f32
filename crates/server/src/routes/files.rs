//! The tails the exports share: a store cursor streamed into the requested file, its rows
//! counted into one audit row when it ends (target users, audit rows), or rows read already in
//! one query (companies, API clients, allowed domains: few) sent as one batch ([`send_read`]).
//! The heads they share too: the request an export reads ([`ExportRequest`]) and what names a
//! kind of export ([`ExportKind`]).

use std::future::Future;
use std::marker::PhantomData;

use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::response::{IntoResponse, Response};
use rollcall_store::{Entity, Fields, SearchSpec, StoreError};
use rollcall_types::SearchRequest;
use tokio::sync::mpsc;

use crate::audit::{self, ExportOutcome, ExportRecord, RowSender};
use crate::auth::caller::Caller;
use crate::error::ApiResult;
use crate::export::{
    self, pdf_too_big, Cell, ExportOptions, Format, Report, CHANNEL_BATCHES, PDF_MAX_ROWS,
};
use crate::extract::KJson;
use crate::scope::{CustomerData, DataKind, Read, Scoped};
use crate::state::AppState;

/// One kind of export (`Target Users`, `Companies`, ...), as a type: the file's title, which
/// the `Content-Disposition` header and the document ([`crate::openapi::ExportFile`]) both
/// name, and how the audit log records the export.
pub trait ExportKind {
    /// The report title and the file's base name (`Target Users`).
    const TITLE: &'static str;
    /// The audit log's entity of the export's row.
    const ENTITY: Entity;
    /// The exported row, in the audit description: one and many (`target user`, `target users`).
    const NOUN: (&'static str, &'static str);

    /// Refuses a caller who may not export this kind, before the export's `exportType` is
    /// read; anyone the scope admits, by default.
    fn may_export(_caller: &Caller) -> ApiResult<()> {
        Ok(())
    }
}

/// What a `.../search/export` handler of `T` reads, in this order (so their errors come in
/// this order): the caller and the company of scope `D` ([`Scoped`]), the file options of the
/// query string, the search body, [`ExportKind::may_export`], then the export's record (its
/// format: a bad `exportType` is 400).
pub struct ExportRequest<T, D = CustomerData> {
    /// Who asks.
    pub caller: Caller,
    /// The export's audit record, which holds the scoped company (`record.company`).
    pub record: ExportRecord,
    /// The search that selects the rows.
    pub search: SearchRequest,
    /// The query string's file options.
    pub options: ExportOptions,
    kind: PhantomData<(T, D)>,
}

impl<T: ExportKind, D: DataKind> FromRequest<AppState> for ExportRequest<T, D> {
    // Each part's own reply, as when the handler took the parts one by one.
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let Scoped {
            caller, company, ..
        } = Scoped::<Read, D>::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let Query(options) = Query::<ExportOptions>::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let KJson(search) =
            KJson::<SearchRequest>::from_request(Request::from_parts(parts, body), state)
                .await
                .map_err(IntoResponse::into_response)?;
        T::may_export(&caller).map_err(IntoResponse::into_response)?;
        let record = ExportRecord::requested(&caller, company, &search, T::ENTITY, T::NOUN)
            .map_err(IntoResponse::into_response)?;
        Ok(ExportRequest {
            caller,
            record,
            search,
            options,
            kind: PhantomData,
        })
    }
}

/// A row's cells, in its file's column order.
pub type ToCells<T> = Box<dyn Fn(&T) -> Vec<Cell> + Send + Sync>;

/// What a file of one kind of row looks like.
pub struct FileKind<T> {
    /// The report title and the file's base name (`Target Users`).
    pub title: &'static str,
    /// The header row.
    pub columns: Vec<String>,
    /// A row's cells, in `columns` order.
    pub cells: ToCells<T>,
    /// Columns the PDF shows besides its standard ones, and what it says it left out.
    pub pdf_columns: Vec<String>,
    /// See [`Report::left_out`].
    pub left_out: Option<String>,
}

impl<T: 'static> FileKind<T> {
    /// A file whose columns are the same for every export of it.
    pub fn fixed(title: &'static str, columns: &[&str], cells: fn(&T) -> Vec<Cell>) -> Self {
        FileKind {
            title,
            columns: owned(columns),
            cells: Box::new(cells),
            pdf_columns: vec![],
            left_out: None,
        }
    }
}

/// Column names as the writers take them.
pub fn owned(columns: &[&str]) -> Vec<String> {
    columns.iter().map(|c| (*c).to_owned()).collect()
}

/// Streams `cursor`'s rows into a file of `kind`, recording the export as `record` says.
pub async fn stream<T, F, Fut>(
    state: &AppState,
    record: ExportRecord,
    kind: FileKind<T>,
    options: &ExportOptions,
    cursor: F,
) -> ApiResult<Response>
where
    T: Send + 'static,
    F: FnOnce(RowSender<T>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), StoreError>> + Send + 'static,
{
    let (tx, rx) = mpsc::channel(CHANNEL_BATCHES);
    let format = record.format;
    let report = Report {
        pdf_columns: kind.pdf_columns,
        left_out: kind.left_out,
        ..report(&record, kind.title)
    };
    // The cursor's rows are counted on their way to the file; the audit row is written when
    // it ends.
    audit::spawn_counted_export(state.store.clone(), record, tx, cursor);
    export::respond(
        format,
        kind.title,
        kind.columns,
        rx,
        kind.cells,
        report,
        options,
        state,
    )
    .await
}

/// The heading of the file `record`'s export sends, titled `title`.
fn report(record: &ExportRecord, title: &str) -> Report {
    Report {
        title: title.into(),
        company: record.company.fields.name.clone(),
        filter_summary: record.filter.clone(),
        pdf_columns: vec![],
        left_out: None,
        noun: record.noun,
    }
}

/// Refuses a PDF of every match past [`PDF_MAX_ROWS`] before the file starts, as `record`
/// asks for one: `search` runs the export's search for its count only (a page of no rows).
pub async fn refuse_big_pdf<R, Fut>(
    record: &ExportRecord,
    spec: &SearchSpec,
    search: impl FnOnce(SearchSpec) -> Fut,
) -> ApiResult<()>
where
    Fut: Future<Output = Result<(i64, R), StoreError>>,
{
    if record.format != Format::Pdf || !record.all_pages {
        return Ok(());
    }
    let (total, _) = search(SearchSpec {
        limit: 0,
        ..spec.clone()
    })
    .await?;
    if total > PDF_MAX_ROWS {
        return Err(pdf_too_big(total));
    }
    Ok(())
}

/// The rows a short list's export reads at once ([`send_read`]): the search's page, or every
/// match with `reportAllPages`.
pub fn read_spec(
    state: &AppState,
    record: &ExportRecord,
    search: &SearchRequest,
    fields: &Fields<'_>,
) -> ApiResult<SearchSpec> {
    let (mut spec, _) = crate::routes::search_spec(state, search, fields, &record.company)?;
    if record.all_pages {
        spec.every_page();
    }
    Ok(spec)
}

/// The export of a short list (a company's allowed domains, API clients, groups or SCIM
/// integrations): `read` gets the company's id and the rows' spec ([`read_spec`]) and reads
/// them in one query; they go out as one batch of a file of `K`'s title ([`send_read`]).
pub async fn export_read<K, T, Fut>(
    state: &AppState,
    ExportRequest {
        record,
        search,
        options,
        ..
    }: ExportRequest<K>,
    (fields, columns): (&Fields<'_>, &'static [&'static str]),
    read: impl FnOnce(i64, SearchSpec) -> Fut,
    cells: impl Fn(&T) -> Vec<Cell> + Send + Sync + 'static,
) -> ApiResult<Response>
where
    K: ExportKind,
    T: Send + 'static,
    Fut: Future<Output = ApiResult<Vec<T>>>,
{
    let spec = read_spec(state, &record, &search, fields)?;
    let rows = read(record.company.id, spec).await?;
    send_read(state, record, (K::TITLE, columns), rows, cells, &options).await
}

/// Sends `rows`, read already (lists short enough for one query: a reseller's companies, a
/// company's API clients or allowed domains), as a file of `title` (`cells` gives a row's cells
/// in `columns` order), after writing the export's audit row; refuses a PDF past
/// [`PDF_MAX_ROWS`] first.
pub async fn send_read<T, F>(
    state: &AppState,
    record: ExportRecord,
    (title, columns): (&'static str, &'static [&'static str]),
    rows: Vec<T>,
    cells: F,
    options: &ExportOptions,
) -> ApiResult<Response>
where
    T: Send + 'static,
    F: Fn(&T) -> Vec<Cell> + Send + Sync + 'static,
{
    let format = record.format;
    let count = rows.len() as i64;
    if format == Format::Pdf && count > PDF_MAX_ROWS {
        return Err(pdf_too_big(count));
    }
    // Every row is read already: the export's audit row is written now.
    record
        .write(&state.store, count as u64, ExportOutcome::Completed)
        .await;
    let report = report(&record, title);
    let rows = export::one_batch(rows);
    export::respond(
        format,
        title,
        owned(columns),
        rows,
        cells,
        report,
        options,
        state,
    )
    .await
}
