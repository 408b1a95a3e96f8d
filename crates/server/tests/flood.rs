//! An unauthenticated flood of the requests that once crashed or exhausted the service
//! (issue 13), against the real binary on loopback, bounded in count and time: the server
//! answers `/healthz` throughout and is alive at the end, with nothing left in its spool.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use support::{curricula, serve};

/// Sends `head` then `body` (in `pace` pieces, when given) and reads the status line.
fn request(addr: &str, head: &str, body: &[u8], pace: Option<(usize, Duration)>) -> Option<u16> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(60))).ok()?;
    stream.write_all(head.as_bytes()).ok()?;
    match pace {
        None => {
            let _ = stream.write_all(body);
        }
        Some((piece, pause)) => {
            for chunk in body.chunks(piece) {
                if stream.write_all(chunk).is_err() {
                    break;
                }
                std::thread::sleep(pause);
            }
        }
    }
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
        }
    }
    let line = String::from_utf8_lossy(&answer);
    line.split(' ').nth(1)?.parse().ok()
}

fn get(addr: &str, target: &str) -> Option<u16> {
    request(
        addr,
        &format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
        b"",
        None,
    )
}

fn post(addr: &str, target: &str, content_type: &str, body: &[u8]) -> Option<u16> {
    let head = format!(
        "POST {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    request(addr, &head, body, None)
}

fn upload_body(boundary: &str, file_bytes: usize, key_first: bool) -> Vec<u8> {
    let text = |name: &str, value: &str| {
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").into_bytes()
    };
    let mut file = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.zip\"\r\nContent-Type: application/zip\r\n\r\n"
    )
    .into_bytes();
    file.extend(std::iter::repeat_n(b'z', file_bytes));
    file.extend_from_slice(b"\r\n");
    let mut body = Vec::new();
    if key_first {
        body.extend(text("key", "not-a-key-at-all"));
        body.extend(text("origin", "https://attacker.example"));
        body.extend(file);
    } else {
        body.extend(file);
        body.extend(text("key", "not-a-key-at-all"));
    }
    body.extend(format!("--{boundary}--\r\n").into_bytes());
    body
}

#[test]
fn an_unauthenticated_flood_leaves_the_server_answering() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = curricula(dir.path());
    cmd.env("CURRICULA__UPLOAD__IDLE_TIMEOUT_SECONDS", "2")
        .env("CURRICULA__SERVER__WORKERS", "2")
        .stderr(std::process::Stdio::null());
    let mut server = serve(cmd);
    let addr = server.addr.clone();
    let boundary = "floodBoundary";
    let multipart = format!("multipart/form-data; boundary={boundary}");
    let deep_query = format!("/api/v2/activities?a{}=1", "[x]".repeat(8_000));
    let deep_form = format!("curriculum_activity{}=1", "[x]".repeat(20_000)).into_bytes();
    let big_unauthenticated = upload_body(boundary, 20_000_000, true);
    let file_first = upload_body(boundary, 5_000_000, false);

    let done = Arc::new(AtomicBool::new(false));
    let health_failures = Arc::new(AtomicUsize::new(0));
    let health_checks = Arc::new(AtomicUsize::new(0));
    let watcher = {
        let (addr, done, failures, checks) = (
            addr.clone(),
            done.clone(),
            health_failures.clone(),
            health_checks.clone(),
        );
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                checks.fetch_add(1, Ordering::Relaxed);
                if get(&addr, "/healthz") != Some(200) {
                    failures.fetch_add(1, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };

    let statuses = Arc::new(std::sync::Mutex::new(Vec::new()));
    let started = Instant::now();
    let attackers: Vec<_> = (0..8)
        .map(|i| {
            let addr = addr.clone();
            let (deep_query, deep_form) = (deep_query.clone(), deep_form.clone());
            let (big, file_first, multipart) = (big_unauthenticated.clone(), file_first.clone(), multipart.clone());
            let statuses = statuses.clone();
            std::thread::spawn(move || {
                for round in 0..6 {
                    let status = match (i + round) % 5 {
                        0 => get(&addr, &deep_query),
                        1 => post(&addr, "/api/v2/curriculum_activities", "application/x-www-form-urlencoded", &deep_form),
                        2 => post(&addr, "/api/activityupload/new", &multipart, &big),
                        3 => post(&addr, "/api/activityupload/validate", &multipart, &file_first),
                        _ => {
                            // A slow body: a few bytes, then silence past the idle timeout.
                            let head = format!(
                                "POST /api/activityupload/new HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {multipart}\r\nContent-Length: 10000000\r\n\r\n"
                            );
                            request(&addr, &head, &big[..200], Some((50, Duration::from_millis(10))))
                        }
                    };
                    statuses.lock().unwrap().push(status);
                }
            })
        })
        .collect();
    for attacker in attackers {
        attacker.join().unwrap();
    }
    done.store(true, Ordering::Relaxed);
    watcher.join().unwrap();

    assert!(server.child.try_wait().unwrap().is_none(), "the server died");
    assert_eq!(get(&addr, "/healthz"), Some(200));
    assert_eq!(
        health_failures.load(Ordering::Relaxed),
        0,
        "healthz failed during the flood"
    );
    assert!(health_checks.load(Ordering::Relaxed) > 0);
    let statuses = statuses.lock().unwrap();
    for status in statuses.iter().flatten() {
        assert!(matches!(status, 400 | 401 | 408 | 413 | 422 | 429), "{statuses:?}");
        assert!(*status < 500, "{statuses:?}");
    }
    // The spool holds this server's lock file and nothing else.
    let mut spooled = Vec::new();
    for folder in std::fs::read_dir(dir.path().join("var/tmp")).unwrap().flatten() {
        for file in std::fs::read_dir(folder.path()).unwrap().flatten() {
            spooled.push(file.file_name().to_string_lossy().into_owned());
        }
    }
    assert_eq!(spooled, ["lock"]);
    eprintln!(
        "flood: {} requests in {:.1} s, {} health checks all answered",
        statuses.len(),
        started.elapsed().as_secs_f64(),
        health_checks.load(Ordering::Relaxed)
    );
}
