//! `Idempotency-Key` on every POST: a retry with the same key and body replays the first
//! response, the same key with another body is a 422, and a retry while the first request
//! runs waits for it, then replays it. Keys are scoped to the caller and kept 24 hours.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse, ResponseError, mime, web};
use futures_util::StreamExt;
use relais_store::db::{self, Access};
use relais_store::idempotency::{self, Claim, KeyOwner, StoredResponse};
use sha2::{Digest, Sha256};

use crate::context::authenticate;
use crate::error::{ApiError, Code, FieldError};
use crate::state::AppState;
use crate::work::{KeySettled, PendingKey, keepable, key_reused};

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

/// The layer. It runs inside the observability layer, outside the handlers: it checks the
/// key, fingerprints the request and hands both to the request's unit of work, which claims the
/// key in its own transaction (see [`crate::work`]). An answer given before any work was done
/// (a body that failed validation) is kept here afterwards, so that its retry gets it again.
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
            let err = ApiError::new(
                Code::InvalidIdempotencyKey,
                "Idempotency-Key must be 1 to 255 visible ASCII characters",
            )
            .at(FieldError::header(
                "idempotency-key",
                "invalid",
                "1 to 255 visible ASCII characters",
            ));
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
            return Ok(req.into_response(error(ApiError::unreadable_body())));
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
    let pending = PendingKey {
        owner: KeyOwner {
            org_id: org.id,
            principal: principal.subject.clone(),
            key,
        },
        hash: hasher.finalize().to_vec(),
    };
    req.extensions_mut().insert(pending.clone());

    let (_, mut payload) = actix_http::h1::Payload::create(true);
    payload.unread_data(body);
    req.set_payload(payload.into());
    let res = next.call(req).await?.map_into_boxed_body();
    if res.response().extensions().get::<KeySettled>().is_some() {
        return Ok(res);
    }
    // The handler answered without settling the key in a unit of work: it refused the request
    // before doing anything (or rolled its work back). Keep a keepable refusal, in a
    // transaction of its own, so that a retry is answered the same; a server error or a
    // refusal of the caller is not kept, and the retry runs again.
    let (http_req, response) = res.into_parts();
    if response.status().is_success() {
        tracing::warn!("a keyed POST succeeded outside a unit of work; its key is not kept");
        return Ok(ServiceResponse::new(http_req, response));
    }
    let (response, stored) = keepable(response);
    let Some(stored) = stored else {
        return Ok(ServiceResponse::new(http_req, response));
    };
    let kept = async {
        let mut tx = state.db.tenant(org.id, Access::Write).await?;
        let claim = idempotency::keep(&mut tx, &pending.owner, &pending.hash, &stored).await?;
        db::commit(tx).await?;
        Ok::<_, relais_store::StoreError>(claim)
    }
    .await;
    let response = match kept {
        Ok(Claim::New) => response,
        Ok(Claim::Replay(first)) => replay(&first),
        Ok(Claim::Mismatch) => error(key_reused()),
        Err(e) => {
            tracing::warn!(error = %e, "could not keep an idempotent answer");
            response
        }
    };
    Ok(ServiceResponse::new(http_req, response))
}

/// The response a retry gets: the stored one, marked replayed.
pub fn replay(stored: &StoredResponse) -> HttpResponse {
    let mut response = HttpResponse::build(stored_status(stored));
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
    let mut response = response.body(stored.body.clone());
    response.extensions_mut().insert(KeySettled);
    response
}

/// The status of a stored response.
pub fn stored_status(stored: &StoredResponse) -> StatusCode {
    u16::try_from(stored.status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK)
}

/// Partner `POST`s must carry an `Idempotency-Key` (API.md): a 400 pointing at the header when
/// it is missing. (The idempotency layer has already checked its form; the work replays.)
pub fn require_key(req: &actix_web::HttpRequest) -> Result<(), ApiError> {
    if req.headers().contains_key(&IDEMPOTENCY_KEY) {
        return Ok(());
    }
    Err(ApiError::new(
        Code::IdempotencyKeyRequired,
        "partners must send an Idempotency-Key with every POST, so retries are safe",
    )
    .at(FieldError::header(
        "idempotency-key",
        "required",
        "send a unique key (e.g. a UUID) and reuse it when you retry",
    )))
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
