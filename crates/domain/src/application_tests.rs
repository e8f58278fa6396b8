//! Unit tests of applications: lifecycle, checklist completeness, submission, decision and
//! social report (the funding plan and the proposed items are tested in their modules); kept
//! apart so `application.rs` reads in one sitting.

#![allow(clippy::unwrap_used)]

use chrono::NaiveDate;

use super::*;
use crate::codes::Coded;
use ApplicationStatus::*;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

fn today() -> NaiveDate {
    day(2026, 11, 22)
}

fn facts(missing_required: usize) -> ApplicationFacts {
    ApplicationFacts {
        missing_required,
        submitted_on: None,
        today: today(),
    }
}

fn submitted_facts() -> ApplicationFacts {
    ApplicationFacts {
        submitted_on: Some(day(2026, 11, 2)),
        ..facts(0)
    }
}

fn to(status: ApplicationStatus) -> TransitionRequest<'static> {
    TransitionRequest {
        to: status,
        submitted_on: None,
        submitted_to: None,
        decision: None,
        decided_on: None,
        amount_granted_cents: None,
        reason: None,
    }
}

fn submitting() -> TransitionRequest<'static> {
    TransitionRequest {
        submitted_on: Some(day(2026, 11, 2)),
        submitted_to: Some("Commission FSL du Rhône"),
        ..to(Submitted)
    }
}

fn deciding(decision: ApplicationDecision) -> TransitionRequest<'static> {
    TransitionRequest {
        decision: Some(decision),
        decided_on: Some(day(2026, 11, 20)),
        ..to(Decided)
    }
}

fn pointers(err: ApplicationTransitionError) -> Vec<String> {
    match err {
        ApplicationTransitionError::Invalid(problems) => {
            problems.into_iter().map(|p| p.pointer).collect()
        }
        other => panic!("expected field problems, got {other:?}"),
    }
}

fn line(required: bool, status: DocumentStatus) -> ChecklistLine {
    ChecklistLine { required, status }
}

#[test]
fn an_application_is_complete_when_every_required_document_is_received_or_validated() {
    let lines = [
        line(true, DocumentStatus::Received),
        line(true, DocumentStatus::Validated),
        line(false, DocumentStatus::Missing),
        line(false, DocumentStatus::Requested),
    ];
    assert_eq!(missing_required(lines), 0);
    assert_eq!(Preparing.settle(true), Complete);
    let lines = [
        line(true, DocumentStatus::Received),
        line(true, DocumentStatus::Requested),
        line(true, DocumentStatus::Missing),
    ];
    assert_eq!(missing_required(lines), 2);
    assert_eq!(Preparing.settle(false), Preparing);
}

#[test]
fn an_empty_checklist_is_complete() {
    assert_eq!(missing_required([]), 0);
}

#[test]
fn a_required_document_going_missing_before_submission_sends_the_application_back_to_preparing() {
    assert_eq!(Complete.settle(false), Preparing);
    assert_eq!(UnderReview.settle(false), Preparing);
    assert_eq!(UnderReview.settle(true), UnderReview, "review goes on");
    assert_eq!(Complete.settle(true), Complete);
}

#[test]
fn the_checklist_no_longer_moves_a_submitted_or_final_application() {
    for status in [Submitted, Decided, Withdrawn] {
        assert_eq!(status.settle(false), status);
        assert_eq!(status.settle(true), status);
    }
}

#[test]
fn a_complete_application_goes_under_review_then_submitted_then_decided() {
    assert_eq!(
        Complete.transition(&to(UnderReview), &facts(0)),
        Ok(StatusChange::UnderReview)
    );
    assert_eq!(
        UnderReview.transition(&submitting(), &facts(0)),
        Ok(StatusChange::Submitted {
            on: day(2026, 11, 2),
            to: "Commission FSL du Rhône".into()
        })
    );
    let granted = TransitionRequest {
        amount_granted_cents: Some(45_000),
        ..deciding(ApplicationDecision::Granted)
    };
    assert_eq!(
        Submitted.transition(&granted, &submitted_facts()),
        Ok(StatusChange::Decided(Decision {
            decision: ApplicationDecision::Granted,
            decided_on: day(2026, 11, 20),
            amount_granted_cents: Some(45_000),
            reason: None,
        }))
    );
}

#[test]
fn an_incomplete_application_cannot_go_under_review() {
    assert_eq!(
        Preparing.transition(&to(UnderReview), &facts(2)),
        Err(ApplicationTransitionError::Incomplete { missing: 2 })
    );
}

#[test]
fn preparing_and_complete_are_never_asked_for() {
    for target in [Preparing, Complete] {
        for from in ApplicationStatus::ALL {
            assert_eq!(
                from.transition(&to(target), &facts(0)),
                Err(ApplicationTransitionError::Automatic { to: target })
            );
        }
    }
}

#[test]
fn steps_cannot_be_skipped_nor_taken_back() {
    let invalid = |from: ApplicationStatus, req: &TransitionRequest<'_>| {
        assert_eq!(
            from.transition(req, &submitted_facts()),
            Err(ApplicationTransitionError::InvalidTransition { from, to: req.to }),
            "{from} → {}",
            req.to
        );
    };
    invalid(Preparing, &submitting());
    invalid(Complete, &submitting());
    invalid(UnderReview, &deciding(ApplicationDecision::Refused));
    invalid(Submitted, &to(UnderReview));
    invalid(UnderReview, &to(UnderReview));
    invalid(Decided, &to(Withdrawn));
    invalid(Withdrawn, &to(Withdrawn));
    invalid(Decided, &deciding(ApplicationDecision::Refused));
}

#[test]
fn any_application_not_yet_decided_can_be_withdrawn_with_or_without_a_reason() {
    for from in [Preparing, Complete, UnderReview, Submitted] {
        assert_eq!(
            from.transition(&to(Withdrawn), &facts(3)),
            Ok(StatusChange::Withdrawn {
                on: today(),
                reason: None
            })
        );
    }
    let why = TransitionRequest {
        reason: Some("  La personne a retrouvé un emploi.  "),
        ..to(Withdrawn)
    };
    assert_eq!(
        Preparing.transition(&why, &facts(1)),
        Ok(StatusChange::Withdrawn {
            on: today(),
            reason: Some("La personne a retrouvé un emploi.".into())
        })
    );
}

#[test]
fn submitting_needs_a_date_not_in_the_future_and_a_recipient() {
    assert_eq!(
        pointers(
            UnderReview
                .transition(&to(Submitted), &facts(0))
                .unwrap_err()
        ),
        ["/submitted_on", "/submitted_to"]
    );
    let later = TransitionRequest {
        submitted_on: Some(day(2026, 11, 23)),
        submitted_to: Some("   "),
        ..to(Submitted)
    };
    assert_eq!(
        pointers(UnderReview.transition(&later, &facts(0)).unwrap_err()),
        ["/submitted_on", "/submitted_to"]
    );
    let long = "x".repeat(RECIPIENT_MAX_CHARS + 1);
    let too_long = TransitionRequest {
        submitted_to: Some(&long),
        ..submitting()
    };
    let err = UnderReview.transition(&too_long, &facts(0)).unwrap_err();
    assert_eq!(pointers(err), ["/submitted_to"]);
}

#[test]
fn fields_of_another_status_are_refused() {
    let mixed = TransitionRequest {
        decision: Some(ApplicationDecision::Granted),
        reason: Some("x"),
        ..submitting()
    };
    assert_eq!(
        pointers(UnderReview.transition(&mixed, &facts(0)).unwrap_err()),
        ["/decision", "/reason"]
    );
    let review = TransitionRequest {
        submitted_to: Some("CAF"),
        ..to(UnderReview)
    };
    assert_eq!(
        pointers(Complete.transition(&review, &facts(0)).unwrap_err()),
        ["/submitted_to"]
    );
}

#[test]
fn a_grant_needs_its_amount_and_a_refusal_its_reason_without_an_amount() {
    let sent = submitted_facts();
    for decision in [
        ApplicationDecision::Granted,
        ApplicationDecision::PartiallyGranted,
    ] {
        assert_eq!(
            pointers(
                Submitted
                    .transition(&deciding(decision), &sent)
                    .unwrap_err()
            ),
            ["/amount_granted_cents"]
        );
    }
    assert_eq!(
        pointers(
            Submitted
                .transition(&deciding(ApplicationDecision::Refused), &sent)
                .unwrap_err()
        ),
        ["/reason"]
    );
    let refused_with_amount = TransitionRequest {
        amount_granted_cents: Some(100),
        reason: Some("Ressources supérieures au plafond."),
        ..deciding(ApplicationDecision::Refused)
    };
    assert_eq!(
        pointers(
            Submitted
                .transition(&refused_with_amount, &sent)
                .unwrap_err()
        ),
        ["/amount_granted_cents"]
    );
    let refused = TransitionRequest {
        reason: Some("Ressources supérieures au plafond."),
        ..deciding(ApplicationDecision::Refused)
    };
    assert!(matches!(
        Submitted.transition(&refused, &sent),
        Ok(StatusChange::Decided(Decision {
            amount_granted_cents: None,
            reason: Some(_),
            ..
        }))
    ));
}

#[test]
fn a_decision_needs_its_date_not_before_the_submission_nor_in_the_future() {
    let sent = submitted_facts();
    let undated = TransitionRequest {
        decided_on: None,
        amount_granted_cents: Some(100),
        ..deciding(ApplicationDecision::Granted)
    };
    assert_eq!(
        pointers(Submitted.transition(&undated, &sent).unwrap_err()),
        ["/decided_on"]
    );
    for date in [day(2026, 11, 1), day(2026, 11, 23)] {
        let wrong = TransitionRequest {
            decided_on: Some(date),
            ..undated
        };
        assert_eq!(
            pointers(Submitted.transition(&wrong, &sent).unwrap_err()),
            ["/decided_on"]
        );
    }
    let nothing = to(Decided);
    assert_eq!(
        pointers(Submitted.transition(&nothing, &sent).unwrap_err()),
        ["/decision", "/decided_on"]
    );
}

#[test]
fn amounts_stay_within_bounds() {
    for amount in [0, -5, MAX_AMOUNT_CENTS + 1] {
        let decision = DecisionInput {
            decision: Some(ApplicationDecision::PartiallyGranted),
            decided_on: Some(day(2026, 11, 20)),
            amount_granted_cents: Some(amount),
            reason: None,
        };
        let problems = check_decision(&decision, None, today()).unwrap_err();
        assert_eq!(problems[0].pointer, "/amount_granted_cents");
        assert_eq!(problems[0].code, "out_of_range");
    }
}

#[test]
fn linking_a_file_to_a_requested_line_marks_it_received_unless_a_status_is_given() {
    use DocumentStatus::*;
    assert_eq!(Requested.after_change(None, true), Received);
    assert_eq!(Missing.after_change(None, true), Received);
    assert_eq!(Validated.after_change(None, true), Validated);
    assert_eq!(Requested.after_change(None, false), Requested);
    assert_eq!(Requested.after_change(Some(Missing), true), Missing);
}

#[test]
fn a_social_report_is_trimmed_and_neither_blank_nor_too_long() {
    assert_eq!(
        social_report_text("  Madame L. vit seule.  ").ok(),
        Some("Madame L. vit seule.".to_owned())
    );
    assert_eq!(social_report_text(" \n ").unwrap_err().code, "blank");
    let long = "é".repeat(SOCIAL_REPORT_MAX_CHARS + 1);
    assert_eq!(social_report_text(&long).unwrap_err().code, "too_long");
    assert!(social_report_text(&"é".repeat(SOCIAL_REPORT_MAX_CHARS)).is_ok());
}

#[test]
fn a_written_plan_lists_the_applications_under_way_and_the_decisions_of_three_months() {
    for status in [Preparing, Complete, UnderReview, Submitted] {
        assert!(in_written_plan(status, None, today()), "{status}");
    }
    assert!(!in_written_plan(Withdrawn, None, today()));
    assert!(in_written_plan(Decided, Some(today()), today()));
    assert!(in_written_plan(Decided, Some(day(2026, 8, 22)), today()));
    assert!(!in_written_plan(Decided, Some(day(2026, 8, 21)), today()));
    assert!(
        !in_written_plan(Decided, None, today()),
        "a decision without its date is not news"
    );
}
