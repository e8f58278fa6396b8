//! `POST /v1/referrals/{id}/decision`: accept (a case opens in intake), decline or redirect a
//! received referral, once.
//!
//! Accepting links the case to the person the referral is about: the person named by
//! `person_id`, else the one with the same NIR, else the only one with the same names and birth
//! date as a creation compares them (`relais_domain::person::likeness`: accents, case, hyphens,
//! a birth name, swapped names; merged persons never), as `relais_domain::referral::match_person`
//! decides; several such persons answer 409
//! `ambiguous_person`, and nobody a new person made from the referral's identity (informed as
//! the consent proof says). The decider becomes the case's referent.
//!
//! Redirecting copies nothing to the other organisation. The referral was entrusted to this
//! organisation under professional secrecy, with the person's consent to *this* referral; the
//! other organisation has no relationship with the person yet. So the partner, who holds the
//! person's file and consent, is told where to post it again (`redirected_to`), and does so
//! itself.
//!
//! Every decision queues a `referral.status_changed` webhook and is audited as a `transition`
//! of the referral, in the same transaction.

use actix_web::{HttpResponse, post, web};
use relais_domain::case::default_target_end;
use relais_domain::person::{Identity, Likeness};
use relais_domain::referral::match_person;
use relais_domain::restriction::check_sharing;
use relais_domain::{
    AuditAction, AuditResource, CaseOrigin, DeclineReason, Permission, PersonMatch, ReferralOutcome,
};
use relais_store::audit::NewAuditEvent;
use relais_store::cases::{self, NewCase};
use relais_store::db::{Access, Tx};
use relais_store::duplicates::{self, Sought};
use relais_store::organisations;
use relais_store::persons::{self, NirChange, PersonData};
use relais_store::referrals::{self as store, Decision, ReferralRecord, Viewer};
use relais_store::restrictions;
use uuid::Uuid;

use super::model::{NewReferralDecision, Referral};
use crate::conditional::{IfMatch, ok_with_etag};
use crate::context::{Actor, Ctx};
use crate::error::{ApiError, Code, FieldError};
use crate::extract::Json;
use crate::responses::WriteErrors;
use crate::routes::today;
use crate::work::Work;

/// The fields each outcome needs and refuses (absent or null), the one statement of the rule:
/// [`check`] applies it, and the document states it as a `oneOf` on `outcome`
/// ([`crate::openapi`]).
pub const OUTCOME_FIELDS: crate::openapi::Variants = crate::openapi::Variants {
    schema: "NewReferralDecision",
    on: "outcome",
    cases: &[
        ("accepted", &[], &["reason_code", "redirected_to"]),
        (
            "declined",
            &["reason_code"],
            &["redirected_to", "person_id"],
        ),
        (
            "redirected",
            &["redirected_to"],
            &["reason_code", "person_id"],
        ),
    ],
};

/// The fields each outcome needs and refuses: 422 with pointers.
fn check(body: &NewReferralDecision) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    let given = |field: &str| match field {
        "reason_code" => body.reason_code.is_some(),
        "redirected_to" => body.redirected_to.is_some(),
        "person_id" => body.person_id.is_some(),
        _ => false,
    };
    let outcome = body.outcome.code();
    for (field, rule) in OUTCOME_FIELDS.rules(outcome) {
        match rule {
            crate::openapi::Rule::Required if !given(field) => errors.push(FieldError::body(
                format!("/{field}"),
                "required",
                format!("required with the outcome {outcome}"),
            )),
            crate::openapi::Rule::Refused if given(field) => {
                let with: Vec<&str> = OUTCOME_FIELDS.allowing(field).collect();
                errors.push(FieldError::body(
                    format!("/{field}"),
                    "not_applicable",
                    format!("only with the outcome {}", with.join(" or ")),
                ));
            }
            _ => {}
        }
    }
    if body.message.as_deref().is_some_and(|m| m.trim().is_empty()) {
        errors.push(FieldError::body("/message", "blank", "must not be blank"));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

/// The organisation a referral is redirected to: another one of the deployment.
async fn redirect_target(tx: &mut Tx, actor: &Actor, slug: &str) -> Result<Uuid, ApiError> {
    let slug = slug.trim();
    match organisations::find_by_slug(tx, slug).await? {
        None => Err(ApiError::invalid(
            "/redirected_to",
            "unknown_organisation",
            format!("no organisation {slug:?} in this deployment"),
        )),
        Some(org) if org.id == actor.org.id => Err(ApiError::invalid(
            "/redirected_to",
            "same_organisation",
            "a referral is redirected to another organisation",
        )),
        Some(org) => Ok(org.id),
    }
}

/// The person named explicitly: one of the organisation's, whose NIR (if known) is the
/// referral's.
async fn chosen_person(
    tx: &mut Tx,
    ctx: &Ctx,
    referral: &ReferralRecord,
    person_id: Uuid,
) -> Result<Uuid, ApiError> {
    let Some(hash) = store::person_nir_hash(tx, person_id).await? else {
        return Err(ApiError::invalid(
            "/person_id",
            "unknown_reference",
            "no such person in this organisation",
        ));
    };
    if let (Some(hash), Some(nir)) = (hash, referral.nir(&ctx.state.vault))
        && hash != ctx.state.vault.search_hash(&nir)
    {
        return Err(ApiError::invalid(
            "/person_id",
            "nir_mismatch",
            "this person's NIR is not the one of the referral",
        ));
    }
    Ok(person_id)
}

/// The person the accepted referral is about: found, chosen, or created (with its audit event).
async fn person_for(
    work: &mut Work,
    ctx: &Ctx,
    referral: &ReferralRecord,
    explicit: Option<Uuid>,
) -> Result<Uuid, ApiError> {
    let tx = &mut work.tx;
    if let Some(id) = explicit {
        return chosen_person(tx, ctx, referral, id).await;
    }
    let vault = &ctx.state.vault;
    let nir = referral.nir(vault);
    let sought = Sought {
        identity: Identity {
            first_name: &referral.first_name,
            last_name: &referral.last_name,
            birth_name: referral.birth_name.as_deref(),
            birth_date: Some(referral.birth_date),
        },
        nir: nir.as_ref(),
    };
    let found = duplicates::candidates(tx, std::slice::from_ref(&sought), vault)
        .await?
        .pop()
        .unwrap_or_default();
    let by_nir = found
        .iter()
        .find(|c| c.likeness == Likeness::SameNir)
        .map(|c| c.id);
    let by_name: Vec<Uuid> = found
        .iter()
        .filter(|c| c.likeness == Likeness::SameNames)
        .map(|c| c.id)
        .collect();
    match match_person(by_nir, &by_name) {
        PersonMatch::Existing(id) => Ok(id),
        PersonMatch::Ambiguous(ids) => Err(ApiError::new(
            Code::AmbiguousPerson,
            format!(
                "{} persons of the organisation have these names and this birth date ({}): \
                 send the right one's id as person_id",
                ids.len(),
                ids.iter()
                    .map(Uuid::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
        PersonMatch::New => {
            let data = PersonData {
                first_name: referral.first_name.clone(),
                last_name: referral.last_name.clone(),
                birth_name: referral.birth_name.clone(),
                birth_date: Some(referral.birth_date),
                nir: nir.map_or(NirChange::Keep, NirChange::Set),
                address_line1: referral.address_line1.clone(),
                address_line2: referral.address_line2.clone(),
                address_postcode: referral.address_postcode.clone(),
                address_city: referral.address_city.clone(),
                address_country: referral.address_country.clone(),
                phone: referral.phone.clone(),
                email: referral.email.clone(),
                informed_at: Some(crate::instant::start_of(referral.informed_on)),
                informed_channel: Some(referral.informed_channel),
                ..PersonData::default()
            };
            let actor = &work.actor;
            let person = persons::create(tx, actor.org.id, actor.agent_id, &data, vault).await?;
            work.audit(
                NewAuditEvent::new(AuditAction::Create, AuditResource::Person, person.id)
                    .about(person.id),
            );
            Ok(person.id)
        }
    }
}

/// Opens the case of an accepted referral in intake, the decider as referent.
async fn open_case(
    work: &mut Work,
    referral: &ReferralRecord,
    person_id: Uuid,
) -> Result<Uuid, ApiError> {
    let actor = &work.actor;
    let opened_on = today();
    let months = u32::try_from(actor.org.case_target_months).unwrap_or(6);
    let case = cases::create(
        &mut work.tx,
        actor.org.id,
        actor.agent_id,
        &NewCase {
            person_id,
            reason: &referral.reason,
            origin: CaseOrigin::PartnerReferral,
            referent_id: Some(actor.agent_id),
            team_ids: vec![actor.agent_id],
            opened_on,
            target_end_on: default_target_end(opened_on, months),
        },
    )
    .await?;
    work.audit(
        NewAuditEvent::new(AuditAction::Create, AuditResource::Case, case.id).about(person_id),
    );
    Ok(case.id)
}

/// Decides on a received referral: accepted (opens a case in intake), declined or redirected.
///
/// Workers and supervisors (403 for reception, admin, dpo and partners); `If-Match` is required
/// (428, 412). Only a `received` referral is decided, once (409 `invalid_transition` otherwise).
/// `declined` needs a `reason_code`, `redirected` the slug of another organisation of the
/// deployment in `redirected_to` (nothing is copied to it: the partner posts again there);
/// `person_id` is for `accepted` only (422 for a field given with the wrong outcome). A referral
/// whose NIR is that of a person with an active restriction or objection is not redirected (409
/// `processing_restricted`). `accepted`
/// links the person named by `person_id`, else the one with the referral's NIR, else the only one
/// with the same names and birth date (409 `ambiguous_person` when several match), else a new
/// person made from the referral; it opens a case in `intake` with the decider as referent. Every
/// decision queues the `referral.status_changed` webhook. Audited as a `transition` of `referral`
/// (and a `create` of the `case`, and of the `person` when one is made).
#[utoipa::path(
    tag = "referrals",
    operation_id = "decide_referral",
    params(
        ("id" = Uuid, Path, description = "Referral id"),
        crate::responses::IfMatchHeader,
        crate::responses::IdempotencyKeyHeader
    ),
    request_body = NewReferralDecision,
    responses(
        (status = 200, description = "Decided; `case_id` and `person_id` when accepted", body = Referral, headers(("ETag" = String))),
        WriteErrors
    ),
    security(("bearer" = []))
)]
#[post("/referrals/{id}/decision")]
pub async fn decide(
    ctx: Ctx,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<NewReferralDecision>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::ReferralDecide)?;
    check(&body)?;
    let mut work = ctx.work(Access::Write).await?;
    let current = store::lock(&mut work.tx, *id).await?;
    let version = if_match.check(current.version)?;
    current.status.transition(body.outcome.status())?;
    let decision = match body.outcome {
        ReferralOutcome::Accepted => {
            let person_id = person_for(&mut work, &ctx, &current, body.person_id).await?;
            let case_id = open_case(&mut work, &current, person_id).await?;
            Decision::Accepted { case_id, person_id }
        }
        // `check` made sure a declined decision has its reason.
        ReferralOutcome::Declined => {
            Decision::Declined(body.reason_code.unwrap_or(DeclineReason::Other))
        }
        ReferralOutcome::Redirected => {
            // A person of the organisation who restricted the processing of their data is not
            // sent elsewhere.
            if let Some(nir) = current.nir(&ctx.state.vault) {
                let hash = ctx.state.vault.search_hash(&nir);
                check_sharing(restrictions::active_for_nir_hash(&mut work.tx, &hash).await?)?;
            }
            let slug = body.redirected_to.as_deref().unwrap_or_default();
            Decision::Redirected(redirect_target(&mut work.tx, &work.actor, slug).await?)
        }
    };
    let decided = store::decide(
        &mut work.tx,
        work.actor.org.id,
        current.id,
        version,
        decision,
        body.message.as_deref().map(str::trim),
        work.actor.agent_id,
    )
    .await?;
    work.audit(
        NewAuditEvent::new(AuditAction::Transition, AuditResource::Referral, decided.id)
            .about(decided.person_id),
    );
    work.commit(ok_with_etag(
        decided.version,
        Referral::view(decided, Viewer::Organisation),
    ))
    .await
}
