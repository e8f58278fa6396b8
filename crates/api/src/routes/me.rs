//! The caller: who they are for Relais, and the reference code lists.

use actix_web::{HttpRequest, HttpResponse, get};
use relais_domain::{CodeList, Permission};
use relais_store::agenda;
use relais_store::db::Access;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::context::Ctx;
use crate::error::ApiError;
use crate::responses::ReadErrors;

/// The caller's organisation.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrganisationSummary {
    pub id: Uuid,
    #[schema(example = "demo")]
    pub slug: String,
    pub name: String,
}

/// The authenticated agent.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// The agent id (used as referent and team member).
    pub agent_id: Uuid,
    /// The token's subject.
    pub subject: String,
    pub name: Option<String>,
    pub organisation: OrganisationSummary,
    #[schema(schema_with = crate::schema::roles)]
    pub roles: Vec<String>,
    /// The caller's profile as the directory and documents show it; its `version` is the one
    /// `PATCH /v1/me` takes in `If-Match` (also this answer's `ETag`).
    pub profile: crate::routes::agents::Agent,
    /// The caller's calendar feed URL (`GET /v1/agenda.ics?token=…`; the token in it is the
    /// credential: keep it secret). Null until `POST /v1/agenda/feed-token` creates one, after
    /// `DELETE /v1/agenda/feed-token`, and for roles without an agenda.
    #[schema(
        example = "https://relais.example/v1/agenda.ics?token=q1v5x2kFh0dJ9cXo0TQmJ2n0S9rj3v0xU0e6g0bJbXo"
    )]
    pub agenda_feed_url: Option<String>,
}

/// Who am I? Provisions the agent on its first call.
///
/// Any valid token may call it, a partner's included. Answers the caller's agent id (the id to use
/// as a case's referent or team member), the token's subject and name, the organisation, the roles,
/// and, for workers and supervisors, the calendar feed URL once `POST /v1/agenda/feed-token` has
/// made one. The first call of a subject creates its agent; later calls update the agent's name,
/// e-mail and roles when the token's differ (the name and e-mail only until the agent writes
/// their own profile with `PATCH /v1/me`). The `profile` is the agent as the directory shows
/// them, contact details included; its version is the answer's `ETag`. Answered with
/// `Cache-Control: no-store` (the feed URL is a credential); not audited.
#[utoipa::path(
    tag = "me",
    responses((status = 200, description = "The caller", body = Me, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
#[get("/me")]
pub async fn me(ctx: Ctx, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let mut work = ctx.work(Access::Read).await?;
    let actor = &work.actor;
    let profile = relais_store::agents::get(&mut work.tx, actor.agent_id).await?;
    let version = profile.version;
    let profile = crate::routes::agents::Agent::seen_by(profile, actor.agent_id, true);
    let feed_token = if ctx.allows(Permission::CaseReadTeam) {
        agenda::current_feed_token(&mut work.tx, &ctx.state.vault, actor.org.id, actor.agent_id)
            .await?
    } else {
        None
    };
    // The feed URL is a credential: no cache may keep it.
    let mut response = HttpResponse::Ok();
    crate::conditional::with_etag(&mut response, version);
    let response = response
        .insert_header(("Cache-Control", "no-store"))
        .json(Me {
            agent_id: actor.agent_id,
            subject: actor.subject.clone(),
            name: ctx.principal.name.clone(),
            organisation: OrganisationSummary {
                id: actor.org.id,
                slug: actor.org.slug.clone(),
                name: actor.org.name.clone(),
            },
            roles: ctx.principal.role_codes.clone(),
            profile,
            agenda_feed_url: feed_token.map(|t| crate::routes::agenda::feed_url(&req, &t.token)),
        });
    work.commit(response).await
}

/// One code with its labels.
#[derive(Debug, Serialize, ToSchema)]
pub struct CodeLabel {
    pub code: String,
    pub fr: String,
    pub en: String,
}

/// One code list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReferenceList {
    #[schema(example = "case_status")]
    pub name: String,
    pub codes: Vec<CodeLabel>,
}

/// Every code list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Reference {
    pub lists: Vec<ReferenceList>,
}

impl From<CodeList> for ReferenceList {
    fn from(list: CodeList) -> Self {
        Self {
            name: list.name.to_owned(),
            codes: list
                .codes
                .into_iter()
                .map(|c| CodeLabel {
                    code: c.code.to_owned(),
                    fr: c.fr.to_owned(),
                    en: c.en.to_owned(),
                })
                .collect(),
        }
    }
}

/// Every enumeration code with its French and English labels.
///
/// Every role may read it. Each code list (`case_status`, `closure_reason`, `legal_basis`…) gives
/// every code with its `fr` and `en` label: the codes, not the labels, are what the API reads and
/// writes. The lists change only with the service's version: answered with `Cache-Control: private,
/// max-age=3600`. Not audited.
#[utoipa::path(
    tag = "me",
    responses((status = 200, description = "The code lists", body = Reference), ReadErrors),
    security(("bearer" = []))
)]
#[get("/reference")]
pub async fn reference(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::ReferenceRead)?;
    let lists = relais_domain::catalogue()
        .into_iter()
        .map(ReferenceList::from)
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "private, max-age=3600"))
        .json(Reference { lists }))
}
