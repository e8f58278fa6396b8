//! Proposals of the help plan: numbered, immutable snapshots of a case's items with their
//! content hash, the person's decision on each (recorded once), and observations appended
//! afterwards. Every write adds its event to the case timeline in the same statement
//! (`plan_proposed`, `plan_decision`, `plan_observation`).
//!
//! Writes that depend on the case's proposals as a whole (the next number, "only the latest
//! proposal can be decided") run after [`lock_case`], so concurrent requests on one case queue
//! up instead of racing. The table's triggers refuse any change to a snapshot, a second
//! decision, and any edit or removal of an observation, whoever asks.

use chrono::{DateTime, Utc};
use relais_domain::{CaseStatus, DecisionChannel, DecisionOutcome, ProposalItem, content_hash};
use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;

use crate::StoreError;
use crate::code::{Code, corrupt};
use crate::error::single;
use crate::page::{Page, PageRequest};
use crate::plan_items::PlanItemRecord;

/// The person's answer to a proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionRecord {
    pub outcome: DecisionOutcome,
    pub channel: DecisionChannel,
    pub notes: Option<String>,
    pub decided_at: DateTime<Utc>,
    pub recorded_by: Uuid,
}

/// A proposal as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalRecord {
    pub id: Uuid,
    pub case_id: Uuid,
    pub number: i32,
    pub items: Vec<ProposalItem>,
    pub content_hash: String,
    pub created_at: DateTime<Utc>,
    pub created_by: Uuid,
    pub decision: Option<DecisionRecord>,
    pub observation_count: i64,
    /// A later proposal exists for the case.
    pub superseded: bool,
}

impl ProposalRecord {
    /// The version its ETag carries: a proposal only ever gains a decision, observations and a
    /// successor, so counting them gives a number that grows with every change.
    pub fn version(&self) -> i32 {
        let count = i32::try_from(self.observation_count).unwrap_or(i32::MAX - 3);
        1 + i32::from(self.decision.is_some()) + i32::from(self.superseded) + count
    }
}

/// An observation the person made on a proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservationRecord {
    pub id: Uuid,
    pub text: String,
    pub channel: DecisionChannel,
    pub at: DateTime<Utc>,
    pub recorded_by: Uuid,
}

/// The last proposal the person accepted, and when the first acceptance of the case was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agreement {
    pub number: i32,
    pub decided_at: DateTime<Utc>,
    pub content_hash: String,
    pub items: Vec<ProposalItem>,
    /// The case's first accepted decision (the agreement the indicators measure time to).
    pub first_accepted_at: DateTime<Utc>,
}

/// The case's status and version, read under a lock held until the transaction ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockedCase {
    pub status: CaseStatus,
    pub version: i32,
}

/// What a decision records.
#[derive(Debug, Clone, Copy)]
pub struct NewDecision<'a> {
    pub outcome: DecisionOutcome,
    pub channel: DecisionChannel,
    pub notes: Option<&'a str>,
}

/// A proposal as read: the decision's columns, null until it is recorded, become one
/// [`DecisionRecord`].
struct Row {
    id: Uuid,
    case_id: Uuid,
    number: i32,
    items: Json<Vec<ProposalItem>>,
    content_hash: String,
    created_at: DateTime<Utc>,
    created_by: Uuid,
    outcome: Option<Code<DecisionOutcome>>,
    channel: Option<Code<DecisionChannel>>,
    notes: Option<String>,
    decided_at: Option<DateTime<Utc>>,
    recorded_by: Option<Uuid>,
    observation_count: i64,
    superseded: bool,
}

impl From<Row> for ProposalRecord {
    fn from(r: Row) -> Self {
        let decision = match (r.outcome, r.channel, r.decided_at, r.recorded_by) {
            (Some(outcome), Some(channel), Some(decided_at), Some(recorded_by)) => {
                Some(DecisionRecord {
                    outcome: outcome.into_inner(),
                    channel: channel.into_inner(),
                    notes: r.notes,
                    decided_at,
                    recorded_by,
                })
            }
            _ => None,
        };
        Self {
            id: r.id,
            case_id: r.case_id,
            number: r.number,
            items: r.items.0,
            content_hash: r.content_hash,
            created_at: r.created_at,
            created_by: r.created_by,
            decision,
            observation_count: r.observation_count,
            superseded: r.superseded,
        }
    }
}

/// An item of the plan as a proposal freezes it.
pub fn snapshot(item: &PlanItemRecord) -> ProposalItem {
    ProposalItem {
        id: item.id,
        party: item.party,
        category: item.category,
        domain: item.domain,
        title: item.title.clone(),
        details: item.details.clone(),
        due_on: item.due_on,
        status: item.status,
        done_on: item.done_on,
        outcome: item.outcome.clone(),
        scheme_id: item.scheme_id,
        application_id: item.application_id,
    }
}

/// Locks the case row until the transaction ends (proposals of one case are numbered and
/// decided one request at a time) and returns its current status and version.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn lock_case(conn: &mut PgConnection, case_id: Uuid) -> Result<LockedCase, StoreError> {
    sqlx::query_as!(
        LockedCase,
        r#"
        SELECT status AS "status: Code<CaseStatus>", version
        FROM cases
        WHERE id = $1
        FOR NO KEY UPDATE
        "#,
        case_id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)
}

/// Makes the next proposal of a case (call [`lock_case`] first): freezes `items`, numbers it
/// after the case's last one, and writes its `plan_proposed` timeline event.
///
/// # Errors
/// [`StoreError::Conflict`] `empty_plan` when `items` is empty.
#[tracing::instrument(level = "debug", skip_all, fields(case_id = %case_id, items = items.len()))]
pub async fn create(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor_id: Uuid,
    case_id: Uuid,
    items: &[ProposalItem],
) -> Result<ProposalRecord, StoreError> {
    if items.is_empty() {
        return Err(StoreError::Conflict {
            code: "empty_plan",
            message: "the plan has no item yet: add its steps before proposing it".into(),
        });
    }
    let hash = content_hash(items);
    let snapshot =
        serde_json::to_value(items).map_err(|e| corrupt(format!("proposal items: {e}")))?;
    let item_count = i32::try_from(items.len()).unwrap_or(i32::MAX);
    let id = Uuid::now_v7();
    let written = sqlx::query!(
        r#"
        WITH p AS (
            INSERT INTO plan_proposals (id, org_id, case_id, number, items, content_hash,
                                        created_by)
            SELECT $1::uuid, $2::uuid, $3::uuid, COALESCE(max(number), 0) + 1, $4::jsonb, $5::text,
                   $6::uuid
            FROM plan_proposals
            WHERE case_id = $3
            RETURNING case_id, number, created_at
        ),
        e AS (
            INSERT INTO case_events (id, org_id, case_id, actor_id, kind, data)
            SELECT $7, $2, p.case_id, $6, 'plan_proposed',
                   jsonb_build_object('number', p.number, 'content_hash', $5::text,
                                      'items', $8::integer)
            FROM p
        )
        SELECT number AS "number!", created_at AS "created_at!"
        FROM p
        "#,
        id,
        org_id,
        case_id,
        snapshot,
        hash,
        actor_id,
        Uuid::now_v7(),
        item_count
    )
    .fetch_one(conn)
    .await?;
    // A new proposal: the latest, with no decision and no observation yet.
    Ok(ProposalRecord {
        id,
        case_id,
        number: written.number,
        items: items.to_vec(),
        content_hash: hash,
        created_at: written.created_at,
        created_by: actor_id,
        decision: None,
        observation_count: 0,
        superseded: false,
    })
}

/// One proposal of a case, by its number.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn get(
    conn: &mut PgConnection,
    case_id: Uuid,
    number: i32,
) -> Result<ProposalRecord, StoreError> {
    single(read(conn, case_id, Some(number), None, 1).await?)
}

/// A page of a case's proposals, newest first; `page.after` is the id of the last proposal
/// of the previous page.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn list(
    conn: &mut PgConnection,
    case_id: Uuid,
    page: PageRequest,
) -> Result<Page<ProposalRecord>, StoreError> {
    let rows = read(conn, case_id, None, page.after, page.fetch_limit()).await?;
    Ok(Page::from_rows(rows, page.limit, |p| p.id))
}

/// The one read of proposals: a case's, newest first, after the proposal `after`, at most
/// `limit` of them, or only the one numbered `number`.
async fn read(
    conn: &mut PgConnection,
    case_id: Uuid,
    number: Option<i32>,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<ProposalRecord>, StoreError> {
    let rows = sqlx::query_as!(
        Row,
        r#"
        SELECT p.id, p.case_id, p.number, p.items AS "items: Json<Vec<ProposalItem>>",
               p.content_hash, p.created_at, p.created_by,
               p.outcome AS "outcome: Code<DecisionOutcome>",
               p.channel AS "channel: Code<DecisionChannel>", p.notes, p.decided_at,
               p.recorded_by,
               (SELECT count(*) FROM proposal_observations o WHERE o.proposal_id = p.id)
                   AS "observation_count!",
               EXISTS (SELECT 1
                       FROM plan_proposals n
                       WHERE n.case_id = p.case_id AND n.number > p.number) AS "superseded!"
        FROM plan_proposals p
        WHERE p.case_id = $1
          AND ($2::int IS NULL OR p.number = $2)
          AND ($3::uuid IS NULL
               OR p.number < (SELECT c.number
                              FROM plan_proposals c
                              WHERE c.id = $3 AND c.case_id = $1))
        ORDER BY p.number DESC
        LIMIT $4
        "#,
        case_id,
        number,
        after,
        limit
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(ProposalRecord::from).collect())
}

/// Records the person's answer to proposal `number` (call [`lock_case`] first), with its
/// `plan_decision` timeline event.
///
/// # Errors
/// [`StoreError::NotFound`] when the case has no such proposal; [`StoreError::Conflict`]
/// `already_decided` when it has its answer, `superseded` when a later proposal exists.
#[tracing::instrument(level = "debug", skip(conn, decision), fields(outcome = %decision.outcome))]
pub async fn decide(
    conn: &mut PgConnection,
    actor_id: Uuid,
    case_id: Uuid,
    number: i32,
    decision: &NewDecision<'_>,
) -> Result<ProposalRecord, StoreError> {
    let current = get(conn, case_id, number).await?;
    let already = || StoreError::Conflict {
        code: "already_decided",
        message: format!("the answer to proposal {number} is already recorded"),
    };
    if current.decision.is_some() {
        return Err(already());
    }
    if current.superseded {
        return Err(StoreError::Conflict {
            code: "superseded",
            message: format!(
                "proposal {number} was superseded by a later one: record the answer on the latest"
            ),
        });
    }
    let decided_at = sqlx::query_scalar!(
        r#"
        WITH d AS (
            UPDATE plan_proposals
            SET outcome = $2, channel = $3, notes = $4, decided_at = now(), recorded_by = $5
            WHERE id = $1 AND outcome IS NULL
            RETURNING org_id, case_id, number, decided_at
        ),
        e AS (
            INSERT INTO case_events (id, org_id, case_id, actor_id, kind, data)
            SELECT $6, d.org_id, d.case_id, $5, 'plan_decision',
                   jsonb_build_object('number', d.number, 'outcome', $2::text,
                                      'channel', $3::text)
            FROM d
        )
        SELECT decided_at AS "decided_at!"
        FROM d
        "#,
        current.id,
        decision.outcome.code(),
        decision.channel.code(),
        decision.notes,
        actor_id,
        Uuid::now_v7()
    )
    .fetch_optional(conn)
    .await?
    .ok_or_else(already)?;
    Ok(ProposalRecord {
        decision: Some(DecisionRecord {
            outcome: decision.outcome,
            channel: decision.channel,
            notes: decision.notes.map(str::to_owned),
            decided_at,
            recorded_by: actor_id,
        }),
        ..current
    })
}

/// Appends an observation to a proposal, with its `plan_observation` timeline event.
#[tracing::instrument(level = "debug", skip(conn, text))]
pub async fn observe(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor_id: Uuid,
    proposal: &ProposalRecord,
    text: &str,
    channel: DecisionChannel,
) -> Result<ObservationRecord, StoreError> {
    sqlx::query_as!(
        ObservationRecord,
        r#"
        WITH o AS (
            INSERT INTO proposal_observations (id, org_id, proposal_id, text, channel, recorded_by)
            VALUES ($1, $2, $3, $4, $5, $6)
            RETURNING id, text, channel, at, recorded_by
        ),
        e AS (
            INSERT INTO case_events (id, org_id, case_id, actor_id, kind, data)
            SELECT $7, $2, $8, $6, 'plan_observation',
                   jsonb_build_object('number', $9::integer, 'channel', $5::text)
            FROM o
        )
        SELECT id AS "id!", text AS "text!", channel AS "channel!: Code<DecisionChannel>",
               at AS "at!", recorded_by AS "recorded_by!"
        FROM o
        "#,
        Uuid::now_v7(),
        org_id,
        proposal.id,
        text,
        channel.code(),
        actor_id,
        Uuid::now_v7(),
        proposal.case_id,
        proposal.number
    )
    .fetch_one(conn)
    .await
    .map_err(StoreError::from)
}

/// A proposal's observations, oldest first.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn observations(
    conn: &mut PgConnection,
    proposal_id: Uuid,
) -> Result<Vec<ObservationRecord>, StoreError> {
    Ok(sqlx::query_as!(
        ObservationRecord,
        r#"
        SELECT id, text, channel AS "channel: Code<DecisionChannel>", at, recorded_by
        FROM proposal_observations
        WHERE proposal_id = $1
        ORDER BY at, id
        "#,
        proposal_id
    )
    .fetch_all(conn)
    .await?)
}

/// The case's latest accepted proposal, if any, with the date of its first acceptance: one
/// query.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn last_agreement(
    conn: &mut PgConnection,
    case_id: Uuid,
) -> Result<Option<Agreement>, StoreError> {
    let row = sqlx::query!(
        r#"
        SELECT p.number, p.decided_at AS "decided_at!", p.content_hash,
               p.items AS "items: Json<Vec<ProposalItem>>",
               (SELECT min(f.decided_at)
                FROM plan_proposals f
                WHERE f.case_id = p.case_id AND f.outcome = 'accepted') AS "first_accepted_at!"
        FROM plan_proposals p
        WHERE p.case_id = $1 AND p.outcome = 'accepted'
        ORDER BY p.number DESC
        LIMIT 1
        "#,
        case_id
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| Agreement {
        number: r.number,
        decided_at: r.decided_at,
        content_hash: r.content_hash,
        items: r.items.0,
        first_accepted_at: r.first_accepted_at,
    }))
}

/// Whether the person accepted a proposal of the case (the `active` guard).
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn has_accepted(conn: &mut PgConnection, case_id: Uuid) -> Result<bool, StoreError> {
    Ok(sqlx::query_scalar!(
        r#"
        SELECT EXISTS (SELECT 1 FROM plan_proposals WHERE case_id = $1 AND outcome = 'accepted')
            AS "exists!"
        "#,
        case_id
    )
    .fetch_one(conn)
    .await?)
}
