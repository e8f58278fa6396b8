//! Unit tests of the help plan's rules, kept apart so `plan.rs` reads in one sitting.

use chrono::NaiveDate;

use super::*;
use crate::codes::Coded;
use ItemStatus::*;

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, d).unwrap_or_default()
}

fn item(party: Party, status: ItemStatus, due: u32) -> ItemFacts {
    ItemFacts {
        party,
        status,
        due_on: day(due),
    }
}

#[test]
fn each_party_names_its_items() {
    assert_eq!(Party::Worker.kind(), ItemKind::Intervention);
    assert_eq!(Party::Person.kind(), ItemKind::Recommendation);
    assert_eq!(Party::Partner.kind(), ItemKind::PartnerStep);
    assert_eq!(ItemKind::Recommendation.label_fr(), "Préconisation");
}

#[test]
fn a_worker_intervenes_by_orientation_research_concertation_reports_and_letters() {
    use ItemCategory::*;
    assert_eq!(
        categories_for(Party::Worker),
        &[
            Orientation,
            Investigation,
            PartnerConsultation,
            SocialReport,
            Correspondence
        ]
    );
}

#[test]
fn a_person_does_paperwork_goes_to_structures_and_makes_calls_and_trips() {
    use ItemCategory::*;
    assert_eq!(
        categories_for(Party::Person),
        &[Paperwork, Orientation, CallsAndVisits]
    );
}

#[test]
fn a_partner_may_orient_research_consult_write_and_handle_paperwork() {
    use ItemCategory::*;
    assert_eq!(
        ItemCategory::categories_for(Party::Partner),
        &[
            Orientation,
            Investigation,
            PartnerConsultation,
            Correspondence,
            Paperwork
        ]
    );
}

#[test]
fn a_category_is_allowed_exactly_for_the_parties_that_list_it() {
    for &party in Party::ALL {
        for &category in ItemCategory::ALL {
            assert_eq!(
                category.allowed_for(party),
                categories_for(party).contains(&category),
                "{category} for {party}"
            );
        }
    }
    assert!(!ItemCategory::SocialReport.allowed_for(Party::Person));
    assert!(!ItemCategory::CallsAndVisits.allowed_for(Party::Worker));
    assert!(!ItemCategory::SocialReport.allowed_for(Party::Partner));
    assert!(ItemCategory::Orientation.allowed_for(Party::Person));
}

#[test]
fn every_category_belongs_to_at_least_one_party() {
    for &category in ItemCategory::ALL {
        assert!(
            Party::ALL.iter().any(|&p| category.allowed_for(p)),
            "{category} fits no party"
        );
    }
}

#[test]
fn a_pending_item_may_move_to_any_other_status() {
    for from in [Planned, InProgress, Blocked] {
        for &to in ItemStatus::ALL {
            if to != from {
                assert_eq!(from.transition(to), Ok(to), "{from} → {to}");
            }
        }
    }
}

#[test]
fn a_done_item_can_only_be_reopened_as_in_progress() {
    assert_eq!(Done.transition(InProgress), Ok(InProgress));
    for to in [Planned, Blocked, Cancelled] {
        assert_eq!(
            Done.transition(to),
            Err(ItemTransitionError { from: Done, to })
        );
    }
}

#[test]
fn a_cancelled_item_can_only_be_restored_as_planned() {
    assert_eq!(Cancelled.transition(Planned), Ok(Planned));
    for to in [InProgress, Blocked, Done] {
        assert!(Cancelled.transition(to).is_err(), "cancelled → {to}");
    }
}

#[test]
fn staying_in_the_same_status_is_not_a_transition() {
    for &status in ItemStatus::ALL {
        let err = status.transition(status).err();
        assert_eq!(
            err,
            Some(ItemTransitionError {
                from: status,
                to: status
            })
        );
    }
}

#[test]
fn a_refused_item_transition_has_a_stable_code_and_says_what_was_asked() {
    let err = ItemTransitionError {
        from: Done,
        to: Cancelled,
    };
    assert_eq!(err.code(), "invalid_item_transition");
    assert_eq!(
        err.to_string(),
        "a plan item cannot go from done to cancelled"
    );
}

#[test]
fn an_item_is_overdue_when_its_date_has_passed_and_it_is_still_pending() {
    let today = day(10);
    for status in [Planned, InProgress, Blocked] {
        assert!(is_overdue(day(9), status, today), "{status}");
    }
}

#[test]
fn an_item_due_today_or_later_is_not_overdue() {
    let today = day(10);
    assert!(!is_overdue(day(10), Planned, today));
    assert!(!is_overdue(day(11), Blocked, today));
}

#[test]
fn a_done_or_cancelled_item_is_never_overdue() {
    let today = day(10);
    assert!(!is_overdue(day(1), Done, today));
    assert!(!is_overdue(day(1), Cancelled, today));
}

#[test]
fn moving_to_done_takes_the_given_date_or_today() {
    let today = day(10);
    assert_eq!(
        settle_done_on(Planned, None, Done, None, today),
        Ok(Some(today))
    );
    assert_eq!(
        settle_done_on(InProgress, None, Done, Some(Some(day(4))), today),
        Ok(Some(day(4)))
    );
    assert_eq!(
        settle_done_on(Planned, None, Done, Some(Some(today)), today),
        Ok(Some(today))
    );
}

#[test]
fn an_item_cannot_be_done_in_the_future() {
    assert_eq!(
        settle_done_on(Planned, None, Done, Some(Some(day(11))), day(10)),
        Err(DoneOnError::InFuture)
    );
    assert_eq!(DoneOnError::InFuture.code(), "out_of_range");
}

#[test]
fn a_done_item_keeps_its_date_unless_a_new_one_is_given() {
    let today = day(10);
    assert_eq!(
        settle_done_on(Done, Some(day(2)), Done, None, today),
        Ok(Some(day(2)))
    );
    assert_eq!(
        settle_done_on(Done, Some(day(2)), Done, Some(Some(day(3))), today),
        Ok(Some(day(3)))
    );
}

#[test]
fn a_done_item_cannot_lose_its_done_date() {
    assert_eq!(
        settle_done_on(Done, Some(day(2)), Done, Some(None), day(10)),
        Err(DoneOnError::Required)
    );
    assert_eq!(
        settle_done_on(Planned, None, Done, Some(None), day(10)),
        Err(DoneOnError::Required)
    );
}

#[test]
fn leaving_done_clears_the_done_date() {
    assert_eq!(
        settle_done_on(Done, Some(day(2)), InProgress, None, day(10)),
        Ok(None)
    );
    assert_eq!(
        settle_done_on(Done, Some(day(2)), InProgress, Some(None), day(10)),
        Ok(None)
    );
}

#[test]
fn an_item_that_is_not_done_cannot_get_a_done_date() {
    assert_eq!(
        settle_done_on(Planned, None, Planned, Some(Some(day(2))), day(10)),
        Err(DoneOnError::NotDone)
    );
    assert_eq!(
        settle_done_on(Done, Some(day(2)), InProgress, Some(Some(day(2))), day(10)),
        Err(DoneOnError::NotDone)
    );
    assert_eq!(DoneOnError::NotDone.code(), "not_done");
}

#[test]
fn a_title_is_trimmed_and_must_be_neither_blank_nor_too_long() {
    assert_eq!(
        PlanItemTitle::parse("  Appeler la CAF ").map(|t| t.as_str().to_owned()),
        Ok("Appeler la CAF".to_owned())
    );
    assert_eq!(PlanItemTitle::parse(" \t "), Err(PlanItemTitleError::Blank));
    assert!(PlanItemTitle::parse(&"é".repeat(200)).is_ok());
    assert_eq!(
        PlanItemTitle::parse(&"é".repeat(201)),
        Err(PlanItemTitleError::TooLong)
    );
    assert_eq!(PlanItemTitleError::TooLong.code(), "too_long");
}

#[test]
fn an_empty_plan_has_zero_everywhere_and_no_end_of_support_signal() {
    let figures = indicators(&[], day(10));
    assert_eq!(figures, PlanIndicators::default());
    assert_eq!(figures.percent_done, 0);
    assert!(!figures.end_of_support);
}

#[test]
fn indicators_count_items_by_party_and_status() {
    let items = [
        item(Party::Worker, Planned, 20),
        item(Party::Worker, Done, 1),
        item(Party::Person, InProgress, 20),
        item(Party::Person, Blocked, 20),
        item(Party::Partner, Cancelled, 1),
    ];
    let figures = indicators(&items, day(10));
    assert_eq!(figures.total, 5);
    assert_eq!(figures.done, 1);
    assert_eq!(figures.cancelled, 1);
    assert_eq!(
        figures.by_status,
        StatusCounts {
            planned: 1,
            in_progress: 1,
            blocked: 1,
            done: 1,
            cancelled: 1
        }
    );
    assert_eq!(figures.by_party.worker.total, 2);
    assert_eq!(figures.by_party.worker.by_status.get(Done), 1);
    assert_eq!(figures.by_party.get(Party::Person).by_status.blocked, 1);
    assert_eq!(figures.by_party.partner.by_status.cancelled, 1);
}

#[test]
fn percent_done_leaves_cancelled_items_out_and_rounds_down() {
    let items = [
        item(Party::Worker, Done, 1),
        item(Party::Worker, Planned, 20),
        item(Party::Person, Planned, 20),
        item(Party::Person, Cancelled, 1),
    ];
    // 1 done out of 3 that count: 33.3 % → 33.
    assert_eq!(indicators(&items, day(10)).percent_done, 33);
    let two_of_three = [
        item(Party::Worker, Done, 1),
        item(Party::Worker, Done, 1),
        item(Party::Person, Planned, 20),
    ];
    // 66.6 % → 66.
    assert_eq!(indicators(&two_of_three, day(10)).percent_done, 66);
}

#[test]
fn a_plan_where_everything_was_cancelled_is_zero_percent_done() {
    let items = [item(Party::Worker, Cancelled, 1)];
    let figures = indicators(&items, day(10));
    assert_eq!(figures.percent_done, 0);
    assert!(figures.end_of_support);
}

#[test]
fn overdue_items_are_counted_in_total_and_per_party() {
    let items = [
        item(Party::Worker, Planned, 9),
        item(Party::Person, Blocked, 1),
        item(Party::Person, Done, 1),
        item(Party::Partner, InProgress, 10),
    ];
    let figures = indicators(&items, day(10));
    assert_eq!(figures.overdue, 2);
    assert_eq!(figures.by_party.worker.overdue, 1);
    assert_eq!(figures.by_party.person.overdue, 1);
    assert_eq!(figures.by_party.partner.overdue, 0);
}

#[test]
fn support_can_end_when_every_item_is_done_or_cancelled() {
    let mut items = vec![
        item(Party::Worker, Done, 1),
        item(Party::Person, Cancelled, 1),
        item(Party::Person, Done, 1),
    ];
    let figures = indicators(&items, day(10));
    assert!(figures.end_of_support);
    assert_eq!(figures.percent_done, 100);
    items.push(item(Party::Partner, Blocked, 20));
    assert!(!indicators(&items, day(10)).end_of_support);
}

#[test]
fn indicators_serialise_with_snake_case_fields() {
    let figures = indicators(&[item(Party::Person, InProgress, 1)], day(10));
    let json = serde_json::to_value(figures).unwrap_or_default();
    assert_eq!(json["by_party"]["person"]["by_status"]["in_progress"], 1);
    assert_eq!(json["overdue"], 1);
    assert_eq!(json["end_of_support"], false);
    assert_eq!(json["percent_done"], 0);
}

#[test]
fn the_plan_code_lists_have_the_codes_of_the_domain_model() {
    assert_eq!(
        Party::ALL.iter().map(|p| p.code()).collect::<Vec<_>>(),
        ["worker", "person", "partner"]
    );
    assert_eq!(
        ItemStatus::ALL.iter().map(|s| s.code()).collect::<Vec<_>>(),
        ["planned", "in_progress", "blocked", "done", "cancelled"]
    );
    assert_eq!(ItemCategory::ALL.len(), 7);
    assert_eq!(
        ItemCategory::SocialReport.label_fr(),
        "Évaluation / rapport de situation sociale"
    );
    assert_eq!(
        Party::Person.label_fr(),
        "Personne accompagnée (préconisation)"
    );
    assert_eq!(ItemStatus::PENDING.len(), 3);
    assert!(ItemStatus::PENDING.iter().all(|s| s.is_pending()));
}
