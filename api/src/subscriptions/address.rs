//! Where a webhook may be posted: `https` to a public address; plain
//! `http` only to loopback with `--allow-insecure-webhooks`; private,
//! loopback, link-local, unspecified, CGNAT, multicast and unique-local
//! addresses only for hosts named in `--webhook-allow-hosts`.
//!
//! Checked when a subscription is created and again before every
//! delivery (DNS can change); the delivery connects to the addresses
//! checked, never resolving the name again in between.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use reqwest::Url;

use crate::limits::{WEBHOOK_DNS_TIMEOUT_MS, WEBHOOK_URL_BYTES_MAX};

/// What the operator allows beyond public `https` addresses.
#[derive(Clone, Debug, Default)]
pub struct WebhookPolicy {
    /// `--allow-insecure-webhooks`: loopback receivers, over `http` too.
    pub allow_insecure: bool,
    /// `--webhook-allow-hosts`: host names (or addresses) that may resolve
    /// to non-public addresses.
    pub allow_hosts: Vec<String>,
}

/// A URL that passed the policy, and the addresses to connect to.
#[derive(Clone, Debug)]
pub struct Target {
    pub url: Url,
    /// The host as written in the URL (no brackets for IPv6).
    pub host: String,
    /// Every address the host resolved to, all allowed.
    pub addresses: Vec<SocketAddr>,
}

/// Why a URL is refused; the text is shown to the user.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

/// Whether an address is one a public receiver cannot have: private,
/// loopback, link-local, unspecified, CGNAT, multicast, unique-local (and
/// broadcast, documentation, reserved).
pub fn is_non_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4_non_public(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4_non_public(v4),
            None => v6_non_public(v6),
        },
    }
}

fn v4_non_public(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0
        // CGNAT, 100.64.0.0/10.
        || (a == 100 && (b & 0xc0) == 64)
        // Benchmarking, 198.18.0.0/15.
        || (a == 198 && (b & 0xfe) == 18)
        // Reserved, 240.0.0.0/4.
        || a >= 240
}

fn v6_non_public(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        // Unique local, fc00::/7.
        || (first & 0xfe00) == 0xfc00
        // Link-local, fe80::/10.
        || (first & 0xffc0) == 0xfe80
        // Documentation, 2001:db8::/32.
        || (first == 0x2001 && ip.segments()[1] == 0x0db8)
}

fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

impl WebhookPolicy {
    fn allow_listed(&self, host: &str) -> bool {
        self.allow_hosts
            .iter()
            .any(|allowed| allowed.trim().eq_ignore_ascii_case(host))
    }

    /// Parses `raw` and checks what can be checked without DNS: length,
    /// scheme, host. Returns the URL, its host and port.
    pub fn parse(&self, raw: &str) -> Result<(Url, String, u16), Refused> {
        if raw.len() > WEBHOOK_URL_BYTES_MAX {
            return Err(Refused(format!(
                "the webhook URL is longer than {WEBHOOK_URL_BYTES_MAX} bytes"
            )));
        }
        let url = Url::parse(raw.trim())
            .map_err(|e| Refused(format!("the webhook URL is not a URL: {e}")))?;
        let host = match url.host_str() {
            Some(host) if !host.is_empty() => host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_ascii_lowercase(),
            _ => return Err(Refused("the webhook URL has no host".into())),
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Refused(
                "the webhook URL must not hold credentials: deliveries are signed instead".into(),
            ));
        }
        let loopback_name = host == "localhost" || host.ends_with(".localhost");
        let loopback = loopback_name || host.parse::<IpAddr>().is_ok_and(is_loopback);
        match url.scheme() {
            "https" => {}
            "http" if loopback && self.allow_insecure => {}
            "http" if loopback => {
                return Err(Refused(
                    "only https webhook URLs are accepted; plain http to a loopback address \
                     needs the server to run with --allow-insecure-webhooks"
                        .into(),
                ))
            }
            "http" => {
                return Err(Refused(
                    "only https webhook URLs are accepted (plain http only to a loopback \
                     address, with --allow-insecure-webhooks)"
                        .into(),
                ))
            }
            other => {
                return Err(Refused(format!(
                    "the webhook URL's scheme `{}` is not https",
                    leadline_domain::text::echo(other)
                )))
            }
        }
        let port = url
            .port_or_known_default()
            .ok_or_else(|| Refused("the webhook URL has no port".into()))?;
        Ok((url, host, port))
    }

    /// Checks the addresses `host` resolved to: all must be allowed, and
    /// all loopback for plain `http`.
    pub fn check_addresses(
        &self,
        url: &Url,
        host: &str,
        addresses: &[SocketAddr],
    ) -> Result<(), Refused> {
        if addresses.is_empty() {
            return Err(Refused(format!("the webhook host `{host}` has no address")));
        }
        if url.scheme() == "http" {
            if let Some(outside) = addresses.iter().find(|a| !is_loopback(a.ip())) {
                return Err(Refused(format!(
                    "the webhook host `{host}` resolves to {}, which is not a loopback \
                     address: plain http is only for loopback receivers",
                    outside.ip()
                )));
            }
        }
        if self.allow_listed(host) {
            return Ok(());
        }
        for address in addresses {
            let ip = address.ip();
            if is_loopback(ip) && self.allow_insecure {
                continue;
            }
            if is_non_public(ip) {
                return Err(Refused(format!(
                    "the webhook host `{host}` resolves to {ip}, which is not a public address \
                     (private, loopback, link-local, CGNAT, multicast or reserved); name the \
                     host in --webhook-allow-hosts to allow it"
                )));
            }
        }
        Ok(())
    }

    /// The whole check: parse, resolve, check every address.
    pub async fn check(&self, raw: &str) -> Result<Target, Refused> {
        let (url, host, port) = self.parse(raw)?;
        let addresses: Vec<SocketAddr> = match host.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) => {
                let lookup = tokio::net::lookup_host((host.as_str(), port));
                tokio::time::timeout(Duration::from_millis(WEBHOOK_DNS_TIMEOUT_MS), lookup)
                    .await
                    .map_err(|_| {
                        Refused(format!(
                            "the webhook host `{host}` did not resolve within \
                             {WEBHOOK_DNS_TIMEOUT_MS} ms"
                        ))
                    })?
                    .map_err(|e| {
                        Refused(format!("the webhook host `{host}` does not resolve: {e}"))
                    })?
                    .collect()
            }
        };
        self.check_addresses(&url, &host, &addresses)?;
        Ok(Target {
            url,
            host,
            addresses,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(allow_insecure: bool, hosts: &[&str]) -> WebhookPolicy {
        WebhookPolicy {
            allow_insecure,
            allow_hosts: hosts.iter().map(|h| (*h).to_owned()).collect(),
        }
    }

    fn at(ip: &str) -> Vec<SocketAddr> {
        vec![SocketAddr::new(ip.parse().expect("ip"), 443)]
    }

    fn https() -> Url {
        Url::parse("https://h/").expect("url")
    }

    #[test]
    fn non_public_addresses_are_recognized() {
        for ip in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "127.0.0.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "100.127.255.254",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "::ffff:10.0.0.1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_non_public(ip.parse().expect("ip")), "{ip}");
        }
        for ip in ["93.184.216.34", "100.128.0.1", "8.8.8.8", "2606:4700::1111"] {
            assert!(!is_non_public(ip.parse().expect("ip")), "{ip}");
        }
    }

    #[test]
    fn only_https_unless_loopback_with_the_flag() {
        let strict = policy(false, &[]);
        assert!(strict.parse("https://hooks.example.com/x").is_ok());
        assert!(strict.parse("http://hooks.example.com/x").is_err());
        assert!(strict.parse("http://127.0.0.1:9000/x").is_err());
        assert!(strict.parse("ftp://example.com/").is_err());
        assert!(strict.parse("https://user:pw@example.com/").is_err());
        assert!(strict.parse("not a url").is_err());
        let long = format!("https://example.com/{}", "a".repeat(WEBHOOK_URL_BYTES_MAX));
        assert!(strict.parse(&long).is_err());
        let insecure = policy(true, &[]);
        assert!(insecure.parse("http://127.0.0.1:9000/x").is_ok());
        assert!(insecure.parse("http://[::1]:9000/x").is_ok());
        assert!(insecure.parse("http://localhost:9000/x").is_ok());
        assert!(insecure.parse("http://hooks.example.com/x").is_err());
    }

    #[test]
    fn private_addresses_need_the_allow_list() {
        let strict = policy(false, &[]);
        let url = https();
        assert!(strict.check_addresses(&url, "h", &at("10.0.0.5")).is_err());
        assert!(strict.check_addresses(&url, "h", &at("127.0.0.1")).is_err());
        assert!(strict
            .check_addresses(&url, "h", &at("93.184.216.34"))
            .is_ok());
        assert!(strict.check_addresses(&url, "h", &[]).is_err());
        let listed = policy(false, &["internal.example"]);
        assert!(listed
            .check_addresses(&url, "internal.example", &at("10.0.0.5"))
            .is_ok());
        assert!(listed
            .check_addresses(&url, "other", &at("10.0.0.5"))
            .is_err());
        let insecure = policy(true, &[]);
        assert!(insecure
            .check_addresses(&url, "h", &at("127.0.0.1"))
            .is_ok());
        assert!(insecure
            .check_addresses(&url, "h", &at("192.168.0.1"))
            .is_err());
        // One bad address among good ones is refused.
        let mixed = [at("93.184.216.34"), at("10.0.0.1")].concat();
        assert!(strict.check_addresses(&url, "h", &mixed).is_err());
        // Plain http only ever reaches loopback, whatever the name says.
        let http = Url::parse("http://app.localhost:8000/").expect("url");
        assert!(insecure
            .check_addresses(&http, "app.localhost", &at("127.0.0.1"))
            .is_ok());
        assert!(insecure
            .check_addresses(&http, "app.localhost", &at("93.184.216.34"))
            .is_err());
    }
}
