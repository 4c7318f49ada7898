//! The black-box test harness: spawns the real `tessera` binary on port 0
//! against a fresh database (SQLite file or a new PostgreSQL database) and talks
//! to it over real HTTP.
//!
//! Write a test once as `async fn name(backend: Backend)` and list it in
//! [`backend_tests!`]: it runs on both engines.
//!
//! PostgreSQL comes from `TESSERA_TEST_POSTGRES_URL` (scripts/test starts a
//! throwaway cluster and sets it). Without it the PostgreSQL variants fail,
//! unless `TESSERA_TEST_SKIP_POSTGRES=1` says to skip them on purpose.

#![allow(dead_code)]

pub mod api;
pub mod cluster;
pub mod ledger;
pub mod razorpay;
pub mod receiver;
pub mod smtp;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use sqlx::{AnyPool, Connection, Executor};
use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};
use tempfile::TempDir;
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each listed `async fn(Backend)` once per database engine.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use $crate::support::Backend;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() { super::$name(Backend::Sqlite).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::support::postgres_skipped() { return; }
                super::$name(Backend::Postgres).await
            }
        }
    )*};
}

/// Waits until `probe` answers `Ok`, trying every 50 ms for at most `within`;
/// fails naming `what` and the last `Err` the probe answered (the value seen),
/// so a wait can never fall through silently.
pub async fn eventually<T, S, F, Fut>(within: Duration, what: &str, mut probe: F) -> T
where
    S: std::fmt::Debug,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, S>>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match probe().await {
            Ok(done) => return done,
            Err(seen) if tokio::time::Instant::now() >= deadline => {
                panic!("timed out after {within:?} waiting for {what}; last seen: {seen:?}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// A series of the server's `/metrics`, named as exposed (labels included:
/// `tessera_job_runs_total{job="sequencer"}`); fails when it is not there.
pub async fn metric(app: &TestServer, series: &str) -> f64 {
    let metrics = app.get("/metrics").await.text().await.unwrap();
    metrics
        .lines()
        .find(|l| l.split_whitespace().next() == Some(series))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {series} in /metrics:\n{metrics}"))
}

/// Waits until the background `job` finished two more passes than now: one
/// may have begun before the caller's last change, the second began after
/// it. The proof that a job *did not* act on something ("a refused debit is
/// not reversed") instead of a sleep.
pub async fn job_passes(app: &TestServer, job: &str) {
    let series = format!("tessera_job_runs_total{{job=\"{job}\"}}");
    let before = eventually(Duration::from_secs(10), &format!("a first pass of {job}"), || async {
        let v = metric(app, &series).await;
        if v >= 1.0 { Ok(v) } else { Err(v) }
    })
    .await
    .max(0.0);
    eventually(Duration::from_secs(30), &format!("two more passes of {job}"), || async {
        let v = metric(app, &series).await;
        if v >= before + 2.0 { Ok(()) } else { Err(v) }
    })
    .await;
}

/// Runs each listed `async fn(Backend)` on PostgreSQL only: for what only
/// PostgreSQL can do (several instances sharing one database). It has no
/// SQLite variant that would pass without testing anything.
#[macro_export]
macro_rules! postgres_tests {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use $crate::support::Backend;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::support::postgres_skipped() { return; }
                super::$name(Backend::Postgres).await
            }
        }
    )*};
}

pub fn postgres_skipped() -> bool {
    if std::env::var("TESSERA_TEST_POSTGRES_URL").is_ok() {
        return false;
    }
    if std::env::var("TESSERA_TEST_SKIP_POSTGRES").as_deref() == Ok("1") {
        eprintln!("PostgreSQL variant skipped (TESSERA_TEST_SKIP_POSTGRES=1)");
        return true;
    }
    panic!(
        "TESSERA_TEST_POSTGRES_URL is not set. Run the tests through scripts/test (it starts a \
         throwaway PostgreSQL), or set TESSERA_TEST_SKIP_POSTGRES=1 to run SQLite only."
    );
}

/// A fresh, empty database of one engine, migrated by the server on start.
pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    /// Keeps the SQLite file's folder alive for the test.
    _dir: Option<TempDir>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite:{}", dir.path().join("tessera.db").display());
                TestDb { backend, url, _dir: Some(dir) }
            }
            Backend::Postgres => {
                let admin = std::env::var("TESSERA_TEST_POSTGRES_URL").expect("TESSERA_TEST_POSTGRES_URL");
                sqlx::any::install_default_drivers();
                let name = format!("t_{}", uuid::Uuid::new_v4().simple());
                let mut conn = sqlx::AnyConnection::connect(&admin).await.expect("connect to test PostgreSQL");
                conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.expect("create test database");
                let mut url = url::Url::parse(&admin).expect("postgres url");
                url.set_path(&name);
                TestDb { backend, url: url.to_string(), _dir: None }
            }
        }
    }

    /// A PostgreSQL database at `url` (a cluster the test runs itself).
    pub fn postgres_at(url: &str) -> TestDb {
        TestDb { backend: Backend::Postgres, url: url.to_string(), _dir: None }
    }

    /// Another handle on the same database (for a second server on it).
    pub fn shared(&self) -> TestDb {
        assert_eq!(self.backend, Backend::Postgres, "only PostgreSQL databases are shared between servers");
        TestDb { backend: self.backend, url: self.url.clone(), _dir: None }
    }

    /// A pool on this database, to arrange data or look at what the server wrote.
    pub async fn pool(&self) -> AnyPool {
        sqlx::any::install_default_drivers();
        let url = match self.backend {
            Backend::Sqlite => format!("{}?mode=rwc", self.url.replacen("sqlite:", "sqlite://", 1)),
            Backend::Postgres => self.url.clone(),
        };
        AnyPool::connect(&url).await.expect("connect to test database")
    }
}

/// reqwest is built without a default TLS provider (the server picks ring):
/// install it before building a client.
pub fn install_tls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

pub fn tessera_bin() -> &'static str {
    env!("CARGO_BIN_EXE_tessera")
}

/// The repository root, where `target/site` is.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// A `tessera` command against `db`, with quiet logs and a clean environment.
pub fn tessera_command(db: &TestDb, args: &[&str]) -> Command {
    let mut cmd = Command::new(tessera_bin());
    cmd.args(args)
        .env_remove("TESSERA_CONFIG")
        .env("DATABASE_URL", &db.url)
        .env("TESSERA_SITE_ROOT", repo_root().join("target/site"))
        .env("TESSERA_LOG_LEVEL", "warn")
        .env("TESSERA_LOG_FORMAT", "json")
        .env("TESSERA_LISTEN", "127.0.0.1:0")
        .kill_on_drop(true);
    cmd
}

/// A running server.
pub struct TestServer {
    pub db: TestDb,
    pub base: String,
    pub client: reqwest::Client,
    child: Child,
    /// The last `t` a partner call was signed with: each call gets a new one,
    /// since an identical signature is refused as a replay.
    pub last_t: std::sync::atomic::AtomicI64,
    log: PathBuf,
    _log_dir: TempDir,
}

impl TestServer {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, &[]).await
    }

    /// Spawns with extra environment (`TESSERA_*` settings) on a fresh database.
    pub async fn spawn_with(backend: Backend, env: &[(&str, &str)]) -> Self {
        let db = TestDb::new(backend).await;
        Self::spawn_on(db, env).await
    }

    pub async fn spawn_on(db: TestDb, env: &[(&str, &str)]) -> Self {
        let log_dir = tempfile::tempdir().expect("temp dir");
        let log = log_dir.path().join("server.log");
        let mut cmd = tessera_command(&db, &["serve"]);
        cmd.envs(env.iter().copied()).stdout(Stdio::piped()).stderr(std::fs::File::create(&log).expect("log file"));
        let mut child = cmd.spawn().expect("spawn tessera");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line()).await;
        let base = match first {
            Ok(Ok(Some(line))) => line
                .strip_prefix("tessera: listening on ")
                .unwrap_or_else(|| panic!("unexpected first line from tessera: {line}"))
                .to_string(),
            other => panic!("tessera did not start ({other:?}); its log:\n{}", std::fs::read_to_string(&log).unwrap_or_default()),
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        install_tls();
        // The server closes a connection idle for its header-read timeout (10 s): a pooled
        // connection that old may be closing as a request goes out on it (an incomplete
        // message on a loaded machine), so none idle for 5 s is reused.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(Duration::from_secs(5))
            .build()
            .unwrap();
        TestServer { db, base, client, child, last_t: Default::default(), log, _log_dir: log_dir }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, self.url(path))
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    /// GETs `path` and returns status and JSON body.
    pub async fn get_json(&self, path: &str) -> (StatusCode, Value) {
        let res = self.get(path).await;
        let status = res.status();
        (status, res.json().await.expect("JSON body"))
    }

    pub async fn get_html(&self, path: &str) -> (StatusCode, String) {
        let res = self.get(path).await;
        let status = res.status();
        (status, res.text().await.expect("body"))
    }

    pub fn pid(&self) -> u32 {
        self.child.id().expect("server is running")
    }

    /// Sends SIGTERM and waits for the process to exit; returns its exit status.
    pub async fn terminate(mut self) -> std::process::ExitStatus {
        let status = std::process::Command::new("kill").args(["-TERM", &self.pid().to_string()]).status();
        assert!(status.is_ok_and(|s| s.success()), "kill -TERM failed");
        tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .expect("tessera did not exit within 30 s of SIGTERM")
            .expect("wait")
    }

    /// Kills the process with SIGKILL (no shutdown at all) and gives back the
    /// database, to restart a server on it.
    pub async fn kill(mut self) -> TestDb {
        let status = std::process::Command::new("kill").args(["-KILL", &self.pid().to_string()]).status();
        assert!(status.is_ok_and(|s| s.success()), "kill -KILL failed");
        let _ = self.child.wait().await;
        let placeholder = TestDb { backend: self.db.backend, url: String::new(), _dir: None };
        std::mem::replace(&mut self.db, placeholder)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for TestServer {
    /// A failing test shows what the server logged.
    fn drop(&mut self) {
        if std::thread::panicking() {
            let log = self.log();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            eprintln!("--- server log (last {} lines) ---", tail.len());
            for line in tail.iter().rev() {
                eprintln!("{line}");
            }
        }
    }
}

/// Asserts SPEC §9's error shape and returns the code.
pub fn error_code(body: &Value) -> &str {
    let error = body.get("error").unwrap_or_else(|| panic!("no `error` in {body}"));
    assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()), "no message in {body}");
    assert!(error["details"].is_object(), "details is not an object in {body}");
    error["code"].as_str().unwrap_or_else(|| panic!("no code in {body}"))
}

/// One line of fault figures, for `scripts/faults` to collect (run with
/// `--nocapture`): `FAULT <name> [<engine>] | key=value …`.
pub fn figures(name: &str, backend: Backend, pairs: &[(&str, String)]) {
    let fields: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    eprintln!("FAULT {name} [{backend:?}] | {}", fields.join(" "));
}
