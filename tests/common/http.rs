//! Plain HTTP against a test node: every error must be problem+json.

use std::io::{Read, Write};
use std::time::Duration;

use serde_json::Value;

/// POSTs `body` as `content_type`; the status and the JSON answer (errors
/// must be `application/problem+json`).
pub fn post(url: &str, content_type: &str, body: &[u8]) -> (u16, Value) {
    match ureq::post(url)
        .set("Content-Type", content_type)
        .send_bytes(body)
    {
        Ok(r) => (r.status(), r.into_json().unwrap_or(Value::Null)),
        Err(ureq::Error::Status(code, r)) => {
            assert_eq!(
                r.content_type(),
                "application/problem+json",
                "error without problem+json"
            );
            (code, r.into_json().unwrap())
        }
        Err(e) => panic!("{e}"),
    }
}

/// GETs `url`; the status and the JSON answer (errors must be
/// `application/problem+json`).
pub fn get(url: &str) -> (u16, Value) {
    match ureq::get(url).call() {
        Ok(r) => (r.status(), r.into_json().unwrap_or(Value::Null)),
        Err(ureq::Error::Status(code, r)) => {
            assert_eq!(r.content_type(), "application/problem+json");
            (code, r.into_json().unwrap())
        }
        Err(e) => panic!("{e}"),
    }
}

/// Writes `head` (and `body`, if any) on a raw connection to the node at
/// `url` and returns the status and the raw response.
pub fn raw(url: &str, head: &str, body: &mut dyn FnMut(&mut std::net::TcpStream)) -> (u16, String) {
    let addr = url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    let _ = write!(s, "{}", head.replace("{addr}", addr));
    body(&mut s);
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let code = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (code, text)
}

/// Sends only the head and 1 KiB of a POST to `path` declaring a 2 MiB
/// body; the status and the raw response.
pub fn declare_oversized_body(url: &str, path: &str, content_type: &str) -> (u16, String) {
    raw(
        url,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: {{addr}}\r\nContent-Type: {content_type}\r\nContent-Length: 2097152\r\nConnection: close\r\n\r\n"
        ),
        &mut |s| s.write_all(&[1u8; 1024]).unwrap(),
    )
}
