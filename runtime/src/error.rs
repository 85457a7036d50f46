//! What can go wrong while a shell sets the engine up: opening the store, reading notifier
//! settings, reaching a notifier, loading demo data. Each shell maps these to its own form (the
//! server's start-up error, the CLI's exit codes), so the variants say whose fault it is:
//! [`RuntimeError::Config`] and [`RuntimeError::UnsupportedDatabase`] are the operator's input.

use merx_core::Error;

/// What can stop a shell from setting the engine up. Exhaustive on purpose: a new variant must
/// be given its meaning (input or failure) in every shell that maps it.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The database URL names a backend this build cannot open.
    #[error(
        "unsupported database url `{0}`: this build opens `memory:`, `sqlite://` and `postgres://`"
    )]
    UnsupportedDatabase(String),
    /// The store could not be opened.
    #[error("cannot open the store: {0}")]
    Store(String),
    /// The configuration is unusable.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// An event notifier could not be reached at start (a NATS server down).
    #[error("cannot reach an event notifier: {0}")]
    Notifier(String),
    /// The demo data could not be created.
    #[error("cannot load demo data: {0}")]
    Demo(#[from] Error),
}

/// `Result` with [`RuntimeError`].
pub type Result<T, E = RuntimeError> = std::result::Result<T, E>;
