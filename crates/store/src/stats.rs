//! Statistics: aggregates over the organisation's cases and plans, never a person's data.

use chrono::NaiveDate;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::StoreError;

/// A caseload: cases by status, and what needs attention.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaseloadFigures {
    pub intake: i64,
    pub assessment: i64,
    pub planning: i64,
    pub active: i64,
    pub closed: i64,
    pub archived: i64,
    /// Cases not closed or archived.
    pub open_cases: i64,
    /// Pending items (planned, in progress, blocked) due before today, on open cases.
    pub overdue_items: i64,
    /// Open cases whose target end date has passed.
    pub cases_past_target: i64,
}

/// One referent's caseload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentCaseload {
    pub agent_id: Uuid,
    pub display_name: Option<String>,
    pub subject: String,
    pub figures: CaseloadFigures,
}

/// The caseload of each referent, and of the whole organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caseload {
    /// Every agent who is the referent of at least one case (only `referent` when given), by
    /// name.
    pub agents: Vec<AgentCaseload>,
    /// Every case of the organisation, with a referent or not, whatever `referent`.
    pub totals: CaseloadFigures,
}

/// The caseload per referent and in total, on `today`, in one query: the overdue items are
/// counted per case first, then cases are grouped by referent and as a whole (grouping sets).
/// The cases of a person with an active restriction or objection are left out.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn caseload(
    conn: &mut PgConnection,
    today: NaiveDate,
    referent: Option<Uuid>,
) -> Result<Caseload, StoreError> {
    // The item statuses are ItemStatus::PENDING, written out so the planner can use the partial
    // index of pending items by due date.
    let rows = sqlx::query!(
        r#"WITH overdue AS (
             SELECT case_id, count(*) AS n FROM plan_items
              WHERE status IN ('planned', 'in_progress', 'blocked') AND due_on < $1
              GROUP BY case_id
           )
           SELECT c.referent_id AS "referent_id?", a.display_name AS "display_name?",
                  a.subject AS "subject?",
                  GROUPING(c.referent_id) = 1 AS "is_total!",
                  count(*) FILTER (WHERE c.status = 'intake') AS "intake!",
                  count(*) FILTER (WHERE c.status = 'assessment') AS "assessment!",
                  count(*) FILTER (WHERE c.status = 'planning') AS "planning!",
                  count(*) FILTER (WHERE c.status = 'active') AS "active!",
                  count(*) FILTER (WHERE c.status = 'closed') AS "closed!",
                  count(*) FILTER (WHERE c.status = 'archived') AS "archived!",
                  count(*) FILTER (WHERE c.status NOT IN ('closed', 'archived')) AS "open_cases!",
                  coalesce(sum(o.n) FILTER (WHERE c.status NOT IN ('closed', 'archived')), 0)
                      ::bigint AS "overdue_items!",
                  count(*) FILTER (WHERE c.status NOT IN ('closed', 'archived')
                                     AND c.target_end_on < $1) AS "cases_past_target!"
             FROM cases c
             LEFT JOIN overdue o ON o.case_id = c.id
             LEFT JOIN agents a ON a.id = c.referent_id
            -- A person who restricted or objected to the processing is left out of statistics.
            WHERE NOT EXISTS (SELECT 1 FROM person_restrictions r
                               WHERE r.person_id = c.person_id AND r.lifted_at IS NULL)
            GROUP BY GROUPING SETS ((c.referent_id, a.display_name, a.subject), ())
           HAVING GROUPING(c.referent_id) = 1
               OR (c.referent_id IS NOT NULL AND ($2::uuid IS NULL OR c.referent_id = $2))
            ORDER BY GROUPING(c.referent_id), a.display_name NULLS LAST, a.subject, c.referent_id"#,
        today,
        referent
    )
    .fetch_all(conn)
    .await?;
    let mut caseload = Caseload {
        agents: Vec::new(),
        totals: CaseloadFigures::default(),
    };
    for r in rows {
        let figures = CaseloadFigures {
            intake: r.intake,
            assessment: r.assessment,
            planning: r.planning,
            active: r.active,
            closed: r.closed,
            archived: r.archived,
            open_cases: r.open_cases,
            overdue_items: r.overdue_items,
            cases_past_target: r.cases_past_target,
        };
        match (r.is_total, r.referent_id) {
            (true, _) => caseload.totals = figures,
            (false, Some(agent_id)) => caseload.agents.push(AgentCaseload {
                agent_id,
                display_name: r.display_name,
                subject: r.subject.unwrap_or_default(),
                figures,
            }),
            (false, None) => {}
        }
    }
    Ok(caseload)
}
