//! Unit tests of the budget: the checks and every derived figure, with its rounding.

use chrono::NaiveDate;

use super::*;
use crate::codes::Coded;
use crate::household::{HouseholdMember, Relationship};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid date")
}

/// The day of every computation here.
fn today() -> NaiveDate {
    date(2026, 11, 22)
}

fn line<K>(kind: K, amount_cents: i64) -> BudgetLine<K> {
    BudgetLine {
        kind,
        amount_cents,
        label: None,
    }
}

fn budget(resources: &[(ResourceKind, i64)], charges: &[(ChargeKind, i64)]) -> Budget {
    Budget {
        resources: resources.iter().map(|&(k, a)| line(k, a)).collect(),
        charges: charges.iter().map(|&(k, a)| line(k, a)).collect(),
        debts: Vec::new(),
    }
}

fn debt(kind: DebtKind, amount_owed_cents: i64, monthly_repayment_cents: i64) -> Debt {
    Debt {
        kind,
        creditor: None,
        amount_owed_cents,
        monthly_repayment_cents,
    }
}

/// A couple with a 16-year-old and a 7-year-old: 2.3 units, 3 parts.
fn family() -> Household {
    let member = |relationship, birth_date, dependent| HouseholdMember {
        relationship,
        birth_date,
        dependent,
    };
    Household {
        housing: None,
        employment: None,
        members: vec![
            member(Relationship::SpouseOrPartner, date(1987, 4, 2), false),
            member(Relationship::Child, date(2010, 3, 15), true),
            member(Relationship::Child, date(2019, 9, 1), true),
        ],
    }
}

fn family_budget() -> Budget {
    budget(
        &[
            (ResourceKind::Salary, 165_000),
            (ResourceKind::FamilyAllowances, 14_852),
            (ResourceKind::HousingAllowance, 31_200),
            (ResourceKind::PrimeActivite, 9_500),
        ],
        &[
            (ChargeKind::Rent, 72_000),
            (ChargeKind::Energy, 13_540),
            (ChargeKind::Insurance, 6_200),
            (ChargeKind::Loans, 18_000),
        ],
    )
}

#[test]
fn the_figures_of_a_known_family_are_exact() {
    let d = derive(&family_budget(), Some(&family()), today());
    assert_eq!(d.total_resources_cents, 220_552);
    assert_eq!(d.total_charges_cents, 109_740);
    assert_eq!(d.remaining_cents, 110_812);
    // 110 812 / 30 = 3 693.73… → 3 693 (rounded down).
    assert_eq!(d.remaining_per_day_cents, 3_693);
    assert_eq!(d.consumption_units.tenths(), 23);
    // 110 812 / 2.3 = 48 179.13… → 48 179.
    assert_eq!(d.remaining_per_unit_cents, 48_179);
    // 110 812 / 2.3 / 30 = 1 605.97… → 1 605.
    assert_eq!(d.remaining_per_unit_per_day_cents, 1_605);
    // 220 552 / 2.3 = 95 892.17… → 95 892.
    assert_eq!(d.resources_per_unit_cents, 95_892);
    assert_eq!(d.quotient_familial_parts.halves(), 6);
    // 220 552 / 3 = 73 517.33… → 73 517.
    assert_eq!(d.quotient_familial_cents, 73_517);
}

#[test]
fn an_empty_budget_derives_zeros() {
    let d = derive(&Budget::default(), Some(&family()), today());
    assert_eq!(d.total_resources_cents, 0);
    assert_eq!(d.total_charges_cents, 0);
    assert_eq!(d.remaining_cents, 0);
    assert_eq!(d.remaining_per_day_cents, 0);
    assert_eq!(d.remaining_per_unit_cents, 0);
    assert_eq!(d.remaining_per_unit_per_day_cents, 0);
    assert_eq!(d.resources_per_unit_cents, 0);
    assert_eq!(d.quotient_familial_cents, 0);
    assert_eq!(
        d.consumption_units.tenths(),
        23,
        "units still follow the household"
    );
}

#[test]
fn without_a_household_the_person_counts_alone() {
    let b = budget(
        &[(ResourceKind::Rsa, 63_540)],
        &[(ChargeKind::Rent, 30_000)],
    );
    let d = derive(&b, None, today());
    assert_eq!(d.consumption_units, ConsumptionUnits::ALONE);
    assert_eq!(d.quotient_familial_parts, QfParts::SINGLE);
    assert_eq!(d.remaining_cents, 33_540);
    assert_eq!(d.remaining_per_unit_cents, 33_540);
    assert_eq!(d.resources_per_unit_cents, 63_540);
    assert_eq!(d.quotient_familial_cents, 63_540);
    // 33 540 / 30 = 1 118 exactly.
    assert_eq!(d.remaining_per_day_cents, 1_118);
}

#[test]
fn a_negative_remaining_rounds_down_to_the_larger_deficit() {
    let b = budget(
        &[(ResourceKind::Aah, 90_000)],
        &[(ChargeKind::Rent, 100_001)],
    );
    let d = derive(&b, None, today());
    assert_eq!(d.remaining_cents, -10_001);
    // −10 001 / 30 = −333.36… → −334, never a smaller deficit than the real one.
    assert_eq!(d.remaining_per_day_cents, -334);
    assert_eq!(d.remaining_per_unit_cents, -10_001);
    // −10 001 / 30 again, per unit of 1.
    assert_eq!(d.remaining_per_unit_per_day_cents, -334);
}

#[test]
fn a_positive_remaining_rounds_down_never_up() {
    let b = budget(&[(ResourceKind::Salary, 100_001)], &[]);
    let d = derive(&b, None, today());
    // 100 001 / 30 = 3 333.36… → 3 333.
    assert_eq!(d.remaining_per_day_cents, 3_333);
    let b = budget(&[(ResourceKind::Salary, 59)], &[]);
    // 59 / 30 = 1.97 → 1.
    assert_eq!(derive(&b, None, today()).remaining_per_day_cents, 1);
}

#[test]
fn a_child_turning_14_today_changes_the_units_per_unit_figures() {
    let member = HouseholdMember {
        relationship: Relationship::Child,
        birth_date: date(2012, 11, 22),
        dependent: true,
    };
    let h = Household {
        members: vec![member],
        ..Household::default()
    };
    let b = budget(&[(ResourceKind::Salary, 150_000)], &[]);
    let d = derive(&b, Some(&h), today());
    assert_eq!(d.consumption_units.tenths(), 15);
    assert_eq!(d.remaining_per_unit_cents, 100_000);
    let d = derive(&b, Some(&h), date(2026, 11, 21));
    assert_eq!(d.consumption_units.tenths(), 13);
    // 150 000 / 1.3 = 115 384.61… → 115 384.
    assert_eq!(d.remaining_per_unit_cents, 115_384);
    // A single parent with one child: 2.5 parts, 150 000 / 2.5 = 60 000.
    assert_eq!(d.quotient_familial_cents, 60_000);
}

#[test]
fn several_lines_of_one_kind_add_up() {
    let b = budget(
        &[
            (ResourceKind::Salary, 120_000),
            (ResourceKind::Salary, 80_000),
        ],
        &[(ChargeKind::Loans, 10_000), (ChargeKind::Loans, 5_000)],
    );
    let d = derive(&b, None, today());
    assert_eq!(d.total_resources_cents, 200_000);
    assert_eq!(d.total_charges_cents, 15_000);
}

#[test]
fn the_largest_budget_does_not_overflow() {
    let max = vec![line(ResourceKind::Other, MAX_AMOUNT_CENTS); MAX_LINES];
    let b = Budget {
        resources: max,
        charges: Vec::new(),
        debts: vec![debt(DebtKind::Other, MAX_AMOUNT_CENTS, MAX_AMOUNT_CENTS); MAX_LINES],
    };
    let d = derive(&b, None, today());
    assert_eq!(d.total_resources_cents, 300_000_000);
    assert_eq!(d.quotient_familial_cents, 300_000_000);
    assert_eq!(d.total_debt_cents, 300_000_000);
}

#[test]
fn an_acceptable_budget_has_no_problem() {
    let mut b = family_budget();
    b.resources[0].label = Some("Salaire de M.".into());
    b.charges[0].amount_cents = 0;
    b.resources[1].amount_cents = MAX_AMOUNT_CENTS;
    assert!(check(&b).is_empty());
}

#[test]
fn negative_or_huge_amounts_and_long_labels_are_pointed_at() {
    let mut b = family_budget();
    b.resources[1].amount_cents = -1;
    b.charges[3].amount_cents = MAX_AMOUNT_CENTS + 1;
    b.charges[0].label = Some("x".repeat(MAX_LABEL_CHARS + 1));
    let errors = check(&b);
    let pointers: Vec<_> = errors.iter().map(|e| (e.pointer(), e.code())).collect();
    assert_eq!(
        pointers,
        [
            ("/resources/1/amount_cents".to_owned(), "out_of_range"),
            ("/charges/0/label".to_owned(), "too_long"),
            ("/charges/3/amount_cents".to_owned(), "out_of_range"),
        ]
    );
}

#[test]
fn more_than_thirty_lines_a_side_is_too_many() {
    let b = Budget {
        resources: Vec::new(),
        charges: vec![line(ChargeKind::Other, 1); MAX_LINES + 1],
        debts: Vec::new(),
    };
    let errors = check(&b);
    assert_eq!(
        errors,
        [BudgetError::TooManyLines {
            side: Side::Charges
        }]
    );
    assert_eq!(errors[0].pointer(), "/charges");
}

#[test]
fn the_kinds_are_those_of_the_domain_and_a_few_more() {
    let resources: Vec<_> = ResourceKind::ALL.iter().map(|k| k.code()).collect();
    assert_eq!(
        resources,
        [
            "salary",
            "unemployment_benefit",
            "rsa",
            "prime_activite",
            "family_allowances",
            "housing_allowance",
            "pension",
            "aah",
            "alimony_received",
            "other"
        ]
    );
    let charges: Vec<_> = ChargeKind::ALL.iter().map(|k| k.code()).collect();
    assert_eq!(
        charges,
        [
            "rent",
            "energy",
            "water",
            "insurance",
            "telecom",
            "transport",
            "childcare",
            "loans",
            "debt_repayments",
            "alimony_paid",
            "other"
        ]
    );
    let debts: Vec<_> = DebtKind::ALL.iter().map(|k| k.code()).collect();
    assert_eq!(
        debts,
        [
            "rent_arrears",
            "energy",
            "water",
            "telecom",
            "consumer_credit",
            "tax",
            "fines",
            "health",
            "other"
        ]
    );
}

#[test]
fn debts_add_up_but_their_repayments_are_not_charged_twice() {
    // The household pays 150 € a month on its rent arrears: a `debt_repayments` charge line.
    let mut b = budget(
        &[
            (ResourceKind::Rsa, 63_540),
            (ResourceKind::AlimonyReceived, 15_000),
        ],
        &[
            (ChargeKind::Rent, 40_000),
            (ChargeKind::DebtRepayments, 15_000),
            (ChargeKind::AlimonyPaid, 5_000),
        ],
    );
    b.debts = vec![
        debt(DebtKind::RentArrears, 180_000, 15_000),
        debt(DebtKind::Energy, 42_050, 0),
    ];
    assert!(check(&b).is_empty());
    let d = derive(&b, None, today());
    assert_eq!(d.total_resources_cents, 78_540);
    assert_eq!(d.total_charges_cents, 60_000);
    assert_eq!(d.remaining_cents, 18_540, "the 150 € repayment counts once");
    assert_eq!(d.total_debt_cents, 222_050);
    assert_eq!(
        derive(&Budget::default(), None, today()).total_debt_cents,
        0
    );
}

#[test]
fn bad_debts_are_pointed_at() {
    let mut b = Budget {
        debts: vec![
            debt(DebtKind::Tax, -1, 0),
            debt(DebtKind::Fines, 10, MAX_AMOUNT_CENTS + 1),
            Debt {
                creditor: Some("x".repeat(MAX_LABEL_CHARS + 1)),
                ..debt(DebtKind::Other, 1, 1)
            },
        ],
        ..Budget::default()
    };
    let pointers: Vec<_> = check(&b).iter().map(|e| (e.pointer(), e.code())).collect();
    assert_eq!(
        pointers,
        [
            ("/debts/0/amount_owed_cents".to_owned(), "out_of_range"),
            (
                "/debts/1/monthly_repayment_cents".to_owned(),
                "out_of_range"
            ),
            ("/debts/2/creditor".to_owned(), "too_long"),
        ]
    );
    b.debts = vec![debt(DebtKind::Health, 1, 0); MAX_LINES + 1];
    let errors = check(&b);
    assert_eq!(errors, [BudgetError::TooManyLines { side: Side::Debts }]);
    assert_eq!(errors[0].pointer(), "/debts");
}
