//! Prometheus metrics at `/metrics` (OpenMetrics text): webhook deliveries and
//! the queue's depth.

use prometheus_client::{
    encoding::text::encode,
    metrics::{counter::Counter, gauge::Gauge},
    registry::Registry,
};
use std::sync::LazyLock;

pub struct Metrics {
    registry: Registry,
    pub delivered: Counter,
    pub failed: Counter,
    pub retried: Counter,
    pub given_up: Counter,
    queue_events: Gauge,
    queue_deliveries: Gauge,
}

/// The process's metrics (one registry per process, as Prometheus scrapes it).
pub static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let mut registry = Registry::with_prefix("tessera");
    let m = Metrics {
        delivered: Counter::default(),
        failed: Counter::default(),
        retried: Counter::default(),
        given_up: Counter::default(),
        queue_events: Gauge::default(),
        queue_deliveries: Gauge::default(),
        registry: Registry::default(),
    };
    registry.register("webhook_delivered", "Webhook attempts answered 2xx", m.delivered.clone());
    registry.register("webhook_failed", "Webhook attempts that failed (non-2xx, timeout, refused)", m.failed.clone());
    registry.register("webhook_retried", "Failed webhook attempts scheduled for a retry", m.retried.clone());
    registry.register("webhook_given_up", "Webhook deliveries given up (schedule exhausted, 410, endpoint disabled)", m.given_up.clone());
    registry.register("webhook_queue_events", "Events not yet turned into deliveries", m.queue_events.clone());
    registry.register("webhook_queue_deliveries", "Webhook deliveries waiting or in flight", m.queue_deliveries.clone());
    Metrics { registry, ..m }
});

impl Metrics {
    /// The text exposition, after reading the queue's depth.
    pub async fn render(&self, db: &tessera_core::db::Db) -> Result<String, tessera_core::error::ApiError> {
        let (events, deliveries) = tessera_core::webhooks::queue::depth(db).await?;
        self.queue_events.set(events);
        self.queue_deliveries.set(deliveries);
        let mut out = String::new();
        encode(&mut out, &self.registry).map_err(|e| tessera_core::error::ApiError::internal(anyhow::anyhow!("{e}")))?;
        Ok(out)
    }
}
