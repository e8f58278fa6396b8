//! The help plan (plan d'aide): who acts on each step, the categories each party's steps fall
//! in, the small lifecycle of a step, the overdue rule and the plan's indicators.
//!
//! A plan item (*démarche*) has a [`Party`]: the worker (an *intervention*), the person (a
//! *préconisation*) or a partner. Its [`ItemCategory`] must be one the party can carry out
//! ([`ItemCategory::allowed_for`]). Its [`ItemStatus`] moves through
//! [`ItemStatus::transition`]:
//!
//! ```text
//! planned ⇄ in_progress ⇄ blocked        (any of the three ──> done | cancelled)
//! done ──> in_progress   (reopened)
//! cancelled ──> planned  (restored)
//! ```
//!
//! Everything derived from a set of items — overdue, counts, % done, the end-of-support
//! signal — is computed here from [`ItemFacts`], so the plan view, the case indicators and the
//! caseload statistics agree.

use chrono::NaiveDate;
use serde::Serialize;

use crate::refusal::Refusal;

crate::coded_enum! {
    /// Who carries out a plan item.
    pub enum Party in "party" {
        /// The social worker: an *intervention*.
        Worker => "worker" {
            fr: "Travailleur social (intervention)",
            en: "Social worker (intervention)"
        },
        /// The person supported: a *préconisation*.
        Person => "person" {
            fr: "Personne accompagnée (préconisation)",
            en: "Person supported (recommendation)"
        },
        /// A partner organisation.
        Partner => "partner" { fr: "Partenaire", en: "Partner" },
    }
}

crate::coded_enum! {
    /// What a plan item is called given its party; derived from [`Party`], never stored.
    pub enum ItemKind in "item_kind" {
        /// A step of the worker.
        Intervention => "intervention" { fr: "Intervention", en: "Intervention" },
        /// A step of the person.
        Recommendation => "recommendation" { fr: "Préconisation", en: "Recommendation" },
        /// A step of a partner.
        PartnerStep => "partner_step" { fr: "Démarche du partenaire", en: "Partner step" },
    }
}

crate::coded_enum! {
    /// The kind of step a plan item is (DOMAIN.md, "The plan").
    pub enum ItemCategory in "item_category" {
        /// Contact with, or going to, another body.
        Orientation => "orientation" { fr: "Orientation", en: "Orientation" },
        /// Research.
        Investigation => "investigation" { fr: "Recherches", en: "Investigation" },
        /// Concertation, gathering information from partners.
        PartnerConsultation => "partner_consultation" {
            fr: "Concertation avec les partenaires",
            en: "Consultation with partners"
        },
        /// An evaluation or a social report (rapport de situation sociale).
        SocialReport => "social_report" {
            fr: "Évaluation / rapport de situation sociale",
            en: "Evaluation / social report"
        },
        /// Letters and professional writing.
        Correspondence => "correspondence" {
            fr: "Courriers et écrits professionnels",
            en: "Letters and professional writing"
        },
        /// Completing files, preparing supporting documents.
        Paperwork => "paperwork" {
            fr: "Démarches administratives, pièces justificatives",
            en: "Paperwork and supporting documents"
        },
        /// Phone calls and trips.
        CallsAndVisits => "calls_and_visits" {
            fr: "Appels et déplacements",
            en: "Calls and visits"
        },
    }
}

crate::coded_enum! {
    /// Where a plan item stands.
    pub enum ItemStatus in "item_status" {
        /// Not started yet.
        Planned => "planned" { fr: "Prévue", en: "Planned" },
        /// Under way.
        InProgress => "in_progress" { fr: "En cours", en: "In progress" },
        /// Waiting on something outside the party's hands.
        Blocked => "blocked" { fr: "Bloquée", en: "Blocked" },
        /// Carried out.
        Done => "done" { fr: "Réalisée", en: "Done" },
        /// Given up; kept in the plan's history.
        Cancelled => "cancelled" { fr: "Annulée", en: "Cancelled" },
    }
}

impl Party {
    /// What an item of this party is called: intervention, préconisation or partner step.
    pub const fn kind(self) -> ItemKind {
        match self {
            Party::Worker => ItemKind::Intervention,
            Party::Person => ItemKind::Recommendation,
            Party::Partner => ItemKind::PartnerStep,
        }
    }
}

impl ItemCategory {
    /// The categories `party`'s steps may have, in the order practice lists them.
    pub const fn categories_for(party: Party) -> &'static [ItemCategory] {
        use ItemCategory::*;
        match party {
            Party::Worker => &[
                Orientation,
                Investigation,
                PartnerConsultation,
                SocialReport,
                Correspondence,
            ],
            Party::Person => &[Paperwork, Orientation, CallsAndVisits],
            Party::Partner => &[
                Orientation,
                Investigation,
                PartnerConsultation,
                Correspondence,
                Paperwork,
            ],
        }
    }

    /// Whether a step of `party` may be of this category.
    pub fn allowed_for(self, party: Party) -> bool {
        categories_for(party).contains(&self)
    }
}

/// The categories `party`'s steps may have (same as [`ItemCategory::categories_for`]).
pub const fn categories_for(party: Party) -> &'static [ItemCategory] {
    ItemCategory::categories_for(party)
}

/// A plan item's status cannot move from `from` to `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a plan item cannot go from {from} to {to}")]
pub struct ItemTransitionError {
    /// The current status.
    pub from: ItemStatus,
    /// The status asked for.
    pub to: ItemStatus,
}

impl Refusal for ItemTransitionError {
    fn code(&self) -> &'static str {
        "invalid_item_transition"
    }

    fn sentence_fr(&self) -> String {
        format!(
            "une démarche du plan d'aide ne peut pas passer du statut « {} » au statut « {} »",
            self.from.label_fr(),
            self.to.label_fr()
        )
    }
}

impl ItemStatus {
    /// The statuses in which an item still has to be carried out (and can be overdue).
    pub const PENDING: &'static [ItemStatus] = &[
        ItemStatus::Planned,
        ItemStatus::InProgress,
        ItemStatus::Blocked,
    ];

    /// Whether the item still has to be carried out: planned, in progress or blocked.
    pub const fn is_pending(self) -> bool {
        matches!(
            self,
            ItemStatus::Planned | ItemStatus::InProgress | ItemStatus::Blocked
        )
    }

    /// The statuses this one may move to. Staying in place is not a transition.
    pub const fn allowed_targets(self) -> &'static [ItemStatus] {
        use ItemStatus::*;
        match self {
            Planned => &[InProgress, Blocked, Done, Cancelled],
            InProgress => &[Planned, Blocked, Done, Cancelled],
            Blocked => &[Planned, InProgress, Done, Cancelled],
            // Reopened: the step turned out not to be finished.
            Done => &[InProgress],
            // Restored: the step is back in the plan.
            Cancelled => &[Planned],
        }
    }

    /// The status after moving to `to`, or why it is refused.
    ///
    /// # Errors
    /// [`ItemTransitionError`] when there is no such arrow, including `to == self` (callers
    /// that merely keep the status should not ask for a transition).
    pub fn transition(self, to: ItemStatus) -> Result<ItemStatus, ItemTransitionError> {
        if self.allowed_targets().contains(&to) {
            Ok(to)
        } else {
            Err(ItemTransitionError { from: self, to })
        }
    }
}

/// Whether an item due on `due_on` with `status` is overdue on `today`: its due date has passed
/// and it is still planned, in progress or blocked.
pub fn is_overdue(due_on: NaiveDate, status: ItemStatus, today: NaiveDate) -> bool {
    due_on < today && status.is_pending()
}

/// Why a done date is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DoneOnError {
    /// The done date is after today.
    #[error("an item cannot be done in the future")]
    InFuture,
    /// A done date was given for an item that is not (or no longer) done.
    #[error("only a done item has a done date")]
    NotDone,
    /// A done item's done date was cleared.
    #[error("a done item needs its done date")]
    Required,
}

impl Refusal for DoneOnError {
    fn code(&self) -> &'static str {
        match self {
            DoneOnError::InFuture => "out_of_range",
            DoneOnError::NotDone => "not_done",
            DoneOnError::Required => "required",
        }
    }

    fn sentence_fr(&self) -> String {
        match self {
            DoneOnError::InFuture => "une démarche ne peut pas être réalisée à une date future",
            DoneOnError::NotDone => "seule une démarche réalisée a une date de réalisation",
            DoneOnError::Required => "une démarche réalisée garde sa date de réalisation",
        }
        .into()
    }
}

/// The done date of an item whose status goes from `current` to `next` (possibly the same).
///
/// `given` is the merge-patch field: `None` when absent, `Some(None)` when `null`,
/// `Some(Some(d))` for a date. A done item always has a done date, never after `today`:
/// moving to `done` takes the given date or today; staying done keeps the stored date unless a
/// new one is given; any other status has none (leaving `done` clears it).
///
/// # Errors
/// [`DoneOnError::InFuture`] for a date after `today`, [`DoneOnError::NotDone`] for a date on
/// an item that will not be done, [`DoneOnError::Required`] for `null` on a done item.
pub fn settle_done_on(
    current: ItemStatus,
    stored: Option<NaiveDate>,
    next: ItemStatus,
    given: Option<Option<NaiveDate>>,
    today: NaiveDate,
) -> Result<Option<NaiveDate>, DoneOnError> {
    match (next, given) {
        (ItemStatus::Done, Some(Some(date))) if date > today => Err(DoneOnError::InFuture),
        (ItemStatus::Done, Some(Some(date))) => Ok(Some(date)),
        (ItemStatus::Done, Some(None)) => Err(DoneOnError::Required),
        (ItemStatus::Done, None) if current == ItemStatus::Done => Ok(stored.or(Some(today))),
        (ItemStatus::Done, None) => Ok(Some(today)),
        (_, Some(Some(_))) => Err(DoneOnError::NotDone),
        (_, _) => Ok(None),
    }
}

/// Longest title of a plan item, in characters.
pub const TITLE_MAX_CHARS: usize = 200;
/// Longest details or outcome text of a plan item, in characters.
pub const TEXT_MAX_CHARS: usize = 5000;

/// A plan item's title: trimmed, 1 to [`TITLE_MAX_CHARS`] characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PlanItemTitle(String);

/// Why a title is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PlanItemTitleError {
    /// Empty or only whitespace.
    #[error("the title must not be blank")]
    Blank,
    /// Longer than [`TITLE_MAX_CHARS`] characters once trimmed.
    #[error("the title has at most {TITLE_MAX_CHARS} characters")]
    TooLong,
}

impl Refusal for PlanItemTitleError {
    fn code(&self) -> &'static str {
        match self {
            PlanItemTitleError::Blank => "blank",
            PlanItemTitleError::TooLong => "too_long",
        }
    }

    fn sentence_fr(&self) -> String {
        match self {
            PlanItemTitleError::Blank => "l'intitulé ne doit pas être vide".into(),
            PlanItemTitleError::TooLong => {
                format!("l'intitulé compte au plus {TITLE_MAX_CHARS} caractères")
            }
        }
    }
}

impl PlanItemTitle {
    /// Trims `raw` and checks its length.
    ///
    /// # Errors
    /// [`PlanItemTitleError`] when blank or too long.
    pub fn parse(raw: &str) -> Result<Self, PlanItemTitleError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            Err(PlanItemTitleError::Blank)
        } else if trimmed.chars().count() > TITLE_MAX_CHARS {
            Err(PlanItemTitleError::TooLong)
        } else {
            Ok(Self(trimmed.to_owned()))
        }
    }

    /// The title.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for PlanItemTitle {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// What the indicators need to know about one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemFacts {
    pub party: Party,
    pub status: ItemStatus,
    pub due_on: NaiveDate,
}

/// Items counted by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StatusCounts {
    pub planned: u32,
    pub in_progress: u32,
    pub blocked: u32,
    pub done: u32,
    pub cancelled: u32,
}

impl StatusCounts {
    fn add(&mut self, status: ItemStatus) {
        let slot = match status {
            ItemStatus::Planned => &mut self.planned,
            ItemStatus::InProgress => &mut self.in_progress,
            ItemStatus::Blocked => &mut self.blocked,
            ItemStatus::Done => &mut self.done,
            ItemStatus::Cancelled => &mut self.cancelled,
        };
        *slot = slot.saturating_add(1);
    }

    /// The count of one status.
    pub const fn get(&self, status: ItemStatus) -> u32 {
        match status {
            ItemStatus::Planned => self.planned,
            ItemStatus::InProgress => self.in_progress,
            ItemStatus::Blocked => self.blocked,
            ItemStatus::Done => self.done,
            ItemStatus::Cancelled => self.cancelled,
        }
    }
}

/// One party's items.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PartyIndicators {
    /// Every item of the party.
    pub total: u32,
    /// By status.
    pub by_status: StatusCounts,
    /// Items of the party that are overdue.
    pub overdue: u32,
}

/// Items per party.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PartyBreakdown {
    /// The worker's interventions.
    pub worker: PartyIndicators,
    /// The person's préconisations.
    pub person: PartyIndicators,
    /// Partners' steps.
    pub partner: PartyIndicators,
}

impl PartyBreakdown {
    /// The figures of one party.
    pub const fn get(&self, party: Party) -> &PartyIndicators {
        match party {
            Party::Worker => &self.worker,
            Party::Person => &self.person,
            Party::Partner => &self.partner,
        }
    }

    fn get_mut(&mut self, party: Party) -> &mut PartyIndicators {
        match party {
            Party::Worker => &mut self.worker,
            Party::Person => &mut self.person,
            Party::Partner => &mut self.partner,
        }
    }
}

/// The figures of a plan: how far it got, what is late, whether support can end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PlanIndicators {
    /// Every item of the plan.
    pub total: u32,
    /// By status.
    pub by_status: StatusCounts,
    /// By party, each with its own statuses and overdue count.
    pub by_party: PartyBreakdown,
    /// Items done.
    pub done: u32,
    /// Items cancelled.
    pub cancelled: u32,
    /// Done items out of the items that count (all but cancelled), in whole percent rounded
    /// down; 0 when no item counts.
    pub percent_done: u32,
    /// Items whose due date has passed while still planned, in progress or blocked.
    pub overdue: u32,
    /// The end-of-support signal: the plan has items and every one is done or cancelled.
    pub end_of_support: bool,
}

/// The indicators of a plan made of `items`, on `today`; with no day (a closed case's figures
/// froze at its closure, see `case::overdue_day`), no item is overdue.
pub fn indicators(items: &[ItemFacts], today: impl Into<Option<NaiveDate>>) -> PlanIndicators {
    let today = today.into();
    let mut out = PlanIndicators::default();
    for item in items {
        let overdue = today.is_some_and(|day| is_overdue(item.due_on, item.status, day));
        out.total = out.total.saturating_add(1);
        out.by_status.add(item.status);
        if overdue {
            out.overdue = out.overdue.saturating_add(1);
        }
        let party = out.by_party.get_mut(item.party);
        party.total = party.total.saturating_add(1);
        party.by_status.add(item.status);
        if overdue {
            party.overdue = party.overdue.saturating_add(1);
        }
    }
    out.done = out.by_status.done;
    out.cancelled = out.by_status.cancelled;
    let counted = u64::from(out.total - out.cancelled);
    out.percent_done = match counted {
        0 => 0,
        n => u32::try_from(u64::from(out.done) * 100 / n).unwrap_or(100),
    };
    out.end_of_support = out.total > 0 && out.done + out.cancelled == out.total;
    out
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
