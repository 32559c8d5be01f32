//! Export cursors: rows stream from one read transaction to the file writer in batches. The
//! loop that batches and sends ([`send_all`]) is shared; each engine only opens its cursor
//! ([`sqlite`], [`postgres`], or the pool's own connection for in-memory SQLite and audit rows).

pub(crate) mod postgres;
pub(crate) mod sqlite;

use futures::{Stream, StreamExt};
use tokio::sync::mpsc::Sender;

use crate::{ExportedUser, Result};

/// Users an export cursor gathers before it sends them: one channel message, and at most one
/// wake-up of the file writer, per batch instead of per row. Sending each row woke the writer a
/// million times in a million-row export, about a sixth of its time.
pub const EXPORT_BATCH_ROWS: usize = 256;

/// Where an export cursor sends its users, in order, in batches of up to
/// [`EXPORT_BATCH_ROWS`]; bounded, so a slow client slows the cursor instead of filling memory.
/// An `Err` ends the export.
pub type ExportSink = Sender<Result<Vec<ExportedUser>>>;

/// How a cursor's loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sent {
    /// Every row was sent.
    All,
    /// The receiver went away (the client left): the caller drops the cursor instead of
    /// reading it to its end.
    ReceiverGone,
}

/// Sends `rows` to `out` in batches of [`EXPORT_BATCH_ROWS`], in order; the first error ends
/// the loop and is returned to the caller, which reports it.
pub(crate) async fn send_all<T>(
    rows: impl Stream<Item = Result<T>>,
    out: &Sender<Result<Vec<T>>>,
) -> Result<Sent> {
    let mut rows = std::pin::pin!(rows);
    let mut batch = Vec::with_capacity(EXPORT_BATCH_ROWS);
    while let Some(row) = rows.next().await {
        batch.push(row?);
        if batch.len() >= EXPORT_BATCH_ROWS {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(EXPORT_BATCH_ROWS));
            if out.send(Ok(full)).await.is_err() {
                return Ok(Sent::ReceiverGone);
            }
        }
    }
    if !batch.is_empty() && out.send(Ok(batch)).await.is_err() {
        return Ok(Sent::ReceiverGone);
    }
    Ok(Sent::All)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Full batches go as soon as they fill, the rest at the end, in order.
    #[tokio::test]
    async fn batches_fill_then_the_rest_follows() {
        let (tx, mut rx) = tokio::sync::mpsc::channel(8);
        let n = EXPORT_BATCH_ROWS * 2 + 3;
        let sent = send_all(futures::stream::iter((0..n).map(Ok)), &tx)
            .await
            .unwrap();
        drop(tx);
        assert_eq!(sent, Sent::All);
        let mut sizes = vec![];
        let mut all = vec![];
        while let Some(b) = rx.recv().await {
            let b = b.unwrap();
            sizes.push(b.len());
            all.extend(b);
        }
        assert_eq!(sizes, [EXPORT_BATCH_ROWS, EXPORT_BATCH_ROWS, 3]);
        assert_eq!(all, (0..n).collect::<Vec<_>>());
    }

    /// A receiver that went away stops the loop at the next send, without reading on.
    #[tokio::test]
    async fn a_closed_receiver_stops_the_loop() {
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<usize>>>(1);
        drop(rx);
        let read = std::sync::atomic::AtomicUsize::new(0);
        let rows = futures::stream::iter((0..EXPORT_BATCH_ROWS * 10).map(|i| {
            read.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Ok(i)
        }));
        assert_eq!(send_all(rows, &tx).await.unwrap(), Sent::ReceiverGone);
        assert_eq!(
            read.load(std::sync::atomic::Ordering::Relaxed),
            EXPORT_BATCH_ROWS
        );
    }

    /// An error ends the loop with that error.
    #[tokio::test]
    async fn an_error_ends_the_loop() {
        let (tx, _rx) = tokio::sync::mpsc::channel::<Result<Vec<usize>>>(8);
        let rows = futures::stream::iter([Ok(1), Err(crate::StoreError::NotFound), Ok(2)]);
        assert!(matches!(
            send_all(rows, &tx).await,
            Err(crate::StoreError::NotFound)
        ));
    }
}
