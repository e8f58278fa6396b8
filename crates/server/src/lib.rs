//! The `relais` service: configuration, telemetry, the database (embedded or external), the
//! HTTP server, and the demo organisation.

pub mod bench;
pub mod config;
pub mod demo;
pub mod keys;
pub mod retention;
pub mod telemetry;
pub mod tokens;
pub mod webhooks;
pub mod worker;

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use actix_web::{HttpServer, web};
use anyhow::Context;
use jsonwebtoken::Algorithm;
use relais_api::auth::{AuthSettings, Authenticator, KeySource};
use relais_api::oauth::{OAuthSettings, ServiceKeys};
use relais_api::{ApiSettings, AppState};
use relais_store::crypto::NirVault;
use relais_store::embedded::{EmbeddedOptions, EmbeddedPostgres, Supervisor};
use relais_store::{Db, PoolSettings};
use secrecy::{ExposeSecret, SecretString};
use sqlx::postgres::PgConnectOptions;

use crate::config::Settings;

/// Name of the application database in the embedded cluster.
pub const EMBEDDED_DATABASE: &str = "relais";

/// The database the service uses, and the embedded cluster when it runs one, under
/// supervision: restarted whenever it stops (`/readyz` says `database_restarting` meanwhile).
pub struct Database {
    pub db: Db,
    embedded: Option<Supervisor>,
}

impl Database {
    /// Ends the supervision and stops the embedded cluster if this process started it.
    pub async fn close(self) {
        self.db.close().await;
        let cluster = match self.embedded {
            Some(supervisor) => supervisor.into_inner().await,
            None => None,
        };
        if let Some(cluster) = cluster {
            if cluster.reused_running_server() {
                return; // another relais process owns it
            }
            if let Err(e) = cluster.stop().await {
                tracing::warn!(error = %e, "could not stop the embedded PostgreSQL cleanly");
            }
        }
    }

    /// Whether the database is the embedded cluster.
    pub fn is_embedded(&self) -> bool {
        self.embedded.is_some()
    }
}

/// Connections of the pool of start-up and background work (migrations, the demo, webhook
/// deliveries, sweeps): each does one thing at a time. Requests have the workers' own pools.
pub const BACKGROUND_CONNECTIONS: u32 = 4;

fn pool_settings(settings: &Settings) -> PoolSettings {
    PoolSettings {
        max_connections: settings.db_max_connections.min(BACKGROUND_CONNECTIONS),
        acquire_timeout: Duration::from_millis(settings.db_acquire_timeout_ms),
    }
}

/// Opens the configured database: `DATABASE_URL`, or the embedded cluster in `data_dir`.
pub async fn open_database(settings: &Settings) -> anyhow::Result<Database> {
    let pool = pool_settings(settings);
    if let Some(url) = &settings.database_url {
        let options = PgConnectOptions::from_str(url.expose_secret())
            .context("DATABASE_URL is not a valid PostgreSQL URL")?;
        return Ok(Database {
            db: Db::connect_lazy(options, &pool),
            embedded: None,
        });
    }
    let cluster =
        EmbeddedPostgres::start(EmbeddedOptions::new(&settings.data_dir, "relais")).await?;
    create_database_if_missing(cluster.connect_options("postgres"), EMBEDDED_DATABASE).await?;
    let options = cluster.connect_options(EMBEDDED_DATABASE);
    let supervisor = cluster.supervise();
    let db = Db::connect_lazy(options, &pool).with_cluster(supervisor.status());
    Ok(Database {
        db,
        embedded: Some(supervisor),
    })
}

/// Creates `name` on the server unless it exists.
pub async fn create_database_if_missing(admin: PgConnectOptions, name: &str) -> anyhow::Result<()> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect_with(&admin).await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(name)
            .fetch_one(&mut conn)
            .await?;
    if !exists {
        let sql = format!("CREATE DATABASE \"{}\"", name.replace('"', "\"\""));
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut conn)
            .await?;
    }
    conn.close().await?;
    Ok(())
}

/// Where the development secret comes from, from the settings.
#[derive(Debug)]
pub enum DevSecret {
    /// `RELAIS_AUTH_DEV_SECRET`.
    Configured(SecretString),
    /// The data directory's (embedded mode with no other key source): created by the server
    /// the first time it starts there.
    DataDir(PathBuf),
    /// Not in development: tokens come from the identity provider.
    None,
}

impl DevSecret {
    /// The development secret these settings use.
    pub fn of(settings: &Settings) -> Self {
        if let Some(secret) = &settings.auth.dev_secret {
            return Self::Configured(secret.clone());
        }
        let other_keys = settings.auth.jwks_url.is_some()
            || settings.auth.jwks_file.is_some()
            || settings.auth.pem_file.is_some();
        if settings.embedded() && !other_keys {
            Self::DataDir(settings.data_dir.clone())
        } else {
            Self::None
        }
    }
}

/// The development secret of the server: configured, or the data directory's (generated the
/// first time in embedded mode). `None` outside development.
pub fn dev_secret(settings: &Settings) -> anyhow::Result<Option<SecretString>> {
    match DevSecret::of(settings) {
        DevSecret::Configured(secret) => Ok(Some(secret)),
        DevSecret::DataDir(dir) => Ok(Some(keys::dev_secret(&dir)?)),
        DevSecret::None => Ok(None),
    }
}

/// How the API verifies tokens, from the settings.
pub fn auth_settings(settings: &Settings) -> anyhow::Result<AuthSettings> {
    let a = &settings.auth;
    let keys = if let Some(url) = &a.jwks_url {
        KeySource::JwksUrl(url.clone())
    } else if let Some(file) = &a.jwks_file {
        KeySource::JwksFile(file.clone())
    } else if let Some(file) = &a.pem_file {
        KeySource::PemFile(file.clone())
    } else if let Some(secret) = dev_secret(settings)? {
        KeySource::DevSecret(secret)
    } else {
        anyhow::bail!(
            "no token verification key: set RELAIS_AUTH_JWKS_URL, RELAIS_AUTH_JWKS_FILE or RELAIS_AUTH_PEM_FILE \
             (or RELAIS_AUTH_DEV_SECRET with RELAIS_AUTH_ALGORITHM=HS256 for development)"
        );
    };
    let algorithm = match (&a.algorithm, &keys) {
        (Some(name), _) => Algorithm::from_str(name)
            .map_err(|_| anyhow::anyhow!("unknown RELAIS_AUTH_ALGORITHM {name:?}"))?,
        (None, KeySource::DevSecret(_)) => Algorithm::HS256,
        (None, _) => Algorithm::RS256,
    };
    Ok(AuthSettings {
        algorithm,
        keys,
        issuer: a.issuer.clone(),
        audience: a.audience.clone(),
        org_claim: a.org_claim.clone(),
        roles_claim: a.roles_claim.clone(),
        leeway_secs: a.leeway_secs,
    })
}

/// The NIR vault: the configured keys, or the data directory's in embedded mode (with the
/// previous key of a rotation under way, and the key the other secrets derive from).
pub fn nir_vault(settings: &Settings) -> anyhow::Result<NirVault> {
    match &settings.nir_key {
        Some(key) => keys::full_vault(
            key,
            settings.nir_previous_key.as_ref(),
            settings.secrets_key.as_ref(),
        ),
        None if settings.embedded() => {
            let dir = &settings.data_dir;
            let key = keys::nir_key(dir)?;
            let previous = keys::key_file(dir, keys::NIR_PREVIOUS_KEY_FILE)?;
            let secrets = keys::key_file(dir, keys::SECRETS_KEY_FILE)?;
            keys::full_vault(&key, previous.as_ref(), secrets.as_ref())
        }
        None => {
            anyhow::bail!("RELAIS_NIR_KEY is required with DATABASE_URL (32 random bytes, base64)")
        }
    }
}

/// Seals again with the current NIR key every NIR (persons, referrals) of every organisation
/// still sealed with the previous one, in transactions of at most `batch` rows; the counts.
pub async fn reseal_nirs(
    db: &relais_store::Db,
    vault: &NirVault,
    batch: i64,
) -> anyhow::Result<relais_store::persons::Resealed> {
    use relais_store::db::{Access, commit};
    use relais_store::persons::{self, Resealed};
    let orgs = {
        let mut conn = db.pool().acquire().await?;
        relais_store::organisations::all(&mut conn).await?
    };
    let mut total = Resealed::default();
    for org in orgs {
        for referrals in [false, true] {
            let mut after = None;
            loop {
                let mut tx = db.tenant(org.id, Access::Write).await?;
                let (last, done) = if referrals {
                    persons::reseal_referrals(&mut tx, vault, after, batch).await?
                } else {
                    persons::reseal_persons(&mut tx, vault, after, batch).await?
                };
                commit(tx).await?;
                total.scanned += done.scanned;
                total.resealed += done.resealed;
                match last {
                    Some(last) if i64::try_from(done.scanned).unwrap_or(0) == batch => {
                        after = Some(last);
                    }
                    _ => break,
                }
            }
        }
    }
    Ok(total)
}

/// The service's partner-token signing keys: the configured ones, or the data directory's in
/// embedded mode (generated the first time, with the previous key a rotation left). `None`
/// outside embedded mode without a configured key.
pub fn service_keys(settings: &Settings) -> anyhow::Result<Option<ServiceKeys>> {
    let o = &settings.oauth;
    let current = configured_pem(&o.signing_key, o.signing_key_file.as_deref(), "SIGNING_KEY")?;
    let previous = configured_pem(
        &o.previous_key,
        o.previous_key_file.as_deref(),
        "PREVIOUS_KEY",
    )?;
    let (current, previous) = match current {
        Some(current) => (current, previous),
        None if settings.embedded() => {
            let previous = match previous {
                Some(previous) => Some(previous),
                None => keys::oauth_previous_key(&settings.data_dir)?,
            };
            (keys::oauth_signing_key(&settings.data_dir)?, previous)
        }
        None => return Ok(None),
    };
    let keys = ServiceKeys::from_pem(
        current.expose_secret(),
        previous.as_ref().map(ExposeSecret::expose_secret),
    )
    .context(
        "the partner-token signing keys (RELAIS_OAUTH_SIGNING_KEY…, RELAIS_OAUTH_PREVIOUS_KEY…)",
    )?;
    Ok(Some(keys))
}

/// A key given inline or in a file (not both), as PEM.
fn configured_pem(
    inline: &Option<SecretString>,
    file: Option<&std::path::Path>,
    name: &str,
) -> anyhow::Result<Option<SecretString>> {
    match (inline, file) {
        (Some(_), Some(_)) => {
            anyhow::bail!("set RELAIS_OAUTH_{name} or RELAIS_OAUTH_{name}_FILE, not both")
        }
        (Some(pem), None) => Ok(Some(pem.clone())),
        (None, Some(path)) => std::fs::read_to_string(path)
            .map(|pem| Some(SecretString::from(pem)))
            .with_context(|| format!("cannot read the signing key {}", path.display())),
        (None, None) => Ok(None),
    }
}

/// A bound, not yet running HTTP server.
pub struct Server {
    pub addr: SocketAddr,
    pub server: actix_web::dev::Server,
}

/// Binds the HTTP server on `listen` (port 0 picks a free port).
pub fn http_server(settings: &Settings, db: Db, vault: NirVault) -> anyhow::Result<Server> {
    let mut auth = Authenticator::new(auth_settings(settings)?)?;
    let service_keys = service_keys(settings)?.map(Arc::new);
    match &service_keys {
        Some(keys) => auth = auth.with_service_keys(keys.clone(), &settings.oauth.issuer),
        None => tracing::warn!(
            "no partner-token signing key (RELAIS_OAUTH_SIGNING_KEY_FILE): POST /v1/oauth/token \
             answers 503 and /.well-known/jwks.json is empty"
        ),
    }
    let oauth = OAuthSettings {
        keys: service_keys,
        issuer: settings.oauth.issuer.clone(),
        audience: settings.auth.audience.clone(),
        token_ttl: settings.oauth.token_ttl,
    };
    let upload_limit = settings.upload_limit_bytes;
    if !(1..=relais_domain::document::MAX_UPLOAD_LIMIT).contains(&upload_limit) {
        anyhow::bail!(
            "RELAIS_UPLOAD_LIMIT_BYTES must be between 1 and {} (64 MiB)",
            relais_domain::document::MAX_UPLOAD_LIMIT
        );
    }
    let cors_origins = settings
        .cors_origins
        .iter()
        .map(|origin| relais_api::cors::parse_origin(origin))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|why| anyhow::anyhow!("RELAIS_CORS_ORIGINS: {why}"))?;
    let state = web::Data::new(
        AppState::new(
            db,
            auth,
            vault,
            ApiSettings {
                json_limit: settings.json_limit_bytes,
                webhooks_allow_loopback: settings.webhooks.allow_loopback,
                upload_limit,
                cors_origins,
                stats_min_count: settings.stats_min_count.max(1),
                rate_limits: relais_api::rate_limit::RateLimitSettings {
                    per_minute: settings.rate_limit_per_minute,
                    burst: settings.rate_limit_burst,
                    token_failures_per_minute: settings.token_failures_per_minute,
                    trust_forwarded: settings.trust_forwarded,
                },
            },
        )
        .with_oauth(oauth),
    );
    let listener = TcpListener::bind(&settings.listen)
        .with_context(|| format!("cannot listen on {}", settings.listen))?;
    let addr = listener.local_addr()?;
    let workers = settings.http_workers.max(1);
    // Each worker has its own share of the connections (see `Db::for_worker`).
    let share = settings.db_max_connections / u32::try_from(workers).unwrap_or(u32::MAX);
    let server = HttpServer::new(move || {
        let mut own = AppState::clone(&state);
        own.db = state.db.for_worker(share);
        relais_api::build_app(web::Data::new(own))
    })
    .workers(workers)
    .listen(listener)?
    .shutdown_timeout(10)
    .run();
    Ok(Server { addr, server })
}
