//! Which URLs may receive a partner's webhooks.
//!
//! A webhook target is chosen by an administrator but called by the server, so a careless (or
//! hostile) URL could make the service call its own network: the database, a metadata service,
//! an intranet. [`validate`] is the check at registration: `https` only (plain `http` only to a
//! loopback host when development allows it), no credentials in the URL, no fragment, and a
//! literal IP address only when it is public. A host *name* is resolved only at delivery time:
//! the dispatcher's resolver checks every address with [`address_allowed`], so a public name
//! that resolves to a private address is refused too.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use reqwest::Url;

use crate::error::ApiError;

/// Longest accepted webhook URL, in characters.
pub const MAX_URL_CHARS: usize = 2000;

/// Why a webhook target is refused: a 422 pointing at `/webhook_url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetError {
    /// Stable machine code, e.g. `https_required`.
    pub code: &'static str,
    /// Human-readable explanation.
    pub message: String,
}

impl TargetError {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// The 422 of a request whose field at `pointer` holds the refused URL.
    pub fn at(&self, pointer: &str) -> ApiError {
        ApiError::invalid(pointer, self.code, self.message.clone())
    }
}

impl fmt::Display for TargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TargetError {}

impl From<TargetError> for ApiError {
    fn from(err: TargetError) -> Self {
        err.at("/webhook_url")
    }
}

/// Checks a webhook target and answers it parsed and normalised (as it is stored).
///
/// # Errors
/// A [`TargetError`] whose code names the rule broken: `too_long`, `invalid_url`,
/// `https_required`, `userinfo_not_allowed`, `fragment_not_allowed`, `loopback_not_allowed`,
/// `address_not_allowed`.
pub fn validate(url: &str, allow_loopback: bool) -> Result<Url, TargetError> {
    let too_long = || {
        TargetError::new(
            "too_long",
            format!("a webhook URL has at most {MAX_URL_CHARS} characters"),
        )
    };
    if url.chars().count() > MAX_URL_CHARS {
        return Err(too_long());
    }
    let parsed = Url::parse(url).map_err(|e| {
        TargetError::new(
            "invalid_url",
            format!("not an absolute URL ({e}), e.g. https://partner.example/webhooks"),
        )
    })?;
    if !matches!(parsed.scheme(), "https" | "http") {
        return Err(https_required());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(TargetError::new(
            "userinfo_not_allowed",
            "a webhook URL carries no user name or password: deliveries are signed instead",
        ));
    }
    if parsed.fragment().is_some() {
        return Err(TargetError::new(
            "fragment_not_allowed",
            "a webhook URL has no fragment (#…): it is never sent to the server",
        ));
    }
    // The parser has already read every numeric IPv4 form (`2130706433`, `0x7f.1`…) as the
    // address an HTTP client would call, and lower-cased names.
    let host = parsed
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| TargetError::new("invalid_url", "a webhook URL names a host"))?;
    let literal = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let loopback = match literal.parse::<IpAddr>() {
        Ok(ip) => check_literal(ip, allow_loopback)?,
        Err(_) => is_loopback_name(host),
    };
    if loopback && !allow_loopback {
        return Err(loopback_refused());
    }
    if parsed.scheme() == "http" && !loopback {
        return Err(https_required());
    }
    if parsed.as_str().chars().count() > MAX_URL_CHARS {
        return Err(too_long());
    }
    Ok(parsed)
}

fn https_required() -> TargetError {
    TargetError::new(
        "https_required",
        "a webhook URL uses https (plain http only to a loopback host in development)",
    )
}

fn loopback_refused() -> TargetError {
    TargetError::new(
        "loopback_not_allowed",
        "webhook targets on loopback are refused on this server (RELAIS_WEBHOOKS_ALLOW_LOOPBACK \
         is for development)",
    )
}

/// `localhost` and the names under it, which resolve to loopback (RFC 6761), with or without
/// the root's trailing dot. (Parsed host names are already lower case.)
fn is_loopback_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    name == "localhost" || name.ends_with(".localhost")
}

/// A literal address: whether it is loopback (which the caller allows or not), or a refusal.
fn check_literal(ip: IpAddr, allow_loopback: bool) -> Result<bool, TargetError> {
    if is_loopback(ip) {
        return Ok(true);
    }
    if address_allowed(ip, allow_loopback) {
        Ok(false)
    } else {
        Err(TargetError::new(
            "address_not_allowed",
            format!(
                "{ip} is not a public address (private, link-local, shared, reserved, \
                 multicast or documentation range)"
            ),
        ))
    }
}

/// Whether `ip` is a loopback address (an IPv4-mapped IPv6 one included).
fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// Whether the server may deliver webhooks to `ip`: a public unicast address, or a loopback
/// one when `allow_loopback` (development). Used on literal URLs and, by the dispatcher, on
/// every address a host name resolves to.
pub fn address_allowed(ip: IpAddr, allow_loopback: bool) -> bool {
    match ip {
        IpAddr::V4(v4) => v4_allowed(v4, allow_loopback),
        IpAddr::V6(v6) => v6_allowed(v6, allow_loopback),
    }
}

/// Whether `ip` lies in `base/prefix`.
fn in_v4(ip: Ipv4Addr, base: [u8; 4], prefix: u32) -> bool {
    let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(base)) & mask
}

/// IPv4 ranges that are not public unicast (IANA special-purpose registry), loopback aside.
const V4_REFUSED: &[([u8; 4], u32)] = &[
    ([0, 0, 0, 0], 8),       // "this network", the unspecified address
    ([10, 0, 0, 0], 8),      // private
    ([100, 64, 0, 0], 10),   // shared address space (carrier-grade NAT)
    ([169, 254, 0, 0], 16),  // link-local (cloud metadata services live here)
    ([172, 16, 0, 0], 12),   // private
    ([192, 0, 0, 0], 24),    // IETF protocol assignments
    ([192, 0, 2, 0], 24),    // documentation (TEST-NET-1)
    ([192, 88, 99, 0], 24),  // deprecated 6to4 relay anycast
    ([192, 168, 0, 0], 16),  // private
    ([198, 18, 0, 0], 15),   // benchmarking
    ([198, 51, 100, 0], 24), // documentation (TEST-NET-2)
    ([203, 0, 113, 0], 24),  // documentation (TEST-NET-3)
    ([224, 0, 0, 0], 4),     // multicast
    ([240, 0, 0, 0], 4),     // reserved, and the broadcast address 255.255.255.255
];

fn v4_allowed(ip: Ipv4Addr, allow_loopback: bool) -> bool {
    if ip.is_loopback() {
        return allow_loopback;
    }
    !V4_REFUSED
        .iter()
        .any(|&(base, prefix)| in_v4(ip, base, prefix))
}

/// Whether `ip` lies in `base/prefix`.
fn in_v6(ip: Ipv6Addr, base: Ipv6Addr, prefix: u32) -> bool {
    let mask = u128::MAX.checked_shl(128 - prefix).unwrap_or(0);
    u128::from(ip) & mask == u128::from(base) & mask
}

/// IPv6: loopback when allowed, an IPv4-mapped address as its IPv4 address, otherwise only
/// global unicast (`2000::/3`) outside its special-purpose blocks. Everything else — the
/// unspecified address, unique local `fc00::/7`, link-local `fe80::/10`, multicast `ff00::/8`,
/// NAT64 and the deprecated IPv4-compatible forms — is refused.
fn v6_allowed(ip: Ipv6Addr, allow_loopback: bool) -> bool {
    if ip.is_loopback() {
        return allow_loopback;
    }
    if let Some(v4) = ip.to_ipv4_mapped() {
        return v4_allowed(v4, allow_loopback);
    }
    let block = |s: &str, prefix| s.parse().is_ok_and(|base| in_v6(ip, base, prefix));
    if !block("2000::", 3) {
        return false;
    }
    if block("2001:db8::", 32) || block("2001::", 23) || block("3fff::", 20) {
        // Documentation, IETF protocol assignments (Teredo included), documentation (RFC 9637).
        return false;
    }
    if block("2002::", 16) {
        // 6to4 carries an IPv4 address in its bits 16 to 48: it must be public itself.
        let [_, a, b, _, _, _, _, _] = ip.segments();
        let [a1, a2] = a.to_be_bytes();
        let [b1, b2] = b.to_be_bytes();
        return v4_allowed(Ipv4Addr::new(a1, a2, b1, b2), false);
    }
    true
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn code(url: &str, allow_loopback: bool) -> &'static str {
        match validate(url, allow_loopback) {
            Ok(_) => "ok",
            Err(e) => e.code,
        }
    }

    fn allowed(ip: &str) -> bool {
        address_allowed(ip.parse().unwrap(), false)
    }

    #[test]
    fn a_public_https_url_is_accepted_and_normalised() {
        let url = validate("https://Partner.Example/hooks?x=1", false).unwrap();
        assert_eq!(url.as_str(), "https://partner.example/hooks?x=1");
        assert_eq!(
            validate("https://partner.example", false).unwrap().as_str(),
            "https://partner.example/"
        );
        assert_eq!(code("https://partner.example:8443/relais", false), "ok");
        assert_eq!(code("https://93.184.216.34/hooks", false), "ok");
        assert_eq!(code("https://[2606:2800:220:1::1]/hooks", false), "ok");
    }

    #[test]
    fn only_https_is_accepted_except_http_to_loopback_when_allowed() {
        assert_eq!(
            code("http://partner.example/hooks", false),
            "https_required"
        );
        assert_eq!(code("http://partner.example/hooks", true), "https_required");
        assert_eq!(code("ftp://partner.example/hooks", true), "https_required");
        assert_eq!(code("file:///etc/passwd", true), "https_required");
        assert_eq!(code("http://127.0.0.1:9000/hooks", true), "ok");
        assert_eq!(code("http://[::1]:9000/hooks", true), "ok");
        assert_eq!(code("http://localhost:9000/hooks", true), "ok");
        assert_eq!(code("https://localhost:9000/hooks", true), "ok");
    }

    #[test]
    fn loopback_is_refused_unless_allowed() {
        for url in [
            "http://127.0.0.1:9000/hooks",
            "https://127.0.0.1/hooks",
            "https://127.1.2.3/hooks",
            "https://[::1]/hooks",
            "https://[::ffff:127.0.0.1]/hooks",
            "http://localhost/hooks",
            "https://LOCALHOST./hooks",
            "https://api.localhost/hooks",
        ] {
            assert_eq!(code(url, false), "loopback_not_allowed", "{url}");
            assert_eq!(code(url, true), "ok", "{url}");
        }
        // A name that merely contains "localhost" is an ordinary name.
        assert_eq!(code("https://localhost.example/hooks", false), "ok");
        assert_eq!(code("https://mylocalhost/hooks", false), "ok");
    }

    #[test]
    fn private_and_special_literal_addresses_are_refused_even_with_loopback_allowed() {
        for url in [
            "https://10.1.2.3/",
            "https://172.16.0.1/",
            "https://172.31.255.255/",
            "https://192.168.1.10/",
            "https://169.254.169.254/latest/meta-data/",
            "https://0.0.0.0/",
            "https://100.64.0.1/",
            "https://100.127.255.255/",
            "https://224.0.0.1/",
            "https://255.255.255.255/",
            "https://192.0.2.1/",
            "https://198.51.100.7/",
            "https://203.0.113.9/",
            "https://[::]/",
            "https://[fc00::1]/",
            "https://[fd12:3456::1]/",
            "https://[fe80::1]/",
            "https://[ff02::1]/",
            "https://[2001:db8::1]/",
            "https://[::ffff:10.0.0.1]/",
            "https://[::ffff:169.254.169.254]/",
            "https://[2002:c0a8:0101::1]/",
        ] {
            assert_eq!(code(url, true), "address_not_allowed", "{url}");
        }
    }

    #[test]
    fn obfuscated_ipv4_forms_are_read_as_the_address_they_mean() {
        // The URL parser reads these as 127.0.0.1 and 10.0.0.1, as an HTTP client would.
        assert_eq!(code("https://2130706433/", false), "loopback_not_allowed");
        assert_eq!(code("https://0x7f.1/", false), "loopback_not_allowed");
        assert_eq!(code("https://012.0.0.1/", true), "address_not_allowed");
    }

    #[test]
    fn user_information_and_fragments_are_refused() {
        assert_eq!(
            code("https://user:pass@partner.example/", false),
            "userinfo_not_allowed"
        );
        assert_eq!(
            code("https://user@partner.example/", false),
            "userinfo_not_allowed"
        );
        assert_eq!(
            code("https://partner.example/hooks#frag", false),
            "fragment_not_allowed"
        );
        assert_eq!(
            code("https://partner.example/hooks#", false),
            "fragment_not_allowed"
        );
    }

    #[test]
    fn malformed_and_overlong_urls_are_refused() {
        assert_eq!(code("partner.example/hooks", false), "invalid_url");
        assert_eq!(code("https://", false), "invalid_url");
        assert_eq!(code("", false), "invalid_url");
        let long = format!("https://partner.example/{}", "a".repeat(MAX_URL_CHARS));
        assert_eq!(code(&long, false), "too_long");
        let just = format!(
            "https://partner.example/{}",
            "a".repeat(MAX_URL_CHARS - "https://partner.example/".len())
        );
        assert_eq!(code(&just, false), "ok");
        // Percent-encoding can make a URL longer than what was typed.
        let grows = format!("https://partner.example/{}", "é".repeat(600));
        assert_eq!(code(&grows, false), "too_long");
    }

    #[test]
    fn the_refusal_is_a_422_pointing_at_the_webhook_url() {
        let err = validate("http://partner.example/", false).unwrap_err();
        let api: ApiError = err.into();
        let problem = api.problem(None, None);
        assert_eq!(problem.status, 422);
        assert_eq!(problem.errors[0].pointer, "/webhook_url");
        assert_eq!(problem.errors[0].code, "https_required");
    }

    #[test]
    fn public_addresses_are_allowed_and_special_ones_are_not() {
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "93.184.216.34",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "2002:0808:0808::1",
        ] {
            assert!(allowed(ip), "{ip}");
        }
        for ip in [
            "127.0.0.1",
            "::1",
            "10.0.0.1",
            "172.20.0.1",
            "192.168.0.1",
            "169.254.0.1",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.251",
            "198.18.0.1",
            "192.0.0.8",
            "::",
            "fc00::1",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
            "2001::1",
            "64:ff9b::a00:1",
            "::ffff:192.168.0.1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!allowed(ip), "{ip}");
        }
        assert!(address_allowed("127.0.0.1".parse().unwrap(), true));
        assert!(address_allowed("::1".parse().unwrap(), true));
        assert!(address_allowed("::ffff:127.0.0.1".parse().unwrap(), true));
        assert!(!address_allowed("10.0.0.1".parse().unwrap(), true));
    }
}
