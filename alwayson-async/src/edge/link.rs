//! The edge's websocket: URL, TCP, TLS and the upgrade request.

#[cfg(feature = "proxy")]
use super::proxy::{self, Proxy};
use crate::error::{Error, Result};
use crate::runtime::{deadline_after, timeout_at, Runtime};
use crate::wsio::{Io, Ws};
use async_tungstenite::tungstenite::client::IntoClientRequest;
use async_tungstenite::tungstenite::http::HeaderValue;
use async_tungstenite::tungstenite::protocol::WebSocketConfig;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Where and how to connect.
pub(crate) struct Target {
    pub url: String,
    pub host: String,
    pub port: u16,
    pub tls: Option<crate::tls::TlsClient>,
    pub app_key: Option<String>,
    pub max_frame_size: u16,
    pub ws_config: WebSocketConfig,
    pub connect_timeout: Duration,
    /// Tunnel through this HTTP proxy (CONNECT host:port).
    #[cfg(feature = "proxy")]
    pub proxy: Option<Proxy>,
}

/// The parts of a `ws://` / `wss://` URL. A URL without a path gets `/Thingworx/WS`.
pub(crate) struct ParsedUrl {
    pub url: String,
    pub secure: bool,
    pub host: String,
    pub port: u16,
}

pub(crate) fn parse_url(url: &str) -> Result<ParsedUrl> {
    let bad = |reason: &str| Error::InvalidUrl {
        url: url.to_owned(),
        reason: reason.to_owned(),
    };
    let uri: http::Uri = url
        .parse()
        .map_err(|e: http::uri::InvalidUri| bad(&e.to_string()))?;
    let secure = match uri.scheme_str() {
        Some("ws") => false,
        Some("wss") => true,
        _ => return Err(bad("scheme must be ws or wss")),
    };
    let host = uri.host().ok_or_else(|| bad("no host"))?;
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = uri.port_u16().unwrap_or(if secure { 443 } else { 80 });
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("");
    let url = if path.is_empty() || path == "/" {
        let authority = uri.authority().map(|a| a.as_str()).unwrap_or_default();
        format!(
            "{}://{authority}{}",
            if secure { "wss" } else { "ws" },
            crate::wsio::WS_PATH
        )
    } else {
        url.to_owned()
    };
    Ok(ParsedUrl {
        url,
        secure,
        host,
        port,
    })
}

fn io_or_tls(e: std::io::Error) -> Error {
    if crate::tls::is_tls_error(&e) {
        Error::Tls(e.to_string())
    } else {
        Error::Io(e)
    }
}

/// TCP connect (directly or through the proxy's tunnel), TLS handshake, websocket upgrade
/// with `appKey` and `Max-Frame-Size` headers (session-lifecycle.md §3.1), all within the
/// connect timeout.
pub(crate) async fn open<R: Runtime>(target: Arc<Target>) -> Result<Box<Ws>> {
    let deadline = deadline_after(target.connect_timeout);
    #[cfg(feature = "proxy")]
    let tcp = match &target.proxy {
        Some(p) => proxy::connect::<R>(p, &target.host, target.port, deadline).await?,
        None => direct::<R>(&target, deadline).await?,
    };
    #[cfg(not(feature = "proxy"))]
    let tcp = direct::<R>(&target, deadline).await?;
    timeout_at::<R, _>(deadline, handshake::<R>(&target, tcp))
        .await
        .ok_or(Error::Timeout)?
}

/// TCP connect to the platform itself.
async fn direct<R: Runtime>(target: &Target, deadline: Option<Instant>) -> Result<R::TcpStream> {
    Ok(
        timeout_at::<R, _>(deadline, R::connect(&target.host, target.port))
            .await
            .ok_or(Error::Timeout)??,
    )
}

async fn handshake<R: Runtime>(target: &Target, tcp: R::TcpStream) -> Result<Box<Ws>> {
    let io: Box<dyn Io> = match &target.tls {
        Some(tls) => tls.connect(tcp).await.map_err(io_or_tls)?,
        None => Box::new(tcp),
    };
    let mut request = target
        .url
        .as_str()
        .into_client_request()
        .map_err(|e| Error::InvalidUrl {
            url: target.url.clone(),
            reason: e.to_string(),
        })?;
    let headers = request.headers_mut();
    headers.insert("max-frame-size", HeaderValue::from(target.max_frame_size));
    if let Some(key) = &target.app_key {
        let value = HeaderValue::from_str(key)
            .map_err(|_| Error::Config("app key is not a valid header value".into()))?;
        headers.insert("appkey", value);
    }
    let (ws, _response) =
        async_tungstenite::client_async_with_config(request, io, Some(target.ws_config))
            .await
            .map_err(Error::from)?;
    Ok(Box::new(ws))
}
