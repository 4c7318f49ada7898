//! The database: one [`Db`] handle over SQLite (the zero-setup default) or
//! PostgreSQL (production, several instances), chosen by URL at run time.
//!
//! Both engines run the same SQL through sqlx's `Any` driver: the schema keeps to
//! portable types (`TEXT` ids, `BIGINT` UTC milliseconds, `$n` placeholders).
//! Where an engine needs its own statement, the difference lives in
//! [`dialect`], keyed by [`Backend`], and nowhere else. This module holds the
//! handle and its pools (SQLite's readers are `query_only`: every write goes
//! through [`Db::write_pool`], [`Db::write`] or [`Db::write_at_once`]);
//! [`writer`] is SQLite's group commit.

pub(crate) mod dialect;
mod writer;

pub use crate::config::Backend;
use crate::config::DatabaseUrl;
pub use dialect::{AtOnce, nullable_f64};
use sqlx::{
    Any, AnyPool, Executor, Transaction,
    any::AnyPoolOptions,
    migrate::{MigrateError, Migrator},
};
use std::time::Duration;
pub use writer::{BoxFuture, Refusal};
use writer::{Job, checkpoints, group_commit};

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
        Ok(Self { pool, writer, jobs, backend })
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
