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

/// The referent of the counts of cases without one in `caseload_counts`.
const NO_REFERENT: Uuid = Uuid::nil();

/// The caseload per referent and in total, on `today`, in one query that reads the counts the
/// database keeps as cases and steps are written (`caseload_counts`, migration 25: a row per
/// referent, measure and day, the figures as of today being the sum of the rows before it), less
/// the cases of persons with an active restriction or objection, counted live (few persons, by
/// index): those persons are left out of statistics.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn caseload(
    conn: &mut PgConnection,
    today: NaiveDate,
    referent: Option<Uuid>,
) -> Result<Caseload, StoreError> {
    // The statuses are CaseStatus and ItemStatus::PENDING, as in the triggers of migration 25.
    let rows = sqlx::query!(
        r#"WITH withheld_cases AS (
             SELECT c.id, coalesce(c.referent_id, $2) AS referent_id, c.status, c.open_target_on
               FROM cases c
              WHERE c.person_id IN (SELECT r.person_id FROM person_restrictions r
                                     WHERE r.lifted_at IS NULL)
           ), withheld AS (
             SELECT referent_id, status AS measure, count(*) AS n
               FROM withheld_cases GROUP BY 1, 2
             UNION ALL
             SELECT referent_id, 'open_target', count(*)
               FROM withheld_cases WHERE open_target_on < $1 GROUP BY 1
             UNION ALL
             SELECT w.referent_id, 'pending_due', count(*)
               FROM withheld_cases w JOIN plan_items p ON p.case_id = w.id
              WHERE w.status NOT IN ('closed', 'archived')
                AND p.status IN ('planned', 'in_progress', 'blocked') AND p.due_on < $1
              GROUP BY 1
           ), figures AS (
             SELECT referent_id, measure, sum(n)::bigint AS n
               FROM (SELECT referent_id, measure, n FROM caseload_counts WHERE day < $1
                     UNION ALL
                     SELECT referent_id, measure, -n FROM withheld) AS x
              GROUP BY 1, 2
           )
           SELECT f.referent_id AS "referent_id!", a.display_name AS "display_name?",
                  a.subject AS "subject?", f.measure AS "measure!", f.n AS "n!"
             FROM figures f
             LEFT JOIN agents a ON a.id = f.referent_id
            ORDER BY a.display_name NULLS LAST, a.subject, f.referent_id"#,
        today,
        NO_REFERENT
    )
    .fetch_all(conn)
    .await?;
    let mut caseload = Caseload {
        agents: Vec::new(),
        totals: CaseloadFigures::default(),
    };
    // The rows come by referent, in the order of the list.
    let mut current: Option<AgentCaseload> = None;
    for r in rows {
        caseload.totals.add(&r.measure, r.n);
        if r.referent_id == NO_REFERENT {
            continue;
        }
        if current
            .as_ref()
            .is_some_and(|a| a.agent_id != r.referent_id)
        {
            caseload.agents.extend(current.take());
        }
        current
            .get_or_insert_with(|| AgentCaseload {
                agent_id: r.referent_id,
                display_name: r.display_name,
                subject: r.subject.unwrap_or_default(),
                figures: CaseloadFigures::default(),
            })
            .figures
            .add(&r.measure, r.n);
    }
    caseload.agents.extend(current);
    // An agent whose every case is left out is no one's referent for the statistics.
    caseload
        .agents
        .retain(|a| a.figures.cases() > 0 && referent.is_none_or(|only| only == a.agent_id));
    Ok(caseload)
}

/// Folds the caseload counts of the days before `before` of every organisation into one row
/// per referent and measure (`relais_caseload_compact`, migration 27), so that the statistics
/// sum a row per referent and measure whatever the number of past days; returns how many rows
/// were folded. `before` must be no later than any reader's today. Runs as the background role.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn compact_caseload_counts(
    conn: &mut PgConnection,
    before: NaiveDate,
) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar!(r#"SELECT relais_caseload_compact($1) AS "folded!""#, before)
            .fetch_one(conn)
            .await?,
    )
}

impl CaseloadFigures {
    /// Adds `n` to the figure a row of the counts names.
    fn add(&mut self, measure: &str, n: i64) {
        let figure = match measure {
            "intake" => &mut self.intake,
            "assessment" => &mut self.assessment,
            "planning" => &mut self.planning,
            "active" => &mut self.active,
            "closed" => &mut self.closed,
            "archived" => &mut self.archived,
            "open_target" => &mut self.cases_past_target,
            "pending_due" => &mut self.overdue_items,
            _ => return,
        };
        *figure += n;
        if matches!(measure, "intake" | "assessment" | "planning" | "active") {
            self.open_cases += n;
        }
    }

    /// Every case counted, whatever its status.
    fn cases(&self) -> i64 {
        self.open_cases + self.closed + self.archived
    }
}
