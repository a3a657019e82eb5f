//! `overhaul`: the command line. Parses arguments, wires the layers together, nothing more.

mod bench;
mod bench_ingest;
mod config;
mod demo;
mod mqtt;
#[cfg(feature = "opcua")]
mod opcua;

use anyhow::{Context, Result, bail};
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use overhaul_app::{App, Ctx, Db};
use overhaul_core::role::Role;
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "overhaul",
    version,
    about = "Maintenance operations management (CMMS): assets, requests, work orders, audit trail."
)]
struct Cli {
    /// Configuration file (TOML): every option with an OVERHAUL_* variable, by the variable's
    /// name without the prefix in lower case (database_url, listen, …). Default: ./overhaul.toml
    /// when present. Command line > environment > file > built-in default.
    #[arg(long, global = true, env = "OVERHAUL_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Database: sqlite://FILE (default) or postgres://USER@HOST/DB.
    #[arg(
        long,
        global = true,
        env = "OVERHAUL_DATABASE_URL",
        default_value = "sqlite://overhaul.db"
    )]
    database_url: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (API, landing page, /healthz, /readyz, /metrics).
    Serve {
        #[arg(long, env = "OVERHAUL_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
        /// Keep uploaded photos and documents in this directory instead of the database.
        #[arg(long, env = "OVERHAUL_FILES_DIR")]
        files_dir: Option<std::path::PathBuf>,
        /// Read machine data from this MQTT broker (HOST:PORT): the signals bound to MQTT topics
        /// and Sparkplug B metrics.
        #[arg(long, env = "OVERHAUL_MQTT")]
        mqtt: Option<String>,
        /// MQTT client id: unique per instance, stable across restarts (default overhaul-HOSTNAME).
        #[arg(long, env = "OVERHAUL_MQTT_CLIENT_ID")]
        mqtt_client_id: Option<String>,
        /// Generate due PM work every this many seconds (0 = never; use `overhaul pm generate`
        /// from cron instead). Safe with several instances on one database: exactly once.
        #[arg(long, env = "OVERHAUL_PM_INTERVAL", default_value_t = 60)]
        pm_interval: u64,
        /// Keep raw sensor readings this many days (hourly rollups are kept for good); older
        /// readings are refused on arrival and pruned every hour.
        #[arg(long, env = "OVERHAUL_READINGS_RETENTION_DAYS", default_value_t = 30,
              value_parser = clap::value_parser!(u32).range(1..=3650))]
        readings_retention_days: u32,
        /// Read machine data from OPC UA servers: every enabled signal bound to an OPC UA node
        /// (security None, anonymous). Needs a build with the cargo feature `opcua`.
        #[arg(long, env = "OVERHAUL_OPCUA")]
        opcua: bool,
        /// async-opcua's certificate directory (created if missing; unused with security None).
        /// Default: `opcua-pki` in the system temp directory.
        #[arg(long, env = "OVERHAUL_OPCUA_PKI_DIR")]
        opcua_pki_dir: Option<std::path::PathBuf>,
    },
    /// Seed a demo plant into a fresh database and serve it.
    Demo {
        #[arg(long, env = "OVERHAUL_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
        /// Delete an existing SQLite demo database first.
        #[arg(long)]
        fresh: bool,
        /// Seed only, do not serve.
        #[arg(long)]
        no_serve: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Ask a running server whether it is ready (exit 0) or not (exit 1).
    Healthcheck {
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Write a consistent online backup to FILE.
    Backup { file: PathBuf },
    /// Restore a backup FILE into an empty database.
    Restore { file: PathBuf },
    /// Measure the API over loopback on a fresh database (see docs/benchmarks.md).
    Bench(bench::BenchArgs),
    /// Import a maintenance history; importing it again changes nothing. KIND: azure-pdm (PATH is
    /// the directory of the PdM_*.csv files), excavator-mwo (PATH is excavators.csv) or readings
    /// (PATH is a CSV of signal_id or signal, time, value).
    Import {
        #[arg(value_parser = overhaul_interop::ImportKind::parse)]
        kind: overhaul_interop::ImportKind,
        path: PathBuf,
    },
    /// Write a table as CSV (to standard output, or to --output FILE, written whole or not at
    /// all). KIND: sites, users, assets, meters, work-requests, work-orders, pm-plans, signals.
    Export {
        #[arg(value_parser = overhaul_interop::ExportKind::parse)]
        kind: overhaul_interop::ExportKind,
        /// Only this site (code).
        #[arg(long)]
        site: Option<String>,
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Preventive maintenance: generate due work (for cron) or print the forecast.
    Pm {
        #[command(subcommand)]
        command: PmCommand,
    },
    /// Reliability KPIs of an asset and everything below it.
    Kpi {
        /// Site code.
        #[arg(long)]
        site: String,
        /// Asset code.
        #[arg(long)]
        asset: String,
        /// Window start (RFC 3339 or YYYY-MM-DD); default 30 days before --to.
        #[arg(long, value_parser = parse_instant)]
        from: Option<chrono::DateTime<chrono::Utc>>,
        /// Window end, exclusive; default now.
        #[arg(long, value_parser = parse_instant)]
        to: Option<chrono::DateTime<chrono::Utc>>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum PmCommand {
    /// Generate the work due now, or as of --until (idempotent: run it as often as you like).
    Generate {
        #[arg(long, value_parser = parse_instant)]
        until: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// Print every occurrence due up to --until without creating anything.
    Forecast {
        /// Site code; default every site.
        #[arg(long)]
        site: Option<String>,
        #[arg(long, value_parser = parse_instant)]
        until: chrono::DateTime<chrono::Utc>,
    },
}

/// An instant as RFC 3339, or a date (midnight UTC).
fn parse_instant(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&chrono::Utc));
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
        .ok_or_else(|| format!("'{s}' is not a date (YYYY-MM-DD) or an RFC 3339 time"))
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user; the password is read from standard input.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Site code the role applies to; omit for all sites.
        #[arg(long)]
        site: Option<String>,
        /// Read the password from standard input (one line).
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token for a user and print it (once).
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: Option<String>,
    },
    /// List a user's tokens: id, name, created, last used, revoked.
    List {
        #[arg(long)]
        email: String,
    },
    /// Revoke a token by its id; programs using it are refused at once.
    Revoke { id: uuid::Uuid },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain: exit 0 when intact, 1 naming the first bad record.
    Verify,
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s)
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let cmd = Cli::command();
    let file = config::locate(
        &argv,
        std::env::var("OVERHAUL_CONFIG").ok(),
        std::path::Path::new("overhaul.toml").is_file(),
    );
    let settings = match config::load(file.as_deref(), &cmd) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    let parsed = config::apply(cmd, &settings)
        .try_get_matches_from(std::env::args_os())
        .and_then(|m| Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    init_logging(
        matches!(cli.command, Command::Serve { .. } | Command::Demo { .. }),
        &settings,
    );
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match rt.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn init_logging(server: bool, settings: &config::Settings) {
    use tracing_subscriber::EnvFilter;
    let default = if server { "info" } else { "warn" };
    // The environment wins over the configuration file.
    let filter = EnvFilter::try_from_env("OVERHAUL_LOG")
        .or_else(|_| EnvFilter::try_new(settings.get("log").unwrap_or(default)))
        .unwrap_or_else(|_| EnvFilter::new(default));
    let format = std::env::var("OVERHAUL_LOG_FORMAT")
        .ok()
        .or_else(|| settings.get("log_format").map(str::to_owned));
    let text = format.is_some_and(|v| v == "text");
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if text || !server {
        b.init();
    } else {
        b.json().flatten_event(true).with_current_span(true).init();
    }
}

async fn open(url: &str) -> Result<Db> {
    let db = Db::connect(url)
        .await
        .with_context(|| format!("cannot open the database {}", redact(url)))?;
    db.migrate().await.context("cannot migrate the database")?;
    Ok(db)
}

/// A database URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***@{}", &url[..s], &url[at + 1..]),
        _ => url.to_owned(),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing requests in flight");
}

/// Machine data source for `serve`: broker address and client id.
struct MqttOpts {
    broker: String,
    client_id: Option<String>,
}

/// Runs `job` every `every` (the first time one interval after start) until the returned
/// sender is told to stop. A run that takes longer than the interval delays the next one.
fn start_periodic<F, Fut>(
    every: std::time::Duration,
    mut job: F,
) -> tokio::sync::watch::Sender<bool>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stopped.changed() => break,
            }
            job().await;
        }
    });
    stop
}

fn start_pm_job(app: App, every: std::time::Duration) -> tokio::sync::watch::Sender<bool> {
    start_periodic(every, move || {
        let app = app.clone();
        async move {
            let ctx = Ctx::system("pm generation", chrono::Utc::now());
            match app.generate_pm(&ctx).await {
                Ok(r) => tracing::info!(
                    plans = r.plans,
                    created = r.work_orders_created,
                    missed = r.missed_recorded,
                    skipped = r.skipped_recorded,
                    already_present = r.already_present,
                    "pm generation"
                ),
                Err(e) => tracing::warn!(error = %e, "pm generation failed; retried next interval"),
            }
        }
    })
}

/// Deletes raw readings older than the retention every hour (hourly rollups stay).
fn start_retention_job(app: App) -> tokio::sync::watch::Sender<bool> {
    start_periodic(std::time::Duration::from_secs(3600), move || {
        let app = app.clone();
        async move {
            let ctx = Ctx::system("readings retention", chrono::Utc::now());
            match app.prune_readings(&ctx, app.readings_retention).await {
                Ok(n) => tracing::info!(deleted = n, "raw readings past their retention pruned"),
                Err(e) => tracing::warn!(error = %e, "pruning readings failed; retried next hour"),
            }
        }
    })
}

/// The periodic jobs of `serve`.
struct Jobs {
    /// Seconds between PM generation runs; 0 = none.
    pm_interval: u64,
    /// Raw readings are kept this many days.
    retention_days: u32,
}

/// `serve --opcua`: the certificate directory of the OPC UA client.
struct OpcUaOpts {
    #[cfg_attr(not(feature = "opcua"), allow(dead_code))]
    pki_dir: PathBuf,
}

async fn serve(
    db: Db,
    listen: &str,
    files_dir: Option<std::path::PathBuf>,
    mqtt: Option<MqttOpts>,
    opcua: Option<OpcUaOpts>,
    jobs: Jobs,
) -> Result<()> {
    let Jobs {
        pm_interval,
        retention_days,
    } = jobs;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, backend = ?db.backend(), "serving");
    let mut app = App::new(db.clone());
    if let Some(dir) = files_dir {
        app = app.with_files_dir(dir);
    }
    app.readings_retention = chrono::Duration::days(i64::from(retention_days));
    let retention_job = start_retention_job(app.clone());
    let ingest = match mqtt {
        Some(m) => Some(mqtt::start(app.clone(), &m.broker, m.client_id).await?),
        None => None,
    };
    let pm_job = (pm_interval > 0)
        .then(|| start_pm_job(app.clone(), std::time::Duration::from_secs(pm_interval)));
    #[cfg(feature = "opcua")]
    let opcua_ingest = match opcua {
        Some(o) => Some(opcua::start(app.clone(), o.pki_dir).await?),
        None => None,
    };
    #[cfg(not(feature = "opcua"))]
    if opcua.is_some() {
        bail!("this build has no OPC UA support: rebuild with `cargo build --features opcua`");
    }
    let router = overhaul_server::build_app(app);
    overhaul_server::serve(listener, router, shutdown_signal()).await?;
    if let Some(j) = pm_job {
        let _ = j.send(true);
    }
    let _ = retention_job.send(true);
    if let Some(i) = ingest {
        i.stop().await;
    }
    #[cfg(feature = "opcua")]
    if let Some(i) = opcua_ingest {
        i.stop().await;
    }
    overhaul_store::dialect::checkpoint(&db).await.ok();
    db.close().await;
    Ok(())
}

async fn run(cli: Cli) -> Result<ExitCode> {
    let url = cli.database_url.clone();
    match cli.command {
        Command::Serve {
            listen,
            files_dir,
            mqtt,
            mqtt_client_id,
            pm_interval,
            readings_retention_days,
            opcua,
            opcua_pki_dir,
        } => {
            let db = open(&url).await?;
            let mqtt = mqtt.map(|broker| MqttOpts {
                broker,
                client_id: mqtt_client_id,
            });
            let opcua = opcua.then(|| OpcUaOpts {
                pki_dir: opcua_pki_dir
                    .unwrap_or_else(|| std::env::temp_dir().join("overhaul-opcua-pki")),
            });
            serve(
                db,
                &listen,
                files_dir,
                mqtt,
                opcua,
                Jobs {
                    pm_interval,
                    retention_days: readings_retention_days,
                },
            )
            .await?;
        }
        Command::Demo {
            listen,
            fresh,
            no_serve,
        } => {
            let url = if url == "sqlite://overhaul.db"
                && std::env::var("OVERHAUL_DATABASE_URL").is_err()
            {
                "sqlite://overhaul-demo.db".to_owned()
            } else {
                url
            };
            if fresh && let Some(path) = url.strip_prefix("sqlite://") {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{path}{suffix}"));
                }
            }
            let db = open(&url).await?;
            let app = App::new(db.clone());
            let logins = demo::seed(&app, &format!("http://{listen}")).await?;
            println!("{logins}");
            if !no_serve {
                println!("Overhaul demo: http://{listen}/  (Ctrl-C to stop)");
                let jobs = Jobs {
                    pm_interval: 60,
                    retention_days: 30,
                };
                serve(db, &listen, None, None, None, jobs).await?;
            }
        }
        Command::Migrate => {
            let db = open(&url).await?;
            db.close().await;
            println!("migrations applied");
        }
        Command::Healthcheck { url: base } => {
            let target = format!("{}/readyz", base.trim_end_matches('/'));
            let ok = reqwest::Client::new()
                .get(&target)
                .timeout(std::time::Duration::from_secs(5))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if !ok {
                eprintln!("error: {target} is not ready");
                return Ok(ExitCode::from(1));
            }
            println!("ready");
        }
        Command::Openapi => println!("{}", overhaul_server::openapi_json()),
        Command::User {
            command:
                UserCommand::Add {
                    email,
                    name,
                    role,
                    site,
                    password_stdin,
                },
        } => {
            let db = open(&url).await?;
            let app = App::new(db);
            let password = if password_stdin {
                let mut s = String::new();
                std::io::stdin().read_to_string(&mut s)?;
                Some(s.lines().next().unwrap_or("").to_owned())
            } else {
                None
            };
            let site_id = match site {
                Some(code) => Some(
                    overhaul_store::site::by_code(&app.db, &code)
                        .await?
                        .with_context(|| format!("no site with code {code}"))?
                        .id,
                ),
                None => None,
            };
            let ctx = Ctx::system("cli", chrono::Utc::now());
            let u = app
                .create_user(
                    &ctx,
                    overhaul_app::users::NewUser {
                        email,
                        name,
                        password,
                        roles: vec![overhaul_app::users::NewGrant { role, site_id }],
                    },
                )
                .await
                .map_err(app_err)?;
            println!("user {} created ({})", u.user.email, u.user.id);
        }
        Command::Token {
            command: TokenCommand::Create { email, name },
        } => {
            let app = App::new(open(&url).await?);
            let ctx = Ctx::system("cli", chrono::Utc::now());
            let t = app
                .create_token(&ctx, &email, name.as_deref())
                .await
                .map_err(app_err)?;
            println!("{}", t.token.0);
        }
        Command::Token {
            command: TokenCommand::List { email },
        } => {
            let app = App::new(open(&url).await?);
            let ctx = Ctx::system("cli", chrono::Utc::now());
            let wanted = email.trim().to_lowercase();
            let Some(u) = app
                .list_users(&ctx)
                .await
                .map_err(app_err)?
                .into_iter()
                .find(|u| u.user.email == wanted)
            else {
                bail!("no user with the e-mail address {email}");
            };
            let when = |t: Option<chrono::DateTime<chrono::Utc>>| {
                t.map(|t| t.format("%Y-%m-%dT%H:%MZ").to_string())
                    .unwrap_or_else(|| "-".into())
            };
            println!(
                "{:<36}  {:<24}  {:<17}  {:<17}  revoked",
                "id", "name", "created", "last used"
            );
            for t in app
                .list_tokens(&ctx, Some(u.user.id))
                .await
                .map_err(app_err)?
            {
                println!(
                    "{:<36}  {:<24}  {:<17}  {:<17}  {}",
                    t.id,
                    t.name,
                    when(Some(t.created_at)),
                    when(t.last_used_at),
                    when(t.revoked_at)
                );
            }
        }
        Command::Token {
            command: TokenCommand::Revoke { id },
        } => {
            let app = App::new(open(&url).await?);
            let ctx = Ctx::system("cli", chrono::Utc::now());
            let t = app.revoke_token(&ctx, id).await.map_err(app_err)?;
            println!("revoked token {} ({})", t.id, t.name);
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let app = App::new(open(&url).await?);
            let ctx = Ctx::system("cli", chrono::Utc::now());
            match app.verify_audit(&ctx).await.map_err(app_err)? {
                overhaul_store::audit::Verification::Intact { records } => {
                    println!("audit trail intact: {records} records");
                }
                overhaul_store::audit::Verification::Broken(b) => {
                    eprintln!("error: audit trail broken: {b}");
                    return Ok(ExitCode::from(1));
                }
            }
        }
        Command::Backup { file } => {
            let db = open(&url).await?;
            let n = overhaul_store::backup::backup(&db, &file).await?;
            match db.backend() {
                overhaul_app::Backend::Sqlite => println!("backup written to {}", file.display()),
                overhaul_app::Backend::Postgres => {
                    println!("backup of {n} rows written to {}", file.display())
                }
            }
        }
        Command::Restore { file } => {
            if let Some(path) = url
                .strip_prefix("sqlite://")
                .or_else(|| url.strip_prefix("sqlite:"))
            {
                overhaul_store::backup::restore_sqlite(&file, std::path::Path::new(path))?;
                let db = open(&url).await?;
                verify_after_restore(&db).await?;
            } else {
                let db = open(&url).await?;
                let n = overhaul_store::backup::restore_postgres(&db, &file).await?;
                verify_after_restore(&db).await?;
                println!("{n} rows restored");
            }
            println!("restored {} into {}", file.display(), redact(&url));
        }
        Command::Bench(args) => bench::run(args).await?,
        Command::Import { kind, path } => {
            let app = App::new(open(&url).await?);
            let ctx = Ctx::system(&format!("import {kind}"), chrono::Utc::now());
            let mut progress = overhaul_interop::Progress::stderr(kind.as_str());
            let report = overhaul_interop::import(&app, &ctx, kind, &path, &mut progress).await?;
            println!("{report}");
        }
        Command::Export { kind, site, output } => {
            let app = App::new(open(&url).await?);
            let ctx = Ctx::system(&format!("export {kind}"), chrono::Utc::now());
            let site_id = match site {
                Some(code) => Some(
                    overhaul_store::site::by_code(&app.db, &code)
                        .await?
                        .with_context(|| format!("no site with code {code}"))?
                        .id,
                ),
                None => None,
            };
            let mut progress = overhaul_interop::Progress::stderr(kind.as_str());
            match output {
                None => {
                    let out = std::io::BufWriter::new(std::io::stdout().lock());
                    overhaul_interop::export(&app, &ctx, kind, site_id, out, &mut progress).await?;
                }
                Some(file) => {
                    // Written beside the target and renamed when complete: a failed export
                    // leaves no half file behind.
                    let dir = file
                        .parent()
                        .filter(|p| !p.as_os_str().is_empty())
                        .unwrap_or(std::path::Path::new("."));
                    let tmp = tempfile::NamedTempFile::new_in(dir)
                        .with_context(|| format!("cannot write in {}", dir.display()))?;
                    let n = overhaul_interop::export(
                        &app,
                        &ctx,
                        kind,
                        site_id,
                        std::io::BufWriter::new(tmp.as_file()),
                        &mut progress,
                    )
                    .await?;
                    tmp.as_file().sync_all()?;
                    tmp.persist(&file)
                        .with_context(|| format!("cannot write {}", file.display()))?;
                    eprintln!("{n} {kind} written to {}", file.display());
                }
            }
        }
        Command::Pm {
            command: PmCommand::Generate { until },
        } => {
            let app = App::new(open(&url).await?);
            let ctx = Ctx::system("pm generate", until.unwrap_or_else(chrono::Utc::now));
            let r = app.generate_pm(&ctx).await.map_err(app_err)?;
            println!(
                "{} plans: {} work orders created, {} skipped and {} missed occurrences recorded, {} already present",
                r.plans,
                r.work_orders_created,
                r.skipped_recorded,
                r.missed_recorded,
                r.already_present
            );
        }
        Command::Pm {
            command: PmCommand::Forecast { site, until },
        } => {
            let app = App::new(open(&url).await?);
            let ctx = Ctx::system("pm forecast", chrono::Utc::now());
            let site_id = match site {
                Some(code) => Some(
                    overhaul_store::site::by_code(&app.db, &code)
                        .await?
                        .with_context(|| format!("no site with code {code}"))?
                        .id,
                ),
                None => None,
            };
            let items = app
                .pm_forecast(
                    &ctx,
                    overhaul_app::pm::ForecastQuery {
                        site_id,
                        plan_id: None,
                        from: None,
                        until: Some(until),
                    },
                )
                .await
                .map_err(app_err)?;
            println!(
                "{:<22} {:<22} {:<10} title",
                "due (UTC)", "create at (UTC)", "status"
            );
            for i in &items {
                let status = match i.occurrence.status {
                    overhaul_core::pm::OccurrenceStatus::Due => "due",
                    overhaul_core::pm::OccurrenceStatus::Skipped { .. } => "skipped",
                    overhaul_core::pm::OccurrenceStatus::Missed { .. } => "missed",
                };
                println!(
                    "{:<22} {:<22} {:<10} {}",
                    i.occurrence.due.format("%Y-%m-%d %H:%M"),
                    i.occurrence.create_at.format("%Y-%m-%d %H:%M"),
                    status,
                    i.title
                );
            }
            println!("{} occurrences", items.len());
        }
        Command::Kpi {
            site,
            asset,
            from,
            to,
            json,
        } => {
            let app = App::new(open(&url).await?);
            let ctx = Ctx::system("kpi", chrono::Utc::now());
            let s = overhaul_store::site::by_code(&app.db, &site)
                .await?
                .with_context(|| format!("no site with code {site}"))?;
            let a = app
                .asset_by_code(&ctx, s.id, &asset)
                .await
                .map_err(app_err)?;
            let r = app
                .asset_kpis(
                    &ctx,
                    a.asset.id,
                    overhaul_app::kpis::KpiQuery {
                        from,
                        to,
                        subtree: Some(true),
                    },
                )
                .await
                .map_err(app_err)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                let k = &r.kpis;
                let opt =
                    |v: Option<f64>| v.map(|x| format!("{x:.2}")).unwrap_or_else(|| "—".into());
                let pct = |v: Option<f64>| {
                    v.map(|x| format!("{:.2} %", x * 100.0))
                        .unwrap_or_else(|| "—".into())
                };
                println!(
                    "{} ({} assets), {} to {}",
                    asset,
                    r.assets,
                    r.from.format("%Y-%m-%d %H:%M"),
                    r.to.format("%Y-%m-%d %H:%M")
                );
                println!("  running h            {:.2}", k.hours.running);
                println!("  standby h            {:.2}", k.hours.standby);
                println!("  down planned h       {:.2}", k.hours.down_planned);
                println!("  down unplanned h     {:.2}", k.hours.down_unplanned);
                println!("  failures             {}", k.failures);
                match k.mtbf {
                    overhaul_core::kpi::Mtbf::Hours(h) => println!("  MTBF h               {h:.2}"),
                    overhaul_core::kpi::Mtbf::MoreThan(h) => {
                        println!("  MTBF h               > {h:.2} (no failure)")
                    }
                }
                println!("  MTTR (restoration) h {}", opt(k.mttr_hours));
                println!("  MDT h                {}", opt(k.mdt_hours));
                println!("  A_i                  {}", pct(k.availability_inherent));
                println!("  A_o                  {}", pct(k.availability_operational));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn verify_after_restore(db: &Db) -> Result<()> {
    match overhaul_store::audit::verify(db).await? {
        overhaul_store::audit::Verification::Intact { records } => {
            println!("audit trail intact after restore: {records} records");
            Ok(())
        }
        overhaul_store::audit::Verification::Broken(b) => {
            bail!("the restored audit trail is broken: {b}")
        }
    }
}

fn app_err(e: overhaul_app::AppError) -> anyhow::Error {
    match &e {
        overhaul_app::AppError::Invalid(i) => anyhow::anyhow!("{i}"),
        _ => anyhow::anyhow!("{e}"),
    }
}
