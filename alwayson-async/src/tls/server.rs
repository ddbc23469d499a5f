//! The platform's TLS acceptor.

use super::{certs_from_pem, key_from_pem, provider};
use crate::error::{Error, Result};
use crate::wsio::Io;
use std::sync::Arc;

/// Accepts TLS connections with one rustls server configuration.
#[derive(Clone)]
pub(crate) struct TlsServer(futures_rustls::TlsAcceptor);

impl TlsServer {
    /// From a PEM certificate chain and key.
    pub(crate) fn from_pem(chain_pem: &[u8], key_pem: &[u8]) -> Result<Self> {
        let chain = certs_from_pem(chain_pem)?;
        let key = key_from_pem(key_pem)?;
        let config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Tls(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| Error::Tls(e.to_string()))?;
        Ok(Self::from_config(Arc::new(config)))
    }

    /// From a ready rustls configuration.
    pub(crate) fn from_config(config: Arc<rustls::ServerConfig>) -> Self {
        Self(futures_rustls::TlsAcceptor::from(config))
    }

    /// The server side of the TLS handshake over `tcp`.
    pub(crate) async fn accept(&self, tcp: Box<dyn Io>) -> std::io::Result<Box<dyn Io>> {
        Ok(Box::new(self.0.accept(tcp).await?))
    }
}
