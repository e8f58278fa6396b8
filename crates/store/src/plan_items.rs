//! The help plan's items (démarches) of a case: added, changed with a version, removed, listed
//! in due-date order. Every change writes its event in the case timeline in the same statement
//! (`plan_item_added`, `plan_item_updated`, `plan_item_removed`).
//!
//! Callers check that the case is visible and open; the rules on statuses, done dates and
//! categories live in `relais_domain::plan` and are applied before these functions are called
//! (the table's CHECK constraints repeat the category and done-date rules as a last guard).

use chrono::{DateTime, NaiveDate, Utc};
use relais_domain::{Domain, ItemCategory, ItemFacts, ItemStatus, Party};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::StoreError;
use crate::code::Code;
use crate::error::single;
use crate::page::Page;
use crate::version::{Versioned, stale_or_missing};

/// A plan item as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanItemRecord {
    pub id: Uuid,
    pub case_id: Uuid,
    pub party: Party,
    pub category: ItemCategory,
    pub domain: Domain,
    pub title: String,
    pub details: Option<String>,
    pub scheme_id: Option<Uuid>,
    pub application_id: Option<Uuid>,
    pub due_on: NaiveDate,
    pub status: ItemStatus,
    pub done_on: Option<NaiveDate>,
    pub outcome: Option<String>,
    pub created_at: DateTime<Utc>,
    pub created_by: Uuid,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Uuid,
    pub version: i32,
}

impl PlanItemRecord {
    /// What the indicators need of this item.
    pub fn facts(&self) -> ItemFacts {
        ItemFacts {
            party: self.party,
            status: self.status,
            due_on: self.due_on,
        }
    }

    /// Whether the item is overdue on `today` (DOMAIN.md: due date passed, still pending).
    pub fn is_overdue(&self, today: Option<NaiveDate>) -> bool {
        today.is_some_and(|day| relais_domain::is_overdue(self.due_on, self.status, day))
    }
}

/// What a new item needs; it starts `planned`, at version 1.
#[derive(Debug, Clone)]
pub struct NewPlanItem<'a> {
    pub party: Party,
    pub category: ItemCategory,
    pub domain: Domain,
    pub title: &'a str,
    pub details: Option<&'a str>,
    pub scheme_id: Option<Uuid>,
    pub application_id: Option<Uuid>,
    pub due_on: NaiveDate,
}

/// Adds an item to a case's plan, with its `plan_item_added` timeline event.
#[tracing::instrument(level = "debug", skip_all, fields(case_id = %case_id))]
pub async fn create(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor_id: Uuid,
    case_id: Uuid,
    new: &NewPlanItem<'_>,
) -> Result<PlanItemRecord, StoreError> {
    let id = Uuid::now_v7();
    // One statement writes the item and its timeline event, and answers the item as written.
    sqlx::query_as!(
        PlanItemRecord,
        r#"
        WITH i AS (
            INSERT INTO plan_items (id, org_id, case_id, party, category, domain, title, details,
                                    scheme_id, application_id, due_on, created_by, updated_by)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
            RETURNING id, case_id, party, category, domain, title, details, scheme_id,
                      application_id, due_on, status, done_on, outcome, created_at, created_by,
                      updated_at, updated_by, version
        ), e AS (
            INSERT INTO case_events (id, org_id, case_id, actor_id, kind, data)
            SELECT $13, $2, i.case_id, $12, 'plan_item_added', $14
            FROM i
        )
        SELECT id AS "id!", case_id AS "case_id!", party AS "party!: Code<Party>",
               category AS "category!: Code<ItemCategory>", domain AS "domain!: Code<Domain>",
               title AS "title!", details, scheme_id, application_id, due_on AS "due_on!",
               status AS "status!: Code<ItemStatus>", done_on, outcome,
               created_at AS "created_at!", created_by AS "created_by!",
               updated_at AS "updated_at!", updated_by AS "updated_by!", version AS "version!"
        FROM i
        "#,
        id,
        org_id,
        case_id,
        new.party.code(),
        new.category.code(),
        new.domain.code(),
        new.title,
        new.details,
        new.scheme_id,
        new.application_id,
        new.due_on,
        actor_id,
        Uuid::now_v7(),
        serde_json::json!({
            "item_id": id,
            "title": new.title,
            "party": new.party.code(),
            "category": new.category.code(),
            "due_on": new.due_on,
        })
    )
    .fetch_one(conn)
    .await
    .map_err(StoreError::from)
}

/// One item of a case's plan.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn get(
    conn: &mut PgConnection,
    case_id: Uuid,
    id: Uuid,
) -> Result<PlanItemRecord, StoreError> {
    let filter = ItemFilter::default();
    single(read(conn, case_id, Some(id), &filter, None, Some(1)).await?)
}

/// Filters of a case's item list.
#[derive(Debug, Clone, Default)]
pub struct ItemFilter {
    pub party: Option<Party>,
    /// When empty, every status.
    pub statuses: Vec<ItemStatus>,
    /// Only the items overdue on this day.
    pub overdue_on: Option<NaiveDate>,
}

/// Where a page of items starts: strictly after this item in (due date, id) order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemCursor {
    pub due_on: NaiveDate,
    pub id: Uuid,
}

/// A page of a case's items in due-date order (then id): at most `limit` items after
/// `after`. The page's `next_after` is the last item's id; its cursor is that item's
/// [`ItemCursor`] (due date and id), which stays correct however the items are dated.
#[tracing::instrument(level = "debug", skip(conn, filter))]
pub async fn list(
    conn: &mut PgConnection,
    case_id: Uuid,
    filter: &ItemFilter,
    after: Option<ItemCursor>,
    limit: u32,
) -> Result<Page<PlanItemRecord>, StoreError> {
    let rows = read(
        conn,
        case_id,
        None,
        filter,
        after,
        Some(i64::from(limit) + 1),
    )
    .await?;
    Ok(Page::from_rows(rows, limit, |r| r.id))
}

/// The one read of items: a case's, in due-date order (then id), filtered, at most `limit` of
/// them (all of them without), or only the item `id`.
async fn read(
    conn: &mut PgConnection,
    case_id: Uuid,
    id: Option<Uuid>,
    filter: &ItemFilter,
    after: Option<ItemCursor>,
    limit: Option<i64>,
) -> Result<Vec<PlanItemRecord>, StoreError> {
    let statuses: Vec<&str> = filter.statuses.iter().map(|s| s.code()).collect();
    let pending: Vec<&str> = ItemStatus::PENDING.iter().map(|s| s.code()).collect();
    Ok(sqlx::query_as!(
        PlanItemRecord,
        r#"
        SELECT id, case_id, party AS "party: Code<Party>",
               category AS "category: Code<ItemCategory>", domain AS "domain: Code<Domain>", title,
               details, scheme_id, application_id, due_on, status AS "status: Code<ItemStatus>",
               done_on, outcome, created_at, created_by, updated_at, updated_by, version
        FROM plan_items
        WHERE case_id = $1
          AND ($9::uuid IS NULL OR id = $9)
          AND ($2::text IS NULL OR party = $2)
          AND (cardinality($3::text[]) = 0 OR status = ANY($3))
          AND ($4::date IS NULL OR (due_on < $4 AND status = ANY($5)))
          AND ($6::date IS NULL OR (due_on, id) > ($6, $7::uuid))
        ORDER BY due_on, id
        LIMIT $8
        "#,
        case_id,
        filter.party.map(Party::code),
        &statuses as &[&str],
        filter.overdue_on,
        &pending as &[&str],
        after.map(|c| c.due_on),
        after.map(|c| c.id),
        limit,
        id
    )
    .fetch_all(conn)
    .await?)
}

/// The cursor of the page after `page`, if another page exists.
pub fn next_cursor(page: &Page<PlanItemRecord>) -> Option<ItemCursor> {
    page.next_after?;
    page.items.last().map(|r| ItemCursor {
        due_on: r.due_on,
        id: r.id,
    })
}

/// Every item of a case's plan, in due-date order: one query whatever their number (the plan
/// view, proposals and documents read the plan whole).
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn all_for_case(
    conn: &mut PgConnection,
    case_id: Uuid,
) -> Result<Vec<PlanItemRecord>, StoreError> {
    read(conn, case_id, None, &ItemFilter::default(), None, None).await
}

/// The whole new state of an item after a `PATCH`, merged and checked by the caller, and the
/// names of the fields that changed (recorded in the timeline event).
#[derive(Debug, Clone)]
pub struct ItemUpdate<'a> {
    pub category: ItemCategory,
    pub domain: Domain,
    pub title: &'a str,
    pub details: Option<&'a str>,
    pub scheme_id: Option<Uuid>,
    pub application_id: Option<Uuid>,
    pub due_on: NaiveDate,
    pub status: ItemStatus,
    pub done_on: Option<NaiveDate>,
    pub outcome: Option<&'a str>,
    pub changed: &'a [&'static str],
}

/// Writes an item's new state when its stored version is `expected_version`, with its
/// `plan_item_updated` timeline event.
///
/// # Errors
/// [`StoreError::VersionMismatch`] when the item changed meanwhile, [`StoreError::NotFound`]
/// when it is gone.
#[tracing::instrument(level = "debug", skip_all, fields(case_id = %case_id, item_id = %id))]
pub async fn update(
    conn: &mut PgConnection,
    actor_id: Uuid,
    case_id: Uuid,
    id: Uuid,
    expected_version: i32,
    change: &ItemUpdate<'_>,
) -> Result<PlanItemRecord, StoreError> {
    // One statement writes the item and its timeline event, and answers the item as written.
    let written = sqlx::query_as!(
        PlanItemRecord,
        r#"
        WITH u AS (
            UPDATE plan_items
            SET category = $4, domain = $5, title = $6, details = $7, scheme_id = $8,
                application_id = $9, due_on = $10, status = $11, done_on = $12, outcome = $13,
                updated_at = now(), updated_by = $14, version = version + 1
            WHERE id = $1 AND case_id = $2 AND version = $3
            RETURNING *
        ),
        e AS (
            INSERT INTO case_events (id, org_id, case_id, actor_id, kind, data)
            SELECT $15, u.org_id, u.case_id, $14, 'plan_item_updated', $16
            FROM u
        )
        SELECT id AS "id!", case_id AS "case_id!", party AS "party!: Code<Party>",
               category AS "category!: Code<ItemCategory>", domain AS "domain!: Code<Domain>",
               title AS "title!", details, scheme_id, application_id, due_on AS "due_on!",
               status AS "status!: Code<ItemStatus>", done_on, outcome,
               created_at AS "created_at!", created_by AS "created_by!",
               updated_at AS "updated_at!", updated_by AS "updated_by!", version AS "version!"
        FROM u
        "#,
        id,
        case_id,
        expected_version,
        change.category.code(),
        change.domain.code(),
        change.title,
        change.details,
        change.scheme_id,
        change.application_id,
        change.due_on,
        change.status.code(),
        change.done_on,
        change.outcome,
        actor_id,
        Uuid::now_v7(),
        serde_json::json!({
            "item_id": id,
            "title": change.title,
            "changed": change.changed,
            "status": change.status.code(),
        })
    )
    .fetch_optional(&mut *conn)
    .await?;
    match written {
        Some(item) => Ok(item),
        None => Err(stale_or_missing(conn, Versioned::PlanItem { case_id, id }).await),
    }
}

/// Removes an item at `expected_version`, with its `plan_item_removed` timeline event.
///
/// # Errors
/// [`StoreError::VersionMismatch`] when the item changed meanwhile, [`StoreError::NotFound`]
/// when it is gone.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn delete(
    conn: &mut PgConnection,
    actor_id: Uuid,
    case_id: Uuid,
    id: Uuid,
    expected_version: i32,
) -> Result<(), StoreError> {
    let deleted = sqlx::query!(
        r#"
        WITH d AS (
            DELETE FROM plan_items
            WHERE id = $1 AND case_id = $2 AND version = $3
            RETURNING id, org_id, case_id, title
        )
        INSERT INTO case_events (id, org_id, case_id, actor_id, kind, data)
        SELECT $4, d.org_id, d.case_id, $5, 'plan_item_removed',
               jsonb_build_object('item_id', d.id, 'title', d.title)
        FROM d
        "#,
        id,
        case_id,
        expected_version,
        Uuid::now_v7(),
        actor_id
    )
    .execute(&mut *conn)
    .await?;
    if deleted.rows_affected() == 0 {
        return Err(stale_or_missing(conn, Versioned::PlanItem { case_id, id }).await);
    }
    Ok(())
}
