//! Unit tests of the household: ages, consumption units, CAF parts and the checks.

use chrono::NaiveDate;

use super::*;
use crate::codes::Coded;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid date")
}

fn member(relationship: Relationship, birth_date: NaiveDate, dependent: bool) -> HouseholdMember {
    HouseholdMember {
        relationship,
        birth_date,
        dependent,
    }
}

fn child(birth_date: NaiveDate) -> HouseholdMember {
    member(Relationship::Child, birth_date, true)
}

fn partner() -> HouseholdMember {
    member(Relationship::SpouseOrPartner, date(1985, 6, 1), false)
}

fn household(members: Vec<HouseholdMember>) -> Household {
    Household {
        housing: None,
        employment: None,
        members,
    }
}

/// The day of every computation here.
fn today() -> NaiveDate {
    date(2026, 11, 22)
}

#[test]
fn an_age_counts_full_years_from_the_birthday_on() {
    assert_eq!(age_on(date(2012, 11, 22), today()), 14, "birthday today");
    assert_eq!(age_on(date(2012, 11, 23), today()), 13, "birthday tomorrow");
    assert_eq!(age_on(date(2012, 11, 21), today()), 14);
    assert_eq!(age_on(date(2026, 11, 22), today()), 0, "born today");
    assert_eq!(age_on(date(2027, 1, 1), today()), 0, "not born yet");
}

#[test]
fn someone_born_on_29_february_comes_of_age_on_1_march_in_a_common_year() {
    let born = date(2012, 2, 29);
    assert_eq!(age_on(born, date(2026, 2, 28)), 13);
    assert_eq!(age_on(born, date(2026, 3, 1)), 14);
    assert_eq!(age_on(born, date(2028, 2, 29)), 16);
}

#[test]
fn a_person_alone_weighs_one_consumption_unit() {
    let units = consumption_units(&[], today());
    assert_eq!(units, ConsumptionUnits::ALONE);
    assert_eq!(units.tenths(), 10);
    assert_eq!(units.to_string(), "1.0");
}

#[test]
fn a_couple_with_a_teenager_and_a_young_child_weighs_2_3_units() {
    let members = [
        partner(),
        child(date(2010, 3, 15)), // 16
        child(date(2019, 9, 1)),  // 7
    ];
    let units = consumption_units(&members, today());
    assert_eq!(units.tenths(), 23, "1 + 0.5 + 0.5 + 0.3");
    assert_eq!(units.to_string(), "2.3");
    assert!((units.as_f64() - 2.3).abs() < f64::EPSILON);
}

#[test]
fn a_child_turning_14_today_weighs_half_a_unit_and_the_day_before_0_3() {
    let members = [child(date(2012, 11, 22))];
    assert_eq!(consumption_units(&members, today()).tenths(), 15);
    assert_eq!(
        consumption_units(&members, date(2026, 11, 21)).tenths(),
        13,
        "still 13 the day before"
    );
}

#[test]
fn every_other_adult_weighs_half_a_unit_whatever_the_relationship() {
    let members = [
        member(Relationship::Parent, date(1950, 1, 1), true),
        member(Relationship::Other, date(2000, 1, 1), false),
    ];
    assert_eq!(consumption_units(&members, today()).tenths(), 20);
}

#[test]
fn a_person_alone_has_one_part() {
    let parts = caf_parts(&household(vec![]));
    assert_eq!(parts, QfParts::SINGLE);
    assert_eq!(parts.halves(), 2);
    assert_eq!(parts.to_string(), "1");
}

#[test]
fn a_couple_without_children_has_two_parts() {
    assert_eq!(caf_parts(&household(vec![partner()])).halves(), 4);
}

#[test]
fn a_single_parent_has_two_parts_plus_the_childrens() {
    let one = household(vec![child(date(2015, 1, 1))]);
    assert_eq!(caf_parts(&one).to_string(), "2.5");
    let two = household(vec![child(date(2015, 1, 1)), child(date(2017, 1, 1))]);
    assert_eq!(caf_parts(&two).halves(), 6);
}

#[test]
fn the_third_child_adds_a_whole_part_and_the_next_ones_a_half() {
    let kids = |n: usize| -> Vec<HouseholdMember> {
        std::iter::once(partner())
            .chain((0..n).map(|_| child(date(2015, 1, 1))))
            .collect()
    };
    let parts = |n| caf_parts(&household(kids(n))).to_string();
    assert_eq!(parts(0), "2");
    assert_eq!(parts(1), "2.5");
    assert_eq!(parts(2), "3");
    assert_eq!(parts(3), "4");
    assert_eq!(parts(4), "4.5");
    assert_eq!(parts(5), "5");
}

#[test]
fn only_dependent_children_add_parts() {
    let h = household(vec![
        member(Relationship::Child, date(1998, 1, 1), false),
        member(Relationship::Parent, date(1950, 1, 1), true),
    ]);
    assert_eq!(h.dependent_children(), 0);
    assert_eq!(
        caf_parts(&h),
        QfParts::SINGLE,
        "alone, without a dependent child"
    );
}

#[test]
fn a_household_born_in_the_past_with_one_partner_is_acceptable() {
    let h = household(vec![partner(), child(today())]);
    assert!(check(&h, today()).is_empty());
}

#[test]
fn a_member_born_tomorrow_or_before_1890_is_pointed_at() {
    let h = household(vec![
        child(date(2026, 11, 23)),
        member(Relationship::Parent, date(1889, 12, 31), true),
    ]);
    let errors = check(&h, today());
    assert_eq!(
        errors,
        [
            HouseholdError::BirthDateOutOfRange { index: 0 },
            HouseholdError::BirthDateOutOfRange { index: 1 },
        ]
    );
    assert_eq!(errors[1].pointer(), "/members/1/birth_date");
    assert_eq!(errors[1].code(), "out_of_range");
}

#[test]
fn a_second_partner_is_refused_at_its_relationship() {
    let h = household(vec![partner(), child(date(2015, 1, 1)), partner()]);
    let errors = check(&h, today());
    assert_eq!(
        errors,
        [HouseholdError::SecondPartner { index: 2, first: 0 }]
    );
    assert_eq!(errors[0].pointer(), "/members/2/relationship");
    assert_eq!(errors[0].code(), "second_partner");
}

#[test]
fn more_than_twenty_members_is_too_many() {
    let h = household((0..=MAX_MEMBERS).map(|_| child(date(2015, 1, 1))).collect());
    let errors = check(&h, today());
    assert_eq!(errors, [HouseholdError::TooManyMembers]);
    assert_eq!(errors[0].pointer(), "/members");
}

/// The codes of `T`, comma-separated.
fn codes<T: Coded>() -> String {
    T::ALL
        .iter()
        .map(|c| c.code())
        .collect::<Vec<_>>()
        .join(",")
}

#[test]
fn the_code_lists_are_those_of_the_contract() {
    assert_eq!(
        codes::<Relationship>(),
        "spouse_or_partner,child,parent,sibling,other_relative,other"
    );
    assert_eq!(
        codes::<HousingStatus>(),
        "tenant,owner,hosted,emergency_accommodation,homeless,other"
    );
    assert_eq!(
        codes::<EmploymentStatus>(),
        "employed,job_seeker,student,retired,inactive,other"
    );
}
