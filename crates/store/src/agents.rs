//! Agents: staff members, provisioned from their token on first call.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::StoreError;

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
    /// not carry changes nothing).
    fn agree_with(&self, agent: &Agent) -> bool {
        agent.roles.as_slice() == self.roles
            && (self.display_name.is_none() || agent.display_name.as_deref() == self.display_name)
            && (self.email.is_none() || agent.email.as_deref() == self.email)
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
        SELECT id, org_id, subject, display_name, email, roles,
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
    if row.fresh && claims.agree_with(&agent) {
        return Ok(Resolved {
            agent,
            unchanged: true,
        });
    }
    refresh(conn, agent, claims).await
}

/// Writes what the token says, and the sighting, on an existing agent. The row is locked the
/// way an update locks it (never against the foreign-key checks of the agent's other requests),
/// and skipped when another request is refreshing it right now: that one writes the same.
async fn refresh(
    conn: &mut PgConnection,
    mut agent: Agent,
    claims: &AgentClaims<'_>,
) -> Result<Resolved, StoreError> {
    let refreshed = sqlx::query_as!(
        Agent,
        r#"
        UPDATE agents
        SET display_name = COALESCE($2, display_name),
            email = COALESCE($3, email),
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
    agent.roles = claims.roles.to_vec();
    agent.display_name = claims
        .display_name
        .map(str::to_owned)
        .or(agent.display_name);
    agent.email = claims.email.map(str::to_owned).or(agent.email);
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
            SET display_name = COALESCE(EXCLUDED.display_name, agents.display_name),
                email = COALESCE(EXCLUDED.email, agents.email),
                roles = EXCLUDED.roles,
                last_seen_at = now()
            WHERE agents.roles IS DISTINCT FROM EXCLUDED.roles
               OR (EXCLUDED.display_name IS NOT NULL
                   AND agents.display_name IS DISTINCT FROM EXCLUDED.display_name)
               OR (EXCLUDED.email IS NOT NULL AND agents.email IS DISTINCT FROM EXCLUDED.email)
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

/// Which of `ids` are agents of the current organisation (row-level security filters the rest).
pub async fn existing(conn: &mut PgConnection, ids: &[Uuid]) -> Result<Vec<Uuid>, StoreError> {
    Ok(
        sqlx::query_scalar!("SELECT id FROM agents WHERE id = ANY($1)", ids)
            .fetch_all(conn)
            .await?,
    )
}
