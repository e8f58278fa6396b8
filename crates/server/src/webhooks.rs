//! Webhook delivery: claims due outbox messages, sends them signed per the Standard Webhooks
//! scheme, and records every attempt with what follows it (delivered, retry at, failed).
//!
//! Each request carries `webhook-id` (`msg_` + the message id, the same on every retry, so the
//! partner can drop duplicates), `webhook-timestamp` (unix seconds of the attempt) and
//! `webhook-signature` (`v1,` + base64 of HMAC-SHA256 over `{id}.{timestamp}.{body}` with the
//! partner's key, whose `whsec_` form the partner got at registration). The body is the stored
//! payload serialised once per attempt: exactly the signed bytes are sent.
//!
//! The HTTP client never follows redirects (a 3xx is a recorded failure), times out, ignores
//! proxy settings, and resolves names through a resolver that drops every address
//! `webhook_target::address_allowed` refuses, so a public name pointing at a private address
//! is refused at delivery time too; a URL with a literal address is checked before sending.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use rand::Rng;
use relais_api::webhook_target::{address_allowed, validate};
use relais_domain::webhook::{after_attempt, is_success};
use relais_store::crypto::NirVault;
use relais_store::partners::webhook_signing_key;
use relais_store::webhooks::{self as store, Claimed, NewAttempt, Recorded};
use relais_store::{Db, StoreError, db};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::redirect::Policy;
use sha2::Sha256;
use tokio::task::JoinSet;

use crate::config::WebhooksConfig;

/// The `user-agent` of every delivery.
pub const USER_AGENT: &str = concat!("Relais-Webhooks/", env!("CARGO_PKG_VERSION"));

/// Most bytes of an answer read for its excerpt.
const READ_LIMIT: usize = 4096;
/// Characters of the answer kept in the delivery log.
const EXCERPT_CHARS: usize = 1000;
/// Characters of an error kept in the delivery log.
const ERROR_CHARS: usize = 500;

/// The Standard Webhooks `webhook-id` of a message.
pub fn webhook_id(message_id: uuid::Uuid) -> String {
    format!("msg_{}", message_id.simple())
}

/// The Standard Webhooks signature: `v1,` + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")).
pub fn sign(key: &[u8], webhook_id: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC accepts keys of any length: this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC-SHA256 takes keys of any length"));
    mac.update(webhook_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    format!("v1,{signature}")
}

/// Resolves host names for deliveries, keeping only the addresses webhooks may go to.
#[derive(Debug, Clone, Copy)]
struct CheckedResolver {
    allow_loopback: bool,
}

/// A host name that resolves to no address a webhook may be delivered to.
#[derive(Debug, thiserror::Error)]
#[error(
    "{0} resolves to no address webhooks may be delivered to (private, loopback, link-local or reserved addresses are refused)"
)]
struct RefusedName(String);

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_loopback = self.allow_loopback;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let allowed: Vec<SocketAddr> = found
                .filter(|a| address_allowed(a.ip(), allow_loopback))
                .collect();
            if allowed.is_empty() {
                return Err(Box::new(RefusedName(host)) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// How the dispatcher works (from `WebhooksConfig`).
#[derive(Debug, Clone)]
pub struct DispatchSettings {
    pub allow_loopback: bool,
    pub retry_base: Duration,
    pub timeout: Duration,
    pub batch: u32,
    /// How long a claimed message is left alone while it is delivered: twice the timeout plus
    /// 30 s, so only a dispatcher that died lets another one take it.
    pub lease: Duration,
}

impl DispatchSettings {
    pub fn from_config(config: &WebhooksConfig) -> Self {
        Self {
            allow_loopback: config.allow_loopback,
            retry_base: config.retry_base,
            timeout: config.timeout,
            batch: config.batch.max(1),
            lease: config.timeout.saturating_mul(2) + Duration::from_secs(30),
        }
    }
}

/// What one attempt gave, before it is recorded.
#[derive(Debug, Clone)]
pub struct AttemptResult {
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub latency_ms: i32,
    pub status_code: Option<u16>,
    pub succeeded: bool,
    pub error: Option<String>,
    pub response_excerpt: Option<String>,
}

/// Delivers the outbox. Cheap to clone (the HTTP client and the pool are shared).
#[derive(Clone)]
pub struct Dispatcher {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    db: Db,
    vault: NirVault,
    settings: DispatchSettings,
}

impl Dispatcher {
    /// A dispatcher on `db`, signing with keys derived from `vault`.
    pub fn new(settings: DispatchSettings, db: Db, vault: NirVault) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .redirect(Policy::none())
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .no_proxy()
            .user_agent(USER_AGENT)
            .dns_resolver(Arc::new(CheckedResolver {
                allow_loopback: settings.allow_loopback,
            }))
            .build()?;
        Ok(Self {
            inner: Arc::new(Inner {
                client,
                db,
                vault,
                settings,
            }),
        })
    }

    /// The settings it runs with.
    pub fn settings(&self) -> &DispatchSettings {
        &self.inner.settings
    }

    /// Claims one batch of due messages and delivers them concurrently; answers how many were
    /// claimed. A failure to claim is returned; failures of single deliveries are logged.
    pub async fn run_once(&self) -> Result<usize, StoreError> {
        let s = &self.inner.settings;
        let mut tx = self.inner.db.background().await?;
        let claimed = store::claim_due(&mut tx, s.batch, s.lease).await?;
        db::commit(tx).await?;
        let count = claimed.len();
        let mut deliveries = JoinSet::new();
        for message in claimed {
            let this = self.clone();
            deliveries.spawn(async move { this.deliver_and_record(message).await });
        }
        while let Some(done) = deliveries.join_next().await {
            if let Err(e) = done {
                tracing::error!(error = %e, "a webhook delivery task failed");
            }
        }
        Ok(count)
    }

    async fn deliver_and_record(&self, message: Claimed) {
        let result = self.deliver(&message).await;
        let failed = u32::try_from(message.window_failures).unwrap_or(0) + 1;
        let outcome = after_attempt(
            result.succeeded,
            result.finished_at,
            failed,
            message.give_up_at,
            self.inner.settings.retry_base,
            rand::thread_rng().r#gen::<f64>(),
        );
        let attempt = NewAttempt {
            started_at: result.started_at,
            finished_at: result.finished_at,
            latency_ms: result.latency_ms,
            status_code: result.status_code.map(i32::from),
            succeeded: result.succeeded,
            error: result.error.as_deref(),
            response_excerpt: result.response_excerpt.as_deref(),
        };
        let number = message.attempts + 1;
        let recorded = async {
            let mut tx = self.inner.db.background().await?;
            let recorded = store::record_attempt(&mut tx, &message, &attempt, outcome).await?;
            if recorded == Recorded::Recorded {
                db::commit(tx).await?;
            }
            Ok::<_, StoreError>(recorded)
        }
        .await;
        match recorded {
            Ok(Recorded::Recorded) => tracing::info!(
                message_id = %message.id,
                owner = ?message.owner,
                event_type = %message.event_type,
                attempt = number,
                status_code = result.status_code,
                latency_ms = result.latency_ms,
                outcome = outcome.status().code(),
                "webhook attempt"
            ),
            Ok(Recorded::Superseded) => tracing::warn!(
                message_id = %message.id,
                attempt = number,
                "webhook attempt already recorded by another dispatcher"
            ),
            // The lease ends and another attempt is made: at least once, never lost.
            Err(e) => tracing::warn!(
                message_id = %message.id,
                attempt = number,
                error = %e,
                "could not record a webhook attempt; the message is retried after its lease"
            ),
        }
    }

    /// Sends one message to its partner and reports what happened (never an `Err`: every
    /// failure is an attempt to record).
    pub async fn deliver(&self, message: &Claimed) -> AttemptResult {
        let started_at = Utc::now();
        let clock = Instant::now();
        let (status_code, error, response_excerpt) = match self.send(message, started_at).await {
            Ok((status, excerpt)) => {
                let error = status
                    .is_redirection()
                    .then(|| format!("redirect ({}) not followed", status.as_u16()));
                (Some(status.as_u16()), error, excerpt)
            }
            Err(error) => (None, Some(error), None),
        };
        let latency_ms = i32::try_from(clock.elapsed().as_millis()).unwrap_or(i32::MAX);
        AttemptResult {
            started_at,
            finished_at: Utc::now(),
            latency_ms,
            status_code,
            succeeded: status_code.is_some_and(is_success),
            error: error.map(|e| e.chars().take(ERROR_CHARS).collect()),
            response_excerpt,
        }
    }

    /// The request itself: the answer's status and the start of its body, or why none came.
    async fn send(
        &self,
        message: &Claimed,
        started_at: DateTime<Utc>,
    ) -> Result<(reqwest::StatusCode, Option<String>), String> {
        let s = &self.inner.settings;
        let url = validate(&message.webhook_url, s.allow_loopback)
            .map_err(|e| format!("webhook URL refused ({}): {e}", e.code))?;
        let host = url.host_str().unwrap_or_default();
        let literal = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host)
            .parse::<std::net::IpAddr>()
            .ok();
        if let Some(ip) = literal
            && !address_allowed(ip, s.allow_loopback)
        {
            return Err(format!(
                "webhook URL refused: {ip} is not an allowed address"
            ));
        }
        let body = serde_json::to_vec(&message.payload)
            .map_err(|e| format!("payload not serialisable: {e}"))?;
        let id = webhook_id(message.id);
        let timestamp = started_at.timestamp();
        let key = webhook_signing_key(&self.inner.vault, &message.webhook_secret_salt);
        let signature = sign(&key, &id, timestamp, &body);
        let response = self
            .inner
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await
            .map_err(|e| self.describe(e))?;
        let status = response.status();
        let excerpt = read_excerpt(response).await;
        Ok((status, excerpt))
    }

    /// A request error as recorded: what went wrong, without the URL.
    fn describe(&self, err: reqwest::Error) -> String {
        if err.is_timeout() {
            return format!(
                "timed out after {} ms",
                self.inner.settings.timeout.as_millis()
            );
        }
        let kind = if err.is_connect() {
            "connection failed"
        } else {
            "request failed"
        };
        let err = err.without_url();
        let mut text = format!("{kind}: {err}");
        // reqwest's own message is generic: the causes say what happened (refused, reset…).
        let mut cause = std::error::Error::source(&err);
        while let Some(c) = cause {
            let part = c.to_string();
            if !text.contains(&part) {
                text.push_str(": ");
                text.push_str(&part);
            }
            cause = c.source();
        }
        text
    }
}

/// The start of an answer's body: at most [`READ_LIMIT`] bytes read, [`EXCERPT_CHARS`] kept.
async fn read_excerpt(mut response: reqwest::Response) -> Option<String> {
    let mut bytes = Vec::new();
    while bytes.len() < READ_LIMIT {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            Ok(None) | Err(_) => break,
        }
    }
    bytes.truncate(READ_LIMIT);
    if bytes.is_empty() {
        return None;
    }
    Some(
        String::from_utf8_lossy(&bytes)
            .chars()
            .take(EXCERPT_CHARS)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_matches_the_standard_webhooks_example() {
        // The example of the Standard Webhooks specification.
        let key = base64::engine::general_purpose::STANDARD
            .decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
            .unwrap_or_default();
        assert_eq!(
            sign(
                &key,
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1_614_265_330,
                br#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[tokio::test]
    async fn the_resolver_drops_addresses_webhooks_may_not_go_to() {
        use std::str::FromStr;
        let name = || Name::from_str("localhost").unwrap_or_else(|_| unreachable!());
        let refused = CheckedResolver {
            allow_loopback: false,
        }
        .resolve(name())
        .await;
        let message = refused.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.contains("no address webhooks may be delivered to"),
            "{message}"
        );
        let allowed = CheckedResolver {
            allow_loopback: true,
        }
        .resolve(name())
        .await;
        let addrs: Vec<SocketAddr> = allowed.map(|a| a.collect()).unwrap_or_default();
        assert!(!addrs.is_empty() && addrs.iter().all(|a| a.ip().is_loopback()));
    }

    #[test]
    fn the_webhook_id_is_the_message_id() {
        let id = uuid::Uuid::parse_str("0192f5e4-7b7a-7c3e-9d2a-1b2c3d4e5f60").unwrap_or_default();
        assert_eq!(webhook_id(id), "msg_0192f5e47b7a7c3e9d2a1b2c3d4e5f60");
    }
}
