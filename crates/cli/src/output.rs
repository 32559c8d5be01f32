//! Output: an aligned table for people, JSON or CSV for programs, and progress bars on stderr.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use anyhow::Result;
use chrono::{DateTime, SecondsFormat, Utc};
use clap::ValueEnum;
use comfy_table::{CellAlignment, ContentArrangement, Table};
use indicatif::{MultiProgress, ProgressBar, ProgressState, ProgressStyle};
use serde::Serialize;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

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

/// How tables are laid out (`--wide`, `--columns`); set once per run by `Common::mode`.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// Cells at full length, whatever the terminal's width.
    pub wide: bool,
    /// The listing columns to show, in this order, by header name (any case, spaces ignored).
    pub columns: Vec<String>,
}

static LAYOUT: OnceLock<Layout> = OnceLock::new();

/// Sets the run's table layout; the first call wins.
pub fn set_layout(layout: Layout) {
    let _ = LAYOUT.set(layout);
}

fn layout() -> &'static Layout {
    static DEFAULT: Layout = Layout {
        wide: false,
        columns: Vec::new(),
    };
    LAYOUT.get().unwrap_or(&DEFAULT)
}

/// The width tables fit: `COLUMNS` when set (as shells and `gh` honour it), else the
/// terminal's; `None` (no limit) for a pipe or with `--wide`.
fn fit_width() -> Option<u16> {
    if layout().wide {
        return None;
    }
    if let Some(n) = std::env::var("COLUMNS")
        .ok()
        .and_then(|v| v.trim().parse::<u16>().ok())
        .filter(|n| *n > 0)
    {
        return Some(n);
    }
    // comfy-table asks the terminal (stdout) itself and answers `None` for a pipe; a terminal
    // that reports no size (0 columns) gets whole cells too.
    Table::new().width().filter(|w| *w > 0)
}

fn header_key(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace() && *c != '-' && *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// The listing's columns `--columns` keeps, as indexes into `header` in the order asked for;
/// `None` without `--columns`. A name that is not a column is refused with the valid ones.
pub fn picked_columns(header: &[&str]) -> Result<Option<Vec<usize>>> {
    let wanted = &layout().columns;
    if wanted.is_empty() {
        return Ok(None);
    }
    let keys: Vec<String> = header.iter().map(|h| header_key(h)).collect();
    wanted
        .iter()
        .map(|w| {
            keys.iter()
                .position(|k| *k == header_key(w))
                .ok_or_else(|| {
                    crate::exit::CliError::Usage(format!(
                        "--columns: this listing has no column '{w}'; its columns are {}",
                        header
                            .iter()
                            .map(|h| header_key(h))
                            .collect::<Vec<_>>()
                            .join(",")
                    ))
                    .into()
                })
        })
        .collect::<Result<Vec<_>>>()
        .map(Some)
}

/// `cells` cut down to the `picked` columns (all of them when `None`).
fn pick<T: Clone>(cells: &[T], picked: Option<&[usize]>) -> Vec<T> {
    match picked {
        None => cells.to_vec(),
        Some(ix) => ix.iter().filter_map(|&i| cells.get(i).cloned()).collect(),
    }
}

/// A listing's table: `table` after `--columns` picked and ordered its columns.
pub fn listing(header: &[&str], rows: Vec<Vec<String>>, numeric: &[usize]) -> Result<Table> {
    let Some(picked) = picked_columns(header)? else {
        return Ok(table(header, rows, numeric));
    };
    let header = pick(header, Some(&picked));
    let rows = rows.iter().map(|r| pick(r, Some(&picked))).collect();
    let numeric: Vec<usize> = picked
        .iter()
        .enumerate()
        .filter(|(_, i)| numeric.contains(i))
        .map(|(at, _)| at)
        .collect();
    Ok(table(&header, rows, &numeric))
}

/// Columns of spaces each table column adds in [`table`]'s style (padding and gap).
const COLUMN_PADDING: usize = 3;
/// Columns are never cut narrower than this (or their widest cell, if that is narrower).
const MIN_COLUMN: usize = 6;

/// `text` cut to `width` display columns, ending in "…" when it was longer.
fn cut(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// The widest cell each column may keep so that a table of `widths` (each column's widest
/// cell) fits in `budget` columns: the widest columns give way first, narrow ones keep their
/// cells whole. `None` when the table already fits.
fn column_caps(widths: &[usize], budget: usize) -> Option<Vec<usize>> {
    if widths.iter().sum::<usize>() <= budget {
        return None;
    }
    let capped =
        |cap: usize| -> Vec<usize> { widths.iter().map(|&w| w.min(cap.max(MIN_COLUMN))).collect() };
    // The largest common cap that fits; past the narrowest possible table, that one.
    let (mut lo, mut hi) = (0, widths.iter().copied().max().unwrap_or(0));
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if capped(mid).iter().sum::<usize>() <= budget {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let mut caps = capped(lo);
    // Hand the columns left over to the cut columns, left to right.
    let mut spare = budget.saturating_sub(caps.iter().sum());
    for (cap, &w) in caps.iter_mut().zip(widths) {
        let more = w.saturating_sub(*cap).min(spare);
        *cap += more;
        spare -= more;
    }
    Some(caps)
}

/// The header and rows cut to fit `width` terminal columns.
fn fit(
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    width: usize,
) -> (Vec<String>, Vec<Vec<String>>) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.width()).collect();
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.width());
        }
    }
    let budget = width.saturating_sub(COLUMN_PADDING * widths.len());
    let Some(caps) = column_caps(&widths, budget) else {
        return (header, rows);
    };
    let cut_row = |r: Vec<String>| -> Vec<String> {
        r.iter()
            .zip(&caps)
            .map(|(cell, &cap)| cut(cell, cap))
            .collect()
    };
    (cut_row(header), rows.into_iter().map(cut_row).collect())
}

/// A table with a header row; numeric columns (by index) are right-aligned. On a terminal it
/// fits the width: each row stays on one line, long cells end in "…" (`--wide` keeps them).
pub fn table(header: &[&str], rows: Vec<Vec<String>>, numeric: &[usize]) -> Table {
    let header: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
    // `--output csv` prints the cells as they are; only a table for people is fitted.
    let width = if csv() { None } else { fit_width() };
    let (header, rows) = match width {
        Some(w) => {
            // Multi-line cells would break the one-line rows.
            let rows = rows
                .into_iter()
                .map(|r| {
                    r.into_iter()
                        .map(|c| c.replace(['\n', '\r'], " "))
                        .collect()
                })
                .collect();
            fit(header, rows, usize::from(w))
        }
        None => (header, rows),
    };
    let mut t = Table::new();
    t.load_preset("     ──            ")
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header);
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
        Mode::Table => print_table(&listing(header, rows.iter().map(cells).collect(), numeric)?),
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
            print_table(&listing(header, cells, &[])?)
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
    let picked = picked_columns(header)?;
    let mut cells = |row| pick(&cells(row), picked.as_deref());
    let first = rows.try_next().await?;
    let header: Vec<String> = pick(header, picked.as_deref())
        .iter()
        .map(|h| (*h).to_owned())
        .collect();
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

/// A count with thousands separators: `1,000,150` (a negative count, which none is, as 0).
pub fn thousands(n: impl TryInto<u64>) -> String {
    indicatif::HumanCount(n.try_into().unwrap_or(0)).to_string()
}

/// A byte count for people: `512 B`, `27 KiB`, `1.5 MiB` (one decimal at most).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1023.95 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    let text = format!("{value:.1}");
    let text = text.strip_suffix(".0").unwrap_or(&text);
    format!("{text} {}", UNITS[unit])
}

/// A time for a table cell.
pub fn time(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// Every progress bar of the run, so that [`notice`] can print above them.
static BARS: std::sync::LazyLock<MultiProgress> = std::sync::LazyLock::new(MultiProgress::new);

/// A style with a `{rate}` key: whole items per second ("1,234/s"), not indicatif's float.
fn style(template: &str, fallback: ProgressStyle) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .map(|s| {
            s.with_key(
                "rate",
                |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{}/s", indicatif::HumanCount(state.per_sec() as u64));
                },
            )
        })
        .unwrap_or(fallback)
}

/// Whether progress bars are drawn (stderr is a terminal): work done only to size a bar, such
/// as counting first, is skipped otherwise.
pub fn bars_shown() -> bool {
    std::io::stderr().is_terminal()
}

/// A progress bar on stderr, only when stderr is a terminal (hidden otherwise): with a total,
/// a bar with the count, percentage, rate and time left; without, a counting spinner.
pub fn progress(total: Option<u64>, what: &str) -> ProgressBar {
    if !bars_shown() {
        return ProgressBar::hidden();
    }
    let bar = match total {
        Some(n) => ProgressBar::new(n).with_style(
            style(
                "{spinner} {msg} [{bar:30}] {human_pos}/{human_len} {percent}% {rate} eta {eta}",
                ProgressStyle::default_bar(),
            )
            .progress_chars("=> "),
        ),
        None => ProgressBar::new_spinner().with_style(style(
            "{spinner} {msg} {human_pos} {rate} {elapsed}",
            ProgressStyle::default_spinner(),
        )),
    };
    let bar = BARS.add(bar);
    bar.set_message(what.to_owned());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

/// A byte-counting progress bar on stderr, only on a terminal.
pub fn byte_progress(what: &str) -> ProgressBar {
    if !bars_shown() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner().with_style(
        ProgressStyle::with_template("{spinner} {msg} {bytes} ({bytes_per_sec}) {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    let bar = BARS.add(bar);
    bar.set_message(what.to_owned());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

/// A line on stderr for the person running the command (why it waits, what it skipped),
/// printed above any progress bar rather than through it.
pub fn notice(line: &str) {
    BARS.suspend(|| eprintln!("{line}"));
}

/// The line [`notice`] prints when the client waits before trying a request again.
pub fn retry_line(n: &rollcall_client::RetryNotice) -> String {
    let secs = n.pause.as_secs_f64();
    let wait = if secs >= 10.0 {
        format!("{secs:.0} s")
    } else {
        format!("{secs:.1} s")
    };
    let why = match n.http_status {
        Some(429) => "The server is rate limiting this client (HTTP 429)".to_owned(),
        Some(503) => "The server is busy (HTTP 503)".to_owned(),
        Some(status) => format!("The server failed the request (HTTP {status})"),
        None => format!("The request failed ({})", n.error),
    };
    let asked = if n.server_asked { ", as it asked," } else { "" };
    format!(
        "{why}; waiting {wait}{asked} before attempt {} of {} (--retries sets the attempts).",
        n.attempt + 1,
        n.max_attempts
    )
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_sizes_have_one_decimal_at_most() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(1024), "1 KiB");
        assert_eq!(human_size(27 * 1024 + 100), "27.1 KiB");
        assert_eq!(human_size(1536 * 1024), "1.5 MiB");
        assert_eq!(human_size(1024 * 1024 - 1), "1 MiB");
        assert_eq!(human_size(3 * 1024 * 1024 * 1024), "3 GiB");
    }

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_000_150_i64), "1,000,150");
    }

    #[test]
    fn cut_keeps_short_text_and_marks_long_text() {
        assert_eq!(cut("Sales", 6), "Sales");
        assert_eq!(cut("Marketing", 6), "Marke…");
        // Wide characters count two columns.
        assert_eq!(cut("日本語テキスト", 6), "日本…");
        assert!(cut("日本語テキスト", 6).width() <= 6);
    }

    #[test]
    fn the_widest_columns_give_way_first() {
        assert_eq!(column_caps(&[10, 20, 5], 40), None);
        // 10 + 60 + 5 in 40: the narrow columns stay whole, the wide one takes the rest.
        assert_eq!(column_caps(&[10, 60, 5], 40), Some(vec![10, 25, 5]));
        // Two wide columns share what is left evenly (the spare column goes left).
        let caps = column_caps(&[50, 50, 4], 40).expect("cut");
        assert_eq!(caps.iter().sum::<usize>(), 40);
        assert_eq!(caps, vec![18, 18, 4]);
        // No column goes below the minimum, even when the table cannot fit.
        let caps = column_caps(&[30, 30, 30], 6).expect("cut");
        assert!(caps.iter().all(|&c| c == MIN_COLUMN), "{caps:?}");
    }

    #[test]
    fn fitted_rows_stay_within_the_width() {
        let header = vec!["Email".to_owned(), "Department".to_owned()];
        let rows = vec![vec![
            "someone.with.a.long.name@example.com".to_owned(),
            "Regional Enterprise Accounts".to_owned(),
        ]];
        let (header, rows) = fit(header, rows, 40);
        assert_eq!(header, ["Email", "Department"]);
        let used: usize = rows[0].iter().map(|c| c.width()).sum::<usize>() + 2 * COLUMN_PADDING;
        assert!(used <= 40, "{rows:?}");
        assert!(rows[0].iter().all(|c| c.ends_with('…')), "{rows:?}");
    }
}
