//! `config.json` in the Edge MicroServer's own format (ems.md §1), for the keys this gateway
//! supports (`//` and `/* */` comments allowed). An unknown key, or an EMS key this gateway does not implement, is a
//! [`Warning`] naming it; a bad value is one [`ConfigError`] naming the key and the file.
//!
//! ```
//! let (config, warnings) = alwayson_ems::Config::parse(
//!     r#"{"ws_servers":[{"host":"127.0.0.1","port":8080}],"appKey":"k",
//!         "http_server":{"port":0},"binary_mode":true}"#,
//!     "config.json",
//! ).unwrap();
//! assert_eq!(config.ws_servers[0].port, 8080);
//! assert_eq!(warnings[0].key, "binary_mode");
//! ```

use alwayson_proto::edge::DutyCycle;
use serde_json::{Map, Value as Json};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A bad value in the configuration: which file, which key, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {key}: {message}")]
pub struct ConfigError {
    /// The configuration file.
    pub file: String,
    /// The key, as a path (`ws_connection.ping_rate`, `auto_bind[1].name`); empty for the
    /// whole document.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

/// A key that is read but has no effect, or is not known at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The key, as a path (`ws_connection.binary_mode`).
    pub key: String,
    /// Why it has no effect.
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

/// One platform address from `ws_servers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsServer {
    /// Host name or address.
    pub host: String,
    /// TCP port.
    pub port: u16,
}

/// `ws_connection.encryption`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Encryption {
    /// `ws://`.
    None,
    /// `wss://` (`ssl`, also `tls`).
    Ssl,
}

/// `ws_connection`: the AlwaysOn connection's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WsConnection {
    /// `encryption` (default `none`).
    pub encryption: Encryption,
    /// `ping_rate` (default 55000 ms).
    pub ping_rate: Duration,
    /// `pingpong_timeout` (default 10000 ms).
    pub pingpong_timeout: Duration,
    /// `message_chunk_size` (default 8192).
    pub message_chunk_size: u16,
    /// `max_msg_size` (default 1 MiB).
    pub max_msg_size: usize,
    /// `msg_timeout` (default 10000 ms): how long a request waits for its response.
    pub msg_timeout: Duration,
    /// `connect_timeout` (default 10000 ms).
    pub connect_timeout: Duration,
    /// `connect_retry_interval` (default 10000 ms): the longest delay between connect attempts.
    pub connect_retry_interval: Duration,
    /// `max_connect_delay` (default 0): the first connect waits a random delay up to this.
    pub max_connect_delay: Duration,
}

impl Default for WsConnection {
    fn default() -> Self {
        Self {
            encryption: Encryption::None,
            ping_rate: Duration::from_millis(55_000),
            pingpong_timeout: Duration::from_millis(10_000),
            message_chunk_size: 8192,
            max_msg_size: 1 << 20,
            msg_timeout: Duration::from_millis(10_000),
            connect_timeout: Duration::from_millis(10_000),
            connect_retry_interval: Duration::from_millis(10_000),
            max_connect_delay: Duration::ZERO,
        }
    }
}

/// `certificates`: how the platform's TLS certificate is checked, and the client's own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Certificates {
    /// `validate` (default true): check the platform's certificate.
    pub validate: bool,
    /// `allow_self_signed` (default false): accept any certificate (rustls cannot tell a
    /// self-signed one apart without a CA; this disables the check like `validate: false`).
    pub allow_self_signed: bool,
    /// `cert_chain`: PEM CA file(s) to trust instead of the built-in roots.
    pub cert_chain: Vec<PathBuf>,
    /// `client_cert`: PEM client certificate chain.
    pub client_cert: Option<PathBuf>,
    /// `key_file`: PEM private key of `client_cert`.
    pub key_file: Option<PathBuf>,
    /// `http_client_ca_certs`: PEM CA file(s) the HTTPS applications' certificates are
    /// verified against (and their host names checked). Without it, or with
    /// `allow_self_signed`, callbacks accept any certificate (applications such as the
    /// Lua Script Resource usually run with a self-signed one).
    pub http_client_ca_certs: Vec<PathBuf>,
}

/// `http_server`: the local REST interface.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HttpServer {
    /// `host` (default `localhost`, i.e. 127.0.0.1).
    pub host: String,
    /// `port` (default 8000); 0 picks a free port.
    pub port: u16,
    /// `ssl` (default false): serve HTTPS.
    pub ssl: bool,
    /// `certificate`: PEM certificate chain for HTTPS (none: a generated self-signed one).
    pub certificate: Option<PathBuf>,
    /// `private_key`: PEM key of `certificate`.
    pub private_key: Option<PathBuf>,
    /// `authenticate` (default false): require HTTP Basic authentication.
    pub authenticate: bool,
    /// `user` for Basic authentication.
    pub user: String,
    /// `password` for Basic authentication.
    pub password: String,
}

impl Default for HttpServer {
    fn default() -> Self {
        Self {
            host: "localhost".into(),
            port: 8000,
            ssl: false,
            certificate: None,
            private_key: None,
            authenticate: false,
            user: String::new(),
            password: String::new(),
        }
    }
}

impl HttpServer {
    /// The host to bind: `localhost` is 127.0.0.1 (the EMS's `localhost` may resolve to IPv6
    /// only, ems.md §1).
    pub fn bind_host(&self) -> &str {
        if self.host.eq_ignore_ascii_case("localhost") {
            "127.0.0.1"
        } else {
            &self.host
        }
    }

    /// Whether the configured host is a loopback address.
    pub fn is_loopback(&self) -> bool {
        self.bind_host()
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
    }
}

/// HTTP or HTTPS, for callbacks to an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Protocol {
    /// `http`.
    Http,
    /// `https`.
    Https,
}

impl Protocol {
    /// `http` or `https`.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Http => "http",
            Protocol::Https => "https",
        }
    }

    /// Parses `http` / `https` (any case).
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "http" => Some(Protocol::Http),
            "https" => Some(Protocol::Https),
            _ => None,
        }
    }
}

/// One `auto_bind` entry: a thing bound at start.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AutoBind {
    /// `name`.
    pub name: String,
    /// `gateway` (default false): this entry is the gateway thing itself.
    pub gateway: bool,
    /// `host` of the application serving the thing (none: nobody answers its requests).
    pub host: Option<String>,
    /// `port` (default 8001).
    pub port: u16,
    /// `path` (default `/Thingworx`).
    pub path: String,
    /// `protocol` (default http).
    pub protocol: Protocol,
    /// `timeout` (default 30000 ms).
    pub timeout: Duration,
    /// `user` for Basic authentication towards the application.
    pub user: Option<String>,
    /// `password` for Basic authentication towards the application.
    pub password: Option<String>,
}

/// `offline_msg_store`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OfflineMsgStore {
    /// `enabled` (default false).
    pub enabled: bool,
    /// `directory`: where the durable store lives (none: in memory).
    pub directory: Option<PathBuf>,
    /// `max_size` (default 65535 bytes).
    pub max_size: usize,
}

impl Default for OfflineMsgStore {
    fn default() -> Self {
        Self {
            enabled: false,
            directory: None,
            max_size: 65535,
        }
    }
}

/// `proxy`: an HTTP proxy for the platform connection (a `CONNECT` tunnel, with Basic
/// authentication when `user` is given).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Proxy {
    /// `host`.
    pub host: String,
    /// `port` (default 3128).
    pub port: u16,
    /// `user`.
    pub user: Option<String>,
    /// `password`.
    pub password: Option<String>,
}

impl Proxy {
    /// The proxy as `http://[user[:password]@]host:port`, user and password
    /// percent-encoded (for `EdgeClientBuilder::proxy`).
    pub fn url(&self) -> Result<String, String> {
        let host = if self.host.contains(':') && !self.host.starts_with('[') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let mut url = url::Url::parse(&format!("http://{host}"))
            .map_err(|e| format!("host {:?}: {e}", self.host))?;
        let _ = url.set_port(Some(self.port));
        if let Some(user) = self.user.as_deref().filter(|u| !u.is_empty()) {
            let _ = url.set_username(user);
            let _ = url.set_password(self.password.as_deref());
        }
        Ok(url.as_str().trim_end_matches('/').to_owned())
    }
}

/// `alwayson`: settings of this gateway that the EMS does not have.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Extensions {
    /// `health_check_interval` (default 60000 ms): how often each application's host:port is checked.
    pub health_check_interval: Duration,
    /// `registrations_file` (default `ems-registrations.json` beside the config file): where
    /// registrations made with `persist` are kept.
    pub registrations_file: PathBuf,
}

/// The gateway's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// The file it was read from.
    pub file: PathBuf,
    /// `ws_servers`: platforms, tried in turn (the next after a few failed attempts).
    pub ws_servers: Vec<WsServer>,
    /// `resource` (default `/Thingworx/WS`).
    pub resource: String,
    /// `appKey`.
    pub app_key: String,
    /// `ws_connection`.
    pub ws_connection: WsConnection,
    /// `certificates`.
    pub certificates: Certificates,
    /// `http_server`.
    pub http_server: HttpServer,
    /// `auto_bind`.
    pub auto_bind: Vec<AutoBind>,
    /// `offline_msg_store`.
    pub offline_msg_store: OfflineMsgStore,
    /// `proxy`.
    pub proxy: Option<Proxy>,
    /// `duty_cycle` (5.4.3+): connected `duty_cycle` % of every `connect_period` ms;
    /// `None` when the group is absent or `duty_cycle` is 100.
    pub duty_cycle: Option<DutyCycle>,
    /// `logger.level` (EMS names: ERROR, WARN, INFO, DEBUG, TRACE, …), as given.
    pub log_level: Option<String>,
    /// `alwayson`: this gateway's own settings.
    pub extensions: Extensions,
}

/// EMS keys this gateway reads but does not implement, per group ("" is the top level).
const IGNORED: &[(&str, &[&str])] = &[
    ("", &["tunnel", "file", "fips"]),
    ("duty_cycle", &["delay_duty_cycle"]),
    (
        "http_server",
        &[
            "passphrase",
            "use_default_certificate",
            "content_read_timeout",
            "ports_to_try",
            "max_clients",
            "enable_csrf_tokens",
            "csrf_token_rotation_period",
        ],
    ),
    (
        "ws_connection",
        &[
            "binary_mode",
            "message_idle_time",
            "max_frame_size",
            "max_messages",
            "connect_on_demand",
            "max_threads",
            "socket_read_timeout",
            "frame_read_timeout",
            "ssl_read_timeout",
            "connect_retries",
            "compression",
        ],
    ),
    ("offline_msg_store", &["blocking"]),
    (
        "certificates",
        &[
            "disable_hostname_validation",
            "key_passphrase",
            "cipher_suite",
            "validation_criteria",
            "fingerprint_allowlist",
        ],
    ),
    ("auto_bind[]", &["accept"]),
    (
        "logger",
        &[
            "audit_target",
            "publish_directory",
            "publish_level",
            "max_file_storage",
            "auto_flush",
            "flush_chunk_size",
            "buffer_size",
        ],
    ),
];

/// A JSON object being read: remembers which keys were used, to warn about the rest.
struct Obj<'a> {
    map: &'a Map<String, Json>,
    path: String,
    group: &'static str,
    used: Vec<&'static str>,
}

struct Reader {
    file: String,
    warnings: Vec<Warning>,
}

impl Reader {
    fn err(&self, key: &str, message: impl Into<String>) -> ConfigError {
        ConfigError {
            file: self.file.clone(),
            key: key.to_owned(),
            message: message.into(),
        }
    }

    fn obj<'a>(
        &self,
        json: &'a Json,
        path: &str,
        group: &'static str,
    ) -> Result<Obj<'a>, ConfigError> {
        match json {
            Json::Object(map) => Ok(Obj {
                map,
                path: path.to_owned(),
                group,
                used: Vec::new(),
            }),
            _ => Err(self.err(path, "expected a JSON object")),
        }
    }

    /// Warns about every key of `o` that was not read.
    fn finish(&mut self, o: Obj<'_>) {
        let ignored = IGNORED
            .iter()
            .find(|(g, _)| *g == o.group)
            .map_or(&[][..], |(_, keys)| *keys);
        for key in o.map.keys() {
            if o.used.contains(&key.as_str()) {
                continue;
            }
            let message = if ignored.contains(&key.as_str()) {
                "EMS setting not supported by this gateway: ignored"
            } else {
                "unknown key: ignored"
            };
            self.warnings.push(Warning {
                key: join(&o.path, key),
                message: message.into(),
            });
        }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

impl<'a> Obj<'a> {
    fn get(&mut self, key: &'static str) -> Option<&'a Json> {
        self.used.push(key);
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn key(&self, key: &str) -> String {
        join(&self.path, key)
    }

    fn string(&mut self, r: &Reader, key: &'static str) -> Result<Option<String>, ConfigError> {
        match self.get(key) {
            None => Ok(None),
            Some(Json::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(r.err(&self.key(key), "expected a string")),
        }
    }

    fn bool(&mut self, r: &Reader, key: &'static str, default: bool) -> Result<bool, ConfigError> {
        match self.get(key) {
            None => Ok(default),
            Some(Json::Bool(b)) => Ok(*b),
            Some(Json::String(s)) if s == "true" || s == "false" => Ok(s == "true"),
            Some(_) => Err(r.err(&self.key(key), "expected true or false")),
        }
    }

    /// A non-negative integer, written as a number or a string of digits.
    fn uint(
        &mut self,
        r: &Reader,
        key: &'static str,
        max: u64,
    ) -> Result<Option<u64>, ConfigError> {
        let v = match self.get(key) {
            None => return Ok(None),
            Some(Json::Number(n)) => n.as_u64(),
            Some(Json::String(s)) => s.trim().parse::<u64>().ok(),
            Some(_) => None,
        };
        match v {
            Some(v) if v <= max => Ok(Some(v)),
            Some(v) => Err(r.err(&self.key(key), format!("{v} is larger than {max}"))),
            None => Err(r.err(&self.key(key), "expected a non-negative integer")),
        }
    }

    fn millis(
        &mut self,
        r: &Reader,
        key: &'static str,
        default: Duration,
    ) -> Result<Duration, ConfigError> {
        Ok(self
            .uint(r, key, u64::from(u32::MAX))?
            .map_or(default, Duration::from_millis))
    }

    /// A file name or a list of them, relative to `base`.
    fn paths(
        &mut self,
        r: &Reader,
        key: &'static str,
        base: &Path,
    ) -> Result<Vec<PathBuf>, ConfigError> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(Json::String(s)) => Ok(vec![base.join(s)]),
            Some(Json::Array(list)) => list
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    s.as_str().map(|s| base.join(s)).ok_or_else(|| {
                        r.err(&format!("{}[{i}]", self.key(key)), "expected a file name")
                    })
                })
                .collect(),
            Some(_) => Err(r.err(&self.key(key), "expected a file name or a list of them")),
        }
    }

    fn port(&mut self, r: &Reader, key: &'static str, default: u16) -> Result<u16, ConfigError> {
        Ok(self
            .uint(r, key, u64::from(u16::MAX))?
            .map_or(default, |p| p as u16))
    }

    fn path(
        &mut self,
        r: &Reader,
        key: &'static str,
        base: &Path,
    ) -> Result<Option<PathBuf>, ConfigError> {
        Ok(self.string(r, key)?.map(|p| base.join(p)))
    }
}

impl Config {
    /// Reads and parses a configuration file.
    pub fn load(path: impl AsRef<Path>) -> Result<(Config, Vec<Warning>), ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: path.display().to_string(),
            key: String::new(),
            message: format!("cannot read: {e}"),
        })?;
        Config::parse(&text, path)
    }

    /// Parses a configuration; `file` names it in errors and is the base of relative paths.
    pub fn parse(
        text: &str,
        file: impl AsRef<Path>,
    ) -> Result<(Config, Vec<Warning>), ConfigError> {
        let file = file.as_ref();
        let base = file.parent().unwrap_or(Path::new("")).to_path_buf();
        let mut r = Reader {
            file: file.display().to_string(),
            warnings: Vec::new(),
        };
        // `//` and `/* */` comments are allowed (the example config is commented).
        let plain = json_comments::StripComments::new(text.as_bytes());
        let doc: Json =
            serde_json::from_reader(plain).map_err(|e| r.err("", format!("not JSON: {e}")))?;
        let mut top = r.obj(&doc, "", "")?;

        let mut ws_servers = Vec::new();
        match top.get("ws_servers") {
            None => return Err(r.err("ws_servers", "missing: at least one {host, port} is needed")),
            Some(Json::Array(list)) if !list.is_empty() => {
                for (i, s) in list.iter().enumerate() {
                    let path = format!("ws_servers[{i}]");
                    let mut o = r.obj(s, &path, "ws_servers[]")?;
                    let host = o
                        .string(&r, "host")?
                        .ok_or_else(|| r.err(&o.key("host"), "missing"))?;
                    let port = o.port(&r, "port", 443)?;
                    r.finish(o);
                    ws_servers.push(WsServer { host, port });
                }
            }
            Some(_) => return Err(r.err("ws_servers", "expected a non-empty list of {host, port}")),
        }
        let resource = top
            .string(&r, "resource")?
            .unwrap_or_else(|| "/Thingworx/WS".into());
        if !resource.starts_with('/') {
            return Err(r.err("resource", "expected a path starting with '/'"));
        }
        let app_key = top
            .string(&r, "appKey")?
            .ok_or_else(|| r.err("appKey", "missing"))?;
        if app_key.starts_with("AES:") {
            return Err(r.err(
                "appKey",
                "an AES-encrypted key cannot be used: write the key in plain text",
            ));
        }
        if app_key.is_empty() {
            return Err(r.err("appKey", "empty"));
        }

        let mut ws_connection = WsConnection::default();
        if let Some(j) = top.get("ws_connection") {
            let mut o = r.obj(j, "ws_connection", "ws_connection")?;
            let w = &mut ws_connection;
            if let Some(e) = o.string(&r, "encryption")? {
                w.encryption = match e.to_ascii_lowercase().as_str() {
                    "none" => Encryption::None,
                    "ssl" | "tls" => Encryption::Ssl,
                    _ => {
                        return Err(r.err(
                            "ws_connection.encryption",
                            format!("{e:?}: expected none or ssl"),
                        ))
                    }
                };
            }
            w.ping_rate = o.millis(&r, "ping_rate", w.ping_rate)?;
            w.pingpong_timeout = o.millis(&r, "pingpong_timeout", w.pingpong_timeout)?;
            if let Some(c) = o.uint(&r, "message_chunk_size", u64::from(u16::MAX))? {
                if c < 256 {
                    return Err(r.err(
                        "ws_connection.message_chunk_size",
                        format!("{c} is below 256"),
                    ));
                }
                w.message_chunk_size = c as u16;
            }
            if let Some(m) = o.uint(&r, "max_msg_size", 1 << 30)? {
                w.max_msg_size = m as usize;
            }
            w.msg_timeout = o.millis(&r, "msg_timeout", w.msg_timeout)?;
            w.connect_timeout = o.millis(&r, "connect_timeout", w.connect_timeout)?;
            w.connect_retry_interval =
                o.millis(&r, "connect_retry_interval", w.connect_retry_interval)?;
            w.max_connect_delay = o.millis(&r, "max_connect_delay", w.max_connect_delay)?;
            r.finish(o);
        }

        let mut certificates = Certificates {
            validate: true,
            ..Certificates::default()
        };
        if let Some(j) = top.get("certificates") {
            let mut o = r.obj(j, "certificates", "certificates")?;
            let c = &mut certificates;
            c.validate = o.bool(&r, "validate", true)?;
            c.allow_self_signed = o.bool(&r, "allow_self_signed", false)?;
            c.cert_chain = o.paths(&r, "cert_chain", &base)?;
            c.http_client_ca_certs = o.paths(&r, "http_client_ca_certs", &base)?;
            c.client_cert = o.path(&r, "client_cert", &base)?;
            c.key_file = o.path(&r, "key_file", &base)?;
            if c.client_cert.is_some() != c.key_file.is_some() {
                return Err(r.err(
                    "certificates.client_cert",
                    "client_cert and key_file go together",
                ));
            }
            r.finish(o);
        }

        let mut http_server = HttpServer::default();
        if let Some(j) = top.get("http_server") {
            let mut o = r.obj(j, "http_server", "http_server")?;
            let h = &mut http_server;
            if let Some(host) = o.string(&r, "host")? {
                if host.is_empty() {
                    return Err(r.err("http_server.host", "empty"));
                }
                h.host = host;
            }
            h.port = o.port(&r, "port", h.port)?;
            h.ssl = o.bool(&r, "ssl", false)?;
            h.certificate = o.path(&r, "certificate", &base)?;
            h.private_key = o.path(&r, "private_key", &base)?;
            if h.certificate.is_some() != h.private_key.is_some() {
                return Err(r.err(
                    "http_server.certificate",
                    "certificate and private_key go together",
                ));
            }
            h.authenticate = o.bool(&r, "authenticate", false)?;
            h.user = o.string(&r, "user")?.unwrap_or_default();
            h.password = o.string(&r, "password")?.unwrap_or_default();
            if h.authenticate && h.user.is_empty() {
                return Err(r.err("http_server.user", "authenticate is true: a user is needed"));
            }
            r.finish(o);
        }

        let mut auto_bind = Vec::new();
        match top.get("auto_bind") {
            None => {}
            Some(Json::Array(list)) => {
                for (i, e) in list.iter().enumerate() {
                    let path = format!("auto_bind[{i}]");
                    let mut o = r.obj(e, &path, "auto_bind[]")?;
                    let name = o
                        .string(&r, "name")?
                        .ok_or_else(|| r.err(&o.key("name"), "missing"))?;
                    if let Err(why) = crate::registry::check_name(&name) {
                        return Err(r.err(&o.key("name"), why));
                    }
                    let gateway = o.bool(&r, "gateway", false)?;
                    let host = o.string(&r, "host")?;
                    let port = o.port(&r, "port", 8001)?;
                    let path_ = o.string(&r, "path")?.unwrap_or_else(|| "/Thingworx".into());
                    let protocol = match o.string(&r, "protocol")? {
                        None => Protocol::Http,
                        Some(p) => Protocol::parse(&p).ok_or_else(|| {
                            r.err(&o.key("protocol"), format!("{p:?}: expected http or https"))
                        })?,
                    };
                    let timeout = o.millis(&r, "timeout", Duration::from_millis(30_000))?;
                    let user = o.string(&r, "user")?;
                    let password = o.string(&r, "password")?;
                    r.finish(o);
                    auto_bind.push(AutoBind {
                        name,
                        gateway,
                        host,
                        port,
                        path: path_,
                        protocol,
                        timeout,
                        user,
                        password,
                    });
                }
                if auto_bind.iter().filter(|a| a.gateway).count() > 1 {
                    return Err(r.err("auto_bind", "more than one entry has gateway: true"));
                }
            }
            Some(_) => return Err(r.err("auto_bind", "expected a list")),
        }

        let mut offline_msg_store = OfflineMsgStore::default();
        if let Some(j) = top.get("offline_msg_store") {
            let mut o = r.obj(j, "offline_msg_store", "offline_msg_store")?;
            offline_msg_store.enabled = o.bool(&r, "enabled", false)?;
            offline_msg_store.directory = o.path(&r, "directory", &base)?;
            if let Some(m) = o.uint(&r, "max_size", 1 << 40)? {
                offline_msg_store.max_size = m as usize;
            }
            r.finish(o);
        }

        let proxy = match top.get("proxy") {
            None => None,
            Some(j) => {
                let mut o = r.obj(j, "proxy", "proxy")?;
                let host = o.string(&r, "host")?;
                let port = o.port(&r, "port", 3128)?;
                let user = o.string(&r, "user")?;
                let password = o.string(&r, "password")?;
                r.finish(o);
                let proxy = host.filter(|h| !h.is_empty()).map(|host| Proxy {
                    host,
                    port,
                    user,
                    password,
                });
                if let Some(Err(e)) = proxy.as_ref().map(Proxy::url) {
                    return Err(r.err("proxy.host", e));
                }
                proxy
            }
        };

        let mut duty_cycle = None;
        if let Some(j) = top.get("duty_cycle") {
            let mut o = r.obj(j, "duty_cycle", "duty_cycle")?;
            let percent = o.uint(&r, "duty_cycle", 100)?.unwrap_or(100);
            let period = o.millis(&r, "connect_period", Duration::ZERO)?;
            if percent < 100 {
                if period.is_zero() {
                    return Err(r.err(
                        "duty_cycle.connect_period",
                        "required (more than 0 ms) when duty_cycle is below 100",
                    ));
                }
                duty_cycle = Some(
                    DutyCycle::new(period, percent as u8)
                        .map_err(|e| r.err("duty_cycle.duty_cycle", e.to_string()))?,
                );
            }
            r.finish(o);
        }

        let mut log_level = None;
        if let Some(j) = top.get("logger") {
            let mut o = r.obj(j, "logger", "logger")?;
            if let Some(level) = o.string(&r, "level")? {
                if log_filter(&level).is_none() {
                    return Err(r.err(
                        "logger.level",
                        format!("{level:?}: expected ERROR, WARN, INFO, DEBUG or TRACE"),
                    ));
                }
                log_level = Some(level);
            }
            r.finish(o);
        }

        let mut extensions = Extensions {
            health_check_interval: Duration::from_secs(60),
            registrations_file: base.join("ems-registrations.json"),
        };
        if let Some(j) = top.get("alwayson") {
            let mut o = r.obj(j, "alwayson", "alwayson")?;
            let interval = o.millis(
                &r,
                "health_check_interval",
                extensions.health_check_interval,
            )?;
            if interval.is_zero() {
                return Err(r.err("alwayson.health_check_interval", "must be more than 0"));
            }
            extensions.health_check_interval = interval;
            if let Some(p) = o.path(&r, "registrations_file", &base)? {
                extensions.registrations_file = p;
            }
            r.finish(o);
        }
        r.finish(top);

        let config = Config {
            file: file.to_path_buf(),
            ws_servers,
            resource,
            app_key,
            ws_connection,
            certificates,
            http_server,
            auto_bind,
            offline_msg_store,
            proxy,
            duty_cycle,
            log_level,
            extensions,
        };
        Ok((config, r.warnings))
    }

    /// The platform's websocket URL (the first of `ws_servers`).
    pub fn platform_url(&self) -> String {
        self.platform_url_of(0)
    }

    /// The websocket URL of `ws_servers[index]` (wrapping around).
    pub fn platform_url_of(&self, index: usize) -> String {
        let scheme = match self.ws_connection.encryption {
            Encryption::None => "ws",
            Encryption::Ssl => "wss",
        };
        let s = &self.ws_servers[index % self.ws_servers.len()];
        let host = if s.host.contains(':') && !s.host.starts_with('[') {
            format!("[{}]", s.host)
        } else {
            s.host.clone()
        };
        format!("{scheme}://{host}:{}{}", s.port, self.resource)
    }

    /// The gateway thing: the `auto_bind` entry with `gateway: true`.
    pub fn gateway_name(&self) -> Option<&str> {
        self.auto_bind
            .iter()
            .find(|a| a.gateway)
            .map(|a| a.name.as_str())
    }

    /// `logger.level` as a `tracing` filter directive (`warn`, `debug`, …).
    pub fn log_filter(&self) -> Option<&'static str> {
        self.log_level.as_deref().and_then(log_filter)
    }
}

/// An EMS log level as a `tracing` level name.
fn log_filter(level: &str) -> Option<&'static str> {
    Some(match level.to_ascii_uppercase().as_str() {
        "FORCE" | "ERROR" => "error",
        "WARN" | "WARNING" => "warn",
        "INFO" | "AUDIT" => "info",
        "DEBUG" => "debug",
        "TRACE" => "trace",
        _ => return None,
    })
}
