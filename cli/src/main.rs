//! `merx`: the Merx command line.
//!
//! A thin shell like the server: each command parses its input, calls a core service (or the
//! server's router for `serve`) on the store from `--database-url`, and prints the result as a
//! table or, with `--json`, as the core's own wire types. See `merx --help` for exit codes.
#![warn(missing_docs)]

mod cli;
mod commands;
mod config;
mod core_values;
mod error;
mod output;
mod store;

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{CommandFactory, FromArgMatches};

use crate::cli::Cli;
use crate::error::{CliError, EXIT_INPUT};

fn main() -> ExitCode {
    quiet_on_closed_stdout();
    let args: Vec<OsString> = std::env::args_os().collect();
    // Known before parsing, so that even a usage error answers in JSON when asked to.
    let json = args.iter().skip(1).any(|arg| arg == "--json");
    // The file's settings become the arguments' defaults, so it is read before parsing.
    let file = match config::file_named(&args)
        .map(|path| config::ConfigFile::read(&path))
        .transpose()
    {
        Ok(file) => file,
        Err(e) => return report(&e, json),
    };
    let command = match &file {
        Some(file) => match file.apply(Cli::command()) {
            Ok(command) => command,
            Err(e) => return report(&e, json),
        },
        None => Cli::command(),
    };
    let matches = match command.try_get_matches_from(&args) {
        Ok(matches) => matches,
        Err(e) => return usage_error(e, json),
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => return usage_error(e, json),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            return report(
                &CliError::Runtime(format!("cannot start the runtime: {e}")),
                json,
            )
        }
    };
    match runtime.block_on(commands::run(cli, &matches, file.as_ref())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => report(&e, json),
    }
}

/// Exit status of a process whose reader went away (128 + SIGPIPE), as `head` users expect.
const EXIT_CLOSED_PIPE: i32 = 141;

/// `merx products list | head -2`: when the reader closes the pipe, stop quietly with the
/// conventional status instead of panicking. Rust ignores SIGPIPE, so a write to a closed pipe
/// is an error that `println!` turns into a panic; this hook recognises that one panic (and
/// passes every other to the default hook). Catching it here covers every command's output
/// without threading a write error through each `println!`.
fn quiet_on_closed_stdout() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(EXIT_CLOSED_PIPE);
        }
        default_hook(info);
    }));
}

/// Help and version go to stdout with success; every other parse error is one line on stderr
/// with exit code 2.
fn usage_error(error: clap::Error, json: bool) -> ExitCode {
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
            if json {
                let body = merx_core::error::ErrorBody {
                    code: merx_core::ErrorCode::MalformedRequest,
                    message: format!("{message} (see `merx --help`)"),
                    details: None,
                };
                print_json_error(&body);
            } else {
                let _ = writeln!(std::io::stderr(), "error: {message} (see `merx --help`)");
            }
            ExitCode::from(EXIT_INPUT)
        }
    }
}

fn report(error: &CliError, json: bool) -> ExitCode {
    if json {
        print_json_error(&error.body());
    } else {
        let _ = writeln!(std::io::stderr(), "error: {error}");
    }
    error.exit_code()
}

fn print_json_error(body: &merx_core::error::ErrorBody) {
    let line = serde_json::to_string(body).unwrap_or_else(|_| {
        r#"{"code":"internal","message":"the error could not be encoded"}"#.into()
    });
    let _ = writeln!(std::io::stderr(), "{line}");
}
