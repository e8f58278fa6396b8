//! Applications (*dossiers de demande*) to a scheme: the lifecycle, the supporting documents
//! checklist that completes the application by itself, the decision's rules, the funding plan's
//! arithmetic and the plan items an application proposes.
//!
//! ```text
//! preparing ⇄ complete ──> under_review ──> submitted ──> decided
//!     └──────────┴──────────────┴──────────────┴──> withdrawn
//! ```
//!
//! `complete` is never asked for: [`ApplicationStatus::settle`] reaches it when every required
//! line of the checklist is received or validated ([`missing_required`] is 0), and goes back to
//! `preparing` when a required line stops being in hand (a document turns out missing, a new
//! required line is added) — also from `under_review`, since the worker cannot review a dossier
//! that lacks a piece. Once submitted, the checklist no longer moves the status: the dossier has
//! left, and a piece asked for afterwards is a complement, not a return to preparation.
//!
//! The transitions the worker asks for ([`ApplicationStatus::transition`]) carry what the new
//! status needs: the submission date and recipient, the decision with its date and amount or
//! reason ([`check_decision`]), an optional withdrawal reason.

use chrono::NaiveDate;

use crate::refusal::Refusal;

mod decision;
mod funding;
mod proposal;

pub use decision::{Decision, DecisionInput, check_decision, check_submission, social_report_text};
pub use funding::{Funder, FunderInput, FundingTotals, check_funding_plan, funding_totals};
pub use proposal::{
    PROPOSED_DOCUMENTS_DAYS, PROPOSED_REPORT_DAYS, ProposalLine, ProposedItem, proposed_items,
};

crate::coded_enum! {
    /// Where an application stands.
    pub enum ApplicationStatus in "application_status" {
        /// Supporting documents are being gathered.
        Preparing => "preparing" {
            fr: "En préparation (pièces à réunir)",
            en: "Preparing (documents to gather)"
        },
        /// Every required document is in hand (reached by itself).
        Complete => "complete" { fr: "Dossier complet", en: "Complete" },
        /// The worker studies the dossier and writes the social report.
        UnderReview => "under_review" {
            fr: "Étude du dossier par le travailleur social",
            en: "Under review by the worker"
        },
        /// Sent to the body that decides.
        Submitted => "submitted" { fr: "Dossier envoyé", en: "Submitted" },
        /// The decision is known.
        Decided => "decided" { fr: "Décision rendue", en: "Decided" },
        /// Given up before a decision.
        Withdrawn => "withdrawn" { fr: "Demande abandonnée", en: "Withdrawn" },
    }
}

crate::coded_enum! {
    /// The decision on an application.
    pub enum ApplicationDecision in "application_decision" {
        /// Granted as asked.
        Granted => "granted" { fr: "Accordée", en: "Granted" },
        /// Granted for part of what was asked.
        PartiallyGranted => "partially_granted" {
            fr: "Accordée partiellement",
            en: "Partially granted"
        },
        /// Refused, with a reason.
        Refused => "refused" { fr: "Refusée", en: "Refused" },
    }
}

crate::coded_enum! {
    /// Where a supporting document of the checklist stands.
    pub enum DocumentStatus in "application_document_status" {
        /// Asked for, not yet in hand.
        Requested => "requested" { fr: "Demandée", en: "Requested" },
        /// In hand.
        Received => "received" { fr: "Reçue", en: "Received" },
        /// In hand and checked by the worker.
        Validated => "validated" { fr: "Vérifiée", en: "Validated" },
        /// Cannot be obtained as things stand (the worker may have to intervene).
        Missing => "missing" { fr: "Manquante", en: "Missing" },
    }
}

crate::coded_enum! {
    /// Where a funder of the funding plan stands.
    pub enum FunderStatus in "funder_status" {
        /// Asked; no answer yet.
        Requested => "requested" { fr: "Sollicité, en attente", en: "Requested, pending" },
        /// Granted the whole amount requested.
        Granted => "granted" { fr: "Accordé", en: "Granted" },
        /// Granted part of the amount requested.
        PartiallyGranted => "partially_granted" {
            fr: "Accordé partiellement",
            en: "Partially granted"
        },
        /// Refused.
        Refused => "refused" { fr: "Refusé", en: "Refused" },
    }
}

/// Largest amount anywhere in an application (need, request, grant), in cents: 10 million euros.
pub const MAX_AMOUNT_CENTS: i64 = 1_000_000_000;
/// Longest recipient of a submission (`submitted_to`), in characters.
pub const RECIPIENT_MAX_CHARS: usize = 200;
/// Longest decision or withdrawal reason, in characters.
pub const REASON_MAX_CHARS: usize = 2000;
/// Longest social report, in characters.
pub const SOCIAL_REPORT_MAX_CHARS: usize = 20_000;
/// Most funders in a funding plan.
pub const MAX_FUNDERS: usize = 20;
/// Longest funder name, in characters.
pub const FUNDER_NAME_MAX_CHARS: usize = 200;

/// A problem with one field of a request, at a JSON pointer relative to the request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// JSON pointer, e.g. `/submitted_on` or `/funders/1/granted_cents`.
    pub pointer: String,
    /// Stable machine code.
    pub code: &'static str,
    /// Human-readable explanation.
    pub message: String,
}

impl FieldProblem {
    pub(crate) fn new(
        pointer: impl Into<String>,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self {
            pointer: pointer.into(),
            code,
            message: message.into(),
        }
    }

    pub(crate) fn required(field: &str, why: &str) -> Self {
        Self::new(format!("/{field}"), "required", why)
    }

    pub(crate) fn not_allowed(field: &str, why: &str) -> Self {
        Self::new(format!("/{field}"), "not_allowed", why)
    }
}

impl ApplicationStatus {
    /// Decided and withdrawn applications are over: no status follows.
    pub const fn is_final(self) -> bool {
        matches!(
            self,
            ApplicationStatus::Decided | ApplicationStatus::Withdrawn
        )
    }

    /// The statuses reached by the checklist alone, never asked for.
    pub const fn is_automatic(self) -> bool {
        matches!(
            self,
            ApplicationStatus::Preparing | ApplicationStatus::Complete
        )
    }

    /// Every arrow of the lifecycle from this status, the checklist's included.
    pub const fn allowed_targets(self) -> &'static [ApplicationStatus] {
        use ApplicationStatus::*;
        match self {
            Preparing => &[Complete, Withdrawn],
            Complete => &[Preparing, UnderReview, Withdrawn],
            UnderReview => &[Preparing, Submitted, Withdrawn],
            Submitted => &[Decided, Withdrawn],
            Decided | Withdrawn => &[],
        }
    }

    /// The status once the checklist is (or is not) `complete`: before submission, complete
    /// when every required document is in hand, preparing otherwise (under review included);
    /// from submission on, the checklist no longer moves it.
    pub const fn settle(self, complete: bool) -> ApplicationStatus {
        use ApplicationStatus::*;
        match (self, complete) {
            (Preparing, true) => Complete,
            (Complete | UnderReview, false) => Preparing,
            (status, _) => status,
        }
    }

    /// The change asked by the worker, checked against the lifecycle and the facts: the arrow
    /// first (automatic statuses are never asked for; `under_review` needs a complete
    /// checklist), then the fields the target needs.
    ///
    /// # Errors
    /// [`ApplicationTransitionError`]: the arrow is missing, the target is automatic, the
    /// checklist is incomplete, or fields are missing, out of range or not for this target.
    pub fn transition(
        self,
        req: &TransitionRequest<'_>,
        facts: &ApplicationFacts,
    ) -> Result<StatusChange, ApplicationTransitionError> {
        use ApplicationStatus::*;
        let to = req.to;
        if to.is_automatic() {
            return Err(ApplicationTransitionError::Automatic { to });
        }
        if self == Preparing && to == UnderReview {
            return Err(ApplicationTransitionError::Incomplete {
                missing: facts.missing_required,
            });
        }
        if !self.allowed_targets().contains(&to) {
            return Err(ApplicationTransitionError::InvalidTransition { from: self, to });
        }
        let mut problems = req.fields_not_for(to);
        let change = match to {
            UnderReview => Some(StatusChange::UnderReview),
            Submitted => match check_submission(req.submitted_on, req.submitted_to, facts.today) {
                Ok((on, to)) => Some(StatusChange::Submitted { on, to }),
                Err(more) => {
                    problems.extend(more);
                    None
                }
            },
            Decided => match check_decision(
                &DecisionInput {
                    decision: req.decision,
                    decided_on: req.decided_on,
                    amount_granted_cents: req.amount_granted_cents,
                    reason: req.reason,
                },
                facts.submitted_on,
                facts.today,
            ) {
                Ok(decision) => Some(StatusChange::Decided(decision)),
                Err(more) => {
                    problems.extend(more);
                    None
                }
            },
            Withdrawn => match optional_text(req.reason, "reason", REASON_MAX_CHARS) {
                Ok(reason) => Some(StatusChange::Withdrawn {
                    on: facts.today,
                    reason,
                }),
                Err(problem) => {
                    problems.push(problem);
                    None
                }
            },
            Preparing | Complete => None,
        };
        match change {
            Some(change) if problems.is_empty() => Ok(change),
            _ => Err(ApplicationTransitionError::Invalid(problems)),
        }
    }
}

/// How long a written plan keeps listing an application after its decision, in months.
pub const WRITTEN_PLAN_DECISION_MONTHS: u32 = 3;

/// Whether the written plan printed on `today` lists an application in `status` (decided on
/// `decided_on`, if it was).
///
/// A written plan tells the person where the requests made with them stand, next to the steps
/// of the plan. It lists every application under way — preparing, complete, under review or
/// submitted: the person has documents to bring or an answer to wait for — and the decisions of
/// the last [`WRITTEN_PLAN_DECISION_MONTHS`] months: a grant to be paid, a partial grant whose
/// gap other funders must fill, a refusal to contest or to finance otherwise are what the plan's
/// next steps build on. An application withdrawn, or decided longer ago, is history: the case's
/// timeline keeps it, the plan does not.
pub fn in_written_plan(
    status: ApplicationStatus,
    decided_on: Option<NaiveDate>,
    today: NaiveDate,
) -> bool {
    match status {
        ApplicationStatus::Withdrawn => false,
        ApplicationStatus::Decided => {
            let since = today
                .checked_sub_months(chrono::Months::new(WRITTEN_PLAN_DECISION_MONTHS))
                .unwrap_or(NaiveDate::MIN);
            decided_on.is_some_and(|on| on >= since)
        }
        ApplicationStatus::Preparing
        | ApplicationStatus::Complete
        | ApplicationStatus::UnderReview
        | ApplicationStatus::Submitted => true,
    }
}

impl DocumentStatus {
    /// Whether the document is in hand: received or validated.
    pub const fn is_in_hand(self) -> bool {
        matches!(self, DocumentStatus::Received | DocumentStatus::Validated)
    }

    /// The status of a checklist line after a change: the one `given`, else — when an uploaded
    /// file is newly linked to a line still requested or missing — `received` (the file is the
    /// document in hand), else the current one.
    pub const fn after_change(self, given: Option<DocumentStatus>, newly_linked: bool) -> Self {
        match given {
            Some(status) => status,
            None if newly_linked && !self.is_in_hand() => DocumentStatus::Received,
            None => self,
        }
    }
}

/// What the completeness rule needs of one checklist line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChecklistLine {
    pub required: bool,
    pub status: DocumentStatus,
}

/// How many required lines are not in hand (neither received nor validated).
pub fn missing_required(lines: impl IntoIterator<Item = ChecklistLine>) -> usize {
    lines
        .into_iter()
        .filter(|l| l.required && !l.status.is_in_hand())
        .count()
}

/// What a transition needs to know about the application beyond its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApplicationFacts {
    /// Required checklist lines not in hand ([`missing_required`]).
    pub missing_required: usize,
    /// When it was submitted, if it was.
    pub submitted_on: Option<NaiveDate>,
    /// Today, for dates that cannot be in the future.
    pub today: NaiveDate,
}

/// A status change asked for: `POST …/applications/{app_id}/transitions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransitionRequest<'a> {
    pub to: ApplicationStatus,
    /// `submitted`: the day the dossier was sent (not in the future).
    pub submitted_on: Option<NaiveDate>,
    /// `submitted`: to whom (the body or commission).
    pub submitted_to: Option<&'a str>,
    /// `decided`: the decision.
    pub decision: Option<ApplicationDecision>,
    /// `decided`: the day of the decision (not before the submission, not in the future).
    pub decided_on: Option<NaiveDate>,
    /// `decided` with `granted` or `partially_granted`: the amount granted, in cents.
    pub amount_granted_cents: Option<i64>,
    /// `decided`: the decision's reason (required when refused); `withdrawn`: why.
    pub reason: Option<&'a str>,
}

impl TransitionRequest<'_> {
    /// The fields given that the target status does not take.
    fn fields_not_for(&self, to: ApplicationStatus) -> Vec<FieldProblem> {
        use ApplicationStatus::*;
        let given = [
            ("submitted_on", self.submitted_on.is_some(), to == Submitted),
            ("submitted_to", self.submitted_to.is_some(), to == Submitted),
            ("decision", self.decision.is_some(), to == Decided),
            ("decided_on", self.decided_on.is_some(), to == Decided),
            (
                "amount_granted_cents",
                self.amount_granted_cents.is_some(),
                to == Decided,
            ),
            (
                "reason",
                self.reason.is_some(),
                matches!(to, Decided | Withdrawn),
            ),
        ];
        given
            .into_iter()
            .filter(|(_, present, allowed)| *present && !allowed)
            .map(|(field, _, _)| {
                FieldProblem::not_allowed(field, &format!("`{field}` does not go with `to: {to}`"))
            })
            .collect()
    }
}

/// What a transition records, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusChange {
    UnderReview,
    Submitted {
        on: NaiveDate,
        to: String,
    },
    Decided(Decision),
    Withdrawn {
        on: NaiveDate,
        reason: Option<String>,
    },
}

impl StatusChange {
    /// The status it leads to.
    pub const fn status(&self) -> ApplicationStatus {
        match self {
            StatusChange::UnderReview => ApplicationStatus::UnderReview,
            StatusChange::Submitted { .. } => ApplicationStatus::Submitted,
            StatusChange::Decided(_) => ApplicationStatus::Decided,
            StatusChange::Withdrawn { .. } => ApplicationStatus::Withdrawn,
        }
    }
}

/// Why a transition is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplicationTransitionError {
    /// The lifecycle has no arrow from `from` to `to` (including staying in place).
    #[error("an application cannot go from {from} to {to}")]
    InvalidTransition {
        from: ApplicationStatus,
        to: ApplicationStatus,
    },
    /// `preparing` and `complete` follow the checklist; they are never asked for.
    #[error("{to} is reached by the documents checklist alone; it cannot be asked for")]
    Automatic { to: ApplicationStatus },
    /// The checklist still lacks required documents.
    #[error("the application is not complete: {missing} required document(s) not in hand")]
    Incomplete { missing: usize },
    /// Fields the target needs are missing or wrong, or fields it does not take were given.
    #[error("the transition's fields are invalid")]
    Invalid(Vec<FieldProblem>),
}

impl Refusal for ApplicationTransitionError {
    fn code(&self) -> &'static str {
        match self {
            ApplicationTransitionError::InvalidTransition { .. } => {
                "invalid_application_transition"
            }
            ApplicationTransitionError::Automatic { .. } => "automatic_status",
            ApplicationTransitionError::Incomplete { .. } => "application_incomplete",
            ApplicationTransitionError::Invalid(_) => "validation_failed",
        }
    }

    fn sentence_fr(&self) -> String {
        match self {
            ApplicationTransitionError::InvalidTransition { from, to } => format!(
                "une demande ne peut pas passer du statut « {} » au statut « {} »",
                from.label_fr(),
                to.label_fr()
            ),
            ApplicationTransitionError::Automatic { to } => format!(
                "le statut « {} » découle de la seule liste des pièces justificatives : il ne \
                 peut pas être demandé",
                to.label_fr()
            ),
            ApplicationTransitionError::Incomplete { missing: 1 } => {
                "la demande n'est pas complète : il manque 1 pièce justificative obligatoire".into()
            }
            ApplicationTransitionError::Incomplete { missing } => format!(
                "la demande n'est pas complète : il manque {missing} pièces justificatives \
                 obligatoires"
            ),
            ApplicationTransitionError::Invalid(_) => {
                "les champs du changement de statut sont invalides".into()
            }
        }
    }
}

/// Trims an optional text: blank is absent; longer than `max` characters is a problem at
/// `/field`.
///
/// # Errors
/// [`FieldProblem`] `too_long` when over `max` characters once trimmed.
pub fn optional_text(
    value: Option<&str>,
    field: &str,
    max: usize,
) -> Result<Option<String>, FieldProblem> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) if v.chars().count() > max => Err(FieldProblem::new(
            format!("/{field}"),
            "too_long",
            format!("at most {max} characters"),
        )),
        other => Ok(other.map(str::to_owned)),
    }
}

/// A problem at `pointer` when `amount` is not 1 cent to [`MAX_AMOUNT_CENTS`].
pub(crate) fn amount_problem(amount: i64, pointer: String) -> Option<FieldProblem> {
    (!(1..=MAX_AMOUNT_CENTS).contains(&amount)).then(|| {
        FieldProblem::new(
            pointer,
            "out_of_range",
            format!("an amount is between 1 and {MAX_AMOUNT_CENTS} cents"),
        )
    })
}

#[cfg(test)]
#[path = "application_tests.rs"]
mod tests;
