//! Letters (*courriers*): the sandbox their templates are written in ([`sandbox`]), the merge
//! fields those templates read ([`merge`]), and the printed letter, as printable HTML or as a
//! PDF with extractable text.
//!
//! [`LetterDocument`] is the letter as it was sent (the store keeps it so): the letterhead,
//! the sender's block on the left, the recipient's on the right, the date line, the subject,
//! the body's paragraphs (a blank line starts a new one) and the signature, on A4. The HTML
//! comes from a template rendered with automatic escaping: no value, and nothing a letter
//! template printed, can add markup.

pub mod merge;
pub mod sandbox;
#[cfg(test)]
mod tests;

use chrono::NaiveDate;
use serde::Serialize;

use super::french;
use super::letterhead::Letterhead;
use super::pdf::emit::{self, Info};
use super::pdf::{CONTENT_WIDTH, Fonts, Layout, MARGIN_X, PAGE_WIDTH, PdfError, Style, TextStyle};

/// A letter as printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterDocument {
    /// The organisation that sends it, as it was when the letter was sent (its logo as it is).
    pub letterhead: Letterhead,
    /// The template's name, for the window title and the PDF's metadata.
    pub title: String,
    pub sender: LetterSender,
    /// None for a letter to nobody (an attestation).
    pub recipient: Option<LetterRecipient>,
    pub date: NaiveDate,
    pub subject: String,
    /// The body as rendered: lines, a blank line between paragraphs.
    pub body: String,
}

/// Who sends the letter and signs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterSender {
    pub name: String,
    pub role: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// To whom the letter is addressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterRecipient {
    pub name: String,
    /// One line per item.
    pub address: Vec<String>,
}

/// What both renderers print, in order: the wording lives here once.
#[derive(Debug, Clone, Serialize)]
struct Printed {
    letterhead: Letterhead,
    title: String,
    sender: Vec<String>,
    recipient: Vec<String>,
    date_line: String,
    subject_line: String,
    /// Each paragraph's lines.
    paragraphs: Vec<Vec<String>>,
    signature: [String; 2],
}

impl LetterDocument {
    /// `Le 12 mars 2027`, or `À Lyon, le 12 mars 2027` when the letterhead has a city.
    pub fn date_line(&self) -> String {
        self.letterhead.dated(&french::date(self.date))
    }

    /// The body's paragraphs, each as its lines: a blank line separates two.
    pub fn paragraphs(&self) -> Vec<Vec<String>> {
        let mut paragraphs = Vec::new();
        let mut current: Vec<String> = Vec::new();
        for line in self.body.lines() {
            if line.trim().is_empty() {
                if !current.is_empty() {
                    paragraphs.push(std::mem::take(&mut current));
                }
            } else {
                current.push(line.trim_end().to_owned());
            }
        }
        if !current.is_empty() {
            paragraphs.push(current);
        }
        paragraphs
    }

    fn printed(&self) -> Printed {
        let given = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let sender = [
            Some(self.sender.name.trim().to_owned()),
            Some(self.sender.role.trim().to_owned()),
            given(&self.sender.phone).map(|p| format!("Tél. : {p}")),
            given(&self.sender.email).map(|e| format!("Courriel : {e}")),
        ]
        .into_iter()
        .flatten()
        .filter(|l| !l.is_empty())
        .collect();
        let recipient = self
            .recipient
            .iter()
            .flat_map(|r| std::iter::once(r.name.trim().to_owned()).chain(r.address.clone()))
            .filter(|l| !l.trim().is_empty())
            .collect();
        Printed {
            letterhead: self.letterhead.clone(),
            title: self.title.trim().to_owned(),
            sender,
            recipient,
            date_line: self.date_line(),
            subject_line: format!("Objet : {}", self.subject.trim()),
            paragraphs: self.paragraphs(),
            signature: [
                self.sender.name.trim().to_owned(),
                self.sender.role.trim().to_owned(),
            ],
        }
    }
}

/// The letter as a complete, self-contained HTML page (UTF-8, French, print-ready A4).
pub fn html(letter: &LetterDocument) -> String {
    super::templates::render(super::templates::LETTER, &letter.printed())
}

const BODY: TextStyle = TextStyle::new(Style::Regular, 10.5).leading(14.5);
const STRONG: TextStyle = TextStyle::new(Style::Bold, 10.5).leading(14.5);
const SMALL: TextStyle = TextStyle::new(Style::Regular, 9.5).gray(0.2);
/// Where the recipient's block, the date and the signature start: the right half of the page,
/// where a window envelope shows the address.
const RIGHT_COLUMN: f32 = MARGIN_X + CONTENT_WIDTH * 0.52;
const RIGHT_WIDTH: f32 = PAGE_WIDTH - MARGIN_X - RIGHT_COLUMN;

/// The letter as an A4 PDF document (French, fonts embedded, text extractable).
///
/// # Errors
/// [`PdfError`] if an embedded font cannot be read or subset (a build defect, not bad input).
pub fn pdf(letter: &LetterDocument) -> Result<Vec<u8>, PdfError> {
    let printed = letter.printed();
    let fonts = Fonts::load()?;
    let mut layout = Layout::new(&fonts);
    let logo = printed.letterhead.pdf_image();
    printed.letterhead.draw(&mut layout, logo.as_deref());
    layout.advance(18.0);

    // The sender's block on the left; the recipient's on the right, a little lower, drawn
    // beside it; the layout then goes on below the longer of the two.
    let top = layout.y();
    let left_width = RIGHT_COLUMN - MARGIN_X - 12.0;
    for (i, line) in printed.sender.iter().enumerate() {
        let look = if i == 0 { STRONG } else { SMALL };
        layout.paragraph(look, MARGIN_X, left_width, line);
    }
    let mut right = top - 24.0;
    for (i, line) in printed.recipient.iter().enumerate() {
        let look = if i == 0 { STRONG } else { BODY };
        for wrapped in layout.wrap(look, RIGHT_WIDTH, line) {
            let baseline = layout.baseline(look, right);
            layout.page().text(look, RIGHT_COLUMN, baseline, &wrapped);
            right -= look.leading;
        }
    }
    if right < layout.y() {
        layout.advance(layout.y() - right);
    }
    layout.advance(24.0);
    layout.line(BODY, RIGHT_COLUMN, &printed.date_line);
    layout.advance(18.0);
    layout.paragraph(STRONG, MARGIN_X, CONTENT_WIDTH, &printed.subject_line);
    layout.advance(14.0);
    for paragraph in &printed.paragraphs {
        layout.need(2.0 * BODY.leading);
        for line in paragraph {
            layout.paragraph(BODY, MARGIN_X, CONTENT_WIDTH, line);
        }
        layout.advance(8.0);
    }
    layout.advance(16.0);
    layout.need(2.0 * STRONG.leading);
    layout.paragraph(STRONG, RIGHT_COLUMN, RIGHT_WIDTH, &printed.signature[0]);
    layout.paragraph(BODY, RIGHT_COLUMN, RIGHT_WIDTH, &printed.signature[1]);

    let mut pages = layout.finish();
    let total = pages.len();
    if total > 1 {
        for (i, page) in pages.iter_mut().enumerate() {
            page.footer(
                &fonts,
                [&printed.letterhead.name, &printed.subject_line],
                (i + 1, total),
                0,
            );
        }
    }
    let title = format!("{} — {}", printed.title, printed.date_line);
    emit::write(
        &fonts,
        &pages,
        &logo.as_deref().into_iter().collect::<Vec<_>>(),
        &Info {
            title: &title,
            author: &printed.letterhead.name,
            subject: &printed.subject_line,
            lang: "fr",
        },
    )
}
