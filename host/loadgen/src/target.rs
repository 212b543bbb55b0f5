//! Where load may go: an OCPP endpoint `ws://HOST:PORT/PATH` whose host is a
//! loopback address, and nothing else.
//!
//! The generator opens thousands of connections and sends tens of thousands
//! of messages a second; pointed at someone else's server that is an attack.
//! So [`Target::parse`] resolves the host and refuses the target unless
//! *every* address it resolves to is a loopback address (`127.0.0.0/8`,
//! `::1`). There is no option to turn this off.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};

/// Why a target was refused.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// Only plain `ws://` is spoken (no TLS: loopback needs none).
    #[error("the target must be a ws:// URL, got {0:?}")]
    NotWebSocket(String),
    /// The URL has user information or no host.
    #[error("the target URL {0:?} has no usable host (user information is not allowed)")]
    BadHost(String),
    /// The host name did not resolve.
    #[error("cannot resolve {host:?}: {source}")]
    Resolve {
        /// The host as written.
        host: String,
        /// What the resolver said.
        source: std::io::Error,
    },
    /// The host is (or resolves to) an address that is not loopback.
    #[error("refusing {0}: the load generator only sends load to loopback addresses (127.0.0.0/8, ::1)")]
    NotLoopback(String),
}

/// A loopback OCPP endpoint; stations connect to `{base}/{stationId}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The address connections go to (always loopback).
    pub addr: SocketAddr,
    /// `host[:port]` as written, for the `Host` header and the request URL.
    authority: String,
    /// The path stations append their id to, without a trailing `/`.
    path: String,
}

impl Target {
    /// Parses `ws://HOST[:PORT][/PATH]` and checks that it is loopback.
    pub fn parse(url: &str) -> Result<Target, TargetError> {
        let rest = url.strip_prefix("ws://").ok_or_else(|| TargetError::NotWebSocket(url.to_owned()))?;
        let (authority, path) = match rest.find('/') {
            Some(slash) => (&rest[..slash], &rest[slash..]),
            None => (rest, ""),
        };
        if authority.is_empty() || authority.contains('@') {
            return Err(TargetError::BadHost(url.to_owned()));
        }
        let with_port = if has_port(authority) { authority.to_owned() } else { format!("{authority}:80") };
        let addrs: Vec<SocketAddr> = with_port
            .to_socket_addrs()
            .map_err(|source| TargetError::Resolve { host: authority.to_owned(), source })?
            .collect();
        let Some(first) = addrs.first().copied() else {
            return Err(TargetError::BadHost(url.to_owned()));
        };
        if let Some(outside) = addrs.iter().find(|a| !a.ip().is_loopback()) {
            return Err(TargetError::NotLoopback(format!("{url} ({})", outside.ip())));
        }
        Ok(Target { addr: first, authority: authority.to_owned(), path: path.trim_end_matches('/').to_owned() })
    }

    /// The URL a station with `station_id` connects to.
    pub fn station_url(&self, station_id: &str) -> String {
        format!("ws://{}{}/{}", self.authority, self.path, station_id)
    }

    /// The local address to bind connection number `n` to, spreading
    /// connections over `sources` loopback addresses (127.0.0.1, .2, …) so
    /// that tens of thousands of connections (and their TIME_WAIT leftovers)
    /// never run out of ephemeral ports. `None` for an IPv6 target or
    /// `sources <= 1` (the kernel picks).
    pub fn source_for(&self, n: usize, sources: u8) -> Option<SocketAddr> {
        if sources <= 1 || !self.addr.is_ipv4() {
            return None;
        }
        let last = u8::try_from(n % usize::from(sources)).unwrap_or(0).saturating_add(1);
        Some(SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 0, 0, last)), 0))
    }
}

/// Whether `authority` (`host`, `host:port`, `[v6]`, `[v6]:port`) names a port.
fn has_port(authority: &str) -> bool {
    match authority.rfind(']') {
        Some(close) => authority[close..].contains(':'),
        None => authority.contains(':'),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_targets_are_accepted() {
        let target = Target::parse("ws://127.0.0.1:9410/ocpp").unwrap();
        assert_eq!(target.addr, "127.0.0.1:9410".parse().unwrap());
        assert_eq!(target.station_url("CP-1"), "ws://127.0.0.1:9410/ocpp/CP-1");
        assert_eq!(Target::parse("ws://127.0.0.1:9410/ocpp/").unwrap().station_url("A"), "ws://127.0.0.1:9410/ocpp/A");
        assert!(Target::parse("ws://[::1]:9410/ocpp").unwrap().addr.ip().is_loopback());
        assert!(Target::parse("ws://127.8.9.10:1/").unwrap().addr.ip().is_loopback());
        assert_eq!(Target::parse("ws://127.0.0.1").unwrap().addr.port(), 80);
    }

    #[test]
    fn anything_else_is_refused() {
        for url in [
            "ws://10.0.0.1:9410/ocpp",
            "ws://192.168.1.2:9410/ocpp",
            "ws://8.8.8.8:80/",
            "ws://0.0.0.0:9410/ocpp",
            "ws://[::]:9410/ocpp",
            "ws://[2001:db8::1]:9410/ocpp",
        ] {
            assert!(matches!(Target::parse(url), Err(TargetError::NotLoopback(_))), "{url} was not refused");
        }
        assert!(matches!(Target::parse("wss://127.0.0.1:9410/"), Err(TargetError::NotWebSocket(_))));
        assert!(matches!(Target::parse("http://127.0.0.1:9410/"), Err(TargetError::NotWebSocket(_))));
        assert!(matches!(Target::parse("ws://user@127.0.0.1:9410/"), Err(TargetError::BadHost(_))));
        assert!(matches!(Target::parse("ws:///ocpp"), Err(TargetError::BadHost(_))));
    }

    #[test]
    fn connections_are_spread_over_loopback_sources() {
        let target = Target::parse("ws://127.0.0.1:9410/ocpp").unwrap();
        assert_eq!(target.source_for(0, 4), Some("127.0.0.1:0".parse().unwrap()));
        assert_eq!(target.source_for(5, 4), Some("127.0.0.2:0".parse().unwrap()));
        assert_eq!(target.source_for(5, 1), None);
        let v6 = Target::parse("ws://[::1]:9410/ocpp").unwrap();
        assert_eq!(v6.source_for(5, 4), None);
    }
}
