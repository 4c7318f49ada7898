//! The database: one [`Db`] handle over SQLite (the zero-setup default) or
//! PostgreSQL (production, several instances), chosen by URL at run time.
//!
//! Both engines run the same SQL through sqlx's `Any` driver: the schema keeps to
//! portable types (`TEXT` ids, `BIGINT` UTC milliseconds, `$n` placeholders).
//! Where an engine needs its own statement, the difference lives here, keyed by
//! [`Backend`], and nowhere else.

pub use crate::config::Backend;
use crate::config::DatabaseUrl;
use sqlx::{
    Any, AnyPool, Executor, Transaction,
    any::AnyPoolOptions,
    migrate::{MigrateError, Migrator},
};
use std::{sync::Arc, time::Duration};

static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    /// SQLite has one writer at a time: writes get their own connection, so a
    /// writer never waits for a reader's connection while others queue behind
    /// it, and writers queue in the pool's order instead of polling the file
    /// lock (whose busy handler sleeps up to 100 ms a try). PostgreSQL writes
    /// share the main pool.
    writer: Option<AnyPool>,
    /// SQLite's group commit: [`Db::write`] jobs queue here (see [`writer`]).
    jobs: Option<tokio::sync::mpsc::Sender<Job>>,
    backend: Backend,
    /// Partners as read a moment ago, for the per-request JWT check.
    pub(crate) partners: Arc<crate::partners::Cache>,
}

/// A write transaction (on SQLite, on the writer connection).
/// Dereferences to the connection, so `&mut *tx` executes inside it.
pub struct WriteTx {
    tx: Transaction<'static, Any>,
}

impl WriteTx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }
}

impl std::ops::Deref for WriteTx {
    type Target = sqlx::AnyConnection;
    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

impl Db {
    /// Opens a pool; for SQLite, creates the file (and its folder) if missing.
    pub async fn connect(url: &DatabaseUrl, max_connections: u32) -> Result<Self, sqlx::Error> {
        sqlx::any::install_default_drivers();
        if let Some(parent) = url.sqlite_path().and_then(|p| p.parent())
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent)?;
        }
        let backend = url.backend();
        // `read_only`: the readers' pool. On SQLite its connections refuse every
        // write (`query_only`), so a write that bypassed the write path fails in
        // tests instead of contending for the lock from a reader's connection.
        let options = |read_only: bool| {
            AnyPoolOptions::new()
                .acquire_timeout(Duration::from_secs(10))
                // A SQLite connection is a file handle that cannot go stale, and
                // sqlx's ping before each acquire is a round trip to the
                // connection's thread: skip it there. PostgreSQL keeps it, so a
                // connection the server dropped is replaced, not handed out.
                .test_before_acquire(backend == Backend::Postgres)
                .after_connect(move |conn, _meta| {
                    Box::pin(async move {
                        if backend == Backend::Sqlite {
                            // WAL lets readers proceed during a write; the busy timeout
                            // makes a writer of another process wait instead of failing.
                            // Checkpoints run in the background (see `checkpoints`);
                            // the automatic one stays as a safety net, far off.
                            conn.execute(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                                 PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
                                 PRAGMA wal_autocheckpoint = 10000;",
                            )
                            .await?;
                            if read_only {
                                conn.execute("PRAGMA query_only = ON;").await?;
                            }
                        }
                        Ok(())
                    })
                })
        };
        let writer = match backend {
            Backend::Sqlite => Some(options(false).max_connections(1).connect(url.expose()).await?),
            Backend::Postgres => None,
        };
        // After the writer: it sets WAL, which a query-only connection could not.
        let pool = options(writer.is_some()).max_connections(max_connections).connect(url.expose()).await?;
        let jobs = writer.clone().map(|w| {
            let (send, receive) = tokio::sync::mpsc::channel(1024);
            tokio::spawn(group_commit(w, receive));
            send
        });
        if backend == Backend::Sqlite {
            let checkpointer = options(false).max_connections(1).connect(url.expose()).await?;
            tokio::spawn(checkpoints(checkpointer, pool.clone()));
        }
        Ok(Self { pool, writer, jobs, backend, partners: Default::default() })
    }

    /// Applies every pending migration embedded in the binary.
    pub async fn migrate(&self) -> Result<(), MigrateError> {
        MIGRATOR.run(self.write_pool()).await
    }

    /// Proves the database answers, for readiness checks.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map(|_| ())
    }

    /// A transaction that will write. On SQLite it takes the write lock up
    /// front (`BEGIN IMMEDIATE`): a deferred transaction that read first could
    /// not upgrade once another writer committed, and would fail instead of wait.
    pub async fn begin_write(&self) -> Result<WriteTx, sqlx::Error> {
        let tx = match &self.writer {
            Some(writer) => writer.begin_with("BEGIN IMMEDIATE").await?,
            None => self.pool.begin().await?,
        };
        Ok(WriteTx { tx })
    }

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

    /// The pool writes go through: on SQLite the single writer connection.
    pub fn write_pool(&self) -> &AnyPool {
        self.writer.as_ref().unwrap_or(&self.pool)
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub async fn close(&self) {
        if let Some(writer) = &self.writer {
            writer.close().await;
        }
        self.pool.close().await;
    }
}

pub use crate::clock::now_ms;

pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// What a job leaves to do once its batch commits (or fails to): answer its caller.
type Finish = Box<dyn FnOnce(Result<(), &sqlx::Error>) + Send>;
/// A queued job: runs on the writer connection, says how it ended.
type JobFn = Box<dyn for<'c> FnOnce(&'c mut sqlx::AnyConnection) -> BoxFuture<'c, (JobEnd, Finish)> + Send>;
struct Job {
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
async fn checkpoints(checkpointer: AnyPool, main: AnyPool) {
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
async fn group_commit(writer: AnyPool, mut jobs: tokio::sync::mpsc::Receiver<Job>) {
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

/// The few statements that differ between the engines.
impl Backend {
    /// Makes the event sequencer one at a time (see `events::sequence`):
    /// PostgreSQL's transaction-scoped advisory lock; SQLite's single writer
    /// needs none.
    pub fn sequencer_lock(self) -> Option<&'static str> {
        match self {
            // The key: the first 8 bytes of "tessera.events.seq", as a number.
            Backend::Postgres => Some("SELECT pg_advisory_xact_lock(8387229339587626035)"),
            Backend::Sqlite => None,
        }
    }

    /// Gives a free pool code of voucher $2 to claim $1. PostgreSQL skips rows
    /// another transaction is taking, so concurrent claims do not queue on one
    /// code; SQLite has one writer at a time, so the plain subquery is exact.
    pub fn reserve_pool_code(self) -> &'static str {
        match self {
            Backend::Postgres => {
                "UPDATE voucher_codes SET claim_id = $1 WHERE id = (SELECT id FROM voucher_codes \
                 WHERE voucher_id = $2 AND claim_id IS NULL ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)"
            }
            Backend::Sqlite => {
                "UPDATE voucher_codes SET claim_id = $1 WHERE id = (SELECT id FROM voucher_codes \
                 WHERE voucher_id = $2 AND claim_id IS NULL ORDER BY id LIMIT 1)"
            }
        }
    }
}

/// A nullable float as two parameters, `(present, value)`, for SQL of the form
/// `CASE WHEN $n = 1 THEN $m END`.
///
/// Why: sqlx 0.9's `Any` driver binds a NULL `f64` as a PostgreSQL `float4`
/// (`AnyValueKind::Null(Double)` maps to `f32`), and the statement cached with
/// that type then rejects the next non-NULL `float8` ("incorrect binary data
/// format"). Binding a real `f64` every time keeps the parameter's type fixed.
pub fn nullable_f64(v: Option<f64>) -> (i64, f64) {
    match v {
        Some(x) => (1, x),
        None => (0, 0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn sqlite() -> (Db, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::parse(&format!("sqlite:{}", dir.path().join("t.db").display())).unwrap();
        let db = Db::connect(&url, 4).await.unwrap();
        sqlx::query("CREATE TABLE t (n BIGINT PRIMARY KEY)").execute(db.write_pool()).await.unwrap();
        (db, dir)
    }

    /// A write through the readers' pool is refused (SQLite's `query_only`), so one
    /// that bypasses the write path fails in tests; reads there, and writes on the
    /// write path, work.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn readers_cannot_write() {
        let (db, _dir) = sqlite().await;
        for _ in 0..4 {
            // Whichever reader connection the pool hands out.
            let refused = sqlx::query("INSERT INTO t (n) VALUES (7)").execute(db.pool()).await;
            assert!(refused.is_err(), "a reader connection wrote");
        }
        insert(&db, 7, false).await.unwrap();
        let (n,): (i64,) = sqlx::query_as("SELECT n FROM t").fetch_one(db.pool()).await.unwrap();
        assert_eq!(n, 7);
    }

    /// Inserts `n` and, when `fail`, then a duplicate of `n`: the job errs after writing.
    async fn insert(db: &Db, n: i64, fail: bool) -> Result<i64, sqlx::Error> {
        db.write(move |tx| {
            Box::pin(async move {
                sqlx::query("INSERT INTO t (n) VALUES ($1)").bind(n).execute(&mut *tx).await?;
                if fail {
                    sqlx::query("INSERT INTO t (n) VALUES ($1)").bind(n).execute(&mut *tx).await?;
                }
                Ok(n)
            })
        })
        .await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_job_undoes_only_its_own_writes_in_a_shared_commit() {
        let (db, _dir) = sqlite().await;
        let tasks: Vec<_> = (0..200)
            .map(|n| {
                let db = db.clone();
                tokio::spawn(async move { (n, insert(&db, n, n % 3 == 0).await) })
            })
            .collect();
        for task in tasks {
            let (n, result) = task.await.unwrap();
            assert_eq!(result.is_ok(), n % 3 != 0, "job {n}: {result:?}");
        }
        let kept: Vec<(i64,)> = sqlx::query_as("SELECT n FROM t ORDER BY n").fetch_all(db.pool()).await.unwrap();
        let expected: Vec<(i64,)> = (0..200).filter(|n| n % 3 != 0).map(|n| (n,)).collect();
        assert_eq!(kept, expected);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panicking_job_is_an_error_and_the_writer_lives_on() {
        let (db, _dir) = sqlite().await;
        let panicked = db
            .write(|tx| {
                Box::pin(async move {
                    sqlx::query("INSERT INTO t (n) VALUES (1)").execute(&mut *tx).await?;
                    if std::hint::black_box(true) {
                        panic!("job bug");
                    }
                    Ok::<_, sqlx::Error>(())
                })
            })
            .await;
        assert!(panicked.is_err());
        assert_eq!(insert(&db, 2, false).await.unwrap(), 2);
        let kept: Vec<(i64,)> = sqlx::query_as("SELECT n FROM t").fetch_all(db.pool()).await.unwrap();
        assert_eq!(kept, vec![(2,)]);
    }

    /// An all-or-nothing insert of `n`: refused cleanly when `n` exists (the
    /// unique key fails the only statement, nothing is written).
    async fn insert_at_once(db: &Db, n: i64) -> Result<i64, sqlx::Error> {
        db.write_at_once(move |tx| {
            Box::pin(async move {
                match sqlx::query("INSERT INTO t (n) VALUES ($1)").bind(n).execute(&mut *tx).await {
                    Ok(_) => Ok(n),
                    Err(e) => Err(Refusal::Clean(e)),
                }
            })
        })
        .await
    }

    /// Guarded and all-or-nothing jobs interleaved in shared commits: a guarded
    /// job that fails undoes only its own writes, never an all-or-nothing job's
    /// before it (they run without a savepoint of their own); a refused
    /// all-or-nothing job costs nobody else theirs.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn all_or_nothing_jobs_share_commits_with_guarded_ones() {
        let (db, _dir) = sqlite().await;
        sqlx::query("INSERT INTO t (n) VALUES (-1)").execute(db.write_pool()).await.unwrap();
        let tasks: Vec<_> = (0..300)
            .map(|n| {
                let db = db.clone();
                tokio::spawn(async move {
                    let result = match n % 4 {
                        0 => insert(&db, n, true).await,               // guarded, fails after writing
                        1 => insert(&db, n, false).await,              // guarded, fine
                        2 => insert_at_once(&db, n).await,             // all or nothing, fine
                        _ => insert_at_once(&db, -1).await.map(|_| n), // all or nothing, refused
                    };
                    (n, result)
                })
            })
            .collect();
        for task in tasks {
            let (n, result) = task.await.unwrap();
            assert_eq!(result.is_ok(), n % 4 == 1 || n % 4 == 2, "job {n}: {result:?}");
        }
        let kept: Vec<(i64,)> = sqlx::query_as("SELECT n FROM t WHERE n >= 0 ORDER BY n").fetch_all(db.pool()).await.unwrap();
        let expected: Vec<(i64,)> = (0..300).filter(|n| n % 4 == 1 || n % 4 == 2).map(|n| (n,)).collect();
        assert_eq!(kept, expected);
    }

    /// A job that fails after writing part of its work rolls back its batch:
    /// nothing of it stays, its caller gets an error, and the writer goes on.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_partial_all_or_nothing_job_rolls_back_its_batch_and_the_writer_lives_on() {
        let (db, _dir) = sqlite().await;
        let partial = db
            .write_at_once(|tx| {
                Box::pin(async move {
                    sqlx::query("INSERT INTO t (n) VALUES (7)").execute(&mut *tx).await.map_err(Refusal::Clean)?;
                    Err::<(), _>(Refusal::Partial(sqlx::Error::Protocol("broke after writing".into())))
                })
            })
            .await;
        assert!(partial.is_err());
        assert_eq!(insert_at_once(&db, 8).await.unwrap(), 8);
        assert_eq!(insert(&db, 9, false).await.unwrap(), 9);
        let kept: Vec<(i64,)> = sqlx::query_as("SELECT n FROM t ORDER BY n").fetch_all(db.pool()).await.unwrap();
        assert_eq!(kept, vec![(8,), (9,)]);
    }
}
