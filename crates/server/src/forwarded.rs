//! The scheme and host a request was sent to, for the URLs the service builds (launch URLs)
//! and for telling content hosts from API hosts.
//!
//! `Forwarded`, `X-Forwarded-Host` and `X-Forwarded-Proto` are honoured only when the peer
//! (the TCP connection's address) is one of `server.trusted_proxies`; anyone else's are
//! ignored. Even then only `http`/`https` and a valid host name (with an optional port) are
//! taken; any other value is ignored. Of a list, the last (right-most) value counts: the one
//! the proxy next to the service wrote, which a client cannot forge by sending its own.

use actix_web::dev::RequestHead;
use actix_web::http::header::{self, HeaderMap};
use std::net::{IpAddr, Ipv6Addr, SocketAddr};

/// One entry of `server.trusted_proxies`: an address and how many leading bits must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cidr {
    addr: IpAddr,
    bits: u8,
}

impl Cidr {
    /// `10.0.0.0/8`, `fd00::/8`, or a single address (`127.0.0.1`, `::1`).
    fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        let (addr, bits) = match raw.split_once('/') {
            Some((addr, bits)) => (addr, Some(bits)),
            None => (raw, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("{raw:?} is not an IP address or CIDR block (such as 10.0.0.0/8)"))?;
        let addr = canonical(addr);
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let bits = match bits {
            None => max,
            Some(bits) => bits
                .parse::<u8>()
                .ok()
                .filter(|b| *b <= max && bits.bytes().all(|c| c.is_ascii_digit()))
                .ok_or_else(|| format!("{raw:?} has a prefix length that is not a number from 0 to {max}"))?,
        };
        Ok(Self { addr, bits })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        let bits = u32::from(self.bits);
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, how a dual-stack socket reports IPv4
/// peers) as the IPv4 address it is.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// `server.trusted_proxies`: the peers whose forwarded headers are believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Cidr>);

impl TrustedProxies {
    /// Nobody: forwarded headers are always ignored (the default).
    pub fn none() -> Self {
        Self::default()
    }

    /// Parses the setting's entries (IP addresses or CIDR blocks).
    ///
    /// # Errors
    /// When an entry is neither; the message names the setting and the entry.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> anyhow::Result<Self> {
        let mut out = Vec::new();
        for entry in entries.iter().map(AsRef::as_ref) {
            if entry.trim().is_empty() {
                continue;
            }
            out.push(Cidr::parse(entry).map_err(|e| anyhow::anyhow!("server.trusted_proxies: {e}"))?);
        }
        Ok(Self(out))
    }

    /// Whether `peer` is a trusted proxy.
    pub fn trusts(&self, peer: Option<SocketAddr>) -> bool {
        peer.is_some_and(|peer| self.0.iter().any(|cidr| cidr.contains(peer.ip())))
    }

    /// Whether any proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Where a request was sent: `http` or `https`, and a valid host (lower case, with its port
/// when one was given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestOrigin {
    /// `http` or `https`.
    pub scheme: &'static str,
    /// `example.com`, `example.com:8080`, `127.0.0.1:8080` or `[::1]:8080`.
    pub host: String,
}

impl RequestOrigin {
    /// `scheme://host`.
    pub fn base_url(&self) -> String {
        format!("{}://{}", self.scheme, self.host)
    }

    /// The host name alone: no port, no brackets around an IPv6 address, no trailing dot.
    pub fn hostname(&self) -> &str {
        hostname(&self.host)
    }
}

/// The host name of a valid `host[:port]`.
fn hostname(host: &str) -> &str {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or(rest)
    } else {
        host.rsplit_once(':').map_or(host, |(name, _)| name)
    };
    name.strip_suffix('.').unwrap_or(name)
}

/// Why no origin could be told.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the Host header is missing or is not a valid host name (with an optional port)")]
pub struct InvalidHost;

/// The scheme and host `head` was sent to. `secure` says whether the connection is TLS;
/// `fallback` is the server's configured host name, used when a request names none.
///
/// # Errors
/// When the request's own host (the `Host` header, or the URI's authority) is not a valid
/// host name; invalid forwarded values are ignored, not errors.
pub fn request_origin(
    head: &RequestHead,
    peer: Option<SocketAddr>,
    secure: bool,
    fallback: &str,
    proxies: &TrustedProxies,
) -> Result<RequestOrigin, InvalidHost> {
    let mut scheme = if secure { "https" } else { "http" };
    let own = match head.headers.get(header::HOST) {
        Some(value) => value.to_str().ok().and_then(valid_host),
        None => head
            .uri
            .authority()
            .map_or_else(|| valid_host(fallback), |a| valid_host(a.as_str())),
    };
    let mut host = own.ok_or(InvalidHost)?;
    if proxies.trusts(peer) {
        let forwarded = last_forwarded(&head.headers);
        let proto = forwarded
            .proto
            .or_else(|| last_value(&head.headers, "x-forwarded-proto"))
            .and_then(|p| valid_scheme(&p));
        let forwarded_host = forwarded
            .host
            .or_else(|| last_value(&head.headers, "x-forwarded-host"))
            .and_then(|h| valid_host(&h));
        if let Some(proto) = proto {
            scheme = proto;
        }
        if let Some(forwarded_host) = forwarded_host {
            host = forwarded_host;
        }
    }
    Ok(RequestOrigin { scheme, host })
}

/// `http` or `https` (any case), as a constant.
fn valid_scheme(raw: &str) -> Option<&'static str> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "http" => Some("http"),
        "https" => Some("https"),
        _ => None,
    }
}

/// A valid `host[:port]` in lower case: a DNS name (labels of letters, digits and inner
/// hyphens, at most 63 characters each and 253 in all, optionally ending in a dot), an IPv4
/// address, or an IPv6 address in brackets; the port 1 to 65535.
pub fn valid_host(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let (name, port) = if raw.starts_with('[') {
        let end = raw.find(']')?;
        let literal = &raw[1..end];
        literal.parse::<Ipv6Addr>().ok()?;
        let rest = &raw[end + 1..];
        let port = match rest {
            "" => None,
            _ => Some(rest.strip_prefix(':')?),
        };
        (&raw[..=end], port)
    } else {
        match raw.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (raw, None),
        }
    };
    if let Some(port) = port {
        let ok = !port.is_empty()
            && port.len() <= 5
            && port.bytes().all(|b| b.is_ascii_digit())
            && port.parse::<u32>().is_ok_and(|p| (1..=65535).contains(&p));
        if !ok {
            return None;
        }
    }
    if !name.starts_with('[') {
        let bare = name.strip_suffix('.').unwrap_or(name);
        if bare.is_empty() || bare.len() > 253 {
            return None;
        }
        let label_ok = |label: &str| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        };
        if !bare.split('.').all(label_ok) {
            return None;
        }
    }
    Some(raw.to_ascii_lowercase())
}

/// The `host` and `proto` of the last element of the `Forwarded` headers (RFC 7239), unquoted.
#[derive(Debug, Default, PartialEq, Eq)]
struct Forwarded {
    host: Option<String>,
    proto: Option<String>,
}

fn last_forwarded(headers: &HeaderMap) -> Forwarded {
    let Some(element) = headers
        .get_all(header::FORWARDED)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| split_outside_quotes(v, ','))
        .filter(|e| !e.trim().is_empty())
        .last()
    else {
        return Forwarded::default();
    };
    let mut out = Forwarded::default();
    for pair in split_outside_quotes(&element, ';') {
        let Some((name, value)) = pair.split_once('=') else {
            continue;
        };
        let Some(value) = unquote(value.trim()) else {
            continue;
        };
        match name.trim().to_ascii_lowercase().as_str() {
            "host" => out.host = Some(value),
            "proto" => out.proto = Some(value),
            _ => {}
        }
    }
    out
}

/// The last item of a comma-separated header (every occurrence of it, in order).
fn last_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(name)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(',').map(|s| s.trim().to_owned()).collect::<Vec<_>>())
        .filter(|s| !s.is_empty())
        .last()
}

/// Splits on `separator` where it is not inside a quoted string.
fn split_outside_quotes(raw: &str, separator: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let (mut quoted, mut escaped) = (false, false);
    for c in raw.chars() {
        if escaped {
            escaped = false;
        } else if quoted && c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if c == separator && !quoted {
            out.push(std::mem::take(&mut current));
            continue;
        }
        current.push(c);
    }
    out.push(current);
    out
}

/// A token or a quoted string's content; `None` for an unterminated quote or a quoted pair
/// (no valid host or scheme needs one).
fn unquote(raw: &str) -> Option<String> {
    match raw.strip_prefix('"') {
        None => Some(raw.to_owned()),
        Some(rest) => {
            let inner = rest.strip_suffix('"')?;
            (!inner.contains(['"', '\\'])).then(|| inner.to_owned())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn origin(headers: &[(&str, &str)], peer: &str, proxies: &[&str]) -> Result<RequestOrigin, InvalidHost> {
        let mut req = TestRequest::default().peer_addr(peer.parse().unwrap());
        for (name, value) in headers {
            req = req.append_header((*name, *value));
        }
        let req = req.to_http_request();
        let proxies = TrustedProxies::parse(proxies).unwrap();
        request_origin(req.head(), req.peer_addr(), false, "localhost:8080", &proxies)
    }

    fn url(headers: &[(&str, &str)], peer: &str, proxies: &[&str]) -> String {
        origin(headers, peer, proxies).unwrap().base_url()
    }

    #[test]
    fn forwarded_headers_of_an_untrusted_peer_are_ignored() {
        let spoof = [
            ("host", "api.example.com"),
            ("forwarded", "host=evil.example;proto=https"),
            ("x-forwarded-host", "evil.example"),
            ("x-forwarded-proto", "https"),
        ];
        assert_eq!(url(&spoof, "203.0.113.9:4000", &[]), "http://api.example.com");
        assert_eq!(
            url(&spoof, "203.0.113.9:4000", &["10.0.0.0/8"]),
            "http://api.example.com"
        );
    }

    #[test]
    fn a_trusted_proxy_is_believed_for_http_and_https_and_valid_hosts_only() {
        let trusted = ["10.0.0.0/8"];
        let peer = "10.1.2.3:5000";
        let with = |forwarded: &str| url(&[("host", "internal:8080"), ("forwarded", forwarded)], peer, &trusted);
        assert_eq!(with("host=lms.example.com;proto=https"), "https://lms.example.com");
        assert_eq!(
            with("host=\"lms.example.com:8443\";proto=HTTPS"),
            "https://lms.example.com:8443"
        );
        // The finding: a newline and a script scheme.
        assert_eq!(with("host=\"x%0Aalert(1)//\";proto=javascript"), "http://internal:8080");
        assert_eq!(with("host=\"x\talert(1)//\";proto=javascript"), "http://internal:8080");
        for bad in [
            "host=\"a\\\"b\"",
            "host=\"unterminated",
            "host=a_b.example",
            "host=-a.example",
            "host=a..b",
            "host=example.com:0",
            "host=example.com:65536",
            "host=example.com:80:80",
            "host=user@example.com",
            "host=example.com/path",
            "host=[::1",
            "host=[nope]:80",
            "proto=ftp",
            "proto=\"javascript\"",
        ] {
            assert_eq!(with(bad), "http://internal:8080", "{bad}");
        }
        assert_eq!(with("host=\"[::1]:8080\""), "http://[::1]:8080");
        // Of a list, the element the proxy next to the service appended counts.
        assert_eq!(
            with("host=evil.example;proto=http, host=lms.example.com;proto=https"),
            "https://lms.example.com"
        );
        let x = |headers: &[(&str, &str)]| url(headers, peer, &trusted);
        assert_eq!(
            x(&[
                ("host", "internal"),
                ("x-forwarded-host", "evil.example, lms.example.com"),
                ("x-forwarded-proto", "https")
            ]),
            "https://lms.example.com"
        );
        assert_eq!(
            x(&[
                ("host", "internal"),
                ("x-forwarded-host", "x\talert(1)"),
                ("x-forwarded-proto", "javascript")
            ]),
            "http://internal"
        );
    }

    #[test]
    fn an_invalid_host_header_is_an_error_not_a_url() {
        for bad in [
            "x/alert(1)//",
            "a b",
            "javascript:alert(1)",
            "",
            "ex ample.com",
            "é.example",
        ] {
            assert_eq!(origin(&[("host", bad)], "127.0.0.1:1", &[]), Err(InvalidHost), "{bad}");
        }
        let ok = origin(&[("host", "API.Example.COM.:8080")], "127.0.0.1:1", &[]).unwrap();
        assert_eq!(ok.host, "api.example.com.:8080");
        assert_eq!(ok.hostname(), "api.example.com");
    }

    #[test]
    fn proxies_are_addresses_or_cidr_blocks() {
        let proxies = TrustedProxies::parse(&["127.0.0.1", "10.0.0.0/8", "fd00::/8", " "]).unwrap();
        let at = |ip: &str| proxies.trusts(Some(SocketAddr::new(ip.parse().unwrap(), 1)));
        assert!(at("127.0.0.1"));
        assert!(at("10.255.0.1"));
        assert!(at("::ffff:10.0.0.1"), "an IPv4-mapped peer is its IPv4 address");
        assert!(at("fd12::1"));
        assert!(!at("127.0.0.2"));
        assert!(!at("11.0.0.1"));
        assert!(!at("::1"));
        assert!(!proxies.trusts(None));
        assert!(
            TrustedProxies::parse(&["0.0.0.0/0"])
                .unwrap()
                .trusts(Some("1.2.3.4:5".parse().unwrap()))
        );
        for bad in [
            "localhost",
            "10.0.0.0/33",
            "::/129",
            "10.0.0.0/",
            "10.0.0.0/+8",
            "1.2.3",
        ] {
            let e = TrustedProxies::parse(&[bad]).unwrap_err().to_string();
            assert!(e.starts_with("server.trusted_proxies: "), "{e}");
            assert!(e.contains(bad), "{e}");
        }
    }
}
