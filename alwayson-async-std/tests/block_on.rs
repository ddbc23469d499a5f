//! `alwayson_async_std::block_on`: an edge and a platform in one process, on the small runtime.

use alwayson_async_std::{EdgeClient, Error, Platform, Thing, Value};

#[test]
fn edge_and_platform_run_under_block_on() {
    let result = alwayson_async_std::block_on(async {
        let platform = Platform::builder().app_key("k").start().await?;
        let edge = EdgeClient::builder(platform.url())
            .app_key("k")
            .thing(Thing::new("Pump1").property("temp", 21.5))
            .connect()
            .await?;
        platform.write_property("Pump1", "temp", 20.0).await?;
        let read = platform.read_property("Pump1", "temp").await?;
        edge.shutdown().await;
        platform.shutdown().await;
        Ok::<_, Error>(read)
    })
    .expect("the runtime starts");
    assert_eq!(result.expect("edge and platform talk"), Value::from(20.0));
}
