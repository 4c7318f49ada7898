//! SQLite's group commit: write jobs of concurrent requests share one
//! transaction on the single writer connection, each in its own savepoint (or,
//! for an all-or-nothing script, without one), and the batch commits once.
//! Checkpoints keep the write-ahead log small. PostgreSQL runs each job as its
//! own transaction (see [`Db::write`]).

use super::Db;
use sqlx::{AnyPool, Executor};
use std::time::Duration;

impl Db {
    /// Runs `job` atomically: all of its statements commit, or none if it
    /// returns an error. The result is returned once the job's writes are
    /// committed.
    ///
    /// On SQLite, jobs of concurrent requests share one transaction (group
    /// commit): each runs inside its own savepoint, so a failing job undoes
    /// only its own writes, and the batch commits once, writing each shared
    /// page once. The job runs to completion even if the caller stops waiting.
    /// On PostgreSQL each job is its own transaction.
    pub async fn write<T, E, F>(&self, job: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<sqlx::Error> + Send + 'static,
        F: for<'c> FnOnce(&'c mut sqlx::AnyConnection) -> BoxFuture<'c, Result<T, E>> + Send + 'static,
    {
        // Any failure is undone by the job's savepoint.
        self.submit(true, move |conn: &mut sqlx::AnyConnection| -> BoxFuture<'_, Result<T, Refusal<E>>> {
            Box::pin(async move { job(conn).await.map_err(Refusal::Clean) })
        })
        .await
    }

    /// Like [`Db::write`], for a job that is one round trip and all or nothing
    /// by itself. When it fails with [`Refusal::Clean`] it has written nothing.
    ///
    /// On SQLite the job is a script (its later statements depend on the first
    /// through `changes()`) run inside the group commit without a savepoint:
    /// that saves the writer a round trip per job — the writer's round trips
    /// are what bound writes per second. A job that fails after writing
    /// ([`Refusal::Partial`]) rolls back its whole batch: every job in it
    /// fails, so keep that for the unexpected (a full disk).
    ///
    /// On PostgreSQL the job is a single statement (data-modifying CTEs chain
    /// its writes) run without BEGIN and COMMIT: a statement outside a
    /// transaction is atomic, and that saves two round trips and holds its row
    /// locks only while it runs.
    pub async fn write_at_once<T, E, F>(&self, job: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<sqlx::Error> + Send + 'static,
        F: for<'c> FnOnce(&'c mut sqlx::AnyConnection) -> BoxFuture<'c, Result<T, Refusal<E>>> + Send + 'static,
    {
        if self.jobs.is_some() {
            return self.submit(false, job).await;
        }
        let mut conn = self.pool.acquire().await?;
        job(&mut conn).await.map_err(Refusal::into_inner)
    }

    /// Runs a write job: its own transaction on PostgreSQL; on SQLite, queued
    /// for the group commit, answered once its batch commits.
    async fn submit<T, E, F>(&self, guarded: bool, job: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<sqlx::Error> + Send + 'static,
        F: for<'c> FnOnce(&'c mut sqlx::AnyConnection) -> BoxFuture<'c, Result<T, Refusal<E>>> + Send + 'static,
    {
        let Some(jobs) = &self.jobs else {
            let mut tx = self.pool.begin().await?;
            let value = job(&mut tx).await.map_err(Refusal::into_inner)?;
            tx.commit().await?;
            return Ok(value);
        };
        let (reply, answer) = tokio::sync::oneshot::channel::<Result<T, E>>();
        let queued: JobFn = Box::new(move |conn| {
            Box::pin(async move {
                let result = job(conn).await;
                let end = match &result {
                    Ok(_) => JobEnd::Done,
                    Err(Refusal::Clean(_)) => JobEnd::Refused,
                    Err(Refusal::Partial(_)) => JobEnd::Partial,
                };
                let result = result.map_err(Refusal::into_inner);
                let finish: Finish = Box::new(move |committed| {
                    let _ = reply.send(match committed {
                        Ok(()) => result,
                        Err(e) => Err(sqlx::Error::Protocol(format!("the write was not committed: {e}")).into()),
                    });
                });
                (end, finish)
            })
        });
        jobs.send(Job { run: queued, guarded }).await.map_err(|_| sqlx::Error::PoolClosed)?;
        answer.await.map_err(|_| sqlx::Error::Protocol("the write was abandoned (the job panicked)".into()))?
    }
}

pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// What a job leaves to do once its batch commits (or fails to): answer its caller.
type Finish = Box<dyn FnOnce(Result<(), &sqlx::Error>) + Send>;
/// A queued job: runs on the writer connection, says how it ended.
type JobFn = Box<dyn for<'c> FnOnce(&'c mut sqlx::AnyConnection) -> BoxFuture<'c, (JobEnd, Finish)> + Send>;
pub(super) struct Job {
    run: JobFn,
    /// Runs inside its own savepoint ([`Db::write`]); else it is all or
    /// nothing by itself ([`Db::write_at_once`]).
    guarded: bool,
}

enum JobEnd {
    Done,
    /// Failed; a guarded job's writes are undone by its savepoint, an
    /// unguarded one wrote nothing.
    Refused,
    /// An unguarded job failed after writing: the batch must roll back.
    Partial,
}

/// How a [`Db::write_at_once`] job failed.
pub enum Refusal<E> {
    /// Nothing was written.
    Clean(E),
    /// Part of the job may have been written: its batch rolls back.
    Partial(E),
}

impl<E> Refusal<E> {
    pub fn into_inner(self) -> E {
        match self {
            Refusal::Clean(e) | Refusal::Partial(e) => e,
        }
    }
}

/// Most jobs in one SQLite transaction: bounds the latency a batch adds.
const GROUP_COMMIT_MAX: usize = 64;

/// How often the write-ahead log is copied into the database file. Often, so
/// each copy is small: a checkpoint ends with an fsync, and while the disk
/// flushes, the filesystem holds back the writer's own appends to the log
/// (ext4's journal). Measured on the bench machine's disk (`scripts/bench`,
/// paced 3 000 claims/s): every 2 s → p99 298 ms, 500 ms → 52–65 ms, 100 ms →
/// 21–29 ms, 50 ms → 18 ms; on tmpfs (no flush) 5.6 ms. A checkpoint with
/// nothing new to copy costs one idle round trip.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(50);

/// Copies the write-ahead log into the database file every [`CHECKPOINT_EVERY`],
/// off the writer's path (a checkpoint inside a commit would stall every writer
/// queued behind it). PASSIVE never blocks readers or the writer. Ends when
/// the main pool closes.
pub(super) async fn checkpoints(checkpointer: AnyPool, main: AnyPool) {
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !main.is_closed() {
        tick.tick().await;
        if let Err(e) = checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)").await {
            tracing::warn!(error = %e, "a WAL checkpoint failed; the next one retries");
        }
    }
    checkpointer.close().await;
}

/// SQLite's writer: takes the jobs waiting, runs them in one transaction,
/// commits once, then answers every job. A guarded job runs in its own
/// savepoint (ending one savepoint and opening the next is folded into one
/// round trip); consecutive all-or-nothing jobs need none. Between batches the
/// writer connection goes back to its pool, so [`Db::begin_write`] callers
/// take their turn.
pub(super) async fn group_commit(writer: AnyPool, mut jobs: tokio::sync::mpsc::Receiver<Job>) {
    use futures_util::FutureExt;
    while let Some(first) = jobs.recv().await {
        let mut finishes: Vec<Finish> = Vec::new();
        let mut conn = match writer.acquire().await {
            Ok(conn) => conn,
            Err(e) => {
                tracing::error!(error = %e, "the writer connection is unavailable");
                continue; // `first` is dropped: its caller gets an error
            }
        };
        let outcome: Result<(), sqlx::Error> = async {
            conn.execute(if first.guarded { "BEGIN IMMEDIATE; SAVEPOINT job" } else { "BEGIN IMMEDIATE" }).await?;
            let mut next = Some(first);
            while let Some(job) = next.take() {
                let end = match std::panic::AssertUnwindSafe((job.run)(&mut conn)).catch_unwind().await {
                    Ok((end, finish)) => {
                        finishes.push(finish);
                        end
                    }
                    Err(_) => {
                        tracing::error!("a database write job panicked; its writes are rolled back");
                        if job.guarded { JobEnd::Refused } else { JobEnd::Partial }
                    }
                };
                if let JobEnd::Partial = end {
                    return Err(sqlx::Error::Protocol("a write failed midway; its batch is rolled back".into()));
                }
                if finishes.len() < GROUP_COMMIT_MAX {
                    next = jobs.try_recv().ok();
                }
                // Close this job's savepoint, open the next one's (or commit
                // the batch): one round trip, none between unguarded jobs.
                let mut sql = String::new();
                if job.guarded {
                    sql.push_str(if matches!(end, JobEnd::Done) { "RELEASE job" } else { "ROLLBACK TO job; RELEASE job" });
                }
                match &next {
                    Some(n) if n.guarded => sql.push_str("; SAVEPOINT job"),
                    Some(_) => {}
                    None => sql.push_str("; COMMIT"),
                }
                let sql = sql.trim_start_matches("; ");
                if !sql.is_empty() {
                    conn.execute(sqlx::AssertSqlSafe(sql.to_string())).await?;
                }
            }
            Ok(())
        }
        .await;
        // Leave no transaction open on a pooled connection.
        if outcome.is_err() && conn.execute("ROLLBACK").await.is_err() {
            conn.close_on_drop();
        }
        drop(conn);
        if let Err(e) = &outcome {
            tracing::error!(error = %e, jobs = finishes.len(), "a group commit failed");
        }
        for finish in finishes {
            finish(outcome.as_ref().map(|_| ()));
        }
    }
}
