//! The two embedded faces (Liberation Sans regular and bold) and their metrics.
//!
//! The font files are vendored in `crates/api/assets/fonts/` (SIL Open Font License 1.1, see
//! the license file there) and compiled into the binary, so rendering needs nothing from the
//! host. Text is measured with the fonts' own advance widths; no shaping is needed for French.

use ttf_parser::{Face, GlyphId};

use super::PdfError;

static REGULAR: &[u8] = include_bytes!("../../../assets/fonts/LiberationSans-Regular.ttf");
static BOLD: &[u8] = include_bytes!("../../../assets/fonts/LiberationSans-Bold.ttf");

/// Which face a run of text uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Liberation Sans Regular.
    Regular,
    /// Liberation Sans Bold.
    Bold,
}

impl Style {
    pub const ALL: [Style; 2] = [Style::Regular, Style::Bold];

    /// Position in [`Style::ALL`] and in [`Fonts`].
    pub fn index(self) -> usize {
        match self {
            Style::Regular => 0,
            Style::Bold => 1,
        }
    }
}

/// A parsed face with what the PDF writer needs.
pub struct Font {
    /// The font program, for subsetting.
    pub data: &'static [u8],
    /// PostScript name written as `BaseFont`.
    pub postscript_name: &'static str,
    face: Face<'static>,
    /// Font units per em, to scale metrics to the PDF's thousandths of an em.
    units_per_em: f32,
    question_mark: u16,
}

impl Font {
    fn parse(data: &'static [u8], postscript_name: &'static str) -> Result<Self, PdfError> {
        let face = Face::parse(data, 0).map_err(|e| PdfError::Font(e.to_string()))?;
        let units_per_em = f32::from(face.units_per_em());
        let question_mark = face.glyph_index('?').map_or(0, |g| g.0);
        Ok(Self {
            data,
            postscript_name,
            face,
            units_per_em,
            question_mark,
        })
    }

    /// The glyph drawn for `c`: a missing character falls back to a near equivalent, then `?`.
    pub fn glyph(&self, c: char) -> (u16, char) {
        if let Some(g) = self.face.glyph_index(c) {
            return (g.0, c);
        }
        let substitute = match c {
            '\u{202F}' | '\u{2007}' | '\u{2009}' | '\u{00A0}' => ' ',
            '\u{2018}' | '\u{2019}' | '\u{02BC}' => '\'',
            '\u{201C}' | '\u{201D}' | '\u{00AB}' | '\u{00BB}' => '"',
            '\u{2013}' | '\u{2014}' | '\u{2212}' => '-',
            _ => '?',
        };
        match self.face.glyph_index(substitute) {
            Some(g) => (g.0, substitute),
            None => (self.question_mark, '?'),
        }
    }

    /// Advance width of a glyph in thousandths of an em.
    pub fn advance(&self, glyph: u16) -> f32 {
        let units = self.face.glyph_hor_advance(GlyphId(glyph)).unwrap_or(0);
        f32::from(units) * 1000.0 / self.units_per_em
    }

    /// Width of `text` set at `size` points, in points.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        let thousandths: f32 = text.chars().map(|c| self.advance(self.glyph(c).0)).sum();
        thousandths * size / 1000.0
    }

    /// Scales a metric in font units to thousandths of an em.
    fn scaled(&self, units: i16) -> f32 {
        f32::from(units) * 1000.0 / self.units_per_em
    }

    /// Ascender, in thousandths of an em.
    pub fn ascent(&self) -> f32 {
        self.scaled(self.face.ascender())
    }

    /// Descender (negative), in thousandths of an em.
    pub fn descent(&self) -> f32 {
        self.scaled(self.face.descender())
    }

    /// Height of capital letters, in thousandths of an em.
    pub fn cap_height(&self) -> f32 {
        self.scaled(self.face.capital_height().unwrap_or(self.face.ascender()))
    }

    /// The bounding box of all glyphs, in thousandths of an em: (x0, y0, x1, y1).
    pub fn bbox(&self) -> (f32, f32, f32, f32) {
        let b = self.face.global_bounding_box();
        (
            self.scaled(b.x_min),
            self.scaled(b.y_min),
            self.scaled(b.x_max),
            self.scaled(b.y_max),
        )
    }

    /// Italic angle in degrees (0 for upright faces).
    pub fn italic_angle(&self) -> f32 {
        self.face.italic_angle()
    }

    /// Weight class (400 regular, 700 bold).
    pub fn weight(&self) -> u16 {
        self.face.weight().to_number()
    }
}

/// Both faces, indexed by [`Style::index`].
pub struct Fonts([Font; 2]);

impl Fonts {
    /// Parses the embedded faces.
    pub fn load() -> Result<Self, PdfError> {
        Ok(Self([
            Font::parse(REGULAR, "LiberationSans")?,
            Font::parse(BOLD, "LiberationSans-Bold")?,
        ]))
    }

    /// The face for `style`.
    pub fn get(&self, style: Style) -> &Font {
        &self.0[style.index()]
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_faces_cover_french_letters_and_typographic_signs() {
        let fonts = Fonts::load().unwrap();
        for style in Style::ALL {
            let font = fonts.get(style);
            for c in "ÀÂÆÇÉÈÊËÎÏÔŒÙÛÜŸàâæçéèêëîïôœùûüÿ«»’…€°–—\u{A0}".chars()
            {
                assert_eq!(font.glyph(c).1, c, "{c} in {style:?}");
            }
        }
    }

    #[test]
    fn a_missing_character_falls_back_to_a_question_mark() {
        let fonts = Fonts::load().unwrap();
        let (glyph, shown) = fonts.get(Style::Regular).glyph('\u{1F600}');
        assert_eq!(shown, '?');
        assert_ne!(glyph, 0);
    }

    #[test]
    fn bold_text_is_wider_than_regular_text() {
        let fonts = Fonts::load().unwrap();
        let regular = fonts.get(Style::Regular).width("Plan d'aide", 10.0);
        let bold = fonts.get(Style::Bold).width("Plan d'aide", 10.0);
        assert!(regular > 40.0 && regular < 60.0, "{regular}");
        assert!(bold > regular);
    }
}
