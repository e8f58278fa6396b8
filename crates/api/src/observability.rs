//! Request ids, a tracing span per request, Prometheus metrics, and problem documents that
//! name their request and speak its language.

use std::sync::Arc;
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody, to_bytes};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry,
};
use tracing::Instrument;
use uuid::Uuid;

use crate::error::{FrenchProblem, PROBLEM_JSON};
use crate::language::Language;

/// How many path shapes [`Metrics::route`] remembers: the API's routes, with room for the
/// shapes of unknown paths, which push each other out.
const ROUTE_SHAPES: usize = 512;

/// A path with each segment that is a UUID replaced by `{}`.
fn path_shape(path: &str) -> String {
    let mut shape = String::with_capacity(path.len());
    for (i, segment) in path.split('/').enumerate() {
        if i > 0 {
            shape.push('/');
        }
        if Uuid::try_parse(segment).is_ok() {
            shape.push_str("{}");
        } else {
            shape.push_str(segment);
        }
    }
    shape
}

/// The header carrying the request id, both ways.
pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the current request, in the request's extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The service's Prometheus metrics.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    pool: IntGaugeVec,
    outbox_pending: prometheus::IntGauge,
    outbox_lag: prometheus::Gauge,
    begun: prometheus::IntCounter,
    begin_wait: prometheus::Counter,
    begin_timeouts: prometheus::IntCounter,
    job_age: prometheus::GaugeVec,
    job_running: IntGaugeVec,
    /// Held while the pool's counters catch up with the store's totals, so that two scrapes at
    /// once do not both add the same difference.
    catch_up: std::sync::Mutex<()>,
    /// The route of each path shape met lately (see [`Metrics::route`]).
    routes: quick_cache::sync::Cache<String, Arc<str>>,
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> Self {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "relais_http_requests_total",
                "HTTP requests by route, method and status",
            ),
            &["route", "method", "status"],
        )
        .unwrap_or_else(|e| unreachable!("static metric definition: {e}"));
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "relais_http_request_duration_seconds",
                "HTTP request latency",
            )
            .buckets(vec![
                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["route", "method"],
        )
        .unwrap_or_else(|e| unreachable!("static metric definition: {e}"));
        let pool = IntGaugeVec::new(
            Opts::new(
                "relais_db_pool_connections",
                "Database pool connections by state",
            ),
            &["state"],
        )
        .unwrap_or_else(|e| unreachable!("static metric definition: {e}"));
        let outbox_pending = prometheus::IntGauge::new(
            "relais_webhook_outbox_pending",
            "Webhook messages waiting to be delivered (all organisations)",
        )
        .unwrap_or_else(|e| unreachable!("static metric definition: {e}"));
        let outbox_lag = prometheus::Gauge::new(
            "relais_webhook_outbox_lag_seconds",
            "How long the oldest webhook message due for delivery has waited (0: none due)",
        )
        .unwrap_or_else(|e| unreachable!("static metric definition: {e}"));
        let begun = prometheus::IntCounter::new(
            "relais_db_transactions_begun_total",
            "Transactions begun (requests and background work)",
        )
        .unwrap_or_else(|e| unreachable!("static metric definition: {e}"));
        let begin_wait = prometheus::Counter::new(
            "relais_db_begin_wait_seconds_total",
            "Time spent getting a pooled connection and beginning, in all: divided by the \
             transactions begun, the mean wait (about 0.1 ms when no request waits for a connection)",
        )
        .unwrap_or_else(|e| unreachable!("static metric definition: {e}"));
        let begin_timeouts = prometheus::IntCounter::new(
            "relais_db_pool_timeouts_total",
            "Requests that found no free connection within the acquire timeout (answered 503)",
        )
        .unwrap_or_else(|e| unreachable!("static metric definition: {e}"));
        let job_age = prometheus::GaugeVec::new(
            Opts::new(
                "relais_job_last_success_age_seconds",
                "Seconds since a periodic job last succeeded on any replica",
            ),
            &["job"],
        )
        .unwrap_or_else(|e| unreachable!("static metric definition: {e}"));
        let job_running = IntGaugeVec::new(
            Opts::new(
                "relais_job_running",
                "Whether a replica holds the job's lease now (1) or not (0)",
            ),
            &["job"],
        )
        .unwrap_or_else(|e| unreachable!("static metric definition: {e}"));
        for collector in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(latency.clone()),
            Box::new(pool.clone()),
            Box::new(outbox_pending.clone()),
            Box::new(outbox_lag.clone()),
            Box::new(begun.clone()),
            Box::new(begin_wait.clone()),
            Box::new(begin_timeouts.clone()),
            Box::new(job_age.clone()),
            Box::new(job_running.clone()),
        ] {
            // Names are distinct constants: registration cannot clash.
            let _ = registry.register(collector);
        }
        Self {
            registry,
            requests,
            latency,
            pool,
            outbox_pending,
            outbox_lag,
            begun,
            begin_wait,
            begin_timeouts,
            job_age,
            job_running,
            catch_up: std::sync::Mutex::new(()),
            routes: quick_cache::sync::Cache::new(ROUTE_SHAPES),
        }
    }

    /// The route pattern a request's path matches (`/v1/cases/{id}`), or `unmatched`: the label
    /// of its metrics and log line. actix finds it by trying each resource's pattern in turn;
    /// the answer depends on the path's shape only, the path with its UUIDs (the ids of the
    /// API: no literal segment looks like one) set aside, so it is remembered by shape.
    fn route(&self, req: &ServiceRequest) -> Arc<str> {
        let shape = path_shape(req.path());
        if let Some(route) = self.routes.get(&shape) {
            return route;
        }
        let route: Arc<str> = req.match_pattern().as_deref().unwrap_or("unmatched").into();
        self.routes.insert(shape, route.clone());
        route
    }

    fn observe(&self, route: &str, method: &str, status: u16, seconds: f64) {
        self.requests
            .with_label_values(&[route, method, &status.to_string()])
            .inc();
        self.latency
            .with_label_values(&[route, method])
            .observe(seconds);
    }

    /// The text exposition, with the pool's figures read now and the database's as last read
    /// (`None` when the database could not say: those gauges keep their last values).
    pub fn render(&self, scrape: Scrape) -> Vec<u8> {
        let Scrape {
            in_use,
            idle,
            begins,
            outbox,
            jobs,
        } = scrape;
        if let Some(outbox) = outbox {
            self.outbox_pending.set(outbox.pending);
            self.outbox_lag.set(outbox.lag_seconds);
        }
        if let Some(jobs) = jobs {
            let now = chrono::Utc::now();
            for job in jobs {
                if let Some(at) = job.last_succeeded_at {
                    let age = (now - at).num_milliseconds().max(0) as f64 / 1000.0;
                    self.job_age.with_label_values(&[job.job.as_str()]).set(age);
                }
                self.job_running
                    .with_label_values(&[job.job.as_str()])
                    .set(i64::from(job.running));
            }
        }
        // The store's totals only grow: each counter catches up with its total, one scrape at
        // a time (a scrape holding older totals than the last adds nothing).
        let guard = self
            .catch_up
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.begun
            .inc_by(begins.begun.saturating_sub(self.begun.get()));
        self.begin_timeouts
            .inc_by(begins.timed_out.saturating_sub(self.begin_timeouts.get()));
        let waited = begins.waited_seconds - self.begin_wait.get();
        if waited > 0.0 {
            self.begin_wait.inc_by(waited);
        }
        drop(guard);
        self.pool
            .with_label_values(&["in_use"])
            .set(i64::from(in_use));
        self.pool.with_label_values(&["idle"]).set(i64::from(idle));
        let mut out = Vec::new();
        let _ = prometheus::TextEncoder::new().encode(&self.registry.gather(), &mut out);
        out
    }
}

/// What a scrape of `/metrics` read.
#[derive(Debug, Clone)]
pub struct Scrape {
    /// Pool connections in use and idle.
    pub in_use: u32,
    pub idle: u32,
    pub begins: relais_store::db::BeginStats,
    pub outbox: Option<relais_store::webhooks::OutboxState>,
    pub jobs: Option<Vec<relais_store::jobs::JobState>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

fn request_id_of(req: &ServiceRequest) -> String {
    req.headers()
        .get(&X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
        .unwrap_or_else(|| Uuid::now_v7().to_string())
}

/// The French words of a problem document, swapped in for its English ones. Only `title`,
/// `detail` and each `errors[].message` change; a document whose `errors` do not match the
/// French messages one for one keeps its English messages.
fn speak_french(doc: &mut serde_json::Value, french: &FrenchProblem) {
    use serde_json::Value;
    doc["title"] = Value::String(french.title.to_owned());
    doc["detail"] = Value::String(french.detail.clone());
    if let Some(errors) = doc.get_mut("errors").and_then(Value::as_array_mut)
        && errors.len() == french.messages.len()
    {
        for (error, message) in errors.iter_mut().zip(&french.messages) {
            error["message"] = Value::String(message.clone());
        }
    }
}

/// The outermost middleware: id, span, metrics, and the finishing touches of problem bodies
/// (their request's path and id, and their language).
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let started = Instant::now();
    let request_id = request_id_of(&req);
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let method = req.method().to_string();
    let path = req.path().to_owned();
    let language = Language::preferred(
        req.headers()
            .get_all(header::ACCEPT_LANGUAGE)
            .filter_map(|v| v.to_str().ok()),
    );
    let metrics = req
        .app_data::<actix_web::web::Data<Metrics>>()
        .map(|m| m.clone().into_inner());
    let route = match &metrics {
        Some(metrics) => metrics.route(&req),
        None => req.match_pattern().as_deref().unwrap_or("unmatched").into(),
    };
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %method,
        route = &*route,
        status = tracing::field::Empty,
    );
    let result = next.call(req).instrument(span.clone()).await;
    let mut res = match result {
        Ok(res) => res.map_into_boxed_body(),
        Err(err) => {
            // Errors that escaped every handler still become a response here.
            return Err(err);
        }
    };
    let status = res.status();
    span.record("status", status.as_u16());
    let _entered = span.enter();
    if status.is_server_error() {
        tracing::error!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "request finished"
        );
    } else {
        tracing::info!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "request finished"
        );
    }
    if let Some(metrics) = metrics {
        metrics.observe(
            &route,
            &method,
            status.as_u16(),
            started.elapsed().as_secs_f64(),
        );
    }
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        res.headers_mut().insert(X_REQUEST_ID.clone(), value);
    }
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == PROBLEM_JSON.as_bytes());
    if !is_problem {
        return Ok(res);
    }
    let (http_req, response) = res.into_parts();
    let (mut response, body) = response.into_parts();
    let bytes = to_bytes(body).await.unwrap_or_default();
    // The French words come with the problem (see `ApiError::error_response`). A problem
    // without them is English: an idempotent replay answers the bytes stored at the first
    // answer as they were (in English, stored before this layer), whatever the retry asks.
    let french = match language {
        Language::Fr => response.extensions_mut().remove::<FrenchProblem>(),
        Language::En => None,
    };
    let mut spoken = Language::En;
    let body = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(mut doc) => {
            doc["instance"] = serde_json::Value::String(path);
            doc["request_id"] = serde_json::Value::String(request_id);
            if let Some(french) = &french {
                speak_french(&mut doc, french);
                spoken = Language::Fr;
            }
            serde_json::to_vec(&doc).unwrap_or_else(|_| bytes.to_vec())
        }
        Err(_) => bytes.to_vec(),
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(spoken.tag()),
    );
    headers.append(header::VARY, HeaderValue::from_static("accept-language"));
    let response = response.set_body(BoxBody::new(body));
    Ok(ServiceResponse::new(http_req, response))
}

#[cfg(test)]
mod tests {
    use super::path_shape;

    #[test]
    fn a_path_shape_sets_its_uuids_aside_and_keeps_everything_else() {
        assert_eq!(
            path_shape("/v1/cases/01a244cc-1665-773d-a23b-4cac607b00ea/plan/items"),
            "/v1/cases/{}/plan/items"
        );
        assert_eq!(path_shape("/v1/persons/search"), "/v1/persons/search");
        assert_eq!(path_shape("/v1/cases/not-an-id"), "/v1/cases/not-an-id");
        assert_eq!(path_shape("/"), "/");
    }
}
