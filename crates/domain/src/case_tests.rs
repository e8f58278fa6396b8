//! Unit tests of the case lifecycle, kept apart so `case.rs` reads in one sitting.

use chrono::NaiveDate;

use super::*;
use crate::codes::Coded;
use CaseStatus::*;

const NO_FACTS: TransitionFacts = TransitionFacts {
    domains_needing_action: 0,
    has_accepted_proposal: false,
    pending_items: 0,
};

const ALL_FACTS: TransitionFacts = TransitionFacts {
    domains_needing_action: 2,
    has_accepted_proposal: true,
    pending_items: 0,
};

fn to(status: CaseStatus) -> TransitionRequest<'static> {
    TransitionRequest {
        to: status,
        reason: None,
        closure_reason: None,
        actor: Actor::Agent,
    }
}

fn closing() -> TransitionRequest<'static> {
    TransitionRequest {
        closure_reason: Some(ClosureReason::GoalsMet),
        ..to(Closed)
    }
}

fn reopening(status: CaseStatus, reason: &str) -> TransitionRequest<'_> {
    TransitionRequest {
        reason: Some(reason),
        ..to(status)
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

#[test]
fn an_intake_moves_to_assessment_without_conditions() {
    assert_eq!(
        Intake.transition(&to(Assessment), &NO_FACTS),
        Ok(Assessment)
    );
}

#[test]
fn planning_needs_at_least_one_domain_needing_action() {
    assert_eq!(
        Assessment.transition(&to(Planning), &NO_FACTS),
        Err(TransitionError::AssessmentNeedsAction)
    );
    let one = TransitionFacts {
        domains_needing_action: 1,
        ..NO_FACTS
    };
    assert_eq!(Assessment.transition(&to(Planning), &one), Ok(Planning));
}

#[test]
fn a_case_cannot_become_active_without_an_accepted_proposal() {
    let planned = TransitionFacts {
        domains_needing_action: 1,
        ..NO_FACTS
    };
    assert_eq!(
        Planning.transition(&to(Active), &planned),
        Err(TransitionError::AcceptedProposalRequired)
    );
    assert_eq!(Planning.transition(&to(Active), &ALL_FACTS), Ok(Active));
}

#[test]
fn every_open_status_can_close_with_a_closure_reason() {
    for from in [Intake, Assessment, Planning, Active] {
        assert_eq!(from.transition(&closing(), &NO_FACTS), Ok(Closed), "{from}");
    }
}

#[test]
fn closing_without_a_closure_reason_is_refused() {
    for from in [Intake, Assessment, Planning, Active] {
        let with_text_only = TransitionRequest {
            reason: Some("fin de l'accompagnement"),
            ..to(Closed)
        };
        assert_eq!(
            from.transition(&with_text_only, &ALL_FACTS),
            Err(TransitionError::ClosureReasonRequired),
            "{from}"
        );
    }
}

#[test]
fn a_closed_case_reopens_in_assessment_with_a_reason() {
    let req = reopening(Assessment, "nouvelle demande de la personne");
    assert_eq!(Closed.transition(&req, &NO_FACTS), Ok(Assessment));
}

#[test]
fn reopening_without_a_reason_or_with_a_blank_one_is_refused() {
    for target in [Assessment, Active] {
        assert_eq!(
            Closed.transition(&to(target), &ALL_FACTS),
            Err(TransitionError::ReasonRequired)
        );
        assert_eq!(
            Closed.transition(&reopening(target, " \t\n"), &ALL_FACTS),
            Err(TransitionError::ReasonRequired)
        );
    }
}

#[test]
fn a_closed_case_reopens_as_active_only_with_a_reason_and_an_accepted_proposal() {
    let req = reopening(Active, "reprise du plan négocié");
    assert_eq!(
        Closed.transition(&req, &NO_FACTS),
        Err(TransitionError::AcceptedProposalRequired)
    );
    assert_eq!(Closed.transition(&req, &ALL_FACTS), Ok(Active));
}

#[test]
fn only_the_system_archives_a_closed_case() {
    assert_eq!(
        Closed.transition(&to(Archived), &ALL_FACTS),
        Err(TransitionError::SystemOnly)
    );
    let by_job = TransitionRequest {
        actor: Actor::System,
        ..to(Archived)
    };
    assert_eq!(Closed.transition(&by_job, &NO_FACTS), Ok(Archived));
}

#[test]
fn an_archived_case_is_final_even_for_the_system() {
    assert!(Archived.allowed_targets().is_empty());
    for &target in CaseStatus::ALL {
        let req = TransitionRequest {
            actor: Actor::System,
            reason: Some("restauration"),
            closure_reason: Some(ClosureReason::Other),
            to: target,
        };
        assert_eq!(
            Archived.transition(&req, &ALL_FACTS),
            Err(TransitionError::InvalidTransition {
                from: Archived,
                to: target
            })
        );
    }
}

#[test]
fn staying_in_the_same_status_is_an_invalid_transition() {
    for &status in CaseStatus::ALL {
        let req = TransitionRequest {
            reason: Some("même statut"),
            closure_reason: Some(ClosureReason::GoalsMet),
            actor: Actor::System,
            to: status,
        };
        assert_eq!(
            status.transition(&req, &ALL_FACTS),
            Err(TransitionError::InvalidTransition {
                from: status,
                to: status
            })
        );
    }
}

#[test]
fn an_open_case_cannot_be_archived_or_skip_steps() {
    let system = |status| TransitionRequest {
        actor: Actor::System,
        ..to(status)
    };
    for (from, target) in [
        (Intake, Planning),
        (Intake, Active),
        (Assessment, Active),
        (Active, Planning),
        (Planning, Assessment),
        (Active, Archived),
        (Intake, Archived),
        (Closed, Intake),
        (Closed, Planning),
    ] {
        assert_eq!(
            from.transition(&system(target), &ALL_FACTS),
            Err(TransitionError::InvalidTransition { from, to: target }),
            "{from} -> {target}"
        );
    }
}

#[test]
fn every_allowed_target_is_reachable_with_the_right_request_and_facts() {
    for &from in CaseStatus::ALL {
        for &target in from.allowed_targets() {
            let req = TransitionRequest {
                to: target,
                reason: Some("motif"),
                closure_reason: Some(ClosureReason::Redirected),
                actor: if target == Archived {
                    Actor::System
                } else {
                    Actor::Agent
                },
            };
            assert_eq!(
                from.transition(&req, &ALL_FACTS),
                Ok(target),
                "{from} -> {target}"
            );
        }
    }
}

#[test]
fn only_intake_assessment_planning_and_active_are_open() {
    let open: Vec<_> = CaseStatus::ALL
        .iter()
        .copied()
        .filter(|s| s.is_open())
        .collect();
    assert_eq!(open, [Intake, Assessment, Planning, Active]);
}

#[test]
fn transition_errors_have_stable_codes_and_clear_messages() {
    let invalid = TransitionError::InvalidTransition {
        from: Intake,
        to: Active,
    };
    assert_eq!(invalid.code(), "invalid_transition");
    assert_eq!(
        invalid.to_string(),
        "a case cannot go from intake to active"
    );
    let codes = [
        (
            TransitionError::ClosureReasonRequired,
            "closure_reason_required",
        ),
        (TransitionError::ReasonRequired, "reason_required"),
        (
            TransitionError::AssessmentNeedsAction,
            "assessment_needs_action",
        ),
        (
            TransitionError::AcceptedProposalRequired,
            "accepted_proposal_required",
        ),
        (TransitionError::SystemOnly, "system_only"),
        (
            TransitionError::PendingPlanItems { count: 2 },
            "pending_plan_items",
        ),
    ];
    for (error, code) in codes {
        assert_eq!(error.code(), code);
        assert!(!error.to_string().is_empty());
    }
}

#[test]
fn the_target_end_is_six_calendar_months_after_opening_by_default() {
    assert_eq!(
        default_target_end(date(2025, 1, 15), DEFAULT_TARGET_MONTHS),
        date(2025, 7, 15)
    );
    assert_eq!(default_target_end(date(2025, 9, 30), 6), date(2026, 3, 30));
}

#[test]
fn the_target_end_is_clamped_to_the_end_of_a_shorter_month() {
    assert_eq!(default_target_end(date(2025, 8, 31), 6), date(2026, 2, 28));
    assert_eq!(default_target_end(date(2023, 8, 31), 6), date(2024, 2, 29));
    assert_eq!(default_target_end(date(2025, 3, 31), 1), date(2025, 4, 30));
}

#[test]
fn a_target_end_of_zero_months_is_the_opening_day() {
    assert_eq!(default_target_end(date(2025, 5, 2), 0), date(2025, 5, 2));
}

#[test]
fn the_review_is_due_four_weeks_after_closure_by_default() {
    assert_eq!(
        review_due_on(date(2025, 12, 15), DEFAULT_REVIEW_DAYS),
        date(2026, 1, 12)
    );
    assert_eq!(review_due_on(date(2024, 2, 10), 20), date(2024, 3, 1));
}

#[test]
fn dates_past_the_calendar_saturate_instead_of_failing() {
    assert_eq!(default_target_end(NaiveDate::MAX, 1), NaiveDate::MAX);
    assert_eq!(review_due_on(NaiveDate::MAX, 1), NaiveDate::MAX);
}

#[test]
fn closing_over_pending_items_needs_a_confirmation() {
    let pending = TransitionFacts {
        pending_items: 2,
        ..NO_FACTS
    };
    assert_eq!(
        confirm_closure(Closed, &pending, false),
        Err(TransitionError::PendingPlanItems { count: 2 })
    );
    assert_eq!(confirm_closure(Closed, &pending, true), Ok(()));
    assert_eq!(confirm_closure(Closed, &NO_FACTS, false), Ok(()));
    assert!(
        TransitionError::PendingPlanItems { count: 2 }
            .to_string()
            .starts_with("2 plan item(s)")
    );
}

#[test]
fn pending_items_only_matter_when_closing() {
    let pending = TransitionFacts {
        pending_items: 3,
        ..ALL_FACTS
    };
    for target in [Intake, Assessment, Planning, Active, Archived] {
        assert_eq!(confirm_closure(target, &pending, false), Ok(()), "{target}");
    }
}

#[test]
fn the_review_date_defaults_to_the_delay_or_is_chosen_after_the_closure() {
    let closed = date(2026, 3, 2);
    let met = Some(ClosureReason::GoalsMet);
    assert_eq!(
        closure_review_due(closed, None, met, 28),
        Ok(Some(date(2026, 3, 30)))
    );
    assert_eq!(
        closure_review_due(closed, Some(date(2026, 5, 1)), met, 28),
        Ok(Some(date(2026, 5, 1)))
    );
    assert_eq!(
        closure_review_due(closed, Some(date(2026, 3, 3)), None, 28),
        Ok(Some(date(2026, 3, 3)))
    );
    for chosen in [closed, date(2026, 3, 1)] {
        assert_eq!(
            closure_review_due(closed, Some(chosen), met, 28),
            Err(ReviewDateError::NotAfterClosure { closed_on: closed })
        );
    }
}

#[test]
fn no_review_is_planned_when_nobody_is_left_to_review_with_unless_asked_for() {
    let closed = date(2026, 3, 2);
    for reason in [
        ClosureReason::PersonWithdrew,
        ClosureReason::Unreachable,
        ClosureReason::MovedAway,
        ClosureReason::Deceased,
    ] {
        assert_eq!(closure_review_due(closed, None, Some(reason), 28), Ok(None));
        assert_eq!(
            closure_review_due(closed, Some(date(2026, 4, 1)), Some(reason), 28),
            Ok(Some(date(2026, 4, 1))),
            "{reason}"
        );
    }
    for reason in [
        ClosureReason::GoalsMet,
        ClosureReason::Redirected,
        ClosureReason::Other,
    ] {
        assert!(reason.expects_review(), "{reason}");
    }
}

#[test]
fn a_case_opens_today_or_is_entered_up_to_two_years_back() {
    let today = date(2026, 12, 6);
    assert_eq!(opening_date(None, today), Ok(today));
    assert_eq!(
        opening_date(Some(date(2025, 1, 15)), today),
        Ok(date(2025, 1, 15))
    );
    assert_eq!(
        opening_date(Some(date(2024, 12, 6)), today),
        Ok(date(2024, 12, 6))
    );
    assert_eq!(
        opening_date(Some(date(2024, 12, 5)), today),
        Err(OpeningDateError::TooFarBack {
            earliest: date(2024, 12, 6)
        })
    );
    assert_eq!(
        opening_date(Some(date(2026, 12, 7)), today),
        Err(OpeningDateError::InFuture { today })
    );
    assert_eq!(OpeningDateError::InFuture { today }.code(), "in_future");
}

#[test]
fn a_closed_case_figures_freeze_at_its_closure() {
    let today = date(2026, 6, 1);
    let closed = Some(date(2026, 3, 2));
    assert_eq!(figures_day(CaseStatus::Active, None, today), today);
    assert_eq!(
        figures_day(CaseStatus::Closed, closed, today),
        date(2026, 3, 2)
    );
    assert_eq!(
        figures_day(CaseStatus::Archived, closed, today),
        date(2026, 3, 2)
    );
    assert_eq!(overdue_day(CaseStatus::Planning, today), Some(today));
    assert_eq!(overdue_day(CaseStatus::Closed, today), None);
    let late = [crate::ItemFacts {
        party: crate::Party::Worker,
        status: crate::ItemStatus::Planned,
        due_on: date(2026, 1, 1),
    }];
    assert_eq!(crate::indicators(&late, today).overdue, 1);
    assert_eq!(crate::indicators(&late, None).overdue, 0);
}

#[test]
fn a_review_is_due_on_a_closed_case_from_its_date_until_it_is_held() {
    let today = date(2026, 4, 1);
    let due = Some(today);
    assert!(is_review_due(Closed, due, false, today));
    assert!(is_review_due(Closed, Some(date(2026, 3, 1)), false, today));
    assert!(!is_review_due(Closed, Some(date(2026, 4, 2)), false, today));
    assert!(!is_review_due(Closed, due, true, today));
    assert!(!is_review_due(Closed, None, false, today));
    for status in [Intake, Assessment, Planning, Active, Archived] {
        assert!(!is_review_due(status, due, false, today), "{status}");
    }
}

#[test]
fn an_archived_case_is_read_only_and_a_closed_one_still_takes_contacts() {
    assert_eq!(
        CaseStatus::Archived.writable(),
        Err(crate::CaseLocked::Archived)
    );
    for status in [CaseStatus::Intake, CaseStatus::Active, CaseStatus::Closed] {
        assert_eq!(status.writable(), Ok(()), "{status}");
    }
}

#[test]
fn only_an_open_case_plan_may_change() {
    assert_eq!(CaseStatus::Planning.plan_open(), Ok(()));
    assert_eq!(
        CaseStatus::Closed.plan_open(),
        Err(crate::CaseLocked::NotOpen(CaseStatus::Closed))
    );
    assert_eq!(
        CaseStatus::Archived
            .plan_open()
            .map_err(|locked| locked.code()),
        Err("case_closed")
    );
    assert_eq!(crate::CaseLocked::Archived.code(), "case_archived");
}

#[test]
fn only_an_archived_case_is_read_with_a_reason() {
    assert!(CaseStatus::Archived.read_needs_reason());
    assert!(!CaseStatus::Closed.read_needs_reason());
}
