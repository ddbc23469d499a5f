//! The gateway in-process over HTTPS (generated self-signed certificate) with Basic
//! authentication, forwarding platform requests to an HTTPS application, as the Lua Script
//! Resource runs with the EMS.
#![allow(clippy::unwrap_used)]

use alwayson_ems::{Config, Gateway};
use alwayson_tokio::{Platform, Value};
use base64::Engine as _;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn tls_connector() -> tokio_rustls::TlsConnector {
    tokio_rustls::TlsConnector::from(alwayson_async::accept_any_cert_client_config().unwrap())
}

/// One HTTPS request with `Connection: close`; returns (status, head, body).
async fn https(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    auth: Option<&str>,
    body: &str,
) -> (u16, String, String) {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut s = tls_connector().connect(name, tcp).await.unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    if let Some(a) = auth {
        let token = base64::engine::general_purpose::STANDARD.encode(a);
        req.push_str(&format!("Authorization: Basic {token}\r\n"));
    }
    if !body.is_empty() {
        req.push_str("Content-Type: application/json\r\n");
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw).await;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head.to_owned(), body.to_owned())
}

/// An HTTPS application (self-signed certificate) answering `GET …/Properties/Temp`
/// with 21.5; returns its port.
async fn https_app() -> u16 {
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    https_app_with(&cert.cert.pem(), &cert.key_pair.serialize_pem()).await
}

/// [`https_app`] with this certificate chain and key.
async fn https_app_with(cert_pem: &str, key_pem: &str) -> u16 {
    let config =
        alwayson_async::tls_server_config(cert_pem.as_bytes(), key_pem.as_bytes()).unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut s) = acceptor.accept(tcp).await else {
                    return; // the health check's bare TCP connect
                };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&buf).into_owned();
                let (status, body) = if head.starts_with("GET /scripts/Thingworx/Things/")
                    && head.contains("/Properties/Temp ")
                {
                    (
                        200,
                        r#"{"rows":[{"Temp":21.5}],"dataShape":{"fieldDefinitions":{"Temp":{"name":"Temp","baseType":"NUMBER"}}}}"#,
                    )
                } else {
                    (404, "not found")
                };
                let reply = format!(
                    "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(reply.as_bytes()).await;
                let _ = s.shutdown().await;
            });
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_with_basic_auth_and_an_https_application() {
    let platform = Platform::builder()
        .listen("127.0.0.1:0")
        .app_key("k")
        .start()
        .await
        .unwrap();
    let paddr = platform.local_addr();
    let dir = std::env::temp_dir().join(format!("alwayson-ems-https-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = format!(
        r#"{{"ws_servers":[{{"host":"127.0.0.1","port":{}}}],"appKey":"k",
            "http_server":{{"port":0,"ssl":true,"authenticate":true,"user":"admin","password":"pw"}},
            "ws_connection":{{"connect_retry_interval":200}},
            "auto_bind":[{{"name":"Gw","gateway":true}}]}}"#,
        paddr.port()
    );
    let (config, warnings) = Config::parse(&text, dir.join("config.json")).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let gateway = Gateway::start(config).await.unwrap();
    assert!(gateway.url().starts_with("https://127.0.0.1:"));
    let addr = gateway.local_addr();
    let is_connected = "/Thingworx/Things/LocalEms/Properties/isConnected";

    // no or wrong credentials: 401 with a JSON error and the challenge
    let (status, head, body) = https(addr, "GET", is_connected, None, "").await;
    assert_eq!(status, 401, "{body}");
    assert!(
        head.to_ascii_lowercase()
            .contains("www-authenticate: basic"),
        "{head}"
    );
    assert!(body.contains("\"error\""), "{body}");
    let (status, _, _) = https(addr, "GET", is_connected, Some("admin:nope"), "").await;
    assert_eq!(status, 401);

    // with them: the LSR registers an HTTPS application and the platform reads through it
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (status, _, body) = https(addr, "GET", is_connected, Some("admin:pw"), "").await;
        assert_eq!(status, 200, "{body}");
        if body.contains(r#""isConnected":true"#) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "never connected");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let app_port = https_app().await;
    let body = format!(
        r#"{{"name":"LsrThing1","host":"127.0.0.1","port":"{app_port}","proto":"https","path":"/scripts/Thingworx","timeout":5000}}"#
    );
    let add = "/Thingworx/Things/LocalEms/Services/AddEdgeThing";
    let (status, _, text) = https(addr, "POST", add, Some("admin:pw"), &body).await;
    assert_eq!((status, text.as_str()), (200, ""));
    assert!(platform.thing("LsrThing1").is_some_and(|t| t.is_connected));
    assert!(platform.thing("Gw").is_some_and(|t| t.is_connected));
    let v = platform.read_property("LsrThing1", "Temp").await.unwrap();
    assert_eq!(v, Value::from(21.5));

    gateway.shutdown().await;
    platform.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}

/// A CA and a certificate for 127.0.0.1 it signed: (CA PEM, leaf PEM, leaf key PEM).
fn ca_and_leaf() -> (String, String, String) {
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &ca, &ca_key)
        .unwrap();
    (ca.pem(), leaf.pem(), leaf_key.serialize_pem())
}

/// POST to the gateway's plain-HTTP REST interface; the status.
async fn post(addr: std::net::SocketAddr, path: &str, body: &str) -> u16 {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = String::new();
    let _ = s.read_to_string(&mut raw).await;
    raw.split(' ').nth(1).unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_client_ca_certs_verify_https_applications() {
    let platform = Platform::builder()
        .listen("127.0.0.1:0")
        .app_key("k")
        .start()
        .await
        .unwrap();
    let dir = std::env::temp_dir().join(format!("alwayson-ems-appca-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (ca, leaf, leaf_key) = ca_and_leaf();
    std::fs::write(dir.join("apps-ca.pem"), &ca).unwrap();
    let signed_app = https_app_with(&leaf, &leaf_key).await;
    let self_signed_app = https_app().await;
    for allow_self_signed in [false, true] {
        let text = format!(
            r#"{{"ws_servers":[{{"host":"127.0.0.1","port":{}}}],"appKey":"k",
                "http_server":{{"port":0}},
                "ws_connection":{{"connect_retry_interval":100}},
                "certificates":{{"http_client_ca_certs":"apps-ca.pem","allow_self_signed":{allow_self_signed}}},
                "alwayson":{{"registrations_file":"regs.json"}},
                "auto_bind":[{{"name":"Gw","gateway":true}}]}}"#,
            platform.local_addr().port()
        );
        let (config, warnings) = Config::parse(&text, dir.join("config.json")).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(
            config.certificates.http_client_ca_certs,
            vec![dir.join("apps-ca.pem")]
        );
        let gateway = Gateway::start(config).await.unwrap();
        let add = "/Thingworx/Things/LocalEms/Services/AddEdgeThing";
        for (name, port) in [("Signed1", signed_app), ("SelfSigned1", self_signed_app)] {
            let body = format!(
                r#"{{"name":"{name}","host":"127.0.0.1","port":"{port}","proto":"https","path":"/scripts/Thingworx","timeout":5000}}"#
            );
            assert_eq!(post(gateway.local_addr(), add, &body).await, 200);
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while !platform
            .thing("SelfSigned1")
            .is_some_and(|t| t.is_connected)
        {
            assert!(tokio::time::Instant::now() < deadline, "never bound");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // signed by the CA: verified and read
        let v = platform.read_property("Signed1", "Temp").await.unwrap();
        assert_eq!(v, Value::from(21.5));
        // self-signed: refused unless allow_self_signed
        let r = platform.read_property("SelfSigned1", "Temp").await;
        if allow_self_signed {
            assert_eq!(r.unwrap(), Value::from(21.5));
        } else {
            assert!(r.is_err(), "a self-signed application was accepted: {r:?}");
        }
        gateway.shutdown().await;
        // The platform handles each connection on its own task: the next gateway's BIND of
        // the same names (persisted in regs.json) is refused while this one's UNBIND is not
        // yet processed, so wait until the platform has released them.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while ["Gw", "Signed1", "SelfSigned1"]
            .iter()
            .any(|n| platform.thing(n).is_some_and(|t| t.is_connected))
        {
            assert!(tokio::time::Instant::now() < deadline, "never unbound");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    platform.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}
