//! The background jobs `tessera serve` runs beside the HTTP server and the
//! webhook worker, each until shutdown: coin reversals (every second), order
//! recovery (every two seconds), the
//! feed's sequencer (every 250 ms), fan-outs (every 100 ms) and housekeeping (every minute). Each
//! job's work is rows in the database, so a crash loses none of it.

use std::time::Duration;
use tessera_core::Platform;
use tokio::sync::watch;

/// Runs `job` every `period` until `stopping` turns true; a run that takes
/// longer than the period delays the next tick instead of bunching them. Each
/// finished pass counts in `tessera_job_runs_total{job=name}`.
async fn every<F, Fut>(name: &'static str, platform: &Platform, period: Duration, mut stopping: watch::Receiver<bool>, mut job: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stopping.wait_for(|s| *s) => return,
        }
        job().await;
        platform.metrics.job_ran(name);
    }
}

/// Gives back coins whose claim failed or whose debit's outcome is unknown
/// (SPEC §7), every second; durable: the work is rows in `coin_debits`.
pub async fn coin_reversals(platform: Platform, stopping: watch::Receiver<bool>) {
    let platform = &platform;
    every("coin_reversals", platform, Duration::from_secs(1), stopping, move || async move {
        if let Err(e) = tessera_core::coins::reverse_due(platform).await {
            tracing::warn!(error = %e.message(), "coin reversals failed; will retry");
        }
    })
    .await;
}

/// Finishes orders a crash or a provider outage left between two steps: a
/// paid order gets its gift card (or its refund), a refund due is retried
/// (SPEC §10), every two seconds; durable: the work is rows in `orders` and `payments`.
pub async fn order_recovery(platform: Platform, stopping: watch::Receiver<bool>) {
    let platform = &platform;
    every("order_recovery", platform, Duration::from_secs(2), stopping, move || async move {
        if let Err(e) = tessera_core::orders::finish_unfinished(platform).await {
            tracing::warn!(error = %e.message(), "order recovery failed; will retry");
        }
    })
    .await;
}

/// Gives new events their feed positions (`tessera_core::events::sequence`)
/// a moment after they commit, so a feed read finds little left to do.
pub async fn sequencer(platform: Platform, stopping: watch::Receiver<bool>) {
    let platform = &platform;
    every("sequencer", platform, Duration::from_millis(250), stopping, move || async move {
        if let Err(e) = tessera_core::events::sequence_pending(&platform.db).await {
            tracing::warn!(error = %e.message(), "could not give events their feed positions; will retry");
        }
    })
    .await;
}

/// Writes the events of published vouchers' fan-outs a batch at a time
/// (`tessera_core::fanout`), looking for work every 100 ms; durable: the work
/// is rows in `fanout_jobs`, each batch committed with its cursor.
pub async fn fanout(platform: Platform, stopping: watch::Receiver<bool>) {
    let platform = &platform;
    let stop = stopping.clone();
    every("fanout", platform, Duration::from_millis(100), stopping, move || {
        let stop = stop.clone();
        async move {
            // Batch after batch while there is work, stopping between batches at shutdown.
            while !*stop.borrow() {
                match tessera_core::fanout::expand(&platform.db).await {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e.message(), "could not write a fan-out's events; will retry");
                        break;
                    }
                }
            }
        }
    })
    .await;
}

/// Every minute: forgets replay-protection signatures and idempotency records
/// once they can no longer matter, and prunes what has outlived the retention
/// (`tessera_core::retention`; a few batches a minute, so a backlog drains
/// without holding the writer).
pub async fn housekeeping(platform: Platform, stopping: watch::Receiver<bool>) {
    let platform = &platform;
    every("housekeeping", platform, Duration::from_secs(60), stopping, move || async move {
        let now = tessera_core::clock::now_ms();
        let signatures = tessera_core::partners::prune_seen_signatures(&platform.db, now).await;
        let keys = tessera_core::idempotency::prune(&platform.db, now).await;
        if let (Err(e), _) | (_, Err(e)) = (&signatures, &keys) {
            tracing::warn!(error = %e, "housekeeping failed; will retry");
        }
        match tessera_core::retention::prune(&platform.db, platform.config.retention, now, 20).await {
            Ok(pruned) if pruned.total() > 0 => tracing::info!(?pruned, "pruned what outlived the retention"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e.message(), "pruning failed; will retry"),
        }
    })
    .await;
}
