//! The tail the cursor exports share (target users, audit rows): a store cursor streamed into
//! the requested file, its rows counted into one audit row when it ends.

use std::future::Future;

use axum::response::Response;
use rollcall_store::{SearchSpec, StoreError};
use tokio::sync::mpsc;

use crate::audit::{self, ExportRecord, RowSender};
use crate::conn::Streaming;
use crate::error::ApiResult;
use crate::export::{
    self, pdf_too_big, Cell, ExportOptions, Format, Report, CHANNEL_BATCHES, PDF_MAX_ROWS,
};
use crate::state::AppState;

/// What a file of one kind of row looks like.
pub struct FileKind<T> {
    /// The report title and the file's base name (`Target Users`).
    pub title: &'static str,
    /// The header row.
    pub columns: &'static [&'static str],
    /// A row's cells, in `columns` order.
    pub cells: fn(&T) -> Vec<Cell>,
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
        title: kind.title.into(),
        company: record.company.fields.name.clone(),
        filter_summary: record.filter.clone(),
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
    // A file: exempt from the response minimum rate, however slowly it is read (issue #11).
    .map(Streaming::mark)
}

/// Refuses a PDF of every match (`all`) past [`PDF_MAX_ROWS`] before the file starts:
/// `total` runs the search for its count only (a page of no rows).
pub async fn refuse_big_pdf<Fut>(
    format: Format,
    all: bool,
    spec: &SearchSpec,
    total: impl FnOnce(SearchSpec) -> Fut,
) -> ApiResult<()>
where
    Fut: Future<Output = Result<i64, StoreError>>,
{
    if format != Format::Pdf || !all {
        return Ok(());
    }
    let total = total(SearchSpec {
        limit: 0,
        ..spec.clone()
    })
    .await?;
    if total > PDF_MAX_ROWS {
        return Err(pdf_too_big(total));
    }
    Ok(())
}
