//! A printed document made of titled sections: one model ([`Sheet`]), one HTML template and one
//! PDF layout, so that every sheet Relais prints (the liaison sheet, the right-of-access record,
//! the social report) looks alike and is laid out in one place.
//!
//! The HTML comes from a template rendered with automatic HTML escaping
//! ([`super::templates`]): no value of a sheet can add markup. The PDF embeds its fonts and keeps
//! its text extractable.

use serde::Serialize;

use super::letterhead::Letterhead;
use super::pdf::emit::{self, Info};
use super::pdf::{CONTENT_WIDTH, Fonts, Layout, MARGIN_X, PAGE_WIDTH, PdfError, Style, TextStyle};
use super::templates;

/// A printed document.
#[derive(Debug, Clone, Serialize)]
pub struct Sheet {
    /// The organisation that issues it.
    pub letterhead: Letterhead,
    /// The document's title, e.g. `Fiche de liaison`.
    pub title: String,
    /// Whom or what it is about, after the title in the window title and the PDF's metadata.
    pub subject: String,
    /// The line under the title, e.g. `Document établi le 14 mars 2027`.
    pub reference: String,
    /// The body, in order.
    pub blocks: Vec<Block>,
    /// The small print of every page (two lines at most in the PDF).
    pub footer: [String; 2],
}

/// A part of a sheet's body.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Block {
    /// A titled section.
    Section(Section),
    /// A paragraph set apart from the sections (an introduction, a notice).
    Note { text: String },
    /// Room for signatures under a heading, side by side.
    Signatures {
        heading: &'static str,
        boxes: Vec<SignatureBox>,
    },
}

/// Room for one signature: who signs (in bold), then plain lines (their role, the date, the
/// place to fill in by hand).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignatureBox {
    pub who: String,
    pub lines: Vec<String>,
}

/// A printed section: heading, label/value rows, then entries (a bold first line and plain
/// lines), or a sentence saying it is empty; then a note on what it leaves out, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Section {
    pub heading: &'static str,
    pub rows: Vec<(&'static str, String)>,
    pub entries: Vec<(String, Vec<String>)>,
    pub empty: Option<&'static str>,
    pub note: Option<&'static str>,
}

impl Section {
    pub fn new(heading: &'static str) -> Self {
        Self {
            heading,
            rows: Vec::new(),
            entries: Vec::new(),
            empty: None,
            note: None,
        }
    }

    /// The section, with a note after its content.
    pub fn with_note(mut self, note: &'static str) -> Self {
        self.note = Some(note);
        self
    }

    /// Adds a label/value row.
    pub fn row(&mut self, label: &'static str, value: impl Into<String>) {
        self.rows.push((label, value.into()));
    }

    /// Adds a label/value row when there is a value.
    pub fn row_if(&mut self, label: &'static str, value: Option<impl Into<String>>) {
        if let Some(value) = value {
            self.row(label, value);
        }
    }

    /// Adds an entry: a bold first line, then plain lines.
    pub fn entry(&mut self, title: impl Into<String>, lines: Vec<String>) {
        self.entries.push((title.into(), lines));
    }

    /// The section, saying `sentence` when it has neither rows nor entries.
    pub fn or_empty(mut self, sentence: &'static str) -> Self {
        if self.rows.is_empty() && self.entries.is_empty() {
            self.empty = Some(sentence);
        }
        self
    }
}

impl From<Section> for Block {
    fn from(section: Section) -> Self {
        Block::Section(section)
    }
}

/// The sheet as a complete, self-contained HTML page (UTF-8, French, print-ready A4).
pub fn html(sheet: &Sheet) -> String {
    templates::render(templates::SHEET, sheet)
}

const BODY: TextStyle = TextStyle::new(Style::Regular, 10.0);
const STRONG: TextStyle = TextStyle::new(Style::Bold, 10.0);
const MUTED: TextStyle = TextStyle::new(Style::Regular, 9.0).gray(0.3);
const HEADING: TextStyle = TextStyle::new(Style::Bold, 13.0).leading(18.0);
const NOTE: TextStyle = TextStyle::new(Style::Regular, 9.5).gray(0.2);
const RIGHT: f32 = PAGE_WIDTH - MARGIN_X;
const LABEL_COLUMN: f32 = 120.0;

/// The sheet as an A4 PDF document (French, fonts embedded, text extractable).
///
/// # Errors
/// [`PdfError`] if an embedded font cannot be read or subset (a build defect, not bad input).
pub fn pdf(sheet: &Sheet) -> Result<Vec<u8>, PdfError> {
    let fonts = Fonts::load()?;
    let mut layout = Layout::new(&fonts);
    let logo = sheet.letterhead.pdf_image();
    sheet.letterhead.draw(&mut layout, logo.as_deref());
    layout.advance(14.0);
    layout.paragraph(
        TextStyle::new(Style::Bold, 22.0),
        MARGIN_X,
        CONTENT_WIDTH,
        &sheet.title,
    );
    layout.line(MUTED, MARGIN_X, &sheet.reference);
    layout.advance(4.0);
    let y = layout.y();
    layout.page().line((MARGIN_X, y), (RIGHT, y), 1.2, 0.15);
    layout.advance(6.0);
    for block in &sheet.blocks {
        match block {
            Block::Section(section) => section_pdf(&mut layout, section),
            Block::Note { text } => {
                layout.advance(6.0);
                layout.paragraph(NOTE, MARGIN_X, CONTENT_WIDTH, text);
            }
            Block::Signatures { heading, boxes } => signatures_pdf(&mut layout, heading, boxes),
        }
    }
    let mut pages = layout.finish();
    let total = pages.len();
    for (i, page) in pages.iter_mut().enumerate() {
        page.footer(
            &fonts,
            [&sheet.footer[0], &sheet.footer[1]],
            (i + 1, total),
            0,
        );
    }
    let title = format!("{} — {}", sheet.title, sheet.subject);
    emit::write(
        &fonts,
        &pages,
        &logo.as_deref().into_iter().collect::<Vec<_>>(),
        &Info {
            title: &title,
            author: &sheet.letterhead.name,
            subject: &sheet.reference,
            lang: "fr",
        },
    )
}

fn section_pdf(layout: &mut Layout<'_>, section: &Section) {
    layout.gap(14.0);
    layout.need(HEADING.leading + 6.0 + 2.0 * BODY.leading);
    layout.line(HEADING, MARGIN_X, section.heading);
    let y = layout.y() + 2.0;
    layout.page().line((MARGIN_X, y), (RIGHT, y), 0.6, 0.55);
    layout.advance(5.0);
    let value_x = MARGIN_X + LABEL_COLUMN;
    for (label, value) in &section.rows {
        layout.labelled((MUTED, STRONG), value_x, label, value);
    }
    for (title, lines) in &section.entries {
        layout.need(STRONG.leading + BODY.leading);
        if !title.is_empty() {
            layout.paragraph(STRONG, MARGIN_X, CONTENT_WIDTH, title);
        }
        for line in lines {
            layout.paragraph(BODY, MARGIN_X, CONTENT_WIDTH, line);
        }
        layout.advance(5.0);
    }
    if let Some(empty) = section.empty {
        layout.line(MUTED, MARGIN_X, empty);
    }
    if let Some(note) = section.note {
        layout.paragraph(MUTED, MARGIN_X, CONTENT_WIDTH, note);
    }
}

/// The signature boxes, side by side, two to a row at most (one box takes half the width).
fn signatures_pdf(layout: &mut Layout<'_>, heading: &str, boxes: &[SignatureBox]) {
    const BOX_HEIGHT: f32 = 118.0;
    const GUTTER: f32 = 18.0;
    const PADDING: f32 = 8.0;
    let width = (CONTENT_WIDTH - GUTTER) / 2.0;
    for (row, pair) in boxes.chunks(2).enumerate() {
        if row == 0 {
            layout.gap(14.0);
            layout.need(HEADING.leading + 10.0 + BOX_HEIGHT);
            layout.line(HEADING, MARGIN_X, heading);
            let y = layout.y() + 2.0;
            layout.page().line((MARGIN_X, y), (RIGHT, y), 0.6, 0.55);
            layout.advance(9.0);
        } else {
            layout.advance(GUTTER);
            layout.need(BOX_HEIGHT);
        }
        let top = layout.y();
        let bottom = top - BOX_HEIGHT;
        for (i, signature) in pair.iter().enumerate() {
            let x = MARGIN_X + i as f32 * (width + GUTTER);
            let inner = width - 2.0 * PADDING;
            let mut text = vec![(STRONG, signature.who.clone())];
            text.extend(signature.lines.iter().map(|l| (MUTED, l.clone())));
            let mut baseline = top - 16.0;
            let mut drawn = Vec::new();
            for (look, line) in text {
                for wrapped in layout.wrap(look, inner, &line) {
                    drawn.push((look, baseline, wrapped));
                    baseline -= look.leading;
                }
                baseline -= 2.0;
            }
            let page = layout.page();
            for (from, to) in [
                ((x, top), (x + width, top)),
                ((x + width, top), (x + width, bottom)),
                ((x + width, bottom), (x, bottom)),
                ((x, bottom), (x, top)),
            ] {
                page.line(from, to, 0.6, 0.45);
            }
            // What does not fit in the box (a very long title) is not drawn over its border.
            for (look, baseline, line) in drawn.into_iter().filter(|(_, b, _)| *b > bottom + 4.0) {
                page.text(look, x + PADDING, baseline, &line);
            }
        }
        layout.advance(BOX_HEIGHT);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn sheet() -> Sheet {
        let mut s = Section::new("Identité");
        s.row("Nom", "<b>Lefèvre</b> & fils");
        s.entry("Entrée \"une\"", vec!["ligne 'deux'".into()]);
        Sheet {
            letterhead: Letterhead::named("CCAS d'Acme"),
            title: "Titre".into(),
            subject: "Sujet".into(),
            reference: "Document établi le 1er mars 2027".into(),
            blocks: vec![
                Block::Note {
                    text: "<script>alert(1)</script>".into(),
                },
                s.into(),
                Section::new("Vide").or_empty("Rien.").into(),
                Block::Signatures {
                    heading: "Signature",
                    boxes: vec![SignatureBox {
                        who: "Jeanne <Martin>".into(),
                        lines: vec!["Fait à ……, le ……".into()],
                    }],
                },
            ],
            footer: ["Pied 1".into(), "Pied 2".into()],
        }
    }

    #[test]
    fn the_template_parses_and_renders_every_part() {
        let page = html(&sheet());
        assert!(page.starts_with("<!doctype html>"), "{page}");
        for part in [
            "<title>Titre — Sujet</title>",
            "CCAS d&#x27;Acme",
            "Document établi le 1er mars 2027",
            "<h2>Identité</h2>",
            "<dt>Nom</dt>",
            "Rien.",
            "Pied 1",
            "Pied 2",
            "<h2>Signature</h2>",
            "<p class=\"who\">Jeanne &lt;Martin&gt;</p>",
            "Fait à ……, le ……",
        ] {
            assert!(page.contains(part), "{part} missing from {page}");
        }
    }

    #[test]
    fn every_value_is_escaped() {
        let page = html(&sheet());
        assert!(!page.contains("<script>"), "{page}");
        assert!(!page.contains("<b>"), "{page}");
        assert!(page.contains("&lt;script&gt;"), "{page}");
        assert!(
            page.contains("&lt;b&gt;Lefèvre&lt;&#x2f;b&gt; &amp; fils"),
            "{page}"
        );
        assert!(page.contains("Entrée &quot;une&quot;"), "{page}");
    }

    #[test]
    fn a_pdf_is_produced() {
        let bytes = pdf(&sheet()).unwrap();
        assert!(bytes.starts_with(b"%PDF-"));
    }
}
