//! The written plan of a proposal, as printable HTML or as PDF (content negotiation on
//! `Accept`), in French: filled from the proposal's frozen items, never from the live plan.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use relais_domain::{AuditAction, AuditResource, Party};
use relais_store::cases::CaseRecord;
use relais_store::organisations::Organisation;
use relais_store::persons::{self, PersonRecord};
use relais_store::proposals::{self as store, ObservationRecord, ProposalRecord};
use utoipa::ToSchema;
use uuid::Uuid;

use super::today;
use crate::context::{CaseReadParams, Ctx};
use crate::documents::{
    PdfError, PlanDecision, PlanObservation, PlanPerson, PlanStep, WrittenPlan, written_plan_html,
    written_plan_pdf,
};
use crate::error::{ApiError, Problem};
use crate::extract::Query;
use crate::responses::ReadErrors;
use crate::routes::paths::ProposalPath;
use crate::work::case_event;

/// The formats the written plan comes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Html,
    Pdf,
}

impl Format {
    const ALL: [Format; 2] = [Format::Html, Format::Pdf];

    fn media_type(self) -> (&'static str, &'static str) {
        match self {
            Format::Html => ("text", "html"),
            Format::Pdf => ("application", "pdf"),
        }
    }
}

/// A printed document as the answer, never stored by a cache: printable HTML, or a PDF rendered
/// off the async threads, shown inline as `filename`.
pub(crate) async fn document_response<D: Send + 'static>(
    format: Format,
    printable: D,
    html: fn(&D) -> String,
    pdf: fn(&D) -> Result<Vec<u8>, PdfError>,
    filename: &str,
) -> Result<HttpResponse, ApiError> {
    let mut response = HttpResponse::Ok();
    response
        .insert_header((header::VARY, "Accept"))
        .insert_header((header::CACHE_CONTROL, "private, no-store"));
    Ok(match format {
        Format::Html => response
            .content_type("text/html; charset=utf-8")
            .body(html(&printable)),
        Format::Pdf => {
            let bytes = web::block(move || pdf(&printable))
                .await
                .map_err(ApiError::internal)?
                .map_err(ApiError::internal)?;
            response
                .content_type("application/pdf")
                .insert_header((
                    header::CONTENT_DISPOSITION,
                    format!("inline; filename=\"{filename}\""),
                ))
                .body(bytes)
        }
    })
}

/// How well one media range of `Accept` matches `format`: `(specificity, q)` of the range, or
/// `None` when it does not match at all.
fn range_match(range: &str, format: Format) -> Option<(u8, f32)> {
    let mut parts = range.split(';');
    let media = parts.next()?.trim().to_ascii_lowercase();
    let mut q = 1.0_f32;
    for param in parts {
        if let Some((name, value)) = param.split_once('=')
            && name.trim().eq_ignore_ascii_case("q")
        {
            q = value
                .trim()
                .parse::<f32>()
                .ok()
                .filter(|q| (0.0..=1.0).contains(q))?;
        }
    }
    let (kind, sub) = media.split_once('/')?;
    let (want_kind, want_sub) = format.media_type();
    let specificity = match (kind.trim(), sub.trim()) {
        ("*", "*") => 0,
        (k, "*") if k == want_kind => 1,
        (k, s) if k == want_kind && s == want_sub => 2,
        _ => return None,
    };
    Some((specificity, q))
}

/// The format to answer with for an `Accept` header (RFC 9110 §12.5.1): the most specific
/// range matching each format gives its quality; the best quality above zero wins, HTML on a
/// tie. No header, or a blank one, means HTML. `None` when nothing acceptable is offered.
pub(crate) fn negotiate(accept: Option<&str>) -> Option<Format> {
    let Some(accept) = accept.map(str::trim).filter(|a| !a.is_empty()) else {
        return Some(Format::Html);
    };
    let quality = |format: Format| {
        accept
            .split(',')
            .filter_map(|range| range_match(range, format))
            .max_by_key(|&(specificity, _)| specificity)
            .map_or(0.0, |(_, q)| q)
    };
    let mut best: Option<(Format, f32)> = None;
    for format in Format::ALL {
        let q = quality(format);
        if q > 0.0 && best.is_none_or(|(_, b)| q > b) {
            best = Some((format, q));
        }
    }
    best.map(|(format, _)| format)
}

/// A label as it reads inside a sentence: `Entretien` → `entretien`.
fn lower_first(label: &str) -> String {
    let mut chars = label.chars();
    chars
        .next()
        .map(|c| c.to_lowercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Everything the written plan shows, from the proposal's snapshot.
struct Sources<'a> {
    organisation: &'a Organisation,
    case: &'a CaseRecord,
    person: &'a PersonRecord,
    proposal: &'a ProposalRecord,
    observations: &'a [ObservationRecord],
    names: &'a std::collections::HashMap<Uuid, String>,
}

fn written_plan(s: &Sources<'_>) -> WrittenPlan {
    let steps = |party: Party| -> Vec<PlanStep> {
        s.proposal
            .items
            .iter()
            .filter(|i| i.party == party)
            .map(|i| PlanStep {
                title: i.title.clone(),
                details: i.details.clone(),
                domain: i.domain.label_fr().to_owned(),
                category: i.category.label_fr().to_owned(),
                due_on: Some(i.due_on),
                status: i.status.label_fr().to_owned(),
            })
            .collect()
    };
    WrittenPlan {
        organisation: s.organisation.name.clone(),
        person: PlanPerson {
            first_name: s.person.first_name.clone(),
            last_name: s.person.last_name.clone(),
            birth_date: s.person.birth_date,
        },
        worker: s.case.referent_id.and_then(|id| s.names.get(&id).cloned()),
        document_on: today(),
        proposed_on: s.proposal.created_at.date_naive(),
        proposal_number: s.proposal.number,
        reason: s.case.reason.clone(),
        interventions: steps(Party::Worker),
        preconisations: steps(Party::Person),
        partner_steps: steps(Party::Partner),
        decision: s.proposal.decision.as_ref().map(|d| PlanDecision {
            outcome: d.outcome.label_fr().to_owned(),
            channel: lower_first(d.channel.label_fr()),
            decided_on: d.decided_at.date_naive(),
            notes: d.notes.clone(),
            recorded_by: s.names.get(&d.recorded_by).cloned(),
        }),
        observations: s
            .observations
            .iter()
            .map(|o| PlanObservation {
                text: o.text.clone(),
                observed_on: o.at.date_naive(),
            })
            .collect(),
        content_hash: s.proposal.content_hash.clone(),
    }
}

/// A PDF file, for the document.
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct PdfFile(Vec<u8>);

/// The written plan of a proposal, in French: `text/html` (printable; the default, also for
/// `*/*`) or `application/pdf`, as the `Accept` header asks. 406 for any other media type.
///
/// Workers on the case's team and supervisors (403 for other roles, 404 for a case the caller may
/// not see or a proposal it does not have). Filled from the proposal's frozen items, never from the
/// live plan: the organisation, the person, the referent, the worker's interventions, the person's
/// *préconisations* and the partners' steps with their deadlines, the decision and observations,
/// room for signatures, and the content hash. Sent with `Cache-Control: private, no-store`. An
/// archived case's plan is printed only with a `reason` (400 `reason_required` without it). Audited
/// as a `download` of `plan.document`.
#[utoipa::path(
    tag = "plan",
    operation_id = "plan_proposal_document",
    params(ProposalPath, CaseReadParams),
    responses(
        (status = 200, description = "The written plan: organisation, person, worker, each party's steps with deadlines, the decision, room for signatures and the content hash",
            content((String = "text/html"), (PdfFile = "application/pdf")),
            headers(("Content-Disposition" = String, description = "PDF only: `inline; filename=\"plan-d-aide-<number>.pdf\"`"), ("Vary" = String))),
        (status = 406, description = "The Accept header allows neither text/html nor application/pdf", body = Problem, content_type = "application/problem+json"),
        ReadErrors
    ),
    security(("bearer" = []))
)]
#[get("/{id}/plan/proposals/{number}/document")]
pub async fn document(
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<ProposalPath>,
    params: Query<CaseReadParams>,
) -> Result<HttpResponse, ApiError> {
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .map(|v| v.to_str().unwrap_or("\u{0}"));
    let format = negotiate(accept).ok_or(ApiError::NotAcceptable)?;
    let (mut work, case) = ctx.case(path.id, params.case_use()).await?;
    let proposal = store::get(&mut work.tx, case.id, path.number).await?;
    let observations = store::observations(&mut work.tx, proposal.id).await?;
    let person = persons::get(&mut work.tx, case.person_id).await?;
    let agents: Vec<Uuid> = case
        .referent_id
        .into_iter()
        .chain(proposal.decision.as_ref().map(|d| d.recorded_by))
        .collect();
    let names = store::agent_names(&mut work.tx, &agents).await?;
    work.audit(case_event(
        &case,
        AuditAction::Download,
        AuditResource::PlanDocument,
        proposal.id,
    ));

    let plan = written_plan(&Sources {
        organisation: &work.actor.org,
        case: &case,
        person: &person,
        proposal: &proposal,
        observations: &observations,
        names: &names,
    });
    // The work commits the answer, so the PDF is rendered first: one that fails to render
    // records no download.
    let filename = format!("plan-d-aide-{}.pdf", path.number);
    let response =
        document_response(format, plan, written_plan_html, written_plan_pdf, &filename).await?;
    work.commit(response).await
}

#[cfg(test)]
mod tests {
    use relais_domain::DecisionChannel;

    use super::*;

    #[test]
    fn html_is_the_default_for_no_blank_or_wildcard_accept() {
        for accept in [None, Some(""), Some("  "), Some("*/*"), Some("text/*")] {
            assert_eq!(negotiate(accept), Some(Format::Html), "{accept:?}");
        }
        assert_eq!(
            negotiate(Some("text/html,application/xhtml+xml,*/*;q=0.8")),
            Some(Format::Html)
        );
    }

    #[test]
    fn pdf_is_chosen_when_asked_for_or_preferred() {
        assert_eq!(negotiate(Some("application/pdf")), Some(Format::Pdf));
        assert_eq!(negotiate(Some("APPLICATION/PDF")), Some(Format::Pdf));
        assert_eq!(negotiate(Some("application/*")), Some(Format::Pdf));
        assert_eq!(
            negotiate(Some("text/html;q=0.5, application/pdf")),
            Some(Format::Pdf)
        );
        assert_eq!(
            negotiate(Some("*/*;q=0.1, application/pdf;q=0.9")),
            Some(Format::Pdf)
        );
    }

    #[test]
    fn the_most_specific_range_decides_and_q_zero_refuses() {
        assert_eq!(
            negotiate(Some("*/*, text/html;q=0")),
            Some(Format::Pdf),
            "HTML explicitly refused, PDF through */*"
        );
        assert_eq!(negotiate(Some("text/html;q=0, application/pdf;q=0")), None);
        assert_eq!(negotiate(Some("*/*;q=0")), None);
    }

    #[test]
    fn other_media_types_and_garbage_are_not_acceptable() {
        for accept in [
            "application/json",
            "image/png, text/plain",
            "text/html;q=2",
            "nonsense",
            "\u{0}",
        ] {
            assert_eq!(negotiate(Some(accept)), None, "{accept:?}");
        }
    }

    #[test]
    fn labels_read_inside_a_sentence() {
        assert_eq!(
            lower_first(DecisionChannel::InPerson.label_fr()),
            "entretien"
        );
        assert_eq!(
            lower_first(DecisionChannel::SignedPaper.label_fr()),
            "document papier signé"
        );
        assert_eq!(lower_first(""), "");
    }
}
