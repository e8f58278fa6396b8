//! The monthly budget of a person's household: resource and charge lines, in cents, and the
//! household's debts.
//!
//! A budget is replaced whole ([`replace`]) under its own version, which starts at 0 (none
//! recorded: [`get`] answers `None`) and grows with each replacement: lines and debts are
//! replaced together under it. The derived figures are
//! not stored: the domain computes them on each read (`relais_domain::budget::derive`).

use chrono::{DateTime, Utc};
use relais_domain::{Budget, BudgetLine, ChargeKind, Debt, DebtKind, ResourceKind};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::StoreError;
use crate::code::decode;

/// A person's recorded budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetRecord {
    pub person_id: Uuid,
    /// The lines of each side and the debts, in the order the worker gave them.
    pub budget: Budget,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Option<Uuid>,
    /// 1 after the first replacement.
    pub version: i32,
}

const RESOURCE: &str = "resource";
const CHARGE: &str = "charge";

/// A line as read: its kind's code list depends on its side.
struct LineRow {
    side: String,
    kind: String,
    amount_cents: i64,
    label: Option<String>,
}

/// A debt as read.
struct DebtRow {
    kind: String,
    creditor: Option<String>,
    amount_owed_cents: i64,
    monthly_repayment_cents: i64,
}

/// The recorded budget of a person the caller may see (check with
/// [`crate::persons::sight`] first); `None` when none was recorded yet.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn get(
    conn: &mut PgConnection,
    person_id: Uuid,
) -> Result<Option<BudgetRecord>, StoreError> {
    let head = sqlx::query!(
        "SELECT version, updated_at, updated_by FROM budgets WHERE person_id = $1",
        person_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(head) = head else {
        return Ok(None);
    };
    let rows = sqlx::query_as!(
        LineRow,
        r#"
        SELECT side, kind, amount_cents, label
        FROM budget_lines
        WHERE person_id = $1
        ORDER BY side, position
        "#,
        person_id
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut budget = Budget {
        debts: debts_of(conn, person_id).await?,
        ..Budget::default()
    };
    for row in rows {
        match row.side.as_str() {
            RESOURCE => budget.resources.push(BudgetLine {
                kind: decode::<ResourceKind>(&row.kind)?,
                amount_cents: row.amount_cents,
                label: row.label,
            }),
            _ => budget.charges.push(BudgetLine {
                kind: decode::<ChargeKind>(&row.kind)?,
                amount_cents: row.amount_cents,
                label: row.label,
            }),
        }
    }
    Ok(Some(BudgetRecord {
        person_id,
        budget,
        updated_at: head.updated_at,
        updated_by: head.updated_by,
        version: head.version,
    }))
}

/// The columns of the lines to insert, resources then charges.
#[derive(Default)]
struct Columns {
    sides: Vec<&'static str>,
    positions: Vec<i16>,
    kinds: Vec<&'static str>,
    amounts: Vec<i64>,
    labels: Vec<Option<String>>,
}

impl Columns {
    fn push<K: Copy>(
        &mut self,
        side: &'static str,
        lines: &[BudgetLine<K>],
        code: impl Fn(K) -> &'static str,
    ) {
        for (position, line) in lines.iter().enumerate() {
            self.sides.push(side);
            self.positions
                .push(i16::try_from(position).unwrap_or(i16::MAX));
            self.kinds.push(code(line.kind));
            self.amounts.push(line.amount_cents);
            self.labels.push(line.label.clone());
        }
    }
}

/// The recorded debts of `person_id`, in the order the worker gave them.
async fn debts_of(conn: &mut PgConnection, person_id: Uuid) -> Result<Vec<Debt>, StoreError> {
    let rows = sqlx::query_as!(
        DebtRow,
        r#"
        SELECT kind, creditor, amount_owed_cents, monthly_repayment_cents
        FROM budget_debts
        WHERE person_id = $1
        ORDER BY position
        "#,
        person_id
    )
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(Debt {
                kind: decode::<DebtKind>(&row.kind)?,
                creditor: row.creditor,
                amount_owed_cents: row.amount_owed_cents,
                monthly_repayment_cents: row.monthly_repayment_cents,
            })
        })
        .collect()
}

/// The columns of the debts to insert.
#[derive(Default)]
struct DebtColumns {
    positions: Vec<i16>,
    kinds: Vec<&'static str>,
    creditors: Vec<Option<String>>,
    owed: Vec<i64>,
    repayments: Vec<i64>,
}

impl DebtColumns {
    fn of(debts: &[Debt]) -> Self {
        let mut columns = Self::default();
        for (position, debt) in debts.iter().enumerate() {
            columns
                .positions
                .push(i16::try_from(position).unwrap_or(i16::MAX));
            columns.kinds.push(debt.kind.code());
            columns.creditors.push(debt.creditor.clone());
            columns.owed.push(debt.amount_owed_cents);
            columns.repayments.push(debt.monthly_repayment_cents);
        }
        columns
    }
}

/// Replaces the whole budget of `person_id` when its version is `expected_version` (0: none
/// recorded yet; `None`: whatever it is), in a fixed number of statements.
///
/// The budget must have passed [`relais_domain::budget::check`].
///
/// # Errors
/// `VersionMismatch` when the version moved on (or a concurrent first replacement won).
#[tracing::instrument(level = "debug", skip_all, fields(
    person_id = %person_id,
    resources = budget.resources.len(),
    charges = budget.charges.len(),
    debts = budget.debts.len(),
))]
pub async fn replace(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor_id: Uuid,
    person_id: Uuid,
    expected_version: Option<i32>,
    budget: &Budget,
    debts: DebtsWritten,
) -> Result<BudgetRecord, StoreError> {
    // One statement checks the version and bumps it (the first replacement inserts the row).
    let written = sqlx::query!(
        r#"
        INSERT INTO budgets AS b (person_id, org_id, version, updated_at, updated_by)
        SELECT $1, $2, 1, now(), $3
        WHERE coalesce($4, 0) = 0 OR EXISTS (SELECT 1 FROM budgets WHERE person_id = $1)
        ON CONFLICT (person_id) DO UPDATE
        SET version = b.version + 1, updated_at = now(), updated_by = EXCLUDED.updated_by
        WHERE b.version = coalesce($4, b.version)
        RETURNING version, updated_at
        "#,
        person_id,
        org_id,
        actor_id,
        expected_version
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::VersionMismatch)?;

    let mut columns = Columns::default();
    columns.push(RESOURCE, &budget.resources, ResourceKind::code);
    columns.push(CHARGE, &budget.charges, ChargeKind::code);
    sqlx::query!("DELETE FROM budget_lines WHERE person_id = $1", person_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query!(
        r#"
        INSERT INTO budget_lines (person_id, org_id, side, position, kind, amount_cents, label)
        SELECT $1, $2, l.side, l.position, l.kind, l.amount_cents, l.label
        FROM unnest($3::text[], $4::smallint[], $5::text[], $6::bigint[], $7::text[])
             AS l(side, position, kind, amount_cents, label)
        "#,
        person_id,
        org_id,
        &columns.sides as &[&str],
        &columns.positions,
        &columns.kinds as &[&str],
        &columns.amounts,
        &columns.labels as &[Option<String>]
    )
    .execute(&mut *conn)
    .await?;
    let mut written_budget = budget.clone();
    match debts {
        DebtsWritten::Replaced => replace_debts(conn, org_id, person_id, &budget.debts).await?,
        DebtsWritten::Kept => written_budget.debts = debts_of(conn, person_id).await?,
    }
    Ok(BudgetRecord {
        person_id,
        budget: written_budget,
        updated_at: written.updated_at,
        updated_by: Some(actor_id),
        version: written.version,
    })
}

/// Whether a replacement of the budget writes its debts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DebtsWritten {
    /// The debts given replace the recorded ones (none given: none left).
    Replaced,
    /// The recorded debts stay as they are (a client that does not send them, e.g. one written
    /// before budgets had debts, does not erase them).
    Kept,
}

/// Replaces the debts of `person_id` with `debts`, in two statements.
async fn replace_debts(
    conn: &mut PgConnection,
    org_id: Uuid,
    person_id: Uuid,
    debts: &[Debt],
) -> Result<(), StoreError> {
    let debts = DebtColumns::of(debts);
    sqlx::query!("DELETE FROM budget_debts WHERE person_id = $1", person_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query!(
        r#"
        INSERT INTO budget_debts (person_id, org_id, position, kind, creditor, amount_owed_cents,
                                  monthly_repayment_cents)
        SELECT $1, $2, d.position, d.kind, d.creditor, d.amount_owed_cents,
               d.monthly_repayment_cents
        FROM unnest($3::smallint[], $4::text[], $5::text[], $6::bigint[], $7::bigint[])
             AS d(position, kind, creditor, amount_owed_cents, monthly_repayment_cents)
        "#,
        person_id,
        org_id,
        &debts.positions,
        &debts.kinds as &[&str],
        &debts.creditors as &[Option<String>],
        &debts.owed,
        &debts.repayments
    )
    .execute(conn)
    .await?;
    Ok(())
}
