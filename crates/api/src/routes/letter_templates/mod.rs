//! The organisation's letter templates (*modèles de courrier*): what its letters say, with
//! merge fields, in a sandboxed template language ([`crate::documents::letter::sandbox`]).
//!
//! Workers, supervisors and administrators read them (`Permission::LetterTemplateRead`: the
//! intranet shows the choice and the fields to fill in); administrators create and change them
//! (`If-Match`), and archive them instead of deleting them (`archived: true`: an archived
//! template takes no new letter). Every organisation begins with the French starter set of the
//! domain (`relais_domain::letter::STARTERS`), which its administrators may change or archive.
//!
//! A template holds no personal data: reading them is not audited. Writes are, like the other
//! settings of the organisation (`create` or `update` of `letter_template`, about no person).

mod model;

use actix_web::{HttpResponse, get, patch, post, web};
use relais_domain::{AuditAction, AuditResource, Permission};
use relais_store::audit::NewAuditEvent;
use relais_store::db::Access;
use relais_store::letter_templates as store;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::conditional::{IfMatch, created, ok_with_etag};
use crate::context::Ctx;
use crate::error::ApiError;
use crate::extract::{Json, Query};
use crate::pagination::{PageParams, into_views};
use crate::responses::{CreateErrors, ReadErrors, WriteErrors};

pub use model::{
    LetterTemplate, LetterTemplateField, LetterTemplateList, LetterTemplatePatch, NewLetterTemplate,
};

fn location(id: Uuid) -> String {
    format!("/v1/letter-templates/{id}")
}

/// The audit event of a write to the template `id` (about no person).
fn write_event(action: AuditAction, id: Uuid) -> NewAuditEvent {
    NewAuditEvent::new(action, AuditResource::LetterTemplate, id)
}

/// Filters of the list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only archived (`true`) or only usable (`false`) templates; all when absent.
    pub archived: Option<bool>,
}

/// Lists the organisation's letter templates, oldest first (the starter set first).
///
/// Workers, supervisors and administrators (403 for other roles). Filter by `archived`
/// (`false`: the templates a letter can be written from). Each template with its texts and the
/// fields a worker fills in. Templates hold no personal data: not audited.
#[utoipa::path(
    tag = "letters",
    operation_id = "list_letter_templates",
    params(ListParams, PageParams),
    responses((status = 200, description = "Templates, oldest first", body = LetterTemplateList), ReadErrors),
    security(("bearer" = []))
)]
#[get("/letter-templates")]
pub async fn list(
    ctx: Ctx,
    params: Query<ListParams>,
    page: Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::LetterTemplateRead)?;
    let page = page.request()?;
    let mut work = ctx.work(Access::Read).await?;
    let found = store::list(&mut work.tx, params.archived, page).await?;
    let (items, next_cursor) = into_views(found, LetterTemplate::from);
    work.commit(HttpResponse::Ok().json(LetterTemplateList { items, next_cursor }))
        .await
}

/// Reads a letter template.
///
/// Workers, supervisors and administrators (403 for other roles). Not audited.
#[utoipa::path(
    tag = "letters",
    operation_id = "read_letter_template",
    params(("id" = Uuid, Path, description = "Template id")),
    responses((status = 200, description = "The template", body = LetterTemplate, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
#[get("/letter-templates/{id}")]
pub async fn read(ctx: Ctx, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::LetterTemplateRead)?;
    let mut work = ctx.work(Access::Read).await?;
    let template = store::get(&mut work.tx, *id).await?;
    work.commit(ok_with_etag(
        template.version,
        LetterTemplate::from(template),
    ))
    .await
}

/// Adds a letter template.
///
/// Administrators only. The name is unique in the organisation (409
/// `letter_template_name_taken`). The fields are checked (422 at `/fields/{i}/name`: not
/// `snake_case` or declared twice), then the texts in the sandbox: a syntax error at `/subject`
/// or `/body` with its line (`template_syntax`), a variable that is neither a merge field nor a
/// declared field (`unknown_merge_field`, naming it), a failure when rendered once with sample
/// data (`template_error`: an endless loop, a recursive macro, an unknown filter…) or a text too
/// long (`too_long`). See `NewLetterTemplate` for the language and the merge fields. Audited
/// as a `create` of `letter_template`.
#[utoipa::path(
    tag = "letters",
    operation_id = "create_letter_template",
    params(crate::responses::IdempotencyKeyHeader),
    request_body = NewLetterTemplate,
    responses(
        (status = 201, description = "The template", body = LetterTemplate, headers(("Location" = String), ("ETag" = String))),
        CreateErrors
    ),
    security(("bearer" = []))
)]
#[post("/letter-templates")]
pub async fn create(ctx: Ctx, body: Json<NewLetterTemplate>) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::OrganisationAdmin)?;
    let data = model::template_data(&body, false)?;
    let mut work = ctx.work(Access::Write).await?;
    let template =
        store::create(&mut work.tx, work.actor.org.id, work.actor.agent_id, &data).await?;
    work.audit(write_event(AuditAction::Create, template.id));
    work.commit(created(
        location(template.id),
        template.version,
        LetterTemplate::from(template),
    ))
    .await
}

/// Changes a letter template (merge patch), or archives it (`archived: true`).
///
/// Administrators only. Absent fields keep their value; `fields` is replaced whole; the result
/// is checked as a creation (422 at the field, 409 `letter_template_name_taken`). The letters
/// already written from it stay as they were sent. An archived template takes no new letter
/// (`archived: false` brings it back). `If-Match` is required (428, 412). Audited as an
/// `update` of `letter_template`.
#[utoipa::path(
    tag = "letters",
    operation_id = "update_letter_template",
    params(("id" = Uuid, Path, description = "Template id"), crate::responses::IfMatchHeader),
    request_body = LetterTemplatePatch,
    responses((status = 200, description = "The changed template", body = LetterTemplate, headers(("ETag" = String))), WriteErrors),
    security(("bearer" = []))
)]
#[patch("/letter-templates/{id}")]
pub async fn update(
    ctx: Ctx,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<LetterTemplatePatch>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::OrganisationAdmin)?;
    let mut work = ctx.work(Access::Write).await?;
    let current = store::get(&mut work.tx, *id).await?;
    let version = if_match.check(current.version)?;
    let data = model::patched(&current, &body)?;
    let changed = store::update(
        &mut work.tx,
        current.id,
        version,
        work.actor.agent_id,
        &data,
    )
    .await?;
    work.audit(write_event(AuditAction::Update, changed.id));
    work.commit(ok_with_etag(changed.version, LetterTemplate::from(changed)))
        .await
}
