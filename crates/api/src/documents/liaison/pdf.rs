//! The liaison sheet as an A4 PDF with real, extractable text.

use super::{CONFIDENTIAL, INTRO, LiaisonSheet, Section, TITLE};
use crate::documents::pdf::emit::{self, Info};
use crate::documents::pdf::{
    CONTENT_WIDTH, Fonts, Layout, MARGIN_X, PAGE_WIDTH, PdfError, Style, TextStyle,
};

const BODY: TextStyle = TextStyle::new(Style::Regular, 10.0);
const STRONG: TextStyle = TextStyle::new(Style::Bold, 10.0);
const MUTED: TextStyle = TextStyle::new(Style::Regular, 9.0).gray(0.3);
const HEADING: TextStyle = TextStyle::new(Style::Bold, 13.0).leading(18.0);
const RIGHT: f32 = PAGE_WIDTH - MARGIN_X;
const LABEL_COLUMN: f32 = 120.0;

/// The liaison sheet as a PDF document (A4, French, fonts embedded).
///
/// # Errors
/// [`PdfError`] if an embedded font cannot be read or subset (a build defect, not bad input).
pub fn pdf(sheet: &LiaisonSheet) -> Result<Vec<u8>, PdfError> {
    let fonts = Fonts::load()?;
    let mut layout = Layout::new(&fonts);
    layout.paragraph(
        TextStyle::new(Style::Bold, 11.0),
        MARGIN_X,
        CONTENT_WIDTH,
        &sheet.organisation,
    );
    layout.advance(10.0);
    layout.line(TextStyle::new(Style::Bold, 22.0), MARGIN_X, TITLE);
    layout.line(MUTED, MARGIN_X, &sheet.document_line());
    layout.advance(4.0);
    let y = layout.y();
    layout.page().line((MARGIN_X, y), (RIGHT, y), 1.2, 0.15);
    layout.advance(6.0);
    section_pdf(&mut layout, &sheet.head());
    layout.advance(6.0);
    layout.paragraph(
        TextStyle::new(Style::Regular, 9.5).gray(0.2),
        MARGIN_X,
        CONTENT_WIDTH,
        INTRO,
    );
    for section in sheet.sections() {
        section_pdf(&mut layout, &section);
    }
    let mut pages = layout.finish();
    let total = pages.len();
    let basis = sheet.basis_line();
    for (i, page) in pages.iter_mut().enumerate() {
        page.footer(&fonts, [&basis, CONFIDENTIAL], (i + 1, total), 0);
    }
    let title = format!("{TITLE} — {}", sheet.subject());
    let subject = sheet.document_line();
    emit::write(
        &fonts,
        &pages,
        &Info {
            title: &title,
            author: &sheet.organisation,
            subject: &subject,
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
}
