//! Legacy TLS (feature `legacy-tls`): a client restricted to TLS 1.1 and `AES128-SHA` (RSA
//! key exchange), as a stock C SDK 1.3.1 edge with axTLS, completes the handshake and AUTH
//! with `--tls-legacy`, and is refused by the default rustls TLS without it.
//!
//! `cargo test -p alwayson-cli --features legacy-tls --test legacy_tls`
#![cfg(feature = "legacy-tls")]
#![allow(clippy::unwrap_used)]

use alwayson_cli::cli::{Cli, Command};
use alwayson_cli::platform_cmd::{self, Running};
use alwayson_proto::{Auth, Body, Header, Message};
use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use openssl::ssl::{Ssl, SslConnector, SslMethod, SslVerifyMode, SslVersion};
use openssl::x509::{X509NameBuilder, X509};
use std::pin::Pin;
use std::time::Duration;
use tokio_openssl::SslStream;
use tokio_tungstenite::tungstenite::Message as Ws;

const KEY: &str = "legacy-key";

/// A self-signed RSA certificate for 127.0.0.1, written as PEM files: (dir, cert, key).
fn rsa_cert_files() -> (std::path::PathBuf, String, String) {
    let rsa = Rsa::generate(2048).unwrap();
    let key = PKey::from_rsa(rsa).unwrap();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", "127.0.0.1").unwrap();
    let name = name.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(&BigNum::from_u32(1).unwrap().to_asn1_integer().unwrap())
        .unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(2).unwrap())
        .unwrap();
    b.sign(&key, MessageDigest::sha256()).unwrap();
    let cert = b.build();
    let dir = std::env::temp_dir().join(format!("alwayson-legacy-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cert_path = dir.join("cert.pem");
    let key_path = dir.join("key.pem");
    std::fs::write(&cert_path, cert.to_pem().unwrap()).unwrap();
    std::fs::write(&key_path, key.private_key_to_pem_pkcs8().unwrap()).unwrap();
    (
        dir,
        cert_path.to_str().unwrap().to_owned(),
        key_path.to_str().unwrap().to_owned(),
    )
}

async fn start(cert: &str, key: &str, legacy: bool) -> Running {
    let mut argv = vec![
        "alwayson",
        "platform",
        "--listen",
        "127.0.0.1:0",
        "--app-key",
        KEY,
        "--tls-cert",
        cert,
        "--tls-key",
        key,
    ];
    if legacy {
        argv.push("--tls-legacy");
    }
    let Command::Platform(args) = Cli::try_parse_from(argv).unwrap().command else {
        panic!("not the platform command")
    };
    platform_cmd::start(&args).await.unwrap()
}

/// What a stock 1.3.1 edge can do: TLS 1.1 only, one cipher suite (`AES128-SHA`, RSA key
/// exchange, as axTLS; `DHE-RSA-AES128-SHA` as its bundled OpenSSL 1.0.1 may pick).
async fn legacy_handshake(
    addr: &str,
    cipher: &str,
) -> Result<SslStream<tokio::net::TcpStream>, String> {
    let mut c = SslConnector::builder(SslMethod::tls_client()).unwrap();
    c.set_security_level(0);
    c.set_min_proto_version(Some(SslVersion::TLS1_1)).unwrap();
    c.set_max_proto_version(Some(SslVersion::TLS1_1)).unwrap();
    c.set_cipher_list(&format!("{cipher}:@SECLEVEL=0")).unwrap();
    c.set_verify(SslVerifyMode::NONE);
    let connector = c.build();
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let ssl: Ssl = connector
        .configure()
        .unwrap()
        .verify_hostname(false)
        .into_ssl("127.0.0.1")
        .unwrap();
    let mut stream = SslStream::new(ssl, tcp).unwrap();
    Pin::new(&mut stream)
        .connect()
        .await
        .map_err(|e| e.to_string())?;
    Ok(stream)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls11_rsa_edge_needs_the_legacy_flag() {
    let (dir, cert, key) = rsa_cert_files();

    // with --tls-legacy: handshake with TLS 1.1 + AES128-SHA, websocket, AUTH accepted
    let running = start(&cert, &key, true).await;
    assert!(running.platform.url().starts_with("wss://"));
    let addr = running.platform.local_addr().to_string();
    let dhe = legacy_handshake(&addr, "DHE-RSA-AES128-SHA")
        .await
        .expect("legacy DHE handshake");
    assert_eq!(
        dhe.ssl().current_cipher().map(|c| c.name()),
        Some("DHE-RSA-AES128-SHA")
    );
    drop(dhe);
    let tls = legacy_handshake(&addr, "AES128-SHA")
        .await
        .expect("legacy handshake");
    assert_eq!(tls.ssl().version_str(), "TLSv1.1");
    assert_eq!(
        tls.ssl().current_cipher().map(|c| c.name()),
        Some("AES128-SHA")
    );
    let (mut ws, _) = tokio_tungstenite::client_async(format!("wss://{addr}/Thingworx/WS"), tls)
        .await
        .expect("websocket over legacy TLS");
    let auth = Message {
        header: Header::new(1, alwayson_proto::AUTH_SESSION_ID),
        body: Body::Auth(Auth::app_key(KEY)),
    };
    ws.send(Ws::Binary(auth.encode().unwrap())).await.unwrap();
    let reply = tokio::time::timeout(Duration::from_secs(10), ws.next())
        .await
        .expect("AUTH answered in time")
        .unwrap()
        .unwrap();
    let Ws::Binary(bytes) = reply else {
        panic!("not a binary message: {reply:?}")
    };
    let m = Message::decode(bytes).unwrap().value;
    assert!(
        matches!(&m.body, Body::Response(r) if r.status.is_success()),
        "{m:?}"
    );
    assert_eq!(m.header.request_id, 1);
    running.shutdown().await;

    // without the flag (rustls): the same client is refused at the handshake
    let running = start(&cert, &key, false).await;
    let addr = running.platform.local_addr().to_string();
    for cipher in ["AES128-SHA", "DHE-RSA-AES128-SHA"] {
        let refused = legacy_handshake(&addr, cipher).await;
        assert!(refused.is_err(), "rustls accepted TLS 1.1 with {cipher}");
    }
    running.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}
