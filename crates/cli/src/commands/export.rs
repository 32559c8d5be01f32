//! `rollcall users export`: a company's users, or every managed company's, in one file.
//!
//! - csv, xlsx, pdf for one company: the server's export, streamed to the file as it arrives.
//! - json (an array) and ndjson (one object per line): the CLI pages through the search and
//!   writes each row as it comes.
//! - `--all-companies`: csv streams each company's server export in turn, with a `Company`
//!   column put first on every record (no CSV is held in memory); json/ndjson add `company` and
//!   `companyResourceId` to every object. xlsx and pdf are built per company by the server and
//!   cannot be joined, so they are refused with `--all-companies`.
//!
//! The file is written as `FILE.partial` and renamed when complete, so a failed export never
//! leaves a truncated file under the requested name.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use futures::{StreamExt, TryStreamExt};
use rollcall_client::types::target_user::TargetUserSearchView;
use rollcall_client::{Client, ExportOptions, SearchRequest};
use tokio::io::{AsyncWrite, AsyncWriteExt, BufWriter};

use super::users::companies;
use super::{Common, Companies, FilterArgs};
use crate::exit::CliError;
use crate::output;
use crate::resolve::Company;

/// File formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Comma-separated values, UTF-8 with a byte-order mark (the server's export).
    Csv,
    /// Excel workbook (the server's export).
    Xlsx,
    /// PDF report, at most 5,000 users (the server's export).
    Pdf,
    /// A JSON array of user objects.
    Json,
    /// One JSON user object per line.
    Ndjson,
}

/// Flags of `users export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    companies: Companies,
    /// File format.
    #[arg(long, value_enum)]
    format: Format,
    /// Output file ("-" for standard output).
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    out: PathBuf,
    #[command(flatten)]
    filter: FilterArgs,
    /// Users per request for json and ndjson.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    page_size: i64,
}

/// Where the export goes: `FILE.partial` renamed on success, or stdout.
struct Sink {
    target: Option<(PathBuf, PathBuf)>,
    out: Box<dyn AsyncWrite + Unpin + Send>,
}

impl Sink {
    async fn open(path: &Path) -> Result<Sink> {
        if path == Path::new("-") {
            return Ok(Sink {
                target: None,
                out: Box::new(BufWriter::with_capacity(64 * 1024, tokio::io::stdout())),
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
        })
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.out
            .write_all(bytes)
            .await
            .context("cannot write the export")
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

    async fn abort(self) {
        drop(self.out);
        if let Some((partial, _)) = &self.target {
            let _ = tokio::fs::remove_file(partial).await;
        }
    }
}

/// Runs `users export`.
pub async fn run(common: &Common, a: ExportArgs) -> Result<()> {
    if a.companies.all_companies && matches!(a.format, Format::Xlsx | Format::Pdf) {
        return Err(CliError::Usage(
            "--all-companies writes csv, json or ndjson; xlsx and pdf files are built per company by the server (use --company)".into(),
        )
        .into());
    }
    if !(1..=1000).contains(&a.page_size) {
        return Err(CliError::Usage("--page-size must be between 1 and 1000".into()).into());
    }
    let client = common.client()?;
    let list = companies(&client, &a.companies).await?;
    let body = a.filter.search_request()?;
    let mut sink = Sink::open(&a.out).await?;
    let result = write(&client, &a, body, &list, &mut sink).await;
    match result {
        Ok(summary) => {
            sink.finish().await?;
            if a.out != Path::new("-") {
                eprintln!("{summary} to {}", a.out.display());
            }
            Ok(())
        }
        Err(e) => {
            sink.abort().await;
            Err(e)
        }
    }
}

async fn write(
    client: &Client,
    a: &ExportArgs,
    body: SearchRequest,
    list: &[Company],
    sink: &mut Sink,
) -> Result<String> {
    match (a.format, a.companies.all_companies) {
        (Format::Json | Format::Ndjson, all) => {
            let mut json = JsonRows::new(a.format == Format::Ndjson);
            sink.write(json.start()).await?;
            let bar = output::progress(None, "users");
            let body = SearchRequest {
                page_size: Some(a.page_size),
                ..body
            };
            for c in list {
                bar.set_message(format!("users of {}", c.name));
                let mut rows = client.search_target_users(Some(&c.id), body.clone());
                while let Some(row) = rows.try_next().await? {
                    let bytes = json.row(all.then_some(c), &row)?;
                    sink.write(&bytes).await?;
                    bar.inc(1);
                }
            }
            sink.write(json.end()).await?;
            bar.finish_and_clear();
            Ok(format!("Wrote {} users", json.count))
        }
        (Format::Csv, true) => {
            let bar = output::progress(Some(list.len() as u64), "companies");
            // One byte-order mark for the whole file, as in a single-company export.
            sink.write("\u{feff}".as_bytes()).await?;
            let mut users = 0u64;
            for (i, c) in list.iter().enumerate() {
                bar.set_message(c.name.clone());
                let body = SearchRequest {
                    export_type: Some("CSV".into()),
                    report_all_pages: Some(true),
                    ..body.clone()
                };
                let download = client
                    .download_target_users(
                        Some(&c.id),
                        body,
                        &ExportOptions {
                            csv_bom: Some(false),
                        },
                    )
                    .await?;
                let mut prefixer = CsvPrefixer::new(&c.name, i == 0);
                let mut bytes = download.bytes;
                let mut buf = Vec::new();
                while let Some(chunk) = bytes.next().await {
                    let chunk = chunk.with_context(|| format!("export of {} broke off", c.name))?;
                    buf.clear();
                    prefixer.feed(&chunk, &mut buf);
                    sink.write(&buf).await?;
                }
                users += prefixer.records;
                bar.inc(1);
            }
            bar.finish_and_clear();
            Ok(format!("Wrote {users} users of {} companies", list.len()))
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
            let body = SearchRequest {
                export_type: Some(export_type.into()),
                report_all_pages: Some(true),
                ..body
            };
            let download = client
                .download_target_users(Some(&c.id), body, &ExportOptions::default())
                .await?;
            let bar = output::byte_progress(&format!("users of {}", c.name));
            let mut bytes = download.bytes;
            let mut written = 0u64;
            while let Some(chunk) = bytes.next().await {
                let chunk = chunk.context("the export broke off")?;
                sink.write(&chunk).await?;
                written += chunk.len() as u64;
                bar.inc(chunk.len() as u64);
            }
            bar.finish_and_clear();
            Ok(format!(
                "Wrote {written} bytes ({}) of {}",
                format_name(format),
                c.name
            ))
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
    let s = match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_owned(),
    };
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
            header_prefix: first.then(|| b"Company,".to_vec()),
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
