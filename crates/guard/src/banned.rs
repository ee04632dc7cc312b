//! The bans in force as the inspector sees them: by banned address or
//! network, with the sources each stopped, so that they are armed again in
//! the engine when the ban ends.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use ghostguard_packet::Timestamp;
use ipnet::IpNet;

use crate::inspector::MAX_TRACKED;

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
#[derive(Debug, Default)]
pub(crate) struct Banned {
    map: HashMap<IpNet, InForce>,
    /// How many bans of each (IPv6?, prefix length) `map` holds: the
    /// lengths a covering ban can have (a source's own address, the
    /// policy's /64, an operator's /48 or an imported IPv4 /24).
    lens: BTreeMap<(bool, u8), usize>,
}

fn len_key(net: &IpNet) -> (bool, u8) {
    (matches!(net, IpNet::V6(_)), net.prefix_len())
}

impl Banned {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    fn recount(&mut self) {
        self.lens.clear();
        for net in self.map.keys() {
            *self.lens.entry(len_key(net)).or_default() += 1;
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
            self.recount();
        }
        if self.map.len() < MAX_TRACKED {
            let mut b = InForce {
                end,
                sources: Vec::new(),
            };
            if let Some(ip) = source {
                b.add(ip);
            }
            if self.map.insert(net, b).is_none() {
                *self.lens.entry(len_key(&net)).or_default() += 1;
            }
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
        let Some(b) = self.map.remove(&net) else {
            return Vec::new();
        };
        let key = len_key(&net);
        if let Some(n) = self.lens.get_mut(&key) {
            *n -= 1;
            if *n == 0 {
                self.lens.remove(&key);
            }
        }
        b.sources
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

    /// The ban in force over `ip` at `now`, the narrowest first: its own
    /// (an address banned alone) or a network's around it (the policy's
    /// /64, an operator's /48, an imported IPv4 /24). One lookup per
    /// prefix length held.
    pub(crate) fn covering(&self, ip: IpAddr, now: Timestamp) -> Option<IpNet> {
        let ip = ip.to_canonical();
        let v6 = ip.is_ipv6();
        self.lens
            .range((v6, 0)..=(v6, u8::MAX))
            .rev()
            .filter_map(|((_, len), _)| IpNet::new(ip, *len).ok().map(|n| n.trunc()))
            .find(|n| self.map.get(n).is_some_and(|b| b.end > now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> IpNet {
        s.parse()
            .unwrap_or_else(|_| IpNet::from(s.parse::<IpAddr>().unwrap()))
    }

    #[test]
    fn a_source_is_covered_by_a_ban_of_any_prefix_held_the_narrowest_first() {
        let (t0, end) = (Timestamp::from_nanos(0), Timestamp::from_nanos(1_000));
        let mut b = Banned::new();
        for n in [
            "198.51.100.0/24",
            "198.51.100.7",
            "2001:db8:5::/48",
            "2001:db8:1:2::/64",
        ] {
            b.insert(net(n), None, end, t0);
        }
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(
            b.covering(ip("198.51.100.7"), t0),
            Some(net("198.51.100.7"))
        );
        assert_eq!(
            b.covering(ip("198.51.100.99"), t0),
            Some(net("198.51.100.0/24"))
        );
        assert_eq!(
            b.covering(ip("::ffff:198.51.100.99"), t0),
            Some(net("198.51.100.0/24"))
        );
        assert_eq!(
            b.covering(ip("2001:db8:5:7::1"), t0),
            Some(net("2001:db8:5::/48"))
        );
        assert_eq!(
            b.covering(ip("2001:db8:1:2::9"), t0),
            Some(net("2001:db8:1:2::/64"))
        );
        assert_eq!(b.covering(ip("198.51.101.1"), t0), None);
        assert_eq!(b.covering(ip("198.51.100.99"), end), None, "ended");
        // Removing the last ban of a length stops looking there.
        b.remove(net("198.51.100.0/24"));
        assert_eq!(b.covering(ip("198.51.100.99"), t0), None);
        assert_eq!(
            b.covering(ip("198.51.100.7"), t0),
            Some(net("198.51.100.7"))
        );
        assert!(!b.lens.contains_key(&(false, 24)));
    }
}
