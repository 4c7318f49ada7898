//! Calls Tessera makes to other people's servers (webhooks, a partner's SSO
//! and coins ledger): never to a private, loopback or link-local address
//! unless allow-listed (`webhook_allow_networks`), checked at every
//! connection by the resolver, not only when the URL was saved; no redirects
//! followed; no proxy.

use crate::webhooks::{Destinations, NOT_PUBLIC};
use std::{net::SocketAddr, time::Duration};

/// Resolves names like the system does, then keeps only addresses the policy
/// permits, so a name pointing at a private network is refused at each call.
struct GuardedResolver(Destinations);

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let to = self.0.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found.into_iter().filter(|a| to.permits(a.ip())).collect();
            if allowed.is_empty() {
                return Err(format!("{host} {NOT_PUBLIC}").into());
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// An HTTP client for calls out: `timeout` for the whole call, guarded name
/// resolution, no redirects, no proxy.
pub fn client(timeout: Duration, to: &Destinations, user_agent: &'static str) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .pool_max_idle_per_host(256)
        .user_agent(user_agent)
        .dns_resolver(GuardedResolver(to.clone()))
        .build()
        .expect("the HTTP client builds from static settings")
}

/// A transport error in words, with its cause (what `reqwest` hides).
pub fn describe(e: &reqwest::Error) -> String {
    use std::error::Error;
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let mut text = format!("{kind}: {e}");
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
