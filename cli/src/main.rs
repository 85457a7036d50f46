//! `merx`: the Merx command line.
//!
//! A thin shell like the server: each command parses its input, calls a core service (or the
//! server's router for `serve`) on the store from `--database-url`, and prints the result as a
//! table or, with `--json`, as the core's own wire types. See `merx --help` for exit codes.
#![warn(missing_docs)]

mod cli;
mod commands;
mod core_values;
mod error;
mod output;
mod store;

use std::io::Write;
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::Parser;

use crate::cli::Cli;
use crate::error::{CliError, EXIT_INPUT};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return report(&CliError::Runtime(format!("cannot start the runtime: {e}"))),
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => report(&e),
    }
}

/// Help and version go to stdout with success; every other parse error is one line on stderr
/// with exit code 2.
fn usage_error(error: clap::Error) -> ExitCode {
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = error.print();
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = error.print();
            ExitCode::from(EXIT_INPUT)
        }
        _ => {
            // clap's message is its first paragraph (a list, such as missing arguments, is
            // indented under it); usage and tips follow a blank line.
            let text = error.to_string();
            let paragraph: Vec<&str> = text
                .lines()
                .take_while(|line| !line.trim().is_empty())
                .map(str::trim)
                .collect();
            let joined = paragraph.join(" ");
            let message = joined.strip_prefix("error: ").unwrap_or(&joined);
            let _ = writeln!(std::io::stderr(), "error: {message} (see `merx --help`)");
            ExitCode::from(EXIT_INPUT)
        }
    }
}

fn report(error: &CliError) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "error: {error}");
    error.exit_code()
}
