//! What a liaison shares, gathered from the case under its whitelist: the one source of the
//! printed sheet (case route and partner route) and of the partner's JSON view, so the two can
//! never show different things.
//!
//! Each source is read only when its content code was chosen (and allowed by the liaison's
//! basis): the person for identity, contact details and the NIR; the assessment for the
//! situation and health; the plan for the steps; the referent for their contact. Contacts (and
//! their private notes) are never read here. Health details — the health domain of the
//! assessment and the health steps of the plan — are left out unless `health` was chosen.

use actix_web::HttpResponse;
use chrono::NaiveDate;
use relais_domain::assessment::domain_rank;
use relais_domain::{
    AuditAction, AuditResource, Domain, ItemStatus, LiaisonContent, NeedsAction, Party,
};
use relais_store::assessments;
use relais_store::audit::NewAuditEvent;
use relais_store::cases::CaseRecord;
use relais_store::crypto::NirVault;
use relais_store::db::Tx;
use relais_store::documents;
use relais_store::liaisons::{self as store, Destination, LiaisonRecord};
use relais_store::persons;
use relais_store::plan_items::{self, PlanItemRecord};
use serde::Serialize;
use utoipa::ToSchema;

use super::printed;
use crate::documents::DocumentReferent;
use crate::documents::letterhead::Letterhead;
use crate::documents::liaison::{
    LiaisonSheet, SheetContact, SheetDestination, SheetDomain, SheetIdentity, SheetStep, html, pdf,
};
use crate::error::ApiError;
use crate::printed::{Format, document_response};
use crate::routes::today;

/// Most document names a sheet lists (the oldest first).
const MAX_DOCUMENT_NAMES: i64 = 100;

/// Who the person is (`identity`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SharedIdentity {
    pub first_name: String,
    pub last_name: String,
    pub birth_name: Option<String>,
    pub birth_date: Option<NaiveDate>,
}

/// How to reach the person (`contact_preferences`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SharedContact {
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// One assessed domain.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SharedDomain {
    #[schema(schema_with = crate::schema::domain)]
    pub domain: Domain,
    pub situation: String,
    #[schema(schema_with = crate::schema::needs_action)]
    pub needs_action: NeedsAction,
}

/// One step of the plan.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SharedStep {
    pub title: String,
    #[schema(schema_with = crate::schema::domain)]
    pub domain: Domain,
    /// Who carries it out.
    #[schema(schema_with = crate::schema::party)]
    pub party: Party,
    pub due_on: NaiveDate,
    pub done_on: Option<NaiveDate>,
}

/// The case's referent (`referent_contact`), from their own profile.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SharedReferent {
    pub name: String,
    /// Their role as documents print it: the job title they gave (`Assistante de service
    /// social`), else a word agreed with their civility.
    pub job_title: String,
    #[schema(schema_with = crate::schema::civility_nullable)]
    pub civility: Option<relais_domain::Civility>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// The content of a liaison sheet: one member per content code chosen from the whitelist
/// (and allowed by the legal basis); a code that was not chosen has no member at all. Private
/// notes are never part of it.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct SharedContent {
    /// `identity`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<SharedIdentity>,
    /// `nir` (only under `legal_obligation`): the NIR in clear, or null when none is recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub nir: Option<Option<String>>,
    /// `contact_preferences`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_preferences: Option<SharedContact>,
    /// `reason`: the case's reason for contact.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `situation_by_domain`: the assessed domains, health apart (see `health`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub situation_by_domain: Option<Vec<SharedDomain>>,
    /// `health` (only under `consent` or `shared_secrecy`): the health domain's assessment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health: Option<Vec<SharedDomain>>,
    /// `actions_done`: the plan's steps carried out (health steps only with `health`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actions_done: Option<Vec<SharedStep>>,
    /// `steps_pending`: the plan's steps still to do (health steps only with `health`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steps_pending: Option<Vec<SharedStep>>,
    /// `referent_contact`: the case's referent, or null when the case has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<SharedReferent>)]
    pub referent_contact: Option<Option<SharedReferent>>,
    /// `documents`: the names of the case's documents (uploaded files), oldest first, at most
    /// 100; never their content.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub documents: Option<Vec<String>>,
}

/// A liaison's content with what the sheet adds around it.
#[derive(Debug, Clone)]
pub struct Gathered {
    pub content: SharedContent,
    /// The day the consent relied on was given, when the basis is consent.
    pub consent_given_on: Option<NaiveDate>,
    /// Whether the NIR was read in clear (a `reveal` audit event must go with it).
    pub nir_revealed: bool,
}

fn shared_step(item: &PlanItemRecord) -> SharedStep {
    SharedStep {
        title: item.title.clone(),
        domain: item.domain,
        party: item.party,
        due_on: item.due_on,
        done_on: item.done_on,
    }
}

/// Reads what `liaison` shares of `case`, and only that.
pub async fn gather(
    tx: &mut Tx,
    vault: &NirVault,
    case: &CaseRecord,
    liaison: &LiaisonRecord,
) -> Result<Gathered, ApiError> {
    let chosen = |c: LiaisonContent| printed(liaison, c);
    let with_health = chosen(LiaisonContent::Health);
    let person = persons::get(tx, case.person_id).await?;
    let assessed: Vec<SharedDomain> = if chosen(LiaisonContent::SituationByDomain) || with_health {
        assessments::get(tx, case.id)
            .await?
            .domains
            .into_iter()
            .map(|d| SharedDomain {
                domain: d.entry.domain,
                situation: d.entry.situation,
                needs_action: d.entry.needs_action,
            })
            .collect()
    } else {
        Vec::new()
    };
    let items = if chosen(LiaisonContent::ActionsDone) || chosen(LiaisonContent::StepsPending) {
        plan_items::all_for_case(tx, case.id).await?
    } else {
        Vec::new()
    };
    let referent = if chosen(LiaisonContent::ReferentContact) {
        Some(match case.referent_id {
            Some(id) => relais_store::agents::profiles(tx, &[id])
                .await?
                .remove(&id)
                .map(DocumentReferent::from),
            None => None,
        })
    } else {
        None
    };
    let consent_given_on = match liaison.consent_id {
        Some(id) => store::person_consent(tx, case.person_id, id)
            .await?
            // The sheet prints the day (the service's, UTC).
            .map(|c| c.given_at.date_naive()),
        None => None,
    };
    // The names of the case's documents, never their bytes.
    let documents = if chosen(LiaisonContent::Documents) {
        Some(documents::names_for_case(tx, case.id, MAX_DOCUMENT_NAMES).await?)
    } else {
        None
    };
    let nir = chosen(LiaisonContent::Nir).then(|| person.nir(vault).map(|n| n.as_str().to_owned()));
    let nir_revealed = matches!(nir, Some(Some(_)));
    // Health steps are health details too.
    let steps = |keep: &dyn Fn(ItemStatus) -> bool| -> Vec<SharedStep> {
        items
            .iter()
            .filter(|i| with_health || i.domain != Domain::Health)
            .filter(|i| keep(i.status))
            .map(shared_step)
            .collect()
    };
    let domains = |health: bool| -> Vec<SharedDomain> {
        assessed
            .iter()
            .filter(|d| (d.domain == Domain::Health) == health)
            .cloned()
            .collect()
    };
    let content = SharedContent {
        identity: chosen(LiaisonContent::Identity).then(|| SharedIdentity {
            first_name: person.first_name.clone(),
            last_name: person.last_name.clone(),
            birth_name: person.birth_name.clone(),
            birth_date: person.birth_date,
        }),
        nir,
        contact_preferences: chosen(LiaisonContent::ContactPreferences).then(|| SharedContact {
            phone: person.phone.clone(),
            email: person.email.clone(),
        }),
        reason: chosen(LiaisonContent::Reason).then(|| case.reason.clone()),
        situation_by_domain: chosen(LiaisonContent::SituationByDomain).then(|| domains(false)),
        health: with_health.then(|| domains(true)),
        actions_done: chosen(LiaisonContent::ActionsDone)
            .then(|| steps(&|s| s == ItemStatus::Done)),
        steps_pending: chosen(LiaisonContent::StepsPending).then(|| {
            steps(&|s| {
                matches!(
                    s,
                    ItemStatus::Planned | ItemStatus::InProgress | ItemStatus::Blocked
                )
            })
        }),
        referent_contact: referent.map(|r| {
            r.map(|r| SharedReferent {
                job_title: r.role(),
                name: r.name,
                civility: r.civility,
                email: r.email,
                phone: r.phone,
            })
        }),
        documents,
    };
    Ok(Gathered {
        nir_revealed,
        content,
        consent_given_on,
    })
}

/// The audit events of a read of the liaison's content: `action` on the liaison, and a
/// `reveal` of the NIR when it was read in clear.
pub fn events(
    action: AuditAction,
    liaison: &LiaisonRecord,
    gathered: &Gathered,
) -> Vec<NewAuditEvent> {
    let mut events = vec![
        NewAuditEvent::new(action, AuditResource::Liaison, liaison.id).about(liaison.person_id),
    ];
    if gathered.nir_revealed {
        events.push(
            NewAuditEvent::new(
                AuditAction::Reveal,
                AuditResource::PersonNir,
                liaison.person_id,
            )
            .about(liaison.person_id)
            .because(Some("fiche de liaison")),
        );
    }
    events
}

fn sheet_domain(d: &SharedDomain) -> SheetDomain {
    SheetDomain {
        domain: d.domain.label_fr().to_owned(),
        situation: d.situation.clone(),
        needs_action: d.needs_action.label_fr().to_owned(),
    }
}

fn sheet_step(s: &SharedStep) -> SheetStep {
    SheetStep {
        title: s.title.clone(),
        domain: s.domain.label_fr().to_owned(),
        party: s.party.label_fr().to_owned(),
        due_on: s.due_on,
        done_on: s.done_on,
    }
}

/// The printed sheet of `liaison`, from its gathered content, in French.
pub fn sheet(letterhead: Letterhead, liaison: &LiaisonRecord, gathered: Gathered) -> LiaisonSheet {
    let c = gathered.content;
    // On paper the health domain sits among the others when both are shared, and has its own
    // section when health alone is.
    let situation = c.situation_by_domain.as_ref().map(|domains| {
        let mut all: Vec<&SharedDomain> = domains.iter().chain(c.health.iter().flatten()).collect();
        all.sort_by_key(|d| domain_rank(d.domain));
        all.into_iter().map(sheet_domain).collect()
    });
    let health = match (&c.situation_by_domain, &c.health) {
        (None, Some(health)) => Some(health.iter().map(sheet_domain).collect()),
        _ => None,
    };
    LiaisonSheet {
        letterhead,
        health_withheld: c.health.is_none(),
        document_on: today(),
        destination: match &liaison.destination {
            Destination::Partner(id) => SheetDestination::Partner(
                liaison
                    .partner_name
                    .clone()
                    .unwrap_or_else(|| id.to_string()),
            ),
            Destination::Named { name, contact } => SheetDestination::Named {
                name: name.clone(),
                contact: contact.clone(),
            },
        },
        purpose: liaison.purpose.clone(),
        legal_basis: liaison.legal_basis.label_fr().to_owned(),
        consent_given_on: gathered.consent_given_on,
        status: liaison.status.label_fr().to_owned(),
        sent_on: liaison.sent_at.map(|t| t.date_naive()),
        identity: c.identity.map(|who| SheetIdentity {
            first_name: who.first_name,
            last_name: who.last_name,
            birth_name: who.birth_name,
            birth_date: who.birth_date,
        }),
        nir: c.nir,
        contact: c.contact_preferences.map(|contact| SheetContact {
            phone: contact.phone,
            email: contact.email,
        }),
        situation,
        health,
        reason: c.reason,
        actions_done: c.actions_done.map(|s| s.iter().map(sheet_step).collect()),
        steps_pending: c.steps_pending.map(|s| s.iter().map(sheet_step).collect()),
        referent: c.referent_contact.map(|r| {
            r.map(|r| DocumentReferent {
                name: r.name,
                job_title: Some(r.job_title),
                civility: r.civility,
                email: r.email,
                phone: r.phone,
            })
        }),
        documents: c.documents,
    }
}

/// The sheet as the response: printable HTML, or a PDF rendered off the async threads.
pub async fn respond(format: Format, sheet: LiaisonSheet) -> Result<HttpResponse, ApiError> {
    document_response(format, sheet, html, pdf, "fiche-de-liaison.pdf").await
}
