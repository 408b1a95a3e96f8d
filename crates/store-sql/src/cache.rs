//! The records of recently used paths, each kept with the path's version: every write of a
//! path bumps `activities.curriculum_version` inside its transaction, so a copy whose version
//! differs from the row's is never used, whichever instance wrote last.

use curricula_domain::curriculum::{Curriculum, CurriculumRecord};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// A path as loaded and checked: its aggregate and its stored records.
#[derive(Clone)]
pub(crate) struct LoadedPath {
    /// The aggregate, ready for a change.
    pub curriculum: Curriculum,
    /// Its records, numbered as stored.
    pub records: Vec<CurriculumRecord>,
}

/// A bounded map from path id to its loaded form at a version.
pub(crate) struct PathCache {
    inner: Mutex<Inner>,
    /// Most records kept, over all paths.
    capacity: usize,
}

#[derive(Default)]
struct Inner {
    paths: HashMap<i64, Cached>,
    records: usize,
    tick: u64,
}

struct Cached {
    version: i64,
    path: Arc<LoadedPath>,
    used: u64,
}

impl PathCache {
    /// A cache holding at most `capacity` records (0 turns it off).
    pub(crate) fn new(capacity: usize) -> Self {
        Self { inner: Mutex::new(Inner::default()), capacity }
    }

    /// Path `path` if it is cached at `version`.
    pub(crate) fn get(&self, path: i64, version: i64) -> Option<Arc<LoadedPath>> {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.tick += 1;
        let tick = inner.tick;
        let cached = inner.paths.get_mut(&path).filter(|c| c.version == version)?;
        cached.used = tick;
        Some(Arc::clone(&cached.path))
    }

    /// Keeps `loaded` as path `path` at `version` (unless a newer version is kept already),
    /// evicting the least recently used paths beyond the capacity.
    pub(crate) fn put(&self, path: i64, version: i64, loaded: Arc<LoadedPath>) {
        let added = loaded.records.len();
        if added > self.capacity {
            self.forget(path);
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if inner.paths.get(&path).is_some_and(|kept| kept.version > version) {
            return;
        }
        inner.tick += 1;
        let used = inner.tick;
        let cached = Cached { version, path: loaded, used };
        if let Some(old) = inner.paths.insert(path, cached) {
            inner.records -= old.path.records.len();
        }
        inner.records += added;
        while inner.records > self.capacity {
            let Some(oldest) = inner.paths.iter().min_by_key(|(_, c)| c.used).map(|(id, _)| *id) else {
                break;
            };
            if let Some(evicted) = inner.paths.remove(&oldest) {
                inner.records -= evicted.path.records.len();
            }
        }
    }

    /// Path `loaded` for a writer to change: dropped from the cache first, so that, unless a
    /// reader holds it too, the writer gets it without a copy. The writer puts the new
    /// version back after its commit.
    pub(crate) fn take_for_change(&self, path: i64, loaded: Arc<LoadedPath>) -> LoadedPath {
        self.forget(path);
        Arc::try_unwrap(loaded).unwrap_or_else(|shared| (*shared).clone())
    }

    /// Drops path `path`.
    pub(crate) fn forget(&self, path: i64) {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(old) = inner.paths.remove(&path) {
            inner.records -= old.path.records.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A path whose records are `n` copies of a new course's section (only the count matters).
    fn records(n: usize) -> Arc<LoadedPath> {
        use curricula_domain::{ActivityId, RecordId, TenantId};
        let curriculum =
            Curriculum::for_new_course(ActivityId(1), TenantId(1), RecordId(1), chrono::DateTime::UNIX_EPOCH);
        let template = curriculum.records().remove(0);
        Arc::new(LoadedPath { curriculum, records: vec![template; n] })
    }

    #[test]
    fn a_copy_at_another_version_is_never_returned() {
        let cache = PathCache::new(100);
        cache.put(7, 3, records(2));
        assert!(cache.get(7, 3).is_some());
        assert!(cache.get(7, 4).is_none());
        assert!(cache.get(8, 3).is_none());
        cache.put(7, 2, records(2));
        assert!(cache.get(7, 3).is_some(), "an older version never replaces a newer one");
        cache.forget(7);
        assert!(cache.get(7, 3).is_none());
    }

    #[test]
    fn the_least_recently_used_paths_go_first() {
        let cache = PathCache::new(10);
        cache.put(1, 0, records(4));
        cache.put(2, 0, records(4));
        assert!(cache.get(1, 0).is_some());
        cache.put(3, 0, records(4));
        assert!(cache.get(2, 0).is_none(), "path 2 was used least recently");
        assert!(cache.get(1, 0).is_some() && cache.get(3, 0).is_some());
        cache.put(4, 0, records(11));
        assert!(cache.get(4, 0).is_none(), "larger than the whole cache");
        assert_eq!(cache.inner.lock().unwrap().records, 8);
    }
}
