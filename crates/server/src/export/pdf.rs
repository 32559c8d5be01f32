//! PDF export: a paginated, readable table (A4 landscape). Text is set in DejaVu Sans, which is
//! compiled in and covers Latin, Greek and Cyrillic scripts; characters it lacks (Chinese,
//! Japanese, Korean, ...) are set in the first of the operator's fallback fonts that has them
//! (`--pdf-fallback-font`), or print as placeholders.

use std::path::PathBuf;

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
/// Millimetres per point.
const MM_PER_PT: f32 = 25.4 / 72.0;
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
    "Client Name",
    "Client Id",
    "Role",
    "IP Restricted",
];

/// The fonts PDF exports are set in: DejaVu Sans regular and bold, and fallbacks, in order, for
/// the characters DejaVu lacks. Loaded once when the server starts.
pub struct PdfFonts {
    regular: ParsedFont,
    bold: ParsedFont,
    fallbacks: Vec<ParsedFont>,
}

impl std::fmt::Debug for PdfFonts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PdfFonts")
            .field(
                "fallbacks",
                &self
                    .fallbacks
                    .iter()
                    .map(|f| &f.font_name)
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

fn parse_font(bytes: &[u8], what: &str) -> Result<ParsedFont, String> {
    let mut warnings = Vec::new();
    let font = ParsedFont::from_bytes(bytes, 0, &mut warnings)
        .ok_or_else(|| format!("{what} is not a TrueType or OpenType font"))?;
    if font.codepoint_to_glyph.is_empty() {
        return Err(format!("{what} maps no characters to glyphs"));
    }
    Ok(font)
}

/// The font a character is drawn with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Face {
    Regular,
    Bold,
    /// The fallback font at this index.
    Fallback(usize),
}

impl PdfFonts {
    /// DejaVu Sans, plus the TrueType or OpenType files at `fallbacks`, tried in order (for
    /// example `/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf` from Debian's
    /// `fonts-droid-fallback` for Chinese and Japanese, `NanumGothic.ttf` from `fonts-nanum`
    /// for Korean).
    pub fn load(fallbacks: &[PathBuf]) -> Result<Self, String> {
        let fallbacks = fallbacks
            .iter()
            .map(|path| {
                let what = format!("the PDF fallback font {}", path.display());
                let bytes = std::fs::read(path).map_err(|e| format!("cannot read {what}: {e}"))?;
                parse_font(&bytes, &what)
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            regular: parse_font(dejavu::sans::regular(), "DejaVu Sans")?,
            bold: parse_font(dejavu::sans::bold(), "DejaVu Sans Bold")?,
            fallbacks,
        })
    }

    fn font(&self, face: Face) -> &ParsedFont {
        match face {
            Face::Regular => &self.regular,
            Face::Bold => &self.bold,
            Face::Fallback(i) => self.fallbacks.get(i).unwrap_or(&self.regular),
        }
    }

    /// The face that draws `c` in `face`: `face` itself when it has the glyph, else the first
    /// fallback that has it, else `face` (whose placeholder glyph then prints).
    fn face_for(&self, face: Face, c: char) -> Face {
        let has = |f: &ParsedFont| f.lookup_glyph_index(u32::from(c)).is_some();
        if has(self.font(face)) {
            return face;
        }
        self.fallbacks
            .iter()
            .position(has)
            .map_or(face, Face::Fallback)
    }

    /// Width of `c` drawn in `face` at `size` points, in mm.
    fn advance_mm(&self, face: Face, c: char, size: f32) -> f32 {
        let font = self.font(face);
        let em = f32::from(font.units_per_em.max(1));
        let units = font
            .lookup_glyph_index(u32::from(c))
            .and_then(|g| font.get_glyph_width(g))
            .map_or(em / 2.0, f32::from);
        units / em * size * MM_PER_PT
    }

    /// `text` cut with an ellipsis to fit `width_mm`, measured with the glyphs that will draw it.
    fn fit(&self, face: Face, size: f32, text: &str, width_mm: f32) -> String {
        let width = |c| self.advance_mm(self.face_for(face, c), c, size);
        if text.chars().map(width).sum::<f32>() <= width_mm {
            return text.to_owned();
        }
        let room = width_mm - width('…');
        let mut used = 0.0;
        let mut out: String = text
            .chars()
            .take_while(|&c| {
                used += width(c);
                used <= room
            })
            .collect();
        out.push('…');
        out
    }

    /// `text` split into runs that one font draws.
    fn runs(&self, face: Face, text: &str) -> Vec<(Face, String)> {
        let mut runs: Vec<(Face, String)> = Vec::new();
        for c in text.chars() {
            let f = self.face_for(face, c);
            match runs.last_mut() {
                Some((last, run)) if *last == f => run.push(c),
                _ => runs.push((f, c.to_string())),
            }
        }
        runs
    }
}

/// The fonts as added to one document.
struct Handles<'a> {
    fonts: &'a PdfFonts,
    regular: PdfFontHandle,
    bold: PdfFontHandle,
    /// By fallback index.
    fallbacks: Vec<PdfFontHandle>,
}

impl Handles<'_> {
    fn handle(&self, face: Face) -> &PdfFontHandle {
        match face {
            Face::Bold => &self.bold,
            Face::Fallback(i) => self.fallbacks.get(i).unwrap_or(&self.regular),
            Face::Regular => &self.regular,
        }
    }

    /// `text` at (x, y) mm, cut to `width_mm` when given.
    #[allow(clippy::too_many_arguments)] // a drawing call: face, size, position, width, text
    fn text(
        &self,
        ops: &mut Vec<Op>,
        face: Face,
        size: f32,
        x: f32,
        y: f32,
        width_mm: Option<f32>,
        text: &str,
    ) {
        let text = match width_mm {
            Some(w) => self.fonts.fit(face, size, text, w),
            None => text.to_owned(),
        };
        ops.push(Op::StartTextSection);
        ops.push(Op::SetTextCursor {
            pos: Point::new(Mm(x), Mm(y)),
        });
        for (f, run) in self.fonts.runs(face, &text) {
            ops.push(Op::SetFont {
                font: self.handle(f).clone(),
                size: Pt(size),
            });
            ops.push(Op::ShowText {
                items: vec![TextItem::Text(run)],
            });
        }
        ops.push(Op::EndTextSection);
    }
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
pub fn write<S: RowSource, F: Fn(&S::Row) -> Vec<Cell>, C: AsRef<str>>(
    columns: &[C],
    mut rows: S,
    to_cells: F,
    report: &Report,
    fonts: &PdfFonts,
) -> Result<Vec<u8>, String> {
    let keep: Vec<usize> = columns
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            let c = c.as_ref();
            PDF_COLUMNS.contains(&c) || report.pdf_columns.iter().any(|p| p == c)
        })
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

    let mut doc = PdfDocument::new(&format!("{} - {}", report.title, report.company));
    // printpdf's default dates are the Unix epoch: a reader would show 1970-01-01.
    let now = printpdf::OffsetDateTime::now_utc();
    doc.metadata.info.creation_date = now;
    doc.metadata.info.modification_date = now;
    doc.metadata.info.metadata_date = now;
    doc.metadata.info.producer = concat!("rollcall ", env!("CARGO_PKG_VERSION")).to_owned();
    // printpdf leaves out of the file every font no text of it uses, so each fallback is
    // embedded only in the PDFs that need it.
    let h = Handles {
        fonts,
        regular: PdfFontHandle::External(doc.add_font(&fonts.regular)),
        bold: PdfFontHandle::External(doc.add_font(&fonts.bold)),
        fallbacks: fonts
            .fallbacks
            .iter()
            .map(|f| PdfFontHandle::External(doc.add_font(f)))
            .collect(),
    };

    let headers: Vec<&str> = keep.iter().map(|&i| columns[i].as_ref()).collect();
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
        let title = format!("{} - {}", report.title, report.company);
        h.text(&mut ops, Face::Bold, 13.0, MARGIN, top - 4.0, None, &title);
        ops.push(Op::SetFillColor { col: grey.clone() });
        let summary = match &report.left_out {
            Some(note) => format!("{} {note}", report.filter_summary),
            None => report.filter_summary.clone(),
        };
        h.text(
            &mut ops,
            Face::Regular,
            8.0,
            MARGIN,
            top - 10.0,
            Some(usable),
            &summary,
        );
        let (one, many) = report.noun;
        let n = table.len();
        let generated = format!(
            "Generated {generated}. {n} {}.",
            if n == 1 { one } else { many }
        );
        h.text(
            &mut ops,
            Face::Regular,
            8.0,
            MARGIN,
            top - 14.5,
            None,
            &generated,
        );
        ops.push(Op::SetFillColor { col: black.clone() });
        let mut x = MARGIN;
        for (head, w) in headers.iter().zip(&widths) {
            let y = first_row_y + 1.5;
            h.text(&mut ops, Face::Bold, FONT_PT, x, y, Some(*w - 1.0), head);
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
                    h.text(
                        &mut ops,
                        Face::Regular,
                        FONT_PT,
                        x,
                        y + 1.4,
                        Some(*w - 1.0),
                        cell,
                    );
                }
                x += w;
            }
            y -= ROW_H;
        }
        if table.is_empty() {
            let none = "No rows match this filter.";
            h.text(&mut ops, Face::Regular, 9.0, MARGIN, y, None, none);
        }
        ops.push(Op::SetFillColor { col: grey.clone() });
        let page = format!("Page {} of {page_count}", p + 1);
        let x = PAGE_W - MARGIN - 25.0;
        h.text(&mut ops, Face::Regular, 8.0, x, MARGIN - 4.0, None, &page);
        pages.push(PdfPage::new(Mm(PAGE_W), Mm(PAGE_H), ops));
    }
    let mut save_warnings = Vec::new();
    Ok(doc
        .with_pages(pages)
        .save(&PdfSaveOptions::default(), &mut save_warnings))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const CJK_FONT: &str = "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf";

    #[test]
    fn a_fallback_font_that_cannot_be_used_is_an_error_naming_the_file() {
        let err = PdfFonts::load(&["/nonexistent/font.ttf".into()]).unwrap_err();
        assert!(err.contains("/nonexistent/font.ttf"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let not_a_font = dir.path().join("notes.ttf");
        std::fs::write(&not_a_font, "not a font").unwrap();
        let err = PdfFonts::load(&[not_a_font]).unwrap_err();
        assert!(
            err.contains("notes.ttf") && err.contains("not a TrueType"),
            "{err}"
        );
    }

    #[test]
    fn text_is_cut_by_its_measured_width() {
        let fonts = PdfFonts::load(&[]).unwrap();
        let width = |s: &str| -> f32 {
            s.chars()
                .map(|c| fonts.advance_mm(Face::Regular, c, FONT_PT))
                .sum()
        };
        // Proportional glyphs: as many narrow letters take less room than wide ones.
        assert!(width("iiiiiiiiii") * 2.0 < width("WWWWWWWWWW"));
        let narrow = fonts.fit(Face::Regular, FONT_PT, &"i".repeat(40), 20.0);
        let wide = fonts.fit(Face::Regular, FONT_PT, &"W".repeat(40), 20.0);
        assert!(narrow.ends_with('…') && wide.ends_with('…'));
        assert!(
            narrow.chars().count() > 2 * wide.chars().count(),
            "{narrow} / {wide}"
        );
        for cut in [&narrow, &wide] {
            assert!(width(cut) <= 20.0, "{cut} is {} mm", width(cut));
        }
        assert_eq!(fonts.fit(Face::Regular, FONT_PT, "Anna", 20.0), "Anna");
    }

    #[test]
    fn characters_dejavu_lacks_go_to_the_first_fallback_that_has_them() {
        let plain = PdfFonts::load(&[]).unwrap();
        let text = "Anna 山田 Łukasz";
        assert_eq!(
            plain.runs(Face::Regular, text),
            [(Face::Regular, text.to_owned())]
        );
        if !std::path::Path::new(CJK_FONT).exists() {
            assert!(
                std::env::var("CI").map(|v| v != "true").unwrap_or(true),
                "CI must install fonts-droid-fallback ({CJK_FONT})"
            );
            eprintln!("{CJK_FONT} is not installed: skipping the fallback part");
            return;
        }
        // DejaVu Sans Mono has no ideographs either, so they go to the second fallback.
        let dir = tempfile::tempdir().unwrap();
        let mono = dir.path().join("DejaVuSansMono.ttf");
        std::fs::write(&mono, dejavu::sans_mono::regular()).unwrap();
        let fonts = PdfFonts::load(&[mono, CJK_FONT.into()]).unwrap();
        assert_eq!(
            fonts.runs(Face::Bold, text),
            [
                (Face::Bold, "Anna ".to_owned()),
                (Face::Fallback(1), "山田".to_owned()),
                (Face::Bold, " Łukasz".to_owned()),
            ]
        );
        // Ideographs are full width: a column holds fewer of them than Latin letters.
        let cjk = fonts.fit(Face::Regular, FONT_PT, &"山".repeat(40), 20.0);
        let latin = fonts.fit(Face::Regular, FONT_PT, &"a".repeat(40), 20.0);
        assert!(
            cjk.chars().count() < latin.chars().count(),
            "{cjk} / {latin}"
        );
    }
}
