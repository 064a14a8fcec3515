//! Outbound calls to addresses that people type (the workspace webhook) must not reach the
//! server's own network: a workspace owner is not trusted with the instance's loopback,
//! private network, cloud metadata service or Fly's private `fdaa::/16` network.
//!
//! Two checks, because either alone is not enough:
//! - [`WebhookUrl::parse`] refuses, when the URL is saved and again before each call, anything
//!   but `https://` (unless `WEBHOOK_ALLOW_HTTP`), internal names (`localhost`, `*.internal`,
//!   `*.local`, names without a dot) and literal internal addresses;
//! - [`client`] resolves names through [`GuardedResolver`], which drops every internal address
//!   from the answer, so the address actually connected to is checked, not the one a name had
//!   when it was saved (no DNS rebinding). Redirects are never followed and system proxies are
//!   ignored, so the connection goes where the check looked.

use crate::config::{IpNet, WebhookPolicy};
use crate::error::{AppError, AppResult};
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// IPv4 ranges that are not the public internet.
fn v4_internal() -> &'static [IpNet] {
    static NETS: OnceLock<Vec<IpNet>> = OnceLock::new();
    NETS.get_or_init(|| {
        [
            "0.0.0.0/8",       // "this network"
            "10.0.0.0/8",      // private
            "100.64.0.0/10",   // carrier-grade NAT (and Tailscale)
            "127.0.0.0/8",     // loopback
            "169.254.0.0/16",  // link-local, cloud metadata
            "172.16.0.0/12",   // private
            "192.0.0.0/24",    // IETF protocol assignments
            "192.0.2.0/24",    // documentation
            "192.88.99.0/24",  // 6to4 relay
            "192.168.0.0/16",  // private
            "198.18.0.0/15",   // benchmarking
            "198.51.100.0/24", // documentation
            "203.0.113.0/24",  // documentation
            "224.0.0.0/4",     // multicast
            "240.0.0.0/4",     // reserved, broadcast
        ]
        .iter()
        .filter_map(|n| IpNet::parse(n))
        .collect()
    })
}

/// IPv6 ranges inside global unicast (2000::/3) that are not plain public addresses.
fn v6_internal() -> &'static [IpNet] {
    static NETS: OnceLock<Vec<IpNet>> = OnceLock::new();
    NETS.get_or_init(|| {
        [
            "2001::/23",     // IETF protocol assignments (Teredo, ORCHID, ...)
            "2001:db8::/32", // documentation
            "2002::/16",     // 6to4: can embed any IPv4 address
        ]
        .iter()
        .filter_map(|n| IpNet::parse(n))
        .collect()
    })
}

/// Whether `ip` is a public internet address a webhook may be sent to. IPv6 must be global
/// unicast (2000::/3), which leaves out loopback, unique-local `fc00::/7` (Fly's `fdaa::/16`
/// included), link-local, site-local, multicast, NAT64 and IPv4-mapped forms (checked as
/// the IPv4 address they carry).
pub fn is_public(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(v4) => !v4_internal().iter().any(|n| n.contains(IpAddr::V4(v4))),
        IpAddr::V6(v6) => {
            let global_unicast = (v6.segments()[0] & 0xe000) == 0x2000;
            global_unicast && !v6_internal().iter().any(|n| n.contains(IpAddr::V6(v6)))
        }
    }
}

/// Whether a host name may be a webhook's: not `localhost`, not a private suffix, and with a
/// dot (a bare name resolves through the server's search domains).
pub fn name_allowed(host: &str) -> bool {
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    const PRIVATE_SUFFIXES: &[&str] = &[
        ".localhost",
        ".internal",
        ".local",
        ".localdomain",
        ".home.arpa",
        ".lan",
        ".intranet",
        ".flycast",
        ".arpa",
    ];
    h.contains('.') && h != "localhost" && !PRIVATE_SUFFIXES.iter().any(|s| h.ends_with(s))
}

/// A webhook URL that passed the policy. Its `Debug` never shows the URL, which is a secret
/// (Slack puts its token in the path).
#[derive(Clone)]
pub struct WebhookUrl(url::Url);

impl std::fmt::Debug for WebhookUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WebhookUrl({}://{}/[redacted])", self.0.scheme(), self.host())
    }
}

fn refuse(message: &str) -> AppError {
    AppError::invalid("webhook", message)
}

impl WebhookUrl {
    /// Checks a typed (or stored) URL against `policy`.
    pub fn parse(raw: &str, policy: WebhookPolicy) -> AppResult<WebhookUrl> {
        let raw = raw.trim();
        if raw.len() > 2000 {
            return Err(refuse("the URL is too long (at most 2000 characters)"));
        }
        let u = url::Url::parse(raw)
            .ok()
            .filter(|u| u.host().is_some())
            .ok_or_else(|| refuse("enter the webhook URL, e.g. https://hooks.slack.com/services/..."))?;
        if raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(refuse("the webhook URL contains spaces or control characters"));
        }
        match u.scheme() {
            "https" => {}
            "http" if policy.allow_http => {}
            "http" => return Err(refuse("the webhook must use https:// (http:// is for development only)")),
            _ => {
                return Err(refuse(
                    "enter an https:// webhook URL, e.g. https://hooks.slack.com/services/...",
                ))
            }
        }
        if !u.username().is_empty() || u.password().is_some() {
            return Err(refuse("put no user name or password in the URL"));
        }
        if !policy.allow_private {
            let internal = match u.host() {
                Some(url::Host::Ipv4(ip)) => !is_public(IpAddr::V4(ip)),
                Some(url::Host::Ipv6(ip)) => !is_public(IpAddr::V6(ip)),
                Some(url::Host::Domain(d)) => !name_allowed(d),
                None => true,
            };
            if internal {
                return Err(refuse(
                    "the webhook must be on the public internet: local, private and internal addresses are refused",
                ));
            }
        }
        Ok(WebhookUrl(u))
    }

    /// The URL, to send to; never to log.
    pub fn expose(&self) -> &url::Url {
        &self.0
    }

    /// The host name alone, which may be shown.
    pub fn host(&self) -> String {
        self.0.host_str().unwrap_or_default().to_string()
    }
}

/// Resolves host names to addresses (the system resolver, or a fixed table in tests).
pub trait Lookup: Send + Sync {
    /// Every address of `host`.
    fn lookup(&self, host: String) -> Pin<Box<dyn Future<Output = std::io::Result<Vec<IpAddr>>> + Send>>;
}

/// The system resolver (`getaddrinfo` through tokio).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemLookup;

impl Lookup for SystemLookup {
    fn lookup(&self, host: String) -> Pin<Box<dyn Future<Output = std::io::Result<Vec<IpAddr>>> + Send>> {
        Box::pin(
            async move { Ok(tokio::net::lookup_host((host.as_str(), 0)).await?.map(|a| a.ip()).collect()) },
        )
    }
}

/// A reqwest resolver that keeps only public addresses (unless the policy allows private
/// ones), and fails when none is left.
pub struct GuardedResolver {
    lookup: Arc<dyn Lookup>,
    allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let lookup = self.lookup.clone();
        let allow_private = self.allow_private;
        let host = name.as_str().to_string();
        Box::pin(async move {
            if !allow_private && !name_allowed(&host) {
                return Err("refused: an internal host name".into());
            }
            let found = lookup.lookup(host).await?;
            let kept: Vec<SocketAddr> = found
                .into_iter()
                .filter(|ip| allow_private || is_public(*ip))
                .map(|ip| SocketAddr::new(ip, 0))
                .collect();
            if kept.is_empty() {
                return Err("refused: the name resolves only to internal addresses".into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(kept.into_iter());
            Ok(addrs)
        })
    }
}

/// The HTTP client for webhook calls: guarded resolution, no redirects, no proxies, short
/// timeouts.
pub fn client(policy: WebhookPolicy, lookup: Arc<dyn Lookup>) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .dns_resolver(Arc::new(GuardedResolver { lookup, allow_private: policy.allow_private }))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10))
        .build()
}

/// Addresses that are never public, for tests and documentation.
pub const EXAMPLES_REFUSED: &[IpAddr] = &[
    IpAddr::V4(Ipv4Addr::LOCALHOST),
    IpAddr::V6(Ipv6Addr::LOCALHOST),
    IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254)),
    IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3)),
    IpAddr::V4(Ipv4Addr::new(100, 64, 0, 1)),
    IpAddr::V6(Ipv6Addr::new(0xfdaa, 0, 0, 0, 0, 0, 0, 2)),
    IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1)),
    IpAddr::V6(Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1)),
    IpAddr::V4(Ipv4Addr::new(224, 0, 0, 1)),
    IpAddr::V6(Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0x7f00, 1)),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_not_public() {
        for ip in EXAMPLES_REFUSED {
            assert!(!is_public(*ip), "{ip}");
        }
        for ip in ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "2a09:8280:1::1"] {
            assert!(is_public(ip.parse().expect("ip")), "{ip}");
        }
        for ip in
            ["0.0.0.0", "::", "172.31.255.255", "192.168.1.1", "fc00::1", "64:ff9b::a00:1", "2002:7f00:1::1"]
        {
            assert!(!is_public(ip.parse().expect("ip")), "{ip}");
        }
    }

    #[test]
    fn only_https_to_public_hosts_passes_by_default() {
        let strict = WebhookPolicy::default();
        assert!(WebhookUrl::parse("https://hooks.slack.com/services/T/B/x", strict).is_ok());
        for bad in [
            "http://hooks.slack.com/services/x",
            "https://127.0.0.1:8080/",
            "https://[::1]/",
            "https://[fdaa::3]:8080/",
            "https://169.254.169.254/latest/meta-data/",
            "https://100.64.0.1/",
            "https://localhost/",
            "https://app.internal/",
            "https://printer.local/",
            "https://intranet/",
            "https://user:pw@hooks.example.com/",
            "ftp://hooks.example.com/",
            "https://hooks.example.com/a b",
        ] {
            assert!(WebhookUrl::parse(bad, strict).is_err(), "{bad}");
        }
        let dev = WebhookPolicy { allow_http: true, allow_private: true };
        assert!(WebhookUrl::parse("http://127.0.0.1:9000/hook", dev).is_ok());
        let http_only = WebhookPolicy { allow_http: true, allow_private: false };
        assert!(WebhookUrl::parse("http://127.0.0.1:9000/hook", http_only).is_err());
        assert!(!format!(
            "{:?}",
            WebhookUrl::parse("https://hooks.slack.com/services/SECRET", strict).expect("ok")
        )
        .contains("SECRET"));
    }
}
