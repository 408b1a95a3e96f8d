//! A webhook receiver on 127.0.0.1 for the tests: it refuses the first tries of each event
//! and keeps what it accepted.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::sync::{Arc, Mutex};

/// What the receiver was sent and accepted: event id, signature header, body.
pub type Received = Arc<Mutex<Vec<(i64, String, Vec<u8>)>>>;

/// An HTTP receiver on 127.0.0.1 that answers 500 to the first `refuse` tries of each event
/// and 204 after; its URL and what it accepted.
pub fn receiver(refuse: usize) -> (String, Received) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let received: Received = Arc::default();
    let out = Arc::clone(&received);
    std::thread::spawn(move || {
        let mut tries: HashMap<i64, usize> = HashMap::new();
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let mut reader = BufReader::new(stream);
            let mut headers = HashMap::new();
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 0 && line != "\r\n" {
                if let Some((name, value)) = line.trim_end().split_once(':') {
                    headers.insert(name.to_ascii_lowercase(), value.trim().to_owned());
                }
                line.clear();
            }
            let length: usize = headers.get("content-length").and_then(|l| l.parse().ok()).unwrap_or(0);
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let id: i64 = headers
                .get("curricula-event-id")
                .and_then(|v| v.parse().ok())
                .unwrap_or(-1);
            let seen = tries.entry(id).or_default();
            *seen += 1;
            let status = if *seen <= refuse {
                "500 Internal Server Error"
            } else {
                "204 No Content"
            };
            if *seen > refuse {
                let signature = headers.get("curricula-signature").cloned().unwrap_or_default();
                out.lock().unwrap().push((id, signature, body));
            }
            let _ = write!(
                reader.get_mut(),
                "HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            );
        }
    });
    (url, received)
}
