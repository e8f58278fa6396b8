//! The sharing rules of liaison sheets as the routes apply them: a new draft's destination,
//! content and consent (422 with pointers), and the whole rule again at send time (409 with
//! what is missing).

use relais_domain::liaison::{ConsentFacts, DestinationKind, content_refusal};
use relais_domain::{LegalBasis, PersonFacts, Refusal, SendRefusal, check_send};
use relais_store::cases::CaseRecord;
use relais_store::db::Tx;
use relais_store::liaisons::{self as store, Destination, LiaisonRecord};
use relais_store::persons::{self, ConsentRecord};
use relais_store::restrictions;

use super::model::{DestinationInput, NewLiaison};
use crate::error::{ApiError, FieldError};

/// The code of a liaison addressed to a disabled partner.
const PARTNER_DISABLED: &str = "partner_disabled";

/// The destination of a request: a partner id alone, or a name with a contact.
pub(super) fn destination(input: &DestinationInput) -> Result<Destination, ApiError> {
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    match (input.partner_id, text(&input.name), text(&input.contact)) {
        (Some(partner), None, None) => Ok(Destination::Partner(partner)),
        (None, Some(name), Some(contact)) => Ok(Destination::Named { name, contact }),
        _ => Err(ApiError::invalid(
            "/destination",
            "invalid_destination",
            "give either {partner_id} (a registered partner) or {name, contact} (a named \
             institution and who to reach there)",
        )),
    }
}

fn destination_kind(destination: &Destination) -> DestinationKind {
    match destination {
        Destination::Partner(_) => DestinationKind::RegisteredPartner,
        Destination::Named { .. } => DestinationKind::NamedInstitution,
    }
}

/// What the sharing rule needs of a stored consent.
fn consent_facts(consent: &ConsentRecord) -> ConsentFacts {
    ConsentFacts {
        scope: consent.scope,
        withdrawn: consent.withdrawn_at.is_some(),
    }
}

/// The checks of a new draft on what can never change afterwards; 422 with pointers.
pub(super) async fn check_draft(
    tx: &mut Tx,
    case: &CaseRecord,
    body: &NewLiaison,
    destination: &Destination,
) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    if let Destination::Partner(id) = destination {
        // Another organisation's partners are invisible here (row-level security).
        match store::partner_enabled(tx, *id).await? {
            None => errors.push(FieldError::body(
                "/destination/partner_id",
                "unknown_partner",
                "no partner with this id is registered in the organisation",
            )),
            Some(false) => errors.push(FieldError::body(
                "/destination/partner_id",
                PARTNER_DISABLED,
                "this partner is disabled: nothing can be addressed to it",
            )),
            Some(true) => {}
        }
    }
    for (i, c) in body.content.iter().enumerate() {
        if body.content[..i].contains(c) {
            errors.push(FieldError::body(
                format!("/content/{i}"),
                "duplicate",
                format!("{} is chosen twice", c.code()),
            ));
        }
    }
    if let Some((i, refusal)) = content_refusal(body.legal_basis, &body.content) {
        errors.push(FieldError::refused(format!("/content/{i}"), &refusal));
    }
    match (body.legal_basis, body.consent_id) {
        (LegalBasis::Consent, None) => errors.push(FieldError::refused(
            "/consent_id",
            &SendRefusal::ConsentMissing,
        )),
        (LegalBasis::Consent, Some(id)) => {
            match store::person_consent(tx, case.person_id, id).await? {
                None => errors.push(FieldError::body(
                    "/consent_id",
                    "unknown_consent",
                    "no consent with this id was given by the person of this case",
                )),
                Some(consent) => {
                    let facts = consent_facts(&consent);
                    // Only the consent's own refusals: the person may still be informed later.
                    if let Err(refusal) = check_send(
                        LegalBasis::Consent,
                        destination_kind(destination),
                        &[],
                        Some(facts),
                        PersonFacts::INFORMED,
                    ) {
                        errors.push(FieldError::refused("/consent_id", &refusal));
                    }
                }
            }
        }
        (_, Some(_)) => errors.push(FieldError::body(
            "/consent_id",
            "consent_not_applicable",
            "a consent is only attached when the legal basis is consent",
        )),
        (_, None) => {}
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

/// Why a liaison may not be shared today: its partner was disabled since the draft, or the
/// sharing rule refuses it. A refusal of the request as a whole (409).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SharingStopped {
    #[error("the partner this liaison is addressed to is disabled")]
    PartnerDisabled,
    #[error(transparent)]
    Refused(#[from] SendRefusal),
}

impl Refusal for SharingStopped {
    fn code(&self) -> &'static str {
        match self {
            SharingStopped::PartnerDisabled => PARTNER_DISABLED,
            SharingStopped::Refused(refusal) => refusal.code(),
        }
    }

    fn sentence_fr(&self) -> String {
        match self {
            SharingStopped::PartnerDisabled => {
                "le partenaire destinataire de cette fiche de liaison est désactivé".into()
            }
            SharingStopped::Refused(refusal) => refusal.sentence_fr(),
        }
    }
}

impl From<SharingStopped> for ApiError {
    fn from(stopped: SharingStopped) -> Self {
        ApiError::refused(&stopped)
    }
}

/// The sharing rule at send time, on the current person, consent and partner: 409 with its
/// code (`partner_disabled` when the partner was disabled since the draft).
pub(crate) async fn sharing_allowed(
    tx: &mut Tx,
    case: &CaseRecord,
    liaison: &LiaisonRecord,
) -> Result<(), ApiError> {
    match sharing_stopped(tx, case, liaison).await? {
        Some(stopped) => Err(stopped.into()),
        None => Ok(()),
    }
}

/// Why the sharing rule, at this moment, stops `liaison` from being shared, if it does.
pub(crate) async fn sharing_stopped(
    tx: &mut Tx,
    case: &CaseRecord,
    liaison: &LiaisonRecord,
) -> Result<Option<SharingStopped>, ApiError> {
    if let Some(id) = liaison.partner_id()
        && store::partner_enabled(tx, id).await? != Some(true)
    {
        return Ok(Some(SharingStopped::PartnerDisabled));
    }
    let person = persons::get(tx, case.person_id).await?;
    let restricted = restrictions::active(tx, case.person_id).await?;
    let consent = match liaison.consent_id {
        Some(id) => store::person_consent(tx, case.person_id, id)
            .await?
            .map(|consent| consent_facts(&consent)),
        None => None,
    };
    Ok(check_send(
        liaison.legal_basis,
        destination_kind(&liaison.destination),
        &liaison.content,
        consent,
        PersonFacts {
            informed: person.informed_at.is_some(),
            restricted,
        },
    )
    .err()
    .map(SharingStopped::Refused))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_liaison_that_may_not_be_shared_is_a_409_with_the_code_of_why() {
        for (stopped, code) in [
            (SharingStopped::PartnerDisabled, "partner_disabled"),
            (
                SharingStopped::Refused(SendRefusal::ConsentWithdrawn),
                "consent_withdrawn",
            ),
        ] {
            let problem = ApiError::from(stopped).problem(None, None);
            assert_eq!((problem.status, problem.code.as_str()), (409, code));
            assert_eq!(problem.detail, stopped.to_string());
        }
    }
}
