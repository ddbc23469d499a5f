//! # alwayson-cli
//!
//! The library half of the `alwayson` command-line tool: argument definitions, the JSON ⇄
//! InfoTable mapping ([`json`], from `alwayson-rest`), the platform emulator with its thing
//! model and ThingWorx-style REST interface ([`emulator`]), hex input and error excerpts for `decode` ([`hex`]), and the demo transcript
//! ([`transcript`]), the emulator's live page ([`ui`]), and the commands that run on `alwayson-tokio` ([`demo`],
//! [`platform_cmd`], [`edge_cmd`]). The binary (`src/main.rs`) only parses and dispatches.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod args;
pub mod cli;
pub mod decode;
pub mod demo;
pub mod edge_cmd;
pub mod ems_cmd;
pub mod emulator;
pub mod hex;
pub mod platform_cmd;

/// The JSON ⇄ InfoTable mapping, from [`alwayson_rest`].
pub use alwayson_rest::json;
pub mod transcript;
pub mod ui;

use std::fmt;
use std::process::ExitCode;

/// Exit code: success.
pub const EXIT_OK: u8 = 0;
/// Exit code: runtime error.
pub const EXIT_RUNTIME: u8 = 1;
/// Exit code: usage error (clap uses 2 itself).
pub const EXIT_USAGE: u8 = 2;
/// Exit code: the platform refused the credentials.
pub const EXIT_AUTH_REFUSED: u8 = 3;
/// Exit code: the platform could not be reached.
pub const EXIT_UNREACHABLE: u8 = 4;
/// Exit code: the platform refused the BIND of a thing (`alwayson edge`).
pub const EXIT_BIND_REFUSED: u8 = 5;

/// A failure that ends the program: one message for standard error and an exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    /// Exit code (one of the `EXIT_*` constants).
    pub code: u8,
    /// What went wrong, for a person.
    pub message: String,
}

impl CliError {
    /// A runtime error (exit 1).
    pub fn runtime(message: impl Into<String>) -> Self {
        Self {
            code: EXIT_RUNTIME,
            message: message.into(),
        }
    }

    /// Refused credentials (exit 3).
    pub fn auth_refused(message: impl Into<String>) -> Self {
        Self {
            code: EXIT_AUTH_REFUSED,
            message: message.into(),
        }
    }

    /// Unreachable platform (exit 4).
    pub fn unreachable(message: impl Into<String>) -> Self {
        Self {
            code: EXIT_UNREACHABLE,
            message: message.into(),
        }
    }

    /// The process exit code.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.code)
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// Waits for Ctrl-C or (on Unix) SIGTERM.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Sets up logging to standard error. `RUST_LOG` wins if set; otherwise `quiet = false`
/// logs this tool at `info` and the alwayson libraries at `warn` (their connection events are
/// logged by this tool in its own words), `quiet = true` (the demo, whose output is the
/// transcript) logs only warnings; `-v` raises everything alwayson to `debug`, `-vv` to
/// `trace`. Colours only on a terminal.
pub fn init_logging(verbose: u8, quiet: bool) {
    init_logging_with(verbose, quiet, None)
}

/// [`init_logging`] with a configured level (`alwayson ems`'s `logger.level`) for the tool
/// and the libraries when neither `-v` nor `RUST_LOG` is given.
pub fn init_logging_with(verbose: u8, quiet: bool, level: Option<&str>) {
    use std::io::IsTerminal as _;
    use tracing_subscriber::EnvFilter;
    let (tool, libs) = match (verbose, quiet) {
        (0, _) if level.is_some() => (level.unwrap_or("info"), level.unwrap_or("warn")),
        (0, false) => ("info", "warn"),
        (0, true) => ("warn", "warn"),
        (1, _) => ("debug", "debug"),
        _ => ("trace", "trace"),
    };
    // Each websocket close is one INFO record of the library's, with its cause: shown at
    // the tool's level (the tool does not log closes itself).
    let close = alwayson_tokio::CLOSE_LOG_TARGET;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(format!(
            "warn,alwayson={tool},alwayson_cli={tool},alwayson_ems={tool},alwayson_proto={libs},alwayson_async={libs},alwayson_tokio={libs},{close}={tool}"
        ))
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(verbose > 0)
        .try_init();
}
