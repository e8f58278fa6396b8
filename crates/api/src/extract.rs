//! Request extractors whose failures are problem documents pointing at the bad field.

use std::marker::PhantomData;
use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use futures_util::{Stream, StreamExt};
use relais_domain::Coded;
use serde::de::DeserializeOwned;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use crate::error::{ApiError, Code, FieldError};
use crate::state::AppState;

/// A JSON body received under the rule `R`: by default [`AnyJson`] (`application/json` or
/// `application/*+json`, at most the configured size). No unknown fields (the types say
/// `deny_unknown_fields`), and valid per its `validator` rules.
#[derive(Debug)]
pub struct Json<T, R = AnyJson>(pub T, PhantomData<R>);

impl<T, R> Deref for Json<T, R> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// How a JSON body is received: the media types it may come as, and its size.
pub trait JsonRule: 'static {
    /// Bytes allowed beyond the configured JSON limit.
    const EXTRA_BYTES: usize = 0;
    /// Refuses (415) the body's media type (`essence`, see [`media_type`]) unless it is
    /// accepted.
    fn accept(essence: &str) -> Result<(), ApiError>;
}

/// The rule of most bodies: any JSON media type, at most the configured JSON limit.
#[derive(Debug)]
pub struct AnyJson;

impl JsonRule for AnyJson {
    fn accept(essence: &str) -> Result<(), ApiError> {
        if is_json(essence) {
            Ok(())
        } else if essence.is_empty() {
            Err(ApiError::UnsupportedMediaType(
                "send Content-Type: application/json".into(),
            ))
        } else {
            Err(ApiError::UnsupportedMediaType(format!(
                "{essence}; send application/json"
            )))
        }
    }
}

impl<T: DeserializeOwned + Validate + 'static, R: JsonRule> FromRequest for Json<T, R> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move {
            R::accept(&media_type(&req))?;
            let limit = json_limit(&req) + R::EXTRA_BYTES;
            read_json(&req, payload, limit)
                .await
                .map(|value| Json(value, PhantomData))
        })
    }
}

/// The configured size limit of a JSON body.
pub fn json_limit(req: &HttpRequest) -> usize {
    AppState::of(req)
        .map(|s| s.settings.json_limit)
        .unwrap_or(1 << 20)
}

/// The media type of the request's body, lowercased and without its parameters (empty without
/// a `Content-Type`).
pub fn media_type(req: &HttpRequest) -> String {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

/// Whether a media type (as [`media_type`] gives it) is JSON: `application/json`, or an
/// `application/*+json` structured syntax.
pub fn is_json(essence: &str) -> bool {
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Reads a body of at most `limit` bytes (413 beyond).
pub async fn read_body<S>(mut payload: S, limit: usize) -> Result<web::BytesMut, ApiError>
where
    S: Stream<Item = Result<web::Bytes, PayloadError>> + Unpin,
{
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| ApiError::unreadable_body())?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Reads a JSON body of at most `limit` bytes (a declared larger `Content-Length` is refused
/// before reading), parses it with pointers and validates it. The media type is the caller's
/// to check.
pub async fn read_json<T: DeserializeOwned + Validate>(
    req: &HttpRequest,
    payload: Payload,
    limit: usize,
) -> Result<T, ApiError> {
    if let Some(length) = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        && length > limit
    {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    let body = read_body(payload, limit).await?;
    let value: T = parse_json(&body)?;
    value
        .validate()
        .map_err(|e| ApiError::validation(validation_errors(&e)))?;
    Ok(value)
}

/// Parses JSON, mapping serde's error to a pointer at the offending field. A NUL character
/// (`\u0000`) in any string is refused with its pointer: PostgreSQL cannot store it in text.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    // Raw control characters are invalid JSON, so a NUL can only come escaped; the body is
    // walked only then (`\\u0000`, an escaped backslash, finds nothing and goes on).
    if memchr::memmem::find(body, b"\\u0000").is_some()
        && let Ok(value) = serde_json::from_slice::<serde_json::Value>(body)
        && let Some(pointer) = nul_pointer(&value, String::new())
    {
        return Err(ApiError::validation(vec![
            FieldError::body(
                pointer,
                "invalid_character",
                "must not contain a NUL character (U+0000)",
            )
            .with_message_fr("ne doit pas contenir de caractère NUL (U+0000)"),
        ]));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let result: Result<T, _> = serde_path_to_error::deserialize(&mut de);
    match result {
        Ok(value) => {
            // Trailing characters after the value are malformed JSON too.
            de.end().map_err(|e| malformed_json(String::new(), &e))?;
            Ok(value)
        }
        // JSON has one number type: `132.0` is the integer 132 to JSON Schema, while serde
        // (and the criteria's parsers) refuse a float where an integer goes. Only a refused
        // body is read again, with its whole floats written as integers.
        Err(err)
            if err.inner().classify() == serde_json::error::Category::Data
                && let Some(value) = whole_numbers_as_integers(body) =>
        {
            serde_path_to_error::deserialize(value).map_err(|err| refused(&err))
        }
        Err(err) => Err(refused(&err)),
    }
}

/// The problem of a body serde refused: an unknown field, a missing or invalid value (422 at
/// its pointer), or a body that is not JSON (400).
fn refused(err: &serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let mut pointer = pointer_of(err.path());
    let inner = err.inner();
    let message = strip_position(&inner.to_string());
    if inner.classify() != serde_json::error::Category::Data {
        return malformed_json(pointer, inner);
    }
    let Some(field) = quoted_after(&message, "unknown field `") else {
        return refused_value(pointer, message);
    };
    // The path already ends at the unknown key; add it only if it does not.
    let last = format!("/{}", relais_domain::text::pointer_token(&field));
    if !pointer.ends_with(&last) {
        pointer.push_str(&last);
    }
    let unknown_fr = format!("champ inconnu « {field} »");
    let message_fr = match expected_fields(&message) {
        Some(expected) => format!("{unknown_fr} (champs attendus : {expected})"),
        None => unknown_fr.clone(),
    };
    ApiError::new(Code::UnknownField, format!("unknown field {field:?}"))
        .with_detail_fr(unknown_fr)
        .at(FieldError::body(pointer, "unknown_field", message).with_message_fr(message_fr))
}

/// The 422 of a value serde refused at `pointer` (a missing field is `required` there).
fn refused_value(mut pointer: String, message: String) -> ApiError {
    let code = if let Some(field) = quoted_after(&message, "missing field `") {
        pointer.push('/');
        pointer.push_str(&relais_domain::text::pointer_token(&field));
        "required"
    } else {
        "invalid_value"
    };
    let message_fr = allowed_codes(&message)
        .map(|allowed| format!("ce code n'existe pas dans sa liste ; codes possibles : {allowed}"));
    let mut error = FieldError::body(pointer, code, message);
    if let Some(french) = message_fr {
        error = error.with_message_fr(french);
    }
    ApiError::validation(vec![error])
}

/// The body with every float that is a whole number (`132.0`, `1e3`) written as an integer,
/// or `None` when it has none (or is not JSON): then there is nothing to try again.
fn whole_numbers_as_integers(body: &[u8]) -> Option<serde_json::Value> {
    use serde_json::Value;
    fn rewrite(value: &mut Value) -> bool {
        match value {
            Value::Number(number) if number.is_f64() => {
                match relais_domain::number::whole(number) {
                    Some(whole) => {
                        *number = whole.into();
                        true
                    }
                    None => false,
                }
            }
            Value::Array(items) => items
                .iter_mut()
                .fold(false, |changed, item| rewrite(item) | changed),
            Value::Object(fields) => fields
                .values_mut()
                .fold(false, |changed, item| rewrite(item) | changed),
            _ => false,
        }
    }
    let mut value: Value = serde_json::from_slice(body).ok()?;
    rewrite(&mut value).then_some(value)
}

/// The 400 of a body that is not JSON, with where it stops being JSON.
fn malformed_json(pointer: String, err: &serde_json::Error) -> ApiError {
    let french = format!(
        "le corps de la requête n'est pas du JSON valide (ligne {}, colonne {})",
        err.line(),
        err.column()
    );
    ApiError::new(
        Code::MalformedJson,
        format!("the body is not valid JSON: {err}"),
    )
    .with_detail_fr(french.clone())
    .at(FieldError::body(pointer, "malformed_json", err.to_string()).with_message_fr(french))
}

/// The fields serde's "unknown field `x`, expected one of `a`, `b`" names as expected,
/// listed `a, b` (names of the API, no value of the request).
fn expected_fields(message: &str) -> Option<String> {
    let (_, expected) = message.split_once(", expected ")?;
    let names: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    (!names.is_empty()).then(|| names.join(", "))
}

/// The codes [`relais_domain::UnknownCode`] lists as allowed (`…; expected one of: a, b`).
fn allowed_codes(message: &str) -> Option<&str> {
    message
        .split_once("; expected one of: ")
        .map(|(_, allowed)| allowed)
        .filter(|allowed| !allowed.is_empty())
}

/// The pointer of the first string (or key) holding a NUL character.
fn nul_pointer(value: &serde_json::Value, at: String) -> Option<String> {
    use serde_json::Value;
    match value {
        Value::String(text) => text.contains('\0').then_some(at),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| nul_pointer(item, format!("{at}/{i}"))),
        Value::Object(fields) => fields.iter().find_map(|(key, item)| {
            let here = format!("{at}/{}", relais_domain::text::pointer_token(key));
            if key.contains('\0') {
                Some(here)
            } else {
                nul_pointer(item, here)
            }
        }),
        _ => None,
    }
}

fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => pointer.push_str(&format!("/{index}")),
            Segment::Map { key } => {
                pointer.push('/');
                pointer.push_str(&relais_domain::text::pointer_token(key));
            }
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    pointer
}

fn quoted_after(message: &str, prefix: &str) -> Option<String> {
    let rest = message.split_once(prefix)?.1;
    Some(rest.split('`').next()?.to_owned())
}

fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// Flattens `validator` errors into pointers (nested structs and lists included).
pub fn validation_errors(errors: &ValidationErrors) -> Vec<FieldError> {
    let mut out = Vec::new();
    flatten("", errors, &mut out);
    out.sort_by(|a, b| a.pointer.cmp(&b.pointer));
    out
}

fn flatten(prefix: &str, errors: &ValidationErrors, out: &mut Vec<FieldError>) {
    for (field, kind) in errors.errors() {
        let pointer = format!("{prefix}/{}", relais_domain::text::pointer_token(field));
        match kind {
            ValidationErrorsKind::Field(list) => {
                for e in list {
                    let message = e
                        .message
                        .as_ref()
                        .map(|m| m.to_string())
                        .unwrap_or_else(|| describe(e));
                    let mut error = FieldError::body(pointer.clone(), e.code.to_string(), message);
                    if let Some(french) = describe_fr(e) {
                        error = error.with_message_fr(french);
                    }
                    out.push(error);
                }
            }
            ValidationErrorsKind::Struct(inner) => flatten(&pointer, inner, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    flatten(&format!("{pointer}/{index}"), inner, out);
                }
            }
        }
    }
}

fn describe(e: &validator::ValidationError) -> String {
    let param = |name: &str| e.params.get(name).map(|v| v.to_string());
    match e.code.as_ref() {
        "length" if param("equal").is_some() => {
            format!(
                "length must be exactly {}",
                param("equal").unwrap_or_default()
            )
        }
        "length" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("length must be between {min} and {max}"),
            (Some(min), None) => format!("length must be at least {min}"),
            (None, Some(max)) => format!("length must be at most {max}"),
            _ => "invalid length".into(),
        },
        "range" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be between {min} and {max}"),
            _ => "out of range".into(),
        },
        "email" => "not a valid e-mail address".into(),
        other => format!("invalid ({other})"),
    }
}

/// [`describe`] in French, with the same bounds; `None` for a code it does not know (its
/// code's French message stands for it).
fn describe_fr(e: &validator::ValidationError) -> Option<String> {
    let param = |name: &str| e.params.get(name).map(|v| v.to_string());
    Some(match e.code.as_ref() {
        "length" => match (param("equal"), param("min"), param("max")) {
            (Some(equal), _, _) => format!("la longueur doit être exactement {equal}"),
            (None, Some(min), Some(max)) => {
                format!("la longueur doit être comprise entre {min} et {max}")
            }
            (None, Some(min), None) => format!("la longueur doit être d'au moins {min}"),
            (None, None, Some(max)) => format!("la longueur doit être d'au plus {max}"),
            (None, None, None) => "longueur invalide".into(),
        },
        "range" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("la valeur doit être comprise entre {min} et {max}"),
            _ => "valeur hors des limites permises".into(),
        },
        "email" => "ce n'est pas une adresse électronique valide".into(),
        _ => return None,
    })
}

/// Query parameters, with errors naming the parameter. A parameter the operation does not
/// declare never reaches here: [`crate::conventions`] refuses it first, by its name.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T> Deref for Query<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // A NUL character cannot be stored nor searched for in PostgreSQL text.
        if let Some((name, _)) = form_urlencoded::parse(req.query_string().as_bytes())
            .find(|(name, value)| name.contains('\0') || value.contains('\0'))
        {
            let name = name.replace('\0', "");
            return std::future::ready(Err(ApiError::bad_query_fr(
                &name,
                format!("{name}: must not contain a NUL character (U+0000)"),
                format!("{name} : ne doit pas contenir de caractère NUL (U+0000)"),
            )));
        }
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(
            req.query_string().as_bytes(),
        ));
        let result: Result<T, _> = serde_path_to_error::deserialize(de);
        std::future::ready(result.map(Query).map_err(|err| {
            let name = err.path().to_string();
            let message = err.inner().to_string();
            let missing = quoted_after(&message, "missing field `");
            let name = match (name.as_str(), &missing) {
                (".", missing) => missing.clone().unwrap_or_default(),
                _ => name,
            };
            let message_fr = match (missing, allowed_codes(&message)) {
                (Some(_), _) => format!("{name} : paramètre obligatoire"),
                (None, Some(allowed)) => {
                    format!("{name} : code inconnu ; codes possibles : {allowed}")
                }
                (None, None) => format!("{name} : valeur invalide"),
            };
            ApiError::bad_query_fr(&name, format!("{name}: {message}"), message_fr)
        }))
    }
}

/// The error handler of path parameters: names the parameter that is not an id.
pub fn path_error(err: actix_web::error::PathError, req: &HttpRequest) -> actix_web::Error {
    let name = req
        .match_info()
        .iter()
        .find(|(_, value)| uuid::Uuid::parse_str(value).is_err() && value.parse::<i64>().is_err())
        .map(|(name, _)| name.to_owned())
        .unwrap_or_else(|| "id".to_owned());
    let message = format!("{name} is not a valid identifier: {err}");
    ApiError::new(Code::InvalidPathParameter, message.clone())
        .at(FieldError::path(&name, "invalid_identifier", message)
            .with_message_fr(format!("{name} n'est pas un identifiant valide")))
        .into()
}

/// A query string value that must be a UUID, with a named error.
pub fn parse_uuid_param(name: &str, value: &str) -> Result<uuid::Uuid, ApiError> {
    uuid::Uuid::parse_str(value).map_err(|_| {
        ApiError::bad_query_fr(
            name,
            format!("{name} must be a UUID"),
            format!("{name} doit être un UUID"),
        )
    })
}

/// The value of the optional coded query parameter `name`: a 400 at `name` saying
/// `unknown {what} "…"` for a code the list does not have, the empty one included (leave the
/// parameter out to not filter).
pub fn coded_param<T: Coded>(
    name: &str,
    what: &str,
    value: Option<&str>,
) -> Result<Option<T>, ApiError> {
    value.map(|code| one_code(name, what, code)).transpose()
}

/// One code of the query parameter `name`, or its 400.
fn one_code<T: Coded>(name: &str, what: &str, code: &str) -> Result<T, ApiError> {
    T::parse(code).ok_or_else(|| {
        let allowed: Vec<&str> = T::ALL.iter().map(|c| c.code()).collect();
        ApiError::bad_query_fr(
            name,
            format!("unknown {what} {code:?}"),
            format!(
                "{name} : code inconnu ; codes possibles : {}",
                allowed.join(", ")
            ),
        )
    })
}

/// The values of the comma-separated coded query parameter `name` (spaces around an entry
/// and blank entries are skipped), refused as [`coded_param`] refuses one. The document says
/// the same with a pattern ([`crate::schema::coded_list`]).
pub fn coded_list<T: Coded>(
    name: &str,
    what: &str,
    value: Option<&str>,
) -> Result<Vec<T>, ApiError> {
    value
        .unwrap_or("")
        .split(',')
        .map(|entry| entry.trim_matches(' '))
        .filter(|entry| !entry.is_empty())
        .map(|code| one_code(name, what, code))
        .collect()
}
