//! The reflector's configuration (TOML, unknown fields rejected), validated
//! before any socket is opened. See `examples/reflector.toml`.

use std::net::IpAddr;
use std::path::PathBuf;

use serde::Deserialize;

/// Where the reflector listens.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Listen {
    /// Addresses to bind (`0.0.0.0`, `::`, or the public address).
    pub addresses: Vec<IpAddr>,
    /// Ports, on UDP and TCP each: 5060 and a non-standard one.
    pub ports: Vec<u16>,
    pub udp: bool,
    pub tcp: bool,
}

impl Default for Listen {
    fn default() -> Self {
        Listen {
            addresses: vec![IpAddr::from([0, 0, 0, 0])],
            ports: vec![5060, 5062],
            udp: true,
            tcp: true,
        }
    }
}

/// Bounds that keep the reflector from becoming an amplifier or a scanner.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Sustained test requests per second from one source (IPv6: one /64).
    pub requests_per_second: f64,
    /// Requests one source may send at once before the rate applies.
    pub burst: u32,
    /// Probes per minute to one address.
    pub probes_per_minute: f64,
    /// Probes one address may get at once.
    pub probe_burst: u32,
    /// Longer requests are dropped unanswered.
    pub max_request_bytes: usize,
    /// Sources with rate state kept at once; beyond it the least recently
    /// seen are dropped (they start again with a full bucket).
    pub max_sources: usize,
    /// TCP connections served at once; more are closed at once.
    pub max_tcp_connections: usize,
    /// Probes running at once; more are answered `busy`.
    pub max_concurrent_probes: usize,
    /// A TCP client must send its request within this time.
    pub tcp_timeout_ms: u64,
    /// NAT binding callbacks (one datagram back after N s) one address may
    /// ask for per minute.
    pub callbacks_per_minute: f64,
    /// Callbacks one address may ask for at once.
    pub callback_burst: u32,
    /// Callbacks waiting for one address at once.
    pub max_callbacks_per_source: usize,
    /// Callbacks waiting in total; 0 switches the callback test off.
    pub max_pending_callbacks: usize,
    /// The longest wait a callback may ask for, in seconds.
    pub max_callback_seconds: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            requests_per_second: 2.0,
            burst: 10,
            probes_per_minute: 6.0,
            probe_burst: 3,
            max_request_bytes: 4096,
            max_sources: 65_536,
            max_tcp_connections: 64,
            max_concurrent_probes: 16,
            tcp_timeout_ms: 5_000,
            callbacks_per_minute: 12.0,
            callback_burst: 6,
            max_callbacks_per_source: 6,
            max_pending_callbacks: 4096,
            max_callback_seconds: 180,
        }
    }
}

/// The exposure probe.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Probe {
    pub enabled: bool,
    /// Ports a requester may ask to be probed on (its own address only).
    pub ports: Vec<u16>,
    /// How long to wait for an answer.
    pub timeout_ms: u64,
    /// Accept probe requests over UDP too. Off by default: a UDP source can
    /// be forged, a TCP one cannot (the handshake proves the address).
    pub allow_udp_requests: bool,
}

impl Default for Probe {
    fn default() -> Self {
        Probe {
            enabled: true,
            ports: vec![5060],
            timeout_ms: 2_000,
            allow_udp_requests: false,
        }
    }
}

/// The optional shared token.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Auth {
    /// The token inline (prefer `token_file` so it stays out of the config).
    pub token: Option<String>,
    /// A file whose first line is the token.
    pub token_file: Option<PathBuf>,
}

/// The whole reflector configuration.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ReflectorConfig {
    pub listen: Listen,
    pub limits: Limits,
    pub probe: Probe,
    pub auth: Auth,
}

/// A configuration value that cannot work.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("invalid TOML: {0}")]
    Toml(String),
    #[error("listen.addresses is empty")]
    NoAddresses,
    #[error("listen.ports is empty (use 5060 and a non-standard port)")]
    NoPorts,
    #[error("listen.ports contains 0")]
    PortZero,
    #[error("neither listen.udp nor listen.tcp is on")]
    NoTransport,
    #[error("limits.{field} must be {rule} (got {value})")]
    Limit {
        field: &'static str,
        rule: &'static str,
        value: String,
    },
    #[error("probe.ports is empty while probe.enabled is true")]
    NoProbePorts,
    #[error("auth.token and auth.token_file are both set; use one")]
    TwoTokens,
    #[error("auth.token is empty or has spaces or control characters")]
    BadToken,
}

fn limit<T: PartialOrd + ToString>(
    field: &'static str,
    value: T,
    lo: T,
    hi: T,
    rule: &'static str,
) -> Result<(), ConfigError> {
    if value >= lo && value <= hi {
        Ok(())
    } else {
        Err(ConfigError::Limit {
            field,
            rule,
            value: value.to_string(),
        })
    }
}

/// Whether a token is usable in a SIP header.
#[must_use]
pub fn token_ok(t: &str) -> bool {
    !t.is_empty() && t.len() <= 128 && t.bytes().all(|b| b.is_ascii_graphic())
}

impl ReflectorConfig {
    /// Parses and validates.
    ///
    /// # Errors
    /// When the TOML is invalid or a value cannot work.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let cfg: ReflectorConfig =
            toml::from_str(text).map_err(|e| ConfigError::Toml(e.to_string()))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Checks every value.
    ///
    /// # Errors
    /// The first value that cannot work.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let l = &self.listen;
        if l.addresses.is_empty() {
            return Err(ConfigError::NoAddresses);
        }
        if l.ports.is_empty() {
            return Err(ConfigError::NoPorts);
        }
        if l.ports.contains(&0) {
            return Err(ConfigError::PortZero);
        }
        if !l.udp && !l.tcp {
            return Err(ConfigError::NoTransport);
        }
        let m = &self.limits;
        limit(
            "requests_per_second",
            m.requests_per_second,
            0.01,
            1000.0,
            "0.01..=1000",
        )?;
        limit("burst", m.burst, 1, 1000, "1..=1000")?;
        limit(
            "probes_per_minute",
            m.probes_per_minute,
            0.1,
            600.0,
            "0.1..=600",
        )?;
        limit("probe_burst", m.probe_burst, 1, 100, "1..=100")?;
        limit(
            "max_request_bytes",
            m.max_request_bytes,
            600,
            65_535,
            "600..=65535",
        )?;
        limit(
            "max_sources",
            m.max_sources,
            16,
            10_000_000,
            "16..=10000000",
        )?;
        limit(
            "max_tcp_connections",
            m.max_tcp_connections,
            1,
            10_000,
            "1..=10000",
        )?;
        limit(
            "max_concurrent_probes",
            m.max_concurrent_probes,
            1,
            1_000,
            "1..=1000",
        )?;
        limit(
            "tcp_timeout_ms",
            m.tcp_timeout_ms,
            100,
            60_000,
            "100..=60000",
        )?;
        limit(
            "callbacks_per_minute",
            m.callbacks_per_minute,
            0.1,
            600.0,
            "0.1..=600",
        )?;
        limit("callback_burst", m.callback_burst, 1, 100, "1..=100")?;
        limit(
            "max_callbacks_per_source",
            m.max_callbacks_per_source,
            1,
            100,
            "1..=100",
        )?;
        limit(
            "max_pending_callbacks",
            m.max_pending_callbacks,
            0,
            1_000_000,
            "0..=1000000",
        )?;
        limit(
            "max_callback_seconds",
            m.max_callback_seconds,
            1,
            600,
            "1..=600",
        )?;
        let p = &self.probe;
        if p.enabled && (p.ports.is_empty() || p.ports.contains(&0)) {
            return Err(ConfigError::NoProbePorts);
        }
        limit("probe.timeout_ms", p.timeout_ms, 100, 10_000, "100..=10000")?;
        if self.auth.token.is_some() && self.auth.token_file.is_some() {
            return Err(ConfigError::TwoTokens);
        }
        if self.auth.token.as_deref().is_some_and(|t| !token_ok(t)) {
            return Err(ConfigError::BadToken);
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn empty_config_is_the_defaults() {
        let c = ReflectorConfig::parse("").unwrap();
        assert_eq!(c, ReflectorConfig::default());
        assert_eq!(c.listen.ports, [5060, 5062]);
        assert!(!c.probe.allow_udp_requests);
    }

    #[test]
    fn unknown_fields_and_bad_values_are_named() {
        let e = ReflectorConfig::parse("[limits]\nburts = 3\n").unwrap_err();
        assert!(e.to_string().contains("burts"), "{e}");
        let e = ReflectorConfig::parse("[limits]\nburst = 0\n").unwrap_err();
        assert_eq!(e.to_string(), "limits.burst must be 1..=1000 (got 0)");
        let e = ReflectorConfig::parse("[listen]\nports = []\n").unwrap_err();
        assert_eq!(e, ConfigError::NoPorts);
        let e = ReflectorConfig::parse("[auth]\ntoken = \"a b\"\n").unwrap_err();
        assert_eq!(e, ConfigError::BadToken);
        let e = ReflectorConfig::parse("[listen]\nudp = false\ntcp = false\n").unwrap_err();
        assert_eq!(e, ConfigError::NoTransport);
    }

    #[test]
    fn example_config_parses() {
        let text = include_str!("../../../examples/reflector.toml");
        let c = ReflectorConfig::parse(text).unwrap();
        assert!(c.listen.udp && c.listen.tcp);
        assert!(c.listen.ports.contains(&5060) && c.listen.ports.len() >= 2);
    }
}
