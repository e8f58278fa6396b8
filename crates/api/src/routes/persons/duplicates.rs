//! Creating a person who may already be known: the organisation's persons with the same NIR, or
//! the same names and birth date (`relais_domain::person::likeness`), are answered as a 409 with
//! their search views instead, unless the caller confirms that the new person is another one.
//! A NIR is one person: its 409 `duplicate_nir` cannot be confirmed away.

use actix_web::HttpResponse;
use relais_domain::person::{Identity, Likeness};
use relais_domain::{AuditAction, AuditResource};
use relais_store::audit::NewAuditEvent;
use relais_store::duplicates::{self, Candidate, Sought};
use relais_store::persons::{self, Known, NirChange, PersonData, PersonRecord};
use serde::Serialize;
use utoipa::ToSchema;

use super::model::PersonSearchView;
use crate::context::Ctx;
use crate::error::{ApiError, Code, FieldError, Problem, problem_answer};
use crate::work::Work;

/// Why a person was answered as a possible duplicate.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MatchedBy {
    /// The same NIR.
    Nir,
    /// The same names (accents, case, hyphens and the birth name aside) and birth date.
    Names,
}

/// A person of the organisation the new one may be: what anyone may see of them (the search
/// view), and why they came up.
#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicateCandidate {
    #[serde(flatten)]
    pub person: PersonSearchView,
    pub matched_by: MatchedBy,
}

/// 409 `possible_duplicate` or `duplicate_nir`: the problem document and the persons the new one
/// may be. Use one of them (its `id`), or send the creation again with `confirm_distinct: true`
/// when the person is another one (not possible for `duplicate_nir`).
#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicateProblem {
    #[serde(flatten)]
    pub problem: Problem,
    /// The persons found, oldest first.
    #[schema(required = false)]
    pub candidates: Vec<DuplicateCandidate>,
}

/// What creating a person came to: the person, or the answer naming who they may already be.
pub(crate) enum Creation {
    Created(Box<PersonRecord>),
    Known(HttpResponse),
}

/// Creates the person of `data` unless the organisation may already know them: then the answer
/// is a 409 with the candidates (each audited as a `search` of the person), pointing at
/// `{prefix}/confirm_distinct` (or `{prefix}/nir` for the same NIR). Audited as a `create`.
pub(crate) async fn create_unless_known(
    work: &mut Work,
    ctx: &Ctx,
    data: &PersonData,
    confirm_distinct: bool,
    prefix: &str,
) -> Result<Creation, ApiError> {
    let vault = &ctx.state.vault;
    let nir = match &data.nir {
        NirChange::Set(nir) => Some(nir),
        NirChange::Keep | NirChange::Clear => None,
    };
    let sought = Sought {
        identity: Identity {
            first_name: &data.first_name,
            last_name: &data.last_name,
            birth_name: data.birth_name.as_deref(),
            birth_date: data.birth_date,
        },
        nir,
    };
    let found = duplicates::candidates(&mut work.tx, std::slice::from_ref(&sought), vault)
        .await?
        .pop()
        .unwrap_or_default();
    let same_nir = found.iter().any(|c| c.likeness == Likeness::SameNir);
    if same_nir || (!found.is_empty() && !confirm_distinct) {
        let error = if same_nir {
            ApiError::new(
                Code::DuplicateNir,
                "a person with this NIR already exists in the organisation",
            )
            .at(FieldError::body(
                format!("{prefix}/nir"),
                "duplicate_nir",
                "this NIR is another person's: use that person",
            ))
        } else {
            ApiError::new(
                Code::PossibleDuplicate,
                format!(
                    "{} person(s) of the organisation have these names and this birth date: use \
                     one, or send confirm_distinct: true if this is another person",
                    found.len()
                ),
            )
            .at(FieldError::body(
                format!("{prefix}/confirm_distinct"),
                "possible_duplicate",
                "confirm that this is another person",
            ))
        };
        let candidates = views(work, found).await?;
        let body = DuplicateProblem {
            problem: error.problem(None, None),
            candidates,
        };
        return Ok(Creation::Known(problem_answer(&error, &body)?));
    }
    let actor = &work.actor;
    let person = persons::create(&mut work.tx, actor.org.id, actor.agent_id, data, vault).await?;
    work.audit(
        NewAuditEvent::new(AuditAction::Create, AuditResource::Person, person.id).about(person.id),
    );
    Ok(Creation::Created(Box::new(person)))
}

/// The candidates as anyone may see them, each audited as a `search` of the person.
async fn views(
    work: &mut Work,
    found: Vec<Candidate>,
) -> Result<Vec<DuplicateCandidate>, ApiError> {
    let ids: Vec<_> = found.iter().map(|c| c.id).collect();
    let mut sights = persons::sights(&mut work.tx, &ids, work.actor.agent_id).await?;
    work.audit_all(
        ids.iter().map(|id| {
            NewAuditEvent::new(AuditAction::Search, AuditResource::Person, *id).about(*id)
        }),
    );
    Ok(found
        .into_iter()
        .map(|c| {
            let known: Known = sights.remove(&c.id).map(|s| s.known).unwrap_or_default();
            DuplicateCandidate {
                person: PersonSearchView {
                    id: c.id,
                    first_name: c.first_name,
                    last_name: c.last_name,
                    birth_name: c.birth_name,
                    birth_date: c.birth_date,
                    known: known.into(),
                    restricted: true,
                },
                matched_by: match c.likeness {
                    Likeness::SameNir => MatchedBy::Nir,
                    Likeness::SameNames => MatchedBy::Names,
                },
            }
        })
        .collect())
}
