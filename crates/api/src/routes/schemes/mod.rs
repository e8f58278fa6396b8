//! The scheme catalogue (dispositifs): what workers can apply for on a person's behalf, who
//! grants it, its structured eligibility criteria and its supporting documents.
//!
//! Every agent of the organisation reads the catalogue (a partner's token gets 403);
//! administrators create, change (`If-Match`), import and export it. Criteria and documents are
//! parsed by the domain types (`relais_domain::eligibility`, `relais_domain::scheme`): a 422
//! points at the faulty value (`/criteria/0/max_cents`, or `/schemes/3/criteria/0/max_cents` in
//! an import). An import is all or nothing: one invalid scheme and nothing is written.
//!
//! A scheme holds no personal data: reading the catalogue is not audited. Writes are (`create`,
//! `update`, resource type `scheme`; an import is one `update` event of type `scheme_catalogue`
//! with the counts as its reason). The matching of a case against the catalogue, which reads
//! the person's situation, is in [`matches`].

pub mod matches;
mod model;

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::NaiveDate;
use relais_domain::{AuditAction, AuditResource, Domain, Permission, Role};
use relais_store::audit::NewAuditEvent;
use relais_store::db::Access;
use relais_store::schemes::{self as store, SchemeFilter};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::conditional::{IfMatch, created, ok_with_etag};
use crate::context::Ctx;
use crate::error::{ApiError, Code};
use crate::extract::{Json, Query};
use crate::pagination::{PageParams, into_views};
use crate::responses::{CreateErrors, ReadErrors, WriteErrors};
use crate::routes::today;

pub use model::{
    Catalogue, CriterionSchema, ImportResult, NewScheme, RequiredDocumentSchema, Scheme,
    SchemeList, SchemePatch,
};

fn location(id: Uuid) -> String {
    format!("/v1/schemes/{id}")
}

/// Readers of the catalogue: any agent of the organisation, never a partner.
fn require_reader(ctx: &Ctx) -> Result<(), ApiError> {
    let agent = ctx.principal.roles.iter().any(|role| role != Role::Partner);
    if ctx.principal.partner_id.is_some() || !agent {
        return Err(ApiError::Forbidden);
    }
    Ok(())
}

/// Options of the list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only active (`true`) or inactive (`false`) schemes; all when absent.
    pub active: Option<bool>,
    /// Only the schemes of this domain.
    #[param(schema_with = crate::schema::domain)]
    pub domain: Option<Domain>,
}

/// Lists the organisation's schemes, oldest first.
///
/// Every agent of the organisation, whatever their role; a partner's token gets 403. Filter by
/// `active` and by `domain`. Each scheme with its provider, eligibility criteria, supporting
/// documents and sources. The catalogue holds no personal data: reading it is not audited.
#[utoipa::path(
    tag = "schemes",
    operation_id = "list_schemes",
    params(ListParams, PageParams),
    responses((status = 200, description = "Schemes, oldest first", body = SchemeList), ReadErrors),
    security(("bearer" = []))
)]
#[get("/schemes")]
pub async fn list(
    ctx: Ctx,
    params: Query<ListParams>,
    page: Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    require_reader(&ctx)?;
    let page = page.request()?;
    let filter = SchemeFilter {
        active: params.active,
        domain: params.domain,
    };
    let mut work = ctx.work(Access::Read).await?;
    let found = store::list(&mut work.tx, filter, page).await?;
    let (items, next_cursor) = into_views(found, Scheme::from);
    work.commit(HttpResponse::Ok().json(SchemeList { items, next_cursor }))
        .await
}

/// Adds a scheme to the catalogue.
///
/// Administrators only. The name is unique within the organisation (409 `scheme_name_taken`); the
/// criteria and required documents are checked by the domain's rules, and a 422 points at the
/// faulty value (e.g. `/criteria/0/max_cents`). A scheme is active unless `active: false` is sent.
/// Audited as a `create` of `scheme`.
#[utoipa::path(
    tag = "schemes",
    operation_id = "create_scheme",
    params(crate::responses::IdempotencyKeyHeader),
    request_body = NewScheme,
    responses(
        (status = 201, description = "The scheme", body = Scheme, headers(("Location" = String), ("ETag" = String))),
        CreateErrors
    ),
    security(("bearer" = []))
)]
#[post("/schemes")]
pub async fn create(ctx: Ctx, body: Json<NewScheme>) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::OrganisationAdmin)?;
    let data = model::checked(&body, today())?;
    let mut work = ctx.work(Access::Write).await?;
    let scheme = store::create(&mut work.tx, work.actor.org.id, work.actor.agent_id, &data).await?;
    work.audit(NewAuditEvent::new(
        AuditAction::Create,
        AuditResource::Scheme,
        scheme.id,
    ));
    work.commit(created(
        location(scheme.id),
        scheme.version,
        Scheme::from(scheme),
    ))
    .await
}

/// Exports the whole catalogue, in the shape the import reads.
///
/// Administrators only. Every scheme of the organisation, active or not, oldest first, as the
/// document `POST /v1/schemes/import` reads: export, edit, import again. Not audited.
#[utoipa::path(
    tag = "schemes",
    operation_id = "export_schemes",
    responses((status = 200, description = "Every scheme of the organisation, oldest first", body = Catalogue), ReadErrors),
    security(("bearer" = []))
)]
#[get("/schemes/export")]
pub async fn export(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::OrganisationAdmin)?;
    let mut work = ctx.work(Access::Read).await?;
    let schemes = store::export(&mut work.tx).await?;
    work.commit(HttpResponse::Ok().json(Catalogue {
        schemes: schemes.iter().map(model::written).collect(),
    }))
    .await
}

/// A catalogue document (the JSON of `GET /v1/schemes/export`, `POST /v1/schemes/import` and
/// `data/schemes/starter-catalogue.json`), checked by the same rules as an import: the schemes
/// to store, or every problem with its pointer.
pub fn parse_catalogue(
    json: &str,
    today: NaiveDate,
) -> Result<Vec<relais_store::schemes::SchemeData>, String> {
    let catalogue: Catalogue = serde_json::from_str(json).map_err(|e| e.to_string())?;
    model::checked_catalogue(&catalogue, today).map_err(|e| match e {
        ApiError::Coded {
            code: Code::ValidationFailed,
            errors,
            ..
        } => errors
            .iter()
            .map(|f| format!("{}: {}", f.pointer, f.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    })
}

/// Imports a catalogue: schemes are matched by name (changed) or created; all or nothing.
///
/// Administrators only. Each scheme of the document is checked by the rules of a creation, and
/// names must be distinct within it; one invalid scheme and nothing is written (422 pointing at it,
/// e.g. `/schemes/3/criteria/0/max_cents`). A scheme whose name exists is replaced (its version
/// grows) unless identical; the others are created; schemes absent from the document are left as
/// they are. Answers the counts created, updated and unchanged. Audited as one `update` of
/// `scheme_catalogue` with the counts as its reason.
#[utoipa::path(
    tag = "schemes",
    operation_id = "import_schemes",
    params(crate::responses::IdempotencyKeyHeader),
    request_body = Catalogue,
    responses((status = 200, description = "What the import did", body = ImportResult), CreateErrors),
    security(("bearer" = []))
)]
#[post("/schemes/import")]
pub async fn import(ctx: Ctx, body: Json<Catalogue>) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::OrganisationAdmin)?;
    let schemes = model::checked_catalogue(&body, today())?;
    let mut work = ctx.work(Access::Write).await?;
    let counts = store::import(
        &mut work.tx,
        work.actor.org.id,
        work.actor.agent_id,
        &schemes,
    )
    .await?;
    let reason = format!(
        "import: {} created, {} updated, {} unchanged",
        counts.created, counts.updated, counts.unchanged
    );
    work.audit(
        NewAuditEvent::new(AuditAction::Update, AuditResource::SchemeCatalogue, None)
            .because(Some(&reason)),
    );
    work.commit(HttpResponse::Ok().json(ImportResult::from(counts)))
        .await
}

/// Reads a scheme.
///
/// Every agent of the organisation, whatever their role; a partner's token gets 403. Not audited.
#[utoipa::path(
    tag = "schemes",
    operation_id = "read_scheme",
    params(("id" = Uuid, Path, description = "Scheme id")),
    responses((status = 200, description = "The scheme", body = Scheme, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
#[get("/schemes/{id}")]
pub async fn read(ctx: Ctx, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    require_reader(&ctx)?;
    let mut work = ctx.work(Access::Read).await?;
    let scheme = store::get(&mut work.tx, *id).await?;
    work.commit(ok_with_etag(scheme.version, Scheme::from(scheme)))
        .await
}

/// Changes a scheme (merge patch); `active: false` takes it out of the matching.
///
/// Administrators only. Absent fields keep their value, `null` clears an optional one, and the
/// criteria and documents lists are replaced whole; the result is checked by the rules of a
/// creation (422), and a name taken by another scheme is a 409 `scheme_name_taken`. `If-Match` is
/// required (428, 412). An inactive scheme is kept, and applications already made to it go on, but
/// it takes no new application and is left out of the matching. Audited as an `update` of `scheme`.
#[utoipa::path(
    tag = "schemes",
    operation_id = "update_scheme",
    params(("id" = Uuid, Path, description = "Scheme id"), crate::responses::IfMatchHeader),
    request_body = SchemePatch,
    responses((status = 200, description = "The changed scheme", body = Scheme, headers(("ETag" = String))), WriteErrors),
    security(("bearer" = []))
)]
#[patch("/schemes/{id}")]
pub async fn update(
    ctx: Ctx,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<SchemePatch>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::OrganisationAdmin)?;
    let mut work = ctx.work(Access::Write).await?;
    let current = store::get(&mut work.tx, *id).await?;
    let version = if_match.check(current.version)?;
    let data = model::patched(&current, &body, today())?;
    let changed = store::update(
        &mut work.tx,
        current.id,
        version,
        work.actor.agent_id,
        &data,
    )
    .await?;
    work.audit(NewAuditEvent::new(
        AuditAction::Update,
        AuditResource::Scheme,
        changed.id,
    ));
    work.commit(ok_with_etag(changed.version, Scheme::from(changed)))
        .await
}
