//! Opening the store a `--database-url` names.
//!
//! `sqlite://path` (or `sqlite:path`, `sqlite::memory:`) opens the SQLite adapter; every other
//! scheme goes to the server's [`open_store`], which knows `memory:` and `postgres://`. The
//! server's opener does not know SQLite yet (its adapter landed on main after the server
//! branched), so the CLI adds it here rather than editing the server crate.

use std::sync::Arc;

use merx_core::clock::{Clock, SystemClock};
use merx_core::store::Store;
use merx_server::store_url::open_store as open_server_store;
use merx_server::ServerError;
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
        other => CliError::Runtime(format!("cannot open `{url}`: {other}")),
    })
}

/// Opens the store `url` names.
pub async fn open(url: &str) -> Result<Arc<dyn Store>> {
    if is_sqlite(url) {
        return Ok(Arc::new(open_sqlite(url).await?));
    }
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    open_server_store(url, clock).await.map_err(|e| match e {
        ServerError::UnsupportedDatabase(_) => CliError::Input(format!(
            "unsupported database URL `{url}`: use sqlite://PATH, postgres://... or memory:"
        )),
        other => CliError::Runtime(format!("cannot open `{url}`: {other}")),
    })
}
