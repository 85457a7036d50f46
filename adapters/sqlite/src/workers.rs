//! The threads that own the connections.
//!
//! rusqlite is synchronous, so no statement runs on an async worker thread. One writer thread owns
//! the only connection that writes; reader threads each own a `query_only` connection and take jobs
//! from a shared queue. A caller sends a boxed job and awaits a oneshot reply, so an async runtime
//! never blocks, the store works under any runtime, and concurrent writers queue in memory instead
//! of spinning on `SQLITE_BUSY`. A job that panics is reported as a backend error and the thread
//! keeps serving (the panic unwinds through the job's transaction, which rolls back).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;

use rusqlite::Connection;
use tokio::sync::oneshot;

use merx_core::store::{StorageError, StorageResult};

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// A queue of jobs served by one or more threads, each with its own connection.
#[derive(Debug)]
pub(crate) struct Workers {
    queue: mpsc::Sender<Job>,
}

impl Workers {
    /// Starts one thread per connection; all take jobs from one queue. The threads stop when the
    /// `Workers` is dropped and their queued jobs are done.
    pub(crate) fn start(name: &str, connections: Vec<Connection>) -> std::io::Result<Workers> {
        let (queue, jobs) = mpsc::channel::<Job>();
        let jobs = Arc::new(Mutex::new(jobs));
        for (n, mut conn) in connections.into_iter().enumerate() {
            let jobs = jobs.clone();
            thread::Builder::new()
                .name(format!("{name}-{n}"))
                .spawn(move || loop {
                    // The lock is held only while waiting for the next job, never while running it.
                    let next = jobs.lock().unwrap_or_else(PoisonError::into_inner).recv();
                    let Ok(job) = next else { break };
                    job(&mut conn);
                })?;
        }
        Ok(Workers { queue })
    }

    /// Runs `job` on one of the threads and waits for its result without blocking the caller's
    /// runtime.
    pub(crate) async fn run<T, F>(&self, job: F) -> StorageResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StorageResult<T> + Send + 'static,
    {
        let (reply, outcome) = oneshot::channel();
        let boxed: Job = Box::new(move |conn| {
            let result = catch_unwind(AssertUnwindSafe(|| job(conn))).unwrap_or_else(|_| {
                Err(StorageError::backend_message(
                    "a database job panicked; its transaction was rolled back",
                ))
            });
            // The caller may have stopped waiting (its future was dropped); the work is done anyway.
            let _ = reply.send(result);
        });
        self.queue
            .send(boxed)
            .map_err(|_| StorageError::backend_message("the database threads have stopped"))?;
        outcome
            .await
            .map_err(|_| StorageError::backend_message("the database thread stopped mid-job"))?
    }
}
