//! `rollcall users export`: a company's users, or every managed company's, in one file.
//!
//! - csv, xlsx, pdf for one company: the server's export, streamed to the file as it arrives.
//! - json (an array) and ndjson (one object per line): the CLI pages through the search and
//!   writes each row as it comes.
//! - `--all-companies`: csv streams each company's server export in turn, with a `Company`
//!   column put first on every record (no CSV is held in memory); json/ndjson add `company` and
//!   `companyResourceId` to every object; xlsx and pdf page through each company's search (as
//!   json does, so this works against Keepnet's API too) and feed the rows to the server's own
//!   Excel and PDF writers (`rollcall_server::export`), with a `Company` column first and the
//!   server's export columns, cells and formats after it. Excel rows stream into the workbook
//!   (more than 1,048,575 users continue on `Sheet2`, ...). A PDF holds at most 5,000
//!   users: their number is summed from each company's first search page
//!   (`totalNumberOfRecords`) and a larger export is refused (exit 1, pointing to csv or xlsx)
//!   before the file is created. The hidden `--pdf-max-rows N` lowers that cap (for tests).
//!
//! The file is written as `FILE.partial` and renamed when complete, so a failed export never
//! leaves a truncated file under the requested name; Ctrl-C removes `FILE.partial` too (exit 130).
//!
//! Without `--format`, the format comes from the file's extension (`-o users.xlsx`). Every
//! export ends with one line on stderr naming the users written and the file's size.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};
use clap::{Args, ValueEnum};
use futures::{Stream, StreamExt, TryStreamExt};
use indicatif::ProgressBar;
use rollcall_client::types::target_user::TargetUserSearchView;
use rollcall_client::{Client, ClientError, ExportOptions, SearchRequest};
use rollcall_server::export::{self as files, Cell, Report, PDF_MAX_ROWS, TARGET_USER_COLUMNS};
use tokio::io::{AsyncWrite, AsyncWriteExt, BufWriter};

use super::{Common, Companies, FilterArgs};
use crate::exit::CliError;
use crate::output;
use crate::resolve::Company;

/// File formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Comma-separated values, UTF-8 with a byte-order mark (the server's export).
    Csv,
    /// Excel workbook (the server's export; with --all-companies, the server's writer).
    Xlsx,
    /// PDF report, at most 5,000 users (the server's export; with --all-companies, the
    /// server's writer).
    Pdf,
    /// A JSON array of user objects.
    Json,
    /// One JSON user object per line.
    Ndjson,
}

impl Format {
    /// The format a file name's extension names (any case), if any.
    fn from_extension(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        EXTENSIONS
            .iter()
            .find(|(e, _)| *e == ext)
            .map(|&(_, format)| format)
    }
}

/// File extensions `-o` may end with when `--format` is not given.
const EXTENSIONS: [(&str, Format); 6] = [
    ("csv", Format::Csv),
    ("xlsx", Format::Xlsx),
    ("pdf", Format::Pdf),
    ("json", Format::Json),
    ("ndjson", Format::Ndjson),
    ("jsonl", Format::Ndjson),
];

/// `--format` when given, else the format `out`'s extension names; a usage error (exit 1)
/// when neither says.
fn resolve_format(flag: Option<Format>, out: &Path) -> Result<Format, CliError> {
    if let Some(f) = flag {
        return Ok(f);
    }
    if out == Path::new("-") {
        return Err(CliError::Usage(
            "writing to standard output (-o -) needs --format csv|xlsx|pdf|json|ndjson".into(),
        ));
    }
    Format::from_extension(out).ok_or_else(|| {
        let known: Vec<String> = EXTENSIONS.iter().map(|(e, _)| format!(".{e}")).collect();
        CliError::Usage(format!(
            "cannot tell the export format from the file name {}: known extensions are {}; pass --format csv|xlsx|pdf|json|ndjson, or use one of those extensions",
            out.display(),
            known.join(", ")
        ))
    })
}

/// "1 user", "150 users".
fn users_phrase(n: u64) -> String {
    if n == 1 {
        "1 user".into()
    } else {
        format!("{n} users")
    }
}

/// Flags of `users export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    companies: Companies,
    /// File format (default: from the file's extension: .csv, .xlsx, .pdf, .json, .ndjson,
    /// .jsonl).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Output file ("-" for standard output).
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    out: PathBuf,
    #[command(flatten)]
    filter: FilterArgs,
    /// Only the members of this target group of the company (by name or resource id).
    #[arg(long, value_name = "NAME_OR_ID", conflicts_with = "all_companies")]
    group: Option<String>,
    /// Users per request for json and ndjson, and for xlsx and pdf with --all-companies.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    page_size: i64,
    /// Most users a pdf with --all-companies may hold; only lowers the 5,000 cap (for tests).
    #[arg(long, hide = true, default_value_t = PDF_MAX_ROWS, value_name = "N",
          value_parser = clap::value_parser!(i64).range(0..=PDF_MAX_ROWS))]
    pdf_max_rows: i64,
    /// For pdf with --all-companies: a TrueType or OpenType font for the characters DejaVu Sans
    /// lacks (Chinese, Japanese, Korean, ...), e.g.
    /// /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf. Repeat the flag (or separate
    /// paths with ':') for several, tried in order.
    #[arg(
        long,
        env = "ROLLCALL_PDF_FALLBACK_FONT",
        value_name = "FILE",
        value_delimiter = ':'
    )]
    pdf_fallback_font: Vec<String>,
}

/// The first column of an `--all-companies` csv, xlsx or pdf file.
const COMPANY_COLUMN: &str = "Company";

/// Where the export goes: `FILE.partial` renamed on success, or stdout.
struct Sink {
    target: Option<(PathBuf, PathBuf)>,
    out: Box<dyn AsyncWrite + Unpin + Send>,
    /// Bytes written so far: the file's size for the summary line.
    written: u64,
}

impl Sink {
    async fn open(path: &Path) -> Result<Sink> {
        if path == Path::new("-") {
            return Ok(Sink {
                target: None,
                out: Box::new(BufWriter::with_capacity(64 * 1024, tokio::io::stdout())),
                written: 0,
            });
        }
        let mut partial = path.as_os_str().to_owned();
        partial.push(".partial");
        let partial = PathBuf::from(partial);
        let file = tokio::fs::File::create(&partial)
            .await
            .with_context(|| format!("cannot create {}", partial.display()))?;
        Ok(Sink {
            target: Some((partial, path.to_path_buf())),
            out: Box::new(BufWriter::with_capacity(64 * 1024, file)),
            written: 0,
        })
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.out
            .write_all(bytes)
            .await
            .context("cannot write the export")?;
        self.written += bytes.len() as u64;
        Ok(())
    }

    /// Appends a whole file (a workbook the writer left in a temporary file).
    async fn copy_from(&mut self, file: std::fs::File) -> Result<()> {
        let mut file = tokio::fs::File::from_std(file);
        self.written += tokio::io::copy(&mut file, &mut self.out)
            .await
            .context("cannot write the export")?;
        Ok(())
    }

    async fn finish(mut self) -> Result<()> {
        self.out.flush().await.context("cannot write the export")?;
        self.out.shutdown().await.ok();
        if let Some((partial, path)) = &self.target {
            tokio::fs::rename(partial, path).await.with_context(|| {
                format!("cannot rename {} to {}", partial.display(), path.display())
            })?;
        }
        Ok(())
    }

    /// Removes `FILE.partial`; returns its path when there was one.
    async fn abort(self) -> Option<PathBuf> {
        drop(self.out);
        let (partial, _) = self.target?;
        let _ = tokio::fs::remove_file(&partial).await;
        Some(partial)
    }
}

/// Runs `users export`.
pub async fn run(common: &Common, a: ExportArgs) -> Result<()> {
    if !(1..=1000).contains(&a.page_size) {
        return Err(CliError::Usage("--page-size must be between 1 and 1000".into()).into());
    }
    let format = resolve_format(a.format, &a.out)?;
    // A PDF of several companies is set with the fallback fonts: loaded before any request, so
    // that a bad path fails at once.
    let fonts = match (a.companies.all_companies, format) {
        (true, Format::Pdf) => {
            let paths = crate::non_empty_paths(&a.pdf_fallback_font);
            Some(files::fonts::PdfFonts::load(&paths).map_err(CliError::Usage)?)
        }
        _ => None,
    };
    let client = common.client()?;
    let list = a.companies.resolve(&client).await?;
    let body = a.filter.search_request()?;
    let group = match (&a.group, list.as_slice()) {
        (Some(g), [c]) => Some(crate::resolve::group(&client, &c.id, g).await?.id),
        (Some(_), _) => return Err(CliError::Usage("--group needs one --company".into()).into()),
        (None, _) => None,
    };
    let mut total = None;
    if a.companies.all_companies && format == Format::Pdf {
        // Before the file is created, as the server refuses before its first byte.
        let n = count_users(&client, &list, &body).await?;
        pdf_fits(n, list.len(), a.pdf_max_rows)?;
        total = Some(n);
    }
    // Ctrl-C is caught from before the file exists, so that it never leaves `FILE.partial`
    // behind: the first poll installs the handler (until then SIGINT would end the process).
    let mut interrupted = Box::pin(tokio::signal::ctrl_c());
    let _ = futures::poll!(&mut interrupted);
    let mut sink = Sink::open(&a.out).await?;
    let source = Source {
        client: &client,
        group: group.as_deref(),
    };
    let job = Job {
        format,
        total,
        fonts,
    };
    let result = tokio::select! {
        r = write(source, &a, body, &list, &mut sink, job) => r.map(Some),
        _ = &mut interrupted => Ok(None),
    };
    match result {
        Ok(Some(summary)) => {
            let size = sink.written;
            sink.finish().await?;
            if a.out != Path::new("-") {
                eprintln!(
                    "{} to {} ({})",
                    summary.text(format),
                    a.out.display(),
                    output::human_size(size)
                );
            }
            Ok(())
        }
        Ok(None) => {
            match sink.abort().await {
                Some(partial) => eprintln!(
                    "interrupted: removed {}; nothing was written to {} (run the export again for the file)",
                    partial.display(),
                    a.out.display()
                ),
                None => eprintln!("interrupted: the export to standard output is incomplete"),
            }
            // 128 + SIGINT, as a shell reports a command that Ctrl-C ended.
            std::process::exit(130);
        }
        Err(e) => {
            sink.abort().await;
            Err(e)
        }
    }
}

/// What to write, decided before the file is opened.
struct Job {
    format: Format,
    /// Users of a pdf with --all-companies, counted beforehand (sizes the progress bar).
    total: Option<i64>,
    /// Fonts of a pdf with --all-companies.
    fonts: Option<files::fonts::PdfFonts>,
}

/// What an export wrote, for the summary line.
struct Summary {
    /// Users written; `None` when nothing tells (an Excel or PDF export of a --group).
    users: Option<u64>,
    /// "of Acme" or "of 3 companies".
    of: String,
}

impl Summary {
    fn text(&self, format: Format) -> String {
        match self.users {
            Some(n) => format!("Wrote {} {}", users_phrase(n), self.of),
            None => format!("Wrote the {} export {}", format_name(format), self.of),
        }
    }
}

/// Users the search selects in every company of `list`, summed from one-row search pages
/// (`totalNumberOfRecords`), a few companies at a time.
async fn count_users(client: &Client, list: &[Company], body: &SearchRequest) -> Result<i64> {
    let bar = output::progress(Some(list.len() as u64), "counting users");
    let counts: Vec<i64> = futures::stream::iter(list)
        .map(|c| {
            let body = SearchRequest {
                page_number: Some(1),
                page_size: Some(1),
                ..body.clone()
            };
            let bar = &bar;
            async move {
                let page = client.search_target_users_page(Some(&c.id), body).await;
                bar.inc(1);
                page.map(|p| p.total_number_of_records)
            }
        })
        .buffered(4)
        .try_collect()
        .await?;
    bar.finish_and_clear();
    Ok(counts.iter().sum())
}

/// Users the search selects in company `c`, from a one-row search page; `None` for a group's
/// members (the client has no single-page group search) or when the search fails (the export's
/// own request reports any real problem).
async fn count_one(source: Source<'_>, c: &Company, body: &SearchRequest) -> Option<u64> {
    if source.group.is_some() {
        return None;
    }
    let body = SearchRequest {
        page_number: Some(1),
        page_size: Some(1),
        ..body.clone()
    };
    let page = source
        .client
        .search_target_users_page(Some(&c.id), body)
        .await
        .ok()?;
    u64::try_from(page.total_number_of_records).ok()
}

/// Counts the data records of a CSV byte stream (header excluded), chunk by chunk: a line
/// break inside a quoted field is data, not a record end.
#[derive(Default)]
struct CsvCounter {
    in_quotes: bool,
    /// Record ends seen (header included).
    ends: u64,
    /// Bytes after the last record end (a last record without a line break).
    open: bool,
}

impl CsvCounter {
    fn feed(&mut self, chunk: &[u8]) {
        for &b in chunk {
            match b {
                b'"' => self.in_quotes = !self.in_quotes,
                b'\n' if !self.in_quotes => {
                    self.ends += 1;
                    self.open = false;
                    continue;
                }
                _ => {}
            }
            self.open = true;
        }
    }

    /// Data records: every record but the header.
    fn records(&self) -> u64 {
        (self.ends + u64::from(self.open)).saturating_sub(1)
    }
}

/// Whether `total` users of `companies` companies fit one PDF of at most `cap` rows. The CLI
/// refuses the request itself, before any file is made: a usage error (exit 1).
fn pdf_fits(total: i64, companies: usize, cap: i64) -> Result<(), CliError> {
    if total <= cap {
        return Ok(());
    }
    Err(CliError::Usage(format!(
        "a PDF export holds at most {cap} users and the {companies} companies have {total}; use --format csv or xlsx for large exports, or narrow the filter"
    )))
}

/// Where users are read from: a company's users, or with `group` the members of that group
/// (`--group`, which takes one company).
#[derive(Clone, Copy)]
struct Source<'a> {
    client: &'a Client,
    group: Option<&'a str>,
}

impl<'a> Source<'a> {
    /// Every user the search selects in company `c`, page after page.
    fn users(
        self,
        c: &Company,
        body: SearchRequest,
    ) -> futures::stream::BoxStream<'static, Result<TargetUserSearchView, ClientError>> {
        match self.group {
            Some(g) => self
                .client
                .search_target_group_users(Some(&c.id), g, body, usize::MAX),
            None => self.client.search_target_users(Some(&c.id), body),
        }
    }

    /// Starts the download of the users the search selects in company `c`.
    async fn download(
        self,
        c: &Company,
        body: SearchRequest,
        options: &ExportOptions,
    ) -> Result<rollcall_client::Download, ClientError> {
        match self.group {
            Some(g) => {
                self.client
                    .download_target_group_users(Some(&c.id), g, body, options)
                    .await
            }
            None => {
                self.client
                    .download_target_users(Some(&c.id), body, options)
                    .await
            }
        }
    }
}

/// Every user the search selects in each company of `list`, company after company, each
/// company's users in the search's order; the bar's message names the company being read.
fn users_of<'a>(
    source: Source<'a>,
    list: &'a [Company],
    body: SearchRequest,
    bar: &'a ProgressBar,
) -> impl Stream<Item = Result<(&'a Company, TargetUserSearchView), ClientError>> + 'a {
    futures::stream::iter(list.iter().enumerate()).flat_map(move |(i, c)| {
        bar.set_message(reading(c, i, list.len()));
        source.users(c, body.clone()).map_ok(move |u| (c, u))
    })
}

/// A bar's message while company `c`, number `i` (from 0) of `n`, is read.
fn reading(c: &Company, i: usize, n: usize) -> String {
    match n {
        1 => format!("users of {}", c.name),
        _ => format!("users of {} (company {} of {n})", c.name, i + 1),
    }
}

/// Users the search selects in all of `list`, for a progress bar's total; `None` when no bar
/// is drawn, no count is to be had (a group's members) or the count fails (the export reports
/// real problems).
async fn total_for_bar(source: Source<'_>, list: &[Company], body: &SearchRequest) -> Option<u64> {
    if !output::bars_shown() {
        return None;
    }
    match list {
        [c] => count_one(source, c, body).await,
        _ if source.group.is_some() => None,
        _ => count_users(source.client, list, body)
            .await
            .ok()
            .and_then(|n| u64::try_from(n).ok()),
    }
}

/// What the Excel or PDF writer made.
enum Built {
    /// A workbook in an unlinked temporary file.
    Xlsx(std::fs::File),
    /// A whole PDF.
    Pdf(Vec<u8>),
}

/// A row on its way to the writer: the company name and the user.
type JoinedRow = (String, TargetUserSearchView);

/// Rows sent to the writer at a time.
const BATCH_ROWS: usize = 256;

/// `--all-companies` xlsx and pdf: every company's users, read page by page from the search,
/// go through a bounded channel to the server's Excel or PDF writer on a blocking thread, with
/// the company name as a first column. `total` (pdf) sizes the progress bar. Returns the number
/// of users and the file.
async fn build_joined(
    client: &Client,
    a: &ExportArgs,
    body: SearchRequest,
    list: &[Company],
    job: Job,
) -> Result<(u64, Built)> {
    let Job {
        format,
        total,
        fonts,
    } = job;
    let columns: Vec<&'static str> = std::iter::once(COMPANY_COLUMN)
        .chain(TARGET_USER_COLUMNS.iter().copied())
        .collect();
    let to_cells = |(company, user): &JoinedRow| {
        let mut cells = Vec::with_capacity(TARGET_USER_COLUMNS.len() + 1);
        cells.push(Cell::Text(company.clone()));
        cells.extend(files::search_view_cells(user));
        cells
    };
    let report = Report {
        title: "Target Users".into(),
        company: "All companies".into(),
        filter_summary: files::filter_summary(
            body.filter.as_ref(),
            body.order_by.as_deref(),
            body.ascending.unwrap_or(false),
        ),
        pdf_columns: vec![],
        // Each company defines its own custom fields, so a file of several has none of them.
        left_out: Some("Custom fields are per company: export one company for them.".into()),
        noun: ("user", "users"),
    };
    let (tx, rx) =
        tokio::sync::mpsc::channel::<Result<Vec<JoinedRow>, String>>(files::CHANNEL_BATCHES);
    let writer = tokio::task::spawn_blocking(move || match fonts {
        Some(fonts) => {
            let rows = files::ChannelRows::new(rx);
            files::pdf::write(&columns, rows, to_cells, &report, &fonts).map(Built::Pdf)
        }
        None => files::xlsx::write(&columns, files::ChannelRows::new(rx), to_cells)
            .map(Built::Xlsx)
            .map_err(|e| e.to_string()),
    });

    let bar = output::progress(total.and_then(|n| u64::try_from(n).ok()), "users");
    let body = SearchRequest {
        page_size: Some(a.page_size),
        ..body
    };
    let fed: Result<u64> = async {
        let source = Source {
            client,
            group: None,
        };
        let mut users = std::pin::pin!(users_of(source, list, body, &bar));
        let mut n = 0u64;
        // Rows go to the writer in batches, as the server's cursor sends them.
        let mut batch = Vec::with_capacity(BATCH_ROWS);
        loop {
            match users.try_next().await {
                Ok(Some((c, user))) => {
                    batch.push((c.name.clone(), user));
                    n += 1;
                    bar.inc(1);
                    // A closed channel means the writer failed; its error is reported below.
                    if batch.len() == BATCH_ROWS
                        && tx.send(Ok(std::mem::take(&mut batch))).await.is_err()
                    {
                        break;
                    }
                }
                Ok(None) => {
                    if !batch.is_empty() {
                        let _ = tx.send(Ok(batch)).await;
                    }
                    break;
                }
                Err(e) => {
                    let _ = tx.send(Err(e.to_string())).await;
                    return Err(anyhow::Error::from(e));
                }
            }
        }
        Ok(n)
    }
    .await;
    drop(tx);
    let built = writer.await.context("the file writer stopped")?;
    bar.finish_and_clear();
    // A failed search first: its error keeps its exit code (network, API, ...).
    let users = fed?;
    let built = built.map_err(|e| anyhow!("cannot write the {} file: {e}", format_name(format)))?;
    Ok((users, built))
}

async fn write(
    source: Source<'_>,
    a: &ExportArgs,
    body: SearchRequest,
    list: &[Company],
    sink: &mut Sink,
    job: Job,
) -> Result<Summary> {
    let companies = match list {
        [c] if !a.companies.all_companies => match &a.group {
            Some(g) => format!("of {} (group {g})", c.name),
            None => format!("of {}", c.name),
        },
        _ => format!("of {} companies", list.len()),
    };
    let summary = |users| Summary {
        users,
        of: companies.clone(),
    };
    match (job.format, a.companies.all_companies) {
        (Format::Json | Format::Ndjson, all) => {
            let mut json = JsonRows::new(job.format == Format::Ndjson);
            sink.write(json.start()).await?;
            let total = total_for_bar(source, list, &body).await;
            let bar = output::progress(total, "users");
            let body = SearchRequest {
                page_size: Some(a.page_size),
                ..body
            };
            let mut users = std::pin::pin!(users_of(source, list, body, &bar));
            while let Some((c, row)) = users.try_next().await? {
                let bytes = json.row(all.then_some(c), &row)?;
                sink.write(&bytes).await?;
                bar.inc(1);
            }
            sink.write(json.end()).await?;
            bar.finish_and_clear();
            Ok(summary(Some(json.count)))
        }
        (Format::Xlsx | Format::Pdf, true) => {
            let (users, built) = build_joined(source.client, a, body, list, job).await?;
            match built {
                Built::Xlsx(file) => sink.copy_from(file).await?,
                Built::Pdf(bytes) => sink.write(&bytes).await?,
            }
            Ok(summary(Some(users)))
        }
        (Format::Csv, true) => {
            let total = total_for_bar(source, list, &body).await;
            let bar = output::progress(total, "users");
            // One byte-order mark for the whole file, as in a single-company export.
            sink.write("\u{feff}".as_bytes()).await?;
            let mut users = 0u64;
            for (i, c) in list.iter().enumerate() {
                bar.set_message(reading(c, i, list.len()));
                let body = SearchRequest {
                    export_type: Some("CSV".into()),
                    report_all_pages: Some(true),
                    ..body.clone()
                };
                let options = ExportOptions {
                    csv_bom: Some(false),
                };
                let download = source.download(c, body, &options).await?;
                let mut prefixer = CsvPrefixer::new(&c.name, i == 0);
                let mut bytes = download.bytes;
                let mut buf = Vec::new();
                while let Some(chunk) = bytes.next().await {
                    let chunk = chunk.with_context(|| format!("export of {} broke off", c.name))?;
                    buf.clear();
                    prefixer.feed(&chunk, &mut buf);
                    sink.write(&buf).await?;
                    bar.set_position(users + prefixer.records);
                }
                users += prefixer.records;
            }
            bar.finish_and_clear();
            Ok(summary(Some(users)))
        }
        (format, _) => {
            let [c] = list else {
                return Err(CliError::Usage("one company expected".into()).into());
            };
            let export_type = match format {
                Format::Xlsx => "Excel",
                Format::Pdf => "PDF",
                _ => "CSV",
            };
            // A one-row search page (alongside the download) gives the count of an Excel or PDF
            // file, which a byte stream cannot show, and a CSV bar's length.
            let count = async {
                match format {
                    Format::Csv => total_for_bar(source, std::slice::from_ref(c), &body).await,
                    _ => count_one(source, c, &body).await,
                }
            };
            let body = SearchRequest {
                export_type: Some(export_type.into()),
                report_all_pages: Some(true),
                ..body.clone()
            };
            let options = ExportOptions::default();
            let (download, counted) = tokio::join!(source.download(c, body, &options), count);
            let download = download?;
            // CSV shows users against the total; Excel and PDF arrive as a file being sent.
            let bar = match (format, counted) {
                (Format::Csv, total) => output::progress(total, &format!("users of {}", c.name)),
                (_, Some(n)) => output::byte_progress(&format!(
                    "{} file of {} of {}",
                    export_type,
                    users_phrase(n),
                    c.name
                )),
                (_, None) => output::byte_progress(&format!("users of {}", c.name)),
            };
            let mut bytes = download.bytes;
            let mut records = CsvCounter::default();
            while let Some(chunk) = bytes.next().await {
                let chunk = chunk.context("the export broke off")?;
                sink.write(&chunk).await?;
                if format == Format::Csv {
                    records.feed(&chunk);
                    bar.set_position(records.records());
                } else {
                    bar.inc(chunk.len() as u64);
                }
            }
            bar.finish_and_clear();
            let users = match format {
                Format::Csv => Some(records.records()),
                _ => counted,
            };
            Ok(summary(users))
        }
    }
}

fn format_name(f: Format) -> &'static str {
    match f {
        Format::Csv => "csv",
        Format::Xlsx => "xlsx",
        Format::Pdf => "pdf",
        Format::Json => "json",
        Format::Ndjson => "ndjson",
    }
}

/// JSON array or NDJSON, one user at a time.
struct JsonRows {
    ndjson: bool,
    count: u64,
}

impl JsonRows {
    fn new(ndjson: bool) -> Self {
        Self { ndjson, count: 0 }
    }

    fn start(&self) -> &'static [u8] {
        if self.ndjson {
            b""
        } else {
            b"["
        }
    }

    fn end(&self) -> &'static [u8] {
        match (self.ndjson, self.count) {
            (true, _) => b"",
            (false, 0) => b"]\n",
            (false, _) => b"\n]\n",
        }
    }

    /// One user; with a company, `company` and `companyResourceId` come first.
    fn row(&mut self, company: Option<&Company>, row: &TargetUserSearchView) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(512);
        if !self.ndjson {
            out.extend_from_slice(if self.count == 0 { b"\n" } else { b",\n" });
        }
        let obj = serde_json::to_vec(row)?;
        match company {
            Some(c) => {
                out.extend_from_slice(b"{\"company\":");
                serde_json::to_writer(&mut out, &c.name)?;
                out.extend_from_slice(b",\"companyResourceId\":");
                serde_json::to_writer(&mut out, &c.id)?;
                out.push(b',');
                // The user object without its opening brace.
                out.extend_from_slice(obj.get(1..).unwrap_or_default());
            }
            None => out.extend_from_slice(&obj),
        }
        if self.ndjson {
            out.push(b'\n');
        }
        self.count += 1;
        Ok(out)
    }
}

/// A CSV cell as the server writes one: formula-like text neutralised with a leading `'`,
/// quoted when it holds a comma, quote or line break.
pub fn csv_cell(s: &str) -> String {
    let s = rollcall_server::export::neutralise(s).into_owned();
    if s.contains([',', '"', '\n', '\r']) || s.starts_with(' ') || s.ends_with(' ') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// Puts a first column in front of every record of a CSV byte stream, chunk by chunk, without
/// holding the file: it tracks only whether it is inside a quoted field (a line break there is
/// data, not a record end). The header record gets `Company`, data records the company name;
/// for every company but the first the header record is dropped. A leading byte-order mark is
/// dropped too (the file gets one at its start).
pub struct CsvPrefixer {
    header_prefix: Option<Vec<u8>>,
    prefix: Vec<u8>,
    in_quotes: bool,
    at_record_start: bool,
    skipping_header: bool,
    first_chunk: bool,
    /// Data records seen.
    pub records: u64,
}

impl CsvPrefixer {
    /// For the company `name`; `first` keeps the header record (with `Company` in front).
    pub fn new(name: &str, first: bool) -> Self {
        Self {
            header_prefix: first.then(|| format!("{COMPANY_COLUMN},").into_bytes()),
            prefix: format!("{},", csv_cell(name)).into_bytes(),
            in_quotes: false,
            at_record_start: true,
            skipping_header: !first,
            first_chunk: true,
            records: 0,
        }
    }

    /// Appends the transformed `chunk` to `out`.
    pub fn feed(&mut self, mut chunk: &[u8], out: &mut Vec<u8>) {
        if self.first_chunk {
            self.first_chunk = false;
            chunk = chunk.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(chunk);
        }
        for &b in chunk {
            if self.skipping_header {
                if b == b'"' {
                    self.in_quotes = !self.in_quotes;
                } else if b == b'\n' && !self.in_quotes {
                    self.skipping_header = false;
                    self.at_record_start = true;
                }
                continue;
            }
            if self.at_record_start {
                self.at_record_start = false;
                match self.header_prefix.take() {
                    Some(h) => out.extend_from_slice(&h),
                    None => {
                        out.extend_from_slice(&self.prefix);
                        self.records += 1;
                    }
                }
            }
            out.push(b);
            if b == b'"' {
                self.in_quotes = !self.in_quotes;
            } else if b == b'\n' && !self.in_quotes {
                self.at_record_start = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(name: &str, first: bool, chunks: &[&[u8]]) -> (String, u64) {
        let mut p = CsvPrefixer::new(name, first);
        let mut out = Vec::new();
        for c in chunks {
            p.feed(c, &mut out);
        }
        (String::from_utf8(out).unwrap_or_default(), p.records)
    }

    #[test]
    fn prefixes_records_across_chunk_boundaries() {
        let csv: &[u8] = b"\xEF\xBB\xBFEmail,Name\na@x,\"Smith, \"\"J\"\"\nline two\"\nb@x,B\n";
        for split in 0..csv.len() {
            let (a, b) = csv.split_at(split.max(3));
            let (text, n) = run("Acme, Inc", true, &[a, b]);
            assert_eq!(
                text,
                "Company,Email,Name\n\"Acme, Inc\",a@x,\"Smith, \"\"J\"\"\nline two\"\n\"Acme, Inc\",b@x,B\n"
            );
            assert_eq!(n, 2);
        }
    }

    #[test]
    fn later_companies_drop_the_header() {
        let (text, n) = run(
            "=Evil",
            false,
            &[b"Email,\"Multi\nline header\"\r\nc@x,C\r\n"],
        );
        assert_eq!(text, "'=Evil,c@x,C\r\n");
        assert_eq!(n, 1);
        let (empty, n) = run("Empty", false, &[b"Email,Name\n"]);
        assert_eq!((empty.as_str(), n), ("", 0));
    }

    #[test]
    fn csv_counter_skips_the_header_and_quoted_breaks() {
        let csv: &[u8] = b"\xEF\xBB\xBFEmail,Name\na@x,\"Line\nBreak\"\r\nb@x,B";
        for split in 0..csv.len() {
            let (a, b) = csv.split_at(split);
            let mut c = CsvCounter::default();
            c.feed(a);
            c.feed(b);
            assert_eq!(c.records(), 2, "split at {split}");
        }
        let mut header_only = CsvCounter::default();
        header_only.feed(b"Email,Name\n");
        assert_eq!(header_only.records(), 0);
        assert_eq!(CsvCounter::default().records(), 0);
    }

    #[test]
    fn format_from_the_file_name() {
        let f = |flag, out: &str| resolve_format(flag, Path::new(out)).map_err(|e| e.to_string());
        assert_eq!(f(None, "a/users.XLSX"), Ok(Format::Xlsx));
        assert_eq!(f(None, "users.jsonl"), Ok(Format::Ndjson));
        assert_eq!(f(Some(Format::Csv), "users.pdf"), Ok(Format::Csv));
        let e = f(None, "users.txt").err().unwrap_or_default();
        assert!(e.contains(".csv, .xlsx, .pdf, .json, .ndjson"), "{e}");
        assert!(e.contains("pass --format"), "{e}");
        assert!(f(None, "-").is_err() && f(None, "users").is_err());
    }

    #[test]
    fn bars_name_the_company_and_its_place() {
        let c = |name: &str| Company {
            id: "x".into(),
            name: name.into(),
        };
        assert_eq!(reading(&c("Acme"), 0, 1), "users of Acme");
        assert_eq!(reading(&c("Acme"), 1, 4), "users of Acme (company 2 of 4)");
    }

    #[test]
    fn pdf_cap_counts_every_company() {
        assert!(pdf_fits(0, 0, PDF_MAX_ROWS).is_ok());
        assert!(pdf_fits(PDF_MAX_ROWS, 3, PDF_MAX_ROWS).is_ok());
        let e = pdf_fits(PDF_MAX_ROWS + 1, 3, PDF_MAX_ROWS)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("at most 5000 users"), "{e}");
        assert!(e.contains("3 companies have 5001"), "{e}");
        assert!(e.contains("csv or xlsx"), "{e}");
        let Err(e) = pdf_fits(2, 1, 1) else {
            panic!("2 users do not fit a cap of 1");
        };
        assert_eq!(
            crate::exit::code(&anyhow::Error::new(e)),
            crate::exit::USAGE
        );
    }

    #[test]
    fn json_rows_carry_the_company_first() {
        let mut j = JsonRows::new(true);
        let row: TargetUserSearchView = serde_json::from_value(serde_json::json!({
            "resourceId": "u1", "email": "a@x", "firstName": null, "lastName": null, "department": null,
            "priority": "Medium", "status": "Active", "customFieldValues": [], "createTime": "2026-01-01T00:00:00Z",
            "updateTime": null, "isEditable": true, "scimSettingName": null, "ldapConfigName": null,
            "phoneNumber": null, "timeZone": null, "preferredLanguage": null, "isDeleted": false,
            "managerFullName": null, "managerEmail": null
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let c = Company {
            name: "Acme \"A\"".into(),
            id: "cmpAAAAAAAAA".into(),
        };
        let line = j.row(Some(&c), &row).unwrap_or_default();
        let v: serde_json::Value = serde_json::from_slice(&line).unwrap_or_default();
        assert_eq!(v["company"], "Acme \"A\"");
        assert_eq!(v["companyResourceId"], "cmpAAAAAAAAA");
        assert_eq!(v["email"], "a@x");
        assert!(line.starts_with(b"{\"company\":"));
    }
}
