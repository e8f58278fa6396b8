//! Liaison sheets (*fiches de liaison*): what may be shared with another institution, on which
//! legal ground, and the small lifecycle of a sheet.
//!
//! A liaison carries only content chosen from a whitelist ([`LiaisonContent`]); private notes
//! are not in it at all, so no choice can ever put them on a sheet. Sending is decided by one
//! pure rule, [`check_send`], from the legal basis, the chosen content, the consent (when the
//! basis is consent) and whether the person was informed. Its status moves through
//! [`LiaisonStatus::transition`]:
//!
//! ```text
//! draft ──> sent ──> acknowledged | declined
//! ```

use crate::codes::Coded;
use crate::reference::{ConsentScope, LegalBasis};
use crate::refusal::Refusal;

crate::coded_enum! {
    /// What a liaison sheet may carry: the whitelist. Private notes are never part of it.
    pub enum LiaisonContent in "liaison_content" {
        /// Name and birth date.
        Identity => "identity" { fr: "Identité", en: "Identity" },
        /// Phone number and email address.
        ContactPreferences => "contact_preferences" {
            fr: "Coordonnées de la personne",
            en: "Contact details"
        },
        /// The assessed situation, domain by domain (health only with `health`).
        SituationByDomain => "situation_by_domain" {
            fr: "Situation par domaine",
            en: "Situation by domain"
        },
        /// The reason for contact of the case.
        Reason => "reason" { fr: "Motif de la prise de contact", en: "Reason for contact" },
        /// The plan's steps already carried out.
        ActionsDone => "actions_done" { fr: "Démarches réalisées", en: "Actions done" },
        /// The plan's steps still to do, with their deadlines.
        StepsPending => "steps_pending" {
            fr: "Démarches en cours et échéances",
            en: "Pending steps and deadlines"
        },
        /// How to reach the referent worker.
        ReferentContact => "referent_contact" {
            fr: "Coordonnées du travailleur social référent",
            en: "Referent's contact"
        },
        /// The documents chosen to go with the sheet (their names).
        Documents => "documents" { fr: "Documents joints", en: "Documents" },
        /// The social security number (NIR) in clear.
        Nir => "nir" {
            fr: "Numéro de sécurité sociale (NIR)",
            en: "Social security number (NIR)"
        },
        /// Health details (the health domain of the situation).
        Health => "health" { fr: "Informations de santé", en: "Health details" },
    }
}

crate::coded_enum! {
    /// Where a liaison sheet stands.
    pub enum LiaisonStatus in "liaison_status" {
        /// Being prepared; nothing has left the organisation.
        Draft => "draft" { fr: "Brouillon", en: "Draft" },
        /// Sent to the destination.
        Sent => "sent" { fr: "Envoyée", en: "Sent" },
        /// The destination acknowledged it and takes the person on.
        Acknowledged => "acknowledged" { fr: "Prise en compte", en: "Acknowledged" },
        /// The destination declined it.
        Declined => "declined" { fr: "Refusée", en: "Declined" },
    }
}

/// A liaison's status change is not in the lifecycle (including staying in place).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a liaison cannot go from {from} to {to}")]
pub struct LiaisonTransitionError {
    /// The current status.
    pub from: LiaisonStatus,
    /// The status asked for.
    pub to: LiaisonStatus,
}

impl Refusal for LiaisonTransitionError {
    fn code(&self) -> &'static str {
        "invalid_liaison_transition"
    }

    fn sentence_fr(&self) -> String {
        format!(
            "une fiche de liaison ne peut pas passer du statut « {} » au statut « {} »",
            self.from.label_fr(),
            self.to.label_fr()
        )
    }
}

impl LiaisonStatus {
    /// The statuses this one may move to.
    pub fn allowed_targets(self) -> &'static [LiaisonStatus] {
        use LiaisonStatus::*;
        match self {
            Draft => &[Sent],
            Sent => &[Acknowledged, Declined],
            Acknowledged | Declined => &[],
        }
    }

    /// The status after moving to `to`, or why not.
    ///
    /// # Errors
    /// [`LiaisonTransitionError`] when the lifecycle has no such arrow.
    pub fn transition(self, to: LiaisonStatus) -> Result<LiaisonStatus, LiaisonTransitionError> {
        if self.allowed_targets().contains(&to) {
            Ok(to)
        } else {
            Err(LiaisonTransitionError { from: self, to })
        }
    }
}

/// Where a liaison goes: the kind of destination decides which consent scope covers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DestinationKind {
    /// A partner registered in the organisation.
    RegisteredPartner,
    /// An institution named on the sheet, with a contact.
    NamedInstitution,
}

impl DestinationKind {
    /// The one consent scope that covers sharing with this kind of destination.
    pub fn consent_scope(self) -> ConsentScope {
        match self {
            DestinationKind::RegisteredPartner => ConsentScope::ShareWithPartners,
            DestinationKind::NamedInstitution => ConsentScope::ShareWithNamedInstitution,
        }
    }
}

/// What [`check_send`] needs to know of the consent a liaison relies on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsentFacts {
    /// What the consent covers.
    pub scope: ConsentScope,
    /// Whether the person withdrew it.
    pub withdrawn: bool,
}

/// What the sharing rule needs to know of the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PersonFacts {
    /// The person was informed of how their data is processed and shared.
    pub informed: bool,
    /// A restriction or an objection of the person is active.
    pub restricted: bool,
}

impl PersonFacts {
    /// An informed person who restricted nothing.
    pub const INFORMED: PersonFacts = PersonFacts {
        informed: true,
        restricted: false,
    };
}

/// Why a liaison may not be sent; each has a stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SendRefusal {
    /// A restriction or an objection of the person is active: nothing of theirs is shared.
    #[error("the person restricted or objected to the processing of their data: it is not shared")]
    ProcessingRestricted,
    /// The person was never informed of how their data is processed (`informed_at` missing).
    #[error("the person was not informed of how their data is processed and shared")]
    PersonNotInformed,
    /// The legal basis is consent but no consent is attached.
    #[error("the legal basis is consent but no consent of the person is attached")]
    ConsentMissing,
    /// The consent attached was withdrawn.
    #[error("the person withdrew the consent this liaison relies on")]
    ConsentWithdrawn,
    /// The consent attached does not cover sharing with this kind of destination.
    #[error("the consent attached does not cover sharing with this destination")]
    ConsentScopeMismatch,
    /// The NIR is chosen but the legal basis does not allow sharing it.
    #[error("the NIR may only be shared under a legal obligation")]
    NirNotAllowed,
    /// Health details are chosen but the legal basis does not allow sharing them.
    #[error("health details may only be shared with the person's consent or under shared secrecy")]
    HealthNotAllowed,
}

impl SendRefusal {
    /// Every reason a send is refused.
    pub const ALL: &'static [SendRefusal] = &[
        SendRefusal::ProcessingRestricted,
        SendRefusal::PersonNotInformed,
        SendRefusal::ConsentMissing,
        SendRefusal::ConsentWithdrawn,
        SendRefusal::ConsentScopeMismatch,
        SendRefusal::NirNotAllowed,
        SendRefusal::HealthNotAllowed,
    ];
}

impl Refusal for SendRefusal {
    fn code(&self) -> &'static str {
        match self {
            SendRefusal::ProcessingRestricted => "processing_restricted",
            SendRefusal::PersonNotInformed => "person_not_informed",
            SendRefusal::ConsentMissing => "consent_missing",
            SendRefusal::ConsentWithdrawn => "consent_withdrawn",
            SendRefusal::ConsentScopeMismatch => "consent_scope_mismatch",
            SendRefusal::NirNotAllowed => "nir_not_allowed",
            SendRefusal::HealthNotAllowed => "health_not_allowed",
        }
    }

    fn sentence_fr(&self) -> String {
        match self {
            SendRefusal::ProcessingRestricted => {
                return crate::restriction::ProcessingRestricted.sentence_fr();
            }
            SendRefusal::PersonNotInformed => {
                "la personne n'a pas été informée du traitement et du partage de ses données"
            }
            SendRefusal::ConsentMissing => {
                "la base légale est le consentement, mais aucun consentement de la personne n'est \
                 joint"
            }
            SendRefusal::ConsentWithdrawn => {
                "la personne a retiré le consentement sur lequel repose cette fiche de liaison"
            }
            SendRefusal::ConsentScopeMismatch => {
                "le consentement joint ne couvre pas le partage avec ce destinataire"
            }
            SendRefusal::NirNotAllowed => {
                "le NIR ne peut être partagé qu'en vertu d'une obligation légale"
            }
            SendRefusal::HealthNotAllowed => {
                "les informations de santé ne peuvent être partagées qu'avec le consentement de la \
                 personne ou dans le cadre du secret professionnel partagé"
            }
        }
        .into()
    }
}

/// Whether `basis` allows sharing `content` at all, whatever the consent and the person.
///
/// | content | consent | shared_secrecy | legal_obligation |
/// |---|---|---|---|
/// | `nir` | no | no | yes |
/// | `health` | yes | yes | no |
/// | everything else | yes | yes | yes |
///
/// The NIR is only ever needed by a body that the law entitles to it (e.g. a social security
/// fund under a legal obligation); health details are shared with the person's consent or
/// between professionals bound by shared secrecy (CASF L121-6-2), never on a mere obligation
/// to inform.
pub fn basis_allows(basis: LegalBasis, content: LiaisonContent) -> bool {
    match content {
        LiaisonContent::Nir => basis == LegalBasis::LegalObligation,
        LiaisonContent::Health => {
            matches!(basis, LegalBasis::Consent | LegalBasis::SharedSecrecy)
        }
        _ => true,
    }
}

/// The first chosen content item `basis` does not allow, with its index and refusal.
pub fn content_refusal(
    basis: LegalBasis,
    content: &[LiaisonContent],
) -> Option<(usize, SendRefusal)> {
    content.iter().enumerate().find_map(|(i, &c)| {
        if basis_allows(basis, c) {
            None
        } else if c == LiaisonContent::Nir {
            Some((i, SendRefusal::NirNotAllowed))
        } else {
            Some((i, SendRefusal::HealthNotAllowed))
        }
    })
}

/// The sharing rule: may a liaison with this basis, destination and content be sent now?
///
/// Checked in this order, the first failure wins:
/// 0. no restriction or objection of the person is active (`processing_restricted`);
/// 1. the content is allowed by the basis ([`basis_allows`]): `nir_not_allowed`,
///    `health_not_allowed`;
/// 2. under `consent`: a consent is attached (`consent_missing`), not withdrawn
///    (`consent_withdrawn`), and of the scope of the destination (`consent_scope_mismatch`):
///    `share_with_partners` for a registered partner, `share_with_named_institution` for a
///    named institution — one scope each, never either, since a consent to share with the
///    registered partners does not cover an institution the person never heard of, and the
///    other way round. A consent given for another basis is ignored;
/// 3. the person was informed before any sharing (`person_not_informed`), whatever the basis.
///
/// # Errors
/// The first [`SendRefusal`] that applies.
pub fn check_send(
    basis: LegalBasis,
    destination: DestinationKind,
    content: &[LiaisonContent],
    consent: Option<ConsentFacts>,
    person: PersonFacts,
) -> Result<(), SendRefusal> {
    if crate::restriction::check_sharing(person.restricted).is_err() {
        return Err(SendRefusal::ProcessingRestricted);
    }
    if let Some((_, refusal)) = content_refusal(basis, content) {
        return Err(refusal);
    }
    if basis == LegalBasis::Consent {
        let consent = consent.ok_or(SendRefusal::ConsentMissing)?;
        if consent.withdrawn {
            return Err(SendRefusal::ConsentWithdrawn);
        }
        if consent.scope != destination.consent_scope() {
            return Err(SendRefusal::ConsentScopeMismatch);
        }
    }
    if !person.informed {
        return Err(SendRefusal::PersonNotInformed);
    }
    Ok(())
}

/// Parses content codes, keeping the first unknown one's index.
///
/// # Errors
/// The index of the first code that is not a [`LiaisonContent`].
pub fn parse_content(codes: &[String]) -> Result<Vec<LiaisonContent>, usize> {
    codes
        .iter()
        .enumerate()
        .map(|(i, c)| LiaisonContent::parse(c).ok_or(i))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use LegalBasis::*;
    use LiaisonContent as C;

    const PARTNER: DestinationKind = DestinationKind::RegisteredPartner;
    const NAMED: DestinationKind = DestinationKind::NamedInstitution;

    fn consent(scope: ConsentScope) -> Option<ConsentFacts> {
        Some(ConsentFacts {
            scope,
            withdrawn: false,
        })
    }

    #[test]
    fn a_draft_is_sent_then_acknowledged_or_declined_and_nothing_else() {
        use LiaisonStatus::*;
        assert_eq!(Draft.transition(Sent), Ok(Sent));
        assert_eq!(Sent.transition(Acknowledged), Ok(Acknowledged));
        assert_eq!(Sent.transition(Declined), Ok(Declined));
        for (from, to) in [
            (Draft, Draft),
            (Draft, Acknowledged),
            (Draft, Declined),
            (Sent, Sent),
            (Sent, Draft),
            (Acknowledged, Declined),
            (Declined, Acknowledged),
            (Acknowledged, Sent),
        ] {
            let err = from.transition(to).expect_err("not in the lifecycle");
            assert_eq!(err, LiaisonTransitionError { from, to });
            assert_eq!(err.code(), "invalid_liaison_transition");
        }
    }

    const NOT_INFORMED: PersonFacts = PersonFacts {
        informed: false,
        restricted: false,
    };

    #[test]
    fn a_restriction_of_the_person_stops_any_sharing_first() {
        let restricted = PersonFacts {
            informed: false,
            restricted: true,
        };
        for basis in [SharedSecrecy, LegalObligation, Consent] {
            assert_eq!(
                check_send(basis, NAMED, &[C::Nir], None, restricted),
                Err(SendRefusal::ProcessingRestricted)
            );
        }
    }

    #[test]
    fn shared_secrecy_with_an_informed_person_may_send_ordinary_content_and_health() {
        let content = [C::Identity, C::Reason, C::StepsPending, C::Health];
        assert_eq!(
            check_send(SharedSecrecy, NAMED, &content, None, PersonFacts::INFORMED),
            Ok(())
        );
    }

    #[test]
    fn the_person_must_have_been_informed_whatever_the_basis() {
        for basis in [SharedSecrecy, LegalObligation] {
            assert_eq!(
                check_send(basis, NAMED, &[C::Identity], None, NOT_INFORMED),
                Err(SendRefusal::PersonNotInformed)
            );
        }
        assert_eq!(
            check_send(
                Consent,
                PARTNER,
                &[C::Identity],
                consent(ConsentScope::ShareWithPartners),
                NOT_INFORMED
            ),
            Err(SendRefusal::PersonNotInformed)
        );
    }

    #[test]
    fn consent_must_be_attached_unwithdrawn_and_of_the_destination_scope() {
        let content = [C::Identity];
        assert_eq!(
            check_send(Consent, PARTNER, &content, None, PersonFacts::INFORMED),
            Err(SendRefusal::ConsentMissing)
        );
        let withdrawn = Some(ConsentFacts {
            scope: ConsentScope::ShareWithPartners,
            withdrawn: true,
        });
        assert_eq!(
            check_send(Consent, PARTNER, &content, withdrawn, PersonFacts::INFORMED),
            Err(SendRefusal::ConsentWithdrawn)
        );
        assert_eq!(
            check_send(
                Consent,
                PARTNER,
                &content,
                consent(ConsentScope::ShareWithNamedInstitution),
                PersonFacts::INFORMED
            ),
            Err(SendRefusal::ConsentScopeMismatch)
        );
        assert_eq!(
            check_send(
                Consent,
                NAMED,
                &content,
                consent(ConsentScope::ShareWithPartners),
                PersonFacts::INFORMED
            ),
            Err(SendRefusal::ConsentScopeMismatch)
        );
        assert_eq!(
            check_send(
                Consent,
                NAMED,
                &content,
                consent(ConsentScope::DataProcessing),
                PersonFacts::INFORMED
            ),
            Err(SendRefusal::ConsentScopeMismatch)
        );
        assert_eq!(
            check_send(
                Consent,
                PARTNER,
                &content,
                consent(ConsentScope::ShareWithPartners),
                PersonFacts::INFORMED
            ),
            Ok(())
        );
        assert_eq!(
            check_send(
                Consent,
                NAMED,
                &content,
                consent(ConsentScope::ShareWithNamedInstitution),
                PersonFacts::INFORMED
            ),
            Ok(())
        );
    }

    #[test]
    fn the_nir_goes_only_under_a_legal_obligation() {
        assert_eq!(
            check_send(
                LegalObligation,
                NAMED,
                &[C::Identity, C::Nir],
                None,
                PersonFacts::INFORMED
            ),
            Ok(())
        );
        assert_eq!(
            check_send(SharedSecrecy, NAMED, &[C::Nir], None, PersonFacts::INFORMED),
            Err(SendRefusal::NirNotAllowed)
        );
        assert_eq!(
            check_send(
                Consent,
                PARTNER,
                &[C::Nir],
                consent(ConsentScope::ShareWithPartners),
                PersonFacts::INFORMED
            ),
            Err(SendRefusal::NirNotAllowed)
        );
    }

    #[test]
    fn health_details_go_only_with_consent_or_shared_secrecy() {
        assert_eq!(
            check_send(
                LegalObligation,
                NAMED,
                &[C::Health],
                None,
                PersonFacts::INFORMED
            ),
            Err(SendRefusal::HealthNotAllowed)
        );
        assert_eq!(
            check_send(
                Consent,
                PARTNER,
                &[C::Health],
                consent(ConsentScope::ShareWithPartners),
                PersonFacts::INFORMED
            ),
            Ok(())
        );
    }

    #[test]
    fn the_content_refusal_names_the_first_item_not_allowed() {
        assert_eq!(
            content_refusal(SharedSecrecy, &[C::Identity, C::Health, C::Nir]),
            Some((2, SendRefusal::NirNotAllowed))
        );
        assert_eq!(
            content_refusal(LegalObligation, &[C::Health, C::Nir]),
            Some((0, SendRefusal::HealthNotAllowed))
        );
        assert_eq!(content_refusal(LegalObligation, &[C::Nir]), None);
    }

    #[test]
    fn refusal_codes_are_stable() {
        let codes: Vec<_> = SendRefusal::ALL.iter().map(Refusal::code).collect();
        assert_eq!(
            codes,
            [
                "processing_restricted",
                "person_not_informed",
                "consent_missing",
                "consent_withdrawn",
                "consent_scope_mismatch",
                "nir_not_allowed",
                "health_not_allowed"
            ]
        );
    }

    #[test]
    fn the_whitelist_has_no_private_notes_and_unknown_codes_are_located() {
        let codes: Vec<_> = LiaisonContent::ALL.iter().map(|c| c.code()).collect();
        assert_eq!(codes.len(), 10);
        assert!(!codes.iter().any(|c| c.contains("note")));
        let given = ["identity".to_owned(), "private_note".to_owned()];
        assert_eq!(parse_content(&given), Err(1));
        assert_eq!(
            parse_content(&["reason".to_owned(), "nir".to_owned()]),
            Ok(vec![C::Reason, C::Nir])
        );
    }
}
