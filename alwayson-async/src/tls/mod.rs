//! TLS with rustls (`ring` provider; certificate checks on by default). Feature `tls`;
//! without it `tls_off.rs` stands in with the same crate-internal names.

#[cfg(feature = "edge")]
mod client;
#[cfg(feature = "platform")]
mod server;

#[cfg(feature = "edge")]
pub use client::accept_any_cert_client_config;
#[cfg(feature = "edge")]
pub(crate) use client::{ClientTls, TlsClient};
#[cfg(feature = "platform")]
pub(crate) use server::TlsServer;

use crate::error::{Error, Result};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::sync::Arc;

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Whether an I/O error is rustls reporting a TLS failure (bad certificate, ...).
pub(crate) fn is_tls_error(e: &std::io::Error) -> bool {
    e.get_ref()
        .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some())
}

/// Parses every certificate in a PEM document.
fn certs_from_pem(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::Tls(format!("bad certificate PEM: {e}")))?;
    if certs.is_empty() {
        return Err(Error::Tls("no certificate found in PEM".into()));
    }
    Ok(certs)
}

/// Parses the first private key (PKCS#8, PKCS#1 or SEC1) in a PEM document.
fn key_from_pem(pem: &[u8]) -> Result<PrivateKeyDer<'static>> {
    PrivateKeyDer::from_pem_slice(pem).map_err(|e| Error::Tls(format!("bad private key PEM: {e}")))
}

/// A rustls server configuration (ring provider, TLS 1.2 and 1.3) from a PEM certificate
/// chain and key.
pub fn server_config(chain_pem: &[u8], key_pem: &[u8]) -> Result<Arc<rustls::ServerConfig>> {
    let chain = certs_from_pem(chain_pem)?;
    let key = key_from_pem(key_pem)?;
    let config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| Error::Tls(e.to_string()))?;
    Ok(Arc::new(config))
}
