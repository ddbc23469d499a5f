//! Helpers for tests that run the real `alwayson` binary: child processes that are killed
//! on drop, output capture, a minimal HTTP/1.1 client, bounded polling.
#![allow(dead_code, clippy::unwrap_used)]

pub mod wire_edge;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// The binary under test.
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_alwayson"));
    c.env_remove("RUST_LOG");
    c
}

/// A running child: killed on drop; its stdout lines arrive on a channel and stderr is
/// collected.
pub struct Proc {
    pub child: std::process::Child,
    pub stdout: mpsc::Receiver<String>,
    pub stderr: Arc<Mutex<String>>,
}

impl Proc {
    pub fn spawn(mut cmd: Command) -> Proc {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn alwayson");
        let (tx, rx) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let err = child.stderr.take().unwrap();
        let sink = stderr.clone();
        thread::spawn(move || {
            for line in BufReader::new(err).lines() {
                let Ok(line) = line else { break };
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        Proc {
            child,
            stdout: rx,
            stderr,
        }
    }

    /// The next stdout line, within `timeout`.
    pub fn line(&self, timeout: Duration) -> String {
        self.stdout.recv_timeout(timeout).unwrap_or_else(|e| {
            panic!(
                "no stdout line within {timeout:?} ({e}); stderr:\n{}",
                self.stderr()
            )
        })
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits for stderr to contain `needle`.
    pub fn wait_stderr(&self, needle: &str, timeout: Duration) {
        wait_until(timeout, &format!("stderr to contain {needle:?}"), || {
            self.stderr().contains(needle)
        });
    }

    /// Sends SIGTERM (through `kill`, to stay free of unsafe code).
    pub fn terminate(&self) {
        let ok = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill")
            .success();
        assert!(ok, "kill -TERM failed");
    }

    /// Waits for the process to exit; returns its exit code.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<i32> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            if Instant::now() > deadline {
                panic!(
                    "process did not exit within {timeout:?}; stderr:\n{}",
                    self.stderr()
                );
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `cond` every 20 ms until it holds; panics after `timeout`.
pub fn wait_until(timeout: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !cond() {
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

/// Starts `alwayson platform` on a free port; returns it and its `host:port`.
pub fn platform(app_key: &str) -> (Proc, String) {
    platform_with(app_key, &[])
}

/// Starts `alwayson platform` on a free port with extra flags; returns it and `host:port`.
pub fn platform_with(app_key: &str, extra: &[&str]) -> (Proc, String) {
    let mut cmd = bin();
    cmd.args(["platform", "--listen", "127.0.0.1:0", "--app-key", app_key]);
    cmd.args(extra);
    let p = Proc::spawn(cmd);
    let first = p.line(Duration::from_secs(20));
    let url = first
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"));
    let addr = url
        .strip_prefix("ws://")
        .or_else(|| url.strip_prefix("wss://"))
        .and_then(|r| r.split('/').next())
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .to_owned();
    (p, addr)
}

/// An HTTP response: status code, header lines and body text.
#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl HttpResponse {
    /// The value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.body))
    }
}

/// One HTTP/1.1 request with `Connection: close` (JSON content type when there is a body).
pub fn http(
    addr: &str,
    method: &str,
    path: &str,
    app_key: Option<&str>,
    body: &str,
) -> HttpResponse {
    let ct = (!body.is_empty()).then_some("application/json");
    http_with(addr, method, path, app_key, ct, body)
}

/// One HTTP/1.1 request with `Connection: close` and this content type.
pub fn http_with(
    addr: &str,
    method: &str,
    path: &str,
    app_key: Option<&str>,
    content_type: Option<&str>,
    body: &str,
) -> HttpResponse {
    let mut s = TcpStream::connect(addr).expect("connect to the REST port");
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAccept: application/json\r\n");
    if let Some(k) = app_key {
        req.push_str(&format!("appKey: {k}\r\n"));
    }
    if let Some(ct) = content_type {
        req.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line in {head:?}"));
    let chunked = head.lines().any(|l| {
        l.to_ascii_lowercase().starts_with("transfer-encoding:")
            && l.to_ascii_lowercase().contains("chunked")
    });
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_owned()
    };
    HttpResponse {
        status,
        head: head.to_owned(),
        body,
    }
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// A CA and a server certificate for `localhost` / `127.0.0.1` signed by it, written as PEM
/// files into a fresh temporary directory: (dir, ca, cert, key).
pub fn pki_files() -> (std::path::PathBuf, String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let params =
        CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &ca, &ca_key).unwrap();
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("alwayson-cli-pki-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, pem: String| {
        let p = dir.join(name);
        std::fs::write(&p, pem).unwrap();
        p.to_str().unwrap().to_owned()
    };
    let ca_path = write("ca.pem", ca.pem());
    let cert_path = write("cert.pem", cert.pem());
    let key_path = write("key.pem", key.serialize_pem());
    (dir, ca_path, cert_path, key_path)
}
