//! The liaison sheet as a self-contained, printable HTML page (A4, no external resources).

use super::{CONFIDENTIAL, INTRO, LiaisonSheet, Section, TITLE};
use crate::documents::french::push_element as push;

const CSS: &str = r#"
@page { size: A4; margin: 18mm 20mm 20mm; }
* { box-sizing: border-box; }
html { color: #111; background: #fff; }
body { font-family: "Liberation Sans", Arial, Helvetica, sans-serif; font-size: 10.5pt;
       line-height: 1.4; margin: 0 auto; max-width: 210mm; padding: 18mm 20mm; }
header { border-bottom: 1.5pt solid #222; padding-bottom: 8pt; margin-bottom: 14pt; }
.org { font-weight: bold; font-size: 11pt; margin: 0 0 10pt; }
h1 { font-size: 20pt; margin: 0 0 4pt; }
.ref { margin: 0; color: #444; }
.intro { color: #333; border-left: 2pt solid #999; padding-left: 8pt; }
h2 { font-size: 13pt; margin: 18pt 0 4pt; border-bottom: 0.75pt solid #999; padding-bottom: 2pt;
     break-after: avoid; page-break-after: avoid; }
dl { display: grid; grid-template-columns: 12em 1fr; gap: 3pt 10pt; margin: 0; }
dt { color: #444; }
dd { margin: 0; font-weight: bold; white-space: pre-line; }
ul.entries { list-style: none; padding: 0; margin: 0; }
ul.entries li { margin: 0 0 8pt; break-inside: avoid; page-break-inside: avoid; }
.entry-title { font-weight: bold; margin: 0; }
.entry-line { margin: 1pt 0 0; white-space: pre-line; }
.empty { color: #444; font-style: italic; }
footer { margin-top: 22pt; border-top: 0.75pt solid #999; padding-top: 6pt; font-size: 8pt; color: #444; }
footer p { margin: 1pt 0; }
@media print { body { padding: 0; max-width: none; } }
"#;

/// The liaison sheet as a complete HTML document (UTF-8, French, print-ready A4).
pub fn html(sheet: &LiaisonSheet) -> String {
    let mut out = String::with_capacity(8 * 1024);
    out.push_str("<!doctype html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    push(&mut out, "title", &format!("{TITLE} — {}", sheet.subject()));
    out.push_str("<style>");
    out.push_str(CSS);
    out.push_str("</style>\n</head>\n<body>\n<header>\n");
    push(&mut out, "p class=\"org\"", &sheet.organisation);
    push(&mut out, "h1", TITLE);
    push(&mut out, "p class=\"ref\"", &sheet.document_line());
    out.push_str("</header>\n<main>\n");
    section_html(&mut out, &sheet.head());
    push(&mut out, "p class=\"intro\"", INTRO);
    for section in sheet.sections() {
        section_html(&mut out, &section);
    }
    out.push_str("</main>\n<footer>\n");
    push(&mut out, "p", &sheet.basis_line());
    push(&mut out, "p", CONFIDENTIAL);
    out.push_str("</footer>\n</body>\n</html>\n");
    out
}

fn section_html(out: &mut String, section: &Section) {
    out.push_str("<section>\n");
    push(out, "h2", section.heading);
    if !section.rows.is_empty() {
        out.push_str("<dl>\n");
        for (label, value) in &section.rows {
            push(out, "dt", label);
            push(out, "dd", value);
        }
        out.push_str("</dl>\n");
    }
    if !section.entries.is_empty() {
        out.push_str("<ul class=\"entries\">\n");
        for (title, lines) in &section.entries {
            out.push_str("<li>");
            if !title.is_empty() {
                push(out, "p class=\"entry-title\"", title);
            }
            for line in lines {
                push(out, "p class=\"entry-line\"", line);
            }
            out.push_str("</li>\n");
        }
        out.push_str("</ul>\n");
    }
    if let Some(empty) = section.empty {
        push(out, "p class=\"empty\"", empty);
    }
    out.push_str("</section>\n");
}
