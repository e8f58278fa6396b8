//! `GET /.well-known/jwks.json`: the public keys that verify partner tokens.

use actix_web::{HttpResponse, get, web};

use crate::oauth::keys::Jwks;
use crate::state::AppState;

/// The service's public signing keys (JWKS, RFC 7517): the current key and, after a rotation,
/// the previous one until its tokens expire. Empty when no signing key is configured.
///
/// Public (no token), answered with `Cache-Control: public, max-age=300`. Each key is an Ed25519
/// public key (`EdDSA`) named by its `kid`, the RFC 7638 thumbprint that the header of every
/// partner token repeats; the current key comes first. The previous key is listed while the
/// operator keeps it configured after a rotation, so that tokens it signed still verify.
#[utoipa::path(
    tag = "oauth",
    operation_id = "service_jwks",
    responses(
        (status = 200, description = "The public keys, each named by its `kid` (RFC 7638 \
            thumbprint) as in the header of the tokens it verifies", body = Jwks,
            headers(("Cache-Control" = String, description = "`public, max-age=300`")))
    )
)]
#[get("/.well-known/jwks.json")]
pub async fn jwks(state: web::Data<AppState>) -> HttpResponse {
    let body = state
        .oauth
        .keys
        .as_ref()
        .map_or_else(|| Jwks { keys: Vec::new() }, |keys| keys.jwks());
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=300"))
        .json(body)
}
