//! The right-of-access export: everything held on one person, read in one query per table.
//!
//! Cases are read first; every other table is then read once for all of them with
//! `case_id = ANY($1)`, and the rows are grouped by case here. Archived cases are included,
//! and so are contacts' private notes: the right of access covers them.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use relais_domain::codes::Coded;
use relais_domain::{
    AuditAction, AuditResource, CaseOrigin, CaseStatus, ClosureReason, ContactKind, ContactStatus,
    DecisionChannel, DecisionOutcome, Domain, InformedChannel, ItemCategory, ItemStatus,
    LegalBasis, LiaisonContent, LiaisonStatus, NeedsAction, Party, Priority, ReferralStatus, Role,
    Urgency,
};
use serde::Serialize;
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::StoreError;
use crate::audit::AuditEvent;
use crate::code::Code;
use crate::persons::{self, ConsentRecord, HistoryRecord, PersonRecord};

/// Everything held on a person.
#[derive(Debug, Clone)]
pub struct PersonExport {
    pub person: PersonRecord,
    pub consents: Vec<ConsentRecord>,
    /// The rectification history, oldest first.
    pub history: Vec<HistoryRecord>,
    /// The person's cases, oldest first, each with what belongs to it.
    pub cases: Vec<CaseExport>,
    /// The partners' referrals linked to the person (accepted ones), oldest first.
    pub referrals: Vec<ExportReferral>,
    /// The household (housing, employment, members), as stored.
    pub household: Option<Value>,
    /// The budget with its lines and debts, as stored.
    pub budget: Option<Value>,
    /// Every recorded access to the person's data, oldest first.
    pub audit_events: Vec<AuditEvent>,
}

/// One case and its content.
#[derive(Debug, Clone, Serialize)]
pub struct CaseExport {
    #[serde(flatten)]
    pub case: ExportCase,
    pub timeline: Vec<ExportCaseEvent>,
    pub assessment: Vec<ExportAssessmentDomain>,
    pub plan_items: Vec<ExportPlanItem>,
    pub proposals: Vec<ProposalExport>,
    pub contacts: Vec<ExportContact>,
    pub liaisons: Vec<ExportLiaison>,
    /// Applications for aid, each with its checklist, social reports and funding plan.
    pub applications: Vec<Value>,
    /// Uploaded documents' metadata (the files themselves are downloaded one by one).
    pub documents: Vec<Value>,
    /// The letters written, as sent.
    pub letters: Vec<Value>,
}

/// A case row.
#[derive(Debug, Clone, Serialize)]
pub struct ExportCase {
    pub id: Uuid,
    pub status: CaseStatus,
    pub reason: String,
    pub origin: CaseOrigin,
    pub referent_id: Option<Uuid>,
    pub team_ids: Vec<Uuid>,
    pub opened_on: NaiveDate,
    pub target_end_on: NaiveDate,
    pub closed_on: Option<NaiveDate>,
    pub closure_reason: Option<Code<ClosureReason>>,
    pub orientation: Option<String>,
    pub review_due_on: Option<NaiveDate>,
    pub last_contact_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An event of a case's timeline.
#[derive(Debug, Clone, Serialize)]
pub struct ExportCaseEvent {
    #[serde(skip)]
    pub case_id: Uuid,
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub kind: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub reason: Option<String>,
    pub data: serde_json::Value,
}

/// One assessed domain.
#[derive(Debug, Clone, Serialize)]
pub struct ExportAssessmentDomain {
    #[serde(skip)]
    pub case_id: Uuid,
    pub domain: Domain,
    pub situation: String,
    pub needs_action: NeedsAction,
    pub priority: Option<Code<Priority>>,
    pub assessed_by: Option<Uuid>,
    pub assessed_at: DateTime<Utc>,
}

/// A plan item.
#[derive(Debug, Clone, Serialize)]
pub struct ExportPlanItem {
    #[serde(skip)]
    pub case_id: Uuid,
    pub id: Uuid,
    pub party: Party,
    pub category: ItemCategory,
    pub domain: Domain,
    pub title: String,
    pub details: Option<String>,
    pub due_on: NaiveDate,
    pub status: ItemStatus,
    pub done_on: Option<NaiveDate>,
    pub outcome: Option<String>,
    pub scheme_id: Option<Uuid>,
    pub application_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A proposal with its decision and observations.
#[derive(Debug, Clone, Serialize)]
pub struct ProposalExport {
    #[serde(flatten)]
    pub proposal: ExportProposal,
    pub observations: Vec<ExportObservation>,
}

/// A proposal row: the frozen items and the person's decision, if any.
#[derive(Debug, Clone, Serialize)]
pub struct ExportProposal {
    #[serde(skip)]
    pub case_id: Uuid,
    pub id: Uuid,
    pub number: i32,
    pub items: serde_json::Value,
    pub content_hash: String,
    pub created_at: DateTime<Utc>,
    pub created_by: Uuid,
    pub outcome: Option<Code<DecisionOutcome>>,
    pub channel: Option<Code<DecisionChannel>>,
    pub notes: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub recorded_by: Option<Uuid>,
}

/// An observation on a proposal.
#[derive(Debug, Clone, Serialize)]
pub struct ExportObservation {
    #[serde(skip)]
    pub proposal_id: Uuid,
    pub id: Uuid,
    pub text: String,
    pub channel: DecisionChannel,
    pub at: DateTime<Utc>,
    pub recorded_by: Uuid,
}

/// A contact, private note included.
#[derive(Debug, Clone, Serialize)]
pub struct ExportContact {
    #[serde(skip)]
    pub case_id: Uuid,
    pub id: Uuid,
    pub kind: ContactKind,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub occurred_at: Option<DateTime<Utc>>,
    pub participants: Vec<String>,
    pub summary: Option<String>,
    pub private_note: Option<String>,
    pub author_id: Uuid,
    pub outcome: Option<String>,
    pub group_session_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub status: ContactStatus,
    pub outcome_reason: Option<String>,
}

/// A liaison sheet.
#[derive(Debug, Clone, Serialize)]
pub struct ExportLiaison {
    #[serde(skip)]
    pub case_id: Uuid,
    pub id: Uuid,
    pub destination_partner_id: Option<Uuid>,
    pub destination_name: Option<String>,
    pub destination_contact: Option<String>,
    pub purpose: String,
    pub content: Vec<Code<LiaisonContent>>,
    pub legal_basis: LegalBasis,
    pub consent_id: Option<Uuid>,
    pub status: LiaisonStatus,
    pub sent_at: Option<DateTime<Utc>>,
    pub sent_by: Option<Uuid>,
    pub answered_at: Option<DateTime<Utc>>,
    pub answered_by: Option<Uuid>,
    pub answer_message: Option<String>,
    pub created_at: DateTime<Utc>,
    pub created_by: Uuid,
}

/// A partner's referral about the person, as the partner posted it (the NIR stays masked).
#[derive(Debug, Clone, Serialize)]
pub struct ExportReferral {
    pub id: Uuid,
    pub partner_id: Uuid,
    pub status: ReferralStatus,
    pub first_name: String,
    pub last_name: String,
    pub birth_name: Option<String>,
    pub birth_date: NaiveDate,
    pub nir_masked: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub reason: String,
    pub domains: Vec<Code<Domain>>,
    pub urgency: Urgency,
    pub referrer_name: String,
    pub referrer_role: Option<String>,
    pub referrer_phone: Option<String>,
    pub referrer_email: Option<String>,
    pub informed_on: NaiveDate,
    pub informed_channel: InformedChannel,
    pub received_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<Uuid>,
    pub decision_message: Option<String>,
    pub case_id: Option<Uuid>,
}

/// Rows grouped by a key, in their original order.
fn group<T>(rows: Vec<T>, key: impl Fn(&T) -> Uuid) -> HashMap<Uuid, Vec<T>> {
    let mut groups: HashMap<Uuid, Vec<T>> = HashMap::new();
    for row in rows {
        groups.entry(key(&row)).or_default().push(row);
    }
    groups
}

/// Everything held on the person `person_id` of the current organisation (404 otherwise).
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn person(conn: &mut PgConnection, person_id: Uuid) -> Result<PersonExport, StoreError> {
    let person = persons::get(conn, person_id).await?;
    let consents = persons::consents(conn, person_id).await?;
    let history = persons::whole_history(conn, person_id).await?;
    let cases = sqlx::query_as!(
        ExportCase,
        r#"
        SELECT id, status AS "status: Code<CaseStatus>", reason,
               origin AS "origin: Code<CaseOrigin>", referent_id,
               ARRAY(SELECT t.agent_id FROM case_team t WHERE t.case_id = c.id
                     ORDER BY t.agent_id) AS "team_ids!",
               opened_on, target_end_on, closed_on,
               closure_reason AS "closure_reason: Code<ClosureReason>", orientation,
               review_due_on, last_contact_at, created_at, updated_at
        FROM cases c
        WHERE person_id = $1
        ORDER BY opened_on, id
        "#,
        person_id
    )
    .fetch_all(&mut *conn)
    .await?;
    let ids: Vec<Uuid> = cases.iter().map(|c| c.id).collect();

    let events = sqlx::query_as!(
        ExportCaseEvent,
        r#"
        SELECT case_id, id, at, actor_id, kind, from_status, to_status, reason, data
        FROM case_events
        WHERE case_id = ANY($1)
        ORDER BY at, id
        "#,
        &ids
    )
    .fetch_all(&mut *conn)
    .await?;
    let domains = sqlx::query_as!(
        ExportAssessmentDomain,
        r#"
        SELECT case_id, domain AS "domain: Code<Domain>", situation,
               needs_action AS "needs_action: Code<NeedsAction>",
               priority AS "priority: Code<Priority>", assessed_by, assessed_at
        FROM assessment_domains
        WHERE case_id = ANY($1)
        ORDER BY domain
        "#,
        &ids
    )
    .fetch_all(&mut *conn)
    .await?;
    let items = sqlx::query_as!(
        ExportPlanItem,
        r#"
        SELECT case_id, id, party AS "party: Code<Party>",
               category AS "category: Code<ItemCategory>", domain AS "domain: Code<Domain>",
               title, details, due_on, status AS "status: Code<ItemStatus>", done_on, outcome,
               scheme_id, application_id, created_at, updated_at
        FROM plan_items
        WHERE case_id = ANY($1)
        ORDER BY due_on, id
        "#,
        &ids
    )
    .fetch_all(&mut *conn)
    .await?;
    let proposals = sqlx::query_as!(
        ExportProposal,
        r#"
        SELECT case_id, id, number, items, content_hash, created_at, created_by,
               outcome AS "outcome: Code<DecisionOutcome>",
               channel AS "channel: Code<DecisionChannel>", notes, decided_at, recorded_by
        FROM plan_proposals
        WHERE case_id = ANY($1)
        ORDER BY number
        "#,
        &ids
    )
    .fetch_all(&mut *conn)
    .await?;
    let observations = sqlx::query_as!(
        ExportObservation,
        r#"
        SELECT o.proposal_id, o.id, o.text, o.channel AS "channel: Code<DecisionChannel>", o.at,
               o.recorded_by
        FROM proposal_observations o
        JOIN plan_proposals p ON p.id = o.proposal_id
        WHERE p.case_id = ANY($1)
        ORDER BY o.at, o.id
        "#,
        &ids
    )
    .fetch_all(&mut *conn)
    .await?;
    let contacts = sqlx::query_as!(
        ExportContact,
        r#"
        SELECT case_id, id, kind AS "kind: Code<ContactKind>", scheduled_at, occurred_at,
               participants, summary, private_note, author_id, outcome, group_session_id,
               created_at, updated_at, status AS "status: Code<ContactStatus>", outcome_reason
        FROM contacts
        WHERE case_id = ANY($1)
        ORDER BY COALESCE(occurred_at, scheduled_at, created_at), id
        "#,
        &ids
    )
    .fetch_all(&mut *conn)
    .await?;
    let liaisons = sqlx::query_as!(
        ExportLiaison,
        r#"
        SELECT case_id, id, destination_partner_id, destination_name, destination_contact, purpose,
               content AS "content: Vec<Code<LiaisonContent>>",
               legal_basis AS "legal_basis: Code<LegalBasis>", consent_id,
               status AS "status: Code<LiaisonStatus>", sent_at, sent_by, answered_at,
               answered_by, answer_message, created_at, created_by
        FROM liaisons
        WHERE case_id = ANY($1)
        ORDER BY created_at, id
        "#,
        &ids
    )
    .fetch_all(&mut *conn)
    .await?;
    let referrals = sqlx::query_as!(
        ExportReferral,
        r#"
        SELECT id, partner_id, status AS "status: Code<ReferralStatus>", first_name, last_name,
               birth_name, birth_date, nir_masked, phone, email, reason,
               domains AS "domains: Vec<Code<Domain>>", urgency AS "urgency: Code<Urgency>",
               referrer_name, referrer_role, referrer_phone, referrer_email, informed_on,
               informed_channel AS "informed_channel: Code<InformedChannel>", received_at,
               decided_at, decided_by, decision_message, case_id
        FROM referrals
        WHERE person_id = $1
        ORDER BY received_at, id
        "#,
        person_id
    )
    .fetch_all(&mut *conn)
    .await?;
    let situation = sqlx::query!(
        r#"SELECT
             (SELECT to_jsonb(h) - 'org_id' || jsonb_build_object('members', COALESCE(
                        (SELECT jsonb_agg(to_jsonb(m) - 'org_id' - 'person_id' ORDER BY m.position)
                           FROM household_members m WHERE m.person_id = h.person_id), '[]'))
                FROM households h WHERE h.person_id = $1) AS "household",
             (SELECT to_jsonb(b) - 'org_id' || jsonb_build_object('lines', COALESCE(
                        (SELECT jsonb_agg(to_jsonb(l) - 'org_id' - 'person_id'
                                          ORDER BY l.side, l.position)
                           FROM budget_lines l WHERE l.person_id = b.person_id), '[]'),
                    'debts', COALESCE(
                        (SELECT jsonb_agg(to_jsonb(d) - 'org_id' - 'person_id'
                                          ORDER BY d.position)
                           FROM budget_debts d WHERE d.person_id = b.person_id), '[]'))
                FROM budgets b WHERE b.person_id = $1) AS "budget""#,
        person_id
    )
    .fetch_one(&mut *conn)
    .await?;
    // One query for every application of every case, its checklist, reports and funding plan.
    let applications = sqlx::query!(
        r#"SELECT a.case_id,
                  to_jsonb(a) - 'org_id' || jsonb_build_object(
                    'documents', COALESCE(
                        (SELECT jsonb_agg(to_jsonb(d) - 'org_id' ORDER BY d.position)
                           FROM application_documents d WHERE d.application_id = a.id), '[]'),
                    'social_reports', COALESCE(
                        (SELECT jsonb_agg(to_jsonb(r) - 'org_id' ORDER BY r.version_no)
                           FROM social_reports r WHERE r.application_id = a.id), '[]'),
                    'funding_plan',
                        (SELECT to_jsonb(f) - 'org_id' || jsonb_build_object('funders', COALESCE(
                                  (SELECT jsonb_agg(to_jsonb(x) - 'org_id' ORDER BY x.position)
                                     FROM funding_plan_funders x
                                    WHERE x.application_id = f.application_id), '[]'))
                           FROM funding_plans f WHERE f.application_id = a.id)
                  ) AS "application!"
             FROM applications a WHERE a.case_id = ANY($1) ORDER BY a.created_at, a.id"#,
        &ids
    )
    .fetch_all(&mut *conn)
    .await?;
    let documents = sqlx::query!(
        r#"SELECT d.case_id, to_jsonb(d) - 'org_id' AS "document!"
             FROM documents d WHERE d.case_id = ANY($1) ORDER BY d.uploaded_at, d.id"#,
        &ids
    )
    .fetch_all(&mut *conn)
    .await?;
    let letters = sqlx::query!(
        r#"SELECT l.case_id, to_jsonb(l) - 'org_id' AS "letter!"
             FROM letters l WHERE l.case_id = ANY($1) ORDER BY l.created_at, l.id"#,
        &ids
    )
    .fetch_all(&mut *conn)
    .await?;
    let audit_events = sqlx::query_as!(
        AuditEvent,
        r#"
        SELECT id, at, actor_id, actor_subject, action AS "action: Code<AuditAction>",
               resource_type AS "resource_type: Code<AuditResource>", resource_id, person_id,
               reason, request_id
        FROM audit_events
        WHERE person_id = $1
        ORDER BY at, id
        "#,
        person_id
    )
    .fetch_all(&mut *conn)
    .await?;

    let mut events = group(events, |e| e.case_id);
    let mut domains = group(domains, |d| d.case_id);
    let mut items = group(items, |i| i.case_id);
    let mut observations = group(observations, |o| o.proposal_id);
    let mut proposals = group(proposals, |p| p.case_id);
    let mut contacts = group(contacts, |c| c.case_id);
    let mut liaisons = group(liaisons, |l| l.case_id);
    let mut applications = group(applications, |a| a.case_id);
    let mut documents = group(documents, |d| d.case_id);
    let mut letters = group(letters, |l| l.case_id);
    let cases = cases
        .into_iter()
        .map(|case| {
            let id = case.id;
            CaseExport {
                timeline: events.remove(&id).unwrap_or_default(),
                assessment: domains.remove(&id).unwrap_or_default(),
                plan_items: items.remove(&id).unwrap_or_default(),
                proposals: proposals
                    .remove(&id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|proposal| ProposalExport {
                        observations: observations.remove(&proposal.id).unwrap_or_default(),
                        proposal,
                    })
                    .collect(),
                contacts: contacts.remove(&id).unwrap_or_default(),
                liaisons: liaisons.remove(&id).unwrap_or_default(),
                applications: applications
                    .remove(&id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|a| a.application)
                    .collect(),
                documents: documents
                    .remove(&id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|d| d.document)
                    .collect(),
                letters: letters
                    .remove(&id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|l| l.letter)
                    .collect(),
                case,
            }
        })
        .collect();
    Ok(PersonExport {
        person,
        consents,
        history,
        cases,
        referrals,
        household: situation.household,
        budget: situation.budget,
        audit_events,
    })
}

/// The names a readable export prints instead of ids.
#[derive(Debug, Clone, Default)]
pub struct ExportNames {
    /// Agents: their name and roles.
    pub agents: HashMap<Uuid, (String, Vec<Role>)>,
    /// Partners, by name.
    pub partners: HashMap<Uuid, String>,
    /// Schemes (aids applied for), by name.
    pub schemes: HashMap<Uuid, String>,
}

/// The names of the agents, partners and schemes an export refers to, in one query.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn names(
    conn: &mut PgConnection,
    agents: &[Uuid],
    partners: &[Uuid],
    schemes: &[Uuid],
) -> Result<ExportNames, StoreError> {
    let rows = sqlx::query!(
        r#"
        SELECT 'agent' AS "kind!", id AS "id!",
               COALESCE(NULLIF(btrim(display_name), ''), subject) AS "name!", roles AS "roles!"
          FROM agents WHERE id = ANY($1)
        UNION ALL
        SELECT 'partner', id, name, '{}'::text[] FROM partners WHERE id = ANY($2)
        UNION ALL
        SELECT 'scheme', id, name, '{}'::text[] FROM schemes WHERE id = ANY($3)
        "#,
        agents,
        partners,
        schemes
    )
    .fetch_all(conn)
    .await?;
    let mut names = ExportNames::default();
    for row in rows {
        match row.kind.as_str() {
            "agent" => {
                let roles = row.roles.iter().filter_map(|r| Role::parse(r)).collect();
                names.agents.insert(row.id, (row.name, roles));
            }
            "partner" => {
                names.partners.insert(row.id, row.name);
            }
            _ => {
                names.schemes.insert(row.id, row.name);
            }
        }
    }
    Ok(names)
}

/// A stored file of the person: a case's document or a referral's attachment.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub id: Uuid,
    /// `documents` or `orientations`: where the file sits in the archive.
    pub folder: &'static str,
    pub filename: String,
    pub content: Vec<u8>,
}

/// The bytes of every document of the person's cases and of every attachment of their
/// referrals (anonymisation deletes both), in one query.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn files(
    conn: &mut PgConnection,
    person_id: Uuid,
) -> Result<Vec<StoredFile>, StoreError> {
    let rows = sqlx::query!(
        r#"
        SELECT true AS "document!", d.id AS "id!", d.filename AS "filename!",
               c.content AS "content!", d.uploaded_at AS "at!"
          FROM cases k
          JOIN documents d ON d.case_id = k.id
          JOIN document_contents c ON c.document_id = d.id
         WHERE k.person_id = $1
        UNION ALL
        SELECT false, a.id, a.filename, a.content, a.created_at
          FROM referrals r
          JOIN referral_attachments a ON a.referral_id = r.id
         WHERE r.person_id = $1
        ORDER BY 5, 2
        "#,
        person_id
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| StoredFile {
            id: r.id,
            folder: if r.document {
                "documents"
            } else {
                "orientations"
            },
            filename: r.filename,
            content: r.content,
        })
        .collect())
}
