//! # alwayson-cli
//!
//! The library half of the `alwayson` command-line tool: argument definitions, the JSON ⇄
//! InfoTable mapping ([`json`]), the ThingWorx-style REST interface of the platform emulator
//! ([`rest`]), hex input and error excerpts for `decode` ([`hex`]), and the demo transcript
//! ([`transcript`]). The binary (`src/main.rs`) wires them to the runtime.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod args;
pub mod cli;
pub mod decode;
pub mod hex;
pub mod json;
pub mod rest;
pub mod transcript;

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

/// Sets up logging to standard error: `RUST_LOG` if set, else `info` (or `debug` with
/// `-v`, `trace` with `-vv`) for this tool and the alwayson crates, `warn` for the rest.
pub fn init_logging(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let level = match verbose {
        0 => "info",
        1 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(format!(
            "warn,alwayson={level},alwayson_cli={level},alwayson_proto={level},alwayson_tokio={level}"
        ))
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(verbose > 0)
        .try_init();
}
