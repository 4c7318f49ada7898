//! Tessera's domain: the rules and the data every surface shares.
//!
//! The REST handlers in the `tessera` binary and the Leptos server functions in
//! `tessera-app` both call the functions here; no business rule is written twice.
//!
//! The rules are the modules at the top (`catalog`, `claims`, `redemptions`,
//! `coins`, `webhooks`, …); what they stand on is in `infra/` (database,
//! configuration, clock, ids, outbound calls, errors, metrics) and the demo
//! and sandbox in `dev/`, both re-exported here.
//!
//! Modules without the `server` feature (types and pure logic such as [`markup`])
//! compile to WASM as well, so the browser renders exactly what the server does.

pub mod catalog;
pub mod codes;
pub mod images;
pub mod locale;
pub mod markup;
pub mod money;
pub mod orders;
pub mod types;
pub mod units;

#[cfg(feature = "server")]
mod dev;
#[cfg(feature = "server")]
mod infra;
#[cfg(feature = "server")]
pub use dev::{demo, sandbox};
#[cfg(feature = "server")]
pub use infra::{clock, config, db, error, ids, metrics, outbound};

#[cfg(feature = "server")]
pub mod claims;
#[cfg(feature = "server")]
pub mod coins;
#[cfg(feature = "server")]
pub mod dashboard;
#[cfg(feature = "server")]
pub mod event_catalog;
#[cfg(feature = "server")]
pub mod events;
#[cfg(feature = "server")]
pub mod fanout;
#[cfg(feature = "server")]
pub mod favorites;
#[cfg(feature = "server")]
pub mod geo;
#[cfg(feature = "server")]
pub mod idempotency;
#[cfg(feature = "server")]
pub mod mail;
#[cfg(feature = "server")]
pub mod merchants;
#[cfg(feature = "server")]
pub mod partners;
#[cfg(feature = "server")]
pub mod patch;
#[cfg(feature = "server")]
pub mod payments;
#[cfg(feature = "server")]
pub mod people;
#[cfg(feature = "server")]
pub mod qr;
#[cfg(feature = "server")]
pub mod redemptions;
#[cfg(feature = "server")]
pub mod retention;
#[cfg(feature = "server")]
pub mod review;
#[cfg(feature = "server")]
pub mod sessions;
#[cfg(feature = "server")]
pub mod signature;
#[cfg(feature = "server")]
pub mod sso;
#[cfg(feature = "server")]
pub mod theme;
#[cfg(feature = "server")]
pub mod tokens;
#[cfg(feature = "server")]
pub mod users;
#[cfg(feature = "server")]
pub mod vouchers;
#[cfg(feature = "server")]
pub mod webhooks;
#[cfg(feature = "server")]
pub mod webview;

#[cfg(feature = "server")]
pub use platform::{ApiReference, Platform};

#[cfg(feature = "server")]
mod platform {
    use crate::{config::Config, db::Db};
    use std::sync::Arc;

    /// What every request handler and server function needs: the database and
    /// the validated configuration. Cheap to clone.
    #[derive(Clone)]
    pub struct Platform {
        pub db: Db,
        pub config: Arc<Config>,
        /// Every call out (webhooks, SSO, coins): guarded by [`crate::outbound`].
        pub outbound: crate::outbound::Outbound,
        /// What `/metrics` reports; shared by the platform's clones.
        pub metrics: Arc<crate::metrics::Metrics>,
        /// Partners as read a moment ago, for the checks of every request
        /// (the JWT of each `/me/*` call).
        pub partners: Arc<crate::partners::Cache>,
    }

    impl Platform {
        pub fn new(db: Db, config: Arc<Config>) -> Self {
            // The one guard for every call out, built once (see `listening_at`).
            let to = crate::outbound::Destinations { allow: config.webhooks.allow_networks.clone() };
            let agent = concat!("Tessera/", env!("CARGO_PKG_VERSION"));
            let outbound = crate::outbound::Outbound::new(config.partner_backend_timeout, &to, agent, config.own_origin());
            Self { db, config, outbound, metrics: Arc::default(), partners: Arc::default() }
        }

        /// Once the server knows the address it listens on (a port 0 is
        /// chosen by the system): its own sandbox backend is reached there.
        pub fn listening_at(mut self, addr: std::net::SocketAddr) -> Self {
            let own = self.config.public_url.clone().or_else(|| url::Url::parse(&format!("http://{addr}")).ok());
            self.outbound = self.outbound.with_own_origin(own);
            self
        }
    }

    /// The OpenAPI document as JSON, for the API reference page.
    #[derive(Clone)]
    pub struct ApiReference(pub Arc<serde_json::Value>);
}
