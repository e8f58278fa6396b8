//! Contacts (entretiens, appels, courriels, visites): what happened, or is planned, between a
//! worker and a person, and the rules that tie them to the case lifecycle.
//!
//! A contact is either *planned* (a `scheduled_at`, nothing held yet) or *held* (an
//! `occurred_at`, never in the future); a planned one may instead end *cancelled* or as a
//! *no-show* ([`outcome`]). A held first interview moves an `intake` case to `assessment`
//! through [`CaseStatus::transition`]. Which kinds a case accepts depends on its status: a
//! closed case still takes late answers and the post-closure review, an archived one nothing.

use chrono::{DateTime, Utc};

use crate::case::{Actor, CaseStatus, TransitionFacts, TransitionRequest};
use crate::refusal::Refusal;

pub mod outcome;

pub use outcome::{
    ContactOutcome, ContactOutcomeRefused, ContactStatus, OUTCOME_REASON_MAX_CHARS, Outcome,
    OutcomeError, OutcomeReason,
};

crate::coded_enum! {
    /// What kind of contact took (or will take) place.
    pub enum ContactKind in "contact_kind" {
        /// The first interview, which opens the assessment.
        FirstInterview => "first_interview" { fr: "Premier entretien", en: "First interview" },
        /// A follow-up interview.
        Interview => "interview" { fr: "Entretien", en: "Interview" },
        /// A group session shared by several cases.
        GroupSession => "group_session" { fr: "Entretien de groupe", en: "Group session" },
        /// A phone call.
        PhoneCall => "phone_call" { fr: "Appel téléphonique", en: "Phone call" },
        /// An email.
        Email => "email" { fr: "Courriel", en: "Email" },
        /// A visit at the person's home.
        HomeVisit => "home_visit" { fr: "Visite à domicile", en: "Home visit" },
        /// The interview that ends the support.
        ClosureInterview => "closure_interview" {
            fr: "Entretien de clôture",
            en: "Closure interview"
        },
        /// The review some weeks after closure.
        PostClosureReview => "post_closure_review" {
            fr: "Entretien bilan",
            en: "Post-closure review"
        },
        /// Anything else.
        Other => "other" { fr: "Autre", en: "Other" },
    }
}

/// Most participants listed on one contact.
pub const MAX_PARTICIPANTS: usize = 20;
/// Longest participant entry (a name and a role), in characters.
pub const PARTICIPANT_MAX_CHARS: usize = 200;
/// Longest shared summary, in characters.
pub const SUMMARY_MAX_CHARS: usize = 10_000;
/// Longest private note, in characters.
pub const PRIVATE_NOTE_MAX_CHARS: usize = 10_000;
/// Longest outcome, in characters.
pub const OUTCOME_MAX_CHARS: usize = 5_000;
/// How far in the future a held contact's time may be (clock skew between devices).
pub const HELD_TOLERANCE_MINUTES: i64 = crate::clock::TOLERANCE_MINUTES;
/// Most cases one group session may link.
pub const MAX_GROUP_CASES: usize = 30;
/// Longest place of a group session, in characters.
pub const PLACE_MAX_CHARS: usize = 200;

/// The status of a case's contact of a group session: held when the person attended, a
/// no-show otherwise (so that the absence shows in the case).
pub fn attendance_status(attended: bool) -> ContactStatus {
    if attended {
        ContactStatus::Held
    } else {
        ContactStatus::NoShow
    }
}

/// When a contact is: planned, or held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactTime {
    /// Planned for this time; nothing held yet.
    Planned(DateTime<Utc>),
    /// Held at this time.
    Held(DateTime<Utc>),
}

/// Why a contact's time is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ContactTimeError {
    /// Both `scheduled_at` and `occurred_at` were given.
    #[error("give either scheduled_at (a planned contact) or occurred_at (a held one), not both")]
    BothTimes,
    /// Neither was given.
    #[error("give scheduled_at (a planned contact) or occurred_at (a held one)")]
    NoTime,
    /// A held contact cannot have happened in the future.
    #[error("a held contact cannot be in the future")]
    HeldInFuture,
}

impl ContactTimeError {
    /// The JSON pointer of the field at fault.
    pub fn pointer(self) -> &'static str {
        match self {
            ContactTimeError::BothTimes | ContactTimeError::NoTime => "/scheduled_at",
            ContactTimeError::HeldInFuture => "/occurred_at",
        }
    }
}

impl Refusal for ContactTimeError {
    fn code(&self) -> &'static str {
        match self {
            ContactTimeError::BothTimes => "exactly_one_time",
            ContactTimeError::NoTime => "required",
            ContactTimeError::HeldInFuture => "in_future",
        }
    }

    fn sentence_fr(&self) -> String {
        match self {
            ContactTimeError::BothTimes => {
                "indiquez soit scheduled_at (un contact prévu), soit occurred_at (un contact qui a \
                 eu lieu), pas les deux"
            }
            ContactTimeError::NoTime => {
                "indiquez scheduled_at (un contact prévu) ou occurred_at (un contact qui a eu lieu)"
            }
            ContactTimeError::HeldInFuture => {
                "un contact qui a eu lieu ne peut pas être daté dans le futur"
            }
        }
        .into()
    }
}

/// Whether `occurred_at` is acceptable as a held time at `now` (a few minutes of tolerance).
pub fn held_at(
    occurred_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, ContactTimeError> {
    if crate::clock::has_happened(occurred_at, now) {
        Ok(occurred_at)
    } else {
        Err(ContactTimeError::HeldInFuture)
    }
}

/// The contact's time from the two optional fields of a request: exactly one must be given.
pub fn contact_time(
    scheduled_at: Option<DateTime<Utc>>,
    occurred_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<ContactTime, ContactTimeError> {
    match (scheduled_at, occurred_at) {
        (Some(_), Some(_)) => Err(ContactTimeError::BothTimes),
        (None, None) => Err(ContactTimeError::NoTime),
        (Some(at), None) => Ok(ContactTime::Planned(at)),
        (None, Some(at)) => held_at(at, now).map(ContactTime::Held),
    }
}

/// Why a case does not accept a contact of some kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ContactRefused {
    /// An archived case is read-only.
    #[error("the case is archived: it is read-only")]
    CaseArchived,
    /// A closed case only takes the review and late answers.
    #[error(
        "a closed case only takes a post-closure review, a phone call, an email or another \
         contact (late answers); reopen it for a {0}"
    )]
    KindNotAllowedWhenClosed(ContactKind),
    /// The post-closure review comes after the closure.
    #[error("a post-closure review needs a closed case")]
    ReviewNeedsClosedCase,
}

impl Refusal for ContactRefused {
    fn code(&self) -> &'static str {
        match self {
            ContactRefused::CaseArchived => "case_archived",
            ContactRefused::KindNotAllowedWhenClosed(_) => "contact_kind_not_allowed_when_closed",
            ContactRefused::ReviewNeedsClosedCase => "case_not_closed",
        }
    }

    fn sentence_fr(&self) -> String {
        match self {
            ContactRefused::CaseArchived => {
                "le dossier est archivé : il est en lecture seule".into()
            }
            ContactRefused::KindNotAllowedWhenClosed(kind) => format!(
                "un accompagnement clôturé n'accepte plus qu'un entretien bilan, un appel \
                 téléphonique, un courriel ou un autre contact (réponses tardives) ; rouvrez-le \
                 pour un contact « {} »",
                kind.label_fr()
            ),
            ContactRefused::ReviewNeedsClosedCase => {
                "un entretien bilan suppose un accompagnement clôturé".into()
            }
        }
    }
}

/// The kinds a closed case still accepts: the review and late answers.
pub const CLOSED_CASE_KINDS: &[ContactKind] = &[
    ContactKind::PostClosureReview,
    ContactKind::PhoneCall,
    ContactKind::Email,
    ContactKind::Other,
];

/// Whether a case in `status` accepts a new contact of `kind`.
///
/// # Errors
/// [`ContactRefused`] saying why not.
pub fn check_kind(status: CaseStatus, kind: ContactKind) -> Result<(), ContactRefused> {
    match status {
        CaseStatus::Archived => Err(ContactRefused::CaseArchived),
        CaseStatus::Closed if !CLOSED_CASE_KINDS.contains(&kind) => {
            Err(ContactRefused::KindNotAllowedWhenClosed(kind))
        }
        CaseStatus::Closed => Ok(()),
        _ if kind == ContactKind::PostClosureReview => Err(ContactRefused::ReviewNeedsClosedCase),
        _ => Ok(()),
    }
}

/// The status a case moves to when a contact of `kind` is held, if any: a held first
/// interview moves an `intake` case to `assessment` (through the case state machine).
pub fn status_after_held(status: CaseStatus, kind: ContactKind) -> Option<CaseStatus> {
    if kind != ContactKind::FirstInterview || status != CaseStatus::Intake {
        return None;
    }
    status
        .transition(
            &TransitionRequest {
                to: CaseStatus::Assessment,
                reason: None,
                closure_reason: None,
                actor: Actor::Agent,
            },
            &TransitionFacts::default(),
        )
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::Coded;
    use chrono::Duration;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
    }

    #[test]
    fn a_contact_is_planned_or_held_never_both_nor_neither() {
        let at = now();
        assert_eq!(
            contact_time(Some(at), None, now()),
            Ok(ContactTime::Planned(at))
        );
        assert_eq!(
            contact_time(None, Some(at), now()),
            Ok(ContactTime::Held(at))
        );
        assert_eq!(
            contact_time(Some(at), Some(at), now()),
            Err(ContactTimeError::BothTimes)
        );
        assert_eq!(
            contact_time(None, None, now()),
            Err(ContactTimeError::NoTime)
        );
    }

    #[test]
    fn a_held_contact_is_not_in_the_future_beyond_a_few_minutes() {
        let soon = now() + Duration::minutes(HELD_TOLERANCE_MINUTES);
        assert!(held_at(soon, now()).is_ok());
        let later = soon + Duration::seconds(1);
        assert_eq!(held_at(later, now()), Err(ContactTimeError::HeldInFuture));
        assert_eq!(ContactTimeError::HeldInFuture.pointer(), "/occurred_at");
        assert_eq!(ContactTimeError::BothTimes.pointer(), "/scheduled_at");
    }

    #[test]
    fn a_closed_case_takes_the_review_and_late_answers_only() {
        for &kind in ContactKind::ALL {
            let allowed = check_kind(CaseStatus::Closed, kind).is_ok();
            assert_eq!(allowed, CLOSED_CASE_KINDS.contains(&kind), "{kind}");
        }
        assert_eq!(
            check_kind(CaseStatus::Closed, ContactKind::Interview),
            Err(ContactRefused::KindNotAllowedWhenClosed(
                ContactKind::Interview
            ))
        );
    }

    #[test]
    fn the_review_needs_a_closed_case_and_an_archived_case_takes_nothing() {
        for status in [
            CaseStatus::Intake,
            CaseStatus::Assessment,
            CaseStatus::Planning,
            CaseStatus::Active,
        ] {
            assert_eq!(
                check_kind(status, ContactKind::PostClosureReview),
                Err(ContactRefused::ReviewNeedsClosedCase)
            );
            assert!(check_kind(status, ContactKind::Interview).is_ok());
        }
        for &kind in ContactKind::ALL {
            assert_eq!(
                check_kind(CaseStatus::Archived, kind),
                Err(ContactRefused::CaseArchived)
            );
        }
    }

    #[test]
    fn only_a_held_first_interview_moves_an_intake_case_to_assessment() {
        assert_eq!(
            status_after_held(CaseStatus::Intake, ContactKind::FirstInterview),
            Some(CaseStatus::Assessment)
        );
        assert_eq!(
            status_after_held(CaseStatus::Intake, ContactKind::Interview),
            None
        );
        assert_eq!(
            status_after_held(CaseStatus::Assessment, ContactKind::FirstInterview),
            None
        );
    }

    #[test]
    fn a_group_session_is_held_for_those_who_came_and_missed_by_the_others() {
        assert_eq!(attendance_status(true), ContactStatus::Held);
        assert_eq!(attendance_status(false), ContactStatus::NoShow);
    }

    #[test]
    fn contact_kinds_use_the_words_of_the_practice() {
        assert_eq!(ContactKind::PostClosureReview.label_fr(), "Entretien bilan");
        assert_eq!(ContactKind::ALL.len(), 9);
    }
}
