//! End to end: the real `alwayson platform` and `alwayson ems --config` binaries, and an
//! in-test HTTP application that registers like the Lua Script Resource and serves
//! `/scripts/Thingworx/…`.
#![allow(clippy::unwrap_used)]

mod common;

use common::{http, platform, wait_until, Proc};
use serde_json::{json, Value as Json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

const KEY: &str = "ems-key";
const T: Duration = Duration::from_secs(20);
const LOCAL_EMS: &str = "/Thingworx/Things/LocalEms";

/// One request the application received.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    body: String,
}

/// The in-test application: answers like the Lua Script Resource (ems.md §6).
struct App {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

fn app_answer(method: &str, path: &str, body: &str) -> (u16, String) {
    let table = |field: &str, base: &str, v: Json| {
        json!({"rows":[{field: v}],"dataShape":{"fieldDefinitions":{field:{"name":field,"baseType":base}}}})
            .to_string()
    };
    match (method, path) {
        ("GET", "/scripts/Thingworx/Things/LsrThing1/Properties/Temp") if body.is_empty() => (
            200,
            json!({"rows":[{"time":1795959503000_i64,"Temp":21.5}],"dataShape":{"fieldDefinitions":{
                "time":{"name":"time","baseType":"DATETIME"},"Temp":{"name":"Temp","baseType":"NUMBER"}}}})
            .to_string(),
        ),
        ("PUT", "/scripts/Thingworx/Things/LsrThing1/Properties/Label") => (200, String::new()),
        ("POST", "/scripts/Thingworx/Things/LsrThing1/Services/Add") => {
            let j: Json = serde_json::from_str(body).unwrap_or(Json::Null);
            let sum = j["rows"][0]["p1"].as_f64().unwrap_or(0.0) + j["rows"][0]["p2"].as_f64().unwrap_or(0.0);
            (200, table("result", "NUMBER", json!(sum)))
        }
        ("POST", "/scripts/Thingworx/Things/LsrThing1/Services/Garbage") => (200, "<html>oops".into()),
        ("POST", "/scripts/Thingworx/Things/LsrThing1/Services/Hang") => {
            thread::sleep(Duration::from_secs(3));
            (200, String::new())
        }
        (_, p) => {
            let name = p.rsplit('/').next().unwrap_or("");
            (404, format!("Service '{name}' not found"))
        }
    }
}

fn serve_one(mut s: TcpStream, seen: &Mutex<Vec<Seen>>) {
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    let mut line = String::new();
    if r.read_line(&mut line).unwrap_or(0) == 0 {
        return; // a health check: connect and close
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_owned();
    let path = parts.next().unwrap_or("").to_owned();
    let mut len = 0;
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).unwrap();
    let body = String::from_utf8(body).unwrap();
    seen.lock().unwrap().push(Seen {
        method: method.clone(),
        path: path.clone(),
        body: body.clone(),
    });
    if path.ends_with("/Services/Close") {
        return; // closes without an answer
    }
    let (status, text) = app_answer(&method, &path, &body);
    let ct = if status == 200 {
        "application/json"
    } else {
        "text/plain"
    };
    let _ = write!(
        s,
        "HTTP/1.1 {status} X\r\nContent-Type: {ct}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
}

fn is_metadata(seen: &Seen) -> bool {
    seen.path.ends_with("/Services/GetMetadata")
}

impl App {
    /// Listens on `port` (0: a free one).
    fn start(port: u16, seen: Arc<Mutex<Vec<Seen>>>) -> App {
        let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let (stop2, seen2) = (stop.clone(), seen.clone());
        let thread = thread::spawn(move || {
            while !stop2.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((s, _)) => {
                        s.set_nonblocking(false).unwrap();
                        let seen = seen2.clone();
                        thread::spawn(move || serve_one(s, &seen));
                    }
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        App {
            port,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    /// Closes the listening socket.
    fn stop(mut self) -> Arc<Mutex<Vec<Seen>>> {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.take().unwrap().join().unwrap();
        self.seen.clone()
    }

    /// The last request the test caused. The platform emulator asks each bound thing for
    /// `GetMetadata` on its own schedule (after BIND, forwarded by the gateway like any
    /// service call), so those are left out here and in [`count`](Self::count).
    fn last(&self) -> Seen {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .rev()
            .find(|s| !is_metadata(s))
            .cloned()
            .unwrap()
    }

    fn count(&self) -> usize {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|s| !is_metadata(s))
            .count()
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("alwayson-ems-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes a config.json for a platform at `platform` with short health check and retry.
fn write_config(dir: &Path, platform: &str, extra: Json) -> PathBuf {
    let (host, port) = platform.split_once(':').unwrap();
    let mut c = json!({
        "ws_servers": [{"host": host, "port": port.parse::<u16>().unwrap()}],
        "appKey": KEY,
        "http_server": {"host": "localhost", "port": 0},
        "ws_connection": {"connect_retry_interval": 200, "msg_timeout": 5000},
        "auto_bind": [{"name": "EmsGateway1", "gateway": true}, {"name": "AutoThing"}],
        "alwayson": {"health_check_interval": 300}
    });
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    let path = dir.join("config.json");
    std::fs::write(&path, c.to_string()).unwrap();
    path
}

/// Starts `alwayson ems --config`; returns it and its REST `host:port`.
fn ems(config: &Path) -> (Proc, String) {
    let mut cmd = common::bin();
    cmd.args(["ems", "--config", config.to_str().unwrap()]);
    let p = Proc::spawn(cmd);
    let first = p.line(T);
    let addr = first
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_owned();
    (p, addr)
}

/// A request to the platform's REST interface with the app key.
fn rest(platform: &str, method: &str, path: &str, body: &str) -> common::HttpResponse {
    http(platform, method, path, Some(KEY), body)
}

fn connected(platform: &str, thing: &str) -> bool {
    let r = http(
        platform,
        "GET",
        &format!("/Thingworx/Things/{thing}"),
        Some(KEY),
        "",
    );
    r.status == 200 && r.json()["isConnected"] == json!(true)
}

fn wait_connected(platform: &str, thing: &str, want: bool) {
    wait_until(T, &format!("{thing} connected = {want}"), || {
        connected(platform, thing) == want
    });
}

fn local(ems: &str, service: &str, body: &str) -> common::HttpResponse {
    http(
        ems,
        "POST",
        &format!("{LOCAL_EMS}/Services/{service}"),
        None,
        body,
    )
}

fn register(ems: &str, name: &str, app_port: u16, extra: &str) {
    let body = format!(
        r#"{{"keepalive":60000,"port":"{app_port}","timeout":1500,"host":"127.0.0.1","proto":"http","name":"{name}","path":"/scripts/Thingworx"{extra}}}"#
    );
    let r = local(ems, "AddEdgeThing", &body);
    assert_eq!((r.status, r.body.as_str()), (200, ""), "{r:?}");
}

#[test]
fn ems_gateway_end_to_end() {
    let (_plat, paddr) = platform(KEY);
    let dir = temp_dir("e2e");
    let config = write_config(&dir, &paddr, json!({}));
    let (_ems, eaddr) = ems(&config);
    let app = App::start(0, Arc::new(Mutex::new(Vec::new())));

    // connected: the gateway thing and the auto_bind entry are bound
    wait_until(T, "isConnected", || {
        let r = http(
            &eaddr,
            "GET",
            &format!("{LOCAL_EMS}/Properties/isConnected"),
            None,
            "",
        );
        r.status == 200 && r.json()["rows"][0]["isConnected"] == json!(true)
    });
    wait_connected(&paddr, "EmsGateway1", true);
    wait_connected(&paddr, "AutoThing", true);

    // the LSR registers its thing
    register(&eaddr, "LsrThing1", app.port, "");
    assert!(connected(&paddr, "LsrThing1"));
    let r = local(&eaddr, "HasEdgeThing", r#"{"name":"LsrThing1"}"#);
    assert_eq!(r.json()["rows"][0]["result"], json!(true));

    // platform → application: read, write, service call, typed
    let r = rest(
        &paddr,
        "GET",
        "/Thingworx/Things/LsrThing1/Properties/Temp",
        "",
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json()["rows"][0]["Temp"], json!(21.5));
    assert_eq!(
        r.json()["dataShape"]["fieldDefinitions"]["Temp"]["baseType"],
        "NUMBER"
    );
    let seen = app.last();
    assert_eq!(
        (seen.method.as_str(), seen.path.as_str(), seen.body.as_str()),
        (
            "GET",
            "/scripts/Thingworx/Things/LsrThing1/Properties/Temp",
            ""
        )
    );

    let r = rest(
        &paddr,
        "PUT",
        "/Thingworx/Things/LsrThing1/Properties/Label",
        r#"{"Label":"x"}"#,
    );
    assert_eq!(r.status, 200, "{r:?}");
    let seen = app.last();
    assert_eq!(seen.method, "PUT");
    let body: Json = serde_json::from_str(&seen.body).unwrap();
    assert_eq!(body["rows"][0]["Label"], "x");
    assert_eq!(
        body["datashape"]["fieldDefinitions"]["Label"]["baseType"],
        "STRING"
    );

    let r = rest(
        &paddr,
        "POST",
        "/Thingworx/Things/LsrThing1/Services/Add",
        r#"{"p1":2,"p2":3}"#,
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json()["rows"][0]["result"], json!(5.0));
    assert_eq!(
        r.json()["dataShape"]["fieldDefinitions"]["result"]["baseType"],
        "NUMBER"
    );

    // the application's refusals and failures come back with a status and a reason
    let r = rest(
        &paddr,
        "POST",
        "/Thingworx/Things/LsrThing1/Services/Nope",
        "",
    );
    assert_eq!(r.status, 404, "{r:?}");
    assert!(r.body.contains("Service 'Nope' not found"), "{r:?}");
    let r = rest(
        &paddr,
        "POST",
        "/Thingworx/Things/LsrThing1/Services/Garbage",
        "",
    );
    assert_eq!(r.status, 502, "{r:?}");
    assert!(r.body.contains("not JSON"), "{r:?}");
    let r = rest(
        &paddr,
        "POST",
        "/Thingworx/Things/LsrThing1/Services/Hang",
        "",
    );
    assert_eq!(r.status, 504, "{r:?}");
    assert!(r.body.contains("within 1500 ms"), "{r:?}");
    let r = rest(
        &paddr,
        "POST",
        "/Thingworx/Things/LsrThing1/Services/Close",
        "",
    );
    assert_eq!(r.status, 502, "{r:?}");
    assert!(r.body.contains("SERVICE_UNAVAILABLE"), "{r:?}");
    // the gateway kept serving: the next call works
    let r = rest(
        &paddr,
        "GET",
        "/Thingworx/Things/LsrThing1/Properties/Temp",
        "",
    );
    assert_eq!(r.json()["rows"][0]["Temp"], json!(21.5), "{r:?}");
    // a thing registered without a host: NOT_FOUND at once, with the reason
    let r = rest(
        &paddr,
        "GET",
        "/Thingworx/Things/AutoThing/Properties/Temp",
        "",
    );
    assert_eq!(r.status, 404, "{r:?}");
    assert!(r.body.contains("without a host"), "{r:?}");

    // the gateway thing answers by itself
    let r = rest(
        &paddr,
        "GET",
        "/Thingworx/Things/EmsGateway1/Properties/isConnected",
        "",
    );
    assert_eq!(r.json()["rows"][0]["isConnected"], json!(true), "{r:?}");
    let r = rest(
        &paddr,
        "POST",
        "/Thingworx/Things/EmsGateway1/Services/GetEdgeThings",
        "",
    );
    assert_eq!(r.status, 200, "{r:?}");
    let rows = r.json()["rows"].as_array().unwrap().clone();
    let lsr = rows.iter().find(|r| r["name"] == "LsrThing1").unwrap();
    assert_eq!(
        (lsr["port"].clone(), lsr["path"].clone()),
        (json!(app.port), json!("/scripts/Thingworx"))
    );
    let r = rest(
        &paddr,
        "POST",
        "/Thingworx/Things/EmsGateway1/Services/GetMicroserverVersion",
        "",
    );
    assert!(r.json()["rows"][0]["result"]
        .as_str()
        .unwrap()
        .contains("alwayson-ems"));

    // application → platform: the LSR's push lands on the platform
    let push = json!({"dataShape":{"fieldDefinitions":{"values":{"name":"values","baseType":"INFOTABLE"}}},
        "rows":[{"values":{"dataShape":{"fieldDefinitions":{
            "name":{"name":"name","baseType":"STRING"},"value":{"name":"value","baseType":"VARIANT"},
            "time":{"name":"time","baseType":"DATETIME"},"quality":{"name":"quality","baseType":"STRING"}}},
            "rows":[{"name":"Pressure","value":{"baseType":"NUMBER","value":17.25},"time":1795959503000_i64,"quality":"GOOD"}]}}]});
    let r = http(
        &eaddr,
        "POST",
        "/Thingworx/Things/LsrThing1/Services/UpdateSubscribedPropertyValues",
        None,
        &push.to_string(),
    );
    assert_eq!(r.status, 200, "{r:?}");
    let r = rest(
        &paddr,
        "GET",
        "/Thingworx/Things/LsrThing1/Properties/Pressure?source=stored",
        "",
    );
    assert_eq!(r.json()["rows"][0]["Pressure"], json!(17.25), "{r:?}");
    // a plain JSON body travels as _content_ and is unwrapped by the platform
    let r = http(
        &eaddr,
        "PUT",
        "/Thingworx/Things/Other1/Properties/Level",
        None,
        r#"{"Level":3}"#,
    );
    assert_eq!(r.status, 200, "{r:?}");
    let r = rest(
        &paddr,
        "GET",
        "/Thingworx/Things/Other1/Properties/Level",
        "",
    );
    assert_eq!(r.json()["rows"][0]["Level"], json!(3.0), "{r:?}");

    // bad input: 400/404 with a JSON error, nothing registered or sent
    let before = app.count();
    for (path, body, status) in [
        ("/Services/AddEdgeThing", "{", 400),
        ("/Services/AddEdgeThing", "[1]", 400),
        ("/Services/AddEdgeThing", "{}", 400),
        ("/Services/AddEdgeThing", r#"{"name":5}"#, 400),
        ("/Services/AddEdgeThing", r#"{"name":"Bad/Name"}"#, 400),
        (
            "/Services/AddEdgeThing",
            r#"{"name":"BadPort","port":"http"}"#,
            400,
        ),
        ("/Services/AddEdgeThing", r#"{"name":"EmsGateway1"}"#, 400),
        ("/Services/RemoveEdgeThing", r#"{"name":"NeverAdded"}"#, 404),
        ("/Services/Frobnicate", r#"{"name":"X"}"#, 404),
        ("/Properties/Nope", "", 404),
    ] {
        let method = if path.starts_with("/Properties") {
            "GET"
        } else {
            "POST"
        };
        let r = http(&eaddr, method, &format!("{LOCAL_EMS}{path}"), None, body);
        assert_eq!(r.status, status, "{path} {body}: {r:?}");
        assert!(r.json()["error"].is_string(), "{r:?}");
    }
    let r = http(
        &eaddr,
        "PUT",
        "/Thingworx/Things/Other1/Properties/Level",
        None,
        "",
    );
    assert_eq!(r.status, 400, "{r:?}");
    let r = http(
        &eaddr,
        "POST",
        "/Thingworx/Things/Other1/Services/X",
        None,
        r#"{"dataShape":{},"rows":5}"#,
    );
    assert_eq!(r.status, 400, "{r:?}");
    for name in ["BadPort", "Bad/Name"] {
        assert!(!connected(&paddr, name));
    }
    let r = local(&eaddr, "HasEdgeThing", r#"{"name":"BadPort"}"#);
    assert_eq!(r.json()["rows"][0]["result"], json!(false));
    assert_eq!(
        app.count(),
        before,
        "the application got requests from bad input"
    );

    // RemoveEdgeThing → not connected
    let r = local(&eaddr, "RemoveEdgeThing", r#"{"name":"LsrThing1"}"#);
    assert_eq!(r.status, 200, "{r:?}");
    wait_connected(&paddr, "LsrThing1", false);

    // application down → unbound after the health check; up again → bound
    register(&eaddr, "LsrThing1", app.port, "");
    assert!(connected(&paddr, "LsrThing1"));
    let port = app.port;
    let seen = app.stop();
    wait_connected(&paddr, "LsrThing1", false);
    let app = App::start(port, seen);
    wait_connected(&paddr, "LsrThing1", true);
    let r = rest(
        &paddr,
        "GET",
        "/Thingworx/Things/LsrThing1/Properties/Temp",
        "",
    );
    assert_eq!(r.json()["rows"][0]["Temp"], json!(21.5), "{r:?}");
    app.stop();
    let _ = std::fs::remove_dir_all(dir);
}

/// The `conn N: bound NAME` lines of the platform's log after `from` bytes.
fn bound_lines(log: &str, from: usize) -> Vec<(String, String)> {
    log[from..]
        .lines()
        .filter_map(|l| {
            let rest = &l[l.find("conn ")? + 5..];
            let (conn, name) = rest.split_once(": bound ")?;
            Some((conn.to_owned(), name.trim().to_owned()))
        })
        .collect()
}

#[test]
fn ems_rebinds_after_a_platform_restart_and_keeps_persisted_registrations() {
    let (mut plat, paddr) = platform(KEY);
    let dir = temp_dir("restart");
    let config = write_config(&dir, &paddr, json!({}));
    let (mut gw, eaddr) = ems(&config);
    wait_connected(&paddr, "AutoThing", true);
    // registered without a host (no application, so no health check to fail)
    for body in [
        r#"{"name":"Kept1","persist":true}"#,
        r#"{"name":"Kept2","persist":true}"#,
        r#"{"name":"Gone1"}"#,
    ] {
        assert_eq!(local(&eaddr, "AddEdgeThing", body).status, 200);
    }

    // platform restart: every name comes back on one new connection
    plat.child.kill().unwrap();
    plat.child.wait().unwrap();
    let mut cmd = common::bin();
    cmd.args(["platform", "--listen", &paddr, "--app-key", KEY]);
    let plat2 = Proc::spawn(cmd);
    let _ = plat2.line(T);
    let names = ["EmsGateway1", "AutoThing", "Kept1", "Kept2", "Gone1"];
    for n in names {
        wait_connected(&paddr, n, true);
    }
    let bound = bound_lines(&plat2.stderr(), 0);
    let conns: std::collections::BTreeSet<_> = bound.iter().map(|(c, _)| c.clone()).collect();
    assert_eq!(conns.len(), 1, "{bound:?}");
    for n in names {
        assert!(
            bound.iter().any(|(_, b)| b == n),
            "{n} not bound: {bound:?}"
        );
    }

    // gateway restart: registrations made with persist come back, the others do not
    gw.child.kill().unwrap();
    gw.child.wait().unwrap();
    wait_connected(&paddr, "Kept1", false);
    let (_gw2, eaddr2) = ems(&config);
    wait_connected(&paddr, "Kept1", true);
    wait_connected(&paddr, "Kept2", true);
    assert!(!connected(&paddr, "Gone1"));
    let r = local(&eaddr2, "HasEdgeThing", r#"{"name":"Kept2"}"#);
    assert_eq!(r.json()["rows"][0]["result"], json!(true));
    let r = local(&eaddr2, "HasEdgeThing", r#"{"name":"Gone1"}"#);
    assert_eq!(r.json()["rows"][0]["result"], json!(false));
    let _ = std::fs::remove_dir_all(dir);
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn ems_without_a_platform_answers_503_or_stores_pushes() {
    let port = free_port();
    let paddr = format!("127.0.0.1:{port}");
    let push = json!({"dataShape":{"fieldDefinitions":{"values":{"name":"values","baseType":"INFOTABLE"}}},
        "rows":[{"values":{"dataShape":{"fieldDefinitions":{
            "name":{"name":"name","baseType":"STRING"},"value":{"name":"value","baseType":"VARIANT"},
            "time":{"name":"time","baseType":"DATETIME"},"quality":{"name":"quality","baseType":"STRING"}}},
            "rows":[{"name":"Temp","value":{"baseType":"NUMBER","value":4.5},"time":1795959503000_i64,"quality":"GOOD"}]}}]})
    .to_string();
    let push_path = "/Thingworx/Things/AutoThing/Services/UpdateSubscribedPropertyValues";

    // no offline store: 503 with a JSON error
    let dir = temp_dir("offline-none");
    let (_gw, eaddr) = ems(&write_config(&dir, &paddr, json!({})));
    let r = http(
        &eaddr,
        "GET",
        &format!("{LOCAL_EMS}/Properties/isConnected"),
        None,
        "",
    );
    assert_eq!(r.json()["rows"][0]["isConnected"], json!(false));
    for (method, path, body) in [
        ("POST", push_path, push.as_str()),
        ("GET", "/Thingworx/Things/AutoThing/Properties/Temp", ""),
        ("POST", "/Thingworx/Things/AutoThing/Events/Alarm", "{}"),
    ] {
        let r = http(&eaddr, method, path, None, body);
        assert_eq!(r.status, 503, "{r:?}");
        assert!(
            r.json()["error"]
                .as_str()
                .unwrap()
                .contains("not connected"),
            "{r:?}"
        );
    }
    drop(_gw);

    // with the offline store: stored, and delivered once the platform is there
    let dir2 = temp_dir("offline-store");
    let config = write_config(
        &dir2,
        &paddr,
        json!({"offline_msg_store": {"enabled": true, "directory": "store", "max_size": 1048576}}),
    );
    let (_gw, eaddr) = ems(&config);
    let r = http(&eaddr, "POST", push_path, None, &push);
    assert_eq!(r.status, 200, "{r:?}");
    let mut cmd = common::bin();
    cmd.args(["platform", "--listen", &paddr, "--app-key", KEY]);
    let plat = Proc::spawn(cmd);
    let _ = plat.line(T);
    wait_until(T, "the stored push on the platform", || {
        let r = rest(
            &paddr,
            "GET",
            "/Thingworx/Things/AutoThing/Properties/Temp?source=stored",
            "",
        );
        r.status == 200 && r.json()["rows"][0]["Temp"] == json!(4.5)
    });
    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::remove_dir_all(dir2);
}

#[test]
fn ems_bad_config_exits_2_naming_key_and_file() {
    let dir = temp_dir("badconfig");
    let path = dir.join("config.json");
    std::fs::write(&path, r#"{"ws_servers":[{"host":"h","port":1}],"appKey":"k","ws_connection":{"ping_rate":"often"},"shiny":1}"#).unwrap();
    let mut cmd = common::bin();
    cmd.args(["ems", "--config", path.to_str().unwrap()]);
    let mut p = Proc::spawn(cmd);
    assert_eq!(p.wait_exit(T), Some(2));
    thread::sleep(Duration::from_millis(100));
    let err = p.stderr();
    assert!(err.contains("ws_connection.ping_rate"), "{err}");
    assert!(err.contains("config.json"), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn ems_listening_beyond_loopback_warns() {
    let dir = temp_dir("wide");
    let port = free_port();
    let config = write_config(
        &dir,
        &format!("127.0.0.1:{port}"),
        json!({"http_server": {"host": "0.0.0.0", "port": 0}}),
    );
    let mut cmd = common::bin();
    cmd.args(["ems", "--config", config.to_str().unwrap()]);
    let p = Proc::spawn(cmd);
    let first = p.line(T);
    assert!(first.starts_with("listening on http://0.0.0.0:"), "{first}");
    p.wait_stderr("acts with the app key's rights", T);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn ems_tries_the_next_of_ws_servers() {
    let (_plat, paddr) = platform(KEY);
    let dir = temp_dir("failover");
    let dead = format!("127.0.0.1:{}", free_port());
    let (port, live) = (
        dead.split_once(':').unwrap().1,
        paddr.split_once(':').unwrap().1,
    );
    let servers = json!([
        {"host": "127.0.0.1", "port": port.parse::<u16>().unwrap()},
        {"host": "127.0.0.1", "port": live.parse::<u16>().unwrap()}
    ]);
    let config = write_config(&dir, &dead, json!({"ws_servers": servers}));
    let (_gw, eaddr) = ems(&config);
    wait_connected(&paddr, "EmsGateway1", true);
    wait_connected(&paddr, "AutoThing", true);
    let r = local(&eaddr, "AddEdgeThing", r#"{"name":"Late1"}"#);
    assert_eq!(r.status, 200, "{r:?}");
    assert!(connected(&paddr, "Late1"));
    let _ = std::fs::remove_dir_all(dir);
}
