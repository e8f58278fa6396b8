//! Merging two records of the same person: `POST /v1/persons/{id}/merge`. The rule is
//! `relais_domain::merge`; the rows move in `relais_store::merge`.

use actix_web::{HttpResponse, post, web};
use relais_domain::need_to_know;
use relais_domain::{
    AuditAction, AuditResource, MergeRefused, Merging, PersonPart, SituationMerge, check_merge,
};
use relais_store::audit::NewAuditEvent;
use relais_store::crypto::NirVault;
use relais_store::merge::{self as store, MergeRecord};
use relais_store::persons::{self, Corrector};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::Person;
use crate::conditional::{IfMatch, ok_with_etag};
use crate::context::Ctx;
use crate::error::ApiError;
use crate::extract::Json;
use crate::responses::WriteErrors;
use crate::routes::not_blank;

/// The record to merge into the one the path names.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "duplicate_id": "0192f0c1-7a3b-7c44-9d2e-5f6a7b8c9d0e",
    "reason": "Même personne enregistrée deux fois à l'accueil (nom d'usage et nom de naissance)"
}))]
pub struct MergeRequest {
    /// The duplicate: its cases, consents, referrals, restrictions, history, household and
    /// budget move to the kept record, and it then answers 404 `person_merged`.
    pub duplicate_id: Uuid,
    /// Why both records are the same person (1 to 2000 characters, not blank); recorded in the
    /// audit log, on both records.
    #[validate(length(min = 1, max = 2000))]
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub reason: String,
}

/// What became of the duplicate's household, or of its budget.
#[derive(Debug, Clone, Copy, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum MergedSituation {
    /// The duplicate had none.
    None,
    /// The kept record had none: the duplicate's is now the kept record's.
    Moved,
    /// Both had one: the kept record's stays; the duplicate's is kept, readable, in the
    /// rectification history (`merge.household`, `merge.budget`).
    Recorded,
}

impl From<SituationMerge> for MergedSituation {
    fn from(outcome: SituationMerge) -> Self {
        match outcome {
            SituationMerge::Nothing => MergedSituation::None,
            SituationMerge::Moves => MergedSituation::Moved,
            SituationMerge::Recorded => MergedSituation::Recorded,
        }
    }
}

/// How many records of the duplicate's moved to the kept record.
#[derive(Debug, Serialize, ToSchema)]
pub struct MergedCounts {
    /// Cases, with everything in them (contacts, plan, documents, applications, liaisons).
    pub cases: i64,
    pub consents: i64,
    pub referrals: i64,
    /// Restrictions of processing and objections, active or lifted.
    pub restrictions: i64,
    /// Changes of the rectification history.
    pub history: i64,
}

/// A merge done.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonMerge {
    /// The kept record as it now is (the NIR masked); its `ETag` is the response's.
    pub person: Person,
    /// The duplicate, now a tombstone that answers 404 `person_merged`.
    pub duplicate_id: Uuid,
    pub moved: MergedCounts,
    /// The kept record's fields that were empty and took the duplicate's value, as the
    /// rectification history names them (`phone`, `address.city`, `nir`…).
    pub filled: Vec<String>,
    pub household: MergedSituation,
    pub budget: MergedSituation,
}

/// The duplicate named in the body is no record the caller may merge.
fn unknown_duplicate() -> ApiError {
    ApiError::invalid(
        "/duplicate_id",
        "unknown_reference",
        "no such person in this organisation",
    )
}

fn merging(record: &MergeRecord, vault: &NirVault) -> Merging {
    Merging {
        id: record.id,
        merged_into: record.merged_into,
        anonymised: record.anonymised,
        nir: record
            .nir_ciphertext
            .as_deref()
            .and_then(|sealed| vault.decrypt(sealed)),
    }
}

/// Merges a duplicate record of the same person into this one (supervisors, `If-Match`).
///
/// Supervisors only (403 otherwise). `If-Match` carries the kept record's `ETag` (428 without
/// it, 412 when stale). The duplicate (`duplicate_id`) must be another person of the
/// organisation (422 at `/duplicate_id`: `same_person`, `unknown_reference`); neither record may
/// be anonymised (409 `person_anonymised`), the duplicate not already merged (409
/// `already_merged`), and two different NIRs are two persons (409 `nir_conflict`): these point
/// at `/duplicate_id`. A kept record that was itself merged answers 404 `person_merged`.
///
/// The duplicate's cases (with their documents, contacts, plans…), consents, referrals,
/// restrictions and rectification history move to the kept record. Each empty field of the kept
/// record takes the duplicate's value; a field set on both keeps the kept record's; the address,
/// how the person was informed, the legal protection with its representative and the disability
/// with its rate move each as a whole; the NIR moves when only the duplicate has one. The
/// household and the budget move when the kept record has none; when both have one, the kept
/// record's stays and the duplicate's is kept in the history. The history of the kept record
/// gains `merge.duplicate` (the duplicate's identity as it was, as JSON, and the kept id), the
/// `merge.household` and `merge.budget` taken or kept, and each field filled. The duplicate
/// keeps no personal data and answers 404 `person_merged` with `merged_into` on every route
/// under it; searches no longer find it. Audited as a `merge` of `person` on both records, with
/// the reason.
#[utoipa::path(
    operation_id = "merge_persons",
    tag = "persons",
    params(("id" = Uuid, Path, description = "The kept person's id"), crate::responses::IfMatchHeader),
    request_body = MergeRequest,
    responses((status = 200, description = "Merged: the kept record and what moved", body = PersonMerge, headers(("ETag" = String))), WriteErrors),
    security(("bearer" = []))
)]
#[post("/{id}/merge")]
pub async fn merge(
    ctx: Ctx,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<MergeRequest>,
) -> Result<HttpResponse, ApiError> {
    let kept_id = *id;
    let duplicate_id = body.duplicate_id;
    let (mut work, _) = ctx
        .person(kept_id, PersonPart::Merge, AuditResource::Person)
        .await?;
    not_blank(&body.reason, "/reason")?;
    if duplicate_id == kept_id {
        return Err(MergeRefused::SamePerson.into());
    }
    // The caller must see the duplicate's whole record too (need to know).
    let Some(sight) = persons::sight(&mut work.tx, duplicate_id, work.actor.agent_id).await? else {
        return Err(unknown_duplicate());
    };
    if need_to_know::may_use(&ctx.principal.roles, sight.ties, PersonPart::Merge).is_err() {
        let event = NewAuditEvent::new(
            AuditAction::AccessDenied,
            AuditResource::Person,
            duplicate_id,
        )
        .about(duplicate_id);
        return Err(work.deny(unknown_duplicate(), event).await);
    }
    let locked = store::lock(&mut work.tx, [kept_id, duplicate_id]).await?;
    let find = |id: Uuid| locked.iter().find(|r| r.id == id).ok_or(ApiError::NotFound);
    let (kept, duplicate) = (find(kept_id)?, find(duplicate_id)?);
    let vault = &ctx.state.vault;
    let nir = check_merge(&merging(kept, vault), &merging(duplicate, vault))?;
    if_match.check(kept.version)?;
    let by = Corrector {
        org_id: work.actor.org.id,
        agent_id: work.actor.agent_id,
    };
    let merged = store::merge(&mut work.tx, kept, duplicate, nir, by).await?;
    let person = persons::get(&mut work.tx, kept_id).await?;
    let reason = Some(body.reason.trim());
    for id in [kept_id, duplicate_id] {
        work.audit(
            NewAuditEvent::new(AuditAction::Merge, AuditResource::Person, id)
                .about(id)
                .because(reason),
        );
    }
    let version = person.version;
    work.commit(ok_with_etag(
        version,
        PersonMerge {
            person: Person::masked(person),
            duplicate_id,
            moved: MergedCounts {
                cases: merged.cases,
                consents: merged.consents,
                referrals: merged.referrals,
                restrictions: merged.restrictions,
                history: merged.history,
            },
            filled: merged.filled.iter().map(|f| (*f).to_owned()).collect(),
            household: merged.household.into(),
            budget: merged.budget.into(),
        },
    ))
    .await
}
