//! Retention: what is kept, and for how long. Delivered events (with their
//! deliveries and attempts, whose 4 KiB response excerpts add up), sessions that
//! ended or expired, and token cut-offs no token can outlive are removed once
//! older than the retention (`retention_days`, 30 by default, like Svix's
//! payload retention); settled coin debits once older than the ledger
//! retention (`ledger_retention_days`, 400 by default: a year of
//! reconciliation and then some).
//!
//! What is never removed: an event with a delivery that is still pending or
//! failed (it has not reached its endpoint; a recover or resend still needs it),
//! an event without its feed position yet, and the newest event of the feed
//! (positions continue from it, so partners' cursors stay valid). A coin debit
//! in flight or being reversed stays whatever its age.
//!
//! Pruning goes in batches, each its own short write transaction, oldest first,
//! so a backlog of a million rows never holds the writer for long.

use crate::{db::Db, error::ApiError};
use serde::Serialize;
use std::time::Duration;

/// Rows removed per transaction.
const BATCH: i64 = 1_000;

/// How long things are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Delivered events, their deliveries and attempts; ended sessions.
    pub delivered: Duration,
    /// Settled coin debits.
    pub ledger: Duration,
}

impl Default for Retention {
    fn default() -> Self {
        Retention { delivered: Duration::from_secs(30 * 86_400), ledger: Duration::from_secs(400 * 86_400) }
    }
}

/// What one [`prune`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Pruned {
    pub events: u64,
    pub deliveries: u64,
    pub attempts: u64,
    pub sessions: u64,
    pub token_cutoffs: u64,
    pub coin_debits: u64,
}

impl std::ops::AddAssign for Pruned {
    fn add_assign(&mut self, other: Pruned) {
        self.events += other.events;
        self.deliveries += other.deliveries;
        self.attempts += other.attempts;
        self.sessions += other.sessions;
        self.token_cutoffs += other.token_cutoffs;
        self.coin_debits += other.coin_debits;
    }
}

impl Pruned {
    pub fn total(&self) -> u64 {
        self.events + self.deliveries + self.attempts + self.sessions + self.token_cutoffs + self.coin_debits
    }
}

/// An event that may go: older than `$1`, every delivery of it delivered, and
/// sequenced before the newest event of the feed.
const PRUNABLE_EVENT: &str = "e.created_at < $1 \
     AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.status <> 'delivered') \
     AND e.seq < (SELECT MAX(seq) FROM events)";

/// Removes what has outlived `retention` as of `now_ms`, at most `max_batches`
/// batches of each kind (call again while something is left).
pub async fn prune(db: &Db, retention: Retention, now_ms: i64, max_batches: u32) -> Result<Pruned, ApiError> {
    let delivered_before = now_ms - retention.delivered.as_millis() as i64;
    let ledger_before = now_ms - retention.ledger.as_millis() as i64;
    let mut pruned = Pruned::default();
    for _ in 0..max_batches {
        let batch = prune_events(db, delivered_before).await?;
        pruned += batch;
        if batch.events < BATCH as u64 {
            break;
        }
    }
    // A session is kept while it could be used or audited; a cut-off once no
    // token issued before it can still be valid.
    let token_horizon = now_ms - (crate::tokens::MAX_LIFETIME_SECONDS + 3_600) * 1_000;
    let simple: [(&str, i64, &mut u64); 3] = [
        (
            "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions \
             WHERE (ended_at IS NOT NULL AND ended_at < $1) OR expires_at < $1 LIMIT $2)",
            delivered_before,
            &mut pruned.sessions,
        ),
        (
            "DELETE FROM token_cutoffs WHERE (partner_id, subject_hash) IN \
             (SELECT partner_id, subject_hash FROM token_cutoffs WHERE cutoff_ms < $1 LIMIT $2)",
            token_horizon,
            &mut pruned.token_cutoffs,
        ),
        (
            "DELETE FROM coin_debits WHERE id IN (SELECT id FROM coin_debits \
             WHERE state IN ('claimed', 'reversed') AND updated_at < $1 LIMIT $2)",
            ledger_before,
            &mut pruned.coin_debits,
        ),
    ];
    for (sql, before, count) in simple {
        for _ in 0..max_batches {
            let mut tx = db.begin_write().await?;
            let gone = sqlx::query(sql).bind(before).bind(BATCH).execute(&mut *tx).await?.rows_affected();
            tx.commit().await?;
            *count += gone;
            if gone < BATCH as u64 {
                break;
            }
        }
    }
    Ok(pruned)
}

/// One batch of events, oldest first, with their deliveries and attempts.
async fn prune_events(db: &Db, before: i64) -> Result<Pruned, ApiError> {
    let mut tx = db.begin_write().await?;
    let page = format!("SELECT e.id FROM events e WHERE {PRUNABLE_EVENT} ORDER BY e.id LIMIT $2");
    let ids: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(page)).bind(before).bind(BATCH).fetch_all(&mut *tx).await?;
    let Some((last,)) = ids.last() else {
        return Ok(Pruned::default());
    };
    // The same events in each statement: prunable and at most the batch's last id.
    let within = format!("e.id <= $2 AND {PRUNABLE_EVENT}");
    let attempts = format!(
        "DELETE FROM webhook_attempts WHERE delivery_id IN \
         (SELECT d.id FROM webhook_deliveries d JOIN events e ON e.id = d.event_id WHERE {within})"
    );
    let deliveries = format!("DELETE FROM webhook_deliveries WHERE event_id IN (SELECT e.id FROM events e WHERE {within})");
    let events = format!("DELETE FROM events WHERE id IN (SELECT e.id FROM events e WHERE {within})");
    let mut counts = [0u64; 3];
    for (sql, count) in [attempts, deliveries, events].into_iter().zip(counts.iter_mut()) {
        *count = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(before).bind(last).execute(&mut *tx).await?.rows_affected();
    }
    tx.commit().await?;
    let [attempts, deliveries, events] = counts;
    Ok(Pruned { events, deliveries, attempts, ..Pruned::default() })
}
