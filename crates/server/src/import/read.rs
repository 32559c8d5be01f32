//! Reading an uploaded file into rows of text cells (docs/api.md, "Importing users"): CSV in
//! UTF-8 (with or without a BOM), UTF-16 (by its BOM) or Windows-1252 (what Excel writes when
//! it saves "CSV"), with `,`, `;` or tab between cells; `.xlsx` and `.xls` through calamine
//! (first sheet). Rows are sent in batches as they are read, so a CSV or `.xlsx` of any size
//! passes through in bounded memory.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::Path;

use calamine::{Data, DataRef, Reader};
use tokio::sync::mpsc::Sender;

/// Rows a batch carries from the reader to the writer of the upload.
pub const READ_BATCH: usize = 2000;
/// Longest cell kept (longer cells are cut, and then fail their field's length check).
const MAX_CELL: usize = 4000;
/// Most columns read.
pub const MAX_COLUMNS: usize = 200;

/// What the reader found before the rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// `Csv`, `Xlsx` or `Xls`.
    pub file_type: &'static str,
    pub sheet_names: Vec<String>,
    /// The header row, trimmed (blank headers are named `Column N`).
    pub headers: Vec<String>,
}

/// What the reading thread sends.
#[derive(Debug)]
pub enum Chunk {
    /// First, once.
    Head(Head),
    /// Then rows, in order, as many cells as headers.
    Rows(Vec<Vec<String>>),
}

/// Reads `path` on the calling (blocking) thread and sends its head and rows to `out`; an
/// `Err` says what is wrong with the file, for a 400. Stops when `out` is closed.
pub fn read(path: &Path, out: &Sender<Result<Chunk, String>>) -> Result<(), String> {
    let mut file = File::open(path).map_err(|e| format!("the upload could not be read: {e}"))?;
    let mut magic = [0_u8; 8];
    let n = file.read(&mut magic).map_err(|e| e.to_string())?;
    file.seek(SeekFrom::Start(0)).map_err(|e| e.to_string())?;
    if n == 0 {
        return Err(
            "the file is empty; upload a CSV or Excel file with a header row and one row per user"
                .into(),
        );
    }
    if magic.starts_with(b"PK\x03\x04") {
        read_xlsx(file, out)
    } else if magic.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        read_xls(file, out)
    } else {
        read_csv(path, out)
    }
}

fn send(out: &Sender<Result<Chunk, String>>, r: Chunk) -> Result<(), String> {
    // A closed receiver means the request went away: stop reading, quietly.
    out.blocking_send(Ok(r)).map_err(|_| String::new())
}

/// A header row, named and checked.
fn head(
    file_type: &'static str,
    sheet_names: Vec<String>,
    raw: Vec<String>,
) -> Result<Head, String> {
    let mut headers: Vec<String> = raw.into_iter().map(|h| h.trim().to_owned()).collect();
    while headers.last().is_some_and(String::is_empty) {
        headers.pop();
    }
    if headers.is_empty() {
        return Err("the file has no header row: its first row must name the columns (Email Address, First Name, ...)".into());
    }
    if headers.len() > MAX_COLUMNS {
        return Err(format!(
            "the file has {} columns; at most {MAX_COLUMNS} are read",
            headers.len()
        ));
    }
    for (i, h) in headers.iter_mut().enumerate() {
        if h.is_empty() {
            *h = format!("Column {}", i + 1);
        }
    }
    Ok(Head {
        file_type,
        sheet_names,
        headers,
    })
}

/// A cell as imported: trimmed, without the `'` an export puts before text a spreadsheet would
/// run as a formula (so that an export re-imports unchanged), at most [`MAX_CELL`] characters.
pub fn clean(cell: &str) -> String {
    let t = cell.trim();
    let t = match t.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest,
        _ => t,
    };
    t.chars().take(MAX_CELL).collect()
}

/// Gathers rows into batches, each cut or padded to the header's width; blank rows are left
/// out.
struct Batcher<'a> {
    width: usize,
    batch: Vec<Vec<String>>,
    out: &'a Sender<Result<Chunk, String>>,
}

impl<'a> Batcher<'a> {
    /// Sends the header row, then batches the rows that follow it to its width.
    fn start(head: Head, out: &'a Sender<Result<Chunk, String>>) -> Result<Self, String> {
        let width = head.headers.len();
        send(out, Chunk::Head(head))?;
        Ok(Batcher {
            width,
            batch: Vec::with_capacity(READ_BATCH),
            out,
        })
    }

    fn push(&mut self, mut row: Vec<String>) -> Result<(), String> {
        if row.iter().all(String::is_empty) {
            return Ok(());
        }
        row.resize(self.width, String::new());
        self.batch.push(row);
        if self.batch.len() >= READ_BATCH {
            send(self.out, Chunk::Rows(std::mem::take(&mut self.batch)))?;
        }
        Ok(())
    }

    fn finish(mut self) -> Result<(), String> {
        if !self.batch.is_empty() {
            send(self.out, Chunk::Rows(std::mem::take(&mut self.batch)))?;
        }
        Ok(())
    }
}

/// The encoding of a CSV file: a BOM says UTF-8 or UTF-16; without one, UTF-8 when every
/// byte sequence is valid UTF-8, else Windows-1252.
fn csv_encoding(file: &mut File) -> Result<&'static encoding_rs::Encoding, String> {
    let mut head = [0_u8; 3];
    let n = file.read(&mut head).map_err(|e| e.to_string())?;
    file.seek(SeekFrom::Start(0)).map_err(|e| e.to_string())?;
    if let Some((enc, _)) = encoding_rs::Encoding::for_bom(&head[..n]) {
        return Ok(enc);
    }
    let mut reader = BufReader::with_capacity(256 * 1024, &mut *file);
    let mut carry: Vec<u8> = Vec::new();
    let mut buf = vec![0_u8; 256 * 1024];
    loop {
        let n = reader.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        carry.extend_from_slice(&buf[..n]);
        match std::str::from_utf8(&carry) {
            Ok(_) => carry.clear(),
            // A character cut by the chunk's end: keep its first bytes for the next chunk.
            Err(e) if e.error_len().is_none() => {
                carry.drain(..e.valid_up_to());
            }
            Err(_) => {
                drop(reader);
                file.seek(SeekFrom::Start(0)).map_err(|e| e.to_string())?;
                return Ok(encoding_rs::WINDOWS_1252);
            }
        }
    }
    drop(reader);
    file.seek(SeekFrom::Start(0)).map_err(|e| e.to_string())?;
    Ok(if carry.is_empty() {
        encoding_rs::UTF_8
    } else {
        encoding_rs::WINDOWS_1252
    })
}

/// A UTF-8 copy of `file` (decoded from `enc`, its BOM dropped), in a temporary file.
fn to_utf8(file: &mut File, enc: &'static encoding_rs::Encoding) -> Result<File, String> {
    let mut decoder = enc.new_decoder_with_bom_removal();
    let mut out = std::io::BufWriter::new(tempfile::tempfile().map_err(|e| e.to_string())?);
    let mut buf = vec![0_u8; 256 * 1024];
    let mut text = String::with_capacity(512 * 1024);
    loop {
        let n = file.read(&mut buf).map_err(|e| e.to_string())?;
        let last = n == 0;
        let mut input = &buf[..n];
        loop {
            text.clear();
            let (result, read, _) = decoder.decode_to_string(input, &mut text, last);
            out.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
            input = &input[read..];
            if result == encoding_rs::CoderResult::InputEmpty {
                break;
            }
        }
        if last {
            break;
        }
    }
    let mut file = out.into_inner().map_err(|e| e.to_string())?;
    file.seek(SeekFrom::Start(0)).map_err(|e| e.to_string())?;
    Ok(file)
}

/// Lines read, at most, to find a CSV file's header line (after blank ones).
const HEADER_SEARCH_LINES: usize = 100;

/// The cell separator of a CSV file: whichever of `,`, `;` and tab its first line has most of
/// outside quotes (Excel writes `;` where the decimal mark is a comma).
fn delimiter(first_line: &str) -> u8 {
    let mut counts = [0_usize; 3];
    let mut quoted = false;
    for c in first_line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => counts[0] += 1,
            ';' if !quoted => counts[1] += 1,
            '\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3).max_by_key(|&i| (counts[i], 3 - i)).unwrap_or(0);
    [b',', b';', b'\t'][best]
}

fn read_csv(path: &Path, out: &Sender<Result<Chunk, String>>) -> Result<(), String> {
    let mut file = File::open(path).map_err(|e| e.to_string())?;
    let enc = csv_encoding(&mut file)?;
    let mut file = if enc == encoding_rs::UTF_8 {
        file
    } else {
        to_utf8(&mut file, enc)?
    };
    // The separator is read off the header: the first line with more than separators and
    // spaces (a blank line or a `;;;` row Excel left above it would say nothing, or mislead).
    // A UTF-8 BOM is left to the first header, which the trim below does not remove.
    let mut first = String::new();
    {
        let mut r = BufReader::new(&mut file);
        let mut line = Vec::new();
        for _ in 0..HEADER_SEARCH_LINES {
            line.clear();
            let n = std::io::BufRead::read_until(&mut r, b'\n', &mut line)
                .map_err(|e| e.to_string())?;
            let text = String::from_utf8_lossy(&line);
            if text.contains('\0') {
                return Err(
                    "the file is neither CSV nor Excel; upload a .csv, .xlsx or .xls file".into(),
                );
            }
            let separators_only = text
                .trim_start_matches('\u{feff}')
                .chars()
                .all(|c| c.is_whitespace() || matches!(c, ',' | ';' | '"'));
            if n == 0 || !separators_only {
                first = text.into_owned();
                break;
            }
        }
    }
    file.seek(SeekFrom::Start(0)).map_err(|e| e.to_string())?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter(&first))
        .from_reader(BufReader::with_capacity(256 * 1024, file));
    // Rows of empty cells above the header are left out, as blank rows are below it.
    let mut records = reader.records().skip_while(|r| {
        r.as_ref().is_ok_and(|r| {
            r.iter()
                .all(|c| c.trim_start_matches('\u{feff}').trim().is_empty())
        })
    });
    let header = match records.next() {
        Some(Ok(r)) => r
            .iter()
            .map(|c| c.trim_start_matches('\u{feff}').to_owned())
            .collect(),
        Some(Err(e)) => return Err(format!("the file is not valid CSV: {e}")),
        None => return Err(
            "the file has no header row: its first row must name the columns (Email Address, First Name, ...)"
                .into(),
        ),
    };
    let head = head("Csv", vec![], header)?;
    let mut batcher = Batcher::start(head, out)?;
    for (i, record) in records.enumerate() {
        let record = record.map_err(|e| format!("row {} is not valid CSV: {e}", i + 1))?;
        batcher.push(record.iter().take(batcher.width).map(clean).collect())?;
    }
    batcher.finish()
}

/// A spreadsheet cell as text: whole numbers without a decimal point (a phone number Excel
/// turned into a number reads back as its digits), dates as ISO 8601 (a date alone when it has
/// no time of day), booleans as `true`/`false`.
fn cell_text(d: &DataRef<'_>) -> String {
    match d {
        DataRef::Empty | DataRef::Error(_) => String::new(),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => clean(s),
        DataRef::SharedString(s) => clean(s),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => number_text(*f),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(dt) => time_text(dt),
    }
}

fn data_text(d: &Data) -> String {
    match d {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => clean(s),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number_text(*f),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => time_text(dt),
    }
}

fn number_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        f.to_string()
    }
}

/// An Excel date cell as ISO 8601 (a date alone when it has no time of day), read by calamine,
/// which knows the workbook's date system (days from 1900, or from 1904 as old Mac Excel
/// wrote); a duration (`[h]:mm:ss`) as hours, minutes and seconds.
fn time_text(dt: &calamine::ExcelDateTime) -> String {
    if dt.is_duration() {
        if let Some(d) = dt.as_duration() {
            let s = d.num_seconds();
            return format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
        }
    }
    match dt.as_datetime() {
        Some(t) if t.time() == chrono::NaiveTime::MIN => t.format("%Y-%m-%d").to_string(),
        Some(t) => t.format("%Y-%m-%dT%H:%M:%S").to_string(),
        None => number_text(dt.as_f64()),
    }
}

/// An Excel book, the name of its first sheet (where the users are read from) and all its
/// sheets' names.
fn open_book<B>(file: File) -> Result<(B, String, Vec<String>), String>
where
    B: calamine::Reader<BufReader<File>>,
    B::Error: std::fmt::Display,
{
    let book = B::new(BufReader::new(file))
        .map_err(|e| format!("the Excel file could not be read: {e}"))?;
    let names = book.sheet_names();
    let first = names
        .first()
        .cloned()
        .ok_or("the Excel file has no sheet; put the users on its first sheet")?;
    Ok((book, first, names))
}

fn read_xlsx(file: File, out: &Sender<Result<Chunk, String>>) -> Result<(), String> {
    let (mut book, first, names) = open_book::<calamine::Xlsx<_>>(file)?;
    let mut cells = book
        .worksheet_cells_reader(&first)
        .map_err(|e| format!("sheet '{first}' could not be read: {e}"))?;
    let mut rows: Option<Batcher<'_>> = None;
    let mut current: Vec<String> = Vec::new();
    let mut current_row: Option<u32> = None;
    while let Some(cell) = cells
        .next_cell()
        .map_err(|e| format!("sheet '{first}' could not be read: {e}"))?
    {
        let (row, col) = cell.get_position();
        if current_row != Some(row) {
            if current_row.is_some() {
                flush(std::mem::take(&mut current), &mut rows, &names, out)?;
            }
            current_row = Some(row);
        }
        let col = col as usize;
        if col < MAX_COLUMNS {
            if current.len() <= col {
                current.resize(col + 1, String::new());
            }
            current[col] = cell_text(cell.get_value());
        }
    }
    if current_row.is_some() {
        flush(std::mem::take(&mut current), &mut rows, &names, out)?;
    }
    match rows {
        Some(b) => b.finish(),
        None => Err("the file has no header row: its first row must name the columns (Email Address, First Name, ...)".into()),
    }
}

/// One finished sheet row: the header (the first row that is not blank), or a data row.
fn flush<'a>(
    cells: Vec<String>,
    rows: &mut Option<Batcher<'a>>,
    names: &[String],
    out: &'a Sender<Result<Chunk, String>>,
) -> Result<(), String> {
    match rows {
        Some(b) => b.push(cells),
        None if cells.iter().all(String::is_empty) => Ok(()),
        None => {
            let head = head("Xlsx", names.to_vec(), cells)?;
            *rows = Some(Batcher::start(head, out)?);
            Ok(())
        }
    }
}

fn read_xls(file: File, out: &Sender<Result<Chunk, String>>) -> Result<(), String> {
    let (mut book, first, names) = open_book::<calamine::Xls<_>>(file)?;
    // An .xls sheet holds at most 65,536 rows: read whole.
    let range = book
        .worksheet_range(&first)
        .map_err(|e| format!("sheet '{first}' could not be read: {e}"))?;
    let mut lines = range
        .rows()
        .map(|r| {
            r.iter()
                .take(MAX_COLUMNS)
                .map(data_text)
                .collect::<Vec<_>>()
        })
        .skip_while(|r| r.iter().all(String::is_empty));
    let head = head(
        "Xls",
        names,
        lines
            .next()
            .ok_or("the file has no header row: its first row must name the columns (Email Address, First Name, ...)")?,
    )?;
    let mut batcher = Batcher::start(head, out)?;
    for row in lines {
        batcher.push(row)?;
    }
    batcher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_lose_the_export_apostrophe_only_before_a_formula_sign() {
        assert_eq!(clean(" '+44 20 7946 "), "+44 20 7946");
        assert_eq!(clean("'=1+2"), "=1+2");
        assert_eq!(clean("O'Brien"), "O'Brien");
        assert_eq!(clean("'quoted'"), "'quoted'");
    }

    #[test]
    fn numbers_and_dates_read_as_people_typed_them() {
        assert_eq!(number_text(905_551_234_567.0), "905551234567");
        assert_eq!(number_text(3.5), "3.5");
        use calamine::{ExcelDateTime, ExcelDateTimeType::*};
        let at = |v: f64, kind, is_1904| time_text(&ExcelDateTime::new(v, kind, is_1904));
        assert_eq!(at(45_352.0, DateTime, false), "2024-03-01");
        assert_eq!(at(45_352.5, DateTime, false), "2024-03-01T12:00:00");
        // The same day in a workbook of the 1904 date system is 1,462 days fewer.
        assert_eq!(at(43_890.0, DateTime, true), "2024-03-01");
        assert_eq!(at(1.5, TimeDelta, false), "36:00:00");
    }

    #[test]
    fn the_separator_is_the_commonest_outside_quotes() {
        assert_eq!(delimiter("Email,First Name,Last Name"), b',');
        assert_eq!(delimiter("Email;\"Name, First\";Last"), b';');
        assert_eq!(delimiter("Email\tName"), b'\t');
        assert_eq!(delimiter("Email"), b',');
    }
}
