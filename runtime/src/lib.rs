//! Merx runtime: what every native shell needs around the core and nothing HTTP-specific.
//!
//! The core has no async runtime and no I/O (it compiles to wasm32), so it takes time, sleeping
//! and password hashing as injected traits; this crate gives their tokio implementations
//! ([`TokioSleeper`], [`BlockingPoolHasher`], [`system_clock`]) and the other pieces the REST
//! server and the `merx` command share: opening a store from a URL ([`store_url`]), delivering
//! the outbox to webhooks, NATS or the log ([`notify`]), the demo shop ([`demo`]) and the JSON
//! shape of recommendation lists ([`recommendations`]). With them here the CLI depends on the
//! server crate only to serve HTTP, and the server keeps only what is about HTTP.
#![warn(missing_docs)]

pub mod demo;
pub mod error;
pub mod notify;
pub mod recommendations;
pub mod store_url;

use std::sync::Arc;
use std::time::Duration;

use merx_core::clock::{Clock, SystemClock};
use merx_core::payment::Sleeper;
use merx_core::user::{PasswordHasher, PasswordHashing};

pub use crate::error::{Result, RuntimeError};

/// The operating system's clock, as the services take it. Native shells all run on it; tests
/// and the demo history pass a [`merx_core::clock::FixedClock`] instead.
pub fn system_clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

/// Sleeps on the tokio timer; the payment processor's retries back off through it.
#[derive(Clone, Copy, Debug, Default)]
pub struct TokioSleeper;

#[async_trait::async_trait]
impl Sleeper for TokioSleeper {
    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

/// Runs argon2 on tokio's blocking pool. A hash or verification takes tens of milliseconds of CPU
/// on purpose; done on a runtime worker, it holds up every other request that worker serves. In
/// the server's `tests/hashing.rs` (single-threaded runtime, 32 MiB x 4 passes), three concurrent
/// sign-ins kept `/healthz` waiting 680 ms when hashed in place; on the blocking pool it answers
/// first.
#[derive(Clone, Copy, Debug, Default)]
pub struct BlockingPoolHasher;

impl BlockingPoolHasher {
    async fn run<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
        match tokio::task::spawn_blocking(work).await {
            Ok(value) => value,
            // A panic while hashing is a bug; surface it where the request runs, where the
            // server's panic layer answers 500, instead of inventing an error for it.
            Err(joined) if joined.is_panic() => std::panic::resume_unwind(joined.into_panic()),
            Err(joined) => panic!("password hashing was cancelled: {joined}"),
        }
    }
}

#[async_trait::async_trait]
impl PasswordHasher for BlockingPoolHasher {
    async fn hash(&self, hashing: PasswordHashing, password: String) -> merx_core::Result<String> {
        Self::run(move || hashing.hash(&password)).await
    }

    async fn verify(&self, password: String, phc: String) -> bool {
        Self::run(move || PasswordHashing::verify(&password, &phc)).await
    }
}

/// Resolves on Ctrl-C or SIGTERM: how a server or a relay job is told to stop.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}
