//! The `relais` command: `serve` (default), `migrate`, `token`, `org create`, `keys rotate`,
//! `keys rotate-nir`, `retention run`, `bench seed`, `openapi`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use relais_server::config::Settings;
use relais_server::demo::{DEMO_AGENTS, DEMO_SLUG};
use relais_server::tokens::{TokenRequest, issue};
use relais_server::{DevSecret, dev_secret, http_server, nir_vault, open_database, telemetry};
use relais_store::{letter_templates, organisations};

#[derive(Parser)]
#[command(
    name = "relais",
    version,
    about = "Relais: the API for accompagnement social"
)]
struct Cli {
    /// A TOML settings file (also RELAIS_CONFIG).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service (the default). Without DATABASE_URL, runs its own PostgreSQL.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print a development token (needs the development signing key).
    Token {
        /// Organisation slug.
        #[arg(long, default_value = DEMO_SLUG)]
        org: String,
        /// Role (repeatable): reception, worker, supervisor, admin, dpo.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// The agent's subject.
        #[arg(long)]
        sub: String,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
        /// Lifetime in hours.
        #[arg(long, default_value_t = 24)]
        hours: i64,
    },
    /// Manage organisations.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// Print the OpenAPI document as JSON (the committed copy is `openapi/openapi.json`).
    Openapi,
    /// Manage the partner-token signing key of the data directory (embedded mode).
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// The retention of personal data (archive, purge, erasures, audit expiry).
    Retention {
        #[command(subcommand)]
        command: RetentionCommand,
    },
    /// Measurements: synthetic data.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Fill an organisation with synthetic cases (French names, every stage, plan, contacts,
    /// applications, audit events) for measurements. Never on a database with real data.
    Seed {
        /// How many cases (one person each).
        #[arg(long, value_parser = clap::value_parser!(i64).range(1..=100_000_000))]
        cases: i64,
        /// How many workers share them.
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=10_000))]
        workers: u32,
        /// The organisation's slug (created when missing).
        #[arg(long, default_value = "bench")]
        org: String,
    },
}

#[derive(Subcommand)]
enum RetentionCommand {
    /// Run it now (the background worker runs it daily) and print what it did as JSON.
    Run {
        /// Only this organisation (its slug); every one by default.
        #[arg(long)]
        org: Option<String>,
        /// The day the run counts from (YYYY-MM-DD); today by default. A later day shows or
        /// applies the rules without waiting years.
        #[arg(long)]
        as_of: Option<chrono::NaiveDate>,
        /// Only report what a run would do; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Replace the signing key: the current one becomes the previous key (still valid and
    /// published until its tokens expire), a new one signs after the next start. Prints its kid.
    Rotate,
    /// Seal every NIR again under a new key, and hash it again for search. Embedded mode: the
    /// data directory's key is replaced (stop the server first). With DATABASE_URL: set
    /// RELAIS_NIR_KEY to the new key, RELAIS_NIR_PREVIOUS_KEY to the old one and
    /// RELAIS_SECRETS_KEY to the first one, run this, then drop RELAIS_NIR_PREVIOUS_KEY.
    RotateNir,
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Create an organisation.
    Create {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        /// Default length of a case, in months, for its target end date (default 6).
        #[arg(long, value_parser = clap::value_parser!(i32).range(1..=60))]
        case_months: Option<i32>,
        /// Days from closure to the post-closure review (default 28).
        #[arg(long, value_parser = clap::value_parser!(i32).range(1..=365))]
        review_days: Option<i32>,
        /// Days an unanswered referral waits before it expires (default 30).
        #[arg(long, value_parser = clap::value_parser!(i32).range(1..=365))]
        referral_expiry_days: Option<i32>,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if matches!(cli.command, Some(Command::Openapi)) {
        // Needs no settings, and nothing may log to stdout before the document.
        return print_openapi();
    }
    let settings =
        Settings::load(cli.config.as_deref()).map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
    telemetry::init(settings.log_format, &settings.log_level);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => actix_web::rt::System::new().block_on(serve(settings)),
        Command::Migrate => runtime.block_on(migrate(settings)),
        Command::Token {
            org,
            roles,
            sub,
            name,
            hours,
        } => token(&settings, &org, &roles, &sub, name.as_deref(), hours),
        Command::Org {
            command:
                OrgCommand::Create {
                    slug,
                    name,
                    case_months,
                    review_days,
                    referral_expiry_days,
                },
        } => {
            let org_settings = organisations::OrgSettings {
                case_target_months: case_months,
                review_delay_days: review_days,
                referral_expiry_days,
            };
            runtime.block_on(org_create(settings, &slug, &name, org_settings))
        }
        Command::Openapi => print_openapi(),
        Command::Keys {
            command: KeysCommand::Rotate,
        } => keys_rotate(&settings),
        Command::Keys {
            command: KeysCommand::RotateNir,
        } => runtime.block_on(keys_rotate_nir(settings)),
        Command::Retention {
            command:
                RetentionCommand::Run {
                    org,
                    as_of,
                    dry_run,
                },
        } => runtime.block_on(retention_run(settings, org.as_deref(), as_of, dry_run)),
        Command::Bench {
            command:
                BenchCommand::Seed {
                    cases,
                    workers,
                    org,
                },
        } => runtime.block_on(bench_seed(settings, &org, cases, workers)),
    }
}

/// `relais bench seed`: prints what was seeded as JSON.
async fn bench_seed(settings: Settings, org: &str, cases: i64, workers: u32) -> anyhow::Result<()> {
    let database = open_database(&settings).await?;
    let result = interruptible(async {
        database.db.migrate().await?;
        let workers = usize::try_from(workers)?;
        let vault = relais_server::nir_vault(&settings)?;
        relais_server::bench::seed(
            &database.db,
            &vault,
            org,
            cases,
            workers,
            chrono::Utc::now().date_naive(),
        )
        .await
    })
    .await;
    database.close().await;
    println!("{}", serde_json::to_string_pretty(&result?)?);
    Ok(())
}

/// Runs a command's work until it ends, or until Ctrl-C or SIGTERM stops it: either way the
/// caller then closes the database, and so stops the embedded cluster, which runs in its own
/// process group and never sees the signal.
async fn interruptible<T>(
    work: impl std::future::Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate())?;
    tokio::select! {
        result = work => result,
        _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted; nothing more was done")),
        _ = terminate.recv() => Err(anyhow::anyhow!("terminated; nothing more was done")),
    }
}

/// `relais keys rotate-nir`: seals every NIR again under the new key.
async fn keys_rotate_nir(settings: Settings) -> anyhow::Result<()> {
    if settings.embedded() {
        relais_server::keys::start_nir_rotation(&settings.data_dir)?;
    } else if settings.nir_previous_key.is_none() || settings.secrets_key.is_none() {
        anyhow::bail!(
            "with DATABASE_URL, set RELAIS_NIR_KEY to the new key, RELAIS_NIR_PREVIOUS_KEY to \
             the current one, and RELAIS_SECRETS_KEY to the first NIR key ever used (partners' \
             webhook keys and agenda feed tokens derive from it), then run this again"
        );
    }
    let vault = relais_server::nir_vault(&settings)?;
    let database = open_database(&settings).await?;
    let result = interruptible(async {
        database.db.migrate().await?;
        relais_server::reseal_nirs(
            &database.db,
            &vault,
            i64::from(settings.retention_batch.max(1)),
        )
        .await
    })
    .await;
    database.close().await;
    let done = result?;
    if settings.embedded() {
        relais_server::keys::finish_nir_rotation(&settings.data_dir)?;
        eprintln!("the data directory's NIR key was replaced; the previous one is deleted");
    } else {
        eprintln!("every NIR is sealed with RELAIS_NIR_KEY: remove RELAIS_NIR_PREVIOUS_KEY now");
    }
    println!(
        "{}",
        serde_json::json!({"scanned": done.scanned, "resealed": done.resealed})
    );
    Ok(())
}

/// `relais retention run`: prints the report of each organisation as JSON.
async fn retention_run(
    settings: Settings,
    org: Option<&str>,
    as_of: Option<chrono::NaiveDate>,
    dry_run: bool,
) -> anyhow::Result<()> {
    let database = open_database(&settings).await?;
    let as_of = as_of.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let result = interruptible(async {
        database.db.migrate().await?;
        relais_server::retention::run(&database.db, org, as_of, dry_run, settings.retention_batch)
            .await
    })
    .await;
    database.close().await;
    let runs = result?;
    let out = serde_json::json!({"as_of": as_of, "dry_run": dry_run, "organisations": runs});
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

/// `relais keys rotate`: rotates the data directory's partner-token signing key.
fn keys_rotate(settings: &Settings) -> anyhow::Result<()> {
    if settings.oauth.signing_key_file.is_some() || settings.oauth.signing_key.is_some() {
        anyhow::bail!(
            "the signing key is RELAIS_OAUTH_SIGNING_KEY_FILE: rotate it by pointing \
             RELAIS_OAUTH_PREVIOUS_KEY_FILE at the current file and RELAIS_OAUTH_SIGNING_KEY_FILE \
             at a new key (openssl genpkey -algorithm ed25519 -out new.pem), then restart"
        );
    }
    if !settings.embedded() {
        anyhow::bail!(
            "the data directory's signing key is only used in embedded mode (no DATABASE_URL); \
             configure RELAIS_OAUTH_SIGNING_KEY_FILE instead"
        );
    }
    let rotation = relais_server::keys::rotate_oauth_key(&settings.data_dir)?;
    println!("{}", rotation.kid);
    match rotation.previous_kid {
        Some(previous) => eprintln!(
            "new signing key {}; the previous key {previous} ({}) stays valid and published \
             until its tokens expire (token_ttl {}). Restart the server to sign with the new key.",
            rotation.kid,
            relais_server::keys::OAUTH_PREVIOUS_KEY_FILE,
            humantime_serde::re::humantime::format_duration(settings.oauth.token_ttl),
        ),
        None => eprintln!("created the signing key {}", rotation.kid),
    }
    Ok(())
}

/// `relais openapi`: the document this build serves at `/openapi.json`.
fn print_openapi() -> anyhow::Result<()> {
    let document = relais_api::openapi()
        .to_pretty_json()
        .context("serialising the OpenAPI document")?;
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{document}").and_then(|()| out.flush()) {
        // The reader had enough (`relais openapi | head`): not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        written => written.context("writing the OpenAPI document"),
    }
}

fn token(
    settings: &Settings,
    org: &str,
    roles: &[String],
    sub: &str,
    name: Option<&str>,
    hours: i64,
) -> anyhow::Result<()> {
    // Stdout is the token alone (`TOKEN=$(relais token …)`); where its key came from goes to
    // stderr.
    let secret = match DevSecret::of(settings) {
        DevSecret::Configured(secret) => {
            eprintln!("signed with RELAIS_AUTH_DEV_SECRET");
            secret
        }
        DevSecret::DataDir(dir) => {
            let dir = std::path::absolute(&dir).unwrap_or(dir);
            let Some(secret) = relais_server::keys::existing_dev_secret(&dir)? else {
                anyhow::bail!(
                    "no development signing secret in {}: the server creates it there when it \
                     first starts. Start the server first (`relais serve`), or point \
                     RELAIS_DATA_DIR at the data directory of the server you will call; a new \
                     secret would sign tokens that server refuses",
                    dir.display()
                );
            };
            eprintln!(
                "signed with the development secret of the data directory {}",
                dir.display()
            );
            secret
        }
        DevSecret::None => anyhow::bail!(
            "development tokens need the development signing key: run in embedded mode (no \
             DATABASE_URL) or set RELAIS_AUTH_DEV_SECRET"
        ),
    };
    let a = &settings.auth;
    let request = TokenRequest {
        org,
        roles,
        subject: sub,
        name,
        ttl: chrono::Duration::hours(hours.clamp(1, 24 * 30)),
    };
    println!(
        "{}",
        issue(
            &secret,
            &a.issuer,
            &a.audience,
            &a.org_claim,
            &a.roles_claim,
            &request
        )?
    );
    Ok(())
}

async fn migrate(settings: Settings) -> anyhow::Result<()> {
    let database = open_database(&settings).await?;
    let result = interruptible(async {
        database.db.migrate().await?;
        letter_templates::add_starters_everywhere(&database.db).await?;
        Ok(())
    })
    .await;
    database.close().await;
    result?;
    println!("migrations applied");
    Ok(())
}

async fn org_create(
    settings: Settings,
    slug: &str,
    name: &str,
    org_settings: organisations::OrgSettings,
) -> anyhow::Result<()> {
    let database = open_database(&settings).await?;
    let result = interruptible(async {
        database.db.migrate().await?;
        let mut conn = database.db.pool().acquire().await?;
        let org = organisations::create_with(&mut conn, slug, name, org_settings).await?;
        Ok::<_, anyhow::Error>(org)
    })
    .await;
    database.close().await;
    let org = result?;
    println!(
        "created organisation {} ({}) with id {}: cases of {} months, review {} days after closure",
        org.slug, org.name, org.id, org.case_target_months, org.review_delay_days
    );
    Ok(())
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let database = open_database(&settings).await?;
    let result = run(&settings, &database).await;
    database.close().await;
    result
}

async fn run(settings: &Settings, database: &relais_server::Database) -> anyhow::Result<()> {
    if settings.migrate_on_start {
        database.db.migrate().await.context("applying migrations")?;
    }
    // Organisations created before letters existed get the starter templates (once each).
    letter_templates::add_starters_everywhere(&database.db)
        .await
        .context("adding the starter letter templates")?;
    let demo = settings.demo.unwrap_or(database.is_embedded());
    if demo {
        relais_server::demo::ensure(&database.db)
            .await
            .context("creating the demo organisation")?;
    }
    let vault = nir_vault(settings)?;
    let server = http_server(settings, database.db.clone(), vault.clone())?;
    let worker = relais_server::worker::spawn_for_role(settings, database.db.clone(), vault)?;
    let base = format!("http://{}", server.addr);
    println!("Relais is listening on {base}");
    println!("  Swagger UI:  {base}/docs/");
    println!("  OpenAPI:     {base}/openapi.json");
    if demo && let Some(secret) = dev_secret(settings)? {
        println!("\nDevelopment tokens for the demo organisation ({DEMO_SLUG}), valid 24 hours:");
        let a = &settings.auth;
        for demo in DEMO_AGENTS {
            let (role, subject) = (demo.role, demo.subject);
            let roles = [role.to_owned()];
            let request = TokenRequest {
                org: DEMO_SLUG,
                roles: &roles,
                subject,
                name: Some(demo.name),
                ttl: chrono::Duration::hours(24),
            };
            let token = issue(
                &secret,
                &a.issuer,
                &a.audience,
                &a.org_claim,
                &a.roles_claim,
                &request,
            )?;
            println!("  {role:<10} ({subject}): {token}");
        }
        println!("\nTry: curl -H \"Authorization: Bearer <token>\" {base}/v1/me");
    }
    println!("Press Ctrl-C to stop.");
    let served = server.server.await;
    if let Some(worker) = worker {
        worker.shutdown().await;
    }
    served?;
    tracing::info!("stopped");
    Ok(())
}
