use anyhow::Context;
use axum::serve::ListenerExt;
use std::time::Duration;
use tessera_core::Platform;
use tokio::{net::TcpListener, sync::watch};

/// Binds, prints where to go, serves until SIGTERM or Ctrl-C, then lets in-flight
/// requests finish for the configured grace period.
pub async fn serve(platform: Platform) -> anyhow::Result<()> {
    let config = platform.config.clone();
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("could not listen on {} (set TESSERA_LISTEN)", config.listen))?;
    let addr = listener.local_addr()?;
    let base = match &config.public_url {
        Some(url) => url.as_str().trim_end_matches('/').to_string(),
        None => format!("http://{addr}"),
    };
    let demo = std::sync::Arc::new(crate::http::demo::DemoState::default());
    let app = crate::http::router(platform.clone(), demo.clone());

    // The banner is the one thing on stdout: scripts and tests read the first line.
    println!("tessera: listening on http://{addr}");
    println!("  webview     {base}/consumer");
    println!("  API docs    {base}/docs/api  ·  {base}/openapi.json");
    if config.demo_page {
        println!("  demo        {base}/demo   (a partner app embedding the webview, with its bridge and webhook logs)");
        let (platform, base) = (platform.clone(), base.clone());
        tokio::spawn(async move { crate::http::demo::connect(&platform, &demo, &base).await });
    }
    println!("  health      {base}/healthz  ·  readiness {base}/readyz  ·  metrics {base}/metrics");
    tracing::info!(%addr, "listening");

    let (stopping_tx, mut stopping) = watch::channel(false);
    let housekeeping = tokio::spawn(housekeeping(platform.clone(), stopping.clone()));
    let reversals = tokio::spawn(coin_reversals(platform.clone(), stopping.clone()));
    let worker = config
        .webhooks
        .worker
        .then(|| tokio::spawn(crate::webhooks::run(platform.clone(), stopping.clone(), config.shutdown_grace)));
    // Streamed responses (SSR, static files) otherwise wait on delayed ACKs.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    let signalled = std::sync::Arc::new(std::sync::OnceLock::<tokio::time::Instant>::new());
    let server = axum::serve(listener, app).with_graceful_shutdown({
        let signalled = signalled.clone();
        async move {
            shutdown_signal().await;
            tracing::info!("shutting down: finishing in-flight requests");
            let _ = signalled.set(tokio::time::Instant::now());
            let _ = stopping_tx.send(true);
        }
    });
    let grace = config.shutdown_grace;
    let deadline = async move {
        let _ = stopping.wait_for(|s| *s).await;
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        result = server.into_future() => result.context("server failed")?,
        () = deadline => tracing::warn!(grace_seconds = grace.as_secs(), "grace period over; dropping remaining connections"),
    }
    housekeeping.abort();
    reversals.abort();
    if let Some(worker) = worker {
        // It drains in parallel with the HTTP server, within the same grace
        // period from the signal, then records its last attempts (up to 2 s)
        // and gives back what it did not finish.
        let until = signalled.get().map_or_else(tokio::time::Instant::now, |at| *at + grace) + Duration::from_secs(5);
        if tokio::time::timeout_at(until, worker).await.is_err() {
            tracing::warn!("the webhook worker did not stop in time; its leases expire on their own");
        }
    }
    platform.db.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Gives back coins whose claim failed or whose debit's outcome is unknown
/// (SPEC §7), every second; durable: the work is rows in `coin_debits`.
async fn coin_reversals(platform: Platform, mut stopping: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stopping.wait_for(|s| *s) => return,
        }
        if let Err(e) = tessera_core::coins::reverse_due(&platform).await {
            tracing::warn!(error = %e.message(), "coin reversals failed; will retry");
        }
    }
}

/// Forgets replay-protection signatures and idempotency records once they can
/// no longer matter, every minute.
async fn housekeeping(platform: Platform, mut stopping: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stopping.wait_for(|s| *s) => return,
        }
        let now = tessera_core::clock::now_ms();
        let signatures = tessera_core::partners::prune_seen_signatures(&platform.db, now).await;
        let keys = tessera_core::idempotency::prune(&platform.db, now).await;
        if let (Err(e), _) | (_, Err(e)) = (&signatures, &keys) {
            tracing::warn!(error = %e, "housekeeping failed; will retry");
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// How long a readiness probe waits for the database.
pub const READINESS_TIMEOUT: Duration = Duration::from_secs(2);
