//! Agents: staff members, provisioned from their token on first call.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use relais_domain::Civility;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::StoreError;
use crate::code::Code;
use crate::page::{Page, PageRequest};
use crate::version::{Versioned, stale_or_missing};

/// An agent as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Agent {
    pub id: Uuid,
    pub org_id: Uuid,
    pub subject: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub roles: Vec<String>,
}

/// An agent found (or created) for a token's claims.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub agent: Agent,
    /// Whether the stored row already said what the token says and was seen lately, so that
    /// nothing was written: the agent then stands whatever becomes of this transaction (one
    /// created or refreshed here is undone if it rolls back).
    pub unchanged: bool,
}

/// What a token says about its bearer.
#[derive(Debug, Clone)]
pub struct AgentClaims<'a> {
    pub subject: &'a str,
    pub display_name: Option<&'a str>,
    pub email: Option<&'a str>,
    pub roles: &'a [String],
}

impl AgentClaims<'_> {
    /// Whether the stored agent already says what these claims say (a claim the token does
    /// not carry changes nothing, nor does a name or e-mail once the agent wrote their own
    /// profile).
    fn agree_with(&self, agent: &Agent, profile_owned: bool) -> bool {
        agent.roles.as_slice() == self.roles
            && (profile_owned
                || ((self.display_name.is_none()
                    || agent.display_name.as_deref() == self.display_name)
                    && (self.email.is_none() || agent.email.as_deref() == self.email)))
    }
}

/// The agent for these claims, read without writing or locking anything when it exists, says
/// what the token says and was seen in the last five minutes. Otherwise it is refreshed (an
/// existing agent) or created (a first call). One round trip in the common case.
#[tracing::instrument(level = "debug", skip_all, fields(subject = claims.subject))]
pub async fn resolve(
    conn: &mut PgConnection,
    org_id: Uuid,
    claims: &AgentClaims<'_>,
) -> Result<Resolved, StoreError> {
    let found = sqlx::query!(
        r#"
        SELECT id, org_id, subject, display_name, email, roles, profile_owned,
               last_seen_at > now() - interval '5 minutes' AS "fresh!"
        FROM agents
        WHERE org_id = $1 AND subject = $2
        "#,
        org_id,
        claims.subject
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = found else {
        let agent = provision(conn, org_id, claims).await?;
        return Ok(Resolved {
            agent,
            unchanged: false,
        });
    };
    let agent = Agent {
        id: row.id,
        org_id: row.org_id,
        subject: row.subject,
        display_name: row.display_name,
        email: row.email,
        roles: row.roles,
    };
    if row.fresh && claims.agree_with(&agent, row.profile_owned) {
        return Ok(Resolved {
            agent,
            unchanged: true,
        });
    }
    refresh(conn, agent, claims, row.profile_owned).await
}

/// Writes what the token says, and the sighting, on an existing agent. The row is locked the
/// way an update locks it (never against the foreign-key checks of the agent's other requests),
/// and skipped when another request is refreshing it right now: that one writes the same.
async fn refresh(
    conn: &mut PgConnection,
    mut agent: Agent,
    claims: &AgentClaims<'_>,
    profile_owned: bool,
) -> Result<Resolved, StoreError> {
    let refreshed = sqlx::query_as!(
        Agent,
        r#"
        UPDATE agents
        SET display_name = CASE WHEN profile_owned THEN display_name
                                ELSE COALESCE($2, display_name) END,
            email = CASE WHEN profile_owned THEN email ELSE COALESCE($3, email) END,
            roles = $4,
            last_seen_at = now()
        WHERE id = (SELECT id FROM agents WHERE id = $1 FOR NO KEY UPDATE SKIP LOCKED)
        RETURNING id, org_id, subject, display_name, email, roles
        "#,
        agent.id,
        claims.display_name,
        claims.email,
        claims.roles
    )
    .fetch_optional(conn)
    .await?;
    if let Some(agent) = refreshed {
        return Ok(Resolved {
            agent,
            unchanged: false,
        });
    }
    // Another request is writing the same claims: answer what it writes.
    agent.roles = claims.roles.to_vec();
    if !profile_owned {
        agent.display_name = claims
            .display_name
            .map(str::to_owned)
            .or(agent.display_name);
        agent.email = claims.email.map(str::to_owned).or(agent.email);
    }
    Ok(Resolved {
        agent,
        unchanged: false,
    })
}

/// Creates the agent on its first call (or, when a concurrent first call created it, refreshes
/// what the token says).
#[tracing::instrument(level = "debug", skip_all, fields(subject = claims.subject))]
async fn provision(
    conn: &mut PgConnection,
    org_id: Uuid,
    claims: &AgentClaims<'_>,
) -> Result<Agent, StoreError> {
    let agent = sqlx::query_as!(
        Agent,
        r#"
        WITH up AS (
            INSERT INTO agents (id, org_id, subject, display_name, email, roles)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (org_id, subject) DO UPDATE
            SET display_name = CASE WHEN agents.profile_owned THEN agents.display_name
                                    ELSE COALESCE(EXCLUDED.display_name, agents.display_name) END,
                email = CASE WHEN agents.profile_owned THEN agents.email
                             ELSE COALESCE(EXCLUDED.email, agents.email) END,
                roles = EXCLUDED.roles,
                last_seen_at = now()
            WHERE agents.roles IS DISTINCT FROM EXCLUDED.roles
               OR (NOT agents.profile_owned AND EXCLUDED.display_name IS NOT NULL
                   AND agents.display_name IS DISTINCT FROM EXCLUDED.display_name)
               OR (NOT agents.profile_owned AND EXCLUDED.email IS NOT NULL
                   AND agents.email IS DISTINCT FROM EXCLUDED.email)
               OR agents.last_seen_at < now() - interval '5 minutes'
            RETURNING id, org_id, subject, display_name, email, roles
        )
        SELECT id AS "id!", org_id AS "org_id!", subject AS "subject!", display_name, email,
               roles AS "roles!"
        FROM up
        UNION ALL
        SELECT id, org_id, subject, display_name, email, roles
        FROM agents
        WHERE org_id = $2 AND subject = $3 AND NOT EXISTS (SELECT 1 FROM up)
        "#,
        Uuid::now_v7(),
        org_id,
        claims.subject,
        claims.display_name,
        claims.email,
        claims.roles
    )
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(agent) = agent {
        return Ok(agent);
    }
    // A concurrent first call created the agent after this statement's snapshot was taken:
    // a new statement sees it.
    Ok(sqlx::query_as!(
        Agent,
        r#"
        SELECT id, org_id, subject, display_name, email, roles
        FROM agents
        WHERE org_id = $1 AND subject = $2
        "#,
        org_id,
        claims.subject
    )
    .fetch_one(conn)
    .await?)
}

/// Which of `ids` are agents of the current organisation (row-level security filters the
/// rest), each with whether they are still at work.
pub async fn existing(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> Result<Vec<(Uuid, bool)>, StoreError> {
    let rows = sqlx::query!("SELECT id, active FROM agents WHERE id = ANY($1)", ids)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.active)).collect())
}

/// An agent as the directory shows them: who they are for documents, and whether they are
/// still at work.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AgentRecord {
    pub id: Uuid,
    pub subject: String,
    pub display_name: Option<String>,
    pub job_title: Option<String>,
    pub civility: Option<Code<Civility>>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub roles: Vec<String>,
    pub active: bool,
    pub last_seen_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// Filters of the directory.
#[derive(Debug, Clone, Default)]
pub struct AgentFilter {
    /// Only the agents with this role (a role code).
    pub role: Option<String>,
    /// Only the agents still at work (`true`) or gone (`false`).
    pub active: Option<bool>,
}

/// The organisation's agents in id order, a page at a time (an organisation has hundreds of
/// agents, not millions: the role is checked on the organisation's rows).
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn list(
    conn: &mut PgConnection,
    filter: &AgentFilter,
    page: PageRequest,
) -> Result<Page<AgentRecord>, StoreError> {
    let rows = sqlx::query_as!(
        AgentRecord,
        r#"
        SELECT id, subject, display_name, job_title, civility AS "civility: Code<Civility>",
               email, phone, roles, active, last_seen_at, updated_at, version
        FROM agents
        WHERE org_id = relais_current_org()
          AND id > $1
          AND ($2::text IS NULL OR $2 = ANY (roles))
          AND ($3::boolean IS NULL OR active = $3)
        ORDER BY id
        LIMIT $4
        "#,
        page.after.unwrap_or(Uuid::nil()),
        filter.role,
        filter.active,
        page.fetch_limit()
    )
    .fetch_all(conn)
    .await?;
    Ok(Page::from_rows(rows, page.limit, |a| a.id))
}

/// One agent of the organisation.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn get(conn: &mut PgConnection, id: Uuid) -> Result<AgentRecord, StoreError> {
    sqlx::query_as!(
        AgentRecord,
        r#"
        SELECT id, subject, display_name, job_title, civility AS "civility: Code<Civility>",
               email, phone, roles, active, last_seen_at, updated_at, version
        FROM agents
        WHERE id = $1
        "#,
        id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)
}

/// An agent's profile as written by themselves: every field as it will be stored.
#[derive(Debug, Clone)]
pub struct ProfileUpdate<'a> {
    pub display_name: Option<&'a str>,
    pub job_title: Option<&'a str>,
    pub civility: Option<Civility>,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
}

/// Writes the agent's own profile when its version is `expected_version`; from then on the
/// token's name and e-mail no longer overwrite it.
#[tracing::instrument(level = "debug", skip_all, fields(agent_id = %id))]
pub async fn update_profile(
    conn: &mut PgConnection,
    id: Uuid,
    expected_version: i32,
    profile: &ProfileUpdate<'_>,
) -> Result<AgentRecord, StoreError> {
    let written = sqlx::query_as!(
        AgentRecord,
        r#"
        UPDATE agents
        SET display_name = $3, job_title = $4, civility = $5, email = $6, phone = $7,
            profile_owned = true, updated_at = now(), version = version + 1
        WHERE id = $1 AND version = $2
        RETURNING id, subject, display_name, job_title, civility AS "civility: Code<Civility>",
                  email, phone, roles, active, last_seen_at, updated_at, version
        "#,
        id,
        expected_version,
        profile.display_name,
        profile.job_title,
        profile.civility.map(|c| c.code()),
        profile.email,
        profile.phone
    )
    .fetch_optional(&mut *conn)
    .await?;
    match written {
        Some(agent) => Ok(agent),
        None => Err(stale_or_missing(conn, Versioned::Agent(id)).await),
    }
}

/// Marks an agent as still at work or gone, when its version is `expected_version`.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn set_active(
    conn: &mut PgConnection,
    id: Uuid,
    expected_version: i32,
    active: bool,
) -> Result<AgentRecord, StoreError> {
    let written = sqlx::query_as!(
        AgentRecord,
        r#"
        UPDATE agents
        SET active = $3, updated_at = now(), version = version + 1
        WHERE id = $1 AND version = $2
        RETURNING id, subject, display_name, job_title, civility AS "civility: Code<Civility>",
                  email, phone, roles, active, last_seen_at, updated_at, version
        "#,
        id,
        expected_version,
        active
    )
    .fetch_optional(&mut *conn)
    .await?;
    match written {
        Some(agent) => Ok(agent),
        None => Err(stale_or_missing(conn, Versioned::Agent(id)).await),
    }
}

/// How documents name an agent: their name, role and contact details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub name: String,
    pub job_title: Option<String>,
    pub civility: Option<Civility>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// The profiles of the agents `ids` of the organisation, in one round trip.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn profiles(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Profile>, StoreError> {
    let rows = sqlx::query!(
        r#"
        SELECT id, COALESCE(NULLIF(btrim(display_name), ''), subject) AS "name!", job_title,
               civility AS "civility: Code<Civility>", email, phone
        FROM agents
        WHERE id = ANY ($1)
        "#,
        ids
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let profile = Profile {
                name: r.name,
                job_title: r.job_title,
                civility: r.civility.map(Code::into_inner),
                email: r.email,
                phone: r.phone,
            };
            (r.id, profile)
        })
        .collect())
}
