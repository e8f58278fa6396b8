//! Eligibility criteria of the scheme catalogue, and their evaluation against a person's
//! situation ("mettre en lien les dispositifs, leurs critères d'accès, et la situation de la
//! personne").
//!
//! A scheme's criteria are a JSON array of objects tagged by `kind`:
//!
//! ```json
//! [
//!   {"kind": "age", "min": 25, "max": null},
//!   {"kind": "household", "min_members": null, "max_members": null,
//!    "min_dependent_children": 1, "max_dependent_children": null},
//!   {"kind": "resources_ceiling", "basis": "total",
//!    "max_cents_by_household_size": [64652, 96978, 116374], "additional_member_cents": 25861},
//!   {"kind": "resources_ceiling", "basis": "quotient_familial", "max_cents": 80000},
//!   {"kind": "resources_ceiling", "basis": "total",
//!    "max_cents_by_dependent_children": [182333], "additional_child_cents": 54700},
//!   {"kind": "postcode_prefix", "prefixes": ["69", "01"]},
//!   {"kind": "housing", "any_of": ["tenant", "hosted"]},
//!   {"kind": "employment", "any_of": ["job_seeker"], "note": "inscrit à France Travail"},
//!   {"kind": "disability_recognised"},
//!   {"kind": "disability_rate_min", "min_percent": 80},
//!   {"kind": "debt_kinds", "any_of": ["rent_arrears", "energy"]},
//!   {"kind": "legal_protection", "any_of": ["tutelle", "curatelle"]}
//! ]
//! ```
//!
//! Criteria are parsed, not validated: [`parse_criteria`] turns JSON into [`Criterion`] values
//! or into [`Issue`]s pointing at the faulty field (`/0/max_cents`), so an invalid criterion
//! never exists. Every figure (ages, ceilings, prefixes) is data set by the catalogue's admin,
//! never code: they vary by department and by year.
//!
//! [`evaluate`] compares criteria with a [`Situation`] whose every part is optional: a
//! criterion that needs a missing part is `unknown`, and the scheme is then `to_check` with the
//! list of the missing data ([`SituationData`]). Any `unmet` criterion makes the scheme
//! `not_eligible`; all `met` (or no criterion at all) makes it `eligible`. A scheme is never
//! `eligible` on data that is not recorded: a criterion is `met` only on a recorded fact.
//!
//! The person's facts are read as recorded, and what is not recorded is not presumed:
//! - `disability_recognised` is met by a recognition `yes`, unmet by `no`; `pending`, `unknown`
//!   or nothing recorded is unknown (missing `disability`).
//! - `disability_rate_min` needs a recognised disability whose rate band is known: met when the
//!   band's lowest rate ([`DisabilityRate::floor_percent`]) reaches the minimum, unmet when its
//!   highest rate is below it, unknown when the minimum falls inside the band (a band of 50 to
//!   79 % against a minimum of 60 %); a recognition `no` is unmet.
//! - `debt_kinds` is met when the budget lists a debt of one of the kinds with something still
//!   owed, unmet when the recorded budget lists none; without a recorded budget, unknown
//!   (missing `debts`).
//! - `legal_protection` is met when the person's recorded measure is one of the kinds, unmet
//!   when it is another; when no measure is recorded it is **unknown** (missing
//!   `legal_protection`), not unmet: a worker records a measure when they learn of one, and the
//!   absence of a record does not prove there is none (people rarely say so at a first meeting).
//!
//! Resources are monthly, in cents, and a ceiling is inclusive: resources equal to the ceiling
//! meet it. Ages are whole years on the day of the evaluation
//! ([`household::age_on`](crate::household::age_on)), bounds inclusive.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value, json};

use crate::budget::DebtKind;
use crate::codes::Coded;
use crate::household::{EmploymentStatus, HousingStatus};
use crate::person::{Disability, DisabilityRate, DisabilityRecognition, LegalProtectionKind};

/// Most criteria a scheme may have.
pub const MAX_CRITERIA: usize = 50;
/// Longest note of a criterion, in characters.
pub const MAX_NOTE_CHARS: usize = 500;
/// Highest age bound, in years.
pub const MAX_AGE_YEARS: u32 = 150;
/// Highest household size or number of children in a bound.
pub const MAX_MEMBERS: u32 = 30;
/// Highest monthly amount of a ceiling, in cents (10 million euros).
pub const MAX_CENTS: i64 = 1_000_000_000;
/// Most entries of a ceiling by household size (households of 1 to 10 persons).
pub const MAX_SCALE_ENTRIES: usize = 10;
/// Most postcode prefixes of one criterion.
pub const MAX_PREFIXES: usize = 200;
/// Highest minimum rate of incapacity, in percent.
pub const MAX_PERCENT: u32 = 100;

crate::coded_enum! {
    /// What a criterion looks at.
    pub enum CriterionKind in "criterion_kind" {
        /// The person's age, in whole years.
        Age => "age" { fr: "Âge", en: "Age" },
        /// The household's composition: members, dependent children.
        Household => "household" { fr: "Composition du foyer", en: "Household composition" },
        /// A ceiling on the monthly resources.
        ResourcesCeiling => "resources_ceiling" {
            fr: "Plafond de ressources mensuelles",
            en: "Monthly resources ceiling"
        },
        /// Where the person lives, by postcode prefix (département, commune).
        PostcodePrefix => "postcode_prefix" {
            fr: "Lieu de résidence (code postal)",
            en: "Residence (postcode prefix)"
        },
        /// The household's housing situation.
        Housing => "housing" { fr: "Situation de logement", en: "Housing situation" },
        /// The person's employment situation.
        Employment => "employment" { fr: "Situation d'emploi", en: "Employment situation" },
        /// A disability recognised by the MDPH.
        DisabilityRecognised => "disability_recognised" {
            fr: "Handicap reconnu (MDPH)",
            en: "Recognised disability (MDPH)"
        },
        /// A minimum rate of incapacity recognised by the MDPH.
        DisabilityRateMin => "disability_rate_min" {
            fr: "Taux d'incapacité minimal",
            en: "Minimum rate of incapacity"
        },
        /// Debts of some kinds in the budget (any of them).
        DebtKinds => "debt_kinds" { fr: "Dettes (nature)", en: "Debts (kind)" },
        /// A legal protection measure of some kinds (any of them).
        LegalProtection => "legal_protection" {
            fr: "Mesure de protection juridique",
            en: "Legal protection measure"
        },
    }
}

crate::coded_enum! {
    /// Which monthly resources figure a ceiling applies to.
    pub enum ResourcesBasis in "resources_basis" {
        /// The household's total monthly resources.
        Total => "total" { fr: "Ressources totales du foyer", en: "Total household resources" },
        /// The total divided by the household's consumption units (OECD scale).
        PerConsumptionUnit => "per_consumption_unit" {
            fr: "Ressources par unité de consommation",
            en: "Resources per consumption unit"
        },
        /// The CAF quotient familial.
        QuotientFamilial => "quotient_familial" {
            fr: "Quotient familial CAF",
            en: "CAF family quotient"
        },
    }
}

crate::coded_enum! {
    /// The result of one criterion.
    pub enum CriterionResult in "criterion_result" {
        /// The situation meets the criterion.
        Met => "met" { fr: "Rempli", en: "Met" },
        /// The situation does not meet the criterion.
        Unmet => "unmet" { fr: "Non rempli", en: "Not met" },
        /// Data the criterion needs is missing.
        Unknown => "unknown" { fr: "À vérifier (donnée manquante)", en: "Unknown (data missing)" },
    }
}

crate::coded_enum! {
    /// Whether a person may apply for a scheme, from its criteria.
    pub enum MatchResult in "match_result" {
        /// Every criterion is met.
        Eligible => "eligible" { fr: "Éligible", en: "Eligible" },
        /// No criterion is unmet but some data is missing.
        ToCheck => "to_check" { fr: "À vérifier", en: "To check" },
        /// At least one criterion is not met.
        NotEligible => "not_eligible" { fr: "Non éligible", en: "Not eligible" },
    }
}

crate::coded_enum! {
    /// A part of the person's situation a criterion may need.
    pub enum SituationData in "situation_data" {
        /// The person's birth date (for the age).
        BirthDate => "birth_date" { fr: "Date de naissance", en: "Birth date" },
        /// The household's composition.
        Household => "household" { fr: "Composition du foyer", en: "Household composition" },
        /// The monthly budget (resources).
        Budget => "budget" { fr: "Budget (ressources)", en: "Budget (resources)" },
        /// The postcode of the person's address.
        Postcode => "postcode" { fr: "Code postal de l'adresse", en: "Address postcode" },
        /// The household's housing situation.
        HousingStatus => "housing_status" { fr: "Situation de logement", en: "Housing situation" },
        /// The person's employment situation.
        EmploymentStatus => "employment_status" {
            fr: "Situation d'emploi",
            en: "Employment situation"
        },
        /// The recognition of a disability and its rate.
        Disability => "disability" {
            fr: "Reconnaissance du handicap et taux",
            en: "Disability recognition and rate"
        },
        /// The household's debts (a recorded budget).
        Debts => "debts" { fr: "Dettes du foyer (budget)", en: "Household debts (budget)" },
        /// The person's legal protection measure.
        LegalProtection => "legal_protection" {
            fr: "Mesure de protection juridique",
            en: "Legal protection measure"
        },
    }
}

/// A problem with a criterion (or a required document) given as JSON: where, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// JSON pointer (RFC 6901) to the faulty value, relative to the parsed value.
    pub pointer: String,
    /// Stable machine code, e.g. `out_of_range`.
    pub code: &'static str,
    /// Human-readable explanation.
    pub message: String,
}

impl Issue {
    fn new(pointer: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            code,
            message: message.into(),
        }
    }

    /// The same issue under `prefix`, e.g. `/criteria` + `/0/max_cents`.
    pub fn under(mut self, prefix: &str) -> Self {
        self.pointer = format!("{prefix}{}", self.pointer);
        self
    }
}

/// What a ceiling table is indexed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// `max_cents_by_household_size`: `[0]` for one person, `[1]` for two…; beyond the table,
    /// `additional_member_cents` per extra member.
    HouseholdSize,
    /// `max_cents_by_dependent_children`: `[0]` without a dependent child, `[1]` with one…;
    /// beyond the table, `additional_child_cents` per extra child.
    DependentChildren,
}

impl Scale {
    /// The JSON names of the table and of its increment.
    pub fn fields(self) -> (&'static str, &'static str) {
        match self {
            Scale::HouseholdSize => ("max_cents_by_household_size", "additional_member_cents"),
            Scale::DependentChildren => {
                ("max_cents_by_dependent_children", "additional_child_cents")
            }
        }
    }

    /// The name of the household figure the table is indexed by, in `expected`.
    fn figure(self) -> &'static str {
        match self {
            Scale::HouseholdSize => "household_size",
            Scale::DependentChildren => "dependent_children",
        }
    }

    /// The household's figure for this scale, and the table index it reads.
    fn position(self, household: HouseholdFacts) -> (u32, usize) {
        let (figure, index) = match self {
            Scale::HouseholdSize => (household.members, household.members.max(1) - 1),
            Scale::DependentChildren => {
                (household.dependent_children, household.dependent_children)
            }
        };
        (figure, usize::try_from(index).unwrap_or(usize::MAX))
    }
}

/// A monthly resources ceiling: one amount, or a table by household size or by number of
/// dependent children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ceiling {
    /// The same ceiling whatever the household (`max_cents`).
    Flat(i64),
    /// One amount per household size or number of children; beyond the table, the last entry
    /// plus the increment per extra member or child (or the last entry alone).
    Table {
        scale: Scale,
        amounts: Vec<i64>,
        additional_cents: Option<i64>,
    },
}

impl Ceiling {
    /// The ceiling for this household.
    pub fn for_household(&self, household: HouseholdFacts) -> i64 {
        match self {
            Ceiling::Flat(max) => *max,
            Ceiling::Table {
                scale,
                amounts,
                additional_cents,
            } => {
                let (_, index) = scale.position(household);
                match amounts.get(index) {
                    Some(max) => *max,
                    None => {
                        let last = amounts.last().copied().unwrap_or(0);
                        let extra = index.saturating_sub(amounts.len().saturating_sub(1));
                        let extra = i64::try_from(extra).unwrap_or(i64::MAX);
                        last.saturating_add(additional_cents.unwrap_or(0).saturating_mul(extra))
                    }
                }
            }
        }
    }

    /// Whether the ceiling depends on the household's composition.
    pub fn needs_household(&self) -> bool {
        matches!(self, Ceiling::Table { .. })
    }
}

/// What a criterion requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// `min ≤ age ≤ max`, in whole years; at least one bound.
    Age { min: Option<u32>, max: Option<u32> },
    /// Bounds (inclusive) on the household's size (the person included) and on its dependent
    /// children; at least one bound.
    Household {
        min_members: Option<u32>,
        max_members: Option<u32>,
        min_dependent_children: Option<u32>,
        max_dependent_children: Option<u32>,
    },
    /// Monthly resources on `basis` at most the ceiling.
    ResourcesCeiling {
        basis: ResourcesBasis,
        ceiling: Ceiling,
    },
    /// The address postcode starts with one of the prefixes (1 to 5 digits).
    PostcodePrefix { prefixes: Vec<String> },
    /// The housing situation is one of these.
    Housing { any_of: Vec<HousingStatus> },
    /// The employment situation is one of these.
    Employment { any_of: Vec<EmploymentStatus> },
    /// A disability recognised (`yes`).
    DisabilityRecognised,
    /// A recognised disability of at least `min_percent` (1 to 100).
    DisabilityRateMin { min_percent: u32 },
    /// A debt of one of these kinds in the budget.
    DebtKinds { any_of: Vec<DebtKind> },
    /// A legal protection measure of one of these kinds.
    LegalProtection { any_of: Vec<LegalProtectionKind> },
}

impl Rule {
    /// The kind of this rule.
    pub fn kind(&self) -> CriterionKind {
        match self {
            Rule::Age { .. } => CriterionKind::Age,
            Rule::Household { .. } => CriterionKind::Household,
            Rule::ResourcesCeiling { .. } => CriterionKind::ResourcesCeiling,
            Rule::PostcodePrefix { .. } => CriterionKind::PostcodePrefix,
            Rule::Housing { .. } => CriterionKind::Housing,
            Rule::Employment { .. } => CriterionKind::Employment,
            Rule::DisabilityRecognised => CriterionKind::DisabilityRecognised,
            Rule::DisabilityRateMin { .. } => CriterionKind::DisabilityRateMin,
            Rule::DebtKinds { .. } => CriterionKind::DebtKinds,
            Rule::LegalProtection { .. } => CriterionKind::LegalProtection,
        }
    }
}

/// One eligibility criterion: a rule and an optional note for the worker (e.g. "ceiling of the
/// Rhône's FSL rules, adapt to your département").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Criterion {
    pub rule: Rule,
    pub note: Option<String>,
}

impl Criterion {
    /// A criterion without a note.
    pub fn new(rule: Rule) -> Self {
        Self { rule, note: None }
    }

    /// The JSON form, as stored and answered (the form [`parse_criterion`] reads).
    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        object.insert("kind".into(), json!(self.rule.kind().code()));
        match &self.rule {
            Rule::Age { min, max } => {
                object.insert("min".into(), json!(min));
                object.insert("max".into(), json!(max));
            }
            Rule::Household {
                min_members,
                max_members,
                min_dependent_children,
                max_dependent_children,
            } => {
                object.insert("min_members".into(), json!(min_members));
                object.insert("max_members".into(), json!(max_members));
                object.insert(
                    "min_dependent_children".into(),
                    json!(min_dependent_children),
                );
                object.insert(
                    "max_dependent_children".into(),
                    json!(max_dependent_children),
                );
            }
            Rule::ResourcesCeiling { basis, ceiling } => {
                object.insert("basis".into(), json!(basis.code()));
                ceiling_json(ceiling, &mut object);
            }
            Rule::PostcodePrefix { prefixes } => {
                object.insert("prefixes".into(), json!(prefixes));
            }
            Rule::Housing { any_of } => {
                object.insert("any_of".into(), codes_json(any_of));
            }
            Rule::Employment { any_of } => {
                object.insert("any_of".into(), codes_json(any_of));
            }
            Rule::DisabilityRecognised => {}
            Rule::DisabilityRateMin { min_percent } => {
                object.insert("min_percent".into(), json!(min_percent));
            }
            Rule::DebtKinds { any_of } => {
                object.insert("any_of".into(), codes_json(any_of));
            }
            Rule::LegalProtection { any_of } => {
                object.insert("any_of".into(), codes_json(any_of));
            }
        }
        if let Some(note) = &self.note {
            object.insert("note".into(), json!(note));
        }
        Value::Object(object)
    }
}

fn ceiling_json(ceiling: &Ceiling, object: &mut Map<String, Value>) {
    match ceiling {
        Ceiling::Flat(max) => {
            object.insert("max_cents".into(), json!(max));
        }
        Ceiling::Table {
            scale,
            amounts,
            additional_cents,
        } => {
            let (table, additional) = scale.fields();
            object.insert(table.into(), json!(amounts));
            object.insert(additional.into(), json!(additional_cents));
        }
    }
}

fn codes_json<T: Coded>(codes: &[T]) -> Value {
    Value::Array(codes.iter().map(|c| json!(c.code())).collect())
}

impl Serialize for Criterion {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

#[path = "eligibility_parse.rs"]
mod parse;

pub use parse::{parse_criteria, parse_criterion};

impl<'de> Deserialize<'de> for Criterion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        parse_criterion(&value).map_err(|issues| {
            let issue = issues.first();
            D::Error::custom(match issue {
                Some(i) => format!("{} at {}", i.message, i.pointer),
                None => "invalid criterion".to_owned(),
            })
        })
    }
}

/// The household's composition as the criteria see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HouseholdFacts {
    /// Persons in the household, the person included (at least 1).
    pub members: u32,
    /// Dependent children (enfants à charge).
    pub dependent_children: u32,
}

/// The monthly resources as the criteria see them, in cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceFacts {
    /// The household's total monthly resources.
    pub total_cents: i64,
    /// Per consumption unit (needs the household's composition).
    pub per_consumption_unit_cents: Option<i64>,
    /// The CAF quotient familial (needs the household's composition).
    pub quotient_familial_cents: Option<i64>,
}

/// What is known of a person's situation; every part may be missing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Situation {
    /// Age in whole years on the day of the evaluation.
    pub age_years: Option<u32>,
    pub household: Option<HouseholdFacts>,
    pub resources: Option<ResourceFacts>,
    /// The address postcode (spaces are ignored).
    pub postcode: Option<String>,
    pub housing: Option<HousingStatus>,
    pub employment: Option<EmploymentStatus>,
    /// The recognition of a disability (and its rate), when one is recorded.
    pub disability: Option<Disability>,
    /// The kinds of the debts with something still owed, in [`DebtKind`] order without
    /// repeats, when a budget is recorded (empty: it lists none).
    pub debt_kinds: Option<Vec<DebtKind>>,
    /// The legal protection measure, when one is recorded (`None` does not mean "none").
    pub legal_protection: Option<LegalProtectionKind>,
}

/// The result of one criterion, with the values compared.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CriterionOutcome {
    /// The criterion, as stored.
    pub criterion: Criterion,
    pub result: CriterionResult,
    /// What the criterion requires, resolved for this situation (e.g. the ceiling for the
    /// household's size).
    pub expected: Value,
    /// The situation's value compared, or `null` when missing.
    pub actual: Value,
    /// The data to collect when the result is `unknown`.
    pub missing: Vec<SituationData>,
}

/// A scheme's criteria evaluated against a situation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Match {
    pub result: MatchResult,
    /// One outcome per criterion, in the scheme's order.
    pub criteria: Vec<CriterionOutcome>,
    /// The data missing to decide (for `to_check`), in reference order, without repeats.
    pub missing: Vec<SituationData>,
}

/// Evaluates every criterion against the situation: any unmet makes the scheme
/// `not_eligible`, else any unknown makes it `to_check`, else it is `eligible`.
pub fn evaluate(criteria: &[Criterion], situation: &Situation) -> Match {
    let outcomes: Vec<CriterionOutcome> = criteria
        .iter()
        .map(|criterion| evaluate_one(criterion, situation))
        .collect();
    let result = if outcomes.iter().any(|o| o.result == CriterionResult::Unmet) {
        MatchResult::NotEligible
    } else if outcomes
        .iter()
        .any(|o| o.result == CriterionResult::Unknown)
    {
        MatchResult::ToCheck
    } else {
        MatchResult::Eligible
    };
    let missing = SituationData::ALL
        .iter()
        .copied()
        .filter(|data| outcomes.iter().any(|o| o.missing.contains(data)))
        .collect();
    Match {
        result,
        criteria: outcomes,
        missing,
    }
}

fn within(value: u32, min: Option<u32>, max: Option<u32>) -> bool {
    min.is_none_or(|min| value >= min) && max.is_none_or(|max| value <= max)
}

fn met(yes: bool) -> CriterionResult {
    if yes {
        CriterionResult::Met
    } else {
        CriterionResult::Unmet
    }
}

/// Evaluates one criterion.
pub fn evaluate_one(criterion: &Criterion, situation: &Situation) -> CriterionOutcome {
    let mut missing = Vec::new();
    let (result, expected, actual) = match &criterion.rule {
        Rule::Age { min, max } => {
            let expected = json!({"min": min, "max": max});
            match situation.age_years {
                Some(age) => (met(within(age, *min, *max)), expected, json!(age)),
                None => {
                    missing.push(SituationData::BirthDate);
                    (CriterionResult::Unknown, expected, Value::Null)
                }
            }
        }
        Rule::Household {
            min_members,
            max_members,
            min_dependent_children,
            max_dependent_children,
        } => {
            let expected = json!({
                "min_members": min_members,
                "max_members": max_members,
                "min_dependent_children": min_dependent_children,
                "max_dependent_children": max_dependent_children,
            });
            match situation.household {
                Some(h) => (
                    met(within(h.members, *min_members, *max_members)
                        && within(
                            h.dependent_children,
                            *min_dependent_children,
                            *max_dependent_children,
                        )),
                    expected,
                    json!({"members": h.members, "dependent_children": h.dependent_children}),
                ),
                None => {
                    missing.push(SituationData::Household);
                    (CriterionResult::Unknown, expected, Value::Null)
                }
            }
        }
        Rule::ResourcesCeiling { basis, ceiling } => {
            resources(*basis, ceiling, situation, &mut missing)
        }
        Rule::PostcodePrefix { prefixes } => {
            let expected = json!({"prefixes": prefixes});
            match situation.postcode.as_deref() {
                Some(postcode) => {
                    let postcode: String =
                        postcode.chars().filter(|c| !c.is_whitespace()).collect();
                    let yes = prefixes.iter().any(|p| postcode.starts_with(p.as_str()));
                    (met(yes), expected, json!(postcode))
                }
                None => {
                    missing.push(SituationData::Postcode);
                    (CriterionResult::Unknown, expected, Value::Null)
                }
            }
        }
        Rule::Housing { any_of } => one_of(
            any_of,
            situation.housing,
            SituationData::HousingStatus,
            &mut missing,
        ),
        Rule::Employment { any_of } => one_of(
            any_of,
            situation.employment,
            SituationData::EmploymentStatus,
            &mut missing,
        ),
        Rule::DisabilityRecognised => {
            let expected = json!({"recognised": DisabilityRecognition::Yes.code()});
            let result = match situation.disability.map(|d| d.recognised) {
                Some(DisabilityRecognition::Yes) => CriterionResult::Met,
                Some(DisabilityRecognition::No) => CriterionResult::Unmet,
                Some(DisabilityRecognition::Pending | DisabilityRecognition::Unknown) | None => {
                    missing.push(SituationData::Disability);
                    CriterionResult::Unknown
                }
            };
            (result, expected, disability_json(situation.disability))
        }
        Rule::DisabilityRateMin { min_percent } => {
            let expected = json!({"min_percent": min_percent});
            let result = match situation.disability {
                Some(Disability {
                    recognised: DisabilityRecognition::No,
                    ..
                }) => CriterionResult::Unmet,
                Some(Disability {
                    recognised: DisabilityRecognition::Yes,
                    rate: Some(rate),
                }) if rate.floor_percent() >= *min_percent => CriterionResult::Met,
                Some(Disability {
                    recognised: DisabilityRecognition::Yes,
                    rate: Some(rate),
                }) if top_percent(rate) < *min_percent => CriterionResult::Unmet,
                // The minimum inside the band, no rate recorded, a pending or unknown
                // recognition, nothing recorded.
                _ => {
                    missing.push(SituationData::Disability);
                    CriterionResult::Unknown
                }
            };
            (result, expected, disability_json(situation.disability))
        }
        Rule::DebtKinds { any_of } => {
            let expected = json!({"any_of": codes_json(any_of)});
            match &situation.debt_kinds {
                Some(kinds) => (
                    met(kinds.iter().any(|k| any_of.contains(k))),
                    expected,
                    codes_json(kinds),
                ),
                None => {
                    missing.push(SituationData::Debts);
                    (CriterionResult::Unknown, expected, Value::Null)
                }
            }
        }
        Rule::LegalProtection { any_of } => one_of(
            any_of,
            situation.legal_protection,
            SituationData::LegalProtection,
            &mut missing,
        ),
    };
    CriterionOutcome {
        criterion: criterion.clone(),
        result,
        expected,
        actual,
        missing,
    }
}

/// The highest rate of a band, in percent.
fn top_percent(rate: DisabilityRate) -> u32 {
    match rate {
        DisabilityRate::Below50 => 49,
        DisabilityRate::From50To79 => 79,
        DisabilityRate::AtLeast80 => MAX_PERCENT,
    }
}

/// `{"recognised": "yes", "rate": "80_or_more"}`, or `null` when nothing is recorded.
fn disability_json(disability: Option<Disability>) -> Value {
    disability.map_or(
        Value::Null,
        |d| json!({"recognised": d.recognised.code(), "rate": d.rate.map(DisabilityRate::code)}),
    )
}

fn one_of<T: Coded + PartialEq>(
    any_of: &[T],
    actual: Option<T>,
    data: SituationData,
    missing: &mut Vec<SituationData>,
) -> (CriterionResult, Value, Value) {
    let expected = json!({"any_of": codes_json(any_of)});
    match actual {
        Some(value) => (met(any_of.contains(&value)), expected, json!(value.code())),
        None => {
            missing.push(data);
            (CriterionResult::Unknown, expected, Value::Null)
        }
    }
}

fn resources(
    basis: ResourcesBasis,
    ceiling: &Ceiling,
    situation: &Situation,
    missing: &mut Vec<SituationData>,
) -> (CriterionResult, Value, Value) {
    let household = situation.household;
    let amount = situation.resources.and_then(|r| match basis {
        ResourcesBasis::Total => Some(r.total_cents),
        ResourcesBasis::PerConsumptionUnit => r.per_consumption_unit_cents,
        ResourcesBasis::QuotientFamilial => r.quotient_familial_cents,
    });
    if household.is_none() && (ceiling.needs_household() || basis != ResourcesBasis::Total) {
        missing.push(SituationData::Household);
    }
    if situation.resources.is_none() {
        missing.push(SituationData::Budget);
    }
    let (expected, max) = match (ceiling, household) {
        (Ceiling::Flat(max), _) => (json!({"basis": basis.code(), "max_cents": max}), Some(*max)),
        (Ceiling::Table { scale, .. }, Some(h)) => {
            let max = ceiling.for_household(h);
            let (figure, _) = scale.position(h);
            (
                json!({"basis": basis.code(), "max_cents": max, scale.figure(): figure}),
                Some(max),
            )
        }
        (Ceiling::Table { .. }, None) => {
            let mut object = Map::new();
            object.insert("basis".into(), json!(basis.code()));
            ceiling_json(ceiling, &mut object);
            (Value::Object(object), None)
        }
    };
    match (amount, max) {
        (Some(amount), Some(max)) if missing.is_empty() => {
            (met(amount <= max), expected, json!(amount))
        }
        (amount, _) => {
            if missing.is_empty() {
                // A derived figure the budget could not give (e.g. no consumption unit).
                missing.push(SituationData::Household);
            }
            (CriterionResult::Unknown, expected, json!(amount))
        }
    }
}

#[cfg(test)]
#[path = "eligibility_tests.rs"]
mod tests;
