//! `alwayson`: the command-line tool. See `alwayson --help` and alwayson-cli/README.md.
#![forbid(unsafe_code)]

use alwayson_cli::cli::{Cli, Command};
use alwayson_cli::{decode, demo, edge_cmd, ems_cmd, init_logging, platform_cmd, CliError};
use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // clap prints usage errors itself and exits 2 (and 0 for --help / --version).
    let cli = Cli::parse();
    let quiet = matches!(cli.command, Command::Demo(_) | Command::Decode(_));
    // `ems` sets its log level from its configuration file, read first.
    if !matches!(cli.command, Command::Ems(_)) {
        init_logging(cli.verbose, quiet);
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}

fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Decode(args) => {
            let bytes = decode::read_input(&args.hex, args.file.as_deref())?;
            println!("{}", decode::render(&bytes)?);
            Ok(())
        }
        Command::Demo(args) => runtime()?.block_on(demo::run(args, std::io::stdout())),
        Command::Platform(args) => runtime()?.block_on(platform_cmd::run(args)),
        Command::Edge(args) => runtime()?.block_on(edge_cmd::run(args)),
        Command::Ems(args) => {
            let config = ems_cmd::load(&args)?;
            alwayson_cli::init_logging_with(cli.verbose, false, config.log_filter());
            runtime()?.block_on(ems_cmd::run(config))
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::runtime(format!("cannot start the async runtime: {e}")))
}
