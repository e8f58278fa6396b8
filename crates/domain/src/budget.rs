//! The budget of a person's household (situation financière): monthly resources and charges
//! by kind, in cents, and the figures a worker derives from them ([`derive`]).
//!
//! All amounts are monthly, non-negative integer cents ([`MAX_AMOUNT_CENTS`] at most a line,
//! [`MAX_LINES`] lines a side), for the whole household: the person's resources and those of
//! the members living with them. Several lines may share a kind (two salaries, two loans);
//! a line may carry a short label.
//!
//! The budget also lists the household's debts ([`Debt`]: a kind, a creditor, what is still
//! owed and the agreed monthly repayment), at most [`MAX_LINES`], summed in
//! [`Derived::total_debt_cents`]. A debt's monthly repayment does **not** enter the reste à
//! vivre: the charges already have `debt_repayments` (payment plans, over-indebtedness plan) and
//! `loans` (consumer credit, mortgage), and the monthly outflow is recorded there once, as on
//! the budget sheets of social services, where the debts table (the *passif*) sits beside the
//! charges and the repayments appear among the charges. Counting the debts' repayments as well
//! would subtract them twice from every budget that already records them as charges.
//!
//! Every division in [`derive`] rounds **down** (toward negative infinity), so a figure never
//! shows more money than there is: 1 000,01 € over 30 days is 33,33 €, and a deficit of
//! 100 € over 30 days is −3,34 € a day.

use crate::household::{self, ConsumptionUnits, Household, QfParts};
use crate::refusal::Refusal;
use chrono::NaiveDate;

crate::coded_enum! {
    /// A kind of monthly resource.
    pub enum ResourceKind in "resource_kind" {
        /// Net wages (and self-employed income, monthly).
        Salary => "salary" { fr: "Salaire ou revenu d'activité", en: "Salary or earned income" },
        /// Unemployment benefit (ARE, ASS…).
        UnemploymentBenefit => "unemployment_benefit" {
            fr: "Allocation chômage",
            en: "Unemployment benefit"
        },
        /// Revenu de solidarité active.
        Rsa => "rsa" { fr: "RSA", en: "RSA (minimum income)" },
        /// Prime d'activité: the in-work top-up of low wages, paid by the CAF or the MSA, one of
        /// the most common resources of the people supported.
        PrimeActivite => "prime_activite" { fr: "Prime d'activité", en: "In-work benefit (prime d'activité)" },
        /// Family allowances and other family benefits (AF, CF, PAJE, ASF…).
        FamilyAllowances => "family_allowances" {
            fr: "Prestations familiales",
            en: "Family allowances"
        },
        /// Housing allowance (APL, ALF, ALS), when paid to the household.
        HousingAllowance => "housing_allowance" { fr: "Aide au logement", en: "Housing allowance" },
        /// Retirement or invalidity pension (including the ASPA).
        Pension => "pension" { fr: "Pension de retraite ou d'invalidité", en: "Pension" },
        /// Allocation aux adultes handicapés.
        Aah => "aah" { fr: "AAH", en: "Disabled adult allowance (AAH)" },
        /// Alimony received (pension alimentaire, contribution to the children's upkeep), paid
        /// by the other parent or through the ARIPA.
        AlimonyReceived => "alimony_received" {
            fr: "Pension alimentaire reçue",
            en: "Alimony received"
        },
        /// Anything else: daily sickness allowances, grants…
        Other => "other" { fr: "Autre ressource", en: "Other resource" },
    }
}

crate::coded_enum! {
    /// A kind of monthly charge.
    ///
    /// Beyond the six kinds of DOMAIN.md, water, telecom, transport and childcare are lines of
    /// their own on the budget sheets of CCAS and of the Banque de France's over-indebtedness
    /// files, and schemes target them apart (the FSL has energy and water funds; childcare
    /// weighs on the reste à vivre of single parents).
    pub enum ChargeKind in "charge_kind" {
        /// Rent (or the rent left to pay after a housing allowance paid to the landlord), with
        /// its service charges.
        Rent => "rent" { fr: "Loyer et charges locatives", en: "Rent" },
        /// Electricity, gas, heating fuel.
        Energy => "energy" { fr: "Énergie (électricité, gaz, chauffage)", en: "Energy" },
        /// Water, when billed to the household.
        Water => "water" { fr: "Eau", en: "Water" },
        /// Home, car and complementary health insurance.
        Insurance => "insurance" { fr: "Assurances et mutuelle", en: "Insurance" },
        /// Telephone and internet.
        Telecom => "telecom" { fr: "Téléphone et internet", en: "Phone and internet" },
        /// Public transport, fuel, car costs.
        Transport => "transport" { fr: "Transport", en: "Transport" },
        /// Childcare, school canteen.
        Childcare => "childcare" { fr: "Garde d'enfants et cantine", en: "Childcare" },
        /// Monthly payments of current loans (consumer credit, mortgage).
        Loans => "loans" { fr: "Crédits en cours", en: "Loan payments" },
        /// Repayments of debts and arrears (payment plans, over-indebtedness plan).
        DebtRepayments => "debt_repayments" {
            fr: "Remboursement de dettes",
            en: "Debt repayments"
        },
        /// Alimony paid to a former partner or for children who do not live in the household.
        AlimonyPaid => "alimony_paid" { fr: "Pension alimentaire versée", en: "Alimony paid" },
        /// Anything else: taxes…
        Other => "other" { fr: "Autre charge", en: "Other charge" },
    }
}

crate::coded_enum! {
    /// What a debt is owed for: the headings of the debts table of a budget sheet (and of the
    /// Banque de France's over-indebtedness file), the ones schemes target (the FSL's rent
    /// arrears and energy and water funds).
    pub enum DebtKind in "debt_kind" {
        /// Unpaid rent and service charges (dette locative).
        RentArrears => "rent_arrears" { fr: "Dette de loyer", en: "Rent arrears" },
        /// Unpaid electricity, gas or heating bills.
        Energy => "energy" { fr: "Dette d'énergie", en: "Energy debt" },
        /// Unpaid water bills.
        Water => "water" { fr: "Dette d'eau", en: "Water debt" },
        /// Unpaid telephone or internet bills.
        Telecom => "telecom" { fr: "Dette de téléphone ou internet", en: "Phone or internet debt" },
        /// Consumer credit, revolving credit, overdraft: the capital still owed.
        ConsumerCredit => "consumer_credit" {
            fr: "Crédit à la consommation",
            en: "Consumer credit"
        },
        /// Taxes (income tax, council tax…).
        Tax => "tax" { fr: "Dette fiscale (impôts, taxes)", en: "Tax debt" },
        /// Fines and legal costs.
        Fines => "fines" { fr: "Amendes", en: "Fines" },
        /// Hospital bills and other health costs.
        Health => "health" { fr: "Dette de santé (hôpital, soins)", en: "Health debt" },
        /// Anything else: an overpayment to repay to the CAF, a canteen, a private loan…
        Other => "other" { fr: "Autre dette", en: "Other debt" },
    }
}

/// Most lines of each side (resources, charges), and most debts.
pub const MAX_LINES: usize = 30;

/// Largest amount of one line: 100 000 € a month. Anything above is a typing error in the
/// budget of a household in social support, and the bound keeps every sum far from overflow.
pub const MAX_AMOUNT_CENTS: i64 = 10_000_000;

/// Longest label of a line, in characters.
pub const MAX_LABEL_CHARS: usize = 200;

/// The day convention of [`Derived::remaining_per_day_cents`]: a month counts 30 days, as in
/// the budget sheets of social services (and the banks' 30/360 convention).
pub const DAYS_PER_MONTH: i64 = 30;

/// One line of a budget: a kind, a monthly amount in cents, an optional label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetLine<K> {
    /// What the money is.
    pub kind: K,
    /// Monthly amount in cents, 0 to [`MAX_AMOUNT_CENTS`].
    pub amount_cents: i64,
    /// Who or what, in the worker's words ("Salaire de M.", "Pension alimentaire").
    pub label: Option<String>,
}

/// A resource line.
pub type ResourceLine = BudgetLine<ResourceKind>;
/// A charge line.
pub type ChargeLine = BudgetLine<ChargeKind>;

/// A debt of the household: what it owes, to whom, and what it repays each month.
///
/// The monthly repayment is what was agreed (a payment plan, an over-indebtedness plan), 0
/// without one. It is **not** a charge of the budget: what the household actually pays each
/// month is a charge line (`debt_repayments`, or `loans` for a consumer credit), so that it
/// counts once in the reste à vivre ([`derive`]); the debt says what it repays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Debt {
    /// What the debt is owed for.
    pub kind: DebtKind,
    /// To whom, in the worker's words ("EDF", "Office HLM", "Trésor public").
    pub creditor: Option<String>,
    /// What is still owed, in cents, 0 to [`MAX_AMOUNT_CENTS`].
    pub amount_owed_cents: i64,
    /// The agreed monthly repayment, in cents, 0 to [`MAX_AMOUNT_CENTS`] (0: no plan).
    pub monthly_repayment_cents: i64,
}

/// The monthly budget of the household, and its debts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Budget {
    /// Monthly resources, in the order given.
    pub resources: Vec<ResourceLine>,
    /// Monthly charges, in the order given.
    pub charges: Vec<ChargeLine>,
    /// Debts, in the order given, at most [`MAX_LINES`].
    pub debts: Vec<Debt>,
}

/// One side of a budget, to point at its lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// `resources`.
    Resources,
    /// `charges`.
    Charges,
    /// `debts`.
    Debts,
}

impl Side {
    /// The field of the side in the budget document.
    pub fn field(self) -> &'static str {
        match self {
            Side::Resources => "resources",
            Side::Charges => "charges",
            Side::Debts => "debts",
        }
    }
}

/// What is wrong with a budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BudgetError {
    /// More than [`MAX_LINES`] lines on one side.
    #[error("a budget has at most {MAX_LINES} lines of each side")]
    TooManyLines {
        /// The side at fault.
        side: Side,
    },
    /// A negative amount, or one above [`MAX_AMOUNT_CENTS`].
    #[error("an amount is between 0 and {MAX_AMOUNT_CENTS} cents a month")]
    AmountOutOfRange {
        /// The side of the line.
        side: Side,
        /// The line at fault.
        index: usize,
    },
    /// A debt's amount owed or monthly repayment, negative or above [`MAX_AMOUNT_CENTS`].
    #[error("a debt's amount is between 0 and {MAX_AMOUNT_CENTS} cents")]
    DebtAmountOutOfRange {
        /// The debt at fault.
        index: usize,
        /// `amount_owed_cents` or `monthly_repayment_cents`.
        field: &'static str,
    },
    /// A creditor longer than [`MAX_LABEL_CHARS`].
    #[error("a creditor has at most {MAX_LABEL_CHARS} characters")]
    CreditorTooLong {
        /// The debt at fault.
        index: usize,
    },
    /// A label longer than [`MAX_LABEL_CHARS`].
    #[error("a label has at most {MAX_LABEL_CHARS} characters")]
    LabelTooLong {
        /// The side of the line.
        side: Side,
        /// The line at fault.
        index: usize,
    },
}

impl BudgetError {
    /// The JSON pointer of the field at fault, inside the budget document.
    pub fn pointer(self) -> String {
        match self {
            BudgetError::TooManyLines { side } => format!("/{}", side.field()),
            BudgetError::AmountOutOfRange { side, index } => {
                format!("/{}/{index}/amount_cents", side.field())
            }
            BudgetError::LabelTooLong { side, index } => {
                format!("/{}/{index}/label", side.field())
            }
            BudgetError::DebtAmountOutOfRange { index, field } => format!("/debts/{index}/{field}"),
            BudgetError::CreditorTooLong { index } => format!("/debts/{index}/creditor"),
        }
    }
}

impl Refusal for BudgetError {
    fn code(&self) -> &'static str {
        match self {
            BudgetError::TooManyLines { .. } => "too_many",
            BudgetError::AmountOutOfRange { .. } | BudgetError::DebtAmountOutOfRange { .. } => {
                "out_of_range"
            }
            BudgetError::LabelTooLong { .. } | BudgetError::CreditorTooLong { .. } => "too_long",
        }
    }

    fn sentence_fr(&self) -> String {
        match self {
            BudgetError::TooManyLines { .. } => format!(
                "un budget compte au plus {MAX_LINES} lignes de ressources, {MAX_LINES} lignes \
                 de charges et {MAX_LINES} dettes"
            ),
            BudgetError::AmountOutOfRange { .. } => {
                format!("un montant est compris entre 0 et {MAX_AMOUNT_CENTS} centimes par mois")
            }
            BudgetError::LabelTooLong { .. } => {
                format!("un libellé compte au plus {MAX_LABEL_CHARS} caractères")
            }
            BudgetError::DebtAmountOutOfRange { .. } => {
                format!("le montant d'une dette est compris entre 0 et {MAX_AMOUNT_CENTS} centimes")
            }
            BudgetError::CreditorTooLong { .. } => {
                format!("un créancier compte au plus {MAX_LABEL_CHARS} caractères")
            }
        }
    }
}

fn check_side<K>(side: Side, lines: &[BudgetLine<K>], errors: &mut Vec<BudgetError>) {
    if lines.len() > MAX_LINES {
        errors.push(BudgetError::TooManyLines { side });
    }
    for (index, line) in lines.iter().enumerate() {
        if !(0..=MAX_AMOUNT_CENTS).contains(&line.amount_cents) {
            errors.push(BudgetError::AmountOutOfRange { side, index });
        }
        if line
            .label
            .as_deref()
            .is_some_and(|l| l.chars().count() > MAX_LABEL_CHARS)
        {
            errors.push(BudgetError::LabelTooLong { side, index });
        }
    }
}

fn check_debts(debts: &[Debt], errors: &mut Vec<BudgetError>) {
    if debts.len() > MAX_LINES {
        errors.push(BudgetError::TooManyLines { side: Side::Debts });
    }
    for (index, debt) in debts.iter().enumerate() {
        for (field, amount) in [
            ("amount_owed_cents", debt.amount_owed_cents),
            ("monthly_repayment_cents", debt.monthly_repayment_cents),
        ] {
            if !(0..=MAX_AMOUNT_CENTS).contains(&amount) {
                errors.push(BudgetError::DebtAmountOutOfRange { index, field });
            }
        }
        if debt
            .creditor
            .as_deref()
            .is_some_and(|c| c.chars().count() > MAX_LABEL_CHARS)
        {
            errors.push(BudgetError::CreditorTooLong { index });
        }
    }
}

/// Every problem of `budget`, resources first, then charges, then debts (empty when
/// acceptable).
pub fn check(budget: &Budget) -> Vec<BudgetError> {
    let mut errors = Vec::new();
    check_side(Side::Resources, &budget.resources, &mut errors);
    check_side(Side::Charges, &budget.charges, &mut errors);
    check_debts(&budget.debts, &mut errors);
    errors
}

/// The figures derived from a budget and the household's composition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Derived {
    /// Sum of the resources, cents a month.
    pub total_resources_cents: i64,
    /// Sum of the charges, cents a month.
    pub total_charges_cents: i64,
    /// *Reste à vivre*: resources − charges, cents a month (negative when charges exceed
    /// resources). The debts' repayments are not subtracted again: what the household pays
    /// each month on its debts is a charge line (see [`Debt`]).
    pub remaining_cents: i64,
    /// The reste à vivre a day: `remaining_cents / 30` ([`DAYS_PER_MONTH`]), rounded down.
    pub remaining_per_day_cents: i64,
    /// Consumption units of the household (OECD-modified scale; 1 without a household).
    pub consumption_units: ConsumptionUnits,
    /// The reste à vivre per consumption unit: `remaining_cents / units`, rounded down.
    pub remaining_per_unit_cents: i64,
    /// The reste à vivre per consumption unit and per day: `remaining_cents / units / 30`,
    /// rounded down once (computed as `remaining_cents × 10 / (tenths × 30)`).
    pub remaining_per_unit_per_day_cents: i64,
    /// Resources per consumption unit (the *niveau de vie* a month): `total_resources_cents /
    /// units`, rounded down. Eligibility ceilings "per consumption unit" compare to this.
    pub resources_per_unit_cents: i64,
    /// Parts of the CAF quotient familial ([`household::caf_parts`]; 1 without a household).
    pub quotient_familial_parts: QfParts,
    /// The CAF quotient familial: `total_resources_cents / parts`, rounded down.
    ///
    /// The CAF divides (annual taxable income before its abatements / 12 + the monthly
    /// benefits) by the parts. A budget holds current monthly amounts, so every resource line
    /// counts: the earned and replacement incomes (salary, unemployment benefit, pension,
    /// other) stand in for the taxable income / 12, and the benefits (RSA, prime d'activité,
    /// family and housing allowances, AAH) are the monthly benefits. It is an estimate for
    /// orientation: the figure the CAF computed (on the person's CAF account) prevails.
    pub quotient_familial_cents: i64,
    /// Sum of the amounts still owed on the debts, in cents (not monthly).
    pub total_debt_cents: i64,
}

/// `numerator / denominator` rounded down (toward negative infinity), saturated to `i64`;
/// `denominator` is positive.
fn floor_div(numerator: i128, denominator: i128) -> i64 {
    let quotient = numerator.div_euclid(denominator.max(1));
    i64::try_from(quotient).unwrap_or(if quotient < 0 { i64::MIN } else { i64::MAX })
}

fn total<K>(lines: &[BudgetLine<K>]) -> i128 {
    lines.iter().map(|l| i128::from(l.amount_cents)).sum()
}

fn saturate(value: i128) -> i64 {
    i64::try_from(value).unwrap_or(if value < 0 { i64::MIN } else { i64::MAX })
}

/// The derived figures of `budget` for `household` (none recorded: the person counts alone,
/// 1 unit and 1 part), ages taken on `today`. Every division rounds down (see the module).
pub fn derive(budget: &Budget, household: Option<&Household>, today: NaiveDate) -> Derived {
    let (units, parts) = match household {
        Some(h) => (
            household::consumption_units(&h.members, today),
            household::caf_parts(h),
        ),
        None => (ConsumptionUnits::ALONE, QfParts::SINGLE),
    };
    let resources = total(&budget.resources);
    let charges = total(&budget.charges);
    let remaining = resources - charges;
    let tenths = i128::from(units.tenths());
    let halves = i128::from(parts.halves());
    Derived {
        total_resources_cents: saturate(resources),
        total_charges_cents: saturate(charges),
        remaining_cents: saturate(remaining),
        remaining_per_day_cents: floor_div(remaining, i128::from(DAYS_PER_MONTH)),
        consumption_units: units,
        remaining_per_unit_cents: floor_div(remaining * 10, tenths),
        remaining_per_unit_per_day_cents: floor_div(
            remaining * 10,
            tenths * i128::from(DAYS_PER_MONTH),
        ),
        resources_per_unit_cents: floor_div(resources * 10, tenths),
        quotient_familial_parts: parts,
        quotient_familial_cents: floor_div(resources * 2, halves),
        total_debt_cents: saturate(
            budget
                .debts
                .iter()
                .map(|d| i128::from(d.amount_owed_cents))
                .sum(),
        ),
    }
}

#[cfg(test)]
#[path = "budget_tests.rs"]
mod tests;
