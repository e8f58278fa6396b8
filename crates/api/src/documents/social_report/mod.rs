//! The social report (*rapport de situation sociale*) of an application, as printed and sent
//! with the dossier to the body that decides, in French.
//!
//! [`SocialReport`] is plain data gathered by the caller: the person, their household and its
//! budget with the figures the domain derives from them, the request and its funding plan, and
//! one version of the worker's evaluation with its author. [`SocialReport::printed`] words it
//! as a [`Sheet`], the way a *rapport social* is laid out in practice: who the person is and
//! whom they live with, what they live on, what is asked and how it is to be financed, then the
//! evaluation, dated and signed by the professional who wrote it. [`html`] and [`pdf`] lay it
//! out as every printed sheet is.

#[cfg(test)]
mod tests;

use chrono::NaiveDate;
use relais_domain::budget::{self, Budget, Derived};
use relais_domain::household::{Household, age_on};
use relais_store::persons::PersonRecord;

use super::DocumentReferent;
use super::application::PrintedApplication;
use super::french::{self, date, euros};
use super::pdf::PdfError;
use super::sheet::{self, Block, Section, Sheet, SignatureBox};

/// The social report as a complete HTML document (UTF-8, French, print-ready A4).
pub fn html(report: &SocialReport) -> String {
    sheet::html(&report.printed())
}

/// The social report as a PDF document (A4, French, fonts embedded).
///
/// # Errors
/// [`PdfError`] if an embedded font cannot be read or subset (a build defect, not bad input).
pub fn pdf(report: &SocialReport) -> Result<Vec<u8>, PdfError> {
    sheet::pdf(&report.printed())
}

/// Everything a printed social report shows; labels are the French labels of the codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocialReport {
    /// The organisation that writes the report.
    pub letterhead: crate::documents::letterhead::Letterhead,
    /// The day the document is produced (ages are taken on it).
    pub document_on: NaiveDate,
    pub person: ReportPerson,
    /// The household as recorded, if it was.
    pub household: Option<Household>,
    /// The household's budget as recorded, if it was, with its derived figures.
    pub budget: Option<ReportBudget>,
    /// The application the report supports, with its funding plan.
    pub request: PrintedApplication,
    /// The body that grants the scheme (CAF, conseil départemental…).
    pub provider: Option<String>,
    /// The version printed (1, 2, …).
    pub version_no: i32,
    /// The day that version was written.
    pub written_on: NaiveDate,
    /// The worker's evaluation: the version's text, its paragraphs as written.
    pub text: String,
    /// Who wrote the version, from their profile.
    pub author: DocumentReferent,
}

/// The person the report is about.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReportPerson {
    pub first_name: String,
    pub last_name: String,
    pub birth_name: Option<String>,
    pub birth_date: Option<NaiveDate>,
    /// French label, e.g. `Célibataire`.
    pub marital_status: Option<&'static str>,
    /// The address's lines (street, complement, postcode and town, country), those given.
    pub address: Vec<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub caf_number: Option<String>,
}

/// The budget of the household: its lines and debts, and the figures the domain derives from
/// them ([`budget::derive`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportBudget {
    pub lines: Budget,
    pub derived: Derived,
}

impl ReportBudget {
    /// The budget `lines` of the `household` (none recorded: the person counts alone) with the
    /// domain's figures on `today`.
    pub fn new(lines: Budget, household: Option<&Household>, today: NaiveDate) -> Self {
        let derived = budget::derive(&lines, household, today);
        Self { lines, derived }
    }
}

impl From<&PersonRecord> for ReportPerson {
    fn from(p: &PersonRecord) -> Self {
        let given = |v: &Option<String>| french::present(v.as_deref()).map(str::to_owned);
        let address = super::postal_address(p);
        Self {
            first_name: p.first_name.clone(),
            last_name: p.last_name.clone(),
            birth_name: given(&p.birth_name),
            birth_date: p.birth_date,
            marital_status: p.marital_status.map(|m| m.into_inner().label_fr()),
            address,
            phone: given(&p.phone),
            email: given(&p.email),
            caf_number: given(&p.caf_number),
        }
    }
}

// ---- Wording -------------------------------------------------------------------------------

pub(crate) const TITLE: &str = "Rapport de situation sociale";
pub(crate) const CONFIDENTIAL: &str = "Document confidentiel, soumis au secret professionnel : \
    réservé à l'instance qui examine la demande, à ne pas diffuser.";
pub(crate) const NO_HOUSEHOLD: &str = "La composition du foyer n'est pas renseignée.";
pub(crate) const NO_BUDGET: &str = "Le budget du foyer n'est pas renseigné.";
pub(crate) const NO_FUNDING: &str = "Aucun plan de financement n'est établi pour cette demande.";
/// How the budget's figures are reckoned (the domain's conventions, see `relais_domain::budget`).
pub(crate) const BUDGET_NOTE: &str = "Montants mensuels. Le reste à vivre est la différence \
    entre les ressources et les charges ; par jour, un mois compte 30 jours ; les unités de \
    consommation (UC) suivent l'échelle de l'OCDE modifiée : 1 pour la personne, 0,5 par autre \
    personne de 14 ans ou plus, 0,3 par enfant de moins de 14 ans.";

impl SocialReport {
    /// The report as printed: a notice, then its sections in the order of a *rapport social*.
    pub fn printed(&self) -> Sheet {
        let mut blocks = vec![Block::Note { text: self.intro() }];
        blocks.extend(
            [
                self.person_section(),
                self.household_section(),
                self.budget_section(),
                self.request_section(),
                self.funding_section(),
                self.evaluation_section(),
            ]
            .into_iter()
            .map(Block::from),
        );
        blocks.push(Block::Signatures {
            heading: "Signature",
            boxes: vec![self.signature()],
        });
        Sheet {
            letterhead: self.letterhead.clone(),
            title: TITLE.to_owned(),
            subject: self.person_name(),
            reference: self.reference(),
            blocks,
            footer: [
                format!("{TITLE} n° {} — {}", self.version_no, self.person_name()),
                CONFIDENTIAL.to_owned(),
            ],
        }
    }

    /// `Camille Lefèvre`.
    pub(crate) fn person_name(&self) -> String {
        format!(
            "{} {}",
            self.person.first_name.trim(),
            self.person.last_name.trim()
        )
    }

    /// `Rapport n° 2 du 12 mars 2027 · Document établi le 14 mars 2027`.
    pub(crate) fn reference(&self) -> String {
        format!(
            "Rapport n° {} du {} · Document établi le {}",
            self.version_no,
            date(self.written_on),
            date(self.document_on)
        )
    }

    /// Why the report is written, and what it holds.
    pub(crate) fn intro(&self) -> String {
        format!(
            "Rapport établi à l'appui de la demande « {} ». Il présente la situation de la \
             personne et de son foyer, leur budget, la demande et son plan de financement, puis \
             l'évaluation sociale de {}.",
            self.request.scheme.trim(),
            self.author.name.trim()
        )
    }

    fn person_section(&self) -> Section {
        let p = &self.person;
        let mut s = Section::new("Personne concernée");
        s.row("Nom", p.last_name.trim());
        s.row("Prénom", p.first_name.trim());
        s.row_if("Nom de naissance", p.birth_name.as_deref().map(str::trim));
        s.row(
            "Date de naissance",
            p.birth_date.map_or_else(
                || "Non renseignée".to_owned(),
                |born| format!("{} ({})", date(born), age(age_on(born, self.document_on))),
            ),
        );
        s.row_if("Situation familiale", p.marital_status);
        if !p.address.is_empty() {
            s.row("Adresse", p.address.join("\n"));
        }
        s.row_if("Téléphone", p.phone.as_deref());
        s.row_if("Courriel", p.email.as_deref());
        s.row_if("N° d'allocataire CAF", p.caf_number.as_deref());
        s
    }

    fn household_section(&self) -> Section {
        let mut s = Section::new("Composition du foyer");
        let Some(household) = &self.household else {
            return s.or_empty(NO_HOUSEHOLD);
        };
        s.row(
            "Personnes au foyer",
            match household.members.len() {
                0 => "1 : la personne vit seule".to_owned(),
                n => format!("{} : la personne et {n} autre{}", n + 1, plural(n)),
            },
        );
        s.row_if("Logement", household.housing.map(|h| h.label_fr()));
        s.row_if(
            "Situation professionnelle",
            household.employment.map(|e| e.label_fr()),
        );
        if !household.members.is_empty() {
            let members = household
                .members
                .iter()
                .map(|member| {
                    let mut line = format!(
                        "{} : {}",
                        member.relationship.label_fr(),
                        age(age_on(member.birth_date, self.document_on))
                    );
                    if member.dependent {
                        line.push_str(", à charge");
                    }
                    line
                })
                .collect();
            s.entry("Autres membres du foyer", members);
        }
        s
    }

    fn budget_section(&self) -> Section {
        let mut s = Section::new("Budget mensuel du foyer");
        let Some(budget) = &self.budget else {
            return s.or_empty(NO_BUDGET);
        };
        let d = &budget.derived;
        s.row("Total des ressources", euros(d.total_resources_cents));
        s.row("Total des charges", euros(d.total_charges_cents));
        s.row("Reste à vivre", euros(d.remaining_cents));
        s.row("Reste à vivre par jour", euros(d.remaining_per_day_cents));
        s.row(
            "Unités de consommation",
            units(d.consumption_units.tenths()),
        );
        s.row("Reste à vivre par UC", euros(d.remaining_per_unit_cents));
        s.row(
            "Par UC et par jour",
            euros(d.remaining_per_unit_per_day_cents),
        );
        if !budget.lines.debts.is_empty() {
            s.row("Dettes (restant dû)", euros(d.total_debt_cents));
        }
        let lines = &budget.lines;
        if !lines.resources.is_empty() {
            s.entry(
                "Ressources",
                lines
                    .resources
                    .iter()
                    .map(|l| budget_line(l.kind.label_fr(), l.label.as_deref(), l.amount_cents))
                    .collect(),
            );
        }
        if !lines.charges.is_empty() {
            s.entry(
                "Charges",
                lines
                    .charges
                    .iter()
                    .map(|l| budget_line(l.kind.label_fr(), l.label.as_deref(), l.amount_cents))
                    .collect(),
            );
        }
        if !lines.debts.is_empty() {
            s.entry("Dettes", lines.debts.iter().map(debt_line).collect());
        }
        s.entry("", vec![BUDGET_NOTE.to_owned()]);
        s
    }

    fn request_section(&self) -> Section {
        let r = &self.request;
        let mut s = Section::new("Demande");
        s.row("Dispositif sollicité", r.scheme.trim());
        s.row_if(
            "Organisme",
            self.provider
                .as_deref()
                .and_then(|p| french::present(Some(p))),
        );
        s.row("Demande ouverte le", date(r.opened_on));
        s.row_if(
            "Montant de la demande",
            r.funding.as_ref().map(|f| euros(f.need_cents)),
        );
        s.row("État de la demande", r.status_line());
        if let Some(decision) = &r.decision {
            s.row("Décision", decision.sentence());
            s.row_if("Motif", french::present(decision.reason.as_deref()));
        }
        s
    }

    fn funding_section(&self) -> Section {
        let mut s = Section::new("Plan de financement");
        let Some(f) = &self.request.funding else {
            return s.or_empty(NO_FUNDING);
        };
        s.row("Besoin à financer", euros(f.need_cents));
        s.row("Total demandé", euros(f.requested_cents));
        s.row("Total accordé", euros(f.granted_cents));
        if f.pending_cents > 0 {
            s.row("En attente de réponse", euros(f.pending_cents));
        }
        if f.unrequested_cents > 0 {
            s.row("Non encore sollicité", euros(f.unrequested_cents));
        }
        s.row("Reste à financer", euros(f.gap_cents));
        if f.excess_cents > 0 {
            s.row("Dépassement du besoin", euros(f.excess_cents));
        }
        for funder in &f.funders {
            s.entry(funder.name.trim(), vec![funder.amounts()]);
        }
        if f.funders.is_empty() {
            s.entry(
                "",
                vec!["Aucun financeur n'est encore sollicité.".to_owned()],
            );
        }
        s
    }

    fn evaluation_section(&self) -> Section {
        let mut s = Section::new("Évaluation sociale");
        s.row("Rédigée le", date(self.written_on));
        s.row("Par", self.author.name_and_role());
        s.entry("", vec![self.text.trim().to_owned()]);
        s
    }

    fn signature(&self) -> SignatureBox {
        let mut lines = vec![self.author.role()];
        lines.extend(self.author.reach());
        lines.push(french::SIGNED_AT.to_owned());
        SignatureBox {
            who: self.author.name.trim().to_owned(),
            lines,
        }
    }
}

/// `RSA : 607,75 €`, `Autre ressource (bourse) : 100,00 €`.
fn budget_line(kind: &str, label: Option<&str>, amount_cents: i64) -> String {
    match french::present(label) {
        Some(label) => format!("{kind} ({label}) : {}", euros(amount_cents)),
        None => format!("{kind} : {}", euros(amount_cents)),
    }
}

/// `Dette de loyer (Office HLM) : 1 800,00 € dus, remboursés 150,00 € par mois`.
fn debt_line(debt: &relais_domain::Debt) -> String {
    let kind = debt.kind.label_fr();
    let mut line = match french::present(debt.creditor.as_deref()) {
        Some(creditor) => format!(
            "{kind} ({creditor}) : {} dus",
            euros(debt.amount_owed_cents)
        ),
        None => format!("{kind} : {} dus", euros(debt.amount_owed_cents)),
    };
    if debt.monthly_repayment_cents > 0 {
        line.push_str(&format!(
            ", remboursés {} par mois",
            euros(debt.monthly_repayment_cents)
        ));
    }
    line
}

/// `moins d'un an`, `1 an`, `12 ans`.
fn age(years: u32) -> String {
    match years {
        0 => "moins d'un an".to_owned(),
        1 => "1 an".to_owned(),
        n => format!("{n} ans"),
    }
}

/// Consumption units as French writes a decimal: `1,8`, `2`.
fn units(tenths: u32) -> String {
    match tenths % 10 {
        0 => (tenths / 10).to_string(),
        rest => format!("{},{rest}", tenths / 10),
    }
}

fn plural(n: usize) -> &'static str {
    if n > 1 { "s" } else { "" }
}
