//! A headless Chromium driven over the Chrome DevTools Protocol (a websocket of JSON
//! commands): launch, evaluate JavaScript in the page, wait for conditions, screenshots.
//!
//! Chromium comes from the system packages (`apt-get install -y chromium`; `.ci/run`
//! installs it). Without it the tests that need it fail with a message saying so.
#![allow(dead_code, clippy::unwrap_used)]

use crate::common::Proc;
use base64::Engine as _;
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The Chromium binary: `$CHROMIUM`, else `/usr/bin/chromium`, else `chromium` on the PATH.
fn chromium_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("CHROMIUM") {
        return PathBuf::from(p);
    }
    let system = Path::new("/usr/bin/chromium");
    if system.exists() {
        return system.to_path_buf();
    }
    let on_path = Command::new("sh")
        .args(["-c", "command -v chromium"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .filter(|p| !p.is_empty());
    match on_path {
        Some(p) => PathBuf::from(p),
        None => panic!(
            "Chromium is not installed: this test drives the live page in a real headless \
             browser. Install it with `apt-get install -y chromium` (.ci/run does) or set \
             CHROMIUM to its path."
        ),
    }
}

/// A running headless Chromium with a fresh profile; killed (and its profile removed) on drop.
pub struct Browser {
    proc: Proc,
    profile: PathBuf,
    /// The browser's DevTools websocket URL.
    pub devtools: String,
}

impl Browser {
    /// Starts Chromium showing `url`, with a `width`×`height` window.
    pub fn launch(url: &str, width: u32, height: u32) -> Browser {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let profile =
            std::env::temp_dir().join(format!("alwayson-chromium-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&profile);
        std::fs::create_dir_all(&profile).unwrap();
        let mut cmd = Command::new(chromium_binary());
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            &format!("--window-size={width},{height}"),
            &format!("--user-data-dir={}", profile.display()),
            url,
        ]);
        let proc = Proc::spawn(cmd);
        proc.wait_stderr("DevTools listening on ws://", Duration::from_secs(30));
        let err = proc.stderr();
        let devtools = err
            .lines()
            .find_map(|l| l.split("DevTools listening on ").nth(1))
            .unwrap()
            .trim()
            .to_owned();
        Browser {
            proc,
            profile,
            devtools,
        }
    }

    /// Attaches to the first page tab (over the browser's websocket, in flat mode: page
    /// commands carry the session id).
    pub async fn page(&self) -> Page {
        let (ws, _) = tokio_tungstenite::connect_async(self.devtools.as_str())
            .await
            .unwrap_or_else(|e| panic!("cannot connect to {}: {e}", self.devtools));
        let mut page = Page {
            ws,
            next_id: 0,
            session: None,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        let target = loop {
            let targets = page.call("Target.getTargets", json!({})).await;
            let found = targets["targetInfos"].as_array().and_then(|a| {
                a.iter()
                    .find(|t| t["type"] == "page")
                    .and_then(|t| t["targetId"].as_str().map(str::to_owned))
            });
            if let Some(t) = found {
                break t;
            }
            assert!(Instant::now() < deadline, "no page target: {targets}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let attached = page
            .call(
                "Target.attachToTarget",
                json!({ "targetId": target, "flatten": true }),
            )
            .await;
        page.session = Some(attached["sessionId"].as_str().unwrap().to_owned());
        page
    }

    /// Chromium's standard error so far (for failure messages).
    pub fn stderr(&self) -> String {
        self.proc.stderr()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.proc.child.kill();
        let _ = self.proc.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// One page, driven over its DevTools websocket.
pub struct Page {
    ws: Ws,
    next_id: u64,
    session: Option<String>,
}

impl Page {
    /// Sends a command and waits for its result (events in between are ignored).
    pub async fn call(&mut self, method: &str, params: Value) -> Value {
        let reply = self.try_call(method, params).await;
        assert!(reply.get("error").is_none(), "CDP {method}: {reply}");
        reply["result"].clone()
    }

    /// Sends a command and returns the whole reply (`result` or `error`).
    pub async fn try_call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({ "id": id, "method": method, "params": params });
        if let Some(s) = &self.session {
            msg["sessionId"] = json!(s);
        }
        self.ws
            .send(Message::text(msg.to_string()))
            .await
            .unwrap_or_else(|e| panic!("CDP send {method}: {e}"));
        let reply = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                let m = self.ws.next().await.expect("CDP websocket closed").unwrap();
                let Message::Text(t) = m else { continue };
                let v: Value = serde_json::from_str(&t).unwrap();
                if v["id"] == id {
                    return v;
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("no CDP answer to {method} within 30 s"));
        reply
    }

    /// Evaluates `expression` in the page (promises awaited) and returns its value.
    pub async fn eval(&mut self, expression: &str) -> Value {
        let r = self
            .call(
                "Runtime.evaluate",
                json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
            )
            .await;
        if let Some(ex) = r.get("exceptionDetails") {
            panic!("JavaScript threw in `{expression}`: {ex}");
        }
        r["result"]["value"].clone()
    }

    /// Evaluates `expression`; `None` if it threw or the page was between documents.
    pub async fn try_eval(&mut self, expression: &str) -> Option<Value> {
        let reply = self
            .try_call(
                "Runtime.evaluate",
                json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
            )
            .await;
        let r = reply.get("result")?;
        if r.get("exceptionDetails").is_some() {
            return None;
        }
        Some(r["result"]["value"].clone())
    }

    /// Polls `expression` every 25 ms until it is truthy; returns that value, or `None`
    /// once `deadline` has passed. Evaluation errors (e.g. during a navigation) count as
    /// not yet.
    pub async fn wait_until(&mut self, expression: &str, deadline: Instant) -> Option<Value> {
        loop {
            let v = self.try_eval(expression).await.unwrap_or(Value::Null);
            let truthy = match &v {
                Value::Null => false,
                Value::Bool(b) => *b,
                Value::Number(n) => n.as_f64() != Some(0.0),
                Value::String(s) => !s.is_empty(),
                _ => true,
            };
            if truthy {
                return Some(v);
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Like [`Page::wait_until`] with a timeout; panics with `what` (and the page's text)
    /// when it does not hold in time.
    pub async fn wait_for(&mut self, what: &str, expression: &str, timeout: Duration) -> Value {
        match self.wait_until(expression, Instant::now() + timeout).await {
            Some(v) => v,
            None => {
                let text = self.eval("document.body.innerText").await;
                panic!(
                    "timed out after {timeout:?} waiting for {what} ({expression}); page text:\n{}",
                    text.as_str().unwrap_or_default()
                )
            }
        }
    }

    /// Saves a PNG screenshot of the viewport to `path`.
    pub async fn screenshot(&mut self, path: &Path) {
        let r = self
            .call("Page.captureScreenshot", json!({ "format": "png" }))
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(r["data"].as_str().unwrap())
            .unwrap();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(path, png).unwrap();
    }
}
