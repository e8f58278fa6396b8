//! An application (*demande d'aide*) and its funding plan as the printed documents show them:
//! the social report prints one, the written plan lists those under way. The figures are the
//! domain's ([`funding_totals`]); this module only words them, in French, the same way in every
//! document.

use chrono::NaiveDate;
use relais_domain::application::{Funder, funding_totals};
use relais_store::applications::ApplicationRecord;
use relais_store::applications::funding::FundingPlanRecord;

use super::french;

/// An application as printed; labels are the French labels of the codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintedApplication {
    /// The scheme's name, e.g. `Fonds de solidarité logement (FSL) — maintien`.
    pub scheme: String,
    /// French label of the status, e.g. `Dossier envoyé`.
    pub status: String,
    /// The day the application was opened.
    pub opened_on: NaiveDate,
    /// When and to whom the dossier was sent, once submitted.
    pub submitted: Option<(NaiveDate, String)>,
    pub decision: Option<PrintedDecision>,
    /// The funding plan, once written.
    pub funding: Option<PrintedFunding>,
}

/// The decision on an application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintedDecision {
    /// French label, e.g. `Accordée partiellement`.
    pub outcome: String,
    pub decided_on: NaiveDate,
    pub amount_granted_cents: Option<i64>,
    pub reason: Option<String>,
}

/// A funding plan with the domain's totals, in cents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintedFunding {
    /// What the plan must cover.
    pub need_cents: i64,
    /// In the order the worker gave them.
    pub funders: Vec<PrintedFunder>,
    /// Σ of the requests.
    pub requested_cents: i64,
    /// Σ of the grants, whole and partial.
    pub granted_cents: i64,
    /// Σ of the requests awaiting an answer.
    pub pending_cents: i64,
    /// Need − granted, 0 once covered.
    pub gap_cents: i64,
    /// What the grants exceed the need by.
    pub excess_cents: i64,
    /// What is asked of no funder yet.
    pub unrequested_cents: i64,
}

/// A funder of the funding plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintedFunder {
    pub name: String,
    /// French label of its answer, e.g. `Sollicité, en attente`.
    pub status: String,
    pub requested_cents: i64,
    pub granted_cents: Option<i64>,
}

impl PrintedApplication {
    /// The application `record` with its funding plan `plan`, if one was written.
    pub fn of(record: &ApplicationRecord, plan: Option<&FundingPlanRecord>) -> Self {
        Self {
            scheme: record.scheme_name.clone(),
            status: record.status.label_fr().to_owned(),
            opened_on: record.created_at.date_naive(),
            submitted: record.submitted_on.zip(record.submitted_to.clone()),
            decision: record
                .decision
                .zip(record.decided_on)
                .map(|(decision, decided_on)| PrintedDecision {
                    outcome: decision.into_inner().label_fr().to_owned(),
                    decided_on,
                    amount_granted_cents: record.amount_granted_cents,
                    reason: record.decision_reason.clone(),
                }),
            funding: plan.map(|p| PrintedFunding::of(p.need_cents, &p.funders)),
        }
    }

    /// `Dossier envoyé le 3 mars 2027 à Commission FSL du Rhône`, or the status alone.
    pub(crate) fn status_line(&self) -> String {
        match &self.submitted {
            Some((on, to)) if self.decision.is_none() => format!(
                "{} le {} à {}",
                self.status.trim(),
                french::date(*on),
                to.trim()
            ),
            _ => self.status.trim().to_owned(),
        }
    }
}

impl PrintedDecision {
    /// `Accordée partiellement le 12 mars 2027 : 450,00 €`, `Refusée le 12 mars 2027`.
    pub(crate) fn sentence(&self) -> String {
        let on = format!(
            "{} le {}",
            self.outcome.trim(),
            french::date(self.decided_on)
        );
        match self.amount_granted_cents {
            Some(amount) => format!("{on} : {}", french::euros(amount)),
            None => on,
        }
    }

    /// `Motif : …`, when the decision gave one.
    pub(crate) fn reason_line(&self) -> Option<String> {
        self.reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(|r| format!("Motif : {r}"))
    }
}

impl PrintedFunding {
    /// The funding plan of `need_cents` and `funders`, with the domain's totals.
    pub fn of(need_cents: i64, funders: &[Funder]) -> Self {
        let totals = funding_totals(need_cents, funders);
        Self {
            need_cents,
            funders: funders
                .iter()
                .map(|f| PrintedFunder {
                    name: f.name.clone(),
                    status: f.status.label_fr().to_owned(),
                    requested_cents: f.requested_cents,
                    granted_cents: f.granted_cents,
                })
                .collect(),
            requested_cents: totals.requested_cents,
            granted_cents: totals.granted_cents,
            pending_cents: totals.pending_cents,
            gap_cents: totals.gap_cents,
            excess_cents: totals.excess_cents,
            unrequested_cents: totals.unrequested_cents,
        }
    }

    /// `Besoin à financer : 1 500,00 €`.
    pub(crate) fn need_line(&self) -> String {
        format!("Besoin à financer : {}", french::euros(self.need_cents))
    }

    /// `Reste à financer : 450,00 €`, or that the grants cover the need.
    pub(crate) fn gap_line(&self) -> String {
        match (self.gap_cents, self.excess_cents) {
            (0, 0) => "Besoin entièrement couvert par les aides accordées".to_owned(),
            (0, excess) => format!(
                "Besoin entièrement couvert par les aides accordées (dépassé de {})",
                french::euros(excess)
            ),
            (gap, _) => format!("Reste à financer : {}", french::euros(gap)),
        }
    }
}

impl PrintedFunder {
    /// `Fonds de solidarité logement — Accordé partiellement : demandé 400,00 €, accordé
    /// 250,00 €`.
    pub(crate) fn line(&self) -> String {
        format!("{} — {}", self.name.trim(), self.amounts())
    }

    /// `Accordé partiellement : demandé 400,00 €, accordé 250,00 €`.
    pub(crate) fn amounts(&self) -> String {
        let asked = format!(
            "{} : demandé {}",
            self.status.trim(),
            french::euros(self.requested_cents)
        );
        match self.granted_cents {
            Some(granted) => format!("{asked}, accordé {}", french::euros(granted)),
            None => asked,
        }
    }
}

#[cfg(test)]
mod tests {
    use relais_domain::FunderStatus;

    use super::*;

    fn funder(name: &str, requested: i64, status: FunderStatus, granted: Option<i64>) -> Funder {
        Funder {
            name: name.to_owned(),
            requested_cents: requested,
            status,
            granted_cents: granted,
        }
    }

    #[test]
    fn the_totals_are_the_domain_s_and_the_lines_are_worded_in_french() {
        let plan = PrintedFunding::of(
            150_000,
            &[
                funder("FSL", 80_000, FunderStatus::Granted, Some(80_000)),
                funder("CCAS", 40_000, FunderStatus::PartiallyGranted, Some(25_000)),
                funder("Fondation", 30_000, FunderStatus::Requested, None),
            ],
        );
        assert_eq!(plan.granted_cents, 105_000);
        assert_eq!(plan.pending_cents, 30_000);
        assert_eq!(plan.gap_cents, 45_000);
        assert_eq!(plan.need_line(), "Besoin à financer : 1 500,00 €");
        assert_eq!(plan.gap_line(), "Reste à financer : 450,00 €");
        assert_eq!(
            plan.funders[1].line(),
            "CCAS — Accordé partiellement : demandé 400,00 €, accordé 250,00 €"
        );
        assert_eq!(
            plan.funders[2].line(),
            "Fondation — Sollicité, en attente : demandé 300,00 €"
        );
    }

    #[test]
    fn a_covered_need_says_so() {
        let covered = PrintedFunding::of(
            50_000,
            &[funder("FSL", 70_000, FunderStatus::Granted, Some(70_000))],
        );
        assert_eq!(
            covered.gap_line(),
            "Besoin entièrement couvert par les aides accordées (dépassé de 200,00 €)"
        );
    }

    #[test]
    fn decisions_read_as_a_sentence() {
        let mut decision = PrintedDecision {
            outcome: "Accordée partiellement".to_owned(),
            decided_on: NaiveDate::from_ymd_opt(2027, 3, 12).unwrap_or_default(),
            amount_granted_cents: Some(45_000),
            reason: Some("  ".to_owned()),
        };
        assert_eq!(
            decision.sentence(),
            "Accordée partiellement le 12 mars 2027 : 450,00 €"
        );
        assert_eq!(decision.reason_line(), None);
        decision.outcome = "Refusée".to_owned();
        decision.amount_granted_cents = None;
        decision.reason = Some("Ressources au-dessus du plafond".to_owned());
        assert_eq!(decision.sentence(), "Refusée le 12 mars 2027");
        assert_eq!(
            decision.reason_line().as_deref(),
            Some("Motif : Ressources au-dessus du plafond")
        );
    }
}
