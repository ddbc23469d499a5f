//! The small edge binary against an in-process platform on loopback.
#![allow(clippy::unwrap_used)]

use alwayson_tokio::{Platform, PlatformNotice, Value};
use futures_util::StreamExt;
use std::process::Output;
use std::time::Duration;

async fn run_edge(args: &[&str]) -> Output {
    let run = tokio::process::Command::new(env!("CARGO_BIN_EXE_alwayson-edge-small"))
        .args(args)
        .env_remove("ALWAYSON_APP_KEY")
        .kill_on_drop(true)
        .output();
    tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .expect("the edge exits within 30 s")
        .expect("the edge runs")
}

#[tokio::test]
async fn binds_pushes_every_period_and_unbinds() {
    let platform = Platform::builder()
        .app_key("k")
        .start()
        .await
        .expect("platform starts");
    let mut events = platform.events();
    let url = platform.url();
    let out = run_edge(&[
        &url,
        "--app-key",
        "k",
        "--thing",
        "Small1",
        "--property",
        "count",
        "--every",
        "0.05",
        "--count",
        "3",
    ])
    .await;
    assert!(out.status.success(), "{out:?}");
    // The third push (value 3) is the last value the platform holds.
    assert_eq!(
        platform.property_store().get("Small1", "count"),
        Some(Value::from(3.0))
    );
    // The thing was bound, then unbound by the edge's shutdown.
    let mut seen = Vec::new();
    while let Ok(Some(notice)) =
        tokio::time::timeout(Duration::from_millis(200), events.next()).await
    {
        match notice {
            PlatformNotice::Bound { name, .. } => seen.push(format!("bound {name}")),
            PlatformNotice::Unbound { name, .. } => seen.push(format!("unbound {name}")),
            _ => {}
        }
    }
    assert_eq!(seen, ["bound Small1", "unbound Small1"]);
    platform.shutdown().await;
}

#[tokio::test]
async fn refused_key_exits_with_failure() {
    let platform = Platform::builder()
        .app_key("k")
        .start()
        .await
        .expect("platform starts");
    let url = platform.url();
    let out = run_edge(&[&url, "--app-key", "wrong", "--count", "1"]).await;
    assert!(!out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("credentials refused"), "{stderr}");
    platform.shutdown().await;
}

#[tokio::test]
async fn usage_error_exits_2() {
    let out = run_edge(&["--count"]).await;
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

#[tokio::test]
async fn each_failed_first_connect_is_printed_with_its_cause() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    // A port with nothing behind it (yet).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("ws://127.0.0.1:{port}/Thingworx/WS");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_alwayson-edge-small"))
        .args([&url, "--app-key", "k", "--thing", "Small2", "--count", "1"])
        .env_remove("ALWAYSON_APP_KEY")
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the edge runs");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    async fn next(
        lines: &mut tokio::io::Lines<BufReader<tokio::process::ChildStderr>>,
    ) -> Option<String> {
        tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("a line in time")
            .unwrap()
    }
    // Two failed attempts, one line each with the cause.
    while seen.len() < 2 {
        let line = next(&mut lines).await.expect("the edge keeps retrying");
        if line.starts_with("connect attempt ") {
            seen.push(line);
        }
    }
    assert!(
        seen[0].starts_with("connect attempt 1 failed: "),
        "{seen:?}"
    );
    assert!(
        seen[1].starts_with("connect attempt 2 failed: "),
        "{seen:?}"
    );
    assert!(seen[0].contains("refused"), "the cause: {seen:?}");
    // A platform appears: the edge connects, binds, pushes once and exits.
    let platform = Platform::builder()
        .listen(format!("127.0.0.1:{port}"))
        .app_key("k")
        .start()
        .await
        .expect("platform starts on the port");
    let mut rest = Vec::new();
    while let Some(line) = next(&mut lines).await {
        rest.push(line);
    }
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("the edge exits")
        .unwrap();
    assert!(status.success(), "{rest:?}");
    assert!(rest.iter().any(|l| l == "bound Small2"), "{rest:?}");
    platform.shutdown().await;
}
