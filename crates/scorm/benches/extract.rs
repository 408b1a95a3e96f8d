//! Inspect + extract a ~500 MB package into the filesystem blob store, against `unzip -q` on
//! the same file in the same run, with the peak memory of our side.
//!
//! `cargo bench -p curricula-scorm` (the package is built once under target/bench-data).
//! Our side runs in a child process of this binary so that its peak RSS (VmHWM) is its own.

use curricula_ports::{BlobKey, BlobStore};
use curricula_scorm::{EntrySink, FileEntry, Limits};
use curricula_store_blob::ObjectBlobStore;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const SMALL_FILES: usize = 4_000;
const SMALL_BYTES: usize = 24 * 1024;
const MEDIA_FILES: usize = 4;
const MEDIA_BYTES: usize = 100 * 1024 * 1024;
const THREADS: usize = 2;

struct Blobs<'a> {
    store: &'a ObjectBlobStore,
    prefix: BlobKey,
}

impl EntrySink for Blobs<'_> {
    fn store(&self, file: &FileEntry, contents: &mut dyn Read) -> std::io::Result<()> {
        let key = self.prefix.join(&file.path).map_err(std::io::Error::other)?;
        self.store
            .put_blocking(&key, contents, file.content_type)
            .map(drop)
            .map_err(std::io::Error::other)
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        child(Path::new(&args[i + 1]), Path::new(&args[i + 2]));
        return;
    }
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-data");
    std::fs::create_dir_all(&data).unwrap();
    let package = data.join("scorm-500mb.zip");
    if !package.exists() {
        eprintln!("building {} …", package.display());
        build_package(&package);
    }
    let size = std::fs::metadata(&package).unwrap().len();
    let ours_dir = tempfile::tempdir_in(&data).unwrap();
    let unzip_dir = tempfile::tempdir_in(&data).unwrap();

    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--child", package.to_str().unwrap(), ours_dir.path().to_str().unwrap()])
        .output()
        .expect("run the extraction child");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report = String::from_utf8(out.stdout).unwrap();
    let mut fields = report.split_whitespace();
    let ours: f64 = fields.next().unwrap().parse().unwrap();
    let peak_kib: u64 = fields.next().unwrap().parse().unwrap();
    let files: usize = fields.next().unwrap().parse().unwrap();

    let started = Instant::now();
    let status = Command::new("unzip")
        .args(["-q", "-o"])
        .arg(&package)
        .arg("-d")
        .arg(unzip_dir.path())
        .status();
    let unzip = started.elapsed().as_secs_f64();
    let unzip_ok = status.is_ok_and(|s| s.success());

    let uncompressed = (SMALL_FILES * SMALL_BYTES + MEDIA_FILES * MEDIA_BYTES) as f64 / 1e6;
    println!(
        "package: {:.0} MB zip, {uncompressed:.0} MB uncompressed, {files} files ({SMALL_FILES} small deflated, {MEDIA_FILES} × {} MB incompressible media)",
        size as f64 / 1e6,
        MEDIA_BYTES >> 20
    );
    println!("curricula inspect + extract into the filesystem blob store ({THREADS} threads): {ours:.2} s");
    if unzip_ok {
        println!("unzip -q (same file, same machine, same run):                     {unzip:.2} s");
        println!("ratio curricula / unzip: {:.2} (target ≤ 1.00)", ours / unzip);
    } else {
        println!("unzip is not installed; no baseline");
    }
    println!(
        "peak memory of the extraction process (VmHWM): {:.1} MiB (target < 128 MiB)",
        peak_kib as f64 / 1024.0
    );
}

fn child(package: &Path, dir: &Path) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let store = runtime.block_on(async { ObjectBlobStore::open(&format!("file://{}", dir.display())).unwrap() });
    let limits = Limits::default();
    let started = Instant::now();
    let inspection = curricula_scorm::inspect(std::fs::File::open(package).unwrap(), &limits).unwrap();
    inspection.ensure_launchable().unwrap();
    let sink = Blobs {
        store: &store,
        prefix: BlobKey::new("packages/1/bench").unwrap(),
    };
    let stats = curricula_scorm::extract(|| std::fs::File::open(package), &inspection, THREADS, &sink).unwrap();
    let elapsed = started.elapsed().as_secs_f64();
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let peak = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .unwrap_or(0);
    println!("{elapsed} {peak} {}", stats.files);
}

fn build_package(path: &Path) {
    use zip::write::SimpleFileOptions;
    let mut w = zip::ZipWriter::new(std::io::BufWriter::new(std::fs::File::create(path).unwrap()));
    let deflated = SimpleFileOptions::default();
    let stored = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(true);
    w.start_file("imsmanifest.xml", deflated).unwrap();
    w.write_all(br#"<?xml version="1.0"?>
<manifest identifier="bench" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="o"><organization identifier="o"><title>Benchmark</title>
    <item identifier="i" identifierref="r"><title>Start</title></item></organization></organizations>
  <resources><resource identifier="r" type="webcontent" adlcp:scormtype="sco" href="index.html"/></resources>
</manifest>"#).unwrap();
    w.start_file("index.html", deflated).unwrap();
    w.write_all(b"<!DOCTYPE html><title>bench</title>").unwrap();
    let mut page = Vec::with_capacity(SMALL_BYTES);
    for i in 0..SMALL_FILES {
        page.clear();
        let mut n = 0;
        while page.len() < SMALL_BYTES {
            writeln!(
                page,
                "<p id=\"p{i}-{n}\">Lesson {i}, paragraph {n}: safety first, quality always.</p>"
            )
            .unwrap();
            n += 1;
        }
        let ext = if i % 3 == 0 { "js" } else { "html" };
        w.start_file(format!("content/module{}/page{i}.{ext}", i / 100), deflated)
            .unwrap();
        w.write_all(&page).unwrap();
    }
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut chunk = vec![0u8; 1 << 20];
    for m in 0..MEDIA_FILES {
        w.start_file(format!("media/video{m}.mp4"), stored).unwrap();
        for _ in 0..(MEDIA_BYTES >> 20) {
            for word in chunk.chunks_exact_mut(8) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                word.copy_from_slice(&state.to_le_bytes());
            }
            w.write_all(&chunk).unwrap();
        }
    }
    w.finish().unwrap().flush().unwrap();
}
