//! The platform under a flood of half-sent HTTP upgrade requests (issue 10): REST latency,
//! edge connect + AUTH + BIND time and the platform's memory before, during and after.
//!
//! The platform (tokio, 2 workers, default connection limits but a 60 s header timeout so
//! that "during" is well inside it) runs in this process; the attacker runs in child
//! processes (this binary re-executed with `--attack N PORT`), each opening its share of the
//! N TCP connections from 16 threads, sending each the first lines of a websocket upgrade
//! request without the final empty line, and holding them. Each process needs one
//! descriptor per connection, so the attack is split over as many children as it takes to
//! keep each at most [`PER_CHILD`] (the hard `RLIMIT_NOFILE` here is 20 000 per process:
//! one process could not hold 20 000).
//!
//! ```text
//! ulimit -n 20000   # or more; the example says what it could open
//! cargo run --profile bench -p alwayson-benches --example half_sent_attack -- 20000
//! # the same with the platform on jemalloc instead of glibc's malloc; its background
//! # thread is what gives the memory back while the platform is idle:
//! cargo build --profile bench -p alwayson-benches --features jemalloc --example half_sent_attack
//! _RJEM_MALLOC_CONF=background_thread:true target/release/examples/half_sent_attack 20000
//! ```
//!
//! Steps: baseline (VmRSS, 200 REST requests, 5 edges each connecting, authenticating and
//! binding one thing, timed one after the other); the attacker opens its connections; with
//! all of them sent, the same measurements again ("during"); then the attacker exits, and
//! once the platform's descriptors are back, the measurements once more ("after"), and the
//! platform's VmRSS every 5 s for 30 s (whether the allocator gives the memory back).
//!
//! A REST request is `GET /Thingworx/Things` on a fresh TCP connection with no HTTP handler
//! installed: the platform's own HTTP layer answers (404), through the same admission,
//! header timeout and hyper path as any REST call; it is timed from connect to the end of
//! the answer, with blocking std sockets on the main thread (never a runtime worker).

use alwayson_async::{ConnectionLimits, EdgeClient, Platform, Reconnect};
use alwayson_tokio::Tokio;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// With `--features jemalloc`: an allocator that returns freed memory to the system
/// (glibc's malloc keeps most of what the attack made the platform allocate).
#[cfg(feature = "jemalloc")]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// The platform's allocator, as reported.
const ALLOCATOR: &str = if cfg!(feature = "jemalloc") {
    "jemalloc"
} else {
    "system (glibc malloc)"
};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const HEADER_TIMEOUT: Duration = Duration::from_secs(60);
const REST_PROBES: usize = 200;
const EDGE_PROBES: usize = 5;

fn proc_status(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with(field))?;
            line.split_whitespace().nth(1)?.parse().ok()
        })
        .unwrap_or(0)
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--attack") {
        let n: usize = args.get(1).ok_or("--attack N PORT")?.parse()?;
        let port: u16 = args.get(2).ok_or("--attack N PORT")?.parse()?;
        return attack(n, port);
    }
    let n: usize = args.first().map_or(Ok(20_000), |a| a.parse())?;
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(run(n))
}

/// Attacker threads opening connections at once (per child).
const ATTACK_THREADS: usize = 16;
/// Most connections one attacker child opens (each needs a descriptor, under the
/// process's limit with room).
const PER_CHILD: usize = 9_000;

/// Child: opens `n` connections with half an upgrade request each (from
/// [`ATTACK_THREADS`] threads), prints `held K FAILED`, holds them until stdin closes.
fn attack(n: usize, port: u16) -> Result<(), BoxError> {
    let half = b"GET /Thingworx/WS HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n\
                 Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n";
    let threads: Vec<_> = (0..ATTACK_THREADS)
        .map(|t| {
            let count = n / ATTACK_THREADS + usize::from(t < n % ATTACK_THREADS);
            std::thread::spawn(move || {
                let mut held = Vec::with_capacity(count);
                let mut errors = Vec::new();
                for _ in 0..count {
                    match TcpStream::connect(("127.0.0.1", port)).and_then(|mut s| {
                        s.write_all(half)?;
                        Ok(s)
                    }) {
                        Ok(s) => held.push(s),
                        Err(e) => errors.push(e),
                    }
                }
                (held, errors)
            })
        })
        .collect();
    let mut held = Vec::with_capacity(n);
    let mut failed = 0usize;
    let mut first_error = None;
    for t in threads {
        let (h, errors) = t.join().map_err(|_| "attacker thread panicked")?;
        held.extend(h);
        failed += errors.len();
        if first_error.is_none() {
            first_error = errors.into_iter().next();
        }
    }
    let mut out = std::io::stdout();
    writeln!(out, "held {} {failed}", held.len())?;
    out.flush()?;
    if let Some(e) = first_error {
        eprintln!("attacker: {failed} connects failed, first: {e}");
    }
    let mut stdin = std::io::stdin().lock().lines();
    while stdin.next().transpose()?.is_some() {}
    std::process::exit(0);
}

/// One REST request on a fresh connection; its latency, or `None` when it failed.
fn rest_probe(port: u16) -> Option<Duration> {
    let start = Instant::now();
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.write_all(b"GET /Thingworx/Things HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .ok()?;
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).ok()?;
    answer.starts_with(b"HTTP/1.1 ").then(|| start.elapsed())
}

struct Probe {
    rss_kib: u64,
    fds: usize,
    rest: Vec<Duration>,
    rest_failed: usize,
    edges: Vec<Duration>,
    edges_failed: usize,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

async fn measure(platform: &Platform<Tokio>, port: u16, tag: &str) -> Probe {
    let rss_kib = proc_status("VmRSS:");
    let fds = open_fds();
    let mut rest = Vec::new();
    let mut rest_failed = 0;
    for _ in 0..REST_PROBES {
        match rest_probe(port) {
            Some(d) => rest.push(d),
            None => rest_failed += 1,
        }
    }
    rest.sort();
    let mut edges = Vec::new();
    let mut edges_failed = 0;
    for i in 0..EDGE_PROBES {
        let start = Instant::now();
        let edge = EdgeClient::<Tokio>::builder(platform.url())
            .app_key("k")
            .bind([format!("Probe-{tag}-{i}")])
            .reconnect(Reconnect::never())
            .connect()
            .await;
        match edge {
            Ok(e) if e.refused_binds().is_empty() => {
                edges.push(start.elapsed());
                e.shutdown().await;
            }
            _ => edges_failed += 1,
        }
    }
    Probe {
        rss_kib,
        fds,
        rest,
        rest_failed,
        edges,
        edges_failed,
    }
}

fn report(tag: &str, p: &Probe) {
    println!(
        "{tag}: VmRSS {} KiB, open fds {}; REST {} ok / {} failed: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; \
         edge connect+AUTH+BIND {} ok / {} failed: max {:.1} ms",
        p.rss_kib,
        p.fds,
        p.rest.len(),
        p.rest_failed,
        percentile(&p.rest, 0.5).as_secs_f64() * 1e3,
        percentile(&p.rest, 0.99).as_secs_f64() * 1e3,
        p.rest.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
        p.edges.len(),
        p.edges_failed,
        p.edges.iter().max().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
}

async fn run(n: usize) -> Result<(), BoxError> {
    let limits = ConnectionLimits::new().header_timeout(HEADER_TIMEOUT);
    println!(
        "platform limits: {} connections, {} pre-AUTH, header timeout {:?}; allocator: {ALLOCATOR}",
        limits.max_connections, limits.max_pre_auth, limits.header_timeout
    );
    let platform = Platform::<Tokio>::builder()
        .app_key("k")
        .connection_limits(limits)
        .start()
        .await?;
    let port = platform.local_addr().port();
    // Warm-up (runtime threads, allocator, first growth of maps), not reported.
    let _ = measure(&platform, port, "warm").await;
    let before = measure(&platform, port, "before").await;
    report("before", &before);

    // The attackers: N split evenly over as few children as keep each within PER_CHILD.
    let exe = std::env::current_exe()?;
    let children = n.div_ceil(PER_CHILD).max(1);
    let attack_start = Instant::now();
    let mut attackers = Vec::with_capacity(children);
    for c in 0..children {
        let share = n / children + usize::from(c < n % children);
        let mut child = std::process::Command::new(&exe)
            .args(["--attack", &share.to_string(), &port.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let to_child = child.stdin.take().ok_or("no child stdin")?;
        let from_child = BufReader::new(child.stdout.take().ok_or("no child stdout")?);
        attackers.push((child, to_child, from_child));
    }
    let (mut held, mut failed) = (0usize, 0usize);
    for (_, _, from_child) in &mut attackers {
        let mut line = String::new();
        from_child.read_line(&mut line)?;
        let mut counts = line
            .trim_end()
            .strip_prefix("held ")
            .ok_or("attacker exited or sent an unexpected line")?
            .split(' ')
            .map(str::parse::<usize>);
        held += counts.next().ok_or("bad line")??;
        failed += counts.next().ok_or("bad line")??;
    }
    println!(
        "attackers: {children} processes opened {held} (held) / {failed} (failed) of {n} \
         half-sent upgrades in {:.1} s",
        attack_start.elapsed().as_secs_f64()
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let during = measure(&platform, port, "during").await;
    report("during", &during);
    println!(
        "during was measured {:.1} s after the attack began (header timeout {:?})",
        attack_start.elapsed().as_secs_f64(),
        HEADER_TIMEOUT
    );

    // The attackers let go (their processes exit: every connection ends); the platform
    // closes its ends. (That the header timeout closes held connections is tested in the
    // conformance suite.)
    let children: Vec<_> = attackers
        .into_iter()
        .map(|(child, to_child, _)| {
            drop(to_child);
            child
        })
        .collect();
    for mut child in children {
        let _ = child.wait();
    }
    let settle = Instant::now();
    while open_fds() > before.fds + 16 && settle.elapsed() < HEADER_TIMEOUT * 2 {
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = measure(&platform, port, "after").await;
    report("after", &after);
    println!(
        "the platform's descriptors were back {:.1} s after the attacker let go",
        settle.elapsed().as_secs_f64()
    );
    // Does the memory come back later? (Freed memory the allocator keeps stays resident.)
    let mut later = Vec::new();
    for _ in 0..6 {
        tokio::time::sleep(Duration::from_secs(5)).await;
        later.push(format!("{} KiB", proc_status("VmRSS:")));
    }
    println!("VmRSS every 5 s after: {}", later.join(", "));
    platform.shutdown().await;
    Ok(())
}
