//! The blob-store contract suite against every backend this crate opens.

use curricula_ports::BlobStore;
use curricula_store_blob::ObjectBlobStore;
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_folder_passes_contract() {
    let dir = tempfile::tempdir().unwrap();
    let store = ObjectBlobStore::open(&format!("file://{}", dir.path().display())).unwrap();
    curricula_ports::blob_contract::run_all(Arc::new(store) as Arc<dyn BlobStore>, "contract").await;
    // Failed uploads leave no staging files behind: object_store names them `<name>#<n>`,
    // and the only real '#' in the suite's names is encoded on disk.
    let leftovers: Vec<_> = walk(dir.path()).into_iter().filter(|p| p.contains('#')).collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_passes_contract() {
    curricula_ports::blob_contract::run_all(Arc::new(ObjectBlobStore::memory()) as Arc<dyn BlobStore>, "contract")
        .await;
}

#[tokio::test]
async fn unsupported_urls_are_refused() {
    for url in ["ftp://x/y", "not a url", "s4://bucket"] {
        let err = ObjectBlobStore::open(url).unwrap_err();
        assert!(err.to_string().contains("is not supported"), "{err}");
    }
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path.display().to_string());
        }
    }
    out
}

/// Against a real S3-protocol server (`TEST_S3_ENDPOINT`, e.g. `moto_server`), in a fresh
/// bucket, under a key prefix as `s3://bucket/prefix` configures it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_passes_contract() {
    use curricula_store_blob::testing;
    let Some(endpoint) = testing::s3_endpoint("s3_passes_contract") else {
        return;
    };
    let bucket = testing::create_bucket(&endpoint);
    let store =
        ObjectBlobStore::open_with(&format!("s3://{bucket}/some/prefix"), &testing::options(&endpoint)).unwrap();
    curricula_ports::blob_contract::run_all(Arc::new(store) as Arc<dyn BlobStore>, "contract").await;
}

#[tokio::test]
async fn s3_urls_need_a_bucket() {
    let err = ObjectBlobStore::open("s3:///prefix").unwrap_err();
    assert!(err.to_string().contains("names no bucket"), "{err}");
}
