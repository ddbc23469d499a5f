//! HTTP proxies for the edge: the edge opens its TCP connection through an HTTP proxy with
//! `CONNECT host:port` (for `ws://` and `wss://` alike; TLS and the websocket upgrade then
//! run inside the tunnel), optionally with Basic authentication.
//!
//! A proxy is given explicitly ([`Proxy::parse`], [`EdgeClientBuilder::proxy`]) or taken
//! from the usual environment variables when the application opts in
//! ([`EdgeClientBuilder::proxy_from_env`], [`ProxyEnv`]). The password never appears in
//! a log line, an error or a `Debug` output: a proxy is shown as `http://user@host:port`.
//!
//! ```
//! use alwayson_async::edge::{Proxy, ProxyEnv};
//! let proxy = Proxy::parse("http://edge:s3cret@proxy.example:3128")?;
//! assert_eq!(proxy.to_string(), "http://edge@proxy.example:3128");
//!
//! // Environment variables, given as a map (ProxyEnv::from_env reads the process's).
//! let env = ProxyEnv::from_vars([
//!     ("HTTPS_PROXY", "http://proxy.example:3128"),
//!     ("NO_PROXY", "localhost,.plant.local"),
//! ]);
//! assert!(env.proxy_for("wss://twx.example.com/Thingworx/WS")?.is_some());
//! assert!(env.proxy_for("wss://twx.plant.local/Thingworx/WS")?.is_none());
//! assert!(env.proxy_for("ws://twx.example.com/Thingworx/WS")?.is_none()); // no HTTP_PROXY
//! # Ok::<(), alwayson_async::edge::ProxyError>(())
//! ```
//!
//! [`EdgeClientBuilder::proxy`]: super::EdgeClientBuilder::proxy
//! [`EdgeClientBuilder::proxy_from_env`]: super::EdgeClientBuilder::proxy_from_env

use crate::runtime::{timeout_at, Runtime};
use base64::Engine;
use futures_util::{AsyncReadExt, AsyncWriteExt};
use std::fmt;
use std::net::IpAddr;
use std::time::Instant;

/// Longest proxy answer head (status line and headers) read before giving up.
pub const MAX_HEAD: usize = 8 * 1024;
/// Most headers in a proxy's answer.
const MAX_HEADERS: usize = 32;

/// Why the connection through a proxy failed. Every variant names the proxy (without its
/// password). The edge retries these like any connection failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProxyError {
    /// The proxy URL is not `http://[user[:password]@]host[:port]`.
    #[error("invalid proxy URL {url}: {reason}")]
    InvalidUrl {
        /// The URL given, with any password replaced by `***`.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The TCP connection to the proxy failed.
    #[error("cannot reach proxy {proxy}: {source}")]
    Unreachable {
        /// The proxy.
        proxy: String,
        /// The socket error.
        source: std::io::Error,
    },
    /// The proxy answered CONNECT with 407: credentials missing or wrong.
    #[error("proxy {proxy} refused the credentials{}: 407 Proxy Authentication Required",
        if *.sent_credentials { "" } else { " (none were given)" })]
    AuthenticationRequired {
        /// The proxy.
        proxy: String,
        /// Whether a `Proxy-Authorization` header was sent.
        sent_credentials: bool,
    },
    /// The proxy answered CONNECT with another non-2xx status.
    #[error("proxy {proxy} refused CONNECT {target}: {status} {reason}")]
    Refused {
        /// The proxy.
        proxy: String,
        /// `host:port` asked for.
        target: String,
        /// The HTTP status.
        status: u16,
        /// The reason phrase.
        reason: String,
    },
    /// The proxy closed the connection (or a read failed) before a complete answer.
    #[error("proxy {proxy} closed the connection during CONNECT{}",
        .source.as_ref().map(|e| format!(": {e}")).unwrap_or_default())]
    Closed {
        /// The proxy.
        proxy: String,
        /// The read or write error, if it was one.
        source: Option<std::io::Error>,
    },
    /// The proxy's answer is not HTTP, is longer than [`MAX_HEAD`], or came with bytes
    /// after its head (the tunnel's far end cannot speak first).
    #[error("proxy {proxy} answered CONNECT with garbage: {reason}")]
    Malformed {
        /// The proxy.
        proxy: String,
        /// What is wrong.
        reason: String,
    },
    /// The proxy did not answer within the connect timeout.
    #[error("proxy {proxy} did not answer CONNECT within the connect timeout")]
    Timeout {
        /// The proxy.
        proxy: String,
    },
}

/// An HTTP proxy: `http://[user[:password]@]host[:port]` (port 80 by default).
///
/// `Display` and `Debug` show it without the password.
///
/// ```
/// use alwayson_async::edge::Proxy;
/// let p = Proxy::parse("http://proxy.example:8080")?;
/// assert_eq!((p.host(), p.port()), ("proxy.example", 8080));
/// assert!(Proxy::parse("socks5://proxy.example:1080").is_err());
/// # Ok::<(), alwayson_async::edge::ProxyError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Proxy {
    host: String,
    port: u16,
    user: Option<String>,
    /// `Basic base64(user:password)`, when credentials were given.
    authorization: Option<String>,
}

impl Proxy {
    /// Parses a proxy URL. User and password may be percent-encoded. A bare `host:port`
    /// is taken as `http://host:port`, as curl does.
    pub fn parse(url: &str) -> Result<Self, ProxyError> {
        let bad = |reason: &str| ProxyError::InvalidUrl {
            url: redact(url),
            reason: reason.to_owned(),
        };
        let with_scheme;
        let url_str = if url.contains("://") {
            url
        } else {
            with_scheme = format!("http://{url}");
            &with_scheme
        };
        let parsed = url::Url::parse(url_str).map_err(|e| bad(&e.to_string()))?;
        if parsed.scheme() != "http" {
            return Err(bad("only http:// proxies are supported"));
        }
        let host = match parsed.host() {
            Some(url::Host::Domain(d)) => d.to_owned(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            None => return Err(bad("no host")),
        };
        if !matches!(parsed.path(), "" | "/") || parsed.query().is_some() {
            return Err(bad("a proxy URL has no path or query"));
        }
        let port = parsed.port().unwrap_or(80);
        let decode = |s: &str| {
            percent_decode(s).ok_or_else(|| bad("user or password is not percent-encoded UTF-8"))
        };
        let (user, authorization) = if parsed.username().is_empty() && parsed.password().is_none() {
            (None, None)
        } else {
            let user = decode(parsed.username())?;
            let password = decode(parsed.password().unwrap_or(""))?;
            let token =
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            (Some(user), Some(format!("Basic {token}")))
        };
        Ok(Self {
            host,
            port,
            user,
            authorization,
        })
    }

    /// The proxy's host name or address.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The proxy's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The user name, when credentials were given.
    pub fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    fn name(&self) -> String {
        self.to_string()
    }
}

impl std::str::FromStr for Proxy {
    type Err = ProxyError;
    fn from_str(s: &str) -> Result<Self, ProxyError> {
        Self::parse(s)
    }
}

impl fmt::Display for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("http://")?;
        if let Some(user) = &self.user {
            write!(f, "{user}@")?;
        }
        write!(f, "{}:{}", bracketed(&self.host), self.port)
    }
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Proxy({self})")
    }
}

/// `host` as it appears before `:port` (IPv6 addresses in brackets).
fn bracketed(host: &str) -> std::borrow::Cow<'_, str> {
    if host.contains(':') {
        format!("[{host}]").into()
    } else {
        host.into()
    }
}

/// `url` with anything between `://` and the last `@` of the authority replaced, so an
/// unparsable URL can be shown without its password.
fn redact(url: &str) -> String {
    let (scheme, rest) = match url.find("://") {
        Some(i) => (&url[..i + 3], &url[i + 3..]),
        None => ("", url),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}***@{}", &rest[at + 1..]),
        None => url.to_owned(),
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The proxy settings of the environment: `HTTPS_PROXY` (for `wss://`), `HTTP_PROXY`
/// (for `ws://`) and `NO_PROXY`, lower-case names taking precedence over upper-case ones;
/// empty values count as unset. Read only when the application asks
/// ([`ProxyEnv::from_env`], [`EdgeClientBuilder::proxy_from_env`]).
///
/// `NO_PROXY` is a comma- or space-separated list of exceptions: `*` (no proxy at all),
/// a domain (`example.com` or `.example.com`: that name and every name under it), an IP
/// address, or a CIDR block (`10.0.0.0/8`, `fd00::/8`); an entry may end in `:port` to
/// apply to that port only. Names are compared without case; no name is resolved.
///
/// [`EdgeClientBuilder::proxy_from_env`]: super::EdgeClientBuilder::proxy_from_env
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ProxyEnv {
    https_proxy: Option<String>,
    http_proxy: Option<String>,
    no_proxy: Option<String>,
}

impl fmt::Debug for ProxyEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = |v: &Option<String>| v.as_deref().map(redact);
        f.debug_struct("ProxyEnv")
            .field("https_proxy", &shown(&self.https_proxy))
            .field("http_proxy", &shown(&self.http_proxy))
            .field("no_proxy", &self.no_proxy)
            .finish()
    }
}

impl ProxyEnv {
    /// Reads the process environment.
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Takes the variables from `vars` (name, value pairs: a map, an array, ...), so tests
    /// and applications with their own configuration need not touch the process
    /// environment.
    pub fn from_vars<I, K, V>(vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let vars: Vec<(String, String)> = vars
            .into_iter()
            .map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().to_owned()))
            .collect();
        Self::from_lookup(|name| {
            vars.iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        })
    }

    fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Self {
        let var = |lower: &str| {
            [lower.to_owned(), lower.to_ascii_uppercase()]
                .iter()
                .filter_map(|n| get(n))
                .find(|v| !v.trim().is_empty())
        };
        Self {
            https_proxy: var("https_proxy"),
            http_proxy: var("http_proxy"),
            no_proxy: var("no_proxy"),
        }
    }

    /// The proxy to use for the platform at `url` (`ws://` or `wss://`): none when the
    /// scheme's variable is unset or `NO_PROXY` exempts the host.
    pub fn proxy_for(&self, url: &str) -> Result<Option<Proxy>, ProxyError> {
        let bad = |reason: String| ProxyError::InvalidUrl {
            url: redact(url),
            reason,
        };
        let parsed = url::Url::parse(url).map_err(|e| bad(e.to_string()))?;
        let (var, default_port) = match parsed.scheme() {
            "wss" => (&self.https_proxy, 443),
            "ws" => (&self.http_proxy, 80),
            other => return Err(bad(format!("scheme {other} is not ws or wss"))),
        };
        let Some(proxy) = var else { return Ok(None) };
        let host = match parsed.host() {
            Some(url::Host::Domain(d)) => d.to_owned(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            None => return Err(bad("no host".into())),
        };
        let port = parsed.port().unwrap_or(default_port);
        if self
            .no_proxy
            .as_deref()
            .is_some_and(|list| no_proxy_matches(list, &host, port))
        {
            return Ok(None);
        }
        Proxy::parse(proxy).map(Some)
    }
}

/// Whether the `NO_PROXY` list exempts `host` (a name or an unbracketed IP) at `port`.
pub(crate) fn no_proxy_matches(list: &str, host: &str, port: u16) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let ip: Option<IpAddr> = host.parse().ok();
    list.split([',', ' ', '\t'])
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            let (entry, entry_port) = split_port(entry);
            if entry_port.is_some_and(|p| p != port) {
                return false;
            }
            let entry = entry.trim_end_matches('.').to_ascii_lowercase();
            if let Some(ip) = ip {
                return match entry.split_once('/') {
                    Some((net, bits)) => match (net.parse::<IpAddr>(), bits.parse::<u8>()) {
                        (Ok(net), Ok(bits)) => in_cidr(ip, net, bits),
                        _ => false,
                    },
                    None => entry.parse::<IpAddr>().is_ok_and(|e| e == ip),
                };
            }
            let domain = entry.trim_start_matches("*.").trim_start_matches('.');
            !domain.is_empty()
                && (host == domain
                    || host
                        .strip_suffix(domain)
                        .is_some_and(|rest| rest.ends_with('.')))
        })
}

/// `entry` without a trailing `:port` (IPv6 entries need brackets to carry one).
fn split_port(entry: &str) -> (&str, Option<u16>) {
    if let Some(rest) = entry.strip_prefix('[') {
        return match rest.split_once(']') {
            Some((ip, tail)) => (ip, tail.strip_prefix(':').and_then(|p| p.parse().ok())),
            None => (entry, None),
        };
    }
    match entry.rsplit_once(':') {
        // One colon: host:port. More: a bare IPv6 address (or block).
        Some((h, p)) if !h.contains(':') => match p.parse() {
            Ok(port) => (h, Some(port)),
            Err(_) => (entry, None),
        },
        _ => (entry, None),
    }
}

fn in_cidr(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) if bits <= 32 => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) if bits <= 128 => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// Connects to `proxy` and opens a tunnel to `host:port` with CONNECT, all by `deadline`;
/// the returned stream is the tunnel.
pub(crate) async fn connect<R: Runtime>(
    proxy: &Proxy,
    host: &str,
    port: u16,
    deadline: Option<Instant>,
) -> Result<R::TcpStream, ProxyError> {
    let attempt = async {
        let mut tcp = R::connect(&proxy.host, proxy.port)
            .await
            .map_err(|source| ProxyError::Unreachable {
                proxy: proxy.name(),
                source,
            })?;
        handshake(&mut tcp, proxy, host, port).await?;
        Ok(tcp)
    };
    timeout_at::<R, _>(deadline, attempt)
        .await
        .unwrap_or_else(|| {
            Err(ProxyError::Timeout {
                proxy: proxy.name(),
            })
        })
}

/// Sends CONNECT and reads the answer's head on `io`.
pub(crate) async fn handshake<S>(
    io: &mut S,
    proxy: &Proxy,
    host: &str,
    port: u16,
) -> Result<(), ProxyError>
where
    S: futures_io::AsyncRead + futures_io::AsyncWrite + Unpin,
{
    let closed = |source| ProxyError::Closed {
        proxy: proxy.name(),
        source,
    };
    let malformed = |reason: String| ProxyError::Malformed {
        proxy: proxy.name(),
        reason,
    };
    let target = format!("{}:{port}", bracketed(host));
    let mut request = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
    if let Some(auth) = &proxy.authorization {
        request.push_str("Proxy-Authorization: ");
        request.push_str(auth);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    io.write_all(request.as_bytes())
        .await
        .map_err(|e| closed(Some(e)))?;
    io.flush().await.map_err(|e| closed(Some(e)))?;

    let mut buf = vec![0u8; MAX_HEAD];
    let mut filled = 0;
    loop {
        let n = io
            .read(&mut buf[filled..])
            .await
            .map_err(|e| closed(Some(e)))?;
        if n == 0 {
            return Err(closed(None));
        }
        filled += n;
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut response = httparse::Response::new(&mut headers);
        match response.parse(&buf[..filled]) {
            Ok(httparse::Status::Complete(len)) => {
                let status = response.code.unwrap_or(0);
                let reason = response.reason.unwrap_or("").to_owned();
                if (200..300).contains(&status) {
                    if len != filled {
                        return Err(malformed(format!(
                            "{} bytes after the 2xx head",
                            filled - len
                        )));
                    }
                    return Ok(());
                }
                return Err(if status == 407 {
                    ProxyError::AuthenticationRequired {
                        proxy: proxy.name(),
                        sent_credentials: proxy.authorization.is_some(),
                    }
                } else {
                    ProxyError::Refused {
                        proxy: proxy.name(),
                        target,
                        status,
                        reason,
                    }
                });
            }
            Ok(httparse::Status::Partial) if filled == buf.len() => {
                return Err(malformed(format!(
                    "answer head longer than {MAX_HEAD} bytes"
                )))
            }
            Ok(httparse::Status::Partial) => {}
            Err(e) => return Err(malformed(e.to_string())),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use futures_util::io::Cursor;
    use futures_util::FutureExt;

    #[test]
    fn parses_credentials_and_hides_the_password() {
        let p = Proxy::parse("http://us%40er:p%3Ass@proxy.local:3128").unwrap();
        assert_eq!(p.user(), Some("us@er"));
        assert_eq!(p.host(), "proxy.local");
        assert_eq!(p.port(), 3128);
        // base64("us@er:p:ss")
        assert_eq!(p.authorization.as_deref(), Some("Basic dXNAZXI6cDpzcw=="));
        assert_eq!(p.to_string(), "http://us@er@proxy.local:3128");
        assert!(!format!("{p:?}").contains("p:ss"));
        let p = Proxy::parse("[::1]:8080").unwrap();
        assert_eq!((p.host(), p.port(), p.user()), ("::1", 8080, None));
        assert_eq!(p.to_string(), "http://[::1]:8080");
        assert_eq!(Proxy::parse("http://proxy").unwrap().port(), 80);
    }

    #[test]
    fn bad_urls_are_refused_without_the_password() {
        for url in [
            "https://u:hunter2@proxy:1",
            "socks5://u:hunter2@proxy:1",
            "http://u:hunter2@proxy:1/path",
            "http://u:hunter2@:1",
            "http://u:hunter2@proxy:99999",
        ] {
            let e = Proxy::parse(url).unwrap_err();
            assert!(matches!(e, ProxyError::InvalidUrl { .. }), "{url}: {e:?}");
            assert!(!e.to_string().contains("hunter2"), "{e}");
        }
    }

    #[test]
    fn env_picks_by_scheme_lower_case_first() {
        let env = ProxyEnv::from_vars([
            ("HTTP_PROXY", "http://upper:1"),
            ("http_proxy", "http://lower:2"),
            ("HTTPS_PROXY", "http://secure:3"),
            ("https_proxy", " "),
        ]);
        let p = env.proxy_for("ws://twx:80/Thingworx/WS").unwrap().unwrap();
        assert_eq!(p.host(), "lower");
        let p = env.proxy_for("wss://twx/Thingworx/WS").unwrap().unwrap();
        assert_eq!(p.host(), "secure");
        assert_eq!(ProxyEnv::from_vars([("X", "Y")]), ProxyEnv::default());
        let secret = ProxyEnv::from_vars([("HTTPS_PROXY", "http://u:hunter2@p:1")]);
        assert!(!format!("{secret:?}").contains("hunter2"), "{secret:?}");
        assert!(ProxyEnv::default()
            .proxy_for("wss://twx/Thingworx/WS")
            .unwrap()
            .is_none());
    }

    #[test]
    fn no_proxy_rules() {
        let list =
            "localhost, .corp.example,plant.example:8443 10.0.0.0/8,[::1],fd00::/8,192.168.1.7";
        let yes = [
            ("localhost", 80),
            ("LOCALHOST.", 80),
            ("a.corp.example", 443),
            ("corp.example", 443),
            ("plant.example", 8443),
            ("x.plant.example", 8443),
            ("10.1.2.3", 443),
            ("::1", 443),
            ("fd12::5", 443),
            ("192.168.1.7", 1),
        ];
        for (h, p) in yes {
            assert!(no_proxy_matches(list, h, p), "{h}:{p} should be exempt");
        }
        let no = [
            ("notlocalhost", 80),
            ("corp.example.com", 443),
            ("xcorp.example", 443),
            ("plant.example", 443),
            ("11.1.2.3", 443),
            ("::2", 443),
            ("192.168.1.8", 1),
        ];
        for (h, p) in no {
            assert!(
                !no_proxy_matches(list, h, p),
                "{h}:{p} should use the proxy"
            );
        }
        assert!(no_proxy_matches("*", "anything", 1));
        assert!(!no_proxy_matches("", "anything", 1));
        let env = ProxyEnv::from_vars([("https_proxy", "http://p:1"), ("no_proxy", "twx.local")]);
        assert!(env.proxy_for("wss://twx.local/x").unwrap().is_none());
        assert!(env.proxy_for("wss://other.local/x").unwrap().is_some());
    }

    /// A scripted peer: reads go to `input`, writes are recorded.
    struct Scripted {
        input: Cursor<Vec<u8>>,
        written: Vec<u8>,
    }

    impl futures_io::AsyncRead for Scripted {
        fn poll_read(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
            buf: &mut [u8],
        ) -> std::task::Poll<std::io::Result<usize>> {
            std::pin::Pin::new(&mut self.input).poll_read(cx, buf)
        }
    }

    impl futures_io::AsyncWrite for Scripted {
        fn poll_write(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            buf: &[u8],
        ) -> std::task::Poll<std::io::Result<usize>> {
            self.written.extend_from_slice(buf);
            std::task::Poll::Ready(Ok(buf.len()))
        }
        fn poll_flush(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }
        fn poll_close(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }
    }

    fn exchange(proxy: &str, answer: &[u8]) -> (Result<(), ProxyError>, String) {
        let proxy = Proxy::parse(proxy).unwrap();
        let mut io = Scripted {
            input: Cursor::new(answer.to_vec()),
            written: Vec::new(),
        };
        // The scripted peer is always ready: the exchange completes in one poll.
        let r = handshake(&mut io, &proxy, "twx.example", 443)
            .now_or_never()
            .expect("scripted exchange waited");
        (r, String::from_utf8(io.written).unwrap())
    }

    #[test]
    fn connect_request_and_answers() {
        let (r, sent) = exchange(
            "http://a:b@p:1",
            b"HTTP/1.1 200 Connection established\r\n\r\n",
        );
        r.unwrap();
        assert_eq!(
            sent,
            "CONNECT twx.example:443 HTTP/1.1\r\nHost: twx.example:443\r\n\
             Proxy-Authorization: Basic YTpi\r\n\r\n"
        );
        let (r, sent) = exchange("http://p:1", b"HTTP/1.0 200 OK\r\nVia: x\r\n\r\n");
        r.unwrap();
        assert!(!sent.contains("Proxy-Authorization"));

        let (r, _) = exchange("http://a:b@p:1", b"HTTP/1.1 407 Auth\r\n\r\n");
        assert!(matches!(
            r,
            Err(ProxyError::AuthenticationRequired {
                sent_credentials: true,
                ..
            })
        ));
        let e = r.unwrap_err().to_string();
        assert!(e.contains("http://a@p:1") && !e.contains(":b@"), "{e}");

        let (r, _) = exchange("http://p:1", b"HTTP/1.1 403 Forbidden\r\n\r\n");
        assert!(
            matches!(&r, Err(ProxyError::Refused { status: 403, reason, target, .. })
                if reason == "Forbidden" && target == "twx.example:443"),
            "{r:?}"
        );
        let (r, _) = exchange("http://p:1", b"HTTP/1.1 200 OK\r\n");
        assert!(
            matches!(r, Err(ProxyError::Closed { source: None, .. })),
            "{r:?}"
        );
        let (r, _) = exchange("http://p:1", b"SSH-2.0-OpenSSH\r\n\r\n");
        assert!(matches!(r, Err(ProxyError::Malformed { .. })), "{r:?}");
        let (r, _) = exchange("http://p:1", b"HTTP/1.1 200 OK\r\n\r\nearly");
        assert!(matches!(r, Err(ProxyError::Malformed { .. })), "{r:?}");
        let mut long = b"HTTP/1.1 200 OK\r\n".to_vec();
        long.extend_from_slice(b"X-Pad: ");
        long.resize(MAX_HEAD + 10, b'a');
        let (r, _) = exchange("http://p:1", &long);
        assert!(
            matches!(&r, Err(ProxyError::Malformed { reason, .. }) if reason.contains("longer")),
            "{r:?}"
        );
    }
}
