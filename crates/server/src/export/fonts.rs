//! The fonts PDF exports are set in, loaded once when the server starts; kept apart from the
//! page layout so that the server state holds them without importing the export code.

use std::path::PathBuf;

use printpdf::ParsedFont;

/// Millimetres per point.
pub(super) const MM_PER_PT: f32 = 25.4 / 72.0;

/// The fonts PDF exports are set in: DejaVu Sans regular and bold, and fallbacks, in order, for
/// the characters DejaVu lacks. Loaded once when the server starts.
pub struct PdfFonts {
    pub(super) regular: ParsedFont,
    pub(super) bold: ParsedFont,
    pub(super) fallbacks: Vec<ParsedFont>,
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
    if font.cmap_subtable.is_none() {
        return Err(format!("{what} maps no characters to glyphs"));
    }
    Ok(font)
}

/// The font a character is drawn with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Face {
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

    pub(super) fn font(&self, face: Face) -> &ParsedFont {
        match face {
            Face::Regular => &self.regular,
            Face::Bold => &self.bold,
            Face::Fallback(i) => self.fallbacks.get(i).unwrap_or(&self.regular),
        }
    }

    /// The face that draws `c` in `face`: `face` itself when it has the glyph, else the first
    /// fallback that has it, else `face` (whose placeholder glyph then prints).
    pub(super) fn face_for(&self, face: Face, c: char) -> Face {
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
    pub(super) fn advance_mm(&self, face: Face, c: char, size: f32) -> f32 {
        let font = self.font(face);
        let em = f32::from(font.pdf_font_metrics.units_per_em.max(1));
        let units = font
            .lookup_glyph_index(u32::from(c))
            .map_or(em / 2.0, |g| f32::from(font.get_horizontal_advance(g)));
        units / em * size * MM_PER_PT
    }

    /// `text` cut with an ellipsis to fit `width_mm`, measured with the glyphs that will draw it.
    pub(super) fn fit(&self, face: Face, size: f32, text: &str, width_mm: f32) -> String {
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
    pub(super) fn runs(&self, face: Face, text: &str) -> Vec<(Face, String)> {
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
