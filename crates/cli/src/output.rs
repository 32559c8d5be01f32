//! Output: an aligned table for people, JSON for programs, and progress bars on stderr.

use std::io::{IsTerminal, Write};

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
}

/// The resolved output mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Table,
    Json,
}

impl OutputArg {
    pub fn mode(self) -> Mode {
        match self {
            OutputArg::Table => Mode::Table,
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

/// Prints a table to stdout.
pub fn print_table(t: &Table) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{t}")?;
    Ok(())
}

/// Prints a value as pretty JSON to stdout.
pub fn print_json<T: Serialize + ?Sized>(v: &T) -> Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, v)?;
    writeln!(out)?;
    Ok(())
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
        Mode::Table => {
            let cells = rows.map_ok(cells).try_collect().await?;
            print_table(&table(header, cells, &[]))
        }
    }
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
/// memory.
pub async fn json_array<T, E>(
    mut rows: impl futures::Stream<Item = std::result::Result<T, E>> + Unpin,
) -> Result<()>
where
    T: Serialize,
    E: std::error::Error + Send + Sync + 'static,
{
    use futures::TryStreamExt;
    let mut out = std::io::stdout().lock();
    write!(out, "[")?;
    let mut n = 0usize;
    while let Some(row) = rows.try_next().await? {
        write!(out, "{}\n  ", if n == 0 { "" } else { "," })?;
        serde_json::to_writer(&mut out, &row)?;
        n += 1;
    }
    writeln!(out, "{}]", if n == 0 { "" } else { "\n" })?;
    Ok(())
}
