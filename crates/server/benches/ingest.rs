//! A partner's upload over HTTP against `cp` + `unzip -q` of the same file, in the same run:
//! a synthetic 360 MB package (5,010 files, about 560 MB uncompressed) and a 2 GB one, each
//! uploaded to a fresh `curricula serve` (the embedded default: SQLite and the local blob
//! folder, in a temporary folder, on a free port of 127.0.0.1) with `curl -F`. Prints the
//! median of several pairs, their ratio, and the server's peak RSS (VmHWM) after the uploads.
//!
//! `cargo bench -p curricula-server --bench ingest` (`INGEST_BENCH_SIZES=360` or `=2000` for
//! one size, `INGEST_BENCH_PAIRS=5` for more pairs, `INGEST_BENCH_SERVER=/path/to/curricula`
//! for another build of the server). Needs `curl`, `cp` and `unzip`, and about
//! five times the package size free under target/tmp; everything is removed at the end.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const KEY: &str = "bench-ingest-key-0123456789";
const ORIGIN: &str = "https://skoli.istak.is";
/// Small deflated pages: 5,000 of them, as in the issue's package.
const SMALL_FILES: usize = 5_000;
const SMALL_BYTES: usize = 44 * 1024;

fn main() {
    let sizes: Vec<u64> = std::env::var("INGEST_BENCH_SIZES")
        .unwrap_or_else(|_| "360,2000".to_owned())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let pairs: usize = std::env::var("INGEST_BENCH_PAIRS")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3);
    let root = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a folder for the bench");
    for megabytes in sizes {
        run(root.path(), megabytes, pairs);
    }
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn run(root: &Path, megabytes: u64, pairs: usize) {
    let dir = root.join(format!("{megabytes}mb"));
    std::fs::create_dir_all(&dir).unwrap();
    let package = dir.join("package.zip");
    let (files, uncompressed) = build_package(&package, megabytes * 1_000_000);
    let size = std::fs::metadata(&package).unwrap().len();
    println!(
        "package: {:.0} MB zip, {:.0} MB uncompressed, {files} files ({SMALL_FILES} deflated pages, the rest stored media)",
        size as f64 / 1e6,
        uncompressed as f64 / 1e6
    );

    let server = Server::start(&dir.join("server"));
    let mut uploads = Vec::new();
    let mut baselines = Vec::new();
    for pair in 0..pairs {
        baselines.push(cp_unzip(&package, &dir.join("unzip")));
        uploads.push(server.upload(&package, &format!("bench {pair}")));
        println!(
            "  pair {}: upload {:.2} s, cp + unzip -q {:.2} s",
            pair + 1,
            uploads[pair],
            baselines[pair]
        );
    }
    let peak = server.peak_kib();
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);

    let (upload, baseline) = (median(uploads), median(baselines));
    println!("upload over HTTP (curl -F, median of {pairs}): {upload:.2} s");
    println!("cp + unzip -q of the same file (median of {pairs}): {baseline:.2} s");
    println!("ratio upload / (cp + unzip): {:.2} (target ≤ 0.50)", upload / baseline);
    println!(
        "server peak RSS (VmHWM) after {pairs} uploads: {:.1} MiB (target ≤ 64 MiB)\n",
        peak as f64 / 1024.0
    );
}

/// `cp package dir/ && unzip -q dir/package.zip -d dir/out`, timed, then removed.
fn cp_unzip(package: &Path, dir: &Path) -> f64 {
    std::fs::create_dir_all(dir).unwrap();
    sync();
    let started = Instant::now();
    let copied = Command::new("cp").arg(package).arg(dir).status().expect("cp");
    let unzipped = Command::new("unzip")
        .arg("-q")
        .arg(dir.join(package.file_name().unwrap()))
        .arg("-d")
        .arg(dir.join("out"))
        .status()
        .expect("unzip");
    let elapsed = started.elapsed().as_secs_f64();
    assert!(copied.success() && unzipped.success(), "cp or unzip failed");
    std::fs::remove_dir_all(dir).unwrap();
    sync();
    elapsed
}

/// Writes back what earlier steps left dirty, so that each timed step pays for its own.
fn sync() {
    let _ = Command::new("sync").status();
}

struct Server {
    child: Child,
    base: String,
    dir: PathBuf,
}

impl Server {
    fn start(dir: &Path) -> Self {
        std::fs::create_dir_all(dir).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Self::command(dir)
            .arg("serve")
            .env("CURRICULA__SERVER__BIND", format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start curricula serve");
        let server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            dir: dir.to_path_buf(),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while !server
            .curl(&["-o", "/dev/null", &format!("{}/readyz", server.base)])
            .starts_with('2')
        {
            assert!(Instant::now() < deadline, "the server did not become ready");
            std::thread::sleep(Duration::from_millis(100));
        }
        for args in [
            &[
                "admin",
                "tenant",
                "create",
                "--name",
                "Bench",
                "--default-language",
                "en-GB",
            ][..],
            &["admin", "user", "create", "--tenant", "1", "--username", "bench"],
            &[
                "admin", "key", "create", "--tenant", "1", "--origin", ORIGIN, "--key", KEY,
            ],
        ] {
            let out = Self::command(dir).args(args).output().expect("run an admin command");
            assert!(
                out.status.success(),
                "{args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        server
    }

    fn command(dir: &Path) -> Command {
        // Another build (e.g. of main, for a before/after) with INGEST_BENCH_SERVER.
        let binary =
            std::env::var("INGEST_BENCH_SERVER").unwrap_or_else(|_| env!("CARGO_BIN_EXE_curricula").to_owned());
        let mut command = Command::new(binary);
        command
            .current_dir(dir)
            .env("CURRICULA__UPLOAD__MAX_BYTES", "3000000000")
            .env("CURRICULA__SCORM__MAX_TOTAL_UNCOMPRESSED_BYTES", "4294967296")
            .env("CURRICULA__GC__INTERVAL_SECONDS", "0")
            .env("RUST_LOG", "warn");
        command
    }

    /// curl's `%{http_code}` for `args`.
    fn curl(&self, args: &[&str]) -> String {
        let out = Command::new("curl")
            .args(["-s", "-w", "%{http_code}"])
            .args(args)
            .output()
            .expect("curl");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// One `/new` upload of `package`, timed from the first byte sent to the answer.
    fn upload(&self, package: &Path, name: &str) -> f64 {
        let answer = self.dir.join("answer.json");
        sync();
        let started = Instant::now();
        let code = self.curl(&[
            "-o",
            answer.to_str().unwrap(),
            "-F",
            &format!("key={KEY}"),
            "-F",
            &format!("origin={ORIGIN}"),
            "-F",
            "activityType=scorm",
            "-F",
            &format!("name={name}"),
            "-F",
            "userName=bench",
            "-F",
            &format!("file=@{}", package.display()),
            &format!("{}/api/activityupload/new", self.base),
        ]);
        let elapsed = started.elapsed().as_secs_f64();
        assert_eq!(
            code,
            "201",
            "upload answered {code}: {}",
            std::fs::read_to_string(&answer).unwrap_or_default()
        );
        elapsed
    }

    fn peak_kib(&self) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A package of about `target` bytes: the manifest, a launch page, [`SMALL_FILES`] deflated
/// pages and enough incompressible stored media files (of at most 200 MB) to reach the size.
/// Returns the file count and the uncompressed size.
fn build_package(path: &Path, target: u64) -> (usize, u64) {
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
    let mut files = 2;
    let mut uncompressed = 0u64;
    let mut page = Vec::with_capacity(SMALL_BYTES);
    for i in 0..SMALL_FILES {
        page.clear();
        let mut n = 0;
        while page.len() < SMALL_BYTES {
            writeln!(
                page,
                "<p id=\"p{i}-{n}\">Lesson {i}, paragraph {n}: safety first, quality always, {}.</p>",
                (i * 7919 + n * 104_729) % 1_000_003
            )
            .unwrap();
            n += 1;
        }
        let ext = if i % 3 == 0 { "js" } else { "html" };
        w.start_file(format!("content/module{}/page{i}.{ext}", i / 100), deflated)
            .unwrap();
        w.write_all(&page).unwrap();
        files += 1;
        uncompressed += page.len() as u64;
    }
    w.flush().unwrap();
    let so_far = std::fs::metadata(path).unwrap().len();
    let mut media = target.saturating_sub(so_far);
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut chunk = vec![0u8; 1 << 20];
    let mut m = 0;
    while media > 0 {
        let len = media.min(200_000_000);
        w.start_file(format!("media/video{m}.mp4"), stored).unwrap();
        let mut left = len;
        while left > 0 {
            for word in chunk.chunks_exact_mut(8) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                word.copy_from_slice(&state.to_le_bytes());
            }
            let n = left.min(chunk.len() as u64) as usize;
            w.write_all(&chunk[..n]).unwrap();
            left -= n as u64;
        }
        media -= len;
        uncompressed += len;
        files += 1;
        m += 1;
    }
    w.finish().unwrap().flush().unwrap();
    (files, uncompressed)
}
