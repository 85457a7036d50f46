//! The threads that own the connections.
//!
//! rusqlite is synchronous, so no statement runs on an async worker thread: callers send a boxed
//! job to a thread that owns a connection and await a oneshot reply, so an async runtime never
//! blocks and the store works under any runtime.
//!
//! [`Writer`]: one thread owns the only connection that writes, and commits in groups. It takes
//! every job waiting in its queue (up to [`MAX_GROUP`]), runs them one after another inside one
//! `BEGIN IMMEDIATE` transaction, each job inside its own savepoint, and commits once. A job that
//! fails (or panics) is rolled back to its savepoint alone, so every job stays atomic and
//! independent; replies are sent only after the commit, so no caller sees success for a write that
//! did not reach the database. Under load this turns N commits (N WAL appends of the same hot pages
//! and N lock round trips) into one; with a single caller a group is one job and nothing changes.
//!
//! The writer also checkpoints the log, on its own schedule (see [`CHECKPOINT_PERIOD`]).
//!
//! [`Readers`]: a few threads, each with a `query_only` connection, take jobs from one queue.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use rusqlite::Connection;
use tokio::sync::oneshot;

use merx_core::store::{StorageError, StorageResult};

/// How often the writer copies the write-ahead log back into the database file.
///
/// A checkpoint fsyncs the log and the database file. SQLite's automatic checkpoint runs inside
/// the commit that crosses 1000 log pages, which under load means every few dozen checkouts and a
/// caller waiting on two fsyncs each time. The writer instead checkpoints itself at most every
/// 250 ms, after a group's replies have gone out; being the only writer, its passive checkpoint
/// copies the whole log, so the next commit starts the log again from its beginning.
const CHECKPOINT_PERIOD: Duration = Duration::from_millis(250);

/// Most jobs committed together.
pub(crate) const MAX_GROUP: usize = 128;

/// Sends a job's result once the fate of its group is known: `Ok` when committed.
type Completion = Box<dyn FnOnce(Result<(), String>) + Send>;
type WriteJob = Box<dyn FnOnce(&Connection) -> Completion + Send>;
type ReadJob = Box<dyn FnOnce(&mut Connection) + Send>;

fn stopped() -> StorageError {
    StorageError::backend_message("the database thread has stopped")
}

fn panicked() -> StorageError {
    StorageError::backend_message("a database job panicked; its changes were rolled back")
}

fn exec(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([])?;
    Ok(())
}

/// Runs `work` inside a savepoint: released on success, rolled back on error or panic.
fn in_savepoint<T>(
    conn: &Connection,
    work: impl FnOnce(&Connection) -> StorageResult<T>,
) -> StorageResult<T> {
    exec(conn, "SAVEPOINT merx_job").map_err(StorageError::backend)?;
    let result = catch_unwind(AssertUnwindSafe(|| work(conn))).unwrap_or_else(|_| Err(panicked()));
    let closed = match &result {
        Ok(_) => exec(conn, "RELEASE merx_job"),
        Err(_) => exec(conn, "ROLLBACK TO merx_job").and_then(|()| exec(conn, "RELEASE merx_job")),
    };
    match closed {
        Ok(()) => result,
        Err(e) => Err(StorageError::backend(e)),
    }
}

/// The writing connection's thread.
#[derive(Debug)]
pub(crate) struct Writer {
    queue: mpsc::Sender<WriteJob>,
}

impl Writer {
    /// Starts the thread; it stops when the `Writer` is dropped and its queue is done.
    /// `checkpoints` is false for an in-memory database, which has no log.
    pub(crate) fn start(conn: Connection, checkpoints: bool) -> std::io::Result<Writer> {
        let (queue, jobs) = mpsc::channel::<WriteJob>();
        thread::Builder::new()
            .name("merx-sqlite-writer".into())
            .spawn(move || {
                let mut last_checkpoint = Instant::now();
                while let Ok(first) = jobs.recv() {
                    let mut group = vec![first];
                    while group.len() < MAX_GROUP {
                        match jobs.try_recv() {
                            Ok(job) => group.push(job),
                            Err(_) => break,
                        }
                    }
                    commit_group(&conn, group);
                    if checkpoints && last_checkpoint.elapsed() >= CHECKPOINT_PERIOD {
                        // After the group's replies are sent: its callers do not wait for it. A
                        // busy or failed checkpoint is retried next period; the log stays valid.
                        let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                        last_checkpoint = Instant::now();
                    }
                }
            })?;
        Ok(Writer { queue })
    }

    /// Runs `work` atomically in the next group commit and returns its result once committed.
    pub(crate) async fn run<T, F>(&self, work: F) -> StorageResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StorageResult<T> + Send + 'static,
    {
        let (reply, outcome) = oneshot::channel();
        let job: WriteJob = Box::new(move |conn| {
            let result = in_savepoint(conn, work);
            Box::new(move |committed| {
                let result = match committed {
                    Ok(()) => result,
                    Err(message) => Err(StorageError::backend_message(message)),
                };
                // The caller may have stopped waiting; the outcome stands either way.
                let _ = reply.send(result);
            })
        });
        self.queue.send(job).map_err(|_| stopped())?;
        outcome.await.map_err(|_| stopped())?
    }
}

fn commit_group(conn: &Connection, group: Vec<WriteJob>) {
    if exec(conn, "BEGIN IMMEDIATE").is_err() {
        // No group transaction (another process holds the lock past the busy timeout): each job's
        // savepoint becomes its own transaction and commits (or fails) alone.
        for job in group {
            job(conn)(Ok(()));
        }
        return;
    }
    let completions: Vec<Completion> = group.into_iter().map(|job| job(conn)).collect();
    let committed = exec(conn, "COMMIT").map_err(|e| {
        let _ = exec(conn, "ROLLBACK");
        format!("commit failed: {e}")
    });
    for complete in completions {
        complete(committed.clone());
    }
}

/// The reading connections' threads.
#[derive(Debug)]
pub(crate) struct Readers {
    queue: mpsc::Sender<ReadJob>,
}

impl Readers {
    /// Starts one thread per connection, all taking jobs from one queue.
    pub(crate) fn start(connections: Vec<Connection>) -> std::io::Result<Readers> {
        let (queue, jobs) = mpsc::channel::<ReadJob>();
        let jobs = Arc::new(Mutex::new(jobs));
        for (n, mut conn) in connections.into_iter().enumerate() {
            let jobs = jobs.clone();
            thread::Builder::new()
                .name(format!("merx-sqlite-reader-{n}"))
                .spawn(move || loop {
                    // The lock is held while waiting for a job, never while running one.
                    let next = jobs.lock().unwrap_or_else(PoisonError::into_inner).recv();
                    let Ok(job) = next else { break };
                    job(&mut conn);
                })?;
        }
        Ok(Readers { queue })
    }

    /// Runs `work` on a reader thread and returns its result.
    pub(crate) async fn run<T, F>(&self, work: F) -> StorageResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StorageResult<T> + Send + 'static,
    {
        let (reply, outcome) = oneshot::channel();
        let job: ReadJob = Box::new(move |conn| {
            let result =
                catch_unwind(AssertUnwindSafe(|| work(conn))).unwrap_or_else(|_| Err(panicked()));
            let _ = reply.send(result);
        });
        self.queue.send(job).map_err(|_| stopped())?;
        outcome.await.map_err(|_| stopped())?
    }
}
