//! `alwayson ems --config config.json`: the EMS-compatible gateway of [`alwayson_ems`].

use crate::cli::EmsArgs;
use crate::{shutdown_signal, CliError, EXIT_USAGE};
use alwayson_ems::{Config, Gateway};

/// Reads the configuration; prints one `warning:` line per ignored key on standard error.
/// A bad value is a usage error (exit 2) naming the key and the file.
pub fn load(args: &EmsArgs) -> Result<Config, CliError> {
    let (config, warnings) = Config::load(&args.config).map_err(|e| CliError {
        code: EXIT_USAGE,
        message: e.to_string(),
    })?;
    for w in &warnings {
        eprintln!("warning: {}: {w}", args.config.display());
    }
    Ok(config)
}

/// Runs the gateway until Ctrl-C or SIGTERM (then UNBINDs everything and exits 0). The
/// first line on standard output is `listening on http[s]://HOST:PORT`.
pub async fn run(config: Config) -> Result<(), CliError> {
    let platform = config.platform_url();
    let gateway = Gateway::start(config)
        .await
        .map_err(|e| CliError::runtime(e.to_string()))?;
    println!("listening on {}", gateway.url());
    tracing::info!(%platform, "gateway started; connecting to the platform");
    shutdown_signal().await;
    tracing::info!("shutting down");
    gateway.shutdown().await;
    Ok(())
}
