//! Rate limits (OPERATIONS.md): each client — a token's organisation and subject, or the
//! address of a request without a valid token — has a budget of requests that refills
//! continuously (GCRA: `per_minute` a minute, at most `burst` at once). Every limited answer
//! says where the client stands (`RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`,
//! draft-ietf-httpapi-ratelimit-headers); a request beyond it is refused with `429` and
//! `Retry-After`, before any work. The token endpoint is stricter: a client id whose secret was
//! wrong `token_failures_per_minute` times is refused, right secret or not, until the budget
//! refills.
//!
//! The budgets live in each server process: with N replicas behind a load balancer a client
//! may get up to N times the budget. Health probes and metrics are not limited.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, ResponseError};
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::context::authenticate;
use crate::error::ApiError;
use crate::state::AppState;

/// The limits; `per_minute: 0` turns the request limit off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitSettings {
    /// Requests a client may make a minute, on average.
    pub per_minute: u32,
    /// Requests a client may make at once (the budget when full).
    pub burst: u32,
    /// Failed client authentications a client id may have a minute at the token endpoint.
    pub token_failures_per_minute: u32,
    /// Key anonymous requests by the client address a trusted proxy gives (`Forwarded`,
    /// `X-Forwarded-For`) rather than by the connection's peer.
    pub trust_forwarded: bool,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            per_minute: 1200,
            burst: 200,
            token_failures_per_minute: 10,
            trust_forwarded: false,
        }
    }
}

/// Whom a budget belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Client {
    /// A verified token: its organisation and subject.
    Subject(String, String),
    /// A request without a valid token: its address.
    Address(IpAddr),
}

type Limiter<K> = RateLimiter<
    K,
    governor::state::keyed::DefaultKeyedStateStore<K>,
    DefaultClock,
    StateInformationMiddleware,
>;

/// The budgets of this process.
pub struct RateLimits {
    settings: RateLimitSettings,
    /// The budget when full, as the quota holds it (`burst`, or `per_minute` when 0).
    burst: u64,
    requests: Option<Limiter<Client>>,
    token_failures: Option<DefaultKeyedRateLimiter<String>>,
    /// Client ids refused at the token endpoint, and until when.
    locked: quick_cache::sync::Cache<String, Instant>,
    clock: DefaultClock,
    /// Limited requests so far: every so often, budgets full again are forgotten.
    seen: AtomicU64,
}

/// The paths no budget applies to: the health probes and the metrics.
pub const EXEMPT: [&str; 3] = ["/healthz", "/readyz", "/metrics"];

/// Forget full budgets every this many requests (they would grow with every address seen).
const SWEEP_EVERY: u64 = 4096;

impl RateLimits {
    pub fn new(settings: RateLimitSettings) -> Self {
        let burst = NonZeroU32::new(settings.burst)
            .or(NonZeroU32::new(settings.per_minute))
            .map_or(1, NonZeroU32::get);
        let requests = NonZeroU32::new(settings.per_minute).map(|per_minute| {
            let burst = NonZeroU32::new(burst).unwrap_or(per_minute);
            RateLimiter::keyed(Quota::per_minute(per_minute).allow_burst(burst))
                .with_middleware::<StateInformationMiddleware>()
        });
        let token_failures = NonZeroU32::new(settings.token_failures_per_minute)
            .map(|n| RateLimiter::keyed(Quota::per_minute(n)));
        Self {
            settings,
            burst: u64::from(burst),
            requests,
            token_failures,
            locked: quick_cache::sync::Cache::new(10_000),
            clock: DefaultClock::default(),
            seen: AtomicU64::new(0),
        }
    }

    /// Until when `client_id` is refused at the token endpoint, if it is.
    pub fn token_locked(&self, client_id: &str) -> Option<Duration> {
        let until = self.locked.get(client_id)?;
        let now = Instant::now();
        (until > now).then(|| until - now)
    }

    /// Counts a failed client authentication of `client_id`; answers how long it is now
    /// refused when that was one too many.
    pub fn token_failed(&self, client_id: &str) -> Option<Duration> {
        let limiter = self.token_failures.as_ref()?;
        let refused = limiter.check_key(&client_id.to_owned()).err()?;
        let wait = refused.wait_time_from(self.clock.now());
        self.locked
            .insert(client_id.to_owned(), Instant::now() + wait);
        Some(wait)
    }

    fn sweep(&self) {
        if self.seen.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            if let Some(requests) = &self.requests {
                requests.retain_recent();
            }
            if let Some(failures) = &self.token_failures {
                failures.retain_recent();
            }
        }
    }
}

/// The client a request counts against.
async fn client(req: &HttpRequest, trust_forwarded: bool) -> Client {
    if let Ok(principal) = authenticate(req).await {
        return Client::Subject(principal.org_slug, principal.subject);
    }
    let forwarded = trust_forwarded
        .then(|| {
            req.connection_info()
                .realip_remote_addr()
                .and_then(|a| a.parse::<IpAddr>().ok())
        })
        .flatten();
    Client::Address(
        forwarded
            .or_else(|| req.peer_addr().map(|a| a.ip()))
            .unwrap_or(IpAddr::from([0, 0, 0, 0])),
    )
}

/// `Retry-After` for a wait: whole seconds, at least one.
pub fn retry_after(wait: Duration) -> HeaderValue {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    HeaderValue::from(seconds.max(1))
}

/// `RateLimit-Limit`: the client's budget when full.
pub const LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
/// `RateLimit-Remaining`: what is left of it after this request.
pub const REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
/// `RateLimit-Reset`: seconds until it is full again.
pub const RESET: HeaderName = HeaderName::from_static("ratelimit-reset");

/// The middleware: counts the request against its client's budget, refuses it with `429`
/// when the budget is spent, and adds the `RateLimit-*` headers to every limited answer.
pub async fn limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let exempt = EXEMPT.contains(&req.path());
    let Some(state) = req.app_data::<actix_web::web::Data<AppState>>().cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let limits = &state.rate_limits;
    let Some(requests) = limits.requests.as_ref().filter(|_| !exempt) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    limits.sweep();
    let who = client(req.request(), limits.settings.trust_forwarded).await;
    let burst = limits.burst;
    // Seconds one request's worth of budget takes to come back.
    let refill = 60.0 / f64::from(limits.settings.per_minute.max(1));
    match requests.check_key(&who) {
        Ok(snapshot) => {
            let remaining = u64::from(snapshot.remaining_burst_capacity());
            let mut response = next.call(req).await?.map_into_boxed_body();
            let reset = ((burst.saturating_sub(remaining)) as f64 * refill).ceil() as u64;
            let headers = response.headers_mut();
            headers.insert(LIMIT, HeaderValue::from(burst));
            headers.insert(REMAINING, HeaderValue::from(remaining));
            headers.insert(RESET, HeaderValue::from(reset));
            Ok(response)
        }
        Err(refused) => {
            let wait = refused.wait_time_from(limits.clock.now());
            tracing::info!(?who, wait_ms = wait.as_millis(), "rate limited");
            let mut response = ApiError::TooManyRequests.error_response();
            let headers = response.headers_mut();
            headers.insert(header::RETRY_AFTER, retry_after(wait));
            headers.insert(LIMIT, HeaderValue::from(burst));
            headers.insert(REMAINING, HeaderValue::from(0u64));
            headers.insert(RESET, retry_after(wait));
            Ok(req.into_response(response))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(
            retry_after(Duration::from_millis(1)),
            HeaderValue::from(1u64)
        );
        assert_eq!(
            retry_after(Duration::from_millis(1500)),
            HeaderValue::from(2u64)
        );
        assert_eq!(retry_after(Duration::from_secs(6)), HeaderValue::from(6u64));
        assert_eq!(retry_after(Duration::ZERO), HeaderValue::from(1u64));
    }

    #[test]
    fn a_client_id_is_locked_after_too_many_failures_and_another_is_not() {
        let limits = RateLimits::new(RateLimitSettings {
            token_failures_per_minute: 3,
            ..RateLimitSettings::default()
        });
        for _ in 0..3 {
            assert_eq!(limits.token_failed("rp_a"), None);
        }
        assert_eq!(
            limits.token_locked("rp_a"),
            None,
            "three failures are allowed"
        );
        let wait = limits
            .token_failed("rp_a")
            .expect("the fourth is one too many");
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        assert!(limits.token_locked("rp_a").is_some());
        assert_eq!(limits.token_locked("rp_b"), None);
    }

    #[test]
    fn a_burst_of_zero_is_the_per_minute_budget_and_says_so() {
        let limits = RateLimits::new(RateLimitSettings {
            per_minute: 30,
            burst: 0,
            ..RateLimitSettings::default()
        });
        assert_eq!(limits.burst, 30);
        let requests = limits.requests.as_ref().expect("a limit of 30 a minute");
        let key = Client::Address(IpAddr::from([127, 0, 0, 1]));
        for _ in 0..30 {
            assert!(requests.check_key(&key).is_ok());
        }
        assert!(
            requests.check_key(&key).is_err(),
            "the 31st at once is one too many"
        );
    }

    #[test]
    fn zero_turns_the_limits_off() {
        let limits = RateLimits::new(RateLimitSettings {
            per_minute: 0,
            token_failures_per_minute: 0,
            ..RateLimitSettings::default()
        });
        assert!(limits.requests.is_none());
        for _ in 0..100 {
            assert_eq!(limits.token_failed("rp_a"), None);
        }
    }
}
