//! Configuration: one struct, layered defaults → optional TOML file → environment.
//!
//! Environment variables are `RELAIS_<SETTING>` (e.g. `RELAIS_LISTEN`, `RELAIS_AUTH_ISSUER`),
//! plus the conventional `DATABASE_URL`. Secrets are `SecretString`: their `Debug` is redacted,
//! so logging the settings never leaks them.

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// Log output.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines, for development.
    Compact,
    /// One JSON object per line, for production log pipelines.
    Json,
}

/// How tokens are verified.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// The pinned signing algorithm: RS256, RS384, RS512, PS256, ES256, ES384, EdDSA, or HS256
    /// (development only, with `dev_secret`).
    pub algorithm: Option<String>,
    /// JWKS endpoint of the identity provider.
    pub jwks_url: Option<String>,
    /// JWKS document on disk.
    pub jwks_file: Option<PathBuf>,
    /// One public key in PEM.
    pub pem_file: Option<PathBuf>,
    /// HS256 shared secret for development. In embedded mode without any key source, one is
    /// generated in the data directory.
    #[serde(skip_serializing)]
    pub dev_secret: Option<SecretString>,
    pub issuer: String,
    pub audience: String,
    /// Claim holding the organisation slug.
    pub org_claim: String,
    /// Dot-separated path of the roles claim.
    pub roles_claim: String,
    /// Clock skew tolerated on `exp`/`nbf`, in seconds.
    pub leeway_secs: u64,
}

/// Webhook delivery to partners: the background dispatcher of every replica (see `worker`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhooksConfig {
    /// Accept webhook targets on loopback addresses (development only).
    pub allow_loopback: bool,
    /// The first retry delay (e.g. `5s`, `200ms`); later ones grow exponentially with jitter.
    #[serde(with = "humantime_serde")]
    pub retry_base: std::time::Duration,
    /// How long one delivery may take, connection and answer included (e.g. `10s`).
    #[serde(with = "humantime_serde")]
    pub timeout: std::time::Duration,
    /// How often the dispatcher looks for due messages (sooner while a full batch was found).
    #[serde(with = "humantime_serde")]
    pub poll_interval: std::time::Duration,
    /// Most messages one dispatcher claims and delivers at a time (concurrently).
    pub batch: u32,
}

/// Partner tokens (OAuth 2.0 client credentials), signed with the service's own Ed25519 key.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthConfig {
    /// The signing key: an Ed25519 private key in PKCS#8 PEM (`openssl genpkey -algorithm
    /// ed25519`). In embedded mode without one, `oauth-signing-key.pem` is generated in the data
    /// directory (and `relais keys rotate` replaces it). Elsewhere without one, the service
    /// issues no partner tokens: `POST /v1/oauth/token` answers 503.
    pub signing_key_file: Option<PathBuf>,
    /// The signing key's PEM itself, instead of `signing_key_file` (e.g. from a secret store).
    #[serde(skip_serializing)]
    pub signing_key: Option<SecretString>,
    /// The key used before the last rotation (private or public PEM): its tokens stay valid and
    /// it stays published in the JWKS. Remove it once `token_ttl` has passed since the rotation:
    /// every token it signed has expired by then. In embedded mode,
    /// `oauth-signing-key.previous.pem` of the data directory is loaded when present.
    pub previous_key_file: Option<PathBuf>,
    /// The previous key's PEM itself, instead of `previous_key_file`.
    #[serde(skip_serializing)]
    pub previous_key: Option<SecretString>,
    /// `iss` of partner tokens.
    pub issuer: String,
    /// Lifetime of a partner token (e.g. `10m`).
    #[serde(with = "humantime_serde")]
    pub token_ttl: std::time::Duration,
}

/// Every setting of the service.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// PostgreSQL URL; unset means the embedded cluster under `data_dir`.
    #[serde(skip_serializing)]
    pub database_url: Option<SecretString>,
    /// Where the embedded cluster and development keys live.
    pub data_dir: PathBuf,
    /// Address to listen on.
    pub listen: String,
    /// Apply pending migrations at start.
    pub migrate_on_start: bool,
    /// What this replica runs: `all` (the API and the background jobs, the default), `api`
    /// (the API only) or `worker` (the jobs; the API is served too, for probes and metrics).
    pub role: ReplicaRole,
    /// Create the demo organisation and agents at start (embedded mode only by default).
    pub demo: Option<bool>,
    pub log_format: LogFormat,
    /// tracing filter, e.g. `info` or `relais=debug,sqlx=warn`.
    pub log_level: String,
    /// Threads answering HTTP requests: one per core by default.
    pub http_workers: usize,
    /// Connections to PostgreSQL for requests: twice the cores by default (at least 4), shared
    /// out evenly between the HTTP workers (at least one each), each worker opening its own.
    /// More connections than the machine can serve at once only spread the same work over
    /// colder backends. Start-up and background work have a pool of their own of at most
    /// [`crate::BACKGROUND_CONNECTIONS`] (its idle connections close after a minute).
    pub db_max_connections: u32,
    /// How long a request waits for a database connection before a 503, in milliseconds.
    pub db_acquire_timeout_ms: u64,
    /// Largest JSON body, in bytes.
    pub json_limit_bytes: usize,
    /// Largest uploaded file (a case document), in bytes: 10 MiB by default, 64 MiB at most.
    pub upload_limit_bytes: usize,
    /// Origins whose browser pages may call the API (CORS): a list in a file, or
    /// comma-separated in `RELAIS_CORS_ORIGINS` (`https://intranet.example.org,http://localhost:5173`).
    /// None by default.
    #[serde(deserialize_with = "comma_separated")]
    pub cors_origins: Vec<String>,
    /// 32-byte key (base64) protecting NIRs; generated in the data directory in embedded mode.
    #[serde(skip_serializing)]
    pub nir_key: Option<SecretString>,
    /// The NIR key before a rotation (`relais keys rotate-nir`), until every NIR is sealed
    /// again with `nir_key`.
    #[serde(skip_serializing)]
    pub nir_previous_key: Option<SecretString>,
    /// The key the other secrets (partners' webhook keys, agenda feed tokens) derive from;
    /// `nir_key` when unset. Set it to the first NIR key before rotating the NIR key, so that
    /// they do not change.
    #[serde(skip_serializing)]
    pub secrets_key: Option<SecretString>,
    pub auth: AuthConfig,
    pub webhooks: WebhooksConfig,
    pub oauth: OAuthConfig,
    /// How often unanswered referrals past their organisation's delay are marked expired.
    #[serde(with = "humantime_serde")]
    pub expiry_sweep_interval: std::time::Duration,
    /// How often the retention run (archive, purge, erasures, audit expiry) runs; the first
    /// run comes one interval after the start.
    #[serde(with = "humantime_serde")]
    pub retention_interval: std::time::Duration,
    /// Most records one transaction of the retention run changes.
    pub retention_batch: u32,
    /// Counts below this are suppressed (null) in statistics; 1 disables.
    pub stats_min_count: u32,
    /// Requests a client (a token's subject, or an address without a valid token) may make a
    /// minute, on average; 0 turns the limit off.
    pub rate_limit_per_minute: u32,
    /// Requests a client may make at once.
    pub rate_limit_burst: u32,
    /// Failed client authentications a client id may have a minute at the token endpoint
    /// before it is refused for a while; 0 turns the limit off.
    pub token_failures_per_minute: u32,
    /// Count requests without a valid token against the client address given by a trusted
    /// proxy (`Forwarded`, `X-Forwarded-For`) instead of the connection's peer.
    pub trust_forwarded: bool,
}

/// What a replica runs (`RELAIS_ROLE`), so that an operator can keep the background jobs on
/// dedicated replicas. Every job is safe with several replicas running it anyway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReplicaRole {
    /// The API and the background jobs.
    All,
    /// The API only: no webhook delivery, expiry sweep or retention run.
    Api,
    /// The background jobs (and the API, for its probes and metrics).
    Worker,
}

impl ReplicaRole {
    /// Whether this replica runs the background jobs.
    pub fn runs_jobs(self) -> bool {
        self != ReplicaRole::Api
    }
}

/// A list given as a list (a file) or as one comma-separated text (an environment variable);
/// blank entries are dropped.
fn comma_separated<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Given {
        Text(String),
        List(Vec<String>),
    }
    let entries = match Given::deserialize(d)? {
        Given::Text(text) => text.split(',').map(str::to_owned).collect(),
        Given::List(list) => list,
    };
    Ok(entries
        .into_iter()
        .map(|entry| entry.trim().to_owned())
        .filter(|entry| !entry.is_empty())
        .collect())
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, std::num::NonZero::get)
}

/// The pool size fitting this machine: twice its cores, at least 4.
fn default_pool_size() -> u32 {
    u32::try_from(cores().saturating_mul(2)).map_or(u32::MAX, |n| n.max(4))
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database_url: None,
            data_dir: PathBuf::from("./.relais"),
            role: ReplicaRole::All,
            listen: "127.0.0.1:8080".into(),
            migrate_on_start: true,
            demo: None,
            log_format: LogFormat::Compact,
            log_level: "info,sqlx=warn".into(),
            http_workers: cores(),
            db_max_connections: default_pool_size(),
            db_acquire_timeout_ms: 2000,
            json_limit_bytes: 1024 * 1024,
            upload_limit_bytes: relais_domain::document::DEFAULT_UPLOAD_LIMIT,
            cors_origins: Vec::new(),
            nir_key: None,
            nir_previous_key: None,
            secrets_key: None,
            auth: AuthConfig {
                algorithm: None,
                jwks_url: None,
                jwks_file: None,
                pem_file: None,
                dev_secret: None,
                issuer: "relais-dev".into(),
                audience: "relais".into(),
                org_claim: "org".into(),
                roles_claim: "roles".into(),
                leeway_secs: 30,
            },
            webhooks: WebhooksConfig {
                allow_loopback: false,
                retry_base: std::time::Duration::from_secs(5),
                timeout: std::time::Duration::from_secs(10),
                poll_interval: std::time::Duration::from_secs(1),
                batch: 10,
            },
            expiry_sweep_interval: std::time::Duration::from_secs(300),
            retention_interval: std::time::Duration::from_secs(24 * 3600),
            retention_batch: 500,
            stats_min_count: relais_domain::statistics::DEFAULT_MIN_COUNT,
            rate_limit_per_minute: 1200,
            rate_limit_burst: 200,
            token_failures_per_minute: 10,
            trust_forwarded: false,
            oauth: OAuthConfig {
                signing_key_file: None,
                signing_key: None,
                previous_key_file: None,
                previous_key: None,
                issuer: "relais".into(),
                token_ttl: std::time::Duration::from_secs(600),
            },
        }
    }
}

/// Section prefixes of nested settings in environment variable names.
const SECTIONS: &[&str] = &["auth", "webhooks", "oauth"];

impl Settings {
    /// Loads the settings: defaults, then `file` (or `RELAIS_CONFIG`) if given, then the
    /// environment.
    pub fn load(file: Option<&Path>) -> Result<Self, Box<figment::Error>> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        let file = file
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("RELAIS_CONFIG").map(PathBuf::from));
        if let Some(file) = file {
            figment = figment.merge(Toml::file_exact(file));
        }
        figment = figment
            .merge(
                Env::raw()
                    .only(&["DATABASE_URL"])
                    .map(|_| "database_url".into()),
            )
            .merge(
                Env::prefixed("RELAIS_")
                    .ignore(&["CONFIG", "PG_BIN_DIR"])
                    .map(|key| {
                        let key = key.as_str().to_ascii_lowercase();
                        for section in SECTIONS {
                            if let Some(rest) = key.strip_prefix(&format!("{section}_")) {
                                return format!("{section}.{rest}").into();
                            }
                        }
                        key.into()
                    }),
            );
        figment.extract().map_err(Box::new)
    }

    /// Whether the service runs its own PostgreSQL.
    pub fn embedded(&self) -> bool {
        self.database_url.is_none()
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment's Jail returns its own error type
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_documented_ones() {
        let s = Settings::default();
        assert_eq!(s.listen, "127.0.0.1:8080");
        assert_eq!(s.data_dir, PathBuf::from("./.relais"));
        assert_eq!(s.auth.org_claim, "org");
        assert!(s.http_workers >= 1, "one per core");
        assert!(s.db_max_connections >= 4);
        assert!(s.embedded());
    }

    #[test]
    fn partner_tokens_default_to_the_relais_issuer_and_ten_minutes() {
        let s = Settings::default();
        assert_eq!(s.oauth.issuer, "relais");
        assert_eq!(s.oauth.token_ttl, std::time::Duration::from_secs(600));
        assert!(s.oauth.signing_key_file.is_none());
        assert!(s.oauth.previous_key_file.is_none());
    }

    #[test]
    fn the_oauth_settings_read_the_environment() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("RELAIS_OAUTH_SIGNING_KEY_FILE", "/etc/relais/key.pem");
            jail.set_env("RELAIS_OAUTH_PREVIOUS_KEY_FILE", "/etc/relais/old.pem");
            jail.set_env("RELAIS_OAUTH_ISSUER", "https://relais.example");
            jail.set_env("RELAIS_OAUTH_TOKEN_TTL", "5m");
            let s = Settings::load(None).map_err(|e| e.to_string())?;
            assert_eq!(
                s.oauth.signing_key_file,
                Some(PathBuf::from("/etc/relais/key.pem"))
            );
            assert_eq!(
                s.oauth.previous_key_file,
                Some(PathBuf::from("/etc/relais/old.pem"))
            );
            assert_eq!(s.oauth.issuer, "https://relais.example");
            assert_eq!(s.oauth.token_ttl, std::time::Duration::from_secs(300));
            Ok(())
        });
    }

    #[test]
    fn an_inline_signing_key_is_read_and_redacted() {
        figment::Jail::expect_with(|jail| {
            jail.set_env(
                "RELAIS_OAUTH_SIGNING_KEY",
                "-----BEGIN PRIVATE KEY-----hunter2",
            );
            let s = Settings::load(None).map_err(|e| e.to_string())?;
            assert!(s.oauth.signing_key.is_some());
            assert!(!format!("{s:?}").contains("hunter2"));
            Ok(())
        });
    }

    #[test]
    fn the_docker_compose_settings_load_and_give_partner_tokens_a_key() {
        use std::collections::BTreeMap;

        use secrecy::ExposeSecret;

        let compose = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docker-compose.yml");
        let environment: BTreeMap<String, String> =
            Figment::from(figment::providers::Yaml::file_exact(&compose))
                .extract_inner("services.relais.environment")
                .expect("the relais service's environment");
        assert!(environment.len() > 10, "{environment:?}");
        figment::Jail::expect_with(|jail| {
            for (name, value) in &environment {
                jail.set_env(name, value);
            }
            let s = Settings::load(None).map_err(|e| e.to_string())?;
            assert!(!s.embedded(), "compose runs against its PostgreSQL");
            assert!(s.nir_key.is_some());
            let key = s
                .oauth
                .signing_key
                .as_ref()
                .ok_or("no partner-token signing key")?;
            relais_api::oauth::ServiceKeys::kid_of_pem(key.expose_secret())
                .map_err(|e| format!("the signing key is not a key: {e}"))?;
            Ok(())
        });
    }

    #[test]
    fn an_unknown_setting_is_an_error_not_silently_ignored() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("RELAIS_LISTNE", "0.0.0.0:1");
            assert!(Settings::load(None).is_err());
            Ok(())
        });
    }

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        let s = Settings {
            nir_key: Some(SecretString::from("c2VjcmV0LWtleS1tYXRlcmlhbA==")),
            database_url: Some(SecretString::from("postgres://u:hunter2@db/relais")),
            ..Settings::default()
        };
        let printed = format!("{s:?}");
        assert!(!printed.contains("hunter2"));
        assert!(!printed.contains("c2VjcmV0"));
    }

    #[test]
    fn a_file_and_the_environment_override_defaults_in_that_order() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("relais.toml", "listen = \"0.0.0.0:9000\"\nlog_level = \"debug\"\n[auth]\nissuer = \"from-file\"\n")?;
            jail.set_env("RELAIS_LOG_LEVEL", "warn");
            jail.set_env("RELAIS_AUTH_AUDIENCE", "from-env");
            jail.set_env("RELAIS_WEBHOOKS_RETRY_BASE", "250ms");
            jail.set_env("RELAIS_WEBHOOKS_ALLOW_LOOPBACK", "true");
            let s = Settings::load(Some(Path::new("relais.toml"))).map_err(|e| e.to_string())?;
            assert_eq!(s.listen, "0.0.0.0:9000");
            assert_eq!(s.log_level, "warn");
            assert_eq!(s.auth.issuer, "from-file");
            assert_eq!(s.auth.audience, "from-env");
            assert_eq!(s.webhooks.retry_base, std::time::Duration::from_millis(250));
            assert!(s.webhooks.allow_loopback);
            Ok(())
        });
    }

    #[test]
    fn cors_origins_are_a_comma_separated_text_or_a_list() {
        assert!(Settings::default().cors_origins.is_empty());
        figment::Jail::expect_with(|jail| {
            jail.set_env(
                "RELAIS_CORS_ORIGINS",
                "https://intranet.example.org, http://localhost:5173,",
            );
            let s = Settings::load(None).map_err(|e| e.to_string())?;
            assert_eq!(
                s.cors_origins,
                ["https://intranet.example.org", "http://localhost:5173"]
            );
            Ok(())
        });
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "relais.toml",
                "cors_origins = [\"https://a.example\", \"https://b.example\"]\n",
            )?;
            let s = Settings::load(Some(Path::new("relais.toml"))).map_err(|e| e.to_string())?;
            assert_eq!(s.cors_origins, ["https://a.example", "https://b.example"]);
            Ok(())
        });
    }

    #[test]
    fn the_dispatcher_settings_have_defaults_and_read_the_environment() {
        let d = Settings::default();
        assert_eq!(d.webhooks.timeout, std::time::Duration::from_secs(10));
        assert_eq!(d.webhooks.poll_interval, std::time::Duration::from_secs(1));
        assert_eq!(d.webhooks.batch, 10);
        assert_eq!(d.expiry_sweep_interval, std::time::Duration::from_secs(300));
        assert_eq!(d.retention_interval, std::time::Duration::from_secs(86_400));
        assert_eq!(d.retention_batch, 500);
        assert_eq!(
            (
                d.rate_limit_per_minute,
                d.rate_limit_burst,
                d.token_failures_per_minute
            ),
            (1200, 200, 10)
        );
        figment::Jail::expect_with(|jail| {
            jail.set_env("RELAIS_WEBHOOKS_TIMEOUT", "3s");
            jail.set_env("RELAIS_RATE_LIMIT_PER_MINUTE", "0");
            jail.set_env("RELAIS_TRUST_FORWARDED", "true");
            jail.set_env("RELAIS_ROLE", "api");
            jail.set_env("RELAIS_STATS_MIN_COUNT", "1");
            jail.set_env("RELAIS_RETENTION_INTERVAL", "6h");
            jail.set_env("RELAIS_WEBHOOKS_POLL_INTERVAL", "250ms");
            jail.set_env("RELAIS_WEBHOOKS_BATCH", "25");
            jail.set_env("RELAIS_EXPIRY_SWEEP_INTERVAL", "1m");
            let s = Settings::load(None).map_err(|e| e.to_string())?;
            assert_eq!(s.webhooks.timeout, std::time::Duration::from_secs(3));
            assert_eq!(
                s.webhooks.poll_interval,
                std::time::Duration::from_millis(250)
            );
            assert_eq!(s.webhooks.batch, 25);
            assert_eq!(s.expiry_sweep_interval, std::time::Duration::from_secs(60));
            assert_eq!(s.stats_min_count, 1);
            assert_eq!(s.rate_limit_per_minute, 0);
            assert!(s.trust_forwarded);
            assert_eq!(s.role, ReplicaRole::Api);
            assert!(!s.role.runs_jobs() && ReplicaRole::Worker.runs_jobs());
            assert_eq!(
                s.retention_interval,
                std::time::Duration::from_secs(6 * 3600)
            );
            Ok(())
        });
    }
}
