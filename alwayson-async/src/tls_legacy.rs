//! Legacy TLS for deployed C SDK 1.3.x edges (cargo feature `legacy-tls`).
//!
//! Their bundled TLS libraries offer only TLS 1.1 with RSA key exchange (axTLS) or DHE/RSA
//! (OpenSSL 1.0.1); rustls accepts neither. This acceptor is OpenSSL: TLS 1.0 to 1.3, every
//! cipher suite with authentication and encryption, RSA and DHE key exchange, security level
//! 0 (OpenSSL 3 refuses TLS < 1.2 above it). Runtime-neutral: async-openssl over futures-io,
//! so both runtime crates get it through their `legacy-tls` feature. Opt-in only: without
//! [`crate::PlatformBuilder::legacy_tls_pem`] the platform uses rustls.

use crate::error::{Error, Result};
use async_openssl::SslStream;
use futures_io::{AsyncRead, AsyncWrite};
use openssl::pkey::PKey;
use openssl::ssl::{Ssl, SslAcceptor, SslMethod, SslOptions, SslVersion};
use openssl::x509::X509;
use std::pin::Pin;

/// An OpenSSL acceptor that also accepts legacy TLS.
pub(crate) struct LegacyTlsAcceptor(SslAcceptor);

fn tls_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Tls(format!("legacy TLS: {what}: {e}"))
}

impl LegacyTlsAcceptor {
    /// From a PEM certificate chain (leaf first) and private key.
    pub(crate) fn from_pem(cert_chain_pem: &[u8], key_pem: &[u8]) -> Result<Self> {
        let mut b = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server())
            .map_err(|e| tls_error("acceptor", e))?;
        b.set_security_level(0);
        // the Mozilla profile switches TLS 1.0/1.1 off by option as well as by minimum
        b.clear_options(SslOptions::NO_TLSV1 | SslOptions::NO_TLSV1_1);
        b.set_min_proto_version(Some(SslVersion::TLS1))
            .map_err(|e| tls_error("protocol versions", e))?;
        b.set_cipher_list("ALL:!aNULL:!eNULL:@SECLEVEL=0")
            .map_err(|e| tls_error("cipher list", e))?;
        let mut chain = X509::stack_from_pem(cert_chain_pem)
            .map_err(|e| tls_error("certificate chain", e))?
            .into_iter();
        let leaf = chain
            .next()
            .ok_or_else(|| tls_error("certificate chain", "no certificate in the PEM"))?;
        b.set_certificate(&leaf)
            .map_err(|e| tls_error("certificate", e))?;
        for extra in chain {
            b.add_extra_chain_cert(extra)
                .map_err(|e| tls_error("certificate chain", e))?;
        }
        let key = PKey::private_key_from_pem(key_pem).map_err(|e| tls_error("private key", e))?;
        b.set_private_key(&key)
            .map_err(|e| tls_error("private key", e))?;
        b.check_private_key()
            .map_err(|e| tls_error("key does not match the certificate", e))?;
        Ok(Self(b.build()))
    }

    /// Runs the server handshake on `io`.
    pub(crate) async fn accept<S>(&self, io: S) -> Result<SslStream<S>>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let ssl = Ssl::new(self.0.context()).map_err(|e| tls_error("session", e))?;
        let mut stream = SslStream::new(ssl, io).map_err(|e| tls_error("session", e))?;
        Pin::new(&mut stream)
            .accept()
            .await
            .map_err(|e| tls_error("handshake", e))?;
        Ok(stream)
    }
}
