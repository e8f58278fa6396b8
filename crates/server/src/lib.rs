//! The `relais` service: configuration, telemetry, the database (embedded or external), the
//! HTTP server, and the demo organisation.

pub mod config;
pub mod demo;
pub mod keys;
pub mod telemetry;
pub mod tokens;

use std::net::{SocketAddr, TcpListener};
use std::str::FromStr;
use std::time::Duration;

use actix_web::{HttpServer, web};
use anyhow::Context;
use jsonwebtoken::Algorithm;
use relais_api::auth::{AuthSettings, Authenticator, KeySource};
use relais_api::{ApiSettings, AppState};
use relais_store::crypto::NirVault;
use relais_store::embedded::{EmbeddedOptions, EmbeddedPostgres};
use relais_store::{Db, PoolSettings};
use secrecy::{ExposeSecret, SecretString};
use sqlx::postgres::PgConnectOptions;

use crate::config::Settings;

/// Name of the application database in the embedded cluster.
pub const EMBEDDED_DATABASE: &str = "relais";

/// The database the service uses, and the embedded cluster when it runs one.
pub struct Database {
    pub db: Db,
    embedded: Option<EmbeddedPostgres>,
}

impl Database {
    /// Stops the embedded cluster if this process started it.
    pub async fn close(self) {
        self.db.pool().close().await;
        if let Some(cluster) = self.embedded {
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

fn pool_settings(settings: &Settings) -> PoolSettings {
    PoolSettings {
        max_connections: settings.db_max_connections,
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
    let db = Db::connect_lazy(cluster.connect_options(EMBEDDED_DATABASE), &pool);
    Ok(Database {
        db,
        embedded: Some(cluster),
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

/// The development secret: configured, or generated in the data directory in embedded mode
/// when no other key source is configured. `None` outside development.
pub fn dev_secret(settings: &Settings) -> anyhow::Result<Option<SecretString>> {
    if let Some(secret) = &settings.auth.dev_secret {
        return Ok(Some(secret.clone()));
    }
    let other_keys = settings.auth.jwks_url.is_some()
        || settings.auth.jwks_file.is_some()
        || settings.auth.pem_file.is_some();
    if settings.embedded() && !other_keys {
        return Ok(Some(keys::dev_secret(&settings.data_dir)?));
    }
    Ok(None)
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

/// The NIR vault: the configured key, or the data directory's in embedded mode.
pub fn nir_vault(settings: &Settings) -> anyhow::Result<NirVault> {
    match &settings.nir_key {
        Some(key) => keys::vault(key),
        None if settings.embedded() => keys::vault(&keys::nir_key(&settings.data_dir)?),
        None => {
            anyhow::bail!("RELAIS_NIR_KEY is required with DATABASE_URL (32 random bytes, base64)")
        }
    }
}

/// A bound, not yet running HTTP server.
pub struct Server {
    pub addr: SocketAddr,
    pub server: actix_web::dev::Server,
}

/// Binds the HTTP server on `listen` (port 0 picks a free port).
pub fn http_server(settings: &Settings, db: Db, vault: NirVault) -> anyhow::Result<Server> {
    let auth = Authenticator::new(auth_settings(settings)?)?;
    let state = web::Data::new(AppState::new(
        db,
        auth,
        vault,
        ApiSettings {
            json_limit: settings.json_limit_bytes,
        },
    ));
    let listener = TcpListener::bind(&settings.listen)
        .with_context(|| format!("cannot listen on {}", settings.listen))?;
    let addr = listener.local_addr()?;
    let server = HttpServer::new(move || relais_api::build_app(state.clone()))
        .listen(listener)?
        .shutdown_timeout(10)
        .run();
    Ok(Server { addr, server })
}
