//! Helpers shared by the integration tests (real sockets on 127.0.0.1).
#![allow(dead_code, clippy::unwrap_used)]

use alwayson_tokio::{EdgeClient, EdgeClientBuilder, Platform, PlatformBuilder, Reconnect};
use std::future::Future;
use std::time::Duration;

/// Every test body runs under this bound.
pub const TEST_TIMEOUT: Duration = Duration::from_secs(30);

pub async fn bounded<F: Future>(f: F) -> F::Output {
    tokio::time::timeout(TEST_TIMEOUT, f)
        .await
        .expect("test exceeded its time bound")
}

pub fn platform() -> PlatformBuilder {
    Platform::builder().listen("127.0.0.1:0").app_key("k")
}

pub fn edge(platform: &Platform) -> EdgeClientBuilder {
    EdgeClient::builder(platform.url())
        .app_key("k")
        .request_timeout(Duration::from_secs(5))
        .reconnect(Reconnect {
            min: Duration::from_millis(50),
            max: Duration::from_millis(500),
            max_attempts: None,
        })
}

/// A CA and a server certificate for `localhost` / `127.0.0.1` signed by it (PEM).
pub struct TestPki {
    pub ca_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
}

pub fn pki() -> TestPki {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let params =
        CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &ca, &ca_key).unwrap();
    TestPki {
        ca_pem: ca.pem(),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    }
}

/// Waits until `cond` holds (polling), or panics after `within`.
pub async fn eventually(within: Duration, mut cond: impl FnMut() -> bool) {
    let start = tokio::time::Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < within,
            "condition not reached within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
