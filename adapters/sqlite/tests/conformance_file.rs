//! The core's store conformance suite, unchanged, on WAL database files with the writer thread
//! and the reader pool: the concurrency checks (64 checkouts racing for 10 units, coupon races,
//! single-use tokens) run against real separate connections here.

use std::path::PathBuf;
use std::sync::OnceLock;

use merx_sqlite::SqliteStore;

/// A directory under Cargo's per-target temp dir, emptied once per run: each check gets a fresh
/// database file in it, and at most one run's files are left behind.
fn databases() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sqlite-conformance");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the database directory");
        dir
    })
}

merx_core::conformance_tests!(|| async {
    let path = databases().join(format!("{}.db", uuid_like()));
    SqliteStore::open(&format!("sqlite://{}", path.display()))
        .await
        .expect("open a file store")
});

/// A name unique within the run.
fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("check-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}
