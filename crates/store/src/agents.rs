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

/// What a token says about its bearer.
#[derive(Debug, Clone)]
pub struct AgentClaims<'a> {
    pub subject: &'a str,
    pub display_name: Option<&'a str>,
    pub email: Option<&'a str>,
    pub roles: &'a [String],
}

/// Returns the agent for this subject, creating it on its first call and refreshing what
/// the token says (roles, name) when it changed. One round trip; an unchanged agent seen in the
/// last five minutes is not rewritten, so reads do not write.
#[tracing::instrument(skip_all, fields(subject = claims.subject))]
pub async fn provision(
    conn: &mut PgConnection,
    org_id: Uuid,
    claims: &AgentClaims<'_>,
) -> Result<Agent, StoreError> {
    let agent = sqlx::query_as!(
        Agent,
        "WITH up AS ( INSERT INTO agents (id, org_id, subject, display_name, email, roles) VALUES \
         ($1, $2, $3, $4, $5, $6) ON CONFLICT (org_id, subject) DO UPDATE SET display_name = \
         COALESCE(EXCLUDED.display_name, agents.display_name), email = COALESCE(EXCLUDED.email, \
         agents.email), roles = EXCLUDED.roles, last_seen_at = now() WHERE agents.roles IS \
         DISTINCT FROM EXCLUDED.roles OR (EXCLUDED.display_name IS NOT NULL AND \
         agents.display_name IS DISTINCT FROM EXCLUDED.display_name) OR (EXCLUDED.email IS NOT \
         NULL AND agents.email IS DISTINCT FROM EXCLUDED.email) OR agents.last_seen_at < now() - \
         interval '5 minutes' RETURNING id, org_id, subject, display_name, email, roles) SELECT \
         id AS \"id!\", org_id AS \"org_id!\", subject AS \"subject!\", display_name, email, \
         roles AS \"roles!\" FROM up UNION ALL SELECT id, org_id, \
         subject, display_name, email, roles FROM agents WHERE org_id = $2 AND subject = $3 AND \
         NOT EXISTS (SELECT 1 FROM up)",
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
        "SELECT id, org_id, subject, display_name, email, roles FROM agents WHERE org_id = $1 AND \
         subject = $2",
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
