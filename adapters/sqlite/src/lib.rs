//! Merx stores on SQLite: every store trait of `merx-core` on one database file (or in memory).
//!
//! ```no_run
//! # async fn demo() -> merx_sqlite::Result<()> {
//! use merx_sqlite::SqliteStore;
//! let store = SqliteStore::open("sqlite://merx.db").await?; // or "sqlite::memory:"
//! # Ok(()) }
//! ```
//!
//! # Schema
//! Versioned migrations ([`migrations`]) run on open. Money and order quantities are exact decimal
//! text; stock is an integer of millionths of a unit so that checkout's decrement is one exact
//! conditional `UPDATE variants SET stock_micros = stock_micros - ?q WHERE id = ?v AND
//! (stock_micros >= ?q OR allow_backorder = 1)`, backed by `CHECK (stock_micros >= 0 OR
//! allow_backorder = 1)`. Emails are unique through a lowercased column; SKUs through a `NOCASE`
//! unique column. Read back, a stock quantity has no trailing zeros (`5.0` is returned as `5`,
//! an equal `Decimal`); every other value round-trips as written.
//!
//! # Connections and concurrency
//! rusqlite is synchronous, so statements never run on the async runtime: one writer thread owns
//! the only writing connection, and (for a file) four reader threads own `query_only`
//! connections. Callers send a job and await a oneshot reply, so the store works under any async
//! runtime. The database runs in WAL mode, so readers see the last committed state while the writer
//! works, and no lock is held across requests: each store method is one atomic unit. The writer
//! takes every job waiting in its queue and runs them in one `BEGIN IMMEDIATE` transaction, each
//! in its own savepoint (a failing job rolls back alone), commits once, and only then replies
//! (group commit). A 5 s busy timeout makes another process writing the same file (a CLI, a
//! migration) wait instead of fail. An in-memory database is a single connection, so its reads
//! also go to the writer thread.
//!
//! # Why this shape (measured; figures and commands in `BENCHMARKS.md`)
//! On the shared 2-core machine a checkout (two lines) costs about 150 to 200 µs of CPU on a WAL
//! file and sustains 2,400 to 3,000 checkouts/s with 8 callers even under a load average of 9.
//! - Group commit: under concurrency N checkouts share one commit, so hot pages (the variant rows,
//!   the index leaves) go to the log once per group: CPU per checkout 350 µs → 205 µs at 8
//!   callers. With one caller a group is one job and nothing changes.
//! - `temp_store = MEMORY`: a savepoint needs a statement journal, which SQLite otherwise creates
//!   and deletes as a temp file per transaction: 2,268 → 4,119 checkouts/s on tmpfs.
//! - Checkpoints on the writer's schedule (every 250 ms, after the group's replies): SQLite's
//!   automatic checkpoint runs inside the commit crossing 1,000 log pages and makes that caller,
//!   and the queue behind it, wait for two fsyncs: 1,429 → 2,402 checkouts/s at 8 callers.
//! - `synchronous = NORMAL` (in WAL: commits append to the log, fsync at checkpoints): durable
//!   against a process crash, which `tests/crash_recovery.rs` checks by SIGKILL; a power cut may
//!   lose the last commits, never consistency. `FULL` fsyncs every commit: 300 vs 1,197
//!   checkouts/s with one caller. [`Synchronous::Full`] is there for those who want it.
//! - `prepare_cached` for every statement (a cache of 128): parsing would otherwise dominate
//!   these short statements.

//! # Search
//! [`SearchStore`](merx_core::store::SearchStore) runs on an FTS5 table (`product_search`) whose
//! `name` column holds product names and SKUs and whose `body` column holds descriptions and
//! category names; see the `search` module.
#![warn(missing_docs)]

// One module per store trait, named as in merx-postgres; `codec` holds the column conversions,
// `workers` the writer and reader threads.
mod carts;
mod catalog;
mod codec;
mod events;
mod idempotency;
mod inventory;
pub mod migrations;
mod orders;
mod payments;
mod promotion_usage;
mod reviews;
mod search;
mod settings;
mod users;
mod workers;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use merx_core::clock::{Clock, SystemClock};
use merx_core::store::{StorageError, StorageResult};

use crate::workers::{Readers, Writer};

/// What opening a store can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The URL is not `sqlite://path`, `sqlite:path` or `sqlite::memory:`.
    #[error("`{0}` is not an SQLite URL (sqlite://path/to/merx.db or sqlite::memory:)")]
    InvalidUrl(String),
    /// SQLite refused an operation.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A migration failed; the database stays at the previous version.
    #[error("migration {version} failed: {source}")]
    Migration {
        /// The migration's version.
        version: u32,
        /// Why.
        source: rusqlite::Error,
    },
    /// The database was migrated by a newer Merx.
    #[error("the database is at schema version {found}; this build supports up to {supported}")]
    SchemaTooNew {
        /// The database's version.
        found: u32,
        /// The newest version this build knows.
        supported: u32,
    },
    /// The file could not be switched to write-ahead logging (some network file systems).
    #[error("journal_mode is `{0}`; the store needs WAL")]
    JournalMode(String),
    /// A database thread could not be started.
    #[error("could not start a database thread: {0}")]
    Thread(#[from] std::io::Error),
    /// A store operation failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where a store keeps its data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// A database file (created when missing).
    File(PathBuf),
    /// A private in-memory database, gone when the store is dropped.
    Memory,
}

impl Location {
    /// Parses `sqlite://path/to/merx.db` (relative), `sqlite:///abs/merx.db`, `sqlite:merx.db` or
    /// `sqlite::memory:`.
    pub fn parse(url: &str) -> Result<Location> {
        let rest = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .ok_or_else(|| Error::InvalidUrl(url.to_string()))?;
        match rest {
            ":memory:" => Ok(Location::Memory),
            "" => Err(Error::InvalidUrl(url.to_string())),
            path => Ok(Location::File(PathBuf::from(path))),
        }
    }
}

/// When a commit reaches the disk (SQLite's `synchronous` setting, in WAL mode).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Synchronous {
    /// A commit is appended to the log without waiting for the disk; the log is synced at
    /// checkpoints. Survives a process crash; a power cut may lose the last commits but never
    /// consistency.
    #[default]
    Normal,
    /// Every commit waits for the disk.
    Full,
}

/// How a store is opened.
#[derive(Clone, Debug)]
pub struct SqliteOptions {
    /// Stamps the events the store makes itself.
    pub clock: Arc<dyn Clock>,
    /// Reader connections for a file database (at least one).
    pub readers: usize,
    /// How long a statement waits for another process's lock before failing.
    pub busy_timeout: Duration,
    /// When commits reach the disk.
    pub synchronous: Synchronous,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            clock: Arc::new(SystemClock),
            readers: 4,
            busy_timeout: Duration::from_secs(5),
            synchronous: Synchronous::Normal,
        }
    }
}

/// Every Merx store trait on one SQLite database. Cheap to clone (clones share the connections).
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    clock: Arc<dyn Clock>,
    location: Location,
    writer: Writer,
    /// `None` in memory, where the writer's connection is the only one.
    readers: Option<Readers>,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("location", &self.inner.location)
            .finish_non_exhaustive()
    }
}

/// Statements kept prepared per connection; more than the store's distinct statements.
const STATEMENT_CACHE: usize = 128;

fn configure(conn: &Connection, options: &SqliteOptions) -> rusqlite::Result<()> {
    conn.busy_timeout(options.busy_timeout)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    // Statement journals (one per savepoint and constraint-checked statement) stay in memory
    // instead of a temp file created and deleted per transaction.
    conn.execute_batch("PRAGMA temp_store = MEMORY;")?;
    conn.execute_batch(match options.synchronous {
        Synchronous::Normal => "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
        Synchronous::Full => "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;",
    })?;
    Ok(())
}

fn open_writer(location: &Location, options: &SqliteOptions) -> Result<Connection> {
    let mut conn = match location {
        Location::Memory => Connection::open_in_memory()?,
        Location::File(path) => Connection::open(path)?,
    };
    configure(&conn, options)?;
    if let Location::File(_) = location {
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::JournalMode(mode));
        }
        // The writer thread checkpoints on its own schedule; the automatic checkpoint stays as a
        // backstop, and a log grown by a burst is truncated back to 64 MiB once it restarts.
        conn.execute_batch(
            "PRAGMA wal_autocheckpoint = 10000; PRAGMA journal_size_limit = 67108864;",
        )?;
    }
    migrations::apply_migrations(&mut conn)?;
    Ok(conn)
}

fn open_reader(path: &PathBuf, options: &SqliteOptions) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    configure(&conn, options)?;
    conn.execute_batch("PRAGMA query_only = ON;")?;
    Ok(conn)
}

impl SqliteStore {
    /// Opens (creating and migrating when needed) the database at `url`: `sqlite://path/to/merx.db`
    /// or `sqlite::memory:`.
    pub async fn open(url: &str) -> Result<SqliteStore> {
        SqliteStore::open_with(url, SqliteOptions::default()).await
    }

    /// A fresh private in-memory store.
    pub async fn open_in_memory() -> Result<SqliteStore> {
        SqliteStore::open_location(Location::Memory, SqliteOptions::default()).await
    }

    /// Opens `url` with explicit options.
    pub async fn open_with(url: &str, options: SqliteOptions) -> Result<SqliteStore> {
        SqliteStore::open_location(Location::parse(url)?, options).await
    }

    /// Opens a [`Location`] with explicit options.
    pub async fn open_location(location: Location, options: SqliteOptions) -> Result<SqliteStore> {
        // Opening and migrating touch the disk: do it on a thread of its own, then hand the
        // connection to the writer thread.
        let (reply, opened) = tokio::sync::oneshot::channel();
        let (for_thread, options_for_thread) = (location.clone(), options.clone());
        std::thread::Builder::new()
            .name("merx-sqlite-open".into())
            .spawn(move || {
                let result = (|| {
                    let writer = open_writer(&for_thread, &options_for_thread)?;
                    let readers = match &for_thread {
                        Location::Memory => None,
                        Location::File(path) => Some(
                            (0..options_for_thread.readers.max(1))
                                .map(|_| open_reader(path, &options_for_thread))
                                .collect::<Result<Vec<_>>>()?,
                        ),
                    };
                    Ok::<_, Error>((writer, readers))
                })();
                let _ = reply.send(result);
            })?;
        let on_disk = matches!(location, Location::File(_));
        let (writer, readers) = opened.await.map_err(|_| {
            Error::Storage(StorageError::backend_message("the opening thread stopped"))
        })??;
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                clock: options.clock,
                location,
                writer: Writer::start(writer, on_disk)?,
                readers: readers.map(Readers::start).transpose()?,
            }),
        })
    }

    /// Where the data lives.
    pub fn location(&self) -> &Location {
        &self.inner.location
    }

    /// The schema version of the open database.
    pub async fn schema_version(&self) -> Result<u32> {
        Ok(self
            .read(|tx| migrations::schema_version(tx).map_err(StorageError::backend))
            .await?)
    }

    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.inner.clock.now()
    }

    /// Runs `work` atomically on the writer thread (in the next group commit); its changes are
    /// kept when it returns `Ok` and rolled back otherwise.
    async fn write<T, F>(&self, work: F) -> StorageResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StorageResult<T> + Send + 'static,
    {
        self.inner.writer.run(work).await
    }

    /// Runs `work` in one read transaction (a consistent snapshot) on a reader thread, or on the
    /// writer's connection in memory.
    async fn read<T, F>(&self, work: F) -> StorageResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StorageResult<T> + Send + 'static,
    {
        match &self.inner.readers {
            Some(readers) => {
                readers
                    .run(move |conn| {
                        let tx = conn
                            .transaction_with_behavior(TransactionBehavior::Deferred)
                            .map_err(StorageError::backend)?;
                        work(&tx)
                    })
                    .await
            }
            None => self.inner.writer.run(work).await,
        }
    }
}

/// Maps an SQLite error to a backend error.
pub(crate) fn backend(err: rusqlite::Error) -> StorageError {
    StorageError::backend(err)
}

/// Whether an error is a UNIQUE or PRIMARY KEY violation.
pub(crate) fn is_unique_violation(err: &rusqlite::Error) -> bool {
    matches!(
        err,
        rusqlite::Error::SqliteFailure(e, _)
            if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}

/// Whether an error is a CHECK violation.
pub(crate) fn is_check_violation(err: &rusqlite::Error) -> bool {
    matches!(
        err,
        rusqlite::Error::SqliteFailure(e, _)
            if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_CHECK
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_a_file_or_memory() {
        assert_eq!(
            Location::parse("sqlite::memory:").unwrap(),
            Location::Memory
        );
        assert_eq!(
            Location::parse("sqlite://data/merx.db").unwrap(),
            Location::File("data/merx.db".into())
        );
        assert_eq!(
            Location::parse("sqlite:///var/lib/merx.db").unwrap(),
            Location::File("/var/lib/merx.db".into())
        );
        assert_eq!(
            Location::parse("sqlite:merx.db").unwrap(),
            Location::File("merx.db".into())
        );
        assert!(Location::parse("postgres://x").is_err());
        assert!(Location::parse("sqlite://").is_err());
    }
}
