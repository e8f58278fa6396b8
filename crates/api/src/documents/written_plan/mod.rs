//! The written plan (*plan d'aide*): a proposal as printed and handed to the person.
//!
//! [`WrittenPlan`] is plain data gathered by the caller (labels already in French); [`html`]
//! renders it as a printable A4 page and [`pdf`] as a PDF with extractable text. Both say the
//! same thing in the same words: the wording lives here, the renderers only lay it out. The
//! vocabulary follows the practice of the profession: *préconisations* are the steps the
//! person takes, *interventions* those of the social worker; the plan is negotiated, then
//! written down so the person can make observations afterwards. After the steps, it lists the
//! applications (*demandes d'aide*) under way with their funding plans, so that the person sees
//! in one document what they do, what is done for them and what is asked on their behalf.

mod html;
mod pdf;
#[cfg(test)]
mod tests;

use chrono::NaiveDate;
use relais_domain::agent::of_the_referent;
use serde::Serialize;

use super::application::PrintedApplication;
use super::french;

pub use html::html;
pub use pdf::pdf;

/// Everything the written plan shows; labels are the French labels of the codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenPlan {
    /// The organisation that supports the person.
    pub letterhead: crate::documents::letterhead::Letterhead,
    pub person: PlanPerson,
    /// The case's referent, from their profile, if the case has one.
    pub referent: Option<crate::documents::DocumentReferent>,
    /// The day the document is produced.
    pub document_on: NaiveDate,
    /// The day the proposal was made.
    pub proposed_on: NaiveDate,
    /// The proposal's number within the case (1, 2, …).
    pub proposal_number: i32,
    /// The case's reason for contact.
    pub reason: String,
    /// The worker's steps (*interventions*).
    pub interventions: Vec<PlanStep>,
    /// The person's steps (*préconisations*).
    pub preconisations: Vec<PlanStep>,
    /// Steps taken by partner organisations.
    pub partner_steps: Vec<PlanStep>,
    /// The person's answer to this proposal, if recorded.
    pub decision: Option<PlanDecision>,
    /// Observations the person added afterwards, oldest first.
    pub observations: Vec<PlanObservation>,
    /// The case's applications the plan lists (`relais_domain::application::in_written_plan`:
    /// those under way and the recent decisions), as they stand on `document_on`, in order.
    pub applications: Vec<PrintedApplication>,
    /// The proposal's content hash (hex SHA-256).
    pub content_hash: String,
}

/// The person the plan is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanPerson {
    pub first_name: String,
    pub last_name: String,
    pub birth_date: Option<NaiveDate>,
}

/// One step of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanStep {
    pub title: String,
    pub details: Option<String>,
    /// French label of the domain, e.g. `Logement`.
    pub domain: String,
    /// French label of the category, e.g. `Complétude de dossiers`.
    pub category: String,
    /// The deadline, if one was set.
    pub due_on: Option<NaiveDate>,
    /// French label of the status, e.g. `Prévue`.
    pub status: String,
}

/// The person's answer to the proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanDecision {
    /// French label of the outcome, e.g. `Plan accepté`, `Modifications demandées`, `Refusé`.
    pub outcome: String,
    /// French label of the channel, e.g. `entretien`, `téléphone`.
    pub channel: String,
    pub decided_on: NaiveDate,
    pub notes: Option<String>,
    /// Display name of the agent who recorded the answer.
    pub recorded_by: Option<String>,
}

/// An observation the person made on the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanObservation {
    pub text: String,
    pub observed_on: NaiveDate,
}

// ---- Wording shared by both renderers ----------------------------------------------------

pub(crate) const TITLE: &str = "Plan d'aide";

pub(crate) const NO_STEP: &str = "Aucune démarche n'est prévue.";
pub(crate) const APPLICATIONS: &str = "Demandes d'aide en cours";
pub(crate) const NO_APPLICATION: &str = "Aucune demande d'aide n'est en cours.";
pub(crate) const NO_FUNDING: &str = "Pas de plan de financement établi pour cette demande.";
pub(crate) const NO_DECISION: &str = "En attente de la réponse de la personne.";
pub(crate) const NO_OBSERVATION: &str = "Aucune observation à ce jour. Vos observations \
    peuvent être ajoutées au plan à tout moment ; elles ne modifient pas ce document.";
pub(crate) use french::SIGNED_AT;
pub(crate) const CONFIDENTIAL: &str =
    "Document confidentiel, soumis au secret professionnel : à ne pas diffuser.";

/// An application as the plan lists it: the scheme, where the request stands, and how it is
/// financed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct ApplicationBlock {
    /// The scheme's name.
    pub title: String,
    /// `État : Dossier envoyé le 3 mars 2027 à Commission FSL`.
    pub status: String,
    /// `Décision : Accordée le 12 mars 2027 : 1 200,00 €`, and its reason, once decided.
    pub decision: Vec<String>,
    /// The funding plan, or [`NO_FUNDING`].
    pub funding: FundingBlock,
}

/// A funding plan as the plan lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct FundingBlock {
    /// `Besoin à financer : 1 500,00 €`, or the sentence saying there is no plan.
    pub need: String,
    /// One line a funder: `Fonds de solidarité logement — Accordé : demandé 800,00 €, …`.
    pub funders: Vec<String>,
    /// `Reste à financer : 450,00 €`, or that the need is covered; none without a plan.
    pub gap: Option<String>,
}

/// A section of steps: heading, optional sub-heading, and the steps.
pub(crate) struct Section<'a> {
    pub heading: &'static str,
    pub subheading: Option<&'static str>,
    pub steps: &'a [PlanStep],
}

impl WrittenPlan {
    /// `Éloïse Lefèvre`.
    pub(crate) fn person_name(&self) -> String {
        format!(
            "{} {}",
            self.person.first_name.trim(),
            self.person.last_name.trim()
        )
    }

    /// `Proposition n° 2 du 12 mars 2027`.
    pub(crate) fn proposal_line(&self) -> String {
        format!(
            "Proposition n° {} du {}",
            self.proposal_number,
            french::date(self.proposed_on)
        )
    }

    /// `Document établi le 14 mars 2027`.
    pub(crate) fn document_line(&self) -> String {
        format!("Document établi le {}", french::date(self.document_on))
    }

    /// The civility of the referent, when the case has one and they gave it.
    fn referent_civility(&self) -> Option<relais_domain::Civility> {
        self.referent.as_ref().and_then(|r| r.civility)
    }

    /// The opening paragraph, naming the referent as they are.
    pub(crate) fn intro(&self) -> String {
        format!(
            "Ce plan d'aide a été construit et négocié avec vous lors de nos entretiens. Il \
             précise les démarches de chacun et leurs délais : les préconisations sont les \
             démarches que vous réalisez, les interventions sont celles {}. Il évolue avec votre \
             situation, et vous pouvez y apporter vos observations à tout moment.",
            of_the_referent(self.referent_civility())
        )
    }

    /// Who signs: the person, and the referent.
    pub(crate) fn signatures(&self) -> [String; 2] {
        [
            "Signature de la personne".to_owned(),
            format!("Signature {}", of_the_referent(self.referent_civility())),
        ]
    }

    /// The identification block: (label, value) rows.
    pub(crate) fn identification(&self) -> Vec<(&'static str, String)> {
        let mut rows = vec![("Personne accompagnée", self.person_name())];
        if let Some(born) = self.person.birth_date {
            rows.push(("Date de naissance", french::date(born)));
        }
        match &self.referent {
            Some(referent) => {
                rows.push((referent.heading(), referent.name_and_role()));
                if let Some(reach) = referent.reach() {
                    rows.push(("Coordonnées", reach));
                }
            }
            None => rows.push((
                relais_domain::agent::referent_heading(None),
                "Non désigné".to_owned(),
            )),
        }
        rows.push(("Motif de la prise de contact", self.reason.clone()));
        rows
    }

    /// The step sections in the order they are printed (partners only when there are some).
    pub(crate) fn sections(&self) -> Vec<Section<'_>> {
        let mut sections = vec![
            Section {
                heading: "Vos préconisations",
                subheading: Some("Préconisations (démarches de la personne)"),
                steps: &self.preconisations,
            },
            Section {
                heading: match self.referent_civility() {
                    Some(relais_domain::Civility::Mme) => "Interventions de la référente",
                    Some(relais_domain::Civility::M) => "Interventions du référent",
                    None => "Interventions de la ou du référent·e",
                },
                subheading: None,
                steps: &self.interventions,
            },
        ];
        if !self.partner_steps.is_empty() {
            sections.push(Section {
                heading: "Démarches des partenaires",
                subheading: None,
                steps: &self.partner_steps,
            });
        }
        sections
    }

    /// `Où en sont, au 1er mars 2027, les demandes d'aide faites avec vous, et leur financement.`
    pub(crate) fn applications_intro(&self) -> String {
        format!(
            "Où en sont, au {}, les demandes d'aide faites avec vous, et leur financement.",
            french::date(self.document_on)
        )
    }

    /// The applications as the plan lists them, in order.
    pub(crate) fn application_blocks(&self) -> Vec<ApplicationBlock> {
        self.applications
            .iter()
            .map(|a| ApplicationBlock {
                title: a.scheme.trim().to_owned(),
                status: format!("État : {}", a.status_line()),
                decision: a
                    .decision
                    .iter()
                    .flat_map(|d| {
                        std::iter::once(format!("Décision : {}", d.sentence()))
                            .chain(d.reason_line())
                    })
                    .collect(),
                funding: match &a.funding {
                    Some(f) => FundingBlock {
                        need: f.need_line(),
                        funders: f.funders.iter().map(|f| f.line()).collect(),
                        gap: Some(f.gap_line()),
                    },
                    None => FundingBlock {
                        need: NO_FUNDING.to_owned(),
                        funders: Vec::new(),
                        gap: None,
                    },
                },
            })
            .collect()
    }

    /// `Empreinte du plan (SHA-256) : <hash>`.
    pub(crate) fn fingerprint_line(&self) -> String {
        format!("Empreinte du plan (SHA-256) : {}", self.content_hash.trim())
    }
}

impl PlanStep {
    /// `À réaliser avant le 12 mars 2027`, or that no deadline was set.
    pub(crate) fn due_line(&self) -> String {
        match self.due_on {
            Some(due) => format!("À réaliser avant le {}", french::date(due)),
            None => "Sans échéance fixée".to_owned(),
        }
    }

    /// `Domaine : Logement · Démarche : Complétude de dossiers · État : Prévue`.
    pub(crate) fn meta_line(&self) -> String {
        format!(
            "Domaine : {} · Démarche : {} · État : {}",
            self.domain.trim(),
            self.category.trim(),
            self.status.trim()
        )
    }
}

impl PlanDecision {
    /// `Plan accepté le 12 mars 2027 (entretien)`.
    pub(crate) fn sentence(&self) -> String {
        format!(
            "{} le {} ({})",
            self.outcome.trim(),
            french::date(self.decided_on),
            self.channel.trim()
        )
    }

    /// `Réponse enregistrée par Jeanne Martin`.
    pub(crate) fn recorded_line(&self) -> Option<String> {
        self.recorded_by
            .as_ref()
            .map(|name| format!("Réponse enregistrée par {}", name.trim()))
    }
}

impl PlanObservation {
    /// `Le 20 mars 2027`.
    pub(crate) fn date_line(&self) -> String {
        format!("Le {}", french::date(self.observed_on))
    }
}

/// Non-empty, trimmed optional text.
pub(crate) fn present(text: &Option<String>) -> Option<&str> {
    french::present(text.as_deref())
}
