//! Cross-origin requests from the browser front ends of configured origins
//! (`RELAIS_CORS_ORIGINS`; none by default, so no browser page of another origin may call).

use actix_cors::Cors;
use actix_web::http::header;
use actix_web::http::{Method, uri::Authority};

use crate::idempotency::{IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED};
use crate::observability::X_REQUEST_ID;

/// How long a browser may keep a preflight's answer, in seconds.
const PREFLIGHT_MAX_AGE: usize = 3600;

/// An origin as a browser sends it (`https://intranet.example.org`, `http://localhost:5173`):
/// its canonical form, or why it is not one.
pub fn parse_origin(origin: &str) -> Result<String, String> {
    let origin = origin.trim();
    let (scheme, authority) = origin
        .split_once("://")
        .ok_or_else(|| format!("{origin:?} is not an origin (scheme://host[:port])"))?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return Err(format!("{origin:?}: the scheme must be https or http"));
    }
    let port_valid = match authority.rsplit_once(':') {
        Some((_, port)) if !authority.ends_with(']') => port.parse::<u16>().is_ok(),
        _ => true,
    };
    let valid = !authority.is_empty()
        && !authority.contains(['/', '?', '#', '@', '*'])
        && port_valid
        && authority.parse::<Authority>().is_ok();
    if !valid {
        return Err(format!(
            "{origin:?} is not an origin: a scheme, a host and an optional port, no path"
        ));
    }
    Ok(format!("{scheme}://{}", authority.to_ascii_lowercase()))
}

/// The CORS middleware for `origins` (each in canonical form, see [`parse_origin`]): their
/// preflights are answered, and their pages may read the headers the API documents.
pub fn middleware(origins: &[String]) -> Cors {
    let request_headers = [
        header::AUTHORIZATION,
        header::ACCEPT,
        header::ACCEPT_LANGUAGE,
        header::CONTENT_TYPE,
        header::IF_MATCH,
        header::IF_NONE_MATCH,
        IDEMPOTENCY_KEY.clone(),
        X_REQUEST_ID.clone(),
    ];
    let response_headers = [
        header::ETAG,
        header::LOCATION,
        header::CONTENT_DISPOSITION,
        header::RETRY_AFTER,
        X_REQUEST_ID.clone(),
        IDEMPOTENT_REPLAYED.clone(),
        crate::rate_limit::LIMIT,
        crate::rate_limit::REMAINING,
        crate::rate_limit::RESET,
    ];
    origins.iter().fold(
        Cors::default()
            .allowed_methods([
                Method::GET,
                Method::HEAD,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allowed_headers(request_headers)
            .expose_headers(response_headers)
            .max_age(PREFLIGHT_MAX_AGE),
        |cors, origin| cors.allowed_origin(origin),
    )
}

#[cfg(test)]
mod tests {
    use super::parse_origin;

    #[test]
    fn an_origin_is_a_scheme_a_host_and_a_port() {
        assert_eq!(
            parse_origin(" https://Intranet.Example.org ").as_deref(),
            Ok("https://intranet.example.org")
        );
        assert_eq!(
            parse_origin("http://localhost:5173").as_deref(),
            Ok("http://localhost:5173")
        );
        assert_eq!(
            parse_origin("http://[::1]:8080").as_deref(),
            Ok("http://[::1]:8080")
        );
        for bad in [
            "intranet.example.org",
            "ftp://example.org",
            "https://example.org/",
            "https://example.org/app",
            "https://",
            "https://*.example.org",
            "https://user@example.org",
            "https://example.org:port",
        ] {
            assert!(parse_origin(bad).is_err(), "{bad} was accepted");
        }
    }
}
