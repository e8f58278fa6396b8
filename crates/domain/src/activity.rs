//! The activity report (DAILY.md, "Activity report"): the figures a service owes its board and
//! funders over a period, computed from the counts the database keeps as rows are written (a
//! ledger of [`LedgerSum`]s per measure and dimension), with small counts suppressed
//! (PROTECTION.md, see [`crate::statistics`]).
//!
//! Every figure is one row: an [`Indicator`], a dimension (a code, or a scheme's or partner's
//! name; none for a total), a value, and whether it is suppressed.

use std::collections::BTreeMap;

use crate::agent::Civility;
use crate::application::ApplicationDecision;
use crate::case::{CaseOrigin, ClosureReason};
use crate::codes::Coded;
use crate::contact::{ContactKind, ContactStatus};
use crate::plan::{ItemStatus, Party};
use crate::reference::{Domain, LegalBasis};
use crate::referral::ReferralStatus;
use crate::statistics::{Sum, suppressed};

crate::coded_enum! {
    /// An age band, of a person on the first day of a stretch of support.
    pub enum AgeBand in "age_band" {
        Under18 => "under_18" { fr: "Moins de 18 ans", en: "Under 18" },
        From18To24 => "18_24" { fr: "18 à 24 ans", en: "18 to 24" },
        From25To34 => "25_34" { fr: "25 à 34 ans", en: "25 to 34" },
        From35To44 => "35_44" { fr: "35 à 44 ans", en: "35 to 44" },
        From45To54 => "45_54" { fr: "45 à 54 ans", en: "45 to 54" },
        From55To64 => "55_64" { fr: "55 à 64 ans", en: "55 to 64" },
        From65To74 => "65_74" { fr: "65 à 74 ans", en: "65 to 74" },
        From75 => "75_and_over" { fr: "75 ans et plus", en: "75 and over" },
    }
}

crate::coded_enum! {
    /// A household's composition, from its members' relationships to the person.
    pub enum HouseholdComposition in "household_composition" {
        /// No member recorded.
        Single => "single" { fr: "Personne seule", en: "Single" },
        /// A spouse or partner, no child.
        Couple => "couple" { fr: "Couple sans enfant", en: "Couple without children" },
        /// A spouse or partner and at least one child.
        CoupleWithChildren => "couple_with_children" { fr: "Couple avec enfant(s)", en: "Couple with children" },
        /// At least one child, no spouse or partner.
        SingleParent => "single_parent" { fr: "Famille monoparentale", en: "Single parent" },
        /// Other members only (parents, siblings, others).
        Other => "other" { fr: "Autre composition", en: "Other" },
    }
}

/// The dimension of what was not recorded (no household, no civility).
pub const UNKNOWN: &str = "unknown";

crate::coded_enum! {
    /// A figure of the activity report (what it counts: [`Indicator::definition`]). Totals have
    /// no dimension; the others say by what.
    pub enum Indicator in "activity_indicator" {
        PersonsSupported => "persons_supported" { fr: "Personnes accompagnées", en: "Persons supported" },
        PersonsByAgeBand => "persons_by_age_band" { fr: "Personnes accompagnées par tranche d'âge", en: "Persons supported by age band" },
        PersonsByHousehold => "persons_by_household" { fr: "Personnes accompagnées par composition familiale", en: "Persons supported by household" },
        PersonsByCivility => "persons_by_civility" { fr: "Personnes accompagnées par civilité", en: "Persons supported by civility" },
        CasesOpened => "cases_opened" { fr: "Accompagnements ouverts", en: "Cases opened" },
        CasesOpenedByOrigin => "cases_opened_by_origin" { fr: "Accompagnements ouverts par origine", en: "Cases opened by origin" },
        CasesClosed => "cases_closed" { fr: "Accompagnements clôturés", en: "Cases closed" },
        CasesClosedByOrigin => "cases_closed_by_origin" { fr: "Accompagnements clôturés par origine", en: "Cases closed by origin" },
        CasesActive => "cases_active" { fr: "Accompagnements actifs", en: "Cases active" },
        CasesActiveByOrigin => "cases_active_by_origin" { fr: "Accompagnements actifs par origine", en: "Cases active by origin" },
        ClosuresByReason => "closures_by_reason" { fr: "Clôtures par motif", en: "Closures by reason" },
        DurationMedianDays => "duration_median_days" { fr: "Durée médiane d'accompagnement (jours)", en: "Median duration (days)" },
        DurationP90Days => "duration_p90_days" { fr: "Durée d'accompagnement, 9e décile (jours)", en: "Duration, 90th percentile (days)" },
        FirstInterviewMedianDays => "first_interview_median_days" { fr: "Délai médian du premier contact au premier entretien (jours)", en: "Median days to first interview" },
        AgreementMedianDays => "agreement_median_days" { fr: "Délai médian du premier contact à l'accord sur le plan (jours)", en: "Median days to agreement" },
        NeedsByDomain => "needs_by_domain" { fr: "Besoins identifiés par domaine", en: "Needs by domain" },
        PlanItems => "plan_items" { fr: "Étapes du plan d'aide", en: "Plan items" },
        PlanItemsByParty => "plan_items_by_party" { fr: "Étapes par acteur", en: "Plan items by party" },
        PlanItemsByCategory => "plan_items_by_category" { fr: "Étapes par catégorie", en: "Plan items by category" },
        PlanItemsByStatus => "plan_items_by_status" { fr: "Étapes par statut", en: "Plan items by status" },
        PlanItemsDonePercent => "plan_items_done_percent" { fr: "Étapes réalisées (%)", en: "Plan items done (%)" },
        PlanItemsOverdue => "plan_items_overdue" { fr: "Étapes en retard", en: "Plan items overdue" },
        Contacts => "contacts" { fr: "Contacts", en: "Contacts" },
        ContactsByKind => "contacts_by_kind" { fr: "Contacts par type", en: "Contacts by kind" },
        ContactsByStatus => "contacts_by_status" { fr: "Contacts par statut", en: "Contacts by status" },
        GroupSessions => "group_sessions" { fr: "Séances collectives", en: "Group sessions" },
        GroupSessionAttendances => "group_session_attendances" { fr: "Participations aux séances collectives", en: "Group session attendances" },
        GroupSessionNoShows => "group_session_no_shows" { fr: "Absences aux séances collectives", en: "Group session no-shows" },
        ApplicationsSubmitted => "applications_submitted" { fr: "Demandes d'aide déposées", en: "Applications submitted" },
        ApplicationsSubmittedByScheme => "applications_submitted_by_scheme" { fr: "Demandes d'aide déposées par dispositif", en: "Applications submitted by scheme" },
        ApplicationsDecided => "applications_decided" { fr: "Demandes d'aide décidées", en: "Applications decided" },
        ApplicationsDecidedByScheme => "applications_decided_by_scheme" { fr: "Demandes d'aide décidées par dispositif", en: "Applications decided by scheme" },
        ApplicationsByDecision => "applications_by_decision" { fr: "Demandes d'aide par décision", en: "Applications by decision" },
        AmountRequestedCents => "amount_requested_cents" { fr: "Montant demandé (centimes)", en: "Amount requested (cents)" },
        AmountRequestedCentsByScheme => "amount_requested_cents_by_scheme" { fr: "Montant demandé par dispositif (centimes)", en: "Amount requested by scheme (cents)" },
        AmountGrantedCents => "amount_granted_cents" { fr: "Montant accordé (centimes)", en: "Amount granted (cents)" },
        AmountGrantedCentsByScheme => "amount_granted_cents_by_scheme" { fr: "Montant accordé par dispositif (centimes)", en: "Amount granted by scheme (cents)" },
        Referrals => "referrals" { fr: "Orientations reçues", en: "Referrals received" },
        ReferralsByPartner => "referrals_by_partner" { fr: "Orientations reçues par partenaire", en: "Referrals by partner" },
        ReferralsByOutcome => "referrals_by_outcome" { fr: "Orientations reçues par suite donnée", en: "Referrals by outcome" },
        LiaisonsSent => "liaisons_sent" { fr: "Fiches de liaison envoyées", en: "Liaisons sent" },
        LiaisonsByDestination => "liaisons_by_destination" { fr: "Fiches de liaison par destinataire", en: "Liaisons by destination" },
        LiaisonsByLegalBasis => "liaisons_by_legal_basis" { fr: "Fiches de liaison par base légale", en: "Liaisons by legal basis" },
    }
}

impl Indicator {
    /// What the figure counts, for the document and the workbook.
    pub const fn definition(self) -> &'static str {
        match self {
            Indicator::PersonsSupported => {
                "Persons with a case open at some time in the period (each stretch of support once)."
            }
            Indicator::PersonsByAgeBand => {
                "Persons supported, by age band on the first day of their support."
            }
            Indicator::PersonsByHousehold => {
                "Persons supported, by household composition (as recorded now)."
            }
            Indicator::PersonsByCivility => "Persons supported, by civility (as recorded now).",
            Indicator::CasesOpened => "Cases opened in the period.",
            Indicator::CasesOpenedByOrigin => "Cases opened in the period, by origin.",
            Indicator::CasesClosed => "Cases closed in the period.",
            Indicator::CasesClosedByOrigin => "Cases closed in the period, by origin.",
            Indicator::CasesActive => "Cases open at some time in the period.",
            Indicator::CasesActiveByOrigin => "Cases open at some time in the period, by origin.",
            Indicator::ClosuresByReason => "Cases closed in the period, by closure reason.",
            Indicator::DurationMedianDays => {
                "Median days from opening to closure of the cases closed in the period."
            }
            Indicator::DurationP90Days => {
                "The 90th percentile of the days from opening to closure of the cases closed in the period."
            }
            Indicator::FirstInterviewMedianDays => {
                "Median days from the first contact (the opening) to the first interview, of the first interviews held in the period."
            }
            Indicator::AgreementMedianDays => {
                "Median days from the first contact to the agreement (a case's first accepted proposal), of the agreements of the period."
            }
            Indicator::NeedsByDomain => {
                "Assessed domains needing action, assessed in the period, by domain."
            }
            Indicator::PlanItems => "Steps due in the period.",
            Indicator::PlanItemsByParty => "Steps due in the period, by party.",
            Indicator::PlanItemsByCategory => {
                "Steps due in the period, by category (`party.category`)."
            }
            Indicator::PlanItemsByStatus => "Steps due in the period, by status.",
            Indicator::PlanItemsDonePercent => {
                "Steps due in the period done, in percent of those not cancelled."
            }
            Indicator::PlanItemsOverdue => {
                "Steps due in the period before today still planned, in progress or blocked."
            }
            Indicator::Contacts => "Contacts of the period (held, or planned for a day of it).",
            Indicator::ContactsByKind => "Contacts of the period, by kind.",
            Indicator::ContactsByStatus => {
                "Contacts of the period, by status (held, cancelled, no-show, planned)."
            }
            Indicator::GroupSessions => "Group sessions held in the period.",
            Indicator::GroupSessionAttendances => "Participations in the period's group sessions.",
            Indicator::GroupSessionNoShows => "Expected participants who did not come.",
            Indicator::ApplicationsSubmitted => "Applications submitted in the period.",
            Indicator::ApplicationsSubmittedByScheme => {
                "Applications submitted in the period, by scheme."
            }
            Indicator::ApplicationsDecided => "Applications decided in the period.",
            Indicator::ApplicationsDecidedByScheme => {
                "Applications decided in the period, by scheme."
            }
            Indicator::ApplicationsByDecision => "Applications decided in the period, by decision.",
            Indicator::AmountRequestedCents => {
                "The need of the funding plans of the applications decided in the period, in cents."
            }
            Indicator::AmountRequestedCentsByScheme => "The amount requested, by scheme.",
            Indicator::AmountGrantedCents => {
                "The amounts granted by the applications decided in the period, in cents."
            }
            Indicator::AmountGrantedCentsByScheme => "The amount granted, by scheme.",
            Indicator::Referrals => "Referrals received in the period.",
            Indicator::ReferralsByPartner => "Referrals received in the period, by partner.",
            Indicator::ReferralsByOutcome => {
                "Referrals received in the period, by outcome (their status now)."
            }
            Indicator::LiaisonsSent => "Liaisons sent in the period.",
            Indicator::LiaisonsByDestination => {
                "Liaisons sent in the period, by destination (a partner, or `other`)."
            }
            Indicator::LiaisonsByLegalBasis => "Liaisons sent in the period, by legal basis.",
        }
    }
}

crate::coded_enum! {
    /// What a figure's value counts or measures.
    pub enum Unit in "figure_unit" {
        Persons => "persons" { fr: "Personnes", en: "Persons" },
        Cases => "cases" { fr: "Accompagnements", en: "Cases" },
        Days => "days" { fr: "Jours", en: "Days" },
        Needs => "needs" { fr: "Besoins", en: "Needs" },
        Items => "items" { fr: "Démarches", en: "Plan steps" },
        Percent => "percent" { fr: "Pourcentage", en: "Percent" },
        Contacts => "contacts" { fr: "Contacts", en: "Contacts" },
        Sessions => "sessions" { fr: "Séances collectives", en: "Group sessions" },
        Attendances => "attendances" { fr: "Présences", en: "Attendances" },
        Applications => "applications" { fr: "Demandes d'aide", en: "Applications" },
        Cents => "cents" { fr: "Centimes d'euro", en: "Euro cents" },
        Referrals => "referrals" { fr: "Orientations", en: "Referrals" },
        Liaisons => "liaisons" { fr: "Fiches de liaison", en: "Liaison sheets" },
    }
}

impl Indicator {
    /// What the figure's value is in.
    pub const fn unit(self) -> Unit {
        use Indicator::*;
        match self {
            PersonsSupported | PersonsByAgeBand | PersonsByHousehold | PersonsByCivility => {
                Unit::Persons
            }
            CasesOpened | CasesOpenedByOrigin | CasesClosed | CasesClosedByOrigin | CasesActive
            | CasesActiveByOrigin | ClosuresByReason => Unit::Cases,
            DurationMedianDays
            | DurationP90Days
            | FirstInterviewMedianDays
            | AgreementMedianDays => Unit::Days,
            NeedsByDomain => Unit::Needs,
            PlanItems | PlanItemsByParty | PlanItemsByCategory | PlanItemsByStatus
            | PlanItemsOverdue => Unit::Items,
            PlanItemsDonePercent => Unit::Percent,
            Contacts | ContactsByKind | ContactsByStatus => Unit::Contacts,
            GroupSessions => Unit::Sessions,
            GroupSessionAttendances | GroupSessionNoShows => Unit::Attendances,
            ApplicationsSubmitted
            | ApplicationsSubmittedByScheme
            | ApplicationsDecided
            | ApplicationsDecidedByScheme
            | ApplicationsByDecision => Unit::Applications,
            AmountRequestedCents
            | AmountRequestedCentsByScheme
            | AmountGrantedCents
            | AmountGrantedCentsByScheme => Unit::Cents,
            Referrals | ReferralsByPartner | ReferralsByOutcome => Unit::Referrals,
            LiaisonsSent | LiaisonsByDestination | LiaisonsByLegalBasis => Unit::Liaisons,
        }
    }
}

/// A figure's value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// A count, or an amount in cents.
    Whole(i64),
    /// Days (a median may fall between two days) or a percentage, to one decimal.
    Decimal(f64),
}

/// One figure of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub indicator: Indicator,
    /// What the figure counts by (a code, or a scheme's or partner's name); `None` for a total.
    pub dimension: Option<String>,
    /// `None` when suppressed, or when there is nothing to measure (a median of no case).
    pub value: Option<Value>,
    pub suppressed: bool,
}

/// The ledger's rows of one measure and dimension, summed over the days of interest (see
/// migration 33): those of the period, after it, from its first day on, ever (the day-less
/// rows), those of the period before `today`, and the amounts of the period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerSum {
    pub measure: String,
    pub dimension: String,
    pub in_period: i64,
    pub after_period: i64,
    pub since_start: i64,
    pub ever: i64,
    pub before_today: i64,
    pub amount: i64,
}

/// The ledger of a period, by measure and dimension, and the names of the schemes and partners
/// its dimensions name.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    sums: BTreeMap<(String, String), LedgerSum>,
    names: BTreeMap<String, String>,
}

impl Ledger {
    /// The ledger's sums; `names` gives the name shown for a dimension such as
    /// `scheme:<uuid>`.
    pub fn new(
        sums: impl IntoIterator<Item = LedgerSum>,
        names: impl IntoIterator<Item = (String, String)>,
    ) -> Self {
        let mut ledger = Ledger {
            sums: BTreeMap::new(),
            names: names.into_iter().collect(),
        };
        for s in sums {
            let e = ledger
                .sums
                .entry((s.measure.clone(), s.dimension.clone()))
                .or_insert_with(|| LedgerSum {
                    measure: s.measure.clone(),
                    dimension: s.dimension.clone(),
                    ..LedgerSum::default()
                });
            e.in_period += s.in_period;
            e.after_period += s.after_period;
            e.since_start += s.since_start;
            e.ever += s.ever;
            e.before_today += s.before_today;
            e.amount += s.amount;
        }
        ledger
    }

    fn get(&self, measure: &str, dimension: &str) -> LedgerSum {
        self.sums
            .get(&(measure.to_owned(), dimension.to_owned()))
            .cloned()
            .unwrap_or_default()
    }

    /// Counted in the period.
    fn flow(&self, measure: &str, dimension: &str) -> i64 {
        self.get(measure, dimension).in_period
    }

    /// The amounts of the period.
    fn amount(&self, measure: &str, dimension: &str) -> i64 {
        self.get(measure, dimension).amount
    }

    /// The ones (cases, stretches of support) begun by the period's last day and not ended
    /// before its first: ever − begun after − (ended ever − ended since its first day).
    fn stock(&self, measure: &str, dimension: &str) -> i64 {
        let ever = self.get(measure, dimension).ever;
        let begun_after = self
            .get(&format!("{measure}:start"), dimension)
            .after_period;
        let end = self.get(&format!("{measure}:end"), dimension);
        ever - begun_after - (end.ever - end.since_start)
    }

    /// What `count` (`Ledger::flow` or `Ledger::stock`) gives for `measure` in each dimension
    /// `{prefix}:{code}`, by code (in the codes' order).
    fn by(
        &self,
        count: fn(&Self, &str, &str) -> i64,
        measure: &str,
        prefix: &str,
        codes: impl Iterator<Item = String>,
    ) -> Vec<(String, i64)> {
        codes
            .map(|c| {
                let n = count(self, measure, &format!("{prefix}:{c}"));
                (c, n)
            })
            .collect()
    }

    /// The dimensions of `measure` starting with `prefix` (the part after it) counted in the
    /// period, in order.
    fn dimensions(&self, measure: &str, prefix: &str) -> Vec<String> {
        self.sums
            .iter()
            .filter(|((m, d), s)| m == measure && d.starts_with(prefix) && s.in_period != 0)
            .map(|((_, d), _)| d[prefix.len()..].to_owned())
            .collect()
    }

    /// The histogram of `measure` in the period: days → how many.
    fn days(&self, measure: &str) -> Vec<(i64, i64)> {
        let mut days: Vec<(i64, i64)> = self
            .sums
            .iter()
            .filter(|((m, _), s)| m == measure && s.in_period > 0)
            .filter_map(|((_, d), s)| {
                d.strip_prefix("days:")
                    .and_then(|v| v.parse().ok())
                    .map(|v| (v, s.in_period))
            })
            .collect();
        days.sort_unstable();
        days
    }

    /// The name shown for a dimension naming a scheme or partner.
    fn name(&self, prefix: &str, id: &str) -> String {
        self.names
            .get(&format!("{prefix}{id}"))
            .cloned()
            .unwrap_or_else(|| id.to_owned())
    }
}

/// The `p`-quantile (0 to 1) of a histogram of sorted values with their counts, interpolated
/// between the two nearest ranks (as PostgreSQL's `percentile_cont`); `None` when empty.
pub fn quantile(histogram: &[(i64, i64)], p: f64) -> Option<f64> {
    let n: i64 = histogram.iter().map(|&(_, c)| c).sum();
    if n == 0 {
        return None;
    }
    let rank = p * (n - 1) as f64;
    let lower = rank.floor() as i64;
    let frac = rank - lower as f64;
    let at = |k: i64| {
        let mut seen = 0;
        for &(v, c) in histogram {
            seen += c;
            if k < seen {
                return v;
            }
        }
        histogram.last().map_or(0, |&(v, _)| v)
    };
    let low = at(lower) as f64;
    let high = at((lower + 1).min(n - 1)) as f64;
    Some(round1(low + frac * (high - low)))
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// Builds the figures, then suppresses them. Cells that count persons, cases, needs,
/// applications, referrals or liaisons are suppressed when small; a breakdown that adds up to
/// its total is a sum the suppression keeps safe; an amount, a median or a percentile goes with
/// the count it is taken over. Contacts, steps and sessions are activity, not persons: never
/// suppressed.
struct Builder {
    figures: Vec<Figure>,
    /// Raw counts of the figures (0 where not a count).
    counts: Vec<i64>,
    /// Which figures are subject to suppression.
    protected: Vec<bool>,
    sums: Vec<Sum>,
    /// (figure, the count it follows): hidden when that count is.
    follows: Vec<(usize, usize)>,
    /// (figure, how many it is taken over): hidden when fewer than the threshold.
    taken_over: Vec<(usize, i64)>,
}

impl Builder {
    fn push(
        &mut self,
        indicator: Indicator,
        dimension: Option<String>,
        value: Option<Value>,
    ) -> usize {
        let count = match value {
            Some(Value::Whole(v)) => v,
            _ => 0,
        };
        let protected = !matches!(
            indicator.unit(),
            Unit::Items
                | Unit::Contacts
                | Unit::Sessions
                | Unit::Attendances
                | Unit::Percent
                | Unit::Days
                | Unit::Cents
        );
        self.figures.push(Figure {
            indicator,
            dimension,
            value,
            suppressed: false,
        });
        self.counts.push(count);
        self.protected.push(protected);
        self.figures.len() - 1
    }

    fn count(&mut self, indicator: Indicator, dimension: Option<String>, n: i64) -> usize {
        self.push(indicator, dimension, Some(Value::Whole(n)))
    }

    /// A total and its breakdown, which adds up to it.
    fn breakdown(
        &mut self,
        total: usize,
        indicator: Indicator,
        parts: impl IntoIterator<Item = (String, i64)>,
    ) -> Vec<usize> {
        let parts: Vec<usize> = parts
            .into_iter()
            .map(|(d, n)| self.count(indicator, Some(d), n))
            .collect();
        self.sums.push(Sum {
            parts: parts.clone(),
            total,
        });
        parts
    }

    fn finish(mut self, min_count: u32) -> Vec<Figure> {
        let cells: Vec<i64> = self
            .counts
            .iter()
            .zip(&self.protected)
            .map(|(&c, &p)| if p { c } else { 0 })
            .collect();
        let mut hidden = suppressed(&cells, &self.sums, min_count);
        for &(f, n) in &self.taken_over {
            if n >= 1 && n < i64::from(min_count) {
                hidden[f] = true;
            }
        }
        for &(f, count) in &self.follows {
            if hidden[count] {
                hidden[f] = true;
            }
        }
        for (figure, hide) in self.figures.iter_mut().zip(hidden) {
            if hide {
                figure.value = None;
                figure.suppressed = true;
            }
        }
        self.figures
    }
}

/// The codes of a coded list.
fn codes<T: Coded>() -> impl Iterator<Item = String> {
    T::ALL.iter().map(|c| c.code().to_owned())
}

/// The report's figures from the ledger of its period, counts of 1 to `min_count - 1`
/// suppressed (1 disables).
pub fn report(ledger: &Ledger, min_count: u32) -> Vec<Figure> {
    use Indicator::*;
    let mut b = Builder {
        figures: Vec::new(),
        counts: Vec::new(),
        protected: Vec::new(),
        sums: Vec::new(),
        follows: Vec::new(),
        taken_over: Vec::new(),
    };

    // Persons supported, in total and by age band, household and civility (each breakdown adds
    // up to the total; the ledger keeps no total of its own).
    let unknown = || [UNKNOWN.to_owned()];
    let by_civility = ledger.by(
        Ledger::stock,
        "person",
        "civility",
        codes::<Civility>().chain(unknown()),
    );
    let total = by_civility.iter().map(|(_, n)| n).sum();
    let persons = b.count(PersonsSupported, None, total);
    let by_band = ledger.by(
        Ledger::stock,
        "person",
        "age",
        codes::<AgeBand>().chain(unknown()),
    );
    b.breakdown(persons, PersonsByAgeBand, by_band);
    let households = codes::<HouseholdComposition>().chain(unknown());
    b.breakdown(
        persons,
        PersonsByHousehold,
        ledger.by(Ledger::stock, "person", "household", households),
    );
    b.breakdown(persons, PersonsByCivility, by_civility);

    // Cases opened, closed and active, by origin; closures by reason.
    let opened = ledger.by(Ledger::flow, "case:start", "origin", codes::<CaseOrigin>());
    let total = b.count(CasesOpened, None, opened.iter().map(|(_, n)| n).sum());
    b.breakdown(total, CasesOpenedByOrigin, opened);
    let closed = ledger.by(Ledger::flow, "case:end", "origin", codes::<CaseOrigin>());
    let closed_total = b.count(CasesClosed, None, closed.iter().map(|(_, n)| n).sum());
    b.breakdown(closed_total, CasesClosedByOrigin, closed);
    let active = ledger.by(Ledger::stock, "case", "origin", codes::<CaseOrigin>());
    let total = b.count(CasesActive, None, active.iter().map(|(_, n)| n).sum());
    b.breakdown(total, CasesActiveByOrigin, active);
    let reasons = ledger.by(
        Ledger::flow,
        "case:closure",
        "reason",
        codes::<ClosureReason>(),
    );
    b.breakdown(closed_total, ClosuresByReason, reasons);

    // Durations and delays: medians over the cases behind them.
    for (measure, indicators) in [
        (
            "case:duration",
            &[(DurationMedianDays, 0.5), (DurationP90Days, 0.9)][..],
        ),
        (
            "delay:first_interview",
            &[(FirstInterviewMedianDays, 0.5)][..],
        ),
        ("delay:agreement", &[(AgreementMedianDays, 0.5)][..]),
    ] {
        let histogram = ledger.days(measure);
        let over: i64 = histogram.iter().map(|&(_, c)| c).sum();
        for &(indicator, p) in indicators {
            let f = b.push(indicator, None, quantile(&histogram, p).map(Value::Decimal));
            b.taken_over.push((f, over));
        }
    }

    // Needs by domain (a case may have several: no total).
    for d in codes::<Domain>() {
        let n = ledger.flow("need", &format!("domain:{d}"));
        b.count(NeedsByDomain, Some(d), n);
    }

    // Plan items.
    let statuses = ledger.by(Ledger::flow, "item", "status", codes::<ItemStatus>());
    let items_total: i64 = statuses.iter().map(|(_, n)| n).sum();
    let items = b.count(PlanItems, None, items_total);
    let parties = ledger.by(Ledger::flow, "item", "party", codes::<Party>());
    b.breakdown(items, PlanItemsByParty, parties);
    let categories = Party::ALL.iter().flat_map(|&p| {
        crate::plan::categories_for(p)
            .iter()
            .map(move |c| format!("{}.{}", p.code(), c.code()))
    });
    let categories = ledger.by(Ledger::flow, "item", "category", categories);
    b.breakdown(items, PlanItemsByCategory, categories);
    let count_of = |s: ItemStatus| {
        statuses
            .iter()
            .find(|(c, _)| c == s.code())
            .map_or(0, |(_, n)| *n)
    };
    let done = count_of(ItemStatus::Done);
    let cancelled = count_of(ItemStatus::Cancelled);
    let overdue: i64 = [
        ItemStatus::Planned,
        ItemStatus::InProgress,
        ItemStatus::Blocked,
    ]
    .iter()
    .map(|s| {
        ledger
            .get("item", &format!("status:{}", s.code()))
            .before_today
    })
    .sum();
    b.breakdown(items, PlanItemsByStatus, statuses.clone());
    let settled = items_total - cancelled;
    b.push(
        PlanItemsDonePercent,
        None,
        (settled > 0).then(|| Value::Decimal(round1(100.0 * done as f64 / settled as f64))),
    );
    b.count(PlanItemsOverdue, None, overdue);

    // Contacts and group sessions.
    let kinds = ledger.by(Ledger::flow, "contact", "kind", codes::<ContactKind>());
    let contacts = b.count(Contacts, None, kinds.iter().map(|(_, n)| n).sum());
    b.breakdown(contacts, ContactsByKind, kinds);
    let statuses = ledger.by(Ledger::flow, "contact", "status", codes::<ContactStatus>());
    b.breakdown(contacts, ContactsByStatus, statuses);
    b.count(GroupSessions, None, ledger.flow("session", ""));
    b.count(
        GroupSessionAttendances,
        None,
        ledger.flow("session:held", ""),
    );
    b.count(
        GroupSessionNoShows,
        None,
        ledger.flow("session:no_show", ""),
    );

    // Applications: submitted by scheme; decided by scheme and decision, with amounts.
    let submitted: Vec<(String, i64)> = ledger
        .dimensions("application:submitted", "scheme:")
        .into_iter()
        .map(|id| {
            let n = ledger.flow("application:submitted", &format!("scheme:{id}"));
            (ledger.name("scheme:", &id), n)
        })
        .collect();
    let total = b.count(
        ApplicationsSubmitted,
        None,
        submitted.iter().map(|(_, n)| n).sum(),
    );
    b.breakdown(total, ApplicationsSubmittedByScheme, submitted);
    let schemes = ledger.dimensions("application:decided", "scheme:");
    let decided: Vec<(String, i64)> = schemes
        .iter()
        .map(|id| {
            let n = ledger.flow("application:decided", &format!("scheme:{id}"));
            (ledger.name("scheme:", id), n)
        })
        .collect();
    let decided_total = b.count(
        ApplicationsDecided,
        None,
        decided.iter().map(|(_, n)| n).sum(),
    );
    let by_scheme = b.breakdown(decided_total, ApplicationsDecidedByScheme, decided);
    let decisions = ledger.by(
        Ledger::flow,
        "application:decided",
        "decision",
        codes::<ApplicationDecision>(),
    );
    b.breakdown(decided_total, ApplicationsByDecision, decisions);
    // Amounts follow the counts of the applications they add up.
    let requested_count: i64 = schemes
        .iter()
        .map(|id| ledger.flow("application:requested", &format!("scheme:{id}")))
        .sum();
    for (measure, total_indicator, by_scheme_indicator) in [
        (
            "application:requested",
            AmountRequestedCents,
            AmountRequestedCentsByScheme,
        ),
        (
            "application:decided",
            AmountGrantedCents,
            AmountGrantedCentsByScheme,
        ),
    ] {
        let amounts: Vec<i64> = schemes
            .iter()
            .map(|id| ledger.amount(measure, &format!("scheme:{id}")))
            .collect();
        let f = b.push(
            total_indicator,
            None,
            Some(Value::Whole(amounts.iter().sum())),
        );
        b.follows.push((f, decided_total));
        if measure == "application:requested" {
            b.taken_over.push((f, requested_count));
        }
        for ((id, amount), &count) in schemes.iter().zip(amounts).zip(&by_scheme) {
            let f = b.push(
                by_scheme_indicator,
                Some(ledger.name("scheme:", id)),
                Some(Value::Whole(amount)),
            );
            b.follows.push((f, count));
        }
    }

    // Referrals by partner and outcome.
    let partners: Vec<(String, i64)> = ledger
        .dimensions("referral", "partner:")
        .into_iter()
        .map(|id| {
            let n = ledger.flow("referral", &format!("partner:{id}"));
            (ledger.name("partner:", &id), n)
        })
        .collect();
    let referrals = b.count(Referrals, None, partners.iter().map(|(_, n)| n).sum());
    b.breakdown(referrals, ReferralsByPartner, partners);
    let outcomes = ledger.by(
        Ledger::flow,
        "referral",
        "outcome",
        codes::<ReferralStatus>(),
    );
    b.breakdown(referrals, ReferralsByOutcome, outcomes);

    // Liaisons by destination and legal basis.
    let destinations: Vec<(String, i64)> = ledger
        .dimensions("liaison", "destination:")
        .into_iter()
        .map(|id| {
            let n = ledger.flow("liaison", &format!("destination:{id}"));
            let name = if id == "other" {
                id
            } else {
                ledger.name("partner:", &id)
            };
            (name, n)
        })
        .collect();
    let liaisons = b.count(
        LiaisonsSent,
        None,
        destinations.iter().map(|(_, n)| n).sum(),
    );
    b.breakdown(liaisons, LiaisonsByDestination, destinations);
    let bases = ledger.by(Ledger::flow, "liaison", "basis", codes::<LegalBasis>());
    b.breakdown(liaisons, LiaisonsByLegalBasis, bases);

    b.finish(min_count)
}
