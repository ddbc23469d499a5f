//! The gateway's platform connection: `max_connect_delay`, failover with the offline store.

#![allow(clippy::unwrap_used)]

use alwayson_ems::{Config, Gateway};
use alwayson_tokio::Platform;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

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

/// One HTTP/1.1 request to the gateway's REST interface; the status and body.
async fn http(addr: SocketAddr, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Accept: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).await.unwrap();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushes_queued_while_server_1_is_down_arrive_at_server_2() {
    let platform = Platform::builder()
        .listen("127.0.0.1:0")
        .app_key("k")
        .start()
        .await
        .unwrap();
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = std::env::temp_dir().join(format!("alwayson-ems-failover-{}", std::process::id()));
    let text = format!(
        r#"{{"ws_servers":[{{"host":"127.0.0.1","port":{dead}}},{{"host":"127.0.0.1","port":{}}}],
            "appKey":"k","http_server":{{"port":0}},
            "ws_connection":{{"connect_retry_interval":300}},
            "offline_msg_store":{{"enabled":true}},
            "auto_bind":[{{"name":"Gw","gateway":true}},{{"name":"AutoThing"}}]}}"#,
        platform.local_addr().port()
    );
    let (config, warnings) = Config::parse(&text, dir.join("config.json")).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let gateway = Gateway::start(config).await.unwrap();
    let first = gateway.edge();

    // While the first server is down, a push is kept in the (in-memory) offline store.
    let push = r#"{"dataShape":{"fieldDefinitions":{"values":{"name":"values","baseType":"INFOTABLE"}}},
        "rows":[{"values":{"dataShape":{"fieldDefinitions":{
            "name":{"name":"name","baseType":"STRING"},"value":{"name":"value","baseType":"VARIANT"},
            "time":{"name":"time","baseType":"DATETIME"},"quality":{"name":"quality","baseType":"STRING"}}},
            "rows":[{"name":"Temp","value":{"baseType":"NUMBER","value":4.5},"time":1795959503000,"quality":"GOOD"}]}}]}"#;
    let path = "/Thingworx/Things/AutoThing/Services/UpdateSubscribedPropertyValues";
    let (status, body) = http(gateway.local_addr(), "POST", path, push).await;
    assert_eq!(status, 200, "{body}");
    let held = first.offline_stats().get().map_or(0, |s| s.queued);
    assert_eq!(held, 1, "stored while the first server is down");
    assert!(platform.thing("Gw").is_none(), "not yet at server 2");

    // After the failover the same store goes on: the push reaches server 2.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while platform.property_store().get("AutoThing", "Temp").is_none() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the push never arrived"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        platform.property_store().get("AutoThing", "Temp"),
        Some(alwayson_tokio::Value::from(4.5))
    );
    gateway.shutdown().await;
    platform.shutdown().await;
}
