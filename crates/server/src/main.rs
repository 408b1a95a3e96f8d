//! `curricula`: the service and its command line.

use anyhow::Context;
use clap::{Parser, Subcommand};
use curricula_server::app::{self, Adapters, AppState};
use curricula_server::settings::Settings;
use curricula_server::{admin_cli, client_cli, existing, sweep, telemetry};
use std::path::PathBuf;
use std::process::ExitCode;

/// Curricula: e-learning content service (SCORM packages, courses, learning paths).
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Configuration file (default: ./curricula.toml when present).
    #[arg(long, global = true, env = "CURRICULA_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service (applies pending migrations first).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Administer tenants, keys, users, organisations and languages.
    Admin(admin_cli::AdminArgs),
    /// Remove package folders no language version references (older than gc.grace_seconds).
    Gc {
        /// Only report what would be removed.
        #[arg(long)]
        dry_run: bool,
    },
    /// Inspect a SCORM package and print what it is, as JSON (exit 1 when refused).
    Inspect {
        /// The .zip package.
        package: PathBuf,
    },
    /// Upload a SCORM package to a running service (checked locally first); prints the activity id.
    Upload(client_cli::UploadArgs),
    /// Print a path's sections and entries, with their settings, from a running service.
    Tree(client_cli::TreeArgs),
    /// Print an enrollment's progress (status, score, time, attempts, each SCO) from a running service.
    Enrollment(client_cli::EnrollmentArgs),
    /// Print every enrolled learner's progress in a path (status, score, entries) as a table.
    Progress(client_cli::ProgressArgs),
    /// Make a path the tree kept in a JSON file (one write, all or nothing); `--dry-run` prints the changes only.
    Sync(client_cli::SyncArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let client = match &cli.command {
        Command::Inspect { package } => return inspect(package),
        Command::Upload(args) => Some(client_cli::upload(args)),
        Command::Tree(args) => Some(client_cli::tree(args)),
        Command::Enrollment(args) => Some(client_cli::enrollment(args)),
        Command::Progress(args) => Some(client_cli::progress(args)),
        Command::Sync(args) => Some(client_cli::sync(args)),
        _ => None,
    };
    if let Some(result) = client {
        return match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        };
    }
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    telemetry::init(&settings.log.format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: starting the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve => serve(settings).await,
            Command::Migrate => migrate(settings).await,
            Command::Admin(args) => admin_cli::run(args, &settings).await,
            Command::Gc { dry_run } => gc(settings, dry_run).await,
            Command::Inspect { .. }
            | Command::Upload(_)
            | Command::Tree(_)
            | Command::Enrollment(_)
            | Command::Progress(_)
            | Command::Sync(_) => {
                unreachable!("handled above")
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn migrate(settings: Settings) -> anyhow::Result<()> {
    let adapters = Adapters::open(&settings).await?;
    eprintln!("migrations applied");
    claim_blob_store(&adapters, &settings).await;
    Ok(())
}

/// Claims an unclaimed blob store for this database; warns when it belongs to another (the
/// sweep then skips it).
async fn claim_blob_store(adapters: &Adapters, settings: &Settings) {
    let database = existing::database_identity(&settings.database.url);
    match existing::claim(adapters.blobs.as_ref(), &database).await {
        Ok(existing::Owner::Unclaimed) => {
            tracing::info!(database = %database, "the blob store is now claimed for {database}");
        }
        Ok(existing::Owner::Database(owner)) if owner == database => {}
        Ok(existing::Owner::Database(owner)) => {
            tracing::warn!(
                owner = %owner,
                database = %database,
                "the blob store belongs to the database {owner}, not to {database}: the blob sweep is skipped \
                 (it would remove the other installation's packages); give this installation a folder or bucket of its own"
            );
        }
        Err(e) => {
            let chain = curricula_service::error_chain(&e);
            tracing::warn!(error = %chain, "could not read or write the blob store's claim ({chain}); the blob sweep is skipped until it can");
        }
    }
}

async fn gc(settings: Settings, dry_run: bool) -> anyhow::Result<()> {
    let adapters = existing::open_existing(&settings).await?;
    let database = existing::database_identity(&settings.database.url);
    existing::ensure_sweepable(adapters.blobs.as_ref(), &database).await?;
    let report = sweep::sweeper(&adapters, &settings.gc).sweep(dry_run).await?;
    for prefix in &report.orphans {
        println!("{}{prefix}", if dry_run { "would remove " } else { "removed " });
    }
    eprintln!("{}", sweep::summary(&report, dry_run));
    Ok(())
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    std::fs::create_dir_all("var").context("creating ./var")?;
    let adapters = Adapters::open(&settings).await?;
    tracing::info!(database = adapters.db.backend(), "database ready");
    // Spool folders of processes that died (kill -9 mid-upload) are removed here; the folder
    // of this process goes when it exits.
    let tmp_root = settings.tmp_dir()?;
    let (spool, leftovers) = curricula_server::upload_api::intake::SpoolDir::claim(&tmp_root)
        .with_context(|| format!("claiming a spool folder under {}", tmp_root.display()))?;
    if leftovers > 0 {
        tracing::info!(bytes = leftovers, folder = %tmp_root.display(), "removed spool files left by stopped processes");
    }
    let state = actix_web::web::Data::new(AppState::new(&adapters, &settings, spool.path().to_path_buf())?);
    if let Some(warning) = state.content.origins.warning() {
        tracing::warn!("{warning}");
    }
    // Says at start whose the store is; the periodic sweep checks again before every sweep.
    claim_blob_store(&adapters, &settings).await;
    sweep::spawn_periodic(
        sweep::sweeper(&adapters, &settings.gc),
        std::sync::Arc::clone(&adapters.blobs),
        existing::database_identity(&settings.database.url),
        &settings.gc,
    );
    if settings.webhooks.deliver {
        let deliverer = curricula_service::webhooks::Deliverer::new(
            adapters.db.webhooks(),
            std::sync::Arc::new(curricula_server::webhooks::HttpSender::new()?),
            std::sync::Arc::new(curricula_server::api::v2::events::render_event),
            std::sync::Arc::clone(&adapters.clock),
            settings.webhooks.settings(),
            instance_name(),
            std::sync::Arc::clone(&state.deliveries),
        );
        curricula_server::webhooks::spawn(deliverer);
    }
    // Asynchronous imports (`Prefer: respond-async`): this instance runs queued jobs too.
    curricula_server::upload_api::jobs::spawn(curricula_server::upload_api::jobs::Importer::new(
        state.clone(),
        instance_name(),
    ));
    let mut server = actix_web::HttpServer::new(move || app::app(state.clone()))
        .shutdown_timeout(settings.server.shutdown_grace_seconds)
        .bind(&settings.server.bind)
        .with_context(|| format!("binding {}", settings.server.bind))?;
    if settings.server.workers > 0 {
        server = server.workers(settings.server.workers);
    }
    for addr in server.addrs() {
        tracing::info!(%addr, "listening on http://{addr}");
    }
    let outcome = server.run().await.context("running the HTTP server");
    drop(spool);
    outcome
}

/// This process's name in the webhook and import leases it holds: unique per start.
fn instance_name() -> String {
    let mut bytes = [0u8; 6];
    let _ = getrandom::fill(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("pid{}-{hex}", std::process::id())
}

/// The package as `/api/activityupload/validate` reports it (the same camelCase fields).
fn package_report(package: &std::path::Path, i: &curricula_scorm::Inspection) -> serde_json::Value {
    use sha2::Digest;
    let (sha256, size) = std::fs::File::open(package)
        .and_then(|mut file| {
            let mut hasher = sha2::Sha256::new();
            let mut buf = vec![0u8; 64 * 1024];
            let mut size = 0u64;
            loop {
                let n = std::io::Read::read(&mut file, &mut buf)?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
                size += n as u64;
            }
            let hex: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
            Ok((Some(hex), Some(size)))
        })
        .unwrap_or((None, None));
    curricula_server::upload_api::package_json(sha256.as_deref(), size, i)
}

fn inspect(package: &std::path::Path) -> ExitCode {
    let limits = curricula_scorm::Limits::default();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let result = curricula_scorm::inspect_and_verify(|| std::fs::File::open(package), &limits, threads);
    let (body, ok) = match result {
        Ok(inspection) => {
            let refusal = inspection.ensure_launchable().err();
            let mut body = package_report(package, &inspection);
            if let Some(refusal) = &refusal {
                body["error"] = refusal.kind.as_str().into();
                body["message"] = refusal.message.clone().into();
            }
            (body, refusal.is_none())
        }
        Err(refusal) => (
            serde_json::json!({ "error": refusal.kind.as_str(), "message": refusal.message }),
            false,
        ),
    };
    println!("{}", serde_json::to_string_pretty(&body).unwrap_or_default());
    if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
