//! On the wire: after a platform restart the gateway sends exactly one BIND with every
//! registered name (a relay between gateway and platform decodes what the gateway sends).

#![allow(clippy::unwrap_used)]

use alwayson_ems::{Config, Gateway};
use alwayson_proto::{Body, Message};
use alwayson_tokio::Platform;
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// BIND messages seen: (connection number, names with the gateway's).
type Binds = Arc<Mutex<Vec<(usize, BTreeSet<String>)>>>;

/// A TCP relay to the platform at `target` (changeable), decoding the gateway's frames.
async fn relay(target: Arc<Mutex<SocketAddr>>, binds: Binds) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut conn = 0;
        loop {
            let Ok((client, _)) = listener.accept().await else {
                continue;
            };
            conn += 1;
            let to = *target.lock().unwrap();
            let Ok(server) = TcpStream::connect(to).await else {
                continue;
            };
            let (cr, cw) = client.into_split();
            let (sr, sw) = server.into_split();
            let binds = binds.clone();
            tokio::spawn(async move {
                let up = upstream(cr, sw, conn, binds);
                let down = async move {
                    let (mut sr, mut cw) = (sr, cw);
                    let _ = tokio::io::copy(&mut sr, &mut cw).await;
                };
                tokio::select! { _ = up => {}, _ = down => {} }
            });
        }
    });
    addr
}

/// Gateway to platform: the HTTP upgrade passed on, then websocket frames unmasked,
/// decoded and passed on unchanged.
async fn upstream(
    mut from: impl AsyncRead + Unpin,
    mut to: impl AsyncWrite + Unpin,
    conn: usize,
    binds: Binds,
) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        from.read_exact(&mut byte).await?;
        head.push(byte[0]);
    }
    to.write_all(&head).await?;
    loop {
        let mut raw = vec![0u8; 2];
        from.read_exact(&mut raw).await?;
        let (opcode, masked, len7) = (raw[0] & 0x0f, raw[1] & 0x80 != 0, raw[1] & 0x7f);
        let len = match len7 {
            126 => {
                let mut b = [0u8; 2];
                from.read_exact(&mut b).await?;
                raw.extend_from_slice(&b);
                u64::from(u16::from_be_bytes(b))
            }
            127 => {
                let mut b = [0u8; 8];
                from.read_exact(&mut b).await?;
                raw.extend_from_slice(&b);
                u64::from_be_bytes(b)
            }
            n => u64::from(n),
        };
        let mut mask = [0u8; 4];
        if masked {
            from.read_exact(&mut mask).await?;
            raw.extend_from_slice(&mask);
        }
        let mut payload = vec![0u8; len as usize];
        from.read_exact(&mut payload).await?;
        raw.extend_from_slice(&payload);
        to.write_all(&raw).await?;
        if opcode != 2 {
            continue;
        }
        for (i, b) in payload.iter_mut().enumerate() {
            *b ^= mask[i % 4];
        }
        if let Ok(decoded) = Message::decode(payload.into()) {
            if let Body::Bind(bind) = decoded.value.body {
                let mut names: BTreeSet<String> = bind
                    .names
                    .iter()
                    .map(|n| n.to_str_lossy().into_owned())
                    .collect();
                if let Some(g) = &bind.gateway {
                    names.insert(g.name.to_str_lossy().into_owned());
                }
                binds.lock().unwrap().push((conn, names));
            }
        }
    }
}

async fn platform() -> Platform {
    Platform::builder()
        .listen("127.0.0.1:0")
        .app_key("k")
        .start()
        .await
        .unwrap()
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
async fn after_a_platform_restart_one_bind_carries_every_registered_name() {
    let first = platform().await;
    let target = Arc::new(Mutex::new(first.local_addr()));
    let binds: Binds = Arc::default();
    let relay_addr = relay(target.clone(), binds.clone()).await;
    let dir = std::env::temp_dir().join(format!("alwayson-ems-rebind-{}", std::process::id()));
    let text = format!(
        r#"{{"ws_servers":[{{"host":"127.0.0.1","port":{}}}],"appKey":"k",
            "http_server":{{"port":0}},
            "ws_connection":{{"connect_retry_interval":100}},
            "alwayson":{{"registrations_file":"{}"}},
            "auto_bind":[{{"name":"Gw","gateway":true}},{{"name":"AutoThing"}}]}}"#,
        relay_addr.port(),
        dir.join("regs.json").display()
    );
    let (config, warnings) = Config::parse(&text, dir.join("config.json")).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let gateway = Gateway::start(config).await.unwrap();
    wait_bound(&first, "AutoThing").await;
    // one more name, registered at run time through the LocalEms REST interface
    let body = r#"{"name":"Late1"}"#;
    let req = format!(
        "POST /Thingworx/Things/LocalEms/Services/AddEdgeThing HTTP/1.1\r\nHost: localhost\r\n\
         Connection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut s = TcpStream::connect(gateway.local_addr()).await.unwrap();
    s.write_all(req.as_bytes()).await.unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    wait_bound(&first, "Late1").await;
    let registered: BTreeSet<String> = binds
        .lock()
        .unwrap()
        .iter()
        .flat_map(|(_, names)| names.iter().cloned())
        .collect();
    for name in ["Gw", "AutoThing", "Late1"] {
        assert!(registered.contains(name), "{name} in {registered:?}");
    }

    // restart: the first platform goes away, a new one takes its place
    first.shutdown().await;
    let second = platform().await;
    *target.lock().unwrap() = second.local_addr();
    wait_bound(&second, "Late1").await;
    wait_bound(&second, "AutoThing").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after: Vec<BTreeSet<String>> = binds
        .lock()
        .unwrap()
        .iter()
        .filter(|(conn, _)| *conn > 1)
        .map(|(_, names)| names.clone())
        .collect();
    assert_eq!(after, vec![registered], "exactly one BIND, with every name");
    gateway.shutdown().await;
    second.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}
