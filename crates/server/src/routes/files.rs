//! The tail the cursor exports share (target users, audit rows): a store cursor streamed into
//! the requested file, its rows counted into one audit row when it ends.

use std::future::Future;

use axum::response::Response;
use rollcall_store::StoreError;
use tokio::sync::mpsc;

use crate::audit::{self, ExportRecord, RowSender};
use crate::conn::Streaming;
use crate::error::ApiResult;
use crate::export::{self, Cell, ExportOptions, Report, CHANNEL_BATCHES};
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
