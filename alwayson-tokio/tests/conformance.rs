//! The runtime conformance suite (alwayson-conformance) on tokio: a 2-worker runtime per
//! test, edge and platform both on tokio.

use alwayson_tokio::Tokio;
use std::future::Future;

fn block_on<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(f)
}

mod tokio_executor {
    use super::*;
    alwayson_conformance::conformance_suite!(edge = Tokio, platform = Tokio, block_on = block_on);
}
