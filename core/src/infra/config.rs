//! Layered configuration: built-in defaults, then an optional TOML file, then
//! `TESSERA_*` environment variables, then `DATABASE_URL`. Everything is checked
//! once at start-up; a bad value stops the process with a message that names the
//! setting to change.

use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use serde::{Deserialize, Serialize};
use std::{
    fmt,
    net::SocketAddr,
    path::{Path, PathBuf},
};

/// The settings as an operator writes them (file keys, or `TESSERA_<KEY>`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Address and port to listen on.
    pub listen: String,
    /// The address users reach this server at, for printed links. Defaults to
    /// `http://<listen>`.
    pub public_url: Option<String>,
    /// `sqlite:<path>` (created on first start) or `postgres://user:pass@host/db`.
    pub database_url: String,
    /// Pool size. Default: 10 on PostgreSQL; on SQLite twice the CPU cores (at
    /// least 2), since its one writer gains nothing from more and every
    /// connection is a thread to schedule.
    pub database_max_connections: Option<u32>,
    /// Where the built site (`pkg/` with the WASM bundle and CSS, plus `public/`) is.
    pub site_root: PathBuf,
    /// `pretty` for people, `json` for log collectors.
    pub log_format: String,
    /// A tracing filter, e.g. `info` or `info,tessera=debug`. `RUST_LOG` wins if set.
    pub log_level: String,
    /// Request bodies above this are refused with 413.
    pub body_limit_bytes: usize,
    /// Requests taking longer are answered 503.
    pub request_timeout_seconds: u64,
    pub header_read_timeout_seconds: u64,
    /// How long in-flight requests get to finish after SIGTERM or Ctrl-C.
    pub shutdown_grace_seconds: u64,
    /// Bearer token for the admin API (`/admin/*`); unset turns the admin API off.
    pub operator_token: Option<String>,
    /// Razorpay's key id (`rzp_live_…`, `rzp_test_…`): set with the key secret and
    /// the webhook secret, partners that are not sandboxes are paid through Razorpay.
    pub razorpay_key_id: Option<String>,
    pub razorpay_key_secret: Option<String>,
    /// The secret of the webhook set in Razorpay's dashboard for `/pay/razorpay/webhook`.
    pub razorpay_webhook_secret: Option<String>,
    /// Razorpay's API (a local fake in tests).
    pub razorpay_base_url: String,
    /// Where invitations are emailed from, when set: `smtps://user:pass@host:465`,
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS) or `smtp://host:25`.
    /// Unset, the invitation link is only shown to whoever made it.
    pub smtp_url: Option<String>,
    /// The sender of those emails, e.g. `Tessera <no-reply@example.com>`.
    pub smtp_from: Option<String>,
    /// Requests per minute per partner on `/integrations/*` (bursts up to this many).
    pub rate_limit_partner_per_minute: u32,
    /// Requests per minute per end user on `/me/*`.
    pub rate_limit_user_per_minute: u32,
    /// Token exchanges (`POST /me/session`) per minute per client address.
    pub rate_limit_session_per_minute: u32,
    /// Deliver webhooks from this process. Several instances on one PostgreSQL
    /// share the work; on SQLite run one.
    pub webhook_worker: bool,
    /// Delays before each retry of a failed delivery, comma-separated (`s`,
    /// `m`, `h`, `d` units); after the last one the delivery is given up.
    pub webhook_retry_schedule: String,
    /// A delivery attempt that has no complete answer after this fails.
    pub webhook_timeout_seconds: u64,
    /// How long an instance holds a delivery it is sending; a crashed
    /// instance's deliveries are picked up after this. Above the timeout.
    pub webhook_lease_seconds: u64,
    /// An endpoint failing without a success for this long is disabled.
    pub webhook_disable_after_seconds: u64,
    /// Deliveries in flight to one endpoint at once, unless the endpoint sets its own.
    pub webhook_max_in_flight: u32,
    /// Private, loopback and link-local networks webhooks may be sent to
    /// (refused by default), comma-separated CIDRs, e.g. `127.0.0.0/8,::1/128`.
    pub webhook_allow_networks: String,
    /// How often the worker looks for due deliveries when idle.
    pub webhook_poll_millis: u64,
    /// Serve `/demo`: a page that plays the demo partner's app (it mints
    /// tokens for the demo user and receives the demo partner's webhooks).
    /// For local development and showing Tessera; off in production.
    pub demo_page: bool,
    /// A call to a partner's backend (SSO, coins ledger) that has no complete
    /// answer after this fails: SSO with 502, a debit with an unknown outcome
    /// (reversed), a reversal to be retried.
    pub partner_backend_timeout_seconds: u64,
    /// A coin debit with no recorded outcome for this long (the instance that
    /// asked died mid-call) is taken for unknown and reversed (SPEC §7).
    pub coins_unknown_after_seconds: u64,
    /// Delivered events (with their deliveries and attempts) and ended
    /// sessions are removed once older than this many days. Undelivered
    /// events are never removed.
    pub retention_days: u64,
    /// Settled coin debits are removed once older than this many days.
    pub ledger_retention_days: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:3000".into(),
            public_url: None,
            database_url: "sqlite:data/tessera.db".into(),
            database_max_connections: None,
            site_root: "target/site".into(),
            log_format: "pretty".into(),
            log_level: "info".into(),
            body_limit_bytes: 64 * 1024,
            request_timeout_seconds: 30,
            header_read_timeout_seconds: 10,
            shutdown_grace_seconds: 20,
            operator_token: None,
            razorpay_key_id: None,
            razorpay_key_secret: None,
            razorpay_webhook_secret: None,
            razorpay_base_url: "https://api.razorpay.com/v1".into(),
            smtp_url: None,
            smtp_from: None,
            rate_limit_partner_per_minute: 1200,
            rate_limit_user_per_minute: 300,
            rate_limit_session_per_minute: 60,
            webhook_worker: true,
            webhook_retry_schedule: "5s,5m,30m,2h,5h,10h,10h".into(),
            webhook_timeout_seconds: 15,
            // 5 s, not 10: on PostgreSQL each lease counts the endpoint's live leases through
            // the entries of every lease taken within the last lease period (README, "Webhook
            // delivery at scale"); a peer also takes a dead instance's deliveries sooner.
            webhook_lease_seconds: 5,
            webhook_disable_after_seconds: 5 * 24 * 3600,
            webhook_max_in_flight: 16,
            webhook_allow_networks: String::new(),
            webhook_poll_millis: 250,
            demo_page: false,
            partner_backend_timeout_seconds: 5,
            coins_unknown_after_seconds: 60,
            retention_days: 30,
            ledger_retention_days: 400,
        }
    }
}

/// The checked configuration the platform runs with.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub public_url: Option<url::Url>,
    pub database: DatabaseUrl,
    pub database_max_connections: u32,
    pub site_root: PathBuf,
    pub log_format: LogFormat,
    pub log_level: String,
    pub body_limit_bytes: usize,
    pub request_timeout: std::time::Duration,
    /// A connection that has not sent a request's headers in this long is closed.
    pub header_read_timeout: std::time::Duration,
    pub shutdown_grace: std::time::Duration,
    pub operator_token: Option<OperatorToken>,
    /// Razorpay's keys, when partners are paid through it.
    pub razorpay: Option<RazorpayKeys>,
    /// The mail server invitations go out through, if any.
    pub smtp: Option<SmtpSettings>,
    pub rate_limits: RateLimits,
    pub webhooks: WebhookSettings,
    pub demo_page: bool,
    /// Every call to a partner's backend (SSO, coins ledger) gives up after this.
    pub partner_backend_timeout: std::time::Duration,
    pub coins_unknown_after: std::time::Duration,
    pub retention: crate::retention::Retention,
}

impl Config {
    /// Where this server is reached: its public URL, else its listening
    /// address (what `tessera demo` points the demo partner's backend at).
    pub fn own_origin(&self) -> Option<url::Url> {
        self.public_url.clone().or_else(|| url::Url::parse(&format!("http://{}", self.listen)).ok())
    }
}

/// The delivery worker's settings, checked.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    pub worker: bool,
    pub retry_schedule: Vec<std::time::Duration>,
    pub timeout: std::time::Duration,
    pub lease: std::time::Duration,
    pub disable_after: std::time::Duration,
    pub max_in_flight: u32,
    pub allow_networks: Vec<ipnet::IpNet>,
    pub poll: std::time::Duration,
}

/// Parses `5s,5m,30m,2h` (units s, m, h, d; a bare number is seconds).
pub fn parse_durations(raw: &str) -> Result<Vec<std::time::Duration>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (number, unit) = p.split_at(p.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(p.len()));
            let n: f64 = number.parse().map_err(|_| format!("{p:?} is not a duration like 5s, 5m, 2h"))?;
            let scale = match unit {
                "" | "s" => 1.0,
                "ms" => 0.001,
                "m" => 60.0,
                "h" => 3600.0,
                "d" => 86400.0,
                _ => return Err(format!("{p:?} has an unknown unit (use ms, s, m, h or d)")),
            };
            Ok(std::time::Duration::from_secs_f64(n * scale))
        })
        .collect()
}

/// Requests per minute, each at least 1.
#[derive(Debug, Clone, Copy)]
pub struct RateLimits {
    pub partner_per_minute: u32,
    pub user_per_minute: u32,
    pub session_per_minute: u32,
}

/// The admin API's bearer token. Never printed.
#[derive(Clone)]
pub struct OperatorToken(String);

/// The mail server for invitations (never printed: `Debug` shows the sender only).
#[derive(Clone)]
pub struct SmtpSettings {
    /// Carries the password: never logged (see Debug).
    pub url: String,
    pub from: String,
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings").field("from", &self.from).finish_non_exhaustive()
    }
}

/// A Razorpay account's keys (never printed: `Debug` shows the key id only).
#[derive(Clone)]
pub struct RazorpayKeys {
    pub base_url: String,
    pub key_id: String,
    pub key_secret: String,
    pub webhook_secret: String,
}

impl fmt::Debug for RazorpayKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RazorpayKeys").field("base_url", &self.base_url).field("key_id", &self.key_id).finish_non_exhaustive()
    }
}

impl OperatorToken {
    /// Compares in constant time.
    pub fn matches(&self, presented: &str) -> bool {
        use subtle::ConstantTimeEq;
        self.0.len() == presented.len() && bool::from(self.0.as_bytes().ct_eq(presented.as_bytes()))
    }
}

impl fmt::Debug for OperatorToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OperatorToken(***)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Which database engine a URL selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database URL that names a supported engine. Its `Display` hides any password.
#[derive(Clone)]
pub struct DatabaseUrl {
    url: String,
    backend: Backend,
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if let Some(rest) = raw.strip_prefix("sqlite:") {
            let rest = rest.trim_start_matches("//");
            if rest.is_empty() {
                return Err("a sqlite URL needs a file path, e.g. sqlite:data/tessera.db".into());
            }
            // Create the file on first start; keep whatever options were given.
            let url = if rest.contains("mode=") {
                format!("sqlite://{rest}")
            } else if rest.contains('?') {
                format!("sqlite://{rest}&mode=rwc")
            } else {
                format!("sqlite://{rest}?mode=rwc")
            };
            Ok(Self { url, backend: Backend::Sqlite })
        } else if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            url::Url::parse(raw).map_err(|e| format!("not a valid postgres URL ({e})"))?;
            Ok(Self { url: raw.to_string(), backend: Backend::Postgres })
        } else {
            Err("must start with sqlite: or postgres://".into())
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The URL with credentials, for the driver only. Never log it.
    pub fn expose(&self) -> &str {
        &self.url
    }

    /// The SQLite file this URL points at, if it is one.
    pub fn sqlite_path(&self) -> Option<&Path> {
        let rest = self.url.strip_prefix("sqlite://")?;
        let path = rest.split('?').next().unwrap_or(rest);
        Some(Path::new(path))
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match url::Url::parse(&self.url) {
            Ok(mut u) if u.password().is_some() => {
                let _ = u.set_password(Some("***"));
                f.write_str(u.as_str())
            }
            _ => f.write_str(&self.url),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

/// Everything wrong with a configuration, each with the setting that fixes it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("could not read the configuration: {0}")]
    Load(String),
    #[error("invalid configuration:\n{}", .0.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<String>),
}

impl Config {
    /// Reads defaults, then `file` (if given), then the environment, and validates.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError::Load(format!(
                    "the config file {} does not exist (set by --config or TESSERA_CONFIG)",
                    path.display()
                )));
            }
            figment = figment.merge(Toml::file_exact(path));
        }
        figment = figment.merge(Env::prefixed("TESSERA_").ignore(&["config"])).merge(Env::raw().only(&["database_url"]));
        let settings: Settings = figment.extract().map_err(|e| ConfigError::Load(describe_figment_error(e)))?;
        Self::validate(settings)
    }

    pub fn validate(s: Settings) -> Result<Self, ConfigError> {
        let mut problems = Vec::new();
        let listen = s
            .listen
            .parse::<SocketAddr>()
            .map_err(|_| {
                problems.push(format!(
                    "listen = {:?} is not an address with a port; set TESSERA_LISTEN like 127.0.0.1:3000 (port 0 picks a free one)",
                    s.listen
                ))
            })
            .ok();
        let public_url = match s.public_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            None => None,
            Some(raw) => match url::Url::parse(raw) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => Some(u),
                _ => {
                    problems.push(format!(
                        "public_url = {raw:?} is not an http(s) URL; set TESSERA_PUBLIC_URL like https://vouchers.example.com"
                    ));
                    None
                }
            },
        };
        let database = DatabaseUrl::parse(&s.database_url)
            .map_err(|why| problems.push(format!("database_url {why}; set DATABASE_URL or TESSERA_DATABASE_URL")))
            .ok();
        if s.database_max_connections == Some(0) {
            problems.push("database_max_connections must be at least 1; set TESSERA_DATABASE_MAX_CONNECTIONS".into());
        }
        let log_format = match s.log_format.to_ascii_lowercase().as_str() {
            "pretty" | "text" => Some(LogFormat::Pretty),
            "json" => Some(LogFormat::Json),
            other => {
                problems.push(format!("log_format = {other:?} is unknown; set TESSERA_LOG_FORMAT to pretty or json"));
                None
            }
        };
        if s.body_limit_bytes < 1024 {
            problems
                .push("body_limit_bytes below 1024 would refuse ordinary requests; set TESSERA_BODY_LIMIT_BYTES (default 65536)".into());
        }
        if s.retention_days < 1 || s.ledger_retention_days < 1 {
            problems.push(
                "retention_days and ledger_retention_days must be at least 1; set TESSERA_RETENTION_DAYS (default 30) and TESSERA_LEDGER_RETENTION_DAYS (default 400)"
                    .into(),
            );
        }
        if !(1..=30).contains(&s.partner_backend_timeout_seconds) {
            problems.push("partner_backend_timeout_seconds must be 1–30; set TESSERA_PARTNER_BACKEND_TIMEOUT_SECONDS (default 5)".into());
        }
        // A debit still waiting for its answer must not be taken for unknown.
        if s.coins_unknown_after_seconds < 2 * s.partner_backend_timeout_seconds.max(1) {
            problems.push(format!(
                "coins_unknown_after_seconds must be at least twice partner_backend_timeout_seconds ({} s); set TESSERA_COINS_UNKNOWN_AFTER_SECONDS",
                s.partner_backend_timeout_seconds
            ));
        }
        if !(1..=300).contains(&s.header_read_timeout_seconds) {
            problems.push("header_read_timeout_seconds must be 1–300; set TESSERA_HEADER_READ_TIMEOUT_SECONDS".into());
        }
        if s.request_timeout_seconds == 0 {
            problems.push("request_timeout_seconds must be at least 1; set TESSERA_REQUEST_TIMEOUT_SECONDS".into());
        }
        let operator_token = match s.operator_token.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            None => None,
            Some(t) if t.len() < 24 => {
                problems.push("operator_token is shorter than 24 characters; set TESSERA_OPERATOR_TOKEN to a long random value".into());
                None
            }
            Some(t) => Some(OperatorToken(t.to_string())),
        };
        let set = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(String::from);
        let smtp = match (set(&s.smtp_url), set(&s.smtp_from)) {
            (None, None) => None,
            (Some(url), Some(from)) if (url.starts_with("smtp://") || url.starts_with("smtps://")) && from.contains('@') => {
                Some(SmtpSettings { url, from })
            }
            (Some(_), Some(_)) => {
                problems
                    .push("smtp_url must be smtp://… or smtps://… and smtp_from an address (TESSERA_SMTP_URL, TESSERA_SMTP_FROM)".into());
                None
            }
            _ => {
                problems.push("set both TESSERA_SMTP_URL and TESSERA_SMTP_FROM, or neither".into());
                None
            }
        };
        let razorpay = match (set(&s.razorpay_key_id), set(&s.razorpay_key_secret), set(&s.razorpay_webhook_secret)) {
            (None, None, None) => None,
            (Some(key_id), Some(key_secret), Some(webhook_secret)) if key_id.starts_with("rzp_") => {
                Some(RazorpayKeys { base_url: s.razorpay_base_url.trim().to_string(), key_id, key_secret, webhook_secret })
            }
            (Some(key_id), Some(_), Some(_)) => {
                problems.push(format!("razorpay_key_id {key_id:?} is not a Razorpay key id (rzp_live_… or rzp_test_…)"));
                None
            }
            _ => {
                problems.push(
                    "set all of TESSERA_RAZORPAY_KEY_ID, TESSERA_RAZORPAY_KEY_SECRET and TESSERA_RAZORPAY_WEBHOOK_SECRET, or none".into(),
                );
                None
            }
        };
        for (name, value) in [
            ("RATE_LIMIT_PARTNER_PER_MINUTE", s.rate_limit_partner_per_minute),
            ("RATE_LIMIT_USER_PER_MINUTE", s.rate_limit_user_per_minute),
            ("RATE_LIMIT_SESSION_PER_MINUTE", s.rate_limit_session_per_minute),
        ] {
            if value == 0 {
                problems.push(format!("{} must be at least 1; set TESSERA_{name}", name.to_ascii_lowercase()));
            }
        }
        let retry_schedule = parse_durations(&s.webhook_retry_schedule)
            .map_err(|e| problems.push(format!("webhook_retry_schedule: {e}; set TESSERA_WEBHOOK_RETRY_SCHEDULE like 5s,5m,30m,2h")))
            .unwrap_or_default();
        if s.webhook_timeout_seconds == 0 {
            problems.push("webhook_timeout_seconds must be at least 1; set TESSERA_WEBHOOK_TIMEOUT_SECONDS".into());
        }
        // The worker renews its leases every quarter of this while it sends.
        if !(2..=600).contains(&s.webhook_lease_seconds) {
            problems.push("webhook_lease_seconds must be 2–600; set TESSERA_WEBHOOK_LEASE_SECONDS".into());
        }
        if !(1..=256).contains(&s.webhook_max_in_flight) {
            problems.push("webhook_max_in_flight must be between 1 and 256; set TESSERA_WEBHOOK_MAX_IN_FLIGHT".into());
        }
        let mut allow_networks = Vec::new();
        for raw in s.webhook_allow_networks.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match raw.parse::<ipnet::IpNet>().or_else(|_| raw.parse::<std::net::IpAddr>().map(ipnet::IpNet::from)) {
                Ok(net) => allow_networks.push(net),
                Err(_) => problems
                    .push(format!("webhook_allow_networks: {raw:?} is not a network like 127.0.0.0/8; set TESSERA_WEBHOOK_ALLOW_NETWORKS")),
            }
        }
        let webhooks = WebhookSettings {
            worker: s.webhook_worker,
            retry_schedule,
            timeout: std::time::Duration::from_secs(s.webhook_timeout_seconds),
            lease: std::time::Duration::from_secs(s.webhook_lease_seconds),
            disable_after: std::time::Duration::from_secs(s.webhook_disable_after_seconds),
            max_in_flight: s.webhook_max_in_flight,
            allow_networks,
            poll: std::time::Duration::from_millis(s.webhook_poll_millis.clamp(10, 60_000)),
        };
        match (listen, database, log_format) {
            (Some(listen), Some(database), Some(log_format)) if problems.is_empty() => Ok(Config {
                listen,
                public_url,
                database: database.clone(),
                database_max_connections: s.database_max_connections.unwrap_or(default_pool_size(database.backend())),
                site_root: s.site_root,
                log_format,
                log_level: s.log_level,
                body_limit_bytes: s.body_limit_bytes,
                request_timeout: std::time::Duration::from_secs(s.request_timeout_seconds),
                header_read_timeout: std::time::Duration::from_secs(s.header_read_timeout_seconds),
                shutdown_grace: std::time::Duration::from_secs(s.shutdown_grace_seconds),
                operator_token,
                razorpay,
                smtp,
                rate_limits: RateLimits {
                    partner_per_minute: s.rate_limit_partner_per_minute,
                    user_per_minute: s.rate_limit_user_per_minute,
                    session_per_minute: s.rate_limit_session_per_minute,
                },
                webhooks,
                demo_page: s.demo_page,
                partner_backend_timeout: std::time::Duration::from_secs(s.partner_backend_timeout_seconds),
                coins_unknown_after: std::time::Duration::from_secs(s.coins_unknown_after_seconds),
                retention: crate::retention::Retention {
                    delivered: std::time::Duration::from_secs(s.retention_days.saturating_mul(86_400)),
                    ledger: std::time::Duration::from_secs(s.ledger_retention_days.saturating_mul(86_400)),
                },
            }),
            _ => Err(ConfigError::Invalid(problems)),
        }
    }
}

fn default_pool_size(backend: Backend) -> u32 {
    match backend {
        Backend::Sqlite => {
            let cores = std::thread::available_parallelism().map(|n| n.get() as u32).unwrap_or(2);
            (2 * cores).max(2)
        }
        Backend::Postgres => 10,
    }
}

fn describe_figment_error(e: figment::Error) -> String {
    e.into_iter()
        .map(|err| {
            let key = err.path.join(".");
            let source = err.metadata.as_ref().map(|m| m.name.to_string()).unwrap_or_else(|| "configuration".into());
            if key.is_empty() {
                format!("{} (from {source})", err.kind)
            } else {
                format!("{key}: {} (from {source}); set TESSERA_{}", err.kind, key.to_ascii_uppercase())
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate() {
        let c = Config::validate(Settings::default()).unwrap();
        assert_eq!(c.database.backend(), Backend::Sqlite);
        assert_eq!(c.database.expose(), "sqlite://data/tessera.db?mode=rwc");
        assert_eq!(c.database.sqlite_path(), Some(Path::new("data/tessera.db")));
    }

    #[test]
    fn every_problem_is_reported_with_its_setting() {
        let s = Settings { listen: "nowhere".into(), database_url: "mysql://x".into(), log_format: "xml".into(), ..Settings::default() };
        let msg = Config::validate(s).unwrap_err().to_string();
        for needle in ["TESSERA_LISTEN", "DATABASE_URL", "TESSERA_LOG_FORMAT"] {
            assert!(msg.contains(needle), "{needle} missing from {msg}");
        }
    }

    #[test]
    fn a_debit_is_not_taken_for_unknown_while_its_call_may_still_answer() {
        let with = |timeout, unknown_after| {
            Config::validate(Settings {
                partner_backend_timeout_seconds: timeout,
                coins_unknown_after_seconds: unknown_after,
                ..Settings::default()
            })
        };
        assert_eq!(with(1, 3).unwrap().partner_backend_timeout, std::time::Duration::from_secs(1));
        assert!(with(5, 9).unwrap_err().to_string().contains("TESSERA_COINS_UNKNOWN_AFTER_SECONDS"));
        assert!(with(0, 60).unwrap_err().to_string().contains("TESSERA_PARTNER_BACKEND_TIMEOUT_SECONDS"));
        assert!(with(31, 600).is_err());
    }

    #[test]
    fn postgres_password_is_hidden_in_display() {
        let u = DatabaseUrl::parse("postgres://app:s3cret@db:5432/tessera").unwrap();
        assert_eq!(u.backend(), Backend::Postgres);
        assert!(!u.to_string().contains("s3cret"));
        assert!(u.expose().contains("s3cret"));
    }

    #[test]
    fn sqlite_options_are_kept() {
        let u = DatabaseUrl::parse("sqlite:/tmp/x.db?cache=shared").unwrap();
        assert_eq!(u.expose(), "sqlite:///tmp/x.db?cache=shared&mode=rwc");
        assert_eq!(u.sqlite_path(), Some(Path::new("/tmp/x.db")));
    }
}
