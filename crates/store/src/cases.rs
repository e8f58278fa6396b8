//! Cases: the support relationship, its team, its lifecycle and its timeline.

use chrono::{DateTime, NaiveDate, Utc};
use relais_domain::case::confirm_closure;
use relais_domain::{
    CaseOrigin, CaseStatus, ClosureReason, ItemStatus, Party, SupportOutcome, TransitionFacts,
    TransitionRequest,
};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::StoreError;
use crate::code::Code;
use crate::db::plan_for_values;
use crate::page::{Page, PageRequest};
use crate::version::{Versioned, stale_or_missing};

/// A case as stored, with its team.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CaseRecord {
    pub id: Uuid,
    pub person_id: Uuid,
    pub status: CaseStatus,
    pub reason: String,
    pub origin: CaseOrigin,
    pub referent_id: Option<Uuid>,
    /// The team's members in their own right (the referent among them).
    pub team_ids: Vec<Uuid>,
    /// Those on the team while the referent is away (see `absences`).
    pub delegate_ids: Vec<Uuid>,
    pub opened_on: NaiveDate,
    pub target_end_on: NaiveDate,
    pub closed_on: Option<NaiveDate>,
    pub closure_reason: Option<Code<ClosureReason>>,
    pub orientation: Option<String>,
    pub review_due_on: Option<NaiveDate>,
    pub last_contact_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
    /// Whether a post-closure review contact was held since the closure (false when open).
    pub review_held: bool,
}

impl CaseRecord {
    /// The lifecycle state.
    pub fn status(&self) -> CaseStatus {
        self.status
    }
}

/// Which cases the caller may see.
#[derive(Debug, Clone, Copy)]
pub enum CaseScope {
    /// Every case of the organisation (supervisor).
    All,
    /// Only the cases whose team includes this agent (worker).
    Team(Uuid),
}

impl CaseScope {
    fn team_agent(self) -> Option<Uuid> {
        match self {
            CaseScope::All => None,
            CaseScope::Team(agent) => Some(agent),
        }
    }
}

/// What a new case needs; the team always includes the referent.
#[derive(Debug, Clone)]
pub struct NewCase<'a> {
    pub person_id: Uuid,
    pub reason: &'a str,
    pub origin: CaseOrigin,
    pub referent_id: Option<Uuid>,
    pub team_ids: Vec<Uuid>,
    pub opened_on: NaiveDate,
    pub target_end_on: NaiveDate,
}

fn with_referent(referent: Option<Uuid>, mut team: Vec<Uuid>) -> Vec<Uuid> {
    team.extend(referent);
    team.sort_unstable();
    team.dedup();
    team
}

/// Checks that the referent and every team member are agents of the organisation, and that
/// those not already on the case (`current`) are still at work; an unknown or departed agent is
/// reported at the field that holds it (`/team_ids` or `/referent_id`).
async fn check_agents(
    conn: &mut PgConnection,
    referent: Option<Uuid>,
    team: &[Uuid],
    current: &[Uuid],
) -> Result<(), StoreError> {
    let ids = with_referent(referent, team.to_vec());
    let found = crate::agents::existing(conn, &ids).await?;
    let field = |id: &Uuid| {
        if team.contains(id) {
            "/team_ids"
        } else {
            "/referent_id"
        }
    };
    for id in &ids {
        match found.iter().find(|(known, _)| known == id) {
            None => {
                return Err(StoreError::InvalidReference {
                    field: field(id),
                    message: format!("no agent {id} in this organisation"),
                });
            }
            Some((_, false)) if !current.contains(id) => {
                return Err(StoreError::InvalidReference {
                    field: field(id),
                    message: format!("agent {id} is no longer active in this organisation"),
                });
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Opens a case in `intake`, with its team and its first timeline event.
#[tracing::instrument(level = "debug", skip_all, fields(person_id = %new.person_id))]
pub async fn create(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor_id: Uuid,
    new: &NewCase<'_>,
) -> Result<CaseRecord, StoreError> {
    check_agents(conn, new.referent_id, &new.team_ids, &[]).await?;
    let team = with_referent(new.referent_id, new.team_ids.clone());
    let exists = sqlx::query_scalar!(
        "SELECT EXISTS (SELECT 1 FROM persons WHERE id = $1 AND merged_into IS NULL) AS \"exists!\"",
        new.person_id
    )
    .fetch_one(&mut *conn)
    .await?;
    if !exists {
        return Err(StoreError::InvalidReference {
            field: "/person_id",
            message: "no such person in this organisation (a merged record's cases go to the \
                      record it was merged into)"
                .into(),
        });
    }
    let id = Uuid::now_v7();
    let status = CaseStatus::Intake;
    // One statement writes the case, its team and its creation event, and answers what the
    // database set.
    let written = sqlx::query!(
        r#"
        WITH c AS (
            INSERT INTO cases (id, org_id, person_id, status, reason, origin, referent_id,
                               opened_on, target_end_on, created_by)
            VALUES ($1, $2, $3, $12, $4, $5, $6, $7, $8, $9)
            RETURNING id, created_at, updated_at, version
        ),
        t AS (
            INSERT INTO case_team (case_id, agent_id, org_id)
            SELECT c.id, a, $2
            FROM c, unnest($10::uuid[]) AS a
        ),
        e AS (
            INSERT INTO case_events (id, org_id, case_id, actor_id, kind, to_status)
            SELECT $11, $2, c.id, $9, 'created', $12
            FROM c
        )
        SELECT created_at AS "created_at!", updated_at AS "updated_at!", version AS "version!"
        FROM c
        "#,
        id,
        org_id,
        new.person_id,
        new.reason,
        new.origin.code(),
        new.referent_id,
        new.opened_on,
        new.target_end_on,
        actor_id,
        &team,
        Uuid::now_v7(),
        status.code()
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(CaseRecord {
        id,
        person_id: new.person_id,
        status,
        reason: new.reason.to_owned(),
        origin: new.origin,
        referent_id: new.referent_id,
        team_ids: team,
        delegate_ids: Vec::new(),
        opened_on: new.opened_on,
        target_end_on: new.target_end_on,
        closed_on: None,
        closure_reason: None,
        orientation: None,
        review_due_on: None,
        last_contact_at: None,
        created_at: written.created_at,
        updated_at: written.updated_at,
        version: written.version,
        // Not closed, so not reviewed either.
        review_held: false,
    })
}

/// One case the caller may see. The team check names the case by the parameter, not by the
/// row: it is then one probe of the team's primary key, made once, where a check tied to the
/// row becomes, in a generic plan, a hash of every case of the agent's team.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn get(
    conn: &mut PgConnection,
    id: Uuid,
    scope: CaseScope,
) -> Result<CaseRecord, StoreError> {
    sqlx::query_as!(
        CaseRecord,
        r#"
        SELECT c.id, c.person_id, c.status AS "status: Code<CaseStatus>", c.reason,
               c.origin AS "origin: Code<CaseOrigin>", c.referent_id,
               ARRAY(SELECT t.agent_id FROM case_team t
                     WHERE t.case_id = c.id AND t.absence_id IS NULL ORDER BY t.agent_id)
                   AS "team_ids!",
               ARRAY(SELECT t.agent_id FROM case_team t
                     WHERE t.case_id = c.id AND t.absence_id IS NOT NULL ORDER BY t.agent_id)
                   AS "delegate_ids!",
               c.opened_on, c.target_end_on, c.closed_on,
               c.closure_reason AS "closure_reason: Code<ClosureReason>", c.orientation,
               c.review_due_on, c.last_contact_at, c.created_at, c.updated_at, c.version,
               EXISTS (
                   SELECT 1
                   FROM contacts k
                   WHERE k.case_id = c.id
                     AND k.kind = 'post_closure_review'
                     AND k.occurred_at >= c.closed_on
               ) AS "review_held!"
        FROM cases c
        WHERE c.id = $1
          AND ($2::uuid IS NULL
               OR EXISTS (SELECT 1 FROM case_team m WHERE m.case_id = $1 AND m.agent_id = $2))
        "#,
        id,
        scope.team_agent()
    )
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)
}

/// The cases among `ids` that the caller may see, in no particular order (an id the caller may
/// not see, or that does not exist, is left out). One statement whatever the number of ids.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn get_many(
    conn: &mut PgConnection,
    ids: &[Uuid],
    scope: CaseScope,
) -> Result<Vec<CaseRecord>, StoreError> {
    Ok(sqlx::query_as!(
        CaseRecord,
        r#"
        SELECT c.id, c.person_id, c.status AS "status: Code<CaseStatus>", c.reason,
               c.origin AS "origin: Code<CaseOrigin>", c.referent_id,
               ARRAY(SELECT t.agent_id FROM case_team t
                     WHERE t.case_id = c.id AND t.absence_id IS NULL ORDER BY t.agent_id)
                   AS "team_ids!",
               ARRAY(SELECT t.agent_id FROM case_team t
                     WHERE t.case_id = c.id AND t.absence_id IS NOT NULL ORDER BY t.agent_id)
                   AS "delegate_ids!",
               c.opened_on, c.target_end_on, c.closed_on,
               c.closure_reason AS "closure_reason: Code<ClosureReason>", c.orientation,
               c.review_due_on, c.last_contact_at, c.created_at, c.updated_at, c.version,
               EXISTS (
                   SELECT 1
                   FROM contacts k
                   WHERE k.case_id = c.id
                     AND k.kind = 'post_closure_review'
                     AND k.occurred_at >= c.closed_on
               ) AS "review_held!"
        FROM cases c
        WHERE c.id = ANY($1)
          AND ($2::uuid IS NULL
               OR EXISTS (SELECT 1 FROM case_team m WHERE m.case_id = c.id AND m.agent_id = $2))
        "#,
        ids,
        scope.team_agent()
    )
    .fetch_all(conn)
    .await?)
}

/// The person of the case `id` of the organisation, whoever asks; `None` when there is no such
/// case. Read only when a caller's scope did not reach the case, to record the refusal about
/// its person.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn person_of(conn: &mut PgConnection, id: Uuid) -> Result<Option<Uuid>, StoreError> {
    Ok(
        sqlx::query_scalar!("SELECT person_id FROM cases WHERE id = $1", id)
            .fetch_optional(conn)
            .await?,
    )
}

/// Filters of `GET /v1/cases`.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    /// When empty, every status but `archived` (archived cases are hidden from lists).
    pub statuses: Vec<String>,
    pub referent_id: Option<Uuid>,
    /// Only the cases without referent (waiting for one: opened by reception, say).
    pub unassigned: bool,
    pub person_id: Option<Uuid>,
    /// Cases still open past their target end date (as of `today`).
    pub past_target_on: Option<NaiveDate>,
    /// Closed cases whose post-closure review is due (as of `today`): the review date has come
    /// and no post-closure review contact was held since the closure.
    pub review_due_on: Option<NaiveDate>,
}

/// Lists the cases the caller may see, newest first.
///
/// Two statements, one per scope, with the same columns and filters: a worker's list is driven
/// by the case-team index (the agent's cases in id order, joined to their rows), everybody
/// else's by the cases' own order. Each is planned for its values (a custom plan), so that the
/// filters not given drop out and the planner sees how many rows a given one keeps: a filter
/// matching nothing is answered from its index at once instead of walking every case.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(
    conn: &mut PgConnection,
    filter: &CaseFilter,
    scope: CaseScope,
    page: PageRequest,
) -> Result<Page<CaseRecord>, StoreError> {
    plan_for_values(&mut *conn).await?;
    let rows = match scope.team_agent() {
        Some(agent_id) => {
            sqlx::query_as!(
                CaseRecord,
                r#"
                SELECT c.id, c.person_id, c.status AS "status: Code<CaseStatus>", c.reason,
                       c.origin AS "origin: Code<CaseOrigin>", c.referent_id,
                       ARRAY(SELECT t.agent_id FROM case_team t
                             WHERE t.case_id = c.id AND t.absence_id IS NULL
                             ORDER BY t.agent_id) AS "team_ids!",
                       ARRAY(SELECT t.agent_id FROM case_team t
                             WHERE t.case_id = c.id AND t.absence_id IS NOT NULL
                             ORDER BY t.agent_id) AS "delegate_ids!",
                       c.opened_on, c.target_end_on, c.closed_on,
                       c.closure_reason AS "closure_reason: Code<ClosureReason>", c.orientation,
                       c.review_due_on, c.last_contact_at, c.created_at, c.updated_at, c.version,
                       EXISTS (
                           SELECT 1
                           FROM contacts k
                           WHERE k.case_id = c.id
                             AND k.kind = 'post_closure_review'
                             AND k.occurred_at >= c.closed_on
                       ) AS "review_held!"
                FROM case_team m
                JOIN cases c ON c.id = m.case_id
                WHERE m.agent_id = $5
                  AND m.case_id < $6
                  AND (CASE WHEN cardinality($1::text[]) = 0 THEN c.status <> 'archived'
                            ELSE c.status = ANY($1)
                       END)
                  AND ($2::uuid IS NULL OR c.referent_id = $2)
                  AND (NOT $9 OR c.referent_id IS NULL)
                  AND ($3::uuid IS NULL OR c.person_id = $3)
                  AND ($4::date IS NULL OR c.open_target_on < $4)
                  AND ($8::date IS NULL
                       OR (c.status = 'closed'
                           AND c.review_due_on <= $8
                           AND NOT EXISTS (
                               SELECT 1
                               FROM contacts r
                               WHERE r.case_id = c.id
                                 AND r.kind = 'post_closure_review'
                                 AND r.occurred_at >= c.closed_on
                           )))
                ORDER BY m.case_id DESC
                LIMIT $7
                "#,
                &filter.statuses,
                filter.referent_id,
                filter.person_id,
                filter.past_target_on,
                agent_id,
                page.after.unwrap_or(Uuid::max()),
                page.fetch_limit(),
                filter.review_due_on,
                filter.unassigned
            )
            .fetch_all(conn)
            .await?
        }
        None => {
            sqlx::query_as!(
                CaseRecord,
                r#"
                SELECT c.id, c.person_id, c.status AS "status: Code<CaseStatus>", c.reason,
                       c.origin AS "origin: Code<CaseOrigin>", c.referent_id,
                       ARRAY(SELECT t.agent_id FROM case_team t
                             WHERE t.case_id = c.id AND t.absence_id IS NULL
                             ORDER BY t.agent_id) AS "team_ids!",
                       ARRAY(SELECT t.agent_id FROM case_team t
                             WHERE t.case_id = c.id AND t.absence_id IS NOT NULL
                             ORDER BY t.agent_id) AS "delegate_ids!",
                       c.opened_on, c.target_end_on, c.closed_on,
                       c.closure_reason AS "closure_reason: Code<ClosureReason>", c.orientation,
                       c.review_due_on, c.last_contact_at, c.created_at, c.updated_at, c.version,
                       EXISTS (
                           SELECT 1
                           FROM contacts k
                           WHERE k.case_id = c.id
                             AND k.kind = 'post_closure_review'
                             AND k.occurred_at >= c.closed_on
                       ) AS "review_held!"
                FROM cases c
                WHERE c.id < $5
                  AND (CASE WHEN cardinality($1::text[]) = 0 THEN c.status <> 'archived'
                            ELSE c.status = ANY($1)
                       END)
                  AND ($2::uuid IS NULL OR c.referent_id = $2)
                  AND (NOT $8 OR c.referent_id IS NULL)
                  AND ($3::uuid IS NULL OR c.person_id = $3)
                  AND ($4::date IS NULL OR c.open_target_on < $4)
                  AND ($7::date IS NULL
                       OR (c.status = 'closed'
                           AND c.review_due_on <= $7
                           AND NOT EXISTS (
                               SELECT 1
                               FROM contacts r
                               WHERE r.case_id = c.id
                                 AND r.kind = 'post_closure_review'
                                 AND r.occurred_at >= c.closed_on
                           )))
                ORDER BY c.id DESC
                LIMIT $6
                "#,
                &filter.statuses,
                filter.referent_id,
                filter.person_id,
                filter.past_target_on,
                page.after.unwrap_or(Uuid::max()),
                page.fetch_limit(),
                filter.review_due_on,
                filter.unassigned
            )
            .fetch_all(conn)
            .await?
        }
    };
    Ok(Page::from_rows(rows, page.limit, |c| c.id))
}

/// The fields a `PATCH` may change; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct CasePatch {
    pub referent_id: Option<Option<Uuid>>,
    pub team_ids: Option<Vec<Uuid>>,
    pub target_end_on: Option<NaiveDate>,
}

/// Applies a patch when the stored version is `expected_version`. The team written is the
/// members' (delegations of an absence stay until it ends); a delegate named in the team, or as
/// referent, becomes a member in their own right.
#[tracing::instrument(level = "debug", skip_all, fields(case_id = %id))]
pub async fn update(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor_id: Uuid,
    id: Uuid,
    expected_version: i32,
    patch: &CasePatch,
) -> Result<CaseRecord, StoreError> {
    let current = get(conn, id, CaseScope::All).await?;
    if current.version != expected_version {
        return Err(StoreError::VersionMismatch);
    }
    let referent = patch.referent_id.unwrap_or(current.referent_id);
    let members = patch
        .team_ids
        .clone()
        .unwrap_or_else(|| current.team_ids.clone());
    let already = with_referent(current.referent_id, current.team_ids.clone());
    check_agents(conn, referent, &members, &already).await?;
    let team = with_referent(referent, members);
    let target = patch.target_end_on.unwrap_or(current.target_end_on);
    // The team written is `team`; the other fields stay as read.
    let written = sqlx::query!(
        r#"
        WITH c AS (
            UPDATE cases
            SET referent_id = $3, target_end_on = $4, updated_at = now(), version = version + 1
            WHERE id = $1 AND version = $2
            RETURNING id, updated_at, version
        ),
        d AS (
            DELETE FROM case_team
            WHERE case_id IN (SELECT id FROM c) AND NOT (agent_id = ANY($5))
              AND absence_id IS NULL
        ),
        i AS (
            INSERT INTO case_team (case_id, agent_id, org_id)
            SELECT c.id, a, $6
            FROM c, unnest($5::uuid[]) AS a
            ON CONFLICT (case_id, agent_id) DO UPDATE SET absence_id = NULL
            WHERE case_team.absence_id IS NOT NULL
        ),
        e AS (
            INSERT INTO case_events (id, org_id, case_id, actor_id, kind, data)
            SELECT $7, $6, c.id, $8, 'updated', $9
            FROM c
        )
        SELECT updated_at AS "updated_at!", version AS "version!"
        FROM c
        "#,
        id,
        expected_version,
        referent,
        target,
        &team,
        org_id,
        Uuid::now_v7(),
        actor_id,
        serde_json::json!({
            "referent_id": referent,
            "team_ids": team,
            "target_end_on": target,
        })
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(written) = written else {
        return Err(stale_or_missing(conn, Versioned::Case(id)).await);
    };
    // A delegate named in the team (or as referent) is now a member in their own right.
    let delegate_ids = current
        .delegate_ids
        .iter()
        .copied()
        .filter(|d| !team.contains(d))
        .collect();
    Ok(CaseRecord {
        referent_id: referent,
        team_ids: team,
        delegate_ids,
        target_end_on: target,
        updated_at: written.updated_at,
        version: written.version,
        ..current
    })
}

/// A requested lifecycle change.
#[derive(Debug, Clone)]
pub struct Transition<'a> {
    pub request: TransitionRequest<'a>,
    pub orientation: Option<&'a str>,
    pub today: NaiveDate,
}

/// What only a closure uses.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClosureOptions {
    /// Close even though plan items are still pending (the worker confirmed).
    pub force: bool,
    /// The post-closure review date, as `relais_domain::case::closure_review_due` decided it
    /// (the worker's, the organisation's delay, or none for a closure that cannot have one).
    pub review_due_on: Option<NaiveDate>,
}

/// A plan item still pending: planned, in progress or blocked.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PendingItem {
    pub id: Uuid,
    pub title: String,
    pub party: Party,
    pub due_on: NaiveDate,
    pub status: ItemStatus,
}

/// The case's plan items still pending, by due date.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn pending_plan_items(
    conn: &mut PgConnection,
    case_id: Uuid,
) -> Result<Vec<PendingItem>, StoreError> {
    Ok(sqlx::query_as!(
        PendingItem,
        r#"
        SELECT id, title, party AS "party: Code<Party>", due_on,
               status AS "status: Code<ItemStatus>"
        FROM plan_items
        WHERE case_id = $1 AND status IN ('planned', 'in_progress', 'blocked')
        ORDER BY due_on, id
        "#,
        case_id
    )
    .fetch_all(conn)
    .await?)
}

/// What the guards know. Counting the domains needing action locks the case row, so a
/// concurrent assessment or decision cannot change the answer before the transition commits.
async fn facts(conn: &mut PgConnection, case_id: Uuid) -> Result<TransitionFacts, StoreError> {
    let domains_needing_action = crate::assessments::domains_needing_action(conn, case_id).await?;
    let has_accepted_proposal = crate::proposals::has_accepted(conn, case_id).await?;
    Ok(TransitionFacts {
        domains_needing_action,
        has_accepted_proposal,
        pending_items: 0,
    })
}

/// Moves a case through its lifecycle, recording the event in its timeline; a closure takes
/// the default [`ClosureOptions`] (no force, the default review date).
pub async fn transition(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor_id: Uuid,
    id: Uuid,
    expected_version: i32,
    change: &Transition<'_>,
) -> Result<CaseRecord, StoreError> {
    let options = ClosureOptions::default();
    transition_with(
        conn,
        org_id,
        actor_id,
        id,
        expected_version,
        change,
        options,
    )
    .await
}

/// The timeline data of a transition: the closure (with whether it was forced over pending
/// items, and which), the closure a reopening undoes, or the closure fields (null) otherwise.
fn transition_data(
    current: &CaseRecord,
    to: CaseStatus,
    change: &Transition<'_>,
    review_due_on: Option<NaiveDate>,
    forced_over: &[PendingItem],
) -> serde_json::Value {
    let closure_reason = change.request.closure_reason.map(|r| r.code_str());
    match (current.status(), to) {
        (_, CaseStatus::Closed) => serde_json::json!({
            "closure_reason": closure_reason,
            "orientation": change.orientation,
            "review_due_on": review_due_on,
            "forced": !forced_over.is_empty(),
            "pending_items": forced_over,
        }),
        (CaseStatus::Closed, CaseStatus::Assessment | CaseStatus::Active) => serde_json::json!({
            "previous_closure": {
                "closed_on": current.closed_on,
                "closure_reason": current.closure_reason,
                "orientation": current.orientation,
                "review_due_on": current.review_due_on,
            },
        }),
        _ => serde_json::json!({"closure_reason": null, "orientation": null}),
    }
}

/// Moves a case through its lifecycle, recording the event in its timeline. Closing over
/// pending plan items needs `options.force` (otherwise `pending_plan_items`, and
/// [`pending_plan_items`] lists them); the event then records them.
#[tracing::instrument(level = "debug", skip_all, fields(case_id = %id, to = %change.request.to))]
pub async fn transition_with(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor_id: Uuid,
    id: Uuid,
    expected_version: i32,
    change: &Transition<'_>,
    options: ClosureOptions,
) -> Result<CaseRecord, StoreError> {
    let current = get(conn, id, CaseScope::All).await?;
    if current.version != expected_version {
        return Err(StoreError::VersionMismatch);
    }
    let from = current.status();
    let mut facts = facts(conn, id).await?;
    let pending = if change.request.to == CaseStatus::Closed {
        pending_plan_items(conn, id).await?
    } else {
        Vec::new()
    };
    facts.pending_items = pending.len();
    let to = from.transition(&change.request, &facts)?;
    confirm_closure(to, &facts, options.force)?;
    let closing = to == CaseStatus::Closed;
    let closure_reason: Option<ClosureReason> = if closing {
        change.request.closure_reason
    } else {
        None
    };
    let closed_on = closing.then_some(change.today);
    let review_due_on = options.review_due_on.filter(|_| closing);
    let reopening = from == CaseStatus::Closed && to != CaseStatus::Archived;
    let data = transition_data(&current, to, change, review_due_on, &pending);
    // The team stays as read; the closure fields and whether a review was held since the
    // closure are answered by the statement.
    let written = sqlx::query!(
        r#"
        WITH c AS (
            UPDATE cases
            SET status = $3,
                closed_on = CASE WHEN $4 THEN $5 WHEN $6 THEN NULL ELSE closed_on END,
                closure_reason = CASE WHEN $4 THEN $7 WHEN $6 THEN NULL ELSE closure_reason END,
                orientation = CASE WHEN $4 THEN $8 WHEN $6 THEN NULL ELSE orientation END,
                review_due_on = CASE WHEN $4 THEN $9 WHEN $6 THEN NULL ELSE review_due_on END,
                updated_at = now(),
                version = version + 1
            WHERE id = $1 AND version = $2
            RETURNING id, closed_on, closure_reason, orientation, review_due_on, updated_at,
                      version
        ),
        e AS (
            INSERT INTO case_events (id, org_id, case_id, actor_id, kind, from_status,
                                     to_status, reason, data)
            SELECT $10, $11, c.id, $12, 'transition', $13, $3, $14, $15
            FROM c
        )
        SELECT c.closed_on, c.closure_reason AS "closure_reason: Code<ClosureReason>",
               c.orientation, c.review_due_on, c.updated_at AS "updated_at!",
               c.version AS "version!",
               EXISTS (SELECT 1 FROM contacts k WHERE k.case_id = c.id
                       AND k.kind = 'post_closure_review' AND k.occurred_at >= c.closed_on)
                   AS "review_held!"
        FROM c
        "#,
        id,
        expected_version,
        to.code_str(),
        closing,
        closed_on,
        reopening,
        closure_reason.map(|r| r.code_str()),
        change.orientation,
        review_due_on,
        Uuid::now_v7(),
        org_id,
        actor_id,
        from.code_str(),
        change.request.reason,
        data
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(written) = written else {
        return Err(stale_or_missing(conn, Versioned::Case(id)).await);
    };
    let outcome = SupportOutcome::of(to, closure_reason);
    if outcome.status != SupportOutcome::of(from, None).status {
        crate::referrals::tell_outcome(conn, org_id, id, outcome).await?;
    }
    Ok(CaseRecord {
        status: to,
        closed_on: written.closed_on,
        closure_reason: written.closure_reason,
        orientation: written.orientation,
        review_due_on: written.review_due_on,
        updated_at: written.updated_at,
        version: written.version,
        review_held: written.review_held,
        ..current
    })
}

/// One event of a case's timeline.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CaseEvent {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub kind: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub reason: Option<String>,
    pub data: serde_json::Value,
}

/// The case's events, oldest first, paginated.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn timeline(
    conn: &mut PgConnection,
    case_id: Uuid,
    page: PageRequest,
) -> Result<Page<CaseEvent>, StoreError> {
    let rows = sqlx::query_as!(
        CaseEvent,
        r#"
        SELECT id, at, actor_id, kind, from_status, to_status, reason, data
        FROM case_events
        WHERE case_id = $1 AND ($2::uuid IS NULL OR id > $2)
        ORDER BY id
        LIMIT $3
        "#,
        case_id,
        page.after,
        page.fetch_limit()
    )
    .fetch_all(conn)
    .await?;
    Ok(Page::from_rows(rows, page.limit, |e| e.id))
}

/// Helper so call sites read `status.code_str()` without importing the trait.
trait CodeStr {
    fn code_str(self) -> &'static str;
}

impl<T: relais_domain::Coded> CodeStr for T {
    fn code_str(self) -> &'static str {
        self.code()
    }
}

/// A case as a handover sees it: whose it is and whether it is open.
#[derive(Debug, Clone, Copy)]
pub struct HandoverCase {
    pub id: Uuid,
    pub referent_id: Option<Uuid>,
    pub status: CaseStatus,
}

/// The cases a handover from `from` would move, locked until the transaction ends: the cases
/// `ids` when given (whatever their referent and status, for the caller to check), else every
/// open case whose referent is `from`. In id order, the order every writer of cases locks in.
#[tracing::instrument(level = "debug", skip(conn, ids))]
pub async fn lock_for_handover(
    conn: &mut PgConnection,
    from: Uuid,
    ids: Option<&[Uuid]>,
) -> Result<Vec<HandoverCase>, StoreError> {
    let rows = match ids {
        Some(ids) => {
            sqlx::query_as!(
                HandoverCase,
                r#"
                SELECT id, referent_id, status AS "status: Code<CaseStatus>"
                FROM cases
                WHERE id = ANY ($1)
                ORDER BY id
                FOR NO KEY UPDATE
                "#,
                ids
            )
            .fetch_all(conn)
            .await?
        }
        None => {
            sqlx::query_as!(
                HandoverCase,
                r#"
                SELECT id, referent_id, status AS "status: Code<CaseStatus>"
                FROM cases
                WHERE referent_id = $1 AND status NOT IN ('closed', 'archived')
                ORDER BY id
                FOR NO KEY UPDATE
                "#,
                from
            )
            .fetch_all(conn)
            .await?
        }
    };
    Ok(rows)
}

/// A case moved by a handover.
#[derive(Debug, Clone, Copy)]
pub struct Reassigned {
    pub id: Uuid,
    pub person_id: Uuid,
    pub version: i32,
}

/// A handover of cases from one agent to another.
#[derive(Debug, Clone, Copy)]
pub struct Handover<'a> {
    pub from: Uuid,
    pub to: Uuid,
    /// The cases to move (checked and locked by [`lock_for_handover`]).
    pub case_ids: &'a [Uuid],
    /// Whether `from` stays on the teams (to answer questions about the cases they knew).
    pub keep_previous_in_team: bool,
}

/// Moves the cases of a handover to their new referent in one statement: the referent, the
/// version, the new referent on the team (a member in their own right, even if an absence
/// had put them there), the previous one off it unless kept, and a `reassigned` event each.
#[tracing::instrument(level = "debug", skip_all, fields(cases = handover.case_ids.len()))]
pub async fn reassign(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor_id: Uuid,
    handover: &Handover<'_>,
) -> Result<Vec<Reassigned>, StoreError> {
    let event_ids: Vec<Uuid> = handover.case_ids.iter().map(|_| Uuid::now_v7()).collect();
    let moved = sqlx::query_as!(
        Reassigned,
        r#"
        WITH moved AS (
            UPDATE cases c
            SET referent_id = $2, updated_at = now(), version = c.version + 1
            FROM unnest($4::uuid[], $5::uuid[]) AS m(id, event_id)
            WHERE c.id = m.id
            RETURNING c.id, c.person_id, c.version, m.event_id
        ),
        joined AS (
            INSERT INTO case_team (case_id, agent_id, org_id)
            SELECT id, $2, $6 FROM moved
            ON CONFLICT (case_id, agent_id) DO UPDATE SET absence_id = NULL
            WHERE case_team.absence_id IS NOT NULL
        ),
        dropped AS (
            DELETE FROM case_team t
            USING moved m
            WHERE NOT $3 AND t.case_id = m.id AND t.agent_id = $1
        ),
        events AS (
            INSERT INTO case_events (id, org_id, case_id, actor_id, kind, data)
            SELECT event_id, $6, id, $7, 'reassigned',
                   jsonb_build_object('previous_referent_id', $1::uuid, 'referent_id', $2::uuid,
                                      'previous_kept_in_team', $3::boolean)
            FROM moved
        )
        SELECT id AS "id!", person_id AS "person_id!", version AS "version!"
        FROM moved
        ORDER BY id
        "#,
        handover.from,
        handover.to,
        handover.keep_previous_in_team,
        handover.case_ids,
        &event_ids,
        org_id,
        actor_id
    )
    .fetch_all(conn)
    .await?;
    Ok(moved)
}

/// A case as reception sees it after opening it: no content, only where it stands.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OpenedCase {
    pub id: Uuid,
    pub person_id: Uuid,
    pub status: CaseStatus,
    pub origin: CaseOrigin,
    pub referent_id: Option<Uuid>,
    pub opened_on: NaiveDate,
    pub created_at: DateTime<Utc>,
}

/// The cases `agent_id` recorded on `day` (UTC; whatever their opening date, a case entered as
/// it stands included), newest first, by the index of their creator and time.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn opened_by(
    conn: &mut PgConnection,
    agent_id: Uuid,
    day: NaiveDate,
    page: PageRequest,
) -> Result<Page<OpenedCase>, StoreError> {
    let rows = sqlx::query_as!(
        OpenedCase,
        r#"
        SELECT id, person_id, status AS "status: Code<CaseStatus>",
               origin AS "origin: Code<CaseOrigin>", referent_id, opened_on, created_at
        FROM cases
        WHERE created_by = $1
          AND created_at >= ($2::date)::timestamp AT TIME ZONE 'UTC'
          AND created_at < ($2::date + 1)::timestamp AT TIME ZONE 'UTC'
          AND id < $3
        ORDER BY id DESC
        LIMIT $4
        "#,
        agent_id,
        day,
        page.after.unwrap_or(Uuid::max()),
        page.fetch_limit()
    )
    .fetch_all(conn)
    .await?;
    Ok(Page::from_rows(rows, page.limit, |c| c.id))
}
