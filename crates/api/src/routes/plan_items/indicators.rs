//! The plan's indicators as the API shows them (plan view, case indicators, statistics): the
//! documented twins of `relais_domain::plan`'s figures, which compute them.

use crate::routes::view_from;
use serde::Serialize;
use utoipa::ToSchema;

/// Items counted by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct StatusCounts {
    pub planned: u32,
    pub in_progress: u32,
    pub blocked: u32,
    pub done: u32,
    pub cancelled: u32,
}

view_from!(relais_domain::StatusCounts => StatusCounts {
    planned, in_progress, blocked, done, cancelled,
});

/// One party's items.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct PartyIndicators {
    /// Every item of the party.
    pub total: u32,
    pub by_status: StatusCounts,
    /// The party's overdue items.
    pub overdue: u32,
}

impl From<relais_domain::PartyIndicators> for PartyIndicators {
    fn from(p: relais_domain::PartyIndicators) -> Self {
        Self {
            total: p.total,
            by_status: p.by_status.into(),
            overdue: p.overdue,
        }
    }
}

/// Items per party.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct PartyBreakdown {
    /// The worker's interventions.
    pub worker: PartyIndicators,
    /// The person's préconisations.
    pub person: PartyIndicators,
    /// Partners' steps.
    pub partner: PartyIndicators,
}

/// The figures of a plan: how far it got, what is late, whether support can end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct PlanIndicators {
    /// Every item of the plan.
    pub total: u32,
    pub by_status: StatusCounts,
    pub by_party: PartyBreakdown,
    /// Items done.
    pub done: u32,
    /// Items cancelled.
    pub cancelled: u32,
    /// Done items out of all but the cancelled ones, in whole percent rounded down (0 when
    /// none counts).
    #[schema(minimum = 0, maximum = 100, example = 40)]
    pub percent_done: u32,
    /// Items whose due date has passed while still planned, in progress or blocked.
    pub overdue: u32,
    /// The end-of-support signal: the plan has items and every one is done or cancelled.
    pub end_of_support: bool,
}

impl From<relais_domain::PlanIndicators> for PlanIndicators {
    fn from(i: relais_domain::PlanIndicators) -> Self {
        Self {
            total: i.total,
            by_status: i.by_status.into(),
            by_party: PartyBreakdown {
                worker: i.by_party.worker.into(),
                person: i.by_party.person.into(),
                partner: i.by_party.partner.into(),
            },
            done: i.done,
            cancelled: i.cancelled,
            percent_done: i.percent_done,
            overdue: i.overdue,
            end_of_support: i.end_of_support,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use relais_domain::{ItemFacts, ItemStatus, Party, indicators};

    use super::PlanIndicators;

    #[test]
    fn the_api_indicators_serialise_exactly_like_the_domain_ones() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or_default();
        let items = [
            ItemFacts {
                party: Party::Person,
                status: ItemStatus::Blocked,
                due_on: day,
            },
            ItemFacts {
                party: Party::Worker,
                status: ItemStatus::Done,
                due_on: day,
            },
        ];
        let figures = indicators(&items, day.succ_opt().unwrap_or(day));
        let ours = serde_json::to_value(PlanIndicators::from(figures)).ok();
        let theirs = serde_json::to_value(figures).ok();
        assert!(ours.is_some());
        assert_eq!(ours, theirs);
    }
}
