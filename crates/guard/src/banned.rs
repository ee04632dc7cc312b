//! The bans in force as the inspector sees them: by banned address or
//! network, with the sources each stopped, so that they are armed again in
//! the engine when the ban ends.

use std::collections::HashMap;
use std::net::IpAddr;

use ghostguard_packet::Timestamp;
use ipnet::IpNet;

use crate::inspector::MAX_TRACKED;
use crate::policy::prefix_of;

/// DoS: sources remembered per ban in force, to re-arm in the engine when
/// the ban ends (an IPv6 /64 ban covers sources without end). Past the
/// bound a source is re-armed only when the engine drops it by itself.
pub const SOURCES_PER_BAN: usize = 64;

/// A ban in force: its end and the sources it stopped.
#[derive(Debug)]
struct InForce {
    end: Timestamp,
    sources: Vec<IpAddr>,
}

impl InForce {
    fn add(&mut self, ip: IpAddr) {
        if self.sources.len() < SOURCES_PER_BAN && !self.sources.contains(&ip) {
            self.sources.push(ip);
        }
    }
}

/// The bans in force, and how to find the one covering a source.
/// DoS: at most [`MAX_TRACKED`] bans; when full, ended ones are dropped
/// first, then new ones are not tracked (the kernel still holds them).
#[derive(Debug)]
pub(crate) struct Banned {
    map: HashMap<IpNet, InForce>,
    ipv6_prefix: u8,
}

impl Banned {
    pub(crate) fn new(ipv6_prefix: u8) -> Self {
        Self {
            map: HashMap::new(),
            ipv6_prefix,
        }
    }

    /// A ban of `net` until `end`, made for `source` if any.
    pub(crate) fn insert(
        &mut self,
        net: IpNet,
        source: Option<IpAddr>,
        end: Timestamp,
        now: Timestamp,
    ) {
        if self.map.len() >= MAX_TRACKED {
            self.map.retain(|_, b| b.end > now);
        }
        if self.map.len() < MAX_TRACKED {
            let mut b = InForce {
                end,
                sources: Vec::new(),
            };
            if let Some(ip) = source {
                b.add(ip);
            }
            self.map.insert(net, b);
        }
    }

    /// `source` was stopped by the ban of `net`.
    pub(crate) fn add_source(&mut self, net: IpNet, source: IpAddr) {
        if let Some(b) = self.map.get_mut(&net) {
            b.add(source);
        }
    }

    /// The bans over by `now`.
    pub(crate) fn ended(&self, now: Timestamp) -> Vec<IpNet> {
        self.map
            .iter()
            .filter(|(_, b)| b.end <= now)
            .map(|(net, _)| *net)
            .collect()
    }

    /// Drops the ban of `net`; the sources it stopped.
    pub(crate) fn remove(&mut self, net: IpNet) -> Vec<IpAddr> {
        self.map.remove(&net).map(|b| b.sources).unwrap_or_default()
    }

    /// The bans in force at `now` that overlap `net` (around it or inside
    /// it), other than its own, with their end.
    pub(crate) fn overlapping(&self, net: IpNet, now: Timestamp) -> Vec<(IpNet, Timestamp)> {
        self.map
            .iter()
            .filter(|(n, b)| **n != net && b.end > now && (n.contains(&net) || net.contains(*n)))
            .map(|(n, b)| (*n, b.end))
            .collect()
    }

    /// The ban in force over `ip` at `now`: its own (an IPv4 address, an
    /// IPv6 address banned alone) or its network's.
    pub(crate) fn covering(&self, ip: IpAddr, now: Timestamp) -> Option<IpNet> {
        let host = IpNet::from(ip.to_canonical());
        [host, prefix_of(ip, self.ipv6_prefix)]
            .into_iter()
            .find(|n| self.map.get(n).is_some_and(|b| b.end > now))
    }
}
