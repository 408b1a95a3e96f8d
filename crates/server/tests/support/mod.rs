//! Running the `curricula` binary from tests: commands, `admin`, a started service, shell
//! scripts. Shared by the test files that start the binary (`mod support;`).

#![allow(dead_code)] // each test file uses a part

pub mod browser;
pub mod receiver;

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A started `curricula serve`, killed when dropped.
pub struct Server {
    /// The process.
    pub child: Child,
    /// `127.0.0.1:port`.
    pub addr: String,
    /// `http://127.0.0.1:port`.
    pub url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The binary, run in `cwd`, without the caller's log and client settings.
pub fn curricula(cwd: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_curricula"));
    cmd.current_dir(cwd)
        .env_remove("RUST_LOG")
        .env_remove("CURRICULA_KEY")
        .env_remove("CURRICULA_API_KEY")
        .env_remove("CURRICULA_SERVER");
    cmd
}

/// `cmd migrate`, which must succeed: sets up the database the admin commands then use (they
/// refuse to create one).
pub fn migrate(mut cmd: Command) {
    let out = cmd.arg("migrate").output().expect("run curricula migrate");
    assert!(
        out.status.success(),
        "migrate: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `cmd admin args…`, which must succeed; its standard output.
pub fn admin(mut cmd: Command, args: &[&str]) -> String {
    let out = cmd.arg("admin").args(args).output().expect("run curricula admin");
    assert!(
        out.status.success(),
        "admin {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `cmd serve` on a free port (stdout and, unless `cmd` redirects it, stderr discarded), once
/// it accepts connections.
///
/// A free port is only free until someone binds it: tests running side by side can be handed
/// the same one, and then one server fails to bind while its test talks to the other's. So
/// the server must still be running once its port answers, and a server that exited is
/// started again on another port.
pub fn serve(mut cmd: Command) -> Server {
    cmd.arg("serve").stdout(Stdio::null());
    for _attempt in 0..5 {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let addr = format!("127.0.0.1:{port}");
        let child = cmd
            .env("CURRICULA__SERVER__BIND", &addr)
            .spawn()
            .expect("start curricula serve");
        let mut server = Server {
            child,
            url: format!("http://{addr}"),
            addr,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut exited = false;
        while TcpStream::connect(&server.addr).is_err() {
            if server.child.try_wait().unwrap().is_some() {
                exited = true;
                break;
            }
            assert!(Instant::now() < deadline, "the server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        if !exited {
            // A server that lost the race for its port exits right after binding fails.
            std::thread::sleep(Duration::from_millis(200));
            exited = server.child.try_wait().unwrap().is_some();
        }
        if !exited {
            return server;
        }
    }
    panic!("the server exited at start five times (see its log)");
}

/// `script` run by bash in `cwd`, which must succeed; its standard output.
pub fn sh(cwd: &Path, script: &str) -> String {
    let out = Command::new("bash")
        .arg("-c")
        .arg(script)
        .current_dir(cwd)
        .output()
        .expect("bash");
    assert!(
        out.status.success(),
        "{script}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A sample package of `examples/`.
pub fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples").join(name)
}
