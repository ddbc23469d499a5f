//! The small edge binary against an in-process platform on loopback.

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
