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
    backend: Backend,
    /// SQLite has one writer at a time. Writers queue here, in order, instead of
    /// polling the file lock (whose busy handler sleeps up to 100 ms a try).
    writer: Arc<tokio::sync::Mutex<()>>,
}

/// A write transaction; on SQLite it also holds the process's writer turn.
/// Dereferences to the connection, so `&mut *tx` executes inside it.
pub struct WriteTx {
    tx: Transaction<'static, Any>,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
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
        if let Some(parent) = url.sqlite_path().and_then(|p| p.parent()) {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent)?;
            }
        }
        let backend = url.backend();
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers proceed during a write; the busy timeout
                        // makes concurrent writers wait instead of failing.
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect(url.expose())
            .await?;
        Ok(Self { pool, backend, writer: Arc::new(tokio::sync::Mutex::new(())) })
    }

    /// Applies every pending migration embedded in the binary.
    pub async fn migrate(&self) -> Result<(), MigrateError> {
        MIGRATOR.run(&self.pool).await
    }

    /// Proves the database answers, for readiness checks.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map(|_| ())
    }

    /// A transaction that will write. On SQLite it takes the write lock up
    /// front (`BEGIN IMMEDIATE`): a deferred transaction that read first could
    /// not upgrade once another writer committed, and would fail instead of wait.
    pub async fn begin_write(&self) -> Result<WriteTx, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => {
                let turn = self.writer.clone().lock_owned().await;
                let tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
                Ok(WriteTx { tx, _turn: Some(turn) })
            }
            Backend::Postgres => Ok(WriteTx { tx: self.pool.begin().await?, _turn: None }),
        }
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

pub use crate::clock::now_ms;

/// The few statements that differ between the engines.
impl Backend {
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
