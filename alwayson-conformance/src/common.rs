//! Helpers shared by the suite (real sockets on 127.0.0.1), generic over the runtimes.

use alwayson_async::{
    EdgeClient, EdgeClientBuilder, Platform, PlatformBuilder, Reconnect, Runtime,
};
use std::future::Future;
use std::time::{Duration, Instant};

/// Every test body runs under this bound.
pub const TEST_TIMEOUT: Duration = Duration::from_secs(30);

/// `f`, or a panic when it takes longer than [`TEST_TIMEOUT`].
pub async fn bounded<R: Runtime, F: Future>(f: F) -> F::Output {
    timeout::<R, _>(TEST_TIMEOUT, f)
        .await
        .expect("test exceeded its time bound")
}

/// `f`'s output, or `None` once `d` has passed.
pub async fn timeout<R: Runtime, F: Future>(d: Duration, f: F) -> Option<F::Output> {
    use futures_util::future::{select, Either};
    let f = std::pin::pin!(f);
    let sleep = std::pin::pin!(R::sleep_until(Instant::now() + d));
    match select(f, sleep).await {
        Either::Left((out, _)) => Some(out),
        Either::Right(_) => None,
    }
}

/// Sleeps for `d` on runtime `R`.
pub async fn sleep<R: Runtime>(d: Duration) {
    R::sleep_until(Instant::now() + d).await
}

/// A platform on 127.0.0.1 (any port) accepting app key `k`.
pub fn platform<P: Runtime>() -> PlatformBuilder<P> {
    Platform::<P>::builder().listen("127.0.0.1:0").app_key("k")
}

/// An edge of `platform` with app key `k`, a 5 s request timeout and a fast reconnect.
pub fn edge<E: Runtime, P: Runtime>(platform: &Platform<P>) -> EdgeClientBuilder<E> {
    EdgeClient::<E>::builder(platform.url())
        .app_key("k")
        .request_timeout(Duration::from_secs(5))
        .reconnect(Reconnect::new(
            Duration::from_millis(50),
            Duration::from_millis(500),
        ))
}

/// A CA and a server certificate for `localhost` / `127.0.0.1` signed by it (PEM).
pub struct TestPki {
    /// The CA certificate.
    pub ca_pem: String,
    /// The server certificate.
    pub cert_pem: String,
    /// The server's private key.
    pub key_pem: String,
}

/// A fresh [`TestPki`].
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

/// A CA and a client certificate (`clientAuth`) signed by it (PEM; `cert_pem` and
/// `key_pem` are the client's).
pub fn client_pki() -> TestPki {
    use rcgen::{BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let mut params = CertificateParams::new(vec!["edge1".to_string()]).unwrap();
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &ca, &ca_key).unwrap();
    TestPki {
        ca_pem: ca.pem(),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    }
}

/// Waits until `cond` holds (polling), or panics after `within`.
pub async fn eventually<R: Runtime>(within: Duration, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < within,
            "condition not reached within {within:?}"
        );
        sleep::<R>(Duration::from_millis(10)).await;
    }
}
