//! Excel export: a real `.xlsx` (Office Open XML spreadsheet) streamed row by row into its zip.
//!
//! Why not rust_xlsxwriter, which this project used first: in constant-memory mode it writes
//! every row to a temporary file and then copies that file into the zip, several times slower
//! than the export's target (figures in `docs/performance.md`). The one workbook shape exports
//! need (one bold, frozen header row with an autofilter; inline text, numbers, booleans and
//! date cells; more sheets past Excel's row limit) is small enough to write directly: the
//! sheet XML goes straight into the zip entry through the `zip` crate.
//!
//! Layout written: `[Content_Types].xml`, `_rels/.rels`, `xl/workbook.xml` (with the
//! `_xlnm._FilterDatabase` name Excel keeps for each autofilter), `xl/_rels/workbook.xml.rels`,
//! `xl/styles.xml` (style 1 bold, style 2 `yyyy-mm-dd hh:mm:ss`) and `xl/worksheets/sheetN.xml`.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::{Cell, RowSource};

/// Rows per sheet: Excel's limit of 1,048,576 less the header row.
pub const ROWS_PER_SHEET: u32 = 1_048_575;

/// Deflate level of the zip entries: level 1 is much faster than the usual 6 on sheet XML for
/// a somewhat larger file (`docs/performance.md`); exports favour speed.
const ZIP_LEVEL: i64 = 1;

/// Sheet XML gathered before it is handed to the compressor.
const FLUSH_BYTES: usize = 256 * 1024;

/// Writes every row into a temporary `.xlsx` (removed from the directory at once; the open
/// handle keeps it until the caller has sent or copied it). Bold, frozen header with an
/// autofilter on every sheet; more rows than a sheet holds continue on `Sheet2`, `Sheet3`, ...
///
/// `rows` is read on the calling thread, which may block (run it on a blocking thread).
pub fn write<S: RowSource, F: Fn(&S::Row) -> Vec<Cell>, C: AsRef<str>>(
    columns: &[C],
    rows: S,
    to_cells: F,
) -> std::io::Result<File> {
    write_sheets(columns, rows, to_cells, ROWS_PER_SHEET)
}

/// [`write`] with a custom sheet size (tests use a small one to see the overflow).
pub fn write_sheets<S: RowSource, F: Fn(&S::Row) -> Vec<Cell>, C: AsRef<str>>(
    columns: &[C],
    mut rows: S,
    to_cells: F,
    rows_per_sheet: u32,
) -> std::io::Result<File> {
    let tmp = tempfile::tempfile()?;
    let mut zip = ZipWriter::new(BufWriter::with_capacity(256 * 1024, tmp));
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(ZIP_LEVEL));
    // No ZIP64: LibreOffice refuses a workbook whose entries carry ZIP64 fields. A sheet's XML
    // must then stay under 4 GiB, about 4 KB for each of a full sheet's rows; exported users
    // take about 700 bytes.
    let last_col = column_name(columns.len().saturating_sub(1));
    let mut sheet_rows: Vec<u32> = Vec::new();
    let mut pending = rows.next_row();
    let mut buf: Vec<u8> = Vec::with_capacity(FLUSH_BYTES + 64 * 1024);
    loop {
        let sheet_no = sheet_rows.len() + 1;
        zip.start_file(format!("xl/worksheets/sheet{sheet_no}.xml"), options)?;
        buf.clear();
        sheet_head(&mut buf, columns);
        let mut row: u32 = 0;
        while row < rows_per_sheet {
            let cells = match pending.take() {
                None => break,
                Some(Err(e)) => {
                    return Err(std::io::Error::other(format!("export cursor failed: {e}")))
                }
                Some(Ok(r)) => to_cells(&r),
            };
            row += 1;
            row_xml(&mut buf, row + 1, &cells, None);
            if buf.len() >= FLUSH_BYTES {
                zip.write_all(&buf)?;
                buf.clear();
            }
            pending = rows.next_row();
        }
        let _ = write!(
            Text(&mut buf),
            "</sheetData><autoFilter ref=\"A1:{last_col}{}\"/></worksheet>",
            row + 1
        );
        zip.write_all(&buf)?;
        sheet_rows.push(row);
        if pending.is_none() {
            break;
        }
    }
    package(&mut zip, &sheet_rows, &last_col, options)?;
    let mut file = zip.finish()?.into_inner().map_err(|e| e.into_error())?;
    std::io::Seek::rewind(&mut file)?;
    Ok(file)
}

/// `fmt::Write` over a byte buffer, for numbers and short formatted runs.
struct Text<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for Text<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// `A`, `B`, ..., `Z`, `AA`, ... for a 0-based column index.
fn column_name(index: usize) -> String {
    let mut name = Vec::new();
    push_column(&mut name, index);
    String::from_utf8(name).unwrap_or_default()
}

const XML_HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";
const MAIN_NS: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const REL_NS: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/// The sheet up to the end of the header row: frozen first row, column widths.
fn sheet_head<C: AsRef<str>>(buf: &mut Vec<u8>, columns: &[C]) {
    let mut t = Text(buf);
    let _ = write!(
        t,
        "{XML_HEAD}<worksheet xmlns=\"{MAIN_NS}\" xmlns:r=\"{REL_NS}\"><sheetViews>\
         <sheetView workbookViewId=\"0\"><pane ySplit=\"1\" topLeftCell=\"A2\" \
         activePane=\"bottomLeft\" state=\"frozen\"/><selection pane=\"bottomLeft\" \
         activeCell=\"A2\" sqref=\"A2\"/></sheetView></sheetViews>\
         <sheetFormatPr defaultRowHeight=\"15\"/><cols>"
    );
    for (i, name) in columns.iter().enumerate() {
        let width = if name.as_ref().contains("Email") {
            32
        } else {
            18
        };
        let _ = write!(
            t,
            "<col min=\"{n}\" max=\"{n}\" width=\"{width}\" customWidth=\"1\"/>",
            n = i + 1
        );
    }
    t.0.extend_from_slice(b"</cols><sheetData>");
    let header: Vec<Cell> = columns
        .iter()
        .map(|c| Cell::Text(c.as_ref().into()))
        .collect();
    row_xml(buf, 1, &header, Some(1));
}

/// One `<row>`; empty text and missing values leave the cell out. `style` applies to every
/// cell (the header's bold).
fn row_xml(buf: &mut Vec<u8>, row: u32, cells: &[Cell], style: Option<u8>) {
    let mut num = itoa::Buffer::new();
    let mut row_digits = itoa::Buffer::new();
    let row_text = row_digits.format(row);
    buf.extend_from_slice(b"<row r=\"");
    buf.extend_from_slice(row_text.as_bytes());
    buf.extend_from_slice(b"\">");
    let style = style.map(|s| format!(" s=\"{s}\"")).unwrap_or_default();
    for (c, cell) in cells.iter().enumerate() {
        let open = |buf: &mut Vec<u8>, attrs: &str| {
            buf.extend_from_slice(b"<c r=\"");
            push_column(buf, c);
            buf.extend_from_slice(row_text.as_bytes());
            buf.push(b'"');
            buf.extend_from_slice(style.as_bytes());
            buf.extend_from_slice(attrs.as_bytes());
        };
        match cell {
            Cell::Text(s) if s.is_empty() => {}
            Cell::Text(s) => {
                open(buf, " t=\"inlineStr\"><is><t");
                if needs_preserve(s) {
                    buf.extend_from_slice(b" xml:space=\"preserve\"");
                }
                buf.push(b'>');
                push_escaped(buf, s);
                buf.extend_from_slice(b"</t></is></c>");
            }
            Cell::Time(Some(ms)) => {
                if let Some((days, fraction)) = excel_serial(*ms) {
                    open(buf, " s=\"2\"><v>");
                    buf.extend_from_slice(num.format(days).as_bytes());
                    if fraction > 0 {
                        // Ten decimals of a day (well under a millisecond), trailing zeros cut.
                        let mut digits = [b'0'; 10];
                        let mut rest = fraction;
                        for d in digits.iter_mut().rev() {
                            *d = b'0' + (rest % 10) as u8;
                            rest /= 10;
                        }
                        let len = digits.iter().rposition(|&d| d != b'0').map_or(0, |p| p + 1);
                        buf.push(b'.');
                        buf.extend_from_slice(&digits[..len]);
                    }
                    buf.extend_from_slice(b"</v></c>");
                }
            }
            Cell::Int(Some(n)) => {
                open(buf, "><v>");
                buf.extend_from_slice(num.format(*n).as_bytes());
                buf.extend_from_slice(b"</v></c>");
            }
            // Rust writes a finite double without an exponent, which Excel reads as is.
            Cell::Number(n) if n.is_finite() => {
                open(buf, "><v>");
                buf.extend_from_slice(n.to_string().as_bytes());
                buf.extend_from_slice(b"</v></c>");
            }
            Cell::Number(_) => {}
            Cell::Date(ms) => {
                if let Some((days, _)) = excel_serial(*ms) {
                    open(buf, " s=\"3\"><v>");
                    buf.extend_from_slice(num.format(days).as_bytes());
                    buf.extend_from_slice(b"</v></c>");
                }
            }
            Cell::Bool(b) => {
                open(buf, " t=\"b\"><v>");
                buf.push(if *b { b'1' } else { b'0' });
                buf.extend_from_slice(b"</v></c>");
            }
            Cell::Time(None) | Cell::Int(None) => {}
        }
    }
    buf.extend_from_slice(b"</row>");
}

fn push_column(buf: &mut Vec<u8>, mut index: usize) {
    let mut name = [0u8; 4];
    let mut len = 0;
    index += 1;
    while index > 0 && len < name.len() {
        index -= 1;
        name[len] = b'A' + (index % 26) as u8;
        len += 1;
        index /= 26;
    }
    buf.extend(name[..len].iter().rev());
}

/// Excel's serial date (1900 system, days since 1899-12-30) of a UTC time, to the second as
/// the export documents: whole days, and the time of day in units of 10^-10 day (rounded).
/// `None` before 1900-03-01, where Excel's serials are off by its fictitious 29 February 1900
/// (no target user is that old).
fn excel_serial(ms: i64) -> Option<(i64, i64)> {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400) + 25_569;
    let fraction = (secs.rem_euclid(86_400) * 10_000_000_000 + 43_200) / 86_400;
    (days >= 61).then_some((days, fraction))
}

/// Leading or trailing whitespace would be dropped by readers without `xml:space`.
fn needs_preserve(s: &str) -> bool {
    s.starts_with(char::is_whitespace) || s.ends_with(char::is_whitespace)
}

/// Text content escaped for XML. Control characters other than tab and line feed (XML 1.0
/// cannot hold most of them, and parsers turn a carriage return into a line feed) and the
/// non-characters U+FFFE and U+FFFF (which XML 1.0 cannot hold either; audit rows stored before
/// their `User-Agent` was cleaned may carry them) are written as Excel writes them, `_xHHHH_`;
/// so that such a sequence already in the text reads back as itself, its underscore is written
/// `_x005F_`.
fn push_escaped(buf: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let replacement: Option<std::borrow::Cow<'static, str>> = match b {
            b'&' => Some("&amp;".into()),
            b'<' => Some("&lt;".into()),
            b'>' => Some("&gt;".into()),
            b'\t' | b'\n' => None,
            // A reader's XML parser turns a raw CR into LF; Excel writes it escaped too.
            b'\r' => Some("_x000D_".into()),
            0..=0x1f => Some(format!("_x{b:04X}_").into()),
            b'_' if is_ooxml_escape(&bytes[i..]) => Some("_x005F_".into()),
            // U+FFFE and U+FFFF are EF BF BE and EF BF BF in UTF-8; their last two bytes match
            // no arm, so the loop walks over them.
            0xef if bytes.get(i + 1) == Some(&0xbf) => match bytes.get(i + 2) {
                Some(0xbe) => Some("_xFFFE_".into()),
                Some(0xbf) => Some("_xFFFF_".into()),
                _ => None,
            },
            _ => None,
        };
        if let Some(r) = replacement {
            buf.extend_from_slice(&bytes[start..i]);
            buf.extend_from_slice(r.as_bytes());
            start = i + if b == 0xef { 3 } else { 1 };
        }
    }
    buf.extend_from_slice(&bytes[start..]);
}

/// `_xHHHH_` at the start of `b`.
fn is_ooxml_escape(b: &[u8]) -> bool {
    b.len() >= 7 && b[1] == b'x' && b[2..6].iter().all(u8::is_ascii_hexdigit) && b[6] == b'_'
}

/// Everything but the sheets, written once their count is known.
fn package<W: Write + std::io::Seek>(
    zip: &mut ZipWriter<W>,
    sheet_rows: &[u32],
    last_col: &str,
    options: SimpleFileOptions,
) -> std::io::Result<()> {
    let sheets = 1..=sheet_rows.len();
    let mut types = format!(
        "{XML_HEAD}<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
         <Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
         <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
         <Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>\
         <Override PartName=\"/xl/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\"/>"
    );
    for n in sheets.clone() {
        let _ = write!(
            types,
            "<Override PartName=\"/xl/worksheets/sheet{n}.xml\" \
             ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"
        );
    }
    types.push_str("</Types>");
    zip.start_file("[Content_Types].xml", options)?;
    zip.write_all(types.as_bytes())?;

    zip.start_file("_rels/.rels", options)?;
    write!(
        zip,
        "{XML_HEAD}<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
         <Relationship Id=\"rId1\" Type=\"{REL_NS}/officeDocument\" Target=\"xl/workbook.xml\"/>\
         </Relationships>"
    )?;

    let mut workbook = format!(
        "{XML_HEAD}<workbook xmlns=\"{MAIN_NS}\" xmlns:r=\"{REL_NS}\"><bookViews>\
         <workbookView/></bookViews><sheets>"
    );
    for n in sheets.clone() {
        let _ = write!(
            workbook,
            "<sheet name=\"Sheet{n}\" sheetId=\"{n}\" r:id=\"rId{n}\"/>"
        );
    }
    workbook.push_str("</sheets><definedNames>");
    for (i, rows) in sheet_rows.iter().enumerate() {
        let _ = write!(
            workbook,
            "<definedName name=\"_xlnm._FilterDatabase\" localSheetId=\"{i}\" hidden=\"1\">\
             Sheet{n}!$A$1:${last_col}${last}</definedName>",
            n = i + 1,
            last = rows + 1
        );
    }
    workbook.push_str("</definedNames></workbook>");
    zip.start_file("xl/workbook.xml", options)?;
    zip.write_all(workbook.as_bytes())?;

    let mut rels = format!(
        "{XML_HEAD}<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
    );
    for n in sheets {
        let _ = write!(
            rels,
            "<Relationship Id=\"rId{n}\" Type=\"{REL_NS}/worksheet\" Target=\"worksheets/sheet{n}.xml\"/>"
        );
    }
    let _ = write!(
        rels,
        "<Relationship Id=\"rId{}\" Type=\"{REL_NS}/styles\" Target=\"styles.xml\"/></Relationships>",
        sheet_rows.len() + 1
    );
    zip.start_file("xl/_rels/workbook.xml.rels", options)?;
    zip.write_all(rels.as_bytes())?;

    zip.start_file("xl/styles.xml", options)?;
    write!(
        zip,
        "{XML_HEAD}<styleSheet xmlns=\"{MAIN_NS}\">\
         <numFmts count=\"2\"><numFmt numFmtId=\"164\" formatCode=\"yyyy\\-mm\\-dd\\ hh:mm:ss\"/>\
         <numFmt numFmtId=\"165\" formatCode=\"yyyy\\-mm\\-dd\"/></numFmts>\
         <fonts count=\"2\"><font><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/></font>\
         <font><b/><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/></font></fonts>\
         <fills count=\"2\"><fill><patternFill patternType=\"none\"/></fill>\
         <fill><patternFill patternType=\"gray125\"/></fill></fills>\
         <borders count=\"1\"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
         <cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/></cellStyleXfs>\
         <cellXfs count=\"4\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/>\
         <xf numFmtId=\"0\" fontId=\"1\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyFont=\"1\"/>\
         <xf numFmtId=\"164\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/>\
         <xf numFmtId=\"165\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/></cellXfs>\
         <cellStyles count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" builtinId=\"0\"/></cellStyles>\
         </styleSheet>"
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_names() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(14), "O");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(701), "ZZ");
        assert_eq!(column_name(702), "AAA");
        // Appends to what the buffer holds, as a cell reference does after `<c r="`.
        let mut b = b"r=\"".to_vec();
        push_column(&mut b, 27);
        assert_eq!(b, b"r=\"AB");
    }

    #[test]
    fn text_escaping() {
        let esc = |s: &str| {
            let mut b = Vec::new();
            push_escaped(&mut b, s);
            String::from_utf8(b).unwrap_or_default()
        };
        assert_eq!(esc("a<b>&c"), "a&lt;b&gt;&amp;c");
        assert_eq!(esc("tab\there\nline"), "tab\there\nline");
        assert_eq!(esc("cr\r\n"), "cr_x000D_\n");
        assert_eq!(esc("bell\u{7}"), "bell_x0007_");
        assert_eq!(esc("_x0041_ and _xZZ_"), "_x005F_x0041_ and _xZZ_");
        assert_eq!(esc("Zoë Ærøskøbing"), "Zoë Ærøskøbing");
    }

    /// U+FFFE and U+FFFF cannot appear in XML 1.0: they are escaped as Excel does, other
    /// characters whose UTF-8 starts with the same byte (U+FFFD, U+FBFF, U+F000) and four-byte
    /// ones are left alone, and calamine reads the escapes back as the characters.
    #[test]
    fn non_characters_are_escaped() {
        let esc = |s: &str| {
            let mut b = Vec::new();
            push_escaped(&mut b, s);
            String::from_utf8(b).unwrap_or_default()
        };
        assert_eq!(esc("a\u{fffe}b\u{ffff}"), "a_xFFFE_b_xFFFF_");
        assert_eq!(esc("\u{ffff}\u{fffe}<"), "_xFFFF__xFFFE_&lt;");
        assert_eq!(
            esc("\u{fffd}\u{fbff}\u{f000}\u{1f600}"),
            "\u{fffd}\u{fbff}\u{f000}\u{1f600}"
        );
        assert_eq!(esc("_xFFFE_"), "_x005F_xFFFE_");

        use calamine::{Data, Reader, Xlsx};
        let texts = ["agent\u{fffe}/1\u{ffff}", "\u{ffff}"];
        let rows = texts
            .iter()
            .map(|t| vec![Cell::Text((*t).into())])
            .collect();
        let bytes = workbook(rows, 100);
        let sheet = part(&bytes, "xl/worksheets/sheet1.xml");
        assert!(
            !sheet.contains(['\u{fffe}', '\u{ffff}']),
            "the sheet holds no character XML forbids: {sheet}"
        );
        let mut book = Xlsx::new(std::io::Cursor::new(bytes)).expect("opens");
        let range = book.worksheet_range("Sheet1").expect("sheet");
        let got: Vec<Data> = range.rows().skip(1).map(|r| r[0].clone()).collect();
        let want: Vec<Data> = texts.iter().map(|t| Data::String((*t).into())).collect();
        assert_eq!(got, want);
    }

    /// Rows from a vector, as a [`RowSource`].
    struct VecRows(std::vec::IntoIter<Vec<Cell>>);

    impl RowSource for VecRows {
        type Row = Vec<Cell>;
        fn next_row(&mut self) -> Option<Result<Vec<Cell>, String>> {
            self.0.next().map(Ok)
        }
    }

    fn workbook(rows: Vec<Vec<Cell>>, per_sheet: u32) -> Vec<u8> {
        let mut file = write_sheets(
            &["Email", "Created", "Count", "Deleted"],
            VecRows(rows.into_iter()),
            Clone::clone,
            per_sheet,
        )
        .expect("written");
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut file, &mut bytes).expect("read back");
        bytes
    }

    fn part(bytes: &[u8], name: &str) -> String {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
        let mut text = String::new();
        std::io::Read::read_to_string(&mut zip.by_name(name).expect(name), &mut text)
            .expect("utf-8");
        text
    }

    #[test]
    fn rows_overflow_to_more_sheets_each_with_header_filter_and_frozen_row() {
        use calamine::{Data, Reader, Xlsx};
        let rows: Vec<Vec<Cell>> = (0..5)
            .map(|i| {
                vec![
                    Cell::Text(format!("u{i}@example.test")),
                    Cell::Time(Some(1_767_268_800_000 + i * 1000)),
                    Cell::Int(if i == 2 { None } else { Some(i * 10) }),
                    Cell::Bool(i % 2 == 0),
                ]
            })
            .collect();
        let bytes = workbook(rows, 2);
        let mut book = Xlsx::new(std::io::Cursor::new(bytes.clone())).expect("calamine opens it");
        assert_eq!(book.sheet_names(), ["Sheet1", "Sheet2", "Sheet3"]);
        let mut seen = Vec::new();
        for (n, name) in book.sheet_names().into_iter().enumerate() {
            let range = book.worksheet_range(&name).expect("sheet");
            let all: Vec<Vec<Data>> = range.rows().map(<[Data]>::to_vec).collect();
            assert_eq!(
                all[0][0],
                Data::String("Email".into()),
                "{name} has the header"
            );
            assert_eq!(all.len(), if n < 2 { 3 } else { 2 }, "{name} rows");
            for r in &all[1..] {
                let Data::String(email) = &r[0] else {
                    panic!("text cell: {r:?}")
                };
                let i: i64 = email[1..2].parse().expect("index");
                let Data::DateTime(dt) = &r[1] else {
                    panic!("date cell: {r:?}")
                };
                assert!(dt.is_datetime());
                assert!((dt.as_f64() - (46_023.5 + i as f64 / 86_400.0)).abs() < 1e-9);
                if i == 2 {
                    assert_eq!(r[2], Data::Empty, "a missing number leaves the cell empty");
                } else {
                    assert_eq!(r[2], Data::Float((i * 10) as f64));
                }
                assert_eq!(r[3], Data::Bool(i % 2 == 0));
                seen.push(i);
            }
            let xml = part(&bytes, &format!("xl/worksheets/sheet{}.xml", n + 1));
            assert!(
                xml.contains("state=\"frozen\""),
                "{name} freezes the header"
            );
            let last = all.len();
            assert!(
                xml.contains(&format!("<autoFilter ref=\"A1:D{last}\"/>")),
                "{name} filters its rows: {xml}"
            );
            assert!(
                xml.contains("<c r=\"A1\" s=\"1\" t=\"inlineStr\">"),
                "bold header"
            );
        }
        assert_eq!(seen, [0, 1, 2, 3, 4], "every row once, in order");
        let styles = part(&bytes, "xl/styles.xml");
        assert!(styles.contains("<font><b/>"), "style 1 is bold");
        let names = part(&bytes, "xl/workbook.xml");
        assert_eq!(names.matches("_xlnm._FilterDatabase").count(), 3);
    }

    #[test]
    fn an_empty_export_is_a_header_only_sheet_and_a_cursor_error_fails_the_file() {
        use calamine::{Reader, Xlsx};
        let bytes = workbook(Vec::new(), 2);
        let mut book = Xlsx::new(std::io::Cursor::new(bytes)).expect("opens");
        assert_eq!(book.sheet_names(), ["Sheet1"]);
        let range = book.worksheet_range("Sheet1").expect("sheet");
        assert_eq!(range.rows().count(), 1);

        struct Failing(u8);
        impl RowSource for Failing {
            type Row = Vec<Cell>;
            fn next_row(&mut self) -> Option<Result<Vec<Cell>, String>> {
                self.0 += 1;
                Some(if self.0 < 3 {
                    Ok(vec![Cell::Text("x".into())])
                } else {
                    Err("connection reset".into())
                })
            }
        }
        let err = write(&["A"], Failing(0), Clone::clone).expect_err("fails");
        assert!(err.to_string().contains("connection reset"), "{err}");
    }

    #[test]
    fn text_round_trips_through_a_reader() {
        use calamine::{Data, Reader, Xlsx};
        let texts = [
            "  padded  ",
            "a<b>&c \"q\" 'a'",
            "Zoë Ærøskøbing-Çağlar Ελένη Дмитрий 王芳",
            "bell\u{7}ring",
            "_x0041_ literal",
            "=1+2",
            "line\nbreak",
            "windows\r\nline",
        ];
        let rows = texts
            .iter()
            .map(|t| vec![Cell::Text((*t).into())])
            .collect();
        let bytes = workbook(rows, 100);
        let mut book = Xlsx::new(std::io::Cursor::new(bytes)).expect("opens");
        let range = book.worksheet_range("Sheet1").expect("sheet");
        let got: Vec<Data> = range.rows().skip(1).map(|r| r[0].clone()).collect();
        let want: Vec<Data> = texts.iter().map(|t| Data::String((*t).into())).collect();
        assert_eq!(got, want);
    }

    /// LibreOffice opens the workbook and reads the same values (skipped where `soffice` is not
    /// installed: `apt-get install libreoffice-calc-nogui`). It refused ZIP64 entries once.
    #[test]
    fn libreoffice_reads_the_workbook() {
        let rows = (0..3)
            .map(|i| {
                vec![
                    Cell::Text(format!("u{i}@example.test")),
                    Cell::Time(Some(1_767_268_800_000 + i * 1000)),
                    Cell::Int(Some(i * 10)),
                    Cell::Bool(i == 1),
                ]
            })
            .collect();
        let bytes = workbook(rows, 100);
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("book.xlsx");
        std::fs::write(&file, bytes).expect("write");
        let run = std::process::Command::new("soffice")
            .args([
                "--headless",
                "--convert-to",
                "csv:Text - txt - csv (StarCalc):44,34,76",
            ])
            .arg("--outdir")
            .arg(dir.path())
            .arg(&file)
            .env("HOME", dir.path())
            .output();
        let Ok(out) = run else {
            eprintln!("soffice is not installed: skipping the LibreOffice check");
            return;
        };
        let csv = std::fs::read_to_string(dir.path().join("book.csv")).unwrap_or_else(|e| {
            panic!(
                "LibreOffice did not convert the workbook ({e}): {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(
            lines,
            [
                "Email,Created,Count,Deleted",
                "u0@example.test,2026-01-01 12:00:00,0,FALSE",
                "u1@example.test,2026-01-01 12:00:01,10,TRUE",
                "u2@example.test,2026-01-01 12:00:02,20,FALSE",
            ]
        );
    }

    #[test]
    fn serial_dates() {
        // 2026-01-01T12:00:00.999Z: day 46023, noon; milliseconds dropped.
        assert_eq!(
            excel_serial(1_767_268_800_999),
            Some((46_023, 5_000_000_000))
        );
        assert_eq!(excel_serial(0), Some((25_569, 0)));
        // One second: 1/86400 day = 0.0000115740740..., rounded to ten decimals.
        assert_eq!(excel_serial(1_000), Some((25_569, 115_741)));
        // 23:59:59 stays below the next day.
        assert_eq!(excel_serial(86_399_000), Some((25_569, 9_999_884_259)));
        assert_eq!(excel_serial(-2_208_988_800_000), None);
    }
}
