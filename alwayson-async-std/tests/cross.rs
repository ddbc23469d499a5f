//! Cross-runtime pairs: an async-std edge against a tokio platform, and a tokio edge against
//! an async-std platform (both inside a tokio runtime, which the tokio side needs; the
//! async-std side runs on its own executor and reactor beside it).

use alwayson_async_std::AsyncStd;
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

mod async_std_edge_tokio_platform {
    use super::*;
    alwayson_conformance::conformance_suite!(
        edge = AsyncStd,
        platform = Tokio,
        block_on = block_on
    );
}

mod tokio_edge_async_std_platform {
    use super::*;
    alwayson_conformance::conformance_suite!(
        edge = Tokio,
        platform = AsyncStd,
        block_on = block_on
    );
}
