//! Opening a store from a database URL: the one place that knows which backends exist.
//!
//! `memory:` is the in-process store (data lives as long as the process); `sqlite://path` opens
//! (and migrates) an embedded SQLite file; `postgres://` (or `postgresql://`) connects to
//! PostgreSQL and applies its migrations.

use std::sync::Arc;

use merx_core::clock::Clock;
use merx_core::store::memory::MemoryStore;
use merx_core::store::Store;
use merx_postgres::PgStore;
use merx_sqlite::SqliteStore;

use crate::error::{Result, RuntimeError};

/// The store a URL names.
pub async fn open_store(url: &str, clock: Arc<dyn Clock>) -> Result<Arc<dyn Store>> {
    match url.split_once(':').map(|(scheme, _)| scheme) {
        Some("memory") => Ok(Arc::new(MemoryStore::new(clock))),
        Some("sqlite") => SqliteStore::open(url)
            .await
            .map(|store| Arc::new(store) as Arc<dyn Store>)
            .map_err(|e| RuntimeError::Store(e.to_string())),
        Some("postgres" | "postgresql") => PgStore::connect(url)
            .await
            .map(|store| Arc::new(store) as Arc<dyn Store>)
            .map_err(|e| RuntimeError::Store(e.to_string())),
        _ => Err(RuntimeError::UnsupportedDatabase(url.to_string())),
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
        let dir = std::env::temp_dir().join(format!("merx-open-store-{}.db", uuid::Uuid::new_v4()));
        let url = format!("sqlite://{}", dir.display());
        let store = open_store(&url, clock.clone()).await.unwrap();
        store.list_categories().await.unwrap();
        drop(store);
        let _ = std::fs::remove_file(&dir);
        assert!(matches!(
            open_store("mysql://localhost/shop", clock).await,
            Err(RuntimeError::UnsupportedDatabase(_))
        ));
    }
}
