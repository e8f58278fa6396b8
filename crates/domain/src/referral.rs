//! Referrals (*orientations entrantes*): a partner asks the organisation to take a person on.
//!
//! A referral carries the person's minimum identity, the reason, the domains concerned, an
//! [`Urgency`], the referrer's contact and the proof that the person was informed and
//! consented ([`check_consent_proof`]). Its status moves once, through
//! [`ReferralStatus::transition`]:
//!
//! ```text
//! received ──> accepted | declined | redirected | expired
//! ```
//!
//! Accepting opens a case for a person found by [`match_person`] (the NIR first, then the same
//! folded first and last names and birth date) or created from the referral.

use chrono::NaiveDate;

use crate::case::{CaseStatus, ClosureReason};
use crate::reference::Domain;
use crate::refusal::Refusal;

crate::coded_enum! {
    /// Where a referral stands.
    pub enum ReferralStatus in "referral_status" {
        /// Posted by the partner; waiting for the organisation's decision.
        Received => "received" { fr: "Reçue", en: "Received" },
        /// Taken on: a case was opened in intake.
        Accepted => "accepted" { fr: "Acceptée", en: "Accepted" },
        /// Refused, with a reason code.
        Declined => "declined" { fr: "Refusée", en: "Declined" },
        /// Sent back to the partner with another organisation of the deployment to address.
        Redirected => "redirected" { fr: "Réorientée", en: "Redirected" },
        /// Left unanswered past its expiry date.
        Expired => "expired" { fr: "Expirée", en: "Expired" },
    }
}

crate::coded_enum! {
    /// How soon the partner asks for the person to be seen.
    pub enum Urgency in "referral_urgency" {
        /// The usual delays.
        Routine => "routine" { fr: "Délai habituel", en: "Routine" },
        /// To be seen before the usual delays.
        Priority => "priority" { fr: "Prioritaire", en: "Priority" },
        /// The situation cannot wait (eviction, no resources, danger).
        Urgent => "urgent" { fr: "Urgente", en: "Urgent" },
    }
}

crate::coded_enum! {
    /// Why the organisation declined a referral.
    pub enum DeclineReason in "referral_decline_reason" {
        /// The person lives outside the organisation's territory.
        OutOfArea => "out_of_area" { fr: "Hors secteur", en: "Out of area" },
        /// The person's situation is outside the organisation's missions.
        NotEligible => "not_eligible" { fr: "Hors critères d'accompagnement", en: "Not eligible" },
        /// The organisation cannot take anyone on at the moment.
        NoCapacity => "no_capacity" { fr: "Pas de capacité d'accueil", en: "No capacity" },
        /// Another service already supports the person.
        AlreadySupported => "already_supported" {
            fr: "Déjà accompagnée par ailleurs",
            en: "Already supported"
        },
        /// The referral lacks what a decision needs.
        Incomplete => "incomplete" { fr: "Orientation incomplète", en: "Incomplete referral" },
        /// Anything else (say why in the message).
        Other => "other" { fr: "Autre motif", en: "Other" },
    }
}

crate::coded_enum! {
    /// The organisation's decision on a received referral.
    pub enum ReferralOutcome in "referral_outcome" {
        /// Take the person on: a case is opened in intake.
        Accepted => "accepted" { fr: "Acceptée", en: "Accepted" },
        /// Refuse, with a reason code.
        Declined => "declined" { fr: "Refusée", en: "Declined" },
        /// Point the partner to another organisation of the deployment.
        Redirected => "redirected" { fr: "Réorientée", en: "Redirected" },
    }
}

impl ReferralOutcome {
    /// The status the referral takes with this decision.
    pub fn status(self) -> ReferralStatus {
        match self {
            ReferralOutcome::Accepted => ReferralStatus::Accepted,
            ReferralOutcome::Declined => ReferralStatus::Declined,
            ReferralOutcome::Redirected => ReferralStatus::Redirected,
        }
    }
}

crate::coded_enum! {
    /// Where the support of an accepted referral stands, as its partner sees it: nothing else
    /// of the case.
    pub enum SupportStatus in "referral_support_status" {
        /// The case is open: the person is being supported.
        InProgress => "in_progress" { fr: "Accompagnement en cours", en: "Support in progress" },
        /// The case is closed (or archived after its closure).
        Completed => "completed" { fr: "Accompagnement terminé", en: "Support completed" },
    }
}

/// What the partner of an accepted referral learns of its case: whether the support goes on,
/// and why it ended once it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SupportOutcome {
    pub status: SupportStatus,
    /// Why the case closed (only when completed).
    pub closure_reason: Option<ClosureReason>,
}

impl SupportOutcome {
    /// The outcome of a case in `status`, closed for `closure_reason` if it is.
    pub fn of(status: CaseStatus, closure_reason: Option<ClosureReason>) -> Self {
        match status {
            CaseStatus::Closed | CaseStatus::Archived => SupportOutcome {
                status: SupportStatus::Completed,
                closure_reason,
            },
            _ => SupportOutcome {
                status: SupportStatus::InProgress,
                closure_reason: None,
            },
        }
    }
}

/// A referral's status change is not in the lifecycle: it was already decided or expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a referral cannot go from {from} to {to}: it was already {from}")]
pub struct ReferralTransitionError {
    /// The current status.
    pub from: ReferralStatus,
    /// The status asked for.
    pub to: ReferralStatus,
}

impl Refusal for ReferralTransitionError {
    fn code(&self) -> &'static str {
        "invalid_transition"
    }

    fn sentence_fr(&self) -> String {
        format!(
            "une orientation ne peut pas passer du statut « {} » au statut « {} » : elle est déjà \
             au statut « {} »",
            self.from.label_fr(),
            self.to.label_fr(),
            self.from.label_fr()
        )
    }
}

impl ReferralStatus {
    /// The statuses this one may move to: only a received referral changes, once.
    pub fn allowed_targets(self) -> &'static [ReferralStatus] {
        use ReferralStatus::*;
        match self {
            Received => &[Accepted, Declined, Redirected, Expired],
            Accepted | Declined | Redirected | Expired => &[],
        }
    }

    /// Whether the referral still waits for a decision.
    pub fn is_pending(self) -> bool {
        self == ReferralStatus::Received
    }

    /// The status after moving to `to`, or why not.
    ///
    /// # Errors
    /// [`ReferralTransitionError`] when the lifecycle has no such arrow.
    pub fn transition(self, to: ReferralStatus) -> Result<ReferralStatus, ReferralTransitionError> {
        if self.allowed_targets().contains(&to) {
            Ok(to)
        } else {
            Err(ReferralTransitionError { from: self, to })
        }
    }
}

/// Most domains a referral names.
pub const MAX_DOMAINS: usize = 6;
/// Most attachments a referral carries.
pub const MAX_ATTACHMENTS: usize = 3;
/// Largest attachment, in bytes (decoded).
pub const MAX_ATTACHMENT_BYTES: usize = 512 * 1024;

/// The index of the first domain named twice, if any.
pub fn repeated_domain(domains: &[Domain]) -> Option<usize> {
    crate::codes::first_repeat(domains)
}

/// What is wrong with the proof that the person was informed and consented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ConsentProofError {
    /// `consented` is false: the organisation cannot receive the referral.
    #[error("the person must have consented to the referral (consented: true)")]
    NotConsented,
    /// The information date is after today.
    #[error("the date the person was informed cannot be in the future")]
    InformedInFuture,
}

impl ConsentProofError {
    /// The field of the proof at fault (`consented` or `informed_on`).
    pub fn field(self) -> &'static str {
        match self {
            ConsentProofError::NotConsented => "consented",
            ConsentProofError::InformedInFuture => "informed_on",
        }
    }
}

impl Refusal for ConsentProofError {
    fn code(&self) -> &'static str {
        match self {
            ConsentProofError::NotConsented => "consent_required",
            ConsentProofError::InformedInFuture => "out_of_range",
        }
    }

    fn sentence_fr(&self) -> String {
        match self {
            ConsentProofError::NotConsented => {
                "la personne doit avoir consenti à l'orientation (consented: true)"
            }
            ConsentProofError::InformedInFuture => {
                "la date à laquelle la personne a été informée ne peut pas être dans le futur"
            }
        }
        .into()
    }
}

/// The proof of information and consent a partner must give: the person consented, and was
/// informed on a date that has come.
///
/// # Errors
/// Every [`ConsentProofError`] that applies, in field order.
pub fn check_consent_proof(
    informed_on: NaiveDate,
    consented: bool,
    today: NaiveDate,
) -> Result<(), Vec<ConsentProofError>> {
    let mut errors = Vec::new();
    if informed_on > today {
        errors.push(ConsentProofError::InformedInFuture);
    }
    if !consented {
        errors.push(ConsentProofError::NotConsented);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// The file types a referral may carry, recognised by their content (never by their name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachmentType {
    Pdf,
    Png,
    Jpeg,
}

impl AttachmentType {
    /// Every accepted type.
    pub const ALL: &'static [AttachmentType] = &[
        AttachmentType::Pdf,
        AttachmentType::Png,
        AttachmentType::Jpeg,
    ];

    /// The media type, as stored and served.
    pub fn mime(self) -> &'static str {
        match self {
            AttachmentType::Pdf => "application/pdf",
            AttachmentType::Png => "image/png",
            AttachmentType::Jpeg => "image/jpeg",
        }
    }

    /// The accepted type of this media type (as detected from the content), if any.
    pub fn from_mime(mime: &str) -> Option<AttachmentType> {
        Self::ALL.iter().copied().find(|t| t.mime() == mime)
    }
}

/// The person a referral is about, among the persons of the organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersonMatch<Id> {
    /// This person (same NIR, or the only one with the same names and birth date).
    Existing(Id),
    /// Nobody matches: a new person is created from the referral.
    New,
    /// Several persons have the same names and birth date: the decider must choose.
    Ambiguous(Vec<Id>),
}

/// Who the referral is about: the person with the same NIR when there is one; otherwise the
/// only person with the same names and birth date (`by_name`, persons whose NIR differs
/// already left out); nobody when none; and no guess when several.
pub fn match_person<Id: Clone>(by_nir: Option<Id>, by_name: &[Id]) -> PersonMatch<Id> {
    if let Some(id) = by_nir {
        return PersonMatch::Existing(id);
    }
    match by_name {
        [] => PersonMatch::New,
        [one] => PersonMatch::Existing(one.clone()),
        several => PersonMatch::Ambiguous(several.to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partner_learns_whether_the_support_goes_on_and_why_it_ended() {
        for status in CaseStatus::ALL {
            let outcome = SupportOutcome::of(*status, Some(ClosureReason::GoalsMet));
            let ended = matches!(status, CaseStatus::Closed | CaseStatus::Archived);
            assert_eq!(
                outcome.status == SupportStatus::Completed,
                ended,
                "{status:?}"
            );
            assert_eq!(outcome.closure_reason.is_some(), ended, "{status:?}");
        }
    }
    use crate::codes::Coded;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    #[test]
    fn a_received_referral_can_be_accepted_declined_redirected_or_expire() {
        for to in [
            ReferralStatus::Accepted,
            ReferralStatus::Declined,
            ReferralStatus::Redirected,
            ReferralStatus::Expired,
        ] {
            assert_eq!(ReferralStatus::Received.transition(to), Ok(to));
        }
    }

    #[test]
    fn a_decided_or_expired_referral_never_changes_again() {
        for &from in ReferralStatus::ALL {
            if from == ReferralStatus::Received {
                continue;
            }
            assert!(!from.is_pending());
            for &to in ReferralStatus::ALL {
                let err = from.transition(to).expect_err("final status");
                assert_eq!(err.code(), "invalid_transition");
                assert_eq!(err.from, from);
            }
        }
    }

    #[test]
    fn a_received_referral_cannot_stay_received() {
        assert!(
            ReferralStatus::Received
                .transition(ReferralStatus::Received)
                .is_err()
        );
        assert!(ReferralStatus::Received.is_pending());
    }

    #[test]
    fn each_outcome_gives_its_status() {
        assert_eq!(ReferralOutcome::Accepted.status(), ReferralStatus::Accepted);
        assert_eq!(ReferralOutcome::Declined.status(), ReferralStatus::Declined);
        assert_eq!(
            ReferralOutcome::Redirected.status(),
            ReferralStatus::Redirected
        );
        for &outcome in ReferralOutcome::ALL {
            assert_eq!(outcome.code(), outcome.status().code());
        }
    }

    #[test]
    fn codes_are_the_documented_ones() {
        assert_eq!(
            ReferralStatus::ALL
                .iter()
                .map(|s| s.code())
                .collect::<Vec<_>>(),
            ["received", "accepted", "declined", "redirected", "expired"]
        );
        assert_eq!(
            Urgency::ALL.iter().map(|u| u.code()).collect::<Vec<_>>(),
            ["routine", "priority", "urgent"]
        );
        assert_eq!(
            DeclineReason::ALL
                .iter()
                .map(|r| r.code())
                .collect::<Vec<_>>(),
            [
                "out_of_area",
                "not_eligible",
                "no_capacity",
                "already_supported",
                "incomplete",
                "other"
            ]
        );
    }

    #[test]
    fn a_consent_proof_needs_consent_and_a_date_that_has_come() {
        let today = day(2026, 11, 22);
        assert_eq!(check_consent_proof(today, true, today), Ok(()));
        assert_eq!(check_consent_proof(day(2026, 1, 5), true, today), Ok(()));
        assert_eq!(
            check_consent_proof(today, false, today),
            Err(vec![ConsentProofError::NotConsented])
        );
        let errors = check_consent_proof(day(2026, 11, 23), false, today).expect_err("two faults");
        assert_eq!(
            errors,
            [
                ConsentProofError::InformedInFuture,
                ConsentProofError::NotConsented
            ]
        );
        assert_eq!(errors[0].field(), "informed_on");
        assert_eq!(errors[0].code(), "out_of_range");
        assert_eq!(errors[1].field(), "consented");
        assert_eq!(errors[1].code(), "consent_required");
    }

    #[test]
    fn a_domain_named_twice_is_found_at_its_second_place() {
        use Domain::*;
        assert_eq!(repeated_domain(&[Housing, Finances]), None);
        assert_eq!(repeated_domain(&[Housing, Finances, Housing]), Some(2));
        assert_eq!(repeated_domain(&[]), None);
    }

    #[test]
    fn only_pdf_png_and_jpeg_are_accepted() {
        for &t in AttachmentType::ALL {
            assert_eq!(AttachmentType::from_mime(t.mime()), Some(t));
        }
        assert_eq!(AttachmentType::from_mime("application/x-msdownload"), None);
        assert_eq!(AttachmentType::from_mime("image/gif"), None);
    }

    #[test]
    fn the_nir_match_wins_over_names() {
        assert_eq!(match_person(Some(7), &[1, 2]), PersonMatch::Existing(7));
    }

    #[test]
    fn one_name_match_links_none_creates_and_several_are_ambiguous() {
        assert_eq!(match_person(None, &[3]), PersonMatch::Existing(3));
        assert_eq!(match_person::<u8>(None, &[]), PersonMatch::New);
        assert_eq!(
            match_person(None, &[3, 4]),
            PersonMatch::Ambiguous(vec![3, 4])
        );
    }
}
