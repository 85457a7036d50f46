//! Opening the store a `--database-url` names.
//!
//! The runtime's [`open_store`] is the one place that knows the backends (`sqlite://`,
//! `postgres://`, `memory:`); the server uses it too, so `merx serve`, `merx-server` and the admin
//! commands open a URL the same way. `migrate` also opens SQLite directly, to read its schema version.

use std::sync::Arc;

use merx_core::clock::{Clock, SystemClock};
use merx_core::store::Store;
use merx_runtime::store_url::open_store;
use merx_runtime::RuntimeError;
use merx_sqlite::SqliteStore;

use crate::error::{CliError, Result};

/// Whether `url` names a SQLite database.
pub fn is_sqlite(url: &str) -> bool {
    url.starts_with("sqlite:")
}

/// Opens a SQLite store, creating and migrating the file when needed.
pub async fn open_sqlite(url: &str) -> Result<SqliteStore> {
    SqliteStore::open(url).await.map_err(|e| match e {
        merx_sqlite::Error::InvalidUrl(_) => {
            CliError::Input(format!("invalid database URL `{url}`: {e}"))
        }
        other => CliError::Store(format!("cannot open `{url}`: {other}")),
    })
}

/// Opens the store `url` names.
pub async fn open(url: &str) -> Result<Arc<dyn Store>> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    open_store(url, clock).await.map_err(|e| match e {
        RuntimeError::UnsupportedDatabase(_) => CliError::Input(format!(
            "unsupported database URL `{url}`: use sqlite://PATH, postgres://... or memory:"
        )),
        // The PostgreSQL adapter names the server (without its password) and why it is out of
        // reach; repeating the URL would only print the password.
        RuntimeError::Store(reason) if reason.starts_with("cannot connect to ") => {
            CliError::Store(reason)
        }
        RuntimeError::Store(reason) => CliError::Store(format!("cannot open `{url}`: {reason}")),
        other => CliError::Store(format!("cannot open `{url}`: {other}")),
    })
}
