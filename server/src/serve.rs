use crate::jobs;
use anyhow::Context;
use std::time::Duration;
use tessera_core::Platform;
use tokio::{net::TcpListener, sync::watch};

/// Binds, prints where to go, serves until SIGTERM or Ctrl-C, then lets in-flight
/// requests finish for the configured grace period.
pub async fn serve(platform: Platform) -> anyhow::Result<()> {
    let config = platform.config.clone();
    let listener =
        TcpListener::bind(config.listen).await.with_context(|| format!("could not listen on {} (set TESSERA_LISTEN)", config.listen))?;
    let addr = listener.local_addr()?;
    let platform = platform.listening_at(addr);
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

    let (stopping_tx, stopping) = watch::channel(false);
    let housekeeping = tokio::spawn(jobs::housekeeping(platform.clone(), stopping.clone()));
    let reversals = tokio::spawn(jobs::coin_reversals(platform.clone(), stopping.clone()));
    let recovery = tokio::spawn(jobs::order_recovery(platform.clone(), stopping.clone()));
    let sequencer = tokio::spawn(jobs::sequencer(platform.clone(), stopping.clone()));
    let fanout = tokio::spawn(jobs::fanout(platform.clone(), stopping.clone()));
    let worker =
        config.webhooks.worker.then(|| tokio::spawn(crate::webhook_worker::run(platform.clone(), stopping.clone(), config.shutdown_grace)));
    let connections = hyper_util::server::graceful::GracefulShutdown::new();
    let mut server = Box::pin(accept(listener, app, config.header_read_timeout, &connections));
    let signalled = tokio::select! {
        () = shutdown_signal() => tokio::time::Instant::now(),
        e = &mut server => return Err(e).context("server failed"),
    };
    tracing::info!("shutting down: finishing in-flight requests");
    let _ = stopping_tx.send(true);
    let grace = config.shutdown_grace;
    // Stop accepting; connections finish their requests, within the grace period.
    drop(server);
    tokio::select! {
        () = connections.shutdown() => {}
        () = tokio::time::sleep_until(signalled + grace) => {
            tracing::warn!(grace_seconds = grace.as_secs(), "grace period over; dropping remaining connections")
        }
    }
    housekeeping.abort();
    reversals.abort();
    recovery.abort();
    sequencer.abort();
    fanout.abort();
    if let Some(worker) = worker {
        // It drains in parallel with the HTTP server, within the same grace
        // period from the signal, then records its last attempts (up to 2 s)
        // and gives back what it did not finish.
        let until = signalled + grace + Duration::from_secs(5);
        if tokio::time::timeout_at(until, worker).await.is_err() {
            tracing::warn!("the webhook worker did not stop in time; its leases expire on their own");
        }
    }
    platform.db.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Serves HTTP/1.1 connections until dropped. Like `axum::serve`, plus a
/// header-read timeout (a client that has not sent a whole request head in
/// `header_read` is disconnected, so half-sent requests cannot pile up) and
/// `TCP_NODELAY` (streamed responses — SSR, static files — otherwise wait on
/// delayed ACKs, ~40 ms each).
async fn accept(
    listener: TcpListener,
    app: axum::Router,
    header_read: Duration,
    connections: &hyper_util::server::graceful::GracefulShutdown,
) -> std::io::Error {
    use hyper_util::{rt::TokioIo, service::TowerToHyperService};
    use tower::ServiceExt;
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new()).header_read_timeout(header_read);
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) if is_per_connection(&e) => continue,
            Err(e) => {
                // Out of file descriptors, say: wait rather than spin, as axum does.
                tracing::error!(error = %e, "could not accept a connection");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let service = app.clone().map_request(move |mut req: axum::extract::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
            req
        });
        let connection = connections.watch(http.serve_connection(TokioIo::new(tcp), TowerToHyperService::new(service)));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, %peer, "connection ended with an error");
            }
        });
    }
}

fn is_per_connection(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(e.kind(), ConnectionRefused | ConnectionAborted | ConnectionReset)
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
