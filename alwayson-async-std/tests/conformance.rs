//! The runtime conformance suite (alwayson-conformance) on async-io / async-net, run under
//! async-std's executor and under smol's, with the same test names as alwayson-tokio's.

use alwayson_async_std::AsyncStd;

mod async_std_executor {
    use super::*;
    alwayson_conformance::conformance_suite!(
        edge = AsyncStd,
        platform = AsyncStd,
        block_on = async_std::task::block_on
    );
}

mod smol_executor {
    use super::*;
    alwayson_conformance::conformance_suite!(
        edge = AsyncStd,
        platform = AsyncStd,
        block_on = smol::block_on
    );
}
