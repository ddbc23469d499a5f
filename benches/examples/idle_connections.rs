//! Resident memory per idle, bound edge connection on the platform.
//!
//! The platform runs in this process; the edges run in a child process (this same binary
//! re-executed with `--edges`), so the growth of this process's VmRSS divided by the number
//! of connections is the platform's cost per connection, and this process needs one file
//! descriptor per connection (the child needs one too).
//!
//! ```text
//! ulimit -n 20000   # if the soft limit is lower: each process needs N + ~200 descriptors
//! cargo run --release -p alwayson-benches --example idle_connections -- 10000 tokio
//! cargo run --release -p alwayson-benches --example idle_connections -- 10000 async-std
//! ```
//!
//! Both processes use the runtime named (default `tokio`): a 2-worker tokio runtime, or
//! `alwayson-async-std` (tasks on async-global-executor, one thread per core) under
//! async-io's `block_on`. The pipes to the child are read with blocking calls on the main
//! thread, which is never one of the runtime's workers.
//!
//! Steps: start the platform; the child connects 100 warm-up edges (runtime threads,
//! allocator arenas, registry and connection maps past their first growth steps; not
//! counted); VmRSS is read; the child connects N more edges (256 concurrent), each
//! authenticating and binding one thing; once `platform.things()` shows all of them
//! connected and they have been idle for 2 s, VmRSS is read again.

use alwayson_async::{EdgeClient, Platform, Reconnect, Runtime};
use alwayson_async_std::AsyncStd;
use alwayson_tokio::Tokio;
use futures_util::StreamExt;
use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::time::{Duration, Instant};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Warm-up connections (not counted).
const WARM: u64 = 100;
/// Edges connecting at once.
const CONCURRENCY: usize = 256;

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

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

async fn sleep<R: Runtime>(d: Duration) {
    R::sleep_until(Instant::now() + d).await
}

fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--edges") {
        let n: u64 = args.get(1).ok_or("--edges N URL RUNTIME")?.parse()?;
        let url = args.get(2).ok_or("--edges N URL RUNTIME")?.clone();
        let runtime = args.get(3).ok_or("--edges N URL RUNTIME")?.clone();
        match runtime.as_str() {
            "tokio" => tokio_runtime()?.block_on(edges::<Tokio>(n, url)),
            _ => async_io::block_on(edges::<AsyncStd>(n, url)),
        }
    } else {
        let n: u64 = args.first().map_or(Ok(10_000), |a| a.parse())?;
        let runtime = args.get(1).map_or("tokio", String::as_str);
        match runtime {
            "tokio" => tokio_runtime()?.block_on(platform::<Tokio>(n, runtime)),
            "async-std" => async_io::block_on(platform::<AsyncStd>(n, runtime)),
            other => Err(format!("unknown runtime {other:?}: tokio or async-std").into()),
        }
    }
}

fn tokio_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
}

async fn connect<R: Runtime>(url: String, name: String) -> alwayson_async::Result<EdgeClient<R>> {
    EdgeClient::<R>::builder(url)
        .app_key("k")
        .bind([name])
        .reconnect(Reconnect::never())
        .connect()
        .await
}

/// Child process: `--edges N URL`. Connects WARM edges, prints `warm OK`, waits for a line
/// on stdin, connects N edges, prints `done OK MILLIS`, then holds them until stdin closes.
async fn edges<R: Runtime>(n: u64, url: String) -> Result<(), BoxError> {
    let mut stdin = std::io::stdin().lock().lines();
    let mut stdout = std::io::stdout();
    let open = |range: std::ops::Range<u64>, prefix: &'static str| {
        let url = url.clone();
        futures_util::stream::iter(range)
            .map(move |i| connect::<R>(url.clone(), format!("{prefix}{i}")))
            .buffer_unordered(CONCURRENCY)
            .collect::<Vec<_>>()
    };
    let warm = open(0..WARM, "Warm").await;
    let ok = warm.iter().filter(|e| e.is_ok()).count();
    writeln!(stdout, "warm {ok}")?;
    stdout.flush()?;
    stdin.next().transpose()?;

    let start = Instant::now();
    let idle = open(0..n, "Idle").await;
    let millis = start.elapsed().as_millis();
    let ok = idle.iter().filter(|e| e.is_ok()).count();
    if let Some(Err(e)) = idle.iter().find(|e| e.is_err()) {
        eprintln!("edges: first failure: {e}");
    }
    writeln!(stdout, "done {ok} {millis}")?;
    stdout.flush()?;
    // Hold the connections until the platform process is done measuring.
    while stdin.next().transpose()?.is_some() {}
    // Exit without closing each connection politely.
    std::process::exit(0);
}

fn connected<R: Runtime>(platform: &Platform<R>) -> usize {
    platform.things().iter().filter(|t| t.is_connected).count()
}

async fn wait_connected<R: Runtime>(platform: &Platform<R>, n: usize, within: Duration) -> usize {
    let start = Instant::now();
    loop {
        let c = connected(platform);
        if c >= n || start.elapsed() > within {
            return c;
        }
        sleep::<R>(Duration::from_millis(100)).await;
    }
}

async fn platform<R: Runtime>(mut n: u64, runtime: &str) -> Result<(), BoxError> {
    if let Some(limit) = fd_limit() {
        let max = limit.saturating_sub(64 + WARM);
        if n > max {
            println!(
                "fd limit {limit} allows only {max} connections per process; \
                 raise it with `ulimit -n` — using {max}"
            );
            n = max;
        }
    }
    let platform = Platform::<R>::builder().app_key("k").start().await?;
    let exe = std::env::current_exe()?;
    let mut child = std::process::Command::new(exe)
        .arg("--edges")
        .arg(n.to_string())
        .arg(platform.url())
        .arg(runtime)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut to_child = child.stdin.take().ok_or("no child stdin")?;
    let mut from_child = BufReader::new(child.stdout.take().ok_or("no child stdout")?).lines();

    let line = from_child.next().transpose()?.ok_or("child exited")?;
    let warm: usize = line
        .strip_prefix("warm ")
        .ok_or("unexpected line from child")?
        .parse()?;
    wait_connected(&platform, warm, Duration::from_secs(10)).await;
    sleep::<R>(Duration::from_millis(500)).await;
    let before = proc_status("VmRSS:").unwrap_or(0);
    let fds_before = open_fds();

    to_child.write_all(b"go\n")?;
    to_child.flush()?;
    let line = from_child.next().transpose()?.ok_or("child exited")?;
    let mut parts = line
        .strip_prefix("done ")
        .ok_or("unexpected line from child")?
        .split(' ');
    let ok: usize = parts.next().ok_or("bad line")?.parse()?;
    let millis: f64 = parts.next().ok_or("bad line")?.parse()?;
    let bound = wait_connected(&platform, warm + ok, Duration::from_secs(30)).await - warm;
    // Idle: every connection has gone quiet (no traffic until the edge's first ping).
    sleep::<R>(Duration::from_secs(2)).await;
    let after = proc_status("VmRSS:").unwrap_or(0);
    let fds_after = open_fds();

    println!("runtime: {runtime}");
    println!("edges (child process): {ok}/{n} connected and bound");
    println!("platform: {bound} things connected, open fds {fds_before} -> {fds_after}");
    println!(
        "connect+AUTH+BIND: {:.0}/s ({millis:.0} ms for {ok}, {CONCURRENCY} concurrent)",
        ok as f64 / (millis / 1000.0)
    );
    println!("platform VmRSS before: {before} KiB, after: {after} KiB");
    if bound > 0 {
        println!(
            "platform memory per idle bound connection: {:.1} KiB",
            after.saturating_sub(before) as f64 / bound as f64
        );
    }
    drop(to_child);
    let _ = child.wait();
    platform.shutdown().await;
    Ok(())
}
