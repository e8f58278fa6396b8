//! The liaison sheet (*fiche de liaison*): what is handed over to another institution, as
//! printable HTML or as a PDF with extractable text, in French.
//!
//! [`LiaisonSheet`] is plain data gathered by the caller, holding **only** what the liaison's
//! chosen content allows: a section the worker did not choose is `None` and is not printed at
//! all (not even its heading). There is no field for private notes. [`LiaisonSheet::sections`]
//! holds the wording; [`html`] and [`pdf`] lay them out as every printed sheet is.

#[cfg(test)]
mod tests;

use chrono::NaiveDate;

use super::french;
use super::letterhead::Letterhead;
use super::pdf::PdfError;
use super::sheet::{self, Block, Section, Sheet};

/// The liaison sheet as a complete HTML document (UTF-8, French, print-ready A4).
pub fn html(sheet: &LiaisonSheet) -> String {
    sheet::html(&sheet.printed())
}

/// The liaison sheet as a PDF document (A4, French, fonts embedded).
///
/// # Errors
/// [`PdfError`] if an embedded font cannot be read or subset (a build defect, not bad input).
pub fn pdf(sheet: &LiaisonSheet) -> Result<Vec<u8>, PdfError> {
    sheet::pdf(&sheet.printed())
}

/// Everything a liaison sheet shows; labels are the French labels of the codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiaisonSheet {
    /// The organisation that sends the sheet.
    pub letterhead: Letterhead,
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
    pub referent: Option<Option<crate::documents::DocumentReferent>>,
    /// Chosen `documents`: the names of the documents that go with the sheet.
    pub documents: Option<Vec<String>>,
    /// Health details are not shared: the plan's health steps are left out of the step
    /// sections, which say so (whether or not the case has any, so as not to reveal it).
    pub health_withheld: bool,
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

// ---- Wording shared by both renderers ----------------------------------------------------

pub(crate) const TITLE: &str = "Fiche de liaison";
pub(crate) const INTRO: &str = "Cette fiche transmet, avec l'accord du cadre légal indiqué \
    ci-dessous, les seules informations utiles à la continuité de l'accompagnement de la \
    personne.";
/// Sending a sheet requires the person to have been informed (`person_not_informed`), so a
/// sent sheet says she was; a draft only says she must be.
pub(crate) const INFORMED: &str = "La personne a été informée de cette transmission.";
pub(crate) const TO_INFORM: &str = "Fiche non envoyée : la personne doit être informée de cette \
    transmission avant son envoi.";
const HEALTH_WITHHELD: &str = "Les démarches relevant de la santé ne figurent pas sur cette \
    fiche.";
const NO_STEP_SHARED: &str = "Aucune démarche transmise.";
pub(crate) const CONFIDENTIAL: &str = "Document confidentiel, soumis au secret professionnel : \
    réservé au destinataire, à ne pas diffuser.";
const NO_STEP: &str = "Aucune démarche.";
const NO_DOMAIN: &str = "Aucun domaine évalué.";
const NO_DOCUMENT: &str = "Aucun document joint.";
const NOT_GIVEN: &str = "Non renseigné";

impl LiaisonSheet {
    /// The sheet as printed: the transmission, the notice, then the chosen sections.
    fn printed(&self) -> Sheet {
        let mut blocks = vec![
            Block::from(self.head()),
            Block::Note {
                text: format!(
                    "{INTRO} {}",
                    if self.sent_on.is_some() {
                        INFORMED
                    } else {
                        TO_INFORM
                    }
                ),
            },
        ];
        blocks.extend(self.sections().into_iter().map(Block::from));
        Sheet {
            letterhead: self.letterhead.clone(),
            title: TITLE.to_owned(),
            subject: self.subject(),
            reference: self.document_line(),
            blocks,
            footer: [self.basis_line(), CONFIDENTIAL.to_owned()],
        }
    }

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

    /// `Consentement de la personne (recueilli le 3 mars 2027)`.
    pub(crate) fn basis(&self) -> String {
        match self.consent_given_on {
            Some(given) => format!(
                "{} (recueilli le {})",
                self.legal_basis,
                french::date(given)
            ),
            None => self.legal_basis.clone(),
        }
    }

    /// `Base légale du partage : Consentement de la personne (recueilli le 3 mars 2027)`.
    pub(crate) fn basis_line(&self) -> String {
        format!("Base légale du partage : {}", self.basis())
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
        head.rows.push(("Base légale", self.basis()));
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
            out.push(self.steps_section(s));
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
            out.push(self.steps_section(s));
        }
        if let Some(referent) = &self.referent {
            let given = |v: &Option<String>| {
                v.as_deref()
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map_or_else(|| NOT_GIVEN.to_owned(), str::to_owned)
            };
            match referent {
                Some(r) => {
                    let mut s = Section::new(r.heading());
                    s.rows.push(("Nom", r.name.trim().to_owned()));
                    s.rows.push(("Fonction", r.role()));
                    s.rows.push(("Courriel", given(&r.email)));
                    s.rows.push(("Téléphone", given(&r.phone)));
                    out.push(s);
                }
                None => {
                    let mut s = Section::new(relais_domain::agent::referent_heading(None));
                    s.rows.push(("Nom", "Non désigné".to_owned()));
                    out.push(s);
                }
            }
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

impl LiaisonSheet {
    /// A section of the plan's steps, saying when those of health are left out.
    fn steps_section(&self, s: Section) -> Section {
        if !self.health_withheld {
            return s.or_empty(NO_STEP);
        }
        if s.entries.is_empty() {
            return s.or_empty(NO_STEP_SHARED).with_note(HEALTH_WITHHELD);
        }
        s.with_note(HEALTH_WITHHELD)
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
