//! PDF export: a paginated, readable table (A4 landscape, DejaVu Sans embedded, so that names in
//! Latin, Greek and Cyrillic scripts print; it has no CJK glyphs, which print as placeholders).

use printpdf::{
    Color, Line, LinePoint, Mm, Op, ParsedFont, PdfDocument, PdfFontHandle, PdfPage,
    PdfSaveOptions, Point, Pt, Rgb, TextItem,
};

use super::{Cell, Report, RowSource, PDF_MAX_ROWS};

const PAGE_W: f32 = 297.0;
const PAGE_H: f32 = 210.0;
const MARGIN: f32 = 12.0;
const ROW_H: f32 = 5.0;
const FONT_PT: f32 = 7.5;
/// Average glyph advance of DejaVu Sans at [`FONT_PT`], in mm, used to fit text in a column.
const CHAR_MM: f32 = 1.45;
/// Columns printed: the PDF keeps the ones that fit a landscape page. `Company` leads the
/// CLI's export of several companies' users.
const PDF_COLUMNS: &[&str] = &[
    "Company",
    "Email",
    "First Name",
    "Last Name",
    "Department",
    "Status",
    "Deleted",
    "Priority",
    "Created",
    "Company Name",
    "Reseller",
    "Industry",
    "Licence Limit",
    "Licence End Date",
    "Active Users",
    "Inactive Users",
    "Deleted Users",
];

fn fit(text: &str, width_mm: f32) -> String {
    let max = ((width_mm / CHAR_MM).floor() as usize).max(2);
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut s: String = text.chars().take(max - 1).collect();
        s.push('…');
        s
    }
}

fn text_at(ops: &mut Vec<Op>, font: &PdfFontHandle, size: f32, x: f32, y: f32, text: String) {
    ops.push(Op::StartTextSection);
    ops.push(Op::SetFont {
        font: font.clone(),
        size: Pt(size),
    });
    ops.push(Op::SetTextCursor {
        pos: Point::new(Mm(x), Mm(y)),
    });
    ops.push(Op::ShowText {
        items: vec![TextItem::Text(text)],
    });
    ops.push(Op::EndTextSection);
}

fn rule(ops: &mut Vec<Op>, y: f32) {
    ops.push(Op::DrawLine {
        line: Line {
            points: vec![
                LinePoint {
                    p: Point::new(Mm(MARGIN), Mm(y)),
                    bezier: false,
                },
                LinePoint {
                    p: Point::new(Mm(PAGE_W - MARGIN), Mm(y)),
                    bezier: false,
                },
            ],
            is_closed: false,
        },
    });
}

/// Collects the rows (at most [`PDF_MAX_ROWS`]) and lays them out in pages with a header
/// (title, company, filter, generation time) and "Page n of m" footers. `rows` is read on the
/// calling thread, which may block (run it on a blocking thread).
pub fn write<S: RowSource, F: Fn(&S::Row) -> Vec<Cell>>(
    columns: &[&str],
    mut rows: S,
    to_cells: F,
    report: &Report,
) -> Result<Vec<u8>, String> {
    let keep: Vec<usize> = columns
        .iter()
        .enumerate()
        .filter(|(_, c)| PDF_COLUMNS.contains(c))
        .map(|(i, _)| i)
        .collect();
    let mut table: Vec<Vec<String>> = Vec::new();
    while let Some(row) = rows.next_row() {
        let cells = to_cells(&row.map_err(|e| format!("export cursor failed: {e}"))?);
        if table.len() as i64 >= PDF_MAX_ROWS {
            return Err(format!(
                "more than {PDF_MAX_ROWS} rows reached the PDF writer"
            ));
        }
        table.push(
            keep.iter()
                .map(|&i| match &cells[i] {
                    // Dates only: the time of day does not help a printed list.
                    Cell::Time(_) => cells[i].text().chars().take(10).collect(),
                    other => other.text(),
                })
                .collect(),
        );
    }

    let mut warnings = Vec::new();
    let regular = ParsedFont::from_bytes(dejavu::sans::regular(), 0, &mut warnings)
        .ok_or("the PDF font could not be loaded")?;
    let bold = ParsedFont::from_bytes(dejavu::sans::bold(), 0, &mut warnings)
        .ok_or("the PDF font could not be loaded")?;
    let mut doc = PdfDocument::new(&format!("{} - {}", report.title, report.company));
    let regular = PdfFontHandle::External(doc.add_font(&regular));
    let bold = PdfFontHandle::External(doc.add_font(&bold));

    let headers: Vec<&str> = keep.iter().map(|&i| columns[i]).collect();
    // Column widths proportional to how wide their content tends to be.
    let weights: Vec<f32> = headers
        .iter()
        .map(|h| {
            if h.contains("Email") {
                3.0
            } else if h.contains("Name") || *h == "Department" || *h == "Company" {
                1.6
            } else {
                1.0
            }
        })
        .collect();
    let total: f32 = weights.iter().sum();
    let usable = PAGE_W - 2.0 * MARGIN;
    let widths: Vec<f32> = weights.iter().map(|w| usable * w / total).collect();

    let top = PAGE_H - MARGIN;
    let first_row_y = top - 22.0;
    let per_page = (((first_row_y - MARGIN - 8.0) / ROW_H).floor() as usize).max(1);
    let page_count = table.len().div_ceil(per_page).max(1);
    let generated = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string();
    let grey = Color::Rgb(Rgb {
        r: 0.35,
        g: 0.35,
        b: 0.35,
        icc_profile: None,
    });
    let black = Color::Rgb(Rgb {
        r: 0.0,
        g: 0.0,
        b: 0.0,
        icc_profile: None,
    });

    let mut pages = Vec::with_capacity(page_count);
    for p in 0..page_count {
        let mut ops = Vec::new();
        ops.push(Op::SetFillColor { col: black.clone() });
        text_at(
            &mut ops,
            &bold,
            13.0,
            MARGIN,
            top - 4.0,
            format!("{} - {}", report.title, report.company),
        );
        ops.push(Op::SetFillColor { col: grey.clone() });
        text_at(
            &mut ops,
            &regular,
            8.0,
            MARGIN,
            top - 10.0,
            fit(&report.filter_summary, usable),
        );
        text_at(
            &mut ops,
            &regular,
            8.0,
            MARGIN,
            top - 14.5,
            format!("Generated {generated}. {} rows.", table.len()),
        );
        ops.push(Op::SetFillColor { col: black.clone() });
        let mut x = MARGIN;
        for (h, w) in headers.iter().zip(&widths) {
            text_at(
                &mut ops,
                &bold,
                FONT_PT,
                x,
                first_row_y + 1.5,
                fit(h, *w - 1.0),
            );
            x += w;
        }
        ops.push(Op::SetOutlineColor { col: grey.clone() });
        ops.push(Op::SetOutlineThickness { pt: Pt(0.5) });
        rule(&mut ops, first_row_y);
        let mut y = first_row_y - ROW_H;
        for row in table.iter().skip(p * per_page).take(per_page) {
            let mut x = MARGIN;
            for (cell, w) in row.iter().zip(&widths) {
                if !cell.is_empty() {
                    text_at(&mut ops, &regular, FONT_PT, x, y + 1.4, fit(cell, *w - 1.0));
                }
                x += w;
            }
            y -= ROW_H;
        }
        if table.is_empty() {
            text_at(
                &mut ops,
                &regular,
                9.0,
                MARGIN,
                y,
                "No rows match this filter.".to_owned(),
            );
        }
        ops.push(Op::SetFillColor { col: grey.clone() });
        text_at(
            &mut ops,
            &regular,
            8.0,
            PAGE_W - MARGIN - 25.0,
            MARGIN - 4.0,
            format!("Page {} of {page_count}", p + 1),
        );
        pages.push(PdfPage::new(Mm(PAGE_W), Mm(PAGE_H), ops));
    }
    let mut save_warnings = Vec::new();
    Ok(doc
        .with_pages(pages)
        .save(&PdfSaveOptions::default(), &mut save_warnings))
}
