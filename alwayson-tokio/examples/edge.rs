//! A small AlwaysOn edge: binds `Pump1` with a stored property, a computed one and a
//! service, then sets a value every few seconds (pushed by its push rule).
//!
//! ```text
//! cargo run -p alwayson-tokio --example edge -- ws://127.0.0.1:8080/Thingworx/WS
//! ```

use alwayson_tokio::edge::{EdgeClient, Thing};
use alwayson_tokio::{InfoTable, Value};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[tokio::main]
async fn main() -> Result<(), alwayson_tokio::Error> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "ws://127.0.0.1:8080/Thingworx/WS".into());
    let edge = EdgeClient::builder(url)
        .app_key("demo")
        .thing(
            Thing::new("Pump1")
                .property("temp", 21.5)
                .property_getter("uptime", || async {
                    let secs = SystemTime::now()
                        .duration_since(UNIX_EPOCH)
                        .map(|d| d.as_secs_f64())
                        .unwrap_or_default();
                    Ok(Value::from(secs))
                })
                .service("Restart", |_params: Option<InfoTable>| async move {
                    println!("restart requested");
                    Ok(InfoTable::single("result", Value::from(true)))
                }),
        )
        .connect()
        .await?;
    println!("connected and bound");
    for i in 0..5 {
        // Queued by `temp`'s push rule (VALUE: a change) and sent at the push interval.
        edge.set_property("Pump1", "temp", 21.5 + f64::from(i))?;
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    edge.shutdown().await;
    Ok(())
}
