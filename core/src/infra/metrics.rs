//! Prometheus metrics, served as OpenMetrics text at `/metrics`: HTTP requests
//! (count and latency by route and status), claims, redemptions, SSO and
//! coins-ledger calls by outcome, webhook attempts and the delivery queue.
//!
//! One [`Metrics`] per [`crate::Platform`] (shared by its clones), so a test
//! or a second platform in one process counts on its own. Labels are closed
//! sets — a route template, never a concrete path; an error code of
//! [`crate::error::ErrorCode`] — so no label can carry a token, an id or a code.

use crate::error::ApiError;
use crate::types::{PartnerId, UserId};
use prometheus_client::{
    encoding::text::encode,
    metrics::{
        counter::Counter,
        family::Family,
        gauge::Gauge,
        histogram::{Histogram, exponential_buckets},
    },
    registry::Registry,
};

type Labels = Vec<(&'static str, String)>;
type Latency = Family<Labels, Histogram, fn() -> Histogram>;

pub struct Metrics {
    registry: Registry,
    http_requests: Family<Labels, Counter>,
    http_seconds: Latency,
    claims: Family<Labels, Counter>,
    redemptions: Family<Labels, Counter>,
    sso: Family<Labels, Counter>,
    ledger: Family<Labels, Counter>,
    job_runs: Family<Labels, Counter>,
    pub webhook_delivered: Counter,
    pub webhook_failed: Counter,
    pub webhook_retried: Counter,
    pub webhook_given_up: Counter,
    queue_events: Gauge,
    queue_deliveries: Gauge,
}

/// 1 ms to ~33 s, doubling.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("tessera");
        let m = Metrics {
            registry: Registry::default(),
            http_requests: Family::default(),
            http_seconds: Family::new_with_constructor(latency_histogram as fn() -> Histogram),
            claims: Family::default(),
            redemptions: Family::default(),
            sso: Family::default(),
            ledger: Family::default(),
            job_runs: Family::default(),
            webhook_delivered: Counter::default(),
            webhook_failed: Counter::default(),
            webhook_retried: Counter::default(),
            webhook_given_up: Counter::default(),
            queue_events: Gauge::default(),
            queue_deliveries: Gauge::default(),
        };
        registry.register("http_requests", "HTTP requests answered, by route template, method and status", m.http_requests.clone());
        registry.register("http_request_duration_seconds", "HTTP request latency, by route template and status", m.http_seconds.clone());
        registry.register(
            "claims",
            "Claims asked for, by source (claim, issue) and result (created, existing, or the error code)",
            m.claims.clone(),
        );
        registry.register("redemptions", "Redemptions asked for, by result (SUCCESS, FLAGGED, or the error code)", m.redemptions.clone());
        registry.register("sso", "Sign-ins through a partner's SSO endpoint, by result (ok, or the error code)", m.sso.clone());
        registry.register(
            "ledger_calls",
            "Calls to a partner's coins ledger, by call (balance, debit, reverse) and result",
            m.ledger.clone(),
        );
        registry.register(
            "job_runs",
            "Passes of a background job finished, by job (coin_reversals, sequencer, housekeeping), failed ones included",
            m.job_runs.clone(),
        );
        registry.register("webhook_delivered", "Webhook attempts answered 2xx", m.webhook_delivered.clone());
        registry.register("webhook_failed", "Webhook attempts that failed (non-2xx, timeout, refused)", m.webhook_failed.clone());
        registry.register("webhook_retried", "Failed webhook attempts scheduled for a retry", m.webhook_retried.clone());
        registry.register(
            "webhook_given_up",
            "Webhook deliveries given up (schedule exhausted, 410, endpoint disabled)",
            m.webhook_given_up.clone(),
        );
        registry.register("webhook_queue_events", "Events not yet turned into deliveries", m.queue_events.clone());
        registry.register("webhook_queue_deliveries", "Webhook deliveries waiting or in flight", m.queue_deliveries.clone());
        Metrics { registry, ..m }
    }
}

/// Names the caller on the current request's span (its `partner_id` and
/// `user_id` fields): every log line of the request then says whose it was.
/// Tessera's own user id, never the partner's `externalUserId` or a token.
pub fn record_caller(partner_id: &PartnerId, user_id: Option<&UserId>) {
    let span = tracing::Span::current();
    span.record("partner_id", partner_id.as_str());
    if let Some(user_id) = user_id {
        span.record("user_id", user_id.as_str());
    }
}

/// `ok` for a success, else the error's code: a closed set of label values.
pub fn result_of<T>(r: &Result<T, ApiError>, ok: &str) -> String {
    match r {
        Ok(_) => ok.to_string(),
        Err(e) => e.code().as_str().to_string(),
    }
}

impl Metrics {
    /// One answered request: `route` is the matched template (`/me/claims/{id}`).
    pub fn http(&self, route: &str, method: &str, status: u16, seconds: f64) {
        let status = status.to_string();
        self.http_requests
            .get_or_create(&vec![("route", route.to_string()), ("method", method.to_string()), ("status", status.clone())])
            .inc();
        self.http_seconds.get_or_create(&vec![("route", route.to_string()), ("status", status)]).observe(seconds);
    }

    pub fn claim(&self, source: &str, result: String) {
        self.claims.get_or_create(&vec![("source", source.to_string()), ("result", result)]).inc();
    }

    pub fn redemption(&self, result: String) {
        self.redemptions.get_or_create(&vec![("result", result)]).inc();
    }

    pub fn sso(&self, result: String) {
        self.sso.get_or_create(&vec![("result", result)]).inc();
    }

    pub fn ledger(&self, call: &'static str, result: String) {
        self.ledger.get_or_create(&vec![("call", call.to_string()), ("result", result)]).inc();
    }

    /// A background job's pass finished: a job that stops counting has stopped.
    pub fn job_ran(&self, job: &'static str) {
        self.job_runs.get_or_create(&vec![("job", job.to_string())]).inc();
    }

    /// The text exposition, after reading the queue's depth.
    pub async fn render(&self, db: &crate::db::Db) -> Result<String, ApiError> {
        let (events, deliveries) = crate::webhooks::queue::depth(db).await?;
        self.queue_events.set(events);
        self.queue_deliveries.set(deliveries);
        let mut out = String::new();
        encode(&mut out, &self.registry).map_err(|e| ApiError::internal(anyhow::anyhow!("{e}")))?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_are_written_with_their_labels() {
        let m = Metrics::default();
        m.http("/me/claims", "POST", 201, 0.004);
        m.http("/me/claims", "POST", 201, 0.002);
        m.claim("claim", "out_of_stock".into());
        let mut out = String::new();
        encode(&mut out, &m.registry).unwrap();
        assert!(out.contains(r#"tessera_http_requests_total{route="/me/claims",method="POST",status="201"} 2"#), "{out}");
        assert!(out.contains(r#"tessera_http_request_duration_seconds_count{route="/me/claims",status="201"} 2"#), "{out}");
        assert!(out.contains(r#"tessera_claims_total{source="claim",result="out_of_stock"} 1"#), "{out}");
    }
}
