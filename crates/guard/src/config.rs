//! The guard's configuration file (TOML, unknown keys rejected).
//!
//! [`GuardConfig::parse`] reads and [`GuardConfig::validate`] checks
//! everything before any socket, rule or database is touched
//! (`ghostguard config check`). Every option is described in
//! `docs/configuration.md`.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use ghostguard_engine::config::Thresholds;
use ipnet::IpNet;
use serde::Deserialize;

/// Where the guard sits and what it may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// A Linux router or firewall in front of the phones (forward path).
    #[default]
    Gateway,
    /// On the PBX or softswitch itself (input path).
    Host,
    /// Detect and alert only (mirror port, HEP feed); no kernel rules.
    Monitor,
}

/// Whether detections change the kernel's verdicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Policy {
    /// Log and record what would be blocked; drop nothing (the default).
    #[default]
    Observe,
    /// Drop SIP from banned and (where configured) untrusted sources.
    Enforce,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Network {
    /// Phones or networks of phones the policy protects (gateway mode).
    pub protected: Vec<IpNet>,
    /// Single phone addresses (also protected; also known to the engine).
    pub phones: Vec<IpAddr>,
    /// Prefixes that count as our own besides the private ranges.
    pub lan: Vec<IpNet>,
    /// UDP and TCP ports that carry SIP.
    pub sip_ports: Vec<u16>,
    /// Drop SIP to protected addresses from anyone but the trusted servers
    /// ("accept SIP only from the provider"). Default: on in gateway mode,
    /// off in host mode (a PBX takes registrations from anywhere).
    pub trusted_only: Option<bool>,
}

impl Default for Network {
    fn default() -> Self {
        Network {
            protected: Vec::new(),
            phones: Vec::new(),
            lan: Vec::new(),
            sip_ports: vec![5060, 5061],
            trusted_only: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Trusted {
    /// Addresses, CIDR prefixes, host names (A/AAAA) and SRV names
    /// (`_sip._udp.example.net`) of the servers allowed to send SIP in.
    pub servers: Vec<String>,
    /// Sources never banned nor dropped (monitoring, the admin's office).
    pub allow: Vec<IpNet>,
    /// Bounds on how often DNS names are looked up again; the record's TTL
    /// is used between them.
    #[serde(with = "humantime_serde")]
    pub refresh_min: Duration,
    #[serde(with = "humantime_serde")]
    pub refresh_max: Duration,
}

impl Default for Trusted {
    fn default() -> Self {
        Trusted {
            servers: Vec::new(),
            allow: Vec::new(),
            refresh_min: Duration::from_secs(30),
            refresh_max: Duration::from_secs(3600),
        }
    }
}

/// Overrides for one peer (a prefix): thresholds and ban behaviour.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PeerOverride {
    pub net: IpNet,
    /// Confidence a source in `net` must reach before it is banned.
    #[serde(default)]
    pub min_confidence: Option<u8>,
    /// Never ban sources in `net` (still recorded and alerted).
    #[serde(default)]
    pub ban: Option<bool>,
    /// Ban time for sources in `net` (before escalation).
    #[serde(default, with = "humantime_serde::option")]
    pub ban_time: Option<Duration>,
    /// Detector thresholds for requests from `net` (and the answers to
    /// them); keys not named keep the global `detect.thresholds` values.
    #[serde(default)]
    pub thresholds: Option<toml::Table>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Detect {
    /// A rules file replacing the shipped signatures.
    pub rules: Option<PathBuf>,
    pub thresholds: Thresholds,
    /// Per-peer overrides, first match wins.
    pub peer: Vec<PeerOverride>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Ban {
    /// First ban of a source.
    #[serde(with = "humantime_serde")]
    pub time: Duration,
    /// Each earlier ban of the same source within `history` multiplies the
    /// time by this factor (fail2ban's `bantime.increment`).
    pub escalation: f64,
    #[serde(with = "humantime_serde")]
    pub max_time: Duration,
    #[serde(with = "humantime_serde")]
    pub history: Duration,
    /// Lowest evidence confidence that bans (0–100).
    pub min_confidence: u8,
    /// Also ban sources inside the protected/LAN networks. Off by default:
    /// an infected LAN host is reported (with its MAC) rather than cut off.
    pub internal: bool,
    /// An IPv6 source is banned with its whole network of this prefix
    /// length (48 to 128; 128 bans the address only). An attacker on IPv6
    /// holds at least a /64 and moves between its addresses. Where that
    /// network holds a trusted server, an allowlisted or protected address
    /// or the LAN, only the address is banned.
    pub ipv6_prefix: u8,
}

/// `ban.ipv6_prefix` by default: the /64 every IPv6 subscriber gets.
pub const DEFAULT_IPV6_PREFIX: u8 = 64;

/// The range of `ban.ipv6_prefix`: a /48 (a whole site) at the widest.
pub const IPV6_PREFIX_RANGE: std::ops::RangeInclusive<u8> = 48..=128;

impl Default for Ban {
    fn default() -> Self {
        Ban {
            time: Duration::from_secs(3600),
            escalation: 4.0,
            max_time: Duration::from_secs(30 * 86_400),
            history: Duration::from_secs(30 * 86_400),
            min_confidence: 60,
            internal: false,
            ipv6_prefix: DEFAULT_IPV6_PREFIX,
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Inspect {
    /// NFLOG group the kernel copies SIP packets to (gateway, host).
    pub nflog_group: Option<u16>,
    /// Inline mode: NFQUEUE number; packets wait for the engine's verdict.
    pub queue: Option<u16>,
    /// Interface to capture on (monitor mode; AF_PACKET).
    pub interface: Option<String>,
    /// HEPv3 listeners (UDP and TCP on each address).
    pub hep_listen: Vec<SocketAddr>,
    /// Agents allowed to send HEP (their network address); records from
    /// anyone else are dropped and counted. HEP names the SIP sender that
    /// gets banned, so only trusted agents may speak it. Default: loopback.
    pub hep_allow: Vec<IpNet>,
    /// Packets waiting for the engine; more are dropped and counted.
    pub backlog: usize,
}

impl Default for Inspect {
    fn default() -> Self {
        Inspect {
            nflog_group: Some(5060),
            queue: None,
            interface: None,
            hep_listen: Vec::new(),
            hep_allow: vec![
                IpNet::new(IpAddr::from([127, 0, 0, 0]), 8).unwrap_or_default(),
                IpNet::from(IpAddr::from(std::net::Ipv6Addr::LOCALHOST)),
            ],
            backlog: 65_536,
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Retention {
    #[serde(with = "humantime_serde")]
    pub incidents: Duration,
    #[serde(with = "humantime_serde")]
    pub bans: Duration,
    #[serde(with = "humantime_serde")]
    pub ghost_calls: Duration,
    /// Rows kept per table at most (oldest go first).
    pub max_rows: u64,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            incidents: Duration::from_secs(90 * 86_400),
            bans: Duration::from_secs(180 * 86_400),
            ghost_calls: Duration::from_secs(90 * 86_400),
            max_rows: 1_000_000,
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Store {
    /// `sqlite:///var/lib/ghostguard/ghostguard.db` or `postgres://…`.
    pub url: String,
    pub retention: Retention,
}

impl Default for Store {
    fn default() -> Self {
        Store {
            url: "sqlite:///var/lib/ghostguard/ghostguard.db".into(),
            retention: Retention::default(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    pub url: String,
    #[serde(default = "default_webhook_timeout", with = "humantime_serde")]
    pub timeout: Duration,
    /// Extra attempts after a failure (with exponential backoff).
    #[serde(default = "default_retries")]
    pub retries: u32,
}

fn default_webhook_timeout() -> Duration {
    Duration::from_secs(5)
}
fn default_retries() -> u32 {
    3
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Syslog {
    pub enabled: bool,
    /// Unix socket of the local syslog daemon.
    pub socket: PathBuf,
    pub facility: String,
}

impl Default for Syslog {
    fn default() -> Self {
        Syslog {
            enabled: false,
            socket: PathBuf::from("/dev/log"),
            facility: "daemon".into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Alerts {
    pub webhook: Vec<Webhook>,
    pub syslog: Syslog,
    /// Alerts about one source and kind are grouped within this window:
    /// the first goes out at once, later ones are counted into a summary.
    #[serde(with = "humantime_serde")]
    pub group_window: Duration,
    /// At most this many alerts per hour leave, whatever happens.
    pub max_per_hour: u32,
}

impl Default for Alerts {
    fn default() -> Self {
        Alerts {
            webhook: Vec::new(),
            syslog: Syslog::default(),
            group_window: Duration::from_secs(300),
            max_per_hour: 60,
        }
    }
}

/// The whole guard configuration.
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct GuardConfig {
    pub mode: Mode,
    pub policy: Policy,
    /// Name of this guard in a shared store.
    pub site: Option<String>,
    pub network: Network,
    pub trusted: Trusted,
    pub detect: Detect,
    pub ban: Ban,
    pub inspect: Inspect,
    pub store: Store,
    pub alerts: Alerts,
}

/// What is wrong with a config file. Names the key and the value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error(transparent)]
    Toml(#[from] toml::de::Error),
    #[error("`{key}`: {reason}")]
    Invalid { key: &'static str, reason: String },
    #[error("`trusted.servers`: `{word}` is not an address, a CIDR prefix or a DNS name")]
    BadServer { word: String },
}

fn invalid(key: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key,
        reason: reason.into(),
    }
}

/// One entry of `trusted.servers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerName {
    Net(IpNet),
    /// A host name: A and AAAA records.
    Host(String),
    /// An SRV name (`_sip._udp.example.net`): the targets' A/AAAA records.
    Srv(String),
}

impl ServerName {
    pub fn parse(word: &str) -> Result<ServerName, ConfigError> {
        let w = word.trim().trim_end_matches('.');
        if let Ok(n) = w.parse::<IpNet>() {
            return Ok(ServerName::Net(n.trunc()));
        }
        if let Ok(ip) = w.parse::<IpAddr>() {
            return Ok(ServerName::Net(IpNet::from(ip)));
        }
        let label_ok = |l: &str, srv: bool| {
            let l = if srv {
                l.strip_prefix('_').unwrap_or(l)
            } else {
                l
            };
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        };
        let labels: Vec<&str> = w.split('.').collect();
        let srv = w.starts_with('_');
        let ok = !w.is_empty()
            && w.len() <= 253
            && labels.len() >= 2
            && labels
                .iter()
                .enumerate()
                .all(|(i, l)| label_ok(l, srv && i < 2));
        match (ok, srv) {
            (true, true) => Ok(ServerName::Srv(w.to_ascii_lowercase())),
            (true, false) => Ok(ServerName::Host(w.to_ascii_lowercase())),
            _ => Err(ConfigError::BadServer {
                word: word.to_string(),
            }),
        }
    }
}

impl GuardConfig {
    /// Parses and validates.
    pub fn parse(text: &str) -> Result<GuardConfig, ConfigError> {
        let cfg: GuardConfig = toml::from_str(text)?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Drop SIP to protected addresses from untrusted sources?
    #[must_use]
    pub fn trusted_only(&self) -> bool {
        self.network
            .trusted_only
            .unwrap_or(self.mode == Mode::Gateway)
    }

    #[must_use]
    pub fn site(&self) -> &str {
        self.site.as_deref().unwrap_or("default")
    }

    /// The parsed `trusted.servers`.
    pub fn servers(&self) -> Result<Vec<ServerName>, ConfigError> {
        self.trusted
            .servers
            .iter()
            .map(|w| ServerName::parse(w))
            .collect()
    }

    /// The per-peer detector thresholds: each peer's `thresholds` table laid
    /// over the global ones.
    pub fn peer_thresholds(
        &self,
    ) -> Result<Vec<ghostguard_engine::config::PeerThresholds>, ConfigError> {
        let global = toml::Table::try_from(&self.detect.thresholds)
            .map_err(|e| invalid("detect.thresholds", e.to_string()))?;
        let mut out = Vec::new();
        for p in &self.detect.peer {
            let Some(over) = &p.thresholds else { continue };
            let mut t = global.clone();
            t.extend(over.clone());
            let thresholds: Thresholds =
                toml::Value::Table(t)
                    .try_into()
                    .map_err(|e: toml::de::Error| {
                        invalid("detect.peer.thresholds", format!("{}: {e}", p.net))
                    })?;
            out.push(ghostguard_engine::config::PeerThresholds {
                net: p.net,
                thresholds,
            });
        }
        Ok(out)
    }

    /// Every check that needs no network, no root and no files.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.servers()?;
        let net = &self.network;
        if net.sip_ports.is_empty() {
            return Err(invalid("network.sip_ports", "needs at least one port"));
        }
        if net.sip_ports.contains(&0) {
            return Err(invalid("network.sip_ports", "0 is not a port"));
        }
        if net.sip_ports.len() > 64 {
            return Err(invalid("network.sip_ports", "at most 64 ports"));
        }
        if self.mode == Mode::Gateway && net.protected.is_empty() && net.phones.is_empty() {
            return Err(invalid(
                "network.protected",
                "gateway mode needs the phones' networks (or network.phones) to protect",
            ));
        }
        if self.trusted_only() && self.trusted.servers.is_empty() && self.mode != Mode::Monitor {
            return Err(invalid(
                "trusted.servers",
                "\"trusted servers only\" is on but no server is trusted: every call would be dropped \
                 (list the provider's servers, or set network.trusted_only = false)",
            ));
        }
        let site = self.site();
        if site.is_empty() || site.len() > 64 || site.chars().any(char::is_control) {
            return Err(invalid("site", "1 to 64 printable characters"));
        }
        let t = &self.trusted;
        if t.refresh_min < Duration::from_secs(1) || t.refresh_min > t.refresh_max {
            return Err(invalid(
                "trusted.refresh_min",
                "at least 1s and not longer than trusted.refresh_max",
            ));
        }
        let b = &self.ban;
        if b.time.is_zero() {
            return Err(invalid("ban.time", "must be longer than 0s"));
        }
        if !(1.0..=100.0).contains(&b.escalation) {
            return Err(invalid("ban.escalation", "a factor between 1 and 100"));
        }
        if b.max_time < b.time {
            return Err(invalid("ban.max_time", "shorter than ban.time"));
        }
        // nftables element timeouts are u32 milliseconds in the kernel's
        // jiffies conversion; keep far below.
        if b.max_time > Duration::from_secs(365 * 86_400) {
            return Err(invalid("ban.max_time", "at most one year"));
        }
        if b.min_confidence > 100 {
            return Err(invalid("ban.min_confidence", "0 to 100"));
        }
        if !IPV6_PREFIX_RANGE.contains(&b.ipv6_prefix) {
            return Err(invalid(
                "ban.ipv6_prefix",
                format!(
                    "{} is not a prefix length from 48 to 128 (64: ban the source's /64, \
                     128: the address only)",
                    b.ipv6_prefix
                ),
            ));
        }
        for p in &self.detect.peer {
            if p.min_confidence.is_some_and(|c| c > 100) {
                return Err(invalid("detect.peer.min_confidence", "0 to 100"));
            }
            if p.ban_time.is_some_and(|t| t.is_zero() || t > b.max_time) {
                return Err(invalid(
                    "detect.peer.ban_time",
                    "between 1s and ban.max_time",
                ));
            }
        }
        let engine = ghostguard_engine::EngineConfig {
            thresholds: self.detect.thresholds.clone(),
            peers: self.peer_thresholds()?,
            ..Default::default()
        };
        engine
            .validate()
            .map_err(|e| invalid("detect.thresholds", e.to_string()))?;
        let i = &self.inspect;
        match self.mode {
            Mode::Monitor if i.interface.is_none() && i.hep_listen.is_empty() => {
                return Err(invalid(
                    "inspect",
                    "monitor mode needs inspect.interface or inspect.hep_listen",
                ));
            }
            Mode::Gateway | Mode::Host if i.nflog_group.is_none() && i.hep_listen.is_empty() => {
                return Err(invalid(
                    "inspect",
                    "nothing feeds the engine: set inspect.nflog_group or inspect.hep_listen",
                ));
            }
            _ => {}
        }
        if i.queue.is_some() && self.mode == Mode::Monitor {
            return Err(invalid(
                "inspect.queue",
                "inline mode needs gateway or host mode",
            ));
        }
        if i.queue.is_some() && (self.policy != Policy::Enforce || i.nflog_group.is_none()) {
            return Err(invalid(
                "inspect.queue",
                "inline mode drops packets: it needs policy = \"enforce\" and inspect.nflog_group (the engine's copy)",
            ));
        }
        if !i.hep_listen.is_empty() && i.hep_allow.is_empty() {
            return Err(invalid(
                "inspect.hep_allow",
                "HEP listeners need at least one allowed agent",
            ));
        }
        if !(64..=4_000_000).contains(&i.backlog) {
            return Err(invalid("inspect.backlog", "between 64 and 4000000 packets"));
        }
        if let Some(ifname) = &i.interface
            && (ifname.is_empty() || ifname.len() > 15 || ifname.contains(['/', ' ']))
        {
            return Err(invalid(
                "inspect.interface",
                format!("`{ifname}` is not an interface name"),
            ));
        }
        let s = &self.store;
        if !(s.url.starts_with("sqlite:")
            || s.url.starts_with("postgres://")
            || s.url.starts_with("postgresql://"))
        {
            return Err(invalid(
                "store.url",
                "must start with sqlite: or postgres://",
            ));
        }
        if s.retention.max_rows == 0 {
            return Err(invalid("store.retention.max_rows", "must be at least 1"));
        }
        let a = &self.alerts;
        for w in &a.webhook {
            if !(w.url.starts_with("http://") || w.url.starts_with("https://")) {
                return Err(invalid(
                    "alerts.webhook.url",
                    format!("`{}` is not an http(s) URL", w.url),
                ));
            }
            if w.retries > 10 {
                return Err(invalid("alerts.webhook.retries", "at most 10"));
            }
        }
        if a.max_per_hour == 0 {
            return Err(invalid("alerts.max_per_hour", "must be at least 1"));
        }
        if !crate::alert::FACILITIES.contains(&a.syslog.facility.as_str()) {
            return Err(invalid(
                "alerts.syslog.facility",
                format!("`{}` is not a syslog facility", a.syslog.facility),
            ));
        }
        Ok(())
    }
}
