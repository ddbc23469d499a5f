//! Runtime round trips over loopback (no TLS), both ends in this process, on each runtime
//! (`runtime/tokio/...`, `runtime/async_std/...`):
//! * `read_property_x1000`: 1000 concurrent `platform.read_property` on one connection
//!   (pipelined), target ≥ 100 000 requests/s;
//! * `connect_auth_bind_x64`: 64 concurrent edges doing TCP + upgrade + AUTH + BIND,
//!   target ≥ 2 000 connections/s.
#![allow(missing_docs, clippy::unwrap_used)]

use alwayson_async::{EdgeClient, Platform, Reconnect, Runtime};
use alwayson_async_std::AsyncStd;
use alwayson_tokio::Tokio;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use futures_util::future::join_all;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Runs the benchmark's futures on an executor.
trait Executor {
    fn block_on<F: Future>(&self, f: F) -> F::Output;
}

/// A 2-worker tokio runtime.
struct TokioExecutor(tokio::runtime::Runtime);

impl Executor for TokioExecutor {
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.0.block_on(f)
    }
}

/// async-io's `block_on` (what smol's is); the runtime's tasks run on
/// async-global-executor's threads (one per core).
struct AsyncIoExecutor;

impl Executor for AsyncIoExecutor {
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        async_io::block_on(f)
    }
}

fn tokio_runtime() -> TokioExecutor {
    TokioExecutor(
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap(),
    )
}

fn roundtrip(c: &mut Criterion) {
    roundtrip_on::<Tokio, _>(c, "tokio", &tokio_runtime());
    roundtrip_on::<AsyncStd, _>(c, "async_std", &AsyncIoExecutor);
}

fn roundtrip_on<R: Runtime, X: Executor>(c: &mut Criterion, label: &str, rt: &X) {
    let (platform, edge) = rt.block_on(async {
        let platform = Platform::<R>::builder().app_key("k").start().await.unwrap();
        let edge = EdgeClient::<R>::builder(platform.url())
            .app_key("k")
            .bind(["Bench"])
            .connect()
            .await
            .unwrap();
        edge.set_property("Bench", "temp", 21.5).unwrap();
        (platform, edge)
    });
    let mut group = c.benchmark_group("runtime");
    group.measurement_time(Duration::from_secs(5));
    group.sample_size(20);
    const PIPELINE: u64 = 1000;
    group.throughput(Throughput::Elements(PIPELINE));
    group.bench_function(format!("{label}/read_property_x1000"), |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    let reads = (0..PIPELINE).map(|_| platform.read_property("Bench", "temp"));
                    for r in join_all(reads).await {
                        r.unwrap();
                    }
                }
                start.elapsed()
            })
        })
    });

    const CONNECTS: u64 = 64;
    let next = AtomicU64::new(0);
    group.throughput(Throughput::Elements(CONNECTS));
    group.bench_function(format!("{label}/connect_auth_bind_x64"), |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let start = Instant::now();
                    let edges = join_all((0..CONNECTS).map(|_| {
                        let name = format!("C{}", next.fetch_add(1, Ordering::Relaxed));
                        EdgeClient::<R>::builder(platform.url())
                            .app_key("k")
                            .bind([name])
                            .reconnect(Reconnect::never())
                            .connect()
                    }))
                    .await;
                    total += start.elapsed();
                    for e in &edges {
                        assert!(e.is_ok(), "{e:?}");
                    }
                    // Closing is not measured.
                    join_all(edges.iter().flatten().map(|e| e.shutdown())).await;
                }
                total
            })
        })
    });
    group.finish();
    rt.block_on(async {
        edge.shutdown().await;
        platform.shutdown().await;
    });
}

criterion_group!(benches, roundtrip);
criterion_main!(benches);
