//! Opening a store from a database URL: the one place that knows which backends exist.
//!
//! `memory:` is the in-process store (data lives as long as the process). `sqlite://` and
//! `postgres://` are added here when their adapter crates join the workspace.

use std::sync::Arc;

use merx_core::clock::Clock;
use merx_core::store::memory::MemoryStore;
use merx_core::store::Store;

use crate::error::{Result, ServerError};

/// The store a URL names.
pub async fn open_store(url: &str, clock: Arc<dyn Clock>) -> Result<Arc<dyn Store>> {
    match url.split_once(':').map(|(scheme, _)| scheme) {
        Some("memory") => Ok(Arc::new(MemoryStore::new(clock))),
        _ => Err(ServerError::UnsupportedDatabase(url.to_string())),
    }
}
