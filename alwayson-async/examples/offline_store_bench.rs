//! Durable offline store throughput: appends per second under each fsync policy, then the
//! rate at which a reopened store is read back and drained (replay bookkeeping: decode,
//! hand out, `Done` record; no network). Short runs; results in BENCHMARKS.md.
//!
//! `cargo run --release -p alwayson-async --example offline_store_bench [DIR]`
#![allow(clippy::unwrap_used)]

use alwayson_async::edge::offline::{FsyncPolicy, OfflineLimits, OfflineStore};
use alwayson_proto::edge::offline_log::scan;
use alwayson_proto::edge::OfflineQueue;
use alwayson_proto::{PropertyUpdate, Request, Value};
use std::time::Instant;

fn push(v: i32) -> Request {
    Request::push_properties(
        "SteamSensor1",
        &[PropertyUpdate::new(
            "Temperature",
            Value::from(f64::from(v)),
            1_700_000_000_000 + i64::from(v),
        )],
    )
}

fn main() {
    let base = std::env::args()
        .nth(1)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("alwayson-offline-bench"));
    let limits = OfflineLimits::default().with_max_bytes(256 << 20);
    for (name, policy, n) in [
        ("fsync per record", FsyncPolicy::Always, 2_000),
        ("fsync per batch of 100", FsyncPolicy::Batch, 50_000),
        ("no fsync", FsyncPolicy::Never, 50_000),
    ] {
        let dir = base.join(name.replace(' ', "-"));
        let _ = std::fs::remove_dir_all(&dir);
        let mut s = OfflineStore::durable(&dir, limits, policy).unwrap();
        let t = Instant::now();
        for v in 0..n {
            s.store(&push(v)).unwrap();
            if v % 100 == 99 {
                s.sync();
            }
        }
        s.sync();
        let secs = t.elapsed().as_secs_f64();
        let record = s.log_len() as f64 / f64::from(n);
        println!(
            "append, {name}: {n} records of {record:.0} B in {secs:.3} s = {:.0} records/s",
            f64::from(n) / secs
        );
        drop(s);
        if policy == FsyncPolicy::Never {
            // Replay: read the log back, rebuild the queue, hand every message out and
            // mark it done.
            let t = Instant::now();
            let bytes = std::fs::read(dir.join("offline.log")).unwrap();
            let records = scan(&bytes, 1 << 20).records;
            let mut q = OfflineQueue::restore(limits, records);
            let read = t.elapsed().as_secs_f64();
            let mut drained = 0u32;
            while let Some((seq, request)) = q.next_ready(|_| true) {
                std::hint::black_box(request);
                q.done(seq).unwrap();
                drained += 1;
            }
            let secs = t.elapsed().as_secs_f64();
            println!(
                "replay: read back {n} records in {read:.3} s, drained {drained} in {secs:.3} s total = {:.0} records/s",
                f64::from(drained) / secs
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
