//! What the rules stand on: the database ([`db`]: handle, group commit,
//! dialect), configuration, the clock, ids, the guard for every call out
//! ([`outbound`]), the error type and metrics. Re-exported at the crate root
//! (`tessera_core::db`, …).

pub mod clock;
pub mod config;
pub mod db;
pub mod error;
pub mod ids;
pub mod metrics;
pub mod outbound;
