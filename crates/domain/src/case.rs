//! The case (relation d'aide) lifecycle as one state machine, and the dates derived from it.
//!
//! ```text
//! intake ──> assessment ──> planning ──> active ──> closed ──> archived
//!    └────────────┴─────────────┴───────────┴──> closed (early)
//! closed ──> assessment | active   (reopen, with a reason)
//! ```
//!
//! Every rule about which status may follow which lives in [`CaseStatus::transition`]; callers
//! gather the facts it needs ([`TransitionFacts`]) and record the event it allows.

use chrono::{Days, Months, NaiveDate};

use crate::refusal::Refusal;

crate::coded_enum! {
    /// Where a case stands in its lifecycle.
    pub enum CaseStatus in "case_status" {
        /// First contact: systematic information and the reason for contact.
        Intake => "intake" { fr: "Pré-évaluation / recueil d'informations", en: "Intake" },
        /// First interview held; the situation is analysed domain by domain.
        Assessment => "assessment" {
            fr: "Analyse de la situation / diagnostic",
            en: "Assessment"
        },
        /// A plan exists and is being negotiated; no proposal accepted yet.
        Planning => "planning" { fr: "Élaboration du plan d'aide", en: "Planning" },
        /// A proposal was accepted; interventions and recommendations are under way.
        Active => "active" { fr: "Relation d'aide active", en: "Active" },
        /// Support ended; contacts (late answers, the review) may still be added.
        Closed => "closed" { fr: "Accompagnement clôturé", en: "Closed" },
        /// Set by the retention job; read-only and hidden from lists.
        Archived => "archived" { fr: "Dossier archivé", en: "Archived" },
    }
}

crate::coded_enum! {
    /// How a case came to the organisation.
    pub enum CaseOrigin in "case_origin" {
        /// The person came or called on their own initiative.
        SelfReferral => "self" { fr: "Démarche spontanée de la personne", en: "Self-referral" },
        /// A partner organisation referred the person.
        PartnerReferral => "partner_referral" {
            fr: "Orientation par un partenaire",
            en: "Partner referral"
        },
        /// Another service of the same organisation referred the person.
        Internal => "internal" { fr: "Orientation interne", en: "Internal referral" },
        /// Anything else.
        Other => "other" { fr: "Autre", en: "Other" },
    }
}

crate::coded_enum! {
    /// Why a case was closed.
    pub enum ClosureReason in "closure_reason" {
        /// The goals of the plan were reached.
        GoalsMet => "goals_met" { fr: "Objectifs atteints", en: "Goals met" },
        /// The person chose to end the support.
        PersonWithdrew => "person_withdrew" {
            fr: "Arrêt à la demande de la personne",
            en: "Person withdrew"
        },
        /// The person could no longer be reached.
        Unreachable => "unreachable" { fr: "Personne injoignable", en: "Person unreachable" },
        /// Another service is better placed to support the person.
        Redirected => "redirected" {
            fr: "Réorientation vers un autre service",
            en: "Redirected to another service"
        },
        /// The person moved out of the organisation's area.
        MovedAway => "moved_away" { fr: "Déménagement hors du territoire", en: "Moved away" },
        /// The person died.
        Deceased => "deceased" { fr: "Décès", en: "Deceased" },
        /// Anything else.
        Other => "other" { fr: "Autre motif", en: "Other" },
    }
}

impl ClosureReason {
    /// Whether a post-closure review is planned by default after a closure for this reason: not
    /// when the person withdrew, could not be reached, moved away or died (a worker may still
    /// ask for one).
    pub fn expects_review(self) -> bool {
        !matches!(
            self,
            ClosureReason::PersonWithdrew
                | ClosureReason::Unreachable
                | ClosureReason::MovedAway
                | ClosureReason::Deceased
        )
    }
}

/// Default length of a case, in calendar months, before it counts as running late.
pub const DEFAULT_TARGET_MONTHS: u32 = 6;

/// Default delay, in days, between closure and the post-closure review (4 weeks).
pub const DEFAULT_REVIEW_DAYS: u32 = 28;

/// What the state machine needs to know about the case beyond its status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TransitionFacts {
    /// How many assessed domains need action (`needs_action: yes`).
    pub domains_needing_action: usize,
    /// Whether a plan proposal was accepted by the person.
    pub has_accepted_proposal: bool,
    /// How many plan items are still pending (planned, in progress or blocked); closing over
    /// them needs the worker's confirmation ([`confirm_closure`]).
    pub pending_items: usize,
}

/// Who asks for a transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Actor {
    /// An agent, through the API.
    Agent,
    /// A background job of the service (the retention job archives cases).
    System,
}

/// A transition asked for: `POST /v1/cases/{id}/transitions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransitionRequest<'a> {
    /// The status wanted.
    pub to: CaseStatus,
    /// Free-text reason; required to reopen a closed case.
    pub reason: Option<&'a str>,
    /// Required when closing; ignored otherwise.
    pub closure_reason: Option<ClosureReason>,
    /// Who asks.
    pub actor: Actor,
}

/// Why a case refuses a change, whatever the change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CaseLocked {
    /// The case is archived: read-only.
    #[error("the case is archived: it is read-only")]
    Archived,
    /// The case is closed or archived: its plan no longer changes.
    #[error("the case is {0}: its plan can no longer change (reopen it first)")]
    NotOpen(CaseStatus),
}

impl Refusal for CaseLocked {
    fn code(&self) -> &'static str {
        match self {
            CaseLocked::Archived => "case_archived",
            CaseLocked::NotOpen(_) => "case_closed",
        }
    }

    fn sentence_fr(&self) -> String {
        match self {
            CaseLocked::Archived => "le dossier est archivé : il est en lecture seule".into(),
            CaseLocked::NotOpen(CaseStatus::Closed) => {
                "l'accompagnement est clôturé : son plan d'aide ne peut plus changer \
                 (rouvrez-le d'abord)"
                    .into()
            }
            CaseLocked::NotOpen(CaseStatus::Archived) => {
                "le dossier est archivé : son plan d'aide ne peut plus changer".into()
            }
            CaseLocked::NotOpen(status) => format!(
                "le dossier est au statut « {} » : son plan d'aide ne peut plus changer",
                status.label_fr()
            ),
        }
    }
}

/// Why a transition is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The lifecycle has no arrow from `from` to `to` (including staying in place).
    #[error("a case cannot go from {from} to {to}")]
    InvalidTransition {
        /// The current status.
        from: CaseStatus,
        /// The status asked for.
        to: CaseStatus,
    },
    /// Closing needs a closure reason code.
    #[error("closing a case needs a closure reason")]
    ClosureReasonRequired,
    /// Reopening needs a written reason.
    #[error("reopening a closed case needs a reason")]
    ReasonRequired,
    /// Planning needs an assessment with at least one domain needing action.
    #[error("planning needs an assessment with at least one domain needing action")]
    AssessmentNeedsAction,
    /// Becoming active needs a proposal the person accepted.
    #[error("an active case needs a plan proposal accepted by the person")]
    AcceptedProposalRequired,
    /// Only the retention job archives cases.
    #[error("only the retention job can archive a case")]
    SystemOnly,
    /// Closing over pending plan items needs an explicit confirmation (`force`).
    #[error(
        "{count} plan item(s) are still planned, in progress or blocked: confirm the closure \
         with force, or settle them first"
    )]
    PendingPlanItems {
        /// How many items are pending.
        count: usize,
    },
}

impl Refusal for TransitionError {
    fn code(&self) -> &'static str {
        match self {
            TransitionError::InvalidTransition { .. } => "invalid_transition",
            TransitionError::ClosureReasonRequired => "closure_reason_required",
            TransitionError::ReasonRequired => "reason_required",
            TransitionError::AssessmentNeedsAction => "assessment_needs_action",
            TransitionError::AcceptedProposalRequired => "accepted_proposal_required",
            TransitionError::SystemOnly => "system_only",
            TransitionError::PendingPlanItems { .. } => "pending_plan_items",
        }
    }

    fn sentence_fr(&self) -> String {
        match self {
            TransitionError::InvalidTransition { from, to } => format!(
                "un dossier ne peut pas passer du statut « {} » au statut « {} »",
                from.label_fr(),
                to.label_fr()
            ),
            TransitionError::ClosureReasonRequired => {
                "pour clôturer l'accompagnement, indiquez le motif de clôture".into()
            }
            TransitionError::ReasonRequired => {
                "pour rouvrir un accompagnement clôturé, indiquez le motif de la réouverture".into()
            }
            TransitionError::AssessmentNeedsAction => {
                "pour élaborer le plan d'aide, le diagnostic doit relever au moins un domaine \
                 nécessitant une action"
                    .into()
            }
            TransitionError::AcceptedProposalRequired => {
                "la relation d'aide ne devient active qu'avec une proposition de plan acceptée \
                 par la personne"
                    .into()
            }
            TransitionError::SystemOnly => {
                "seul le traitement automatique de fin de conservation archive un dossier".into()
            }
            TransitionError::PendingPlanItems { count: 1 } => {
                "1 démarche du plan d'aide est encore prévue, en cours ou bloquée : confirmez la \
                 clôture avec force, ou réglez-la d'abord"
                    .into()
            }
            TransitionError::PendingPlanItems { count } => format!(
                "{count} démarches du plan d'aide sont encore prévues, en cours ou bloquées : \
                 confirmez la clôture avec force, ou réglez-les d'abord"
            ),
        }
    }
}

impl CaseStatus {
    /// The statuses this one may move to, whatever the facts.
    pub fn allowed_targets(self) -> &'static [CaseStatus] {
        use CaseStatus::*;
        match self {
            Intake => &[Assessment, Closed],
            Assessment => &[Planning, Closed],
            Planning => &[Active, Closed],
            Active => &[Closed],
            Closed => &[Assessment, Active, Archived],
            Archived => &[],
        }
    }

    /// Whether the case is still open: neither closed nor archived.
    pub fn is_open(self) -> bool {
        !matches!(self, CaseStatus::Closed | CaseStatus::Archived)
    }

    /// May anything of the case change? An archived case is read-only; a closed one still takes
    /// contacts, documents and its review.
    ///
    /// # Errors
    /// [`CaseLocked::Archived`] for an archived case.
    pub fn writable(self) -> Result<(), CaseLocked> {
        match self {
            CaseStatus::Archived => Err(CaseLocked::Archived),
            _ => Ok(()),
        }
    }

    /// May the case's plan (items, proposals, applications' steps) change? Only while the case
    /// is open: a closed case must be reopened first.
    ///
    /// # Errors
    /// [`CaseLocked::NotOpen`] for a closed or archived case.
    pub fn plan_open(self) -> Result<(), CaseLocked> {
        if self.is_open() {
            Ok(())
        } else {
            Err(CaseLocked::NotOpen(self))
        }
    }

    /// Whether reading the case's content needs a reason, which is audited: an archived case
    /// is read only with one.
    pub fn read_needs_reason(self) -> bool {
        self == CaseStatus::Archived
    }

    /// The status after `req`, or why it is refused. The arrow is checked first, then the
    /// guards of the target, so an impossible move is always `invalid_transition`.
    ///
    /// # Errors
    /// [`TransitionError::InvalidTransition`] when the lifecycle has no such arrow, otherwise
    /// the first guard that fails: closure reason, domains needing action, reopening reason,
    /// accepted proposal, system actor.
    pub fn transition(
        self,
        req: &TransitionRequest<'_>,
        facts: &TransitionFacts,
    ) -> Result<CaseStatus, TransitionError> {
        use CaseStatus::*;
        let to = req.to;
        if !self.allowed_targets().contains(&to) {
            return Err(TransitionError::InvalidTransition { from: self, to });
        }
        let has_reason = req.reason.is_some_and(|r| !r.trim().is_empty());
        match (self, to) {
            (_, Closed) if req.closure_reason.is_none() => {
                Err(TransitionError::ClosureReasonRequired)
            }
            (Assessment, Planning) if facts.domains_needing_action == 0 => {
                Err(TransitionError::AssessmentNeedsAction)
            }
            // Reopening undoes a closure the person was told about: say why, in the timeline.
            (Closed, Assessment | Active) if !has_reason => Err(TransitionError::ReasonRequired),
            (_, Active) if !facts.has_accepted_proposal => {
                Err(TransitionError::AcceptedProposalRequired)
            }
            (_, Archived) if req.actor != Actor::System => Err(TransitionError::SystemOnly),
            _ => Ok(to),
        }
    }
}

/// Closing a case whose plan still has pending items (planned, in progress or blocked) needs
/// the worker's explicit confirmation, so no step is dropped by mistake. Other transitions, and
/// a confirmed (`force`) closure, always pass.
///
/// # Errors
/// [`TransitionError::PendingPlanItems`] when closing over pending items without `force`.
pub fn confirm_closure(
    to: CaseStatus,
    facts: &TransitionFacts,
    force: bool,
) -> Result<(), TransitionError> {
    if to == CaseStatus::Closed && facts.pending_items > 0 && !force {
        return Err(TransitionError::PendingPlanItems {
            count: facts.pending_items,
        });
    }
    Ok(())
}

/// Why a review date given at closure is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReviewDateError {
    /// The post-closure review comes after the closure.
    #[error("the review date must be after the closure date ({closed_on})")]
    NotAfterClosure {
        /// The closure date.
        closed_on: NaiveDate,
    },
}

impl Refusal for ReviewDateError {
    fn code(&self) -> &'static str {
        match self {
            ReviewDateError::NotAfterClosure { .. } => "out_of_range",
        }
    }

    fn sentence_fr(&self) -> String {
        match self {
            ReviewDateError::NotAfterClosure { closed_on } => format!(
                "l'entretien bilan doit avoir lieu après la date de clôture ({})",
                closed_on.format("%d/%m/%Y")
            ),
        }
    }
}

/// The review date of a case closed on `closed_on` for `reason`: the one the worker chose, which
/// must come after the closure; else `days` days after closure (the organisation's review
/// delay), unless the reason leaves nobody to review with (see
/// [`ClosureReason::expects_review`]): then none.
///
/// # Errors
/// [`ReviewDateError::NotAfterClosure`] when the chosen date is on or before the closure.
pub fn closure_review_due(
    closed_on: NaiveDate,
    chosen: Option<NaiveDate>,
    reason: Option<ClosureReason>,
    days: u32,
) -> Result<Option<NaiveDate>, ReviewDateError> {
    match chosen {
        Some(date) if date <= closed_on => Err(ReviewDateError::NotAfterClosure { closed_on }),
        Some(date) => Ok(Some(date)),
        None if reason.is_some_and(|r| !r.expects_review()) => Ok(None),
        None => Ok(Some(review_due_on(closed_on, days))),
    }
}

/// The day a case's figures are computed for: today while it is open; a closed or archived
/// case's figures freeze at its closure (DAILY.md, "Case indicators and closure").
pub fn figures_day(
    status: CaseStatus,
    closed_on: Option<NaiveDate>,
    today: NaiveDate,
) -> NaiveDate {
    if status.is_open() {
        today
    } else {
        closed_on.map_or(today, |closed| closed.min(today))
    }
}

/// The day against which a case's steps are checked for being overdue: today while the case
/// is open; none, so that no step is overdue, once it is closed or archived.
pub fn overdue_day(status: CaseStatus, today: NaiveDate) -> Option<NaiveDate> {
    status.is_open().then_some(today)
}

/// Whether a case's post-closure review is due on `today`: the case is closed, its review date
/// has come, and no review contact was held since the closure.
pub fn is_review_due(
    status: CaseStatus,
    review_due_on: Option<NaiveDate>,
    review_held: bool,
    today: NaiveDate,
) -> bool {
    status == CaseStatus::Closed && !review_held && review_due_on.is_some_and(|d| d <= today)
}

/// How far back a case may be entered as opened (an existing caseload, from the paper file).
pub const MAX_BACK_ENTRY_MONTHS: u32 = 24;

/// Why an opening date is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OpeningDateError {
    /// A case cannot open after today.
    #[error("a case cannot open after today ({today})")]
    InFuture { today: NaiveDate },
    /// A case may be entered as opened up to 24 months back, not earlier.
    #[error("a case may be entered as opened up to 24 months back, on {earliest} at the earliest")]
    TooFarBack { earliest: NaiveDate },
}

impl Refusal for OpeningDateError {
    fn code(&self) -> &'static str {
        match self {
            OpeningDateError::InFuture { .. } => "in_future",
            OpeningDateError::TooFarBack { .. } => "out_of_range",
        }
    }

    fn sentence_fr(&self) -> String {
        match self {
            OpeningDateError::InFuture { today } => format!(
                "un accompagnement ne peut pas s'ouvrir après aujourd'hui ({})",
                today.format("%d/%m/%Y")
            ),
            OpeningDateError::TooFarBack { earliest } => format!(
                "un accompagnement peut être saisi jusqu'à 24 mois en arrière, au plus tôt le {}",
                earliest.format("%d/%m/%Y")
            ),
        }
    }
}

/// The opening date of a new case: today, or the date given for a case entered as it stands
/// (back-entry), from 24 months back up to today.
///
/// # Errors
/// [`OpeningDateError`] for a date after today or more than 24 months back.
pub fn opening_date(
    given: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<NaiveDate, OpeningDateError> {
    let Some(date) = given else {
        return Ok(today);
    };
    let earliest = today
        .checked_sub_months(Months::new(MAX_BACK_ENTRY_MONTHS))
        .unwrap_or(NaiveDate::MIN);
    if date > today {
        Err(OpeningDateError::InFuture { today })
    } else if date < earliest {
        Err(OpeningDateError::TooFarBack { earliest })
    } else {
        Ok(date)
    }
}

/// The default target end of a case opened on `opened_on`: `months` calendar months later,
/// clamped to the end of a shorter month (31 August + 6 months = 28 or 29 February).
pub fn default_target_end(opened_on: NaiveDate, months: u32) -> NaiveDate {
    opened_on
        .checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

/// When the post-closure review of a case closed on `closed_on` is due: `days` days later.
pub fn review_due_on(closed_on: NaiveDate, days: u32) -> NaiveDate {
    closed_on
        .checked_add_days(Days::new(u64::from(days)))
        .unwrap_or(NaiveDate::MAX)
}

#[cfg(test)]
#[path = "case_tests.rs"]
mod tests;
