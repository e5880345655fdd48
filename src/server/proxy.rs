//! Which proxy a request goes through: `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY`
//! (or their lower-case forms) from the environment, like Go's `httpproxy.FromEnvironment`,
//! and never for a loopback host.
//!
//! reqwest's automatic system proxy has no loopback exception, so a plain-`http` request to
//! `127.0.0.1` (with its credentials) would go to a remote proxy in clear; Go always connects
//! to `localhost` and loopback addresses directly, and so does this client.

use std::net::IpAddr;

use url::Url;

use super::http::is_loopback;

/// The proxy settings read from the environment once, when a client is built.
pub(crate) struct ProxyEnv {
    http: Option<Url>,
    https: Option<Url>,
    no_proxy: Vec<NoProxyEntry>,
    /// Every host bypasses the proxy (`NO_PROXY=*`).
    no_proxy_all: bool,
}

impl ProxyEnv {
    /// Reads the settings through `lookup` (the process environment, or a test's).
    pub(crate) fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Self {
        let first = |names: &[&str]| names.iter().find_map(|n| lookup(n).filter(|v| !v.trim().is_empty()));
        let all = first(&["ALL_PROXY", "all_proxy"]).and_then(|v| parse_proxy(&v));
        // In a CGI program `HTTP_PROXY` may come from a request's `Proxy:` header ("httpoxy"):
        // Go refuses it there, and so do we.
        let cgi = lookup("REQUEST_METHOD").is_some_and(|v| !v.is_empty());
        let http = if cgi { None } else { first(&["HTTP_PROXY", "http_proxy"]).and_then(|v| parse_proxy(&v)) };
        let https = first(&["HTTPS_PROXY", "https_proxy"]).and_then(|v| parse_proxy(&v));
        let no = first(&["NO_PROXY", "no_proxy"]).unwrap_or_default();
        let no_proxy_all = no.split(',').any(|p| p.trim() == "*");
        let no_proxy = no.split(',').filter_map(NoProxyEntry::parse).collect();
        ProxyEnv { http: http.or_else(|| all.clone().filter(|_| !cgi)), https: https.or(all), no_proxy, no_proxy_all }
    }

    /// Reads the settings from the process environment.
    pub(crate) fn from_env() -> Self {
        Self::from_lookup(&crate::passphrase::process_env)
    }

    /// The proxy for a request to `target`, or `None` to connect directly.
    pub(crate) fn proxy_for(&self, target: &Url) -> Option<Url> {
        let host = target.host()?;
        if is_loopback(&host) || self.no_proxy_all {
            return None;
        }
        let port = target.port_or_known_default();
        if self.no_proxy.iter().any(|entry| entry.matches(&host, port)) {
            return None;
        }
        match target.scheme() {
            "https" => self.https.clone(),
            "http" => self.http.clone(),
            _ => None,
        }
    }

    /// The reqwest proxy applying these settings (installing it turns reqwest's own system
    /// proxy off).
    pub(crate) fn into_reqwest(self) -> reqwest::Proxy {
        reqwest::Proxy::custom(move |url| self.proxy_for(url))
    }
}

/// A proxy setting as Go reads it: a URL, or `host:port` meaning `http://host:port`.
fn parse_proxy(value: &str) -> Option<Url> {
    let value = value.trim();
    let parsed = Url::parse(value).ok().filter(|u| {
        matches!(u.scheme(), "http" | "https" | "socks5" | "socks5h") && u.host().is_some() && value.contains("://")
    });
    parsed.or_else(|| Url::parse(&format!("http://{value}")).ok().filter(|u| u.host().is_some()))
}

/// One `NO_PROXY` entry (Go's rules): an IP address or CIDR range, or a domain name that
/// matches itself and its subdomains (`.example.com` and `*.example.com`: subdomains only);
/// each may carry a `:port` that must match too.
#[derive(Debug, PartialEq, Eq)]
enum NoProxyEntry {
    Ip(IpAddr, Option<u16>),
    Cidr(IpAddr, u8),
    Domain { suffix: String, exact_too: bool, port: Option<u16> },
}

impl NoProxyEntry {
    fn parse(entry: &str) -> Option<Self> {
        let entry = entry.trim().to_ascii_lowercase();
        if entry.is_empty() || entry == "*" {
            return None;
        }
        if let Some((addr, bits)) = entry.split_once('/') {
            let addr: IpAddr = addr.parse().ok()?;
            let bits: u8 = bits.parse().ok()?;
            let max = if addr.is_ipv4() { 32 } else { 128 };
            return (bits <= max).then_some(NoProxyEntry::Cidr(addr, bits));
        }
        if let Ok(ip) = entry.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
            return Some(NoProxyEntry::Ip(ip, None));
        }
        let (host, port) = match entry.rsplit_once(':') {
            Some((host, port)) => (host, Some(port.parse::<u16>().ok()?)),
            None => (entry.as_str(), None),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Some(NoProxyEntry::Ip(ip, port));
        }
        let host = host.strip_prefix('*').unwrap_or(host);
        if host.is_empty() || host == "." {
            return None;
        }
        Some(match host.strip_prefix('.') {
            Some(_) => NoProxyEntry::Domain { suffix: host.to_owned(), exact_too: false, port },
            None => NoProxyEntry::Domain { suffix: format!(".{host}"), exact_too: true, port },
        })
    }

    fn matches(&self, host: &url::Host<&str>, port: Option<u16>) -> bool {
        let ip = match host {
            url::Host::Ipv4(ip) => Some(IpAddr::V4(*ip)),
            url::Host::Ipv6(ip) => Some(IpAddr::V6(*ip)),
            url::Host::Domain(_) => None,
        };
        match (self, ip) {
            (NoProxyEntry::Ip(want, want_port), Some(ip)) => *want == ip && want_port.is_none_or(|p| Some(p) == port),
            (NoProxyEntry::Cidr(net, bits), Some(ip)) => in_range(ip, *net, *bits),
            (NoProxyEntry::Domain { suffix, exact_too, port: want_port }, None) => {
                let name = host.to_string().to_ascii_lowercase();
                let name = name.strip_suffix('.').unwrap_or(&name);
                let hit = name.ends_with(suffix.as_str()) || (*exact_too && suffix.get(1..) == Some(name));
                hit && want_port.is_none_or(|p| Some(p) == port)
            }
            _ => false,
        }
    }
}

/// Whether `ip` lies in `net/bits`.
fn in_range(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &'static [(&'static str, &'static str)]) -> ProxyEnv {
        ProxyEnv::from_lookup(&|name| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned()))
    }

    fn proxy(e: &ProxyEnv, target: &str) -> Option<String> {
        e.proxy_for(&Url::parse(target).unwrap()).map(String::from)
    }

    #[test]
    fn loopback_hosts_are_never_proxied() {
        let e = env(&[("HTTPS_PROXY", "http://proxy.corp:3128"), ("HTTP_PROXY", "http://proxy.corp:3128")]);
        for target in
            ["http://127.0.0.1:4443/v2/", "https://127.0.0.1:4443/", "http://localhost:1/", "http://[::1]:80/"]
        {
            assert_eq!(proxy(&e, target), None, "{target}");
        }
        assert_eq!(proxy(&e, "https://notary.example.com/").as_deref(), Some("http://proxy.corp:3128/"));
    }

    #[test]
    fn https_proxy_is_used_for_other_hosts() {
        let e = env(&[("https_proxy", "proxy.corp:3128")]);
        assert_eq!(proxy(&e, "https://notary.docker.io/").as_deref(), Some("http://proxy.corp:3128/"));
        assert_eq!(proxy(&e, "http://10.0.0.1/"), None, "no HTTP_PROXY");
        let e = env(&[("HTTPS_PROXY", "https://u:p@proxy:8443"), ("https_proxy", "http://other:1")]);
        assert_eq!(proxy(&e, "https://h/").as_deref(), Some("https://u:p@proxy:8443/"), "upper case first");
        let e = env(&[("ALL_PROXY", "socks5h://s:1080")]);
        assert_eq!(proxy(&e, "https://h/").as_deref(), Some("socks5h://s:1080"));
        assert_eq!(proxy(&env(&[]), "https://h/"), None);
        assert_eq!(proxy(&env(&[("HTTPS_PROXY", "")]), "https://h/"), None);
    }

    #[test]
    fn no_proxy_entries() {
        let e = env(&[
            ("HTTPS_PROXY", "http://proxy:3128"),
            ("NO_PROXY", "example.com, .internal, 10.0.0.0/8, 192.168.1.5, [fd00::1], only.port:4443, *.wild"),
        ]);
        for direct in [
            "https://example.com/",
            "https://notary.example.com/",
            "https://a.internal/",
            "https://10.1.2.3/",
            "https://192.168.1.5:4443/",
            "https://[fd00::1]/",
            "https://only.port:4443/",
            "https://x.wild/",
        ] {
            assert_eq!(proxy(&e, direct), None, "{direct}");
        }
        for proxied in [
            "https://notexample.com/",
            "https://internal/",
            "https://11.0.0.1/",
            "https://192.168.1.6/",
            "https://only.port/",
            "https://wild/",
        ] {
            assert!(proxy(&e, proxied).is_some(), "{proxied}");
        }
        assert_eq!(proxy(&env(&[("HTTPS_PROXY", "http://p:1"), ("no_proxy", " * ")]), "https://h/"), None);
    }

    #[test]
    fn http_proxy_is_ignored_in_cgi_programs() {
        let e = env(&[("HTTP_PROXY", "http://evil:1"), ("REQUEST_METHOD", "GET")]);
        assert_eq!(proxy(&e, "http://10.0.0.1/"), None);
        let e = env(&[("HTTP_PROXY", "http://proxy:1")]);
        assert_eq!(proxy(&e, "http://10.0.0.1/").as_deref(), Some("http://proxy:1/"));
    }
}
