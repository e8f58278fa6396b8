//! Black-box tests of the `relais` binary: `token`, `org create`, `migrate` and `serve` in
//! embedded mode, each in a data directory of its own, with an environment cleared of any
//! `DATABASE_URL` and `RELAIS_*` setting of the developer's shell.
//!
//! Every wait is bounded, so that a hang fails the test instead of blocking CI; whatever a
//! failing test leaves running (the server, its PostgreSQL) is stopped when it unwinds.

#![allow(clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

const RELAIS: &str = env!("CARGO_BIN_EXE_relais");
/// A short command (`token`, `org create`, `migrate`), including a cluster start and stop.
const RUN_TIMEOUT: Duration = Duration::from_secs(120);
/// `serve` up to its "Press Ctrl-C" line: initdb on first use, then the cluster's start.
const START_TIMEOUT: Duration = Duration::from_secs(120);
/// SIGTERM to exit: the HTTP server drains, then the embedded PostgreSQL stops.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);
const DAY: i64 = 24 * 3600;
const DEMO_ROLES: [(&str, &str); 5] = [
    ("worker", "alice"),
    ("supervisor", "sophie"),
    ("reception", "rachid"),
    ("admin", "adele"),
    ("dpo", "dominique"),
];

/// A fresh temporary directory holding a data directory (`data/`, created by relais).
struct Sandbox {
    root: TempDir,
    data: PathBuf,
}

impl Sandbox {
    fn new() -> Self {
        // Under /tmp for a short socket path; 0755 because, as root, PostgreSQL runs as an
        // unprivileged account that must traverse every parent of the data directory.
        let root = tempfile::Builder::new()
            .prefix("relais-cli-")
            .tempdir_in("/tmp")
            .unwrap();
        std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let data = root.path().join("data");
        Sandbox { root, data }
    }

    /// `relais <args>` with only this sandbox's settings, plus `env`.
    fn command(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut cmd = Command::new(RELAIS);
        for (key, _) in std::env::vars_os() {
            if key
                .to_str()
                .is_some_and(|k| k == "DATABASE_URL" || k.starts_with("RELAIS_"))
            {
                cmd.env_remove(&key);
            }
        }
        cmd.args(args)
            .current_dir(self.root.path())
            .env("RELAIS_DATA_DIR", &self.data)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .kill_on_drop(true);
        cmd
    }

    /// Runs `relais <args>` to completion (bounded) and returns its output.
    async fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let output = self.command(args, env).output();
        tokio::time::timeout(RUN_TIMEOUT, output)
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "`relais {}` did not finish within {RUN_TIMEOUT:?}",
                    args.join(" ")
                )
            })
            .unwrap()
    }

    /// Runs `relais` with `args` (no extra environment), which must succeed (`what` names it
    /// in the failure); answers what it printed.
    async fn succeeded(&self, args: &[&str], what: &str) -> String {
        let output = self.run(args, &[]).await;
        assert_success(&output, what);
        stdout(&output)
    }

    fn pgdata(&self) -> PathBuf {
        self.data.join("pgdata")
    }

    /// The pid recorded in `postmaster.pid`, if the file is there.
    fn postmaster_pid(&self) -> Option<u32> {
        let text = std::fs::read_to_string(self.pgdata().join("postmaster.pid")).ok()?;
        text.lines().next()?.trim().parse().ok()
    }

    /// Command lines of the live processes mentioning the data directory (`pgrep -f`, without
    /// depending on procps): the postmaster carries `-D <data>/pgdata`.
    fn processes_using_data_dir(&self) -> Vec<String> {
        let needle = self.data.to_string_lossy().into_owned();
        let own = std::process::id().to_string();
        let mut found = Vec::new();
        for entry in std::fs::read_dir("/proc").unwrap().filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.bytes().all(|b| b.is_ascii_digit()) || name == own {
                continue;
            }
            let Ok(raw) = std::fs::read(entry.path().join("cmdline")) else {
                continue; // gone meanwhile
            };
            let cmdline = String::from_utf8_lossy(&raw).replace('\0', " ");
            if cmdline.contains(&needle) {
                found.push(format!("{name}: {}", cmdline.trim()));
            }
        }
        found
    }

    /// Nothing runs on this data directory any more (waits briefly for stragglers to vanish).
    async fn assert_no_postgres_left(&self, after: &str) {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let left = self.processes_using_data_dir();
            if left.is_empty() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "PostgreSQL still runs on {} after {after}: {left:#?}",
                self.data.display()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(
            !self.pgdata().join("postmaster.pid").exists(),
            "{} still has a postmaster.pid after {after}: the cluster was not stopped cleanly",
            self.pgdata().display()
        );
    }

    /// The development signing secret relais keeps in the data directory.
    fn dev_secret(&self) -> String {
        let path = self.data.join("dev-signing-secret");
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
            .trim()
            .to_owned()
    }
}

impl Drop for Sandbox {
    /// A test that failed half-way may leave the cluster running: stop it (fast shutdown,
    /// then kill) before the directory goes.
    fn drop(&mut self) {
        let Some(pid) = self.postmaster_pid() else {
            return;
        };
        let pid = pid.to_string();
        // Only our postmaster: its command line names the data directory (a zombie's, or an
        // unrelated process's that reused a stale pid, does not).
        let needle = self.data.to_string_lossy().into_owned();
        let alive = || {
            std::fs::read(Path::new("/proc").join(&pid).join("cmdline"))
                .is_ok_and(|raw| String::from_utf8_lossy(&raw).contains(&needle))
        };
        if !alive() {
            return;
        }
        let _ = std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while alive() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        if alive() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", &pid])
                .status();
        }
    }
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Panics with the command's output unless it succeeded.
fn assert_success(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} failed ({}):\nstdout:\n{}\nstderr:\n{}",
        output.status,
        stdout(output),
        stderr(output)
    );
}

/// `relais org create` of the organisation `other`.
const CREATE_OTHER: [&str; 6] = [
    "org",
    "create",
    "--slug",
    "other",
    "--name",
    "CCAS d'Ailleurs",
];

/// Panics unless `what` failed; answers what it wrote on stderr.
fn assert_failure(output: &Output, what: &str) -> String {
    assert!(
        !output.status.success(),
        "{what} must fail: {}",
        stdout(output)
    );
    stderr(output)
}

/// Verifies a development token with `secret` and returns its claims.
fn verify(token: &str, secret: &str) -> Value {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_issuer(&["relais-dev"]);
    validation.set_audience(&["relais"]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    decode::<Value>(
        token,
        &DecodingKey::from_secret(secret.as_bytes()),
        &validation,
    )
    .unwrap_or_else(|e| panic!("the token does not verify with the data directory's secret: {e}"))
    .claims
}

/// Seconds from now until the token's `exp`.
fn seconds_left(claims: &Value) -> i64 {
    claims["exp"].as_i64().unwrap() - chrono::Utc::now().timestamp()
}

/// A valid NIR: the first 13 characters and their key.
fn nir(first13: &str) -> String {
    let n: u64 = first13.parse().unwrap();
    format!("{first13}{:02}", 97 - n % 97)
}

/// Sends `request` and answers its JSON body, once its status is checked (`what` names the
/// request in the failure).
async fn answered(request: reqwest::RequestBuilder, status: u16, what: &str) -> Value {
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), status, "{what}");
    response.json().await.unwrap()
}

fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(HTTP_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A running `relais serve`, its printed base URL and demo tokens, and everything it wrote.
struct Server {
    child: Child,
    base: String,
    /// (role, subject, token) of the "Development tokens" block.
    tokens: Vec<(String, String, String)>,
    transcript: Arc<Mutex<String>>,
}

impl Server {
    /// Starts `relais serve` on a free port and reads its banner (bounded).
    async fn start(sandbox: &Sandbox) -> Server {
        let mut child = sandbox
            .command(&["serve"], &[("RELAIS_LISTEN", "127.0.0.1:0")])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let transcript = Arc::new(Mutex::new(String::new()));
        let (lines, mut received) = mpsc::unbounded_channel();
        // Keep draining both pipes for the server's whole life, so its logging never blocks.
        pump(
            child.stdout.take().unwrap(),
            "",
            transcript.clone(),
            Some(lines),
        );
        pump(
            child.stderr.take().unwrap(),
            "stderr| ",
            transcript.clone(),
            None,
        );

        let deadline = tokio::time::Instant::now() + START_TIMEOUT;
        let mut base = None;
        let mut tokens = Vec::new();
        loop {
            let line = match tokio::time::timeout_at(deadline, received.recv()).await {
                Ok(Some(line)) => line,
                Ok(None) => {
                    let status = tokio::time::timeout(STOP_TIMEOUT, child.wait()).await;
                    panic!(
                        "relais serve ended before it was ready ({status:?}):\n{}",
                        transcript.lock().unwrap()
                    );
                }
                Err(_) => panic!(
                    "relais serve was not ready within {START_TIMEOUT:?}:\n{}",
                    transcript.lock().unwrap()
                ),
            };
            if let Some((_, rest)) = line.split_once("Relais is listening on ") {
                base = Some(rest.trim().to_owned());
            } else if line.starts_with("Press Ctrl-C to stop") {
                break;
            } else if base.is_some()
                && let Some(token) = parse_token_line(&line)
            {
                tokens.push(token);
            }
        }
        let base = base.unwrap_or_else(|| {
            panic!(
                "no \"Relais is listening on\" line:\n{}",
                transcript.lock().unwrap()
            )
        });
        assert!(
            base.starts_with("http://127.0.0.1:") && !base.ends_with(":0"),
            "the printed URL should carry the port actually bound: {base}"
        );
        Server {
            child,
            base,
            tokens,
            transcript,
        }
    }

    /// A GET of `path` with the bearer `token`.
    fn get_as(&self, client: &reqwest::Client, path: &str, token: &str) -> reqwest::RequestBuilder {
        client.get(self.url(path)).bearer_auth(token)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn token(&self, role: &str) -> &str {
        self.tokens
            .iter()
            .find(|(r, _, _)| r == role)
            .map(|(_, _, token)| token.as_str())
            .unwrap_or_else(|| panic!("no printed token for {role}: {:?}", self.tokens))
    }

    fn transcript(&self) -> String {
        self.transcript.lock().unwrap().clone()
    }

    /// SIGTERM, then the process must exit successfully within [`STOP_TIMEOUT`].
    async fn terminate(mut self) {
        let pid = self.child.id().expect("relais serve already reaped");
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        assert!(sent.success(), "kill -TERM {pid} failed");
        let started = Instant::now();
        let status = tokio::time::timeout(STOP_TIMEOUT, self.child.wait())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "relais serve still runs {STOP_TIMEOUT:?} after SIGTERM:\n{}",
                    self.transcript()
                )
            })
            .unwrap();
        assert!(
            status.success(),
            "relais serve should exit successfully on SIGTERM, not {status} (after {:?}):\n{}",
            started.elapsed(),
            self.transcript()
        );
    }
}

/// Forwards the lines of a child's pipe to the transcript (and to `lines`).
fn pump(
    pipe: impl AsyncRead + Unpin + Send + 'static,
    prefix: &'static str,
    transcript: Arc<Mutex<String>>,
    lines: Option<mpsc::UnboundedSender<String>>,
) {
    tokio::spawn(async move {
        let mut reader = BufReader::new(pipe).lines();
        while let Ok(Some(line)) = reader.next_line().await {
            {
                let mut all = transcript.lock().unwrap();
                all.push_str(prefix);
                all.push_str(&line);
                all.push('\n');
            }
            if let Some(lines) = &lines {
                let _ = lines.send(line);
            }
        }
    });
}

/// `  worker     (alice): <jwt>` → (role, subject, token).
fn parse_token_line(line: &str) -> Option<(String, String, String)> {
    let (left, token) = line.trim().split_once("): ")?;
    let (role, subject) = left.split_once(" (")?;
    let token = token.trim();
    (token.split('.').count() == 3 && !role.trim().is_empty())
        .then(|| (role.trim().to_owned(), subject.to_owned(), token.to_owned()))
}

/// Writes the data directory's development secret, as a server's first start does.
fn plant_dev_secret(sandbox: &Sandbox) -> String {
    std::fs::create_dir_all(&sandbox.data).unwrap();
    let secret = "c2VjcmV0LW9mLWEtc2VydmVyLXRoYXQtcmFuLWhlcmU=";
    std::fs::write(sandbox.data.join("dev-signing-secret"), secret).unwrap();
    secret.to_owned()
}

#[tokio::test]
async fn token_prints_a_jwt_signed_with_the_data_directory_secret() {
    let sandbox = Sandbox::new();
    let secret = plant_dev_secret(&sandbox);
    let args = [
        "token", "--org", "demo", "--role", "worker", "--sub", "alice",
    ];
    let output = sandbox.run(&args, &[]).await;
    assert_success(&output, "relais token");
    let printed = stdout(&output);
    assert_eq!(
        printed.lines().count(),
        1,
        "stdout should be the token alone, for `TOKEN=$(relais token …)`: {printed:?}"
    );
    let token = printed.trim();
    let said = stderr(&output);
    assert!(
        said.contains(&sandbox.data.display().to_string()),
        "it says which data directory it used: {said}"
    );
    let claims = verify(token, &secret);
    assert_eq!(claims["org"], "demo");
    assert_eq!(claims["roles"], json!(["worker"]));
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["iss"], "relais-dev");
    assert_eq!(claims["aud"], "relais");
    let left = seconds_left(&claims);
    assert!(
        (DAY - 120..=DAY).contains(&left),
        "exp is {left}s ahead, not 24 h"
    );
    assert!(
        !sandbox.pgdata().exists(),
        "relais token needs no database, yet a cluster was created"
    );

    let output = sandbox
        .run(
            &[
                "token", "--org", "demo", "--role", "worker", "--sub", "alice", "--hours", "2",
            ],
            &[],
        )
        .await;
    assert_success(&output, "relais token --hours 2");
    assert_eq!(
        sandbox.dev_secret(),
        secret,
        "the secret is kept, not rotated"
    );
    let claims = verify(stdout(&output).trim(), &secret);
    let left = seconds_left(&claims);
    assert!(
        (2 * 3600 - 120..=2 * 3600).contains(&left),
        "--hours 2: exp is {left}s ahead"
    );
}

#[tokio::test]
async fn token_refuses_to_create_a_secret_no_server_knows() {
    let sandbox = Sandbox::new();
    let output = sandbox
        .run(
            &[
                "token", "--org", "demo", "--role", "worker", "--sub", "alice",
            ],
            &[],
        )
        .await;
    let message = assert_failure(&output, "relais token before any server started");
    assert!(stdout(&output).trim().is_empty(), "no token may be printed");
    assert!(
        message.contains(&sandbox.data.display().to_string()) && message.contains("relais serve"),
        "the refusal names the data directory and how to get a secret: {message}"
    );
    assert!(
        !sandbox.data.join("dev-signing-secret").exists(),
        "no secret may be created"
    );
}

#[tokio::test]
async fn openapi_into_a_pipe_closed_early_exits_quietly() {
    let sandbox = Sandbox::new();
    let mut child = sandbox
        .command(&["openapi"], &[])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read a line, then close the pipe, as `relais openapi | head -1` does.
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).await.unwrap();
    assert_eq!(first.trim(), "{");
    drop(out);
    let output = tokio::time::timeout(RUN_TIMEOUT, child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(output.status.success(), "{}", output.status);
    assert_eq!(stderr(&output), "", "nothing said on stderr");
}

#[tokio::test]
async fn token_is_refused_with_an_external_database_and_no_dev_secret() {
    let sandbox = Sandbox::new();
    let started = Instant::now();
    // TEST-NET-1 never answers: trying to connect would take long, not fail fast.
    let output = sandbox
        .run(
            &["token", "--role", "worker", "--sub", "alice"],
            &[(
                "DATABASE_URL",
                "postgres://relais:secret@192.0.2.1:5432/relais",
            )],
        )
        .await;
    let message = assert_failure(&output, "relais token without a development key");
    assert!(
        message.contains("development signing key"),
        "the refusal should name the development signing key: {message}"
    );
    assert!(stdout(&output).trim().is_empty(), "no token may be printed");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "refusing took {:?}: did it try to connect?",
        started.elapsed()
    );
    assert!(
        !sandbox.data.join("dev-signing-secret").exists(),
        "no development key may be generated outside embedded mode"
    );
}

#[tokio::test]
async fn org_create_and_migrate_run_against_the_embedded_cluster() {
    let sandbox = Sandbox::new();
    let printed = sandbox.succeeded(&CREATE_OTHER, "relais org create").await;
    assert!(
        printed.contains("other") && printed.contains("CCAS d'Ailleurs"),
        "the created organisation should be printed: {printed}"
    );
    sandbox.assert_no_postgres_left("relais org create").await;

    let output = sandbox.run(&CREATE_OTHER, &[]).await;
    let message = assert_failure(&output, "creating the same organisation twice");
    assert!(
        message.contains("already exists") && message.contains("other"),
        "the error should say the organisation exists: {message}"
    );
    sandbox
        .assert_no_postgres_left("a failed relais org create")
        .await;

    for attempt in ["first", "second"] {
        let output = sandbox.run(&["migrate"], &[]).await;
        assert_success(&output, &format!("the {attempt} relais migrate"));
        assert!(stdout(&output).contains("migrations applied"));
    }
    sandbox.assert_no_postgres_left("relais migrate").await;
}

#[tokio::test]
async fn serve_prints_working_demo_tokens_stops_on_sigterm_and_restarts_on_the_same_data() {
    let sandbox = Sandbox::new();
    let server = Server::start(&sandbox).await;
    let client = http_client();
    // Otherwise the checks that nothing is left after a stop would prove nothing.
    assert!(
        sandbox.postmaster_pid().is_some() && !sandbox.processes_using_data_dir().is_empty(),
        "the embedded PostgreSQL of {} should be visible while serving",
        sandbox.data.display()
    );

    let printed: Vec<(&str, &str)> = server
        .tokens
        .iter()
        .map(|(role, subject, _)| (role.as_str(), subject.as_str()))
        .collect();
    assert_eq!(printed, DEMO_ROLES, "{}", server.transcript());
    // The server created the development secret, private to its account; `relais token`
    // signs with it, and the server takes what it signs.
    let mode = std::fs::metadata(sandbox.data.join("dev-signing-secret"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o077, 0, "the secret must be private: mode {mode:o}");
    let args = [
        "token", "--org", "demo", "--role", "worker", "--sub", "alice",
    ];
    let token = sandbox
        .succeeded(&args, "relais token beside the server")
        .await;
    let request = server.get_as(&client, "/v1/me", token.trim());
    answered(request, 200, "GET /v1/me with `relais token`'s token").await;
    for (role, subject) in DEMO_ROLES {
        let request = server.get_as(&client, "/v1/me", server.token(role));
        let me = answered(
            request,
            200,
            &format!("GET /v1/me as the printed {role} token"),
        )
        .await;
        assert_eq!(me["organisation"]["slug"], "demo", "{me}");
        assert_eq!(me["subject"], subject, "{me}");
        assert_eq!(me["roles"], json!([role]), "{me}");
    }
    for path in ["/docs/", "/openapi.json", "/healthz", "/readyz"] {
        let response = client.get(server.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "GET {path}");
    }
    let document = answered(client.get(server.url("/openapi.json")), 200, "the document").await;
    assert!(document["openapi"].is_string() && document["paths"]["/v1/me"].is_object());

    // Data written in this run, with an encrypted NIR: it must be readable after a restart.
    let number = nir("2690549588157");
    let worker = server.token("worker").to_owned();
    let request = client
        .post(server.url("/v1/persons"))
        .bearer_auth(&worker)
        .json(&json!({"first_name": "Éloïse", "last_name": "Durand", "nir": number}));
    let person = answered(request, 201, "creating a person in the demo organisation").await;
    let person_id = person["id"].as_str().unwrap().to_owned();

    drop(client); // no idle keep-alive connection for the graceful shutdown to wait on
    server.terminate().await;
    sandbox
        .assert_no_postgres_left("relais serve exited on SIGTERM")
        .await;

    // While the server is stopped, an operator adds an organisation.
    let between = "relais org create between two runs";
    sandbox.succeeded(&CREATE_OTHER, between).await;
    let args = [
        "token", "--org", "other", "--role", "worker", "--sub", "bob",
    ];
    let other = sandbox.succeeded(&args, "relais token --org other").await;
    let other = other.trim().to_owned();

    let server = Server::start(&sandbox).await;
    let client = http_client();
    let me = answered(
        server.get_as(&client, "/v1/me", &other),
        200,
        "the organisation created while stopped should be there after the restart",
    )
    .await;
    assert_eq!(me["organisation"]["slug"], "other", "{me}");

    // The first run's token still verifies (same secret) and its data is there, with the NIR
    // decryptable (same NIR key).
    let reason = "Vérification après redémarrage";
    let request = server
        .get_as(&client, &format!("/v1/persons/{person_id}"), &worker)
        .query(&[("reveal", "nir"), ("reason", reason)]);
    let read = answered(
        request,
        200,
        "the person created before the restart, with the first run's token",
    )
    .await;
    assert_eq!(read["last_name"], "Durand");
    assert_eq!(
        read["nir"],
        number.as_str(),
        "the NIR decrypts after a restart"
    );

    drop(client);
    server.terminate().await;
    sandbox
        .assert_no_postgres_left("the second relais serve exited on SIGTERM")
        .await;
}

#[tokio::test]
async fn serve_without_postgresql_says_which_package_to_install() {
    let sandbox = Sandbox::new();
    let empty = sandbox.root.path().join("no-postgres-here");
    std::fs::create_dir(&empty).unwrap();
    let output = sandbox
        .run(
            &["serve"],
            &[
                ("RELAIS_PG_BIN_DIR", empty.to_str().unwrap()),
                ("RELAIS_LISTEN", "127.0.0.1:0"),
            ],
        )
        .await;
    let message = assert_failure(&output, "relais serve without PostgreSQL");
    assert!(
        message.contains("apt-get install postgresql"),
        "the error should name the package to install: {message}"
    );
    assert!(
        message.contains(empty.to_str().unwrap()),
        "the error should say where it looked: {message}"
    );
    assert!(
        !stdout(&output).contains("Relais is listening"),
        "it must not claim to listen"
    );
}

#[tokio::test]
async fn keys_rotate_prints_the_new_kid_and_keeps_the_previous_key() {
    let sandbox = Sandbox::new();
    let first = sandbox.run(&["keys", "rotate"], &[]).await;
    assert_success(&first, "relais keys rotate");
    let first_kid = stdout(&first).trim().to_owned();
    assert_eq!(
        first_kid.len(),
        43,
        "a base64url SHA-256 thumbprint: {first_kid:?}"
    );
    let key = sandbox.data.join("oauth-signing-key.pem");
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the signing key is readable by its owner only");
    assert!(!sandbox.data.join("oauth-signing-key.previous.pem").exists());

    let second = sandbox.run(&["keys", "rotate"], &[]).await;
    assert_success(&second, "relais keys rotate, again");
    let second_kid = stdout(&second).trim().to_owned();
    assert_ne!(second_kid, first_kid);
    assert!(
        stderr(&second).contains(&first_kid),
        "the previous kid is named: {}",
        stderr(&second)
    );
    let previous = sandbox.data.join("oauth-signing-key.previous.pem");
    let mode = std::fs::metadata(&previous).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);

    // A configured key file is the operator's to rotate.
    let configured = sandbox
        .run(
            &["keys", "rotate"],
            &[("RELAIS_OAUTH_SIGNING_KEY_FILE", key.to_str().unwrap())],
        )
        .await;
    assert!(!configured.status.success());
    assert!(stderr(&configured).contains("RELAIS_OAUTH_PREVIOUS_KEY_FILE"));
}

#[tokio::test]
async fn retention_run_and_nir_rotation_run_from_the_command_line() {
    let sandbox = Sandbox::new();
    sandbox.succeeded(&CREATE_OTHER, "relais org create").await;
    let printed = sandbox
        .succeeded(
            &[
                "retention",
                "run",
                "--org",
                "other",
                "--as-of",
                "2031-01-01",
                "--dry-run",
            ],
            "relais retention run --dry-run",
        )
        .await;
    let report: Value = serde_json::from_str(&printed).unwrap();
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["as_of"], "2031-01-01");
    let run = &report["organisations"][0];
    assert_eq!(run["organisation"], "other");
    assert_eq!(run["ran"], true);
    assert_eq!(run["archived_cases"], json!({"count": 0, "ids": []}));
    let printed = sandbox
        .succeeded(
            &["retention", "run", "--org", "other"],
            "relais retention run",
        )
        .await;
    let report: Value = serde_json::from_str(&printed).unwrap();
    assert_eq!(report["dry_run"], false);
    let output = sandbox
        .run(&["retention", "run", "--org", "nowhere"], &[])
        .await;
    let message = assert_failure(&output, "a retention run of an unknown organisation");
    assert!(message.contains("nowhere"), "{message}");

    let read = |name: &str| std::fs::read_to_string(sandbox.data.join(name)).unwrap();
    let mut keys = Vec::new();
    for _ in 0..2 {
        let printed = sandbox
            .succeeded(&["keys", "rotate-nir"], "relais keys rotate-nir")
            .await;
        let counts: Value = serde_json::from_str(&printed).unwrap();
        assert_eq!(counts, json!({"scanned": 0, "resealed": 0}));
        assert!(!sandbox.data.join("nir-key.previous").exists());
        keys.push((read("nir-key"), read("secrets-key")));
    }
    assert_ne!(keys[0].0, keys[1].0, "a new NIR key each time");
    assert_ne!(keys[0].0, keys[0].1);
    assert_eq!(
        keys[0].1, keys[1].1,
        "webhook and feed keys still derive from the first key"
    );
    sandbox
        .assert_no_postgres_left("relais keys rotate-nir")
        .await;
}

/// The counts of a retention run's report: `(count, listed ids)` per step.
fn counts(run: &Value) -> [(u64, usize); 3] {
    [
        "archived_cases",
        "anonymised_persons",
        "erased_applications",
    ]
    .map(|step| {
        (
            run[step]["count"].as_u64().unwrap(),
            run[step]["ids"].as_array().unwrap().len(),
        )
    })
}

#[tokio::test]
async fn bench_seed_fills_an_organisation_whose_retention_run_counts_every_candidate() {
    let sandbox = Sandbox::new();
    let printed = sandbox
        .succeeded(
            &[
                "bench",
                "seed",
                "--cases",
                "4000",
                "--workers",
                "3",
                "--org",
                "seeded",
            ],
            "relais bench seed",
        )
        .await;
    let seeded: Value = serde_json::from_str(&printed).unwrap();
    assert_eq!(seeded["organisation"], "seeded");
    assert_eq!(seeded["cases"], 4000);
    assert_eq!(
        seeded["nirs"], 2666,
        "two persons in three, each NIR distinct"
    );
    assert_eq!(seeded["workers"], 3);

    // Half the cases closed 13 to 62 months ago: most are due for the archive, their persons
    // for the purge unless a granted application (one closed case in ten) holds them.
    let run = |dry: bool| {
        let mut args = vec!["retention", "run", "--org", "seeded"];
        if dry {
            args.push("--dry-run");
        }
        let sandbox = &sandbox;
        async move {
            let printed = sandbox.succeeded(&args, "relais retention run").await;
            let report: Value = serde_json::from_str(&printed).unwrap();
            report["organisations"][0].clone()
        }
    };
    let dry = run(true).await;
    let [archived, anonymised, erased] = counts(&dry);
    assert!(archived.0 > 1100 && archived.0 < 1500, "{dry}");
    assert_eq!(
        archived.1, 1000,
        "a report lists 1000 ids, and counts them all"
    );
    assert!(
        anonymised.0 > 1000 && anonymised.0 < archived.0,
        "applications within their retention hold some persons: {dry}"
    );
    assert_eq!(erased, (0, 0), "granted less than 10 years ago");
    assert!(dry["expired_audit_events"].as_u64().unwrap() > 4000);

    let done = run(false).await;
    assert_eq!(
        counts(&done)[0].0,
        archived.0,
        "the run did what the report said"
    );
    assert_eq!(counts(&done)[1].0, anonymised.0);
    let again = run(false).await;
    assert_eq!(
        counts(&again),
        [(0, 0); 3],
        "a second run finds nothing: {again}"
    );

    // A second seed adds to the first: its persons are numbered after the first's, so that
    // their NIRs do not collide with those still held.
    let args = [
        "bench",
        "seed",
        "--cases",
        "600",
        "--workers",
        "3",
        "--org",
        "seeded",
    ];
    let printed = sandbox.succeeded(&args, "a second relais bench seed").await;
    let more: Value = serde_json::from_str(&printed).unwrap();
    assert_eq!(more["cases"], 600);
    assert_eq!(more["nirs"], 400, "{more}");
    sandbox.assert_no_postgres_left("relais bench seed").await;
}

#[tokio::test]
async fn an_interrupted_command_stops_the_embedded_cluster_it_started() {
    let sandbox = Sandbox::new();
    let mut child = sandbox
        .command(
            &["bench", "seed", "--cases", "2000000", "--workers", "2"],
            &[],
        )
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Interrupted mid-seed: once the first batch is written.
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let started = tokio::time::timeout(RUN_TIMEOUT, async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.contains("seeded 50000 of") {
                return true;
            }
        }
        false
    })
    .await
    .unwrap();
    assert!(started, "the seed printed its progress");
    assert!(sandbox.postmaster_pid().is_some(), "the cluster runs");
    let pid = child.id().unwrap().to_string();
    let sent = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = tokio::time::timeout(RUN_TIMEOUT, child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(!status.success(), "an interrupted command fails");
    sandbox
        .assert_no_postgres_left("an interrupted relais bench seed")
        .await;
}

/// `/readyz`'s status word, or `unanswered` when the request itself failed.
async fn readiness(client: &reqwest::Client, server: &Server) -> String {
    match client.get(server.url("/readyz")).send().await {
        Ok(response) => response
            .json::<Value>()
            .await
            .ok()
            .and_then(|body| body["status"].as_str().map(str::to_owned))
            .unwrap_or_else(|| "unreadable".to_owned()),
        Err(_) => "unanswered".to_owned(),
    }
}

/// Polls `/readyz` until it says `status` (bounded by `within`); answers what it said last.
async fn await_readiness(
    client: &reqwest::Client,
    server: &Server,
    status: &str,
    within: Duration,
) -> String {
    let deadline = Instant::now() + within;
    loop {
        let now = readiness(client, server).await;
        if now == status || Instant::now() >= deadline {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn kill(signal: &str, pid: u32) {
    let sent = std::process::Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .unwrap();
    assert!(sent.success(), "kill {signal} {pid}");
}

#[tokio::test]
async fn serve_restarts_its_postgresql_when_it_dies_and_says_so_meanwhile() {
    let sandbox = Sandbox::new();
    let server = Server::start(&sandbox).await;
    let client = http_client();
    let worker = server.token("worker").to_owned();
    let first = sandbox.postmaster_pid().expect("the cluster runs");

    // Killed outright (the OOM killer's way): restarted with no one's help, and the pool's
    // broken connections do not surface as errors once it is back.
    kill("-KILL", first);
    let said = await_readiness(&client, &server, "ready", Duration::from_secs(60)).await;
    assert_eq!(said, "ready", "{}", server.transcript());
    let second = sandbox.postmaster_pid().expect("a new postmaster");
    assert_ne!(second, first, "a new postmaster runs");
    let request = server.get_as(&client, "/v1/me", &worker);
    answered(request, 200, "a request after the restart").await;
    let transcript = server.transcript();
    assert!(
        transcript.contains("the embedded PostgreSQL stopped; restarting it")
            && transcript.contains("restarted the embedded PostgreSQL"),
        "the restart is logged:\n{transcript}"
    );

    // A restart that fails (the cluster unusable for a while: its PG_VERSION moved away, which
    // a running server does not notice) is tried again with backoff; meanwhile readiness says
    // why and requests get a problem document, never a hang.
    let version = sandbox.pgdata().join("PG_VERSION");
    let aside = sandbox.data.join("PG_VERSION.aside");
    std::fs::rename(&version, &aside).unwrap();
    kill("-KILL", second);
    let said = await_readiness(
        &client,
        &server,
        "database_restarting",
        Duration::from_secs(30),
    )
    .await;
    assert_eq!(said, "database_restarting", "{}", server.transcript());
    let response = client.get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
    let response = server
        .get_as(&client, "/v1/cases", &worker)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503, "{}", server.transcript());
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while !server
        .transcript()
        .contains("could not restart the embedded PostgreSQL")
    {
        assert!(Instant::now() < deadline, "{}", server.transcript());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(readiness(&client, &server).await, "database_restarting");

    std::fs::rename(&aside, &version).unwrap();
    let said = await_readiness(&client, &server, "ready", Duration::from_secs(60)).await;
    assert_eq!(said, "ready", "{}", server.transcript());
    let request = server.get_as(&client, "/v1/me", &worker);
    answered(request, 200, "a request after the second restart").await;

    // The restarted cluster is the server's own: it stops with it.
    drop(client);
    server.terminate().await;
    sandbox
        .assert_no_postgres_left("relais serve exited after restarting its PostgreSQL")
        .await;
}
