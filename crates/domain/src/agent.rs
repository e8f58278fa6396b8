//! People at work: an agent's profile as documents print it, their absences and who covers
//! them, and the handover of a caseload from one agent to another.
//!
//! An absence runs from its first to its last day, both included. While it runs, its delegate
//! is on the team of every open case whose referent is the absent agent, and leaves those teams
//! when it ends: by itself, on the first day after its last.

use chrono::NaiveDate;

use crate::case::CaseStatus;
use crate::refusal::Refusal;

crate::coded_enum! {
    /// How an agent (or a person) is addressed in letters and documents.
    pub enum Civility in "civility" {
        /// Madame.
        Mme => "mme" { fr: "Madame", en: "Ms" },
        /// Monsieur.
        M => "m" { fr: "Monsieur", en: "Mr" },
    }
}

/// Longest job title, in characters ("Conseillère en économie sociale et familiale").
pub const JOB_TITLE_MAX_CHARS: usize = 120;
/// Longest display name, in characters.
pub const DISPLAY_NAME_MAX_CHARS: usize = 200;
/// Longest phone number as written, in characters.
pub const PHONE_MAX_CHARS: usize = 30;
/// Most cases one reassignment may name.
pub const MAX_REASSIGNED_CASES: usize = 1_000;
/// Longest absence, in days (a year): beyond, its cases want a new referent, not a delegate.
pub const MAX_ABSENCE_DAYS: i64 = 366;

/// How a document names the referent's role: the job title the agent gave (`Assistante de
/// service social`), else a word agreed with their civility, never a masculine default.
pub fn referent_role(job_title: Option<&str>, civility: Option<Civility>) -> String {
    match job_title.map(str::trim).filter(|t| !t.is_empty()) {
        Some(title) => title.to_owned(),
        None => match civility {
            Some(Civility::Mme) => "Travailleuse sociale".to_owned(),
            Some(Civility::M) => "Travailleur social".to_owned(),
            None => "Professionnel·le de l'accompagnement".to_owned(),
        },
    }
}

/// The heading of the referent's block in a document: `Référente`, `Référent`, or both forms
/// when the civility is not known.
pub fn referent_heading(civility: Option<Civility>) -> &'static str {
    match civility {
        Some(Civility::Mme) => "Référente",
        Some(Civility::M) => "Référent",
        None => "Référent·e",
    }
}

/// The referent after a preposition, agreed with their civility: `de la référente`, `du
/// référent`, or both forms when it is not known.
pub fn of_the_referent(civility: Option<Civility>) -> &'static str {
    match civility {
        Some(Civility::Mme) => "de la référente",
        Some(Civility::M) => "du référent",
        None => "de la ou du référent·e",
    }
}

/// Why an absence is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AbsenceRefused {
    /// The last day comes before the first.
    #[error("the absence must end on or after its first day ({from})")]
    EndsBeforeStart { from: NaiveDate },
    /// The absence is already over.
    #[error("the absence must not end before today ({today})")]
    AlreadyOver { today: NaiveDate },
    /// An agent cannot cover their own absence.
    #[error("the delegate must be another agent than the absent one")]
    DelegateIsAbsent,
    /// An absence lasts a year at most: beyond, the cases are handed over.
    #[error("an absence lasts {MAX_ABSENCE_DAYS} days at most: hand the cases over instead")]
    TooLong,
}

impl AbsenceRefused {
    /// The JSON pointer of the field at fault.
    pub fn pointer(self) -> &'static str {
        match self {
            AbsenceRefused::EndsBeforeStart { .. }
            | AbsenceRefused::AlreadyOver { .. }
            | AbsenceRefused::TooLong => "/to",
            AbsenceRefused::DelegateIsAbsent => "/delegate_id",
        }
    }
}

impl Refusal for AbsenceRefused {
    fn code(&self) -> &'static str {
        match self {
            AbsenceRefused::EndsBeforeStart { .. } => "out_of_range",
            AbsenceRefused::AlreadyOver { .. } => "in_past",
            AbsenceRefused::DelegateIsAbsent => "same_agent",
            AbsenceRefused::TooLong => "too_long",
        }
    }

    fn sentence_fr(&self) -> String {
        match self {
            AbsenceRefused::EndsBeforeStart { from } => {
                format!("l'absence doit se terminer le jour de son début ({from}) ou après")
            }
            AbsenceRefused::AlreadyOver { today } => {
                format!("l'absence ne peut pas se terminer avant aujourd'hui ({today})")
            }
            AbsenceRefused::DelegateIsAbsent => {
                "la personne qui assure l'intérim doit être un autre agent que l'absent".into()
            }
            AbsenceRefused::TooLong => format!(
                "une absence dure au plus {MAX_ABSENCE_DAYS} jours : au-delà, transmettez les \
                 dossiers"
            ),
        }
    }
}

/// An absence as asked for: its days, checked against today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AbsencePeriod {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl AbsencePeriod {
    /// An absence from `from` to `to` (both included) of `agent`, covered by `delegate`, asked
    /// for on `today`: it ends on or after it starts, is not over already, and is covered by
    /// someone else. It may have begun (an absence recorded on its second day).
    ///
    /// # Errors
    /// The first rule broken, as an [`AbsenceRefused`].
    pub fn new(
        from: NaiveDate,
        to: NaiveDate,
        agent: uuid::Uuid,
        delegate: uuid::Uuid,
        today: NaiveDate,
    ) -> Result<Self, AbsenceRefused> {
        if to < from {
            return Err(AbsenceRefused::EndsBeforeStart { from });
        }
        if to < today {
            return Err(AbsenceRefused::AlreadyOver { today });
        }
        if (to - from).num_days() >= MAX_ABSENCE_DAYS {
            return Err(AbsenceRefused::TooLong);
        }
        if agent == delegate {
            return Err(AbsenceRefused::DelegateIsAbsent);
        }
        Ok(Self { from, to })
    }

    /// Whether the absence runs on `day`.
    pub fn runs_on(self, day: NaiveDate) -> bool {
        self.from <= day && day <= self.to
    }

    /// Whether two absences share a day.
    pub fn overlaps(self, other: AbsencePeriod) -> bool {
        self.from <= other.to && other.from <= self.to
    }
}

/// Why a handover of cases is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HandoverRefused {
    /// The cases would go to the agent they come from.
    #[error("the cases must go to another agent than the one they come from")]
    SameAgent,
    /// A case named is closed or archived: only open cases are handed over.
    #[error("the case is {0}: only open cases are handed over")]
    CaseNotOpen(CaseStatus),
    /// A case named is not followed by the agent the handover is from.
    #[error("the case's referent is not the agent the cases come from")]
    NotTheirCase,
}

impl Refusal for HandoverRefused {
    fn code(&self) -> &'static str {
        match self {
            HandoverRefused::SameAgent => "same_agent",
            HandoverRefused::CaseNotOpen(_) => "case_not_open",
            HandoverRefused::NotTheirCase => "not_referent",
        }
    }

    fn sentence_fr(&self) -> String {
        match self {
            HandoverRefused::SameAgent => {
                "les dossiers doivent aller à un autre agent que celui qui les suit".into()
            }
            HandoverRefused::CaseNotOpen(status) => format!(
                "le dossier est au statut « {} » : seuls les accompagnements en cours sont \
                 transmis",
                status.label_fr()
            ),
            HandoverRefused::NotTheirCase => {
                "ce dossier n'est pas suivi par l'agent dont les dossiers sont transmis".into()
            }
        }
    }
}

/// Checks a handover from `from` to `to`.
///
/// # Errors
/// [`HandoverRefused::SameAgent`] when both are the same agent.
pub fn check_handover(from: uuid::Uuid, to: uuid::Uuid) -> Result<(), HandoverRefused> {
    if from == to {
        Err(HandoverRefused::SameAgent)
    } else {
        Ok(())
    }
}

/// Checks that a case may move in a handover from `from`: it is open, and `from` is its
/// referent.
///
/// # Errors
/// [`HandoverRefused::CaseNotOpen`] or [`HandoverRefused::NotTheirCase`].
pub fn check_handover_case(
    status: CaseStatus,
    referent: Option<uuid::Uuid>,
    from: uuid::Uuid,
) -> Result<(), HandoverRefused> {
    if !status.is_open() {
        return Err(HandoverRefused::CaseNotOpen(status));
    }
    if referent != Some(from) {
        return Err(HandoverRefused::NotTheirCase);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use uuid::Uuid;

    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2027, 3, d).unwrap_or_default()
    }

    #[test]
    fn an_absence_runs_from_its_first_to_its_last_day() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let period = AbsencePeriod::new(day(10), day(12), a, b, day(10));
        assert_eq!(
            period,
            Ok(AbsencePeriod {
                from: day(10),
                to: day(12)
            })
        );
        let period = period.unwrap_or(AbsencePeriod {
            from: day(1),
            to: day(1),
        });
        assert!(!period.runs_on(day(9)));
        assert!(period.runs_on(day(10)) && period.runs_on(day(12)));
        assert!(!period.runs_on(day(13)));
    }

    #[test]
    fn an_absence_is_refused_backwards_over_or_covered_by_the_absent() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        assert_eq!(
            AbsencePeriod::new(day(12), day(10), a, b, day(1)),
            Err(AbsenceRefused::EndsBeforeStart { from: day(12) })
        );
        assert_eq!(
            AbsencePeriod::new(day(1), day(4), a, b, day(5)),
            Err(AbsenceRefused::AlreadyOver { today: day(5) })
        );
        assert_eq!(
            AbsencePeriod::new(day(5), day(6), a, a, day(5)),
            Err(AbsenceRefused::DelegateIsAbsent)
        );
        // Begun already is fine: recorded on its second day.
        assert!(AbsencePeriod::new(day(4), day(6), a, b, day(5)).is_ok());
        let year = day(1) + chrono::Days::new(365);
        assert!(AbsencePeriod::new(day(1), year, a, b, day(1)).is_ok());
        assert_eq!(
            AbsencePeriod::new(day(1), year + chrono::Days::new(1), a, b, day(1)),
            Err(AbsenceRefused::TooLong)
        );
        assert_eq!(AbsenceRefused::DelegateIsAbsent.pointer(), "/delegate_id");
        assert_eq!(
            AbsenceRefused::AlreadyOver { today: day(1) }.code(),
            "in_past"
        );
    }

    #[test]
    fn absences_overlap_when_they_share_a_day() {
        let p = |from, to| AbsencePeriod {
            from: day(from),
            to: day(to),
        };
        assert!(p(1, 5).overlaps(p(5, 9)));
        assert!(p(3, 4).overlaps(p(1, 9)));
        assert!(!p(1, 4).overlaps(p(5, 9)));
    }

    #[test]
    fn documents_name_the_role_the_agent_gave_or_agree_with_the_civility() {
        assert_eq!(
            referent_role(Some(" Assistante de service social "), Some(Civility::M)),
            "Assistante de service social"
        );
        assert_eq!(
            referent_role(None, Some(Civility::Mme)),
            "Travailleuse sociale"
        );
        assert_eq!(
            referent_role(Some(" "), Some(Civility::M)),
            "Travailleur social"
        );
        assert_eq!(
            referent_role(None, None),
            "Professionnel·le de l'accompagnement"
        );
        assert_eq!(referent_heading(Some(Civility::Mme)), "Référente");
        assert_eq!(referent_heading(None), "Référent·e");
        assert_eq!(of_the_referent(Some(Civility::M)), "du référent");
        assert_eq!(of_the_referent(None), "de la ou du référent·e");
    }

    #[test]
    fn a_handover_goes_to_someone_else() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        assert_eq!(check_handover(a, a), Err(HandoverRefused::SameAgent));
        assert_eq!(check_handover(a, b), Ok(()));
        assert_eq!(check_handover_case(CaseStatus::Active, Some(a), a), Ok(()));
        assert_eq!(
            check_handover_case(CaseStatus::Closed, Some(a), a),
            Err(HandoverRefused::CaseNotOpen(CaseStatus::Closed))
        );
        assert_eq!(
            check_handover_case(CaseStatus::Intake, None, a),
            Err(HandoverRefused::NotTheirCase)
        );
    }
}
