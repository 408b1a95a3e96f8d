//! The blob sweep as the binary runs it: `curricula gc`, and periodically inside `serve`.
//! The rule (what is an orphan) is `curricula_service::gc`.

use crate::app::Adapters;
use crate::settings::GcSettings;
use crate::state::SystemClock;
use curricula_ports::{ActivityRepository, BlobStore};
use curricula_service::{BlobSweeper, SweepReport};
use std::sync::Arc;
use std::time::Duration;

/// The sweep over trait objects.
pub type Sweeper = BlobSweeper<dyn ActivityRepository, dyn BlobStore>;

/// The sweep over these adapters.
pub fn sweeper(adapters: &Adapters, settings: &GcSettings) -> Sweeper {
    BlobSweeper::new(
        Arc::clone(&adapters.activities),
        Arc::clone(&adapters.blobs),
        Arc::new(SystemClock),
        settings.grace_seconds,
    )
}

/// One line summing up a sweep.
pub fn summary(report: &SweepReport, dry_run: bool) -> String {
    format!(
        "{} package folders: {} referenced, {} too recent to judge, {} orphaned{}",
        report.folders,
        report.referenced,
        report.recent,
        report.orphans.len(),
        if dry_run {
            " (dry run: nothing deleted)".to_owned()
        } else {
            format!(" and removed ({} objects)", report.objects_deleted)
        }
    )
}

/// Sweeps every `interval_seconds` (0 = never) until the process ends; a failed sweep is
/// logged and retried at the next interval. Each sweep first claims `blobs` for `database`
/// when it is unclaimed (e.g. the bucket did not exist at start) and is skipped, with a
/// warning, while the store belongs to another database.
pub fn spawn_periodic(sweeper: Sweeper, blobs: Arc<dyn BlobStore>, database: String, settings: &GcSettings) {
    if settings.interval_seconds == 0 {
        tracing::info!("periodic blob sweep is off (gc.interval_seconds = 0)");
        return;
    }
    let interval = Duration::from_secs(settings.interval_seconds);
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The first tick fires at once; the first sweep waits one interval after start.
        ticker.tick().await;
        loop {
            ticker.tick().await;
            match crate::existing::claim(blobs.as_ref(), &database).await {
                Ok(crate::existing::Owner::Database(owner)) if owner != database => {
                    tracing::warn!(
                        owner = %owner,
                        "blob sweep skipped: the blob store belongs to the database {owner}, not to {database}"
                    );
                    continue;
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "blob sweep skipped: the blob store's claim could not be read or written");
                    continue;
                }
            }
            match sweeper.sweep(false).await {
                Ok(report) => tracing::info!(
                    folders = report.folders,
                    orphans = report.orphans.len(),
                    "blob sweep: {}",
                    summary(&report, false)
                ),
                Err(e) => crate::http::error::log_server_error(&e),
            }
        }
    });
}
