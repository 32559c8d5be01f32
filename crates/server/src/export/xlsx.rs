//! Excel export: a real `.xlsx` written in constant-memory mode.

use std::fs::File;

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};

use super::{Cell, RowSource};

/// Rows per sheet: Excel's limit of 1,048,576 less the header row.
pub const ROWS_PER_SHEET: u32 = 1_048_575;

/// Writes every row into a temporary `.xlsx` (removed from the directory at once; the open
/// handle keeps it until the caller has sent or copied it). Bold, frozen header with an autofilter on
/// every sheet; more rows than a sheet holds continue on `Sheet2`, `Sheet3`, ...
///
/// `rows` is read on the calling thread, which may block (run it on a blocking thread).
pub fn write<S: RowSource, F: Fn(&S::Row) -> Vec<Cell>>(
    columns: &[&str],
    mut rows: S,
    to_cells: F,
) -> Result<File, XlsxError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let date = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let last_col = u16::try_from(columns.len().saturating_sub(1)).unwrap_or(0);
    let mut pending = rows.next_row();
    let mut sheet_no = 0;
    loop {
        sheet_no += 1;
        let sheet = workbook.add_worksheet_with_constant_memory()?;
        sheet.set_name(format!("Sheet{sheet_no}"))?;
        for (c, name) in columns.iter().enumerate() {
            let c = c as u16;
            sheet.write_string_with_format(0, c, *name, &bold)?;
            sheet.set_column_width(c, if name.contains("Email") { 32 } else { 18 })?;
        }
        sheet.set_freeze_panes(1, 0)?;
        let mut row: u32 = 0;
        while row < ROWS_PER_SHEET {
            let cells = match pending.take() {
                None => break,
                Some(Err(e)) => {
                    return Err(XlsxError::ParameterError(format!(
                        "export cursor failed: {e}"
                    )))
                }
                Some(Ok(r)) => to_cells(&r),
            };
            row += 1;
            for (c, cell) in cells.iter().enumerate() {
                let c = c as u16;
                match cell {
                    Cell::Text(s) if s.is_empty() => {}
                    Cell::Text(s) => {
                        sheet.write_string(row, c, s)?;
                    }
                    Cell::Time(Some(ms)) => {
                        let t = ExcelDateTime::from_timestamp(ms.div_euclid(1000))?;
                        sheet.write_datetime_with_format(row, c, &t, &date)?;
                    }
                    Cell::Int(Some(n)) => {
                        sheet.write_number(row, c, *n as f64)?;
                    }
                    Cell::Bool(b) => {
                        sheet.write_boolean(row, c, *b)?;
                    }
                    Cell::Time(None) | Cell::Int(None) => {}
                }
            }
            pending = rows.next_row();
        }
        sheet.autofilter(0, 0, row, last_col)?;
        if pending.is_none() {
            break;
        }
    }
    let tmp = tempfile::NamedTempFile::new().map_err(XlsxError::IoError)?;
    workbook.save(tmp.path())?;
    tmp.reopen().map_err(XlsxError::IoError)
}
