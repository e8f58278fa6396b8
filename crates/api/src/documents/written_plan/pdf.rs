//! The written plan as an A4 PDF with real, extractable text.

use super::{
    APPLICATIONS, ApplicationBlock, CONFIDENTIAL, NO_APPLICATION, NO_DECISION, NO_OBSERVATION,
    NO_STEP, PlanStep, SIGNED_AT, Section, TITLE, WrittenPlan, present,
};
use crate::documents::logo::PdfImage;
use crate::documents::pdf::emit::{self, Info};
use crate::documents::pdf::{
    CONTENT_TOP, CONTENT_WIDTH, Fonts, Layout, MARGIN_X, PAGE_HEIGHT, PAGE_WIDTH, Page, PdfError,
    SMALL_PRINT, Style, TextStyle,
};

const BODY: TextStyle = TextStyle::new(Style::Regular, 10.0);
const STRONG: TextStyle = TextStyle::new(Style::Bold, 10.0);
const MUTED: TextStyle = TextStyle::new(Style::Regular, 9.0).gray(0.3);
const META: TextStyle = TextStyle::new(Style::Regular, 8.5).gray(0.35);
const HEADING: TextStyle = TextStyle::new(Style::Bold, 13.0).leading(18.0);
const RIGHT: f32 = PAGE_WIDTH - MARGIN_X;
/// Indent of a step's text after its number.
const STEP_INDENT: f32 = 20.0;
/// Width of the label column of the identification block.
const LABEL_COLUMN: f32 = 165.0;

/// The written plan as a PDF document (A4, French, fonts embedded).
///
/// # Errors
/// [`PdfError`] if an embedded font cannot be read or subset (a build defect, not bad input).
pub fn pdf(plan: &WrittenPlan) -> Result<Vec<u8>, PdfError> {
    let fonts = Fonts::load()?;
    let mut layout = Layout::new(&fonts);
    let logo = plan.letterhead.pdf_image();
    letterhead(&mut layout, plan, logo.as_deref());
    identification(&mut layout, plan);
    intro(&mut layout, &plan.intro());
    for section in plan.sections() {
        steps(&mut layout, &section);
    }
    applications(&mut layout, plan);
    decision(&mut layout, plan);
    observations(&mut layout, plan);
    signatures(&mut layout, &plan.signatures());
    let mut pages = layout.finish();
    page_furniture(&fonts, &mut pages, plan);

    let title = format!("{TITLE} — {}", plan.person_name());
    let subject = plan.proposal_line();
    let info = Info {
        title: &title,
        author: &plan.letterhead.name,
        subject: &subject,
        lang: "fr",
    };
    emit::write(
        &fonts,
        &pages,
        &logo.as_deref().into_iter().collect::<Vec<_>>(),
        &info,
    )
}

fn letterhead(layout: &mut Layout<'_>, plan: &WrittenPlan, logo: Option<&PdfImage>) {
    plan.letterhead.draw(layout, logo);
    layout.advance(14.0);
    layout.line(TextStyle::new(Style::Bold, 22.0), MARGIN_X, TITLE);
    layout.line(
        TextStyle::new(Style::Regular, 11.0).gray(0.25),
        MARGIN_X,
        &plan.proposal_line(),
    );
    layout.line(MUTED, MARGIN_X, &plan.document_line());
    layout.advance(6.0);
    let y = layout.y();
    layout.page().line((MARGIN_X, y), (RIGHT, y), 1.2, 0.15);
    layout.advance(12.0);
}

fn identification(layout: &mut Layout<'_>, plan: &WrittenPlan) {
    let value_x = MARGIN_X + LABEL_COLUMN;
    for (label, value) in plan.identification() {
        layout.labelled((MUTED, STRONG), value_x, label, &value);
    }
    layout.advance(8.0);
}

fn intro(layout: &mut Layout<'_>, text: &str) {
    let look = TextStyle::new(Style::Regular, 9.5).gray(0.2);
    let x = MARGIN_X + 10.0;
    let lines = layout.wrap(look, CONTENT_WIDTH - 10.0, text);
    let height = lines.len() as f32 * look.leading;
    layout.need(height);
    let top = layout.y();
    layout.page().line(
        (MARGIN_X, top - 1.0),
        (MARGIN_X, top - height + 1.0),
        2.0,
        0.6,
    );
    for line in lines {
        layout.line(look, x, &line);
    }
}

/// A section heading, kept on the same page as the first `follow` points of its content.
fn heading(layout: &mut Layout<'_>, text: &str, follow: f32) {
    layout.gap(14.0);
    layout.need(HEADING.leading + 6.0 + follow);
    layout.line(HEADING, MARGIN_X, text);
    let y = layout.y() + 2.0;
    layout.page().line((MARGIN_X, y), (RIGHT, y), 0.6, 0.55);
    layout.advance(5.0);
}

fn steps(layout: &mut Layout<'_>, section: &Section<'_>) {
    let first = section
        .steps
        .first()
        .map_or(BODY.leading, |s| step_head_height(layout, s));
    let sub = section.subheading.map_or(0.0, |_| MUTED.leading + 3.0);
    heading(layout, section.heading, sub + first);
    if let Some(sub) = section.subheading {
        layout.line(MUTED, MARGIN_X, sub);
        layout.advance(3.0);
    }
    if section.steps.is_empty() {
        layout.line(MUTED, MARGIN_X, NO_STEP);
        return;
    }
    for (i, step) in section.steps.iter().enumerate() {
        step_block(layout, i + 1, step);
    }
}

const STEP_TITLE: TextStyle = TextStyle::new(Style::Bold, 10.5);
const DUE: TextStyle = TextStyle::new(Style::Bold, 9.5).gray(0.15);

/// Height of what must stay together: title, deadline, the meta line, two lines of details.
fn step_head_height(layout: &Layout<'_>, step: &PlanStep) -> f32 {
    let width = CONTENT_WIDTH - STEP_INDENT;
    let title = layout.wrap(STEP_TITLE, width, step.title.trim()).len() as f32;
    let details = present(&step.details).map_or(0.0, |d| {
        (layout.wrap(BODY, width, d).len().min(2) as f32) * BODY.leading + 2.0
    });
    title * STEP_TITLE.leading + DUE.leading + META.leading + details
}

fn step_block(layout: &mut Layout<'_>, number: usize, step: &PlanStep) {
    let x = MARGIN_X + STEP_INDENT;
    let width = CONTENT_WIDTH - STEP_INDENT;
    layout.need(step_head_height(layout, step));
    let baseline = layout.baseline(STEP_TITLE, layout.y());
    let number = format!("{number}.");
    let number_x = x - 5.0 - layout.width(STEP_TITLE, &number);
    layout.page().text(STEP_TITLE, number_x, baseline, &number);
    layout.paragraph(STEP_TITLE, x, width, step.title.trim());
    layout.line(DUE, x, &step.due_line());
    layout.paragraph(META, x, width, &step.meta_line());
    if let Some(details) = present(&step.details) {
        layout.advance(2.0);
        layout.paragraph(BODY, x, width, details);
    }
    layout.advance(7.0);
}

/// Indent of a funder's line under its application.
const FUNDER_INDENT: f32 = 12.0;

/// Height of what must stay together: the scheme, where the request stands, the need.
fn application_head_height(layout: &Layout<'_>, block: &ApplicationBlock) -> f32 {
    let title = layout.wrap(STEP_TITLE, CONTENT_WIDTH, &block.title).len() as f32;
    title * STEP_TITLE.leading + (2 + block.decision.len()) as f32 * BODY.leading
}

fn applications(layout: &mut Layout<'_>, plan: &WrittenPlan) {
    let blocks = plan.application_blocks();
    let first = blocks
        .first()
        .map_or(MUTED.leading, |b| application_head_height(layout, b));
    heading(layout, APPLICATIONS, MUTED.leading + 3.0 + first);
    layout.paragraph(MUTED, MARGIN_X, CONTENT_WIDTH, &plan.applications_intro());
    layout.advance(3.0);
    if blocks.is_empty() {
        layout.line(MUTED, MARGIN_X, NO_APPLICATION);
        return;
    }
    for block in &blocks {
        layout.need(application_head_height(layout, block));
        layout.paragraph(STEP_TITLE, MARGIN_X, CONTENT_WIDTH, &block.title);
        layout.paragraph(BODY, MARGIN_X, CONTENT_WIDTH, &block.status);
        for line in &block.decision {
            layout.paragraph(BODY, MARGIN_X, CONTENT_WIDTH, line);
        }
        layout.paragraph(META, MARGIN_X, CONTENT_WIDTH, &block.funding.need);
        for funder in &block.funding.funders {
            layout.paragraph(
                META,
                MARGIN_X + FUNDER_INDENT,
                CONTENT_WIDTH - FUNDER_INDENT,
                &format!("– {funder}"),
            );
        }
        if let Some(gap) = &block.funding.gap {
            layout.paragraph(DUE, MARGIN_X, CONTENT_WIDTH, gap);
        }
        layout.advance(7.0);
    }
}

fn decision(layout: &mut Layout<'_>, plan: &WrittenPlan) {
    let Some(decision) = &plan.decision else {
        heading(layout, "Décision", MUTED.leading);
        layout.line(MUTED, MARGIN_X, NO_DECISION);
        return;
    };
    // The answer is kept on one page with its heading (unless the notes are very long).
    let mut blocks = vec![(DECISION, decision.sentence())];
    if let Some(line) = decision.recorded_line() {
        blocks.push((MUTED, line));
    }
    if let Some(notes) = present(&decision.notes) {
        blocks.push((BODY, format!("Remarques : {notes}")));
    }
    let height: f32 = blocks
        .iter()
        .map(|(look, text)| layout.wrap(*look, CONTENT_WIDTH, text).len() as f32 * look.leading)
        .sum();
    heading(layout, "Décision", height.min(12.0 * BODY.leading));
    for (look, text) in blocks {
        layout.paragraph(look, MARGIN_X, CONTENT_WIDTH, &text);
    }
}

const DECISION: TextStyle = TextStyle::new(Style::Bold, 11.0);

fn observations(layout: &mut Layout<'_>, plan: &WrittenPlan) {
    heading(layout, "Observations de la personne", 2.0 * BODY.leading);
    if plan.observations.is_empty() {
        layout.paragraph(MUTED, MARGIN_X, CONTENT_WIDTH, NO_OBSERVATION);
        return;
    }
    for observation in &plan.observations {
        layout.need(STRONG.leading + 2.0 * BODY.leading);
        layout.line(STRONG, MARGIN_X, &observation.date_line());
        layout.paragraph(BODY, MARGIN_X, CONTENT_WIDTH, observation.text.trim());
        layout.advance(5.0);
    }
}

fn signatures(layout: &mut Layout<'_>, who: &[String; 2]) {
    const BOX_HEIGHT: f32 = 118.0;
    const GUTTER: f32 = 18.0;
    heading(layout, "Signatures", BOX_HEIGHT + 4.0);
    layout.advance(4.0);
    let top = layout.y();
    let width = (CONTENT_WIDTH - GUTTER) / 2.0;
    let page = layout.page();
    for (i, who) in who.iter().enumerate() {
        let x = MARGIN_X + i as f32 * (width + GUTTER);
        let bottom = top - BOX_HEIGHT;
        for (from, to) in [
            ((x, top), (x + width, top)),
            ((x + width, top), (x + width, bottom)),
            ((x + width, bottom), (x, bottom)),
            ((x, bottom), (x, top)),
        ] {
            page.line(from, to, 0.6, 0.45);
        }
        page.text(STRONG, x + 8.0, top - 16.0, who);
        page.text(MUTED, x + 8.0, top - 32.0, SIGNED_AT);
    }
    layout.advance(BOX_HEIGHT);
}

/// Running header (from page 2) and footer (every page): hash, confidentiality, page number.
fn page_furniture(fonts: &Fonts, pages: &mut [Page], plan: &WrittenPlan) {
    let total = pages.len();
    let running = format!(
        "{TITLE} — {} — {}",
        plan.person_name(),
        plan.proposal_line()
    );
    let fingerprint = plan.fingerprint_line();
    for (i, page) in pages.iter_mut().enumerate() {
        if i > 0 {
            let baseline = PAGE_HEIGHT - 36.0;
            page.text(SMALL_PRINT, MARGIN_X, baseline, &running);
            let y = baseline - 5.0;
            page.line((MARGIN_X, y), (RIGHT, y), 0.4, 0.6);
            debug_assert!(y > CONTENT_TOP);
        }
        page.footer(fonts, [&fingerprint, CONFIDENTIAL], (i + 1, total), 1);
    }
}
