//! The core's store conformance suite, unchanged, on a private in-memory SQLite database.

use merx_sqlite::SqliteStore;

merx_core::conformance_tests!(|| async {
    SqliteStore::open_in_memory()
        .await
        .expect("open an in-memory store")
});
