//! The contract every [`BlobStore`] implementation must pass, written once.
//!
//! Each adapter has one test that calls [`run_all`]. `put_blocking` runs on a blocking
//! thread, as the port requires, so the suite needs a multi-threaded Tokio runtime.

use crate::{BlobError, BlobKey, BlobStore};
use bytes::Bytes;
use futures::TryStreamExt;
use std::io::Read;
use std::sync::Arc;

fn key(raw: &str) -> BlobKey {
    BlobKey::new(raw).expect("test keys are valid")
}

/// Calls `put_blocking` from a plain thread outside the runtime, as extraction workers do.
async fn put_blocking(store: &Arc<dyn BlobStore>, k: BlobKey, data: Vec<u8>) -> Result<u64, BlobError> {
    let store = Arc::clone(store);
    tokio::task::spawn_blocking(move || {
        std::thread::spawn(move || store.put_blocking(&k, &mut data.as_slice(), "application/octet-stream"))
            .join()
            .expect("put_blocking thread")
    })
    .await
    .expect("put_blocking task")
}

/// A reader that yields `ok` bytes, then fails.
struct FailingReader {
    ok: usize,
}

impl Read for FailingReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.ok == 0 {
            return Err(std::io::Error::other("source broke"));
        }
        let n = buf.len().min(self.ok);
        buf[..n].fill(b'x');
        self.ok -= n;
        Ok(n)
    }
}

/// Small and large (multi-part) objects read back byte for byte; a put replaces.
pub async fn round_trips(store: Arc<dyn BlobStore>, root: &str) {
    let small = key(&format!("{root}/rt/index.html"));
    assert_eq!(
        put_blocking(&store, small.clone(), b"<h1>hi</h1>".to_vec())
            .await
            .unwrap(),
        11
    );
    assert_eq!(store.get(&small).await.unwrap(), Bytes::from_static(b"<h1>hi</h1>"));
    store
        .put(&small, Bytes::from_static(b"new"), "text/html")
        .await
        .unwrap();
    assert_eq!(store.get(&small).await.unwrap(), Bytes::from_static(b"new"));

    // Larger than one upload part, with a pattern so misordered parts would show.
    let large: Vec<u8> = (0..(20 * 1024 * 1024 + 12_345))
        .map(|i: usize| (i % 251) as u8)
        .collect();
    let big = key(&format!("{root}/rt/media/video.mp4"));
    assert_eq!(
        put_blocking(&store, big.clone(), large.clone()).await.unwrap(),
        large.len() as u64
    );
    assert!(store.get(&big).await.unwrap() == large, "large object differs");

    let empty = key(&format!("{root}/rt/empty.txt"));
    assert_eq!(put_blocking(&store, empty.clone(), Vec::new()).await.unwrap(), 0);
    assert_eq!(store.get(&empty).await.unwrap().len(), 0);
}

/// File names SCORM packages really use (spaces, brackets, percent, unicode) round-trip.
pub async fn odd_names_round_trip(store: Arc<dyn BlobStore>, root: &str) {
    for name in ["a b/c d.html", "x[1].js", "100%.css", "ð/ö.png", "#hash.txt"] {
        let k = key(&format!("{root}/odd/{name}"));
        put_blocking(&store, k.clone(), name.as_bytes().to_vec()).await.unwrap();
        assert_eq!(
            store.get(&k).await.unwrap(),
            Bytes::from(name.as_bytes().to_vec()),
            "{name}"
        );
    }
}

/// A missing object is `NotFound`.
pub async fn missing_is_not_found(store: Arc<dyn BlobStore>, root: &str) {
    let err = store.get(&key(&format!("{root}/nope/none.html"))).await.unwrap_err();
    assert!(matches!(err, BlobError::NotFound(_)), "{err:?}");
}

/// A failing source is `Source` and leaves no object, small or large.
pub async fn failing_source_leaves_nothing(store: Arc<dyn BlobStore>, root: &str) {
    for ok in [10, 9 * 1024 * 1024] {
        let k = key(&format!("{root}/fail/{ok}.bin"));
        let store2 = Arc::clone(&store);
        let k2 = k.clone();
        let result = tokio::task::spawn_blocking(move || {
            std::thread::spawn(move || store2.put_blocking(&k2, &mut FailingReader { ok }, "application/octet-stream"))
                .join()
                .expect("put_blocking thread")
        })
        .await
        .unwrap();
        assert!(matches!(result, Err(BlobError::Source(_))), "{result:?}");
        assert!(
            matches!(store.get(&k).await, Err(BlobError::NotFound(_))),
            "an object was left after {ok} bytes"
        );
    }
    assert!(store.list(&key(&format!("{root}/fail"))).await.unwrap().is_empty());
}

/// `list` and `delete_prefix` see exactly the objects under `prefix/`, not a sibling that
/// merely starts with the same characters.
pub async fn prefixes_are_folders(store: Arc<dyn BlobStore>, root: &str) {
    for name in ["p/a.txt", "p/sub/b.txt", "p2/c.txt"] {
        store
            .put(&key(&format!("{root}/{name}")), Bytes::from_static(b"1"), "text/plain")
            .await
            .unwrap();
    }
    let listed: Vec<String> = store
        .list(&key(&format!("{root}/p")))
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.key.to_string())
        .collect();
    assert_eq!(listed, vec![format!("{root}/p/a.txt"), format!("{root}/p/sub/b.txt")]);
    assert_eq!(store.delete_prefix(&key(&format!("{root}/p"))).await.unwrap(), 2);
    assert!(store.list(&key(&format!("{root}/p"))).await.unwrap().is_empty());
    assert_eq!(
        store.list(&key(&format!("{root}/p2"))).await.unwrap().len(),
        1,
        "sibling kept"
    );
    assert_eq!(
        store.delete_prefix(&key(&format!("{root}/p"))).await.unwrap(),
        0,
        "deleting nothing is fine"
    );
}

/// Reads a whole stream of `key` (or of `range` of it).
async fn read_stream(store: &Arc<dyn BlobStore>, k: &BlobKey, range: Option<std::ops::Range<u64>>) -> Vec<u8> {
    let chunks: Vec<Bytes> = store
        .get_stream(k, range)
        .await
        .expect("get_stream")
        .try_collect()
        .await
        .expect("stream");
    chunks.concat()
}

/// `head` reports size, time and a stable version; `get_stream` yields the whole object or
/// exactly the bytes of a range; a missing object is `NotFound` for both.
pub async fn heads_and_ranges(store: Arc<dyn BlobStore>, root: &str) {
    let data: Vec<u8> = (0..(3 * 1024 * 1024 + 7)).map(|i: usize| (i % 253) as u8).collect();
    let size = data.len() as u64;
    let k = key(&format!("{root}/hr/media/clip.mp4"));
    put_blocking(&store, k.clone(), data.clone()).await.unwrap();

    let info = store.head(&k).await.unwrap();
    assert_eq!(info.size, size);
    assert_eq!(store.head(&k).await.unwrap().version, info.version, "version is stable");
    let listed = store.list(&key(&format!("{root}/hr"))).await.unwrap();
    assert_eq!(listed.len(), 1);
    let drift = (listed[0].modified - info.modified).num_seconds().abs();
    assert!(drift <= 2, "list and head disagree on the time: {listed:?} {info:?}");

    assert!(read_stream(&store, &k, None).await == data, "whole stream differs");
    for range in [0..1, 10..20, 1_000_000..2_500_000, size - 5..size, 0..size] {
        let got = read_stream(&store, &k, Some(range.clone())).await;
        assert!(
            got == data[range.start as usize..range.end as usize],
            "range {range:?} differs"
        );
    }
    assert!(
        store.get_stream(&k, Some(size + 10..size + 20)).await.is_err(),
        "a range past the end is an error"
    );

    let missing = key(&format!("{root}/hr/none.mp4"));
    assert!(matches!(store.head(&missing).await, Err(BlobError::NotFound(_))));
    assert!(matches!(
        store.get_stream(&missing, None).await,
        Err(BlobError::NotFound(_))
    ));
}

/// Every check of the suite, each under its own folder of `root`.
pub async fn run_all(store: Arc<dyn BlobStore>, root: &str) {
    store.check().await.expect("check answers on a healthy store");
    round_trips(Arc::clone(&store), root).await;
    odd_names_round_trip(Arc::clone(&store), root).await;
    missing_is_not_found(Arc::clone(&store), root).await;
    failing_source_leaves_nothing(Arc::clone(&store), root).await;
    heads_and_ranges(Arc::clone(&store), root).await;
    prefixes_are_folders(store, root).await;
}
