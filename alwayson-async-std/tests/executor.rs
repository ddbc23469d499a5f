//! `AsyncStd::use_executor`: alwayson's tasks run on the application's (smol) executor.
//! (Its own test binary: the executor is set for the whole process.)
#![allow(clippy::unwrap_used)]

use alwayson_async::Runtime;
use alwayson_async_std::{AsyncStd, EdgeClient, Platform, Thing, Value};
use std::sync::mpsc;
use std::time::Duration;

static EX: smol::Executor<'static> = smol::Executor::new();

const THREAD: &str = "app-executor";

#[test]
fn tasks_run_on_the_executor_the_application_hands_in() {
    assert!(AsyncStd::use_executor(&EX));
    static OTHER: smol::Executor<'static> = smol::Executor::new();
    assert!(!AsyncStd::use_executor(&OTHER), "the first executor stays");
    // The application's executor: one thread of its own.
    std::thread::Builder::new()
        .name(THREAD.into())
        .spawn(|| smol::block_on(EX.run(smol::future::pending::<()>())))
        .unwrap();

    let (tx, rx) = mpsc::channel();
    AsyncStd::spawn(async move {
        let _ = tx.send(std::thread::current().name().map(str::to_owned));
    });
    let ran_on = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(ran_on.as_deref(), Some(THREAD));

    // A whole platform and edge on it (driven by EX's thread; the test only waits).
    smol::block_on(async {
        let platform = Platform::builder().app_key("k").start().await.unwrap();
        let edge = EdgeClient::builder(platform.url())
            .app_key("k")
            .thing(Thing::new("Pump1").property("temp", 21.5))
            .connect()
            .await
            .unwrap();
        assert_eq!(
            platform.read_property("Pump1", "temp").await.unwrap(),
            Value::from(21.5)
        );
        edge.shutdown().await;
        platform.shutdown().await;
    });
}
