//! `POST /v1/oauth/token`: the client credentials grant (RFC 6749 §4.4) for partners.
//!
//! The client authenticates with HTTP Basic (`client_secret_basic`) or with `client_id` and
//! `client_secret` in the form (`client_secret_post`), never both. The secret is compared by
//! its SHA-256 in constant time; an unknown client, a wrong secret and a disabled partner get
//! the same answer. Nothing here logs a secret: not the form, not the Authorization header.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, post, web};
use relais_store::db;
use relais_store::partner_credentials::{self, PartnerClient};
use relais_store::partners::client_secret_digest;
use serde::Serialize;
use subtle::ConstantTimeEq;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{ApiError, Code, FrenchProblem, PROBLEM_JSON, Problem};
use crate::oauth::request::{
    Credentials, OAuthError, TokenError, client_credentials, no_store, read_body,
};
use crate::oauth::{PARTNER_ROLE, PARTNER_SUBJECT_PREFIX, PartnerClaims, ceil_seconds};
use crate::responses::problem_responses;
use crate::state::AppState;

/// `client_id`s are at most this long (the column's limit): longer ones are unknown unread.
const CLIENT_ID_MAX: usize = 100;
/// The longest a token request waits for the second after its credentials were issued.
const MAX_ISSUE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// The token request (RFC 6749 §4.4.2), sent as `application/x-www-form-urlencoded`.
/// Unrecognised parameters are ignored, as RFC 6749 §3.2 requires.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct TokenRequest {
    grant_type: GrantType,
    /// The partner's client id, when the client does not authenticate with HTTP Basic.
    #[schema(
        example = "rp_4f9c2e7a1b3d5f8e0a2c4e6b",
        max_length = 100,
        required = false
    )]
    client_id: String,
    /// The partner's client secret, with `client_id`.
    #[schema(
        example = "rs_Qm9uam91ciBsZXMgcGFydGVuYWlyZXMgZGUgUmVsYWlz",
        required = false
    )]
    client_secret: String,
    /// Requested scopes; ignored: partner tokens always have the scope `partner`.
    #[schema(example = "partner", required = false)]
    scope: String,
}

/// The one grant Relais issues tokens for (any other is `unsupported_grant_type`).
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(example = "client_credentials")]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    ClientCredentials,
}

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// The JWT to send as `Authorization: Bearer …`.
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Lifetime in seconds.
    #[schema(example = 600)]
    pub expires_in: u64,
    #[schema(example = "partner")]
    pub scope: &'static str,
}

problem_responses! {
    /// The error responses of the token endpoint that are problem documents, as elsewhere in the
    /// API (the OAuth refusals are in `token`'s responses).
    TokenProblems {
        TooLarge = 413: "Body too large",
        Internal = 500: "Internal error (no details)",
        Unavailable = 503: "`partner_tokens_unavailable`: the service has no signing key; or the \
            database is unavailable (retry)",
    }
}

/// Issues a partner access token (OAuth 2.0 client credentials, RFC 6749 §4.4).
///
/// Authenticate with HTTP Basic (`client_id:client_secret`) or with `client_id` and
/// `client_secret` in the form. The token is an EdDSA JWT signed with the service's key
/// (published at `/.well-known/jwks.json`, named by the header's `kid`); send it as
/// `Authorization: Bearer …` until it expires, then ask for another one.
///
/// Public: the client credentials are the authentication, no bearer token. An unknown client, a
/// wrong secret and a disabled partner get the same 401 `invalid_client`; errors of the grant
/// itself are OAuth 2.0 JSON errors (RFC 6749 §5.2), not problem documents. The token carries the
/// role `partner` and lasts `expires_in` seconds (10 minutes by default); it is refused once the
/// partner is disabled or its client secret rotated. Answered with `Cache-Control: no-store`.
/// Without a configured signing key the service answers 503 `partner_tokens_unavailable`. Issuing a
/// token is logged, not audited: it reads no personal data.
#[utoipa::path(
    tag = "oauth",
    operation_id = "issue_partner_token",
    request_body(
        content = TokenRequest,
        content_type = "application/x-www-form-urlencoded",
        description = "`grant_type=client_credentials`, and `client_id` with `client_secret` \
            unless they are sent with HTTP Basic",
        example = json!({
            "grant_type": "client_credentials",
            "client_id": "rp_4f9c2e7a1b3d5f8e0a2c4e6b",
            "client_secret": "rs_Qm9uam91ciBsZXMgcGFydGVuYWlyZXMgZGUgUmVsYWlz"
        })
    ),
    responses(
        (status = 200, description = "The access token", body = TokenResponse,
            headers(
                ("Cache-Control" = String, description = "`no-store`"),
                ("Pragma" = String, description = "`no-cache`")
            )),
        (status = 400, description = "`invalid_request` (a missing, repeated or malformed \
            parameter, a body that is not a form, two client authentication methods) or \
            `unsupported_grant_type` (RFC 6749 §5.2), with pointers to the form field",
            body = TokenError, content_type = "application/json"),
        (status = 401, description = "`invalid_client`: unknown client, wrong secret, disabled \
            partner, or no or unsupported client authentication (all answered alike)",
            body = TokenError, content_type = "application/json",
            headers(("WWW-Authenticate" = String, description = "`Basic realm=\"relais\"`"))),
        (status = 429, description = "`too_many_requests`: this client id failed to authenticate \
            too often (`RELAIS_TOKEN_FAILURES_PER_MINUTE`); refused, whatever the secret, until \
            `Retry-After` seconds have passed", body = crate::error::Problem,
            content_type = "application/problem+json"),
        TokenProblems
    ),
    security((), ("client_secret_basic" = []))
)]
#[post("/oauth/token")]
pub async fn token(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let oauth = &state.oauth;
    let Some(keys) = oauth.keys.clone() else {
        return Ok(unavailable(&req));
    };
    let body = read_body(payload).await?;
    let credentials = match client_credentials(&req, &body) {
        Ok(credentials) => credentials,
        Err(refusal) => return Ok(refusal.respond(&req)),
    };
    // A client id that failed too often is refused before its secret is even looked at.
    if let Some(wait) = state.rate_limits.token_locked(&credentials.client_id) {
        return Ok(too_many_attempts(wait));
    }
    let Some(client) = authenticate_client(&state, &credentials).await? else {
        tracing::info!(
            basic = credentials.basic,
            "partner token refused: client authentication failed"
        );
        if let Some(wait) = state.rate_limits.token_failed(&credentials.client_id) {
            return Ok(too_many_attempts(wait));
        }
        return Ok(OAuthError::invalid_client(credentials.basic).respond(&req));
    };

    let iat = issued_at(client.credentials_issued_at).await;
    let ttl = i64::try_from(oauth.token_ttl.as_secs()).unwrap_or(i64::MAX / 2);
    let claims = PartnerClaims {
        iss: oauth.issuer.clone(),
        aud: oauth.audience.clone(),
        sub: format!("{PARTNER_SUBJECT_PREFIX}{}", client.partner_id),
        org: client.org_slug.clone(),
        roles: vec![PARTNER_ROLE.to_owned()],
        partner_id: client.partner_id,
        client_id: credentials.client_id.clone(),
        name: client.name.clone(),
        iat,
        nbf: iat,
        exp: iat.saturating_add(ttl),
        jti: Uuid::now_v7(),
    };
    let access_token = keys.sign(&claims).map_err(ApiError::internal)?;
    // Not an audit event: the audit log records accesses to personal data, and issuing a
    // token reads none (every read the token then makes is audited under the partner's agent).
    tracing::info!(
        partner_id = %client.partner_id,
        org = %client.org_slug,
        client_id = %credentials.client_id,
        jti = %claims.jti,
        "partner token issued"
    );
    let mut response = HttpResponse::Ok();
    no_store(&mut response);
    Ok(response.json(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: oauth.token_ttl.as_secs(),
        scope: PARTNER_ROLE,
    }))
}

/// `429`: too many failed attempts for this client id; `Retry-After` says when to try again.
fn too_many_attempts(wait: std::time::Duration) -> HttpResponse {
    tracing::info!(
        wait_ms = wait.as_millis(),
        "partner token refused: too many failed attempts"
    );
    let mut response = actix_web::ResponseError::error_response(&ApiError::TooManyRequests);
    response.headers_mut().insert(
        actix_web::http::header::RETRY_AFTER,
        crate::rate_limit::retry_after(wait),
    );
    response
}

/// Credentials issued at a second's fraction count from the next whole second (see
/// [`ceil_seconds`]): a token asked for within that second waits for it, so that its `iat` is
/// both the truth and after the credentials. (A server whose clock is more than a moment behind
/// the database's issues the token at the credentials' second instead, and says so.)
async fn issued_at(credentials_issued_at: chrono::DateTime<chrono::Utc>) -> i64 {
    let not_before = ceil_seconds(credentials_issued_at);
    let now = chrono::Utc::now();
    if now.timestamp() >= not_before {
        return now.timestamp();
    }
    let wait = chrono::DateTime::from_timestamp(not_before, 0)
        .and_then(|at| (at - now).to_std().ok())
        .unwrap_or_default();
    if wait <= MAX_ISSUE_WAIT {
        tokio::time::sleep(wait).await;
        chrono::Utc::now().timestamp().max(not_before)
    } else {
        tracing::warn!(
            behind_ms = wait.as_millis(),
            "this server's clock is behind the database's: partner tokens are issued at the \
             time of their credentials"
        );
        not_before
    }
}

/// The enabled partner whose credentials these are, or `None` (unknown client, wrong secret,
/// disabled partner: the caller cannot tell which).
async fn authenticate_client(
    state: &AppState,
    credentials: &Credentials,
) -> Result<Option<PartnerClient>, ApiError> {
    let digest = client_secret_digest(&credentials.client_secret);
    // An id no partner can have (too long, or with a NUL that PostgreSQL cannot even compare)
    // is unknown without asking the database.
    let possible =
        credentials.client_id.len() <= CLIENT_ID_MAX && !credentials.client_id.contains('\0');
    let client = if possible {
        let mut tx = state.db.background().await?;
        let client = partner_credentials::find_client(&mut tx, &credentials.client_id).await?;
        db::commit(tx).await?;
        client
    } else {
        None
    };
    // Compare even for an unknown client, so the answer takes the same time.
    let stored = client
        .as_ref()
        .map_or(&[0u8; 32][..], |c| c.client_secret_sha256.as_slice());
    let matches: bool = digest.as_slice().ct_eq(stored).into();
    Ok(client.filter(|c| matches && c.enabled))
}

/// 503 `partner_tokens_unavailable`: no signing key is configured.
fn unavailable(req: &HttpRequest) -> HttpResponse {
    // A 5xx names nothing internal: the operator's log and docs/deployment.md say which
    // setting is missing.
    let detail = "this service issues no partner tokens at the moment; tell its operator";
    let code = Code::PartnerTokensUnavailable;
    let problem = Problem {
        instance: Some(req.path().to_owned()),
        ..Problem::new(code, detail)
    };
    let mut response = HttpResponse::build(code.status());
    no_store(&mut response);
    // Until the operator configures a key: an hour is as good a guess as any.
    let mut response = response
        .insert_header((header::RETRY_AFTER, HeaderValue::from_static("3600")))
        .insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)))
        .body(serde_json::to_vec(&problem).unwrap_or_default());
    response.extensions_mut().insert(FrenchProblem {
        title: code.title_fr(),
        detail: code.detail_fr().to_owned(),
        messages: Vec::new(),
    });
    response
}
