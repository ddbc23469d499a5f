//! The gateway's platform connection: `max_connect_delay`.

#![allow(clippy::unwrap_used)]

use alwayson_ems::{Config, Gateway};
use alwayson_tokio::Platform;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

fn config(platform: SocketAddr, ws_connection: &str, name: &str) -> Config {
    let dir = std::env::temp_dir().join(format!("alwayson-ems-{name}-{}", std::process::id()));
    let text = format!(
        r#"{{"ws_servers":[{{"host":"127.0.0.1","port":{}}}],"appKey":"k",
            "http_server":{{"port":0}},
            "ws_connection":{{"connect_retry_interval":100{ws_connection}}},
            "auto_bind":[{{"name":"Gw","gateway":true}}]}}"#,
        platform.port()
    );
    let (config, warnings) = Config::parse(&text, dir.join("config.json")).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    config
}

async fn wait_bound(platform: &Platform, thing: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !platform.thing(thing).is_some_and(|t| t.is_connected) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{thing} never bound"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_connect_delay_delays_the_first_connect_by_a_random_draw() {
    let platform = Platform::builder()
        .listen("127.0.0.1:0")
        .app_key("k")
        .start()
        .await
        .unwrap();
    let max = Duration::from_millis(400);
    let c = config(
        platform.local_addr(),
        r#","max_connect_delay":400"#,
        "delay",
    );
    assert_eq!(c.ws_connection.max_connect_delay, max);
    let started = Instant::now();
    let gateway = Gateway::start(c).await.unwrap();
    let delay = gateway.first_connect_delay();
    assert!(delay <= max, "{delay:?}");
    wait_bound(&platform, "Gw").await;
    assert!(
        started.elapsed() >= delay,
        "bound after {:?}, before the drawn delay {delay:?}",
        started.elapsed()
    );
    gateway.shutdown().await;

    // without it: no delay
    let gateway = Gateway::start(config(platform.local_addr(), "", "nodelay"))
        .await
        .unwrap();
    assert_eq!(gateway.first_connect_delay(), Duration::ZERO);
    gateway.shutdown().await;
    platform.shutdown().await;
}
