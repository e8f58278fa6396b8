//! The agenda: an agent's deadlines, and the secret token of their calendar feed.
//!
//! An agent's agenda is the pending plan items (planned, in progress or blocked) of the open
//! cases whose team they are on — the worker's interventions, the person's préconisations and
//! partners' steps — due in a date range, plus every such item already overdue whatever the
//! range. One query reads a page of it with the persons' names, together with the planned
//! contacts (interviews, calls, visits…) of those cases scheduled in the range.
//!
//! The feed token is never stored: it is derived from a random salt with a key held outside the
//! database ([`NirVault::derive_secret`]); the table keeps the salt and the token's SHA-256,
//! which finds the token's owner before any organisation is known (see the migration
//! `20261122000005_agenda.sql` for the read-only lookup policy).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, Utc};
use rand::RngCore;
use relais_domain::{ContactKind, ItemStatus, Party};
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::code::{Code, corrupt};
use crate::crypto::NirVault;
use crate::page::Page;
use crate::plan_items::ItemCursor;
use crate::{Db, StoreError};

/// One deadline of the agenda.
#[derive(Debug, Clone)]
pub struct AgendaEntry {
    pub item_id: Uuid,
    pub case_id: Uuid,
    pub person_id: Uuid,
    pub first_name: String,
    pub last_name: String,
    pub party: Party,
    pub title: String,
    pub due_on: NaiveDate,
    pub status: ItemStatus,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// Which deadlines: those due from `from` to `to` (both included), and those overdue on
/// `today` whatever the range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgendaRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub today: NaiveDate,
}

/// A planned contact of the agenda.
#[derive(Debug, Clone)]
pub struct AgendaContact {
    pub contact_id: Uuid,
    pub case_id: Uuid,
    pub person_id: Uuid,
    pub first_name: String,
    pub last_name: String,
    pub kind: ContactKind,
    pub scheduled_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// One entry of the agenda: a deadline or a planned contact.
#[derive(Debug, Clone)]
pub enum AgendaEvent {
    Deadline(AgendaEntry),
    Contact(AgendaContact),
}

impl AgendaEvent {
    /// The person the entry is about.
    pub fn person_id(&self) -> Uuid {
        match self {
            AgendaEvent::Deadline(e) => e.person_id,
            AgendaEvent::Contact(c) => c.person_id,
        }
    }

    /// The entry's place in the agenda's order: its day (UTC for contacts), then its id.
    pub fn cursor(&self) -> ItemCursor {
        match self {
            AgendaEvent::Deadline(e) => ItemCursor {
                due_on: e.due_on,
                id: e.item_id,
            },
            AgendaEvent::Contact(c) => ItemCursor {
                due_on: c.scheduled_at.date_naive(),
                id: c.contact_id,
            },
        }
    }
}

/// One row of the agenda's UNION: the columns of the other branch are NULL.
struct EventRow {
    entry_type: String,
    id: Uuid,
    case_id: Uuid,
    person_id: Uuid,
    first_name: String,
    last_name: String,
    party: Option<Code<Party>>,
    title: Option<String>,
    due_on: NaiveDate,
    status: Option<Code<ItemStatus>>,
    contact_kind: Option<Code<ContactKind>>,
    scheduled_at: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
    version: i32,
}

fn missing(column: &str) -> StoreError {
    corrupt(format!("agenda row without {column}"))
}

impl TryFrom<EventRow> for AgendaEvent {
    type Error = StoreError;

    fn try_from(r: EventRow) -> Result<Self, StoreError> {
        if r.entry_type == "contact" {
            return Ok(AgendaEvent::Contact(AgendaContact {
                contact_id: r.id,
                case_id: r.case_id,
                person_id: r.person_id,
                first_name: r.first_name,
                last_name: r.last_name,
                kind: r.contact_kind.ok_or_else(|| missing("kind"))?.into_inner(),
                scheduled_at: r.scheduled_at.ok_or_else(|| missing("scheduled_at"))?,
                updated_at: r.updated_at,
                version: r.version,
            }));
        }
        Ok(AgendaEvent::Deadline(AgendaEntry {
            item_id: r.id,
            case_id: r.case_id,
            person_id: r.person_id,
            first_name: r.first_name,
            last_name: r.last_name,
            party: r.party.ok_or_else(|| missing("party"))?.into_inner(),
            title: r.title.ok_or_else(|| missing("title"))?,
            due_on: r.due_on,
            status: r.status.ok_or_else(|| missing("status"))?.into_inner(),
            updated_at: r.updated_at,
            version: r.version,
        }))
    }
}

/// A page of `agent_id`'s agenda in (day, id) order: at most `limit` entries after `after`.
/// Deadlines: the pending items of open cases (a closed case's plan can no longer change) due
/// in the range or overdue. Planned contacts: those scheduled in the range (UTC days) of the
/// cases not archived — a closed case still has its post-closure review.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn list(
    conn: &mut PgConnection,
    agent_id: Uuid,
    range: AgendaRange,
    after: Option<ItemCursor>,
    limit: u32,
) -> Result<Page<AgendaEvent>, StoreError> {
    // The page is a range of `agenda_entries` (migration 26), which the database keeps as the
    // steps, contacts, teams and statuses change: overdue deadlines, deadlines in the range from
    // today on, contacts in the range, each in (day, id) order and merged; then the details of
    // the page's entries only.
    crate::db::plan_for_values(&mut *conn).await?;
    let rows = sqlx::query_as!(
        EventRow,
        r#"
        WITH page AS (
            (SELECT kind, day, entry_id, case_id FROM agenda_entries
              WHERE agent_id = $1 AND kind = 'deadline' AND day < $4
                AND ($5::date IS NULL OR (day, entry_id) > ($5, $6::uuid))
              ORDER BY day, entry_id LIMIT $7)
            UNION ALL
            (SELECT kind, day, entry_id, case_id FROM agenda_entries
              WHERE agent_id = $1 AND kind = 'deadline' AND day >= greatest($2, $4) AND day <= $3
                AND ($5::date IS NULL OR (day, entry_id) > ($5, $6::uuid))
              ORDER BY day, entry_id LIMIT $7)
            UNION ALL
            (SELECT kind, day, entry_id, case_id FROM agenda_entries
              WHERE agent_id = $1 AND kind = 'contact' AND day >= $2 AND day <= $3
                AND ($5::date IS NULL OR (day, entry_id) > ($5, $6::uuid))
              ORDER BY day, entry_id LIMIT $7)
            ORDER BY day, entry_id
            LIMIT $7
        )
        SELECT e.kind AS "entry_type!", e.entry_id AS "id!", c.id AS "case_id!",
               c.person_id AS "person_id!", pe.first_name AS "first_name!",
               pe.last_name AS "last_name!", p.party AS "party?: Code<Party>",
               p.title AS "title?", e.day AS "due_on!", p.status AS "status?: Code<ItemStatus>",
               k.kind AS "contact_kind?: Code<ContactKind>", k.scheduled_at AS "scheduled_at?",
               coalesce(p.updated_at, k.updated_at) AS "updated_at!",
               coalesce(p.version, k.version) AS "version!"
        FROM page e
        LEFT JOIN plan_items p ON e.kind = 'deadline' AND p.id = e.entry_id
        LEFT JOIN contacts k ON e.kind = 'contact' AND k.id = e.entry_id
        JOIN cases c ON c.id = e.case_id
        JOIN persons pe ON pe.id = c.person_id
        ORDER BY e.day, e.entry_id
        "#,
        agent_id,
        range.from,
        range.to,
        range.today,
        after.map(|c| c.due_on),
        after.map(|c| c.id),
        i64::from(limit) + 1
    )
    .fetch_all(conn)
    .await?;
    let entries = rows
        .into_iter()
        .map(AgendaEvent::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(entries, limit, |e| e.cursor().id))
}

/// The cursor of the page after `page`, if another page exists.
pub fn next_cursor(page: &Page<AgendaEvent>) -> Option<ItemCursor> {
    page.next_after?;
    page.items.last().map(AgendaEvent::cursor)
}

/// What [`NirVault::derive_secret`] derives feed tokens for.
const FEED_TOKEN_PURPOSE: &str = "relais/agenda-feed-token/v1";

/// A feed token as the URL carries it: 32 bytes in unpadded base64url, 43 characters.
pub const FEED_TOKEN_CHARS: usize = 43;

/// An agent's feed token, as shown to them.
#[derive(Debug, Clone)]
pub struct FeedToken {
    pub token: String,
    pub created_at: DateTime<Utc>,
}

/// The SHA-256 of a token as presented, which the table stores.
pub fn feed_token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// The token of `salt` for this agent: bound to the agent and organisation, so a salt copied
/// onto another row gives another token.
fn derive_token(vault: &NirVault, org_id: Uuid, agent_id: Uuid, salt: &[u8]) -> String {
    let mut input = Vec::with_capacity(32 + salt.len());
    input.extend_from_slice(org_id.as_bytes());
    input.extend_from_slice(agent_id.as_bytes());
    input.extend_from_slice(salt);
    URL_SAFE_NO_PAD.encode(vault.derive_secret(FEED_TOKEN_PURPOSE, &input))
}

/// Gives the agent a new feed token, replacing the previous one (whose URL stops working).
#[tracing::instrument(level = "debug", skip(conn, vault))]
pub async fn rotate_feed_token(
    conn: &mut PgConnection,
    vault: &NirVault,
    org_id: Uuid,
    agent_id: Uuid,
) -> Result<FeedToken, StoreError> {
    let mut salt = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut salt);
    let token = derive_token(vault, org_id, agent_id, &salt);
    let hash = feed_token_hash(&token);
    let created_at = sqlx::query_scalar!(
        r#"
        INSERT INTO agenda_feed_tokens (agent_id, org_id, salt, token_hash)
        VALUES ($1, $2, $3, $4)
        ON CONFLICT (agent_id) DO UPDATE
        SET salt = EXCLUDED.salt, token_hash = EXCLUDED.token_hash, created_at = now()
        RETURNING created_at
        "#,
        agent_id,
        org_id,
        &salt[..],
        &hash[..]
    )
    .fetch_one(conn)
    .await?;
    Ok(FeedToken { token, created_at })
}

/// The agent's current feed token, derived again from its salt; `None` when they have none, or
/// when it was made with another server key (the stored hash does not match: rotate it).
#[tracing::instrument(level = "debug", skip(conn, vault))]
pub async fn current_feed_token(
    conn: &mut PgConnection,
    vault: &NirVault,
    org_id: Uuid,
    agent_id: Uuid,
) -> Result<Option<FeedToken>, StoreError> {
    let row = sqlx::query!(
        "SELECT salt, token_hash, created_at FROM agenda_feed_tokens WHERE agent_id = $1",
        agent_id
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.and_then(|r| {
        let token = derive_token(vault, org_id, agent_id, &r.salt);
        (feed_token_hash(&token)[..] == r.token_hash[..]).then_some(FeedToken {
            token,
            created_at: r.created_at,
        })
    }))
}

/// Removes the agent's feed token; whether there was one.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn revoke_feed_token(
    conn: &mut PgConnection,
    agent_id: Uuid,
) -> Result<bool, StoreError> {
    let deleted = sqlx::query!(
        "DELETE FROM agenda_feed_tokens WHERE agent_id = $1",
        agent_id
    )
    .execute(conn)
    .await?;
    Ok(deleted.rows_affected() > 0)
}

/// Whose feed a token opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedOwner {
    pub agent_id: Uuid,
    pub org_id: Uuid,
}

/// The owner of a presented feed token, looked up by its hash before any organisation is
/// known: the transaction runs as `relais_app` with no organisation and presents the hash in
/// `relais.feed_token_hash`, which the lookup policy requires to see the row.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn feed_owner(db: &Db, token: &str) -> Result<Option<FeedOwner>, StoreError> {
    let hash = feed_token_hash(token);
    let mut tx = db.pool().begin().await?;
    sqlx::query!(
        r#"SELECT set_config('role', 'relais_app', true) AS "role",
                  set_config('relais.feed_token_hash', $1, true) AS "hash""#,
        hex::encode(hash)
    )
    .fetch_one(&mut *tx)
    .await?;
    let owner = sqlx::query_as!(
        FeedOwner,
        "SELECT agent_id, org_id FROM agenda_feed_tokens WHERE token_hash = $1",
        &hash[..]
    )
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(owner)
}

/// What the feed needs to know of its owner.
#[derive(Debug, Clone)]
pub struct FeedAgent {
    pub subject: String,
    pub display_name: Option<String>,
    /// The roles of the agent's last token.
    pub roles: Vec<String>,
}

/// The agent a feed belongs to, in its organisation's transaction.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn feed_agent(
    conn: &mut PgConnection,
    agent_id: Uuid,
) -> Result<Option<FeedAgent>, StoreError> {
    Ok(sqlx::query_as!(
        FeedAgent,
        "SELECT subject, display_name, roles FROM agents WHERE id = $1",
        agent_id
    )
    .fetch_optional(conn)
    .await?)
}
