//! The request context: who calls, for which organisation, and their tenant transaction.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use relais_domain::{Permission, Role};
use relais_store::agents::{self, AgentClaims};
use relais_store::audit::{self, AuditActor, NewAuditEvent};
use relais_store::cases::{self, CaseRecord, CaseScope};
use relais_store::db::{Access, Tx};
use relais_store::organisations::Organisation;
use relais_store::partner_credentials;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::auth::Principal;
use crate::error::ApiError;
use crate::observability::RequestId;
use crate::state::AppState;
use crate::work::{CaseUse, PendingKey};

/// An authenticated request: extract it in every handler that touches tenant data.
pub struct Ctx {
    pub principal: Principal,
    pub state: web::Data<AppState>,
    pub request_id: Option<String>,
    /// The request's `Idempotency-Key`, which its [`Work`](crate::work::Work) claims.
    pub key: Option<PendingKey>,
}

impl FromRequest for Ctx {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let principal = authenticate(&req).await?;
            let state = AppState::of(&req)?;
            let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
            let key = req.extensions().get::<PendingKey>().cloned();
            Ok(Ctx {
                principal,
                state,
                request_id,
                key,
            })
        })
    }
}

/// The caller inside its tenant transaction.
#[derive(Debug, Clone)]
pub struct Actor {
    pub org: Organisation,
    pub agent_id: Uuid,
    pub subject: String,
    pub request_id: Option<String>,
    pub principal: Principal,
    /// The partner calling, when the token was issued to one (its agent row is `agent_id`).
    pub partner_id: Option<Uuid>,
}

impl Ctx {
    /// Refuses the request (403) unless one of the caller's roles allows `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        if self.principal.roles.allows(permission) {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    /// Refuses (403) a caller who may read no case content (reception, admin, dpo).
    pub fn require_case_read(&self) -> Result<(), ApiError> {
        if self.principal.may_read_case_content() {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    /// The caller's partner id: partner endpoints answer 403 to anyone else.
    pub fn require_partner(&self) -> Result<Uuid, ApiError> {
        self.principal.partner_id.ok_or(ApiError::Forbidden)
    }

    /// Whether the caller has `permission`.
    pub fn allows(&self, permission: Permission) -> bool {
        self.principal.roles.allows(permission)
    }

    /// Opens the tenant transaction and resolves the caller's agent (created on its first call,
    /// written only when the token says something new, not read again for a minute after).
    /// Handlers ask for a
    /// [`Work`](crate::work::Work) instead, which also claims the request's idempotency key.
    pub async fn begin(&self, access: Access) -> Result<(Tx, Actor), ApiError> {
        let org = self
            .state
            .organisation(&self.principal.org_slug)
            .await?
            .ok_or_else(|| ApiError::Unauthorized("the token's organisation is unknown".into()))?;
        let mut tx = self.state.db.tenant(org.id, access).await?;
        let partner_name = match self.principal.partner_id {
            Some(partner_id) => Some(self.check_partner(&mut tx, partner_id).await?),
            None => None,
        };
        let claims = AgentClaims {
            subject: &self.principal.subject,
            display_name: partner_name.as_deref().or(self.principal.name.as_deref()),
            email: self.principal.email.as_deref(),
            roles: &self.principal.role_codes,
        };
        let callers = &self.state.callers;
        let agent_id = match callers.get(org.id, &claims) {
            Some(agent_id) => agent_id,
            None => {
                let resolved = agents::resolve(&mut tx, org.id, &claims).await?;
                // Only an agent this transaction did not write: one it creates or refreshes
                // stands only once it commits, and is found unchanged by the next request.
                if resolved.unchanged {
                    callers.put(org.id, &claims, resolved.agent.id);
                }
                resolved.agent.id
            }
        };
        let actor = Actor {
            org,
            agent_id,
            subject: self.principal.subject.clone(),
            request_id: self.request_id.clone(),
            principal: self.principal.clone(),
            partner_id: self.principal.partner_id,
        };
        Ok((tx, actor))
    }

    /// A partner token is refused (401) once its partner is disabled or its credentials were
    /// rotated after the token was issued; answers the partner's current name.
    async fn check_partner(&self, tx: &mut Tx, partner_id: Uuid) -> Result<String, ApiError> {
        let refused = |why: &str| ApiError::Unauthorized(why.to_owned());
        let partner = partner_credentials::status(tx, partner_id)
            .await?
            .ok_or_else(|| refused("the token's partner is unknown"))?;
        if !partner.enabled {
            return Err(refused("the partner is disabled"));
        }
        let issued_at = self
            .principal
            .issued_at
            .ok_or_else(|| refused("a required claim is missing"))?;
        if issued_at < crate::oauth::ceil_seconds(partner.credentials_issued_at) {
            return Err(refused(
                "the partner's credentials were rotated after this token was issued",
            ));
        }
        Ok(partner.name)
    }
}

/// The query of a read of case content: the reason an archived case is read.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaseReadParams {
    /// Required when the case is archived; recorded in the audit log. 5 to 500 characters,
    /// spaces around it aside.
    #[param(
        min_length = 5,
        max_length = 500,
        pattern = "^\\s*[^\\s\\u0000][^\\u0000]{3,}[^\\s\\u0000]\\s*$"
    )]
    pub reason: Option<String>,
}

impl CaseReadParams {
    /// The read of the case's content this query asks for.
    pub fn case_use(&self) -> CaseUse<'_> {
        CaseUse::Read(self.reason.as_deref())
    }
}

impl Actor {
    /// The case, when the caller may see it (404 otherwise: existence is not leaked).
    pub async fn visible_case(&self, tx: &mut Tx, id: Uuid) -> Result<CaseRecord, ApiError> {
        Ok(cases::get(tx, id, self.case_scope()).await?)
    }

    /// Which cases this caller may see: all for a supervisor, their team's for a worker.
    pub fn case_scope(&self) -> CaseScope {
        if self.principal.roles.allows(Permission::CaseReadAll) {
            CaseScope::All
        } else {
            CaseScope::Team(self.agent_id)
        }
    }

    /// Whether the caller has this role.
    pub fn has_role(&self, role: Role) -> bool {
        self.principal.roles.contains(role)
    }

    /// Appends audit events in the caller's transaction.
    pub async fn audit(&self, tx: &mut Tx, events: &[NewAuditEvent]) -> Result<(), ApiError> {
        let actor = AuditActor {
            org_id: self.org.id,
            agent_id: Some(self.agent_id),
            subject: &self.subject,
            request_id: self.request_id.as_deref(),
        };
        audit::record(tx, &actor, events).await?;
        Ok(())
    }
}

/// The bearer token of a request, if any.
fn bearer(req: &HttpRequest) -> Result<&str, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::Unauthorized(String::from("missing bearer token")))?;
    let value = value
        .to_str()
        .map_err(|_| ApiError::Unauthorized(String::from("malformed Authorization header")))?;
    let (scheme, token) = value
        .split_once(' ')
        .ok_or_else(|| ApiError::Unauthorized(String::from("malformed Authorization header")))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError::Unauthorized(String::from(
            "expected a Bearer token",
        )));
    }
    Ok(token.trim())
}

/// Verifies the request's token once; later extractions reuse the result.
pub async fn authenticate(req: &HttpRequest) -> Result<Principal, ApiError> {
    if let Some(principal) = req.extensions().get::<Principal>() {
        return Ok(principal.clone());
    }
    let state = AppState::of(req)?;
    let principal = state.auth.verify(bearer(req)?).await?;
    req.extensions_mut().insert(principal.clone());
    Ok(principal)
}

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(&req).await })
    }
}
