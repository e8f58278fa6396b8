//! What became of a planned contact: held, cancelled, or missed by the person.
//!
//! A contact is `planned` until its outcome is recorded, once: `held` (at a time not in the
//! future), `cancelled` or `no_show` (with an optional reason). Only a planned contact takes
//! an outcome ([`ContactStatus::transition`]); a cancelled or missed one keeps its planned
//! time, leaves the agenda and never moves the retention clock.

use chrono::{DateTime, Utc};

use super::{ContactTimeError, held_at};
use crate::refusal::Refusal;

crate::coded_enum! {
    /// Where a contact stands: planned, or what became of it.
    pub enum ContactStatus in "contact_status" {
        /// Planned: nothing recorded yet.
        Planned => "planned" { fr: "Prévu", en: "Planned" },
        /// It took place.
        Held => "held" { fr: "Réalisé", en: "Held" },
        /// Called off beforehand, by the person or the service.
        Cancelled => "cancelled" { fr: "Annulé", en: "Cancelled" },
        /// The person did not come (or did not answer).
        NoShow => "no_show" { fr: "Personne absente", en: "No-show" },
    }
}

/// Longest reason of a cancellation or an absence, in characters.
pub const OUTCOME_REASON_MAX_CHARS: usize = 500;

/// Why a contact cannot take an outcome, given where it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ContactOutcomeRefused {
    /// Its outcome is already recorded.
    #[error("the contact is already {0}: only a planned contact takes an outcome")]
    NotPlanned(ContactStatus),
}

impl Refusal for ContactOutcomeRefused {
    fn code(&self) -> &'static str {
        "contact_not_planned"
    }

    fn sentence_fr(&self) -> String {
        match self {
            ContactOutcomeRefused::NotPlanned(status) => format!(
                "le contact a déjà le statut « {} » : seul un contact prévu reçoit une issue",
                status.label_fr()
            ),
        }
    }
}

impl ContactStatus {
    /// Whether the contact is still to take place.
    pub fn is_planned(self) -> bool {
        self == ContactStatus::Planned
    }

    /// The status after recording the outcome `to`: only a planned contact takes one, once.
    ///
    /// # Errors
    /// [`ContactOutcomeRefused::NotPlanned`] when the contact already has its outcome.
    pub fn transition(self, to: Outcome) -> Result<ContactStatus, ContactOutcomeRefused> {
        match self {
            ContactStatus::Planned => Ok(to.status()),
            done => Err(ContactOutcomeRefused::NotPlanned(done)),
        }
    }
}

/// An outcome that can be recorded: every status but `planned`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Held,
    Cancelled,
    NoShow,
}

impl Outcome {
    /// The status the contact takes.
    pub fn status(self) -> ContactStatus {
        match self {
            Outcome::Held => ContactStatus::Held,
            Outcome::Cancelled => ContactStatus::Cancelled,
            Outcome::NoShow => ContactStatus::NoShow,
        }
    }
}

/// A reason for a cancellation or an absence: trimmed, 1 to 500 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeReason(String);

impl OutcomeReason {
    /// The reason, trimmed.
    ///
    /// # Errors
    /// [`OutcomeError::ReasonBlank`] or [`OutcomeError::ReasonTooLong`].
    pub fn parse(text: &str) -> Result<Self, OutcomeError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            Err(OutcomeError::ReasonBlank)
        } else if trimmed.chars().count() > OUTCOME_REASON_MAX_CHARS {
            Err(OutcomeError::ReasonTooLong)
        } else {
            Ok(Self(trimmed.to_owned()))
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A recorded outcome, checked: when a held contact took place, why one did not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactOutcome {
    /// Held at this time (not in the future).
    Held(DateTime<Utc>),
    /// Cancelled, perhaps with its reason.
    Cancelled(Option<OutcomeReason>),
    /// The person did not come, perhaps with the reason.
    NoShow(Option<OutcomeReason>),
}

impl ContactOutcome {
    /// Which outcome this is.
    pub fn kind(&self) -> Outcome {
        match self {
            ContactOutcome::Held(_) => Outcome::Held,
            ContactOutcome::Cancelled(_) => Outcome::Cancelled,
            ContactOutcome::NoShow(_) => Outcome::NoShow,
        }
    }

    /// The status the contact takes.
    pub fn status(&self) -> ContactStatus {
        self.kind().status()
    }

    /// When a held contact took place.
    pub fn occurred_at(&self) -> Option<DateTime<Utc>> {
        match self {
            ContactOutcome::Held(at) => Some(*at),
            _ => None,
        }
    }

    /// Why a contact did not take place, when given.
    pub fn reason(&self) -> Option<&str> {
        match self {
            ContactOutcome::Cancelled(r) | ContactOutcome::NoShow(r) => {
                r.as_ref().map(OutcomeReason::as_str)
            }
            ContactOutcome::Held(_) => None,
        }
    }

    /// The outcome of a request `{status, occurred_at?, reason?}` at `now`: `held` takes
    /// `occurred_at` (default `now`, not in the future) and no reason; `cancelled` and `no_show`
    /// take a reason and no `occurred_at`; `planned` is no outcome.
    ///
    /// # Errors
    /// Every [`OutcomeError`] of the request, each with its pointer.
    pub fn parse(
        status: ContactStatus,
        occurred_at: Option<DateTime<Utc>>,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Self, Vec<OutcomeError>> {
        let mut errors = Vec::new();
        let reason = reason.and_then(|r| OutcomeReason::parse(r).map_err(|e| errors.push(e)).ok());
        let outcome = match status {
            ContactStatus::Planned => {
                errors.push(OutcomeError::NotAnOutcome);
                None
            }
            ContactStatus::Held => {
                if reason.is_some() {
                    errors.push(OutcomeError::ReasonNotAllowed);
                }
                match held_at(occurred_at.unwrap_or(now), now) {
                    Ok(at) => Some(ContactOutcome::Held(at)),
                    Err(e) => {
                        errors.push(OutcomeError::Time(e));
                        None
                    }
                }
            }
            ContactStatus::Cancelled | ContactStatus::NoShow => {
                if occurred_at.is_some() {
                    errors.push(OutcomeError::OccurredAtNotAllowed);
                }
                Some(if status == ContactStatus::Cancelled {
                    ContactOutcome::Cancelled(reason)
                } else {
                    ContactOutcome::NoShow(reason)
                })
            }
        };
        match outcome {
            Some(outcome) if errors.is_empty() => Ok(outcome),
            _ => Err(errors),
        }
    }
}

/// Why an outcome request is refused: one field of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OutcomeError {
    /// `planned` is where a contact starts, not an outcome.
    #[error("planned is no outcome: give held, cancelled or no_show")]
    NotAnOutcome,
    /// The held time is refused (in the future).
    #[error("{0}")]
    Time(ContactTimeError),
    /// Only a held contact has a time it took place.
    #[error("occurred_at is for a held contact only")]
    OccurredAtNotAllowed,
    /// A held contact has no reason of cancellation or absence.
    #[error("a reason is for a cancelled or missed contact only")]
    ReasonNotAllowed,
    /// The reason is blank.
    #[error("the reason cannot be blank")]
    ReasonBlank,
    /// The reason is too long.
    #[error("the reason has at most {OUTCOME_REASON_MAX_CHARS} characters")]
    ReasonTooLong,
}

impl OutcomeError {
    /// The JSON pointer of the field at fault.
    pub fn pointer(self) -> &'static str {
        match self {
            OutcomeError::NotAnOutcome => "/status",
            OutcomeError::Time(e) => e.pointer(),
            OutcomeError::OccurredAtNotAllowed => "/occurred_at",
            OutcomeError::ReasonNotAllowed
            | OutcomeError::ReasonBlank
            | OutcomeError::ReasonTooLong => "/reason",
        }
    }
}

impl Refusal for OutcomeError {
    fn code(&self) -> &'static str {
        match self {
            OutcomeError::NotAnOutcome => "not_an_outcome",
            OutcomeError::Time(e) => e.code(),
            OutcomeError::OccurredAtNotAllowed | OutcomeError::ReasonNotAllowed => "not_allowed",
            OutcomeError::ReasonBlank => "blank",
            OutcomeError::ReasonTooLong => "too_long",
        }
    }

    fn sentence_fr(&self) -> String {
        match self {
            OutcomeError::NotAnOutcome => {
                "« prévu » n'est pas une issue : indiquez held, cancelled ou no_show".into()
            }
            OutcomeError::Time(e) => e.sentence_fr(),
            OutcomeError::OccurredAtNotAllowed => {
                "occurred_at ne s'indique que pour un contact qui a eu lieu".into()
            }
            OutcomeError::ReasonNotAllowed => {
                "un motif ne s'indique que pour un contact annulé ou manqué".into()
            }
            OutcomeError::ReasonBlank => "le motif ne doit pas être vide".into(),
            OutcomeError::ReasonTooLong => {
                format!("le motif compte au plus {OUTCOME_REASON_MAX_CHARS} caractères")
            }
        }
    }
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
    fn only_a_planned_contact_takes_an_outcome_and_only_once() {
        for outcome in [Outcome::Held, Outcome::Cancelled, Outcome::NoShow] {
            assert_eq!(
                ContactStatus::Planned.transition(outcome),
                Ok(outcome.status())
            );
            for done in [
                ContactStatus::Held,
                ContactStatus::Cancelled,
                ContactStatus::NoShow,
            ] {
                assert_eq!(
                    done.transition(outcome),
                    Err(ContactOutcomeRefused::NotPlanned(done))
                );
            }
        }
        assert_eq!(
            ContactOutcomeRefused::NotPlanned(ContactStatus::Held).code(),
            "contact_not_planned"
        );
    }

    #[test]
    fn a_held_outcome_defaults_to_now_and_is_never_in_the_future() {
        assert_eq!(
            ContactOutcome::parse(ContactStatus::Held, None, None, now()),
            Ok(ContactOutcome::Held(now()))
        );
        let before = now() - Duration::hours(2);
        let held = ContactOutcome::parse(ContactStatus::Held, Some(before), None, now());
        assert_eq!(
            held.as_ref().map(ContactOutcome::occurred_at),
            Ok(Some(before))
        );
        let later = now() + Duration::hours(1);
        let refused = ContactOutcome::parse(ContactStatus::Held, Some(later), None, now());
        assert_eq!(
            refused,
            Err(vec![OutcomeError::Time(ContactTimeError::HeldInFuture)])
        );
        assert_eq!(
            OutcomeError::Time(ContactTimeError::HeldInFuture).pointer(),
            "/occurred_at"
        );
    }

    #[test]
    fn a_cancelled_or_missed_contact_keeps_its_reason_trimmed_and_has_no_held_time() {
        let cancelled = ContactOutcome::parse(
            ContactStatus::Cancelled,
            None,
            Some("  Hospitalisée  "),
            now(),
        );
        assert_eq!(
            cancelled.as_ref().map(|o| o.reason().map(str::to_owned)),
            Ok(Some("Hospitalisée".to_owned()))
        );
        assert_eq!(
            cancelled.map(|o| (o.status(), o.occurred_at())),
            Ok((ContactStatus::Cancelled, None))
        );
        let missed = ContactOutcome::parse(ContactStatus::NoShow, None, None, now());
        assert_eq!(missed, Ok(ContactOutcome::NoShow(None)));
        assert_eq!(
            ContactOutcome::parse(ContactStatus::NoShow, Some(now()), None, now()),
            Err(vec![OutcomeError::OccurredAtNotAllowed])
        );
    }

    #[test]
    fn a_reason_is_not_blank_not_too_long_and_not_for_a_held_contact() {
        let long = "x".repeat(OUTCOME_REASON_MAX_CHARS + 1);
        for (reason, error) in [
            ("   ", OutcomeError::ReasonBlank),
            (long.as_str(), OutcomeError::ReasonTooLong),
        ] {
            assert_eq!(
                ContactOutcome::parse(ContactStatus::Cancelled, None, Some(reason), now()),
                Err(vec![error])
            );
            assert_eq!(error.pointer(), "/reason");
        }
        let exact = "é".repeat(OUTCOME_REASON_MAX_CHARS);
        assert!(OutcomeReason::parse(&exact).is_ok());
        assert_eq!(
            ContactOutcome::parse(ContactStatus::Held, None, Some("Venue"), now()),
            Err(vec![OutcomeError::ReasonNotAllowed])
        );
    }

    #[test]
    fn planned_is_no_outcome() {
        let refused = ContactOutcome::parse(ContactStatus::Planned, None, None, now());
        assert_eq!(refused, Err(vec![OutcomeError::NotAnOutcome]));
        assert_eq!(OutcomeError::NotAnOutcome.pointer(), "/status");
        assert_eq!(ContactStatus::ALL.len(), 4);
        assert_eq!(ContactStatus::NoShow.code(), "no_show");
    }
}
