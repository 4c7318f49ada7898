//! The `tessera` binary's library: command line, HTTP composition, serving.
//!
//! Map of the tree:
//! - `cli`       — commands (`serve`, `migrate`, `demo`) and their start-up.
//! - `http`      — the axum router: API routes, Leptos routes, edge layers
//!   (request ids, tracing, body limit, timeouts, JSON errors).
//! - `serve`     — binding, the start-up banner, graceful shutdown.
//! - `jobs`      — background jobs: coin reversals, the feed's sequencer, housekeeping.
//! - `webhook_worker` — the webhook delivery worker (leases, sends, records).
//! - `telemetry` — tracing set-up (metrics live in `tessera_core::metrics`).
//!
//! Business rules live in `tessera-core`; handlers here parse, call it, and map
//! the result.

// Leptos' typed views of the console's larger pages (a form in each table row)
// are deeper than the compiler's default query depth.
#![recursion_limit = "256"]

pub mod cli;
pub mod http;
pub mod jobs;
pub mod serve;
pub mod telemetry;
pub mod webhook_worker;
