//! Reading a token request: its media type, its form (RFC 6749 §3.1, §3.2) and the client's
//! authentication (HTTP Basic or the form, RFC 6749 §2.3.1), with the OAuth-shaped refusals.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, Code, FieldError, Problem};
use crate::extract;
use crate::observability::RequestId;

/// An error of the token endpoint: the RFC 6749 §5.2 members and the problem document's.
///
/// Both shapes are in one body because two kinds of clients read it: OAuth client libraries
/// only understand `error` and `error_description` (RFC 6749 requires them, as
/// `application/json`), and clients of this API read every error as a problem document with a
/// `code` and JSON pointers. The media type stays `application/json`, as RFC 6749 requires.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenError {
    /// `invalid_request`, `invalid_client` or `unsupported_grant_type` (RFC 6749 §5.2).
    #[schema(example = "invalid_client")]
    pub error: &'static str,
    #[schema(example = "client authentication failed")]
    pub error_description: String,
    #[serde(flatten)]
    pub problem: Problem,
}

/// A token request is a few hundred bytes; anything much larger is refused unread.
const FORM_LIMIT: usize = 16 * 1024;
const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

/// The client's credentials from a token request, after checking its media type, its form
/// and its grant type.
pub(crate) fn client_credentials(
    req: &HttpRequest,
    body: &[u8],
) -> Result<Credentials, OAuthError> {
    if !is_form(req) {
        return Err(OAuthError::invalid_request(
            "the body must be application/x-www-form-urlencoded",
            FieldError::header(
                "content-type",
                "unsupported_media_type",
                "send Content-Type: application/x-www-form-urlencoded",
            ),
        ));
    }
    let mut form = parse_form(body)?;
    match form.grant_type.as_deref() {
        None => return Err(OAuthError::required("grant_type")),
        Some("client_credentials") => {}
        Some(_) => {
            return Err(OAuthError {
                code: Code::UnsupportedGrantType,
                description: "only the client_credentials grant is supported".into(),
                errors: vec![FieldError::body(
                    "/grant_type",
                    "unsupported_grant_type",
                    "send grant_type=client_credentials",
                )],
            });
        }
    }
    credentials(req, &mut form)
}

/// A refusal in the OAuth shape; its `error` is its problem code, with its status from the table.
#[derive(Debug)]
pub(crate) struct OAuthError {
    code: Code,
    description: String,
    errors: Vec<FieldError>,
}

impl OAuthError {
    fn invalid_request(description: &str, field: FieldError) -> Self {
        Self {
            code: Code::InvalidRequest,
            description: description.to_owned(),
            errors: vec![field],
        }
    }

    fn required(name: &str) -> Self {
        Self::invalid_request(
            &format!("the parameter {name} is required"),
            FieldError::body(
                format!("/{name}"),
                "required",
                format!("send {name} in the form"),
            ),
        )
    }

    /// The one answer to every failed client authentication, pointing at where the client
    /// sent its credentials.
    pub(crate) fn invalid_client(basic: bool) -> Self {
        let field = if basic {
            FieldError::header(
                "authorization",
                "invalid_client",
                "client authentication failed",
            )
        } else {
            FieldError::body(
                "/client_id",
                "invalid_client",
                "client authentication failed",
            )
        };
        Self {
            code: Code::InvalidClient,
            description: "client authentication failed".into(),
            errors: vec![field],
        }
    }

    pub(crate) fn respond(self, req: &HttpRequest) -> HttpResponse {
        let status = self.code.status();
        let body = TokenError {
            error: self.code.as_str(),
            error_description: self.description.clone(),
            problem: Problem {
                instance: Some(req.path().to_owned()),
                request_id: req.extensions().get::<RequestId>().map(|r| r.0.clone()),
                errors: self.errors,
                ..Problem::new(self.code, self.description)
            },
        };
        let mut response = HttpResponse::build(status);
        no_store(&mut response);
        if status == StatusCode::UNAUTHORIZED {
            // RFC 7235 §3.1: every 401 names a scheme; RFC 6749 §5.2 names Basic.
            response.insert_header((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"relais\""),
            ));
        }
        response.json(body)
    }
}

pub(crate) fn no_store(response: &mut actix_web::HttpResponseBuilder) {
    response
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .insert_header((header::PRAGMA, HeaderValue::from_static("no-cache")));
}

/// The parameters of the form this endpoint reads.
#[derive(Default)]
struct Form {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// Parses the form: a repeated parameter is an error, an empty one counts as omitted, and
/// unknown ones are ignored (RFC 6749 §3.1, §3.2).
fn parse_form(body: &[u8]) -> Result<Form, OAuthError> {
    let mut form = Form::default();
    let mut seen_scope = false;
    for (name, value) in form_urlencoded::parse(body) {
        let slot = match name.as_ref() {
            "grant_type" => &mut form.grant_type,
            "client_id" => &mut form.client_id,
            "client_secret" => &mut form.client_secret,
            "scope" => {
                if seen_scope {
                    return Err(repeated("scope"));
                }
                seen_scope = true;
                continue;
            }
            _ => continue,
        };
        if slot.is_some() {
            return Err(repeated(&name));
        }
        if !value.is_empty() {
            *slot = Some(value.into_owned());
        }
    }
    Ok(form)
}

fn repeated(name: &str) -> OAuthError {
    OAuthError::invalid_request(
        &format!("the parameter {name} is repeated"),
        FieldError::body(format!("/{name}"), "repeated", format!("send {name} once")),
    )
}

/// How the client authenticated.
pub(crate) struct Credentials {
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    pub(crate) basic: bool,
}

/// The client's credentials, from the Authorization header or the form (one of them).
fn credentials(req: &HttpRequest, form: &mut Form) -> Result<Credentials, OAuthError> {
    if let Some(value) = req.headers().get(header::AUTHORIZATION) {
        let malformed = || {
            OAuthError::invalid_request(
                "the Authorization header is malformed",
                FieldError::header(
                    "authorization",
                    "malformed",
                    "send Basic base64(client_id:client_secret)",
                ),
            )
        };
        let value = value.to_str().map_err(|_| malformed())?;
        let (scheme, encoded) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
        if !scheme.eq_ignore_ascii_case("basic") {
            // RFC 6749 §5.2: an unsupported authentication method is `invalid_client`.
            return Err(OAuthError::invalid_client(true));
        }
        if form.client_id.is_some() || form.client_secret.is_some() {
            let name = if form.client_id.is_some() {
                "client_id"
            } else {
                "client_secret"
            };
            return Err(OAuthError::invalid_request(
                "use one client authentication method: HTTP Basic or the form, not both",
                FieldError::body(
                    format!("/{name}"),
                    "two_authentication_methods",
                    "send the credentials either in the Authorization header or in the form",
                ),
            ));
        }
        let decoded = STANDARD
            .decode(encoded.trim())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or_else(malformed)?;
        let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
        // RFC 6749 §2.3.1: both are form-urlencoded before Basic encodes them.
        let (id, secret) = (form_decode(id), form_decode(secret));
        if id.is_empty() || secret.is_empty() {
            return Err(malformed());
        }
        return Ok(Credentials {
            client_id: id,
            client_secret: secret,
            basic: true,
        });
    }
    match (form.client_id.take(), form.client_secret.take()) {
        (Some(client_id), Some(client_secret)) => Ok(Credentials {
            client_id,
            client_secret,
            basic: false,
        }),
        (Some(_), None) => Err(OAuthError::required("client_secret")),
        (None, Some(_)) => Err(OAuthError::required("client_id")),
        // RFC 6749 §5.2: no client authentication at all is `invalid_client`.
        (None, None) => Err(OAuthError::invalid_client(false)),
    }
}

fn form_decode(text: &str) -> String {
    form_urlencoded::parse(format!("v={text}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Reads the body, refusing more than [`FORM_LIMIT`] bytes.
pub(crate) async fn read_body(payload: web::Payload) -> Result<web::BytesMut, ApiError> {
    extract::read_body(payload, FORM_LIMIT).await
}

fn is_form(req: &HttpRequest) -> bool {
    extract::media_type(req) == FORM_CONTENT_TYPE
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_parameter_counts_as_omitted_and_unknown_ones_are_ignored() {
        let form = parse_form(b"grant_type=client_credentials&client_id=&foo=bar").unwrap();
        assert_eq!(form.grant_type.as_deref(), Some("client_credentials"));
        assert!(form.client_id.is_none());
    }

    #[test]
    fn a_repeated_parameter_is_refused_with_a_pointer() {
        let err = parse_form(b"grant_type=a&grant_type=b").err().unwrap();
        assert_eq!(err.code, Code::InvalidRequest);
        assert_eq!(err.errors[0].pointer, "/grant_type");
        assert!(parse_form(b"scope=a&scope=b").is_err());
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        assert_eq!(form_decode("a%3Ab+c"), "a:b c");
    }
}
