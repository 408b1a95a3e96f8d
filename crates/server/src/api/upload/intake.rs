//! What an upload may cost the instance before anyone is authenticated: how many run at once
//! (per instance and per tenant), how slowly a body may arrive, and the spool folder that
//! only this process writes to.

use curricula_domain::TenantId;
use std::collections::HashMap;
use std::future::Future as _;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::Instant;

/// The intake bounds of the upload API.
#[derive(Debug, Clone)]
pub struct IntakeSettings {
    /// Uploads running at once on this instance (0 = no bound).
    pub max_concurrent: usize,
    /// Uploads running at once for one tenant on this instance (0 = no bound).
    pub max_concurrent_per_tenant: usize,
    /// Longest wait for the next bytes of a body.
    pub idle_timeout: Duration,
    /// Slowest average body rate accepted, in bytes per second, once `rate_grace` has passed.
    pub min_bytes_per_second: u64,
    /// How long a body may arrive slower than `min_bytes_per_second`.
    pub rate_grace: Duration,
    /// What a 429 tells the caller to wait.
    pub retry_after: Duration,
}

impl Default for IntakeSettings {
    fn default() -> Self {
        Self {
            max_concurrent: 16,
            max_concurrent_per_tenant: 4,
            idle_timeout: Duration::from_secs(30),
            min_bytes_per_second: 16 * 1024,
            rate_grace: Duration::from_secs(10),
            retry_after: Duration::from_secs(5),
        }
    }
}

/// Counts the uploads in flight; [`Intake::enter`] and [`Slot::for_tenant`] hand out slots
/// that give their place back when dropped.
#[derive(Debug)]
pub struct Intake {
    /// The bounds.
    pub settings: IntakeSettings,
    counts: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    instance: usize,
    tenants: HashMap<TenantId, usize>,
}

/// Why an upload was not let in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Busy {
    /// The instance runs as many uploads as it may.
    Instance(usize),
    /// The tenant runs as many uploads on this instance as it may.
    Tenant(usize),
}

impl std::fmt::Display for Busy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Instance(n) => write!(f, "this server is handling {n} uploads already; retry shortly"),
            Self::Tenant(n) => write!(
                f,
                "your account has {n} uploads in progress on this server; retry shortly"
            ),
        }
    }
}

impl Intake {
    /// An intake with these bounds.
    pub fn new(settings: IntakeSettings) -> Arc<Self> {
        Arc::new(Self {
            settings,
            counts: Mutex::new(Counts::default()),
        })
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        // The counts are plain integers: a panic elsewhere cannot leave them half-written.
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A place for one more upload on this instance.
    ///
    /// # Errors
    /// [`Busy::Instance`] when all are taken.
    pub fn enter(self: &Arc<Self>) -> Result<Slot, Busy> {
        let mut counts = self.counts();
        let max = self.settings.max_concurrent;
        if max > 0 && counts.instance >= max {
            return Err(Busy::Instance(max));
        }
        counts.instance += 1;
        Ok(Slot {
            intake: Arc::clone(self),
            tenant: None,
        })
    }

    /// Uploads in flight on this instance.
    pub fn in_flight(&self) -> usize {
        self.counts().instance
    }
}

/// One upload's place; given back on drop.
#[derive(Debug)]
pub struct Slot {
    intake: Arc<Intake>,
    tenant: Option<TenantId>,
}

impl Slot {
    /// Counts this upload against `tenant` too (once; a second call for the same slot is a
    /// no-op).
    ///
    /// # Errors
    /// [`Busy::Tenant`] when the tenant's places are taken.
    pub fn for_tenant(&mut self, tenant: TenantId) -> Result<(), Busy> {
        if self.tenant.is_some() {
            return Ok(());
        }
        let mut counts = self.intake.counts();
        let max = self.intake.settings.max_concurrent_per_tenant;
        let current = counts.tenants.get(&tenant).copied().unwrap_or(0);
        if max > 0 && current >= max {
            return Err(Busy::Tenant(max));
        }
        counts.tenants.insert(tenant, current + 1);
        self.tenant = Some(tenant);
        Ok(())
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self.intake.counts();
        counts.instance = counts.instance.saturating_sub(1);
        if let Some(tenant) = self.tenant
            && let Some(n) = counts.tenants.get_mut(&tenant)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                counts.tenants.remove(&tenant);
            }
        }
    }
}

/// Why a body stopped being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stalled {
    /// No bytes for the idle timeout.
    Idle(Duration),
    /// Slower on average than the minimum rate.
    TooSlow(u64),
}

impl std::fmt::Display for Stalled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Idle(d) => write!(f, "no part of the request body arrived for {} seconds", d.as_secs()),
            Self::TooSlow(rate) => write!(f, "the request body arrives slower than {rate} bytes per second"),
        }
    }
}

/// A body stream that fails when it stalls: no chunk within the idle timeout, or an average
/// rate under the minimum after the grace period. `stalled` says which, for the error.
pub struct Paced<S> {
    inner: S,
    idle: Pin<Box<tokio::time::Sleep>>,
    started: Instant,
    seen: u64,
    settings: IntakeSettings,
    stalled: Arc<Mutex<Option<Stalled>>>,
}

impl<S> Paced<S> {
    /// Paces `inner`; a stall is reported through `stalled`.
    pub fn new(inner: S, settings: &IntakeSettings, stalled: Arc<Mutex<Option<Stalled>>>) -> Self {
        Self {
            inner,
            idle: Box::pin(tokio::time::sleep(settings.idle_timeout)),
            started: Instant::now(),
            seen: 0,
            settings: settings.clone(),
            stalled,
        }
    }

    fn stall(&self, why: Stalled) -> Poll<Option<Result<actix_web::web::Bytes, actix_web::error::PayloadError>>> {
        *self.stalled.lock().unwrap_or_else(PoisonError::into_inner) = Some(why);
        let error = std::io::Error::new(std::io::ErrorKind::TimedOut, why.to_string());
        Poll::Ready(Some(Err(actix_web::error::PayloadError::Io(error))))
    }
}

impl<S> futures::Stream for Paced<S>
where
    S: futures::Stream<Item = Result<actix_web::web::Bytes, actix_web::error::PayloadError>> + Unpin,
{
    type Item = Result<actix_web::web::Bytes, actix_web::error::PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                self.seen += chunk.len() as u64;
                let elapsed = self.started.elapsed();
                let min = self.settings.min_bytes_per_second;
                if min > 0 && elapsed > self.settings.rate_grace {
                    let expected = u128::from(min) * elapsed.as_millis() / 1000;
                    if u128::from(self.seen) < expected {
                        return self.stall(Stalled::TooSlow(min));
                    }
                }
                let deadline = tokio::time::Instant::now() + self.settings.idle_timeout;
                self.idle.as_mut().reset(deadline);
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Pending => match self.idle.as_mut().poll(cx) {
                Poll::Ready(()) => self.stall(Stalled::Idle(self.settings.idle_timeout)),
                Poll::Pending => Poll::Pending,
            },
            other => other,
        }
    }
}

/// The spool folder of this process: `{root}/{pid}-{random}`, holding a `lock` file that the
/// process keeps locked while it runs. Dropping it removes the folder.
#[derive(Debug)]
pub struct SpoolDir {
    path: PathBuf,
    _lock: std::fs::File,
}

impl SpoolDir {
    /// Claims a fresh folder under `root`, after removing every folder there whose owner is
    /// gone (its `lock` is free: the process exited or was killed) and loose files left by
    /// versions that spooled into `root` itself. Folders of live processes are left alone,
    /// so instances may share `root`.
    ///
    /// Returns the folder and how many bytes of leftovers were removed.
    ///
    /// # Errors
    /// When `root` or the new folder cannot be created or locked.
    pub fn claim(root: &Path) -> std::io::Result<(Self, u64)> {
        std::fs::create_dir_all(root)?;
        let mut removed = 0;
        for entry in std::fs::read_dir(root)?.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else { continue };
            if kind.is_file() {
                removed += entry.metadata().map_or(0, |m| m.len());
                let _ = std::fs::remove_file(&path);
            } else if kind.is_dir() && abandoned(&path) {
                removed += size_of_dir(&path);
                let _ = std::fs::remove_dir_all(&path);
            }
        }
        let mut suffix = [0u8; 6];
        getrandom::fill(&mut suffix).map_err(|e| std::io::Error::other(e.to_string()))?;
        let name = format!(
            "{}-{}",
            std::process::id(),
            suffix.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
        let path = root.join(name);
        std::fs::create_dir(&path)?;
        let lock = std::fs::File::create(path.join("lock"))?;
        lock.try_lock().map_err(std::io::Error::other)?;
        Ok((Self { path, _lock: lock }, removed))
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for SpoolDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Whether a spool folder's owner is gone: its `lock` file can be locked (or is missing).
fn abandoned(dir: &Path) -> bool {
    match std::fs::OpenOptions::new().write(true).open(dir.join("lock")) {
        Ok(file) => file.try_lock().is_ok(),
        Err(e) => e.kind() == std::io::ErrorKind::NotFound,
    }
}

fn size_of_dir(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            match entry.file_type() {
                Ok(kind) if kind.is_dir() => stack.push(entry.path()),
                Ok(_) => total += entry.metadata().map_or(0, |m| m.len()),
                Err(_) => {}
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_bounded_per_instance_and_tenant_and_given_back() {
        let intake = Intake::new(IntakeSettings {
            max_concurrent: 3,
            max_concurrent_per_tenant: 2,
            ..IntakeSettings::default()
        });
        let mut a = intake.enter().unwrap();
        let mut b = intake.enter().unwrap();
        let mut c = intake.enter().unwrap();
        assert_eq!(intake.enter().unwrap_err(), Busy::Instance(3));
        a.for_tenant(TenantId(1)).unwrap();
        b.for_tenant(TenantId(1)).unwrap();
        assert_eq!(c.for_tenant(TenantId(1)).unwrap_err(), Busy::Tenant(2));
        c.for_tenant(TenantId(2)).unwrap();
        drop(a);
        assert_eq!(intake.in_flight(), 2);
        let mut d = intake.enter().unwrap();
        d.for_tenant(TenantId(1)).unwrap();
        drop((b, c, d));
        assert_eq!(intake.in_flight(), 0);
        assert!(intake.counts().tenants.is_empty());
    }

    #[test]
    fn leftovers_of_dead_processes_are_removed_and_live_folders_kept() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join(".tmpOLD"), vec![0u8; 1000]).unwrap();
        let dead = root.path().join("1-dead");
        std::fs::create_dir(&dead).unwrap();
        std::fs::write(dead.join("lock"), b"").unwrap();
        std::fs::write(dead.join(".tmpX"), vec![0u8; 500]).unwrap();
        let (live, removed) = SpoolDir::claim(root.path()).unwrap();
        assert_eq!(removed, 1500);
        assert!(!dead.exists());
        assert!(!root.path().join(".tmpOLD").exists());
        std::fs::write(live.path().join(".tmpY"), b"in flight").unwrap();
        // A second instance sharing the root leaves the first one's folder alone.
        let (other, removed) = SpoolDir::claim(root.path()).unwrap();
        assert_eq!(removed, 0);
        assert!(live.path().join(".tmpY").exists());
        let live_path = live.path().to_path_buf();
        drop(live);
        assert!(!live_path.exists());
        drop(other);
    }

    #[actix_web::test]
    async fn a_stalled_body_fails() {
        use futures::StreamExt;
        let settings = IntakeSettings {
            idle_timeout: Duration::from_millis(50),
            ..IntakeSettings::default()
        };
        let stalled = Arc::new(Mutex::new(None));
        let never = futures::stream::pending::<Result<actix_web::web::Bytes, actix_web::error::PayloadError>>();
        let mut paced = Paced::new(never, &settings, Arc::clone(&stalled));
        let item = paced.next().await;
        assert!(matches!(item, Some(Err(_))));
        assert_eq!(*stalled.lock().unwrap(), Some(Stalled::Idle(Duration::from_millis(50))));
    }
}
