//! Built without the `tls` feature: the same crate-internal names as `tls/`, with no rustls.
//! A `wss://` URL is refused with [`Error::Config`]; nothing can configure TLS serving.

#[cfg(feature = "edge")]
use crate::error::{Error, Result};
#[cfg(feature = "edge")]
use crate::wsio::Io;

/// Whether an I/O error is a TLS failure: never, without TLS.
pub(crate) fn is_tls_error(_e: &std::io::Error) -> bool {
    false
}

/// The edge's TLS settings: none can be set without the `tls` feature.
#[cfg(feature = "edge")]
#[derive(Debug, Clone, Default)]
pub(crate) struct ClientTls {}

#[cfg(feature = "edge")]
impl ClientTls {
    /// Refuses: this build has no TLS.
    pub(crate) fn connector(&self, url: &str, _host: &str) -> Result<TlsClient> {
        Err(Error::Config(format!(
            "{url}: wss:// needs the `tls` feature, which this build was compiled without"
        )))
    }
}

/// No TLS client can exist without the `tls` feature.
#[cfg(feature = "edge")]
pub(crate) enum TlsClient {}

#[cfg(feature = "edge")]
impl TlsClient {
    pub(crate) async fn connect<S>(&self, _tcp: S) -> std::io::Result<Box<dyn Io>> {
        match *self {}
    }
}

/// No TLS acceptor can exist without the `tls` feature.
#[cfg(feature = "platform")]
#[derive(Clone)]
pub(crate) enum TlsServer {}

#[cfg(feature = "platform")]
impl TlsServer {
    pub(crate) async fn accept(
        &self,
        _tcp: Box<dyn crate::wsio::Io>,
    ) -> std::io::Result<Box<dyn crate::wsio::Io>> {
        match *self {}
    }
}
