//! The ban policy: whether an incident bans its source, and for how long.
//!
//! Sans-IO: the daemon passes the number of earlier bans of the source
//! (from the store) and gets a verdict back. The rules that keep the
//! defaults safe: trusted servers, the allowlist and the protected phones
//! are never banned, and neither is a LAN host unless `ban.internal` is on
//! (an infected PC is reported with its MAC instead). Only the network
//! source address is ever banned, never one named in a SIP header.
//!
//! An IPv6 source is banned with its network of `ban.ipv6_prefix` bits
//! (default /64: an attacker holds the whole /64 and rotates addresses),
//! unless that network holds a trusted server, an allowlisted or protected
//! address or the LAN, or the source is a LAN host: then only the address
//! is banned, and the verdict says why ([`Narrowed`]). Escalation counts
//! the bans of the banned network.

use std::net::IpAddr;
use std::time::Duration;

use ipnet::IpNet;

use crate::config::{Ban, GuardConfig, PeerOverride};

/// Why a source was not banned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spared {
    Trusted,
    Allowlisted,
    /// A protected phone or network.
    Protected,
    /// Inside the LAN and `ban.internal` is off.
    Internal,
    /// A peer override says `ban = false`.
    PeerNoBan,
    /// The evidence is below the ban threshold.
    LowConfidence {
        confidence: u8,
        needed: u8,
    },
    /// Banned already; the ban stands (no renewal, no escalation).
    AlreadyBanned,
    /// A phone that registered successfully, named only by what one packet
    /// says (a signature or fingerprint): a spoofed UDP packet must not be
    /// able to cut a customer's phone off. Behaviour (guessing, flooding,
    /// toll fraud) still bans it. As the reason an IPv6 ban is narrowed to
    /// the address ([`Narrowed`]): its network holds a phone the guard saw
    /// register or answer a call.
    RegisteredPhone,
    /// Only as the reason an IPv6 ban is narrowed to the address: the
    /// evidence is one packet (a signature or fingerprint), which anyone can
    /// send from any address of the network.
    OnePacket,
    /// Only as the reason an IPv6 ban is narrowed to the address: the
    /// network is a translation prefix (NAT64 `64:ff9b::/96`, local-use
    /// NAT64 `64:ff9b:1::/48`, Teredo `2001::/32`) where one /64 holds many
    /// unrelated hosts.
    Translated,
}

impl Spared {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Spared::Trusted => "trusted server",
            Spared::Allowlisted => "allowlisted",
            Spared::Protected => "protected phone or network",
            Spared::Internal => "LAN host (ban.internal is off)",
            Spared::PeerNoBan => "peer override ban = false",
            Spared::LowConfidence { .. } => "confidence below the ban threshold",
            Spared::AlreadyBanned => "banned already",
            Spared::RegisteredPhone => "a registered phone, named by one packet only",
            Spared::OnePacket => "one-packet evidence",
            Spared::Translated => "a translation prefix (NAT64, Teredo)",
        }
    }
}

/// Why an IPv6 ban covers the source address only, not its network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Narrowed {
    /// The network a ban would have covered (`ban.ipv6_prefix`).
    pub prefix: IpNet,
    /// What it holds: [`Spared::Trusted`], [`Spared::Allowlisted`],
    /// [`Spared::Protected`], or [`Spared::Internal`] (the LAN).
    pub holds: Spared,
    /// The configured network (or address) inside or around it.
    pub what: IpNet,
}

impl std::fmt::Display for Narrowed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (len, prefix, what) = (self.prefix.prefix_len(), self.prefix, self.what);
        let holds = match self.holds {
            Spared::OnePacket => {
                return write!(
                    f,
                    "the address only: one packet's evidence (a signature or fingerprint) \
                     can be sent from any address of its /{len} ({prefix})"
                );
            }
            Spared::Translated => {
                return write!(
                    f,
                    "the address only: {what} is a translation prefix (NAT64, Teredo) \
                     whose /{len} holds unrelated hosts"
                );
            }
            Spared::Trusted => "a trusted server",
            Spared::Allowlisted => "an allowlisted address",
            Spared::Protected => "a protected phone or network",
            Spared::PeerNoBan => "a peer with its own ban settings",
            Spared::RegisteredPhone => "a phone seen registering or answering",
            _ => "the LAN",
        };
        write!(
            f,
            "the address only: its /{len} ({prefix}) holds {holds} ({what})"
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Ban `net` (the source address, or its IPv6 network) for `ttl`;
    /// `offence` counts from 1 (first ban of `net`). `narrowed`: an IPv6
    /// source banned alone, and why.
    Ban {
        net: IpNet,
        ttl: Duration,
        offence: u32,
        narrowed: Option<Narrowed>,
    },
    Spare(Spared),
}

#[derive(Debug, Clone)]
pub struct BanPolicy {
    ban: Ban,
    peers: Vec<PeerOverride>,
    protected: Vec<IpNet>,
    allow: Vec<IpNet>,
    trusted: Vec<IpNet>,
    lan: Vec<IpNet>,
}

fn contains(nets: &[IpNet], ip: IpAddr) -> bool {
    nets.iter().any(|n| n.contains(&ip))
}

/// `ip`'s network of `ipv6_prefix` bits (IPv6), or `ip` alone (IPv4, and
/// IPv4-mapped IPv6).
#[must_use]
pub fn prefix_of(ip: IpAddr, ipv6_prefix: u8) -> IpNet {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpNet::new(IpAddr::V6(v6), ipv6_prefix)
            .map_or_else(|_| IpNet::from(IpAddr::V6(v6)), |n| n.trunc()),
        v4 => IpNet::from(v4),
    }
}

/// IPv6 prefixes where one /64 holds unrelated hosts: NAT64 (RFC 6052
/// `64:ff9b::/96`, RFC 8215 `64:ff9b:1::/48`) and Teredo (RFC 4380
/// `2001::/32`). Bans there cover the address only.
fn translation_prefix(ip: IpAddr) -> Option<IpNet> {
    const PREFIXES: [(u128, u8); 3] = [
        (0x0064_ff9b_0000_0000_0000_0000_0000_0000, 96),
        (0x0064_ff9b_0001_0000_0000_0000_0000_0000, 48),
        (0x2001_0000_0000_0000_0000_0000_0000_0000, 32),
    ];
    let IpAddr::V6(v6) = ip.to_canonical() else {
        return None;
    };
    PREFIXES.iter().find_map(|&(p, len)| {
        let net = IpNet::new(IpAddr::V6(p.into()), len).ok()?;
        net.contains(&IpAddr::V6(v6)).then_some(net)
    })
}

/// The first of `nets` that shares an address with `net`.
fn overlapping(nets: &[IpNet], net: &IpNet) -> Option<IpNet> {
    nets.iter()
        .find(|n| n.contains(net) || net.contains(*n))
        .copied()
}

impl BanPolicy {
    #[must_use]
    pub fn new(cfg: &GuardConfig, trusted: Vec<IpNet>) -> BanPolicy {
        let mut protected = cfg.network.protected.clone();
        protected.extend(cfg.network.phones.iter().map(|&ip| IpNet::from(ip)));
        BanPolicy {
            ban: cfg.ban.clone(),
            peers: cfg.detect.peer.clone(),
            protected,
            allow: cfg.trusted.allow.clone(),
            trusted,
            lan: cfg.network.lan.clone(),
        }
    }

    /// `ip`'s network of `ban.ipv6_prefix` bits ([`prefix_of`]).
    #[must_use]
    pub fn prefix_of(&self, ip: IpAddr) -> IpNet {
        prefix_of(ip, self.ban.ipv6_prefix)
    }

    /// What a ban of `ip` covers: [`BanPolicy::prefix_of`], or `ip` alone
    /// when that network holds a trusted server, an allowlisted or
    /// protected address, the LAN or a peer with its own ban settings
    /// (`ban = false` or `min_confidence`), when it is a translation prefix
    /// ([`Spared::Translated`]), or when `ip` is a LAN host (`internal`).
    #[must_use]
    pub fn target(&self, ip: IpAddr, internal: bool) -> (IpNet, Option<Narrowed>) {
        let prefix = self.prefix_of(ip);
        let host = IpNet::from(ip.to_canonical());
        if prefix == host {
            return (host, None);
        }
        let peers: Vec<IpNet> = self
            .peers
            .iter()
            .filter(|p| p.ban == Some(false) || p.min_confidence.is_some())
            .map(|p| p.net)
            .collect();
        let translated = translation_prefix(ip).map(|what| Narrowed {
            prefix,
            holds: Spared::Translated,
            what,
        });
        let narrowed = translated
            .or_else(|| {
                [
                    (&self.trusted, Spared::Trusted),
                    (&self.allow, Spared::Allowlisted),
                    (&self.protected, Spared::Protected),
                    (&self.lan, Spared::Internal),
                    (&peers, Spared::PeerNoBan),
                ]
                .into_iter()
                .find_map(|(nets, holds)| {
                    overlapping(nets, &prefix).map(|what| Narrowed {
                        prefix,
                        holds,
                        what,
                    })
                })
            })
            .or(internal.then_some(Narrowed {
                prefix,
                holds: Spared::Internal,
                what: host,
            }));
        match narrowed {
            Some(n) => (host, Some(n)),
            None => (prefix, None),
        }
    }

    /// The trusted servers changed (DNS refresh, reload).
    pub fn set_trusted(&mut self, trusted: Vec<IpNet>) {
        self.trusted = trusted;
    }

    #[must_use]
    pub fn is_trusted(&self, ip: IpAddr) -> bool {
        contains(&self.trusted, ip)
    }

    fn peer(&self, ip: IpAddr) -> Option<&PeerOverride> {
        self.peers.iter().find(|p| p.net.contains(&ip))
    }

    /// The ban time of the `offence`-th ban (1 = first): `time ×
    /// escalation^(offence−1)`, at most `max_time`.
    #[must_use]
    pub fn ban_time(&self, base: Duration, offence: u32) -> Duration {
        let factor = self.ban.escalation.powi(
            i32::try_from(offence.saturating_sub(1))
                .unwrap_or(i32::MAX)
                .min(64),
        );
        let secs = (base.as_secs_f64() * factor).min(self.ban.max_time.as_secs_f64());
        Duration::from_secs_f64(secs.max(1.0)).min(self.ban.max_time)
    }

    /// The verdict on an incident against `ip`. `earlier_bans` counts the
    /// bans of its [`BanPolicy::target`] within `ban.history`.
    #[must_use]
    pub fn decide(&self, ip: IpAddr, internal: bool, confidence: u8, earlier_bans: u32) -> Verdict {
        self.decide_for(
            ip,
            internal,
            confidence,
            earlier_bans,
            self.target(ip, internal),
        )
    }

    /// [`BanPolicy::decide`] with the ban's target already chosen (the
    /// inspector narrows some targets further: one-packet evidence, a
    /// network that holds a known phone).
    #[must_use]
    pub fn decide_for(
        &self,
        ip: IpAddr,
        internal: bool,
        confidence: u8,
        earlier_bans: u32,
        target: (IpNet, Option<Narrowed>),
    ) -> Verdict {
        if contains(&self.trusted, ip) {
            return Verdict::Spare(Spared::Trusted);
        }
        if contains(&self.allow, ip) {
            return Verdict::Spare(Spared::Allowlisted);
        }
        if contains(&self.protected, ip) {
            return Verdict::Spare(Spared::Protected);
        }
        if internal && !self.ban.internal {
            return Verdict::Spare(Spared::Internal);
        }
        let peer = self.peer(ip);
        if peer.and_then(|p| p.ban) == Some(false) {
            return Verdict::Spare(Spared::PeerNoBan);
        }
        let needed = peer
            .and_then(|p| p.min_confidence)
            .unwrap_or(self.ban.min_confidence);
        if confidence < needed {
            return Verdict::Spare(Spared::LowConfidence { confidence, needed });
        }
        let base = peer.and_then(|p| p.ban_time).unwrap_or(self.ban.time);
        let offence = earlier_bans.saturating_add(1);
        let (net, narrowed) = target;
        Verdict::Ban {
            net,
            ttl: self.ban_time(base, offence),
            offence,
            narrowed,
        }
    }

    #[must_use]
    pub fn history(&self) -> Duration {
        self.ban.history
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::GuardConfig;

    fn policy(extra: &str) -> BanPolicy {
        let cfg = GuardConfig::parse(&format!(
            "[network]\nprotected = [\"192.168.1.0/24\"]\n[trusted]\nservers = [\"203.0.113.10\"]\nallow = [\"198.51.100.200/32\"]\n{extra}"
        ))
        .unwrap();
        BanPolicy::new(&cfg, vec!["203.0.113.10/32".parse().unwrap()])
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn never_bans_trusted_allowed_protected_or_lan() {
        let p = policy("");
        assert_eq!(
            p.decide(ip("203.0.113.10"), false, 100, 0),
            Verdict::Spare(Spared::Trusted)
        );
        assert_eq!(
            p.decide(ip("198.51.100.200"), false, 100, 0),
            Verdict::Spare(Spared::Allowlisted)
        );
        assert_eq!(
            p.decide(ip("192.168.1.20"), true, 100, 0),
            Verdict::Spare(Spared::Protected)
        );
        assert_eq!(
            p.decide(ip("10.0.0.5"), true, 100, 0),
            Verdict::Spare(Spared::Internal)
        );
    }

    #[test]
    fn bans_escalate_and_cap() {
        let p = policy("[ban]\ntime = \"1h\"\nescalation = 4.0\nmax_time = \"2d\"\n");
        let scanner = ip("198.51.100.7");
        let ttl = |n| match p.decide(scanner, false, 90, n) {
            Verdict::Ban { ttl, .. } => ttl,
            v => panic!("{v:?}"),
        };
        assert_eq!(ttl(0), Duration::from_secs(3600));
        assert_eq!(ttl(1), Duration::from_secs(4 * 3600));
        assert_eq!(ttl(2), Duration::from_secs(16 * 3600));
        assert_eq!(ttl(3), Duration::from_secs(2 * 86_400));
        assert_eq!(ttl(u32::MAX), Duration::from_secs(2 * 86_400));
    }

    #[test]
    fn peer_overrides_apply_first_match() {
        let p = policy(
            "[[detect.peer]]\nnet = \"198.51.100.0/28\"\nmin_confidence = 95\nban_time = \"10m\"\n\
             [[detect.peer]]\nnet = \"198.51.100.64/26\"\nban = false\n",
        );
        assert_eq!(
            p.decide(ip("198.51.100.3"), false, 90, 0),
            Verdict::Spare(Spared::LowConfidence {
                confidence: 90,
                needed: 95
            })
        );
        assert!(matches!(
            p.decide(ip("198.51.100.3"), false, 99, 0),
            Verdict::Ban { ttl, .. } if ttl == Duration::from_secs(600)
        ));
        assert_eq!(
            p.decide(ip("198.51.100.70"), false, 100, 0),
            Verdict::Spare(Spared::PeerNoBan)
        );
        assert!(matches!(
            p.decide(ip("198.51.100.30"), false, 60, 0),
            Verdict::Ban { offence: 1, .. }
        ));
    }

    #[test]
    fn below_threshold_is_spared() {
        let p = policy("");
        assert!(matches!(
            p.decide(ip("198.51.100.9"), false, 59, 0),
            Verdict::Spare(Spared::LowConfidence { .. })
        ));
    }

    fn v6_policy(extra: &str) -> BanPolicy {
        let cfg = GuardConfig::parse(&format!(
            "[network]\nprotected = [\"192.168.1.0/24\", \"2001:db8:100::10/128\"]\n\
             lan = [\"2001:db8:200::/56\"]\n\
             [trusted]\nservers = [\"203.0.113.10\"]\nallow = [\"2001:db8:300::9/128\"]\n{extra}"
        ))
        .unwrap();
        BanPolicy::new(
            &cfg,
            vec![
                "203.0.113.10/32".parse().unwrap(),
                "2001:db8:c::3/128".parse().unwrap(),
            ],
        )
    }

    fn net(s: &str) -> IpNet {
        s.parse().unwrap()
    }

    fn banned(p: &BanPolicy, source: &str, internal: bool) -> (IpNet, Option<Narrowed>) {
        match p.decide(ip(source), internal, 100, 0) {
            Verdict::Ban { net, narrowed, .. } => (net, narrowed),
            v => panic!("{source}: {v:?}"),
        }
    }

    #[test]
    fn ipv6_sources_are_banned_by_their_prefix_ipv4_by_address() {
        let p = v6_policy("");
        assert_eq!(
            banned(&p, "2001:db8:1:2::bad", false),
            (net("2001:db8:1:2::/64"), None)
        );
        assert_eq!(
            banned(&p, "198.51.100.7", false),
            (net("198.51.100.7/32"), None)
        );
        assert_eq!(
            banned(&p, "::ffff:198.51.100.7", false),
            (net("198.51.100.7/32"), None),
            "an IPv4-mapped source is an IPv4 address"
        );
        let wide = v6_policy("[ban]\nipv6_prefix = 48\n");
        assert_eq!(
            banned(&wide, "2001:db8:1:2::bad", false).0,
            net("2001:db8:1::/48")
        );
        let exact = v6_policy("[ban]\nipv6_prefix = 128\n");
        assert_eq!(
            banned(&exact, "2001:db8:1:2::bad", false),
            (net("2001:db8:1:2::bad/128"), None)
        );
    }

    #[test]
    fn a_prefix_holding_a_trusted_allowed_protected_or_lan_address_bans_the_address_only() {
        let p = v6_policy("[ban]\ninternal = true\n");
        let cases = [
            ("2001:db8:c::2", Spared::Trusted, "2001:db8:c::3/128"),
            (
                "2001:db8:300::66",
                Spared::Allowlisted,
                "2001:db8:300::9/128",
            ),
            (
                "2001:db8:100::66",
                Spared::Protected,
                "2001:db8:100::10/128",
            ),
            ("2001:db8:200:7::66", Spared::Internal, "2001:db8:200::/56"),
        ];
        for (source, holds, what) in cases {
            let (got, narrowed) = banned(&p, source, false);
            assert_eq!(got, IpNet::from(ip(source)), "{source}");
            let n = narrowed.unwrap_or_else(|| panic!("{source} not narrowed"));
            assert_eq!((n.holds, n.what), (holds, net(what)), "{source}");
            assert_eq!(n.prefix, p.prefix_of(ip(source)));
        }
        // A LAN host (internal) never takes its whole network down.
        let (got, narrowed) = banned(&p, "2001:db8:9:9::66", true);
        assert_eq!(got, net("2001:db8:9:9::66/128"));
        assert_eq!(narrowed.map(|n| n.holds), Some(Spared::Internal));
        // The explanation names the network and what it holds.
        let (_, narrowed) = banned(&p, "2001:db8:c::2", false);
        assert_eq!(
            narrowed.unwrap().to_string(),
            "the address only: its /64 (2001:db8:c::/64) holds a trusted server (2001:db8:c::3/128)"
        );
        // The trusted server itself is never banned at all.
        assert_eq!(
            p.decide(ip("2001:db8:c::3"), false, 100, 0),
            Verdict::Spare(Spared::Trusted)
        );
    }
}
