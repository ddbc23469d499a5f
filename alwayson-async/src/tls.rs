//! TLS configuration (rustls with the `ring` provider; certificate checks on by default).

use crate::error::{Error, Result};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::sync::Arc;

pub(crate) fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Parses every certificate in a PEM document.
pub(crate) fn certs_from_pem(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::Tls(format!("bad certificate PEM: {e}")))?;
    if certs.is_empty() {
        return Err(Error::Tls("no certificate found in PEM".into()));
    }
    Ok(certs)
}

/// Parses the first private key (PKCS#8, PKCS#1 or SEC1) in a PEM document.
pub(crate) fn key_from_pem(pem: &[u8]) -> Result<PrivateKeyDer<'static>> {
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

/// What an edge's TLS client trusts and presents.
#[derive(Debug, Clone, Default)]
pub(crate) struct ClientTls {
    /// Extra PEM root certificates; when any are given they replace the built-in roots.
    pub root_ca_pem: Vec<Vec<u8>>,
    /// Client certificate chain and key (PEM).
    pub client_cert: Option<(Vec<u8>, Vec<u8>)>,
    /// Accept any server certificate.
    pub danger_accept_invalid_certs: bool,
}

impl ClientTls {
    pub(crate) fn build(&self) -> Result<Arc<rustls::ClientConfig>> {
        let builder = rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Tls(e.to_string()))?;
        let builder = if self.danger_accept_invalid_certs {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnyCert(provider())))
        } else {
            let mut roots = RootCertStore::empty();
            if self.root_ca_pem.is_empty() {
                roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            } else {
                for pem in &self.root_ca_pem {
                    for cert in certs_from_pem(pem)? {
                        roots
                            .add(cert)
                            .map_err(|e| Error::Tls(format!("bad root certificate: {e}")))?;
                    }
                }
            }
            builder.with_root_certificates(roots)
        };
        let config = match &self.client_cert {
            Some((chain, key)) => builder
                .with_client_auth_cert(certs_from_pem(chain)?, key_from_pem(key)?)
                .map_err(|e| Error::Tls(e.to_string()))?,
            None => builder.with_no_client_auth(),
        };
        Ok(Arc::new(config))
    }
}

/// A rustls client configuration (ring provider) that accepts any server certificate but
/// still checks handshake signatures: for talking to local applications with self-signed
/// certificates (an EMS gateway's callbacks), never for a platform by default.
pub fn accept_any_cert_client_config() -> Result<Arc<rustls::ClientConfig>> {
    ClientTls {
        danger_accept_invalid_certs: true,
        ..ClientTls::default()
    }
    .build()
}

/// The verifier behind `danger_accept_invalid_certs`: signatures are still checked, the
/// certificate is not.
#[derive(Debug)]
struct AcceptAnyCert(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
