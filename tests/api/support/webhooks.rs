//! A real HTTP receiver for webhook tests, on 127.0.0.1 with a free port: it records every
//! request and answers from a script (then with the default answer), and helpers to queue
//! messages and read the delivery log from the database.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use relais_domain::WebhookEvent;
use relais_tests::TestApp;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Value, json};
use uuid::Uuid;

/// How the receiver answers one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// This status, with a short text body.
    Status(u16),
    /// Wait, then answer this status.
    Slow(Duration, u16),
    /// `302 Found` to this path of the receiver.
    Redirect(&'static str),
}

/// A request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub at: Instant,
}

impl Received {
    /// A header's value as text.
    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }

    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

struct State {
    script: Mutex<VecDeque<Reply>>,
    default: Reply,
    received: Mutex<Vec<Received>>,
}

/// The receiver; it stops with the test's runtime.
pub struct Receiver {
    /// The webhook URL (`/hook`).
    pub url: String,
    state: Arc<State>,
}

async fn receive(req: HttpRequest, body: web::Bytes, state: web::Data<Arc<State>>) -> HttpResponse {
    let mut headers = HeaderMap::new();
    for (name, value) in req.headers() {
        headers.append(
            HeaderName::from_bytes(name.as_str().as_bytes()).unwrap(),
            HeaderValue::from_bytes(value.as_bytes()).unwrap(),
        );
    }
    state.received.lock().unwrap().push(Received {
        path: req.path().to_owned(),
        headers,
        body: body.to_vec(),
        at: Instant::now(),
    });
    let reply = state
        .script
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or_else(|| state.default.clone());
    let status = match reply {
        Reply::Status(status) => status,
        Reply::Slow(delay, status) => {
            tokio::time::sleep(delay).await;
            status
        }
        Reply::Redirect(to) => {
            return HttpResponse::Found()
                .insert_header(("location", to))
                .body("moved");
        }
    };
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
        .body(format!("answered {status}"))
}

impl Receiver {
    /// A receiver answering `script` in order, then `200`.
    pub fn start(script: Vec<Reply>) -> Receiver {
        Self::start_with_default(script, Reply::Status(200))
    }

    /// A receiver answering `script` in order, then `default`.
    pub fn start_with_default(script: Vec<Reply>, default: Reply) -> Receiver {
        let state = Arc::new(State {
            script: Mutex::new(script.into()),
            default,
            received: Mutex::new(Vec::new()),
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let data = web::Data::new(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(receive))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        Receiver {
            url: format!("http://{addr}/hook"),
            state,
        }
    }

    /// Every request so far.
    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }

    /// Waits (up to 10 s) until `n` requests have come, and answers them.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let received = self.received();
            if received.len() >= n {
                return received;
            }
            assert!(
                Instant::now() < deadline,
                "expected {n} requests, the receiver got {}",
                received.len()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// The partner's uuid.
pub fn partner_uuid(partner: &relais_tests::TestPartner) -> Uuid {
    Uuid::parse_str(&partner.id).unwrap()
}

/// Queues a `liaison.sent` message for a partner of `acme`, as a change would.
pub async fn enqueue(app: &TestApp, partner_id: Uuid) -> Uuid {
    let mut conn = app.sql.acquire().await.unwrap();
    relais_store::outbox::enqueue(
        &mut conn,
        app.org.id,
        partner_id,
        WebhookEvent::LiaisonSent,
        json!({"liaison_id": Uuid::now_v7(), "status": "sent"}),
    )
    .await
    .unwrap()
    .expect("the partner takes webhooks")
}

/// A message's status and attempts count.
pub async fn message_state(app: &TestApp, id: Uuid) -> (String, i32) {
    sqlx::query_as("SELECT status, attempts FROM webhook_messages WHERE id = $1")
        .bind(id)
        .fetch_one(&app.sql)
        .await
        .unwrap()
}

/// Waits (up to 10 s) until a message reaches `status` with at least `attempts` attempts.
pub async fn wait_for_state(app: &TestApp, id: Uuid, status: &str, attempts: i32) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (current, made) = message_state(app, id).await;
        if current == status && made >= attempts {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "message {id}: expected {status} after {attempts} attempts, it is {current} after {made}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// One logged attempt: (attempt, status code, succeeded, latency ms, error).
pub type LoggedAttempt = (i32, Option<i32>, bool, i32, Option<String>);

/// The attempts logged for a message, in order.
pub async fn attempts(app: &TestApp, id: Uuid) -> Vec<LoggedAttempt> {
    sqlx::query_as(
        "SELECT attempt, status_code, succeeded, latency_ms, error FROM webhook_attempts \
         WHERE message_id = $1 ORDER BY attempt",
    )
    .bind(id)
    .fetch_all(&app.sql)
    .await
    .unwrap()
}

/// The `webhook-id` of a message.
pub fn webhook_id(id: Uuid) -> String {
    format!("msg_{}", id.simple())
}
