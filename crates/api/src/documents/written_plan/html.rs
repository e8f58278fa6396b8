//! The written plan as a self-contained, printable HTML page (A4, no external resources).

use super::{
    CONFIDENTIAL, NO_DECISION, NO_OBSERVATION, NO_STEP, PlanStep, SIGNED_AT, Section, TITLE,
    WrittenPlan, present,
};
use crate::documents::french::push_element as push;

/// Screen and print styles. `{HASH}` is replaced by the (hex-only) content hash.
const CSS: &str = r#"
@page {
  size: A4;
  margin: 18mm 20mm 20mm;
  @bottom-left { content: "Empreinte du plan (SHA-256) : {HASH}"; font: 7pt sans-serif; color: #555; }
  @bottom-right { content: "Page " counter(page) " / " counter(pages); font: 7pt sans-serif; color: #555; }
}
* { box-sizing: border-box; }
html { color: #111; background: #fff; }
body {
  font-family: "Liberation Sans", Arial, Helvetica, sans-serif;
  font-size: 10.5pt; line-height: 1.4; margin: 0 auto; max-width: 210mm; padding: 18mm 20mm;
}
header.letterhead { border-bottom: 1.5pt solid #222; padding-bottom: 8pt; margin-bottom: 14pt; }
.org { font-weight: bold; font-size: 11pt; margin: 0 0 10pt; }
h1 { font-size: 20pt; margin: 0 0 4pt; }
.ref { margin: 0; color: #444; }
dl.parties { display: grid; grid-template-columns: 16em 1fr; gap: 3pt 10pt; margin: 0 0 12pt; }
dl.parties dt { color: #444; }
dl.parties dd { margin: 0; font-weight: bold; }
.intro { font-style: normal; color: #333; border-left: 2pt solid #999; padding-left: 8pt; }
h2 { font-size: 13pt; margin: 18pt 0 2pt; border-bottom: 0.75pt solid #999; padding-bottom: 2pt;
     break-after: avoid; page-break-after: avoid; }
.sub { color: #444; margin: 0 0 6pt; }
ol.steps { margin: 6pt 0 0; padding-left: 1.6em; }
li.step { margin: 0 0 9pt; break-inside: avoid; page-break-inside: avoid; }
.step-title { font-weight: bold; margin: 0; }
.due { font-weight: bold; margin: 1pt 0 0; }
.meta { color: #444; font-size: 9pt; margin: 1pt 0 0; }
.details, .notes, .observation-text { white-space: pre-line; margin: 2pt 0 0; }
.empty { color: #444; font-style: italic; }
.decision p, .observations p { margin: 2pt 0; }
.decision-line { font-weight: bold; font-size: 11pt; }
.observations ul { list-style: none; padding: 0; }
.observations li { margin: 0 0 6pt; break-inside: avoid; }
.signatures { display: flex; gap: 16pt; margin-top: 10pt; break-inside: avoid; page-break-inside: avoid; }
.signature { flex: 1; border: 0.75pt solid #777; padding: 8pt; min-height: 42mm; }
.signature .who { font-weight: bold; margin: 0 0 6pt; }
footer { margin-top: 22pt; border-top: 0.75pt solid #999; padding-top: 6pt; font-size: 8pt; color: #444; }
footer p { margin: 1pt 0; overflow-wrap: anywhere; }
@media print {
  body { padding: 0; max-width: none; }
  footer { break-inside: avoid; }
}
"#;

/// The written plan as a complete HTML document (UTF-8, French, print-ready A4).
pub fn html(plan: &WrittenPlan) -> String {
    let mut out = String::with_capacity(8 * 1024);
    let hash_for_css: String = plan
        .content_hash
        .chars()
        .filter(char::is_ascii_hexdigit)
        .collect();
    out.push_str("<!doctype html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    push(
        &mut out,
        "title",
        &format!(
            "{TITLE} — {} — {}",
            plan.person_name(),
            plan.proposal_line()
        ),
    );
    out.push_str("<style>");
    out.push_str(&CSS.replace("{HASH}", &hash_for_css));
    out.push_str("</style>\n</head>\n<body>\n");

    out.push_str("<header class=\"letterhead\">\n");
    push(&mut out, "p class=\"org\"", &plan.organisation);
    push(&mut out, "h1", TITLE);
    push(
        &mut out,
        "p class=\"ref\"",
        &format!("{} · {}", plan.proposal_line(), plan.document_line()),
    );
    out.push_str("</header>\n<main>\n<dl class=\"parties\">\n");
    for (label, value) in plan.identification() {
        push(&mut out, "dt", label);
        push(&mut out, "dd", &value);
    }
    out.push_str("</dl>\n");
    push(&mut out, "p class=\"intro\"", &plan.intro());

    for section in plan.sections() {
        steps_section(&mut out, &section);
    }

    out.push_str("<section class=\"decision\">\n");
    push(&mut out, "h2", "Décision");
    match &plan.decision {
        Some(decision) => {
            push(&mut out, "p class=\"decision-line\"", &decision.sentence());
            if let Some(line) = decision.recorded_line() {
                push(&mut out, "p", &line);
            }
            if let Some(notes) = present(&decision.notes) {
                push(
                    &mut out,
                    "p class=\"notes\"",
                    &format!("Remarques : {notes}"),
                );
            }
        }
        None => push(&mut out, "p class=\"empty\"", NO_DECISION),
    }
    out.push_str("</section>\n<section class=\"observations\">\n");
    push(&mut out, "h2", "Observations de la personne");
    if plan.observations.is_empty() {
        push(&mut out, "p class=\"empty\"", NO_OBSERVATION);
    } else {
        out.push_str("<ul>\n");
        for observation in &plan.observations {
            out.push_str("<li>");
            push(&mut out, "strong", &observation.date_line());
            push(
                &mut out,
                "p class=\"observation-text\"",
                observation.text.trim(),
            );
            out.push_str("</li>\n");
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n<section>\n");
    push(&mut out, "h2", "Signatures");
    out.push_str("<div class=\"signatures\">\n");
    for who in plan.signatures() {
        out.push_str("<div class=\"signature\">");
        push(&mut out, "p class=\"who\"", &who);
        push(&mut out, "p", SIGNED_AT);
        out.push_str("</div>\n");
    }
    out.push_str("</div>\n</section>\n</main>\n<footer>\n");
    push(
        &mut out,
        "p class=\"fingerprint\"",
        &plan.fingerprint_line(),
    );
    push(&mut out, "p", CONFIDENTIAL);
    out.push_str("</footer>\n</body>\n</html>\n");
    out
}

fn steps_section(out: &mut String, section: &Section<'_>) {
    out.push_str("<section class=\"party\">\n");
    push(out, "h2", section.heading);
    if let Some(sub) = section.subheading {
        push(out, "p class=\"sub\"", sub);
    }
    if section.steps.is_empty() {
        push(out, "p class=\"empty\"", NO_STEP);
    } else {
        out.push_str("<ol class=\"steps\">\n");
        for step in section.steps {
            step_item(out, step);
        }
        out.push_str("</ol>\n");
    }
    out.push_str("</section>\n");
}

fn step_item(out: &mut String, step: &PlanStep) {
    out.push_str("<li class=\"step\">");
    push(out, "p class=\"step-title\"", step.title.trim());
    push(out, "p class=\"due\"", &step.due_line());
    push(out, "p class=\"meta\"", &step.meta_line());
    if let Some(details) = present(&step.details) {
        push(out, "p class=\"details\"", details);
    }
    out.push_str("</li>\n");
}
