//! The household of a person (composition familiale): the people living with them, their
//! housing, and the person's own employment status.
//!
//! The person is not a member of their own household list: [`Household::members`] holds the
//! *others* (spouse or partner, children, parents…). Two figures come from the composition:
//!
//! - [`consumption_units`]: the OECD-modified scale used by INSEE — 1 for the person, 0.5 for
//!   each other member aged 14 or more, 0.3 for each member under 14 — held exactly in tenths
//!   ([`ConsumptionUnits`]), ages taken on the day of the computation ([`age_on`]);
//! - [`caf_parts`]: the number of parts of the CAF *quotient familial* ([`QfParts`], held in
//!   halves).
//!
//! A household is replaced whole; [`check`] lists what is wrong with a new one (birth dates in
//! the future or before 1890, more than one spouse or partner, too many members).

use chrono::{Datelike, NaiveDate};

use crate::refusal::Refusal;

crate::coded_enum! {
    /// How a member of the household is related to the person.
    pub enum Relationship in "household_relationship" {
        /// Spouse, civil partner (PACS) or partner living with the person.
        SpouseOrPartner => "spouse_or_partner" {
            fr: "Conjoint·e, partenaire ou concubin·e",
            en: "Spouse or partner"
        },
        /// A child: the person's, their partner's, or a child they raise.
        Child => "child" { fr: "Enfant", en: "Child" },
        /// A parent (or step-parent) of the person.
        Parent => "parent" { fr: "Parent", en: "Parent" },
        /// A brother or sister.
        Sibling => "sibling" { fr: "Frère ou sœur", en: "Sibling" },
        /// Another relative: grandparent, grandchild, uncle, cousin…
        OtherRelative => "other_relative" { fr: "Autre membre de la famille", en: "Other relative" },
        /// Someone unrelated sharing the home (flatmate, host…).
        Other => "other" { fr: "Autre personne", en: "Other person" },
    }
}

crate::coded_enum! {
    /// Where and how the household lives.
    pub enum HousingStatus in "housing_status" {
        /// Renting their home (private or social landlord).
        Tenant => "tenant" { fr: "Locataire", en: "Tenant" },
        /// Owning their home (or buying it).
        Owner => "owner" { fr: "Propriétaire ou accédant·e", en: "Owner" },
        /// Housed by family or friends, without a tenancy of their own.
        Hosted => "hosted" { fr: "Hébergé·e chez un tiers", en: "Hosted by a third party" },
        /// Emergency or temporary accommodation (CHRS, hotel paid by the 115, shelter…).
        EmergencyAccommodation => "emergency_accommodation" {
            fr: "Hébergement d'urgence ou temporaire",
            en: "Emergency or temporary accommodation"
        },
        /// Without a home (street, squat, car…).
        Homeless => "homeless" { fr: "Sans domicile", en: "Homeless" },
        /// Any other situation (residence for workers, institution…).
        Other => "other" { fr: "Autre situation", en: "Other" },
    }
}

crate::coded_enum! {
    /// The person's own situation with regard to work.
    pub enum EmploymentStatus in "employment_status" {
        /// In work: employee, civil servant, self-employed, temporary or seasonal work.
        Employed => "employed" { fr: "En emploi", en: "Employed" },
        /// Looking for work (registered with France Travail or not).
        JobSeeker => "job_seeker" { fr: "Demandeur·se d'emploi", en: "Job seeker" },
        /// In school, university or vocational training.
        Student => "student" { fr: "Étudiant·e ou en formation", en: "Student or trainee" },
        /// Retired.
        Retired => "retired" { fr: "Retraité·e", en: "Retired" },
        /// Not working and not looking for work (illness, disability, caring for a relative…).
        Inactive => "inactive" { fr: "Sans activité", en: "Inactive" },
        /// Any other situation.
        Other => "other" { fr: "Autre situation", en: "Other" },
    }
}

/// Most members a household may list (the person excluded).
pub const MAX_MEMBERS: usize = 20;

/// One person living with the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HouseholdMember {
    /// How they are related to the person.
    pub relationship: Relationship,
    /// Their birth date (never in the future).
    pub birth_date: NaiveDate,
    /// Whether the person (or their couple) has them in charge (*à charge*).
    pub dependent: bool,
}

impl HouseholdMember {
    /// Whether this member is a dependent child: a `child` marked dependent. Only they add
    /// parts to the CAF quotient familial.
    pub fn is_dependent_child(&self) -> bool {
        self.relationship == Relationship::Child && self.dependent
    }
}

/// The household of a person, as recorded by a worker.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Household {
    /// Where the household lives, when known.
    pub housing: Option<HousingStatus>,
    /// The person's own employment status, when known.
    pub employment: Option<EmploymentStatus>,
    /// The other people living with the person, in the order given.
    pub members: Vec<HouseholdMember>,
}

impl Household {
    /// Whether a spouse or partner lives with the person.
    pub fn has_partner(&self) -> bool {
        self.members
            .iter()
            .any(|m| m.relationship == Relationship::SpouseOrPartner)
    }

    /// How many dependent children the household has.
    pub fn dependent_children(&self) -> usize {
        self.members
            .iter()
            .filter(|m| m.is_dependent_child())
            .count()
    }
}

/// Age in full years on `today`: the birthday counts from its day on (a child born on
/// 2012-05-10 is 14 on 2026-05-10). Someone born on 29 February comes of age on 1 March in
/// common years. A birth date after `today` gives 0.
pub fn age_on(birth_date: NaiveDate, today: NaiveDate) -> u32 {
    if birth_date >= today {
        return 0;
    }
    let years = today.year() - birth_date.year();
    let before_birthday = (today.month(), today.day()) < (birth_date.month(), birth_date.day());
    let age = if before_birthday { years - 1 } else { years };
    u32::try_from(age).unwrap_or(0)
}

/// Age from which a member weighs 0.5 consumption unit instead of 0.3.
pub const ADULT_SCALE_AGE: u32 = 14;

/// A number of consumption units (unités de consommation), held exactly in tenths: the OECD
/// scale only has weights 1, 0.5 and 0.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConsumptionUnits(u32);

impl ConsumptionUnits {
    /// The units of a person living alone.
    pub const ALONE: ConsumptionUnits = ConsumptionUnits(10);

    /// The units in tenths (21 for 2.1 units).
    pub const fn tenths(self) -> u32 {
        self.0
    }

    /// The units as a number, for JSON (exact to the tenth: 2.1).
    pub fn as_f64(self) -> f64 {
        f64::from(self.0) / 10.0
    }
}

impl std::fmt::Display for ConsumptionUnits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.0 / 10, self.0 % 10)
    }
}

/// The consumption units of the person and `members` on `today` (OECD-modified scale): 1 for
/// the person, 0.5 per member aged 14 or more on that day, 0.3 per member under 14.
pub fn consumption_units(members: &[HouseholdMember], today: NaiveDate) -> ConsumptionUnits {
    let others: u32 = members
        .iter()
        .map(|m| {
            if age_on(m.birth_date, today) >= ADULT_SCALE_AGE {
                5
            } else {
                3
            }
        })
        .sum();
    ConsumptionUnits(ConsumptionUnits::ALONE.0 + others)
}

/// A number of parts of the CAF quotient familial, held exactly in halves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QfParts(u32);

impl QfParts {
    /// The parts of a person alone without a dependent child.
    pub const SINGLE: QfParts = QfParts(2);

    /// The parts in halves (5 for 2.5 parts).
    pub const fn halves(self) -> u32 {
        self.0
    }

    /// The parts as a number, for JSON (exact to the half: 2.5).
    pub fn as_f64(self) -> f64 {
        f64::from(self.0) / 2.0
    }
}

impl std::fmt::Display for QfParts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_multiple_of(2) {
            write!(f, "{}", self.0 / 2)
        } else {
            write!(f, "{}.5", self.0 / 2)
        }
    }
}

/// The parts of the CAF quotient familial for this household.
///
/// The scale of the CAF's action sociale (sources: the formula on caf.fr, Caf de
/// Tarn-et-Garonne, "Conditions générales d'attribution des aides individuelles… mode de calcul
/// du quotient familial"; the parts as published by CAF-partner simulators, e.g.
/// <http://www.coevrons.fr/simulateur-de-quotient-familial> — "2,5 parts pour un ménage ou un
/// parent seul avec un enfant, 3 parts … 2 enfants, 4 parts … 3 enfants, 0,5 part de plus pour
/// un 4e enfant et suivants" — and the grid of mes-allocs.fr, "personne seule 1 part"):
///
/// - the adults: 2 parts for a couple (a `spouse_or_partner` member) or a single parent (at
///   least one dependent child), 1 part for a person alone without a dependent child;
/// - each dependent child ([`HouseholdMember::is_dependent_child`]): +0.5 for the first and
///   the second, +1 for the third, +0.5 for the fourth and each one after.
///
/// Simplifications: the extra half part some CAF grant for a disabled child is not counted
/// (the household does not record disability), nor are dependents other than children.
pub fn caf_parts(household: &Household) -> QfParts {
    let children = household.dependent_children();
    let adults = if household.has_partner() || children > 0 {
        4
    } else {
        2
    };
    let children_halves: usize = (1..=children)
        .map(|rank| if rank == 3 { 2 } else { 1 })
        .sum();
    QfParts(adults + u32::try_from(children_halves).unwrap_or(u32::MAX / 4))
}

/// Earliest birth date accepted for a member.
pub fn earliest_birth_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(1890, 1, 1).unwrap_or(NaiveDate::MIN)
}

/// What is wrong with a household; `index` is the member's position in the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HouseholdError {
    /// More than [`MAX_MEMBERS`] members.
    #[error("a household lists at most {MAX_MEMBERS} members")]
    TooManyMembers,
    /// A birth date after today, or before 1890.
    #[error("a birth date must be between 1890-01-01 and today")]
    BirthDateOutOfRange {
        /// The member at fault.
        index: usize,
    },
    /// A second spouse or partner.
    #[error("a household has at most one spouse or partner (first at member {first})")]
    SecondPartner {
        /// The member at fault.
        index: usize,
        /// The member who is the spouse or partner.
        first: usize,
    },
}

impl HouseholdError {
    /// The JSON pointer of the field at fault, inside the household document.
    pub fn pointer(self) -> String {
        match self {
            HouseholdError::TooManyMembers => "/members".to_owned(),
            HouseholdError::BirthDateOutOfRange { index } => {
                format!("/members/{index}/birth_date")
            }
            HouseholdError::SecondPartner { index, .. } => {
                format!("/members/{index}/relationship")
            }
        }
    }
}

impl Refusal for HouseholdError {
    fn code(&self) -> &'static str {
        match self {
            HouseholdError::TooManyMembers => "too_many",
            HouseholdError::BirthDateOutOfRange { .. } => "out_of_range",
            HouseholdError::SecondPartner { .. } => "second_partner",
        }
    }

    fn sentence_fr(&self) -> String {
        match self {
            HouseholdError::TooManyMembers => {
                format!("un foyer compte au plus {MAX_MEMBERS} membres")
            }
            HouseholdError::BirthDateOutOfRange { .. } => {
                "une date de naissance doit être comprise entre le 01/01/1890 et aujourd'hui".into()
            }
            HouseholdError::SecondPartner { first, .. } => format!(
                "un foyer compte au plus un conjoint ou partenaire (déjà déclaré au membre {first})"
            ),
        }
    }
}

/// Every problem of `household` on `today`, in member order (empty when acceptable).
pub fn check(household: &Household, today: NaiveDate) -> Vec<HouseholdError> {
    let mut errors = Vec::new();
    if household.members.len() > MAX_MEMBERS {
        errors.push(HouseholdError::TooManyMembers);
    }
    let mut partner = None;
    for (index, member) in household.members.iter().enumerate() {
        if member.birth_date > today || member.birth_date < earliest_birth_date() {
            errors.push(HouseholdError::BirthDateOutOfRange { index });
        }
        if member.relationship == Relationship::SpouseOrPartner {
            match partner {
                Some(first) => errors.push(HouseholdError::SecondPartner { index, first }),
                None => partner = Some(index),
            }
        }
    }
    errors
}

#[cfg(test)]
#[path = "household_tests.rs"]
mod tests;
