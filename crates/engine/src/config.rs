//! Engine configuration: who is trusted, what is ours, and the detector
//! thresholds. Deserialises from the `[engine]` part of a TOML config with
//! unknown fields rejected; [`EngineConfig::validate`] runs before use.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::Deserialize;

/// Detector thresholds. Defaults and their reasons are on each detector's
/// page under `docs/detectors/`.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    /// Distinct target users from one source within `enumeration_window_secs`.
    pub enumeration_targets: u32,
    pub enumeration_window_secs: u32,
    /// Failed authenticated requests (401/403 to a request that carried
    /// credentials) within `bruteforce_window_secs`.
    pub bruteforce_failures: u32,
    pub bruteforce_window_secs: u32,
    /// Requests from one source within `flood_window_secs`.
    pub flood_requests: u32,
    pub flood_window_secs: u32,
    /// INVITEs from one source within `invite_flood_window_secs`.
    pub invite_flood: u32,
    pub invite_flood_window_secs: u32,
    /// Distinct destination address:port pairs within `sweep_window_secs`.
    pub sweep_targets: u32,
    pub sweep_window_secs: u32,
    /// Distinct dial prefixes tried for one number within `tollfraud_window_secs`.
    pub tollfraud_prefixes: u32,
    pub tollfraud_window_secs: u32,
    /// Copies of one message (same bytes) before it counts as looping.
    pub loop_copies: u32,
    /// A source is called malicious when its strongest evidence reaches this
    /// confidence (0–100).
    pub malicious_confidence: u8,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            enumeration_targets: 6,
            enumeration_window_secs: 10,
            bruteforce_failures: 5,
            bruteforce_window_secs: 360,
            flood_requests: 200,
            flood_window_secs: 10,
            invite_flood: 100,
            invite_flood_window_secs: 60,
            sweep_targets: 10,
            sweep_window_secs: 60,
            tollfraud_prefixes: 3,
            tollfraud_window_secs: 600,
            loop_copies: 5,
            malicious_confidence: 60,
        }
    }
}

/// Everything the engine needs to know about the network it watches.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct EngineConfig {
    /// Servers allowed to send SIP to the phones (the provider's). Host names
    /// are resolved by the caller before the engine starts.
    pub trusted: Vec<IpNet>,
    /// Also infer trusted servers from the capture (default on, also when
    /// `trusted` is given: an on-site PBX is then recognised too): a server
    /// that answers a REGISTER from inside with 200.
    pub infer_trusted: Option<bool>,
    /// Prefixes that count as our own LAN besides the private ranges.
    pub lan: Vec<IpNet>,
    /// Addresses of phones (besides those found in the traffic).
    pub phones: Vec<IpAddr>,
    /// Sources that are never called malicious.
    pub allowlist: Vec<IpNet>,
    pub thresholds: Thresholds,
    /// Bound on tracked sources (per detector and for the report).
    pub max_sources: usize,
    /// Detector thresholds for requesters in a prefix (first match wins).
    /// `malicious_confidence` stays the global one.
    pub peers: Vec<PeerThresholds>,
}

/// Thresholds for the requests of one peer prefix (and the answers to
/// them): a busy SBC, a test host, a customer's NAT.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PeerThresholds {
    pub net: IpNet,
    pub thresholds: Thresholds,
}

/// DoS: at most this many per-peer threshold sets (each has its own
/// detector tables).
pub const MAX_PEERS: usize = 16;

/// A config value that makes no sense, found before anything starts.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("threshold `{name}` must be at least {min}, got {value}")]
    TooSmall {
        name: &'static str,
        min: u32,
        value: u32,
    },
    #[error("threshold `{name}` must be at most {max}, got {value}")]
    TooLarge {
        name: &'static str,
        max: u32,
        value: u32,
    },
    #[error("threshold `malicious_confidence` must be 1–100, got {0}")]
    Confidence(u8),
    #[error("`max_sources` must be between 16 and 10000000, got {0}")]
    MaxSources(usize),
    #[error("at most {MAX_PEERS} per-peer threshold sets, got {0}")]
    TooManyPeers(usize),
}

impl EngineConfig {
    pub const DEFAULT_MAX_SOURCES: usize = 200_000;

    #[must_use]
    pub fn infer_trusted(&self) -> bool {
        self.infer_trusted.unwrap_or(true)
    }

    #[must_use]
    pub fn max_sources(&self) -> usize {
        if self.max_sources == 0 {
            Self::DEFAULT_MAX_SOURCES
        } else {
            self.max_sources
        }
    }

    /// Checks every value; the first problem is returned.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.peers.len() > MAX_PEERS {
            return Err(ConfigError::TooManyPeers(self.peers.len()));
        }
        for p in &self.peers {
            Self::validate_thresholds(&p.thresholds)?;
        }
        Self::validate_thresholds(&self.thresholds)?;
        if self.max_sources != 0 && !(16..=10_000_000).contains(&self.max_sources) {
            return Err(ConfigError::MaxSources(self.max_sources));
        }
        Ok(())
    }

    fn validate_thresholds(t: &Thresholds) -> Result<(), ConfigError> {
        let checks: [(&'static str, u32, u32); 13] = [
            ("enumeration_targets", t.enumeration_targets, 2),
            ("enumeration_window_secs", t.enumeration_window_secs, 1),
            ("bruteforce_failures", t.bruteforce_failures, 1),
            ("bruteforce_window_secs", t.bruteforce_window_secs, 1),
            ("flood_requests", t.flood_requests, 2),
            ("flood_window_secs", t.flood_window_secs, 1),
            ("invite_flood", t.invite_flood, 2),
            ("invite_flood_window_secs", t.invite_flood_window_secs, 1),
            ("sweep_targets", t.sweep_targets, 2),
            ("sweep_window_secs", t.sweep_window_secs, 1),
            ("tollfraud_prefixes", t.tollfraud_prefixes, 2),
            ("tollfraud_window_secs", t.tollfraud_window_secs, 1),
            ("loop_copies", t.loop_copies, 2),
        ];
        for (name, value, min) in checks {
            if value < min {
                return Err(ConfigError::TooSmall { name, min, value });
            }
        }
        // Distinct counters keep at most 64 keys (window.rs): a higher
        // threshold could never be reached.
        for (name, value) in [
            ("enumeration_targets", t.enumeration_targets),
            ("sweep_targets", t.sweep_targets),
            ("tollfraud_prefixes", t.tollfraud_prefixes),
        ] {
            if value > 64 {
                return Err(ConfigError::TooLarge {
                    name,
                    max: 64,
                    value,
                });
            }
        }
        if t.malicious_confidence == 0 || t.malicious_confidence > 100 {
            return Err(ConfigError::Confidence(t.malicious_confidence));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_unknown_fields_fail() {
        assert_eq!(EngineConfig::default().validate(), Ok(()));
        let bad: Result<EngineConfig, _> = toml::from_str("trustd = []");
        assert!(
            bad.unwrap_err()
                .to_string()
                .contains("unknown field `trustd`")
        );
        let cfg: EngineConfig = toml::from_str(
            "trusted = [\"198.51.100.0/24\"]\n[thresholds]\nbruteforce_failures = 0",
        )
        .unwrap();
        assert_eq!(
            cfg.validate(),
            Err(ConfigError::TooSmall {
                name: "bruteforce_failures",
                min: 1,
                value: 0
            })
        );
        assert!(
            cfg.infer_trusted(),
            "inference stays on when servers are given"
        );
        let off: EngineConfig = toml::from_str("infer_trusted = false").unwrap();
        assert!(!off.infer_trusted());
        let big: EngineConfig = toml::from_str("[thresholds]\nsweep_targets = 100").unwrap();
        assert_eq!(
            big.validate(),
            Err(ConfigError::TooLarge {
                name: "sweep_targets",
                max: 64,
                value: 100
            })
        );
    }
}

#[cfg(test)]
mod example_tests {
    use super::*;

    /// Every engine example config in `examples/` (`analyze*.toml`) parses
    /// and validates; `guard-*.toml` are parsed by ghostguard-guard and
    /// `reflector*.toml` by ghostguard-diagnose.
    #[test]
    fn example_configs_parse() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let engine = path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("analyze"));
            if path.extension().is_some_and(|e| e == "toml") && engine {
                let text = std::fs::read_to_string(&path).unwrap();
                let cfg: EngineConfig =
                    toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                cfg.validate()
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                n += 1;
            }
        }
        assert!(n >= 1, "no example configs found in {}", dir.display());
    }
}
