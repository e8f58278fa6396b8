//! `Idempotency-Key` on every POST: a retry with the same key and body replays the first
//! response, the same key with another body is a 422, and a retry while the first request
//! runs is a 409. Keys are scoped to the caller and kept 24 hours.

use actix_web::body::{BoxBody, MessageBody, to_bytes};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse, ResponseError, mime, web};
use futures_util::StreamExt;
use relais_store::db::{self, Access};
use relais_store::idempotency::{self, Claim, StoredResponse};
use sha2::{Digest, Sha256};

use crate::context::authenticate;
use crate::error::{ApiError, FieldError};
use crate::state::AppState;

/// The request header.
pub static IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
/// Set on a replayed response.
pub static IDEMPOTENT_REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// Largest body the layer buffers; bigger bodies are refused by the handlers anyway.
const MAX_BUFFER: usize = 16 * 1024 * 1024;
/// Room for a multipart body's parts around the file (headers, boundaries, a description).
const MULTIPART_OVERHEAD: usize = 1024 * 1024;

/// The boundary of a `multipart/*` body, if the request has one.
fn multipart_boundary(req: &ServiceRequest) -> Option<String> {
    let content_type = req.headers().get(header::CONTENT_TYPE)?.to_str().ok()?;
    let parsed: mime::Mime = content_type.parse().ok()?;
    if parsed.type_() != mime::MULTIPART {
        return None;
    }
    parsed
        .get_param(mime::BOUNDARY)
        .map(|b| b.as_str().to_owned())
        .filter(|b| !b.is_empty())
}

/// Feeds `body` to the fingerprint. A multipart body is fingerprinted without its boundary:
/// clients pick a random one for every request they build, so a retry of the same upload
/// rebuilt by the client is still the same request.
fn fingerprint_body(hasher: &mut Sha256, body: &[u8], boundary: Option<&str>) {
    let Some(boundary) = boundary else {
        hasher.update(body);
        return;
    };
    // Only the delimiters are replaced (`--boundary` opening the body, `CRLF--boundary` after):
    // RFC 2046 keeps them out of the parts' content, while the bare boundary (it may be one
    // character) can stand anywhere in a file's bytes.
    const MARK: &[u8] = b"\0--boundary--\0";
    let opening = [b"--", boundary.as_bytes()].concat();
    let delimiter = [b"\r\n--", boundary.as_bytes()].concat();
    let mut start = 0;
    if body.starts_with(&opening) {
        hasher.update(MARK);
        start = opening.len();
    }
    let base = start;
    // Matches do not overlap.
    for at in memchr::memmem::find_iter(&body[base..], &delimiter) {
        let at = base + at;
        hasher.update(&body[start..at]);
        hasher.update(MARK);
        start = at + delimiter.len();
    }
    hasher.update(&body[start..]);
}

fn error(err: ApiError) -> HttpResponse {
    err.error_response()
}

/// The middleware. It runs inside the observability layer, outside the handlers.
pub async fn idempotency(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(raw_key) = req.headers().get(&IDEMPOTENCY_KEY).cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    if req.method() != Method::POST {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let key = match raw_key.to_str() {
        Ok(k) if !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic()) => {
            k.to_owned()
        }
        _ => {
            let err = ApiError::BadRequest {
                code: "invalid_idempotency_key",
                detail: "Idempotency-Key must be 1 to 255 visible ASCII characters".into(),
                errors: vec![FieldError::header(
                    "idempotency-key",
                    "invalid",
                    "1 to 255 visible ASCII characters",
                )],
            };
            return Ok(req.into_response(error(err)));
        }
    };
    // Without a valid caller there is nothing to scope the key to: the handler answers 401.
    let Ok(principal) = authenticate(req.request()).await else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let Ok(state) = AppState::of(req.request()) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let org = match state.organisation(&principal.org_slug).await {
        Ok(Some(org)) => org,
        Ok(None) => return Ok(next.call(req).await?.map_into_boxed_body()),
        Err(e) => return Ok(req.into_response(error(e.into()))),
    };

    // Buffer the body to fingerprint it, then hand it back to the handler. An upload may be as
    // large as the upload limit, with room for its other parts.
    let boundary = multipart_boundary(&req);
    let (max_buffer, limit) = match boundary {
        Some(_) => (
            MAX_BUFFER.max(state.settings.upload_limit + MULTIPART_OVERHEAD),
            state.settings.upload_limit,
        ),
        None => (MAX_BUFFER, state.settings.json_limit),
    };
    let mut body = web::BytesMut::new();
    let mut stream = req.take_payload();
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else {
            return Ok(req.into_response(error(ApiError::BadRequest {
                code: "malformed_body",
                detail: "the request body could not be read".into(),
                errors: vec![],
            })));
        };
        if body.len() + chunk.len() > max_buffer {
            return Ok(req.into_response(error(ApiError::PayloadTooLarge { limit })));
        }
        body.extend_from_slice(&chunk);
    }
    let body = body.freeze();
    let mut hasher = Sha256::new();
    hasher.update(req.method().as_str());
    hasher.update(b" ");
    hasher.update(req.uri().to_string());
    hasher.update(b"\n");
    fingerprint_body(&mut hasher, &body, boundary.as_deref());
    let hash = hasher.finalize().to_vec();
    let principal_key = principal.subject.clone();

    let claim = async {
        let mut tx = state.db.tenant(org.id, Access::Write).await?;
        let claim = idempotency::claim(&mut tx, org.id, &principal_key, &key, &hash).await?;
        db::commit(tx).await?;
        Ok::<_, relais_store::StoreError>(claim)
    }
    .await;
    match claim {
        Err(e) => return Ok(req.into_response(error(e.into()))),
        Ok(Claim::Mismatch) => {
            let err = ApiError::Unprocessable {
                code: "idempotency_key_reused",
                detail: "this Idempotency-Key was used with another request".into(),
                errors: vec![FieldError::header(
                    "idempotency-key",
                    "reused",
                    "use a new key for a new request",
                )],
            };
            return Ok(req.into_response(error(err)));
        }
        Ok(Claim::InFlight) => {
            let err = ApiError::Conflict {
                code: "idempotency_key_in_flight",
                detail: "a request with this Idempotency-Key is still being processed; retry later"
                    .into(),
            };
            return Ok(req.into_response(error(err)));
        }
        Ok(Claim::Replay(stored)) => return Ok(req.into_response(replay(&stored))),
        Ok(Claim::New) => {}
    }

    let (_, mut payload) = actix_http::h1::Payload::create(true);
    payload.unread_data(body);
    req.set_payload(payload.into());
    let res = next.call(req).await?.map_into_boxed_body();

    let status = res.status();
    // A server error is released so that a retry runs again; so is a refusal of the caller
    // (401/403: e.g. a partner whose credentials were rotated, retrying with a new token), and
    // an answer marked `no-store` (a secret shown once, such as a new feed token), which must
    // never be kept.
    let no_store = res
        .headers()
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|d| d.trim().eq_ignore_ascii_case("no-store"))
        });
    let caller_refused = status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN;
    if status.is_server_error() || caller_refused || no_store {
        let released = async {
            let mut tx = state.db.tenant(org.id, Access::Write).await?;
            idempotency::release(&mut tx, org.id, &principal_key, &key).await?;
            db::commit(tx).await
        }
        .await;
        if let Err(e) = released {
            tracing::warn!(error = %e, "could not release an idempotency key");
        }
        return Ok(res);
    }
    let (http_req, response) = res.into_parts();
    let (response, body) = response.into_parts();
    let bytes = to_bytes(body).await.unwrap_or_default();
    let header_str = |name: header::HeaderName| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let stored = StoredResponse {
        status: i16::try_from(status.as_u16()).unwrap_or(500),
        content_type: header_str(header::CONTENT_TYPE),
        location: header_str(header::LOCATION),
        etag: header_str(header::ETAG),
        body: bytes.to_vec(),
    };
    let saved = async {
        let mut tx = state.db.tenant(org.id, Access::Write).await?;
        idempotency::complete(&mut tx, org.id, &principal_key, &key, &stored).await?;
        db::commit(tx).await
    }
    .await;
    if let Err(e) = saved {
        tracing::warn!(error = %e, "could not store an idempotent response");
    }
    let response = response.set_body(BoxBody::new(bytes));
    Ok(ServiceResponse::new(http_req, response))
}

fn replay(stored: &StoredResponse) -> HttpResponse {
    let status = u16::try_from(stored.status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let mut response = HttpResponse::build(status);
    response.insert_header((
        IDEMPOTENT_REPLAYED.clone(),
        HeaderValue::from_static("true"),
    ));
    for (name, value) in [
        (header::CONTENT_TYPE, &stored.content_type),
        (header::LOCATION, &stored.location),
        (header::ETAG, &stored.etag),
    ] {
        if let Some(value) = value.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
            response.insert_header((name, value));
        }
    }
    response.body(stored.body.clone())
}

/// Partner `POST`s must carry an `Idempotency-Key` (API.md): a 400 pointing at the header when
/// it is missing. (The middleware has already checked its form and handled replays.)
pub fn require_key(req: &actix_web::HttpRequest) -> Result<(), ApiError> {
    if req.headers().contains_key(&IDEMPOTENCY_KEY) {
        return Ok(());
    }
    Err(ApiError::BadRequest {
        code: "idempotency_key_required",
        detail: "partners must send an Idempotency-Key with every POST, so retries are safe".into(),
        errors: vec![FieldError::header(
            "idempotency-key",
            "required",
            "send a unique key (e.g. a UUID) and reuse it when you retry",
        )],
    })
}

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    use super::fingerprint_body;

    fn fingerprint(body: &[u8], boundary: Option<&str>) -> Vec<u8> {
        let mut hasher = Sha256::new();
        fingerprint_body(&mut hasher, body, boundary);
        hasher.finalize().to_vec()
    }

    #[test]
    fn a_multipart_body_is_the_same_request_whatever_its_boundary() {
        let form = |b: &str, content: &str| {
            format!(
                "--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\r\n\
                 {content}\r\n--{b}--\r\n"
            )
        };
        let one = form("one", "%PDF-1.4");
        let two = form("second-boundary", "%PDF-1.4");
        assert_eq!(
            fingerprint(one.as_bytes(), Some("one")),
            fingerprint(two.as_bytes(), Some("second-boundary"))
        );
        let other = form("one", "%PDF-1.5");
        assert_ne!(
            fingerprint(one.as_bytes(), Some("one")),
            fingerprint(other.as_bytes(), Some("one"))
        );
        // The boundary standing inside a file's bytes is content, not a delimiter: two files
        // that differ exactly where each body's boundary occurs stay different requests.
        let a = form("x", "%PDF-x-1");
        let b = form("y", "%PDF-y-1");
        assert_ne!(
            fingerprint(a.as_bytes(), Some("x")),
            fingerprint(b.as_bytes(), Some("y"))
        );
        // Other bodies are fingerprinted as they are.
        assert_ne!(
            fingerprint(one.as_bytes(), None),
            fingerprint(two.as_bytes(), None)
        );
    }
}
