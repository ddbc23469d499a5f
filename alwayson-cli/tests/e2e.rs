//! End to end: the real `alwayson platform` and `alwayson edge` binaries, driven through the
//! REST interface with a minimal HTTP client.
#![allow(clippy::unwrap_used)]

mod common;

use common::{http, platform, platform_with, wait_until, Proc};
use serde_json::json;
use std::time::Duration;

const KEY: &str = "e2e-key";
const T: Duration = Duration::from_secs(20);

fn edge(addr: &str, key: &str, extra: &[&str]) -> Proc {
    let mut cmd = common::bin();
    cmd.args([
        "edge",
        &format!("ws://{addr}/Thingworx/WS"),
        "--app-key",
        key,
        "--bind",
        "SteamSensor1",
    ]);
    cmd.args(extra);
    Proc::spawn(cmd)
}

fn is_connected(addr: &str) -> Option<bool> {
    let r = http(addr, "GET", "/Thingworx/Things/SteamSensor1", Some(KEY), "");
    (r.status == 200).then(|| r.json()["isConnected"].as_bool().unwrap())
}

#[test]
fn platform_edge_and_rest_end_to_end() {
    let (plat, addr) = platform(KEY);

    // before any edge: unknown thing, and property access says it is not bound
    let r = http(
        &addr,
        "GET",
        "/Thingworx/Things/SteamSensor1",
        Some(KEY),
        "",
    );
    assert_eq!(r.status, 404, "{}", r.body);
    let r = http(
        &addr,
        "GET",
        "/Thingworx/Things/SteamSensor1/Properties/Temperature",
        Some(KEY),
        "",
    );
    assert_eq!(r.status, 503);
    assert_eq!(
        r.json(),
        json!({"error": "thing SteamSensor1 is not bound"})
    );

    let mut e = edge(
        &addr,
        KEY,
        &[
            "--property",
            "Temperature=21.5",
            "--property",
            "Mode=auto",
            "--push-every",
            "200ms",
        ],
    );
    wait_until(T, "SteamSensor1 to be connected", || {
        is_connected(&addr) == Some(true)
    });
    let status = http(
        &addr,
        "GET",
        "/Thingworx/Things/SteamSensor1",
        Some(KEY),
        "",
    )
    .json();
    assert_eq!(status["name"], "SteamSensor1");
    assert!(status["lastConnection"].as_u64().unwrap() > 1_577_836_800_000);

    // wrong / missing appKey
    let r = http(
        &addr,
        "GET",
        "/Thingworx/Things/SteamSensor1",
        Some("wrong"),
        "",
    );
    assert_eq!(r.status, 401);
    assert_eq!(r.json(), json!({"error": "invalid appKey"}));
    assert_eq!(
        http(&addr, "GET", "/Thingworx/Things/SteamSensor1", None, "").status,
        401
    );

    // read (live, forced: the edge also pushes it), write, read back
    let r = http(
        &addr,
        "GET",
        "/Thingworx/Things/SteamSensor1/Properties/Temperature?source=live",
        Some(KEY),
        "",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.json(),
        json!({"dataShape":{"fieldDefinitions":{"Temperature":{"name":"Temperature","baseType":"NUMBER","description":"","aspects":{}}}},"rows":[{"Temperature":21.5}]})
    );
    let r = http(
        &addr,
        "PUT",
        "/Thingworx/Things/SteamSensor1/Properties/Temperature",
        Some(KEY),
        r#"{"Temperature": 22.25}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = http(
        &addr,
        "GET",
        "/Thingworx/Things/SteamSensor1/Properties/Temperature",
        Some(KEY),
        "",
    );
    assert_eq!(r.json()["rows"][0]["Temperature"], json!(22.25));
    let r = http(
        &addr,
        "GET",
        "/Thingworx/Things/SteamSensor1/Properties/Mode",
        Some(KEY),
        "",
    );
    assert_eq!(r.json()["rows"][0]["Mode"], json!("auto"));

    // services: Echo and GetProperties; unknown ones are 404
    let r = http(
        &addr,
        "POST",
        "/Thingworx/Things/SteamSensor1/Services/Echo",
        Some(KEY),
        r#"{"a": 1, "b": "x", "c": true}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["rows"], json!([{"a": 1.0, "b": "x", "c": true}]));
    assert_eq!(
        r.json()["dataShape"]["fieldDefinitions"]["c"]["baseType"],
        "BOOLEAN"
    );
    let r = http(
        &addr,
        "POST",
        "/Thingworx/Things/SteamSensor1/Services/GetProperties",
        Some(KEY),
        "",
    );
    assert_eq!(
        r.json()["rows"],
        json!([{"Mode": "auto", "Temperature": 22.25}])
    );
    let r = http(
        &addr,
        "POST",
        "/Thingworx/Things/SteamSensor1/Services/NoSuchService",
        Some(KEY),
        "",
    );
    assert_eq!(r.status, 404, "{}", r.body);
    assert!(r.json()["error"].is_string());

    // malformed bodies: 400 with a JSON error, and everything still works afterwards
    for body in [
        "{",
        "",
        r#"{"other": 1}"#,
        r#"{"Temperature": {"dataShape": 3, "rows": []}}"#,
    ] {
        let r = http(
            &addr,
            "PUT",
            "/Thingworx/Things/SteamSensor1/Properties/Temperature",
            Some(KEY),
            body,
        );
        assert_eq!(r.status, 400, "{body}: {}", r.body);
        assert!(r.json()["error"].is_string());
    }
    assert_eq!(is_connected(&addr), Some(true));

    // periodic pushes happen (logged by the edge)
    e.wait_stderr("pushed 2 value(s) of SteamSensor1", T);

    // SIGTERM: the edge unbinds and exits 0; the platform shows isConnected false
    e.terminate();
    assert_eq!(e.wait_exit(T), Some(0), "edge stderr:\n{}", e.stderr());
    assert!(
        e.stderr().contains("unbound SteamSensor1"),
        "{}",
        e.stderr()
    );
    wait_until(T, "SteamSensor1 to be disconnected", || {
        is_connected(&addr) == Some(false)
    });
    // not connected: the stored value, with its time; a property never seen is 503
    let r = http(
        &addr,
        "GET",
        "/Thingworx/Things/SteamSensor1/Properties/Temperature",
        Some(KEY),
        "",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["rows"][0]["Temperature"], json!(22.25));
    assert!(r.json()["rows"][0]["time"].as_i64().unwrap() > 1_577_836_800_000);
    assert_eq!(r.json()["rows"][0]["quality"], "GOOD");
    let r = http(
        &addr,
        "GET",
        "/Thingworx/Things/SteamSensor1/Properties/Nope",
        Some(KEY),
        "",
    );
    assert_eq!(r.status, 503);
    assert_eq!(
        r.json(),
        json!({"error": "thing SteamSensor1 is not bound"})
    );

    // the platform logged the connection events
    plat.wait_stderr("bound SteamSensor1", T);
    plat.wait_stderr("unbound SteamSensor1", T);
    assert!(plat.stderr().contains("authenticated"), "{}", plat.stderr());
}

#[test]
fn wrong_app_key_exits_3_with_one_message() {
    let (plat, addr) = platform(KEY);
    let mut e = edge(&addr, "not-the-key", &[]);
    assert_eq!(e.wait_exit(T), Some(3), "stderr:\n{}", e.stderr());
    let err = e.stderr();
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 1, "{err}");
    assert!(errors[0].contains("refused the application key"), "{err}");
    plat.wait_stderr("credentials refused", T);
    assert_eq!(
        http(
            &addr,
            "GET",
            "/Thingworx/Things/SteamSensor1",
            Some(KEY),
            ""
        )
        .status,
        404
    );
}

#[test]
fn a_refused_bind_exits_5_unless_told_to_keep_running() {
    // First in wins: a second edge binding SteamSensor1 is refused (0x83).
    let (_plat, addr) = platform(KEY);
    let _first = edge(&addr, KEY, &[]);
    wait_until(T, "the first edge to bind", || {
        is_connected(&addr) == Some(true)
    });
    let mut second = edge(&addr, KEY, &[]);
    assert_eq!(second.wait_exit(T), Some(5), "stderr:\n{}", second.stderr());
    let err = second.stderr();
    assert!(
        err.contains("BIND refused by the platform"),
        "the warning: {err}"
    );
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 1, "{err}");
    assert!(
        errors[0].contains("refused the BIND of SteamSensor1 (") && errors[0].contains("FORBIDDEN"),
        "{err}"
    );
    // The platform's reason arrives with the status.
    assert!(
        errors[0].contains("FORBIDDEN(0x83): bound on another connection: SteamSensor1)"),
        "{err}"
    );
    // Told to keep running: a warning, the other thing is served, no exit.
    let third = edge(
        &addr,
        KEY,
        &["--bind", "Other1", "--keep-running-on-refused-bind"],
    );
    third.wait_stderr("bound Other1; serving", T);
    let err = third.stderr();
    assert!(
        err.contains("refused the BIND of SteamSensor1")
            && err.contains("--keep-running-on-refused-bind"),
        "{err}"
    );
    assert!(!err.contains("error: "), "no exit: {err}");
    let other = http(&addr, "GET", "/Thingworx/Things/Other1", Some(KEY), "");
    assert_eq!(
        other.json()["isConnected"],
        json!(true),
        "still serving Other1"
    );
    assert_eq!(
        is_connected(&addr),
        Some(true),
        "the first edge keeps the thing"
    );
}

#[test]
fn unreachable_platform_exits_4() {
    // a port that was free a moment ago
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut e = edge(&format!("127.0.0.1:{port}"), KEY, &[]);
    assert_eq!(e.wait_exit(T), Some(4), "stderr:\n{}", e.stderr());
    let err = e.stderr();
    assert!(
        err.contains("error: cannot connect to ws://127.0.0.1:"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn proxy_refusals_exit_4_naming_the_proxy_without_its_password() {
    use std::io::{Read, Write};
    // A proxy that answers every CONNECT with 407.
    let proxy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy_addr = proxy.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut conn in proxy.incoming().flatten() {
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && conn.read(&mut byte).unwrap_or(0) == 1 {
                head.push(byte[0]);
            }
            let _ = conn.write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n");
        }
    });
    let url = format!("http://edge:hunter2@{proxy_addr}");
    let mut e = edge("127.0.0.1:1", KEY, &["--proxy", &url]);
    assert_eq!(e.wait_exit(T), Some(4), "stderr:\n{}", e.stderr());
    let err = e.stderr();
    assert!(
        err.contains(&format!(
            "proxy http://edge@{proxy_addr} refused the credentials"
        )),
        "{err}"
    );
    assert!(err.contains("407") && !err.contains("hunter2"), "{err}");

    // --proxy-from-env: HTTP_PROXY names a port with nothing behind it.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut cmd = common::bin();
    cmd.args([
        "edge",
        "ws://127.0.0.1:1/Thingworx/WS",
        "--app-key",
        KEY,
        "--bind",
        "T",
        "--proxy-from-env",
    ])
    .env_remove("http_proxy")
    .env_remove("no_proxy")
    .env_remove("NO_PROXY")
    .env("HTTP_PROXY", format!("http://u:hunter2@{dead}"));
    let mut e = Proc::spawn(cmd);
    assert_eq!(e.wait_exit(T), Some(4), "stderr:\n{}", e.stderr());
    let err = e.stderr();
    assert!(
        err.contains(&format!("cannot reach proxy http://u@{dead}")),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");
}

#[test]
fn duty_cycle_edge_goes_off_and_binds_again() {
    let (_plat, addr) = platform(KEY);
    let e = edge(
        &addr,
        KEY,
        &[
            "--duty-cycle",
            "1s:50",
            "--push-every",
            "100ms",
            "--property",
            "Temperature=1",
        ],
    );
    e.wait_stderr("authenticated; bound SteamSensor1", T);
    e.wait_stderr("duty cycle: off time", T);
    wait_until(T, "the platform to see the edge gone", || {
        is_connected(&addr) == Some(false)
    });
    // The next on time: bound again (a notice of the running client, not a new client).
    e.wait_stderr("bound SteamSensor1\n", T);
    wait_until(T, "the platform to see the edge back", || {
        is_connected(&addr) == Some(true)
    });
    let err = e.stderr();
    assert!(!err.contains("connection lost"), "{err}");
    assert!(!err.contains("push of SteamSensor1 failed"), "{err}");
}

#[test]
fn waiting_edge_connects_late_and_reconnects_after_a_platform_restart() {
    // --wait: the edge keeps trying until a platform appears on the port
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let _e = edge(&addr, KEY, &["--wait"]);
    std::thread::sleep(Duration::from_millis(300));
    let mut cmd = common::bin();
    cmd.args(["platform", "--listen", &addr, "--app-key", KEY]);
    let plat = Proc::spawn(cmd);
    assert!(plat.line(T).starts_with("listening on ws://"));
    wait_until(T, "the waiting edge to bind", || {
        is_connected(&addr) == Some(true)
    });
}

#[test]
fn tls_platform_and_edge() {
    let (dir, ca, cert, key) = common::pki_files();
    let (plat, addr) = platform_with(KEY, &["--tls-cert", &cert, "--tls-key", &key]);
    let url = format!("wss://{addr}/Thingworx/WS");
    let edge_cmd = |extra: &[&str]| {
        let mut cmd = common::bin();
        cmd.args(["edge", &url, "--app-key", KEY, "--bind", "SteamSensor1"]);
        cmd.args(extra);
        Proc::spawn(cmd)
    };

    // without the CA the certificate is not trusted: a clear failure, exit 4
    let mut untrusted = edge_cmd(&[]);
    assert_eq!(untrusted.wait_exit(T), Some(4), "{}", untrusted.stderr());
    assert!(
        untrusted
            .stderr()
            .contains("error: cannot connect to wss://"),
        "{}",
        untrusted.stderr()
    );

    // with the CA it binds; SIGTERM unbinds
    let mut trusted = edge_cmd(&["--ca-cert", &ca]);
    trusted.wait_stderr("bound SteamSensor1", T);
    plat.wait_stderr("bound SteamSensor1", T);
    trusted.terminate();
    assert_eq!(trusted.wait_exit(T), Some(0), "{}", trusted.stderr());
    plat.wait_stderr("unbound SteamSensor1", T);

    // --insecure skips verification
    let insecure = edge_cmd(&["--insecure"]);
    insecure.wait_stderr("bound SteamSensor1", T);
    let _ = std::fs::remove_dir_all(dir);
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[test]
fn offline_store_carries_pushes_through_a_kill_9_of_the_platform() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let store = std::env::temp_dir().join(format!("alwayson-e2e-store-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&store);
    let start_platform = || {
        let mut cmd = common::bin();
        cmd.args(["platform", "--listen", &addr, "--app-key", KEY]);
        let p = Proc::spawn(cmd);
        assert!(p.line(T).starts_with("listening on ws://"));
        p
    };
    let mut plat = start_platform();
    let _e = edge(
        &addr,
        KEY,
        &[
            "--property",
            "Temperature=21.5",
            "--push-every",
            "200ms",
            "--offline-store",
            store.to_str().unwrap(),
            "--wait",
        ],
    );
    wait_until(T, "the edge to bind", || is_connected(&addr) == Some(true));
    std::thread::sleep(Duration::from_millis(600));
    plat.child.kill().unwrap(); // SIGKILL: no close frame, no goodbye
    plat.child.wait().unwrap();
    let outage_start = now_ms();
    std::thread::sleep(Duration::from_secs(3));
    let outage_end = now_ms();
    let _plat2 = start_platform();
    wait_until(T, "the edge to bind again", || {
        is_connected(&addr) == Some(true)
    });
    let inside = |addr: &str| -> usize {
        let r = http(
            addr,
            "POST",
            "/Thingworx/Things/SteamSensor1/Services/QueryPropertyHistory",
            Some(KEY),
            &json!({"propertyName": "Temperature", "maxItems": 1000, "oldestFirst": true})
                .to_string(),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()["rows"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|row| row["timestamp"].as_i64())
            .filter(|t| *t > outage_start + 300 && *t < outage_end - 300)
            .count()
    };
    // 200 ms pushes during ~2.4 s of the outage's middle: about 12 values.
    wait_until(T, "values timestamped inside the outage", || {
        inside(&addr) >= 8
    });
    let _ = std::fs::remove_dir_all(&store);
}
