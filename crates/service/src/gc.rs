//! The blob sweep: removes package folders that no language version references (left by a
//! crash mid-upload, or by content that was replaced or deleted), never one that is
//! referenced or may still be being written.

use chrono::{DateTime, Duration, Utc};
use curricula_ports::{ActivityRepository, BlobError, BlobKey, BlobMeta, BlobStore, Clock, StoreError};
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

/// Where every package folder lives: `packages/{tenant}/{folder}`.
pub const PACKAGES: &str = "packages";

/// What a sweep found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Package folders in the blob store.
    pub folders: usize,
    /// Of those, referenced by a language version (kept).
    pub referenced: usize,
    /// Unreferenced but written to within the grace period (kept: maybe an upload in flight).
    pub recent: usize,
    /// Unreferenced and older than the grace period: removed (or, in a dry run, to remove).
    pub orphans: Vec<String>,
    /// Objects deleted (0 in a dry run).
    pub objects_deleted: usize,
}

/// Why a sweep failed.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// The database could not say which folders are referenced.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The blob store failed.
    #[error("the blob store failed during the sweep")]
    Blobs(#[source] BlobError),
}

/// One package folder and the time of its newest object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder {
    /// `packages/{tenant}/{folder}`.
    pub prefix: String,
    /// When its newest object was written.
    pub newest: DateTime<Utc>,
}

/// Groups objects into package folders (`packages/{tenant}/{folder}/...`), each with the time
/// of its newest object; objects outside that shape are not package files and are ignored.
pub fn folders(objects: &[BlobMeta]) -> Vec<Folder> {
    let mut by_prefix: BTreeMap<String, DateTime<Utc>> = BTreeMap::new();
    for object in objects {
        let mut segments = object.key.as_str().splitn(4, '/');
        let (Some(PACKAGES), Some(tenant), Some(folder), Some(_file)) =
            (segments.next(), segments.next(), segments.next(), segments.next())
        else {
            continue;
        };
        let prefix = format!("{PACKAGES}/{tenant}/{folder}");
        let newest = by_prefix.entry(prefix).or_insert(object.modified);
        *newest = (*newest).max(object.modified);
    }
    by_prefix
        .into_iter()
        .map(|(prefix, newest)| Folder { prefix, newest })
        .collect()
}

/// The rule: a folder is an orphan when no version references it and its newest object is
/// older than `now - grace` (a folder still being written has recent objects).
pub fn is_orphan(folder: &Folder, referenced: &HashSet<String>, now: DateTime<Utc>, grace: Duration) -> bool {
    !referenced.contains(&folder.prefix)
        && now
            .checked_sub_signed(grace)
            .is_some_and(|cutoff| folder.newest < cutoff)
}

/// The sweep use case over an activity repository `A` and a blob store `B`.
pub struct BlobSweeper<A: ?Sized, B: ?Sized> {
    activities: Arc<A>,
    blobs: Arc<B>,
    clock: Arc<dyn Clock>,
    grace: Duration,
}

impl<A, B> BlobSweeper<A, B>
where
    A: ActivityRepository + ?Sized,
    B: BlobStore + ?Sized,
{
    /// Wires the sweep; folders written to within `grace_seconds` are never removed.
    pub fn new(activities: Arc<A>, blobs: Arc<B>, clock: Arc<dyn Clock>, grace_seconds: u64) -> Self {
        // Beyond a century nothing is ever old enough; clamping keeps the arithmetic in range.
        let grace = Duration::seconds(i64::try_from(grace_seconds.min(100 * 366 * 24 * 3600)).unwrap_or(0));
        Self {
            activities,
            blobs,
            clock,
            grace,
        }
    }

    /// Finds the orphaned package folders and, unless `dry_run`, deletes them.
    ///
    /// # Errors
    /// `Store` or `Blobs` when either store fails; folders deleted before the failure stay
    /// deleted (each deletion is of an orphan).
    #[tracing::instrument(skip(self))]
    pub async fn sweep(&self, dry_run: bool) -> Result<SweepReport, SweepError> {
        let root = BlobKey::new(PACKAGES).expect("a valid key");
        // List first, then read the references: a version recorded in between is either in
        // the references or too recent to touch.
        let objects = self.blobs.list(&root).await.map_err(SweepError::Blobs)?;
        let referenced: HashSet<String> = self.activities.storage_prefixes().await?.into_iter().collect();
        let now = self.clock.now();
        let mut report = SweepReport::default();
        for folder in folders(&objects) {
            report.folders += 1;
            if referenced.contains(&folder.prefix) {
                report.referenced += 1;
            } else if !is_orphan(&folder, &referenced, now, self.grace) {
                report.recent += 1;
            } else {
                if !dry_run {
                    let key = BlobKey::new(folder.prefix.clone()).map_err(SweepError::Blobs)?;
                    report.objects_deleted += self.blobs.delete_prefix(&key).await.map_err(SweepError::Blobs)?;
                    tracing::info!(prefix = %folder.prefix, "removed orphaned package folder {}", folder.prefix);
                }
                report.orphans.push(folder.prefix);
            }
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, h, 0, 0).unwrap()
    }

    fn object(key: &str, h: u32) -> BlobMeta {
        BlobMeta {
            key: BlobKey::new(key).unwrap(),
            size: 1,
            modified: at(h),
        }
    }

    #[test]
    fn folders_take_their_newest_object_and_ignore_other_shapes() {
        let objects = [
            object("packages/1/aa/index.html", 8),
            object("packages/1/aa/media/v.mp4", 9),
            object("packages/1/bb/index.html", 5),
            object("packages/2/aa/index.html", 3),
            object("packages/stray.txt", 1),
            object("packages/1/loose", 1),
        ];
        assert_eq!(
            folders(&objects),
            vec![
                Folder {
                    prefix: "packages/1/aa".into(),
                    newest: at(9)
                },
                Folder {
                    prefix: "packages/1/bb".into(),
                    newest: at(5)
                },
                Folder {
                    prefix: "packages/2/aa".into(),
                    newest: at(3)
                },
            ]
        );
    }

    #[test]
    fn only_unreferenced_folders_older_than_the_grace_are_orphans() {
        let grace = Duration::hours(1);
        let referenced: HashSet<String> = ["packages/1/ref".to_owned()].into();
        let folder = |prefix: &str, h| Folder {
            prefix: prefix.into(),
            newest: at(h),
        };
        assert!(is_orphan(&folder("packages/1/old", 8), &referenced, at(10), grace));
        assert!(
            !is_orphan(&folder("packages/1/ref", 1), &referenced, at(10), grace),
            "referenced"
        );
        assert!(
            !is_orphan(&folder("packages/1/new", 9), &referenced, at(10), grace),
            "exactly the grace"
        );
        assert!(
            !is_orphan(&folder("packages/1/new", 10), &referenced, at(10), grace),
            "being written"
        );
    }
}
