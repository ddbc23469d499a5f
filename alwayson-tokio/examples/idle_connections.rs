//! Opens N bound edge connections to a platform in the same process and reports resident
//! memory per connection (both ends of each connection live in this process).
//!
//! ```text
//! ulimit -n 65536   # each connection costs 2 file descriptors here
//! cargo run --release -p alwayson-tokio --example idle_connections -- 10000
//! ```

use alwayson_tokio::{EdgeClient, Platform, Reconnect};
use futures_util::StreamExt;
use std::time::{Duration, Instant};

/// Warm-up connections (not counted).
const WARM: u64 = 100;

fn proc_status(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The soft RLIMIT_NOFILE from /proc (no libc needed).
fn fd_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

#[tokio::main]
async fn main() -> Result<(), alwayson_tokio::Error> {
    let mut n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    if let Some(limit) = fd_limit() {
        let max = limit.saturating_sub(64 + 2 * WARM) / 2;
        if n > max {
            println!(
                "fd limit {limit} allows only {max} in-process connections (2 fds each); \
                 raise it with `ulimit -n` — using {max}"
            );
            n = max;
        }
    }
    let platform = Platform::builder().app_key("k").start().await?;
    let url = platform.url();
    let connect = |i: u64| {
        let url = url.clone();
        async move {
            EdgeClient::builder(url)
                .app_key("k")
                .bind([format!("Idle{i}")])
                .reconnect(Reconnect::never())
                .connect()
                .await
        }
    };
    // Warm up (runtime threads, TLS-free code paths, allocator arenas).
    let warm: Vec<_> = futures_util::stream::iter(0..WARM)
        .map(|i| connect(1_000_000 + i))
        .buffer_unordered(50)
        .collect()
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = proc_status("VmRSS:").unwrap_or(0);
    let start = Instant::now();
    let edges: Vec<_> = futures_util::stream::iter(0..n)
        .map(connect)
        .buffer_unordered(256)
        .collect()
        .await;
    let elapsed = start.elapsed();
    let ok = edges.iter().filter(|e| e.is_ok()).count();
    if let Some(Err(e)) = edges.iter().find(|e| e.is_err()) {
        println!("first failure: {e}");
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = proc_status("VmRSS:").unwrap_or(0);
    let bound = platform.things().iter().filter(|t| t.is_connected).count();
    println!("connections: {ok}/{n} bound ({bound} things connected on the platform)");
    println!(
        "connect+AUTH+BIND: {:.0}/s ({:?} for {ok})",
        ok as f64 / elapsed.as_secs_f64(),
        elapsed
    );
    println!("VmRSS before: {before} KiB, after: {after} KiB");
    if ok > 0 {
        println!(
            "per connection (edge + platform side): {:.1} KiB",
            (after.saturating_sub(before)) as f64 / ok as f64
        );
    }
    drop(warm);
    drop(edges);
    platform.shutdown().await;
    Ok(())
}
