//! `alwayson`: the command-line tool. See `alwayson --help` and alwayson-cli/README.md.
#![forbid(unsafe_code)]

use alwayson_cli::cli::{Cli, Command};
use alwayson_cli::{decode, init_logging, CliError};
use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // clap prints usage errors itself and exits 2 (and 0 for --help / --version).
    let cli = Cli::parse();
    init_logging(cli.verbose);
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
        Command::Demo(_) | Command::Platform(_) | Command::Edge(_) => Err(CliError::runtime(
            "this command needs the alwayson-tokio runtime, which is not wired up yet",
        )),
    }
}
