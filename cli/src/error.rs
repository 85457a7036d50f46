//! The CLI's one error type and its exit codes.
//!
//! Exit codes: `0` success; `2` bad input or usage (an unknown flag, a file that cannot be read
//! or parsed, an invalid value, an unknown id: the command as typed cannot succeed); `1` a
//! runtime failure (the database cannot be opened, a refused state change, a conflict, an I/O
//! error while writing). Every error is printed as one line, `error: <message>`, on stderr; with
//! `--json`, as one line of `{"code", "message", "details"}` JSON (the API's error body).

use std::process::ExitCode;

use merx_core::error::ErrorBody;
use merx_core::ErrorCode;

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad input: fix the command or its file and run it again (exit code 2).
    #[error("{0}")]
    Input(String),
    /// A file that is not JSON at all (exit code 2; `malformed_request` with `--json`, where a
    /// JSON file of the wrong shape is `validation_failed`, as in every shell).
    #[error("{0}")]
    Malformed(String),
    /// The command was valid but could not be carried out (exit code 1).
    #[error("{0}")]
    Runtime(String),
    /// The store named by `--database-url` cannot be opened or read (exit code 1).
    #[error("{0}")]
    Store(String),
    /// An error from the core; its code decides the exit code.
    #[error(transparent)]
    Core(#[from] merx_core::Error),
}

/// `Result` with [`CliError`].
pub type Result<T, E = CliError> = std::result::Result<T, E>;

/// Exit code for bad input and usage errors.
pub const EXIT_INPUT: u8 = 2;
/// Exit code for runtime failures.
pub const EXIT_RUNTIME: u8 = 1;

impl CliError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(match self {
            CliError::Input(_) | CliError::Malformed(_) => EXIT_INPUT,
            CliError::Runtime(_) | CliError::Store(_) => EXIT_RUNTIME,
            // 400 malformed, 404 not found, 422 breaks a rule: the input is at fault.
            CliError::Core(e) => match e.code().http_status() {
                400 | 404 | 422 => EXIT_INPUT,
                _ => EXIT_RUNTIME,
            },
        })
    }
}

impl CliError {
    /// The error as the wire's `{"code", "message", "details"}`, for `--json`: core errors keep
    /// their own code; the CLI's own map to the nearest code of the core's table.
    pub fn body(&self) -> ErrorBody {
        let (code, message) = match self {
            CliError::Core(e) => return e.to_body(),
            CliError::Input(message) => (ErrorCode::ValidationFailed, message),
            CliError::Malformed(message) => (ErrorCode::MalformedRequest, message),
            CliError::Store(message) => (ErrorCode::StorageUnavailable, message),
            CliError::Runtime(message) => (ErrorCode::Internal, message),
        };
        ErrorBody {
            code,
            message: message.clone(),
            details: None,
        }
    }
}

/// A bad flag is bad input (exit 2); an unreachable notifier or store is a runtime failure.
pub fn runtime_error(error: merx_runtime::RuntimeError) -> CliError {
    use merx_runtime::RuntimeError;
    match error {
        RuntimeError::Config(message) => CliError::Input(message),
        RuntimeError::UnsupportedDatabase(_) => CliError::Input(error.to_string()),
        RuntimeError::Demo(error) => CliError::Core(error),
        RuntimeError::Store(_) | RuntimeError::Notifier(_) => CliError::Runtime(error.to_string()),
    }
}

impl From<merx_core::store::StorageError> for CliError {
    fn from(error: merx_core::store::StorageError) -> Self {
        CliError::Core(error.into())
    }
}
