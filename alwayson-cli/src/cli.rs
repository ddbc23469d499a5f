//! The command line (clap derive).

use crate::args::{parse_duration, parse_property, parse_push_rule, parse_thing_name};
use crate::emulator::subscriptions::RuleSpec;
use alwayson_proto::edge::{DutyCycle, PushRule};
use alwayson_proto::Value;
use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Exit codes, as shown at the end of every `--help`.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  runtime error (I/O, TLS files, a message that does not decode, an unexpected failure)
  2  usage error (bad or missing flags; printed by the argument parser)
  3  credentials refused (the platform rejected the application key)
  4  platform unreachable (connection refused, DNS failure, TLS handshake failure, timeout)
  5  BIND refused (alwayson edge: the platform refused a thing; see --keep-running-on-refused-bind)

Logs go to standard error; -v / -vv or RUST_LOG (e.g. RUST_LOG=alwayson=debug) set the level.";

/// `alwayson`: ThingWorx AlwaysOn protocol tool: a self-contained demo, a platform emulator
/// with a ThingWorx-style REST interface, an edge, and a message decoder.
#[derive(Debug, Parser)]
#[command(name = "alwayson", version, after_help = EXIT_CODES_HELP, propagate_version = true)]
pub struct Cli {
    /// More log output: -v debug, -vv trace (RUST_LOG overrides).
    #[arg(short, long, action = ArgAction::Count, global = true)]
    pub verbose: u8,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run an embedded platform and an edge in this process and print a transcript of a
    /// full session: AUTH, BIND, pushed values, property read and write, a service call,
    /// UNBIND. Needs nothing else.
    #[command(after_help = EXIT_CODES_HELP)]
    Demo(DemoArgs),
    /// Run a platform emulator: AlwaysOn edges connect at ws://HOST:PORT/Thingworx/WS (wss:// with TLS),
    /// and a ThingWorx-style REST interface on the same port reads and writes their
    /// properties and calls their services (GET/PUT /Thingworx/Things/{thing}/Properties/{p},
    /// POST /Thingworx/Things/{thing}/Services/{s}, GET /Thingworx/Things/{thing}; header
    /// appKey). The first line on standard output is `listening on ws[s]://HOST:PORT/Thingworx/WS`.
    #[command(after_help = EXIT_CODES_HELP)]
    Platform(PlatformArgs),
    /// Run an edge: authenticate, bind things, serve their properties from memory (readable
    /// and writable by the platform), answer the built-in services Echo and GetProperties,
    /// optionally push property values periodically, and reconnect when the connection drops.
    /// Ctrl-C or SIGTERM unbinds and exits 0.
    #[command(after_help = EXIT_CODES_HELP)]
    Edge(EdgeArgs),
    /// Decode one AlwaysOn message or multipart chunk given as hex (spaces, `|`, `,`, newlines
    /// and `0x` prefixes are fine; `#` starts a comment) and print it readably. Errors name
    /// the byte offset and show a hex excerpt with a caret.
    #[command(after_help = EXIT_CODES_HELP)]
    Decode(DecodeArgs),
    /// Run an Edge MicroServer (EMS) compatible gateway from the EMS's own config.json: one
    /// AlwaysOn connection in gateway form, the LocalEms REST interface (AddEdgeThing,
    /// RemoveEdgeThing, HasEdgeThing, isConnected), proxy REST to the platform, and platform
    /// requests forwarded to the registered applications. The first line on standard output
    /// is `listening on http[s]://HOST:PORT`. A bad configuration value exits 2.
    #[command(after_help = EXIT_CODES_HELP)]
    Ems(EmsArgs),
}

/// `alwayson ems` options.
#[derive(Debug, Args)]
pub struct EmsArgs {
    /// The EMS configuration file (config.json); unknown or unsupported keys are warnings.
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
}

/// `alwayson demo` options.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The thing the demo edge binds.
    #[arg(long, default_value = "SteamSensor1", value_parser = parse_thing_name)]
    pub thing: String,
}

/// How a platform resolves a BIND of a thing that is already bound elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BindPolicyArg {
    /// Keep the existing binding; refuse the new one.
    FirstInWins,
    /// Move the thing to the new connection.
    LastInWins,
}

impl From<BindPolicyArg> for alwayson_proto::BindPolicy {
    fn from(p: BindPolicyArg) -> Self {
        match p {
            BindPolicyArg::FirstInWins => alwayson_proto::BindPolicy::FirstInWins,
            BindPolicyArg::LastInWins => alwayson_proto::BindPolicy::LastInWins,
        }
    }
}

/// `alwayson platform` options.
#[derive(Debug, Args)]
pub struct PlatformArgs {
    /// Address to listen on (port 0 picks a free port; the bound address is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The application key edges must present in AUTH, and REST clients in the `appKey` header.
    #[arg(long, value_name = "KEY", value_parser = parse_app_key)]
    pub app_key: String,
    /// PEM certificate chain: serve wss:// and https:// (needs --tls-key).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve TLS with OpenSSL and also accept the legacy TLS of stock C SDK 1.3.x edges
    /// (TLS 1.1, RSA/DHE key exchange; use an RSA certificate). Only in a build with the
    /// `legacy-tls` feature.
    #[arg(long, requires = "tls_cert")]
    pub tls_legacy: bool,
    /// Close connections that have not authenticated within this time (e.g. 15s, 500ms).
    #[arg(long, default_value = "15s", value_parser = parse_duration)]
    pub auth_timeout: Duration,
    /// Close connections that have been silent (no message, no ping) for this long. The SDKs
    /// ping every 55 s.
    #[arg(long, default_value = "120s", value_parser = parse_duration)]
    pub idle_timeout: Duration,
    /// What happens when a thing bound on one connection is bound on another.
    #[arg(long, value_enum, default_value = "first-in-wins")]
    pub bind_policy: BindPolicyArg,
    /// Push rule answered to GetPropertySubscriptions, `THING:PROPERTY=TYPE[,THRESHOLD]`
    /// (TYPE: ALWAYS, NEVER, VALUE, ON, OFF, DEADBAND; `*` for any thing or property;
    /// repeatable, the last match wins). Default: the edge's declared rule, else VALUE,0.
    #[arg(long = "push-rule", value_name = "RULE", value_parser = parse_rule_spec)]
    pub push_rules: Vec<RuleSpec>,
    /// Refuse to send edges a multipart message whose chunk count × chunk size exceeds BYTES
    /// (C SDK 1.3.1 edges silently drop those: use 16384 for them). Default: no limit.
    #[arg(long, value_name = "BYTES")]
    pub edge_max_message_size: Option<usize>,
    /// Body bytes of incomplete multipart messages all connections may hold together; a
    /// chunk beyond it is refused with a SERVICE_UNAVAILABLE answer (each connection is also
    /// held to 16 messages of 1 MiB).
    #[arg(long, value_name = "BYTES", default_value_t = 64 << 20)]
    pub reassembly_budget: usize,
    /// Most things one connection may bind; further names in a BIND are refused (0x83,
    /// the reason names the cap).
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub max_things_per_connection: usize,
    /// Forget a thing that is not bound and has not been seen (BIND, UNBIND, disconnect)
    /// for this long (e.g. 24h, 30m).
    #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = parse_duration)]
    pub forget_unbound_after: Duration,
    /// Most things the registry remembers; beyond it the unbound things seen longest ago
    /// are forgotten first (bound things never are).
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    pub max_things: usize,
}

/// `alwayson edge` options.
#[derive(Debug, Args)]
pub struct EdgeArgs {
    /// Platform websocket URL, e.g. ws://127.0.0.1:8080/Thingworx/WS (wss:// for TLS).
    #[arg(value_name = "URL", value_parser = parse_ws_url)]
    pub url: String,
    /// Application key sent in AUTH.
    #[arg(long, value_name = "KEY")]
    pub app_key: String,
    /// Thing to bind (repeat for more).
    #[arg(long = "bind", value_name = "THING", required = true, value_parser = parse_thing_name)]
    pub things: Vec<String>,
    /// Property of every bound thing, NAME=VALUE (repeat for more). VALUE: a finite number
    /// → NUMBER, true/false → BOOLEAN, "quoted" or anything else → STRING.
    #[arg(long = "property", value_name = "NAME=VALUE", value_parser = parse_property)]
    pub properties: Vec<(String, Value)>,
    /// Push every property to the platform at this interval (UpdateSubscribedPropertyValues),
    /// an explicit push not subject to push rules.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub push_every: Option<Duration>,
    /// Push rule of a property on every bound thing, PROP=TYPE or PROP=TYPE:THRESHOLD (TYPE:
    /// ALWAYS, NEVER, VALUE, ON, OFF, DEADBAND; repeat for more; default VALUE:0). Declared in
    /// GetMetadata and replaced by the platform's rules (GetPropertySubscriptions); a value
    /// the platform writes is pushed back when the rule says so.
    #[arg(long = "push-rule", value_name = "PROP=TYPE[:THRESHOLD]", value_parser = parse_push_rule)]
    pub push_rules: Vec<(String, PushRule)>,
    /// PEM CA certificate to trust for wss:// (in addition to the built-in roots).
    #[arg(long, value_name = "FILE", conflicts_with = "insecure")]
    pub ca_cert: Option<PathBuf>,
    /// Do not verify the platform's TLS certificate (testing only).
    #[arg(long)]
    pub insecure: bool,
    /// Keep retrying when the first connection attempt fails, instead of exiting with code 4.
    #[arg(long)]
    pub wait: bool,
    /// When the platform refuses the BIND of a thing (e.g. bound by another edge), log a
    /// warning and keep serving the things that were bound, instead of exiting with code 5.
    /// The refused thing is asked for again on the next reconnect.
    #[arg(long)]
    pub keep_running_on_refused_bind: bool,
    /// Keep pushes in a durable offline store in DIR (created if missing): while the
    /// platform is unreachable `--push-every` keeps pushing into it, and everything is
    /// replayed in order once the things are bound again (at least once; the log survives
    /// `kill -9`). With a store the edge reconnects on its own and keeps running.
    #[arg(long, value_name = "DIR")]
    pub offline_store: Option<PathBuf>,
    /// Most bytes the offline store holds; beyond it new pushes are refused (logged).
    #[arg(long, value_name = "BYTES", default_value_t = 16 << 20, requires = "offline_store")]
    pub offline_max_bytes: usize,
    /// Connect through this HTTP proxy, http://HOST:PORT or http://USER:PASSWORD@HOST:PORT
    /// (CONNECT tunnel for ws:// and wss://, Basic authentication). The password is never
    /// logged.
    // Checked when connecting, not by clap: clap's error would repeat the password.
    #[arg(long, value_name = "URL", conflicts_with = "proxy_from_env")]
    pub proxy: Option<String>,
    /// Take the proxy from HTTPS_PROXY (wss://) or HTTP_PROXY (ws://), honouring NO_PROXY
    /// (lower-case names too).
    #[arg(long)]
    pub proxy_from_env: bool,
    /// Be connected only PCT % of every PERIOD (e.g. 1h:10): at each off time UNBIND and
    /// close, at each on time reconnect and bind again; pushes made while off are kept (in
    /// memory, or in --offline-store) and delivered after the BIND.
    #[arg(long, value_name = "PERIOD:PCT", value_parser = parse_duty_cycle)]
    pub duty_cycle: Option<DutyCycle>,
}

/// `alwayson decode` input.
#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// Hex bytes (several words are joined); `-` or nothing reads standard input.
    #[arg(value_name = "HEX", conflicts_with = "file")]
    pub hex: Vec<String>,
    /// Read the hex text from this file.
    #[arg(long, short, value_name = "FILE")]
    pub file: Option<PathBuf>,
}

/// Refuses an empty application key.
pub fn parse_app_key(s: &str) -> Result<String, String> {
    if s.is_empty() {
        return Err("the application key must not be empty".into());
    }
    Ok(s.to_owned())
}

/// Parses a `--push-rule`.
pub fn parse_rule_spec(s: &str) -> Result<RuleSpec, String> {
    s.parse()
}

/// Parses `--duty-cycle PERIOD:PCT` (`10m:25`: connected 2.5 minutes of every 10).
pub fn parse_duty_cycle(s: &str) -> Result<DutyCycle, String> {
    let (period, percent) = s
        .rsplit_once(':')
        .ok_or_else(|| format!("{s:?} is not PERIOD:PCT, e.g. 10m:25"))?;
    let period = parse_duration(period)?;
    let percent: u8 = percent
        .trim()
        .trim_end_matches('%')
        .parse()
        .map_err(|_| format!("{percent:?} is not a percentage from 1 to 99"))?;
    DutyCycle::new(period, percent).map_err(|e| e.to_string())
}

/// Checks that a URL is ws:// or wss:// with a host.
pub fn parse_ws_url(s: &str) -> Result<String, String> {
    let rest = s
        .strip_prefix("ws://")
        .or_else(|| s.strip_prefix("wss://"))
        .ok_or_else(|| format!("{s:?} must start with ws:// or wss://"))?;
    let host = rest.split(['/', '?']).next().unwrap_or("");
    if host.is_empty() {
        return Err(format!("{s:?} has no host"));
    }
    Ok(s.to_owned())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("alwayson").chain(args.iter().copied()))
    }

    #[test]
    fn parses_platform_and_edge() {
        let c = parse(&[
            "platform",
            "--listen",
            "127.0.0.1:0",
            "--app-key",
            "k",
            "--auth-timeout",
            "500ms",
            "--bind-policy",
            "last-in-wins",
        ])
        .unwrap();
        let Command::Platform(p) = c.command else {
            panic!()
        };
        assert_eq!(p.auth_timeout, Duration::from_millis(500));
        assert_eq!(p.bind_policy, BindPolicyArg::LastInWins);
        let c = parse(&[
            "-v",
            "edge",
            "ws://h:1/Thingworx/WS",
            "--app-key",
            "k",
            "--bind",
            "A",
            "--bind",
            "B",
            "--property",
            "t=1.5",
            "--push-every",
            "2s",
        ])
        .unwrap();
        assert_eq!(c.verbose, 1);
        let Command::Edge(e) = c.command else {
            panic!()
        };
        assert_eq!(e.things, ["A", "B"]);
        assert_eq!(e.properties, vec![("t".to_owned(), Value::Number(1.5))]);
        assert_eq!(e.push_every, Some(Duration::from_secs(2)));
    }

    #[test]
    fn usage_errors() {
        for args in [
            &["edge", "http://h/x", "--app-key", "k", "--bind", "A"][..],
            &["edge", "ws:///x", "--app-key", "k", "--bind", "A"],
            &["edge", "ws://h/x", "--app-key", "k"],
            &[
                "edge",
                "ws://h/x",
                "--app-key",
                "k",
                "--bind",
                "A",
                "--property",
                "x",
            ],
            &[
                "edge",
                "ws://h/x",
                "--app-key",
                "k",
                "--bind",
                "A",
                "--insecure",
                "--ca-cert",
                "c.pem",
            ],
            &["platform", "--app-key", "k", "--auth-timeout", "15"],
            &["platform", "--app-key", "k", "--tls-cert", "c.pem"],
            &["platform", "--app-key", "k", "--listen", "nowhere"],
            &["platform", "--app-key", ""],
            &["platform", "--app-key", "k", "--push-rule", "T=VALUE"],
            &["platform", "--app-key", "k", "--idle-timeout", "x"],
            &["platform"],
            &["decode", "00", "--file", "f"],
        ] {
            let e = parse(args).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{args:?}: {e}");
        }
    }
}
