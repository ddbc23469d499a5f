//! A small AlwaysOn platform: accepts app key `demo`, logs notices, and serves a tiny REST
//! endpoint on the same port (`GET /things`).
//!
//! ```text
//! cargo run -p alwayson-tokio --example platform -- 127.0.0.1:8080
//! ```

use alwayson_tokio::{Platform, PlatformNotice};
use bytes::Bytes;
use futures_util::StreamExt;

#[tokio::main]
async fn main() -> Result<(), alwayson_tokio::Error> {
    let listen = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let platform = Platform::builder()
        .listen(listen)
        .app_key("demo")
        .http_handler(|req: http::Request<Bytes>| async move {
            let body = match req.extensions().get::<Platform>() {
                Some(p) if req.uri().path() == "/things" => p
                    .things()
                    .iter()
                    .map(|t| format!("{} connected={}\n", t.name.to_str_lossy(), t.is_connected))
                    .collect::<String>(),
                _ => "try GET /things\n".to_owned(),
            };
            http::Response::new(Bytes::from(body))
        })
        .start()
        .await?;
    println!("edges connect to {}", platform.url());
    let mut events = platform.events();
    loop {
        tokio::select! {
            notice = events.next() => match notice {
                Some(PlatformNotice::Bound { name, conn }) => {
                    println!("{name} bound on connection {conn}");
                    match platform.read_property(&name, "temp").await {
                        Ok(v) => println!("{name}.temp = {v:?}"),
                        Err(e) => println!("{name}.temp: {e}"),
                    }
                }
                Some(other) => println!("{other:?}"),
                None => break,
            },
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    platform.shutdown().await;
    Ok(())
}
