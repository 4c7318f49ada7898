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
    AnyPool, Executor,
    any::AnyPoolOptions,
    migrate::{MigrateError, Migrator},
};
use std::time::Duration;

static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
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
        Ok(Self { pool, backend })
    }

    /// Applies every pending migration embedded in the binary.
    pub async fn migrate(&self) -> Result<(), MigrateError> {
        MIGRATOR.run(&self.pool).await
    }

    /// Proves the database answers, for readiness checks.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map(|_| ())
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

/// Milliseconds since the Unix epoch, UTC: how every time is stored.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
