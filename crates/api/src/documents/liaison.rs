//! The liaison sheet (*fiche de liaison*): what is handed over to another institution, as
//! printable HTML or as a PDF with extractable text, in French.
//!
//! [`LiaisonSheet`] is plain data gathered by the caller, holding **only** what the liaison's
//! chosen content allows: a section the worker did not choose is `None` and is not printed at
//! all (not even its heading). There is no field for private notes. [`LiaisonSheet::sections`]
//! holds the wording; [`html`] and [`pdf`] only lay the sections out.

use chrono::NaiveDate;

use super::french::{self, escape_html as esc};
use super::pdf::emit::{self, Info};
use super::pdf::{
    CONTENT_BOTTOM, CONTENT_WIDTH, Fonts, Layout, MARGIN_X, PAGE_WIDTH, PdfError, Style, TextStyle,
};

/// Everything a liaison sheet shows; labels are the French labels of the codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiaisonSheet {
    /// The organisation that sends the sheet (letterhead).
    pub organisation: String,
    /// The day the document is produced.
    pub document_on: NaiveDate,
    pub destination: SheetDestination,
    /// Why the person is oriented to the destination.
    pub purpose: String,
    /// French label of the legal basis, e.g. `Secret professionnel partagé`.
    pub legal_basis: String,
    /// The day the consent relied on was given, when the basis is consent.
    pub consent_given_on: Option<NaiveDate>,
    /// French label of the status, e.g. `Envoyée`.
    pub status: String,
    /// The day the liaison was sent, once sent.
    pub sent_on: Option<NaiveDate>,
    /// Chosen `identity`.
    pub identity: Option<SheetIdentity>,
    /// Chosen `nir` under a basis that allows it: the NIR in clear (or `None` inside when the
    /// person has none recorded).
    pub nir: Option<Option<String>>,
    /// Chosen `contact_preferences`.
    pub contact: Option<SheetContact>,
    /// Chosen `situation_by_domain`: the assessed domains (health only if `health` is chosen).
    pub situation: Option<Vec<SheetDomain>>,
    /// Chosen `health` without `situation_by_domain`: the health domain alone.
    pub health: Option<Vec<SheetDomain>>,
    /// Chosen `reason`: the case's reason for contact.
    pub reason: Option<String>,
    /// Chosen `actions_done`: the plan's steps carried out.
    pub actions_done: Option<Vec<SheetStep>>,
    /// Chosen `steps_pending`: the plan's steps still to do, with their deadlines.
    pub steps_pending: Option<Vec<SheetStep>>,
    /// Chosen `referent_contact`: the referent (`None` inside when the case has none).
    pub referent: Option<Option<SheetReferent>>,
    /// Chosen `documents`: the names of the documents that go with the sheet.
    pub documents: Option<Vec<String>>,
}

/// Where the sheet goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SheetDestination {
    /// A registered partner, by its reference.
    Partner(String),
    /// A named institution and its contact.
    Named { name: String, contact: String },
}

/// Who the person is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetIdentity {
    pub first_name: String,
    pub last_name: String,
    pub birth_name: Option<String>,
    pub birth_date: Option<NaiveDate>,
}

/// How to reach the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetContact {
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// One assessed domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetDomain {
    /// French label, e.g. `Logement`.
    pub domain: String,
    pub situation: String,
    /// French label of the need for action, e.g. `Oui`.
    pub needs_action: String,
}

/// One step of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetStep {
    pub title: String,
    /// French label of the domain.
    pub domain: String,
    /// French label of the party, e.g. `Personne accompagnée (préconisation)`.
    pub party: String,
    pub due_on: NaiveDate,
    pub done_on: Option<NaiveDate>,
}

/// The referent worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetReferent {
    pub name: String,
    pub email: Option<String>,
}

/// A printed section: heading, label/value rows, then entries (a bold first line and
/// plain lines), or a sentence saying it is empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub heading: &'static str,
    pub rows: Vec<(&'static str, String)>,
    pub entries: Vec<(String, Vec<String>)>,
    pub empty: Option<&'static str>,
}

impl Section {
    fn new(heading: &'static str) -> Self {
        Self {
            heading,
            rows: Vec::new(),
            entries: Vec::new(),
            empty: None,
        }
    }

    fn or_empty(mut self, sentence: &'static str) -> Self {
        if self.rows.is_empty() && self.entries.is_empty() {
            self.empty = Some(sentence);
        }
        self
    }
}

// ---- Wording shared by both renderers ----------------------------------------------------

pub(crate) const TITLE: &str = "Fiche de liaison";
pub(crate) const INTRO: &str = "Cette fiche transmet, avec l'accord du cadre légal indiqué \
    ci-dessous, les seules informations utiles à la continuité de l'accompagnement de la \
    personne. La personne a été informée de cette transmission.";
pub(crate) const CONFIDENTIAL: &str = "Document confidentiel, soumis au secret professionnel : \
    réservé au destinataire, à ne pas diffuser.";
const NO_STEP: &str = "Aucune démarche.";
const NO_DOMAIN: &str = "Aucun domaine évalué.";
const NO_DOCUMENT: &str = "Aucun document joint.";
const NOT_GIVEN: &str = "Non renseigné";

impl LiaisonSheet {
    /// `Camille Lefèvre`, or a neutral subject when identity is not shared.
    pub(crate) fn subject(&self) -> String {
        match &self.identity {
            Some(who) => format!("{} {}", who.first_name.trim(), who.last_name.trim()),
            None => "Personne accompagnée".to_owned(),
        }
    }

    /// `Document établi le 14 mars 2027`.
    pub(crate) fn document_line(&self) -> String {
        format!("Document établi le {}", french::date(self.document_on))
    }

    /// `Envoyée — fiche transmise le 14 mars 2027`, or the status of a sheet not sent yet.
    pub(crate) fn status_line(&self) -> String {
        match self.sent_on {
            Some(sent) => format!(
                "{} — fiche transmise le {}",
                self.status,
                french::date(sent)
            ),
            None => format!("{} — non envoyée", self.status),
        }
    }

    /// `Base légale du partage : Consentement de la personne (recueilli le 3 mars 2027)`.
    pub(crate) fn basis_line(&self) -> String {
        match self.consent_given_on {
            Some(given) => format!(
                "Base légale du partage : {} (recueilli le {})",
                self.legal_basis,
                french::date(given)
            ),
            None => format!("Base légale du partage : {}", self.legal_basis),
        }
    }

    /// The header block: destination, purpose, basis, status.
    pub(crate) fn head(&self) -> Section {
        let mut head = Section::new("Transmission");
        match &self.destination {
            SheetDestination::Partner(reference) => {
                head.rows.push((
                    "Destinataire",
                    format!("Partenaire enregistré ({reference})"),
                ));
            }
            SheetDestination::Named { name, contact } => {
                head.rows.push(("Destinataire", name.trim().to_owned()));
                head.rows.push(("Contact", contact.trim().to_owned()));
            }
        }
        head.rows.push(("Objet", self.purpose.trim().to_owned()));
        head.rows.push(("Base légale", self.basis_line()));
        head.rows.push(("État", self.status_line()));
        head
    }

    /// The shared content, in a fixed order, only what was chosen.
    pub(crate) fn sections(&self) -> Vec<Section> {
        let mut out = Vec::new();
        if let Some(who) = &self.identity {
            let mut s = Section::new("Identité de la personne");
            s.rows.push(("Nom", who.last_name.trim().to_owned()));
            s.rows.push(("Prénom", who.first_name.trim().to_owned()));
            if let Some(birth) = who
                .birth_name
                .as_deref()
                .map(str::trim)
                .filter(|b| !b.is_empty())
            {
                s.rows.push(("Nom de naissance", birth.to_owned()));
            }
            s.rows.push((
                "Date de naissance",
                who.birth_date.map_or(NOT_GIVEN.to_owned(), french::date),
            ));
            out.push(s);
        }
        if let Some(nir) = &self.nir {
            let mut s = Section::new("Numéro de sécurité sociale");
            s.rows
                .push(("NIR", nir.clone().unwrap_or_else(|| NOT_GIVEN.to_owned())));
            out.push(s);
        }
        if let Some(contact) = &self.contact {
            let mut s = Section::new("Coordonnées de la personne");
            let given = |v: &Option<String>| {
                v.as_deref()
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map_or(NOT_GIVEN.to_owned(), str::to_owned)
            };
            s.rows.push(("Téléphone", given(&contact.phone)));
            s.rows.push(("Courriel", given(&contact.email)));
            out.push(s);
        }
        if let Some(reason) = &self.reason {
            let mut s = Section::new("Motif de la prise de contact");
            s.entries
                .push((String::new(), vec![reason.trim().to_owned()]));
            out.push(s);
        }
        if let Some(domains) = &self.situation {
            out.push(domain_section("Situation par domaine", domains));
        }
        if let Some(domains) = &self.health {
            out.push(domain_section("Informations de santé", domains));
        }
        if let Some(steps) = &self.actions_done {
            let mut s = Section::new("Démarches réalisées");
            for step in steps {
                let done = step.done_on.map_or_else(
                    || "Réalisée".to_owned(),
                    |d| format!("Réalisée le {}", french::date(d)),
                );
                s.entries
                    .push((step.title.trim().to_owned(), vec![done, step.meta_line()]));
            }
            out.push(s.or_empty(NO_STEP));
        }
        if let Some(steps) = &self.steps_pending {
            let mut s = Section::new("Démarches en cours et échéances");
            for step in steps {
                s.entries.push((
                    step.title.trim().to_owned(),
                    vec![
                        format!("À réaliser avant le {}", french::date(step.due_on)),
                        step.meta_line(),
                    ],
                ));
            }
            out.push(s.or_empty(NO_STEP));
        }
        if let Some(referent) = &self.referent {
            let mut s = Section::new("Travailleur social référent");
            match referent {
                Some(r) => {
                    s.rows.push(("Nom", r.name.trim().to_owned()));
                    s.rows.push((
                        "Courriel",
                        r.email.clone().unwrap_or_else(|| NOT_GIVEN.to_owned()),
                    ));
                }
                None => s.rows.push(("Nom", "Non désigné".to_owned())),
            }
            out.push(s);
        }
        if let Some(documents) = &self.documents {
            let mut s = Section::new("Documents joints");
            for name in documents {
                s.entries.push((name.trim().to_owned(), Vec::new()));
            }
            out.push(s.or_empty(NO_DOCUMENT));
        }
        out
    }
}

fn domain_section(heading: &'static str, domains: &[SheetDomain]) -> Section {
    let mut s = Section::new(heading);
    for d in domains {
        s.entries.push((
            d.domain.trim().to_owned(),
            vec![
                d.situation.trim().to_owned(),
                format!("Action nécessaire : {}", d.needs_action.trim()),
            ],
        ));
    }
    s.or_empty(NO_DOMAIN)
}

impl SheetStep {
    /// `Domaine : Logement · Partie : Personne accompagnée (préconisation)`.
    fn meta_line(&self) -> String {
        format!(
            "Domaine : {} · Partie : {}",
            self.domain.trim(),
            self.party.trim()
        )
    }
}

// ---- HTML --------------------------------------------------------------------------------

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

/// `<open>escaped text</tag>` where `open` is a tag name with optional static attributes.
fn push(out: &mut String, open: &str, text: &str) {
    let tag = open.split(' ').next().unwrap_or(open);
    out.push('<');
    out.push_str(open);
    out.push('>');
    out.push_str(&esc(text));
    out.push_str("</");
    out.push_str(tag);
    out.push_str(">\n");
}

// ---- PDF ---------------------------------------------------------------------------------

const BODY: TextStyle = TextStyle::new(Style::Regular, 10.0);
const STRONG: TextStyle = TextStyle::new(Style::Bold, 10.0);
const MUTED: TextStyle = TextStyle::new(Style::Regular, 9.0).gray(0.3);
const HEADING: TextStyle = TextStyle::new(Style::Bold, 13.0).leading(18.0);
const SMALL: TextStyle = TextStyle::new(Style::Regular, 7.5).gray(0.3);
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
        let rule = CONTENT_BOTTOM - 18.0;
        page.line((MARGIN_X, rule), (RIGHT, rule), 0.4, 0.6);
        page.text(SMALL, MARGIN_X, rule - 11.0, &basis);
        page.text(SMALL, MARGIN_X, rule - 21.0, CONFIDENTIAL);
        let number = format!("Page {} / {total}", i + 1);
        let width = fonts.get(SMALL.style).width(&number, SMALL.size);
        page.text(SMALL, RIGHT - width, rule - 11.0, &number);
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
        let lines = layout.wrap(STRONG, RIGHT - value_x, value);
        layout.need(STRONG.leading);
        let baseline = layout.baseline(STRONG, layout.y());
        layout.page().text(MUTED, MARGIN_X, baseline, label);
        for line in lines {
            layout.line(STRONG, value_x, &line);
        }
        layout.advance(2.0);
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn bare() -> LiaisonSheet {
        LiaisonSheet {
            organisation: "CCAS d'Acme".into(),
            document_on: d(2027, 3, 14),
            destination: SheetDestination::Named {
                name: "CAF du Rhône".into(),
                contact: "Mme Durand, 04 00 00 00 00".into(),
            },
            purpose: "Ouverture des droits au RSA".into(),
            legal_basis: "Secret professionnel partagé".into(),
            consent_given_on: None,
            status: "Brouillon".into(),
            sent_on: None,
            identity: None,
            nir: None,
            contact: None,
            situation: None,
            health: None,
            reason: None,
            actions_done: None,
            steps_pending: None,
            referent: None,
            documents: None,
        }
    }

    #[test]
    fn only_the_chosen_sections_are_printed() {
        let mut sheet = bare();
        sheet.reason = Some("Impayés de loyer".into());
        sheet.documents = Some(Vec::new());
        let headings: Vec<_> = sheet.sections().iter().map(|s| s.heading).collect();
        assert_eq!(
            headings,
            ["Motif de la prise de contact", "Documents joints"]
        );
        let page = html(&sheet);
        assert!(page.contains("Impayés de loyer"));
        assert!(page.contains(NO_DOCUMENT));
        assert!(!page.contains("Identité de la personne"));
        assert!(!page.contains("Téléphone"));
        assert!(page.contains("CAF du Rhône"));
        assert!(page.contains("Base légale du partage : Secret professionnel partagé"));
    }

    #[test]
    fn text_is_escaped_in_html() {
        let mut sheet = bare();
        sheet.purpose = "<script>alert(1)</script>".into();
        let page = html(&sheet);
        assert!(!page.contains("<script>"));
        assert!(page.contains("&lt;script&gt;"));
    }

    #[test]
    fn the_consent_date_and_sending_date_are_written_in_words() {
        let mut sheet = bare();
        sheet.legal_basis = "Consentement de la personne".into();
        sheet.consent_given_on = Some(d(2027, 3, 1));
        sheet.status = "Envoyée".into();
        sheet.sent_on = Some(d(2027, 3, 14));
        assert_eq!(
            sheet.basis_line(),
            "Base légale du partage : Consentement de la personne (recueilli le 1er mars 2027)"
        );
        assert_eq!(
            sheet.status_line(),
            "Envoyée — fiche transmise le 14 mars 2027"
        );
    }

    #[test]
    fn a_pdf_is_produced() {
        let mut sheet = bare();
        sheet.identity = Some(SheetIdentity {
            first_name: "Éloïse".into(),
            last_name: "Lefèvre".into(),
            birth_name: None,
            birth_date: Some(d(1980, 2, 3)),
        });
        let bytes = pdf(&sheet).unwrap();
        assert!(bytes.starts_with(b"%PDF-"));
    }
}
