//! The platform's TLS acceptor.

use crate::error::Result;
use crate::wsio::Io;
use std::sync::Arc;

/// Accepts TLS connections with one rustls server configuration.
#[derive(Clone)]
pub(crate) struct TlsServer(futures_rustls::TlsAcceptor);

impl TlsServer {
    /// From a PEM certificate chain and key.
    pub(crate) fn from_pem(chain_pem: &[u8], key_pem: &[u8]) -> Result<Self> {
        Ok(Self::from_config(super::server_config(chain_pem, key_pem)?))
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
