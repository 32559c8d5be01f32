//! Output: an aligned table for people, JSON or CSV for programs, and progress bars on stderr.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Result;
use chrono::{DateTime, SecondsFormat, Utc};
use clap::ValueEnum;
use comfy_table::{CellAlignment, ContentArrangement, Table};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

/// `--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputArg {
    /// A table on a terminal, JSON when stdout is piped or redirected.
    Auto,
    /// An aligned table.
    Table,
    /// JSON.
    Json,
    /// The table's header and cells as CSV (listings and other tables).
    Csv,
}

/// The resolved output mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Table,
    Json,
}

/// Set by `--output csv`: tables print as CSV. Commands match on the two [`Mode`]s, and CSV is
/// only another rendering of a table, so it is applied where tables print, not in each command.
static CSV: AtomicBool = AtomicBool::new(false);

/// Whether tables print as CSV (`--output csv`).
pub fn csv() -> bool {
    CSV.load(Ordering::Relaxed)
}

impl OutputArg {
    pub fn mode(self) -> Mode {
        CSV.store(self == OutputArg::Csv, Ordering::Relaxed);
        match self {
            OutputArg::Table | OutputArg::Csv => Mode::Table,
            OutputArg::Json => Mode::Json,
            OutputArg::Auto if std::io::stdout().is_terminal() => Mode::Table,
            OutputArg::Auto => Mode::Json,
        }
    }
}

/// A table with a header row; numeric columns (by index) are right-aligned.
pub fn table(header: &[&str], rows: Vec<Vec<String>>, numeric: &[usize]) -> Table {
    let mut t = Table::new();
    t.load_preset("     ──            ")
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.iter().copied());
    for r in rows {
        t.add_row(r);
    }
    for &i in numeric {
        if let Some(col) = t.column_mut(i) {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
    t
}

/// Set once a reader closed stdout (`rollcall ... | head -1`).
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Whether a reader closed stdout: what is left to print has nowhere to go.
pub fn stdout_closed() -> bool {
    STDOUT_CLOSED.load(Ordering::Relaxed)
}

/// Writes `bytes` to stdout and flushes them. A reader that stops early (`| head`) is not an
/// error: the command ends as a success, as `yes | head` does, and later writes are skipped.
pub fn write_stdout(bytes: &[u8]) -> Result<()> {
    if stdout_closed() {
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
            Ok(())
        }
        other => Ok(other?),
    }
}

/// Prints a line of text to stdout (a closed pipe ends output quietly, see [`write_stdout`]).
pub fn print_line(text: impl std::fmt::Display) -> Result<()> {
    write_stdout(format!("{text}\n").as_bytes())
}

/// Prints a table to stdout: aligned, or as CSV with `--output csv`.
pub fn print_table(t: &Table) -> Result<()> {
    if !csv() {
        return print_line(t);
    }
    let mut records = Vec::new();
    if let Some(header) = t.header() {
        records.push(header.cell_iter().map(|c| c.content()).collect());
    }
    for row in t.row_iter() {
        records.push(row.cell_iter().map(|c| c.content()).collect());
    }
    write_stdout(&csv_records(&records)?)
}

/// `records` as CSV text (fields quoted where needed, lines ending in `\n`).
pub fn csv_records(records: &[Vec<String>]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in records {
        w.write_record(r)?;
    }
    Ok(w.into_inner().map_err(|e| e.into_error())?)
}

/// Prints a value as pretty JSON to stdout.
pub fn print_json<T: Serialize + ?Sized>(v: &T) -> Result<()> {
    let mut text = serde_json::to_vec_pretty(v)?;
    text.push(b'\n');
    write_stdout(&text)
}

/// Prints a listing: `rows` as pretty JSON, or a table of `cells(row)` under `header` (the
/// `numeric` columns right-aligned).
pub fn print_rows<T: Serialize>(
    mode: Mode,
    rows: &[T],
    header: &[&str],
    numeric: &[usize],
    cells: impl FnMut(&T) -> Vec<String>,
) -> Result<()> {
    match mode {
        Mode::Json => print_json(rows),
        Mode::Table => print_table(&table(header, rows.iter().map(cells).collect(), numeric)),
    }
}

/// Prints a streamed listing: a JSON array written as the rows arrive (see [`json_array`]), or
/// a table of `cells(row)` under `header` once they all have.
pub async fn print_stream<T, E>(
    mode: Mode,
    rows: impl futures::Stream<Item = std::result::Result<T, E>> + Unpin,
    header: &[&str],
    cells: impl FnMut(T) -> Vec<String>,
) -> Result<()>
where
    T: Serialize,
    E: std::error::Error + Send + Sync + 'static,
{
    use futures::TryStreamExt;
    match mode {
        Mode::Json => json_array(rows).await,
        Mode::Table if csv() => csv_stream(rows, header, cells).await,
        Mode::Table => {
            let cells = rows.map_ok(cells).try_collect().await?;
            print_table(&table(header, cells, &[]))
        }
    }
}

/// Writes `rows` to stdout as CSV as they arrive, under `header`. As with [`json_array`], nothing
/// is written before the first page arrives, so a request that fails leaves stdout empty.
async fn csv_stream<T, E>(
    mut rows: impl futures::Stream<Item = std::result::Result<T, E>> + Unpin,
    header: &[&str],
    mut cells: impl FnMut(T) -> Vec<String>,
) -> Result<()>
where
    E: std::error::Error + Send + Sync + 'static,
{
    use futures::TryStreamExt;
    let first = rows.try_next().await?;
    let header: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
    let mut batch = vec![header];
    batch.extend(first.map(&mut cells));
    write_stdout(&csv_records(&batch)?)?;
    while !stdout_closed() {
        let Some(row) = rows.try_next().await? else {
            break;
        };
        write_stdout(&csv_records(&[cells(row)])?)?;
    }
    Ok(())
}

/// A time for a table cell.
pub fn time(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// A progress bar on stderr, only when stderr is a terminal (hidden otherwise).
pub fn progress(total: Option<u64>, what: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = match total {
        Some(n) => ProgressBar::new(n).with_style(
            ProgressStyle::with_template(
                "{spinner} {msg} [{bar:30}] {pos}/{len} {per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        ),
        None => ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("{spinner} {msg} {pos} {per_sec} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        ),
    };
    bar.set_message(what.to_owned());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

/// A byte-counting progress bar on stderr, only on a terminal.
pub fn byte_progress(what: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner().with_style(
        ProgressStyle::with_template("{spinner} {msg} {bytes} ({bytes_per_sec}) {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(what.to_owned());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

/// Writes `rows` to stdout as a JSON array as they arrive, so a long listing is never held in
/// memory. Nothing is written before the first page arrives, so a request that fails leaves
/// stdout empty; once a reader closes stdout, no further page is fetched.
pub async fn json_array<T, E>(
    mut rows: impl futures::Stream<Item = std::result::Result<T, E>> + Unpin,
) -> Result<()>
where
    T: Serialize,
    E: std::error::Error + Send + Sync + 'static,
{
    use futures::TryStreamExt;
    let Some(first) = rows.try_next().await? else {
        return write_stdout(b"[]\n");
    };
    let mut chunk = b"[\n  ".to_vec();
    serde_json::to_writer(&mut chunk, &first)?;
    write_stdout(&chunk)?;
    while !stdout_closed() {
        let Some(row) = rows.try_next().await? else {
            break;
        };
        chunk.clear();
        chunk.extend_from_slice(b",\n  ");
        serde_json::to_writer(&mut chunk, &row)?;
        write_stdout(&chunk)?;
    }
    write_stdout(b"\n]\n")
}
