//! CSV export, streamed as it is written.

use axum::body::Bytes;
use futures::Stream;

use super::{neutralise, Cell, Rows};

/// Bytes gathered before a chunk is sent.
const CHUNK: usize = 64 * 1024;

fn encode_row<W: std::io::Write>(w: &mut csv::Writer<W>, cells: &[Cell]) -> csv::Result<()> {
    for cell in cells {
        match cell {
            // Borrowed unless the text needs neutralising: no copy per field.
            Cell::Text(s) => w.write_field(neutralise(s).as_bytes())?,
            other => w.write_field(other.text())?,
        }
    }
    w.write_record(None::<&[u8]>)
}

/// Header (with the optional UTF-8 BOM) as the first chunk.
fn header(columns: &[String], bom: bool) -> std::io::Result<Bytes> {
    let mut buf = Vec::new();
    if bom {
        buf.extend_from_slice("\u{feff}".as_bytes());
    }
    let mut w = csv::Writer::from_writer(&mut buf);
    // Column names can be users' text (custom fields): neutralised as cells are.
    w.write_record(columns.iter().map(|c| neutralise(c).into_owned()))?;
    w.flush()?;
    drop(w);
    Ok(Bytes::from(buf))
}

/// Fills one chunk from the receiver. `None` when the rows are exhausted and nothing is left.
async fn next_chunk<T, F: Fn(&T) -> Vec<Cell>>(
    rows: &mut Rows<T>,
    to_cells: &F,
) -> Option<(std::io::Result<Bytes>, bool)> {
    let mut buf = Vec::with_capacity(CHUNK + 4096);
    let mut done = false;
    {
        let mut w = csv::Writer::from_writer(&mut buf);
        while w.get_ref().len() < CHUNK {
            match rows.recv().await {
                None => {
                    done = true;
                    break;
                }
                Some(Ok(batch)) => {
                    for row in &batch {
                        if let Err(e) = encode_row(&mut w, &to_cells(row)) {
                            return Some((Err(std::io::Error::other(e)), true));
                        }
                    }
                }
                Some(Err(e)) => {
                    tracing::error!(error = %e, "export cursor failed");
                    return Some((Err(std::io::Error::other(e)), true));
                }
            }
        }
        if let Err(e) = w.flush() {
            return Some((Err(e), true));
        }
    }
    if done && buf.is_empty() {
        return None;
    }
    Some((Ok(Bytes::from(buf)), done))
}

/// The CSV file as a byte stream: optional UTF-8 BOM, header, then one record per row. A
/// dropped stream (client gone) drops the receiver, which stops the database cursor.
pub fn stream<T, F>(
    columns: Vec<String>,
    rows: Rows<T>,
    to_cells: F,
    bom: bool,
) -> impl Stream<Item = std::io::Result<Bytes>>
where
    T: Send + 'static,
    F: Fn(&T) -> Vec<Cell> + Send + Sync + 'static,
{
    let first = futures::stream::iter([header(&columns, bom)]);
    let rest = futures::stream::unfold(Some((rows, to_cells)), |state| async move {
        let (mut rows, to_cells) = state?;
        let (chunk, done) = next_chunk(&mut rows, &to_cells).await?;
        Some((chunk, if done { None } else { Some((rows, to_cells)) }))
    });
    futures::StreamExt::chain(first, rest)
}
