//! `wss://` with certificates made in the test: trusted CA works, others are refused.

use crate::common::{bounded, client_pki, pki, platform};
use alwayson_async::Runtime;
use alwayson_async::{EdgeClient, Error, Reconnect, Value};

/// Conformance test `wss_with_trusted_ca_works_and_untrusted_is_refused`.
pub async fn wss_with_trusted_ca_works_and_untrusted_is_refused<E: Runtime, P: Runtime>() {
    bounded::<E, _>(async {
        let good = pki();
        let other = pki();
        let p = platform::<P>()
            .tls_pem(&good.cert_pem, &good.key_pem)
            .start()
            .await
            .unwrap();
        assert!(p.url().starts_with("wss://127.0.0.1:"));

        let e = EdgeClient::<E>::builder(p.url())
            .app_key("k")
            .root_ca_pem(&good.ca_pem)
            .bind(["Secure1"])
            .connect()
            .await
            .unwrap();
        e.write_property("Secure1", "t", 1.5).await.unwrap();
        assert_eq!(
            p.read_property("Secure1", "t").await.unwrap(),
            Value::from(1.5)
        );
        e.shutdown().await;

        // Built-in web roots: the test CA is unknown.
        let r = EdgeClient::<E>::builder(p.url())
            .app_key("k")
            .reconnect(Reconnect::never())
            .connect()
            .await;
        assert!(matches!(r, Err(Error::Tls(_))), "{r:?}");
        // Another CA.
        let r = EdgeClient::<E>::builder(p.url())
            .app_key("k")
            .root_ca_pem(&other.ca_pem)
            .reconnect(Reconnect::never())
            .connect()
            .await;
        assert!(matches!(r, Err(Error::Tls(_))), "{r:?}");
        // The explicit switch accepts anything.
        let e = EdgeClient::<E>::builder(p.url())
            .app_key("k")
            .danger_accept_invalid_certs(true)
            .reconnect(Reconnect::never())
            .connect()
            .await
            .unwrap();
        e.shutdown().await;
    })
    .await;
}

/// Conformance test `bad_pem_is_a_tls_error`.
pub async fn bad_pem_is_a_tls_error<E: Runtime, P: Runtime>() {
    let r = platform::<P>()
        .tls_pem("not a cert", "not a key")
        .start()
        .await;
    assert!(matches!(r, Err(Error::Tls(_))), "{r:?}");
}

/// Conformance test `wss_client_certificate_is_checked`: a platform that requires client
/// certificates (a rustls configuration of its own) accepts an edge presenting one signed
/// by the CA it trusts, and refuses an edge presenting none.
pub async fn wss_client_certificate_is_checked<E: Runtime, P: Runtime>() {
    use alwayson_async::rustls;
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use std::sync::Arc;
    bounded::<E, _>(async {
        let server = pki();
        let clients = client_pki();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_slice(clients.ca_pem.as_bytes()).unwrap())
            .unwrap();
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots),
            provider.clone(),
        )
        .build()
        .unwrap();
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_client_cert_verifier(verifier)
            .with_single_cert(
                vec![CertificateDer::from_pem_slice(server.cert_pem.as_bytes()).unwrap()],
                PrivateKeyDer::from_pem_slice(server.key_pem.as_bytes()).unwrap(),
            )
            .unwrap();
        let p = platform::<P>()
            .tls_config(Arc::new(config))
            .start()
            .await
            .unwrap();

        let e = EdgeClient::<E>::builder(p.url())
            .app_key("k")
            .root_ca_pem(&server.ca_pem)
            .client_cert_pem(&clients.cert_pem, &clients.key_pem)
            .bind(["Mutual1"])
            .reconnect(Reconnect::never())
            .connect()
            .await
            .unwrap();
        assert!(p.thing("Mutual1").is_some_and(|t| t.is_connected));
        e.shutdown().await;

        let r = EdgeClient::<E>::builder(p.url())
            .app_key("k")
            .root_ca_pem(&server.ca_pem)
            .bind(["Anonymous1"])
            .reconnect(Reconnect::never())
            .connect()
            .await;
        assert!(r.is_err(), "an edge without a client certificate got in");
        assert!(!p.thing("Anonymous1").is_some_and(|t| t.is_connected));
        p.shutdown().await;
    })
    .await;
}
