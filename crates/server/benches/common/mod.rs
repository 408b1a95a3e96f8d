//! What the HTTP benches share: a release `curricula serve` started on a database, on a free
//! local port, and its peak resident set.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `curricula serve` of the database at `url`, killed when dropped.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts the server on `database`, with its blobs and spool under `dir` (`dir/tmp` must
    /// exist); returns once it accepts connections.
    #[allow(dead_code, reason = "not every bench starts it without a log")]
    pub fn start(database: &str, dir: &std::path::Path) -> Self {
        Self::start_with(database, dir, None)
    }

    /// As [`Server::start`], its log (at info) written to `log`.
    #[allow(dead_code, reason = "not every bench reads the log")]
    pub fn start_logged(database: &str, dir: &std::path::Path, log: &std::path::Path) -> Self {
        Self::start_with(database, dir, Some(log))
    }

    /// As [`Server::start`], with the settings `envs` (`CURRICULA__…` variables) on top.
    #[allow(dead_code, reason = "not every bench sets more")]
    pub fn start_env(database: &str, dir: &std::path::Path, envs: &[(&str, &str)]) -> Self {
        Self::start_full(database, dir, None, envs)
    }

    fn start_with(database: &str, dir: &std::path::Path, log: Option<&std::path::Path>) -> Self {
        Self::start_full(database, dir, log, &[])
    }

    fn start_full(database: &str, dir: &std::path::Path, log: Option<&std::path::Path>, envs: &[(&str, &str)]) -> Self {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let addr = format!("127.0.0.1:{port}");
        let mut command = Command::new(env!("CARGO_BIN_EXE_curricula"));
        command
            .arg("serve")
            .current_dir(dir)
            .env_remove("RUST_LOG")
            .env("CURRICULA__SERVER__BIND", &addr)
            .env("CURRICULA__DATABASE__URL", database)
            .env(
                "CURRICULA__STORAGE__URL",
                format!("file://{}", dir.join("blobs").display()),
            )
            .env("CURRICULA__UPLOAD__TMP_DIR", dir.join("tmp"))
            .env("CURRICULA__CONTENT__SECRET", "bench-content-secret")
            .envs(envs.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(log) = log {
            let file = std::fs::File::create(log).unwrap();
            command
                .env("RUST_LOG", "info")
                .stdout(file.try_clone().unwrap())
                .stderr(file);
        }
        let child = command.spawn().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(&addr).is_err() {
            assert!(Instant::now() < deadline, "the server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            child,
            url: format!("http://{addr}"),
        }
    }

    /// The server's process id.
    #[allow(dead_code, reason = "not every bench reads the process")]
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The peak resident set of the server process (`VmHWM`), in MiB.
    pub fn peak_rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        let kib: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(f64::NAN);
        kib / 1024.0
    }
}
