//! Opening a store from a database URL: the one place that knows which backends exist.
//!
//! `memory:` is the in-process store (data lives as long as the process); `postgres://` (or
//! `postgresql://`) connects to PostgreSQL and applies its migrations. `sqlite://` is added here
//! when the SQLite adapter joins the workspace.

use std::sync::Arc;

use merx_core::clock::Clock;
use merx_core::store::memory::MemoryStore;
use merx_core::store::Store;
use merx_postgres::PgStore;

use crate::error::{Result, ServerError};

/// The store a URL names.
pub async fn open_store(url: &str, clock: Arc<dyn Clock>) -> Result<Arc<dyn Store>> {
    match url.split_once(':').map(|(scheme, _)| scheme) {
        Some("memory") => Ok(Arc::new(MemoryStore::new(clock))),
        Some("postgres" | "postgresql") => PgStore::connect(url)
            .await
            .map(|store| Arc::new(store) as Arc<dyn Store>)
            .map_err(|e| ServerError::Store(e.to_string())),
        _ => Err(ServerError::UnsupportedDatabase(url.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use merx_core::clock::SystemClock;

    #[tokio::test]
    async fn memory_opens_and_unknown_schemes_are_refused() {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        open_store("memory:", clock.clone()).await.unwrap();
        assert!(matches!(
            open_store("mysql://localhost/shop", clock).await,
            Err(ServerError::UnsupportedDatabase(_))
        ));
    }
}
