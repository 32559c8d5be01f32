//! PDF export: a paginated, readable table (A4 landscape). Text is set in DejaVu Sans, which is
//! compiled in and covers Latin, Greek and Cyrillic scripts; characters it lacks (Chinese,
//! Japanese, Korean, ...) are set in the first of the operator's fallback fonts that has them
//! (`--pdf-fallback-font`), or print as placeholders. Each file embeds only the glyphs it
//! prints (font subsetting). The CLI's export of several companies gets a section per company.

use printpdf::{
    Color, Line, LinePoint, Mm, Op, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, Point, Pt,
    Rgb, TextItem,
};

use super::fonts::{Face, PdfFonts};
use super::{Cell, Report, RowSource, PDF_MAX_ROWS};

const PAGE_W: f32 = 297.0;
const PAGE_H: f32 = 210.0;
const MARGIN: f32 = 12.0;
const ROW_H: f32 = 5.0;
const FONT_PT: f32 = 7.5;
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

/// The first column of the CLI's export of several companies (`--all-companies`): such a PDF
/// gets a section per company, headed with its name, instead of the column.
const COMPANY_COLUMN: &str = "Company";

/// One company's rows, or every row when the export has no [`COMPANY_COLUMN`].
struct Section {
    /// The company its heading names.
    company: Option<String>,
    rows: Vec<Vec<String>>,
}

/// A cell as the PDF prints it.
fn cell_text(cell: &Cell) -> String {
    match cell {
        // Dates only: the time of day does not help a printed list.
        Cell::Time(_) => cell.text().chars().take(10).collect(),
        other => other.text(),
    }
}

/// Collects the rows (at most [`PDF_MAX_ROWS`]) and lays them out in pages with a header
/// (title, company, filter, generation time) and "Page n of m" footers. When the first column
/// is `Company` (the CLI's `--all-companies`), each company starts a new page with a heading
/// naming it and its row count, and that column is left out of the table. `rows` is read on
/// the calling thread, which may block (run it on a blocking thread).
pub fn write<S: RowSource, F: Fn(&S::Row) -> Vec<Cell>, C: AsRef<str>>(
    columns: &[C],
    mut rows: S,
    to_cells: F,
    report: &Report,
    fonts: &PdfFonts,
) -> Result<Vec<u8>, String> {
    let by_company = columns.first().map(AsRef::as_ref) == Some(COMPANY_COLUMN);
    let keep: Vec<usize> = columns
        .iter()
        .enumerate()
        .filter(|&(i, c)| {
            let c = c.as_ref();
            !(by_company && i == 0)
                && (PDF_COLUMNS.contains(&c) || report.pdf_columns.iter().any(|p| p == c))
        })
        .map(|(i, _)| i)
        .collect();
    let mut sections: Vec<Section> = Vec::new();
    let mut n = 0usize;
    while let Some(row) = rows.next_row() {
        let cells = to_cells(&row.map_err(|e| format!("export cursor failed: {e}"))?);
        if n as i64 >= PDF_MAX_ROWS {
            return Err(format!(
                "more than {PDF_MAX_ROWS} rows reached the PDF writer"
            ));
        }
        n += 1;
        let company = by_company.then(|| cells.first().map(cell_text).unwrap_or_default());
        let row = keep
            .iter()
            .map(|&i| cells.get(i).map(cell_text).unwrap_or_default())
            .collect();
        match sections.last_mut() {
            Some(s) if s.company == company => s.rows.push(row),
            _ => sections.push(Section {
                company,
                rows: vec![row],
            }),
        }
    }
    if sections.is_empty() {
        sections.push(Section {
            company: None,
            rows: Vec::new(),
        });
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
            } else if h.contains("Name") || *h == "Department" || *h == COMPANY_COLUMN {
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
    // A company's heading takes a line above the table.
    let heading_y = top - 21.0;
    let first_row_y = if by_company { top - 28.0 } else { top - 22.0 };
    let per_page = (((first_row_y - MARGIN - 8.0) / ROW_H).floor() as usize).max(1);
    // Each section starts a page: (section, its rows on the page, whether it began earlier).
    let mut plan: Vec<(&Section, &[Vec<String>], bool)> = Vec::new();
    for s in &sections {
        if s.rows.is_empty() {
            plan.push((s, &[], false));
        }
        for (i, chunk) in s.rows.chunks(per_page).enumerate() {
            plan.push((s, chunk, i > 0));
        }
    }
    let page_count = plan.len();
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
    let (one, many) = report.noun;
    let count = |n: usize| format!("{n} {}", if n == 1 { one } else { many });

    let mut pages = Vec::with_capacity(page_count);
    for (p, &(section, page_rows, continued)) in plan.iter().enumerate() {
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
        let generated = format!("Generated {generated}. {}.", count(n));
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
        if let Some(company) = &section.company {
            let mut heading = format!("Company: {company} ({})", count(section.rows.len()));
            if continued {
                heading.push_str(", continued");
            }
            h.text(
                &mut ops,
                Face::Bold,
                10.0,
                MARGIN,
                heading_y,
                Some(usable),
                &heading,
            );
        }
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
        for row in page_rows {
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
        if page_rows.is_empty() {
            let none = "No rows match this filter.";
            h.text(&mut ops, Face::Regular, 9.0, MARGIN, y, None, none);
        }
        ops.push(Op::SetFillColor { col: grey.clone() });
        let page = format!("Page {} of {page_count}", p + 1);
        let x = PAGE_W - MARGIN - 25.0;
        h.text(&mut ops, Face::Regular, 8.0, x, MARGIN - 4.0, None, &page);
        pages.push(PdfPage::new(Mm(PAGE_W), Mm(PAGE_H), ops));
    }
    // Subsetting (printpdf's `text_layout` feature) embeds only the glyphs the pages use:
    // without it every export carried whole fonts, the CJK fallback above all.
    let options = PdfSaveOptions {
        subset_fonts: true,
        ..PdfSaveOptions::default()
    };
    let mut save_warnings = Vec::new();
    Ok(doc.with_pages(pages).save(&options, &mut save_warnings))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::export::TARGET_USER_COLUMNS;
    use printpdf::ParsedFont;

    const CJK_FONT: &str = "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf";

    struct VecRows(std::vec::IntoIter<Vec<Cell>>);

    impl RowSource for VecRows {
        type Row = Vec<Cell>;

        fn next_row(&mut self) -> Option<Result<Vec<Cell>, String>> {
            self.0.next().map(Ok)
        }
    }

    fn report() -> Report {
        Report {
            title: "Target Users".into(),
            company: "Acme".into(),
            filter_summary: "All users, by email.".into(),
            pdf_columns: vec![],
            left_out: None,
            noun: ("user", "users"),
        }
    }

    /// A target user's cells in `TARGET_USER_COLUMNS` order, named after `first` and `last`.
    fn user(i: usize, first: &str, last: &str) -> Vec<Cell> {
        let text = |s: &str| Cell::Text(s.to_owned());
        vec![
            text(&format!("user{i}@example.com")),
            text(first),
            text(last),
            text("Research"),
            text("+1 555 0100"),
            text("Medium"),
            text("Active"),
            Cell::Bool(false),
            text("UTC"),
            text("en"),
            text("Ann Lee"),
            text("ann@example.com"),
            Cell::Time(Some(1_767_225_600_000)),
            Cell::Time(None),
            text(&format!("usr{i:09}")),
            text("All staff"),
        ]
    }

    fn write_pdf(columns: &[&str], rows: Vec<Vec<Cell>>, fonts: &PdfFonts) -> Vec<u8> {
        write(
            columns,
            VecRows(rows.into_iter()),
            |r: &Vec<Cell>| r.clone(),
            &report(),
            fonts,
        )
        .unwrap()
    }

    /// The text of each page, as lopdf extracts it.
    fn page_texts(pdf: &[u8]) -> Vec<String> {
        let doc = lopdf::Document::load_mem(pdf).unwrap();
        doc.get_pages()
            .keys()
            .map(|&n| doc.extract_text(&[n]).unwrap())
            .collect()
    }

    /// The font programs the PDF embeds (`FontFile2`/`FontFile3` streams), decompressed.
    fn font_programs(pdf: &[u8]) -> Vec<Vec<u8>> {
        let doc = lopdf::Document::load_mem(pdf).unwrap();
        let mut programs = Vec::new();
        for object in doc.objects.values() {
            let Ok(descriptor) = object.as_dict() else {
                continue;
            };
            for key in [b"FontFile2".as_slice(), b"FontFile3".as_slice()] {
                if let Ok(id) = descriptor.get(key).and_then(|r| r.as_reference()) {
                    let stream = doc.get_object(id).unwrap().as_stream().unwrap();
                    programs.push(
                        stream
                            .decompressed_content()
                            .unwrap_or_else(|_| stream.content.clone()),
                    );
                }
            }
        }
        programs
    }

    /// Checks that every embedded font program is a font and none is more than `max` bytes.
    fn assert_subset(pdf: &[u8], fonts: usize, max: usize) -> Vec<ParsedFont> {
        let programs = font_programs(pdf);
        assert_eq!(programs.len(), fonts, "font programs embedded");
        programs
            .iter()
            .map(|p| {
                assert!(p.len() <= max, "a font program of {} bytes", p.len());
                ParsedFont::from_bytes(p, 0, &mut Vec::new()).expect("the program is a font")
            })
            .collect()
    }

    #[test]
    fn a_one_user_pdf_embeds_only_the_glyphs_it_prints() {
        let fonts = PdfFonts::load(&[]).unwrap();
        let pdf = write_pdf(TARGET_USER_COLUMNS, vec![user(1, "Zoë", "Łukasz")], &fonts);
        eprintln!("a PDF of 1 user: {} bytes", pdf.len());
        assert!(pdf.len() < 100_000, "{} bytes", pdf.len());
        // DejaVu Sans regular and bold, each cut to a small part of the whole font.
        let whole = dejavu::sans::regular().len();
        let embedded = assert_subset(&pdf, 2, whole / 10);
        assert!(embedded
            .iter()
            .any(|f| f.lookup_glyph_index('Ł'.into()).is_some()));
        let pages = page_texts(&pdf);
        assert_eq!(pages.len(), 1);
        for text in [
            "user1@example.com",
            "Zoë",
            "Łukasz",
            "Email",
            "1 user.",
            "Page 1 of 1",
        ] {
            assert!(pages[0].contains(text), "{text} in {:?}", pages[0]);
        }
        assert!(
            !pages[0].contains("Company:"),
            "no sections: {:?}",
            pages[0]
        );
    }

    #[test]
    fn a_thousand_user_pdf_stays_small() {
        let fonts = PdfFonts::load(&[]).unwrap();
        let rows = (0..1000).map(|i| user(i, "Anna", "Fiore")).collect();
        let pdf = write_pdf(TARGET_USER_COLUMNS, rows, &fonts);
        eprintln!("a PDF of 1,000 users: {} bytes", pdf.len());
        assert!(pdf.len() < 250_000, "{} bytes", pdf.len());
        assert_subset(&pdf, 2, dejavu::sans::regular().len() / 10);
        let pages = page_texts(&pdf);
        let last = pages.last().unwrap();
        assert!(last.contains("user999@example.com"), "{last:?}");
        assert!(last.contains(&format!("Page {0} of {0}", pages.len())));
    }

    #[test]
    fn cjk_text_embeds_a_small_part_of_the_fallback_font() {
        if !std::path::Path::new(CJK_FONT).exists() {
            assert!(
                std::env::var("CI").map(|v| v != "true").unwrap_or(true),
                "CI must install fonts-droid-fallback ({CJK_FONT})"
            );
            eprintln!("{CJK_FONT} is not installed: skipping the CJK size check");
            return;
        }
        let fonts = PdfFonts::load(&[CJK_FONT.into()]).unwrap();
        let rows = vec![user(1, "太郎", "山田"), user(2, "小明", "王")];
        let pdf = write_pdf(TARGET_USER_COLUMNS, rows, &fonts);
        eprintln!(
            "a PDF of 2 CJK users with the fallback font: {} bytes",
            pdf.len()
        );
        assert!(pdf.len() < 100_000, "{} bytes", pdf.len());
        let whole = std::fs::metadata(CJK_FONT).unwrap().len() as usize;
        let embedded = assert_subset(&pdf, 3, whole / 20);
        assert!(
            embedded.iter().any(|f| "山田太郎王小明"
                .chars()
                .all(|c| f.lookup_glyph_index(c.into()).is_some())),
            "the fallback subset draws the ideographs"
        );
        let text = page_texts(&pdf).concat();
        for name in ["太郎", "山田", "小明", "王"] {
            assert!(text.contains(name), "{name} in {text:?}");
        }
    }

    #[test]
    fn several_companies_get_a_section_each() {
        let fonts = PdfFonts::load(&[]).unwrap();
        let columns: Vec<&str> = std::iter::once(COMPANY_COLUMN)
            .chain(TARGET_USER_COLUMNS.iter().copied())
            .collect();
        let with = |company: &str, mut cells: Vec<Cell>| {
            cells.insert(0, Cell::Text(company.to_owned()));
            cells
        };
        // More users than a page holds, then a second company.
        let mut rows: Vec<_> = (0..35)
            .map(|i| with("North AB", user(i, "Anna", "Fiore")))
            .collect();
        rows.extend((100..102).map(|i| with("Beta Ltd", user(i, "Bo", "Berg"))));
        let pdf = write_pdf(&columns, rows, &fonts);
        let pages = page_texts(&pdf);
        assert_eq!(pages.len(), 3, "{pages:?}");
        let headings = [
            "Company: North AB (35 users)\n",
            "Company: North AB (35 users), continued",
            "Company: Beta Ltd (2 users)",
        ];
        for (i, (page, heading)) in pages.iter().zip(headings).enumerate() {
            assert!(page.contains(heading), "{heading} in {page:?}");
            assert!(page.contains("37 users."), "the total: {page:?}");
            assert!(page.contains(&format!("Page {} of 3", i + 1)), "{page:?}");
            // The table header on every page, without the company column the heading replaces.
            assert!(page.lines().any(|l| l == "Email"), "{page:?}");
            assert!(!page.lines().any(|l| l == COMPANY_COLUMN), "{page:?}");
        }
        assert_eq!(pages[0].matches("North AB").count(), 1, "{:?}", pages[0]);
        assert!(pages[0].contains("user0@example.com") && !pages[0].contains("Beta"));
        assert!(pages[1].contains("user34@example.com") && !pages[1].contains("Beta"));
        assert!(pages[2].contains("user100@example.com") && pages[2].contains("user101@"));
        assert!(!pages[2].contains("North AB"), "{:?}", pages[2]);

        let empty = page_texts(&write_pdf(&columns, vec![], &fonts));
        assert_eq!(empty.len(), 1);
        assert!(empty[0].contains("No rows match this filter."), "{empty:?}");
    }

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
