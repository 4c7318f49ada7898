//! Every call Tessera makes to someone else's server — webhooks, a partner's
//! SSO and coins ledger, and any supplier or payment provider later — goes
//! through [`Outbound`]: never to a private, loopback, link-local (cloud
//! metadata) or reserved address unless the operator allow-listed its network
//! (`TESSERA_WEBHOOK_ALLOW_NETWORKS`). The same [`Destinations`] policy is
//! applied three times:
//!
//! - when a URL is saved ([`Destinations::check_for_save`]): the literal
//!   address, in any spelling the URL parser accepts (`2130706433`,
//!   `0x7f.1`, `[::ffff:127.0.0.1]`), and every address the name resolves to;
//! - when a call is made ([`Outbound::request`]): the literal address again
//!   (reqwest connects to an IP-literal URL without asking a resolver);
//! - at every connection ([`GuardedResolver`]): each resolved address, so a
//!   name re-pointed at a private network after it was saved is refused.
//!
//! No redirects are followed and no proxy is used. The one exception is this
//! server's own sandbox backend (`{own origin}/sandbox/…`, SPEC §7), which a
//! sandbox partner's integration points at: exactly that origin and path
//! prefix may be called on an address the policy would otherwise refuse.

use std::{
    net::{IpAddr, SocketAddr},
    time::Duration,
};

/// Where calls may go: public addresses, plus the networks the operator allow-listed.
#[derive(Debug, Clone, Default)]
pub struct Destinations {
    pub allow: Vec<ipnet::IpNet>,
}

pub const NOT_PUBLIC: &str =
    "points at a private, loopback or reserved address; the operator can allow-list networks with TESSERA_WEBHOOK_ALLOW_NETWORKS";

/// Networks no call goes to unless allow-listed: this host, private and
/// shared networks, link-local (cloud metadata at 169.254.169.254),
/// documentation, benchmarking, multicast and reserved ranges, and the IPv6
/// forms that embed an IPv4 address (IPv4-compatible, NAT64, 6to4, Teredo).
const SPECIAL: &[&str] = &[
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.88.99.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "::/96",
    "::1/128",
    "64:ff9b::/96",
    "64:ff9b:1::/48",
    "100::/64",
    "2001::/32",
    "2001:db8::/32",
    "2002::/16",
    "fc00::/7",
    "fe80::/10",
    "fec0::/10",
    "ff00::/8",
];

impl Destinations {
    /// True when a call may connect to `ip` (IPv4-mapped IPv6 judged as IPv4).
    pub fn permits(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        self.allow.iter().any(|n| n.contains(&ip)) || !SPECIAL.iter().any(|n| n.parse::<ipnet::IpNet>().is_ok_and(|n| n.contains(&ip)))
    }

    /// Checks a URL without the network: http(s), a host, no credentials,
    /// and — when the host is an address — a permitted one.
    pub fn check_url(&self, raw: &str) -> Result<url::Url, String> {
        let url = url::Url::parse(raw.trim()).map_err(|_| "is not an absolute URL".to_string())?;
        self.check_parsed(&url)?;
        Ok(url)
    }

    fn check_parsed(&self, url: &url::Url) -> Result<(), String> {
        if !matches!(url.scheme(), "https" | "http") {
            return Err("must be an https:// (or http://) URL".into());
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("must not carry credentials; Tessera authenticates its calls itself".into());
        }
        match url.host() {
            None => Err("has no host".into()),
            Some(url::Host::Ipv4(ip)) if !self.permits(IpAddr::V4(ip)) => Err(NOT_PUBLIC.into()),
            Some(url::Host::Ipv6(ip)) if !self.permits(IpAddr::V6(ip)) => Err(NOT_PUBLIC.into()),
            Some(url::Host::Domain(d)) if is_localhost(d) && !self.permits(IpAddr::from([127, 0, 0, 1])) => Err(NOT_PUBLIC.into()),
            Some(_) => Ok(()),
        }
    }

    /// [`Self::check_url`], then the name resolved now: refused if any address
    /// it resolves to is not permitted. A name that does not resolve (yet) is
    /// accepted; every call checks it again.
    pub async fn check_for_save(&self, raw: &str) -> Result<url::Url, String> {
        let url = self.check_url(raw)?;
        if let Some(url::Host::Domain(name)) = url.host() {
            let port = url.port_or_known_default().unwrap_or(443);
            let lookup = tokio::time::timeout(SAVE_LOOKUP, tokio::net::lookup_host((name.to_string(), port))).await;
            if let Ok(Ok(found)) = lookup
                && let Some(bad) = found.map(|a| a.ip()).find(|ip| !self.permits(*ip))
            {
                return Err(format!("resolves to {bad}, which {NOT_PUBLIC}"));
            }
        }
        Ok(url)
    }
}

/// How long saving a URL waits for its name to resolve.
const SAVE_LOOKUP: Duration = Duration::from_secs(2);

fn is_localhost(name: &str) -> bool {
    let name = name.trim_end_matches('.');
    name.eq_ignore_ascii_case("localhost") || name.to_ascii_lowercase().ends_with(".localhost")
}

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

/// The HTTP client for every call out (see the module docs). Cheap to clone.
#[derive(Clone)]
pub struct Outbound {
    to: Destinations,
    guarded: reqwest::Client,
    /// For this server's own sandbox backend alone (its address is loopback).
    direct: reqwest::Client,
    /// This server's own origin, once known.
    own: Option<url::Url>,
}

/// Why a call was not made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the URL {0}")]
pub struct Refused(pub String);

impl Outbound {
    /// `timeout` for a whole call; `own_origin` is where this server is
    /// reached (its public URL, else its listening address), whose
    /// `/sandbox/…` routes may be called whatever its address.
    pub fn new(timeout: Duration, to: &Destinations, user_agent: &'static str, own_origin: Option<url::Url>) -> Self {
        let builder = || {
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
                .timeout(timeout)
                .connect_timeout(timeout.min(Duration::from_secs(10)))
                .pool_max_idle_per_host(256)
                .user_agent(user_agent)
        };
        let guarded = builder().dns_resolver(GuardedResolver(to.clone())).build().expect("the HTTP client builds from static settings");
        let direct = builder().build().expect("the HTTP client builds from static settings");
        Self { to: to.clone(), guarded, direct, own: own_origin }
    }

    /// The same guard once this server knows where it is reached (a port 0 is
    /// chosen when it binds): the policy and its clients are not built again.
    pub fn with_own_origin(mut self, own_origin: Option<url::Url>) -> Self {
        self.own = own_origin;
        self
    }

    pub fn destinations(&self) -> &Destinations {
        &self.to
    }

    /// A request to `url`, or why it may not be made.
    pub fn request(&self, method: reqwest::Method, url: &str) -> Result<reqwest::RequestBuilder, Refused> {
        let url = url::Url::parse(url.trim()).map_err(|_| Refused("is not an absolute URL".into()))?;
        self.request_to(method, &url)
    }

    /// [`Self::request`] for a URL already parsed (the same checks).
    pub fn request_to(&self, method: reqwest::Method, url: &url::Url) -> Result<reqwest::RequestBuilder, Refused> {
        if self.is_own_sandbox(url) {
            return Ok(self.direct.request(method, url.clone()));
        }
        self.to.check_parsed(url).map_err(Refused)?;
        Ok(self.guarded.request(method, url.clone()))
    }

    /// True for a URL of this server's own sandbox backend: its origin, a
    /// path under `/sandbox/`, nothing else.
    pub fn is_own_sandbox(&self, url: &url::Url) -> bool {
        let Some(origin) = &self.own else { return false };
        url.origin() == origin.origin()
            && url.username().is_empty()
            && url.password().is_none()
            && url.path_segments().is_some_and(|mut s| s.next() == Some("sandbox") && s.next().is_some_and(|p| !p.is_empty()))
    }

    /// The check a URL gets when it is saved: the policy, resolved names
    /// included, except for this server's own sandbox backend.
    pub async fn check_for_save(&self, raw: &str) -> Result<url::Url, String> {
        if let Ok(url) = url::Url::parse(raw.trim())
            && self.is_own_sandbox(&url)
        {
            return Ok(url);
        }
        self.to.check_for_save(raw).await
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// reqwest is built without a TLS provider of its own (the binary installs ring).
    fn outbound(own: &str) -> Outbound {
        let _ = rustls::crypto::ring::default_provider().install_default();
        Outbound::new(Duration::from_secs(1), &Destinations::default(), "test", Some(url::Url::parse(own).unwrap()))
    }

    fn refused(to: &Destinations, url: &str) -> bool {
        to.check_url(url).is_err_and(|e| e.contains("private"))
    }

    #[test]
    fn every_spelling_of_a_private_address_is_refused() {
        let to = Destinations::default();
        for url in [
            "http://169.254.169.254/latest/meta-data",
            "http://127.0.0.1:3000/x",
            "http://127.1/",
            "http://2130706433/",
            "http://0x7f000001/",
            "http://0x7f.0.0.1/",
            "http://0177.0.0.1/",
            "http://0.0.0.0/",
            "http://10.1.2.3/",
            "http://172.16.0.1/",
            "http://192.168.1.1/",
            "http://100.64.0.1/",
            "http://[::1]/",
            "http://[::]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:a9fe:a9fe]/",
            "http://[::127.0.0.1]/",
            "http://[64:ff9b::a9fe:a9fe]/",
            "http://[2002:7f00:1::]/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
            "http://localhost/",
            "http://LOCALHOST./",
            "http://api.localhost/",
        ] {
            assert!(refused(&to, url), "{url} was let through");
        }
        for url in ["https://93.184.216.34/", "https://[2606:2800:220:1:248:1893:25c8:1946]/", "https://api.example.com/tessera"] {
            assert!(to.check_url(url).is_ok(), "{url} was refused");
        }
    }

    #[test]
    fn an_allow_listed_network_is_permitted_and_nothing_else() {
        let to = Destinations { allow: vec!["127.0.0.0/8".parse().unwrap()] };
        assert!(to.check_url("http://2130706433:8080/").is_ok());
        assert!(to.check_url("http://localhost/").is_ok());
        assert!(refused(&to, "http://169.254.169.254/"));
        assert!(refused(&to, "http://[::1]/"));
    }

    #[test]
    fn only_the_own_sandbox_route_is_exempt() {
        let out = outbound("http://127.0.0.1:3000");
        assert!(out.request(reqwest::Method::POST, "http://127.0.0.1:3000/sandbox/demo/sso").is_ok());
        for url in [
            "http://127.0.0.1:3000/admin/partners",
            "http://127.0.0.1:3000/sandbox/",
            "http://127.0.0.1:3000/sandbox/../admin/partners",
            "http://127.0.0.1:3001/sandbox/demo/sso",
            "http://localhost:3000/sandbox/demo/sso",
            "http://user:pw@127.0.0.1:3000/sandbox/demo/sso",
            "http://169.254.169.254/sandbox/demo/sso",
        ] {
            assert!(out.request(reqwest::Method::POST, url).is_err(), "{url} was let through");
        }
    }

    #[tokio::test]
    async fn the_resolver_refuses_a_name_that_resolves_to_a_private_address() {
        use reqwest::dns::Resolve;
        use std::str::FromStr;
        // The literal check would stop `localhost` earlier; the resolver must stop it on its own,
        // as it does a name that resolves to a private address at connection time.
        let name = || reqwest::dns::Name::from_str("localhost").unwrap();
        let refused = GuardedResolver(Destinations::default()).resolve(name()).await;
        assert!(refused.is_err_and(|e| e.to_string().contains("private")));
        let allowed = GuardedResolver(Destinations { allow: vec!["127.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()] })
            .resolve(name())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(allowed.into_iter().all(|a| a.ip().is_loopback()));
    }

    #[tokio::test]
    async fn saving_checks_the_literal_address_and_the_own_sandbox_only_at_its_origin() {
        let out = outbound("http://127.0.0.1:3000");
        assert!(out.check_for_save("http://127.0.0.1:3000/sandbox/demo").await.is_ok());
        for url in ["http://127.0.0.1:3000/other", "http://[::1]:3000/sandbox/demo", "http://localhost.:3000/sandbox/demo"] {
            let e = out.check_for_save(url).await.unwrap_err();
            assert!(e.contains("private"), "{url}: {e}");
        }
    }
}
