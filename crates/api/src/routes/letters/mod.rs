//! Letters (*courriers*) of a case (`/v1/cases/{id}/letters`): written from one of the
//! organisation's templates, rendered once, and stored as sent; printed in French as HTML or
//! PDF ([`print`]).
//!
//! The caller must see the case (404 otherwise: workers see their teams' cases, supervisors
//! all); reception, administrators and the DPO get 403. A letter is written in any case that is
//! not archived (409 `case_archived`), a closed one included (an attestation after the
//! support). Writing one checks the template (422 at `/template_id`: unknown, or archived), the
//! values against its fields (422 at `/values/<name>`) and its recipient (a third party for a
//! `third_party` template, none otherwise), renders its subject and body once with the merge
//! fields, and stores them with the values and what is printed around the body: the
//! organisation, the sender (the case's referent, else the author) and the recipient (the
//! person's name and address, or the third party). A letter to a third party shares the
//! person's data: refused while a restriction of theirs is active (409 `processing_restricted`).
//! Every read and write is audited with the case's person (`create`, `read` of `case.letter`,
//! `read` of `case.letters` for a list, `download` of `case.letter` for a document).

mod model;
mod print;

use std::collections::BTreeMap;

use actix_web::{HttpResponse, get, post, web};
use chrono::Utc;
use relais_domain::letter::{Addressee, check_values};
use relais_domain::restriction::check_sharing;
use relais_domain::{AuditAction, AuditResource, Permission};
use relais_store::StoreError;
use relais_store::cases::CaseRecord;
use relais_store::db::Tx;
use relais_store::letter_templates::{self as templates, TemplateRecord};
use relais_store::letters::{self as store, NewLetter as StoreLetter, Recipient, Sender};
use relais_store::persons::{self, PersonRecord};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::conditional::{created, ok_with_etag};
use crate::context::{CaseReadParams, Ctx};
use crate::documents::DocumentReferent;
use crate::documents::letter::merge::{MergeData, Sources, full_name, printed_values};
use crate::documents::letter::sandbox::{self, Part};
use crate::documents::letterhead::Letterhead;
use crate::error::{ApiError, FieldError};
use crate::extract::{Json, Query};
use crate::pagination::{PageParams, into_views};
use crate::responses::{CreateErrors, ReadErrors};
use crate::work::{CaseUse, Work, case_event};

pub(crate) use model::given_values_schema;
pub use model::{Letter, LetterList, LetterRecipient, LetterSender, NewLetter, NewLetterRecipient};
pub use print::document;

/// A letter is written once: its ETag never changes.
const LETTER_VERSION: i32 = 1;

fn location(case_id: Uuid, id: Uuid) -> String {
    format!("/v1/cases/{case_id}/letters/{id}")
}

/// The path of a letter of a case (`/cases/{id}/letters/{lid}`).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct LetterPath {
    /// Case id
    pub id: Uuid,
    /// Letter id
    pub lid: Uuid,
}

/// The template a letter is written from: of the organisation (422 `unknown_reference`) and not
/// archived (422 `template_archived`), both at `/template_id`.
async fn usable_template(tx: &mut Tx, id: Uuid) -> Result<TemplateRecord, ApiError> {
    let template = match templates::get(tx, id).await {
        Err(StoreError::NotFound) => {
            return Err(ApiError::invalid(
                "/template_id",
                "unknown_reference",
                format!("no letter template {id} in the organisation"),
            ));
        }
        other => other?,
    };
    if template.archived {
        return Err(ApiError::invalid(
            "/template_id",
            "template_archived",
            "this letter template is archived: no new letter is written from it",
        ));
    }
    Ok(template)
}

/// The sender of a letter of `case`: its referent, or the author when it has none, as documents
/// name them.
async fn sender(
    tx: &mut Tx,
    case: &CaseRecord,
    author: Uuid,
) -> Result<DocumentReferent, ApiError> {
    let id = case.referent_id.unwrap_or(author);
    let mut profiles = relais_store::agents::profiles(tx, &[id]).await?;
    profiles
        .remove(&id)
        .map(DocumentReferent::from)
        .ok_or(ApiError::NotFound)
}

/// The recipient block of a letter from `template`: the person's, the third party given, or
/// none; 422 at `/recipient` when the request's does not go with the template's addressee.
fn recipient(
    template: &TemplateRecord,
    person: &PersonRecord,
    given: Option<Recipient>,
) -> Result<Option<Recipient>, FieldError> {
    match (template.addressee, given) {
        (Addressee::ThirdParty, Some(recipient)) => Ok(Some(recipient)),
        (Addressee::ThirdParty, None) => Err(FieldError::body(
            "/recipient",
            "required",
            "this template's letters are addressed to a third party: name the recipient",
        )),
        (_, Some(_)) => Err(FieldError::body(
            "/recipient",
            "not_allowed",
            "only the letters of a third_party template name their recipient",
        )),
        (Addressee::Person, None) => Ok(Some(Recipient {
            name: full_name(
                person.civility.map(|c| c.into_inner()),
                &person.first_name,
                &person.last_name,
            ),
            address: crate::documents::postal_address(person),
        })),
        (Addressee::Nobody, None) => Ok(None),
    }
}

/// Renders one part of a letter; a failure with the real values is a 422 at `/template_id`.
fn render(part: Part, source: &str, data: &MergeData) -> Result<String, ApiError> {
    sandbox::render(part, source, data).map_err(|problem| {
        let what = match part {
            Part::Subject => "subject",
            Part::Body => "body",
        };
        ApiError::invalid(
            "/template_id",
            "template_error",
            format!(
                "the template's {what} could not be rendered with these values: {}",
                problem.message
            ),
        )
    })
}

/// Writes a letter in a case from a template, stored as sent.
///
/// Workers on the case's team and supervisors (403 for other roles, 404 for a case the caller may
/// not see). An archived case takes none (409 `case_archived`); a closed one does. The template
/// must be the organisation's (422 `unknown_reference` at `/template_id`) and not archived (422
/// `template_archived`). `values` gives each declared field's value: a name the template does not
/// declare (`unknown_field`), a required field without a value (`required`), a bad date or time
/// (`invalid_format`), a text too long (`too_long`) or a line break in a one-line text
/// (`invalid_character`) is refused at `/values/<name>`. A `third_party` template needs
/// `recipient` (422 `required`), the others refuse it (`not_allowed`); a letter to a third party
/// is refused while the person restricts the processing of their data (409
/// `processing_restricted`). The subject and body are rendered once (422 `template_error` at
/// `/template_id` when the template fails with these values) and stored with the values, the
/// template's name, the organisation, the sender (the case's referent, else the author) and the
/// recipient, dated today. The case's timeline gets a `letter_sent` event. Audited as a `create`
/// of `case.letter`.
#[utoipa::path(
    tag = "letters",
    operation_id = "create_letter",
    params(("id" = Uuid, Path, description = "Case id"), crate::responses::IdempotencyKeyHeader),
    request_body = NewLetter,
    responses(
        (status = 201, description = "The letter as sent", body = Letter, headers(("Location" = String), ("ETag" = String))),
        CreateErrors
    ),
    security(("bearer" = []))
)]
#[post("/{id}/letters")]
pub async fn create(
    ctx: Ctx,
    id: web::Path<Uuid>,
    body: Json<NewLetter>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::CaseWrite)?;
    let mut errors = Vec::new();
    let given = body.recipient.as_ref().map(|r| r.checked(&mut errors));
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let (mut work, case) = ctx.case(*id, CaseUse::Write).await?;
    let template = usable_template(&mut work.tx, body.template_id).await?;
    let values = check_values(&template.fields, &body.values).map_err(|issues| {
        issues
            .into_iter()
            .map(|i| FieldError::body(format!("/values{}", i.pointer), i.code, i.message))
            .collect::<Vec<_>>()
    });
    let person = persons::get(&mut work.tx, case.person_id).await?;
    let recipient = recipient(&template, &person, given);
    let (values, recipient) = match (values, recipient) {
        (Ok(values), Ok(recipient)) => (values, recipient),
        (values, recipient) => {
            let mut errors = values.err().unwrap_or_default();
            errors.extend(recipient.err());
            return Err(ApiError::validation(errors));
        }
    };
    if template.addressee == Addressee::ThirdParty {
        check_sharing(person.processing_restricted)?;
    }
    let sender = sender(&mut work.tx, &case, work.actor.agent_id).await?;
    // The letterhead's text, not its logo (printed as it is whenever the letter is).
    let profile = relais_store::profiles::profile(&mut work.tx)
        .await?
        .0
        .profile;
    let today = Utc::now().date_naive();
    let data = MergeData::new(Sources {
        person: &person,
        case: &case,
        sender: &sender,
        organisation: &profile,
        recipient: recipient.as_ref(),
        today,
        values: printed_values(&template.fields, &values),
    });
    let subject = render(Part::Subject, &template.subject, &data)?;
    let text = render(Part::Body, &template.body, &data)?;
    let given_values: BTreeMap<String, String> = values
        .iter()
        .map(|(name, value)| (name.clone(), value.as_given()))
        .collect();
    let letter = store::create(
        &mut work.tx,
        work.actor.org.id,
        work.actor.agent_id,
        case.id,
        &StoreLetter {
            template_id: template.id,
            template_name: &template.name,
            addressee: template.addressee,
            subject: &subject,
            body: &text,
            values: &given_values,
            letterhead: &Letterhead::from_profile(profile.clone(), None).sent(),
            sender: &Sender {
                name: sender.name.trim().to_owned(),
                role: sender.role(),
                email: sender.email.clone(),
                phone: sender.phone.clone(),
            },
            recipient: recipient.as_ref(),
            written_on: today,
        },
    )
    .await?;
    work.audit(case_event(
        &case,
        AuditAction::Create,
        AuditResource::CaseLetter,
        letter.id,
    ));
    work.commit(created(
        location(case.id, letter.id),
        LETTER_VERSION,
        Letter::from(letter),
    ))
    .await
}

/// Lists a case's letters, newest first.
///
/// Workers on the case's team and supervisors (403 for other roles, 404 for a case the caller may
/// not see). Each letter as it was sent. An archived case's letters are read only with a `reason`
/// (400 `reason_required` without it). Audited once as a `read` of `case.letters`.
#[utoipa::path(
    tag = "letters",
    operation_id = "list_letters",
    params(("id" = Uuid, Path, description = "Case id"), PageParams, CaseReadParams),
    responses((status = 200, description = "Letters, newest first", body = LetterList), ReadErrors),
    security(("bearer" = []))
)]
#[get("/{id}/letters")]
pub async fn list(
    ctx: Ctx,
    id: web::Path<Uuid>,
    page: Query<PageParams>,
    reason: Query<CaseReadParams>,
) -> Result<HttpResponse, ApiError> {
    let page = page.request()?;
    let (mut work, case) = ctx
        .case_list(*id, reason.case_use(), AuditResource::CaseLetters)
        .await?;
    let found = store::list(&mut work.tx, case.id, page).await?;
    let (items, next_cursor) = into_views(found, Letter::from);
    work.commit(HttpResponse::Ok().json(LetterList { items, next_cursor }))
        .await
}

/// The letter `path` names, read in its case after the guard of `params` (a reason for an
/// archived case), with its work: audited as `action` of `case.letter`.
async fn letter_of(
    ctx: &Ctx,
    path: &LetterPath,
    params: &CaseReadParams,
    action: AuditAction,
) -> Result<(Work, store::LetterRecord), ApiError> {
    let (mut work, case) = ctx.case(path.id, params.case_use()).await?;
    let letter = store::get(&mut work.tx, case.id, path.lid).await?;
    work.audit(case_event(
        &case,
        action,
        AuditResource::CaseLetter,
        letter.id,
    ));
    Ok((work, letter))
}

/// Reads a letter of a case, as it was sent.
///
/// Workers on the case's team and supervisors (403 for other roles, 404 for a case the caller may
/// not see or a letter of another case). An archived case's letter is read only with a `reason`
/// (400 `reason_required` without it). Audited as a `read` of `case.letter`.
#[utoipa::path(
    tag = "letters",
    operation_id = "read_letter",
    params(LetterPath, CaseReadParams),
    responses((status = 200, description = "The letter as sent", body = Letter, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
#[get("/{id}/letters/{lid}")]
pub async fn read(
    ctx: Ctx,
    path: web::Path<LetterPath>,
    params: Query<CaseReadParams>,
) -> Result<HttpResponse, ApiError> {
    let (work, letter) = letter_of(&ctx, &path, &params, AuditAction::Read).await?;
    work.commit(ok_with_etag(LETTER_VERSION, Letter::from(letter)))
        .await
}
