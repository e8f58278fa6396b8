//! A small PDF engine for printed documents: A4 pages, two embedded faces, wrapped text.
//!
//! [`Layout`] flows text down A4 pages (wrapping lines to a width, opening a new page when the
//! next block does not fit), recording drawing operations per [`Page`]. [`emit::write`] then
//! turns the pages into a PDF whose fonts are subset TrueType CID fonts with a `ToUnicode` map,
//! so the text can be selected, searched and extracted with its accents.

pub mod emit;
pub mod font;

pub use font::{Fonts, Style};

/// A4 width in points.
pub const PAGE_WIDTH: f32 = 595.28;
/// A4 height in points.
pub const PAGE_HEIGHT: f32 = 841.89;
/// Left and right margin (20 mm).
pub const MARGIN_X: f32 = 56.69;
/// Where content starts on a page (20 mm from the top).
pub const CONTENT_TOP: f32 = PAGE_HEIGHT - 56.69;
/// Content stops above the footer band.
pub const CONTENT_BOTTOM: f32 = 78.0;
/// Usable width between the margins.
pub const CONTENT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN_X;

/// Why a PDF could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// An embedded font could not be read.
    #[error("embedded font: {0}")]
    Font(String),
    /// An embedded font could not be subset.
    #[error("font subsetting: {0}")]
    Subset(String),
    /// Compressing a stream failed.
    #[error("compression: {0}")]
    Compression(#[from] std::io::Error),
}

/// The small print of running headers and footers.
pub const SMALL_PRINT: TextStyle = TextStyle::new(Style::Regular, 7.5).gray(0.3);

/// How a run of text looks.
#[derive(Debug, Clone, Copy)]
pub struct TextStyle {
    pub style: Style,
    pub size: f32,
    /// 0 is black, 1 is white.
    pub gray: f32,
    /// Distance between baselines.
    pub leading: f32,
}

impl TextStyle {
    pub const fn new(style: Style, size: f32) -> Self {
        Self {
            style,
            size,
            gray: 0.0,
            leading: size * 1.35,
        }
    }

    pub const fn gray(mut self, gray: f32) -> Self {
        self.gray = gray;
        self
    }

    pub const fn leading(mut self, leading: f32) -> Self {
        self.leading = leading;
        self
    }
}

/// One drawing operation, in PDF coordinates (points, origin at the bottom left).
#[derive(Debug, Clone)]
pub enum Op {
    Text {
        look: TextStyle,
        x: f32,
        baseline: f32,
        text: String,
    },
    Line {
        from: (f32, f32),
        to: (f32, f32),
        width: f32,
        gray: f32,
    },
    Fill {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        gray: f32,
    },
    /// The document's image `index` (see [`emit::write`]), its lower left corner at `(x, y)`,
    /// drawn `w` by `h` points.
    Image {
        index: usize,
        x: f32,
        y: f32,
        w: f32,
        h: f32,
    },
}

/// The operations of one page.
#[derive(Debug, Default, Clone)]
pub struct Page {
    pub ops: Vec<Op>,
}

impl Page {
    /// Text whose baseline is at `baseline`.
    pub fn text(&mut self, look: TextStyle, x: f32, baseline: f32, text: &str) {
        self.ops.push(Op::Text {
            look,
            x,
            baseline,
            text: text.to_owned(),
        });
    }

    /// A straight line.
    pub fn line(&mut self, from: (f32, f32), to: (f32, f32), width: f32, gray: f32) {
        self.ops.push(Op::Line {
            from,
            to,
            width,
            gray,
        });
    }

    /// The document's image `index` with its lower left corner at `(x, y)`, `w` by `h` points.
    pub fn image(&mut self, index: usize, (x, y): (f32, f32), (w, h): (f32, f32)) {
        self.ops.push(Op::Image { index, x, y, w, h });
    }

    /// The footer of a printed document's page: a rule, then two lines of small print on the
    /// left (`lines`), with `Page number / total` on the right of the line `number_line` (0 or
    /// 1).
    pub fn footer(
        &mut self,
        fonts: &Fonts,
        lines: [&str; 2],
        (number, total): (usize, usize),
        number_line: usize,
    ) {
        let right = PAGE_WIDTH - MARGIN_X;
        let rule = CONTENT_BOTTOM - 18.0;
        // The two lines' baselines, below the rule.
        let baseline = |line: usize| rule - [11.0, 21.0][line.min(1)];
        self.line((MARGIN_X, rule), (right, rule), 0.4, 0.6);
        for (i, text) in lines.into_iter().enumerate() {
            self.text(SMALL_PRINT, MARGIN_X, baseline(i), text);
        }
        let number = format!("Page {number} / {total}");
        let width = fonts
            .get(SMALL_PRINT.style)
            .width(&number, SMALL_PRINT.size);
        self.text(SMALL_PRINT, right - width, baseline(number_line), &number);
    }
}

/// Flows content down pages; `y` is the top of the next line.
pub struct Layout<'f> {
    pub fonts: &'f Fonts,
    pages: Vec<Page>,
    y: f32,
}

impl<'f> Layout<'f> {
    pub fn new(fonts: &'f Fonts) -> Self {
        Self {
            fonts,
            pages: vec![Page::default()],
            y: CONTENT_TOP,
        }
    }

    /// The top of the next line.
    pub fn y(&self) -> f32 {
        self.y
    }

    /// The page being filled.
    pub fn page(&mut self) -> &mut Page {
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Starts a new page.
    pub fn new_page(&mut self) {
        self.pages.push(Page::default());
        self.y = CONTENT_TOP;
    }

    /// Makes sure `height` points fit on the current page, else starts a new one.
    pub fn need(&mut self, height: f32) {
        if self.y - height < CONTENT_BOTTOM && self.y < CONTENT_TOP {
            self.new_page();
        }
    }

    /// Vertical space (swallowed at the top of a page).
    pub fn gap(&mut self, height: f32) {
        if self.y < CONTENT_TOP {
            self.y -= height;
        }
    }

    /// Moves the cursor down by `height`, whatever the position.
    pub fn advance(&mut self, height: f32) {
        self.y -= height;
    }

    /// Width of `text` in `look`, in points.
    pub fn width(&self, look: TextStyle, text: &str) -> f32 {
        self.fonts.get(look.style).width(text, look.size)
    }

    /// Baseline for a line whose top is `top`.
    pub fn baseline(&self, look: TextStyle, top: f32) -> f32 {
        top - (look.leading + look.size * 0.72) / 2.0
    }

    /// One line of text at `x`, without wrapping, then moves down.
    pub fn line(&mut self, look: TextStyle, x: f32, text: &str) {
        self.need(look.leading);
        let baseline = self.baseline(look, self.y);
        self.page().text(look, x, baseline, text);
        self.y -= look.leading;
    }

    /// A row of a table of labels and values: the label in `label_look` at the margin, the
    /// value wrapped in `value_look` from `value_x` to the right margin.
    pub fn labelled(
        &mut self,
        (label_look, value_look): (TextStyle, TextStyle),
        value_x: f32,
        label: &str,
        value: &str,
    ) {
        let right = PAGE_WIDTH - MARGIN_X;
        let lines = self.wrap(value_look, right - value_x, value);
        self.need(value_look.leading);
        let baseline = self.baseline(value_look, self.y);
        self.page().text(label_look, MARGIN_X, baseline, label);
        for line in lines {
            self.line(value_look, value_x, &line);
        }
        self.advance(2.0);
    }

    /// Wrapped text in the column from `x`, `width` wide, across pages as needed.
    pub fn paragraph(&mut self, look: TextStyle, x: f32, width: f32, text: &str) {
        for line in self.wrap(look, width, text) {
            self.line(look, x, &line);
        }
    }

    /// The lines `text` takes in a column `width` wide (explicit newlines are kept).
    pub fn wrap(&self, look: TextStyle, width: f32, text: &str) -> Vec<String> {
        let font = self.fonts.get(look.style);
        let space = font.width(" ", look.size);
        let mut lines = Vec::new();
        for paragraph in clean(text).split('\n') {
            let mut line = String::new();
            let mut line_width = 0.0;
            for word in paragraph.split_whitespace() {
                let word_width = font.width(word, look.size);
                if !line.is_empty() && line_width + space + word_width <= width {
                    line.push(' ');
                    line.push_str(word);
                    line_width += space + word_width;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                if word_width <= width {
                    line.push_str(word);
                    line_width = word_width;
                    continue;
                }
                // A word wider than the column (a long reference, a hash): cut it anywhere.
                line_width = 0.0;
                for c in word.chars() {
                    let w = font.width(c.encode_utf8(&mut [0; 4]), look.size);
                    if !line.is_empty() && line_width + w > width {
                        lines.push(std::mem::take(&mut line));
                        line_width = 0.0;
                    }
                    line.push(c);
                    line_width += w;
                }
            }
            lines.push(line);
        }
        lines
    }

    /// The laid-out pages.
    pub fn finish(self) -> Vec<Page> {
        self.pages
    }
}

/// Text as drawn: line breaks normalised, tabs as spaces, other control characters dropped.
fn clean(text: &str) -> String {
    text.replace("\r\n", "\n")
        .chars()
        .filter_map(|c| match c {
            '\n' => Some('\n'),
            '\r' => Some('\n'),
            '\t' => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const BODY: TextStyle = TextStyle::new(Style::Regular, 10.0);

    #[test]
    fn long_text_wraps_within_the_column_and_keeps_every_word() {
        let fonts = Fonts::load().unwrap();
        let layout = Layout::new(&fonts);
        let text = "Réunir les justificatifs de ressources des trois derniers mois ".repeat(6);
        let lines = layout.wrap(BODY, 200.0, &text);
        assert!(lines.len() > 3);
        assert!(lines.iter().all(|l| layout.width(BODY, l) <= 200.0));
        assert_eq!(
            lines.join(" ").split_whitespace().count(),
            text.split_whitespace().count()
        );
    }

    #[test]
    fn explicit_line_breaks_are_kept_and_control_characters_dropped() {
        let fonts = Fonts::load().unwrap();
        let layout = Layout::new(&fonts);
        let lines = layout.wrap(BODY, 400.0, "première\r\ndeuxième\u{7}\tligne");
        assert_eq!(lines, ["première", "deuxième ligne"]);
    }

    #[test]
    fn a_word_wider_than_the_column_is_cut() {
        let fonts = Fonts::load().unwrap();
        let layout = Layout::new(&fonts);
        let hash = "ab".repeat(32);
        let lines = layout.wrap(BODY, 80.0, &hash);
        assert!(lines.len() > 1);
        assert_eq!(lines.concat(), hash);
    }

    #[test]
    fn content_that_does_not_fit_goes_to_a_new_page() {
        let fonts = Fonts::load().unwrap();
        let mut layout = Layout::new(&fonts);
        for i in 0..100 {
            layout.line(BODY, MARGIN_X, &format!("ligne {i}"));
        }
        let pages = layout.finish();
        assert!(pages.len() >= 2);
        for page in &pages {
            for op in &page.ops {
                if let Op::Text { baseline, .. } = op {
                    assert!(*baseline >= CONTENT_BOTTOM && *baseline <= CONTENT_TOP);
                }
            }
        }
    }
}
