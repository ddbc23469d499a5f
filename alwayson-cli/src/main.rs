//! `alwayson`: the command-line tool. See `alwayson --help` and alwayson-cli/README.md.
#![forbid(unsafe_code)]

use alwayson_cli::cli::{Cli, Command};
use alwayson_cli::{decode, demo, edge_cmd, init_logging, platform_cmd, CliError};
use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // clap prints usage errors itself and exits 2 (and 0 for --help / --version).
    let cli = Cli::parse();
    let quiet = matches!(cli.command, Command::Demo(_) | Command::Decode(_));
    init_logging(cli.verbose, quiet);
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
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::runtime(format!("cannot start the async runtime: {e}")))
}
