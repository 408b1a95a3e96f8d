//! Real-browser scenarios: `tests/browser/harness.mjs` driving Debian's chromium through
//! playwright-core (docs/PLAYER.md, "Browser tests"). Without node, the harness's
//! `node_modules` (`npm ci` in `crates/server/tests/browser`) or chromium, a test says
//! `SKIPPED` loudly and passes — unless `CURRICULA_REQUIRE_BROWSER=1` (set by CI), where it fails.

use serde_json::Value;
use std::io::{Read as _, Write as _};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What runs a scenario.
pub struct Browser {
    node: PathBuf,
    harness: PathBuf,
    chromium: PathBuf,
}

impl Browser {
    /// The harness and chromium, or `None` (said on stderr) when something is missing and
    /// `CURRICULA_REQUIRE_BROWSER` is not `1`.
    ///
    /// # Panics
    /// When `CURRICULA_REQUIRE_BROWSER=1` and something is missing.
    pub fn find(test: &str) -> Option<Self> {
        let required = std::env::var("CURRICULA_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
        let chromium = std::env::var_os("CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
        let node = PathBuf::from(std::env::var_os("NODE").unwrap_or_else(|| "node".into()));
        let missing = if !dir.join("node_modules/playwright-core/package.json").is_file() {
            Some(format!(
                "playwright-core is not installed (run `npm ci` in {})",
                dir.display()
            ))
        } else if !chromium.is_file() {
            Some(format!(
                "no chromium at {} (Debian: apt-get install chromium; or set CHROMIUM)",
                chromium.display()
            ))
        } else if Command::new(&node).arg("--version").output().is_err() {
            Some(format!(
                "{} cannot be run (install Node.js 20 or set NODE)",
                node.display()
            ))
        } else {
            None
        };
        match missing {
            None => Some(Self {
                node,
                harness: dir.join("harness.mjs"),
                chromium,
            }),
            Some(why) => {
                assert!(!required, "{test}: CURRICULA_REQUIRE_BROWSER=1 but {why}");
                let _ = writeln!(
                    std::io::stderr(),
                    "\n*** SKIPPED {test}: a real-browser test, but {why} ***\n"
                );
                None
            }
        }
    }

    /// Runs `scenario` (the format is at the top of `harness.mjs`) and answers the harness's
    /// JSON result (`ok`, `steps`, `commits`, `console`, `page_errors`). The run is bounded by
    /// the scenario's `timeout_ms` (default 60 s) and killed 30 s after that.
    ///
    /// # Panics
    /// When node cannot be started or prints no JSON.
    pub fn run(&self, scenario: &Value) -> Value {
        let mut file = tempfile::NamedTempFile::new().expect("a scenario file");
        file.write_all(scenario.to_string().as_bytes())
            .expect("write the scenario");
        let limit = Duration::from_millis(scenario["timeout_ms"].as_u64().unwrap_or(60_000)) + Duration::from_secs(30);
        let mut child = Command::new(&self.node)
            .arg(&self.harness)
            .arg(file.path())
            .env("CHROMIUM", &self.chromium)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start node");
        let mut stdout = child.stdout.take().expect("stdout");
        let mut stderr = child.stderr.take().expect("stderr");
        let out = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stdout.read_to_string(&mut s);
            s
        });
        let err = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            s
        });
        let started = Instant::now();
        while child.try_wait().expect("wait for node").is_none() {
            if started.elapsed() > limit {
                let _ = child.kill();
                let _ = child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let out = out.join().unwrap_or_default();
        let err = err.join().unwrap_or_default();
        serde_json::from_str(out.trim())
            .unwrap_or_else(|e| panic!("the browser harness printed no JSON ({e}); stdout: {out}\nstderr: {err}"))
    }
}
