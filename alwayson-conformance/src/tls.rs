//! `wss://` with certificates made in the test: trusted CA works, others are refused.

use crate::common::{bounded, pki, platform};
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
