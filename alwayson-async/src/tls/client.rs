//! The edge's TLS client configuration and connector.

use super::{certs_from_pem, key_from_pem, provider};
use crate::error::{Error, Result};
use crate::wsio::Io;
use futures_io::{AsyncRead, AsyncWrite};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::sync::Arc;

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
    /// A connector for `host` of `url` (the server name checked against the certificate).
    pub(crate) fn connector(&self, url: &str, host: &str) -> Result<TlsClient> {
        let name = ServerName::try_from(host.to_owned()).map_err(|e| Error::InvalidUrl {
            url: url.to_owned(),
            reason: format!("host is not a valid TLS server name: {e}"),
        })?;
        Ok(TlsClient {
            connector: futures_rustls::TlsConnector::from(self.build()?),
            name,
        })
    }

    fn build(&self) -> Result<Arc<rustls::ClientConfig>> {
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

/// The client side of the TLS handshake, for one server name.
pub(crate) struct TlsClient {
    connector: futures_rustls::TlsConnector,
    name: ServerName<'static>,
}

impl TlsClient {
    /// The TLS handshake over `tcp`.
    pub(crate) async fn connect<S>(&self, tcp: S) -> std::io::Result<Box<dyn Io>>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        Ok(Box::new(
            self.connector.connect(self.name.clone(), tcp).await?,
        ))
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
