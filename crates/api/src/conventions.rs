//! The HTTP conventions integrators expect, kept for every route at once (API.md, "For
//! integrators"):
//!
//! - a known path asked with a method it does not serve: `405` with `Allow`;
//! - `HEAD` wherever `GET` is: the `GET` is run, and its headers are answered without the body;
//! - a query parameter the operation does not declare: `400` pointing at it, so a misspelt
//!   filter never silently returns everyone;
//! - `If-None-Match` naming the current `ETag` of a `GET`: `304 Not Modified`;
//! - `Cache-Control: no-store` on every answer under `/v1` that does not set its own: they
//!   hold personal data, or say who may see it.
//!
//! What a path serves, and with which query parameters, is read from the OpenAPI document the
//! routes themselves produce ([`crate::openapi`]): the document and these answers cannot
//! disagree.

use std::sync::LazyLock;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, ResponseError};
use utoipa::openapi::Deprecated;
use utoipa::openapi::path::{Operation, ParameterIn};

use crate::error::{ApiError, Code, FieldError};

/// The operations of the document, by path.
#[derive(Debug, Default)]
pub struct Routes {
    paths: Vec<PathOperations>,
}

#[derive(Debug)]
struct PathOperations {
    /// The path's segments after the first `/`: `None` for a parameter (`{id}`).
    segments: Vec<Option<String>>,
    /// Each method served, with the names of its query parameters and, when it is deprecated,
    /// the headers of its answers.
    methods: Vec<(Method, Vec<String>, Option<Sunset>)>,
}

impl PathOperations {
    fn matches(&self, path: &str) -> bool {
        let mut given = path.trim_start_matches('/').split('/');
        let all = self.segments.iter().all(|segment| match given.next() {
            None | Some("") => false,
            Some(value) => segment.as_deref().is_none_or(|literal| literal == value),
        });
        all && given.next().is_none()
    }
}

/// What a request's path and method are to the document.
#[derive(Debug, PartialEq, Eq)]
pub enum Served<'a> {
    /// Not a path of the document (the Swagger UI, the document itself, or unknown): left to
    /// the router.
    Unknown,
    /// A path of the document, but not with this method: the methods it serves.
    OtherMethods(Vec<Method>),
    /// Served, with these query parameters, and the headers of a deprecated operation.
    With(Vec<&'a str>, Option<&'a Sunset>),
}

/// The headers every answer of a deprecated operation carries (docs/versioning.md):
/// `Deprecation` (RFC 9745) and `Sunset` (RFC 8594), from the document's `x-deprecated-on`
/// and `x-sunset-on` ([`crate::openapi::deprecate`]), and a `Link` to the changelog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sunset {
    /// `@` and the Unix time of the start of the day it was deprecated.
    pub deprecation: String,
    /// The day after which it may be removed, as an HTTP date.
    pub sunset: String,
}

impl Sunset {
    /// The headers of `operation`, if it is deprecated with both dates.
    fn of(operation: &Operation) -> Option<Self> {
        if !matches!(operation.deprecated, Some(Deprecated::True)) {
            return None;
        }
        let day = |key: &str| {
            let text = operation.extensions.as_ref()?.get(key)?.as_str()?;
            let day = text.parse::<chrono::NaiveDate>().ok()?;
            Some(day.and_time(chrono::NaiveTime::MIN).and_utc())
        };
        let (deprecated, sunset) = (day("x-deprecated-on")?, day("x-sunset-on")?);
        Some(Self {
            deprecation: format!("@{}", deprecated.timestamp()),
            sunset: sunset.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
        })
    }

    /// Adds the headers to `headers`.
    fn apply(&self, headers: &mut header::HeaderMap) {
        let link = format!(
            "<{}>; rel=\"deprecation\"; type=\"text/markdown\"",
            crate::openapi::DEPRECATION_LINK
        );
        for (name, value) in [
            (
                header::HeaderName::from_static("deprecation"),
                self.deprecation.as_str(),
            ),
            (
                header::HeaderName::from_static("sunset"),
                self.sunset.as_str(),
            ),
            (header::LINK, link.as_str()),
        ] {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.append(name, value);
            }
        }
    }
}

impl Routes {
    /// The operations of `document`.
    pub fn from_document(document: &utoipa::openapi::OpenApi) -> Self {
        let paths = document
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let segments = path
                    .trim_start_matches('/')
                    .split('/')
                    .map(|segment| {
                        (!(segment.starts_with('{') && segment.ends_with('}')))
                            .then(|| segment.to_owned())
                    })
                    .collect();
                let methods = [
                    (Method::GET, &item.get),
                    (Method::PUT, &item.put),
                    (Method::POST, &item.post),
                    (Method::DELETE, &item.delete),
                    (Method::PATCH, &item.patch),
                ]
                .into_iter()
                .filter_map(|(method, operation)| {
                    operation
                        .as_ref()
                        .map(|operation| (method, query_names(operation), Sunset::of(operation)))
                })
                .collect();
                PathOperations { segments, methods }
            })
            .collect();
        Self { paths }
    }

    /// What the document says of `method` on `path`. Where several paths match, the one with
    /// a literal segment where the others have a parameter decides (OpenAPI: concrete paths
    /// match before templated ones): `GET /v1/schemes/import` is not a scheme's id.
    pub fn served(&self, method: &Method, path: &str) -> Served<'_> {
        let asked = if method == Method::HEAD {
            &Method::GET
        } else {
            method
        };
        let specificity =
            |p: &PathOperations| p.segments.iter().map(Option::is_some).collect::<Vec<_>>();
        let Some(operations) = self
            .paths
            .iter()
            .filter(|p| p.matches(path))
            .max_by_key(|p| specificity(p))
        else {
            return Served::Unknown;
        };
        match operations
            .methods
            .iter()
            .find(|(served, ..)| served == asked)
        {
            Some((_, query, sunset)) => {
                Served::With(query.iter().map(String::as_str).collect(), sunset.as_ref())
            }
            None => {
                Served::OtherMethods(operations.methods.iter().map(|(m, ..)| m.clone()).collect())
            }
        }
    }
}

fn query_names(operation: &Operation) -> Vec<String> {
    operation
        .parameters
        .iter()
        .flatten()
        .filter(|parameter| matches!(parameter.parameter_in, ParameterIn::Query))
        .map(|parameter| parameter.name.clone())
        .collect()
}

/// The operations of this build's document, read once.
static ROUTES: LazyLock<Routes> = LazyLock::new(|| Routes::from_document(crate::document()));

/// The `Allow` header's value: the methods served, `HEAD` beside `GET`, in a stable order.
fn allow(methods: &[Method]) -> String {
    let mut names: Vec<&str> = methods.iter().map(Method::as_str).collect();
    if methods.contains(&Method::GET) {
        names.push("HEAD");
    }
    let order = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];
    names.sort_by_key(|name| order.iter().position(|o| o == name));
    names.join(", ")
}

/// The first query parameter of `query` not among `known`, if any.
fn unknown_parameter(query: &str, known: &[&str]) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .map(|(name, _)| name)
        .find(|name| !known.contains(&name.as_ref()))
        .map(std::borrow::Cow::into_owned)
}

/// Whether `if_none_match` (a list of entity tags, or `*`) names `etag`, by the weak
/// comparison of RFC 9110 (13.1.2).
fn none_match_names(if_none_match: &str, etag: &str) -> bool {
    let opaque = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    let etag = opaque(etag);
    if_none_match
        .split(',')
        .any(|tag| tag.trim() == "*" || opaque(tag) == etag)
}

/// The middleware applying the conventions (see the module's documentation).
pub async fn conventions(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let head = req.method() == Method::HEAD;
    let mut sunset: Option<&'static Sunset> = None;
    match ROUTES.served(req.method(), req.path()) {
        Served::Unknown => {}
        Served::OtherMethods(methods) => {
            let allow = allow(&methods);
            let mut response = ApiError::new(
                Code::MethodNotAllowed,
                format!(
                    "{} is not served here; this path serves {allow}",
                    req.method()
                ),
            )
            .with_detail_fr(format!(
                "la méthode {} n'est pas acceptée ici ; cette adresse accepte {allow}",
                req.method()
            ))
            .error_response();
            if let Ok(value) = HeaderValue::from_str(&allow) {
                response.headers_mut().insert(header::ALLOW, value);
            }
            return Ok(finish(req.into_response(response)));
        }
        Served::With(known, deprecated) => {
            sunset = deprecated;
            if let Some(name) = unknown_parameter(req.query_string(), &known) {
                let (known, known_fr) = if known.is_empty() {
                    ("none".to_owned(), "aucun".to_owned())
                } else {
                    (known.join(", "), known.join(", "))
                };
                let message = format!("{name}: unknown parameter (known here: {known})");
                let message_fr =
                    format!("{name} : paramètre inconnu (paramètres connus ici : {known_fr})");
                let response = ApiError::new(Code::InvalidParameter, message.clone())
                    .at(FieldError::query(&name, "unknown_parameter", message)
                        .with_message_fr(message_fr))
                    .error_response();
                return Ok(finish(req.into_response(response)));
            }
        }
    }
    if head {
        // The `GET` answers; the connection sends its headers only (actix-http knows the
        // request was a `HEAD`).
        req.head_mut().method = Method::GET;
    }
    let if_none_match = matches!(*req.method(), Method::GET)
        .then(|| req.headers().get(header::IF_NONE_MATCH).cloned())
        .flatten();
    let res = next.call(req).await?.map_into_boxed_body();
    let current = res.status() == StatusCode::OK
        && if_none_match
            .as_ref()
            .and_then(|v| v.to_str().ok())
            .zip(
                res.headers()
                    .get(header::ETAG)
                    .and_then(|v| v.to_str().ok()),
            )
            .is_some_and(|(asked, etag)| none_match_names(asked, etag));
    if current {
        let (req, response) = res.into_parts();
        let mut not_modified = HttpResponse::NotModified().finish();
        // RFC 9110 15.4.5: the headers a 200 would have carried about the representation.
        for name in [
            header::ETAG,
            header::CACHE_CONTROL,
            header::VARY,
            header::CONTENT_LOCATION,
        ] {
            if let Some(value) = response.headers().get(&name) {
                not_modified.headers_mut().insert(name, value.clone());
            }
        }
        let mut res = ServiceResponse::new(req, not_modified);
        if let Some(sunset) = sunset {
            sunset.apply(res.headers_mut());
        }
        return Ok(finish(res));
    }
    let mut res = res;
    if let Some(sunset) = sunset {
        sunset.apply(res.headers_mut());
    }
    Ok(finish(res))
}

/// `Cache-Control: no-store` on an answer under `/v1` that does not set its own.
fn finish(mut res: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    if res.request().path().starts_with("/v1/")
        && !res.headers().contains_key(header::CACHE_CONTROL)
    {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routes() -> &'static Routes {
        &ROUTES
    }

    #[test]
    fn a_path_of_the_document_serves_its_methods_and_their_query_parameters() {
        let id = "01a244cc-1665-773d-a23b-4cac607b00ea";
        assert_eq!(
            routes().served(&Method::GET, &format!("/v1/cases/{id}")),
            Served::With(vec!["reason"], None)
        );
        assert_eq!(
            routes().served(&Method::HEAD, &format!("/v1/cases/{id}")),
            Served::With(vec!["reason"], None)
        );
        let Served::OtherMethods(methods) =
            routes().served(&Method::PUT, &format!("/v1/cases/{id}"))
        else {
            panic!("PUT on a case is not served");
        };
        assert_eq!(allow(&methods), "GET, HEAD, PATCH");
        assert_eq!(
            routes().served(&Method::GET, "/v1/nothing"),
            Served::Unknown
        );
        assert_eq!(
            routes().served(&Method::GET, &format!("/v1/cases/{id}/")),
            Served::Unknown
        );
        assert_eq!(
            routes().served(&Method::GET, "/openapi.json"),
            Served::Unknown
        );
    }

    #[test]
    fn a_literal_segment_wins_over_a_parameter_in_its_place() {
        // `/v1/schemes/import` (POST) beside `/v1/schemes/{id}` (GET, PATCH).
        assert_eq!(
            routes().served(&Method::POST, "/v1/schemes/import"),
            Served::With(vec![], None)
        );
        assert_eq!(
            routes().served(&Method::GET, "/v1/schemes/import"),
            Served::OtherMethods(vec![Method::POST])
        );
        let id = "01a244cc-1665-773d-a23b-4cac607b00ea";
        assert_eq!(
            routes().served(&Method::POST, &format!("/v1/schemes/{id}")),
            Served::OtherMethods(vec![Method::GET, Method::PATCH])
        );
    }

    #[test]
    fn an_unknown_parameter_is_named_and_known_ones_pass() {
        assert_eq!(
            unknown_parameter("limit=5&name=x", &["limit", "cursor"]),
            Some("name".to_owned())
        );
        assert_eq!(
            unknown_parameter("limit=5&cursor=a", &["limit", "cursor"]),
            None
        );
        assert_eq!(unknown_parameter("", &[]), None);
        assert_eq!(
            unknown_parameter("na%6De=1", &["limit"]),
            Some("name".to_owned())
        );
    }

    #[test]
    fn if_none_match_compares_weakly_and_accepts_a_list_or_any() {
        assert!(none_match_names("\"3\"", "\"3\""));
        assert!(none_match_names("W/\"3\"", "\"3\""));
        assert!(none_match_names("\"1\", \"3\"", "\"3\""));
        assert!(none_match_names("*", "\"3\""));
        assert!(!none_match_names("\"2\"", "\"3\""));
        assert!(!none_match_names("", "\"3\""));
    }

    #[test]
    fn a_deprecated_operation_answers_deprecation_sunset_and_a_link() {
        let mut document = crate::openapi();
        crate::openapi::deprecate(
            &mut document,
            &[crate::openapi::Deprecation {
                method: "GET",
                path: "/v1/me",
                deprecated_on: "2027-01-04",
                sunset_on: "2027-07-05",
                instead: "read GET /v1/me/v2",
            }],
        );
        let routes = Routes::from_document(&document);
        let Served::With(_, Some(sunset)) = routes.served(&Method::GET, "/v1/me") else {
            panic!("GET /v1/me is deprecated");
        };
        assert_eq!(sunset.deprecation, "@1799020800");
        assert_eq!(sunset.sunset, "Mon, 05 Jul 2027 00:00:00 GMT");
        let mut headers = header::HeaderMap::new();
        sunset.apply(&mut headers);
        let text = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(text("deprecation"), "@1799020800");
        assert_eq!(text("sunset"), "Mon, 05 Jul 2027 00:00:00 GMT");
        assert!(text("link").contains("rel=\"deprecation\""));
        // Only that operation.
        assert!(matches!(
            routes.served(&Method::GET, "/v1/reference"),
            Served::With(_, None)
        ));
        let doc = serde_json::to_value(&document).expect("json");
        let me = &doc["paths"]["/v1/me"]["get"];
        assert_eq!(me["deprecated"], true);
        assert_eq!(me["x-sunset-on"], "2027-07-05");
        assert!(
            me["description"]
                .as_str()
                .is_some_and(|d| d.starts_with("**Deprecated**"))
        );
    }

    #[test]
    fn every_deprecation_names_an_operation_and_gives_six_months() {
        let routes = routes();
        for d in crate::openapi::DEPRECATIONS {
            let method = Method::from_bytes(d.method.as_bytes()).expect("a method");
            let path = d.path.replace(['{', '}'], "");
            assert!(
                matches!(routes.served(&method, &path), Served::With(_, Some(_))),
                "{} {} is not a deprecated operation of the document",
                d.method,
                d.path
            );
            let day = |text: &str| text.parse::<chrono::NaiveDate>().expect("a date");
            assert!(
                day(d.sunset_on) >= day(d.deprecated_on) + chrono::Months::new(6),
                "{} {}: six months at least",
                d.method,
                d.path
            );
        }
    }
}
