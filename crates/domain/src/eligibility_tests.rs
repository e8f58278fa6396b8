//! Unit tests of the eligibility criteria: one group per kind, then the aggregation.

#![allow(clippy::unwrap_used)]

use serde_json::json;

use super::*;

fn criterion(value: Value) -> Criterion {
    parse_criterion(&value).unwrap_or_else(|issues| panic!("{value}: {issues:?}"))
}

fn issues(value: Value) -> Vec<(String, &'static str)> {
    parse_criterion(&value)
        .unwrap_err()
        .into_iter()
        .map(|i| (i.pointer, i.code))
        .collect()
}

fn pair(pointer: &str, code: &'static str) -> (String, &'static str) {
    (pointer.to_owned(), code)
}

fn result(c: &Criterion, situation: &Situation) -> CriterionResult {
    evaluate_one(c, situation).result
}

fn aged(age: u32) -> Situation {
    Situation {
        age_years: Some(age),
        ..Situation::default()
    }
}

fn household(members: u32, dependent_children: u32) -> Situation {
    Situation {
        household: Some(HouseholdFacts {
            members,
            dependent_children,
        }),
        ..Situation::default()
    }
}

fn resources(total: i64, per_unit: i64, qf: i64) -> ResourceFacts {
    ResourceFacts {
        total_cents: total,
        per_consumption_unit_cents: Some(per_unit),
        quotient_familial_cents: Some(qf),
    }
}

fn disabled(recognised: DisabilityRecognition, rate: Option<DisabilityRate>) -> Situation {
    Situation {
        disability: Some(Disability::new(recognised, rate).unwrap()),
        ..Situation::default()
    }
}

// --- Age ---------------------------------------------------------------------------------

#[test]
fn an_age_range_is_met_inside_its_inclusive_bounds() {
    let c = criterion(json!({"kind": "age", "min": 18, "max": 25}));
    assert_eq!(result(&c, &aged(18)), CriterionResult::Met);
    assert_eq!(result(&c, &aged(25)), CriterionResult::Met);
    assert_eq!(result(&c, &aged(17)), CriterionResult::Unmet);
    assert_eq!(result(&c, &aged(26)), CriterionResult::Unmet);
}

#[test]
fn an_open_age_bound_is_null_or_absent() {
    let c = criterion(json!({"kind": "age", "min": 60, "max": null}));
    assert_eq!(
        c.rule,
        Rule::Age {
            min: Some(60),
            max: None
        }
    );
    assert_eq!(result(&c, &aged(104)), CriterionResult::Met);
    let c = criterion(json!({"kind": "age", "max": 29}));
    assert_eq!(result(&c, &aged(0)), CriterionResult::Met);
}

#[test]
fn an_unknown_age_is_to_check_for_the_birth_date() {
    let c = criterion(json!({"kind": "age", "min": 25}));
    let outcome = evaluate_one(&c, &Situation::default());
    assert_eq!(outcome.result, CriterionResult::Unknown);
    assert_eq!(outcome.missing, [SituationData::BirthDate]);
    assert_eq!(outcome.actual, Value::Null);
    assert_eq!(outcome.expected, json!({"min": 25, "max": null}));
}

#[test]
fn age_bounds_are_checked() {
    assert_eq!(
        issues(json!({"kind": "age", "min": 30, "max": 20})),
        [pair("/min", "min_above_max")]
    );
    assert_eq!(
        issues(json!({"kind": "age", "min": -1})),
        [pair("/min", "out_of_range")]
    );
    assert_eq!(
        issues(json!({"kind": "age", "max": 151})),
        [pair("/max", "out_of_range")]
    );
    assert_eq!(
        issues(json!({"kind": "age", "min": 2.5})),
        [pair("/min", "out_of_range")]
    );
    assert_eq!(
        issues(json!({"kind": "age", "min": "18"})),
        [pair("/min", "invalid_type")]
    );
    assert_eq!(issues(json!({"kind": "age"})), [pair("", "no_bound")]);
    assert_eq!(
        issues(json!({"kind": "age", "min": 18, "minimum": 3})),
        [pair("/minimum", "unknown_field")]
    );
}

// --- Household ---------------------------------------------------------------------------

#[test]
fn household_bounds_apply_to_members_and_dependent_children() {
    let c = criterion(json!({"kind": "household", "min_dependent_children": 1}));
    assert_eq!(result(&c, &household(2, 1)), CriterionResult::Met);
    assert_eq!(result(&c, &household(2, 0)), CriterionResult::Unmet);
    let alone = criterion(json!({"kind": "household", "max_members": 1}));
    assert_eq!(result(&alone, &household(1, 0)), CriterionResult::Met);
    assert_eq!(result(&alone, &household(2, 0)), CriterionResult::Unmet);
    let both = criterion(json!({
        "kind": "household", "min_members": 2, "max_members": 4,
        "min_dependent_children": 1, "max_dependent_children": 2
    }));
    assert_eq!(result(&both, &household(4, 2)), CriterionResult::Met);
    assert_eq!(result(&both, &household(5, 2)), CriterionResult::Unmet);
    assert_eq!(result(&both, &household(4, 3)), CriterionResult::Unmet);
}

#[test]
fn a_household_criterion_shows_the_composition_compared() {
    let c = criterion(json!({"kind": "household", "min_members": 2}));
    let outcome = evaluate_one(&c, &household(3, 1));
    assert_eq!(
        outcome.actual,
        json!({"members": 3, "dependent_children": 1})
    );
    let unknown = evaluate_one(&c, &Situation::default());
    assert_eq!(unknown.result, CriterionResult::Unknown);
    assert_eq!(unknown.missing, [SituationData::Household]);
}

#[test]
fn household_bounds_are_checked() {
    assert_eq!(
        issues(json!({"kind": "household", "min_members": 3, "max_members": 2})),
        [pair("/min_members", "min_above_max")]
    );
    assert_eq!(
        issues(json!({"kind": "household", "max_members": 0})),
        [pair("/max_members", "out_of_range")]
    );
    assert_eq!(
        issues(json!({"kind": "household", "min_dependent_children": 31})),
        [pair("/min_dependent_children", "out_of_range")]
    );
    assert_eq!(issues(json!({"kind": "household"})), [pair("", "no_bound")]);
}

// --- Resources ceiling -------------------------------------------------------------------

#[test]
fn a_flat_ceiling_is_inclusive_on_each_basis() {
    let situation = Situation {
        resources: Some(resources(150_000, 100_000, 60_000)),
        household: Some(HouseholdFacts {
            members: 2,
            dependent_children: 1,
        }),
        ..Situation::default()
    };
    for (basis, at) in [
        ("total", 150_000),
        ("per_consumption_unit", 100_000),
        ("quotient_familial", 60_000),
    ] {
        let equal =
            criterion(json!({"kind": "resources_ceiling", "basis": basis, "max_cents": at}));
        assert_eq!(result(&equal, &situation), CriterionResult::Met, "{basis}");
        let below =
            criterion(json!({"kind": "resources_ceiling", "basis": basis, "max_cents": at - 1}));
        let outcome = evaluate_one(&below, &situation);
        assert_eq!(outcome.result, CriterionResult::Unmet, "{basis}");
        assert_eq!(outcome.actual, json!(at));
        assert_eq!(
            outcome.expected,
            json!({"basis": basis, "max_cents": at - 1})
        );
    }
}

#[test]
fn a_ceiling_by_household_size_resolves_for_the_household() {
    // The RSA's amounts of April 2025: 1 person, 2, 3, then + 258,61 € a person.
    let c = criterion(json!({
        "kind": "resources_ceiling", "basis": "total",
        "max_cents_by_household_size": [64652, 96978, 116374],
        "additional_member_cents": 25861
    }));
    let with = |members, total| Situation {
        household: Some(HouseholdFacts {
            members,
            dependent_children: 0,
        }),
        resources: Some(resources(total, 0, 0)),
        ..Situation::default()
    };
    assert_eq!(result(&c, &with(1, 64652)), CriterionResult::Met);
    assert_eq!(result(&c, &with(1, 64653)), CriterionResult::Unmet);
    assert_eq!(result(&c, &with(3, 116_374)), CriterionResult::Met);
    let five = evaluate_one(&c, &with(5, 168_096));
    assert_eq!(five.result, CriterionResult::Met);
    assert_eq!(
        five.expected,
        json!({"basis": "total", "max_cents": 116_374 + 2 * 25861, "household_size": 5})
    );
    assert_eq!(result(&c, &with(5, 168_097)), CriterionResult::Unmet);
}

#[test]
fn beyond_the_table_without_an_increment_the_last_ceiling_holds() {
    let ceiling = Ceiling::Table {
        scale: Scale::HouseholdSize,
        amounts: vec![100, 150],
        additional_cents: None,
    };
    let of = |members| HouseholdFacts {
        members,
        dependent_children: 0,
    };
    assert_eq!(ceiling.for_household(of(1)), 100);
    assert_eq!(ceiling.for_household(of(2)), 150);
    assert_eq!(ceiling.for_household(of(7)), 150);
    assert_eq!(ceiling.for_household(of(0)), 100);
}

#[test]
fn a_ceiling_by_dependent_children_starts_without_a_child() {
    // The ARS of 2025: 21 880 € a year plus 6 564 € per dependent child, a month.
    let c = criterion(json!({
        "kind": "resources_ceiling", "basis": "total",
        "max_cents_by_dependent_children": [182333], "additional_child_cents": 54700
    }));
    let with = |children, total| Situation {
        household: Some(HouseholdFacts {
            members: 1 + children,
            dependent_children: children,
        }),
        resources: Some(resources(total, 0, 0)),
        ..Situation::default()
    };
    assert_eq!(result(&c, &with(0, 182_333)), CriterionResult::Met);
    let two = evaluate_one(&c, &with(2, 291_734));
    assert_eq!(two.result, CriterionResult::Unmet);
    assert_eq!(
        two.expected,
        json!({"basis": "total", "max_cents": 291_733, "dependent_children": 2})
    );
    let table = Ceiling::Table {
        scale: Scale::DependentChildren,
        amounts: vec![10, 20, 40],
        additional_cents: Some(5),
    };
    let of = |dependent_children| HouseholdFacts {
        members: 4,
        dependent_children,
    };
    assert_eq!(table.for_household(of(2)), 40);
    assert_eq!(table.for_household(of(4)), 50);
}

#[test]
fn a_missing_budget_or_household_is_named() {
    let total = criterion(json!({"kind": "resources_ceiling", "basis": "total", "max_cents": 1}));
    let outcome = evaluate_one(&total, &Situation::default());
    assert_eq!(outcome.result, CriterionResult::Unknown);
    assert_eq!(outcome.missing, [SituationData::Budget]);

    // A total ceiling needs no household; a per-unit one does, even with a budget.
    let only_budget = Situation {
        resources: Some(resources(1, 1, 1)),
        ..Situation::default()
    };
    assert_eq!(result(&total, &only_budget), CriterionResult::Met);
    let per_unit = criterion(
        json!({"kind": "resources_ceiling", "basis": "per_consumption_unit", "max_cents": 1}),
    );
    let outcome = evaluate_one(&per_unit, &only_budget);
    assert_eq!(outcome.result, CriterionResult::Unknown);
    assert_eq!(outcome.missing, [SituationData::Household]);

    let scale = criterion(json!({
        "kind": "resources_ceiling", "basis": "total", "max_cents_by_household_size": [1, 2]
    }));
    let outcome = evaluate_one(&scale, &Situation::default());
    assert_eq!(
        outcome.missing,
        [SituationData::Household, SituationData::Budget]
    );
    assert_eq!(
        outcome.expected,
        json!({"basis": "total", "max_cents_by_household_size": [1, 2],
               "additional_member_cents": null})
    );
}

#[test]
fn ceilings_are_checked() {
    let base = |extra: Value| {
        let mut value = json!({"kind": "resources_ceiling", "basis": "total"});
        for (k, v) in extra.as_object().unwrap() {
            value[k] = v.clone();
        }
        issues(value)
    };
    assert_eq!(
        base(json!({"max_cents": -1})),
        [pair("/max_cents", "out_of_range")]
    );
    assert_eq!(
        base(json!({"max_cents": 1.5})),
        [pair("/max_cents", "out_of_range")]
    );
    assert_eq!(
        base(json!({"max_cents": "12"})),
        [pair("/max_cents", "invalid_type")]
    );
    assert_eq!(base(json!({})), [pair("/max_cents", "required")]);
    assert_eq!(
        base(json!({"max_cents": 1, "max_cents_by_household_size": [1]})),
        [pair("", "conflict")]
    );
    assert_eq!(
        base(json!({"max_cents": 1, "additional_member_cents": 1})),
        [pair("/additional_member_cents", "conflict")]
    );
    assert_eq!(
        base(json!({"max_cents_by_household_size": [1], "additional_child_cents": 1})),
        [pair("/additional_child_cents", "conflict")]
    );
    assert_eq!(
        base(json!({"max_cents_by_dependent_children": "x"})),
        [pair("/max_cents_by_dependent_children", "invalid_type")]
    );
    assert_eq!(
        base(json!({"max_cents_by_household_size": []})),
        [pair("/max_cents_by_household_size", "length")]
    );
    assert_eq!(
        base(json!({"max_cents_by_household_size": [1, -2]})),
        [pair("/max_cents_by_household_size/1", "out_of_range")]
    );
    assert_eq!(
        issues(json!({"kind": "resources_ceiling", "basis": "income", "max_cents": 1})),
        [pair("/basis", "unknown_code")]
    );
    assert_eq!(
        issues(json!({"kind": "resources_ceiling", "max_cents": 1, "other": 2})),
        [pair("/basis", "required"), pair("/other", "unknown_field")]
    );
}

// --- Postcode prefix ---------------------------------------------------------------------

#[test]
fn a_postcode_matches_any_of_its_prefixes_ignoring_spaces() {
    let c = criterion(json!({"kind": "postcode_prefix", "prefixes": ["69", "01"]}));
    let at = |postcode: &str| Situation {
        postcode: Some(postcode.to_owned()),
        ..Situation::default()
    };
    assert_eq!(result(&c, &at("69003")), CriterionResult::Met);
    assert_eq!(result(&c, &at("01 000")), CriterionResult::Met);
    assert_eq!(result(&c, &at("75011")), CriterionResult::Unmet);
    assert_eq!(result(&c, &at("6")), CriterionResult::Unmet);
    let outcome = evaluate_one(&c, &Situation::default());
    assert_eq!(outcome.missing, [SituationData::Postcode]);
}

#[test]
fn prefixes_are_one_to_five_digits_without_repeats() {
    assert_eq!(
        issues(json!({"kind": "postcode_prefix", "prefixes": ["69", "2A", "123456", 69, "69"]})),
        [
            pair("/prefixes/1", "invalid_format"),
            pair("/prefixes/2", "invalid_format"),
            pair("/prefixes/3", "invalid_type"),
            pair("/prefixes/4", "duplicate"),
        ]
    );
    assert_eq!(
        issues(json!({"kind": "postcode_prefix", "prefixes": []})),
        [pair("/prefixes", "length")]
    );
    assert_eq!(
        issues(json!({"kind": "postcode_prefix"})),
        [pair("/prefixes", "required")]
    );
}

// --- Housing and employment --------------------------------------------------------------

#[test]
fn housing_and_employment_match_any_of_their_codes() {
    let housing = criterion(json!({"kind": "housing", "any_of": ["tenant", "hosted"]}));
    let employment = criterion(json!({"kind": "employment", "any_of": ["job_seeker"]}));
    let situation = Situation {
        housing: Some(HousingStatus::Hosted),
        employment: Some(EmploymentStatus::Employed),
        ..Situation::default()
    };
    let outcome = evaluate_one(&housing, &situation);
    assert_eq!(outcome.result, CriterionResult::Met);
    assert_eq!(outcome.actual, json!("hosted"));
    assert_eq!(outcome.expected, json!({"any_of": ["tenant", "hosted"]}));
    assert_eq!(result(&employment, &situation), CriterionResult::Unmet);
    let unknown = Situation::default();
    assert_eq!(
        evaluate_one(&housing, &unknown).missing,
        [SituationData::HousingStatus]
    );
    assert_eq!(
        evaluate_one(&employment, &unknown).missing,
        [SituationData::EmploymentStatus]
    );
}

#[test]
fn status_codes_are_checked_against_their_lists() {
    assert_eq!(
        issues(json!({"kind": "housing", "any_of": ["tenant", "castle", "tenant", 3]})),
        [
            pair("/any_of/1", "unknown_code"),
            pair("/any_of/2", "duplicate"),
            pair("/any_of/3", "invalid_type"),
        ]
    );
    assert_eq!(
        issues(json!({"kind": "employment", "any_of": []})),
        [pair("/any_of", "length")]
    );
    assert_eq!(
        issues(json!({"kind": "employment", "any_of": "retired"})),
        [pair("/any_of", "invalid_type")]
    );
}

// --- Kinds, notes, lists -----------------------------------------------------------------

#[test]
fn the_kind_is_required_and_known() {
    assert_eq!(issues(json!({"min": 3})), [pair("/kind", "required")]);
    assert_eq!(
        issues(json!({"kind": "income"})),
        [pair("/kind", "unknown_code")]
    );
    assert_eq!(issues(json!({"kind": 3})), [pair("/kind", "invalid_type")]);
    assert_eq!(issues(json!("age")), [pair("", "invalid_type")]);
}

#[test]
fn a_note_is_trimmed_and_bounded() {
    let c = criterion(json!({"kind": "age", "min": 18, "note": "  sauf parent isolé "}));
    assert_eq!(c.note.as_deref(), Some("sauf parent isolé"));
    assert_eq!(
        issues(json!({"kind": "age", "min": 18, "note": " "})),
        [pair("/note", "blank")]
    );
    assert_eq!(
        issues(json!({"kind": "age", "min": 18, "note": "x".repeat(501)})),
        [pair("/note", "length")]
    );
}

#[test]
fn every_kind_round_trips_through_its_json_form() {
    let all = json!([
        {"kind": "age", "min": 25, "max": null},
        {"kind": "household", "min_members": null, "max_members": 1,
         "min_dependent_children": null, "max_dependent_children": null},
        {"kind": "resources_ceiling", "basis": "total", "max_cents": 120000, "note": "RSA"},
        {"kind": "resources_ceiling", "basis": "total",
         "max_cents_by_household_size": [1, 2], "additional_member_cents": 3},
        {"kind": "resources_ceiling", "basis": "quotient_familial",
         "max_cents_by_dependent_children": [1, 2], "additional_child_cents": null},
        {"kind": "postcode_prefix", "prefixes": ["69"]},
        {"kind": "housing", "any_of": ["tenant"]},
        {"kind": "employment", "any_of": ["retired", "inactive"]},
        {"kind": "disability_recognised", "note": "RQTH ou CMI"},
        {"kind": "disability_rate_min", "min_percent": 80},
        {"kind": "debt_kinds", "any_of": ["rent_arrears", "energy"]},
        {"kind": "legal_protection", "any_of": ["tutelle", "curatelle"]}
    ]);
    let criteria = parse_criteria(&all).unwrap();
    let again: Vec<Value> = criteria.iter().map(Criterion::to_json).collect();
    assert_eq!(Value::Array(again), all);
    let via_serde: Vec<Criterion> = serde_json::from_value(all.clone()).unwrap();
    assert_eq!(via_serde, criteria);
    assert_eq!(serde_json::to_value(&criteria).unwrap(), all);
}

#[test]
fn a_list_points_at_each_faulty_criterion() {
    let found: Vec<_> = parse_criteria(&json!([
        {"kind": "age", "min": 18},
        {"kind": "resources_ceiling", "basis": "total", "max_cents": -5},
        {"kind": "postcode_prefix", "prefixes": ["x"]}
    ]))
    .unwrap_err()
    .into_iter()
    .map(|i| (i.pointer, i.code))
    .collect();
    assert_eq!(
        found,
        [
            pair("/1/max_cents", "out_of_range"),
            pair("/2/prefixes/0", "invalid_format")
        ]
    );
    assert_eq!(
        parse_criteria(&json!({"kind": "age"})).unwrap_err()[0].code,
        "invalid_type"
    );
    let many = Value::Array(vec![json!({"kind": "age", "min": 1}); 51]);
    assert_eq!(parse_criteria(&many).unwrap_err()[0].code, "too_many");
    assert_eq!(parse_criteria(&json!([])).unwrap(), []);
}

#[test]
fn a_criterion_read_by_serde_reports_the_first_issue() {
    let err = serde_json::from_value::<Criterion>(json!({"kind": "age", "min": 300})).unwrap_err();
    assert!(err.to_string().contains("/min"), "{err}");
}

// --- Aggregation -------------------------------------------------------------------------

fn rsa_like() -> Vec<Criterion> {
    parse_criteria(&json!([
        {"kind": "age", "min": 25},
        {"kind": "resources_ceiling", "basis": "total", "max_cents": 64652},
        {"kind": "postcode_prefix", "prefixes": ["69"]}
    ]))
    .unwrap()
}

#[test]
fn every_criterion_met_is_eligible() {
    let situation = Situation {
        age_years: Some(40),
        resources: Some(resources(50_000, 0, 0)),
        postcode: Some("69007".into()),
        ..Situation::default()
    };
    let m = evaluate(&rsa_like(), &situation);
    assert_eq!(m.result, MatchResult::Eligible);
    assert_eq!(m.criteria.len(), 3);
    assert!(m.missing.is_empty());
}

#[test]
fn missing_data_without_an_unmet_criterion_is_to_check_with_the_data_named() {
    let situation = Situation {
        age_years: Some(40),
        ..Situation::default()
    };
    let m = evaluate(&rsa_like(), &situation);
    assert_eq!(m.result, MatchResult::ToCheck);
    assert_eq!(m.missing, [SituationData::Budget, SituationData::Postcode]);
    let results: Vec<_> = m.criteria.iter().map(|c| c.result).collect();
    assert_eq!(
        results,
        [
            CriterionResult::Met,
            CriterionResult::Unknown,
            CriterionResult::Unknown
        ]
    );
}

#[test]
fn one_unmet_criterion_is_not_eligible_even_with_data_missing() {
    let situation = Situation {
        age_years: Some(22),
        ..Situation::default()
    };
    let m = evaluate(&rsa_like(), &situation);
    assert_eq!(m.result, MatchResult::NotEligible);
    // What is missing is still listed: it may matter once the age condition changes.
    assert_eq!(m.missing, [SituationData::Budget, SituationData::Postcode]);
}

#[test]
fn a_scheme_without_criteria_is_eligible() {
    let m = evaluate(&[], &Situation::default());
    assert_eq!(m.result, MatchResult::Eligible);
    assert!(m.criteria.is_empty());
}

#[test]
fn missing_data_is_listed_once_in_reference_order() {
    let criteria = parse_criteria(&json!([
        {"kind": "employment", "any_of": ["job_seeker"]},
        {"kind": "resources_ceiling", "basis": "quotient_familial", "max_cents": 1},
        {"kind": "household", "min_members": 1},
        {"kind": "age", "max": 25}
    ]))
    .unwrap();
    let m = evaluate(&criteria, &Situation::default());
    assert_eq!(
        m.missing,
        [
            SituationData::BirthDate,
            SituationData::Household,
            SituationData::Budget,
            SituationData::EmploymentStatus,
        ]
    );
}

#[test]
fn a_match_serialises_with_codes_and_the_criterion_as_stored() {
    let m = evaluate(&rsa_like()[..1], &aged(30));
    assert_eq!(
        serde_json::to_value(&m).unwrap(),
        json!({
            "result": "eligible",
            "criteria": [{
                "criterion": {"kind": "age", "min": 25, "max": null},
                "result": "met",
                "expected": {"min": 25, "max": null},
                "actual": 30,
                "missing": []
            }],
            "missing": []
        })
    );
}

#[test]
fn a_whole_number_written_as_a_float_is_a_whole_number_and_a_fraction_is_not() {
    let age = criterion(json!({"kind": "age", "min": 18.0, "max": 25}));
    assert_eq!(age, criterion(json!({"kind": "age", "min": 18, "max": 25})));
    let ceiling =
        criterion(json!({"kind": "resources_ceiling", "basis": "total", "max_cents": 64652.0}));
    assert_eq!(
        ceiling,
        criterion(json!({"kind": "resources_ceiling", "basis": "total", "max_cents": 64652}))
    );
    assert_eq!(
        issues(json!({"kind": "age", "min": 18.5})),
        [pair("/min", "out_of_range")]
    );
}

// --- Disability, debts, legal protection ---------------------------------------------------

#[test]
fn a_recognised_disability_is_met_by_yes_only_and_unknown_unless_yes_or_no() {
    use DisabilityRecognition::{No, Pending, Unknown, Yes};
    let c = criterion(json!({"kind": "disability_recognised"}));
    assert_eq!(result(&c, &disabled(Yes, None)), CriterionResult::Met);
    assert_eq!(result(&c, &disabled(No, None)), CriterionResult::Unmet);
    for unsure in [
        disabled(Pending, None),
        disabled(Unknown, None),
        Situation::default(),
    ] {
        let outcome = evaluate_one(&c, &unsure);
        assert_eq!(outcome.result, CriterionResult::Unknown, "{unsure:?}");
        assert_eq!(outcome.missing, [SituationData::Disability]);
    }
    let outcome = evaluate_one(&c, &disabled(Yes, Some(DisabilityRate::AtLeast80)));
    assert_eq!(outcome.expected, json!({"recognised": "yes"}));
    assert_eq!(
        outcome.actual,
        json!({"recognised": "yes", "rate": "80_or_more"})
    );
    assert_eq!(evaluate_one(&c, &Situation::default()).actual, Value::Null);
}

#[test]
fn a_minimum_rate_compares_the_band_and_is_unknown_when_the_band_straddles_it() {
    use DisabilityRate::{AtLeast80, Below50, From50To79};
    use DisabilityRecognition::{No, Pending, Unknown, Yes};
    let at_least = |min: u32| criterion(json!({"kind": "disability_rate_min", "min_percent": min}));
    let eighty = at_least(80);
    assert_eq!(
        result(&eighty, &disabled(Yes, Some(AtLeast80))),
        CriterionResult::Met
    );
    assert_eq!(
        result(&eighty, &disabled(Yes, Some(From50To79))),
        CriterionResult::Unmet
    );
    assert_eq!(
        result(&eighty, &disabled(Yes, Some(Below50))),
        CriterionResult::Unmet
    );
    assert_eq!(result(&eighty, &disabled(No, None)), CriterionResult::Unmet);
    let fifty = at_least(50);
    assert_eq!(
        result(&fifty, &disabled(Yes, Some(From50To79))),
        CriterionResult::Met
    );
    assert_eq!(
        result(&fifty, &disabled(Yes, Some(AtLeast80))),
        CriterionResult::Met
    );
    assert_eq!(
        result(&fifty, &disabled(Yes, Some(Below50))),
        CriterionResult::Unmet
    );
    // 60 % inside the band of 50 to 79 %: the band does not tell.
    let sixty = at_least(60);
    let outcome = evaluate_one(&sixty, &disabled(Yes, Some(From50To79)));
    assert_eq!(outcome.result, CriterionResult::Unknown);
    assert_eq!(outcome.missing, [SituationData::Disability]);
    assert_eq!(outcome.expected, json!({"min_percent": 60}));
    // Recognised without a rate, pending, unknown, nothing recorded: to collect.
    for unsure in [
        disabled(Yes, None),
        disabled(Pending, None),
        disabled(Unknown, None),
        Situation::default(),
    ] {
        let outcome = evaluate_one(&fifty, &unsure);
        assert_eq!(outcome.result, CriterionResult::Unknown, "{unsure:?}");
        assert_eq!(outcome.missing, [SituationData::Disability]);
    }
}

#[test]
fn a_minimum_rate_is_one_to_a_hundred_percent() {
    assert_eq!(
        issues(json!({"kind": "disability_rate_min"})),
        [pair("/min_percent", "required")]
    );
    assert_eq!(
        issues(json!({"kind": "disability_rate_min", "min_percent": 0})),
        [pair("/min_percent", "out_of_range")]
    );
    assert_eq!(
        issues(json!({"kind": "disability_rate_min", "min_percent": 101})),
        [pair("/min_percent", "out_of_range")]
    );
    assert_eq!(
        issues(json!({"kind": "disability_rate_min", "min_percent": 79.5})),
        [pair("/min_percent", "out_of_range")]
    );
    assert_eq!(
        issues(json!({"kind": "disability_rate_min", "min_percent": "80"})),
        [pair("/min_percent", "invalid_type")]
    );
    assert_eq!(
        issues(json!({"kind": "disability_recognised", "rate": "80_or_more"})),
        [pair("/rate", "unknown_field")]
    );
}

#[test]
fn debt_kinds_match_any_debt_of_a_recorded_budget_and_are_unknown_without_one() {
    let c = criterion(json!({"kind": "debt_kinds", "any_of": ["rent_arrears", "energy"]}));
    let with = |kinds: Vec<DebtKind>| Situation {
        debt_kinds: Some(kinds),
        ..Situation::default()
    };
    let outcome = evaluate_one(&c, &with(vec![DebtKind::Energy, DebtKind::Tax]));
    assert_eq!(outcome.result, CriterionResult::Met);
    assert_eq!(outcome.actual, json!(["energy", "tax"]));
    assert_eq!(
        outcome.expected,
        json!({"any_of": ["rent_arrears", "energy"]})
    );
    assert_eq!(
        result(&c, &with(vec![DebtKind::Tax])),
        CriterionResult::Unmet
    );
    assert_eq!(result(&c, &with(Vec::new())), CriterionResult::Unmet);
    let outcome = evaluate_one(&c, &Situation::default());
    assert_eq!(outcome.result, CriterionResult::Unknown);
    assert_eq!(outcome.missing, [SituationData::Debts]);
    assert_eq!(outcome.actual, Value::Null);
    assert_eq!(
        issues(json!({"kind": "debt_kinds", "any_of": ["rent", "energy", "energy"]})),
        [
            pair("/any_of/0", "unknown_code"),
            pair("/any_of/2", "duplicate")
        ]
    );
    assert_eq!(
        issues(json!({"kind": "debt_kinds", "any_of": []})),
        [pair("/any_of", "length")]
    );
}

#[test]
fn a_legal_protection_not_recorded_is_unknown_not_unmet() {
    let c = criterion(json!({"kind": "legal_protection", "any_of": ["tutelle", "curatelle"]}));
    let with = |kind| Situation {
        legal_protection: Some(kind),
        ..Situation::default()
    };
    assert_eq!(
        result(&c, &with(LegalProtectionKind::Curatelle)),
        CriterionResult::Met
    );
    assert_eq!(
        result(&c, &with(LegalProtectionKind::SauvegardeDeJustice)),
        CriterionResult::Unmet
    );
    let outcome = evaluate_one(&c, &Situation::default());
    assert_eq!(outcome.result, CriterionResult::Unknown);
    assert_eq!(outcome.missing, [SituationData::LegalProtection]);
    assert_eq!(
        issues(json!({"kind": "legal_protection", "any_of": ["none"]})),
        [pair("/any_of/0", "unknown_code")]
    );
}

/// The issue's example: a scheme for recognised disabilities, for a person of 35 and one of 85
/// whose disability is not known, is to check, never eligible.
#[test]
fn a_disability_scheme_is_to_check_at_35_and_85_when_the_disability_is_unknown() {
    let criteria = parse_criteria(&json!([
        {"kind": "age", "min": 20},
        {"kind": "disability_recognised"}
    ]))
    .unwrap();
    for age in [35, 85] {
        for situation in [
            aged(age),
            Situation {
                disability: Some(Disability::new(DisabilityRecognition::Unknown, None).unwrap()),
                ..aged(age)
            },
        ] {
            let m = evaluate(&criteria, &situation);
            assert_eq!(m.result, MatchResult::ToCheck, "{situation:?}");
            assert_eq!(m.missing, [SituationData::Disability]);
            assert_eq!(m.criteria[0].result, CriterionResult::Met);
        }
    }
}

/// Every kind of criterion, against a situation where nothing is recorded, is unknown with
/// some data named: no scheme can be `eligible` on missing data.
#[test]
fn no_criterion_is_met_on_an_empty_situation() {
    let all = parse_criteria(&json!([
        {"kind": "age", "max": 150},
        {"kind": "household", "min_members": 1},
        {"kind": "resources_ceiling", "basis": "total", "max_cents": 1000000000},
        {"kind": "resources_ceiling", "basis": "per_consumption_unit", "max_cents": 1000000000},
        {"kind": "resources_ceiling", "basis": "quotient_familial",
         "max_cents_by_household_size": [1000000000]},
        {"kind": "postcode_prefix", "prefixes": ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]},
        {"kind": "housing", "any_of": ["tenant", "owner", "hosted", "emergency_accommodation", "homeless", "other"]},
        {"kind": "employment", "any_of": ["employed", "job_seeker", "student", "retired", "inactive", "other"]},
        {"kind": "disability_recognised"},
        {"kind": "disability_rate_min", "min_percent": 1},
        {"kind": "debt_kinds", "any_of": ["rent_arrears", "energy", "water", "telecom",
                                           "consumer_credit", "tax", "fines", "health", "other"]},
        {"kind": "legal_protection", "any_of": ["tutelle", "curatelle", "sauvegarde_de_justice",
                                                 "mesure_accompagnement", "habilitation_familiale"]}
    ]))
    .unwrap();
    let kinds: std::collections::HashSet<_> = all.iter().map(|c| c.rule.kind()).collect();
    assert_eq!(kinds.len(), CriterionKind::ALL.len(), "every kind is tried");
    for criterion in &all {
        let outcome = evaluate_one(criterion, &Situation::default());
        assert_eq!(outcome.result, CriterionResult::Unknown, "{criterion:?}");
        assert!(!outcome.missing.is_empty(), "{criterion:?}");
        let m = evaluate(std::slice::from_ref(criterion), &Situation::default());
        assert_eq!(m.result, MatchResult::ToCheck);
    }
    assert_eq!(
        evaluate(&all, &Situation::default()).missing,
        SituationData::ALL
    );
}
