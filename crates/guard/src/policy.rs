//! The ban policy: whether an incident bans its source, and for how long.
//!
//! Sans-IO: the daemon passes the number of earlier bans of the source
//! (from the store) and gets a verdict back. The rules that keep the
//! defaults safe: trusted servers, the allowlist and the protected phones
//! are never banned, and neither is a LAN host unless `ban.internal` is on
//! (an infected PC is reported with its MAC instead). Only the network
//! source address is ever banned, never one named in a SIP header.

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
    /// toll fraud) still bans it.
    RegisteredPhone,
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
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Ban `ip` for `ttl`; `offence` counts from 1 (first ban).
    Ban {
        ip: IpAddr,
        ttl: Duration,
        offence: u32,
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
}

fn contains(nets: &[IpNet], ip: IpAddr) -> bool {
    nets.iter().any(|n| n.contains(&ip))
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
    /// bans of `ip` within `ban.history` (from the store).
    #[must_use]
    pub fn decide(&self, ip: IpAddr, internal: bool, confidence: u8, earlier_bans: u32) -> Verdict {
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
        Verdict::Ban {
            ip,
            ttl: self.ban_time(base, offence),
            offence,
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
}
